//! One run's live placement of a group: shared by the clients that route by it and changed by
//! the run's membership timeline.
//!
//! A placement that changes during a run is per-run state, so a fresh [`SharedPlacement`] is
//! built for every run (never kept in a parsed scenario that several runs share). Clients ask
//! it for owners ([`SharedPlacement::route`]); the runner applies joins and leaves between
//! engine segments ([`SharedPlacement::apply`]) and gets back how many of a key sample changed
//! owner, and where they went.
//!
//! **Limitations:**
//! - A run is single-threaded, so the lock is never contended; it exists so a built
//!   simulation stays `Send` (sweeps move runs between threads).
//! - The moved fraction is measured on a key sample (keys `0..n`), not on data held by nodes:
//!   the servers of the request/response roles are stateless. Models that hold data (caches,
//!   stores) read ownership from the same placement and move their own data.

use std::sync::{Arc, Mutex, MutexGuard};

use sim_core::NodeId;

use super::{Movement, Placement, ZoneMap};
use crate::workload::KeyId;

/// A membership change applied to a placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberChange {
    /// The node joins with weight 1.
    Join(NodeId),
    /// The node leaves (gracefully, or because it failed and was detected).
    Leave(NodeId),
}

/// A placement scheme shared by every client that routes by it during one run.
///
/// The scheme may work on a group's own member numbers (`0..n`) rather than engine node ids:
/// with a `base`, member `i` is node `base + i`, and every id going in or out is translated.
/// Hashing group-local numbers keeps a group's key ownership independent of where the group
/// stands among all nodes, so adding a group elsewhere in a scenario moves no key.
#[derive(Clone)]
pub struct SharedPlacement {
    scheme: Arc<Mutex<Box<dyn Placement>>>,
    base: u32,
    /// Members' zones (group-local numbers), for zone-spread replica sets.
    zones: Option<Arc<ZoneMap>>,
}

impl std::fmt::Debug for SharedPlacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SharedPlacement({}, base {})",
            self.lock().name(),
            self.base
        )
    }
}

impl SharedPlacement {
    /// Shares `placement`, whose members are engine node ids.
    pub fn new(placement: Box<dyn Placement>) -> Self {
        Self::for_group(placement, 0)
    }

    /// Shares `placement`, whose member `i` is engine node `base + i`.
    pub fn for_group(placement: Box<dyn Placement>, base: u32) -> Self {
        SharedPlacement {
            scheme: Arc::new(Mutex::new(placement)),
            base,
            zones: None,
        }
    }

    /// Knows its members' zones (`zones` in group-local numbers), so replica sets can be
    /// spread across zones ([`SharedPlacement::replicas`]).
    pub fn with_zones(mut self, zones: ZoneMap) -> Self {
        self.zones = Some(Arc::new(zones));
        self
    }

    /// Fills `out` with `key`'s first `n` replicas (fewer if the placement has fewer
    /// members), in preference order, the owner first; with known zones, nodes in zones not
    /// yet used come first. Engine node ids.
    pub fn replicas(&self, key: KeyId, n: usize, out: &mut Vec<NodeId>) {
        let placement = self.lock();
        match &self.zones {
            // With one zone, spreading is plain preference order: take the scheme's own
            // (a ring's preference table).
            Some(zones) if zones.zone_count() > 1 => placement.replicas_spread(key, n, zones, out),
            _ => placement.replicas(key, n, out),
        }
        for node in out.iter_mut() {
            *node = self.node(*node);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Box<dyn Placement>> {
        // Only a panic while holding the lock poisons it, and a panic already ends the run.
        self.scheme
            .lock()
            .expect("placement lock poisoned by an earlier panic")
    }

    /// Engine node of scheme member `local`.
    fn node(&self, local: NodeId) -> NodeId {
        NodeId(local.0 + self.base)
    }

    /// Scheme member of engine node `node` (which must belong to the group).
    fn local(&self, node: NodeId) -> NodeId {
        NodeId(
            node.0
                .checked_sub(self.base)
                .expect("a membership change names a node of the placement's group"),
        )
    }

    /// The scheme's name.
    pub fn name(&self) -> &'static str {
        self.lock().name()
    }

    /// The live members (engine node ids), sorted by id.
    pub fn members(&self) -> Vec<NodeId> {
        self.lock()
            .members()
            .iter()
            .map(|m| self.node(*m))
            .collect()
    }

    /// How many live members it has.
    pub fn len(&self) -> usize {
        self.lock().members().len()
    }

    /// Whether it has no live member.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The node a request for `key` goes to: its owner, recording the key with stateful
    /// schemes (a bounded-load ring places a key when it is first requested). `None` only when
    /// the placement has no members.
    pub fn route(&self, key: KeyId) -> Option<NodeId> {
        let owner = self.lock().assign(key);
        owner.map(|local| self.node(local))
    }

    /// Applies `changes` (in order, as one step) and compares the owners of `sample` before
    /// and after.
    ///
    /// Panics if a change is invalid for the members at that point (a join of a member, a
    /// leave of a non-member): scenarios validate their membership timeline before running.
    pub fn apply(
        &self,
        changes: &[MemberChange],
        sample: impl Iterator<Item = KeyId> + Clone,
    ) -> Movement {
        let mut placement = self.lock();
        let before: Vec<Option<NodeId>> = sample.clone().map(|key| placement.owner(key)).collect();
        for change in changes {
            match *change {
                MemberChange::Join(node) => placement.add_node(self.local(node), 1.0),
                MemberChange::Leave(node) => placement.remove_node(self.local(node)),
            }
        }
        let mut movement = Movement::default();
        for (key, old) in sample.zip(before) {
            let new = placement.owner(key);
            movement.record(old.map(|n| self.node(n)), new.map(|n| self.node(n)));
        }
        movement
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::equal_members;
    use crate::placement::{moved_keys, PlacementSpec};

    // Goal: applying a change through the shared handle measures the same movement as
    // comparing two independently built placements, and clones see the change. Method: a ring
    // of 8 nodes, join node 8, compare with `moved_keys` on the same keys; then leave node 3.
    #[test]
    fn apply_matches_moved_keys_and_is_shared() {
        let spec = PlacementSpec::ring(100);
        let members = equal_members(8);
        let shared = SharedPlacement::new(spec.build(&members).expect("valid"));
        let clone = shared.clone();
        let keys = (0..20_000).map(KeyId);

        let movement = shared.apply(&[MemberChange::Join(NodeId(8))], keys.clone());
        let before = spec.build(&members).expect("valid");
        let mut after = spec.build(&members).expect("valid");
        after.add_node(NodeId(8), 1.0);
        assert_eq!(movement, moved_keys(&*before, &*after, keys.clone()));
        assert_eq!(clone.members().len(), 9);
        assert!(movement.to.keys().all(|&n| n == NodeId(8)));

        let movement = clone.apply(&[MemberChange::Leave(NodeId(3))], keys.clone());
        assert!(movement.from.keys().all(|&n| n == NodeId(3)));
        assert!(!shared.members().contains(&NodeId(3)));
        after.remove_node(NodeId(3));
        for key in keys {
            assert_eq!(shared.route(key), after.owner(key));
        }
    }
}
