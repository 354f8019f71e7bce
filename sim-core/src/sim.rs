//! The simulation: nodes, the world they share, and the run loop.
//!
//! [`Simulation`] owns the nodes (a dense `Vec`) and a `World` holding everything else: the
//! clock, the event queue, per-node engine state, the network, service models, timers,
//! metrics and faults. The split lets the loop hand a node `&mut self` and a [`Ctx`] borrowing
//! the world at the same time, without shared ownership.
//!
//! The loop pops the earliest event, checks it is still live (a cancelled timer or work from
//! before a crash is skipped, never searched for), folds it into the run digest, and
//! dispatches it. It stops at the end time, when no events are left, or at a guard.

use std::ops::ControlFlow;

use std::collections::{BTreeMap, HashSet};

use crate::ctx::Ctx;
use crate::dist::Distribution;
use crate::error::{ConfigError, RunError};
use crate::fault::{CrashProcess, Fault, FaultRecord};
use crate::ids::NodeId;
use crate::message::CompletedWork;
use crate::metrics::{builtin, Metrics, Unit};
use crate::names::NodeNames;
use crate::network::{DropCause, Network, NetworkConfig, Topology, ZoneId};
use crate::node::Node;
use crate::queue::{EventQueue, Scheduled};
use crate::rng::{stream, NodeLabel, StreamKind, StreamLabel};
use crate::service::{idle_workers, ServiceModel, ServiceState};
use crate::time::SimTime;
use crate::trace::{TraceRecord, TraceSink};
use crate::world::{
    mix, Event, NodeSlot, NodeStats, Progress, RunSummary, SimConfig, StopReason, World,
};

/// How often (in events) the run loop calls its observer.
const OBSERVE_EVERY: u64 = 1 << 16;

/// A deterministic discrete-event simulation of nodes of type `N`.
///
/// Use an enum, or `Box<dyn Node<Msg = M>>`, for several node types in one simulation.
pub struct Simulation<N: Node> {
    nodes: Vec<N>,
    world: World<N::Msg>,
}

impl<N: Node> Simulation<N> {
    /// An empty simulation at time zero with a zero-latency, lossless network.
    pub fn new(config: SimConfig) -> Self {
        let zero = Distribution::constant(0.0).expect("0 is a valid constant");
        let network_config = NetworkConfig::new(zero);
        let topology = Topology::new();
        let network = Network::compile(network_config.clone(), &topology);
        let mut metrics = Metrics::new();
        if let Some(window) = config.metrics_window {
            metrics.set_window(window);
        }
        Simulation {
            nodes: Vec::new(),
            world: World {
                now: SimTime::ZERO,
                seed: config.seed,
                queue: EventQueue::new(),
                slots: Vec::new(),
                topology,
                network_config,
                network,
                network_stale: true,
                service_models: Vec::new(),
                zones: Vec::new(),
                clocks: BTreeMap::new(),
                cancelled_timers: HashSet::new(),
                downed_by_fault: Default::default(),
                open_windows: Default::default(),
                paranoid_every: None,
                metrics,
                faults: Vec::new(),
                processes: Vec::new(),
                processes_started: 0,
                fault_log: Vec::new(),
                names: NodeNames::default(),
                trace: None,
                digest: 0xcbf2_9ce4_8422_2325,
                events: 0,
                limits: config.limits,
            },
        }
    }

    /// The regions and zones; add them before the nodes that live in them.
    pub fn topology_mut(&mut self) -> &mut Topology {
        self.world.network_stale = true;
        &mut self.world.topology
    }

    /// The regions and zones.
    pub fn topology(&self) -> &Topology {
        &self.world.topology
    }

    /// Replaces the network configuration (latency rules, bandwidth, loss, FIFO). Add the
    /// topology and nodes the rules name first. Active partitions and degradations are kept.
    pub fn set_network(&mut self, config: NetworkConfig) -> Result<(), ConfigError> {
        config.validate(&self.world.topology, self.n_nodes())?;
        self.world.network_config = config;
        self.world.network_stale = true;
        Ok(())
    }

    /// Registers a service model that nodes can then use; returns its index.
    pub fn add_service_model(&mut self, model: ServiceModel) -> u32 {
        self.world.service_models.push(model);
        (self.world.service_models.len() - 1) as u32
    }

