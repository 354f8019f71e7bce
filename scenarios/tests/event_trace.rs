//! The event trace (`distsim run --trace`): a person (or a script) can rebuild who talked to
//! whom from it.
//!
//! Goal: every record is a JSON object naming nodes as `group[i]`; every delivered message has
//! a send with the same id, sender and receiver; every drop says why, and a drop in flight
//! has its send too; faults name their kind and nodes. Method: a run with a crash, a
//! partition and random loss, traced into memory, then every record checked against the
//! others.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::ops::ControlFlow;
use std::rc::Rc;

use scenarios::run::run_traced;
use serde_json::Value;
use sim_core::trace::JsonLinesTrace;

/// A writer the test keeps a handle on after the run drops the sink.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SCENARIO: &str = r#"
[simulation]
name = "traced"
seed = 4
duration = "400ms"

[network]
latency = { dist = "constant", value = "1ms" }
loss = 0.02

[[group]]
name = "clients"
count = 2
role = "client"
target = "servers"
timeout = "20ms"
workload = { rate = "200/s" }

[[group]]
name = "servers"
count = 2
role = "server"
service = { workers = 1, time = { dist = "exp", mean = "1ms" } }

[[fault]]
at = "100ms"
crash = "servers[1]"
restart_after = "100ms"

[[fault]]
at = "250ms"
partition = { from = "clients[0]", to = "servers" }
duration = "50ms"
"#;

fn trace_lines() -> Vec<Value> {
    let scenario = scenarios::load_text("traced.toml", SCENARIO, &[]).unwrap();
    let buffer = Shared::default();
    let sink = JsonLinesTrace::with_names(buffer.clone(), scenario.directory.names());
    run_traced(&scenario, 4, Some(Box::new(sink)), &mut |_| {
        ControlFlow::Continue(())
    });
    let bytes = buffer.0.borrow().clone();
    let text = String::from_utf8(bytes).expect("the trace is UTF-8");
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", i + 1))
        })
        .collect()
}

#[test]
fn every_delivery_and_drop_matches_a_send() {
    let records = trace_lines();
    let kind = |r: &Value| r["kind"].as_str().unwrap().to_string();
    let mut sends: BTreeMap<u64, &Value> = BTreeMap::new();
    for r in records.iter().filter(|r| kind(r) == "send") {
        let id = r["msg_id"].as_u64().expect("a send has an id");
        assert!(sends.insert(id, r).is_none(), "two sends of message {id}");
        assert!(r["arrive_ns"].as_u64().unwrap() >= r["t_ns"].as_u64().unwrap());
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in &records {
        *counts.entry(kind(r)).or_default() += 1;
        for key in ["node", "from", "to"] {
            if let Some(name) = r.get(key) {
                let name = name.as_str().expect("nodes are names");
                assert!(
                    name.starts_with("clients[") || name.starts_with("servers["),
                    "{name}"
                );
            }
        }
        match kind(r).as_str() {
            "deliver" => {
                let id = r["msg_id"].as_u64().unwrap();
                let send = sends.get(&id).unwrap_or_else(|| panic!("no send of {id}"));
                assert_eq!(send["from"], r["from"]);
                assert_eq!(send["to"], r["to"]);
                assert_eq!(send["arrive_ns"], r["t_ns"], "delivered when due");
                assert_eq!(send["msg"], r["msg"]);
                assert!(r["msg"]["type"].is_string());
            }
            "drop" => {
                let cause = r["cause"].as_str().expect("a drop has a cause");
                assert!(["partition", "loss", "receiver_down"].contains(&cause));
                if let Some(id) = r["msg_id"].as_u64() {
                    assert!(sends.contains_key(&id), "a drop in flight was sent");
                }
            }
            "fault" => {
                assert!(r["fault"].is_string());
                assert!(r["description"].is_string());
                assert!(r["nodes"].is_array());
            }
            _ => {}
        }
    }
    // The run has every kind of thing to trace.
    for (what, at_least) in [("send", 100), ("deliver", 100), ("drop", 5), ("fault", 2)] {
        assert!(
            counts.get(what).copied().unwrap_or(0) >= at_least,
            "{counts:?}"
        );
    }
    let causes: Vec<&str> = records
        .iter()
        .filter(|r| kind(r) == "drop")
        .map(|r| r["cause"].as_str().unwrap())
        .collect();
    for cause in ["partition", "loss", "receiver_down"] {
        assert!(causes.contains(&cause), "no {cause} drop: {causes:?}");
    }
    // A request and its response share the request id, so a request can be followed.
    let request = records
        .iter()
        .find(|r| kind(r) == "deliver" && r["msg"]["type"] == "response")
        .expect("a response was delivered");
    let id = &request["msg"]["request"];
    assert!(records
        .iter()
        .any(|r| kind(r) == "send" && r["msg"]["type"] == "request" && &r["msg"]["request"] == id));
    // The crash names its node.
    let crash = records
        .iter()
        .find(|r| r["fault"] == "crash_restart")
        .expect("the crash is traced");
    assert_eq!(crash["nodes"], serde_json::json!(["servers[1]"]));
}
