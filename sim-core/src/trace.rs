//! The optional event trace: one record per thing that happened — a message sent, delivered
//! or dropped, a timer, finished work, a fault — for debugging and for seeing who talked to
//! whom in a replay.
//!
//! With no sink installed the engine pays one predictable branch per event. [`JsonLinesTrace`]
//! writes JSON Lines into any writer it is handed (the engine itself does no I/O), with node
//! names from [`NodeNames`] and each message's typed fields from
//! [`Message::trace_fields`](crate::Message::trace_fields).
//!
//! Every message has an id: the sequence number of the event that delivers it. Its `send`
//! record and its `deliver` record (or the `drop` record of a message lost in flight) carry
//! the same `msg_id`, so a trace rebuilds every exchange; a message dropped as it is sent
//! (partition, loss) has a `drop` record and no id. The schema is documented in
//! `docs/scenario-format.md` (The event trace).

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::ids::NodeId;
use crate::names::NodeNames;
use crate::time::SimTime;

/// A message's fields as the trace shows them; implemented for every
/// [`Message`](crate::Message) through [`Message::trace_fields`](crate::Message::trace_fields).
pub trait TraceMessage {
    /// Writes the message's fields: a `type` first, then whatever identifies it.
    fn write_fields(&self, out: &mut TraceFields<'_>);
}

impl<M: crate::Message> TraceMessage for M {
    fn write_fields(&self, out: &mut TraceFields<'_>) {
        self.trace_fields(out);
    }
}

/// What a fault record says.
#[derive(Clone, Copy, Debug)]
pub struct FaultTrace<'a> {
    /// The fault's logged kind (`crash`, `partition`, ...).
    pub kind: &'static str,
    /// What it did, for people (nodes by name).
    pub description: &'a str,
    /// The nodes it acted on.
    pub nodes: &'a [NodeId],
    /// When its effect ends, if it has a known end.
    pub end: Option<SimTime>,
}

/// One thing that happened, as the trace sees it. Fields that do not apply are `None`.
#[derive(Clone, Copy, Default)]
pub struct TraceRecord<'a> {
    /// When.
    pub time: SimTime,
    /// The engine's sequence number for it: an event's own; for a send, its delivery's; for
    /// a fault or a drop at send time, the next number the engine will issue.
    pub seq: u64,
    /// `start`, `send`, `deliver`, `drop`, `timer`, `work_done`, `fault`, `fault_end`.
    pub kind: &'static str,
    /// The node it happened at: the sender of a send, the receiver of a delivery or drop.
    pub node: Option<NodeId>,
    /// The sender, for messages.
    pub from: Option<NodeId>,
    /// The receiver, for messages.
    pub to: Option<NodeId>,
    /// The message's id (its delivery event's sequence number).
    pub msg_id: Option<u64>,
    /// The message.
    pub msg: Option<&'a dyn TraceMessage>,
    /// Its size on the wire.
    pub size_bytes: Option<u64>,
    /// A send: when it is due to arrive.
    pub arrive: Option<SimTime>,
    /// A send: this is the extra copy the network's duplication made.
    pub copy: bool,
    /// A drop: why (`partition`, `loss`, `receiver_down`).
    pub cause: Option<&'static str>,
    /// A timer: the tag its node set it with.
    pub timer_tag: Option<u64>,
    /// A fault or the end of one.
    pub fault: Option<FaultTrace<'a>>,
}

/// Receives trace records.
pub trait TraceSink {
    /// Takes one record.
    fn record(&mut self, record: &TraceRecord<'_>);
}

/// Node names, each built once and then copied from here (a trace names millions of nodes).
struct NameCache {
    names: NodeNames,
    built: Vec<Option<Box<str>>>,
}

impl NameCache {
    fn get(&mut self, node: NodeId) -> &str {
        let idx = node.idx();
        if idx >= self.built.len() {
            self.built.resize(idx + 1, None);
        }
        let names = &self.names;
        self.built[idx].get_or_insert_with(|| names.name(node).into_boxed_str())
    }
}

/// A message's fields being written into a JSON object.
pub struct TraceFields<'a> {
    out: &'a mut String,
    names: &'a mut NameCache,
    first: bool,
}

impl TraceFields<'_> {
    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        escape_json_into(key, self.out);
        self.out.push_str("\":");
    }

    /// A text field.
    pub fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        self.out.push('"');
        escape_json_into(value, self.out);
        self.out.push('"');
    }

    /// A number field.
    pub fn u64(&mut self, key: &str, value: u64) {
        self.key(key);
        let _ = write!(self.out, "{value}");
    }

    /// A node field, written as the node's name (`clients[3]`).
    pub fn node(&mut self, key: &str, node: NodeId) {
        self.key(key);
        self.out.push('"');
        escape_json_into(self.names.get(node), self.out);
        self.out.push('"');
    }

    /// A time field, in nanoseconds (`key` should end in `_ns`).
    pub fn time(&mut self, key: &str, time: SimTime) {
        self.u64(key, time.0);
    }
}

