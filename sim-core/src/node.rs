//! Nodes: the simulated machines, and the identifiers they deal in.
//!
//! A node is a state machine that reacts to messages, timers and finished work through a
//! [`Ctx`]. The engine owns every node in a dense `Vec` indexed by [`NodeId`]; a node never
//! holds a reference to another node or to the engine, so there are no `Rc<RefCell<..>>` webs
//! and every effect goes through the context, where it is ordered and recorded.

use std::fmt;

use crate::ctx::{CrashCtx, Ctx};
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

/// What a timer means to the node that set it; handed back in [`Node::on_timer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerTag(pub u64);

/// A handle to a pending timer, for [`Ctx::cancel`]: the `(time, seq)` of its queue entry,
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

/// A message that can cross the simulated network.
///
/// `Clone` because the network may duplicate a message; `Debug` because the event trace shows
/// it. The size drives the bandwidth model: serialization delay is `size * 8 / bandwidth`.
pub trait Message: Clone + fmt::Debug {
    /// Size on the wire in bytes.
    fn size_bytes(&self) -> u64;
}

/// Work that a node's service model has finished, handed to [`Node::on_work_done`].
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

/// A simulated machine.
///
/// All methods but `on_message` have defaults, so a node implements only what it reacts to.
/// `on_restart` defaults to calling `on_start`, the usual behaviour of a rebooted process.
///
/// ```
/// use sim_core::{Ctx, Message, Node, NodeId};
///
/// #[derive(Clone, Debug)]
/// struct Ping;
/// impl Message for Ping {
///     fn size_bytes(&self) -> u64 { 64 }
/// }
///
/// /// Answers every ping with a ping.
/// struct Echo;
/// impl Node for Echo {
///     type Msg = Ping;
///     fn on_message(&mut self, ctx: &mut Ctx<'_, Ping>, from: NodeId, msg: Ping) {
///         ctx.send(from, msg);
///     }
/// }
/// ```
pub trait Node {
    /// The messages this node exchanges; every node in one simulation shares the type.
    type Msg: Message;

    /// Called once when the node is added to a running simulation (at its start time).
    fn on_start(&mut self, ctx: &mut Ctx<'_, Self::Msg>) {
        let _ = ctx;
    }

    /// Called when a message arrives.
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self::Msg>, from: NodeId, msg: Self::Msg);

    /// Called when a timer set with [`Ctx::set_timer`] fires (never after it was cancelled,
    /// and never after a crash that happened since it was set).
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self::Msg>, tag: TimerTag) {
        let _ = (ctx, tag);
    }

    /// Called when work submitted with [`Ctx::submit_work`] finishes service.
    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Self::Msg>, work: CompletedWork<Self::Msg>) {
        let _ = (ctx, work);
    }

    /// Called when the node crashes: drop volatile state here, and count what was lost with
    /// `ctx`. Whatever the node keeps is, by its own choice, durable across the crash.
    fn on_crash(&mut self, ctx: &mut CrashCtx<'_>) {
        let _ = ctx;
    }

    /// Called when a crashed node comes back.
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self::Msg>) {
        self.on_start(ctx);
    }
}

/// Boxed nodes let one simulation hold different node types that share a message type.
impl<M: Message> Node for Box<dyn Node<Msg = M>> {
    type Msg = M;
    fn on_start(&mut self, ctx: &mut Ctx<'_, M>) {
        (**self).on_start(ctx)
    }
    fn on_message(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: M) {
        (**self).on_message(ctx, from, msg)
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, M>, tag: TimerTag) {
        (**self).on_timer(ctx, tag)
    }
    fn on_work_done(&mut self, ctx: &mut Ctx<'_, M>, work: CompletedWork<M>) {
        (**self).on_work_done(ctx, work)
    }
    fn on_crash(&mut self, ctx: &mut CrashCtx<'_>) {
        (**self).on_crash(ctx)
    }
    fn on_restart(&mut self, ctx: &mut Ctx<'_, M>) {
        (**self).on_restart(ctx)
    }
}
