//! The window limiters: at most `limit` requests per `window`, counted three ways.

use std::collections::VecDeque;

use super::{Decision, Limiter};

/// Counts in aligned windows `[k·window, (k + 1)·window)`: cheap, but `limit` just before a
/// boundary and `limit` just after all pass, twice the limit in an instant.
#[derive(Clone, Debug)]
pub struct FixedWindow {
    limit: u64,
    window: u64,
    /// The current window's index and count.
    current: u64,
    count: u64,
}

impl FixedWindow {
    /// At most `limit` (≥ 1) per aligned `window` (ns, > 0).
    pub fn new(limit: u64, window: u64) -> Self {
        assert!(limit >= 1 && window >= 1, "validated by the parser");
        FixedWindow {
            limit,
            window,
            current: 0,
            count: 0,
        }
    }
}

impl Limiter for FixedWindow {
    fn decide(&mut self, now: u64) -> Decision {
        let index = now / self.window;
        if index != self.current {
            self.current = index;
            self.count = 0;
        }
        if self.count >= self.limit {
            return Decision::Reject;
        }
        self.count += 1;
        Decision::Admit
    }
}

/// Exact: keeps the admission times of the last `window` (at most `limit` of them) and
/// admits while fewer than `limit` fall in `(now − window, now]`. Memory: 8 bytes per
/// admission kept.
#[derive(Clone, Debug)]
pub struct SlidingLog {
    limit: u64,
    window: u64,
    admitted: VecDeque<u64>,
}

impl SlidingLog {
    /// At most `limit` (≥ 1) in any `window` (ns, > 0).
    pub fn new(limit: u64, window: u64) -> Self {
        assert!(limit >= 1 && window >= 1, "validated by the parser");
        SlidingLog {
            limit,
            window,
            admitted: VecDeque::new(),
        }
    }
}

impl Limiter for SlidingLog {
    fn decide(&mut self, now: u64) -> Decision {
        while let Some(&oldest) = self.admitted.front() {
            if now - oldest < self.window {
                break;
            }
            self.admitted.pop_front();
        }
        if self.admitted.len() as u64 >= self.limit {
            return Decision::Reject;
        }
        self.admitted.push_back(now);
        Decision::Admit
    }
}

/// The weighted two-window approximation (Cloudflare's): the estimate at `now` is the
/// previous aligned window's count times the share of it the sliding window still covers,
/// plus the current window's count; a request is admitted while the estimate is below
/// `limit`. Two counters of state; exact when arrivals are uniform within windows.
#[derive(Clone, Debug)]
pub struct SlidingWindowCounter {
    limit: u64,
    window: u64,
    current: u64,
    count: u64,
    previous_count: u64,
}

impl SlidingWindowCounter {
    /// About `limit` (≥ 1) per sliding `window` (ns, > 0).
    pub fn new(limit: u64, window: u64) -> Self {
        assert!(limit >= 1 && window >= 1, "validated by the parser");
        SlidingWindowCounter {
            limit,
            window,
            current: 0,
            count: 0,
            previous_count: 0,
        }
    }
}

impl Limiter for SlidingWindowCounter {
    fn decide(&mut self, now: u64) -> Decision {
        let index = now / self.window;
        if index != self.current {
            self.previous_count = if index == self.current + 1 {
                self.count
            } else {
                0
            };
            self.current = index;
            self.count = 0;
        }
        let elapsed = u128::from(now % self.window);
        let window = u128::from(self.window);
        // previous · (window − elapsed) / window + count < limit, in integers.
        let estimate =
            u128::from(self.previous_count) * (window - elapsed) + u128::from(self.count) * window;
        if estimate >= u128::from(self.limit) * window {
            return Decision::Reject;
        }
        self.count += 1;
        Decision::Admit
    }
}
