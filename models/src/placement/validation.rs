//! Validation against theory (documented in `docs/validation.md`, section "Placement").

use sim_core::NodeId;

use super::*;
use crate::workload::KeyId;

/// Excess kurtosis of Beta(a, b).
fn beta_excess_kurtosis(a: f64, b: f64) -> f64 {
    let numerator = 6.0 * ((a - b).powi(2) * (a + b + 1.0) - a * b * (a + b + 2.0));
    numerator / (a * b * (a + b + 2.0) * (a + b + 3.0))
}

// Goal: the ring's load spread against its exact law. With n equal nodes and V vnodes each, the
// n·V points are (as hashes) uniform on the circle, the arcs between them are the spacings of
// n·V uniform points, Dirichlet(1, ..., 1), and a node's share, the sum of V of them, is
// Beta(V, (n − 1)V): mean 1/n, coefficient of variation CV = sqrt((n − 1)/(nV + 1)), about
// 1/sqrt(V). Method: exact arc shares (no key sampling) for n = 100 nodes over S seeds; the
// estimator mean((share − 1/n)^2) over the n·S shares has relative standard deviation
// sqrt((κ − 1)/(nS)) with κ the Beta's kurtosis (independent shares; the sum-to-one
// constraint only lowers it), so the CV estimate's is half that; we allow 5 of those.
#[test]
fn ring_spread_matches_beta_law() {
    let n = 100u32;
    for (vnodes, n_seeds) in [(1u32, 40u64), (10, 40), (100, 20), (1000, 5)] {
        let mut squares = 0.0;
        for seed in 0..n_seeds {
            let ring = ConsistentHashRing::new(&equal_members(n), vnodes, seed).unwrap();
            for (_, share) in ring.shares() {
                squares += (share - 1.0 / f64::from(n)).powi(2);
            }
        }
        let n_shares = f64::from(n) * n_seeds as f64;
        let cv_measured = (squares / n_shares).sqrt() * f64::from(n);
        let (a, b) = (f64::from(vnodes), f64::from((n - 1) * vnodes));
        let cv_theory = ((f64::from(n) - 1.0) / (f64::from(n) * a + 1.0)).sqrt();
        let kurtosis = 3.0 + beta_excess_kurtosis(a, b);
        let tolerance = 5.0 * 0.5 * ((kurtosis - 1.0) / n_shares).sqrt();
        let relative_error = cv_measured / cv_theory - 1.0;
        eprintln!(
            "ring V={vnodes}: CV {cv_measured:.4} theory {cv_theory:.4} 1/sqrt(V) {:.4} \
             error {relative_error:+.3} tolerance {tolerance:.3}",
            1.0 / a.sqrt()
        );
        assert!(relative_error.abs() <= tolerance, "V = {vnodes}");
    }
}

/// Mean fraction of `N_KEYS` keys moved when `NodeId(n)` joins `n` nodes, over `n_seeds`.
fn mean_moved_on_join(spec: &PlacementSpec, n: u32, n_keys: u64, n_seeds: u64) -> f64 {
    let mut moved = 0.0;
    for seed in 0..n_seeds {
        let before = spec.build_seeded(&equal_members(n), seed).unwrap();
        let mut after = spec.build_seeded(&equal_members(n), seed).unwrap();
        after.add_node(NodeId(n), 1.0);
        moved += moved_keys(&*before, &*after, (0..n_keys).map(KeyId)).fraction();
    }
    moved / n_seeds as f64
}

// Goal: keys moved on a join: 1/(n+1) for consistent schemes, n/(n+1) for modulo (a key stays
// iff h mod n = h mod (n+1), i.e. h mod n(n+1) < n, probability 1/(n+1)). Method: K keys, S
// seeds. Jump, rendezvous and modulo move each key independently with the stated probability
// p, so the mean fraction has sd sqrt(p(1 − p)/(KS)). On the ring the joiner's share is itself
// random, Beta(V, nV) with variance p²·n/((n+1)V + 1), so the sd adds that over S. Tolerance:
// 5 sd.
#[test]
fn keys_moved_on_join_match_theory() {
    let (n_keys, n_seeds) = (20_000u64, 10u64);
    let samples = (n_keys * n_seeds) as f64;
    for n in [10u32, 50] {
        let p = 1.0 / f64::from(n + 1);
        let binomial_var = p * (1.0 - p) / samples;
        let vnodes = 100.0;
        let share_var = p * p * f64::from(n) / (f64::from(n + 1) * vnodes + 1.0);
        let cases = [
            (
                PlacementSpec::ring(100),
                p,
                binomial_var + share_var / n_seeds as f64,
            ),
            (PlacementSpec::jump(), p, binomial_var),
            (PlacementSpec::rendezvous(), p, binomial_var),
            (PlacementSpec::modulo(), 1.0 - p, binomial_var),
        ];
        for (spec, expected, variance) in cases {
            let measured = mean_moved_on_join(&spec, n, n_keys, n_seeds);
            let tolerance = 5.0 * variance.sqrt();
            eprintln!(
                "join n={n} {}: moved {measured:.4} theory {expected:.4} +- {tolerance:.4}",
                spec.name()
            );
            assert!(
                (measured - expected).abs() <= tolerance,
                "{} n = {n}",
                spec.name()
            );
        }
    }
}

/// `P(Binomial(m, q) >= i)` for `i = 0..=i_max`.
fn binomial_tails(m: u64, q: f64, i_max: usize) -> Vec<f64> {
    let mut pmf = (1.0 - q).powf(m as f64);
    let mut below = 0.0;
    let mut tails = Vec::new();
    for i in 0..=i_max {
        tails.push(1.0 - below);
        below += pmf;
        pmf *= (m - i as u64) as f64 / (i as f64 + 1.0) * q / (1.0 - q);
    }
    tails
}

