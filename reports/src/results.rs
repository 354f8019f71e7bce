//! `results.json`: the machine-readable summary of a run, and its reader.
//!
//! This file is a compatibility promise: CI keeps old ones as baselines and compares new runs
//! against them. So the types here are separate from the engine's runtime types, the schema
//! carries a version ([`SCHEMA_VERSION`]), keys come out sorted at every level (through
//! `serde_json::Value`, whose objects are sorted maps), and every number is either an integer
//! or an `f64` printed by `ryu`, which is deterministic. Latencies stay integer nanoseconds;
//! human units are for the HTML and the terminal.
//!
//! Percentiles are HDR histogram values (3 significant digits, so within 0.1% of the exact
//! sample); `mean` is computed from the same buckets. A histogram with no samples has `null`
//! statistics rather than made-up zeros.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use sim_core::Unit;

use crate::error::ReportError;
use crate::format::percentile_label;
use crate::meaning::{DerivedEntry, MetricMeaning};
use crate::outcomes::{OutcomeEntry, OUTCOMES_INVARIANT};
use crate::RunData;

/// The `schema_version` this build writes and reads. Bump it when a field changes meaning or
/// disappears; adding a field does not need a bump (readers ignore unknown top-level fields).
pub const SCHEMA_VERSION: u32 = 1;

/// The standard percentiles every metric summary has, with their JSON keys.
pub(crate) const STANDARD_PERCENTILES: [(f64, &str); 4] =
    [(50.0, "p50"), (90.0, "p90"), (99.0, "p99"), (99.9, "p999")];

/// Everything in `results.json`. Field order here is alphabetical, matching the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultsFile {
    /// Changes of state models marked on the timeline (a new leader), in time order;
    /// absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<AnnotationEntry>,
    /// Annotations made beyond the kept maximum (counted, not kept); absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub annotations_dropped: u64,
    /// Every counter's total, by name.
    pub counters: BTreeMap<String, u64>,
    /// Curves the families declare over pairs of histograms (t-visibility), by name: per
    /// value range, the fraction of samples that count. Absent when no curve has samples.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub curves: BTreeMap<String, crate::curves::CurveEntry>,
    /// Metrics derived from counters (hit ratio, error ratio, ...), with their formulas and
    /// values, as the families that own the counters declare them.
    #[serde(default)]
    pub derived: BTreeMap<String, DerivedEntry>,
    /// The scenario's free-text description (`[simulation].description`).
    #[serde(default)]
    pub description: Option<String>,
    /// The run digest (hex): a hash of every processed event's time, sequence number, kind
    /// and nodes. Equal digests mean the runs processed the same events in the same order.
    #[serde(default)]
    pub digest: Option<String>,
    /// The distsim version that produced the run.
    pub distsim_version: String,
    /// Events the engine processed.
    pub events: u64,
    /// Every fault that fired, in time order.
    pub faults: Vec<FaultEntry>,
    /// What checks after the run found (a linearizability verdict per key), one line each;
    /// absent when none ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// Load per node group, sorted by group name.
    pub groups: Vec<GroupLoad>,
    /// Every counter's and histogram's meaning (unit, which way it gets worse), by name.
    #[serde(default)]
    pub meanings: BTreeMap<String, MetricMeaning>,
    /// Placement membership changes (`join`, `leave`, `fail` faults), in the order applied.
    #[serde(default)]
    pub membership: Vec<MembershipEntry>,
    /// Every histogram's summary, by name.
    pub metrics: BTreeMap<String, MetricSummary>,
    /// Load per node, in the order the runner listed them (node id order).
    pub nodes: Vec<NodeEntry>,
    /// How requests ended, per tally (`requests.read`, `requests.all{group=eu-users}`): every
    /// request issued ends exactly once or is still in flight ([`OUTCOMES_INVARIANT`]).
    #[serde(default)]
    pub outcomes: BTreeMap<String, OutcomeEntry>,
    /// The invariant every entry of `outcomes` satisfies, in words.
    #[serde(default)]
    pub outcomes_invariant: Option<String>,
    /// Why the run stopped early, or `None` if it ran to its end time.
    pub partial: Option<String>,
    /// The command that reruns this run exactly.
    #[serde(default)]
    pub reproduce: String,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as given on the command line.
    pub scenario_file: String,
    /// Hex hash of the scenario file's contents.
    pub scenario_hash: String,
    /// The schema version, [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// The run's root seed.
    pub seed: u64,
    /// Simulated length of the run in nanoseconds (including warm-up).
    pub sim_duration_ns: u64,
    /// The run in one line: how many requests ended ok, each failure's share and the faults
    /// during which the failures fell; `None` when no requests were tallied.
    #[serde(default)]
    pub verdict: Option<String>,
    /// Warm-up at the start of the run in nanoseconds.
    pub warmup_ns: u64,
    /// Length of one timeline window in nanoseconds, if windows were recorded.
    pub window_ns: Option<u64>,
}

