//! The dissemination log of one run: when each rumour was born, how many members knew it
//! and when 50 %, 99 % and all of the group first did — kept outside the nodes, which only
//! report "I learnt rumour r now", so coverage, residue and the time to reach them are
//! measured exactly, whatever the protocol.
//!
//! Memory: 72 bytes per rumour; nothing per member; and the anti-entropy digests in flight
//! (a bitmap of the rumours each sender knows), which messages name by id.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The coverage thresholds whose crossing times are kept, in percent.
pub const THRESHOLDS: [u64; 3] = [50, 99, 100];

/// One rumour's spread.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RumourSpread {
    /// Its birth (ns), once born.
    pub born: Option<u64>,
    /// Members that know it.
    pub informed: u32,
    /// Per [`THRESHOLDS`] entry: ns after birth when that share of the members first knew
    /// it.
    pub reached: [Option<u64>; 3],
}

/// When a learning happened after the rumour's birth, and which [`THRESHOLDS`] it crossed
/// (each crossed at `since`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Crossed {
    /// ns after the rumour's birth.
    pub since: u64,
    /// Per [`THRESHOLDS`] entry: this learning took the rumour to that share.
    pub crossed: [bool; 3],
}

/// The log.
#[derive(Clone, Debug)]
pub struct DisseminationLog {
    members: u32,
    rumours: Vec<RumourSpread>,
    /// Anti-entropy digests in flight (the sender's known bitmap).
    digests: Board<Vec<u64>>,
}

/// A payload not taken this long (ns) after it was deposited belongs to a message that was
/// lost (a crash, a partition): it is dropped at the next deposit.
pub const DIGEST_LIFETIME_NS: u64 = 60_000_000_000;

/// Payloads too large for a message (a digest, a heartbeat table), kept by id for the
/// message that names them, so messages stay plain data; the receiver takes its payload
/// out, and one never taken (its message was lost) is dropped [`DIGEST_LIFETIME_NS`] after
/// its deposit.
#[derive(Clone, Debug)]
pub struct Board<T> {
    /// By id: (deposited at, payload).
    payloads: BTreeMap<u64, (u64, T)>,
    next: u64,
}

impl<T> Default for Board<T> {
    fn default() -> Self {
        Board {
            payloads: BTreeMap::new(),
            next: 0,
        }
    }
}

impl<T> Board<T> {
    /// Keeps `payload` for the message that carries the returned id; first drops payloads
    /// older than [`DIGEST_LIFETIME_NS`].
    pub fn deposit(&mut self, payload: T, at: u64) -> u64 {
        while let Some((&id, &(since, _))) = self.payloads.first_key_value() {
            if at.saturating_sub(since) < DIGEST_LIFETIME_NS {
                break;
            }
            self.payloads.remove(&id);
        }
        let id = self.next;
        self.next += 1;
        self.payloads.insert(id, (at, payload));
        id
    }

    /// Takes the payload deposited as `id` (`None` if it expired).
    pub fn take(&mut self, id: u64) -> Option<T> {
        self.payloads.remove(&id).map(|(_, payload)| payload)
    }
}

impl DisseminationLog {
    /// A log for `rumours` rumours over a group of `members`.
    pub fn new(members: u32, rumours: u32) -> Self {
        DisseminationLog {
            members,
            rumours: vec![RumourSpread::default(); rumours as usize],
            digests: Board::default(),
        }
    }

    /// Keeps `digest` (a member's known bitmap) for the message that carries the returned
    /// id (see [`Board`]).
    pub fn deposit(&mut self, digest: Vec<u64>, at: u64) -> u64 {
        self.digests.deposit(digest, at)
    }

    /// Takes the digest deposited as `id` (`None` if it expired).
    pub fn take_digest(&mut self, id: u64) -> Option<Vec<u64>> {
        self.digests.take(id)
    }

    /// Rumour `id` was born at `at` (ns) at one member, which knows it.
    pub fn born(&mut self, id: u32, at: u64) -> Crossed {
        self.rumours[id as usize].born = Some(at);
        self.learnt(id, at)
    }

