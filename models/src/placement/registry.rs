//! The placement-scheme registry: [`SCHEMES`], one row per scheme a scenario can name, in
//! `distsim list` order.
//!
//! **A new scheme** is a type implementing [`Placement`](super::Placement) in its own file in
//! this folder, with its `PlacementSpec` constructor and a `pub(super) const ROW: SchemeRow`
//! beside it, and that row added to [`SCHEMES`]. `distsim list`, the scenario docs, a group's
//! `placement = { scheme = ... }` and `distsim placement --scheme` all read the rows.

use sim_core::registry::{ArgMap, Registry};
use sim_core::NodeId;

use super::maglev::MAGLEV_TABLE_SIZE_DEFAULT;
use super::simple::DirectoryEntry;
use super::spec::{ParseScheme, PlacementSpec, SchemeRow, EPSILON_DEFAULT};

/// Every scheme a scenario can name, in `distsim list` order. (The directory is not among
/// them: its table of entries is built in code, with [`PlacementSpec::directory`].)
pub const SCHEMES: &[SchemeRow] = &[
    super::simple::MODULO_ROW,
    super::simple::RANGE_ROW,
    super::ring::ROW,
    super::rendezvous::RENDEZVOUS_ROW,
    super::rendezvous::JUMP_ROW,
    super::maglev::ROW,
    super::bounded::ROW,
];

/// The built-in schemes as a registry.
pub fn schemes() -> Registry<ParseScheme> {
    Registry::new("placement scheme", SCHEMES)
}

impl PlacementSpec {
    /// A spec for `name` with typical parameters (ring: 100 vnodes; maglev: 65 537 slots;
    /// bounded ring: 100 vnodes, ε = 0.25; range: no splits; directory: one entry over keys
    /// `0..2^63` to node 0 with node 1 as the default), or `None` for an unknown name. For
    /// examples, tests and benchmarks; scenarios give their own parameters.
    pub fn example(name: &str) -> Option<Self> {
        let spec = match name {
            "modulo" => PlacementSpec::modulo(),
            "range" => PlacementSpec::range(Vec::new()),
            "directory" => PlacementSpec::directory(
                vec![DirectoryEntry {
                    start: 0,
                    end: 1 << 63,
                    node: NodeId(0),
                }],
                Some(NodeId(1)),
            ),
            "ring" => PlacementSpec::ring(100),
            "rendezvous" => PlacementSpec::rendezvous(),
            "jump" => PlacementSpec::jump(),
            "maglev" => PlacementSpec::maglev(MAGLEV_TABLE_SIZE_DEFAULT),
            "bounded_ring" => PlacementSpec::bounded_ring(100, EPSILON_DEFAULT),
            _ => return None,
        };
        Some(spec)
    }

    /// The built-in scheme `name` with its row's defaults, or `None` if no row has that name.
    pub fn defaults(name: &str) -> Option<Self> {
        let registry = schemes();
        let row = registry.find(name)?;
        Some((row.value)(&mut ArgMap::new()).expect("every scheme has defaults"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::Member;

    // Goal: no two schemes share a name, every row builds with its defaults over a few
    // members, and the spec it builds is its own.
    #[test]
    fn rows_are_unique_and_build() {
        assert_eq!(schemes().check_unique(), Ok(()));
        let members: Vec<Member> = (0..3)
            .map(|i| Member::new(NodeId(i), 1.0, sim_core::ZoneId(0)))
            .collect();
        for row in SCHEMES {
            let spec = (row.value)(&mut ArgMap::new()).expect("defaults");
            assert_eq!(spec.name(), row.name);
            assert_eq!(spec.build(&members).expect("builds").name(), row.name);
        }
    }
}
