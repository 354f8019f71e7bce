//! Applying faults: what each [`Fault`] kind does to the running simulation, one `apply_*`
//! function per kind and one `end_*` for each kind with a window.
//!
//! Timeline faults arrive as `Event::Fault`, and faults with a window schedule an
//! `Event::FaultEnd` that undoes them. Random crash processes alternate `ProcessCrash` and
//! `ProcessRestart` events per node. Every application is logged with its time. State changes
//! carry pair assertions: a window that ends was open, a crashed node is down with no work
//! left, a restarted node is up, a healed partition blocks nothing any more.

use crate::fault::{Direction, Fault};
use crate::ids::NodeId;
use crate::network::RegionId;
use crate::node::Node;
use crate::nodeset::NodeSet;
use crate::rng::{stream, StreamKind, StreamLabel};
use crate::sim::Simulation;
use crate::time::{SimDuration, SimTime};
use crate::world::Event;

/// What applying a fault did, for the fault log.
struct Applied {
    /// When its effect ends, for faults with a known end.
    end: Option<SimTime>,
    /// Which nodes, which parameters, what happened.
    description: String,
}

impl<N: Node> Simulation<N> {
    /// A node set for the fault log, by name (see [`crate::NodeNames::describe`]).
    fn describe(&self, nodes: &NodeSet) -> String {
        self.world().names.describe(nodes.nodes())
    }

    /// Fires timeline fault `index`.
    pub(crate) fn fire_fault(&mut self, index: u32) {
        let fault = self.world().faults[index as usize].1.clone();
        let applied = match &fault {
            Fault::Crash { nodes } => self.apply_crash(nodes),
            Fault::Restart { nodes } => self.apply_restart(nodes),
            Fault::CrashRestart { nodes, after } => self.apply_crash_restart(index, nodes, *after),
            Fault::Partition {
                name,
                from,
                to,
                direction,
                duration,
            } => self.apply_partition(index, name, from, to, *direction, *duration),
            Fault::Heal { name } => self.apply_heal(name.as_deref()),
            Fault::LinkDegrade {
                from,
                to,
                extra_latency,
                loss,
                duplicate,
                duration,
            } => {
                let spec = (*extra_latency, *loss, *duplicate);
                self.apply_degrade(index, from, to, spec, *duration)
            }
            Fault::SlowNode {
                nodes,
                factor,
                duration,
            } => self.apply_slow(index, nodes, *factor, *duration),
            Fault::ClockSkew {
                nodes,
                offset_ns,
                drift_ppm,
            } => self.apply_clock_skew(nodes, *offset_ns, *drift_ppm),
            Fault::RegionOutage { region, duration } => {
                self.apply_region_outage(index, *region, *duration)
            }
        };
        let nodes = self.fault_nodes(&fault);
        self.world_mut()
            .log_fault(fault.kind_name(), applied.end, applied.description, &nodes);
    }

