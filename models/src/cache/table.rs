//! Storage every policy shares: a slab of [`Node`]s, a key → slot map, and intrusive doubly
//! linked [`List`]s threaded through the slab by index.
//!
//! A node lives in exactly one list at a time (a queue, a segment, a ghost list), named by its
//! `tag`. Moving a node between lists relinks three nodes; nothing is allocated. Freed slots
//! form an intrusive free list (through `next`), so a cache at steady state reuses slots and
//! never allocates per request. Ghost entries (keys remembered after eviction, for S3-FIFO, 2Q
//! and ARC) are nodes too, in their own lists, so one map lookup answers "resident, ghost or
//! absent".
//!
//! The map is a [`FixedHashMap`] (a fixed folded-multiply hash): it is only ever
//! looked up, never iterated, so its order cannot reach any result.

use crate::fixed_hash::FixedHashMap;

/// "No node": the end of a list, an empty list's head and tail, an unset hand.
pub(crate) const NIL: u32 = u32::MAX;

/// The tag of a slot on the free list; no policy uses it for a list.
pub(crate) const TAG_FREE: u8 = u8::MAX;

/// Never expires: the `expire_at` of an object inserted without one.
pub(crate) const NEVER: u64 = u64::MAX;

/// Largest number of slots (resident objects plus ghost entries) a table holds: every `u32`
/// but [`NIL`].
const SLOTS_MAX: usize = NIL as usize;

/// Entries a table is pre-sized for at most: 2^20 (a 40 MiB slab). Larger caches grow past it
/// once, while filling, and then stop allocating.
const PRESIZE_MAX: u64 = 1 << 20;

/// One object or ghost entry, 32 bytes (two per cache line). `prev` points toward its list's
/// head (newer), `next` toward the tail (older), as in libCacheSim's `queue.prev` /
/// `queue.next`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    /// The object's key.
    pub(crate) key: u64,
    /// Size in the cache's units (bytes, or 1 per object).
    pub(crate) size: u32,
    /// Neighbour toward the head, or [`NIL`].
    pub(crate) prev: u32,
    /// Neighbour toward the tail, or [`NIL`] (the next free slot on the free list).
    pub(crate) next: u32,
    /// Policy-specific index: the LFU bucket, the position in Random's slot array.
    pub(crate) link: u32,
    /// Which list the node is in (policy-specific), or [`TAG_FREE`].
    pub(crate) tag: u8,
    /// Policy-specific counter: reference bit, CLOCK or S3-FIFO frequency.
    pub(crate) freq: u8,
}

const _: () = assert!(size_of::<Node>() == 32);

/// The slab and the key → slot map.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    map: FixedHashMap<u64, u32>,
    /// Every slot ever used; free ones are chained from `free_head` through `next`.
    pub(crate) nodes: Vec<Node>,
    /// Each slot's last simulated time (ns) of service, parallel to `nodes`; empty (every
    /// object [`NEVER`] expires) until the first object with an expiry arrives, so caches
    /// without expiry neither store nor read it.
    expire_at: Vec<u64>,
    free_head: u32,
    n_free: usize,
}

impl Table {
    /// A table pre-sized for `expected` entries (capped at [`PRESIZE_MAX`]).
    pub(crate) fn with_expected(expected: u64) -> Self {
        let presize = expected.min(PRESIZE_MAX) as usize;
        Table {
            map: FixedHashMap::with_capacity_and_hasher(presize, Default::default()),
            nodes: Vec::with_capacity(presize),
            expire_at: Vec::new(),
            free_head: NIL,
            n_free: 0,
        }
    }

    /// The slot holding `key`, resident or ghost.
    #[inline]
    pub(crate) fn find(&self, key: u64) -> Option<u32> {
        self.map.get(&key).copied()
    }

    /// The last time (ns) the object at `slot` is served.
    #[inline]
    pub(crate) fn expire_at(&self, slot: u32) -> u64 {
        self.expire_at.get(slot as usize).copied().unwrap_or(NEVER)
    }

