//! `timeseries.csv`: one row per timeline window, for plotting elsewhere and for the timeline
//! plot here.
//!
//! Columns are `window_start_s,window_end_s`, then every counter's increments in the window,
//! then for every histogram `<name>.count`, `<name>.p50_ns` and `<name>.p99_ns` (the suffix
//! is the unit: `_ns`, `_bytes`, or none for counts). Names are sorted, so the column order is
//! fixed by the metric names alone. Window boundaries are exact decimal seconds computed with
//! integers. A window with no samples of a histogram has empty percentile cells.
//!
//! Rows cover the whole run: windows after the last recorded sample (a quiet tail, or nodes
//! down until the end) appear as zero rows instead of being cut off. The last window ends at
//! the run's end, so it may be shorter than the others.

use std::fmt::Write as _;
use std::io::Write;

use sim_core::metrics::Window;
use sim_core::{HistogramId, Outcome, Unit};

use crate::error::ReportError;
use crate::format::{csv_field, exact_secs};
use crate::RunData;

/// One window's span in simulated nanoseconds, `[start_ns, end_ns)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start_ns: u64,
    pub end_ns: u64,
}

impl Span {
    /// The span's length in seconds (positive: spans are never empty).
    pub fn secs(self) -> f64 {
        (self.end_ns - self.start_ns) as f64 / 1e9
    }
}

/// The spans of every window of the run, in order; empty if no window length was set.
pub(crate) fn window_spans(data: &RunData<'_>) -> Vec<Span> {
    let Some(window) = data.metrics.window() else {
        return Vec::new();
    };
    let window_ns = window.0;
    assert!(window_ns > 0, "the engine rejects empty windows");
    let covering_run = data.sim_duration_ns.div_ceil(window_ns);
    let n_windows = (data.metrics.windows().len() as u64).max(covering_run);
    (0..n_windows)
        .map(|idx| {
            let start_ns = idx.saturating_mul(window_ns);
            let full_end_ns = start_ns.saturating_add(window_ns);
            // The window holding the run's end is cut there. Windows past it exist only when
            // the recorder was not told the end (`Metrics::set_end`, which scenario runs call)
            // and a sample fell at exactly the end time; they keep their full length.
            let end_ns = if start_ns < data.sim_duration_ns {
                full_end_ns.min(data.sim_duration_ns)
            } else {
                full_end_ns
            };
            assert!(start_ns < end_ns, "every window has a positive length");
            Span { start_ns, end_ns }
        })
        .collect()
}

/// One timeline point of one histogram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct WindowStats {
    pub span: Span,
    /// Samples per simulated second.
    pub throughput: f64,
    pub p50: Option<u64>,
    pub p99: Option<u64>,
}

/// Histogram `id`'s count and percentiles in every window.
pub(crate) fn histogram_series(data: &RunData<'_>, id: HistogramId) -> Vec<WindowStats> {
    let windows = data.metrics.windows();
    window_spans(data)
        .into_iter()
        .enumerate()
        .map(|(idx, span)| {
            let histogram = windows.get(idx).and_then(|w| w.histogram(id));
            let count = histogram.map_or(0, |h| h.len());
            let at = |percentile: f64| {
                histogram
                    .filter(|h| !h.is_empty())
                    .map(|h| h.value_at_percentile(percentile))
            };
            WindowStats {
                span,
                throughput: count as f64 / span.secs(),
                p50: at(50.0),
                p99: at(99.0),
            }
        })
        .collect()
}

/// The column-name suffix for a histogram percentile in `unit`.
fn unit_suffix(unit: Unit) -> &'static str {
    match unit {
        Unit::Nanoseconds => "_ns",
        Unit::Bytes => "_bytes",
        Unit::Count => "",
        Unit::Ratio => "_ratio",
    }
}

/// Writes `timeseries.csv` for the run.
pub fn write_timeseries<W: Write>(mut writer: W, data: &RunData<'_>) -> Result<(), ReportError> {
    let text = timeseries_csv(data);
    writer
        .write_all(text.as_bytes())
        .map_err(ReportError::WriteCsv)
}

/// The whole CSV as text.
pub(crate) fn timeseries_csv(data: &RunData<'_>) -> String {
    let metrics = data.metrics;
    let counters: Vec<_> = metrics.counters().collect();
    // Whole-run-only breakdowns have no windows to show.
    let histograms: Vec<_> = metrics
        .histograms()
        .filter(|(_, _, id)| metrics.is_windowed(*id))
        .collect();
    let tallies: Vec<_> = metrics.outcome_tallies().collect();
    let mut out = String::from("window_start_s,window_end_s");
    for (name, _, _) in &counters {
        out.push(',');
        out.push_str(&csv_field(name));
    }
    for (name, unit, _) in &histograms {
        let suffix = unit_suffix(*unit);
        for column in [
            format!("{name}.count"),
            format!("{name}.p50{suffix}"),
            format!("{name}.p99{suffix}"),
        ] {
            out.push(',');
            out.push_str(&csv_field(&column));
        }
    }
    for (name, _, _, _) in &tallies {
        out.push(',');
        out.push_str(&csv_field(&format!("{name}.issued")));
        for outcome in Outcome::ALL {
            out.push(',');
            out.push_str(&csv_field(&format!("{name}.{}", outcome.name())));
        }
    }
    out.push('\n');
    let empty = Window::default();
    for (idx, span) in window_spans(data).into_iter().enumerate() {
        let window = metrics.windows().get(idx).unwrap_or(&empty);
        out.push_str(&exact_secs(span.start_ns));
        out.push(',');
        out.push_str(&exact_secs(span.end_ns));
        for (_, id, _) in &counters {
            write!(out, ",{}", window.counter(*id)).expect("writing to a String cannot fail");
        }
        for (_, _, id) in &histograms {
            match window.histogram(*id).filter(|h| !h.is_empty()) {
                Some(h) => write!(
                    out,
                    ",{},{},{}",
                    h.len(),
                    h.value_at_percentile(50.0),
                    h.value_at_percentile(99.0)
                ),
                None => write!(out, ",0,,"),
            }
            .expect("writing to a String cannot fail");
        }
        for (_, _, id, _) in &tallies {
            let tally = window.outcomes(*id);
            write!(out, ",{}", tally.issued).expect("writing to a String cannot fail");
            for outcome in Outcome::ALL {
                write!(out, ",{}", tally.count(outcome)).expect("writing to a String cannot fail");
            }
        }
        out.push('\n');
    }
    out
}