    /// The nodes a fault acts on, for the trace: sorted, each once.
    fn fault_nodes(&self, fault: &Fault) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = match fault {
            Fault::Crash { nodes }
            | Fault::Restart { nodes }
            | Fault::CrashRestart { nodes, .. }
            | Fault::SlowNode { nodes, .. }
            | Fault::ClockSkew { nodes, .. } => nodes.nodes().to_vec(),
            Fault::Partition { from, to, .. } | Fault::LinkDegrade { from, to, .. } => {
                from.nodes().iter().chain(to.nodes()).copied().collect()
            }
            Fault::RegionOutage { region, .. } => self.nodes_in_region(*region).nodes().to_vec(),
            Fault::Heal { .. } => Vec::new(),
        };
        nodes.sort();
        nodes.dedup();
        nodes
    }

    /// Ends the window of timeline fault `index` (restart, heal, end of degradation or
    /// slowdown).
    pub(crate) fn end_fault(&mut self, index: u32) {
        // Pair assertion: only a window that was opened can end, and only once.
        assert!(
            self.world_mut().open_windows.remove(&index),
            "fault {index}'s window ends but was never opened"
        );
        let fault = self.world().faults[index as usize].1.clone();
        match &fault {
            Fault::CrashRestart { .. } | Fault::RegionOutage { .. } => self.end_crash_window(index),
            Fault::Partition { name, .. } => self.end_partition(name),
            Fault::LinkDegrade { .. } => self.end_degrade(index),
            Fault::SlowNode { nodes, .. } => self.end_slow(index, nodes),
            Fault::Crash { .. }
            | Fault::Restart { .. }
            | Fault::Heal { .. }
            | Fault::ClockSkew { .. } => {
                unreachable!("fault kind {} has no window", fault.kind_name())
            }
        }
    }

    /// Schedules the end of fault `index`'s window `after` from now and notes it open.
    fn open_window(&mut self, index: u32, after: SimDuration) -> SimTime {
        let at = self.now().saturating_add(after);
        let world = self.world_mut();
        assert!(
            world.open_windows.insert(index),
            "fault {index}'s window opened twice"
        );
        world.schedule(at, Event::FaultEnd { index });
        at
    }

    fn apply_crash(&mut self, nodes: &NodeSet) -> Applied {
        let crashed = nodes
            .nodes()
            .iter()
            .filter(|n| self.crash_node(**n))
            .count();
        Applied {
            end: None,
            description: format!("crash {} ({crashed} were up)", self.describe(nodes)),
        }
    }

    fn apply_restart(&mut self, nodes: &NodeSet) -> Applied {
        let restarted = nodes
            .nodes()
            .iter()
            .filter(|n| self.restart_node(**n))
            .count();
        Applied {
            end: None,
            description: format!("restart {} ({restarted} were down)", self.describe(nodes)),
        }
    }

    fn apply_crash_restart(&mut self, index: u32, nodes: &NodeSet, after: SimDuration) -> Applied {
        self.crash_for_window(index, nodes);
        let end = self.open_window(index, after);
        Applied {
            end: Some(end),
            description: format!("crash {}, restart after {after}", self.describe(nodes)),
        }
    }

    fn apply_region_outage(
        &mut self,
        index: u32,
        region: RegionId,
        duration: Option<SimDuration>,
    ) -> Applied {
        let nodes = self.nodes_in_region(region);
        let end = match duration {
            Some(duration) => {
                self.crash_for_window(index, &nodes);
                Some(self.open_window(index, duration))
            }
            None => {
                self.apply_crash(&nodes);
                None
            }
        };
        let name = self.topology().region_name(region).to_string();
        Applied {
            end,
            description: format!("region {name:?} outage: {}", self.describe(&nodes)),
        }
    }

    /// Crashes `nodes` and remembers which of them were up, for the window's end to restart.
    fn crash_for_window(&mut self, index: u32, nodes: &NodeSet) {
        let downed: Vec<NodeId> = nodes
            .nodes()
            .iter()
            .copied()
            .filter(|n| self.crash_node(*n))
            .collect();
        self.world_mut().downed_by_fault.insert(index, downed);
    }

    /// Restarts only the nodes fault `index` took down: one that was already down (crashed
    /// for good, or by another outage) stays down.
    fn end_crash_window(&mut self, index: u32) {
        let downed = self
            .world_mut()
            .downed_by_fault
            .remove(&index)
            .unwrap_or_default();
        for node in downed {
            self.restart_node(node);
        }
    }

    fn apply_partition(
        &mut self,
        index: u32,
        name: &str,
        from: &NodeSet,
        to: &NodeSet,
        direction: Direction,
        duration: Option<SimDuration>,
    ) -> Applied {
        let n_nodes = self.n_nodes();
        let network = &mut self.world_mut().network;
        network.add_partition(name, from, to, n_nodes);
        if direction == Direction::Both {
            network.add_partition(name, to, from, n_nodes);
        }
        // Pair assertion: the partition is in force (and `end_partition` checks it is gone).
        assert!(network.has_partition(name), "partition {name:?} not active");
        let end = duration.map(|d| self.open_window(index, d));
        let arrow = match direction {
            Direction::Both => "<->",
            Direction::OneWay => "->",
        };
        Applied {
            end,
            description: format!(
                "partition {name:?}: {} {arrow} {}",
                self.describe(from),
                self.describe(to)
            ),
        }
    }

    fn end_partition(&mut self, name: &str) {
        // A `heal` may have removed it already; either way it is gone afterwards.
        let network = &mut self.world_mut().network;
        network.heal(Some(name));
        assert!(
            !network.has_partition(name),
            "partition {name:?} outlived its heal"
        );
    }

    fn apply_heal(&mut self, name: Option<&str>) -> Applied {
        let healed = self.world_mut().network.heal(name);
        if let Some(name) = name {
            assert!(!self.world().network.has_partition(name));
        }
        self.close_partition_records(name);
        let which = name.map_or("all partitions".to_string(), |n| format!("partition {n:?}"));
        Applied {
            end: None,
            description: format!("heal {which} ({healed} blocked relations removed)"),
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

    /// `spec` is (extra latency, loss, duplication).
    fn apply_degrade(
        &mut self,
        index: u32,
        from: &NodeSet,
        to: &NodeSet,
        spec: (SimDuration, f64, f64),
        duration: SimDuration,
    ) -> Applied {
        let (extra_latency, loss, duplicate) = spec;
        let n_nodes = self.n_nodes();
        self.world_mut().network.add_degradation(
            u64::from(index),
            from,
            to,
            n_nodes,
            extra_latency,
            loss,
            duplicate,
        );
        let end = self.open_window(index, duration);
        Applied {
            end: Some(end),
            description: format!(
                "degrade {} -> {}: +{extra_latency}, loss {loss}, duplicate {duplicate}, for {duration}",
                self.describe(from),
                self.describe(to)
            ),
        }
    }

    fn end_degrade(&mut self, index: u32) {
        let removed = self
            .world_mut()
            .network
            .remove_degradation(u64::from(index));
        assert!(removed, "degradation {index} ended but was not active");
    }

    fn apply_slow(
        &mut self,
        index: u32,
        nodes: &NodeSet,
        factor: f64,
        duration: SimDuration,
    ) -> Applied {
        self.set_slow_window(index, nodes, Some(factor));
        let end = self.open_window(index, duration);
        Applied {
            end: Some(end),
            description: format!("slow {} x{factor} for {duration}", self.describe(nodes)),
        }
    }

    fn end_slow(&mut self, index: u32, nodes: &NodeSet) {
        self.set_slow_window(index, nodes, None);
    }

    /// Starts or ends fault `index`'s slow window on every node of `nodes` that has a service
    /// model; each node's factor is recomputed from its active windows (they compose).
    fn set_slow_window(&mut self, index: u32, nodes: &NodeSet, factor: Option<f64>) {
        for node in nodes.nodes() {
            if let Some(state) = self.world_mut().slots[node.idx()].service.as_deref_mut() {
                state.set_slow_window(index, factor);
            }
        }
    }

    fn apply_clock_skew(&mut self, nodes: &NodeSet, offset_ns: i64, drift_ppm: f64) -> Applied {
        let now = self.now();
        for node in nodes.nodes() {
            self.world_mut()
                .clocks
                .entry(*node)
                .or_default()
                .skew(now, offset_ns, drift_ppm);
        }
        Applied {
            end: None,
            description: format!(
                "clock skew {}: step {offset_ns} ns, drift {drift_ppm} ppm",
                self.describe(nodes)
            ),
        }
    }

    fn nodes_in_region(&self, region: RegionId) -> NodeSet {
        let topology = self.topology();
        (0..self.n_nodes())
            .map(NodeId)
            .filter(|n| topology.region_of(self.zone_of(*n)) == region)
            .collect()
    }

    /// Draw number `draw` of crash process `process` for `node`: even draws are times to
    /// failure, odd ones times to repair. Seeking the stream labelled by the process and the
    /// node's stable label to the draw makes it independent of every other node, of event
    /// order and of the node's position among all nodes, without keeping a stream per node.
    pub(crate) fn process_delay(&self, process: u32, node: NodeId, draw: u32) -> SimDuration {
        use rand::Rng;
        let spec = &self.world().processes[process as usize];
        let mean = if draw % 2 == 0 { spec.mtbf } else { spec.mttr };
        let node_label = self.world().slots[node.idx()].label;
        let label = StreamLabel::of_node_part(StreamKind::FaultProcess, node_label, process);
        let mut rng = stream(self.world().seed, label);
        rng.seek(u64::from(draw));
        let uniform: f64 = rng.random();
        // Inverse transform of the exponential distribution.
        SimDuration::from_nanos_f64(-(mean.0 as f64) * (1.0 - uniform).ln())
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
        let name = self.world().names.name(node);
        self.world_mut().log_fault(
            "crash",
            Some(at),
            format!("crash process {process}: crash {name}{note}, repair after {repair}"),
            &[node],
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
        let name = self.world().names.name(node);
        self.world_mut().log_fault(
            "restart",
            None,
            if repair {
                format!("crash process {process}: restart {name}")
            } else {
                format!("crash process {process}: {name} was not ours to restart")
            },
            &[node],
        );
    }
}