    /// Takes a slot for `key` (which must be absent), unlinked, with `freq` 0.
    #[inline]
    pub(crate) fn alloc(&mut self, key: u64, size: u32, expire_at: u64, tag: u8) -> u32 {
        assert_ne!(tag, TAG_FREE);
        let node = Node {
            key,
            size,
            prev: NIL,
            next: NIL,
            link: NIL,
            tag,
            freq: 0,
        };
        let slot = if self.free_head == NIL {
            assert!(
                self.nodes.len() < SLOTS_MAX,
                "cache table full: {SLOTS_MAX} entries"
            );
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        } else {
            let slot = self.free_head;
            let freed = &mut self.nodes[slot as usize];
            assert_eq!(
                freed.tag, TAG_FREE,
                "slot {slot} on the free list is in use"
            );
            self.free_head = freed.next;
            self.n_free -= 1;
            *freed = node;
            slot
        };
        let previous = self.map.insert(key, slot);
        assert!(previous.is_none(), "key {key} inserted twice");
        if expire_at != NEVER && self.expire_at.is_empty() {
            self.expire_at = vec![NEVER; self.nodes.len()];
        }
        if !self.expire_at.is_empty() {
            self.expire_at.resize(self.nodes.len(), NEVER);
            self.expire_at[slot as usize] = expire_at;
        }
        slot
    }

    /// Returns an unlinked slot to the free list and forgets its key.
    #[inline]
    pub(crate) fn release(&mut self, slot: u32) {
        let node = &mut self.nodes[slot as usize];
        assert_ne!(node.tag, TAG_FREE, "slot {slot} released twice");
        let removed = self.map.remove(&node.key);
        assert_eq!(removed, Some(slot), "key {} not at its slot", node.key);
        node.tag = TAG_FREE;
        node.prev = NIL;
        node.next = self.free_head;
        self.free_head = slot;
        self.n_free += 1;
    }

    /// O(n): the map holds `n_linked` entries, each at a live slot with its key, and the free
    /// list holds every other slot.
    pub(crate) fn check(&self, n_linked: usize) {
        assert_eq!(self.map.len(), n_linked, "map entries vs linked nodes");
        assert_eq!(self.map.len() + self.n_free, self.nodes.len());
        let mut free = self.free_head;
        let mut n_free = 0;
        while free != NIL {
            assert!(n_free < self.n_free, "free list longer than its count");
            assert_eq!(self.nodes[free as usize].tag, TAG_FREE);
            free = self.nodes[free as usize].next;
            n_free += 1;
        }
        assert_eq!(n_free, self.n_free);
    }

    /// O(1): `key` is at `slot`.
    pub(crate) fn check_slot(&self, slot: u32) {
        let key = self.nodes[slot as usize].key;
        assert_eq!(
            self.find(key),
            Some(slot),
            "key {key} not mapped to its slot"
        );
    }
}

/// An intrusive doubly linked list over a [`Table`]'s nodes: `head` is the newest end, `tail`
/// the oldest. Tracks its length and total size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct List {
    pub(crate) head: u32,
    pub(crate) tail: u32,
    pub(crate) len: u32,
    pub(crate) bytes: u64,
}

impl List {
    /// An empty list.
    pub(crate) const EMPTY: List = List {
        head: NIL,
        tail: NIL,
        len: 0,
        bytes: 0,
    };

