//! A sweep's comparative report: `sweep.html` and its plots, drawn from [`SweepData`] alone.
//!
//! The page has the look of `report.html` (the same stylesheet), and is as self-contained:
//! plots are inline SVG, with no scripts and no external references, so it can be attached to
//! a CI run and still open. It holds the sweep's header, the plots (every variant's latency
//! percentiles overlaid, p50 / p99 / p99.9 bars with 95% confidence whiskers, and for a
//! two-axis grid a heat map), one table row per variant with mean ± half-width of a few key
//! metrics, and the runs that failed. Like the summary files, it carries no wall-clock figure:
//! the same `sweep.json` gives the same bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::ReportError;
use crate::format::group_digits;
use crate::format::html_escape as esc;
use crate::html::{number, plots, CSS};
use crate::output;
use crate::plot::{self, Plot};
use crate::sweep::{MetricStat, SweepData, VariantData};

/// Nanoseconds per millisecond, the table's latency unit.
const NANOS_PER_MILLI: f64 = 1e6;

/// Writes a sweep's comparative report into `dir` (created if missing): `sweep_latency`,
/// `sweep_bars`, for a grid over exactly two axes `sweep_heatmap`, and when `sort_by` names
/// a metric other than the primary's percentiles `sweep_tradeoff` (the primary's p50
/// against it), each as `.svg` and `.png`, then `sweep.html`; returns the paths in that
/// order (the page last).
///
/// `primary` names the histogram whose latencies are compared, such as `latency.read`: its
/// `<primary>.p<N>` metrics draw the curves and bars. The heat map colours the first derived
/// metric (`SweepData::derived`) every variant with results has and that differs between
/// them, else `<primary>.p99`.
///
/// Everything is rendered in memory before the first file is written, and each file is
/// written atomically (a temporary name, then a rename).
pub fn write_sweep_report(
    dir: &Path,
    sweep: &SweepData,
    primary: &str,
    sort_by: Option<&str>,
) -> Result<Vec<PathBuf>, ReportError> {
    let heat = heat_metric(sweep, primary);
    let mut figures = vec![
        plot::render(&plot::sweep::SweepLatency::new(sweep, primary))?,
        plot::render(&plot::sweep::SweepBars::new(sweep, primary))?,
    ];
    if let Some(metric) = heat.as_deref() {
        figures.push(plot::render(&plot::sweep_heatmap::SweepHeatmap::new(
            sweep, metric, primary,
        ))?);
    }
    if let Some(tradeoff) =
        sort_by.and_then(|metric| plot::sweep_tradeoff::SweepTradeoff::new(sweep, primary, metric))
    {
        figures.push(plot::render(&tradeoff)?);
    }
    let page = render_page(sweep, primary, heat.as_deref(), &figures);
    output::create_dir(dir)?;
    let mut written = Vec::with_capacity(figures.len() * 2 + 1);
    for figure in &figures {
        let svg = format!("{}.svg", figure.name);
        written.push(output::write_atomic(dir, &svg, figure.svg.as_bytes())?);
        let png = format!("{}.png", figure.name);
        written.push(output::write_atomic(dir, &png, &figure.png)?);
    }
    written.push(output::write_atomic(dir, "sweep.html", page.as_bytes())?);
    assert!(written.iter().all(|path| path.starts_with(dir)));
    Ok(written)
}

/// The heat map's metric, or `None` when the sweep is not a grid over exactly two axes.
fn heat_metric(sweep: &SweepData, primary: &str) -> Option<String> {
    if sweep.mode != "grid" || sweep.axes.len() != 2 {
        return None;
    }
    // Variants without any metric failed every run: they show as empty cells either way.
    let measured: Vec<&VariantData> = sweep
        .variants
        .iter()
        .filter(|v| !v.metrics.is_empty())
        .collect();
    // The first derived metric (a family's ratio or total) that every measured variant has
    // and that tells them apart; a metric equal everywhere would colour a flat map.
    let telling = sweep.derived.iter().find(|metric| {
        let means: Option<Vec<f64>> = measured
            .iter()
            .map(|v| v.metrics.get(metric.as_str()).map(|s| s.mean))
            .collect();
        means.is_some_and(|means| {
            !means.is_empty() && means.iter().any(|m| m.total_cmp(&means[0]).is_ne())
        })
    });
    Some(telling.cloned().unwrap_or_else(|| format!("{primary}.p99")))
}

