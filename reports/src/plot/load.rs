//! Per-node load: messages received and work completed by each node, to spot hot spots.
//!
//! Up to [`NODES_PER_BAR_MAX`] nodes get a bar each, with a dashed line at the mean so skew
//! is visible at a glance. Beyond that, bars would be thinner than their labels, so nodes are
//! aggregated by group: each bar is the group's mean per node and a whisker spans its least
//! and most loaded node. A series that is zero everywhere (no service model, or no messages)
//! is left out rather than drawn flat.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontTransform;

use super::style::{
    axis_number, darken, draw_empty, style_mesh, text, titled, Chart2d, DrawResult, Figure, HPos,
    LegendItem, Pos, Swatch, VPos, LABEL_PX, SERIES, TEXT,
};
use crate::RunData;

/// Most nodes drawn one bar each; more are aggregated by group.
const NODES_PER_BAR_MAX: usize = 64;
/// Fraction of a category's width its bars fill, and the widest a bar gets in pixels (a few
/// categories would otherwise get slabs).
const BAR_FILL: f64 = 0.72;
const BAR_PX_MAX: f64 = 90.0;
/// Labels longer than a category is wide are drawn rotated; this is the narrowest category
/// (in pixels) that still fits an unrotated label of this many characters.
const PX_PER_CHAR: f64 = 8.5;

/// One bar's value: a node's count, or a group's mean with its range.
#[derive(Clone, Copy, Debug)]
struct Bar {
    mean: f64,
    min: u64,
    max: u64,
}

/// One category on the x axis: a node or a group.
struct Category {
    label: String,
    /// The node's group (or the group itself): mean lines span one group's nodes.
    group: String,
    /// One bar per shown series.
    bars: Vec<Bar>,
}

/// The `node_load` figure.
pub(crate) struct NodeLoadChart {
    title: String,
    subtitle: String,
    series: Vec<&'static str>,
    categories: Vec<Category>,
    grouped: bool,
}

/// Reads one quantity from a node's totals.
type Read = fn(&sim_core::NodeStats) -> u64;

/// The series a node can show, with how to read each from a node.
const SERIES_DEFS: [(&str, Read); 2] = [
    ("messages received", |s| s.received),
    ("work completed", |s| s.work_completed),
];

impl NodeLoadChart {
    /// Bars per node, or per group when there are many nodes.
    pub fn new(data: &RunData<'_>) -> Self {
        let shown: Vec<_> = SERIES_DEFS
            .iter()
            .filter(|(_, read)| data.nodes.iter().any(|n| read(&n.stats) > 0))
            .collect();
        let grouped = data.nodes.len() > NODES_PER_BAR_MAX;
        let categories: Vec<Category> = if grouped {
            let mut groups: BTreeMap<&str, Vec<&sim_core::NodeStats>> = BTreeMap::new();
            for node in &data.nodes {
                groups
                    .entry(node.group.as_str())
                    .or_default()
                    .push(&node.stats);
            }
            groups
                .into_iter()
                .map(|(group, stats)| Category {
                    label: format!("{group} ({})", stats.len()),
                    group: group.to_string(),
                    bars: shown
                        .iter()
                        .map(|(_, read)| aggregate(&stats, *read))
                        .collect(),
                })
                .collect()
        } else {
            data.nodes
                .iter()
                .map(|node| Category {
                    label: node.name.clone(),
                    group: node.group.clone(),
                    bars: shown
                        .iter()
                        .map(|(_, read)| aggregate(&[&node.stats], *read))
                        .collect(),
                })
                .collect()
        };
        let (title, subtitle) = if grouped {
            (
                "Load per group".to_string(),
                format!(
                    "{} · seed {} · {} nodes in {} groups, totals over the whole run",
                    data.scenario_name,
                    data.seed,
                    data.nodes.len(),
                    categories.len()
                ),
            )
        } else {
            (
                "Load per node".to_string(),
                format!(
                    "{} · seed {} · totals over the whole run",
                    data.scenario_name, data.seed
                ),
            )
        };
        NodeLoadChart {
            title,
            subtitle,
            series: shown.iter().map(|(name, _)| *name).collect(),
            categories,
            grouped,
        }
    }
}

/// Mean, least and most of `read` over `stats` (not empty).
fn aggregate(stats: &[&sim_core::NodeStats], read: Read) -> Bar {
    assert!(!stats.is_empty(), "every category has a node");
    let values = stats.iter().map(|s| read(s));
    let sum: f64 = values.clone().map(|v| v as f64).sum();
    Bar {
        mean: sum / stats.len() as f64,
        min: values.clone().min().expect("not empty"),
        max: values.max().expect("not empty"),
    }
}