/// One histogram's summary. Statistics are `None` (`null`) when it has no samples.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct MetricSummary {
    /// Number of samples.
    pub count: u64,
    /// For a latency histogram of successful requests: how many requests of the same kind
    /// failed (timeout, rejected, error, lost; see `outcomes`). Absent for other histograms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<u64>,
    /// Largest sample.
    pub max: Option<u64>,
    /// Mean of the samples (from the histogram's buckets).
    pub mean: Option<f64>,
    /// Smallest sample.
    pub min: Option<u64>,
    /// Median.
    pub p50: Option<u64>,
    /// 90th percentile.
    pub p90: Option<u64>,
    /// 99th percentile.
    pub p99: Option<u64>,
    /// 99.9th percentile.
    pub p999: Option<u64>,
    /// What the values measure: `ns`, `count` or `bytes`.
    pub unit: String,
    /// Extra percentiles the run asked for, keyed `p<percentile>` (`p99.99`), stored next to
    /// the standard ones in the same JSON object.
    #[serde(flatten)]
    pub extra_percentiles: BTreeMap<String, Option<u64>>,
}

impl Serialize for MetricSummary {
    /// Through a name-ordered map, so that the extra percentiles (`p99.99`, flattened into
    /// the same object) sit in name order among the standard fields, as everywhere in
    /// results.json.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde_json::Value;
        let mut fields: BTreeMap<&str, Value> = BTreeMap::new();
        fields.insert("count", self.count.into());
        if let Some(failed) = self.failed {
            fields.insert("failed", failed.into());
        }
        fields.insert("max", self.max.into());
        fields.insert("mean", self.mean.into());
        fields.insert("min", self.min.into());
        fields.insert("p50", self.p50.into());
        fields.insert("p90", self.p90.into());
        fields.insert("p99", self.p99.into());
        fields.insert("p999", self.p999.into());
        fields.insert("unit", self.unit.as_str().into());
        for (name, value) in &self.extra_percentiles {
            fields.insert(name, (*value).into());
        }
        fields.serialize(serializer)
    }
}

/// Whether a count is zero (for leaving it out of `results.json`).
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One change of state a model marked (see `sim_core::metrics::Annotation`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotationEntry {
    /// The state, such as `term 3`; empty for none.
    pub label: String,
    /// Its lane, such as `leader`.
    pub lane: String,
    /// The node it concerns, by name, if any.
    pub node: Option<String>,
    /// When the state began.
    pub time_ns: u64,
}

/// One fault that fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultEntry {
    /// Which nodes and parameters, for people.
    pub description: String,
    /// When its effect ended, if it had a known end.
    pub end_ns: Option<u64>,
    /// Its kind: `crash`, `partition`, `slow_node`, ...
    pub kind: String,
    /// When it fired.
    pub time_ns: u64,
}

/// One placement membership change and the keys it moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MembershipEntry {
    /// The placed group.
    pub group: String,
    /// Sampled keys whose owner changed.
    pub keys_moved: u64,
    /// Keys compared (keys `0..keys_sampled`).
    pub keys_sampled: u64,
    /// `join` or `leave`.
    pub kind: String,
    /// Members after the change.
    pub members: u64,
    /// `keys_moved / keys_sampled`.
    pub moved_fraction: f64,
    /// Moved keys by their old owner, in node order.
    pub moved_from: Vec<NodeKeys>,
    /// Moved keys by their new owner, in node order.
    pub moved_to: Vec<NodeKeys>,
    /// The nodes that joined or left.
    pub nodes: Vec<String>,
    /// The placement scheme.
    pub scheme: String,
    /// When it was applied.
    pub time_ns: u64,
}

