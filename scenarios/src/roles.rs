//! The role registry: which roles a scenario's `[[group]]` can name, how each parses its own
//! parameters, and how it builds its nodes.
//!
//! **A new role** implements its node in `models::roles`, writes a `parse` function here (or in
//! its own module under `scenarios/src/roles/`), and adds one [`RoleEntry`] to [`registry`].
//! Nothing else matches on role names.

use std::ops::Range;
use std::sync::Arc;

use models::msg::Msg;
use models::roles::{Client, ClientConfig, Load, Routing, Server};
use models::workload::{Arrivals, ClosedLoop, KeyPopularity, OpMix, RateShape};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sim_core::{Distribution, Node, NodeId, SimDuration, SimTime};
use toml::Spanned;

use crate::diag::{suggest, Diagnostic, Source};
use crate::quantity::{distribution, Dimension};
use crate::schema::{DistSpec, GroupSection, GROUP_COMMON_KEYS};
use crate::select::NodeDirectory;
use crate::units::{parse_duration, parse_rate_per_s};

/// Whether a role needs a `service = {...}` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceUse {
    /// The role does not use one; giving one is an error.
    None,
    /// The role uses one if given.
    Optional,
}

/// A parsed role, ready to build its group's nodes.
pub trait RoleBuilder {
    /// Node `index` of the group.
    fn build_node(&self, index: u32) -> Box<dyn Node<Msg = Msg>>;
    /// Requests per second each node sends to each target group, for utilisation warnings.
    fn offered_load(&self) -> Option<(String, f64)> {
        None
    }
}

/// What a role's parser can see.
pub struct RoleContext<'a> {
    /// The scenario text, for diagnostics.
    pub source: &'a Source,
    /// The group being parsed.
    pub group: &'a GroupSection,
    /// The group's span.
    pub group_span: Range<usize>,
    /// Every node, for resolving targets.
    pub directory: &'a NodeDirectory,
}

/// A role's parameter parser.
pub type ParseRole =
    fn(&RoleContext<'_>, &mut Params<'_>) -> Result<Box<dyn RoleBuilder>, Diagnostic>;

/// One registered role.
pub struct RoleEntry {
    /// The name scenario files use.
    pub name: &'static str,
    /// One line for `distsim list`.
    pub description: &'static str,
    /// Its parameters: name and one-line description.
    pub params: &'static [(&'static str, &'static str)],
    /// The latency histograms its nodes record (a report's `timeline_metric` may name them).
    pub histograms: &'static [&'static str],
    /// Whether it uses a service model.
    pub service: ServiceUse,
    /// Parses the group's role parameters.
    pub parse: ParseRole,
}

/// Every role, in `distsim list` order.
pub fn registry() -> Vec<RoleEntry> {
    vec![
        RoleEntry {
            name: "client",
            description: "generates a workload, sends requests to a target group, records latency",
            params: CLIENT_PARAMS,
            histograms: &[
                "latency.all",
                "latency.read",
                "latency.write",
                "latency.delete",
            ],
            service: ServiceUse::None,
            parse: parse_client,
        },
        RoleEntry {
            name: "server",
            description: "serves requests through its service model and answers",
            params: &[],
            histograms: &[],
            service: ServiceUse::Optional,
            parse: |_, _| Ok(Box::new(ServerBuilder)),
        },
    ]
}

/// A group's role parameters, handed out one key at a time; what is left at the end is an
/// unknown key.
pub struct Params<'a> {
    source: &'a Source,
    group_span: Range<usize>,
    role: &'static str,
    known: &'static [(&'static str, &'static str)],
    entries: Vec<(Spanned<String>, Spanned<toml::Value>)>,
}

impl<'a> Params<'a> {
    /// The parameters of `group` for role `entry`.
    pub fn new(source: &'a Source, group: &Spanned<GroupSection>, entry: &RoleEntry) -> Self {
        Params {
            source,
            group_span: group.span(),
            role: entry.name,
            known: entry.params,
            entries: group.get_ref().params.clone(),
        }
    }

    /// Removes `key` and deserializes its value.
    pub fn take<T: DeserializeOwned>(
        &mut self,
        key: &str,
    ) -> Result<Option<Spanned<T>>, Diagnostic> {
        let Some(position) = self.entries.iter().position(|(k, _)| k.get_ref() == key) else {
            return Ok(None);
        };
        let (_, value) = self.entries.remove(position);
        let span = value.span();
        T::deserialize(value.into_inner())
            .map(|parsed| Some(Spanned::new(span.clone(), parsed)))
            .map_err(|e| {
                let (message, help) = crate::diag::explain_serde(e.message());
                // Point at the unknown field inside the value, when that is what is wrong.
                let field = message
                    .strip_prefix("unknown field `")
                    .and_then(|rest| rest.split('`').next());
                let at = match field {
                    Some(field) => self.source.key_span(span.clone(), &[field]),
                    None => span,
                };
                let diagnostic =
                    Diagnostic::error(self.source, at, format!("invalid `{key}`: {message}"));
                match help {
                    Some(help) => diagnostic.with_help(help),
                    None => diagnostic,
                }
            })
    }

