//! Messages: what nodes send each other, and the work a service model hands back.

use std::fmt;

use crate::ids::OpKind;
use crate::time::SimTime;
use crate::trace::TraceFields;

/// A message that can cross the simulated network.
///
/// `Clone` because the network may duplicate a message; `Debug` because the event trace shows
/// it. The size drives the bandwidth model: serialization delay is `size * 8 / bandwidth`.
pub trait Message: Clone + fmt::Debug {
    /// Size on the wire in bytes.
    fn size_bytes(&self) -> u64;

    /// The message's fields for the event trace: a `type`, then what identifies it (ids,
    /// keys, sizes; nodes through [`TraceFields::node`] so they read as names). The default
    /// writes `type` `message` and the `Debug` text as `debug`.
    fn trace_fields(&self, out: &mut TraceFields<'_>) {
        out.str("type", "message");
        out.str("debug", &format!("{self:?}"));
    }
}

/// Work that a node's service model has finished, handed to [`Node::on_work_done`](crate::Node::on_work_done).
#[derive(Clone, Debug)]
pub struct CompletedWork<M> {
    /// The operation kind it was submitted with.
    pub op: OpKind,
    /// The item submitted (usually the request being served).
    pub item: M,
    /// When it was submitted.
    pub submitted_at: SimTime,
    /// When a worker started on it; `started_at - submitted_at` is the queueing delay.
    pub started_at: SimTime,
}
