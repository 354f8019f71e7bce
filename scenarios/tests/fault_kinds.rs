//! Every fault kind, fired in a real run, is logged (and counted) under the names its row
//! declares (`logged_as`), which `distsim list`, the docs and `results.json` readers rely on.
//! The table below must cover every registered kind, so a new row cannot skip this check.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use scenarios::run::{run, run_data};

/// Two regions, a plain server group and a sharded one, and no faults.
const BASE: &str = r#"
[simulation]
name = "one-fault"
seed = 3
duration = "4s"

[[region]]
name = "us-east"
zones = ["use1-az1", "use1-az2"]

[[region]]
name = "eu-west"

[[group]]
name = "clients"
count = 2
role = "client"
region = "us-east"
target = "servers"
timeout = "100ms"
workload = { rate = "200/s" }

[[group]]
name = "servers"
count = 3
role = "server"
zones = ["use1-az1", "use1-az2", "eu-west"]
service = { workers = 2, time = { dist = "exp", mean = "1ms" } }

[[group]]
name = "shards"
count = 3
role = "server"
region = "us-east"
placement = { scheme = "ring", initial_members = 2 }

[[group]]
name = "kv"
count = 3
role = "store"
replication = { scheme = "leader_follower" }
"#;

/// One `[[fault]]` per kind (a kind needing another first, as `restart` or `heal`, has both).
const ONE_OF_EACH: &[(&str, &str)] = &[
    ("crash", "at = \"1s\"\ncrash = \"servers[0]\"\nrestart_after = \"1s\""),
    (
        "restart",
        "at = \"1s\"\ncrash = \"servers[0]\"\n\n[[fault]]\nat = \"2s\"\nrestart = \"servers[0]\"",
    ),
    (
        "partition",
        "at = \"1s\"\npartition = { from = \"clients\", to = \"servers\" }\nduration = \"1s\"",
    ),
    ("isolate", "at = \"1s\"\nisolate = \"servers[1]\"\nduration = \"1s\""),
    (
        "heal",
        "at = \"1s\"\npartition = { from = \"clients\", to = \"servers\", name = \"cut\" }\n\n[[fault]]\nat = \"2s\"\nheal = \"cut\"",
    ),
    (
        "degrade",
        "at = \"1s\"\ndegrade = { from = \"servers\", to = \"clients\", extra_latency = \"5ms\" }\nduration = \"1s\"",
    ),
    ("slow", "at = \"1s\"\nslow = { nodes = \"servers\", factor = 3 }\nduration = \"1s\""),
    ("clock_skew", "at = \"1s\"\nclock_skew = { nodes = \"*\", offset = \"+2ms\" }"),
    ("region_outage", "at = \"1s\"\nregion_outage = \"eu-west\"\nduration = \"1s\""),
    ("join", "at = \"1s\"\njoin = \"shards[2]\""),
    ("leave", "at = \"1s\"\nleave = \"shards[0]\""),
    ("fail", "at = \"1s\"\nfail = \"shards[1]\"\ndetect_after = \"500ms\""),
    ("promote", "at = \"1s\"\npromote = \"kv[2]\""),
];

#[test]
fn every_fault_kind_is_logged_under_the_names_its_row_declares() {
    let registries = scenarios::Registries::builtin();
    let rows = registries.fault_kinds.rows();
    let covered: BTreeSet<&str> = ONE_OF_EACH.iter().map(|(kind, _)| *kind).collect();
    let registered: BTreeSet<&str> = rows.iter().map(|row| row.name).collect();
    assert_eq!(
        covered, registered,
        "one scenario per registered fault kind"
    );

    for (kind, fault) in ONE_OF_EACH {
        let row = rows.iter().find(|row| row.name == *kind).unwrap();
        let text = format!("{BASE}\n[[fault]]\n{fault}\n");
        let scenario = scenarios::load_text(&format!("{kind}.toml"), &text, &[])
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let outcome = run(&scenario, 3, &mut |_| ControlFlow::Continue(()));
        let results = reports::build_results(&run_data(&scenario, &outcome)).unwrap();
        let logged: BTreeSet<&str> = results.faults.iter().map(|f| f.kind.as_str()).collect();
        // The fault the test is about logs under one of its row's names ...
        assert!(
            logged.iter().any(|name| row.value.logged_as.contains(name)),
            "{kind}: logged {logged:?}, declared {:?}",
            row.value.logged_as
        );
        // ... and every logged name belongs to one of the kinds the scenario used.
        let used: Vec<&str> = rows
            .iter()
            .filter(|r| fault.contains(&format!("\n{} = ", r.name)) || fault.starts_with(r.name))
            .chain(std::iter::once(row))
            .flat_map(|r| r.value.logged_as.iter().copied())
            .collect();
        for name in &logged {
            assert!(
                used.contains(name),
                "{kind}: logged `{name}`, declared {used:?}"
            );
            let counter = format!("faults.fired.{name}");
            assert!(
                results.counters.get(&counter).is_some_and(|n| *n > 0),
                "{kind}: {counter}"
            );
        }
    }
}
