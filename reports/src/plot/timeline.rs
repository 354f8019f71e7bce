//! The timeline: per window, what happened to requests (top) and the primary latency
//! metric's p50/p99 (bottom), with fault windows shaded and labelled by kind.
//!
//! When the primary histogram has a request outcome tally (a client's `latency.all` has
//! `requests.all`), the top panel stacks, per window, the requests that ended by outcome —
//! ok (the goodput), miss, timeout, rejected, error, lost — in requests per second, with the
//! offered load (requests issued) as a line over them: a failure shows as a coloured band
//! where the green should be, and the latency panel below holds only the ok requests. Without
//! a tally (a service model's sojourn) the top panel is the histogram's throughput.
//!
//! Both panels share the time axis so a fault, the throughput dip and the latency spike line
//! up vertically. Faults with a known end are shaded bands; instantaneous ones (a crash with
//! no restart, a heal) are dashed vertical lines. Each kind has one colour, listed in the
//! legend. The warm-up is shaded grey: its numbers are not part of the steady state. Points
//! sit at window midpoints; a window with no samples leaves a gap in the latency lines rather
//! than a made-up zero.
//!
//! Counters named in `[report] timeline_counters` (`client.attempts`: the attempts clients
//! sent, retries included) are drawn per second over the top panel as dashed step lines, so
//! the load a system really receives shows beside the requests it was offered; a counter the
//! run never recorded is named in the legend as such.
//!
//! When models marked changes of state (annotations: a store's `leader` lane), a strip
//! between the panels shows each lane over time: one coloured segment per state, labelled
//! (`kv[2] term 5`), grey where the state is none (no leader), on the same time axis.

use std::collections::BTreeSet;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{
    axis_number, darken, draw_empty, style_mesh, text, titled, Chart2d, DrawResult, Figure, HPos,
    LegendItem, Pos, Swatch, VPos, FAULTS, LABEL_PX, MUTED, SERIES,
};
use sim_core::Outcome;

use crate::timeseries::{histogram_series, window_spans, WindowStats};
use crate::RunData;

/// Nanoseconds per second and per millisecond.
const NANOS_PER_SEC: f64 = 1e9;
const NANOS_PER_MILLI: f64 = 1e6;
/// More fault labels than this would be noise; the legend still names every kind.
const FAULT_LABELS_MAX: usize = 40;
/// With more faults than this, full-height bands would cover the panels (1,576 crash windows
/// of the million-node example made both panels solid red): each fault is then marked only
/// in a strip along the panel's bottom, a rug whose density shows when faults were under way,
/// and the legend gives the count.
const FAULT_BANDS_MAX: usize = 40;
/// The rug's height, as a fraction of the panel.
const RUG_FRACTION: f64 = 0.05;
/// Fault labels are staggered over this many rows so neighbouring faults stay readable.
const LABEL_ROWS: usize = 2;
/// Label inset from the fault's start and the panel top, gap between labels in a row, and
/// row pitch, in pixels.
const LABEL_INSET_PX: i32 = 4;
const LABEL_GAP_PX: i32 = 10;
const LABEL_ROW_PX: i32 = 17;
/// Head-room above the highest point: room for fault labels on top, a little for latency.
const THROUGHPUT_HEADROOM: f64 = 1.3;
const LATENCY_HEADROOM: f64 = 1.1;
/// Line colours: throughput green, p50 blue, p99 orange.
const THROUGHPUT: RGBColor = SERIES[2];
const P50: RGBColor = SERIES[0];
const P99: RGBColor = SERIES[1];
/// Above this many windows, points are not marked (they would merge into a thick line).
const MARKERS_MAX: usize = 80;
/// Shading opacity of fault bands and of the warm-up.
const BAND_ALPHA: f64 = 0.18;
const WARMUP_ALPHA: f64 = 0.10;

/// The offered-load line over the stacked outcomes.
const OFFERED: RGBColor = RGBColor(0x33, 0x33, 0x33);
/// Outcome colours, in `Outcome::ALL` order: ok green, miss teal, timeout orange, rejected
/// purple, error red, lost brown.
const OUTCOME_COLORS: [RGBColor; 6] = [
    SERIES[2], SERIES[4], SERIES[1], SERIES[3], SERIES[5], SERIES[6],
];

/// Colours of the `timeline_counters` lines, in order.
const COUNTER_COLORS: [RGBColor; 4] = [SERIES[0], SERIES[6], SERIES[3], SERIES[7]];

