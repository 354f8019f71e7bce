//! The `distsim` binary, end to end: exit codes, messages, outputs and reproducibility.
//!
//! Goal: what a user sees at the command line. Exit codes are 0 for success, 2 for invalid
//! input (a bad scenario, path, flag or `--set`) and 1 for a run that failed or stopped early;
//! invalid input never panics or prints a backtrace; the same scenario and seed give
//! byte-identical outputs. Method: run the built binary on tiny scenarios (a few hundred
//! simulated milliseconds, well under a second in a debug build) in fresh temporary
//! directories, and inspect its exit code, stdout, stderr and files.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{assert_exit, assert_invalid, distsim, stderr, stdout, TempDir, TINY};

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests/bad")
}

/// Every `.toml` under `dir`, recursively, sorted.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files.extend(toml_files(&path));
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

// Goal: `distsim list` names the roles, distributions and fault kinds a scenario can use.
#[test]
fn list_shows_what_a_scenario_can_use() {
    let dir = TempDir::new("list");
    let output = distsim(&dir.0, &["list"]);
    assert_exit(&output, 0);
    let out = stdout(&output);
    for name in ["client", "server", "exponential", "lognormal", "zipf"] {
        assert!(out.contains(&format!("  {name} ")), "no {name} in:\n{out}");
    }
    for key in scenarios::Registries::builtin().fault_kinds.names() {
        assert!(out.contains(&format!("  {key} ")), "no {key} in:\n{out}");
    }
}

// Goal: every shipped example is valid.
#[test]
fn validate_accepts_every_example() {
    let dir = TempDir::new("examples");
    let examples = toml_files(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("examples"),
    );
    assert!(!examples.is_empty());
    for example in examples {
        let output = distsim(&dir.0, &["validate", example.to_str().expect("utf-8 path")]);
        assert_exit(&output, 0);
        assert!(stdout(&output).contains("valid"), "{}", stdout(&output));
    }
}

// Goal: `validate` on a bad file exits 2 with the diagnostic (file, line, help).
#[test]
fn validate_refuses_a_bad_file_with_its_message() {
    let dir = TempDir::new("bad");
    let bad = bad_dir().join("unknown-role.toml");
    let output = distsim(&dir.0, &["validate", bad.to_str().expect("utf-8 path")]);
    assert_invalid(&output, "unknown-role.toml:10:8: unknown role \"sever\"");
    assert!(stderr(&output).contains("= help: did you mean `server`?"));
    assert_eq!(stdout(&output), "");
}

// Goal: no file in the bad corpus makes the binary panic; each is a clean exit 2, for both
// `validate` and `run`.
#[test]
fn every_bad_file_is_a_clean_exit_2() {
    let dir = TempDir::new("corpus");
    for bad in toml_files(&bad_dir()) {
        let path = bad.to_str().expect("utf-8 path");
        assert_invalid(&distsim(&dir.0, &["validate", path]), "");
        assert_invalid(&distsim(&dir.0, &["run", path, "--out", "out"]), "");
    }
    assert!(!dir.0.join("out").exists(), "a bad scenario wrote results");
}

// Goal: unreadable paths are invalid input with a clear message.
#[test]
fn unreadable_paths_exit_2() {
    let dir = TempDir::new("paths");
    let output = distsim(&dir.0, &["run", "no-such-scenario.toml"]);
    assert_invalid(
        &output,
        "cannot read scenario \"no-such-scenario.toml\": No such file",
    );
    let output = distsim(&dir.0, &["validate", "."]);
    assert_invalid(&output, "cannot read scenario \".\"");
}

