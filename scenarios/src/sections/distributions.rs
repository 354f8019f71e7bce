//! The `dist = ...` vocabulary: one row per distribution kind a scenario can write
//! (`{ dist = "exp", mean = "40us" }`), each reading its parameters in the units the place
//! calls for (durations for latencies and service times, sizes for value sizes).
//!
//! **A new distribution kind** is a [`sim_core::Sampler`] in its own file with a row whose
//! parser builds it with [`Distribution::custom`], that row added to [`DISTRIBUTIONS`] (or,
//! out of tree, to the registries handed to the scenario loader). The built-in kinds build
//! the engine's own variants, sampled with one `match` on the hot path.

use sim_core::registry::{Registry, Row};
use sim_core::Distribution;

use toml::Spanned;

use crate::format::diag::{Diagnostic, Source};
use crate::format::quantity::{resolve, Dimension, DistError};
use crate::format::schema::{DistSpec, Quantity};
use crate::format::values::dist_diagnostic;

/// Reads one kind's parameters and builds the distribution.
pub type ParseDist = fn(&mut DistArgs<'_>) -> Result<Distribution, DistError>;

/// One distribution kind's registry row.
pub type DistRow = Row<ParseDist>;

/// The parameters of one `{ dist = ..., ... }` table, handed out by name; their scale is in
/// the place's [`Dimension`].
pub struct DistArgs<'a> {
    kind: &'static str,
    table: toml::Table,
    dimension: Dimension,
    registry: &'a Registry<ParseDist>,
}

fn param_error(param: &'static str, message: String) -> DistError {
    DistError::new(message).at(param)
}

impl DistArgs<'_> {
    /// The kind being parsed, for messages.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Whether `name` was written.
    pub fn has(&self, name: &str) -> bool {
        self.table.contains_key(name)
    }

    fn take_quantity(&mut self, name: &'static str) -> Result<Option<Quantity>, DistError> {
        match self.table.remove(name) {
            None => Ok(None),
            Some(value) => quantity_of(&value).map(Some).ok_or_else(|| {
                param_error(
                    name,
                    format!("`{name}`: expected a number or a string with units such as \"2ms\""),
                )
            }),
        }
    }

    /// A scale parameter (a duration or a size, by the place), in engine units.
    pub fn quantity(&mut self, name: &'static str) -> Result<Option<f64>, DistError> {
        let Some(quantity) = self.take_quantity(name)? else {
            return Ok(None);
        };
        resolve(&quantity, self.dimension)
            .map(Some)
            .map_err(|e| param_error(name, format!("`{name}`: {e}")))
    }

    /// A scale parameter that must be given.
    pub fn require_quantity(&mut self, name: &'static str) -> Result<f64, DistError> {
        self.quantity(name)?.ok_or_else(|| missing(name))
    }

    /// A plain number (a shape parameter).
    pub fn number(&mut self, name: &'static str) -> Result<Option<f64>, DistError> {
        match self.table.remove(name) {
            None => Ok(None),
            Some(toml::Value::Float(x)) => Ok(Some(x)),
            Some(toml::Value::Integer(n)) => Ok(Some(n as f64)),
            Some(other) => Err(param_error(
                name,
                format!("invalid type: {}, expected a number", describe(&other)),
            )),
        }
    }

    /// A plain number that must be given.
    pub fn require_number(&mut self, name: &'static str) -> Result<f64, DistError> {
        self.number(name)?.ok_or_else(|| missing(name))
    }

    /// A list of scale values.
    pub fn quantities(&mut self, name: &'static str) -> Result<Option<Vec<f64>>, DistError> {
        let Some(value) = self.table.remove(name) else {
            return Ok(None);
        };
        let items = value
            .as_array()
            .ok_or_else(|| param_error(name, format!("`{name}` must be a list")))?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let quantity = quantity_of(item).ok_or_else(|| {
                param_error(
                    name,
                    format!("`{name}`: expected numbers or strings with units"),
                )
            })?;
            out.push(
                resolve(&quantity, self.dimension)
                    .map_err(|e| param_error(name, format!("`{name}`: {e}")))?,
            );
        }
        Ok(Some(out))
    }

    /// A list of `[value, probability]` pairs: the value a scale, the probability plain.
    pub fn points(&mut self, name: &'static str) -> Result<Option<Vec<(f64, f64)>>, DistError> {
        let Some(value) = self.table.remove(name) else {
            return Ok(None);
        };
        let bad = || {
            param_error(
                name,
                format!("`{name}` must be a list of [value, cumulative probability] pairs"),
            )
        };
        let items = value.as_array().ok_or_else(bad)?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let pair = item.as_array().filter(|p| p.len() == 2).ok_or_else(bad)?;
            let quantity = quantity_of(&pair[0]).ok_or_else(bad)?;
            let at = resolve(&quantity, self.dimension)
                .map_err(|e| param_error(name, format!("`{name}`: {e}")))?;
            let probability = match &pair[1] {
                toml::Value::Float(p) => *p,
                toml::Value::Integer(p) => *p as f64,
                _ => return Err(bad()),
            };
            out.push((at, probability));
        }
        Ok(Some(out))
    }

    /// A list of `{ weight = w, value = { dist = ... } }` parts, each part parsed in the same
    /// dimension with the same vocabulary.
    pub fn parts(
        &mut self,
        name: &'static str,
    ) -> Result<Option<Vec<(f64, Distribution)>>, DistError> {
        let Some(value) = self.table.remove(name) else {
            return Ok(None);
        };
        let bad = || {
            param_error(
                name,
                format!("`{name}` must be a list of {{ weight = w, value = {{ dist = ... }} }}"),
            )
        };
        let items = value.as_array().ok_or_else(bad)?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let part = item.as_table().ok_or_else(bad)?;
            if let Some(extra) = part.keys().find(|k| *k != "weight" && *k != "value") {
                return Err(param_error(
                    name,
                    format!("unknown field `{extra}`, expected `weight` or `value`"),
                ));
            }
            let weight = match part.get("weight") {
                Some(toml::Value::Float(w)) => *w,
                Some(toml::Value::Integer(w)) => *w as f64,
                _ => return Err(param_error(name, "missing field `weight`".to_string())),
            };
            let inner = part
                .get("value")
                .and_then(toml::Value::as_table)
                .ok_or_else(|| param_error(name, "missing field `value`".to_string()))?;
            let inner = DistSpec(inner.clone());
            out.push((weight, distribution(&inner, self.dimension, self.registry)?));
        }
        Ok(Some(out))
    }
}

