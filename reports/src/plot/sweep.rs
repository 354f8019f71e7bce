//! A sweep's comparative plots: the primary latency's percentiles of every variant overlaid
//! (`sweep_latency`), and its p50 / p99 / p99.9 as grouped bars with 95% confidence whiskers
//! (`sweep_bars`). The heat map of a two-axis grid is in `sweep_heatmap`.
//!
//! Every number drawn is a mean over a variant's replications, as `sweep.json` holds it; a
//! curve joins the percentiles the runs measured (`<primary>.p50`, `.p90`, `.p99`, `.p999` and
//! any extra ones), so the lines between markers are a guide, not measurements. The percentile
//! axis counts nines as in `latency_cdf`, so the tail gets as much room as the body. A latency
//! axis is log-scaled when the values span more than a decade, and linear from zero otherwise.
//!
//! Beyond eight variants colours repeat, so each further eight get a new dash (solid, dashed,
//! dotted); beyond [`LEGEND_ENTRIES_MAX`] variants the legend lists the first ones only and the
//! subtitle says so (the page's table lists them all).

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontTransform;

use super::cdf::log_key_points;
use super::style::{
    axis_number, draw_empty, style_mesh, text, titled, DrawResult, Figure, HPos, LegendItem, Pos,
    Swatch, VPos, GRID_BOLD, LABEL_PX, MUTED, SERIES, TEXT,
};
use crate::sweep::{MetricStat, SweepData, VariantData};

/// Nanoseconds per millisecond, the latency axes' unit.
const NANOS_PER_MILLI: f64 = 1e6;
/// Values spanning more than this factor get a log axis.
const LOG_SPAN_MIN: f64 = 10.0;
/// Most legend entries (two rounds of colours); more variants are named in the page's table
/// only, so the legend never crowds out the plot.
const LEGEND_ENTRIES_MAX: usize = 16;
/// Longest legend label once colours repeat, in characters; longer ones are cut.
const LEGEND_LABEL_CHARS_MAX: usize = 24;
/// Up to this many variants, each curve point gets its confidence whisker; more would hide
/// the curves.
const CURVE_WHISKERS_VARIANTS_MAX: usize = 8;
/// Closest two percentile labels on the x axis may be, in pixels ("99.95%" is ~52 px wide).
const X_LABEL_GAP_PX: f64 = 64.0;
/// Width of the y label area, and the plot's horizontal margins, in pixels.
const Y_LABEL_AREA_PX: u32 = 84;
const MARGIN_LEFT_PX: u32 = 16;
const MARGIN_RIGHT_PX: u32 = 36;
/// Fraction of a variant's width its bars fill, and the widest a bar gets in pixels.
const BAR_FILL: f64 = 0.72;
const BAR_PX_MAX: f64 = 40.0;
/// Approximate width of a label character at [`LABEL_PX`], to decide on rotation.
const PX_PER_CHAR: f64 = 8.5;
/// Longest variant label on the bar chart's axis, in characters; longer ones are cut.
const BAR_LABEL_CHARS_MAX: usize = 28;

/// One percentile of a variant's primary histogram.
pub(crate) struct PercentileStat<'a> {
    /// 0 to 100 (exclusive).
    pub percentile: f64,
    /// As written in the metric key, `99.9` for `p999`: exact, unlike a formatted float.
    pub label: String,
    pub stat: &'a MetricStat,
}

/// Every `<primary>.p<N>` metric of `variant`, ascending by percentile.
pub(crate) fn percentile_stats<'a>(
    variant: &'a VariantData,
    primary: &str,
) -> Vec<PercentileStat<'a>> {
    let prefix = format!("{primary}.p");
    let mut out: Vec<PercentileStat<'a>> = variant
        .metrics
        .iter()
        .filter_map(|(name, stat)| {
            let key = name.strip_prefix(&prefix)?;
            // `p999` is the one standard key that is not the percentile itself.
            let label = if key == "999" { "99.9" } else { key };
            if !label.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return None;
            }
            let percentile: f64 = label.parse().ok()?;
            (0.0..100.0).contains(&percentile).then(|| PercentileStat {
                percentile,
                label: label.to_string(),
                stat,
            })
        })
        .collect();
    out.sort_by(|a, b| a.percentile.total_cmp(&b.percentile));
    assert!(out.windows(2).all(|w| w[0].percentile <= w[1].percentile));
    out
}

