//! The `gossip` role: a member of a group that spreads rumours by push, pull, push-pull or
//! anti-entropy in periodic rounds (or forwards each on receipt), over the group's overlay,
//! until the stop rule says it is no longer hot (see [`crate::gossip`] for the model and its
//! terms).
//!
//! A member keeps only its known set (a bitmap, inline for the first 64 rumours), its hot
//! rumours and its round timer; its peers are computed from its index
//! ([`Topology::neighbours`], or a uniform draw over the group), so a round allocates nothing
//! and a million members cost no adjacency lists. A push-only member arms its round timer
//! only while it has hot rumours; a pulling one (or one running anti-entropy) contacts a peer
//! every round for the whole run (it cannot know what it is missing).
//!
//! What members learn goes to the run's [`SharedDissemination`] log, outside the nodes,
//! which measures coverage exactly; members record the times to 50 %, 99 % and 100 % of the
//! group as they cross them.
//!
//! **Crashes:** a crashed member forgets its hot rumours (volatile) but keeps what it knows
//! (a delivered rumour stays delivered); a rumour whose origin is down at its birth is never
//! born. **Limitations:** one message names at most 64 rumours, in one block of ids: a pull
//! asks about the 64 from the caller's first gap, and a callee with nothing for it there
//! answers with its newest hot block instead; pushes of one block share one hop count, the
//! smallest, so a TTL counts the freshest copy.

use std::sync::Arc;

use rand::Rng;
use sim_core::metrics::{Direction, MetricDecl, MetricTable};
use sim_core::{
    CounterId, CrashCtx, Ctx, HistogramId, Node, NodeId, SimDuration, SimTime, TimerTag, Unit,
};

use crate::gossip::tracker::{Crossed, SharedDissemination};
use crate::gossip::{
    in_block, initial_budget, next_hop, spreads, Fanout, Forwarding, GossipSpec, Hot, Mode,
    StopRule, Topology, NEIGHBOURS_MAX,
};
use crate::msg::{GossipKind, GossipMsg, Msg};

/// What gossip members record.
pub const METRICS: MetricTable = MetricTable {
    recorded: &[
        MetricDecl::histogram(
            "gossip.time_to_informed.*",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::HigherIsWorse,
            "per rumour, the time from its birth until 50 %, 99 % or 100 % (`50`, `99`, `all`) of the group knew it",
        ),
        MetricDecl::histogram(
            "gossip.informed_after",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::HigherIsWorse,
            "per first receipt (the origin's at 0), the time since the rumour's birth: with gossip.member_rumours, the informed fraction over time the dissemination plot draws",
        ),
        MetricDecl::histogram(
            "gossip.informed_after.mean_field",
            Unit::Nanoseconds,
            Direction::Neutral,
            Direction::Neutral,
            "theory, added after the run where it applies (in-phase rounds over the total view, fanout k, stop never): the mean-field recursion's newly informed members per round, at each round's boundary",
        ),
        MetricDecl::histogram(
            "gossip.periods_to_all",
            Unit::Count,
            Direction::HigherIsWorse,
            Direction::HigherIsWorse,
            "per rumour that reached every member, that time in round periods, rounded down (with in-phase rounds and latency below a period: the number of rounds)",
        ),
        MetricDecl::counter(
            "gossip.rumours",
            Direction::Neutral,
            "rumours born (a rumour whose origin is down at its birth is not)",
        ),
        MetricDecl::counter(
            "gossip.informed",
            Direction::Neutral,
            "first receipts: a member learning a rumour it did not know",
        ),
        MetricDecl::counter(
            "gossip.redundant",
            Direction::HigherIsWorse,
            "rumours delivered to a member that already knew them",
        ),
        MetricDecl::counter(
            "gossip.messages",
            Direction::HigherIsWorse,
            "gossip messages sent: pushes, pulls, pull replies, feedback and anti-entropy digests",
        ),
        MetricDecl::counter(
            "gossip.residue",
            Direction::HigherIsWorse,
            "at the end of the run: member-rumour pairs of born rumours that never met (members that never learnt a rumour, summed over rumours)",
        ),
        MetricDecl::counter(
            "gossip.member_rumours",
            Direction::Neutral,
            "at the end of the run: members times born rumours, the pairs coverage is a fraction of",
        ),
        MetricDecl::counter(
            "gossip.incomplete",
            Direction::HigherIsWorse,
            "at the end of the run: born rumours that did not reach every member",
        ),
    ],
    derived: &[
        sim_core::metrics::DerivedMetric {
            name: "gossip.messages_per_rumour",
            formula: sim_core::metrics::Formula::Ratio {
                numerator: &["gossip.messages"],
                denominator: &["gossip.rumours"],
            },
            unit: Unit::Ratio,
            direction: Direction::HigherIsWorse,
            description: "gossip.messages / gossip.rumours: messages sent per rumour born (Maelstrom's msgs-per-op counts per operation, half of them reads: twice it per broadcast)",
        },
        sim_core::metrics::DerivedMetric {
            name: "gossip.redundant_ratio",
            formula: sim_core::metrics::Formula::Ratio {
                numerator: &["gossip.redundant"],
                denominator: &["gossip.redundant", "gossip.informed"],
            },
            unit: Unit::Ratio,
            direction: Direction::HigherIsWorse,
            description: "gossip.redundant / (gossip.redundant + gossip.informed): the share of rumour deliveries that told a member nothing new",
        },
    ],
    curves: &[],
};

