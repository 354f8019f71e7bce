//! The detection log of one run: what really happened to each member (crashes, restarts)
//! beside what members concluded (suspicions, declarations, views that hold a member dead),
//! kept outside the nodes, so detection time, false positives and convergence are measured
//! exactly whatever the detector.
//!
//! Also here, because a membership group's nodes share them: SWIM's [`Views`], the
//! piggybacked updates in flight ([`UpdateArena`]) and gossip heartbeat tables in flight
//! (a [`Board`]).
//!
//! Memory: 24 bytes per member and 16 per crash, the views (members² bytes, SWIM only), and the arena (8 bytes
//! per slot, 32 slots per member).

use super::Views;
use crate::gossip::tracker::{Board, Shared};

/// One member's truth and what the group made of its current crash.
#[derive(Clone, Copy, Debug, Default)]
struct Truth {
    down: bool,
    /// Not a member (not joined yet, or left): nothing concluded about it is judged.
    out: bool,
    /// The current (or last) crash, ns.
    crashed_at: u64,
    /// Since when it is up (ns), while up.
    up_since: u64,
    suspected: bool,
    declared: bool,
    /// Views that hold it dead during this crash.
    holders: u32,
    converged: bool,
}

/// What a conclusion about a member was, judged against the truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The member is up: a false positive.
    False,
    /// The first such conclusion about this crash, this long (ns) after it.
    First(u64),
    /// Right, but someone concluded it earlier.
    Later,
    /// The member is up, but was down for part of the evidence (it restarted after the
    /// evidence began), or it is not a member (left, or not joined): neither a false
    /// positive nor a detection.
    Stale,
}

/// The log.
#[derive(Clone, Debug)]
pub struct DetectionLog {
    truth: Vec<Truth>,
    up: u32,
    /// Up intervals (ns) that a crash ended.
    closed: Vec<(u64, u64)>,
    crashes: u64,
}

impl DetectionLog {
    /// A log of `members`, up from time 0, of which the first `initial` are members.
    pub fn new(members: u32, initial: u32) -> Self {
        let mut truth = vec![Truth::default(); members as usize];
        for t in &mut truth[initial as usize..] {
            t.out = true;
        }
        DetectionLog {
            truth,
            up: initial,
            closed: Vec::new(),
            crashes: 0,
        }
    }

    /// Whether `truth` counts as a member that is up.
    fn counted(truth: &Truth) -> bool {
        !truth.down && !truth.out
    }

    /// Member `member` crashed at `now`.
    pub fn crashed(&mut self, member: u32, now: u64) {
        let truth = &mut self.truth[member as usize];
        assert!(!truth.down, "a down member does not crash again");
        if truth.out {
            truth.down = true;
            return;
        }
        self.closed.push((truth.up_since, now));
        *truth = Truth {
            down: true,
            crashed_at: now,
            ..Truth::default()
        };
        self.up -= 1;
        self.crashes += 1;
    }

    /// Member `member` restarted at `now`.
    pub fn restarted(&mut self, member: u32, now: u64) {
        let truth = &mut self.truth[member as usize];
        assert!(truth.down, "only a down member restarts");
        truth.down = false;
        truth.up_since = now;
        if !truth.out {
            self.up += 1;
        }
    }

    /// Member `member` left the group at `now` (gracefully: what is concluded of it from now
    /// on is not judged).
    pub fn left(&mut self, member: u32, now: u64) {
        let truth = &mut self.truth[member as usize];
        if truth.out {
            return;
        }
        if Self::counted(truth) {
            self.closed.push((truth.up_since, now));
            self.up -= 1;
        }
        truth.out = true;
    }

    /// Member `member` joined the group at `now`.
    pub fn joined(&mut self, member: u32, now: u64) {
        let truth = &mut self.truth[member as usize];
        if !truth.out {
            return;
        }
        *truth = Truth {
            down: truth.down,
            up_since: now,
            ..Truth::default()
        };
        if !truth.down {
            self.up += 1;
        }
    }

    /// Whether `member` is down.
    pub fn is_down(&self, member: u32) -> bool {
        self.truth[member as usize].down
    }

