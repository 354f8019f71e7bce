//! The `client` role's parameters: `target`, `workload`, `routing`, `timeout`.

use std::sync::Arc;

use models::balancing::{BalancerSpec, EwmaDecay, BALANCERS};
use models::msg::Msg;
use models::roles::client::ClientBalancing;
use models::roles::{Client, ClientConfig, Load, Routing};
use models::workload::{Arrivals, ClosedLoop, KeyPopularity, Op, OpMix, RateShape};
use serde::Deserialize;
use sim_core::{Distribution, Node, SimDuration, SimTime};

use super::{OfferedLoad, Params, RoleBuilder, RoleContext, RunContext};
use crate::diag::{suggest, Diagnostic};
use crate::quantity::{distribution, Dimension};
use crate::schema::DistSpec;
use crate::units::{parse_duration, parse_rate_per_s};

pub(super) const CLIENT_PARAMS: &[(&str, &str)] = &[
    ("target", "the group (or selector) requests go to"),
    (
        "workload",
        "arrivals or closed loop, keys, operation mix, value sizes",
    ),
    (
        "routing",
        "random (default), round_robin, key_modulo, placement, or a balancer policy",
    ),
    (
        "timeout",
        "abandon a request after this long (default: never)",
    ),
    (
        "store",
        "cache-aside: the store group behind the look-aside cache `target` (misses read it and fill the cache; writes go to it and invalidate)",
    ),
];

/// `workload = {...}` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadSpec {
    #[serde(default)]
    arrivals: Option<String>,
    #[serde(default)]
    rate: Option<String>,
    #[serde(default)]
    on: Option<String>,
    #[serde(default)]
    off: Option<String>,
    #[serde(default)]
    points: Option<Vec<(String, String)>>,
    #[serde(default)]
    shape: Option<String>,
    #[serde(default)]
    repeat: Option<String>,
    #[serde(default)]
    concurrency: Option<u32>,
    #[serde(default)]
    think_time: Option<DistSpec>,
    #[serde(default)]
    keys: Option<KeysSpec>,
    #[serde(default)]
    read: Option<f64>,
    #[serde(default)]
    write: Option<f64>,
    #[serde(default)]
    delete: Option<f64>,
    #[serde(default)]
    value_size: Option<DistSpec>,
}

/// `keys = { dist = "zipf", n = 1_000_000, s = 0.99 }` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysSpec {
    dist: String,
    n: u64,
    #[serde(default)]
    s: Option<f64>,
    #[serde(default)]
    hot_keys: Option<f64>,
    #[serde(default)]
    hot_requests: Option<f64>,
}

/// Key popularity kinds, for "did you mean".
const KEY_DISTS: [&str; 4] = ["uniform", "zipf", "hotspot", "sequential"];
/// Arrival kinds, for "did you mean".
const ARRIVALS: [&str; 4] = ["poisson", "constant", "on_off", "schedule"];

pub(super) fn parse_client(
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
            other if BalancerSpec::from_name(other).is_ok() => Routing::Balanced,
            other => {
                let names = models::roles::client::ROUTINGS
                    .iter()
                    .chain(BALANCERS)
                    .map(|(n, _)| *n);
                return Err(Diagnostic::error(
                    source,
                    routing.span(),
                    format!("unknown routing {other:?}"),
                )
                .with_help(suggest(other, names)));
            }
        },
    };
    // Cache-aside: the target is a look-aside cache and this is the store behind it.
    let store = match params.take::<String>("store")? {
        None => Vec::new(),
        Some(selector) => super::request_targets(context, &selector)?.nodes().to_vec(),
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
    let workload = params.require::<WorkloadSpec>("workload")?;
    let span = workload.span();
    let spec = workload.into_inner();
    // Errors name the workload field at fault and point at it.
    let fail = |(field, message): FieldError| {
        let path: Vec<&str> = field.split('.').filter(|k| !k.is_empty()).collect();
        Diagnostic::error(
            source,
            source.key_span(span.clone(), &path),
            format!("invalid `workload`: {message}"),
        )
    };
    let load = parse_load(&spec).map_err(fail)?;
    let keys = parse_keys(spec.keys.as_ref()).map_err(fail)?;
    let (read, write, delete) = match (spec.read, spec.write, spec.delete) {
        (None, None, None) => (1.0, 0.0, 0.0),
        (read, write, delete) => (
            read.unwrap_or(0.0),
            write.unwrap_or(0.0),
            delete.unwrap_or(0.0),
        ),
    };
    let mix = OpMix::new(read, write, delete).map_err(|e| fail(("", e.to_string())))?;
    let value_size = match &spec.value_size {
        None => Distribution::constant(1024.0).expect("1 KiB is a valid constant"),
        Some(dist) => distribution(dist, Dimension::Size)
            .map_err(|e| fail(("value_size", format!("value_size: {e}"))))?,
    };
    if matches!(load, Load::Closed(_)) && timeout.is_none() {
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
        balancing: balancing_for(routing_name.as_deref(), &routing),
        store,
    };
    let placement = placement.filter(|_| routing == Routing::Placement);
    Ok(Box::new(ClientBuilder {
        config: Arc::new(config),
        placement,
    }))
}

