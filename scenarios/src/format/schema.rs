//! The scenario file's schema: serde types that mirror the TOML, with spans.
//!
//! These types only describe what was written; nothing here is validated beyond TOML types.
//! Every table denies unknown fields (an unknown field is an error with a "did you mean"), and
//! values that can be wrong in meaning (a selector, a duration) keep their byte span so
//! `build` can point at them. See `docs/scenario-format.md` for every field and its default.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// `[simulation]`: name, seed, duration, guards.
    pub simulation: Spanned<SimulationSection>,
    /// `[network]`: latency rules, bandwidth, loss.
    #[serde(default)]
    pub network: Option<Spanned<NetworkSection>>,
    /// `[[region]]`: regions and their zones.
    #[serde(default)]
    pub region: Vec<Spanned<RegionSection>>,
    /// `[[group]]`: sets of identical nodes.
    #[serde(default)]
    pub group: Vec<Spanned<GroupSection>>,
    /// `[[fault]]`: the failure timeline.
    #[serde(default)]
    pub fault: Vec<Spanned<FaultSection>>,
    /// `[[fault_process]]`: random crash-and-repair processes.
    #[serde(default)]
    pub fault_process: Vec<Spanned<FaultProcessSection>>,
    /// `[report]`: percentiles, window, plots.
    #[serde(default)]
    pub report: Option<Spanned<ReportSection>>,
    /// `[[check]]`: assertions on results.
    #[serde(default)]
    pub check: Vec<Spanned<CheckSection>>,
    /// `[sweep]`: variants and replications for `distsim sweep` (and `distsim check`).
    #[serde(default)]
    pub sweep: Option<Spanned<SweepSection>>,
}

/// `[sweep]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSection {
    /// Runs per variant, each with its own seed (default 1).
    #[serde(default)]
    pub replications: Option<Spanned<i64>>,
    /// `grid` (every combination, default) or `zip` (the i-th value of every axis together).
    #[serde(default)]
    pub mode: Option<Spanned<String>>,
    /// The varied fields, in order.
    #[serde(default)]
    pub vary: Vec<Spanned<VarySpec>>,
    /// The metric the terminal table sorts by (default `<timeline metric>.p99`).
    #[serde(default)]
    pub sort_by: Option<Spanned<String>>,
}

/// `{ path = "group.cache.policy", values = ["lru", "s3-fifo"] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarySpec {
    /// A dotted path, as `--set` takes it.
    pub path: Spanned<String>,
    /// Its values, in order.
    pub values: Spanned<Vec<toml::Value>>,
}

/// Top-level table names, for "did you mean" on unknown sections.
pub const TOP_LEVEL_KEYS: [&str; 9] = [
    "simulation",
    "network",
    "region",
    "group",
    "fault",
    "fault_process",
    "report",
    "check",
    "sweep",
];

/// `[simulation]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    /// Scenario name; names the output directory.
    pub name: Spanned<String>,
    /// Free text for the report.
    #[serde(default)]
    pub description: Option<String>,
    /// Root seed (required here or via `--seed`).
    #[serde(default)]
    pub seed: Option<Spanned<i64>>,
    /// Simulated run length.
    pub duration: Spanned<String>,
    /// Leading time excluded from the results' totals.
    #[serde(default)]
    pub warmup: Option<Spanned<String>>,
    /// Guard: most events to process.
    #[serde(default)]
    pub max_events: Option<Spanned<i64>>,
    /// Guard: most events pending at once.
    #[serde(default)]
    pub max_pending: Option<Spanned<i64>>,
    /// Guard: most wall time the run may take.
    #[serde(default)]
    pub max_wall_time: Option<Spanned<String>>,
    /// Guard: most nodes the scenario may define.
    #[serde(default)]
    pub max_nodes: Option<Spanned<i64>>,
    /// Guard: most memory the scenario's estimate may reach (a size).
    #[serde(default)]
    pub max_memory: Option<Spanned<String>>,
}

/// `[network]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// Default one-way latency.
    #[serde(default)]
    pub latency: Option<Spanned<DistSpec>>,
    /// Each sender's link bandwidth.
    #[serde(default)]
    pub bandwidth: Option<Spanned<String>>,
    /// Loss probability.
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    /// Duplication probability.
    #[serde(default)]
    pub duplicate: Option<Spanned<f64>>,
    /// Per-link FIFO delivery.
    #[serde(default)]
    pub fifo: Option<bool>,
    /// `[[network.rule]]`: latency between two regions, zones or nodes.
    #[serde(default)]
    pub rule: Vec<Spanned<LatencyRuleSection>>,
}

