//! Every pluggable kind in one place: [`Registries`] holds one [`Registry`] per kind (roles,
//! fault kinds, run plots, model families' metric tables, and the value vocabulary:
//! distributions, arrival processes, key distributions, cache policies, placement schemes,
//! balancer policies). The scenario loader, `distsim list`, the documentation test and every
//! "did you mean" read these rows; nothing else matches on names.
//!
//! [`Registries::builtin`] is distsim's own; a user's crate takes it, adds its rows (its own
//! role, cache policy, placement scheme, ...) and hands the result to the loader or to the
//! command line (`distsim_cli::main_with`), and its scenario files then use those names like
//! any built-in one.

use sim_core::registry::{DuplicateName, Param, Registry, Row};
use sim_core::MetricTable;

use crate::sections::faults::{fault_kinds, FaultKind};
use crate::sections::roles::{roles, RoleSpec};
use crate::sections::vocabulary::Vocabulary;

/// The metric tables of the built-in families, one row per family: what each records, with
/// units and good directions, and the metrics derived from its counters. Every run declares
/// all of them, so `results.json` says what every metric it holds means.
pub const METRIC_TABLES: &[Row<MetricTable>] = &[
    Row {
        name: "engine",
        aliases: &[],
        description: "network traffic and drops, lost and rejected work, faults, service times",
        params: &[],
        value: sim_core::metrics::ENGINE_METRICS,
    },
    Row {
        name: "client",
        aliases: &[],
        description: "request latency and how every request ended",
        params: &[],
        value: models::roles::client::METRICS,
    },
    Row {
        name: "ratelimit",
        aliases: &[],
        description: "requests a rate limit admitted, rejected and delayed; the rejected ratio",
        params: &[],
        value: models::roles::gate::METRICS,
    },
    Row {
        name: "cache",
        aliases: &[],
        description: "hits, misses, backend traffic and lost writes; the hit ratio",
        params: &[],
        value: models::roles::cache::METRICS,
    },
    Row {
        name: "server",
        aliases: &[],
        description: "optimistic writes that conflicted",
        params: &[],
        value: models::roles::server::METRICS,
    },
    Row {
        name: "balancer",
        aliases: &[],
        description: "forwarded and unavailable requests, health probes and ejections",
        params: &[],
        value: models::roles::balancer::METRICS,
    },
    Row {
        name: "store",
        aliases: &[],
        description: "replicated stores: quorum latency and unavailability, replica work, and consistency as clients saw it (stale reads, k-staleness, t-visibility)",
        params: &[],
        value: models::roles::store::METRICS,
    },
    Row {
        name: "gossip",
        aliases: &[],
        description: "rumour dissemination: time to 50/99/100 % of the group, periods to all, first and redundant deliveries, messages, and the residue after the run",
        params: &[],
        value: models::roles::gossip::METRICS,
    },
    Row {
        name: "membership",
        aliases: &[],
        description: "failure detection: time to the first declaration and to every view after a crash, false positives per member-hour, suspicions, refutations, and the message and byte load per member",
        params: &[],
        value: models::roles::membership::METRICS,
    },
    Row {
        name: "linearizability",
        aliases: &[],
        description: "the after-run linearizability check of [report] linearizability: keys checked, violations, undecided",
        params: &[],
        value: models::replication::linearizability::METRICS,
    },
];

/// One registry per pluggable kind.
#[derive(Clone, Debug)]
pub struct Registries {
    /// `[[group]] role = ...`.
    pub roles: Registry<RoleSpec>,
    /// `[[fault]]` kind keys.
    pub fault_kinds: Registry<FaultKind>,
    /// `[report] plots = [...]`.
    pub plots: Registry<reports::RenderPlot>,
    /// Model families' metric tables, declared by every run.
    pub metrics: Registry<MetricTable>,
    /// The names values use: distributions, arrivals, keys, policies, schemes, balancers.
    pub vocabulary: Vocabulary,
}

impl Default for Registries {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Registries {
    /// distsim's own rows of every kind.
    pub fn builtin() -> Self {
        Registries {
            roles: roles(),
            fault_kinds: fault_kinds(),
            plots: reports::plots(),
            metrics: Registry::new("metric table", METRIC_TABLES),
            vocabulary: Vocabulary::builtin(),
        }
    }

