//! The `membership` role: a member of a group that watches the others with a failure
//! detector (see [`crate::gossip::membership`] for the detectors and their sources), one
//! node type per detector family: [`SwimNode`], [`HeartbeatNode`] (heartbeat to all, judged
//! by a timeout or by φ accrual) and [`TablesNode`] (gossip heartbeat tables).
//!
//! What the members conclude goes to the run's [`SharedMembership`] log beside what really
//! happened to them (each member reports its own crash and restart), so the shared
//! [`Conclusions`] here record detection times, false positives and convergence the same way
//! for every detector.

mod heartbeat;
mod swim;
mod tables;

pub use heartbeat::HeartbeatNode;
pub use swim::SwimNode;
pub use tables::TablesNode;

use sim_core::metrics::{DerivedMetric, Direction, Formula, MetricDecl, MetricTable};
use sim_core::{CounterId, CrashCtx, Ctx, HistogramId, NodeId, SimDuration, Unit};

use crate::gossip::membership::detection::{MembershipRun, SharedMembership, Verdict};
use crate::gossip::membership::Detector;
use crate::msg::{MemberMsg, Msg};

/// What membership members record.
pub const METRICS: MetricTable = MetricTable {
    recorded: &[
        MetricDecl::histogram(
            "membership.detection_time",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::HigherIsWorse,
            "per crash of a member, the time until the first member declared it dead",
        ),
        MetricDecl::histogram(
            "membership.suspicion_time",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::HigherIsWorse,
            "SWIM: per crash of a member, the time until the first member's probe of it failed (it suspected it)",
        ),
        MetricDecl::histogram(
            "membership.convergence_time",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::HigherIsWorse,
            "per crash of a member, the time until every member that was up held it dead",
        ),
        MetricDecl::counter(
            "membership.false_positives",
            Direction::HigherIsWorse,
            "declarations that a member that was up is dead (a member's own conclusion, not one it heard)",
        ),
        MetricDecl::counter(
            "membership.declarations",
            Direction::Neutral,
            "declarations that a member is dead (own conclusions), right or wrong",
        ),
        MetricDecl::counter(
            "membership.suspicions",
            Direction::Neutral,
            "SWIM: failed probes (the prober suspects the target)",
        ),
        MetricDecl::counter(
            "membership.false_suspicions",
            Direction::HigherIsWorse,
            "SWIM: failed probes of a member that was up",
        ),
        MetricDecl::counter(
            "membership.probes",
            Direction::Neutral,
            "SWIM: probes started (one per member per protocol period)",
        ),
        MetricDecl::counter(
            "membership.refutations",
            Direction::Neutral,
            "SWIM: a member heard it was suspected or declared dead and raised its incarnation",
        ),
        MetricDecl::counter(
            "membership.heartbeats",
            Direction::Neutral,
            "heartbeats received (heartbeat and phi detectors): the intervals a monitor judged",
        ),
        MetricDecl::counter(
            "membership.messages",
            Direction::HigherIsWorse,
            "failure-detector messages sent",
        ),
        MetricDecl::counter(
            "membership.bytes",
            Direction::HigherIsWorse,
            "bytes of failure-detector messages sent (headers, piggybacked updates, tables)",
        ),
        MetricDecl::counter(
            "membership.piggyback_lost",
            Direction::HigherIsWorse,
            "SWIM: messages whose piggybacked updates were overwritten in the run's ring before delivery (in flight too long)",
        ),
        MetricDecl::counter(
            "membership.crashes",
            Direction::Neutral,
            "crashes of the group's members",
        ),
        MetricDecl::counter(
            "membership.undetected",
            Direction::HigherIsWorse,
            "at the end of the run: members down that no member had declared dead",
        ),
        MetricDecl::counter(
            "membership.unconverged",
            Direction::HigherIsWorse,
            "at the end of the run: members down that some member that was up did not hold dead",
        ),
        MetricDecl::counter(
            "membership.member_seconds",
            Direction::Neutral,
            "at the end of the run: seconds members were up, summed over members (rounded down)",
        ),
    ],
    derived: &[
        DerivedMetric {
            name: "membership.false_positives_per_member_hour",
            formula: Formula::ScaledRatio {
                numerator: &["membership.false_positives"],
                denominator: &["membership.member_seconds"],
                scale: 3600,
            },
            unit: Unit::Ratio,
            direction: Direction::HigherIsWorse,
            description: "false positives per hour a member was up: membership.false_positives × 3600 / membership.member_seconds",
        },
        DerivedMetric {
            name: "membership.messages_per_member_second",
            formula: Formula::Ratio {
                numerator: &["membership.messages"],
                denominator: &["membership.member_seconds"],
            },
            unit: Unit::Ratio,
            direction: Direction::HigherIsWorse,
            description: "membership.messages / membership.member_seconds: the message load per member per second",
        },
        DerivedMetric {
            name: "membership.bytes_per_member_second",
            formula: Formula::Ratio {
                numerator: &["membership.bytes"],
                denominator: &["membership.member_seconds"],
            },
            unit: Unit::Ratio,
            direction: Direction::HigherIsWorse,
            description: "membership.bytes / membership.member_seconds: the byte load per member per second",
        },
        DerivedMetric {
            name: "membership.false_suspicion_ratio",
            formula: Formula::Ratio {
                numerator: &["membership.false_suspicions"],
                denominator: &["membership.probes"],
            },
            unit: Unit::Ratio,
            direction: Direction::HigherIsWorse,
            description: "SWIM: membership.false_suspicions / membership.probes: the share of probes that failed on a member that was up",
        },
    ],
    curves: &[],
};

