//! `distsim trace FILE --html OUT`: a message-sequence (Lamport) diagram of a window of an
//! event trace, as one self-contained page.
//!
//! One vertical lifeline per node, time flowing down; every message an arrow from its sender
//! at the send time to its receiver at the arrival time — blue requests, green responses,
//! grey probes, purple anything else — ending in a red cross where it was dropped, with the
//! cause; faults are red marks across the lifelines they act on. Clicking a message (or
//! focusing it and pressing Enter) shows its trace records' fields beside the diagram. The
//! page is inline SVG, CSS and one small script, with no external references, so it opens
//! from a CI artifact. It draws at most [`MESSAGES_MAX`] messages: past that an arrow is a
//! hair's width and the page unusable, so the caller is told how to narrow the window.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::format::html_escape as esc;

/// Most messages one page draws.
pub const MESSAGES_MAX: usize = 2_000;

/// Horizontal room per lifeline and around the diagram, in pixels.
const COLUMN_PX: f64 = 150.0;
const LEFT_PX: f64 = 90.0;
const TOP_PX: f64 = 60.0;
/// Vertical room per message, within bounds.
const ROW_PX: f64 = 16.0;
const HEIGHT_MIN_PX: f64 = 400.0;
const HEIGHT_MAX_PX: f64 = 24_000.0;

/// Why no page was drawn.
#[derive(Debug, PartialEq, Eq)]
pub enum TracePageError {
    /// More messages than [`MESSAGES_MAX`].
    TooMany {
        /// How many the records hold.
        messages: usize,
    },
    /// The records hold no message at all.
    Empty,
}

impl std::fmt::Display for TracePageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TracePageError::TooMany { messages } => write!(
                f,
                "the window holds {messages} messages, more than the {MESSAGES_MAX} a diagram can show; narrow it with --from/--to (a shorter window), --node or --request"
            ),
            TracePageError::Empty => {
                f.write_str("no message is sent or delivered in the selected records")
            }
        }
    }
}

/// One arrow: where it starts and ends, how it ended, and the records behind it.
struct Arrow {
    from: String,
    to: String,
    /// Sent before the records begin: drawn dashed from their first moment.
    earlier: bool,
    start_ns: u64,
    end_ns: u64,
    /// `request`, `response`, ... (the message's `type`).
    kind: String,
    /// The drop's cause, if it was dropped.
    dropped: Option<String>,
    /// The records (send, deliver or drop) it was drawn from.
    records: Vec<Value>,
}

/// Whether `record` starts a message of its own in the diagram: a send, or a drop at send
/// time (which has no message id). Deliveries and in-flight drops end a send's arrow.
pub fn starts_message(record: &Value) -> bool {
    record["kind"] == "send" || (record["kind"] == "drop" && record["msg_id"].is_null())
}

/// Builds the arrows: a send and its delivery or drop (by `msg_id`) make one; a delivery or
/// drop whose send is outside the records starts at the top; a drop at send time is a stub.
fn arrows(records: &[Value]) -> Vec<Arrow> {
    let text = |r: &Value, key: &str| r[key].as_str().unwrap_or("").to_string();
    let t = |r: &Value, key: &str| r[key].as_u64().unwrap_or(0);
    let mut by_id: BTreeMap<u64, usize> = BTreeMap::new();
    let mut arrows: Vec<Arrow> = Vec::new();
    for r in records {
        let kind = r["kind"].as_str().unwrap_or("");
        if !matches!(kind, "send" | "deliver" | "drop") {
            continue;
        }
        let id = r["msg_id"].as_u64();
        if let Some(&at) = id.and_then(|id| by_id.get(&id)) {
            let arrow: &mut Arrow = &mut arrows[at];
            arrow.end_ns = t(r, "t_ns");
            if kind == "drop" {
                arrow.dropped = Some(text(r, "cause"));
            }
            arrow.records.push(r.clone());
            continue;
        }
        // A delivery or drop whose send is not among the records was sent before them: it
        // is drawn dashed from the top of the window (`None` until the window is known).
        let start = starts_message(r).then(|| t(r, "t_ns"));
        let end = match kind {
            "send" => t(r, "arrive_ns"),
            _ => t(r, "t_ns"),
        };
        let arrow = Arrow {
            from: text(r, "from"),
            to: text(r, "to"),
            earlier: start.is_none(),
            start_ns: start.map_or(0, |s| s.min(end)),
            end_ns: end,
            kind: r["msg"]["type"].as_str().unwrap_or("message").to_string(),
            dropped: (kind == "drop").then(|| text(r, "cause")),
            records: vec![r.clone()],
        };
        if let Some(id) = id {
            by_id.insert(id, arrows.len());
        }
        arrows.push(arrow);
    }
    arrows
}

