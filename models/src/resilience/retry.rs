//! Retries: how many, on what, after how long ([`RetryPolicy`]), and how many a client may
//! spend ([`RetryBudget`]).

use rand::Rng;
use sim_core::{Outcome, SimDuration};

/// How a backoff is randomised (Brooker, AWS Architecture Blog, 2015), for retry `n` (the
/// first retry is `n = 1`) whose plain exponential backoff is
/// `e(n) = min(cap, base · multiplier^(n−1))`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// `e(n)` exactly: every client that failed together retries together.
    None,
    /// Uniform on `[0, e(n)]`.
    Full,
    /// `e(n)/2` plus uniform on `[0, e(n)/2]`.
    Equal,
    /// `min(cap, uniform on [base, 3 · previous])`, the previous sleep starting at `base`: it
    /// grows from the last delay drawn rather than from the retry count.
    Decorrelated,
}

/// Names and descriptions of the jitters, for scenario files, `distsim list` and "did you
/// mean".
pub const JITTERS: &[(&str, &str, Jitter)] = &[
    (
        "none",
        "exactly base x multiplier^(n-1), capped: clients that failed together retry together",
        Jitter::None,
    ),
    (
        "full",
        "uniform between 0 and the capped exponential backoff",
        Jitter::Full,
    ),
    (
        "equal",
        "half the capped exponential backoff plus uniform on the other half",
        Jitter::Equal,
    ),
    (
        "decorrelated",
        "uniform between base and 3x the previous delay, capped",
        Jitter::Decorrelated,
    ),
];

impl Jitter {
    /// The jitter named `name` (exactly, as [`JITTERS`] spells it).
    pub fn from_name(name: &str) -> Option<Jitter> {
        JITTERS.iter().find(|(n, _, _)| *n == name).map(|r| r.2)
    }

    /// Its name in [`JITTERS`].
    pub fn name(self) -> &'static str {
        JITTERS
            .iter()
            .find(|r| r.2 == self)
            .map(|r| r.0)
            .expect("every jitter has a row")
    }
}

/// Which failures a policy retries, as a set of [`Outcome`]s (timeout, rejected, error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryOn(u8);

impl RetryOn {
    /// Every failure a retry can help with: timeouts, rejections (busy, rate limited) and
    /// errors (unavailable).
    pub const FAILURES: RetryOn = RetryOn(
        1 << Outcome::Timeout as u8 | 1 << Outcome::Rejected as u8 | 1 << Outcome::Error as u8,
    );

    /// Only these outcomes; `None` if one of them is not a failure a retry could repair (ok,
    /// miss, lost).
    pub fn of(outcomes: &[Outcome]) -> Option<RetryOn> {
        let mut bits = 0;
        for outcome in outcomes {
            if !matches!(
                outcome,
                Outcome::Timeout | Outcome::Rejected | Outcome::Error
            ) {
                return None;
            }
            bits |= 1 << *outcome as u8;
        }
        Some(RetryOn(bits))
    }

    /// Whether a request that ended in `outcome` is retried.
    pub fn contains(self, outcome: Outcome) -> bool {
        self.0 & (1 << outcome as u8) != 0
    }
}

/// How a client retries a failed request: attempts, the failures retried, and the backoff.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    attempts: u32,
    on: RetryOn,
    base: SimDuration,
    multiplier: f64,
    cap: SimDuration,
    jitter: Jitter,
}

/// Why a [`RetryPolicy`] cannot be built.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum RetryError {
    /// `attempts` is 0: a request is tried at least once.
    #[error("attempts must be at least 1 (the first try)")]
    NoAttempts,
    /// The multiplier is below 1 or not finite.
    #[error("multiplier must be a finite number of at least 1, got {0}")]
    Multiplier(f64),
    /// The cap is below the base.
    #[error("cap must be at least base")]
    CapBelowBase,
}

impl RetryPolicy {
    /// At most `attempts` tries (the first included; `u32::MAX` for no limit), retrying the
    /// failures in `on`; retry `n` waits `min(cap, base · multiplier^(n−1))`, randomised by
    /// `jitter`.
    pub fn new(
        attempts: u32,
        on: RetryOn,
        base: SimDuration,
        multiplier: f64,
        cap: SimDuration,
        jitter: Jitter,
    ) -> Result<RetryPolicy, RetryError> {
        if attempts == 0 {
            return Err(RetryError::NoAttempts);
        }
        if !multiplier.is_finite() || multiplier < 1.0 {
            return Err(RetryError::Multiplier(multiplier));
        }
        if cap < base {
            return Err(RetryError::CapBelowBase);
        }
        Ok(RetryPolicy {
            attempts,
            on,
            base,
            multiplier,
            cap,
            jitter,
        })
    }

    /// The most tries per request, the first included (`u32::MAX`: unbounded).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Its jitter.
    pub fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// Whether a request whose `tried`-th attempt ended in `outcome` may be tried again.
    pub fn retries(&self, outcome: Outcome, tried: u32) -> bool {
        self.on.contains(outcome) && tried < self.attempts
    }

