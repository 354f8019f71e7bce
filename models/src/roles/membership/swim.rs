//! A SWIM member (Das, Gupta, Motivala, DSN 2002), with memberlist's and Lifeguard's
//! refinements as options (see [`crate::gossip::membership`]).
//!
//! Each protocol period the member resolves its last probe (no ack from the target, direct
//! or relayed: the target is suspected, or with suspicion off declared dead), picks the next
//! target (round-robin over a keyed permutation of the group, fresh each cycle, or a uniform
//! draw), and pings it; with no ack after `ack_timeout` it sends ping-req to `k` members it
//! holds alive. Every message piggybacks the member's queued updates; an update that changes
//! the receiver's view is queued there in turn (infection style). A member that hears it is
//! suspected or dead raises its incarnation and spreads that it is alive.
//!
//! **Suspicion timers** run at the members whose own probes failed (SWIM §4.2's suspecting
//! member); members that only heard of a suspicion wait for the confirm. memberlist starts a
//! timer at every member that hears one, which costs a timer per member per suspect (a
//! partition of a 100k group would hold billions); the outcome differs only when every
//! first-hand suspecter crashes before its timer fires.
//!
//! **Service:** with a `service` model, a member answers and relays probes once a worker has
//! handled them, so a `slow` fault (or a queue) makes its answers late.
//!
//! **Push-pull:** every `push_pull` a member exchanges its whole view with one member
//! (memberlist's anti-entropy), so members that missed an update while down or cut off catch
//! up; the receiver merges both views when the request arrives.
//!
//! **Crashes:** the incarnation is durable; the probe in progress, the suspicion timers, the
//! piggyback queue and the health multiplier are volatile. The view survives the crash; a
//! restarted member announces itself alive at a higher incarnation, which resurrects it in
//! the views that hold it dead, and exchanges views with one member at once (a join).

use std::collections::VecDeque;
use std::sync::Arc;

use rand::Rng;
use sim_core::{
    Admission, CompletedWork, CrashCtx, Ctx, Node, NodeId, OpKind, SimDuration, TimerTag,
};

use super::{first_offset, until_next, Conclusions, MembershipConfig};
use crate::gossip::membership::detection::{MembershipRun, SharedMembership};
use crate::gossip::membership::{
    compare_incarnation, retransmit_limit, Piggyback, ProbeOrder, Status, SwimSpec, Update,
};
use crate::gossip::permute;
use crate::msg::{MemberKind, MemberMsg, Msg};

/// Timer tag of the protocol period.
const TAG_PERIOD: u64 = 0;
/// Timer tag of the direct ping's ack timeout: `TAG_ACK + (probe seq << 8)`.
const TAG_ACK: u64 = 1;
/// Timer tag of the earliest suspicion deadline.
const TAG_SUSPICION: u64 = 2;
/// Timer tag of the next push-pull.
const TAG_PUSH_PULL: u64 = 3;

/// The service model's operation kind a probe's answer is handled as (its `time`).
const PROBE_WORK: OpKind = OpKind(0);

/// Periods a leaving member goes on running the protocol, so its departure spreads.
const LEAVE_PERIODS: u32 = 5;

/// Draws a random search (ping-req helpers, a reconnection target) makes at most, so a group
/// that is mostly dead to a member costs it a bounded amount per period.
const DRAWS_MAX: u32 = 32;

/// The probe of the current period.
#[derive(Clone, Copy, Debug)]
struct Probe {
    target: u32,
    seq: u32,
    acked: bool,
    /// When it started (ns).
    started: u64,
    /// Its ack timeout, cancelled when the ack comes first (so the timer costs no visit).
    timer: Option<sim_core::TimerId>,
}

/// A suspicion this member raised itself.
#[derive(Clone, Copy, Debug)]
struct Suspicion {
    member: u32,
    /// The incarnation it held of the member.
    incarnation: u32,
    /// When the failed probe began (ns).
    since: u64,
    /// When it is confirmed unless refuted (ns).
    deadline: u64,
}

/// One SWIM member: the run's shared state, locked once per event, beside the member's own.
#[derive(Debug)]
pub struct SwimNode {
    shared: SharedMembership,
    member: Member,
}

