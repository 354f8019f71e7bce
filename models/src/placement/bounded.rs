//! Consistent hashing with bounded loads.
//!
//! Mirrokni, Thorup & Zadimoghaddam, "Consistent hashing with bounded loads", SODA 2018, §2:
//! every node has capacity `ceil((1 + ε) · m / n)`, where `m` is the number of keys placed
//! (counting the one being placed) and `n` the number of nodes; a key goes to the first node
//! clockwise from its hash whose load is below its capacity. Weighted nodes get
//! `ceil((1 + ε) · m · w / W)` (`W` the total weight), which is the paper's cap when all
//! weights are equal. Since capacities sum to at least `(1 + ε) m > m − 1`, a node with room
//! always exists, and since caps only grow with `m`, no node ever exceeds the current cap
//! while keys are only added.
//!
//! The scheme is stateful, so it records keys: [`Placement::assign`] places and records a
//! key, [`Placement::release`] forgets one, and [`Placement::owner`] answers for a recorded
//! key, or says where an unrecorded key would go now, without recording it.
//!
//! **Limitations:**
//! - A membership change re-places every recorded key in its original insertion order (a
//!   deterministic function of the members and the insertion sequence). The paper's
//!   incremental update moves fewer keys; `moved_keys` measures what this one moves.
//! - `release` does not rebalance: after releases `m` shrinks, and a node may sit above the
//!   shrunken cap until the next membership change or [`BoundedLoadRing::rebalance`].
//! - Loads are key counts; a key's request rate does not count toward the cap.

use std::collections::BTreeMap;

use sim_core::NodeId;

use super::ring::ConsistentHashRing;
use super::{Member, Placement, PlacementError};
use crate::workload::KeyId;

/// A ring whose nodes each hold at most `ceil((1 + ε) · m · w / W)` of the `m` recorded keys.
#[derive(Clone, Debug)]
pub struct BoundedLoadRing {
    ring: ConsistentHashRing,
    epsilon: f64,
    /// Keys per member, aligned with `ring.members()`.
    loads: Vec<u64>,
    total_weight: f64,
    /// Each recorded key's insertion number and owner.
    assigned: BTreeMap<KeyId, (u64, NodeId)>,
    /// Recorded keys by insertion number, for deterministic re-placement.
    order: BTreeMap<u64, KeyId>,
    next_insertion: u64,
    released_since_rebalance: bool,
}

impl BoundedLoadRing {
    /// A bounded-load ring with `vnodes` per unit weight and slack `epsilon` (finite, > 0).
    pub fn new(
        members: &[Member],
        vnodes: u32,
        epsilon: f64,
        seed: u64,
    ) -> Result<Self, PlacementError> {
        if !(epsilon > 0.0 && epsilon.is_finite()) {
            return Err(PlacementError::BadParameter {
                scheme: "bounded_ring",
                param: "epsilon",
                valid: "a finite number > 0",
                value: epsilon,
            });
        }
        let ring = ConsistentHashRing::build("bounded_ring", members, vnodes, seed)?;
        let mut bounded = BoundedLoadRing {
            ring,
            epsilon,
            loads: Vec::new(),
            total_weight: 0.0,
            assigned: BTreeMap::new(),
            order: BTreeMap::new(),
            next_insertion: 0,
            released_since_rebalance: false,
        };
        bounded.rebalance();
        Ok(bounded)
    }

    /// The slack ε.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// Number of recorded keys, `m`.
    pub fn n_keys(&self) -> u64 {
        self.assigned.len() as u64
    }

    /// Each member's recorded key count, in member order.
    pub fn loads(&self) -> Vec<(NodeId, u64)> {
        self.ring
            .members()
            .iter()
            .copied()
            .zip(self.loads.iter().copied())
            .collect()
    }

    /// `node`'s capacity with `n_keys` keys placed: `ceil((1 + ε) · n_keys · w / W)`.
    pub fn cap(&self, node: NodeId, n_keys: u64) -> u64 {
        let share = self.ring.weight(node) / self.total_weight;
        ((1.0 + self.epsilon) * n_keys as f64 * share).ceil() as u64
    }

