//! A piecewise arrival rate over time, for ramps, spikes and diurnal shapes.
//!
//! Arrivals under a [`RateSchedule`] form a non-homogeneous Poisson process, sampled exactly by
//! inverting the integrated rate (Çinlar, *Introduction to Stochastic Processes*, 1975, §4.7;
//! also Lewis & Shedler, "Simulation of nonhomogeneous Poisson processes by thinning", Naval
//! Research Logistics Quarterly 26(3), 1979, §1): with `Λ(a, b)` the expected number of
//! arrivals in `[a, b)`, the next arrival after `a` is the `b` at which `Λ(a, b) = E` for one
//! draw `E ~ Exp(1)`. The walk crosses whole segments by subtracting their `Λ`, then solves
//! inside the segment where `E` runs out: a division for a constant rate, the stable root of a
//! quadratic for a linear one. Whole periods of a repeating schedule are skipped in one step,
//! so the cost is O(points) per arrival however long a zero-rate stretch is.

use sim_core::{SimDuration, SimTime};

use super::{WorkloadError, RATE_MAX_PER_S};

/// Nanoseconds per second, as a float for rate arithmetic.
const NANOS_PER_SEC_F64: f64 = 1e9;

/// Walks over whole periods before giving up on float rounding (see [`RateSchedule::next_arrival`]):
/// one partial period, one skip, and two spare for a sliver of budget left by rounding.
const PERIOD_WALKS_MAX: u32 = 4;

/// How the rate moves between two consecutive points of a [`RateSchedule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateShape {
    /// The rate jumps to each point's value at its time and holds until the next point.
    Step,
    /// The rate moves linearly from each point's value to the next point's value.
    Linear,
}

/// A validated piecewise rate function: points `(time, rate_per_s)` joined by a [`RateShape`].
///
/// - The first point is at `t=0`; times never decrease. Two points at the same time make an
///   instant jump (useful for spikes with [`RateShape::Linear`]); the later one wins.
/// - Rates are `>= 0` and `<= 1e9` per second; zero-rate stretches are allowed.
/// - Without `repeat`, the last point's rate holds forever; if it is 0 the process ends.
/// - With `repeat = P` (which must exceed the last point's time) the function is periodic
///   with period `P`: points are phases within `[0, P)`. From the last point to `P`, a step
///   schedule holds the last rate and a linear one moves back to the first point's rate, so a
///   diurnal curve closes smoothly.
#[derive(Clone, Debug, PartialEq)]
pub struct RateSchedule {
    points: Vec<(SimTime, f64)>,
    shape: RateShape,
    repeat: Option<SimDuration>,
    /// Expected arrivals in one period when repeating, 0 otherwise; computed once.
    period_count: f64,
}

/// One piece of the rate function: `[start, end)` with the rate linear from `rate_start` to
/// `rate_end` (equal for a step, or for the unbounded tail where `end` is `None`).
#[derive(Clone, Copy, Debug)]
struct Segment {
    start: u64,
    end: Option<u64>,
    rate_start: f64,
    rate_end: f64,
}

impl Segment {
    /// The rate at `time` in `[start, end]`, per second.
    fn rate_at(&self, time: u64) -> f64 {
        debug_assert!(time >= self.start);
        match self.end {
            Some(end) if end > self.start => {
                let fraction = (time - self.start) as f64 / (end - self.start) as f64;
                self.rate_start + (self.rate_end - self.rate_start) * fraction
            }
            _ => self.rate_start,
        }
    }

    /// Rate change per second of time, per second (0 for a step or the tail).
    fn slope_per_s2(&self) -> f64 {
        match self.end {
            Some(end) if end > self.start => {
                (self.rate_end - self.rate_start) * NANOS_PER_SEC_F64 / (end - self.start) as f64
            }
            _ => 0.0,
        }
    }

    /// Expected arrivals in `[from, to)` inside this segment: the trapezoid rule, exact for a
    /// linear rate.
    fn count(&self, from: u64, to: u64) -> f64 {
        assert!(from <= to);
        let seconds = (to - from) as f64 / NANOS_PER_SEC_F64;
        let count = (self.rate_at(from) + self.rate_at(to)) / 2.0 * seconds;
        count.max(0.0)
    }
}

/// Where a walk through the segments of one period (or of a whole non-repeating schedule)
/// ended.
enum Walk {
    /// The budget ran out at this time (a phase, for a repeating schedule).
    Arrival(u64),
    /// The period ended with this much budget left.
    PeriodEnd(f64),
    /// The rate is zero from here on, or the arrival lies beyond representable time.
    Never,
}

