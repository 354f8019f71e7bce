//! Request outcomes in the outputs: `results.json`'s `outcomes` section, the metrics a check can
//! name in it (`requests.read.timeout`, `requests.all{group=eu}.error_ratio`), and the
//! one-line verdict the terminal and the report open with.
//!
//! Outcomes are an engine concept (`sim_core::Outcome`): any family that issues requests
//! registers a tally linked to the latency histogram of its successful requests, so nothing
//! here names a model's metric. A latency summary is only half a result: these put the
//! requests that failed beside it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim_core::{Metrics, Outcome, OutcomeTally};

use crate::meaning::{Direction, MetricUnit};

/// What `results.json` says every entry of `outcomes` satisfies.
pub const OUTCOMES_INVARIANT: &str =
    "in_flight_at_start + issued = ok + miss + timeout + rejected + error + lost + in_flight";

/// How the requests of one tally ended (`requests.read`, `requests.all{group=eu-users}`).
/// Field order is alphabetical, matching the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutcomeEntry {
    /// Failed: nothing could serve it (`unavailable`, no replica).
    pub error: u64,
    /// `failed / ended`: the share of ended requests that failed; `None` if none ended.
    pub error_ratio: Option<f64>,
    /// Timeout + rejected + error + lost.
    pub failed: u64,
    /// Still outstanding at the end of the run.
    pub in_flight: u64,
    /// Outstanding when the totals were reset (the end of the warm-up).
    pub in_flight_at_start: u64,
    /// Requests issued.
    pub issued: u64,
    /// The histogram of the successful requests' latency, if linked.
    pub latency: Option<String>,
    /// Lost with their issuer (it crashed while waiting).
    pub lost: u64,
    /// Answered "not here" (a look-aside cache's miss): an answer, not a failure.
    pub miss: u64,
    /// Answered successfully: the latency histogram's count.
    pub ok: u64,
    /// Refused for load (a full queue, a rate limit).
    pub rejected: u64,
    /// `(ok + miss) / ended`; `None` if none ended.
    pub success_ratio: Option<f64>,
    /// Abandoned at their timeout.
    pub timeout: u64,
}

impl OutcomeEntry {
    /// The entry for a tally.
    pub fn of(tally: &OutcomeTally, latency: Option<&str>) -> Self {
        let ended = tally.ended_total();
        let ratio = |n: u64| (ended > 0).then(|| n as f64 / ended as f64);
        let answered = tally.count(Outcome::Ok) + tally.count(Outcome::Miss);
        OutcomeEntry {
            error: tally.count(Outcome::Error),
            error_ratio: ratio(tally.failed()),
            failed: tally.failed(),
            // A model that ended a request twice breaks the invariant; the books then show it
            // (the sum exceeds what was issued) rather than the writer failing.
            in_flight: tally.in_flight().unwrap_or(0),
            in_flight_at_start: tally.in_flight_at_start,
            issued: tally.issued,
            latency: latency.map(str::to_string),
            lost: tally.count(Outcome::Lost),
            miss: tally.count(Outcome::Miss),
            ok: tally.count(Outcome::Ok),
            rejected: tally.count(Outcome::Rejected),
            success_ratio: ratio(answered),
            timeout: tally.count(Outcome::Timeout),
        }
    }

    /// Requests that ended, every outcome.
    pub fn ended(&self) -> u64 {
        self.ok + self.miss + self.timeout + self.rejected + self.error + self.lost
    }

    /// Whether the books balance ([`OUTCOMES_INVARIANT`]).
    pub fn balances(&self) -> bool {
        self.in_flight_at_start + self.issued == self.ended() + self.in_flight
    }

    /// Field `name` as a check sees it: its value (`None` for a ratio of nothing) and unit;
    /// `None` if there is no such field.
    pub fn field(&self, name: &str) -> Option<(Option<f64>, MetricUnit)> {
        let (_, _, _, read) = OUTCOME_FIELDS.iter().find(|(field, ..)| *field == name)?;
        Some(read(self))
    }

