//! Cache tiers in scenarios: look-aside caches with cache-aside clients, read-through caches
//! with each write policy, TTLs, refresh-ahead, request coalescing, and crashes.
//!
//! Each test runs a small scenario and checks the cache's accounting against what the
//! pattern implies (every request is a hit or a miss; a look-aside miss is one store read; a
//! key is fetched at most once while it stays cached; ...), so a broken pattern shows up as a
//! count that cannot be right, not as a latency that merely looks off.

use std::ops::ControlFlow;

use scenarios::run::{run, Outcome};

/// One client group, one cache node, one store node. `CACHE` and `CLIENT` are replaced.
const BASE: &str = r#"
[simulation]
name = "cache-tier"
seed = 3
duration = "2s"

[[group]]
name = "clients"
count = 2
role = "client"
target = "cache"
timeout = "1s"
CLIENT

[[group]]
name = "cache"
count = 1
role = "cache"
CACHE

[[group]]
name = "store"
count = 1
role = "server"
service = { workers = 4, time = { dist = "constant", value = "1ms" } }
"#;

fn run_with(cache: &str, client: &str, set: &[&str]) -> Outcome {
    let text = BASE.replace("CACHE", cache).replace("CLIENT", client);
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let scenario = scenarios::load_text("cache-tier.toml", &text, &set).expect("valid scenario");
    run(&scenario, 3, &mut |_| ControlFlow::Continue(()))
}

fn counter(outcome: &Outcome, name: &str) -> u64 {
    outcome.sim.metrics().counter_by_name(name)
}

/// Messages the store node (the last node) received.
fn store_received(outcome: &Outcome) -> u64 {
    let last = outcome.sim.n_nodes() - 1;
    outcome.sim.node_stats(sim_core::NodeId(last)).received
}

const READS_100_KEYS: &str =
    r#"workload = { rate = "1k/s", keys = { dist = "uniform", n = 100 }, read = 1.0 }"#;

// Goal: cache-aside against a look-aside cache that can hold every key: every miss is read
// from the store exactly once and filled, and every other read hits. Method: 100 keys, 4000
// reads. Each key misses on its first read; a second read of it arriving before the fill
// (one store read, ~2.5 ms) also misses — the cache-aside race — so misses are 100 plus a few:
// a key is read 20 times a second (2000 reads/s over 100 keys), so about 20/s x 2.5 ms = 0.05
// extra misses per key, 5 in all (Poisson, sd 2.2); the bound 115 is 4.5 sd above that. The
// store must receive exactly the misses, and hits + misses must equal the requests.
#[test]
fn cache_aside_reads_the_store_once_per_key() {
    let outcome = run_with(
        "policy = \"lru\"\ncapacity = 1000",
        &format!("store = \"store\"\n{READS_100_KEYS}"),
        &[],
    );
    let (hits, misses) = (
        counter(&outcome, "cache.hits"),
        counter(&outcome, "cache.misses"),
    );
    assert!(
        (100..=115).contains(&misses),
        "each key misses once, plus races: {misses}"
    );
    // A request sent in the run's last millisecond or two is still on its way at the end.
    let requests = counter(&outcome, "client.requests");
    assert!(hits + misses <= requests && requests - (hits + misses) <= 5);
    assert_eq!(store_received(&outcome), misses, "one store read per miss");
    let ok = counter(&outcome, "client.responses.ok");
    assert!(ok <= hits + misses && hits + misses - ok <= 5);
    assert_eq!(
        counter(&outcome, "client.responses.miss"),
        0,
        "misses are served via the store"
    );
}

// Goal: without `store`, a look-aside miss reaches the client as a miss and nothing fills the
// cache, so every read misses. Method: the same workload with no store; no hits at all.
#[test]
fn look_aside_without_store_reports_misses() {
    let outcome = run_with("capacity = 1000", READS_100_KEYS, &[]);
    assert_eq!(counter(&outcome, "cache.hits"), 0);
    assert_eq!(counter(&outcome, "client.responses.ok"), 0);
    assert!(counter(&outcome, "client.responses.miss") > 3_000);
    assert_eq!(store_received(&outcome), 0);
}

