//! Plots: each figure is drawn once per backend, to SVG text and to an RGB buffer encoded as
//! PNG.
//!
//! Text uses DejaVu Sans, bundled in `assets/` and registered with plotters' `ab_glyph` font
//! table, so PNGs need no system fonts and render identically everywhere (plotters' default
//! `ttf` feature would look fonts up through fontconfig, and a fresh CI machine has none).
//! The SVGs name the `sans-serif` family and are laid out with the same font's metrics.
//!
//! Styling (palette, font sizes, grid colours) lives here so the figures look like one set.

mod cdf;
mod counts;
mod curves;
mod detection;
mod dissemination;
mod load;
pub(crate) mod mrc;
pub(crate) mod placement;
mod raster;
pub(crate) mod style;
pub(crate) mod sweep;
pub(crate) mod sweep_heatmap;
pub(crate) mod sweep_tradeoff;
mod timeline;

use sim_core::registry::{Registry, Row};
use sim_core::HistogramId;

use crate::error::ReportError;
use crate::RunData;
pub(crate) use style::{render, Plot};

/// The histogram the timeline shows, if any: its name and id.
pub(crate) type Primary<'a> = Option<(&'a str, HistogramId)>;

/// Draws one of a run's plots: from the run's data and the histogram the timeline shows;
/// `None` when the plot has nothing to show for this run (a breakdown plot without
/// breakdowns), so it is left out rather than drawn empty.
#[derive(Clone, Copy)]
pub struct RenderPlot(
    pub(crate) fn(&RunData<'_>, Primary<'_>) -> Result<Option<Plot>, ReportError>,
);

impl std::fmt::Debug for RenderPlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RenderPlot")
    }
}

/// One run plot's registry row.
pub type PlotRow = Row<RenderPlot>;

/// Every plot a run's report draws, in the order they appear. **A new plot** is a figure in
/// its own file in this folder with a `pub(super) const ROW: PlotRow` beside it, and that row
/// added here; `[report] plots`, `distsim list` and the docs read the rows.
pub const PLOTS: &[PlotRow] = &[
    cdf::ROW,
    cdf::BY_GROUP_ROW,
    timeline::ROW,
    load::ROW,
    curves::ROW,
    counts::ROW,
    dissemination::ROW,
    detection::ROW,
];

/// The run plots as a registry.
pub fn plots() -> Registry<RenderPlot> {
    Registry::new("plot", PLOTS)
}

/// Draws every plot of the run that `data.plots` asks for (all when it asks for none).
pub(crate) fn render_all(
    data: &RunData<'_>,
    primary: Option<(&str, HistogramId)>,
) -> Result<Vec<Plot>, ReportError> {
    let wanted = |name: &str| {
        data.plots
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| p == name))
    };
    PLOTS
        .iter()
        .filter(|row| wanted(row.name))
        .filter_map(|row| (row.value.0)(data, primary).transpose())
        .collect()
}
