//! The Raft scheme's node ([`crate::replication::raft`]): a member that follows, stands for
//! election or leads; every member holds every key.
//!
//! A client may send to any member: a follower forwards the request to the leader it knows
//! (or answers `unavailable` while it knows none). The leader appends a write to its log and
//! answers once the entry is committed (stored on a majority, in its term) and applied; it
//! answers a read after confirming it still leads (read index: a heartbeat round acknowledged
//! by a majority) or within its lease. Entries travel by id into the run's [`LogArena`]; each
//! AppendEntries carries one. Every election, leadership and commit is reported to the run's
//! [`RaftMonitor`], which counts safety violations as they happen
//! (`raft.safety_violations`, which must stay 0).
//!
//! Durable across a crash: the term, the vote, the log and the applied state; replies that
//! depend on the term, vote or log wait `fsync` first. Volatile: the role, who leads, the
//! leader's bookkeeping and the requests it was serving (their clients time out).

use std::collections::{BTreeMap, VecDeque};

use rand::Rng;
use sim_core::{
    CompletedWork, CounterId, Ctx, HistogramId, Node, NodeId, SimDuration, SimTime, TimerId,
    TimerTag, Unit,
};

use super::{answer_ok, op_latency_histograms, ConsistencyMetrics};
use crate::msg::{Msg, RaftKind, RaftMsg, Request, Status};
use crate::replication::history::SharedHistory;
use crate::replication::quorum::Replica;
use crate::replication::raft::{Entry, LogArena, RaftMonitor, RaftReads, RaftSpec};
use crate::roles::server::{admit, reply};
use crate::workload::Op;

const TAG_ELECTION: u64 = 1;
const TAG_HEARTBEAT: u64 = 2;
/// A reply waiting for its fsync: `TAG_OUTBOX_BASE + its number`.
const TAG_OUTBOX_BASE: u64 = 1 << 62;
/// Bits of an arena id in an AppendEntries' `b` (the heartbeat round is above them).
const ID_BITS: u32 = 40;
const ID_MASK: u64 = (1 << ID_BITS) - 1;
const ROUND_MASK: u64 = (1 << 24) - 1;

/// A member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}

/// A read waiting at the leader.
#[derive(Clone, Debug)]
struct PendingRead {
    request: Request,
    arrived: SimTime,
    /// It may be answered once this index is applied...
    read_index: u64,
    /// ...and a heartbeat round numbered at least this was acknowledged by a majority.
    round: u64,
}

/// Metric ids.
#[derive(Clone, Copy, Debug)]
struct Metrics {
    latency: [HistogramId; 3],
    forwarded: CounterId,
    unavailable: CounterId,
    elections: CounterId,
    split_votes: CounterId,
    leaders: CounterId,
    election_time: HistogramId,
    safety: CounterId,
    replica_writes: CounterId,
    consistency: ConsistencyMetrics,
}

/// A Raft member.
#[derive(Debug)]
pub struct RaftNode {
    spec: RaftSpec,
    members: Vec<NodeId>,
    arena: LogArena,
    monitor: RaftMonitor,
    history: SharedHistory,
    // Durable.
    term: u64,
    voted_for: Option<NodeId>,
    /// (term, arena id) of each entry, index 1 first.
    log: Vec<(u64, u64)>,
    replica: Replica,
    applied: u64,
    // Volatile.
    role: Role,
    leader: Option<NodeId>,
    commit: u64,
    votes: Vec<NodeId>,
    election_timer: Option<TimerId>,
    heartbeat_timer: Option<TimerId>,
    heard_leader_at: Option<SimTime>,
    /// Leader: per member (in `members` order), the next index to send and the highest
    /// index known stored there, and the last heartbeat round it acknowledged.
    next: Vec<u64>,
    matched: Vec<u64>,
    acked_round: Vec<u64>,
    /// Leader: the first index of its term (its no-op).
    term_start: u64,
    /// Leader: the last heartbeat round started, and when each recent one started.
    round: u64,
    round_started: VecDeque<(u64, SimTime)>,
    lease_until: SimTime,
    pending_writes: BTreeMap<u64, (Request, SimTime)>,
    pending_reads: Vec<PendingRead>,
    /// Reused by [`majority_value`], so a reply allocates nothing.
    scratch: Vec<u64>,
    /// Replies waiting for their fsync, by number.
    outbox: BTreeMap<u64, (NodeId, Msg)>,
    next_out: u64,
    metrics: Option<Metrics>,
}

