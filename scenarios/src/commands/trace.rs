//! `distsim trace FILE`: filters an event trace (`distsim run --trace`) down to what a person
//! wants to follow — one node, one request, a time window — and checks, line by line, that the
//! file is a trace.
//!
//! The output is the matching records, unchanged, so it is a trace itself (pipe it into `jq`,
//! or back into `distsim trace`). The file is read as a stream, one record at a time: a trace
//! of millions of events is filtered in constant memory.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::path::Path;

use serde_json::Value;
use sim_core::SimTime;

/// What to keep: every given condition must hold.
#[derive(Clone, Debug, Default)]
pub struct TraceFilter {
    /// A node by name (`cache[2]`): records at it, from it or to it, and faults acting on it.
    pub node: Option<String>,
    /// A request id (the `request` field of requests and responses). Ids count per client,
    /// so combine with `node` to follow one client's request.
    pub request: Option<u64>,
    /// Records at or after this time.
    pub from: Option<SimTime>,
    /// Records at or before this time.
    pub to: Option<SimTime>,
}

impl TraceFilter {
    /// Whether `record` passes.
    pub fn keeps(&self, record: &Value) -> bool {
        let t = record["t_ns"].as_u64().unwrap_or(0);
        if self.from.is_some_and(|from| t < from.0) || self.to.is_some_and(|to| t > to.0) {
            return false;
        }
        if let Some(id) = self.request {
            if record["msg"]["request"].as_u64() != Some(id) {
                return false;
            }
        }
        if let Some(node) = &self.node {
            let named = |key: &str| record[key].as_str() == Some(node.as_str());
            let acted_on = record["nodes"]
                .as_array()
                .is_some_and(|nodes| nodes.iter().any(|n| n.as_str() == Some(node.as_str())));
            if !(named("node") || named("from") || named("to") || acted_on) {
                return false;
            }
        }
        true
    }
}

/// What a pass over a trace found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceSummary {
    /// Records read.
    pub read: u64,
    /// Records kept (written out).
    pub kept: u64,
}

/// Why a trace could not be read through.
#[derive(Debug)]
pub enum TraceError {
    /// The file could not be opened or read.
    Io(String),
    /// A line is not a trace record; `line` counts from 1.
    NotATrace {
        /// The line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// The kept records cannot be drawn: too many messages, or none.
    NotDrawable(String),
    /// Writing the kept records failed (not a closed pipe, which ends quietly).
    Write(String),
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TraceError::Io(message)
            | TraceError::NotDrawable(message)
            | TraceError::Write(message) => f.write_str(message),
            TraceError::NotATrace { line, message } => write!(f, "line {line}: {message}"),
        }
    }
}

/// Reads the trace at `path`, writes the records `filter` keeps to `out`, and returns how
/// many it read and kept. Every line must be a JSON object with `t_ns`, `seq` and `kind`;
/// a last line cut off mid-record (a run killed while tracing) is named as such. A reader
/// that goes away (`| head`) ends the pass quietly.
pub fn filter_trace(
    path: &Path,
    filter: &TraceFilter,
    out: &mut dyn Write,
) -> Result<TraceSummary, TraceError> {
    each_record(
        path,
        filter,
        &mut |_, line| match out.write_all(line.as_bytes()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(TraceError::Write(format!("writing the records: {e}"))),
        },
    )
}

/// The records `filter` keeps from the trace at `path`, as a message-sequence diagram page
/// (see [`reports::trace_page`]) written to `out`; how many records it read and kept.
/// A window with more than [`reports::MESSAGES_MAX`] messages is refused with how to narrow
/// it (the records are counted, not all kept in memory).
pub fn trace_html(
    path: &Path,
    filter: &TraceFilter,
    out: &Path,
) -> Result<TraceSummary, TraceError> {
    let mut kept: Vec<Value> = Vec::new();
    let mut messages = 0usize;
    let summary = each_record(path, filter, &mut |record, _| {
        if reports::starts_message(&record) {
            messages += 1;
        }
        // Past the bound the page is refused anyway: count on without keeping.
        if messages <= reports::MESSAGES_MAX {
            kept.push(record);
        }
        Ok(true)
    })?;
    if messages > reports::MESSAGES_MAX {
        let error = reports::TracePageError::TooMany { messages };
        return Err(TraceError::NotDrawable(error.to_string()));
    }
    let title = match (&filter.node, filter.request) {
        (Some(node), Some(id)) => format!("{node}, request {id}"),
        (Some(node), None) => node.clone(),
        (None, Some(id)) => format!("request {id}"),
        (None, None) => path
            .file_name()
            .map_or("trace".into(), |n| n.to_string_lossy().into_owned()),
    };
    let page =
        reports::trace_page(&kept, &title).map_err(|e| TraceError::NotDrawable(e.to_string()))?;
    let dir = match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = out
        .file_name()
        .ok_or_else(|| TraceError::Write(format!("{} is not a file name", out.display())))?;
    reports::write_atomic(dir, &name.to_string_lossy(), page.as_bytes())
        .map_err(|e| TraceError::Write(e.to_string()))?;
    Ok(summary)
}

