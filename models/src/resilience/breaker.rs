//! The circuit breaker: a client stops calling a target that keeps failing, lets a few
//! probes through after a pause, and resumes when they succeed (Nygard, "Release It!", 2007;
//! the state machine and defaults of resilience4j's `CircuitBreaker`).
//!
//! - **Closed**: every call goes through; the last `window` calls' results are kept. Once at
//!   least `min_calls` are in the window and the share of failures reaches
//!   `failure_ratio` — or the share of slow calls (longer than `slow_call`, successful or
//!   not) reaches `slow_ratio` — it opens.
//! - **Open**: every call is refused at once, for `open_for`.
//! - **Half-open**: after `open_for`, up to `probes` calls go through; when all of them have
//!   ended it closes if their failure and slow shares are below the thresholds, and opens
//!   again otherwise. Calls beyond the probes are refused.

use std::collections::VecDeque;

use sim_core::{SimDuration, SimTime};

/// A breaker's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerSpec {
    /// Calls the closed state's sliding window holds (≥ 1).
    pub window: u32,
    /// Calls the window must hold before it can open (1 to `window`).
    pub min_calls: u32,
    /// The failure share, in (0, 1], that opens it.
    pub failure_ratio: f64,
    /// The slow-call share, in (0, 1], that opens it; with `slow_call`.
    pub slow_ratio: f64,
    /// A call longer than this is slow (`None`: no call is).
    pub slow_call: Option<SimDuration>,
    /// How long it stays open (> 0).
    pub open_for: SimDuration,
    /// Calls allowed through when half-open (≥ 1).
    pub probes: u32,
}

impl BreakerSpec {
    /// resilience4j's defaults but the window: a count-based window of `window` calls, all of
    /// them needed before it can open, 50 % failures, no slow calls, 60 s open, 10 probes.
    pub fn defaults(window: u32) -> BreakerSpec {
        BreakerSpec {
            window,
            min_calls: window,
            failure_ratio: 0.5,
            slow_ratio: 1.0,
            slow_call: None,
            open_for: SimDuration::from_secs(60),
            probes: 10,
        }
    }

    /// What is wrong with it, if anything: the field and what is valid.
    pub fn check(&self) -> Result<(), String> {
        if self.window == 0 {
            return Err("window must hold at least 1 call".into());
        }
        if self.min_calls == 0 || self.min_calls > self.window {
            return Err(format!(
                "min_calls must be from 1 to the window ({}), got {}",
                self.window, self.min_calls
            ));
        }
        for (name, ratio) in [
            ("failure_ratio", self.failure_ratio),
            ("slow_ratio", self.slow_ratio),
        ] {
            if !(ratio > 0.0 && ratio <= 1.0) {
                return Err(format!("{name} must be in (0, 1], got {ratio}"));
            }
        }
        if self.open_for == SimDuration::ZERO {
            return Err("open_for must be longer than 0".into());
        }
        if self.probes == 0 {
            return Err("probes must be at least 1".into());
        }
        Ok(())
    }
}

/// Where a breaker is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused until the instant.
    Open {
        /// When it turns half-open.
        until: SimTime,
    },
    /// Probes go through.
    HalfOpen,
}

impl BreakerState {
    /// Its name, for annotations: `closed`, `open`, `half-open`.
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

/// One call's result as the breaker counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Result_ {
    failed: bool,
    slow: bool,
}

/// A circuit breaker.
#[derive(Clone, Debug)]
pub struct Breaker {
    spec: BreakerSpec,
    state: BreakerState,
    /// Closed: the last calls' results (at most `window`). Half-open: the probes' results.
    results: VecDeque<Result_>,
    /// Half-open: probes let through and not yet ended.
    probes_out: u32,
    /// Half-open: probes let through in all.
    probes_sent: u32,
}

impl Breaker {
    /// A closed breaker; `spec` must pass [`BreakerSpec::check`].
    pub fn new(spec: BreakerSpec) -> Breaker {
        assert!(spec.check().is_ok(), "validated by the parser");
        Breaker {
            spec,
            state: BreakerState::Closed,
            results: VecDeque::with_capacity(spec.window as usize),
            probes_out: 0,
            probes_sent: 0,
        }
    }

