//! The world a simulation's nodes share: everything but the nodes themselves.
//!
//! [`World`] holds the clock, the event queue, per-node engine state ([`NodeSlot`]), the
//! network, service models, metrics and faults; the run loop in `sim.rs` lends it to a node
//! as a `Ctx` while the node handles an event. The public run-control types (limits,
//! progress, summaries, per-node stats) live here too.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::fault::{CrashProcess, Fault, FaultRecord};
use crate::ids::{NodeId, TimerTag};
use crate::metrics::{builtin, Metrics};
use crate::names::NodeNames;
use crate::network::{DropCause, Network, NetworkConfig, Topology, ZoneId};
use crate::queue::EventQueue;
use crate::rng::{NodeLabel, SimRng};
use crate::service::{ServiceModel, ServiceState};
use crate::time::{SimDuration, SimTime};
use crate::trace::{TraceRecord, TraceSink};

/// An event in the queue. Small and plain: messages are stored inline, never boxed.
#[derive(Debug)]
pub(crate) enum Event<M> {
    Start {
        node: NodeId,
    },
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: M,
    },
    /// A timer; its id is the event's own `(time, seq)`.
    Timer {
        node: NodeId,
        incarnation: u32,
        tag: TimerTag,
    },
    WorkDone {
        node: NodeId,
        incarnation: u32,
        worker: u32,
    },
    /// Timeline fault number `index` fires.
    Fault {
        index: u32,
    },
    /// The window of timeline fault `index` ends (restart, heal, end of degradation).
    FaultEnd {
        index: u32,
    },
    /// Crash process `process` crashes `node`; `draw` numbers the process's draws for it.
    ProcessCrash {
        process: u32,
        node: NodeId,
        draw: u32,
    },
    /// Crash process `process` repairs `node` (if its crash took the node down: `repair`).
    ProcessRestart {
        process: u32,
        node: NodeId,
        draw: u32,
        repair: bool,
    },
}

impl<M> Event<M> {
    pub(crate) fn kind_code(&self) -> (u64, &'static str) {
        match self {
            Event::Start { .. } => (1, "start"),
            Event::Deliver { .. } => (2, "deliver"),
            Event::Timer { .. } => (3, "timer"),
            Event::WorkDone { .. } => (4, "work_done"),
            Event::Fault { .. } => (5, "fault"),
            Event::FaultEnd { .. } => (6, "fault_end"),
            Event::ProcessCrash { .. } => (7, "process_crash"),
            Event::ProcessRestart { .. } => (8, "process_restart"),
        }
    }
}

/// A node's local clock error: a step offset plus a drift since `drift_since`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ClockState {
    offset_ns: i64,
    /// Drift in parts per billion.
    drift_ppb: i64,
    drift_since: SimTime,
}

impl ClockState {
    /// The local reading at simulated time `now`.
    pub(crate) fn local(&self, now: SimTime) -> SimTime {
        let drift =
            i128::from(now.0 - self.drift_since.0) * i128::from(self.drift_ppb) / 1_000_000_000;
        let local = i128::from(now.0) + i128::from(self.offset_ns) + drift;
        SimTime(local.clamp(0, i128::from(u64::MAX)) as u64)
    }

    /// Applies a skew fault at `now`: folds the drift so far into the offset, then steps.
    pub(crate) fn skew(&mut self, now: SimTime, offset_ns: i64, drift_ppm: f64) {
        let so_far = self.local(now).0 as i128 - now.0 as i128;
        self.offset_ns =
            (so_far + i128::from(offset_ns)).clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        self.drift_ppb = (drift_ppm * 1000.0).round() as i64;
        self.drift_since = now;
    }
}

