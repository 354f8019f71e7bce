//! Membership and failure detection: who in a group is alive, as each member sees it.
//!
//! Three families of detector, each a node in [`roles::membership`](crate::roles::membership)
//! over the plain data here:
//!
//! - **Heartbeat to all** ([`Detector::Heartbeat`]): every member sends every other member a
//!   heartbeat each period; a monitor judges each sender by a fixed timeout since its last
//!   heartbeat, or by **phi accrual** (Hayashibara, Défago, Yared, Katayama, "The φ Accrual
//!   Failure Detector", SRDS 2004; [`phi`]): suspicion φ = −log10 P(a heartbeat comes later
//!   than now), from a window of inter-arrival times, against a threshold.
//! - **Gossip heartbeat tables** ([`Detector::Tables`]; van Renesse, Minsky, Hayden, "A
//!   Gossip-Style Failure Detection Service", Middleware 1998): each member bumps its own
//!   counter and sends its whole table to one random member each period; receivers keep the
//!   larger counter; a member whose counter has not grown for `fail` is declared dead.
//! - **SWIM** ([`Detector::Swim`]; Das, Gupta, Motivala, DSN 2002): each period a member
//!   pings one member, and on no ack asks `k` others to ping it (ping-req); a member no one
//!   reached is *suspected*, and declared dead (confirmed) if it does not refute within the
//!   suspicion timeout by raising its *incarnation*; every change rides on the protocol's own
//!   messages (piggybacking, infection style). Options from memberlist (HashiCorp) and
//!   Lifeguard (Dadgar, Phillips, Currey, "Lifeguard: Local Health Awareness for More
//!   Accurate Failure Detection", 2018): round-robin probe order, the local health multiplier
//!   that slows a member's own probing while it misses acks, a ping that carries the
//!   suspicion about its target (so the target can refute at once), reconnection pings to
//!   members held dead (Serf's reconnect, so a healed partition merges again), and
//!   memberlist's periodic push-pull, a full exchange of two members' views.
//!
//! **Views** are per member: SWIM's live in [`Views`], one byte per (viewer, member) pair,
//! stored member-major so the pages of members nobody ever doubted stay untouched (zero
//! pages); the heartbeat detectors keep per-sender state in their nodes. What really
//! happened (crashes, restarts) and what members concluded meet in the run's
//! [`detection`] log, which measures detection time, false positives and convergence from
//! outside the members.

pub mod detection;
pub mod phi;

use sim_core::SimDuration;

/// Which detector a group runs.
#[derive(Clone, Debug)]
pub enum Detector {
    /// Heartbeats from every member to every other, judged by [`Judge`].
    Heartbeat(HeartbeatSpec),
    /// Gossip-style heartbeat tables.
    Tables(TablesSpec),
    /// SWIM.
    Swim(SwimSpec),
}

impl Detector {
    /// The detector's name in scenario files and findings.
    pub fn name(&self) -> &'static str {
        match self {
            Detector::Heartbeat(HeartbeatSpec {
                judge: Judge::Timeout(_),
                ..
            }) => "heartbeat",
            Detector::Heartbeat(HeartbeatSpec {
                judge: Judge::Phi(_),
                ..
            }) => "phi",
            Detector::Tables(_) => "gossip-heartbeat",
            Detector::Swim(_) => "swim",
        }
    }

    /// The period members send in (a heartbeat, a table, a probe).
    pub fn period(&self) -> SimDuration {
        match self {
            Detector::Heartbeat(h) => h.period,
            Detector::Tables(t) => t.period,
            Detector::Swim(s) => s.period,
        }
    }
}

/// Heartbeat-to-all.
#[derive(Clone, Debug)]
pub struct HeartbeatSpec {
    /// Between a member's heartbeats (plus `jitter`).
    pub period: SimDuration,
    /// Added to each interval, if set (a sender's scheduling noise).
    pub jitter: Option<sim_core::Distribution>,
    /// How a monitor judges a sender.
    pub judge: Judge,
}