    fn judge(
        truth: &mut Truth,
        since: u64,
        now: u64,
        first: fn(&mut Truth) -> &mut bool,
    ) -> Verdict {
        if truth.out {
            return Verdict::Stale;
        }
        if !truth.down {
            return if truth.up_since > since {
                Verdict::Stale
            } else {
                Verdict::False
            };
        }
        let seen = first(truth);
        if *seen {
            return Verdict::Later;
        }
        *seen = true;
        Verdict::First(now - truth.crashed_at)
    }

    /// A member suspected `member` at `now` (its own conclusion, not one it heard) from
    /// evidence gathered since `since` (a probe's start).
    pub fn suspected(&mut self, member: u32, since: u64, now: u64) -> Verdict {
        Self::judge(&mut self.truth[member as usize], since, now, |t| {
            &mut t.suspected
        })
    }

    /// A member declared `member` dead at `now` (its own conclusion) from evidence gathered
    /// since `since` (the probe that raised the suspicion, the last heartbeat).
    pub fn declared(&mut self, member: u32, since: u64, now: u64) -> Verdict {
        Self::judge(&mut self.truth[member as usize], since, now, |t| {
            &mut t.declared
        })
    }

    /// One more view holds `member` dead at `now`; when that makes every other member that
    /// is up hold it dead, for the first time in this crash, how long after the crash.
    pub fn held_dead(&mut self, member: u32, now: u64) -> Option<u64> {
        let up_others = self.up;
        let truth = &mut self.truth[member as usize];
        if !truth.down || truth.out || truth.converged {
            return None;
        }
        truth.holders += 1;
        if truth.holders < up_others {
            return None;
        }
        truth.converged = true;
        Some(now - truth.crashed_at)
    }

    /// Member-seconds up between `from` and `end` (ns), over all members.
    pub fn up_seconds(&self, from: u64, end: u64) -> f64 {
        let overlap =
            |(start, stop): (u64, u64)| u128::from(stop.min(end).saturating_sub(start.max(from)));
        let open: u128 = self
            .truth
            .iter()
            .filter(|t| Self::counted(t))
            .map(|t| overlap((t.up_since, end)))
            .sum();
        let closed: u128 = self.closed.iter().map(|&interval| overlap(interval)).sum();
        (closed + open) as f64 / 1e9
    }

    /// Crashes so far.
    pub fn crashes(&self) -> u64 {
        self.crashes
    }

    /// Members down at the end that no member declared dead.
    pub fn undetected(&self) -> u64 {
        self.truth
            .iter()
            .filter(|t| t.down && !t.out && !t.declared)
            .count() as u64
    }

    /// Members down at the end that some member's view still does not hold dead.
    pub fn unconverged(&self) -> u64 {
        self.truth
            .iter()
            .filter(|t| t.down && !t.out && !t.converged)
            .count() as u64
    }
}

/// Piggybacked updates in flight: a ring of packed updates that a message names by its
/// first slot and count (so messages stay plain data). A message still in flight after the
/// ring came round again finds its slots overwritten and delivers no updates (counted);
/// the ring holds 32 updates per member, many periods of traffic.
#[derive(Clone, Debug)]
pub struct UpdateArena {
    slots: Vec<u64>,
    written: u64,
}

impl UpdateArena {
    /// A ring for a group of `members`.
    pub fn new(members: u32) -> Self {
        let slots = (u64::from(members) * 32).max(1 << 12).next_power_of_two() as usize;
        UpdateArena {
            slots: vec![0; slots],
            written: 0,
        }
    }

    /// Stores `updates`; returns the first slot's absolute index.
    pub fn put(&mut self, updates: &[u64]) -> u64 {
        let at = self.written;
        let mask = self.slots.len() as u64 - 1;
        for (i, word) in updates.iter().enumerate() {
            self.slots[((at + i as u64) & mask) as usize] = *word;
        }
        self.written += updates.len() as u64;
        at
    }

