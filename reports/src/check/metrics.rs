//! The metrics a check can name in a `results.json`, their units, and which way each gets worse.
//!
//! A check names a counter (`client.timeouts`), a histogram statistic (`latency.read.p99`,
//! `service.db.wait.mean`, `latency.all.count`), or a metric derived from counters
//! ([`DERIVED_METRICS`]). Everything here is read from a [`ResultsFile`], so a check of a fresh
//! run and a check of a stored `results.json` see the same numbers.

use serde::{Deserialize, Serialize};

use crate::format::{human_ns, human_value, percentile_label, sig3};
use crate::results::{MetricSummary, ResultsFile, STANDARD_PERCENTILES};

/// Metrics computed from counters, with what each is. A ratio of nothing (no requests, no cache
/// lookups) has no value, like a percentile of an empty histogram.
pub const DERIVED_METRICS: [(&str, &str); 3] = [
    ("cache.hit_ratio", "cache.hits / (cache.hits + cache.misses)"),
    (
        "client.error_ratio",
        "(client.timeouts + client.responses.busy + client.responses.unavailable) / client.requests",
    ),
    ("net.dropped.total", "the sum of every net.dropped.<cause> counter"),
];

/// The counters whose sum over `client.requests` is `client.error_ratio`: requests that got no
/// useful answer.
const ERROR_COUNTERS: [&str; 3] = [
    "client.timeouts",
    "client.responses.busy",
    "client.responses.unavailable",
];

/// The statistics every histogram has, besides extra percentiles (`p99.99`, when the run asked
/// for them) and any percentile spelt out (`p99.9` is `p999`).
pub const HISTOGRAM_STATS: [&str; 8] = ["count", "mean", "min", "max", "p50", "p90", "p99", "p999"];

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

