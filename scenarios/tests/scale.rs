//! The scale example and the resource guard.
//!
//! Goal: the shipped million-node scenario is valid and fits the memory model; scenarios too
//! big for their limits are refused while they are read, with the estimate and the limit,
//! before any per-node allocation (a 10^9-node scenario returns at once instead of being
//! killed for memory). The full run is `#[ignore]`d (about 25 s in release):
//!
//! ```text
//! cargo test --release -p scenarios --test scale -- --ignored
//! ```

mod common;

use std::path::Path;

use scenarios::sections::budget::{BYTES_PER_NODE, DEFAULT_MAX_NODES};

fn million() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scale/million-nodes.toml")
}

fn refused(text: &str, set: &[&str]) -> String {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    match scenarios::load_text("big.toml", text, &set) {
        Ok(scenario) => panic!("accepted {} nodes", scenario.n_nodes()),
        Err(error) => error.to_string(),
    }
}

/// A client/server scenario with `count` nodes in each of its two groups.
fn two_groups(count: u64) -> String {
    format!(
        r#"
[simulation]
name = "big"
seed = 1
duration = "1s"

[[group]]
name = "clients"
count = {count}
role = "client"
target = "servers"
workload = {{ arrivals = "poisson", rate = "1/s", keys = {{ dist = "uniform", n = 10 }} }}

[[group]]
name = "servers"
count = {count}
role = "server"
service = {{ workers = 1, time = {{ dist = "constant", value = "1ms" }} }}
"#
    )
}

#[test]
fn the_million_node_example_is_valid() {
    let scenario = scenarios::load(&million(), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scenario.n_nodes(), 1_000_000);
    assert_eq!(scenario.processes.len(), 1, "it has a crash process");
}

// A billion nodes: refused by max_nodes at the group that crosses it, naming the override.
#[test]
fn a_billion_nodes_are_refused_by_max_nodes() {
    let message = refused(&two_groups(500_000_000), &[]);
    assert!(message.contains("above max_nodes"), "{message}");
    assert!(
        message.contains("500,000,000 nodes, above max_nodes (10,000,000)"),
        "{message}"
    );
    assert_eq!(DEFAULT_MAX_NODES, 10_000_000);
    assert!(message.contains("count = 500000000"), "{message}");
}

// Raising max_nodes leaves the memory guard: with an explicit limit, the message carries the
// estimate (nodes x bytes per node) and the limit, and no per-node table was built (the test
// returns at once; building a billion nodes' zones alone would take seconds and gigabytes).
#[test]
fn the_memory_guard_refuses_with_the_estimate_and_the_limit() {
    let message = refused(
        &two_groups(500_000_000),
        &[
            "simulation.max_nodes=2000000000",
            "simulation.max_memory=\"64GiB\"",
        ],
    );
    assert!(
        message.contains("more than max_memory (64.0GiB)"),
        "{message}"
    );
    // The first group alone crosses 64 GiB (5e8 x 1600 B = 745 GiB): refused at its count.
    assert!(message.contains("500,000,000 nodes"), "{message}");
    assert!(
        message.contains(&format!("~{BYTES_PER_NODE} B")),
        "{message}"
    );
    assert!(message.contains("big.toml (with --set):11:9"), "{message}");
}

// Timeline windows count too: a day at 1 ms windows is refused; a sane window is not.
#[test]
fn windows_count_in_the_estimate() {
    let long = [
        "simulation.duration=\"1d\"",
        "simulation.max_memory=\"8GiB\"",
    ];
    let text = two_groups(2).replace("[simulation]", "[report]\nwindow = \"1ms\"\n\n[simulation]");
    let message = refused(&text, &long);
    assert!(message.contains("86,400,000 timeline windows"), "{message}");
    let sane = text.replace("window = \"1ms\"", "window = \"1m\"");
    let set: Vec<String> = long.iter().map(|s| s.to_string()).collect();
    scenarios::load_text("big.toml", &sane, &set).unwrap_or_else(|e| panic!("{e}"));
}

// Bad guard values get a diagnostic.
#[test]
fn bad_guard_values_are_diagnosed() {
    let message = refused(&two_groups(2), &["simulation.max_nodes=0"]);
    assert!(
        message.contains("max_nodes must be a whole number from 1"),
        "{message}"
    );
    let message = refused(&two_groups(2), &["simulation.max_memory=\"lots\""]);
    assert!(
        message.contains("max_memory must be a size above 0"),
        "{message}"
    );
}