/// What a membership group's members share.
#[derive(Clone, Debug)]
pub struct MembershipConfig {
    /// The detector and its parameters.
    pub detector: Detector,
    /// Every member's periods start at the same instants (`false`: each at its own uniform
    /// offset in the first period).
    pub in_phase: bool,
    /// The group's first node.
    pub first: NodeId,
    /// Members in the group.
    pub members: u32,
    /// How many of them (the first ones) are in it from the start; the others wait for a
    /// `join`.
    pub initial: u32,
}

impl MembershipConfig {
    /// The node of member `index`.
    fn node(&self, index: u32) -> NodeId {
        NodeId(self.first.0 + index)
    }

    /// The member index of `node`, if it is one of the group.
    fn index_of(&self, node: NodeId) -> Option<u32> {
        let index = node.0.wrapping_sub(self.first.0);
        (index < self.members).then_some(index)
    }
}

/// The metric ids every detector records into.
#[derive(Clone, Copy, Debug)]
struct Ids {
    detection: HistogramId,
    suspicion: HistogramId,
    convergence: HistogramId,
    false_positives: CounterId,
    declarations: CounterId,
    suspicions: CounterId,
    false_suspicions: CounterId,
    probes: CounterId,
    refutations: CounterId,
    heartbeats: CounterId,
    messages: CounterId,
    bytes: CounterId,
    piggyback_lost: CounterId,
}

impl Ids {
    fn register(ctx: &mut Ctx<'_, Msg>) -> Ids {
        Ids {
            detection: ctx.histogram("membership.detection_time", Unit::Nanoseconds),
            suspicion: ctx.histogram("membership.suspicion_time", Unit::Nanoseconds),
            convergence: ctx.histogram("membership.convergence_time", Unit::Nanoseconds),
            false_positives: ctx.counter("membership.false_positives"),
            declarations: ctx.counter("membership.declarations"),
            suspicions: ctx.counter("membership.suspicions"),
            false_suspicions: ctx.counter("membership.false_suspicions"),
            probes: ctx.counter("membership.probes"),
            refutations: ctx.counter("membership.refutations"),
            heartbeats: ctx.counter("membership.heartbeats"),
            messages: ctx.counter("membership.messages"),
            bytes: ctx.counter("membership.bytes"),
            piggyback_lost: ctx.counter("membership.piggyback_lost"),
        }
    }
}

