//! Applying faults: what each [`Fault`] kind does to the running simulation.
//!
//! Timeline faults arrive as `Event::Fault`, and faults with a window schedule an
//! `Event::FaultEnd` that undoes them. Random crash processes alternate `ProcessCrash` and
//! `ProcessRestart` events per node. Every application is logged with its time.

use crate::fault::{Direction, Fault};
use crate::network::RegionId;
use crate::node::{Node, NodeId};
use crate::nodeset::NodeSet;
use crate::sim::Simulation;
use crate::world::Event;

/// A short description of a node set for the fault log.
fn describe(nodes: &NodeSet) -> String {
    const LISTED_MAX: usize = 8;
    let ids = nodes.nodes();
    if ids.len() <= LISTED_MAX {
        let list: Vec<String> = ids.iter().map(|n| n.0.to_string()).collect();
        format!("nodes [{}]", list.join(", "))
    } else {
        format!(
            "{} nodes ({}..={})",
            ids.len(),
            ids[0].0,
            ids[ids.len() - 1].0
        )
    }
}

impl<N: Node> Simulation<N> {
    /// Fires timeline fault `index`.
    pub(crate) fn fire_fault(&mut self, index: u32) {
        let fault = self.world().faults[index as usize].1.clone();
        let now = self.now();
        let kind = fault.kind_name();
        let n_nodes = self.n_nodes();
        let (end, description) = match fault {
            Fault::Crash { nodes } => {
                let crashed = nodes
                    .nodes()
                    .iter()
                    .filter(|n| self.crash_node(**n))
                    .count();
                (
                    None,
                    format!("crash {} ({crashed} were up)", describe(&nodes)),
                )
            }
            Fault::Restart { nodes } => {
                let restarted = nodes
                    .nodes()
                    .iter()
                    .filter(|n| self.restart_node(**n))
                    .count();
                (
                    None,
                    format!("restart {} ({restarted} were down)", describe(&nodes)),
                )
            }
            Fault::CrashRestart { nodes, after } => {
                self.crash_for_fault(index, &nodes);
                self.schedule_end(index, after);
                (
                    Some(now + after),
                    format!("crash {}, restart after {after}", describe(&nodes)),
                )
            }
            Fault::Partition {
                name,
                from,
                to,
                direction,
                duration,
            } => {
                let network = &mut self.world_mut().network;
                network.add_partition(&name, &from, &to, n_nodes);
                if direction == Direction::Both {
                    network.add_partition(&name, &to, &from, n_nodes);
                }
                if let Some(duration) = duration {
                    self.schedule_end(index, duration);
                }
                let arrow = if direction == Direction::Both {
                    "<->"
                } else {
                    "->"
                };
                (
                    duration.map(|d| now + d),
                    format!(
                        "partition {name:?}: {} {arrow} {}",
                        describe(&from),
                        describe(&to)
                    ),
                )
            }
            Fault::Heal { name } => {
                let healed = self.world_mut().network.heal(name.as_deref());
                self.close_partition_records(name.as_deref());
                let which =
                    name.map_or("all partitions".to_string(), |n| format!("partition {n:?}"));
                (
                    None,
                    format!("heal {which} ({healed} blocked relations removed)"),
                )
            }
            Fault::LinkDegrade {
                from,
                to,
                extra_latency,
                loss,
                duplicate,
                duration,
            } => {
                self.world_mut().network.add_degradation(
                    u64::from(index),
                    &from,
                    &to,
                    n_nodes,
                    extra_latency,
                    loss,
                    duplicate,
                );
                self.schedule_end(index, duration);
                (
                    Some(now + duration),
                    format!(
                        "degrade {} -> {}: +{extra_latency}, loss {loss}, duplicate {duplicate}, for {duration}",
                        describe(&from),
                        describe(&to)
                    ),
                )
            }
            Fault::SlowNode {
                nodes,
                factor,
                duration,
            } => {
                self.scale_service(&nodes, factor);
                self.schedule_end(index, duration);
                (
                    Some(now + duration),
                    format!("slow {} x{factor} for {duration}", describe(&nodes)),
                )
            }
            Fault::ClockSkew {
                nodes,
                offset_ns,
                drift_ppm,
            } => {
                for node in nodes.nodes() {
                    self.world_mut().slots[node.idx()]
                        .clock
                        .skew(now, offset_ns, drift_ppm);
                }
                (
                    None,
                    format!(
                        "clock skew {}: step {offset_ns} ns, drift {drift_ppm} ppm",
                        describe(&nodes)
                    ),
                )
            }
            Fault::RegionOutage { region, duration } => {
                let nodes = self.nodes_in_region(region);
                self.crash_for_fault(index, &nodes);
                if let Some(duration) = duration {
                    self.schedule_end(index, duration);
                }
                let name = self.topology().region_name(region).to_string();
                (
                    duration.map(|d| now + d),
                    format!("region {name:?} outage: {}", describe(&nodes)),
                )
            }
        };
        self.world_mut().log_fault(kind, end, description);
    }

