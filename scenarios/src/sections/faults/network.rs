//! Fault kinds that change the network: `partition` (two node sets cut apart, both ways or
//! one way), `isolate` (nodes cut off from everyone), `heal`, and `degrade` (extra latency,
//! loss and duplication on links for a window).

use serde::Deserialize;
use sim_core::registry::{Param, Row};
use sim_core::{Direction, Fault, NodeSet, SimDuration};
use toml::Spanned;

use super::{FaultAction, FaultArgs, FaultContext, FaultKind, FaultRow};
use crate::format::diag::Diagnostic;
use crate::format::schema::Selectors;

/// `partition = { from = ..., to = ..., one_way = false, name = "..." }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartitionSpec {
    /// One side.
    from: Spanned<Selectors>,
    /// The other side; default every node not in `from`.
    #[serde(default)]
    to: Option<Spanned<Selectors>>,
    /// Block only `from -> to`.
    #[serde(default)]
    one_way: bool,
    /// Name for a later `heal`; default `partition-<n>`.
    #[serde(default)]
    name: Option<String>,
}

/// `degrade = { from = ..., to = ..., extra_latency = "50ms", loss = 0.1, duplicate = 0 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DegradeSpec {
    /// Senders affected.
    from: Spanned<Selectors>,
    /// Receivers affected; default every node.
    #[serde(default)]
    to: Option<Spanned<Selectors>>,
    /// Added latency.
    #[serde(default)]
    extra_latency: Option<Spanned<String>>,
    /// Extra loss probability.
    #[serde(default)]
    loss: Option<Spanned<f64>>,
    /// Extra duplication probability.
    #[serde(default)]
    duplicate: Option<Spanned<f64>>,
}

/// An optional `duration` (a window that heals by itself).
fn window(
    context: &FaultContext<'_>,
    args: &mut FaultArgs<'_>,
) -> Result<Option<SimDuration>, Diagnostic> {
    match args.text("duration")? {
        Some(text) => Ok(Some(context.duration(&text)?)),
        None => Ok(None),
    }
}

/// `partition = {...}`, healed by `heal` or after `duration`.
pub(super) const PARTITION: FaultRow = Row {
    name: "partition",
    aliases: &[],
    description:
        "block messages between two node sets, both ways or one way, until `heal` or `duration`",
    params: &[Param::optional(
        "duration",
        "until healed",
        "heal by itself after this long",
    )],
    value: FaultKind {
        logged_as: &["partition"],
        no_duration_help: None,
        parse: |context, args| {
            let spec = args.value::<PartitionSpec>()?.into_inner();
            let from = context.nodes(&spec.from)?;
            let to = match &spec.to {
                Some(to) => context.nodes(to)?,
                None => from.complement(context.directory.n_nodes),
            };
            Ok(FaultAction::Engine(Fault::Partition {
                name: spec
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("partition-{}", context.index)),
                from,
                to,
                direction: if spec.one_way {
                    Direction::OneWay
                } else {
                    Direction::Both
                },
                duration: window(context, args)?,
            }))
        },
    },
};

/// `isolate = "db[0]"`: a partition named `isolate-<n>` between the nodes and all others.
pub(super) const ISOLATE: FaultRow = Row {
    name: "isolate",
    aliases: &[],
    description: "cut nodes off from every other node, both ways",
    params: &[Param::optional(
        "duration",
        "until healed",
        "heal by itself after this long",
    )],
    value: FaultKind {
        logged_as: &["partition"],
        no_duration_help: None,
        parse: |context, args| {
            let from = context.nodes(&args.value::<Selectors>()?)?;
            Ok(FaultAction::Engine(Fault::Partition {
                name: format!("isolate-{}", context.index),
                to: from.complement(context.directory.n_nodes),
                from,
                direction: Direction::Both,
                duration: window(context, args)?,
            }))
        },
    },
};

/// `heal = "name"` or `"all"`; the name is checked against every partition the timeline
/// creates once all faults are parsed.
pub(super) const HEAL: FaultRow = Row {
    name: "heal",
    aliases: &[],
    description: "remove one partition by name, or \"all\"",
    params: &[],
    value: FaultKind {
        logged_as: &["heal"],
        no_duration_help: None,
        parse: |_, args| {
            let name: Spanned<String> = args.value()?;
            let name = name.into_inner();
            Ok(FaultAction::Engine(Fault::Heal {
                name: (name != "all").then_some(name),
            }))
        },
    },
};

/// `degrade = {...}` for `duration`.
pub(super) const DEGRADE: FaultRow = Row {
    name: "degrade",
    aliases: &[],
    description: "extra latency, loss and duplication on links, for `duration`",
    params: &[Param::required(
        "duration",
        "how long the links stay degraded",
    )],
    value: FaultKind {
        logged_as: &["link_degrade"],
        no_duration_help: None,
        parse: |context, args| {
            let spec = args.value::<DegradeSpec>()?.into_inner();
            let extra_latency = match &spec.extra_latency {
                Some(text) => context.duration(text)?,
                None => SimDuration::ZERO,
            };
            let duration = window(context, args)?.ok_or_else(|| {
                Diagnostic::error(
                    context.source,
                    context.span.clone(),
                    "a `degrade` fault needs `duration`",
                )
            })?;
            Ok(FaultAction::Engine(Fault::LinkDegrade {
                from: context.nodes(&spec.from)?,
                to: match &spec.to {
                    Some(to) => context.nodes(to)?,
                    None => NodeSet::all(context.directory.n_nodes),
                },
                extra_latency,
                loss: context.probability(&spec.loss, "degrade loss")?,
                duplicate: context.probability(&spec.duplicate, "degrade duplicate")?,
                duration,
            }))
        },
    },
};
