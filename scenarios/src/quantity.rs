//! Turning written quantities and distributions into engine values, given what they measure.
//!
//! A latency distribution's parameters are durations (`mean = "40us"`, converted to
//! nanoseconds), a value-size distribution's are sizes (`median = "1KiB"`, bytes), and shape
//! parameters are plain numbers. A bare number where a unit is needed is an error: `mean = 40`
//! could be seconds or microseconds, and a scenario must not leave that to a guess.

use std::fmt;

use sim_core::Distribution;

use crate::schema::{DistSpec, Quantity};
use crate::units::{parse_duration, parse_size_bytes};

/// What a quantity measures, which decides its units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// A duration, written with units; becomes nanoseconds.
    Duration,
    /// A size, written with units; becomes bytes.
    Size,
    /// A plain number.
    Plain,
}

impl Dimension {
    fn example(self) -> &'static str {
        match self {
            Dimension::Duration => "\"2ms\"",
            Dimension::Size => "\"1KiB\"",
            Dimension::Plain => "2.5",
        }
    }
}

/// The value of `quantity` in the engine unit of `dimension`.
pub fn resolve(quantity: &Quantity, dimension: Dimension) -> Result<f64, String> {
    match (quantity, dimension) {
        (Quantity::Text(text), Dimension::Duration) => parse_duration(text)
            .map(|d| d.as_nanos() as f64)
            .map_err(|e| e.message),
        (Quantity::Text(text), Dimension::Size) => parse_size_bytes(text)
            .map(|b| b as f64)
            .map_err(|e| e.message),
        (Quantity::Text(text), Dimension::Plain) => {
            Err(format!("expected a plain number, got the string {text:?}"))
        }
        (Quantity::Number(n), Dimension::Plain) => Ok(*n),
        (Quantity::Number(n), _) => Err(format!("{n} needs a unit, e.g. {}", dimension.example())),
    }
}

/// Why a distribution could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistError {
    /// The parameter at fault (`"mean"`), when the error is about one, so a diagnostic can
    /// point at it.
    pub param: Option<&'static str>,
    /// What is wrong; names the parameter, if any.
    pub message: String,
}

impl fmt::Display for DistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for DistError {
    fn from(message: String) -> Self {
        DistError {
            param: None,
            message,
        }
    }
}

/// Builds the distribution `spec` describes, its scale parameters in `dimension`.
pub fn distribution(spec: &DistSpec, dimension: Dimension) -> Result<Distribution, DistError> {
    let q = |name: &'static str, quantity: &Quantity| {
        resolve(quantity, dimension).map_err(|e| DistError {
            param: Some(name),
            message: format!("`{name}`: {e}"),
        })
    };
    let built = match spec {
        DistSpec::Constant { value } => Distribution::constant(q("value", value)?),
        DistSpec::Uniform { low, high } => Distribution::uniform(q("low", low)?, q("high", high)?),
        DistSpec::Exp { mean } => Distribution::exponential(q("mean", mean)?),
        DistSpec::Normal { mean, stddev } => {
            Distribution::normal(q("mean", mean)?, q("stddev", stddev)?)
        }
        DistSpec::Lognormal {
            median,
            sigma,
            mean,
            stddev,
        } => match (median, sigma, mean, stddev) {
            (Some(median), Some(sigma), None, None) => {
                Distribution::lognormal_median(q("median", median)?, *sigma)
            }
            (None, None, Some(mean), Some(stddev)) => {
                Distribution::lognormal_mean(q("mean", mean)?, q("stddev", stddev)?)
            }
            _ => {
                return Err(
                    "lognormal takes either `median` and `sigma`, or `mean` and `stddev`"
                        .to_string()
                        .into(),
                )
            }
        },
        DistSpec::Pareto { scale, shape } => Distribution::pareto(q("scale", scale)?, *shape),
        DistSpec::Weibull { scale, shape } => Distribution::weibull(q("scale", scale)?, *shape),
        DistSpec::Mixture { parts } => {
            let mut built = Vec::with_capacity(parts.len());
            for part in parts {
                built.push((part.weight, distribution(&part.value, dimension)?));
            }
            Distribution::mixture(built)
        }
        DistSpec::Empirical { values, cdf } => match (values, cdf) {
            (Some(values), None) => {
                let values: Result<Vec<f64>, DistError> =
                    values.iter().map(|v| q("values", v)).collect();
                Distribution::empirical_values(values?)
            }
            (None, Some(points)) => {
                let points: Result<Vec<(f64, f64)>, DistError> =
                    points.iter().map(|(v, p)| Ok((q("cdf", v)?, *p))).collect();
                Distribution::empirical_cdf(points?)
            }
            _ => {
                return Err("empirical takes exactly one of `values` or `cdf`"
                    .to_string()
                    .into())
            }
        },
    };
    built.map_err(|e| e.to_string().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Quantity {
        Quantity::Text(s.to_string())
    }

    // Goal: units convert to the engine's units, and missing units are refused with a hint.
    #[test]
    fn resolves_by_dimension() {
        assert_eq!(resolve(&text("40us"), Dimension::Duration), Ok(40_000.0));
        assert_eq!(resolve(&text("1KiB"), Dimension::Size), Ok(1024.0));
        assert_eq!(resolve(&Quantity::Number(0.5), Dimension::Plain), Ok(0.5));
        let error = resolve(&Quantity::Number(40.0), Dimension::Duration).unwrap_err();
        assert_eq!(error, "40 needs a unit, e.g. \"2ms\"");
    }

    #[test]
    fn builds_distributions() {
        let exp = DistSpec::Exp { mean: text("2ms") };
        assert_eq!(
            distribution(&exp, Dimension::Duration).unwrap().mean(),
            Some(2e6)
        );
        let both = DistSpec::Lognormal {
            median: Some(text("1ms")),
            sigma: Some(0.5),
            mean: Some(text("1ms")),
            stddev: None,
        };
        assert!(distribution(&both, Dimension::Duration)
            .unwrap_err()
            .message
            .contains("either"));
        let negative = DistSpec::Exp { mean: text("-2ms") };
        let error = distribution(&negative, Dimension::Duration).unwrap_err();
        assert_eq!(error.param, Some("mean"));
    }
}
