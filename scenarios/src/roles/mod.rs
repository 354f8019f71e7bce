//! The role registry: which roles a scenario's `[[group]]` can name, how each parses its own
//! parameters, and how it builds its nodes.
//!
//! **A new role** implements its node in `models::roles`, writes a `parse` function here (or in
//! its own module under `scenarios/src/roles/`), and adds one [`RoleEntry`] to [`registry`].
//! Nothing else matches on role names.

mod balancer;
mod cache;
mod client;

use std::collections::BTreeMap;
use std::ops::Range;

use models::msg::Msg;
use models::placement::SharedPlacement;
use models::roles::Server;
use models::workload::replay::TraceErrorLog;
use serde::de::DeserializeOwned;
use sim_core::{Node, NodeId};
use toml::Spanned;

use crate::diag::{suggest, Diagnostic, Source};
use crate::placement::PlacementPlan;
use crate::schema::{GroupSection, GROUP_COMMON_KEYS};
use crate::select::NodeDirectory;

/// Whether a role needs a `service = {...}` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceUse {
    /// The role does not use one; giving one is an error.
    None,
    /// The role uses one if given.
    Optional,
}

/// The open-loop load one node of a group offers, for utilisation warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct OfferedLoad {
    /// The nodes it spreads its requests over, evenly.
    pub targets: Vec<NodeId>,
    /// Its long-run request rate.
    pub rate_per_s: f64,
    /// The fraction of reads, writes and deletes (service-model operation kinds 0, 1, 2).
    pub op_fractions: [f64; 3],
}

/// What one run's nodes share across groups, built afresh for every run (a parsed scenario
/// holds no per-run mutable state).
pub struct RunContext<'a> {
    /// This run's live placement of every placed group, by group name.
    pub placements: &'a BTreeMap<String, SharedPlacement>,
    /// Where this run's trace-replaying clients report a trace that fails part-way.
    pub trace_errors: &'a TraceErrorLog,
}

/// The keys a client group requests: what a cache in front of its targets could hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalogue {
    /// The nodes its requests go to.
    pub targets: Vec<NodeId>,
    /// Keys `0..n_keys`.
    pub n_keys: u64,
    /// Mean value size in bytes.
    pub value_bytes_mean: f64,
}

/// A parsed role, ready to build its group's nodes. `Send + Sync` so a parsed scenario can be
/// run by several threads at once (sweeps).
pub trait RoleBuilder: Send + Sync {
    /// Node `index` of the group, for the run `run` describes.
    fn build_node(&self, index: u32, run: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>>;
    /// The placed group this role routes to by key, and how many keys it uses (keys
    /// `0..n`), so membership changes are measured on the keys it really requests.
    fn routes_by_placement(&self) -> Option<(&str, u64)> {
        None
    }
    /// The open-loop load each node of the group offers, if any.
    fn offered_load(&self) -> Option<OfferedLoad> {
        None
    }
    /// The nodes a pass-through role (a balancer) spreads the requests it receives over.
    fn forwards_to(&self) -> Option<&[NodeId]> {
        None
    }
    /// The keys a request-issuing role uses: its targets, how many keys (`0..n`) and the mean
    /// value size in bytes, for the cache-capacity check.
    fn catalogue(&self) -> Option<Catalogue> {
        None
    }
    /// A cache role's capacity per node.
    fn cache_capacity(&self) -> Option<models::cache::Capacity> {
        None
    }
}

/// What a role's parser can see.
pub struct RoleContext<'a> {
    /// The scenario text, for diagnostics.
    pub source: &'a Source,
    /// The group being parsed.
    pub group: &'a GroupSection,
    /// The group's span.
    pub group_span: Range<usize>,
    /// Every node, for resolving targets.
    pub directory: &'a NodeDirectory,
    /// Each group's name and whether its role answers requests (a valid client target).
    pub serves_requests: &'a BTreeMap<String, bool>,
    /// Each group's name and its role's name.
    pub roles: &'a BTreeMap<String, String>,
    /// The placement plan of every group that has one, by group name.
    pub placements: &'a BTreeMap<String, PlacementPlan>,
}

/// A role's parameter parser.
pub type ParseRole =
    fn(&RoleContext<'_>, &mut Params<'_>) -> Result<Box<dyn RoleBuilder>, Diagnostic>;