/// A counter drawn over the top panel: its name and, if the run recorded it, its rate per
/// second in each window as `(start_s, end_s, rate)`.
struct CounterLine {
    name: String,
    rates: Option<Vec<(f64, f64, f64)>>,
}

/// One window's requests: issued, and ended by outcome, per second.
struct OutcomeWindow {
    start_s: f64,
    end_s: f64,
    issued: f64,
    ended: [f64; 6],
}

/// Picks a percentile out of a window's statistics.
type Pick = fn(&WindowStats) -> Option<u64>;

/// One fault on the time axis.
struct FaultMark {
    kind: String,
    start_s: f64,
    end_s: Option<f64>,
}

/// The `timeline` figure.
pub(crate) struct Timeline {
    subtitle: String,
    metric: Option<String>,
    points: Vec<WindowStats>,
    /// Per window, how requests ended, when the primary histogram has an outcome tally.
    outcomes: Option<Vec<OutcomeWindow>>,
    faults: Vec<FaultMark>,
    kinds: Vec<String>,
    warmup_s: f64,
    end_s: f64,
    /// Annotation lanes, by name: their segments in time order.
    lanes: Vec<(String, Vec<Segment>)>,
    /// The `timeline_counters`, in the order named.
    counters: Vec<CounterLine>,
}

/// One state of an annotation lane: from `start_s` to `end_s`, labelled, coloured by its node
/// (`None`: no node, drawn grey).
struct Segment {
    start_s: f64,
    end_s: f64,
    label: String,
    color: Option<usize>,
}

/// Height of one annotation lane, in pixels.
const LANE_PX: u32 = 26;

/// The annotation lanes of a run ending at `end_s` seconds.
fn annotation_lanes(data: &RunData<'_>, end_s: f64) -> Vec<(String, Vec<Segment>)> {
    let (annotations, _) = data.metrics.annotations();
    let mut colors: std::collections::BTreeMap<String, usize> = Default::default();
    let mut lanes: std::collections::BTreeMap<String, Vec<Segment>> = Default::default();
    for a in annotations {
        let start_s = a.at.as_nanos() as f64 / NANOS_PER_SEC;
        let node = a
            .node
            .and_then(|n| data.nodes.get(n.idx()))
            .map(|n| n.name.clone());
        let color = node.as_ref().map(|name| {
            let next = colors.len();
            *colors.entry(name.clone()).or_insert(next)
        });
        let label = match (&node, a.label.is_empty()) {
            (Some(name), false) => format!("{name} {}", a.label),
            (Some(name), true) => name.clone(),
            (None, false) => a.label.clone(),
            (None, true) => "none".to_string(),
        };
        let lane = lanes.entry(a.lane.clone()).or_default();
        if let Some(last) = lane.last_mut() {
            last.end_s = start_s;
        }
        lane.push(Segment {
            start_s,
            end_s,
            label,
            color,
        });
    }
    lanes.into_iter().collect()
}

impl Timeline {
    /// The timeline of the run's primary latency metric, if it has one.
    pub fn new(data: &RunData<'_>, primary: Option<(&str, sim_core::HistogramId)>) -> Self {
        let points = primary.map_or_else(Vec::new, |(_, id)| histogram_series(data, id));
        let outcomes = primary.and_then(|(name, _)| outcome_series(data, name));
        let last_window_end = points.last().map_or(0, |p| p.span.end_ns);
        let end_s = data.sim_duration_ns.max(last_window_end) as f64 / NANOS_PER_SEC;
        let faults: Vec<FaultMark> = data
            .faults
            .iter()
            .map(|f| FaultMark {
                kind: f.kind.to_string(),
                start_s: f.time.as_nanos() as f64 / NANOS_PER_SEC,
                end_s: f.end.map(|end| end.as_nanos() as f64 / NANOS_PER_SEC),
            })
            .filter(|f| f.start_s <= end_s)
            .collect();
        let kinds: BTreeSet<String> = faults.iter().map(|f| f.kind.clone()).collect();
        let window = data
            .metrics
            .window()
            .map_or(String::new(), |w| format!(" · {w} windows"));
        let subtitle = match primary {
            Some((name, _)) => format!(
                "{} · seed {} · {name}{window}",
                data.scenario_name, data.seed
            ),
            None => format!("{} · seed {}", data.scenario_name, data.seed),
        };
        Timeline {
            subtitle,
            metric: primary.map(|(name, _)| name.to_string()),
            points,
            outcomes,
            faults,
            kinds: kinds.into_iter().collect(),
            warmup_s: data.warmup_ns as f64 / NANOS_PER_SEC,
            lanes: annotation_lanes(data, end_s),
            counters: counter_lines(data),
            end_s,
        }
    }

