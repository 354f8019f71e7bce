//! The quorum scheme's nodes: [`QuorumFrontEnd`], the coordinating half (hosted by a store
//! node, or by a client for client-side coordination), and [`QuorumNode`], a replica.
//! The scheme itself is [`crate::replication::quorum`].

use sim_core::{
    Admission, CompletedWork, CounterId, Ctx, HistogramId, Node, NodeId, SimDuration, SimTime,
    TimerTag,
};

use super::{op_index, op_latency_histograms, work_kind, ConsistencyMetrics, OPS};
use crate::fixed_hash::FixedHashMap;
use crate::msg::{Msg, ReplicaKind, ReplicaMsg, Request, Status};
use crate::placement::SharedPlacement;
use crate::replication::anti_entropy::{self, AntiEntropy, MerkleBoard, Session};
use crate::replication::history::SharedHistory;
use crate::replication::history::{Key, Version};
use crate::replication::quorum::{Coordination, Coordinator, OpKind, QuorumSpec, Replica, Sloppy};
use crate::workload::{KeyId, Op};
use std::collections::BTreeMap;

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
    /// Sloppy quorum: what this coordinator knows of each replica's health (looked up per
    /// send; never iterated).
    liveness: FixedHashMap<NodeId, Liveness>,
    /// Sloppy quorum: the nodes an operation goes to, chosen from `replicas`.
    targets: Vec<NodeId>,
    metrics: Option<FrontMetrics>,
}

