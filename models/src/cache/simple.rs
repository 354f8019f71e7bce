//! Single-queue policies: FIFO, LRU, CLOCK, SIEVE and Random.

use rand::Rng;
use sim_core::SimRng;

use super::table::{List, NIL};
use super::{impl_cache_policy, CacheError, Capacity, Core, Policy};

/// The tag of the one queue these policies keep.
const QUEUE: u8 = 0;

/// Largest CLOCK counter width: 8 bits (reference counts up to 255).
pub const CLOCK_BITS_MAX: u8 = 8;

/// Evicts `queue`'s tail (FIFO's and LRU's victim); the caller checked it is not empty.
fn evict_tail(core: &mut Core, queue: &mut List) {
    let victim = queue
        .tail()
        .expect("evicting only to fit an object no larger than the cache");
    unlink_release(core, queue, victim);
}

/// Takes `slot` out of `queue` and frees it.
fn unlink_release(core: &mut Core, queue: &mut List, slot: u32) {
    queue.unlink(&mut core.table.nodes, slot);
    core.table.release(slot);
}

/// The [`Policy`] methods the one-queue policies (FIFO, LRU, CLOCK, SIEVE) share: every slot
/// is resident; a miss evicts with the policy's own `evict` until the object fits and inserts
/// it at the head; space and count are the queue's.
macro_rules! one_queue_methods {
    () => {
        fn core(&self) -> &Core {
            &self.core
        }

        fn is_resident(&self, _slot: u32) -> bool {
            true
        }

        fn on_miss(&mut self, key: u64, size: u32, expire_at: u64, ghost: Option<u32>) -> bool {
            debug_assert!(ghost.is_none());
            if u64::from(size) > self.core.capacity {
                return false;
            }
            while self.queue.bytes + u64::from(size) > self.core.capacity {
                self.evict();
            }
            push_new(&mut self.core, &mut self.queue, key, size, expire_at);
            true
        }

        fn used(&self) -> u64 {
            self.queue.bytes
        }

        fn len(&self) -> usize {
            self.queue.len as usize
        }
    };
}

/// Inserts `key` at `queue`'s head.
fn push_new(core: &mut Core, queue: &mut List, key: u64, size: u32, expire_at: u64) -> u32 {
    let slot = core.table.alloc(key, size, expire_at, QUEUE);
    queue.push_head(&mut core.table.nodes, slot);
    slot
}

/// Checks a one-queue policy's queue and table.
fn check_queue(core: &Core, queue: &List, visit: impl FnMut(u32)) {
    queue.check(&core.table, QUEUE, visit);
    core.table.check(queue.len as usize);
}

/// First in, first out: evicts the object inserted longest ago; hits change nothing.
///
/// Source: Belady, "A study of replacement algorithms for a virtual-storage computer", IBM
/// Systems Journal 1966; libCacheSim `cache/eviction/FIFO.c` (insert at the head, evict the
/// tail). Agrees with libCacheSim exactly.
#[derive(Clone, Debug)]
pub struct Fifo {
    core: Core,
    queue: List,
}

impl Fifo {
    /// An empty FIFO cache.
    pub fn new(capacity: Capacity) -> Self {
        Fifo {
            core: Core::new(capacity, 0.0),
            queue: List::EMPTY,
        }
    }
}

impl Fifo {
    fn evict(&mut self) {
        evict_tail(&mut self.core, &mut self.queue);
    }
}

impl Policy for Fifo {
    const NAME: &'static str = "fifo";

    one_queue_methods!();

    fn on_hit(&mut self, _slot: u32) {}

    fn remove_slot(&mut self, slot: u32) {
        unlink_release(&mut self.core, &mut self.queue, slot);
    }

    fn check(&self) {
        check_queue(&self.core, &self.queue, |_| {});
    }
}

impl_cache_policy!(Fifo);