    /// Its state at `now` (an open breaker whose time is up is half-open).
    pub fn state(&mut self, now: SimTime) -> BreakerState {
        if let BreakerState::Open { until } = self.state {
            if now >= until {
                self.state = BreakerState::HalfOpen;
                self.results.clear();
                self.probes_out = 0;
                self.probes_sent = 0;
            }
        }
        self.state
    }

    /// Whether a call may go through at `now`; a half-open breaker counts it as a probe.
    pub fn allow(&mut self, now: SimTime) -> bool {
        match self.state(now) {
            BreakerState::Closed => true,
            BreakerState::Open { .. } => false,
            BreakerState::HalfOpen => {
                if self.probes_sent < self.spec.probes {
                    self.probes_sent += 1;
                    self.probes_out += 1;
                    true
                } else {
                    false
                }
            }
        }
    }

    /// A call it let through ended at `now` after `took`, failed or not. Returns the new
    /// state if this changed it.
    pub fn record(
        &mut self,
        now: SimTime,
        failed: bool,
        took: SimDuration,
    ) -> Option<BreakerState> {
        let slow = self.spec.slow_call.is_some_and(|limit| took > limit);
        let result = Result_ { failed, slow };
        match self.state(now) {
            // A call let through before the breaker opened: it no longer counts.
            BreakerState::Open { .. } => None,
            BreakerState::Closed => {
                if self.results.len() == self.spec.window as usize {
                    self.results.pop_front();
                }
                self.results.push_back(result);
                (self.results.len() >= self.spec.min_calls as usize && self.tripped())
                    .then(|| self.open(now))
            }
            BreakerState::HalfOpen => {
                if self.probes_out == 0 {
                    // A call let through while closed, ending after a reopening: not a probe.
                    return None;
                }
                self.probes_out -= 1;
                self.results.push_back(result);
                if self.probes_out > 0 || self.probes_sent < self.spec.probes {
                    return None;
                }
                if self.tripped() {
                    Some(self.open(now))
                } else {
                    self.state = BreakerState::Closed;
                    self.results.clear();
                    Some(self.state)
                }
            }
        }
    }

    /// Whether the results held reach a threshold.
    fn tripped(&self) -> bool {
        let n = self.results.len() as f64;
        let failed = self.results.iter().filter(|r| r.failed).count() as f64;
        let slow = self.results.iter().filter(|r| r.slow).count() as f64;
        failed / n >= self.spec.failure_ratio
            || (self.spec.slow_call.is_some() && slow / n >= self.spec.slow_ratio)
    }

