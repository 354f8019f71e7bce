//! The role registry: which roles a scenario's `[[group]]` can name, how each parses its own
//! parameters, and how it builds its nodes; and [`build_groups`], which turns every group into
//! a [`GroupPlan`].
//!
//! **A new role** implements its node in `models::roles` (or in the user's own crate), writes
//! a parser in its own module under `sections/roles/` with a `pub(super) const ROW: RoleRow`,
//! and adds that row to [`ROLES`] (or, out of tree, to its copy of the registries). Nothing
//! else matches on role names.

mod balancer;
mod cache;
mod client;
mod gossip;
mod limit;
mod membership;
mod retry;
mod server;
mod store;

use std::collections::BTreeMap;
use std::ops::Range;

use models::msg::Msg;
use models::placement::SharedPlacement;
use models::replication::history::SharedHistory;
use models::replication::ReplicationSpec;
use models::roles::StoreRun;
use models::workload::replay::TraceErrorLog;
use sim_core::registry::{Registry, Row};
use sim_core::{Node, NodeId, ServiceModel, ZoneId};
use toml::Spanned;

use sim_core::registry::ParseArgs;

use crate::format::diag::{suggest, Diagnostic, Source};
use crate::format::params::{choose, ChoiceError, Entry, Params};
use crate::format::schema::{GroupSection, ScenarioFile, GROUP_COMMON_KEYS};
use crate::format::select::NodeDirectory;
use crate::sections::placement::PlacementPlan;
use crate::sections::service::build_service;
use crate::sections::topology::Placed;
use crate::sections::vocabulary::Vocabulary;

/// Whether a role needs a `service = {...}` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceUse {
    /// The role does not use one; giving one is an error.
    None,
    /// The role uses one if given.
    Optional,
}

/// The open-loop load one node of a group offers, for utilisation warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct OfferedLoad {
    /// The nodes it spreads its requests over, evenly.
    pub targets: Vec<NodeId>,
    /// Its long-run request rate.
    pub rate_per_s: f64,
    /// The fraction of reads, writes and deletes (service-model operation kinds 0, 1, 2).
    pub op_fractions: [f64; 3],
}

/// What one run's nodes share across groups, built afresh for every run (a parsed scenario
/// holds no per-run mutable state).
#[derive(Clone, Copy)]
pub struct RunContext<'a> {
    /// This run's live placement of every placed group, by group name.
    pub placements: &'a BTreeMap<String, SharedPlacement>,
    /// Where this run's trace-replaying clients report a trace that fails part-way.
    pub trace_errors: &'a TraceErrorLog,
    /// `[report] failures_in_latency`: clients also record latency including failures.
    pub failures_in_latency: bool,
    /// This run's consistency log, shared by every coordinator of a replicated store.
    pub history: &'a SharedHistory,
    /// Every replicated group's (a `store`'s) run: its scheme, what a client coordinating
    /// for itself needs to know of its target, and what its members share, by group name.
    pub stores: &'a BTreeMap<String, StoreRun>,
    /// The run state of the group being built, if its role keeps one
    /// ([`RoleBuilder::new_run`]).
    pub group_run: Option<&'a dyn GroupRun>,
}

/// A group's state for one run, outside its nodes and shared by them (a gossip group's
/// dissemination log), made fresh for every run by [`RoleBuilder::new_run`]. After the run
/// the runner calls [`GroupRun::finish`], which adds what only the whole run shows (a
/// rumour's residue) to the metrics. **A family with run-level state** implements this for
/// its builder; nothing else in the tree changes.
pub trait GroupRun: Send + Sync {
    /// The run ended at `end`, and its totals count from `from` (the warm-up's end): adds
    /// end-of-run metrics and returns lines for the run's findings (printed, and kept in
    /// `results.json` and the report).
    fn finish(
        &self,
        metrics: &mut sim_core::Metrics,
        from: sim_core::SimTime,
        end: sim_core::SimTime,
    ) -> Vec<String>;
    /// Itself, for its own role's nodes to downcast to.
    fn as_any(&self) -> &dyn std::any::Any;
    /// A `join` (`true`) or `leave` of the group's `nodes` now, for a role that keeps its own
    /// membership ([`RoleBuilder::watched_members`]); what happened, for the fault log.
    fn membership_change(&self, join: bool, nodes: &[sim_core::NodeId]) -> String {
        let _ = (join, nodes);
        unreachable!("only groups with watched_members get membership changes")
    }
}