/// Timer tag of a member's round.
const TAG_ROUND: u64 = 0;
/// Timer tags of a member's rumour births: `TAG_BIRTH + index in its births`.
const TAG_BIRTH: u64 = 1;

/// Most peers one round contacts (and most children of a tree overlay, most links of a
/// random one).
pub const MAX_FANOUT: u32 = 32;

/// What a gossip group's members share.
#[derive(Clone, Debug)]
pub struct GossipConfig {
    /// The model's parameters.
    pub spec: GossipSpec,
    /// The group's first node.
    pub first: NodeId,
    /// Members in the group.
    pub members: u32,
}

/// The metric ids a member records into.
#[derive(Clone, Copy, Debug)]
struct Ids {
    after: HistogramId,
    /// Per [`THRESHOLDS`](crate::gossip::tracker::THRESHOLDS): the time to reach it.
    reached: [HistogramId; 3],
    periods: HistogramId,
    rumours: CounterId,
    informed: CounterId,
    redundant: CounterId,
    messages: CounterId,
}

/// One gossip member.
#[derive(Debug)]
pub struct GossipNode {
    config: Arc<GossipConfig>,
    log: SharedDissemination,
    index: u32,
    /// Rumours this member creates: (birth, rumour id), in birth order.
    births: Vec<(SimTime, u32)>,
    rumours: crate::gossip::Rumours,
    /// This member's round offset in `[0, period)`.
    phase: SimDuration,
    /// A round timer is pending.
    armed: bool,
    ids: Option<Ids>,
}

impl GossipNode {
    /// Member `index` of the group `config` describes, which creates `births` (birth,
    /// rumour id) and reports to `log`.
    pub fn new(
        config: Arc<GossipConfig>,
        log: SharedDissemination,
        index: u32,
        births: Vec<(SimTime, u32)>,
    ) -> Self {
        GossipNode {
            config,
            log,
            index,
            births,
            rumours: crate::gossip::Rumours::default(),
            phase: SimDuration::ZERO,
            armed: false,
            ids: None,
        }
    }

    fn ids(&self) -> Ids {
        self.ids.expect("ids are registered at start")
    }

    fn spec(&self) -> &GossipSpec {
        &self.config.spec
    }

    /// Arms the round timer for the next round boundary after now, unless one is pending
    /// or this member has nothing to do in rounds.
    fn arm(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let Forwarding::Rounds { period, .. } = self.spec().forwarding else {
            return;
        };
        let has_work = self.spec().mode.always_rounds() || !self.rumours.hot.is_empty();
        if self.armed || !has_work {
            return;
        }
        let (now, period, phase) = (
            ctx.now().as_nanos(),
            period.as_nanos(),
            self.phase.as_nanos(),
        );
        // The first boundary phase + k * period strictly after now.
        let next = if now < phase {
            phase
        } else {
            phase + ((now - phase) / period + 1) * period
        };
        ctx.set_timer(SimDuration::from_nanos(next - now), TimerTag(TAG_ROUND));
        self.armed = true;
    }

    /// The node of member `index`.
    fn node(&self, index: u32) -> NodeId {
        NodeId(self.config.first.0 + index)
    }