    /// The highest rate of any counter line.
    fn counters_max(&self) -> f64 {
        self.counters
            .iter()
            .filter_map(|c| c.rates.as_ref())
            .flatten()
            .map(|r| r.2)
            .fold(0.0, f64::max)
    }

    /// The counter lines over the top panel, dashed steps.
    fn draw_counters<'c, DB: DrawingBackend + 'c>(
        &self,
        chart: &mut Chart2d<'c, DB>,
    ) -> DrawResult<DB> {
        for (line, color) in self.counters.iter().zip(COUNTER_COLORS) {
            let Some(rates) = &line.rates else { continue };
            let steps: Vec<(f64, f64)> = rates
                .iter()
                .flat_map(|&(start, end, rate)| [(start, rate), (end, rate)])
                .collect();
            chart.draw_series(DashedLineSeries::new(steps, 7, 4, color.stroke_width(2)))?;
        }
        Ok(())
    }

    /// The annotation lanes, one row each, on the shared time axis.
    fn draw_lanes<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.lanes.len() as f64;
        let mut chart = ChartBuilder::on(area)
            .margin_left(16)
            .margin_right(36)
            .margin_top(2)
            .x_label_area_size(2)
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..self.end_s, 0.0..n)?;
        let names: Vec<&str> = self.lanes.iter().map(|(name, _)| name.as_str()).collect();
        style_mesh(&mut chart.configure_mesh())
            .disable_x_mesh()
            .disable_y_mesh()
            .x_label_formatter(&|_| String::new())
            .y_labels(self.lanes.len() * 2 + 1)
            .y_label_formatter(&|y| {
                // A lane's name at its middle.
                let row = (n - *y - 0.5).round();
                let middle = (n - row - 0.5 - *y).abs() < 1e-6;
                match (middle, names.get(row as usize)) {
                    (true, Some(name)) => name.to_string(),
                    _ => String::new(),
                }
            })
            .draw()?;
        let px_per_s = f64::from(area.dim_in_pixel().0.saturating_sub(136)) / self.end_s.max(1e-9);
        for (row, (_, segments)) in self.lanes.iter().enumerate() {
            let (y0, y1) = (n - row as f64 - 0.9, n - row as f64 - 0.1);
            for segment in segments {
                let fill = match segment.color {
                    Some(i) => SERIES[i % SERIES.len()].mix(0.55),
                    None => MUTED.mix(0.15),
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(segment.start_s, y0), (segment.end_s, y1)],
                    fill.filled(),
                )))?;
                // A label where it fits (about 7 px a character).
                let width_px = (segment.end_s - segment.start_s) * px_per_s;
                if width_px > 7.0 * segment.label.len() as f64 + 8.0 {
                    let style = text(LABEL_PX - 2.0, super::style::TEXT)
                        .pos(Pos::new(HPos::Left, VPos::Center));
                    chart.draw_series(std::iter::once(Text::new(
                        segment.label.clone(),
                        (segment.start_s + 4.0 / px_per_s, (y0 + y1) / 2.0),
                        style,
                    )))?;
                }
            }
        }
        Ok(())
    }

    fn kind_color(&self, kind: &str) -> RGBColor {
        let idx = self.kinds.iter().position(|k| k == kind).unwrap_or(0);
        FAULTS[idx % FAULTS.len()]
    }

    /// Latency lines as runs of consecutive windows with samples, in milliseconds.
    fn latency_segments(&self, pick: Pick) -> Vec<Vec<(f64, f64)>> {
        let mut segments = vec![Vec::new()];
        for point in &self.points {
            match pick(point) {
                Some(ns) => segments
                    .last_mut()
                    .expect("there is always a current segment")
                    .push((midpoint_s(point), ns as f64 / NANOS_PER_MILLI)),
                None => segments.push(Vec::new()),
            }
        }
        segments.retain(|s| !s.is_empty());
        segments
    }

    /// Whether there are too many faults for full-height bands ([`FAULT_BANDS_MAX`]).
    fn crowded(&self) -> bool {
        self.faults.len() > FAULT_BANDS_MAX
    }

    /// Shades the warm-up and fault bands and draws instantaneous faults as dashed lines.
    fn draw_faults<'c, DB: DrawingBackend + 'c>(
        &self,
        chart: &mut Chart2d<'c, DB>,
        y_top: f64,
    ) -> DrawResult<DB> {
        if self.warmup_s > 0.0 {
            let end = self.warmup_s.min(self.end_s);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, 0.0), (end, y_top)],
                MUTED.mix(WARMUP_ALPHA).filled(),
            )))?;
        }
        let mark_top = if self.crowded() {
            y_top * RUG_FRACTION
        } else {
            y_top
        };
        for fault in &self.faults {
            let color = self.kind_color(&fault.kind);
            match fault.end_s {
                Some(end_s) => {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(fault.start_s, 0.0), (end_s.min(self.end_s), mark_top)],
                        color.mix(BAND_ALPHA).filled(),
                    )))?;
                }
                None => {
                    chart.draw_series(DashedLineSeries::new(
                        vec![(fault.start_s, 0.0), (fault.start_s, mark_top)],
                        6,
                        4,
                        color.stroke_width(2),
                    ))?;
                }
            }
        }
        Ok(())
    }

    /// Names each fault at the top of the panel, in the first row where it does not overlap
    /// the previous label; faults that fit in no row go unlabelled (the legend names every
    /// kind).
    fn label_faults<'c, DB: DrawingBackend + 'c>(
        &self,
        chart: &mut Chart2d<'c, DB>,
        y_top: f64,
    ) -> DrawResult<DB> {
        if self.faults.len() > FAULT_LABELS_MAX {
            return Ok(());
        }
        let mut row_ends: Vec<i32> = Vec::new();
        for fault in &self.faults {
            let color = darken(self.kind_color(&fault.kind));
            let style = text(LABEL_PX - 1.0, color).pos(Pos::new(HPos::Left, VPos::Top));
            let (label_px, _) = chart
                .plotting_area()
                .estimate_text_size(&fault.kind, &style)?;
            let x_px = chart.backend_coord(&(fault.start_s, y_top)).0 + LABEL_INSET_PX;
            let row = row_ends
                .iter()
                .position(|end| *end + LABEL_GAP_PX <= x_px)
                .unwrap_or(row_ends.len());
            if row >= LABEL_ROWS {
                continue;
            }
            if row == row_ends.len() {
                row_ends.push(0);
            }
            row_ends[row] = x_px + label_px as i32;
            let offset = (LABEL_INSET_PX, LABEL_INSET_PX + row as i32 * LABEL_ROW_PX);
            chart.draw_series(std::iter::once(
                EmptyElement::at((fault.start_s, y_top))
                    + Text::new(fault.kind.clone(), offset, style),
            ))?;
        }
        Ok(())
    }

    /// The top panel's chart, up to `y_max` with head-room for fault labels, its faults
    /// shaded; returns it with its top.
    #[allow(clippy::type_complexity)]
    fn top_chart<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        y_max: f64,
        y_desc: &str,
    ) -> Result<(Chart2d<'a, DB>, f64), DrawingAreaErrorKind<DB::ErrorType>> {
        let y_top = nice_top(y_max, THROUGHPUT_HEADROOM);
        let mut chart = ChartBuilder::on(area)
            .margin_left(16)
            .margin_right(36)
            .margin_top(4)
            .x_label_area_size(12)
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..self.end_s, 0.0..y_top)?;
        style_mesh(&mut chart.configure_mesh())
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|y| axis_number(*y))
            .y_desc(y_desc)
            .draw()?;
        self.draw_faults(&mut chart, y_top)?;
        Ok((chart, y_top))
    }

    fn draw_throughput<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let y_max = self
            .points
            .iter()
            .map(|p| p.throughput)
            .fold(self.counters_max(), f64::max);
        let (mut chart, y_top) = self.top_chart(area, y_max, "throughput (per s)")?;
        self.label_faults(&mut chart, y_top)?;
        let line: Vec<(f64, f64)> = self
            .points
            .iter()
            .map(|p| (midpoint_s(p), p.throughput))
            .collect();
        chart.draw_series(LineSeries::new(
            line.iter().copied(),
            THROUGHPUT.stroke_width(2),
        ))?;
        if line.len() <= MARKERS_MAX {
            chart.draw_series(line.iter().map(|&p| Circle::new(p, 3, THROUGHPUT.filled())))?;
        }
        self.draw_counters(&mut chart)
    }

    /// The top panel with an outcome tally: requests ended per second stacked by outcome,
    /// the offered load as a line over them.
    fn draw_outcomes<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        windows: &[OutcomeWindow],
    ) -> DrawResult<DB> {
        let y_max = windows
            .iter()
            .map(|w| w.issued.max(w.ended.iter().sum()))
            .fold(self.counters_max(), f64::max);
        let (mut chart, y_top) = self.top_chart(area, y_max, "requests per s")?;
        for (i, color) in OUTCOME_COLORS.iter().enumerate() {
            chart.draw_series(windows.iter().filter(|w| w.ended[i] > 0.0).map(|w| {
                let below: f64 = w.ended[..i].iter().sum();
                Rectangle::new(
                    [(w.start_s, below), (w.end_s, below + w.ended[i])],
                    color.mix(0.85).filled(),
                )
            }))?;
        }
        let offered: Vec<(f64, f64)> = windows
            .iter()
            .flat_map(|w| [(w.start_s, w.issued), (w.end_s, w.issued)])
            .collect();
        chart.draw_series(LineSeries::new(offered, OFFERED.stroke_width(2)))?;
        self.draw_counters(&mut chart)?;
        self.label_faults(&mut chart, y_top)?;
        Ok(())
    }

    fn draw_latency<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let y_max = self
            .points
            .iter()
            .filter_map(|p| p.p99)
            .max()
            .map_or(0.0, |ns| ns as f64 / NANOS_PER_MILLI);
        let y_top = nice_top(y_max, LATENCY_HEADROOM);
        let mut chart = ChartBuilder::on(area)
            .margin_left(16)
            .margin_right(36)
            .margin_top(10)
            .margin_bottom(8)
            .x_label_area_size(52)
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..self.end_s, 0.0..y_top)?;
        style_mesh(&mut chart.configure_mesh())
            .x_label_formatter(&|x| axis_number(*x))
            .y_label_formatter(&|y| axis_number(*y))
            .x_desc("simulated time (s)")
            .y_desc("latency (ms)")
            .draw()?;
        self.draw_faults(&mut chart, y_top)?;
        let lines: [(Pick, RGBColor); 2] = [(|p| p.p99, P99), (|p| p.p50, P50)];
        for (pick, color) in lines {
            for segment in self.latency_segments(pick) {
                chart.draw_series(LineSeries::new(
                    segment.iter().copied(),
                    color.stroke_width(2),
                ))?;
                if self.points.len() <= MARKERS_MAX {
                    chart
                        .draw_series(segment.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
                }
            }
        }
        Ok(())
    }
}

