//! The quorum scheme's nodes: [`QuorumFrontEnd`], the coordinating half (hosted by a store
//! node, or by a client for client-side coordination), and [`QuorumNode`], a replica.
//! The scheme itself is [`crate::replication::quorum`].

use sim_core::{
    Admission, CompletedWork, CounterId, Ctx, HistogramId, Node, NodeId, SimDuration, SimTime,
    TimerTag,
};

use super::{op_index, op_latency_histograms, work_kind, ConsistencyMetrics, OPS};
use crate::msg::{Msg, ReplicaKind, ReplicaMsg, Request, Status};
use crate::placement::SharedPlacement;
use crate::replication::history::SharedHistory;
use crate::replication::quorum::{Coordination, Coordinator, OpKind, QuorumSpec, Replica};
use crate::workload::{KeyId, Op};

/// What a coordinator remembers of an operation besides the quorum count.
#[derive(Clone, Copy, Debug)]
struct Started<T> {
    tag: T,
    op: Op,
    key: KeyId,
    at: SimTime,
    client: NodeId,
    value_bytes: u32,
}

/// Metric ids of a coordinator.
#[derive(Clone, Copy, Debug)]
struct FrontMetrics {
    latency: [HistogramId; 3],
    unavailable: [CounterId; 3],
    /// Per read and write: unavailability windows of a key.
    windows: [HistogramId; 2],
    read_repairs: CounterId,
    consistency: ConsistencyMetrics,
}

fn quorum_kind(op: Op) -> OpKind {
    match op {
        Op::Read => OpKind::Read,
        // A delete writes a tombstone: a new version like any write.
        Op::Write | Op::Delete => OpKind::Write,
    }
}

/// The coordinating half of the quorum scheme, hosted by a store node (replica-side
/// coordination) or by a client (client-side): sends an operation to the key's replicas,
/// counts their replies, reports the result to the run's history and records its metrics.
/// `T` is what the host needs to answer the operation (a client's request id, or the request
/// itself).
#[derive(Debug)]
pub struct QuorumFrontEnd<T> {
    coordinator: Coordinator<Started<T>>,
    placement: SharedPlacement,
    history: SharedHistory,
    replicas: Vec<NodeId>,
    metrics: Option<FrontMetrics>,
}

/// An operation a reply completed (it reached its quorum): what its host needs to answer it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answered<T> {
    /// The host's tag.
    pub tag: T,
    /// The operation.
    pub op: Op,
    /// When the coordinator started it.
    pub started: SimTime,
    /// The value size it was started with.
    pub value_bytes: u32,
}

impl<T: Clone> QuorumFrontEnd<T> {
    /// A coordinator of `spec`'s operations on the store placed by `placement` (this run's),
    /// reporting to `history` (this run's).
    pub fn new(spec: QuorumSpec, placement: SharedPlacement, history: SharedHistory) -> Self {
        QuorumFrontEnd {
            coordinator: Coordinator::new(spec),
            placement,
            history,
            replicas: Vec::with_capacity(spec.n()),
            metrics: None,
        }
    }

    /// Registers the metrics (on the host's start; again after a restart is harmless).
    pub fn register(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.metrics.is_some() {
            return;
        }
        self.metrics = Some(FrontMetrics {
            latency: op_latency_histograms(ctx),
            unavailable: OPS.map(|op| ctx.counter(&format!("store.unavailable.{}", op.name()))),
            windows: ["read", "write"].map(|op| {
                let name = format!("store.unavailable_window.{op}");
                ctx.histogram_whole_run(&name, sim_core::Unit::Nanoseconds)
            }),
            read_repairs: ctx.counter("store.read_repairs"),
            consistency: ConsistencyMetrics::register(ctx),
        });
    }

    fn metrics(&self) -> FrontMetrics {
        self.metrics.expect("registered when the host started")
    }