    /// Adds a node in the first zone (created as `default` if none exists).
    pub fn add_node(&mut self, node: N) -> NodeId {
        let zone = self.world.topology.ensure_default_zone();
        self.world.network_stale = true;
        self.add_node_in(zone, node)
            .expect("the default zone exists")
    }

    /// Adds a node in `zone`. It starts (`on_start`) at the current time when the run
    /// continues. Its random streams are labelled by its id (group 0); nodes of a named group
    /// use [`Simulation::add_labelled_node`], so their draws do not depend on their position.
    pub fn add_node_in(&mut self, zone: ZoneId, node: N) -> Result<NodeId, ConfigError> {
        let label = NodeLabel {
            group: 0,
            index: self.n_nodes(),
        };
        self.add_labelled_node(zone, node, label)
    }

    /// Makes room for `additional` more nodes in the node tables, so that adding many nodes
    /// one by one does not regrow them (at a million nodes a regrowth briefly holds the old
    /// and the new table: half again the engine's memory at its peak, and spare capacity
    /// after).
    pub fn reserve_nodes(&mut self, additional: usize) {
        self.nodes.reserve_exact(additional);
        self.world.slots.reserve_exact(additional);
        self.world.zones.reserve_exact(additional);
    }

    /// Adds a node in `zone` whose random streams are picked by `label` (its group's name and
    /// its index there), so inserting, removing or reordering other groups leaves its draws
    /// unchanged. Two nodes must not share a label.
    pub fn add_labelled_node(
        &mut self,
        zone: ZoneId,
        node: N,
        label: NodeLabel,
    ) -> Result<NodeId, ConfigError> {
        self.world.topology.check_zone("node placement", zone)?;
        assert!(self.nodes.len() < u32::MAX as usize, "too many nodes");
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(node);
        self.world.slots.push(NodeSlot {
            label,
            up: true,
            incarnation: 0,
            egress_free_at: SimTime::ZERO,
            rng: stream(
                self.world.seed,
                StreamLabel::of_node(StreamKind::Node, label),
            ),
            net_rng: stream(
                self.world.seed,
                StreamLabel::of_node(StreamKind::NodeNetwork, label),
            ),
            service: None,
            sent: 0,
            received: 0,
        });
        self.world.zones.push(zone);
        let now = self.world.now;
        self.world.schedule(now, Event::Start { node: id });
        Ok(id)
    }

    /// Gives `node` the workers and queue of service model `model` (from
    /// [`Simulation::add_service_model`]).
    pub fn set_service(&mut self, node: NodeId, model: u32) -> Result<(), ConfigError> {
        self.check_node("service assignment", node)?;
        let spec = self
            .world
            .service_models
            .get(model as usize)
            .ok_or(ConfigError::TooSmall {
                what: "service model index (must be registered first)",
                min: u64::from(model) + 1,
                value: self.world.service_models.len() as u64,
            })?;
        let name = spec.name().to_string();
        let workers = spec.workers().get();
        let metrics = &mut self.world.metrics;
        let wait_hist = metrics.histogram(&format!("service.{name}.wait"), Unit::Nanoseconds);
        let sojourn_hist = metrics.histogram(&format!("service.{name}.sojourn"), Unit::Nanoseconds);
        let label =
            StreamLabel::of_node(StreamKind::NodeService, self.world.slots[node.idx()].label);
        self.world.slots[node.idx()].service = Some(Box::new(ServiceState {
            model,
            wait_hist,
            sojourn_hist,
            in_service: (0..workers).map(|_| None).collect(),
            idle: idle_workers(workers),
            queue: Default::default(),
            rng: stream(self.world.seed, label),
            slowdown: 1.0,
            slow_windows: Vec::new(),
            last_empty: SimTime::ZERO,
            busy_ns: 0,
            completed: 0,
        }));
        Ok(())
    }

    fn check_node(&self, what: &'static str, node: NodeId) -> Result<(), ConfigError> {
        if node.0 < self.n_nodes() {
            Ok(())
        } else {
            Err(ConfigError::UnknownNode {
                what,
                node,
                n_nodes: self.n_nodes(),
            })
        }
    }