    fn open(&mut self, now: SimTime) -> BreakerState {
        self.state = BreakerState::Open {
            until: now.saturating_add(self.spec.open_for),
        };
        self.results.clear();
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(ms: u64) -> SimTime {
        SimTime::ZERO.saturating_add(SimDuration::from_millis(ms))
    }

    fn spec() -> BreakerSpec {
        BreakerSpec {
            window: 10,
            min_calls: 5,
            failure_ratio: 0.5,
            slow_ratio: 1.0,
            slow_call: Some(SimDuration::from_millis(100)),
            open_for: SimDuration::from_secs(1),
            probes: 3,
        }
    }

    // Goal: the whole cycle by hand: closed until half of at least min_calls fail, open for
    // open_for, half-open with exactly `probes` let through, closed again when they succeed,
    // reopened when they fail.
    #[test]
    fn the_cycle_by_hand() {
        let mut b = Breaker::new(spec());
        let ms = SimDuration::from_millis;
        for i in 0..4 {
            assert!(b.allow(at(i)));
            assert_eq!(b.record(at(i), true, ms(1)), None, "fewer than min_calls");
        }
        assert!(b.allow(at(4)));
        assert_eq!(
            b.record(at(4), true, ms(1)),
            Some(BreakerState::Open { until: at(1_004) })
        );
        assert!(!b.allow(at(1_003)), "open until open_for has passed");
        assert_eq!(b.state(at(1_004)), BreakerState::HalfOpen);
        assert!(b.allow(at(1_004)) && b.allow(at(1_004)) && b.allow(at(1_004)));
        assert!(!b.allow(at(1_004)), "only `probes` go through");
        assert_eq!(b.record(at(1_005), false, ms(1)), None);
        assert_eq!(b.record(at(1_005), false, ms(1)), None);
        assert_eq!(
            b.record(at(1_006), false, ms(1)),
            Some(BreakerState::Closed)
        );
        // Slow calls open it too: five successes each over 100 ms.
        for i in 0..5 {
            assert!(b.allow(at(2_000 + i)));
            let change = b.record(at(2_000 + i), false, ms(150));
            assert_eq!(change.is_some(), i == 4);
        }
        // Half-open probes that fail reopen it.
        assert_eq!(b.state(at(3_004)), BreakerState::HalfOpen);
        for _ in 0..3 {
            assert!(b.allow(at(3_004)));
        }
        b.record(at(3_005), true, ms(1));
        b.record(at(3_005), false, ms(1));
        assert_eq!(
            b.record(at(3_005), true, ms(1)),
            Some(BreakerState::Open { until: at(4_005) })
        );
    }

    // Goal: bad parameters are refused, naming the field.
    #[test]
    fn bad_parameters_are_refused() {
        let bad = |f: fn(&mut BreakerSpec)| {
            let mut s = spec();
            f(&mut s);
            s.check().unwrap_err()
        };
        assert!(bad(|s| s.window = 0).contains("window"));
        assert!(bad(|s| s.min_calls = 11).contains("min_calls"));
        assert!(bad(|s| s.failure_ratio = 0.0).contains("failure_ratio"));
        assert!(bad(|s| s.slow_ratio = 1.5).contains("slow_ratio"));
        assert!(bad(|s| s.open_for = SimDuration::ZERO).contains("open_for"));
        assert!(bad(|s| s.probes = 0).contains("probes"));
    }

    proptest! {
        // Goal: the transitions hold for any sequence of calls and results: an open breaker
        // refuses everything until its time is up; a half-open one lets through at most
        // `probes` before it changes state; it opens only from closed with at least
        // min_calls results whose failure share reaches the threshold (or from half-open
        // after its probes); and it closes only from half-open, after all its probes ended.
        #[test]
        fn transitions_follow_the_state_machine(
            steps in proptest::collection::vec((0u64..400, any::<bool>(), any::<bool>()), 1..300),
        ) {
            let spec = BreakerSpec { slow_call: None, ..spec() };
            let mut b = Breaker::new(spec);
            let mut now = at(0);
            let mut in_flight = 0u32;
            let mut half_open_allowed = 0u32;
            for (gap, call, failed) in steps {
                now = now.saturating_add(SimDuration::from_millis(gap));
                let before = b.state(now);
                if let BreakerState::Open { until } = before {
                    prop_assert!(now < until);
                }
                if call || in_flight == 0 {
                    let allowed = b.allow(now);
                    match before {
                        BreakerState::Open { .. } => prop_assert!(!allowed),
                        BreakerState::Closed => prop_assert!(allowed),
                        BreakerState::HalfOpen => {
                            if allowed {
                                half_open_allowed += 1;
                            }
                            prop_assert!(half_open_allowed <= spec.probes);
                        }
                    }
                    if allowed {
                        in_flight += 1;
                    }
                } else {
                    in_flight -= 1;
                    let window_before = b.results.len();
                    let change = b.record(now, failed, SimDuration::from_millis(1));
                    match (before, change) {
                        (BreakerState::Closed, Some(BreakerState::Open { until })) => {
                            prop_assert!(window_before + 1 >= spec.min_calls as usize);
                            prop_assert_eq!(until, now.saturating_add(spec.open_for));
                        }
                        (BreakerState::Closed, Some(other)) => {
                            prop_assert!(false, "closed went to {:?}", other);
                        }
                        (BreakerState::HalfOpen, Some(_)) => {
                            prop_assert_eq!(half_open_allowed, spec.probes);
                        }
                        (BreakerState::Open { .. }, Some(_)) => prop_assert!(false),
                        _ => {}
                    }
                    if change.is_some() {
                        half_open_allowed = 0;
                    }
                }
                if b.state(now) != BreakerState::HalfOpen {
                    half_open_allowed = 0;
                }
            }
        }
    }
}
