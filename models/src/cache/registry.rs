//! The cache-policy registry: [`POLICIES`], one row per policy, in `distsim list` order.
//!
//! **A new policy** is a type implementing [`CachePolicy`](super::CachePolicy) in its own
//! file in this folder, with a `pub(super) const ROW: PolicyRow` beside it, and that row added
//! to [`POLICIES`]. `distsim list`, the scenario docs, `distsim cache --policies` and the
//! cache role's `policy = ...` all read the rows.

use sim_core::registry::{ArgMap, Folding, Registry};

use super::spec::{CacheSpec, ParsePolicy, PolicyRow};
use super::CacheError;

/// Every built-in cache policy, in `distsim list` order.
pub const POLICIES: &[PolicyRow] = &[
    super::simple::FIFO_ROW,
    super::simple::LRU_ROW,
    super::simple::RANDOM_ROW,
    super::lfu::ROW,
    super::simple::CLOCK_ROW,
    super::slru::ROW,
    super::twoq::ROW,
    super::arc::ROW,
    super::tinylfu::ROW,
    super::simple::SIEVE_ROW,
    super::s3fifo::ROW,
];

/// The built-in policies as a registry. Names match loosely (case and `_` versus `-` do not
/// matter), since they often come from libCacheSim's spellings (`S3FIFO`, `TwoQ`).
pub fn policies() -> Registry<ParsePolicy> {
    Registry::new("cache policy", POLICIES).with_folding(Folding::Loose)
}

impl CacheSpec {
    /// The built-in policy named `name` (or one of its aliases: `twoq`, `wtinylfu`,
    /// `s3fifo`, ...; case and `_` versus `-` do not matter) with its default parameters.
    pub fn from_name(name: &str) -> Result<Self, CacheError> {
        let registry = policies();
        let row = registry.lookup(name.trim()).map_err(|unknown| {
            let known: Vec<&str> = registry.names().collect();
            CacheError::UnknownPolicy {
                name: name.to_string(),
                hint: unknown.suggestion,
                known: known.join(", "),
            }
        })?;
        let spec = (row.value)(&mut ArgMap::new()).expect("every policy has defaults");
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: no two policies share a name or an alias, and every row builds with its defaults.
    #[test]
    fn rows_are_unique_and_build() {
        assert_eq!(policies().check_unique(), Ok(()));
        for row in POLICIES {
            let spec = (row.value)(&mut ArgMap::new()).expect("defaults");
            assert_eq!(spec.name(), row.name);
            for param in row.params {
                assert!(
                    param.default.is_some(),
                    "{}.{} has a default",
                    row.name,
                    param.name
                );
            }
        }
    }
}