    /// The oldest node, if any.
    #[inline]
    pub(crate) fn tail(&self) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }

    /// Links unlinked `slot` at the head.
    #[inline]
    pub(crate) fn push_head(&mut self, nodes: &mut [Node], slot: u32) {
        let old_head = self.head;
        let node = &mut nodes[slot as usize];
        debug_assert!(
            node.prev == NIL && node.next == NIL,
            "slot {slot} is linked"
        );
        node.prev = NIL;
        node.next = old_head;
        self.bytes += u64::from(node.size);
        if old_head == NIL {
            self.tail = slot;
        } else {
            nodes[old_head as usize].prev = slot;
        }
        self.head = slot;
        self.len += 1;
    }

    /// Unlinks `slot`, which must be in this list.
    #[inline]
    pub(crate) fn unlink(&mut self, nodes: &mut [Node], slot: u32) {
        let Node {
            prev, next, size, ..
        } = nodes[slot as usize];
        if prev == NIL {
            debug_assert_eq!(self.head, slot, "slot {slot} is not this list's head");
            self.head = next;
        } else {
            nodes[prev as usize].next = next;
        }
        if next == NIL {
            debug_assert_eq!(self.tail, slot, "slot {slot} is not this list's tail");
            self.tail = prev;
        } else {
            nodes[next as usize].prev = prev;
        }
        let node = &mut nodes[slot as usize];
        node.prev = NIL;
        node.next = NIL;
        assert!(
            self.len > 0 && self.bytes >= u64::from(size),
            "list underflow"
        );
        self.len -= 1;
        self.bytes -= u64::from(size);
    }

    /// Moves `slot`, which must be in this list, to the head.
    #[inline]
    pub(crate) fn move_to_head(&mut self, nodes: &mut [Node], slot: u32) {
        if self.head != slot {
            self.unlink(nodes, slot);
            self.push_head(nodes, slot);
        }
    }

    /// O(n): walks the list head to tail checking links, that every node carries `tag` and is
    /// mapped, and the length and size; calls `visit` on each slot.
    pub(crate) fn check(&self, table: &Table, tag: u8, mut visit: impl FnMut(u32)) {
        let mut slot = self.head;
        let mut previous = NIL;
        let (mut len, mut bytes) = (0u32, 0u64);
        while slot != NIL {
            assert!(len < self.len, "list longer than its count {}", self.len);
            let node = &table.nodes[slot as usize];
            assert_eq!(node.tag, tag, "slot {slot} in the wrong list");
            assert_eq!(node.prev, previous, "slot {slot}: broken prev link");
            table.check_slot(slot);
            visit(slot);
            len += 1;
            bytes += u64::from(node.size);
            previous = slot;
            slot = node.next;
        }
        assert_eq!(self.tail, previous, "tail is not the last node");
        assert_eq!(len, self.len, "list length");
        assert_eq!(bytes, self.bytes, "list size");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of `list`, head (newest) first.
    fn keys(table: &Table, list: &List) -> Vec<u64> {
        let mut keys = Vec::new();
        list.check(table, 0, |slot| keys.push(table.nodes[slot as usize].key));
        keys
    }

    // Goal: list operations keep links, length and size consistent, and freed slots are
    // reused. Method: build, move, unlink and release by hand, checking after each step.
    #[test]
    fn list_links_and_slot_reuse() {
        let mut table = Table::with_expected(4);
        let mut list = List::EMPTY;
        for key in 1..=3 {
            let slot = table.alloc(key, key as u32, NEVER, 0);
            list.push_head(&mut table.nodes, slot);
        }
        assert_eq!(keys(&table, &list), [3, 2, 1]);
        assert_eq!(list.bytes, 6);
        let one = table.find(1).unwrap();
        list.move_to_head(&mut table.nodes, one);
        assert_eq!(keys(&table, &list), [1, 3, 2]);
        let three = table.find(3).unwrap();
        list.unlink(&mut table.nodes, three);
        table.release(three);
        assert_eq!(keys(&table, &list), [1, 2]);
        assert_eq!(list.bytes, 3);
        table.check(2);
        let four = table.alloc(4, 1, NEVER, 0);
        assert_eq!(four, three, "the freed slot is reused");
        list.push_head(&mut table.nodes, four);
        assert_eq!(keys(&table, &list), [4, 1, 2]);
        table.check(3);
    }
}
