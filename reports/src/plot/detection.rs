//! Detection: how fast a membership group noticed its crashes, and what it got wrong, for a
//! run with a failure detector.
//!
//! Left, the CDF over crashes of `membership.detection_time` (the first declaration),
//! `membership.suspicion_time` (SWIM's first failed probe, when recorded) and
//! `membership.convergence_time` (every view): a crash whose curve never reaches 100 % went
//! undetected, or not everywhere, before the run ended (or its member restarted first).
//! Right, `membership.false_positives` per window (live members declared dead), with every
//! fault shaded (bands for faults with an end, lines for instants), so a partition's or a
//! loss burst's false positives line up under it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{
    axis_number, draw_legend, style_mesh, titled, DrawResult, Figure, FAULTS, SERIES,
};
use crate::format::group_digits;
use crate::timeseries::window_spans;
use crate::RunData;

/// Nanoseconds per second, the axes' unit.
const NANOS_PER_SECOND: f64 = 1e9;
/// Shading opacity of fault bands.
const FAULT_ALPHA: f64 = 0.18;
/// With more faults than this, each is a thin line (bands would cover the panel).
const FAULT_BANDS_MAX: usize = 40;

/// One CDF line: its label and (seconds, fraction of crashes) points.
type Cdf = (String, Vec<(f64, f64)>);

/// One fault: its kind's colour index, start and end (seconds).
type Mark = (usize, f64, Option<f64>);

/// The `detection` figure.
struct Detection {
    subtitle: String,
    cdfs: Vec<Cdf>,
    cdf_x_max: f64,
    /// Per window: (start, end, false positives) in seconds.
    windows: Vec<(f64, f64, u64)>,
    faults: Vec<Mark>,
    kinds: Vec<String>,
    end_s: f64,
}

/// The step CDF of a histogram over `crashes` samples in all.
fn cdf(histogram: &hdrhistogram::Histogram<u64>, crashes: u64) -> Vec<(f64, f64)> {
    let mut points = vec![(0.0, 0.0)];
    let mut seen = 0u64;
    for v in histogram.iter_recorded() {
        let x = v.value_iterated_to() as f64 / NANOS_PER_SECOND;
        points.push((x, seen as f64 / crashes as f64));
        seen += v.count_at_value();
        points.push((x, seen as f64 / crashes as f64));
    }
    points
}

