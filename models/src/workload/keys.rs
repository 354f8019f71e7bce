//! Key popularity: which key each request targets.
//!
//! Skew is what makes caches, shards and hot partitions interesting, so the kinds cover the
//! usual shapes: uniform (the no-skew baseline), Zipf (web and key-value traces; Breslau et al.,
//! "Web caching and Zipf-like distributions", INFOCOM 1999, §3; YCSB's default request
//! distribution, Cooper et al., SoCC 2010, §4), hotspot (YCSB's "hotspot" distribution, §4) and
//! sequential (scans and warm-up). Keys are [`KeyId`]s in `0..n_keys`.

use rand::Rng;
use sim_core::SimRng;

use super::zipf::ZipfKeys;
use super::{check_n_keys, WorkloadError};

/// A key: an index in `0..n_keys` of the workload's key space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub u64);

mod repr {
    //! Payloads of [`KeyPopularity`](super::KeyPopularity)'s variants: public types in a
    //! private module, so callers can see the kind and read parameters but build one only
    //! through the validating constructors.

    /// Every key equally likely.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Uniform {
        pub(super) n_keys: u64,
    }

    /// `hot_request_fraction` of requests go to the first `n_hot_keys` keys.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Hotspot {
        pub(super) n_keys: u64,
        pub(super) n_hot_keys: u64,
        pub(super) hot_key_fraction: f64,
        pub(super) hot_request_fraction: f64,
    }

    impl Hotspot {
        /// Hot keys: ids `0..n_hot_keys`, where `n_hot_keys = ceil(hot_key_fraction * n)`.
        pub fn n_hot_keys(&self) -> u64 {
            self.n_hot_keys
        }
        /// The fraction of keys asked for.
        pub fn hot_key_fraction(&self) -> f64 {
            self.hot_key_fraction
        }
        /// The fraction of requests that go to hot keys.
        pub fn hot_request_fraction(&self) -> f64 {
            self.hot_request_fraction
        }
    }

    /// Keys in order, wrapping; `next` is the key the next request gets.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Sequential {
        pub(super) n_keys: u64,
        pub(super) next: u64,
    }
}

/// A validated key popularity over `0..n_keys` (`1 <= n_keys <= 2^53`).
///
/// It is also the sampler: only `sequential` has state (its cursor), so a client clones the
/// popularity it was configured with and samples from its clone.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyPopularity {
    /// Every key equally likely.
    Uniform(repr::Uniform),
    /// Truncated Zipf: `P(rank k) = k^-s / H(n, s)` for ranks `k = 1..n`, with key id `k - 1`,
    /// so **key 0 is the hottest**. `s = 0` is uniform; `s ~ 0.99` is the classic web/YCSB skew.
    /// Sampling is O(1) with no per-key table, so `n_keys` can be 10^9 and more.
    Zipf(ZipfKeys),
    /// "`hot_request_fraction` of requests go to `hot_key_fraction` of keys": the hot keys are
    /// ids `0..ceil(hot_key_fraction * n)`, and keys are uniform within the hot and cold sets.
    Hotspot(repr::Hotspot),
    /// Keys `0, 1, ..., n-1, 0, 1, ...` in order, starting at 0 for each clone.
    Sequential(repr::Sequential),
    /// A key distribution of one's own; see [`KeyDistribution`] and [`KeyPopularity::custom`].
    Custom(CustomKeys),
}

/// A key distribution of one's own: a type in its own file implementing this, wrapped with
/// [`KeyPopularity::custom`] by its registry row. Stateless: every client shares one.
///
/// Contract: `sample` returns keys below `n_keys()` (asserted), drawing only from `rng`.
pub trait KeyDistribution: std::fmt::Debug + Send + Sync {
    /// The kind's name, as its registry row has it.
    fn name(&self) -> &'static str;
    /// Number of keys, `>= 1`.
    fn n_keys(&self) -> u64;
    /// One key.
    fn sample(&self, rng: &mut SimRng) -> u64;
    /// The probability of `key` (below `n_keys`), if it has a cheap closed form.
    fn probability(&self, key: u64) -> Option<f64>;
}

/// A shared [`KeyDistribution`]; equal only to itself.
#[derive(Clone, Debug)]
pub struct CustomKeys(std::sync::Arc<dyn KeyDistribution>);

impl PartialEq for CustomKeys {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl KeyPopularity {
    /// Keys from a distribution of one's own.
    pub fn custom(keys: impl KeyDistribution + 'static) -> Self {
        KeyPopularity::Custom(CustomKeys(std::sync::Arc::new(keys)))
    }