/// A SWIM member's own state.
#[derive(Debug)]
struct Member {
    config: Arc<MembershipConfig>,
    spec: SwimSpec,
    conclusions: Conclusions,
    index: u32,
    /// Durable.
    incarnation: u32,
    seq: u32,
    probe: Option<Probe>,
    /// Lifeguard's local health multiplier: periods and ack timeouts last `health + 1`
    /// times their length.
    health: u32,
    /// Round-robin: the cycle's permutation key and the position in it.
    cycle: u64,
    position: u32,
    periods: u64,
    /// This member's own suspicions, in deadline order (one timeout for all, so arrival
    /// order is deadline order).
    suspicions: VecDeque<Suspicion>,
    suspicion_timer: bool,
    queue: Piggyback,
    retransmits: u32,
    /// Scratch for one message's updates.
    scratch: Vec<u64>,
    /// Scratch for the members a push-pull made dead in a view.
    newly_dead: Vec<u32>,
    offset: u64,
    period_armed: bool,
    /// In the group (it joined, or was in it from the start, and has not left).
    joined: bool,
    /// Leaving: the periods it still runs the protocol to spread its departure.
    leaving: Option<u32>,
}

impl SwimNode {
    /// Member `index` of the group `config` describes (whose detector is SWIM), reporting
    /// to `shared`.
    pub fn new(config: Arc<MembershipConfig>, shared: SharedMembership, index: u32) -> Self {
        SwimNode {
            member: Member::new(config, shared.clone(), index),
            shared,
        }
    }
}

impl Member {
    fn new(config: Arc<MembershipConfig>, shared: SharedMembership, index: u32) -> Self {
        let crate::gossip::membership::Detector::Swim(spec) = config.detector else {
            panic!("a SWIM member needs a SWIM detector");
        };
        let retransmits = retransmit_limit(spec.retransmits, config.members);
        Member {
            spec,
            conclusions: Conclusions::new(shared),
            index,
            incarnation: 0,
            seq: 0,
            probe: None,
            health: 0,
            cycle: 0,
            position: 0,
            periods: 0,
            suspicions: VecDeque::new(),
            suspicion_timer: false,
            queue: Piggyback::default(),
            retransmits,
            scratch: Vec::with_capacity(crate::gossip::membership::PIGGYBACK_MAX),
            newly_dead: Vec::new(),
            offset: 0,
            period_armed: false,
            joined: index < config.initial,
            leaving: None,
            config,
        }
    }

    fn members(&self) -> u32 {
        self.config.members
    }

    fn scaled(&self, d: SimDuration) -> SimDuration {
        SimDuration::from_nanos(d.as_nanos().saturating_mul(u64::from(self.health) + 1))
    }

    fn arm_period(&mut self, ctx: &mut Ctx<'_, Msg>, first: bool) {
        if self.period_armed {
            return;
        }
        let delay = if first {
            until_next(
                ctx.now().as_nanos(),
                self.offset,
                self.spec.period.as_nanos(),
            )
        } else {
            self.scaled(self.spec.period)
        };
        ctx.set_timer(delay, TimerTag(TAG_PERIOD));
        self.period_armed = true;
    }

    /// Sends `kind` to member `to`, with this member's queued updates piggybacked (and what
    /// it holds of `to` first, if `to` is in doubt).
    fn send(
        &mut self,
        run: &mut MembershipRun,
        ctx: &mut Ctx<'_, Msg>,
        to: u32,
        kind: MemberKind,
        seq: u32,
        about: u32,
    ) {
        let views = run.views.as_ref().expect("a SWIM group keeps views");
        let (status, held) = views.get(self.index, to);
        let buddy = (status != Status::Alive).then(|| {
            Update {
                member: to,
                incarnation: u32::from(held),
                status,
            }
            .pack()
        });
        self.queue.take(
            self.spec.piggyback as usize,
            self.retransmits,
            buddy,
            &mut self.scratch,
        );
        let at = run.arena.put(&self.scratch);
        let msg = MemberMsg {
            kind,
            updates: self.scratch.len() as u8,
            seq,
            about,
            at,
            table: 0,
        };
        self.conclusions.send(ctx, self.config.node(to), msg);
    }

    /// Arms the first push-pull at a uniform offset in its interval (from the member's own
    /// model stream), if push-pull is on.
    fn arm_push_pull(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if let Some(every) = self.spec.push_pull {
            let offset = ctx.model_rng(1).random_range(0..every.as_nanos());
            ctx.set_timer(SimDuration::from_nanos(offset), TimerTag(TAG_PUSH_PULL));
        }
    }

