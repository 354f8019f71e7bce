//! The `balancer` role's parameters: `backends`, `policy`, `vnodes`, `weights`,
//! `health_check`, `load_report`, `ewma_half_life`, `limit`; and the `ratelimiter` role, a
//! balancer whose `limit` is required (a rate-limiting proxy in front of a group).

use std::collections::BTreeMap;
use std::sync::Arc;

use models::balancing::{EwmaDecay, HealthCheckConfig};
use models::msg::Msg;
use models::roles::{BalancerConfig, BalancerNode};
use serde::Deserialize;
use sim_core::registry::{Param, Row};
use sim_core::{Node, NodeId, SimDuration};

use super::{model_choice, RoleBuilder, RoleContext, RoleRow, RoleSpec, RunContext, ServiceUse};
use crate::format::diag::Diagnostic;
use crate::format::params::Params;
use crate::format::units::parse_duration;

/// `balancer`.
pub(super) const ROW: RoleRow = Row {
    name: "balancer",
    aliases: &[],
    description: "a proxy that spreads requests over a backend group, with health checks",
    params: PARAMS,
    value: RoleSpec {
        histograms: &[],
        service: ServiceUse::None,
        serves_requests: true,
        parse: |context, params| parse_balancer(context, params, false),
    },
};

/// `ratelimiter`: a balancer whose `limit` is required.
pub(super) const RATELIMITER_ROW: RoleRow = Row {
    name: "ratelimiter",
    aliases: &["rate_limiter"],
    description: "a rate-limiting proxy in front of a backend group: admits, delays or rejects (429) each request, then balances",
    params: PARAMS,
    value: RoleSpec {
        histograms: &[],
        service: ServiceUse::None,
        serves_requests: true,
        parse: |context, params| parse_balancer(context, params, true),
    },
};

/// The parameters of both rows.
const PARAMS: &[Param] = &[
        Param::required("backends", "the group (or selector) requests are spread over"),
        Param::optional(
            "policy",
            "\"round_robin\"",
            "how a backend is picked (distsim list shows them): a name, or { name = ..., <its parameters> }",
        ),
        Param::optional(
            "vnodes",
            "160",
            "consistent_hash: points per backend on the ring (shorthand for the policy's parameter)",
        ),
        Param::optional(
            "weights",
            "1 each",
            "{ \"selector\" = weight, ... }: backend weights",
        ),
        Param::optional(
            "health_check",
            "none",
            "{ interval, timeout, unhealthy, healthy }: probe and eject backends",
        ),
        Param::optional(
            "load_report",
            "\"1s\"",
            "how often the load snapshot p2c_stale reads is refreshed",
        ),
        Param::optional(
            "ewma_half_life",
            "\"1s\"",
            "memory of least_response_time's average",
        ),
        super::limit::PARAM,
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

/// A balancer group, or with `limit_required` a ratelimiter group.
fn parse_balancer(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
    limit_required: bool,
) -> Result<Box<dyn RoleBuilder>, Diagnostic> {
    let source = context.source;
    let limit = super::limit::parse_limit(context, params, limit_required)?;
    let selector = params.require::<String>("backends")?;
    let backends = super::request_targets(context, &selector)?;
    // `vnodes` beside the policy is the consistent_hash policy's parameter, as a shorthand.
    let extra: Vec<_> = params
        .take_value("vnodes")
        .map(|value| {
            let key = toml::Spanned::new(value.span(), "vnodes".to_string());
            (key, value)
        })
        .into_iter()
        .collect();
    let balancers = &context.vocabulary.balancers;
    let written = params.take_value("policy").unwrap_or_else(|| {
        toml::Spanned::new(context.group_span.clone(), toml::Value::from("round_robin"))
    });
    let policy = model_choice(source, "policy", "policy", balancers, &written, extra)?;
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
        Ok(params.take_positive_duration(key)?.unwrap_or(SECOND))
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
        limit,
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