/// The keys a client group requests: what a cache in front of its targets could hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalogue {
    /// The nodes its requests go to.
    pub targets: Vec<NodeId>,
    /// Keys `0..n_keys`.
    pub n_keys: u64,
    /// Mean value size in bytes.
    pub value_bytes_mean: f64,
}

/// A parsed role, ready to build its group's nodes. `Send + Sync` so a parsed scenario can be
/// run by several threads at once (sweeps).
pub trait RoleBuilder: Send + Sync {
    /// Node `index` of the group, for the run `run` describes.
    fn build_node(&self, index: u32, run: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>>;
    /// The group's state for a run with `seed`, made before its nodes are built (they find
    /// it in [`RunContext::group_run`]); `None` for roles that keep none.
    fn new_run(&self, seed: u64) -> Option<Box<dyn GroupRun>> {
        let _ = seed;
        None
    }
    /// The placed group this role routes to by key, and how many keys it uses (keys
    /// `0..n`), so membership changes are measured on the keys it really requests.
    fn routes_by_placement(&self) -> Option<(&str, u64)> {
        None
    }
    /// The open-loop load each node of the group offers, if any.
    fn offered_load(&self) -> Option<OfferedLoad> {
        None
    }
    /// The nodes a pass-through role (a balancer) spreads the requests it receives over.
    fn forwards_to(&self) -> Option<&[NodeId]> {
        None
    }
    /// The keys a request-issuing role uses: its targets, how many keys (`0..n`) and the mean
    /// value size in bytes, for the cache-capacity check.
    fn catalogue(&self) -> Option<Catalogue> {
        None
    }
    /// A cache role's capacity per node.
    fn cache_capacity(&self) -> Option<models::cache::Capacity> {
        None
    }
    /// The group's members at the start, for a role that keeps its own membership (a
    /// failure detector's), so `join` and `leave` faults may name its nodes without a
    /// placement; its run state takes them ([`GroupRun::membership_change`]).
    fn watched_members(&self) -> Option<Vec<NodeId>> {
        None
    }
    /// The period the group's members exchange messages in (gossip rounds), for the warning
    /// when it is shorter than the network's round trip.
    fn protocol_period(&self) -> Option<sim_core::SimDuration> {
        None
    }
    /// A replicated store's scheme, which clients of the group read in [`RunContext::stores`].
    fn replication(&self) -> Option<ReplicationSpec> {
        None
    }
    /// What the group's nodes record beyond its row's `histograms`, by the names
    /// `results.json` uses: breakdown histograms (`latency.read{group=eu}`) and request
    /// outcome tallies (`requests.all`), so checks can be validated before a run.
    fn recording(&self) -> Recording {
        Recording::default()
    }
}

/// Metric names a group records beyond its role row's histograms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    /// Histograms (breakdowns by group or region).
    pub histograms: Vec<String>,
    /// Request outcome tallies.
    pub tallies: Vec<String>,
    /// Histograms recorded only with `[report] failures_in_latency`.
    pub with_failures: Vec<String>,
}

/// What a role's parser can see.
pub struct RoleContext<'a> {
    /// The scenario text, for diagnostics.
    pub source: &'a Source,
    /// The group being parsed.
    pub group: &'a GroupSection,
    /// The group's span.
    pub group_span: Range<usize>,
    /// Every node, for resolving targets.
    pub directory: &'a NodeDirectory,
    /// Each group's name and whether its role answers requests (a valid client target).
    pub serves_requests: &'a BTreeMap<String, bool>,
    /// Each group's name and its role's name.
    pub roles: &'a BTreeMap<String, String>,
    /// The placement plan of every group that has one, by group name.
    pub placements: &'a BTreeMap<String, PlacementPlan>,
    /// The names a role's values may use: distributions, arrivals, keys, cache policies,
    /// placement schemes, balancer policies.
    pub vocabulary: &'a Vocabulary,
}

