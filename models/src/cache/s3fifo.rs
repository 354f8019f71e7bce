//! S3-FIFO: a small probationary FIFO, a main FIFO with reinsertion, and a ghost FIFO.

use super::table::List;
use super::twoq::remember;
use super::{check_part, check_ratio, impl_cache_policy, CacheError, Capacity, Core, Policy};

const SMALL: u8 = 0;
const MAIN: u8 = 1;
const GHOST: u8 = 2;

/// S3-FIFO's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct S3FifoParams {
    /// The small FIFO's share of the capacity, in `(0, 1)`; default 0.10.
    pub small_ratio: f64,
    /// The ghost FIFO's size as a fraction of the capacity (ghost entries keep their sizes),
    /// in `[0, 10]`; default 0.90.
    pub ghost_ratio: f64,
    /// Hits an object needs while in the small FIFO to move to the main FIFO when it reaches
    /// the small FIFO's tail, `1..=255`; default 2.
    pub move_to_main_threshold: u8,
}

impl Default for S3FifoParams {
    /// libCacheSim's `small-size-ratio=0.10,ghost-size-ratio=0.90,move-to-main-threshold=2`
    /// (`cache/eviction/S3FIFO.c`); the paper's S is 10% of the cache and its G remembers
    /// about as many objects as M holds.
    fn default() -> Self {
        S3FifoParams {
            small_ratio: 0.10,
            ghost_ratio: 0.90,
            move_to_main_threshold: 2,
        }
    }
}

/// S3-FIFO: new objects enter S, a small FIFO; a key found in G (the ghost FIFO of keys S
/// evicted) enters M, the main FIFO, instead. Hits count up an object's frequency and move
/// nothing. When S's tail object has at least `move_to_main_threshold` hits it moves to M's
/// head (frequency reset), else it is evicted and its key goes to G. M evicts like a 2-bit
/// CLOCK: an object at M's tail with frequency `f >= 1` is moved to M's head with frequency
/// `min(f, 3) - 1`, one at 0 is evicted. Eviction takes from M when M is over its share or S
/// is empty, else from S.
///
/// Source: Yang, Zhang, Qiu, Yue & Rashmi, "FIFO queues are all you need for cache
/// eviction", SOSP 2023, §4 (Algorithm 1); libCacheSim `cache/eviction/S3FIFO.c` (the version
/// whose header contrasts it with `S3FIFOv0.c`), mirrored here, including its differences from
/// the paper's
/// pseudo-code: S holds `(u64)(C x 0.1)` units and M `C - S`; objects larger than S are never
/// admitted and objects exactly S's size are not inserted (after the evictions their miss
/// caused); until the first eviction, new objects go to M once S is full; a promotion from S
/// does not evict from M at once (M may exceed its share until the next eviction); an
/// object's frequency counts all its hits (the threshold 2 means two hits while in S; the
/// paper's text says "accessed", its Algorithm 1 `freq > 1`). Agrees with libCacheSim
/// exactly.
#[derive(Clone, Debug)]
pub struct S3Fifo {
    core: Core,
    small: List,
    main: List,
    ghost: List,
    small_max: u64,
    main_max: u64,
    ghost_max: u64,
    threshold: u8,
    /// Whether anything was ever evicted (libCacheSim's `has_evicted`).
    has_evicted: bool,
}

