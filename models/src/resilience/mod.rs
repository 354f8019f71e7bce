//! Client resilience as plain data: what a client does when a request fails, testable without
//! the engine. Its host is the client role ([`crate::roles::client`]), which keeps one
//! [`RetryBudget`] per client and asks a [`RetryPolicy`] whether and when to try again.
//!
//! - [`RetryPolicy`]: at most `attempts` tries per request, on the failures it names
//!   ([`RetryOn`]), each retry after a backoff that grows by a multiplier from a base up to a
//!   cap, with one of the jitters of Brooker's "Exponential Backoff And Jitter" (AWS
//!   Architecture Blog, 2015): none, full, equal or decorrelated ([`Jitter`]).
//! - [`RetryBudget`]: a per-client token bucket of retries, filled by requests rather than
//!   by time (each request deposits `ratio` of a retry, up to `burst` retries in hand), so
//!   retries can never exceed about `ratio` of the requests however long an outage lasts
//!   (Finagle's and gRPC's retry budgets work this way).
//!
//! - [`Breaker`]: a circuit breaker (closed, open, half-open) over a count-based sliding
//!   window of calls, opening on a failure or slow-call share ([`BreakerSpec`]).
//!
//! - [`HedgePolicy`]: send a copy of a slow request to another target after a fixed delay
//!   or the client's running percentile ([`LatencyTracker`]), first answer wins.
//!
//! Delays are integer nanoseconds and every random draw comes from the stream the caller
//! hands in, so a policy's choices are reproducible.
//!
//! **Limitations:** the loser of a hedge is not cancelled (its server does the work);
//! deadline propagation and tied requests are still to come (issue 15). A bulkhead is a
//! count the client checks (`ClientConfig::max_in_flight`), with no state of its own here.

mod breaker;
mod hedge;
mod retry;

pub use breaker::{Breaker, BreakerSpec, BreakerState};
pub use hedge::{HedgeAfter, HedgePolicy, LatencyTracker, TRACKER_MIN_SAMPLES};
pub use retry::{Jitter, RetryBudget, RetryOn, RetryPolicy, JITTERS};
