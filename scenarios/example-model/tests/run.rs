//! The out-of-tree example end to end: its own binary runs a scenario that names the `mutex`
//! role, lists it with the built-in kinds, judges the scenario's checks, and answers a wrong
//! parameter with the same file:line:col diagnostic a built-in role gets.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The example scenario, next to this crate's manifest.
fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("mutex.toml")
}

/// A fresh directory for one test's outputs.
fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("distsim-mutex-{label}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn distsim_mutex(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_distsim-mutex"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the distsim-mutex binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_example_binary_runs_a_scenario_that_uses_the_mutex_role() {
    let out = temp_dir("run");
    let output = distsim_mutex(&[
        "run",
        scenario().to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        text(&output.stderr)
    );
    let results: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let counter = |name: &str| {
        results["counters"][name]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}"))
    };

    // Entries match the histogram's count: every entry records one wait.
    let entries = counter("mutex.entries");
    assert!(entries > 0);
    assert_eq!(
        results["metrics"]["mutex.wait"]["count"].as_u64(),
        Some(entries)
    );

    // While ring[2] is down (2 s) node 0 regenerates once per lap timeout (20 ms) plus the
    // lap's work before the loss: at most two 220 us hops and two 1 ms holds (nodes 0 and
    // 1). So regenerations lie between 2 s / 22.44 ms - 1 = 88 and 2 s / 20 ms + 1 = 101.
    let regenerations = counter("mutex.regenerations");
    assert!(
        (88..=101).contains(&regenerations),
        "{regenerations} regenerations in a 2 s outage with a 20 ms lap timeout"
    );
    // Every token sent to the dead node is lost there: one per regenerated lap.
    assert_eq!(counter("net.dropped.receiver_down"), regenerations);

    // The table the crate registered declares the meaning, and the run writes it.
    let meaning = &results["meanings"]["mutex.wait"];
    assert_eq!(meaning["unit"], "ns", "{meaning}");
    assert_eq!(meaning["direction"], "higher_is_worse", "{meaning}");
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn the_example_binary_judges_the_scenarios_checks() {
    let out = temp_dir("check");
    let output = distsim_mutex(&[
        "check",
        scenario().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("mutex.regenerations"), "{stdout}");
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn list_shows_the_registered_role_with_its_parameters() {
    let output = distsim_mutex(&["list"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    for expected in ["mutex", "token_ring", "lap_timeout", "client", "lru"] {
        assert!(
            stdout.contains(expected),
            "`{expected}` missing from:\n{stdout}"
        );
    }
}

#[test]
fn a_wrong_parameter_gets_a_located_diagnostic_with_a_hint() {
    let dir = temp_dir("bad");
    let scenario = fs::read_to_string(scenario()).unwrap();
    let misspelt = scenario.replace("lap_timeout = \"20ms\"", "lap_timout = \"20ms\"");
    assert_ne!(misspelt, scenario, "the example sets lap_timeout");
    let path = dir.join("misspelt.toml");
    fs::write(&path, &misspelt).unwrap();
    let line = misspelt
        .lines()
        .position(|l| l.starts_with("lap_timout"))
        .unwrap()
        + 1;

    let output = distsim_mutex(&["validate", path.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("misspelt.toml:{line}:1:")),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown field `lap_timout` in a `mutex` group"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `lap_timeout`?"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let zero = scenario.replace("hold = \"1ms\"", "hold = \"0ms\"");
    let path = dir.join("zero.toml");
    fs::write(&path, &zero).unwrap();
    let output = distsim_mutex(&["validate", path.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`hold` must be longer than 0"), "{stderr}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_misspelt_role_name_is_answered_from_the_extended_registry() {
    let dir = temp_dir("role");
    let scenario = fs::read_to_string(scenario()).unwrap();
    let path = dir.join("role.toml");
    fs::write(
        &path,
        scenario.replace("role = \"mutex\"", "role = \"mutx\""),
    )
    .unwrap();
    let output = distsim_mutex(&["validate", path.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did you mean `mutex`?"), "{stderr}");
    let _ = fs::remove_dir_all(&dir);
}
