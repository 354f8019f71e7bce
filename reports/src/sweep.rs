//! A parameter sweep's summary: `sweep.json`, `sweep.csv` and the terminal table.
//!
//! A sweep runs a grid (or zipped lists) of scenario variants, each with several seeds; each
//! run writes its own `results.json`, and this module summarises them per variant and metric:
//! the mean over replications and a 95% confidence interval (Student t over replications).
//! The summary is computed only from the runs' `results.json` files, read back from disk, so a
//! sweep run on one machine and one assembled from shards (`distsim merge`) give the same
//! bytes. No wall-clock figure appears here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::meaning::{Direction, MetricUnit};
use crate::output;
use crate::results::ResultsFile;

/// The `schema_version` of `sweep.json`.
pub const SWEEP_SCHEMA_VERSION: u32 = 1;
/// The `kind` of `sweep.json`.
pub const SWEEP_KIND: &str = "sweep";

/// One varied field and its values (TOML literals, as `--set` takes them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepAxis {
    /// Dotted path, e.g. `group.cache.policy`.
    pub path: String,
    /// The values, in order.
    pub values: Vec<String>,
}

/// One run of a variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRef {
    /// Replication number, from 0.
    pub replication: u32,
    /// The seed it ran with.
    pub seed: u64,
    /// Its `results.json`, relative to the sweep directory.
    pub results: String,
    /// Why it stopped early, if it did (its numbers still count).
    pub partial: Option<String>,
}

/// A run that produced no results (its variant did not validate, or it failed to write).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFailure {
    /// The variant.
    pub variant: u32,
    /// The replication.
    pub replication: u32,
    /// The seed.
    pub seed: u64,
    /// What went wrong.
    pub reason: String,
}

/// A metric over a variant's replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricStat {
    /// Mean over the replications that have the metric.
    pub mean: f64,
    /// Half-width of the 95% confidence interval of the mean (Student t, `n - 1` degrees of
    /// freedom); `None` with fewer than two values.
    pub ci95_half_width: Option<f64>,
    /// Replications that have the metric.
    pub n: u32,
    /// Each replication's value, in replication order.
    pub values: Vec<f64>,
}

impl MetricStat {
    /// The statistic of `values` (at least one, in replication order: summed in that order,
    /// the same on every machine and thread count).
    pub fn of(values: Vec<f64>) -> Self {
        let estimate = crate::stats::Estimate::of(&values);
        MetricStat {
            mean: estimate.mean,
            ci95_half_width: (estimate.n >= 2).then_some(estimate.ci_half_width),
            n: estimate.n,
            values,
        }
    }

    /// The interval `(low, high)`; a single point without a half-width.
    pub fn interval(&self) -> (f64, f64) {
        let half = self.ci95_half_width.unwrap_or(0.0);
        (self.mean - half, self.mean + half)
    }
}

/// One variant: its settings, runs and metric summaries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantData {
    /// Index in the variant list, from 0.
    pub index: u32,
    /// `path = value` for each axis, in axis order.
    pub settings: Vec<(String, String)>,
    /// A short label: the values joined with `, ` (`"lru", "8MiB"`), or `base` for none.
    pub label: String,
    /// Its runs that produced results, in replication order.
    pub runs: Vec<RunRef>,
    /// Each metric path (`latency.read.p99`, `client.timeouts`, `cache.hit_ratio`) over the
    /// replications.
    pub metrics: BTreeMap<String, MetricStat>,
}

/// A whole sweep: what `sweep.json` holds and the comparative report is drawn from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepData {
    /// Always [`SWEEP_KIND`].
    pub kind: String,
    /// [`SWEEP_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as given.
    pub scenario_file: String,
    /// Hash of the scenario file (before the sweep's overrides).
    pub scenario_hash: String,
    /// The seed replications derive theirs from.
    pub base_seed: u64,
    /// Replications per variant.
    pub replications: u32,
    /// `grid` or `zip`.
    pub mode: String,
    /// The varied fields.
    pub axes: Vec<SweepAxis>,
    /// Every variant, in order.
    pub variants: Vec<VariantData>,
    /// Which way each metric gets worse, as the runs' `results.json` declare it (metrics
    /// without a declared direction are `none`).
    #[serde(default)]
    pub directions: BTreeMap<String, Direction>,
    /// The metrics derived from counters (ratios, totals) that the runs declare, sorted: the
    /// report's key columns and its heat map's preference.
    #[serde(default)]
    pub derived: Vec<String>,
    /// Runs that produced no results.
    pub failures: Vec<RunFailure>,
    /// The distsim version.
    pub distsim_version: String,
}

