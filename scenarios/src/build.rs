//! From scenario text to a validated [`Scenario`], and from a `Scenario` to a runnable
//! [`Simulation`].
//!
//! Validation happens here, once: every name resolves, every number is in range, every unit is
//! understood. Below this boundary (the engine, the models) inputs are trusted. Errors point at
//! the offending text; suspicious but valid choices become warnings.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::ops::Range;

use models::msg::Msg;
use models::placement::SharedPlacement;
use models::workload::replay::TraceErrorLog;
use sim_core::{
    CrashProcess, Distribution, Fault, NetworkConfig, Node, NodeId, Overflow, RegionId, RunLimits,
    ServiceModel, SimConfig, SimDuration, SimTime, Simulation, Topology, ZoneId,
};
use toml::Spanned;

use crate::diag::{suggest, Diagnostic, Severity, Source};
use crate::faults::{at_span, partition_names, FaultAction, FaultParser};
use crate::placement::{
    membership_timeline, PlacementPlan, TimedChange, SAMPLE_KEYS_DEFAULT, SAMPLE_KEYS_MAX,
};
use crate::quantity::{distribution, Dimension};
use crate::roles::{registry, Params, RoleBuilder, RoleContext, RunContext, ServiceUse};
use crate::schema::{
    DistSpec, GroupSection, NetworkSection, ScenarioFile, ServiceSpec, DIST_KINDS, TOP_LEVEL_KEYS,
};
use crate::select::{GroupRange, NodeDirectory};
use crate::units::{parse_bandwidth_bps, parse_duration};
use crate::ScenarioError;

/// 1 s: the default timeline window.
const WINDOW_DEFAULT: SimDuration = SimDuration::from_secs(1);
/// Most nodes one scenario may define: node ids are `u32`, and 10^7 idle nodes already take
/// about 1.3 GB of engine state.
const N_NODES_MAX: u64 = 10_000_000;
/// Most workers one node may have: each worker is a slot in the node's run-time state, and
/// no real server runs a million threads.
const WORKERS_MAX: u32 = 1_000_000;
/// 220 us one-way, lognormal sigma 0.2: same-zone latency in AWS us-east-1 (0.446 ms mean RTT,
/// 0.078 ms mdev over 10 pings; docs/reference-numbers.md 2a, [S7]).
const LATENCY_DEFAULT_MEDIAN_NS: f64 = 220_000.0;
const LATENCY_DEFAULT_SIGMA: f64 = 0.2;

/// A group ready to build.
pub struct GroupPlan {
    /// Group name.
    pub name: String,
    /// Role name.
    pub role: &'static str,
    /// First node id.
    pub first: u32,
    /// Number of nodes.
    pub count: u32,
    /// Each node's zone.
    pub zones: Vec<ZoneId>,
    /// Workers, queue and service times.
    pub service: Option<ServiceModel>,
    builder: Box<dyn RoleBuilder>,
}

/// `[report]`, resolved.
#[derive(Clone, Debug)]
pub struct ReportConfig {
    /// Timeline window.
    pub window: SimDuration,
    /// Extra percentiles.
    pub percentiles: Vec<f64>,
    /// The metric the timeline shows.
    pub timeline_metric: Option<String>,
    /// Which plots to draw; `None` for all.
    pub plots: Option<Vec<String>>,
}

pub use crate::check::Check;

