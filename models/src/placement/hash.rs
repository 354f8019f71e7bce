//! The one fixed 64-bit hash every placement scheme uses.
//!
//! Placement results must be identical on every machine and in every distsim version that
//! keeps the same `Cargo.lock`, so the hash is fixed and specified: XXH3-64 (Yann Collet,
//! xxHash specification, `doc/xxhash_spec.md`, "XXH3" section) of the value's 8 little-endian
//! bytes, with a 64-bit seed, as implemented by `xxhash_rust::xxh3::xxh3_64_with_seed`. It is
//! not `std`'s `DefaultHasher` (SipHash with a seed that may change between Rust releases),
//! and it is not keyed per process.
//!
//! Different uses of the hash (a key's position, a vnode's position, a node's rendezvous salt,
//! Maglev's offset and skip) mix a distinct domain constant into the seed, so the same number
//! used as a key and as a node id gives unrelated hashes.
//!
//! **Limitations:**
//! - XXH3 is fast and well distributed (it passes SMHasher) but is not cryptographic: a user
//!   who picks keys adversarially can make them collide. Simulated keys are not adversarial.

use sim_core::NodeId;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Domain constant mixed into the seed for vnode positions on a ring.
const VNODE_DOMAIN: u64 = 0x7A6E_6F64_6500_0001;
/// Domain constant mixed into the seed for a node's own salt (rendezvous, Maglev).
const NODE_DOMAIN: u64 = 0x6E6F_6465_0000_0002;

/// The hash of `key` under `seed`: XXH3-64 of `key.to_le_bytes()` with `seed`.
///
/// Hot path (every lookup calls it once): about 2 ns, no allocation.
///
/// ```
/// use models::placement::hash::key_hash;
/// // Fixed across machines and releases: this value is part of distsim's output format.
/// assert_eq!(key_hash(0, 0), 0xC77B_3ABB_6F87_ACD9);
/// ```
#[inline]
pub fn key_hash(key: u64, seed: u64) -> u64 {
    xxh3_64_with_seed(&key.to_le_bytes(), seed)
}

/// The position of virtual node `vnode` of `node` on a ring hashed with `seed`: the hash of
/// `(node << 32) | vnode` in the vnode domain.
#[inline]
pub fn vnode_hash(node: NodeId, vnode: u32, seed: u64) -> u64 {
    key_hash(
        (u64::from(node.0) << 32) | u64::from(vnode),
        seed ^ VNODE_DOMAIN,
    )
}

/// A per-node salt derived from `seed`: the hash of the node id in the node domain. Schemes
/// that score every (key, node) pair compute it once per node and then use
/// [`key_hash`]`(key, salt)` per lookup.
#[inline]
pub fn node_salt(node: NodeId, seed: u64) -> u64 {
    key_hash(u64::from(node.0), seed ^ NODE_DOMAIN)
}

/// The hash of the pair `(node, key)`: [`key_hash`] of the key under the node's
/// [`node_salt`].
#[inline]
pub fn node_key_hash(node: NodeId, key: u64, seed: u64) -> u64 {
    key_hash(key, node_salt(node, seed))
}

/// Maps a 64-bit hash to a float uniform in the open interval (0, 1): the top 52 bits plus
/// one half, over 2^52 (52, not 53, so that `2^52 − 0.5` is exact and the result never rounds
/// up to 1). Never 0 or 1, so `ln` of it is finite and negative.
#[inline]
pub fn unit_open(hash: u64) -> f64 {
    let unit = ((hash >> 12) as f64 + 0.5) / (1u64 << 52) as f64;
    debug_assert!(unit > 0.0 && unit < 1.0);
    unit
}

/// Maps a 64-bit hash to `0..n` without the bias of `%` for large `n` (Lemire's multiply-shift,
/// "Fast random integer generation in an interval", 2019): `(hash * n) >> 64`.
#[inline]
pub fn bucket(hash: u64, n: u64) -> u64 {
    assert!(n > 0, "bucket count must be positive");
    ((u128::from(hash) * u128::from(n)) >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: pin the hash's output so an accidental change of algorithm, byte order or seed
    // handling fails here, not in a golden file; and check the domains are separated.
    #[test]
    fn hash_values_are_pinned() {
        assert_eq!(key_hash(0, 0), 0xC77B_3ABB_6F87_ACD9);
        assert_eq!(key_hash(1, 0), key_hash(1, 0));
        assert_ne!(key_hash(1, 0), key_hash(1, 1));
        assert_ne!(vnode_hash(NodeId(1), 0, 0), key_hash(1 << 32, 0));
        assert_ne!(node_salt(NodeId(1), 0), key_hash(1, 0));
        assert_eq!(
            node_key_hash(NodeId(3), 9, 5),
            key_hash(9, node_salt(NodeId(3), 5))
        );
        let unit = unit_open(0);
        assert!(unit > 0.0 && unit < 1e-15);
        assert!(unit_open(u64::MAX) < 1.0);
        assert_eq!(bucket(u64::MAX, 10), 9);
        assert_eq!(bucket(0, 10), 0);
    }
}