/// Every metric of one run as `path -> value`: the same paths `[[check]]` can name
/// (`check::metric_names`: counters, the derived `cache.hit_ratio`, `client.error_ratio` and
/// `net.dropped.total`, and each histogram's statistics and extra percentiles, latencies in
/// nanoseconds). Metrics without a value (a histogram with no samples) are left out.
pub fn run_metrics(results: &ResultsFile) -> BTreeMap<String, f64> {
    crate::check::metric_names(results)
        .into_iter()
        .filter_map(|name| {
            let value = crate::check::metric_value(results, &name)?.value?;
            Some((name, value))
        })
        .collect()
}

/// Which way every metric of one run gets worse ([`check::direction_of`](crate::direction_of)
/// over the same paths as [`run_metrics`]).
pub fn run_directions(results: &ResultsFile) -> BTreeMap<String, Direction> {
    crate::check::metric_names(results)
        .into_iter()
        .map(|name| {
            let direction = crate::check::direction_of(results, &name);
            (name, direction)
        })
        .collect()
}

/// Summarises one variant's runs' metrics (in replication order) into [`MetricStat`]s.
pub fn summarize_variant(runs: &[BTreeMap<String, f64>]) -> BTreeMap<String, MetricStat> {
    let mut by_metric: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for run in runs {
        for (name, value) in run {
            by_metric.entry(name.clone()).or_default().push(*value);
        }
    }
    by_metric
        .into_iter()
        .map(|(name, values)| (name, MetricStat::of(values)))
        .collect()
}

/// `sweep.json` as pretty JSON with sorted keys, ending in a newline.
pub fn sweep_json(sweep: &SweepData) -> Result<Vec<u8>, ReportError> {
    let mut value = serde_json::to_value(sweep).map_err(ReportError::WriteJson)?;
    value.sort_all_objects();
    let mut json = serde_json::to_vec_pretty(&value).map_err(ReportError::WriteJson)?;
    json.push(b'\n');
    Ok(json)
}

/// Reads a `sweep.json` back.
pub fn read_sweep(text: &str) -> Result<SweepData, ReportError> {
    serde_json::from_str(text).map_err(ReportError::ParseResults)
}

/// `sweep.csv`: one row per variant and metric: the variant, one column per axis, the metric,
/// n, mean, and the 95% interval's bounds (empty with one replication).
pub fn sweep_csv(sweep: &SweepData) -> String {
    let mut out = String::from("variant");
    for axis in &sweep.axes {
        out.push(',');
        out.push_str(&csv_cell(&axis.path));
    }
    out.push_str(",metric,n,mean,ci95_low,ci95_high\n");
    for variant in &sweep.variants {
        for (name, stat) in &variant.metrics {
            out.push_str(&variant.index.to_string());
            for (_, value) in &variant.settings {
                out.push(',');
                out.push_str(&csv_cell(value));
            }
            let (low, high) = match stat.ci95_half_width {
                Some(_) => {
                    let (low, high) = stat.interval();
                    (low.to_string(), high.to_string())
                }
                None => (String::new(), String::new()),
            };
            out.push_str(&format!(
                ",{},{},{},{low},{high}\n",
                csv_cell(name),
                stat.n,
                stat.mean
            ));
        }
    }
    out
}

