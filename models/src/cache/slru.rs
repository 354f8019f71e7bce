//! Segmented LRU, and the segment lists W-TinyLFU's main cache reuses.

use super::table::{List, Table};
use super::{check_part, impl_cache_policy, CacheError, Capacity, Core, Policy};

/// Largest SLRU segment count: 16, libCacheSim's `SLRU_MAX_N_SEG`.
pub const SLRU_SEGMENTS_MAX: u8 = 16;

/// `n` LRU segments over a shared table, as libCacheSim's `SLRU.c` keeps them: segment 0 is
/// the coldest; a node's tag is its segment's index. Each segment has a maximum size and the
/// whole a capacity; both in units.
#[derive(Clone, Debug)]
pub(crate) struct Segments {
    lists: Vec<List>,
    max: Vec<u64>,
    capacity: u64,
}

impl Segments {
    /// `n` equal segments of `capacity / n` (integer division, as libCacheSim).
    pub(crate) fn equal(capacity: u64, n: u8) -> Self {
        assert!((1..=SLRU_SEGMENTS_MAX).contains(&n), "{n} segments");
        let each = capacity / u64::from(n);
        Segments {
            lists: vec![List::EMPTY; usize::from(n)],
            max: vec![each; usize::from(n)],
            capacity,
        }
    }

    /// Segments sized in proportion to `parts`, libCacheSim's `seg-size=a:b:...`:
    /// `(int64_t)((double)part / sum * capacity)`.
    pub(crate) fn proportional(capacity: u64, parts: &[u64]) -> Self {
        assert!(!parts.is_empty() && parts.len() <= usize::from(SLRU_SEGMENTS_MAX));
        let sum: u64 = parts.iter().sum();
        let max = parts
            .iter()
            .map(|&part| (part as f64 / sum as f64 * capacity as f64) as u64)
            .collect();
        Segments {
            lists: vec![List::EMPTY; parts.len()],
            max,
            capacity,
        }
    }

    /// The largest size of segment `index`.
    pub(crate) fn segment_max(&self, index: usize) -> u64 {
        self.max[index]
    }

    /// The whole's capacity.
    pub(crate) fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Resident size.
    #[inline]
    pub(crate) fn bytes(&self) -> u64 {
        self.lists.iter().map(|list| list.bytes).sum()
    }

    /// Resident objects.
    pub(crate) fn len(&self) -> usize {
        self.lists.iter().map(|list| list.len as usize).sum()
    }

    /// libCacheSim's `SLRU_can_insert`: fits the whole and the coldest segment.
    pub(crate) fn can_insert(&self, size: u32) -> bool {
        let size = u64::from(size);
        size <= self.capacity && size <= self.max[0]
    }

    /// The next victim, libCacheSim's `SLRU_to_evict`: the tail of the coldest segment with
    /// bytes in it (falling back to any object, for segments of size-0 objects only).
    pub(crate) fn victim(&self) -> Option<u32> {
        let coldest = self
            .lists
            .iter()
            .find(|list| list.bytes > 0)
            .or_else(|| self.lists.iter().find(|list| list.len > 0))?;
        coldest.tail()
    }

    /// Evicts [`victim`](Segments::victim) from the cache.
    pub(crate) fn evict(&mut self, table: &mut Table) {
        let victim = self.victim().expect("evicting from empty segments");
        self.unlink(table, victim);
        table.release(victim);
    }

    /// Unlinks `slot` from its segment.
    pub(crate) fn unlink(&mut self, table: &mut Table, slot: u32) {
        let segment = usize::from(table.nodes[slot as usize].tag);
        self.lists[segment].unlink(&mut table.nodes, slot);
    }

    /// A hit, libCacheSim's `SLRU_find`: the hottest segment moves the object to its head;
    /// any other promotes it to the next segment's head, then demotes overflow downward,
    /// evicting from the coldest segment if it overflows in turn.
    pub(crate) fn hit(&mut self, table: &mut Table, slot: u32) {
        let segment = usize::from(table.nodes[slot as usize].tag);
        let top = self.lists.len() - 1;
        if segment == top {
            self.lists[top].move_to_head(&mut table.nodes, slot);
            return;
        }
        self.lists[segment].unlink(&mut table.nodes, slot);
        table.nodes[slot as usize].tag = (segment + 1) as u8;
        self.lists[segment + 1].push_head(&mut table.nodes, slot);
        self.fix_overflow(table, segment + 1);
    }