impl RateSchedule {
    /// Validates a schedule; see the type's docs for the rules.
    pub fn new(
        points: Vec<(SimTime, f64)>,
        shape: RateShape,
        repeat: Option<SimDuration>,
    ) -> Result<Self, WorkloadError> {
        let Some(&(first_time, _)) = points.first() else {
            return Err(WorkloadError::EmptySchedule);
        };
        if first_time != SimTime::ZERO {
            return Err(WorkloadError::ScheduleStart { time: first_time });
        }
        for (index, &(time, rate)) in points.iter().enumerate() {
            if !(0.0..=RATE_MAX_PER_S).contains(&rate) {
                return Err(WorkloadError::BadScheduleRate {
                    index,
                    valid: "a finite number >= 0 and <= 1e9 (one per nanosecond)",
                    value: rate,
                });
            }
            if index > 0 && time < points[index - 1].0 {
                return Err(WorkloadError::ScheduleDecreasing {
                    index,
                    previous: points[index - 1].0,
                    time,
                });
            }
        }
        let last = points[points.len() - 1].0;
        if let Some(period) = repeat {
            if period.as_nanos() <= last.as_nanos() {
                return Err(WorkloadError::ScheduleRepeat { period, last });
            }
        }
        let mut schedule = RateSchedule {
            points,
            shape,
            repeat,
            period_count: 0.0,
        };
        if let Some(period) = repeat {
            schedule.period_count = schedule.count_in_period(period.as_nanos());
        }
        Ok(schedule)
    }

    /// The points `(time, rate_per_s)`, first at `t=0`, times non-decreasing.
    pub fn points(&self) -> &[(SimTime, f64)] {
        &self.points
    }

    /// How the rate moves between points.
    pub fn shape(&self) -> RateShape {
        self.shape
    }

    /// The period, if the schedule repeats.
    pub fn repeat(&self) -> Option<SimDuration> {
        self.repeat
    }

    /// Long-run mean rate per second: one period's expected arrivals over its length when
    /// repeating, else the rate held after the last point.
    pub fn mean_rate_per_s(&self) -> f64 {
        match self.repeat {
            Some(period) => self.period_count / period.as_secs_f64(),
            None => self.points[self.points.len() - 1].1,
        }
    }

    /// The highest rate the schedule reaches, per second.
    pub fn peak_rate_per_s(&self) -> f64 {
        self.points
            .iter()
            .map(|&(_, rate)| rate)
            .fold(0.0, f64::max)
    }

    /// Expected arrivals in `[from, to)`: the integral of the rate.
    pub fn expected_count(&self, from: SimTime, to: SimTime) -> f64 {
        assert!(from <= to, "expected_count from {from} is after to {to}");
        self.count_until(to.as_nanos()) - self.count_until(from.as_nanos())
    }

    /// The first arrival at or after `start` for a budget `budget` drawn from Exp(1), or `None`
    /// if the rate is zero from `start` on or the arrival is beyond representable time.
    pub(super) fn next_arrival(&self, start: SimTime, budget: f64) -> Option<SimTime> {
        assert!(budget >= 0.0, "exponential budget {budget} < 0");
        let Some(period) = self.repeat.map(SimDuration::as_nanos) else {
            return match self.walk(start.as_nanos(), budget) {
                Walk::Arrival(time) => Some(SimTime(time)),
                Walk::Never => None,
                Walk::PeriodEnd(_) => unreachable!("a non-repeating schedule has no period end"),
            };
        };
        let mut phase = start.as_nanos() % period;
        let mut period_start = start.as_nanos() - phase;
        let mut budget = budget;
        for _ in 0..PERIOD_WALKS_MAX {
            match self.walk(phase, budget) {
                Walk::Arrival(offset) => return period_start.checked_add(offset).map(SimTime),
                Walk::Never => return None,
                Walk::PeriodEnd(left) => {
                    if self.period_count <= 0.0 {
                        return None; // Zero rate all period long, so forever.
                    }
                    // Skip whole periods at once, so a long quiet stretch costs O(points).
                    let skipped = (left / self.period_count).floor();
                    budget = (left - skipped * self.period_count).max(0.0);
                    let periods = (skipped as u64).checked_add(1)?;
                    period_start = period_start.checked_add(periods.checked_mul(period)?)?;
                    phase = 0;
                }
            }
        }
        // Rounding left a sliver of budget beyond whole periods: arrive at the period start.
        Some(SimTime(period_start))
    }