    /// Uniform over `n_keys` keys.
    pub fn uniform(n_keys: u64) -> Result<Self, WorkloadError> {
        let n_keys = check_n_keys("uniform", n_keys)?;
        Ok(KeyPopularity::Uniform(repr::Uniform { n_keys }))
    }

    /// Truncated Zipf over `n_keys` keys with exponent `s` (finite, >= 0); key 0 is the hottest.
    pub fn zipf(n_keys: u64, exponent: f64) -> Result<Self, WorkloadError> {
        let n_keys = check_n_keys("zipf", n_keys)?;
        if !(exponent >= 0.0 && exponent.is_finite()) {
            return Err(WorkloadError::BadParameter {
                kind: "zipf",
                param: "exponent",
                valid: "a finite number >= 0",
                value: exponent,
            });
        }
        Ok(KeyPopularity::Zipf(ZipfKeys::new(n_keys, exponent)))
    }

    /// `hot_request_fraction` (in `[0, 1]`) of requests go to the first
    /// `ceil(hot_key_fraction * n_keys)` keys (`hot_key_fraction` in `(0, 1)`), the rest to the
    /// other keys; at least one key must be left cold.
    pub fn hotspot(
        n_keys: u64,
        hot_key_fraction: f64,
        hot_request_fraction: f64,
    ) -> Result<Self, WorkloadError> {
        let n_keys = check_n_keys("hotspot", n_keys)?;
        let bad_fraction = |param, valid, value| WorkloadError::BadParameter {
            kind: "hotspot",
            param,
            valid,
            value,
        };
        if !(hot_key_fraction > 0.0 && hot_key_fraction < 1.0) {
            let valid = "a number > 0 and < 1";
            return Err(bad_fraction("hot_key_fraction", valid, hot_key_fraction));
        }
        if !(0.0..=1.0).contains(&hot_request_fraction) {
            let valid = "a number >= 0 and <= 1";
            return Err(bad_fraction(
                "hot_request_fraction",
                valid,
                hot_request_fraction,
            ));
        }
        // `hot_key_fraction * n_keys` is exact enough: n_keys <= 2^53 and the product < n_keys.
        let n_hot_keys = ((hot_key_fraction * n_keys as f64).ceil() as u64).max(1);
        if n_hot_keys >= n_keys {
            return Err(WorkloadError::HotspotNoColdKeys {
                hot_key_fraction,
                n_keys,
                n_hot_keys,
            });
        }
        Ok(KeyPopularity::Hotspot(repr::Hotspot {
            n_keys,
            n_hot_keys,
            hot_key_fraction,
            hot_request_fraction,
        }))
    }

    /// Keys in order from 0, wrapping after `n_keys - 1`.
    pub fn sequential(n_keys: u64) -> Result<Self, WorkloadError> {
        let n_keys = check_n_keys("sequential", n_keys)?;
        Ok(KeyPopularity::Sequential(repr::Sequential {
            n_keys,
            next: 0,
        }))
    }