// Goal: malformed or dangling `--set` overrides and bad flags are invalid input.
#[test]
fn bad_overrides_and_flags_exit_2() {
    let dir = TempDir::new("set");
    dir.write("tiny.toml", TINY);
    for (args, message) in [
        (
            &["run", "tiny.toml", "--set", "groupcount"][..],
            "invalid --set \"groupcount\": expected path=value",
        ),
        (
            &["run", "tiny.toml", "--set", "group.srvers.count=3"][..],
            "no `group` entry called \"srvers\" (did you mean `servers`?)",
        ),
        (
            &["validate", "tiny.toml", "--set", "group.servers.count=0"][..],
            "tiny.toml (with --set):",
        ),
        (
            &["run", "tiny.toml", "--seed", "notanumber"][..],
            "--seed takes a whole number >= 0 or `random`, got \"notanumber\"",
        ),
        (&["frobnicate"][..], "unrecognized subcommand"),
    ] {
        assert_invalid(&distsim(&dir.0, args), message);
    }
}

// Goal: a scenario without a seed does not run without `--seed`, and says how to give one.
#[test]
fn a_missing_seed_exits_2() {
    let dir = TempDir::new("noseed");
    dir.write("noseed.toml", &TINY.replace("seed = 3\n", ""));
    let output = distsim(&dir.0, &["run", "noseed.toml", "--out", "out"]);
    assert_invalid(
        &output,
        "no seed: add `seed = N` to [simulation], or pass --seed N (or --seed random)",
    );
    assert!(!dir.0.join("out").exists());
    // The same file is valid: the seed is a run-time choice.
    assert_exit(&distsim(&dir.0, &["validate", "noseed.toml"]), 0);
}

