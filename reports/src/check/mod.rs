//! `distsim check`: assertions on a run's metrics, and comparison with a stored baseline, for CI.
//!
//! The input is one [`ResultsFile`] per replication (one, or R with `replications = R`), the
//! scenario's assertions and optionally a [`Baseline`]; the output is a [`CheckReport`]: one row
//! per assertion and per baseline metric, each with a [`Verdict`], rendered as a terminal table,
//! `check.md` and `check.junit.xml` ([`write_check`]).
//!
//! # Rules
//!
//! Each metric becomes an [`Estimate`]: with one run its value, with R runs the mean and the
//! half-width `h` of its 95% confidence interval `[mean - h, mean + h]` (Student t with R - 1
//! degrees of freedom, [`crate::stats`]). With one run the interval is the single value, so every
//! rule below reduces to comparing plain numbers.
//!
//! - **Assertion** `metric op threshold`: *pass* if the whole interval satisfies it, *fail* if
//!   none of it does; an interval that straddles the threshold is *inconclusive* and the mean
//!   decides, so noise can neither pass nor fail a build silently. For `==` the good region is
//!   the threshold itself, for `!=` everything else. Equality is within 1e-9 (relative, at
//!   least 1e-9 absolute): counts are whole numbers, so this only forgives float rounding.
//! - **Baseline**: the baseline's interval `[m_b - h_b, m_b + h_b]` is widened by the tolerance
//!   `t · |m_b|` on both sides. A metric whose good direction is down (latency) *regressed* if
//!   the new interval lies entirely above the widened one, and *improved* if it lies entirely
//!   below it; mirrored for metrics whose good direction is up (hit ratio); anything that
//!   overlaps is *within tolerance*. A metric with no direction that moves out is *changed*,
//!   never a failure. Only regressions, failed assertions and runs stopped early fail a check.
//!
//! It deliberately does not run anything or read scenario files: the `scenarios` crate runs
//! the replications, validates the assertions and hands them over as plain [`Assertion`]s.

mod baseline;
mod metrics;
mod render;
mod report;

pub use baseline::{
    build_baseline, read_baseline, save_baseline, write_baseline, Baseline, BaselineMetric,
    BASELINE_KIND, BASELINE_SCHEMA_VERSION,
};
pub use metrics::{
    direction_of, metric_names, metric_value, Direction, MetricUnit, MetricValue, HISTOGRAM_STATS,
};
pub use render::{check_junit, check_markdown, check_table, write_check, CheckFiles};
pub use report::{CheckReport, CheckRow, RowKind, Verdict};

use report::{estimate, show};

use crate::error::ReportError;
use crate::results::ResultsFile;
use crate::stats::Estimate;

/// How an assertion compares a metric with its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl Comparison {
    /// Every comparison with its symbol.
    pub const ALL: [(&'static str, Comparison); 6] = [
        ("<", Comparison::Less),
        ("<=", Comparison::LessOrEqual),
        (">", Comparison::Greater),
        (">=", Comparison::GreaterOrEqual),
        ("==", Comparison::Equal),
        ("!=", Comparison::NotEqual),
    ];

    /// The comparison written `symbol`, if any.
    pub fn from_symbol(symbol: &str) -> Option<Comparison> {
        Comparison::ALL
            .iter()
            .find(|(s, _)| *s == symbol)
            .map(|(_, c)| *c)
    }

    /// How it is written: `<`, `<=`, `>`, `>=`, `==`, `!=`.
    pub fn symbol(self) -> &'static str {
        Comparison::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map(|(s, _)| *s)
            .expect("every comparison has a symbol")
    }

    /// Whether `value <op> threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Less => value < threshold,
            Comparison::LessOrEqual => value <= threshold,
            Comparison::Greater => value > threshold,
            Comparison::GreaterOrEqual => value >= threshold,
            Comparison::Equal => nearly_equal(value, threshold),
            Comparison::NotEqual => !nearly_equal(value, threshold),
        }
    }

    /// Whether every value of `[low, high]` satisfies the comparison.
    fn holds_everywhere(self, low: f64, high: f64, threshold: f64) -> bool {
        match self {
            Comparison::Less | Comparison::LessOrEqual => self.holds(high, threshold),
            Comparison::Greater | Comparison::GreaterOrEqual => self.holds(low, threshold),
            Comparison::Equal => nearly_equal(low, threshold) && nearly_equal(high, threshold),
            Comparison::NotEqual => {
                !nearly_equal(low, threshold)
                    && !nearly_equal(high, threshold)
                    && (threshold < low || threshold > high)
            }
        }
    }

    /// Whether no value of `[low, high]` satisfies the comparison.
    fn fails_everywhere(self, low: f64, high: f64, threshold: f64) -> bool {
        match self {
            Comparison::Less | Comparison::LessOrEqual => !self.holds(low, threshold),
            Comparison::Greater | Comparison::GreaterOrEqual => !self.holds(high, threshold),
            Comparison::Equal => {
                !nearly_equal(low, threshold)
                    && !nearly_equal(high, threshold)
                    && (threshold < low || threshold > high)
            }
            Comparison::NotEqual => nearly_equal(low, threshold) && nearly_equal(high, threshold),
        }
    }
}

