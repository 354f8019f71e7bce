//! What each metric in a `results.json` means: its unit and which way it gets worse, as the
//! family that recorded it declared (`sim_core::metrics`), and the metrics derived from
//! counters with their formulas. These are output-schema types (a serialised type is a
//! compatibility promise), converted from the engine's declarations when a run is written, so
//! `check`, `sweep` and the reports read a metric's meaning from the results alone and never
//! name a model's metric themselves.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim_core::metrics::{self, pattern_matches, Formula, MetricKind};
use sim_core::{Metrics, Unit};

use crate::format::{human_ns, human_value, sig3};

/// What a metric's values measure, which decides how they are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetricUnit {
    /// Simulated nanoseconds.
    #[serde(rename = "ns")]
    Nanoseconds,
    /// Bytes.
    #[serde(rename = "bytes")]
    Bytes,
    /// A plain count.
    #[serde(rename = "count")]
    Count,
    /// A fraction from 0 to 1, shown as a percentage.
    #[serde(rename = "ratio")]
    Ratio,
}

impl From<Unit> for MetricUnit {
    fn from(unit: Unit) -> Self {
        match unit {
            Unit::Nanoseconds => MetricUnit::Nanoseconds,
            Unit::Bytes => MetricUnit::Bytes,
            Unit::Count => MetricUnit::Count,
            Unit::Ratio => MetricUnit::Ratio,
        }
    }
}

impl MetricUnit {
    /// The unit a histogram summary's `unit` field names (`ns`, `bytes`, `count`).
    pub fn from_summary(unit: &str) -> Self {
        match unit {
            "ns" => MetricUnit::Nanoseconds,
            "bytes" => MetricUnit::Bytes,
            "ratio" => MetricUnit::Ratio,
            _ => MetricUnit::Count,
        }
    }

    /// `value` for people: `12.3ms`, `1.50KiB`, `42`, `93.1%`.
    pub fn format(self, value: f64) -> String {
        assert!(value.is_finite(), "only finite values are shown");
        match self {
            MetricUnit::Nanoseconds => human_ns(value),
            MetricUnit::Bytes => human_value(value, Unit::Bytes),
            MetricUnit::Count => {
                // Whole counts print exactly; means of counts over replications get three digits.
                if value.fract().abs() < 1e-9 && value.abs() < 1e15 {
                    format!("{}", value.round() as i64)
                } else {
                    sig3(value)
                }
            }
            MetricUnit::Ratio => format!("{}%", sig3(value * 100.0)),
        }
    }
}

/// Which way a metric gets worse: what a baseline comparison calls a regression.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Up is bad: latencies, timeouts, drops.
    #[serde(rename = "higher_is_worse")]
    HigherIsWorse,
    /// Down is bad: hit ratios, successful responses.
    #[serde(rename = "lower_is_worse")]
    LowerIsWorse,
    /// Neither: reported when it moves, never a regression.
    #[default]
    #[serde(rename = "none")]
    Neutral,
}

impl From<metrics::Direction> for Direction {
    fn from(direction: metrics::Direction) -> Self {
        match direction {
            metrics::Direction::HigherIsWorse => Direction::HigherIsWorse,
            metrics::Direction::LowerIsWorse => Direction::LowerIsWorse,
            metrics::Direction::Neutral => Direction::Neutral,
        }
    }
}

/// The meaning of one recorded counter or histogram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricMeaning {
    /// A histogram's: which way its sample count gets worse. Absent for counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_direction: Option<Direction>,
    /// What it counts or samples, as its family describes it; empty if undeclared.
    #[serde(default)]
    pub description: String,
    /// Which way its value (a histogram: its statistics other than `count`) gets worse.
    pub direction: Direction,
    /// What its values measure.
    pub unit: MetricUnit,
}

/// A metric computed from counters, with its formula so readers can recompute it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DerivedEntry {
    /// Counters summed below the line (`ratio`); empty for a sum. A name with `*` stands for
    /// every counter it matches.
    pub denominator: Vec<String>,
    /// What it says.
    pub description: String,
    /// Which way it gets worse.
    pub direction: Direction,
    /// `ratio` or `sum`.
    pub formula: String,
    /// Counters summed above the line (`ratio`), or summed (`sum`).
    pub numerator: Vec<String>,
    /// What its value measures.
    pub unit: MetricUnit,
    /// Its value in this run; `null` for a ratio of nothing.
    pub value: Option<f64>,
}

