//! What the library's integration tests share: the shipped examples and a run's results.
//! (Each test file uses a part of it.)
#![allow(dead_code)]

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use reports::ResultsFile;
use scenarios::run::{run, run_data};
use scenarios::Scenario;

/// Every shipped example scenario (`scenarios/examples/*.toml`), sorted; at least five.
pub fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{} examples", files.len());
    files
}

/// `scenario` run to its end with `seed`, as `results.json` would hold it.
pub fn results_of(scenario: &Scenario, seed: u64) -> ResultsFile {
    let outcome = run(scenario, seed, &mut |_| ControlFlow::Continue(()));
    reports::build_results(&run_data(scenario, &outcome)).expect("results build")
}
