//! The `membership` role's parameters: which failure detector a group runs (`detector`:
//! SWIM, heartbeat to all with a timeout, φ accrual, gossip heartbeat tables) and its
//! settings, with memberlist's and Akka's defaults; and its run state, the detection log that
//! judges members' conclusions against what really happened and reports what stayed
//! undetected after the run.

use std::sync::Arc;

use models::gossip::membership::detection::SharedMembership;
use models::gossip::membership::phi::PhiSpec;
use models::gossip::membership::{
    push_pull_interval, suspicion_timeout, Detector, HeartbeatSpec, Judge, ProbeOrder, SwimSpec,
    TablesSpec, VIEWS_MEMBERS_MAX,
};
use models::msg::Msg;
use models::roles::membership::{HeartbeatNode, MembershipConfig, SwimNode, TablesNode};
use sim_core::registry::{Param, Row};
use sim_core::{Metrics, Node, NodeId, SimDuration, SimTime};

use super::{GroupRun, RoleBuilder, RoleContext, RoleRow, RoleSpec, RunContext, ServiceUse};
use crate::format::diag::{Diagnostic, Source};
use crate::format::params::{shown, Params};

/// `membership`.
pub(super) const ROW: RoleRow = Row {
    name: "membership",
    aliases: &["failure-detector"],
    description: "a member that watches its group with a failure detector: SWIM, heartbeats with a timeout, phi accrual, or gossip heartbeat tables",
    params: &[
        Param::optional(
            "detector",
            "\"swim\"",
            "\"swim\", \"heartbeat\" (to every member, judged by `timeout`), \"phi\" (heartbeats to every member, judged by phi accrual) or \"gossip-heartbeat\" (van Renesse's tables); or a table { kind = ..., <that detector's keys> }",
        ),
        Param::optional(
            "period",
            "\"1s\"",
            "the protocol period (SWIM), heartbeat interval, or gossip interval",
        ),
        Param::optional(
            "phase",
            "\"random\"",
            "\"random\" (each member's periods offset by its own draw) or \"in-phase\" (all at k * period)",
        ),
        Param::optional(
            "initial_members",
            "count",
            "how many of the group's nodes (the first ones) are members at the start; the others wait for a `join` fault",
        ),
        Param::optional(
            "ack_timeout",
            "\"500ms\"",
            "swim: how long a ping waits for its ack before ping-req (shorter than `period`)",
        ),
        Param::optional(
            "indirect",
            "3",
            "swim: members asked to ping a silent target (ping-req k), 0 to the members less 2",
        ),
        Param::optional(
            "suspicion",
            "4 x max(1, log10 n) x period",
            "swim: how long a suspicion waits for a refutation (a duration), or \"off\" (a failed probe declares the target dead: SWIM's basic protocol)",
        ),
        Param::optional(
            "probe",
            "\"round-robin\"",
            "swim: \"round-robin\" (every member once per cycle, in a fresh random order) or \"random\" (a uniform draw each period)",
        ),
        Param::optional(
            "lifeguard",
            "false",
            "swim: Lifeguard's local health multiplier (a member that misses acks or is suspected slows its own probing, up to 8 periods)",
        ),
        Param::optional(
            "piggyback",
            "8",
            "swim: membership updates one message carries, 1 to 16",
        ),
        Param::optional(
            "retransmit_mult",
            "4",
            "swim: an update rides on retransmit_mult x ceil(log10(n + 1)) messages",
        ),
        Param::optional(
            "reconnect",
            "\"30s\"",
            "swim: how often a member pings one member it holds dead (so a healed partition merges), or \"off\"",
        ),
        Param::optional(
            "push_pull",
            "\"30s\", scaled",
            "swim: how often a member exchanges its whole view with one member (memberlist's push-pull: 30 s up to 32 members, times ceil(log2 n - 5) + 1 beyond), or \"off\"; a restarted member exchanges once on rejoining either way",
        ),
        Param::optional(
            "timeout",
            "3 x period",
            "heartbeat: a sender silent this long is declared dead",
        ),
        Param::optional(
            "jitter",
            "none",
            "heartbeat, phi: a distribution table added to each heartbeat interval",
        ),
        Param::optional(
            "threshold",
            "8",
            "phi: the phi at which a sender is declared dead (> 0; a live sender is late past it with probability 10^-phi)",
        ),
        Param::optional("window", "1000", "phi: inter-arrival times kept per sender"),
        Param::optional("min_std", "\"100ms\"", "phi: the standard deviation's floor"),
        Param::optional(
            "pause",
            "\"3s\"",
            "phi: a pause added to the mean interval (Akka's acceptable-heartbeat-pause)",
        ),
        Param::optional(
            "fail",
            "ceil(2 (log2 n + ln n)) x period, at least 10",
            "gossip-heartbeat: a counter that has not grown this long is declared dead",
        ),
    ],
    value: RoleSpec {
        histograms: &[
            "membership.detection_time",
            "membership.suspicion_time",
            "membership.convergence_time",
        ],
        service: ServiceUse::Optional,
        serves_requests: false,
        parse: parse_membership,
    },
};

