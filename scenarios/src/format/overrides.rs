//! `--set path=value`: overrides applied to scenario text before it is parsed, through
//! `toml_edit`, so the rest of the file (and so every error position) stays as written.

/// What [`crate::load_text`] appends to a scenario's name when overrides changed its text, so
/// diagnostics do not claim the file says what it does not. Stripped again to find the file's
/// directory (trace paths are relative to it).
pub const SET_NOTE: &str = " (with --set)";

/// A `--set` that cannot be applied: the override as given and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideError {
    /// The override as given (empty when the file itself is not TOML).
    pub given: String,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for OverrideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error: invalid --set {:?}: {}", self.given, self.reason)
    }
}

/// Applies `path=value` overrides to TOML text, keeping the rest of the file as written.
///
/// Paths are dotted keys; `[[group]]` entries are addressed by name (`group.cache.count=8`),
/// other arrays of tables by index (`fault.0.at="30s"`). The value is TOML (`8`, `"30s"`,
/// `{ dist = "exp", mean = "1ms" }`); a bare word that is not valid TOML is taken as a string.
pub fn apply_overrides(text: &str, overrides: &[String]) -> Result<String, OverrideError> {
    let mut document: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| OverrideError {
                given: String::new(),
                reason: format!("the scenario is not valid TOML: {}", e.message()),
            })?;
    for given in overrides {
        let fail = |reason: String| OverrideError {
            given: given.clone(),
            reason,
        };
        let (path, value) = given
            .split_once('=')
            .ok_or_else(|| fail("expected path=value, e.g. group.servers.count=4".into()))?;
        let value = parse_override_value(value.trim());
        let keys: Vec<&str> = path.trim().split('.').collect();
        set_path(document.as_item_mut(), &keys, value).map_err(fail)?;
    }
    Ok(document.to_string())
}

fn parse_override_value(text: &str) -> toml_edit::Value {
    let parsed = format!("v = {text}")
        .parse::<toml_edit::DocumentMut>()
        .ok()
        .and_then(|doc| doc.get("v").and_then(|item| item.as_value().cloned()));
    parsed.unwrap_or_else(|| toml_edit::Value::from(text))
}

fn set_path(
    item: &mut toml_edit::Item,
    keys: &[&str],
    value: toml_edit::Value,
) -> Result<(), String> {
    let (first, rest) = keys.split_first().ok_or("empty path")?;
    if first.is_empty() {
        return Err("empty key in the path".into());
    }
    if rest.is_empty() {
        let table = item
            .as_table_like_mut()
            .ok_or(format!("cannot set `{first}`: its parent is not a table"))?;
        table.insert(first, toml_edit::Item::Value(value));
        return Ok(());
    }
    if let Some(array) = item
        .get_mut(*first)
        .and_then(|i| i.as_array_of_tables_mut())
    {
        let (selector, rest) = rest.split_first().expect("rest is non-empty");
        let position = match selector.parse::<usize>() {
            Ok(index) => Some(index).filter(|i| *i < array.len()),
            Err(_) => array
                .iter()
                .position(|t| t.get("name").and_then(|n| n.as_str()) == Some(selector)),
        };
        let names: Vec<String> = array
            .iter()
            .filter_map(|t| t.get("name").and_then(|n| n.as_str()).map(String::from))
            .collect();
        let index = position.ok_or_else(|| {
            let hint = super::diag::suggest(selector, names.iter().map(String::as_str));
            format!("no `{first}` entry called {selector:?} ({hint})")
        })?;
        let table = array.get_mut(index).expect("index checked");
        if rest.is_empty() {
            return Err(format!(
                "`{first}.{selector}` is a whole table; name a field inside it"
            ));
        }
        return set_path_in_table(table, rest, value);
    }
    let child = item.as_table_like_mut().ok_or(format!(
        "cannot descend into `{first}`: its parent is not a table"
    ))?;
    if child.get(first).is_none() {
        // `fault.0.at` addresses an entry by index; an override cannot create one.
        if rest[0].parse::<usize>().is_ok() {
            return Err(format!(
                "the scenario has no `{first}` entries; --set changes a [[{first}]] entry but cannot add one"
            ));
        }
        child.insert(first, toml_edit::Item::Table(toml_edit::Table::new()));
    }
    let next = child.get_mut(first).expect("just ensured");
    if next.is_value() && next.as_inline_table().is_none() {
        return Err(format!("`{first}` is a value, not a table"));
    }
    set_path(next, rest, value)
}

fn set_path_in_table(
    table: &mut toml_edit::Table,
    keys: &[&str],
    value: toml_edit::Value,
) -> Result<(), String> {
    let mut item = toml_edit::Item::Table(std::mem::take(table));
    let result = set_path(&mut item, keys, value);
    *table = item.into_table().map_err(|_| "internal: table lost")?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: overrides change exactly the addressed value and keep everything else.
    #[test]
    fn overrides_edit_by_group_name_and_index() {
        let text = "[simulation]\nname = \"x\" # keep me\nduration = \"1s\"\n\n[[group]]\nname = \"a\"\ncount = 1\n\n[[group]]\nname = \"b\"\ncount = 2\n";
        let edited = apply_overrides(
            text,
            &[
                "group.b.count=5".into(),
                "simulation.duration=\"9s\"".into(),
                "simulation.seed=7".into(),
            ],
        )
        .unwrap();
        assert!(edited.contains("# keep me"));
        assert!(edited.contains("count = 5"));
        assert!(edited.contains("count = 1"));
        assert!(edited.contains("duration = \"9s\""));
        assert!(edited.contains("seed = 7"));
        let bad = apply_overrides(text, &["group.c.count=5".into()])
            .unwrap_err()
            .to_string();
        assert!(bad.contains("no `group` entry called \"c\""), "{bad}");
        let missing = apply_overrides(text, &["fault.0.at=\"1s\"".into()])
            .unwrap_err()
            .to_string();
        assert!(missing.contains("has no `fault` entries"), "{missing}");
        let malformed = apply_overrides(text, &["groupcount".into()])
            .unwrap_err()
            .to_string();
        assert!(malformed.contains("path=value"), "{malformed}");
    }
}
