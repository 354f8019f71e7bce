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
//! Delays are integer nanoseconds and every random draw comes from the stream the caller
//! hands in, so a policy's choices are reproducible.
//!
//! **Limitations:** hedging and bulkheads are still to come (issue 15).

mod breaker;
mod retry;

pub use breaker::{Breaker, BreakerSpec, BreakerState};
pub use retry::{Jitter, RetryBudget, RetryOn, RetryPolicy, JITTERS};
