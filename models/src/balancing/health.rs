//! Active health checking as a state machine, after Envoy's active health checker
//! (`config.core.v3.HealthCheck`: `interval`, `timeout`, `unhealthy_threshold`,
//! `healthy_threshold`) and the similar AWS ELB target-group checks.
//!
//! The host node sends one probe to each backend every `interval` and reports each result with
//! [`HealthChecker::on_probe_result`]: `ok = false` for a failed probe *and* for one with no
//! answer within `timeout`. The rules, per backend:
//!
//! - Every backend starts healthy with both counters at 0.
//! - A healthy backend is ejected by the `unhealthy_threshold`-th consecutive failure; a
//!   success resets the failure count.
//! - An ejected backend is re-admitted by the `healthy_threshold`-th consecutive success; a
//!   failure resets the success count.
//! - Each change resets both counters, and is returned as a [`HealthChange`] to apply to
//!   [`Backends`](super::Backends).
//!
//! So a crashed backend keeps receiving requests until the checks notice: a crash just after
//! a good probe is ejected `unhealthy_threshold * interval + timeout` later
//! ([`HealthChecker::ejection_delay_max`]); one whose first failing probe was already in
//! flight, a little over `(unhealthy_threshold - 1) * interval` later.

use sim_core::SimDuration;

use super::{BalancerError, Health};

/// A health checker's parameters, checked by [`HealthChecker::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthCheckConfig {
    /// Time between probes to one backend (> 0).
    pub interval: SimDuration,
    /// How long a probe may go unanswered before it counts as failed (> 0, <= interval).
    pub timeout: SimDuration,
    /// Consecutive failed probes that eject a healthy backend (>= 1).
    pub unhealthy_threshold: u32,
    /// Consecutive good probes that re-admit an ejected backend (>= 1).
    pub healthy_threshold: u32,
}

/// A backend's health changed; apply it with [`Backends::apply`](super::Backends::apply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthChange {
    /// The backend's index.
    pub idx: usize,
    /// Its new health.
    pub health: Health,
}

/// One backend's probe history.
#[derive(Clone, Copy, Debug)]
struct ProbeState {
    health: Health,
    /// Consecutive failures while healthy, or consecutive successes while ejected.
    streak: u32,
}

/// Health state of every backend in one set; see the module docs for the rules.
#[derive(Clone, Debug)]
pub struct HealthChecker {
    config: HealthCheckConfig,
    states: Vec<ProbeState>,
}

impl HealthChecker {
    /// A checker for `n_backends` (>= 1) backends, all healthy.
    pub fn new(config: HealthCheckConfig, n_backends: usize) -> Result<Self, BalancerError> {
        if n_backends == 0 {
            return Err(BalancerError::NoBackends);
        }
        for (param, value) in [("interval", config.interval), ("timeout", config.timeout)] {
            if value == SimDuration::ZERO {
                return Err(BalancerError::BadDuration {
                    kind: "health_check",
                    param,
                    valid: "> 0",
                    value,
                });
            }
        }
        if config.timeout > config.interval {
            return Err(BalancerError::TimeoutExceedsInterval {
                timeout: config.timeout,
                interval: config.interval,
            });
        }
        let thresholds = [
            ("unhealthy_threshold", config.unhealthy_threshold),
            ("healthy_threshold", config.healthy_threshold),
        ];
        for (param, value) in thresholds {
            if value == 0 {
                return Err(BalancerError::BadCount {
                    kind: "health_check",
                    param,
                    valid: ">= 1",
                    value: 0,
                });
            }
        }
        let start = ProbeState {
            health: Health::Healthy,
            streak: 0,
        };
        Ok(HealthChecker {
            config,
            states: vec![start; n_backends],
        })
    }

    /// The validated parameters.
    pub fn config(&self) -> &HealthCheckConfig {
        &self.config
    }

    /// Backend `idx`'s health as the checker sees it.
    pub fn health(&self, idx: usize) -> Health {
        self.states[idx].health
    }

    /// Records one probe of backend `idx` (`ok = false` for a failure or a timeout) and
    /// returns the change of health it causes, if any.
    pub fn on_probe_result(&mut self, idx: usize, ok: bool) -> Option<HealthChange> {
        let state = &mut self.states[idx];
        let (counts, threshold, next) = match state.health {
            Health::Healthy => (!ok, self.config.unhealthy_threshold, Health::Ejected),
            Health::Ejected => (ok, self.config.healthy_threshold, Health::Healthy),
        };
        if !counts {
            state.streak = 0;
            return None;
        }
        state.streak += 1;
        assert!(state.streak <= threshold, "streak passed its threshold");
        if state.streak < threshold {
            return None;
        }
        state.health = next;
        state.streak = 0;
        Some(HealthChange { idx, health: next })
    }

    /// The longest a crashed backend stays eligible: `unhealthy_threshold * interval +
    /// timeout` (saturating), for a crash just after a good probe.
    pub fn ejection_delay_max(&self) -> SimDuration {
        let probes = self
            .config
            .interval
            .as_nanos()
            .saturating_mul(u64::from(self.config.unhealthy_threshold));
        SimDuration(probes.saturating_add(self.config.timeout.as_nanos()))
    }
}