impl Figure for Timeline {
    const NAME: &'static str = "timeline";
    const SIZE: (u32, u32) = (1200, 780);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        if self.metric.is_none() {
            let area = titled(root, "Timeline", &self.subtitle, &[])?;
            return draw_empty(&area, "no latency metric to plot (no histogram of times)");
        }
        if self.points.is_empty() {
            let area = titled(root, "Timeline", &self.subtitle, &[])?;
            return draw_empty(
                &area,
                "no timeline windows were recorded (set a metrics window)",
            );
        }
        let area = titled(root, "Timeline", &self.subtitle, &self.legend())?;
        let (_, height) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(height * 44 / 100);
        match &self.outcomes {
            Some(windows) => self.draw_outcomes(&top, windows)?,
            None => self.draw_throughput(&top)?,
        }
        if self.lanes.is_empty() {
            return self.draw_latency(&bottom);
        }
        let strip = LANE_PX * self.lanes.len() as u32 + 6;
        let (lanes, bottom) = bottom.split_vertically(strip);
        self.draw_lanes(&lanes)?;
        self.draw_latency(&bottom)
    }
}

impl Timeline {
    fn legend(&self) -> Vec<LegendItem> {
        let metric = self.metric.as_deref().unwrap_or("samples");
        let mut items = match &self.outcomes {
            Some(windows) => {
                let mut items = vec![LegendItem::new(Swatch::Line(OFFERED), "offered (issued)")];
                // Only the outcomes that happened, so the legend says what the bands are.
                for (i, outcome) in Outcome::ALL.iter().enumerate() {
                    if windows.iter().any(|w| w.ended[i] > 0.0) {
                        items.push(LegendItem::new(
                            Swatch::Fill(OUTCOME_COLORS[i], 0.85),
                            outcome.name(),
                        ));
                    }
                }
                items
            }
            None => vec![LegendItem::new(
                Swatch::Line(THROUGHPUT),
                format!("{metric} throughput"),
            )],
        };
        for (line, color) in self.counters.iter().zip(COUNTER_COLORS) {
            let label = match line.rates {
                Some(_) => format!("{} (per s)", line.name),
                None => format!("{} (not recorded)", line.name),
            };
            items.push(LegendItem::new(Swatch::Dashed(color), label));
        }
        items.push(LegendItem::new(Swatch::Line(P50), "p50 latency"));
        items.push(LegendItem::new(Swatch::Line(P99), "p99 latency"));
        if self.warmup_s > 0.0 {
            items.push(LegendItem::new(
                Swatch::Fill(MUTED, WARMUP_ALPHA * 2.0),
                "warm-up",
            ));
        }
        for kind in &self.kinds {
            let color = self.kind_color(kind);
            let instant = self
                .faults
                .iter()
                .filter(|f| &f.kind == kind)
                .all(|f| f.end_s.is_none());
            // Instantaneous faults are dashed lines on the plot, so their mark is one too.
            let swatch = if instant {
                Swatch::Dashed(color)
            } else {
                Swatch::Fill(color, BAND_ALPHA * 2.0)
            };
            let label = if self.crowded() {
                let n = self.faults.iter().filter(|f| &f.kind == kind).count();
                format!("fault: {kind} ({n}, along the bottom)")
            } else {
                format!("fault: {kind}")
            };
            items.push(LegendItem::new(swatch, label));
        }
        items
    }
}