// Goal: `--seed random` picks a seed, prints it with the way to reproduce the run, and the
// results record it.
#[test]
fn a_random_seed_is_printed_and_recorded() {
    let dir = TempDir::new("random");
    dir.write("noseed.toml", &TINY.replace("seed = 3\n", ""));
    let output = distsim(
        &dir.0,
        &["run", "noseed.toml", "--seed", "random", "--out", "out"],
    );
    assert_exit(&output, 0);
    let err = stderr(&output);
    let seed = err
        .lines()
        .find_map(|line| line.strip_prefix("seed: "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no seed line in:\n{err}"));
    assert!(
        err.contains(&format!("reproduce with --seed {seed}")),
        "{err}"
    );
    let results = fs::read_to_string(dir.0.join("out/results.json")).expect("results.json");
    assert!(
        results.contains(&format!("\"seed\": {seed}")),
        "seed {seed} not in results.json"
    );
}

// Goal: the same scenario and seed give byte-identical results, timeline CSV and report,
// whichever directory they are written to.
#[test]
fn runs_are_reproducible_byte_for_byte() {
    let dir = TempDir::new("determinism");
    dir.write("tiny.toml", TINY);
    for out in ["first", "second"] {
        let output = distsim(&dir.0, &["run", "tiny.toml", "--out", out]);
        assert_exit(&output, 0);
    }
    for file in ["results.json", "timeseries.csv", "report.html"] {
        let first = fs::read(dir.0.join("first").join(file)).expect("first run's file");
        let second = fs::read(dir.0.join("second").join(file)).expect("second run's file");
        assert!(!first.is_empty(), "{file} is empty");
        assert!(first == second, "{file} differs between two identical runs");
    }
    // A different seed is a different run (the comparison above is not vacuous).
    let output = distsim(
        &dir.0,
        &["run", "tiny.toml", "--out", "third", "--seed", "4"],
    );
    assert_exit(&output, 0);
    let first = fs::read(dir.0.join("first/results.json")).expect("first results");
    let third = fs::read(dir.0.join("third/results.json")).expect("third results");
    assert!(first != third);
}

// Goal: a run stopped by a guard exits 1, says why and how to reproduce it, and still writes
// its results, marked partial.
#[test]
fn a_guard_stops_the_run_and_keeps_partial_results() {
    let dir = TempDir::new("guard");
    dir.write("tiny.toml", TINY);
    let output = distsim(
        &dir.0,
        &[
            "run",
            "tiny.toml",
            "--out",
            "out",
            "--set",
            "simulation.max_events=100",
        ],
    );
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(err.contains("error: the results are partial"), "{err}");
    assert!(err.contains("max_events"), "{err}");
    assert!(
        err.contains("partial results (marked partial) are in out"),
        "{err}"
    );
    assert!(
        err.contains(
            "reproduce with: distsim run tiny.toml --seed 3 --set simulation.max_events=100\n"
        ),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let results = fs::read_to_string(dir.0.join("out/results.json")).expect("results.json");
    let partial = results
        .lines()
        .find(|line| line.trim_start().starts_with("\"partial\":"))
        .expect("a partial field");
    assert!(!partial.contains("null"), "{partial}");
    assert!(partial.contains("max_events"), "{partial}");
    assert!(dir.0.join("out/report.html").exists());
}

// Goal: `--trace` writes one JSON object per processed event; `--quiet` keeps stdout empty
// and `--out` decides where the results go.
#[test]
fn trace_quiet_and_out() {
    let dir = TempDir::new("trace");
    dir.write("tiny.toml", TINY);
    let output = distsim(
        &dir.0,
        &[
            "run",
            "tiny.toml",
            "--quiet",
            "--trace",
            "trace.jsonl",
            "--out",
            "elsewhere/results",
        ],
    );
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output), "");
    let trace = fs::read_to_string(dir.0.join("trace.jsonl")).expect("the trace");
    let lines: Vec<&str> = trace.lines().collect();
    assert!(lines.len() > 100, "only {} trace lines", lines.len());
    for line in &lines {
        assert!(
            line.starts_with("{\"t_ns\":") && line.ends_with('}'),
            "{line}"
        );
    }
    assert!(dir.0.join("elsewhere/results/results.json").exists());
    assert!(!dir.0.join("out").exists(), "--out was ignored");
    // `distsim trace` follows one node: every record it keeps names it, and it says how many
    // of how many it kept.
    let output = distsim(&dir.0, &["trace", "trace.jsonl", "--node", "servers[1]"]);
    assert_exit(&output, 0);
    let kept = stdout(&output);
    assert!(kept.lines().count() > 10, "{kept}");
    assert!(kept.lines().all(|l| l.contains("\"servers[1]\"")), "{kept}");
    assert_eq!(
        stderr(&output),
        format!("{} of {} records kept\n", kept.lines().count(), lines.len())
    );
    // A scenario file is not a trace: exit 2, naming the line.
    let output = distsim(&dir.0, &["trace", "tiny.toml"]);
    assert_invalid(&output, "tiny.toml: line 1: not a trace record");
    // A trace cut off mid-record (a run killed while tracing) says so.
    dir.write("cut.jsonl", &trace[..trace.len() - 30]);
    let output = distsim(&dir.0, &["trace", "cut.jsonl"]);
    assert_invalid(&output, "the trace ends mid-record");
    let output = distsim(&dir.0, &["trace", "trace.jsonl", "--from", "soon"]);
    assert_invalid(&output, "--from \"soon\"");
    // Without --quiet the same run prints its percentile table on stdout.
    let output = distsim(&dir.0, &["run", "tiny.toml", "--out", "loud"]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("latency.read"),
        "{}",
        stdout(&output)
    );
}

// Goal: the wall-time guard stops a run the same way: exit 1, the reason, partial results.
// Method: a 1 ns limit is exceeded by the first progress check (every 65 536 events), so the
// scenario only needs more events than that: 2 clients at 20k/s for 1 s, ~4 events a request.
#[test]
fn the_wall_time_guard_stops_the_run() {
    let dir = TempDir::new("wall");
    let text = TINY
        .replace("\"300ms\"", "\"1s\"\nmax_wall_time = \"1ns\"")
        .replace("\"200/s\"", "\"20k/s\"")
        .replace(
            "count = 2\nrole = \"server\"",
            "count = 8\nrole = \"server\"",
        );
    dir.write("busy.toml", &text);
    let output = distsim(&dir.0, &["run", "busy.toml", "--out", "out", "--quiet"]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(err.contains("the max_wall_time guard"), "{err}");
    assert!(
        err.contains("reproduce with: distsim run busy.toml --seed 3"),
        "{err}"
    );
    let results = fs::read_to_string(dir.0.join("out/results.json")).expect("results.json");
    assert!(results.contains("\"partial\": \"") && results.contains("max_wall_time"));
}

// Goal: with `--set`, a file that is not valid TOML is still reported at its own line, not as
// a bad override.
#[test]
fn a_broken_file_is_reported_before_overrides() {
    let dir = TempDir::new("broken");
    let bad = bad_dir().join("toml-syntax.toml");
    let path = bad.to_str().expect("utf-8 path");
    let output = distsim(&dir.0, &["validate", path, "--set", "simulation.seed=2"]);
    assert_invalid(&output, "toml-syntax.toml:5:16: invalid basic string");
}

/// Reads `dir/name` as JSON.
fn read_json(dir: &Path, name: &str) -> serde_json::Value {
    let text = fs::read_to_string(dir.join(name)).expect("results.json was written");
    serde_json::from_str(&text).expect("results.json is valid JSON")
}

/// Asserts `fraction` of `n` keys is within 5 binomial standard deviations of `expected`.
#[track_caller]
fn assert_near_binomial(fraction: f64, expected: f64, n: f64) {
    let sd = (expected * (1.0 - expected) / n).sqrt();
    assert!(
        (fraction - expected).abs() <= 5.0 * sd,
        "{fraction} is more than 5 sd ({sd}) from {expected}"
    );
}

// Goal: `distsim placement` writes a tagged results.json and the plot, prints the table, and
// its movement figures match theory: a ring moves about 1/(n+1) of the keys on a join, modulo
// about n/(n+1). Method: 10 nodes, 10 000 keys, seed 1 (deterministic); the ring's movement
// also varies with its arc lengths, which 160 vnodes keep well inside the 5-sd band.
#[test]
fn placement_study_writes_results_and_plots() {
    let dir = TempDir::new("placement");
    let output = distsim(
        &dir.0,
        &[
            "placement",
            "--scheme",
            "ring",
            "--nodes",
            "10",
            "--keys",
            "10000",
        ],
    );
    assert_exit(&output, 0);
    let out = stdout(&output);
    assert!(
        out.starts_with("placement: ring (vnodes=160), 10 nodes"),
        "{out}"
    );
    assert!(out.contains("moved on join"), "{out}");
    assert!(out.contains("ideal 1/(n+1) = 9.09%"), "{out}");
    let results = dir.0.join("out/placement-ring-10");
    for name in ["placement.svg", "placement.png", "results.json"] {
        assert!(results.join(name).is_file(), "{name} was not written");
    }
    let json = read_json(&results, "results.json");
    assert_eq!(json["kind"], "placement_study");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["n_nodes"], 10);
    assert_eq!(json["nodes"].as_array().expect("a list").len(), 10);
    let join = json["moved_on_join"]["fraction"]
        .as_f64()
        .expect("a number");
    assert_near_binomial(join, 1.0 / 11.0, 10_000.0);

    let output = distsim(
        &dir.0,
        &[
            "placement",
            "--scheme",
            "modulo",
            "--nodes",
            "10",
            "--keys",
            "10000",
            "--out",
            "modulo",
            "--quiet",
        ],
    );
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "");
    let json = read_json(&dir.0.join("modulo"), "results.json");
    let join = json["moved_on_join"]["fraction"]
        .as_f64()
        .expect("a number");
    assert_near_binomial(join, 10.0 / 11.0, 10_000.0);

    let output = distsim(
        &dir.0,
        &[
            "placement",
            "--scheme",
            "jump",
            "--nodes",
            "8",
            "--keys",
            "5000",
            "--zipf",
            "1.1",
            "--requests",
            "20000",
        ],
    );
    assert_exit(&output, 0);
    let json = read_json(&dir.0.join("out/placement-jump-8"), "results.json");
    assert_eq!(json["n_requests"], 20_000);
    assert!(
        json["request_share"]["max_over_mean"]
            .as_f64()
            .expect("a number")
            > 1.0
    );
}

