//! Load balancing: which backend a request goes to, and when a backend stops being eligible.
//!
//! A balancer sits between clients and a group of backends. Its choice decides how queueing is
//! spread across the group, so tail latency depends on it as much as on the backends: round
//! robin ignores load, least-outstanding reacts to it, power of two choices gets most of the
//! benefit with two samples, and any policy that acts on *stale* load reports can herd every
//! request onto the backend that looked idle when the report was taken. This module holds the
//! plain data structures; the balancer role node that owns messages and timers lives
//! elsewhere.
//!
//! - [`Backends`]: the backend set a balancer sees (weights, health, outstanding requests, a
//!   response-time EWMA and a periodically refreshed load snapshot).
//! - [`Balancer`] and its implementations, each with a row in [`BALANCERS`], built through
//!   [`BalancerSpec`].
//! - [`HealthChecker`]: active health checking as a state machine (eject after `k` failed
//!   probes, re-admit after `j` good ones).
//!
//! Sources: smooth weighted round robin is nginx's (`ngx_http_upstream_round_robin.c`,
//! `ngx_http_upstream_get_peer`, 2012); least-outstanding follows nginx's `least_conn`
//! (`ngx_http_upstream_least_conn_module.c`); the response-time cost is Finagle's EWMA load
//! (`PeakEwma`, Twitter, 2016) without its peak sensitivity; power of two choices is
//! Mitzenmacher, "The power of two choices in randomized load balancing", IEEE TPDS 12(10),
//! 2001, and its stale-information behaviour is Mitzenmacher, "How useful is old information?",
//! IEEE TPDS 11(1), 2000; health checking follows Envoy's active health checker
//! (`unhealthy_threshold`, `healthy_threshold`, `interval`, `timeout`).
//!
//! Every random draw comes from the [`SimRng`] the caller hands in (by convention the
//! balancer node's own stream), so the same seed gives the same choices.
//!
//! ```
//! use models::balancing::{BalancerSpec, Backends, EwmaDecay};
//! use sim_core::rng::{stream, StreamKind, StreamLabel};
//! use sim_core::{NodeId, SimDuration, SimTime};
//!
//! let members = [(NodeId(1), 1), (NodeId(2), 1), (NodeId(3), 2)];
//! let decay = EwmaDecay::half_life(SimDuration::from_millis(100))?;
//! let mut backends = Backends::new(&members, decay, SimDuration::from_millis(50))?;
//! let mut balancer = BalancerSpec::from_name("least_outstanding")?.build();
//! let mut rng = stream(7, StreamLabel::new(StreamKind::Node, 0));
//! let now = SimTime::ZERO;
//! let idx = balancer.pick(&backends, None, &mut rng).expect("all backends are healthy");
//! backends.on_send(idx, now);
//! backends.on_response(idx, SimDuration::from_micros(300), now + SimDuration::from_micros(300));
//! assert_eq!(backends.outstanding(idx), 0);
//! # Ok::<(), models::balancing::BalancerError>(())
//! ```
//!
//! **Limitations:**
//! - Only [`WeightedRoundRobin`] and [`LeastOutstanding`] use weights; uniform random, least
//!   response time, power of two choices and consistent hashing treat backends as equal.
//! - Smooth weighted round robin has no nginx `effective_weight` back-off after failures.
//! - The stale snapshot covers outstanding counts only; the response-time EWMA is always
//!   current (as if every response were observed by the balancer, which it is).
//! - Health is active probing only: there is no passive outlier detection from failed
//!   requests, no panic threshold (Envoy's "route to all when too many are ejected") and no
//!   slow start after re-admission.
//! - One balancer instance serves one [`Backends`]; its cached state (cursor, ring) is keyed
//!   by [`Backends::generation`], which is only unique within one `Backends`.

mod backends;
mod hash;
mod health;
mod policies;
mod registry;
mod spec;
#[cfg(test)]
mod tests;