/// `x = -log10(1 - p)`: 90% is one nine, 99.9% three.
fn nines(percentile: f64) -> f64 {
    assert!((0.0..100.0).contains(&percentile), "{percentile}");
    -(1.0 - percentile / 100.0).log10()
}

/// How a series' line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dash {
    Solid,
    Dashed,
    Dotted,
}

/// Series `idx`'s colour and dash: colours cycle first, then dashes.
fn series_style(idx: usize) -> (RGBColor, Dash) {
    let color = SERIES[idx % SERIES.len()];
    let dash = match (idx / SERIES.len()) % 3 {
        0 => Dash::Solid,
        1 => Dash::Dashed,
        _ => Dash::Dotted,
    };
    (color, dash)
}

/// A value axis: linear from zero, or logarithmic between powers of ten.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ValueAxis {
    Linear { high: f64 },
    Log { low: f64, high: f64 },
}

impl ValueAxis {
    /// The axis for `values` (only positive ones count); `None` when there is none.
    fn fit(values: impl Iterator<Item = f64>) -> Option<Self> {
        let (low, high) = values
            .filter(|v| *v > 0.0 && v.is_finite())
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if high <= 0.0 {
            return None;
        }
        Some(if high / low > LOG_SPAN_MIN {
            // From 1, 2 or 5 times a power of ten, so the axis starts at a label rather than a
            // decade of empty space, when that start is labelled (a wide axis labels powers of
            // ten only); the top pad is a factor, and at least a decade in all keeps labels.
            let decade = 10f64.powf(low.log10().floor());
            let top = |bottom: f64| (high * 1.5).max(bottom * 10.0);
            let axis = |bottom: f64| ValueAxis::Log {
                low: bottom,
                high: top(bottom),
            };
            let labelled = |bottom: f64| {
                let (bold, _) = log_key_points(bottom, top(bottom));
                bold.first()
                    .is_some_and(|first| (first / bottom - 1.0).abs() < 1e-9)
            };
            [5.0, 2.0]
                .into_iter()
                .map(|m| m * decade)
                .find(|bottom| *bottom <= low && labelled(*bottom))
                .map_or(axis(decade), axis)
        } else {
            // 15% headroom, so the tallest bar or whisker stays clear of the frame.
            ValueAxis::Linear { high: high * 1.15 }
        })
    }

    /// The axis' lowest value: where bars start and values below it are drawn.
    fn bottom(&self) -> f64 {
        match self {
            ValueAxis::Linear { .. } => 0.0,
            ValueAxis::Log { low, .. } => *low,
        }
    }

    fn desc(&self, quantity: &str) -> String {
        match self {
            ValueAxis::Linear { .. } => format!("{quantity} (ms)"),
            ValueAxis::Log { .. } => format!("{quantity} (ms, log scale)"),
        }
    }
}

/// Builds the chart on `area` with `x` as its x axis and `value_axis` as its y axis, and hands
/// it to `$draw`: the two kinds of y axis are different types to plotters.
macro_rules! with_value_axis {
    ($builder:expr, $x:expr, $value_axis:expr, |$chart:ident| $draw:expr) => {
        match $value_axis {
            ValueAxis::Linear { high } => {
                let mut $chart = $builder.build_cartesian_2d($x, 0.0..high)?;
                $draw
            }
            ValueAxis::Log { low, high } => {
                let (bold, light) = log_key_points(low, high);
                let y = (low..high)
                    .log_scale()
                    .with_key_points(bold)
                    .with_light_points(light);
                let mut $chart = $builder.build_cartesian_2d($x, y)?;
                $draw
            }
        }
    };
}

/// A mean in milliseconds with its 95% confidence interval, when there is one.
#[derive(Clone, Copy, Debug)]
struct Measured {
    mean: f64,
    interval: Option<(f64, f64)>,
}

impl Measured {
    /// `stat` (in nanoseconds) in milliseconds.
    fn of_ns(stat: &MetricStat) -> Self {
        Measured {
            mean: stat.mean / NANOS_PER_MILLI,
            interval: stat.ci95_half_width.map(|_| {
                let (low, high) = stat.interval();
                (low / NANOS_PER_MILLI, high / NANOS_PER_MILLI)
            }),
        }
    }
}

