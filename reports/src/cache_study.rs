//! A cache miss-ratio study's outputs: `results.json` (kind `cache_study`), the miss-ratio
//! curve plot, and the terminal table.
//!
//! A cache study replays a trace (or a drawn workload) through many policies and sizes
//! outside the event loop (`distsim cache`), so its outputs are separate from a run's: the
//! input is the plain [`CacheStudyData`], and the JSON carries `"kind": "cache_study"` so a
//! reader never mistakes it for a run's results. Wall-clock figures never appear here: the
//! file is the same for the same trace and flags, at any thread count.

use serde::Serialize;

use crate::error::ReportError;
use crate::format::group_digits;

/// The `schema_version` of a cache study's `results.json`.
pub const CACHE_SCHEMA_VERSION: u32 = 1;
/// The `kind` of a cache study's `results.json`.
const KIND: &str = "cache_study";

/// One policy at one size, after the whole trace (or the part read before an error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheStudyRow {
    /// The policy's name, such as `s3-fifo`.
    pub policy: String,
    /// The size as given: `1%`, `64MiB`, `1000`.
    pub size: String,
    /// The capacity it resolved to, in bytes (or objects when sizes are ignored).
    pub capacity: u64,
    /// Requests replayed.
    pub requests: u64,
    /// Requests that missed.
    pub misses: u64,
    /// Bytes requested (the sum of the requests' object sizes).
    pub bytes_requested: u64,
    /// Bytes of the requests that missed.
    pub bytes_missed: u64,
}

impl CacheStudyRow {
    /// `misses / requests` (0 with no requests).
    pub fn miss_ratio(&self) -> f64 {
        ratio(self.misses, self.requests)
    }

    /// `bytes_missed / bytes_requested` (0 with no bytes).
    pub fn byte_miss_ratio(&self) -> f64 {
        ratio(self.bytes_missed, self.bytes_requested)
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Everything a cache study's outputs are made from: plain data, no model types.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheStudyData {
    /// Where the requests came from: the trace path as given, or the drawn workload.
    pub source: String,
    /// The trace format (`oracleGeneral`, `oracleGeneral.zst`, `csv`) or `synthetic`.
    pub format: String,
    /// Requests read.
    pub requests: u64,
    /// Distinct objects among them, when measured (a size given as a fraction of the working
    /// set, or asked for).
    pub objects: Option<u64>,
    /// The sum of the distinct objects' sizes (each at its first request), in bytes, when
    /// measured.
    pub working_set_bytes: Option<u64>,
    /// Every object counted as size 1, so capacities are object counts.
    pub ignore_obj_size: bool,
    /// Why the replay stopped early (a corrupt or truncated trace), with the place; the rows
    /// then cover the requests read before it.
    pub partial: Option<String>,
    /// One row per policy and size, policies in the order given, sizes ascending.
    pub rows: Vec<CacheStudyRow>,
    /// The seed of randomised policies' draws.
    pub seed: u64,
    /// The distsim version that ran the study.
    pub distsim_version: String,
}

impl CacheStudyData {
    /// The unit capacities are in: `bytes` or `objects`.
    pub fn capacity_unit(&self) -> &'static str {
        if self.ignore_obj_size {
            "objects"
        } else {
            "bytes"
        }
    }

    pub(crate) fn check(&self) {
        for row in &self.rows {
            assert!(
                row.misses <= row.requests,
                "{}: more misses than requests",
                row.policy
            );
            assert!(
                row.bytes_missed <= row.bytes_requested,
                "{}: byte misses",
                row.policy
            );
            assert_eq!(
                row.requests, self.requests,
                "every row replays every request"
            );
        }
    }
}

#[derive(Serialize)]
struct StudyFile<'a> {
    capacity_unit: &'static str,
    distsim_version: &'a str,
    format: &'a str,
    ignore_obj_size: bool,
    kind: &'static str,
    objects: Option<u64>,
    partial: Option<&'a str>,
    requests: u64,
    results: Vec<RowJson<'a>>,
    schema_version: u32,
    seed: u64,
    source: &'a str,
    working_set_bytes: Option<u64>,
}

#[derive(Serialize)]
struct RowJson<'a> {
    byte_miss_ratio: f64,
    bytes_missed: u64,
    bytes_requested: u64,
    capacity: u64,
    miss_ratio: f64,
    misses: u64,
    policy: &'a str,
    requests: u64,
    size: &'a str,
}