    /// Where `key` goes if placed now, as the `m`-th key: the first node clockwise with load
    /// below its cap. Returns the member index.
    fn place(&self, key: KeyId, n_keys: u64) -> Option<usize> {
        let members = self.ring.members();
        let mut chosen = None;
        self.ring.walk(key, &mut |node| {
            let index = members
                .binary_search(&node)
                .expect("ring points are members");
            if self.loads[index] < self.cap(node, n_keys) {
                chosen = Some(index);
            }
            chosen.is_none()
        });
        // Caps sum to at least (1 + ε) m > m − 1 = the load already placed.
        assert!(
            members.is_empty() || chosen.is_some(),
            "no node below its cap"
        );
        chosen
    }

    /// Re-places every recorded key in insertion order, so every load is within the current
    /// cap again.
    pub fn rebalance(&mut self) {
        let members = self.ring.members();
        self.total_weight = members.iter().map(|&node| self.ring.weight(node)).sum();
        self.loads = vec![0; members.len()];
        let keys: Vec<(u64, KeyId)> = self.order.iter().map(|(&seq, &key)| (seq, key)).collect();
        for (placed, &(insertion, key)) in keys.iter().enumerate() {
            let index = self
                .place(key, placed as u64 + 1)
                .expect("rebalance runs with members");
            self.loads[index] += 1;
            let node = self.ring.members()[index];
            self.assigned.insert(key, (insertion, node));
        }
        self.released_since_rebalance = false;
        self.check_invariants();
    }

    /// Asserts loads add up to the recorded keys and, unless keys were released since the
    /// last rebalance, that no node is above its cap. O(n + m).
    pub fn check_invariants(&self) {
        assert_eq!(self.loads.len(), self.ring.members().len());
        assert_eq!(self.loads.iter().sum::<u64>(), self.n_keys());
        assert_eq!(self.order.len(), self.assigned.len());
        if !self.released_since_rebalance {
            for (node, load) in self.loads() {
                let cap = self.cap(node, self.n_keys());
                assert!(load <= cap, "{node} holds {load} keys, above its cap {cap}");
            }
        }
    }
}

impl Placement for BoundedLoadRing {
    fn name(&self) -> &'static str {
        "bounded_ring"
    }
    fn members(&self) -> &[NodeId] {
        self.ring.members()
    }
    fn owner(&self, key: KeyId) -> Option<NodeId> {
        if let Some(&(_, node)) = self.assigned.get(&key) {
            return Some(node);
        }
        let index = self.place(key, self.n_keys() + 1)?;
        Some(self.ring.members()[index])
    }
    fn candidates(&self, key: KeyId, visit: &mut dyn FnMut(NodeId) -> bool) {
        let Some(owner) = self.owner(key) else {
            return;
        };
        if visit(owner) {
            self.ring.walk(key, visit);
        }
    }
    fn add_node(&mut self, node: NodeId, weight: f64) {
        self.ring.add_node(node, weight);
        self.rebalance();
    }
    fn remove_node(&mut self, node: NodeId) {
        self.ring.remove_node(node);
        self.rebalance();
    }
    fn memory_bytes(&self) -> usize {
        // A BTreeMap entry costs about its key and value plus a share of node overhead; 1.5x
        // is a fair approximation for the standard library's B = 6 nodes.
        let per_assigned = size_of::<(KeyId, (u64, NodeId))>() * 3 / 2;
        let per_order = size_of::<(u64, KeyId)>() * 3 / 2;
        self.ring.memory_bytes()
            + self.loads.capacity() * size_of::<u64>()
            + self.assigned.len() * (per_assigned + per_order)
    }
    fn assign(&mut self, key: KeyId) -> Option<NodeId> {
        if let Some(&(_, node)) = self.assigned.get(&key) {
            return Some(node);
        }
        let index = self.place(key, self.n_keys() + 1)?;
        let node = self.ring.members()[index];
        self.loads[index] += 1;
        let insertion = self.next_insertion;
        self.next_insertion += 1;
        self.assigned.insert(key, (insertion, node));
        self.order.insert(insertion, key);
        debug_assert!(self.loads[index] <= self.cap(node, self.n_keys()));
        Some(node)
    }
    fn release(&mut self, key: KeyId) {
        let Some((insertion, node)) = self.assigned.remove(&key) else {
            return;
        };
        self.order
            .remove(&insertion)
            .expect("order mirrors assigned");
        let index = self
            .ring
            .members()
            .binary_search(&node)
            .expect("owners are members");
        self.loads[index] -= 1;
        self.released_since_rebalance = true;
    }
}

