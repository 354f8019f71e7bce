//! Workloads: when requests arrive, which keys they touch, and what they do.
//!
//! Most questions a distsim scenario asks ("does the cache survive a hot key?", "what happens
//! at the evening peak?") depend on the offered load as much as on the system, so the load is
//! modelled with the same care: validated parameters, exact samplers and stated sources. This
//! module holds plain data types and samplers only; the client role node that runs them lives
//! elsewhere and owns the timers and messages.
//!
//! - [`Arrivals`] and [`ArrivalClock`]: open-loop arrival processes (Poisson, constant,
//!   on-off, and a piecewise [`RateSchedule`] for ramps, spikes and diurnal shapes).
//! - [`ClosedLoop`]: a fixed number of outstanding requests with think time between them.
//! - [`KeyPopularity`]: which [`KeyId`] a request targets (uniform, Zipf, hotspot,
//!   sequential).
//! - [`OpMix`] and [`sample_size`]: the read/write/delete split and value sizes.
//! - [`trace`]: reading recorded requests (CSV and libCacheSim's oracleGeneral, plain or
//!   zstd-compressed), and [`replay`]: pacing them as a client's workload (at the trace's
//!   times, scaled, or as fast as answers come) instead of sampling requests.
//!
//! Every draw comes from the [`SimRng`](sim_core::SimRng) the caller hands in (by convention
//! a [`StreamKind::Workload`](sim_core::rng::StreamKind::Workload) stream), so the same seed
//! gives the same requests.
//!
//! ```
//! use models::workload::{ArrivalClock, Arrivals, KeyPopularity, Op, OpMix};
//! use sim_core::rng::{stream, StreamKind, StreamLabel};
//! use sim_core::SimTime;
//!
//! let mut rng = stream(7, StreamLabel::new(StreamKind::Workload, 0));
//! let mut clock = ArrivalClock::new(Arrivals::poisson(1000.0)?);
//! let mut keys = KeyPopularity::zipf(1_000_000, 0.99)?;
//! let mix = OpMix::new(0.9, 0.1, 0.0)?;
//! let at = clock.next_after(SimTime::ZERO, &mut rng).expect("poisson never stops");
//! let key = keys.sample(&mut rng);
//! let op = mix.sample(&mut rng);
//! assert!(key.0 < 1_000_000);
//! assert_ne!(op, Op::Delete);
//! assert!(at > SimTime::ZERO);
//! # Ok::<(), models::workload::WorkloadError>(())
//! ```
//!
//! **Limitations:**
//! - Arrival times are rounded to whole nanoseconds, and each Poisson-type draw restarts from
//!   the (rounded) previous arrival, so rates are capped at [`RATE_MAX_PER_S`] (one per
//!   nanosecond); near that cap the rounding is visible.
//! - Arrivals are independent of the system's state (open loop) unless the client runs
//!   [`ClosedLoop`]; there is no session model, no correlation between consecutive keys (other
//!   than `sequential`) and no key churn over time.
//! - Key popularity is static for a run: a Zipf or hotspot ranking never shifts.
//! - Zipf and hotspot work on `f64`, so key counts are capped at [`N_KEYS_MAX`] (2^53).
//! - Value sizes are independent of the key and the operation.

mod arrivals;
mod keys;
mod mix;
pub mod replay;
mod schedule;
pub mod trace;
mod zipf;

pub use arrivals::{ArrivalClock, ArrivalProcess, Arrivals, CustomArrivals};
pub use keys::{CustomKeys, KeyDistribution, KeyId, KeyPopularity};
pub use mix::{sample_size, Op, OpMix};
pub use schedule::{RateSchedule, RateShape};

use std::num::NonZeroU32;

use sim_core::error::Shown;
use sim_core::{Distribution, SimDuration, SimTime};

/// Largest arrival rate accepted, in arrivals per second: one per nanosecond, the engine's
/// resolution. Faster rates would pile arrivals onto the same nanosecond.
pub const RATE_MAX_PER_S: f64 = 1e9;

/// Largest key count accepted: 2^53, the largest range of integers an `f64` (which the Zipf
/// and hotspot samplers and [`KeyPopularity::probability`] use) represents exactly.
pub const N_KEYS_MAX: u64 = 1 << 53;

/// A closed-loop client: `concurrency` requests outstanding at all times, each followed by a
/// think time before the next is issued (the interactive model of queueing theory; e.g.
/// Lazowska et al., *Quantitative System Performance*, 1984, §3.3). The client role node runs
/// it; this type only holds the validated parameters.
#[derive(Clone, Debug)]
pub struct ClosedLoop {
    /// Requests each client keeps outstanding (its number of "users").
    pub concurrency: NonZeroU32,
    /// Wait between a response and that user's next request, in nanoseconds.
    pub think_time: Distribution,
}

impl ClosedLoop {
    /// A closed loop with `concurrency` users; rejects 0.
    pub fn new(concurrency: u32, think_time: Distribution) -> Result<Self, WorkloadError> {
        let Some(concurrency) = NonZeroU32::new(concurrency) else {
            return Err(WorkloadError::BadCount {
                kind: "closed_loop",
                param: "concurrency",
                valid: ">= 1",
                value: u64::from(concurrency),
            });
        };
        Ok(ClosedLoop {
            concurrency,
            think_time,
        })
    }
}

