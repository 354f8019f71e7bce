//! The consistent hashing ring with weighted virtual nodes.
//!
//! Karger et al., "Consistent hashing and random trees", STOC 1997, §4: nodes and keys hash to
//! points on a circle, and a key belongs to the first node point at or after it, clockwise.
//! Each node has `round(V · weight)` virtual nodes (at least one), as in Dynamo (DeCandia et
//! al., SOSP 2007, §4.2), which smooths a node's share: with `n` equal nodes its share is
//! `Beta(V, (n − 1)V)`, coefficient of variation `sqrt((n − 1)/(nV + 1)) ≈ 1/sqrt(V)` (derived
//! in `docs/validation.md`).
//!
//! The ring is a flat `Vec<(point, node)>` sorted by point then node id, so ties between equal
//! points are broken by the lower node id, the same on every machine; a lookup is one hash and
//! a binary search, with no allocation and no tree.
//!
//! **Limitations:**
//! - Vnode positions are hashed, not chosen (no token management as in Cassandra's
//!   allocator), so balance is statistical.
//! - A weight change is a remove then an add: all the node's vnodes are re-hashed at once.
//! - Replicas are the next distinct nodes clockwise (Dynamo's preference list), found by a walk
//!   that visits up to every vnode in the worst case.

use std::sync::OnceLock;

use sim_core::NodeId;

use super::hash::{key_hash, vnode_hash};
use super::{Member, Membership, Placement, PlacementError};
use crate::workload::KeyId;

/// Largest vnode count per node (after weighting): 65 536. With 1000 nodes that is already
/// 1.5 GB of points, far beyond any useful smoothing (CV 0.4% at 65 536).
pub const VNODES_MAX: u32 = 1 << 16;

/// A consistent hashing ring with `V` weighted virtual nodes per node.
///
/// Hot path budget: one hash (~2 ns) plus a binary search over `n · V` points (about
/// `log2(n V)` cache misses once the ring outgrows the cache): <= 100 ns at 10^5 points.
#[derive(Clone, Debug)]
pub struct ConsistentHashRing {
    membership: Membership,
    points: Vec<(u64, NodeId)>,
    vnodes: u32,
    seed: u64,
    /// Per point, the first `n` distinct nodes clockwise from it — the replica set of every
    /// key the point owns — for the `n` of the first [`Placement::replicas`] call: built
    /// then (if at most [`PREFERENCE_TABLE_MAX`] entries) and again after a membership
    /// change, so a replica lookup is a binary search and a copy.
    preferences: OnceLock<(usize, Vec<NodeId>)>,
}

/// Entries (points × n) a ring's preference table holds at most (16 MiB); a larger ring
/// walks for every lookup instead.
pub const PREFERENCE_TABLE_MAX: usize = 1 << 22;

impl ConsistentHashRing {
    /// A ring over `members` with `vnodes` virtual nodes per unit of weight.
    pub fn new(members: &[Member], vnodes: u32, seed: u64) -> Result<Self, PlacementError> {
        Self::build("ring", members, vnodes, seed)
    }

    /// Builds the ring, naming `scheme` in errors (the bounded ring shares this).
    pub(super) fn build(
        scheme: &'static str,
        members: &[Member],
        vnodes: u32,
        seed: u64,
    ) -> Result<Self, PlacementError> {
        if !(1..=VNODES_MAX).contains(&vnodes) {
            return Err(PlacementError::BadCount {
                scheme,
                param: "vnodes",
                valid: ">= 1 and <= 65536",
                value: u64::from(vnodes),
            });
        }
        let membership = Membership::new(scheme, members)?;
        for &weight in &membership.weights {
            if weighted_vnodes(vnodes, weight).is_none() {
                return Err(PlacementError::BadParameter {
                    scheme,
                    param: "vnodes x weight",
                    valid: "<= 65536 (lower the weight of the heaviest node)",
                    value: f64::from(vnodes) * weight,
                });
            }
        }
        let mut ring = ConsistentHashRing {
            membership: Membership::default(),
            points: Vec::new(),
            vnodes,
            seed,
            preferences: OnceLock::new(),
        };
        for (&node, &weight) in membership.nodes.iter().zip(&membership.weights) {
            ring.add_node(node, weight);
        }
        Ok(ring)
    }

    /// Vnodes per unit of weight.
    pub fn vnodes(&self) -> u32 {
        self.vnodes
    }

    /// The ring's points, sorted by (point, node).
    pub fn points(&self) -> &[(u64, NodeId)] {
        &self.points
    }

