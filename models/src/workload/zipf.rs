//! Truncated Zipf key popularity: sampling and exact per-key probabilities.
//!
//! Sampling uses `rand_distr`'s `Zipf` (rejection sampling against a continuous envelope, after
//! J. Crease, "Rejection sampling the Zipf distribution", 2020): O(1) expected time and memory
//! for any key count, with no table. Probabilities need the generalized harmonic number
//! `H(n, s) = sum_{k=1..n} k^-s`, summed exactly up to [`HARMONIC_EXACT_MAX`] terms and by the
//! Euler–Maclaurin formula above that (Abramowitz & Stegun, *Handbook of Mathematical
//! Functions*, 1964, 23.1.30).

use std::sync::OnceLock;

use rand_distr::Distribution as _;
use sim_core::SimRng;

/// Largest `n` for which `H(n, s)` is summed term by term (10^7 `powf` calls, ~0.1 s once);
/// above it the Euler–Maclaurin formula is used.
pub(super) const HARMONIC_EXACT_MAX: u64 = 10_000_000;

/// Terms summed exactly before the Euler–Maclaurin tail. With three correction terms the
/// remainder is below `|B_8|/8! * s(s+1)...(s+6) * m^(-s-7)`, about 1e-20 relative at
/// `m = 1000` for `s <= 3` (and it shrinks with `m` for any `s`).
const HARMONIC_HEAD: u64 = 1000;

/// Draws before a rank beyond `n` (possible only when `rand_distr`'s inverse envelope rounds up
/// to exactly `n`) is clamped to `n`; each draw does so with probability below 1e-15.
const ZIPF_ATTEMPTS_MAX: u32 = 16;

/// Zipf popularity over `n_keys` keys with exponent `s`: `P(key = k - 1) = k^-s / H(n, s)`.
#[derive(Clone, Debug)]
pub struct ZipfKeys {
    n_keys: u64,
    exponent: f64,
    sampler: rand_distr::Zipf<f64>,
    /// `H(n_keys, exponent)`, computed on the first call to `probability` so that samplers
    /// that never ask don't pay for the O(n) exact sum.
    normaliser: OnceLock<f64>,
}

impl PartialEq for ZipfKeys {
    /// Equal parameters; the sampler and the cached normaliser follow from them.
    fn eq(&self, other: &Self) -> bool {
        self.n_keys == other.n_keys && self.exponent.total_cmp(&other.exponent).is_eq()
    }
}

impl ZipfKeys {
    /// Zipf over `n_keys` (in 1..=2^53, checked by the caller) with exponent `s` (finite, >= 0).
    pub(super) fn new(n_keys: u64, exponent: f64) -> Self {
        assert!(n_keys >= 1);
        assert!(exponent >= 0.0 && exponent.is_finite());
        let sampler = rand_distr::Zipf::new(n_keys as f64, exponent)
            .expect("n_keys >= 1 and exponent >= 0 were checked");
        ZipfKeys {
            n_keys,
            exponent,
            sampler,
            normaliser: OnceLock::new(),
        }
    }

    /// Number of keys.
    pub fn n_keys(&self) -> u64 {
        self.n_keys
    }

    /// The exponent `s`.
    pub fn exponent(&self) -> f64 {
        self.exponent
    }

    /// A key id in `0..n_keys`; id `k - 1` has rank `k`, so id 0 is the hottest.
    pub(super) fn sample(&self, rng: &mut SimRng) -> u64 {
        let n = self.n_keys as f64;
        for _ in 0..ZIPF_ATTEMPTS_MAX {
            let rank = self.sampler.sample(rng);
            assert!(rank >= 1.0, "zipf rank {rank} < 1");
            if rank <= n {
                return rank as u64 - 1;
            }
        }
        self.n_keys - 1
    }

    /// `P(key)`; 0 for keys outside `0..n_keys`.
    pub(super) fn probability(&self, key: u64) -> f64 {
        if key >= self.n_keys {
            return 0.0;
        }
        let normaliser = *self
            .normaliser
            .get_or_init(|| harmonic(self.n_keys, self.exponent));
        ((key + 1) as f64).powf(-self.exponent) / normaliser
    }
}

/// The generalized harmonic number `H(n, s) = sum_{k=1..n} k^-s`: exact summation (smallest
/// terms first) for `n <= HARMONIC_EXACT_MAX`, else [`harmonic_euler_maclaurin`].
pub(super) fn harmonic(n: u64, s: f64) -> f64 {
    if n <= HARMONIC_EXACT_MAX {
        harmonic_exact(n, s)
    } else {
        harmonic_euler_maclaurin(n, s)
    }
}

