//! Validation against theory under the independent reference model (IRM: each request picks
//! key `i` with probability `p_i`, independently; here Zipf). Documented in
//! `docs/validation.md`, section "Caches".
//!
//! Each test compares a measured hit ratio with an exact value, so the tolerance is purely
//! statistical plus a computed numerical-integration error, never an approximation's:
//!
//! - The measured hit ratio is the mean of `B` batch means after a warm-up; its standard
//!   error is `sd(batch means) / sqrt(B)` (the batch-means method; e.g. Law & Kelton,
//!   *Simulation Modeling and Analysis*, §9.5.3), valid because a batch (75 000 requests) is
//!   hundreds of times longer than the hit process's correlation time (about one
//!   characteristic time, a few hundred requests here). We allow 5 standard errors: a
//!   t-distributed deviation with 19 degrees of freedom exceeds 5 with probability < 1e-4.
//! - LRU's exact hit ratio comes from the Poisson embedding (Fagin, "Asymptotic miss ratios
//!   over independent references", JCSS 1977; Flajolet, Gardy & Thimonier, "Birthday
//!   paradox, coupon collectors, caching algorithms and self-organizing search", Discrete
//!   Applied Mathematics 1992): let each key's requests be a Poisson process of rate `p_j`;
//!   a request for `i` hits iff fewer than `C` other keys were requested since `i`'s previous
//!   request, `Exp(p_i)` ago, so `H = sum_i p_i int_0^inf p_i e^{-p_i t} P(N_{-i}(t) <= C-1)
//!   dt`, where `N_{-i}(t)` counts keys `j != i` requested in `t` (independent Bernoullis
//!   with `1 - e^{-p_j t}`). We integrate numerically (Simpson on a log grid) and bound the
//!   numerical error by comparing two grids. Che's approximation (Che, Tung & Wang, IEEE
//!   JSAC 2002), which replaces `N_{-i}(t)` by its mean, is printed beside it; Fricker,
//!   Robert & Roberts (ITC 2012) explain why it is so close.
//! - FIFO and Random share an exact product-form law (Gelenbe, "A unified approach to the
//!   evaluation of a class of replacement algorithms", IEEE Trans. Computers 1973; King
//!   1971): the cache holds set `S`, `|S| = C`, with probability proportional to
//!   `prod_{i in S} p_i`. With `x_i = p_i T` and `q_i = x_i / (1 + x_i)`, this gives
//!   `P(i in S) = q_i P(K_{-i} = C-1) / P(K = C)`, `K` a sum of independent `Bernoulli(q_j)`;
//!   choosing `T` so that `sum q_i = C` keeps the numbers well scaled, and `q_i` itself is
//!   the Che-like approximation of Martina, Garetto & Leonardi ("A unified approach to the
//!   performance analysis of caching systems", INFOCOM 2014), printed beside the exact value.
//! - In-cache LFU under IRM freezes a set `E` of `C - 1` objects whose counts nobody can
//!   catch, plus one slot holding the last missed key; given `E` its hit ratio is exactly
//!   `sum_{E} p + sum_{j not in E} p_j^2 / sum_{j not in E} p_j` (the slot's content is a
//!   Markov chain with stationary law proportional to `p_j`). With `E` the top `C - 1` keys
//!   this is Aho, Denning & Ullman's A0 ("Principles of optimal page replacement", JACM
//!   1971), optimal among demand policies; the static optimum (top `C` keys) is printed too.

use sim_core::rng::{stream, StreamKind, StreamLabel};

use super::tests::test_rng;
use super::*;
use crate::workload::KeyPopularity;

/// Batches per measurement.
const N_BATCHES: usize = 20;
/// Requests per batch: hundreds of characteristic times of the caches below.
const BATCH_LEN: u64 = 75_000;
/// Requests before measuring: enough to reach the stationary regime from an empty cache
/// (dozens of characteristic times; LFU needs its entrenchment, a few thousand misses).
const WARMUP: u64 = 200_000;
/// Standard errors allowed.
const N_SIGMA: f64 = 5.0;

/// Zipf probabilities `p_0 >= p_1 >= ...` from the workload's own law.
fn zipf_probabilities(n_keys: u64, exponent: f64) -> Vec<f64> {
    let keys = KeyPopularity::zipf(n_keys, exponent).expect("valid zipf");
    (0..n_keys)
        .map(|key| {
            keys.probability(KeyId(key))
                .expect("zipf has a closed form")
        })
        .collect()
}

/// A hit ratio measured by batch means.
#[derive(Debug)]
struct Measured {
    hit_ratio: f64,
    standard_error: f64,
}

