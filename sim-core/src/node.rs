//! Nodes: the simulated machines, and the identifiers they deal in.
//!
//! A node is a state machine that reacts to messages, timers and finished work through a
//! [`Ctx`]. The engine owns every node in a dense `Vec` indexed by [`NodeId`]; a node never
//! holds a reference to another node or to the engine, so there are no `Rc<RefCell<..>>` webs
//! and every effect goes through the context, where it is ordered and recorded.

use crate::ctx::{CrashCtx, Ctx};
use crate::ids::{NodeId, TimerTag};
use crate::message::{CompletedWork, Message};

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

    /// O(n) consistency checks of the node's own state (a hosted model's lists and counters);
    /// panics on a violation. The engine calls it from
    /// [`Simulation::check_invariants`](crate::Simulation::check_invariants), which tests and
    /// `--paranoid` runs call every so many events. The default checks nothing.
    fn check_invariants(&self) {}
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
    fn check_invariants(&self) {
        (**self).check_invariants()
    }
}