/// A member's link to the run's log: it reports its own conclusions, crashes and restarts,
/// and records what the log judged them to be. Shared by every detector's node.
#[derive(Debug)]
struct Conclusions {
    shared: SharedMembership,
    ids: Option<Ids>,
}

impl Conclusions {
    fn new(shared: SharedMembership) -> Self {
        Conclusions { shared, ids: None }
    }

    fn start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.ids = Some(Ids::register(ctx));
    }

    fn ids(&self) -> Ids {
        self.ids.expect("ids are registered at start")
    }

    /// This member's own probe of `member`, started at `since` (ns), failed: it suspects
    /// it.
    fn suspected(&self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>, member: u32, since: u64) {
        let ids = self.ids();
        ctx.count(ids.suspicions, 1);
        match run.log.suspected(member, since, ctx.now().as_nanos()) {
            Verdict::False => ctx.count(ids.false_suspicions, 1),
            Verdict::First(after) => ctx.record(ids.suspicion, after),
            Verdict::Later | Verdict::Stale => {}
        }
    }

    /// This member concluded `member` is dead from evidence gathered since `since` (ns),
    /// and now holds it so.
    fn declared(&self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>, member: u32, since: u64) {
        let ids = self.ids();
        ctx.count(ids.declarations, 1);
        match run.log.declared(member, since, ctx.now().as_nanos()) {
            Verdict::False => ctx.count(ids.false_positives, 1),
            Verdict::First(after) => ctx.record(ids.detection, after),
            Verdict::Later | Verdict::Stale => {}
        }
        self.held_dead(run, ctx, member);
    }

    /// This member's view now holds `member` dead (its own conclusion or one it heard).
    fn held_dead(&self, run: &mut MembershipRun, ctx: &mut Ctx<'_, Msg>, member: u32) {
        if let Some(after) = run.log.held_dead(member, ctx.now().as_nanos()) {
            ctx.record(self.ids().convergence, after);
        }
    }

    /// Sends `msg` to `node`, counting it and its bytes.
    fn send(&self, ctx: &mut Ctx<'_, Msg>, node: NodeId, msg: MemberMsg) {
        let ids = self.ids();
        ctx.count(ids.messages, 1);
        ctx.count(ids.bytes, crate::msg::HEADER_BYTES + msg.payload_bytes());
        ctx.send(node, Msg::Member(msg));
    }

    /// Whether the scenario wants member `index` in the group now (`join` and `leave`
    /// faults); a change from `joined` is logged as the member's join or leave at `now`.
    fn wanted(&self, index: u32, joined: bool, now: u64) -> bool {
        let mut run = self.shared.lock();
        let wanted = run.wanted[index as usize];
        if wanted && !joined {
            run.log.joined(index, now);
        } else if !wanted && joined {
            run.log.left(index, now);
        }
        wanted
    }

    fn crashed(&self, ctx: &mut CrashCtx<'_>, index: u32) {
        self.shared.lock().log.crashed(index, ctx.now().as_nanos());
        let id = ctx.counter("membership.crashes");
        ctx.count(id, 1);
    }

    fn restarted(&self, ctx: &mut Ctx<'_, Msg>, index: u32) {
        self.shared
            .lock()
            .log
            .restarted(index, ctx.now().as_nanos());
    }
}

/// A member's first period boundary: now (in phase) or a uniform offset in `[0, period)`
/// from its own model stream.
fn first_offset(ctx: &mut Ctx<'_, Msg>, config: &MembershipConfig) -> SimDuration {
    if config.in_phase {
        return SimDuration::ZERO;
    }
    use rand::Rng;
    let period = config.detector.period().as_nanos();
    SimDuration::from_nanos(ctx.model_rng(0).random_range(0..period))
}

/// The next boundary `offset + k × period` strictly after `now` (`k ≥ 0`), as a delay.
fn until_next(now: u64, offset: u64, period: u64) -> SimDuration {
    let next = if now < offset {
        offset
    } else {
        offset + ((now - offset) / period + 1) * period
    };
    SimDuration::from_nanos(next - now)
}
