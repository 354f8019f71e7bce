//! Baseline files: a run's (or R replications') metrics stored for later checks, and the
//! comparison of a new run with them.
//!
//! A baseline is JSON with sorted keys, like `results.json`, and is a compatibility promise in
//! the same way: it carries `kind = "baseline"` and a `schema_version`, and a reader refuses
//! anything else with a message that says how to make a new one. Each metric stores its mean,
//! the half-width of its 95% interval (0 for one run), the number of runs, its unit and its
//! [`Direction`]. The comparison uses the stored direction, so a team can silence a metric by
//! setting its direction to `"none"` in the file.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::metrics::{direction_of, metric_names, metric_value, Direction, MetricUnit};
use super::report::{estimate, show, CheckRow, RowKind, Verdict};
use crate::error::ReportError;
use crate::outcomes::{split_field, BASELINE_OUTCOME_FIELDS};
use crate::output;
use crate::results::ResultsFile;
use crate::stats::{Estimate, CONFIDENCE};

/// The `schema_version` of baseline files this build writes and reads.
pub const BASELINE_SCHEMA_VERSION: u32 = 1;
/// The `kind` of a baseline file.
pub const BASELINE_KIND: &str = "baseline";

/// A baseline file. Field order is alphabetical, matching the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The confidence level of the intervals (0.95).
    pub confidence: f64,
    /// The distsim version that wrote it.
    pub distsim_version: String,
    /// Always [`BASELINE_KIND`].
    pub kind: String,
    /// Every metric with a value in every run, by name.
    pub metrics: BTreeMap<String, BaselineMetric>,
    /// How many runs it summarises.
    pub replications: u32,
    /// The scenario's name; a baseline is only compared with its own scenario.
    pub scenario: String,
    /// The hash of the scenario text it was made from.
    pub scenario_hash: String,
    /// [`BASELINE_SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// Each run's seed, in replication order.
    pub seeds: Vec<u64>,
}

/// One metric of a baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineMetric {
    /// Half-width of the 95% interval of the mean; 0 for a single run.
    pub ci_half_width: f64,
    /// Which way it gets worse; `none` never regresses.
    pub direction: Direction,
    /// The value, or the mean over the runs.
    pub mean: f64,
    /// How many runs the mean is over.
    pub n: u32,
    /// What it measures.
    pub unit: MetricUnit,
}

/// A baseline of `results`, one per run, in replication order (at least one, one scenario).
/// Metrics without a value in some run (an empty histogram) are left out.
pub fn build_baseline(results: &[ResultsFile]) -> Baseline {
    let first = results
        .first()
        .expect("a baseline summarises at least one run");
    assert!(
        results.iter().all(|r| r.scenario == first.scenario),
        "a baseline is of one scenario"
    );
    let metrics = baseline_metric_names(first)
        .into_iter()
        .filter_map(|name| {
            let (estimate, unit) = estimate(results, &name).ok()?;
            let metric = BaselineMetric {
                ci_half_width: estimate.ci_half_width,
                direction: direction_of(first, &name),
                mean: estimate.mean,
                n: estimate.n,
                unit,
            };
            Some((name, metric))
        })
        .collect();
    Baseline {
        confidence: CONFIDENCE,
        distsim_version: first.distsim_version.clone(),
        kind: BASELINE_KIND.to_string(),
        metrics,
        replications: u32::try_from(results.len()).expect("replications are counted in u32"),
        scenario: first.scenario.clone(),
        scenario_hash: first.scenario_hash.clone(),
        schema_version: BASELINE_SCHEMA_VERSION,
        seeds: results.iter().map(|r| r.seed).collect(),
    }
}

/// The metrics of `results` a baseline keeps: every metric a check can name, except that a
/// request outcome tally keeps only [`BASELINE_OUTCOME_FIELDS`].
fn baseline_metric_names(results: &ResultsFile) -> Vec<String> {
    metric_names(results)
        .into_iter()
        .filter(|name| match split_field(&results.outcomes, name) {
            Some((_, _, field)) => BASELINE_OUTCOME_FIELDS.contains(&field),
            None => true,
        })
        .collect()
}

