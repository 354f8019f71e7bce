//! The φ accrual failure detector (Hayashibara, Défago, Yared, Katayama, SRDS 2004), as
//! Akka and Cassandra run it: a monitor keeps the last `window` inter-arrival times of a
//! sender's heartbeats; with their mean μ (plus an acceptable pause) and standard deviation σ
//! (at least a floor), the suspicion after `t` without a heartbeat is
//! φ(t) = −log10(1 − Φ((t − μ) / σ)), Φ the standard normal CDF.
//!
//! φ grows with `t` between heartbeats, so the instant it reaches the threshold is known at
//! each arrival: `μ + σ·z`, z the normal quantile with upper tail 10^−threshold. A monitor
//! sets one timer there instead of polling φ. With normal, stationary inter-arrivals and a
//! full window, a heartbeat is late past that instant with probability 10^−threshold: the
//! false-positive rate per interval that `docs/validation.md` checks.
//!
//! **Limitations:** the normal model (Akka's; Cassandra's detector assumes exponential
//! inter-arrivals); until `window` intervals are seen, the estimate uses those there are,
//! seeded like Akka's with one interval of the heartbeat period and σ = period / 4.

use sim_core::SimDuration;

/// The detector's parameters (defaults: Akka cluster's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhiSpec {
    /// φ at which a sender is declared dead (8).
    pub threshold: f64,
    /// Inter-arrival times kept per sender (1000).
    pub window: u32,
    /// σ's floor (100 ms).
    pub min_std: SimDuration,
    /// Added to the mean: a pause not held against the sender (Akka's
    /// acceptable-heartbeat-pause, 3 s).
    pub pause: SimDuration,
}

impl PhiSpec {
    /// z with P(N(0,1) > z) = 10^−threshold.
    pub fn quantile(&self) -> f64 {
        -sim_core::dist::normal_quantile(10f64.powf(-self.threshold))
    }
}

/// One sender's recent inter-arrival times, in microseconds, and their running sums
/// (integers, so the estimate does not drift with the order of additions).
#[derive(Clone, Debug)]
pub struct ArrivalWindow {
    intervals: Vec<u32>,
    /// Next slot to overwrite once full.
    next: usize,
    capacity: usize,
    sum: u64,
    sum_squares: u128,
    /// The last heartbeat's arrival (ns), once one came.
    last: Option<u64>,
}

impl ArrivalWindow {
    /// An empty window of `capacity` intervals, seeded with one interval of `period` (the
    /// expected one) so the first judgement has an estimate.
    pub fn new(capacity: u32, period: SimDuration) -> Self {
        let mut window = ArrivalWindow {
            intervals: Vec::with_capacity(capacity.min(64) as usize),
            next: 0,
            capacity: capacity.max(1) as usize,
            sum: 0,
            sum_squares: 0,
            last: None,
        };
        window.add(micros(period.as_nanos()));
        window
    }

    fn add(&mut self, interval: u32) {
        if self.intervals.len() < self.capacity {
            self.intervals.push(interval);
        } else {
            let old = std::mem::replace(&mut self.intervals[self.next], interval);
            self.sum -= u64::from(old);
            self.sum_squares -= u128::from(old) * u128::from(old);
            self.next = (self.next + 1) % self.capacity;
        }
        self.sum += u64::from(interval);
        self.sum_squares += u128::from(interval) * u128::from(interval);
    }

    /// A heartbeat arrived at `now` (ns).
    pub fn heartbeat(&mut self, now: u64) {
        if let Some(last) = self.last {
            self.add(micros(now.saturating_sub(last)));
        }
        self.last = Some(now);
    }

    /// The last heartbeat's arrival (ns).
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    /// (mean, standard deviation) of the kept intervals, in ns; with a single interval (the
    /// seed), σ = mean / 4, as Akka's first estimate.
    pub fn estimate(&self) -> (f64, f64) {
        let count = self.intervals.len() as f64;
        let mean = self.sum as f64 / count;
        let std = if self.intervals.len() < 2 {
            mean / 4.0
        } else {
            let variance = (self.sum_squares as f64 / count - mean * mean).max(0.0);
            variance.sqrt()
        };
        (mean * 1e3, std * 1e3)
    }

    /// Nanoseconds after the last heartbeat at which φ reaches `spec.threshold` (`z` is
    /// `spec.quantile()`, computed once per run).
    pub fn deadline_after_last(&self, spec: &PhiSpec, z: f64) -> u64 {
        let (mean, std) = self.estimate();
        let std = std.max(spec.min_std.as_nanos() as f64);
        let at = mean + spec.pause.as_nanos() as f64 + std * z;
        at.max(0.0).round() as u64
    }

    /// φ at `now` (ns), for reports and tests.
    pub fn phi(&self, spec: &PhiSpec, now: u64) -> f64 {
        let Some(last) = self.last else {
            return 0.0;
        };
        let (mean, std) = self.estimate();
        let std = std.max(spec.min_std.as_nanos() as f64);
        let x = (now.saturating_sub(last) as f64 - mean - spec.pause.as_nanos() as f64) / std;
        let tail = 0.5 * erfc(x / std::f64::consts::SQRT_2);
        -tail.max(f64::MIN_POSITIVE).log10()
    }
}

fn micros(ns: u64) -> u32 {
    (ns / 1_000).min(u64::from(u32::MAX)) as u32
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, relative error below
/// 1.2e−7): enough for φ in reports.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: φ at the computed deadline equals the threshold (the two formulas agree), and
    // the window's estimate is the sample mean and deviation.
    #[test]
    fn deadline_is_where_phi_reaches_the_threshold() {
        let spec = PhiSpec {
            threshold: 3.0,
            window: 4,
            min_std: SimDuration::from_millis(1),
            pause: SimDuration::ZERO,
        };
        let mut window = ArrivalWindow::new(4, SimDuration::from_millis(100));
        // Intervals 90, 110, 100, 100 ms (the seed of 100 ms falls out of the window).
        for at in [0u64, 90, 200, 300, 400] {
            window.heartbeat(at * 1_000_000);
        }
        let (mean, std) = window.estimate();
        assert!((mean - 100e6).abs() < 1.0);
        assert!((std - 50f64.sqrt() * 1e6).abs() < 1.0);
        let after = window.deadline_after_last(&spec, spec.quantile());
        let phi = window.phi(&spec, 400_000_000 + after);
        assert!((phi - 3.0).abs() < 1e-3, "phi {phi}");
    }
}
