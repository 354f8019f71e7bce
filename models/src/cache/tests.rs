//! Unit tests: hand-made sequences, the registry, errors, expiry and the cache-aside API.

use rand::Rng;
use sim_core::SimTime;

use super::*;

/// The random stream every test cache gets (only `random` draws from it).
pub(super) use crate::test_rng;

/// `name` with default parameters for `capacity`.
pub(super) fn build(name: &str, capacity: Capacity) -> Box<dyn CachePolicy> {
    CacheSpec::from_name(name)
        .expect("a registered name")
        .build(capacity, test_rng(1))
        .expect("a capacity large enough for every policy")
}

/// Resident keys among `0..n_keys`, ascending.
pub(super) fn resident(cache: &dyn CachePolicy, n_keys: u64) -> Vec<u64> {
    (0..n_keys)
        .filter(|&key| cache.contains(KeyId(key)))
        .collect()
}

/// Runs size-1 requests for `keys` through `name` with room for `capacity` objects, checking
/// invariants after each, and compares the outcomes (`h` hit, `m` miss) and the resident keys
/// with the expectation.
#[track_caller]
fn check(name: &str, capacity: u64, keys: &[u64], expect_outcomes: &str, expect_resident: &[u64]) {
    let mut cache = build(name, Capacity::objects(capacity).unwrap());
    let mut outcomes = String::new();
    for &key in keys {
        let outcome = cache.request(&CacheRequest::new(KeyId(key), 1));
        outcomes.push(if outcome.is_hit() { 'h' } else { 'm' });
        cache.check_invariants();
    }
    let n_keys = keys.iter().max().map_or(0, |&max| max + 1);
    assert_eq!(
        (outcomes.as_str(), resident(&*cache, n_keys).as_slice()),
        (expect_outcomes, expect_resident),
        "{name} over {keys:?}"
    );
}

// Goal: the classic policies evict the victim their definition names, on sequences small
// enough to follow by hand. Method: outcomes and final contents for capacity 2 or 3.
#[test]
fn hand_made_sequences() {
    // FIFO ignores the hit on 1 and evicts it first; LRU keeps it.
    check("fifo", 3, &[1, 2, 3, 1, 4, 1], "mmmhmm", &[1, 3, 4]);
    check("lru", 3, &[1, 2, 3, 1, 4, 1], "mmmhmh", &[1, 3, 4]);
    // CLOCK gives 1 a second chance by moving it to the head; 2 goes instead. Later 1's
    // count is spent again and 4 (at the tail) goes.
    check(
        "clock",
        3,
        &[1, 2, 3, 1, 4, 1, 5, 2],
        "mmmhmhmm",
        &[1, 2, 5],
    );
    // SIEVE keeps visited objects in place: after 4 evicts 2, the hand rests on 3, then 4;
    // CLOCK moved 1 to the head instead and evicts it when its turn comes.
    check("sieve", 3, &[1, 2, 3, 1, 4, 5, 6], "mmmhmmm", &[1, 5, 6]);
    check("clock", 3, &[1, 2, 3, 1, 4, 5, 6], "mmmhmmm", &[4, 5, 6]);
    // SIEVE's hand clears every visited bit, wraps from the head to the tail and evicts 1;
    // it then resumes at 2, not at the tail.
    check(
        "sieve",
        3,
        &[1, 2, 3, 1, 2, 3, 4, 5],
        "mmmhhhmm",
        &[3, 4, 5],
    );
    check(
        "sieve",
        3,
        &[1, 2, 3, 1, 4, 1, 5, 2],
        "mmmhmhmm",
        &[1, 2, 5],
    );
    // LFU evicts the least frequent; new objects churn in the last slot.
    check(
        "lfu",
        3,
        &[1, 1, 2, 2, 3, 4, 5, 1, 6],
        "mhmhmmmhm",
        &[1, 2, 6],
    );
}

// Goal: LFU's documented tie-break: among the least frequent, the one that reached that
// frequency earliest (its last access is the oldest) goes. Method: two objects at frequency
// 2, where the one inserted first reached 2 last.
#[test]
fn lfu_tie_break() {
    // 2 reaches frequency 2 before 1 does, so 2 is evicted although 1 was inserted first.
    check("lfu", 2, &[1, 2, 2, 1, 3], "mmhhm", &[1, 3]);
    // Three at frequency 2, reached in the order 1, 2, 3: 1 goes.
    check("lfu", 3, &[1, 2, 1, 2, 3, 3, 4], "mmhhmhm", &[2, 3, 4]);
}