/// A number of keys attributed to one node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeKeys {
    /// How many keys.
    pub keys: u64,
    /// The node's `group[i]` name.
    pub node: String,
}

/// Totals over the nodes of one group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupLoad {
    /// Mean over the group's nodes of [`NodeEntry::busy_fraction`].
    pub busy_fraction_mean: Option<f64>,
    /// Worker-nanoseconds spent serving, summed over nodes and workers.
    pub busy_ns: u64,
    /// The group's name.
    pub group: String,
    /// Number of nodes in the group.
    pub nodes: u64,
    /// Nodes up at the end of the run.
    pub nodes_up: u64,
    /// Messages delivered to the group's nodes.
    pub received: u64,
    /// Messages the group's nodes sent.
    pub sent: u64,
    /// Work items the group's nodes finished.
    pub work_completed: u64,
}

/// One node's totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeEntry {
    /// `busy_ns / (sim_duration_ns - warmup_ns)`: busy worker-seconds per second of simulated
    /// time after the warm-up (the span the loads cover). It is the utilisation of a one-worker
    /// node; a node with `k` workers can reach `k`, so divide by `k` for its utilisation.
    /// `None` when nothing ran after the warm-up.
    pub busy_fraction: Option<f64>,
    /// Worker-nanoseconds spent serving (summed over workers).
    pub busy_ns: u64,
    /// The node's group (`cache`).
    pub group: String,
    /// The node's name (`cache[2]`).
    pub name: String,
    /// Messages delivered to it.
    pub received: u64,
    /// Messages it handed to the network.
    pub sent: u64,
    /// Whether it was up at the end of the run.
    pub up: bool,
    /// Work items its service model finished.
    pub work_completed: u64,
}

/// The entry of `entries` whose name is the longest that prefixes `metric` followed by a
/// dot, and what follows the dot: `latency.read.p99` is (`latency.read`, `p99`),
/// `requests.all{group=a.b}.ok` is (`requests.all{group=a.b}`, `ok`).
pub(crate) fn split_by_name<'e, 'm, V>(
    entries: &'e BTreeMap<String, V>,
    metric: &'m str,
) -> Option<(&'e str, &'e V, &'m str)> {
    let (name, entry) = entries
        .iter()
        .filter(|(name, _)| {
            metric.len() > name.len() + 1
                && metric.starts_with(name.as_str())
                && metric.as_bytes()[name.len()] == b'.'
        })
        .max_by_key(|(name, _)| name.len())?;
    Some((name.as_str(), entry, &metric[name.len() + 1..]))
}

/// An extra percentile, validated, with its JSON key suffix (`99.99`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ExtraPercentile {
    pub percentile: f64,
    pub label: String,
}

/// The run's extra percentiles: validated, without duplicates or standard ones, ascending.
pub(crate) fn extra_percentiles(percentiles: &[f64]) -> Result<Vec<ExtraPercentile>, ReportError> {
    let mut extra: Vec<ExtraPercentile> = Vec::new();
    for &percentile in percentiles {
        if !(percentile.is_finite() && (0.0..=100.0).contains(&percentile)) {
            return Err(ReportError::InvalidPercentile { value: percentile });
        }
        let label = percentile_label(percentile);
        let is_standard = STANDARD_PERCENTILES
            .iter()
            .any(|(p, _)| percentile_label(*p) == label);
        if !is_standard && !extra.iter().any(|e| e.label == label) {
            extra.push(ExtraPercentile { percentile, label });
        }
    }
    extra.sort_by(|a, b| a.percentile.total_cmp(&b.percentile));
    Ok(extra)
}

/// A summary's percentiles, standard and extra, in ascending order, with display labels
/// (`p50`, `p75`, `p99.9`, `p99.99`).
pub(crate) fn percentile_columns(
    summary: &MetricSummary,
    extra: &[ExtraPercentile],
) -> Vec<(String, Option<u64>)> {
    let standard = [summary.p50, summary.p90, summary.p99, summary.p999];
    let mut columns: Vec<(f64, String, Option<u64>)> = STANDARD_PERCENTILES
        .iter()
        .zip(standard)
        .map(|((percentile, _), value)| {
            (
                *percentile,
                format!("p{}", percentile_label(*percentile)),
                value,
            )
        })
        .collect();
    for e in extra {
        let key = format!("p{}", e.label);
        let value = summary.extra_percentiles.get(&key).copied().flatten();
        columns.push((e.percentile, key, value));
    }
    columns.sort_by(|a, b| a.0.total_cmp(&b.0));
    columns
        .into_iter()
        .map(|(_, label, value)| (label, value))
        .collect()
}

