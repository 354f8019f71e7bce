//! [`CacheSpec`]: a policy chosen by name with plain parameters, built for a capacity.

use sim_core::SimRng;

use super::{
    ArcCache, CacheError, CachePolicy, Capacity, Clock, Fifo, Lfu, Lru, Random, S3Fifo,
    S3FifoParams, Sieve, Slru, TwoQ, TwoQParams, WTinyLfu,
};

/// Names and one-line descriptions of every cache policy, for `distsim list`.
pub const POLICIES: &[(&str, &str)] = &[
    ("fifo", "first in, first out"),
    ("lru", "least recently used"),
    ("random", "evict a uniformly random object"),
    (
        "lfu",
        "least frequently used, exact; ties go to the earliest at that frequency",
    ),
    ("clock", "second chance with an n-bit reference counter"),
    ("slru", "segmented LRU: 4 equal segments, promotion on hit"),
    ("2q", "FIFO A1in (25%), ghost A1out (50%), LRU Am"),
    (
        "arc",
        "adaptive replacement: recency and frequency lists with ghosts",
    ),
    (
        "w-tinylfu",
        "1% LRU window, SLRU main, frequency-sketch admission",
    ),
    ("sieve", "FIFO with visited bits and a moving hand"),
    (
        "s3-fifo",
        "10% small FIFO, main FIFO with reinsertion, ghost FIFO",
    ),
];

/// Other spellings accepted, mostly libCacheSim's `cachesim` names. Names are matched after
/// lower-casing and turning `_` into `-`.
const ALIASES: &[(&str, &str)] = &[
    ("twoq", "2q"),
    ("arc-cache", "arc"),
    ("wtinylfu", "w-tinylfu"),
    ("window-tinylfu", "w-tinylfu"),
    ("s3fifo", "s3-fifo"),
    ("lru-cache", "lru"),
];

/// A cache policy and its parameters, as a scenario names them ([`POLICIES`]).
#[derive(Clone, Debug, PartialEq)]
pub enum CacheSpec {
    /// [`Fifo`].
    Fifo,
    /// [`Lru`].
    Lru,
    /// [`Random`].
    Random,
    /// [`Lfu`].
    Lfu,
    /// [`Clock`] with `bits`-bit counters (default 1).
    Clock {
        /// Counter width, 1..=8.
        bits: u8,
    },
    /// [`Slru`] with `segments` equal segments (default 4).
    Slru {
        /// Segment count, 1..=16.
        segments: u8,
    },
    /// [`TwoQ`].
    TwoQ(TwoQParams),
    /// [`ArcCache`].
    Arc,
    /// [`WTinyLfu`] with a window of `window_ratio` of the capacity (default 0.01).
    WTinyLfu {
        /// The window's share, in `(0, 1)`.
        window_ratio: f64,
    },
    /// [`Sieve`].
    Sieve,
    /// [`S3Fifo`].
    S3Fifo(S3FifoParams),
}

impl CacheSpec {
    /// The policy named `name` (or one of its aliases: `twoq`, `wtinylfu`, `s3fifo`, ...;
    /// case and `_` versus `-` do not matter) with libCacheSim's default parameters.
    pub fn from_name(name: &str) -> Result<Self, CacheError> {
        let normal = name.trim().to_ascii_lowercase().replace('_', "-");
        let canonical = ALIASES
            .iter()
            .find(|(alias, _)| *alias == normal)
            .map_or(normal.as_str(), |(_, canonical)| canonical);
        let spec = match canonical {
            "fifo" => CacheSpec::Fifo,
            "lru" => CacheSpec::Lru,
            "random" => CacheSpec::Random,
            "lfu" => CacheSpec::Lfu,
            "clock" => CacheSpec::Clock { bits: 1 },
            "slru" => CacheSpec::Slru { segments: 4 },
            "2q" => CacheSpec::TwoQ(TwoQParams::default()),
            "arc" => CacheSpec::Arc,
            "w-tinylfu" => CacheSpec::WTinyLfu {
                window_ratio: WTinyLfu::WINDOW_RATIO_DEFAULT,
            },
            "sieve" => CacheSpec::Sieve,
            "s3-fifo" => CacheSpec::S3Fifo(S3FifoParams::default()),
            _ => return Err(unknown_policy(name, &normal)),
        };
        assert_eq!(spec.name(), canonical);
        Ok(spec)
    }

    /// The policy's name, as in [`POLICIES`].
    pub fn name(&self) -> &'static str {
        match self {
            CacheSpec::Fifo => "fifo",
            CacheSpec::Lru => "lru",
            CacheSpec::Random => "random",
            CacheSpec::Lfu => "lfu",
            CacheSpec::Clock { .. } => "clock",
            CacheSpec::Slru { .. } => "slru",
            CacheSpec::TwoQ(_) => "2q",
            CacheSpec::Arc => "arc",
            CacheSpec::WTinyLfu { .. } => "w-tinylfu",
            CacheSpec::Sieve => "sieve",
            CacheSpec::S3Fifo(_) => "s3-fifo",
        }
    }

    /// Builds the policy for `capacity`. Only `random` draws from `rng`; hand it a stream of
    /// its own, e.g. `sim_core::rng::stream(seed, StreamLabel::new(StreamKind::Model, i))`.
    pub fn build(
        &self,
        capacity: Capacity,
        rng: SimRng,
    ) -> Result<Box<dyn CachePolicy>, CacheError> {
        let policy: Box<dyn CachePolicy> = match *self {
            CacheSpec::Fifo => Box::new(Fifo::new(capacity)),
            CacheSpec::Lru => Box::new(Lru::new(capacity)),
            CacheSpec::Random => Box::new(Random::new(capacity, rng)),
            CacheSpec::Lfu => Box::new(Lfu::new(capacity)),
            CacheSpec::Clock { bits } => Box::new(Clock::new(capacity, bits)?),
            CacheSpec::Slru { segments } => Box::new(Slru::new(capacity, segments)?),
            CacheSpec::TwoQ(params) => Box::new(TwoQ::new(capacity, params)?),
            CacheSpec::Arc => Box::new(ArcCache::new(capacity)),
            CacheSpec::WTinyLfu { window_ratio } => {
                Box::new(WTinyLfu::new(capacity, window_ratio)?)
            }
            CacheSpec::Sieve => Box::new(Sieve::new(capacity)),
            CacheSpec::S3Fifo(params) => Box::new(S3Fifo::new(capacity, params)?),
        };
        assert_eq!(policy.name(), self.name());
        Ok(policy)
    }
}

/// The error for an unknown name, with the closest known name or alias as a hint when it is
/// within two edits.
fn unknown_policy(name: &str, normal: &str) -> CacheError {
    let candidates = POLICIES
        .iter()
        .map(|(known, _)| *known)
        .chain(ALIASES.iter().map(|(alias, _)| *alias));
    let hint = candidates
        .map(|known| (edit_distance(normal, known), known))
        .filter(|&(distance, _)| distance <= 2)
        .min()
        .map(|(_, known)| known);
    let known: Vec<&str> = POLICIES.iter().map(|(known, _)| *known).collect();
    CacheError::UnknownPolicy {
        name: name.to_string(),
        hint,
        known: known.join(", "),
    }
}

/// Edit distance between two short ASCII names, counting an adjacent transposition as one
/// edit (optimal string alignment), so "lur" is closer to "lru" than to "lfu".
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in table.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in table[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitute = table[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitute.min(table[i - 1][j] + 1).min(table[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[i - 2][j - 2] + 1);
            }
            table[i][j] = best;
        }
    }
    table[a.len()][b.len()]
}
