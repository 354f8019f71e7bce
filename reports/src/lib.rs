//! Reports for distsim: turning a finished run's metrics, fault log and node totals into
//! `results.json`, `timeseries.csv`, plots (SVG and PNG), a self-contained `report.html`, and
//! the compact percentile table printed in the terminal; and, for `distsim placement`, a
//! placement study's `results.json`, share plot and table ([`write_placement_study`]).
//!
//! It exists so that every front end (the `distsim` binary, tests, benchmarks) produces the
//! same outputs from the same run, byte for byte: the scenario runner fills a [`RunData`]
//! after a run and calls [`write_run`]. For CI, [`evaluate_check`] judges a run's (or several
//! replications') results against the scenario's assertions and a stored [`Baseline`], and
//! [`write_check`] writes the verdict as `check.md` and `check.junit.xml`.
//!
//! It deliberately does not run simulations, parse scenarios or decide what a model should
//! measure; it writes only into the directory or writer it is handed, and its output types
//! ([`ResultsFile`] and friends) are separate from the engine's runtime types, because a
//! serialised type is a compatibility promise.
//!
//! # Choices
//!
//! - **Determinism.** Names are iterated in sorted order, JSON keys are sorted, floats are
//!   printed by `ryu` or with fixed precision, CSV times are exact decimals computed with
//!   integers, and neither files nor images carry timestamps. Writing the same run twice
//!   gives identical bytes in every file.
//! - **Plots** are drawn with `plotters`, once onto its SVG backend and once onto an RGB
//!   buffer that the `png` crate encodes. Text uses DejaVu Sans bundled in `assets/` and
//!   registered through plotters' `ab_glyph` feature, with glyphs placed by our own small
//!   backend wrapper (plotters' ab_glyph text ignores glyph bearings). So PNGs render
//!   identically on a fresh machine with no system fonts, without a whole SVG rasteriser
//!   (`resvg`) and its font database in the build. The HTML embeds the SVGs inline.
//! - **Atomic files.** Each file is written under a temporary name in the target directory
//!   and renamed, and `results.json` is written last, so its presence means the set is
//!   complete.
//!
//! # Example
//!
//! ```
//! use reports::{percentile_table, write_run, NodeLoad, RunData};
//! use sim_core::{Metrics, NodeStats, SimDuration, SimTime, Unit};
//!
//! let mut metrics = Metrics::new();
//! metrics.set_window(SimDuration::from_secs(1));
//! let read = metrics.histogram("latency.read", Unit::Nanoseconds);
//! for i in 0..1_000u64 {
//!     metrics.record(read, 200_000 + i * 1_000, SimTime(i * 2_000_000));
//! }
//! let stats = NodeStats { up: true, sent: 10, received: 12, work_completed: 12, busy_ns: 5_000 };
//! let data = RunData {
//!     scenario_name: "demo".into(),
//!     description: None,
//!     scenario_file: "demo.toml".into(),
//!     reproduce: "distsim run demo.toml --seed 7".into(),
//!     scenario_hash: "00ff".into(),
//!     seed: 7,
//!     distsim_version: "0.1.0".into(),
//!     sim_duration_ns: 2_000_000_000,
//!     warmup_ns: 0,
//!     partial: None,
//!     events: 1_000,
//!     digest: 0x2a,
//!     metrics: &metrics,
//!     faults: &[],
//!     membership: vec![],
//!     nodes: vec![NodeLoad { name: "cache[0]".into(), group: "cache".into(), stats }],
//!     percentiles: vec![99.99],
//!     primary_latency: None,
//!     timeline_counters: Vec::new(),
//!     plots: None,
//!     findings: vec![],
//! };
//! assert!(percentile_table(&data).starts_with("metric"));
//!
//! let dir = std::env::temp_dir().join(format!("reports-doc-{}", std::process::id()));
//! let written = write_run(&dir, &data)?;
//! assert!(written.results_json.exists());
//! # std::fs::remove_dir_all(&dir).expect("cleanup");
//! # Ok::<(), reports::ReportError>(())
//! ```
#![deny(missing_docs)]

mod cache_study;
mod check;
mod curves;
pub use curves::{CurveEntry, CurvePoint};
mod error;
mod format;
pub use format::{group_digits, human_bytes};
mod html;
mod meaning;
mod outcomes;
mod output;
mod placement;
mod plot;
mod results;
pub mod stats;
mod sweep;
mod sweep_report;
mod table;
mod timeseries;
mod trace_page;
mod write;

use std::path::{Path, PathBuf};

use sim_core::{FaultRecord, Metrics, NodeStats};