/// One run of a scenario, built and not yet run.
pub struct Instance {
    /// The simulation.
    pub sim: Simulation<Box<dyn Node<Msg = Msg>>>,
    /// This run's placement of every placed group, shared with the clients routing by it.
    pub placements: BTreeMap<String, SharedPlacement>,
    /// Where this run's trace-replaying clients report a trace that fails part-way (each
    /// client opens its trace here, in `build`).
    pub trace_errors: TraceErrorLog,
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
    /// `[sweep]`: variants and replications (one variant, one replication without it).
    pub sweep: crate::sweep::SweepPlan,
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
/// adding "did you mean" for unknown sections, fields and variants.
fn toml_error(source: &Source, error: &toml::de::Error) -> Diagnostic {
    let (mut message, help) = crate::diag::explain_serde(error.message());
    let span = error.span().unwrap_or(0..0);
    // The top level is a table too, so serde calls an unknown section an unknown field.
    let top_level: Vec<String> = TOP_LEVEL_KEYS.iter().map(|k| format!("`{k}`")).collect();
    if message.starts_with("unknown field `") && message.ends_with(&top_level.join(", ")) {
        message = message.replacen("unknown field", "unknown section", 1);
    }
    let mut diagnostic = Diagnostic::error(source, span, message.clone());
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    if message.contains("missing field `dist`")
        || message.contains("unknown variant") && message.contains("constant")
    {
        diagnostic
            .help
            .get_or_insert_with(|| format!("`dist` is one of {}", DIST_KINDS.join(", ")));
    }
    diagnostic
}

fn err<T>(diagnostic: Diagnostic) -> Result<T, ScenarioError> {
    Err(ScenarioError::Invalid(Box::new(diagnostic)))
}

/// A positive integer that fits `u32`.
fn positive_u32(source: &Source, value: &Spanned<i64>, what: &str) -> Result<u32, ScenarioError> {
    match u32::try_from(*value.get_ref()) {
        Ok(n) if n > 0 => Ok(n),
        _ => err(Diagnostic::error(
            source,
            value.span(),
            format!(
                "{what} must be a whole number from 1 to {}, got {}",
                u32::MAX,
                value.get_ref()
            ),
        )),
    }
}

fn duration_at(source: &Source, text: &Spanned<String>) -> Result<SimDuration, ScenarioError> {
    parse_duration(text.get_ref())
        .or_else(|e| err(Diagnostic::error(source, text.span(), e.message)))
}

fn dist_at(
    source: &Source,
    spec: &Spanned<DistSpec>,
    dimension: Dimension,
) -> Result<Distribution, ScenarioError> {
    distribution(spec.get_ref(), dimension).or_else(|e| {
        let span = match e.param {
            Some(param) => source.key_span(spec.span(), &[param]),
            None => spec.span(),
        };
        err(Diagnostic::error(source, span, e.message))
    })
}

impl Scenario {
    /// Parses and validates scenario text.
    pub fn parse(source: Source) -> Result<Scenario, ScenarioError> {
        let file: ScenarioFile =
            toml::from_str(&source.text).or_else(|e| err(toml_error(&source, &e)))?;
        let mut warnings = Vec::new();
        let sim = file.simulation.get_ref();
        let name = sim.name.get_ref().trim().to_string();
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return err(Diagnostic::error(&source, sim.name.span(), "the name must be non-empty and contain no `/` or `\\` (it names the output directory)"));
        }
        let seed = match &sim.seed {
            None => None,
            Some(seed) => Some(u64::try_from(*seed.get_ref()).or_else(|_| {
                err(Diagnostic::error(
                    &source,
                    seed.span(),
                    format!("seed must be a whole number >= 0, got {}", seed.get_ref()),
                ))
            })?),
        };
        let duration = duration_at(&source, &sim.duration)?;
        if duration == SimDuration::ZERO {
            return err(Diagnostic::error(
                &source,
                sim.duration.span(),
                "duration must be longer than 0",
            ));
        }
        let warmup = match &sim.warmup {
            None => SimDuration::ZERO,
            Some(text) => {
                let warmup = duration_at(&source, text)?;
                if warmup >= duration {
                    warnings.push(Diagnostic::warning(&source, text.span(), format!("warmup ({warmup}) is not shorter than the run ({duration}): every result will be empty")));
                }
                warmup
            }
        };
        let mut limits = RunLimits::default();
        for (value, slot, what) in [
            (&sim.max_events, &mut limits.max_events, "max_events"),
            (&sim.max_pending, &mut limits.max_pending, "max_pending"),
        ] {
            if let Some(value) = value {
                *slot = match u64::try_from(*value.get_ref()) {
                    Ok(n) if n > 0 => n,
                    _ => {
                        return err(Diagnostic::error(
                            &source,
                            value.span(),
                            format!(
                                "{what} must be a whole number >= 1, got {}",
                                value.get_ref()
                            ),
                        ))
                    }
                };
            }
        }
        let max_wall_time = match &sim.max_wall_time {
            None => None,
            Some(text) => {
                let limit = duration_at(&source, text)?;
                if limit == SimDuration::ZERO {
                    return err(Diagnostic::error(
                        &source,
                        text.span(),
                        "max_wall_time must be longer than 0",
                    ));
                }
                Some(limit)
            }
        };