/// Writes `baseline` as pretty JSON with keys sorted at every level, ending in a newline.
pub fn write_baseline<W: Write>(mut writer: W, baseline: &Baseline) -> Result<(), ReportError> {
    let mut value = serde_json::to_value(baseline).map_err(ReportError::WriteJson)?;
    value.sort_all_objects();
    serde_json::to_writer_pretty(&mut writer, &value).map_err(ReportError::WriteJson)?;
    writer
        .write_all(b"\n")
        .map_err(|e| ReportError::WriteJson(serde_json::Error::io(e)))
}

/// Writes `baseline` to `path` through a temporary file and a rename (its directory must
/// exist); returns the path.
pub fn save_baseline(path: &Path, baseline: &Baseline) -> Result<PathBuf, ReportError> {
    let mut json = Vec::new();
    write_baseline(&mut json, baseline)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| ReportError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a baseline path names a file",
            ),
        })?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    output::write_atomic(dir, name, &json)
}

/// Reads a baseline written by [`write_baseline`].
///
/// Checks, in order, that the text is JSON, that its `kind` is `baseline` (a `results.json`
/// or `sweep.json` passed by mistake is named as such), its `schema_version`, the schema, and
/// that every number is possible (finite, half-widths >= 0, at least one run).
pub fn read_baseline<R: Read>(mut reader: R) -> Result<Baseline, ReportError> {
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| ReportError::ParseBaseline(serde_json::Error::io(e)))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(ReportError::ParseBaseline)?;
    let make_one = "make one with `distsim run FILE --save-baseline BASELINE.json`";
    match value.get("kind").and_then(serde_json::Value::as_str) {
        Some(BASELINE_KIND) => {}
        Some(kind) => {
            return Err(ReportError::InvalidBaseline {
                reason: format!("its kind is {kind:?}, not \"baseline\"; {make_one}"),
            })
        }
        None if value.get("counters").is_some() => {
            return Err(ReportError::InvalidBaseline {
                reason: format!("this is a run's results.json, not a baseline; {make_one}"),
            })
        }
        None => {
            return Err(ReportError::InvalidBaseline {
                reason: format!("it has no \"kind\": \"baseline\"; {make_one}"),
            })
        }
    }
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if found != u64::from(BASELINE_SCHEMA_VERSION) {
        return Err(ReportError::BaselineSchemaVersion {
            found,
            supported: BASELINE_SCHEMA_VERSION,
        });
    }
    // Parsed again from the text, not the value, so errors carry a line and column.
    let baseline: Baseline = serde_json::from_str(&text).map_err(ReportError::ParseBaseline)?;
    for (name, metric) in &baseline.metrics {
        let possible = metric.mean.is_finite()
            && metric.ci_half_width.is_finite()
            && metric.ci_half_width >= 0.0
            && metric.n >= 1;
        if !possible {
            return Err(ReportError::InvalidBaseline {
                reason: format!(
                    "metric {name:?} needs a finite mean, a finite ci_half_width >= 0 and n >= 1"
                ),
            });
        }
    }
    Ok(baseline)
}

/// Notes about comparing `baseline` with `results`: a scenario text that changed since, and
/// metrics the baseline does not track.
pub(super) fn notes(baseline: &Baseline, results: &[ResultsFile]) -> Vec<String> {
    let first = &results[0];
    let mut notes = Vec::new();
    if baseline.scenario_hash != first.scenario_hash {
        notes.push(format!(
            "the scenario changed since the baseline was made (hash {} then, {} now); editing \
             a check or a comment changes it too. If the change was meant to move the numbers, \
             save a new baseline",
            baseline.scenario_hash, first.scenario_hash
        ));
    }
    let untracked = baseline_metric_names(first)
        .iter()
        .filter(|name| !baseline.metrics.contains_key(*name))
        .filter(|name| matches!(metric_value(first, name), Some(m) if m.value.is_some()))
        .count();
    if untracked > 0 {
        notes.push(format!(
            "{untracked} metrics of this run are not in the baseline and were not compared"
        ));
    }
    notes
}

/// One row per baseline metric, by name; `tolerance_percent` of each baseline value.
pub(super) fn compare(
    baseline: &Baseline,
    results: &[ResultsFile],
    tolerance_percent: f64,
) -> Vec<CheckRow> {
    assert!(tolerance_percent >= 0.0, "a tolerance is never negative");
    baseline
        .metrics
        .iter()
        .map(|(name, stored)| compare_one(name, stored, results, tolerance_percent))
        .collect()
}

