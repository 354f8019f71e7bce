//! The `store` role: a replicated key-value store whose nodes are replicas, running the
//! replication scheme of [`crate::replication`] its group names.
//!
//! - `quorum` ([`quorum`]): each node is a replica of the keys its group's placement gives
//!   it; a client's read or write goes to the key's N replicas and completes after R or W
//!   replies, coordinated by the client itself (it hosts a [`QuorumFrontEnd`]) or by the
//!   replica the client sent the request to.
//! - `leader_follower` ([`leader_follower`]): every node holds every key; one leader takes the
//!   writes and ships them to the followers, and a follower is promoted when the leader goes
//!   silent.
//! - `raft` ([`raft`]): every node holds every key; a leader elected by majority commits
//!   writes on a majority and serves linearizable reads.
//!
//! Whoever answers a client, it reports each acknowledged write and completed read to the
//! run's [`SharedHistory`], outside the nodes, and records the judgement of each read as
//! metrics (`consistency.*`, through [`ConsistencyMetrics`]).
//!
//! A replica serves its work through the engine's service model when the group has one
//! (operation kinds: reads 0, writes and repairs 1), else at once. Its versions are durable
//! across a crash (they are on disk); operations in flight at a crashed node are not: its
//! clients time out.
//!
//! **Limitations:** chain replication is still to come; each scheme's module says what it
//! leaves out.

pub mod leader_follower;
pub mod quorum;
pub mod raft;

use sim_core::metrics::{Direction, MetricDecl, MetricTable};
use sim_core::{
    CounterId, Ctx, HistogramId, NodeId, OpKind as WorkKind, SimDuration, SimTime, Unit,
};

use crate::msg::{Msg, ReplicaKind};
use crate::replication::anti_entropy::MerkleBoard;
use crate::replication::history::SharedHistory;
use crate::replication::leader_follower::Directory;
use crate::replication::raft::{LogArena, RaftMonitor};
use crate::replication::ReplicationSpec;
use crate::workload::Op;

pub use leader_follower::LeaderFollowerNode;
pub use quorum::{Answered, QuorumFrontEnd, QuorumNode};
pub use raft::RaftNode;