    /// Like `take`, but the key must be present. If it is missing but a leftover key looks
    /// like a typo of it (`targte`), the error points at that key instead.
    pub fn require<T: DeserializeOwned>(&mut self, key: &str) -> Result<Spanned<T>, Diagnostic> {
        if let Some(value) = self.take(key)? {
            return Ok(value);
        }
        let typo = self
            .entries
            .iter()
            .filter(|(given, _)| !self.known.iter().any(|(name, _)| name == given.get_ref()))
            .find(|(given, _)| crate::diag::closest(given.get_ref(), [key]).is_some());
        Err(match typo {
            Some((given, _)) => Diagnostic::error(
                self.source,
                given.span(),
                format!(
                    "unknown field `{}` in a `{}` group, which needs `{key}`",
                    given.get_ref(),
                    self.role
                ),
            )
            .with_help(format!("did you mean `{key}`?")),
            None => Diagnostic::error(
                self.source,
                self.group_span.clone(),
                format!("a `{}` group needs `{key}`", self.role),
            )
            .with_help(self.describe(key)),
        })
    }

    /// "`key`: what it is", from the role's parameter list.
    fn describe(&self, key: &str) -> String {
        match self.known.iter().find(|(name, _)| *name == key) {
            Some((name, description)) => format!("`{name}`: {description}"),
            None => format!("add `{key}`"),
        }
    }

    /// Fails on the first key nobody took.
    pub fn finish(self) -> Result<(), Diagnostic> {
        let Some((key, _)) = self.entries.first() else {
            return Ok(());
        };
        let valid = GROUP_COMMON_KEYS
            .iter()
            .copied()
            .chain(self.known.iter().map(|(name, _)| *name));
        Err(Diagnostic::error(
            self.source,
            key.span(),
            format!(
                "unknown field `{}` in a `{}` group",
                key.get_ref(),
                self.role
            ),
        )
        .with_help(suggest(key.get_ref(), valid)))
    }
}

struct ServerBuilder;

impl RoleBuilder for ServerBuilder {
    fn build_node(&self, _: u32) -> Box<dyn Node<Msg = Msg>> {
        Box::new(Server)
    }
}

const CLIENT_PARAMS: &[(&str, &str)] = &[
    ("target", "the group (or selector) requests go to"),
    (
        "workload",
        "arrivals or closed loop, keys, operation mix, value sizes",
    ),
    ("routing", "random (default), round_robin or key_modulo"),
    (
        "timeout",
        "abandon a request after this long (default: never)",
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

fn parse_client(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
) -> Result<Box<dyn RoleBuilder>, Diagnostic> {
    let source = context.source;
    let target = params.require::<String>("target")?;
    let targets = context.directory.select(target.get_ref()).map_err(|e| {
        let d = Diagnostic::error(source, target.span(), e.message);
        match e.help {
            Some(help) => d.with_help(help),
            None => d,
        }
    })?;
    let routing = match params.take::<String>("routing")? {
        None => Routing::Random,
        Some(routing) => match routing.get_ref().as_str() {
            "random" => Routing::Random,
            "round_robin" => Routing::RoundRobin,
            "key_modulo" => Routing::KeyModulo,
            other => {
                let names = models::roles::client::ROUTINGS.iter().map(|(n, _)| *n);
                return Err(Diagnostic::error(
                    source,
                    routing.span(),
                    format!("unknown routing {other:?}"),
                )
                .with_help(suggest(other, names)));
            }
        },
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
    let config = ClientConfig {
        targets: targets.nodes().to_vec(),
        routing,
        load,
        keys,
        mix,
        value_size,
        timeout,
    };
    Ok(Box::new(ClientBuilder {
        config: Arc::new(config),
        target_name: target.into_inner(),
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
    target_name: String,
}

impl RoleBuilder for ClientBuilder {
    fn build_node(&self, index: u32) -> Box<dyn Node<Msg = Msg>> {
        Box::new(Client::new(Arc::clone(&self.config), index))
    }

    fn offered_load(&self) -> Option<(String, f64)> {
        match &self.config.load {
            Load::Open(arrivals) => Some((self.target_name.clone(), arrivals.mean_rate_per_s())),
            Load::Closed(_) => None,
        }
    }
}

/// The node ids of a built group, for the builder.
pub fn group_nodes(first: u32, count: u32) -> impl Iterator<Item = NodeId> {
    (first..first + count).map(NodeId)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Source;
    use crate::Scenario;

    // Goal: every histogram a role declares (what `timeline_metric` is checked against) is
    // one its nodes really record. Method: run a tiny client/server scenario and look each
    // declared name up in the metrics.
    #[test]
    fn declared_histograms_are_recorded() {
        let text = "[simulation]\nname = \"h\"\nseed = 1\nduration = \"50ms\"\n\n[[group]]\nname = \"clients\"\ncount = 1\nrole = \"client\"\ntarget = \"servers\"\nworkload = { rate = \"100/s\" }\n\n[[group]]\nname = \"servers\"\ncount = 1\nrole = \"server\"\n";
        let scenario = Scenario::parse(Source {
            name: "h.toml".into(),
            text: text.into(),
        })
        .expect("valid");
        let outcome = crate::run::run(&scenario, 1, &mut |_| std::ops::ControlFlow::Continue(()));
        let metrics = outcome.sim.metrics();
        for entry in registry() {
            for name in entry.histograms {
                assert!(
                    metrics.histogram_by_name(name).is_some(),
                    "role `{}` declares {name}, which is not recorded",
                    entry.name
                );
            }
        }
    }
}
