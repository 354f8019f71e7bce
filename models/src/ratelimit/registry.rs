//! The limiter registry: [`LIMITERS`], one row per algorithm, and [`LimiterSpec`], an
//! algorithm with its parameters, ready to build one limiter per key.
//!
//! Every row takes `rate` (`"100/60s"`: a whole number of requests per a duration, or per a
//! unit, `"10/s"`); the buckets also take `burst` (requests admitted at once, default the
//! rate's count) and the queues `queue` (requests waiting, default the burst). A window
//! algorithm's limit and window are the rate's count and period.
//!
//! **A new algorithm** is a type implementing [`Limiter`](super::Limiter) in this folder, a
//! row here building it, and that row added to [`LIMITERS`].

use sim_core::registry::{ArgError, Args, Param, Registry, Row};
use sim_core::SimDuration;

use super::{
    FixedWindow, Gcra, LeakyBucket, Limiter, Rate, SlidingLog, SlidingWindowCounter, TokenBucket,
};

/// Reads a limiter's parameters and returns the spec that builds it.
pub type ParseLimiter = sim_core::registry::ParseArgs<LimiterSpec>;

/// One limiter algorithm's registry row.
pub type LimiterRow = Row<ParseLimiter>;

/// The algorithms the rows build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    TokenBucket,
    Shaper,
    LeakyBucket,
    LeakyQueue,
    Gcra,
    FixedWindow,
    SlidingLog,
    SlidingWindow,
}

/// A limiter algorithm and its parameters, ready to build any number of limiters (one per
/// key, node and run, each full at its start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimiterSpec {
    algorithm: Algorithm,
    rate: Rate,
    burst: u64,
    queue: u64,
}

impl LimiterSpec {
    /// Its algorithm's name (its row's).
    pub fn name(&self) -> &'static str {
        match self.algorithm {
            Algorithm::TokenBucket => "token_bucket",
            Algorithm::Shaper => "shaper",
            Algorithm::LeakyBucket => "leaky_bucket",
            Algorithm::LeakyQueue => "leaky_queue",
            Algorithm::Gcra => "gcra",
            Algorithm::FixedWindow => "fixed_window",
            Algorithm::SlidingLog => "sliding_log",
            Algorithm::SlidingWindow => "sliding_window",
        }
    }

    /// Its rate (a window algorithm's limit per window).
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// A fresh limiter.
    pub fn build(&self) -> Box<dyn Limiter> {
        let (rate, burst, queue) = (self.rate, self.burst, self.queue);
        match self.algorithm {
            Algorithm::TokenBucket => Box::new(TokenBucket::policer(rate, burst)),
            Algorithm::Shaper => Box::new(TokenBucket::shaper(rate, burst, queue)),
            Algorithm::LeakyBucket => Box::new(LeakyBucket::meter(rate, burst)),
            Algorithm::LeakyQueue => Box::new(LeakyBucket::queue(rate, queue)),
            Algorithm::Gcra => Box::new(Gcra::new(rate, burst)),
            Algorithm::FixedWindow => Box::new(FixedWindow::new(rate.count(), rate.period_ns())),
            Algorithm::SlidingLog => Box::new(SlidingLog::new(rate.count(), rate.period_ns())),
            Algorithm::SlidingWindow => {
                Box::new(SlidingWindowCounter::new(rate.count(), rate.period_ns()))
            }
        }
    }

    /// Its share when `n` limiters enforce it together, each on its own (local limiting):
    /// a bucket's rate divided exactly (`count` per `n × period`) and its burst and queue
    /// rounded down (at least 1 and 0); a window's limit rounded down, at least 1, per the
    /// same window. `n` is at least 1.
    pub fn divided(&self, n: u64) -> LimiterSpec {
        let n = n.max(1);
        let windowed = matches!(
            self.algorithm,
            Algorithm::FixedWindow | Algorithm::SlidingLog | Algorithm::SlidingWindow
        );
        let rate = if windowed {
            Rate::new((self.rate.count() / n).max(1), self.rate.period_ns())
        } else {
            Rate::new(self.rate.count(), self.rate.period_ns().saturating_mul(n))
        }
        .expect("both parts stay above 0");
        LimiterSpec {
            rate,
            burst: (self.burst / n).max(1),
            queue: self.queue / n,
            ..*self
        }
    }
}

impl Rate {
    /// `"100/60s"` (a whole number per a duration) or `"10/s"` (per a unit: `s`, `ms`,
    /// `min`, `h`, ...): exactly `count` per `period`.
    pub fn parse(text: &str) -> Result<Rate, String> {
        let bad = || {
            format!("a rate is a whole number per a duration, such as \"100/60s\" or \"10/s\"; got {text:?}")
        };
        let (count, period) = text.split_once('/').ok_or_else(bad)?;
        let count: u64 = count.trim().replace('_', "").parse().map_err(|_| bad())?;
        let period = period.trim();
        let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
            SimDuration::parse(period)
        } else {
            SimDuration::parse(&format!("1{period}"))
        }
        .map_err(|_| bad())?;
        Rate::new(count, period.as_nanos()).ok_or_else(|| {
            format!("a rate needs a count above 0 per a period longer than 0; got {text:?}")
        })
    }
}

