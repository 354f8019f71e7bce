//! The balancer-policy registry: [`BALANCERS`], one row per policy, in `distsim list` order.
//!
//! **A new policy** is a type implementing [`Balancer`](super::Balancer) in its own file in
//! this folder, with a `pub(super) const` row beside it, and that row added to [`BALANCERS`].

use sim_core::registry::{ArgMap, Registry};

use super::spec::{BalancerRow, BalancerSpec, ParseBalancer};
use super::BalancerError;

/// Every built-in balancer policy, in `distsim list` order.
pub const BALANCERS: &[BalancerRow] = &[
    super::policies::ROUND_ROBIN_ROW,
    super::policies::WEIGHTED_ROUND_ROBIN_ROW,
    super::policies::RANDOM_ROW,
    super::policies::LEAST_OUTSTANDING_ROW,
    super::policies::LEAST_RESPONSE_TIME_ROW,
    super::policies::P2C_ROW,
    super::policies::P2C_STALE_ROW,
    super::hash::ROW,
];

/// The built-in balancer policies as a registry.
pub fn balancers() -> Registry<ParseBalancer> {
    Registry::new("balancer policy", BALANCERS)
}

impl BalancerSpec {
    /// The built-in balancer called `name` in [`BALANCERS`], with default parameters
    /// ([`VNODES_DEFAULT`](super::VNODES_DEFAULT) vnodes for `consistent_hash`).
    pub fn from_name(name: &str) -> Result<Self, BalancerError> {
        let registry = balancers();
        let row = registry
            .lookup(name)
            .map_err(|_| BalancerError::UnknownBalancer {
                name: name.to_string(),
            })?;
        let spec = (row.value)(&mut ArgMap::new()).expect("every balancer has defaults");
        assert_eq!(spec.name(), row.name);
        Ok(spec)
    }
}