    /// Answers (or relays) a probe: at once, or, when the member has a service model, once a
    /// worker has handled it (so a `slow` fault makes its answers late, as a paused or
    /// overloaded process's are). The work item is the message to send, its destination in
    /// `at`; one the queue refuses is never answered.
    fn step(
        &mut self,
        run: &mut MembershipRun,
        ctx: &mut Ctx<'_, Msg>,
        to: u32,
        kind: MemberKind,
        seq: u32,
        about: u32,
    ) {
        let item = Msg::Member(MemberMsg {
            kind,
            updates: 0,
            seq,
            about,
            at: u64::from(to),
            table: 0,
        });
        if let Admission::NoService(_) = ctx.submit_work(PROBE_WORK, item) {
            self.send(run, ctx, to, kind, seq, about);
        }
    }

    /// The next probe target, or `None` when every other member is held dead.
    fn next_target(&mut self, run: &MembershipRun, ctx: &mut Ctx<'_, Msg>) -> Option<u32> {
        let n = self.members();
        let views = run.views.as_ref().expect("a SWIM group keeps views");
        let me = self.index;
        let alive = |m: u32| m != me && !views.get(me, m).0.is_out();
        match self.spec.probe {
            ProbeOrder::Random => (0..DRAWS_MAX)
                .map(|_| ctx.rng().random_range(0..n))
                .find(|&m| alive(m)),
            ProbeOrder::RoundRobin => {
                for _ in 0..n {
                    if self.position >= n {
                        self.position = 0;
                        self.cycle += 1;
                    }
                    let key = sim_core::rng::splitmix(
                        u64::from(me) << 32 ^ self.cycle ^ 0x5357_494d_0000_0000,
                    );
                    let candidate = permute(n, key, self.position, false);
                    self.position += 1;
                    if alive(candidate) {
                        return Some(candidate);
                    }
                }
                None
            }
        }
    }

    /// The period boundary: resolve the last probe, start the next, and every `reconnect`
    /// ping a member held dead.
    fn on_period(&mut self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>) {
        self.periods += 1;
        if !self.follow_intent(run, ctx) {
            return;
        }
        if let Some(probe) = self.probe.take() {
            if probe.acked {
                self.health = self.health.saturating_sub(1);
            } else {
                self.health = (self.health + 1).min(self.spec.health_max);
                self.probe_failed(run, ctx, probe);
            }
        }
        if let Some(target) = self.next_target(run, ctx) {
            // 0 marks a reconnection ping, which no probe waits for.
            self.seq = self.seq.wrapping_add(1).max(1);
            self.probe = Some(Probe {
                target,
                seq: self.seq,
                acked: false,
                started: ctx.now().as_nanos(),
                timer: None,
            });
            ctx.count(self.conclusions.ids().probes, 1);
            self.send(run, ctx, target, MemberKind::Ping, self.seq, 0);
            let tag = TAG_ACK + (u64::from(self.seq) << 8);
            let timer = ctx.set_timer(self.scaled(self.spec.ack_timeout), TimerTag(tag));
            if let Some(probe) = &mut self.probe {
                probe.timer = Some(timer);
            }
        }
        if let Some(every) = self.spec.reconnect {
            let periods = (every.as_nanos() / self.spec.period.as_nanos()).max(1);
            if self.periods % periods == 0 {
                self.reconnect(run, ctx);
            }
        }
    }