/// Runs `WARMUP` then `N_BATCHES x BATCH_LEN` Zipf requests (size 1) through `cache`;
/// `after_warmup` sees the cache between the two.
fn measure(
    cache: &mut dyn CachePolicy,
    n_keys: u64,
    exponent: f64,
    seed: u64,
    mut after_warmup: impl FnMut(&dyn CachePolicy),
) -> Measured {
    let mut keys = KeyPopularity::zipf(n_keys, exponent).expect("valid zipf");
    let mut rng = stream(seed, StreamLabel::new(StreamKind::Workload, 0));
    for _ in 0..WARMUP {
        cache.request(&CacheRequest::new(keys.sample(&mut rng), 1));
    }
    after_warmup(cache);
    let batches: Vec<f64> = (0..N_BATCHES)
        .map(|_| {
            let hits = (0..BATCH_LEN)
                .filter(|_| {
                    let key = keys.sample(&mut rng);
                    cache.request(&CacheRequest::new(key, 1)).is_hit()
                })
                .count();
            hits as f64 / BATCH_LEN as f64
        })
        .collect();
    cache.check_invariants();
    let n = N_BATCHES as f64;
    let mean = batches.iter().sum::<f64>() / n;
    let variance = batches.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Measured {
        hit_ratio: mean,
        standard_error: (variance / n).sqrt(),
    }
}

/// The `T` with `sum_i g(p_i T) = target` for an increasing `g` with `g(0) = 0`, by bisection.
fn solve_time(p: &[f64], target: f64, g: impl Fn(f64) -> f64) -> f64 {
    let total = |t: f64| p.iter().map(|&p| g(p * t)).sum::<f64>();
    let mut high = 1.0;
    while total(high) < target {
        high *= 2.0;
    }
    let mut low = 0.0;
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if total(middle) < target {
            low = middle;
        } else {
            high = middle;
        }
    }
    0.5 * (low + high)
}

/// Poisson-binomial pmfs of prefix sums: row `i` (of `q.len() + 1`) is the law of
/// `sum_{j < i} Bernoulli(q_j)` on `0..=top` (mass above `top` dropped, which leaves the
/// lower values exact). Flat, row-major.
fn prefix_pmfs(q: &[f64], top: usize) -> Vec<f64> {
    let width = top + 1;
    let mut rows = vec![0.0; (q.len() + 1) * width];
    rows[0] = 1.0;
    for (i, &q) in q.iter().enumerate() {
        let (done, next) = rows.split_at_mut((i + 1) * width);
        let row = &done[i * width..];
        let next = &mut next[..width];
        next[0] = row[0] * (1.0 - q);
        for k in 1..width {
            next[k] = row[k] * (1.0 - q) + row[k - 1] * q;
        }
    }
    rows
}

/// For each `i`, `sum_{a <= k} P(sum_{j < i} = a) P(sum_{j > i} = k - a)`, i.e. the law of
/// the sum over `j != i`, evaluated at `k` (if `cumulative` is false) or up to `k` (if
/// true), with `k <= top`.
fn leave_one_out(q: &[f64], top: usize, k: usize, cumulative: bool) -> Vec<f64> {
    let width = top + 1;
    let prefix = prefix_pmfs(q, top);
    let reversed: Vec<f64> = q.iter().rev().copied().collect();
    let suffix = prefix_pmfs(&reversed, top);
    (0..q.len())
        .map(|i| {
            let before = &prefix[i * width..(i + 1) * width];
            // Keys after i: the first n - 1 - i of the reversed order.
            let after_row = q.len() - 1 - i;
            let after = &suffix[after_row * width..(after_row + 1) * width];
            let mut total = 0.0;
            let mut after_cdf = 0.0;
            for a in 0..=k {
                if cumulative {
                    after_cdf += after[a];
                    total += before[k - a] * after_cdf;
                } else {
                    total += before[a] * after[k - a];
                }
            }
            total
        })
        .collect()
}

/// Simpson's rule for `int f(t) dt` over `[t_min, t_max]` on a grid even in `ln t`.
fn integrate_log(f: impl Fn(f64) -> f64, t_min: f64, t_max: f64, n_intervals: usize) -> f64 {
    assert!(n_intervals % 2 == 0);
    let (a, b) = (t_min.ln(), t_max.ln());
    let h = (b - a) / n_intervals as f64;
    let mut sum = 0.0;
    for k in 0..=n_intervals {
        let weight = match k {
            0 => 1.0,
            _ if k == n_intervals => 1.0,
            _ if k % 2 == 1 => 4.0,
            _ => 2.0,
        };
        let t = (a + h * k as f64).exp();
        sum += weight * f(t) * t;
    }
    sum * h / 3.0
}

