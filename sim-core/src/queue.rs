//! The pending-event queue: a min-heap on `(time, seq)`.
//!
//! `seq` is a per-queue counter assigned when an event is scheduled, so events at the same
//! time pop in the order they were scheduled. The order therefore never depends on heap
//! internals, and the same run always processes the same events in the same order.
//!
//! Events are stored inline (no box per event). [`EventQueue`] keeps a handful of pending
//! events in a sorted array and switches to a radix heap above 16: the radix heap was chosen
//! over `std`'s `BinaryHeap` ([`BinaryHeapQueue`], kept as the baseline) because the "queue"
//! and "hold" benchmarks in `benches/benches/engine.rs` said so (about 10x at a million
//! pending events), and the sorted array because a queue with two or three events (M/M/1)
//! spent a third of its time in the radix heap's bookkeeping (mm1: 359M -> 293M
//! instructions for 300k customers, callgrind).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// One scheduled event with its ordering key.
#[derive(Debug)]
pub struct Scheduled<E> {
    /// When it happens.
    pub time: SimTime,
    /// Scheduling order; breaks ties between events at the same time.
    pub seq: u64,
    /// The event itself.
    pub event: E,
}

impl<E> Scheduled<E> {
    /// Its place in the total order: [`key_of`] its time and sequence number.
    #[inline]
    fn key(&self) -> u128 {
        key_of(self.time, self.seq)
    }
}

/// Sorts `events` latest first, so the earliest pops from the end.
fn sort_latest_first<E>(events: &mut [Scheduled<E>]) {
    events.sort_unstable_by_key(|s| std::cmp::Reverse(s.key()));
}

/// Bits of a [`sort_run`] word that hold the event's index in the run.
const INDEX_BITS: u32 = (RUN_CHUNKS * CHUNK).next_power_of_two().trailing_zeros();
const _: () = assert!(INDEX_BITS <= u8::BITS, "run indices are kept in bytes");

