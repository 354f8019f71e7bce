//! The `client` role's parameters: `target`, `workload`, `routing`, `timeout`, `failover`,
//! `store`, and the resilience policy `retry` (in `retry.rs`).
//!
//! A `workload` either samples requests (arrivals or a closed loop, keys, mix, sizes) or
//! replays a trace file (`trace`, `speed`, `csv`, `concurrency`). A trace is checked when the
//! scenario loads (its format is known, it opens, its first record reads) and opened afresh
//! by every client of every run, in [`Scenario::build`](crate::Scenario::build).

use std::fs::File;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use models::balancing::EwmaDecay;
use models::msg::Msg;
use models::replication::quorum::Coordination;
use models::replication::ReplicationSpec;
use models::roles::client::{ClientBalancing, ClientScopes};
use models::roles::QuorumFrontEnd;
use models::roles::{Client, ClientConfig, Load, Routing};
use models::workload::replay::{Speed, TraceFeed, TracePace, TraceRecords, TraceShare};
use models::workload::trace::{
    trace_format_of, TraceConfig, TraceError, TraceFormat, TraceReader, ZeroSize,
};
use models::workload::{KeyPopularity, Op, OpMix};
use sim_core::registry::{Param, Row};
use sim_core::{Distribution, Node, NodeId, SimDuration};

use super::{
    Catalogue, OfferedLoad, Recording, RoleBuilder, RoleContext, RoleRow, RoleSpec, RunContext,
    ServiceUse,
};
use crate::format::diag::{suggest, Diagnostic, Source};
use crate::format::params::Params;
use crate::format::units::parse_duration;
use crate::sections::workload::{
    parse_sampled, FieldError, SampledLoad, WorkloadSpec, WorkloadVocabulary,
};

/// `client`.
pub(super) const ROW: RoleRow = Row {
    name: "client",
    aliases: &[],
    description: "generates a workload, sends requests to a target group, records latency",
    params: &[
        Param::required("target", "the group (or selector) requests go to"),
        Param::required(
            "workload",
            "arrivals or closed loop, keys, operation mix, value sizes; or a trace to replay",
        ),
        Param::optional(
            "routing",
            "\"random\" (\"placement\" for a placed target)",
            "random, round_robin, key_modulo, placement, or a balancer policy",
        ),
        Param::optional("timeout", "never", "abandon a request after this long"),
        Param::optional(
            "failover",
            "\"1s\"",
            "random or round_robin routing: skip a target whose request failed for this long, then probe it; \"off\" never skips",
        ),
        Param::optional(
            "store",
            "none",
            "cache-aside: the store group behind the look-aside cache `target` (misses read it and fill the cache; writes go to it and invalidate)",
        ),
        Param::optional(
            "retry",
            "none",
            "retry failed attempts: { attempts, base, multiplier, cap, jitter, on, budget }",
        ),
        Param::optional(
            "breaker",
            "none",
            "a circuit breaker: { window, min_calls, failure_ratio, slow_call, slow_ratio, open_for, probes }, or \"off\"",
        ),
        Param::optional(
            "hedge",
            "none",
            "send a copy of a slow request to another target: { after = \"15ms\" or \"p95\", budget }, or \"off\"",
        ),
        Param::optional(
            "max_in_flight",
            "no limit",
            "a bulkhead: at most this many attempts in flight per client; one more is refused",
        ),
    ],
    value: RoleSpec {
        histograms: &["latency.all", "latency.read", "latency.write", "latency.delete"],
        service: ServiceUse::None,
        serves_requests: false,
        parse: parse_client,
    },
};

