//! Distributions of counts: every whole-population histogram whose unit is a plain count
//! (a store's k-staleness: how many acknowledged versions a read was behind), as the share of
//! samples at each value.
//!
//! One bar per value from 0 up to [`VALUES_MAX`] − 1, the last bar holding every larger value;
//! the y axis is logarithmic (10⁻⁶ to 1) so a tail of one read in a million is visible beside
//! the 99% at zero. Histograms of counts come from models whose meaning reports do not know:
//! the figure reads only the unit.

use plotters::coord::Shift;
use plotters::prelude::*;
use sim_core::Unit;

use super::style::{axis_number, style_mesh, titled, DrawResult, Figure, SERIES};
use crate::format::group_digits;
use crate::RunData;

/// Bars per histogram: values 0 to `VALUES_MAX − 2`, then one for `VALUES_MAX − 1` and above.
const VALUES_MAX: usize = 16;
/// The lowest share the log axis shows.
const SHARE_FLOOR: f64 = 1e-6;

/// One histogram's shares by value.
struct Counts {
    name: String,
    samples: u64,
    /// Per value (the last: that value or more), the share of samples.
    shares: Vec<f64>,
}

/// The `counts` figure.
struct CountsFigure {
    subtitle: String,
    histograms: Vec<Counts>,
}

impl CountsFigure {
    /// `None` when no count histogram has samples.
    fn new(data: &RunData<'_>) -> Option<Self> {
        let mut histograms = Vec::new();
        for (name, unit, id) in data.metrics.histograms() {
            let histogram = data.metrics.histogram_data(id);
            if unit != Unit::Count || histogram.is_empty() || name.contains('{') {
                continue;
            }
            let mut counts = [0u64; VALUES_MAX];
            for v in histogram.iter_recorded() {
                let value = (v.value_iterated_to() as usize).min(VALUES_MAX - 1);
                counts[value] += v.count_at_value();
            }
            let samples = histogram.len();
            let shares = counts.iter().map(|c| *c as f64 / samples as f64).collect();
            histograms.push(Counts {
                name: name.to_string(),
                samples,
                shares,
            });
        }
        if histograms.is_empty() {
            return None;
        }
        Some(CountsFigure {
            subtitle: format!(
                "{} · seed {} · the share of samples at each value (log scale; the last bar: {} or more)",
                data.scenario_name,
                data.seed,
                VALUES_MAX - 1
            ),
            histograms,
        })
    }
}

impl Figure for CountsFigure {
    const NAME: &'static str = "counts";
    const SIZE: (u32, u32) = (1100, 560);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let title = match self.histograms.as_slice() {
            [one] => one.name.clone(),
            _ => "Distributions of counts".to_string(),
        };
        let legend: Vec<super::style::LegendItem> = self
            .histograms
            .iter()
            .enumerate()
            .map(|(i, h)| {
                super::style::LegendItem::new(
                    super::style::Swatch::Fill(SERIES[i % SERIES.len()], 1.0),
                    format!("{}: n={}", h.name, group_digits(h.samples)),
                )
            })
            .collect();
        let area = titled(root, &title, &self.subtitle, &legend)?;
        let n = self.histograms.len() as f64;
        let mut chart = ChartBuilder::on(&area)
            .margin_left(16)
            .margin_right(36)
            .margin_bottom(12)
            .x_label_area_size(52)
            .y_label_area_size(84)
            .build_cartesian_2d(
                -0.5..VALUES_MAX as f64 - 0.5,
                (SHARE_FLOOR..1.0).log_scale(),
            )?;
        style_mesh(&mut chart.configure_mesh())
            .x_labels(VALUES_MAX)
            .x_label_formatter(&|x| {
                let v = x.round() as usize;
                if v + 1 == VALUES_MAX {
                    format!("≥{v}")
                } else {
                    v.to_string()
                }
            })
            .y_label_formatter(&|y| format!("{}%", axis_number(100.0 * y)))
            .x_desc("value")
            .y_desc("share of samples (log scale)")
            .draw()?;
        let width = 0.8 / n;
        for (i, h) in self.histograms.iter().enumerate() {
            let color = SERIES[i % SERIES.len()];
            let offset = -0.4 + width * i as f64;
            chart.draw_series(h.shares.iter().enumerate().filter(|(_, s)| **s > 0.0).map(
                |(value, share)| {
                    let x0 = value as f64 + offset;
                    Rectangle::new(
                        [(x0, SHARE_FLOOR), (x0 + width, share.max(SHARE_FLOOR))],
                        color.filled(),
                    )
                },
            ))?;
        }
        Ok(())
    }
}

/// `counts`.
pub(super) const ROW: super::PlotRow = sim_core::registry::Row {
    name: "counts",
    aliases: &["staleness"],
    description: "every histogram of plain counts (a store's k-staleness) as the share of samples at each value, log scale",
    params: &[],
    value: super::RenderPlot(|data, _| {
        CountsFigure::new(data)
            .map(|figure| super::render(&figure))
            .transpose()
    }),
};
