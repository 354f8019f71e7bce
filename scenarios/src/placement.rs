//! `placement = {...}` on a group: how keys map to its nodes, for clients that route by key.

use std::collections::BTreeMap;
use std::sync::Arc;

use models::placement::{Member, PlacementSpec, MAGLEV_TABLE_SIZE_DEFAULT, SCHEMES};
use models::roles::client::PlacementRouter;
use sim_core::{NodeId, ZoneId};
use toml::Spanned;

use crate::diag::{suggest, Diagnostic, Source};
use crate::schema::{PlacementTable, ScenarioFile};

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

/// The placement of every group that has one, built over the group's nodes (weight 1 each).
pub fn build_all(
    source: &Source,
    file: &ScenarioFile,
    placed: &[(String, u32, u32, Vec<ZoneId>)],
) -> Result<BTreeMap<String, PlacementRouter>, Diagnostic> {
    let mut routers = BTreeMap::new();
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
        let members: Vec<Member> = (0..*count)
            .map(|i| Member::new(NodeId(first + i), 1.0, zones[i as usize]))
            .collect();
        let scheme = spec.build(&members).map_err(|e| fail(e.to_string()))?;
        routers.insert(name.clone(), PlacementRouter(Arc::from(scheme)));
    }
    Ok(routers)
}