    /// The failure outcomes with their counts, singular and plural names, in results order.
    fn failures(&self) -> [(u64, &'static str, &'static str); 4] {
        [
            (self.timeout, "timeout", "timeouts"),
            (self.rejected, "rejected", "rejected"),
            (self.error, "error", "errors"),
            (self.lost, "lost", "lost"),
        ]
    }
}

/// How a check reads one field of an entry: its value and unit.
type ReadField = fn(&OutcomeEntry) -> (Option<f64>, MetricUnit);

/// A count field's value.
fn count(n: u64) -> (Option<f64>, MetricUnit) {
    (Some(n as f64), MetricUnit::Count)
}

/// Every field of an outcome entry a check can name, with which way it gets worse, what it
/// is, and how to read it.
pub const OUTCOME_FIELDS: [(&str, Direction, &str, ReadField); 12] = [
    (
        "issued",
        Direction::Neutral,
        "requests issued (the offered load)",
        |e| count(e.issued),
    ),
    (
        "ok",
        Direction::LowerIsWorse,
        "requests answered successfully",
        |e| count(e.ok),
    ),
    (
        "miss",
        Direction::Neutral,
        "requests answered \"not here\"",
        |e| count(e.miss),
    ),
    (
        "timeout",
        Direction::HigherIsWorse,
        "requests abandoned at their timeout",
        |e| count(e.timeout),
    ),
    (
        "rejected",
        Direction::HigherIsWorse,
        "requests refused for load",
        |e| count(e.rejected),
    ),
    (
        "error",
        Direction::HigherIsWorse,
        "requests nothing could serve",
        |e| count(e.error),
    ),
    (
        "lost",
        Direction::HigherIsWorse,
        "requests lost with their issuer",
        |e| count(e.lost),
    ),
    (
        "failed",
        Direction::HigherIsWorse,
        "timeout + rejected + error + lost",
        |e| count(e.failed),
    ),
    (
        "in_flight",
        Direction::Neutral,
        "requests outstanding at the end",
        |e| count(e.in_flight),
    ),
    (
        "in_flight_at_start",
        Direction::Neutral,
        "requests outstanding at the end of the warm-up",
        |e| count(e.in_flight_at_start),
    ),
    (
        "success_ratio",
        Direction::LowerIsWorse,
        "(ok + miss) / requests that ended",
        |e| (e.success_ratio, MetricUnit::Ratio),
    ),
    (
        "error_ratio",
        Direction::HigherIsWorse,
        "failed / requests that ended",
        |e| (e.error_ratio, MetricUnit::Ratio),
    ),
];

/// The outcome fields a baseline keeps per tally: enough to catch more failures (any kind) or
/// a higher share of them, without a dozen rows per tally. A check can still name any field.
pub const BASELINE_OUTCOME_FIELDS: [&str; 2] = ["failed", "error_ratio"];

/// Every tally of a run, by name.
pub(crate) fn outcomes(metrics: &Metrics) -> BTreeMap<String, OutcomeEntry> {
    metrics
        .outcome_tallies()
        .map(|(name, latency, _, tally)| (name.to_string(), OutcomeEntry::of(tally, latency)))
        .collect()
}

/// The tally a `<tally>.<field>` name is about (the longest that prefixes it) and the field.
pub(crate) fn split_field<'e, 'm>(
    outcomes: &'e BTreeMap<String, OutcomeEntry>,
    metric: &'m str,
) -> Option<(&'e str, &'e OutcomeEntry, &'m str)> {
    crate::results::split_by_name(outcomes, metric)
}

/// Whether tally `name` is a population's: the whole one (`requests.all`) or a group's or
/// region's (`requests.all{group=eu}`), rather than one operation's.
pub(crate) fn is_population(name: &str) -> bool {
    name.split('{')
        .next()
        .is_some_and(|base| base.ends_with(".all"))
}

/// Whether tally `name` is the whole population's: a population tally with no breakdown.
fn is_whole_population(name: &str) -> bool {
    is_population(name) && !name.contains('{')
}

