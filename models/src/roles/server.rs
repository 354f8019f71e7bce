//! The `server` role: answers requests after its service model (workers, queue, service time
//! per operation) has served them.
//!
//! A request is handed to the engine's service model with its operation as the operation kind
//! (read 0, write 1, delete 2). When it finishes, the server answers `Ok`. A request refused by
//! a full queue is answered `Busy` (with `overflow = "reject"`) or never answered (with
//! `"drop"`, so the client times out). A server without a service model answers at once.
//!
//! With a rate limit ([`Server::limited`]) each request passes the [`Gate`] first: a
//! rejected one is answered `rate_limited` without touching the service model.
//!
//! **Limitations:** no state: every key exists and every operation succeeds. Storage, caches
//! and replication are separate roles.

use sim_core::{Admission, CompletedWork, Ctx, Node, NodeId, OpKind, TimerTag};

use crate::msg::{Msg, Request, Status};
use crate::ratelimit::RateLimit;
use crate::roles::gate::Gate;
use crate::workload::Op;

/// The service-model operation kind of each operation.
pub fn op_kind(op: Op) -> OpKind {
    match op {
        Op::Read => OpKind(0),
        Op::Write => OpKind(1),
        Op::Delete => OpKind(2),
    }
}

/// A node that serves requests through its service model.
#[derive(Debug, Default)]
pub struct Server {
    /// Its rate limit, if it has one.
    gate: Option<Gate>,
}

impl Server {
    /// A server whose requests pass `limit` first.
    pub fn limited(limit: RateLimit) -> Self {
        Server {
            gate: Some(Gate::new(limit)),
        }
    }

    fn serve(ctx: &mut Ctx<'_, Msg>, request: Request) {
        if let Some(request) = admit(ctx, request) {
            reply(ctx, &request, Status::Ok);
        }
    }
}

/// Sends `request`'s answer with `status` to its client: how every role that serves requests
/// replies.
pub(crate) fn reply(ctx: &mut Ctx<'_, Msg>, request: &Request, status: Status) {
    ctx.send(request.client, Msg::Response(request.answer(status)));
}

/// Hands `request` to the node's service model: `Some(request)` when the node has none (serve
/// it now), `None` when the model took it (it comes back in `on_work_done`) or dropped it; a
/// full queue that rejects is answered `Busy` here.
pub(crate) fn admit(ctx: &mut Ctx<'_, Msg>, request: Request) -> Option<Request> {
    match ctx.submit_work(op_kind(request.op), Msg::Request(request)) {
        Admission::Started | Admission::Queued | Admission::Dropped => None,
        Admission::Rejected(Msg::Request(request)) => {
            reply(ctx, &request, Status::Busy);
            None
        }
        Admission::NoService(Msg::Request(request)) => Some(request),
        Admission::Rejected(_) | Admission::NoService(_) => {
            unreachable!("the service model hands back what it was given")
        }
    }
}

impl Node for Server {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if let Some(gate) = self.gate.as_mut() {
            gate.register(ctx);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        let held = self.gate.as_mut().and_then(|g| g.on_timer(tag));
        if let Some(request) = held {
            Self::serve(ctx, request);
        }
    }

    fn on_crash(&mut self, _: &mut sim_core::CrashCtx<'_>) {
        if let Some(gate) = self.gate.as_mut() {
            gate.crash();
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        let request = match msg {
            Msg::Request(request) => request,
            Msg::Probe { seq } => {
                ctx.send(from, Msg::ProbeAck { seq });
                return;
            }
            // Servers issue no requests or probes: anything else is a stray duplicate, or an
            // out-of-tree protocol's message for that protocol's nodes.
            Msg::Response(_)
            | Msg::ProbeAck { .. }
            | Msg::Set { .. }
            | Msg::Invalidate { .. }
            | Msg::Replica(_)
            | Msg::Raft(_)
            | Msg::Gossip(_)
            | Msg::Member(_)
            | Msg::Custom(_) => return,
        };
        let request = match self.gate.as_mut() {
            Some(gate) => match gate.admit(ctx, request) {
                Some(request) => request,
                None => return,
            },
            None => request,
        };
        Self::serve(ctx, request);
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Msg>, work: CompletedWork<Msg>) {
        if let Msg::Request(request) = work.item {
            reply(ctx, &request, Status::Ok);
        }
    }
}