/// One variant's curve through its percentile means.
struct Curve {
    index: u32,
    label: String,
    /// `(nines, latency)`, ascending.
    points: Vec<(f64, Measured)>,
}

/// The `sweep_latency` figure.
pub(crate) struct SweepLatency {
    subtitle: String,
    /// Shown when no variant has a percentile of the primary histogram.
    empty_message: String,
    curves: Vec<Curve>,
    /// Every measured percentile, `(nines, label)`, ascending: the x axis' labels.
    x_keys: Vec<(f64, String)>,
    nines_axis: f64,
    value_axis: Option<ValueAxis>,
}

impl SweepLatency {
    pub fn new(sweep: &SweepData, primary: &str) -> Self {
        let mut curves = Vec::new();
        let mut x_keys: Vec<(f64, String)> = Vec::new();
        let labels = distinct_labels(sweep);
        for (variant, label) in sweep.variants.iter().zip(labels) {
            let mut points = Vec::new();
            for p in percentile_stats(variant, primary) {
                let x = nines(p.percentile);
                let label = format!("{}%", p.label);
                if !x_keys.iter().any(|(_, known)| *known == label) {
                    x_keys.push((x, label));
                }
                points.push((x, Measured::of_ns(p.stat)));
            }
            curves.push(Curve {
                index: variant.index,
                label,
                points,
            });
        }
        x_keys.sort_by(|a, b| a.0.total_cmp(&b.0));
        let nines_axis = x_keys.last().map_or(1.0, |(x, _)| x.ceil().max(1.0));
        let value_axis = ValueAxis::fit(
            curves
                .iter()
                .flat_map(|c| c.points.iter().map(|p| p.1.mean)),
        );
        let mut subtitle = format!(
            "{} · {} variants · mean of {} replications · {primary}",
            sweep.scenario,
            sweep.variants.len(),
            sweep.replications
        );
        if curves.len() > LEGEND_ENTRIES_MAX {
            subtitle.push_str(&format!(
                " · legend lists the first {LEGEND_ENTRIES_MAX}, the table all"
            ));
        }
        SweepLatency {
            subtitle,
            empty_message: format!("no variant has percentiles of {primary}"),
            curves,
            x_keys,
            nines_axis,
            value_axis,
        }
    }

    fn legend(&self) -> Vec<LegendItem> {
        self.curves
            .iter()
            .take(LEGEND_ENTRIES_MAX)
            .enumerate()
            .map(|(idx, curve)| {
                let swatch = match series_style(idx) {
                    (color, Dash::Solid) => Swatch::Line(color),
                    (color, Dash::Dashed) => Swatch::Dashed(color),
                    (color, Dash::Dotted) => Swatch::Dotted(color),
                };
                // Once colours repeat, the index ties an entry to the table and the bars.
                let label = if self.curves.len() > SERIES.len() {
                    let label = format!("#{} {}", curve.index, curve.label);
                    cut(&label, LEGEND_LABEL_CHARS_MAX)
                } else {
                    curve.label.clone()
                };
                LegendItem::new(swatch, label)
            })
            .collect()
    }

    /// The x labels that fit: measured percentiles at least [`X_LABEL_GAP_PX`] apart, the
    /// median and whole nines (90%, 99%, ...) placed first so a close extra one gives way.
    fn x_labels(&self, plot_px: f64) -> Vec<(f64, String)> {
        let px_per_nine = plot_px / self.nines_axis;
        let preferred = |x: f64| (x - x.round()).abs() < 1e-9 || (x - nines(50.0)).abs() < 1e-9;
        let mut order: Vec<&(f64, String)> = self.x_keys.iter().collect();
        order.sort_by_key(|(x, _)| !preferred(*x)); // Stable: ascending within each rank.
        let mut kept: Vec<(f64, String)> = Vec::new();
        for (x, label) in order {
            if kept
                .iter()
                .all(|(k, _)| (x - k).abs() * px_per_nine >= X_LABEL_GAP_PX)
            {
                kept.push((*x, label.clone()));
            }
        }
        kept.sort_by(|a, b| a.0.total_cmp(&b.0));
        kept
    }