// Goal: bad placement flags are a clean exit 2 naming the problem, with a hint for a typo.
#[test]
fn placement_study_refuses_bad_input() {
    let dir = TempDir::new("placement-bad");
    let run = |args: &[&str]| {
        let mut all = vec!["placement"];
        all.extend_from_slice(args);
        distsim(&dir.0, &all)
    };
    assert_invalid(
        &run(&["--scheme", "ring", "--nodes", "0"]),
        "--nodes must be at least 1, got 0",
    );
    assert_invalid(
        &run(&["--scheme", "ring", "--vnodes", "0", "--nodes", "3"]),
        "ring vnodes must be >= 1",
    );
    assert_invalid(
        &run(&["--scheme", "rnig", "--nodes", "3"]),
        "unknown placement scheme \"rnig\"; did you mean `ring`?",
    );
    assert_invalid(
        &run(&["--scheme", "modulo", "--vnodes", "8", "--nodes", "3"]),
        "`vnodes` only applies to ring and bounded_ring placement",
    );
    assert_invalid(
        &run(&["--scheme", "ring", "--nodes", "3", "--keys", "0"]),
        "n_keys must be >= 1",
    );
    assert_exit(
        &run(&["--scheme", "ring", "--nodes", "3", "--zipf", "1"]),
        2,
    );
    assert!(
        !dir.0.join("out").exists(),
        "nothing is written on bad input"
    );
}