/// How a heartbeat monitor decides a sender is dead.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Judge {
    /// No heartbeat for this long.
    Timeout(SimDuration),
    /// φ reaches the threshold.
    Phi(phi::PhiSpec),
}

/// Gossip heartbeat tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TablesSpec {
    /// Between a member's gossips (each to one random member).
    pub period: SimDuration,
    /// A counter that has not grown for this long is declared dead (van Renesse's
    /// T_fail).
    pub fail: SimDuration,
}

/// SWIM's parameters (defaults: memberlist's LAN configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwimSpec {
    /// The protocol period T′ (memberlist ProbeInterval, 1 s).
    pub period: SimDuration,
    /// How long a direct ping waits for its ack before ping-req (ProbeTimeout, 500 ms).
    pub ack_timeout: SimDuration,
    /// Members asked to ping the target on a missed ack, k (IndirectChecks, 3).
    pub indirect: u32,
    /// How long a suspicion waits for a refutation before it is confirmed; `None`: no
    /// suspicion, a failed probe declares the target dead (SWIM's basic protocol, §3).
    pub suspicion: Option<SimDuration>,
    /// The order a member probes the others in.
    pub probe: ProbeOrder,
    /// Lifeguard's local health multiplier: at most this many extra periods (0: off).
    pub health_max: u32,
    /// Membership updates one message carries at most.
    pub piggyback: u32,
    /// How many messages a member piggybacks one update on.
    pub retransmits: u32,
    /// Every this long, a member pings one member it holds dead (`None`: never).
    pub reconnect: Option<SimDuration>,
    /// Every this long, a member exchanges its whole view with one member (memberlist's
    /// push-pull; `None`: never). A restarted member does it once on rejoining either way.
    pub push_pull: Option<SimDuration>,
}

/// memberlist's push-pull interval for a group of `n`: `interval` up to 32 members, then
/// times `ceil(log2 n − log2 32) + 1` (`pushPullScale`), so the exchanges a member takes part
/// in do not grow with the group.
pub fn push_pull_interval(interval: SimDuration, n: u32) -> SimDuration {
    if n <= 32 {
        return interval;
    }
    let multiplier = (f64::from(n).log2() - 5.0).ceil() + 1.0;
    SimDuration::from_nanos((interval.as_nanos() as f64 * multiplier) as u64)
}

/// How a SWIM member picks its probe targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeOrder {
    /// A uniform draw among the others each period (SWIM §3, the analysed protocol).
    Random,
    /// Every other member once per cycle, in a fresh random order each cycle (SWIM §4.3;
    /// memberlist): time-bounded completeness.
    RoundRobin,
}

/// memberlist's suspicion timeout: `mult × max(1, log10 n) × period`.
pub fn suspicion_timeout(mult: u32, n: u32, period: SimDuration) -> SimDuration {
    let scale = f64::from(n.max(1)).log10().max(1.0);
    SimDuration::from_nanos((f64::from(mult) * scale * period.as_nanos() as f64).round() as u64)
}

/// memberlist's retransmit limit: `mult × ceil(log10(n + 1))`.
pub fn retransmit_limit(mult: u32, n: u32) -> u32 {
    mult * (f64::from(n) + 1.0).log10().ceil().max(1.0) as u32
}

/// A member's state in a view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Status {
    /// Alive.
    Alive = 0,
    /// Suspected: will be declared dead unless it refutes.
    Suspect = 1,
    /// Declared dead (SWIM's confirm).
    Dead = 2,
    /// Left the group, or not joined yet: not probed, and not a failure.
    Left = 3,
}

impl Status {
    fn from_bits(bits: u8) -> Status {
        match bits & 3 {
            0 => Status::Alive,
            1 => Status::Suspect,
            2 => Status::Dead,
            _ => Status::Left,
        }
    }

    /// Whether a member held so is out of the group (dead or left): not probed.
    pub fn is_out(self) -> bool {
        matches!(self, Status::Dead | Status::Left)
    }
}