fn parse_client(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
) -> Result<Box<dyn RoleBuilder>, Diagnostic> {
    let source = context.source;
    let target = params.require::<String>("target")?;
    let targets = super::request_targets(context, &target)?;
    // A target that is exactly a group with a placement routes by key unless told otherwise.
    let placement = context
        .placements
        .contains_key(target.get_ref())
        .then(|| target.get_ref().clone());
    let routing_param = params.take::<String>("routing")?;
    let routing_name = routing_param.as_ref().map(|r| r.get_ref().clone());
    let routing = match routing_param {
        None if placement.is_some() => Routing::Placement,
        None => Routing::Random,
        Some(routing) => match routing.get_ref().as_str() {
            "random" => Routing::Random,
            "round_robin" => Routing::RoundRobin,
            "key_modulo" => Routing::KeyModulo,
            "placement" if placement.is_some() => Routing::Placement,
            "placement" => {
                return Err(Diagnostic::error(
                    source,
                    routing.span(),
                    format!(
                        "routing = \"placement\" needs a target group with a `placement`, and {:?} has none",
                        target.get_ref()
                    ),
                )
                .with_help("add e.g. placement = { scheme = \"ring\" } to the target group"))
            }
            other if context.vocabulary.balancers.find(other).is_some() => Routing::Balanced,
            other => {
                let names: Vec<&str> = models::roles::client::ROUTINGS
                    .iter()
                    .map(|(n, _)| *n)
                    .chain(context.vocabulary.balancers.names())
                    .collect();
                return Err(Diagnostic::error(
                    source,
                    routing.span(),
                    format!("unknown routing {other:?}"),
                )
                .with_help(suggest(other, names.iter().copied())));
            }
        },
    };
    // Cache-aside: the target is a look-aside cache and this is the store behind it.
    let store = match params.take::<String>("store")? {
        None => Vec::new(),
        Some(selector) => {
            // Cache-aside needs a look-aside cache to ask first: only a cache answers `miss`.
            let target_role = context.roles.get(target.get_ref()).map(String::as_str);
            if target_role != Some("cache") {
                let what = match target_role {
                    Some(role) => format!("{:?} is a `{role}` group", target.get_ref()),
                    None => format!("{:?} is not a group name", target.get_ref()),
                };
                return Err(Diagnostic::error(
                    source,
                    selector.span(),
                    format!(
                        "`store` makes this client run cache-aside, so `target` must name a `cache` group, and {what}"
                    ),
                )
                .with_help("point `target` at a look-aside cache group (no `backend`), or drop `store`"));
            }
            super::request_targets(context, &selector)?.nodes().to_vec()
        }
    };
    let timeout = match params.take::<String>("timeout")? {
        None => None,
        Some(text) => {
            let timeout = parse_duration(text.get_ref())
                .map_err(|e| Diagnostic::error(source, text.span(), e.message))?;
            // A zero timeout would abandon every request as it is sent.
            if timeout == SimDuration::ZERO {
                return Err(Diagnostic::error(
                    source,
                    text.span(),
                    "timeout must be longer than 0",
                )
                .with_help("leave `timeout` out to wait for every answer"));
            }
            Some(timeout)
        }
    };
    let failover = match params.take::<String>("failover")? {
        Some(text) if text.get_ref() == "off" => None,
        Some(text) => Some(crate::format::params::positive_duration(
            source, &text, "failover",
        )?),
        None => Some(FAILOVER_DEFAULT),
    };
    let (retry, retry_budget) = super::retry::parse_retry(source, params)?;
    let breaker = super::retry::parse_breaker(source, params)?;
    let hedge = super::retry::parse_hedge(source, params)?;
    let max_in_flight = match params.take::<i64>("max_in_flight")? {
        None => None,
        Some(n) => match u32::try_from(*n.get_ref()) {
            Ok(limit) if limit >= 1 => Some(limit),
            _ => {
                return Err(Diagnostic::error(
                    source,
                    n.span(),
                    format!(
                        "max_in_flight is the attempts a client may have in flight, a whole number >= 1; got {}",
                        n.get_ref()
                    ),
                ))
            }
        },
    };
    let workload = params.require::<toml::Value>("workload")?;
    let span = workload.span();
    // Errors name the workload field at fault and point at it (an unknown field: at it).
    let fail = |(field, message): FieldError| {
        let unknown = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next());
        let path: Vec<&str> = match unknown {
            Some(key) => vec![key],
            None => field.split('.').filter(|k| !k.is_empty()).collect(),
        };
        let diagnostic = Diagnostic::error(
            source,
            source.key_span(span.clone(), &path),
            format!("invalid `workload`: {message}"),
        );
        match crate::format::diag::explain_serde(&message).1 {
            Some(help) if unknown.is_some() => diagnostic.with_help(help),
            _ => diagnostic,
        }
    };
    let vocabulary = &context.vocabulary;
    let spec = WorkloadSpec::parse(workload.into_inner(), &vocabulary.arrivals).map_err(fail)?;
    let (load, keys, mix, value_size, trace) = match &spec.trace {
        None => {
            let workload_vocabulary = WorkloadVocabulary {
                arrivals: &vocabulary.arrivals,
                keys: &vocabulary.keys,
                distributions: &vocabulary.distributions,
            };
            let sampled = parse_sampled(&spec, &workload_vocabulary).map_err(fail)?;
            let load = match sampled.load {
                SampledLoad::Open(arrivals) => Load::Open(arrivals),
                SampledLoad::Closed(closed) => Load::Closed(closed),
            };
            (load, sampled.keys, sampled.mix, sampled.value_size, None)
        }
        Some(_) => {
            let n_clients = trace_clients(context)?;
            let (pace, plan) = parse_trace(source, &spec, n_clients).map_err(fail)?;
            // The trace gives keys, operations and sizes; these only fill the config.
            let keys = KeyPopularity::uniform(1_000_000).expect("a valid key count");
            let mix = OpMix::new(1.0, 0.0, 0.0).expect("reads only is a valid mix");
            let value_size = Distribution::constant(1024.0).expect("1 KiB is a valid constant");
            (Load::Trace(pace), keys, mix, value_size, Some(plan))
        }
    };
    let closed = matches!(
        load,
        Load::Closed(_) | Load::Trace(TracePace::AsFastAsPossible(_))
    );
    if closed && timeout.is_none() {
        params.warn(
            "a closed-loop client without `timeout` loses a slot for the rest of the run each \
             time a request or its answer is lost (a crash, a partition, a full queue that drops)",
        );
    }
    let config = ClientConfig {
        targets: targets.nodes().to_vec(),
        routing,
        load,
        keys,
        mix,
        value_size,
        timeout,
        balancing: balancing_for(context, routing_name.as_deref(), &routing),
        scopes: client_scopes(context),
        failover,
        store,
        retry,
        retry_budget,
        breaker,
        hedge,
        max_in_flight,
    };
    // A target that is exactly a group: a replicated store among them may have its clients
    // coordinate (known per run, from `RunContext::stores`).
    let target_group = context
        .directory
        .groups
        .contains_key(target.get_ref())
        .then(|| target.get_ref().clone());
    // The group every target belongs to, if one: a leader-follower or Raft store among them
    // has its clients report unavailability windows.
    let targets_group = context
        .directory
        .groups
        .iter()
        .find(|(_, range)| {
            let nodes = range.first..range.first + range.count;
            !config.targets.is_empty() && config.targets.iter().all(|n| nodes.contains(&n.0))
        })
        .map(|(name, _)| name.clone());
    let placement = placement.filter(|_| routing == Routing::Placement);
    Ok(Box::new(ClientBuilder {
        config: Arc::new(config),
        count: context.directory.groups[context.group.name.get_ref()].count,
        placement,
        target_group,
        targets_group,
        trace,
    }))
}

