//! The one error type of the `reports` crate.
//!
//! Everything here is an operating error (an unwritable directory, a bad baseline file, an
//! option naming a metric that was never recorded), so it is returned, never panicked on.

use std::path::PathBuf;

/// Why a report could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or directory could not be created, written or renamed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory being written.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The results could not be serialised to the writer.
    #[error("cannot write results json: {0}")]
    WriteJson(#[source] serde_json::Error),
    /// The CSV could not be written to the writer.
    #[error("cannot write timeseries csv: {0}")]
    WriteCsv(#[source] std::io::Error),
    /// A results file is not valid JSON or does not match the schema.
    #[error("invalid results file: {0}")]
    ParseResults(#[source] serde_json::Error),
    /// A results file has a `schema_version` this build cannot read.
    #[error(
        "results file has schema_version {found}, but this distsim reads version {supported} \
         (regenerate the file with this version)"
    )]
    SchemaVersion {
        /// The version in the file (0 if it is missing or not a number).
        found: u64,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// An extra percentile is not a number between 0 and 100.
    #[error("percentile {value} is out of range (expected a number from 0 to 100, e.g. 99.99)")]
    InvalidPercentile {
        /// The rejected value.
        value: f64,
    },
    /// `primary_latency` names a metric that is not a recorded histogram.
    #[error("primary latency metric {name:?} is not a recorded histogram (histograms: {known})")]
    UnknownPrimaryMetric {
        /// The requested name.
        name: String,
        /// The histogram names that do exist, comma-separated.
        known: String,
    },
    /// A plot could not be drawn.
    #[error("cannot draw the {plot} plot: {message}")]
    Plot {
        /// Which plot (`latency_cdf`, `timeline`, `node_load`).
        plot: &'static str,
        /// The drawing library's message.
        message: String,
    },
    /// A rendered plot could not be encoded as PNG.
    #[error("cannot encode the {plot} plot as png: {source}")]
    EncodePng {
        /// Which plot.
        plot: &'static str,
        /// The encoder's error.
        source: png::EncodingError,
    },
    /// A check names a metric the results do not have.
    #[error("no metric {metric:?} in the results")]
    UnknownMetric {
        /// The metric as named.
        metric: String,
    },
    /// A baseline file is not valid JSON or does not match the baseline schema.
    #[error("invalid baseline file: {0}")]
    ParseBaseline(#[source] serde_json::Error),
    /// A baseline file is JSON of the wrong kind, or holds impossible values.
    #[error("invalid baseline file: {reason}")]
    InvalidBaseline {
        /// What is wrong, with what would be valid.
        reason: String,
    },
    /// A baseline file has a `schema_version` this build cannot read.
    #[error(
        "the baseline has schema_version {found}, but this distsim reads version {supported} \
         (regenerate it with `distsim run FILE --save-baseline BASELINE.json`)"
    )]
    BaselineSchemaVersion {
        /// The version in the file (0 if it is missing or not a number).
        found: u64,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// A baseline was made from another scenario.
    #[error(
        "the baseline is for scenario {baseline:?}, but this is scenario {scenario:?} \
         (compare a scenario only with its own baseline)"
    )]
    BaselineScenario {
        /// The scenario name in the baseline.
        baseline: String,
        /// The scenario being checked.
        scenario: String,
    },
}
