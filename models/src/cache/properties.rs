//! Property tests: every policy's laws over random request sequences, and exact agreement of
//! FIFO, LRU, CLOCK, SIEVE and LFU with naive reference models.

use std::collections::BTreeMap;

use proptest::prelude::*;
use sim_core::SimTime;

use super::tests::{build, resident};
use super::*;

/// One request of a generated sequence: key, size in bytes, and an expiry offset (0: none).
type Step = (u64, u32, u64);

/// Requests skewed toward small keys (key = x^2 / n for uniform x), so sequences hit.
fn steps(n_keys: u64, size_max: u32, len: usize) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            0..n_keys,
            1..=size_max,
            prop_oneof![3 => Just(0u64), 1 => 1u64..60],
        ),
        1..len,
    )
    .prop_map(move |steps| {
        steps
            .into_iter()
            .map(|(x, size, ttl)| (x * x / n_keys, size, ttl))
            .collect()
    })
}

/// Step `index` as a request at time `index`, expiring `ttl` later if `ttl > 0`.
fn to_request(index: usize, (key, size, ttl): Step) -> CacheRequest {
    let now = SimTime(index as u64);
    let request = CacheRequest::new(KeyId(key), size).at(now);
    if ttl > 0 {
        request.expiring_at(SimTime(now.0 + ttl))
    } else {
        request
    }
}

/// Checks the laws every policy obeys on one sequence: capacity holds and the invariants
/// pass after every request; a hit is on an object admitted earlier, not evicted or removed
/// since and not expired; an unexpired resident object is never missed; only an admitting
/// miss adds an object, and `admitted` says whether it is resident; `used` is the sum of the
/// sizes recorded at admission.
fn check_laws(name: &str, capacity: Capacity, n_keys: u64, steps: &[Step]) {
    let mut cache = build(name, capacity);
    // key -> (size in units, expire_at) recorded when admitted.
    let mut admitted: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for (index, &step) in steps.iter().enumerate() {
        let request = to_request(index, step);
        let now = request.now.as_nanos();
        let key = request.key.0;
        let before = resident(&*cache, n_keys);
        let live = admitted
            .get(&key)
            .is_some_and(|&(_, expire_at)| before.contains(&key) && expire_at >= now);
        let outcome = cache.request(&request);
        cache.check_invariants();
        assert_eq!(outcome.is_hit(), live, "{name} step {index}: hit iff live");
        let after = resident(&*cache, n_keys);
        for &new in after.iter().filter(|k| !before.contains(k)) {
            let admitting = outcome == Outcome::Miss { admitted: true };
            assert!(
                new == key && admitting,
                "{name} step {index}: {new} appeared"
            );
        }
        if let Outcome::Miss { admitted: in_cache } = outcome {
            assert_eq!(after.contains(&key), in_cache, "{name} step {index}");
            if in_cache {
                let units = match capacity.unit() {
                    SizeUnit::Bytes => u64::from(request.size_bytes),
                    SizeUnit::Objects => 1,
                };
                let expire_at = request.expire_at.map_or(u64::MAX, SimTime::as_nanos);
                admitted.insert(key, (units, expire_at));
            }
        }
        let used: u64 = after.iter().map(|key| admitted[key].0).sum();
        assert_eq!(cache.used(), used, "{name} step {index}: used");
        assert_eq!(cache.len(), after.len(), "{name} step {index}: len");
    }
}

proptest! {
    // 10 cases x 11 policies x up to 400 requests, each with two O(keys) residency scans and
    // an O(n) invariant check: about 5 s in a debug build.
    #![proptest_config(ProptestConfig::with_cases(10))]

    // Goal: the laws of `check_laws` (capacity never exceeded, hits only on live admitted
    // objects, no spontaneous objects, exact size accounting) for every policy, in objects.
    #[test]
    fn every_policy_obeys_the_laws_in_objects(
        capacity in 100u64..=140,
        steps in steps(300, 1, 400),
    ) {
        for name in POLICIES.iter().map(|row| row.name) {
            check_laws(name, Capacity::objects(capacity).unwrap(), 300, &steps);
        }
    }

    // Goal: the same laws with byte sizes, where one miss can evict several objects and some
    // objects are too large for a policy's queues.
    #[test]
    fn every_policy_obeys_the_laws_in_bytes(
        capacity in 1000u64..=6000,
        steps in steps(200, 120, 400),
    ) {
        for name in POLICIES.iter().map(|row| row.name) {
            check_laws(name, Capacity::bytes(capacity).unwrap(), 200, &steps);
        }
    }
}

/// Which textbook policy a [`Reference`] runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Fifo,
    Lru,
    Clock,
    Sieve,
    Lfu,
}

/// One object of a reference cache.
#[derive(Clone, Copy, Debug)]
struct Item {
    key: u64,
    size: u64,
    /// CLOCK / SIEVE reference bit.
    bit: bool,
    /// LFU frequency and when it was reached.
    freq: u64,
    reached: u64,
}