/// The shipped example trace.
fn example_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("examples/traces/zipf-small.oracleGeneral.zst")
}

/// `n` oracleGeneral records (24 bytes, little-endian): key `i % 50`, size 100, time `i / 10` s.
fn oracle_records(n: u32) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(n as usize * 24);
    for i in 0..n {
        bytes.extend_from_slice(&(i / 10).to_le_bytes());
        bytes.extend_from_slice(&u64::from(i % 50).to_le_bytes());
        bytes.extend_from_slice(&100u32.to_le_bytes());
        bytes.extend_from_slice(&(-1i64).to_le_bytes());
    }
    bytes
}

// Goal: `distsim cache` writes results, plot and table; the results do not depend on the
// thread count; and LRU counted in objects never misses more with more room (LRU is a stack
// algorithm: Mattson, Gecsei, Slutz & Traiger, "Evaluation techniques for storage
// hierarchies", IBM Systems Journal 1970). Method: the shipped trace with 1 and 2 threads,
// byte-compared, then object-count LRU at three sizes.
#[test]
fn cache_study_writes_results_independent_of_threads() {
    let dir = TempDir::new("cache-study");
    let trace = example_trace();
    let trace = trace.to_str().expect("utf-8 path");
    let args = |threads: &str, out: &str| {
        vec![
            "cache",
            trace,
            "--policies",
            "lru,s3-fifo,random",
            "--sizes",
            "0.5%,5%",
            "--threads",
            threads,
            "--out",
            out,
        ]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>()
    };
    for (threads, out) in [("1", "one"), ("2", "two")] {
        let args = args(threads, out);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = distsim(&dir.0, &args);
        assert_exit(&output, 0);
        assert!(stdout(&output).contains("s3-fifo"), "{}", stdout(&output));
    }
    let one = fs::read(dir.0.join("one/results.json")).expect("results");
    assert_eq!(
        one,
        fs::read(dir.0.join("two/results.json")).expect("results")
    );
    assert!(dir.0.join("one/miss_ratio_curve.png").exists());
    let results = read_json(&dir.0.join("one"), "results.json");
    assert_eq!(results["kind"], "cache_study");
    assert_eq!(results["requests"], 100_000);
    assert_eq!(results["results"].as_array().expect("rows").len(), 6);

    let output = distsim(
        &dir.0,
        &[
            "cache",
            trace,
            "--policies",
            "lru",
            "--sizes",
            "100,1000,10000",
            "--ignore-obj-size",
            "--out",
            "lru",
        ],
    );
    assert_exit(&output, 0);
    let results = read_json(&dir.0.join("lru"), "results.json");
    let ratios: Vec<f64> = results["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["miss_ratio"].as_f64().expect("a ratio"))
        .collect();
    assert_eq!(ratios.len(), 3);
    assert!(
        ratios[0] >= ratios[1] && ratios[1] >= ratios[2],
        "{ratios:?}"
    );
}

// Goal: a trace that ends part-way into a record stops cleanly: exit 1, the byte offset in
// the message and in results.json, and the results of every complete record kept. Method:
// 1000 records (50 keys, so a 50-object LRU misses only the first 50) plus 10 stray bytes.
#[test]
fn cache_study_keeps_results_before_a_truncated_record() {
    let dir = TempDir::new("cache-truncated");
    let mut bytes = oracle_records(1000);
    bytes.extend_from_slice(&[7; 10]);
    let trace = dir.0.join("cut.oracleGeneral");
    fs::write(&trace, bytes).expect("write trace");
    let output = distsim(
        &dir.0,
        &[
            "cache",
            "cut.oracleGeneral",
            "--policies",
            "lru",
            "--sizes",
            "50",
            "--ignore-obj-size",
            "--out",
            "out",
        ],
    );
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("byte offset 24000"),
        "{}",
        stderr(&output)
    );
    let results = read_json(&dir.0.join("out"), "results.json");
    assert_eq!(results["requests"], 1000);
    assert!(results["partial"]
        .as_str()
        .expect("partial")
        .contains("byte offset 24000"));
    assert_eq!(results["results"][0]["misses"], 50);
}

