//! Sharded groups: clients that target a group with a `placement` send each key to its owner.

use std::ops::ControlFlow;

use models::placement::{Member, PlacementSpec};
use models::workload::KeyId;
use scenarios::run::run;
use sim_core::{NodeId, ZoneId};

const TEXT: &str = r#"
[simulation]
name = "shards"
seed = 9
duration = "2s"

[[group]]
name = "clients"
count = 2
role = "client"
target = "shards"
workload = { rate = "2k/s", keys = { dist = "hotspot", n = 1000, hot_keys = 0.001, hot_requests = 0.5 } }

[[group]]
name = "shards"
count = 6
role = "server"
placement = { scheme = "ring", vnodes = 160 }
"#;

// Goal: routing follows the ring. Half the requests go to key 0 (hotspot: 0.1% of 1000 keys,
// i.e. key 0 alone, gets 50%), so key 0's owner under the same ring, built independently
// here, must receive the most requests, about half plus its share of the rest. Method: rebuild
// the ring over the same members (the group's members 0..6, weight 1: a placement hashes a
// group's own member numbers, and member i is node 2 + i) and compare with per-node loads.
#[test]
fn clients_send_each_key_to_its_owner() {
    let scenario = scenarios::load_text("shards.toml", TEXT, &[]).expect("valid");
    let outcome = run(&scenario, 9, &mut |_| ControlFlow::Continue(()));
    let members: Vec<Member> = (0..6)
        .map(|n| Member::new(NodeId(n), 1.0, ZoneId(0)))
        .collect();
    let ring = PlacementSpec::ring(160).build(&members).unwrap();
    let hot_owner = NodeId(2 + ring.owner(KeyId(0)).unwrap().0);
    let received: Vec<(u64, NodeId)> = (2..8)
        .map(|n| (outcome.sim.node_stats(NodeId(n)).received, NodeId(n)))
        .collect();
    let total: u64 = received.iter().map(|(r, _)| r).sum();
    let (most, busiest) = *received.iter().max().unwrap();
    assert_eq!(busiest, hot_owner, "loads {received:?}");
    assert!(
        most as f64 > 0.5 * total as f64,
        "the hot key's owner got {most} of {total}"
    );
}

// Goal: `routing = "placement"` without a placement on the target is refused at load time.
#[test]
fn placement_routing_needs_a_placement() {
    let text = TEXT
        .replace("placement = { scheme = \"ring\", vnodes = 160 }", "")
        .replace(
            "target = \"shards\"",
            "target = \"shards\"\nrouting = \"placement\"",
        );
    let error = scenarios::load_text("shards.toml", &text, &[])
        .err()
        .expect("refused")
        .to_string();
    assert!(
        error.contains("needs a target group with a `placement`"),
        "{error}"
    );
}

const GROWING: &str = r#"
[simulation]
name = "growing"
seed = 5
duration = "2s"

[[group]]
name = "clients"
count = 2
role = "client"
target = "shards"
workload = { rate = "2k/s", keys = { dist = "uniform", n = 5000 } }

[[group]]
name = "shards"
count = 5
role = "server"
placement = { scheme = "ring", vnodes = 100, initial_members = 4 }

[[fault]]
at = "1s"
join = "shards[4]"
"#;

/// Node ids of `shards[i]` in [`GROWING`]: the two clients come first.
fn shard(i: u32) -> NodeId {
    NodeId(2 + i)
}

/// A ring over the group's members `nodes` (group-local numbers, as scenarios place them).
fn ring_over(nodes: &[u32]) -> Box<dyn models::placement::Placement> {
    let members: Vec<Member> = nodes
        .iter()
        .map(|&i| Member::new(NodeId(i), 1.0, ZoneId(0)))
        .collect();
    PlacementSpec::ring(100).build(&members).unwrap()
}