    fn draw_on<'c, DB, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &mut ChartContext<'c, DB, Cartesian2d<RangedCoordf64, Y>>,
        x_labels: &[(f64, String)],
        y_desc: &str,
        bottom: f64,
    ) -> DrawResult<DB>
    where
        DB: DrawingBackend + 'c,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        // The percentile labels and their grid lines are placed by hand: plotters has no
        // formatter for a linear axis with chosen key points.
        style_mesh(&mut chart.configure_mesh())
            .disable_x_mesh()
            .x_labels(0)
            .y_label_formatter(&|y| axis_number(*y))
            .x_desc("percentile (log scale of nines)")
            .y_desc(y_desc)
            .draw()?;
        let top = chart.plotting_area().get_y_range().end;
        let label_style = text(LABEL_PX, TEXT).pos(Pos::new(HPos::Center, VPos::Top));
        for (x, label) in x_labels {
            chart.draw_series([PathElement::new(
                vec![(*x, bottom), (*x, top)],
                GRID_BOLD.stroke_width(1),
            )])?;
            let (px, py) = chart.backend_coord(&(*x, bottom));
            root.draw(&PathElement::new(vec![(px, py), (px, py + 5)], MUTED))?;
            root.draw_text(label, &label_style, (px, py + 8))?;
        }
        let whiskers = self.curves.len() <= CURVE_WHISKERS_VARIANTS_MAX;
        for (idx, curve) in self.curves.iter().enumerate() {
            let (color, dash) = series_style(idx);
            let points: Vec<(f64, f64)> = curve
                .points
                .iter()
                .map(|(x, latency)| (*x, latency.mean.max(bottom)))
                .collect();
            let style = color.stroke_width(2);
            match dash {
                Dash::Solid => chart.draw_series(LineSeries::new(points.clone(), style))?,
                Dash::Dashed => {
                    chart.draw_series(DashedLineSeries::new(points.clone(), 10, 6, style))?
                }
                Dash::Dotted => {
                    chart.draw_series(DashedLineSeries::new(points.clone(), 3, 4, style))?
                }
            };
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
            if whiskers {
                let bars = curve.points.iter().filter_map(|(x, latency)| {
                    let (x, (low, high)) = (*x, latency.interval?);
                    Some(PathElement::new(
                        vec![(x, low.max(bottom)), (x, high.max(bottom))],
                        color.mix(0.6).stroke_width(2),
                    ))
                });
                chart.draw_series(bars)?;
            }
        }
        Ok(())
    }
}

impl Figure for SweepLatency {
    const NAME: &'static str = "sweep_latency";
    const SIZE: (u32, u32) = (1100, 680);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let Some(value_axis) = self.value_axis else {
            let area = titled(root, "Latency percentiles by variant", &self.subtitle, &[])?;
            return draw_empty(&area, &self.empty_message);
        };
        let area = titled(
            root,
            "Latency percentiles by variant",
            &self.subtitle,
            &self.legend(),
        )?;
        let (width, _) = area.dim_in_pixel();
        let plot_px = f64::from(width - Y_LABEL_AREA_PX - MARGIN_LEFT_PX - MARGIN_RIGHT_PX);
        let x_labels = self.x_labels(plot_px);
        let x = 0.0..self.nines_axis;
        let mut builder = ChartBuilder::on(&area);
        builder
            .margin_left(MARGIN_LEFT_PX)
            .margin_right(MARGIN_RIGHT_PX)
            .margin_bottom(12)
            .x_label_area_size(56)
            .y_label_area_size(Y_LABEL_AREA_PX);
        let y_desc = value_axis.desc("latency");
        let bottom = value_axis.bottom();
        with_value_axis!(builder, x, value_axis, |chart| self
            .draw_on(root, &mut chart, &x_labels, &y_desc, bottom))
    }
}

/// The percentiles the bar chart shows: metric key suffix, legend label.
const BAR_STATS: [(&str, &str); 3] = [("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")];

/// One variant's bars: per [`BAR_STATS`] entry, the mean and CI in ms when measured.
struct BarGroup {
    label: String,
    bars: Vec<Option<Measured>>,
}

/// The `sweep_bars` figure.
pub(crate) struct SweepBars {
    subtitle: String,
    empty_message: String,
    groups: Vec<BarGroup>,
    value_axis: Option<ValueAxis>,
}