impl Figure for NodeLoadChart {
    const NAME: &'static str = "node_load";
    const SIZE: (u32, u32) = (1200, 600);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        if self.categories.is_empty() || self.series.is_empty() {
            let area = titled(root, &self.title, &self.subtitle, &[])?;
            let message = if self.categories.is_empty() {
                "no nodes were listed for this run"
            } else {
                "no node received a message or completed work"
            };
            return draw_empty(&area, message);
        }
        let area = titled(root, &self.title, &self.subtitle, &self.legend())?;
        let (width, _) = area.dim_in_pixel();
        let n = self.categories.len();
        let category_px = f64::from(width.saturating_sub(140)) / n as f64;
        let longest = self
            .categories
            .iter()
            .map(|c| c.label.chars().count())
            .max()
            .unwrap_or(0);
        let rotate = longest as f64 * PX_PER_CHAR > category_px;
        let label_style = if rotate {
            text(LABEL_PX - 1.0, TEXT)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            text(LABEL_PX, TEXT).pos(Pos::new(HPos::Center, VPos::Top))
        };
        let label_area = if rotate {
            (longest as f64 * PX_PER_CHAR * 0.9) as u32 + 44
        } else {
            60
        };
        let y_max = self
            .categories
            .iter()
            .flat_map(|c| c.bars.iter().map(|b| b.max as f64))
            .fold(0.0, f64::max);
        // 15% headroom, so the tallest bars and their group-mean line stay clear of the frame.
        let y_top = if y_max > 0.0 { y_max * 1.15 } else { 1.0 };
        let mut chart = ChartBuilder::on(&area)
            .margin_left(16)
            .margin_right(36)
            .margin_bottom(8)
            .x_label_area_size(label_area)
            .y_label_area_size(84)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..y_top)?;
        style_mesh(&mut chart.configure_mesh())
            .disable_x_mesh()
            .x_labels(0)
            .y_label_formatter(&|y| axis_number(*y))
            .x_desc(if self.grouped {
                "node group (nodes)"
            } else {
                "node"
            })
            .y_desc("count over the run")
            .draw()?;
        let bar_fill = BAR_FILL.min(BAR_PX_MAX * self.series.len() as f64 / category_px);
        self.draw_bars(&mut chart, bar_fill)?;
        // Category labels, placed by hand under each category's centre.
        for (idx, category) in self.categories.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(idx as f64, 0.0));
            root.draw_text(&category.label, &label_style, (x, y + 8))?;
        }
        Ok(())
    }
}

impl NodeLoadChart {
    fn legend(&self) -> Vec<LegendItem> {
        let mut items = Vec::new();
        for (series_idx, name) in self.series.iter().enumerate() {
            let color = SERIES[series_idx % SERIES.len()];
            if self.grouped {
                items.push(LegendItem::new(
                    Swatch::Fill(color, 1.0),
                    format!("{name} (mean per node)"),
                ));
            } else {
                items.push(LegendItem::new(Swatch::Fill(color, 1.0), *name));
                items.push(LegendItem::new(
                    Swatch::Dashed(darken(color)),
                    format!("{name}: group mean"),
                ));
            }
        }
        if self.grouped {
            items.push(LegendItem::new(
                Swatch::Line(TEXT),
                "range: least to most loaded node",
            ));
        }
        items
    }

    /// Each group's run of consecutive categories, `(first, last)` inclusive, with the mean of
    /// series `series_idx` over it. Groups are contiguous: nodes are numbered group by group.
    fn group_means(&self, series_idx: usize) -> Vec<(usize, usize, f64)> {
        let mut spans: Vec<(usize, usize, f64)> = Vec::new();
        for (idx, category) in self.categories.iter().enumerate() {
            let value = category.bars[series_idx].mean;
            match spans.last_mut() {
                Some((first, last, sum)) if self.categories[*first].group == category.group => {
                    *last = idx;
                    *sum += value;
                }
                _ => spans.push((idx, idx, value)),
            }
        }
        spans
            .into_iter()
            .map(|(first, last, sum)| (first, last, sum / (last - first + 1) as f64))
            .collect()
    }

    /// Draws the bars (filling `bar_fill` of each category), whiskers or mean lines.
    fn draw_bars<'c, DB: DrawingBackend + 'c>(
        &self,
        chart: &mut Chart2d<'c, DB>,
        bar_fill: f64,
    ) -> DrawResult<DB> {
        let n_series = self.series.len() as f64;
        let bar_width = bar_fill / n_series;
        for series_idx in 0..self.series.len() {
            let color = SERIES[series_idx % SERIES.len()];
            let offset = -bar_fill / 2.0 + bar_width * series_idx as f64;
            let bars = self.categories.iter().enumerate().map(|(idx, category)| {
                let left = idx as f64 + offset;
                let bar = category.bars[series_idx];
                Rectangle::new([(left, 0.0), (left + bar_width, bar.mean)], color.filled())
            });
            chart.draw_series(bars)?;
            if self.grouped {
                let ranged = self.categories.iter().enumerate().filter(|(_, category)| {
                    let bar = category.bars[series_idx];
                    bar.max > bar.min
                });
                let whiskers = ranged.flat_map(|(idx, category)| {
                    let center = idx as f64 + offset + bar_width / 2.0;
                    let cap = bar_width / 4.0;
                    let bar = category.bars[series_idx];
                    let (low, high) = (bar.min as f64, bar.max as f64);
                    let style = TEXT.stroke_width(1);
                    [
                        PathElement::new(vec![(center, low), (center, high)], style),
                        PathElement::new(vec![(center - cap, low), (center + cap, low)], style),
                        PathElement::new(vec![(center - cap, high), (center + cap, high)], style),
                    ]
                });
                chart.draw_series(whiskers)?;
            }
        }
        // Mean lines go on top of every bar so no bar hides them; one per group, over its
        // own nodes only (a mean across clients and servers would describe neither).
        if !self.grouped {
            for series_idx in 0..self.series.len() {
                let color = darken(SERIES[series_idx % SERIES.len()]);
                for (first, last, mean) in self.group_means(series_idx) {
                    if mean <= 0.0 {
                        continue;
                    }
                    chart.draw_series(DashedLineSeries::new(
                        vec![(first as f64 - 0.45, mean), (last as f64 + 0.45, mean)],
                        8,
                        5,
                        color.stroke_width(2),
                    ))?;
                }
            }
        }
        Ok(())
    }
}

/// `node_load`.
pub(super) const ROW: super::PlotRow = sim_core::registry::Row {
    name: "node_load",
    aliases: &[],
    description: "messages and busy time per node (per group for large clusters)",
    params: &[],
    value: super::RenderPlot(|data, _| super::render(&NodeLoadChart::new(data)).map(Some)),
};