/// A TOML value as a [`Quantity`], if it is a number or a string.
fn quantity_of(value: &toml::Value) -> Option<Quantity> {
    match value {
        toml::Value::String(text) => Some(Quantity::Text(text.clone())),
        toml::Value::Float(x) => Some(Quantity::Number(*x)),
        toml::Value::Integer(n) => Some(Quantity::Number(*n as f64)),
        _ => None,
    }
}

fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => format!("string {text:?}"),
        other => other.type_str().to_string(),
    }
}

fn missing(name: &'static str) -> DistError {
    DistError::new(format!("missing field `{name}`"))
}

/// serde's words for "this field is not one of these" (`expected `a``, `expected `a` or
/// `b``, `expected one of `a`, `b`, ...``), so a misspelt parameter reads the same as any
/// other misspelt field.
fn expected_one_of(names: &[&str]) -> String {
    match names {
        [] => "there are no fields".to_string(),
        [one] => format!("expected `{one}`"),
        [a, b] => format!("expected `{a}` or `{b}`"),
        many => {
            let quoted: Vec<String> = many.iter().map(|n| format!("`{n}`")).collect();
            format!("expected one of {}", quoted.join(", "))
        }
    }
}

/// Builds the distribution `spec` describes, its scale parameters in `dimension`, by the row
/// of `registry` its `dist` names.
pub fn distribution(
    spec: &DistSpec,
    dimension: Dimension,
    registry: &Registry<ParseDist>,
) -> Result<Distribution, DistError> {
    let mut table = spec.0.clone();
    let kind = match table.remove("dist") {
        Some(toml::Value::String(kind)) => kind,
        Some(other) => {
            let message = format!("invalid type: {}, expected a string", describe(&other));
            return Err(DistError::new(message).at("dist").at_value());
        }
        None => {
            let kinds: Vec<&str> = registry.rows().iter().flat_map(|r| r.spellings()).collect();
            return Err(DistError::new("missing field `dist`")
                .with_help(format!("`dist` is one of {}", kinds.join(", "))));
        }
    };
    let Some(row) = registry.find(&kind) else {
        let spellings: Vec<String> = registry
            .rows()
            .iter()
            .flat_map(|r| r.spellings())
            .map(|s| format!("`{s}`"))
            .collect();
        let message = format!(
            "unknown variant `{kind}`, expected one of {}",
            spellings.join(", ")
        );
        let suggestion = registry.unknown(&kind).suggestion;
        let error = DistError::new(message).at("dist").at_value();
        return Err(match suggestion {
            Some(best) => error.with_help(format!("did you mean `{best}`?")),
            None => error,
        });
    };
    let mut args = DistArgs {
        kind: row.name,
        table,
        dimension,
        registry,
    };
    let unknown = args
        .table
        .keys()
        .find(|key| row.param(key).is_none())
        .cloned();
    if let Some(key) = unknown {
        let names: Vec<&str> = row.params.iter().map(|p| p.name).collect();
        let message = format!("unknown field `{key}`, {}", expected_one_of(&names));
        let suggestion = sim_core::registry::closest(&key, names.iter().copied());
        let error = DistError::new(message);
        return Err(match suggestion {
            Some(best) => error.with_help(format!("did you mean `{best}`?")),
            None => error,
        });
    }
    let built = (row.value)(&mut args)?;
    debug_assert!(
        args.table.is_empty(),
        "a row reads every parameter it declares"
    );
    Ok(built)
}