/// A CSV cell, quoted when it holds a comma, a quote or a newline (RFC 4180).
fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A terminal table of the variants sorted by `metric`, best first (ascending for metrics
/// where higher is worse or that have no direction, descending for those where lower is
/// worse, such as a hit ratio; variants without it last, ties in variant order): each
/// variant's index, label, mean ± half-width of `metric`, and number of runs.
pub fn sweep_table(sweep: &SweepData, metric: &str) -> String {
    let direction = sweep.directions.get(metric).copied().unwrap_or_default();
    let descending = direction == Direction::LowerIsWorse;
    let mut order: Vec<&VariantData> = sweep.variants.iter().collect();
    order.sort_by(|a, b| {
        let key = |v: &VariantData| v.metrics.get(metric).map(|s| s.mean);
        match (key(a), key(b)) {
            (Some(x), Some(y)) if descending => y.total_cmp(&x),
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then(a.index.cmp(&b.index))
    });
    // Beside the sorted metric, how many requests failed: a variant can win on latency by
    // failing requests, whose latency the histograms leave out.
    let errors = sweep
        .variants
        .iter()
        .flat_map(|v| v.metrics.keys())
        .find(|name| name.ends_with(".all.error_ratio") && !name.contains('{'))
        .filter(|name| name.as_str() != metric)
        .cloned();
    let mut header = vec![
        "variant".to_string(),
        "settings".to_string(),
        metric.to_string(),
    ];
    if errors.is_some() {
        header.push("error ratio".to_string());
    }
    header.push("runs".to_string());
    let mut rows = vec![header];
    for variant in order {
        let cell = match variant.metrics.get(metric) {
            Some(stat) => match stat.ci95_half_width {
                Some(half) => format!("{} ± {}", short(stat.mean), short(half)),
                None => short(stat.mean),
            },
            None => "-".to_string(),
        };
        let mut row = vec![variant.index.to_string(), variant.label.clone(), cell];
        if let Some(errors) = &errors {
            let ratio = MetricUnit::Ratio;
            row.push(match variant.metrics.get(errors) {
                Some(stat) => match stat.ci95_half_width {
                    Some(half) => format!("{} ± {}", ratio.format(stat.mean), ratio.format(half)),
                    None => ratio.format(stat.mean),
                },
                None => "-".to_string(),
            });
        }
        row.push(variant.runs.len().to_string());
        rows.push(row);
    }
    crate::table::align(&rows)
}

/// A number in at most four significant digits, for the terminal.
fn short(value: f64) -> String {
    if value.abs() >= 1e4 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.4}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// Writes `sweep.json` and `sweep.csv` into `dir` (created if missing), each atomically;
/// returns their paths.
pub fn write_sweep_summary(dir: &Path, sweep: &SweepData) -> Result<Vec<PathBuf>, ReportError> {
    let json = sweep_json(sweep)?;
    let csv = sweep_csv(sweep);
    output::create_dir(dir)?;
    Ok(vec![
        output::write_atomic(dir, "sweep.csv", csv.as_bytes())?,
        output::write_atomic(dir, "sweep.json", &json)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: a metric's interval is the textbook one. Method: values 1..=5 have mean 3 and
    // sample standard deviation sqrt(2.5); with t(0.975, 4) = 2.776 the half-width is
    // 2.776 * sqrt(2.5 / 5) = 1.963 (any statistics text, e.g. Montgomery & Runger, Applied
    // Statistics and Probability for Engineers, §8.2).
    #[test]
    fn confidence_interval_of_a_small_sample() {
        let stat = MetricStat::of(vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(stat.mean, 3.0);
        let half = stat.ci95_half_width.expect("five values");
        assert!((half - 1.9629).abs() < 1e-3, "{half}");
        assert_eq!(MetricStat::of(vec![7.0]).ci95_half_width, None);
    }

    // Goal: the table puts the best variant first: lowest latency, highest hit ratio; a
    // variant without the metric goes last. Method: three variants with both metrics.
    #[test]
    fn table_sorts_best_first() {
        let variant = |index: u32, p99: Option<f64>, hit: f64| VariantData {
            index,
            settings: vec![("group.c.policy".into(), format!("p{index}"))],
            label: format!("p{index}"),
            runs: Vec::new(),
            metrics: [
                ("cache.hit_ratio".to_string(), MetricStat::of(vec![hit])),
                (
                    "latency.read.p99".to_string(),
                    MetricStat::of(vec![p99.unwrap_or(0.0)]),
                ),
            ]
            .into_iter()
            .filter(|(name, _)| p99.is_some() || name != "latency.read.p99")
            .collect(),
        };
        let sweep = SweepData {
            kind: SWEEP_KIND.into(),
            schema_version: SWEEP_SCHEMA_VERSION,
            scenario: "s".into(),
            scenario_file: "s.toml".into(),
            scenario_hash: "0".into(),
            base_seed: 1,
            replications: 1,
            mode: "grid".into(),
            axes: Vec::new(),
            variants: vec![
                variant(0, Some(3e6), 0.5),
                variant(1, Some(1e6), 0.7),
                variant(2, None, 0.6),
            ],
            failures: Vec::new(),
            distsim_version: "0".into(),
            directions: BTreeMap::from([
                ("cache.hit_ratio".to_string(), Direction::LowerIsWorse),
                ("latency.read.p99".to_string(), Direction::HigherIsWorse),
            ]),
            derived: vec!["cache.hit_ratio".to_string()],
        };
        let first_column = |table: String| -> Vec<String> {
            table
                .lines()
                .skip(1)
                .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(
            first_column(sweep_table(&sweep, "latency.read.p99")),
            ["1", "0", "2"]
        );
        assert_eq!(
            first_column(sweep_table(&sweep, "cache.hit_ratio")),
            ["1", "2", "0"]
        );
    }

    // Goal: CSV cells with commas and quotes are quoted (RFC 4180).
    #[test]
    fn csv_cells_are_quoted() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