impl RaftNode {
    /// A member of `members` (the group, in id order) running `spec`, with the run's `arena`,
    /// `monitor` and `history`.
    pub fn new(
        spec: RaftSpec,
        members: Vec<NodeId>,
        arena: LogArena,
        monitor: RaftMonitor,
        history: SharedHistory,
    ) -> Self {
        let n = members.len();
        RaftNode {
            spec,
            members,
            arena,
            monitor,
            history,
            term: 0,
            voted_for: None,
            log: Vec::new(),
            replica: Replica::new(),
            applied: 0,
            role: Role::Follower,
            leader: None,
            commit: 0,
            votes: Vec::new(),
            election_timer: None,
            heartbeat_timer: None,
            heard_leader_at: None,
            next: vec![1; n],
            matched: vec![0; n],
            acked_round: vec![0; n],
            term_start: 0,
            round: 0,
            round_started: VecDeque::new(),
            lease_until: SimTime::ZERO,
            pending_writes: BTreeMap::new(),
            pending_reads: Vec::new(),
            scratch: Vec::with_capacity(n),
            outbox: BTreeMap::new(),
            next_out: 0,
            metrics: None,
        }
    }

    fn metrics(&self) -> Metrics {
        self.metrics.expect("registered on start")
    }

    fn majority(&self) -> usize {
        self.members.len() / 2 + 1
    }

    fn me(&self, ctx: &Ctx<'_, Msg>) -> usize {
        self.index_of(ctx.id())
    }

    fn index_of(&self, node: NodeId) -> usize {
        self.members
            .binary_search(&node)
            .expect("Raft messages come from members")
    }

    fn last_index(&self) -> u64 {
        self.log.len() as u64
    }

    fn last_term(&self) -> u64 {
        self.log.last().map_or(0, |(term, _)| *term)
    }

    /// Sends `msg` to `to` once the state it depends on is durable (after `fsync`).
    fn send_durable(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: RaftMsg) {
        if self.spec.fsync == SimDuration::ZERO {
            ctx.send(to, Msg::Raft(msg));
            return;
        }
        self.next_out += 1;
        self.outbox.insert(self.next_out, (to, Msg::Raft(msg)));
        ctx.set_timer(self.spec.fsync, TimerTag(TAG_OUTBOX_BASE + self.next_out));
    }

    fn reset_election_timer(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if let Some(timer) = self.election_timer.take() {
            ctx.cancel(timer);
        }
        let (lo, hi) = (
            self.spec.election_min.as_nanos(),
            self.spec.election_max.as_nanos(),
        );
        let after = if hi > lo {
            ctx.rng().random_range(lo..=hi)
        } else {
            lo
        };
        let timer = ctx.set_timer(SimDuration::from_nanos(after), TimerTag(TAG_ELECTION));
        self.election_timer = Some(timer);
    }

