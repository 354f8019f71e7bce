//! The names a scenario's values may use, one registry per kind: `dist = ...`, workload
//! `arrivals = ...` and `keys = { dist = ... }`, cache `policy = ...`, `placement = { scheme =
//! ... }`, balancer `policy = ...`, store `replication = { scheme = ... }`, a rate `limit =
//! { algorithm = ... }`. Roles and
//! sections read them from here, so a user's own crate can add rows to its copy and use them
//! by name in scenario files.

use models::balancing::ParseBalancer;
use models::cache::ParsePolicy;
use models::placement::ParseScheme;
use models::ratelimit::registry::ParseLimiter;
use models::replication::ParseReplication;
use sim_core::registry::Registry;

use crate::sections::distributions::{distributions, ParseDist};
use crate::sections::workload::{arrivals, key_distributions, ParseArrivals, ParseKeys};

/// Every value-level registry.
#[derive(Clone, Debug)]
pub struct Vocabulary {
    /// `dist = ...` kinds.
    pub distributions: Registry<ParseDist>,
    /// Workload `arrivals = ...` processes.
    pub arrivals: Registry<ParseArrivals>,
    /// Workload `keys = { dist = ... }` popularity kinds.
    pub keys: Registry<ParseKeys>,
    /// Cache `policy = ...` eviction policies.
    pub cache_policies: Registry<ParsePolicy>,
    /// Group `placement = { scheme = ... }` schemes.
    pub placement_schemes: Registry<ParseScheme>,
    /// Balancer `policy = ...` (and client `routing = ...`) policies.
    pub balancers: Registry<ParseBalancer>,
    /// Store `replication = { scheme = ... }` schemes.
    pub replication_schemes: Registry<ParseReplication>,
    /// Rate `limit = { algorithm = ... }` algorithms.
    pub limiters: Registry<ParseLimiter>,
}

impl Vocabulary {
    /// The built-in rows of every kind.
    pub fn builtin() -> Self {
        Vocabulary {
            distributions: distributions(),
            arrivals: arrivals(),
            keys: key_distributions(),
            cache_policies: models::cache::policies(),
            placement_schemes: models::placement::schemes(),
            balancers: models::balancing::balancers(),
            replication_schemes: models::replication::schemes(),
            limiters: models::ratelimit::limiters(),
        }
    }
}