/// `[[network.rule]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyRuleSection {
    /// Two region names, two zone names, or two single-node selectors (the same twice for
    /// "within").
    pub between: Spanned<Vec<String>>,
    /// The one-way latency on that link.
    pub latency: Spanned<DistSpec>,
}

/// `[[region]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSection {
    /// Region name.
    pub name: Spanned<String>,
    /// Zone names; default one zone named like the region.
    #[serde(default)]
    pub zones: Vec<Spanned<String>>,
}

/// The service model of a group's nodes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Workers per node.
    pub workers: Spanned<i64>,
    /// Service time of every operation (overridden per operation below).
    pub time: Spanned<DistSpec>,
    /// Service time of reads, if different.
    #[serde(default)]
    pub read_time: Option<Spanned<DistSpec>>,
    /// Service time of writes, if different.
    #[serde(default)]
    pub write_time: Option<Spanned<DistSpec>>,
    /// Service time of deletes, if different.
    #[serde(default)]
    pub delete_time: Option<Spanned<DistSpec>>,
    /// Queue bound (items waiting, not in service); unbounded if absent.
    #[serde(default)]
    pub queue: Option<Spanned<i64>>,
    /// `"reject"` (answer busy) or `"drop"` when the queue is full.
    #[serde(default)]
    pub overflow: Option<Spanned<String>>,
    /// Service time an item gains per other item in service when it starts (`"10ms"`).
    #[serde(default)]
    pub contention: Option<Spanned<String>>,
    /// Serve the newest first while more than this many wait (adaptive LIFO).
    #[serde(default)]
    pub lifo_above: Option<Spanned<i64>>,
    /// Drop an item that waited longer than this (`"3s"`).
    #[serde(default)]
    pub queue_timeout: Option<Spanned<String>>,
    /// CoDel: `{ target = "5ms", interval = "100ms" }`.
    #[serde(default)]
    pub codel: Option<Spanned<CodelSpec>>,
}

/// `codel = { target, interval }` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodelSpec {
    /// The wait allowed under standing overload.
    pub target: String,
    /// The wait allowed when the queue was empty within this long.
    pub interval: String,
}

/// `[[group]]`: the fields every role shares, plus the role's own parameters.
#[derive(Debug)]
pub struct GroupSection {
    /// Group name, used in selectors.
    pub name: Spanned<String>,
    /// Number of nodes.
    pub count: Spanned<i64>,
    /// Role name (`distsim list` shows them).
    pub role: Spanned<String>,
    /// One zone for every node.
    pub zone: Option<Spanned<String>>,
    /// Zones to spread nodes over, round-robin.
    pub zones: Option<Spanned<Vec<String>>>,
    /// A region to spread nodes over (its zones, round-robin).
    pub region: Option<Spanned<String>>,
    /// Workers, queue and service times.
    pub service: Option<Spanned<ServiceSpec>>,
    /// How keys map to the group's nodes, for clients that route by key.
    pub placement: Option<Spanned<PlacementTable>>,
    /// Every other key: the role's parameters, validated by the role.
    pub params: Vec<(Spanned<String>, Spanned<toml::Value>)>,
}

/// Keys every group has; anything else belongs to the role.
pub const GROUP_COMMON_KEYS: [&str; 8] = [
    "name",
    "count",
    "role",
    "zone",
    "zones",
    "region",
    "service",
    "placement",
];

/// `placement = { scheme = "ring", vnodes = 160 }` as written: the scheme, how many members
/// start, and the scheme's own parameters (validated by its row).
#[derive(Debug)]
pub struct PlacementTable {
    /// The scheme (`distsim list` shows them).
    pub scheme: Spanned<String>,
    /// How many of the group's nodes (the first ones) are members at the start; the rest
    /// wait for a `join` fault. Default: all.
    pub initial_members: Option<Spanned<u32>>,
    /// Every other key: the scheme's parameters.
    pub params: Vec<(Spanned<String>, Spanned<toml::Value>)>,
}

impl<'de> Deserialize<'de> for PlacementTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PlacementVisitor;
        impl<'de> Visitor<'de> for PlacementVisitor {
            type Value = PlacementTable;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a placement table such as { scheme = \"ring\" }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PlacementTable, A::Error> {
                let (mut scheme, mut initial_members) = (None, None);
                let mut params = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    match key.get_ref().as_str() {
                        "scheme" => scheme = Some(map.next_value()?),
                        "initial_members" => initial_members = Some(map.next_value()?),
                        _ => params.push((key, map.next_value()?)),
                    }
                }
                Ok(PlacementTable {
                    scheme: scheme.ok_or_else(|| de::Error::missing_field("scheme"))?,
                    initial_members,
                    params,
                })
            }
        }
        deserializer.deserialize_map(PlacementVisitor)
    }
}

