//! ARC: recency and frequency LRU lists with ghost lists and an adaptive split.

use super::table::List;
use super::{impl_cache_policy, Capacity, Core, Policy};

const T1: u8 = 0;
const T2: u8 = 1;
const B1: u8 = 2;
const B2: u8 = 3;

/// Adaptive Replacement Cache: T1 holds objects seen once recently, T2 objects seen at least
/// twice; B1 and B2 remember the keys evicted from each. A hit in T1 or T2 moves the object
/// to T2's head. A miss whose key is in B1 grows the target size `p` of T1 by
/// `max(|B2| / |B1|, 1)`, one in B2 shrinks it by `max(|B1| / |B2|, 1)`, and the object
/// enters T2; any other miss enters T1. REPLACE evicts T1's LRU object into B1 when T1 is
/// above `p` (or equal to it on a B2 hit), else T2's into B2.
///
/// Source: Megiddo & Modha, "ARC: a self-tuning, low overhead replacement cache", FAST 2003,
/// §4 (Figure 4); libCacheSim `cache/eviction/ARC.c`, mirrored here for variable sizes:
/// sizes of all four lists are in units (ghost entries keep their size), `p` is a float (as
/// libCacheSim, after trauzti/cache's ARC.py), case IV's ghost trimming uses
/// `|T1| + |B1| + size > C` and `|T1| + |B1| + |T2| + |B2| >= 2C`, evicting T1's LRU with no
/// ghost when B1 is empty, and evictions happen only once the cache is full. No parameters.
/// Agrees with libCacheSim exactly.
#[derive(Clone, Debug)]
pub struct ArcCache {
    core: Core,
    t1: List,
    t2: List,
    b1: List,
    b2: List,
    /// Target size of T1, in units: `0 <= p <= capacity`.
    p: f64,
    /// The last ghost hit was in B1 / B2: libCacheSim's `curr_obj_in_L1_ghost` /
    /// `curr_obj_in_L2_ghost`, reset by every lookup that finds the key and by an insertion
    /// into T2. REPLACE's tie rule reads `in_b2`.
    in_b1: bool,
    in_b2: bool,
}

impl ArcCache {
    /// An empty ARC cache.
    pub fn new(capacity: Capacity) -> Self {
        ArcCache {
            core: Core::new(capacity, 1.0),
            t1: List::EMPTY,
            t2: List::EMPTY,
            b1: List::EMPTY,
            b2: List::EMPTY,
            p: 0.0,
            in_b1: false,
            in_b2: false,
        }
    }

    /// The target size of T1 (`p` in the paper), in units.
    pub fn t1_target(&self) -> f64 {
        self.p
    }

    /// Sizes of T1, T2, B1 and B2, in units.
    pub fn list_sizes(&self) -> [u64; 4] {
        [self.t1.bytes, self.t2.bytes, self.b1.bytes, self.b2.bytes]
    }

    /// Moves the tail of `from` (tag `_`) to the head of ghost list `to`.
    fn demote(&mut self, from_t1: bool) {
        let nodes = &mut self.core.table.nodes;
        let (from, to, tag) = if from_t1 {
            (&mut self.t1, &mut self.b1, B1)
        } else {
            (&mut self.t2, &mut self.b2, B2)
        };
        let victim = from.tail().expect("REPLACE picks a non-empty list");
        from.unlink(nodes, victim);
        nodes[victim as usize].tag = tag;
        to.push_head(nodes, victim);
    }

    /// The paper's REPLACE: T1's LRU object to B1 if T1 is above `p` (or at `p` after a B2
    /// hit) or T2 is empty, else T2's LRU object to B2.
    fn replace(&mut self) {
        let t1_size = self.t1.bytes as f64;
        // libCacheSim's `L1_data_size == p` on an int and a double: exact equality is the
        // rule being mirrored, so compare exactly (total_cmp: no -0.0 or NaN arise here).
        let at_target = t1_size.total_cmp(&self.p).is_eq();
        let from_t1 = (self.t1.bytes > 0 && (t1_size > self.p || (at_target && self.in_b2)))
            || self.t2.bytes == 0;
        self.demote(from_t1);
    }

