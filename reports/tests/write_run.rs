//! End-to-end tests of `write_run` and friends on a hand-built run: a 60 s simulated service
//! with a warm-up, a partition, a slow node and a crash.
//!
//! Output goes under cargo's per-target scratch directory (`CARGO_TARGET_TMPDIR`), one
//! subdirectory per test, and is left there to look at after a run.

use std::fs;
use std::path::PathBuf;

use reports::{
    build_results, percentile_table, read_results, write_results, write_run, NodeLoad, ReportError,
    RunData, SCHEMA_VERSION,
};
use sim_core::{FaultRecord, Metrics, NodeStats, SimDuration, SimTime, Unit};

const SEC: u64 = 1_000_000_000;
const MS: u64 = 1_000_000;
/// 60 s run with 1 s windows: 60 CSV rows.
const RUN_NS: u64 = 60 * SEC;

/// A small deterministic generator (xorshift64*), so the fixture needs no RNG crate.
struct Draws(u64);

impl Draws {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        (bits as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A log-normal latency around `median_ns` (Box-Muller), with a rare 6x tail.
    fn latency(&mut self, median_ns: f64) -> u64 {
        let radius = (-2.0 * self.unit().ln()).sqrt();
        let normal = radius * (std::f64::consts::TAU * self.unit()).cos();
        let tail = if self.unit() < 0.005 { 6.0 } else { 1.0 };
        (median_ns * (0.45 * normal).exp() * tail) as u64
    }
}

/// The hand-built run: metrics, faults and nodes.
struct Fixture {
    metrics: Metrics,
    faults: Vec<FaultRecord>,
    nodes: Vec<NodeLoad>,
}

fn fixture(n_nodes: usize) -> Fixture {
    let mut metrics = Metrics::new();
    metrics.set_window(SimDuration::from_secs(1));
    let read = metrics.histogram("latency.read", Unit::Nanoseconds);
    let write = metrics.histogram("latency.write", Unit::Nanoseconds);
    let depth = metrics.histogram("queue.depth", Unit::Count);
    let size = metrics.histogram("message.size", Unit::Bytes);
    let hits = metrics.counter("cache.hits");
    let misses = metrics.counter("cache.misses");
    let mut draws = Draws(0x9e37_79b9_7f4a_7c15);
    let mut now = 0;
    while now < RUN_NS {
        let in_partition = (20 * SEC..30 * SEC).contains(&now);
        let slow = (45 * SEC..50 * SEC).contains(&now);
        let factor = if in_partition {
            6.0
        } else if slow {
            2.5
        } else {
            1.0
        };
        let t = SimTime(now);
        metrics.record(read, draws.latency(1.2 * MS as f64 * factor), t);
        if draws.unit() < 0.3 {
            metrics.record(write, draws.latency(4.0 * MS as f64 * factor), t);
        }
        metrics.record(depth, (draws.unit() * 20.0 * factor) as u64, t);
        metrics.record(size, 200 + (draws.unit() * 3_800.0) as u64, t);
        let hit = draws.unit() < 0.8;
        metrics.add(if hit { hits } else { misses }, 1, t);
        // Throughput halves during the partition.
        now += if in_partition { 4 * MS } else { 2 * MS };
    }
    let faults = vec![
        FaultRecord {
            time: SimTime(20 * SEC),
            end: Some(SimTime(30 * SEC)),
            kind: "partition",
            description: "cache[0..2] | cache[2..4], both ways".to_string(),
        },
        FaultRecord {
            time: SimTime(40 * SEC),
            end: None,
            kind: "crash",
            description: "cache[3] stops & drops its queue".to_string(),
        },
        FaultRecord {
            time: SimTime(45 * SEC),
            end: Some(SimTime(50 * SEC)),
            kind: "slow_node",
            description: "cache[1] x2.5 service time".to_string(),
        },
    ];
    let nodes = (0..n_nodes)
        .map(|idx| {
            let group = match idx % 8 {
                0 => "client",
                7 => "db",
                _ => "cache",
            };
            let skew = 1 + (idx as u64 * 7) % 5;
            NodeLoad {
                name: format!("{group}[{idx}]"),
                group: group.to_string(),
                stats: NodeStats {
                    up: idx != 3,
                    sent: 10_000 * skew,
                    received: 9_500 * skew + idx as u64 * 100,
                    work_completed: if group == "client" { 0 } else { 9_000 * skew },
                    busy_ns: 6 * SEC * skew,
                },
            }
        })
        .collect();
    Fixture {
        metrics,
        faults,
        nodes,
    }
}

fn run_data(fixture: &Fixture) -> RunData<'_> {
    RunData {
        findings: vec![],
        description: None,
        reproduce: "distsim run test.toml --seed 1".into(),
        scenario_name: "cache-partition".to_string(),
        scenario_file: "scenarios/cache-partition.toml".to_string(),
        scenario_hash: "3f2a9c0d5e7b1a48".to_string(),
        seed: 8127,
        distsim_version: "0.1.0".to_string(),
        sim_duration_ns: RUN_NS,
        warmup_ns: 5 * SEC,
        partial: None,
        events: 1_234_567,
        digest: 7,
        metrics: &fixture.metrics,
        faults: &fixture.faults,
        membership: vec![],
        nodes: fixture.nodes.clone(),
        percentiles: vec![99.99, 75.0, 99.0],
        plots: None,
        primary_latency: None,
        timeline_counters: Vec::new(),
    }
}

