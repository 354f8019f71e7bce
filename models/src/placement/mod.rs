//! Placement: which node owns a key, and which nodes hold its replicas.
//!
//! Sharding decides how evenly keys and requests spread over nodes and how much data moves
//! when a node joins or dies, so the schemes compared in the literature are all here, behind
//! one [`Placement`] trait, with one fixed hash ([`hash::key_hash`]) so every machine computes
//! the same owners:
//!
//! - [`Modulo`]: `hash(key) mod n` over the sorted members, the baseline that moves almost
//!   every key on a resize.
//! - [`RangePartition`] and [`Directory`]: explicit key ranges (Bigtable-style tablets,
//!   Chang et al., OSDI 2006, §5; a lookup directory, as in Adya et al.'s Slicer, OSDI 2016).
//! - [`ConsistentHashRing`]: Karger et al., "Consistent hashing and random trees", STOC 1997,
//!   with virtual nodes and weights as in Dynamo (DeCandia et al., SOSP 2007, §4.2).
//! - [`Rendezvous`]: highest random weight (Thaler & Ravishankar, IEEE/ACM ToN 1998), weighted
//!   by `-w / ln(h)` (Schindelhauer & Schomaker, "Weighted distributed hash tables", SPAA
//!   2005).
//! - [`JumpHash`]: Lamping & Veach, "A fast, minimal memory, consistent hash algorithm", 2014.
//! - [`Maglev`]: Eisenbud et al., "Maglev: a fast and reliable software network load
//!   balancer", NSDI 2016, §3.4.
//! - [`BoundedLoadRing`]: Mirrokni, Thorup & Zadimoghaddam, "Consistent hashing with bounded
//!   loads", SODA 2018.
//!
//! The schemes are plain data structures: membership changes are method calls, and a node
//! elsewhere adapts them to messages and the fault timeline. [`PlacementSpec`] builds any of
//! them, and each scheme a scenario can name has a row in [`SCHEMES`]; [`moved_keys`] counts the keys a membership change moves, and
//! [`study`] reports key and request shares without running traffic.
//!
//! ```
//! use models::placement::{moved_keys, Member, PlacementSpec};
//! use models::workload::KeyId;
//! use sim_core::{NodeId, ZoneId};
//!
//! let members: Vec<Member> = (0..4).map(|i| Member::new(NodeId(i), 1.0, ZoneId(0))).collect();
//! let spec = PlacementSpec::ring(100);
//! let before = spec.build(&members)?;
//! let mut after = spec.build(&members)?;
//! after.add_node(NodeId(4), 1.0);
//! let owner = after.owner(KeyId(42)).expect("the ring has members");
//! assert!(owner.0 <= 4);
//! let movement = moved_keys(&*before, &*after, (0..10_000).map(KeyId));
//! // Only keys the new node took over moved: about a fifth.
//! assert!(movement.to.keys().all(|&node| node == NodeId(4)));
//! assert!(movement.moved > 1_000 && movement.moved < 3_000);
//! # Ok::<(), models::placement::PlacementError>(())
//! ```
//!
//! **Limitations:**
//! - Keys are opaque `u64`s hashed once; there is no notion of key size, so "load" is a key or
//!   request count, not bytes.
//! - Membership is a set of live nodes; a failed node is removed at once. Detecting the failure
//!   (timeouts, gossip) and moving data are the hosting node's and later models' jobs.
//! - Zone spread ([`Placement::replicas_spread`]) is greedy along each scheme's preference
//!   order; it does not balance zones' loads, and it is not rack- or region-aware.
//! - Floating-point weights are used only to count vnodes, scores and caps; owners depend on
//!   them only through IEEE-754 arithmetic, which is the same on every supported platform.

mod bounded;
pub mod hash;
mod maglev;
mod registry;
mod rendezvous;
mod ring;
mod shared;
mod simple;
mod spec;
mod study;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod validation;

pub use bounded::BoundedLoadRing;
pub use maglev::{Maglev, MAGLEV_TABLE_SIZE_DEFAULT, MAGLEV_TABLE_SIZE_MAX};
pub use registry::{schemes, SCHEMES};
pub use rendezvous::{jump_bucket, JumpHash, Rendezvous};
pub use ring::{ConsistentHashRing, VNODES_MAX};
pub use shared::{MemberChange, SharedPlacement};
pub use simple::{Directory, DirectoryEntry, Modulo, RangePartition};
pub use spec::{
    ParseScheme, PlacementSpec, SchemeRow, EPSILON_DEFAULT, HASH_SEED_DEFAULT, RING_VNODES_DEFAULT,
};
pub use study::{
    balls_into_bins, moved_keys, study, KeySample, Movement, NodeShare, PlacementStudy, ShareStats,
    STUDY_KEYS_MAX, STUDY_REQUESTS_MAX,
};

