//! What a metric means: its unit and which way it gets worse, declared by whoever records it.
//!
//! A CI baseline needs to know that `client.timeouts` going up is bad and `cache.hit_ratio`
//! going down is bad; a sweep table needs to know which variant is best. That knowledge
//! belongs with the code that records the metric, not with the report writer, so each family
//! exports a [`MetricTable`] (the engine's is [`ENGINE_METRICS`]) and a run
//! [`declares`](crate::Metrics::declare) the tables of the families it uses. `results.json`
//! carries every recorded metric's unit and direction and every derived metric's formula, and
//! `distsim check`, `sweep` and the reports read them from there.
//!
//! Names may hold one `*`, which stands for any non-empty text (`net.dropped.*`,
//! `service.*.wait`); the first declaration that matches a name is its meaning.

use super::Unit;

/// Which way a metric gets worse: what a baseline comparison calls a regression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Up is bad: latencies, timeouts, drops.
    HigherIsWorse,
    /// Down is bad: hit ratios, successful responses.
    LowerIsWorse,
    /// Neither: workload inputs, traffic, bookkeeping. Reported when it moves, never a
    /// regression.
    Neutral,
}

impl Direction {
    /// The name `results.json` uses: `higher_is_worse`, `lower_is_worse` or `none`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::HigherIsWorse => "higher_is_worse",
            Direction::LowerIsWorse => "lower_is_worse",
            Direction::Neutral => "none",
        }
    }
}

/// Whether a declaration is about counters or histograms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    /// A running total.
    Counter,
    /// A distribution of samples.
    Histogram,
}

/// The meaning of one recorded metric (or of every metric a pattern matches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricDecl {
    /// The metric's name, or a pattern with one `*`.
    pub name: &'static str,
    /// Counter or histogram.
    pub kind: MetricKind,
    /// What its values measure.
    pub unit: Unit,
    /// Which way it gets worse (for a histogram: its statistics other than `count`).
    pub direction: Direction,
    /// For a histogram, which way its sample count gets worse: fewer successful requests is
    /// worse, while more work served is just more work. Equal to `direction` for counters.
    pub count_direction: Direction,
    /// One line: what is counted or sampled.
    pub description: &'static str,
}

impl MetricDecl {
    /// A counter of plain counts.
    pub const fn counter(
        name: &'static str,
        direction: Direction,
        description: &'static str,
    ) -> Self {
        MetricDecl {
            name,
            kind: MetricKind::Counter,
            unit: Unit::Count,
            direction,
            count_direction: direction,
            description,
        }
    }

    /// A histogram of `unit` samples, its statistics getting worse in `direction` and its
    /// sample count in `count_direction`.
    pub const fn histogram(
        name: &'static str,
        unit: Unit,
        direction: Direction,
        count_direction: Direction,
        description: &'static str,
    ) -> Self {
        MetricDecl {
            name,
            kind: MetricKind::Histogram,
            unit,
            direction,
            count_direction,
            description,
        }
    }

    /// Whether `metric` is this declaration's name or matches its pattern.
    pub fn matches(&self, metric: &str) -> bool {
        pattern_matches(self.name, metric)
    }
}

/// How a derived metric is computed from counters. Terms may be patterns (`net.dropped.*`);
/// a pattern term stands for the sum of every counter it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Formula {
    /// `sum(numerator) / sum(denominator)`; no value when the denominator is 0, and none when
    /// no denominator counter was recorded at all.
    Ratio {
        /// Counters added above the line.
        numerator: &'static [&'static str],
        /// Counters added below the line.
        denominator: &'static [&'static str],
    },
    /// `sum(numerator) × scale / sum(denominator)`, as [`Formula::Ratio`]: a rate in other
    /// units than its counters' (false positives per member-hour from member-seconds).
    ScaledRatio {
        /// Counters added above the line.
        numerator: &'static [&'static str],
        /// Counters added below the line.
        denominator: &'static [&'static str],
        /// What the ratio is multiplied by.
        scale: u32,
    },
    /// The sum of the terms (0 when none was recorded).
    Sum {
        /// Counters added.
        terms: &'static [&'static str],
    },
}

/// A metric computed from counters, declared by the family that owns the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DerivedMetric {
    /// Its name, e.g. `cache.hit_ratio`.
    pub name: &'static str,
    /// How it is computed.
    pub formula: Formula,
    /// [`Unit::Ratio`] for ratios, [`Unit::Count`] for sums.
    pub unit: Unit,
    /// Which way it gets worse.
    pub direction: Direction,
    /// One line: what it says.
    pub description: &'static str,
}

impl DerivedMetric {
    /// Its value from counter totals (`counters` in any order), or `None` when it has none:
    /// a ratio of nothing, or a ratio none of whose denominator counters exists.
    pub fn evaluate<'a>(
        &self,
        counters: impl Iterator<Item = (&'a str, u64)> + Clone,
    ) -> Option<f64> {
        let sum = |terms: &[&str]| -> (u64, bool) {
            let mut total = 0u64;
            let mut found = false;
            for (name, value) in counters.clone() {
                if terms.iter().any(|term| pattern_matches(term, name)) {
                    total = total.saturating_add(value);
                    found = true;
                }
            }
            (total, found)
        };
        let ratio = |numerator: &[&str], denominator: &[&str], scale: u32| {
            let (whole, found) = sum(denominator);
            if !found || whole == 0 {
                return None;
            }
            Some(sum(numerator).0 as f64 * f64::from(scale) / whole as f64)
        };
        match self.formula {
            Formula::Ratio {
                numerator,
                denominator,
            } => ratio(numerator, denominator, 1),
            Formula::ScaledRatio {
                numerator,
                denominator,
                scale,
            } => ratio(numerator, denominator, scale),
            Formula::Sum { terms } => Some(sum(terms).0 as f64),
        }
    }
}