/// Sorts a gathered run (at most `RUN_CHUNKS * CHUNK` events) latest first, as
/// [`sort_latest_first`] does, but by sorting one `u64` per event and then moving each event
/// once: its time and sequence number relative to the run's smallest, packed with its index
/// (events of one bucket differ only in their low time bits and in a narrow range of
/// sequence numbers, so the pair fits). Sorting the 40-byte events themselves moved each
/// several times and cost ~120 instructions per event at 1,000 ping-pong processes
/// (callgrind). Falls back to [`sort_latest_first`] when the offsets do not fit.
fn sort_run<E>(run: &mut [Scheduled<E>], order: &mut Vec<u64>) {
    debug_assert!(run.len() <= 1 << INDEX_BITS);
    if run.len() < 2 {
        return;
    }
    let (mut time_min, mut time_max) = (u64::MAX, 0);
    let (mut seq_min, mut seq_max) = (u64::MAX, 0);
    for s in run.iter() {
        (time_min, time_max) = (time_min.min(s.time.0), time_max.max(s.time.0));
        (seq_min, seq_max) = (seq_min.min(s.seq), seq_max.max(s.seq));
    }
    let bits = |span: u64| u64::BITS - span.leading_zeros();
    let seq_bits = bits(seq_max - seq_min);
    if bits(time_max - time_min) + seq_bits + INDEX_BITS > u64::BITS {
        sort_latest_first(run);
        return;
    }
    // Within the run, (time, seq) order is the order of these words (the index in the low
    // bits never decides: keys are unique).
    order.clear();
    order.extend(run.iter().enumerate().map(|(index, s)| {
        let offset = ((s.time.0 - time_min) << seq_bits) | (s.seq - seq_min);
        (offset << INDEX_BITS) | index as u64
    }));
    order.sort_unstable_by(|a, b| b.cmp(a));
    // Position `p` takes the event now at `source[p]`: follow each cycle of the permutation
    // with swaps, marking a placed position by pointing it at itself (a start already placed
    // by an earlier cycle points at itself and ends at once).
    let mask = (1 << INDEX_BITS) - 1;
    let mut source = [0u8; 1 << INDEX_BITS];
    for (p, word) in order.iter().enumerate() {
        source[p] = (word & mask) as u8;
    }
    for start in 0..run.len() {
        let mut at = start;
        loop {
            let from = source[at] as usize;
            source[at] = at as u8;
            if from == start {
                break;
            }
            run.swap(at, from);
            at = from;
        }
    }
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest `(time, seq)` first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Most events the sorted array holds before the radix heap takes over.
const SMALL_MAX: usize = 16;
/// Events left when the radix heap hands back to the sorted array (well below `SMALL_MAX`,
/// so a queue hovering at the threshold does not move back and forth).
const SMALL_MIN: usize = 4;
const _: () = assert!(SMALL_MIN < SMALL_MAX);

/// Bits per digit of the radix heap: each level of buckets resolves one byte of the key.
const DIGIT_BITS: u32 = 8;
/// Buckets per level: one per digit value.
const DIGITS: usize = 1 << DIGIT_BITS;
/// Levels: a queue key has 128 bits (64 of time, then 64 of sequence number), 16 bytes.
const LEVELS: usize = 128usize.div_ceil(DIGIT_BITS as usize);
/// Events per chunk: a bucket is a list of chunks of this many events, all full but the last.
/// Chunks, not one growable vector per bucket, so that memory follows the pending count: a
/// bucket wastes at most one part-filled chunk, and a drained chunk goes back to a shared
/// spare list for whichever bucket fills next. (One vector per bucket kept every bucket's
/// largest filling: a gigabyte at a million pending events, measured; vectors pooled per
/// level still kept a few doubled top-level vectors, ~240 MB.) An emptied bucket keeps one
/// empty chunk, so the buckets that hold one or two events at a time (most of the lowest
/// levels') skip the spare list: at most `LEVELS * DIGITS` idle chunks, 5 MB of 40-byte events.
/// A lowest bucket of a few chunks becomes the run (sorted, then popped in order) instead of
/// being scattered over the level below (see [`RUN_CHUNKS`]).
const CHUNK: usize = 32;
/// Most chunks a lowest bucket may hold to become the run (sorted whole) instead of being
/// scattered over the level below. At 1,000 pending events spread over a millisecond the
/// 65 µs buckets hold ~60 events and the 256 ns buckets below them fewer than one: sorting the
/// 60 at once costs fewer instructions than moving each down a level and then taking the
/// 256 ns buckets one by one (ping-pong at 1,000 processes, 20M events: 1.29 s -> 1.10 s
/// wall, with 4 chunks; on an experimental time-keyed variant, 2 chunks gave about half the
/// gain and 3 to 20 chunks the same as 4). Four chunks bound the sort at 128 events, so an
/// event pushed into the run moves at most ~5 KB.
const RUN_CHUNKS: usize = 4;
/// `u64` words in one level's occupancy bitmap.
const MASK_WORDS: usize = DIGITS.div_ceil(64);

/// The total order of events: time first, then scheduling order. Unique per event.
#[inline]
fn key_of(time: SimTime, seq: u64) -> u128 {
    (u128::from(time.0) << 64) | u128::from(seq)
}

/// Where `key` belongs relative to the base `last`: `None` if equal, else the level (the index
/// of the highest byte in which they differ) and the bucket in it (`key`'s byte there, which
/// is above `last`'s when `key > last`). Flattened to `level * DIGITS + digit`.
#[inline]
fn slot_of(key: u128, last: u128) -> Option<usize> {
    let differ = key ^ last;
    if differ == 0 {
        return None;
    }
    let level = (127 - differ.leading_zeros()) / DIGIT_BITS;
    let digit = (key >> (level * DIGIT_BITS)) as usize & (DIGITS - 1);
    Some(level as usize * DIGITS + digit)
}

/// A queue of future events, popped in `(time, seq)` order.
///
/// A radix heap (Ahuja, Mehlhorn, Orlin & Tarjan, "Faster algorithms for the shortest path
/// problem", JACM 1990) over the 128-bit key `time << 64 | seq`, with one byte per level
/// (the "multi-level" variant of that paper) instead of one bit. It relies on the simulation
/// being monotone: nothing is scheduled before the last popped event. An event whose key
/// first differs from the last extracted minimum in byte `l` sits in level `l`, in the bucket
/// of its own byte `l`; the minimum is in the lowest non-empty bucket of the lowest non-empty
/// level, found from occupancy bitmaps. A push is O(1) (an append). When the lowest bucket
/// holds several events, its minimum becomes the new base and the rest move to lower levels
/// in one sequential scan, so an event moves at most 16 times, and in practice once per byte
/// its delay spans: 2-3 moves for delays spread over a millisecond, where the one-bit radix
/// heap moved each event once per bit (~17; a third of ping-pong's time at 1,000 nodes,
/// profiled). A lowest bucket of at most [`RUN_CHUNKS`] chunks is not scattered further: it is
/// sorted into the *run*, the next events in order, which pops from its end; an event pushed
/// before the run's last joins it in order, so every run event is before every bucket event.
/// The benchmark (`benches/benches/engine.rs`, "queue" and "hold") compares it with `std`'s
/// `BinaryHeap`.
#[derive(Debug)]
pub struct EventQueue<E> {
    /// Sorted by key, latest first (the minimum is last). While few events are pending: all
    /// of them (a sorted array beats any heap at a handful of events: an M/M/1 queue has two
    /// or three pending; the radix heap takes over above [`SMALL_MAX`]). In radix mode: the
    /// run, the events before every bucket's.
    small: Vec<Scheduled<E>>,
    /// Whether `small` holds every event (else the radix heap holds the rest).
    small_mode: bool,
    /// `buckets[level * DIGITS + digit]`: each a list of chunks (see [`CHUNK`]).
    buckets: Vec<Vec<Vec<Scheduled<E>>>>,
    /// Empty chunks for buckets to fill (capacity [`CHUNK`], or a former run's).
    spare: Vec<Vec<Scheduled<E>>>,
    /// An empty vector wider than a chunk, for the next run gathered from several chunks,
    /// kept here while the run is held in a chunk's vector (so chunks stay chunk-sized).
    wide: Vec<Scheduled<E>>,
    /// Scratch for [`sort_run`].
    order: Vec<u64>,
    /// Bit `l` is set when level `l` has a non-empty bucket.
    levels: u64,
    /// Per level, bit `d` is set when bucket `d` of that level is non-empty.
    occupied: [[u64; MASK_WORDS]; LEVELS],
    /// The key every bucket index is relative to: the last extracted minimum.
    last: u128,
    len: usize,
    next_seq: u64,
    /// The time of the last popped event; nothing may be scheduled before it.
    last_popped: SimTime,
    /// The key of the last popped event, if any: every key up to it has been popped.
    last_popped_key: Option<u128>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            small: Vec::with_capacity(SMALL_MAX + 1),
            small_mode: true,
            buckets: (0..LEVELS * DIGITS).map(|_| Vec::new()).collect(),
            spare: Vec::new(),
            wide: Vec::new(),
            order: Vec::with_capacity(RUN_CHUNKS * CHUNK),
            levels: 0,
            occupied: [[0; MASK_WORDS]; LEVELS],
            last: 0,
            len: 0,
            next_seq: 0,
            last_popped: SimTime::ZERO,
            last_popped_key: None,
        }
    }

    /// Whether the event scheduled as `(time, seq)` has not been popped yet. Events pop in
    /// key order, so it has been popped exactly when its key is not after the last one.
    pub fn is_pending(&self, time: SimTime, seq: u64) -> bool {
        assert!(
            seq < self.next_seq,
            "no event was scheduled with sequence number {seq}"
        );
        self.last_popped_key
            .is_none_or(|last| key_of(time, seq) > last)
    }

    /// Schedules `event` at `time` and returns its sequence number.
    ///
    /// Panics if `time` is before the last popped event: the past cannot be changed.
    ///
    /// Always inline, down to the append: the event is then written straight into its slot.
    /// Through a call it was built on the stack field by field and copied in wider moves,
    /// which wait for the field stores to land (store-forwarding stalls: M/M/1 1.67 s ->
    /// 1.43 s with the other inlining of this change, ping-pong -13%).
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, event: E) -> u64 {
        assert!(
            time >= self.last_popped,
            "event scheduled in the past: {time} < {}",
            self.last_popped
        );
        let seq = self.next_seq;
        self.next_seq += 1; // Ties pop in scheduling order.
        let scheduled = Scheduled { time, seq, event };
        let key = scheduled.key();
        self.len += 1;
        if self.small_mode {
            self.insert_into_run(key, scheduled);
            if self.small.len() > SMALL_MAX {
                self.move_into_radix();
            }
            return seq;
        }
        if self.small.first().is_some_and(|latest| key < latest.key()) {
            // Before the end of the current run: it joins the run, in order.
            self.insert_into_run(key, scheduled);
            return seq;
        }
        if key < self.last {
            // Only between run calls: an event earlier than one already peeked.
            self.rebase(key);
        }
        self.insert(key, scheduled);
        seq
    }

    /// Inserts into `small` (the array, or the radix heap's current run), latest first.
    #[inline(always)]
    fn insert_into_run(&mut self, key: u128, scheduled: Scheduled<E>) {
        let position = self.small.partition_point(|s| s.key() > key);
        self.small.insert(position, scheduled);
    }

    /// Moves every event from the sorted array into the radix heap.
    #[cold]
    fn move_into_radix(&mut self) {
        debug_assert!(self.levels == 0);
        // Every pending key is above the last popped one, so it is a valid base.
        self.last = self.last_popped_key.unwrap_or(0);
        let all = std::mem::take(&mut self.small);
        for scheduled in all {
            let key = scheduled.key();
            self.insert(key, scheduled);
        }
        self.small_mode = false;
    }

    /// Takes every event out of the radix heap's buckets (not its run), clearing them.
    fn drain_radix(&mut self, into: &mut Vec<Scheduled<E>>) {
        while let Some(slot) = self.lowest_slot() {
            for mut chunk in self.buckets[slot].drain(..) {
                into.append(&mut chunk);
                self.spare.push(chunk);
            }
            self.unmark(slot);
        }
    }

    /// Appends to bucket `slot`, marking it non-empty; a full last chunk gets a successor
    /// from the spare list.
    #[inline(always)]
    fn file(&mut self, slot: usize, scheduled: Scheduled<E>) {
        let bucket = &mut self.buckets[slot];
        match bucket.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(scheduled),
            _ => {
                let mut chunk = self
                    .spare
                    .pop()
                    .unwrap_or_else(|| Vec::with_capacity(CHUNK));
                chunk.push(scheduled);
                bucket.push(chunk);
            }
        }
        self.mark(slot);
    }

    /// Moves every event from the radix heap back into the sorted array.
    #[cold]
    fn move_into_array(&mut self) {
        let mut small = std::mem::take(&mut self.small);
        self.drain_radix(&mut small);
        sort_latest_first(&mut small);
        self.small = small;
        self.small_mode = true;
        // A queue this small needs few chunks when it grows again; free the rest.
        self.spare.truncate(LEVELS);
        self.spare.shrink_to_fit();
    }

    /// Marks bucket `slot` non-empty.
    #[inline]
    fn mark(&mut self, slot: usize) {
        let (level, digit) = (slot / DIGITS, slot % DIGITS);
        self.occupied[level][digit / 64] |= 1 << (digit % 64);
        self.levels |= 1 << level;
    }

    /// Marks bucket `slot` empty.
    #[inline]
    fn unmark(&mut self, slot: usize) {
        let (level, digit) = (slot / DIGITS, slot % DIGITS);
        let words = &mut self.occupied[level];
        words[digit / 64] &= !(1 << (digit % 64));
        if words.iter().all(|w| *w == 0) {
            self.levels &= !(1 << level);
        }
    }

    /// The lowest non-empty bucket: the one holding the minimum. `None` if all are empty.
    #[inline]
    fn lowest_slot(&self) -> Option<usize> {
        if self.levels == 0 {
            return None;
        }
        let level = self.levels.trailing_zeros() as usize;
        let words = &self.occupied[level];
        let word = words
            .iter()
            .position(|w| *w != 0)
            .expect("a marked level has a marked bucket");
        let digit = word * 64 + words[word].trailing_zeros() as usize;
        Some(level * DIGITS + digit)
    }

    /// Files an event with `key > last` into its bucket.
    #[inline(always)]
    fn insert(&mut self, key: u128, scheduled: Scheduled<E>) {
        match slot_of(key, self.last) {
            // Equal to the base: only the very first key (0) or a rebase target. It is the
            // minimum (keys are unique), so it starts the run.
            None => self.insert_into_run(key, scheduled),
            Some(slot) => self.file(slot, scheduled),
        }
    }

    /// Re-buckets every event relative to a new, smaller `last`. O(n); see `push`.
    #[cold]
    fn rebase(&mut self, last: u128) {
        let mut all = Vec::with_capacity(self.len);
        all.append(&mut self.small);
        self.drain_radix(&mut all);
        self.last = last;
        for scheduled in all {
            let key = scheduled.key();
            self.insert(key, scheduled);
        }
    }

    /// Makes sure the minimum is at the end of `small` (the array, or the radix heap's run),
    /// if the queue is not empty; returns whether it is.
    #[inline(always)]
    fn settle(&mut self) -> bool {
        // The common case inline (the run or the array holds the minimum); refilling the run
        // out of line, so that pushing and popping do not pay its register saves (16
        // instructions a call in M/M/1, callgrind).
        !self.small.is_empty() || (!self.small_mode && self.refill_run())
    }

    /// [`EventQueue::settle`] with an empty run in radix mode: makes the lowest bucket (or its
    /// minimum) the run. Returns whether the queue holds any event.
    #[inline(never)]
    fn refill_run(&mut self) -> bool {
        let Some(slot) = self.lowest_slot() else {
            return false;
        };
        let bucket = &mut self.buckets[slot];
        let chunks = bucket.len();
        if chunks > RUN_CHUNKS {
            self.redistribute(slot);
            return true;
        }
        // A lowest bucket of at most `RUN_CHUNKS` chunks becomes the run (see `RUN_CHUNKS`),
        // sorted once; its minimum is the new base.
        if chunks == 1 {
            // The run is empty: it trades vectors with the bucket's one chunk (the chunk's
            // events become the run without copying; the run's empty vector stays with the
            // bucket as its chunk). A run vector wider than a chunk is kept for the next
            // gathered run instead, so that chunks stay chunk-sized.
            if self.small.capacity() > CHUNK {
                let chunk = self
                    .spare
                    .pop()
                    .unwrap_or_else(|| Vec::with_capacity(CHUNK));
                self.wide = std::mem::replace(&mut self.small, chunk);
            }
            std::mem::swap(&mut self.small, &mut bucket[0]);
        } else {
            // Several chunks are gathered into the wide run vector; the emptied chunks but
            // the first go back to the spare list.
            if self.small.capacity() <= CHUNK {
                let chunk = std::mem::replace(&mut self.small, std::mem::take(&mut self.wide));
                self.spare.push(chunk);
                self.small.reserve(RUN_CHUNKS * CHUNK);
            }
            for chunk in bucket.iter_mut() {
                self.small.append(chunk);
            }
            self.spare.extend(bucket.drain(1..));
        }
        self.unmark(slot);
        sort_run(&mut self.small, &mut self.order);
        let min = self
            .small
            .last()
            .expect("a marked bucket holds events")
            .key();
        assert!(min > self.last, "radix heap keys only grow");
        self.last = min;
        true
    }

    /// Finds the minimum of bucket `slot` and re-files the rest relative to it. Every other
    /// event of the bucket shares the bytes from the bucket's level up with the new minimum,
    /// so it lands in a strictly lower level: the scan never revisits it at this level.
    #[inline(never)]
    fn redistribute(&mut self, slot: usize) {
        let mut chunks = std::mem::take(&mut self.buckets[slot]);
        self.unmark(slot);
        let (mut min_chunk, mut min_pos) = (0, 0);
        let mut min = u128::MAX;
        for (c, chunk) in chunks.iter().enumerate() {
            for (pos, scheduled) in chunk.iter().enumerate() {
                let key = scheduled.key();
                if key < min {
                    (min_chunk, min_pos, min) = (c, pos, key);
                }
            }
        }
        assert!(min > self.last, "radix heap keys only grow");
        self.last = min;
        self.small.push(chunks[min_chunk].swap_remove(min_pos));
        let level_floor = slot - slot % DIGITS;
        let mut kept = None;
        for mut chunk in chunks.drain(..) {
            for scheduled in chunk.drain(..) {
                let to = slot_of(scheduled.key(), min).expect("keys are unique");
                debug_assert!(to < level_floor, "re-filed into a lower level");
                self.file(to, scheduled);
            }
            if kept.is_none() {
                kept = Some(chunk);
            } else {
                self.spare.push(chunk);
            }
        }
        // Nothing was filed into this bucket; give it its (empty) list and first chunk back.
        chunks.extend(kept);
        self.buckets[slot] = chunks;
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        if !self.settle() {
            return None;
        }
        let next = self.small.pop().expect("settled");
        if !self.small_mode && self.len <= SMALL_MIN {
            self.move_into_array();
        }
        // Paired with the check in `push`: time never goes backwards.
        assert!(next.time >= self.last_popped, "event queue order violated");
        self.last_popped = next.time;
        self.last_popped_key = Some(next.key());
        self.len -= 1;
        Some(next)
    }

    /// Removes and returns the earliest event if it happens at or before `end`.
    #[inline]
    pub fn pop_until(&mut self, end: SimTime) -> Option<Scheduled<E>> {
        match self.peek_time() {
            Some(time) if time <= end => self.pop(),
            _ => None,
        }
    }

    /// The time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if !self.settle() {
            return None;
        }
        self.small.last().map(|s| s.time)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no events are pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many events have ever been scheduled.
    pub fn n_scheduled(&self) -> u64 {
        self.next_seq
    }

    /// O(n) consistency checks; panics on a violation. For tests and `--paranoid` runs:
    /// the length matches what is stored, every pending key is after the last popped one and
    /// was issued, the array is sorted latest first, and every radix event sits in the bucket
    /// its key selects, with the occupancy bits saying which buckets and levels hold any.
    pub fn check_invariants(&self) {
        let after_popped = |s: &Scheduled<E>| {
            let key = s.key();
            assert!(
                s.seq < self.next_seq,
                "pending seq {} was never issued",
                s.seq
            );
            assert!(
                self.last_popped_key.is_none_or(|last| key > last),
                "pending event ({}, {}) is not after the last popped one",
                s.time,
                s.seq
            );
        };
        // The array, or in radix mode the run.
        self.small.iter().for_each(after_popped);
        assert!(
            self.small.windows(2).all(|w| w[0].key() > w[1].key()),
            "array (or run) not sorted latest first"
        );
        if self.small_mode {
            assert_eq!(self.small.len(), self.len, "array length");
            assert!(self.levels == 0, "array mode holds radix state");
            return;
        }
        let run_end = self.small.first().map(|s| s.key());
        let mut stored = self.small.len();
        for (slot, bucket) in self.buckets.iter().enumerate() {
            let (level, digit) = (slot / DIGITS, slot % DIGITS);
            let occupied = self.occupied[level][digit / 64] & (1 << (digit % 64)) != 0;
            assert_eq!(
                bucket.iter().any(|chunk| !chunk.is_empty()),
                occupied,
                "occupancy bit of bucket {digit} of level {level}"
            );
            let last_chunk = bucket.len().saturating_sub(1);
            for (c, chunk) in bucket.iter().enumerate() {
                let idle = !occupied && bucket.len() == 1;
                assert!(
                    (idle || !chunk.is_empty()) && (c == last_chunk || chunk.len() == CHUNK),
                    "chunk {c} of bucket {digit} of level {level} holds {}",
                    chunk.len()
                );
            }
            for scheduled in bucket.iter().flatten() {
                after_popped(scheduled);
                let key = scheduled.key();
                assert_eq!(
                    slot_of(key, self.last),
                    Some(slot),
                    "event in the wrong bucket"
                );
                assert!(
                    run_end.is_none_or(|end| key > end),
                    "bucket event before the run's end"
                );
            }
            stored += bucket.iter().map(Vec::len).sum::<usize>();
        }
        for (level, words) in self.occupied.iter().enumerate() {
            assert_eq!(
                words.iter().any(|w| *w != 0),
                self.levels & (1 << level) != 0,
                "occupancy bit of level {level}"
            );
        }
        assert_eq!(stored, self.len, "radix length");
    }
}

