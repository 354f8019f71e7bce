//! Writing files so that a reader never sees half of one.
//!
//! Each file is written to a hidden temporary name in the same directory, flushed to disk,
//! then renamed over the final name. A rename within one directory is atomic on the
//! filesystems we run on, so a run killed mid-write leaves either the old file, the new file,
//! or a stray `.*.tmp` file, but never a truncated file under the real name.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::ReportError;

/// Creates `dir` and any missing parents.
pub fn create_dir(dir: &Path) -> Result<(), ReportError> {
    fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `dir/name` through a temporary file and a rename; returns the path.
/// (Also used by the sweep runner for each run's `results.json`.)
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, ReportError> {
    assert!(!name.contains('/'), "file names are plain names: {name:?}");
    let path = dir.join(name);
    // The process id keeps two runs writing into the same directory from sharing a temp file.
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    let written = fs::File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .map_err(io_error(&tmp));
    if let Err(e) = written {
        // Best effort: the write error is the one worth reporting.
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = fs::rename(&tmp, &path).map_err(io_error(&path)) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: a write replaces the file whole and leaves no temporary file behind; a write into
    // a missing directory fails with the path in the message.
    #[test]
    fn replaces_whole_and_cleans_up() {
        let dir = std::env::temp_dir().join(format!("reports-output-{}", std::process::id()));
        create_dir(&dir).expect("temp dir is writable");
        write_atomic(&dir, "a.txt", b"first version, longer").expect("writable");
        let path = write_atomic(&dir, "a.txt", b"second").expect("writable");
        assert_eq!(fs::read(&path).expect("just written"), b"second");
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("exists")
            .map(|e| e.expect("readable").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);

        let missing = dir.join("missing");
        let err = write_atomic(&missing, "b.txt", b"x").expect_err("no such directory");
        let message = err.to_string();
        assert!(message.starts_with("cannot write "), "{message}");
        assert!(message.contains("missing"), "{message}");
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