impl SweepBars {
    pub fn new(sweep: &SweepData, primary: &str) -> Self {
        let labels = distinct_labels(sweep);
        let groups: Vec<BarGroup> = sweep
            .variants
            .iter()
            .zip(labels)
            .map(|(variant, label)| BarGroup {
                label: format!("#{} {label}", variant.index),
                bars: BAR_STATS
                    .iter()
                    .map(|(key, _)| {
                        let stat = variant.metrics.get(&format!("{primary}.{key}"))?;
                        Some(Measured::of_ns(stat))
                    })
                    .collect(),
            })
            .collect();
        let values = groups
            .iter()
            .flat_map(|g| g.bars.iter().flatten())
            .flat_map(|bar| {
                let (low, high) = bar.interval.unwrap_or((bar.mean, bar.mean));
                [bar.mean, low, high]
            });
        let value_axis = ValueAxis::fit(values);
        SweepBars {
            subtitle: format!(
                "{} · {primary} · mean of {} replications, whiskers: 95% confidence interval",
                sweep.scenario, sweep.replications
            ),
            empty_message: format!("no variant has p50, p99 or p99.9 of {primary}"),
            groups,
            value_axis,
        }
    }

    fn legend(&self) -> Vec<LegendItem> {
        let mut items: Vec<LegendItem> = BAR_STATS
            .iter()
            .enumerate()
            .map(|(idx, (_, label))| LegendItem::new(Swatch::Fill(SERIES[idx], 1.0), *label))
            .collect();
        items.push(LegendItem::new(
            Swatch::Line(TEXT),
            "95% confidence interval of the mean",
        ));
        items
    }

    fn draw_on<'c, DB, Y>(
        &self,
        chart: &mut ChartContext<'c, DB, Cartesian2d<RangedCoordf64, Y>>,
        y_desc: &str,
        bottom: f64,
        bar_fill: f64,
    ) -> DrawResult<DB>
    where
        DB: DrawingBackend + 'c,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        style_mesh(&mut chart.configure_mesh())
            .disable_x_mesh()
            .x_labels(0)
            .y_label_formatter(&|y| axis_number(*y))
            .x_desc("variant")
            .y_desc(y_desc)
            .draw()?;
        let bar_width = bar_fill / BAR_STATS.len() as f64;
        for (series_idx, color) in SERIES.iter().take(BAR_STATS.len()).enumerate() {
            let offset = -bar_fill / 2.0 + bar_width * series_idx as f64;
            let measured = self.groups.iter().enumerate().filter_map(|(idx, group)| {
                group.bars[series_idx].map(|bar| (idx as f64 + offset, bar))
            });
            chart.draw_series(measured.clone().map(|(left, bar)| {
                Rectangle::new(
                    [(left, bottom), (left + bar_width, bar.mean.max(bottom))],
                    color.filled(),
                )
            }))?;
            let whiskers = measured.flat_map(|(left, bar)| {
                let (low, high) = bar.interval?;
                let (low, high) = (low.max(bottom), high.max(bottom));
                let center = left + bar_width / 2.0;
                let cap = bar_width / 4.0;
                let style = TEXT.stroke_width(1);
                Some([
                    PathElement::new(vec![(center, low), (center, high)], style),
                    PathElement::new(vec![(center - cap, low), (center + cap, low)], style),
                    PathElement::new(vec![(center - cap, high), (center + cap, high)], style),
                ])
            });
            chart.draw_series(whiskers.flatten())?;
        }
        Ok(())
    }
}

/// How the bar chart labels its variants.
struct CategoryLabels {
    texts: Vec<String>,
    rotate: bool,
    /// Height of the x label area, in pixels.
    area_px: u32,
}

