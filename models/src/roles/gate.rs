//! A host's rate limit at run time ([`Gate`]): the `server` and `balancer` roles' `limit`,
//! and the `ratelimiter` role's reason to exist.
//!
//! Each request is decided by its key's limiter ([`KeyedLimiters`]) when it arrives: admitted
//! (the host goes on with it), rejected (answered [`Status::RateLimited`], a 429), or, by a
//! shaper, held for its delay and then admitted. A crashed host forgets its limiters and the
//! requests it held (their clients time out).
//!
//! Records `ratelimit.admitted`, `ratelimit.rejected`, `ratelimit.delayed` (admitted after a
//! wait) and the histogram `ratelimit.delay` (ns).

use std::collections::BTreeMap;

use sim_core::{CounterId, Ctx, HistogramId, SimDuration, TimerTag, Unit};

use crate::msg::{Msg, Request, Status};
use crate::ratelimit::{Decision, KeyedLimiters, RateLimit};
use crate::roles::server::reply;

/// What rate-limiting hosts record, with each metric's unit and good direction.
pub const METRICS: sim_core::MetricTable = sim_core::MetricTable {
    recorded: &[
        sim_core::MetricDecl::counter(
            "ratelimit.admitted",
            sim_core::metrics::Direction::Neutral,
            "requests a rate limit let through (at once or after a shaper's wait)",
        ),
        sim_core::MetricDecl::counter(
            "ratelimit.rejected",
            sim_core::metrics::Direction::Neutral,
            "requests a rate limit refused (answered rate_limited, a 429)",
        ),
        sim_core::MetricDecl::counter(
            "ratelimit.delayed",
            sim_core::metrics::Direction::Neutral,
            "requests a shaper held before letting them through",
        ),
        sim_core::MetricDecl::histogram(
            "ratelimit.delay",
            sim_core::Unit::Nanoseconds,
            sim_core::metrics::Direction::HigherIsWorse,
            sim_core::metrics::Direction::Neutral,
            "how long a shaper held each request it delayed",
        ),
    ],
    derived: &[sim_core::metrics::DerivedMetric {
        name: "ratelimit.rejected_ratio",
        formula: sim_core::metrics::Formula::Ratio {
            numerator: &["ratelimit.rejected"],
            denominator: &["ratelimit.admitted", "ratelimit.rejected"],
        },
        unit: sim_core::Unit::Ratio,
        direction: sim_core::metrics::Direction::Neutral,
        description: "ratelimit.rejected / (ratelimit.admitted + ratelimit.rejected)",
    }],
    curves: &[],
};

/// A held request's timer tag: `TAG_BASE + its hold number`; hosts keep their own tags below.
const TAG_BASE: u64 = 1 << 61;

#[derive(Clone, Copy, Debug)]
struct GateMetrics {
    admitted: CounterId,
    rejected: CounterId,
    delayed: CounterId,
    delay: HistogramId,
}

/// `request` through a host's gate, if it has one: `Some` to go on with it now, `None` when
/// the gate answered or held it (how `Server` and `BalancerNode` take requests).
pub fn through(
    gate: Option<&mut Gate>,
    ctx: &mut Ctx<'_, Msg>,
    request: Request,
) -> Option<Request> {
    match gate {
        Some(gate) => gate.admit(ctx, request),
        None => Some(request),
    }
}

/// One host's rate limit: its limiters and the requests a shaper holds.
#[derive(Debug)]
pub struct Gate {
    limiters: KeyedLimiters,
    /// Requests held by a shaper, by hold number (each with its timer).
    held: BTreeMap<u64, Request>,
    next_hold: u64,
    metrics: Option<GateMetrics>,
}

impl Gate {
    /// A gate applying `limit`, no key seen yet.
    pub fn new(limit: RateLimit) -> Self {
        Gate {
            limiters: KeyedLimiters::new(limit),
            held: BTreeMap::new(),
            next_hold: 0,
            metrics: None,
        }
    }

    /// Registers the gate's metrics (once; a restart keeps them).
    pub fn register(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.metrics.is_none() {
            self.metrics = Some(GateMetrics {
                admitted: ctx.counter("ratelimit.admitted"),
                rejected: ctx.counter("ratelimit.rejected"),
                delayed: ctx.counter("ratelimit.delayed"),
                delay: ctx.histogram("ratelimit.delay", Unit::Nanoseconds),
            });
        }
    }

    fn metrics(&self) -> GateMetrics {
        self.metrics.expect("registered in on_start")
    }

    /// Decides `request`: `Some` to go on with it now; `None` when it was refused (and
    /// answered) or held (it comes back from [`Gate::on_timer`]).
    pub fn admit(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) -> Option<Request> {
        let metrics = self.metrics();
        match self.limiters.decide(request.client, request.key, ctx.now()) {
            Decision::Admit => {
                ctx.count(metrics.admitted, 1);
                Some(request)
            }
            Decision::Reject => {
                ctx.count(metrics.rejected, 1);
                reply(ctx, &request, Status::RateLimited);
                None
            }
            Decision::Delay(ns) => {
                ctx.count(metrics.admitted, 1);
                ctx.count(metrics.delayed, 1);
                ctx.record(metrics.delay, ns);
                self.next_hold += 1;
                self.held.insert(self.next_hold, request);
                ctx.set_timer(
                    SimDuration::from_nanos(ns),
                    TimerTag(TAG_BASE + self.next_hold),
                );
                None
            }
        }
    }

    /// Whether timer `tag` is one of the gate's.
    pub fn owns(tag: TimerTag) -> bool {
        tag.0 >= TAG_BASE && tag.0 < TAG_BASE << 1
    }

    /// A held request's wait is over: here it is, to go on with (`None` for a timer that
    /// is not the gate's).
    pub fn on_timer(&mut self, tag: TimerTag) -> Option<Request> {
        if !Self::owns(tag) {
            return None;
        }
        self.held.remove(&(tag.0 - TAG_BASE))
    }

    /// A crash: limiters and held requests are volatile.
    pub fn crash(&mut self) {
        self.limiters.clear();
        self.held.clear();
    }
}
