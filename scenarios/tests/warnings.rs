//! Warnings: scenarios that are valid but probably not what the author meant.
//!
//! Goal: each suspicious choice still loads, and raises exactly the warning that explains it,
//! pointing at the line. Method: small scenarios through one `check` helper that compares the
//! rendered warnings with the expected text.

const CLIENTS_AND_SERVERS: &str = r#"
[[group]]
name = "clients"
count = 2
role = "client"
target = "servers"
workload = { rate = "100/s" }

[[group]]
name = "servers"
count = 4
role = "server"
service = { workers = 1, time = { dist = "exp", mean = "1ms" } }
"#;

/// Loads `text` as `warn.toml`, asserts it is valid, and compares its warnings, rendered and
/// separated by blank lines, with `expect`.
#[track_caller]
fn check(text: &str, expect: &str) {
    let scenario = scenarios::load_text("warn.toml", text, &[])
        .unwrap_or_else(|error| panic!("should load:\n{error}"));
    let got: Vec<String> = scenario.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(got.join("\n\n"), expect.trim());
    assert_eq!(scenario.has_warnings(), !expect.trim().is_empty());
}

// Goal: a fault timed at or after the end of the run is reported (it would never fire).
#[test]
fn fault_after_the_end_of_the_run() {
    let text = format!(
        "[simulation]\nname = \"w\"\nseed = 1\nduration = \"10s\"\n{CLIENTS_AND_SERVERS}\n[[fault]]\nat = \"15s\"\ncrash = \"servers[0]\"\n"
    );
    check(
        &text,
        r#"
warning: warn.toml:20:6: this fault fires at 15s, after the run ends (10s)
   |
20 | at = "15s"
   |      ^^^^^
"#,
    );
}

// Goal: a warm-up as long as the run leaves every total empty.
#[test]
fn warmup_not_shorter_than_the_run() {
    let text = format!(
        "[simulation]\nname = \"w\"\nseed = 1\nduration = \"10s\"\nwarmup = \"10s\"\n{CLIENTS_AND_SERVERS}"
    );
    check(
        &text,
        r#"
warning: warn.toml:5:10: warmup (10s) is not shorter than the run (10s): every result will be empty
  |
5 | warmup = "10s"
  |          ^^^^^
"#,
    );
}

// Goal: offered load at or above capacity (utilisation >= 1) is reported: the queues grow
// without bound. 2 clients x 2500/s = 5000/s against 4 servers x 1 worker / 1 ms = 4000/s.
#[test]
fn utilisation_at_or_above_one() {
    let text = "[simulation]\nname = \"w\"\nseed = 1\nduration = \"10s\"\n\n[[group]]\nname = \"clients\"\ncount = 2\nrole = \"client\"\ntarget = \"servers\"\nworkload = { rate = \"2500/s\" }\n\n[[group]]\nname = \"servers\"\ncount = 4\nrole = \"server\"\nservice = { workers = 1, time = { dist = \"exp\", mean = \"1ms\" } }\n";
    check(
        text,
        r#"
warning: warn.toml:17:11: group "servers": its busiest node is offered 1250 requests/s, 1.25 times what its 1 worker can serve: its queue will grow without bound
   |
17 | service = { workers = 1, time = { dist = "exp", mean = "1ms" } }
   |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
"#,
    );
}

// Goal: exactly at capacity (utilisation 1) already warns: an M/M/c queue at utilisation 1
// has no steady state.
#[test]
fn utilisation_exactly_one() {
    let text = "[simulation]\nname = \"w\"\nseed = 1\nduration = \"10s\"\n\n[[group]]\nname = \"clients\"\ncount = 2\nrole = \"client\"\ntarget = \"servers\"\nworkload = { rate = \"2000/s\" }\n\n[[group]]\nname = \"servers\"\ncount = 4\nrole = \"server\"\nservice = { workers = 1, time = { dist = \"exp\", mean = \"1ms\" } }\n";
    check(
        text,
        r#"
warning: warn.toml:17:11: group "servers": its busiest node is offered 1000 requests/s, 1.00 times what its 1 worker can serve: its queue will grow without bound
   |
17 | service = { workers = 1, time = { dist = "exp", mean = "1ms" } }
   |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
"#,
    );
}

