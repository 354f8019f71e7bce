//! The declared curves (t-visibility and any other a family declares): per value range, the
//! fraction of samples that count, as a step line with a dot per range sized by nothing but
//! drawn where data exists.
//!
//! The x axis is the histograms' unit (milliseconds for nanoseconds), the y axis the fraction
//! from the lowest point (rounded down to a tenth) to 1. Each range is drawn at its midpoint;
//! the last, open-ended range at its lower edge. A curve is drawn only where its ranges hold
//! samples, and the legend gives each curve's sample count and its value in the first range.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{axis_number, draw_legend, style_mesh, titled, DrawResult, Figure, SERIES};
use crate::curves::{curves, CurveEntry};
use crate::format::group_digits;
use crate::RunData;

/// Nanoseconds per millisecond, the x axis unit for nanosecond curves.
const NANOS_PER_MILLI: f64 = 1e6;

/// The `curves` figure.
struct Curves {
    subtitle: String,
    x_desc: String,
    /// Per curve: its label and (x, fraction) points.
    series: Vec<(String, Vec<(f64, f64)>)>,
    x_max: f64,
    y_min: f64,
}

impl Curves {
    /// `None` when no declared curve has samples.
    fn new(data: &RunData<'_>) -> Option<Self> {
        let entries = curves(data.metrics);
        let first = entries.values().next()?;
        let (scale, unit) = match first.unit.as_str() {
            "ns" => (NANOS_PER_MILLI, "ms".to_string()),
            other => (1.0, other.to_string()),
        };
        let series: Vec<(String, Vec<(f64, f64)>)> = entries
            .iter()
            .map(|(name, entry)| (label(name, entry), points(entry, scale)))
            .collect();
        let x_max = series
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(x, _)| *x))
            .fold(0.0f64, f64::max)
            * 1.05;
        let y_low = series
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
            .fold(1.0f64, f64::min);
        let names: Vec<&str> = entries.keys().map(String::as_str).collect();
        Some(Curves {
            subtitle: format!(
                "{} · seed {} · {}",
                data.scenario_name,
                data.seed,
                if names.len() == 1 {
                    first.description.clone()
                } else {
                    names.join(", ")
                }
            ),
            x_desc: format!("{} ({unit})", first.denominator),
            series,
            x_max: x_max.max(1e-9),
            y_min: ((y_low * 10.0).floor() / 10.0).min(0.9),
        })
    }
}

fn label(name: &str, entry: &CurveEntry) -> String {
    let samples: u64 = entry.points.iter().map(|p| p.samples).sum();
    let first = entry
        .points
        .first()
        .map(|p| format!(", first range {:.1}%", 100.0 * p.fraction))
        .unwrap_or_default();
    format!("{name}: n={}{first}", group_digits(samples))
}

fn points(entry: &CurveEntry, scale: f64) -> Vec<(f64, f64)> {
    entry
        .points
        .iter()
        .map(|p| {
            let x = match p.to {
                Some(to) => (p.from + to) as f64 / 2.0,
                None => p.from as f64,
            };
            (x / scale, p.fraction)
        })
        .collect()
}

impl Figure for Curves {
    const NAME: &'static str = "curves";
    const SIZE: (u32, u32) = (1100, 600);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let title = match self.series.as_slice() {
            [(label, _)] => label.split(':').next().unwrap_or("curve").to_string(),
            _ => "Curves".to_string(),
        };
        let area = titled(root, &title, &self.subtitle, &[])?;
        let mut chart = ChartBuilder::on(&area)
            .margin_left(16)
            .margin_right(36)
            .margin_bottom(12)
            .x_label_area_size(56)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..self.x_max, self.y_min..1.0)?;
        style_mesh(&mut chart.configure_mesh())
            .x_label_formatter(&|x| axis_number(*x))
            .y_label_formatter(&|y| format!("{}%", axis_number(100.0 * *y)))
            .x_desc(self.x_desc.as_str())
            .y_desc("fraction that counts (consistent)")
            .draw()?;
        for (idx, (label, points)) in self.series.iter().enumerate() {
            let color = SERIES[idx % SERIES.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))?
                .label(label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(3))
                });
            chart.draw_series(
                points
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 3, color.filled())),
            )?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

/// `curves`.
pub(super) const ROW: super::PlotRow = sim_core::registry::Row {
    name: "curves",
    aliases: &["t_visibility"],
    description: "every declared curve, such as a store's t-visibility (probability a read sees a write, by time since the write)",
    params: &[],
    value: super::RenderPlot(|data, _| {
        Curves::new(data)
            .map(|figure| super::render(&figure))
            .transpose()
    }),
};
