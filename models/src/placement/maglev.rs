//! Maglev hashing.
//!
//! Eisenbud et al., "Maglev: a fast and reliable software network load balancer", NSDI 2016,
//! §3.4 and Pseudocode 1. Each node `i` has a permutation of the table slots `0..M` (`M`
//! prime): `offset = h1(i) mod M`, `skip = h2(i) mod (M − 1) + 1`, slot `j` of the permutation
//! is `(offset + j · skip) mod M`. Nodes take turns claiming their next unclaimed preferred
//! slot until the table is full, so every node gets `M/n` slots (±1), and a key's owner is
//! `table[hash(key) mod M]`. Nodes take turns in id order; `h1` and `h2` are the fixed hash
//! of the node id in two domains.
//!
//! Weights: the paper gives backends equal turns; here a node of weight `w` takes a turn in a
//! round when its credit, growing by `w / w_max` per round, reaches 1, so the heaviest nodes
//! claim a slot every round and lighter ones proportionally less often.
//!
//! **Limitations:**
//! - Maglev trades perfect consistency for balance: a membership change rebuilds the table, and
//!   besides the keys of the node that left (or the share the new node takes), a small fraction
//!   of other keys move too (the paper's Figure 12; our property test bounds it).
//! - A rebuild costs O(M log M) expected time; the table is rebuilt on every change, not
//!   incrementally.
//! - With more members than `M/2` the balance degrades; the paper recommends `M >> n` (M at
//!   least 100 n for ±1% balance).

use sim_core::NodeId;

use super::hash::key_hash;
use super::{Member, Membership, Placement, PlacementError};
use crate::workload::KeyId;

/// Default table size: 65 537, the prime the paper uses for small deployments.
pub const MAGLEV_TABLE_SIZE_DEFAULT: u64 = 65_537;
/// Largest table size accepted: 2^24 slots (64 MiB of `NodeId`s).
pub const MAGLEV_TABLE_SIZE_MAX: u64 = 1 << 24;

/// Domain constants mixed into the seed for a node's offset and skip.
const OFFSET_DOMAIN: u64 = 0x6D61_676C_6576_0001;
const SKIP_DOMAIN: u64 = 0x6D61_676C_6576_0002;

/// A Maglev lookup table of prime size `M`.
///
/// Hot path: one hash, one `%` and one load from the table; about 5 ns when the table is in
/// cache.
#[derive(Clone, Debug)]
pub struct Maglev {
    membership: Membership,
    table: Vec<NodeId>,
    table_size: u64,
    seed: u64,
}

/// Whether `value` is prime, by trial division (values are at most 2^24 here).
fn is_prime(value: u64) -> bool {
    value >= 2 && (2..).take_while(|d| d * d <= value).all(|d| value % d != 0)
}

/// The smallest prime strictly greater than `value`.
fn next_prime(value: u64) -> u64 {
    (value + 1..)
        .find(|&candidate| is_prime(candidate))
        .expect("primes are unbounded")
}

impl Maglev {
    /// A Maglev table of `table_size` slots (a prime, >= the member count, <= 2^24).
    pub fn new(members: &[Member], table_size: u64, seed: u64) -> Result<Self, PlacementError> {
        let membership = Membership::new("maglev", members)?;
        let n_members = membership.nodes.len() as u64;
        if !(n_members..=MAGLEV_TABLE_SIZE_MAX).contains(&table_size) || table_size < 2 {
            return Err(PlacementError::BadCount {
                scheme: "maglev",
                param: "table_size",
                valid: "a prime >= the number of nodes and <= 16777216",
                value: table_size,
            });
        }
        if !is_prime(table_size) {
            let next_prime = next_prime(table_size);
            return Err(PlacementError::TableNotPrime {
                value: table_size,
                next_prime,
            });
        }
        let mut maglev = Maglev {
            membership,
            table: Vec::new(),
            table_size,
            seed,
        };
        maglev.populate();
        Ok(maglev)
    }

    /// The table size `M`.
    pub fn table_size(&self) -> u64 {
        self.table_size
    }

    /// The lookup table: slot -> node.
    pub fn table(&self) -> &[NodeId] {
        &self.table
    }