/// `sum_{k=1..n} k^-s`, adding the smallest terms first to limit rounding error.
fn harmonic_exact(n: u64, s: f64) -> f64 {
    (1..=n).rev().map(|k| (k as f64).powf(-s)).sum()
}

/// `H(n, s)` as the exact sum of the first `HARMONIC_HEAD - 1` terms plus the Euler–Maclaurin
/// expansion of the rest (A&S 23.1.30 with `f(x) = x^-s` on `[m, n]`):
/// `integral + (f(m) + f(n))/2 + sum_j B_2j/(2j)! (f^(2j-1)(n) - f^(2j-1)(m))`, j = 1..3.
/// Relative error below 1e-12 against the exact sum (tested) for `n > HARMONIC_HEAD`.
pub(super) fn harmonic_euler_maclaurin(n: u64, s: f64) -> f64 {
    assert!(
        n > HARMONIC_HEAD,
        "euler-maclaurin needs n > {HARMONIC_HEAD}, got {n}"
    );
    let head: f64 = (1..HARMONIC_HEAD).rev().map(|k| (k as f64).powf(-s)).sum();
    let (m, n) = (HARMONIC_HEAD as f64, n as f64);
    // integral of x^-s over [m, n] = m^(1-s) * ln(n/m) * exprel((1-s) ln(n/m)), which is
    // ln(n/m) at s = 1 and has no cancellation near it.
    let log_ratio = (n / m).ln();
    let integral = m.powf(1.0 - s) * log_ratio * exprel((1.0 - s) * log_ratio);
    let f = |x: f64| x.powf(-s);
    // d^j/dx^j x^-s = (-1)^j s(s+1)...(s+j-1) x^(-s-j); only odd j appear.
    let derivative = |order: i32, x: f64| {
        let rising: f64 = (0..order).map(|i| s + f64::from(i)).product();
        -rising * x.powf(-s - f64::from(order))
    };
    // B_2/2! = 1/12, B_4/4! = -1/720, B_6/6! = 1/30240.
    let corrections = [(1, 1.0 / 12.0), (3, -1.0 / 720.0), (5, 1.0 / 30240.0)]
        .iter()
        .map(|&(order, weight)| weight * (derivative(order, n) - derivative(order, m)))
        .sum::<f64>();
    head + integral + (f(m) + f(n)) / 2.0 + corrections
}

/// `(e^z - 1) / z`, and its limit 1 at `z = 0`, accurately for small `z`.
fn exprel(z: f64) -> f64 {
    if z.abs() < 1e-8 {
        1.0 + z / 2.0
    } else {
        z.exp_m1() / z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the Euler–Maclaurin H(n, s) matches the exact sum to 1e-12 relative, across
    // exponents including 0 (H = n) and 1 (the classic harmonic number), and at the switch
    // point. Method: compare both at n = 10^5 and n = 1001 (the smallest allowed).
    #[test]
    fn euler_maclaurin_matches_exact_sum() {
        for s in [
            0.0,
            0.3,
            0.5,
            0.99,
            1.0,
            1.0 + 1e-9,
            1.01,
            1.5,
            2.0,
            3.0,
            7.0,
        ] {
            for n in [HARMONIC_HEAD + 1, 100_000] {
                let exact = harmonic_exact(n, s);
                let approx = harmonic_euler_maclaurin(n, s);
                let relative = ((approx - exact) / exact).abs();
                assert!(relative < 1e-12, "s = {s}, n = {n}: {approx} vs {exact}");
            }
        }
        // H(n, 0) = n, and H(10, 1) = 7381/2520.
        assert!((harmonic(10, 0.0) - 10.0).abs() < 1e-12);
        assert!((harmonic(10, 1.0) - 7381.0 / 2520.0).abs() < 1e-12);
    }

    // Goal: probabilities over all keys sum to 1, key 0 is the hottest, and keys outside the
    // range have probability 0.
    #[test]
    fn probabilities_are_a_distribution() {
        let zipf = ZipfKeys::new(1000, 0.99);
        let total: f64 = (0..1000).map(|key| zipf.probability(key)).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert!(zipf.probability(0) > zipf.probability(1));
        assert!(zipf.probability(1000) <= 0.0);
    }
}