    /// The plain exponential backoff of retry `n` (from 1): `min(cap, base · multiplier^(n−1))`.
    pub fn exponential(&self, n: u32) -> SimDuration {
        let exponent = n.saturating_sub(1).min(i32::MAX as u32) as i32;
        let grown = self.base.as_nanos() as f64 * self.multiplier.powi(exponent);
        SimDuration::from_nanos_f64(grown).min(self.cap)
    }

    /// How long retry `n` (from 1) waits, `previous` being the delay before the retry before
    /// it (`base` for the first), drawn from `rng` when jittered.
    pub fn delay(&self, n: u32, previous: SimDuration, rng: &mut impl Rng) -> SimDuration {
        let uniform = |rng: &mut _, low: u64, high: u64| {
            SimDuration::from_nanos(if high <= low {
                low
            } else {
                Rng::random_range(rng, low..=high)
            })
        };
        match self.jitter {
            Jitter::None => self.exponential(n),
            Jitter::Full => uniform(rng, 0, self.exponential(n).as_nanos()),
            Jitter::Equal => {
                let e = self.exponential(n).as_nanos();
                let half = e / 2;
                SimDuration::from_nanos(half) + uniform(rng, 0, e - half)
            }
            Jitter::Decorrelated => {
                let base = self.base.as_nanos();
                let high = previous.as_nanos().max(base).saturating_mul(3);
                uniform(rng, base, high).min(self.cap)
            }
        }
    }

    /// The delay before the first retry's predecessor, for [`RetryPolicy::delay`]'s
    /// `previous`: the base.
    pub fn base(&self) -> SimDuration {
        self.base
    }
}

/// A per-client retry budget: each request deposits `ratio` of a retry, each retry spends
/// one, and at most `burst` retries are in hand (the bucket starts full). Over a long outage a
/// client retries at most `ratio` × its requests, plus the burst. Kept in millionths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryBudget {
    ratio_ppm: u64,
    burst_ppm: u64,
    balance_ppm: u64,
}

/// One retry, in the budget's millionths.
const ONE: u64 = 1_000_000;

impl RetryBudget {
    /// `ratio` of a retry per request (from 0 to 1), at most `burst` retries in hand (at
    /// least 1, or no deposit could ever make a whole retry); `None` if the ratio is outside
    /// [0, 1] (or not a number) or the burst is 0.
    pub fn new(ratio: f64, burst: u32) -> Option<RetryBudget> {
        if !(0.0..=1.0).contains(&ratio) || burst == 0 {
            return None;
        }
        let burst_ppm = u64::from(burst) * ONE;
        Some(RetryBudget {
            ratio_ppm: (ratio * ONE as f64).round() as u64,
            burst_ppm,
            balance_ppm: burst_ppm,
        })
    }

    /// A request was sent: deposit its share of a retry.
    pub fn deposit(&mut self) {
        self.balance_ppm = (self.balance_ppm + self.ratio_ppm).min(self.burst_ppm);
    }

    /// Spends a retry if one is in hand; `false` (the retry is denied) if not.
    pub fn withdraw(&mut self) -> bool {
        match self.balance_ppm.checked_sub(ONE) {
            Some(left) => {
                self.balance_ppm = left;
                true
            }
            None => false,
        }
    }

