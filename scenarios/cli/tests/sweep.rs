//! `distsim sweep` and `distsim merge` through the binary: determinism across thread counts,
//! sharded-then-merged equals unsharded, resume after a killed sweep, and failures that do not
//! stop the other runs.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{assert_exit, distsim, distsim_with, TempDir};

const SCENARIO: &str = r#"
[simulation]
name = "sweepy"
seed = 5
duration = "500ms"

[[group]]
name = "clients"
count = 1
role = "client"
target = "servers"
workload = { rate = "400/s", keys = { dist = "uniform", n = 1000 } }

[[group]]
name = "servers"
count = 1
role = "server"
service = { workers = 1, time = { dist = "exp", mean = "1ms" } }

[sweep]
replications = 3
vary = [
  { path = "group.servers.service.workers", values = [1, 2] },
  { path = "group.clients.workload.rate", values = ["200/s", "400/s", "600/s"] },
]
"#;

/// A temporary directory holding the sweep scenario as `s.toml`.
fn sweep_dir(label: &str) -> TempDir {
    let dir = TempDir::new(label);
    dir.write("s.toml", SCENARIO);
    dir
}

/// Runs `distsim args` in `dir`, with RAYON_NUM_THREADS set when `threads` is given.
fn run_in(dir: &Path, args: &[&str], threads: Option<&str>) -> Output {
    match threads {
        Some(threads) => distsim_with(dir, args, &[("RAYON_NUM_THREADS", threads)]),
        None => distsim(dir, args),
    }
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

// Goal: a sweep gives byte-identical summaries with 1 and 2 threads, and its summary has one
// entry per variant with a confidence interval over the 3 replications. Method: run the
// 2 x 3 grid twice with RAYON_NUM_THREADS=1 and =2 and compare sweep.json and sweep.csv.
#[test]
fn sweeps_are_identical_at_any_thread_count() {
    let dir = sweep_dir("threads");
    for (threads, out) in [("1", "one"), ("2", "two")] {
        let output = run_in(
            &dir.0,
            &["sweep", "s.toml", "--out", out, "--quiet"],
            Some(threads),
        );
        assert_exit(&output, 0);
    }
    let (one, two) = (dir.0.join("one"), dir.0.join("two"));
    assert_eq!(read(&one, "sweep.json"), read(&two, "sweep.json"));
    assert_eq!(read(&one, "sweep.csv"), read(&two, "sweep.csv"));
    let sweep: serde_json::Value = serde_json::from_slice(&read(&one, "sweep.json")).unwrap();
    let variants = sweep["variants"].as_array().expect("variants");
    assert_eq!(variants.len(), 6);
    let p99 = &variants[0]["metrics"]["latency.all.p99"];
    assert_eq!(p99["n"], 3);
    assert!(p99["ci95_half_width"].as_f64().expect("three runs") > 0.0);
    assert_eq!(variants[5]["label"], "2, 600/s");
    assert!(one.join("sweep.html").is_file());
}

// Goal: running the sweep in shards and merging them gives the same bytes as one sweep,
// including a scenario's own primary histogram and table order. Method: the sweep scenario
// with `[report] timeline_metric = "latency.read"` and `[sweep] sort_by`; --shard 1/2 and 2/2
// into two directories, merge into a third, compare sweep.json, sweep.csv and sweep.html and
// the terminal table with an unsharded run; a shard alone writes no summary.
#[test]
fn sharded_then_merged_equals_unsharded() {
    let dir = sweep_dir("shards");
    let scenario = SCENARIO.replace(
        "[sweep]\n",
        "[report]\ntimeline_metric = \"latency.read\"\n\n[sweep]\nsort_by = \"latency.read.mean\"\n",
    );
    assert_ne!(scenario, SCENARIO);
    dir.write("s.toml", &scenario);
    // The table a command printed (every line but the closing "runs now" line).
    let table = |output: &Output| {
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        lines[..lines.len() - 1].join("\n")
    };
    let whole = run_in(&dir.0, &["sweep", "s.toml", "--out", "all"], None);
    assert_exit(&whole, 0);
    assert!(
        table(&whole).contains("latency.read.mean"),
        "{}",
        table(&whole)
    );
    for k in ["1/2", "2/2"] {
        let out = format!("shard{}", &k[..1]);
        let output = run_in(
            &dir.0,
            &["sweep", "s.toml", "--shard", k, "--out", &out, "-q"],
            None,
        );
        assert_exit(&output, 0);
        assert!(
            !dir.0.join(&out).join("sweep.json").exists(),
            "a shard has no summary"
        );
    }
    let output = run_in(
        &dir.0,
        &["merge", "shard1", "shard2", "--out", "merged"],
        None,
    );
    assert_exit(&output, 0);
    assert_eq!(table(&whole), table(&output), "the terminal table");
    let (all, merged) = (dir.0.join("all"), dir.0.join("merged"));
    for name in ["sweep.json", "sweep.csv", "sweep.html"] {
        assert_eq!(read(&all, name), read(&merged, name), "{name}");
    }
    // One shard alone is an incomplete sweep: merged, it reports the missing runs.
    let output = run_in(&dir.0, &["merge", "shard1", "--out", "half", "-q"], None);
    assert_exit(&output, 1);
}

// Goal: a sweep killed part-way resumes: complete runs are skipped, a damaged results file is
// not trusted, and the result equals an uninterrupted sweep. Method: start a sweep of 120
// runs of 4 simulated seconds on one thread, kill it once a few runs exist (well before the
// end), damage one finished run's results, resume, and compare sweep.json with an
// uninterrupted sweep.
#[test]
fn a_killed_sweep_resumes() {
    let dir = sweep_dir("resume");
    // The sweep every invocation below runs, writing into `out`, plus `extra` flags.
    let sweep = |out: &'static str, extra: &'static str| {
        let mut args = vec![
            "sweep",
            "s.toml",
            "--replications",
            "20",
            "--set",
            "simulation.duration=\"4s\"",
            "--out",
            out,
        ];
        args.push(extra);
        args
    };
    let args = sweep("cut", "-q");
    let mut child = Command::new(env!("CARGO_BIN_EXE_distsim"))
        .args(args)
        .current_dir(&dir.0)
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let runs = dir.0.join("cut/runs");
    let finished = || fs::read_dir(&runs).map(|d| d.count()).unwrap_or(0);
    for _ in 0..600 {
        if finished() >= 3 || child.try_wait().expect("waits").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().ok();
    child.wait().expect("reaped");
    let done_before = finished();
    assert!(done_before >= 1, "some runs finished before the kill");
    assert!(
        done_before < 120,
        "the kill came before the end ({done_before} runs)"
    );
    let first = runs.join("v0000-r00/results.json");
    fs::write(&first, "{ damaged").expect("damage");
    let output = run_in(&dir.0, &sweep("cut", "--resume"), None);
    assert_exit(&output, 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("already complete"), "{stdout}");
    assert_exit(&run_in(&dir.0, &sweep("whole", "-q"), None), 0);
    assert_eq!(
        read(&dir.0.join("cut"), "sweep.json"),
        read(&dir.0.join("whole"), "sweep.json")
    );
}

// Goal: a variant that fails does not stop the others: they are summarised, the failure names
// the variant and its seeds, and the sweep exits 1. An unknown path fails every variant: exit
// 2 with a did-you-mean. Method: vary workers over 1 and 0 (0 is invalid), then a misspelt path.
#[test]
fn failures_are_reported_and_do_not_stop_the_sweep() {
    let dir = sweep_dir("fail");
    let output = run_in(
        &dir.0,
        &[
            "sweep",
            "s.toml",
            "--vary",
            "group.servers.service.workers=1,0",
            "--out",
            "f",
        ],
        None,
    );
    assert_exit(&output, 1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("variant 3 replication 0 (seed"), "{stderr}");
    let sweep: serde_json::Value =
        serde_json::from_slice(&read(&dir.0.join("f"), "sweep.json")).unwrap();
    assert_eq!(sweep["failures"].as_array().expect("failures").len(), 9);
    assert_eq!(
        sweep["variants"][0]["runs"].as_array().expect("runs").len(),
        3
    );

    let output = run_in(
        &dir.0,
        &[
            "sweep",
            "s.toml",
            "--vary",
            "group.servers.service.wokers=1,2",
            "--out",
            "g",
        ],
        None,
    );
    assert_exit(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("workers"), "{stderr}");
    for bad in [["--shard", "3/2"], ["--replications", "0"]] {
        let mut args = vec!["sweep", "s.toml"];
        args.extend_from_slice(&bad);
        assert_exit(&run_in(&dir.0, &args, None), 2);
    }
}

// Goal: `sweep --check-determinism` runs the plan at one thread and at several, finds every
// run's results equal, writes no summary, and exits 0.
#[test]
fn a_sweep_checks_its_own_determinism() {
    let dir = sweep_dir("sweep-determinism");
    let output = run_in(
        &dir.0,
        &[
            "sweep",
            "s.toml",
            "--check-determinism",
            "--replications",
            "1",
            "--out",
            "o",
        ],
        None,
    );
    assert_exit(&output, 0);
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("deterministic"), "{out}");
    assert!(out.contains("all 6 runs"), "{out}");
    assert!(
        dir.0.join("o/determinism/threads-1").is_dir(),
        "each thread count writes its runs"
    );
    assert!(!dir.0.join("o/sweep.json").exists());
}

// Goal: the gossip and failure-detector examples are as deterministic as the rest: the
// shipped broadcast sweep (three overlays), a push-pull group with random phases and a crash
// process (two fanouts, two replications), and the shipped failure-detector sweep (every
// detector at several settings, 5 % loss, a crash process; shortened to 2 simulated
// minutes), the shipped metastable retry storm (five resilience policies, jittered
// backoffs drawn per client), the shipped rate-limit tiers (every window algorithm, one
// proxy and four), the shipped hedging grid (shortened to 10 s) and the shipped backoff
// and jitter comparison give byte-identical sweep.json with 1 and 2 threads.
#[test]
fn gossip_membership_and_resilience_sweeps_are_identical_at_any_thread_count() {
    let example = |name: &str| {
        fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../examples")
                .join(name),
        )
        .expect("the shipped example")
    };
    let broadcast = example("broadcast-topologies.toml");
    let detectors = example("failure-detectors.toml");
    let metastable = example("metastable-retry-storm.toml");
    let tiers = example("rate-limit-tiers.toml");
    let hedging = example("hedging.toml");
    let jitter = example("backoff-jitter.toml");
    let epidemic = r#"
[simulation]
name = "epidemic"
seed = 3
duration = "15s"

[network]
latency = { dist = "lognormal", median = "20ms", sigma = 0.5 }

[[group]]
name = "peers"
count = 300
role = "gossip"
mode = "push-pull"
period = "500ms"
stop = { rounds = 10 }
rumours = { count = 5, every = "2s" }

[[fault_process]]
nodes = "peers"
mtbf = "20s"
mttr = "3s"

[sweep]
replications = 2
vary = [{ path = "group.peers.fanout", values = [1, 2] }]
"#;
    for (label, text, set) in [
        (
            "broadcast",
            broadcast.as_str(),
            "simulation.duration=\"3s\"",
        ),
        ("epidemic", epidemic, "simulation.seed=3"),
        (
            "detectors",
            detectors.as_str(),
            "simulation.duration=\"2m\"",
        ),
        (
            "metastable",
            metastable.as_str(),
            "simulation.duration=\"2m\"",
        ),
        ("tiers", tiers.as_str(), "simulation.seed=1"),
        ("hedging", hedging.as_str(), "simulation.duration=\"10s\""),
        ("jitter", jitter.as_str(), "simulation.seed=1"),
    ] {
        let dir = TempDir::new(label);
        dir.write("s.toml", text);
        for (threads, out) in [("1", "one"), ("2", "two")] {
            let output = run_in(
                &dir.0,
                &["sweep", "s.toml", "--out", out, "--quiet", "--set", set],
                Some(threads),
            );
            assert_exit(&output, 0);
        }
        let (one, two) = (dir.0.join("one"), dir.0.join("two"));
        assert_eq!(
            read(&one, "sweep.json"),
            read(&two, "sweep.json"),
            "{label}: sweep.json differs between 1 and 2 threads"
        );
        if label == "detectors" {
            assert!(
                one.join("sweep_tradeoff.png").exists(),
                "the trade-off plot is drawn"
            );
        }
    }
}
