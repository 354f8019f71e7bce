//! A two-axis grid sweep as a heat map (`sweep_heatmap`): rows are the first axis' values,
//! columns the second's, and each cell's colour is a metric's mean over the variant's
//! replications, with the value printed in the cell when it fits.
//!
//! Colours follow viridis (van der Walt and Smith, matplotlib, 2015): perceptually uniform,
//! readable in greyscale and by most colour-blind readers. Latency metrics spanning more than
//! a decade are coloured by their logarithm, so one slow variant does not flatten the rest.
//! A variant without the metric (every run failed) is a grey cell marked `–`. A cell is found
//! by its settings' values, not its position in the variant list, so the map is right for any
//! variant order.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontTransform;

use super::cdf::log_key_points;
use super::style::{
    axis_number, draw_empty, style_mesh, text, titled, DrawResult, Figure, HPos, Pos, VPos,
    LABEL_PX, MUTED, TEXT,
};
use super::sweep::cut;
use crate::format::human_ns;
use crate::sweep::SweepData;

/// Viridis at nine evenly spaced stops, from low to high.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2d, 0x7b),
    (0x3b, 0x52, 0x8b),
    (0x2c, 0x72, 0x8e),
    (0x21, 0x91, 0x8c),
    (0x28, 0xae, 0x80),
    (0x5e, 0xc9, 0x62),
    (0xad, 0xdc, 0x30),
    (0xfd, 0xe7, 0x25),
];
/// Fill of a cell without a value.
const EMPTY_CELL: RGBColor = RGBColor(0xee, 0xee, 0xee);
/// Values spanning more than this factor get a log colour scale (latencies only).
const LOG_SPAN_MIN: f64 = 10.0;
/// Width of the colour bar and of the area right of the map holding it and its labels, px.
const BAR_PX: u32 = 22;
const SCALE_AREA_PX: u32 = 150;
/// Colour bar steps: enough that the gradient looks smooth.
const SCALE_STEPS: u32 = 64;
/// About this many values are labelled along the colour bar.
const SCALE_LABELS: f64 = 5.0;
/// Approximate width of a label character at [`LABEL_PX`], to fit labels.
const PX_PER_CHAR: f64 = 8.5;
/// Longest axis value label, in characters; longer ones are cut.
const VALUE_LABEL_CHARS_MAX: usize = 24;

/// The `sweep_heatmap` figure.
pub(crate) struct SweepHeatmap {
    title: String,
    subtitle: String,
    row_axis: String,
    column_axis: String,
    row_labels: Vec<String>,
    column_labels: Vec<String>,
    /// `cells[row][column]`: the metric's mean, when the variant has it.
    cells: Vec<Vec<Option<f64>>>,
    /// Latencies in nanoseconds print as durations; anything else as a plain number.
    latency: bool,
    /// Colour the logarithm of the values.
    log: bool,
}

impl SweepHeatmap {
    /// The heat map of `metric` over the sweep's two axes; latencies are the metrics of the
    /// `primary` histogram.
    pub fn new(sweep: &SweepData, metric: &str, primary: &str) -> Self {
        assert_eq!(sweep.axes.len(), 2, "a heat map has two axes");
        let (rows, columns) = (&sweep.axes[0], &sweep.axes[1]);
        let mut cells = vec![vec![None; columns.values.len()]; rows.values.len()];
        for variant in &sweep.variants {
            let position = |axis: usize| {
                let wanted = &sweep.axes[axis];
                let (_, value) = variant
                    .settings
                    .iter()
                    .find(|(path, _)| *path == wanted.path)?;
                wanted.values.iter().position(|v| v == value)
            };
            if let (Some(row), Some(column), Some(stat)) =
                (position(0), position(1), variant.metrics.get(metric))
            {
                cells[row][column] = Some(stat.mean);
            }
        }
        let latency = metric.starts_with(&format!("{primary}."));
        let values = cells.iter().flatten().flatten();
        let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
        let log = latency && low > 0.0 && high / low > LOG_SPAN_MIN;
        SweepHeatmap {
            title: format!(
                "{metric} by {} and {}",
                last_part(&rows.path),
                last_part(&columns.path)
            ),
            subtitle: format!(
                "{} · mean of {} replications{}",
                sweep.scenario,
                sweep.replications,
                if log { " · log colour scale" } else { "" }
            ),
            row_axis: rows.path.clone(),
            column_axis: columns.path.clone(),
            row_labels: rows
                .values
                .iter()
                .map(|v| cut(v, VALUE_LABEL_CHARS_MAX))
                .collect(),
            column_labels: columns
                .values
                .iter()
                .map(|v| cut(v, VALUE_LABEL_CHARS_MAX))
                .collect(),
            cells,
            latency,
            log,
        }
    }

    /// A value as printed in a cell and on the scale.
    fn format(&self, value: f64) -> String {
        if self.latency {
            human_ns(value)
        } else {
            axis_number(value)
        }
    }