// Goal: the registry lists each policy once, every name builds under its own name in both
// units, and libCacheSim's spellings are accepted.
#[test]
fn registry_names_and_aliases() {
    let mut names: Vec<&str> = POLICIES.iter().map(|row| row.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), POLICIES.len());
    for row in POLICIES {
        let name = row.name;
        assert!(!row.description.is_empty());
        for capacity in [Capacity::objects(1000), Capacity::bytes(1 << 20)] {
            let capacity = capacity.unwrap();
            let cache = build(name, capacity);
            assert_eq!(cache.name(), name);
            assert_eq!(cache.capacity(), capacity);
            assert!(cache.is_empty());
            cache.check_invariants();
        }
    }
    for (alias, name) in [
        ("S3FIFO", "s3-fifo"),
        ("s3_fifo", "s3-fifo"),
        ("TwoQ", "2q"),
        ("WTinyLFU", "w-tinylfu"),
        ("w_tinylfu", "w-tinylfu"),
        (" LRU ", "lru"),
        ("Sieve", "sieve"),
    ] {
        assert_eq!(CacheSpec::from_name(alias).unwrap().name(), name, "{alias}");
    }
}

// Goal: every error names the policy, the parameter, the valid range and the value.
// Method: one bad input per variant, messages compared.
#[test]
fn errors_explain_themselves() {
    #[track_caller]
    fn check(error: CacheError, expect: &str) {
        assert_eq!(error.to_string(), expect);
    }
    let objects = |amount| Capacity::objects(amount).unwrap();
    check(
        Capacity::objects(0).unwrap_err(),
        "cache capacity must be >= 1 and <= 1073741824 objects, got 0",
    );
    check(
        Capacity::bytes(1 << 61).unwrap_err(),
        "cache capacity must be >= 1 and <= 1152921504606846976 bytes, got 2305843009213693952",
    );
    check(
        CacheSpec::from_name("lur").unwrap_err(),
        "unknown cache policy \"lur\" (did you mean \"lru\"?); known policies: fifo, lru, \
         random, lfu, clock, slru, 2q, arc, w-tinylfu, sieve, s3-fifo",
    );
    check(
        CacheSpec::from_name("belady").unwrap_err(),
        "unknown cache policy \"belady\"; known policies: fifo, lru, random, lfu, clock, slru, \
         2q, arc, w-tinylfu, sieve, s3-fifo",
    );
    let s3 = |params| S3Fifo::new(objects(100), params).unwrap_err();
    check(
        s3(S3FifoParams {
            small_ratio: 1.5,
            ..S3FifoParams::default()
        }),
        "s3-fifo small_ratio must be > 0 and < 1, got 1.5",
    );
    check(
        s3(S3FifoParams {
            ghost_ratio: f64::INFINITY,
            ..S3FifoParams::default()
        }),
        "s3-fifo ghost_ratio must be >= 0 and <= 10, got inf",
    );
    check(
        s3(S3FifoParams {
            move_to_main_threshold: 0,
            ..S3FifoParams::default()
        }),
        "s3-fifo move_to_main_threshold must be >= 1 and <= 255, got 0",
    );
    check(
        TwoQ::new(
            objects(100),
            TwoQParams {
                ain_ratio: f64::NAN,
                aout_ratio: 0.5,
            },
        )
        .unwrap_err(),
        "2q ain_ratio must be > 0 and < 1, got NaN",
    );
    check(
        WTinyLfu::new(objects(1000), 0.0).unwrap_err(),
        "w-tinylfu window_ratio must be > 0 and < 1, got 0",
    );
    check(
        Clock::new(objects(10), 9).unwrap_err(),
        "clock bits must be >= 1 and <= 8, got 9",
    );
    check(
        Slru::new(objects(10), 17).unwrap_err(),
        "slru segments must be >= 1 and <= 16, got 17",
    );
}

