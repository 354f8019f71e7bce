//! Registries: every pluggable kind (roles, cache policies, placement schemes, balancers,
//! distributions, arrival processes, fault kinds, plots, metric tables) is one [`Row`] in one
//! [`Registry`].
//!
//! This is the extension point of distsim. A row holds what a person needs to use the thing
//! (its name, other accepted spellings, a one-line description, its parameters with their
//! defaults) and what the program needs to build it (the row's `value`: a constructor or a
//! parser, whose type each kind chooses). `distsim list`, the documentation test and
//! "did you mean" hints all read the same rows, so adding a kind is one new file and one row,
//! and nothing else matches on names. The pattern is ripgrep's one-implementation-per-flag
//! list (`crates/core/flags/defs.rs`), where help, man page and completions come from one
//! slice.
//!
//! A registry is a plain value (no global state): the built-in rows come from each family's
//! `const` slice, and a user's own crate can [`add`](Registry::add) rows to its copy before
//! handing it to the scenario loader. Two rows may not share a name or an alias: [`add`]
//! refuses it, and each family's tests call [`check_unique`](Registry::check_unique) on its
//! built-in slice, so a clash is a test failure, never a runtime surprise.
//!
//! ```
//! use sim_core::registry::{Param, Registry, Row};
//!
//! const DOUBLE: Row<fn(f64) -> f64> = Row {
//!     name: "double",
//!     aliases: &["twice"],
//!     description: "multiplies by two",
//!     params: &[Param::required("x", "the number")],
//!     value: |x| 2.0 * x,
//! };
//! let registry = Registry::new("operation", &[DOUBLE]);
//! assert_eq!((registry.lookup("twice").unwrap().value)(4.0), 8.0);
//! let error = registry.lookup("doubel").unwrap_err();
//! assert_eq!(error.to_string(), "unknown operation \"doubel\" (did you mean \"double\"?)");
//! ```
//!
//! [`add`]: Registry::add

use std::fmt;

/// One parameter of a row: its name, its default (as a scenario would write it; `None` when
/// the parameter is required) and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// The key a scenario writes.
    pub name: &'static str,
    /// The default, written as in a scenario file (`"160"`, `"\"1s\""`); `None` if required.
    pub default: Option<&'static str>,
    /// One line: what it is, with its unit.
    pub description: &'static str,
}

impl Param {
    /// A parameter that must be given.
    pub const fn required(name: &'static str, description: &'static str) -> Param {
        Param {
            name,
            default: None,
            description,
        }
    }

    /// A parameter with a default.
    pub const fn optional(
        name: &'static str,
        default: &'static str,
        description: &'static str,
    ) -> Param {
        Param {
            name,
            default: Some(default),
            description,
        }
    }
}

/// One registered thing: how people name it and what builds it.
#[derive(Debug)]
pub struct Row<T> {
    /// The name scenario files and command lines use.
    pub name: &'static str,
    /// Other accepted spellings (never shown first, always accepted).
    pub aliases: &'static [&'static str],
    /// One line for `distsim list` and the docs.
    pub description: &'static str,
    /// Its parameters, in the order the docs list them.
    pub params: &'static [Param],
    /// The constructor or parser; its type is the kind's choice.
    pub value: T,
}

impl<T: Clone> Clone for Row<T> {
    fn clone(&self) -> Self {
        Row {
            name: self.name,
            aliases: self.aliases,
            description: self.description,
            params: self.params,
            value: self.value.clone(),
        }
    }
}

impl<T> Row<T> {
    /// Whether `name` is this row's name or one of its aliases, as the registry matches.
    fn answers_to(&self, name: &str, folding: Folding) -> bool {
        self.spellings().any(|known| folding.same(known, name))
    }

    /// The row's name, then its aliases.
    pub fn spellings(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }

    /// The parameter called `name`, if the row has one.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// How a registry compares a given name with its rows' spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Folding {
    /// Byte for byte.
    Exact,
    /// Ignoring ASCII case, and treating `_` and `-` as the same (for names that come from
    /// other tools, like cache policies named as libCacheSim names them).
    Loose,
}