/// The same interface over `std`'s `BinaryHeap`: the baseline the radix heap is benchmarked
/// against, and a reference for its property tests.
#[derive(Debug, Default)]
pub struct BinaryHeapQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_seq: u64,
}

impl<E> BinaryHeapQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        BinaryHeapQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time` and returns its sequence number.
    pub fn push(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Scheduled { time, seq, event });
        seq
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        self.heap.pop()
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no events are pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Goal: equal times pop in scheduling order; earlier times pop first.
    #[test]
    fn ties_pop_in_scheduling_order() {
        let mut queue = EventQueue::new();
        queue.push(SimTime(5), "b");
        queue.push(SimTime(1), "a");
        queue.push(SimTime(5), "c");
        queue.push(SimTime(5), "d");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop().map(|s| s.event)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    // Goal: after a peek settled on a later event, an earlier one can still be scheduled (as
    // between run calls) and pops first.
    #[test]
    fn earlier_push_after_peek_pops_first() {
        let mut queue = EventQueue::new();
        queue.push(SimTime(100), "late");
        queue.push(SimTime(300), "later");
        assert_eq!(queue.peek_time(), Some(SimTime(100)));
        queue.push(SimTime(50), "early");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop().map(|s| s.event)).collect();
        assert_eq!(order, ["early", "late", "later"]);
    }

    #[test]
    #[should_panic(expected = "event scheduled in the past")]
    fn scheduling_in_the_past_is_a_bug() {
        let mut queue = EventQueue::new();
        queue.push(SimTime(10), ());
        queue.pop();
        queue.push(SimTime(9), ());
    }

    proptest! {
        // Property: whatever the pushes, pops come out in non-decreasing (time, seq), and
        // every pushed event comes out exactly once.
        #[test]
        fn pops_are_sorted_by_time_then_seq(times in proptest::collection::vec(0u64..50, 0..300)) {
            let mut queue = EventQueue::new();
            for (i, t) in times.iter().enumerate() {
                queue.push(SimTime(*t), i);
            }
            let mut previous: Option<(SimTime, u64)> = None;
            let mut seen = vec![false; times.len()];
            while let Some(s) = queue.pop() {
                if let Some(p) = previous {
                    prop_assert!(p < (s.time, s.seq));
                }
                prop_assert_eq!(s.time.0, times[s.event]);
                prop_assert!(!seen[s.event]);
                seen[s.event] = true;
                previous = Some((s.time, s.seq));
            }
            prop_assert!(seen.iter().all(|s| *s));
        }

        // Property: the radix heap pops exactly what the binary-heap reference pops, including
        // after a peek moved its base past events scheduled later (the rebase path).
        #[test]
        fn radix_heap_matches_binary_heap(ops in proptest::collection::vec((0u64..1 << 40, 0u8..3), 0..400)) {
            let mut radix = EventQueue::new();
            let mut reference = BinaryHeapQueue::new();
            let mut floor = 0u64;
            for (delay, op) in ops {
                match op {
                    0 => {
                        let time = SimTime(floor + delay % 1000 * (delay >> 30).max(1));
                        prop_assert_eq!(radix.push(time, delay), reference.push(time, delay));
                    }
                    1 => {
                        let (a, b) = (radix.pop(), reference.pop());
                        prop_assert_eq!(a.as_ref().map(|s| (s.time, s.seq, s.event)), b.as_ref().map(|s| (s.time, s.seq, s.event)));
                        if let Some(s) = a {
                            floor = s.time.0;
                        }
                    }
                    _ => {
                        radix.peek_time();
                    }
                }
                prop_assert_eq!(radix.len(), reference.len());
                radix.check_invariants();
            }
        }

        // Property: bursts of events crowded into a few buckets (so that lowest buckets hold
        // one chunk, a few chunks gathered into the run, or more than `RUN_CHUNKS` chunks and
        // are scattered) pop exactly as the binary-heap reference does, with the invariants
        // (including every bucket event after the run) holding after every operation.
        #[test]
        fn crowded_buckets_match_binary_heap(
            bursts in proptest::collection::vec((0u64..1 << 24, 1usize..300, 0u32..24, 0usize..300), 1..6)
        ) {
            let mut radix = EventQueue::new();
            let mut reference = BinaryHeapQueue::new();
            let mut floor = 0u64;
            for (offset, count, spread_bits, pops) in bursts {
                for i in 0..count as u64 {
                    let jitter = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - spread_bits.max(1));
                    let time = SimTime(floor + offset + jitter);
                    prop_assert_eq!(radix.push(time, i), reference.push(time, i));
                }
                for _ in 0..pops {
                    let (a, b) = (radix.pop(), reference.pop());
                    prop_assert_eq!(a.as_ref().map(|s| (s.time, s.seq)), b.as_ref().map(|s| (s.time, s.seq)));
                    if let Some(s) = a {
                        floor = s.time.0;
                    }
                    radix.check_invariants();
                }
            }
            while let Some(b) = reference.pop() {
                let a = radix.pop().map(|s| (s.time, s.seq));
                prop_assert_eq!(a, Some((b.time, b.seq)));
            }
            prop_assert!(radix.is_empty());
        }

        // Property: sorting a run through packed words orders it exactly as sorting the events
        // does (latest first), both when the offsets pack into a word (narrow times and
        // sequence numbers, as in one bucket) and when they do not (the fallback).
        #[test]
        fn sort_run_matches_sorting_events(
            events in proptest::collection::btree_map(any::<u64>(), any::<u64>(), 0..=RUN_CHUNKS * CHUNK),
            narrow in any::<bool>(),
        ) {
            // Unique sequence numbers (the map's keys), times from the values.
            let make = |seq: u64, time: u64| {
                let (seq, time) = if narrow { (seq >> 40, time >> 48) } else { (seq, time) };
                Scheduled { time: SimTime(time), seq, event: () }
            };
            let mut run: Vec<Scheduled<()>> = Vec::new();
            let mut seen = std::collections::BTreeSet::new();
            for (&seq, &time) in &events {
                let s = make(seq, time);
                if seen.insert(s.seq) {
                    run.push(s);
                }
            }
            let mut expected: Vec<(SimTime, u64)> = run.iter().map(|s| (s.time, s.seq)).collect();
            expected.sort_unstable_by(|a, b| b.cmp(a));
            sort_run(&mut run, &mut Vec::new());
            let got: Vec<(SimTime, u64)> = run.iter().map(|s| (s.time, s.seq)).collect();
            prop_assert_eq!(got, expected);
        }

        // Property: interleaved pushes (never before the last pop) and pops keep the order.
        #[test]
        fn interleaved_push_pop_stays_ordered(ops in proptest::collection::vec((0u64..20, any::<bool>()), 0..300)) {
            let mut queue = EventQueue::new();
            let mut last = (SimTime::ZERO, 0u64);
            let mut first = true;
            for (delay, pop) in ops {
                if pop {
                    if let Some(s) = queue.pop() {
                        prop_assert!(first || last < (s.time, s.seq));
                        first = false;
                        last = (s.time, s.seq);
                    }
                } else {
                    queue.push(SimTime(last.0 .0 + delay), ());
                }
            }
        }
    }
}