impl DerivedEntry {
    /// The value of this formula over `counters` (the same rule the engine's declaration
    /// uses: a ratio needs a denominator counter that exists and is not 0).
    pub fn evaluate(&self, counters: &BTreeMap<String, u64>) -> Option<f64> {
        let sum = |terms: &[String]| -> (u64, bool) {
            let mut total = 0u64;
            let mut found = false;
            for (name, value) in counters {
                if terms.iter().any(|term| pattern_matches(term, name)) {
                    total = total.saturating_add(*value);
                    found = true;
                }
            }
            (total, found)
        };
        // "ratio", "ratio x 3600" (a scaled ratio) or "sum".
        let scale = match self.formula.as_str() {
            "ratio" => Some(1.0),
            other => other
                .strip_prefix("ratio x ")
                .and_then(|scale| scale.parse::<f64>().ok()),
        };
        match scale {
            Some(scale) => {
                let (whole, found) = sum(&self.denominator);
                (found && whole > 0).then(|| sum(&self.numerator).0 as f64 * scale / whole as f64)
            }
            None => Some(sum(&self.numerator).0 as f64),
        }
    }
}

/// The meaning of every counter and histogram `metrics` holds (undeclared ones get their
/// recorded unit and no direction), by name.
pub(crate) fn meanings(metrics: &Metrics) -> BTreeMap<String, MetricMeaning> {
    let mut all = BTreeMap::new();
    for (name, _, _) in metrics.counters() {
        let declared = metrics.meaning(name, MetricKind::Counter);
        all.insert(
            name.to_string(),
            MetricMeaning {
                direction: declared.map_or(Direction::Neutral, |d| d.direction.into()),
                count_direction: None,
                description: declared.map_or(String::new(), |d| d.description.to_string()),
                unit: declared.map_or(MetricUnit::Count, |d| d.unit.into()),
            },
        );
    }
    for (name, unit, _) in metrics.histograms() {
        let declared = metrics.meaning(name, MetricKind::Histogram);
        all.insert(
            name.to_string(),
            MetricMeaning {
                direction: declared.map_or(Direction::Neutral, |d| d.direction.into()),
                count_direction: Some(
                    declared.map_or(Direction::Neutral, |d| d.count_direction.into()),
                ),
                description: declared.map_or(String::new(), |d| d.description.to_string()),
                unit: unit.into(),
            },
        );
    }
    all
}

/// Every declared derived metric whose inputs the run has (a sum always; a ratio when one of
/// its denominator counters was recorded), with its value, by name. The first declaration of
/// a name wins.
pub(crate) fn derived(metrics: &Metrics) -> BTreeMap<String, DerivedEntry> {
    let counters: Vec<(&str, u64)> = metrics.counters().map(|(n, _, v)| (n, v)).collect();
    let mut all = BTreeMap::new();
    for declared in metrics.derived() {
        let (formula, numerator, denominator) = match declared.formula {
            Formula::Ratio {
                numerator,
                denominator,
            } => ("ratio".to_string(), numerator, denominator),
            Formula::ScaledRatio {
                numerator,
                denominator,
                scale,
            } => (format!("ratio x {scale}"), numerator, denominator),
            Formula::Sum { terms } => ("sum".to_string(), terms, &[][..]),
        };
        let has_inputs = formula == "sum"
            || counters
                .iter()
                .any(|(name, _)| denominator.iter().any(|term| pattern_matches(term, name)));
        if !has_inputs || all.contains_key(declared.name) {
            continue;
        }
        let words = |terms: &[&str]| terms.iter().map(|t| t.to_string()).collect();
        all.insert(
            declared.name.to_string(),
            DerivedEntry {
                description: declared.description.to_string(),
                direction: declared.direction.into(),
                denominator: words(denominator),
                formula,
                numerator: words(numerator),
                unit: declared.unit.into(),
                value: declared.evaluate(counters.iter().copied()),
            },
        );
    }
    all
}