impl Folding {
    fn same(self, known: &str, given: &str) -> bool {
        match self {
            Folding::Exact => known == given,
            Folding::Loose => {
                known.len() == given.len()
                    && known
                        .bytes()
                        .zip(given.bytes())
                        .all(|(a, b)| fold_byte(a) == fold_byte(b))
            }
        }
    }
}

fn fold_byte(byte: u8) -> u8 {
    match byte.to_ascii_lowercase() {
        b'_' => b'-',
        other => other,
    }
}

/// The rows of one kind, in the order `distsim list` shows them.
#[derive(Debug)]
pub struct Registry<T> {
    kind: &'static str,
    folding: Folding,
    rows: Vec<Row<T>>,
}

impl<T: Clone> Clone for Registry<T> {
    fn clone(&self) -> Self {
        Registry {
            kind: self.kind,
            folding: self.folding,
            rows: self.rows.clone(),
        }
    }
}

/// Why a row could not be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateName {
    /// The registry's kind, e.g. `"cache policy"`.
    pub kind: &'static str,
    /// The spelling two rows share.
    pub name: &'static str,
    /// The row that had it first.
    pub first: &'static str,
    /// The row that wanted it too.
    pub second: &'static str,
}

impl fmt::Display for DuplicateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "two {} rows answer to \"{}\": \"{}\" and \"{}\"",
            self.kind, self.name, self.first, self.second
        )
    }
}

impl std::error::Error for DuplicateName {}

/// A name no row answers to, with the closest spelling when one is close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// The registry's kind, e.g. `"cache policy"`.
    pub kind: &'static str,
    /// The name as given.
    pub given: String,
    /// The closest spelling, if it is a plausible typo.
    pub suggestion: Option<&'static str>,
    /// Every row's name, in list order.
    pub known: Vec<&'static str>,
}

impl UnknownName {
    /// "did you mean `x`?", or the list of valid names: the help line of a diagnostic.
    pub fn help(&self) -> String {
        match self.suggestion {
            Some(best) => format!("did you mean `{best}`?"),
            None => {
                let all: Vec<String> = self.known.iter().map(|c| format!("`{c}`")).collect();
                format!("valid names are {}", all.join(", "))
            }
        }
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.kind, self.given)?;
        match self.suggestion {
            Some(best) => write!(f, " (did you mean {best:?}?)"),
            None => write!(f, "; known: {}", self.known.join(", ")),
        }
    }
}

impl std::error::Error for UnknownName {}

impl<T: Clone> Registry<T> {
    /// A registry of `kind` (`"cache policy"`, used in messages) holding `rows`, matched
    /// exactly. Duplicates are not checked here (built-in slices are checked by tests with
    /// [`check_unique`](Registry::check_unique)); [`add`](Registry::add) checks each new row.
    pub fn new(kind: &'static str, rows: &[Row<T>]) -> Self {
        Registry {
            kind,
            folding: Folding::Exact,
            rows: rows.to_vec(),
        }
    }
}

impl<T> Registry<T> {
    /// The same registry, matching names with `folding`.
    pub fn with_folding(mut self, folding: Folding) -> Self {
        self.folding = folding;
        self
    }

    /// The kind, as messages name it.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Adds a row after the others. Refused if any of its spellings is taken.
    pub fn add(&mut self, row: Row<T>) -> Result<(), DuplicateName> {
        for spelling in row.spellings() {
            if let Some(first) = self
                .rows
                .iter()
                .find(|known| known.answers_to(spelling, self.folding))
            {
                return Err(DuplicateName {
                    kind: self.kind,
                    name: spelling,
                    first: first.name,
                    second: row.name,
                });
            }
        }
        self.rows.push(row);
        Ok(())
    }