impl MetricUnit {
    /// `value` for people: `12.3ms`, `1.50KiB`, `42`, `93.1%`.
    pub fn format(self, value: f64) -> String {
        assert!(value.is_finite(), "only finite values are shown");
        match self {
            MetricUnit::Nanoseconds => human_ns(value),
            MetricUnit::Bytes => human_value(value, sim_core::Unit::Bytes),
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Up is bad: latencies, timeouts, drops.
    #[serde(rename = "higher_is_worse")]
    HigherIsWorse,
    /// Down is bad: hit ratios, successful responses.
    #[serde(rename = "lower_is_worse")]
    LowerIsWorse,
    /// Neither: reported when it moves, never a regression.
    #[serde(rename = "none")]
    Neutral,
}

/// Which way each metric gets worse, first match wins; a `*` matches any text. Every other
/// metric is [`Direction::Neutral`]: workload inputs (`client.requests`), traffic
/// (`net.sent`), fault counts and placement bookkeeping move with the scenario, not with its
/// quality.
const DIRECTIONS: [(&str, Direction); 21] = [
    // Successful requests: fewer means more failed or went unanswered.
    ("latency.*.count", Direction::LowerIsWorse),
    // Work a group served: more is throughput or retries, so no direction.
    ("service.*.count", Direction::Neutral),
    // Every other latency and service-time statistic: slower is worse.
    ("latency.*", Direction::HigherIsWorse),
    ("service.*", Direction::HigherIsWorse),
    ("client.responses.ok", Direction::LowerIsWorse),
    ("cache.hits", Direction::LowerIsWorse),
    ("cache.hit_ratio", Direction::LowerIsWorse),
    ("client.timeouts", Direction::HigherIsWorse),
    ("client.late_responses", Direction::HigherIsWorse),
    ("client.responses.busy", Direction::HigherIsWorse),
    ("client.responses.unavailable", Direction::HigherIsWorse),
    ("client.responses.miss", Direction::HigherIsWorse),
    ("client.error_ratio", Direction::HigherIsWorse),
    ("cache.misses", Direction::HigherIsWorse),
    ("cache.writes_lost", Direction::HigherIsWorse),
    ("balancer.unavailable", Direction::HigherIsWorse),
    ("balancer.probes.failed", Direction::HigherIsWorse),
    ("net.dropped.*", Direction::HigherIsWorse),
    ("work.rejected", Direction::HigherIsWorse),
    ("work.dropped.*", Direction::HigherIsWorse),
    ("work.lost.*", Direction::HigherIsWorse),
];

/// Which way `metric` gets worse (see the table in this module).
pub fn direction_of(metric: &str) -> Direction {
    DIRECTIONS
        .iter()
        .find(|(pattern, _)| match pattern.split_once('*') {
            Some((prefix, suffix)) => {
                metric.len() >= prefix.len() + suffix.len()
                    && metric.starts_with(prefix)
                    && metric.ends_with(suffix)
            }
            None => metric == *pattern,
        })
        .map_or(Direction::Neutral, |(_, direction)| *direction)
}

/// A metric found in a results file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricValue {
    /// Its value, or `None` when it exists but has none: a statistic of a histogram with no
    /// samples, a ratio of nothing.
    pub value: Option<f64>,
    /// What it measures.
    pub unit: MetricUnit,
}

/// `metric` in `results`: a counter, a derived metric or a histogram statistic; `None` if the
/// results have no such metric.
pub fn metric_value(results: &ResultsFile, metric: &str) -> Option<MetricValue> {
    if let Some(total) = results.counters.get(metric) {
        return Some(MetricValue {
            value: Some(*total as f64),
            unit: MetricUnit::Count,
        });
    }
    derived_value(results, metric).or_else(|| histogram_statistic(results, metric))
}

fn derived_value(results: &ResultsFile, metric: &str) -> Option<MetricValue> {
    let counter = |name: &str| results.counters.get(name).copied();
    let ratio = |part: u64, whole: u64| MetricValue {
        value: (whole > 0).then(|| part as f64 / whole as f64),
        unit: MetricUnit::Ratio,
    };
    match metric {
        "cache.hit_ratio" => {
            let (hits, misses) = (counter("cache.hits")?, counter("cache.misses")?);
            Some(ratio(hits, hits.saturating_add(misses)))
        }
        "client.error_ratio" => {
            let requests = counter("client.requests")?;
            let errors = ERROR_COUNTERS
                .iter()
                .map(|name| counter(name).unwrap_or(0))
                .fold(0u64, u64::saturating_add);
            Some(ratio(errors, requests))
        }
        "net.dropped.total" => {
            let dropped = results
                .counters
                .iter()
                .filter(|(name, _)| name.starts_with("net.dropped."))
                .map(|(_, total)| *total)
                .fold(0u64, u64::saturating_add);
            Some(MetricValue {
                value: Some(dropped as f64),
                unit: MetricUnit::Count,
            })
        }
        _ => None,
    }
}

/// `<histogram>.<stat>`, for the longest histogram name that prefixes `metric`.
fn histogram_statistic(results: &ResultsFile, metric: &str) -> Option<MetricValue> {
    let (name, summary) = results
        .metrics
        .iter()
        .filter(|(name, _)| {
            metric.len() > name.len() + 1
                && metric.starts_with(name.as_str())
                && metric.as_bytes()[name.len()] == b'.'
        })
        .max_by_key(|(name, _)| name.len())?;
    let stat = &metric[name.len() + 1..];
    let unit = match summary.unit.as_str() {
        "ns" => MetricUnit::Nanoseconds,
        "bytes" => MetricUnit::Bytes,
        _ => MetricUnit::Count,
    };
    if stat == "count" {
        return Some(MetricValue {
            value: Some(summary.count as f64),
            unit: MetricUnit::Count,
        });
    }
    let value = match stat {
        "mean" => summary.mean,
        "min" => summary.min.map(|v| v as f64),
        "max" => summary.max.map(|v| v as f64),
        _ => percentile(summary, stat)?.map(|v| v as f64),
    };
    Some(MetricValue { value, unit })
}

/// A percentile statistic (`p99`, `p999`, `p99.9`, `p99.99`) of a summary: `None` if the
/// summary does not hold that percentile, `Some(None)` if it holds it without a value.
fn percentile(summary: &MetricSummary, stat: &str) -> Option<Option<u64>> {
    let standard = [summary.p50, summary.p90, summary.p99, summary.p999];
    if let Some(index) = STANDARD_PERCENTILES
        .iter()
        .position(|(_, key)| *key == stat)
    {
        return Some(standard[index]);
    }
    let number: f64 = stat.strip_prefix('p')?.parse().ok()?;
    if !(number > 0.0 && number < 100.0) {
        return None;
    }
    let label = percentile_label(number);
    if let Some(index) = STANDARD_PERCENTILES
        .iter()
        .position(|(p, _)| percentile_label(*p) == label)
    {
        return Some(standard[index]);
    }
    summary.extra_percentiles.get(&format!("p{label}")).copied()
}

/// Every metric a check can name in `results`, sorted: counters, derived metrics, and each
/// histogram's statistics and extra percentiles.
pub fn metric_names(results: &ResultsFile) -> Vec<String> {
    let mut names: Vec<String> = results.counters.keys().cloned().collect();
    names.extend(
        DERIVED_METRICS
            .iter()
            .filter(|(name, _)| derived_value(results, name).is_some())
            .map(|(name, _)| name.to_string()),
    );
    for (name, summary) in &results.metrics {
        names.extend(HISTOGRAM_STATS.iter().map(|stat| format!("{name}.{stat}")));
        names.extend(
            summary
                .extra_percentiles
                .keys()
                .map(|key| format!("{name}.{key}")),
        );
    }
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::results_with;

    // Goal: every way of naming a metric finds the right number, and a name that does not
    // exist finds nothing. Method: a hand-made results file with one histogram (an extra
    // percentile, p99.99), counters, and each derived metric, looked up through one helper.
    #[test]
    fn finds_counters_statistics_and_derived_metrics() {
        let results = results_with(
            &[
                ("cache.hits", 80),
                ("cache.misses", 20),
                ("client.requests", 200),
                ("client.timeouts", 3),
                ("client.responses.busy", 1),
                ("net.dropped.loss", 4),
                ("net.dropped.partition", 5),
            ],
            2_000_000,
        );
        #[track_caller]
        fn check(results: &ResultsFile, metric: &str, want: Option<(Option<f64>, MetricUnit)>) {
            let got = metric_value(results, metric).map(|m| (m.value, m.unit));
            assert_eq!(got, want, "{metric}");
        }
        let ns = MetricUnit::Nanoseconds;
        check(&results, "latency.read.p99", Some((Some(2_000_000.0), ns)));
        check(
            &results,
            "latency.read.p99.9",
            Some((Some(3_000_000.0), ns)),
        );
        check(&results, "latency.read.p999", Some((Some(3_000_000.0), ns)));
        check(
            &results,
            "latency.read.p99.99",
            Some((Some(4_000_000.0), ns)),
        );
        check(&results, "latency.read.mean", Some((Some(1_100_000.0), ns)));
        check(&results, "latency.read.min", Some((Some(100_000.0), ns)));
        check(&results, "latency.read.max", Some((Some(5_000_000.0), ns)));
        check(
            &results,
            "latency.read.count",
            Some((Some(1_000.0), MetricUnit::Count)),
        );
        check(&results, "latency.write.p99", Some((None, ns)));
        check(
            &results,
            "client.timeouts",
            Some((Some(3.0), MetricUnit::Count)),
        );
        check(
            &results,
            "cache.hit_ratio",
            Some((Some(0.8), MetricUnit::Ratio)),
        );
        check(
            &results,
            "client.error_ratio",
            Some((Some(0.02), MetricUnit::Ratio)),
        );
        check(
            &results,
            "net.dropped.total",
            Some((Some(9.0), MetricUnit::Count)),
        );
        check(&results, "latency.read.p75", None);
        check(&results, "latency.read.median", None);
        check(&results, "latency.read", None);
        check(&results, "latency.raed.p99", None);
        check(&results, "client.timeout", None);

        let names = metric_names(&results);
        for name in [
            "cache.hit_ratio",
            "latency.read.p99.99",
            "net.dropped.total",
        ] {
            assert!(names.contains(&name.to_string()), "{name} in {names:?}");
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    // Goal: ratios of nothing have no value, and derived metrics exist only with their inputs.
    #[test]
    fn derived_metrics_of_nothing() {
        let results = results_with(&[("cache.hits", 0), ("cache.misses", 0)], 1);
        let hit_ratio = metric_value(&results, "cache.hit_ratio").expect("inputs exist");
        assert_eq!(hit_ratio.value, None);
        assert_eq!(metric_value(&results, "client.error_ratio"), None);
        let dropped = metric_value(&results, "net.dropped.total").expect("always exists");
        assert_eq!(dropped.value, Some(0.0));
        assert!(!metric_names(&results).contains(&"client.error_ratio".to_string()));
    }

    // Goal: the direction table says what the docs say: latency up is bad, hit ratio down is
    // bad, successful-request counts down are bad, bad-event counters up are bad, workload and
    // traffic counters have no direction.
    #[test]
    fn directions() {
        use Direction::*;
        for (metric, want) in [
            ("latency.read.p99", HigherIsWorse),
            ("latency.all.mean", HigherIsWorse),
            ("latency.read.count", LowerIsWorse),
            ("service.db.wait.p999", HigherIsWorse),
            ("service.db.sojourn.count", Neutral),
            ("cache.hit_ratio", LowerIsWorse),
            ("cache.hits", LowerIsWorse),
            ("client.responses.ok", LowerIsWorse),
            ("client.timeouts", HigherIsWorse),
            ("client.error_ratio", HigherIsWorse),
            ("net.dropped.total", HigherIsWorse),
            ("net.dropped.partition", HigherIsWorse),
            ("work.lost.crash", HigherIsWorse),
            ("cache.writes_lost", HigherIsWorse),
            ("client.requests", Neutral),
            ("net.sent", Neutral),
            ("faults.fired", Neutral),
        ] {
            assert_eq!(direction_of(metric), want, "{metric}");
        }
    }

    // Goal: values print in their unit, whole counts exactly.
    #[test]
    fn formats_values() {
        assert_eq!(MetricUnit::Nanoseconds.format(12_345_000.0), "12.3ms");
        assert_eq!(MetricUnit::Count.format(42.0), "42");
        assert_eq!(MetricUnit::Count.format(2.5), "2.50");
        assert_eq!(MetricUnit::Ratio.format(0.931), "93.1%");
        assert_eq!(MetricUnit::Ratio.format(0.0), "0%");
        assert_eq!(MetricUnit::Bytes.format(1536.0), "1.50KiB");
    }
}
