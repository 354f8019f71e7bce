//! `distsim check` and `distsim run --save-baseline`, end to end through the binary.
//!
//! Goal: what a CI job sees. Exit code 0 when every assertion holds and nothing regressed, 1
//! for a failed assertion, a regression or a run stopped early, 2 for invalid input (a metric
//! that does not exist, a baseline of another scenario or schema version, a file that is not
//! a baseline, a bad --tolerance), never a panic; `check.md` and `check.junit.xml` are written
//! and identical for the same inputs. Method: run the built binary on a tiny scenario (300
//! simulated milliseconds, a few hundred events, well under a second in a debug build) in
//! fresh temporary directories, and inspect exit codes, output and files.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_exit, assert_invalid, distsim, stderr, stdout, TempDir, TINY};

/// Checks that hold for [`TINY`]: a generous latency bound, no timeouts (there is no
/// timeout), no drops.
const HOLDING: &str = r#"
[[check]]
assert = "latency.read.p99 < 1s"

[[check]]
assert = "client.timeouts == 0"

[[check]]
metric = "net.dropped.total"
max = 0
"#;

/// Asserts a clean refusal of invalid input (see `common::assert_invalid`) that wrote no
/// verdict.
#[track_caller]
fn assert_refused(dir: &TempDir, output: &Output, message: &str) {
    assert_invalid(output, message);
    assert!(
        !dir.0.join("out/check.md").exists(),
        "no verdict for invalid input"
    );
}

/// [`TINY`] with `checks` appended, written as `tiny.toml`.
fn scenario(dir: &TempDir, checks: &str) -> PathBuf {
    dir.write("tiny.toml", &format!("{TINY}{checks}"))
}

/// `distsim run tiny.toml --out run --save-baseline base.json`, which must succeed.
fn save_baseline(dir: &TempDir) -> Output {
    let saved = distsim(
        &dir.0,
        &[
            "run",
            "tiny.toml",
            "--out",
            "run",
            "--save-baseline",
            "base.json",
        ],
    );
    assert_exit(&saved, 0);
    saved
}

/// `distsim check tiny.toml --out out` plus `extra`.
fn check(dir: &TempDir, extra: &[&str]) -> Output {
    let mut args = vec!["check", "tiny.toml", "--out", "out"];
    args.extend_from_slice(extra);
    distsim(&dir.0, &args)
}

// Goal: checks that hold exit 0, print the verdict table, and write the run's usual outputs
// plus check.md and check.junit.xml; the same check twice writes the same bytes.
#[test]
fn holding_checks_pass_and_write_reports() {
    let dir = TempDir::new("pass");
    scenario(&dir, HOLDING);
    let output = check(&dir, &[]);
    assert_exit(&output, 0);
    let out = stdout(&output);
    assert!(out.contains("latency.read.p99"), "{out}");
    assert!(out.contains("PASS: 3 of 3 assertions hold"), "{out}");
    for file in ["results.json", "report.html", "check.md", "check.junit.xml"] {
        assert!(dir.0.join("out").join(file).exists(), "no {file}");
    }
    let md = dir.read("out/check.md");
    assert!(md.starts_with("### distsim check: `tiny` — PASS"), "{md}");
    assert!(md.contains("distsim check tiny.toml --seed 3"), "{md}");
    let junit = dir.read("out/check.junit.xml");
    assert!(junit.contains("tests=\"3\" failures=\"0\""), "{junit}");

    let again = check(&dir, &[]);
    assert_exit(&again, 0);
    assert_eq!(dir.read("out/check.md"), md);
    assert_eq!(dir.read("out/check.junit.xml"), junit);
}

