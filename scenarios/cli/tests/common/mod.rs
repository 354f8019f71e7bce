//! What the binary's end-to-end tests share: temporary directories, running `distsim`, and
//! asserting exit codes and clean refusals. (Each test file uses a part of it.)
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// 300 ms of 2 clients at 200/s against 2 servers with 1 ms mean service: about 500 events
/// (the library's tests use the same file).
pub const TINY: &str = include_str!("../../../tests/fixtures/tiny.toml");

/// A directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh, empty directory whose name has `label`, the process id and a counter.
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("distsim-test-{label}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    /// Writes `text` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, text).expect("write test file");
        path
    }

    /// Reads `name` inside the directory.
    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.0.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `distsim args` in `dir` with `env` set, backtraces on so that a panic would show.
pub fn distsim_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_distsim"));
    command
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the distsim binary runs")
}

/// Runs `distsim args` in `dir`.
pub fn distsim(dir: &Path, args: &[&str]) -> Output {
    distsim_with(dir, args, &[])
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing the output when it differs.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// Asserts that `output` is a clean refusal of invalid input: exit 2, an `error:` line on
/// stderr containing `message`, and no panic or backtrace.
#[track_caller]
pub fn assert_invalid(output: &Output, message: &str) {
    assert_exit(output, 2);
    let err = stderr(output);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(message), "want {message:?} in:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("RUST_BACKTRACE"), "{err}");
    assert!(!err.contains("stack backtrace"), "{err}");
}
