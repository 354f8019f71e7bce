//! 2Q: a FIFO for new objects, an LRU for reused ones, and a ghost FIFO between them.

use super::table::{List, Table};
use super::{check_part, check_ratio, impl_cache_policy, CacheError, Capacity, Core, Policy};

const AIN: u8 = 0;
const AM: u8 = 1;
const AOUT: u8 = 2;

/// 2Q's parameters, as fractions of the capacity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TwoQParams {
    /// A1in, the FIFO new objects enter: in `(0, 1)`; libCacheSim's default 0.25.
    pub ain_ratio: f64,
    /// A1out, the ghost FIFO of keys evicted from A1in: in `[0, 10]`; libCacheSim's default
    /// 0.5.
    pub aout_ratio: f64,
}

impl Default for TwoQParams {
    /// libCacheSim's `Ain-size-ratio=0.25,Aout-size-ratio=0.5` (`cache/eviction/TwoQ.c`),
    /// the paper's recommendation (§3: Kin 25%, Kout 50% of the pages).
    fn default() -> Self {
        TwoQParams {
            ain_ratio: 0.25,
            aout_ratio: 0.5,
        }
    }
}

/// The "full version" of 2Q: new objects enter A1in, a FIFO; objects evicted from A1in leave
/// their key in A1out, a ghost FIFO; a miss whose key is in A1out goes to Am, an LRU. Hits in
/// A1in change nothing; hits in Am move the object to Am's head. Eviction takes A1in's tail
/// while A1in is over its share, else Am's tail.
///
/// Source: Johnson & Shasha, "2Q: a low overhead high performance buffer management
/// replacement algorithm", VLDB 1994, §2 (Figure 3, "full version"); libCacheSim
/// `cache/eviction/TwoQ.c`, mirrored here: A1in holds `(u64)(C x 0.25)`, A1out
/// `(u64)(C x 0.5)` (in units: its ghost entries keep their sizes), Am `C - A1in`; A1in may
/// exceed its share while the cache is not full; objects larger than A1in's share are never
/// admitted; an A1out hit fills Am through Am's own capacity. Agrees with libCacheSim
/// exactly.
#[derive(Clone, Debug)]
pub struct TwoQ {
    core: Core,
    ain: List,
    am: List,
    aout: List,
    ain_max: u64,
    am_max: u64,
    aout_max: u64,
}

impl TwoQ {
    /// An empty 2Q cache; rejects ratios out of range and capacities that leave A1in empty.
    pub fn new(capacity: Capacity, params: TwoQParams) -> Result<Self, CacheError> {
        let ain_ratio = check_ratio("2q", "ain_ratio", params.ain_ratio, "> 0 and < 1", |r| {
            r > 0.0 && r < 1.0
        })?;
        let aout_ratio = check_ratio(
            "2q",
            "aout_ratio",
            params.aout_ratio,
            ">= 0 and <= 10",
            |r| (0.0..=10.0).contains(&r),
        )?;
        let share = |amount: u64, ratio: f64| (amount as f64 * ratio) as u64;
        check_part("2q", "A1in queue", capacity, 1, |amount| {
            share(amount, ain_ratio)
        })?;
        let amount = capacity.amount();
        let ain_max = share(amount, ain_ratio);
        Ok(TwoQ {
            core: Core::new(capacity, aout_ratio),
            ain: List::EMPTY,
            am: List::EMPTY,
            aout: List::EMPTY,
            ain_max,
            am_max: amount - ain_max,
            aout_max: share(amount, aout_ratio),
        })
    }

    /// Evicts one object: A1in's tail into A1out if A1in is over its share, else Am's tail.
    fn evict(&mut self) {
        let table = &mut self.core.table;
        if self.ain.bytes > self.ain_max {
            let victim = self.ain.tail().expect("A1in over its share is not empty");
            self.ain.unlink(&mut table.nodes, victim);
            remember(table, &mut self.aout, self.aout_max, victim, AOUT);
        } else {
            let victim = self
                .am
                .tail()
                .expect("a full cache with A1in within its share");
            self.am.unlink(&mut table.nodes, victim);
            table.release(victim);
        }
    }
}

/// Turns unlinked `slot` into a ghost entry at the head of `ghosts` (a FIFO of at most
/// `ghosts_max` units), evicting old ghosts to make room; releases it if it is larger than
/// the whole ghost list. This is libCacheSim's `ghost->get(ghost, req)` on a FIFO.
pub(crate) fn remember(table: &mut Table, ghosts: &mut List, ghosts_max: u64, slot: u32, tag: u8) {
    let size = u64::from(table.nodes[slot as usize].size);
    if size > ghosts_max {
        table.release(slot);
        return;
    }
    while ghosts.bytes + size > ghosts_max {
        let old = ghosts.tail().expect("ghosts over their size are not empty");
        ghosts.unlink(&mut table.nodes, old);
        table.release(old);
    }
    let node = &mut table.nodes[slot as usize];
    node.tag = tag;
    node.freq = 0;
    ghosts.push_head(&mut table.nodes, slot);
}

impl Policy for TwoQ {
    const NAME: &'static str = "2q";