/// Equal up to float rounding: within 1e-9 relative, or 1e-9 absolute near zero.
fn nearly_equal(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// One assertion on a metric: `metric comparison threshold`, validated by the scenario loader.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// The metric, e.g. `latency.read.p99`.
    pub metric: String,
    /// How it is compared.
    pub comparison: Comparison,
    /// The threshold in the metric's unit (nanoseconds for durations, a fraction for ratios).
    pub threshold: f64,
    /// The threshold as written (`25ms`, `80%`, `0`), for reports.
    pub threshold_text: String,
}

impl Assertion {
    /// The assertion as people write it: `latency.read.p99 < 25ms`.
    pub fn text(&self) -> String {
        format!(
            "{} {} {}",
            self.metric,
            self.comparison.symbol(),
            self.threshold_text
        )
    }
}

/// Everything a check is computed from.
#[derive(Clone, Copy, Debug)]
pub struct CheckInput<'a> {
    /// Each replication's results, in replication order (at least one, all of one scenario).
    pub results: &'a [ResultsFile],
    /// The scenario's assertions, in file order.
    pub assertions: &'a [Assertion],
    /// The baseline to compare with, and its file name as given.
    pub baseline: Option<(&'a str, &'a Baseline)>,
    /// The tolerance, in percent of each baseline value (>= 0).
    pub tolerance_percent: f64,
    /// The command that reruns this check, for the reports.
    pub command: &'a str,
}

/// Evaluates the assertions and the baseline comparison.
///
/// Errors: an assertion naming a metric none of the runs has (the scenario loader names the
/// closest one), or a baseline of another scenario.
pub fn evaluate_check(input: &CheckInput<'_>) -> Result<CheckReport, ReportError> {
    let first = input.results.first().expect("a check has at least one run");
    assert!(
        input.results.iter().all(|r| r.scenario == first.scenario),
        "every replication runs the same scenario"
    );
    assert!(
        input.tolerance_percent.is_finite() && input.tolerance_percent >= 0.0,
        "the tolerance is validated by the caller"
    );
    let mut rows = Vec::new();
    for assertion in input.assertions {
        rows.push(assertion_row(input.results, assertion)?);
    }
    for results in input.results.iter().filter(|r| r.partial.is_some()) {
        rows.push(CheckRow {
            kind: RowKind::Run,
            name: format!("seed {}", results.seed),
            metric: String::new(),
            expected: "runs to its end".into(),
            value: "stopped early".into(),
            verdict: Verdict::Stopped,
            message: format!(
                "the run with seed {} stopped early: {}",
                results.seed,
                results.partial.as_deref().unwrap_or_default()
            ),
        });
    }
    rows.extend(outcome_rows(input.results, input.assertions));
    let mut notes = Vec::new();
    if let Some((_, baseline)) = input.baseline {
        if baseline.scenario != first.scenario {
            return Err(ReportError::BaselineScenario {
                baseline: baseline.scenario.clone(),
                scenario: first.scenario.clone(),
            });
        }
        notes.extend(baseline::notes(baseline, input.results));
        rows.extend(baseline::compare(
            baseline,
            input.results,
            input.tolerance_percent,
        ));
    }
    Ok(CheckReport {
        scenario: first.scenario.clone(),
        command: input.command.to_string(),
        seeds: input.results.iter().map(|r| r.seed).collect(),
        baseline_file: input.baseline.map(|(file, _)| file.to_string()),
        tolerance_percent: input.tolerance_percent,
        notes,
        rows,
    })
}

