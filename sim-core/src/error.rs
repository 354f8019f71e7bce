//! The engine's two operating-error types.
//!
//! [`ConfigError`] is bad input handed to the engine (a probability of 1.5, a fault naming a
//! node that does not exist); it is returned before anything runs. [`RunError`] is a run that
//! hit one of its guards; the simulation keeps every result recorded up to that point. Broken
//! invariants are neither: they are bugs, and they panic.

use crate::ids::NodeId;
use crate::time::SimTime;

/// Bad input to the engine: the message names the value and what would be valid.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A probability outside `[0, 1]` (or NaN).
    #[error("{what} must be a probability in [0, 1], got {value}")]
    Probability {
        /// Which parameter.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A factor that must be finite and positive.
    #[error("{what} must be a finite number > 0, got {value}")]
    Positive {
        /// Which parameter.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A number that must be finite.
    #[error("{what} must be a finite number, got {value}")]
    NotFinite {
        /// Which parameter.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A node id outside the simulation.
    #[error("{what} names {node}, but the simulation has {n_nodes} nodes (ids 0..{n_nodes})")]
    UnknownNode {
        /// Where the id appeared.
        what: &'static str,
        /// The id given.
        node: NodeId,
        /// How many nodes exist.
        n_nodes: u32,
    },
    /// A region index that was never defined.
    #[error("{what} names region {region}, but only {n_regions} regions are defined")]
    UnknownRegion {
        /// Where the index appeared.
        what: &'static str,
        /// The index given.
        region: u16,
        /// How many regions exist.
        n_regions: u16,
    },
    /// A zone index that was never defined.
    #[error("{what} names zone {zone}, but only {n_zones} zones are defined")]
    UnknownZone {
        /// Where the index appeared.
        what: &'static str,
        /// The index given.
        zone: u16,
        /// How many zones exist.
        n_zones: u16,
    },
    /// A set of nodes that must not be empty.
    #[error("{what} selects no nodes")]
    EmptyNodeSet {
        /// Which parameter.
        what: &'static str,
    },
    /// A service model asked for an operation kind it has no service time for.
    #[error("{what}: operation kind {op} has no service time (the model defines {n_ops})")]
    UnknownOp {
        /// Where it appeared.
        what: &'static str,
        /// The operation index.
        op: u16,
        /// How many operation kinds the model defines.
        n_ops: u16,
    },
    /// A limit that is too small to run anything.
    #[error("{what} must be at least {min}, got {value}")]
    TooSmall {
        /// Which parameter.
        what: &'static str,
        /// The smallest valid value.
        min: u64,
        /// The value given.
        value: u64,
    },
}

/// Shows a parameter in an error message: short scientific form for very large or very small
/// values (`1e200`, not hundreds of digits), `NaN` and `inf` as themselves. Shared by every
/// crate's validation errors so the same value always reads the same.
pub struct Shown(pub f64);

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let magnitude = self.0.abs();
        if magnitude.is_finite() && (magnitude >= 1e15 || (magnitude < 1e-6 && magnitude > 0.0)) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// Checks that `value` is a probability in `[0, 1]`.
pub fn check_probability(what: &'static str, value: f64) -> Result<f64, ConfigError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::Probability { what, value })
    }
}

/// Checks that `value` is finite and strictly positive.
pub fn check_positive(what: &'static str, value: f64) -> Result<f64, ConfigError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ConfigError::Positive { what, value })
    }
}

/// Checks that `value` is finite.
pub fn check_finite(what: &'static str, value: f64) -> Result<f64, ConfigError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ConfigError::NotFinite { what, value })
    }
}

/// A run stopped by one of its guards. Everything recorded until then stays available on the
/// simulation, so a caller can still report partial results (marked partial).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// More events were processed than `max_events` allows.
    #[error("stopped at {at} after {events} events: the max_events guard ({max_events}) was reached; raise it if the run is meant to be this long")]
    MaxEvents {
        /// The guard's value.
        max_events: u64,
        /// Events processed.
        events: u64,
        /// Simulated time at the stop.
        at: SimTime,
    },
    /// More events were pending at once than `max_pending` allows: usually a runaway feedback
    /// loop (a retry storm, a timer that re-arms twice).
    #[error("stopped at {at}: {pending} events pending exceeds the max_pending guard ({max_pending}); this usually means a runaway loop")]
    MaxPending {
        /// The guard's value.
        max_pending: u64,
        /// Pending events at the stop.
        pending: u64,
        /// Simulated time at the stop.
        at: SimTime,
    },
    /// The caller's progress observer asked to stop (a wall-time guard, Ctrl-C).
    #[error("stopped at {at} after {events} events: {reason}")]
    Interrupted {
        /// Why the observer stopped the run.
        reason: String,
        /// Events processed.
        events: u64,
        /// Simulated time at the stop.
        at: SimTime,
    },
}
