//! A client's `workload = {...}`: when requests arrive (an `arrivals` row, or a closed loop
//! with `concurrency`), which keys they ask for (a `keys` row), what they do (`read`,
//! `write`, `delete`) and how big their values are (`value_size`). A trace replay (`trace`)
//! is the client role's own business (`sections::roles::client`).
//!
//! **A new arrival process** is a [`models::workload::ArrivalProcess`] in its own file and a
//! row here whose parser builds it with [`Arrivals::custom`]; **a new key distribution**
//! likewise ([`models::workload::KeyDistribution`], [`KeyPopularity::custom`]). Their
//! parameters are keys of the workload table (arrivals) or of its `keys` table; a parameter
//! of another row is an error that names the rows it goes with.

use models::workload::{Arrivals, ClosedLoop, KeyPopularity, OpMix, RateShape};
use serde::de::DeserializeOwned;
use sim_core::registry::{Param, Registry, Row};
use sim_core::{Distribution, SimDuration, SimTime};

use crate::format::diag::suggest;
use crate::format::quantity::Dimension;
use crate::format::schema::DistSpec;
use crate::format::units::{parse_duration, parse_rate_per_s};
use crate::sections::distributions::{distribution, ParseDist};

/// A workload error: the field at fault (dotted, `""` for the whole workload) and what is
/// wrong with it.
pub type FieldError = (&'static str, String);

/// The workload keys every workload may have besides the arrival processes' parameters, in
/// the order "expected one of" lists them.
const COMMON_KEYS: [&str; 10] = [
    "concurrency",
    "think_time",
    "keys",
    "read",
    "write",
    "delete",
    "value_size",
    "trace",
    "speed",
    "csv",
];

/// `workload = {...}` as written: the keys every workload understands, and the arrival
/// process's parameters (`extra`), read by its row.
#[derive(Debug, Default)]
pub struct WorkloadSpec {
    /// `arrivals`: the process's name (default `poisson`).
    pub arrivals: Option<String>,
    /// `concurrency`: a closed loop's outstanding requests (or a fast trace replay's).
    pub concurrency: Option<u32>,
    /// `think_time`: a closed loop's pause between an answer and the next request.
    pub think_time: Option<DistSpec>,
    /// `keys = { dist = ..., n = ... }`.
    pub keys: Option<toml::Table>,
    /// Operation weights.
    pub read: Option<f64>,
    /// Operation weights.
    pub write: Option<f64>,
    /// Operation weights.
    pub delete: Option<f64>,
    /// `value_size`: a size distribution.
    pub value_size: Option<DistSpec>,
    /// `trace`: a trace file to replay.
    pub trace: Option<String>,
    /// `speed`: a number, or `"max"` (checked by the client role).
    pub speed: Option<toml::Value>,
    /// `csv`: how to read a CSV trace.
    pub csv: Option<String>,
    /// Every other key: the arrival process's parameters.
    pub extra: toml::Table,
}

fn field<T: DeserializeOwned>(key: &'static str, value: toml::Value) -> Result<T, FieldError> {
    let given = value.clone();
    value.try_into().map_err(|e: toml::de::Error| {
        let (message, _) = crate::format::diag::explain_serde(e.message());
        let shown = match given {
            toml::Value::String(text) => format!("string {text:?}"),
            other => other.type_str().to_string(),
        };
        let message = if message.starts_with("invalid type") {
            message
        } else {
            format!("invalid type: {shown}, {message}")
        };
        (key, message)
    })
}

impl WorkloadSpec {
    /// Reads the table `value`; a key that no workload and no arrival process takes is an
    /// error listing the valid ones.
    pub fn parse(
        value: toml::Value,
        arrivals: &Registry<ParseArrivals>,
    ) -> Result<Self, FieldError> {
        let toml::Value::Table(table) = value else {
            return Err((
                "",
                format!("invalid type: {}, expected a table", value.type_str()),
            ));
        };
        let mut spec = WorkloadSpec::default();
        let arrival_params = arrival_params(arrivals);
        for (key, value) in table {
            match key.as_str() {
                "arrivals" => spec.arrivals = Some(field("arrivals", value)?),
                "concurrency" => spec.concurrency = Some(field("concurrency", value)?),
                "think_time" => spec.think_time = Some(field("think_time", value)?),
                "keys" => spec.keys = Some(field("keys", value)?),
                "read" => spec.read = Some(field("read", value)?),
                "write" => spec.write = Some(field("write", value)?),
                "delete" => spec.delete = Some(field("delete", value)?),
                "value_size" => spec.value_size = Some(field("value_size", value)?),
                "trace" => spec.trace = Some(field("trace", value)?),
                "speed" => spec.speed = Some(value),
                "csv" => spec.csv = Some(field("csv", value)?),
                other if arrival_params.contains(&other) => {
                    spec.extra.insert(key, value);
                }
                _ => {
                    let valid: Vec<String> = std::iter::once("arrivals")
                        .chain(arrival_params.iter().copied())
                        .chain(COMMON_KEYS)
                        .map(|k| format!("`{k}`"))
                        .collect();
                    return Err((
                        "",
                        format!(
                            "unknown field `{key}`, expected one of {}",
                            valid.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(spec)
    }

    /// Whether an arrival process's parameter `name` was written.
    pub fn has(&self, name: &str) -> bool {
        self.extra.contains_key(name)
    }
}

/// Every arrival process's parameters, deduplicated, in row order.
fn arrival_params(arrivals: &Registry<ParseArrivals>) -> Vec<&'static str> {
    let mut names = Vec::new();
    for row in arrivals.rows() {
        for param in row.params {
            if !names.contains(&param.name) {
                names.push(param.name);
            }
        }
    }
    names
}

/// The parameters an arrival process's row reads, from the workload table.
pub struct ArrivalArgs<'a> {
    kind: &'static str,
    extra: &'a toml::Table,
}

impl ArrivalArgs<'_> {
    /// The process being parsed.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Parameter `name` as a string, if written.
    pub fn text(&self, name: &'static str) -> Result<Option<&str>, FieldError> {
        match self.extra.get(name) {
            None => Ok(None),
            Some(toml::Value::String(text)) => Ok(Some(text)),
            Some(other) => Err((
                name,
                format!("`{name}` must be a string, got a {}", other.type_str()),
            )),
        }
    }

    /// `rate`, a rate with its unit (`"1k/s"`), which the process needs.
    pub fn rate(&self) -> Result<f64, FieldError> {
        let kind = self.kind;
        let text = self
            .text("rate")?
            .ok_or(("", format!("`{kind}` arrivals need `rate`, e.g. \"1k/s\"")))?;
        parse_rate_per_s(text).map_err(|e| ("rate", e.message))
    }

    /// Duration parameter `name`, which the process needs.
    pub fn duration(&self, name: &'static str) -> Result<SimDuration, FieldError> {
        let kind = self.kind;
        let text = self
            .text(name)?
            .ok_or(("", format!("`{kind}` arrivals need `{name}`")))?;
        parse_duration(text).map_err(|e| (name, e.message))
    }

    /// Parameter `name` as a `T`, if written.
    pub fn value<T: DeserializeOwned>(&self, name: &'static str) -> Result<Option<T>, FieldError> {
        self.extra
            .get(name)
            .cloned()
            .map(|value| field(name, value))
            .transpose()
    }
}

/// Reads an arrival process's parameters and builds it.
pub type ParseArrivals = fn(&ArrivalArgs<'_>) -> Result<Arrivals, FieldError>;

/// One arrival process's registry row.
pub type ArrivalRow = Row<ParseArrivals>;

/// Poisson and constant arrivals have one parameter, so their model errors are about `rate`.
fn about_rate(error: models::workload::WorkloadError) -> FieldError {
    ("rate", error.to_string())
}

fn about_whole(error: models::workload::WorkloadError) -> FieldError {
    ("", error.to_string())
}

const RATE: Param = Param::required(
    "rate",
    "requests per second, with a unit: \"1k/s\", \"600/min\"",
);

/// Every built-in arrival process, in `distsim list` order.
pub const ARRIVALS: &[ArrivalRow] = &[
    Row {
        name: "poisson",
        aliases: &[],
        description: "independent arrivals at a fixed mean rate",
        params: &[RATE],
        value: |args| Arrivals::poisson(args.rate()?).map_err(about_rate),
    },
    Row {
        name: "constant",
        aliases: &[],
        description: "evenly spaced arrivals, 1/rate apart",
        params: &[RATE],
        value: |args| Arrivals::constant(args.rate()?).map_err(about_rate),
    },
    Row {
        name: "on_off",
        aliases: &[],
        description: "poisson bursts in on windows, silence in off windows",
        params: &[
            RATE,
            Param::required("on", "length of each ON window"),
            Param::required("off", "length of each OFF window"),
        ],
        value: |args| {
            Arrivals::on_off(args.rate()?, args.duration("on")?, args.duration("off")?)
                .map_err(about_whole)
        },
    },
    Row {
        name: "schedule",
        aliases: &[],
        description: "poisson with a piecewise rate: ramps, spikes, diurnal",
        params: &[
            Param::required("points", "[[\"0s\", \"100/s\"], ...]: (time, rate) points"),
            Param::optional("shape", "\"step\"", "\"step\" or \"linear\" between points"),
            Param::optional("repeat", "never", "repeat the schedule with this period"),
        ],
        value: |args| {
            let points: Vec<(String, String)> = args.value("points")?.ok_or((
                "",
                "`schedule` arrivals need `points = [[\"0s\", \"100/s\"], ...]`".to_string(),
            ))?;
            let mut parsed = Vec::with_capacity(points.len());
            for (at, rate) in &points {
                let at = parse_duration(at).map_err(|e| ("points", e.message))?;
                parsed.push((
                    SimTime::ZERO + at,
                    parse_rate_per_s(rate).map_err(|e| ("points", e.message))?,
                ));
            }
            let shape = match args.text("shape")?.unwrap_or("step") {
                "step" => RateShape::Step,
                "linear" => RateShape::Linear,
                other => {
                    return Err((
                        "shape",
                        format!(
                            "unknown schedule shape {other:?}; {}",
                            suggest(other, ["step", "linear"])
                        ),
                    ))
                }
            };
            let repeat = match args.text("repeat")? {
                None => None,
                Some(text) => Some(parse_duration(text).map_err(|e| ("repeat", e.message))?),
            };
            Arrivals::schedule(parsed, shape, repeat).map_err(about_whole)
        },
    },
];

/// The built-in arrival processes as a registry.
pub fn arrivals() -> Registry<ParseArrivals> {
    Registry::new("arrival process", ARRIVALS)
}

/// The parameters a key distribution's row reads, from the `keys` table.
pub struct KeyArgs<'a> {
    kind: &'static str,
    table: &'a toml::Table,
    n_keys: u64,
}

impl KeyArgs<'_> {
    /// `n`: the number of keys.
    pub fn n_keys(&self) -> u64 {
        self.n_keys
    }

    /// Number parameter `name`, which the distribution needs; `example` shows a value.
    pub fn number(&self, name: &'static str, example: &str) -> Result<f64, FieldError> {
        let kind = self.kind;
        match self.table.get(name) {
            Some(toml::Value::Float(x)) => Ok(*x),
            Some(toml::Value::Integer(n)) => Ok(*n as f64),
            Some(other) => Err((
                "keys",
                format!("`{name}` must be a number, got a {}", other.type_str()),
            )),
            None => Err((
                "keys",
                format!("`{kind}` keys need `{name}`, e.g. {name} = {example}"),
            )),
        }
    }
}

/// Reads a key distribution's parameters and builds it.
pub type ParseKeys = fn(&KeyArgs<'_>) -> Result<KeyPopularity, FieldError>;

/// One key distribution's registry row.
pub type KeyRow = Row<ParseKeys>;

fn about_keys(error: models::workload::WorkloadError) -> FieldError {
    ("keys", error.to_string())
}

const N_KEYS: Param = Param::required("n", "number of keys, 0..n");

/// Every built-in key distribution, in `distsim list` order.
pub const KEYS: &[KeyRow] = &[
    Row {
        name: "uniform",
        aliases: &[],
        description: "every key equally likely",
        params: &[N_KEYS],
        value: |args| KeyPopularity::uniform(args.n_keys()).map_err(about_keys),
    },
    Row {
        name: "zipf",
        aliases: &[],
        description: "P(rank k) ~ 1/k^s; key 0 is the hottest",
        params: &[N_KEYS, Param::required("s", "the exponent, e.g. 0.99")],
        value: |args| {
            KeyPopularity::zipf(args.n_keys(), args.number("s", "0.99")?).map_err(about_keys)
        },
    },
    Row {
        name: "hotspot",
        aliases: &[],
        description: "x% of requests go to the first y% of keys",
        params: &[
            N_KEYS,
            Param::required("hot_keys", "the hot keys' fraction of all keys"),
            Param::required("hot_requests", "the fraction of requests that go to them"),
        ],
        value: |args| {
            KeyPopularity::hotspot(
                args.n_keys(),
                args.number("hot_keys", "0.01")?,
                args.number("hot_requests", "0.9")?,
            )
            .map_err(about_keys)
        },
    },
    Row {
        name: "sequential",
        aliases: &[],
        description: "keys 0, 1, ..., n-1, then wraps",
        params: &[N_KEYS],
        value: |args| KeyPopularity::sequential(args.n_keys()).map_err(about_keys),
    },
];

/// The built-in key distributions as a registry.
pub fn key_distributions() -> Registry<ParseKeys> {
    Registry::new("key distribution", KEYS)
}

/// What a sampled (not replayed) workload asks for.
pub struct Sampled {
    /// Open-loop arrivals or a closed loop.
    pub load: SampledLoad,
    /// Key popularity.
    pub keys: KeyPopularity,
    /// Read, write and delete weights.
    pub mix: OpMix,
    /// Value sizes in bytes.
    pub value_size: Distribution,
}

/// An open or closed loop.
pub enum SampledLoad {
    /// Arrivals at their process's times.
    Open(Arrivals),
    /// A fixed number of requests outstanding.
    Closed(ClosedLoop),
}

/// The registries a workload's values name.
pub struct WorkloadVocabulary<'a> {
    /// `arrivals = ...`.
    pub arrivals: &'a Registry<ParseArrivals>,
    /// `keys = { dist = ... }`.
    pub keys: &'a Registry<ParseKeys>,
    /// `think_time` and `value_size` distributions.
    pub distributions: &'a Registry<ParseDist>,
}

/// A sampled workload: its load, keys, operation mix and value sizes.
pub fn parse_sampled(
    spec: &WorkloadSpec,
    vocabulary: &WorkloadVocabulary<'_>,
) -> Result<Sampled, FieldError> {
    for (given, key) in [(spec.speed.is_some(), "speed"), (spec.csv.is_some(), "csv")] {
        if given {
            return Err((
                key,
                format!("`{key}` goes with `trace` (a trace replay), and would be ignored"),
            ));
        }
    }
    let load = parse_load(spec, vocabulary)?;
    let keys = parse_keys(spec.keys.as_ref(), vocabulary.keys)?;
    let (read, write, delete) = match (spec.read, spec.write, spec.delete) {
        (None, None, None) => (1.0, 0.0, 0.0),
        (read, write, delete) => (
            read.unwrap_or(0.0),
            write.unwrap_or(0.0),
            delete.unwrap_or(0.0),
        ),
    };
    let mix = OpMix::new(read, write, delete).map_err(|e| ("", e.to_string()))?;
    let value_size = match &spec.value_size {
        None => Distribution::constant(1024.0).expect("1 KiB is a valid constant"),
        Some(dist) => distribution(dist, Dimension::Size, vocabulary.distributions)
            .map_err(|e| ("value_size", format!("value_size: {e}")))?,
    };
    Ok(Sampled {
        load,
        keys,
        mix,
        value_size,
    })
}

/// The first arrival parameter (then `think_time`) of `spec` that does not apply to load
/// `kind` (`None`: a closed loop; else an arrival row's name). A key given with another kind
/// would be silently ignored, so it is an error.
fn misplaced_key(
    spec: &WorkloadSpec,
    kind: Option<&'static str>,
    arrivals: &Registry<ParseArrivals>,
) -> Option<FieldError> {
    let load = match kind {
        None => "a closed loop (`concurrency`)".to_string(),
        Some(kind) => format!("`{kind}` arrivals"),
    };
    let chosen = kind.and_then(|kind| arrivals.find(kind));
    for name in arrival_params(arrivals) {
        let applies = chosen.is_some_and(|row| row.param(name).is_some());
        if spec.has(name) && !applies {
            let owners: Vec<String> = arrivals
                .rows()
                .iter()
                .filter(|row| row.param(name).is_some())
                .map(|row| format!("`{}`", row.name))
                .collect();
            let goes_with = match owners.as_slice() {
                [one] => format!("{one} arrivals"),
                [init @ .., last] => format!("{} or {last} arrivals", init.join(", ")),
                [] => unreachable!("{name} is some row's parameter"),
            };
            return Some((
                name,
                format!("`{name}` goes with {goes_with}, not with {load}, and would be ignored"),
            ));
        }
    }
    if kind.is_some() && spec.think_time.is_some() {
        return Some((
            "think_time",
            format!("`think_time` goes with `concurrency` (a closed loop), not with {load}, and would be ignored"),
        ));
    }
    None
}

fn parse_load(
    spec: &WorkloadSpec,
    vocabulary: &WorkloadVocabulary<'_>,
) -> Result<SampledLoad, FieldError> {
    if let Some(concurrency) = spec.concurrency {
        if spec.arrivals.is_some() || spec.has("rate") {
            return Err(("concurrency", "give either `concurrency` (closed loop) or `arrivals`/`rate` (open loop), not both".into()));
        }
        if let Some(error) = misplaced_key(spec, None, vocabulary.arrivals) {
            return Err(error);
        }
        let think = match &spec.think_time {
            None => Distribution::constant(0.0).expect("zero think time"),
            Some(dist) => distribution(dist, Dimension::Duration, vocabulary.distributions)
                .map_err(|e| ("think_time", format!("think_time: {e}")))?,
        };
        return ClosedLoop::new(concurrency, think)
            .map(SampledLoad::Closed)
            .map_err(|e| ("concurrency", e.to_string()));
    }
    let kind = spec.arrivals.as_deref().unwrap_or("poisson");
    let Some(row) = vocabulary.arrivals.find(kind) else {
        let help = vocabulary.arrivals.unknown(kind).help();
        return Err(("arrivals", format!("unknown arrivals {kind:?}; {help}")));
    };
    if let Some(error) = misplaced_key(spec, Some(row.name), vocabulary.arrivals) {
        return Err(error);
    }
    let args = ArrivalArgs {
        kind: row.name,
        extra: &spec.extra,
    };
    (row.value)(&args).map(SampledLoad::Open)
}

fn parse_keys(
    table: Option<&toml::Table>,
    registry: &Registry<ParseKeys>,
) -> Result<KeyPopularity, FieldError> {
    let Some(table) = table else {
        return KeyPopularity::uniform(1_000_000).map_err(|e| ("", e.to_string()));
    };
    let mut valid = vec!["dist"];
    for row in registry.rows() {
        for param in row.params {
            if !valid.contains(&param.name) {
                valid.push(param.name);
            }
        }
    }
    if let Some(key) = table.keys().find(|k| !valid.contains(&k.as_str())) {
        let listed: Vec<String> = valid.iter().map(|k| format!("`{k}`")).collect();
        return Err((
            "keys",
            format!(
                "unknown field `{key}`, expected one of {}",
                listed.join(", ")
            ),
        ));
    }
    let dist = match table.get("dist") {
        Some(toml::Value::String(dist)) => dist.as_str(),
        Some(other) => {
            return Err((
                "keys.dist",
                format!("invalid type: {}, expected a string", other.type_str()),
            ))
        }
        None => return Err(("keys", "missing field `dist`".to_string())),
    };
    let n_keys = match table.get("n") {
        Some(toml::Value::Integer(n)) if *n >= 0 => *n as u64,
        Some(other) => {
            return Err((
                "keys",
                format!(
                    "invalid type: {}, expected a whole number >= 0",
                    other.type_str()
                ),
            ))
        }
        None => return Err(("keys", "missing field `n`".to_string())),
    };
    let Some(row) = registry.find(dist) else {
        let help = registry.unknown(dist).help();
        return Err((
            "keys.dist",
            format!("unknown key distribution {dist:?}; {help}"),
        ));
    };
    // A parameter of another key distribution is a mistake, not something to ignore.
    for key in table.keys() {
        if key == "dist" || row.param(key).is_some() {
            continue;
        }
        let owners: Vec<String> = registry
            .rows()
            .iter()
            .filter(|other| other.param(key).is_some())
            .map(|other| format!("`{}`", other.name))
            .collect();
        return Err((
            "keys",
            format!(
                "`{key}` only applies to {} keys, not `{}`",
                owners.join(" and "),
                row.name
            ),
        ));
    }
    let args = KeyArgs {
        kind: row.name,
        table,
        n_keys,
    };
    (row.value)(&args)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the arrival and key rows are unique, and each parses its own parameters only.
    #[test]
    fn rows_are_unique_and_parse() {
        assert_eq!(arrivals().check_unique(), Ok(()));
        assert_eq!(key_distributions().check_unique(), Ok(()));
        let registries = (
            arrivals(),
            key_distributions(),
            crate::sections::distributions::distributions(),
        );
        let vocabulary = WorkloadVocabulary {
            arrivals: &registries.0,
            keys: &registries.1,
            distributions: &registries.2,
        };
        let parse = |text: &str| {
            let value: toml::Table = text.parse().expect("TOML");
            let spec = WorkloadSpec::parse(toml::Value::Table(value), vocabulary.arrivals)?;
            parse_sampled(&spec, &vocabulary).map(|s| match s.load {
                SampledLoad::Open(arrivals) => arrivals.kind_name(),
                SampledLoad::Closed(_) => "closed",
            })
        };
        assert_eq!(parse("rate = \"10/s\""), Ok("poisson"));
        assert_eq!(
            parse("arrivals = \"on_off\"\nrate = \"10/s\"\non = \"1s\"\noff = \"1s\""),
            Ok("on_off")
        );
        assert_eq!(parse("concurrency = 4"), Ok("closed"));
        let misplaced = parse("rate = \"10/s\"\non = \"1s\"").unwrap_err();
        assert_eq!(misplaced.0, "on");
        let unknown = parse("rat = \"10/s\"").unwrap_err();
        assert!(
            unknown
                .1
                .starts_with("unknown field `rat`, expected one of `arrivals`, `rate`, `on`"),
            "{}",
            unknown.1
        );
    }
}
