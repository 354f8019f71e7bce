//! `placement = {...}` on a group: how keys map to its nodes, for clients that route by key,
//! and the membership timeline (`join`, `leave`, `fail` faults) that changes it during a run.
//!
//! A placement works on the group's own member numbers (node `i` of the group is member `i`),
//! so which node owns a key depends only on the group, never on how many nodes other groups
//! put before it.

use std::collections::{BTreeMap, BTreeSet};

use models::placement::{Member, ParseScheme, PlacementSpec, SharedPlacement};
use sim_core::registry::{ArgError, Args, Registry};
use sim_core::{NodeId, SimDuration, SimTime};
use toml::Spanned;

use crate::format::diag::{Diagnostic, Source};
use crate::format::params::TomlArgs;
use crate::format::schema::{PlacementTable, ScenarioFile};
use crate::format::select::NodeDirectory;
use crate::sections::faults::{MembershipChange, MembershipKind};
use crate::sections::topology::Placed;

/// The spec scheme `scheme` of `schemes` builds from `args`, or the error in words (without
/// where: scenario groups and `distsim placement` say that). A parameter the scheme does not
/// take is an error naming the schemes that do; an unknown scheme gets a did-you-mean hint.
/// Shared by scenario groups and by `distsim placement`.
pub fn spec(
    schemes: &Registry<ParseScheme>,
    scheme: &str,
    args: &mut dyn Args,
) -> Result<PlacementSpec, String> {
    let row = schemes
        .lookup(scheme)
        .map_err(|unknown| format!("unknown placement scheme {scheme:?}; {}", unknown.help()))?;
    let spec = (row.value)(args).map_err(|e: ArgError| e.message)?;
    if let Some(key) = args.unread() {
        let owners: Vec<&str> = schemes
            .rows()
            .iter()
            .filter(|other| other.name != row.name && other.param(key).is_some())
            .map(|other| other.name)
            .collect();
        return Err(if owners.is_empty() {
            let mut valid = vec!["scheme", "initial_members"];
            for other in schemes.rows() {
                for param in other.params {
                    if !valid.contains(&param.name) {
                        valid.push(param.name);
                    }
                }
            }
            let listed: Vec<String> = valid.iter().map(|v| format!("`{v}`")).collect();
            format!(
                "unknown field `{key}`, expected one of {}",
                listed.join(", ")
            )
        } else {
            format!(
                "`{key}` only applies to {} placement, not `{scheme}`",
                owners.join(" and ")
            )
        });
    }
    Ok(spec)
}

/// Keys compared on each membership change when no client says how many keys it uses.
pub const SAMPLE_KEYS_DEFAULT: u64 = 100_000;
/// At most this many keys (`0..n`) are compared on a membership change: one million lookups
/// take a few milliseconds with any scheme, and the fraction's standard error is below 0.05
/// percentage points.
pub const SAMPLE_KEYS_MAX: u64 = 1_000_000;

/// A group's placement as validated. A parsed scenario keeps only this plan; every run builds
/// its own [`SharedPlacement`] from it, since membership changes mutate the placement.
#[derive(Clone, Debug)]
pub struct PlacementPlan {
    /// The scheme and its parameters.
    pub spec: PlacementSpec,
    /// The group's first node id: member `i` is node `first + i`.
    pub first: u32,
    /// Every member of the group (group-local numbers `0..n`) with its zone, weight 1.
    pub nodes: Vec<Member>,
    /// How many of `nodes` (the first ones) are members when the run starts.
    pub initial: usize,
    /// Keys `0..sample_keys` are compared on each membership change: the largest key space of
    /// the clients that route by this placement, at most [`SAMPLE_KEYS_MAX`]
    /// ([`SAMPLE_KEYS_DEFAULT`] when no client does).
    pub sample_keys: u64,
}

impl PlacementPlan {
    /// A fresh placement over the initial members, for one run.
    pub fn instantiate(&self) -> SharedPlacement {
        let scheme = self
            .spec
            .build(&self.nodes[..self.initial])
            .expect("validated when the scenario was parsed");
        SharedPlacement::for_group(scheme, self.first)
            .with_zones(models::placement::ZoneMap::from_members(&self.nodes))
    }
}