    /// A newer term was seen: follow, forgetting the vote and any leadership.
    fn step_down(&mut self, ctx: &mut Ctx<'_, Msg>, term: u64) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
        }
        let was_leader = self.role == Role::Leader;
        self.role = Role::Follower;
        self.leader = None;
        self.pending_writes.clear();
        self.pending_reads.clear();
        if was_leader {
            self.reset_election_timer(ctx);
        }
    }

    fn on_election_timeout(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.election_timer = None;
        if self.role == Role::Leader {
            return;
        }
        let metrics = self.metrics();
        if self.role == Role::Candidate {
            // The election this member stood in ended with no winner.
            ctx.count(metrics.split_votes, 1);
        }
        self.monitor.election_started(ctx.now());
        self.leader = None;
        if self.spec.pre_vote {
            self.role = Role::PreCandidate;
            self.votes = vec![ctx.id()];
            let ask = RaftMsg::new(
                RaftKind::PreVote,
                self.term + 1,
                self.last_index(),
                self.last_term(),
                0,
            );
            self.broadcast(ctx, ask);
            self.reset_election_timer(ctx);
            self.maybe_win(ctx);
        } else {
            self.start_election(ctx);
        }
    }

    fn broadcast(&mut self, ctx: &mut Ctx<'_, Msg>, msg: RaftMsg) {
        let me = ctx.id();
        for i in 0..self.members.len() {
            if self.members[i] != me {
                ctx.send(self.members[i], Msg::Raft(msg));
            }
        }
    }

    fn start_election(&mut self, ctx: &mut Ctx<'_, Msg>) {
        ctx.count(self.metrics().elections, 1);
        self.term += 1;
        self.voted_for = Some(ctx.id());
        self.role = Role::Candidate;
        self.votes = vec![ctx.id()];
        let ask = RaftMsg::new(
            RaftKind::Vote,
            self.term,
            self.last_index(),
            self.last_term(),
            0,
        );
        let me = ctx.id();
        for i in 0..self.members.len() {
            let to = self.members[i];
            if to != me {
                self.send_durable(ctx, to, ask);
            }
        }
        self.reset_election_timer(ctx);
        self.maybe_win(ctx);
    }

    /// A candidate (or pre-candidate) with a majority wins (or stands).
    fn maybe_win(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.votes.len() < self.majority() {
            return;
        }
        match self.role {
            Role::PreCandidate => self.start_election(ctx),
            Role::Candidate => self.become_leader(ctx),
            Role::Follower | Role::Leader => {}
        }
    }

    fn become_leader(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let metrics = self.metrics();
        self.role = Role::Leader;
        self.leader = Some(ctx.id());
        if let Some(timer) = self.election_timer.take() {
            ctx.cancel(timer);
        }
        ctx.count(metrics.leaders, 1);
        ctx.annotate("leader", Some(ctx.id()), format!("term {}", self.term));
        let (leaderless, safe) = self.monitor.elected(self.term, ctx.id(), ctx.now());
        if !safe {
            ctx.count(metrics.safety, 1);
        }
        if let Some(span) = leaderless {
            ctx.record(metrics.election_time, span.as_nanos());
        }
        let last = self.last_index();
        self.next.iter_mut().for_each(|n| *n = last + 1);
        self.matched.iter_mut().for_each(|m| *m = 0);
        self.acked_round.iter_mut().for_each(|r| *r = 0);
        self.round_started.clear();
        self.lease_until = SimTime::ZERO;
        // A no-op entry of the new term commits everything before it (Raft, 5.4.2; 8).
        self.term_start = self.append(ctx, None);
        self.heartbeat(ctx);
    }

    /// Appends an entry of the current term to the leader's log; returns its index.
    fn append(&mut self, ctx: &mut Ctx<'_, Msg>, write: Option<(u64, u64)>) -> u64 {
        let index = self.last_index() + 1;
        let entry = Entry {
            index,
            term: self.term,
            prev_term: self.last_term(),
            write,
        };
        let id = self.arena.push(entry);
        self.log.push((self.term, id));
        let me = self.me(ctx);
        self.matched[me] = index;
        self.next[me] = index + 1;
        // Followers that are caught up get it at once (pipelined).
        for i in 0..self.members.len() {
            if i != me && self.next[i] == index {
                self.send_append(ctx, i);
            }
        }
        self.advance_commit(ctx);
        index
    }

    /// Sends member `i` its next entry (or a heartbeat when it has them all).
    fn send_append(&mut self, ctx: &mut Ctx<'_, Msg>, i: usize) {
        let next = self.next[i];
        let prev = next - 1;
        let prev_id = if prev == 0 {
            0
        } else {
            self.log[(prev - 1) as usize].1
        };
        let entry_id = if next <= self.last_index() {
            self.next[i] += 1;
            self.log[(next - 1) as usize].1
        } else {
            0
        };
        let b = prev_id | ((self.round & ROUND_MASK) << ID_BITS);
        let msg = RaftMsg::new(RaftKind::Append, self.term, self.commit, b, entry_id);
        ctx.send(self.members[i], Msg::Raft(msg));
    }

    /// A heartbeat round: every follower gets its next entry or a heartbeat.
    fn heartbeat(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.start_round(ctx);
        if let Some(timer) = self.heartbeat_timer.take() {
            ctx.cancel(timer);
        }
        self.heartbeat_timer = Some(ctx.set_timer(self.spec.heartbeat, TimerTag(TAG_HEARTBEAT)));
    }

    /// The highest index stored on a majority, of this term, becomes committed.
    fn advance_commit(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let on_majority = majority_value(&self.matched, &mut self.scratch);
        if on_majority > self.commit && self.log[(on_majority - 1) as usize].0 == self.term {
            self.commit = on_majority;
            self.apply(ctx);
        }
    }

    /// Applies committed entries in order, answering the leader's writes and due reads.
    fn apply(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let metrics = self.metrics();
        while self.applied < self.commit {
            self.applied += 1;
            let id = self.log[(self.applied - 1) as usize].1;
            if !self.monitor.committed(self.applied, id) {
                ctx.count(metrics.safety, 1);
            }
            let entry = self.arena.get(id);
            if let Some((key, version)) = entry.write {
                self.replica.write(key, version);
                ctx.count(metrics.replica_writes, 1);
            }
            if let Some((request, arrived)) = self.pending_writes.remove(&self.applied) {
                let version = entry.write.map_or(0, |(_, v)| v);
                let (client, key) = (request.client, request.key.0);
                metrics
                    .consistency
                    .acknowledged(ctx, &self.history, client, key, version);
                self.answer(ctx, &request, arrived);
            }
        }
        self.serve_reads(ctx);
    }

    fn answer(&mut self, ctx: &mut Ctx<'_, Msg>, request: &Request, arrived: SimTime) {
        answer_ok(ctx, &self.metrics().latency, request, arrived);
    }

    /// The highest heartbeat round a majority acknowledged.
    fn confirmed_round(&mut self) -> u64 {
        majority_value(&self.acked_round, &mut self.scratch)
    }

    /// Rounds a majority acknowledged extend the lease and release reads.
    fn confirm_rounds(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let confirmed = self.confirmed_round();
        while let Some(&(round, started)) = self.round_started.front() {
            if round > confirmed {
                break;
            }
            self.lease_until = self
                .lease_until
                .max(started.saturating_add(self.spec.election_min));
            self.round_started.pop_front();
        }
        self.serve_reads(ctx);
    }

    fn serve_reads(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.pending_reads.is_empty() {
            return;
        }
        let confirmed = self.confirmed_round();
        let applied = self.applied;
        let (due, waiting): (Vec<PendingRead>, Vec<PendingRead>) = self
            .pending_reads
            .drain(..)
            .partition(|r| r.round <= confirmed && r.read_index <= applied);
        self.pending_reads = waiting;
        for read in due {
            self.read_now(ctx, &read.request, read.arrived);
        }
    }

    fn read_now(&mut self, ctx: &mut Ctx<'_, Msg>, request: &Request, arrived: SimTime) {
        let metrics = self.metrics();
        let version = self.replica.read(request.key.0);
        let (client, key) = (request.client, request.key.0);
        metrics
            .consistency
            .read(ctx, &self.history, client, key, request.sent_at, version);
        self.answer(ctx, request, arrived);
    }

    /// A client request reached this member.
    fn on_request(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) {
        if self.role != Role::Leader {
            match self.leader {
                Some(leader) if leader != ctx.id() => {
                    ctx.count(self.metrics().forwarded, 1);
                    ctx.send(leader, Msg::Request(request));
                }
                _ => {
                    ctx.count(self.metrics().unavailable, 1);
                    reply(ctx, &request, Status::Unavailable);
                }
            }
            return;
        }
        if let Some(request) = admit(ctx, request) {
            let now = ctx.now();
            self.serve(ctx, request, now);
        }
    }

    /// The leader takes a request whose service is done.
    fn serve(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request, arrived: SimTime) {
        if self.role != Role::Leader {
            // It lost the lead while the request was in service.
            self.on_request(ctx, request);
            return;
        }
        if request.op == Op::Read {
            let read_index = self.commit.max(self.term_start);
            if self.spec.reads == RaftReads::Lease
                && ctx.now() < self.lease_until
                && read_index <= self.applied
            {
                self.read_now(ctx, &request, arrived);
                return;
            }
            // Read index: a round started after the read arrived must be acknowledged.
            self.pending_reads.push(PendingRead {
                request,
                arrived,
                read_index,
                round: self.round + 1,
            });
            if self.pending_reads.len() == 1 {
                self.start_round(ctx);
            }
            return;
        }
        let called = request.sent_at.as_nanos();
        let version = self
            .history
            .start_write(request.client.0, request.key.0, called);
        let index = self.last_index() + 1;
        let key = request.key.0;
        self.pending_writes.insert(index, (request, arrived));
        let appended = self.append(ctx, Some((key, version)));
        debug_assert_eq!(appended, index);
    }

    /// A heartbeat round now (the periodic one, or an extra one for reads waiting on it).
    fn start_round(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.round += 1;
        let me = self.me(ctx);
        self.acked_round[me] = self.round;
        self.round_started.push_back((self.round, ctx.now()));
        if self.round_started.len() > 64 {
            self.round_started.pop_front();
        }
        for i in 0..self.members.len() {
            if i != me {
                self.send_append(ctx, i);
            }
        }
        self.confirm_rounds(ctx);
    }

    fn up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }

    fn on_raft(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: RaftMsg) {
        let term = msg.term();
        match msg.kind() {
            RaftKind::PreVote => {
                // Granted to a candidate at least as up to date, unless this member heard a
                // live leader within the minimum election timeout.
                let recent = self
                    .heard_leader_at
                    .is_some_and(|at| ctx.now().saturating_since(at) < self.spec.election_min);
                let granted = term > self.term && !recent && self.up_to_date(msg.a, msg.b);
                let answer = RaftMsg::new(RaftKind::PreVoteReply, term, u64::from(granted), 0, 0);
                ctx.send(from, Msg::Raft(answer));
                return;
            }
            RaftKind::PreVoteReply => {
                if self.role == Role::PreCandidate && term == self.term + 1 && msg.a == 1 {
                    if !self.votes.contains(&from) {
                        self.votes.push(from);
                    }
                    self.maybe_win(ctx);
                }
                return;
            }
            _ => {}
        }
        if term > self.term {
            self.step_down(ctx, term);
        }
        match msg.kind() {
            RaftKind::Vote => {
                let granted = term == self.term
                    && self.voted_for.is_none_or(|v| v == from)
                    && self.up_to_date(msg.a, msg.b);
                if granted {
                    self.voted_for = Some(from);
                    self.reset_election_timer(ctx);
                }
                let answer = RaftMsg::new(RaftKind::VoteReply, self.term, u64::from(granted), 0, 0);
                self.send_durable(ctx, from, answer);
            }
            RaftKind::VoteReply => {
                if self.role == Role::Candidate && term == self.term && msg.a == 1 {
                    if !self.votes.contains(&from) {
                        self.votes.push(from);
                    }
                    self.maybe_win(ctx);
                }
            }
            RaftKind::Append => self.on_append(ctx, from, msg),
            RaftKind::AppendReply => self.on_append_reply(ctx, from, msg),
            RaftKind::PreVote | RaftKind::PreVoteReply => {}
        }
    }

    fn on_append(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: RaftMsg) {
        let round = msg.b >> ID_BITS;
        if msg.term() < self.term {
            let answer = RaftMsg::new(
                RaftKind::AppendReply,
                self.term,
                self.last_index(),
                0,
                round,
            );
            ctx.send(from, Msg::Raft(answer));
            return;
        }
        if self.role != Role::Follower {
            self.step_down(ctx, msg.term());
        }
        self.leader = Some(from);
        self.heard_leader_at = Some(ctx.now());
        self.reset_election_timer(ctx);
        let prev_id = msg.b & ID_MASK;
        let (prev_index, prev_term) = if prev_id == 0 {
            (0, 0)
        } else {
            let prev = self.arena.get(prev_id);
            (prev.index, prev.term)
        };
        let matches = prev_index == 0
            || (prev_index <= self.last_index()
                && self.log[(prev_index - 1) as usize].0 == prev_term);
        if !matches {
            // Where the logs may agree: before the mismatch, or at this log's end.
            let hint = self.last_index().min(prev_index.saturating_sub(1));
            let answer = RaftMsg::new(RaftKind::AppendReply, self.term, hint, 0, round);
            ctx.send(from, Msg::Raft(answer));
            return;
        }
        let mut matched = prev_index;
        let mut wrote = false;
        if msg.c != 0 {
            let entry = self.arena.get(msg.c);
            let index = entry.index;
            if index <= self.last_index() {
                if self.log[(index - 1) as usize].0 != entry.term {
                    // A conflicting suffix (never committed) gives way to the leader's.
                    self.log.truncate((index - 1) as usize);
                    self.log.push((entry.term, msg.c));
                    wrote = true;
                }
            } else {
                self.log.push((entry.term, msg.c));
                wrote = true;
            }
            matched = index;
        }
        let commit = msg.a.min(matched);
        if commit > self.commit {
            self.commit = commit;
            self.apply(ctx);
        }
        let answer = RaftMsg::new(RaftKind::AppendReply, self.term, matched, 1, round);
        if wrote {
            self.send_durable(ctx, from, answer);
        } else {
            ctx.send(from, Msg::Raft(answer));
        }
    }

    fn on_append_reply(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: RaftMsg) {
        if self.role != Role::Leader || msg.term() != self.term {
            return;
        }
        let i = self.index_of(from);
        let round_echo = msg.c & ROUND_MASK;
        if msg.b == 1 {
            self.matched[i] = self.matched[i].max(msg.a);
            self.next[i] = self.next[i].max(msg.a + 1);
            // Rounds are 24 bits on the wire: the echo names the latest round with those bits.
            let round =
                self.round - ((self.round & ROUND_MASK).wrapping_sub(round_echo) & ROUND_MASK);
            self.acked_round[i] = self.acked_round[i].max(round);
            self.advance_commit(ctx);
            self.confirm_rounds(ctx);
            if self.next[i] <= self.last_index() {
                self.send_append(ctx, i);
            }
        } else {
            self.next[i] = (msg.a + 1).min(self.next[i]).max(1);
            self.send_append(ctx, i);
        }
    }
}

