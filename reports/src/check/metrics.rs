//! The metrics a check can name in a `results.json`, their units, and which way each gets worse.
//!
//! A check names a counter (`client.timeouts`), a histogram statistic (`latency.read.p99`,
//! `service.db.wait.mean`, `latency.all.count`), a metric derived from counters (the
//! results' `derived` section: `cache.hit_ratio`, `client.error_ratio`, ...), or a field of a
//! request outcome tally (the `outcomes` section: `requests.all.error_ratio`,
//! `requests.read{group=eu-users}.timeout`). Everything here,
//! values and meanings alike, is read from a [`ResultsFile`], so a check of a fresh run and a
//! check of a stored `results.json` see the same numbers, and no model's metric is named here:
//! each family declares its metrics' units and directions where it records them.

use crate::format::percentile_label;
use crate::outcomes::{split_field, OUTCOME_FIELDS};
use crate::results::{MetricSummary, ResultsFile, STANDARD_PERCENTILES};

pub use crate::meaning::{Direction, MetricUnit};

/// The statistics every histogram has, besides extra percentiles (`p99.99`, when the run asked
/// for them) and any percentile spelt out (`p99.9` is `p999`).
pub const HISTOGRAM_STATS: [&str; 8] = ["count", "mean", "min", "max", "p50", "p90", "p99", "p999"];

/// Which way `metric` gets worse in `results`: a counter's or derived metric's declared
/// direction; for a histogram statistic, the histogram's (its count's own for `.count`).
/// Anything undeclared has no direction.
pub fn direction_of(results: &ResultsFile, metric: &str) -> Direction {
    if let Some(meaning) = results.meanings.get(metric) {
        if meaning.count_direction.is_none() {
            return meaning.direction;
        }
    }
    if let Some(derived) = results.derived.get(metric) {
        return derived.direction;
    }
    if let Some((_, _, field)) = split_field(&results.outcomes, metric) {
        if let Some((_, direction, ..)) = OUTCOME_FIELDS.iter().find(|(f, ..)| *f == field) {
            return *direction;
        }
    }
    let Some((name, stat)) = histogram_of(results, metric) else {
        return Direction::Neutral;
    };
    let Some(meaning) = results.meanings.get(name) else {
        return Direction::Neutral;
    };
    match stat {
        "count" => meaning.count_direction.unwrap_or(Direction::Neutral),
        _ => meaning.direction,
    }
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
    derived_value(results, metric)
        .or_else(|| outcome_value(results, metric))
        .or_else(|| histogram_statistic(results, metric))
}

/// `<tally>.<field>` of the results' request outcomes.
fn outcome_value(results: &ResultsFile, metric: &str) -> Option<MetricValue> {
    let (_, entry, field) = split_field(&results.outcomes, metric)?;
    let (value, unit) = entry.field(field)?;
    Some(MetricValue { value, unit })
}

fn derived_value(results: &ResultsFile, metric: &str) -> Option<MetricValue> {
    let derived = results.derived.get(metric)?;
    Some(MetricValue {
        value: derived.evaluate(&results.counters),
        unit: derived.unit,
    })
}

/// The histogram a `<histogram>.<stat>` name is about (the longest that prefixes it), and the
/// statistic.
fn histogram_of<'r, 'm>(results: &'r ResultsFile, metric: &'m str) -> Option<(&'r str, &'m str)> {
    let (name, _, stat) = crate::results::split_by_name(&results.metrics, metric)?;
    Some((name, stat))
}

/// `<histogram>.<stat>`, for the longest histogram name that prefixes `metric`.
fn histogram_statistic(results: &ResultsFile, metric: &str) -> Option<MetricValue> {
    let (name, stat) = histogram_of(results, metric)?;
    let summary = &results.metrics[name];
    let unit = MetricUnit::from_summary(&summary.unit);
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

/// Every metric a check can name in `results`, sorted: counters, derived metrics, each
/// outcome tally's fields, and each histogram's statistics and extra percentiles.
pub fn metric_names(results: &ResultsFile) -> Vec<String> {
    let mut names: Vec<String> = results.counters.keys().cloned().collect();
    names.extend(results.derived.keys().cloned());
    for name in results.outcomes.keys() {
        names.extend(
            OUTCOME_FIELDS
                .iter()
                .map(|(field, ..)| format!("{name}.{field}")),
        );
    }
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
        // Request outcomes, whole population and a breakdown by label.
        let count = MetricUnit::Count;
        check(&results, "requests.read.timeout", Some((Some(3.0), count)));
        check(
            &results,
            "requests.read.in_flight",
            Some((Some(1.0), count)),
        );
        check(
            &results,
            "requests.read{group=eu}.ok",
            Some((Some(1_000.0), count)),
        );
        check(
            &results,
            "requests.read.error_ratio",
            Some((Some(3.0 / 1_003.0), MetricUnit::Ratio)),
        );
        check(&results, "requests.read.bogus", None);
        assert_eq!(
            direction_of(&results, "requests.read{group=eu}.timeout"),
            Direction::HigherIsWorse
        );
        assert_eq!(
            direction_of(&results, "requests.read.success_ratio"),
            Direction::LowerIsWorse
        );
        assert!(metric_names(&results).contains(&"requests.read{group=eu}.failed".to_string()));
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

    // Goal: a metric's direction is what its family declared, read from the results: for a
    // histogram's statistics the histogram's, for its count the count's own; derived metrics
    // carry theirs; undeclared metrics have none. (Every built-in family's table is checked
    // against the documented directions in `scenarios/tests/metrics.rs`, on a real run.)
    #[test]
    fn directions_come_from_the_results() {
        use Direction::*;
        let results = results_with(
            &[
                ("cache.hits", 1),
                ("cache.misses", 1),
                ("client.requests", 2),
                ("client.responses.ok", 1),
                ("client.timeouts", 1),
                ("net.dropped.partition", 0),
                ("made.up", 3),
            ],
            1,
        );
        for (metric, want) in [
            ("latency.read.p99", HigherIsWorse),
            ("latency.read.mean", HigherIsWorse),
            ("latency.read.count", LowerIsWorse),
            ("cache.hit_ratio", LowerIsWorse),
            ("cache.hits", LowerIsWorse),
            ("client.responses.ok", LowerIsWorse),
            ("client.timeouts", HigherIsWorse),
            ("client.error_ratio", HigherIsWorse),
            ("net.dropped.total", HigherIsWorse),
            ("net.dropped.partition", HigherIsWorse),
            ("client.requests", Neutral),
            ("made.up", Neutral),
            ("no.such.metric", Neutral),
        ] {
            assert_eq!(direction_of(&results, metric), want, "{metric}");
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