/// A fresh scratch directory for `test`.
fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("reports")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn read_text(path: &std::path::Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// Goal: one write_run produces every file, each well-formed: JSON with the schema's fields,
// a CSV with one row per window, SVG and PNG plots, and a self-contained HTML page.
#[test]
fn writes_every_file() {
    let fixture = fixture(8);
    let data = run_data(&fixture);
    let dir = scratch("writes_every_file");
    let written = write_run(&dir, &data).expect("writable scratch dir");

    for path in written.all() {
        let len = fs::metadata(path).expect("written").len();
        assert!(len > 0, "{} is empty", path.display());
    }
    let names: Vec<_> = written.plots.iter().map(|p| p.name.as_str()).collect();
    // `counts` too: the fixture's queue depth is a histogram of plain counts.
    assert_eq!(names, ["latency_cdf", "timeline", "node_load", "counts"]);

    let json: serde_json::Value =
        serde_json::from_str(&read_text(&written.results_json)).expect("valid json");
    for key in [
        "schema_version",
        "scenario",
        "scenario_file",
        "scenario_hash",
        "seed",
        "distsim_version",
        "sim_duration_ns",
        "warmup_ns",
        "partial",
        "events",
        "metrics",
        "counters",
        "faults",
        "groups",
        "nodes",
    ] {
        assert!(json.get(key).is_some(), "results.json lacks {key}");
    }
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["seed"], 8127);
    assert!(json["partial"].is_null());
    let read = &json["metrics"]["latency.read"];
    for key in [
        "count", "mean", "min", "p50", "p90", "p99", "p999", "max", "unit", "p99.99", "p75",
    ] {
        assert!(read.get(key).is_some(), "latency.read lacks {key}");
    }
    assert_eq!(read["unit"], "ns");
    assert!(
        read.get("p99.0").is_none(),
        "a standard percentile is not repeated"
    );
    assert_eq!(json["faults"][1]["kind"], "crash");
    assert!(json["faults"][1]["end_ns"].is_null());
    assert_eq!(json["groups"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["nodes"].as_array().map(Vec::len), Some(8));

    let csv = read_text(&written.timeseries_csv);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 60, "a header and one row per window");
    let header = lines[0];
    assert!(
        header.starts_with("window_start_s,window_end_s,cache.hits,cache.misses,"),
        "{header}"
    );
    assert!(header.contains(",latency.read.count,latency.read.p50_ns,latency.read.p99_ns"));
    assert!(header.contains(",message.size.p50_bytes,"));
    assert!(header.contains(",queue.depth.p50,"));
    let n_columns = header.split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == n_columns));
    assert!(lines[1].starts_with("0,1,"), "{}", lines[1]);
    assert!(lines[60].starts_with("59,60,"), "{}", lines[60]);

    for plot in &written.plots {
        assert!(read_text(&plot.svg).contains("<svg"), "{}", plot.name);
        let png = fs::read(&plot.png).expect("written");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", plot.name);
    }

    let html = read_text(&written.report_html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.matches("<svg").count(),
        written.plots.len(),
        "every plot is inline"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external references"
    );
    assert!(!html.contains("<script"), "no scripts");
    for text in [
        "cache-partition",
        "8127",
        "3f2a9c0d5e7b1a48",
        "latency.read",
        "slow_node",
        "cache[3] stops &amp; drops its queue",
        "cache.hits",
        "p99.99",
    ] {
        assert!(html.contains(text), "report.html lacks {text:?}");
    }
    assert!(
        !html.contains("Partial run"),
        "complete runs carry no warning"
    );

    let leftovers: Vec<_> = fs::read_dir(&dir)
        .expect("exists")
        .map(|e| {
            e.expect("readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

// Goal: the same run written twice gives byte-identical files, every one of them.
#[test]
fn writing_twice_is_byte_identical() {
    let fixture = fixture(8);
    let data = run_data(&fixture);
    let first = write_run(&scratch("identical_a"), &data).expect("writable");
    let second = write_run(&scratch("identical_b"), &data).expect("writable");
    for (a, b) in first.all().into_iter().zip(second.all()) {
        let name = a.file_name().expect("a file");
        assert_eq!(
            fs::read(a).expect("written"),
            fs::read(b).expect("written"),
            "{name:?} differs"
        );
    }
}

// Goal: results.json read back equals what was written, and its keys are sorted at the top
// level (checked on the text, which is what a diff sees).
#[test]
fn results_round_trip() {
    let fixture = fixture(8);
    let data = run_data(&fixture);
    let results = build_results(&data).expect("valid data");
    let mut bytes = Vec::new();
    write_results(&mut bytes, &results).expect("in memory");
    let back = read_results(bytes.as_slice()).expect("just written");
    assert_eq!(back, results);
    assert_eq!(back.schema_version, SCHEMA_VERSION);
    assert_eq!(back.metrics["latency.read"].extra_percentiles.len(), 2);

    assert!(
        bytes == reports::sorted_results_json(&results).expect("in memory"),
        "streamed keys out of sorted order"
    );
    let text = String::from_utf8(bytes).expect("utf-8");
    let top_keys: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  \"")?.split('"').next())
        .collect();
    let mut sorted = top_keys.clone();
    sorted.sort_unstable();
    assert_eq!(top_keys, sorted);
    assert!(text.ends_with("}\n"));
}

#[track_caller]
fn check_error(result: Result<impl std::fmt::Debug, ReportError>, expected: &str) {
    let message = result.expect_err("must fail").to_string();
    assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    assert!(
        !message.ends_with('.'),
        "messages have no final full stop: {message:?}"
    );
}

// Goal: each operating error has a clear lowercase message naming what was wrong.
#[test]
fn errors_name_the_problem() {
    let fixture = fixture(8);
    let dir = scratch("errors");

    let mut data = run_data(&fixture);
    data.percentiles = vec![99.99, 101.0];
    check_error(write_run(&dir, &data), "percentile 101 is out of range");
    data.percentiles = vec![f64::NAN];
    check_error(build_results(&data), "percentile NaN is out of range");

    let mut data = run_data(&fixture);
    data.primary_latency = Some("latency.scan".to_string());
    check_error(
        write_run(&dir, &data),
        "primary latency metric \"latency.scan\" is not a recorded histogram (histograms: \
         latency.read, latency.write, message.size, queue.depth)",
    );
    assert!(!dir.exists(), "nothing is written when validation fails");

    check_error(
        read_results("{\"schema_version\": 2}".as_bytes()),
        "schema_version 2",
    );
    check_error(
        read_results("{\"schema_version\": 1}".as_bytes()),
        "missing field",
    );
    check_error(read_results("not json".as_bytes()), "invalid results file");

    let blocker = scratch("errors_blocker");
    fs::create_dir_all(blocker.parent().expect("has parent")).expect("writable");
    fs::write(&blocker, "a file, not a directory").expect("writable");
    check_error(
        write_run(&blocker.join("out"), &run_data(&fixture)),
        "cannot write",
    );
}

// Goal: a large cluster is plotted per group, an explicit primary metric is honoured, and a
// partial run is flagged in the HTML.
#[test]
fn large_partial_run() {
    let fixture = fixture(200);
    let mut data = run_data(&fixture);
    data.partial = Some("max_events reached at t=42.5s".to_string());
    data.primary_latency = Some("latency.write".to_string());
    let written = write_run(&scratch("large_partial_run"), &data).expect("writable");
    let html = read_text(&written.report_html);
    assert!(html.contains("Partial run"));
    assert!(html.contains("max_events reached at t=42.5s"));
    let load_svg = read_text(&written.plots[2].svg);
    assert!(
        load_svg.contains("Load per group"),
        "200 nodes are aggregated by group"
    );
    let timeline_svg = read_text(&written.plots[1].svg);
    assert!(timeline_svg.contains("latency.write"));
    let json =
        read_results(fs::File::open(&written.results_json).expect("written")).expect("valid");
    assert_eq!(
        json.partial.as_deref(),
        Some("max_events reached at t=42.5s")
    );
    assert_eq!(json.groups.iter().map(|g| g.nodes).sum::<u64>(), 200);
}

// Goal: a run with nothing recorded (no windows, histograms, faults or nodes) still writes
// every file, with placeholder plots instead of errors.
#[test]
fn empty_run_writes_placeholders() {
    let metrics = Metrics::new();
    let data = RunData {
        findings: vec![],
        description: None,
        reproduce: "distsim run test.toml --seed 1".into(),
        scenario_name: "empty".to_string(),
        scenario_file: "empty.toml".to_string(),
        scenario_hash: "00".to_string(),
        seed: 1,
        distsim_version: "0.1.0".to_string(),
        sim_duration_ns: 0,
        warmup_ns: 0,
        partial: None,
        events: 0,
        digest: 7,
        metrics: &metrics,
        faults: &[],
        membership: vec![],
        nodes: Vec::new(),
        percentiles: Vec::new(),
        plots: None,
        primary_latency: None,
        timeline_counters: Vec::new(),
    };
    let written = write_run(&scratch("empty_run"), &data).expect("writable");
    let csv = read_text(&written.timeseries_csv);
    assert_eq!(csv.lines().count(), 1, "header only: {csv}");
    for plot in &written.plots {
        assert!(read_text(&plot.svg).contains("<svg"));
    }
    let results =
        read_results(fs::File::open(&written.results_json).expect("written")).expect("valid");
    assert!(results.metrics.is_empty());
    assert_eq!(results.counters["net.sent"], 0);
}

// Goal: the terminal table lists every histogram with human units and aligned columns.
#[test]
fn percentile_table_is_compact_and_human() {
    let fixture = fixture(8);
    let mut data = run_data(&fixture);
    data.percentiles.push(250.0); // Invalid: left out of the table, not a panic.
    let table = percentile_table(&data);
    println!("{table}"); // Shown with --nocapture, to eyeball the layout.
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["metric", "count", "p50", "p75", "p90", "p99", "p99.9", "p99.99", "max"]
    );
    assert!(lines[1].starts_with("latency.read "), "{table}");
    assert!(lines[1].contains("ms"), "{table}");
    assert!(lines[2].starts_with("latency.write "), "{table}");
    assert!(
        lines[3].starts_with("message.size ") && lines[3].contains("KiB"),
        "{table}"
    );
    let widths: Vec<usize> = lines.iter().map(|l| l.len()).collect();
    assert!(widths.iter().all(|w| *w == widths[0]), "aligned: {table}");
}

