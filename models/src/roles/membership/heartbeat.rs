//! Heartbeat to all: each member sends every other member a heartbeat each period (plus
//! its jitter draw), and monitors each sender, declaring it dead when its next heartbeat is
//! later than a fixed timeout, or than the instant φ reaches its threshold (φ accrual,
//! [`crate::gossip::membership::phi`]). A heartbeat from a sender held dead revives it.
//!
//! One timer per monitored sender, re-armed lazily: a heartbeat only moves the sender's
//! deadline, and the timer, when it fires early, sets itself for the new one.
//!
//! **Crashes:** a monitor's state is volatile: after a restart it judges every sender
//! afresh, as if each had just sent a heartbeat.

use std::sync::Arc;

use sim_core::{CrashCtx, Ctx, Node, NodeId, SimDuration, TimerTag};

use super::{first_offset, until_next, Conclusions, MembershipConfig};
use crate::gossip::membership::detection::SharedMembership;
use crate::gossip::membership::phi::ArrivalWindow;
use crate::gossip::membership::{Detector, HeartbeatSpec, Judge};
use crate::msg::{MemberKind, MemberMsg, Msg};

/// Timer tag of this member's next heartbeat; `TAG_CHECK + sender` checks a sender.
const TAG_SEND: u64 = 0;
const TAG_CHECK: u64 = 1;

/// What a monitor knows of one sender.
#[derive(Clone, Debug)]
struct Monitored {
    /// When the sender is next late (ns).
    deadline: u64,
    /// Its last heartbeat (or the monitor's reset), ns.
    heard: u64,
    /// Its inter-arrival times (φ only).
    window: Option<ArrivalWindow>,
    dead: bool,
    armed: bool,
}

/// One member of a heartbeat-to-all group.
#[derive(Debug)]
pub struct HeartbeatNode {
    config: Arc<MembershipConfig>,
    spec: HeartbeatSpec,
    conclusions: Conclusions,
    index: u32,
    counter: u32,
    /// By member index (this member's own entry unused).
    monitored: Vec<Monitored>,
    /// φ's quantile for the threshold, once per group.
    z: f64,
    /// In the group (it sends heartbeats and judges).
    joined: bool,
}

impl HeartbeatNode {
    /// Member `index` of the group `config` describes (a heartbeat detector), reporting to
    /// `shared`.
    pub fn new(config: Arc<MembershipConfig>, shared: SharedMembership, index: u32) -> Self {
        let Detector::Heartbeat(spec) = &config.detector else {
            panic!("a heartbeat member needs a heartbeat detector");
        };
        let spec = spec.clone();
        let z = match spec.judge {
            Judge::Phi(phi) => phi.quantile(),
            Judge::Timeout(_) => 0.0,
        };
        HeartbeatNode {
            spec,
            conclusions: Conclusions::new(shared),
            index,
            counter: 0,
            monitored: Vec::new(),
            z,
            joined: index < config.initial,
            config,
        }
    }

    /// Judges every sender afresh from `now`, as if each had just sent a heartbeat (at the
    /// start, only the members in the group from the start).
    fn reset(&mut self, ctx: &mut Ctx<'_, Msg>, start: bool) {
        let now = ctx.now().as_nanos();
        let n = self.config.members;
        self.monitored = (0..n)
            .map(|_| {
                let window = match self.spec.judge {
                    // The first heartbeat starts the window's clock: the time since the
                    // reset is no interval.
                    Judge::Phi(phi) => Some(ArrivalWindow::new(phi.window, self.spec.period)),
                    Judge::Timeout(_) => None,
                };
                Monitored {
                    deadline: 0,
                    heard: now,
                    window,
                    dead: false,
                    armed: false,
                }
            })
            .collect();
        let me = self.index;
        let expected = if start { self.config.initial } else { n };
        for sender in (0..n).filter(|&s| s != me) {
            if sender < expected {
                self.heard(ctx, sender, now);
            } else {
                // Not expected to send: held dead without a verdict until it does.
                self.monitored[sender as usize].dead = true;
            }
        }
    }

