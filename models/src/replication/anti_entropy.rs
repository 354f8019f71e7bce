//! Periodic anti-entropy between quorum replicas, by Merkle-tree comparison (DeCandia et al.,
//! "Dynamo", SOSP 2007, section 4.7): two replicas find the key ranges where they differ by
//! comparing hash trees, and exchange only the keys of those ranges.
//!
//! What is modelled, and how it is charged:
//! - The keys two replicas compare are those both should hold: a replica's keys whose home
//!   replica set includes the other one. They fall into [`AntiEntropy::ranges`] ranges by a
//!   fixed hash of the key; a range's leaf is the XOR of a hash of each (key, version) in it,
//!   so two replicas' leaves are equal exactly when they hold the same versions of the range's
//!   keys (up to 64-bit hash collisions).
//! - A session: the initiator sends its tree (the root on the wire, [`HASH_BYTES`]); the peer
//!   descends to the differing leaves, which costs [`descent_bytes`] (two child hashes per
//!   differing node per level), and sends back its entries in them ([`ENTRY_BYTES`] each);
//!   the initiator takes what is newer and sends back, as repairs, its own newer entries.
//!   Values are not carried by the comparison: a repair carries a version, not its value's
//!   size (a replica keeps versions only).
//! - The trees and entries travel through the run's [`MerkleBoard`], as a Raft entry travels
//!   through its log arena: a message names its session and stays 40 bytes.
//!
//! The plain parts here ([`leaves`], [`differing`], [`descent_bytes`]) are testable without
//! the engine; the replica role (`crate::roles::store::quorum`) runs the sessions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use sim_core::registry::ArgError;
use sim_core::{NodeId, SimDuration};

use super::history::{Key, Version};
use crate::fixed_hash::KeyHasher;
use std::hash::Hasher;

/// Bytes of one hash on the wire.
pub const HASH_BYTES: u64 = 8;

/// Bytes of one (key, version) entry on the wire.
pub const ENTRY_BYTES: u64 = 16;

/// Most ranges a tree may have: 2^20 leaves (an 8 MiB tree).
pub const RANGES_MAX: u32 = 1 << 20;

/// Anti-entropy settings of a quorum store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AntiEntropy {
    /// How often each replica starts a session with its next peer (round-robin).
    pub interval: SimDuration,
    /// Leaves of the Merkle tree (key ranges), a power of two.
    pub ranges: u32,
}

impl AntiEntropy {
    /// Validated settings: `interval` > 0, `ranges` a power of two from 1 to [`RANGES_MAX`].
    pub fn new(interval: SimDuration, ranges: u64) -> Result<Self, ArgError> {
        if interval == SimDuration::ZERO {
            return Err(ArgError::at(
                "anti_entropy",
                "anti_entropy must be longer than 0 (or \"off\")",
            ));
        }
        if ranges == 0 || ranges > u64::from(RANGES_MAX) || !ranges.is_power_of_two() {
            return Err(ArgError::at(
                "ranges",
                format!("ranges must be a power of two from 1 to {RANGES_MAX}, got {ranges}"),
            ));
        }
        Ok(AntiEntropy {
            interval,
            ranges: ranges as u32,
        })
    }

    /// The range of `key`.
    pub fn range(&self, key: Key) -> u32 {
        (hash(&[key]) % u64::from(self.ranges)) as u32
    }
}

fn hash(words: &[u64]) -> u64 {
    let mut hasher = KeyHasher::default();
    for &w in words {
        hasher.write_u64(w);
    }
    hasher.finish()
}

/// The leaves of the tree over `entries` (any order): per range, the XOR of each entry's
/// hash.
pub fn leaves(spec: &AntiEntropy, entries: impl IntoIterator<Item = (Key, Version)>) -> Vec<u64> {
    let mut leaves = vec![0u64; spec.ranges as usize];
    for (key, version) in entries {
        // Offset so that (key, version 0) is not the empty leaf's 0.
        leaves[spec.range(key) as usize] ^= hash(&[key, version.wrapping_add(1)]);
    }
    leaves
}