/// The breakdowns of this group's metrics: by group when the scenario has more than one client
/// group, by region when its client nodes sit in more than one region (a breakdown of one
/// would repeat the whole-population figures). Documented in `docs/scenario-format.md`
/// (Metrics).
fn client_scopes(context: &RoleContext<'_>) -> ClientScopes {
    let directory = context.directory;
    let client_groups: Vec<&str> = context
        .roles
        .iter()
        .filter(|(_, role)| role.as_str() == ROW.name)
        .map(|(group, _)| group.as_str())
        .collect();
    let region_of = |node: u32| {
        directory
            .regions
            .iter()
            .find(|(_, nodes)| nodes.binary_search(&NodeId(node)).is_ok())
            .map(|(name, _)| name.clone())
    };
    let mut client_regions = std::collections::BTreeSet::new();
    for group in &client_groups {
        let range = &directory.groups[*group];
        for node in range.first..range.first + range.count {
            client_regions.insert(region_of(node));
        }
    }
    let name = context.group.name.get_ref();
    let range = &directory.groups[name];
    let regions = if client_regions.len() > 1 {
        (range.first..range.first + range.count)
            .map(|node| region_of(node).unwrap_or_else(|| "none".to_string()))
            .collect()
    } else {
        Vec::new()
    };
    ClientScopes {
        group: (client_groups.len() > 1).then(|| name.clone()),
        regions,
    }
}

/// How long a client skips a target whose request failed, by default: long enough that a dead
/// target costs one probe a second, short enough that a restarted one is back within a second.
const FAILOVER_DEFAULT: SimDuration = SimDuration::from_secs(1);