    /// Moves `sender`'s deadline after a heartbeat at `now` and arms its check.
    fn heard(&mut self, ctx: &mut Ctx<'_, Msg>, sender: u32, now: u64) {
        let after = match (&self.spec.judge, &self.monitored[sender as usize].window) {
            (Judge::Timeout(timeout), _) => timeout.as_nanos(),
            (Judge::Phi(phi), Some(window)) => window.deadline_after_last(phi, self.z),
            (Judge::Phi(_), None) => unreachable!("φ monitors keep windows"),
        };
        let entry = &mut self.monitored[sender as usize];
        entry.heard = now;
        entry.deadline = now.saturating_add(after.max(1));
        if !entry.armed {
            entry.armed = true;
            ctx.set_timer(
                SimDuration::from_nanos(entry.deadline - now),
                TimerTag(TAG_CHECK + u64::from(sender)),
            );
        }
    }

    /// Joins or leaves as the scenario now wants (`join` and `leave` faults): a joiner
    /// judges every member afresh.
    fn follow_intent(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let wanted = self
            .conclusions
            .wanted(self.index, self.joined, ctx.now().as_nanos());
        if wanted && !self.joined {
            self.reset(ctx, false);
        }
        self.joined = wanted;
    }

    fn send_heartbeats(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.follow_intent(ctx);
        let mut delay = self.spec.period;
        if let Some(jitter) = &self.spec.jitter {
            delay = SimDuration::from_nanos(
                delay
                    .as_nanos()
                    .saturating_add(jitter.sample_duration(ctx.rng()).as_nanos()),
            );
        }
        ctx.set_timer(delay.max(SimDuration::from_nanos(1)), TimerTag(TAG_SEND));
        if !self.joined {
            return;
        }
        self.counter = self.counter.wrapping_add(1);
        let msg = MemberMsg {
            kind: MemberKind::Heartbeat,
            updates: 0,
            seq: self.counter,
            about: self.index,
            at: 0,
            table: 0,
        };
        for peer in (0..self.config.members).filter(|&p| p != self.index) {
            self.conclusions.send(ctx, self.config.node(peer), msg);
        }
    }

    fn check(&mut self, ctx: &mut Ctx<'_, Msg>, sender: u32) {
        let now = ctx.now().as_nanos();
        let entry = &mut self.monitored[sender as usize];
        entry.armed = false;
        if entry.dead || !self.joined {
            return;
        }
        if now < entry.deadline {
            entry.armed = true;
            ctx.set_timer(
                SimDuration::from_nanos(entry.deadline - now),
                TimerTag(TAG_CHECK + u64::from(sender)),
            );
            return;
        }
        entry.dead = true;
        let since = entry.heard;
        let mut run = self.conclusions.shared.lock();
        self.conclusions.declared(&mut run, ctx, sender, since);
    }
}

impl Node for HeartbeatNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.conclusions.start(ctx);
        self.reset(ctx, true);
        let offset = first_offset(ctx, &self.config).as_nanos();
        let first = if offset == 0 {
            SimDuration::ZERO
        } else {
            until_next(ctx.now().as_nanos(), offset, self.spec.period.as_nanos())
        };
        ctx.set_timer(first, TimerTag(TAG_SEND));
    }

    fn on_crash(&mut self, ctx: &mut CrashCtx<'_>) {
        self.conclusions.crashed(ctx, self.index);
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.conclusions.restarted(ctx, self.index);
        self.reset(ctx, false);
        ctx.set_timer(SimDuration::ZERO, TimerTag(TAG_SEND));
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        match tag.0 {
            TAG_SEND => self.send_heartbeats(ctx),
            check => {
                let sender = (check - TAG_CHECK) as u32;
                if sender < self.config.members {
                    self.check(ctx, sender);
                }
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        let Msg::Member(msg) = msg else { return };
        let Some(sender) = self.config.index_of(from) else {
            return;
        };
        if msg.kind != MemberKind::Heartbeat || sender == self.index || !self.joined {
            return;
        }
        ctx.count(self.conclusions.ids().heartbeats, 1);
        let now = ctx.now().as_nanos();
        let entry = &mut self.monitored[sender as usize];
        entry.dead = false;
        if let Some(window) = &mut entry.window {
            window.heartbeat(now);
        }
        self.heard(ctx, sender, now);
    }
}
