//! The simple schemes: modulo-N, range partitioning and an explicit directory.
//!
//! Modulo is the baseline every consistent scheme is measured against: even, stateless, and
//! moving `n/(n+1)` of keys when a node joins. Range partitioning and directories keep key
//! order (for scans) and put the operator in charge of balance, as Bigtable's tablets (Chang et
//! al., OSDI 2006, §5) and lookup services such as Slicer (Adya et al., OSDI 2016) do.
//!
//! **Limitations:**
//! - Ranges never split or merge on their own: a hot range stays hot until the operator (a
//!   scenario event) changes the table.
//! - Weights are validated but ignored by all three schemes.
//! - A range partition with `k + 1` ranges and `n` members gives range `i` to member
//!   `i mod n`, so with `n != k + 1` some members own more ranges than others, and a membership
//!   change re-deals ranges by position (most ranges change owner).

use sim_core::NodeId;

use super::hash::key_hash;
use super::{Member, Membership, Placement, PlacementError};
use crate::workload::KeyId;

/// The `Placement` impl the schemes in this file share: each maps a key to an index into the
/// sorted member list (its `$index` method) and differs only in its name and the memory its
/// own tables take (`$extra_bytes`).
macro_rules! indexed_placement {
    ($scheme:ty, $name:literal, $index:ident, $extra_bytes:expr) => {
        impl Placement for $scheme {
            fn name(&self) -> &'static str {
                $name
            }
            fn members(&self) -> &[NodeId] {
                &self.membership.nodes
            }
            fn owner(&self, key: KeyId) -> Option<NodeId> {
                self.$index(key).map(|index| self.membership.nodes[index])
            }
            fn candidates(&self, key: KeyId, visit: &mut dyn FnMut(NodeId) -> bool) {
                if let Some(index) = self.$index(key) {
                    visit_from(&self.membership.nodes, index, visit);
                }
            }
            fn add_node(&mut self, node: NodeId, weight: f64) {
                self.membership.insert(node, weight);
            }
            fn remove_node(&mut self, node: NodeId) {
                self.membership.remove(node);
            }
            fn memory_bytes(&self) -> usize {
                self.membership.memory_bytes() + ($extra_bytes)(self)
            }
        }
    };
}

/// Visits `members` starting at `start` and wrapping, until `visit` says stop.
fn visit_from(members: &[NodeId], start: usize, visit: &mut dyn FnMut(NodeId) -> bool) {
    for offset in 0..members.len() {
        if !visit(members[(start + offset) % members.len()]) {
            return;
        }
    }
}

/// `hash(key) mod n` over the members sorted by id.
///
/// Replicas are the next members in sorted order, wrapping. Hot path: one hash and one `%`.
#[derive(Clone, Debug)]
pub struct Modulo {
    membership: Membership,
    seed: u64,
}

impl Modulo {
    /// Modulo placement over `members` with hash seed `seed`.
    pub fn new(members: &[Member], seed: u64) -> Result<Self, PlacementError> {
        let membership = Membership::new("modulo", members)?;
        Ok(Modulo { membership, seed })
    }

    fn index(&self, key: KeyId) -> Option<usize> {
        let n = self.membership.nodes.len() as u64;
        (n > 0).then(|| (key_hash(key.0, self.seed) % n) as usize)
    }
}

indexed_placement!(Modulo, "modulo", index, |_: &Modulo| 0);

/// Explicit split points over the raw key space (keys are not hashed, so order is kept): `k`
/// strictly increasing splits make `k + 1` ranges `[0, s0), [s0, s1), ..., [s(k-1), 2^64)`,
/// and range `i` belongs to member `i mod n` (members sorted by id).
///
/// Replicas are the next members in sorted order after the owner, wrapping.
#[derive(Clone, Debug)]
pub struct RangePartition {
    membership: Membership,
    splits: Vec<u64>,
}

impl RangePartition {
    /// A range partition; rejects an empty member list and splits that do not strictly
    /// increase.
    pub fn new(members: &[Member], splits: &[u64]) -> Result<Self, PlacementError> {
        let membership = Membership::new("range", members)?;
        for (index, pair) in splits.windows(2).enumerate() {
            if pair[1] <= pair[0] {
                return Err(PlacementError::SplitsOutOfOrder {
                    index: index + 1,
                    previous: pair[0],
                    value: pair[1],
                });
            }
        }
        let splits = splits.to_vec();
        Ok(RangePartition { membership, splits })
    }

    /// The split points.
    pub fn splits(&self) -> &[u64] {
        &self.splits
    }

    fn index(&self, key: KeyId) -> Option<usize> {
        let n = self.membership.nodes.len();
        // Range i is [splits[i-1], splits[i]): the number of splits <= key.
        let range = self.splits.partition_point(|&split| split <= key.0);
        (n > 0).then_some(range % n)
    }
}

