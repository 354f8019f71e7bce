//! A sweep's trade-off: the primary latency's p50 of every variant against the metric the
//! sweep sorts by (`[sweep] sort_by`), one point per variant with 95 % confidence whiskers
//! both ways: a detector's detection time against its false positives, a cache's latency
//! against its miss ratio. Drawn when the sort metric is not the primary's own percentile.
//!
//! Points of one *series* are joined in variant order, so a parameter swept within a family
//! reads as a curve: the series is the first axis's value when the sweep has more axes, or,
//! when the first axis's values are tables with a `kind` (`{ kind = "phi", threshold = 4 }`),
//! that kind; otherwise every variant is one series. The x axis is log-scaled when its
//! values span more than a decade (values at or below 0 sit on the axis's floor, labelled).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{axis_number, draw_legend, style_mesh, titled, DrawResult, Figure, SERIES};
use crate::sweep::SweepData;

/// Nanoseconds per second, the y axis unit when the primary is in ns.
const NANOS_PER_SECOND: f64 = 1e9;
/// Values spanning more than this factor get a log axis.
const LOG_SPAN_MIN: f64 = 10.0;

/// One variant's point: x and its whisker, y and its whisker.
#[derive(Clone, Copy, Debug)]
struct Point {
    x: f64,
    x_half: f64,
    y: f64,
    y_half: f64,
}

/// The `sweep_tradeoff` figure.
pub(crate) struct SweepTradeoff {
    subtitle: String,
    x_metric: String,
    y_metric: String,
    series: Vec<(String, Vec<Point>)>,
}

/// The series a variant belongs to (see the module docs).
fn series_of(sweep: &SweepData, settings: &[(String, String)]) -> String {
    let Some((_, first)) = settings.first() else {
        return String::new();
    };
    if let Some(rest) = first.split("kind = \"").nth(1) {
        if let Some(kind) = rest.split('"').next() {
            return kind.to_string();
        }
    }
    if sweep.axes.len() > 1 {
        return first.clone();
    }
    String::new()
}

impl SweepTradeoff {
    /// The trade-off of `primary`'s p50 against `x_metric`; `None` when `x_metric` is one of
    /// the primary's own percentiles or no variant has both.
    pub(crate) fn new(sweep: &SweepData, primary: &str, x_metric: &str) -> Option<Self> {
        if x_metric.starts_with(&format!("{primary}.")) {
            return None;
        }
        let y_metric = format!("{primary}.p50");
        let mut series: Vec<(String, Vec<Point>)> = Vec::new();
        for variant in &sweep.variants {
            let (Some(x), Some(y)) = (
                variant.metrics.get(x_metric),
                variant.metrics.get(&y_metric),
            ) else {
                continue;
            };
            let point = Point {
                x: x.mean,
                x_half: x.ci95_half_width.unwrap_or(0.0),
                y: y.mean / NANOS_PER_SECOND,
                y_half: y.ci95_half_width.unwrap_or(0.0) / NANOS_PER_SECOND,
            };
            let name = series_of(sweep, &variant.settings);
            match series.iter_mut().find(|(n, _)| *n == name) {
                Some((_, points)) => points.push(point),
                None => series.push((name, vec![point])),
            }
        }
        if series.is_empty() {
            return None;
        }
        Some(SweepTradeoff {
            subtitle: format!(
                "{} · {} variants × {} replications · means with 95% intervals",
                sweep.scenario,
                sweep.variants.len(),
                sweep.replications
            ),
            x_metric: x_metric.to_string(),
            y_metric,
            series,
        })
    }

    fn points(&self) -> impl Iterator<Item = &Point> {
        self.series.iter().flat_map(|(_, p)| p.iter())
    }
}

impl Figure for SweepTradeoff {
    const NAME: &'static str = "sweep_tradeoff";
    const SIZE: (u32, u32) = (1100, 650);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let area = titled(root, "Trade-off", &self.subtitle, &[])?;
        let x_low = self
            .points()
            .map(|p| p.x)
            .filter(|x| *x > 0.0)
            .fold(f64::INFINITY, f64::min);
        let x_high = self.points().map(|p| p.x + p.x_half).fold(0.0f64, f64::max);
        let y_high = self
            .points()
            .map(|p| p.y + p.y_half)
            .fold(0.0f64, f64::max)
            .max(1e-9)
            * 1.1;
        let log = x_low.is_finite() && x_high / x_low > LOG_SPAN_MIN;
        // A log axis has no zero: values at or below 0 sit at a floor a decade under the
        // smallest positive one.
        let floor = if log { x_low / 10.0 } else { 0.0 };
        let at = |x: f64| if log { x.max(floor) } else { x };
        let x_max = (x_high * 1.3).max(floor * 10.0).max(1e-9);
        let mut builder = ChartBuilder::on(&area);
        builder
            .margin_left(16)
            .margin_right(36)
            .margin_bottom(12)
            .x_label_area_size(56)
            .y_label_area_size(72);
        let x_desc = if log {
            format!("{} (log; at or below 0 on the left edge)", self.x_metric)
        } else {
            self.x_metric.clone()
        };
        let y_desc = format!("{} (s)", self.y_metric);
        macro_rules! body {
            ($chart:expr) => {{
                let mut chart = $chart;
                style_mesh(&mut chart.configure_mesh())
                    .x_label_formatter(&|x| axis_number(*x))
                    .y_label_formatter(&|y| axis_number(*y))
                    .x_desc(x_desc.as_str())
                    .y_desc(y_desc.as_str())
                    .draw()?;
                for (idx, (name, points)) in self.series.iter().enumerate() {
                    let color = SERIES[idx % SERIES.len()];
                    let line = color.stroke_width(2);
                    let whisker = color.mix(0.6).stroke_width(1);
                    for p in points {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(at(p.x - p.x_half), p.y), (at(p.x + p.x_half), p.y)],
                            whisker,
                        )))?;
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![
                                (at(p.x), (p.y - p.y_half).max(0.0)),
                                (at(p.x), p.y + p.y_half),
                            ],
                            whisker,
                        )))?;
                    }
                    chart.draw_series(LineSeries::new(
                        points.iter().map(|p| (at(p.x), p.y)),
                        line,
                    ))?;
                    let drawn = chart.draw_series(
                        points
                            .iter()
                            .map(|p| Circle::new((at(p.x), p.y), 5, color.filled())),
                    )?;
                    if !name.is_empty() {
                        drawn
                            .label(name.as_str())
                            .legend(move |(x, y)| Circle::new((x + 11, y), 5, color.filled()));
                    }
                }
                if self.series.iter().any(|(name, _)| !name.is_empty()) {
                    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
                }
                Ok(())
            }};
        }
        if log {
            body!(builder.build_cartesian_2d((floor..x_max).log_scale(), 0.0..y_high)?)
        } else {
            body!(builder.build_cartesian_2d(0.0..x_max, 0.0..y_high)?)
        }
    }
}