/// A short account of `entry`: `98.6% ok (1,412 of 1,432); 18 timeouts, 2 rejected`, or
/// `no requests ended` when none did.
pub fn outcome_line(entry: &OutcomeEntry) -> String {
    let ended = entry.ended();
    if ended == 0 {
        return format!("no requests ended ({} issued)", entry.issued);
    }
    let answered = entry.ok + entry.miss;
    let mut line = format!(
        "{} ok ({} of {})",
        percent(answered as f64 / ended as f64),
        answered,
        ended
    );
    let failures: Vec<String> = entry
        .failures()
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
    if failures.is_empty() {
        line.push_str("; no failures");
    } else {
        line.push_str("; ");
        line.push_str(&failures.join(", "));
    }
    if entry.miss > 0 {
        line.push_str(&format!(" ({} of the answers were misses)", entry.miss));
    }
    if entry.in_flight > 0 {
        line.push_str(&format!("; {} still in flight at the end", entry.in_flight));
    }
    line
}

/// The run's verdict in one line, for the terminal and the top of `report.html`: how many
/// of the whole population's requests ended ok and, when some failed, each kind of failure's
/// share and where the failures fell — the faults whose windows (plus one timeline window, as
/// failures such as timeouts lag their cause) held most of them:
/// `94.6% ok; 5.37% timeouts — 99.9% of the failures during crash_restart 20–30 s, partition
/// 40–45 s`. `None` when the run tallied no requests.
pub(crate) fn verdict(data: &crate::RunData<'_>) -> Option<String> {
    let metrics = data.metrics;
    // `requests.all` (a client's), else the first whole-population tally by name.
    let (_, _, id, total) = metrics
        .outcome_tallies()
        .find(|(name, _, _, _)| *name == "requests.all")
        .or_else(|| {
            metrics
                .outcome_tallies()
                .find(|(name, _, _, _)| is_whole_population(name))
        })?;
    let entry = OutcomeEntry::of(total, None);
    let ended = entry.ended();
    if ended == 0 {
        return Some(format!("no requests ended ({} issued)", entry.issued));
    }
    let mut line = format!(
        "{} ok",
        percent((entry.ok + entry.miss) as f64 / ended as f64)
    );
    let shares: Vec<String> = entry
        .failures()
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, _, what)| format!("{} {what}", percent(*n as f64 / ended as f64)))
        .collect();
    if shares.is_empty() {
        return Some(line);
    }
    line.push_str("; ");
    line.push_str(&shares.join(", "));
    if let Some(place) = failures_during_faults(data, id) {
        line.push_str(" — ");
        line.push_str(&place);
    }
    Some(line)
}