/// A curve computed from two histograms of the same quantity: per value range, the fraction
/// of the `denominator`'s samples that are also in the `numerator` (whose samples are a subset
/// of the denominator's). t-visibility is one: of the reads issued t after a write, the
/// fraction that saw it. Declared by the family that records both; reports draw every
/// declared curve whose histograms hold samples, without knowing what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricCurve {
    /// Its name, e.g. `consistency.t_visibility`.
    pub name: &'static str,
    /// The histogram of the samples that count (a subset of the denominator's).
    pub numerator: &'static str,
    /// The histogram of every sample.
    pub denominator: &'static str,
    /// One line: what the curve says.
    pub description: &'static str,
}

/// One family's metrics: what it records and what is derived from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricTable {
    /// Counters and histograms.
    pub recorded: &'static [MetricDecl],
    /// Metrics computed from its counters.
    pub derived: &'static [DerivedMetric],
    /// Curves computed from pairs of its histograms.
    pub curves: &'static [MetricCurve],
}

/// Whether `metric` is `pattern`, or matches it with `*` standing for any non-empty text.
pub fn pattern_matches(pattern: &str, metric: &str) -> bool {
    match pattern.split_once('*') {
        Some((prefix, suffix)) => {
            metric.len() > prefix.len() + suffix.len()
                && metric.starts_with(prefix)
                && metric.ends_with(suffix)
        }
        None => metric == pattern,
    }
}

/// What the engine itself records: traffic, drops, lost work, faults, and every service
/// model's wait and sojourn times.
pub const ENGINE_METRICS: MetricTable = MetricTable {
    recorded: &[
        MetricDecl::counter(
            "net.sent",
            Direction::Neutral,
            "messages handed to the network (self-sends excluded)",
        ),
        MetricDecl::counter(
            "net.delivered",
            Direction::Neutral,
            "messages delivered to a node (copies included)",
        ),
        MetricDecl::counter(
            "net.duplicated",
            Direction::Neutral,
            "extra copies the network made",
        ),
        MetricDecl::counter(
            "net.dropped.*",
            Direction::HigherIsWorse,
            "messages dropped, by cause (partition, loss, receiver_down)",
        ),
        MetricDecl::counter(
            "work.rejected",
            Direction::HigherIsWorse,
            "work items a full queue rejected",
        ),
        MetricDecl::counter(
            "work.dropped.*",
            Direction::HigherIsWorse,
            "work items a full queue dropped",
        ),
        MetricDecl::counter(
            "work.lost.*",
            Direction::HigherIsWorse,
            "work items (queued or in service) lost, by cause",
        ),
        MetricDecl::counter(
            "faults.fired",
            Direction::Neutral,
            "faults fired, every kind",
        ),
        MetricDecl::counter(
            "faults.fired.*",
            Direction::Neutral,
            "faults fired, by kind",
        ),
        MetricDecl::histogram(
            "service.*.wait",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::Neutral,
            "time a work item waited for a worker, per group",
        ),
        MetricDecl::histogram(
            "service.*.sojourn",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::Neutral,
            "time from submission to the end of service, per group",
        ),
    ],
    derived: &[DerivedMetric {
        name: "net.dropped.total",
        formula: Formula::Sum {
            terms: &["net.dropped.*"],
        },
        unit: Unit::Count,
        direction: Direction::HigherIsWorse,
        description: "the sum of every net.dropped.<cause> counter",
    }],
    curves: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: patterns match what they say and nothing shorter.
    #[test]
    fn patterns() {
        assert!(pattern_matches("net.dropped.*", "net.dropped.loss"));
        assert!(!pattern_matches("net.dropped.*", "net.dropped."));
        assert!(pattern_matches("service.*.wait", "service.db.wait"));
        assert!(!pattern_matches("service.*.wait", "service.db.sojourn"));
        assert!(pattern_matches("net.sent", "net.sent"));
        assert!(!pattern_matches("net.sent", "net.sent.x"));
    }

    // Goal: ratios of nothing have no value, sums of nothing are 0, patterns sum.
    #[test]
    fn derived_values() {
        const RATIO: DerivedMetric = DerivedMetric {
            name: "hit_ratio",
            formula: Formula::Ratio {
                numerator: &["hits"],
                denominator: &["hits", "misses"],
            },
            unit: Unit::Ratio,
            direction: Direction::LowerIsWorse,
            description: "",
        };
        let counters = [("hits", 80u64), ("misses", 20), ("net.dropped.loss", 4)];
        assert_eq!(RATIO.evaluate(counters.iter().copied()), Some(0.8));
        let zero = [("hits", 0u64), ("misses", 0)];
        assert_eq!(RATIO.evaluate(zero.iter().copied()), None);
        assert_eq!(RATIO.evaluate([("other", 1u64)].iter().copied()), None);
        let total = ENGINE_METRICS.derived[0];
        assert_eq!(total.evaluate(counters.iter().copied()), Some(4.0));
        assert_eq!(total.evaluate(std::iter::empty()), Some(0.0));
    }
}