    /// Drops the LRU entry of ghost list B1 or B2 entirely.
    fn forget_oldest(&mut self, in_b1: bool) {
        let list = if in_b1 { &mut self.b1 } else { &mut self.b2 };
        let oldest = list.tail().expect("trimming a non-empty ghost list");
        list.unlink(&mut self.core.table.nodes, oldest);
        self.core.table.release(oldest);
    }

    /// One eviction for a miss on a key in no list (the paper's case IV).
    fn evict_case_iv(&mut self, size: u64) {
        let capacity = self.core.capacity;
        if self.t1.bytes + self.b1.bytes + size > capacity {
            if self.b1.bytes > 0 {
                self.forget_oldest(true);
                self.replace();
            } else {
                let victim = self.t1.tail().expect("T1 fills L1 when B1 is empty");
                self.t1.unlink(&mut self.core.table.nodes, victim);
                self.core.table.release(victim);
            }
        } else {
            let total = self.t1.bytes + self.b1.bytes + self.t2.bytes + self.b2.bytes;
            if total >= 2 * capacity && self.b2.bytes > 0 {
                self.forget_oldest(false);
            }
            self.replace();
        }
    }

    /// Adapts `p` for a hit on ghost entry `slot` and drops the entry (cases II and III).
    fn on_ghost_hit(&mut self, slot: u32) {
        let capacity = self.core.capacity as f64;
        let (b1, b2) = (self.b1.bytes as f64, self.b2.bytes as f64);
        self.in_b1 = false;
        self.in_b2 = false;
        if self.core.table.nodes[slot as usize].tag == B1 {
            self.p = (self.p + (b2 / b1).max(1.0)).min(capacity);
            self.in_b1 = true;
        } else {
            self.p = (self.p - (b1 / b2).max(1.0)).max(0.0);
            self.in_b2 = true;
        }
        self.remove_slot(slot);
    }
}

impl Policy for ArcCache {
    const NAME: &'static str = "arc";

    fn core(&self) -> &Core {
        &self.core
    }

    #[inline]
    fn is_resident(&self, slot: u32) -> bool {
        self.core.table.nodes[slot as usize].tag <= T2
    }

    fn on_hit(&mut self, slot: u32) {
        self.in_b1 = false;
        self.in_b2 = false;
        let nodes = &mut self.core.table.nodes;
        if nodes[slot as usize].tag == T1 {
            self.t1.unlink(nodes, slot);
            nodes[slot as usize].tag = T2;
            self.t2.push_head(nodes, slot);
        } else {
            self.t2.move_to_head(nodes, slot);
        }
    }

    fn on_miss(&mut self, key: u64, size: u32, expire_at: u64, ghost: Option<u32>) -> bool {
        if let Some(ghost) = ghost {
            self.on_ghost_hit(ghost);
        }
        let size_units = u64::from(size);
        if size_units > self.core.capacity {
            return false;
        }
        while self.t1.bytes + self.t2.bytes + size_units > self.core.capacity {
            if ghost.is_some() {
                self.replace();
            } else {
                self.evict_case_iv(size_units);
            }
        }
        let table = &mut self.core.table;
        if ghost.is_some() {
            let slot = table.alloc(key, size, expire_at, T2);
            self.t2.push_head(&mut table.nodes, slot);
            self.in_b1 = false;
            self.in_b2 = false;
        } else {
            let slot = table.alloc(key, size, expire_at, T1);
            self.t1.push_head(&mut table.nodes, slot);
        }
        true
    }

    fn remove_slot(&mut self, slot: u32) {
        let list = match self.core.table.nodes[slot as usize].tag {
            T1 => &mut self.t1,
            T2 => &mut self.t2,
            B1 => &mut self.b1,
            _ => &mut self.b2,
        };
        list.unlink(&mut self.core.table.nodes, slot);
        self.core.table.release(slot);
    }

    fn used(&self) -> u64 {
        self.t1.bytes + self.t2.bytes
    }

    fn len(&self) -> usize {
        (self.t1.len + self.t2.len) as usize
    }

    fn check(&self) {
        let table = &self.core.table;
        self.t1.check(table, T1, |_| {});
        self.t2.check(table, T2, |_| {});
        self.b1.check(table, B1, |_| {});
        self.b2.check(table, B2, |_| {});
        let capacity = self.core.capacity as f64;
        assert!(
            (0.0..=capacity).contains(&self.p),
            "p = {} outside [0, C]",
            self.p
        );
        assert!(!(self.in_b1 && self.in_b2), "a key is in one ghost list");
        let n = self.t1.len + self.t2.len + self.b1.len + self.b2.len;
        table.check(n as usize);
    }
}

