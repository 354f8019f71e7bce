//! The latency percentile spectrum: every latency histogram's value at each percentile.
//!
//! The x axis counts nines, `x = -log10(1 - p)`, so 90%, 99%, 99.9% are evenly spaced and the
//! tail gets as much room as the body. A curve stops at the last percentile its sample count
//! can resolve (`1 - 1/count`) and ends at the maximum; extrapolating further would be
//! invented. The y axis is log-scaled milliseconds, so a 1 ms median and a 2 s tail fit.

use plotters::coord::Shift;
use plotters::prelude::*;
use sim_core::Unit;

use super::style::{
    axis_number, draw_empty, draw_legend, style_mesh, titled, DrawResult, Figure, SERIES,
};
use crate::format::group_digits;
use crate::format::human_ns;
use crate::RunData;

/// Most nines on the axis: 99.9999%.
const NINES_MAX: f64 = 6.0;
/// Hundredths of a nine between curve points (600 points for six nines).
const STEPS_PER_NINE: u32 = 100;
/// Nanoseconds per millisecond, the y axis unit.
const NANOS_PER_MILLI: f64 = 1e6;
/// Smallest y shown: 1 ns, so log scaling never sees zero.
const Y_FLOOR_MS: f64 = 1e-6;
/// Decades of latency shown below the largest value.
const Y_DECADES_MAX: i32 = 4;

/// One histogram's curve.
struct Curve {
    label: String,
    /// `(nines, milliseconds)`.
    points: Vec<(f64, f64)>,
}

/// The `latency_cdf` and `latency_by_group` figures.
pub(crate) struct LatencyCdf {
    title: &'static str,
    subtitle: String,
    curves: Vec<Curve>,
    nines_axis: f64,
    y_range: (f64, f64),
}

impl LatencyCdf {
    /// Curves for every whole-population histogram measured in nanoseconds that has samples
    /// (breakdowns by group or region have a figure of their own).
    pub fn new(data: &RunData<'_>) -> Self {
        let subtitle = format!(
            "{} · seed {} · every latency histogram, tail to the right",
            data.scenario_name, data.seed
        );
        Self::of(data, |name| !name.contains('{'), subtitle).titled("Latency percentile spectrum")
    }

    /// The primary histogram and its breakdowns by client group and region, overlaid: what
    /// each population saw. `None` when it has no breakdowns.
    pub fn by_group(data: &RunData<'_>, primary: &str) -> Option<Self> {
        let prefix = format!("{primary}{{");
        let has_breakdowns = data.metrics.histograms().any(|(name, _, id)| {
            name.starts_with(&prefix) && !data.metrics.histogram_data(id).is_empty()
        });
        if !has_breakdowns {
            return None;
        }
        let subtitle = format!(
            "{} · seed {} · {primary}: the whole population and each client group and region",
            data.scenario_name, data.seed
        );
        let figure = Self::of(
            data,
            |name| name == primary || name.starts_with(&prefix),
            subtitle,
        );
        Some(figure.titled("Latency by client group and region"))
    }

    fn titled(mut self, title: &'static str) -> Self {
        self.title = title;
        self
    }

    /// Curves for every histogram measured in nanoseconds that has samples and whose name
    /// `keep` accepts.
    fn of(data: &RunData<'_>, keep: impl Fn(&str) -> bool, subtitle: String) -> Self {
        let mut curves = Vec::new();
        for (name, unit, id) in data.metrics.histograms() {
            let histogram = data.metrics.histogram_data(id);
            if unit != Unit::Nanoseconds || histogram.is_empty() || !keep(name) {
                continue;
            }
            let nines_limit = (histogram.len() as f64).log10().min(NINES_MAX);
            let n_steps = (nines_limit * f64::from(STEPS_PER_NINE)).floor() as u32;
            let mut points: Vec<(f64, f64)> = (0..=n_steps)
                .map(|step| {
                    let nines = f64::from(step) / f64::from(STEPS_PER_NINE);
                    let percentile = 100.0 * (1.0 - 10f64.powf(-nines));
                    let ns = histogram.value_at_percentile(percentile);
                    (nines, (ns as f64 / NANOS_PER_MILLI).max(Y_FLOOR_MS))
                })
                .collect();
            let max_ms = (histogram.max() as f64 / NANOS_PER_MILLI).max(Y_FLOOR_MS);
            points.push((nines_limit, max_ms));
            let label = format!(
                "{name}: p50 {}, p99 {}, max {}, n={}",
                human_ns(histogram.value_at_percentile(50.0) as f64),
                human_ns(histogram.value_at_percentile(99.0) as f64),
                human_ns(histogram.max() as f64),
                group_digits(histogram.len()),
            );
            curves.push(Curve { label, points });
        }
        let nines_axis = curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.0))
            .fold(1.0f64, f64::max)
            .ceil();
        let positive = curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.1))
            .filter(|y| *y > Y_FLOOR_MS);
        let (y_min, y_max) = positive.fold((f64::INFINITY, 0.0f64), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        });
        // At most Y_DECADES_MAX decades below the largest value: a histogram of waits that
        // are often zero (or a few ns) would otherwise squash every curve into the top.
        let y_min = y_min.max(y_max / 10f64.powi(Y_DECADES_MAX)).max(Y_FLOOR_MS);
        // The axis starts at a power of ten because plotters grids a log axis from the first
        // power of ten in range; padding at the top is a factor, and at least one decade in
        // all keeps labels.
        let y_low = if y_min.is_finite() {
            10f64.powf(y_min.log10().floor())
        } else {
            Y_FLOOR_MS
        };
        let y_high = (y_max * 1.5).max(y_low * 10.0);
        // Values below the axis (zero waits) sit on its bottom edge.
        for curve in &mut curves {
            for point in &mut curve.points {
                point.1 = point.1.max(y_low);
            }
        }
        LatencyCdf {
            title: "Latency percentile spectrum",
            subtitle,
            curves,
            nines_axis,
            y_range: (y_low, y_high),
        }
    }
}