/// Least recently used: a hit moves the object to the head; evicts the tail.
///
/// Source: Mattson, Gecsei, Slutz & Traiger, "Evaluation techniques for storage
/// hierarchies", IBM Systems Journal 1970 (LRU as a stack algorithm); libCacheSim
/// `cache/eviction/LRU.c`. Agrees with libCacheSim exactly.
///
/// Hot path budget: a hit is one lookup and one relink (<= 40 ns in cache); a miss adds one
/// insert and one removal.
#[derive(Clone, Debug)]
pub struct Lru {
    core: Core,
    queue: List,
}

impl Lru {
    /// An empty LRU cache.
    pub fn new(capacity: Capacity) -> Self {
        Lru {
            core: Core::new(capacity, 0.0),
            queue: List::EMPTY,
        }
    }
}

impl Lru {
    fn evict(&mut self) {
        evict_tail(&mut self.core, &mut self.queue);
    }
}

impl Policy for Lru {
    const NAME: &'static str = "lru";

    one_queue_methods!();

    #[inline]
    fn on_hit(&mut self, slot: u32) {
        self.queue.move_to_head(&mut self.core.table.nodes, slot);
    }

    fn remove_slot(&mut self, slot: u32) {
        unlink_release(&mut self.core, &mut self.queue, slot);
    }

    fn check(&self) {
        check_queue(&self.core, &self.queue, |_| {});
    }
}

impl_cache_policy!(Lru);

/// CLOCK (second chance, FIFO-reinsertion) with an n-bit reference counter: a hit increments
/// the object's counter up to `2^bits - 1`; eviction looks at the oldest object and, while its
/// counter is non-zero, decrements it and moves the object to the head, then evicts the first
/// object found at zero. New objects start at 0.
///
/// Source: Corbató, "A paging experiment with the Multics system", 1968 (one reference bit);
/// libCacheSim `cache/eviction/Clock.c`, whose defaults are `n-bit-counter=1`, `init-freq=0`.
/// The hand is the queue's tail (libCacheSim moves retained objects to the head, which is the
/// same order as a circular hand). Agrees with libCacheSim exactly.
#[derive(Clone, Debug)]
pub struct Clock {
    core: Core,
    queue: List,
    freq_max: u8,
}

impl Clock {
    /// An empty CLOCK cache with `bits`-bit counters (1..=[`CLOCK_BITS_MAX`]; libCacheSim's
    /// default is 1).
    pub fn new(capacity: Capacity, bits: u8) -> Result<Self, CacheError> {
        if !(1..=CLOCK_BITS_MAX).contains(&bits) {
            return Err(CacheError::BadCount {
                policy: "clock",
                param: "bits",
                valid: ">= 1 and <= 8",
                value: u64::from(bits),
            });
        }
        Ok(Clock {
            core: Core::new(capacity, 0.0),
            queue: List::EMPTY,
            freq_max: ((1u16 << bits) - 1) as u8,
        })
    }

    /// Evicts one object, giving each counted object another pass. Bounded: every retained
    /// object's counter drops, so at most `freq_max * len + 1` steps.
    fn evict(&mut self) {
        let nodes = &mut self.core.table.nodes;
        loop {
            let tail = self.queue.tail().expect("evicting from an empty CLOCK");
            let node = &mut nodes[tail as usize];
            if node.freq == 0 {
                self.queue.unlink(nodes, tail);
                self.core.table.release(tail);
                return;
            }
            node.freq -= 1;
            self.queue.move_to_head(nodes, tail);
        }
    }
}

impl Policy for Clock {
    const NAME: &'static str = "clock";

    one_queue_methods!();

    #[inline]
    fn on_hit(&mut self, slot: u32) {
        let node = &mut self.core.table.nodes[slot as usize];
        node.freq = node.freq.saturating_add(1).min(self.freq_max);
    }

    fn remove_slot(&mut self, slot: u32) {
        unlink_release(&mut self.core, &mut self.queue, slot);
    }

    fn check(&self) {
        let nodes = &self.core.table.nodes;
        check_queue(&self.core, &self.queue, |slot| {
            assert!(nodes[slot as usize].freq <= self.freq_max);
        });
    }
}

impl_cache_policy!(Clock);