    /// Segment `index`: from point `index` to the next point, to the period end, or forever.
    fn segment(&self, index: usize) -> Segment {
        let (start, rate_start) = self.points[index];
        let step = self.shape == RateShape::Step;
        let (end, rate_end) = match (self.points.get(index + 1), self.repeat) {
            (Some(&(next, next_rate)), _) => (
                Some(next.as_nanos()),
                if step { rate_start } else { next_rate },
            ),
            (None, Some(period)) => {
                let wrap_rate = if step { rate_start } else { self.points[0].1 };
                (Some(period.as_nanos()), wrap_rate)
            }
            (None, None) => (None, rate_start),
        };
        Segment {
            start: start.as_nanos(),
            end,
            rate_start,
            rate_end,
        }
    }

    /// Index of the segment holding `time` (a phase when repeating): the last point at or
    /// before it, so that of several points at one time the last wins.
    fn segment_index(&self, time: u64) -> usize {
        let after = self.points.partition_point(|&(t, _)| t.as_nanos() <= time);
        assert!(after >= 1, "the first point is at t=0");
        after - 1
    }

    /// Walks segments from `from`, spending `budget` expected arrivals; see [`Walk`].
    fn walk(&self, from: u64, budget: f64) -> Walk {
        let mut budget = budget;
        let mut at = from;
        for index in self.segment_index(from)..self.points.len() {
            let segment = self.segment(index);
            let Some(end) = segment.end else {
                // The unbounded tail holds one rate: a homogeneous Poisson process.
                if segment.rate_start <= 0.0 {
                    return Walk::Never;
                }
                let wait = seconds_to_nanos(budget / segment.rate_start);
                return at.checked_add(wait).map_or(Walk::Never, Walk::Arrival);
            };
            let available = segment.count(at, end);
            if budget < available {
                let wait = seconds_until(segment.rate_at(at), segment.slope_per_s2(), budget);
                let offset = seconds_to_nanos(wait).min(end - at);
                return Walk::Arrival(at + offset);
            }
            budget -= available;
            at = end;
        }
        Walk::PeriodEnd(budget)
    }

    /// Expected arrivals in `[0, time)`.
    fn count_until(&self, time: u64) -> f64 {
        match self.repeat {
            Some(period) => {
                let period = period.as_nanos();
                let whole = (time / period) as f64 * self.period_count;
                whole + self.count_in_period(time % period)
            }
            None => self.count_in_period(time),
        }
    }

    /// Expected arrivals in `[0, time)` within the first period (or the whole timeline).
    fn count_in_period(&self, time: u64) -> f64 {
        let mut count = 0.0;
        for index in 0..self.points.len() {
            let segment = self.segment(index);
            if segment.start >= time {
                break;
            }
            let end = segment.end.map_or(time, |end| end.min(time));
            count += segment.count(segment.start, end);
        }
        count
    }
}

/// Seconds after which a rate starting at `rate` (per second) and changing by `slope` (per
/// second squared) accumulates `budget` expected arrivals: the non-negative root of
/// `rate*x + slope*x^2/2 = budget`, written `2*budget / (rate + sqrt(rate^2 + 2*slope*budget))`
/// so that it stays accurate when `slope` is small or zero (no cancellation).
fn seconds_until(rate: f64, slope: f64, budget: f64) -> f64 {
    if budget <= 0.0 {
        return 0.0;
    }
    // The caller only asks when the segment holds more than `budget`, so the discriminant is
    // >= 0 up to rounding, and the denominator is > 0 (rate > 0 or slope > 0).
    let discriminant = (rate * rate + 2.0 * slope * budget).max(0.0);
    let denominator = rate + discriminant.sqrt();
    assert!(
        denominator > 0.0,
        "no arrival possible at rate {rate}, slope {slope}"
    );
    2.0 * budget / denominator
}