/// The engine's state for one node. Its two random streams are counter-based (56 bytes each,
/// whatever has been drawn); the service state is boxed and created on first use.
pub(crate) struct NodeSlot<M> {
    /// The node's stable name for its random streams.
    pub label: NodeLabel,
    pub up: bool,
    /// Bumped by each crash; events carrying an older value are stale.
    pub incarnation: u32,
    /// When the sender's link finishes serializing what it has queued.
    pub egress_free_at: SimTime,
    /// The node's own stream (`ctx.rng()`).
    pub rng: SimRng,
    /// The network's draws for messages the node sends.
    pub net_rng: SimRng,
    pub service: Option<Box<ServiceState<M>>>,
    pub sent: u64,
    pub received: u64,
}

/// Run guards. Hitting one stops the run with a [`RunError`](crate::RunError); results so far are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLimits {
    /// Most events one simulation may process (over all run calls).
    pub max_events: u64,
    /// Most events that may be pending at once.
    pub max_pending: u64,
}

impl Default for RunLimits {
    /// 10^11 events (hours of work at engine speed) and 10^8 pending events (several GiB).
    fn default() -> Self {
        RunLimits {
            max_events: 100_000_000_000,
            max_pending: 100_000_000,
        }
    }
}

/// Where the run loop is, handed to a progress observer.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Simulated time.
    pub now: SimTime,
    /// Events processed so far.
    pub events: u64,
    /// Events pending.
    pub pending: u64,
}

/// Why a run call returned normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The requested end time was reached.
    ReachedTime,
    /// No events were left.
    NoEvents,
}

/// The outcome of a run call that was not stopped by a guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSummary {
    /// Why it stopped.
    pub reason: StopReason,
    /// Simulated time at the stop.
    pub end: SimTime,
    /// Events processed in total (all run calls).
    pub events: u64,
}

/// Per-node totals, for load reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeStats {
    /// Whether the node is up.
    pub up: bool,
    /// Messages it handed to the network.
    pub sent: u64,
    /// Messages delivered to it.
    pub received: u64,
    /// Work items its service model finished.
    pub work_completed: u64,
    /// Nanoseconds its workers spent serving (summed over workers).
    pub busy_ns: u64,
}

/// Everything but the nodes.
pub(crate) struct World<M> {
    pub now: SimTime,
    pub seed: u64,
    pub queue: EventQueue<Event<M>>,
    pub slots: Vec<NodeSlot<M>>,
    /// Each node's zone, by node id: apart from the slots because every send reads the
    /// receiver's zone, and two bytes per node stay in cache where a slot would not.
    pub zones: Vec<ZoneId>,
    pub topology: Topology,
    pub network_config: NetworkConfig,
    pub network: Network,
    pub network_stale: bool,
    pub service_models: Vec<ServiceModel>,
    /// Local clocks of the nodes a clock-skew fault has touched; every other node's local
    /// clock is simulated time. A side table because skew is rare and a slot field cost
    /// 24 bytes on every node.
    pub clocks: BTreeMap<NodeId, ClockState>,
    /// Sequence numbers of cancelled timers still in the queue (looked up, never iterated):
    /// each entry is removed when its event pops, so the set holds only pending timers.
    pub cancelled_timers: HashSet<u64>,
    /// Nodes each windowed crash fault (by timeline index) took down, to restart at its end.
    pub downed_by_fault: BTreeMap<u32, Vec<NodeId>>,
    /// Timeline faults whose window has started and not yet ended.
    pub open_windows: BTreeSet<u32>,
    /// Check every invariant after this many events (`--paranoid`), if set.
    pub paranoid_every: Option<u64>,
    pub metrics: Metrics,
    pub faults: Vec<(SimTime, Fault)>,
    pub processes: Vec<CrashProcess>,
    pub processes_started: usize,
    pub fault_log: Vec<FaultRecord>,
    /// The nodes' names, for the fault log.
    pub names: NodeNames,
    pub trace: Option<Box<dyn TraceSink>>,
    pub digest: u64,
    pub events: u64,
    pub limits: RunLimits,
}

impl<M: crate::Message> World<M> {
    /// Queues `event` at `time` (not before now) and returns its sequence number.
    #[inline(always)]
    pub(crate) fn schedule(&mut self, time: SimTime, event: Event<M>) -> u64 {
        assert!(time >= self.now, "scheduling before now");
        self.queue.push(time, event)
    }