    /// Joins or leaves as the scenario now wants (`join` and `leave` faults), and counts down
    /// a departure; returns whether the member runs the protocol this period.
    fn follow_intent(&mut self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>) -> bool {
        let wanted = run.wanted[self.index as usize];
        let now = ctx.now().as_nanos();
        if wanted && !self.joined {
            // Joining (or back after leaving): a higher incarnation, announced, and one
            // full state exchange, as memberlist's join.
            self.joined = true;
            self.leaving = None;
            self.incarnation += 1;
            run.log.joined(self.index, now);
            let views = run.views.as_mut().expect("a SWIM group keeps views");
            views.set(self.index, self.index, Status::Alive, self.incarnation);
            self.announce();
            self.push_pull(run, ctx);
        } else if !wanted && self.joined && self.leaving.is_none() {
            // Leaving: "left" at a higher incarnation, spread for a few more periods (as
            // memberlist's Leave waits for its broadcast), then silence.
            self.incarnation += 1;
            run.log.left(self.index, now);
            let views = run.views.as_mut().expect("a SWIM group keeps views");
            views.set(self.index, self.index, Status::Left, self.incarnation);
            self.queue.push(Update {
                member: self.index,
                incarnation: self.incarnation,
                status: Status::Left,
            });
            self.leaving = Some(LEAVE_PERIODS);
        }
        if let Some(left) = self.leaving {
            if left == 0 {
                self.joined = false;
                self.leaving = None;
                self.probe = None;
                self.queue.clear();
            } else {
                self.leaving = Some(left - 1);
            }
        }
        self.joined
    }

    /// Pings one member this member holds dead (a few draws), carrying that verdict, so a
    /// member on the far side of a healed partition can refute it.
    fn reconnect(&mut self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>) {
        let n = self.members();
        let views = run.views.as_ref().expect("a SWIM group keeps views");
        let me = self.index;
        let dead = (0..8)
            .map(|_| ctx.rng().random_range(0..n))
            .find(|&m| m != me && views.get(me, m).0 == Status::Dead);
        if let Some(target) = dead {
            // A probe no one waits for: the answer's piggyback carries the refutation.
            self.send(run, ctx, target, MemberKind::Ping, 0, 0);
        }
    }

    /// No ack reached this member for `probe`.
    fn probe_failed(&mut self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>, probe: Probe) {
        let target = probe.target;
        self.conclusions.suspected(run, ctx, target, probe.started);
        let views = run.views.as_mut().expect("a SWIM group keeps views");
        let (status, held) = views.get(self.index, target);
        if status.is_out() {
            return;
        }
        let incarnation = u32::from(held);
        let Some(timeout) = self.spec.suspicion else {
            views.set(self.index, target, Status::Dead, incarnation);
            self.queue.push(Update {
                member: target,
                incarnation,
                status: Status::Dead,
            });
            self.conclusions.declared(run, ctx, target, probe.started);
            return;
        };
        if status == Status::Alive {
            views.set(self.index, target, Status::Suspect, incarnation);
            self.queue.push(Update {
                member: target,
                incarnation,
                status: Status::Suspect,
            });
        }
        if self.suspicions.iter().any(|s| s.member == target) {
            return;
        }
        let deadline = ctx.now().as_nanos().saturating_add(timeout.as_nanos());
        self.suspicions.push_back(Suspicion {
            member: target,
            incarnation,
            since: probe.started,
            deadline,
        });
        if !self.suspicion_timer {
            ctx.set_timer(timeout, TimerTag(TAG_SUSPICION));
            self.suspicion_timer = true;
        }
    }

    /// Confirms the suspicions whose time is up and that nobody refuted.
    fn on_suspicion_timer(&mut self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>) {
        self.suspicion_timer = false;
        let now = ctx.now().as_nanos();
        while let Some(&Suspicion {
            member,
            incarnation,
            since,
            deadline,
        }) = self.suspicions.front()
        {
            if deadline > now {
                ctx.set_timer(
                    SimDuration::from_nanos(deadline - now),
                    TimerTag(TAG_SUSPICION),
                );
                self.suspicion_timer = true;
                return;
            }
            self.suspicions.pop_front();
            let views = run.views.as_mut().expect("a SWIM group keeps views");
            if views.get(self.index, member) != (Status::Suspect, incarnation as u8 & 63) {
                // Refuted (or already confirmed) meanwhile.
                continue;
            }
            views.set(self.index, member, Status::Dead, incarnation);
            self.queue.push(Update {
                member,
                incarnation,
                status: Status::Dead,
            });
            self.conclusions.declared(run, ctx, member, since);
        }
    }

