//! W-TinyLFU: an LRU window in front of a segmented-LRU main cache, with a frequency sketch
//! deciding which of the window's and the main cache's victims to keep.

use super::slru::Segments;
use super::table::List;
use super::{check_part, check_ratio, impl_cache_policy, CacheError, Capacity, Core, Policy};

/// The window's tag (the main cache's segments use 0 and 1).
const WINDOW: u8 = 16;

/// The sketch's target false-positive rate: libCacheSim's `minimalIncrementCBF_init(...,
/// 0.001)`. With it the filter has `ceil(-ln(0.001) / ln(2)^2) = 14.38` counters per entry
/// and `ceil(ln 2 x 14.38) = 10` hash functions.
const SKETCH_ERROR: f64 = 0.001;

/// ln(2)^2 and ln(2) as libCacheSim writes them (truncated literals), kept so that counter
/// and hash counts round exactly as there.
const LN2_SQUARED_LIBCACHESIM: f64 = 0.480_453_013_918_201;
#[allow(clippy::approx_constant)]
const LN2_LIBCACHESIM: f64 = 0.693_147_180_559_945;

/// Largest sketch: 2^24 counters (64 MiB). libCacheSim sizes its sketch by the main cache's
/// capacity, in bytes for byte caches (up to 2^31 counters, 8 GiB); we cap it, so main caches
/// above about 1.17 million units get a smaller sketch than libCacheSim's.
const SKETCH_COUNTERS_MAX: u32 = 1 << 24;

/// The two seeds of libCacheSim's sketch hashes (`HASH_SEED0`, `HASH_SEED1` in
/// `dataStructure/hash/hash.h`).
const SKETCH_SEEDS: [u64; 2] = [0x1234_5678, 0x1234_4321];

/// Main-cache hits between two halvings of the sketch, per unit of main-cache capacity: 32,
/// libCacheSim's `max_request_num = 32 * main_cache->cache_size` ("sample size").
const SAMPLE_PER_UNIT: u64 = 32;

/// XXH64 of a `u64`'s 8 little-endian bytes (Collet, xxHash specification, XXH64: an 8-byte
/// input is one lane round, then the avalanche).
fn xxh64_u64(value: u64, seed: u64) -> u64 {
    const PRIME_1: u64 = 0x9E37_79B1_85EB_CA87;
    const PRIME_2: u64 = 0xC2B2_AE3D_27D4_EB4F;
    const PRIME_3: u64 = 0x1656_67B1_9E37_79F9;
    const PRIME_4: u64 = 0x85EB_CA77_C2B2_AE63;
    const PRIME_5: u64 = 0x27D4_EB2F_1656_67C5;
    let mut hash = seed.wrapping_add(PRIME_5).wrapping_add(8);
    let lane = value
        .wrapping_mul(PRIME_2)
        .rotate_left(31)
        .wrapping_mul(PRIME_1);
    hash ^= lane;
    hash = hash
        .rotate_left(27)
        .wrapping_mul(PRIME_1)
        .wrapping_add(PRIME_4);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(PRIME_2);
    hash ^= hash >> 29;
    hash = hash.wrapping_mul(PRIME_3);
    hash ^ (hash >> 32)
}

/// libCacheSim's `minimalIncrementCBF` (`dataStructure/minimalIncrementCBF.c`): one array of
/// `u32` counters indexed by `(a + i b) mod n` for `i < k`, with `a` and `b` the low 32 bits
/// of two seeded XXH64 hashes of the key (Kirsch & Mitzenmacher double hashing). The estimate
/// is the minimum of the key's counters; an addition increments all of them (despite the
/// name, its conditional-increment branch only logs); halving shifts every counter right.
#[derive(Clone, Debug)]
struct FrequencySketch {
    counters: Vec<u32>,
    n_hashes: u32,
}

impl FrequencySketch {
    /// libCacheSim's sizing for `entries` (which it passes as a C `int`).
    fn new(entries: u64) -> Self {
        let entries = entries as u32 as i32;
        let bits_per_entry = -SKETCH_ERROR.ln() / LN2_SQUARED_LIBCACHESIM;
        let n_hashes = (LN2_LIBCACHESIM * bits_per_entry).ceil() as i32;
        let wanted = (bits_per_entry * f64::from(entries)).ceil();
        let mut n_counters = wanted.min(f64::from(i32::MAX)) as i32;
        if n_counters < n_hashes {
            n_counters = n_hashes * 2;
        }
        let n_counters = (n_counters as u32).min(SKETCH_COUNTERS_MAX);
        FrequencySketch {
            counters: vec![0; n_counters as usize],
            n_hashes: n_hashes as u32,
        }
    }