/// Summarises one histogram: count, mean, min, max, the standard and the extra percentiles.
pub(crate) fn summarize(
    histogram: &Histogram<u64>,
    unit: Unit,
    extra: &[ExtraPercentile],
) -> MetricSummary {
    let count = histogram.len();
    let stat = |value: u64| (count > 0).then_some(value);
    let at = |percentile: f64| stat(histogram.value_at_percentile(percentile));
    let summary = MetricSummary {
        count,
        max: stat(histogram.max()),
        mean: (count > 0).then(|| histogram.mean()),
        min: stat(histogram.min()),
        p50: at(50.0),
        p90: at(90.0),
        p99: at(99.0),
        p999: at(99.9),
        unit: unit.name().to_string(),
        failed: None,
        extra_percentiles: extra
            .iter()
            .map(|e| (format!("p{}", e.label), at(e.percentile)))
            .collect(),
    };
    debug_assert!(summary.p50 <= summary.p99, "percentiles are monotonic");
    summary
}

/// Builds the `results.json` contents for a run.
pub fn build_results(data: &RunData<'_>) -> Result<ResultsFile, ReportError> {
    let extra = extra_percentiles(&data.percentiles)?;
    let outcomes = crate::outcomes::outcomes(data.metrics);
    let mut metrics: BTreeMap<String, MetricSummary> = data
        .metrics
        .histograms()
        .map(|(name, unit, id)| {
            let summary = summarize(data.metrics.histogram_data(id), unit, &extra);
            (name.to_string(), summary)
        })
        .collect();
    for entry in outcomes.values() {
        if let Some(summary) = entry.latency.as_ref().and_then(|h| metrics.get_mut(h)) {
            summary.failed = Some(entry.failed);
        }
    }
    let counters = data
        .metrics
        .counters()
        .map(|(name, _, total)| (name.to_string(), total))
        .collect();
    let faults = data
        .faults
        .iter()
        .map(|fault| FaultEntry {
            description: fault.description.clone(),
            end_ns: fault.end.map(|end| end.as_nanos()),
            kind: fault.kind.to_string(),
            time_ns: fault.time.as_nanos(),
        })
        .collect();
    let nodes: Vec<NodeEntry> = data.nodes.iter().map(|n| node_entry(n, data)).collect();
    let (kept, dropped) = data.metrics.annotations();
    let annotations = kept
        .iter()
        .map(|a| AnnotationEntry {
            label: a.label.clone(),
            lane: a.lane.clone(),
            node: a
                .node
                .and_then(|n| data.nodes.get(n.idx()))
                .map(|n| n.name.clone()),
            time_ns: a.at.as_nanos(),
        })
        .collect();
    Ok(ResultsFile {
        annotations,
        annotations_dropped: dropped,
        counters,
        curves: crate::curves::curves(data.metrics),
        derived: crate::meaning::derived(data.metrics),
        digest: Some(format!("{:016x}", data.digest)),
        distsim_version: data.distsim_version.clone(),
        events: data.events,
        faults,
        findings: data.findings.clone(),
        groups: group_loads(&nodes),
        membership: data.membership.clone(),
        meanings: crate::meaning::meanings(data.metrics),
        metrics,
        nodes,
        outcomes_invariant: (!outcomes.is_empty()).then(|| OUTCOMES_INVARIANT.to_string()),
        outcomes,
        verdict: crate::outcomes::verdict(data),
        partial: data.partial.clone(),
        scenario: data.scenario_name.clone(),
        description: data.description.clone(),
        scenario_file: data.scenario_file.clone(),
        reproduce: data.reproduce.clone(),
        scenario_hash: data.scenario_hash.clone(),
        schema_version: SCHEMA_VERSION,
        seed: data.seed,
        sim_duration_ns: data.sim_duration_ns,
        warmup_ns: data.warmup_ns,
        window_ns: data.metrics.window().map(|w| w.0),
    })
}