    /// One more member learnt rumour `id` at `at` (ns): the thresholds this crossed.
    pub fn learnt(&mut self, id: u32, at: u64) -> Crossed {
        let members = u64::from(self.members.max(1));
        let spread = &mut self.rumours[id as usize];
        spread.informed += 1;
        let since = at - spread.born.unwrap_or(at);
        let informed = u64::from(spread.informed);
        let mut crossed = Crossed {
            since,
            ..Crossed::default()
        };
        // Percent p is reached when informed >= ceil(p * members / 100).
        for (slot, p) in THRESHOLDS.iter().enumerate() {
            if spread.reached[slot].is_none() && informed * 100 >= p * members {
                spread.reached[slot] = Some(since);
                crossed.crossed[slot] = true;
            }
        }
        crossed
    }

    /// Every rumour's spread, by id.
    pub fn rumours(&self) -> &[RumourSpread] {
        &self.rumours
    }

    /// Members of the group.
    pub fn members(&self) -> u32 {
        self.members
    }

    /// Member–rumour pairs of born rumours that never met: the residue.
    pub fn residue(&self) -> u64 {
        self.rumours
            .iter()
            .filter(|r| r.born.is_some())
            .map(|r| u64::from(self.members - r.informed.min(self.members)))
            .sum()
    }
}

/// One run's state of a group, shared by the group's nodes (a run is single-threaded: the
/// lock is never contended; it keeps the simulation `Send`).
#[derive(Debug)]
pub struct Shared<T>(Arc<Mutex<T>>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> Shared<T> {
    /// `value`, to share.
    pub fn of(value: T) -> Self {
        Shared(Arc::new(Mutex::new(value)))
    }

    /// The state, locked.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        // Only a panic while holding the lock poisons it, and a panic already ends the run.
        self.0
            .lock()
            .expect("group run state poisoned by an earlier panic")
    }
}

/// One run's dissemination log, shared by the group's nodes.
pub type SharedDissemination = Shared<DisseminationLog>;

impl SharedDissemination {
    /// A fresh log (see [`DisseminationLog::new`]).
    pub fn new(members: u32, rumours: u32) -> Self {
        Shared::of(DisseminationLog::new(members, rumours))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: percent crossings use ceil(p * n / 100) members; the thresholds metrics record
    // are reported once, at the learning that crossed them; residue counts what is missing.
    #[test]
    fn crossings_and_residue() {
        // When threshold `slot` was crossed by this learning, if it was.
        let at = |c: Crossed, slot: usize| c.crossed[slot].then_some(c.since);
        let mut log = DisseminationLog::new(4, 2);
        assert_eq!(log.born(0, 100), Crossed::default());
        assert_eq!(log.learnt(0, 100).since, 0);
        let mut log = DisseminationLog::new(4, 2);
        log.born(0, 100);
        // 1 of 4 = 25 %: no threshold yet.
        assert_eq!(log.rumours()[0].reached, [None; 3]);
        let c = log.learnt(0, 130);
        assert_eq!(at(c, 0), Some(30));
        assert_eq!(
            log.learnt(0, 150),
            Crossed {
                since: 50,
                ..Crossed::default()
            }
        );
        assert_eq!(log.rumours()[0].reached, [Some(30), None, None]);
        let c = log.learnt(0, 190);
        assert_eq!((at(c, 1), at(c, 2)), (Some(90), Some(90)));
        // Rumour 1 never born: no residue from it.
        assert_eq!(log.residue(), 0);
        log.born(1, 0);
        assert_eq!(log.residue(), 3);
        // Digests: taken once; an old one is dropped at the next deposit.
        let a = log.deposit(vec![1], 0);
        assert_eq!(log.take_digest(a), Some(vec![1]));
        assert_eq!(log.take_digest(a), None);
        let b = log.deposit(vec![2], 0);
        log.deposit(vec![3], DIGEST_LIFETIME_NS);
        assert_eq!(log.take_digest(b), None);
    }
}