impl<'de> Deserialize<'de> for GroupSection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct GroupVisitor;
        impl<'de> Visitor<'de> for GroupVisitor {
            type Value = GroupSection;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a group table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GroupSection, A::Error> {
                let (mut name, mut count, mut role) = (None, None, None);
                let (mut zone, mut zones, mut region, mut service) = (None, None, None, None);
                let mut placement = None;
                let mut params = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    match key.get_ref().as_str() {
                        "name" => name = Some(map.next_value()?),
                        "count" => count = Some(map.next_value()?),
                        "role" => role = Some(map.next_value()?),
                        "zone" => zone = Some(map.next_value()?),
                        "zones" => zones = Some(map.next_value()?),
                        "region" => region = Some(map.next_value()?),
                        "service" => service = Some(map.next_value()?),
                        "placement" => placement = Some(map.next_value()?),
                        _ => params.push((key, map.next_value()?)),
                    }
                }
                Ok(GroupSection {
                    name: name.ok_or_else(|| de::Error::missing_field("name"))?,
                    count: count.ok_or_else(|| de::Error::missing_field("count"))?,
                    role: role.ok_or_else(|| de::Error::missing_field("role"))?,
                    zone,
                    zones,
                    region,
                    service,
                    placement,
                    params,
                })
            }
        }
        deserializer.deserialize_map(GroupVisitor)
    }
}

/// `[[fault]]`: a time and exactly one fault kind (one key of a fault-kind row) with the
/// parameters that kind takes. Which keys are valid is the fault rows' business
/// (`sections::faults`), so this keeps every other key, spanned.
#[derive(Debug)]
pub struct FaultSection {
    /// When it fires.
    pub at: Spanned<String>,
    /// Every other key, in file order.
    pub entries: Vec<(Spanned<String>, Spanned<toml::Value>)>,
}

impl<'de> Deserialize<'de> for FaultSection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FaultVisitor;
        impl<'de> Visitor<'de> for FaultVisitor {
            type Value = FaultSection;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a fault table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FaultSection, A::Error> {
                let mut at = None;
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    match key.get_ref().as_str() {
                        "at" => at = Some(map.next_value()?),
                        _ => entries.push((key, map.next_value()?)),
                    }
                }
                Ok(FaultSection {
                    at: at.ok_or_else(|| de::Error::missing_field("at"))?,
                    entries,
                })
            }
        }
        deserializer.deserialize_map(FaultVisitor)
    }
}

/// `partition = { from = ..., to = ..., one_way = false, name = "..." }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionSpec {
    /// One side.
    pub from: Spanned<Selectors>,
    /// The other side; default every node not in `from`.
    #[serde(default)]
    pub to: Option<Spanned<Selectors>>,
    /// Block only `from -> to`.
    #[serde(default)]
    pub one_way: bool,
    /// Name for a later `heal`; default `partition-<n>`.
    #[serde(default)]
    pub name: Option<String>,
}

/// `degrade = { from = ..., to = ..., extra_latency = "50ms", loss = 0.1, duplicate = 0 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DegradeSpec {
    /// Senders affected.
    pub from: Spanned<Selectors>,
    /// Receivers affected; default every node.
    #[serde(default)]
    pub to: Option<Spanned<Selectors>>,
    /// Added latency.
    #[serde(default)]
    pub extra_latency: Option<Spanned<String>>,
    /// Extra loss probability.
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    /// Extra duplication probability.
    #[serde(default)]
    pub duplicate: Option<Spanned<f64>>,
}

/// `slow = { nodes = "db[0]", factor = 10 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowSpec {
    /// Which nodes.
    pub nodes: Spanned<Selectors>,
    /// Service-time multiplier.
    pub factor: Spanned<f64>,
}

/// `clock_skew = { nodes = "...", offset = "-5ms", drift_ppm = 100 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSkewSpec {
    /// Which nodes.
    pub nodes: Spanned<Selectors>,
    /// Clock step; a leading `-` for backwards.
    #[serde(default)]
    pub offset: Option<Spanned<String>>,
    /// Rate error in parts per million.
    #[serde(default)]
    pub drift_ppm: Option<Spanned<f64>>,
}

