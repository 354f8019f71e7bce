//! `placement = {...}` on a group: how keys map to its nodes, for clients that route by key,
//! and the membership timeline (`join`, `leave`, `fail` faults) that changes it during a run.

use std::collections::{BTreeMap, BTreeSet};

use models::placement::{
    Member, PlacementSpec, SharedPlacement, MAGLEV_TABLE_SIZE_DEFAULT, SCHEMES,
};
use sim_core::{NodeId, SimDuration, SimTime, ZoneId};
use toml::Spanned;

use crate::diag::{suggest, Diagnostic, Source};
use crate::faults::{MembershipChange, MembershipKind};
use crate::schema::{PlacementTable, ScenarioFile};
use crate::select::NodeDirectory;

/// 160 points per node: the default of libketama, the consistent-hashing library behind
/// memcached clients (40 hashes x 4 points per server).
const VNODES_DEFAULT: u32 = 160;
/// Slack of a bounded-load ring, 0.25: the paper's (Mirrokni et al. 2018) worked example.
const EPSILON_DEFAULT: f64 = 0.25;

/// The spec a `placement = {...}` table describes, with defaults for missing parameters
/// (160 vnodes, ε = 0.25, a 65 537-slot Maglev table, no range splits).
///
/// Parameters of other schemes are errors, not ignored; an unknown scheme gets a
/// did-you-mean hint. `directory` is not accepted (it needs entries a table cannot give).
/// Used by scenario groups and by `distsim placement`.
pub fn spec(table: &PlacementTable) -> Result<PlacementSpec, String> {
    let given = [
        (
            "vnodes",
            table.vnodes.is_some(),
            &["ring", "bounded_ring"][..],
        ),
        ("table_size", table.table_size.is_some(), &["maglev"][..]),
        ("epsilon", table.epsilon.is_some(), &["bounded_ring"][..]),
        ("splits", table.splits.is_some(), &["range"][..]),
    ];
    let scheme = table.scheme.as_str();
    let usable: Vec<&str> = SCHEMES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "directory")
        .collect();
    if !usable.contains(&scheme) {
        return Err(format!(
            "unknown placement scheme {scheme:?}; {}",
            suggest(scheme, usable.iter().copied())
        ));
    }
    for (name, present, owners) in given {
        if present && !owners.contains(&scheme) {
            return Err(format!(
                "`{name}` only applies to {} placement, not `{scheme}`",
                owners.join(" and ")
            ));
        }
    }
    Ok(match scheme {
        "modulo" => PlacementSpec::Modulo,
        "rendezvous" => PlacementSpec::Rendezvous,
        "jump" => PlacementSpec::Jump,
        "ring" => PlacementSpec::Ring {
            vnodes: table.vnodes.unwrap_or(VNODES_DEFAULT),
        },
        "maglev" => PlacementSpec::Maglev {
            table_size: table.table_size.unwrap_or(MAGLEV_TABLE_SIZE_DEFAULT),
        },
        "bounded_ring" => PlacementSpec::BoundedRing {
            vnodes: table.vnodes.unwrap_or(VNODES_DEFAULT),
            epsilon: table.epsilon.unwrap_or(EPSILON_DEFAULT),
        },
        "range" => PlacementSpec::Range {
            splits: table.splits.clone().unwrap_or_default(),
        },
        other => unreachable!("scheme {other} checked above"),
    })
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
    /// Every node of the group with its zone, weight 1.
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
        SharedPlacement::new(scheme)
    }
}

/// The placement plan of every group that has one.
pub fn build_all(
    source: &Source,
    file: &ScenarioFile,
    placed: &[(String, u32, u32, Vec<ZoneId>)],
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
        let spec = spec(table.get_ref()).map_err(fail)?;
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
            .map(|i| Member::new(NodeId(first + i), 1.0, zones[i as usize]))
            .collect();
        spec.build(&nodes[..initial as usize])
            .map_err(|e| fail(e.to_string()))?;
        let plan = PlacementPlan {
            spec,
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
    changes: &[(SimTime, MembershipChange)],
) -> Result<Vec<TimedChange>, Diagnostic> {
    let mut members: BTreeMap<&str, BTreeSet<NodeId>> = plans
        .iter()
        .map(|(name, plan)| {
            let initial = plan.nodes[..plan.initial].iter().map(|m| m.node);
            (name.as_str(), initial.collect())
        })
        .collect();
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
                .with_help("add `placement = { scheme = ... }` to the group"));
            };
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
                    return Err(error(format!(
                        "`{verb}` {}: {name} is {state} of `{group}`'s placement then",
                        when(change, *at)
                    )));
                }
            }
            if current.is_empty() {
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