/// Most clients one group may replay a trace with: each opens the trace and holds its own
/// reader (a 1 MiB buffer, plus up to 8 MiB of zstd window), and decodes the whole trace, so
/// 64 clients already cost about 576 MiB and 64 passes. More are never needed: a timed replay
/// sends at any rate from one client, and a fast one takes `concurrency`.
const TRACE_CLIENTS_MAX: u32 = 64;

/// The number of clients in the group, which share the trace; at most [`TRACE_CLIENTS_MAX`].
fn trace_clients(context: &RoleContext<'_>) -> Result<NonZeroU32, Diagnostic> {
    let count = &context.group.count;
    let n = u32::try_from(*count.get_ref())
        .ok()
        .and_then(NonZeroU32::new)
        .expect("group counts are validated before roles parse");
    if n.get() > TRACE_CLIENTS_MAX {
        return Err(Diagnostic::error(
            context.source,
            count.span(),
            format!(
                "a client group replaying a trace has at most {TRACE_CLIENTS_MAX} nodes (each \
                 opens the trace and reads all of it), got {n}"
            ),
        )
        .with_help(
            "one client replays a trace at any rate; for more requests in flight with \
             speed = \"max\", raise `concurrency`",
        ));
    }
    Ok(n)
}

/// Workload keys a trace replay takes from the trace instead, and why each is refused.
const TRACE_EXCLUDES: [(&str, &str); 13] = [
    (
        "arrivals",
        "requests are sent at the trace's times (see `speed`)",
    ),
    (
        "rate",
        "requests are sent at the trace's times (see `speed`)",
    ),
    ("on", "requests are sent at the trace's times (see `speed`)"),
    (
        "off",
        "requests are sent at the trace's times (see `speed`)",
    ),
    (
        "points",
        "requests are sent at the trace's times (see `speed`)",
    ),
    (
        "shape",
        "requests are sent at the trace's times (see `speed`)",
    ),
    (
        "repeat",
        "requests are sent at the trace's times (see `speed`)",
    ),
    ("think_time", "a trace replay has no think time"),
    ("keys", "keys come from the trace"),
    ("read", "operations come from the trace"),
    ("write", "operations come from the trace"),
    ("delete", "operations come from the trace"),
    ("value_size", "value sizes come from the trace"),
];

/// A trace workload: its pace, and the checked trace every run's clients open.
fn parse_trace(
    source: &Source,
    spec: &WorkloadSpec,
    n_clients: NonZeroU32,
) -> Result<(TracePace, TracePlan), FieldError> {
    let given = [
        spec.arrivals.is_some(),
        spec.has("rate"),
        spec.has("on"),
        spec.has("off"),
        spec.has("points"),
        spec.has("shape"),
        spec.has("repeat"),
        spec.think_time.is_some(),
        spec.keys.is_some(),
        spec.read.is_some(),
        spec.write.is_some(),
        spec.delete.is_some(),
        spec.value_size.is_some(),
    ];
    if let Some(((key, why), _)) = TRACE_EXCLUDES.iter().zip(given).find(|(_, given)| *given) {
        return Err((
            key,
            format!("`{key}` cannot be combined with `trace`: {why}"),
        ));
    }
    let pace = parse_pace(spec)?;
    let written = spec.trace.as_deref().expect("called for a trace workload");
    let path = scenario_dir(source).join(written);
    let plan = TracePlan::check(&path, spec.csv.as_deref(), n_clients)?;
    let untimed = matches!(&plan.config.format, TraceFormat::Csv(csv) if csv.time.is_none());
    if untimed && matches!(pace, TracePace::Timestamps(_)) {
        let field = if spec.csv.is_some() { "csv" } else { "trace" };
        return Err((
            field,
            format!(
                "the CSV trace {} is read without a time column, so a replay at its times \
                 would send every request at once; name one in `csv` (e.g. \"time=1,key=2\") \
                 or replay with speed = \"max\"",
                path.display()
            ),
        ));
    }
    Ok((pace, plan))
}

