//! Writing a run's (or a study's) files: everything is validated and rendered in memory first,
//! then each file is written atomically into the directory the caller hands in, `results.json`
//! last so its presence means the set is complete.
//!
//! This is the one module that puts data, plots, HTML and files together; the data modules
//! (`results`, `cache_study`, `placement`, `sweep`) know nothing of plots, and the plots know
//! nothing of files.

use std::path::{Path, PathBuf};

use sim_core::metrics::{Direction, MetricKind};
use sim_core::{HistogramId, Metrics};

use crate::cache_study::{self, CacheStudyData};
use crate::error::ReportError;
use crate::placement::{self, PlacementStudyData};
use crate::plot::{self, Plot};
use crate::results::{build_results, write_results};
use crate::{html, output, results, timeseries, PlotFiles, RunData, WrittenFiles};

/// Writes every output of a run into `dir` (created if missing): `timeseries.csv`,
/// `latency_cdf`, `timeline` and `node_load` as `.svg` and `.png`, `report.html`, and last
/// `results.json`.
///
/// Everything is validated and rendered in memory before the first file is written, and each
/// file goes to a temporary name and is renamed into place, so a failure or a kill never
/// leaves a truncated file under a real name.
pub fn write_run(dir: &Path, data: &RunData<'_>) -> Result<WrittenFiles, ReportError> {
    let extra = results::extra_percentiles(&data.percentiles)?;
    let primary = primary_latency(data)?;
    let results = build_results(data)?;
    let mut json = Vec::new();
    write_results(&mut json, &results)?;
    let csv = timeseries::timeseries_csv(data);
    let plots = plot::render_all(data, primary)?;
    let page = html::render(&html::Page {
        results: &results,
        extra: &extra,
        plots: &plots,
    });

    output::create_dir(dir)?;
    let timeseries_csv = output::write_atomic(dir, "timeseries.csv", csv.as_bytes())?;
    let mut plot_files = Vec::with_capacity(plots.len());
    for plot in &plots {
        plot_files.push(PlotFiles {
            name: plot.name.to_string(),
            svg: output::write_atomic(dir, &format!("{}.svg", plot.name), plot.svg.as_bytes())?,
            png: output::write_atomic(dir, &format!("{}.png", plot.name), &plot.png)?,
        });
    }
    let report_html = output::write_atomic(dir, "report.html", page.as_bytes())?;
    let results_json = output::write_atomic(dir, "results.json", &json)?;
    Ok(WrittenFiles {
        results_json,
        timeseries_csv,
        plots: plot_files,
        report_html,
    })
}

/// The histogram the timeline shows: the one named by `primary_latency`, else the first (by
/// name) histogram of request latencies, else the first histogram of times kept per window
/// (a whole-run one would leave the timeline empty), else the first histogram of times, else
/// none.
fn primary_latency<'m>(data: &RunData<'m>) -> Result<Option<(&'m str, HistogramId)>, ReportError> {
    let metrics: &'m Metrics = data.metrics;
    match &data.primary_latency {
        Some(wanted) => match metrics.histograms().find(|(name, _, _)| name == wanted) {
            Some((name, _, id)) => Ok(Some((name, id))),
            None => Err(ReportError::UnknownPrimaryMetric {
                name: wanted.clone(),
                known: metrics
                    .histograms()
                    .map(|(name, _, _)| name)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        },
        None => {
            let mut histograms = metrics.histograms();
            let times = || {
                metrics
                    .histograms()
                    .filter(|(_, unit, _)| *unit == sim_core::Unit::Nanoseconds)
            };
            let windowed_time = times().find(|(_, _, id)| metrics.is_windowed(*id));
            Ok(histograms
                .find(|(name, _, _)| is_request_latency(metrics, name))
                .or(windowed_time)
                .or_else(|| times().next())
                .map(|(name, _, id)| (name, id)))
        }
    }
}

/// Writes a cache study into `dir` (created if missing): `miss_ratio_curve.svg`,
/// `miss_ratio_curve.png`, and last `results.json`; returns the paths in that order.
///
/// Everything is rendered in memory before the first file is written, and each file is
/// written atomically (a temporary name, then a rename).
pub fn write_cache_study(dir: &Path, study: &CacheStudyData) -> Result<Vec<PathBuf>, ReportError> {
    study.check();
    let json = cache_study::study_json(study)?;
    let figure = plot::render(&plot::mrc::MissRatioCurve::new(study))?;
    write_figure_and_results(dir, &figure, &json)
}

/// Writes a placement study into `dir` (created if missing): `placement.svg`,
/// `placement.png`, and last `results.json`; returns the paths in that order.
///
/// Everything is rendered in memory before the first file is written, and each file is
/// written atomically (a temporary name, then a rename).
pub fn write_placement_study(
    dir: &Path,
    study: &PlacementStudyData,
) -> Result<Vec<PathBuf>, ReportError> {
    study.check();
    let json = placement::study_json(study)?;
    let figure = plot::render(&plot::placement::PlacementChart::new(study))?;
    write_figure_and_results(dir, &figure, &json)
}

/// Writes a study's figure (`<name>.svg`, `<name>.png`) and then its `results.json` into
/// `dir` (created if missing), each atomically, `results.json` last so its presence means the
/// set is complete; returns the paths in that order.
fn write_figure_and_results(
    dir: &Path,
    figure: &Plot,
    results_json: &[u8],
) -> Result<Vec<PathBuf>, ReportError> {
    output::create_dir(dir)?;
    let written = vec![
        output::write_atomic(dir, &format!("{}.svg", figure.name), figure.svg.as_bytes())?,
        output::write_atomic(dir, &format!("{}.png", figure.name), &figure.png)?,
        output::write_atomic(dir, "results.json", results_json)?,
    ];
    assert!(written.iter().all(|path| path.starts_with(dir)));
    Ok(written)
}

/// Whether histogram `name` holds request latencies: a time whose sample count falls when
/// requests fail (what a family declares for its successful-request latencies, such as the
/// clients' `latency.*`).
fn is_request_latency(metrics: &Metrics, name: &str) -> bool {
    metrics
        .meaning(name, MetricKind::Histogram)
        .is_some_and(|m| {
            m.unit == sim_core::Unit::Nanoseconds && m.count_direction == Direction::LowerIsWorse
        })
}