// Goal: a failed assertion exits 1 and says which one and why, in the terminal, check.md and
// the JUnit failure.
#[test]
fn failed_assertion_exits_1() {
    let dir = TempDir::new("fail");
    scenario(
        &dir,
        "[[check]]\nassert = \"latency.read.p99 < 1us\"\n\n[[check]]\nassert = \"client.requests > 0\"\n",
    );
    let output = check(&dir, &[]);
    assert_exit(&output, 1);
    let out = stdout(&output);
    assert!(out.contains("FAIL: latency.read.p99 is "), "{out}");
    assert!(out.contains(", want < 1us"), "{out}");
    assert!(out.contains("FAIL: 1 of 2 assertions hold"), "{out}");
    let junit = dir.read("out/check.junit.xml");
    assert!(junit.contains("failures=\"1\""), "{junit}");
    assert!(
        junit.contains("name=\"latency.read.p99 &lt; 1us\">\n      <failure"),
        "{junit}"
    );
    assert!(dir.read("out/check.md").contains("**FAIL**"));
}

// Goal: a metric the run does not have is invalid input (exit 2), pointing at the check with
// the closest name, before any verdict is written.
#[test]
fn missing_metric_exits_2_with_a_suggestion() {
    let dir = TempDir::new("missing");
    scenario(&dir, "[[check]]\nassert = \"client.timeout == 0\"\n");
    let output = check(&dir, &[]);
    assert_refused(
        &dir,
        &output,
        "no metric \"client.timeout\" in this run's results",
    );
    let err = stderr(&output);
    assert!(err.contains("tiny.toml:"), "{err}");
    assert!(err.contains("did you mean `client.timeouts`?"), "{err}");
}

// Goal: a baseline saved by `distsim run --save-baseline` passes `distsim check` of the same
// scenario and seed (every metric within tolerance); a slower service regresses the latency
// (exit 1, the regression named, a note that the scenario changed); a faster one improves it
// without failing.
#[test]
fn baseline_round_trip_regression_and_improvement() {
    let dir = TempDir::new("baseline");
    scenario(&dir, HOLDING);
    let saved = save_baseline(&dir);
    assert!(
        stdout(&saved).contains("baseline written to base.json"),
        "{}",
        stdout(&saved)
    );
    let baseline = dir.read("base.json");
    assert!(baseline.contains("\"kind\": \"baseline\""), "{baseline}");
    assert!(baseline.contains("\"latency.read.p99\""), "{baseline}");

    let same = check(&dir, &["--baseline", "base.json"]);
    assert_exit(&same, 0);
    let out = stdout(&same);
    assert!(out.contains(" 0 of "), "{out}");
    assert!(
        out.contains("metrics regressed beyond 5% of the baseline, 0 improved"),
        "{out}"
    );

    let slow = "group.servers.service={ workers = 1, time = { dist = \"exp\", mean = \"5ms\" } }";
    let slower = check(&dir, &["--baseline", "base.json", "--set", slow]);
    assert_exit(&slower, 1);
    let out = stdout(&slower);
    assert!(
        out.contains("REGRESSED: latency.read.p99 rose from "),
        "{out}"
    );
    assert!(
        out.contains("note: the scenario changed since the baseline"),
        "{out}"
    );
    assert!(dir.read("out/check.md").contains("**REGRESSED**"));

    let fast = "group.servers.service={ workers = 1, time = { dist = \"exp\", mean = \"100us\" } }";
    let faster = check(&dir, &["--baseline", "base.json", "--set", fast]);
    assert_exit(&faster, 0);
    let out = stdout(&faster);
    assert!(out.contains("improved"), "{out}");
    assert!(!out.contains("REGRESSED"), "{out}");
}