use std::collections::BTreeMap;

use sim_core::{NodeId, ZoneId};

use crate::workload::KeyId;

/// A key → node mapping over a changing set of live members. `Send + Sync` so one scheme can be
/// shared (behind an `Arc`) by every client that routes by it.
///
/// Contract for implementors: [`candidates`](Placement::candidates) visits nodes in the
/// scheme's preference order for the key, starting with [`owner`](Placement::owner)'s answer,
/// and eventually visits every member (repeats are allowed; callers skip them).
pub trait Placement: Send + Sync {
    /// The scheme's name, as in [`SCHEMES`].
    fn name(&self) -> &'static str;

    /// The live members, sorted by id.
    fn members(&self) -> &[NodeId];

    /// The node that owns `key`, or `None` when there are no live members (or, for a
    /// [`Directory`] without a default, when no entry covers the key).
    fn owner(&self, key: KeyId) -> Option<NodeId>;

    /// Visits nodes in preference order for `key` until `visit` returns `false` or every
    /// member has been visited (see the trait's contract).
    fn candidates(&self, key: KeyId, visit: &mut dyn FnMut(NodeId) -> bool);

    /// Adds a live member with a positive, finite `weight` (schemes that ignore weights say
    /// so). Panics if `node` is already a member or the weight is invalid: callers validate
    /// weights with [`check_weight`] and track membership, so either is a bug.
    fn add_node(&mut self, node: NodeId, weight: f64);

    /// Removes a member (it left or failed); its keys move as the scheme defines. Panics if
    /// `node` is not a member.
    fn remove_node(&mut self, node: NodeId);

    /// Approximate heap bytes held, for the benchmark's memory figure.
    fn memory_bytes(&self) -> usize;

    /// Fills `out` with `min(n, members)` distinct nodes for `key`, in preference order; the
    /// first is the owner. Allocates nothing when `out` has capacity `n`.
    fn replicas(&self, key: KeyId, n: usize, out: &mut Vec<NodeId>) {
        fill_replicas(self, key, n, None, out);
    }

    /// Like [`replicas`](Placement::replicas), but first takes nodes in zones not yet used, in
    /// preference order, and only then fills up with the remaining nodes in preference order.
    /// Deterministic; nodes missing from `zones` share one unknown zone.
    fn replicas_spread(&self, key: KeyId, n: usize, zones: &ZoneMap, out: &mut Vec<NodeId>) {
        fill_replicas(self, key, n, Some(zones), out);
    }

    /// Places `key` and records it, for stateful schemes ([`BoundedLoadRing`]); for the others
    /// it is [`owner`](Placement::owner).
    fn assign(&mut self, key: KeyId) -> Option<NodeId> {
        self.owner(key)
    }

    /// Forgets a key recorded by [`assign`](Placement::assign); a no-op for stateless schemes.
    fn release(&mut self, _key: KeyId) {}
}

/// Shared body of [`Placement::replicas`] and [`Placement::replicas_spread`].
fn fill_replicas<P: Placement + ?Sized>(
    placement: &P,
    key: KeyId,
    n: usize,
    zones: Option<&ZoneMap>,
    out: &mut Vec<NodeId>,
) {
    out.clear();
    let want = n.min(placement.members().len());
    if want == 0 {
        return;
    }
    if let Some(zones) = zones {
        // Once every zone has a replica, no candidate can add one: stop walking (a single
        // zone would otherwise walk a whole ring for nothing on every lookup).
        let spread = want.min(zones.zone_count().max(1));
        placement.candidates(key, &mut |node| {
            let zone = zones.zone(node);
            let zone_used = out.iter().any(|&taken| zones.zone(taken) == zone);
            if !zone_used && !out.contains(&node) {
                out.push(node);
            }
            out.len() < spread
        });
    }
    if out.len() < want {
        placement.candidates(key, &mut |node| {
            if !out.contains(&node) {
                out.push(node);
            }
            out.len() < want
        });
    }
    assert_eq!(
        out.len(),
        want,
        "{} candidates missed a member",
        placement.name()
    );
}

/// A member as the scheme builders take it: id, weight (positive, finite) and zone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Member {
    /// The node.
    pub node: NodeId,
    /// Relative capacity; 1.0 is a standard node.
    pub weight: f64,
    /// The node's zone, for [`Placement::replicas_spread`].
    pub zone: ZoneId,
}

impl Member {
    /// A member (validated when a scheme is built).
    pub fn new(node: NodeId, weight: f64, zone: ZoneId) -> Self {
        Member { node, weight, zone }
    }
}

/// Each node's zone, for zone-spread replica sets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneMap {
    zones: BTreeMap<NodeId, ZoneId>,
    /// The distinct zones among them.
    distinct: std::collections::BTreeSet<ZoneId>,
}