indexed_placement!(RangePartition, "range", index, |scheme: &RangePartition| {
    scheme.splits.capacity() * size_of::<u64>()
});

/// One row of a [`Directory`]: raw keys in `[start, end)` belong to `node`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// First key of the range.
    pub start: u64,
    /// One past the last key.
    pub end: u64,
    /// The owner.
    pub node: NodeId,
}

/// An explicit table of disjoint key ranges `[start, end) -> node`, over raw (unhashed) keys.
///
/// Design choices, documented because a real directory service would make them by policy:
/// - A key no entry covers goes to the `default` node if one is given, else it has no owner
///   (`owner` returns `None`), which the hosting node reports as an unroutable request.
/// - When an entry's node (or the default) is not live, the range fails over to the next live
///   member after it in id order, wrapping; when that node comes back, the range returns.
///   A node added later owns no range except by failover: the table is explicit.
/// - Replicas are the owner, then the next live members in id order after it.
#[derive(Clone, Debug)]
pub struct Directory {
    membership: Membership,
    entries: Vec<DirectoryEntry>,
    default: Option<NodeId>,
}

impl Directory {
    /// A directory over `members`; entries must be sorted by start, non-empty and disjoint,
    /// and every node they (and `default`) name must be a member.
    pub fn new(
        members: &[Member],
        entries: &[DirectoryEntry],
        default: Option<NodeId>,
    ) -> Result<Self, PlacementError> {
        let membership = Membership::new("directory", members)?;
        let is_member = |node: NodeId| membership.nodes.binary_search(&node).is_ok();
        for (index, entry) in entries.iter().enumerate() {
            if entry.start >= entry.end {
                let (start, end) = (entry.start, entry.end);
                return Err(PlacementError::EmptyRange { index, start, end });
            }
            if index > 0 && entry.start < entries[index - 1].end {
                return Err(PlacementError::RangesOverlap {
                    index,
                    previous_end: entries[index - 1].end,
                    start: entry.start,
                });
            }
            if !is_member(entry.node) {
                let place = format!("entry [{index}]");
                return Err(PlacementError::UnknownNode {
                    place,
                    node: entry.node,
                });
            }
        }
        if let Some(node) = default.filter(|&node| !is_member(node)) {
            let place = "default".to_string();
            return Err(PlacementError::UnknownNode { place, node });
        }
        let entries = entries.to_vec();
        Ok(Directory {
            membership,
            entries,
            default,
        })
    }

    /// The configured node for `key` (live or not), from the table or the default.
    fn configured(&self, key: KeyId) -> Option<NodeId> {
        let after = self.entries.partition_point(|entry| entry.start <= key.0);
        let covering = after.checked_sub(1).map(|index| self.entries[index]);
        match covering {
            Some(entry) if key.0 < entry.end => Some(entry.node),
            _ => self.default,
        }
    }

    /// Position in the live list of the configured node, or of the next live node after it.
    fn live_index(&self, key: KeyId) -> Option<usize> {
        let configured = self.configured(key)?;
        let nodes = &self.membership.nodes;
        if nodes.is_empty() {
            return None;
        }
        let index = match nodes.binary_search(&configured) {
            Ok(index) => index,
            Err(after) => after % nodes.len(),
        };
        Some(index)
    }
}

indexed_placement!(Directory, "directory", live_index, |scheme: &Directory| {
    scheme.entries.capacity() * size_of::<DirectoryEntry>()
});

/// `modulo`.
pub(super) const MODULO_ROW: super::spec::SchemeRow = sim_core::registry::Row {
    name: "modulo",
    aliases: &[],
    description: "hash(key) mod n over the sorted members",
    params: &[],
    value: |_| Ok(super::PlacementSpec::modulo()),
};

/// `range`.
pub(super) const RANGE_ROW: super::spec::SchemeRow = sim_core::registry::Row {
    name: "range",
    aliases: &[],
    description: "explicit split points; range i goes to member i mod n",
    params: &[sim_core::registry::Param::optional(
        "splits",
        "[]",
        "strictly increasing split points over the key space",
    )],
    value: |args| {
        Ok(super::PlacementSpec::range(
            args.integers("splits")?.unwrap_or_default(),
        ))
    },
};

impl super::PlacementSpec {
    /// `hash(key) mod n` over the sorted members ([`Modulo`]).
    pub fn modulo() -> Self {
        super::PlacementSpec::new("modulo", String::new(), |members, seed| {
            Ok(Box::new(Modulo::new(members, seed)?))
        })
    }

    /// Explicit strictly increasing split points; range `i` goes to member `i mod n`
    /// ([`RangePartition`]).
    pub fn range(splits: Vec<u64>) -> Self {
        let params = format!("{} splits", splits.len());
        super::PlacementSpec::new("range", params, move |members, _| {
            Ok(Box::new(RangePartition::new(members, &splits)?))
        })
    }