    /// The peers one contact round reaches, into `out` (member indices); `except` is left
    /// out of an "all neighbours" forward. Returns how many.
    fn peers(
        &self,
        ctx: &mut Ctx<'_, Msg>,
        except: Option<u32>,
        out: &mut [u32; NEIGHBOURS_MAX],
    ) -> usize {
        let n = self.config.members;
        let me = self.index;
        let topology = self.spec().topology;
        match (topology, self.spec().fanout) {
            (Topology::Total, Fanout::Peers(k)) => {
                let k = (k as usize).min(n.saturating_sub(1) as usize);
                let mut len = 0;
                while len < k {
                    // Uniform over the others: draw in [0, n - 1) and skip this member.
                    let mut peer = ctx.rng().random_range(0..n - 1);
                    if peer >= me {
                        peer += 1;
                    }
                    if !out[..len].contains(&peer) {
                        out[len] = peer;
                        len += 1;
                    }
                }
                len
            }
            (Topology::Total, Fanout::All) => {
                unreachable!("fanout = \"all\" over the total view only floods on receipt")
            }
            (_, fanout) => {
                let mut len = topology.neighbours(n, me, out);
                if let Some(at) = except.and_then(|e| out[..len].iter().position(|&p| p == e)) {
                    // Left out, the others kept in order.
                    out.copy_within(at + 1..len, at);
                    len -= 1;
                }
                if let Fanout::Peers(k) = fanout {
                    // A uniform k-subset: a partial Fisher-Yates shuffle.
                    let k = (k as usize).min(len);
                    for i in 0..k {
                        let j = ctx.rng().random_range(i..len);
                        out.swap(i, j);
                    }
                    len = k;
                }
                len
            }
        }
    }

    /// Sends this member's hot rumours to member `peer` as pushes, one per block of 64 ids
    /// (the hot list is kept in id order, so a block is a run of it).
    fn push_to(&self, ctx: &mut Ctx<'_, Msg>, peer: u32) {
        let bytes = self.spec().rumour_bytes;
        for block in self.rumours.hot.chunk_by(|a, b| a.id / 64 == b.id / 64) {
            let base = block[0].id / 64 * 64;
            let mask = block.iter().fold(0u64, |m, h| m | 1 << (h.id - base));
            let hops = block.iter().map(|h| h.hops).min().unwrap_or(0);
            let msg = GossipMsg {
                kind: GossipKind::Push,
                hops: next_hop(hops),
                base,
                mask,
                rumour_bytes: bytes,
            };
            self.send(ctx, peer, msg);
        }
    }

    fn send(&self, ctx: &mut Ctx<'_, Msg>, peer: u32, msg: GossipMsg) {
        ctx.count(self.ids().messages, 1);
        ctx.send(self.node(peer), Msg::Gossip(msg));
    }

    /// One round: contact the round's peers, then let the stop rule age the hot rumours.
    fn round(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let mut peers = [0u32; NEIGHBOURS_MAX];
        let count = self.peers(ctx, None, &mut peers);
        let mode = self.spec().mode;
        for &peer in &peers[..count] {
            if mode.pushes() && !self.rumours.hot.is_empty() {
                self.push_to(ctx, peer);
            }
            if mode == Mode::AntiEntropy {
                self.send_digest(ctx, peer, GossipKind::Digest);
            }
            if mode.pulls() {
                let low = self.rumours.low();
                let msg = GossipMsg {
                    kind: GossipKind::PullRequest,
                    hops: 0,
                    base: low,
                    mask: self.rumours.known_from(low),
                    rumour_bytes: self.spec().rumour_bytes,
                };
                self.send(ctx, peer, msg);
            }
        }
        self.age(ctx);
    }

    /// Anti-entropy: deposits this member's digest in the run's log and sends its id to
    /// member `peer` (as `kind`: a round's digest, or the answer to one).
    fn send_digest(&self, ctx: &mut Ctx<'_, Msg>, peer: u32, kind: GossipKind) {
        let digest = self.rumours.digest();
        let words = digest.len() as u32;
        let id = self.log.lock().deposit(digest, ctx.now().as_nanos());
        let msg = GossipMsg {
            kind,
            hops: 0,
            base: words,
            mask: id,
            rumour_bytes: self.spec().rumour_bytes,
        };
        self.send(ctx, peer, msg);
    }

    /// Anti-entropy: sends member `peer` every rumour this member knows and `theirs` (the
    /// peer's digest) lacks, one message per block of 64 ids.
    fn send_missing(&self, ctx: &mut Ctx<'_, Msg>, peer: u32, theirs: &[u64]) {
        let bytes = self.spec().rumour_bytes;
        for (base, mask) in self.rumours.missing_from(theirs) {
            let msg = GossipMsg {
                kind: GossipKind::PullReply,
                hops: 1,
                base,
                mask,
                rumour_bytes: bytes,
            };
            self.send(ctx, peer, msg);
        }
    }