impl ZoneMap {
    /// An empty map: every node in the one unknown zone.
    pub fn new() -> Self {
        ZoneMap::default()
    }

    /// The zones of `members`.
    pub fn from_members(members: &[Member]) -> Self {
        let mut map = ZoneMap::new();
        for member in members {
            map.insert(member.node, member.zone);
        }
        map
    }

    /// Sets `node`'s zone.
    pub fn insert(&mut self, node: NodeId, zone: ZoneId) {
        self.zones.insert(node, zone);
        self.distinct.insert(zone);
    }

    /// How many distinct zones its nodes are in (a node mapped twice counts its zones once
    /// each, an upper bound).
    pub fn zone_count(&self) -> usize {
        self.distinct.len()
    }

    /// `node`'s zone, or `None` if unknown.
    pub fn zone(&self, node: NodeId) -> Option<ZoneId> {
        self.zones.get(&node).copied()
    }
}

/// Why a placement scheme's parameters were rejected. Messages name the scheme, the parameter,
/// what is valid and what was given.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlacementError {
    /// A scheme was built with no members.
    #[error("{scheme} needs at least one node, got 0")]
    NoNodes {
        /// The scheme's name.
        scheme: &'static str,
    },
    /// The same node appears twice in the member list.
    #[error("{scheme} members list {node} twice")]
    DuplicateNode {
        /// The scheme's name.
        scheme: &'static str,
        /// The repeated node.
        node: NodeId,
    },
    /// A weight is not a finite number > 0.
    #[error("{node} weight must be a finite number > 0, got {value}")]
    BadWeight {
        /// The node.
        node: NodeId,
        /// The rejected weight.
        value: f64,
    },
    /// An integer parameter is outside its valid range.
    #[error("{scheme} {param} must be {valid}, got {value}")]
    BadCount {
        /// The scheme's name.
        scheme: &'static str,
        /// The parameter, e.g. `"vnodes"`.
        param: &'static str,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected value.
        value: u64,
    },
    /// A real parameter is outside its valid range.
    #[error("{scheme} {param} must be {valid}, got {value}")]
    BadParameter {
        /// The scheme's name.
        scheme: &'static str,
        /// The parameter, e.g. `"epsilon"`.
        param: &'static str,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// Range split points are not strictly increasing.
    #[error("range split [{index}] must be > the previous split ({previous}), got {value}")]
    SplitsOutOfOrder {
        /// Position of the offending split.
        index: usize,
        /// The split before it.
        previous: u64,
        /// The rejected split.
        value: u64,
    },
    /// A directory entry is empty (`start >= end`).
    #[error("directory entry [{index}] must have start < end, got [{start}, {end})")]
    EmptyRange {
        /// Position of the entry.
        index: usize,
        /// Its start.
        start: u64,
        /// Its end.
        end: u64,
    },
    /// Directory entries overlap or are not sorted by start.
    #[error(
        "directory entry [{index}] must start at or after the previous entry's end ({previous_end}), \
         got {start} (sort entries by start and make them disjoint)"
    )]
    RangesOverlap {
        /// Position of the entry.
        index: usize,
        /// The previous entry's end.
        previous_end: u64,
        /// This entry's start.
        start: u64,
    },
    /// A directory names a node that is not a member.
    #[error("directory {place} names {node}, which is not a member")]
    UnknownNode {
        /// Where: `"entry [3]"` or `"default"`.
        place: String,
        /// The unknown node.
        node: NodeId,
    },
    /// Maglev's table size is not prime.
    #[error("maglev table_size must be a prime, got {value} (the next prime is {next_prime})")]
    TableNotPrime {
        /// The rejected size.
        value: u64,
        /// The smallest prime above it.
        next_prime: u64,
    },
}

/// Checks a node weight: finite and > 0.
pub fn check_weight(node: NodeId, weight: f64) -> Result<f64, PlacementError> {
    if weight > 0.0 && weight.is_finite() {
        Ok(weight)
    } else {
        Err(PlacementError::BadWeight {
            node,
            value: weight,
        })
    }
}

/// The sorted member list and weights every scheme keeps; add and remove keep both sorted by
/// node id and panic on a duplicate or unknown node (see [`Placement::add_node`]).
#[derive(Clone, Debug, Default)]
struct Membership {
    nodes: Vec<NodeId>,
    weights: Vec<f64>,
}

impl Membership {
    /// Validates `members` (non-empty, distinct, weights valid) for `scheme`.
    fn new(scheme: &'static str, members: &[Member]) -> Result<Self, PlacementError> {
        if members.is_empty() {
            return Err(PlacementError::NoNodes { scheme });
        }
        let mut membership = Membership::default();
        for member in members {
            check_weight(member.node, member.weight)?;
            if membership.nodes.binary_search(&member.node).is_ok() {
                let node = member.node;
                return Err(PlacementError::DuplicateNode { scheme, node });
            }
            membership.insert(member.node, member.weight);
        }
        Ok(membership)
    }