    /// Starts `op` on `key` for `client` (who the history holds to read-your-writes and
    /// monotonic reads): sends it to the key's replicas and returns the operation id their
    /// replies carry.
    pub fn start(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        tag: T,
        op: Op,
        key: KeyId,
        value_bytes: u32,
        client: NodeId,
    ) -> u64 {
        let spec = *self.coordinator.spec();
        let kind = quorum_kind(op);
        let version = match kind {
            OpKind::Write => self
                .history
                .start_write(client.0, key.0, ctx.now().as_nanos()),
            OpKind::Read => 0,
        };
        self.placement.replicas(key, spec.n(), &mut self.replicas);
        let started = Started {
            tag,
            op,
            key,
            at: ctx.now(),
            client,
            value_bytes,
        };
        let id = self
            .coordinator
            .begin(started, kind, key.0, version, self.replicas.len());
        let kind = match kind {
            OpKind::Write => ReplicaKind::Write,
            OpKind::Read => ReplicaKind::Read,
        };
        let msg = ReplicaMsg::new(kind, id, ctx.id(), key, version, value_bytes);
        for i in 0..self.replicas.len() {
            ctx.send(self.replicas[i], Msg::Replica(msg));
        }
        id
    }

    /// A replica's reply (`WriteAck` or `ReadReply`) from `from`: the operation it completed,
    /// if it did (then reported to the history, its latency recorded, stale repliers
    /// repaired).
    pub fn on_reply(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        from: NodeId,
        reply: ReplicaMsg,
    ) -> Option<Answered<T>> {
        let outcome = self.coordinator.reply(reply.op(), from, reply.version);
        let metrics = self.metrics();
        if !outcome.repairs.is_empty() {
            let (key, version) = outcome.repair;
            ctx.count(metrics.read_repairs, outcome.repairs.len() as u64);
            let repair = ReplicaMsg::new(
                ReplicaKind::Repair,
                reply.op(),
                ctx.id(),
                KeyId(key),
                version,
                reply.value_bytes,
            );
            for node in &outcome.repairs {
                ctx.send(*node, Msg::Replica(repair));
            }
        }
        let done = outcome.completed?;
        let started = done.tag;
        let now = ctx.now();
        ctx.record(
            metrics.latency[op_index(started.op)],
            now.saturating_since(started.at).as_nanos(),
        );
        let write = done.kind == OpKind::Write;
        let called = started.at.as_nanos();
        let window = self.history.operation_succeeded(done.key, write, called);
        if let Some(window) = window {
            ctx.record(metrics.windows[usize::from(write)], window);
        }
        let (history, client) = (&self.history, started.client);
        match done.kind {
            OpKind::Write => {
                metrics
                    .consistency
                    .acknowledged(ctx, history, client, done.key, done.version)
            }
            OpKind::Read => {
                let called = started.at;
                metrics
                    .consistency
                    .read(ctx, history, client, done.key, called, done.version)
            }
        }
        Some(Answered {
            tag: started.tag,
            op: started.op,
            started: started.at,
            value_bytes: started.value_bytes,
        })
    }

    /// The host gave up on operation `id` (its timeout): its tag if it had not reached its
    /// quorum (counted unavailable), `None` if it had.
    pub fn abandon(&mut self, ctx: &mut Ctx<'_, Msg>, id: u64) -> Option<T> {
        let started = self.coordinator.abandon(id)?;
        ctx.count(self.metrics().unavailable[op_index(started.op)], 1);
        let write = quorum_kind(started.op) == OpKind::Write;
        self.history
            .operation_failed(started.key.0, write, started.at.as_nanos());
        Some(started.tag)
    }

    /// The host crashed: every operation in flight is forgotten.
    pub fn crash(&mut self) {
        self.coordinator.clear();
    }
}

/// Timer tags of a coordinating store node: `TAG_OP_TIMEOUT_BASE + operation id`.
const TAG_OP_TIMEOUT_BASE: u64 = 1 << 62;

/// Metric ids of a replica.
#[derive(Clone, Copy, Debug)]
struct ReplicaMetrics {
    reads: CounterId,
    writes: CounterId,
}

/// A node of a quorum store: a replica, and (with replica-side coordination) the coordinator
/// of the client requests sent to it.
#[derive(Debug)]
pub struct QuorumNode {
    op_timeout: Option<SimDuration>,
    replica: Replica,
    /// Replica-side coordination: the client requests this node coordinates.
    front: Option<QuorumFrontEnd<Request>>,
    metrics: Option<ReplicaMetrics>,
}

