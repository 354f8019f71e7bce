//! The leader-follower scheme's node ([`crate::replication::leader_follower`]): every member
//! holds every key; the leader applies each write, ships it to the followers, and answers
//! the client when the mode's acks are in; followers apply what they are shipped.
//!
//! Clients may send to any member. A follower forwards a write (and, with `reads =
//! "leader"`, a read) to the leader it knows, which answers the client directly; a request
//! forwarded to a dead leader is lost and the client times out. Every member ticks once per
//! heartbeat interval: the leader sends heartbeats, a follower checks for them and for a new
//! term in the run's [`Directory`]; a follower that has heard nothing for the failover
//! timeout asks the directory to fail over, which promotes one member per term. The promoted
//! member counts the acknowledged writes it never received as lost
//! (`consistency.lost_writes`): from then on its data is the store's.

use std::collections::BTreeMap;

use sim_core::rng::SimRng;
use sim_core::{
    Admission, CompletedWork, CounterId, Ctx, HistogramId, Node, NodeId, SimTime, TimerTag, Unit,
};

use super::{answer_ok, op_latency_histograms, work_kind, ConsistencyMetrics};
use crate::msg::{Msg, ReplicaKind, ReplicaMsg, Request};
use crate::replication::history::SharedHistory;
use crate::replication::leader_follower::{Directory, LeaderFollowerSpec, Reads, Shipping};
use crate::replication::quorum::Replica;
use crate::roles::server::admit;
use crate::workload::{KeyId, Op};

/// The periodic tick: heartbeats from the leader, checks by the followers.
const TAG_TICK: u64 = 1;
/// An async write's shipping is due: `TAG_SHIP_BASE + log position`.
const TAG_SHIP_BASE: u64 = 1 << 62;

/// A write the leader applied, waiting for its followers' acks.
#[derive(Clone, Debug)]
struct PendingWrite {
    request: Request,
    arrived: SimTime,
    /// Acks still needed.
    needed: usize,
    /// Followers that acked (a duplicated ack counts once).
    acked: Vec<NodeId>,
}

/// Metric ids.
#[derive(Clone, Copy, Debug)]
struct Metrics {
    latency: [HistogramId; 3],
    forwarded: CounterId,
    failovers: CounterId,
    silence: HistogramId,
    replica_reads: CounterId,
    replica_writes: CounterId,
    consistency: ConsistencyMetrics,
}

/// A member of a leader-follower store.
#[derive(Debug)]
pub struct LeaderFollowerNode {
    spec: LeaderFollowerSpec,
    directory: Directory,
    /// The group, in id order.
    members: Vec<NodeId>,
    history: SharedHistory,
    replica: Replica,
    /// Who this member believes leads, in which term.
    leader: NodeId,
    term: u64,
    /// Acting as the leader of `term`.
    leading: bool,
    /// The last term this member led (a failover is counted only on a new term).
    led_term: u64,
    /// When this member last heard from its leader (or started following it).
    heard: SimTime,
    /// Leader: writes waiting for acks, by log position.
    pending: BTreeMap<u64, PendingWrite>,
    /// Leader, async with a lag: writes waiting to be shipped, by log position.
    unshipped: BTreeMap<u64, ReplicaMsg>,
    /// Async with a lag that varies: the stream its draws come from (its own, so the lag
    /// shifts no other draw of the node).
    lag_rng: Option<SimRng>,
    /// When the last write taken ships: the next one ships no earlier.
    ship_after: SimTime,
    metrics: Option<Metrics>,
}

impl LeaderFollowerNode {
    /// A member of `spec`'s store of `members` (the group, in id order), with the run's
    /// `directory` and `history`.
    pub fn new(
        spec: LeaderFollowerSpec,
        members: Vec<NodeId>,
        directory: Directory,
        history: SharedHistory,
    ) -> Self {
        let (leader, term) = directory.leader();
        LeaderFollowerNode {
            spec,
            directory,
            members,
            history,
            replica: Replica::new(),
            leader,
            term,
            leading: false,
            led_term: 0,
            heard: SimTime::ZERO,
            pending: BTreeMap::new(),
            unshipped: BTreeMap::new(),
            lag_rng: None,
            ship_after: SimTime::ZERO,
            metrics: None,
        }
    }

    fn metrics(&self) -> Metrics {
        self.metrics.expect("registered on start")
    }

    /// Sends `msg` to every member but this one.
    fn to_followers(&self, ctx: &mut Ctx<'_, Msg>, msg: ReplicaMsg) {
        let me = ctx.id();
        for follower in self.members.iter().filter(|m| **m != me) {
            ctx.send(*follower, Msg::Replica(msg));
        }
    }

