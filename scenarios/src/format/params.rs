//! Parameters as a scenario writes them, handed out by name with their places in the text:
//! [`Params`] for a role's keys in a `[[group]]`, [`TomlArgs`] for the parameters of a model
//! row (a cache policy, a placement scheme, a balancer) read through
//! [`sim_core::registry::Args`], and [`choose`] for a value that names a row
//! (`policy = "s3-fifo"` or `policy = { name = "s3-fifo", small_ratio = 0.2 }`).
//!
//! Every reader removes what it hands out, so whatever is left at the end is a key nobody
//! asked for: an error with the closest valid name, never something silently ignored. Built-in
//! and out-of-tree rows read their parameters through the same readers, so their mistakes get
//! the same file:line:col diagnostics.

use std::ops::Range;

use serde::de::DeserializeOwned;
use sim_core::registry::{ArgError, Args, Param, Registry, Row, UnknownName};
use sim_core::SimDuration;
use toml::Spanned;

use super::diag::{closest, explain_serde, suggest, Diagnostic, Source};
use super::units::parse_duration;

/// `text`, the value of `key`, as a duration longer than zero; a zero or unparsable one is an
/// error at the value.
pub fn positive_duration(
    source: &Source,
    text: &Spanned<String>,
    key: &str,
) -> Result<SimDuration, Diagnostic> {
    match parse_duration(text.get_ref()) {
        Ok(d) if d > SimDuration::ZERO => Ok(d),
        Ok(_) => Err(Diagnostic::error(
            source,
            text.span(),
            format!("`{key}` must be longer than 0"),
        )),
        Err(e) => Err(Diagnostic::error(source, text.span(), e.message)),
    }
}

/// One written key and its value, with their spans.
pub type Entry = (Spanned<String>, Spanned<toml::Value>);

/// A group's role parameters, handed out one key at a time; what is left at the end is an
/// unknown key.
pub struct Params<'a> {
    source: &'a Source,
    group_span: Range<usize>,
    owner: &'static str,
    known: &'static [Param],
    common: &'static [&'static str],
    entries: Vec<Entry>,
    warnings: Vec<Diagnostic>,
}