/// A membership update as messages carry it: member, incarnation and status in one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Update {
    /// The member (index in the group) it is about.
    pub member: u32,
    /// Its incarnation: only its low six bits count (views hold those and compare them in
    /// serial arithmetic, [`compare_incarnation`]); a member's own counter is a full `u32`.
    pub incarnation: u32,
    /// What it says.
    pub status: Status,
}

/// Bits of an incarnation an [`Update`] packs.
const INCARNATION_BITS: u32 = 30;

impl Update {
    /// The packed word.
    pub fn pack(self) -> u64 {
        let incarnation = self.incarnation & ((1 << INCARNATION_BITS) - 1);
        u64::from(self.member)
            | u64::from(incarnation) << 32
            | (self.status as u64) << (32 + INCARNATION_BITS)
    }

    /// From a packed word.
    pub fn unpack(word: u64) -> Update {
        Update {
            member: word as u32,
            incarnation: (word >> 32) as u32 & ((1 << INCARNATION_BITS) - 1),
            status: Status::from_bits((word >> (32 + INCARNATION_BITS)) as u8),
        }
    }
}

/// Bits of an incarnation a view keeps (its low bits, compared in serial-number arithmetic).
const VIEW_INCARNATION_BITS: u32 = 6;
const VIEW_INCARNATION_MASK: u8 = (1 << VIEW_INCARNATION_BITS) - 1;

/// How an incarnation compares with the low bits a view holds, in serial-number arithmetic
/// (RFC 1982): exact while the two are fewer than 32 apart.
pub fn compare_incarnation(incarnation: u32, held: u8) -> std::cmp::Ordering {
    let diff = (incarnation as u8).wrapping_sub(held) & VIEW_INCARNATION_MASK;
    match diff {
        0 => std::cmp::Ordering::Equal,
        d if d < 1 << (VIEW_INCARNATION_BITS - 1) => std::cmp::Ordering::Greater,
        _ => std::cmp::Ordering::Less,
    }
}

/// Whether `update` changes an entry `(status, held incarnation)`, by SWIM's precedence
/// (§4.2, with memberlist's resurrection of a dead member by a newer alive):
/// - alive(i) overrides alive or suspect of an older incarnation, and dead of an older one;
/// - suspect(i) overrides alive of the same or an older incarnation, and suspect of an
///   older one;
/// - dead(i) and left(i) override alive or suspect of the same or an older incarnation.
pub fn overrides(update: Update, status: Status, held: u8) -> bool {
    use std::cmp::Ordering::{Equal, Greater};
    let order = compare_incarnation(update.incarnation, held);
    match update.status {
        Status::Alive => order == Greater,
        Status::Suspect => match status {
            Status::Alive => matches!(order, Equal | Greater),
            Status::Suspect => order == Greater,
            Status::Dead | Status::Left => false,
        },
        Status::Dead | Status::Left => match status {
            Status::Alive | Status::Suspect => matches!(order, Equal | Greater),
            Status::Dead | Status::Left => false,
        },
    }
}

/// Every member's view of every member of one group: one byte per pair (status in the top
/// two bits, the incarnation's low six below), member-major, so an entry nobody changed is
/// a zero byte on a page the allocator never touched.
///
/// A bit per member marks the columns any viewer ever changed, so reading an entry of a
/// member nobody doubted touches no page of the matrix at all (a read of an untouched page
/// would still map it and cost a page fault).
#[derive(Debug)]
pub struct Views {
    members: u32,
    entries: Vec<u8>,
    /// Bit `m`: some viewer's entry of member `m` changed.
    touched: Vec<u64>,
}

/// The most members a SWIM group may have: its views take members² bytes (2^17 members:
/// 16 GiB of address space, of which a run touches the pages of members that were ever
/// doubted).
pub const VIEWS_MEMBERS_MAX: u32 = 1 << 17;