/// Reads every record of the trace at `path` and hands those `filter` keeps, with their
/// line, to `keep`, which says whether to go on.
fn each_record(
    path: &Path,
    filter: &TraceFilter,
    keep: &mut dyn FnMut(Value, &str) -> Result<bool, TraceError>,
) -> Result<TraceSummary, TraceError> {
    let file = File::open(path)
        .map_err(|e| TraceError::Io(format!("cannot open {}: {e}", path.display())))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut summary = TraceSummary { read: 0, kept: 0 };
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| TraceError::Io(format!("reading {}: {e}", path.display())))?;
        if n == 0 {
            return Ok(summary);
        }
        let number = summary.read + 1;
        let complete = line.ends_with('\n');
        let record = parse_record(line.trim_end()).map_err(|message| {
            let message = if complete {
                message
            } else {
                format!("the trace ends mid-record (cut off?): {message}")
            };
            TraceError::NotATrace {
                line: number,
                message,
            }
        })?;
        summary.read += 1;
        if filter.keeps(&record) {
            summary.kept += 1;
            if !keep(record, &line)? {
                return Ok(summary);
            }
        }
    }
}

/// One line as a trace record, or what is wrong with it.
fn parse_record(line: &str) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| format!("not a trace record ({e})"))?;
    let has = |key: &str, ok: fn(&Value) -> bool| value.get(key).is_some_and(ok);
    if !value.is_object() {
        return Err("not a trace record (not a JSON object)".to_string());
    }
    for (key, ok) in [
        ("t_ns", Value::is_u64 as fn(&Value) -> bool),
        ("seq", Value::is_u64),
        ("kind", Value::is_string),
    ] {
        if !has(key, ok) {
            return Err(format!("not a trace record (no `{key}`)"));
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file in the temporary directory, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    impl std::ops::Deref for TempFile {
        type Target = std::path::Path;

        fn deref(&self) -> &std::path::Path {
            &self.0
        }
    }

    fn write_file(name: &str, text: &str) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("distsim-trace-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }

    const TRACE: &str = concat!(
        "{\"t_ns\":0,\"seq\":0,\"kind\":\"start\",\"node\":\"c[0]\"}\n",
        "{\"t_ns\":5,\"seq\":3,\"kind\":\"send\",\"node\":\"c[0]\",\"from\":\"c[0]\",\"to\":\"s[0]\",\"msg_id\":3,\"msg\":{\"type\":\"request\",\"request\":1}}\n",
        "{\"t_ns\":9,\"seq\":3,\"kind\":\"deliver\",\"node\":\"s[0]\",\"from\":\"c[0]\",\"to\":\"s[0]\",\"msg_id\":3,\"msg\":{\"type\":\"request\",\"request\":1}}\n",
        "{\"t_ns\":20,\"seq\":8,\"kind\":\"fault\",\"fault\":\"crash\",\"description\":\"crash s[0]\",\"nodes\":[\"s[0]\"]}\n",
    );

    fn kept(filter: &TraceFilter) -> Vec<u64> {
        let path = write_file("ok", TRACE);
        let mut out = Vec::new();
        let summary = filter_trace(&path, filter, &mut out).unwrap();
        assert_eq!(summary.read, 4);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(summary.kept as usize, text.lines().count());
        text.lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["t_ns"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    }

    // Goal: each condition keeps what it names (a node also by the faults acting on it), and
    // conditions combine.
    #[test]
    fn filters_by_node_request_and_time() {
        assert_eq!(kept(&TraceFilter::default()), [0, 5, 9, 20]);
        let node = |n: &str| TraceFilter {
            node: Some(n.to_string()),
            ..TraceFilter::default()
        };
        assert_eq!(kept(&node("s[0]")), [5, 9, 20]);
        assert_eq!(kept(&node("c[0]")), [0, 5, 9]);
        let request = TraceFilter {
            request: Some(1),
            ..TraceFilter::default()
        };
        assert_eq!(kept(&request), [5, 9]);
        let window = TraceFilter {
            from: Some(SimTime(5)),
            to: Some(SimTime(9)),
            node: Some("s[0]".into()),
            ..TraceFilter::default()
        };
        assert_eq!(kept(&window), [5, 9]);
    }

    // Goal: a file that is not a trace, or a trace cut off mid-record, is an error with the
    // line number, not a silent partial pass.
    #[test]
    fn bad_lines_are_named() {
        let cut = &TRACE[..TRACE.len() - 20];
        let path = write_file("cut", cut);
        let error = filter_trace(&path, &TraceFilter::default(), &mut Vec::new()).unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("line 4: the trace ends mid-record"),
            "{text}"
        );
        let path = write_file("toml", "[simulation]\nname = \"x\"\n");
        let error = filter_trace(&path, &TraceFilter::default(), &mut Vec::new()).unwrap_err();
        assert!(
            error.to_string().starts_with("line 1: not a trace record"),
            "{error}"
        );
        let path = write_file("json", "{\"a\":1}\n");
        let error = filter_trace(&path, &TraceFilter::default(), &mut Vec::new()).unwrap_err();
        assert_eq!(error.to_string(), "line 1: not a trace record (no `t_ns`)");
    }
}