    /// Fails on the first spelling two rows share (a row's own alias equal to its name
    /// counts too).
    pub fn check_unique(&self) -> Result<(), DuplicateName> {
        for (index, row) in self.rows.iter().enumerate() {
            let spellings: Vec<&'static str> = row.spellings().collect();
            for (position, spelling) in spellings.iter().enumerate() {
                let repeated = spellings[..position]
                    .iter()
                    .any(|s| self.folding.same(s, spelling));
                let earlier = self.rows[..index]
                    .iter()
                    .find(|known| known.answers_to(spelling, self.folding));
                if let Some(first) = earlier.map(|r| r.name).or(repeated.then_some(row.name)) {
                    return Err(DuplicateName {
                        kind: self.kind,
                        name: spelling,
                        first,
                        second: row.name,
                    });
                }
            }
        }
        Ok(())
    }

    /// The row answering to `name` (its name or an alias), if any.
    pub fn find(&self, name: &str) -> Option<&Row<T>> {
        self.rows
            .iter()
            .find(|row| row.answers_to(name, self.folding))
    }

    /// The row answering to `name`, or an error naming the closest spelling.
    pub fn lookup(&self, name: &str) -> Result<&Row<T>, UnknownName> {
        self.find(name).ok_or_else(|| self.unknown(name))
    }

    /// The error for a name no row answers to.
    pub fn unknown(&self, name: &str) -> UnknownName {
        let spellings = self.rows.iter().flat_map(|row| row.spellings());
        UnknownName {
            kind: self.kind,
            given: name.to_string(),
            suggestion: closest(name, spellings),
            known: self.names().collect(),
        }
    }

    /// Every row, in list order.
    pub fn rows(&self) -> &[Row<T>] {
        &self.rows
    }

    /// Every row's name, in list order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + Clone + '_ {
        self.rows.iter().map(|row| row.name)
    }
}

/// Why a row's parameters were refused: the parameter at fault, if one is, and what is wrong
/// (naming the parameter, lowercase, no final full stop).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgError {
    /// The parameter at fault, so a diagnostic can point at it; `None` for the whole table.
    pub param: Option<&'static str>,
    /// What is wrong.
    pub message: String,
}