/// A distribution error from the engine's constructors: its message, about no one parameter
/// in particular (the engine names the parameter in its words).
fn engine(error: sim_core::DistError) -> DistError {
    DistError::new(error.to_string())
}

use sim_core::registry::Param;

const SCALE: &str = "a duration (\"2ms\") or a size (\"1KiB\"), as the place calls for";

/// Every built-in distribution kind, in `distsim list` order.
pub const DISTRIBUTIONS: &[DistRow] = &[
    Row {
        name: "constant",
        aliases: &[],
        description: "always the same value",
        params: &[Param::required("value", SCALE)],
        value: |args| Distribution::constant(args.require_quantity("value")?).map_err(engine),
    },
    Row {
        name: "uniform",
        aliases: &[],
        description: "equally likely between low and high",
        params: &[
            Param::required("low", SCALE),
            Param::required("high", SCALE),
        ],
        value: |args| {
            let low = args.require_quantity("low")?;
            let high = args.require_quantity("high")?;
            Distribution::uniform(low, high).map_err(engine)
        },
    },
    Row {
        name: "exp",
        aliases: &["exponential"],
        description: "memoryless waits, e.g. Poisson arrivals",
        params: &[Param::required("mean", SCALE)],
        value: |args| Distribution::exponential(args.require_quantity("mean")?).map_err(engine),
    },
    Row {
        name: "normal",
        aliases: &[],
        description: "bell curve, truncated at 0",
        params: &[
            Param::required("mean", SCALE),
            Param::required("stddev", SCALE),
        ],
        value: |args| {
            let mean = args.require_quantity("mean")?;
            let stddev = args.require_quantity("stddev")?;
            Distribution::normal(mean, stddev).map_err(engine)
        },
    },
    Row {
        name: "lognormal",
        aliases: &[],
        description: "right-skewed, by median and sigma or by mean and stddev",
        params: &[
            Param::optional("median", "none", "with `sigma`: the median"),
            Param::optional(
                "sigma",
                "none",
                "with `median`: the standard deviation of the log",
            ),
            Param::optional("mean", "none", "with `stddev`: the mean"),
            Param::optional("stddev", "none", "with `mean`: the standard deviation"),
        ],
        value: |args| {
            let forms = (
                args.has("median"),
                args.has("sigma"),
                args.has("mean"),
                args.has("stddev"),
            );
            match forms {
                (true, true, false, false) => {
                    let median = args.require_quantity("median")?;
                    let sigma = args.require_number("sigma")?;
                    Distribution::lognormal_median(median, sigma).map_err(engine)
                }
                (false, false, true, true) => {
                    let mean = args.require_quantity("mean")?;
                    let stddev = args.require_quantity("stddev")?;
                    Distribution::lognormal_mean(mean, stddev).map_err(engine)
                }
                _ => Err(DistError::new(
                    "lognormal takes either `median` and `sigma`, or `mean` and `stddev`",
                )),
            }
        },
    },
    Row {
        name: "pareto",
        aliases: &[],
        description: "power-law tail above a minimum",
        params: &[
            Param::required("scale", "the minimum value, a scale"),
            Param::required("shape", "the tail index, > 0"),
        ],
        value: |args| {
            let scale = args.require_quantity("scale")?;
            let shape = args.require_number("shape")?;
            Distribution::pareto(scale, shape).map_err(engine)
        },
    },
    Row {
        name: "weibull",
        aliases: &[],
        description: "heavy (shape < 1) or light tail",
        params: &[
            Param::required("scale", "the scale"),
            Param::required("shape", "the shape, > 0"),
        ],
        value: |args| {
            let scale = args.require_quantity("scale")?;
            let shape = args.require_number("shape")?;
            Distribution::weibull(scale, shape).map_err(engine)
        },
    },
    Row {
        name: "mixture",
        aliases: &[],
        description: "weighted choice, e.g. fast + stragglers",
        params: &[Param::required(
            "parts",
            "[{ weight = 0.99, value = { dist = ... } }, ...]",
        )],
        value: |args| {
            let parts = args.parts("parts")?.ok_or_else(|| missing("parts"))?;
            Distribution::mixture(parts).map_err(engine)
        },
    },
    Row {
        name: "empirical",
        aliases: &[],
        description: "measured values or a measured CDF",
        params: &[
            Param::optional("values", "none", "equally likely values"),
            Param::optional(
                "cdf",
                "none",
                "[[value, cumulative probability], ...], interpolated linearly",
            ),
        ],
        value: |args| match (args.has("values"), args.has("cdf")) {
            (true, false) => {
                let values = args.quantities("values")?.unwrap_or_default();
                Distribution::empirical_values(values).map_err(engine)
            }
            (false, true) => {
                let points = args.points("cdf")?.unwrap_or_default();
                Distribution::empirical_cdf(points).map_err(engine)
            }
            _ => Err(DistError::new(
                "empirical takes exactly one of `values` or `cdf`",
            )),
        },
    },
];

