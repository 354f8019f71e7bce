//! A placement study's shares per node, to see how evenly a scheme spreads keys and requests.
//!
//! Up to [`NODES_PER_BAR_MAX`] nodes get a bar each (key share, and request share beside it
//! when requests were drawn), in node id order. Beyond that, bars would be thinner than a
//! pixel's worth of meaning, so each series is drawn sorted from the most to the least loaded
//! node as a line: its left end is the hottest node, and its slope shows the spread. Either
//! way a dashed line marks the mean share, `1 / n`, so skew is visible at a glance.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{
    axis_number, darken, style_mesh, titled, Chart2d, DrawResult, Figure, LegendItem, Swatch,
    SERIES, TEXT,
};
use crate::format::sig3;
use crate::placement::PlacementStudyData;

/// Most nodes drawn one bar each; more are drawn as sorted lines.
const NODES_PER_BAR_MAX: usize = 64;
/// Fraction of a node's width its bars fill.
const BAR_FILL: f64 = 0.72;

/// The `placement` figure.
pub(crate) struct PlacementChart {
    title: String,
    subtitle: String,
    /// Series name and each node's share in percent, by node id.
    series: Vec<(&'static str, Vec<f64>)>,
    /// Mean share in percent: `100 / n`.
    mean: f64,
    /// Draw sorted lines rather than one bar per node.
    sorted: bool,
}

impl PlacementChart {
    pub fn new(study: &PlacementStudyData) -> Self {
        let percent = |shares: &[f64]| shares.iter().map(|s| s * 100.0).collect::<Vec<f64>>();
        let mut series = vec![("key share", percent(&study.key_share))];
        if let Some(shares) = &study.request_share {
            series.push(("request share", percent(shares)));
        }
        let sorted = study.key_share.len() > NODES_PER_BAR_MAX;
        if sorted {
            for (_, values) in &mut series {
                values.sort_by(|a, b| b.total_cmp(a));
            }
        }
        let parameters = if study.parameters.is_empty() {
            String::new()
        } else {
            format!(" ({})", study.parameters)
        };
        let requests = match &study.popularity {
            Some(popularity) => format!(" · requests {popularity}"),
            None => String::new(),
        };
        PlacementChart {
            title: format!(
                "Placement: {}{parameters}, {} nodes",
                study.scheme, study.n_nodes
            ),
            subtitle: format!(
                "{} keys{requests} · seed {} · moved on join {}% (ideal {}%), on leave {}%",
                crate::format::group_digits(study.n_keys),
                study.seed,
                sig3(study.moved_on_join_fraction() * 100.0),
                sig3(study.join_ideal() * 100.0),
                sig3(study.moved_on_leave_fraction() * 100.0),
            ),
            mean: 100.0 / f64::from(study.n_nodes),
            series,
            sorted,
        }
    }

    fn legend(&self) -> Vec<LegendItem> {
        let mut items: Vec<LegendItem> = self
            .series
            .iter()
            .enumerate()
            .map(|(idx, (name, _))| {
                let color = SERIES[idx % SERIES.len()];
                if self.sorted {
                    LegendItem::new(Swatch::Line(color), format!("{name}, sorted"))
                } else {
                    LegendItem::new(Swatch::Fill(color, 1.0), *name)
                }
            })
            .collect();
        items.push(LegendItem::new(
            Swatch::Dashed(TEXT),
            format!("mean share 1/n = {}%", sig3(self.mean)),
        ));
        items
    }

    fn draw_series<'c, DB: DrawingBackend + 'c>(
        &self,
        chart: &mut Chart2d<'c, DB>,
    ) -> DrawResult<DB> {
        let n_series = self.series.len() as f64;
        let bar_width = BAR_FILL / n_series;
        for (series_idx, (_, values)) in self.series.iter().enumerate() {
            let color = SERIES[series_idx % SERIES.len()];
            if self.sorted {
                let points = values
                    .iter()
                    .enumerate()
                    .map(|(rank, value)| (rank as f64, *value));
                chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
            } else {
                let offset = -BAR_FILL / 2.0 + bar_width * series_idx as f64;
                let bars = values.iter().enumerate().map(|(idx, value)| {
                    let left = idx as f64 + offset;
                    Rectangle::new([(left, 0.0), (left + bar_width, *value)], color.filled())
                });
                chart.draw_series(bars)?;
            }
        }
        let n = self.series[0].1.len() as f64;
        chart.draw_series(DashedLineSeries::new(
            vec![(-0.5, self.mean), (n - 0.5, self.mean)],
            8,
            5,
            darken(TEXT).stroke_width(2),
        ))?;
        Ok(())
    }
}

impl Figure for PlacementChart {
    const NAME: &'static str = "placement";
    const SIZE: (u32, u32) = (1200, 600);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let area = titled(root, &self.title, &self.subtitle, &self.legend())?;
        let n = self.series[0].1.len();
        assert!(n > 0, "a study has at least one node");
        let y_max = self
            .series
            .iter()
            .flat_map(|(_, values)| values.iter().copied())
            .fold(self.mean, f64::max);
        // 15% headroom, so the tallest bar stays clear of the frame.
        let y_top = if y_max > 0.0 { y_max * 1.15 } else { 1.0 };
        let mut chart = ChartBuilder::on(&area)
            .margin_left(16)
            .margin_right(36)
            .margin_bottom(8)
            .x_label_area_size(56)
            .y_label_area_size(84)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..y_top)?;
        // Whole ticks only (a node id or a rank); plotters picks round steps for ~16 labels.
        let x_formatter = |x: &f64| {
            let rounded = x.round();
            if (x - rounded).abs() < 1e-6 && rounded >= 0.0 {
                format!("{}", rounded as u64)
            } else {
                String::new()
            }
        };
        style_mesh(&mut chart.configure_mesh())
            .disable_x_mesh()
            .x_labels(16)
            .x_label_formatter(&x_formatter)
            .y_label_formatter(&|y| axis_number(*y))
            .x_desc(if self.sorted {
                "node, sorted from most to least loaded"
            } else {
                "node id"
            })
            .y_desc("share (%)")
            .draw()?;
        self.draw_series(&mut chart)
    }
}
