//! `distsim check`: what it needs around its runs. The `[[check]]` assertions themselves are
//! parsed with the scenario (`sections::checks`); judging them and the baseline is
//! `reports::check`'s. This module validates the rest of the input (`--tolerance`, the baseline
//! file), picks the replications' seeds, names the command that reruns a check, and turns a
//! counter no run has into a diagnostic at its check.

use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use reports::{Assertion, Baseline, CheckInput, CheckReport, ReportError, ResultsFile};
use sim_core::Progress;

use crate::commands::run::timed_run;
use crate::commands::{Report, Status};
use crate::format::diag::{suggest, Diagnostic};
use crate::run::run_data;
use crate::sections::checks::plain_number;
use crate::{Scenario, ScenarioError};

/// The tolerance of a baseline comparison when `--tolerance` is not given: 5% of each value.
pub const TOLERANCE_DEFAULT: &str = "5%";

fn invalid(diagnostic: Diagnostic) -> ScenarioError {
    ScenarioError::Invalid(Box::new(diagnostic))
}

/// `--tolerance`: a percentage of each baseline value, `5%` or `2.5%` (0 allowed), returned
/// in percent.
pub fn parse_tolerance(text: &str) -> Result<f64, String> {
    let invalid = || {
        format!(
            "--tolerance takes a percentage of the baseline value such as 5% or 2.5%, got {text:?}"
        )
    };
    let number = text.trim().strip_suffix('%').ok_or_else(invalid)?;
    match plain_number(number) {
        Ok(percent) if percent >= 0.0 => Ok(percent),
        _ => Err(invalid()),
    }
}

/// The seeds of the check's runs: `seed` itself for one replication (so the check reruns
/// exactly what `distsim run --seed` ran); with `[sweep] replications = R`, R seeds derived
/// from it as `distsim sweep` derives them.
pub fn replication_seeds(scenario: &Scenario, seed: u64) -> Vec<u64> {
    let replications = scenario.replications();
    assert!(replications >= 1, "a scenario runs at least once");
    if replications == 1 {
        return vec![seed];
    }
    (0..replications)
        .map(|r| crate::sections::sweep_plan::replication_seed(seed, 0, r))
        .collect()
}

/// The command that reruns a check: the file, the seed, every `--set`, the baseline and the
/// tolerance, each shell-quoted.
pub fn check_command(
    file: &str,
    seed: u64,
    set: &[String],
    baseline: Option<&str>,
    tolerance: Option<&str>,
) -> String {
    use crate::run::shell_quote;
    let mut command = format!("distsim check {} --seed {seed}", shell_quote(file));
    for given in set {
        command.push_str(&format!(" --set {}", shell_quote(given)));
    }
    if let Some(baseline) = baseline {
        command.push_str(&format!(" --baseline {}", shell_quote(baseline)));
    }
    if let Some(tolerance) = tolerance {
        command.push_str(&format!(" --tolerance {}", shell_quote(tolerance)));
    }
    command
}

/// Reads the baseline at `path` and checks it belongs to `scenario`: same name (a different
/// hash is only a note, made by the comparison: editing a threshold changes the hash).
pub fn load_baseline(path: &Path, scenario: &Scenario) -> Result<Baseline, ScenarioError> {
    let fail = |reason: String| ScenarioError::Baseline {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let baseline =
        reports::read_baseline(std::io::BufReader::new(file)).map_err(|e| fail(e.to_string()))?;
    if baseline.scenario != scenario.name {
        return Err(fail(
            ReportError::BaselineScenario {
                baseline: baseline.scenario.clone(),
                scenario: scenario.name.clone(),
            }
            .to_string(),
        ));
    }
    Ok(baseline)
}

/// Judges `results` (one per replication) against the scenario's checks and the baseline.
///
/// A check naming a metric that no run has is an error pointing at the check, with the
/// closest existing name.
pub fn evaluate(
    scenario: &Scenario,
    results: &[ResultsFile],
    baseline: Option<(&str, &Baseline)>,
    tolerance_percent: f64,
    command: &str,
) -> Result<CheckReport, ScenarioError> {
    for check in &scenario.checks {
        let metric = &check.assertion.metric;
        if results
            .iter()
            .all(|r| reports::metric_value(r, metric).is_none())
        {
            let names = reports::metric_names(&results[0]);
            return Err(invalid(
                Diagnostic::error(
                    &scenario.source,
                    check.span.clone(),
                    format!("no metric {metric:?} in this run's results"),
                )
                .with_help(suggest(metric, names.iter().map(String::as_str))),
            ));
        }
    }
    let assertions: Vec<Assertion> = scenario
        .checks
        .iter()
        .map(|c| c.assertion.clone())
        .collect();
    reports::evaluate_check(&CheckInput {
        results,
        assertions: &assertions,
        baseline,
        tolerance_percent,
        command,
    })
    .map_err(|error| match error {
        ReportError::UnknownMetric { metric } => {
            unreachable!("every check's metric {metric:?} was found above")
        }
        other => ScenarioError::Baseline {
            path: baseline.map_or(String::new(), |(file, _)| file.to_string()),
            reason: other.to_string(),
        },
    })
}

/// What `distsim check` was asked to do, validated before anything runs (a wrong baseline
/// costs nothing).
pub struct CheckRequest<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The seed of the first replication.
    pub seed: u64,
    /// The scenario file as given, for the rerun command.
    pub file: String,
    /// `--set` overrides as given.
    pub set: Vec<String>,
    /// The baseline, with its path as given.
    pub baseline: Option<(String, Baseline)>,
    /// `--tolerance` as given (for the rerun command) and in percent.
    pub tolerance: (Option<String>, f64),
    /// Where the runs' outputs, `check.md` and `check.junit.xml` go.
    pub out_dir: PathBuf,
    /// Also write a baseline of these runs here.
    pub save_baseline: Option<PathBuf>,
    /// Check every invariant after this many events (`--paranoid`).
    pub paranoid_every: Option<NonZeroU64>,
    /// Print only errors and the one-line verdict.
    pub quiet: bool,
}

