//! Metric recording: HDR histograms, counters, and per-window series for timelines.
//!
//! Latencies stream into `hdrhistogram` histograms with 3 significant digits (whole-run ones
//! counted into `hdrhistogram`'s buckets by [`run_histogram`], inline, and read as
//! `hdrhistogram` histograms); raw samples are never kept, so memory does not grow with run
//! length. Metric names are dotted paths (`latency.read`, `net.dropped.partition`).
//! Registering a name returns a small id; the hot path records by id and never looks up a
//! string.
//!
//! When a window length is set, every counter increment and histogram sample is also added to
//! the window it falls in (`time / window`), which is what timeline plots read. Per-window
//! histograms use 2 significant digits (1% value resolution) to keep a long run's timeline
//! small; whole-run histograms keep 3.

mod meaning;
mod outcome;
mod run_histogram;

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

pub use meaning::{
    pattern_matches, DerivedMetric, Direction, Formula, MetricCurve, MetricDecl, MetricKind,
    MetricTable, ENGINE_METRICS,
};
pub use outcome::{Outcome, OutcomeId, OutcomeTally};

use crate::time::{SimDuration, SimTime};
use run_histogram::RunHistogram;

/// Significant digits of whole-run histograms: 0.1% value resolution.
const SIGFIG_RUN: u8 = 3;
/// Significant digits of per-window histograms: 1% resolution at a tenth of the memory.
const SIGFIG_WINDOW: u8 = 2;

/// A registered histogram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HistogramId(u32);

/// A registered counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CounterId(u32);

/// What a metric's values measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    /// Simulated nanoseconds.
    Nanoseconds,
    /// A plain count.
    Count,
    /// Bytes.
    Bytes,
    /// A fraction from 0 to 1 (derived metrics such as hit ratios).
    Ratio,
}

impl Unit {
    /// The unit's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Nanoseconds => "ns",
            Unit::Count => "count",
            Unit::Bytes => "bytes",
            Unit::Ratio => "ratio",
        }
    }
}

