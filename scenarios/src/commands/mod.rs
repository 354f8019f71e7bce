//! The top layer: what each `distsim` subcommand does, as library functions that take their
//! inputs as plain values and return what happened (files written, tables to print, an exit
//! status) without printing or exiting themselves. The `distsim` binary (`scenarios/cli`)
//! only parses flags, draws progress bars, prints what these return and maps errors to exit
//! codes.
//!
//! - `run` — `distsim run`: one run, its outputs, its baseline (and `--check-determinism`).
//! - `check` — `distsim check`: replications judged against assertions and a baseline.
//! - `sweep` — `distsim sweep` and `distsim merge`.
//! - `cache` — `distsim cache`: a trace through policies and sizes.
//! - `placement` — `distsim placement`: a placement study.
//! - `list` — `distsim list`: every registry's rows.
//! - `trace` — `distsim trace`: filtering an event trace by node, request and time.
//! - `guard` — the seed policy (a number, the file's, or `random`) and the wall-time guard,
//!   shared by every command that runs a scenario.
//! - `determinism` — running twice (or at two thread counts) and naming the first event
//!   where the runs part.

use crate::format::diag::{counted, Severity};
use crate::Scenario;

pub mod cache;
pub mod check;
pub mod determinism;
pub mod guard;
pub mod list;
pub mod placement;
pub mod run;
pub mod sweep;
pub mod trace;

/// How a command ended, for the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Everything ran and was written.
    Done,
    /// The run stopped early or failed after it started (partial results are written), or an
    /// output could not be written, or a check failed: exit 1.
    Failed,
    /// The input was invalid: exit 2.
    Invalid,
}

/// What a command did, for the binary to print.
pub struct Report {
    /// How it ended.
    pub status: Status,
    /// What to print on standard output, in order.
    pub stdout: Vec<String>,
    /// What to print on standard error, in order (errors first word `error:`).
    pub stderr: Vec<String>,
}

impl Report {
    /// A report of nothing but `status`.
    pub fn new(status: Status) -> Self {
        Report {
            status,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }

    /// Invalid input: exit 2 with `message` on standard error.
    pub fn invalid(message: String) -> Self {
        Report {
            status: Status::Invalid,
            stdout: Vec::new(),
            stderr: vec![message],
        }
    }
}

/// The warnings of a loaded scenario, each as printed (a diagnostic and a blank line).
pub fn warnings_text(scenario: &Scenario) -> Vec<String> {
    scenario
        .warnings
        .iter()
        .filter(|w| w.severity == Severity::Warning)
        .map(|w| format!("{w}\n"))
        .collect()
}

/// `distsim validate`'s verdict line.
pub fn validate_summary(file: &str, scenario: &Scenario) -> String {
    // Engine faults, random processes and placement changes (a `fail` counts as its crash
    // and its leave).
    let faults = scenario.faults.len() + scenario.processes.len() + scenario.membership.len();
    let n = |n: usize| n as u64;
    format!(
        "{file}: valid — {}, {}, {}, {}, {}",
        counted(n(scenario.groups.len()), "group"),
        counted(scenario.n_nodes(), "node"),
        counted(n(faults), "fault"),
        counted(n(scenario.checks.len()), "check"),
        counted(n(scenario.warnings.len()), "warning")
    )
}