// Goal: a mid-run join re-homes exactly the keys the scheme says, records where they went, and
// the new node gets traffic only after it joins. Method: the recorded movement must equal the
// movement between two independently built rings (4 and 5 members) over the clients' 5000
// keys; the spare node receives nothing in a run that ends at the join (changes apply after
// every event at their time) and its fair share in the full run.
#[test]
fn a_join_moves_keys_to_the_new_node() {
    let scenario = scenarios::load_text("growing.toml", GROWING, &[]).expect("valid");
    let outcome = run(&scenario, 5, &mut |_| ControlFlow::Continue(()));
    assert_eq!(outcome.membership.len(), 1);
    let change = &outcome.membership[0];
    let expected = models::placement::moved_keys(
        &*ring_over(&[0, 1, 2, 3]),
        &*ring_over(&[0, 1, 2, 3, 4]),
        (0..5000).map(KeyId),
    );
    assert_eq!(
        (change.kind.as_str(), change.time_ns),
        ("join", 1_000_000_000)
    );
    assert_eq!(change.keys_sampled, 5000);
    assert_eq!(change.keys_moved, expected.moved);
    assert_eq!(change.members, 5);
    assert_eq!(change.moved_to.len(), 1);
    assert_eq!(change.moved_to[0].node, "shards[4]");
    assert_eq!(change.moved_to[0].keys, expected.moved);
    let log = outcome.sim.fault_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].kind, "join");
    // The new node serves about its share (moved/5000) of the second half's 4000 requests/s.
    let received = outcome.sim.node_stats(shard(4)).received as f64;
    let expected_requests = 4000.0 * expected.fraction();
    assert!(
        (received - expected_requests).abs() < 5.0 * expected_requests.sqrt() + 1.0,
        "shards[4] received {received}, expected about {expected_requests:.0}"
    );

    let until_join = scenarios::load_text(
        "growing.toml",
        GROWING,
        &["simulation.duration=\"1s\"".into()],
    )
    .expect("valid");
    let outcome = run(&until_join, 5, &mut |_| ControlFlow::Continue(()));
    assert_eq!(
        outcome.membership.len(),
        1,
        "a change at the end still applies"
    );
    assert_eq!(outcome.sim.node_stats(shard(4)).received, 0);
}

// Goal: `fail` crashes a node at once and removes it from the placement only when the failure
// is detected; in between, its keys' requests are lost. Method: fail shards[1] at 0.5 s with
// detect_after 0.3 s; the log has the crash at 0.5 s and the leave at 0.8 s, keys move only
// away from shards[1], and timeouts happen (requests sent to the dead node).
#[test]
fn a_failure_crashes_then_leaves_after_detection() {
    let text = GROWING
        .replace(", initial_members = 4", "")
        .replace(
            "join = \"shards[4]\"",
            "fail = \"shards[1]\"\ndetect_after = \"300ms\"",
        )
        .replace("at = \"1s\"", "at = \"500ms\"")
        .replace("workload =", "timeout = \"100ms\"\nworkload =");
    let scenario = scenarios::load_text("failing.toml", &text, &[]).expect("valid");
    let outcome = run(&scenario, 5, &mut |_| ControlFlow::Continue(()));
    let log: Vec<(&str, u64)> = outcome
        .sim
        .fault_log()
        .iter()
        .map(|f| (f.kind, f.time.as_nanos()))
        .collect();
    assert_eq!(log, [("crash", 500_000_000), ("leave", 800_000_000)]);
    let change = &outcome.membership[0];
    assert_eq!(change.kind, "leave");
    assert_eq!(change.members, 4);
    assert!(change.moved_from.iter().all(|k| k.node == "shards[1]"));
    assert!(!change.moved_to.iter().any(|k| k.node == "shards[1]"));
    let timeouts = outcome.sim.metrics().counter_by_name("client.timeouts");
    assert!(
        timeouts > 0,
        "requests to the dead node time out before detection"
    );
}

// Goal: two runs of a scenario with membership changes give the same results, byte for byte
// (the per-run placement is rebuilt, not carried over from the first run). Method: run the
// growing scenario twice from one parsed `Scenario` and compare the results files.
#[test]
fn membership_runs_repeat_exactly() {
    let scenario = scenarios::load_text("growing.toml", GROWING, &[]).expect("valid");
    let results = || {
        let outcome = run(&scenario, 5, &mut |_| ControlFlow::Continue(()));
        let data = scenarios::run::run_data(&scenario, &outcome);
        serde_json::to_string(&reports::build_results(&data).expect("builds")).expect("json")
    };
    let first = results();
    assert!(first.contains("\"moved_to\""));
    assert_eq!(first, results());
}
