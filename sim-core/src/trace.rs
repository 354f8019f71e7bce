//! The optional event trace: one record per processed event, for debugging and for inspecting
//! a replay.
//!
//! With no sink installed the engine pays one predictable branch per event. [`JsonLinesTrace`]
//! writes JSON Lines into any writer it is handed (the engine itself does no I/O).

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use crate::ids::NodeId;
use crate::time::SimTime;

/// One processed event as the trace sees it.
#[derive(Debug)]
pub struct TraceRecord<'a> {
    /// When it was processed.
    pub time: SimTime,
    /// Its scheduling sequence number.
    pub seq: u64,
    /// What kind of event: `start`, `deliver`, `drop`, `timer`, `work_done`, `fault`, ...
    pub kind: &'static str,
    /// The node it happened at, if any.
    pub node: Option<NodeId>,
    /// The sender, for messages.
    pub from: Option<NodeId>,
    /// Details: the message, the timer tag, the fault, via `Debug`.
    pub detail: &'a dyn fmt::Debug,
}

/// Receives trace records.
pub trait TraceSink {
    /// Takes one record.
    fn record(&mut self, record: &TraceRecord<'_>);
}

/// Writes each record as one JSON object per line:
/// `{"t_ns":1500,"seq":7,"kind":"deliver","node":3,"from":1,"detail":"Ping(4)"}`.
///
/// The first write error stops the trace; [`JsonLinesTrace::finish`] returns it.
pub struct JsonLinesTrace<W: Write> {
    out: W,
    line: String,
    detail: String,
    error: Option<io::Error>,
}

impl<W: Write> JsonLinesTrace<W> {
    /// A trace writing into `out` (wrap files in a `BufWriter`).
    pub fn new(out: W) -> Self {
        JsonLinesTrace {
            out,
            line: String::new(),
            detail: String::new(),
            error: None,
        }
    }

    /// Flushes and returns the writer, or the first error met.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> TraceSink for JsonLinesTrace<W> {
    fn record(&mut self, record: &TraceRecord<'_>) {
        if self.error.is_some() {
            return;
        }
        self.line.clear();
        self.detail.clear();
        // Writing into a String cannot fail.
        let _ = write!(self.detail, "{:?}", record.detail);
        let _ = write!(
            self.line,
            "{{\"t_ns\":{},\"seq\":{},\"kind\":\"{}\"",
            record.time.0, record.seq, record.kind
        );
        if let Some(node) = record.node {
            let _ = write!(self.line, ",\"node\":{}", node.0);
        }
        if let Some(from) = record.from {
            let _ = write!(self.line, ",\"from\":{}", from.0);
        }
        self.line.push_str(",\"detail\":\"");
        escape_json_into(&self.detail, &mut self.line);
        self.line.push_str("\"}\n");
        if let Err(error) = self.out.write_all(self.line.as_bytes()) {
            self.error = Some(error);
        }
    }
}

/// Appends `text` to `out` with JSON string escaping.
pub fn escape_json_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: one valid JSON object per record, with escaping of quotes in details.
    #[test]
    fn writes_escaped_json_lines() {
        let mut trace = JsonLinesTrace::new(Vec::new());
        trace.record(&TraceRecord {
            time: SimTime(5),
            seq: 2,
            kind: "deliver",
            node: Some(NodeId(3)),
            from: Some(NodeId(1)),
            detail: &"say \"hi\"",
        });
        let text = String::from_utf8(trace.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "{\"t_ns\":5,\"seq\":2,\"kind\":\"deliver\",\"node\":3,\"from\":1,\"detail\":\"\\\"say \\\\\\\"hi\\\\\\\"\\\"\"}\n"
        );
    }
}