impl Views {
    /// Views of a group of `members`, in which the first `initial` are alive at incarnation
    /// 0 and the others have not joined (held left).
    pub fn new(members: u32, initial: u32) -> Self {
        assert!(members <= VIEWS_MEMBERS_MAX, "checked by the parser");
        assert!(initial <= members);
        let mut views = Views {
            members,
            entries: vec![0; members as usize * members as usize],
            touched: vec![0; (members as usize).div_ceil(64)],
        };
        for member in initial..members {
            for viewer in 0..members {
                views.set(viewer, member, Status::Left, 0);
            }
        }
        views
    }

    fn at(&self, viewer: u32, member: u32) -> usize {
        debug_assert!(viewer < self.members);
        debug_assert!(member < self.members);
        member as usize * self.members as usize + viewer as usize
    }

    /// What `viewer` holds of `member`: its status and incarnation's low bits.
    pub fn get(&self, viewer: u32, member: u32) -> (Status, u8) {
        if self.touched[member as usize / 64] & 1 << (member % 64) == 0 {
            return (Status::Alive, 0);
        }
        let byte = self.entries[self.at(viewer, member)];
        (
            Status::from_bits(byte >> VIEW_INCARNATION_BITS),
            byte & VIEW_INCARNATION_MASK,
        )
    }

    /// `viewer` now holds `member` as `status` at `incarnation`.
    pub fn set(&mut self, viewer: u32, member: u32, status: Status, incarnation: u32) {
        self.touched[member as usize / 64] |= 1 << (member % 64);
        let at = self.at(viewer, member);
        self.entries[at] =
            (status as u8) << VIEW_INCARNATION_BITS | (incarnation as u8 & VIEW_INCARNATION_MASK);
    }

    /// A push-pull between `a` and `b`: each view takes what the other holds of every member
    /// where that overrides its own (SWIM's precedence), except of the two themselves (each
    /// refutes what is said of it). Only members somebody's view ever changed are visited
    /// (the others are alive at 0 in every view). Calls `changed(viewer, member, before,
    /// now)` for every entry that changed.
    pub fn merge(&mut self, a: u32, b: u32, mut changed: impl FnMut(u32, u32, Status, Status)) {
        for word in 0..self.touched.len() {
            let mut bits = self.touched[word];
            while bits != 0 {
                let member = word as u32 * 64 + bits.trailing_zeros();
                bits &= bits - 1;
                if member == a || member == b {
                    continue;
                }
                let (status_a, held_a) = self.get(a, member);
                let (status_b, held_b) = self.get(b, member);
                let from = |status, held: u8| Update {
                    member,
                    incarnation: u32::from(held),
                    status,
                };
                if let Some(before) = self.apply(a, from(status_b, held_b)) {
                    changed(a, member, before, status_b);
                } else if let Some(before) = self.apply(b, from(status_a, held_a)) {
                    changed(b, member, before, status_a);
                }
            }
        }
    }

    /// Applies `update` to `viewer`'s view if it overrides what is held; returns the status
    /// it replaced when it did.
    pub fn apply(&mut self, viewer: u32, update: Update) -> Option<Status> {
        let (status, held) = self.get(viewer, update.member);
        if !overrides(update, status, held) {
            return None;
        }
        self.set(viewer, update.member, update.status, update.incarnation);
        Some(status)
    }
}

/// One member's queue of updates to piggyback (after memberlist's transmit-limited queue):
/// each goes out on at most `limit` messages; the newest goes first, and a message takes
/// the front of the queue and sends it to the back, so the rest share the messages in
/// turn (memberlist sends the fewest-sent first, which is the same order while updates
/// arrive one at a time). A newer update about a member replaces the queued one; when full,
/// the oldest makes room.
///
/// One contiguous ring per member (cache misses are what a 100k-member run pays for).
#[derive(Clone, Debug, Default)]
pub struct Piggyback {
    /// (packed update, times sent), in sending order.
    entries: std::collections::VecDeque<(u64, u32)>,
    /// Bit `bit(m)` set for every queued member `m` (and maybe stale others): a push about
    /// a member whose bit is clear needs no search (1,024 bits: a full queue of 256 still
    /// leaves most clear).
    members: [u64; FILTER_WORDS],
}