// Goal: a TTL shorter than the gap between reads of a key makes every read miss, and a long
// one makes each key fetched once. Method: 100 keys at 2000 reads/s (a key is read every
// ~50 ms on average); TTL 1 ms vs 10 s, read-through with coalescing (so a read during the
// first fetch waits for it instead of fetching again).
#[test]
fn ttl_expires_objects() {
    let short = run_with(
        "capacity = 1000\nbackend = \"store\"\nttl = \"1ms\"",
        READS_100_KEYS,
        &[],
    );
    let long = run_with(
        "capacity = 1000\nbackend = \"store\"\nttl = \"10s\"\ncoalesce = true",
        READS_100_KEYS,
        &[],
    );
    let requests = counter(&short, "client.requests");
    // A read within 1 ms of the previous read of the same key may hit: at 20 reads/s per key
    // that is 1 - e^-0.02, about 2% of reads, so at least 97% miss.
    assert!(counter(&short, "cache.misses") as f64 > 0.97 * requests as f64);
    assert_eq!(counter(&long, "cache.backend_reads"), 100);
}

// Goal: request coalescing sends one fetch per key however many misses wait for it. Method:
// every client reads one key (hotspot: all requests to key 0) through a cold read-through
// cache whose backend takes 1 ms; at 2000 reads/s about 2 reads arrive per fetch. Without
// coalescing, every miss during the first fetch is its own fetch; with it, exactly one.
#[test]
fn coalescing_shares_one_fetch() {
    let hot = r#"workload = { rate = "1k/s", keys = { dist = "hotspot", n = 1000, hot_keys = 0.001, hot_requests = 1.0 }, read = 1.0 }"#;
    let cache = "capacity = 1000\nbackend = \"store\"\nttl = \"20ms\"";
    let plain = run_with(cache, hot, &[]);
    let coalesced = run_with(&format!("{cache}\ncoalesce = true"), hot, &[]);
    let fetches = |o: &Outcome| counter(o, "cache.backend_reads");
    assert!(counter(&coalesced, "cache.coalesced") > 0);
    assert!(
        fetches(&coalesced) < fetches(&plain),
        "coalesced {} vs plain {}",
        fetches(&coalesced),
        fetches(&plain)
    );
    assert_eq!(
        fetches(&coalesced) + counter(&coalesced, "cache.coalesced"),
        counter(&coalesced, "cache.misses"),
        "every miss either fetched or joined a fetch"
    );
}

const WRITES: &str = r#"workload = { rate = "1k/s", keys = { dist = "uniform", n = 100 }, read = 0.5, write = 0.5 }"#;

// Goal: write-back answers writes at once and writes each dirty key to the store at the next
// flush, and a crash loses the dirty writes since the last flush. Method: flush every 100 ms;
// store writes are at most the client's writes (repeated writes of a key between flushes
// coalesce); a crash of the cache at 1.05 s loses the ~50 ms of writes since the 1.0 s flush.
#[test]
fn write_back_flushes_and_loses_on_crash() {
    let cache =
        "capacity = 1000\nbackend = \"store\"\nwrite = \"back\"\nflush_interval = \"100ms\"";
    let outcome = run_with(cache, WRITES, &[]);
    let flushed = counter(&outcome, "cache.backend_writes");
    assert!(flushed > 0);
    assert_eq!(counter(&outcome, "cache.writes_lost"), 0);
    let crashed = {
        let text = BASE.replace("CACHE", cache).replace("CLIENT", WRITES)
            + "\n[[fault]]\nat = \"1050ms\"\ncrash = \"cache[0]\"\nrestart_after = \"10ms\"\n";
        let scenario = scenarios::load_text("cache-tier.toml", &text, &[]).expect("valid");
        run(&scenario, 3, &mut |_| ControlFlow::Continue(()))
    };
    let lost = counter(&crashed, "cache.writes_lost");
    // ~1000 writes/s for 50 ms onto 100 keys: about 40 distinct dirty keys.
    assert!((10..=60).contains(&lost), "lost {lost}");
}