/// The error ratio of the whole population and of each group or region breakdown, over the
/// replications, unless an assertion already names it: a check shows how many requests failed
/// even when the scenario asserts only latencies.
fn outcome_rows(results: &[ResultsFile], assertions: &[Assertion]) -> Vec<CheckRow> {
    let first = &results[0];
    first
        .outcomes
        .keys()
        .filter(|name| crate::outcomes::is_population(name))
        .map(|name| format!("{name}.error_ratio"))
        .filter(|metric| !assertions.iter().any(|a| &a.metric == metric))
        .filter_map(|metric| {
            let (estimate, unit) = estimate(results, &metric).ok()?;
            Some(CheckRow {
                kind: RowKind::Outcome,
                name: metric.clone(),
                value: show(&estimate, unit),
                metric,
                expected: String::new(),
                verdict: Verdict::Info,
                message: String::new(),
            })
        })
        .collect()
}

fn assertion_row(results: &[ResultsFile], assertion: &Assertion) -> Result<CheckRow, ReportError> {
    let text = assertion.text();
    let expected = format!(
        "{} {}",
        assertion.comparison.symbol(),
        assertion.threshold_text
    );
    let (estimate, unit) = match estimate(results, &assertion.metric) {
        Ok(found) => found,
        Err(None) => {
            return Err(ReportError::UnknownMetric {
                metric: assertion.metric.clone(),
            })
        }
        Err(Some(seed)) => {
            return Ok(CheckRow {
                kind: RowKind::Assertion,
                name: text,
                metric: assertion.metric.clone(),
                expected,
                value: "no value".into(),
                verdict: Verdict::Fail,
                message: format!(
                    "{} has no value in the run with seed {seed} (no samples)",
                    assertion.metric
                ),
            })
        }
    };
    let verdict = judge(assertion.comparison, &estimate, assertion.threshold);
    let value = show(&estimate, unit);
    let message = match verdict {
        Verdict::Fail => format!("{} is {value}, want {expected}", assertion.metric),
        Verdict::InconclusivePass | Verdict::InconclusiveFail => format!(
            "the 95% interval {} to {} straddles {}; the mean {} decides",
            unit.format(estimate.low()),
            unit.format(estimate.high()),
            assertion.threshold_text,
            unit.format(estimate.mean)
        ),
        _ => String::new(),
    };
    Ok(CheckRow {
        kind: RowKind::Assertion,
        name: text,
        metric: assertion.metric.clone(),
        expected,
        value,
        verdict,
        message,
    })
}