/// Per window, how the requests of the tally linked to histogram `primary` ended, per second;
/// `None` when no tally is linked to it.
fn outcome_series(data: &RunData<'_>, primary: &str) -> Option<Vec<OutcomeWindow>> {
    let (_, _, id, _) = data
        .metrics
        .outcome_tallies()
        .find(|(_, latency, _, _)| *latency == Some(primary))?;
    let windows = data.metrics.windows();
    let series = window_spans(data)
        .into_iter()
        .enumerate()
        .map(|(idx, span)| {
            let tally = windows.get(idx).map(|w| w.outcomes(id)).unwrap_or_default();
            let per_s = |n: u64| n as f64 / span.secs();
            OutcomeWindow {
                start_s: span.start_ns as f64 / NANOS_PER_SEC,
                end_s: span.end_ns as f64 / NANOS_PER_SEC,
                issued: per_s(tally.issued),
                ended: Outcome::ALL.map(|o| per_s(tally.count(o))),
            }
        })
        .collect();
    Some(series)
}

/// The `timeline_counters` lines: each named counter's count per window, per second.
fn counter_lines(data: &RunData<'_>) -> Vec<CounterLine> {
    let windows = data.metrics.windows();
    let spans = window_spans(data);
    data.timeline_counters
        .iter()
        .map(|name| {
            let id = data
                .metrics
                .counters()
                .find(|(n, _, _)| n == name)
                .map(|(_, id, _)| id);
            let rates = id.map(|id| {
                spans
                    .iter()
                    .enumerate()
                    .map(|(idx, span)| {
                        let n = windows.get(idx).map_or(0, |w| w.counter(id));
                        (
                            span.start_ns as f64 / NANOS_PER_SEC,
                            span.end_ns as f64 / NANOS_PER_SEC,
                            n as f64 / span.secs(),
                        )
                    })
                    .collect()
            });
            CounterLine {
                name: name.clone(),
                rates,
            }
        })
        .collect()
}

fn midpoint_s(point: &WindowStats) -> f64 {
    (point.span.start_ns as f64 + point.span.end_ns as f64) / 2.0 / NANOS_PER_SEC
}

/// An axis top `headroom` times `max`; 1 for an all-zero series.
fn nice_top(max: f64, headroom: f64) -> f64 {
    if max > 0.0 {
        max * headroom
    } else {
        1.0
    }
}

/// `timeline`.
pub(super) const ROW: super::PlotRow = sim_core::registry::Row {
    name: "timeline",
    aliases: &[],
    description: "requests per window by outcome (or throughput) and p50 / p99 of the primary latency, fault windows shaded",
    params: &[],
    value: super::RenderPlot(|data, primary| super::render(&Timeline::new(data, primary)).map(Some)),
};
