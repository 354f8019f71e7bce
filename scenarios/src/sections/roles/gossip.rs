//! The `gossip` role's parameters: how members spread rumours (`mode`, `fanout`, `period`,
//! `phase`, `forward`, `stop`), over which overlay (`topology`), and which rumours are born
//! when and where (`rumours`, `rumour_size`); and its run state, the dissemination log that
//! measures coverage from outside the members and reports the residue after the run.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use models::gossip::tracker::SharedDissemination;
use models::gossip::{Fanout, Forwarding, GossipSpec, Mode, RumourPlan, StopRule, Topology};
use models::msg::Msg;
use models::roles::gossip::{GossipConfig, GossipNode, MAX_FANOUT};
use rand::Rng;
use sim_core::registry::{Param, Row};
use sim_core::rng::{group_hash, stream, StreamKind, StreamLabel};
use sim_core::{Metrics, Node, NodeId, SimDuration, SimTime};
use toml::Spanned;

use super::{GroupRun, RoleBuilder, RoleContext, RoleRow, RoleSpec, RunContext, ServiceUse};
use crate::format::diag::{closest, Diagnostic, Source};
use crate::format::params::{shown, Params};
use crate::format::units::{parse_duration, parse_size_bytes};

/// `gossip`.
pub(super) const ROW: RoleRow = Row {
    name: "gossip",
    aliases: &["epidemic"],
    description: "a member that spreads rumours by push, pull, push-pull or anti-entropy over its group",
    params: &[
        Param::optional(
            "mode",
            "\"push\"",
            "\"push\" (send hot rumours), \"pull\" (ask for the peer's), \"push-pull\" (both in one contact) or \"anti-entropy\" (exchange digests of everything known and send what the other lacks)",
        ),
        Param::optional(
            "fanout",
            "1",
            "peers contacted per round (1 to 32, fewer than the group), or \"all\" (every neighbour of an explicit topology)",
        ),
        Param::optional("period", "\"1s\"", "round length"),
        Param::optional(
            "phase",
            "\"random\"",
            "\"random\" (each member's rounds offset by its own uniform draw in [0, period)) or \"in-phase\" (every member's rounds at the same instants, k * period)",
        ),
        Param::optional(
            "forward",
            "\"rounds\"",
            "\"rounds\" (spread in periodic rounds) or \"on-receipt\" (push a rumour once, as soon as it arrives: infect and forward; push only)",
        ),
        Param::optional(
            "stop",
            "\"never\"",
            "when a member stops spreading a rumour: \"never\", { rounds = N } (after N rounds), { ttl = H } (copies of H hops or more are not forwarded; others once), { counter = K } (after K pushes to members that knew it: feedback), { coin = K } (after each round, with probability 1/K: blind)",
        ),
        Param::optional(
            "topology",
            "\"total\"",
            "each member's view: \"total\" (every other member), \"ring\", \"grid\" (square, row by row), { kind = \"tree\", fanout = K } (\"tree\": K = 2), or { kind = \"random\", degree = D } (a random D-regular graph, D even)",
        ),
        Param::optional(
            "rumours",
            "{ count = 1 }",
            "{ count = N, start = \"0s\", every = \"10ms\" (none: all at start), origin = i (none: a uniform draw per rumour) }",
        ),
        Param::optional("rumour_size", "\"64B\"", "bytes of one rumour on the wire"),
    ],
    value: RoleSpec {
        histograms: &[
            "gossip.time_to_informed.50",
            "gossip.time_to_informed.99",
            "gossip.time_to_informed.all",
        ],
        service: ServiceUse::None,
        serves_requests: false,
        parse: parse_gossip,
    },
};

