//! Node selectors: how scenario files name nodes.
//!
//! | selector | meaning |
//! |---|---|
//! | `cache` | every node of group `cache` |
//! | `cache[2]` | node 2 of group `cache` (0-based) |
//! | `cache[0..3]` | nodes 0, 1, 2 of `cache` (end exclusive) |
//! | `cache[0..=3]` | nodes 0 to 3 inclusive |
//! | `region:us-east` | every node in region `us-east` |
//! | `zone:us-east-1a` | every node in zone `us-east-1a` |
//! | `*` | every node |

use std::collections::BTreeMap;

use sim_core::{NodeId, NodeNames, NodeSet};

/// Where a group's nodes are: its name, first node id and count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRange {
    /// First node id.
    pub first: u32,
    /// Number of nodes.
    pub count: u32,
}

/// What selectors are resolved against.
#[derive(Clone, Debug, Default)]
pub struct NodeDirectory {
    /// Group name -> its nodes (sorted by name for stable suggestions).
    pub groups: BTreeMap<String, GroupRange>,
    /// Region name -> its nodes.
    pub regions: BTreeMap<String, Vec<NodeId>>,
    /// Zone name -> its nodes.
    pub zones: BTreeMap<String, Vec<NodeId>>,
    /// Total nodes.
    pub n_nodes: u32,
}

/// Why a selector did not resolve; the message says what is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectError {
    /// The explanation.
    pub message: String,
    /// A suggestion, if any.
    pub help: Option<String>,
}

impl NodeDirectory {
    /// The group a node belongs to and its index there. Panics for an id past the last node.
    pub fn group_of(&self, node: NodeId) -> (&str, u32) {
        self.groups
            .iter()
            .find(|(_, range)| (range.first..range.first + range.count).contains(&node.0))
            .map(|(name, range)| (name.as_str(), node.0 - range.first))
            .expect("every node id below n_nodes belongs to a group")
    }

    /// The groups as the engine's [`NodeNames`], for the fault log and the trace.
    pub fn names(&self) -> NodeNames {
        NodeNames::new(
            self.groups
                .iter()
                .map(|(name, range)| (name.clone(), range.first, range.count)),
        )
    }

    /// A node's `group[i]` name.
    pub fn name_of(&self, node: NodeId) -> String {
        let (group, index) = self.group_of(node);
        format!("{group}[{index}]")
    }

    /// Resolves one selector to its nodes.
    pub fn select(&self, selector: &str) -> Result<NodeSet, SelectError> {
        let selector = selector.trim();
        if selector == "*" {
            return Ok(NodeSet::all(self.n_nodes));
        }
        if let Some(name) = selector.strip_prefix("region:") {
            return self.named(name, &self.regions, "region");
        }
        if let Some(name) = selector.strip_prefix("zone:") {
            return self.named(name, &self.zones, "zone");
        }
        let (name, index) = match selector.split_once('[') {
            Some((name, rest)) => {
                let inner = rest.strip_suffix(']').ok_or_else(|| SelectError {
                    message: format!("selector {selector:?} has no closing `]`"),
                    help: Some(SYNTAX_HELP.to_string()),
                })?;
                (name, Some(inner))
            }
            None => (selector, None),
        };
        let group = self.groups.get(name).ok_or_else(|| SelectError {
            message: format!("selector {selector:?} names group {name:?}, which does not exist"),
            help: Some(crate::diag::suggest(
                name,
                self.groups.keys().map(String::as_str),
            )),
        })?;
        let Some(index) = index else {
            return Ok(NodeSet::range(group.first, group.first + group.count));
        };
        let (start, end) = parse_index(index).ok_or_else(|| SelectError {
            message: format!("selector {selector:?} has an invalid index {index:?}"),
            help: Some(SYNTAX_HELP.to_string()),
        })?;
        if start >= end {
            return Err(SelectError {
                message: format!("selector {selector:?} is an empty range"),
                help: Some(
                    "`a..b` is a to b-1 and `a..=b` is a to b, e.g. `group[0..2]` is nodes 0 and 1"
                        .to_string(),
                ),
            });
        }
        if end > u64::from(group.count) {
            let last = group.count - 1;
            return Err(SelectError {
                message: format!(
                    "selector {selector:?} is out of range: group {name:?} has {} nodes, {name}[0] to {name}[{last}]",
                    group.count
                ),
                help: Some("node indexes start at 0".to_string()),
            });
        }
        Ok(NodeSet::range(
            group.first + start as u32,
            group.first + end as u32,
        ))
    }

