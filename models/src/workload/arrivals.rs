//! Open-loop arrival processes: when the next request starts, regardless of how the system is
//! doing.
//!
//! [`Arrivals`] is the validated description; [`ArrivalClock`] is one client's running state.
//! The Poisson-type kinds (`poisson`, `on_off`, `schedule`) all follow one recipe: draw
//! `E ~ Exp(1)` and find where the integrated rate from the current time reaches `E` (exact
//! inversion; Çinlar, *Introduction to Stochastic Processes*, 1975, §4.7). Because a Poisson
//! process has independent increments, restarting that search from the previous arrival, or
//! from a later `now`, gives the same process.

use std::fmt;

use rand::Rng;
use rand_distr::Exp1;
use sim_core::{SimDuration, SimRng, SimTime};

use super::schedule::{RateSchedule, RateShape};
use super::{check_rate, WorkloadError};

/// Nanoseconds per second, as a float for rate arithmetic.
const NANOS_PER_SEC_F64: f64 = 1e9;

/// Fraction bits of the fixed-point period of `constant` arrivals: grid times are computed in
/// `u128` nanoseconds * 2^32, exactly, so they never drift or lose precision late in a run (an
/// `f64` product stops resolving nanoseconds after 2^53 ns, about 104 days). The period itself
/// is rounded to 2^-32 ns, a drift below 1 ns per 4e9 arrivals.
const PERIOD_FRACTION_BITS: u32 = 32;

mod repr {
    //! Payloads of [`Arrivals`](super::Arrivals)' variants: public types in a private module,
    //! so callers can see the kind and read parameters but build one only through the
    //! validating constructors.

    use sim_core::SimDuration;

    /// A rate in arrivals per second, > 0 and <= 1e9.
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Rate(pub(super) f64);

    impl Rate {
        /// Arrivals per second.
        pub fn per_s(&self) -> f64 {
            self.0
        }
    }

    /// Poisson at `rate_on_per_s` during ON windows of length `on`, silence for `off`.
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct OnOff {
        pub(super) rate_on_per_s: f64,
        pub(super) on: SimDuration,
        pub(super) off: SimDuration,
    }

    impl OnOff {
        /// Arrivals per second during ON windows.
        pub fn rate_on_per_s(&self) -> f64 {
            self.rate_on_per_s
        }
        /// Length of each ON window (> 0).
        pub fn on(&self) -> SimDuration {
            self.on
        }
        /// Length of each OFF window (may be 0, which makes the process Poisson).
        pub fn off(&self) -> SimDuration {
            self.off
        }
    }
}

/// A validated open-loop arrival process. Rates are arrivals per second.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// A Poisson process: independent exponential gaps of mean `1/rate`.
    Poisson(repr::Rate),
    /// Evenly spaced arrivals: the k-th (k = 1, 2, ...) at `k/rate` seconds, rounded to the
    /// nanosecond from the grid (not from the previous arrival), so rounding never drifts.
    Constant(repr::Rate),
    /// Poisson at `rate_on` during ON windows and nothing during OFF windows, with a fixed
    /// period `on + off` starting ON at `t=0`: window `j` is ON over
    /// `[j*(on+off), j*(on+off) + on)`. A simple model of bursty sources, e.g. the ON-OFF
    /// sources of Willinger et al., "Self-similarity through high-variability", IEEE/ACM ToN
    /// 5(1), 1997 (with fixed rather than heavy-tailed window lengths).
    OnOff(repr::OnOff),
    /// A non-homogeneous Poisson process following a piecewise rate; see [`RateSchedule`].
    Schedule(RateSchedule),
    /// A process of one's own; see [`ArrivalProcess`] and [`Arrivals::custom`].
    Custom(CustomArrivals),
}

/// An arrival process of one's own: a type in its own file implementing this, wrapped with
/// [`Arrivals::custom`] by its registry row. The process is stateless: the next arrival is a
/// function of where the clock is and of the draws, so every client shares one.
///
/// Contract: `next_after` returns a time `>= start` or `None` when there are no more
/// arrivals, drawing only from `rng`.
pub trait ArrivalProcess: fmt::Debug + Send + Sync {
    /// The kind's name, as its registry row has it.
    fn name(&self) -> &'static str;
    /// The first arrival at or after `start`.
    fn next_after(&self, start: SimTime, rng: &mut SimRng) -> Option<SimTime>;
    /// Long-run mean rate per second (utilisation warnings).
    fn mean_rate_per_s(&self) -> f64;
    /// The highest instantaneous rate per second.
    fn peak_rate_per_s(&self) -> f64;
    /// Expected arrivals in `[from, to)`.
    fn expected_count(&self, from: SimTime, to: SimTime) -> f64;
}