/// Variant labels that fit `category_px` each: flat when the longest fits, otherwise rotated
/// and cut to [`BAR_LABEL_CHARS_MAX`] characters, and only the index when even a rotated line
/// of text is wider than a variant.
fn category_labels(groups: &[BarGroup], category_px: f64) -> CategoryLabels {
    let longest = groups
        .iter()
        .map(|g| g.label.chars().count())
        .max()
        .unwrap_or(0);
    if longest as f64 * PX_PER_CHAR <= category_px - 6.0 {
        return CategoryLabels {
            texts: groups.iter().map(|g| g.label.clone()).collect(),
            rotate: false,
            area_px: 60,
        };
    }
    let texts: Vec<String> = if category_px >= LABEL_PX + 2.0 {
        groups
            .iter()
            .map(|g| cut(&g.label, BAR_LABEL_CHARS_MAX))
            .collect()
    } else {
        groups
            .iter()
            .map(|g| g.label.split(' ').next().unwrap_or("").to_string())
            .collect()
    };
    let chars = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0);
    CategoryLabels {
        texts,
        rotate: true,
        area_px: (chars as f64 * PX_PER_CHAR * 0.9) as u32 + 44,
    }
}

/// The variants' labels without the words every one of them starts or ends with (elided as
/// `…`), so a plot's short labels show what tells them apart: `{ attempts = 3, jitter =
/// "full", on = ["rejected"] }` against `{ attempts = 3, jitter = "none", on = ["rejected"] }`
/// become `…jitter = "full",…` and `…jitter = "none",…`. A label that would be left empty is
/// kept whole.
pub(super) fn distinct_labels(sweep: &SweepData) -> Vec<String> {
    let labels: Vec<&str> = sweep.variants.iter().map(|v| v.label.as_str()).collect();
    distinct(&labels)
}

/// [`distinct_labels`] of plain labels.
fn distinct(given: &[&str]) -> Vec<String> {
    let labels: Vec<Vec<char>> = given.iter().map(|l| l.chars().collect()).collect();
    if labels.len() < 2 {
        return given.iter().map(|l| l.to_string()).collect();
    }
    let shortest = labels.iter().map(Vec::len).min().unwrap_or(0);
    let first = &labels[0];
    let mut prefix = (0..shortest)
        .take_while(|&i| labels.iter().all(|l| l[i] == first[i]))
        .count();
    // Whole words only: back to just after a space.
    while prefix > 0 && first[prefix - 1] != ' ' {
        prefix -= 1;
    }
    let room = shortest - prefix;
    let mut suffix = (0..room)
        .take_while(|&i| {
            let c = first[first.len() - 1 - i];
            labels.iter().all(|l| l[l.len() - 1 - i] == c)
        })
        .count();
    // Whole words only: back to just before a space.
    while suffix > 0 && first[first.len() - suffix - 1] != ' ' {
        suffix -= 1;
    }
    labels
        .iter()
        .zip(given)
        .map(|(chars, whole)| {
            let middle: String = chars[prefix..chars.len() - suffix].iter().collect();
            let middle = middle.trim();
            if middle.is_empty() {
                return whole.to_string();
            }
            let head = if prefix > 0 { "…" } else { "" };
            let tail = if suffix > 0 { "…" } else { "" };
            format!("{head}{middle}{tail}")
        })
        .collect()
}

/// `label` cut to [`BAR_LABEL_CHARS_MAX`] characters by an ellipsis in the middle, which keeps
/// the index and the last axis' value, the parts that tell neighbours apart.
pub(super) fn cut(label: &str, chars_max: usize) -> String {
    assert!(chars_max >= 3, "room for an ellipsis and both ends");
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= chars_max {
        return label.to_string();
    }
    let head = (chars_max - 1) / 2;
    let tail = chars_max - 1 - head;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    assert_eq!(out.chars().count(), chars_max);
    out
}