    /// The `count` updates stored at `at`, into `out`; `false` when they were overwritten.
    pub fn get(&self, at: u64, count: usize, out: &mut Vec<u64>) -> bool {
        out.clear();
        let end = at + count as u64;
        debug_assert!(end <= self.written);
        if self.written - at > self.slots.len() as u64 {
            return false;
        }
        let mask = self.slots.len() as u64 - 1;
        out.extend((at..end).map(|i| self.slots[(i & mask) as usize]));
        true
    }
}

/// What a membership group's nodes share in one run.
#[derive(Debug)]
pub struct MembershipRun {
    /// Per member, whether the scenario wants it in the group now (`join` and `leave`
    /// faults set it; the member acts at its next period).
    pub wanted: Vec<bool>,
    /// The truth and the conclusions.
    pub log: DetectionLog,
    /// SWIM's views (`None` for the heartbeat detectors, whose monitors keep their own).
    pub views: Option<Views>,
    /// Piggybacked updates in flight.
    pub arena: UpdateArena,
    /// Gossip heartbeat tables in flight.
    pub tables: Board<Vec<u32>>,
}

/// One run's membership state, shared by the group's nodes.
pub type SharedMembership = Shared<MembershipRun>;

impl SharedMembership {
    /// Fresh state for a group of `members`, the first `initial` of them in the group; with
    /// `views` for SWIM.
    pub fn new(members: u32, initial: u32, views: bool) -> Self {
        Shared::of(MembershipRun {
            wanted: (0..members).map(|m| m < initial).collect(),
            log: DetectionLog::new(members, initial),
            views: views.then(|| Views::new(members, initial)),
            arena: UpdateArena::new(members),
            tables: Board::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: verdicts judge against the truth (false while up, first once per crash, later
    // after), convergence needs every up member's view, and up-time excludes downtime.
    #[test]
    fn verdicts_and_convergence() {
        let mut log = DetectionLog::new(4, 4);
        assert_eq!(log.declared(2, 0, 10), Verdict::False);
        log.crashed(2, 100);
        assert_eq!(log.suspected(2, 140, 150), Verdict::First(50));
        assert_eq!(log.declared(2, 140, 400), Verdict::First(300));
        assert_eq!(log.declared(2, 140, 500), Verdict::Later);
        assert_eq!(log.held_dead(2, 400), None);
        assert_eq!(log.held_dead(2, 450), None);
        assert_eq!(log.held_dead(2, 700), Some(600));
        assert_eq!(log.held_dead(2, 800), None);
        log.restarted(2, 1_000);
        assert_eq!(log.suspected(2, 1_000, 1_100), Verdict::False);
        // Evidence from before the restart: the member was down during it.
        assert_eq!(log.suspected(2, 990, 1_100), Verdict::Stale);
        // 4 members × 2000 ns, less member 2's 900 ns down.
        assert!((log.up_seconds(0, 2_000) - 7_100e-9).abs() < 1e-15);
        // From 500: member 2 is up 1000..2000 only.
        assert!((log.up_seconds(500, 2_000) - 5_500e-9).abs() < 1e-15);
        log.crashed(1, 1_500);
        assert_eq!((log.undetected(), log.unconverged()), (1, 1));
        // A member that left is not judged, and does not count towards convergence.
        log.left(3, 1_600);
        assert_eq!(log.declared(3, 1_600, 1_700), Verdict::Stale);
        log.crashed(0, 1_800);
        assert_eq!(log.held_dead(0, 1_900), Some(100));
        // Member 4 of a group of 5 with 4 initial members is out until it joins.
        let mut log = DetectionLog::new(5, 4);
        assert_eq!(log.declared(4, 0, 10), Verdict::Stale);
        log.joined(4, 100);
        assert_eq!(log.declared(4, 100, 200), Verdict::False);
    }

    // Goal: the ring returns what was stored until it has come round, then refuses.
    #[test]
    fn arena_refuses_overwritten_slots() {
        let mut arena = UpdateArena::new(1);
        let mut out = Vec::new();
        let at = arena.put(&[7, 8, 9]);
        assert!(arena.get(at, 3, &mut out));
        assert_eq!(out, [7, 8, 9]);
        for _ in 0..(1 << 12) {
            arena.put(&[1]);
        }
        assert!(!arena.get(at, 3, &mut out));
    }
}