    fn core(&self) -> &Core {
        &self.core
    }

    #[inline]
    fn is_resident(&self, slot: u32) -> bool {
        self.core.table.nodes[slot as usize].tag != AOUT
    }

    fn on_hit(&mut self, slot: u32) {
        if self.core.table.nodes[slot as usize].tag == AM {
            self.am.move_to_head(&mut self.core.table.nodes, slot);
        }
    }

    fn on_miss(&mut self, key: u64, size: u32, expire_at: u64, ghost: Option<u32>) -> bool {
        if let Some(ghost) = ghost {
            self.remove_slot(ghost);
        }
        let size_units = u64::from(size);
        if size_units > self.ain_max || size_units > self.core.capacity {
            return false;
        }
        while self.ain.bytes + self.am.bytes + size_units > self.core.capacity {
            self.evict();
        }
        let table = &mut self.core.table;
        if ghost.is_some() {
            // libCacheSim's `Am->get(req)`: Am makes room within its own share.
            while self.am.bytes + size_units > self.am_max {
                let victim = self.am.tail().expect("size <= Am's share");
                self.am.unlink(&mut table.nodes, victim);
                table.release(victim);
            }
            let slot = table.alloc(key, size, expire_at, AM);
            self.am.push_head(&mut table.nodes, slot);
        } else {
            let slot = table.alloc(key, size, expire_at, AIN);
            self.ain.push_head(&mut table.nodes, slot);
        }
        true
    }

    fn remove_slot(&mut self, slot: u32) {
        let list = match self.core.table.nodes[slot as usize].tag {
            AIN => &mut self.ain,
            AM => &mut self.am,
            _ => &mut self.aout,
        };
        list.unlink(&mut self.core.table.nodes, slot);
        self.core.table.release(slot);
    }

    fn used(&self) -> u64 {
        self.ain.bytes + self.am.bytes
    }

    fn len(&self) -> usize {
        (self.ain.len + self.am.len) as usize
    }

    fn check(&self) {
        let table = &self.core.table;
        self.ain.check(table, AIN, |_| {});
        self.am.check(table, AM, |_| {});
        self.aout.check(table, AOUT, |_| {});
        assert!(self.am.bytes <= self.am_max, "Am over its share");
        assert!(self.aout.bytes <= self.aout_max, "A1out over its share");
        table.check((self.ain.len + self.am.len + self.aout.len) as usize);
    }
}

impl_cache_policy!(TwoQ);

/// `2q`.
pub(super) const ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "2q",
    aliases: &["twoq"],
    description: "FIFO A1in, ghost A1out, LRU Am",
    params: &[
        sim_core::registry::Param::optional(
            "ain_ratio",
            "0.25",
            "A1in's share of the capacity, in (0, 1)",
        ),
        sim_core::registry::Param::optional(
            "aout_ratio",
            "0.5",
            "A1out's (ghost) size as a fraction of the capacity, in [0, 10]",
        ),
    ],
    value: |args| {
        let params = TwoQParams {
            ain_ratio: super::spec::ratio(args, "ain_ratio", 0.25)?,
            aout_ratio: super::spec::ratio(args, "aout_ratio", 0.5)?,
        };
        Ok(super::CacheSpec::new("2q", move |capacity, _| {
            Ok(Box::new(TwoQ::new(capacity, params)?))
        }))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{CachePolicy, CacheRequest};
    use crate::workload::KeyId;

    /// `[A1in, Am, A1out]` keys, heads first.
    fn lists(cache: &TwoQ) -> [Vec<u64>; 3] {
        let table = &cache.core.table;
        let keys = |list: &List, tag| {
            let mut keys = Vec::new();
            list.check(table, tag, |slot| keys.push(table.nodes[slot as usize].key));
            keys
        };
        [
            keys(&cache.ain, AIN),
            keys(&cache.am, AM),
            keys(&cache.aout, AOUT),
        ]
    }

    // Goal: 2Q's full version: A1in fills past its share until the cache is full, evicts
    // into A1out, an A1out hit goes to Am, and a hit in A1in does not save an object
    // (correlated references). Method: capacity 8 (A1in 2, A1out 4, Am 6).
    #[test]
    fn queues_follow_the_algorithm() {
        let mut cache = TwoQ::new(Capacity::objects(8).unwrap(), TwoQParams::default()).unwrap();
        let mut run = |keys: &[u64]| {
            for &key in keys {
                cache.request(&CacheRequest::new(KeyId(key), 1));
                cache.check_invariants();
            }
            lists(&cache)
        };
        assert_eq!(run(&[1, 2, 3, 4, 5, 6, 7, 8])[0], [8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(run(&[9])[2], [1]);
        assert_eq!(run(&[1]), [vec![9, 8, 7, 6, 5, 4, 3], vec![1], vec![2]]);
        assert_eq!(run(&[2])[1], [2, 1]);
        // 4 is hit while in A1in, and is still the next to leave it.
        assert_eq!(
            run(&[4, 10]),
            [vec![10, 9, 8, 7, 6, 5], vec![2, 1], vec![4, 3]]
        );
    }
}
