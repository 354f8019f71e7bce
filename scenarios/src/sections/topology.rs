//! `[[region]]` and `[[group]]` placement: regions, zones, and which node ids, zones and
//! names each group gets. Nodes are numbered in group order; a group's nodes are spread over
//! its zones round-robin.

use sim_core::registry::Registry;
use sim_core::{NodeId, RegionId, Topology, ZoneId};
use toml::Spanned;

use crate::format::diag::{suggest, Diagnostic, Source};
use crate::format::schema::{GroupSection, ScenarioFile};
use crate::format::select::{GroupRange, NodeDirectory};
use crate::format::values::positive_u32;
use crate::sections::budget::{group_digits, MemoryEstimate};
use crate::sections::simulation::SimulationPlan;

/// `(name, first node, count, zone of each node)` per group.
pub type Placed = (String, u32, u32, Vec<ZoneId>);

/// The regions and zones, and every zone's name by id.
pub fn build_topology(
    source: &Source,
    file: &ScenarioFile,
) -> Result<(Topology, Vec<String>), Diagnostic> {
    let mut topology = Topology::new();
    let mut zone_names: Vec<String> = Vec::new();
    let mut region_names: Vec<&str> = Vec::new();
    for region in &file.region {
        let section = region.get_ref();
        let name = section.name.get_ref();
        if region_names.contains(&name.as_str()) {
            return Err(Diagnostic::error(
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
                return Err(Diagnostic::error(
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

/// The node-count guards, before any per-node allocation: at the group whose count crosses
/// `max_nodes`, or whose nodes make the estimate cross the memory limit.
fn check_node_budget(
    source: &Source,
    file: &ScenarioFile,
    simulation: &SimulationPlan,
) -> Result<(), Diagnostic> {
    let mut nodes: u64 = 0;
    for section in &file.group {
        let count = &section.get_ref().count;
        nodes = nodes.saturating_add(u64::try_from(*count.get_ref()).unwrap_or(0));
        if nodes > simulation.max_nodes {
            return Err(Diagnostic::error(
                source,
                count.span(),
                format!(
                    "the groups up to this one have {} nodes, above max_nodes ({}); set [simulation] max_nodes to allow more",
                    group_digits(nodes),
                    group_digits(simulation.max_nodes)
                ),
            ));
        }
        let estimate = MemoryEstimate {
            nodes,
            windows: 0,
            histograms: 0,
        };
        if let Some(why) = simulation.memory_limit.refuse(&estimate) {
            return Err(Diagnostic::error(source, count.span(), why));
        }
    }
    Ok(())
}

/// Each group's node ids and zones, and the directory selectors resolve against.
///
/// Refuses, before allocating anything per node, a scenario with more than `simulation`'s
/// `max_nodes` nodes or whose nodes alone would not fit its memory limit.
pub fn place_groups<R>(
    source: &Source,
    file: &ScenarioFile,
    roles: &Registry<R>,
    topology: &Topology,
    zone_names: &[String],
    simulation: &SimulationPlan,
) -> Result<(Vec<Placed>, NodeDirectory), Diagnostic> {
    check_node_budget(source, file, simulation)?;
    let mut directory = NodeDirectory::default();
    let mut placed = Vec::new();
    let mut next: u64 = 0;
    let zone_id = |name: &Spanned<String>| -> Result<ZoneId, Diagnostic> {
        match zone_names.iter().position(|z| z == name.get_ref()) {
            Some(i) => Ok(ZoneId(i as u16)),
            None => Err(Diagnostic::error(
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
            return Err(Diagnostic::error(source, group.name.span(), format!("group name {name:?} must be non-empty without `[`, `]`, `:`, `*` or spaces (it is used in selectors)")));
        }
        if directory.groups.contains_key(&name) {
            return Err(Diagnostic::error(
                source,
                group.name.span(),
                format!("group {name:?} is defined twice"),
            ));
        }
        if roles.find(group.role.get_ref()).is_none() {
            return Err(Diagnostic::error(
                source,
                group.role.span(),
                format!("unknown role {:?}", group.role.get_ref()),
            )
            .with_help(roles.unknown(group.role.get_ref()).help()));
        }
        let count = positive_u32(source, &group.count, "count")?;
        let choices = [
            group.zone.is_some(),
            group.zones.is_some(),
            group.region.is_some(),
        ];
        if choices.iter().filter(|c| **c).count() > 1 {
            return Err(Diagnostic::error(
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
                return Err(Diagnostic::error(
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
                return Err(Diagnostic::error(
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
        return Err(Diagnostic::error_at_file(
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