    /// Fails on the first name or alias two rows of one kind share.
    pub fn check_unique(&self) -> Result<(), DuplicateName> {
        self.roles.check_unique()?;
        self.fault_kinds.check_unique()?;
        self.plots.check_unique()?;
        self.metrics.check_unique()?;
        let v = &self.vocabulary;
        v.distributions.check_unique()?;
        v.arrivals.check_unique()?;
        v.keys.check_unique()?;
        v.cache_policies.check_unique()?;
        v.placement_schemes.check_unique()?;
        v.balancers.check_unique()?;
        v.replication_schemes.check_unique()?;
        v.limiters.check_unique()
    }

    /// Every kind, in `distsim list` order, as plain rows: for listing and documentation.
    pub fn listings(&self) -> Vec<Listing> {
        let v = &self.vocabulary;
        vec![
            Listing::of("roles", "[[group]] role = ...", &self.roles),
            Listing::of("distributions", "dist = ...", &v.distributions),
            Listing::of("arrival processes", "workload arrivals = ...", &v.arrivals),
            Listing::of(
                "key distributions",
                "workload keys = { dist = ... }",
                &v.keys,
            ),
            Listing::of(
                "balancer policies",
                "balancer policy = ..., client routing = ...",
                &v.balancers,
            ),
            Listing::of(
                "placement schemes",
                "group placement = { scheme = ... }",
                &v.placement_schemes,
            ),
            Listing::of(
                "cache policies",
                "cache policy = ..., distsim cache --policies ...",
                &v.cache_policies,
            ),
            Listing::of(
                "replication schemes",
                "store replication = { scheme = ... }",
                &v.replication_schemes,
            ),
            Listing::of(
                "rate limiters",
                "server, balancer or ratelimiter limit = { algorithm = ... }",
                &v.limiters,
            ),
            Listing::of("fault kinds", "[[fault]] keys", &self.fault_kinds),
            Listing::of("plots", "[report] plots = [...]", &self.plots),
            Listing::of("metric tables", "declared by every run", &self.metrics),
        ]
    }
}

/// One kind's rows without their values: what `distsim list` and the docs show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// The kind, plural: `roles`, `cache policies`.
    pub title: &'static str,
    /// Where a scenario (or the command line) names them.
    pub written: &'static str,
    /// The rows, in list order.
    pub rows: Vec<ListedRow>,
}

/// A row without its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedRow {
    /// Its name.
    pub name: &'static str,
    /// Its other spellings.
    pub aliases: &'static [&'static str],
    /// One line.
    pub description: &'static str,
    /// Its parameters.
    pub params: &'static [Param],
}

impl Listing {
    /// The rows of `registry`.
    pub fn of<T>(title: &'static str, written: &'static str, registry: &Registry<T>) -> Self {
        Listing {
            title,
            written,
            rows: registry
                .rows()
                .iter()
                .map(|row| ListedRow {
                    name: row.name,
                    aliases: row.aliases,
                    description: row.description,
                    params: row.params,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: no two rows of one built-in kind share a name or an alias (the rule `add` enforces
    // for rows added later), and every kind lists something.
    #[test]
    fn builtin_rows_are_unique() {
        let registries = Registries::builtin();
        assert_eq!(registries.check_unique(), Ok(()));
        for listing in registries.listings() {
            assert!(!listing.rows.is_empty(), "{} has rows", listing.title);
            for row in &listing.rows {
                assert!(
                    !row.description.is_empty(),
                    "{} {}",
                    listing.title,
                    row.name
                );
            }
        }
    }

    // Goal: a user's row that reuses a built-in name is refused, a new one is found.
    #[test]
    fn added_rows_are_checked() {
        let mut registries = Registries::builtin();
        let mut clash = registries.roles.rows()[0].clone();
        assert!(registries.roles.add(clash.clone()).is_err());
        clash.name = "mutex";
        assert!(registries.roles.add(clash).is_ok());
        assert!(registries.roles.find("mutex").is_some());
    }
}