// Goal: a capacity that leaves a policy's queue unable to admit is rejected with the
// smallest capacity that works. Method: one capacity below each policy's floor.
#[test]
fn too_small_capacities_explain_themselves() {
    #[track_caller]
    fn check(error: CacheError, expect: &str) {
        assert_eq!(error.to_string(), expect);
    }
    let objects = |amount| Capacity::objects(amount).unwrap();
    let too_small = |name: &str, amount| {
        CacheSpec::from_name(name)
            .unwrap()
            .build(objects(amount), test_rng(1))
            .err()
            .expect("too small")
    };
    check(
        too_small("s3-fifo", 19),
        "s3-fifo needs a capacity of at least 20 objects so its small queue can admit an \
         object, got 19 objects",
    );
    check(
        too_small("2q", 3),
        "2q needs a capacity of at least 4 objects so its A1in queue can admit an object, \
         got 3 objects",
    );
    check(
        too_small("slru", 3),
        "slru needs a capacity of at least 4 objects so its coldest segment can admit an \
         object, got 3 objects",
    );
    check(
        too_small("w-tinylfu", 99),
        "w-tinylfu needs a capacity of at least 100 objects so its window can admit an \
         object, got 99 objects",
    );
}

// Goal: the smallest capacities the errors name really work: every policy admits an object
// there. Method: build at the floor and request one object.
#[test]
fn smallest_capacities_admit() {
    for (name, floor) in [("s3-fifo", 20), ("2q", 4), ("slru", 4), ("w-tinylfu", 100)] {
        let mut cache = build(name, Capacity::objects(floor).unwrap());
        let outcome = cache.request(&CacheRequest::new(KeyId(7), 1));
        assert_eq!(outcome, Outcome::Miss { admitted: true }, "{name}");
        assert!(
            cache.request(&CacheRequest::new(KeyId(7), 1)).is_hit(),
            "{name}"
        );
    }
}

// Goal: expiry, for every policy: an object is served through its `expire_at` and missed
// (and dropped) after it; the re-admitted copy takes the new request's expiry; `get` drops
// an expired object. Method: one key, requests just before, at and after the deadline.
#[test]
fn expired_objects_miss_and_are_dropped() {
    for name in POLICIES.iter().map(|row| row.name) {
        let mut cache = build(name, Capacity::objects(1000).unwrap());
        let at = |ns| SimTime(ns);
        let first = CacheRequest::new(KeyId(5), 1)
            .at(at(10))
            .expiring_at(at(100));
        assert_eq!(cache.request(&first), Outcome::Miss { admitted: true });
        let later = |ns| CacheRequest::new(KeyId(5), 1).at(at(ns));
        assert!(
            cache.request(&later(100)).is_hit(),
            "{name}: served at expire_at"
        );
        assert_eq!(
            cache.request(&later(101)),
            Outcome::Miss { admitted: true },
            "{name}: expired, then re-admitted without expiry"
        );
        assert!(cache.request(&later(1_000_000)).is_hit(), "{name}");
        cache.check_invariants();
        let short = CacheRequest::new(KeyId(6), 1).expiring_at(at(50));
        assert!(cache.insert(&short));
        assert!(cache.contains(KeyId(6)));
        assert!(!cache.get(KeyId(6), at(51)), "{name}: expired on get");
        assert!(!cache.contains(KeyId(6)), "{name}: dropped");
        assert_eq!(cache.len(), 1);
        cache.check_invariants();
    }
}

// Goal: size-aware admission: an object larger than the cache is never admitted and evicts
// nothing, and a large object evicts as many LRU objects as it needs. Method: LRU with 100
// bytes.
#[test]
fn byte_capacity_evicts_until_it_fits() {
    let mut cache = build("lru", Capacity::bytes(100).unwrap());
    let request = |key, size| CacheRequest::new(KeyId(key), size);
    for (key, size) in [(1, 60), (2, 30), (3, 10)] {
        assert_eq!(
            cache.request(&request(key, size)),
            Outcome::Miss { admitted: true }
        );
    }
    assert_eq!(cache.used(), 100);
    assert_eq!(
        cache.request(&request(4, 101)),
        Outcome::Miss { admitted: false }
    );
    assert_eq!(cache.used(), 100, "a too-large object evicts nothing");
    assert!(cache.request(&request(1, 60)).is_hit());
    // 2 and 3 (the LRU end) must both go for 40 bytes; 1 stays.
    assert_eq!(
        cache.request(&request(5, 40)),
        Outcome::Miss { admitted: true }
    );
    assert_eq!(resident(&*cache, 6), [1, 5]);
    assert_eq!(cache.used(), 100);
    // A hit keeps the recorded size even if the request says otherwise.
    assert!(cache.request(&request(5, 1)).is_hit());
    assert_eq!(cache.used(), 100);
    cache.check_invariants();
    for name in POLICIES.iter().map(|row| row.name) {
        let mut cache = build(name, Capacity::bytes(10_000).unwrap());
        assert!(cache.insert(&request(1, 50)), "{name}");
        assert_eq!(
            cache.request(&request(2, 10_001)),
            Outcome::Miss { admitted: false }
        );
        assert_eq!(resident(&*cache, 3), [1], "{name}: nothing evicted");
    }
}

