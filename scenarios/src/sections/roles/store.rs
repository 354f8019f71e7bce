//! The `store` role's parameters: `replication` (the scheme and its parameters, a row of
//! the replication-scheme registry) and `op_timeout`.
//!
//! A quorum store needs a `placement`: it decides each key's replicas. Its clients target the
//! group; with `coordinator = "client"` they send to the replicas themselves (they find the
//! scheme in the run's [`RunContext::stores`]). A leader-follower store holds every key on
//! every node; its clients may send to any of them.

use std::sync::Arc;

use models::msg::Msg;
use models::replication::leader_follower::Shipping;
use models::replication::quorum::Coordination;
use models::replication::ReplicationSpec;
use models::roles::{StoreConfig, StoreNode};
use sim_core::registry::{Param, Registry, Row};
use sim_core::Node;

use super::{
    model_choice_by, Recording, RoleBuilder, RoleContext, RoleRow, RoleSpec, RunContext, ServiceUse,
};
use crate::format::diag::Diagnostic;
use crate::format::params::{positive_duration, Params};

/// `store`.
pub(super) const ROW: RoleRow = Row {
    name: "store",
    aliases: &["kv"],
    description: "a replicated key-value store: each node a replica of the keys its placement gives it",
    params: &[
        Param::optional(
            "replication",
            "{ scheme = \"quorum\" }",
            "the replication scheme (distsim list shows them): a name, or { scheme = ..., <its parameters> }",
        ),
        Param::optional(
            "op_timeout",
            "never",
            "a replica coordinating a request answers `unavailable` after this long without its quorum",
        ),
    ],
    value: RoleSpec {
        histograms: &[],
        service: ServiceUse::Optional,
        serves_requests: true,
        parse: parse_store,
    },
};

fn parse_store(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
) -> Result<Box<dyn RoleBuilder>, Diagnostic> {
    let source = context.source;
    let name = context.group.name.get_ref();
    let schemes = &context.vocabulary.replication_schemes;
    let (replication, span) = match params.take_value("replication") {
        None => {
            let row = schemes
                .lookup("quorum")
                .expect("quorum is a built-in scheme");
            let spec =
                (row.value)(&mut sim_core::registry::ArgMap::new()).expect("quorum has defaults");
            (spec, context.group_span.clone())
        }
        Some(value) => {
            let span = value.span();
            let spec = model_choice_by(
                source,
                "replication scheme",
                "replication",
                "scheme",
                schemes,
                &value,
                super::Extras {
                    entries: Vec::new(),
                    tables: Some(duration_tables(&context.vocabulary.distributions)),
                },
            )?;
            (spec, span)
        }
    };
    let members = context.directory.groups[name].count as usize;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    match &replication {
        ReplicationSpec::Quorum(spec) => {
            if !context.placements.contains_key(name) {
                return Err(Diagnostic::error(
                    source,
                    context.group_span.clone(),
                    format!(
                        "store group {name:?} replicates by quorum and has no `placement`, which decides each key's replicas"
                    ),
                )
                .with_help("add e.g. placement = { scheme = \"ring\" } to the group"));
            }
            if spec.n() > members {
                return Err(Diagnostic::error(
                    source,
                    source.key_span(span.clone(), &["n"]),
                    format!(
                        "n = {} replicas per key, but store group {name:?} has {members} node{}",
                        spec.n(),
                        plural(members)
                    ),
                )
                .with_help(format!(
                    "n can be at most {members}; or raise the group's `count`"
                )));
            }
            if spec.sloppy.is_some() && spec.n() == members {
                params.warn(format!(
                    "sloppy = \"on\" with n = {} replicas on a group of {members}: every node is a home replica of every key, so there is no fallback to take a suspected replica's place (raise the group's `count` above n)",
                    spec.n()
                ));
            }
        }
        ReplicationSpec::Raft(_) => {
            if members % 2 == 0 {
                params.warn(format!(
                    "a Raft group of {members} nodes tolerates no more failures than one of {}: a majority is {} of {members}; an odd size is the usual choice",
                    members - 1,
                    members / 2 + 1
                ));
            }
            if context.placements.contains_key(name) {
                params.warn(
                    "raft replicates the whole group on every node; its `placement` only routes clients (keys are not sharded)",
                );
            }
        }
        ReplicationSpec::LeaderFollower(spec) => {
            if let Shipping::SemiSync(acks) = spec.shipping {
                if acks >= members {
                    return Err(Diagnostic::error(
                        source,
                        source.key_span(span.clone(), &["acks"]),
                        format!(
                            "acks = {acks} followers, but store group {name:?} has {} follower{} besides its leader",
                            members - 1,
                            plural(members - 1)
                        ),
                    )
                    .with_help(format!(
                        "acks can be 1 to {}; mode = \"sync\" waits for every follower",
                        members.saturating_sub(1).max(1)
                    )));
                }
            }
            if members == 1 {
                params.warn(
                    "a leader-follower store of one node has no follower: writes are never replicated and a crash has no one to fail over to",
                );
            }
            if context.placements.contains_key(name) {
                params.warn(
                    "leader_follower replicates the whole group on every node; its `placement` only routes clients (keys are not sharded)",
                );
            }
        }
    }
    let op_timeout = match params.take::<String>("op_timeout")? {
        None => None,
        Some(text) => Some(positive_duration(source, &text, "op_timeout")?),
    };
    let replica_coordinated = matches!(
        replication,
        ReplicationSpec::Quorum(spec) if spec.coordination == Coordination::Replica
    );
    if op_timeout.is_some() && !replica_coordinated {
        params.warn(
            "`op_timeout` applies to quorum operations a replica coordinates; here it has no effect (with coordinator = \"client\", the client's `timeout` ends a request)",
        );
    }
    Ok(Box::new(StoreBuilder {
        config: Arc::new(StoreConfig {
            replication,
            op_timeout,
        }),
        group: name.clone(),
    }))
}

struct StoreBuilder {
    config: Arc<StoreConfig>,
    group: String,
}

impl RoleBuilder for StoreBuilder {
    fn build_node(&self, _: u32, run: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        let store = run
            .stores
            .get(&self.group)
            .expect("every store group has its run in every run");
        Box::new(StoreNode::new(
            Arc::clone(&self.config),
            store,
            run.placements.get(&self.group).cloned(),
            run.history.clone(),
        ))
    }

    fn replication(&self) -> Option<ReplicationSpec> {
        Some(self.config.replication.clone())
    }

    fn recording(&self) -> Recording {
        // Recorded by whoever coordinates: this group's nodes, or its clients.
        Recording {
            histograms: ["read", "write", "delete"]
                .iter()
                .map(|op| format!("store.op_latency.{op}"))
                .collect(),
            ..Recording::default()
        }
    }
}

/// Reads a scheme's distribution tables (a leader-follower `lag`) with the scenario's
/// distribution kinds, in durations.
fn duration_tables(
    kinds: &Registry<crate::sections::distributions::ParseDist>,
) -> crate::format::params::DistTables {
    let kinds = kinds.clone();
    Box::new(move |table| {
        let spec = crate::format::schema::DistSpec(table.clone());
        crate::sections::distributions::distribution(
            &spec,
            crate::format::quantity::Dimension::Duration,
            &kinds,
        )
        .map_err(|e| match e.help {
            Some(help) => format!("{} ({help})", e.message),
            None => e.message,
        })
    })
}
