//! The bucket limiters: token bucket (policer and shaper), leaky bucket (meter and queue)
//! and GCRA, in exact integer arithmetic.
//!
//! Units: a token is `period_ns` units of level, and each nanosecond adds `count` units, so
//! a rate of `count` per `period_ns` refills exactly, with no rounding drift. GCRA keeps its
//! theoretical arrival time in the same units (ns × count).

use super::{Decision, Limiter, Rate};

/// A token bucket: tokens arrive at the rate up to `burst`; a request takes one. A policer
/// rejects a request that finds none; a shaper lets it wait for one, with at most `queue`
/// requests waiting (Tanenbaum's token bucket; the shaper is the conforming output of the
/// same bucket).
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate: Rate,
    /// Tokens held, in units (may be negative for a shaper: tokens owed to waiting requests).
    level: i128,
    capacity: i128,
    last: u64,
    /// `None`: a policer. `Some(q)`: a shaper with at most `q` waiting.
    queue: Option<u64>,
}

impl TokenBucket {
    fn new(rate: Rate, burst: u64, queue: Option<u64>) -> Self {
        assert!(burst >= 1, "a bucket holds at least one token");
        let capacity = i128::from(burst) * i128::from(rate.period_ns());
        TokenBucket {
            rate,
            level: capacity,
            capacity,
            last: 0,
            queue,
        }
    }

    /// A policer: rate `rate`, burst `burst` (≥ 1), full at time 0.
    pub fn policer(rate: Rate, burst: u64) -> Self {
        TokenBucket::new(rate, burst, None)
    }

    /// A shaper: rate `rate`, burst `burst` (≥ 1), at most `queue` requests waiting.
    pub fn shaper(rate: Rate, burst: u64, queue: u64) -> Self {
        TokenBucket::new(rate, burst, Some(queue))
    }

    fn refill(&mut self, now: u64) {
        debug_assert!(now >= self.last, "time runs forward");
        let added = i128::from(now.saturating_sub(self.last)) * i128::from(self.rate.count());
        self.level = (self.level + added).min(self.capacity);
        self.last = now;
    }
}

impl Limiter for TokenBucket {
    fn decide(&mut self, now: u64) -> Decision {
        self.refill(now);
        let token = i128::from(self.rate.period_ns());
        let after = self.level - token;
        if after >= 0 {
            self.level = after;
            return Decision::Admit;
        }
        let Some(queue) = self.queue else {
            return Decision::Reject;
        };
        // Requests waiting once this one joins them: the tokens owed, rounded up.
        let owed = -after;
        let waiting = (owed + token - 1) / token;
        if waiting > i128::from(queue) {
            return Decision::Reject;
        }
        self.level = after;
        // Until the refill pays what is owed.
        let count = i128::from(self.rate.count());
        Decision::Delay(((owed + count - 1) / count) as u64)
    }
}

/// A leaky bucket: as a *meter*, a bucket of depth `depth` that drains at the rate, and a
/// request that would overflow it is rejected (the same decisions as a token bucket policer
/// of burst `depth`, and as GCRA); as a *queue*, a FIFO of at most `capacity` waiting,
/// drained at exactly the rate (a shaper with no burst).
#[derive(Clone, Debug)]
pub enum LeakyBucket {
    /// The meter.
    Meter {
        /// The drain rate.
        rate: Rate,
        /// Fill, in units (as [`TokenBucket`]'s level).
        fill: i128,
        /// Depth, in units.
        depth: i128,
        /// The last decision's time.
        last: u64,
    },
    /// The queue.
    Queue(TokenBucket),
}

impl LeakyBucket {
    /// A meter of depth `depth` (≥ 1 request), empty at time 0.
    pub fn meter(rate: Rate, depth: u64) -> Self {
        assert!(depth >= 1, "a bucket holds at least one request");
        LeakyBucket::Meter {
            rate,
            fill: 0,
            depth: i128::from(depth) * i128::from(rate.period_ns()),
            last: 0,
        }
    }

    /// A queue of at most `capacity` waiting requests.
    pub fn queue(rate: Rate, capacity: u64) -> Self {
        LeakyBucket::Queue(TokenBucket::shaper(rate, 1, capacity))
    }
}

impl Limiter for LeakyBucket {
    fn decide(&mut self, now: u64) -> Decision {
        match self {
            LeakyBucket::Meter {
                rate,
                fill,
                depth,
                last,
            } => {
                let leaked = i128::from(now.saturating_sub(*last)) * i128::from(rate.count());
                *fill = (*fill - leaked).max(0);
                *last = now;
                let request = i128::from(rate.period_ns());
                if *fill + request > *depth {
                    return Decision::Reject;
                }
                *fill += request;
                Decision::Admit
            }
            LeakyBucket::Queue(shaper) => shaper.decide(now),
        }
    }
}

/// The generic cell rate algorithm (virtual scheduling): emission interval T = 1 / rate,
/// tolerance τ = (burst − 1) · T; a request at t conforms if TAT ≤ t + τ, and then
/// TAT = max(TAT, t) + T. One timestamp of state.
#[derive(Clone, Debug)]
pub struct Gcra {
    rate: Rate,
    /// Theoretical arrival time, in ns × count.
    tat: u128,
    /// τ, in ns × count.
    tolerance: u128,
}

impl Gcra {
    /// GCRA for `rate` with a burst of `burst` (≥ 1) back-to-back requests.
    pub fn new(rate: Rate, burst: u64) -> Self {
        assert!(burst >= 1, "a burst of at least one request");
        Gcra {
            rate,
            tat: 0,
            tolerance: u128::from(burst - 1) * u128::from(rate.period_ns()),
        }
    }
}

impl Limiter for Gcra {
    fn decide(&mut self, now: u64) -> Decision {
        let t = u128::from(now) * u128::from(self.rate.count());
        if self.tat > t + self.tolerance {
            return Decision::Reject;
        }
        self.tat = self.tat.max(t) + u128::from(self.rate.period_ns());
        Decision::Admit
    }
}