    /// libCacheSim's `while (over(s)) SLRU_cool(s)`, where cooling `s` moves its tail to the
    /// head of `s - 1` and then cools `s - 1` while it overflows (cooling 0 evicts). Unrolled
    /// into a loop over the current level: each step moves or evicts one object, so it ends.
    fn fix_overflow(&mut self, table: &mut Table, top: usize) {
        let mut level = top;
        loop {
            if self.lists[level].bytes > self.max[level] {
                if level == 0 {
                    self.evict(table);
                } else {
                    let tail = self.lists[level].tail().expect("an overflowing segment");
                    self.lists[level].unlink(&mut table.nodes, tail);
                    table.nodes[tail as usize].tag = (level - 1) as u8;
                    self.lists[level - 1].push_head(&mut table.nodes, tail);
                    level -= 1;
                }
            } else if level == top {
                return;
            } else {
                level += 1;
            }
        }
    }

    /// Links unlinked `slot`, libCacheSim's `SLRU_insert`: into the coldest segment with room
    /// for it, else (evicting first if the whole is full) into segment 0.
    pub(crate) fn insert(&mut self, table: &mut Table, slot: u32) {
        let size = u64::from(table.nodes[slot as usize].size);
        let segment = match (0..self.lists.len())
            .find(|&index| self.lists[index].bytes + size <= self.max[index])
        {
            Some(index) => index,
            None => {
                while self.bytes() + size > self.capacity {
                    self.evict(table);
                }
                0
            }
        };
        table.nodes[slot as usize].tag = segment as u8;
        self.lists[segment].push_head(&mut table.nodes, slot);
    }

    /// O(n): checks every segment's list; calls `visit` on each slot.
    pub(crate) fn check(&self, table: &Table, mut visit: impl FnMut(u32)) {
        for (index, list) in self.lists.iter().enumerate() {
            list.check(table, index as u8, &mut visit);
        }
    }
}

/// Segmented LRU: `n` LRU segments, coldest first. A miss inserts into the coldest segment
/// with room (so while the cache fills, warmer segments take new objects directly); a hit
/// promotes the object one segment up (or to the head of the hottest); a segment that
/// overflows demotes its tail to the head of the segment below, and the coldest one evicts.
///
/// Source: Karedla, Love & Wherry, "Caching strategies to improve disk system performance",
/// IEEE Computer 1994 (two segments); libCacheSim `cache/eviction/SLRU.c`, whose default is
/// `n-seg=4` segments of `capacity / 4` each, used here; objects larger than a segment are
/// not admitted, as there. A hit can evict: promotion cascades down to the coldest segment,
/// which evicts when it overflows, exactly as libCacheSim does. Agrees with libCacheSim
/// exactly.
#[derive(Clone, Debug)]
pub struct Slru {
    core: Core,
    segments: Segments,
}

impl Slru {
    /// An empty SLRU cache with `segments` equal segments (1..=[`SLRU_SEGMENTS_MAX`];
    /// libCacheSim's default is 4); rejects capacities below one unit per segment.
    pub fn new(capacity: Capacity, segments: u8) -> Result<Self, CacheError> {
        if !(1..=SLRU_SEGMENTS_MAX).contains(&segments) {
            return Err(CacheError::BadCount {
                policy: "slru",
                param: "segments",
                valid: ">= 1 and <= 16",
                value: u64::from(segments),
            });
        }
        check_part("slru", "coldest segment", capacity, 1, |amount| {
            amount / u64::from(segments)
        })?;
        Ok(Slru {
            core: Core::new(capacity, 0.0),
            segments: Segments::equal(capacity.amount(), segments),
        })
    }
}

impl Policy for Slru {
    const NAME: &'static str = "slru";

    fn core(&self) -> &Core {
        &self.core
    }

    fn is_resident(&self, _slot: u32) -> bool {
        true
    }

