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
//! With optimistic concurrency ([`Server::optimistic`]) a write reads its key's version when
//! it is submitted and commits when its service ends: if another write to the key committed
//! in between, it is answered `Busy` (a conflict, counted `server.conflicts`) instead of
//! `Ok`. Its service time is the transaction's length, so writers that overlap conflict —
//! the contention of Brooker's backoff-and-jitter study.
//!
//! **Limitations:** no state but the optimistic commit times: every key exists and every
//! read succeeds. Storage, caches and replication are separate roles.

use sim_core::{Admission, CompletedWork, CounterId, Ctx, Node, NodeId, OpKind, SimTime, TimerTag};

use crate::fixed_hash::FixedHashMap;
use crate::msg::{Msg, Request, Status};
use crate::ratelimit::RateLimit;
use crate::roles::gate::{self, Gate};
use crate::workload::Op;

/// The service-model operation kind of each operation.
pub fn op_kind(op: Op) -> OpKind {
    match op {
        Op::Read => OpKind(0),
        Op::Write => OpKind(1),
        Op::Delete => OpKind(2),
    }
}

/// What servers record, with each counter's good direction.
pub const METRICS: sim_core::MetricTable = sim_core::MetricTable {
    recorded: &[sim_core::MetricDecl::counter(
        "server.conflicts",
        sim_core::metrics::Direction::HigherIsWorse,
        "optimistic writes answered busy because another write to their key committed first",
    )],
    derived: &[],
    curves: &[],
};

/// A node that serves requests through its service model.
#[derive(Debug, Default)]
pub struct Server {
    /// Its rate limit, if it has one.
    gate: Option<Gate>,
    /// Optimistic concurrency: each key's last commit, and the conflicts counter.
    occ: Option<(FixedHashMap<u64, SimTime>, Option<CounterId>)>,
}

impl Server {
    /// A server whose requests pass `limit` first.
    pub fn limited(limit: RateLimit) -> Self {
        Server {
            gate: Some(Gate::new(limit)),
            occ: None,
        }
    }

    /// The same server, committing writes optimistically.
    pub fn optimistic(mut self) -> Self {
        self.occ = Some((FixedHashMap::default(), None));
        self
    }

    fn serve(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) {
        if let Some(request) = admit(ctx, request) {
            let now = ctx.now();
            self.finish(ctx, request, now);
        }
    }

    /// A request's service ended: answered `Ok`, or `Busy` if it is an optimistic write
    /// whose key another write committed since `read_at`.
    fn finish(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request, read_at: SimTime) {
        let mut status = Status::Ok;
        let occ = self.occ.as_mut().filter(|_| request.op != Op::Read);
        if let Some((commits, conflicts)) = occ {
            let last = commits.entry(request.key.0).or_insert(SimTime::ZERO);
            if *last > read_at {
                status = Status::Busy;
                let id = *conflicts.get_or_insert_with(|| ctx.counter("server.conflicts"));
                ctx.count(id, 1);
            } else {
                *last = ctx.now();
            }
        }
        reply(ctx, &request, status);
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
            self.serve(ctx, request);
        }
    }

    fn on_crash(&mut self, _: &mut sim_core::CrashCtx<'_>) {
        if let Some(gate) = self.gate.as_mut() {
            gate.crash();
        }
        // The commit times are the store's versions: durable.
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
        if let Some(request) = gate::through(self.gate.as_mut(), ctx, request) {
            self.serve(ctx, request);
        }
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Msg>, work: CompletedWork<Msg>) {
        if let Msg::Request(request) = work.item {
            self.finish(ctx, request, work.submitted_at);
        }
    }
}