/// `name` read from `choices` (value, what it means), or an error listing them.
fn pick<T: Copy>(
    source: &Source,
    value: &Spanned<String>,
    key: &str,
    choices: &[(&str, T)],
) -> Result<T, Diagnostic> {
    choices
        .iter()
        .find(|(name, _)| *name == value.get_ref())
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
            let close = closest(value.get_ref(), choices.iter().map(|(n, _)| *n))
                .map(|best| format!("did you mean {best:?}? "))
                .unwrap_or_default();
            Diagnostic::error(
                source,
                value.span(),
                format!("unknown {key} {:?}", value.get_ref()),
            )
            .with_help(format!("{close}`{key}` is one of {}", names.join(", ")))
        })
}

/// A table's integer field `key` in `1..=max`, if present.
fn small_count(
    source: &Source,
    span: Range<usize>,
    table: &toml::Table,
    key: &str,
    max: u32,
) -> Result<Option<u32>, Diagnostic> {
    let Some(value) = table.get(key) else {
        return Ok(None);
    };
    match value.as_integer() {
        Some(v) if v >= 1 && v <= i64::from(max) => Ok(Some(v as u32)),
        _ => Err(Diagnostic::error(
            source,
            source.key_span(span, &[key]),
            format!(
                "`{key}` must be a whole number from 1 to {max}, got {}",
                shown(value)
            ),
        )),
    }
}

/// Every key of `table` is in `known`, or an error at the first that is not.
fn only_keys(
    source: &Source,
    span: Range<usize>,
    table: &toml::Table,
    what: &str,
    known: &[&str],
) -> Result<(), Diagnostic> {
    match table.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => Err(Diagnostic::error(
            source,
            source.key_span(span, &[key]),
            format!("unknown field `{key}` in `{what}`"),
        )
        .with_help(format!("`{what}` takes {}", known.join(", ")))),
    }
}

fn parse_stop(source: &Source, value: &Spanned<toml::Value>) -> Result<StopRule, Diagnostic> {
    let span = value.span();
    match value.get_ref() {
        toml::Value::String(s) if s == "never" => Ok(StopRule::Never),
        toml::Value::Table(table) => {
            let rules = ["rounds", "ttl", "counter", "coin"];
            only_keys(source, span.clone(), table, "stop", &rules)?;
            if table.len() != 1 {
                return Err(
                    Diagnostic::error(source, span, "`stop` names exactly one rule").with_help(
                        "e.g. stop = { rounds = 20 }, { ttl = 6 }, { counter = 2 } or { coin = 4 }",
                    ),
                );
            }
            let get = |key| small_count(source, span.clone(), table, key, 1_000_000);
            Ok(if let Some(r) = get("rounds")? {
                StopRule::Rounds(r)
            } else if let Some(h) = get("ttl")? {
                StopRule::Ttl(h)
            } else if let Some(k) = get("counter")? {
                StopRule::Counter(k)
            } else {
                StopRule::Coin(get("coin")?.expect("one of the four keys"))
            })
        }
        _ => Err(Diagnostic::error(
            source,
            span,
            "`stop` is \"never\" or a table naming one rule",
        )
        .with_help("e.g. stop = { rounds = 20 }, { ttl = 6 }, { counter = 2 } or { coin = 4 }")),
    }
}