/// One registered role.
pub struct RoleEntry {
    /// The name scenario files use.
    pub name: &'static str,
    /// One line for `distsim list`.
    pub description: &'static str,
    /// Its parameters: name and one-line description.
    pub params: &'static [(&'static str, &'static str)],
    /// The latency histograms its nodes record (a report's `timeline_metric` may name them).
    pub histograms: &'static [&'static str],
    /// Whether it uses a service model.
    pub service: ServiceUse,
    /// Whether its nodes answer requests, so clients may target it.
    pub serves_requests: bool,
    /// Parses the group's role parameters.
    pub parse: ParseRole,
}

/// Every role, in `distsim list` order.
pub fn registry() -> Vec<RoleEntry> {
    vec![
        RoleEntry {
            name: "client",
            description: "generates a workload, sends requests to a target group, records latency",
            params: client::CLIENT_PARAMS,
            histograms: &[
                "latency.all",
                "latency.read",
                "latency.write",
                "latency.delete",
            ],
            service: ServiceUse::None,
            serves_requests: false,
            parse: client::parse_client,
        },
        RoleEntry {
            name: "cache",
            description: "a cache node: look-aside, or read-through in front of a backend group",
            params: cache::CACHE_PARAMS,
            histograms: &[],
            service: ServiceUse::Optional,
            serves_requests: true,
            parse: cache::parse_cache,
        },
        RoleEntry {
            name: "balancer",
            description: "a proxy that spreads requests over a backend group, with health checks",
            params: balancer::BALANCER_PARAMS,
            histograms: &[],
            service: ServiceUse::None,
            serves_requests: true,
            parse: balancer::parse_balancer,
        },
        RoleEntry {
            name: "server",
            description: "serves requests through its service model and answers",
            params: &[],
            histograms: &[],
            service: ServiceUse::Optional,
            serves_requests: true,
            parse: |_, _| Ok(Box::new(ServerBuilder)),
        },
    ]
}

/// A group's role parameters, handed out one key at a time; what is left at the end is an
/// unknown key.
pub struct Params<'a> {
    source: &'a Source,
    group_span: Range<usize>,
    role: &'static str,
    known: &'static [(&'static str, &'static str)],
    entries: Vec<(Spanned<String>, Spanned<toml::Value>)>,
    warnings: Vec<Diagnostic>,
}

impl<'a> Params<'a> {
    /// The parameters of `group` for role `entry`.
    pub fn new(source: &'a Source, group: &Spanned<GroupSection>, entry: &RoleEntry) -> Self {
        Params {
            source,
            group_span: group.span(),
            role: entry.name,
            known: entry.params,
            entries: group.get_ref().params.clone(),
            warnings: Vec::new(),
        }
    }

    /// The scenario text, for the role's own diagnostics.
    pub fn source(&self) -> &'a Source {
        self.source
    }

    /// Records a warning about the group (valid, but probably not what was meant).
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(Diagnostic::warning(
            self.source,
            self.group_span.clone(),
            message,
        ));
    }

    /// Removes `key` and deserializes its value.
    pub fn take<T: DeserializeOwned>(
        &mut self,
        key: &str,
    ) -> Result<Option<Spanned<T>>, Diagnostic> {
        let Some(position) = self.entries.iter().position(|(k, _)| k.get_ref() == key) else {
            return Ok(None);
        };
        let (_, value) = self.entries.remove(position);
        let span = value.span();
        T::deserialize(value.into_inner())
            .map(|parsed| Some(Spanned::new(span.clone(), parsed)))
            .map_err(|e| {
                let (message, help) = crate::diag::explain_serde(e.message());
                // Point at the unknown field inside the value, when that is what is wrong.
                let field = message
                    .strip_prefix("unknown field `")
                    .and_then(|rest| rest.split('`').next());
                let at = match field {
                    Some(field) => self.source.key_span(span.clone(), &[field]),
                    None => span,
                };
                let diagnostic =
                    Diagnostic::error(self.source, at, format!("invalid `{key}`: {message}"));
                match help {
                    Some(help) => diagnostic.with_help(help),
                    None => diagnostic,
                }
            })
    }

    /// Like `take`, but the key must be present. If it is missing but a leftover key looks
    /// like a typo of it (`targte`), the error points at that key instead.
    pub fn require<T: DeserializeOwned>(&mut self, key: &str) -> Result<Spanned<T>, Diagnostic> {
        if let Some(value) = self.take(key)? {
            return Ok(value);
        }
        let typo = self
            .entries
            .iter()
            .filter(|(given, _)| !self.known.iter().any(|(name, _)| name == given.get_ref()))
            .find(|(given, _)| crate::diag::closest(given.get_ref(), [key]).is_some());
        Err(match typo {
            Some((given, _)) => Diagnostic::error(
                self.source,
                given.span(),
                format!(
                    "unknown field `{}` in a `{}` group, which needs `{key}`",
                    given.get_ref(),
                    self.role
                ),
            )
            .with_help(format!("did you mean `{key}`?")),
            None => Diagnostic::error(
                self.source,
                self.group_span.clone(),
                format!("a `{}` group needs `{key}`", self.role),
            )
            .with_help(self.describe(key)),
        })
    }

    /// "`key`: what it is", from the role's parameter list.
    fn describe(&self, key: &str) -> String {
        match self.known.iter().find(|(name, _)| *name == key) {
            Some((name, description)) => format!("`{name}`: {description}"),
            None => format!("add `{key}`"),
        }
    }

    /// Fails on the first key nobody took; otherwise returns the role's warnings.
    pub fn finish(self) -> Result<Vec<Diagnostic>, Diagnostic> {
        let Some((key, _)) = self.entries.first() else {
            return Ok(self.warnings);
        };
        let valid = GROUP_COMMON_KEYS
            .iter()
            .copied()
            .chain(self.known.iter().map(|(name, _)| *name));
        Err(Diagnostic::error(
            self.source,
            key.span(),
            format!(
                "unknown field `{}` in a `{}` group",
                key.get_ref(),
                self.role
            ),
        )
        .with_help(suggest(key.get_ref(), valid)))
    }
}