// Goal: a sensible scenario raises no warnings at all (the checks above are not noise).
#[test]
fn a_sensible_scenario_has_no_warnings() {
    let text = format!(
        "[simulation]\nname = \"w\"\nseed = 1\nduration = \"10s\"\nwarmup = \"1s\"\n{CLIENTS_AND_SERVERS}\n[[fault]]\nat = \"5s\"\ncrash = \"servers[0]\"\n"
    );
    check(&text, "");
}

// Goal: the warning follows the load wherever a selector sends it, weighs operations by their
// own service times, and says what a bounded queue does instead of growing. 1 client at
// 1500/s to servers[0] only, 50% writes at 1 ms and 50% reads at 0.2 ms: demand
// 1500 * (0.5 * 0.001 + 0.5 * 0.0002) = 0.9 of a worker: no warning; at 2000/s it is 1.2.
#[test]
fn utilisation_follows_selectors_and_operation_mix() {
    let scenario = |rate: &str| {
        format!(
            "[simulation]\nname = \"w\"\nseed = 1\nduration = \"10s\"\n\n[[group]]\nname = \"clients\"\ncount = 1\nrole = \"client\"\ntarget = \"servers[0]\"\nworkload = {{ rate = \"{rate}\", read = 0.5, write = 0.5 }}\n\n[[group]]\nname = \"servers\"\ncount = 2\nrole = \"server\"\nservice = {{ workers = 1, time = {{ dist = \"constant\", value = \"200us\" }}, write_time = {{ dist = \"constant\", value = \"1ms\" }}, queue = 100, overflow = \"drop\" }}\n"
        )
    };
    let quiet = scenarios::load_text("warn.toml", &scenario("1500/s"), &[]).unwrap();
    assert!(quiet.warnings.is_empty(), "{:?}", quiet.warnings);
    let loaded = scenarios::load_text("warn.toml", &scenario("2000/s"), &[]).unwrap();
    let message = loaded.warnings[0].message.clone();
    assert!(
        message.contains("offered 2000 requests/s, 1.20 times"),
        "{message}"
    );
    assert!(
        message.contains("queue (bound 100) will fill and it will drop the excess"),
        "{message}"
    );
}

// Goal: a cache tier that holds every key its clients use is a warning (every policy would
// only take compulsory misses); one that holds less is not. Method: 2 cache nodes of 600
// objects in front of clients using 1000 keys (1200 >= 1000), then 400 objects each.
#[test]
fn cache_holding_the_whole_catalogue() {
    let text = |capacity: u32| {
        format!(
            "[simulation]\nname = \"w\"\nseed = 1\nduration = \"1s\"\n\n[[group]]\nname = \"clients\"\ncount = 1\nrole = \"client\"\ntarget = \"cache\"\nworkload = {{ rate = \"100/s\", keys = {{ dist = \"uniform\", n = 1000 }} }}\n\n[[group]]\nname = \"cache\"\ncount = 2\nrole = \"cache\"\ncapacity = {capacity}\nbackend = \"db\"\n\n[[group]]\nname = \"db\"\ncount = 1\nrole = \"server\"\n"
        )
    };
    check(
        &text(600),
        r#"
warning: warn.toml:17:12: group "cache": its 2 nodes hold 1200 objects in all, at least the whole catalogue its clients use (1000): after the first request of each key everything hits, whatever the policy
   |
17 | capacity = 600
   |            ^^^
"#,
    );
    check(&text(400), "");
}

// Goal: an even-sized Raft group loads, with a warning that it tolerates no more failures
// than one node fewer would.
#[test]
fn even_raft_group() {
    let text = "[simulation]\nname = \"w\"\nseed = 1\nduration = \"1s\"\n\n[[group]]\nname = \"clients\"\ncount = 1\nrole = \"client\"\ntarget = \"kv\"\nworkload = { rate = \"10/s\" }\n\n[[group]]\nname = \"kv\"\ncount = 4\nrole = \"store\"\nreplication = { scheme = \"raft\" }\n";
    let scenario = scenarios::load_text("warn.toml", text, &[]).expect("loads");
    let got: Vec<String> = scenario.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("a Raft group of 4 nodes tolerates no more failures than one of 3: a majority is 3 of 4"),
        "{got:?}"
    );
}