fn parse_topology(
    source: &Source,
    value: &Spanned<toml::Value>,
    group: &str,
) -> Result<Topology, Diagnostic> {
    let span = value.span();
    let help = "\"total\", \"ring\", \"grid\", \"tree\", { kind = \"tree\", fanout = K } or { kind = \"random\", degree = D }";
    match value.get_ref() {
        toml::Value::String(s) => match s.as_str() {
            "total" => Ok(Topology::Total),
            "ring" => Ok(Topology::Ring),
            "grid" => Ok(Topology::Grid),
            "tree" => Ok(Topology::Tree { fanout: 2 }),
            other => Err(
                Diagnostic::error(source, span, format!("unknown topology {other:?}"))
                    .with_help(format!("`topology` is {help}")),
            ),
        },
        toml::Value::Table(table) => match table.get("kind").and_then(|k| k.as_str()) {
            Some("tree") => {
                only_keys(source, span.clone(), table, "topology", &["kind", "fanout"])?;
                let fanout =
                    small_count(source, span, table, "fanout", MAX_FANOUT)?.unwrap_or(2);
                Ok(Topology::Tree { fanout })
            }
            Some("random") => {
                only_keys(source, span.clone(), table, "topology", &["kind", "degree"])?;
                let degree =
                    small_count(source, span.clone(), table, "degree", MAX_FANOUT)?.unwrap_or(4);
                if degree % 2 == 1 {
                    return Err(Diagnostic::error(
                        source,
                        source.key_span(span, &["degree"]),
                        format!("a random overlay's `degree` is even (each permutation gives a member two links), got {degree}"),
                    )
                    .with_help(format!("use {} or {}", degree - 1, degree + 1)));
                }
                Ok(Topology::Random {
                    degree,
                    key: group_hash(group),
                })
            }
            _ => Err(Diagnostic::error(
                source,
                span,
                "a `topology` table is { kind = \"tree\", fanout = K } or { kind = \"random\", degree = D }",
            )
            .with_help(format!("`topology` is {help}"))),
        },
        _ => Err(
            Diagnostic::error(source, span, "`topology` is a name or a table")
                .with_help(format!("`topology` is {help}")),
        ),
    }
}

fn parse_rumours(
    source: &Source,
    value: &Spanned<toml::Value>,
    members: u32,
) -> Result<RumourPlan, Diagnostic> {
    let span = value.span();
    let Some(table) = value.get_ref().as_table() else {
        return Err(Diagnostic::error(source, span, "`rumours` is a table")
            .with_help("e.g. rumours = { count = 100, every = \"10ms\" }"));
    };
    only_keys(
        source,
        span.clone(),
        table,
        "rumours",
        &["count", "start", "every", "origin"],
    )?;
    let count = small_count(source, span.clone(), table, "count", 1_000_000)?.unwrap_or(1);
    let duration = |key: &str, positive: bool| -> Result<Option<SimDuration>, Diagnostic> {
        let Some(v) = table.get(key) else {
            return Ok(None);
        };
        let at = source.key_span(span.clone(), &[key]);
        let text = v.as_str().ok_or_else(|| {
            Diagnostic::error(
                source,
                at.clone(),
                format!("`{key}` is a duration such as \"10ms\""),
            )
        })?;
        match parse_duration(text) {
            Ok(d) if positive && d == SimDuration::ZERO => Err(Diagnostic::error(
                source,
                at,
                format!("`{key}` must be longer than 0"),
            )),
            Ok(d) => Ok(Some(d)),
            Err(e) => Err(Diagnostic::error(source, at, e.message)),
        }
    };
    let start = duration("start", false)?.unwrap_or(SimDuration::ZERO);
    let every = duration("every", true)?;
    let origin = match table.get("origin") {
        None => None,
        Some(v) => match v.as_integer() {
            Some(i) if i >= 0 && i < i64::from(members) => Some(i as u32),
            _ => {
                return Err(Diagnostic::error(
                    source,
                    source.key_span(span, &["origin"]),
                    format!(
                        "`origin` is a member's index, 0 to {}, got {}",
                        members.saturating_sub(1),
                        shown(v)
                    ),
                ))
            }
        },
    };
    Ok(RumourPlan {
        count,
        start,
        every,
        origin,
    })
}

