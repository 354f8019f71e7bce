//! The `balancer` role's parameters: `backends`, `policy`, `vnodes`, `weights`,
//! `health_check`, `load_report`, `ewma_half_life`.

use std::collections::BTreeMap;
use std::sync::Arc;

use models::balancing::{BalancerSpec, EwmaDecay, HealthCheckConfig, BALANCERS};
use models::msg::Msg;
use models::roles::{BalancerConfig, BalancerNode};
use serde::Deserialize;
use sim_core::{Node, NodeId, SimDuration};

use super::{Params, RoleBuilder, RoleContext, RunContext};
use crate::diag::{suggest, Diagnostic};
use crate::units::parse_duration;

pub(super) const BALANCER_PARAMS: &[(&str, &str)] = &[
    (
        "backends",
        "the group (or selector) requests are spread over",
    ),
    (
        "policy",
        "how a backend is picked (distsim list shows them); default round_robin",
    ),
    (
        "vnodes",
        "points per backend on the consistent_hash ring; default 160",
    ),
    (
        "weights",
        "{ \"selector\" = weight, ... }: backend weights (default 1)",
    ),
    (
        "health_check",
        "{ interval, timeout, unhealthy, healthy }: probe and eject backends",
    ),
    (
        "load_report",
        "how often the load snapshot p2c_stale reads is refreshed; default 1s",
    ),
    (
        "ewma_half_life",
        "memory of least_response_time's average; default 1s",
    ),
];

/// 1 s: default refresh of the load snapshot and half-life of the response-time average.
const SECOND: SimDuration = SimDuration::from_secs(1);

/// `health_check = {...}` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthCheckSpec {
    interval: String,
    timeout: String,
    #[serde(default)]
    unhealthy: Option<u32>,
    #[serde(default)]
    healthy: Option<u32>,
}

pub(super) fn parse_balancer(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
) -> Result<Box<dyn RoleBuilder>, Diagnostic> {
    let source = context.source;
    let selector = params.require::<String>("backends")?;
    let backends = super::request_targets(context, &selector)?;
    let mut policy = match params.take::<String>("policy")? {
        None => BalancerSpec::RoundRobin,
        Some(name) => BalancerSpec::from_name(name.get_ref()).map_err(|_| {
            Diagnostic::error(
                source,
                name.span(),
                format!("unknown policy {:?}", name.get_ref()),
            )
            .with_help(suggest(name.get_ref(), BALANCERS.iter().map(|(n, _)| *n)))
        })?,
    };
    if let Some(vnodes) = params.take::<u32>("vnodes")? {
        if !matches!(policy, BalancerSpec::ConsistentHashByKey(_)) {
            return Err(Diagnostic::error(
                source,
                vnodes.span(),
                "`vnodes` only applies to policy = \"consistent_hash\"",
            ));
        }
        policy = BalancerSpec::consistent_hash(*vnodes.get_ref())
            .map_err(|e| Diagnostic::error(source, vnodes.span(), e.to_string()))?;
    }
    let mut weights: Vec<(NodeId, u32)> = backends.nodes().iter().map(|n| (*n, 1)).collect();
    if let Some(table) = params.take::<BTreeMap<String, u32>>("weights")? {
        for (selector, weight) in table.get_ref() {
            let chosen = context.directory.select(selector).map_err(|e| {
                Diagnostic::error(source, table.span(), format!("in `weights`: {}", e.message))
            })?;
            if *weight == 0 {
                return Err(Diagnostic::error(
                    source,
                    table.span(),
                    format!("weight of {selector:?} must be at least 1, got 0"),
                ));
            }
            for node in chosen.nodes() {
                let entry = weights.iter_mut().find(|(n, _)| n == node).ok_or_else(|| {
                    Diagnostic::error(
                        source,
                        table.span(),
                        format!("`weights` names {selector:?}, which is not among the backends"),
                    )
                })?;
                entry.1 = *weight;
            }
        }
    }
    let duration = |key: &str, params: &mut Params<'_>| -> Result<SimDuration, Diagnostic> {
        match params.take::<String>(key)? {
            None => Ok(SECOND),
            Some(text) => match parse_duration(text.get_ref()) {
                Ok(d) if d > SimDuration::ZERO => Ok(d),
                Ok(_) => Err(Diagnostic::error(
                    source,
                    text.span(),
                    format!("`{key}` must be longer than 0"),
                )),
                Err(e) => Err(Diagnostic::error(source, text.span(), e.message)),
            },
        }
    };
    let load_report = duration("load_report", params)?;
    let half_life = duration("ewma_half_life", params)?;
    let decay = EwmaDecay::half_life(half_life).expect("half-life checked > 0");
    let health = match params.take::<HealthCheckSpec>("health_check")? {
        None => None,
        Some(spec) => {
            let span = spec.span();
            let spec = spec.into_inner();
            let fail = |message: String| {
                Diagnostic::error(
                    source,
                    span.clone(),
                    format!("invalid `health_check`: {message}"),
                )
            };
            let interval = parse_duration(&spec.interval).map_err(|e| fail(e.message))?;
            let timeout = parse_duration(&spec.timeout).map_err(|e| fail(e.message))?;
            let config = HealthCheckConfig {
                interval,
                timeout,
                // 3 failures to eject, 2 successes to re-admit: the defaults of Envoy's and
                // HAProxy's active health checks ("unhealthy_threshold"/"fall" 3, "rise" 2).
                unhealthy_threshold: spec.unhealthy.unwrap_or(3),
                healthy_threshold: spec.healthy.unwrap_or(2),
            };
            models::balancing::HealthChecker::new(config, weights.len())
                .map_err(|e| fail(e.to_string()))?;
            Some(config)
        }
    };
    let config = BalancerConfig {
        backends: weights,
        policy,
        decay,
        load_report,
        health,
    };
    // Validate once here, so building nodes cannot fail.
    BalancerNode::new(Arc::new(config.clone()))
        .map_err(|e| Diagnostic::error(source, selector.span(), e.to_string()))?;
    let backends = config.backends.iter().map(|(n, _)| *n).collect();
    Ok(Box::new(BalancerBuilder {
        config: Arc::new(config),
        backends,
    }))
}

struct BalancerBuilder {
    config: Arc<BalancerConfig>,
    backends: Vec<NodeId>,
}

impl RoleBuilder for BalancerBuilder {
    fn build_node(&self, _: u32, _: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        Box::new(BalancerNode::new(Arc::clone(&self.config)).expect("validated when parsed"))
    }

    fn forwards_to(&self) -> Option<&[NodeId]> {
        Some(&self.backends)
    }
}