impl_cache_policy!(ArcCache);

/// `arc`.
pub(super) const ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "arc",
    aliases: &["arc-cache"],
    description: "adaptive replacement: recency and frequency lists with ghosts",
    params: &[],
    value: |_| {
        Ok(super::CacheSpec::new("arc", |capacity, _| {
            Ok(Box::new(ArcCache::new(capacity)))
        }))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{CachePolicy, CacheRequest};
    use crate::workload::KeyId;

    /// `[T1, T2, B1, B2]` keys, heads (most recent) first.
    fn lists(cache: &ArcCache) -> [Vec<u64>; 4] {
        let table = &cache.core.table;
        let keys = |list: &List, tag| {
            let mut keys = Vec::new();
            list.check(table, tag, |slot| keys.push(table.nodes[slot as usize].key));
            keys
        };
        [
            keys(&cache.t1, T1),
            keys(&cache.t2, T2),
            keys(&cache.b1, B1),
            keys(&cache.b2, B2),
        ]
    }

    // Goal: ARC adapts p as the paper says: a B1 hit grows it by max(|B2|/|B1|, 1), a B2 hit
    // shrinks it by max(|B1|/|B2|, 1), and REPLACE demotes from T1 while |T1| > p, else
    // from T2. Method: capacity 4, every list and p checked after each request.
    #[test]
    fn ghost_hits_adapt_p() {
        let mut cache = ArcCache::new(Capacity::objects(4).unwrap());
        #[track_caller]
        fn step(cache: &mut ArcCache, key: u64, hit: bool, p: f64, expect: [&[u64]; 4]) {
            let outcome = cache.request(&CacheRequest::new(KeyId(key), 1));
            assert_eq!(outcome.is_hit(), hit, "request {key}");
            cache.check_invariants();
            assert!((cache.t1_target() - p).abs() < 1e-12, "p after {key}");
            assert_eq!(lists(cache), expect.map(<[u64]>::to_vec), "after {key}");
        }
        for key in [1, 2] {
            cache.request(&CacheRequest::new(KeyId(key), 1));
        }
        step(&mut cache, 1, true, 0.0, [&[2], &[1], &[], &[]]);
        for key in [3, 4] {
            cache.request(&CacheRequest::new(KeyId(key), 1));
        }
        // Full: case IV, |T1| = 3 > p = 0, so T1's LRU (2) becomes a B1 ghost.
        step(&mut cache, 5, false, 0.0, [&[5, 4, 3], &[1], &[2], &[]]);
        // B1 hit: p += max(0/1, 1) = 1; |T1| = 3 > 1, so 3 goes to B1; 2 enters T2.
        step(&mut cache, 2, false, 1.0, [&[5, 4], &[2, 1], &[3], &[]]);
        step(&mut cache, 6, false, 1.0, [&[6, 5], &[2, 1], &[4, 3], &[]]);
        // B1 hit: p = 2; now |T1| = p (and this is no B2 hit), so T2's LRU (1) goes to B2.
        step(&mut cache, 3, false, 2.0, [&[6, 5], &[3, 2], &[4], &[1]]);
        // B2 hit: p -= max(|B1|/|B2| = 1, 1) = 1; |T1| = 2 > 1, so 5 goes to B1.
        step(&mut cache, 1, false, 1.0, [&[6], &[1, 3, 2], &[5, 4], &[]]);
        assert_eq!(cache.list_sizes(), [1, 3, 2, 0]);
    }

    // Goal: with an empty B1 and T1 filling the cache, a miss evicts T1's LRU without a ghost
    // (libCacheSim's `_ARC_evict_L1_data_no_ghost`). Method: a scan of new keys.
    #[test]
    fn scan_without_ghosts() {
        let mut cache = ArcCache::new(Capacity::objects(3).unwrap());
        for key in 1..=5 {
            cache.request(&CacheRequest::new(KeyId(key), 1));
        }
        assert_eq!(lists(&cache), [vec![5, 4, 3], vec![], vec![], vec![]]);
        cache.check_invariants();
    }
}