/// A shared [`ArrivalProcess`]; equal only to itself (the same process).
#[derive(Clone, Debug)]
pub struct CustomArrivals(std::sync::Arc<dyn ArrivalProcess>);

impl PartialEq for CustomArrivals {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Arrivals {
    /// Arrivals from a process of one's own.
    pub fn custom(process: impl ArrivalProcess + 'static) -> Self {
        Arrivals::Custom(CustomArrivals(std::sync::Arc::new(process)))
    }

    /// A Poisson process at `rate_per_s` (> 0, <= 1e9).
    pub fn poisson(rate_per_s: f64) -> Result<Self, WorkloadError> {
        let rate = check_rate("poisson", "rate_per_s", rate_per_s)?;
        Ok(Arrivals::Poisson(repr::Rate(rate)))
    }

    /// Deterministic arrivals every `1/rate_per_s` seconds (> 0, <= 1e9).
    pub fn constant(rate_per_s: f64) -> Result<Self, WorkloadError> {
        let rate = check_rate("constant", "rate_per_s", rate_per_s)?;
        Ok(Arrivals::Constant(repr::Rate(rate)))
    }

    /// Poisson at `rate_on_per_s` in ON windows of length `on` (> 0), silent for `off` (>= 0);
    /// see [`Arrivals::OnOff`]. Mean rate: `rate_on * on / (on + off)`.
    pub fn on_off(
        rate_on_per_s: f64,
        on: SimDuration,
        off: SimDuration,
    ) -> Result<Self, WorkloadError> {
        let rate_on_per_s = check_rate("on_off", "rate_on_per_s", rate_on_per_s)?;
        if on == SimDuration::ZERO {
            return Err(WorkloadError::BadDuration {
                kind: "on_off",
                param: "on",
                valid: "> 0",
                value: on,
            });
        }
        if on.as_nanos().checked_add(off.as_nanos()).is_none() {
            return Err(WorkloadError::BadDuration {
                kind: "on_off",
                param: "off",
                valid: "small enough that on + off fits in about 584 years",
                value: off,
            });
        }
        Ok(Arrivals::OnOff(repr::OnOff {
            rate_on_per_s,
            on,
            off,
        }))
    }

    /// A Poisson process whose rate follows `points` `(time, rate_per_s)` joined by `shape`,
    /// optionally periodic with period `repeat`; see [`RateSchedule`] for the rules.
    pub fn schedule(
        points: Vec<(SimTime, f64)>,
        shape: RateShape,
        repeat: Option<SimDuration>,
    ) -> Result<Self, WorkloadError> {
        Ok(Arrivals::Schedule(RateSchedule::new(
            points, shape, repeat,
        )?))
    }

    /// The kind's name: the name of the scenario row that builds it (`scenarios::sections::workload`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Arrivals::Poisson(_) => "poisson",
            Arrivals::Constant(_) => "constant",
            Arrivals::OnOff(_) => "on_off",
            Arrivals::Schedule(_) => "schedule",
            Arrivals::Custom(custom) => custom.0.name(),
        }
    }

    /// Long-run mean rate per second, for utilisation warnings. A non-repeating schedule's
    /// long run is the rate after its last point; see [`Arrivals::peak_rate_per_s`] too.
    pub fn mean_rate_per_s(&self) -> f64 {
        match self {
            Arrivals::Poisson(rate) | Arrivals::Constant(rate) => rate.0,
            Arrivals::OnOff(on_off) => {
                let on = on_off.on.as_nanos() as f64;
                let period = on + on_off.off.as_nanos() as f64;
                on_off.rate_on_per_s * on / period
            }
            Arrivals::Schedule(schedule) => schedule.mean_rate_per_s(),
            Arrivals::Custom(custom) => custom.0.mean_rate_per_s(),
        }
    }

    /// The highest instantaneous rate per second the process reaches.
    pub fn peak_rate_per_s(&self) -> f64 {
        match self {
            Arrivals::Poisson(rate) | Arrivals::Constant(rate) => rate.0,
            Arrivals::OnOff(on_off) => on_off.rate_on_per_s,
            Arrivals::Schedule(schedule) => schedule.peak_rate_per_s(),
            Arrivals::Custom(custom) => custom.0.peak_rate_per_s(),
        }
    }

    /// Expected arrivals in `[from, to)`: the integral of the rate (for `constant`, within one
    /// of the exact grid count).
    pub fn expected_count(&self, from: SimTime, to: SimTime) -> f64 {
        assert!(from <= to, "expected_count from {from} is after to {to}");
        match self {
            Arrivals::Poisson(rate) | Arrivals::Constant(rate) => {
                rate.0 * (to - from).as_secs_f64()
            }
            Arrivals::OnOff(on_off) => {
                let on_time = on_time_until(on_off, to) - on_time_until(on_off, from);
                on_off.rate_on_per_s * on_time as f64 / NANOS_PER_SEC_F64
            }
            Arrivals::Schedule(schedule) => schedule.expected_count(from, to),
            Arrivals::Custom(custom) => custom.0.expected_count(from, to),
        }
    }
}