/// The whole page.
fn render_page(sweep: &SweepData, primary: &str, heat: Option<&str>, figures: &[Plot]) -> String {
    let mut out = String::with_capacity(256 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>distsim · {} · sweep</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&sweep.scenario),
    );
    header(&mut out, sweep, primary, heat);
    plots(&mut out, figures);
    variants_table(&mut out, sweep, primary);
    failures_table(&mut out, sweep);
    let _ = write!(
        out,
        "<footer>Generated by distsim {} (sweep schema v{}).</footer>\n</main>\n</body>\n\
         </html>\n",
        esc(&sweep.distsim_version),
        sweep.schema_version,
    );
    out
}

fn header(out: &mut String, sweep: &SweepData, primary: &str, heat: Option<&str>) {
    let n_runs: usize = sweep.variants.iter().map(|v| v.runs.len()).sum();
    let _ = write!(
        out,
        "<header>\n<h1>{}</h1>\n<p class=\"sub\">distsim sweep report: {} variants × {} \
         replications</p>\n<dl class=\"meta\">\n",
        esc(&sweep.scenario),
        sweep.variants.len(),
        sweep.replications,
    );
    let code = |text: &str| format!("<code>{}</code>", esc(text));
    let mut rows = vec![
        ("scenario file", code(&sweep.scenario_file)),
        ("scenario hash", code(&sweep.scenario_hash)),
        ("base seed", format!("<code>{}</code>", sweep.base_seed)),
        ("mode", esc(&sweep.mode)),
        ("replications", sweep.replications.to_string()),
        (
            "runs",
            format!("{n_runs} with results, {} failed", sweep.failures.len()),
        ),
        ("primary latency", code(primary)),
        (
            "heat map",
            heat.map_or("none (not a two-axis grid)".to_string(), code),
        ),
    ];
    for axis in &sweep.axes {
        let values: Vec<String> = axis.values.iter().map(|v| code(v)).collect();
        rows.push((
            "axis",
            format!("{}: {}", code(&axis.path), values.join(", ")),
        ));
    }
    rows.push(("distsim version", esc(&sweep.distsim_version)));
    for (term, value) in rows {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{value}</dd>");
    }
    out.push_str("</dl>\n");
    match sweep.failures.len() {
        0 => {}
        n_failed => {
            let _ = writeln!(
                out,
                "<p class=\"warning\"><strong>{n_failed} {} failed</strong> (listed below). \
                 Their variants' statistics cover the remaining replications only.</p>",
                if n_failed == 1 { "run" } else { "runs" }
            );
        }
    }
    out.push_str("</header>\n");
}

/// A key column of the variants table: its header, metric path, and how values print.
struct Column {
    header: String,
    metric: String,
    latency: bool,
}

/// The table's metric columns: the primary's p50 / p99 / p99.9, then every derived metric the
/// runs declare (hit ratio, error ratio, drops: each family's summary of its counters), each
/// only when some variant has it.
fn key_columns(sweep: &SweepData, primary: &str) -> Vec<Column> {
    let mut candidates = vec![
        ("p50 (ms)".to_string(), format!("{primary}.p50"), true),
        ("p99 (ms)".to_string(), format!("{primary}.p99"), true),
        ("p99.9 (ms)".to_string(), format!("{primary}.p999"), true),
    ];
    candidates.extend(sweep.derived.iter().map(|m| (m.clone(), m.clone(), false)));
    candidates
        .into_iter()
        .filter(|(_, metric, _)| {
            sweep
                .variants
                .iter()
                .any(|v| v.metrics.contains_key(metric))
        })
        .map(|(header, metric, latency)| Column {
            header,
            metric,
            latency,
        })
        .collect()
}