impl<'a> Params<'a> {
    /// The keys `entries` of a `[[group]]` at `group_span` whose role is `owner`, which knows
    /// `known`; `common` are the keys every group has (for "did you mean").
    pub fn new(
        source: &'a Source,
        group_span: Range<usize>,
        owner: &'static str,
        known: &'static [Param],
        common: &'static [&'static str],
        entries: Vec<Entry>,
    ) -> Self {
        Params {
            source,
            group_span,
            owner,
            known,
            common,
            entries,
            warnings: Vec::new(),
        }
    }

    /// The scenario text, for the role's own diagnostics.
    pub fn source(&self) -> &'a Source {
        self.source
    }

    /// Records a warning about the group (valid, but probably not what was meant).
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(Diagnostic::warning(
            self.source,
            self.group_span.clone(),
            message,
        ));
    }

    /// Adds the entries of an inline table written at `span` (a `detector = { kind = ..,
    /// .. }` that carries its own parameters) as if they were the group's own keys, each
    /// with the table's span; a key given both ways is an error there.
    pub fn extend_from_table(
        &mut self,
        table: &toml::Table,
        span: Range<usize>,
        what: &str,
    ) -> Result<(), Diagnostic> {
        for (key, value) in table {
            if self.entries.iter().any(|(k, _)| k.get_ref() == key) {
                return Err(Diagnostic::error(
                    self.source,
                    span,
                    format!("`{key}` is given both in `{what}` and in the group"),
                )
                .with_help("give it in one place"));
            }
            self.entries.push((
                Spanned::new(span.clone(), key.clone()),
                Spanned::new(span.clone(), value.clone()),
            ));
        }
        Ok(())
    }

    /// Removes `key` and returns its raw value.
    pub fn take_value(&mut self, key: &str) -> Option<Spanned<toml::Value>> {
        let position = self.entries.iter().position(|(k, _)| k.get_ref() == key)?;
        Some(self.entries.remove(position).1)
    }

    /// Removes `key` and deserializes its value.
    pub fn take<T: DeserializeOwned>(
        &mut self,
        key: &str,
    ) -> Result<Option<Spanned<T>>, Diagnostic> {
        let Some(value) = self.take_value(key) else {
            return Ok(None);
        };
        deserialize(self.source, key, value).map(Some)
    }

    /// Like `take`, but the key must be present. If it is missing but a leftover key looks
    /// like a typo of it (`targte`), the error points at that key instead.
    pub fn require<T: DeserializeOwned>(&mut self, key: &str) -> Result<Spanned<T>, Diagnostic> {
        if let Some(value) = self.take(key)? {
            return Ok(value);
        }
        let typo = self
            .entries
            .iter()
            .filter(|(given, _)| !self.known.iter().any(|p| p.name == given.get_ref()))
            .find(|(given, _)| closest(given.get_ref(), [key]).is_some());
        Err(match typo {
            Some((given, _)) => Diagnostic::error(
                self.source,
                given.span(),
                format!(
                    "unknown field `{}` in a `{}` group, which needs `{key}`",
                    given.get_ref(),
                    self.owner
                ),
            )
            .with_help(format!("did you mean `{key}`?")),
            None => Diagnostic::error(
                self.source,
                self.group_span.clone(),
                format!("a `{}` group needs `{key}`", self.owner),
            )
            .with_help(self.describe(key)),
        })
    }

    /// Removes `key` and reads it as a duration longer than zero (`"250ms"`), if given.
    pub fn take_positive_duration(&mut self, key: &str) -> Result<Option<SimDuration>, Diagnostic> {
        match self.take::<String>(key)? {
            None => Ok(None),
            Some(text) => positive_duration(self.source, &text, key).map(Some),
        }
    }

    /// Like `take_positive_duration`, but the key must be present.
    pub fn require_positive_duration(&mut self, key: &str) -> Result<SimDuration, Diagnostic> {
        let text = self.require::<String>(key)?;
        positive_duration(self.source, &text, key)
    }

    /// "`key`: what it is", from the role's parameter list.
    fn describe(&self, key: &str) -> String {
        match self.known.iter().find(|p| p.name == key) {
            Some(param) => format!("`{}`: {}", param.name, param.description),
            None => format!("add `{key}`"),
        }
    }

    /// Fails on the first key nobody took; otherwise returns the role's warnings.
    pub fn finish(self) -> Result<Vec<Diagnostic>, Diagnostic> {
        let Some((key, _)) = self.entries.first() else {
            return Ok(self.warnings);
        };
        let valid = self
            .common
            .iter()
            .copied()
            .chain(self.known.iter().map(|p| p.name));
        Err(Diagnostic::error(
            self.source,
            key.span(),
            format!(
                "unknown field `{}` in a `{}` group",
                key.get_ref(),
                self.owner
            ),
        )
        .with_help(suggest(key.get_ref(), valid)))
    }
}

/// `value` of `key` as a `T`, or a diagnostic in TOML's words pointing at it (at the unknown
/// field inside it, when that is what is wrong).
pub fn deserialize<T: DeserializeOwned>(
    source: &Source,
    key: &str,
    value: Spanned<toml::Value>,
) -> Result<Spanned<T>, Diagnostic> {
    let span = value.span();
    T::deserialize(value.into_inner())
        .map(|parsed| Spanned::new(span.clone(), parsed))
        .map_err(|e| {
            let (message, help) = explain_serde(e.message());
            let field = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next());
            let at = match field {
                Some(field) => source.key_span(span.clone(), &[field]),
                None => span,
            };
            let diagnostic = Diagnostic::error(source, at, format!("invalid `{key}`: {message}"));
            match help {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic,
            }
        })
}

