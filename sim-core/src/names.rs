//! Node names for people: `cache[2]` instead of `node 17`.
//!
//! The engine deals in dense [`NodeId`]s; scenarios build nodes in named groups whose ids are
//! contiguous. [`NodeNames`] is that grouping, handed to the engine
//! ([`Simulation::set_node_names`](crate::Simulation::set_node_names)) so that the fault log
//! and the trace speak the scenario's language, and a set of nodes is described by group with
//! ranges only where the indices are contiguous: `eu-api[0..=9], eu-db[1], eu-db[3]`. Without
//! names (a simulation built by hand) nodes are `node 17`.

use crate::ids::NodeId;

/// The groups of a simulation's nodes: each a name, its first id and its size, the ids
/// contiguous and the groups in id order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeNames {
    /// `(name, first id, count)`, sorted by first id, not overlapping.
    groups: Vec<(String, u32, u32)>,
}

/// At most this many runs (`cache[0..=3]`, `db[1]`) are listed in a description; the rest are
/// counted.
const RUNS_LISTED_MAX: usize = 8;

impl NodeNames {
    /// Names from `(group, first id, count)` triples, in any order. Panics if two groups
    /// overlap (a scenario assigns ids group by group, so they cannot).
    pub fn new(groups: impl IntoIterator<Item = (String, u32, u32)>) -> Self {
        let mut groups: Vec<(String, u32, u32)> = groups.into_iter().collect();
        groups.sort_by_key(|(_, first, _)| *first);
        for pair in groups.windows(2) {
            assert!(
                pair[0].1 + pair[0].2 <= pair[1].1,
                "groups {:?} and {:?} overlap",
                pair[0].0,
                pair[1].0
            );
        }
        NodeNames { groups }
    }

    /// The group holding `node` and the node's index in it.
    pub fn group_of(&self, node: NodeId) -> Option<(&str, u32)> {
        let after = self
            .groups
            .partition_point(|(_, first, _)| *first <= node.0);
        let (name, first, count) = self.groups.get(after.checked_sub(1)?)?;
        (node.0 < first + count).then(|| (name.as_str(), node.0 - first))
    }

    /// `group[i]`, or `node N` for an id no group holds.
    pub fn name(&self, node: NodeId) -> String {
        match self.group_of(node) {
            Some((group, index)) => format!("{group}[{index}]"),
            None => format!("node {}", node.0),
        }
    }

    /// A short description of `nodes` (sorted, distinct): the names of one or two nodes,
    /// else the count and the nodes by group, as ranges where indices are contiguous —
    /// `14 nodes: eu-api[0..=9], eu-db[0..=3]`; past eight runs the rest are counted.
    pub fn describe(&self, nodes: &[NodeId]) -> String {
        let runs = self.runs(nodes);
        let listed: Vec<String> = runs.iter().take(RUNS_LISTED_MAX).cloned().collect();
        let mut text = listed.join(", ");
        if runs.len() > RUNS_LISTED_MAX {
            text.push_str(&format!(", and {} more", runs.len() - RUNS_LISTED_MAX));
        }
        match nodes.len() {
            0 => "no nodes".to_string(),
            1 => text,
            n => format!("{n} nodes: {text}"),
        }
    }

    /// `nodes` as runs of consecutive indices within one group, each named.
    fn runs(&self, nodes: &[NodeId]) -> Vec<String> {
        let mut runs = Vec::new();
        let mut i = 0;
        while i < nodes.len() {
            let start = nodes[i];
            let mut end = start;
            let group = self.group_of(start).map(|(name, _)| name);
            // Extend while the next id follows on and stays in the same group.
            while let Some(&next) = nodes.get(i + 1) {
                let same_group = self.group_of(next).map(|(name, _)| name) == group;
                if next.0 != end.0 + 1 || !same_group || group.is_none() {
                    break;
                }
                end = next;
                i += 1;
            }
            runs.push(match (self.group_of(start), self.group_of(end)) {
                (Some((g, a)), Some((_, b))) if a != b => format!("{g}[{a}..={b}]"),
                _ => self.name(start),
            });
            i += 1;
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> NodeNames {
        NodeNames::new([("db".to_string(), 10, 4), ("api".to_string(), 0, 10)])
    }

    fn ids(list: &[u32]) -> Vec<NodeId> {
        list.iter().map(|&n| NodeId(n)).collect()
    }

    // Goal: names by group and index, and a plain fallback for ids no group holds.
    #[test]
    fn names_nodes_by_group() {
        let names = names();
        assert_eq!(names.name(NodeId(0)), "api[0]");
        assert_eq!(names.name(NodeId(9)), "api[9]");
        assert_eq!(names.name(NodeId(10)), "db[0]");
        assert_eq!(names.name(NodeId(14)), "node 14");
        assert_eq!(NodeNames::default().name(NodeId(3)), "node 3");
    }

    // Goal: a description uses ranges only where indices are contiguous within one group, so
    // `14 nodes` is never written as an id span that reads as more (the `0..=39` defect).
    #[test]
    fn describes_sets_with_ranges_only_where_contiguous() {
        let names = names();
        assert_eq!(names.describe(&ids(&[3])), "api[3]");
        assert_eq!(
            names.describe(&ids(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])),
            "14 nodes: api[0..=9], db[0..=3]"
        );
        assert_eq!(
            names.describe(&ids(&[1, 3, 9, 10, 12])),
            "5 nodes: api[1], api[3], api[9], db[0], db[2]"
        );
        assert_eq!(names.describe(&[]), "no nodes");
        let spread = ids(&[0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
        assert_eq!(
            names.describe(&spread),
            "10 nodes: api[0], api[2], api[4], api[6], api[8], db[0], db[2], node 14, and 2 more"
        );
    }
}