    /// Takes the lead of the directory's current term; after a failover, counts it and the
    /// acknowledged writes this member never received.
    fn become_leader(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let (_, term) = self.directory.leader();
        self.leading = true;
        self.leader = ctx.id();
        self.term = term;
        if term > 1 && term != self.led_term {
            let metrics = self.metrics();
            ctx.count(metrics.failovers, 1);
            let silence = ctx.now().saturating_since(self.heard).as_nanos();
            ctx.record(metrics.silence, silence);
            let replica = &self.replica;
            let lost = self
                .history
                .lock()
                .lose_unreplicated(|key| replica.read(key));
            metrics.consistency.lost(ctx, lost);
        }
        self.led_term = term;
        self.heard = ctx.now();
        ctx.annotate("leader", Some(ctx.id()), format!("term {term}"));
    }

    /// Follows `leader` in `term` from now.
    fn follow(&mut self, now: SimTime, leader: NodeId, term: u64) {
        self.leading = false;
        self.leader = leader;
        self.term = term;
        self.heard = now;
        self.pending.clear();
        self.unshipped.clear();
    }

    /// A leader that the directory no longer names (a manual failover promoted another
    /// member) steps down at once: it is fenced, so it acknowledges and ships nothing more;
    /// the writes it had not shipped are dropped. Returns whether it still leads.
    fn still_leads(&mut self, ctx: &mut Ctx<'_, Msg>) -> bool {
        if !self.leading {
            return false;
        }
        let (leader, term) = self.directory.leader();
        if leader != ctx.id() {
            ctx.annotate("leader", None, String::new());
            self.follow(ctx.now(), leader, term);
        }
        self.leading
    }

    /// Adopts a newer term from the directory, if there is one.
    fn sync_with_directory(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let (leader, term) = self.directory.leader();
        if leader == ctx.id() && (!self.leading || term != self.term) {
            self.become_leader(ctx);
        } else if term > self.term || (leader != ctx.id() && self.leading) {
            self.follow(ctx.now(), leader, term);
        }
    }

    fn on_tick(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.sync_with_directory(ctx);
        let me = ctx.id();
        if self.leading {
            let beat = ReplicaMsg::new(ReplicaKind::Heartbeat, 0, me, KeyId(0), self.term, 0);
            self.to_followers(ctx, beat);
        } else if let Some(timeout) = self.spec.failover_timeout {
            if ctx.now().saturating_since(self.heard) >= timeout {
                match self.directory.fail_over(me, self.term, self.spec.promote) {
                    Some(promotion) if promotion.leader == me => self.become_leader(ctx),
                    // Counted by the member promoted, when it takes the lead.
                    Some(promotion) => self.follow(ctx.now(), promotion.leader, promotion.term),
                    None => self.sync_with_directory(ctx),
                }
            }
        }
        ctx.set_timer(self.spec.heartbeat, TimerTag(TAG_TICK));
    }

    /// A client request reached this member: serve it here, or forward it to the leader.
    fn on_request(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) {
        let serves = self.leading || (request.op == Op::Read && self.spec.reads == Reads::Any);
        if !serves {
            ctx.count(self.metrics().forwarded, 1);
            ctx.send(self.leader, Msg::Request(request));
            return;
        }
        if let Some(request) = admit(ctx, request) {
            let now = ctx.now();
            self.serve(ctx, request, now);
        }
    }

    /// A request's service is done (it arrived at `arrived`).
    fn serve(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request, arrived: SimTime) {
        let leader_only = request.op != Op::Read || self.spec.reads == Reads::Leader;
        if leader_only && !self.still_leads(ctx) {
            // It lost the lead (before or while the request was in service): the new leader
            // takes it.
            ctx.count(self.metrics().forwarded, 1);
            ctx.send(self.leader, Msg::Request(request));
            return;
        }
        if request.op == Op::Read {
            let metrics = self.metrics();
            ctx.count(metrics.replica_reads, 1);
            let version = self.replica.read(request.key.0);
            let (client, key) = (request.client, request.key.0);
            metrics
                .consistency
                .read(ctx, &self.history, client, key, request.sent_at, version);
            self.answer(ctx, &request, arrived);
            return;
        }
        let me = ctx.id();
        let position = self.directory.next_position();
        let called = request.sent_at.as_nanos();
        let version = self
            .history
            .start_write(request.client.0, request.key.0, called);
        self.replica.write(request.key.0, version);
        ctx.count(self.metrics().replica_writes, 1);
        self.directory.applied(me, position);
        let needed = match self.spec.shipping {
            Shipping::Sync => self.members.len() - 1,
            Shipping::SemiSync(k) => k,
            Shipping::Async(_) => 0,
        };
        let ship = ReplicaMsg::new(
            ReplicaKind::Write,
            position,
            me,
            request.key,
            version,
            request.value_bytes,
        );
        match &self.spec.shipping {
            Shipping::Async(lag) if !lag.is_zero() => {
                let rng = self.lag_rng.as_mut().expect("drawn from since the start");
                let now = ctx.now();
                let at = (now + lag.delay.sample_duration(rng)).max(self.ship_after);
                self.ship_after = at;
                self.unshipped.insert(position, ship);
                ctx.set_timer(at.saturating_since(now), TimerTag(TAG_SHIP_BASE + position));
            }
            _ => self.to_followers(ctx, ship),
        }
        if needed == 0 {
            self.acknowledge(ctx, &request, version, arrived);
        } else {
            self.pending.insert(
                position,
                PendingWrite {
                    request,
                    arrived,
                    needed,
                    acked: Vec::new(),
                },
            );
        }
    }