impl S3Fifo {
    /// An empty S3-FIFO cache; rejects parameters out of range and capacities that leave the
    /// small FIFO unable to admit (below 2 units: with the default ratio, capacities below 20).
    pub fn new(capacity: Capacity, params: S3FifoParams) -> Result<Self, CacheError> {
        let small_ratio = check_ratio(
            "s3-fifo",
            "small_ratio",
            params.small_ratio,
            "> 0 and < 1",
            |r| r > 0.0 && r < 1.0,
        )?;
        let ghost_ratio = check_ratio(
            "s3-fifo",
            "ghost_ratio",
            params.ghost_ratio,
            ">= 0 and <= 10",
            |r| (0.0..=10.0).contains(&r),
        )?;
        if params.move_to_main_threshold == 0 {
            return Err(CacheError::BadCount {
                policy: "s3-fifo",
                param: "move_to_main_threshold",
                valid: ">= 1 and <= 255",
                value: 0,
            });
        }
        let share = |amount: u64, ratio: f64| (amount as f64 * ratio) as u64;
        // An object as large as S is not inserted, so S needs 2 units to admit anything.
        check_part("s3-fifo", "small queue", capacity, 2, |amount| {
            share(amount, small_ratio)
        })?;
        let amount = capacity.amount();
        let small_max = share(amount, small_ratio);
        Ok(S3Fifo {
            core: Core::new(capacity, ghost_ratio),
            small: List::EMPTY,
            main: List::EMPTY,
            ghost: List::EMPTY,
            small_max,
            main_max: amount - small_max,
            ghost_max: share(amount, ghost_ratio),
            threshold: params.move_to_main_threshold,
            has_evicted: false,
        })
    }

    /// One eviction step, libCacheSim's `S3FIFO_evict`.
    fn evict(&mut self) {
        self.has_evicted = true;
        if self.main.bytes > self.main_max || self.small.bytes == 0 {
            self.evict_main();
        } else {
            self.evict_small();
        }
    }

    /// Moves S's tail objects with enough hits to M until one without is evicted into G (or
    /// S empties). Bounded by S's length.
    fn evict_small(&mut self) {
        let table = &mut self.core.table;
        while let Some(tail) = self.small.tail() {
            self.small.unlink(&mut table.nodes, tail);
            let node = &mut table.nodes[tail as usize];
            if node.freq >= self.threshold {
                node.tag = MAIN;
                node.freq = 0;
                self.main.push_head(&mut table.nodes, tail);
            } else {
                remember(table, &mut self.ghost, self.ghost_max, tail, GHOST);
                return;
            }
        }
    }

    /// Reinserts M's tail objects with frequency >= 1 (decremented, capped at 3 first) until
    /// one at 0 is evicted. Bounded: each object is reinserted at most 3 times.
    fn evict_main(&mut self) {
        let table = &mut self.core.table;
        while let Some(tail) = self.main.tail() {
            let freq = table.nodes[tail as usize].freq;
            if freq == 0 {
                self.main.unlink(&mut table.nodes, tail);
                table.release(tail);
                return;
            }
            table.nodes[tail as usize].freq = freq.min(3) - 1;
            self.main.move_to_head(&mut table.nodes, tail);
        }
    }
}

impl Policy for S3Fifo {
    const NAME: &'static str = "s3-fifo";

    fn core(&self) -> &Core {
        &self.core
    }

    #[inline]
    fn is_resident(&self, slot: u32) -> bool {
        self.core.table.nodes[slot as usize].tag != GHOST
    }

    #[inline]
    fn on_hit(&mut self, slot: u32) {
        let node = &mut self.core.table.nodes[slot as usize];
        node.freq = node.freq.saturating_add(1);
    }

    fn on_miss(&mut self, key: u64, size: u32, expire_at: u64, ghost: Option<u32>) -> bool {
        if let Some(ghost) = ghost {
            self.remove_slot(ghost);
        }
        let size_units = u64::from(size);
        if size_units > self.small_max || size_units > self.core.capacity {
            return false;
        }
        while self.small.bytes + self.main.bytes + size_units > self.core.capacity {
            self.evict();
        }
        let to_main = if ghost.is_some() {
            true
        } else if size_units >= self.small_max {
            return false;
        } else {
            !self.has_evicted && self.small.bytes >= self.small_max
        };
        let table = &mut self.core.table;
        if to_main {
            let slot = table.alloc(key, size, expire_at, MAIN);
            self.main.push_head(&mut table.nodes, slot);
        } else {
            let slot = table.alloc(key, size, expire_at, SMALL);
            self.small.push_head(&mut table.nodes, slot);
        }
        true
    }