// Goal: `get` then `insert` on a miss is exactly `request`, for every policy (ghost lists
// included). Method: the same random sequence through both APIs on two caches, comparing
// outcomes and contents after every request.
#[test]
fn get_then_insert_is_request() {
    for name in POLICIES.iter().map(|row| row.name) {
        for capacity in [Capacity::objects(100), Capacity::bytes(20_000)] {
            let capacity = capacity.unwrap();
            let mut whole = build(name, capacity);
            let mut split = build(name, capacity);
            let mut rng = test_rng(9);
            for step in 0..3000 {
                let key = KeyId(rng.random_range(0..300u64).pow(2) / 300);
                let request = CacheRequest::new(key, rng.random_range(1..400));
                let outcome = whole.request(&request);
                let hit = split.get(request.key, request.now);
                let admitted = !hit && split.insert(&request);
                assert_eq!(outcome.is_hit(), hit, "{name} step {step}");
                if !hit {
                    assert_eq!(outcome, Outcome::Miss { admitted }, "{name} step {step}");
                }
                assert_eq!(whole.len(), split.len(), "{name} step {step}");
            }
            assert_eq!(resident(&*whole, 300), resident(&*split, 300), "{name}");
            split.check_invariants();
        }
    }
}

// Goal: invalidation: `remove` reports whether the object was resident, and a removed
// object misses; `insert` of a resident object changes nothing. Method: LRU and every
// policy on a few keys.
#[test]
fn remove_and_insert_resident() {
    for name in POLICIES.iter().map(|row| row.name) {
        let mut cache = build(name, Capacity::objects(1000).unwrap());
        assert!(cache.insert(&CacheRequest::new(KeyId(1), 1)));
        assert!(
            cache.insert(&CacheRequest::new(KeyId(1), 1)),
            "{name}: already resident"
        );
        assert_eq!(cache.len(), 1);
        assert!(cache.remove(KeyId(1)), "{name}");
        assert!(!cache.remove(KeyId(1)), "{name}: already gone");
        assert!(!cache.remove(KeyId(2)), "{name}: never there");
        assert!(!cache.get(KeyId(1), SimTime::ZERO));
        assert!(cache.is_empty());
        cache.check_invariants();
    }
    // LRU: inserting a resident object does not refresh it.
    let mut lru = build("lru", Capacity::objects(2).unwrap());
    for key in [1, 2] {
        lru.request(&CacheRequest::new(KeyId(key), 1));
    }
    lru.insert(&CacheRequest::new(KeyId(1), 1));
    lru.request(&CacheRequest::new(KeyId(3), 1));
    assert_eq!(resident(&*lru, 4), [2, 3]);
}

// Goal: miss ratios as libCacheSim defines them. Method: four requests by hand.
#[test]
fn stats_count_requests_and_bytes() {
    let mut stats = CacheStats::default();
    assert_eq!(stats.miss_ratio(), 0.0);
    for (size, outcome) in [
        (100, Outcome::Miss { admitted: true }),
        (100, Outcome::Hit),
        (300, Outcome::Miss { admitted: false }),
        (500, Outcome::Hit),
    ] {
        stats.record(&CacheRequest::new(KeyId(1), size), outcome);
    }
    assert_eq!((stats.n_requests, stats.n_hits), (4, 2));
    assert!((stats.miss_ratio() - 0.5).abs() < 1e-12);
    assert!((stats.byte_miss_ratio() - 400.0 / 1000.0).abs() < 1e-12);
}

// Goal: Random is reproducible from its stream and depends on it. Method: same and
// different seeds over the same requests.
#[test]
fn random_is_seeded() {
    let outcomes = |seed| {
        let mut cache = Random::new(Capacity::objects(10).unwrap(), test_rng(seed));
        (0..2000u64)
            .map(|i| {
                cache
                    .request(&CacheRequest::new(KeyId(i * 7919 % 37), 1))
                    .is_hit()
            })
            .collect::<Vec<bool>>()
    };
    assert_eq!(outcomes(3), outcomes(3));
    assert_ne!(outcomes(3), outcomes(4));
}
