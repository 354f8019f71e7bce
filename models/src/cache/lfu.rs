//! Exact in-cache LFU with O(1) frequency buckets.

use super::table::{List, NIL};
use super::{impl_cache_policy, Capacity, Core, Policy};

/// Objects carry no queue tag in LFU (their bucket is in `link`).
const RESIDENT: u8 = 0;

/// The objects with one exact frequency, in the order they reached it (head newest), chained
/// to the buckets of the next lower and higher frequencies that have objects.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    freq: u64,
    objects: List,
    /// Lower-frequency neighbour, or [`NIL`].
    lower: u32,
    /// Higher-frequency neighbour, or [`NIL`] (the next free bucket on the free list).
    higher: u32,
}

/// Least frequently used, exact, counting only while resident: a new object has frequency 1,
/// each hit adds 1, and eviction takes an object of the lowest frequency present.
///
/// **Tie-break:** among objects of the lowest frequency, the one that reached that frequency
/// earliest is evicted. An object reaches its frequency by its last access (insertion or
/// hit), so this is the least recently used of the least frequent. It is libCacheSim's
/// `cache/eviction/LFU.c` (objects are appended to their frequency node's list and the list's
/// first object is evicted), and frequencies are forgotten on eviction as there. Agrees with
/// libCacheSim exactly.
///
/// Because counts are kept only while resident, under a static popularity the cache freezes
/// early: once `C - 1` objects have counts no newcomer can reach, only the last slot churns.
/// Which objects froze depends on the first few thousand requests, so the hit ratio can fall
/// short of the optimum for demand policies (in `validation`: 0.557 against 0.599 for
/// Zipf(1.0), 1000 keys, C = 50). A perfect LFU, counting evicted objects too, would not.
///
/// Structure: frequencies present form a sorted chain of buckets (Shah, Mitra & Matani, "An
/// O(1) algorithm for implementing the LFU cache eviction scheme", 2010), so a hit, an
/// insertion and an eviction are each O(1). Source of the policy: Aho, Denning & Ullman,
/// "Principles of optimal page replacement", JACM 1971, §4 (their A0 evicts the least
/// probable object; LFU estimates probabilities by counts).
#[derive(Clone, Debug)]
pub struct Lfu {
    core: Core,
    buckets: Vec<Bucket>,
    free_bucket: u32,
    /// The lowest-frequency bucket, or [`NIL`] when empty.
    lowest: u32,
    bytes: u64,
    len: usize,
}

impl Lfu {
    /// An empty LFU cache.
    pub fn new(capacity: Capacity) -> Self {
        let core = Core::new(capacity, 0.0);
        let buckets = Vec::with_capacity(core.table.nodes.capacity().min(1024));
        Lfu {
            core,
            buckets,
            free_bucket: NIL,
            lowest: NIL,
            bytes: 0,
            len: 0,
        }
    }

    /// A resident object's frequency.
    #[cfg(test)]
    pub(crate) fn frequency(&self, key: u64) -> Option<u64> {
        let slot = self.core.table.find(key)?;
        Some(self.buckets[self.core.table.nodes[slot as usize].link as usize].freq)
    }

    /// A new empty bucket for `freq` between `lower` and `higher` (either may be [`NIL`]).
    fn new_bucket(&mut self, freq: u64, lower: u32, higher: u32) -> u32 {
        let bucket = Bucket {
            freq,
            objects: List::EMPTY,
            lower,
            higher,
        };
        let index = if self.free_bucket == NIL {
            self.buckets.push(bucket);
            (self.buckets.len() - 1) as u32
        } else {
            let index = self.free_bucket;
            self.free_bucket = self.buckets[index as usize].higher;
            self.buckets[index as usize] = bucket;
            index
        };
        if lower == NIL {
            self.lowest = index;
        } else {
            self.buckets[lower as usize].higher = index;
        }
        if higher != NIL {
            self.buckets[higher as usize].lower = index;
        }
        index
    }

    /// Unchains `index` if it has no objects left, and frees it.
    fn drop_if_empty(&mut self, index: u32) {
        let Bucket {
            objects,
            lower,
            higher,
            ..
        } = self.buckets[index as usize];
        if objects.len > 0 {
            return;
        }
        if lower == NIL {
            self.lowest = higher;
        } else {
            self.buckets[lower as usize].higher = higher;
        }
        if higher != NIL {
            self.buckets[higher as usize].lower = lower;
        }
        self.buckets[index as usize].higher = self.free_bucket;
        self.free_bucket = index;
    }