/// Counters the engine itself maintains, registered first so their ids are constants.
pub(crate) mod builtin {
    use super::CounterId;
    /// Messages handed to the network (self-sends excluded).
    pub const NET_SENT: CounterId = CounterId(0);
    /// Messages delivered to a node (copies included).
    pub const NET_DELIVERED: CounterId = CounterId(1);
    /// Extra copies the network made.
    pub const NET_DUPLICATED: CounterId = CounterId(2);
    /// Dropped by a partition.
    pub const NET_DROPPED_PARTITION: CounterId = CounterId(3);
    /// Dropped by random loss.
    pub const NET_DROPPED_LOSS: CounterId = CounterId(4);
    /// Dropped because the receiver was down.
    pub const NET_DROPPED_RECEIVER_DOWN: CounterId = CounterId(5);
    /// Work items rejected by a full queue.
    pub const WORK_REJECTED: CounterId = CounterId(6);
    /// Work items dropped by a full queue.
    pub const WORK_DROPPED_QUEUE_FULL: CounterId = CounterId(7);
    /// Work items (queued or in service) lost in a crash.
    pub const WORK_LOST_CRASH: CounterId = CounterId(8);
    /// Faults fired, all kinds.
    pub const FAULTS_FIRED: CounterId = CounterId(9);
    /// Names in id order.
    pub const NAMES: [&str; 10] = [
        "net.sent",
        "net.delivered",
        "net.duplicated",
        "net.dropped.partition",
        "net.dropped.loss",
        "net.dropped.receiver_down",
        "work.rejected",
        "work.dropped.queue_full",
        "work.lost.crash",
        "faults.fired",
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MetricRef {
    Histogram(HistogramId),
    Counter(CounterId),
}

/// One time window's share of every metric.
#[derive(Clone, Debug, Default)]
pub struct Window {
    counters: Vec<u64>,
    histograms: Vec<Option<Histogram<u32>>>,
    outcomes: Vec<OutcomeTally>,
}

impl Window {
    /// This window's increments of counter `id`.
    pub fn counter(&self, id: CounterId) -> u64 {
        self.counters.get(id.0 as usize).copied().unwrap_or(0)
    }

    /// This window's samples of histogram `id`, if it had any.
    pub fn histogram(&self, id: HistogramId) -> Option<&Histogram<u32>> {
        self.histograms.get(id.0 as usize).and_then(Option::as_ref)
    }

    /// The requests tally `id` saw issued and ended in this window.
    pub fn outcomes(&self, id: OutcomeId) -> OutcomeTally {
        self.outcomes
            .get(id.0 as usize)
            .copied()
            .unwrap_or_default()
    }
}

/// One registered histogram: its name, unit, whole-run samples, and whether it is also
/// recorded per window (breakdowns by label are not).
#[derive(Clone, Debug)]
struct RegisteredHistogram {
    name: String,
    unit: Unit,
    histogram: RunHistogram,
    windowed: bool,
}

/// Every metric of one run.
#[derive(Clone, Debug)]
pub struct Metrics {
    by_name: BTreeMap<String, MetricRef>,
    histograms: Vec<RegisteredHistogram>,
    counters: Vec<(String, u64)>,
    outcomes: Vec<outcome::Registered>,
    outcome_names: BTreeMap<String, OutcomeId>,
    window: Option<SimDuration>,
    windows: Vec<Window>,
    /// The index of the run's last window, once its end is known: samples stamped at the end
    /// itself (or later) count in it instead of opening a window of zero length.
    last_window: Option<usize>,
    /// The window the last sample fell in: `[start, end)` in ns and its index, so samples in
    /// the same window (nearly all of them) skip the division.
    cursor: (u64, u64, usize),
    /// The meaning of metrics, by family, in declaration order (first match wins).
    declared: Vec<MetricTable>,
    /// Annotations, in time order (at most [`ANNOTATIONS_MAX`]), and how many more came.
    annotations: Vec<Annotation>,
    annotations_dropped: u64,
}

/// Most annotations a run keeps; later ones are counted, not kept.
pub const ANNOTATIONS_MAX: usize = 10_000;

/// A change of state a model marks on the run's timeline: in `lane` (such as `leader`), from
/// `at` on, `label` (such as `term 3`), about `node` if any. A lane holds one state at a
/// time: each annotation ends the lane's previous one. Reports draw the lanes above the
/// timeline and list them in `results.json`, without knowing what they mean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    /// The lane, such as `leader`.
    pub lane: String,
    /// When the state began.
    pub at: SimTime,
    /// The node it concerns (the new leader), if any.
    pub node: Option<crate::NodeId>,
    /// The state, such as `term 3`; empty for "none".
    pub label: String,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty recorder with the engine's built-in counters and no windows.
    pub fn new() -> Self {
        let mut metrics = Metrics {
            by_name: BTreeMap::new(),
            histograms: Vec::new(),
            counters: Vec::new(),
            outcomes: Vec::new(),
            outcome_names: BTreeMap::new(),
            window: None,
            windows: Vec::new(),
            last_window: None,
            cursor: (0, 0, 0),
            declared: vec![ENGINE_METRICS],
            annotations: Vec::new(),
            annotations_dropped: 0,
        };
        for (i, name) in builtin::NAMES.iter().enumerate() {
            let id = metrics.counter(name);
            assert_eq!(id, CounterId(i as u32), "built-in counter ids are fixed");
        }
        metrics
    }

    /// Marks a change of state on the timeline (see [`Annotation`]); kept up to
    /// [`ANNOTATIONS_MAX`], and counted beyond.
    pub fn annotate(&mut self, annotation: Annotation) {
        if self.annotations.len() < ANNOTATIONS_MAX {
            self.annotations.push(annotation);
        } else {
            self.annotations_dropped += 1;
        }
    }

    /// The annotations kept, in the order they were made (time order), and how many were
    /// dropped beyond [`ANNOTATIONS_MAX`].
    pub fn annotations(&self) -> (&[Annotation], u64) {
        (&self.annotations, self.annotations_dropped)
    }

    /// Declares the meaning (unit, good direction) of a family's metrics, and the metrics
    /// derived from its counters. Declaring the same table twice has no further effect.
    pub fn declare(&mut self, table: MetricTable) {
        if !self.declared.contains(&table) {
            self.declared.push(table);
        }
    }

    /// The declared meaning of `name` as a metric of `kind`: the first matching declaration.
    pub fn meaning(&self, name: &str, kind: MetricKind) -> Option<&MetricDecl> {
        self.declared
            .iter()
            .flat_map(|table| table.recorded)
            .find(|decl| decl.kind == kind && decl.matches(name))
    }

    /// Every declared derived metric, in declaration order.
    pub fn derived(&self) -> impl Iterator<Item = &DerivedMetric> {
        self.declared.iter().flat_map(|table| table.derived)
    }

    /// Every declared curve, in declaration order.
    pub fn curves(&self) -> impl Iterator<Item = &MetricCurve> {
        self.declared.iter().flat_map(|table| table.curves)
    }

    /// Records a per-window series with windows of `window` (e.g. 1 s) from now on.
    pub fn set_window(&mut self, window: SimDuration) {
        assert!(window > SimDuration::ZERO, "a window must be longer than 0");
        self.window = Some(window);
        self.cursor = (0, 0, 0);
    }

    /// Says the run ends at `end`: a sample at `end` exactly (a timer or delivery due at the
    /// last instant) counts in the window holding the run's last nanosecond, so the timeline
    /// has no trailing window holding only the end's instant. Call before running.
    pub fn set_end(&mut self, end: SimTime) {
        self.last_window = match self.window {
            Some(window) if end.0 > 0 => Some(((end.0 - 1) / window.0) as usize),
            _ => None,
        };
        self.cursor = (0, 0, 0);
    }

    /// The window length, if windows are recorded.
    pub fn window(&self) -> Option<SimDuration> {
        self.window
    }

    /// The id of histogram `name`, registering it on first use.
    ///
    /// Panics if `name` is already a counter: one name, one meaning.
    pub fn histogram(&mut self, name: &str, unit: Unit) -> HistogramId {
        self.register_histogram(name, unit, true)
    }

    /// Like [`Metrics::histogram`], for a histogram kept for the whole run only (no timeline
    /// windows): a breakdown by label (`latency.read{group=eu}`) that would multiply the
    /// timeline's memory. A name registered before keeps its first registration's choice.
    pub fn histogram_whole_run(&mut self, name: &str, unit: Unit) -> HistogramId {
        self.register_histogram(name, unit, false)
    }

    fn register_histogram(&mut self, name: &str, unit: Unit, windowed: bool) -> HistogramId {
        match self.by_name.get(name) {
            Some(MetricRef::Histogram(id)) => *id,
            Some(MetricRef::Counter(_)) => panic!("metric {name:?} is a counter, not a histogram"),
            None => {
                let id = HistogramId(self.histograms.len() as u32);
                self.histograms.push(RegisteredHistogram {
                    name: name.to_string(),
                    unit,
                    histogram: RunHistogram::default(),
                    windowed,
                });
                self.by_name
                    .insert(name.to_string(), MetricRef::Histogram(id));
                id
            }
        }
    }

    /// The id of counter `name`, registering it on first use.
    ///
    /// Panics if `name` is already a histogram.
    pub fn counter(&mut self, name: &str) -> CounterId {
        match self.by_name.get(name) {
            Some(MetricRef::Counter(id)) => *id,
            Some(MetricRef::Histogram(_)) => {
                panic!("metric {name:?} is a histogram, not a counter")
            }
            None => {
                let id = CounterId(self.counters.len() as u32);
                self.counters.push((name.to_string(), 0));
                self.by_name
                    .insert(name.to_string(), MetricRef::Counter(id));
                id
            }
        }
    }

    /// The id of the outcome tally `name` (`requests.read`), registering it on first use,
    /// linked to `latency`, the histogram of its successful requests; `windowed`: also
    /// counted per timeline window. Tallies have names of their own, apart from counters and
    /// histograms.
    ///
    /// Panics if `name` is already registered with another histogram or windowing: one tally
    /// has one meaning, and silently keeping the first settings would hide the conflict.
    pub fn outcome_tally(
        &mut self,
        name: &str,
        latency: Option<HistogramId>,
        windowed: bool,
    ) -> OutcomeId {
        if let Some(id) = self.outcome_names.get(name) {
            let registered = &self.outcomes[id.0 as usize];
            assert!(
                registered.latency == latency && registered.windowed == windowed,
                "outcome tally {name:?} registered again with other settings (latency \
                 {latency:?}, windowed {windowed}; first latency {:?}, windowed {})",
                registered.latency,
                registered.windowed
            );
            return *id;
        }
        let id = OutcomeId(self.outcomes.len() as u32);
        self.outcomes.push(outcome::Registered {
            latency,
            windowed,
            total: OutcomeTally::default(),
        });
        self.outcome_names.insert(name.to_string(), id);
        id
    }

    /// One request issued under tally `id` at `now`.
    #[inline]
    pub fn issue(&mut self, id: OutcomeId, now: SimTime) {
        let registered = &mut self.outcomes[id.0 as usize];
        registered.total.issued = registered.total.issued.saturating_add(1);
        if registered.windowed && self.window.is_some() {
            self.outcome_in_window(id, None, now);
        }
    }

    /// One request of tally `id` ended with `outcome` at `now`.
    #[inline]
    pub fn conclude(&mut self, id: OutcomeId, outcome: Outcome, now: SimTime) {
        let registered = &mut self.outcomes[id.0 as usize];
        registered.total.conclude(outcome, 1);
        if registered.windowed && self.window.is_some() {
            self.outcome_in_window(id, Some(outcome), now);
        }
    }

    #[inline(never)]
    fn outcome_in_window(&mut self, id: OutcomeId, outcome: Option<Outcome>, now: SimTime) {
        let window = self.window_at(now);
        let tally = grow(&mut window.outcomes, id.0 as usize);
        match outcome {
            None => tally.issued += 1,
            Some(outcome) => tally.conclude(outcome, 1),
        }
    }

    /// Every outcome tally as `(name, linked latency histogram, id, totals)`, sorted by name.
    pub fn outcome_tallies(
        &self,
    ) -> impl Iterator<Item = (&str, Option<&str>, OutcomeId, &OutcomeTally)> {
        self.outcome_names.iter().map(|(name, id)| {
            let registered = &self.outcomes[id.0 as usize];
            let latency = registered
                .latency
                .map(|h| self.histograms[h.0 as usize].name.as_str());
            (name.as_str(), latency, *id, &registered.total)
        })
    }

    /// Records one sample of histogram `id` at time `now`.
    #[inline]
    pub fn record(&mut self, id: HistogramId, value: u64, now: SimTime) {
        let registered = &mut self.histograms[id.0 as usize];
        registered.histogram.record(value);
        if self.window.is_some() && registered.windowed {
            self.record_in_window(id, value, now);
        }
    }

    /// Adds `n` to counter `id` at time `now`.
    #[inline]
    pub fn add(&mut self, id: CounterId, n: u64, now: SimTime) {
        let counter = &mut self.counters[id.0 as usize].1;
        *counter = counter.saturating_add(n);
        if self.window.is_some() {
            self.add_in_window(id, n, now);
        }
    }

    // Out of line: keeps `record` and `add` small enough to inline into the hot path.
    #[inline(never)]
    fn record_in_window(&mut self, id: HistogramId, value: u64, now: SimTime) {
        let window = self.window_at(now);
        let slot = grow(&mut window.histograms, id.0 as usize);
        let histogram = slot.get_or_insert_with(|| {
            Histogram::new(SIGFIG_WINDOW).expect("2 significant digits is in range")
        });
        record_growing(histogram, value);
    }

    #[inline(never)]
    fn add_in_window(&mut self, id: CounterId, n: u64, now: SimTime) {
        let window = self.window_at(now);
        let slot = grow(&mut window.counters, id.0 as usize);
        *slot = slot.saturating_add(n);
    }

    /// The window `now` falls in, creating it (and any before it) if needed.
    fn window_at(&mut self, now: SimTime) -> &mut Window {
        let (start, end, cached) = self.cursor;
        let idx = if (start..end).contains(&now.0) {
            cached
        } else {
            let window = self
                .window
                .expect("called only when windows are recorded")
                .0;
            let unclamped = now.0 / window;
            let last = self.last_window.unwrap_or(usize::MAX);
            let idx = (unclamped as usize).min(last);
            // The last window also takes every later instant.
            let start = idx as u64 * window;
            let end = if idx == last {
                u64::MAX
            } else {
                start.saturating_add(window)
            };
            self.cursor = (start, end, idx);
            idx
        };
        if idx >= self.windows.len() {
            self.windows.resize_with(idx + 1, Window::default);
        }
        &mut self.windows[idx]
    }

    /// Clears the whole-run totals (histograms and counters) but keeps the per-window series:
    /// called at the end of a warm-up, so totals describe the measured part of the run while
    /// the timeline still shows the warm-up.
    pub fn reset_totals(&mut self) {
        for registered in &mut self.histograms {
            registered.histogram.reset();
        }
        for (_, total) in &mut self.counters {
            *total = 0;
        }
        for registered in &mut self.outcomes {
            registered.total.reset();
        }
    }

    /// A counter's total.
    pub fn counter_value(&self, id: CounterId) -> u64 {
        self.counters[id.0 as usize].1
    }

    /// A counter's total by name; 0 if it was never registered.
    pub fn counter_by_name(&self, name: &str) -> u64 {
        match self.by_name.get(name) {
            Some(MetricRef::Counter(id)) => self.counter_value(*id),
            _ => 0,
        }
    }

    /// A histogram by id.
    pub fn histogram_data(&self, id: HistogramId) -> &Histogram<u64> {
        self.histograms[id.0 as usize].histogram.histogram()
    }

    /// Whether histogram `id` is recorded per window (not a whole-run-only breakdown).
    pub fn is_windowed(&self, id: HistogramId) -> bool {
        self.histograms[id.0 as usize].windowed
    }

    /// A histogram by name, if registered.
    pub fn histogram_by_name(&self, name: &str) -> Option<&Histogram<u64>> {
        match self.by_name.get(name) {
            Some(MetricRef::Histogram(id)) => Some(self.histogram_data(*id)),
            _ => None,
        }
    }

    /// Every histogram as `(name, unit, id)`, sorted by name.
    pub fn histograms(&self) -> impl Iterator<Item = (&str, Unit, HistogramId)> {
        self.by_name.iter().filter_map(|(name, r)| match r {
            MetricRef::Histogram(id) => {
                Some((name.as_str(), self.histograms[id.0 as usize].unit, *id))
            }
            MetricRef::Counter(_) => None,
        })
    }

    /// Every counter as `(name, id, total)`, sorted by name.
    pub fn counters(&self) -> impl Iterator<Item = (&str, CounterId, u64)> {
        self.by_name.iter().filter_map(|(name, r)| match r {
            MetricRef::Counter(id) => Some((name.as_str(), *id, self.counter_value(*id))),
            MetricRef::Histogram(_) => None,
        })
    }

    /// The recorded windows, in time order (window `i` covers `[i * window, (i+1) * window)`).
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }
}