    /// An explicit `[start, end) -> node` table, disjoint entries sorted by start; keys no
    /// entry covers go to `default` or stay unowned ([`Directory`]).
    pub fn directory(entries: Vec<DirectoryEntry>, default: Option<NodeId>) -> Self {
        let params = format!("{} entries", entries.len());
        super::PlacementSpec::new("directory", params, move |members, _| {
            Ok(Box::new(Directory::new(members, &entries, default)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::ZoneId;

    fn members(ids: &[u32]) -> Vec<Member> {
        ids.iter()
            .map(|&id| Member::new(NodeId(id), 1.0, ZoneId(0)))
            .collect()
    }

    /// Asserts the owners of `keys` are `expect` (`None` as `-`).
    #[track_caller]
    fn check(placement: &dyn Placement, keys: &[u64], expect: &str) {
        let owners: Vec<String> = keys
            .iter()
            .map(|&key| match placement.owner(KeyId(key)) {
                Some(node) => node.0.to_string(),
                None => "-".to_string(),
            })
            .collect();
        assert_eq!(owners.join(" "), expect);
    }

    // Goal: range i goes to member i mod n; boundaries belong to the range they start; the
    // mapping re-deals by position on a membership change.
    #[test]
    fn range_partition_owners() {
        let mut range = RangePartition::new(&members(&[10, 20, 30]), &[100, 200]).unwrap();
        check(
            &range,
            &[0, 99, 100, 199, 200, u64::MAX],
            "10 10 20 20 30 30",
        );
        range.remove_node(NodeId(20));
        check(&range, &[0, 100, 200], "10 30 10");
        let wrapped = RangePartition::new(&members(&[1, 2]), &[10, 20, 30]).unwrap();
        check(&wrapped, &[0, 10, 20, 30], "1 2 1 2");
        let error = RangePartition::new(&members(&[1]), &[5, 5]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "range split [1] must be > the previous split (5), got 5"
        );
        assert!(RangePartition::new(&[], &[]).is_err());
    }

    // Goal: the directory maps covered keys to their entry, uncovered keys to the default or
    // nowhere, fails over to the next live member, and rejects malformed tables.
    #[test]
    fn directory_owners_and_failover() {
        let entries = [
            DirectoryEntry {
                start: 0,
                end: 10,
                node: NodeId(2),
            },
            DirectoryEntry {
                start: 20,
                end: 30,
                node: NodeId(5),
            },
        ];
        let mut directory = Directory::new(&members(&[2, 5, 7]), &entries, None).unwrap();
        check(&directory, &[0, 9, 10, 20, 29, 30], "2 2 - 5 5 -");
        directory.remove_node(NodeId(5));
        check(&directory, &[0, 20], "2 7");
        directory.remove_node(NodeId(7));
        check(&directory, &[20], "2");
        directory.add_node(NodeId(5), 1.0);
        check(&directory, &[20], "5");
        let with_default = Directory::new(&members(&[2, 5, 7]), &entries, Some(NodeId(7))).unwrap();
        check(&with_default, &[15, 1000], "7 7");

        #[track_caller]
        fn reject(entries: &[DirectoryEntry], default: Option<NodeId>, expect: &str) {
            let error = Directory::new(&members(&[1, 2]), entries, default).unwrap_err();
            assert_eq!(error.to_string(), expect);
        }
        let entry = |start, end, node| DirectoryEntry {
            start,
            end,
            node: NodeId(node),
        };
        reject(
            &[entry(5, 5, 1)],
            None,
            "directory entry [0] must have start < end, got [5, 5)",
        );
        reject(
            &[entry(0, 10, 1), entry(5, 20, 2)],
            None,
            "directory entry [1] must start at or after the previous entry's end (10), got 5 \
             (sort entries by start and make them disjoint)",
        );
        reject(
            &[entry(0, 10, 9)],
            None,
            "directory entry [0] names node 9, which is not a member",
        );
        reject(
            &[],
            Some(NodeId(9)),
            "directory default names node 9, which is not a member",
        );
    }

    // Goal: modulo spreads over every member and visits all of them as candidates.
    #[test]
    fn modulo_uses_every_member() {
        let modulo = Modulo::new(&members(&[3, 1, 2]), 0).unwrap();
        assert_eq!(modulo.members(), &[NodeId(1), NodeId(2), NodeId(3)]);
        let mut counts = [0u32; 4];
        for key in 0..3000 {
            counts[modulo.owner(KeyId(key)).unwrap().idx()] += 1;
        }
        // Binomial(3000, 1/3): sd 25.8, so 5 sd is 129.
        assert!(
            counts[1..].iter().all(|&count| count.abs_diff(1000) < 129),
            "{counts:?}"
        );
    }
}