/// A workload error: the field at fault (dotted, `""` for the whole workload) and what is
/// wrong with it.
type FieldError = (&'static str, String);

/// Workload keys that belong to one kind of load, and which kinds that is. A key given with
/// another kind would be silently ignored, so it is an error.
const LOAD_KEYS: [(&str, &[&str], &str); 7] = [
    (
        "rate",
        &["poisson", "constant", "on_off"],
        "`poisson`, `constant` or `on_off` arrivals",
    ),
    ("on", &["on_off"], "`on_off` arrivals"),
    ("off", &["on_off"], "`on_off` arrivals"),
    ("points", &["schedule"], "`schedule` arrivals"),
    ("shape", &["schedule"], "`schedule` arrivals"),
    ("repeat", &["schedule"], "`schedule` arrivals"),
    ("think_time", &["closed"], "`concurrency` (a closed loop)"),
];

/// The first key of `spec` that does not apply to load `kind` (`"closed"` or an arrivals
/// kind).
fn misplaced_key(spec: &WorkloadSpec, kind: &str) -> Option<FieldError> {
    let given = [
        spec.rate.is_some(),
        spec.on.is_some(),
        spec.off.is_some(),
        spec.points.is_some(),
        spec.shape.is_some(),
        spec.repeat.is_some(),
        spec.think_time.is_some(),
    ];
    let (key, _, goes_with) = LOAD_KEYS
        .iter()
        .zip(given)
        .find(|((_, kinds, _), given)| *given && !kinds.contains(&kind))?
        .0;
    let load = if kind == "closed" {
        "a closed loop (`concurrency`)".to_string()
    } else {
        format!("`{kind}` arrivals")
    };
    Some((
        key,
        format!("`{key}` goes with {goes_with}, not with {load}, and would be ignored"),
    ))
}

fn parse_load(spec: &WorkloadSpec) -> Result<Load, FieldError> {
    if let Some(concurrency) = spec.concurrency {
        if spec.arrivals.is_some() || spec.rate.is_some() {
            return Err(("concurrency", "give either `concurrency` (closed loop) or `arrivals`/`rate` (open loop), not both".into()));
        }
        if let Some(error) = misplaced_key(spec, "closed") {
            return Err(error);
        }
        let think = match &spec.think_time {
            None => Distribution::constant(0.0).expect("zero think time"),
            Some(dist) => distribution(dist, Dimension::Duration)
                .map_err(|e| ("think_time", format!("think_time: {e}")))?,
        };
        return ClosedLoop::new(concurrency, think)
            .map(Load::Closed)
            .map_err(|e| ("concurrency", e.to_string()));
    }
    let kind = spec.arrivals.as_deref().unwrap_or("poisson");
    if !ARRIVALS.contains(&kind) {
        return Err((
            "arrivals",
            format!("unknown arrivals {kind:?}; {}", suggest(kind, ARRIVALS)),
        ));
    }
    if let Some(error) = misplaced_key(spec, kind) {
        return Err(error);
    }
    let rate = || -> Result<f64, FieldError> {
        let text = spec
            .rate
            .as_ref()
            .ok_or(("", format!("`{kind}` arrivals need `rate`, e.g. \"1k/s\"")))?;
        parse_rate_per_s(text).map_err(|e| ("rate", e.message))
    };
    let duration =
        |name: &'static str, value: &Option<String>| -> Result<SimDuration, FieldError> {
            let text = value
                .as_ref()
                .ok_or(("", format!("`{kind}` arrivals need `{name}`")))?;
            parse_duration(text).map_err(|e| (name, e.message))
        };
    let arrivals = match kind {
        "poisson" => Arrivals::poisson(rate()?),
        "constant" => Arrivals::constant(rate()?),
        "on_off" => Arrivals::on_off(
            rate()?,
            duration("on", &spec.on)?,
            duration("off", &spec.off)?,
        ),
        "schedule" => {
            let points = spec.points.as_ref().ok_or((
                "",
                "`schedule` arrivals need `points = [[\"0s\", \"100/s\"], ...]`".to_string(),
            ))?;
            let mut parsed = Vec::with_capacity(points.len());
            for (at, rate) in points {
                let at = parse_duration(at).map_err(|e| ("points", e.message))?;
                parsed.push((
                    SimTime::ZERO + at,
                    parse_rate_per_s(rate).map_err(|e| ("points", e.message))?,
                ));
            }
            let shape = match spec.shape.as_deref().unwrap_or("step") {
                "step" => RateShape::Step,
                "linear" => RateShape::Linear,
                other => {
                    return Err((
                        "shape",
                        format!(
                            "unknown schedule shape {other:?}; {}",
                            suggest(other, ["step", "linear"])
                        ),
                    ))
                }
            };
            let repeat = match &spec.repeat {
                None => None,
                Some(text) => Some(parse_duration(text).map_err(|e| ("repeat", e.message))?),
            };
            Arrivals::schedule(parsed, shape, repeat)
        }
        other => unreachable!("arrivals {other:?} checked against ARRIVALS above"),
    };
    // Poisson and constant arrivals have one parameter, so their errors are about `rate`.
    let field = if matches!(kind, "poisson" | "constant") {
        "rate"
    } else {
        ""
    };
    arrivals.map(Load::Open).map_err(|e| (field, e.to_string()))
}