    /// The write of `request` (`version`) is acknowledged: to the history and the client.
    fn acknowledge(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        request: &Request,
        version: u64,
        arrived: SimTime,
    ) {
        self.metrics().consistency.acknowledged(
            ctx,
            &self.history,
            request.client,
            request.key.0,
            version,
        );
        self.answer(ctx, request, arrived);
    }

    fn answer(&mut self, ctx: &mut Ctx<'_, Msg>, request: &Request, arrived: SimTime) {
        answer_ok(ctx, &self.metrics().latency, request, arrived);
    }

    /// A follower's part: apply a shipped write and ack it.
    fn apply(&mut self, ctx: &mut Ctx<'_, Msg>, msg: ReplicaMsg) {
        ctx.count(self.metrics().replica_writes, 1);
        self.replica.write(msg.key.0, msg.version);
        self.directory.applied(ctx.id(), msg.op());
        ctx.send(
            msg.coordinator,
            Msg::Replica(msg.reply(ReplicaKind::WriteAck, msg.version)),
        );
    }

    fn on_ack(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: ReplicaMsg) {
        let Some(pending) = self.pending.get_mut(&msg.op()) else {
            return;
        };
        if pending.acked.contains(&from) {
            return;
        }
        pending.acked.push(from);
        pending.needed -= 1;
        if pending.needed == 0 {
            let pending = self.pending.remove(&msg.op()).expect("just found");
            self.acknowledge(ctx, &pending.request, msg.version, pending.arrived);
        }
    }

    fn on_heartbeat(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, term: u64) {
        if term < self.term {
            return;
        }
        if self.leading && from != ctx.id() {
            // A leader of a newer term exists: step down.
            self.follow(ctx.now(), from, term);
            return;
        }
        self.leader = from;
        self.term = term;
        self.heard = ctx.now();
    }
}

impl Node for LeaderFollowerNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.metrics.is_none() {
            self.metrics = Some(Metrics {
                latency: op_latency_histograms(ctx),
                forwarded: ctx.counter("store.forwarded"),
                failovers: ctx.counter("store.failovers"),
                silence: ctx.histogram_whole_run("store.failover.silence", Unit::Nanoseconds),
                replica_reads: ctx.counter("store.replica.reads"),
                replica_writes: ctx.counter("store.replica.writes"),
                consistency: ConsistencyMetrics::register(ctx),
            });
        }
        if self.lag_rng.is_none() {
            self.lag_rng = Some(ctx.model_rng(0));
        }
        self.heard = ctx.now();
        let (leader, term) = self.directory.leader();
        if leader == ctx.id() {
            self.become_leader(ctx);
        } else {
            self.follow(ctx.now(), leader, term);
        }
        ctx.set_timer(self.spec.heartbeat, TimerTag(TAG_TICK));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(request) => self.on_request(ctx, request),
            Msg::Replica(m) => match m.kind() {
                ReplicaKind::Heartbeat => self.on_heartbeat(ctx, from, m.version),
                ReplicaKind::WriteAck => self.on_ack(ctx, from, m),
                ReplicaKind::Write => {
                    // Queued or in service: applied when done. A full queue refuses it, and
                    // the leader gets no ack from this follower.
                    let work = ctx.submit_work(work_kind(m.kind()), Msg::Replica(m));
                    if let Admission::NoService(Msg::Replica(m)) = work {
                        self.apply(ctx, m);
                    }
                }
                ReplicaKind::Read
                | ReplicaKind::ReadReply
                | ReplicaKind::Repair
                | ReplicaKind::AntiEntropyTree
                | ReplicaKind::AntiEntropyDiff => {}
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
        match work.item {
            Msg::Request(request) => self.serve(ctx, request, work.submitted_at),
            Msg::Replica(m) => self.apply(ctx, m),
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        if tag.0 == TAG_TICK {
            self.on_tick(ctx);
        } else if let Some(position) = tag.0.checked_sub(TAG_SHIP_BASE) {
            if !self.still_leads(ctx) {
                return;
            }
            if let Some(ship) = self.unshipped.remove(&position) {
                self.to_followers(ctx, ship);
            }
        }
    }

    fn on_crash(&mut self, ctx: &mut sim_core::CrashCtx<'_>) {
        if self.leading {
            ctx.annotate("leader", None, String::new());
        }
        // The data is durable; writes waiting for acks or for shipping die with the process
        // (their clients time out; shipped-never writes are lost if a follower takes over).
        self.leading = false;
        self.pending.clear();
        self.unshipped.clear();
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.on_start(ctx);
    }
}