impl QuorumNode {
    /// A replica of `spec`'s store placed by `placement` (this run's placement of the
    /// group), reporting to `history` (this run's) when it coordinates; a request it
    /// coordinates is answered `unavailable` after `op_timeout` without its quorum.
    pub fn new(
        spec: QuorumSpec,
        op_timeout: Option<SimDuration>,
        placement: SharedPlacement,
        history: SharedHistory,
    ) -> Self {
        let front = (spec.coordination == Coordination::Replica)
            .then(|| QuorumFrontEnd::new(spec, placement, history));
        QuorumNode {
            op_timeout,
            replica: Replica::new(),
            front,
            metrics: None,
        }
    }

    /// A replica's part: apply or read, and answer the coordinator (repairs are one-way).
    fn serve(&mut self, ctx: &mut Ctx<'_, Msg>, msg: ReplicaMsg) {
        let metrics = self.metrics.expect("registered on start");
        let (kind, version) = match msg.kind() {
            ReplicaKind::Write => {
                ctx.count(metrics.writes, 1);
                (
                    ReplicaKind::WriteAck,
                    self.replica.write(msg.key.0, msg.version),
                )
            }
            ReplicaKind::Repair => {
                ctx.count(metrics.writes, 1);
                self.replica.write(msg.key.0, msg.version);
                return;
            }
            ReplicaKind::Read => {
                ctx.count(metrics.reads, 1);
                (ReplicaKind::ReadReply, self.replica.read(msg.key.0))
            }
            ReplicaKind::WriteAck | ReplicaKind::ReadReply | ReplicaKind::Heartbeat => return,
        };
        ctx.send(msg.coordinator, Msg::Replica(msg.reply(kind, version)));
    }

    fn on_client_request(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) {
        let Some(front) = self.front.as_mut() else {
            // Client-side coordination: clients talk to replicas, never send requests here.
            crate::roles::server::reply(ctx, &request, Status::Unavailable);
            return;
        };
        let (op, key, value_bytes, client) =
            (request.op, request.key, request.value_bytes, request.client);
        let id = front.start(ctx, request, op, key, value_bytes, client);
        if let Some(after) = self.op_timeout {
            ctx.set_timer(after, TimerTag(TAG_OP_TIMEOUT_BASE + id));
        }
    }
}

impl Node for QuorumNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.metrics.is_none() {
            self.metrics = Some(ReplicaMetrics {
                reads: ctx.counter("store.replica.reads"),
                writes: ctx.counter("store.replica.writes"),
            });
        }
        if let Some(front) = self.front.as_mut() {
            front.register(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(request) => self.on_client_request(ctx, request),
            Msg::Replica(m)
                if matches!(m.kind(), ReplicaKind::WriteAck | ReplicaKind::ReadReply) =>
            {
                let Some(front) = self.front.as_mut() else {
                    return;
                };
                if let Some(done) = front.on_reply(ctx, from, m) {
                    crate::roles::server::reply(ctx, &done.tag, Status::Ok);
                }
            }
            Msg::Replica(m) => match ctx.submit_work(work_kind(m.kind()), Msg::Replica(m)) {
                Admission::Started | Admission::Queued | Admission::Dropped => {}
                // A full queue refuses: the coordinator gets no reply from this replica.
                Admission::Rejected(_) => {}
                Admission::NoService(Msg::Replica(m)) => self.serve(ctx, m),
                Admission::NoService(_) => {
                    unreachable!("the service model hands back what it was given")
                }
            },
            Msg::Probe { seq } => ctx.send(from, Msg::ProbeAck { seq }),
            Msg::Response(_)
            | Msg::ProbeAck { .. }
            | Msg::Set { .. }
            | Msg::Invalidate { .. }
            | Msg::Raft(_)
            | Msg::Custom(_) => {}
        }
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Msg>, work: CompletedWork<Msg>) {
        if let Msg::Replica(m) = work.item {
            self.serve(ctx, m);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        let Some(id) = tag.0.checked_sub(TAG_OP_TIMEOUT_BASE) else {
            return;
        };
        if let Some(front) = self.front.as_mut() {
            if let Some(request) = front.abandon(ctx, id) {
                crate::roles::server::reply(ctx, &request, Status::Unavailable);
            }
        }
    }

    fn on_crash(&mut self, _ctx: &mut sim_core::CrashCtx<'_>) {
        // Versions are durable; the operations this node coordinated die with it.
        if let Some(front) = self.front.as_mut() {
            front.crash();
        }
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.on_start(ctx);
    }
}