/// What store nodes and coordinating clients record: consistency as clients saw it, the
/// coordinator's latency and failures, and the replicas' work.
pub const METRICS: MetricTable = MetricTable {
    recorded: &[
        MetricDecl::histogram(
            "store.op_latency.*",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::LowerIsWorse,
            "per operation (read, write, delete): a quorum operation's time from its coordinator sending it to the R-th or W-th reply; a leader-follower request's from reaching the node that answers it to the answer",
        ),
        MetricDecl::counter(
            "store.unavailable.*",
            Direction::HigherIsWorse,
            "quorum operations abandoned before reaching their quorum (the coordinator's timeout, or the client's with client-side coordination), per operation; `no_leader`: Raft requests answered `unavailable` by a member that knew no leader",
        ),
        MetricDecl::histogram(
            "store.unavailable_window.*",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::HigherIsWorse,
            "per key, how long reads (or writes) of it failed: from the call of the first operation that failed (missed its quorum; leader_follower and raft: timed out or answered unavailable, at the clients) to the call of the next that succeeded (windows still open at the end are not counted)",
        ),
        MetricDecl::counter(
            "store.read_repairs",
            Direction::Neutral,
            "stale replicas a read's coordinator sent the newer version it returned (read repair)",
        ),
        MetricDecl::counter(
            "store.hinted_writes",
            Direction::Neutral,
            "sloppy quorum: writes a fallback accepted for a key it is not a home replica of (each keeps a hint)",
        ),
        MetricDecl::counter(
            "store.handoffs",
            Direction::Neutral,
            "sloppy quorum: hints settled, a home replica having acked the hinted version (hinted handoff)",
        ),
        MetricDecl::counter(
            "store.hints_dropped",
            Direction::HigherIsWorse,
            "sloppy quorum: hints a fallback could not keep (it already held 2^20)",
        ),
        MetricDecl::counter(
            "store.anti_entropy.sessions",
            Direction::Neutral,
            "anti-entropy sessions completed (a replica compared its Merkle tree with a peer's and exchanged the differing ranges)",
        ),
        MetricDecl::counter(
            "store.anti_entropy.repaired",
            Direction::Neutral,
            "keys anti-entropy brought up to date, on either side of a session",
        ),
        MetricDecl::histogram(
            "store.anti_entropy.differing_ranges",
            Unit::Count,
            Direction::Neutral,
            Direction::Neutral,
            "per anti-entropy session, the Merkle tree's ranges that differed (what the comparison costs: two hashes per differing node per level)",
        ),
        MetricDecl::counter(
            "store.replica.reads",
            Direction::Neutral,
            "reads served by replicas",
        ),
        MetricDecl::counter(
            "store.replica.writes",
            Direction::Neutral,
            "writes and repairs applied by replicas",
        ),
        MetricDecl::counter(
            "store.forwarded",
            Direction::Neutral,
            "requests a follower forwarded to the leader it knew (leader-follower)",
        ),
        MetricDecl::counter(
            "store.failovers",
            Direction::HigherIsWorse,
            "promotions of a follower after the leader went silent (leader-follower)",
        ),
        MetricDecl::histogram(
            "store.failover.silence",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::Neutral,
            "per failover, how long the promoting follower had heard nothing from the old leader (detection time, leader-follower)",
        ),
        MetricDecl::counter(
            "raft.elections",
            Direction::Neutral,
            "elections a Raft member stood in (its election timeout fired)",
        ),
        MetricDecl::counter(
            "raft.split_votes",
            Direction::HigherIsWorse,
            "Raft elections that ended with no winner (the candidate's timeout fired again)",
        ),
        MetricDecl::counter(
            "raft.leaders_elected",
            Direction::Neutral,
            "Raft members that won an election",
        ),
        MetricDecl::histogram(
            "raft.election_time",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::Neutral,
            "per Raft election won, how long the group was without a leader: from the leader's crash (or the first election timeout) to the new leader",
        ),
        MetricDecl::counter(
            "raft.safety_violations",
            Direction::HigherIsWorse,
            "Raft safety broken: a second leader in one term, or two members committing different entries at one index (must be 0)",
        ),
        MetricDecl::counter(
            "consistency.lost_writes",
            Direction::HigherIsWorse,
            "acknowledged writes a failover lost: newer than what the promoted replica held",
        ),
        MetricDecl::counter(
            "consistency.reads",
            Direction::Neutral,
            "completed reads judged against the history of acknowledged writes",
        ),
        MetricDecl::counter(
            "consistency.writes",
            Direction::Neutral,
            "acknowledged writes",
        ),
        MetricDecl::counter(
            "consistency.stale_reads",
            Direction::HigherIsWorse,
            "reads that returned an older version than the newest acknowledged when they were issued",
        ),
        MetricDecl::counter(
            "consistency.read_your_writes_violations",
            Direction::HigherIsWorse,
            "reads older than the reader's own acknowledged write of the key",
        ),
        MetricDecl::counter(
            "consistency.monotonic_read_violations",
            Direction::HigherIsWorse,
            "reads older than the same client's previous read of the key",
        ),
        MetricDecl::histogram(
            "consistency.k_staleness",
            Unit::Count,
            Direction::HigherIsWorse,
            Direction::Neutral,
            "per read, how many acknowledged versions newer than the one it returned existed when it was issued (k-staleness; 0 for a consistent read)",
        ),
        MetricDecl::histogram(
            "consistency.read_age.consistent",
            Unit::Nanoseconds,
            Direction::Neutral,
            Direction::Neutral,
            "for each consistent read of a written key, how long after the newest acknowledged write it was issued",
        ),
        MetricDecl::histogram(
            "consistency.read_age",
            Unit::Nanoseconds,
            Direction::Neutral,
            Direction::Neutral,
            "for each read of a written key, how long after the newest acknowledged write it was issued",
        ),
    ],
    derived: &[sim_core::metrics::DerivedMetric {
        name: "consistency.stale_read_ratio",
        formula: sim_core::metrics::Formula::Ratio {
            numerator: &["consistency.stale_reads"],
            denominator: &["consistency.reads"],
        },
        unit: Unit::Ratio,
        direction: Direction::HigherIsWorse,
        description: "consistency.stale_reads / consistency.reads",
    }],
    curves: &[sim_core::metrics::MetricCurve {
        name: "consistency.t_visibility",
        numerator: "consistency.read_age.consistent",
        denominator: "consistency.read_age",
        description: "t-visibility: the probability that a read issued t after a write's acknowledgement returns it (or newer), by t",
    }],
};

/// A store group's configuration, shared by its nodes.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// The scheme and its parameters.
    pub replication: ReplicationSpec,
    /// A replica coordinating an operation answers its client `unavailable` after this long
    /// without a quorum. `None`: it waits (the client's own timeout ends the request).
    pub op_timeout: Option<SimDuration>,
}

/// What one run of a store group shares besides the run's history: its scheme, its
/// members, and the scheme's shared state. Built afresh for every run.
#[derive(Clone, Debug)]
pub struct StoreRun {
    /// The scheme.
    pub replication: ReplicationSpec,
    /// The group's nodes, in id order.
    pub members: Vec<NodeId>,
    /// Leader-follower: who leads, and how far each member applied.
    pub directory: Option<Directory>,
    /// Raft: the log entries, and the safety monitor.
    pub raft: Option<(LogArena, RaftMonitor)>,
    /// Quorum with anti-entropy: the board its Merkle trees travel through.
    pub merkle: Option<MerkleBoard>,
}