// Goal: CSV traces are read with the columns `--csv` names, and a bad field stops the replay
// at its line with exit 1. Method: a header, text keys, a size column; then a non-numeric
// size on line 4.
#[test]
fn cache_study_reads_csv_and_reports_bad_lines() {
    let dir = TempDir::new("cache-csv");
    dir.write(
        "t.csv",
        "ts,key,bytes\n1,a,10\n2,b,10\n3,a,10\n4,c,xx\n5,a,10\n",
    );
    let csv = "time=ts,key=key,size=bytes,header,text_keys";
    let output = distsim(
        &dir.0,
        &[
            "cache",
            "t.csv",
            "--csv",
            csv,
            "--policies",
            "lru",
            "--sizes",
            "100",
            "--out",
            "out",
        ],
    );
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("line 5"), "{}", stderr(&output));
    let results = read_json(&dir.0.join("out"), "results.json");
    assert_eq!(results["requests"], 3);
    assert_eq!(
        results["results"][0]["misses"], 2,
        "a, b miss; the second a hits"
    );
}

// Goal: bad cache-study input is a clean exit 2 naming the problem, writing nothing.
#[test]
fn cache_study_refuses_bad_input() {
    let dir = TempDir::new("cache-bad");
    dir.write("t.oracleGeneral", "");
    let run = |args: &[&str]| {
        let mut all = vec!["cache"];
        all.extend_from_slice(args);
        distsim(&dir.0, &all)
    };
    assert_invalid(
        &run(&["t.oracleGeneral", "--policies", "s3fifoo"]),
        "unknown cache policy \"s3fifoo\"",
    );
    assert_invalid(
        &run(&["t.oracleGeneral", "--sizes", "0"]),
        "a cache needs room for something",
    );
    assert_invalid(
        &run(&["t.oracleGeneral", "--sizes", "150%"]),
        "invalid size \"150%\"",
    );
    assert_invalid(
        &run(&["t.oracleGeneral", "--csv", "key=2"]),
        "--csv applies to CSV traces",
    );
    assert_invalid(&run(&["missing.oracleGeneral"]), "cannot open trace");
    assert_invalid(&run(&["t.bin"]), "t.bin");
    assert!(
        !dir.0.join("out").exists(),
        "nothing is written on bad input"
    );
}

