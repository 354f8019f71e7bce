//! Trace replay as a client workload (`workload = { trace = "...", speed = ... }`).
//!
//! Each test writes a small trace (oracleGeneral through `write_oracle_general`, or CSV by
//! hand) and a scenario next to it into a temporary directory, loads the scenario from its
//! path (so the trace path resolves relative to the scenario's directory, as for users) and
//! checks exact request counts: a timed replay's send times follow from the trace alone, so
//! the counts over a window are known exactly; a fast replay's follow from constant service
//! and network times.

use std::fs;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use models::workload::trace::{write_oracle_general, Compression, TraceRecord};
use models::workload::{KeyId, Op};
use scenarios::run::{run, Outcome};
use sim_core::NodeId;

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("distsim-trace-{label}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, bytes).expect("write test file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes an oracleGeneral trace of `records` (time in whole seconds, key).
fn write_oracle(dir: &TempDir, name: &str, records: &[(u64, u64)], compression: Compression) {
    let records = records.iter().map(|&(time_s, key)| TraceRecord {
        time_ns: time_s * 1_000_000_000,
        key: KeyId(key),
        size_bytes: 100,
        op: Op::Read,
        next_access_vtime: None,
    });
    let mut bytes = Vec::new();
    write_oracle_general(&mut bytes, records, compression).expect("write trace");
    dir.write(name, bytes);
}

/// A CSV trace `time_ms,key,size,op` of `n` requests 10 ms apart; key `i`, every fourth a
/// write.
fn csv_10ms_apart(n: u64) -> String {
    let mut text = String::from("time_ms,key,size,op\n");
    for i in 0..n {
        let op = if i % 4 == 3 { "set" } else { "get" };
        text.push_str(&format!("{},{i},200,{op}\n", i * 10));
    }
    text
}

/// `CSV_SPEC` reads [`csv_10ms_apart`].
const CSV_SPEC: &str = "time=1,key=2,size=3,op=4,header,time_unit=ms";

/// A scenario: `CLIENTS` clients with workload `WORKLOAD` and `ROUTING`, four servers with a
/// constant 1 ms service, and a constant 500 us one-way network (a 2 ms round trip).
const BASE: &str = r#"
[simulation]
name = "replay"
seed = 5
duration = "DURATION"

[network]
latency = { dist = "constant", value = "500us" }

[[group]]
name = "clients"
count = CLIENTS
role = "client"
target = "servers"
routing = "key_modulo"
timeout = "1s"
workload = WORKLOAD

[[group]]
name = "servers"
count = 4
role = "server"
service = { workers = 64, time = { dist = "constant", value = "1ms" } }
"#;

fn scenario_text(duration: &str, clients: u32, workload: &str) -> String {
    BASE.replace("DURATION", duration)
        .replace("CLIENTS", &clients.to_string())
        .replace("WORKLOAD", workload)
}

/// Loads `text` as `dir/replay.toml` (with `set` overrides) and runs it.
fn run_in(dir: &TempDir, text: &str, set: &[&str]) -> Outcome {
    let path = dir.write("replay.toml", text);
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let scenario = scenarios::load(&path, &set).unwrap_or_else(|e| panic!("{e}"));
    run(&scenario, 5, &mut |_| ControlFlow::Continue(()))
}

/// The error loading `text` as `dir/replay.toml` gives.
fn load_error(dir: &TempDir, text: &str) -> String {
    let path = dir.write("replay.toml", text);
    match scenarios::load(&path, &[]) {
        Ok(_) => panic!("loaded without an error"),
        Err(error) => error.to_string(),
    }
}

fn counter(outcome: &Outcome, name: &str) -> u64 {
    outcome.sim.metrics().counter_by_name(name)
}

/// Messages node `id` sent (clients: their requests).
fn sent(outcome: &Outcome, id: u32) -> u64 {
    outcome.sim.node_stats(NodeId(id)).sent
}

// Goal: a timed replay sends record i at (t_i - t_0) / speed. Method: 100 CSV records 10 ms
// apart. At speed 2 they go out every 5 ms (0 .. 495 ms): a 1 s run sends all 100, a 248 ms
// run the 50 due at 0 .. 245 ms. At speed 0.5 (every 20 ms), a 999 ms run sends the 50 due
// at 0 .. 980 ms (a 1 s run would send 51: events at the end time are processed). Every
// request is a trace request, and the run is complete.
#[test]
fn timed_replay_follows_the_trace_times_scaled() {
    let dir = TempDir::new("timed");
    dir.write("requests.csv", csv_10ms_apart(100));
    for (speed, duration, expected) in
        [("2.0", "1s", 100), ("2", "248ms", 50), ("0.5", "999ms", 50)]
    {
        let workload =
            format!(r#"{{ trace = "requests.csv", csv = "{CSV_SPEC}", speed = {speed} }}"#);
        let outcome = run_in(&dir, &scenario_text(duration, 1, &workload), &[]);
        let what = format!("speed {speed}, {duration}");
        assert_eq!(counter(&outcome, "client.requests"), expected, "{what}");
        assert_eq!(
            counter(&outcome, "client.trace_requests"),
            expected,
            "{what}"
        );
        assert_eq!(counter(&outcome, "client.trace_errors"), 0, "{what}");
        assert_eq!(outcome.partial, None, "{what}");
    }
}

// Goal: oracleGeneral timestamps (whole seconds, often Unix time) are rebased to the first
// record and scaled too, and the default speed is 1. Method: 100 zstd records one second
// apart starting at Unix time 1.6e9; at speed 100 they are 10 ms apart, so a 248 ms run sends
// 25; at the default speed a 2.5 s run sends the 3 due at 0, 1 and 2 s.
#[test]
fn oracle_general_times_are_rebased_and_scaled() {
    let dir = TempDir::new("oracle");
    let records: Vec<(u64, u64)> = (0..100).map(|i| (1_600_000_000 + i, i)).collect();
    write_oracle(&dir, "t.oracleGeneral.zst", &records, Compression::Zstd);
    let fast = r#"{ trace = "t.oracleGeneral.zst", speed = 100 }"#;
    let outcome = run_in(&dir, &scenario_text("248ms", 1, fast), &[]);
    assert_eq!(counter(&outcome, "client.requests"), 25);
    let plain = r#"{ trace = "t.oracleGeneral.zst" }"#;
    let outcome = run_in(&dir, &scenario_text("2500ms", 1, plain), &[]);
    assert_eq!(counter(&outcome, "client.requests"), 3);
}

// Goal: speed = "max" is a closed loop: `concurrency` requests outstanding, the next record
// sent as each answer arrives. Method: a round trip is exactly 2 ms (500 us each way, 1 ms
// service), so in a 99 ms run one slot sends at 0, 2, ..., 98 ms: 50 requests, all but the
// last answered; four slots send 200. A 30-record trace runs out: exactly 30 are sent and
// answered, and the run ends normally.
#[test]
fn max_speed_sends_as_fast_as_answers_come() {
    let dir = TempDir::new("max");
    let records: Vec<(u64, u64)> = (0..1000).map(|i| (i, i)).collect();
    write_oracle(&dir, "long.oracleGeneral", &records, Compression::None);
    write_oracle(
        &dir,
        "short.oracleGeneral",
        &records[..30],
        Compression::None,
    );
    for (workload, expected, answered) in [
        (r#"{ trace = "long.oracleGeneral", speed = "max" }"#, 50, 49),
        (
            r#"{ trace = "long.oracleGeneral", speed = "max", concurrency = 4 }"#,
            200,
            196,
        ),
        (
            r#"{ trace = "short.oracleGeneral", speed = "max", concurrency = 4 }"#,
            30,
            30,
        ),
    ] {
        let outcome = run_in(&dir, &scenario_text("99ms", 1, workload), &[]);
        assert_eq!(counter(&outcome, "client.requests"), expected, "{workload}");
        assert_eq!(
            counter(&outcome, "client.responses.ok"),
            answered,
            "{workload}"
        );
        assert_eq!(outcome.partial, None, "{workload}");
    }
}

// Goal: N clients on one trace split it by position (client i takes positions p with
// p % N == i), together replaying it once, at the trace's times. Method: 100 records, three
// clients: 34, 33 and 33 requests, 100 in all; over 248 ms at speed 2 (records 0 .. 49) the
// split is 17, 17, 16.
#[test]
fn clients_split_the_trace_by_position() {
    let dir = TempDir::new("split");
    dir.write("requests.csv", csv_10ms_apart(100));
    let workload = format!(r#"{{ trace = "requests.csv", csv = "{CSV_SPEC}", speed = 2 }}"#);
    let outcome = run_in(&dir, &scenario_text("1s", 3, &workload), &[]);
    assert_eq!(counter(&outcome, "client.requests"), 100);
    let per_client: Vec<u64> = (0..3).map(|i| sent(&outcome, i)).collect();
    assert_eq!(per_client, [34, 33, 33]);
    let outcome = run_in(&dir, &scenario_text("248ms", 3, &workload), &[]);
    let per_client: Vec<u64> = (0..3).map(|i| sent(&outcome, i)).collect();
    assert_eq!(per_client, [17, 17, 16]);
}

// Goal: the trace's keys and operations are the requests' keys and operations. Method: keys
// routed `key mod 4` over four servers; 80 records with key = 2 (mod 4) and 20 with key = 1
// (mod 4) must reach servers[2] and servers[1] exactly; a CSV with every fourth record a
// `set` records 25 writes among 100 requests.
#[test]
fn trace_keys_and_operations_reach_the_servers() {
    let dir = TempDir::new("keys");
    let records: Vec<(u64, u64)> = (0..100)
        .map(|i| (i, if i % 5 == 0 { 4 * i + 1 } else { 4 * i + 2 }))
        .collect();
    write_oracle(&dir, "k.oracleGeneral", &records, Compression::None);
    let workload = r#"{ trace = "k.oracleGeneral", speed = "max", concurrency = 8 }"#;
    let outcome = run_in(&dir, &scenario_text("1s", 1, workload), &[]);
    let received: Vec<u64> = (1..5)
        .map(|i| outcome.sim.node_stats(NodeId(i)).received)
        .collect();
    assert_eq!(received, [0, 20, 80, 0]);

    dir.write("requests.csv", csv_10ms_apart(100));
    let workload = format!(r#"{{ trace = "requests.csv", csv = "{CSV_SPEC}", speed = 10 }}"#);
    let outcome = run_in(&dir, &scenario_text("1s", 1, &workload), &[]);
    let writes = outcome.sim.metrics().histogram_by_name("latency.write");
    let reads = outcome.sim.metrics().histogram_by_name("latency.read");
    assert_eq!(writes.map(|h| h.len()), Some(25));
    assert_eq!(reads.map(|h| h.len()), Some(75));
}

// Goal: a trace truncated part-way stops the client cleanly: the requests before the fault
// are sent and answered, the run goes on to its end, and the run is marked partial with the
// reader's byte offset. Method: 10 oracleGeneral records (240 bytes) plus 8 stray bytes, one
// second apart at speed 10 (sent at 0 .. 900 ms); the 11th read fails at byte offset 240.
#[test]
fn a_truncated_trace_marks_the_run_partial_and_keeps_results() {
    let dir = TempDir::new("truncated");
    let records: Vec<(u64, u64)> = (0..10).map(|i| (i, i)).collect();
    let mut bytes = Vec::new();
    write_oracle_general(
        &mut bytes,
        records.iter().map(|&(t, k)| TraceRecord {
            time_ns: t * 1_000_000_000,
            key: KeyId(k),
            size_bytes: 100,
            op: Op::Read,
            next_access_vtime: None,
        }),
        Compression::None,
    )
    .expect("write trace");
    bytes.extend_from_slice(&[0xAB; 8]);
    dir.write("cut.oracleGeneral", &bytes);
    let workload = r#"{ trace = "cut.oracleGeneral", speed = 10 }"#;
    let outcome = run_in(&dir, &scenario_text("2s", 1, workload), &[]);
    assert_eq!(counter(&outcome, "client.requests"), 10);
    assert_eq!(counter(&outcome, "client.responses.ok"), 10);
    assert_eq!(counter(&outcome, "client.trace_errors"), 1);
    let partial = outcome.partial.expect("the run is partial");
    assert!(
        partial.contains("clients[0] stopped replaying"),
        "{partial}"
    );
    assert!(partial.contains("at t=0.900000000s"), "{partial}");
    assert!(partial.contains("cut.oracleGeneral"), "{partial}");
    assert!(
        partial.contains("trace ends 8 bytes into the record at byte offset 240"),
        "{partial}"
    );
}

// Goal: with several clients on a broken trace each stops at the fault, and the reason names
// the first and counts the others. A bad CSV field is reported by line. Method: two clients,
// a CSV whose line 6 (record 4) has a key that is not a number.
#[test]
fn a_bad_csv_line_stops_every_client_and_names_the_line() {
    let dir = TempDir::new("badline");
    let mut text = csv_10ms_apart(10);
    text = text.replace("\n40,4,", "\n40,four,");
    dir.write("requests.csv", text);
    let workload = format!(r#"{{ trace = "requests.csv", csv = "{CSV_SPEC}", speed = 1 }}"#);
    let outcome = run_in(&dir, &scenario_text("1s", 2, &workload), &[]);
    assert_eq!(counter(&outcome, "client.requests"), 4);
    assert_eq!(counter(&outcome, "client.trace_errors"), 2);
    let partial = outcome.partial.expect("the run is partial");
    assert!(
        partial.contains("line 6: column key: \"four\""),
        "{partial}"
    );
    assert!(
        partial.contains("; 1 other client stopped on trace errors"),
        "{partial}"
    );
}

// Goal: a timed replay's clock keeps running while its client is down: records due then are
// skipped and counted, and the replay resumes on time. Method: 100 records 10 ms apart at
// speed 1; the client is down from 95 ms to 195 ms, so it sends 0 .. 90 ms (10), skips
// 100 .. 190 ms (10) and sends 200 .. 990 ms (80).
#[test]
fn a_crashed_client_skips_the_records_due_while_down() {
    let dir = TempDir::new("crash");
    dir.write("requests.csv", csv_10ms_apart(100));
    let workload = format!(r#"{{ trace = "requests.csv", csv = "{CSV_SPEC}" }}"#);
    let text = scenario_text("1s", 1, &workload)
        + "\n[[fault]]\nat = \"95ms\"\ncrash = \"clients[0]\"\nrestart_after = \"100ms\"\n";
    let outcome = run_in(&dir, &text, &[]);
    assert_eq!(counter(&outcome, "client.requests"), 90);
    assert_eq!(counter(&outcome, "client.trace_skipped"), 10);
}

// Goal: trace paths are relative to the scenario file's directory, also when `--set`
// overrides change the text. Method: load the scenario from its path by a relative
// reference from elsewhere, with an override, and replay.
#[test]
fn trace_paths_are_relative_to_the_scenario() {
    let dir = TempDir::new("relative");
    fs::create_dir_all(dir.0.join("traces")).expect("mkdir");
    let records: Vec<(u64, u64)> = (0..10).map(|i| (i, i)).collect();
    write_oracle(&dir, "traces/t.oracleGeneral", &records, Compression::None);
    let workload = r#"{ trace = "traces/t.oracleGeneral", speed = "max" }"#;
    let outcome = run_in(
        &dir,
        &scenario_text("2s", 1, workload),
        &["simulation.duration=\"1s\""],
    );
    assert_eq!(counter(&outcome, "client.requests"), 10);
}

// Goal: a trace that cannot be replayed fails at load time, pointing at `trace` (file, line
// and column) with the reason. Method: a CSV naming a column its header lacks, an empty
// trace, a file whose name gives no format, `csv` on an oracleGeneral trace, a bad `csv`
// item, a timed replay of a CSV read without times, and too many clients.
#[test]
fn unusable_traces_fail_at_load_time() {
    let dir = TempDir::new("load");
    dir.write("requests.csv", csv_10ms_apart(3));
    dir.write("empty.oracleGeneral", b"");
    dir.write("t.oracleGeneral", [0u8; 24]);
    let cases = [
        (
            r#"{ trace = "requests.csv", csv = "key=id,header" }"#,
            1,
            "the header has no column named \"id\"",
            "trace = ",
        ),
        (
            r#"{ trace = "empty.oracleGeneral" }"#,
            1,
            "empty.oracleGeneral has no records",
            "trace = ",
        ),
        (
            r#"{ trace = "requests.txt" }"#,
            1,
            "cannot tell the trace format",
            "trace = ",
        ),
        (
            r#"{ trace = "t.oracleGeneral", csv = "key=1" }"#,
            1,
            "`csv` applies to CSV traces",
            "csv = ",
        ),
        (
            r#"{ trace = "requests.csv", csv = "key=0" }"#,
            1,
            "invalid `workload`: invalid `csv` item \"key=0\": columns count from 1",
            "csv = ",
        ),
        (
            r#"{ trace = "requests.csv", csv = "key=2,header" }"#,
            1,
            "is read without a time column",
            "csv = ",
        ),
        (
            r#"{ trace = "t.oracleGeneral" }"#,
            65,
            "at most 64 nodes",
            "65",
        ),
    ];
    for (workload, clients, message, at) in cases {
        let error = load_error(&dir, &scenario_text("1s", clients, workload));
        assert!(error.contains(message), "{workload}:\n{error}");
        let text = scenario_text("1s", clients, workload);
        let (line, column) = locate(&text, at);
        let place = format!("replay.toml:{line}:{column}: ");
        assert!(error.contains(&place), "{workload}: want {place}\n{error}");
    }
}

/// 1-based line and column of the first `needle` in `text`.
fn locate(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).expect("needle in text");
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

// Goal: `distsim run` on a trace that breaks part-way exits 1, prints the trace error with
// its byte offset, and writes results.json marked partial. Method: run the binary on a
// truncated trace.
#[test]
fn distsim_run_reports_a_broken_trace_and_exits_1() {
    let dir = TempDir::new("cli");
    let records: Vec<(u64, u64)> = (0..10).map(|i| (i, i)).collect();
    write_oracle(&dir, "t.oracleGeneral", &records, Compression::None);
    let mut bytes = fs::read(dir.0.join("t.oracleGeneral")).expect("read trace");
    bytes.truncate(24 * 5 + 10);
    dir.write("t.oracleGeneral", &bytes);
    let workload = r#"{ trace = "t.oracleGeneral", speed = "max" }"#;
    dir.write("replay.toml", scenario_text("1s", 1, workload));
    let output = Command::new(env!("CARGO_BIN_EXE_distsim"))
        .args(["run", "replay.toml", "--out", "out"])
        .current_dir(&dir.0)
        .output()
        .expect("run distsim");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("record at byte offset 120 (oracleGeneral records are 24 bytes)"),
        "{stderr}"
    );
    let results = fs::read_to_string(dir.0.join("out/results.json")).expect("results.json");
    let results: serde_json::Value = serde_json::from_str(&results).expect("JSON");
    let partial = results["partial"].as_str().expect("partial is a string");
    assert!(partial.contains("byte offset 120"), "{partial}");
}
