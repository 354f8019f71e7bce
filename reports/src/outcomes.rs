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
        let count = |n: u64| Some((Some(n as f64), MetricUnit::Count));
        match name {
            "issued" => count(self.issued),
            "ok" => count(self.ok),
            "miss" => count(self.miss),
            "timeout" => count(self.timeout),
            "rejected" => count(self.rejected),
            "error" => count(self.error),
            "lost" => count(self.lost),
            "failed" => count(self.failed),
            "in_flight" => count(self.in_flight),
            "in_flight_at_start" => count(self.in_flight_at_start),
            "success_ratio" => Some((self.success_ratio, MetricUnit::Ratio)),
            "error_ratio" => Some((self.error_ratio, MetricUnit::Ratio)),
            _ => None,
        }
    }
}

/// Every field of an outcome entry a check can name, with which way it gets worse and what
/// it is.
pub const OUTCOME_FIELDS: [(&str, Direction, &str); 12] = [
    (
        "issued",
        Direction::Neutral,
        "requests issued (the offered load)",
    ),
    (
        "ok",
        Direction::LowerIsWorse,
        "requests answered successfully",
    ),
    ("miss", Direction::Neutral, "requests answered \"not here\""),
    (
        "timeout",
        Direction::HigherIsWorse,
        "requests abandoned at their timeout",
    ),
    (
        "rejected",
        Direction::HigherIsWorse,
        "requests refused for load",
    ),
    (
        "error",
        Direction::HigherIsWorse,
        "requests nothing could serve",
    ),
    (
        "lost",
        Direction::HigherIsWorse,
        "requests lost with their issuer",
    ),
    (
        "failed",
        Direction::HigherIsWorse,
        "timeout + rejected + error + lost",
    ),
    (
        "in_flight",
        Direction::Neutral,
        "requests outstanding at the end",
    ),
    (
        "in_flight_at_start",
        Direction::Neutral,
        "requests outstanding at the end of the warm-up",
    ),
    (
        "success_ratio",
        Direction::LowerIsWorse,
        "(ok + miss) / requests that ended",
    ),
    (
        "error_ratio",
        Direction::HigherIsWorse,
        "failed / requests that ended",
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
    let (name, entry) = outcomes
        .iter()
        .filter(|(name, _)| {
            metric.len() > name.len() + 1
                && metric.starts_with(name.as_str())
                && metric.as_bytes()[name.len()] == b'.'
        })
        .max_by_key(|(name, _)| name.len())?;
    Some((name.as_str(), entry, &metric[name.len() + 1..]))
}

/// The whole population's tally among `outcomes`: `requests.all` if present, else the first
/// unlabelled tally named `*.all`.
pub fn overall(outcomes: &BTreeMap<String, OutcomeEntry>) -> Option<(&str, &OutcomeEntry)> {
    outcomes
        .get_key_value("requests.all")
        .or_else(|| {
            outcomes
                .iter()
                .find(|(name, _)| name.ends_with(".all") && !name.contains('{'))
        })
        .map(|(name, entry)| (name.as_str(), entry))
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
    let failures: Vec<String> = [
        (entry.timeout, "timeout", "timeouts"),
        (entry.rejected, "rejected", "rejected"),
        (entry.error, "error", "errors"),
        (entry.lost, "lost", "lost"),
    ]
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

/// A ratio as a percentage people read: `98.6%`, `100%`, `0.012%`; never rounds a failure
/// away to 100% or a success to 0%.
pub fn percent(ratio: f64) -> String {
    let pct = ratio * 100.0;
    let text = if (99.95..100.0).contains(&pct) || (pct > 0.0 && pct < 0.1) {
        format!("{pct:.3}")
    } else {
        format!("{pct:.1}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}%")
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
        assert_eq!(percent(0.0001), "0.01%");
        assert_eq!(percent(0.5), "50%");
        assert_eq!(
            outcome_line(&entry(0, 0, 3)),
            "no requests ended (3 issued)"
        );
    }
}
