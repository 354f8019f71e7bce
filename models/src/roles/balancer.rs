//! The `balancer` role: a proxy in front of a backend group that picks a backend per request
//! with a [`Balancer`] policy and ejects backends its health checks find dead.
//!
//! A request from a client is forwarded to the chosen backend under a fresh id; the backend's
//! answer comes back through the balancer, which measures the backend's response time (for the
//! latency-aware policies), releases the backend's outstanding count, and relays the answer to
//! the client with the client's own id. With no healthy backend the client is answered
//! `Unavailable` at once.
//!
//! Health checks (optional) probe every backend each interval; a probe unanswered within the
//! timeout counts as failed, and a backend is ejected after the configured number of
//! consecutive failures and re-admitted after the configured number of successes. A crashed
//! backend therefore keeps receiving requests (which are lost) until the checks notice, which
//! is the behaviour the health-check parameters are there to study. Probes are answered by the
//! backend at once, outside its service model, like a shallow health endpoint.
//!
//! With a rate limit ([`BalancerConfig::limit`]; the `ratelimiter` role is a balancer with
//! one) each request passes the [`Gate`] before a backend is picked: a rejected one is
//! answered `rate_limited`, a shaped one forwarded after its wait.
//!
//! Records `balancer.forwarded`, `balancer.unavailable`, `balancer.ejections`,
//! `balancer.readmissions` and `balancer.probes.failed`.
//!
//! **Limitations:** no request timeout inside the balancer (a request lost with its backend
//! keeps that backend's outstanding count until the backend is ejected; clients' timeouts
//! bound what users see); no retries; one balancer's view only (balancers do not share load
//! information); a restarted balancer starts with every backend healthy and idle.

use std::collections::BTreeMap;
use std::sync::Arc;

use sim_core::{CounterId, Ctx, Node, NodeId, SimDuration, SimTime, TimerId, TimerTag};

use crate::balancing::{
    Backends, Balancer, BalancerSpec, EwmaDecay, HealthCheckConfig, HealthChecker,
};
use crate::msg::{Msg, Request, Response, Status};
use crate::ratelimit::RateLimit;
use crate::roles::gate::{self, Gate};
use crate::roles::server::reply;

/// What balancer nodes record, with each counter's good direction.
pub const METRICS: sim_core::MetricTable = sim_core::MetricTable {
    recorded: &[
        sim_core::MetricDecl::counter(
            "balancer.unavailable",
            sim_core::metrics::Direction::HigherIsWorse,
            "requests answered unavailable: no healthy backend",
        ),
        sim_core::MetricDecl::counter(
            "balancer.probes.failed",
            sim_core::metrics::Direction::HigherIsWorse,
            "health probes that failed or timed out",
        ),
        sim_core::MetricDecl::counter(
            "balancer.*",
            sim_core::metrics::Direction::Neutral,
            "requests forwarded, ejections and re-admissions",
        ),
    ],
    derived: &[],
    curves: &[],
};

/// Everything a balancer group shares.
#[derive(Clone, Debug)]
pub struct BalancerConfig {
    /// The backends, with their weights (>= 1).
    pub backends: Vec<(NodeId, u32)>,
    /// The policy.
    pub policy: BalancerSpec,
    /// Memory of the response-time average.
    pub decay: EwmaDecay,
    /// How often the load snapshot that stale policies read is refreshed.
    pub load_report: SimDuration,
    /// Health checks, if any.
    pub health: Option<HealthCheckConfig>,
    /// A rate limit applied to every request before it is forwarded, if any.
    pub limit: Option<RateLimit>,
}

/// A request in flight through the balancer.
#[derive(Clone, Copy, Debug)]
struct Forwarded {
    client: NodeId,
    client_id: u64,
    client_sent_at: SimTime,
    backend: usize,
    forwarded_at: SimTime,
}

/// Timer tags: the next round of probes, or one probe's timeout (`BASE + seq`).
const TAG_PROBE_ROUND: u64 = 0;
const TAG_PROBE_TIMEOUT_BASE: u64 = 1 << 62;

#[derive(Clone, Copy, Debug)]
struct Metrics {
    forwarded: CounterId,
    unavailable: CounterId,
    ejections: CounterId,
    readmissions: CounterId,
    probes_failed: CounterId,
}

/// A balancer node.
#[derive(Debug)]
pub struct BalancerNode {
    config: Arc<BalancerConfig>,
    backends: Backends,
    policy: Box<dyn Balancer>,
    health: Option<HealthChecker>,
    next_id: u64,
    /// Requests in flight by forwarded id (ordered, so any sweep over them is deterministic).
    in_flight: BTreeMap<u64, Forwarded>,
    next_probe: u64,
    /// Probes awaiting an answer: seq -> (backend, timeout timer).
    probes: BTreeMap<u64, (usize, TimerId)>,
    /// Its rate limit, if it has one.
    gate: Option<Gate>,
    metrics: Option<Metrics>,
}

impl BalancerNode {
    /// A balancer of `config`; fails if the configuration is invalid (no backends, a zero
    /// weight or refresh, bad health-check thresholds).
    pub fn new(config: Arc<BalancerConfig>) -> Result<Self, crate::balancing::BalancerError> {
        let backends = Backends::new(&config.backends, config.decay, config.load_report)?;
        let health = config
            .health
            .map(|h| HealthChecker::new(h, config.backends.len()))
            .transpose()?;
        Ok(BalancerNode {
            policy: config.policy.build(),
            backends,
            health,
            next_id: 0,
            in_flight: BTreeMap::new(),
            next_probe: 0,
            probes: BTreeMap::new(),
            gate: config.limit.map(Gate::new),
            metrics: None,
            config,
        })
    }