// The whole example, shortened to 2 s: a million nodes exchange messages, the crash process
// fires, and every timed-out request ended while some crash was under way (the verdict).
#[test]
#[ignore = "about 10 s in release: cargo test --release -p scenarios --test scale -- --ignored"]
fn the_million_node_example_runs() {
    let set = ["simulation.duration=\"2s\"".to_string()];
    let scenario = scenarios::load(&million(), &set).unwrap_or_else(|e| panic!("{e}"));
    let results = common::results_of(&scenario, 1);
    assert_eq!(results.nodes.len(), 1_000_000);
    assert!(results.counters["faults.fired"] > 0, "no crash fired");
    let all = &results.outcomes["requests.all"];
    // 500k clients at 1/s for 1 s after warm-up: Poisson, so within 1% of 500k.
    assert!(all.issued.abs_diff(500_000) < 5_000, "{}", all.issued);
    assert!(
        all.ok > all.issued * 99 / 100,
        "ok {} of {}",
        all.ok,
        all.issued
    );
    let verdict = results.verdict.expect("requests were tallied");
    assert!(verdict.contains("during crash"), "{verdict}");
}

fn gossip_million() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scale/gossip-1m.toml")
}

#[test]
fn the_gossip_million_example_is_valid() {
    let scenario = scenarios::load(&gossip_million(), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scenario.n_nodes(), 1_000_000);
    assert_eq!(scenario.processes.len(), 1, "it has a crash process");
}

// Goal: the million-member gossip run informs nearly everyone in about Karp et al.'s
// log3 n + O(ln ln n) rounds, and its residue is the members a crash kept away. The time
// window is a sanity range, not a derived tolerance: its top is log3 n + log2 ln n = 16.4
// rounds plus a period for random phases (rounded up to 20 s); its bottom, 10 s, sits just
// under the 10.4 s this seed measures (random phases let a rumour cross several hops per
// period, so no synchronous-round bound applies from below). The residue bound: members
// down at some time during the ~10 s spread, about 30/3630 = 0.83 % at any moment plus
// 10 s x 10^6 / 3600 s = 0.28 % crashing meanwhile, 1.1 %, under the 2 % allowed.
#[test]
#[ignore = "about 30 s in release: cargo test --release -p scenarios --test scale -- --ignored"]
fn the_gossip_million_example_runs() {
    let scenario = scenarios::load(&gossip_million(), &[]).unwrap_or_else(|e| panic!("{e}"));
    let results = common::results_of(&scenario, 1);
    assert!(results.counters["faults.fired"] > 0, "no crash fired");
    let h = &results.metrics["gossip.time_to_informed.99"];
    let p99_s = h.max.expect("the rumour reached 99 %") as f64 / 1e9;
    assert!(
        (10.0..20.0).contains(&p99_s),
        "99 % informed after {p99_s} s"
    );
    let residue = results.counters["gossip.residue"];
    assert!(residue < 1_000_000 / 50, "residue {residue}");
}

fn swim_hundred_thousand() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scale/swim-100k.toml")
}

#[test]
fn the_swim_example_is_valid() {
    let scenario = scenarios::load(&swim_hundred_thousand(), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scenario.n_nodes(), 100_000);
    assert_eq!(scenario.processes.len(), 1, "it has a crash process");
}

// Goal: the 100,000-member SWIM run detects the crashes its suspicion timeout allows and
// counts the partition's false positives. Bounds, from the configuration: a crash is
// suspected after about 1/(1 - e^-1) = 1.6 periods and declared 20 s later (the suspicion
// timeout), so the first declarations take 20 to 30 s; crashes in the last ~22 s cannot be
// declared yet, so some stay undetected (about 22/60 of ~170); and each of the 1,000 cut-off
// members is suspected by the members whose probes failed during the partition, so the
// false positives number in the thousands, none before the partition's first timers expire
// (20 s + 20 s).
#[test]
#[ignore = "about 30 s in release: cargo test --release -p scenarios --test scale -- --ignored"]
fn the_swim_example_runs() {
    let scenario = scenarios::load(&swim_hundred_thousand(), &[]).unwrap_or_else(|e| panic!("{e}"));
    let results = common::results_of(&scenario, 1);
    let detection = &results.metrics["membership.detection_time"];
    let p50_s = detection.p50.expect("some crash was declared") as f64 / 1e9;
    assert!((20.0..30.0).contains(&p50_s), "declared after {p50_s} s");
    let undetected = results.counters["membership.undetected"];
    assert!((10..150).contains(&undetected), "{undetected} undetected");
    let false_positives = results.counters["membership.false_positives"];
    assert!(false_positives > 1_000, "{false_positives} false positives");
}
