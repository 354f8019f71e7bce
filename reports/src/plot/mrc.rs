//! A cache study's miss-ratio curves: miss ratio against cache size, one line per policy, so
//! the policy that needs the least memory for a target miss ratio stands out.
//!
//! Sizes usually span decades (0.1% to 10% of the working set), so the x axis is the size's
//! logarithm whenever the sizes span at least a factor of ten, labelled in plain units
//! (`10k`, `2.5M`). Each measured point gets a marker: the lines between them are only a
//! guide, not measurements.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{
    axis_number, draw_empty, style_mesh, titled, DrawResult, Figure, LegendItem, Swatch, SERIES,
};
use crate::cache_study::CacheStudyData;

/// The `miss_ratio_curve` figure.
pub(crate) struct MissRatioCurve {
    subtitle: String,
    x_desc: String,
    /// Whether x values are `log10(capacity)`.
    log_x: bool,
    /// Policy name and its (x, miss ratio) points in size order.
    series: Vec<(String, Vec<(f64, f64)>)>,
}

/// Sizes spanning at least this factor get a log axis.
const LOG_SPAN_MIN: f64 = 10.0;

impl MissRatioCurve {
    pub fn new(study: &CacheStudyData) -> Self {
        let capacities = study.rows.iter().map(|row| row.capacity as f64);
        let low = capacities.clone().fold(f64::INFINITY, f64::min);
        let high = capacities.fold(0.0, f64::max);
        let log_x = low > 0.0 && high / low >= LOG_SPAN_MIN;
        let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for row in &study.rows {
            let capacity = row.capacity as f64;
            let x = if log_x { capacity.log10() } else { capacity };
            match series.iter_mut().find(|(name, _)| *name == row.policy) {
                Some((_, points)) => points.push((x, row.miss_ratio())),
                None => series.push((row.policy.clone(), vec![(x, row.miss_ratio())])),
            }
        }
        for (_, points) in &mut series {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        let partial = if study.partial.is_some() {
            " · PARTIAL (trace error)"
        } else {
            ""
        };
        MissRatioCurve {
            subtitle: format!(
                "{} · {} requests{}{partial}",
                study.source,
                crate::format::group_digits(study.requests),
                study.objects.map_or(String::new(), |n| format!(
                    ", {} objects",
                    crate::format::group_digits(n)
                ))
            ),
            x_desc: format!(
                "cache size ({}{})",
                study.capacity_unit(),
                if log_x { ", log scale" } else { "" }
            ),
            log_x,
            series,
        }
    }

    fn legend(&self) -> Vec<LegendItem> {
        self.series
            .iter()
            .enumerate()
            .map(|(idx, (name, _))| {
                LegendItem::new(Swatch::Line(SERIES[idx % SERIES.len()]), name.clone())
            })
            .collect()
    }
}

/// A size for an axis label: `950`, `12k`, `2.5M`, `1.2G`.
fn short_size(value: f64) -> String {
    for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] {
        if value >= scale {
            return format!("{}{suffix}", axis_number(value / scale));
        }
    }
    axis_number(value)
}

impl Figure for MissRatioCurve {
    const NAME: &'static str = "miss_ratio_curve";
    const SIZE: (u32, u32) = (1100, 650);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let area = titled(
            root,
            "Miss ratio by cache size",
            &self.subtitle,
            &self.legend(),
        )?;
        let points = || self.series.iter().flat_map(|(_, p)| p.iter().copied());
        if points().next().is_none() {
            return draw_empty(&area, "no policy and size was simulated");
        }
        let x_low = points().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let x_high = points().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        // A little room on both sides so end markers are not cut; one size still gets a range.
        let pad = if x_high > x_low {
            (x_high - x_low) * 0.04
        } else {
            x_low.abs().max(1.0) * 0.5
        };
        let y_high = points().map(|p| p.1).fold(0.0, f64::max);
        let y_top = if y_high > 0.0 {
            (y_high * 1.1).min(1.0)
        } else {
            1.0
        };
        let mut chart = ChartBuilder::on(&area)
            .margin_left(16)
            .margin_right(36)
            .margin_bottom(12)
            .x_label_area_size(56)
            .y_label_area_size(84)
            .build_cartesian_2d((x_low - pad)..(x_high + pad), 0.0..y_top)?;
        let log_x = self.log_x;
        let x_formatter = move |x: &f64| {
            if log_x {
                short_size(10f64.powf(*x))
            } else {
                short_size(*x)
            }
        };
        style_mesh(&mut chart.configure_mesh())
            .x_labels(10)
            .x_label_formatter(&x_formatter)
            .y_label_formatter(&|y| axis_number(*y))
            .x_desc(self.x_desc.as_str())
            .y_desc("miss ratio")
            .draw()?;
        for (idx, (_, points)) in self.series.iter().enumerate() {
            let color = SERIES[idx % SERIES.len()];
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?;
            chart.draw_series(
                points
                    .iter()
                    .map(|&point| Circle::new(point, 4, color.filled())),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: size labels stay short at every magnitude.
    #[test]
    fn short_sizes() {
        let labels: Vec<String> = [950.0, 12_000.0, 2_500_000.0, 1.2e9]
            .into_iter()
            .map(short_size)
            .collect();
        assert_eq!(labels, ["950", "12k", "2.5M", "1.2G"]);
    }
}