/// A role's parameter parser.
pub type ParseRole =
    fn(&RoleContext<'_>, &mut Params<'_>) -> Result<Box<dyn RoleBuilder>, Diagnostic>;

/// What a role row holds besides its names and parameters.
#[derive(Clone, Copy, Debug)]
pub struct RoleSpec {
    /// The latency histograms its nodes record (a report's `timeline_metric` may name them).
    pub histograms: &'static [&'static str],
    /// Whether it uses a service model.
    pub service: ServiceUse,
    /// Whether its nodes answer requests, so clients may target it.
    pub serves_requests: bool,
    /// Parses the group's role parameters.
    pub parse: ParseRole,
}

/// One role's registry row.
pub type RoleRow = Row<RoleSpec>;

/// Every built-in role, in `distsim list` order.
pub const ROLES: &[RoleRow] = &[
    client::ROW,
    cache::ROW,
    balancer::ROW,
    balancer::RATELIMITER_ROW,
    server::ROW,
    store::ROW,
    gossip::ROW,
    membership::ROW,
];

/// The built-in roles as a registry.
pub fn roles() -> Registry<RoleSpec> {
    Registry::new("role", ROLES)
}

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
    /// Builds the group's nodes for each run.
    pub builder: Box<dyn RoleBuilder>,
}

/// What [`build_groups`] reads besides the file.
pub struct GroupsInput<'a> {
    /// The scenario text.
    pub source: &'a Source,
    /// The parsed file.
    pub file: &'a ScenarioFile,
    /// Each group's node ids and zones, in file order.
    pub placed: Vec<Placed>,
    /// Every node.
    pub directory: &'a NodeDirectory,
    /// Every placed group's plan.
    pub placements: &'a BTreeMap<String, PlacementPlan>,
    /// The roles groups may name.
    pub roles: &'a Registry<RoleSpec>,
    /// The names roles' values may use.
    pub vocabulary: &'a Vocabulary,
}

/// Every group, parsed by its role, in file order, and the roles' warnings.
pub fn build_groups(
    input: GroupsInput<'_>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<GroupPlan>, Diagnostic> {
    let GroupsInput {
        source,
        file,
        placed,
        directory,
        placements,
        roles,
        vocabulary,
    } = input;
    let role_of = |group: &GroupSection| {
        roles
            .find(group.role.get_ref())
            .expect("roles checked when placing groups")
    };
    let serves_requests: BTreeMap<String, bool> = file
        .group
        .iter()
        .map(|g| {
            let group = g.get_ref();
            (
                group.name.get_ref().clone(),
                role_of(group).value.serves_requests,
            )
        })
        .collect();
    let role_names: BTreeMap<String, String> = file
        .group
        .iter()
        .map(|g| {
            let group = g.get_ref();
            (
                group.name.get_ref().clone(),
                role_of(group).name.to_string(),
            )
        })
        .collect();
    let mut groups = Vec::with_capacity(placed.len());
    for (section, placed) in file.group.iter().zip(placed) {
        let group = section.get_ref();
        let row = role_of(group);
        let service = match (&group.service, row.value.service) {
            (Some(spec), ServiceUse::None) => {
                return Err(Diagnostic::error(
                    source,
                    spec.span(),
                    format!("a `{}` group has no service model", row.name),
                ));
            }
            (Some(spec), ServiceUse::Optional) => Some(build_service(
                source,
                &placed.0,
                spec,
                &vocabulary.distributions,
            )?),
            (None, _) => None,
        };
        let context = RoleContext {
            source,
            group,
            group_span: section.span(),
            directory,
            serves_requests: &serves_requests,
            roles: &role_names,
            placements,
            vocabulary,
        };
        let mut params = Params::new(
            source,
            section.span(),
            row.name,
            row.params,
            &GROUP_COMMON_KEYS,
            group.params.clone(),
        );
        let builder = (row.value.parse)(&context, &mut params)?;
        warnings.extend(params.finish()?);
        groups.push(GroupPlan {
            name: placed.0,
            role: row.name,
            first: placed.1,
            count: placed.2,
            zones: placed.3,
            service,
            builder,
        });
    }
    Ok(groups)
}