fn parse_gossip(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
) -> Result<Box<dyn RoleBuilder>, Diagnostic> {
    let source = context.source;
    let name = context.group.name.get_ref();
    let group = &context.directory.groups[name];
    let members = group.count;
    let mode = match params.take::<String>("mode")? {
        None => Mode::Push,
        Some(v) => pick(
            source,
            &v,
            "mode",
            &[
                ("push", Mode::Push),
                ("pull", Mode::Pull),
                ("push-pull", Mode::PushPull),
                ("anti-entropy", Mode::AntiEntropy),
            ],
        )?,
    };
    let topology = match params.take_value("topology") {
        None => Topology::Total,
        Some(v) => parse_topology(source, &v, name)?,
    };
    if let Topology::Random { degree, .. } = topology {
        // Connectivity, checked where the search is cheap (about a second at 4M members).
        let unreachable = if members <= 1 << 22 {
            topology.unreachable(members)
        } else {
            0
        };
        if unreachable > 0 {
            params.warn(format!(
                "the random overlay of degree {degree} leaves {unreachable} of group {name:?}'s {members} members unreachable from member 0: a rumour born on one side never crosses, and they are counted in gossip.residue{}",
                if degree == 2 { " (degree 2 is one permutation's cycles: use 4 or more)" } else { "" }
            ));
        }
    }
    let forward = params.take::<String>("forward")?;
    let on_receipt = match &forward {
        None => false,
        Some(v) => pick(
            source,
            v,
            "forward",
            &[("rounds", false), ("on-receipt", true)],
        )?,
    };
    let fanout = match params.take_value("fanout") {
        None => Fanout::Peers(1),
        Some(v) => match v.get_ref() {
            toml::Value::String(s) if s == "all" => {
                if topology == Topology::Total && !on_receipt {
                    return Err(Diagnostic::error(
                        source,
                        v.span(),
                        "fanout = \"all\" over the total view would send every round to every member",
                    )
                    .with_help("give a number of peers, an explicit `topology` (ring, grid, tree), or forward = \"on-receipt\" for a one-time flood"));
                }
                if topology == Topology::Total && members > 1_000 {
                    params.warn(format!(
                        "fanout = \"all\" over the total view floods each rumour to every member from every member: about {} messages per rumour for {members} members",
                        u64::from(members - 1) * u64::from(members - 1)
                    ));
                }
                Fanout::All
            }
            toml::Value::Integer(k) if *k >= 1 && *k < i64::from(members) && *k <= i64::from(MAX_FANOUT) => {
                Fanout::Peers(*k as u32)
            }
            other => {
                return Err(Diagnostic::error(
                    source,
                    v.span(),
                    format!(
                        "fanout = {}, but a member of group {name:?} ({members} members) has {} peer{} and a round contacts at most {MAX_FANOUT}",
                        shown(other),
                        members.saturating_sub(1),
                        if members == 2 { "" } else { "s" }
                    ),
                )
                .with_help(format!(
                    "fanout is a whole number from 1 to {}, or \"all\" with an explicit topology",
                    members.saturating_sub(1).clamp(1, MAX_FANOUT)
                )))
            }
        },
    };
    let period = params
        .take_positive_duration("period")?
        .unwrap_or(SimDuration::from_secs(1));
    let random_phase = match params.take::<String>("phase")? {
        None => true,
        Some(v) => pick(
            source,
            &v,
            "phase",
            &[("random", true), ("in-phase", false)],
        )?,
    };
    let stop_value = params.take_value("stop");
    let stop = match &stop_value {
        None => StopRule::Never,
        Some(v) => parse_stop(source, v)?,
    };
    if mode == Mode::AntiEntropy && stop != StopRule::Never {
        params.warn(
            "mode = \"anti-entropy\" exchanges everything each member knows every round: `stop` does not apply",
        );
    }
    if on_receipt {
        let span = forward.as_ref().expect("given").span();
        if mode.always_rounds() {
            return Err(Diagnostic::error(
                source,
                span,
                "forward = \"on-receipt\" pushes a rumour as it arrives; a pull or an anti-entropy exchange needs rounds",
            )
            .with_help("use mode = \"push\" with on-receipt forwarding, or forward = \"rounds\""));
        }
        if !matches!(stop, StopRule::Never | StopRule::Ttl(_)) {
            return Err(Diagnostic::error(
                source,
                stop_value.as_ref().expect("a rule other than never was given").span(),
                "with forward = \"on-receipt\" a member forwards each rumour once: only stop = \"never\" or { ttl = H } apply",
            ));
        }
    }
    let rumours = match params.take_value("rumours") {
        None => RumourPlan {
            count: 1,
            start: SimDuration::ZERO,
            every: None,
            origin: None,
        },
        Some(v) => parse_rumours(source, &v, members)?,
    };
    let rumour_bytes = match params.take::<String>("rumour_size")? {
        None => 64,
        Some(v) => match parse_size_bytes(v.get_ref()) {
            Ok(b) if b <= u64::from(u32::MAX) => b as u32,
            Ok(_) => {
                return Err(Diagnostic::error(
                    source,
                    v.span(),
                    "`rumour_size` is at most 4GiB",
                ))
            }
            Err(e) => return Err(Diagnostic::error(source, v.span(), e.message)),
        },
    };
    if members < 2 {
        params.warn(format!(
            "gossip group {name:?} has {members} member: there is no one to tell"
        ));
    }
    let forwarding = if on_receipt {
        Forwarding::OnReceipt
    } else {
        Forwarding::Rounds {
            period,
            random_phase,
        }
    };
    Ok(Box::new(GossipBuilder {
        config: Arc::new(GossipConfig {
            spec: GossipSpec {
                mode,
                fanout,
                forwarding,
                stop,
                topology,
                rumours,
                rumour_bytes,
            },
            first: NodeId(group.first),
            members,
        }),
        group: name.clone(),
    }))
}