/// Writes each record as one JSON object per line, keys in a fixed order:
///
/// ```text
/// {"t_ns":1500,"seq":7,"kind":"deliver","node":"servers[0]","from":"clients[3]","to":"servers[0]","msg_id":7,"size_bytes":64,"msg":{"type":"request","request":12,...}}
/// ```
///
/// The first write error stops the trace; [`JsonLinesTrace::finish`] returns it.
pub struct JsonLinesTrace<W: Write> {
    out: W,
    names: NameCache,
    line: String,
    records: u64,
    error: Option<io::Error>,
}

impl<W: Write> JsonLinesTrace<W> {
    /// A trace writing into `out` (wrap files in a `BufWriter`), nodes as `node N`.
    pub fn new(out: W) -> Self {
        Self::with_names(out, NodeNames::default())
    }

    /// A trace writing into `out` that names nodes by `names`.
    pub fn with_names(out: W, names: NodeNames) -> Self {
        JsonLinesTrace {
            out,
            names: NameCache {
                names,
                built: Vec::new(),
            },
            line: String::new(),
            records: 0,
            error: None,
        }
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Flushes and returns the writer, or the first error met.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.out.flush()?;
        Ok(self.out)
    }

    fn node_field(&mut self, key: &str, node: Option<NodeId>) {
        if let Some(node) = node {
            let _ = write!(self.line, ",\"{key}\":\"");
            escape_json_into(self.names.get(node), &mut self.line);
            self.line.push('"');
        }
    }
}

impl<W: Write> TraceSink for JsonLinesTrace<W> {
    fn record(&mut self, record: &TraceRecord<'_>) {
        if self.error.is_some() {
            return;
        }
        self.line.clear();
        // Writing into a String cannot fail.
        let _ = write!(
            self.line,
            "{{\"t_ns\":{},\"seq\":{},\"kind\":\"{}\"",
            record.time.0, record.seq, record.kind
        );
        self.node_field("node", record.node);
        self.node_field("from", record.from);
        self.node_field("to", record.to);
        if let Some(id) = record.msg_id {
            let _ = write!(self.line, ",\"msg_id\":{id}");
        }
        if let Some(size) = record.size_bytes {
            let _ = write!(self.line, ",\"size_bytes\":{size}");
        }
        if let Some(arrive) = record.arrive {
            let _ = write!(self.line, ",\"arrive_ns\":{}", arrive.0);
        }
        if record.copy {
            self.line.push_str(",\"copy\":true");
        }
        if let Some(cause) = record.cause {
            let _ = write!(self.line, ",\"cause\":\"{cause}\"");
        }
        if let Some(tag) = record.timer_tag {
            let _ = write!(self.line, ",\"tag\":{tag}");
        }
        if let Some(fault) = &record.fault {
            let _ = write!(
                self.line,
                ",\"fault\":\"{}\",\"description\":\"",
                fault.kind
            );
            escape_json_into(fault.description, &mut self.line);
            self.line.push_str("\",\"nodes\":[");
            for (i, node) in fault.nodes.iter().enumerate() {
                if i > 0 {
                    self.line.push(',');
                }
                self.line.push('"');
                escape_json_into(self.names.get(*node), &mut self.line);
                self.line.push('"');
            }
            self.line.push(']');
            if let Some(end) = fault.end {
                let _ = write!(self.line, ",\"end_ns\":{}", end.0);
            }
        }
        if let Some(msg) = record.msg {
            self.line.push_str(",\"msg\":{");
            let mut fields = TraceFields {
                out: &mut self.line,
                names: &mut self.names,
                first: true,
            };
            msg.write_fields(&mut fields);
            self.line.push('}');
        }
        self.line.push_str("}\n");
        self.records += 1;
        if let Err(error) = self.out.write_all(self.line.as_bytes()) {
            self.error = Some(error);
        }
    }
}

/// Appends `text` to `out` with JSON string escaping.
pub fn escape_json_into(text: &str, out: &mut String) {
    if !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(text);
        return;
    }
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

    #[derive(Clone, Debug)]
    struct Ping(u64);

    impl crate::Message for Ping {
        fn size_bytes(&self) -> u64 {
            64
        }
        fn trace_fields(&self, out: &mut TraceFields<'_>) {
            out.str("type", "ping \"x\"");
            out.u64("n", self.0);
            out.node("origin", NodeId(1));
        }
    }

    // Goal: one valid JSON object per record, nodes by name, message fields typed, quotes
    // escaped.
    #[test]
    fn writes_named_typed_json_lines() {
        let names = NodeNames::new([("c".to_string(), 0, 2), ("s".to_string(), 2, 1)]);
        let mut trace = JsonLinesTrace::with_names(Vec::new(), names);
        trace.record(&TraceRecord {
            time: SimTime(5),
            seq: 2,
            kind: "deliver",
            node: Some(NodeId(2)),
            from: Some(NodeId(1)),
            to: Some(NodeId(2)),
            msg_id: Some(2),
            msg: Some(&Ping(4)),
            size_bytes: Some(64),
            ..TraceRecord::default()
        });
        assert_eq!(trace.records(), 1);
        let text = String::from_utf8(trace.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "{\"t_ns\":5,\"seq\":2,\"kind\":\"deliver\",\"node\":\"s[0]\",\"from\":\"c[1]\",\
             \"to\":\"s[0]\",\"msg_id\":2,\"size_bytes\":64,\"msg\":{\"type\":\"ping \\\"x\\\"\",\
             \"n\":4,\"origin\":\"c[1]\"}}\n"
        );
    }
}