/// The lifelines, in trace order of first appearance by group, then by index in the group.
fn lifelines(arrows: &[Arrow], faults: &[&Value]) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    let mut nodes: Vec<String> = Vec::new();
    let fault_nodes = faults
        .iter()
        .flat_map(|f| f["nodes"].as_array().into_iter().flatten())
        .filter_map(|n| n.as_str().map(str::to_string));
    let named = arrows
        .iter()
        .flat_map(|a| [a.from.clone(), a.to.clone()])
        .chain(fault_nodes);
    for name in named {
        let group = name.split('[').next().unwrap_or("").to_string();
        if !groups.contains(&group) {
            groups.push(group);
        }
        if !nodes.contains(&name) {
            nodes.push(name);
        }
    }
    let key = |name: &String| {
        let (group, rest) = name.split_once('[').unwrap_or((name, ""));
        let index: u64 = rest.trim_end_matches(']').parse().unwrap_or(0);
        (groups.iter().position(|g| g == group), index, name.clone())
    };
    nodes.sort_by_key(key);
    nodes
}

fn color(kind: &str) -> &'static str {
    match kind {
        "request" => "#4e79a7",
        "response" => "#59a14f",
        "probe" | "probe_ack" => "#9a9a9a",
        _ => "#b07aa1",
    }
}

