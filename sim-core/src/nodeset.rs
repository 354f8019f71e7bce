//! Sets of nodes, as faults and partitions name them.
//!
//! [`NodeSet`] is the plain, sorted form used in fault descriptions; [`NodeBits`] is the
//! membership bitmap a partition or degradation is compiled to when it becomes active, so the
//! per-message check is two bit tests, even when a partition splits a million nodes in half.

use crate::ids::NodeId;

/// A sorted set of distinct nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeSet {
    nodes: Vec<NodeId>,
}

impl NodeSet {
    /// The empty set.
    pub fn new() -> Self {
        NodeSet { nodes: Vec::new() }
    }

    /// A set of one node.
    pub fn single(node: NodeId) -> Self {
        NodeSet { nodes: vec![node] }
    }

    /// Nodes `start..end` (end exclusive).
    pub fn range(start: u32, end: u32) -> Self {
        NodeSet {
            nodes: (start..end).map(NodeId).collect(),
        }
    }

    /// Every node of a simulation with `n_nodes` nodes.
    pub fn all(n_nodes: u32) -> Self {
        Self::range(0, n_nodes)
    }

    /// The members, in increasing order.
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether `node` is a member (binary search).
    pub fn contains(&self, node: NodeId) -> bool {
        self.nodes.binary_search(&node).is_ok()
    }

    /// Every node of `0..n_nodes` that is not in this set.
    pub fn complement(&self, n_nodes: u32) -> NodeSet {
        NodeSet {
            nodes: (0..n_nodes)
                .map(NodeId)
                .filter(|n| !self.contains(*n))
                .collect(),
        }
    }

    /// The largest member, if any.
    pub fn max(&self) -> Option<NodeId> {
        self.nodes.last().copied()
    }
}

impl FromIterator<NodeId> for NodeSet {
    fn from_iter<I: IntoIterator<Item = NodeId>>(iter: I) -> Self {
        let mut nodes: Vec<NodeId> = iter.into_iter().collect();
        nodes.sort_unstable();
        nodes.dedup();
        NodeSet { nodes }
    }
}

/// A membership bitmap over `0..n_nodes`.
#[derive(Clone, Debug)]
pub struct NodeBits {
    words: Vec<u64>,
}

impl NodeBits {
    /// The bitmap of `set`, sized for `n_nodes` nodes.
    pub fn from_set(set: &NodeSet, n_nodes: u32) -> Self {
        let mut words = vec![0u64; (n_nodes as usize).div_ceil(64)];
        for node in set.nodes() {
            assert!(
                node.0 < n_nodes,
                "{node} outside a {n_nodes}-node simulation"
            );
            words[node.idx() / 64] |= 1 << (node.idx() % 64);
        }
        NodeBits { words }
    }

    /// Whether `node` is set; nodes beyond the bitmap (added later) are not members.
    #[inline]
    pub fn contains(&self, node: NodeId) -> bool {
        self.words
            .get(node.idx() / 64)
            .is_some_and(|word| word & (1 << (node.idx() % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the sorted set and its bitmap agree on membership, including edges.
    #[test]
    fn set_and_bits_agree() {
        let set: NodeSet = [5, 0, 63, 64, 5].into_iter().map(NodeId).collect();
        assert_eq!(set.len(), 4);
        let bits = NodeBits::from_set(&set, 100);
        for n in 0..120 {
            assert_eq!(
                set.contains(NodeId(n)),
                bits.contains(NodeId(n)),
                "node {n}"
            );
        }
        assert_eq!(set.complement(6).nodes(), &[1, 2, 3, 4].map(NodeId));
    }
}