    fn on_hit(&mut self, slot: u32) {
        self.segments.hit(&mut self.core.table, slot);
    }

    fn on_miss(&mut self, key: u64, size: u32, expire_at: u64, ghost: Option<u32>) -> bool {
        debug_assert!(ghost.is_none());
        if !self.segments.can_insert(size) {
            return false;
        }
        while self.segments.bytes() + u64::from(size) > self.core.capacity {
            self.segments.evict(&mut self.core.table);
        }
        let slot = self.core.table.alloc(key, size, expire_at, 0);
        self.segments.insert(&mut self.core.table, slot);
        true
    }

    fn remove_slot(&mut self, slot: u32) {
        self.segments.unlink(&mut self.core.table, slot);
        self.core.table.release(slot);
    }

    fn used(&self) -> u64 {
        self.segments.bytes()
    }

    fn len(&self) -> usize {
        self.segments.len()
    }

    fn check(&self) {
        self.segments.check(&self.core.table, |_| {});
        self.core.table.check(self.segments.len());
    }
}

impl_cache_policy!(Slru);

/// `slru`.
pub(super) const ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "slru",
    aliases: &[],
    description: "segmented LRU: equal segments, promotion on hit",
    params: &[sim_core::registry::Param::optional(
        "segments",
        "4",
        "number of equal segments, 1 to 16",
    )],
    value: |args| {
        let segments = super::spec::small_count(args, "segments", 4, SLRU_SEGMENTS_MAX)?;
        Ok(super::CacheSpec::new("slru", move |capacity, _| {
            Ok(Box::new(Slru::new(capacity, segments)?))
        }))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{CachePolicy, CacheRequest};
    use crate::workload::KeyId;

    /// Each segment's keys, coldest segment first, heads first.
    fn segments(cache: &Slru) -> Vec<Vec<u64>> {
        let table = &cache.core.table;
        let mut out = vec![Vec::new(); cache.segments.lists.len()];
        cache.segments.check(table, |slot| {
            let node = &table.nodes[slot as usize];
            out[usize::from(node.tag)].push(node.key);
        });
        out
    }

    fn run(cache: &mut Slru, keys: &[u64]) -> Vec<Vec<u64>> {
        for &key in keys {
            cache.request(&CacheRequest::new(KeyId(key), 1));
            cache.check_invariants();
        }
        segments(cache)
    }

    // Goal: libCacheSim's SLRU: new objects take the coldest segment with room, a hit
    // promotes one segment and the overflow is demoted to the head of the segment below.
    // Method: 4 segments of 2, contents after each step.
    #[test]
    fn promotion_and_demotion() {
        let mut cache = Slru::new(Capacity::objects(8).unwrap(), 4).unwrap();
        let filled = run(&mut cache, &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(filled, [vec![2, 1], vec![4, 3], vec![6, 5], vec![8, 7]]);
        assert_eq!(run(&mut cache, &[9])[0], [9, 2], "evicts the coldest tail");
        assert_eq!(run(&mut cache, &[2])[..2], [vec![3, 9], vec![2, 4]]);
        assert_eq!(run(&mut cache, &[7])[3], [7, 8]);
        assert_eq!(run(&mut cache, &[5])[2..], [vec![8, 6], vec![5, 7]]);
        let last = run(&mut cache, &[3]);
        assert_eq!(last, [vec![4, 9], vec![3, 2], vec![8, 6], vec![5, 7]]);
    }

    // Goal: a hit can evict (libCacheSim's cooling cascade reaches segment 0). Method:
    // capacity 9 with 4 segments of 2 puts the ninth object into a full segment 0; a hit on
    // it pushes segment 1's tail down and segment 0's tail out.
    #[test]
    fn a_hit_can_evict() {
        let mut cache = Slru::new(Capacity::objects(9).unwrap(), 4).unwrap();
        assert_eq!(run(&mut cache, &[1, 2, 3, 4, 5, 6, 7, 8, 9])[0], [9, 2, 1]);
        let after = run(&mut cache, &[9]);
        assert_eq!(after[..2], [vec![3, 2], vec![9, 4]]);
        assert!(!cache.contains(KeyId(1)));
        assert_eq!(CachePolicy::len(&cache), 8);
    }
}