    /// The colour range: the least and greatest value (in log10 with a log scale).
    fn range(&self) -> Option<(f64, f64)> {
        let values = self
            .cells
            .iter()
            .flatten()
            .flatten()
            .map(|v| self.scaled(*v));
        let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        (low <= high).then_some((low, high))
    }

    fn scaled(&self, value: f64) -> f64 {
        if self.log {
            value.log10()
        } else {
            value
        }
    }

    fn unscaled(&self, scaled: f64) -> f64 {
        if self.log {
            10f64.powf(scaled)
        } else {
            scaled
        }
    }
}

impl SweepHeatmap {
    /// Round values to label along the colour bar over the scaled range `[low, high]`: 1-2-5
    /// steps of a power of ten on a log scale, about [`SCALE_LABELS`] steps of 1, 2, 2.5 or 5
    /// times a power of ten on a linear one; the one value itself when all cells are equal.
    fn scale_ticks(&self, low: f64, high: f64) -> Vec<f64> {
        if high <= low {
            return vec![self.unscaled(low)];
        }
        if self.log {
            let (bold, _) = log_key_points(10f64.powf(low), 10f64.powf(high));
            return bold;
        }
        let raw = (high - low) / SCALE_LABELS;
        let decade = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .into_iter()
            .map(|m| m * decade)
            .find(|step| *step >= raw)
            .unwrap_or(10.0 * decade);
        let first = (low / step).ceil() as i64;
        let last = (high / step).floor() as i64;
        assert!(last - first < 64, "a handful of ticks");
        (first..=last).map(|k| k as f64 * step).collect()
    }
}

