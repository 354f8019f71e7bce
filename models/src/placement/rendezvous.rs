//! Rendezvous (highest random weight) hashing and jump consistent hashing.
//!
//! - Rendezvous: Thaler & Ravishankar, "Using name-based mappings to increase hit rates",
//!   IEEE/ACM ToN 6(1), 1998. Each node scores each key and the highest score wins. Weighted by
//!   the logarithmic method of Schindelhauer & Schomaker, "Weighted distributed hash tables",
//!   SPAA 2005: score = `−w / ln(h)` with `h` the pair's hash mapped into (0, 1), which gives
//!   node `i` exactly the share `w_i / W` of keys. With equal weights the order is the order of
//!   `h`, so this is plain HRW. Replicas are the nodes in descending score order.
//! - Jump: Lamping & Veach, "A fast, minimal memory, consistent hash algorithm", 2014,
//!   Figure 1, applied to the key's [`key_hash`]. Jump maps keys to buckets `0..n`, and is
//!   consistent only when buckets are added or removed at the end. Buckets map to nodes through
//!   a slot list in join order: a joining node takes a new last slot (moving `1/(n+1)` of keys,
//!   all onto it); a leaving node's slot is filled by the node in the last slot, and the last
//!   slot is dropped. So a leave moves the leaver's keys (onto the former last node) **and** the
//!   former last node's keys (spread over the rest): about `2/n` of keys instead of `1/n`.
//!   Replicas are the slots after the owner's, wrapping.
//!
//! **Limitations:**
//! - Rendezvous lookups cost O(n): one hash per node with equal weights, plus a logarithm per
//!   node with unequal ones; replica sets sort all n scores, allocating.
//! - Jump ignores weights (they are validated only), and the member order it sees is the join
//!   order, so two runs that add the same nodes in a different order place keys differently.

use sim_core::NodeId;

use super::hash::{key_hash, node_salt, unit_open};
use super::{Member, Membership, Placement, PlacementError};
use crate::workload::KeyId;

/// Weighted highest-random-weight placement.
#[derive(Clone, Debug)]
pub struct Rendezvous {
    membership: Membership,
    /// Each member's salt for [`key_hash`], aligned with the member list.
    salts: Vec<u64>,
    seed: u64,
    /// All weights equal: scores compare as raw hashes (see [`equal_weights`]).
    equal_weights: bool,
}

/// Whether every weight equals the first. Then `−w / ln(h)` orders nodes exactly as `h` does,
/// so lookups compare the raw 64-bit hashes and skip the logarithm (the orders can differ only
/// when two hashes agree in their top 52 bits, probability 2^-52 per pair).
fn equal_weights(weights: &[f64]) -> bool {
    weights
        .iter()
        .all(|&weight| weight.total_cmp(&weights[0]).is_eq())
}

impl Rendezvous {
    /// Rendezvous placement over `members` with hash seed `seed`.
    pub fn new(members: &[Member], seed: u64) -> Result<Self, PlacementError> {
        let membership = Membership::new("rendezvous", members)?;
        let salts = membership
            .nodes
            .iter()
            .map(|&node| node_salt(node, seed))
            .collect();
        let equal_weights = equal_weights(&membership.weights);
        Ok(Rendezvous {
            membership,
            salts,
            seed,
            equal_weights,
        })
    }

    /// Member `index`'s score for `key`: `−w / ln(h)`, positive.
    #[inline]
    fn score(&self, index: usize, key: KeyId) -> f64 {
        let unit = unit_open(key_hash(key.0, self.salts[index]));
        -self.membership.weights[index] / unit.ln()
    }
}