// Goal: up to 64 nodes get a bar each, labelled with every node's name (rotated when names
// are wider than their bars).
#[test]
fn many_nodes_get_a_bar_each() {
    let fixture = fixture(48);
    let data = run_data(&fixture);
    let written = write_run(&scratch("many_nodes"), &data).expect("writable");
    let load_svg = read_text(&written.plots[2].svg);
    assert!(load_svg.contains("Load per node"));
    assert!(load_svg.contains("client[0]") && load_svg.contains("db[47]"));
    assert!(
        load_svg.contains("rotate("),
        "48 labels do not fit side by side"
    );
}

// Goal: `plots` selects which figures are drawn; the others are neither written nor shown.
#[test]
fn plot_selection_draws_only_the_chosen_plots() {
    let fixture = fixture(4);
    let mut data = run_data(&fixture);
    data.plots = Some(vec!["timeline".to_string()]);
    let dir = scratch("plot_selection");
    let written = write_run(&dir, &data).expect("writes");
    let names: Vec<&str> = written.plots.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["timeline"]);
    assert!(dir.join("timeline.svg").exists());
    assert!(!dir.join("latency_cdf.svg").exists());
    assert!(!dir.join("node_load.png").exists());
    let html = read_text(&written.report_html);
    assert!(
        !html.contains("Latency percentile spectrum"),
        "only the chosen plot is shown"
    );
}