/// The last dotted part of an axis path: `policy` for `group.cache.policy`.
fn last_part(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Viridis at `t` in `[0, 1]`, interpolated between its stops.
fn viridis(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let idx = (t.floor() as usize).min(VIRIDIS.len() - 2);
    let frac = t - idx as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * frac).round() as u8;
    let (a, b) = (VIRIDIS[idx], VIRIDIS[idx + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Text colour readable on `fill`: white on dark, near-black on light (by luminance).
fn text_on(fill: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = fill;
    let luminance = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
    if luminance < 140.0 {
        WHITE
    } else {
        TEXT
    }
}

impl Figure for SweepHeatmap {
    const NAME: &'static str = "sweep_heatmap";
    const SIZE: (u32, u32) = (1100, 680);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let area = titled(root, &self.title, &self.subtitle, &[])?;
        let (n_rows, n_columns) = (self.row_labels.len(), self.column_labels.len());
        if n_rows == 0 || n_columns == 0 {
            return draw_empty(&area, "an axis has no values");
        }
        let Some(range) = self.range() else {
            return draw_empty(&area, "no variant has this metric");
        };
        let (width, _) = area.dim_in_pixel();
        let (map_area, scale_area) = area.split_horizontally(width - SCALE_AREA_PX);
        let row_chars = self
            .row_labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        let column_chars = self.column_labels.iter().map(|l| l.chars().count()).max();
        let (map_width, _) = map_area.dim_in_pixel();
        let row_area_px = (row_chars as f64 * PX_PER_CHAR) as u32 + 48;
        let column_px = f64::from(map_width.saturating_sub(row_area_px + 24)) / n_columns as f64;
        let rotate = column_chars.unwrap_or(0) as f64 * PX_PER_CHAR > column_px - 8.0;
        let column_area_px = if rotate {
            (column_chars.unwrap_or(0) as f64 * PX_PER_CHAR * 0.9) as u32 + 48
        } else {
            56
        };
        let mut chart = ChartBuilder::on(&map_area)
            .margin_left(16)
            .margin_right(8)
            .margin_bottom(8)
            .x_label_area_size(column_area_px)
            .y_label_area_size(row_area_px)
            .build_cartesian_2d(-0.5..n_columns as f64 - 0.5, -0.5..n_rows as f64 - 0.5)?;
        style_mesh(&mut chart.configure_mesh())
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .x_desc(self.column_axis.as_str())
            .y_desc(self.row_axis.as_str())
            .draw()?;
        self.draw_cells(&mut chart, range)?;
        self.draw_axis_labels(root, &chart, rotate)?;
        self.draw_scale(&scale_area, range)
    }
}

impl SweepHeatmap {
    /// The cells, row 0 at the top, each with its value printed when it fits.
    fn draw_cells<DB: DrawingBackend>(
        &self,
        chart: &mut super::style::Chart2d<'_, DB>,
        (low, high): (f64, f64),
    ) -> DrawResult<DB> {
        let n_rows = self.row_labels.len();
        let (left, _) = chart.backend_coord(&(-0.5, 0.0));
        let (right, _) = chart.backend_coord(&(0.5, 0.0));
        let cell_px = f64::from((right - left).max(0) as u32);
        for (row, values) in self.cells.iter().enumerate() {
            let y = (n_rows - 1 - row) as f64;
            for (column, value) in values.iter().enumerate() {
                let x = column as f64;
                let corners = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
                let (fill, label) = match value {
                    Some(v) => {
                        let t = if high > low {
                            (self.scaled(*v) - low) / (high - low)
                        } else {
                            0.5
                        };
                        (viridis(t), self.format(*v))
                    }
                    None => (EMPTY_CELL, "–".to_string()),
                };
                chart.draw_series([Rectangle::new(corners, fill.filled())])?;
                chart.draw_series([Rectangle::new(corners, WHITE.stroke_width(2))])?;
                if label.chars().count() as f64 * PX_PER_CHAR <= cell_px - 6.0 {
                    let color = if value.is_some() {
                        text_on(fill)
                    } else {
                        MUTED
                    };
                    let style = text(LABEL_PX, color).pos(Pos::new(HPos::Center, VPos::Center));
                    chart.draw_series([Text::new(label, (x, y), style)])?;
                }
            }
        }
        Ok(())
    }

    /// Row labels left of the map, column labels under it (rotated when too wide).
    fn draw_axis_labels<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &super::style::Chart2d<'_, DB>,
        rotate: bool,
    ) -> DrawResult<DB> {
        let n_rows = self.row_labels.len();
        let row_style = text(LABEL_PX, TEXT).pos(Pos::new(HPos::Right, VPos::Center));
        for (row, label) in self.row_labels.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(-0.5, (n_rows - 1 - row) as f64));
            root.draw_text(label, &row_style, (x - 8, y))?;
        }
        let column_style = if rotate {
            text(LABEL_PX, TEXT)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            text(LABEL_PX, TEXT).pos(Pos::new(HPos::Center, VPos::Top))
        };
        for (column, label) in self.column_labels.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(column as f64, -0.5));
            root.draw_text(label, &column_style, (x, y + 8))?;
        }
        Ok(())
    }

    /// The colour bar, low at the bottom, with [`SCALE_LABELS`] values along it.
    fn draw_scale<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        (low, high): (f64, f64),
    ) -> DrawResult<DB> {
        let (_, height) = area.dim_in_pixel();
        let (top, bottom) = (40i32, height as i32 - 100);
        let left = 12i32;
        let span = f64::from((bottom - top).max(1));
        for step in 0..SCALE_STEPS {
            let t0 = f64::from(step) / f64::from(SCALE_STEPS);
            let t1 = f64::from(step + 1) / f64::from(SCALE_STEPS);
            let y0 = bottom - (t0 * span).round() as i32;
            let y1 = bottom - (t1 * span).round() as i32;
            area.draw(&Rectangle::new(
                [(left, y1), (left + BAR_PX as i32, y0)],
                viridis((t0 + t1) / 2.0).filled(),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(left, top), (left + BAR_PX as i32, bottom)],
            MUTED.stroke_width(1),
        ))?;
        let style = text(LABEL_PX, TEXT).pos(Pos::new(HPos::Left, VPos::Center));
        for value in self.scale_ticks(low, high) {
            let t = if high > low {
                (self.scaled(value) - low) / (high - low)
            } else {
                0.5
            };
            let y = bottom - (t * span).round() as i32;
            area.draw(&PathElement::new(
                vec![(left + BAR_PX as i32, y), (left + BAR_PX as i32 + 5, y)],
                MUTED.stroke_width(1),
            ))?;
            area.draw_text(&self.format(value), &style, (left + BAR_PX as i32 + 9, y))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the colour map runs from viridis' dark purple to its yellow, and cell text stays
    // readable on both ends. Method: the ends and the middle stop, and the text colour chosen.
    #[test]
    fn colours_and_text() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xfd, 0xe7, 0x25));
        assert_eq!(viridis(0.5), RGBColor(0x21, 0x91, 0x8c));
        assert_eq!(text_on(viridis(0.0)), WHITE);
        assert_eq!(text_on(viridis(1.0)), TEXT);
        assert_eq!(last_part("group.cache.policy"), "policy");
    }

    // Goal: the colour bar is labelled at round values: steps of 1, 2, 2.5 or 5 on a linear
    // scale, 1-2-5 on a log one, the one value when all cells are equal. Method: a figure
    // with no cells and each scale, its ticks compared within rounding.
    #[test]
    fn scale_ticks_are_round() {
        #[track_caller]
        fn check(log: bool, low: f64, high: f64, expected: &[f64]) {
            let figure = SweepHeatmap {
                title: String::new(),
                subtitle: String::new(),
                row_axis: String::new(),
                column_axis: String::new(),
                row_labels: vec![],
                column_labels: vec![],
                cells: vec![],
                latency: log,
                log,
            };
            let ticks = figure.scale_ticks(low, high);
            assert_eq!(ticks.len(), expected.len(), "{ticks:?}");
            for (tick, want) in ticks.iter().zip(expected) {
                assert!((tick / want - 1.0).abs() < 1e-9, "{ticks:?}");
            }
        }
        check(false, 0.245, 0.845, &[0.4, 0.6, 0.8]);
        check(false, 3.0, 17.0, &[5.0, 10.0, 15.0]);
        check(true, 12e6f64.log10(), 128e6f64.log10(), &[2e7, 5e7, 1e8]);
        check(false, 0.5, 0.5, &[0.5]);
    }
}