impl StoreRun {
    /// A fresh run of a group of `members` (its nodes, in id order) replicating by `spec`.
    pub fn new(replication: ReplicationSpec, members: Vec<NodeId>) -> Self {
        let directory = matches!(replication, ReplicationSpec::LeaderFollower(_))
            .then(|| Directory::new(members.clone()));
        let raft = matches!(replication, ReplicationSpec::Raft(_))
            .then(|| (LogArena::new(), RaftMonitor::new()));
        let merkle = matches!(replication, ReplicationSpec::Quorum(q) if q.anti_entropy.is_some())
            .then(MerkleBoard::new);
        StoreRun {
            replication,
            members,
            directory,
            raft,
            merkle,
        }
    }
}

/// The `store.unavailable_window.read` and `.write` histograms, in that order.
pub(crate) fn unavailable_window_histograms(ctx: &mut Ctx<'_, Msg>) -> [HistogramId; 2] {
    ["read", "write"].map(|op| {
        let name = format!("store.unavailable_window.{op}");
        ctx.histogram_whole_run(&name, Unit::Nanoseconds)
    })
}

/// The operations in the order of the per-operation metric arrays.
pub(crate) const OPS: [Op; 3] = [Op::Read, Op::Write, Op::Delete];

/// `op`'s index in [`OPS`].
pub(crate) fn op_index(op: Op) -> usize {
    match op {
        Op::Read => 0,
        Op::Write => 1,
        Op::Delete => 2,
    }
}

/// The `store.op_latency.<op>` histograms, in [`OPS`] order.
pub(crate) fn op_latency_histograms(ctx: &mut Ctx<'_, Msg>) -> [HistogramId; 3] {
    OPS.map(|op| {
        ctx.histogram(
            &format!("store.op_latency.{}", op.name()),
            Unit::Nanoseconds,
        )
    })
}

/// Answers `request` (which reached this node at `arrived`) `ok`, recording its latency.
pub(crate) fn answer_ok(
    ctx: &mut Ctx<'_, Msg>,
    latency: &[HistogramId; 3],
    request: &crate::msg::Request,
    arrived: SimTime,
) {
    let waited = ctx.now().saturating_since(arrived).as_nanos();
    ctx.record(latency[op_index(request.op)], waited);
    crate::roles::server::reply(ctx, request, crate::msg::Status::Ok);
}

/// The service-model operation kind of a replica message.
pub(crate) fn work_kind(kind: ReplicaKind) -> WorkKind {
    match kind {
        ReplicaKind::Read | ReplicaKind::ReadReply => WorkKind(0),
        ReplicaKind::Write
        | ReplicaKind::WriteAck
        | ReplicaKind::Repair
        | ReplicaKind::Heartbeat
        | ReplicaKind::AntiEntropyTree
        | ReplicaKind::AntiEntropyDiff => WorkKind(1),
    }
}

/// The `consistency.*` metric ids every node that answers clients records into.
#[derive(Clone, Copy, Debug)]
pub struct ConsistencyMetrics {
    reads: CounterId,
    writes: CounterId,
    stale: CounterId,
    ryw: CounterId,
    monotonic: CounterId,
    lost: CounterId,
    k_staleness: HistogramId,
    age: HistogramId,
    age_consistent: HistogramId,
}

impl ConsistencyMetrics {
    /// Registers them.
    pub fn register(ctx: &mut Ctx<'_, Msg>) -> Self {
        ConsistencyMetrics {
            reads: ctx.counter("consistency.reads"),
            writes: ctx.counter("consistency.writes"),
            stale: ctx.counter("consistency.stale_reads"),
            ryw: ctx.counter("consistency.read_your_writes_violations"),
            monotonic: ctx.counter("consistency.monotonic_read_violations"),
            lost: ctx.counter("consistency.lost_writes"),
            k_staleness: ctx.histogram_whole_run("consistency.k_staleness", Unit::Count),
            age: ctx.histogram_whole_run("consistency.read_age", Unit::Nanoseconds),
            age_consistent: ctx
                .histogram_whole_run("consistency.read_age.consistent", Unit::Nanoseconds),
        }
    }

    /// `client`'s write of `version` to `key` was acknowledged now: to the history, and
    /// counted.
    pub fn acknowledged(
        &self,
        ctx: &mut Ctx<'_, Msg>,
        history: &SharedHistory,
        client: NodeId,
        key: u64,
        version: u64,
    ) {
        if history.acknowledge(client.0, key, version, ctx.now().as_nanos()) {
            ctx.count(self.writes, 1);
        }
    }