/// The study as pretty JSON with keys sorted at every level, ending in a newline.
pub(crate) fn study_json(study: &CacheStudyData) -> Result<Vec<u8>, ReportError> {
    let file = StudyFile {
        capacity_unit: study.capacity_unit(),
        distsim_version: &study.distsim_version,
        format: &study.format,
        ignore_obj_size: study.ignore_obj_size,
        kind: KIND,
        objects: study.objects,
        partial: study.partial.as_deref(),
        requests: study.requests,
        results: study
            .rows
            .iter()
            .map(|row| RowJson {
                byte_miss_ratio: row.byte_miss_ratio(),
                bytes_missed: row.bytes_missed,
                bytes_requested: row.bytes_requested,
                capacity: row.capacity,
                miss_ratio: row.miss_ratio(),
                misses: row.misses,
                policy: &row.policy,
                requests: row.requests,
                size: &row.size,
            })
            .collect(),
        schema_version: CACHE_SCHEMA_VERSION,
        seed: study.seed,
        source: &study.source,
        working_set_bytes: study.working_set_bytes,
    };
    let mut value = serde_json::to_value(&file).map_err(ReportError::WriteJson)?;
    // As in results.rs: sorting again makes key order independent of serde_json features.
    value.sort_all_objects();
    let mut json = serde_json::to_vec_pretty(&value).map_err(ReportError::WriteJson)?;
    json.push(b'\n');
    Ok(json)
}

/// The study as an aligned terminal table, ending in a newline: one line per policy and
/// size with the object and byte miss ratios (six decimals, so runs compare digit by digit).
pub fn cache_table(study: &CacheStudyData) -> String {
    let mut rows = vec![vec![
        "policy".to_string(),
        "size".to_string(),
        format!("capacity ({})", study.capacity_unit()),
        "miss ratio".to_string(),
        "byte miss ratio".to_string(),
    ]];
    for row in &study.rows {
        rows.push(vec![
            row.policy.clone(),
            row.size.clone(),
            group_digits(row.capacity),
            format!("{:.6}", row.miss_ratio()),
            format!("{:.6}", row.byte_miss_ratio()),
        ]);
    }
    crate::table::align(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::write_cache_study;

    fn example() -> CacheStudyData {
        let row = |policy: &str, size: &str, capacity, misses, bytes_missed| CacheStudyRow {
            policy: policy.into(),
            size: size.into(),
            capacity,
            requests: 1_000,
            misses,
            bytes_requested: 64_000,
            bytes_missed,
        };
        CacheStudyData {
            source: "trace.oracleGeneral".into(),
            format: "oracleGeneral".into(),
            requests: 1_000,
            objects: Some(400),
            working_set_bytes: Some(25_600),
            ignore_obj_size: false,
            partial: None,
            rows: vec![
                row("lru", "10%", 2_560, 700, 44_800),
                row("lru", "50%", 12_800, 450, 28_800),
                row("s3-fifo", "10%", 2_560, 600, 38_400),
                row("s3-fifo", "50%", 12_800, 420, 26_880),
            ],
            seed: 1,
            distsim_version: "0.1.0".into(),
        }
    }

    // Goal: a study writes the same bytes twice, results.json carries the kind, both ratios
    // and the partial marker, and the plot files exist. Method: write twice into two
    // directories and compare.
    #[test]
    fn writes_files_deterministically() {
        let base = std::env::temp_dir().join(format!("distsim-cache-{}", std::process::id()));
        let mut study = example();
        study.partial = Some("trace.oracleGeneral: byte 2400: truncated record".into());
        let first = write_cache_study(&base.join("a"), &study).expect("writes");
        let second = write_cache_study(&base.join("b"), &study).expect("writes");
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(
                std::fs::read(a).unwrap(),
                std::fs::read(b).unwrap(),
                "{a:?}"
            );
        }
        let json = std::fs::read_to_string(base.join("a/results.json")).unwrap();
        assert!(json.contains("\"kind\": \"cache_study\""), "{json}");
        assert!(json.contains("\"miss_ratio\": 0.7"), "{json}");
        assert!(json.contains("\"byte_miss_ratio\": 0.6"), "{json}");
        assert!(json.contains("truncated record"), "{json}");
        assert!(base.join("a/miss_ratio_curve.png").exists());
        std::fs::remove_dir_all(&base).unwrap();
    }

    // Goal: the table lists every row with six-decimal ratios and the capacity unit.
    #[test]
    fn table_lists_rows() {
        let table = cache_table(&example());
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        assert!(lines[0].contains("capacity (bytes)"), "{table}");
        assert!(lines[3].starts_with("s3-fifo"), "{table}");
        assert!(
            lines[3].contains("0.600000") && lines[3].contains("2,560"),
            "{table}"
        );
    }
}