    /// The stop rule after a round (or a forward) that spread every hot rumour.
    fn age(&mut self, ctx: &mut Ctx<'_, Msg>) {
        match self.spec().stop {
            StopRule::Never | StopRule::Counter(_) => {}
            StopRule::Rounds(_) => {
                self.rumours.hot.retain_mut(|h| {
                    h.budget -= 1;
                    h.budget > 0
                });
            }
            StopRule::Ttl(_) => self.rumours.hot.clear(),
            StopRule::Coin(k) => {
                let rng = ctx.rng();
                self.rumours.hot.retain(|_| rng.random_range(0..k) != 0);
            }
        }
    }

    /// Records a learning and the thresholds it crossed.
    fn crossed(&self, ctx: &mut Ctx<'_, Msg>, crossed: Crossed) {
        let ids = self.ids();
        ctx.record(ids.after, crossed.since);
        for (id, _) in ids.reached.iter().zip(crossed.crossed).filter(|(_, c)| *c) {
            ctx.record(*id, crossed.since);
        }
        if let (true, Forwarding::Rounds { period, .. }) =
            (crossed.crossed[2], self.spec().forwarding)
        {
            ctx.record(ids.periods, crossed.since / period.as_nanos());
        }
    }

    /// This member learnt rumour `id` as a copy of `hops` hops (0: it created it) from
    /// member `from`: it becomes hot (if the stop rule spreads such a copy), and with
    /// forwarding on receipt it goes out at once.
    fn learnt(&mut self, ctx: &mut Ctx<'_, Msg>, id: u32, hops: u32, from: Option<u32>) {
        let stop = self.spec().stop;
        if !spreads(stop, hops) || self.spec().mode == Mode::AntiEntropy {
            // Anti-entropy spreads what is known, not a hot list.
            return;
        }
        match self.spec().forwarding {
            Forwarding::Rounds { .. } => {
                // In id order (rumours mostly arrive in it, so this is usually the end).
                let at = self.rumours.hot.partition_point(|h| h.id < id);
                let budget = initial_budget(stop);
                self.rumours.hot.insert(at, Hot { id, hops, budget });
                self.arm(ctx);
            }
            Forwarding::OnReceipt => {
                // Forwarded once, now, alone, so it never joins the hot list (the parser
                // allows only `never` and `ttl` with forwarding on receipt).
                let msg = GossipMsg {
                    kind: GossipKind::Push,
                    hops: next_hop(hops),
                    base: id / 64 * 64,
                    mask: 1 << (id % 64),
                    rumour_bytes: self.spec().rumour_bytes,
                };
                if (self.spec().topology, self.spec().fanout) == (Topology::Total, Fanout::All) {
                    // A flood to every other member (Maelstrom's `total`), skipping the
                    // sender.
                    let me = self.index;
                    for peer in (0..self.config.members).filter(|&p| p != me && Some(p) != from) {
                        self.send(ctx, peer, msg);
                    }
                    return;
                }
                let mut peers = [0u32; NEIGHBOURS_MAX];
                let count = self.peers(ctx, from, &mut peers);
                for &peer in &peers[..count] {
                    self.send(ctx, peer, msg);
                }
            }
        }
    }

    /// Rumours `mask` from `base` arrived from member `from` as copies of `hops` hops.
    fn receive(&mut self, ctx: &mut Ctx<'_, Msg>, from: u32, msg: GossipMsg) -> u64 {
        let mut redundant = 0u64;
        let mut bits = msg.mask;
        while bits != 0 {
            let i = bits.trailing_zeros();
            bits &= bits - 1;
            let id = msg.base + i;
            if self.rumours.learn(id) {
                ctx.count(self.ids().informed, 1);
                let crossed = self.log.lock().learnt(id, ctx.now().as_nanos());
                self.crossed(ctx, crossed);
                self.learnt(ctx, id, u32::from(msg.hops), Some(from));
            } else {
                redundant |= 1 << i;
            }
        }
        if redundant != 0 {
            ctx.count(self.ids().redundant, u64::from(redundant.count_ones()));
        }
        redundant
    }