    /// The double-hashing pair `(a, b)` of `key`: the low 32 bits of its two XXH64 hashes.
    #[inline]
    fn hash_pair(key: u64) -> (u32, u32) {
        (
            xxh64_u64(key, SKETCH_SEEDS[0]) as u32,
            xxh64_u64(key, SKETCH_SEEDS[1]) as u32,
        )
    }

    /// The counter indices for `(a, b)`, as libCacheSim computes them (32-bit wrapping).
    #[inline]
    fn indices(&self, (a, b): (u32, u32)) -> impl Iterator<Item = usize> {
        let n = self.counters.len() as u32;
        (0..self.n_hashes).map(move |i| (a.wrapping_add(i.wrapping_mul(b)) % n) as usize)
    }

    /// The smallest counter at the indices of `pair`.
    fn minimum(&self, pair: (u32, u32)) -> u32 {
        let counts = self.indices(pair).map(|index| self.counters[index]);
        counts.min().expect("at least one hash")
    }

    /// The estimated count of `key`.
    fn estimate(&self, key: u64) -> u32 {
        self.minimum(Self::hash_pair(key))
    }

    /// Counts one occurrence of `key` (every counter, unless one is saturated).
    fn add(&mut self, key: u64) {
        let pair = Self::hash_pair(key);
        if self.minimum(pair) == u32::MAX {
            return;
        }
        let n = self.counters.len() as u32;
        let (a, b) = pair;
        for i in 0..self.n_hashes {
            let index = (a.wrapping_add(i.wrapping_mul(b)) % n) as usize;
            self.counters[index] = self.counters[index].wrapping_add(1);
        }
    }

    /// Ages every count by half.
    fn halve(&mut self) {
        for counter in &mut self.counters {
            *counter >>= 1;
        }
    }
}

/// W-TinyLFU: new objects enter a small LRU window; the main cache is a segmented LRU with a
/// 20% probation and an 80% protected segment. When space is needed, the window's LRU object
/// (the candidate) moves to the main cache if it has room; otherwise the candidate is
/// compared with the main cache's victim (probation's tail) by their estimated frequencies in
/// a counting sketch, and the more frequent stays. The sketch counts insertions, main-cache
/// hits and each candidate, and halves every `32 x main capacity` main-cache hits.
///
/// Source: Einziger, Eytan, Friedman & Manes, "TinyLFU: a highly efficient cache admission
/// policy", ACM ToS 2017, §4 (W-TinyLFU, 1% window, SLRU main cache 20/80, the reset of §3.3);
/// the same design as Caffeine. Mirrors libCacheSim `cache/eviction/WTinyLFU.c` with its
/// defaults `main-cache=SLRU,window-size=0.01`: the window holds `(u64)(C x 0.01)` units and
/// only limits admission (objects larger than it are not admitted; the window itself may hold
/// more, since each eviction drains window candidates into the main cache until one loses);
/// the main cache is libCacheSim's SLRU with `seg-size=1:4` (so a main-cache hit can demote
/// and evict, see [`Slru`](super::Slru)); a candidate wins only with a strictly higher
/// estimate; window hits are not counted in the sketch. The sketch is libCacheSim's counting
/// Bloom filter with the same hashes and sizing, so the two agree exactly, except that the
/// sketch is capped at 2^24 counters (main caches above about 1.17 million units; libCacheSim
/// sizes a byte cache's sketch by bytes) and there is no doorkeeper (neither has one).
#[derive(Clone, Debug)]
pub struct WTinyLfu {
    core: Core,
    window: List,
    window_max: u64,
    main: Segments,
    sketch: FrequencySketch,
    /// Main-cache hits since the last halving.
    n_main_hits: u64,
    /// Main-cache hits between halvings.
    sample_size: u64,
}

impl WTinyLfu {
    /// libCacheSim's window share: 1% of the capacity.
    pub const WINDOW_RATIO_DEFAULT: f64 = 0.01;