/// Nanoseconds of ON time in `[0, time)`.
fn on_time_until(on_off: &repr::OnOff, time: SimTime) -> u64 {
    let on = on_off.on.as_nanos();
    let period = on + on_off.off.as_nanos();
    let whole = u128::from(time.as_nanos() / period) * u128::from(on);
    let partial = (time.as_nanos() % period).min(on);
    u64::try_from(whole + u128::from(partial)).expect("ON time <= elapsed time")
}

/// One client's position in an [`Arrivals`] process.
///
/// Hot path, budget <= 200 ns per arrival (5M arrivals/s per core) for every kind but long
/// schedules, which add O(points crossed): one `Exp(1)` draw (none for `constant`), a few
/// float operations, no allocation.
#[derive(Clone, Debug)]
pub struct ArrivalClock {
    arrivals: Arrivals,
    /// The later of the last arrival returned and the last `now` passed in; the clock never
    /// moves back from it.
    position: SimTime,
    /// For `constant`, the index k of the next grid point `k/rate` that may be returned.
    next_index: u64,
    /// The process has ended (a draw fell past its last arrival): it stays ended, as the
    /// documentation of `next_after` promises, rather than drawing a second chance.
    ended: bool,
}

impl ArrivalClock {
    /// A clock at `t=0` that has returned no arrival yet.
    pub fn new(arrivals: Arrivals) -> Self {
        ArrivalClock {
            arrivals,
            position: SimTime::ZERO,
            next_index: 1,
            ended: false,
        }
    }

    /// The process this clock runs.
    pub fn arrivals(&self) -> &Arrivals {
        &self.arrivals
    }

    /// The next arrival at or after both `now` and the previous arrival returned, or `None`
    /// when there are no more (a schedule whose rate is 0 from here on, or an arrival beyond
    /// representable time; later calls then return `None` too).
    ///
    /// Call it with the current time whenever an arrival fires. Arrivals are non-decreasing;
    /// two may share a nanosecond at high rates. For `constant`, grid points before `now` are
    /// skipped; for the Poisson kinds a late `now` simply restarts the (memoryless) search.
    pub fn next_after(&mut self, now: SimTime, rng: &mut SimRng) -> Option<SimTime> {
        if self.ended {
            return None;
        }
        let start = self.position.max(now);
        let next = match &self.arrivals {
            Arrivals::Poisson(rate) => {
                let budget: f64 = rng.sample(Exp1);
                let gap = SimDuration::from_nanos_f64(budget * NANOS_PER_SEC_F64 / rate.0);
                start.checked_add(gap)
            }
            Arrivals::Constant(rate) => {
                let period = period_fixed_point(rate.0);
                let found = next_grid_point(period, self.next_index, start);
                found.map(|(index, time)| {
                    self.next_index = index + 1;
                    time
                })
            }
            Arrivals::OnOff(on_off) => next_on_off(on_off, start, rng.sample(Exp1)),
            Arrivals::Schedule(schedule) => schedule.next_arrival(start, rng.sample(Exp1)),
            Arrivals::Custom(custom) => custom.0.next_after(start, rng),
        };
        self.position = start;
        self.ended = next.is_none();
        if let Some(time) = next {
            assert!(time >= now, "arrival {time} before now {now}");
            assert!(
                time >= start,
                "arrival {time} before the previous one {start}"
            );
            self.position = time;
        }
        next
    }
}

/// The `constant` period `1/rate` in nanoseconds * 2^[`PERIOD_FRACTION_BITS`], rounded.
/// Saturates for absurdly small rates, whose grid points then lie beyond representable time.
fn period_fixed_point(rate_per_s: f64) -> u128 {
    let period_ns = NANOS_PER_SEC_F64 / rate_per_s;
    assert!(period_ns >= 1.0, "constant period {period_ns} ns < 1 ns");
    (period_ns * (1u64 << PERIOD_FRACTION_BITS) as f64).round() as u128
}