/// The rate every row takes.
fn rate(args: &mut dyn Args) -> Result<Rate, ArgError> {
    let text = args
        .text("rate")?
        .ok_or_else(|| ArgError::at("rate", "a limiter needs `rate`, such as \"100/60s\""))?;
    Rate::parse(&text).map_err(|e| ArgError::at("rate", e))
}

/// `burst` (≥ 1), by default the rate's count.
fn burst(args: &mut dyn Args, rate: Rate) -> Result<u64, ArgError> {
    match args.integer("burst")? {
        None => Ok(rate.count()),
        Some(0) => Err(ArgError::at(
            "burst",
            "burst is the requests admitted at once, at least 1",
        )),
        Some(b) => Ok(b),
    }
}

/// `queue` (≥ 0), by default `default`.
fn queue(args: &mut dyn Args, default: u64) -> Result<u64, ArgError> {
    Ok(args.integer("queue")?.unwrap_or(default))
}

fn spec(algorithm: Algorithm, rate: Rate, burst: u64, queue: u64) -> LimiterSpec {
    LimiterSpec {
        algorithm,
        rate,
        burst,
        queue,
    }
}

const RATE: Param = Param::required("rate", "requests per period: \"100/60s\", \"10/s\"");
const BURST: Param = Param::optional(
    "burst",
    "the rate's count",
    "requests admitted at once (the bucket's depth)",
);
const QUEUE: Param = Param::optional("queue", "the burst", "requests that may wait for a token");

/// Every built-in limiter algorithm, in `distsim list` order.
pub const LIMITERS: &[LimiterRow] = &[
    Row {
        name: "token_bucket",
        aliases: &["policer"],
        description: "tokens at `rate` up to `burst`; a request without one is rejected",
        params: &[RATE, BURST],
        value: |args| {
            let rate = rate(args)?;
            let burst = burst(args, rate)?;
            Ok(spec(Algorithm::TokenBucket, rate, burst, 0))
        },
    },
    Row {
        name: "shaper",
        aliases: &["token_bucket_shaper"],
        description: "a token bucket whose requests wait for a token (at most `queue` waiting)",
        params: &[RATE, BURST, QUEUE],
        value: |args| {
            let rate = rate(args)?;
            let burst = burst(args, rate)?;
            let queue = queue(args, burst)?;
            Ok(spec(Algorithm::Shaper, rate, burst, queue))
        },
    },
    Row {
        name: "leaky_bucket",
        aliases: &["leaky_meter"],
        description: "a bucket of depth `burst` leaking at `rate`; a request that would overflow it is rejected",
        params: &[RATE, BURST],
        value: |args| {
            let rate = rate(args)?;
            let burst = burst(args, rate)?;
            Ok(spec(Algorithm::LeakyBucket, rate, burst, 0))
        },
    },
    Row {
        name: "leaky_queue",
        aliases: &[],
        description: "a FIFO of `queue` drained at exactly `rate`: a shaper without burst",
        params: &[RATE, Param::optional("queue", "the rate's count", "requests that may wait")],
        value: |args| {
            let rate = rate(args)?;
            let queue = queue(args, rate.count())?;
            Ok(spec(Algorithm::LeakyQueue, rate, 1, queue))
        },
    },
    Row {
        name: "gcra",
        aliases: &[],
        description: "the generic cell rate algorithm: one theoretical arrival time per key",
        params: &[RATE, BURST],
        value: |args| {
            let rate = rate(args)?;
            let burst = burst(args, rate)?;
            Ok(spec(Algorithm::Gcra, rate, burst, 0))
        },
    },
    Row {
        name: "fixed_window",
        aliases: &[],
        description: "at most the rate's count per aligned window of its period (2x at a boundary)",
        params: &[RATE],
        value: |args| {
            let rate = rate(args)?;
            Ok(spec(Algorithm::FixedWindow, rate, 1, 0))
        },
    },
    Row {
        name: "sliding_log",
        aliases: &[],
        description: "at most the rate's count in any window of its period, exactly (a log of admissions)",
        params: &[RATE],
        value: |args| {
            let rate = rate(args)?;
            Ok(spec(Algorithm::SlidingLog, rate, 1, 0))
        },
    },
    Row {
        name: "sliding_window",
        aliases: &["sliding_window_counter"],
        description: "the previous window's count weighted by its overlap plus the current one's",
        params: &[RATE],
        value: |args| {
            let rate = rate(args)?;
            Ok(spec(Algorithm::SlidingWindow, rate, 1, 0))
        },
    },
];

/// The built-in limiters as a registry.
pub fn limiters() -> Registry<ParseLimiter> {
    Registry::new("rate limiter", LIMITERS)
}