/// Why a workload's parameters were rejected. Messages name the kind, the parameter, what is
/// valid and what was given.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WorkloadError {
    /// A real-valued parameter is outside its valid range.
    #[error("{kind} {param} must be {valid}, got {}", Shown(*.value))]
    BadParameter {
        /// The workload kind, e.g. `"zipf"`.
        kind: &'static str,
        /// The parameter's name, e.g. `"exponent"`.
        param: &'static str,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// An integer parameter (a count) is outside its valid range.
    #[error("{kind} {param} must be {valid}, got {value}")]
    BadCount {
        /// The workload kind.
        kind: &'static str,
        /// The parameter's name, e.g. `"n_keys"`.
        param: &'static str,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected value.
        value: u64,
    },
    /// A duration parameter is outside its valid range.
    #[error("{kind} {param} must be {valid}, got {value}")]
    BadDuration {
        /// The workload kind.
        kind: &'static str,
        /// The parameter's name, e.g. `"on"`.
        param: &'static str,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected value.
        value: SimDuration,
    },
    /// A schedule's rate at one point is outside its valid range.
    #[error("schedule point [{index}] rate_per_s must be {valid}, got {}", Shown(*.value))]
    BadScheduleRate {
        /// Position of the point in the list.
        index: usize,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected rate.
        value: f64,
    },
    /// A schedule has no points.
    #[error("schedule needs at least one point, got an empty list")]
    EmptySchedule,
    /// A schedule's first point is not at time 0.
    #[error(
        "schedule point [0] time must be t=0 (the rate before the first point would be \
         undefined), got {time}"
    )]
    ScheduleStart {
        /// The first point's time.
        time: SimTime,
    },
    /// A schedule's point times go backwards.
    #[error("schedule point [{index}] time must be >= the previous one ({previous}), got {time}")]
    ScheduleDecreasing {
        /// Position of the point earlier than its predecessor.
        index: usize,
        /// The predecessor's time.
        previous: SimTime,
        /// The rejected time.
        time: SimTime,
    },
    /// A repeating schedule's period does not extend past its last point.
    #[error("schedule repeat must be > the last point's time ({last}), got {period}")]
    ScheduleRepeat {
        /// The repeat period given.
        period: SimDuration,
        /// The last point's time.
        last: SimTime,
    },
    /// A hotspot's hot set would contain every key, leaving cold requests nowhere to go.
    #[error(
        "hotspot hot_key_fraction {} of {n_keys} keys makes {n_hot_keys} keys hot, which \
         leaves no cold key (lower hot_key_fraction or raise n_keys)",
        Shown(*.hot_key_fraction)
    )]
    HotspotNoColdKeys {
        /// The fraction given.
        hot_key_fraction: f64,
        /// The key count given.
        n_keys: u64,
        /// `ceil(hot_key_fraction * n_keys)`.
        n_hot_keys: u64,
    },
    /// Every ratio of an operation mix is zero.
    #[error("op_mix ratios must not all be 0 (read, write and delete were all 0)")]
    EmptyOpMix,
}

/// Valid range of a positive rate, in words (matches [`check_rate`]).
const RATE_VALID: &str = "a finite number > 0 and <= 1e9 (one per nanosecond)";

/// Checks a rate that must be positive and at most [`RATE_MAX_PER_S`].
fn check_rate(kind: &'static str, param: &'static str, value: f64) -> Result<f64, WorkloadError> {
    if value > 0.0 && value <= RATE_MAX_PER_S {
        Ok(value)
    } else {
        Err(WorkloadError::BadParameter {
            kind,
            param,
            valid: RATE_VALID,
            value,
        })
    }
}

/// Checks a key count: at least 1 and at most [`N_KEYS_MAX`].
fn check_n_keys(kind: &'static str, n_keys: u64) -> Result<u64, WorkloadError> {
    if (1..=N_KEYS_MAX).contains(&n_keys) {
        Ok(n_keys)
    } else {
        Err(WorkloadError::BadCount {
            kind,
            param: "n_keys",
            valid: ">= 1 and <= 2^53",
            value: n_keys,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the closed loop rejects zero users and keeps its think time.
    #[test]
    fn closed_loop_concurrency_is_checked() {
        let think = Distribution::exponential(1e6).unwrap();
        let error = ClosedLoop::new(0, think.clone()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "closed_loop concurrency must be >= 1, got 0"
        );
        let closed = ClosedLoop::new(8, think).unwrap();
        assert_eq!(closed.concurrency.get(), 8);
    }

    // Goal: errors show huge and tiny values compactly, so a typo doesn't print 300 digits.
    #[test]
    fn error_values_are_shown_compactly() {
        let error = check_rate("poisson", "rate_per_s", 1e300).unwrap_err();
        assert_eq!(
            error.to_string(),
            "poisson rate_per_s must be a finite number > 0 and <= 1e9 (one per nanosecond), \
             got 1e300"
        );
    }
}