/// Parameters only some detectors read, and which.
const ONLY: &[(&str, &[&str])] = &[
    ("ack_timeout", &["swim"]),
    ("indirect", &["swim"]),
    ("suspicion", &["swim"]),
    ("probe", &["swim"]),
    ("lifeguard", &["swim"]),
    ("piggyback", &["swim"]),
    ("retransmit_mult", &["swim"]),
    ("reconnect", &["swim"]),
    ("push_pull", &["swim"]),
    ("timeout", &["heartbeat"]),
    ("jitter", &["heartbeat", "phi"]),
    ("threshold", &["phi"]),
    ("window", &["phi"]),
    ("min_std", &["phi"]),
    ("pause", &["phi"]),
    ("fail", &["gossip-heartbeat"]),
];

/// The detectors, by name.
const DETECTORS: [&str; 4] = ["swim", "heartbeat", "phi", "gossip-heartbeat"];

/// `detector = "swim"`, or `detector = { kind = "phi", threshold = 4 }` whose other keys are
/// the detector's parameters (so one sweep axis can vary whole detector configurations).
fn parse_kind(source: &Source, params: &mut Params<'_>) -> Result<String, Diagnostic> {
    let Some(value) = params.take_value("detector") else {
        return Ok("swim".to_string());
    };
    let span = value.span();
    let (name, name_span) = match value.get_ref() {
        toml::Value::String(name) => (name.clone(), span.clone()),
        toml::Value::Table(table) => {
            let Some(toml::Value::String(kind)) = table.get("kind") else {
                return Err(Diagnostic::error(
                    source,
                    span,
                    "a `detector` table names its detector in `kind`",
                )
                .with_help("e.g. detector = { kind = \"phi\", threshold = 4 }"));
            };
            let mut rest = table.clone();
            rest.remove("kind");
            params.extend_from_table(&rest, span.clone(), "detector")?;
            (kind.clone(), span.clone())
        }
        _ => {
            return Err(Diagnostic::error(
                source,
                span,
                "`detector` is a name or a table with `kind`",
            )
            .with_help("e.g. detector = \"swim\" or detector = { kind = \"phi\", threshold = 4 }"))
        }
    };
    if DETECTORS.contains(&name.as_str()) {
        return Ok(name);
    }
    let close = crate::format::diag::closest(&name, DETECTORS)
        .map(|best| format!("did you mean {best:?}? "))
        .unwrap_or_default();
    Err(
        Diagnostic::error(source, name_span, format!("unknown detector {name:?}")).with_help(
            format!(
                "{close}`detector` is \"swim\", \"heartbeat\", \"phi\" or \"gossip-heartbeat\""
            ),
        ),
    )
}

/// Members of an all-to-all heartbeat group at most: every member monitors every other
/// (members² monitors, members² messages per period).
pub const ALL_TO_ALL_MEMBERS_MAX: u32 = 4096;

/// Bytes φ's windows may take at most (members² × window × 4 bytes).
const PHI_WINDOW_BYTES_MAX: u64 = 4 << 30;