/// A role parameter `key` whose value names a model row of `registry` (`"lru"`, or
/// `{ name = "s3-fifo", small_ratio = 0.2 }` with the row's parameters), plus `extra`
/// role-level shorthands for its parameters; errors read `unknown {what} "x"` with the
/// closest name, point at the parameter at fault, and say which rows take a parameter the
/// chosen one does not.
pub(super) fn model_choice<B>(
    source: &Source,
    what: &str,
    key: &str,
    registry: &Registry<ParseArgs<B>>,
    value: &Spanned<toml::Value>,
    extra: Vec<Entry>,
) -> Result<B, Diagnostic> {
    let extras = Extras {
        entries: extra,
        tables: None,
    };
    model_choice_by(source, what, key, "name", registry, value, extras)
}

/// What a row's parameters get besides the table's own: role-level shorthands for row
/// parameters, and a reader of distribution tables.
#[derive(Default)]
pub(super) struct Extras {
    /// Extra entries.
    pub entries: Vec<Entry>,
    /// Reads distribution tables, if the row takes any.
    pub tables: Option<crate::format::params::DistTables>,
}

/// [`model_choice`] with the row named by `selector` in a table (`{ scheme = "quorum", ... }`)
/// instead of `name`, reading distribution tables with `tables` if given.
pub(super) fn model_choice_by<B>(
    source: &Source,
    what: &str,
    key: &str,
    selector: &str,
    registry: &Registry<ParseArgs<B>>,
    value: &Spanned<toml::Value>,
    extras: Extras,
) -> Result<B, Diagnostic> {
    let chosen = choose(
        source,
        registry,
        value,
        selector,
        extras.entries,
        extras.tables,
        |parse, args| parse(args),
    );
    match chosen {
        Ok((built, _)) => Ok(built),
        Err(ChoiceError::Shape { span }) => Err(Diagnostic::error(
            source,
            span,
            format!(
                "`{key}` takes a name, or a table {{ {selector} = \"...\", <its parameters> }}"
            ),
        )),
        Err(ChoiceError::Unknown { unknown, span }) => {
            Err(
                Diagnostic::error(source, span, format!("unknown {what} {:?}", unknown.given))
                    .with_help(unknown.help()),
            )
        }
        Err(ChoiceError::Arg { error, span }) => {
            Err(Diagnostic::error(source, span, error.message))
        }
        Err(ChoiceError::Leftover {
            key: param,
            value,
            owners,
            row,
            params,
        }) => {
            let key_span = param.span();
            let param = param.get_ref();
            Err(if owners.is_empty() {
                let names = params.iter().map(|p| p.name);
                let help = if params.is_empty() {
                    format!("`{row}` takes no parameters")
                } else {
                    suggest(param, names)
                };
                // The key is what is wrong (a misspelling, usually): point at it.
                Diagnostic::error(
                    source,
                    key_span,
                    format!("`{param}` is not a parameter of {what} `{row}`"),
                )
                .with_help(help)
            } else {
                let owners: Vec<String> =
                    owners.iter().map(|o| format!("{key} = \"{o}\"")).collect();
                Diagnostic::error(
                    source,
                    value,
                    format!("`{param}` only applies to {}", owners.join(" or ")),
                )
            })
        }
    }
}

/// The latency histograms a run of these groups records: each role's own and its
/// breakdowns, and the wait and sojourn time of every group with a service model.
pub fn recorded_histograms(groups: &[GroupPlan], roles: &Registry<RoleSpec>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |name: String| {
        if !names.contains(&name) {
            names.push(name);
        }
    };
    for group in groups {
        let row = roles
            .find(group.role)
            .expect("roles checked when placing groups");
        for name in row.value.histograms {
            add(name.to_string());
        }
        for name in group.builder.recording().histograms {
            add(name);
        }
        if group.service.is_some() {
            add(format!("service.{}.wait", group.name));
            add(format!("service.{}.sojourn", group.name));
        }
    }
    names
}