    /// Counts a dropped message under its cause and traces it: `msg_id` is its delivery
    /// event's sequence number when it was lost in flight (at the receiver), `None` when it
    /// was dropped as it was sent (at the sender).
    pub(crate) fn count_drop(
        &mut self,
        cause: DropCause,
        from: NodeId,
        to: NodeId,
        msg: &M,
        msg_id: Option<u64>,
    ) {
        let counter = match cause {
            DropCause::Partition => builtin::NET_DROPPED_PARTITION,
            DropCause::Loss => builtin::NET_DROPPED_LOSS,
            DropCause::ReceiverDown => builtin::NET_DROPPED_RECEIVER_DOWN,
        };
        self.metrics.add(counter, 1, self.now);
        if let Some(trace) = self.trace.as_mut() {
            trace.record(&TraceRecord {
                time: self.now,
                seq: msg_id.unwrap_or_else(|| self.queue.n_scheduled()),
                kind: "drop",
                node: Some(if msg_id.is_some() { to } else { from }),
                from: Some(from),
                to: Some(to),
                msg_id,
                msg: Some(msg),
                size_bytes: Some(msg.size_bytes()),
                cause: Some(cause.name()),
                ..TraceRecord::default()
            });
        }
    }

    /// Traces a message handed to the network: `msg_id` is its delivery event's sequence
    /// number, `arrive` when that event is due.
    pub(crate) fn trace_send(&mut self, send: TracedSend<'_, M>) {
        if let Some(trace) = self.trace.as_mut() {
            trace.record(&TraceRecord {
                time: self.now,
                seq: send.msg_id,
                kind: "send",
                node: Some(send.from),
                from: Some(send.from),
                to: Some(send.to),
                msg_id: Some(send.msg_id),
                msg: Some(send.msg),
                size_bytes: Some(send.msg.size_bytes()),
                arrive: Some(send.arrive),
                copy: send.copy,
                ..TraceRecord::default()
            });
        }
    }

    /// Logs and counts a fault that fired.
    pub(crate) fn log_fault(
        &mut self,
        kind: &'static str,
        end: Option<SimTime>,
        description: String,
        nodes: &[NodeId],
    ) {
        self.metrics.add(builtin::FAULTS_FIRED, 1, self.now);
        let counter = self.metrics.counter(&format!("faults.fired.{kind}"));
        self.metrics.add(counter, 1, self.now);
        if let Some(trace) = self.trace.as_mut() {
            trace.record(&TraceRecord {
                time: self.now,
                seq: self.queue.n_scheduled(),
                kind: "fault",
                fault: Some(crate::trace::FaultTrace {
                    kind,
                    description: &description,
                    nodes,
                    end,
                }),
                ..TraceRecord::default()
            });
        }
        self.fault_log.push(FaultRecord {
            time: self.now,
            end,
            kind,
            description,
        });
    }
}

/// A message handed to the network, for the trace.
pub(crate) struct TracedSend<'a, M> {
    pub from: NodeId,
    pub to: NodeId,
    pub msg: &'a M,
    pub msg_id: u64,
    pub arrive: SimTime,
    pub copy: bool,
}

/// Settings fixed when a simulation is created.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The root seed every random stream derives from.
    pub seed: u64,
    /// Run guards.
    pub limits: RunLimits,
    /// Window length for per-window metric series; `None` records totals only.
    pub metrics_window: Option<SimDuration>,
}

impl SimConfig {
    /// Default guards and no metric windows, with the given seed.
    pub fn with_seed(seed: u64) -> Self {
        SimConfig {
            seed,
            limits: RunLimits::default(),
            metrics_window: None,
        }
    }
}

/// Mixes one word into the run digest (FxHash's multiply-rotate step).
#[inline]
pub(crate) fn mix(digest: u64, word: u64) -> u64 {
    (digest.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}