/// Up to this many decades, 2s and 5s are labelled as well as powers of ten.
const DECADES_FOR_125: i32 = 4;

/// Grid points of a log axis over `[low, high]`: labelled (bold) points at 1, 2, 5 times a
/// power of ten (only powers of ten on a wide axis), and light grid lines at every multiple
/// 1..9 of a power of ten. Plotters' own log ticks start at the first power of ten and can
/// repeat one through rounding, so they are computed here.
pub(super) fn log_key_points(low: f64, high: f64) -> (Vec<f64>, Vec<f64>) {
    assert!(
        low > 0.0 && low < high,
        "a log axis has a positive, non-empty range"
    );
    let first = low.log10().floor() as i32;
    let last = high.log10().ceil() as i32;
    let wide = last - first > DECADES_FOR_125;
    let (mut bold, mut light) = (Vec::new(), Vec::new());
    for decade in first..=last {
        let base = 10f64.powi(decade);
        for multiple in 1..=9u32 {
            let value = f64::from(multiple) * base;
            if value < low * (1.0 - 1e-9) || value > high {
                continue;
            }
            light.push(value);
            if multiple == 1 || (!wide && (multiple == 2 || multiple == 5)) {
                bold.push(value);
            }
        }
    }
    (bold, light)
}

/// The percentile at `nines` for an axis label: 0 -> `0%`, 2 -> `99%`, 3 -> `99.9%`.
fn nines_label(nines: f64) -> String {
    let rounded = nines.round();
    if (nines - rounded).abs() < 1e-6 && rounded >= 0.0 {
        return match rounded as u32 {
            0 => "0%".to_string(),
            1 => "90%".to_string(),
            n => format!("99.{}%", "9".repeat(n as usize - 2)).replace(".%", "%"),
        };
    }
    let percentile = 100.0 * (1.0 - 10f64.powf(-nines));
    format!("{}%", axis_number(percentile))
}

impl Figure for LatencyCdf {
    const NAME: &'static str = "latency_cdf";
    const SIZE: (u32, u32) = (1100, 650);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let area = titled(root, self.title, &self.subtitle, &[])?;
        if self.curves.is_empty() {
            return draw_empty(&area, "no latency histogram has samples");
        }
        let (bold, light) = log_key_points(self.y_range.0, self.y_range.1);
        let y_axis = (self.y_range.0..self.y_range.1)
            .log_scale()
            .with_key_points(bold)
            .with_light_points(light);
        let mut chart = ChartBuilder::on(&area)
            .margin_left(16)
            .margin_right(36)
            .margin_bottom(12)
            .x_label_area_size(56)
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..self.nines_axis, y_axis)?;
        style_mesh(&mut chart.configure_mesh())
            .x_labels(self.nines_axis as usize + 1)
            .x_label_formatter(&|x| nines_label(*x))
            .y_label_formatter(&|y| axis_number(*y))
            .x_desc("percentile (log scale of nines)")
            .y_desc("latency (ms, log scale)")
            .draw()?;
        for (idx, curve) in self.curves.iter().enumerate() {
            let color = SERIES[idx % SERIES.len()];
            chart
                .draw_series(LineSeries::new(
                    curve.points.iter().copied(),
                    color.stroke_width(2),
                ))?
                .label(curve.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(3))
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

/// `latency_cdf`.
pub(super) const ROW: super::PlotRow = sim_core::registry::Row {
    name: "latency_cdf",
    aliases: &[],
    description: "every latency histogram's percentile spectrum (p0 to p99.999), log scale",
    params: &[],
    value: super::RenderPlot(|data, _| super::render(&LatencyCdf::new(data)).map(Some)),
};

/// `latency_by_group`.
pub(super) const BY_GROUP_ROW: super::PlotRow = sim_core::registry::Row {
    name: "latency_by_group",
    aliases: &[],
    description: "the timeline metric's percentile spectrum per client group and region, overlaid (only with breakdowns)",
    params: &[],
    value: super::RenderPlot(|data, primary| {
        let Some(figure) = primary.and_then(|(name, _)| LatencyCdf::by_group(data, name)) else {
            return Ok(None);
        };
        // The same figure type as `latency_cdf`, under its own file name.
        super::render(&figure).map(|plot| {
            Some(super::Plot {
                name: "latency_by_group",
                ..plot
            })
        })
    }),
};

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: whole nines read as the familiar percentiles, fractions as computed percentiles,
    // and log-axis grids label 1-2-5 steps (decades only on a wide axis).
    #[test]
    fn labels_nines() {
        for (nines, expected) in [
            (0.0, "0%"),
            (1.0, "90%"),
            (2.0, "99%"),
            (3.0, "99.9%"),
            (5.0, "99.999%"),
            (0.5, "68.4%"),
        ] {
            assert_eq!(nines_label(nines), expected, "{nines}");
        }
        let (bold, light) = log_key_points(0.1, 30.0);
        assert_eq!(bold, [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]);
        assert_eq!(light.len(), 9 + 9 + 3);
        let (bold, _) = log_key_points(0.001, 2000.0);
        assert_eq!(bold, [0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]);
    }
}