/// The histograms `[report] failures_in_latency` adds to a run of these groups, sorted.
pub fn failure_histograms(groups: &[GroupPlan]) -> Vec<String> {
    recorded_names(groups, |recording| recording.with_failures)
}

/// The request outcome tallies a run of these groups records, sorted.
pub fn recorded_tallies(groups: &[GroupPlan]) -> Vec<String> {
    recorded_names(groups, |recording| recording.tallies)
}

/// One kind of name from every group's [`Recording`], sorted, each once.
fn recorded_names(groups: &[GroupPlan], pick: fn(Recording) -> Vec<String>) -> Vec<String> {
    let mut names: Vec<String> = groups
        .iter()
        .flat_map(|group| pick(group.builder.recording()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Resolves a `target`-like selector to nodes that answer requests: a request sent to a node
/// whose role never answers (a client) would be waited on forever.
pub(super) fn request_targets(
    context: &RoleContext<'_>,
    selector: &Spanned<String>,
) -> Result<sim_core::NodeSet, Diagnostic> {
    let source = context.source;
    let targets = context.directory.select(selector.get_ref()).map_err(|e| {
        let d = Diagnostic::error(source, selector.span(), e.message);
        match e.help {
            Some(help) => d.with_help(help),
            None => d,
        }
    })?;
    for (group, range) in &context.directory.groups {
        let overlaps = targets
            .nodes()
            .iter()
            .any(|n| (range.first..range.first + range.count).contains(&n.0));
        if overlaps && !context.serves_requests.get(group).copied().unwrap_or(false) {
            let servers: Vec<&str> = context
                .serves_requests
                .iter()
                .filter(|(_, serves)| **serves)
                .map(|(name, _)| name.as_str())
                .collect();
            let listed = if servers.is_empty() {
                "none".to_string()
            } else {
                servers.join(", ")
            };
            return Err(Diagnostic::error(
                source,
                selector.span(),
                format!(
                    "{:?} includes group {group:?}, whose role does not answer requests",
                    selector.get_ref()
                ),
            )
            .with_help(format!("groups that answer requests: {listed}")));
        }
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::diag::Source;
    use crate::Scenario;

    // Goal: every histogram a role declares (what `timeline_metric` is checked against) is
    // one its nodes really record. Method: run a tiny client/server scenario with a gossip
    // group and a membership group beside it and look each declared name up in the
    // metrics.
    #[test]
    fn declared_histograms_are_recorded() {
        let text = "[simulation]\nname = \"h\"\nseed = 1\nduration = \"50ms\"\n\n[[group]]\nname = \"clients\"\ncount = 1\nrole = \"client\"\ntarget = \"servers\"\nworkload = { rate = \"100/s\" }\n\n[[group]]\nname = \"servers\"\ncount = 1\nrole = \"server\"\n\n[[group]]\nname = \"peers\"\ncount = 2\nrole = \"gossip\"\nperiod = \"10ms\"\n\n[[group]]\nname = \"members\"\ncount = 3\nrole = \"membership\"\nperiod = \"10ms\"\nack_timeout = \"5ms\"\n";
        let scenario = Scenario::parse(Source {
            name: "h.toml".into(),
            text: text.into(),
        })
        .expect("valid");
        let outcome = crate::run::run(&scenario, 1, &mut |_| std::ops::ControlFlow::Continue(()));
        let metrics = outcome.sim.metrics();
        for row in ROLES {
            for name in row.value.histograms {
                assert!(
                    metrics.histogram_by_name(name).is_some(),
                    "role `{}` declares {name}, which is not recorded",
                    row.name
                );
            }
        }
        assert_eq!(roles().check_unique(), Ok(()));
    }
}