pub use crate::workload::KeyId;
pub use backends::{Backends, EwmaDecay, Health};
pub use hash::{ConsistentHashByKey, Vnodes, VNODES_DEFAULT, VNODES_MAX};
pub use health::{HealthChange, HealthCheckConfig, HealthChecker};
pub use policies::{
    LeastOutstanding, LeastResponseTime, PowerOfTwoChoices, RoundRobin, UniformRandom,
    WeightedRoundRobin,
};
pub use registry::{balancers, BALANCERS};
pub use spec::{BalancerRow, BalancerSpec, ParseBalancer};

use std::fmt;

use sim_core::{NodeId, SimDuration, SimRng};

/// A load-balancing policy: picks the backend for one request.
pub trait Balancer: fmt::Debug + Send {
    /// The index (into `backends`) of a healthy backend for a request with `key`, or `None`
    /// when no backend is healthy. Draws, if any, come from `rng`. Does not record the send:
    /// the caller follows a pick with [`Backends::on_send`].
    fn pick(&mut self, backends: &Backends, key: Option<KeyId>, rng: &mut SimRng) -> Option<usize>;

    /// The policy's name, as its row in [`BALANCERS`] has it.
    fn name(&self) -> &'static str;
}

/// The names in [`BALANCERS`], comma-separated, for error hints.
struct BalancerNames;

impl fmt::Display for BalancerNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, row) in BALANCERS.iter().enumerate() {
            if position > 0 {
                f.write_str(", ")?;
            }
            f.write_str(row.name)?;
        }
        Ok(())
    }
}

/// Why a balancer, backend set or health checker was rejected. Messages name the thing, the
/// parameter, what is valid and what was given.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BalancerError {
    /// The backend set is empty.
    #[error("balancer needs at least one backend, got an empty group")]
    NoBackends,
    /// A backend's weight is 0.
    #[error("backend [{idx}] ({node}) weight must be >= 1, got {weight}")]
    BadWeight {
        /// Position of the backend in the set.
        idx: usize,
        /// The backend's node.
        node: NodeId,
        /// The rejected weight.
        weight: u32,
    },
    /// The same node appears twice in one backend set.
    #[error(
        "backend [{idx}] repeats {node}, already backend [{first}] (list each backend node once; \
         use its weight to give it more traffic)"
    )]
    DuplicateBackend {
        /// Position of the repeat.
        idx: usize,
        /// Position of the first occurrence.
        first: usize,
        /// The repeated node.
        node: NodeId,
    },
    /// An integer parameter is outside its valid range.
    #[error("{kind} {param} must be {valid}, got {value}")]
    BadCount {
        /// What the parameter belongs to, e.g. `"health_check"`.
        kind: &'static str,
        /// The parameter's name, e.g. `"unhealthy_threshold"`.
        param: &'static str,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected value.
        value: u64,
    },
    /// A real-valued parameter is outside its valid range.
    #[error("{kind} {param} must be {valid}, got {}", sim_core::error::Shown(*.value))]
    BadParameter {
        /// What the parameter belongs to, e.g. `"ewma"`.
        kind: &'static str,
        /// The parameter's name, e.g. `"alpha"`.
        param: &'static str,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A duration parameter is outside its valid range.
    #[error("{kind} {param} must be {valid}, got {value}")]
    BadDuration {
        /// What the parameter belongs to, e.g. `"health_check"`.
        kind: &'static str,
        /// The parameter's name, e.g. `"interval"`.
        param: &'static str,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected value.
        value: SimDuration,
    },
    /// A health check's timeout is longer than its interval.
    #[error(
        "health_check timeout must be <= interval ({interval}), got {timeout} (at most one \
         probe per backend is in flight)"
    )]
    TimeoutExceedsInterval {
        /// The rejected timeout.
        timeout: SimDuration,
        /// The interval given.
        interval: SimDuration,
    },
    /// No balancer has this name.
    #[error("unknown balancer {name:?} (expected one of: {})", BalancerNames)]
    UnknownBalancer {
        /// The name given.
        name: String,
    },
}