    /// Retries in hand, in millionths.
    pub fn balance_ppm(&self) -> u64 {
        self.balance_ppm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng;
    use proptest::prelude::*;

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    fn policy(jitter: Jitter) -> RetryPolicy {
        RetryPolicy::new(10, RetryOn::FAILURES, ms(100), 2.0, ms(1_000), jitter).unwrap()
    }

    // Goal: the plain backoff doubles from the base and stops at the cap (Brooker's
    // "exponential" curve: 100, 200, 400, 800, then 1000 ms).
    #[test]
    fn exponential_backoff_doubles_to_the_cap() {
        let p = policy(Jitter::None);
        let delays: Vec<u64> = (1..=6)
            .map(|n| p.exponential(n).as_nanos() / 1_000_000)
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1_000, 1_000]);
        let mut rng = test_rng(1);
        assert_eq!(p.delay(3, p.base(), &mut rng), ms(400));
        assert_eq!(p.exponential(u32::MAX), ms(1_000), "no overflow at any n");
    }

    // Goal: a policy retries only the failures it names, and only while attempts are left.
    #[test]
    fn a_policy_retries_what_it_names_while_attempts_remain() {
        let on = RetryOn::of(&[Outcome::Timeout]).unwrap();
        let p = RetryPolicy::new(3, on, ms(0), 1.0, ms(0), Jitter::None).unwrap();
        assert!(p.retries(Outcome::Timeout, 1));
        assert!(p.retries(Outcome::Timeout, 2));
        assert!(
            !p.retries(Outcome::Timeout, 3),
            "the third try was the last"
        );
        assert!(!p.retries(Outcome::Rejected, 1));
        assert_eq!(RetryOn::of(&[Outcome::Ok]), None);
        assert!(RetryOn::FAILURES.contains(Outcome::Error));
        assert!(!RetryOn::FAILURES.contains(Outcome::Lost));
    }

    // Goal: bad parameters are refused with what is valid.
    #[test]
    fn bad_parameters_are_refused() {
        let on = RetryOn::FAILURES;
        let bad = |a, m, base, cap| RetryPolicy::new(a, on, ms(base), m, ms(cap), Jitter::Full);
        assert_eq!(bad(0, 2.0, 1, 2), Err(RetryError::NoAttempts));
        assert_eq!(bad(3, 0.5, 1, 2), Err(RetryError::Multiplier(0.5)));
        assert!(matches!(
            bad(3, f64::NAN, 1, 2),
            Err(RetryError::Multiplier(_))
        ));
        assert_eq!(bad(3, 2.0, 5, 2), Err(RetryError::CapBelowBase));
        assert_eq!(RetryBudget::new(1.5, 10), None);
        assert_eq!(RetryBudget::new(-0.1, 10), None);
        assert_eq!(RetryBudget::new(f64::NAN, 10), None);
        assert_eq!(RetryBudget::new(0.1, 0), None);
        assert_eq!(Jitter::from_name("full"), Some(Jitter::Full));
        assert_eq!(Jitter::from_name("ful"), None);
        for (name, _, jitter) in JITTERS {
            assert_eq!(jitter.name(), *name);
        }
    }

    // Goal: full and equal jitter have the means their definitions give, e(n)/2 and 3e(n)/4
    // (uniform draws; the tolerance is 4 standard errors of the mean of 20,000 draws, the
    // uniform on [0, e] having standard deviation e/√12).
    #[test]
    fn jittered_means_follow_their_definitions() {
        let mut rng = test_rng(7);
        let n = 20_000;
        for (jitter, mean_fraction, width) in [(Jitter::Full, 0.5, 1.0), (Jitter::Equal, 0.75, 0.5)]
        {
            let p = policy(jitter);
            let e = p.exponential(3).as_nanos() as f64;
            let mean = (0..n)
                .map(|_| p.delay(3, p.base(), &mut rng).as_nanos() as f64)
                .sum::<f64>()
                / n as f64;
            let tolerance = 4.0 * width * e / 12f64.sqrt() / (n as f64).sqrt();
            assert!(
                (mean - mean_fraction * e).abs() < tolerance,
                "{jitter:?}: mean {mean} vs {}",
                mean_fraction * e
            );
        }
    }

    proptest! {
        // Goal: every jittered delay lies where its definition puts it.
        #[test]
        fn delays_stay_within_their_bounds(seed in any::<u64>(), n in 1u32..40, previous in 0u64..5_000_000_000) {
            let mut rng = test_rng(seed);
            let previous = SimDuration::from_nanos(previous);
            for jitter in [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
                let p = policy(jitter);
                let e = p.exponential(n);
                let d = p.delay(n, previous, &mut rng);
                match jitter {
                    Jitter::None => prop_assert_eq!(d, e),
                    Jitter::Full => prop_assert!(d <= e),
                    Jitter::Equal => prop_assert!(d >= SimDuration::from_nanos(e.as_nanos() / 2) && d <= e),
                    Jitter::Decorrelated => {
                        prop_assert!(d <= ms(1_000));
                        let high = previous.max(ms(100)).as_nanos() * 3;
                        prop_assert!(d >= ms(100).min(ms(1_000)) && d.as_nanos() <= high);
                    }
                }
            }
        }

        // Goal: a budget never lets more retries through than `burst + ratio × requests`,
        // whatever the order of requests and retries.
        #[test]
        fn a_budget_bounds_retries(ops in proptest::collection::vec(any::<bool>(), 0..500), ratio in 0.0f64..=1.0, burst in 1u32..20) {
            let mut budget = RetryBudget::new(ratio, burst).unwrap();
            let (mut requests, mut retries) = (0u64, 0u64);
            for is_request in ops {
                if is_request {
                    requests += 1;
                    budget.deposit();
                } else if budget.withdraw() {
                    retries += 1;
                }
            }
            let bound = f64::from(burst) + ratio * requests as f64;
            prop_assert!(retries as f64 <= bound + 1e-9, "{retries} retries > {bound}");
        }
    }

    // Goal: in a long outage, a 10% budget lets one retry through per ten requests.
    #[test]
    fn a_ten_percent_budget_allows_one_retry_in_ten() {
        let mut budget = RetryBudget::new(0.1, 1).unwrap();
        assert!(budget.withdraw(), "the bucket starts full");
        let mut allowed = 0;
        for _ in 0..1_000 {
            budget.deposit();
            allowed += u32::from(budget.withdraw());
        }
        assert_eq!(allowed, 100);
    }
}
