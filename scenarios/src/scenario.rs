//! From scenario text to a validated [`Scenario`], and from a `Scenario` to a runnable
//! [`Simulation`].
//!
//! Validation happens here, once, as a short pipeline over the sections (`crate::sections`):
//! simulation, topology and groups, network, placements, faults, roles, warnings, report,
//! checks, sweep plan. Every name resolves through the [`Registries`] handed in, every number
//! is in range, every unit is understood. Below this boundary (the engine, the models) inputs
//! are trusted. Errors point at the offending text; suspicious but valid choices become
//! warnings.

use std::collections::BTreeMap;

use models::msg::Msg;
use models::placement::SharedPlacement;
use models::replication::history::SharedHistory;
use models::replication::ReplicationSpec;
use models::roles::StoreRun;
use models::workload::replay::TraceErrorLog;
use sim_core::rng::NodeLabel;
use sim_core::{
    CrashProcess, Fault, MetricTable, NetworkConfig, Node, NodeId, RunLimits, SimConfig,
    SimDuration, SimTime, Simulation, Topology,
};

use crate::format::diag::{Diagnostic, Severity, Source};
use crate::format::schema::{ScenarioFile, TOP_LEVEL_KEYS};
use crate::format::select::NodeDirectory;
use crate::registry::Registries;
use crate::sections::budget::MemoryEstimate;
use crate::sections::checks::{build_checks, Check, Recorded};
use crate::sections::faults::{parse_timeline, Promotion};
use crate::sections::network::build_network;
use crate::sections::placement::{
    build_all, membership_timeline, PlacementPlan, TimedChange, SAMPLE_KEYS_DEFAULT,
    SAMPLE_KEYS_MAX,
};
use crate::sections::report::{build_report, ReportConfig};
use crate::sections::roles::{
    build_groups, failure_histograms, recorded_histograms, recorded_tallies, GroupPlan, GroupRun,
    GroupsInput, RunContext,
};
use crate::sections::sweep_plan::{plan_from_file, SweepPlan};
use crate::sections::topology::{build_topology, place_groups};
use crate::sections::warnings::{catalogue_warnings, period_warnings, utilisation_warnings};
use crate::sections::{simulation, vocabulary::Vocabulary};
use crate::ScenarioError;

/// One run of a scenario, built and not yet run.
pub struct Instance {
    /// The simulation.
    pub sim: Simulation<Box<dyn Node<Msg = Msg>>>,
    /// This run's placement of every placed group, shared with the clients routing by it.
    pub placements: BTreeMap<String, SharedPlacement>,
    /// Where this run's trace-replaying clients report a trace that fails part-way (each
    /// client opens its trace here, in `build`).
    pub trace_errors: TraceErrorLog,
    /// This run's consistency log, kept by its replicated stores (watching the keys of
    /// `[report] linearizability`).
    pub history: SharedHistory,
    /// This run of every store group, by group name (the runner applies `promote` to its
    /// directory).
    pub stores: BTreeMap<String, StoreRun>,
    /// This run's state of every group whose role keeps one, in group order (the runner
    /// finishes each after the run).
    pub group_runs: Vec<(String, Box<dyn GroupRun>)>,
}

/// A manual failover the runner applies: `node` of store group `group` leads from `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedPromotion {
    /// When (after every engine event at that time).
    pub at: SimTime,
    /// The store group.
    pub group: String,
    /// The member promoted.
    pub node: NodeId,
}

/// Checks that every `promote` names a member of a leader-follower store group.
fn promotion_timeline(
    source: &Source,
    groups: &[GroupPlan],
    promotions: &[(SimTime, Promotion)],
) -> Result<Vec<TimedPromotion>, Diagnostic> {
    promotions
        .iter()
        .map(|(at, promotion)| {
            let node = promotion.node;
            let group = groups
                .iter()
                .find(|g| (g.first..g.first + g.count).contains(&node.0));
            match group {
                Some(g) if matches!(g.builder.replication(), Some(ReplicationSpec::LeaderFollower(_))) => {
                    Ok(TimedPromotion {
                        at: *at,
                        group: g.name.clone(),
                        node,
                    })
                }
                _ => {
                    let name = group.map_or("?", |g| g.name.as_str());
                    Err(Diagnostic::error(
                        source,
                        promotion.span.clone(),
                        format!(
                            "`promote` names a node of group {name:?}, which is not a leader_follower store: only a leader-follower store has a leader to replace by hand"
                        ),
                    )
                    .with_help(
                        "name a member of a group with role = \"store\" and replication = { scheme = \"leader_follower\" } (Raft elects its own leaders)",
                    ))
                }
            }
        })
        .collect()
}