/// The fluid limit of d-choice balls into bins at time `c = m/n` (Mitzenmacher, Richa &
/// Sitaraman, "The power of two random choices: a survey", 2001, §3.1): the fraction `s_i` of
/// bins with load >= i solves `ds_i/dt = s_{i−1}^d − s_i^d`, `s_0 = 1`. RK4, 10^4 steps.
fn fluid_tails(d: i32, c: f64, i_max: usize) -> Vec<f64> {
    let derivative = |s: &[f64]| -> Vec<f64> {
        (0..s.len())
            .map(|i| {
                if i == 0 {
                    0.0
                } else {
                    s[i - 1].powi(d) - s[i].powi(d)
                }
            })
            .collect()
    };
    let mut s = vec![0.0; i_max + 1];
    s[0] = 1.0;
    let steps = 10_000;
    let h = c / f64::from(steps);
    for _ in 0..steps {
        let shifted = |k: &[f64], scale: f64| -> Vec<f64> {
            s.iter().zip(k).map(|(x, dx)| x + scale * dx).collect()
        };
        let k1 = derivative(&s);
        let k2 = derivative(&shifted(&k1, h / 2.0));
        let k3 = derivative(&shifted(&k2, h / 2.0));
        let k4 = derivative(&shifted(&k3, h));
        for i in 0..s.len() {
            s[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }
    s
}

/// ln Γ(x) for x >= 5 by Stirling's series to the x^-5 term (error < 1e-8 there).
fn ln_gamma(x: f64) -> f64 {
    assert!(x >= 5.0);
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x.powi(3))
        + 1.0 / (1260.0 * x.powi(5))
}

/// Γ^{-1}(y) for y >= 24 (= Γ(5)), by bisection on ln Γ.
fn inverse_gamma(y: f64) -> f64 {
    let (mut low, mut high) = (5.0, 100.0);
    for _ in 0..100 {
        let middle = 0.5 * (low + high);
        if ln_gamma(middle) < y.ln() {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

// Goal: balls into bins with m = n balls, random (one choice) versus power of two choices.
// Method: for n = 10^3, 10^4, 10^5 over S seeds:
// - the fraction of bins with load >= i is exactly P(Binomial(n, 1/n) >= i) in expectation for
//   one choice, and follows the fluid limit s_i(1) (Kurtz's theorem) for two; the standard
//   deviation of a fraction is at most sqrt(s(1 − s)/(nS)) (bin loads are negatively
//   associated), and the fluid limit has an O(1/n) bias, so the tolerance is 5 sd + 1/n;
// - the maximum load: one choice's E[max] = Γ^{-1}(n) − 3/2 + o(1) (Gonnet, "Expected length of
//   the longest probe sequence in hash code searching", JACM 1981), which grows as
//   ln n / ln ln n; two choices' max is ln ln n / ln 2 + O(1) (Azar et al. 1999). Neither o(1)
//   nor O(1) is quantified, so these bands (±1 around each) are sanity bounds, not derived
//   tolerances; the derived check is the tail fractions above.
#[test]
fn balls_into_bins_random_vs_two_choices() {
    for (n, n_seeds) in [(1_000u32, 40u64), (10_000, 10), (100_000, 3)] {
        let i_max = 4;
        let one_theory = binomial_tails(u64::from(n), 1.0 / f64::from(n), i_max);
        let two_theory = fluid_tails(2, 1.0, i_max);
        let mut one_at_least = vec![0.0; i_max + 1];
        let mut two_at_least = vec![0.0; i_max + 1];
        let (mut one_max, mut two_max) = (0.0, 0.0);
        for seed in 0..n_seeds {
            for (choices, at_least, max) in [
                (1, &mut one_at_least, &mut one_max),
                (2, &mut two_at_least, &mut two_max),
            ] {
                let loads = balls_into_bins(n, u64::from(n), choices, seed);
                for (i, fraction) in at_least.iter_mut().enumerate() {
                    let count = loads.iter().filter(|&&load| load >= i as u64).count();
                    *fraction += count as f64 / f64::from(n) / n_seeds as f64;
                }
                *max += *loads.iter().max().unwrap() as f64 / n_seeds as f64;
            }
        }
        let samples = f64::from(n) * n_seeds as f64;
        for i in 1..=i_max {
            for (label, measured, theory) in [
                ("one", one_at_least[i], one_theory[i]),
                ("two", two_at_least[i], two_theory[i]),
            ] {
                let tolerance =
                    5.0 * (theory * (1.0 - theory) / samples).sqrt() + 1.0 / f64::from(n);
                assert!(
                    (measured - theory).abs() <= tolerance,
                    "n {n} {label} choice(s), load >= {i}: {measured:.5} vs {theory:.5} +- {tolerance:.5}"
                );
            }
        }
        let ln_n = f64::from(n).ln();
        let gonnet = inverse_gamma(f64::from(n)) - 1.5;
        let azar = ln_n.ln() / 2f64.ln();
        eprintln!(
            "n={n}: one-choice max {one_max:.2} (gonnet {gonnet:.2}, ln n/ln ln n {:.2}), \
             two-choice max {two_max:.2} (ln ln n/ln 2 {azar:.2}); s_i one {:.4?} two {:.4?}",
            ln_n / ln_n.ln(),
            &one_at_least[1..],
            &two_at_least[1..]
        );
        assert!(
            (one_max - gonnet).abs() <= 1.0,
            "n {n}: one-choice max {one_max}"
        );
        assert!(
            (two_max - azar).abs() <= 1.0,
            "n {n}: two-choice max {two_max}"
        );
        assert!(
            two_max < one_max - 1.0,
            "n {n}: two choices must beat one by more than 1"
        );
    }
}