impl Figure for SweepBars {
    const NAME: &'static str = "sweep_bars";
    const SIZE: (u32, u32) = (1200, 640);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let title = "Latency p50 / p99 / p99.9 by variant";
        let Some(value_axis) = self.value_axis else {
            let area = titled(root, title, &self.subtitle, &[])?;
            return draw_empty(&area, &self.empty_message);
        };
        let area = titled(root, title, &self.subtitle, &self.legend())?;
        let (width, _) = area.dim_in_pixel();
        let n = self.groups.len();
        let category_px =
            f64::from(width - Y_LABEL_AREA_PX - MARGIN_LEFT_PX - MARGIN_RIGHT_PX) / n as f64;
        let labels = category_labels(&self.groups, category_px);
        let bar_fill = BAR_FILL.min(BAR_PX_MAX * BAR_STATS.len() as f64 / category_px);
        let mut builder = ChartBuilder::on(&area);
        builder
            .margin_left(MARGIN_LEFT_PX)
            .margin_right(MARGIN_RIGHT_PX)
            .margin_bottom(8)
            .x_label_area_size(labels.area_px)
            .y_label_area_size(Y_LABEL_AREA_PX);
        let x = -0.5..n as f64 - 0.5;
        let y_desc = value_axis.desc("latency");
        let bottom = value_axis.bottom();
        // Each label goes under its variant's centre, placed by hand: plotters would pick its
        // own tick positions.
        let label_style = if labels.rotate {
            text(LABEL_PX - 1.0, TEXT)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            text(LABEL_PX, TEXT).pos(Pos::new(HPos::Center, VPos::Top))
        };
        with_value_axis!(builder, x, value_axis, |chart| {
            self.draw_on(&mut chart, &y_desc, bottom, bar_fill)?;
            for (idx, label) in labels.texts.iter().enumerate() {
                let (x, y) = chart.backend_coord(&(idx as f64, bottom));
                root.draw_text(label, &label_style, (x, y + 8))?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: labels lose the words all of them share at both ends, keep whole words, and a
    // label that would be left empty stays whole.
    #[test]
    fn distinct_labels_keep_what_differs() {
        let labels = [
            "{ attempts = 3, on = [\"rejected\"] }",
            "{ attempts = 3, jitter = \"none\", on = [\"rejected\"] }",
            "{ attempts = 3, jitter = \"full\", on = [\"rejected\"] }",
        ];
        assert_eq!(
            distinct(&labels),
            [
                "{ attempts = 3, on = [\"rejected\"] }",
                "…jitter = \"none\",…",
                "…jitter = \"full\",…"
            ]
        );
        assert_eq!(distinct(&["lru, 8MiB", "lru, 64MiB"]), ["…8MiB", "…64MiB"]);
        assert_eq!(distinct(&["only"]), ["only"]);
    }

    // Goal: percentile keys of the primary histogram are found and ordered, `p999` reads as
    // 99.9, and other histograms or statistics are ignored. Method: a variant with a mix of
    // keys, checked against the expected (percentile, label) list.
    #[test]
    fn finds_primary_percentiles() {
        let stat = MetricStat::of(vec![1.0]);
        let names = [
            "latency.read.p99",
            "latency.read.p999",
            "latency.read.p50",
            "latency.read.p99.99",
            "latency.read.p25",
            "latency.read.mean",
            "latency.read_repair.p50",
            "latency.write.p50",
            "client.timeouts",
        ];
        let variant = VariantData {
            index: 0,
            settings: vec![],
            label: "base".into(),
            runs: vec![],
            metrics: names
                .iter()
                .map(|n| (n.to_string(), stat.clone()))
                .collect(),
        };
        let found: Vec<(f64, String)> = percentile_stats(&variant, "latency.read")
            .into_iter()
            .map(|p| (p.percentile, p.label))
            .collect();
        let expected = [
            (25.0, "25"),
            (50.0, "50"),
            (99.0, "99"),
            (99.9, "99.9"),
            (99.99, "99.99"),
        ];
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for ((p, label), (p_expected, label_expected)) in found.iter().zip(expected) {
            assert_eq!(label, label_expected);
            assert!((p - p_expected).abs() < 1e-12);
        }
        assert!((nines(99.9) - 3.0).abs() < 1e-9);
    }

    // Goal: a value axis is linear within a decade, logarithmic beyond, and absent without
    // positive values. Method: three small value sets.
    #[test]
    fn value_axis_scale() {
        assert_eq!(
            ValueAxis::fit([2.0, 8.0].into_iter()),
            Some(ValueAxis::Linear { high: 8.0 * 1.15 })
        );
        assert_eq!(
            ValueAxis::fit([0.3, 40.0].into_iter()),
            Some(ValueAxis::Log {
                low: 0.2,
                high: 60.0
            })
        );
        assert_eq!(ValueAxis::fit([0.0].into_iter()), None);
        assert_eq!(series_style(9), (SERIES[1], Dash::Dashed));
        assert_eq!(cut("#14 clock-pro, \"1MiB\"", 13), "#14 cl…\"1MiB\"");
    }
}