/// `speed` (and `concurrency`, which goes with `speed = "max"`).
fn parse_pace(spec: &WorkloadSpec) -> Result<TracePace, FieldError> {
    let speed = match &spec.speed {
        None => None,
        Some(toml::Value::String(word)) if word == "max" => {
            let concurrency = spec.concurrency.unwrap_or(1);
            let concurrency = NonZeroU32::new(concurrency).ok_or((
                "concurrency",
                "trace concurrency must be >= 1, got 0".to_string(),
            ))?;
            return Ok(TracePace::AsFastAsPossible(concurrency));
        }
        Some(toml::Value::Float(speed)) => Some(*speed),
        Some(toml::Value::Integer(speed)) => Some(*speed as f64),
        Some(other) => {
            let got = match other {
                toml::Value::String(word) => format!("{word:?}"),
                value => format!("a {}", value.type_str()),
            };
            return Err((
                "speed",
                format!(
                    "speed must be a number > 0 (2.0 replays twice as fast) or \"max\" (as fast \
                     as answers come), got {got}"
                ),
            ));
        }
    };
    if spec.concurrency.is_some() {
        return Err((
            "concurrency",
            "`concurrency` goes with speed = \"max\"; a replay at the trace's times sends \
             each request when it is due"
                .to_string(),
        ));
    }
    let speed = match speed {
        None => Speed::ONE,
        Some(speed) => Speed::new(speed).map_err(|e| ("speed", e.to_string()))?,
    };
    Ok(TracePace::Timestamps(speed))
}

