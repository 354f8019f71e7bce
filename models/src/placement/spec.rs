//! [`PlacementSpec`]: a scheme chosen by name with plain parameters, built over a member list.

use sim_core::NodeId;

use super::bounded::BoundedLoadRing;
use super::maglev::{Maglev, MAGLEV_TABLE_SIZE_DEFAULT};
use super::rendezvous::{JumpHash, Rendezvous};
use super::ring::ConsistentHashRing;
use super::simple::{Directory, DirectoryEntry, Modulo, RangePartition};
use super::{Member, Placement, PlacementError};

/// The hash seed [`PlacementSpec::build`] uses: 0. A sweep that wants independent placements
/// per replication passes its own to [`PlacementSpec::build_seeded`].
pub const HASH_SEED_DEFAULT: u64 = 0;

/// A placement scheme and its parameters, as a scenario names them ([`SCHEMES`](super::SCHEMES)).
#[derive(Clone, Debug, PartialEq)]
pub enum PlacementSpec {
    /// `hash(key) mod n`.
    Modulo,
    /// Explicit split points over raw keys; range `i` goes to member `i mod n`.
    Range {
        /// Strictly increasing split points.
        splits: Vec<u64>,
    },
    /// An explicit `[start, end) -> node` table.
    Directory {
        /// Disjoint entries sorted by start.
        entries: Vec<DirectoryEntry>,
        /// Owner of keys no entry covers; `None` leaves them unowned.
        default: Option<NodeId>,
    },
    /// Consistent hashing with `vnodes` virtual nodes per unit of weight.
    Ring {
        /// Vnodes per unit weight, 1..=65536.
        vnodes: u32,
    },
    /// Weighted highest random weight.
    Rendezvous,
    /// Jump consistent hash over join-ordered slots.
    Jump,
    /// Maglev with a prime table size.
    Maglev {
        /// Table size `M`, prime (default 65 537).
        table_size: u64,
    },
    /// Consistent hashing with loads bounded by `ceil((1 + epsilon) m / n)`.
    BoundedRing {
        /// Vnodes per unit weight.
        vnodes: u32,
        /// Slack above the mean load, > 0.
        epsilon: f64,
    },
}

impl PlacementSpec {
    /// The scheme's name, as in [`SCHEMES`](super::SCHEMES).
    pub fn name(&self) -> &'static str {
        match self {
            PlacementSpec::Modulo => "modulo",
            PlacementSpec::Range { .. } => "range",
            PlacementSpec::Directory { .. } => "directory",
            PlacementSpec::Ring { .. } => "ring",
            PlacementSpec::Rendezvous => "rendezvous",
            PlacementSpec::Jump => "jump",
            PlacementSpec::Maglev { .. } => "maglev",
            PlacementSpec::BoundedRing { .. } => "bounded_ring",
        }
    }

    /// A spec for `name` with typical parameters (ring: 100 vnodes; maglev: 65 537 slots;
    /// bounded ring: 100 vnodes, ε = 0.25; range: no splits; directory: one entry over keys
    /// `0..2^63` to node 0 with node 1 as the default), or `None` for an unknown name. For
    /// examples and tests; scenarios give their own parameters.
    pub fn example(name: &str) -> Option<Self> {
        let spec = match name {
            "modulo" => PlacementSpec::Modulo,
            "range" => PlacementSpec::Range { splits: Vec::new() },
            "directory" => PlacementSpec::Directory {
                entries: vec![DirectoryEntry {
                    start: 0,
                    end: 1 << 63,
                    node: NodeId(0),
                }],
                default: Some(NodeId(1)),
            },
            "ring" => PlacementSpec::Ring { vnodes: 100 },
            "rendezvous" => PlacementSpec::Rendezvous,
            "jump" => PlacementSpec::Jump,
            "maglev" => PlacementSpec::Maglev {
                table_size: MAGLEV_TABLE_SIZE_DEFAULT,
            },
            "bounded_ring" => PlacementSpec::BoundedRing {
                vnodes: 100,
                epsilon: 0.25,
            },
            _ => return None,
        };
        Some(spec)
    }

    /// Builds the scheme over `members` with [`HASH_SEED_DEFAULT`].
    pub fn build(&self, members: &[Member]) -> Result<Box<dyn Placement>, PlacementError> {
        self.build_seeded(members, HASH_SEED_DEFAULT)
    }

    /// Builds the scheme over `members`, hashing with `seed`.
    pub fn build_seeded(
        &self,
        members: &[Member],
        seed: u64,
    ) -> Result<Box<dyn Placement>, PlacementError> {
        let scheme: Box<dyn Placement> = match self {
            PlacementSpec::Modulo => Box::new(Modulo::new(members, seed)?),
            PlacementSpec::Range { splits } => Box::new(RangePartition::new(members, splits)?),
            PlacementSpec::Directory { entries, default } => {
                Box::new(Directory::new(members, entries, *default)?)
            }
            PlacementSpec::Ring { vnodes } => {
                Box::new(ConsistentHashRing::new(members, *vnodes, seed)?)
            }
            PlacementSpec::Rendezvous => Box::new(Rendezvous::new(members, seed)?),
            PlacementSpec::Jump => Box::new(JumpHash::new(members, seed)?),
            PlacementSpec::Maglev { table_size } => {
                Box::new(Maglev::new(members, *table_size, seed)?)
            }
            PlacementSpec::BoundedRing { vnodes, epsilon } => {
                Box::new(BoundedLoadRing::new(members, *vnodes, *epsilon, seed)?)
            }
        };
        assert_eq!(scheme.name(), self.name());
        Ok(scheme)
    }
}
