//! Running a validated scenario and handing its results to `reports`.
//!
//! A run is: build the simulation with the chosen seed, run the warm-up, reset the totals (the
//! timeline keeps the warm-up), run to the end. Placement membership changes (`join`, `leave`,
//! `fail`) are model-level, so the run pauses at each one, applies it to the run's placement,
//! logs it as a fault and records the keys it moved. A guard that stops the run early (max events,
//! max pending, the wall-time limit the caller's observer enforces) does not lose anything:
//! the outcome carries the simulation as it stood, marked partial with the reason. A client
//! whose trace fails part-way (truncated, corrupt) stops sending while the run goes on to its
//! end; the run is then marked partial too, with the trace error (byte offset or line).
//! After the run, the keys `[report] linearizability` names are checked (their histories kept
//! by the replicated stores), each verdict a line of the outcome's `findings`.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use models::msg::Msg;
use models::placement::{MemberChange, SharedPlacement};
use models::replication::history::SharedHistory;
use models::replication::linearizability::{Operation, RegisterOp, Verdict};
use models::roles::StoreRun;
use models::workload::replay::TraceFailure;
use models::workload::KeyId;
use reports::{MembershipEntry, NodeKeys, NodeLoad, RunData};
use sim_core::trace::TraceSink;
use sim_core::{Node, NodeId, NodeStats, Progress, SimTime, Simulation};

use crate::scenario::TimedPromotion;
use crate::sections::faults::MembershipKind;
use crate::sections::placement::TimedChange;
use crate::{Instance, Scenario, VERSION};

/// How to run, beyond the scenario and the seed.
#[derive(Default)]
pub struct RunOptions {
    /// Every processed event is handed to this sink (taken back out before returning).
    pub trace: Option<Box<dyn TraceSink>>,
    /// Check every invariant of the engine and of every node after this many events
    /// (`--paranoid`); `None`: never.
    pub paranoid_every: Option<std::num::NonZeroU64>,
}

/// A finished (or stopped) run.
pub struct Outcome {
    /// The simulation as it stood at the end.
    pub sim: Simulation<Box<dyn Node<Msg = Msg>>>,
    /// The seed it ran with.
    pub seed: u64,
    /// Why it stopped early, if it did.
    pub partial: Option<String>,
    /// Each node's totals at the end of the warm-up, subtracted from the reported loads so
    /// they describe the same span as the metrics.
    pub warmup_loads: Option<Vec<NodeStats>>,
    /// The placement membership changes applied, with the keys each moved.
    pub membership: Vec<MembershipEntry>,
    /// What checks after the run found, one line each (`[report] linearizability`).
    pub findings: Vec<String>,
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
    let options = RunOptions {
        trace,
        ..RunOptions::default()
    };
    run_with(scenario, seed, options, observer)
}