/// A validated scenario. It holds no per-run mutable state, so one `Scenario` can be run many
/// times, and concurrently: everything a run changes is built by [`Scenario::build`].
pub struct Scenario {
    /// The file as the user named it (without any `--set` note).
    pub file: String,
    /// The `--set` overrides applied, in order.
    pub overrides: Vec<String>,
    /// The text it came from.
    pub source: Source,
    /// `[simulation].name`.
    pub name: String,
    /// `[simulation].description`.
    pub description: Option<String>,
    /// The scenario's seed, if it names one.
    pub seed: Option<u64>,
    /// Simulated run length.
    pub duration: SimDuration,
    /// Leading time excluded from the totals.
    pub warmup: SimDuration,
    /// Event guards.
    pub limits: RunLimits,
    /// Wall-time guard.
    pub max_wall_time: Option<SimDuration>,
    /// Regions and zones.
    pub topology: Topology,
    /// The network.
    pub network: NetworkConfig,
    /// The groups, in node-id order.
    pub groups: Vec<GroupPlan>,
    /// Node names and groups.
    pub directory: NodeDirectory,
    /// The fault timeline.
    pub faults: Vec<(SimTime, Fault)>,
    /// Each placed group's placement plan, by group name.
    pub placements: BTreeMap<String, PlacementPlan>,
    /// Placement membership changes, in the order the runner applies them.
    pub membership: Vec<TimedChange>,
    /// Manual failovers (`promote`), in file order.
    pub promotions: Vec<TimedPromotion>,
    /// `[sweep]`: variants and replications (one variant, one replication without it).
    pub sweep: SweepPlan,
    /// Random crash processes.
    pub processes: Vec<CrashProcess>,
    /// Report settings.
    pub report: ReportConfig,
    /// Assertions on results.
    pub checks: Vec<Check>,
    /// Valid but suspicious choices.
    pub warnings: Vec<Diagnostic>,
    /// FNV-1a 64 of the text, hex: identifies the exact scenario in reports.
    pub hash: String,
    /// The meaning of every family's metrics, declared into every run.
    pub metric_tables: Vec<MetricTable>,
}

