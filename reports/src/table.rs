//! The compact percentile table printed at the end of a run.
//!
//! Terminal output is for a person glancing at a result, so values are in human units
//! (`850ns`, `12.3us`, `4.56ms`) and columns are aligned; the exact numbers are in
//! `results.json`.

use std::collections::BTreeMap;

use crate::format::human_int;
use crate::results::{extra_percentiles, percentile_columns, summarize, ExtraPercentile};
use crate::RunData;

/// Shown for a statistic of a histogram with no samples.
const MISSING: &str = "-";

/// A compact, aligned table of every histogram: metric, count, p50, p90, p99, p99.9 and any
/// extra percentiles (in ascending order), and max, in human units, one line per metric; when
/// the run tallied request outcomes, a `failed` column beside the count (the requests of that
/// kind that failed, which the latency leaves out) and, under the table, one line per
/// whole-population tally and per breakdown saying how requests ended. Ends in a newline.
///
/// Extra percentiles outside 0..=100 are left out here; [`crate::write_run`] reports them.
pub fn percentile_table(data: &RunData<'_>) -> String {
    let extra = valid_extras(data);
    let outcomes = crate::outcomes::outcomes(data.metrics);
    let failed_of: BTreeMap<&str, u64> = outcomes
        .values()
        .filter_map(|e| Some((e.latency.as_deref()?, e.failed)))
        .collect();
    let with_failed = !failed_of.is_empty();
    let mut rows = Vec::new();
    for (name, unit, id) in data.metrics.histograms() {
        let histogram = data.metrics.histogram_data(id);
        if histogram.is_empty() {
            // A registered metric with no samples (no deletes in a read/write workload) is a
            // row of dashes here; results.json still lists it, with a count of 0.
            continue;
        }
        let summary = summarize(histogram, unit, &extra);
        let columns = percentile_columns(&summary, &extra);
        if rows.is_empty() {
            let mut header = vec!["metric".to_string(), "count".to_string()];
            if with_failed {
                header.push("failed".to_string());
            }
            header.extend(columns.iter().map(|(label, _)| label.clone()));
            header.push("max".to_string());
            rows.push(header);
        }
        let cell = |value: Option<u64>| value.map_or(MISSING.to_string(), |v| human_int(v, unit));
        let mut row = vec![name.to_string(), summary.count.to_string()];
        if with_failed {
            row.push(failed_of.get(name).map_or(String::new(), u64::to_string));
        }
        row.extend(columns.iter().map(|(_, value)| cell(*value)));
        row.push(cell(summary.max));
        rows.push(row);
    }
    let mut text = if rows.is_empty() {
        "no histograms were recorded\n".to_string()
    } else {
        align(&rows)
    };
    // How requests ended: the whole population, then each group and region breakdown.
    let summaries: Vec<(String, String)> = outcomes
        .iter()
        .filter(|(name, _)| crate::outcomes::is_population(name))
        .map(|(name, entry)| {
            let label = name.replacen(".all", "", 1);
            (label, crate::outcomes::outcome_line(entry))
        })
        .collect();
    let width = summaries.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (label, line) in summaries {
        text.push_str(&format!("{label:<width$}  {line}\n"));
    }
    if let Some(verdict) = crate::outcomes::verdict(data) {
        text.push_str(&format!("verdict: {verdict}\n"));
    }
    text
}

/// The run's extra percentiles, skipping invalid ones instead of failing.
fn valid_extras(data: &RunData<'_>) -> Vec<ExtraPercentile> {
    let valid: Vec<f64> = data
        .percentiles
        .iter()
        .copied()
        .filter(|p| p.is_finite() && (0.0..=100.0).contains(p))
        .collect();
    extra_percentiles(&valid).expect("only valid percentiles are left")
}

/// Lays out rows as columns: the first left-aligned, the rest right-aligned, two spaces apart.
pub(crate) fn align(rows: &[Vec<String>]) -> String {
    align_columns(rows, 1)
}

/// Lays out rows as columns two spaces apart, without trailing spaces: the first
/// `n_left` columns left-aligned, the rest right-aligned.
pub(crate) fn align_columns(rows: &[Vec<String>], n_left: usize) -> String {
    let n_columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..n_columns)
        .map(|col| {
            rows.iter()
                .map(|row| row[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        assert_eq!(row.len(), n_columns, "every row has every column");
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(col, (cell, width))| {
                if col < n_left {
                    format!("{cell:<width$}")
                } else {
                    format!("{cell:>width$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the first column is left-aligned, the others right-aligned, with no trailing space.
    #[test]
    fn aligns_columns() {
        let rows = vec![
            vec!["metric".to_string(), "p50".to_string()],
            vec!["a".to_string(), "1.23ms".to_string()],
        ];
        assert_eq!(align(&rows), "metric     p50\na       1.23ms\n");
    }
}