/// LRU's exact IRM hit ratio for cache size `c` (see the module doc) and a bound on its
/// numerical error: the difference between two grids plus the mass cut off at both ends.
fn lru_exact(p: &[f64], c: usize) -> (f64, f64) {
    let integrand = |t: f64| {
        let q: Vec<f64> = p.iter().map(|&p| -(-p * t).exp_m1()).collect();
        let fits = leave_one_out(&q, c - 1, c - 1, true);
        p.iter()
            .zip(&fits)
            .map(|(&p, &fits)| p * p * (-p * t).exp() * fits)
            .sum::<f64>()
    };
    let che_time = solve_time(p, c as f64, |x| -(-x).exp_m1());
    let sum_p2: f64 = p.iter().map(|p| p * p).sum();
    // Below t_min the integrand is at most sum p_i^2; above t_max it is at most
    // max_i P(N_{-i}(t_max) <= C - 1) in total (the leave-one-out CDFs decrease in t).
    let (t_min, t_max) = (1e-7 / sum_p2, 40.0 * che_time);
    let head = t_min * sum_p2;
    let coarse = integrate_log(integrand, t_min, t_max, 200);
    let fine = integrate_log(integrand, t_min, t_max, 400);
    let q_end: Vec<f64> = p.iter().map(|&p| -(-p * t_max).exp_m1()).collect();
    let tail = leave_one_out(&q_end, c - 1, c - 1, true)
        .into_iter()
        .fold(0.0, f64::max);
    (head + fine, (fine - coarse).abs() + head + tail)
}

/// Che's approximation of LRU's hit ratio.
fn lru_che(p: &[f64], c: usize) -> f64 {
    let time = solve_time(p, c as f64, |x| -(-x).exp_m1());
    p.iter().map(|&p| p * -(-p * time).exp_m1()).sum()
}

/// FIFO's and Random's exact IRM hit ratio (product form) and the Che-like approximation.
fn fifo_exact(p: &[f64], c: usize) -> (f64, f64) {
    let time = solve_time(p, c as f64, |x| x / (1.0 + x));
    let q: Vec<f64> = p.iter().map(|&p| p * time / (1.0 + p * time)).collect();
    let all = prefix_pmfs(&q, c);
    let p_full = all[q.len() * (c + 1) + c];
    let others = leave_one_out(&q, c, c - 1, false);
    let inside: Vec<f64> = q.iter().zip(&others).map(|(q, o)| q * o / p_full).collect();
    let n_inside: f64 = inside.iter().sum();
    assert!((n_inside - c as f64).abs() < 1e-9, "occupancy {n_inside}");
    let exact = p.iter().zip(&inside).map(|(p, h)| p * h).sum();
    let approximate = p.iter().zip(&q).map(|(p, q)| p * q).sum();
    (exact, approximate)
}

/// Asserts `measured` is within `N_SIGMA` standard errors plus `numerical` of `exact`.
#[track_caller]
fn check(name: &str, measured: &Measured, exact: f64, numerical: f64) {
    let tolerance = N_SIGMA * measured.standard_error + numerical;
    let error = measured.hit_ratio - exact;
    eprintln!(
        "{name}: hit ratio {:.5} exact {exact:.5} error {error:+.5} tolerance {tolerance:.5} \
         (se {:.5}, numerical {numerical:.1e})",
        measured.hit_ratio, measured.standard_error
    );
    assert!(error.abs() <= tolerance, "{name}");
}

// Goal: LRU against its exact IRM hit ratio. Method: Zipf(0.8) over 1000 keys, C = 100;
// the exact value by numerical integration of the Poisson embedding (module doc), with its
// numerical error bound added to the statistical tolerance; Che's approximation printed.
#[test]
fn lru_matches_exact_irm_hit_ratio() {
    let (n_keys, exponent, capacity) = (1000, 0.8, 100);
    let p = zipf_probabilities(n_keys, exponent);
    let (exact, numerical) = lru_exact(&p, capacity);
    let che = lru_che(&p, capacity);
    eprintln!("lru: Che {che:.5} (exact - Che = {:+.5})", exact - che);
    let mut cache = Lru::new(Capacity::objects(capacity as u64).unwrap());
    let measured = measure(&mut cache, n_keys, exponent, 11, |_| {});
    check("lru", &measured, exact, numerical);
}