/// FNV-1a, 64-bit (Fowler, Noll, Vo): a fixed, documented hash of the scenario text.
pub fn fnv1a_hex(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Turns a TOML parse or type error into a diagnostic, in TOML's words rather than Rust's,
/// adding "did you mean" for unknown sections and fields.
fn toml_error(source: &Source, error: &toml::de::Error) -> Diagnostic {
    let (mut message, help) = crate::format::diag::explain_serde(error.message());
    let span = error.span().unwrap_or(0..0);
    // The top level is a table too, so serde calls an unknown section an unknown field.
    let top_level: Vec<String> = TOP_LEVEL_KEYS.iter().map(|k| format!("`{k}`")).collect();
    if message.starts_with("unknown field `") && message.ends_with(&top_level.join(", ")) {
        message = message.replacen("unknown field", "unknown section", 1);
    }
    let diagnostic = Diagnostic::error(source, span, message);
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

fn invalid(diagnostic: Diagnostic) -> ScenarioError {
    ScenarioError::Invalid(Box::new(diagnostic))
}

impl Scenario {
    /// Parses and validates scenario text with distsim's built-in rows.
    pub fn parse(source: Source) -> Result<Scenario, ScenarioError> {
        Self::parse_with(source, &Registries::builtin())
    }

    /// Parses and validates scenario text, resolving every name through `registries`.
    pub fn parse_with(source: Source, registries: &Registries) -> Result<Scenario, ScenarioError> {
        Self::pipeline(&source, registries)
            .map(|parts| parts.into_scenario(source))
            .map_err(invalid)
    }

    /// The sections, in dependency order: each takes the pieces validated before it.
    fn pipeline(source: &Source, registries: &Registries) -> Result<Parts, Diagnostic> {
        let vocabulary: &Vocabulary = &registries.vocabulary;
        let file: ScenarioFile =
            toml::from_str(&source.text).map_err(|e| toml_error(source, &e))?;
        let mut warnings = Vec::new();
        let simulation = simulation::parse(source, &file.simulation, &mut warnings)?;
        let (topology, zone_names) = build_topology(source, &file)?;
        let (placed, directory) = place_groups(
            source,
            &file,
            &registries.roles,
            &topology,
            &zone_names,
            &simulation,
        )?;
        let mut placements = build_all(source, &file, &placed, &vocabulary.placement_schemes)?;
        let network = build_network(
            source,
            file.network.as_ref(),
            &topology,
            &zone_names,
            &directory,
            &vocabulary.distributions,
        )?;
        let timeline = parse_timeline(
            source,
            &file,
            &directory,
            &topology,
            simulation.duration,
            &registries.fault_kinds,
            &mut warnings,
        )?;
        let groups = build_groups(
            GroupsInput {
                source,
                file: &file,
                placed,
                directory: &directory,
                placements: &placements,
                roles: &registries.roles,
                vocabulary,
            },
            &mut warnings,
        )?;
        let watched: BTreeMap<String, Vec<NodeId>> = groups
            .iter()
            .filter_map(|g| Some((g.name.clone(), g.builder.watched_members()?)))
            .collect();
        let membership =
            membership_timeline(source, &directory, &placements, &watched, &timeline.changes)?;
        utilisation_warnings(source, &file, &groups, &mut warnings);
        catalogue_warnings(source, &file, &groups, &mut warnings);
        period_warnings(source, &file, &groups, &network, &mut warnings);
        for group in &groups {
            if let Some((target, n_keys)) = group.builder.routes_by_placement() {
                let plan = placements
                    .get_mut(target)
                    .expect("clients route to placed groups");
                plan.sample_keys = plan.sample_keys.max(n_keys.min(SAMPLE_KEYS_MAX));
            }
        }
        for plan in placements.values_mut().filter(|p| p.sample_keys == 0) {
            plan.sample_keys = SAMPLE_KEYS_DEFAULT;
        }
        let promotions = promotion_timeline(source, &groups, &timeline.promotions)?;
        let histograms = recorded_histograms(&groups, &registries.roles);
        let stores: Vec<ReplicationSpec> = groups
            .iter()
            .filter_map(|g| g.builder.replication())
            .collect();
        let report = build_report(
            source,
            file.report.as_ref(),
            &histograms,
            &registries.plots,
            &stores,
            &mut warnings,
        )?;
        // The whole estimate, now that the windows and histograms are known.
        let estimate = MemoryEstimate {
            nodes: u64::from(directory.n_nodes),
            windows: simulation
                .duration
                .as_nanos()
                .div_ceil(report.window.as_nanos().max(1)),
            histograms: histograms.len() as u64,
        };
        if let Some(why) = simulation.memory_limit.refuse(&estimate) {
            return Err(Diagnostic::error(source, file.simulation.span(), why));
        }
        // `[report] failures_in_latency` adds a histogram beside each whole-population one.
        let mut histograms = histograms;
        if report.failures_in_latency {
            histograms.extend(failure_histograms(&groups));
        }
        let tallies = recorded_tallies(&groups);
        let recorded = Recorded {
            histograms: &histograms,
            tallies: &tallies,
            percentiles: &report.percentiles,
        };
        let checks = build_checks(source, &file, &recorded)?;
        let sweep = plan_from_file(source, file.sweep.as_ref())?;
        Ok(Parts {
            simulation,
            topology,
            network,
            groups,
            directory,
            faults: timeline.faults,
            processes: timeline.processes,
            placements,
            membership,
            promotions,
            sweep,
            report,
            checks,
            warnings,
            metric_tables: registries
                .metrics
                .rows()
                .iter()
                .map(|row| row.value)
                .collect(),
        })
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> u32 {
        self.directory.n_nodes
    }

    /// `group[i]` names of every node, with their group, in node-id order.
    pub fn node_names(&self) -> Vec<(String, String)> {
        self.groups
            .iter()
            .flat_map(|g| (0..g.count).map(move |i| (format!("{}[{i}]", g.name), g.name.clone())))
            .collect()
    }

    /// Builds one run of this scenario with `seed`: a simulation ready to run, and the run's
    /// own placements (which the membership timeline changes as the run goes). Every node's
    /// random streams are labelled by its group's name and its index there, so other groups
    /// never shift its draws. Trace-replaying clients open their trace files here, afresh for
    /// this run, and report a trace that fails part-way to the instance's `trace_errors`.
    pub fn build(&self, seed: u64) -> Instance {
        let placements: BTreeMap<String, SharedPlacement> = self
            .placements
            .iter()
            .map(|(name, plan)| (name.clone(), plan.instantiate()))
            .collect();
        let trace_errors = TraceErrorLog::new();
        let history = match self.report.consistency {
            true => SharedHistory::for_run(),
            false => SharedHistory::for_run().without_judging(),
        };
        for key in &self.report.linearizability {
            history.lock().watch(*key);
        }
        let stores: BTreeMap<String, StoreRun> = self
            .groups
            .iter()
            .filter_map(|g| {
                let members = (g.first..g.first + g.count).map(NodeId).collect();
                Some((
                    g.name.clone(),
                    StoreRun::new(g.builder.replication()?, members),
                ))
            })
            .collect();
        let run = RunContext {
            placements: &placements,
            trace_errors: &trace_errors,
            failures_in_latency: self.report.failures_in_latency,
            history: &history,
            stores: &stores,
            group_run: None,
        };
        let group_runs: Vec<Option<Box<dyn GroupRun>>> = self
            .groups
            .iter()
            .map(|g| g.builder.new_run(seed))
            .collect();
        let mut sim = Simulation::new(SimConfig {
            seed,
            limits: self.limits,
            metrics_window: Some(self.report.window),
        });
        for table in &self.metric_tables {
            sim.metrics_mut().declare(*table);
        }
        *sim.topology_mut() = self.topology.clone();
        sim.set_node_names(self.directory.names());
        sim.reserve_nodes(self.groups.iter().map(|g| g.count as usize).sum());
        for (group, group_run) in self.groups.iter().zip(&group_runs) {
            let run = RunContext {
                group_run: group_run.as_deref(),
                ..run
            };
            let model = group.service.clone().map(|m| sim.add_service_model(m));
            for index in 0..group.count {
                let label = NodeLabel::of_group(&group.name, index);
                let node = sim
                    .add_labelled_node(
                        group.zones[index as usize],
                        group.builder.build_node(index, &run),
                        label,
                    )
                    .expect("zones validated");
                assert_eq!(
                    node,
                    NodeId(group.first + index),
                    "node ids follow group order"
                );
                if let Some(model) = model {
                    sim.set_service(node, model).expect("node and model exist");
                }
            }
        }
        sim.set_network(self.network.clone())
            .expect("network validated against these nodes");
        for (at, fault) in &self.faults {
            sim.add_fault(*at, fault.clone()).expect("faults validated");
        }
        for process in &self.processes {
            sim.add_crash_process(process.clone())
                .expect("processes validated");
        }
        Instance {
            group_runs: self
                .groups
                .iter()
                .zip(group_runs)
                .filter_map(|(g, r)| Some((g.name.clone(), r?)))
                .collect(),
            stores,
            sim,
            placements,
            trace_errors,
            history,
        }
    }

    /// Replications per variant (`[sweep] replications`, 1 without it).
    pub fn replications(&self) -> u32 {
        self.sweep.replications
    }

    /// Whether any warning was raised.
    pub fn has_warnings(&self) -> bool {
        self.warnings
            .iter()
            .any(|w| w.severity == Severity::Warning)
    }
}

/// What the pipeline validated, before the source is moved into the scenario.
struct Parts {
    simulation: simulation::SimulationPlan,
    topology: Topology,
    network: NetworkConfig,
    groups: Vec<GroupPlan>,
    directory: NodeDirectory,
    faults: Vec<(SimTime, Fault)>,
    processes: Vec<CrashProcess>,
    placements: BTreeMap<String, PlacementPlan>,
    membership: Vec<TimedChange>,
    promotions: Vec<TimedPromotion>,
    sweep: SweepPlan,
    report: ReportConfig,
    checks: Vec<Check>,
    warnings: Vec<Diagnostic>,
    metric_tables: Vec<MetricTable>,
}

impl Parts {
    fn into_scenario(self, source: Source) -> Scenario {
        let simulation = self.simulation;
        Scenario {
            file: source.name.clone(),
            overrides: Vec::new(),
            hash: fnv1a_hex(&source.text),
            source,
            name: simulation.name,
            description: simulation.description,
            seed: simulation.seed,
            duration: simulation.duration,
            warmup: simulation.warmup,
            limits: simulation.limits,
            max_wall_time: simulation.max_wall_time,
            topology: self.topology,
            network: self.network,
            groups: self.groups,
            directory: self.directory,
            faults: self.faults,
            placements: self.placements,
            membership: self.membership,
            promotions: self.promotions,
            sweep: self.sweep,
            processes: self.processes,
            report: self.report,
            checks: self.checks,
            warnings: self.warnings,
            metric_tables: self.metric_tables,
        }
    }
}