    /// The direct ping's ack timeout: ask `k` members held alive to ping the target.
    fn on_ack_timeout(&mut self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>, seq: u32) {
        let Some(probe) = self.probe else { return };
        if probe.seq != seq || probe.acked || self.spec.indirect == 0 {
            return;
        }
        let n = self.members();
        let me = self.index;
        let mut helpers = [0u32; 32];
        let mut count = 0usize;
        for _ in 0..DRAWS_MAX {
            if count == self.spec.indirect as usize {
                break;
            }
            let m = ctx.rng().random_range(0..n);
            let views = run.views.as_ref().expect("a SWIM group keeps views");
            if m == me
                || m == probe.target
                || helpers[..count].contains(&m)
                || views.get(me, m).0 != Status::Alive
            {
                continue;
            }
            helpers[count] = m;
            count += 1;
        }
        for &helper in &helpers[..count] {
            self.send(run, ctx, helper, MemberKind::PingReq, seq, probe.target);
        }
    }

    /// Starts a push-pull (memberlist's full state exchange) with a member drawn among those
    /// this member does not hold dead; the receiver merges both views when it arrives.
    fn push_pull(&mut self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>) {
        let n = self.members();
        let me = self.index;
        let views = run.views.as_ref().expect("a SWIM group keeps views");
        let peer = (0..DRAWS_MAX)
            .map(|_| ctx.rng().random_range(0..n))
            .find(|&m| m != me && !views.get(me, m).0.is_out());
        if let Some(peer) = peer {
            self.send_state(ctx, peer, MemberKind::PushPull);
        }
    }

    /// A push-pull message (or its answer) to member `to`: it carries a state per member.
    fn send_state(&self, ctx: &mut Ctx<'_, Msg>, to: u32, kind: MemberKind) {
        let msg = MemberMsg {
            kind,
            updates: 0,
            seq: 0,
            about: 0,
            at: 0,
            table: self.members(),
        };
        self.conclusions.send(ctx, self.config.node(to), msg);
    }

    /// A push-pull from member `from` arrived: merge the two views, refute what `from` holds
    /// of this member if it must, and answer.
    fn merge_with(&mut self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>, from: u32) {
        let views = run.views.as_mut().expect("a SWIM group keeps views");
        let dead = &mut self.newly_dead;
        dead.clear();
        views.merge(from, self.index, |_, member, before, now| {
            if now == Status::Dead && !before.is_out() {
                dead.push(member);
            }
        });
        for i in 0..self.newly_dead.len() {
            let member = self.newly_dead[i];
            self.conclusions.held_dead(run, ctx, member);
        }
        self.check_said_of_me(run, ctx, from);
        self.send_state(ctx, from, MemberKind::PushPullAck);
    }

    /// What member `other`'s view holds of this member: a suspicion or death is refuted.
    fn check_said_of_me(&mut self, run: &MembershipRun, ctx: &mut Ctx<'_, Msg>, other: u32) {
        let views = run.views.as_ref().expect("a SWIM group keeps views");
        let (status, held) = views.get(other, self.index);
        if status != Status::Alive {
            self.heard_about_self(
                ctx,
                Update {
                    member: self.index,
                    incarnation: u32::from(held),
                    status,
                },
            );
        }
    }

    /// Applies the updates a message from `from` piggybacked.
    fn absorb(&mut self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>, msg: &MemberMsg) {
        if msg.updates == 0 {
            return;
        }
        if !run
            .arena
            .get(msg.at, usize::from(msg.updates), &mut self.scratch)
        {
            ctx.count(self.conclusions.ids().piggyback_lost, 1);
            return;
        }
        for i in 0..self.scratch.len() {
            let update = Update::unpack(self.scratch[i]);
            if update.member >= self.members() {
                continue;
            }
            if update.member == self.index {
                self.heard_about_self(ctx, update);
                continue;
            }
            let views = run.views.as_mut().expect("a SWIM group keeps views");
            let Some(before) = views.apply(self.index, update) else {
                continue;
            };
            self.queue.push(update);
            if update.status == Status::Dead && !before.is_out() {
                self.conclusions.held_dead(run, ctx, update.member);
            }
        }
    }

    /// An update about this member: a suspicion or a death of its current incarnation (or a
    /// later one's low bits) is refuted with a higher incarnation.
    fn heard_about_self(&mut self, ctx: &mut Ctx<'_, Msg>, update: Update) {
        if update.status == Status::Alive || self.leaving.is_some() {
            return;
        }
        let ahead = (update.incarnation as u8).wrapping_sub(self.incarnation as u8) & 63;
        if compare_incarnation(update.incarnation, self.incarnation as u8 & 63)
            == std::cmp::Ordering::Less
        {
            return;
        }
        self.incarnation += u32::from(ahead) + 1;
        self.health = (self.health + 1).min(self.spec.health_max);
        ctx.count(self.conclusions.ids().refutations, 1);
        self.announce();
    }