// Goal: write-through puts every write through to the store before answering, and
// write-around too but invalidates the cached copy, so write-around rereads written keys.
// Method: the same 50/50 workload; both send every write to the store (backend_writes equal
// the client's writes); write-around invalidates and so misses more than write-through.
#[test]
fn write_through_and_around() {
    let through = run_with("capacity = 1000\nbackend = \"store\"", WRITES, &[]);
    let around = run_with(
        "capacity = 1000\nbackend = \"store\"\nwrite = \"around\"",
        WRITES,
        &[],
    );
    for outcome in [&through, &around] {
        let writes = counter(outcome, "cache.backend_writes");
        let requests = counter(outcome, "client.requests");
        let reads = counter(outcome, "cache.hits") + counter(outcome, "cache.misses");
        // Every request is a read or a write (a few are still in flight at the end).
        assert!(writes + reads <= requests && requests - (writes + reads) <= 5);
    }
    assert!(counter(&around, "cache.invalidations") > 0);
    assert_eq!(counter(&through, "cache.invalidations"), 0);
    assert!(counter(&around, "cache.misses") > 2 * counter(&through, "cache.misses"));
}

// Goal: refresh-ahead refetches hot keys before they expire, so reads keep hitting where a
// plain TTL would miss. Method: TTL 200 ms, 100 keys read every ~100 ms; with refresh_ahead 0.5
// a read in the last 100 ms of a TTL refetches, so fewer reads miss than without.
#[test]
fn refresh_ahead_keeps_keys_warm() {
    let cache = "capacity = 1000\nbackend = \"store\"\nttl = \"200ms\"";
    let plain = run_with(cache, READS_100_KEYS, &[]);
    let ahead = run_with(
        &format!("{cache}\nrefresh_ahead = 0.5"),
        READS_100_KEYS,
        &[],
    );
    assert!(counter(&ahead, "cache.refreshes") > 0);
    assert!(
        counter(&ahead, "cache.misses") * 2 < counter(&plain, "cache.misses"),
        "refresh-ahead {} vs plain {} misses",
        counter(&ahead, "cache.misses"),
        counter(&plain, "cache.misses")
    );
}

// Goal: every cache policy keeps its invariants (lists, map, counters, capacity, pending
// coalesced fetches) through a real run with writes, deletes, TTLs, a crash and a restart,
// checked every third event (`--paranoid=3`: a broken structure persists, so it cannot slip
// between checks for long), with both hits and misses (the run exercised the policy). Method: 500 keys
// through a 100-object read-through cache (the smallest W-TinyLFU accepts) for 1.2 s, per
// policy in the registry (a new policy is checked without editing this test).
#[test]
fn every_policy_keeps_its_invariants_under_paranoid_checks() {
    for row in models::cache::POLICIES {
        let cache = format!(
            "policy = \"{}\"\ncapacity = 100\nbackend = \"store\"\nttl = \"200ms\"\ncoalesce = true",
            row.name
        );
        let client = r#"workload = { rate = "2k/s", keys = { dist = "zipf", n = 500, s = 0.8 }, read = 0.8, write = 0.15, delete = 0.05 }"#;
        let text = BASE.replace("CACHE", &cache).replace("CLIENT", client)
            + "\n[[fault]]\nat = \"600ms\"\ncrash = \"cache[0]\"\nrestart_after = \"100ms\"\n";
        let set = ["simulation.duration=\"1200ms\"".to_string()];
        let scenario = scenarios::load_text("paranoid.toml", &text, &set).expect("valid scenario");
        let options = scenarios::run::RunOptions {
            paranoid_every: std::num::NonZeroU64::new(3),
            ..Default::default()
        };
        let outcome =
            scenarios::run::run_with(&scenario, 3, options, &mut |_| ControlFlow::Continue(()));
        assert!(
            outcome.partial.is_none(),
            "{}: {:?}",
            row.name,
            outcome.partial
        );
        let (hits, misses) = (
            counter(&outcome, "cache.hits"),
            counter(&outcome, "cache.misses"),
        );
        assert!(
            hits > 0 && misses > 0,
            "{}: {hits} hits, {misses} misses",
            row.name
        );
    }
}