/// The placement plan of every group that has one.
pub fn build_all(
    source: &Source,
    file: &ScenarioFile,
    placed: &[Placed],
    schemes: &Registry<ParseScheme>,
) -> Result<BTreeMap<String, PlacementPlan>, Diagnostic> {
    let mut plans = BTreeMap::new();
    for (section, (name, first, count, zones)) in file.group.iter().zip(placed) {
        let Some(table): Option<&Spanned<PlacementTable>> = section.get_ref().placement.as_ref()
        else {
            continue;
        };
        let fail = |message: String| {
            Diagnostic::error(
                source,
                table.span(),
                format!("invalid `placement`: {message}"),
            )
        };
        let written = table.get_ref();
        let mut args = TomlArgs::new(written.params.clone());
        let spec = spec(schemes, written.scheme.get_ref(), &mut args).map_err(fail)?;
        let initial = match &table.get_ref().initial_members {
            None => *count,
            Some(n) if (1..=*count).contains(n.get_ref()) => *n.get_ref(),
            Some(n) => {
                return Err(Diagnostic::error(
                    source,
                    n.span(),
                    format!(
                        "initial_members must be from 1 to the group's {count} nodes, got {}",
                        n.get_ref()
                    ),
                ))
            }
        };
        let nodes: Vec<Member> = (0..*count)
            .map(|i| Member::new(NodeId(i), 1.0, zones[i as usize]))
            .collect();
        spec.build(&nodes[..initial as usize])
            .map_err(|e| fail(e.to_string()))?;
        let plan = PlacementPlan {
            spec,
            first: *first,
            nodes,
            initial: initial as usize,
            sample_keys: 0, // Set from the clients' key spaces once they are parsed.
        };
        plans.insert(name.clone(), plan);
    }
    Ok(plans)
}

/// One membership change of one placed group, at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedChange {
    /// When the runner applies it (after every engine event at that time).
    pub at: SimTime,
    /// The placed group.
    pub group: String,
    /// Join or leave.
    pub kind: MembershipKind,
    /// The nodes, in id order.
    pub nodes: Vec<NodeId>,
}

/// Checks the membership timeline against the placements it changes and splits each entry by
/// group: every node must belong to a group with a placement, a join must name a non-member
/// and a leave a member at that time, and no placement may lose its last member. Changes at
/// the same time apply in file order. Returns the changes in the order the runner applies
/// them.
pub fn membership_timeline(
    source: &Source,
    directory: &NodeDirectory,
    plans: &BTreeMap<String, PlacementPlan>,
    watched: &BTreeMap<String, Vec<NodeId>>,
    changes: &[(SimTime, MembershipChange)],
) -> Result<Vec<TimedChange>, Diagnostic> {
    let mut members: BTreeMap<&str, BTreeSet<NodeId>> = plans
        .iter()
        .map(|(name, plan)| {
            let initial = plan.nodes[..plan.initial]
                .iter()
                .map(|m| NodeId(plan.first + m.node.0));
            (name.as_str(), initial.collect())
        })
        .collect();
    // Groups that keep their own membership (a failure detector's): their members at the
    // start, and no placement.
    for (name, initial) in watched {
        members.insert(name.as_str(), initial.iter().copied().collect());
    }
    let mut ordered: Vec<&(SimTime, MembershipChange)> = changes.iter().collect();
    ordered.sort_by_key(|(at, _)| *at); // Stable: file order within a time.
    let mut timeline = Vec::new();
    for (at, change) in ordered {
        let error = |message: String| Diagnostic::error(source, change.span.clone(), message);
        let verb = change.entry;
        let mut by_group: BTreeMap<&str, Vec<NodeId>> = BTreeMap::new();
        for &node in change.nodes.nodes() {
            let (group, _) = directory.group_of(node);
            by_group.entry(group).or_default().push(node);
        }
        for (group, nodes) in by_group {
            let Some(current) = members.get_mut(group) else {
                return Err(error(format!(
                    "`{verb}` names nodes of group `{group}`, which has no `placement`"
                ))
                .with_help("add `placement = { scheme = ... }` to the group, or give it a role that keeps a membership (`membership`)"));
            };
            let watching = watched.contains_key(group);
            if watching && verb == "fail" {
                return Err(error(format!(
                    "`fail` names members of `{group}`, whose failure detector is what detects failures"
                ))
                .with_help("use `crash` (the detector measures how long detection takes), or `leave` for a member that departs gracefully"));
            }
            for &node in &nodes {
                let name = directory.name_of(node);
                let changed = match change.kind {
                    MembershipKind::Join => current.insert(node),
                    MembershipKind::Leave => current.remove(&node),
                };
                if !changed {
                    let state = match change.kind {
                        MembershipKind::Join => "already a member",
                        MembershipKind::Leave => "not a member",
                    };
                    let of = if watching { "membership" } else { "placement" };
                    return Err(error(format!(
                        "`{verb}` {}: {name} is {state} of `{group}`'s {of} then",
                        when(change, *at)
                    )));
                }
            }
            if current.is_empty() && !watching {
                return Err(error(format!(
                    "`{verb}` {} would leave `{group}`'s placement with no members",
                    when(change, *at)
                ))
                .with_help("clients need an owner for every key; keep at least one member"));
            }
            timeline.push(TimedChange {
                at: *at,
                group: group.to_string(),
                kind: change.kind,
                nodes,
            });
        }
    }
    Ok(timeline)
}

/// "at 2s", or for a `fail`, "detected at 2s" (the time its leave applies).
fn when(change: &MembershipChange, at: SimTime) -> String {
    let at = SimDuration(at.as_nanos());
    match change.entry {
        "fail" => format!("detected at {at}"),
        _ => format!("at {at}"),
    }
}