        let (topology, zone_names) = build_topology(&source, &file)?;
        let (mut groups_plan, directory) = place_groups(&source, &file, &topology, &zone_names)?;
        let mut placements =
            crate::placement::build_all(&source, &file, &groups_plan).or_else(err)?;
        let network = build_network(
            &source,
            file.network.as_ref(),
            &topology,
            &zone_names,
            &directory,
        )?;

        let partitions = partition_names(&file.fault);
        let fault_parser = FaultParser {
            source: &source,
            directory: &directory,
            topology: &topology,
            partitions: &partitions,
        };
        let mut faults = Vec::new();
        let mut changes = Vec::new();
        for (index, section) in file.fault.iter().enumerate() {
            let (at, action) = fault_parser.parse(index, section).or_else(err)?;
            // A fault at exactly the end still fires: the run processes events up to and
            // including its end time.
            if at.as_nanos() > duration.as_nanos() {
                warnings.push(Diagnostic::warning(
                    &source,
                    at_span(section),
                    format!(
                        "this fault fires at {}, after the run ends ({duration})",
                        SimDuration(at.as_nanos())
                    ),
                ));
            }
            match action {
                FaultAction::Engine(fault) => faults.push((at, fault)),
                FaultAction::Membership(change) => changes.push((at, change)),
                FaultAction::Fail {
                    crash,
                    detect_after,
                    leave,
                } => {
                    faults.push((at, crash));
                    changes.push((at + detect_after, leave));
                }
            }
        }
        let membership =
            membership_timeline(&source, &directory, &placements, &changes).or_else(err)?;
        let processes = file
            .fault_process
            .iter()
            .map(|p| fault_parser.parse_process(p))
            .collect::<Result<Vec<_>, _>>()
            .or_else(err)?;

        let entries = registry();
        let serves_requests: std::collections::BTreeMap<String, bool> = file
            .group
            .iter()
            .map(|g| {
                let group = g.get_ref();
                let serves = entries
                    .iter()
                    .any(|e| e.name == group.role.get_ref() && e.serves_requests);
                (group.name.get_ref().clone(), serves)
            })
            .collect();
        let roles: std::collections::BTreeMap<String, String> = file
            .group
            .iter()
            .map(|g| {
                (
                    g.get_ref().name.get_ref().clone(),
                    g.get_ref().role.get_ref().clone(),
                )
            })
            .collect();
        let mut groups = Vec::with_capacity(groups_plan.len());
        for (section, placed) in file.group.iter().zip(groups_plan.drain(..)) {
            let group = section.get_ref();
            let entry = entries
                .iter()
                .find(|e| e.name == group.role.get_ref())
                .expect("roles checked when placing groups");
            let service = match (&group.service, entry.service) {
                (Some(spec), ServiceUse::None) => {
                    return err(Diagnostic::error(
                        &source,
                        spec.span(),
                        format!("a `{}` group has no service model", entry.name),
                    ));
                }
                (Some(spec), ServiceUse::Optional) => {
                    Some(build_service(&source, &placed.0, spec)?)
                }
                (None, _) => None,
            };
            let context = RoleContext {
                source: &source,
                group,
                group_span: section.span(),
                directory: &directory,
                serves_requests: &serves_requests,
                roles: &roles,
                placements: &placements,
            };
            let mut params = Params::new(&source, section, entry);
            let builder = (entry.parse)(&context, &mut params).or_else(err)?;
            warnings.extend(params.finish().or_else(err)?);
            groups.push(GroupPlan {
                name: placed.0,
                role: entry.name,
                first: placed.1,
                count: placed.2,
                zones: placed.3,
                service,
                builder,
            });
        }
        utilisation_warnings(&source, &file, &groups, &mut warnings);
        catalogue_warnings(&source, &file, &groups, &mut warnings);
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