    fn remove_slot(&mut self, slot: u32) {
        let list = match self.core.table.nodes[slot as usize].tag {
            SMALL => &mut self.small,
            MAIN => &mut self.main,
            _ => &mut self.ghost,
        };
        list.unlink(&mut self.core.table.nodes, slot);
        self.core.table.release(slot);
    }

    fn used(&self) -> u64 {
        self.small.bytes + self.main.bytes
    }

    fn len(&self) -> usize {
        (self.small.len + self.main.len) as usize
    }

    fn check(&self) {
        let table = &self.core.table;
        self.small.check(table, SMALL, |_| {});
        self.main.check(table, MAIN, |_| {});
        self.ghost.check(table, GHOST, |slot| {
            assert_eq!(
                table.nodes[slot as usize].freq, 0,
                "ghosts have no frequency"
            );
        });
        assert!(self.ghost.bytes <= self.ghost_max, "ghost over its size");
        table.check((self.small.len + self.main.len + self.ghost.len) as usize);
    }
}

impl_cache_policy!(S3Fifo);

/// `s3-fifo`.
pub(super) const ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "s3-fifo",
    aliases: &["s3fifo"],
    description: "small FIFO, main FIFO with reinsertion, ghost FIFO",
    params: &[
        sim_core::registry::Param::optional(
            "small_ratio",
            "0.1",
            "the small FIFO's share of the capacity, in (0, 1)",
        ),
        sim_core::registry::Param::optional(
            "ghost_ratio",
            "0.9",
            "the ghost FIFO's size as a fraction of the capacity, in [0, 10]",
        ),
        sim_core::registry::Param::optional(
            "move_to_main_threshold",
            "2",
            "hits in the small FIFO that move an object to the main FIFO, 1 to 255",
        ),
    ],
    value: |args| {
        let defaults = S3FifoParams::default();
        let params = S3FifoParams {
            small_ratio: super::spec::ratio(args, "small_ratio", defaults.small_ratio)?,
            ghost_ratio: super::spec::ratio(args, "ghost_ratio", defaults.ghost_ratio)?,
            move_to_main_threshold: super::spec::small_count(
                args,
                "move_to_main_threshold",
                defaults.move_to_main_threshold,
                u8::MAX,
            )?,
        };
        Ok(super::CacheSpec::new("s3-fifo", move |capacity, _| {
            Ok(Box::new(S3Fifo::new(capacity, params)?))
        }))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{CachePolicy, CacheRequest, Outcome};
    use crate::workload::KeyId;

    /// Keys of `list`, head (newest) first.
    fn keys(cache: &S3Fifo, list: &List, tag: u8) -> Vec<u64> {
        let mut keys = Vec::new();
        let table = &cache.core.table;
        list.check(table, tag, |slot| keys.push(table.nodes[slot as usize].key));
        keys
    }

    /// Requests each key once (size 1), returning the outcomes.
    fn run(cache: &mut S3Fifo, keys: impl IntoIterator<Item = u64>) -> Vec<Outcome> {
        keys.into_iter()
            .map(|key| {
                let outcome = cache.request(&CacheRequest::new(KeyId(key), 1));
                cache.check_invariants();
                outcome
            })
            .collect()
    }

    /// `(small, main, ghost)` keys, heads first.
    fn queues(cache: &S3Fifo) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
        (
            keys(cache, &cache.small, SMALL),
            keys(cache, &cache.main, MAIN),
            keys(cache, &cache.ghost, GHOST),
        )
    }

    // Goal: S3-FIFO's documented behaviour step by step: quick demotion of one-hit wonders
    // from S into G, a ghost hit going to M, promotion after two hits in S, and M's
    // reinsertion with a decremented frequency. Method: capacity 20 (S 2, M 18, G 18), each
    // queue's contents checked after each phase.
    #[test]
    fn queues_follow_the_algorithm() {
        let capacity = Capacity::objects(20).unwrap();
        let mut cache = S3Fifo::new(capacity, S3FifoParams::default()).unwrap();
        assert_eq!(
            (cache.small_max, cache.main_max, cache.ghost_max),
            (2, 18, 18)
        );
        // Before any eviction, once S is full new objects go straight to M.
        run(&mut cache, 1..=20);
        let main_first: Vec<u64> = (3..=20).rev().collect();
        assert_eq!(queues(&cache), (vec![2, 1], main_first.clone(), vec![]));
        // One-hit wonders pass through S into G after two more misses; M is untouched.
        run(&mut cache, 21..=30);
        let ghosts: Vec<u64> = (21..=28).rev().chain([2, 1]).collect();
        assert_eq!(queues(&cache), (vec![30, 29], main_first, ghosts));
        // A ghost hit is a miss that inserts into M (evicting S's tail into G first).
        assert_eq!(run(&mut cache, [21]), [Outcome::Miss { admitted: true }]);
        let (small, main, ghost) = queues(&cache);
        assert_eq!(small, [30]);
        assert_eq!(main[..2], [21, 20]);
        assert_eq!(
            main.len(),
            19,
            "M may exceed its share until the next eviction"
        );
        assert_eq!(ghost[..2], [29, 28]);
        // M is over its share, so the next miss evicts M's tail (3, never hit).
        run(&mut cache, [31]);
        let (small, main, _) = queues(&cache);
        assert_eq!(
            (small, main.len(), main.last()),
            (vec![31, 30], 18, Some(&4))
        );
        // 31 is hit twice, 30 once: 30 goes to G, 31 is promoted to M's head.
        assert!(run(&mut cache, [31, 31, 30]).iter().all(|o| o.is_hit()));
        run(&mut cache, [32, 33]);
        let (small, main, ghost) = queues(&cache);
        assert_eq!((small, main[0], &ghost[..2]), (vec![33], 31, &[32, 30][..]));
        // A hit in M (on 4, at its tail) buys one reinsertion: 5 is evicted instead.
        assert!(run(&mut cache, [4])[0].is_hit());
        run(&mut cache, [34]);
        let (_, main, _) = queues(&cache);
        assert_eq!((main[0], main.last()), (4, Some(&6)));
        assert!(!cache.contains(KeyId(5)));
    }

    // Goal: libCacheSim's size rules: objects larger than S are never admitted (and evict
    // nothing); objects exactly S's size are not inserted, after the evictions their miss
    // caused. Method: 1000 bytes, so S holds 100 bytes.
    #[test]
    fn size_rules_follow_libcachesim() {
        let mut cache =
            S3Fifo::new(Capacity::bytes(1000).unwrap(), S3FifoParams::default()).expect("valid");
        let request = |key, size| CacheRequest::new(KeyId(key), size);
        for key in 0..20 {
            cache.request(&request(key, 50));
        }
        assert_eq!(CachePolicy::used(&cache), 1000);
        assert_eq!(
            cache.request(&request(100, 101)),
            Outcome::Miss { admitted: false }
        );
        assert_eq!(
            CachePolicy::used(&cache),
            1000,
            "too large: nothing evicted"
        );
        assert_eq!(
            cache.request(&request(101, 100)),
            Outcome::Miss { admitted: false }
        );
        assert!(
            CachePolicy::used(&cache) <= 900,
            "exactly S's size: room made, object not inserted"
        );
        assert!(!cache.contains(KeyId(101)));
        cache.check_invariants();
    }

    // Goal: removing a key forgets its ghost entry too, so it comes back through S. Method:
    // make a ghost, remove it, request it.
    #[test]
    fn remove_forgets_ghosts() {
        let capacity = Capacity::objects(20).unwrap();
        let mut cache = S3Fifo::new(capacity, S3FifoParams::default()).unwrap();
        run(&mut cache, 1..=21);
        assert!(queues(&cache).2.contains(&1));
        assert!(!cache.remove(KeyId(1)), "a ghost is not resident");
        assert!(!queues(&cache).2.contains(&1));
        run(&mut cache, [1]);
        assert_eq!(queues(&cache).0[0], 1, "back through S, not M");
    }
}