    /// Index of the point that owns `key`; `None` on an empty ring.
    #[inline]
    pub(super) fn point_index(&self, key: KeyId) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let hash = key_hash(key.0, self.seed);
        let index = self.points.partition_point(|&(point, _)| point < hash);
        Some(if index == self.points.len() { 0 } else { index })
    }

    /// Each member's exact share of the hash space (the arcs ending at its points), in member
    /// order; sums to 1. Used by the validation tests and the placement study.
    pub fn shares(&self) -> Vec<(NodeId, f64)> {
        let mut shares: Vec<(NodeId, f64)> = self
            .membership
            .nodes
            .iter()
            .map(|&node| (node, 0.0))
            .collect();
        let Some(&(last, _)) = self.points.last() else {
            return shares;
        };
        let mut previous = last;
        for &(point, node) in &self.points {
            // The arc (previous, point] on the 2^64 circle; the first arc wraps.
            let arc = point.wrapping_sub(previous) as f64 / 2f64.powi(64);
            let index = self
                .membership
                .nodes
                .binary_search(&node)
                .expect("points are members");
            shares[index].1 += arc;
            previous = point;
        }
        if self.points.len() == 1 || self.points.iter().all(|&(point, _)| point == last) {
            // A single distinct point owns the whole circle (its arc computed as 0).
            let index = self
                .membership
                .nodes
                .binary_search(&self.points[0].1)
                .expect("member");
            shares[index].1 = 1.0;
        }
        shares
    }

    /// The live nodes in clockwise order from `key`'s point, with repeats (one per vnode).
    pub(super) fn walk(&self, key: KeyId, visit: &mut dyn FnMut(NodeId) -> bool) {
        let Some(start) = self.point_index(key) else {
            return;
        };
        let n_points = self.points.len();
        for offset in 0..n_points {
            if !visit(self.points[(start + offset) % n_points].1) {
                return;
            }
        }
    }

    /// Per point, its first `n` distinct nodes clockwise (n = want, at most the members).
    fn preference_table(&self, n: usize) -> Vec<NodeId> {
        let n_points = self.points.len();
        let mut table = Vec::with_capacity(n_points * n);
        for start in 0..n_points {
            let first = table.len();
            for offset in 0..n_points {
                let node = self.points[(start + offset) % n_points].1;
                if !table[first..].contains(&node) {
                    table.push(node);
                    if table.len() - first == n {
                        break;
                    }
                }
            }
        }
        table
    }

    /// Weight of `node` (a member).
    pub(super) fn weight(&self, node: NodeId) -> f64 {
        let index = self
            .membership
            .nodes
            .binary_search(&node)
            .expect("a member");
        self.membership.weights[index]
    }
}

/// `round(vnodes · weight)`, at least 1, or `None` above [`VNODES_MAX`].
fn weighted_vnodes(vnodes: u32, weight: f64) -> Option<u32> {
    let count = (f64::from(vnodes) * weight).round().max(1.0);
    (count <= f64::from(VNODES_MAX)).then_some(count as u32)
}

impl Placement for ConsistentHashRing {
    fn name(&self) -> &'static str {
        "ring"
    }
    fn members(&self) -> &[NodeId] {
        &self.membership.nodes
    }
    fn owner(&self, key: KeyId) -> Option<NodeId> {
        self.point_index(key).map(|index| self.points[index].1)
    }
    fn candidates(&self, key: KeyId, visit: &mut dyn FnMut(NodeId) -> bool) {
        self.walk(key, visit);
    }
    fn replicas(&self, key: KeyId, n: usize, out: &mut Vec<NodeId>) {
        let want = n.min(self.membership.nodes.len());
        let fits = want > 0 && self.points.len().saturating_mul(want) <= PREFERENCE_TABLE_MAX;
        if fits {
            let (len, table) = self
                .preferences
                .get_or_init(|| (want, self.preference_table(want)));
            if let (true, Some(start)) = (*len == want, self.point_index(key)) {
                out.clear();
                out.extend_from_slice(&table[start * want..(start + 1) * want]);
                return;
            }
        }
        super::fill_replicas(self, key, n, None, out);
    }
    fn add_node(&mut self, node: NodeId, weight: f64) {
        let count = weighted_vnodes(self.vnodes, weight).expect("vnodes x weight <= VNODES_MAX");
        self.membership.insert(node, weight);
        let before = self.points.len();
        self.points
            .extend((0..count).map(|vnode| (vnode_hash(node, vnode, self.seed), node)));
        self.points.sort_unstable();
        assert_eq!(self.points.len(), before + count as usize);
        self.preferences = OnceLock::new();
    }
    fn remove_node(&mut self, node: NodeId) {
        self.membership.remove(node);
        let before = self.points.len();
        self.points.retain(|&(_, owner)| owner != node);
        assert!(self.points.len() < before, "{node} had no points");
        self.preferences = OnceLock::new();
    }
    fn memory_bytes(&self) -> usize {
        self.membership.memory_bytes() + self.points.capacity() * size_of::<(u64, NodeId)>()
    }
}

/// `ring`.
pub(super) const ROW: super::spec::SchemeRow = sim_core::registry::Row {
    name: "ring",
    aliases: &[],
    description: "consistent hashing with v weighted vnodes per node",
    params: &[sim_core::registry::Param::optional(
        "vnodes",
        "160",
        "virtual nodes per unit of weight, 1 to 65536",
    )],
    value: |args| Ok(super::PlacementSpec::ring(super::spec::vnodes(args)?)),
};