/// The verdict of `estimate <comparison> threshold`: pass or fail when the whole interval
/// agrees, else inconclusive and decided by the mean.
pub fn judge(comparison: Comparison, estimate: &Estimate, threshold: f64) -> Verdict {
    let (low, high) = (estimate.low(), estimate.high());
    assert!(low <= high, "an interval's ends are in order");
    if comparison.holds_everywhere(low, high, threshold) {
        Verdict::Pass
    } else if comparison.fails_everywhere(low, high, threshold) {
        Verdict::Fail
    } else if comparison.holds(estimate.mean, threshold) {
        Verdict::InconclusivePass
    } else {
        Verdict::InconclusiveFail
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::results::MetricSummary;

    use sim_core::metrics::{DerivedMetric, Direction as Good, Formula};
    use sim_core::{MetricDecl, MetricTable, Metrics, Unit};

    /// The meanings the tests' results carry, declared as a family would (reports itself
    /// names no model metric): latency histograms (count: successful requests), a few client
    /// and cache counters, and the hit and error ratios.
    const TEST_FAMILY: MetricTable = MetricTable {
        recorded: &[
            MetricDecl::histogram(
                "latency.*",
                Unit::Nanoseconds,
                Good::HigherIsWorse,
                Good::LowerIsWorse,
                "",
            ),
            MetricDecl::counter("client.requests", Good::Neutral, ""),
            MetricDecl::counter("client.responses.ok", Good::LowerIsWorse, ""),
            MetricDecl::counter("client.*", Good::HigherIsWorse, ""),
            MetricDecl::counter("cache.hits", Good::LowerIsWorse, ""),
            MetricDecl::counter("cache.misses", Good::HigherIsWorse, ""),
        ],
        derived: &[
            DerivedMetric {
                name: "cache.hit_ratio",
                formula: Formula::Ratio {
                    numerator: &["cache.hits"],
                    denominator: &["cache.hits", "cache.misses"],
                },
                unit: Unit::Ratio,
                direction: Good::LowerIsWorse,
                description: "",
            },
            DerivedMetric {
                name: "client.error_ratio",
                formula: Formula::Ratio {
                    numerator: &[
                        "client.timeouts",
                        "client.responses.busy",
                        "client.responses.unavailable",
                    ],
                    denominator: &["client.requests"],
                },
                unit: Unit::Ratio,
                direction: Good::HigherIsWorse,
                description: "",
            },
        ],
        curves: &[],
    };

    /// A results file of scenario `demo`: `latency.read` with 1000 samples (min 0.1 ms, mean
    /// 1.1 ms, p50 1 ms, p90 1.5 ms, p99 `p99_ns`, p99.9 3 ms, p99.99 4 ms, max 5 ms), an empty
    /// `latency.write`, and `counters`, with meanings from the engine's and [`TEST_FAMILY`]'s
    /// declarations.
    pub(crate) fn results_with(counters: &[(&str, u64)], p99_ns: u64) -> ResultsFile {
        let mut declared = Metrics::new();
        declared.declare(TEST_FAMILY);
        for (name, value) in counters {
            let id = declared.counter(name);
            declared.add(id, *value, sim_core::SimTime::ZERO);
        }
        for name in ["latency.read", "latency.write"] {
            declared.histogram(name, Unit::Nanoseconds);
        }
        let mut meanings = crate::meaning::meanings(&declared);
        // Only the counters given (a fresh recorder also has the engine's own, at 0).
        meanings.retain(|name, _| {
            name.starts_with("latency.") || counters.iter().any(|(n, _)| n == name)
        });
        let summary = |count: u64, value: Option<u64>| MetricSummary {
            count,
            max: value.map(|_| 5_000_000),
            mean: value.map(|_| 1_100_000.0),
            min: value.map(|_| 100_000),
            p50: value.map(|_| 1_000_000),
            p90: value.map(|_| 1_500_000),
            p99: value,
            p999: value.map(|_| 3_000_000),
            unit: "ns".into(),
            failed: None,
            extra_percentiles: BTreeMap::from([("p99.99".to_string(), value.map(|_| 4_000_000))]),
        };
        // 1,000 reads ok (the histogram's count), 3 timed out, 1 in flight; the same for a
        // group breakdown.
        let mut reads = sim_core::OutcomeTally {
            issued: 1_004,
            ..Default::default()
        };
        reads.ended[0] = 1_000;
        reads.ended[2] = 3;
        let reads = crate::outcomes::OutcomeEntry::of(&reads, Some("latency.read"));
        let outcomes = BTreeMap::from([
            ("requests.read".to_string(), reads.clone()),
            ("requests.read{group=eu}".to_string(), reads),
        ]);
        let counters: BTreeMap<String, u64> =
            counters.iter().map(|(n, v)| (n.to_string(), *v)).collect();
        let mut derived = crate::meaning::derived(&declared);
        for entry in derived.values_mut() {
            entry.value = entry.evaluate(&counters);
        }
        derived.retain(|_, entry| {
            entry.formula == "sum"
                || counters
                    .keys()
                    .any(|name| entry.denominator.iter().any(|d| d == name))
        });
        ResultsFile {
            annotations: Vec::new(),
            annotations_dropped: 0,
            curves: BTreeMap::new(),
            findings: Vec::new(),
            counters,
            derived,
            digest: None,
            meanings,
            distsim_version: "0.1.0".into(),
            events: 1,
            faults: vec![],
            groups: vec![],
            membership: vec![],
            metrics: BTreeMap::from([
                ("latency.read".to_string(), summary(1_000, Some(p99_ns))),
                ("latency.write".to_string(), summary(0, None)),
            ]),
            nodes: vec![],
            outcomes,
            outcomes_invariant: None,
            verdict: None,
            partial: None,
            scenario: "demo".into(),
            description: None,
            scenario_file: "demo.toml".into(),
            reproduce: String::new(),
            scenario_hash: "00ff".into(),
            schema_version: crate::SCHEMA_VERSION,
            seed: 1,
            sim_duration_ns: 1,
            warmup_ns: 0,
            window_ns: None,
        }
    }

    fn assertion(metric: &str, symbol: &str, threshold: f64, text: &str) -> Assertion {
        Assertion {
            metric: metric.into(),
            comparison: Comparison::from_symbol(symbol).expect("a comparison"),
            threshold,
            threshold_text: text.into(),
        }
    }

    // Goal: every comparison operator gives the textbook answer on both sides of and exactly at
    // its threshold. Method: a table of (value, operator, threshold, holds).
    #[test]
    fn every_comparison_holds_where_it_should() {
        for (value, symbol, threshold, want) in [
            (1.0, "<", 2.0, true),
            (2.0, "<", 2.0, false),
            (3.0, "<", 2.0, false),
            (1.0, "<=", 2.0, true),
            (2.0, "<=", 2.0, true),
            (3.0, "<=", 2.0, false),
            (1.0, ">", 2.0, false),
            (2.0, ">", 2.0, false),
            (3.0, ">", 2.0, true),
            (1.0, ">=", 2.0, false),
            (2.0, ">=", 2.0, true),
            (3.0, ">=", 2.0, true),
            (0.0, "==", 0.0, true),
            (1.0, "==", 0.0, false),
            (0.1 + 0.2, "==", 0.3, true),
            (0.0, "!=", 0.0, false),
            (1.0, "!=", 0.0, true),
        ] {
            let comparison = Comparison::from_symbol(symbol).expect("a comparison");
            assert_eq!(comparison.symbol(), symbol);
            assert_eq!(
                comparison.holds(value, threshold),
                want,
                "{value} {symbol} {threshold}"
            );
        }
        assert_eq!(Comparison::from_symbol("="), None);
        assert_eq!(Comparison::from_symbol("=<"), None);
    }

    // Goal: the replication rule. An interval entirely on the good side passes, entirely on the
    // bad side fails, and one straddling the threshold is inconclusive, decided by the mean.
    // Method: estimates with mean 10 and half-width 2 (the interval [8, 12]) against thresholds
    // below, inside and above it, for every operator; then single values (half-width 0), which
    // are never inconclusive.
    #[test]
    fn intervals_straddling_a_threshold_are_inconclusive() {
        use Verdict::*;
        let interval = Estimate {
            mean: 10.0,
            ci_half_width: 2.0,
            n: 5,
        };
        for (symbol, threshold, want) in [
            ("<", 13.0, Pass),
            ("<", 12.0, InconclusivePass),
            ("<", 11.0, InconclusivePass),
            ("<", 9.0, InconclusiveFail),
            ("<", 8.0, Fail),
            ("<=", 12.0, Pass),
            ("<=", 7.9, Fail),
            (">", 7.0, Pass),
            (">", 9.0, InconclusivePass),
            (">", 11.0, InconclusiveFail),
            (">", 12.0, Fail),
            (">=", 8.0, Pass),
            (">=", 12.1, Fail),
            ("==", 10.0, InconclusivePass),
            ("==", 11.0, InconclusiveFail),
            ("==", 13.0, Fail),
            ("!=", 13.0, Pass),
            ("!=", 10.0, InconclusiveFail),
            ("!=", 11.0, InconclusivePass),
        ] {
            let comparison = Comparison::from_symbol(symbol).expect("a comparison");
            assert_eq!(
                judge(comparison, &interval, threshold),
                want,
                "[8, 12] {symbol} {threshold}"
            );
        }
        let point = |mean: f64| Estimate {
            mean,
            ci_half_width: 0.0,
            n: 1,
        };
        assert_eq!(judge(Comparison::Equal, &point(0.0), 0.0), Pass);
        assert_eq!(judge(Comparison::Equal, &point(1.0), 0.0), Fail);
        assert_eq!(judge(Comparison::NotEqual, &point(0.0), 0.0), Fail);
        assert_eq!(judge(Comparison::Less, &point(2.0), 2.0), Fail);
        assert_eq!(judge(Comparison::LessOrEqual, &point(2.0), 2.0), Pass);
    }

    // Goal: assertions are evaluated on the metric's own unit and reported with the threshold
    // as written; a failure says what was found; an unknown metric is an error, and a metric
    // without samples fails rather than passing.
    #[test]
    fn evaluates_assertions() {
        let results = [results_with(&[("client.timeouts", 0)], 2_000_000)];
        let assertions = [
            assertion("latency.read.p99", "<", 25e6, "25ms"),
            assertion("latency.read.p99", "<", 1e6, "1ms"),
            assertion("client.timeouts", "==", 0.0, "0"),
            assertion("latency.write.p99", "<", 1e6, "1ms"),
        ];
        let input = CheckInput {
            results: &results,
            assertions: &assertions,
            baseline: None,
            tolerance_percent: 5.0,
            command: "distsim check demo.toml --seed 1",
        };
        let report = evaluate_check(&input).expect("known metrics");
        let verdicts: Vec<Verdict> = report.rows.iter().map(|r| r.verdict).collect();
        assert_eq!(
            verdicts,
            [Verdict::Pass, Verdict::Fail, Verdict::Pass, Verdict::Fail]
        );
        assert_eq!(report.rows[0].name, "latency.read.p99 < 25ms");
        assert_eq!(report.rows[0].value, "2.00ms");
        assert_eq!(
            report.rows[1].message,
            "latency.read.p99 is 2.00ms, want < 1ms"
        );
        assert!(report.rows[3].message.contains("no samples"));
        assert!(!report.passed());
        assert_eq!(report.summary(), "FAIL: 2 of 4 assertions hold");

        let unknown = [assertion("latency.raed.p99", "<", 1.0, "1ns")];
        let error = evaluate_check(&CheckInput {
            assertions: &unknown,
            ..input
        })
        .expect_err("no such metric");
        assert!(
            matches!(error, ReportError::UnknownMetric { .. }),
            "{error}"
        );
    }

    // Goal: with replications the value column shows the interval, and a run stopped early
    // fails the check. Method: three replications with p99 of 2, 3 and 4 ms (mean 3 ms,
    // s = 1 ms, half-width t(0.975; 2) * 1 / sqrt(3) = 4.3027 / 1.7321 = 2.48 ms), one marked
    // partial.
    #[test]
    fn replications_show_intervals_and_partial_runs_fail() {
        let mut results: Vec<ResultsFile> = [2_000_000, 3_000_000, 4_000_000]
            .iter()
            .enumerate()
            .map(|(i, p99)| {
                let mut r = results_with(&[], *p99);
                r.seed = 10 + i as u64;
                r
            })
            .collect();
        results[2].partial = Some("the max_events guard (10) was reached".into());
        let assertions = [assertion("latency.read.p99", "<", 25e6, "25ms")];
        let report = evaluate_check(&CheckInput {
            results: &results,
            assertions: &assertions,
            baseline: None,
            tolerance_percent: 5.0,
            command: "",
        })
        .expect("known metric");
        assert_eq!(report.rows[0].value, "3.00ms ± 2.48ms");
        assert_eq!(report.rows[0].verdict, Verdict::Pass);
        assert_eq!(report.rows[1].kind, RowKind::Run);
        assert_eq!(report.rows[1].verdict, Verdict::Stopped);
        assert!(report.rows[1].message.contains("seed 12"));
        assert_eq!(report.seeds, [10, 11, 12]);
        assert!(!report.passed());
    }
}