/// Like [`run`], with `options` (a trace, invariant checks).
pub fn run_with(
    scenario: &Scenario,
    seed: u64,
    options: RunOptions,
    observer: &mut dyn FnMut(&Progress) -> ControlFlow<String>,
) -> Outcome {
    let Instance {
        mut sim,
        placements,
        trace_errors,
        history,
        stores,
        group_runs,
    } = scenario.build(seed);
    if let Some(trace) = options.trace {
        sim.set_trace(trace);
    }
    sim.set_paranoid(options.paranoid_every);
    let end = SimTime::ZERO + scenario.duration;
    sim.metrics_mut().set_end(end);
    let warmup_end = SimTime::ZERO + scenario.warmup;
    // Where the run pauses: the warm-up's end (first at its time), each membership change
    // and manual failover, and the end. Changes apply after every engine event at their
    // time.
    let mut stops: Vec<(SimTime, Stop<'_>)> = Vec::new();
    if warmup_end > SimTime::ZERO {
        stops.push((warmup_end.min(end), Stop::WarmupEnd));
    }
    let changes = scenario.membership.iter().filter(|c| c.at <= end);
    stops.extend(changes.map(|change| (change.at, Stop::Change(change))));
    let promotions = scenario.promotions.iter().filter(|p| p.at <= end);
    stops.extend(promotions.map(|promotion| (promotion.at, Stop::Promote(promotion))));
    // Stable: the warm-up's end first at its time, then file order.
    stops.sort_by_key(|(at, stop)| (*at, !matches!(stop, Stop::WarmupEnd)));
    let mut partial = None;
    let mut warmup_loads = None;
    let mut membership = Vec::new();
    for (at, change) in stops {
        if let Err(error) = sim.run_observed(at, &mut *observer) {
            partial = Some(error.to_string());
            break;
        }
        match change {
            Stop::WarmupEnd => {
                sim.metrics_mut().reset_totals();
                let loads = (0..sim.n_nodes())
                    .map(|n| sim.node_stats(NodeId(n)))
                    .collect();
                warmup_loads = Some(loads);
            }
            Stop::Change(change) if placements.contains_key(&change.group) => {
                membership.push(apply_change(scenario, &placements, &mut sim, change))
            }
            Stop::Change(change) => {
                let (_, group_run) = group_runs
                    .iter()
                    .find(|(name, _)| *name == change.group)
                    .expect("the timeline names placed or watched groups only");
                let join = change.kind == MembershipKind::Join;
                let what = group_run.membership_change(join, &change.nodes);
                sim.log_external_fault(change.kind.name(), what);
            }
            Stop::Promote(promotion) => promote(scenario, &stores, &mut sim, promotion),
        }
    }
    if partial.is_none() {
        if let Err(error) = sim.run_observed(end, &mut *observer) {
            partial = Some(error.to_string());
        }
    }
    drop(sim.take_trace());
    if let Some(reason) = trace_failure_reason(scenario, &trace_errors.failures()) {
        partial = Some(match partial {
            None => reason,
            Some(stopped) => format!("{stopped}; {reason}"),
        });
    }
    let mut findings = Vec::new();
    let now = sim.now();
    for (_, group_run) in &group_runs {
        findings.extend(group_run.finish(sim.metrics_mut(), warmup_end.min(now), now));
    }
    findings.extend(check_linearizability(scenario, &history, &mut sim));
    Outcome {
        sim,
        seed,
        partial,
        warmup_loads,
        membership,
        findings,
    }
}

/// States the linearizability search may explore per key before answering "undecided".
const LINEARIZABILITY_BUDGET: u64 = 2_000_000;

/// `[report] linearizability`: checks each watched key's history, counts the verdicts
/// (`linearizability.keys_checked`, `.violations`, `.undecided`) and describes each in a line.
fn check_linearizability(
    scenario: &Scenario,
    history: &SharedHistory,
    sim: &mut Simulation<Box<dyn Node<Msg = Msg>>>,
) -> Vec<String> {
    if scenario.report.linearizability.is_empty() {
        return Vec::new();
    }
    let verdicts = history.lock().linearizability(LINEARIZABILITY_BUDGET);
    let names = scenario.directory.names();
    let now = sim.now();
    let metrics = sim.metrics_mut();
    let [checked, violations, undecided] = [
        "linearizability.keys_checked",
        "linearizability.violations",
        "linearizability.undecided",
    ]
    .map(|name| metrics.counter(name));
    let describe = |o: &Operation| {
        let what = match o.op {
            RegisterOp::Write(v) => format!("write of version {v}"),
            RegisterOp::Read(Some(v)) => format!("read of version {v}"),
            RegisterOp::Read(None) => "read of nothing (never written)".to_string(),
        };
        let seconds = |ns: u64| format!("{:.6} s", ns as f64 / 1e9);
        let ret = o.ret.map_or("never answered".to_string(), |r| {
            format!("answered at {}", seconds(r))
        });
        format!(
            "{what} by {}, called at {}, {ret}",
            names.name(NodeId(o.client)),
            seconds(o.call)
        )
    };
    let mut lines = Vec::new();
    for v in verdicts {
        metrics.add(checked, 1, now);
        let truncated = if v.truncated {
            format!(
                ", the first {} kept",
                models::replication::linearizability::MAX_OPS
            )
        } else {
            String::new()
        };
        let head = format!(
            "linearizability: key {} ({} operations{truncated}):",
            v.key, v.operations
        );
        lines.push(match v.verdict {
            Ok(Verdict::Linearizable { .. }) => format!("{head} linearizable"),
            Ok(Verdict::NotLinearizable { prefix, stuck }) => {
                metrics.add(violations, 1, now);
                format!(
                    "{head} NOT linearizable: {} operations fit a legal order, then no order places the operations called before this one returned: {}",
                    prefix.len(),
                    describe(&v.history[stuck])
                )
            }
            Ok(Verdict::Unknown { explored }) => {
                metrics.add(undecided, 1, now);
                format!("{head} undecided after exploring {explored} states")
            }
            Err(error) => {
                metrics.add(undecided, 1, now);
                format!("{head} not checked: {error}")
            }
        });
    }
    lines
}

/// Why trace errors make a run partial: the first failure in full (which client, when, the
/// trace and the reader's byte offset or line), and how many other clients failed.
fn trace_failure_reason(scenario: &Scenario, failures: &[TraceFailure]) -> Option<String> {
    let first = failures.first()?;
    let client = scenario
        .groups
        .iter()
        .find(|g| (g.first..g.first + g.count).contains(&first.node.0))
        .map(|g| format!("{}[{}]", g.name, first.node.0 - g.first))
        .expect("every node belongs to a group");
    let mut reason = format!(
        "{client} stopped replaying its trace at {} (the run went on to its end): trace {}: {}",
        first.at, first.trace, first.message
    );
    if failures.len() > 1 {
        reason.push_str(&format!(
            "; {} stopped on trace errors",
            crate::format::diag::counted(failures.len() as u64 - 1, "other client")
        ));
    }
    Some(reason)
}

/// Why a run pauses before its end.
enum Stop<'a> {
    /// The warm-up ends: the totals restart.
    WarmupEnd,
    /// A placement membership change.
    Change(&'a TimedChange),
    /// A manual failover.
    Promote(&'a TimedPromotion),
}

/// Applies a manual failover to this run's directory of its store group, and logs it as a
/// fault.
fn promote(
    scenario: &Scenario,
    stores: &BTreeMap<String, StoreRun>,
    sim: &mut Simulation<Box<dyn Node<Msg = Msg>>>,
    promotion: &TimedPromotion,
) {
    let directory = stores
        .get(&promotion.group)
        .and_then(|store| store.directory.as_ref())
        .expect("promotions name leader-follower stores only");
    let node = scenario.directory.name_of(promotion.node);
    let what = match directory.promote(promotion.node) {
        Some(p) => format!(
            "{node} promoted to lead `{}` in term {}",
            promotion.group, p.term
        ),
        None => format!("{node} already leads `{}`: nothing to do", promotion.group),
    };
    sim.log_external_fault("promote", what);
}

/// Applies one membership change to this run's placement of its group, logs it as a fault,
/// and measures how many of the group's sampled keys changed owner.
fn apply_change(
    scenario: &Scenario,
    placements: &BTreeMap<String, SharedPlacement>,
    sim: &mut Simulation<Box<dyn Node<Msg = Msg>>>,
    change: &TimedChange,
) -> MembershipEntry {
    let placement = placements
        .get(&change.group)
        .expect("the timeline names placed groups only");
    let plan = &scenario.placements[&change.group];
    let steps: Vec<MemberChange> = change
        .nodes
        .iter()
        .map(|&node| match change.kind {
            MembershipKind::Join => MemberChange::Join(node),
            MembershipKind::Leave => MemberChange::Leave(node),
        })
        .collect();
    let movement = placement.apply(&steps, (0..plan.sample_keys).map(KeyId));
    assert_eq!(movement.total, plan.sample_keys);
    let name = |node: &NodeId| scenario.directory.name_of(*node);
    let per_node = |counts: &BTreeMap<NodeId, u64>| -> Vec<NodeKeys> {
        counts
            .iter()
            .map(|(node, &keys)| NodeKeys {
                keys,
                node: name(node),
            })
            .collect()
    };
    let nodes: Vec<String> = change.nodes.iter().map(name).collect();
    let entry = MembershipEntry {
        group: change.group.clone(),
        keys_moved: movement.moved,
        keys_sampled: movement.total,
        kind: change.kind.name().to_string(),
        members: placement.members().len() as u64,
        moved_fraction: movement.fraction(),
        moved_from: per_node(&movement.from),
        moved_to: per_node(&movement.to),
        nodes,
        scheme: placement.name().to_string(),
        time_ns: change.at.as_nanos(),
    };
    sim.log_external_fault(
        change.kind.name(),
        format!(
            "{} {} `{}` ({}): {} of {} sampled keys moved",
            entry.nodes.join(", "),
            if change.kind == MembershipKind::Join {
                "joined"
            } else {
                "left"
            },
            entry.group,
            entry.scheme,
            entry.keys_moved,
            entry.keys_sampled
        ),
    );
    entry
}

/// A node's totals since `before` (the warm-up's end).
fn since(now: NodeStats, before: NodeStats) -> NodeStats {
    NodeStats {
        up: now.up,
        sent: now.sent - before.sent,
        received: now.received - before.received,
        work_completed: now.work_completed - before.work_completed,
        busy_ns: now.busy_ns - before.busy_ns,
    }
}

/// The report input for an outcome.
pub fn run_data<'a>(scenario: &Scenario, outcome: &'a Outcome) -> RunData<'a> {
    let nodes = scenario
        .node_names()
        .into_iter()
        .enumerate()
        .map(|(i, (name, group))| {
            let total = outcome.sim.node_stats(NodeId(i as u32));
            let stats = match &outcome.warmup_loads {
                Some(loads) => since(total, loads[i]),
                None => total,
            };
            NodeLoad { name, group, stats }
        })
        .collect();
    RunData {
        scenario_name: scenario.name.clone(),
        description: scenario.description.clone(),
        scenario_file: scenario.file.clone(),
        reproduce: reproduce_command(&scenario.file, outcome.seed, &scenario.overrides),
        scenario_hash: scenario.hash.clone(),
        seed: outcome.seed,
        distsim_version: VERSION.to_string(),
        sim_duration_ns: outcome.sim.now().as_nanos(),
        warmup_ns: scenario.warmup.as_nanos(),
        partial: outcome.partial.clone(),
        events: outcome.sim.events_processed(),
        digest: outcome.sim.digest(),
        metrics: outcome.sim.metrics(),
        faults: outcome.sim.fault_log(),
        membership: outcome.membership.clone(),
        nodes,
        percentiles: scenario.report.percentiles.clone(),
        primary_latency: scenario.report.timeline_metric.clone(),
        timeline_counters: scenario.report.timeline_counters.clone(),
        plots: scenario.report.plots.clone(),
        findings: outcome.findings.clone(),
    }
}

/// The command that reruns this run exactly: the file, the seed and every `--set`.
pub fn reproduce_command(file: &str, seed: u64, set: &[String]) -> String {
    let mut command = format!("distsim run {} --seed {seed}", shell_quote(file));
    for given in set {
        command.push_str(&format!(" --set {}", shell_quote(given)));
    }
    command
}

/// `text` as one POSIX shell word: as is when it is plainly safe, else in single quotes.
pub fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the printed reproduce command survives a POSIX shell: plain words stay as they
    // are, anything with spaces, quotes or braces is single-quoted.
    #[test]
    fn reproduce_command_quotes_for_the_shell() {
        let set = vec![
            "simulation.max_events=100".to_string(),
            "group.clients.workload={ rate = \"1/s\" }".to_string(),
            "simulation.name=\"it's\"".to_string(),
        ];
        assert_eq!(
            reproduce_command("my runs/a.toml", 7, &set),
            "distsim run 'my runs/a.toml' --seed 7 --set simulation.max_events=100 \
             --set 'group.clients.workload={ rate = \"1/s\" }' \
             --set 'simulation.name=\"it'\\''s\"'"
        );
    }
}