/// The page for `records` (a filtered trace), titled `title`.
pub fn trace_page(records: &[Value], title: &str) -> Result<String, TracePageError> {
    let mut arrows = arrows(records);
    let first = records
        .iter()
        .filter_map(|r| r["t_ns"].as_u64())
        .min()
        .unwrap_or(0);
    for arrow in arrows.iter_mut().filter(|a| a.earlier) {
        arrow.start_ns = first.min(arrow.end_ns);
    }
    if arrows.len() > MESSAGES_MAX {
        return Err(TracePageError::TooMany {
            messages: arrows.len(),
        });
    }
    if arrows.is_empty() {
        return Err(TracePageError::Empty);
    }
    let faults: Vec<&Value> = records.iter().filter(|r| r["kind"] == "fault").collect();
    let nodes = lifelines(&arrows, &faults);
    let column = |name: &str| nodes.iter().position(|n| n == name).unwrap_or(0);
    let t0 = arrows.iter().map(|a| a.start_ns).min().unwrap_or(0);
    let t1 = arrows
        .iter()
        .map(|a| a.end_ns)
        .chain(faults.iter().filter_map(|f| f["t_ns"].as_u64()))
        .max()
        .unwrap_or(t0)
        .max(t0 + 1);
    let height = (arrows.len() as f64 * ROW_PX).clamp(HEIGHT_MIN_PX, HEIGHT_MAX_PX);
    let width = LEFT_PX * 2.0 + COLUMN_PX * nodes.len().max(1) as f64;
    let x = |name: &str| LEFT_PX + COLUMN_PX * (column(name) as f64 + 0.5);
    let y = |t: u64| TOP_PX + (t.saturating_sub(t0)) as f64 / (t1 - t0) as f64 * height;
    let mut svg = String::new();
    let total = TOP_PX * 2.0 + height;
    let _ = write!(
        svg,
        "<svg id=\"diagram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" \
         height=\"{total:.0}\" viewBox=\"0 0 {width:.0} {total:.0}\" role=\"img\" \
         aria-label=\"message sequence diagram\">\n<defs><marker id=\"head\" viewBox=\"0 0 10 10\" \
         refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n"
    );
    // Time ticks on the left, in milliseconds.
    for i in 0..=10u64 {
        let t = t0 + (t1 - t0) * i / 10;
        let _ = writeln!(
            svg,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\">{:.3} ms</text>",
            LEFT_PX - 8.0,
            y(t) + 4.0,
            t as f64 / 1e6
        );
    }
    for name in &nodes {
        let cx = x(name);
        let _ = writeln!(
            svg,
            "<line class=\"life\" x1=\"{cx:.1}\" y1=\"{:.1}\" x2=\"{cx:.1}\" y2=\"{:.1}\"/>\
             <text class=\"node\" x=\"{cx:.1}\" y=\"{:.1}\">{}</text>",
            TOP_PX - 10.0,
            TOP_PX + height,
            TOP_PX - 20.0,
            esc(name)
        );
    }
    for fault in &faults {
        let fy = y(fault["t_ns"].as_u64().unwrap_or(t0));
        for node in fault["nodes"].as_array().into_iter().flatten() {
            let Some(node) = node.as_str() else { continue };
            let cx = x(node);
            let _ = writeln!(
                svg,
                "<rect class=\"fault\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"4\"><title>{}</title></rect>",
                cx - COLUMN_PX * 0.4,
                fy - 2.0,
                COLUMN_PX * 0.8,
                esc(fault["description"].as_str().unwrap_or("fault"))
            );
        }
    }
    for (i, arrow) in arrows.iter().enumerate() {
        let (x1, y1, x2, y2) = (
            x(&arrow.from),
            y(arrow.start_ns),
            x(&arrow.to),
            y(arrow.end_ns),
        );
        // A message to itself loops out to the right.
        let (x2, y2) = if arrow.from == arrow.to {
            (x2 + 30.0, y2.max(y1 + 6.0))
        } else {
            (x2, y2)
        };
        let stroke = color(&arrow.kind);
        let label = format!(
            "{} {} → {}{}",
            arrow.kind,
            arrow.from,
            arrow.to,
            arrow
                .dropped
                .as_ref()
                .map_or(String::new(), |c| format!(" (dropped: {c})"))
        );
        let _ = write!(
            svg,
            "<g class=\"msg\" data-i=\"{i}\" tabindex=\"0\"><title>{}</title>\
             <line class=\"hit\" x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\"/>\
             <line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{stroke}\"{}{}/>",
            esc(&label),
            if arrow.earlier {
                " stroke-dasharray=\"5 4\""
            } else {
                ""
            },
            if arrow.dropped.is_none() {
                " marker-end=\"url(#head)\""
            } else {
                ""
            }
        );
        if arrow.dropped.is_some() {
            let _ = write!(
                svg,
                "<path class=\"drop\" d=\"M{:.1},{:.1} l8,8 m0,-8 l-8,8\"/>",
                x2 - 4.0,
                y2 - 4.0
            );
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("</svg>\n");
    let data: Vec<Value> = arrows
        .iter()
        .map(|a| Value::Array(a.records.clone()))
        .collect();
    let json = serde_json::to_string(&data)
        .expect("trace records serialise")
        .replace("</", "<\\/");
    let dropped = arrows.iter().filter(|a| a.dropped.is_some()).count();
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>distsim trace · {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>{title}</h1><p class=\"sub\">{} messages ({} dropped) between {} nodes, \
         {:.3}–{:.3} ms. Click a message for its fields.</p>\
         <p class=\"legend\"><span style=\"color:#4e79a7\">■ request</span> \
         <span style=\"color:#59a14f\">■ response</span> <span style=\"color:#9a9a9a\">■ probe</span> \
         <span style=\"color:#b07aa1\">■ other</span> <span style=\"color:#d62728\">✕ dropped</span> \
         <span style=\"color:#d62728\">▬ fault</span></p></header>\n\
         <div class=\"split\"><div class=\"scroll\">{svg}</div>\
         <aside><h2>Message</h2><pre id=\"details\">Click a message.</pre></aside></div>\n\
         <script>\nconst RECORDS = {json};\n{SCRIPT}</script>\n</body>\n</html>\n",
        arrows.len(),
        dropped,
        nodes.len(),
        t0 as f64 / 1e6,
        t1 as f64 / 1e6,
        title = esc(title),
    );
    Ok(page)
}

const STYLE: &str = r#"
body { margin: 0; font: 14px/1.45 "DejaVu Sans", -apple-system, "Segoe UI", sans-serif; color: #222; background: #fbfbfc; }
header { padding: 16px 24px 4px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 16px; margin: 0 0 8px; }
.sub, .legend { color: #666; margin: 4px 0; }
.split { display: flex; gap: 16px; padding: 8px 24px 24px; align-items: flex-start; }
.scroll { flex: 1; overflow: auto; max-height: 85vh; background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; }
aside { width: 380px; position: sticky; top: 8px; background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 12px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 "DejaVu Sans Mono", monospace; }
.life { stroke: #ccc; stroke-width: 1; }
.node { font-size: 12px; text-anchor: middle; fill: #333; }
.tick { font-size: 11px; text-anchor: end; fill: #777; }
.msg line { stroke-width: 1.6; }
.msg line.hit { stroke: transparent; stroke-width: 9; }
.msg { cursor: pointer; }
.msg:hover line:not(.hit), .msg.selected line:not(.hit) { stroke-width: 3.2; }
.msg:focus { outline: none; }
.drop { stroke: #d62728; stroke-width: 2; fill: none; }
.fault { fill: #d62728; opacity: 0.8; }
"#;

const SCRIPT: &str = r#"
const details = document.getElementById('details');
function show(g) {
  document.querySelectorAll('.msg.selected').forEach(e => e.classList.remove('selected'));
  g.classList.add('selected');
  details.textContent = RECORDS[Number(g.dataset.i)].map(r => JSON.stringify(r, null, 2)).join('\n\n');
}
document.querySelectorAll('.msg').forEach(g => {
  g.addEventListener('click', () => show(g));
  g.addEventListener('keydown', e => { if (e.key === 'Enter') show(g); });
});
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    // Goal: a send and its delivery are one arrow; a drop in flight ends the arrow with its
    // cause; the page embeds every arrow's records; too many messages are refused with how
    // to narrow the window.
    #[test]
    fn pairs_sends_with_deliveries_and_bounds_the_page() {
        let records = vec![
            rec(
                r#"{"t_ns":0,"seq":1,"kind":"send","from":"c[0]","to":"s[0]","msg_id":1,"arrive_ns":10,"msg":{"type":"request","request":1}}"#,
            ),
            rec(
                r#"{"t_ns":10,"seq":1,"kind":"deliver","from":"c[0]","to":"s[0]","msg_id":1,"msg":{"type":"request","request":1}}"#,
            ),
            rec(
                r#"{"t_ns":12,"seq":2,"kind":"send","from":"s[0]","to":"c[0]","msg_id":2,"arrive_ns":22,"msg":{"type":"response","request":1}}"#,
            ),
            rec(
                r#"{"t_ns":22,"seq":2,"kind":"drop","from":"s[0]","to":"c[0]","msg_id":2,"cause":"receiver_down","msg":{"type":"response","request":1}}"#,
            ),
            rec(
                r#"{"t_ns":20,"seq":9,"kind":"fault","fault":"crash","description":"crash c[0]","nodes":["c[0]"]}"#,
            ),
        ];
        let arrows = arrows(&records);
        assert_eq!(arrows.len(), 2);
        assert_eq!((arrows[0].start_ns, arrows[0].end_ns), (0, 10));
        assert_eq!(arrows[0].records.len(), 2);
        assert_eq!(arrows[1].dropped.as_deref(), Some("receiver_down"));
        let page = trace_page(&records, "t").unwrap();
        assert_eq!(page.matches("class=\"msg\"").count(), 2);
        assert!(page.contains("class=\"fault\""));
        // The dropped one is drawn as dropped: a cross, no arrow head, its cause in the title,
        // and the header counts it.
        assert_eq!(page.matches("class=\"drop\"").count(), 1);
        assert_eq!(page.matches("marker-end=\"url(#head)\"").count(), 1);
        assert!(page.contains("<title>response s[0] → c[0] (dropped: receiver_down)</title>"));
        assert!(page.contains("2 messages (1 dropped)"));
        let many: Vec<Value> = (0..=MESSAGES_MAX as u64)
            .map(|i| {
                rec(&format!(
                    r#"{{"t_ns":{i},"seq":{i},"kind":"send","from":"a[0]","to":"b[0]","msg_id":{i},"arrive_ns":{i},"msg":{{"type":"request"}}}}"#
                ))
            })
            .collect();
        let error = trace_page(&many, "t").unwrap_err();
        assert_eq!(
            error,
            TracePageError::TooMany {
                messages: MESSAGES_MAX + 1
            }
        );
        assert!(error.to_string().contains("--from/--to"));
        assert_eq!(trace_page(&[], "t").unwrap_err(), TracePageError::Empty);
    }
}