impl super::PlacementSpec {
    /// Consistent hashing with `vnodes` virtual nodes per unit of weight
    /// ([`ConsistentHashRing`]).
    pub fn ring(vnodes: u32) -> Self {
        super::PlacementSpec::new("ring", format!("vnodes={vnodes}"), move |members, seed| {
            Ok(Box::new(ConsistentHashRing::new(members, vnodes, seed)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::ZoneId;

    fn ring(n: u32, vnodes: u32) -> ConsistentHashRing {
        let members: Vec<Member> = (0..n)
            .map(|i| Member::new(NodeId(i), 1.0, ZoneId(0)))
            .collect();
        ConsistentHashRing::new(&members, vnodes, 0).unwrap()
    }

    // Goal: the preference table gives exactly the replica sets of the walk, for the n it
    // was built for, for another n (which walks), and after membership changes rebuild it.
    #[test]
    fn preference_table_matches_the_walk() {
        let mut ring = ring(7, 10);
        let walked = |ring: &ConsistentHashRing, key: u64, n: usize| {
            let mut out = Vec::new();
            super::super::fill_replicas(ring, KeyId(key), n, None, &mut out);
            out
        };
        let mut out = Vec::new();
        for round in 0..3 {
            for n in [3, 1, 7, 9] {
                for key in 0..500 {
                    ring.replicas(KeyId(key), n, &mut out);
                    assert_eq!(
                        out,
                        walked(&ring, key, n),
                        "round {round}, n {n}, key {key}"
                    );
                }
            }
            match round {
                0 => ring.remove_node(NodeId(2)),
                _ => ring.add_node(NodeId(8 + round), 2.0),
            }
        }
    }

    // Goal: lookups agree with a linear scan for the successor point, and the exact shares sum
    // to 1 and match key counts (binomial, 5 sd).
    #[test]
    fn lookup_matches_successor_and_shares() {
        let ring = ring(5, 20);
        assert_eq!(ring.points().len(), 100);
        for key in 0..2000 {
            let hash = key_hash(key, 0);
            let expected = ring
                .points()
                .iter()
                .find(|&&(point, _)| point >= hash)
                .unwrap_or(&ring.points()[0])
                .1;
            assert_eq!(ring.owner(KeyId(key)), Some(expected));
        }
        let shares = ring.shares();
        let total: f64 = shares.iter().map(|(_, share)| share).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let n_keys = 100_000u64;
        let mut counts = [0u64; 5];
        for key in 0..n_keys {
            counts[ring.owner(KeyId(key)).unwrap().idx()] += 1;
        }
        for (node, share) in shares {
            let expected = share * n_keys as f64;
            let tolerance = 5.0 * (n_keys as f64 * share * (1.0 - share)).sqrt();
            let count = counts[node.idx()] as f64;
            assert!(
                (count - expected).abs() <= tolerance,
                "{node}: {count} vs {expected}"
            );
        }
        let single = super::tests::ring(1, 1);
        assert_eq!(single.shares(), vec![(NodeId(0), 1.0)]);
    }

    // Goal: weights scale vnode counts (rounded, at least one), and bad parameters are rejected.
    #[test]
    fn weights_and_validation() {
        let members = [
            Member::new(NodeId(0), 1.0, ZoneId(0)),
            Member::new(NodeId(1), 2.5, ZoneId(0)),
            Member::new(NodeId(2), 0.001, ZoneId(0)),
        ];
        let ring = ConsistentHashRing::new(&members, 10, 0).unwrap();
        let count = |node| {
            ring.points()
                .iter()
                .filter(|&&(_, owner)| owner == node)
                .count()
        };
        assert_eq!(
            [count(NodeId(0)), count(NodeId(1)), count(NodeId(2))],
            [10, 25, 1]
        );
        assert!((ring.weight(NodeId(1)) - 2.5).abs() < 1e-15);
        let error = ConsistentHashRing::new(&members, 0, 0).unwrap_err();
        assert_eq!(
            error.to_string(),
            "ring vnodes must be >= 1 and <= 65536, got 0"
        );
        let error = ConsistentHashRing::new(&members, 65_536, 0).unwrap_err();
        assert_eq!(
            error.to_string(),
            "ring vnodes x weight must be <= 65536 (lower the weight of the heaviest node), \
             got 163840"
        );
        assert_eq!(
            ConsistentHashRing::new(&[], 10, 0).unwrap_err().to_string(),
            "ring needs at least one node, got 0"
        );
    }

    // Goal: an emptied ring has no owner and no candidates, and refills.
    #[test]
    fn empty_ring_has_no_owner() {
        let mut ring = ring(2, 3);
        ring.remove_node(NodeId(0));
        ring.remove_node(NodeId(1));
        assert_eq!(ring.owner(KeyId(1)), None);
        let mut out = vec![NodeId(9)];
        ring.replicas(KeyId(1), 2, &mut out);
        assert!(out.is_empty());
        ring.add_node(NodeId(4), 1.0);
        assert_eq!(ring.owner(KeyId(1)), Some(NodeId(4)));
    }
}