    /// Evicts the oldest object of the lowest frequency.
    fn evict(&mut self) {
        assert_ne!(self.lowest, NIL, "evicting from an empty LFU");
        let victim = self.buckets[self.lowest as usize]
            .objects
            .tail()
            .expect("buckets in the chain are not empty");
        self.remove_slot(victim);
    }
}

impl Policy for Lfu {
    const NAME: &'static str = "lfu";

    fn core(&self) -> &Core {
        &self.core
    }

    fn is_resident(&self, _slot: u32) -> bool {
        true
    }

    fn on_hit(&mut self, slot: u32) {
        let from = self.core.table.nodes[slot as usize].link;
        let Bucket { freq, higher, .. } = self.buckets[from as usize];
        let to = if higher != NIL && self.buckets[higher as usize].freq == freq + 1 {
            higher
        } else {
            self.new_bucket(freq + 1, from, higher)
        };
        let nodes = &mut self.core.table.nodes;
        self.buckets[from as usize].objects.unlink(nodes, slot);
        self.buckets[to as usize].objects.push_head(nodes, slot);
        nodes[slot as usize].link = to;
        self.drop_if_empty(from);
    }

    fn on_miss(&mut self, key: u64, size: u32, expire_at: u64, ghost: Option<u32>) -> bool {
        debug_assert!(ghost.is_none());
        if u64::from(size) > self.core.capacity {
            return false;
        }
        while self.bytes + u64::from(size) > self.core.capacity {
            self.evict();
        }
        let bucket = if self.lowest != NIL && self.buckets[self.lowest as usize].freq == 1 {
            self.lowest
        } else {
            self.new_bucket(1, NIL, self.lowest)
        };
        let slot = self.core.table.alloc(key, size, expire_at, RESIDENT);
        let nodes = &mut self.core.table.nodes;
        nodes[slot as usize].link = bucket;
        self.buckets[bucket as usize].objects.push_head(nodes, slot);
        self.bytes += u64::from(size);
        self.len += 1;
        true
    }

    fn remove_slot(&mut self, slot: u32) {
        let bucket = self.core.table.nodes[slot as usize].link;
        let size = self.core.table.nodes[slot as usize].size;
        self.buckets[bucket as usize]
            .objects
            .unlink(&mut self.core.table.nodes, slot);
        self.core.table.release(slot);
        self.drop_if_empty(bucket);
        self.bytes -= u64::from(size);
        self.len -= 1;
    }

    fn used(&self) -> u64 {
        self.bytes
    }

    fn len(&self) -> usize {
        self.len
    }

    fn check(&self) {
        let (mut len, mut bytes, mut n_buckets) = (0usize, 0u64, 0usize);
        let (mut index, mut lower, mut freq_below) = (self.lowest, NIL, 0);
        while index != NIL {
            assert!(
                n_buckets < self.len,
                "more buckets than objects: the chain loops"
            );
            n_buckets += 1;
            let bucket = &self.buckets[index as usize];
            assert!(bucket.freq > freq_below, "bucket frequencies increase");
            assert_eq!(bucket.lower, lower, "broken bucket chain");
            assert!(bucket.objects.len > 0, "empty bucket in the chain");
            bucket.objects.check(&self.core.table, RESIDENT, |slot| {
                assert_eq!(self.core.table.nodes[slot as usize].link, index);
            });
            len += bucket.objects.len as usize;
            bytes += bucket.objects.bytes;
            (lower, freq_below, index) = (index, bucket.freq, bucket.higher);
        }
        assert_eq!(len, self.len);
        assert_eq!(bytes, self.bytes);
        self.core.table.check(self.len);
    }
}

impl_cache_policy!(Lfu);

/// `lfu`.
pub(super) const ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "lfu",
    aliases: &[],
    description: "least frequently used, exact; ties go to the earliest at that frequency",
    params: &[],
    value: |_| {
        Ok(super::CacheSpec::new("lfu", |capacity, _| {
            Ok(Box::new(Lfu::new(capacity)))
        }))
    },
};
