//! Hedged requests (Dean & Barroso, "The Tail at Scale", CACM 2013): if a request has not been
//! answered after a delay, send a copy to another replica and take whichever answer comes
//! first. The delay is fixed, or the client's own running percentile of its attempts'
//! latency ([`LatencyTracker`]: answered attempts, and timed-out ones at their timeout, with
//! old samples decaying), so only the slowest few percent are hedged; a budget can cap the
//! extra load (Finagle's backup requests cap it at a share of requests the same way).

use super::RetryBudget;

use sim_core::SimDuration;

/// When a request's hedge is sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HedgeAfter {
    /// A fixed delay after the attempt was sent.
    Fixed(SimDuration),
    /// This percentile (in (0, 100)) of the client's answered attempts so far; no hedge until
    /// [`TRACKER_MIN_SAMPLES`] have been answered.
    Percentile(f64),
}

/// A client's hedging policy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HedgePolicy {
    /// When the hedge is sent.
    pub after: HedgeAfter,
    /// Hedges each client may send, as a share of its requests (`None`: no limit).
    pub budget: Option<RetryBudget>,
}

/// Answered attempts a tracker needs before its percentile is used.
pub const TRACKER_MIN_SAMPLES: u64 = 100;
/// A tracker recomputes its percentile every this many samples.
const RECOMPUTE_EVERY: u64 = 64;
/// Sub-buckets per power of two: latencies are kept to within 1/16 (6 %).
const SUB_BITS: u32 = 4;
const BUCKETS: usize = 64 << SUB_BITS;

/// Samples after which a tracker halves its counts, so its percentile follows the recent
/// latency rather than the whole run's.
const DECAY_EVERY: u64 = 2_048;

/// A client's running distribution of its attempts' latency: log-linear buckets (16 per
/// power of two of nanoseconds), the percentile recomputed every 64 samples, every count
/// halved every 2,048 samples.
#[derive(Clone, Debug)]
pub struct LatencyTracker {
    percentile: f64,
    counts: Vec<u32>,
    total: u64,
    since_decay: u64,
    threshold: Option<SimDuration>,
}

/// The bucket of `ns`, and the smallest value in bucket `b`.
fn bucket(ns: u64) -> usize {
    let ns = ns.max(1);
    let exponent = 63 - ns.leading_zeros();
    if exponent < SUB_BITS {
        return ns as usize;
    }
    let sub = (ns >> (exponent - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    (((exponent - SUB_BITS + 1) << SUB_BITS) as u64 + sub) as usize
}

fn bucket_low(b: usize) -> u64 {
    let group = (b >> SUB_BITS) as u32;
    let sub = (b & ((1 << SUB_BITS) - 1)) as u64;
    if group == 0 {
        return sub;
    }
    let exponent = group + SUB_BITS - 1;
    (1u64 << exponent) + (sub << (exponent - SUB_BITS))
}

impl LatencyTracker {
    /// A tracker of `percentile` (in (0, 100)), empty.
    pub fn new(percentile: f64) -> Self {
        LatencyTracker {
            percentile,
            counts: vec![0; BUCKETS],
            total: 0,
            since_decay: 0,
            threshold: None,
        }
    }

    /// An answered attempt took `took`.
    pub fn record(&mut self, took: SimDuration) {
        let b = bucket(took.as_nanos()).min(BUCKETS - 1);
        self.counts[b] = self.counts[b].saturating_add(1);
        self.total += 1;
        self.since_decay += 1;
        if self.since_decay == DECAY_EVERY {
            self.since_decay = 0;
            self.counts.iter_mut().for_each(|c| *c >>= 1);
        }
        if self.total >= TRACKER_MIN_SAMPLES
            && (self.threshold.is_none() || self.total % RECOMPUTE_EVERY == 0)
        {
            self.threshold = Some(self.quantile());
        }
    }

    /// The percentile as last computed (`None` before enough samples).
    pub fn threshold(&self) -> Option<SimDuration> {
        self.threshold
    }

    /// The lower edge of the bucket holding the percentile.
    fn quantile(&self) -> SimDuration {
        let held: u64 = self.counts.iter().map(|&c| u64::from(c)).sum();
        let rank = ((self.percentile / 100.0) * held as f64).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (b, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                return SimDuration::from_nanos(bucket_low(b));
            }
        }
        SimDuration::from_nanos(bucket_low(BUCKETS - 1))
    }
}

impl HedgePolicy {
    /// The delay before hedging a request sent now, given the client's tracker (`None`: do
    /// not hedge it).
    pub fn delay(&self, tracker: Option<&LatencyTracker>) -> Option<SimDuration> {
        match self.after {
            HedgeAfter::Fixed(d) => Some(d),
            HedgeAfter::Percentile(_) => tracker.and_then(LatencyTracker::threshold),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: buckets are ordered and each holds values within 1/16 of its lower edge.
    #[test]
    fn buckets_are_log_linear() {
        let mut last = 0;
        for ns in [
            1u64,
            7,
            15,
            16,
            17,
            31,
            32,
            100,
            1_000,
            123_456,
            10_000_000_000,
        ] {
            let b = bucket(ns);
            assert!(b >= last, "ordered");
            last = b;
            let low = bucket_low(b);
            assert!(low <= ns, "{ns} in a bucket starting at {low}");
            assert!(
                (ns - low) as f64 <= low as f64 / 16.0 + 1.0,
                "{ns} vs {low}"
            );
        }
    }

    // Goal: the tracker's percentile of a uniform spread of latencies is where it should be,
    // within a bucket's width, and there is none before enough samples.
    #[test]
    fn the_tracker_finds_its_percentile() {
        let mut t = LatencyTracker::new(95.0);
        for i in 1..TRACKER_MIN_SAMPLES {
            t.record(SimDuration::from_micros(i));
        }
        assert_eq!(t.threshold(), None);
        for i in 0..=9_900 {
            t.record(SimDuration::from_micros(1 + i % 1_000));
        }
        let p95 = t.threshold().expect("enough samples").as_nanos() as f64;
        assert!((p95 - 950_000.0).abs() < 950_000.0 / 16.0, "{p95}");
        let policy = HedgePolicy {
            after: HedgeAfter::Percentile(95.0),
            budget: None,
        };
        assert_eq!(policy.delay(Some(&t)), t.threshold());
        assert_eq!(policy.delay(None), None);
    }

    // Goal: old samples decay: after a shift from 1 ms to 10 ms latencies, the p50 follows
    // within a few decay periods instead of staying at the whole run's median.
    #[test]
    fn the_tracker_follows_a_shift() {
        let mut t = LatencyTracker::new(50.0);
        for _ in 0..20_000 {
            t.record(SimDuration::from_millis(1));
        }
        for _ in 0..(4 * DECAY_EVERY) {
            t.record(SimDuration::from_millis(10));
        }
        let p50 = t.threshold().expect("enough samples");
        assert!(p50 >= SimDuration::from_millis(9), "{p50:?}");
    }
}
