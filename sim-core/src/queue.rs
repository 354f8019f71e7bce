//! The pending-event queue: a min-heap on `(time, seq)`.
//!
//! `seq` is a per-queue counter assigned when an event is scheduled, so events at the same
//! time pop in the order they were scheduled. The order therefore never depends on heap
//! internals, and the same run always processes the same events in the same order.
//!
//! Events are stored inline (no box per event). The heap is `std`'s `BinaryHeap`; replace it
//! only when a benchmark says so (`benches/benches/engine.rs`, "hold").

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

/// A queue of future events, popped in `(time, seq)` order.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_seq: u64,
    /// The time of the last popped event; nothing may be scheduled before it.
    last_popped: SimTime,
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
            heap: BinaryHeap::new(),
            next_seq: 0,
            last_popped: SimTime::ZERO,
        }
    }

    /// An empty queue with room for `capacity` events before it reallocates.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            ..Self::new()
        }
    }

    /// Schedules `event` at `time` and returns its sequence number.
    ///
    /// Panics if `time` is before the last popped event: the past cannot be changed.
    pub fn push(&mut self, time: SimTime, event: E) -> u64 {
        assert!(
            time >= self.last_popped,
            "event scheduled in the past: {time} < {}",
            self.last_popped
        );
        let seq = self.next_seq;
        self.next_seq += 1; // Ties pop in scheduling order.
        self.heap.push(Scheduled { time, seq, event });
        seq
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        let next = self.heap.pop()?;
        // Paired with the check in `push`: time never goes backwards.
        assert!(next.time >= self.last_popped, "event queue order violated");
        self.last_popped = next.time;
        Some(next)
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|s| s.time)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no events are pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// How many events have ever been scheduled.
    pub fn n_scheduled(&self) -> u64 {
        self.next_seq
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