/// Where tally `id`'s failures fell: the share in windows touched by a fault (its span
/// widened by one window), and those faults, when any are.
fn failures_during_faults(data: &crate::RunData<'_>, id: sim_core::OutcomeId) -> Option<String> {
    let window_ns = data.metrics.window()?.0;
    let windows = data.metrics.windows();
    let spans = crate::timeseries::window_spans(data);
    let failed: Vec<u64> = (0..spans.len())
        .map(|i| windows.get(i).map_or(0, |w| w.outcomes(id).failed()))
        .collect();
    let total: u64 = failed.iter().sum();
    if total == 0 || data.faults.is_empty() {
        return None;
    }
    let touches = |fault: &sim_core::FaultRecord, span: &crate::timeseries::Span| {
        let start = fault.time.as_nanos();
        let end = fault
            .end
            .map_or(start, |e| e.as_nanos())
            .saturating_add(window_ns);
        span.start_ns < end && span.end_ns > start
    };
    let mut during = 0;
    let mut named: Vec<String> = Vec::new();
    for (span, n) in spans.iter().zip(&failed) {
        if *n == 0 {
            continue;
        }
        let faults: Vec<&sim_core::FaultRecord> =
            data.faults.iter().filter(|f| touches(f, span)).collect();
        if faults.is_empty() {
            continue;
        }
        during += n;
        for fault in faults {
            let start = seconds(fault.time.as_nanos());
            let label = match fault.end {
                Some(end) => format!("{} {start}–{} s", fault.kind, seconds(end.as_nanos())),
                None => format!("{} at {start} s", fault.kind),
            };
            if !named.contains(&label) {
                named.push(label);
            }
        }
    }
    if during == 0 {
        return Some("none during a fault".to_string());
    }
    const NAMED_MAX: usize = 3;
    let mut list = named
        .iter()
        .take(NAMED_MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if named.len() > NAMED_MAX {
        list.push_str(&format!(" and {} more", named.len() - NAMED_MAX));
    }
    let share = during as f64 / total as f64;
    Some(format!("{} of the failures during {list}", percent(share)))
}

/// A ratio as a percentage people read: `98.6%`, `100%`, `0.012%`; never rounds a failure
/// away to 100% or a success to 0%.
pub fn percent(ratio: f64) -> String {
    let pct = ratio * 100.0;
    // One decimal, unless that would round a failure away (99.96% is not 100%) or a rare
    // event to nothing (0.0004% is not 0%): then as many as it takes.
    let mut decimals = 1;
    let text = loop {
        let text = format!("{pct:.decimals$}");
        let rounded: f64 = text.parse().expect("a formatted number parses");
        let misleading = (rounded == 100.0 && pct < 100.0) || (rounded == 0.0 && pct > 0.0);
        if !misleading || decimals >= 12 {
            break text;
        }
        decimals += 1;
    };
    format!("{}%", trim_decimals(&text))
}

/// `20.50` → `20.5`, `20.0` → `20`.
fn trim_decimals(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}

/// Simulated seconds for a sentence: `20`, `42.5`, `0.125`.
fn seconds(ns: u64) -> String {
    trim_decimals(&format!("{:.3}", ns as f64 / 1e9))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ok: u64, timeout: u64, in_flight: u64) -> OutcomeEntry {
        let mut tally = OutcomeTally {
            issued: ok + timeout + in_flight,
            ..OutcomeTally::default()
        };
        tally.ended[0] = ok;
        tally.ended[2] = timeout;
        OutcomeEntry::of(&tally, Some("latency.all"))
    }

    // Goal: the entry keeps the books (issued = ended + in flight) and the line says what
    // happened in words, with failures never rounded away.
    #[test]
    fn entries_balance_and_read_as_a_sentence() {
        let e = entry(1412, 18, 2);
        assert!(e.balances());
        assert_eq!((e.in_flight, e.issued, e.ended()), (2, 1432, 1430));
        // Each side of the books counts: an ending or an issue too many is caught.
        for unbalanced in [
            OutcomeEntry {
                lost: 1,
                ..e.clone()
            },
            OutcomeEntry {
                issued: e.issued + 1,
                ..e.clone()
            },
            OutcomeEntry {
                in_flight_at_start: 1,
                ..e.clone()
            },
        ] {
            assert!(!unbalanced.balances(), "{unbalanced:?}");
        }
        assert_eq!(e.failed, 18);
        assert_eq!(e.field("timeout"), Some((Some(18.0), MetricUnit::Count)));
        assert_eq!(e.field("nonsense"), None);
        assert_eq!(
            outcome_line(&e),
            "98.7% ok (1412 of 1430); 18 timeouts; 2 still in flight at the end"
        );
        assert_eq!(
            outcome_line(&entry(10, 0, 0)),
            "100% ok (10 of 10); no failures"
        );
        assert_eq!(percent(0.99999), "99.999%");
        assert_eq!(percent(0.9999962), "99.9996%");
        assert_eq!(percent(0.0001), "0.01%");
        assert_eq!(percent(0.0000038), "0.0004%");
        assert_eq!(percent(0.5), "50%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.986), "98.6%");
        assert_eq!(
            outcome_line(&entry(0, 0, 3)),
            "no requests ended (3 issued)"
        );
    }
}
