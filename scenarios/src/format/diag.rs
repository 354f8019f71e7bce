//! Diagnostics: errors and warnings that point at the file, line and column, quote the line,
//! and say what would be valid.
//!
//! ```text
//! error: scenarios/examples/bad.toml:12:1: unknown field `latncy` in [network]
//!    |
//! 12 | latncy = "2ms"
//!    | ^^^^^^
//!    = help: did you mean `latency`?
//! ```

use std::fmt;
use std::ops::Range;

/// The scenario text a diagnostic points into.
#[derive(Clone, Debug)]
pub struct Source {
    /// The path as the user gave it (or a description such as `<--set overrides>`).
    pub name: String,
    /// The full text.
    pub text: String,
}

/// A resolved position: 1-based line and column, plus the quoted line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The line's text, without its newline.
    pub line_text: String,
    /// How many characters to underline (at least 1).
    pub width: usize,
}

impl Source {
    /// The location of byte range `span`, clamped to the text.
    pub fn locate(&self, span: Range<usize>) -> Location {
        let start = span.start.min(self.text.len());
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line_text = self.text[line_start..line_end].trim_end_matches('\r');
        let line = self.text[..start].matches('\n').count() + 1;
        let column = self.text[line_start..start].chars().count() + 1;
        let end = span.end.clamp(start, line_end.max(start));
        let width = self.text[start..end].chars().count().max(1);
        Location {
            file: self.name.clone(),
            line,
            column,
            line_text: line_text.to_string(),
            width,
        }
    }
}

impl Source {
    /// The span of the key at `path` (`["keys", "dist"]`) inside the table at `within`, so an
    /// error about one field of an inline table points at that field rather than the whole
    /// table. `within` itself if the key is not written there (e.g. it is missing).
    pub fn key_span(&self, within: Range<usize>, path: &[&str]) -> Range<usize> {
        let mut found = within.clone();
        for key in path {
            let Some(start) = self.find_key(found.start..within.end, key) else {
                return within;
            };
            found = start..start + key.len();
        }
        found
    }

    /// The start of the first `key =` in `range` that is a key (not part of a longer word or
    /// a string).
    fn find_key(&self, range: Range<usize>, key: &str) -> Option<usize> {
        let text = self.text.get(range.clone())?;
        let mut from = 0;
        while let Some(offset) = text[from..].find(key) {
            let start = from + offset;
            let end = start + key.len();
            let before = text[..start].chars().next_back();
            let key_starts = before.is_none_or(|c| matches!(c, '{' | ',' | ' ' | '\t' | '\n'));
            let value_follows = text[end..].trim_start_matches([' ', '\t']).starts_with('=');
            if key_starts && value_follows {
                return Some(range.start + start);
            }
            from = end;
        }
        None
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The scenario cannot run.
    Error,
    /// The scenario runs, but probably not as intended.
    Warning,
}

/// One error or warning about a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where, when known (boxed to keep `Result<_, Diagnostic>` small).
    pub location: Option<Box<Location>>,
    /// What is wrong (lowercase, no final full stop).
    pub message: String,
    /// What would be valid, when there is something to suggest.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span` of `source`.
    pub fn error(source: &Source, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            location: Some(Box::new(source.locate(span))),
            message: message.into(),
            help: None,
        }
    }

    /// An error with no position (e.g. about the file as a whole).
    pub fn error_at_file(source: &Source, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            location: Some(Box::new(Location {
                file: source.name.clone(),
                line: 1,
                column: 1,
                line_text: source.text.lines().next().unwrap_or("").to_string(),
                width: 1,
            })),
            message: message.into(),
            help: None,
        }
    }

    /// A warning at `span` of `source`.
    pub fn warning(source: &Source, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(source, span, message)
        }
    }

    /// Adds a suggestion.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.location {
            Some(at) => {
                writeln!(
                    f,
                    "{label}: {}:{}:{}: {}",
                    at.file, at.line, at.column, self.message
                )?;
                let gutter = at.line.to_string().len();
                writeln!(f, "{:gutter$} |", "")?;
                writeln!(f, "{} | {}", at.line, at.line_text)?;
                let pad: String = at
                    .line_text
                    .chars()
                    .take(at.column - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(f, "{:gutter$} | {pad}{}", "", "^".repeat(at.width))?;
            }
            None => write!(f, "{label}: {}", self.message)?,
        }
        if let Some(help) = &self.help {
            write!(
                f,
                "\n{:w$} = help: {help}",
                "",
                w = self
                    .location
                    .as_ref()
                    .map_or(0, |a| a.line.to_string().len())
            )?;
        }
        Ok(())
    }
}

pub use sim_core::registry::{closest, edit_distance};

/// `n` and `noun`, plural unless `n` is 1: `1 fault`, `3 faults`, `0 checks` (for the nouns
/// distsim's messages use, all regular).
pub fn counted(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// "did you mean `x`?" if something is close, else the full list of valid names.
pub fn suggest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match closest(given, candidates.clone()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => {
            let all: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
            format!("valid names are {}", all.join(", "))
        }
    }
}