// Goal: a size that holds the whole catalogue is a warning (the run still succeeds): every
// policy would only take compulsory misses there. Method: 100% of the working set, and an
// absolute size larger than the 50-object trace with --working-set.
#[test]
fn cache_study_warns_when_everything_fits() {
    let dir = TempDir::new("cache-fits");
    fs::write(dir.0.join("t.oracleGeneral"), oracle_records(500)).expect("trace");
    // Runs `distsim cache t.oracleGeneral --policies lru <flags> -q`: succeeds; warned?
    let warns = |flags: &[&str]| {
        let mut args = vec!["cache", "t.oracleGeneral", "--policies", "lru", "-q"];
        args.extend_from_slice(flags);
        let output = distsim(&dir.0, &args);
        assert_exit(&output, 0);
        stderr(&output).contains("holds the whole catalogue")
    };
    assert!(warns(&["--sizes", "100%"]));
    assert!(warns(&["--sizes", "1000000", "--working-set"]));
    assert!(!warns(&["--sizes", "1000"]));
}

// Goal: `run --check-determinism` runs the scenario twice, says it is deterministic with the
// digest results.json reports, writes nothing, and exits 0; `--paranoid` runs the invariant
// checks along the way without changing a single output byte.
#[test]
fn check_determinism_and_paranoid_runs() {
    let dir = TempDir::new("check-determinism");
    dir.write("tiny.toml", TINY);
    let output = distsim(&dir.0, &["run", "tiny.toml", "--check-determinism"]);
    assert_exit(&output, 0);
    let out = stdout(&output);
    assert!(
        out.starts_with("deterministic: two runs processed the same"),
        "{out}"
    );
    assert!(
        !dir.0.join("out").exists(),
        "a determinism check writes no outputs"
    );

    let output = distsim(&dir.0, &["run", "tiny.toml", "--quiet", "--out", "plain"]);
    assert_exit(&output, 0);
    let output = distsim(
        &dir.0,
        &[
            "run",
            "tiny.toml",
            "--quiet",
            "--out",
            "paranoid",
            "--paranoid=7",
        ],
    );
    assert_exit(&output, 0);
    let plain = dir.read("plain/results.json");
    assert_eq!(plain, dir.read("paranoid/results.json"));
    let digest = plain
        .lines()
        .find_map(|line| line.trim().strip_prefix("\"digest\": \""))
        .and_then(|rest| rest.strip_suffix("\","))
        .expect("results.json has the digest");
    assert!(
        out.contains(&format!("(digest {digest})")),
        "{out}\n{digest}"
    );

    let output = distsim(&dir.0, &["run", "tiny.toml", "--paranoid=0"]);
    assert_exit(&output, 2);
}

// Goal: `distsim ... | head` ends quietly: when the reader of standard output goes away the
// rest of the output is dropped, the exit code is the command's own and nothing panics (a
// panic exits 101). Method: spawn `list` and `check` of the tiny scenario with standard output
// a pipe whose read end is closed before the program writes (it is closed right after spawn,
// long before a run finishes), then wait.
#[test]
fn a_closed_pipe_on_standard_output_ends_quietly() {
    use std::process::{Command, Stdio};
    let dir = TempDir::new("pipe");
    dir.write("tiny.toml", TINY);
    for args in [vec!["list"], vec!["check", "tiny.toml", "--out", "o"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_distsim"))
            .args(&args)
            .current_dir(&dir.0)
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("distsim starts");
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("distsim ends");
        assert_exit(&output, 0);
        assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
    }
}

// Goal: standard output that cannot be written (a full disk) is an error with exit 1, not a
// panic. Method: `distsim list > /dev/full` (Linux's always-full device).
#[cfg(target_os = "linux")]
#[test]
fn a_full_standard_output_is_an_error() {
    use std::process::{Command, Stdio};
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let output = Command::new(env!("CARGO_BIN_EXE_distsim"))
        .arg("list")
        .stdout(Stdio::from(full))
        .output()
        .expect("distsim runs");
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(
        err.starts_with("error: cannot write to standard output"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
