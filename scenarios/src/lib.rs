//! Scenario files for distsim: the TOML schema, validation with precise errors, building a
//! simulation from a scenario, running it, and the `distsim` command-line program.
//!
//! Most users never write Rust: they describe a system in a scenario file and read the
//! reports. This crate is that boundary. It validates everything once (so the engine and
//! models below can trust their inputs), turns bad input into errors that point at the file,
//! line and column, and never panics on user input.
//!
//! ```
//! use scenarios::{Scenario, diag::Source};
//!
//! let text = r#"
//! [simulation]
//! name = "tiny"
//! seed = 1
//! duration = "2s"
//!
//! [[group]]
//! name = "clients"
//! count = 2
//! role = "client"
//! target = "servers"
//! workload = { rate = "100/s" }
//!
//! [[group]]
//! name = "servers"
//! count = 1
//! role = "server"
//! service = { workers = 1, time = { dist = "exp", mean = "1ms" } }
//! "#;
//! let scenario = Scenario::parse(Source { name: "tiny.toml".into(), text: text.into() }).unwrap();
//! let outcome = scenarios::run::run(&scenario, 1, &mut |_| std::ops::ControlFlow::Continue(()));
//! let latency = outcome.sim.metrics().histogram_by_name("latency.read").unwrap();
//! assert!(latency.len() > 300);
//! ```

pub mod build;
pub mod cache_study;
pub mod check;
pub mod diag;
pub mod faults;
pub mod placement;
pub mod placement_study;
pub mod quantity;
pub mod roles;
pub mod run;
pub mod schema;
pub mod select;
pub mod sweep;
pub mod units;

use std::fmt;
use std::path::Path;

pub use build::{Check, Instance, ReportConfig, Scenario};

use diag::{Diagnostic, Source};

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub enum ScenarioError {
    /// The file could not be read.
    Read {
        /// The path as given.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The scenario is invalid; the diagnostic points at the text.
    Invalid(Box<Diagnostic>),
    /// A `--set path=value` override is malformed or names nothing.
    Override {
        /// The override as given.
        given: String,
        /// What is wrong.
        reason: String,
    },
    /// A `--baseline` file cannot be read, is not a baseline, or belongs to another scenario.
    Baseline {
        /// The path as given.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Read { path, reason } => {
                write!(f, "error: cannot read scenario {path:?}: {reason}")
            }
            ScenarioError::Invalid(diagnostic) => write!(f, "{diagnostic}"),
            ScenarioError::Override { given, reason } => {
                write!(f, "error: invalid --set {given:?}: {reason}")
            }
            ScenarioError::Baseline { path, reason } => {
                write!(f, "error: cannot use baseline {path:?}: {reason}")
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

/// What [`load_text`] appends to a scenario's name when overrides changed its text, so
/// diagnostics do not claim the file says what it does not. Stripped again to find the file's
/// directory (trace paths are relative to it).
pub(crate) const SET_NOTE: &str = " (with --set)";

/// Reads a scenario file and applies `--set path=value` overrides.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let name = path.display().to_string();
    load_text(&name, &text, overrides)
}

/// Parses scenario text, after applying `--set` overrides.
pub fn load_text(name: &str, text: &str, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    if !overrides.is_empty() && text.parse::<toml_edit::DocumentMut>().is_err() {
        // The file itself is broken: report that at its position, not as a bad override.
        Scenario::parse(Source {
            name: name.to_string(),
            text: text.to_string(),
        })?;
    }
    let (label, text) = if overrides.is_empty() {
        (name.to_string(), text.to_string())
    } else {
        (
            format!("{name}{SET_NOTE}"),
            apply_overrides(text, overrides)?,
        )
    };
    let mut scenario = Scenario::parse(Source { name: label, text })?;
    scenario.file = name.to_string();
    scenario.overrides = overrides.to_vec();
    Ok(scenario)
}

/// Applies `path=value` overrides to TOML text, keeping the rest of the file as written.
///
/// Paths are dotted keys; `[[group]]` entries are addressed by name (`group.cache.count=8`),
/// other arrays of tables by index (`fault.0.at="30s"`). The value is TOML (`8`, `"30s"`,
/// `{ dist = "exp", mean = "1ms" }`); a bare word that is not valid TOML is taken as a string.
pub fn apply_overrides(text: &str, overrides: &[String]) -> Result<String, ScenarioError> {
    let mut document: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| ScenarioError::Override {
                given: String::new(),
                reason: format!("the scenario is not valid TOML: {}", e.message()),
            })?;
    for given in overrides {
        let fail = |reason: String| ScenarioError::Override {
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
            let hint = diag::suggest(selector, names.iter().map(String::as_str));
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