/// Runs every replication (writing each run's outputs: into `out_dir` for one run,
/// `out_dir/replication-<r>` for several), judges them, writes the verdict files and
/// optionally a new baseline.
pub fn execute(request: &CheckRequest<'_>, progress: &mut dyn FnMut(&Progress)) -> Report {
    let scenario = request.scenario;
    let mut report = Report::new(Status::Done);
    let seeds = replication_seeds(scenario, request.seed);
    let mut results = Vec::with_capacity(seeds.len());
    for (index, &seed) in seeds.iter().enumerate() {
        let dir = if seeds.len() == 1 {
            request.out_dir.clone()
        } else {
            request.out_dir.join(format!("replication-{index}"))
        };
        let (outcome, wall) = timed_run(scenario, seed, request.paranoid_every, None, progress);
        let data = run_data(scenario, &outcome);
        match reports::write_run(&dir, &data).and_then(|_| reports::build_results(&data)) {
            Ok(result) => results.push(result),
            Err(error) => {
                report.stderr.push(format!("error: {error}"));
                report.status = Status::Failed;
                return report;
            }
        }
        if !request.quiet {
            report.stdout.push(format!(
                "run {}/{}: seed {seed}, {} events in {:.2}s wall; outputs in {}",
                index + 1,
                seeds.len(),
                outcome.sim.events_processed(),
                wall.as_secs_f64(),
                dir.display()
            ));
        }
    }
    let command = check_command(
        &request.file,
        request.seed,
        &request.set,
        request.baseline.as_ref().map(|(path, _)| path.as_str()),
        request.tolerance.0.as_deref(),
    );
    let baseline = request
        .baseline
        .as_ref()
        .map(|(path, baseline)| (path.as_str(), baseline));
    let verdict = match evaluate(scenario, &results, baseline, request.tolerance.1, &command) {
        Ok(verdict) => verdict,
        Err(error) => {
            report.stderr.push(error.to_string());
            report.status = Status::Invalid;
            return report;
        }
    };
    if request.quiet {
        if !verdict.passed() {
            report.stderr.push(verdict.summary());
        }
    } else {
        report.stdout.push(reports::check_table(&verdict));
    }
    if let Err(error) = reports::write_check(&request.out_dir, &verdict) {
        report.stderr.push(format!("error: {error}"));
        report.status = Status::Failed;
        return report;
    }
    if let Some(path) = &request.save_baseline {
        if results.iter().any(|r| r.partial.is_some()) {
            report.stderr.push(
                "error: no baseline written: a run stopped early, and a partial run is no baseline"
                    .to_string(),
            );
            report.status = Status::Failed;
            return report;
        }
        match reports::save_baseline(path, &reports::build_baseline(&results)) {
            Ok(_) if !request.quiet => report
                .stdout
                .push(format!("baseline written to {}", path.display())),
            Ok(_) => {}
            Err(error) => {
                report.stderr.push(format!("error: {error}"));
                report.status = Status::Failed;
                return report;
            }
        }
    }
    if !request.quiet {
        report.stdout.push(format!(
            "check.md and check.junit.xml in {}",
            request.out_dir.display()
        ));
    }
    if !verdict.passed() {
        report.status = Status::Failed;
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances() {
        assert_eq!(parse_tolerance("5%"), Ok(5.0));
        assert_eq!(parse_tolerance("2.5%"), Ok(2.5));
        assert_eq!(parse_tolerance("0%"), Ok(0.0));
        for bad in ["5", "-1%", "2ms", "%", "five%"] {
            let message = parse_tolerance(bad).expect_err(bad);
            assert!(
                message.contains("a percentage of the baseline value"),
                "{message}"
            );
        }
    }

    // Goal: the reproduce command quotes what the shell would split.
    #[test]
    fn check_command_quotes() {
        assert_eq!(
            check_command(
                "a b.toml",
                7,
                &["group.x.count=2".into()],
                Some("base line.json"),
                Some("5%")
            ),
            "distsim check 'a b.toml' --seed 7 --set group.x.count=2 --baseline 'base line.json' \
             --tolerance 5%"
        );
    }
}