/// A parsed gossip group.
struct GossipBuilder {
    config: Arc<GossipConfig>,
    group: String,
}

/// A gossip group's run: its dissemination log and which member creates which rumour.
struct GossipRun {
    log: SharedDissemination,
    /// By member index: (birth, rumour id), in birth order.
    births: BTreeMap<u32, Vec<(SimTime, u32)>>,
    config: Arc<GossipConfig>,
    group: String,
}

impl RoleBuilder for GossipBuilder {
    fn build_node(&self, index: u32, run: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        let group_run = run
            .group_run
            .and_then(|r| r.as_any().downcast_ref::<GossipRun>())
            .expect("a gossip group's run state is made before its nodes");
        Box::new(GossipNode::new(
            Arc::clone(&self.config),
            group_run.log.clone(),
            index,
            group_run.births.get(&index).cloned().unwrap_or_default(),
        ))
    }

    fn protocol_period(&self) -> Option<SimDuration> {
        match self.config.spec.forwarding {
            Forwarding::Rounds { period, .. } => Some(period),
            Forwarding::OnReceipt => None,
        }
    }

    fn new_run(&self, seed: u64) -> Option<Box<dyn GroupRun>> {
        let plan = self.config.spec.rumours;
        let members = self.config.members;
        // Origins: one stream per group and run, apart from every node's.
        let label = StreamLabel {
            kind: StreamKind::Model,
            group: group_hash(&self.group),
            index: 0,
        };
        let mut rng = stream(seed, label);
        let mut births: BTreeMap<u32, Vec<(SimTime, u32)>> = BTreeMap::new();
        for id in 0..plan.count {
            let origin = match plan.origin {
                Some(i) => i,
                None => rng.random_range(0..members.max(1)),
            };
            let gap = plan.every.unwrap_or(SimDuration::ZERO);
            let at =
                SimTime::ZERO
                    .saturating_add(plan.start)
                    .saturating_add(SimDuration::from_nanos(
                        gap.as_nanos().saturating_mul(u64::from(id)),
                    ));
            births.entry(origin).or_default().push((at, id));
        }
        Some(Box::new(GossipRun {
            log: SharedDissemination::new(members, plan.count),
            births,
            config: Arc::clone(&self.config),
            group: self.group.clone(),
        }))
    }
}