        let histograms = recorded_histograms(&groups);
        let report = build_report(&source, file.report.as_ref(), &histograms)?;
        let recorded = crate::check::Recorded {
            histograms: &histograms,
            percentiles: &report.percentiles,
        };
        let checks = crate::check::build_checks(&source, &file, &recorded)?;
        let sweep = crate::sweep::plan_from_file(&source, file.sweep.as_ref()).or_else(err)?;
        let hash = fnv1a_hex(&source.text);
        Ok(Scenario {
            name,
            description: sim.description.clone(),
            seed,
            duration,
            warmup,
            limits,
            max_wall_time,
            topology,
            network,
            groups,
            directory,
            faults,
            placements,
            membership,
            sweep,
            processes,
            report,
            checks,
            warnings,
            hash,
            file: source.name.clone(),
            overrides: Vec::new(),
            source,
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
    /// own placements (which the membership timeline changes as the run goes). Trace-replaying
    /// clients open their trace files here, afresh for this run, and report a trace that fails
    /// part-way to the instance's `trace_errors`.
    pub fn build(&self, seed: u64) -> Instance {
        let placements: BTreeMap<String, SharedPlacement> = self
            .placements
            .iter()
            .map(|(name, plan)| (name.clone(), plan.instantiate()))
            .collect();
        let trace_errors = TraceErrorLog::new();
        let run = RunContext {
            placements: &placements,
            trace_errors: &trace_errors,
        };
        let mut sim = Simulation::new(SimConfig {
            seed,
            limits: self.limits,
            metrics_window: Some(self.report.window),
        });
        *sim.topology_mut() = self.topology.clone();
        for group in &self.groups {
            let model = group.service.clone().map(|m| sim.add_service_model(m));
            for index in 0..group.count {
                let node = sim
                    .add_node_in(
                        group.zones[index as usize],
                        group.builder.build_node(index, &run),
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
            sim,
            placements,
            trace_errors,
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

fn build_topology(
    source: &Source,
    file: &ScenarioFile,
) -> Result<(Topology, Vec<String>), ScenarioError> {
    let mut topology = Topology::new();
    let mut zone_names: Vec<String> = Vec::new();
    let mut region_names: Vec<&str> = Vec::new();
    for region in &file.region {
        let section = region.get_ref();
        let name = section.name.get_ref();
        if region_names.contains(&name.as_str()) {
            return err(Diagnostic::error(
                source,
                section.name.span(),
                format!("region {name:?} is defined twice"),
            ));
        }
        region_names.push(name);
        let id = topology.add_region(name);
        let zones: Vec<Spanned<String>> = if section.zones.is_empty() {
            vec![Spanned::new(section.name.span(), name.clone())]
        } else {
            section.zones.clone()
        };
        for zone in zones {
            if zone_names.contains(zone.get_ref()) {
                return err(Diagnostic::error(
                    source,
                    zone.span(),
                    format!("zone {:?} is defined twice", zone.get_ref()),
                ));
            }
            topology
                .add_zone(id, zone.get_ref())
                .expect("region just added");
            zone_names.push(zone.into_inner());
        }
    }
    if zone_names.is_empty() {
        let region = topology.add_region("default");
        topology
            .add_zone(region, "default")
            .expect("region just added");
        zone_names.push("default".to_string());
    }
    Ok((topology, zone_names))
}

/// `(name, first node, count, zone of each node)` per group.
type Placed = (String, u32, u32, Vec<ZoneId>);

fn place_groups(
    source: &Source,
    file: &ScenarioFile,
    topology: &Topology,
    zone_names: &[String],
) -> Result<(Vec<Placed>, NodeDirectory), ScenarioError> {
    let roles = registry();
    let mut directory = NodeDirectory::default();
    let mut placed = Vec::new();
    let mut next: u64 = 0;
    let zone_id = |name: &Spanned<String>| -> Result<ZoneId, ScenarioError> {
        match zone_names.iter().position(|z| z == name.get_ref()) {
            Some(i) => Ok(ZoneId(i as u16)),
            None => err(Diagnostic::error(
                source,
                name.span(),
                format!("unknown zone {:?}", name.get_ref()),
            )
            .with_help(suggest(
                name.get_ref(),
                zone_names.iter().map(String::as_str),
            ))),
        }
    };
    for section in &file.group {
        let group: &GroupSection = section.get_ref();
        let name = group.name.get_ref().clone();
        if name.is_empty() || name.contains(['[', ']', ':', '*', ' ']) {
            return err(Diagnostic::error(source, group.name.span(), format!("group name {name:?} must be non-empty without `[`, `]`, `:`, `*` or spaces (it is used in selectors)")));
        }
        if directory.groups.contains_key(&name) {
            return err(Diagnostic::error(
                source,
                group.name.span(),
                format!("group {name:?} is defined twice"),
            ));
        }
        if !roles.iter().any(|r| r.name == group.role.get_ref()) {
            return err(Diagnostic::error(
                source,
                group.role.span(),
                format!("unknown role {:?}", group.role.get_ref()),
            )
            .with_help(suggest(group.role.get_ref(), roles.iter().map(|r| r.name))));
        }
        let count = positive_u32(source, &group.count, "count")?;
        if next + u64::from(count) > N_NODES_MAX {
            return err(Diagnostic::error(
                source,
                group.count.span(),
                format!("the scenario would have more than {N_NODES_MAX} nodes"),
            ));
        }
        let choices = [
            group.zone.is_some(),
            group.zones.is_some(),
            group.region.is_some(),
        ];
        if choices.iter().filter(|c| **c).count() > 1 {
            return err(Diagnostic::error(
                source,
                section.span(),
                "give one of `zone`, `zones` or `region`, not several",
            ));
        }
        let spread: Vec<ZoneId> = if let Some(zone) = &group.zone {
            vec![zone_id(zone)?]
        } else if let Some(zones) = &group.zones {
            let list = zones.get_ref();
            if list.is_empty() {
                return err(Diagnostic::error(
                    source,
                    zones.span(),
                    "`zones` must list at least one zone",
                ));
            }
            list.iter()
                .map(|z| zone_id(&Spanned::new(zones.span(), z.clone())))
                .collect::<Result<_, _>>()?
        } else if let Some(region) = &group.region {
            let index = (0..topology.n_regions())
                .find(|r| topology.region_name(RegionId(*r)) == region.get_ref());
            let Some(index) = index else {
                let names: Vec<&str> = (0..topology.n_regions())
                    .map(|r| topology.region_name(RegionId(r)))
                    .collect();
                return err(Diagnostic::error(
                    source,
                    region.span(),
                    format!("unknown region {:?}", region.get_ref()),
                )
                .with_help(suggest(region.get_ref(), names)));
            };
            (0..topology.n_zones())
                .map(ZoneId)
                .filter(|z| topology.region_of(*z) == RegionId(index))
                .collect()
        } else {
            vec![ZoneId(0)]
        };
        let first = next as u32;
        let zones: Vec<ZoneId> = (0..count as usize)
            .map(|i| spread[i % spread.len()])
            .collect();
        for (i, zone) in zones.iter().enumerate() {
            let node = NodeId(first + i as u32);
            directory
                .zones
                .entry(topology.zone_name(*zone).to_string())
                .or_default()
                .push(node);
            let region = topology.region_name(topology.region_of(*zone)).to_string();
            directory.regions.entry(region).or_default().push(node);
        }
        directory
            .groups
            .insert(name.clone(), GroupRange { first, count });
        placed.push((name, first, count, zones));
        next += u64::from(count);
    }
    if placed.is_empty() {
        return err(Diagnostic::error_at_file(
            source,
            "the scenario defines no [[group]]: nothing to simulate",
        )
        .with_help(
            "add a [[group]] with `name`, `count` and `role` (`distsim list` shows the roles)",
        ));
    }
    directory.n_nodes = next as u32;
    Ok((placed, directory))
}

fn build_service(
    source: &Source,
    group: &str,
    spec: &Spanned<ServiceSpec>,
) -> Result<ServiceModel, ScenarioError> {
    let service = spec.get_ref();
    let workers = positive_u32(source, &service.workers, "workers")?;
    if workers > WORKERS_MAX {
        return err(Diagnostic::error(
            source,
            service.workers.span(),
            format!("workers must be a whole number from 1 to {WORKERS_MAX}, got {workers}"),
        ));
    }
    let base = dist_at(source, &service.time, Dimension::Duration)?;
    let per_op = |op: &Option<Spanned<DistSpec>>| -> Result<Distribution, ScenarioError> {
        match op {
            Some(spec) => dist_at(source, spec, Dimension::Duration),
            None => Ok(base.clone()),
        }
    };
    let times = vec![
        per_op(&service.read_time)?,
        per_op(&service.write_time)?,
        per_op(&service.delete_time)?,
    ];
    let mut model = ServiceModel::new(
        group,
        NonZeroU32::new(workers).expect("positive"),
        base.clone(),
    )
    .with_op_times(times)
    .expect("three operation kinds");
    if let Some(queue) = &service.queue {
        let capacity = u32::try_from(*queue.get_ref()).or_else(|_| {
            err(Diagnostic::error(
                source,
                queue.span(),
                format!("queue must be a whole number >= 0, got {}", queue.get_ref()),
            ))
        })?;
        let overflow = match service
            .overflow
            .as_ref()
            .map(|o| (o.get_ref().as_str(), o.span()))
        {
            None | Some(("reject", _)) => Overflow::Reject,
            Some(("drop", _)) => Overflow::Drop,
            Some((other, span)) => {
                return err(
                    Diagnostic::error(source, span, format!("unknown overflow {other:?}"))
                        .with_help(suggest(other, ["reject", "drop"])),
                )
            }
        };
        model = model.with_queue_capacity(capacity, overflow);
    } else if let Some(overflow) = &service.overflow {
        return err(Diagnostic::error(
            source,
            overflow.span(),
            "`overflow` needs a bounded `queue`",
        ));
    }
    Ok(model)
}

fn build_network(
    source: &Source,
    section: Option<&Spanned<NetworkSection>>,
    topology: &Topology,
    zone_names: &[String],
    directory: &NodeDirectory,
) -> Result<NetworkConfig, ScenarioError> {
    let default_latency =
        Distribution::lognormal_median(LATENCY_DEFAULT_MEDIAN_NS, LATENCY_DEFAULT_SIGMA)
            .expect("valid default");
    let Some(section) = section else {
        return Ok(NetworkConfig::new(default_latency));
    };
    let net = section.get_ref();
    let latency = match &net.latency {
        Some(spec) => dist_at(source, spec, Dimension::Duration)?,
        None => default_latency,
    };
    let mut config = NetworkConfig::new(latency);
    if let Some(bandwidth) = &net.bandwidth {
        let bps = parse_bandwidth_bps(bandwidth.get_ref())
            .or_else(|e| err(Diagnostic::error(source, bandwidth.span(), e.message)))?;
        config
            .set_bandwidth_bps(Some(bps))
            .expect("parser refuses 0");
    }
    for (value, what) in [(&net.loss, "loss"), (&net.duplicate, "duplicate")] {
        if let Some(p) = value {
            let result = if what == "loss" {
                config.set_loss(*p.get_ref())
            } else {
                config.set_duplicate(*p.get_ref())
            };
            result.or_else(|e| err(Diagnostic::error(source, p.span(), e.to_string())))?;
        }
    }
    config.set_fifo(net.fifo.unwrap_or(false));
    let region_names: Vec<&str> = (0..topology.n_regions())
        .map(|r| topology.region_name(RegionId(r)))
        .collect();
    for rule in &net.rule {
        let between = &rule.get_ref().between;
        let latency = dist_at(source, &rule.get_ref().latency, Dimension::Duration)?;
        let [a, b] = between.get_ref().as_slice() else {
            return err(Diagnostic::error(
                source,
                between.span(),
                "`between` takes exactly two names: regions, zones or single nodes",
            ));
        };
        // Bare names, or `region:NAME` / `zone:NAME` as in selectors (which also settles a
        // name that is both a region and a zone).
        let region = |n: &str| {
            let name = n.strip_prefix("region:").unwrap_or(n);
            (!n.starts_with("zone:"))
                .then(|| region_names.iter().position(|r| *r == name))
                .flatten()
                .map(|i| RegionId(i as u16))
        };
        let zone = |n: &str| {
            let name = n.strip_prefix("zone:").unwrap_or(n);
            (!n.starts_with("region:"))
                .then(|| zone_names.iter().position(|z| z == name))
                .flatten()
                .map(|i| ZoneId(i as u16))
        };
        let node = |n: &str| {
            directory
                .select(n)
                .ok()
                .filter(|s| s.len() == 1)
                .map(|s| s.nodes()[0])
        };
        if let (Some(ra), Some(rb)) = (region(a), region(b)) {
            config.region_latency(ra, rb, latency);
        } else if let (Some(za), Some(zb)) = (zone(a), zone(b)) {
            config.zone_latency(za, zb, latency);
        } else if let (Some(na), Some(nb)) = (node(a), node(b)) {
            config.node_latency(na, nb, latency);
        } else {
            let candidates: Vec<&str> = region_names
                .iter()
                .copied()
                .chain(zone_names.iter().map(String::as_str))
                .collect();
            let unknown = if region(a).is_none() && zone(a).is_none() && node(a).is_none() {
                a
            } else {
                b
            };
            return err(Diagnostic::error(source, between.span(), format!("`between` must name two regions, two zones or two single nodes; {unknown:?} is none of these (or the two are of different kinds)"))
                .with_help(suggest(unknown, candidates)));
        }
    }
    Ok(config)
}

/// Warns about every group whose busiest node is offered at least as much work as it can
/// serve. Each open-loop client spreads its rate evenly over its targets (exact for `random`
/// and `round_robin` routing, an average for `key_modulo`), and a balancer spreads what it
/// receives evenly over its backends (an average for the adaptive policies); a node's demand is its offered
/// reads, writes and deletes times their mean service times, divided by its workers.
fn utilisation_warnings(
    source: &Source,
    file: &ScenarioFile,
    groups: &[GroupPlan],
    warnings: &mut Vec<Diagnostic>,
) {
    // Offered requests per second by target node and operation (looked up, never iterated).
    let mut offered: std::collections::HashMap<NodeId, [f64; 3]> = Default::default();
    for group in groups {
        let Some(load) = group.builder.offered_load() else {
            continue;
        };
        let per_target = load.rate_per_s * f64::from(group.count) / load.targets.len() as f64;
        for target in &load.targets {
            let entry = offered.entry(*target).or_insert([0.0; 3]);
            for (slot, fraction) in entry.iter_mut().zip(load.op_fractions) {
                *slot += per_target * fraction;
            }
        }
    }
    // Balancers pass what they receive on to their backends, spread evenly (one level).
    for group in groups {
        let Some(backends) = group.builder.forwards_to() else {
            continue;
        };
        for node in group.first..group.first + group.count {
            let Some(rates) = offered.get(&NodeId(node)).copied() else {
                continue;
            };
            for backend in backends {
                let entry = offered.entry(*backend).or_insert([0.0; 3]);
                for (slot, rate) in entry.iter_mut().zip(rates) {
                    *slot += rate / backends.len() as f64;
                }
            }
        }
    }
    for (index, group) in groups.iter().enumerate() {
        let Some(service) = &group.service else {
            continue;
        };
        let mean_s: Vec<Option<f64>> = (0..3)
            .map(|op| {
                service
                    .op_time(sim_core::OpKind(op))
                    .and_then(Distribution::mean)
                    .map(|ns| ns / 1e9)
            })
            .collect();
        let workers = f64::from(service.workers().get());
        let busiest = (group.first..group.first + group.count)
            .filter_map(|n| offered.get(&NodeId(n)))
            .map(|rates| {
                let demand: f64 = rates
                    .iter()
                    .zip(&mean_s)
                    .map(|(rate, mean)| rate * mean.unwrap_or(0.0))
                    .sum();
                (rates.iter().sum::<f64>(), demand / workers)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((rate, utilisation)) = busiest else {
            continue;
        };
        if utilisation >= 1.0 {
            let span: Range<usize> = file.group[index]
                .get_ref()
                .service
                .as_ref()
                .map_or(file.group[index].span(), Spanned::span);
            let consequence = match service.queue_capacity() {
                None => "its queue will grow without bound".to_string(),
                Some(capacity) => format!(
                    "its queue (bound {capacity}) will fill and it will {} the excess",
                    match service.overflow() {
                        sim_core::Overflow::Reject => "reject",
                        sim_core::Overflow::Drop => "drop",
                    }
                ),
            };
            warnings.push(Diagnostic::warning(source, span, format!(
                "group {:?}: its busiest node is offered {rate:.0} requests/s, {utilisation:.2} times what its {workers} worker(s) can serve: {consequence}",
                group.name
            )));
        }
    }
}

/// Warns about a cache group whose nodes together hold every key its clients use: every
/// policy then only takes compulsory misses, so comparing policies or sizes there says
/// nothing. The catalogue is the largest of the clients' (whose targets all lie in the group)
/// key spaces, in objects or in bytes (keys x mean value size).
fn catalogue_warnings(
    source: &Source,
    file: &ScenarioFile,
    groups: &[GroupPlan],
    warnings: &mut Vec<Diagnostic>,
) {
    for (index, group) in groups.iter().enumerate() {
        let Some(capacity) = group.builder.cache_capacity() else {
            continue;
        };
        let nodes = group.first..group.first + group.count;
        let catalogue = groups
            .iter()
            .filter_map(|g| g.builder.catalogue())
            .filter(|c| !c.targets.is_empty() && c.targets.iter().all(|t| nodes.contains(&t.0)))
            .map(|c| match capacity.unit() {
                models::cache::SizeUnit::Objects => c.n_keys as f64,
                models::cache::SizeUnit::Bytes => c.n_keys as f64 * c.value_bytes_mean,
            })
            .fold(None, |most: Option<f64>, c| {
                Some(most.map_or(c, |m| m.max(c)))
            });
        let Some(catalogue) = catalogue else {
            continue;
        };
        let total = capacity.amount() as f64 * f64::from(group.count);
        if total >= catalogue {
            let section = &file.group[index];
            let span = section
                .get_ref()
                .params
                .iter()
                .find(|(key, _)| key.get_ref() == "capacity")
                .map_or(section.span(), |(_, value)| value.span());
            warnings.push(Diagnostic::warning(
                source,
                span,
                format!(
                    "group {:?}: its {} node(s) hold {} {} in all, at least the whole catalogue \
                     its clients use ({}): after the first request of each key everything hits, \
                     whatever the policy",
                    group.name,
                    group.count,
                    total,
                    capacity.unit().name(),
                    catalogue.round()
                ),
            ));
        }
    }
}

/// The latency histograms a run of these groups records: each role's own, and the wait and
/// sojourn time of every group with a service model.
fn recorded_histograms(groups: &[GroupPlan]) -> Vec<String> {
    let entries = registry();
    let mut names: Vec<String> = Vec::new();
    for group in groups {
        let entry = entries
            .iter()
            .find(|e| e.name == group.role)
            .expect("roles checked when placing groups");
        for name in entry.histograms {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        if group.service.is_some() {
            names.push(format!("service.{}.wait", group.name));
            names.push(format!("service.{}.sojourn", group.name));
        }
    }
    names
}

fn build_report(
    source: &Source,
    section: Option<&Spanned<crate::schema::ReportSection>>,
    histograms: &[String],
) -> Result<ReportConfig, ScenarioError> {
    let mut report = ReportConfig {
        window: WINDOW_DEFAULT,
        percentiles: Vec::new(),
        timeline_metric: None,
        plots: None,
    };
    let Some(section) = section else {
        return Ok(report);
    };
    let section = section.get_ref();
    if let Some(window) = &section.window {
        report.window = duration_at(source, window)?;
        if report.window == SimDuration::ZERO {
            return err(Diagnostic::error(
                source,
                window.span(),
                "window must be longer than 0",
            ));
        }
    }
    for p in &section.percentiles {
        if !(*p.get_ref() > 0.0 && *p.get_ref() < 100.0) {
            return err(Diagnostic::error(
                source,
                p.span(),
                format!(
                    "percentiles must be between 0 and 100 (exclusive), got {}",
                    p.get_ref()
                ),
            ));
        }
        report.percentiles.push(*p.get_ref());
    }
    if let Some(metric) = &section.timeline_metric {
        if !histograms.contains(metric.get_ref()) {
            return err(Diagnostic::error(
                source,
                metric.span(),
                format!(
                    "timeline_metric {:?} is not a latency this scenario records",
                    metric.get_ref()
                ),
            )
            .with_help(suggest(
                metric.get_ref(),
                histograms.iter().map(String::as_str),
            )));
        }
        report.timeline_metric = Some(metric.get_ref().clone());
    }
    if let Some(plots) = &section.plots {
        let mut chosen = Vec::new();
        for plot in plots {
            if !reports::PLOT_NAMES.contains(&plot.get_ref().as_str()) {
                return err(Diagnostic::error(
                    source,
                    plot.span(),
                    format!("unknown plot {:?}", plot.get_ref()),
                )
                .with_help(suggest(plot.get_ref(), reports::PLOT_NAMES)));
            }
            chosen.push(plot.get_ref().clone());
        }
        report.plots = Some(chosen);
    }
    Ok(report)
}