impl ArgError {
    /// An error about parameter `param`.
    pub fn at(param: &'static str, message: impl Into<String>) -> Self {
        ArgError {
            param: Some(param),
            message: message.into(),
        }
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ArgError {}

/// The parameters given to a row, read by name: how a row's constructor sees a scenario's
/// `{ scheme = "ring", vnodes = 160 }` or a command line's `--vnodes 160`, without knowing
/// either format. Each getter returns `Ok(None)` when the parameter is absent and an error
/// when it is present with the wrong type; the reader knows where each value was written, so
/// its errors point there. Parameters a row never asks for are refused by the reader after
/// the constructor returns (a parameter of another kind is a mistake, not something to
/// ignore).
pub trait Args {
    /// A number (integers are accepted too).
    fn number(&mut self, name: &'static str) -> Result<Option<f64>, ArgError>;
    /// A whole number >= 0.
    fn integer(&mut self, name: &'static str) -> Result<Option<u64>, ArgError>;
    /// A list of whole numbers >= 0.
    fn integers(&mut self, name: &'static str) -> Result<Option<Vec<u64>>, ArgError>;
    /// A string.
    fn text(&mut self, name: &'static str) -> Result<Option<String>, ArgError>;
    /// A distribution of durations, in nanoseconds: a duration string (`"50ms"`, a constant)
    /// or, where the reader knows the distribution kinds, a table (`{ dist = "exp", mean =
    /// "50ms" }`). This default reads the string form only.
    fn duration_distribution(
        &mut self,
        name: &'static str,
    ) -> Result<Option<crate::dist::Distribution>, ArgError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        let duration = crate::SimDuration::parse(&text)
            .map_err(|e| ArgError::at(name, format!("{name}: {e}")))?;
        crate::dist::Distribution::constant(duration.as_nanos() as f64)
            .map(Some)
            .map_err(|e| ArgError::at(name, format!("{name}: {e}")))
    }
    /// The first parameter given that no getter has read, if any: after the row's parser has
    /// run, a key it does not take.
    fn unread(&self) -> Option<&str>;
}

/// The constructor a model row holds: it reads the row's parameters and builds a `B` (a
/// cache policy's spec, a placement scheme's, a balancer's).
pub type ParseArgs<B> = fn(&mut dyn Args) -> Result<B, ArgError>;

/// A parameter's value in an [`ArgMap`].
#[derive(Clone, Debug, PartialEq)]
pub enum ArgValue {
    /// A number.
    Number(f64),
    /// A whole number.
    Integer(u64),
    /// A list of whole numbers.
    Integers(Vec<u64>),
    /// A string.
    Text(String),
}

/// [`Args`] from a plain list of `(name, value)` pairs: command-line flags, tests, defaults
/// (an empty map gives every parameter its default). Reading a parameter removes it;
/// [`Args::unread`] names the first one nobody read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ArgMap {
    entries: Vec<(String, ArgValue)>,
}

impl ArgMap {
    /// No parameters: every row's defaults.
    pub fn new() -> Self {
        ArgMap::default()
    }

    /// The same map with `name` set to `value`.
    pub fn with(mut self, name: &str, value: ArgValue) -> Self {
        self.entries.retain(|(known, _)| known != name);
        self.entries.push((name.to_string(), value));
        self
    }

    fn take(&mut self, name: &str) -> Option<ArgValue> {
        let position = self.entries.iter().position(|(known, _)| known == name)?;
        Some(self.entries.remove(position).1)
    }

    fn wrong(name: &'static str, want: &str, got: &ArgValue) -> ArgError {
        ArgError::at(name, format!("`{name}` must be {want}, got {got:?}"))
    }
}

impl Args for ArgMap {
    fn number(&mut self, name: &'static str) -> Result<Option<f64>, ArgError> {
        match self.take(name) {
            None => Ok(None),
            Some(ArgValue::Number(n)) => Ok(Some(n)),
            Some(ArgValue::Integer(n)) => Ok(Some(n as f64)),
            Some(other) => Err(Self::wrong(name, "a number", &other)),
        }
    }

    fn integer(&mut self, name: &'static str) -> Result<Option<u64>, ArgError> {
        match self.take(name) {
            None => Ok(None),
            Some(ArgValue::Integer(n)) => Ok(Some(n)),
            Some(other) => Err(Self::wrong(name, "a whole number >= 0", &other)),
        }
    }

    fn integers(&mut self, name: &'static str) -> Result<Option<Vec<u64>>, ArgError> {
        match self.take(name) {
            None => Ok(None),
            Some(ArgValue::Integers(list)) => Ok(Some(list)),
            Some(other) => Err(Self::wrong(name, "a list of whole numbers", &other)),
        }
    }

    fn text(&mut self, name: &'static str) -> Result<Option<String>, ArgError> {
        match self.take(name) {
            None => Ok(None),
            Some(ArgValue::Text(text)) => Ok(Some(text)),
            Some(other) => Err(Self::wrong(name, "a string", &other)),
        }
    }

    fn unread(&self) -> Option<&str> {
        self.entries.first().map(|(name, _)| name.as_str())
    }
}

/// Reads integer parameter `name` of a row, with `default` when absent, checked to lie in
/// `range` (inclusive); the error names the parameter, the range and the value.
pub fn integer_in(
    args: &mut dyn Args,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ArgError> {
    let value = args.integer(name)?.unwrap_or(default);
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ArgError::at(
            name,
            format!(
                "`{name}` must be from {} to {}, got {value}",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// Edit distance between two names, counting an adjacent transposition as one edit
/// (optimal string alignment), so "lur" is closer to "lru" than to "lfu".
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
/// third of the longer word's letters differ). Ties go to the alphabetically first.
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(given, c), c))
        .filter(|(d, c)| *d * 3 <= given.chars().count().max(c.chars().count()).max(3))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &'static str, aliases: &'static [&'static str]) -> Row<u8> {
        Row {
            name,
            aliases,
            description: "",
            params: &[],
            value: 0,
        }
    }

    // Goal: lookups find names and aliases, loosely when asked, and unknown names get the
    // closest spelling or the full list.
    #[test]
    fn finds_names_aliases_and_suggests() {
        let registry = Registry::new("policy", &[row("s3-fifo", &["s3fifo"]), row("lru", &[])]);
        assert_eq!(registry.find("s3fifo").map(|r| r.name), Some("s3-fifo"));
        assert!(registry.find("S3_FIFO").is_none());
        let loose = registry.clone().with_folding(Folding::Loose);
        assert_eq!(loose.find("S3_FIFO").map(|r| r.name), Some("s3-fifo"));
        let typo = registry.lookup("lur").unwrap_err();
        assert_eq!(typo.suggestion, Some("lru"));
        assert_eq!(typo.help(), "did you mean `lru`?");
        let far = registry.lookup("zzzzzz").unwrap_err();
        assert_eq!(far.suggestion, None);
        assert_eq!(far.help(), "valid names are `s3-fifo`, `lru`");
        assert_eq!(
            far.to_string(),
            "unknown policy \"zzzzzz\"; known: s3-fifo, lru"
        );
    }

    // Goal: a spelling two rows share is refused by `add` and found by `check_unique`,
    // including an alias that repeats its own row's name.
    #[test]
    fn duplicates_are_refused() {
        let mut registry = Registry::new("role", &[row("client", &["source"])]);
        let clash = registry.add(row("sink", &["source"])).unwrap_err();
        assert_eq!((clash.first, clash.second), ("client", "sink"));
        assert!(registry.add(row("server", &[])).is_ok());
        assert_eq!(registry.check_unique(), Ok(()));
        let bad = Registry::new("role", &[row("a", &[]), row("b", &["a"])]);
        assert_eq!(bad.check_unique().unwrap_err().name, "a");
        let own = Registry::new("role", &[row("a", &["a"])]);
        assert_eq!(own.check_unique().unwrap_err().second, "a");
        let loose = Registry::new("policy", &[row("s3-fifo", &[]), row("s3_fifo", &[])])
            .with_folding(Folding::Loose);
        assert!(loose.check_unique().is_err());
    }

    // Goal: an ArgMap hands each parameter out once, converts integers to numbers, refuses
    // wrong types with the parameter's name, and reports what nobody read.
    #[test]
    fn arg_maps() {
        let mut args = ArgMap::new()
            .with("vnodes", ArgValue::Integer(100))
            .with("epsilon", ArgValue::Integer(1))
            .with("scheme", ArgValue::Text("ring".into()))
            .with("extra", ArgValue::Number(0.5));
        assert_eq!(args.integer("vnodes"), Ok(Some(100)));
        assert_eq!(args.integer("vnodes"), Ok(None));
        assert_eq!(args.number("epsilon"), Ok(Some(1.0)));
        let wrong = args.number("scheme").unwrap_err();
        assert_eq!(wrong.param, Some("scheme"));
        assert!(wrong.message.contains("must be a number"), "{wrong}");
        assert_eq!(args.unread(), Some("extra"));
        let range = integer_in(&mut ArgMap::new(), "bits", 1, 1..=8);
        assert_eq!(range, Ok(1));
        let mut big = ArgMap::new().with("bits", ArgValue::Integer(9));
        let error = integer_in(&mut big, "bits", 1, 1..=8).unwrap_err();
        assert_eq!(error.message, "`bits` must be from 1 to 8, got 9");
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("latncy", "latency"), 1);
        assert_eq!(edit_distance("cahce", "cache"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("latncy", ["latency", "loss"]), Some("latency"));
        assert_eq!(closest("zzzzzz", ["latency", "loss"]), None);
    }
}