/// Words of a queue's member filter.
const FILTER_WORDS: usize = 16;

/// Updates one message carries at most.
pub const PIGGYBACK_MAX: usize = 16;

/// Updates a member keeps queued at most.
pub const PIGGYBACK_QUEUE_MAX: usize = 256;

impl Piggyback {
    /// The filter word and bit of `member`.
    fn bit(member: u32) -> (usize, u64) {
        let hash = member.wrapping_mul(0x9E37_79B9) >> 22;
        ((hash >> 6) as usize, 1 << (hash & 63))
    }

    fn refresh_members(&mut self) {
        self.members = [0; FILTER_WORDS];
        for (word, _) in &self.entries {
            let (at, bit) = Self::bit(*word as u32);
            self.members[at] |= bit;
        }
    }

    /// Queues `update` at the front, replacing one about the same member.
    pub fn push(&mut self, update: Update) {
        let (at, bit) = Self::bit(update.member);
        if self.members[at] & bit != 0 {
            if let Some(i) = self
                .entries
                .iter()
                .position(|(w, _)| *w as u32 == update.member)
            {
                self.entries.remove(i);
            }
        }
        if self.entries.len() >= PIGGYBACK_QUEUE_MAX {
            self.entries.pop_back();
            self.refresh_members();
        }
        self.entries.push_front((update.pack(), 0));
        self.members[at] |= bit;
    }

    /// Up to `max` updates for one message, into `out`, from the front; each sent `limit`
    /// times leaves the queue. `first`, if given, goes first (what the sender holds of the
    /// message's own target, so a suspected member hears of it at once: Lifeguard's buddy
    /// system).
    pub fn take(&mut self, max: usize, limit: u32, first: Option<u64>, out: &mut Vec<u64>) {
        out.clear();
        out.extend(first);
        let max = max.min(PIGGYBACK_MAX);
        let count = max.saturating_sub(out.len()).min(self.entries.len());
        if count == 0 {
            return;
        }
        let mut retired = false;
        for entry in self.entries.range_mut(..count) {
            if Some(entry.0) != first {
                out.push(entry.0);
            }
            entry.1 += 1;
            retired |= entry.1 >= limit;
        }
        self.entries.rotate_left(count);
        if retired {
            self.entries.retain(|(_, sent)| *sent < limit);
            self.refresh_members();
        }
    }