/// SIEVE: a FIFO queue with one visited bit per object and a hand. New objects go to the head
/// unvisited; a hit sets the bit (and moves nothing). Eviction starts at the hand (the tail
/// when unset) and walks toward the head, clearing visited bits, wrapping from the head back
/// to the tail, and evicts the first unvisited object; the hand then rests on that object's
/// newer neighbour.
///
/// Source: Zhang, Yang, Yue, Vigfusson & Rashmi, "SIEVE is simpler than LRU: an efficient
/// turn-key eviction algorithm for web caches", NSDI 2024, §3 (Algorithm 1); libCacheSim
/// `cache/eviction/Sieve.c`. Removing the object under the hand moves the hand to its newer
/// neighbour, as libCacheSim does. Agrees with libCacheSim exactly.
#[derive(Clone, Debug)]
pub struct Sieve {
    core: Core,
    queue: List,
    /// The next object eviction examines, or [`NIL`]: start at the tail.
    hand: u32,
}

impl Sieve {
    /// An empty SIEVE cache.
    pub fn new(capacity: Capacity) -> Self {
        Sieve {
            core: Core::new(capacity, 0.0),
            queue: List::EMPTY,
            hand: NIL,
        }
    }

    /// Evicts one object. Bounded: after one lap every visited bit is clear, so at most
    /// `len + 1` steps.
    fn evict(&mut self) {
        let nodes = &mut self.core.table.nodes;
        let mut slot = if self.hand == NIL {
            self.queue.tail
        } else {
            self.hand
        };
        assert_ne!(slot, NIL, "evicting from an empty SIEVE");
        while nodes[slot as usize].freq != 0 {
            let node = &mut nodes[slot as usize];
            node.freq = 0;
            slot = if node.prev == NIL {
                self.queue.tail
            } else {
                node.prev
            };
        }
        self.hand = nodes[slot as usize].prev;
        unlink_release(&mut self.core, &mut self.queue, slot);
    }
}

impl Policy for Sieve {
    const NAME: &'static str = "sieve";

    one_queue_methods!();

    #[inline]
    fn on_hit(&mut self, slot: u32) {
        self.core.table.nodes[slot as usize].freq = 1;
    }

    fn remove_slot(&mut self, slot: u32) {
        if slot == self.hand {
            self.hand = self.core.table.nodes[slot as usize].prev;
        }
        unlink_release(&mut self.core, &mut self.queue, slot);
    }

    fn check(&self) {
        let nodes = &self.core.table.nodes;
        let mut hand_seen = self.hand == NIL;
        check_queue(&self.core, &self.queue, |slot| {
            assert!(nodes[slot as usize].freq <= 1, "visited is a bit");
            hand_seen |= slot == self.hand;
        });
        assert!(hand_seen, "the hand {} is not in the queue", self.hand);
    }
}

impl_cache_policy!(Sieve);

/// Random eviction: evicts a uniformly random resident object; hits change nothing.
///
/// Source: Belady 1966 (RAND); libCacheSim `cache/eviction/Random.c`, which picks a random
/// object through its hash table. Draws come from the labelled stream handed in, so runs are
/// reproducible, but victims (and so miss ratios, request by request) cannot match
/// libCacheSim's generator; they agree statistically. Under independent requests FIFO and
/// Random have the same stationary law (Gelenbe, "A unified approach to the evaluation of a
/// class of replacement algorithms", IEEE Trans. Computers 1973).
#[derive(Clone, Debug)]
pub struct Random {
    core: Core,
    /// Resident slots in arbitrary order; a node's `link` is its index here.
    slots: Vec<u32>,
    bytes: u64,
    rng: SimRng,
}

impl Random {
    /// An empty Random cache drawing victims from `rng`.
    pub fn new(capacity: Capacity, rng: SimRng) -> Self {
        let core = Core::new(capacity, 0.0);
        let slots = Vec::with_capacity(core.table.nodes.capacity());
        Random {
            core,
            slots,
            bytes: 0,
            rng,
        }
    }