impl Detection {
    /// `None` when the run has no membership group.
    fn new(data: &RunData<'_>) -> Option<Self> {
        let metrics = data.metrics;
        // Registered by every membership member at its start.
        metrics.histogram_by_name("membership.detection_time")?;
        let crashes = metrics.counter_by_name("membership.crashes");
        let mut cdfs = Vec::new();
        for (name, label) in [
            ("membership.suspicion_time", "first suspicion"),
            ("membership.detection_time", "first declared dead"),
            ("membership.convergence_time", "dead in every view"),
        ] {
            if let Some(h) = metrics.histogram_by_name(name).filter(|h| !h.is_empty()) {
                let label = format!("{label} ({} of {})", h.len(), crashes.max(h.len()));
                cdfs.push((label, cdf(h, crashes.max(h.len()))));
            }
        }
        let x_end = cdfs
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(x, _)| *x))
            .fold(0.0f64, f64::max);
        let cdf_x_max = (x_end * 1.08).max(1e-3);
        for (_, points) in &mut cdfs {
            if let Some(&(_, y)) = points.last() {
                points.push((cdf_x_max, y));
            }
        }
        let id = metrics
            .counters()
            .find(|(name, _, _)| *name == "membership.false_positives")
            .map(|(_, id, _)| id);
        let windows = window_spans(data)
            .into_iter()
            .enumerate()
            .map(|(i, span)| {
                let count = match (id, metrics.windows().get(i)) {
                    (Some(id), Some(window)) => window.counter(id),
                    _ => 0,
                };
                (
                    span.start_ns as f64 / NANOS_PER_SECOND,
                    span.end_ns as f64 / NANOS_PER_SECOND,
                    count,
                )
            })
            .collect();
        let end_s = data.sim_duration_ns as f64 / NANOS_PER_SECOND;
        let mut kinds: Vec<String> = Vec::new();
        let faults = data
            .faults
            .iter()
            .map(|f| {
                let kind = match kinds.iter().position(|k| k == f.kind) {
                    Some(i) => i,
                    None => {
                        kinds.push(f.kind.to_string());
                        kinds.len() - 1
                    }
                };
                let start = f.time.as_nanos() as f64 / NANOS_PER_SECOND;
                let end = f.end.map(|e| e.as_nanos() as f64 / NANOS_PER_SECOND);
                (kind, start, end)
            })
            .collect();
        Some(Detection {
            subtitle: format!(
                "{} · seed {} · {} crashes, {} undetected at the end · {} false positives",
                data.scenario_name,
                data.seed,
                group_digits(crashes),
                group_digits(metrics.counter_by_name("membership.undetected")),
                group_digits(metrics.counter_by_name("membership.false_positives")),
            ),
            cdfs,
            cdf_x_max,
            windows,
            faults,
            kinds,
            end_s,
        })
    }

    fn draw_cdf<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let mut chart = ChartBuilder::on(area)
            .margin_left(16)
            .margin_right(24)
            .margin_bottom(12)
            .x_label_area_size(56)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..self.cdf_x_max, 0.0..1.0)?;
        style_mesh(&mut chart.configure_mesh())
            .x_label_formatter(&|x| axis_number(*x))
            .y_label_formatter(&|y| format!("{}%", axis_number(100.0 * *y)))
            .x_desc("time after the crash (s)")
            .y_desc("crashes")
            .draw()?;
        for (idx, (label, points)) in self.cdfs.iter().enumerate() {
            let style = SERIES[idx % SERIES.len()].stroke_width(3);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), style))?
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }

    fn draw_false_positives<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult<DB> {
        let y_max = self.windows.iter().map(|w| w.2).max().unwrap_or(0).max(1) as f64 * 1.15;
        let x_max = self.end_s.max(1e-3);
        let mut chart = ChartBuilder::on(area)
            .margin_left(16)
            .margin_right(36)
            .margin_bottom(12)
            .x_label_area_size(56)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        style_mesh(&mut chart.configure_mesh())
            .x_label_formatter(&|x| axis_number(*x))
            .y_label_formatter(&|y| axis_number(*y))
            .x_desc("time (s)")
            .y_desc("false positives per window")
            .draw()?;
        let bands = self.faults.len() <= FAULT_BANDS_MAX;
        for &(kind, start, end) in &self.faults {
            let color = FAULTS[kind % FAULTS.len()];
            match end.filter(|_| bands) {
                Some(end) => {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(start, 0.0), (end.min(x_max), y_max)],
                        color.mix(FAULT_ALPHA).filled(),
                    )))?;
                }
                None => {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(start, 0.0), (start, y_max)],
                        color.mix(0.5).stroke_width(1),
                    )))?;
                }
            }
        }
        for (kind, name) in self.kinds.iter().enumerate() {
            let color = FAULTS[kind % FAULTS.len()];
            chart
                .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 22, y + 6)], color.mix(0.4).filled())
                });
        }
        let style = SERIES[1].stroke_width(2);
        let steps = self
            .windows
            .iter()
            .flat_map(|&(start, end, n)| [(start, n as f64), (end, n as f64)]);
        chart
            .draw_series(LineSeries::new(steps, style))?
            .label("false positives")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

impl Figure for Detection {
    const NAME: &'static str = "detection";
    const SIZE: (u32, u32) = (1400, 600);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let area = titled(root, "Failure detection", &self.subtitle, &[])?;
        let (width, _) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally(width * 45 / 100);
        self.draw_cdf(&left)?;
        self.draw_false_positives(&right)
    }
}

/// `detection`.
pub(super) const ROW: super::PlotRow = sim_core::registry::Row {
    name: "detection",
    aliases: &["failure-detection"],
    description: "a membership group's detection-time CDFs (first suspicion, first declaration, every view) and its false positives over time with the faults shaded",
    params: &[],
    value: super::RenderPlot(|data, _| {
        Detection::new(data)
            .map(|figure| super::render(&figure))
            .transpose()
    }),
};
