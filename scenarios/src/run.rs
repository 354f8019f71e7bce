//! Running a validated scenario and handing its results to `reports`.
//!
//! A run is: build the simulation with the chosen seed, run the warm-up, reset the totals (the
//! timeline keeps the warm-up), run to the end. A guard that stops the run early (max events,
//! max pending, the wall-time limit the caller's observer enforces) does not lose anything:
//! the outcome carries the simulation as it stood, marked partial with the reason.

use std::ops::ControlFlow;

use models::msg::Msg;
use reports::{NodeLoad, RunData};
use sim_core::trace::TraceSink;
use sim_core::{Node, NodeId, Progress, SimTime, Simulation};

use crate::Scenario;

/// The version string recorded in every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A finished (or stopped) run.
pub struct Outcome {
    /// The simulation as it stood at the end.
    pub sim: Simulation<Box<dyn Node<Msg = Msg>>>,
    /// The seed it ran with.
    pub seed: u64,
    /// Why it stopped early, if it did.
    pub partial: Option<String>,
}

/// Runs `scenario` with `seed`, calling `observer` every 65 536 events (progress bars,
/// wall-time guards); the observer may stop the run by returning `Break(reason)`.
pub fn run(
    scenario: &Scenario,
    seed: u64,
    observer: &mut dyn FnMut(&Progress) -> ControlFlow<String>,
) -> Outcome {
    run_traced(scenario, seed, None, observer)
}

/// Like [`run`], handing every processed event to `trace` (taken back out before returning).
pub fn run_traced(
    scenario: &Scenario,
    seed: u64,
    trace: Option<Box<dyn TraceSink>>,
    observer: &mut dyn FnMut(&Progress) -> ControlFlow<String>,
) -> Outcome {
    let mut sim = scenario.build(seed);
    if let Some(trace) = trace {
        sim.set_trace(trace);
    }
    let end = SimTime::ZERO + scenario.duration;
    let warmup_end = SimTime::ZERO + scenario.warmup;
    let mut partial = None;
    if warmup_end > SimTime::ZERO {
        match sim.run_observed(warmup_end.min(end), &mut *observer) {
            Ok(_) => sim.metrics_mut().reset_totals(),
            Err(error) => partial = Some(error.to_string()),
        }
    }
    if partial.is_none() {
        if let Err(error) = sim.run_observed(end, &mut *observer) {
            partial = Some(error.to_string());
        }
    }
    drop(sim.take_trace());
    Outcome { sim, seed, partial }
}

/// The report input for an outcome.
pub fn run_data<'a>(scenario: &Scenario, outcome: &'a Outcome) -> RunData<'a> {
    let nodes = scenario
        .node_names()
        .into_iter()
        .enumerate()
        .map(|(i, (name, group))| NodeLoad {
            name,
            group,
            stats: outcome.sim.node_stats(NodeId(i as u32)),
        })
        .collect();
    RunData {
        scenario_name: scenario.name.clone(),
        scenario_file: scenario.source.name.clone(),
        scenario_hash: scenario.hash.clone(),
        seed: outcome.seed,
        distsim_version: VERSION.to_string(),
        sim_duration_ns: outcome.sim.now().as_nanos(),
        warmup_ns: scenario.warmup.as_nanos(),
        partial: outcome.partial.clone(),
        events: outcome.sim.events_processed(),
        metrics: outcome.sim.metrics(),
        faults: outcome.sim.fault_log(),
        nodes,
        percentiles: scenario.report.percentiles.clone(),
        primary_latency: scenario.report.timeline_metric.clone(),
    }
}