    /// Unlinks `slot` from the slot array (swap-remove).
    fn detach(&mut self, slot: u32) {
        let nodes = &mut self.core.table.nodes;
        let index = nodes[slot as usize].link as usize;
        assert_eq!(self.slots[index], slot, "slot {slot} not at its index");
        self.slots.swap_remove(index);
        if let Some(&moved) = self.slots.get(index) {
            nodes[moved as usize].link = index as u32;
        }
        self.bytes -= u64::from(nodes[slot as usize].size);
    }
}

impl Policy for Random {
    const NAME: &'static str = "random";

    fn core(&self) -> &Core {
        &self.core
    }

    fn is_resident(&self, _slot: u32) -> bool {
        true
    }

    fn on_hit(&mut self, _slot: u32) {}

    fn on_miss(&mut self, key: u64, size: u32, expire_at: u64, ghost: Option<u32>) -> bool {
        debug_assert!(ghost.is_none());
        if u64::from(size) > self.core.capacity {
            return false;
        }
        while self.bytes + u64::from(size) > self.core.capacity {
            // Drawn as a u32 (the table's slot limit) so the draw is the same on every
            // platform, whatever the width of usize.
            let index = self.rng.random_range(0..self.slots.len() as u32);
            let victim = self.slots[index as usize];
            self.remove_slot(victim);
        }
        let slot = self.core.table.alloc(key, size, expire_at, QUEUE);
        self.core.table.nodes[slot as usize].link = self.slots.len() as u32;
        self.slots.push(slot);
        self.bytes += u64::from(size);
        true
    }

    fn remove_slot(&mut self, slot: u32) {
        self.detach(slot);
        self.core.table.release(slot);
    }

    fn used(&self) -> u64 {
        self.bytes
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    fn check(&self) {
        let mut bytes = 0;
        for (index, &slot) in self.slots.iter().enumerate() {
            let node = &self.core.table.nodes[slot as usize];
            assert_eq!(node.link as usize, index);
            assert_eq!(node.tag, QUEUE);
            self.core.table.check_slot(slot);
            bytes += u64::from(node.size);
        }
        assert_eq!(bytes, self.bytes);
        self.core.table.check(self.slots.len());
    }
}

impl_cache_policy!(Random);

/// `fifo`.
pub(super) const FIFO_ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "fifo",
    aliases: &[],
    description: "first in, first out",
    params: &[],
    value: |_| {
        Ok(super::CacheSpec::new("fifo", |capacity, _| {
            Ok(Box::new(Fifo::new(capacity)))
        }))
    },
};

/// `lru`.
pub(super) const LRU_ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "lru",
    aliases: &["lru-cache"],
    description: "least recently used",
    params: &[],
    value: |_| {
        Ok(super::CacheSpec::new("lru", |capacity, _| {
            Ok(Box::new(Lru::new(capacity)))
        }))
    },
};

/// `random`.
pub(super) const RANDOM_ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "random",
    aliases: &[],
    description: "evict a uniformly random object",
    params: &[],
    value: |_| {
        Ok(super::CacheSpec::new("random", |capacity, rng| {
            Ok(Box::new(Random::new(capacity, rng)))
        }))
    },
};

/// `clock`.
pub(super) const CLOCK_ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "clock",
    aliases: &[],
    description: "second chance with an n-bit reference counter",
    params: &[sim_core::registry::Param::optional(
        "bits",
        "1",
        "reference counter width, 1 to 8",
    )],
    value: |args| {
        let bits = super::spec::small_count(args, "bits", 1, CLOCK_BITS_MAX)?;
        Ok(super::CacheSpec::new("clock", move |capacity, _| {
            Ok(Box::new(Clock::new(capacity, bits)?))
        }))
    },
};

/// `sieve`.
pub(super) const SIEVE_ROW: super::spec::PolicyRow = sim_core::registry::Row {
    name: "sieve",
    aliases: &[],
    description: "FIFO with visited bits and a moving hand",
    params: &[],
    value: |_| {
        Ok(super::CacheSpec::new("sieve", |capacity, _| {
            Ok(Box::new(Sieve::new(capacity)))
        }))
    },
};
