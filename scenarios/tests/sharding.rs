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
// the ring over the same members (node ids 2..8, weight 1) and compare with per-node loads.
#[test]
fn clients_send_each_key_to_its_owner() {
    let scenario = scenarios::load_text("shards.toml", TEXT, &[]).expect("valid");
    let outcome = run(&scenario, 9, &mut |_| ControlFlow::Continue(()));
    let members: Vec<Member> = (2..8)
        .map(|n| Member::new(NodeId(n), 1.0, ZoneId(0)))
        .collect();
    let ring = PlacementSpec::Ring { vnodes: 160 }.build(&members).unwrap();
    let hot_owner = ring.owner(KeyId(0)).unwrap();
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