/// The distribution `spec` (written at its span) describes, or a diagnostic pointing at the
/// parameter at fault.
pub fn dist_at(
    source: &Source,
    spec: &Spanned<DistSpec>,
    dimension: Dimension,
    registry: &Registry<ParseDist>,
) -> Result<Distribution, Diagnostic> {
    distribution(spec.get_ref(), dimension, registry)
        .map_err(|e| dist_diagnostic(source, spec.span(), e))
}

/// The built-in distribution kinds as a registry.
pub fn distributions() -> Registry<ParseDist> {
    Registry::new("distribution", DISTRIBUTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> DistSpec {
        let table: toml::Table = text.parse().expect("valid TOML");
        DistSpec(table)
    }

    // Goal: rows build what they say, refuse mixed forms, and point at the parameter at
    // fault; the built-in rows are unique and cover every engine kind.
    #[test]
    fn builds_distributions() {
        let registry = distributions();
        assert_eq!(registry.check_unique(), Ok(()));
        let exp = distribution(
            &spec("dist = \"exp\"\nmean = \"2ms\""),
            Dimension::Duration,
            &registry,
        );
        assert_eq!(exp.unwrap().mean(), Some(2e6));
        let both = spec("dist = \"lognormal\"\nmedian = \"1ms\"\nsigma = 0.5\nmean = \"1ms\"");
        let error = distribution(&both, Dimension::Duration, &registry).unwrap_err();
        assert!(error.message.contains("either"), "{}", error.message);
        let negative = spec("dist = \"exp\"\nmean = \"-2ms\"");
        let error = distribution(&negative, Dimension::Duration, &registry).unwrap_err();
        assert_eq!(error.param, Some("mean"));
        let typo = spec("dist = \"exp\"\nmeen = \"2ms\"");
        let error = distribution(&typo, Dimension::Duration, &registry).unwrap_err();
        assert_eq!(error.message, "unknown field `meen`, expected `mean`");
        let kinds: std::collections::BTreeSet<&str> =
            sim_core::dist::KIND_NAMES.into_iter().collect();
        let rows: std::collections::BTreeSet<&str> = DISTRIBUTIONS
            .iter()
            .map(|row| {
                if row.name == "exp" {
                    "exponential"
                } else {
                    row.name
                }
            })
            .collect();
        assert_eq!(rows, kinds, "one row per engine kind");
    }
}