/// Resolves a `target`-like selector to nodes that answer requests: a request sent to a node
/// whose role never answers (a client) would be waited on forever.
pub(super) fn request_targets(
    context: &RoleContext<'_>,
    selector: &Spanned<String>,
) -> Result<sim_core::NodeSet, Diagnostic> {
    let source = context.source;
    let targets = context.directory.select(selector.get_ref()).map_err(|e| {
        let d = Diagnostic::error(source, selector.span(), e.message);
        match e.help {
            Some(help) => d.with_help(help),
            None => d,
        }
    })?;
    for (group, range) in &context.directory.groups {
        let overlaps = targets
            .nodes()
            .iter()
            .any(|n| (range.first..range.first + range.count).contains(&n.0));
        if overlaps && !context.serves_requests.get(group).copied().unwrap_or(false) {
            let servers: Vec<&str> = context
                .serves_requests
                .iter()
                .filter(|(_, serves)| **serves)
                .map(|(name, _)| name.as_str())
                .collect();
            let listed = if servers.is_empty() {
                "none".to_string()
            } else {
                servers.join(", ")
            };
            return Err(Diagnostic::error(
                source,
                selector.span(),
                format!(
                    "{:?} includes group {group:?}, whose role does not answer requests",
                    selector.get_ref()
                ),
            )
            .with_help(format!("groups that answer requests: {listed}")));
        }
    }
    Ok(targets)
}

struct ServerBuilder;

impl RoleBuilder for ServerBuilder {
    fn build_node(&self, _: u32, _: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        Box::new(Server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Source;
    use crate::Scenario;

    // Goal: every histogram a role declares (what `timeline_metric` is checked against) is
    // one its nodes really record. Method: run a tiny client/server scenario and look each
    // declared name up in the metrics.
    #[test]
    fn declared_histograms_are_recorded() {
        let text = "[simulation]\nname = \"h\"\nseed = 1\nduration = \"50ms\"\n\n[[group]]\nname = \"clients\"\ncount = 1\nrole = \"client\"\ntarget = \"servers\"\nworkload = { rate = \"100/s\" }\n\n[[group]]\nname = \"servers\"\ncount = 1\nrole = \"server\"\n";
        let scenario = Scenario::parse(Source {
            name: "h.toml".into(),
            text: text.into(),
        })
        .expect("valid");
        let outcome = crate::run::run(&scenario, 1, &mut |_| std::ops::ControlFlow::Continue(()));
        let metrics = outcome.sim.metrics();
        for entry in registry() {
            for name in entry.histograms {
                assert!(
                    metrics.histogram_by_name(name).is_some(),
                    "role `{}` declares {name}, which is not recorded",
                    entry.name
                );
            }
        }
    }
}