    /// `n` acknowledged writes lost by a failover.
    pub fn lost(&self, ctx: &mut Ctx<'_, Msg>, n: u64) {
        ctx.count(self.lost, n);
    }

    /// `client`'s read of `key`, called at `called`, answered now with `version`: judged by
    /// the history, and its verdict recorded.
    pub fn read(
        &self,
        ctx: &mut Ctx<'_, Msg>,
        history: &SharedHistory,
        client: NodeId,
        key: u64,
        called: SimTime,
        version: u64,
    ) {
        let answered = ctx.now().as_nanos();
        let Some(verdict) = history.read(client.0, key, called.as_nanos(), answered, version)
        else {
            return;
        };
        ctx.count(self.reads, 1);
        if !verdict.consistent {
            ctx.count(self.stale, 1);
        }
        if verdict.read_your_writes_violated {
            ctx.count(self.ryw, 1);
        }
        if verdict.monotonic_violated {
            ctx.count(self.monotonic, 1);
        }
        ctx.record(self.k_staleness, verdict.behind as u64);
        if let Some(age) = verdict.age_ns {
            ctx.record(self.age, age);
            if verdict.consistent {
                ctx.record(self.age_consistent, age);
            }
        }
    }
}

/// One node of a store group, running its group's scheme.
#[derive(Debug)]
pub enum StoreNode {
    /// A quorum replica (and coordinator, with replica-side coordination).
    Quorum(QuorumNode),
    /// A leader-follower member.
    LeaderFollower(LeaderFollowerNode),
    /// A Raft member (boxed: it is the largest by far).
    Raft(Box<RaftNode>),
}

impl StoreNode {
    /// A node of a store group with `config`, in the run `run` describes: `placement` is the
    /// run's placement of the group (quorum), `history` the run's consistency log.
    pub fn new(
        config: std::sync::Arc<StoreConfig>,
        run: &StoreRun,
        placement: Option<crate::placement::SharedPlacement>,
        history: crate::replication::history::SharedHistory,
    ) -> Self {
        match &config.replication {
            ReplicationSpec::Quorum(spec) => StoreNode::Quorum(QuorumNode::new(
                *spec,
                config.op_timeout,
                placement.expect("a quorum store has a placement"),
                history,
                run.merkle.clone(),
            )),
            ReplicationSpec::LeaderFollower(spec) => {
                StoreNode::LeaderFollower(LeaderFollowerNode::new(
                    spec.clone(),
                    run.members.clone(),
                    run.directory
                        .clone()
                        .expect("a leader-follower run has a directory"),
                    history,
                ))
            }
            ReplicationSpec::Raft(spec) => {
                let (arena, monitor) = run.raft.clone().expect("a Raft run has its arena");
                StoreNode::Raft(Box::new(RaftNode::new(
                    *spec,
                    run.members.clone(),
                    arena,
                    monitor,
                    history,
                )))
            }
        }
    }
}

impl sim_core::Node for StoreNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        match self {
            StoreNode::Quorum(n) => n.on_start(ctx),
            StoreNode::LeaderFollower(n) => n.on_start(ctx),
            StoreNode::Raft(n) => n.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match self {
            StoreNode::Quorum(n) => n.on_message(ctx, from, msg),
            StoreNode::LeaderFollower(n) => n.on_message(ctx, from, msg),
            StoreNode::Raft(n) => n.on_message(ctx, from, msg),
        }
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Msg>, work: sim_core::CompletedWork<Msg>) {
        match self {
            StoreNode::Quorum(n) => n.on_work_done(ctx, work),
            StoreNode::LeaderFollower(n) => n.on_work_done(ctx, work),
            StoreNode::Raft(n) => n.on_work_done(ctx, work),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: sim_core::TimerTag) {
        match self {
            StoreNode::Quorum(n) => n.on_timer(ctx, tag),
            StoreNode::LeaderFollower(n) => n.on_timer(ctx, tag),
            StoreNode::Raft(n) => n.on_timer(ctx, tag),
        }
    }

    fn on_crash(&mut self, ctx: &mut sim_core::CrashCtx<'_>) {
        match self {
            StoreNode::Quorum(n) => n.on_crash(ctx),
            StoreNode::LeaderFollower(n) => n.on_crash(ctx),
            StoreNode::Raft(n) => n.on_crash(ctx),
        }
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Msg>) {
        match self {
            StoreNode::Quorum(n) => n.on_restart(ctx),
            StoreNode::LeaderFollower(n) => n.on_restart(ctx),
            StoreNode::Raft(n) => n.on_restart(ctx),
        }
    }
}