/// `mean ± half-width` in the column's unit (three significant digits for the mean, and the
/// half-width to the same decimal place, so floating-point dust reads as `0.00`); the mean
/// alone from a single replication.
fn stat_cell(stat: &MetricStat, latency: bool) -> String {
    let scale = if latency { NANOS_PER_MILLI } else { 1.0 };
    let mean = number(stat.mean / scale);
    let Some(half) = stat.ci95_half_width else {
        return mean;
    };
    assert!(half >= 0.0, "a half-width is not negative");
    let decimals = mean
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    let half = half / scale;
    let half = if decimals == 0 && half >= 1000.0 {
        group_digits(half.round() as u64)
    } else {
        format!("{half:.decimals$}")
    };
    format!("{mean} ± {half}")
}

fn variants_table(out: &mut String, sweep: &SweepData, primary: &str) {
    out.push_str("<section id=\"variants\">\n<h2>Variants</h2>\n");
    if sweep.variants.is_empty() {
        out.push_str("<p class=\"empty\">The sweep has no variants.</p>\n</section>\n");
        return;
    }
    let columns = key_columns(sweep, primary);
    out.push_str(
        "<table>\n<thead><tr><th class=\"num\">#</th><th>variant</th><th class=\"num\">runs</th>",
    );
    for column in &columns {
        let _ = write!(out, "<th class=\"num\">{}</th>", esc(&column.header));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for variant in &sweep.variants {
        let settings: Vec<String> = variant
            .settings
            .iter()
            .map(|(path, value)| format!("{path} = {value}"))
            .collect();
        let partial = variant.runs.iter().filter(|r| r.partial.is_some()).count();
        let runs = if partial > 0 {
            format!("{} ({partial} partial)", variant.runs.len())
        } else {
            variant.runs.len().to_string()
        };
        let _ = write!(
            out,
            "<tr><td class=\"num\">{}</td><td title=\"{}\">{}</td><td class=\"num\">{runs}</td>",
            variant.index,
            esc(&settings.join("; ")),
            esc(&variant.label),
        );
        for column in &columns {
            let cell = variant
                .metrics
                .get(&column.metric)
                .map_or("–".to_string(), |stat| stat_cell(stat, column.latency));
            let _ = write!(out, "<td class=\"num\">{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    let _ = writeln!(
        out,
        "</tbody>\n</table>\n<p class=\"note\">Each cell is the mean over the variant's \
         replications ± the half-width of its 95% confidence interval (Student t); a single \
         replication gives the mean alone. Latencies are of <code>{}</code>.</p>\n</section>",
        esc(primary)
    );
}

fn failures_table(out: &mut String, sweep: &SweepData) {
    if sweep.failures.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"failures\">\n<h2>Failed runs</h2>\n<table>\n<thead><tr>\
         <th class=\"num\">#</th><th>variant</th><th class=\"num\">replication</th>\
         <th class=\"num\">seed</th><th>reason</th></tr></thead>\n<tbody>\n",
    );
    for failure in &sweep.failures {
        let label = sweep
            .variants
            .iter()
            .find(|v| v.index == failure.variant)
            .map_or("?", |v| v.label.as_str());
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\"><code>{}</code></td><td>{}</td></tr>",
            failure.variant,
            esc(label),
            failure.replication,
            failure.seed,
            esc(&failure.reason),
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    /// The derived metric the test grid declares.
    const HIT_RATIO: &str = "cache.hit_ratio";

    use super::*;
    use crate::sweep::{RunFailure, RunRef, SweepAxis};

    /// A 2×2 grid (policy × size), three replications, percentiles, timeouts and hit ratio;
    /// replication 2 of variant 3 failed.
    fn grid() -> SweepData {
        let axes = vec![
            SweepAxis {
                path: "group.cache.policy".into(),
                values: vec!["lru".into(), "s3-fifo".into()],
            },
            SweepAxis {
                path: "group.cache.size".into(),
                values: vec!["\"8MiB\"".into(), "\"64MiB\"".into()],
            },
        ];
        let mut variants = Vec::new();
        for (idx, (policy, size)) in [(0, 0), (0, 1), (1, 0), (1, 1)].into_iter().enumerate() {
            let n_runs = if idx == 3 { 2 } else { 3 };
            let base = 1e6 * (1.0 + idx as f64);
            let metric = |scale: f64| {
                MetricStat::of(
                    (0..n_runs)
                        .map(|r| base * scale * (1.0 + 0.05 * r as f64))
                        .collect(),
                )
            };
            let mut metrics = BTreeMap::new();
            for (key, scale) in [
                ("p25", 0.5),
                ("p50", 1.0),
                ("p90", 3.0),
                ("p99", 8.0),
                ("p999", 30.0),
                ("p99.99", 90.0),
            ] {
                metrics.insert(format!("latency.read.{key}"), metric(scale));
            }
            metrics.insert(
                "client.timeouts".into(),
                MetricStat::of(vec![idx as f64; n_runs]),
            );
            let ratio = 0.5 + 0.1 * idx as f64;
            metrics.insert(
                "cache.hit_ratio".into(),
                MetricStat::of(vec![ratio; n_runs]),
            );
            let values = [&axes[0].values[policy], &axes[1].values[size]];
            variants.push(VariantData {
                index: idx as u32,
                settings: axes
                    .iter()
                    .zip(values)
                    .map(|(axis, value)| (axis.path.clone(), value.clone()))
                    .collect(),
                label: format!("{}, {}", values[0], values[1]),
                runs: (0..n_runs as u32)
                    .map(|r| RunRef {
                        replication: r,
                        seed: 100 + r as u64,
                        results: format!("v{idx}/r{r}/results.json"),
                        partial: None,
                    })
                    .collect(),
                metrics,
            });
        }
        SweepData {
            kind: crate::SWEEP_KIND.into(),
            schema_version: crate::SWEEP_SCHEMA_VERSION,
            scenario: "cache-grid".into(),
            scenario_file: "cache-grid.toml".into(),
            scenario_hash: "abcd".into(),
            base_seed: 100,
            replications: 3,
            mode: "grid".into(),
            axes,
            variants,
            failures: vec![RunFailure {
                variant: 3,
                replication: 2,
                seed: 102,
                reason: "max_events reached".into(),
            }],
            distsim_version: "0.1.0".into(),
            directions: BTreeMap::new(),
            derived: vec![HIT_RATIO.to_string()],
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("reports-sweep-{name}-{}", std::process::id()))
    }

    fn names(paths: &[PathBuf]) -> Vec<String> {
        paths
            .iter()
            .map(|p| {
                p.file_name()
                    .expect("a file")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    // Goal: the report is deterministic and complete. Method: write the 2×2 grid into two
    // directories and compare every file byte for byte; check the page names each variant,
    // the failure and inlines its plots, with no script or external reference.
    #[test]
    fn writes_identical_reports_twice() {
        let sweep = grid();
        let (first, second) = (temp_dir("a"), temp_dir("b"));
        let written = write_sweep_report(&first, &sweep, "latency.read", None).expect("writable");
        let again = write_sweep_report(&second, &sweep, "latency.read", None).expect("writable");
        assert_eq!(
            names(&written),
            [
                "sweep_latency.svg",
                "sweep_latency.png",
                "sweep_bars.svg",
                "sweep_bars.png",
                "sweep_heatmap.svg",
                "sweep_heatmap.png",
                "sweep.html"
            ]
        );
        for (a, b) in written.iter().zip(&again) {
            let bytes = std::fs::read(a).expect("just written");
            assert_eq!(
                bytes,
                std::fs::read(b).expect("just written"),
                "{}",
                a.display()
            );
        }
        let html = std::fs::read_to_string(written.last().expect("the page")).expect("utf-8");
        for variant in &sweep.variants {
            assert!(html.contains(&esc(&variant.label)), "{}", variant.label);
        }
        assert!(html.contains("max_events reached"));
        assert!(html.contains("<td class=\"num\"><code>102</code></td>"));
        assert_eq!(html.matches("<svg").count(), 3);
        assert!(!html.contains("<script"));
        assert!(!html.contains("http"));
        assert!(html.contains("<code>cache.hit_ratio</code>"));
        std::fs::remove_dir_all(&first).expect("cleanup");
        std::fs::remove_dir_all(&second).expect("cleanup");
    }

    // Goal: table cells print the mean to three significant digits and the half-width to the
    // same decimal place. Method: one case per shape through a single check.
    #[test]
    fn stat_cells() {
        #[track_caller]
        fn check(mean: f64, half: Option<f64>, latency: bool, expected: &str) {
            let stat = MetricStat {
                mean,
                ci95_half_width: half,
                n: 3,
                values: vec![mean; 3],
            };
            assert_eq!(stat_cell(&stat, latency), expected);
        }
        check(0.7, Some(1e-17), false, "0.700 ± 0.000");
        check(1.05e6, Some(0.124e6), true, "1.05 ± 0.12");
        check(123e6, Some(38.1e6), true, "123 ± 38");
        check(12_345.0, Some(2_345.6), false, "12,345 ± 2,346");
        check(5.0, None, false, "5.00");
    }

    // Goal: the heat map appears only for a grid over two axes, and prefers the hit ratio.
    // Method: the grid, then the same sweep in zip mode and with one axis (its first two
    // variants), then the grid with one hit ratio removed.
    #[test]
    fn heat_map_only_for_two_axis_grids() {
        let sweep = grid();
        assert_eq!(
            heat_metric(&sweep, "latency.read").as_deref(),
            Some(HIT_RATIO)
        );
        let mut zipped = sweep.clone();
        zipped.mode = "zip".into();
        assert_eq!(heat_metric(&zipped, "latency.read"), None);
        let mut one_axis = sweep.clone();
        one_axis.axes.truncate(1);
        one_axis.variants.truncate(2);
        for variant in &mut one_axis.variants {
            variant.settings.truncate(1);
        }
        let dir = temp_dir("one-axis");
        let written = write_sweep_report(&dir, &one_axis, "latency.read", None).expect("writable");
        assert!(!names(&written)
            .iter()
            .any(|n| n.starts_with("sweep_heatmap")));
        assert!(names(&written).contains(&"sweep_bars.svg".to_string()));
        let mut no_ratio = sweep;
        no_ratio.variants[1].metrics.remove(HIT_RATIO);
        assert_eq!(
            heat_metric(&no_ratio, "latency.read").as_deref(),
            Some("latency.read.p99")
        );
        let written = write_sweep_report(&dir, &no_ratio, "latency.read", None).expect("writable");
        let html = std::fs::read_to_string(written.last().expect("the page")).expect("utf-8");
        assert!(html.contains("latency.read.p99 by policy and size"));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    // Goal: variants without metrics (every run failed) and a primary histogram nobody has
    // draw without panicking, and empty plots say so. Method: clear one variant's metrics and
    // write; then write with an unknown primary and look for draw_empty's message.
    #[test]
    fn missing_metrics_draw_empty() {
        let mut sweep = grid();
        sweep.variants[2].metrics.clear();
        sweep.variants[2].runs.clear();
        let dir = temp_dir("missing");
        let written = write_sweep_report(&dir, &sweep, "latency.read", None).expect("writable");
        assert_eq!(written.len(), 7);
        let html = std::fs::read_to_string(written.last().expect("the page")).expect("utf-8");
        assert!(html.contains("<td class=\"num\">0</td><td class=\"num\">–</td>"));

        let written = write_sweep_report(&dir, &sweep, "latency.nothing", None).expect("writable");
        let html = std::fs::read_to_string(written.last().expect("the page")).expect("utf-8");
        assert!(html.contains("no variant has percentiles of latency.nothing"));
        assert!(html.contains("no variant has p50, p99 or p99.9 of latency.nothing"));
        std::fs::remove_dir_all(&dir).expect("cleanup");

        let mut empty = grid();
        empty.variants.clear();
        let dir = temp_dir("empty");
        write_sweep_report(&dir, &empty, "latency.read", None).expect("writable");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