fn parse_keys(spec: Option<&KeysSpec>) -> Result<KeyPopularity, FieldError> {
    let Some(spec) = spec else {
        return KeyPopularity::uniform(1_000_000).map_err(|e| ("", e.to_string()));
    };
    if !KEY_DISTS.contains(&spec.dist.as_str()) {
        return Err((
            "keys.dist",
            format!(
                "unknown key distribution {:?}; {}",
                spec.dist,
                suggest(&spec.dist, KEY_DISTS)
            ),
        ));
    }
    // A parameter of another key distribution is a mistake, not something to ignore.
    for (given, name, owner) in [
        (spec.s.is_some(), "s", "zipf"),
        (spec.hot_keys.is_some(), "hot_keys", "hotspot"),
        (spec.hot_requests.is_some(), "hot_requests", "hotspot"),
    ] {
        if given && spec.dist != owner {
            return Err((
                "keys",
                format!(
                    "`{name}` only applies to `{owner}` keys, not `{}`",
                    spec.dist
                ),
            ));
        }
    }
    let needs = |value: Option<f64>, name: &str, example: &str| {
        value.ok_or((
            "keys",
            format!(
                "`{}` keys need `{name}`, e.g. {name} = {example}",
                spec.dist
            ),
        ))
    };
    let keys = match spec.dist.as_str() {
        "uniform" => KeyPopularity::uniform(spec.n),
        "zipf" => KeyPopularity::zipf(spec.n, needs(spec.s, "s", "0.99")?),
        "hotspot" => KeyPopularity::hotspot(
            spec.n,
            needs(spec.hot_keys, "hot_keys", "0.01")?,
            needs(spec.hot_requests, "hot_requests", "0.9")?,
        ),
        "sequential" => KeyPopularity::sequential(spec.n),
        other => {
            return Err((
                "keys.dist",
                format!(
                    "unknown key distribution {other:?}; {}",
                    suggest(other, KEY_DISTS)
                ),
            ))
        }
    };
    keys.map_err(|e| ("keys", e.to_string()))
}

struct ClientBuilder {
    config: Arc<ClientConfig>,
    /// The target group, when the client routes by its placement.
    placement: Option<String>,
}

impl RoleBuilder for ClientBuilder {
    fn build_node(&self, index: u32, run: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        let placement = self.placement.as_ref().map(|group| {
            run.placements
                .get(group)
                .expect("every placed group has a placement in every run")
                .clone()
        });
        Box::new(Client::new(Arc::clone(&self.config), index, placement))
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
            Load::Closed(_) => None,
        }
    }
}

/// 1 s: the client-side balancer's response-time half-life and load-report interval.
const CLIENT_BALANCING_PERIOD: SimDuration = SimDuration::from_secs(1);

/// The client-side balancing policy a `routing` name picks, if it names one.
fn balancing_for(name: Option<&str>, routing: &Routing) -> Option<ClientBalancing> {
    if *routing != Routing::Balanced {
        return None;
    }
    let policy = BalancerSpec::from_name(name?).ok()?;
    Some(ClientBalancing {
        policy,
        decay: EwmaDecay::half_life(CLIENT_BALANCING_PERIOD).expect("1 s is a valid half-life"),
        load_report: CLIENT_BALANCING_PERIOD,
    })
}