    /// An empty W-TinyLFU cache with a window of `window_ratio` (in `(0, 1)`) of the
    /// capacity; rejects capacities that leave the window or the probation segment empty
    /// (with the default ratio: below 100 units).
    pub fn new(capacity: Capacity, window_ratio: f64) -> Result<Self, CacheError> {
        let window_ratio = check_ratio(
            "w-tinylfu",
            "window_ratio",
            window_ratio,
            "> 0 and < 1",
            |r| r > 0.0 && r < 1.0,
        )?;
        let window_of = |amount: u64| (amount as f64 * window_ratio) as u64;
        check_part("w-tinylfu", "window", capacity, 1, window_of)?;
        let probation_of = |amount: u64| {
            Segments::proportional(amount - window_of(amount), &[1, 4]).segment_max(0)
        };
        check_part("w-tinylfu", "probation segment", capacity, 1, probation_of)?;
        let amount = capacity.amount();
        let window_max = window_of(amount);
        let main_max = amount - window_max;
        Ok(WTinyLfu {
            core: Core::new(capacity, 0.0),
            window: List::EMPTY,
            window_max,
            main: Segments::proportional(main_max, &[1, 4]),
            sketch: FrequencySketch::new(main_max),
            n_main_hits: 0,
            sample_size: SAMPLE_PER_UNIT * main_max,
        })
    }

    /// One eviction, libCacheSim's `WTinyLFU_evict`: drains window candidates into the main
    /// cache until one loses to the main victim and is evicted (or evicts from the main cache
    /// if the window is empty). Bounded by the window's length.
    fn evict(&mut self) {
        let table = &mut self.core.table;
        while let Some(candidate) = self.window.tail() {
            let node = table.nodes[candidate as usize];
            let main_room = self.main.bytes() + u64::from(node.size) <= self.main.capacity();
            let mut evicted = false;
            if main_room {
                self.window.unlink(&mut table.nodes, candidate);
                self.main.insert(table, candidate);
            } else {
                let victim = self.main.victim().expect("a full main cache is not empty");
                let victim_key = table.nodes[victim as usize].key;
                if self.sketch.estimate(node.key) > self.sketch.estimate(victim_key) {
                    self.main.evict(table);
                    self.window.unlink(&mut table.nodes, candidate);
                    self.main.insert(table, candidate);
                } else {
                    self.window.unlink(&mut table.nodes, candidate);
                    table.release(candidate);
                    evicted = true;
                }
            }
            self.sketch.add(node.key);
            if evicted {
                return;
            }
        }
        self.main.evict(table);
    }
}

impl Policy for WTinyLfu {
    const NAME: &'static str = "w-tinylfu";

    fn core(&self) -> &Core {
        &self.core
    }

    fn is_resident(&self, _slot: u32) -> bool {
        true
    }

    fn on_hit(&mut self, slot: u32) {
        let table = &mut self.core.table;
        if table.nodes[slot as usize].tag == WINDOW {
            self.window.move_to_head(&mut table.nodes, slot);
            return;
        }
        let key = table.nodes[slot as usize].key;
        self.main.hit(table, slot);
        self.sketch.add(key);
        self.n_main_hits += 1;
        if self.n_main_hits >= self.sample_size {
            self.n_main_hits = 0;
            self.sketch.halve();
        }
    }

    fn on_miss(&mut self, key: u64, size: u32, expire_at: u64, ghost: Option<u32>) -> bool {
        debug_assert!(ghost.is_none());
        let size_units = u64::from(size);
        let fits = size_units <= self.core.capacity
            && size_units <= self.window_max
            && self.main.can_insert(size);
        if !fits {
            return false;
        }
        while self.window.bytes + self.main.bytes() + size_units > self.core.capacity {
            self.evict();
        }
        let table = &mut self.core.table;
        let slot = table.alloc(key, size, expire_at, WINDOW);
        self.window.push_head(&mut table.nodes, slot);
        self.sketch.add(key);
        true
    }

    fn remove_slot(&mut self, slot: u32) {
        let table = &mut self.core.table;
        if table.nodes[slot as usize].tag == WINDOW {
            self.window.unlink(&mut table.nodes, slot);
        } else {
            self.main.unlink(table, slot);
        }
        table.release(slot);
    }

    fn used(&self) -> u64 {
        self.window.bytes + self.main.bytes()
    }

    fn len(&self) -> usize {
        self.window.len as usize + self.main.len()
    }

    fn check(&self) {
        let table = &self.core.table;
        self.window.check(table, WINDOW, |_| {});
        self.main.check(table, |_| {});
        assert!(
            self.main.bytes() <= self.main.capacity(),
            "main cache over capacity"
        );
        assert!(self.n_main_hits < self.sample_size.max(1));
        table.check(self.len());
    }
}

impl_cache_policy!(WTinyLfu);