/// Grid point `index`: `index * period`, rounded half up to the nanosecond, or `None` beyond
/// representable time.
fn grid_time(period: u128, index: u64) -> Option<SimTime> {
    let half = 1u128 << (PERIOD_FRACTION_BITS - 1);
    let scaled = u128::from(index).checked_mul(period)?.checked_add(half)?;
    u64::try_from(scaled >> PERIOD_FRACTION_BITS)
        .ok()
        .map(SimTime)
}

/// The first grid point with index >= `index_min` and time >= `start`, as `(index, time)`.
/// With `p` the fixed-point period, `grid_time(k) >= start` exactly when
/// `k * p + half >= start * 2^32`, so the smallest such `k` is a ceiling division: no search.
fn next_grid_point(period: u128, index_min: u64, start: SimTime) -> Option<(u64, SimTime)> {
    assert!(index_min >= 1, "the first grid point is k = 1");
    let half = 1u128 << (PERIOD_FRACTION_BITS - 1);
    let target = (u128::from(start.as_nanos()) << PERIOD_FRACTION_BITS).saturating_sub(half);
    let index = u64::try_from(target.div_ceil(period)).ok()?.max(index_min);
    let time = grid_time(period, index)?;
    assert!(
        time >= start,
        "grid point {index} at {time} is before {start}"
    );
    Some((index, time))
}