// Goal: bad baselines are invalid input, refused before anything runs: another scenario's,
// another schema version's, a results.json, something that is not JSON, a missing file; so is
// a malformed --tolerance.
#[test]
fn bad_baselines_and_tolerances_exit_2() {
    let dir = TempDir::new("bad-baseline");
    scenario(&dir, HOLDING);
    save_baseline(&dir);
    let good = dir.read("base.json");

    dir.write(
        "other.json",
        &good.replace("\"scenario\": \"tiny\"", "\"scenario\": \"other\""),
    );
    let output = check(&dir, &["--baseline", "other.json"]);
    assert_refused(
        &dir,
        &output,
        "the baseline is for scenario \"other\", but this is scenario \"tiny\"",
    );

    dir.write(
        "v2.json",
        &good.replace("\"schema_version\": 1", "\"schema_version\": 2"),
    );
    let output = check(&dir, &["--baseline", "v2.json"]);
    assert_refused(
        &dir,
        &output,
        "the baseline has schema_version 2, but this distsim reads version 1",
    );

    let output = check(&dir, &["--baseline", "run/results.json"]);
    assert_refused(
        &dir,
        &output,
        "this is a run's results.json, not a baseline",
    );

    dir.write("garbage.json", "tiny,latency\n1,2\n");
    let output = check(&dir, &["--baseline", "garbage.json"]);
    assert_refused(
        &dir,
        &output,
        "cannot use baseline \"garbage.json\": invalid baseline file: ",
    );

    let output = check(&dir, &["--baseline", "nope.json"]);
    assert_refused(&dir, &output, "cannot use baseline \"nope.json\"");

    let output = check(&dir, &["--baseline", "base.json", "--tolerance", "5"]);
    assert_refused(&dir, &output, "--tolerance takes a percentage");
}

// Goal: with `[sweep] replications = 3` a check runs three seeds, writes each run's outputs
// in its own directory, shows every value as an interval, and saves a baseline of all three.
#[test]
fn replications_run_several_seeds() {
    let dir = TempDir::new("replications");
    scenario(&dir, &format!("{HOLDING}\n[sweep]\nreplications = 3\n"));
    let output = check(&dir, &["--save-baseline", "base3.json"]);
    assert_exit(&output, 0);
    let out = stdout(&output);
    assert!(out.contains("run 3/3: seed "), "{out}");
    assert!(out.contains(" ± "), "{out}");
    for r in 0..3 {
        assert!(dir
            .0
            .join(format!("out/replication-{r}/results.json"))
            .exists());
    }
    let baseline = dir.read("base3.json");
    assert!(baseline.contains("\"replications\": 3"), "{baseline}");
    assert!(baseline.contains("\"n\": 3"), "{baseline}");
    let again = check(&dir, &["--baseline", "base3.json"]);
    assert_exit(&again, 0);
}

// Goal: a scenario without checks or a baseline still runs and passes, saying there was
// nothing to check; a malformed assertion is refused when the scenario loads (exit 2, with
// its position), like any scenario error.
#[test]
fn nothing_to_check_and_malformed_assertions() {
    let dir = TempDir::new("nothing");
    scenario(&dir, "");
    let output = check(&dir, &[]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("PASS: nothing to check"),
        "{}",
        stdout(&output)
    );

    let dir = TempDir::new("malformed");
    scenario(&dir, "[[check]]\nassert = \"latency.read.p99 =< 25ms\"\n");
    let output = check(&dir, &[]);
    assert_refused(&dir, &output, "unknown comparison `=<`");
    assert!(
        stderr(&output).contains("help: write `<=`"),
        "{}",
        stderr(&output)
    );
}

// Goal: the shipped CI example passes against its committed baseline, so docs/ci.md's job is
// green on a clean checkout. Method: run exactly the documented command. If a deliberate
// change moves the example's numbers, regenerate the baseline as the scenario's header says
// (`distsim run scenarios/examples/ci-tail-latency.toml --save-baseline ...`) and review the
// diff like a golden file.
#[test]
fn the_ci_example_passes_against_its_baseline() {
    let dir = TempDir::new("example");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let scenario = root.join("examples/ci-tail-latency.toml");
    let baseline = root.join("examples/ci-tail-latency.baseline.json");
    let output = distsim(
        &dir.0,
        &[
            "check",
            scenario.to_str().expect("a UTF-8 path"),
            "--baseline",
            baseline.to_str().expect("a UTF-8 path"),
            "--out",
            "out",
        ],
    );
    assert_exit(&output, 0);
    let out = stdout(&output);
    assert!(out.contains("PASS: 5 of 5 assertions hold; 0 of "), "{out}");
    assert!(
        !out.contains("note: the scenario changed"),
        "regenerate the baseline:\n{out}"
    );
}