/// `w-tinylfu`.
pub(super) const ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "w-tinylfu",
    aliases: &["wtinylfu", "window-tinylfu"],
    description: "LRU window, SLRU main, frequency-sketch admission",
    params: &[sim_core::registry::Param::optional(
        "window_ratio",
        "0.01",
        "the LRU window's share of the capacity, in (0, 1)",
    )],
    value: |args| {
        let window = super::spec::ratio(args, "window_ratio", WTinyLfu::WINDOW_RATIO_DEFAULT)?;
        Ok(super::CacheSpec::new("w-tinylfu", move |capacity, _| {
            Ok(Box::new(WTinyLfu::new(capacity, window)?))
        }))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: our 8-byte XXH64 is the specified algorithm, so sketch positions match
    // libCacheSim's. Method: compare with outputs of xxhash-rust 0.8.19's `xxh64` (an
    // independent implementation of the specification) on the key's little-endian bytes; the
    // two also agreed on 400 000 pseudo-random (value, seed) pairs when this was written.
    #[test]
    fn xxh64_matches_reference() {
        #[track_caller]
        fn check(value: u64, seed: u64, expect: u64) {
            assert_eq!(
                xxh64_u64(value, seed),
                expect,
                "xxh64({value:#x}, {seed:#x})"
            );
        }
        check(0x0, 0x1234_5678, 0x67bb_774d_39f5_d473);
        check(0x1, 0x1234_5678, 0x071b_9484_a237_4097);
        check(0x2a, 0x1234_4321, 0xca6b_8301_1840_5888);
        check(u64::MAX, 0x1234_5678, 0x60b3_8a7d_6d1e_7ea9);
        check(0x0123_4567_89ab_cdef, 0x0, 0xea3c_5208_1e98_43ec);
    }

    // Goal: the sketch never undercounts (a counting Bloom filter's estimate is >= the true
    // count until it is halved), and halving halves. Method: add keys i times each.
    #[test]
    fn sketch_overestimates_and_halves() {
        let mut sketch = FrequencySketch::new(1000);
        assert_eq!(sketch.n_hashes, 10);
        assert_eq!(sketch.counters.len(), 14_378);
        for key in 0..200u64 {
            for _ in 0..key % 7 {
                sketch.add(key);
            }
        }
        for key in 0..200u64 {
            assert!(sketch.estimate(key) >= (key % 7) as u32, "key {key}");
        }
        let before = sketch.estimate(6);
        sketch.halve();
        assert_eq!(sketch.estimate(6), before / 2);
    }
}

#[cfg(test)]
mod behaviour {
    use super::*;
    use crate::cache::{CachePolicy, CacheRequest};
    use crate::workload::KeyId;

    // Goal: frequency-based admission protects a frequently used working set from a scan,
    // where LRU loses it. Method: capacity 1000; a cold fill, then 950 warm keys requested 6
    // rounds, then a scan of 600 new keys; compare the warm keys resident before and after
    // the scan (the main cache must keep all of its warm keys). A scan key enters the main cache only if its sketch estimate (its insertion,
    // plus collisions) is strictly above the probation victim's, and every resident warm key
    // has been counted at least 3 times. (How many warm keys are resident before the scan is
    // libCacheSim's business: admitted objects fill protected directly while probation is
    // full, so cold objects linger there for several rounds.)
    #[test]
    fn frequent_objects_survive_a_scan() {
        let capacity = Capacity::objects(1000).unwrap();
        let mut tinylfu = WTinyLfu::new(capacity, WTinyLfu::WINDOW_RATIO_DEFAULT).unwrap();
        let mut lru = crate::cache::Lru::new(capacity);
        let request = |key| CacheRequest::new(KeyId(key), 1);
        let warm = 0..950u64;
        let scan = 20_000..20_600;
        for key in (10_000..12_000).chain((0..6).flat_map(|_| warm.clone())) {
            tinylfu.request(&request(key));
            lru.request(&request(key));
        }
        let survivors = |cache: &dyn CachePolicy| {
            warm.clone()
                .filter(|&key| cache.contains(KeyId(key)))
                .count()
        };
        let (tinylfu_before, lru_before) = (survivors(&tinylfu), survivors(&lru));
        assert!(
            tinylfu_before > 500,
            "{tinylfu_before} warm keys before the scan"
        );
        assert_eq!(lru_before, 950);
        for key in scan.clone() {
            tinylfu.request(&request(key));
            lru.request(&request(key));
        }
        tinylfu.check_invariants();
        // Warm keys still in the window (10 slots) face admission like any candidate.
        let window = tinylfu.window_max as usize;
        let after = survivors(&tinylfu);
        assert!(
            after + window >= tinylfu_before,
            "{tinylfu_before} -> {after}"
        );
        assert_eq!(survivors(&lru), 400, "LRU keeps only the newest 400");
        let scan_kept = scan.filter(|&key| tinylfu.contains(KeyId(key))).count();
        assert!(scan_kept <= 20, "{scan_kept} scan keys admitted");
    }
}