/// A naive reference cache: a `Vec` ordered oldest (index 0, the tail) to newest, searched
/// linearly; each policy written straight from its definition.
struct Reference {
    kind: Kind,
    capacity: u64,
    items: Vec<Item>,
    /// SIEVE's hand: an index, or `None` for the tail.
    hand: Option<usize>,
    clock: u64,
}

impl Reference {
    fn new(kind: Kind, capacity: u64) -> Self {
        Reference {
            kind,
            capacity,
            items: Vec::new(),
            hand: None,
            clock: 0,
        }
    }

    fn request(&mut self, key: u64, size: u64) -> Outcome {
        self.clock += 1;
        if let Some(index) = self.items.iter().position(|item| item.key == key) {
            match self.kind {
                Kind::Fifo => {}
                Kind::Lru => {
                    let item = self.items.remove(index);
                    self.items.push(item);
                }
                Kind::Clock | Kind::Sieve => self.items[index].bit = true,
                Kind::Lfu => {
                    self.items[index].freq += 1;
                    self.items[index].reached = self.clock;
                }
            }
            return Outcome::Hit;
        }
        if size > self.capacity {
            return Outcome::Miss { admitted: false };
        }
        while self.items.iter().map(|item| item.size).sum::<u64>() + size > self.capacity {
            self.evict();
        }
        self.items.push(Item {
            key,
            size,
            bit: false,
            freq: 1,
            reached: self.clock,
        });
        Outcome::Miss { admitted: true }
    }

    fn evict(&mut self) {
        let victim = match self.kind {
            Kind::Fifo | Kind::Lru => 0,
            Kind::Clock => {
                // Second chance: a set bit is cleared and the object rejoins at the head.
                while self.items[0].bit {
                    let mut item = self.items.remove(0);
                    item.bit = false;
                    self.items.push(item);
                }
                0
            }
            Kind::Sieve => {
                let mut index = self.hand.unwrap_or(0);
                while self.items[index].bit {
                    self.items[index].bit = false;
                    index = (index + 1) % self.items.len();
                }
                // The hand moves to the evicted object's newer neighbour, now at `index`.
                self.hand = (index + 1 < self.items.len()).then_some(index);
                index
            }
            Kind::Lfu => {
                let lowest = self
                    .items
                    .iter()
                    .map(|item| (item.freq, item.reached))
                    .min();
                let lowest = lowest.expect("evicting from an empty cache");
                let found = self
                    .items
                    .iter()
                    .position(|item| (item.freq, item.reached) == lowest);
                found.expect("the minimum is an item")
            }
        };
        self.items.remove(victim);
    }

    fn keys(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = self.items.iter().map(|item| item.key).collect();
        keys.sort_unstable();
        keys
    }
}

/// Runs `steps` (expiry ignored) through `name` and the reference of `kind`, comparing every
/// outcome and the contents after every request.
fn check_against_reference(name: &str, kind: Kind, capacity: Capacity, steps: &[Step]) {
    let mut cache = build(name, capacity);
    let mut reference = Reference::new(kind, capacity.amount());
    for (index, &(key, size, _)) in steps.iter().enumerate() {
        let units = match capacity.unit() {
            SizeUnit::Bytes => u64::from(size),
            SizeUnit::Objects => 1,
        };
        let outcome = cache.request(&CacheRequest::new(KeyId(key), size));
        let expect = reference.request(key, units);
        assert_eq!(outcome, expect, "{name} step {index} (key {key})");
        assert_eq!(
            resident(&*cache, 40),
            reference.keys(),
            "{name} step {index}"
        );
    }
}

const REFERENCES: [(&str, Kind); 5] = [
    ("fifo", Kind::Fifo),
    ("lru", Kind::Lru),
    ("clock", Kind::Clock),
    ("sieve", Kind::Sieve),
    ("lfu", Kind::Lfu),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    // Goal: FIFO, LRU, CLOCK (1 bit), SIEVE and LFU are exactly their definitions, request by
    // request, in objects. Method: naive Vec references written from the definitions.
    #[test]
    fn simple_policies_match_references_in_objects(
        capacity in 1u64..12,
        steps in steps(40, 1, 300),
    ) {
        for (name, kind) in REFERENCES {
            check_against_reference(name, kind, Capacity::objects(capacity).unwrap(), &steps);
        }
    }

    // Goal: the same with byte sizes, where a miss can evict several objects.
    #[test]
    fn simple_policies_match_references_in_bytes(
        capacity in 1u64..200,
        steps in steps(40, 60, 300),
    ) {
        for (name, kind) in REFERENCES {
            check_against_reference(name, kind, Capacity::bytes(capacity).unwrap(), &steps);
        }
    }
}