    /// The kind's name: the name of the scenario row that builds it (`scenarios::sections::workload`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            KeyPopularity::Uniform(_) => "uniform",
            KeyPopularity::Zipf(_) => "zipf",
            KeyPopularity::Hotspot(_) => "hotspot",
            KeyPopularity::Sequential(_) => "sequential",
            KeyPopularity::Custom(custom) => custom.0.name(),
        }
    }

    /// Number of keys; every sample is below it.
    pub fn n_keys(&self) -> u64 {
        match self {
            KeyPopularity::Uniform(uniform) => uniform.n_keys,
            KeyPopularity::Zipf(zipf) => zipf.n_keys(),
            KeyPopularity::Hotspot(hotspot) => hotspot.n_keys,
            KeyPopularity::Sequential(sequential) => sequential.n_keys,
            KeyPopularity::Custom(custom) => custom.0.n_keys(),
        }
    }

    /// Draws the next request's key.
    ///
    /// Hot path, budget <= 100 ns per key: one or two draws (Zipf: about 1.1 rejection rounds
    /// of two draws and two `powf` on average), no allocation.
    pub fn sample(&mut self, rng: &mut SimRng) -> KeyId {
        let n_keys = self.n_keys();
        let key = match self {
            KeyPopularity::Uniform(uniform) => rng.random_range(0..uniform.n_keys),
            KeyPopularity::Zipf(zipf) => zipf.sample(rng),
            KeyPopularity::Hotspot(hotspot) => {
                if rng.random_bool(hotspot.hot_request_fraction) {
                    rng.random_range(0..hotspot.n_hot_keys)
                } else {
                    rng.random_range(hotspot.n_hot_keys..hotspot.n_keys)
                }
            }
            KeyPopularity::Sequential(sequential) => {
                let key = sequential.next;
                sequential.next = (key + 1) % sequential.n_keys;
                key
            }
            KeyPopularity::Custom(custom) => custom.0.sample(rng),
        };
        assert!(key < n_keys, "key {key} outside 0..{n_keys}");
        KeyId(key)
    }

    /// The exact probability that a sample is `key` (0 outside `0..n_keys`); for `sequential`,
    /// the long-run frequency `1/n`. `None` is reserved for kinds without a cheap closed form
    /// (a custom kind may have none). Zipf's first call computes `H(n, s)`: exactly, in O(n), for
    /// `n <= 10^7`, and by the Euler–Maclaurin formula (relative error < 1e-12) above; it is
    /// cached after that.
    pub fn probability(&self, key: KeyId) -> Option<f64> {
        if key.0 >= self.n_keys() {
            return Some(0.0);
        }
        let probability = match self {
            KeyPopularity::Uniform(uniform) => 1.0 / uniform.n_keys as f64,
            KeyPopularity::Zipf(zipf) => zipf.probability(key.0),
            KeyPopularity::Hotspot(hotspot) => {
                if key.0 < hotspot.n_hot_keys {
                    hotspot.hot_request_fraction / hotspot.n_hot_keys as f64
                } else {
                    let n_cold_keys = hotspot.n_keys - hotspot.n_hot_keys;
                    (1.0 - hotspot.hot_request_fraction) / n_cold_keys as f64
                }
            }
            KeyPopularity::Sequential(sequential) => 1.0 / sequential.n_keys as f64,
            KeyPopularity::Custom(custom) => return custom.0.probability(key.0),
        };
        Some(probability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::rng::{stream, StreamKind, StreamLabel};

    fn rng(index: u64) -> SimRng {
        stream(5, StreamLabel::new(StreamKind::Workload, index))
    }

    /// Counts how often each of `keys` comes up in `n_draws` samples.
    fn counts(popularity: &KeyPopularity, keys: &[u64], n_draws: u64, seed: u64) -> Vec<u64> {
        let mut sampler = popularity.clone();
        let mut rng = rng(seed);
        let mut counts = vec![0; keys.len()];
        for _ in 0..n_draws {
            let key = sampler.sample(&mut rng);
            assert!(key.0 < popularity.n_keys());
            if let Some(index) = keys.iter().position(|&k| k == key.0) {
                counts[index] += 1;
            }
        }
        counts
    }

    /// Asserts each key's count is within 5 binomial standard deviations
    /// (`sqrt(n p (1 - p))`) of `n p`, with `p` from `probability()`: false alarms 6e-7 each.
    #[track_caller]
    fn check_frequencies(popularity: &KeyPopularity, keys: &[u64], n_draws: u64) {
        let observed = counts(popularity, keys, n_draws, 0);
        for (&key, &count) in keys.iter().zip(&observed) {
            let p = popularity.probability(KeyId(key)).expect("cheap kinds");
            let expected = n_draws as f64 * p;
            let tolerance = 5.0 * (n_draws as f64 * p * (1.0 - p)).sqrt();
            assert!(
                (count as f64 - expected).abs() <= tolerance,
                "{} key {key}: {count} draws, expected {expected} +- {tolerance}",
                popularity.kind_name()
            );
        }
    }

    // Goal: Zipf sampling matches its exact probabilities for the hottest keys, both with the
    // exact normaliser (n = 1000) and with the Euler–Maclaurin one (n = 10^9, no table).
    #[test]
    fn zipf_frequencies_match_probability() {
        let small = KeyPopularity::zipf(1000, 0.99).unwrap();
        check_frequencies(&small, &[0, 1, 9, 999], 200_000);
        let huge = KeyPopularity::zipf(1_000_000_000, 0.99).unwrap();
        check_frequencies(&huge, &[0, 9], 200_000);
        // H(10^9, 0.99) is about 23.6, so key 0 gets about 4.2% of requests.
        let p0 = huge.probability(KeyId(0)).unwrap();
        assert!(p0 > 0.04 && p0 < 0.045, "{p0}");
        // s = 1 and s = 0 (uniform) are allowed.
        check_frequencies(&KeyPopularity::zipf(50, 1.0).unwrap(), &[0, 49], 100_000);
        let flat = KeyPopularity::zipf(50, 0.0).unwrap();
        assert!((flat.probability(KeyId(7)).unwrap() - 0.02).abs() < 1e-12);
        check_frequencies(&flat, &[0, 49], 100_000);
        // A single key, and a steep exponent where nearly everything hits key 0.
        let mut single = KeyPopularity::zipf(1, 2.0).unwrap();
        assert_eq!(single.sample(&mut rng(0)), KeyId(0));
        assert!((single.probability(KeyId(0)).unwrap() - 1.0).abs() < 1e-15);
        check_frequencies(
            &KeyPopularity::zipf(1_000_000, 3.0).unwrap(),
            &[0, 1, 2],
            100_000,
        );
    }

    // Goal: uniform and hotspot match their probabilities; a 90/10 hotspot sends 90% of
    // requests to keys 0..100 of 1000 (5 binomial sd on the hot share).
    #[test]
    fn uniform_and_hotspot_split() {
        let uniform = KeyPopularity::uniform(10).unwrap();
        check_frequencies(&uniform, &(0..10).collect::<Vec<_>>(), 100_000);

        let hotspot = KeyPopularity::hotspot(1000, 0.1, 0.9).unwrap();
        let KeyPopularity::Hotspot(parts) = &hotspot else {
            panic!("hotspot kind")
        };
        assert_eq!(parts.n_hot_keys(), 100);
        let hot_keys: Vec<u64> = (0..100).collect();
        let n_draws = 100_000;
        let hot: u64 = counts(&hotspot, &hot_keys, n_draws, 1).iter().sum();
        let tolerance = 5.0 * (n_draws as f64 * 0.9 * 0.1).sqrt();
        assert!(
            (hot as f64 - 90_000.0).abs() <= tolerance,
            "hot share {hot}"
        );
        check_frequencies(&hotspot, &[0, 99, 100, 999], n_draws);
        assert!((hotspot.probability(KeyId(5)).unwrap() - 0.009).abs() < 1e-15);
        assert!((hotspot.probability(KeyId(500)).unwrap() - 0.1 / 900.0).abs() < 1e-15);
        // ceil: 0.1% of 10 keys is one hot key.
        let tiny = KeyPopularity::hotspot(10, 0.001, 0.5).unwrap();
        assert!((tiny.probability(KeyId(0)).unwrap() - 0.5).abs() < 1e-15);
    }

    // Goal: sequential visits keys in order and wraps; each clone starts at 0.
    #[test]
    fn sequential_wraps() {
        let popularity = KeyPopularity::sequential(3).unwrap();
        let mut sampler = popularity.clone();
        let mut rng = rng(0);
        let keys: Vec<u64> = (0..7).map(|_| sampler.sample(&mut rng).0).collect();
        assert_eq!(keys, [0, 1, 2, 0, 1, 2, 0]);
        let mut fresh = popularity.clone();
        assert_eq!(fresh.sample(&mut rng), KeyId(0));
        assert_eq!(popularity.probability(KeyId(3)), Some(0.0));
    }

    // Goal: every constructor rejects bad parameters with a message naming the value and the
    // valid range.
    #[test]
    fn rejects_bad_parameters() {
        #[track_caller]
        fn check(result: Result<KeyPopularity, WorkloadError>, expect: &str) {
            assert_eq!(result.unwrap_err().to_string(), expect);
        }
        check(
            KeyPopularity::uniform(0),
            "uniform n_keys must be >= 1 and <= 2^53, got 0",
        );
        check(
            KeyPopularity::sequential(u64::MAX),
            "sequential n_keys must be >= 1 and <= 2^53, got 18446744073709551615",
        );
        check(
            KeyPopularity::zipf(10, -1.0),
            "zipf exponent must be a finite number >= 0, got -1",
        );
        check(
            KeyPopularity::zipf(10, f64::NAN),
            "zipf exponent must be a finite number >= 0, got NaN",
        );
        check(
            KeyPopularity::zipf(0, 1.0),
            "zipf n_keys must be >= 1 and <= 2^53, got 0",
        );
        check(
            KeyPopularity::hotspot(100, 0.0, 0.5),
            "hotspot hot_key_fraction must be a number > 0 and < 1, got 0",
        );
        check(
            KeyPopularity::hotspot(100, 0.2, 1.5),
            "hotspot hot_request_fraction must be a number >= 0 and <= 1, got 1.5",
        );
        check(
            KeyPopularity::hotspot(100, 0.2, f64::NAN),
            "hotspot hot_request_fraction must be a number >= 0 and <= 1, got NaN",
        );
        check(
            KeyPopularity::hotspot(2, 0.9, 0.5),
            "hotspot hot_key_fraction 0.9 of 2 keys makes 2 keys hot, which leaves no cold key \
             (lower hot_key_fraction or raise n_keys)",
        );
    }
}