fn compare_one(
    name: &str,
    stored: &BaselineMetric,
    results: &[ResultsFile],
    tolerance_percent: f64,
) -> CheckRow {
    let before = Estimate {
        mean: stored.mean,
        ci_half_width: stored.ci_half_width,
        n: stored.n,
    };
    let mut row = CheckRow {
        kind: RowKind::Baseline,
        name: name.to_string(),
        metric: name.to_string(),
        expected: show(&before, stored.unit),
        value: String::new(),
        verdict: Verdict::Within,
        message: String::new(),
    };
    let (now, unit) = match estimate(results, name) {
        Ok(found) => found,
        Err(None) => {
            row.value = "not recorded".into();
            row.verdict = Verdict::Missing;
            row.message = format!("{name} is in the baseline but not recorded by this run");
            return row;
        }
        Err(Some(seed)) => {
            row.value = "no value".into();
            row.verdict = if stored.direction == Direction::Neutral {
                Verdict::Missing
            } else {
                Verdict::Regressed
            };
            row.message = format!("{name} has no value in the run with seed {seed} (no samples)");
            return row;
        }
    };
    if unit != stored.unit {
        row.value = show(&now, unit);
        row.verdict = Verdict::Missing;
        row.message = format!(
            "{name} is measured in {unit:?} now and {:?} in the baseline; not compared",
            stored.unit
        );
        return row;
    }
    row.verdict = baseline_verdict(stored.direction, &before, &now, tolerance_percent / 100.0);
    let change = relative_change(before.mean, now.mean);
    row.value = match &change {
        Some(change) => format!("{} ({change})", show(&now, unit)),
        None => show(&now, unit),
    };
    if matches!(
        row.verdict,
        Verdict::Regressed | Verdict::Improved | Verdict::Changed
    ) {
        let moved = if now.mean > before.mean {
            "rose"
        } else {
            "fell"
        };
        row.message = format!(
            "{name} {moved} from {} to {}{}, beyond the {tolerance_percent}% tolerance{}",
            show(&before, unit),
            show(&now, unit),
            change.map_or(String::new(), |c| format!(" ({c})")),
            if row.verdict == Verdict::Changed {
                "; it has no direction, so this is not a failure"
            } else {
                ""
            }
        );
    }
    row
}

/// The baseline rule: the baseline's interval widened by `tolerance · |mean|` on each side; a
/// new interval entirely beyond it on the bad side regressed, entirely beyond it on the good
/// side improved, otherwise it is within tolerance.
pub(super) fn baseline_verdict(
    direction: Direction,
    before: &Estimate,
    now: &Estimate,
    tolerance: f64,
) -> Verdict {
    let slack = tolerance * before.mean.abs();
    let allowed_low = before.low() - slack;
    let allowed_high = before.high() + slack;
    assert!(
        allowed_low <= allowed_high,
        "a widened interval stays in order"
    );
    let above = now.low() > allowed_high;
    let below = now.high() < allowed_low;
    match direction {
        Direction::HigherIsWorse if above => Verdict::Regressed,
        Direction::HigherIsWorse if below => Verdict::Improved,
        Direction::LowerIsWorse if below => Verdict::Regressed,
        Direction::LowerIsWorse if above => Verdict::Improved,
        Direction::Neutral if above || below => Verdict::Changed,
        _ => Verdict::Within,
    }
}