/// The largest value that a majority of `values` (one per member) reach: the majority-th
/// largest. `scratch` is working space.
fn majority_value(values: &[u64], scratch: &mut Vec<u64>) -> u64 {
    scratch.clear();
    scratch.extend_from_slice(values);
    let majority = values.len() / 2 + 1;
    *scratch
        .select_nth_unstable_by(majority - 1, |a, b| b.cmp(a))
        .1
}

impl Node for RaftNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.metrics.is_none() {
            self.metrics = Some(Metrics {
                latency: op_latency_histograms(ctx),
                forwarded: ctx.counter("store.forwarded"),
                unavailable: ctx.counter("store.unavailable.no_leader"),
                elections: ctx.counter("raft.elections"),
                split_votes: ctx.counter("raft.split_votes"),
                leaders: ctx.counter("raft.leaders_elected"),
                election_time: ctx.histogram_whole_run("raft.election_time", Unit::Nanoseconds),
                safety: ctx.counter("raft.safety_violations"),
                replica_writes: ctx.counter("store.replica.writes"),
                consistency: ConsistencyMetrics::register(ctx),
            });
        }
        self.reset_election_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(request) => self.on_request(ctx, request),
            Msg::Raft(m) => self.on_raft(ctx, from, m),
            Msg::Probe { seq } => ctx.send(from, Msg::ProbeAck { seq }),
            Msg::Response(_)
            | Msg::ProbeAck { .. }
            | Msg::Set { .. }
            | Msg::Invalidate { .. }
            | Msg::Replica(_)
            | Msg::Gossip(_)
            | Msg::Member(_)
            | Msg::Custom(_) => {}
        }
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Msg>, work: CompletedWork<Msg>) {
        if let Msg::Request(request) = work.item {
            self.serve(ctx, request, work.submitted_at);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        match tag.0 {
            TAG_ELECTION => self.on_election_timeout(ctx),
            TAG_HEARTBEAT => {
                self.heartbeat_timer = None;
                if self.role == Role::Leader {
                    self.heartbeat(ctx);
                }
            }
            other => {
                let Some(number) = other.checked_sub(TAG_OUTBOX_BASE) else {
                    return;
                };
                if let Some((to, msg)) = self.outbox.remove(&number) {
                    ctx.send(to, msg);
                }
            }
        }
    }

    fn on_crash(&mut self, ctx: &mut sim_core::CrashCtx<'_>) {
        if self.role == Role::Leader {
            self.monitor.leader_lost(ctx.now());
            ctx.annotate("leader", None, String::new());
        }
        // The term, vote, log and applied state are on disk; the rest goes.
        self.role = Role::Follower;
        self.leader = None;
        self.commit = self.applied;
        self.votes.clear();
        self.election_timer = None;
        self.heartbeat_timer = None;
        self.pending_writes.clear();
        self.pending_reads.clear();
        self.outbox.clear();
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.on_start(ctx);
    }
}