impl GossipRun {
    /// Where the theory applies (in-phase rounds over the total view, `k` peers, nothing
    /// stops): the mean-field recursion's expected newly informed members per round, for
    /// each of `born` rumours, recorded at the round's boundary
    /// (`gossip.informed_after.mean_field`), for the dissemination plot to draw beside the
    /// run's own curve.
    fn mean_field(&self, metrics: &mut Metrics, born: u64, end: SimTime) {
        let spec = &self.config.spec;
        let (
            Forwarding::Rounds {
                period,
                random_phase: false,
            },
            Topology::Total,
            Fanout::Peers(k),
            StopRule::Never,
        ) = (spec.forwarding, spec.topology, spec.fanout, spec.stop)
        else {
            return;
        };
        if born == 0 {
            return;
        }
        let n = self.config.members;
        let rounds = (end.as_nanos() / period.as_nanos()).min(10_000) as usize;
        let u = models::gossip::mean_field_uninformed(spec.mode, k, n, rounds);
        let id = metrics.histogram_whole_run(
            "gossip.informed_after.mean_field",
            sim_core::Unit::Nanoseconds,
        );
        for _ in 0..born {
            metrics.record(id, 0, end);
        }
        for (r, pair) in u.windows(2).enumerate() {
            let newly = ((pair[0] - pair[1]) * f64::from(n) * born as f64).round() as u64;
            let at = (r as u64 + 1) * period.as_nanos();
            for _ in 0..newly {
                metrics.record(id, at, end);
            }
        }
    }
}

impl GroupRun for GossipRun {
    fn finish(&self, metrics: &mut Metrics, _from: SimTime, end: SimTime) -> Vec<String> {
        let log = self.log.lock();
        let residue = log.residue();
        let born: Vec<_> = log.rumours().iter().filter(|r| r.born.is_some()).collect();
        let incomplete = born.iter().filter(|r| r.informed < log.members()).count() as u64;
        let members = log.members();
        let pairs = u64::from(members) * born.len() as u64;
        for (name, value) in [
            ("gossip.residue", residue),
            ("gossip.incomplete", incomplete),
            ("gossip.member_rumours", pairs),
        ] {
            let id = metrics.counter(name);
            metrics.add(id, value, end);
        }
        self.mean_field(metrics, born.len() as u64, end);
        let mut all: Vec<u64> = born.iter().filter_map(|r| r.reached[2]).collect();
        all.sort_unstable();
        let seconds = |ns: u64| ns as f64 / 1e9;
        let reach = match all.get(all.len().saturating_sub(1) / 2) {
            Some(median) => {
                let periods = match self.config.spec.forwarding {
                    Forwarding::Rounds { period, .. } => {
                        format!(
                            " = {:.1} periods",
                            *median as f64 / period.as_nanos() as f64
                        )
                    }
                    Forwarding::OnReceipt => String::new(),
                };
                format!(
                    "{} of {} reached all {members} members (median time {:.3} s{periods})",
                    all.len(),
                    born.len(),
                    seconds(*median),
                )
            }
            None => format!("none of {} reached all {members} members", born.len()),
        };
        let least = born
            .iter()
            .filter(|r| r.informed < members)
            .map(|r| r.informed)
            .min()
            .map(|informed| {
                format!(
                    " (the least covered reached {:.2}%)",
                    100.0 * f64::from(informed) / f64::from(members.max(1))
                )
            })
            .unwrap_or_default();
        vec![format!(
            "gossip group {:?}: {} rumour{} born; {reach}{least}; residue {residue} member-rumour pairs never met",
            self.group,
            born.len(),
            if born.len() == 1 { "" } else { "s" },
        )]
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: a grid's width and a tree's children stay within MAX_FANOUT so a round's peer
    // buffer (64) always holds a member's neighbours.
    #[test]
    fn neighbours_fit_the_round_buffer() {
        assert!(Topology::Tree { fanout: MAX_FANOUT }.max_degree(1 << 20) <= 64);
        assert!(Topology::Grid.max_degree(1 << 20) <= 64);
    }
}