// Goal: FIFO and Random against their shared exact product-form hit ratio (Gelenbe 1973).
// Method: Zipf(0.8) over 1000 keys, C = 100; the Che-like approximation printed.
#[test]
fn fifo_and_random_match_product_form() {
    let (n_keys, exponent, capacity) = (1000, 0.8, 100);
    let p = zipf_probabilities(n_keys, exponent);
    let (exact, approximate) = fifo_exact(&p, capacity);
    eprintln!(
        "fifo/random: Martina et al. {approximate:.5} (exact - approximation = {:+.5})",
        exact - approximate
    );
    let capacity = Capacity::objects(capacity as u64).unwrap();
    let mut fifo = Fifo::new(capacity);
    check(
        "fifo",
        &measure(&mut fifo, n_keys, exponent, 12, |_| {}),
        exact,
        0.0,
    );
    let mut random = Random::new(capacity, test_rng(5));
    check(
        "random",
        &measure(&mut random, n_keys, exponent, 13, |_| {}),
        exact,
        0.0,
    );
}

// Goal: in-cache LFU reaches the exact hit ratio of its entrenched set, which is at most
// A0's (optimal among demand policies) and close to it. Method: Zipf(1.0) over 1000 keys,
// C = 50; after the warm-up, read the entrenched set E (the C - 1 most frequent residents),
// check it stays frozen, and compare with the exact formula given E (module doc).
#[test]
fn lfu_reaches_its_entrenched_optimum() {
    let (n_keys, exponent, capacity) = (1000u64, 1.0, 50usize);
    let p = zipf_probabilities(n_keys, exponent);
    let mut cache = Lfu::new(Capacity::objects(capacity as u64).unwrap());
    let mut entrenched: Vec<u64> = Vec::new();
    let measured = measure(&mut cache, n_keys, exponent, 14, |cache| {
        entrenched = (0..n_keys).filter(|&k| cache.contains(KeyId(k))).collect();
    });
    // Drop the slot: the resident with the lowest count, far below every entrenched count.
    let frequency = |key: u64| cache.frequency(key).unwrap_or(0);
    entrenched.sort_by_key(|&key| frequency(key));
    let slot = entrenched.remove(0);
    assert_eq!(entrenched.len(), capacity - 1);
    assert!(
        frequency(slot) * 10 < frequency(entrenched[0]),
        "E is not yet frozen"
    );
    for &key in &entrenched {
        assert!(
            cache.contains(KeyId(key)),
            "entrenched key {key} was evicted"
        );
    }
    let given = |set: &[u64]| {
        let inside: f64 = set.iter().map(|&k| p[k as usize]).sum();
        let outside: Vec<f64> = (0..n_keys)
            .filter(|k| !set.contains(k))
            .map(|k| p[k as usize])
            .collect();
        let churn = outside.iter().map(|p| p * p).sum::<f64>() / outside.iter().sum::<f64>();
        inside + churn
    };
    let top: Vec<u64> = (0..capacity as u64 - 1).collect();
    let (exact, a0) = (given(&entrenched), given(&top));
    let static_optimum: f64 = p[..capacity].iter().sum();
    eprintln!(
        "lfu: given E {exact:.5}, A0 {a0:.5} (E short by {:.5}), static optimum \
         {static_optimum:.5}",
        a0 - exact
    );
    assert!(exact <= a0 + 1e-12 && a0 <= static_optimum, "A0 is optimal");
    check("lfu", &measured, exact, 0.0);
}

// Goal: the exact-law machinery itself, on cases small enough to enumerate. Method: all
// orderings (LRU, King's formula) and all sets (FIFO) of 5 keys in a cache of 2.
#[test]
fn exact_laws_match_enumeration() {
    let p = [0.4, 0.25, 0.15, 0.12, 0.08];
    // King (1971): the LRU stack (i, j), i most recent, has probability
    // p_i p_j / (1 - p_i); a request hits if it is for i or j.
    let mut lru = 0.0;
    let mut fifo_weighted = 0.0;
    let mut fifo_norm = 0.0;
    for i in 0..5 {
        for j in 0..5 {
            if i != j {
                let state = p[i] * p[j] / (1.0 - p[i]);
                lru += state * (p[i] + p[j]);
                if i < j {
                    fifo_weighted += p[i] * p[j] * (p[i] + p[j]);
                    fifo_norm += p[i] * p[j];
                }
            }
        }
    }
    let (exact_lru, numerical) = lru_exact(&p, 2);
    assert!(
        (exact_lru - lru).abs() < 1e-6 + numerical,
        "{exact_lru} vs {lru}"
    );
    let (exact_fifo, _) = fifo_exact(&p, 2);
    assert!((exact_fifo - fifo_weighted / fifo_norm).abs() < 1e-12);
}
