//! `distsim run`: one run of a scenario, its outputs (`results.json`, `timeseries.csv`, the
//! plots, `report.html`), optionally its event trace and a baseline for `distsim check`.
//!
//! Everything a run prints is returned (the percentile table, the summary line, the reason a
//! run stopped early with the command that reproduces it); the binary prints it and maps the
//! [`Status`] to an exit code.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use sim_core::trace::{JsonLinesTrace, TraceRecord, TraceSink};
use sim_core::Progress;

use crate::commands::guard::WallGuard;
use crate::commands::{Report, Status};
use crate::run::{reproduce_command, run_data, run_with, Outcome, RunOptions};
use crate::Scenario;

/// What `distsim run` was asked to do, validated.
pub struct RunRequest<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The seed it runs with.
    pub seed: u64,
    /// Where the outputs go.
    pub out_dir: PathBuf,
    /// A JSON Lines trace of every processed event, if asked for.
    pub trace: Option<PathBuf>,
    /// A baseline of this run for `distsim check --baseline`, if asked for.
    pub save_baseline: Option<PathBuf>,
    /// Check every invariant after this many events (`--paranoid`).
    pub paranoid_every: Option<NonZeroU64>,
}

/// A trace sink whose writer is recovered after the run, to flush it and see its errors.
#[derive(Clone)]
struct FileTrace(Rc<RefCell<JsonLinesTrace<BufWriter<File>>>>);

impl TraceSink for FileTrace {
    fn record(&mut self, record: &TraceRecord<'_>) {
        self.0.borrow_mut().record(record);
    }
}

impl FileTrace {
    fn finish(self) -> Result<(), String> {
        let cell = Rc::try_unwrap(self.0).map_err(|_| "the trace is still in use".to_string())?;
        let mut writer = cell.into_inner().finish().map_err(|e| e.to_string())?;
        writer.flush().map_err(|e| e.to_string())
    }
}

/// Runs the request: the run under its `max_wall_time` guard (calling `progress` as it goes),
/// then its outputs, trace and baseline.
pub fn execute(request: &RunRequest<'_>, progress: &mut dyn FnMut(&Progress)) -> Report {
    let scenario = request.scenario;
    let trace = match &request.trace {
        None => None,
        Some(path) => match File::create(path) {
            Ok(file) => Some(FileTrace(Rc::new(RefCell::new(
                JsonLinesTrace::with_names(
                    BufWriter::with_capacity(1 << 20, file),
                    scenario.directory.names(),
                ),
            )))),
            Err(e) => {
                return Report::invalid(format!(
                    "error: cannot create trace file {}: {e}",
                    path.display()
                ))
            }
        },
    };
    let (outcome, wall) = timed_run(
        scenario,
        request.seed,
        request.paranoid_every,
        trace.clone().map(|t| Box::new(t) as Box<dyn TraceSink>),
        progress,
    );
    let mut report = Report {
        status: Status::Done,
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    if let (Some(trace), Some(path)) = (trace, &request.trace) {
        if let Err(message) = trace.finish() {
            report.stderr.push(format!(
                "error: writing the trace {}: {message}",
                path.display()
            ));
            report.status = Status::Failed;
        }
    }
    let data = run_data(scenario, &outcome);
    let written = match reports::write_run(&request.out_dir, &data) {
        Ok(written) => written,
        Err(error) => {
            report.stderr.push(format!("error: {error}"));
            report.status = Status::Failed;
            return report;
        }
    };
    report.stdout.push(reports::percentile_table(&data));
    report.stdout.extend(outcome.findings.iter().cloned());
    report.stdout.push(format!(
        "{} events in {:.2}s wall ({:.2}M events/s), seed {}; results in {}",
        outcome.sim.events_processed(),
        wall.as_secs_f64(),
        outcome.sim.events_processed() as f64 / wall.as_secs_f64().max(1e-9) / 1e6,
        request.seed,
        written
            .report_html
            .parent()
            .unwrap_or(Path::new("."))
            .display()
    ));
    if let Some(reason) = &outcome.partial {
        report
            .stderr
            .push(format!("error: the results are partial: {reason}"));
        report.stderr.push(format!(
            "partial results (marked partial) are in {}",
            request.out_dir.display()
        ));
        report.stderr.push(format!(
            "reproduce with: {}",
            reproduce_command(&scenario.file, request.seed, &scenario.overrides)
        ));
        if request.save_baseline.is_some() {
            report
                .stderr
                .push("error: no baseline written: a partial run is no baseline".to_string());
        }
        report.status = Status::Failed;
        return report;
    }
    if let Some(path) = &request.save_baseline {
        let saved = reports::build_results(&data)
            .and_then(|results| reports::save_baseline(path, &reports::build_baseline(&[results])));
        match saved {
            Ok(_) => report
                .stdout
                .push(format!("baseline written to {}", path.display())),
            Err(error) => {
                report.stderr.push(format!("error: {error}"));
                report.status = Status::Failed;
            }
        }
    }
    report
}

/// Runs `scenario` with `seed` under its `max_wall_time` guard, with an optional trace and
/// invariant checks, calling `progress` every 65 536 events; returns the outcome and the wall
/// time it took.
pub fn timed_run(
    scenario: &Scenario,
    seed: u64,
    paranoid_every: Option<NonZeroU64>,
    trace: Option<Box<dyn TraceSink>>,
    progress: &mut dyn FnMut(&Progress),
) -> (Outcome, Duration) {
    let guard = WallGuard::start(scenario.max_wall_time);
    let options = RunOptions {
        trace,
        paranoid_every,
    };
    let outcome = run_with(scenario, seed, options, &mut guard.observer(progress));
    (outcome, guard.elapsed())
}