fn node_entry(node: &crate::NodeLoad, data: &RunData<'_>) -> NodeEntry {
    let stats = node.stats;
    NodeEntry {
        busy_fraction: measured_ns(data).map(|span| stats.busy_ns as f64 / span as f64),
        busy_ns: stats.busy_ns,
        group: node.group.clone(),
        name: node.name.clone(),
        received: stats.received,
        sent: stats.sent,
        up: stats.up,
        work_completed: stats.work_completed,
    }
}

/// Sums nodes by group, in group-name order. Busy fractions are averaged in node order, a
/// fixed order, so the float sum is reproducible.
fn group_loads(nodes: &[NodeEntry]) -> Vec<GroupLoad> {
    let mut groups: BTreeMap<&str, (GroupLoad, f64)> = BTreeMap::new();
    for node in nodes {
        let (group, busy_sum) = groups.entry(node.group.as_str()).or_insert_with(|| {
            let load = GroupLoad {
                busy_fraction_mean: None,
                busy_ns: 0,
                group: node.group.clone(),
                nodes: 0,
                nodes_up: 0,
                received: 0,
                sent: 0,
                work_completed: 0,
            };
            (load, 0.0)
        });
        group.nodes += 1;
        group.nodes_up += u64::from(node.up);
        group.busy_ns = group.busy_ns.saturating_add(node.busy_ns);
        group.received = group.received.saturating_add(node.received);
        group.sent = group.sent.saturating_add(node.sent);
        group.work_completed = group.work_completed.saturating_add(node.work_completed);
        if let Some(fraction) = node.busy_fraction {
            *busy_sum += fraction;
            group.busy_fraction_mean = Some(*busy_sum / group.nodes as f64);
        }
    }
    groups.into_values().map(|(group, _)| group).collect()
}

/// Writes `results` as pretty JSON with keys sorted at every level, ending in a newline.
///
/// Streamed straight from the structs, never through a `serde_json::Value` tree: at a million
/// nodes the tree of the per-node list alone took 1.5 GB. The keys come out sorted because
/// every struct here declares its fields in name order and every map is a `BTreeMap`;
/// [`sorted_results_json`] is the slow reference (a sorted `Value`) that tests compare this
/// with on every shipped example.
pub fn write_results<W: Write>(mut writer: W, results: &ResultsFile) -> Result<(), ReportError> {
    serde_json::to_writer_pretty(&mut writer, results).map_err(ReportError::WriteJson)?;
    writer
        .write_all(b"\n")
        .map_err(|e| ReportError::WriteJson(serde_json::Error::io(e)))?;
    Ok(())
}

/// `results` as [`write_results`] must write it, built the slow way: a `serde_json::Value`
/// with every object's keys sorted, pretty-printed, with the final newline. For tests that
/// pin the streamed writer's key order.
pub fn sorted_results_json(results: &ResultsFile) -> Result<Vec<u8>, ReportError> {
    let mut value = serde_json::to_value(results).map_err(ReportError::WriteJson)?;
    value.sort_all_objects();
    let mut json = serde_json::to_vec_pretty(&value).map_err(ReportError::WriteJson)?;
    json.push(b'\n');
    Ok(json)
}

/// Reads a `results.json` written by [`write_results`] (for example a CI baseline).
///
/// Checks `schema_version` first, so a file from an incompatible version gets a clear error
/// rather than a missing-field one.
pub fn read_results<R: Read>(mut reader: R) -> Result<ResultsFile, ReportError> {
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| ReportError::ParseResults(serde_json::Error::io(e)))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(ReportError::ParseResults)?;
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if found != u64::from(SCHEMA_VERSION) {
        return Err(ReportError::SchemaVersion {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    // Parsed again from the text, not the value, so errors carry a line and column.
    serde_json::from_str(&text).map_err(ReportError::ParseResults)
}

/// The span the loads cover: the run after its warm-up (the runner subtracts the warm-up's
/// totals from every node's load), if it is not empty.
fn measured_ns(data: &RunData<'_>) -> Option<u64> {
    let span = data.sim_duration_ns.saturating_sub(data.warmup_ns);
    (span > 0).then_some(span)
}
