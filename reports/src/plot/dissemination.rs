//! Dissemination: the informed fraction over time since a rumour's birth, for a gossip
//! group, with the theory's curve where the run declares one.
//!
//! Reads `gossip.informed_after` (per first receipt, the time since the rumour's birth) and
//! `gossip.member_rumours` (members × born rumours): the fraction informed by t is the first
//! receipts up to t over the pairs, so a rumour that never reached everyone leaves the curve
//! below 1 (the residue). `gossip.informed_after.mean_field`, when the run adds it, is the
//! mean-field recursion's prediction for the same configuration, drawn dashed.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{axis_number, draw_legend, style_mesh, titled, DrawResult, Figure, SERIES};
use crate::format::group_digits;
use crate::RunData;

/// Nanoseconds per second, the x axis unit.
const NANOS_PER_SECOND: f64 = 1e9;

/// One line: its label, whether it is drawn dashed (theory), and its (seconds, fraction)
/// points.
type Series = (String, bool, Vec<(f64, f64)>);

/// The `dissemination` figure.
struct Dissemination {
    subtitle: String,
    series: Vec<Series>,
    x_max: f64,
}

/// The cumulative fraction of `pairs` a histogram of receipt times reaches, as points.
fn cumulative(histogram: &hdrhistogram::Histogram<u64>, pairs: u64) -> Vec<(f64, f64)> {
    let mut points = vec![(0.0, 0.0)];
    let mut seen = 0u64;
    for v in histogram.iter_recorded() {
        let x = v.value_iterated_to() as f64 / NANOS_PER_SECOND;
        let before = seen as f64 / pairs as f64;
        seen += v.count_at_value();
        // A step: flat until this value, then up.
        points.push((x, before));
        points.push((x, seen as f64 / pairs as f64));
    }
    points
}

impl Dissemination {
    /// `None` when the run has no gossip receipts.
    fn new(data: &RunData<'_>) -> Option<Self> {
        let run = data.metrics.histogram_by_name("gossip.informed_after")?;
        let pairs = data.metrics.counter_by_name("gossip.member_rumours");
        if run.is_empty() || pairs == 0 {
            return None;
        }
        let residue = data.metrics.counter_by_name("gossip.residue");
        let mut series = vec![(
            format!(
                "this run: {} of {} member-rumour pairs informed",
                group_digits(run.len()),
                group_digits(pairs)
            ),
            false,
            cumulative(run, pairs),
        )];
        if let Some(theory) = data
            .metrics
            .histogram_by_name("gossip.informed_after.mean_field")
            .filter(|h| !h.is_empty())
        {
            series.push((
                "mean-field recursion (synchronous rounds)".to_string(),
                true,
                cumulative(theory, pairs),
            ));
        }
        let x_end = series
            .iter()
            .flat_map(|(_, _, p)| p.iter().map(|(x, _)| *x))
            .fold(0.0f64, f64::max);
        // Run the last level on a little past the last receipt.
        let x_max = (x_end * 1.08).max(1e-6);
        for (_, _, points) in &mut series {
            if let Some(&(_, y)) = points.last() {
                points.push((x_max, y));
            }
        }
        Some(Dissemination {
            subtitle: format!(
                "{} · seed {} · informed fraction by time since each rumour's birth · residue {}",
                data.scenario_name,
                data.seed,
                group_digits(residue)
            ),
            series,
            x_max,
        })
    }
}

impl Figure for Dissemination {
    const NAME: &'static str = "dissemination";
    const SIZE: (u32, u32) = (1100, 600);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let area = titled(root, "Dissemination", &self.subtitle, &[])?;
        let mut chart = ChartBuilder::on(&area)
            .margin_left(16)
            .margin_right(36)
            .margin_bottom(12)
            .x_label_area_size(56)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..self.x_max, 0.0..1.0)?;
        style_mesh(&mut chart.configure_mesh())
            .x_label_formatter(&|x| axis_number(*x))
            .y_label_formatter(&|y| format!("{}%", axis_number(100.0 * *y)))
            .x_desc("time since the rumour's birth (s)")
            .y_desc("members informed")
            .draw()?;
        for (idx, (label, dashed, points)) in self.series.iter().enumerate() {
            let color = SERIES[idx % SERIES.len()];
            let style = color.stroke_width(if *dashed { 2 } else { 3 });
            let drawn = if *dashed {
                chart.draw_series(DashedLineSeries::new(points.iter().copied(), 8, 6, style))?
            } else {
                chart.draw_series(LineSeries::new(points.iter().copied(), style))?
            };
            drawn
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

/// `dissemination`.
pub(super) const ROW: super::PlotRow = sim_core::registry::Row {
    name: "dissemination",
    aliases: &["gossip"],
    description: "a gossip group's informed fraction over time since each rumour's birth, with the mean-field theory where it applies",
    params: &[],
    value: super::RenderPlot(|data, _| {
        Dissemination::new(data)
            .map(|figure| super::render(&figure))
            .transpose()
    }),
};