    /// Inserts a node; returns its position.
    fn insert(&mut self, node: NodeId, weight: f64) -> usize {
        check_weight(node, weight).expect("add_node takes a validated weight");
        let position = match self.nodes.binary_search(&node) {
            Ok(_) => panic!("{node} is already a member"),
            Err(position) => position,
        };
        self.nodes.insert(position, node);
        self.weights.insert(position, weight);
        position
    }

    /// Removes a node; returns its former position.
    fn remove(&mut self, node: NodeId) -> usize {
        let position = self
            .nodes
            .binary_search(&node)
            .unwrap_or_else(|_| panic!("{node} is not a member"));
        self.nodes.remove(position);
        self.weights.remove(position);
        position
    }

    fn memory_bytes(&self) -> usize {
        self.nodes.capacity() * size_of::<NodeId>() + self.weights.capacity() * size_of::<f64>()
    }
}

/// `n` equal members, ids `0..n`, all in zone 0: the fixture every placement test starts from.
#[cfg(test)]
pub(crate) fn equal_members(n: u32) -> Vec<Member> {
    (0..n)
        .map(|id| Member::new(NodeId(id), 1.0, ZoneId(0)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scheme's name: the registry's rows, and the directory (built in code only).
    pub(super) fn all_scheme_names() -> Vec<&'static str> {
        SCHEMES
            .iter()
            .map(|row| row.name)
            .chain(["directory"])
            .collect()
    }

    // Goal: the registry lists every scheme once, each described, and every name builds.
    #[test]
    fn scheme_list_is_unique_and_buildable() {
        let mut names = all_scheme_names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SCHEMES.len() + 1);
        let members: Vec<Member> = (0..3)
            .map(|i| Member::new(NodeId(i), 1.0, ZoneId(0)))
            .collect();
        for row in SCHEMES {
            assert!(!row.description.is_empty());
        }
        for name in all_scheme_names() {
            let spec = PlacementSpec::example(name).expect("every scheme has an example");
            let scheme = spec.build(&members).expect("example parameters are valid");
            assert_eq!(scheme.name(), name);
            assert_eq!(scheme.members(), &[NodeId(0), NodeId(1), NodeId(2)]);
        }
    }

    // Goal: replica sets are distinct, start with the owner, cap at the member count, and
    // prefer unused zones when asked.
    #[test]
    fn replicas_distinct_and_spread() {
        let members: Vec<Member> = (0..6)
            .map(|i| Member::new(NodeId(i), 1.0, ZoneId((i / 2) as u16)))
            .collect();
        let zones = ZoneMap::from_members(&members);
        let mut out = Vec::new();
        for name in all_scheme_names() {
            let scheme = PlacementSpec::example(name)
                .unwrap()
                .build(&members)
                .unwrap();
            for key in 0..200 {
                let key = KeyId(key);
                scheme.replicas(key, 3, &mut out);
                assert_eq!(out.len(), 3);
                assert_eq!(Some(out[0]), scheme.owner(key), "{name}");
                scheme.replicas(key, 10, &mut out);
                assert_eq!(out.len(), 6, "{name}: capped at the member count");
                let mut sorted = out.clone();
                sorted.sort();
                sorted.dedup();
                assert_eq!(sorted.len(), 6, "{name}: distinct");
                scheme.replicas_spread(key, 3, &zones, &mut out);
                let mut used: Vec<_> = out.iter().map(|&node| zones.zone(node)).collect();
                used.sort();
                used.dedup();
                assert_eq!(used.len(), 3, "{name}: three zones for three replicas");
                assert_eq!(Some(out[0]), scheme.owner(key), "{name}");
            }
        }
    }

    // Goal: bad member lists are rejected with messages naming the value.
    #[test]
    fn rejects_bad_members() {
        #[track_caller]
        fn check(members: &[Member], expect: &str) {
            let error = PlacementSpec::modulo()
                .build(members)
                .err()
                .expect("rejected");
            assert_eq!(error.to_string(), expect);
        }
        check(&[], "modulo needs at least one node, got 0");
        let one = |weight| Member::new(NodeId(1), weight, ZoneId(0));
        check(
            &[one(0.0)],
            "node 1 weight must be a finite number > 0, got 0",
        );
        check(
            &[one(-1.0)],
            "node 1 weight must be a finite number > 0, got -1",
        );
        check(
            &[one(f64::NAN)],
            "node 1 weight must be a finite number > 0, got NaN",
        );
        check(&[one(1.0), one(2.0)], "modulo members list node 1 twice");
    }
}
