//! Identifiers the engine and every model deal in: nodes, timers, operation kinds.
//!
//! They live apart from the [`Node`](crate::Node) trait so that everything can name a node
//! without depending on how nodes run (the context, the world, the loop).

use std::fmt;

use crate::time::SimTime;

/// A simulated machine's identifier: a dense index, assigned in the order nodes are added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    /// This id as a `Vec` index.
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}", self.0)
    }
}

/// What a timer means to the node that set it; handed back in [`Node::on_timer`](crate::Node::on_timer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerTag(pub u64);

/// A handle to a pending timer, for [`Ctx::cancel`](crate::Ctx::cancel): the `(time, seq)` of its queue entry,
/// unique for the whole run, so a stale handle can never cancel a different timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId {
    pub(crate) time: SimTime,
    pub(crate) seq: u64,
}

/// The kind of operation a piece of work is, selecting its service-time distribution in the
/// node's [`ServiceModel`](crate::service::ServiceModel) (e.g. 0 = read, 1 = write).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpKind(pub u16);
