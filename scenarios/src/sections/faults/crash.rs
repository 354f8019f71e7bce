//! Fault kinds that stop and start nodes: `crash` (optionally restarting after a while),
//! `restart`, and `region_outage`.

use sim_core::registry::{Param, Row};
use sim_core::Fault;
use toml::Spanned;

use super::{FaultAction, FaultKind, FaultRow};
use crate::format::diag::Diagnostic;
use crate::format::schema::Selectors;

/// `crash = "cache[2]"`, with `restart_after` (or `duration`) to bring them back.
pub(super) const CRASH: FaultRow = Row {
    name: "crash",
    aliases: &[],
    description:
        "stop nodes: drop queued work, timers and arriving messages (`restart_after` restarts them)",
    params: &[
        Param::optional(
            "restart_after",
            "never",
            "restart the crashed nodes after this long",
        ),
        Param::optional("duration", "never", "the same as `restart_after`"),
    ],
    value: FaultKind {
        logged_as: &["crash", "crash_restart"],
        no_duration_help: None,
        parse: |context, args| {
            let nodes = context.nodes(&args.value::<Selectors>()?)?;
            let duration = args.text("duration")?;
            let after = args.text("restart_after")?;
            let after = match (duration, after) {
                (Some(_), Some(after)) => {
                    return Err(Diagnostic::error(
                        context.source,
                        after.span(),
                        "give `duration` or `restart_after`, not both",
                    ))
                }
                (Some(text), None) | (None, Some(text)) => Some(context.duration(&text)?),
                (None, None) => None,
            };
            Ok(FaultAction::Engine(match after {
                Some(after) => Fault::CrashRestart { nodes, after },
                None => Fault::Crash { nodes },
            }))
        },
    },
};

/// `restart = "cache[2]"`.
pub(super) const RESTART: FaultRow = Row {
    name: "restart",
    aliases: &[],
    description: "bring crashed nodes back",
    params: &[],
    value: FaultKind {
        logged_as: &["restart"],
        no_duration_help: None,
        parse: |context, args| {
            let nodes = context.nodes(&args.value::<Selectors>()?)?;
            Ok(FaultAction::Engine(Fault::Restart { nodes }))
        },
    },
};

/// `region_outage = "eu-west"`, restarted after `duration` if given.
pub(super) const REGION_OUTAGE: FaultRow = Row {
    name: "region_outage",
    aliases: &[],
    description: "crash every node of a region (restarted after `duration`, if given)",
    params: &[Param::optional(
        "duration",
        "never",
        "restart the region's nodes after this long",
    )],
    value: FaultKind {
        logged_as: &["region_outage"],
        no_duration_help: None,
        parse: |context, args| {
            let name: Spanned<String> = args.value()?;
            let region = context.region(&name)?;
            let duration = match args.text("duration")? {
                Some(text) => Some(context.duration(&text)?),
                None => None,
            };
            Ok(FaultAction::Engine(Fault::RegionOutage {
                region,
                duration,
            }))
        },
    },
};
