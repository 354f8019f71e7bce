//! Fault kinds that change a placed group's membership (model-level: the runner applies them
//! to the run's placement between engine segments): `join`, `leave`, and `fail` (a crash now,
//! detected and removed `detect_after` later).

use std::ops::Range;

use sim_core::registry::{Param, Row};
use sim_core::{Fault, SimDuration};

use super::{FaultAction, FaultArgs, FaultContext, FaultKind, FaultRow};
use crate::format::diag::Diagnostic;
use crate::format::schema::Selectors;

/// Whether nodes join or leave their placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipKind {
    /// Nodes join.
    Join,
    /// Nodes leave (or failed and were detected).
    Leave,
}

impl MembershipKind {
    /// `join` or `leave`, as logged.
    pub fn name(self) -> &'static str {
        match self {
            MembershipKind::Join => "join",
            MembershipKind::Leave => "leave",
        }
    }
}

/// Nodes joining or leaving, as a `[[fault]]` entry names them.
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipChange {
    /// Join or leave.
    pub kind: MembershipKind,
    /// The entry's key (`join`, `leave` or `fail`), for errors.
    pub entry: &'static str,
    /// Which nodes.
    pub nodes: sim_core::NodeSet,
    /// Where the nodes are named, for errors.
    pub span: Range<usize>,
}

/// The change an entry's nodes make. Whether they belong to a placed group, and are members
/// or not at that time, is checked against the whole timeline later
/// (`sections::placement::membership_timeline`).
fn change(
    context: &FaultContext<'_>,
    args: &FaultArgs<'_>,
    kind: MembershipKind,
    entry: &'static str,
) -> Result<MembershipChange, Diagnostic> {
    let selectors = args.value::<Selectors>()?;
    Ok(MembershipChange {
        kind,
        entry,
        nodes: context.nodes(&selectors)?,
        span: selectors.span(),
    })
}

/// `join = "shards[8]"`.
pub(super) const JOIN: FaultRow = Row {
    name: "join",
    aliases: &[],
    description: "add nodes to their group's placement; keys move to them",
    params: &[],
    value: FaultKind {
        logged_as: &["join"],
        no_duration_help: Some("a later `leave` undoes it"),
        parse: |context, args| {
            Ok(FaultAction::Membership(change(
                context,
                args,
                MembershipKind::Join,
                "join",
            )?))
        },
    },
};

/// `leave = "shards[2]"`.
pub(super) const LEAVE: FaultRow = Row {
    name: "leave",
    aliases: &[],
    description:
        "remove nodes from their group's placement; their keys move (the nodes keep running)",
    params: &[],
    value: FaultKind {
        logged_as: &["leave"],
        no_duration_help: Some("a later `join` undoes it"),
        parse: |context, args| {
            Ok(FaultAction::Membership(change(
                context,
                args,
                MembershipKind::Leave,
                "leave",
            )?))
        },
    },
};

/// `fail = "shards[2]"`, detected `detect_after` later.
pub(super) const FAIL: FaultRow = Row {
    name: "fail",
    aliases: &[],
    description:
        "crash nodes, and remove them from their placement `detect_after` later (default 0)",
    params: &[Param::optional(
        "detect_after",
        "\"0s\"",
        "how long until the failure is detected and the nodes leave",
    )],
    value: FaultKind {
        logged_as: &["crash", "leave"],
        no_duration_help: Some("a `restart` entry restarts the node and a `join` brings it back"),
        parse: |context, args| {
            let leave = change(context, args, MembershipKind::Leave, "fail")?;
            let detect_after = match args.text("detect_after")? {
                Some(text) => context.duration(&text)?,
                None => SimDuration::ZERO,
            };
            Ok(FaultAction::Fail {
                crash: Fault::Crash {
                    nodes: leave.nodes.clone(),
                },
                detect_after,
                leave,
            })
        },
    },
};