    fn metrics(&self) -> Metrics {
        self.metrics.expect("registered in on_start")
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) {
        if let Some(request) = gate::through(self.gate.as_mut(), ctx, request) {
            self.forward(ctx, request);
        }
    }

    /// Forwards an admitted request to a backend the policy picks.
    fn forward(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) {
        let now = ctx.now();
        self.backends.maybe_refresh(now);
        let pick = self
            .policy
            .pick(&self.backends, Some(request.key), ctx.rng());
        let Some(backend) = pick else {
            ctx.count(self.metrics().unavailable, 1);
            reply(ctx, &request, Status::Unavailable);
            return;
        };
        self.backends.on_send(backend, now);
        self.next_id += 1;
        let id = self.next_id;
        self.in_flight.insert(
            id,
            Forwarded {
                client: request.client,
                client_id: request.id,
                client_sent_at: request.sent_at,
                backend,
                forwarded_at: now,
            },
        );
        ctx.count(self.metrics().forwarded, 1);
        let forwarded = Request {
            id,
            client: ctx.id(),
            sent_at: now,
            ..request
        };
        ctx.send(self.backends.node(backend), Msg::Request(forwarded));
    }

    fn on_response(&mut self, ctx: &mut Ctx<'_, Msg>, response: Response) {
        let Some(forwarded) = self.in_flight.remove(&response.id) else {
            return; // A duplicate answer: the first one was relayed.
        };
        let now = ctx.now();
        let latency = now.saturating_since(forwarded.forwarded_at);
        self.backends.on_response(forwarded.backend, latency, now);
        let relayed = Response {
            id: forwarded.client_id,
            sent_at: forwarded.client_sent_at,
            ..response
        };
        ctx.send(forwarded.client, Msg::Response(relayed));
    }

    fn probe_round(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let Some(config) = self.config.health else {
            return;
        };
        for backend in 0..self.backends.len() {
            self.next_probe += 1;
            let seq = self.next_probe;
            let timer = ctx.set_timer(config.timeout, TimerTag(TAG_PROBE_TIMEOUT_BASE + seq));
            self.probes.insert(seq, (backend, timer));
            ctx.send(self.backends.node(backend), Msg::Probe { seq });
        }
        ctx.set_timer(config.interval, TimerTag(TAG_PROBE_ROUND));
    }

    fn on_probe_result(&mut self, ctx: &mut Ctx<'_, Msg>, backend: usize, ok: bool) {
        let metrics = self.metrics();
        if !ok {
            ctx.count(metrics.probes_failed, 1);
        }
        let Some(checker) = self.health.as_mut() else {
            return;
        };
        if let Some(change) = checker.on_probe_result(backend, ok) {
            if self.backends.apply(change) {
                let counter = if ok {
                    metrics.readmissions
                } else {
                    metrics.ejections
                };
                ctx.count(counter, 1);
            }
        }
    }
}

impl Node for BalancerNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.metrics.is_none() {
            self.metrics = Some(Metrics {
                forwarded: ctx.counter("balancer.forwarded"),
                unavailable: ctx.counter("balancer.unavailable"),
                ejections: ctx.counter("balancer.ejections"),
                readmissions: ctx.counter("balancer.readmissions"),
                probes_failed: ctx.counter("balancer.probes.failed"),
            });
        }
        if let Some(gate) = self.gate.as_mut() {
            gate.register(ctx);
        }
        self.probe_round(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(request) => self.on_request(ctx, request),
            Msg::Response(response) => self.on_response(ctx, response),
            Msg::ProbeAck { seq } => {
                if let Some((backend, timer)) = self.probes.remove(&seq) {
                    ctx.cancel(timer);
                    self.on_probe_result(ctx, backend, true);
                }
            }
            // A balancer answers probes itself, so balancers can be stacked or checked.
            Msg::Probe { seq } => ctx.send(from, Msg::ProbeAck { seq }),
            // One-way cache messages are meant for caches, not proxies; an out-of-tree
            // protocol's messages for that protocol's nodes.
            Msg::Set { .. }
            | Msg::Invalidate { .. }
            | Msg::Replica(_)
            | Msg::Raft(_)
            | Msg::Gossip(_)
            | Msg::Member(_)
            | Msg::Custom(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        if Gate::owns(tag) {
            if let Some(request) = self.gate.as_mut().and_then(|g| g.on_timer(tag)) {
                self.forward(ctx, request);
            }
            return;
        }
        if tag.0 == TAG_PROBE_ROUND {
            self.probe_round(ctx);
            return;
        }
        let seq = tag.0 - TAG_PROBE_TIMEOUT_BASE;
        if let Some((backend, _)) = self.probes.remove(&seq) {
            self.on_probe_result(ctx, backend, false);
        }
    }

    fn on_crash(&mut self, _: &mut sim_core::CrashCtx<'_>) {
        // Volatile: in-flight requests, probes, and everything learned about the backends.
        let fresh = BalancerNode::new(Arc::clone(&self.config)).expect("validated at start");
        let metrics = self.metrics;
        *self = fresh;
        self.metrics = metrics;
    }
}