/// The ranges whose leaves differ, ascending.
pub fn differing(a: &[u64], b: &[u64]) -> Vec<u32> {
    a.iter()
        .zip(b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| i as u32)
        .collect()
}

/// Bytes of descending a tree of `ranges` leaves to `differing` of them: at each of the
/// log2(ranges) levels below the root, the two child hashes of every differing node (at most
/// the nodes of that level).
pub fn descent_bytes(ranges: u32, differing: usize) -> u64 {
    let depth = ranges.trailing_zeros();
    (1..=depth)
        .map(|level| {
            let nodes = 1u64 << level;
            (differing as u64).min(nodes / 2) * 2 * HASH_BYTES
        })
        .sum()
}

/// One session's data in flight: the initiator's leaves, then the differing ranges and the
/// peer's entries in them.
#[derive(Clone, Debug, Default)]
pub struct Session {
    /// The initiator's leaves.
    pub leaves: Vec<u64>,
    /// The ranges that differ (set by the peer).
    pub differing: Vec<u32>,
    /// The peer's entries in them, by key.
    pub entries: Vec<(Key, Version)>,
}

/// One run's sessions in flight, by (initiator, peer): a new session between the two
/// replaces an unfinished one (a lost message leaves nothing behind for long).
#[derive(Clone, Debug, Default)]
pub struct MerkleBoard {
    sessions: Arc<Mutex<BTreeMap<(NodeId, NodeId), Session>>>,
}

impl MerkleBoard {
    /// An empty board.
    pub fn new() -> Self {
        MerkleBoard::default()
    }

    /// The sessions, locked.
    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<(NodeId, NodeId), Session>> {
        // Only a panic while holding the lock poisons it, and a panic already ends the run.
        self.sessions
            .lock()
            .expect("anti-entropy board poisoned by an earlier panic")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(ranges: u64) -> AntiEntropy {
        AntiEntropy::new(SimDuration::from_secs(1), ranges).expect("valid")
    }

    // Goal: leaves differ exactly in the ranges of the keys whose versions differ, whatever
    // the order entries come in; a key missing on one side counts as differing.
    #[test]
    fn leaves_differ_where_versions_do() {
        let s = spec(64);
        let a: Vec<(Key, Version)> = (0..1_000).map(|k| (k, 3)).collect();
        let mut b = a.clone();
        b.reverse();
        assert!(differing(&leaves(&s, a.clone()), &leaves(&s, b.clone())).is_empty());
        b[10].1 = 4; // key 989
        b.retain(|(k, _)| *k != 5);
        let mut expected = vec![s.range(989), s.range(5)];
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(differing(&leaves(&s, a), &leaves(&s, b)), expected);
    }

    // Goal: the descent costs two hashes per differing node per level, capped by the level's
    // size: one differing leaf of 1 024 costs 10 levels × 16 bytes; all of them cost the
    // whole tree below the root (2 + 4 + ... + 1 024 = 2 046 hashes).
    #[test]
    fn descent_cost() {
        assert_eq!(descent_bytes(1024, 0), 0);
        assert_eq!(descent_bytes(1024, 1), 10 * 2 * HASH_BYTES);
        assert_eq!(descent_bytes(1024, 1024), 2046 * HASH_BYTES);
        assert_eq!(descent_bytes(1, 1), 0);
    }

    // Goal: bad settings name the parameter.
    #[test]
    fn settings_are_validated() {
        assert_eq!(
            AntiEntropy::new(SimDuration::ZERO, 8).unwrap_err().param,
            Some("anti_entropy")
        );
        assert_eq!(
            AntiEntropy::new(SimDuration::from_secs(1), 1000)
                .unwrap_err()
                .param,
            Some("ranges")
        );
    }
}
