//! Fault kinds aimed at a replicated store's control plane, applied by the runner between
//! engine segments: `promote` (a manual failover of a leader-follower store).

use std::ops::Range;

use sim_core::registry::Row;
use sim_core::NodeId;

use super::{FaultAction, FaultKind, FaultRow};
use crate::format::diag::Diagnostic;
use crate::format::schema::Selectors;

/// A member to promote, as a `[[fault]]` entry names it. Whether it is a member of a
/// leader-follower store is checked once the groups are built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Promotion {
    /// The member.
    pub node: NodeId,
    /// Where it is named, for errors.
    pub span: Range<usize>,
}

/// `promote = "kv[2]"`.
pub(super) const PROMOTE: FaultRow = Row {
    name: "promote",
    aliases: &["switchover"],
    description: "make a member of a leader-follower store its leader now (a manual failover: the members learn it at their next heartbeat tick)",
    params: &[],
    value: FaultKind {
        logged_as: &["promote"],
        no_duration_help: Some("a later `promote` of another member moves the lead again"),
        parse: |context, args| {
            let selectors = args.value::<Selectors>()?;
            let nodes = context.nodes(&selectors)?;
            match nodes.nodes() {
                &[node] => Ok(FaultAction::Promote(Promotion {
                    node,
                    span: selectors.span(),
                })),
                _ => Err(Diagnostic::error(
                    context.source,
                    selectors.span(),
                    format!(
                        "`promote` names one member to lead, got {} nodes",
                        nodes.len()
                    ),
                )
                .with_help("name one node, e.g. promote = \"kv[1]\"")),
            }
        },
    },
};