/// A sloppy coordinator's view of one replica.
#[derive(Clone, Copy, Debug, Default)]
struct Liveness {
    /// When it was first sent something it has not replied to since: suspected once this is
    /// `suspect_after` old.
    silent_since: Option<SimTime>,
    /// When a suspected replica next gets a copy of an operation (a probe).
    probe_at: SimTime,
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
            liveness: FixedHashMap::default(),
            targets: Vec::with_capacity(spec.n()),
            metrics: None,
        }
    }

    /// Whether this coordinator suspects `node` at `now`.
    fn suspects(&self, node: NodeId, now: SimTime, sloppy: Sloppy) -> bool {
        self.liveness.get(&node).is_some_and(|l| {
            l.silent_since
                .is_some_and(|since| now.saturating_since(since) >= sloppy.suspect_after)
        })
    }

    /// Sloppy quorum: replaces `replicas` (the key's N home replicas) by the first N nodes of
    /// the key's preference list this coordinator does not suspect, plus the suspected home
    /// replicas due a probe. Costs nothing while it suspects none of the home replicas.
    fn choose_sloppy(&mut self, key: KeyId, n: usize, now: SimTime, sloppy: Sloppy) {
        if !self.replicas.iter().any(|&r| self.suspects(r, now, sloppy)) {
            return;
        }
        let members = self.placement.len();
        self.placement.replicas(key, members, &mut self.replicas);
        self.targets.clear();
        let mut healthy = 0;
        for i in 0..self.replicas.len() {
            let node = self.replicas[i];
            if !self.suspects(node, now, sloppy) {
                if healthy < n {
                    self.targets.push(node);
                    healthy += 1;
                }
            } else if i < n {
                // A suspected home replica: a copy now and then, so it can answer again.
                let seen = self.liveness.entry(node).or_default();
                if seen.probe_at <= now {
                    seen.probe_at = now + sloppy.suspect_after;
                    self.targets.push(node);
                }
            }
        }
        std::mem::swap(&mut self.replicas, &mut self.targets);
    }

    /// Registers the metrics (on the host's start; again after a restart is harmless).
    pub fn register(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.metrics.is_some() {
            return;
        }
        self.metrics = Some(FrontMetrics {
            latency: op_latency_histograms(ctx),
            unavailable: OPS.map(|op| ctx.counter(&format!("store.unavailable.{}", op.name()))),
            windows: super::unavailable_window_histograms(ctx),
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
        if let Some(sloppy) = spec.sloppy {
            let now = ctx.now();
            self.choose_sloppy(key, spec.n(), now, sloppy);
            for &node in &self.replicas {
                let seen = self.liveness.entry(node).or_default();
                seen.silent_since.get_or_insert(now);
            }
        }
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
        if let Some(seen) = self.liveness.get_mut(&from) {
            seen.silent_since = None;
        }
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

/// Timer tag of a sloppy replica's periodic handoff of its hints.
const TAG_HANDOFF: u64 = 1;

/// Timer tag of a replica's periodic anti-entropy session.
const TAG_ANTI_ENTROPY: u64 = 2;

/// The operation id of a handoff write and its ack: coordinators number theirs from 1.
const HANDOFF_OP: u64 = 0;

/// Hints a fallback keeps at most (key × home replica); beyond, new ones are dropped and
/// counted (`store.hints_dropped`).
pub const MAX_HINTS: usize = 1 << 20;

/// Metric ids of a replica.
#[derive(Clone, Copy, Debug)]
struct ReplicaMetrics {
    reads: CounterId,
    writes: CounterId,
    hinted_writes: CounterId,
    handoffs: CounterId,
    hints_dropped: CounterId,
    sessions: CounterId,
    repaired: CounterId,
    differing: HistogramId,
}

/// A replica's anti-entropy: whom it compares with next, and the run's board the trees go
/// through.
#[derive(Debug)]
struct AntiEntropyState {
    spec: AntiEntropy,
    n: usize,
    placement: SharedPlacement,
    board: MerkleBoard,
    /// Sessions started: the next peer is the members' `next_peer`-th other than this node.
    next_peer: usize,
    home: Vec<NodeId>,
}

impl AntiEntropyState {
    /// What `me` holds of the keys it shares with `peer` (both among the key's home
    /// replicas), sorted by key.
    fn shared(&mut self, replica: &Replica, me: NodeId, peer: NodeId) -> Vec<(Key, Version)> {
        let mut shared: Vec<(Key, Version)> = replica
            .entries()
            .filter(|&(key, _)| {
                self.placement.replicas(KeyId(key), self.n, &mut self.home);
                self.home.contains(&me) && self.home.contains(&peer)
            })
            .collect();
        shared.sort_unstable();
        shared
    }
}

/// A sloppy replica's hints: writes it accepted as a fallback, owed to the key's home
/// replicas. Durable (a fallback that crashes keeps them, as Dynamo's local store does).
#[derive(Debug)]
struct Hints {
    sloppy: Sloppy,
    n: usize,
    placement: SharedPlacement,
    /// (key, home replica) → the newest version owed to it and its value size; iterated in
    /// order per handoff.
    owed: BTreeMap<(Key, NodeId), (Version, u32)>,
    home: Vec<NodeId>,
}

impl Hints {
    /// A write of `version` to `key` arrived at `me`: hinted for each home replica if `me`
    /// is not one. Returns (hinted, dropped).
    fn accepted(&mut self, me: NodeId, msg: &ReplicaMsg) -> (bool, u64) {
        let (key, version) = (msg.key, msg.version);
        self.placement.replicas(key, self.n, &mut self.home);
        if self.home.contains(&me) {
            return (false, 0);
        }
        let mut dropped = 0;
        for &home in &self.home {
            if self.owed.len() >= MAX_HINTS && !self.owed.contains_key(&(key.0, home)) {
                dropped += 1;
                continue;
            }
            let owed = self.owed.entry((key.0, home)).or_insert((0, 0));
            if version > owed.0 {
                *owed = (version, msg.value_bytes);
            }
        }
        (true, dropped)
    }

    /// `home` acked `version` of `key`: the hint is settled if that covers it. Returns
    /// whether it was, and whether `key` now has no hint left.
    fn acked(&mut self, home: NodeId, key: Key, version: Version) -> (bool, bool) {
        let settled = self
            .owed
            .get(&(key, home))
            .is_some_and(|owed| owed.0 <= version);
        if settled {
            self.owed.remove(&(key, home));
        }
        let none_left = self
            .owed
            .range((key, NodeId(0))..=(key, NodeId(u32::MAX)))
            .next()
            .is_none();
        (settled, none_left)
    }
}

/// A node of a quorum store: a replica, and (with replica-side coordination) the coordinator
/// of the client requests sent to it.
#[derive(Debug)]
pub struct QuorumNode {
    op_timeout: Option<SimDuration>,
    replica: Replica,
    /// Sloppy quorum: the hints this node holds as a fallback.
    hints: Option<Box<Hints>>,
    /// Periodic anti-entropy.
    anti_entropy: Option<Box<AntiEntropyState>>,
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
        board: Option<MerkleBoard>,
    ) -> Self {
        let anti_entropy = spec.anti_entropy.map(|ae| {
            Box::new(AntiEntropyState {
                spec: ae,
                n: spec.n(),
                placement: placement.clone(),
                board: board.expect("a store with anti-entropy has a board in its run"),
                next_peer: 0,
                home: Vec::with_capacity(spec.n()),
            })
        });
        let hints = spec.sloppy.map(|sloppy| {
            Box::new(Hints {
                sloppy,
                n: spec.n(),
                placement: placement.clone(),
                owed: BTreeMap::new(),
                home: Vec::with_capacity(spec.n()),
            })
        });
        let front = (spec.coordination == Coordination::Replica)
            .then(|| QuorumFrontEnd::new(spec, placement, history));
        QuorumNode {
            op_timeout,
            replica: Replica::new(),
            hints,
            anti_entropy,
            front,
            metrics: None,
        }
    }

    /// A replica's part: apply or read, and answer the coordinator (repairs are one-way).
    fn serve(&mut self, ctx: &mut Ctx<'_, Msg>, msg: ReplicaMsg) {
        let metrics = self.metrics.expect("registered on start");
        let (kind, version) = match msg.kind() {
            kind @ (ReplicaKind::Write | ReplicaKind::Repair) => {
                ctx.count(metrics.writes, 1);
                let held = self.replica.write(msg.key.0, msg.version);
                if let Some(hints) = self.hints.as_mut() {
                    let (hinted, dropped) = hints.accepted(ctx.id(), &msg);
                    if hinted {
                        ctx.count(metrics.hinted_writes, 1);
                    }
                    if dropped > 0 {
                        ctx.count(metrics.hints_dropped, dropped);
                    }
                }
                if kind == ReplicaKind::Repair {
                    return;
                }
                (ReplicaKind::WriteAck, held)
            }
            ReplicaKind::Read => {
                ctx.count(metrics.reads, 1);
                (ReplicaKind::ReadReply, self.replica.read(msg.key.0))
            }
            ReplicaKind::WriteAck
            | ReplicaKind::ReadReply
            | ReplicaKind::Heartbeat
            | ReplicaKind::AntiEntropyTree
            | ReplicaKind::AntiEntropyDiff => return,
        };
        ctx.send(msg.coordinator, Msg::Replica(msg.reply(kind, version)));
    }

    /// Sends every hint home (the handoff timer); a home replica that is still unreachable
    /// gets it again next time.
    fn hand_off(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let Some(hints) = self.hints.as_ref() else {
            return;
        };
        let me = ctx.id();
        for (&(key, home), &(version, value_bytes)) in &hints.owed {
            let write = ReplicaMsg::new(
                ReplicaKind::Write,
                HANDOFF_OP,
                me,
                KeyId(key),
                version,
                value_bytes,
            );
            ctx.send(home, Msg::Replica(write));
        }
        ctx.set_timer(hints.sloppy.handoff_interval, TimerTag(TAG_HANDOFF));
    }

    /// A home replica acked a handoff write: the hint is settled, and once a key has no
    /// hint left this fallback forgets it.
    fn on_handoff_ack(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, ack: ReplicaMsg) {
        let Some(hints) = self.hints.as_mut() else {
            return;
        };
        let (settled, none_left) = hints.acked(from, ack.key.0, ack.version);
        if settled {
            ctx.count(self.metrics.expect("registered on start").handoffs, 1);
            if none_left {
                self.replica.forget(ack.key.0, ack.version);
            }
        }
    }

    /// The anti-entropy timer: sends this node's tree of the keys it shares with its next
    /// peer.
    fn start_session(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let Some(ae) = self.anti_entropy.as_mut() else {
            return;
        };
        ctx.set_timer(ae.spec.interval, TimerTag(TAG_ANTI_ENTROPY));
        let me = ctx.id();
        let peers: Vec<NodeId> = ae
            .placement
            .members()
            .into_iter()
            .filter(|&m| m != me)
            .collect();
        let Some(&peer) = peers.get(ae.next_peer % peers.len().max(1)) else {
            return;
        };
        ae.next_peer += 1;
        let shared = ae.shared(&self.replica, me, peer);
        let leaves = anti_entropy::leaves(&ae.spec, shared);
        ae.board.lock().insert(
            (me, peer),
            Session {
                leaves,
                ..Session::default()
            },
        );
        let tree = ReplicaMsg::new(
            ReplicaKind::AntiEntropyTree,
            0,
            me,
            KeyId(0),
            0,
            anti_entropy::HASH_BYTES as u32,
        );
        ctx.send(peer, Msg::Replica(tree));
    }

    /// A peer's tree came: find the differing ranges and send back this node's entries in
    /// them.
    fn on_tree(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId) {
        let Some(ae) = self.anti_entropy.as_mut() else {
            return;
        };
        let me = ctx.id();
        let shared = ae.shared(&self.replica, me, from);
        let mine = anti_entropy::leaves(&ae.spec, shared.iter().copied());
        let mut board = ae.board.lock();
        let Some(session) = board.get_mut(&(from, me)) else {
            return;
        };
        session.differing = anti_entropy::differing(&session.leaves, &mine);
        let differing = &session.differing;
        session.entries = shared
            .into_iter()
            .filter(|(key, _)| differing.binary_search(&ae.spec.range(*key)).is_ok())
            .collect();
        let bytes = anti_entropy::descent_bytes(ae.spec.ranges, differing.len())
            + anti_entropy::ENTRY_BYTES * session.entries.len() as u64;
        drop(board);
        let diff = ReplicaMsg::new(
            ReplicaKind::AntiEntropyDiff,
            0,
            me,
            KeyId(0),
            0,
            u32::try_from(bytes).unwrap_or(u32::MAX),
        );
        ctx.send(from, Msg::Replica(diff));
    }

    /// The peer's differing ranges and entries came: take what is newer there, and repair
    /// the peer with what is newer here.
    fn on_diff(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId) {
        let Some(ae) = self.anti_entropy.as_mut() else {
            return;
        };
        let me = ctx.id();
        let Some(session) = ae.board.lock().remove(&(me, from)) else {
            return;
        };
        let metrics = self.metrics.expect("registered on start");
        let mut repaired = 0;
        for &(key, version) in &session.entries {
            if version > self.replica.read(key) {
                self.replica.write(key, version);
                repaired += 1;
            }
        }
        let shared = ae.shared(&self.replica, me, from);
        for (key, version) in shared {
            if session
                .differing
                .binary_search(&ae.spec.range(key))
                .is_err()
            {
                continue;
            }
            let theirs = session
                .entries
                .binary_search_by_key(&key, |(k, _)| *k)
                .map_or(0, |i| session.entries[i].1);
            if version > theirs {
                let repair = ReplicaMsg::new(ReplicaKind::Repair, 0, me, KeyId(key), version, 0);
                ctx.send(from, Msg::Replica(repair));
                repaired += 1;
            }
        }
        ctx.count(metrics.sessions, 1);
        ctx.count(metrics.repaired, repaired);
        ctx.record(metrics.differing, session.differing.len() as u64);
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
                hinted_writes: ctx.counter("store.hinted_writes"),
                handoffs: ctx.counter("store.handoffs"),
                hints_dropped: ctx.counter("store.hints_dropped"),
                sessions: ctx.counter("store.anti_entropy.sessions"),
                repaired: ctx.counter("store.anti_entropy.repaired"),
                differing: ctx.histogram_whole_run(
                    "store.anti_entropy.differing_ranges",
                    sim_core::Unit::Count,
                ),
            });
        }
        if let Some(ae) = &self.anti_entropy {
            ctx.set_timer(ae.spec.interval, TimerTag(TAG_ANTI_ENTROPY));
        }
        if let Some(hints) = &self.hints {
            ctx.set_timer(hints.sloppy.handoff_interval, TimerTag(TAG_HANDOFF));
        }
        if let Some(front) = self.front.as_mut() {
            front.register(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(request) => self.on_client_request(ctx, request),
            Msg::Replica(m) if m.kind() == ReplicaKind::WriteAck && m.op() == HANDOFF_OP => {
                self.on_handoff_ack(ctx, from, m)
            }
            Msg::Replica(m) if m.kind() == ReplicaKind::AntiEntropyTree => self.on_tree(ctx, from),
            Msg::Replica(m) if m.kind() == ReplicaKind::AntiEntropyDiff => self.on_diff(ctx, from),
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
            | Msg::Gossip(_)
            | Msg::Member(_)
            | Msg::Custom(_) => {}
        }
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Msg>, work: CompletedWork<Msg>) {
        if let Msg::Replica(m) = work.item {
            self.serve(ctx, m);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        if tag.0 == TAG_HANDOFF {
            self.hand_off(ctx);
            return;
        }
        if tag.0 == TAG_ANTI_ENTROPY {
            self.start_session(ctx);
            return;
        }
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
