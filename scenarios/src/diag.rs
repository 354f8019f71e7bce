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

/// Edit distance counting insertions, deletions, substitutions and swaps of neighbours as one
/// edit each (optimal string alignment), for "did you mean": `cahce` is one swap from `cache`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in table.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in table[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[i - 1][j] + 1)
                .min(table[i][j - 1] + 1)
                .min(table[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[i - 2][j - 2] + 1);
            }
            table[i][j] = best;
        }
    }
    table[a.len()][b.len()]
}

/// The candidate closest to `given`, if it is close enough to be a plausible typo (at most a
/// third of the longer word's letters differ).
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(given, c), c))
        .filter(|(d, c)| *d * 3 <= given.chars().count().max(c.chars().count()).max(3))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
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
}
