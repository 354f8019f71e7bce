//! The bad-scenario corpus: every `tests/bad/*.toml` is a realistic mistake, and the file next
//! to it, `tests/bad/<name>.expected`, holds the exact diagnostic a user sees for it.
//!
//! Goal: every mistake is refused (never accepted, never a panic) with a message that names
//! the file, line and column, quotes the line and says what would be valid. Method: load each
//! file's text under the stable name `scenarios/tests/bad/<name>.toml` (cargo runs tests from
//! the package directory, so the name is spelt out rather than taken from the path) and
//! compare the rendered error with the `.expected` file, byte for byte.
//!
//! After a deliberate change to a message, regenerate the expected files and review the diff
//! like code:
//!
//! ```text
//! UPDATE_EXPECT=1 cargo test -p scenarios --test bad_scenarios
//! ```

use std::fs;
use std::path::{Path, PathBuf};

/// The issue asks for at least 25 distinct mistakes.
const CORPUS_SIZE_MIN: usize = 25;

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad")
}

/// Every `.toml` in the corpus, sorted by file name so failures list in a stable order.
fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(bad_dir())
        .expect("tests/bad exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// The rendered error for one bad file, or a description of what went wrong instead.
fn rendered_error(path: &Path) -> Result<String, String> {
    let file_name = path.file_name().expect("a file").to_string_lossy();
    let text = fs::read_to_string(path).expect("corpus files are readable");
    let name = format!("scenarios/tests/bad/{file_name}");
    match scenarios::load_text(&name, &text, &[]) {
        Ok(_) => Err(format!("{name}: loaded without an error")),
        Err(error) => Ok(error.to_string()),
    }
}

// Goal: the corpus is big enough to be worth having.
#[test]
fn corpus_has_enough_cases() {
    let n = corpus().len();
    assert!(
        n >= CORPUS_SIZE_MIN,
        "only {n} bad scenarios in tests/bad, want >= {CORPUS_SIZE_MIN}"
    );
}

// Goal: each bad file fails with exactly its expected message. All mismatches are collected
// so one run shows every changed message, not just the first.
#[test]
fn bad_scenarios_fail_with_expected_messages() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for path in corpus() {
        let got = match rendered_error(&path) {
            Ok(got) => got,
            Err(problem) => {
                failures.push(problem);
                continue;
            }
        };
        let expected_path = path.with_extension("expected");
        if update {
            fs::write(&expected_path, format!("{got}\n")).expect("write .expected");
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if expected.trim_end() != got {
            failures.push(format!(
                "{}:\n--- expected\n{}\n--- got\n{got}\n",
                path.display(),
                expected.trim_end()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} bad scenario(s) differ (UPDATE_EXPECT=1 rewrites the .expected files):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// Goal: every message has the shape users rely on: `error: FILE:LINE:COL: message`, the
// quoted line and a caret under the offending text.
#[test]
fn bad_scenario_messages_point_at_the_text() {
    for path in corpus() {
        let got = rendered_error(&path).unwrap_or_else(|problem| panic!("{problem}"));
        let file_name = path.file_name().expect("a file").to_string_lossy();
        let prefix = format!("error: scenarios/tests/bad/{file_name}:");
        assert!(got.starts_with(&prefix), "{got}");
        let lines: Vec<&str> = got.lines().collect();
        assert!(lines.len() >= 4, "no quoted line in:\n{got}");
        let position: Vec<&str> = lines[0][prefix.len()..].splitn(3, ':').collect();
        let line: usize = position[0].parse().expect("a line number");
        let column: usize = position[1].parse().expect("a column number");
        assert!(line >= 1 && column >= 1, "{got}");
        assert!(
            lines[2].starts_with(&format!("{line} | ")),
            "the quoted line is not line {line}:\n{got}"
        );
        assert!(lines[3].contains('^'), "no caret line:\n{got}");
        assert!(!got.contains("panicked"), "{got}");
    }
}