    /// Fills the table by Pseudocode 1 with weighted turns (see the module docs).
    fn populate(&mut self) {
        let size = self.table_size;
        let nodes = &self.membership.nodes;
        self.table.clear();
        if nodes.is_empty() {
            return;
        }
        let permutations: Vec<(u64, u64)> = nodes
            .iter()
            .map(|&node| {
                let offset = key_hash(u64::from(node.0), self.seed ^ OFFSET_DOMAIN) % size;
                let skip = key_hash(u64::from(node.0), self.seed ^ SKIP_DOMAIN) % (size - 1) + 1;
                (offset, skip)
            })
            .collect();
        let weight_max = self.membership.weights.iter().copied().fold(0.0, f64::max);
        let mut credit = vec![0.0f64; nodes.len()];
        let mut next = vec![0u64; nodes.len()];
        let mut entry: Vec<Option<u32>> = vec![None; size as usize];
        let mut filled = 0u64;
        'fill: loop {
            for index in 0..nodes.len() {
                credit[index] += self.membership.weights[index] / weight_max;
                if credit[index] < 1.0 {
                    continue;
                }
                credit[index] -= 1.0;
                let (offset, skip) = permutations[index];
                // Each permutation visits every slot once in M steps, so a free one is found.
                let slot = loop {
                    assert!(next[index] < size, "permutation exhausted");
                    let slot = (offset + next[index] * skip) % size;
                    next[index] += 1;
                    if entry[slot as usize].is_none() {
                        break slot;
                    }
                };
                entry[slot as usize] = Some(index as u32);
                filled += 1;
                if filled == size {
                    break 'fill;
                }
            }
        }
        self.table = entry
            .into_iter()
            .map(|index| nodes[index.expect("table is full") as usize])
            .collect();
        assert_eq!(self.table.len() as u64, size);
    }

    fn slot(&self, key: KeyId) -> Option<usize> {
        (!self.table.is_empty()).then(|| (key_hash(key.0, self.seed) % self.table_size) as usize)
    }
}

impl Placement for Maglev {
    fn name(&self) -> &'static str {
        "maglev"
    }
    fn members(&self) -> &[NodeId] {
        &self.membership.nodes
    }
    fn owner(&self, key: KeyId) -> Option<NodeId> {
        self.slot(key).map(|slot| self.table[slot])
    }
    fn candidates(&self, key: KeyId, visit: &mut dyn FnMut(NodeId) -> bool) {
        let Some(start) = self.slot(key) else {
            return;
        };
        // The table holds every member (M >= n, and each node claims a slot in round one).
        for offset in 0..self.table.len() {
            if !visit(self.table[(start + offset) % self.table.len()]) {
                return;
            }
        }
    }
    fn add_node(&mut self, node: NodeId, weight: f64) {
        self.membership.insert(node, weight);
        assert!(
            self.membership.nodes.len() as u64 <= self.table_size,
            "more nodes than slots"
        );
        self.populate();
    }
    fn remove_node(&mut self, node: NodeId) {
        self.membership.remove(node);
        self.populate();
    }
    fn memory_bytes(&self) -> usize {
        self.membership.memory_bytes() + self.table.capacity() * size_of::<NodeId>()
    }
}

/// `maglev`.
pub(super) const ROW: super::spec::SchemeRow = sim_core::registry::Row {
    name: "maglev",
    aliases: &[],
    description: "maglev lookup table of prime size m",
    params: &[sim_core::registry::Param::optional(
        "table_size",
        "65537",
        "lookup table size, a prime",
    )],
    value: |args| {
        let size = args
            .integer("table_size")?
            .unwrap_or(MAGLEV_TABLE_SIZE_DEFAULT);
        Ok(super::PlacementSpec::maglev(size))
    },
};

impl super::PlacementSpec {
    /// Maglev with a prime table of `table_size` slots ([`Maglev`]).
    pub fn maglev(table_size: u64) -> Self {
        let params = format!("table_size={table_size}");
        super::PlacementSpec::new("maglev", params, move |members, seed| {
            Ok(Box::new(Maglev::new(members, table_size, seed)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::equal_members;
    use sim_core::ZoneId;

    // Goal: equal nodes get M/n slots within one (the paper's balance guarantee: turns are
    // round robin); weights scale slot counts; bad sizes are rejected with the next prime.
    #[test]
    fn table_is_balanced_and_validated() {
        let maglev = Maglev::new(&equal_members(7), 1009, 0).unwrap();
        let mut counts = [0u64; 7];
        for node in maglev.table() {
            counts[node.idx()] += 1;
        }
        assert!(
            counts.iter().all(|&count| count == 144 || count == 145),
            "{counts:?}"
        );
        let weighted = [
            Member::new(NodeId(0), 1.0, ZoneId(0)),
            Member::new(NodeId(1), 3.0, ZoneId(0)),
        ];
        let maglev = Maglev::new(&weighted, 1009, 0).unwrap();
        let light = maglev
            .table()
            .iter()
            .filter(|&&node| node == NodeId(0))
            .count();
        assert!(light.abs_diff(252) <= 1, "{light}"); // 1009 / 4
        let error = Maglev::new(&equal_members(3), 65_536, 0).unwrap_err();
        assert_eq!(
            error.to_string(),
            "maglev table_size must be a prime, got 65536 (the next prime is 65537)"
        );
        let error = Maglev::new(&equal_members(3), 2, 0).unwrap_err();
        assert_eq!(
            error.to_string(),
            "maglev table_size must be a prime >= the number of nodes and <= 16777216, got 2"
        );
        assert!(is_prime(MAGLEV_TABLE_SIZE_DEFAULT));
        assert!(!is_prime(1));
        assert_eq!(next_prime(7), 11);
    }
}
