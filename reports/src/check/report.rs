//! The shape of a check's outcome: rows (one per assertion, baseline metric or stopped run),
//! their verdicts, the whole report, and how a metric over replications becomes one
//! [`Estimate`] and is shown. Shared by assertions (`check/mod.rs`), the baseline comparison
//! (`baseline.rs`) and the renderers (`render.rs`).

use super::metrics::{metric_value, MetricUnit, MetricValue};
use crate::results::ResultsFile;
use crate::stats::Estimate;

/// What a row of a check is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// An assertion from the scenario.
    Assertion,
    /// A metric compared with the baseline.
    Baseline,
    /// A run (replication) that stopped early.
    Run,
    /// How requests ended (an error ratio), shown whatever the scenario asserts: never a
    /// failure by itself.
    Outcome,
}

impl RowKind {
    /// Its label in tables: `assert`, `baseline`, `run`, `outcome`.
    pub fn label(self) -> &'static str {
        match self {
            RowKind::Assertion => "assert",
            RowKind::Baseline => "baseline",
            RowKind::Run => "run",
            RowKind::Outcome => "outcome",
        }
    }
}

/// The outcome of one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The assertion holds over the whole interval.
    Pass,
    /// The assertion fails over the whole interval.
    Fail,
    /// The interval straddles the threshold and the mean satisfies the assertion.
    InconclusivePass,
    /// The interval straddles the threshold and the mean does not satisfy the assertion.
    InconclusiveFail,
    /// Within the tolerance of the baseline.
    Within,
    /// Better than the baseline beyond the tolerance.
    Improved,
    /// Worse than the baseline beyond the tolerance.
    Regressed,
    /// Moved beyond the tolerance, but the metric has no direction.
    Changed,
    /// In the baseline, not in this run: reported, not a failure.
    Missing,
    /// A run stopped early (a guard), so its numbers are partial.
    Stopped,
    /// Shown for information; judges nothing.
    Info,
}

impl Verdict {
    /// Whether this row fails the check.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Verdict::Fail | Verdict::InconclusiveFail | Verdict::Regressed | Verdict::Stopped
        )
    }

    /// The word shown in tables; failures in capitals.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::InconclusivePass => "pass (inconclusive)",
            Verdict::InconclusiveFail => "FAIL (inconclusive)",
            Verdict::Within => "ok",
            Verdict::Improved => "improved",
            Verdict::Regressed => "REGRESSED",
            Verdict::Changed => "changed",
            Verdict::Missing => "missing",
            Verdict::Stopped => "STOPPED",
            Verdict::Info => "info",
        }
    }
}

/// One row of a check.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRow {
    /// What it is about.
    pub kind: RowKind,
    /// The assertion as written, the metric, or the run's seed.
    pub name: String,
    /// The metric it reads (empty for a run row).
    pub metric: String,
    /// The threshold (`< 25ms`) or the baseline value (`12.3ms ± 0.2ms`).
    pub expected: String,
    /// The value found (`14.1ms`, `14.1ms ± 0.3ms`, with the change from the baseline).
    pub value: String,
    /// The outcome.
    pub verdict: Verdict,
    /// One sentence on why, for failures and anything unusual; empty otherwise.
    pub message: String,
}

/// The outcome of a check.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    /// The scenario's name.
    pub scenario: String,
    /// The command that reruns this check.
    pub command: String,
    /// Each replication's seed, in order.
    pub seeds: Vec<u64>,
    /// The baseline file as given, if any.
    pub baseline_file: Option<String>,
    /// The tolerance in percent of the baseline value.
    pub tolerance_percent: f64,
    /// Things worth knowing that are not failures (a baseline from an edited scenario).
    pub notes: Vec<String>,
    /// Assertions in scenario order, then run rows, then baseline metrics by name.
    pub rows: Vec<CheckRow>,
}

impl CheckReport {
    /// Rows that fail the check.
    pub fn n_failures(&self) -> usize {
        self.rows.iter().filter(|r| r.verdict.is_failure()).count()
    }

    /// Whether the check passes (exit code 0).
    pub fn passed(&self) -> bool {
        self.n_failures() == 0
    }

    /// One line: `PASS: ...` or `FAIL: ...`, with the counts that matter.
    pub fn summary(&self) -> String {
        let count = |kind: RowKind, verdicts: &[Verdict]| {
            self.rows
                .iter()
                .filter(|r| r.kind == kind && verdicts.contains(&r.verdict))
                .count()
        };
        let n_of = |kind: RowKind| self.rows.iter().filter(|r| r.kind == kind).count();
        let mut parts = Vec::new();
        let n_assertions = n_of(RowKind::Assertion);
        if n_assertions > 0 {
            let passed = count(
                RowKind::Assertion,
                &[Verdict::Pass, Verdict::InconclusivePass],
            );
            let inconclusive = count(
                RowKind::Assertion,
                &[Verdict::InconclusivePass, Verdict::InconclusiveFail],
            );
            let mut part = format!("{passed} of {n_assertions} assertions hold");
            if inconclusive > 0 {
                part.push_str(&format!(" ({inconclusive} inconclusive)"));
            }
            parts.push(part);
        }
        let n_stopped = n_of(RowKind::Run);
        if n_stopped > 0 {
            parts.push(format!(
                "{n_stopped} of {} runs stopped early",
                self.seeds.len()
            ));
        }
        if self.baseline_file.is_some() {
            let n_metrics = n_of(RowKind::Baseline);
            let mut part = format!(
                "{} of {n_metrics} metrics regressed beyond {}% of the baseline, {} improved",
                count(RowKind::Baseline, &[Verdict::Regressed]),
                self.tolerance_percent,
                count(RowKind::Baseline, &[Verdict::Improved]),
            );
            let missing = count(RowKind::Baseline, &[Verdict::Missing]);
            if missing > 0 {
                part.push_str(&format!(", {missing} missing"));
            }
            parts.push(part);
        }
        if parts.is_empty() {
            parts.push("nothing to check: no [[check]] in the scenario and no --baseline".into());
        }
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        format!("{verdict}: {}", parts.join("; "))
    }
}

/// A metric over the replications: `Err(None)` when no replication has it, `Err(Some(seed))`
/// when the replication with that seed has no value for it.
pub(super) fn estimate(
    results: &[ResultsFile],
    metric: &str,
) -> Result<(Estimate, MetricUnit), Option<u64>> {
    if results.iter().all(|r| metric_value(r, metric).is_none()) {
        return Err(None);
    }
    let mut values = Vec::with_capacity(results.len());
    let mut unit = MetricUnit::Count;
    for r in results {
        match metric_value(r, metric) {
            Some(MetricValue {
                value: Some(value),
                unit: found,
            }) => {
                values.push(value);
                unit = found;
            }
            _ => return Err(Some(r.seed)),
        }
    }
    Ok((Estimate::of(&values), unit))
}

/// An estimate for people: the value, or `mean ± half-width` over several runs.
pub(super) fn show(estimate: &Estimate, unit: MetricUnit) -> String {
    if estimate.n > 1 {
        format!(
            "{} ± {}",
            unit.format(estimate.mean),
            unit.format(estimate.ci_half_width)
        )
    } else {
        unit.format(estimate.mean)
    }
}