/// `+4.9%` / `-12%`: the change of the mean, when the baseline is not zero.
fn relative_change(before: f64, now: f64) -> Option<String> {
    if before.abs() < 1e-12 {
        return None;
    }
    let percent = (now - before) / before.abs() * 100.0;
    let shown = crate::format::sig3(percent.abs());
    Some(if percent < 0.0 {
        format!("-{shown}%")
    } else {
        format!("+{shown}%")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::results_with;
    use crate::check::{evaluate_check, CheckInput};

    fn point(mean: f64) -> Estimate {
        Estimate {
            mean,
            ci_half_width: 0.0,
            n: 1,
        }
    }

    // Goal: the direction logic. Latency up beyond the tolerance is a regression, latency down
    // beyond it an improvement (never a failure), and a change inside it is nothing; hit ratio
    // down is a regression; a metric with no direction is only "changed". Method: single
    // values against a baseline of 100 with a 5% tolerance (so 95 to 105 is within).
    #[test]
    fn direction_decides_what_a_regression_is() {
        use Direction::*;
        use Verdict::*;
        for (direction, now, want) in [
            (HigherIsWorse, 106.0, Regressed),
            (HigherIsWorse, 105.0, Within),
            (HigherIsWorse, 100.0, Within),
            (HigherIsWorse, 95.0, Within),
            (HigherIsWorse, 94.0, Improved),
            (LowerIsWorse, 94.0, Regressed),
            (LowerIsWorse, 104.0, Within),
            (LowerIsWorse, 106.0, Improved),
            (Neutral, 200.0, Changed),
            (Neutral, 10.0, Changed),
            (Neutral, 101.0, Within),
        ] {
            let got = baseline_verdict(direction, &point(100.0), &point(now), 0.05);
            assert_eq!(got, want, "{direction:?}: 100 -> {now}");
            assert_eq!(got.is_failure(), want == Regressed);
        }
        // From zero, any increase of a bad thing is a regression: 0 timeouts then, 1 now.
        assert_eq!(
            baseline_verdict(HigherIsWorse, &point(0.0), &point(1.0), 0.05),
            Regressed
        );
    }

    // Goal: with replications, a regression needs the intervals to separate. Method: a
    // baseline of 100 ± 4 (widened by 5% to [91, 109]); new intervals that overlap it, even
    // with a mean beyond it, are within tolerance; one entirely above it regressed.
    #[test]
    fn overlapping_intervals_do_not_regress() {
        let before = Estimate {
            mean: 100.0,
            ci_half_width: 4.0,
            n: 5,
        };
        let interval = |mean: f64, half: f64| Estimate {
            mean,
            ci_half_width: half,
            n: 5,
        };
        let verdict =
            |now: Estimate| baseline_verdict(Direction::HigherIsWorse, &before, &now, 0.05);
        assert_eq!(verdict(interval(112.0, 4.0)), Verdict::Within);
        assert_eq!(verdict(interval(112.0, 2.0)), Verdict::Regressed);
        assert_eq!(verdict(interval(88.0, 4.0)), Verdict::Within);
        assert_eq!(verdict(interval(85.0, 3.0)), Verdict::Improved);
    }

    // Goal: a baseline survives writing and reading unchanged, with sorted keys, and
    // comparing a run with its own baseline finds nothing. Method: build from one results
    // file, write, read back, evaluate.
    #[test]
    fn round_trips_and_matches_itself() {
        let results = [results_with(
            &[("cache.hits", 90), ("cache.misses", 10)],
            2_000_000,
        )];
        let baseline = build_baseline(&results);
        assert_eq!(baseline.kind, "baseline");
        assert_eq!(baseline.seeds, [1]);
        let p99 = &baseline.metrics["latency.read.p99"];
        assert_eq!(
            (p99.mean, p99.n, p99.unit),
            (2e6, 1, MetricUnit::Nanoseconds)
        );
        assert_eq!(p99.direction, Direction::HigherIsWorse);
        assert!(
            !baseline.metrics.contains_key("latency.write.p99"),
            "no samples"
        );
        let mut json = Vec::new();
        write_baseline(&mut json, &baseline).expect("writes to memory");
        let text = String::from_utf8(json.clone()).expect("utf-8");
        let confidence = text.find("\"confidence\"").expect("a key");
        let seeds = text.find("\"seeds\"").expect("a key");
        assert!(confidence < seeds, "keys are sorted");
        assert_eq!(
            read_baseline(json.as_slice()).expect("reads back"),
            baseline
        );

        let report = evaluate_check(&CheckInput {
            results: &results,
            assertions: &[],
            baseline: Some(("b.json", &baseline)),
            tolerance_percent: 5.0,
            command: "",
        })
        .expect("same scenario");
        assert!(report.passed());
        assert!(report.notes.is_empty(), "{:?}", report.notes);
        assert!(report.rows.iter().all(|r| r.verdict == Verdict::Within));
    }

    // Goal: comparing with a baseline flags the regressed metric with its numbers, not the
    // improved one, and notes an edited scenario. Method: a baseline with p99 = 2 ms and a hit
    // ratio of 90%; a new run with p99 = 3 ms and a hit ratio of 95%, from a changed text.
    #[test]
    fn flags_regressions_with_their_numbers() {
        let before = [results_with(
            &[("cache.hits", 90), ("cache.misses", 10)],
            2_000_000,
        )];
        let mut after = [results_with(
            &[("cache.hits", 95), ("cache.misses", 5)],
            3_000_000,
        )];
        after[0].scenario_hash = "1234".into();
        let baseline = build_baseline(&before);
        let report = evaluate_check(&CheckInput {
            results: &after,
            assertions: &[],
            baseline: Some(("b.json", &baseline)),
            tolerance_percent: 5.0,
            command: "",
        })
        .expect("same scenario");
        let row = |name: &str| {
            report
                .rows
                .iter()
                .find(|r| r.name == name)
                .unwrap_or_else(|| panic!("no row {name}"))
        };
        let p99 = row("latency.read.p99");
        assert_eq!(p99.verdict, Verdict::Regressed);
        assert_eq!(p99.expected, "2.00ms");
        assert_eq!(p99.value, "3.00ms (+50.0%)");
        assert_eq!(
            p99.message,
            "latency.read.p99 rose from 2.00ms to 3.00ms (+50.0%), beyond the 5% tolerance"
        );
        assert_eq!(row("cache.hit_ratio").verdict, Verdict::Improved);
        assert_eq!(row("cache.misses").verdict, Verdict::Improved);
        assert_eq!(report.n_failures(), 1);
        assert!(report.notes[0].contains("hash 00ff then, 1234 now"));
        assert_eq!(
            report.summary(),
            "FAIL: 1 of 18 metrics regressed beyond 5% of the baseline, 3 improved"
        );
    }

    // Goal: bad baseline files are refused with a message saying what they are and what to do:
    // not JSON, a results.json, another kind, another schema version, an impossible value.
    #[test]
    fn refuses_bad_baselines() {
        #[track_caller]
        fn check(text: &str, want: &str) {
            let error = read_baseline(text.as_bytes()).expect_err("a bad baseline");
            let message = error.to_string();
            assert!(message.contains(want), "want {want:?} in {message:?}");
        }
        check(
            "{ not json",
            "invalid baseline file: key must be a string at line 1",
        );
        check(
            r#"{"schema_version": 1, "counters": {}}"#,
            "this is a run's results.json, not a baseline; make one with `distsim run",
        );
        check(
            r#"{"kind": "sweep"}"#,
            "its kind is \"sweep\", not \"baseline\"",
        );
        check(
            r#"{"kind": "baseline", "schema_version": 2}"#,
            "schema_version 2, but",
        );
        check(r#"{"kind": "baseline"}"#, "schema_version 0, but");
        check(
            r#"{"kind": "baseline", "schema_version": 1}"#,
            "missing field `confidence`",
        );
        let results = [results_with(&[], 2_000_000)];
        let mut baseline = build_baseline(&results);
        baseline
            .metrics
            .get_mut("latency.read.p99")
            .expect("recorded")
            .ci_half_width = -1.0;
        let mut json = Vec::new();
        write_baseline(&mut json, &baseline).expect("writes to memory");
        check(
            std::str::from_utf8(&json).expect("utf-8"),
            "metric \"latency.read.p99\" needs a finite mean",
        );
    }

    // Goal: a baseline of another scenario is refused, naming both.
    #[test]
    fn refuses_another_scenarios_baseline() {
        let results = [results_with(&[], 2_000_000)];
        let mut baseline = build_baseline(&results);
        baseline.scenario = "other".into();
        let error = evaluate_check(&CheckInput {
            results: &results,
            assertions: &[],
            baseline: Some(("b.json", &baseline)),
            tolerance_percent: 5.0,
            command: "",
        })
        .expect_err("another scenario");
        assert_eq!(
            error.to_string(),
            "the baseline is for scenario \"other\", but this is scenario \"demo\" (compare a \
             scenario only with its own baseline)"
        );
    }
}