pub use cache_study::{cache_table, CacheStudyData, CacheStudyRow, CACHE_SCHEMA_VERSION};
pub use check::{
    build_baseline, check_junit, check_markdown, check_table, direction_of, evaluate_check, judge,
    metric_names, metric_value, read_baseline, save_baseline, write_baseline, write_check,
    Assertion, Baseline, BaselineMetric, CheckFiles, CheckInput, CheckReport, CheckRow, Comparison,
    Direction, MetricUnit, MetricValue, RowKind, Verdict, BASELINE_KIND, BASELINE_SCHEMA_VERSION,
    HISTOGRAM_STATS,
};
pub use error::ReportError;
pub use meaning::{DerivedEntry, MetricMeaning};
pub use outcomes::{outcome_line, percent, OutcomeEntry, OUTCOMES_INVARIANT, OUTCOME_FIELDS};
pub use output::{create_dir, write_atomic};
pub use placement::{placement_table, PlacementStudyData, ShareSpread, PLACEMENT_SCHEMA_VERSION};
pub use plot::{plots, PlotRow, RenderPlot, PLOTS};
pub use results::{
    build_results, read_results, sorted_results_json, write_results, AnnotationEntry, FaultEntry,
    GroupLoad, MembershipEntry, MetricSummary, NodeEntry, NodeKeys, ResultsFile, SCHEMA_VERSION,
};
pub use sweep::{
    read_sweep, run_directions, run_metrics, summarize_variant, sweep_csv, sweep_json, sweep_table,
    write_sweep_summary, MetricStat, RunFailure, RunRef, SweepAxis, SweepData, VariantData,
    SWEEP_KIND, SWEEP_SCHEMA_VERSION,
};
pub use sweep_report::write_sweep_report;
pub use table::percentile_table;
pub use timeseries::write_timeseries;
pub use trace_page::{starts_message, trace_page, TracePageError, MESSAGES_MAX};
pub use write::{write_cache_study, write_placement_study, write_run};

/// Everything a report is made from: plain data the scenario runner fills after a run.
#[derive(Clone, Debug)]
pub struct RunData<'a> {
    /// The scenario's name.
    pub scenario_name: String,
    /// The scenario's free-text description, if it has one.
    pub description: Option<String>,
    /// The scenario file as given on the command line.
    pub scenario_file: String,
    /// The command that reruns this run exactly (file, seed and any overrides).
    pub reproduce: String,
    /// Hex hash of the scenario file's contents.
    pub scenario_hash: String,
    /// The run's root seed.
    pub seed: u64,
    /// The distsim version that ran it.
    pub distsim_version: String,
    /// Simulated length of the run in nanoseconds, warm-up included.
    pub sim_duration_ns: u64,
    /// Warm-up at the start of the run in nanoseconds (shaded on the timeline).
    pub warmup_ns: u64,
    /// Why the run stopped early, or `None` if it ran to its end time.
    pub partial: Option<String>,
    /// Events the engine processed.
    pub events: u64,
    /// The run digest (`Simulation::digest`): equal for runs that processed the same events.
    pub digest: u64,
    /// Every metric the run recorded.
    pub metrics: &'a Metrics,
    /// Every fault that fired, in time order.
    pub faults: &'a [FaultRecord],
    /// Placement membership changes and the keys each moved, in the order applied.
    pub membership: Vec<MembershipEntry>,
    /// Per-node totals, in node id order.
    pub nodes: Vec<NodeLoad>,
    /// Percentiles to report beyond p50, p90, p99 and p99.9, such as `99.99` (0 to 100).
    pub percentiles: Vec<f64>,
    /// Which plots to draw, by name (see [`PLOTS`]); `None` draws them all.
    pub plots: Option<Vec<String>>,
    /// The histogram whose throughput and percentiles the timeline shows; by default the
    /// first (by name) histogram whose name starts with `latency.`.
    pub primary_latency: Option<String>,
    /// Counters the timeline draws per second over its top panel, by name (a name the run
    /// never recorded is drawn as absent, in the legend).
    pub timeline_counters: Vec<String>,
    /// What checks after the run found (a linearizability verdict per key), one line each.
    pub findings: Vec<String>,
}

/// One node's totals with its name and group.
#[derive(Clone, Debug)]
pub struct NodeLoad {
    /// The node's name, such as `cache[2]`.
    pub name: String,
    /// Its group, such as `cache`; the load plot aggregates by group for large clusters.
    pub group: String,
    /// What it sent, received and served.
    pub stats: NodeStats,
}

/// The paths [`write_run`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenFiles {
    /// `results.json`.
    pub results_json: PathBuf,
    /// `timeseries.csv`.
    pub timeseries_csv: PathBuf,
    /// Each plot's SVG and PNG, in the order latency CDF, timeline, node load.
    pub plots: Vec<PlotFiles>,
    /// `report.html`.
    pub report_html: PathBuf,
}

/// One plot's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlotFiles {
    /// The plot's name and file stem: `latency_cdf`, `timeline` or `node_load`.
    pub name: String,
    /// The SVG file.
    pub svg: PathBuf,
    /// The PNG file.
    pub png: PathBuf,
}

impl WrittenFiles {
    /// Every path, in the order written.
    pub fn all(&self) -> Vec<&Path> {
        let mut paths = vec![self.timeseries_csv.as_path()];
        for plot in &self.plots {
            paths.push(&plot.svg);
            paths.push(&plot.png);
        }
        paths.push(&self.report_html);
        paths.push(&self.results_json);
        paths
    }
}