    /// Queued updates.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Nothing queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets everything (a crash).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.members = [0; FILTER_WORDS];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(member: u32, incarnation: u32, status: Status) -> Update {
        Update {
            member,
            incarnation,
            status,
        }
    }

    // Goal: packing keeps every field.
    #[test]
    fn updates_pack_and_unpack() {
        for u in [
            update(0, 0, Status::Alive),
            update(u32::MAX, (1 << 30) - 1, Status::Dead),
            update(77, 5, Status::Suspect),
        ] {
            assert_eq!(Update::unpack(u.pack()), u);
        }
    }

    // Goal: SWIM's precedence, case by case, and serial arithmetic across the wrap of the
    // view's six bits.
    #[test]
    fn precedence_follows_swim() {
        use Status::*;
        let cases = [
            (update(1, 1, Alive), Alive, 0, true),
            (update(1, 0, Alive), Alive, 0, false),
            (update(1, 0, Alive), Suspect, 0, false),
            (update(1, 1, Alive), Suspect, 0, true),
            (update(1, 1, Alive), Dead, 0, true),
            (update(1, 0, Suspect), Alive, 0, true),
            (update(1, 0, Suspect), Alive, 1, false),
            (update(1, 0, Suspect), Suspect, 0, false),
            (update(1, 0, Suspect), Dead, 0, false),
            (update(1, 0, Dead), Suspect, 0, true),
            (update(1, 0, Dead), Alive, 1, false),
            (update(1, 0, Dead), Dead, 0, false),
            (update(1, 0, Left), Alive, 0, true),
            (update(1, 0, Dead), Left, 0, false),
            (update(1, 1, Alive), Left, 0, true),
            // 64 is 0 in six bits, one past 63.
            (update(1, 64, Alive), Alive, 63, true),
            (update(1, 63, Alive), Alive, 0, false),
        ];
        for (u, status, held, expect) in cases {
            assert_eq!(
                overrides(u, status, held),
                expect,
                "{u:?} over {status:?}@{held}"
            );
        }
    }

    // Goal: a view entry round-trips, and untouched entries read alive at 0.
    #[test]
    fn views_hold_entries_per_viewer() {
        let mut views = Views::new(5, 5);
        assert_eq!(views.get(3, 4), (Status::Alive, 0));
        assert_eq!(
            views.apply(3, update(4, 2, Status::Suspect)),
            Some(Status::Alive)
        );
        assert_eq!(views.get(3, 4), (Status::Suspect, 2));
        assert_eq!(views.get(2, 4), (Status::Alive, 0));
        assert_eq!(views.apply(3, update(4, 1, Status::Alive)), None);
    }

    // Goal: the queue sends the newest first and the rest in turn, retires an update after
    // `limit` sends, and a newer update about a member replaces the older.
    #[test]
    fn piggyback_rotates_and_retires() {
        let mut queue = Piggyback::default();
        let mut out = Vec::new();
        queue.push(update(1, 0, Status::Suspect));
        queue.push(update(2, 0, Status::Suspect));
        queue.take(1, 2, None, &mut out);
        assert_eq!(Update::unpack(out[0]).member, 2);
        queue.take(1, 2, None, &mut out);
        assert_eq!(Update::unpack(out[0]).member, 1);
        queue.take(2, 2, None, &mut out);
        assert_eq!(out.len(), 2);
        assert!(queue.is_empty());
        queue.push(update(3, 0, Status::Suspect));
        queue.push(update(3, 1, Status::Alive));
        assert_eq!(queue.len(), 1);
        let buddy = update(9, 4, Status::Dead).pack();
        queue.take(4, 9, Some(buddy), &mut out);
        assert_eq!(out, [buddy, update(3, 1, Status::Alive).pack()]);
    }

    // Goal: memberlist's formulas: 4 × max(1, log10 1000) × 1 s = 12 s; 4 × ceil(log10 101)
    // = 12.
    #[test]
    fn memberlist_formulas() {
        assert_eq!(
            suspicion_timeout(4, 1000, SimDuration::from_secs(1)),
            SimDuration::from_secs(12)
        );
        assert_eq!(
            suspicion_timeout(4, 5, SimDuration::from_secs(1)),
            SimDuration::from_secs(4)
        );
        assert_eq!(retransmit_limit(4, 100), 12);
        // 100 000 members: ceil(16.6 - 5) + 1 = 13 times 30 s.
        assert_eq!(
            push_pull_interval(SimDuration::from_secs(30), 100_000),
            SimDuration::from_secs(390)
        );
    }

    // Goal: a push-pull leaves both views with the stronger entry of each member, and
    // leaves the two members' entries of each other alone.
    #[test]
    fn merge_takes_the_stronger_entry() {
        let mut views = Views::new(4, 4);
        views.set(0, 2, Status::Dead, 0);
        views.set(1, 3, Status::Alive, 5);
        views.set(1, 0, Status::Suspect, 0);
        let mut changes = Vec::new();
        views.merge(0, 1, |viewer, member, _, now| {
            changes.push((viewer, member, now))
        });
        assert_eq!(views.get(1, 2), (Status::Dead, 0));
        assert_eq!(views.get(0, 3), (Status::Alive, 5));
        assert_eq!(views.get(0, 0), (Status::Alive, 0));
        assert_eq!(changes, [(1, 2, Status::Dead), (0, 3, Status::Alive)]);
    }
}