/// The first `on_off` arrival at or after `start` for an `Exp(1)` draw `budget`: walk `budget /
/// rate` of ON time, skipping whole OFF windows and whole periods arithmetically.
fn next_on_off(on_off: &repr::OnOff, start: SimTime, budget: f64) -> Option<SimTime> {
    let on = on_off.on.as_nanos();
    let period = on + on_off.off.as_nanos();
    // ON time still needed, in nanoseconds.
    let mut needed = budget * NANOS_PER_SEC_F64 / on_off.rate_on_per_s;
    let phase = start.as_nanos() % period;
    let mut window_start = start.as_nanos() - phase;
    let mut offset = phase;
    if phase >= on {
        window_start = window_start.checked_add(period)?; // In OFF: wait for the next ON.
        offset = 0;
    }
    let left = on - offset;
    if needed < left as f64 {
        // Rounding may not reach the window's end, which is already OFF.
        let wait = SimDuration::from_nanos_f64(needed).as_nanos().min(left - 1);
        return Some(SimTime(window_start + offset + wait));
    }
    needed -= left as f64;
    let whole_windows = (needed / on as f64).floor();
    let within = SimDuration::from_nanos_f64(needed - whole_windows * on as f64).as_nanos();
    let periods = (whole_windows as u64).checked_add(1)?;
    let window_start = window_start.checked_add(periods.checked_mul(period)?)?;
    window_start.checked_add(within.min(on - 1)).map(SimTime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sim_core::rng::{stream, StreamKind, StreamLabel};

    fn rng(index: u64) -> SimRng {
        stream(3, StreamLabel::new(StreamKind::Workload, index))
    }

    fn secs(n: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(n)
    }

    /// The arrivals of one run in `[0, until)`, each call made at the previous arrival.
    fn arrivals_until(arrivals: &Arrivals, until: SimTime, rng: &mut SimRng) -> Vec<SimTime> {
        let mut clock = ArrivalClock::new(arrivals.clone());
        let mut times = Vec::new();
        let mut now = SimTime::ZERO;
        while let Some(time) = clock.next_after(now, rng) {
            if time >= until {
                break;
            }
            times.push(time);
            now = time;
        }
        times
    }

    /// Asserts a Poisson count with mean `expected` is within 5 standard deviations
    /// (sqrt(expected)): a false alarm rate of 6e-7 per check.
    #[track_caller]
    fn assert_poisson_count(observed: usize, expected: f64) {
        let tolerance = 5.0 * expected.sqrt();
        let error = (observed as f64 - expected).abs();
        assert!(
            error <= tolerance,
            "observed {observed}, expected {expected} +- {tolerance}"
        );
    }

    // Goal: a Poisson process at 1000/s gives 1000 * 100 s arrivals over 100 s, within
    // 5 * sqrt(rate * T) = 1581; and the same stream gives the same arrivals.
    #[test]
    fn poisson_count_matches_rate() {
        let poisson = Arrivals::poisson(1000.0).unwrap();
        let times = arrivals_until(&poisson, secs(100), &mut rng(0));
        assert_poisson_count(times.len(), 100_000.0);
        assert_eq!(times, arrivals_until(&poisson, secs(100), &mut rng(0)));
        assert!((poisson.mean_rate_per_s() - 1000.0).abs() < 1e-9);
        assert!((poisson.expected_count(secs(1), secs(3)) - 2000.0).abs() < 1e-9);
    }

    // Goal: constant arrivals sit exactly on the grid k / rate, without drift, even when
    // 1 / rate is not a whole number of nanoseconds; a late caller skips missed points.
    #[test]
    fn constant_spacing_is_exact() {
        let per_ms = Arrivals::constant(1000.0).unwrap();
        let times = arrivals_until(&per_ms, SimTime(5_000_001), &mut rng(0));
        let expect: Vec<SimTime> = (1..=5).map(|k| SimTime(k * 1_000_000)).collect();
        assert_eq!(times, expect);

        let thirds = Arrivals::constant(3.0).unwrap();
        let times = arrivals_until(&thirds, secs(1000), &mut rng(0));
        assert_eq!(times.len(), 2999);
        assert_eq!(times[2], secs(1));
        assert_eq!(
            times[2998],
            secs(999) + SimDuration::from_nanos(666_666_667)
        );
        for pair in times.windows(2) {
            let gap = (pair[1] - pair[0]).as_nanos();
            assert!(gap == 333_333_333 || gap == 333_333_334, "gap {gap}");
        }

        // Late in a very long run the grid is still exact to the nanosecond (an f64 product
        // would be off by hundreds of ns at 4e18 ns).
        let mut fast = ArrivalClock::new(Arrivals::constant(1e7).unwrap());
        let late = SimTime(4_000_000_000_000_000_050);
        let first = fast.next_after(late, &mut rng(0)).unwrap();
        assert_eq!(first, SimTime(4_000_000_000_000_000_100));
        assert_eq!(
            fast.next_after(first, &mut rng(0)),
            Some(SimTime(4_000_000_000_000_000_200))
        );

        let mut clock = ArrivalClock::new(per_ms);
        assert_eq!(
            clock.next_after(SimTime(2_500_000), &mut rng(0)),
            Some(SimTime(3_000_000))
        );
        assert_eq!(
            clock.next_after(SimTime(3_000_000), &mut rng(0)),
            Some(SimTime(4_000_000))
        );
        assert_eq!(
            clock.next_after(SimTime(4_000_000), &mut rng(0)),
            Some(SimTime(5_000_000))
        );
    }

    // Goal: on_off has mean rate rate_on * on / (on + off) and never fires in an OFF window.
    // Method: 1000/s ON for 1 s of every 4 s over 400 s: 100 000 expected, 5 sd = 1581.
    #[test]
    fn on_off_mean_rate_and_silence() {
        let bursty =
            Arrivals::on_off(1000.0, SimDuration::from_secs(1), SimDuration::from_secs(3)).unwrap();
        assert!((bursty.mean_rate_per_s() - 250.0).abs() < 1e-9);
        // [0.5 s, 5 s) holds 0.5 s of the first ON window and all of the second.
        assert!((bursty.expected_count(secs(0), secs(400)) - 100_000.0).abs() < 1e-6);
        assert!((bursty.expected_count(SimTime(500_000_000), secs(5)) - 1500.0).abs() < 1e-6);
        let times = arrivals_until(&bursty, secs(400), &mut rng(1));
        assert_poisson_count(times.len(), 100_000.0);
        let in_off = times
            .iter()
            .filter(|t| t.as_nanos() % 4_000_000_000 >= 1_000_000_000);
        assert_eq!(in_off.count(), 0);
        // Rare bursts: 1 ms ON per 10 s at 10/s needs ~100 periods per arrival; the skip
        // makes that O(1) and still lands inside an ON window.
        let rare = Arrivals::on_off(
            10.0,
            SimDuration::from_millis(1),
            SimDuration::from_secs(10),
        )
        .unwrap();
        let times = arrivals_until(&rare, secs(1_000_000), &mut rng(2));
        assert!(times
            .iter()
            .all(|t| t.as_nanos() % 10_001_000_000 < 1_000_000));
        assert_poisson_count(times.len(), rare.expected_count(secs(0), secs(1_000_000)));
    }

    // Goal: every constructor rejects bad parameters with a message naming the value and the
    // valid range.
    #[test]
    fn rejects_bad_parameters() {
        #[track_caller]
        fn check(result: Result<Arrivals, WorkloadError>, expect: &str) {
            assert_eq!(result.unwrap_err().to_string(), expect);
        }
        let valid = "a finite number > 0 and <= 1e9 (one per nanosecond)";
        check(
            Arrivals::poisson(f64::NAN),
            &format!("poisson rate_per_s must be {valid}, got NaN"),
        );
        check(
            Arrivals::poisson(-1.0),
            &format!("poisson rate_per_s must be {valid}, got -1"),
        );
        check(
            Arrivals::constant(0.0),
            &format!("constant rate_per_s must be {valid}, got 0"),
        );
        check(
            Arrivals::constant(2e9),
            &format!("constant rate_per_s must be {valid}, got 2000000000"),
        );
        let second = SimDuration::from_secs(1);
        check(
            Arrivals::on_off(f64::INFINITY, second, second),
            &format!("on_off rate_on_per_s must be {valid}, got inf"),
        );
        check(
            Arrivals::on_off(1.0, SimDuration::ZERO, second),
            "on_off on must be > 0, got 0s",
        );
        check(
            Arrivals::on_off(1.0, second, SimDuration::MAX),
            "on_off off must be small enough that on + off fits in about 584 years, got \
             18446744073709551615ns",
        );
    }

    // Goal: a schedule whose rate is 0 after a burst runs out, and stays out.
    #[test]
    fn exhausted_schedule_stays_exhausted() {
        let points = vec![(SimTime::ZERO, 100.0), (secs(1), 0.0)];
        let burst = Arrivals::schedule(points, RateShape::Step, None).unwrap();
        let mut clock = ArrivalClock::new(burst);
        let mut rng = rng(0);
        let mut now = SimTime::ZERO;
        let mut count = 0;
        while let Some(time) = clock.next_after(now, &mut rng) {
            assert!(time < secs(1));
            now = time;
            count += 1;
        }
        assert!(count > 0);
        assert_eq!(clock.next_after(now, &mut rng), None);
        assert_eq!(clock.next_after(secs(5), &mut rng), None);
    }

    /// One arrival process of each kind, picked by `kind`, for property tests.
    fn any_arrivals(kind: u8, rate: f64, shape_linear: bool) -> Arrivals {
        let millis = SimDuration::from_millis;
        match kind % 4 {
            0 => Arrivals::poisson(rate),
            1 => Arrivals::constant(rate),
            2 => Arrivals::on_off(rate, millis(3), millis(7)),
            _ => {
                let shape = if shape_linear {
                    RateShape::Linear
                } else {
                    RateShape::Step
                };
                let points = vec![
                    (SimTime::ZERO, 0.0),
                    (SimTime(millis(2).as_nanos()), rate),
                    (SimTime(millis(5).as_nanos()), 0.0),
                ];
                Arrivals::schedule(points, shape, Some(millis(9)))
            }
        }
        .expect("valid test parameters")
    }

    /// Times to call `next_after` at: early ones, and ones up to 2^62 ns (146 years) to reach
    /// the large-time arithmetic.
    fn nows() -> impl Strategy<Value = Vec<u64>> {
        let now = prop_oneof![0u64..50_000_000, 0u64..(1 << 62)];
        proptest::collection::vec(now, 1..60)
    }

    proptest! {
        // Law: next_after never returns a time before `now`, successive arrivals never go
        // back, whatever sequence of `now` values (including ones that go back) is passed, and
        // the same seed replays the same arrivals.
        #[test]
        fn next_after_is_monotone_and_replayable(
            kind in 0u8..4,
            rate in 1.0f64..1e7,
            shape_linear in any::<bool>(),
            seed in any::<u64>(),
            nows in nows(),
        ) {
            let run = || {
                let mut clock = ArrivalClock::new(any_arrivals(kind, rate, shape_linear));
                let mut rng = stream(seed, StreamLabel::new(StreamKind::Workload, 0));
                let mut times = Vec::new();
                for &now in &nows {
                    let now = SimTime(now);
                    let time = clock.next_after(now, &mut rng).expect("these never end");
                    times.push((now, time));
                }
                times
            };
            let times = run();
            let mut previous = SimTime::ZERO;
            for &(now, time) in &times {
                prop_assert!(time >= now);
                prop_assert!(time >= previous);
                previous = time;
            }
            prop_assert_eq!(times, run());
        }
    }
}