/// `[[fault_process]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultProcessSection {
    /// Which nodes fail.
    pub nodes: Spanned<Selectors>,
    /// Mean time between failures.
    pub mtbf: Spanned<String>,
    /// Mean time to repair.
    pub mttr: Spanned<String>,
}

/// `[report]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    /// Timeline window length.
    #[serde(default)]
    pub window: Option<Spanned<String>>,
    /// Percentiles beyond the standard ones (50, 90, 99, 99.9), e.g. `[99.99]`.
    #[serde(default)]
    pub percentiles: Vec<Spanned<f64>>,
    /// Which plots to draw (`latency_cdf`, `timeline`, `node_load`); default all.
    #[serde(default)]
    pub plots: Option<Vec<Spanned<String>>>,
    /// The latency metric the timeline shows; default the first `latency.*`.
    #[serde(default)]
    pub timeline_metric: Option<Spanned<String>>,
    /// Counters the timeline draws per second over its top panel (`["client.attempts"]`).
    #[serde(default)]
    pub timeline_counters: Vec<Spanned<String>>,
    /// Also record `latency.<op>.with_failures`: every request that ended, a timed-out one
    /// at its timeout.
    #[serde(default)]
    pub failures_in_latency: bool,
    /// Keys of a replicated store whose every operation is kept and checked for
    /// linearizability at the end of the run: integers, or `"key-17"`.
    #[serde(default)]
    pub linearizability: Vec<Spanned<toml::Value>>,
    /// Whether replicated stores keep the history and judge reads (`consistency.*`);
    /// default true.
    #[serde(default)]
    pub consistency: Option<Spanned<bool>>,
}

/// `[[check]]`: an expression (`assert = "latency.read.p99 < 25ms"`), or `metric` compared
/// with `max` and/or `min`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSection {
    /// `metric op threshold`, e.g. `"latency.read.p99 < 25ms"` or `"cache.hit_ratio >= 80%"`.
    #[serde(default)]
    pub assert: Option<Spanned<String>>,
    /// Metric path, e.g. `latency.read.p99` or `net.dropped.partition`.
    #[serde(default)]
    pub metric: Option<Spanned<String>>,
    /// Upper bound (inclusive), with units for durations (`"25ms"`).
    #[serde(default)]
    pub max: Option<Spanned<Quantity>>,
    /// Lower bound (inclusive).
    #[serde(default)]
    pub min: Option<Spanned<Quantity>>,
}

/// A number or a string with units; which units apply depends on where it appears.
#[derive(Clone, Debug, PartialEq)]
pub enum Quantity {
    /// A string such as `"25ms"` or `"1KiB"`.
    Text(String),
    /// A bare number.
    Number(f64),
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuantityVisitor;
        impl Visitor<'_> for QuantityVisitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string with units such as \"2ms\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Ok(Quantity::Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                Ok(Quantity::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity::Number(v as f64))
            }
        }
        deserializer.deserialize_any(QuantityVisitor)
    }
}

/// One node selector or a list of them: `"cache[2]"`, `["db[0..3]", "region:eu"]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selectors(pub Vec<String>);

impl<'de> Deserialize<'de> for Selectors {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SelectorsVisitor;
        impl<'de> Visitor<'de> for SelectorsVisitor {
            type Value = Selectors;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a node selector such as \"cache[2]\", or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Selectors, E> {
                Ok(Selectors(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Selectors, A::Error> {
                let mut all = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    all.push(item);
                }
                Ok(Selectors(all))
            }
        }
        deserializer.deserialize_any(SelectorsVisitor)
    }
}

/// A distribution as written: `{ dist = "exp", mean = "40us" }`: the table, whose `dist`
/// names a distribution row (`sections::distributions`) and whose other keys are that
/// row's parameters, with units that depend on where it appears (durations for latencies,
/// sizes for value sizes).
#[derive(Clone, Debug, PartialEq)]
pub struct DistSpec(pub toml::Table);

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DistVisitor;
        impl<'de> Visitor<'de> for DistVisitor {
            type Value = DistSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a distribution such as { dist = \"exp\", mean = \"1ms\" }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DistSpec, A::Error> {
                let mut table = toml::Table::new();
                while let Some(key) = map.next_key::<String>()? {
                    table.insert(key, map.next_value()?);
                }
                Ok(DistSpec(table))
            }
        }
        deserializer.deserialize_map(DistVisitor)
    }
}
