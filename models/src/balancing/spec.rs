//! [`BalancerSpec`], a balancer policy with its parameters, ready to build balancers, and the
//! shape of a policy's registry row ([`BalancerRow`]), which each policy's file defines beside
//! the policy (the list of rows is `registry.rs`).

use std::fmt;
use std::sync::Arc;

use sim_core::registry::Row;

use super::Balancer;

/// Reads a balancer's parameters and returns the spec that builds it.
pub type ParseBalancer = sim_core::registry::ParseArgs<BalancerSpec>;

/// One balancer policy's registry row.
pub type BalancerRow = Row<ParseBalancer>;

type BuildBalancer = dyn Fn() -> Box<dyn Balancer> + Send + Sync;

/// A balancer policy and its parameters, ready to build any number of balancers (one per
/// node and run, each with no history).
#[derive(Clone)]
pub struct BalancerSpec {
    name: &'static str,
    build: Arc<BuildBalancer>,
}

impl fmt::Debug for BalancerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BalancerSpec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl BalancerSpec {
    /// A spec named `name` (its row's name) that builds with `build`.
    pub fn new(
        name: &'static str,
        build: impl Fn() -> Box<dyn Balancer> + Send + Sync + 'static,
    ) -> Self {
        BalancerSpec {
            name,
            build: Arc::new(build),
        }
    }

    /// The balancer's name, as its row has it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A fresh balancer with this policy and no history.
    pub fn build(&self) -> Box<dyn Balancer> {
        let balancer = (self.build)();
        assert_eq!(balancer.name(), self.name, "a spec builds its own balancer");
        balancer
    }
}