/// Records `value`, growing the histogram's range as needed (a fresh histogram tracks up to
/// 2048). Only a value beyond what the histogram can represent at all is clamped.
#[inline]
fn record_growing<T: hdrhistogram::Counter>(histogram: &mut Histogram<T>, value: u64) {
    if histogram.record(value).is_err() {
        histogram.saturating_record(value);
    }
}

/// Grows `items` so index `idx` exists and returns it.
fn grow<T: Default>(items: &mut Vec<T>, idx: usize) -> &mut T {
    if idx >= items.len() {
        items.resize_with(idx + 1, T::default);
    }
    &mut items[idx]
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: samples and increments land in the run totals and in the right window.
    #[test]
    fn records_totals_and_windows() {
        let mut metrics = Metrics::new();
        metrics.set_window(SimDuration::from_secs(1));
        let latency = metrics.histogram("latency.read", Unit::Nanoseconds);
        let hits = metrics.counter("cache.hits");
        metrics.record(latency, 1_000, SimTime(10));
        metrics.record(latency, 3_000, SimTime(2_500_000_000));
        metrics.add(hits, 2, SimTime(1_200_000_000));
        assert_eq!(metrics.histogram_data(latency).len(), 2);
        assert_eq!(metrics.counter_value(hits), 2);
        assert_eq!(metrics.windows().len(), 3);
        assert_eq!(metrics.windows()[0].histogram(latency).unwrap().len(), 1);
        assert!(metrics.windows()[1].histogram(latency).is_none());
        assert_eq!(metrics.windows()[1].counter(hits), 2);
        assert_eq!(metrics.windows()[2].counter(hits), 0);
        assert_eq!(
            metrics.histogram("latency.read", Unit::Nanoseconds),
            latency
        );
    }

    // Goal: a sample at the run's end instant counts in the last window instead of opening a
    // window of its own (which would plot as a plunge to zero); other samples are untouched.
    // Method: a 2 s run with 1 s windows, samples at 0.5 s, 1.5 s and exactly 2 s.
    #[test]
    fn the_end_instant_counts_in_the_last_window() {
        let mut metrics = Metrics::new();
        metrics.set_window(SimDuration::from_secs(1));
        metrics.set_end(SimTime(2_000_000_000));
        let hits = metrics.counter("cache.hits");
        for t in [500_000_000, 1_500_000_000, 2_000_000_000] {
            metrics.add(hits, 1, SimTime(t));
        }
        assert_eq!(metrics.windows().len(), 2);
        assert_eq!(metrics.windows()[0].counter(hits), 1);
        assert_eq!(metrics.windows()[1].counter(hits), 2);
        // Without a known end the instant opens a third window (the old behaviour).
        let mut open = Metrics::new();
        open.set_window(SimDuration::from_secs(1));
        let hits = open.counter("cache.hits");
        open.add(hits, 1, SimTime(2_000_000_000));
        assert_eq!(open.windows().len(), 3);
    }

    // Goal: a warm-up reset clears totals but not the timeline.
    #[test]
    fn reset_totals_keeps_windows() {
        let mut metrics = Metrics::new();
        metrics.set_window(SimDuration::from_secs(1));
        let latency = metrics.histogram("latency.read", Unit::Nanoseconds);
        let hits = metrics.counter("cache.hits");
        metrics.record(latency, 5, SimTime(1));
        metrics.add(hits, 3, SimTime(1));
        metrics.reset_totals();
        assert_eq!(metrics.histogram_data(latency).len(), 0);
        assert_eq!(metrics.counter_value(hits), 0);
        assert_eq!(metrics.windows()[0].counter(hits), 3);
        assert_eq!(metrics.windows()[0].histogram(latency).unwrap().len(), 1);
    }

    // Goal: names come out sorted whatever the registration order (stable reports).
    #[test]
    fn iteration_is_sorted_by_name() {
        let mut metrics = Metrics::new();
        metrics.counter("z.last");
        metrics.counter("a.first");
        let names: Vec<_> = metrics.counters().map(|(n, _, _)| n.to_string()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    #[should_panic(expected = "is a counter")]
    fn one_name_one_kind() {
        let mut metrics = Metrics::new();
        metrics.counter("x");
        metrics.histogram("x", Unit::Count);
    }

    // Goal: a tally registered twice with the same settings is one tally; with other settings
    // it is a conflict, not a silent choice of the first.
    #[test]
    fn one_tally_one_meaning() {
        let mut metrics = Metrics::new();
        let latency = metrics.histogram("latency.read", Unit::Nanoseconds);
        let id = metrics.outcome_tally("requests.read", Some(latency), true);
        assert_eq!(
            metrics.outcome_tally("requests.read", Some(latency), true),
            id
        );
        let other = std::panic::catch_unwind(move || {
            metrics.outcome_tally("requests.read", None, true);
        });
        let message = *other.unwrap_err().downcast::<String>().unwrap();
        assert!(
            message.contains("\"requests.read\" registered again with other settings"),
            "{message}"
        );
    }
}