/// serde's names for the types a scenario value can have, and how a TOML writer says them.
const SERDE_TYPE_WORDS: [(&str, &str); 14] = [
    ("expected i64", "expected a whole number"),
    ("expected i32", "expected a whole number"),
    ("expected u64", "expected a whole number >= 0"),
    ("expected u32", "expected a whole number >= 0"),
    ("expected u16", "expected a whole number >= 0"),
    ("expected u8", "expected a whole number >= 0"),
    ("expected usize", "expected a whole number >= 0"),
    ("expected f64", "expected a number"),
    ("expected f32", "expected a number"),
    ("expected a sequence", "expected a list"),
    ("expected a map", "expected a table"),
    ("expected a boolean", "expected true or false"),
    (
        "expected internally tagged enum DistSpec",
        "expected a distribution such as { dist = \"exp\", mean = \"1ms\" }",
    ),
    (
        "expected a tuple of size 2",
        "expected a pair such as [\"0s\", \"100/s\"]",
    ),
];

/// Rewrites serde's wording of a type or name error for people who write TOML, not Rust
/// ("expected i64" becomes "expected a whole number", "expected struct ServiceSpec" becomes
/// "expected a table"), and finds the help: "did you mean" for an unknown field or variant, or
/// a reminder that numbers are written without quotes.
pub fn explain_serde(message: &str) -> (String, Option<String>) {
    let mut plain = message.trim().to_string();
    for (rust, toml) in SERDE_TYPE_WORDS {
        // Only whole words: "expected u64" must not rewrite "expected u640".
        if let Some(at) = plain.find(rust) {
            let after = &plain[at + rust.len()..];
            if !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                plain.replace_range(at..at + rust.len(), toml);
            }
        }
    }
    if let Some(at) = plain.find("expected struct ") {
        let name_end = plain[at + "expected struct ".len()..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(plain.len(), |i| at + "expected struct ".len() + i);
        plain.replace_range(at..name_end, "expected a table");
    }
    let mut help = None;
    for prefix in ["unknown field `", "unknown variant `"] {
        if let Some(rest) = plain.strip_prefix(prefix) {
            let given = rest.split('`').next().unwrap_or("");
            let candidates = rest.split('`').skip(2).step_by(2);
            help = closest(given, candidates).map(|best| format!("did you mean `{best}`?"));
        }
    }
    if let Some(rest) = plain.strip_prefix("invalid type: string \"") {
        let given = rest.split('"').next().unwrap_or("");
        if plain.contains("expected a whole number") || plain.contains("expected a number") {
            let number = given.replace('_', "");
            if number.trim().parse::<f64>().is_ok() {
                help = Some(format!(
                    "numbers are written without quotes: {}",
                    given.trim()
                ));
            } else if let Some(Ok(percent)) = number
                .trim()
                .strip_suffix('%')
                .map(|p| p.trim().parse::<f64>())
            {
                help = Some(format!(
                    "write a percentage as a fraction: {}% is {}",
                    percent,
                    percent / 100.0
                ));
            }
        }
    }
    (plain, help)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: positions are 1-based lines and columns, and the rendering quotes and underlines.
    #[test]
    fn locates_and_renders() {
        let source = Source {
            name: "x.toml".into(),
            text: "[network]\nlatncy = \"2ms\"\n".into(),
        };
        let diagnostic = Diagnostic::error(&source, 10..16, "unknown field `latncy`")
            .with_help("did you mean `latency`?");
        let text = diagnostic.to_string();
        assert_eq!(
            text,
            "error: x.toml:2:1: unknown field `latncy`\n  |\n2 | latncy = \"2ms\"\n  | ^^^^^^\n  = help: did you mean `latency`?"
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("latncy", "latency"), 1);
        assert_eq!(edit_distance("cahce", "cache"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("latncy", ["latency", "loss"]), Some("latency"));
        assert_eq!(closest("zzzzzz", ["latency", "loss"]), None);
        assert_eq!(suggest("qq", ["a", "b"]), "valid names are `a`, `b`");
    }

    // Goal: an error about one field of an inline table points at that field's key.
    #[test]
    fn finds_keys_inside_tables() {
        let source = Source {
            name: "x.toml".into(),
            text: "w = { arrivals = \"rate\", rate = \"2k\", keys = { dist = \"zipf\" } }".into(),
        };
        let within = 4..source.text.len();
        let at = |path: &[&str]| {
            let span = source.key_span(within.clone(), path);
            source.text[span].to_string()
        };
        assert_eq!(at(&["rate"]), "rate");
        assert_eq!(source.key_span(within.clone(), &["rate"]).start, 25);
        assert_eq!(at(&["keys", "dist"]), "dist");
        assert_eq!(source.key_span(within.clone(), &["value_size"]), within);
    }

    // Goal: serde's Rust wording becomes TOML wording, with a hint where one helps.
    #[test]
    fn explains_serde_messages() {
        #[track_caller]
        fn check(message: &str, plain: &str, help: Option<&str>) {
            let (got, got_help) = explain_serde(message);
            assert_eq!(got, plain);
            assert_eq!(got_help.as_deref(), help);
        }
        check(
            "invalid type: string \"4\", expected i64",
            "invalid type: string \"4\", expected a whole number",
            Some("numbers are written without quotes: 4"),
        );
        check(
            "invalid type: string \"1%\", expected f64",
            "invalid type: string \"1%\", expected a number",
            Some("write a percentage as a fraction: 1% is 0.01"),
        );
        check(
            "invalid type: string \"fast\", expected struct ServiceSpec",
            "invalid type: string \"fast\", expected a table",
            None,
        );
        check(
            "unknown field `rat`, expected one of `rate`, `on`",
            "unknown field `rat`, expected one of `rate`, `on`",
            Some("did you mean `rate`?"),
        );
        check("missing field `n`", "missing field `n`", None);
    }
}