impl Placement for Rendezvous {
    fn name(&self) -> &'static str {
        "rendezvous"
    }
    fn members(&self) -> &[NodeId] {
        &self.membership.nodes
    }
    /// Hot path budget: about 2 ns per member with equal weights (one hash), 10 ns with
    /// unequal ones (a hash and a logarithm); no allocation.
    fn owner(&self, key: KeyId) -> Option<NodeId> {
        let n_members = self.membership.nodes.len();
        // Strictly greater wins, so equal scores go to the lower node id, which comes first.
        let best = if self.equal_weights {
            let hashes = self.salts.iter().map(|&salt| key_hash(key.0, salt));
            let mut best: Option<(u64, usize)> = None;
            for (index, hash) in hashes.enumerate() {
                if best.is_none_or(|(top, _)| hash > top) {
                    best = Some((hash, index));
                }
            }
            best.map(|(_, index)| index)
        } else {
            let mut best: Option<(f64, usize)> = None;
            for index in 0..n_members {
                let score = self.score(index, key);
                if best.is_none_or(|(top, _)| score.total_cmp(&top).is_gt()) {
                    best = Some((score, index));
                }
            }
            best.map(|(_, index)| index)
        };
        best.map(|index| self.membership.nodes[index])
    }
    fn candidates(&self, key: KeyId, visit: &mut dyn FnMut(NodeId) -> bool) {
        let mut ranked: Vec<(f64, u64, NodeId)> = (0..self.membership.nodes.len())
            .map(|index| {
                let node = self.membership.nodes[index];
                if self.equal_weights {
                    (0.0, key_hash(key.0, self.salts[index]), node)
                } else {
                    (self.score(index, key), 0, node)
                }
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        for (_, _, node) in ranked {
            if !visit(node) {
                return;
            }
        }
    }
    fn add_node(&mut self, node: NodeId, weight: f64) {
        let position = self.membership.insert(node, weight);
        self.salts.insert(position, node_salt(node, self.seed));
        self.equal_weights = equal_weights(&self.membership.weights);
    }
    fn remove_node(&mut self, node: NodeId) {
        let position = self.membership.remove(node);
        self.salts.remove(position);
        self.equal_weights = equal_weights(&self.membership.weights);
    }
    fn memory_bytes(&self) -> usize {
        self.membership.memory_bytes() + self.salts.capacity() * size_of::<u64>()
    }
}

/// Lamping & Veach's jump consistent hash: the bucket in `0..n_buckets` for a 64-bit key.
/// Expected O(ln n) iterations; floating point as in the paper's Figure 1.
pub fn jump_bucket(mut key: u64, n_buckets: u32) -> u32 {
    assert!(n_buckets > 0, "jump needs a bucket");
    let mut bucket: i64 = -1;
    let mut next: i64 = 0;
    while next < i64::from(n_buckets) {
        bucket = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        next = ((bucket + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    u32::try_from(bucket).expect("bucket in 0..n_buckets")
}

/// Jump consistent hashing over members in join order (see the module docs for how a leave
/// works).
#[derive(Clone, Debug)]
pub struct JumpHash {
    membership: Membership,
    /// Bucket `b` belongs to `slots[b]`.
    slots: Vec<NodeId>,
    seed: u64,
}

impl JumpHash {
    /// Jump hashing over `members`, slotted in the given order, with hash seed `seed`.
    pub fn new(members: &[Member], seed: u64) -> Result<Self, PlacementError> {
        let membership = Membership::new("jump", members)?;
        let slots = members.iter().map(|member| member.node).collect();
        Ok(JumpHash {
            membership,
            slots,
            seed,
        })
    }

    /// The members in slot order.
    pub fn slots(&self) -> &[NodeId] {
        &self.slots
    }

    fn slot(&self, key: KeyId) -> Option<usize> {
        let n_slots = u32::try_from(self.slots.len()).expect("at most 2^32 members");
        (n_slots > 0).then(|| jump_bucket(key_hash(key.0, self.seed), n_slots) as usize)
    }
}

impl Placement for JumpHash {
    fn name(&self) -> &'static str {
        "jump"
    }
    fn members(&self) -> &[NodeId] {
        &self.membership.nodes
    }
    fn owner(&self, key: KeyId) -> Option<NodeId> {
        self.slot(key).map(|slot| self.slots[slot])
    }
    fn candidates(&self, key: KeyId, visit: &mut dyn FnMut(NodeId) -> bool) {
        let Some(start) = self.slot(key) else {
            return;
        };
        for offset in 0..self.slots.len() {
            if !visit(self.slots[(start + offset) % self.slots.len()]) {
                return;
            }
        }
    }
    fn add_node(&mut self, node: NodeId, weight: f64) {
        self.membership.insert(node, weight);
        self.slots.push(node);
    }
    fn remove_node(&mut self, node: NodeId) {
        self.membership.remove(node);
        let slot = self
            .slots
            .iter()
            .position(|&n| n == node)
            .expect("members have slots");
        self.slots.swap_remove(slot);
        assert_eq!(self.slots.len(), self.membership.nodes.len());
    }
    fn memory_bytes(&self) -> usize {
        self.membership.memory_bytes() + self.slots.capacity() * size_of::<NodeId>()
    }
}

/// `rendezvous`.
pub(super) const RENDEZVOUS_ROW: super::spec::SchemeRow = sim_core::registry::Row {
    name: "rendezvous",
    aliases: &["hrw"],
    description: "highest random weight, weighted by -w/ln(h)",
    params: &[],
    value: |_| Ok(super::PlacementSpec::rendezvous()),
};

/// `jump`.
pub(super) const JUMP_ROW: super::spec::SchemeRow = sim_core::registry::Row {
    name: "jump",
    aliases: &[],
    description: "jump consistent hash over join-ordered slots",
    params: &[],
    value: |_| Ok(super::PlacementSpec::jump()),
};

impl super::PlacementSpec {
    /// Weighted highest random weight ([`Rendezvous`]).
    pub fn rendezvous() -> Self {
        super::PlacementSpec::new("rendezvous", String::new(), |members, seed| {
            Ok(Box::new(Rendezvous::new(members, seed)?))
        })
    }

    /// Jump consistent hash over join-ordered slots ([`JumpHash`]).
    pub fn jump() -> Self {
        super::PlacementSpec::new("jump", String::new(), |members, seed| {
            Ok(Box::new(JumpHash::new(members, seed)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::ZoneId;

    // Goal: jump_bucket reproduces the test vectors that ports of the paper's code share (for
    // example the Go port github.com/dgryski/go-jump) and is monotone: growing n only moves
    // keys to the new bucket.
    #[test]
    fn jump_matches_reference_and_is_monotone() {
        let vectors = [
            (1, 1, 0),
            (42, 57, 43),
            (0xDEAD_10CC, 1, 0),
            (0xDEAD_10CC, 666, 361),
        ];
        for (key, n_buckets, expect) in vectors.into_iter().chain([(256, 1024, 520)]) {
            assert_eq!(
                jump_bucket(key, n_buckets),
                expect,
                "key {key}, {n_buckets} buckets"
            );
        }
        for key in 0..2000u64 {
            let hash = key_hash(key, 7);
            let mut previous = jump_bucket(hash, 1);
            for n in 2..60 {
                let bucket = jump_bucket(hash, n);
                assert!(bucket == previous || bucket == n - 1);
                previous = bucket;
            }
        }
    }

    // Goal: a leave in the middle moves the leaver's keys onto the former last node and the
    // last node's keys elsewhere, nothing else; a leave at the end is plain jump shrinking.
    #[test]
    fn jump_leave_swaps_in_last_slot() {
        let members: Vec<Member> = (0..5)
            .map(|i| Member::new(NodeId(i), 1.0, ZoneId(0)))
            .collect();
        let before = JumpHash::new(&members, 0).unwrap();
        let mut after = before.clone();
        after.remove_node(NodeId(1));
        assert_eq!(after.slots(), &[NodeId(0), NodeId(4), NodeId(2), NodeId(3)]);
        for key in 0..5000 {
            let (old, new) = (
                before.owner(KeyId(key)).unwrap(),
                after.owner(KeyId(key)).unwrap(),
            );
            if old == NodeId(1) {
                assert_eq!(new, NodeId(4));
            } else if old != NodeId(4) {
                assert_eq!(old, new);
            }
        }
    }

    // Goal: weighted rendezvous gives each node its weight's share (binomial, 5 sd).
    #[test]
    fn rendezvous_weighted_shares() {
        let weights = [1.0, 2.0, 3.0, 4.0];
        let members: Vec<Member> = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Member::new(NodeId(i as u32), w, ZoneId(0)))
            .collect();
        let rendezvous = Rendezvous::new(&members, 3).unwrap();
        let n_keys = 100_000u64;
        let mut counts = [0u64; 4];
        for key in 0..n_keys {
            counts[rendezvous.owner(KeyId(key)).unwrap().idx()] += 1;
        }
        for (index, &weight) in weights.iter().enumerate() {
            let share = weight / 10.0;
            let expected = share * n_keys as f64;
            let tolerance = 5.0 * (n_keys as f64 * share * (1.0 - share)).sqrt();
            let count = counts[index] as f64;
            assert!(
                (count - expected).abs() <= tolerance,
                "node {index}: {count} vs {expected}"
            );
        }
    }
}