    /// Crashes `nodes` and remembers which of them were up, for the fault's end to restart.
    fn crash_for_fault(&mut self, index: u32, nodes: &NodeSet) {
        let downed: Vec<NodeId> = nodes
            .nodes()
            .iter()
            .copied()
            .filter(|n| self.crash_node(*n))
            .collect();
        self.world_mut().downed_by_fault.insert(index, downed);
    }

    fn schedule_end(&mut self, index: u32, after: crate::SimDuration) {
        let at = self.now().saturating_add(after);
        self.world_mut().schedule(at, Event::FaultEnd { index });
    }

    /// Undoes the windowed part of timeline fault `index`.
    pub(crate) fn end_fault(&mut self, index: u32) {
        let fault = self.world().faults[index as usize].1.clone();
        match fault {
            Fault::CrashRestart { .. } | Fault::RegionOutage { .. } => {
                // Only the nodes this fault took down: one that was already down (crashed
                // for good, or by another outage) stays down.
                let downed = self
                    .world_mut()
                    .downed_by_fault
                    .remove(&index)
                    .unwrap_or_default();
                for node in downed {
                    self.restart_node(node);
                }
            }
            Fault::Partition { name, .. } => {
                self.world_mut().network.heal(Some(&name));
            }
            Fault::LinkDegrade { .. } => {
                self.world_mut()
                    .network
                    .remove_degradation(u64::from(index));
            }
            Fault::SlowNode { nodes, factor, .. } => self.scale_service(&nodes, 1.0 / factor),
            Fault::Crash { .. }
            | Fault::Restart { .. }
            | Fault::Heal { .. }
            | Fault::ClockSkew { .. } => {
                unreachable!("fault kind {} has no window", fault.kind_name())
            }
        }
    }

    /// Multiplies the service times of `nodes` by `factor` (overlapping slow-downs compose).
    fn scale_service(&mut self, nodes: &NodeSet, factor: f64) {
        for node in nodes.nodes() {
            if let Some(state) = self.world_mut().slots[node.idx()].service.as_deref_mut() {
                state.slowdown *= factor;
            }
        }
    }

    /// Sets the end time of the open partition records a heal closes.
    fn close_partition_records(&mut self, name: Option<&str>) {
        let now = self.now();
        let prefix = name.map(|n| format!("partition {n:?}:"));
        for record in self.world_mut().fault_log.iter_mut() {
            let named = prefix
                .as_ref()
                .is_none_or(|p| record.description.starts_with(p.as_str()));
            if record.kind == "partition" && record.end.is_none() && named {
                record.end = Some(now);
            }
        }
    }

    fn nodes_in_region(&self, region: RegionId) -> NodeSet {
        let topology = self.topology();
        (0..self.n_nodes())
            .map(NodeId)
            .filter(|n| topology.region_of(self.zone_of(*n)) == region)
            .collect()
    }

    pub(crate) fn on_process_crash(&mut self, process: u32, node: NodeId, draw: u32) {
        let was_up = self.crash_node(node);
        let repair = self.process_delay(process, node, draw + 1);
        let at = self.now().saturating_add(repair);
        self.world_mut().schedule(
            at,
            Event::ProcessRestart {
                process,
                node,
                draw: draw + 1,
                repair: was_up,
            },
        );
        let note = if was_up {
            ""
        } else {
            " (already down: left to whatever took it down)"
        };
        self.world_mut().log_fault(
            "crash",
            Some(at),
            format!(
                "crash process {process}: crash node {}{note}, repair after {repair}",
                node.0
            ),
        );
    }

    /// A crash process's repair: restarts `node` only if this process took it down (`repair`).
    pub(crate) fn on_process_restart(
        &mut self,
        process: u32,
        node: NodeId,
        draw: u32,
        repair: bool,
    ) {
        if repair {
            self.restart_node(node);
        }
        let next = self.process_delay(process, node, draw + 1);
        let at = self.now().saturating_add(next);
        self.world_mut().schedule(
            at,
            Event::ProcessCrash {
                process,
                node,
                draw: draw + 1,
            },
        );
        self.world_mut().log_fault(
            "restart",
            None,
            if repair {
                format!("crash process {process}: restart node {}", node.0)
            } else {
                format!(
                    "crash process {process}: node {} was not ours to restart",
                    node.0
                )
            },
        );
    }
}