/// The directory of the scenario file `source` was read from, which trace paths are relative
/// to (empty, meaning the working directory, for a bare file name).
fn scenario_dir(source: &Source) -> PathBuf {
    let file = source
        .name
        .strip_suffix(crate::SET_NOTE)
        .unwrap_or(&source.name);
    Path::new(file)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A checked trace: where it is and how to read it.
struct TracePlan {
    path: PathBuf,
    config: TraceConfig,
    /// The clients of the group, which split the trace's records between them.
    n_clients: NonZeroU32,
}

impl TracePlan {
    /// Checks the trace at `path`: its format is known from its name, it opens, and its first
    /// record reads (so a bad header or a file of another format fails now, not mid-run).
    fn check(path: &Path, csv: Option<&str>, n_clients: NonZeroU32) -> Result<Self, FieldError> {
        // The same `csv` syntax as `distsim cache --csv`, whose parser names its flag.
        let csv_config = crate::format::csv_spec::parse_csv_spec(csv.unwrap_or(""))
            .map_err(|e| ("csv", e.replace("--csv item", "`csv` item")))?;
        let (format, compression) =
            trace_format_of(path, csv_config).map_err(|e| ("trace", e.to_string()))?;
        if csv.is_some() && !matches!(format, TraceFormat::Csv(_)) {
            return Err((
                "csv",
                format!(
                    "`csv` applies to CSV traces, and {} is not one (its name does not end in \
                     .csv or .csv.zst)",
                    path.display()
                ),
            ));
        }
        // Every record is a request: unlike `distsim cache`, size-0 records are kept.
        let plan = TracePlan {
            path: path.to_path_buf(),
            config: TraceConfig {
                format,
                compression,
                zero_size: ZeroSize::Keep,
            },
            n_clients,
        };
        let file = File::open(path).map_err(|e| {
            (
                "trace",
                format!("cannot open trace {}: {e}", path.display()),
            )
        })?;
        let first =
            TraceReader::new(file, plan.config.clone()).and_then(|mut reader| reader.next_record());
        match first {
            Ok(Some(_)) => Ok(plan),
            Ok(None) => Err(("trace", format!("trace {} has no records", path.display()))),
            Err(e) => Err(("trace", format!("trace {}: {e}", path.display()))),
        }
    }

    /// The trace's records, opened afresh (for one client of one run). A trace that can no
    /// longer be opened yields its error as its only item, so the run reports it.
    fn open(&self) -> TraceRecords {
        let reader = File::open(&self.path)
            .map_err(|source| TraceError::Read { offset: 0, source })
            .and_then(|file| TraceReader::new(file, self.config.clone()));
        match reader {
            Ok(reader) => Box::new(reader),
            Err(error) => Box::new(std::iter::once(Err(error))),
        }
    }
}

struct ClientBuilder {
    config: Arc<ClientConfig>,
    /// The group's size (its clients' regions decide the breakdowns it records).
    count: u32,
    /// The target group, when the client routes by its placement.
    placement: Option<String>,
    /// The target, when it is exactly one group.
    target_group: Option<String>,
    /// The group all targets belong to, if one.
    targets_group: Option<String>,
    /// The trace the group's clients replay, with a trace workload.
    trace: Option<TracePlan>,
}

impl ClientBuilder {
    /// The quorum coordinator a client of a store with client-side coordination hosts.
    fn coordinator(&self, run: &RunContext<'_>) -> Option<QuorumFrontEnd<u64>> {
        let group = self.target_group.as_ref()?;
        let ReplicationSpec::Quorum(spec) = run.stores.get(group)?.replication else {
            return None;
        };
        if spec.coordination != Coordination::Client {
            return None;
        }
        let placement = run
            .placements
            .get(group)
            .expect("a store group has a placement in every run")
            .clone();
        Some(QuorumFrontEnd::new(spec, placement, run.history.clone()))
    }
}

impl RoleBuilder for ClientBuilder {
    fn build_node(&self, index: u32, run: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        let placement = self.placement.as_ref().map(|group| {
            run.placements
                .get(group)
                .expect("every placed group has a placement in every run")
                .clone()
        });
        let config = Arc::clone(&self.config);
        let with_failures = run.failures_in_latency;
        let coordinator = self.coordinator(run);
        let leader_store = self
            .targets_group
            .as_ref()
            .and_then(|group| run.stores.get(group))
            .is_some_and(|store| {
                matches!(
                    store.replication,
                    ReplicationSpec::LeaderFollower(_) | ReplicationSpec::Raft(_)
                )
            });
        let history = run.history.clone();
        let finish = |client: Client| -> Box<dyn Node<Msg = Msg>> {
            let mut client = client.with_failure_latency(with_failures);
            if leader_store {
                client = client.watching_store(history);
            }
            match coordinator {
                Some(front) => Box::new(client.coordinating(front)),
                None => Box::new(client),
            }
        };
        let Some(trace) = &self.trace else {
            return finish(Client::new(config, index, placement));
        };
        let feed = TraceFeed::new(
            trace.open(),
            trace.path.display().to_string(),
            TraceShare::new(index, trace.n_clients),
            run.trace_errors.clone(),
        );
        finish(Client::replaying(config, index, placement, feed))
    }

    fn recording(&self) -> Recording {
        let mut suffixes: Vec<String> = (0..self.count)
            .flat_map(|index| self.config.scopes.suffixes(index))
            .collect();
        suffixes.sort();
        suffixes.dedup();
        let ops = ["all", "read", "write", "delete"];
        let names = |base: &str, whole: bool| -> Vec<String> {
            suffixes
                .iter()
                .filter(|s| whole || !s.is_empty())
                .flat_map(|suffix| ops.iter().map(move |op| format!("{base}.{op}{suffix}")))
                .collect()
        };
        Recording {
            // The whole population's histograms are the row's own.
            histograms: names("latency", false),
            tallies: names("requests", true),
            with_failures: ops
                .iter()
                .map(|op| format!("latency.{op}.with_failures"))
                .collect(),
        }
    }

    fn routes_by_placement(&self) -> Option<(&str, u64)> {
        let group = self.placement.as_deref()?;
        Some((group, self.config.keys.n_keys()))
    }

    fn offered_load(&self) -> Option<OfferedLoad> {
        match &self.config.load {
            Load::Open(arrivals) => Some(OfferedLoad {
                targets: self.config.targets.clone(),
                rate_per_s: arrivals.mean_rate_per_s(),
                op_fractions: [Op::Read, Op::Write, Op::Delete]
                    .map(|op| self.config.mix.fraction(op)),
            }),
            Load::Closed(_) | Load::Trace(_) => None,
        }
    }

    fn catalogue(&self) -> Option<Catalogue> {
        if matches!(self.config.load, Load::Trace(_)) {
            return None; // A trace's keys are known only by reading it.
        }
        Some(Catalogue {
            targets: self.config.targets.clone(),
            n_keys: self.config.keys.n_keys(),
            value_bytes_mean: self.config.value_size.mean().unwrap_or(0.0),
        })
    }
}

/// 1 s: the client-side balancer's response-time half-life and load-report interval.
const CLIENT_BALANCING_PERIOD: SimDuration = SimDuration::from_secs(1);

/// The client-side balancing policy a `routing` name picks, if it names one.
fn balancing_for(
    context: &RoleContext<'_>,
    name: Option<&str>,
    routing: &Routing,
) -> Option<ClientBalancing> {
    if *routing != Routing::Balanced {
        return None;
    }
    let row = context.vocabulary.balancers.find(name?)?;
    let policy = (row.value)(&mut sim_core::registry::ArgMap::new()).ok()?;
    Some(ClientBalancing {
        policy,
        decay: EwmaDecay::half_life(CLIENT_BALANCING_PERIOD).expect("1 s is a valid half-life"),
        load_report: CLIENT_BALANCING_PERIOD,
    })
}