    /// Resolves several selectors and unites them; an empty result is an error.
    pub fn select_all<'a>(
        &self,
        selectors: impl IntoIterator<Item = &'a str>,
    ) -> Result<NodeSet, SelectError> {
        let mut nodes = Vec::new();
        for selector in selectors {
            nodes.extend_from_slice(self.select(selector)?.nodes());
        }
        let set: NodeSet = nodes.into_iter().collect();
        if set.is_empty() {
            return Err(SelectError {
                message: "the selectors match no nodes".to_string(),
                help: None,
            });
        }
        Ok(set)
    }

    fn named(
        &self,
        name: &str,
        table: &BTreeMap<String, Vec<NodeId>>,
        kind: &str,
    ) -> Result<NodeSet, SelectError> {
        match table.get(name) {
            Some(nodes) if !nodes.is_empty() => Ok(nodes.iter().copied().collect()),
            Some(_) => Err(SelectError {
                message: format!("{kind} {name:?} has no nodes"),
                help: None,
            }),
            None => Err(SelectError {
                message: format!("unknown {kind} {name:?}"),
                help: Some(crate::diag::suggest(name, table.keys().map(String::as_str))),
            }),
        }
    }
}

const SYNTAX_HELP: &str = "selectors look like `group`, `group[2]`, `group[0..3]`, `group[0..=3]`, `region:NAME`, `zone:NAME` or `*`";

/// Parses `2`, `0..3` or `0..=3` into a half-open range.
fn parse_index(text: &str) -> Option<(u64, u64)> {
    let text = text.trim();
    if let Some((a, b)) = text.split_once("..=") {
        let (a, b): (u64, u64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return Some((a, b.checked_add(1)?));
    }
    if let Some((a, b)) = text.split_once("..") {
        return Some((a.trim().parse().ok()?, b.trim().parse().ok()?));
    }
    let single: u64 = text.parse().ok()?;
    Some((single, single.checked_add(1)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> NodeDirectory {
        let mut directory = NodeDirectory {
            n_nodes: 8,
            ..Default::default()
        };
        directory
            .groups
            .insert("clients".into(), GroupRange { first: 0, count: 3 });
        directory
            .groups
            .insert("cache".into(), GroupRange { first: 3, count: 5 });
        directory
            .regions
            .insert("eu".into(), vec![NodeId(0), NodeId(4)]);
        directory
    }

    fn ids(set: NodeSet) -> Vec<u32> {
        set.nodes().iter().map(|n| n.0).collect()
    }

    // Goal: every selector form resolves to the right node ids.
    #[test]
    fn resolves_every_form() {
        let d = directory();
        assert_eq!(ids(d.select("cache").unwrap()), [3, 4, 5, 6, 7]);
        assert_eq!(ids(d.select("cache[2]").unwrap()), [5]);
        assert_eq!(ids(d.select("cache[0..2]").unwrap()), [3, 4]);
        assert_eq!(ids(d.select("cache[1..=2]").unwrap()), [4, 5]);
        assert_eq!(ids(d.select("region:eu").unwrap()), [0, 4]);
        assert_eq!(ids(d.select("*").unwrap()).len(), 8);
        assert_eq!(
            ids(d
                .select_all(["clients[0]", "cache[0]", "clients[0]"])
                .unwrap()),
            [0, 3]
        );
    }

    // Goal: bad selectors say what is wrong and what is valid.
    #[test]
    fn explains_bad_selectors() {
        let d = directory();
        let e = d.select("cahce[1]").unwrap_err();
        assert!(e.message.contains("\"cahce\""), "{}", e.message);
        assert_eq!(e.help.as_deref(), Some("did you mean `cache`?"));
        assert!(d
            .select("cache[5]")
            .unwrap_err()
            .message
            .contains("has 5 nodes"));
        assert!(d
            .select("cache[x]")
            .unwrap_err()
            .message
            .contains("invalid index"));
        assert!(d.select("cache[1").unwrap_err().message.contains("closing"));
        assert!(d
            .select("region:mars")
            .unwrap_err()
            .message
            .contains("unknown region"));
    }
}