/// `bounded_ring`.
pub(super) const ROW: super::spec::SchemeRow = sim_core::registry::Row {
    name: "bounded_ring",
    aliases: &[],
    description: "ring with loads capped at ceil((1+eps) m/n)",
    params: &[
        sim_core::registry::Param::optional(
            "vnodes",
            "160",
            "virtual nodes per unit of weight, 1 to 65536",
        ),
        sim_core::registry::Param::optional("epsilon", "0.25", "load slack above the mean, > 0"),
    ],
    value: |args| {
        let vnodes = super::spec::vnodes(args)?;
        let epsilon = args
            .number("epsilon")?
            .unwrap_or(super::spec::EPSILON_DEFAULT);
        Ok(super::PlacementSpec::bounded_ring(vnodes, epsilon))
    },
};

impl super::PlacementSpec {
    /// Consistent hashing with loads bounded by `ceil((1 + epsilon) m / n)`
    /// ([`BoundedLoadRing`]).
    pub fn bounded_ring(vnodes: u32, epsilon: f64) -> Self {
        let params = format!("vnodes={vnodes}, epsilon={epsilon}");
        super::PlacementSpec::new("bounded_ring", params, move |members, seed| {
            Ok(Box::new(BoundedLoadRing::new(
                members, vnodes, epsilon, seed,
            )?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::equal_members;

    // Goal: with ε = 0.25 and 4 nodes, 1000 keys fill each node to at most ceil(1.25 · 250) =
    // 313; assignment is stable for a recorded key; release and rebalance keep the books.
    #[test]
    fn caps_hold_and_books_balance() {
        let mut bounded = BoundedLoadRing::new(&equal_members(4), 10, 0.25, 0).unwrap();
        for key in 0..1000 {
            let node = bounded.assign(KeyId(key)).unwrap();
            assert_eq!(bounded.assign(KeyId(key)), Some(node));
            assert_eq!(bounded.owner(KeyId(key)), Some(node));
        }
        bounded.check_invariants();
        assert!(bounded.loads().iter().all(|&(_, load)| load <= 313));
        assert_eq!(bounded.cap(NodeId(0), 1000), 313);
        for key in 0..500 {
            bounded.release(KeyId(key));
        }
        bounded.release(KeyId(5000));
        bounded.check_invariants();
        bounded.rebalance();
        bounded.check_invariants();
        assert_eq!(bounded.n_keys(), 500);
        bounded.remove_node(NodeId(2));
        bounded.check_invariants();
        assert!(bounded.loads().iter().all(|&(node, _)| node != NodeId(2)));
        assert!(bounded.loads().iter().all(|&(_, load)| load <= 209)); // ceil(1.25 · 500 / 3)
    }

    // Goal: ε must be positive and finite.
    #[test]
    fn rejects_bad_epsilon() {
        for epsilon in [0.0, -0.5, f64::NAN, f64::INFINITY] {
            let error = BoundedLoadRing::new(&equal_members(2), 10, epsilon, 0).unwrap_err();
            let expect = format!("bounded_ring epsilon must be a finite number > 0, got {epsilon}");
            assert_eq!(error.to_string(), expect);
        }
        let error = BoundedLoadRing::new(&equal_members(2), 0, 0.5, 0).unwrap_err();
        assert_eq!(
            error.to_string(),
            "bounded_ring vnodes must be >= 1 and <= 65536, got 0"
        );
    }
}