/// Deserializes the value written at `span` of `source` as a `T`, keeping every span inside
/// it: the text is parsed again as `v = <value>` padded with whitespace to the value's own
/// offset, so the spans of `T`'s `Spanned` fields, and of any error, are the source's.
/// (A value taken out of a parsed document as `toml::Value` has lost its inner spans.)
pub fn reparse<T: DeserializeOwned>(source: &Source, span: Range<usize>) -> Result<T, Diagnostic> {
    #[derive(serde::Deserialize)]
    struct Wrapper<T> {
        v: T,
    }
    let value = source.text.get(span.clone()).unwrap_or_default();
    let lead = span.start.saturating_sub(4);
    let padding: String = source.text[..lead]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    let synthetic = format!("{padding}v = {value}");
    debug_assert_eq!(synthetic.len(), span.end.max(lead + 4 + value.len()));
    toml::from_str::<Wrapper<T>>(&synthetic)
        .map(|wrapper| wrapper.v)
        .map_err(|e| {
            let (message, help) = explain_serde(e.message());
            let diagnostic = Diagnostic::error(source, e.span().unwrap_or(span), message);
            match help {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic,
            }
        })
}

/// A model row's parameters from TOML entries, for [`Args`]: each getter removes its entry
/// and remembers where it was, so an error about it points there.
pub struct TomlArgs {
    entries: Vec<Entry>,
    taken: Vec<(&'static str, Range<usize>)>,
    tables: Option<DistTables>,
}

/// Builds a distribution of durations from a table (`{ dist = "exp", mean = "50ms" }`): the
/// scenario's distribution kinds, handed down by the layer that knows them.
pub type DistTables = Box<dyn Fn(&toml::Table) -> Result<sim_core::dist::Distribution, String>>;

impl TomlArgs {
    /// The parameters `entries`.
    pub fn new(entries: Vec<Entry>) -> Self {
        TomlArgs {
            entries,
            taken: Vec::new(),
            tables: None,
        }
    }

    /// Reads distribution tables with `tables` ([`Args::duration_distribution`]).
    pub fn with_distributions(mut self, tables: Option<DistTables>) -> Self {
        self.tables = tables;
        self
    }

    /// Adds one more entry (a role-level shorthand for a row parameter).
    pub fn push(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// Where parameter `name` was written, if it was read.
    pub fn span_of(&self, name: &str) -> Option<Range<usize>> {
        self.taken
            .iter()
            .find(|(taken, _)| *taken == name)
            .map(|(_, span)| span.clone())
    }

    /// The first entry no getter read, if any.
    pub fn leftover(&self) -> Option<&Entry> {
        self.entries.first()
    }

    fn take(&mut self, name: &'static str) -> Option<toml::Value> {
        let position = self.entries.iter().position(|(k, _)| k.get_ref() == name)?;
        let (_, value) = self.entries.remove(position);
        self.taken.push((name, value.span()));
        Some(value.into_inner())
    }
}

/// How a TOML value reads in a message: `"abc"`, `1.5`, `a table`.
pub(crate) fn shown(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => format!("{text:?}"),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(x) => x.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        other => format!("a {}", other.type_str()),
    }
}

fn wrong(name: &'static str, want: &str, got: &toml::Value) -> ArgError {
    ArgError::at(name, format!("`{name}` must be {want}, got {}", shown(got)))
}

impl Args for TomlArgs {
    fn number(&mut self, name: &'static str) -> Result<Option<f64>, ArgError> {
        match self.take(name) {
            None => Ok(None),
            Some(toml::Value::Float(x)) => Ok(Some(x)),
            Some(toml::Value::Integer(n)) => Ok(Some(n as f64)),
            Some(other) => Err(wrong(name, "a number", &other)),
        }
    }

    fn integer(&mut self, name: &'static str) -> Result<Option<u64>, ArgError> {
        match self.take(name) {
            None => Ok(None),
            Some(toml::Value::Integer(n)) if n >= 0 => Ok(Some(n as u64)),
            Some(other) => Err(wrong(name, "a whole number >= 0", &other)),
        }
    }