fn parse_membership(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
) -> Result<Box<dyn RoleBuilder>, Diagnostic> {
    let source = context.source;
    let name = context.group.name.get_ref();
    let members = context.directory.groups[name].count;
    let kind = parse_kind(source, params)?;
    for (key, detectors) in ONLY {
        if detectors.contains(&kind.as_str()) {
            continue;
        }
        if let Some(value) = params.take_value(key) {
            return Err(Diagnostic::error(
                source,
                value.span(),
                format!("`{key}` does not apply to detector = {kind:?}"),
            )
            .with_help(format!(
                "`{key}` is read by detector = {}",
                detectors
                    .iter()
                    .map(|d| format!("{d:?}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )));
        }
    }
    let period = params
        .take_positive_duration("period")?
        .unwrap_or(SimDuration::from_secs(1));
    let in_phase = match params.take::<String>("phase")? {
        None => false,
        Some(v) => match v.get_ref().as_str() {
            "random" => false,
            "in-phase" => true,
            other => {
                return Err(
                    Diagnostic::error(source, v.span(), format!("unknown phase {other:?}"))
                        .with_help("`phase` is \"random\" or \"in-phase\""),
                )
            }
        },
    };
    if members < 2 {
        params.warn(format!(
            "membership group {name:?} has {members} member: there is no one to watch"
        ));
    }
    let initial = match params.take_value("initial_members") {
        None => members,
        Some(v) => match v.get_ref().as_integer() {
            Some(i) if i >= 0 && i <= i64::from(members) => i as u32,
            _ => {
                return Err(Diagnostic::error(
                    source,
                    v.span(),
                    format!(
                        "initial_members must be from 0 to the group's {members} nodes, got {}",
                        shown(v.get_ref())
                    ),
                ))
            }
        },
    };
    let detector = parse_detector(context, params, &kind, period)?;
    Ok(Box::new(MembershipBuilder {
        config: Arc::new(MembershipConfig {
            detector,
            in_phase,
            first: NodeId(context.directory.groups[name].first),
            members,
            initial,
        }),
        group: name.clone(),
    }))
}

/// The detector `kind` and its own parameters, for a group of the context's size whose
/// members send every `period`.
fn parse_detector(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
    kind: &str,
    period: SimDuration,
) -> Result<Detector, Diagnostic> {
    let source = context.source;
    let members = context.directory.groups[context.group.name.get_ref()].count;
    let span = context.group_span.clone();
    if let (Some(service), false) = (&context.group.service, kind == "swim") {
        return Err(Diagnostic::error(
            source,
            service.span(),
            format!("a `service` applies to detector = \"swim\" (its members answer probes through it), not {kind:?}"),
        )
        .with_help("remove `service`, or use detector = \"swim\""));
    }
    let detector = match kind {
        "swim" => Detector::Swim(parse_swim(source, params, members, period, span)?),
        "gossip-heartbeat" => {
            // Default: twice the rounds push gossip needs to reach everyone (Pittel's
            // log2 n + ln n), at least 10, so a live member's counter is rarely that stale.
            let n = f64::from(members.max(2));
            let rounds = (2.0 * (n.log2() + n.ln())).ceil().max(10.0) as u64;
            let fail = params
                .take_positive_duration("fail")?
                .unwrap_or(SimDuration::from_nanos(
                    period.as_nanos().saturating_mul(rounds),
                ));
            all_to_all_fits(source, span, members, "gossip-heartbeat")?;
            Detector::Tables(TablesSpec { period, fail })
        }
        heartbeat => {
            let jitter = parse_jitter(context, params)?;
            all_to_all_fits(source, span.clone(), members, heartbeat)?;
            let judge = if heartbeat == "phi" {
                Judge::Phi(parse_phi(source, params, members, span)?)
            } else {
                let timeout = params
                    .take_positive_duration("timeout")?
                    .unwrap_or(SimDuration::from_nanos(period.as_nanos().saturating_mul(3)));
                if timeout <= period {
                    params.warn(format!(
                        "heartbeat timeout {timeout} is not longer than the period {period}: every member is declared dead between two heartbeats"
                    ));
                }
                Judge::Timeout(timeout)
            };
            Detector::Heartbeat(HeartbeatSpec {
                period,
                jitter,
                judge,
            })
        }
    };
    Ok(detector)
}

fn all_to_all_fits(
    source: &Source,
    span: std::ops::Range<usize>,
    members: u32,
    detector: &str,
) -> Result<(), Diagnostic> {
    if members <= ALL_TO_ALL_MEMBERS_MAX {
        return Ok(());
    }
    Err(Diagnostic::error(
        source,
        span,
        format!("detector = {detector:?} keeps a monitor per member pair: {members} members is {} pairs", u64::from(members) * u64::from(members)),
    )
    .with_help(format!("use at most {ALL_TO_ALL_MEMBERS_MAX} members, or detector = \"swim\", whose load per member does not grow with the group")))
}

/// A whole number in `low..=high` under `key`, if given.
fn count_in(
    source: &Source,
    params: &mut Params<'_>,
    key: &str,
    low: u32,
    high: u32,
    why: &str,
) -> Result<Option<u32>, Diagnostic> {
    let Some(value) = params.take_value(key) else {
        return Ok(None);
    };
    match value.get_ref().as_integer() {
        Some(v) if v >= i64::from(low) && v <= i64::from(high) => Ok(Some(v as u32)),
        _ => Err(Diagnostic::error(
            source,
            value.span(),
            format!(
                "`{key}` must be a whole number from {low} to {high}{why}, got {}",
                shown(value.get_ref())
            ),
        )),
    }
}

fn parse_swim(
    source: &Source,
    params: &mut Params<'_>,
    members: u32,
    period: SimDuration,
    span: std::ops::Range<usize>,
) -> Result<SwimSpec, Diagnostic> {
    if members > VIEWS_MEMBERS_MAX {
        return Err(Diagnostic::error(
            source,
            span,
            format!("a SWIM group keeps every member's view of every member, one byte per pair: {members} members would take {} GiB", (u64::from(members) * u64::from(members)) >> 30),
        )
        .with_help(format!("use at most {VIEWS_MEMBERS_MAX} members in one SWIM group")));
    }
    let ack_value = params.take::<String>("ack_timeout")?;
    let ack_timeout = match &ack_value {
        None => SimDuration::from_nanos((period.as_nanos() / 2).max(1)),
        Some(text) => crate::format::params::positive_duration(source, text, "ack_timeout")?,
    };
    if ack_timeout >= period {
        let at = ack_value.map(|v| v.span()).unwrap_or(span.clone());
        return Err(Diagnostic::error(
            source,
            at,
            "`ack_timeout` must be shorter than `period`: the ping-req round runs in the rest of the period",
        )
        .with_help("memberlist's LAN defaults: period = \"1s\", ack_timeout = \"500ms\""));
    }
    let view = members.saturating_sub(2);
    let why =
        format!(" (the members other than the prober and its target in a group of {members})");
    let indirect = count_in(source, params, "indirect", 0, view, &why)?.unwrap_or(3.min(view));
    let suspicion = match params.take::<String>("suspicion")? {
        None => Some(suspicion_timeout(4, members, period)),
        Some(v) if v.get_ref() == "off" => None,
        Some(v) => Some(crate::format::params::positive_duration(
            source,
            &v,
            "suspicion",
        )?),
    };
    let probe = match params.take::<String>("probe")? {
        None => ProbeOrder::RoundRobin,
        Some(v) => match v.get_ref().as_str() {
            "round-robin" => ProbeOrder::RoundRobin,
            "random" => ProbeOrder::Random,
            other => {
                return Err(Diagnostic::error(
                    source,
                    v.span(),
                    format!("unknown probe order {other:?}"),
                )
                .with_help("`probe` is \"round-robin\" or \"random\""))
            }
        },
    };
    let lifeguard = params
        .take::<bool>("lifeguard")?
        .is_some_and(|v| *v.get_ref());
    let piggyback = count_in(source, params, "piggyback", 1, 16, "")?.unwrap_or(8);
    let retransmits = count_in(source, params, "retransmit_mult", 1, 64, "")?.unwrap_or(4);
    let reconnect = match params.take::<String>("reconnect")? {
        None => Some(SimDuration::from_secs(30)),
        Some(v) if v.get_ref() == "off" => None,
        Some(v) => Some(crate::format::params::positive_duration(
            source,
            &v,
            "reconnect",
        )?),
    };
    let push_pull = match params.take::<String>("push_pull")? {
        None => Some(push_pull_interval(SimDuration::from_secs(30), members)),
        Some(v) if v.get_ref() == "off" => None,
        Some(v) => Some(crate::format::params::positive_duration(
            source,
            &v,
            "push_pull",
        )?),
    };
    Ok(SwimSpec {
        period,
        push_pull,
        ack_timeout,
        indirect,
        suspicion,
        probe,
        health_max: if lifeguard { 8 } else { 0 },
        piggyback,
        retransmits,
        reconnect,
    })
}

fn parse_phi(
    source: &Source,
    params: &mut Params<'_>,
    members: u32,
    span: std::ops::Range<usize>,
) -> Result<PhiSpec, Diagnostic> {
    let threshold = match params.take_value("threshold") {
        None => 8.0,
        Some(v) => {
            let number = match v.get_ref() {
                toml::Value::Integer(i) => Some(*i as f64),
                toml::Value::Float(f) => Some(*f),
                _ => None,
            };
            match number {
                Some(phi) if phi > 0.0 && phi <= 300.0 => phi,
                _ => {
                    return Err(Diagnostic::error(
                        source,
                        v.span(),
                        format!("phi `threshold` must be a number above 0 (and at most 300), got {}", shown(v.get_ref())),
                    )
                    .with_help("a live sender is declared dead with probability 10^-threshold per heartbeat: Akka and Cassandra use 8"))
                }
            }
        }
    };
    let window = count_in(source, params, "window", 2, 100_000, "")?.unwrap_or(1000);
    let bytes = u64::from(members) * u64::from(members) * u64::from(window) * 4;
    if bytes > PHI_WINDOW_BYTES_MAX {
        return Err(Diagnostic::error(
            source,
            span,
            format!("phi windows of {window} intervals for {members} members take {} MiB (every member keeps one per sender)", bytes >> 20),
        )
        .with_help("use a smaller `window` or fewer members"));
    }
    let min_std = params
        .take_positive_duration("min_std")?
        .unwrap_or(SimDuration::from_millis(100));
    let pause = match params.take::<String>("pause")? {
        None => SimDuration::from_secs(3),
        Some(v) => crate::format::units::parse_duration(v.get_ref())
            .map_err(|e| Diagnostic::error(source, v.span(), e.message))?,
    };
    Ok(PhiSpec {
        threshold,
        window,
        min_std,
        pause,
    })
}

fn parse_jitter(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
) -> Result<Option<sim_core::Distribution>, Diagnostic> {
    let Some(value) = params.take_value("jitter") else {
        return Ok(None);
    };
    let Some(table) = value.get_ref().as_table() else {
        return Err(Diagnostic::error(
            context.source,
            value.span(),
            "`jitter` is a distribution table",
        )
        .with_help("e.g. jitter = { dist = \"normal\", mean = \"20ms\", stddev = \"5ms\" }"));
    };
    let spec = crate::format::schema::DistSpec(table.clone());
    crate::sections::distributions::distribution(
        &spec,
        crate::format::quantity::Dimension::Duration,
        &context.vocabulary.distributions,
    )
    .map(Some)
    .map_err(|e| {
        let diagnostic = Diagnostic::error(
            context.source,
            value.span(),
            format!("jitter: {}", e.message),
        );
        match e.help {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        }
    })
}

/// A parsed membership group.
struct MembershipBuilder {
    config: Arc<MembershipConfig>,
    group: String,
}

/// A membership group's run: its shared state.
struct MembershipGroupRun {
    shared: SharedMembership,
    config: Arc<MembershipConfig>,
    group: String,
}

impl RoleBuilder for MembershipBuilder {
    fn build_node(&self, index: u32, run: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        let group_run = run
            .group_run
            .and_then(|r| r.as_any().downcast_ref::<MembershipGroupRun>())
            .expect("a membership group's run state is made before its nodes");
        let config = Arc::clone(&self.config);
        let shared = group_run.shared.clone();
        match self.config.detector {
            Detector::Swim(_) => Box::new(SwimNode::new(config, shared, index)),
            Detector::Heartbeat(_) => Box::new(HeartbeatNode::new(config, shared, index)),
            Detector::Tables(_) => Box::new(TablesNode::new(config, shared, index)),
        }
    }

    fn protocol_period(&self) -> Option<SimDuration> {
        Some(self.config.detector.period())
    }

    fn watched_members(&self) -> Option<Vec<NodeId>> {
        let first = self.config.first.0;
        Some((first..first + self.config.initial).map(NodeId).collect())
    }

    fn new_run(&self, _seed: u64) -> Option<Box<dyn GroupRun>> {
        let views = matches!(self.config.detector, Detector::Swim(_));
        Some(Box::new(MembershipGroupRun {
            shared: SharedMembership::new(self.config.members, self.config.initial, views),
            config: Arc::clone(&self.config),
            group: self.group.clone(),
        }))
    }
}

impl GroupRun for MembershipGroupRun {
    fn finish(&self, metrics: &mut Metrics, from: SimTime, end: SimTime) -> Vec<String> {
        let run = self.shared.lock();
        let log = &run.log;
        let up_seconds = log.up_seconds(from.as_nanos(), end.as_nanos());
        for (name, value) in [
            ("membership.undetected", log.undetected()),
            ("membership.unconverged", log.unconverged()),
            ("membership.member_seconds", up_seconds as u64),
        ] {
            let id = metrics.counter(name);
            metrics.add(id, value, end);
        }
        let median = |name: &str| {
            metrics
                .histogram_by_name(name)
                .filter(|h| !h.is_empty())
                .map(|h| format!("{:.2} s", h.value_at_quantile(0.5) as f64 / 1e9))
        };
        let detected = match median("membership.detection_time") {
            Some(t) => format!(
                "first declared dead after {t} (median), {}",
                match median("membership.convergence_time") {
                    Some(every) => format!("in every view after {every}"),
                    None => "none yet in every view".to_string(),
                }
            ),
            None => "none declared dead".to_string(),
        };
        let false_positives = metrics.counter_by_name("membership.false_positives");
        let messages = metrics.counter_by_name("membership.messages");
        let per = |count: u64| count as f64 / up_seconds.max(1e-9);
        vec![format!(
            "membership group {:?} ({}): {} crash{}, {detected}; {} undetected at the end; {false_positives} false positive{} ({:.3} per member-hour); {:.2} messages per member per second",
            self.group,
            self.config.detector.name(),
            log.crashes(),
            if log.crashes() == 1 { "" } else { "es" },
            log.undetected(),
            if false_positives == 1 { "" } else { "s" },
            per(false_positives) * 3600.0,
            per(messages),
        )]
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn membership_change(&self, join: bool, nodes: &[NodeId]) -> String {
        let mut run = self.shared.lock();
        let mut indices = Vec::with_capacity(nodes.len());
        for node in nodes {
            let index = node.0 - self.config.first.0;
            run.wanted[index as usize] = join;
            indices.push(index.to_string());
        }
        format!(
            "members {} of `{}` {} (each acts at its next period)",
            indices.join(", "),
            self.group,
            if join {
                "asked to join"
            } else {
                "asked to leave"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: every detector-specific key names at least one detector the parser knows, and
    // is a documented parameter of the row.
    #[test]
    fn only_keys_are_parameters() {
        for (key, detectors) in ONLY {
            assert!(ROW.params.iter().any(|p| p.name == *key), "{key}");
            for d in *detectors {
                assert!(DETECTORS.contains(d));
            }
        }
    }
}