/// Converts seconds to whole nanoseconds, rounded; huge values saturate.
fn seconds_to_nanos(seconds: f64) -> u64 {
    SimDuration::from_nanos_f64(seconds * NANOS_PER_SEC_F64).as_nanos()
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalClock, Arrivals};
    use super::*;
    use sim_core::rng::{stream, StreamKind, StreamLabel};

    fn secs(n: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(n)
    }

    /// Arrival times of `replications` independent runs (stream i each) up to `until`.
    fn run(arrivals: &Arrivals, replications: u64, until: SimTime) -> Vec<Vec<SimTime>> {
        (0..replications)
            .map(|index| {
                let mut rng = stream(11, StreamLabel::new(StreamKind::Workload, index));
                let mut clock = ArrivalClock::new(arrivals.clone());
                let mut times = Vec::new();
                let mut now = SimTime::ZERO;
                while let Some(time) = clock.next_after(now, &mut rng) {
                    if time >= until {
                        break;
                    }
                    times.push(time);
                    now = time;
                }
                times
            })
            .collect()
    }

    /// Arrivals in `[from, to)` summed over all runs.
    fn count(runs: &[Vec<SimTime>], from: SimTime, to: SimTime) -> u64 {
        let hits = runs.iter().flatten().filter(|&&t| from <= t && t < to);
        hits.count() as u64
    }

    /// Asserts two computed expectations agree to 1e-9 relative (float sums, never `==`).
    #[track_caller]
    fn assert_close(got: f64, expected: f64) {
        assert!(
            (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
            "{got} != {expected}"
        );
    }

    /// Asserts a Poisson total with mean `expected` is within 5 standard deviations
    /// (sqrt(expected)): a false alarm rate of 6e-7 per check.
    #[track_caller]
    fn assert_poisson_count(observed: u64, expected: f64) {
        let tolerance = 5.0 * expected.sqrt();
        assert!(
            (observed as f64 - expected).abs() <= tolerance,
            "observed {observed}, expected {expected} +- {tolerance}"
        );
    }

    fn schedule(points: &[(u64, f64)], shape: RateShape, repeat: Option<u64>) -> Arrivals {
        let points = points.iter().map(|&(t, r)| (secs(t), r)).collect();
        Arrivals::schedule(points, shape, repeat.map(SimDuration::from_secs)).unwrap()
    }

    // Goal: a step schedule 10/s for 10 s then 100/s for 10 s then 0 gives Poisson counts in
    // each window. Method: 50 runs; each window total is Poisson with mean 50 * rate * 10 s,
    // within 5 sd. After the last point the rate is 0, so the clock returns None.
    #[test]
    fn step_schedule_counts_per_window() {
        let arrivals = schedule(&[(0, 10.0), (10, 100.0), (20, 0.0)], RateShape::Step, None);
        let runs = run(&arrivals, 50, SimTime::MAX);
        assert_poisson_count(count(&runs, secs(0), secs(10)), 50.0 * 100.0);
        assert_poisson_count(count(&runs, secs(10), secs(20)), 50.0 * 1000.0);
        assert_eq!(count(&runs, secs(20), SimTime::MAX), 0);
        assert_close(arrivals.expected_count(secs(0), secs(20)), 1100.0);
        assert_close(arrivals.mean_rate_per_s(), 0.0);
        assert_close(arrivals.peak_rate_per_s(), 100.0);
    }

    // Goal: a linear ramp 0 -> 100/s over 10 s has integral 500, and 125 in the first half
    // (the rate is 10t, so the count to t is 5t^2). Method: 40 runs, 5 sd as above; a second
    // point at 10 s drops the rate to 0 so the process ends.
    #[test]
    fn linear_ramp_counts() {
        let arrivals = schedule(&[(0, 0.0), (10, 100.0), (10, 0.0)], RateShape::Linear, None);
        assert_close(arrivals.expected_count(secs(0), secs(5)), 125.0);
        assert_close(arrivals.expected_count(secs(0), secs(100)), 500.0);
        let runs = run(&arrivals, 40, SimTime::MAX);
        assert_poisson_count(count(&runs, secs(0), secs(5)), 40.0 * 125.0);
        assert_poisson_count(count(&runs, secs(0), SimTime::MAX), 40.0 * 500.0);
        assert_eq!(count(&runs, secs(10), SimTime::MAX), 0);
    }

    // Goal: `repeat` makes the rate periodic. Method: a step schedule ON (100/s) for 1 s in
    // every 2 s has no arrival in any second half and Poisson counts in the first halves; a
    // linear 0 -> 100 -> (wrap) 0 triangle over 2 s averages 50/s with 12.5 arrivals per
    // period in its first quarter (integral of 100t from 0 to 0.5 s).
    #[test]
    fn repeat_is_periodic() {
        let square = schedule(&[(0, 100.0), (1, 0.0)], RateShape::Step, Some(2));
        assert_close(square.mean_rate_per_s(), 50.0);
        let runs = run(&square, 1, secs(400));
        let in_off = runs[0]
            .iter()
            .filter(|t| t.as_nanos() % 2_000_000_000 >= 1_000_000_000);
        assert_eq!(in_off.count(), 0);
        assert_poisson_count(count(&runs, secs(0), secs(400)), 20_000.0);
        assert_poisson_count(count(&runs, secs(200), secs(201)), 100.0);

        let triangle = schedule(&[(0, 0.0), (1, 100.0)], RateShape::Linear, Some(2));
        assert_close(triangle.mean_rate_per_s(), 50.0);
        assert_close(triangle.expected_count(secs(4), secs(6)), 100.0);
        let runs = run(&triangle, 1, secs(400));
        let first_quarter = runs[0]
            .iter()
            .filter(|t| t.as_nanos() % 2_000_000_000 < 500_000_000);
        assert_poisson_count(first_quarter.count() as u64, 200.0 * 12.5);
        assert_poisson_count(count(&runs, secs(0), secs(400)), 200.0 * 100.0);
    }

    // Goal: zero-rate stretches are crossed exactly, and a long zero stretch in a repeating
    // schedule is skipped without walking it. Method: a rate 0 until 5 s, then 10/s, gives a
    // first arrival after 5 s; a 1 ms burst per day (1000/s, so 1 expected arrival a day)
    // over 100 days gives arrivals only in bursts.
    #[test]
    fn zero_rate_stretches() {
        let late = schedule(&[(0, 0.0), (5, 10.0)], RateShape::Step, None);
        let runs = run(&late, 20, secs(6));
        assert!(runs.iter().flatten().all(|&t| t >= secs(5)));
        assert_close(late.mean_rate_per_s(), 10.0);

        let day = SimDuration::from_secs(86_400);
        let points = vec![(SimTime::ZERO, 1000.0), (SimTime(1_000_000), 0.0)];
        let burst = Arrivals::schedule(points, RateShape::Step, Some(day)).unwrap();
        let runs = run(
            &burst,
            1,
            SimTime::ZERO + SimDuration::from_secs(86_400 * 100),
        );
        assert!(runs[0]
            .iter()
            .all(|t| t.as_nanos() % day.as_nanos() < 1_000_000));
        assert_poisson_count(runs[0].len() as u64, 100.0);
    }

    // Goal: every rule of a schedule is enforced with a message naming the value.
    #[test]
    fn rejects_bad_schedules() {
        #[track_caller]
        fn check(points: &[(u64, f64)], repeat: Option<u64>, expect: &str) {
            let points = points.iter().map(|&(t, r)| (secs(t), r)).collect();
            let repeat = repeat.map(SimDuration::from_secs);
            let error = RateSchedule::new(points, RateShape::Linear, repeat).unwrap_err();
            assert_eq!(error.to_string(), expect);
        }
        check(
            &[],
            None,
            "schedule needs at least one point, got an empty list",
        );
        check(
            &[(5, 1.0)],
            None,
            "schedule point [0] time must be t=0 (the rate before the first point would be \
             undefined), got t=5.000000000s",
        );
        check(
            &[(0, 1.0), (2, 1.0), (1, 1.0)],
            None,
            "schedule point [2] time must be >= the previous one (t=2.000000000s), got \
             t=1.000000000s",
        );
        let valid = "a finite number >= 0 and <= 1e9 (one per nanosecond)";
        check(
            &[(0, 1.0), (1, -1.0)],
            None,
            &format!("schedule point [1] rate_per_s must be {valid}, got -1"),
        );
        check(
            &[(0, f64::NAN)],
            None,
            &format!("schedule point [0] rate_per_s must be {valid}, got NaN"),
        );
        check(
            &[(0, f64::INFINITY)],
            None,
            &format!("schedule point [0] rate_per_s must be {valid}, got inf"),
        );
        check(
            &[(0, 1.0), (10, 2.0)],
            Some(10),
            "schedule repeat must be > the last point's time (t=10.000000000s), got 10s",
        );
    }

    // Goal: the quadratic root is accurate for rising, falling and flat rates. Method: plug the
    // root back into rate*x + slope*x^2/2 and compare with the budget.
    #[test]
    fn quadratic_root_solves_the_integral() {
        for (rate, slope, budget) in [(0.0, 10.0, 3.0), (5.0, -2.0, 6.0), (7.0, 0.0, 2.0)] {
            let x = seconds_until(rate, slope, budget);
            let integral = rate * x + slope * x * x / 2.0;
            assert!(
                (integral - budget).abs() < 1e-12,
                "{rate} {slope} {budget}: {x}"
            );
        }
        assert_close(seconds_until(0.0, 1.0, 0.0), 0.0);
    }
}