    /// Schedules `fault` at time `at` (not before now). Add the nodes it names first.
    pub fn add_fault(&mut self, at: SimTime, fault: Fault) -> Result<(), ConfigError> {
        fault.validate(self.n_nodes(), self.world.topology.n_regions())?;
        if at < self.world.now {
            return Err(ConfigError::TooSmall {
                what: "fault time (ns, must not be before now)",
                min: self.world.now.0,
                value: at.0,
            });
        }
        let index = self.world.faults.len() as u32;
        self.world.faults.push((at, fault));
        self.world.schedule(at, Event::Fault { index });
        Ok(())
    }

    /// Adds a random crash process; it starts when the run continues.
    pub fn add_crash_process(&mut self, process: CrashProcess) -> Result<(), ConfigError> {
        process.validate(self.n_nodes())?;
        self.world.processes.push(process);
        Ok(())
    }

    /// Installs an event trace; every processed event is handed to it from now on.
    pub fn set_trace(&mut self, sink: Box<dyn TraceSink>) {
        self.world.trace = Some(sink);
    }

    /// Removes and returns the event trace.
    pub fn take_trace(&mut self) -> Option<Box<dyn TraceSink>> {
        self.world.trace.take()
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.world.now
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> u32 {
        self.nodes.len() as u32
    }

    /// A node, to inspect its state after (or between) runs.
    pub fn node(&self, id: NodeId) -> &N {
        &self.nodes[id.idx()]
    }

    /// A node, mutably (between runs).
    pub fn node_mut(&mut self, id: NodeId) -> &mut N {
        &mut self.nodes[id.idx()]
    }

    /// The zone a node lives in.
    pub fn zone_of(&self, id: NodeId) -> ZoneId {
        self.world.zones[id.idx()]
    }

    /// A node's engine-side totals.
    pub fn node_stats(&self, id: NodeId) -> NodeStats {
        let slot = &self.world.slots[id.idx()];
        let (work_completed, busy_ns) = slot
            .service
            .as_ref()
            .map_or((0, 0), |s| (s.completed, s.busy_ns));
        NodeStats {
            up: slot.up,
            sent: slot.sent,
            received: slot.received,
            work_completed,
            busy_ns,
        }
    }

    /// Every metric recorded so far.
    pub fn metrics(&self) -> &Metrics {
        &self.world.metrics
    }

    /// The metric registry, to register names before the run.
    pub fn metrics_mut(&mut self) -> &mut Metrics {
        &mut self.world.metrics
    }

    /// Logs and counts (`faults.fired`, `faults.fired.<kind>`) a fault the caller applied
    /// itself at the current time, between run segments: a model-level change the engine does
    /// not know, such as a node leaving a placement. Keeps the promise that every fault that
    /// fires is in the log.
    pub fn log_external_fault(&mut self, kind: &'static str, description: String) {
        assert!(!kind.is_empty(), "a fault kind has a name");
        self.world.log_fault(kind, None, description, &[]);
    }

    /// Names the nodes (by group) for the fault log; without names they are `node N`.
    pub fn set_node_names(&mut self, names: NodeNames) {
        self.world.names = names;
    }

    /// The nodes' names, as set by [`Simulation::set_node_names`].
    pub fn node_names(&self) -> &NodeNames {
        &self.world.names
    }

    /// Every fault that fired, in order.
    pub fn fault_log(&self) -> &[FaultRecord] {
        &self.world.fault_log
    }

    /// Events processed so far (including skipped stale ones).
    pub fn events_processed(&self) -> u64 {
        self.world.events
    }

    /// Events pending.
    pub fn pending(&self) -> usize {
        self.world.queue.len()
    }

    /// A running hash of every dispatched event's time, sequence number, kind and nodes. Two
    /// runs with the same inputs and seed have the same digest; any divergence changes it.
    pub fn digest(&self) -> u64 {
        self.world.digest
    }

    /// Makes the run loop call [`Simulation::check_invariants`] after every `every` events
    /// (`None`: never, the default). Slow: for tests and `--paranoid` runs.
    pub fn set_paranoid(&mut self, every: Option<std::num::NonZeroU64>) {
        self.world.paranoid_every = every.map(|n| n.get());
    }

    /// O(n) consistency checks of the engine (the event queue, every node's engine state and
    /// service model, open fault windows) and of every node
    /// ([`Node::check_invariants`]); panics on a violation.
    pub fn check_invariants(&self) {
        let world = &self.world;
        world.queue.check_invariants();
        assert!(
            world.cancelled_timers.len() <= world.queue.len(),
            "more cancelled timers than pending events"
        );
        for (idx, slot) in world.slots.iter().enumerate() {
            if let Some(state) = slot.service.as_deref() {
                state.check_invariants(&world.service_models[state.model as usize]);
                if !slot.up {
                    assert_eq!(state.n_jobs(), 0, "node {idx} is down but holds work");
                }
            }
        }
        for index in &world.open_windows {
            assert!(
                (*index as usize) < world.faults.len(),
                "open window of no fault"
            );
        }
        for index in world.downed_by_fault.keys() {
            assert!(
                world.open_windows.contains(index),
                "downed nodes of a closed window"
            );
        }
        for node in &self.nodes {
            node.check_invariants();
        }
    }

    /// Runs until no events are left.
    pub fn run_until_idle(&mut self) -> Result<RunSummary, RunError> {
        self.run_observed(SimTime::MAX, |_| ControlFlow::Continue(()))
    }

    /// Runs every event up to and including time `end`, then sets the clock to `end`.
    pub fn run_until(&mut self, end: SimTime) -> Result<RunSummary, RunError> {
        self.run_observed(end, |_| ControlFlow::Continue(()))
    }

    /// Like [`Simulation::run_until`], calling `observer` every 65 536 events; it may stop
    /// the run (a wall-time guard, a progress bar's Ctrl-C) by returning `Break(reason)`.
    pub fn run_observed(
        &mut self,
        end: SimTime,
        mut observer: impl FnMut(&Progress) -> ControlFlow<String>,
    ) -> Result<RunSummary, RunError> {
        self.prepare();
        loop {
            let Some(next) = self.world.queue.pop_until(end) else {
                if self.world.queue.is_empty() {
                    return Ok(self.summary(StopReason::NoEvents));
                }
                self.world.now = end;
                return Ok(self.summary(StopReason::ReachedTime));
            };
            self.world.events += 1;
            self.dispatch(next);
            self.check_guards()?;
            if let Some(every) = self.world.paranoid_every {
                if self.world.events % every == 0 {
                    self.check_invariants();
                }
            }
            if self.world.events % OBSERVE_EVERY == 0 {
                let progress = Progress {
                    now: self.world.now,
                    events: self.world.events,
                    pending: self.world.queue.len() as u64,
                };
                if let ControlFlow::Break(reason) = observer(&progress) {
                    return Err(RunError::Interrupted {
                        reason,
                        events: self.world.events,
                        at: self.world.now,
                    });
                }
            }
        }
    }

    fn summary(&self, reason: StopReason) -> RunSummary {
        RunSummary {
            reason,
            end: self.world.now,
            events: self.world.events,
        }
    }

    #[inline]
    fn check_guards(&self) -> Result<(), RunError> {
        let world = &self.world;
        if world.events >= world.limits.max_events {
            return Err(RunError::MaxEvents {
                max_events: world.limits.max_events,
                events: world.events,
                at: world.now,
            });
        }
        if world.queue.len() as u64 > world.limits.max_pending {
            return Err(RunError::MaxPending {
                max_pending: world.limits.max_pending,
                pending: world.queue.len() as u64,
                at: world.now,
            });
        }
        Ok(())
    }

    /// Compiles a changed network and starts crash processes added since the last run.
    fn prepare(&mut self) {
        let world = &mut self.world;
        if world.network_stale {
            let mut network = Network::compile(world.network_config.clone(), &world.topology);
            network.take_faults_from(&mut world.network);
            world.network = network;
            world.network_stale = false;
        }
        while self.world.processes_started < self.world.processes.len() {
            let process = self.world.processes_started as u32;
            let nodes = self.world.processes[process as usize].nodes.clone();
            for node in nodes.nodes() {
                let delay = self.process_delay(process, *node, 0);
                let at = self.world.now + delay;
                self.world.schedule(
                    at,
                    Event::ProcessCrash {
                        process,
                        node: *node,
                        draw: 0,
                    },
                );
            }
            self.world.processes_started += 1;
        }
    }

    fn ctx(&mut self, node: NodeId) -> (&mut N, Ctx<'_, N::Msg>) {
        (
            &mut self.nodes[node.idx()],
            Ctx {
                world: &mut self.world,
                node,
            },
        )
    }

    /// Applies one popped event.
    #[inline(always)]
    fn dispatch(&mut self, scheduled: Scheduled<Event<N::Msg>>) {
        let Scheduled { time, seq, event } = scheduled;
        // Paired with `schedule`'s check: time never runs backwards.
        assert!(time >= self.world.now, "event from the past popped");
        self.world.now = time;
        if !self.is_live(seq, &event) {
            return;
        }
        let (code, kind) = event.kind_code();
        let (node, from) = match &event {
            Event::Start { node }
            | Event::Timer { node, .. }
            | Event::WorkDone { node, .. }
            | Event::ProcessCrash { node, .. }
            | Event::ProcessRestart { node, .. } => (Some(*node), None),
            Event::Deliver { from, to, .. } => (Some(*to), Some(*from)),
            Event::Fault { .. } | Event::FaultEnd { .. } => (None, None),
        };
        let world = &mut self.world;
        let mut digest = mix(world.digest, time.0);
        digest = mix(digest, seq);
        digest = mix(
            digest,
            code | (node.map_or(u64::MAX, |n| u64::from(n.0)) << 8),
        );
        world.digest = mix(digest, from.map_or(u64::MAX, |n| u64::from(n.0)));
        if let Some(trace) = world.trace.as_mut() {
            // Deliveries trace themselves (delivered or dropped); faults and crash-process
            // events are traced by the fault log, with their kind and nodes.
            let record = TraceRecord {
                time,
                seq,
                kind,
                node,
                ..TraceRecord::default()
            };
            match &event {
                Event::Start { .. } | Event::WorkDone { .. } => trace.record(&record),
                Event::Timer { tag, .. } => trace.record(&TraceRecord {
                    timer_tag: Some(tag.0),
                    ..record
                }),
                Event::FaultEnd { index } => {
                    let fault = &world.faults[*index as usize].1;
                    trace.record(&TraceRecord {
                        fault: Some(crate::trace::FaultTrace {
                            kind: fault.kind_name(),
                            description: "the fault's window ends",
                            nodes: &[],
                            end: None,
                        }),
                        ..record
                    });
                }
                Event::Deliver { .. }
                | Event::Fault { .. }
                | Event::ProcessCrash { .. }
                | Event::ProcessRestart { .. } => {}
            }
        }
        match event {
            Event::Start { node } => {
                let (target, mut ctx) = self.ctx(node);
                target.on_start(&mut ctx);
            }
            Event::Deliver { from, to, msg } => self.on_deliver(seq, from, to, msg),
            Event::Timer { node, tag, .. } => {
                let (target, mut ctx) = self.ctx(node);
                target.on_timer(&mut ctx, tag);
            }
            Event::WorkDone { node, worker, .. } => self.on_work_done(node, worker),
            Event::Fault { index } => self.fire_fault(index),
            Event::FaultEnd { index } => self.end_fault(index),
            Event::ProcessCrash {
                process,
                node,
                draw,
            } => self.on_process_crash(process, node, draw),
            Event::ProcessRestart {
                process,
                node,
                draw,
                repair,
            } => self.on_process_restart(process, node, draw, repair),
        }
    }

    /// Whether a popped event still applies: not a cancelled timer, not a timer or finished
    /// work from before the node's last crash, not a start of a node that is down.
    fn is_live(&mut self, seq: u64, event: &Event<N::Msg>) -> bool {
        let world = &mut self.world;
        match event {
            Event::Start { node } => world.slots[node.idx()].up,
            Event::Timer {
                node, incarnation, ..
            } => {
                let cancelled =
                    !world.cancelled_timers.is_empty() && world.cancelled_timers.remove(&seq);
                !cancelled && world.slots[node.idx()].incarnation == *incarnation
            }
            Event::WorkDone {
                node, incarnation, ..
            } => world.slots[node.idx()].incarnation == *incarnation,
            _ => true,
        }
    }

    /// Delivery event `seq` (the message's id in the trace) of `msg` from `from` to `to`.
    fn on_deliver(&mut self, seq: u64, from: NodeId, to: NodeId, msg: N::Msg) {
        let world = &mut self.world;
        if !world.slots[to.idx()].up {
            world.count_drop(DropCause::ReceiverDown, from, to, &msg, Some(seq));
            return;
        }
        if from != to && world.network.is_blocked(from, to) {
            world.count_drop(DropCause::Partition, from, to, &msg, Some(seq));
            return;
        }
        if let Some(trace) = world.trace.as_mut() {
            trace.record(&TraceRecord {
                time: world.now,
                seq,
                kind: "deliver",
                node: Some(to),
                from: Some(from),
                to: Some(to),
                msg_id: Some(seq),
                msg: Some(&msg),
                size_bytes: Some(crate::Message::size_bytes(&msg)),
                ..TraceRecord::default()
            });
        }
        if from != to {
            world.metrics.add(builtin::NET_DELIVERED, 1, world.now);
        }
        world.slots[to.idx()].received += 1;
        let (target, mut ctx) = self.ctx(to);
        target.on_message(&mut ctx, from, msg);
    }

    fn on_work_done(&mut self, node: NodeId, worker: u32) {
        let world = &mut self.world;
        let now = world.now;
        let slot = &mut world.slots[node.idx()];
        let incarnation = slot.incarnation;
        let state = slot
            .service
            .as_deref_mut()
            .expect("work finished on a node with a service model");
        let job = state.in_service[worker as usize]
            .take()
            .expect("a finishing worker has a job");
        state.completed += 1;
        world
            .metrics
            .record(state.wait_hist, (job.started_at - job.submitted_at).0, now);
        world
            .metrics
            .record(state.sojourn_hist, (now - job.submitted_at).0, now);
        // The next queued item starts before the node reacts, so FIFO order holds even if the
        // node submits more work in `on_work_done`.
        let model = &world.service_models[state.model as usize];
        // The plain FIFO pop stays inline here: the policy's path returns the job through a
        // tuple, a copy the common case need not pay.
        let next = if model.has_queue_policy() {
            let (next, expired) = state.next_job(model, now);
            if expired > 0 {
                // Registered at the first, so runs that never shed do not list it.
                let id = world.metrics.counter("work.dropped.expired");
                world.metrics.add(id, expired, now);
            }
            next
        } else {
            state.queue.pop_front()
        };
        if let Some(next) = next {
            let duration = state.start(model, worker as usize, next, now);
            world.schedule(
                now + duration,
                Event::WorkDone {
                    node,
                    incarnation,
                    worker,
                },
            );
        } else {
            state.idle.push(worker);
        }
        let work = CompletedWork {
            op: job.op,
            item: job.item,
            submitted_at: job.submitted_at,
            started_at: job.started_at,
        };
        let (target, mut ctx) = self.ctx(node);
        target.on_work_done(&mut ctx, work);
    }

    /// Crashes `node` if it is up: drops its work and timers (lazily, by incarnation), and
    /// calls `on_crash`. Returns whether it was up.
    pub(crate) fn crash_node(&mut self, node: NodeId) -> bool {
        let now = self.world.now;
        let slot = &mut self.world.slots[node.idx()];
        if !slot.up {
            return false;
        }
        slot.up = false;
        slot.incarnation = slot.incarnation.wrapping_add(1);
        slot.egress_free_at = now;
        let lost = slot.service.as_deref_mut().map_or(0, |s| s.clear());
        // Pair assertion: a crashed node is down with no work left.
        assert!(!slot.up && slot.service.as_ref().is_none_or(|s| s.n_jobs() == 0));
        self.world
            .metrics
            .add(builtin::WORK_LOST_CRASH, lost as u64, now);
        let mut ctx = crate::ctx::CrashCtx {
            metrics: &mut self.world.metrics,
            now,
        };
        self.nodes[node.idx()].on_crash(&mut ctx);
        true
    }

    /// Restarts `node` if it is down and calls `on_restart`. Returns whether it was down.
    pub(crate) fn restart_node(&mut self, node: NodeId) -> bool {
        let slot = &mut self.world.slots[node.idx()];
        if slot.up {
            return false;
        }
        slot.up = true;
        let incarnation = slot.incarnation;
        let (target, mut ctx) = self.ctx(node);
        target.on_restart(&mut ctx);
        // Pair assertion: `on_restart` cannot crash the node again.
        let slot = &self.world.slots[node.idx()];
        assert!(slot.up && slot.incarnation == incarnation);
        true
    }

    pub(crate) fn world_mut(&mut self) -> &mut World<N::Msg> {
        &mut self.world
    }

    pub(crate) fn world(&self) -> &World<N::Msg> {
        &self.world
    }
}