    fn integers(&mut self, name: &'static str) -> Result<Option<Vec<u64>>, ArgError> {
        match self.take(name) {
            None => Ok(None),
            Some(toml::Value::Array(items)) => {
                let mut list = Vec::with_capacity(items.len());
                for item in &items {
                    match item {
                        toml::Value::Integer(n) if *n >= 0 => list.push(*n as u64),
                        other => return Err(wrong(name, "a list of whole numbers >= 0", other)),
                    }
                }
                Ok(Some(list))
            }
            Some(other) => Err(wrong(name, "a list of whole numbers >= 0", &other)),
        }
    }

    fn text(&mut self, name: &'static str) -> Result<Option<String>, ArgError> {
        match self.take(name) {
            None => Ok(None),
            Some(toml::Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(wrong(name, "a string", &other)),
        }
    }

    fn duration_distribution(
        &mut self,
        name: &'static str,
    ) -> Result<Option<sim_core::dist::Distribution>, ArgError> {
        match self.take(name) {
            None => Ok(None),
            Some(toml::Value::String(text)) => {
                let duration = parse_duration(&text)
                    .map_err(|e| ArgError::at(name, format!("{name}: {}", e.message)))?;
                sim_core::dist::Distribution::constant(duration.as_nanos() as f64)
                    .map(Some)
                    .map_err(|e| ArgError::at(name, format!("{name}: {e}")))
            }
            Some(toml::Value::Table(table)) => match &self.tables {
                Some(build) => build(&table)
                    .map(Some)
                    .map_err(|e| ArgError::at(name, format!("{name}: {e}"))),
                None => Err(ArgError::at(
                    name,
                    format!("`{name}` must be a duration here"),
                )),
            },
            Some(other) => Err(wrong(
                name,
                "a duration or a distribution table { dist = ..., ... }",
                &other,
            )),
        }
    }

    fn unread(&self) -> Option<&str> {
        self.entries.first().map(|(key, _)| key.get_ref().as_str())
    }
}

/// Why a value naming a row could not be resolved.
#[derive(Debug)]
pub enum ChoiceError {
    /// The value is neither a name nor a table with `selector`.
    Shape {
        /// What was written.
        span: Range<usize>,
    },
    /// No row has the name.
    Unknown {
        /// The registry's answer, with the closest name.
        unknown: UnknownName,
        /// Where the name is written.
        span: Range<usize>,
    },
    /// The row refused a parameter (or the whole table, `span` then being the value's).
    Arg {
        /// What is wrong.
        error: ArgError,
        /// Where: the parameter's value, or the whole value.
        span: Range<usize>,
    },
    /// A parameter the row does not take.
    Leftover {
        /// The key.
        key: Spanned<String>,
        /// Where its value is written.
        value: std::ops::Range<usize>,
        /// The rows (other than the chosen one) that take a parameter of that name.
        owners: Vec<&'static str>,
        /// The chosen row's name.
        row: &'static str,
        /// The chosen row's parameters.
        params: &'static [Param],
    },
}

/// Resolves a value naming a row of `registry`: a string (the name, default parameters), or
/// a table whose `selector` key names the row and whose other keys are its parameters, plus
/// `extra` entries (role-level shorthands for row parameters). Calls the row's parser with
/// those parameters; returns what it built and the row.
pub fn choose<'r, T, B>(
    source: &Source,
    registry: &'r Registry<T>,
    value: &Spanned<toml::Value>,
    selector: &str,
    extra: Vec<Entry>,
    tables: Option<DistTables>,
    parse: impl FnOnce(&T, &mut TomlArgs) -> Result<B, ArgError>,
) -> Result<(B, &'r Row<T>), ChoiceError> {
    let whole = value.span();
    let (name, entries): (Spanned<String>, Vec<Entry>) = match value.get_ref() {
        toml::Value::String(name) => (Spanned::new(whole.clone(), name.clone()), Vec::new()),
        toml::Value::Table(_) => {
            let entries = spanned_entries(source, value).ok_or(ChoiceError::Shape {
                span: whole.clone(),
            })?;
            let mut name = None;
            let mut rest = Vec::new();
            for (key, value) in entries {
                match (key.get_ref() == selector, value.get_ref()) {
                    (true, toml::Value::String(text)) => {
                        name = Some(Spanned::new(value.span(), text.clone()))
                    }
                    (true, _) => return Err(ChoiceError::Shape { span: value.span() }),
                    (false, _) => rest.push((key, value)),
                }
            }
            let name = name.ok_or(ChoiceError::Shape {
                span: whole.clone(),
            })?;
            (name, rest)
        }
        _ => return Err(ChoiceError::Shape { span: whole }),
    };
    let row = registry
        .find(name.get_ref())
        .ok_or_else(|| ChoiceError::Unknown {
            unknown: registry.unknown(name.get_ref()),
            span: name.span(),
        })?;
    let mut args = TomlArgs::new(entries).with_distributions(tables);
    for entry in extra {
        args.push(entry);
    }
    let built = parse(&row.value, &mut args).map_err(|error| {
        let span = error
            .param
            .and_then(|param| args.span_of(param))
            .unwrap_or(whole.clone());
        ChoiceError::Arg { error, span }
    })?;
    if let Some((key, value)) = args.leftover() {
        let value = value.span();
        let owners = registry
            .rows()
            .iter()
            .filter(|other| other.name != row.name && other.param(key.get_ref()).is_some())
            .map(|other| other.name)
            .collect();
        return Err(ChoiceError::Leftover {
            key: key.clone(),
            value,
            owners,
            row: row.name,
            params: row.params,
        });
    }
    Ok((built, row))
}

/// A table value's entries with their spans, or `None` if it is not a table. `toml::Value`
/// keeps no spans inside, so the table is deserialized again as spanned entries.
pub fn table_entries(value: &Spanned<toml::Value>) -> Option<Vec<Entry>> {
    let table = value.get_ref().as_table()?;
    // The inner values carry no spans of their own; every entry points at the whole value,
    // and `Source::key_span` narrows an error to its key when the caller has the text.
    let span = value.span();
    Some(
        table
            .iter()
            .map(|(key, inner)| {
                (
                    Spanned::new(span.clone(), key.clone()),
                    Spanned::new(span.clone(), inner.clone()),
                )
            })
            .collect(),
    )
}

/// The entries of a table value, each spanned at its key within `source` (found by
/// [`Source::key_span`]), for errors that point at the parameter.
pub fn spanned_entries(source: &Source, value: &Spanned<toml::Value>) -> Option<Vec<Entry>> {
    let within = value.span();
    let entries = table_entries(value)?;
    Some(
        entries
            .into_iter()
            .map(|(key, inner)| {
                let at = source.key_span(within.clone(), &[key.get_ref()]);
                // Point at the value after `key =` when the key was found, else the table.
                let value_span = if at == within {
                    within.clone()
                } else {
                    value_span_after(source, at.clone()).unwrap_or(at.clone())
                };
                (
                    Spanned::new(at, key.into_inner()),
                    Spanned::new(value_span, inner.into_inner()),
                )
            })
            .collect(),
    )
}

/// The span of the value written after the key at `key` (`key = value`), up to the next `,`,
/// `}` or newline outside brackets and quotes.
pub fn value_span_after(source: &Source, key: Range<usize>) -> Option<Range<usize>> {
    let text = source.text.get(key.end..)?;
    let equals = text.find('=')?;
    let after = &text[equals + 1..];
    let start = after.len() - after.trim_start_matches([' ', '\t']).len();
    let body = &after[start..];
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut end = body.len();
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') if depth > 0 => depth -= 1,
            (None, ',' | '}' | '\n' | '#') if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let begin = key.end + equals + 1 + start;
    Some(begin..begin + body[..end].trim_end().len())
}