    /// Sets the timers of the births still ahead (on a restart, strictly after now: one due
    /// now passed while the member was down) and arms the rounds.
    fn start(&mut self, ctx: &mut Ctx<'_, Msg>, restart: bool) {
        let now = ctx.now();
        for (i, (at, _)) in self.births.iter().enumerate() {
            if *at > now || (*at == now && !restart) {
                ctx.set_timer(at.saturating_since(now), TimerTag(TAG_BIRTH + i as u64));
            }
        }
        self.arm(ctx);
    }
}

impl Node for GossipNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.ids = Some(Ids {
            after: ctx.histogram_whole_run("gossip.informed_after", Unit::Nanoseconds),
            reached: ["50", "99", "all"].map(|share| {
                ctx.histogram(
                    &format!("gossip.time_to_informed.{share}"),
                    Unit::Nanoseconds,
                )
            }),
            periods: ctx.histogram_whole_run("gossip.periods_to_all", Unit::Count),
            rumours: ctx.counter("gossip.rumours"),
            informed: ctx.counter("gossip.informed"),
            redundant: ctx.counter("gossip.redundant"),
            messages: ctx.counter("gossip.messages"),
        });
        if let Forwarding::Rounds {
            period,
            random_phase: true,
        } = self.spec().forwarding
        {
            let mut rng = ctx.model_rng(0);
            self.phase = SimDuration::from_nanos(rng.random_range(0..period.as_nanos()));
        }
        self.start(ctx, false);
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.start(ctx, true);
    }

    fn on_crash(&mut self, _: &mut CrashCtx<'_>) {
        self.rumours.hot.clear();
        self.armed = false;
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        if tag.0 == TAG_ROUND {
            self.armed = false;
            self.round(ctx);
            self.arm(ctx);
            return;
        }
        let Some(&(_, id)) = self.births.get((tag.0 - TAG_BIRTH) as usize) else {
            return;
        };
        if self.rumours.learn(id) {
            ctx.count(self.ids().rumours, 1);
            ctx.count(self.ids().informed, 1);
            let crossed = self.log.lock().born(id, ctx.now().as_nanos());
            self.crossed(ctx, crossed);
            self.learnt(ctx, id, 0, None);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        let Msg::Gossip(msg) = msg else {
            return;
        };
        let from_index = from.0.wrapping_sub(self.config.first.0);
        if from_index >= self.config.members {
            return;
        }
        match msg.kind {
            GossipKind::Push => {
                let redundant = self.receive(ctx, from_index, msg);
                if redundant != 0 && matches!(self.spec().stop, StopRule::Counter(_)) {
                    let feedback = GossipMsg {
                        kind: GossipKind::Feedback,
                        mask: redundant,
                        ..msg
                    };
                    self.send(ctx, from_index, feedback);
                }
            }
            GossipKind::PullReply => {
                self.receive(ctx, from_index, msg);
            }
            GossipKind::PullRequest => {
                // The caller's window (from its first gap) if this member has hot rumours
                // it lacks there; else the block of this member's newest hot rumours, of
                // which the caller said nothing (so a member whose first gap will never
                // fill still hears of new rumours).
                let mut base = msg.base;
                let mut mask = self.rumours.hot_from(base, msg.mask);
                if mask == 0 {
                    if let Some(newest) = self.rumours.newest_hot_block() {
                        if newest >= msg.base.saturating_add(64) {
                            base = newest;
                            mask = self.rumours.hot_from(base, 0);
                        }
                    }
                }
                if mask != 0 {
                    let reply = GossipMsg {
                        kind: GossipKind::PullReply,
                        hops: next_hop(self.rumours.hot_hops(base, mask)),
                        base,
                        mask,
                        rumour_bytes: self.spec().rumour_bytes,
                    };
                    self.send(ctx, from_index, reply);
                }
            }
            GossipKind::Digest | GossipKind::DigestReply => {
                let Some(theirs) = self.log.lock().take_digest(msg.mask) else {
                    return;
                };
                self.send_missing(ctx, from_index, &theirs);
                if msg.kind == GossipKind::Digest {
                    self.send_digest(ctx, from_index, GossipKind::DigestReply);
                }
            }
            GossipKind::Feedback => {
                if let StopRule::Counter(_) = self.spec().stop {
                    self.rumours.hot.retain_mut(|h| {
                        if in_block(h.id, msg.base, msg.mask) {
                            h.budget -= 1;
                        }
                        h.budget > 0
                    });
                }
            }
        }
    }
}