    /// Queues "this member is alive at its incarnation".
    fn announce(&mut self) {
        self.queue.push(Update {
            member: self.index,
            incarnation: self.incarnation,
            status: Status::Alive,
        });
    }

    fn on_member_msg(
        &mut self,
        run: &mut MembershipRun,
        ctx: &mut Ctx<'_, Msg>,
        from: u32,
        msg: MemberMsg,
    ) {
        if !self.joined {
            // Not in the group: silent.
            return;
        }
        self.absorb(run, ctx, &msg);
        match msg.kind {
            MemberKind::Ping => self.step(run, ctx, from, MemberKind::Ack, msg.seq, 0),
            MemberKind::Ack => {
                if let Some(probe) = &mut self.probe {
                    if probe.seq == msg.seq && msg.seq != 0 && !probe.acked {
                        probe.acked = true;
                        if let Some(timer) = probe.timer.take() {
                            ctx.cancel(timer);
                        }
                    }
                }
            }
            MemberKind::PingReq if msg.about < self.members() => {
                self.step(run, ctx, msg.about, MemberKind::IndirectPing, msg.seq, from);
            }
            MemberKind::IndirectPing => {
                self.step(run, ctx, from, MemberKind::IndirectAck, msg.seq, msg.about);
            }
            MemberKind::IndirectAck if msg.about < self.members() => {
                self.step(run, ctx, msg.about, MemberKind::Ack, msg.seq, 0);
            }
            MemberKind::PushPull => self.merge_with(run, ctx, from),
            MemberKind::PushPullAck => self.check_said_of_me(run, ctx, from),
            _ => {}
        }
    }
}

impl Node for SwimNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let member = &mut self.member;
        member.conclusions.start(ctx);
        member.offset = first_offset(ctx, &member.config).as_nanos();
        member.arm_period(ctx, true);
        member.arm_push_pull(ctx);
    }

    fn on_crash(&mut self, ctx: &mut CrashCtx<'_>) {
        let member = &mut self.member;
        member.conclusions.crashed(ctx, member.index);
        member.probe = None;
        member.health = 0;
        member.suspicions.clear();
        member.suspicion_timer = false;
        member.queue.clear();
        member.period_armed = false;
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let member = &mut self.member;
        member.conclusions.restarted(ctx, member.index);
        member.incarnation += 1;
        let mut run = self.shared.lock();
        let views = run.views.as_mut().expect("a SWIM group keeps views");
        views.set(
            member.index,
            member.index,
            Status::Alive,
            member.incarnation,
        );
        member.announce();
        member.arm_period(ctx, true);
        // Rejoining: one full state exchange now, as memberlist's join does, then the
        // periodic ones.
        member.push_pull(&mut run, ctx);
        member.arm_push_pull(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        let mut run = self.shared.lock();
        let member = &mut self.member;
        match tag.0 & 0xff {
            TAG_PERIOD => {
                member.period_armed = false;
                member.on_period(&mut run, ctx);
                member.arm_period(ctx, false);
            }
            TAG_ACK if member.joined => member.on_ack_timeout(&mut run, ctx, (tag.0 >> 8) as u32),
            TAG_SUSPICION => member.on_suspicion_timer(&mut run, ctx),
            TAG_PUSH_PULL => {
                if member.joined {
                    member.push_pull(&mut run, ctx);
                }
                if let Some(every) = member.spec.push_pull {
                    ctx.set_timer(every, TimerTag(TAG_PUSH_PULL));
                }
            }
            _ => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        let Msg::Member(msg) = msg else { return };
        let Some(from) = self.member.config.index_of(from) else {
            return;
        };
        let mut run = self.shared.lock();
        self.member.on_member_msg(&mut run, ctx, from, msg);
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Msg>, work: CompletedWork<Msg>) {
        let Msg::Member(step) = work.item else { return };
        if !self.member.joined {
            return;
        }
        let mut run = self.shared.lock();
        let to = step.at as u32;
        self.member
            .send(&mut run, ctx, to, step.kind, step.seq, step.about);
    }
}