// Goal: an `op_timeout` that cannot apply (the clients coordinate) loads with a warning that
// says so.
#[test]
fn op_timeout_without_replica_coordination() {
    let text = "[simulation]\nname = \"w\"\nseed = 1\nduration = \"1s\"\n\n[[group]]\nname = \"clients\"\ncount = 1\nrole = \"client\"\ntarget = \"kv\"\nworkload = { rate = \"10/s\" }\n\n[[group]]\nname = \"kv\"\ncount = 3\nrole = \"store\"\nplacement = { scheme = \"ring\" }\nreplication = { scheme = \"quorum\", coordinator = \"client\" }\nop_timeout = \"100ms\"\n";
    let scenario = scenarios::load_text("warn.toml", text, &[]).expect("loads");
    let got: Vec<String> = scenario.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("`op_timeout` applies to quorum operations a replica coordinates"),
        "{got:?}"
    );
}

// Goal: a gossip period shorter than the network's round trip is reported at the period (a
// 10 ms round over 100 ms one-way links: every pull's answer arrives 19 rounds late); one
// longer than it is not.
#[test]
fn gossip_period_shorter_than_the_round_trip() {
    let text = |period: &str| {
        format!(
            "[simulation]\nname = \"w\"\nseed = 1\nduration = \"1s\"\n\n[network]\nlatency = {{ dist = \"constant\", value = \"100ms\" }}\n\n[[group]]\nname = \"peers\"\ncount = 10\nrole = \"gossip\"\nmode = \"push-pull\"\nperiod = \"{period}\"\n"
        )
    };
    check(
        &text("10ms"),
        r#"
warning: warn.toml:14:10: group "peers": its period (10ms) is shorter than the network's median round trip (about 200ms): answers arrive after the next round has begun, so rounds overlap
   |
14 | period = "10ms"
   |          ^^^^^^
"#,
    );
    check(&text("1s"), "");
}

// Goal: a random overlay that leaves members unreachable is reported with how many (degree
// 2 is one permutation's cycles); one of degree 4 is connected and is not.
#[test]
fn a_disconnected_random_overlay() {
    let text = |degree: u32| {
        format!(
            "[simulation]\nname = \"w\"\nseed = 1\nduration = \"1s\"\n\n[[group]]\nname = \"peers\"\ncount = 1000\nrole = \"gossip\"\ntopology = {{ kind = \"random\", degree = {degree} }}\n"
        )
    };
    let scenario = scenarios::load_text("warn.toml", &text(2), &[]).expect("valid");
    let got: Vec<String> = scenario.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("members unreachable from member 0") && got[0].contains("use 4 or more"),
        "{}",
        got[0]
    );
    check(&text(4), "");
}

// Goal: a retry policy with unlimited attempts and no budget is reported (its retries alone
// can keep an overloaded target down); the same policy with a budget is not.
#[test]
fn unlimited_retries_without_a_budget() {
    let text = |retry: &str| {
        format!(
            "[simulation]\nname = \"w\"\nseed = 1\nduration = \"1s\"\n\n[[group]]\nname = \"clients\"\ncount = 1\nrole = \"client\"\ntarget = \"api\"\ntimeout = \"100ms\"\nretry = {retry}\nworkload = {{ rate = \"10/s\" }}\n\n[[group]]\nname = \"api\"\ncount = 1\nrole = \"server\"\n"
        )
    };
    let warnings = |retry: &str| {
        scenarios::load_text("warn.toml", &text(retry), &[])
            .expect("loads")
            .warnings
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
    };
    let got = warnings("{ attempts = \"unlimited\" }");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("attempts = \"unlimited\" and no `budget`"),
        "{got:?}"
    );
    assert!(warnings("{ attempts = \"unlimited\", budget = 0.1 }").is_empty());
}
