//! The `cache` role's parameters: `policy`, `capacity`, `backend`, `write`,
//! `flush_interval`, `ttl`, `ttl_jitter`, `refresh_ahead`, `coalesce`.

use std::sync::Arc;

use models::cache::Capacity;
use models::msg::Msg;
use models::roles::{CacheNode, CacheNodeConfig, Ttl, WritePolicy};
use sim_core::registry::{Param, Row};
use sim_core::rng::{stream, StreamKind, StreamLabel};
use sim_core::{Node, SimDuration};
use toml::Spanned;

use super::{model_choice, RoleBuilder, RoleContext, RoleRow, RoleSpec, RunContext, ServiceUse};
use crate::format::diag::{suggest, Diagnostic, Source};
use crate::format::params::{positive_duration, Params};
use crate::format::units::parse_size_bytes;

/// `cache`.
pub(super) const ROW: RoleRow = Row {
    name: "cache",
    aliases: &[],
    description: "a cache node: look-aside, or read-through in front of a backend group",
    params: &[
        Param::optional(
            "policy",
            "\"lru\"",
            "eviction policy (distsim list shows them): a name, or { name = ..., <its parameters> }",
        ),
        Param::required(
            "capacity",
            "per node: a size (\"2GiB\", objects weigh their value bytes) or a whole number of objects",
        ),
        Param::optional(
            "backend",
            "none",
            "the group (or selector) behind the cache: read-through; none: a look-aside cache",
        ),
        Param::optional(
            "write",
            "\"through\"",
            "with a backend: \"through\", \"back\" or \"around\"",
        ),
        Param::optional(
            "flush_interval",
            "\"1s\"",
            "write = \"back\": how often dirty keys are written to the backend",
        ),
        Param::optional("ttl", "never", "objects expire this long after they are admitted"),
        Param::optional(
            "ttl_jitter",
            "0",
            "each TTL is stretched by up to this fraction (0 to 1), at random",
        ),
        Param::optional(
            "refresh_ahead",
            "none",
            "with ttl and a backend: a hit in the TTL's last fraction (0 to 1) refetches in the background",
        ),
        Param::optional(
            "coalesce",
            "false",
            "with a backend: concurrent misses of a key share one fetch",
        ),
    ],
    value: RoleSpec {
        histograms: &[],
        service: ServiceUse::Optional,
        serves_requests: true,
        parse: parse_cache,
    },
};

/// 1 s: default write-back flush interval (Linux's dirty-page writeback wakes every 5 s;
/// a cache tier that acknowledges writes before they are durable flushes more often).
const FLUSH_DEFAULT: SimDuration = SimDuration::from_secs(1);

fn parse_cache(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
) -> Result<Box<dyn RoleBuilder>, Diagnostic> {
    let source = context.source;
    let error =
        |span: std::ops::Range<usize>, message: String| Diagnostic::error(source, span, message);
    let policies = &context.vocabulary.cache_policies;
    let policy = match params.take_value("policy") {
        None => {
            let row = policies.lookup("lru").expect("lru is a built-in policy");
            (row.value)(&mut sim_core::registry::ArgMap::new()).expect("lru has defaults")
        }
        Some(value) => model_choice(
            source,
            "cache policy",
            "policy",
            policies,
            &value,
            Vec::new(),
        )?,
    };
    let capacity_value = params.require::<toml::Value>("capacity")?;
    let capacity = capacity(source, &capacity_value)?;
    // Build one now, so nodes can always be built (a capacity too small for the policy's
    // queues is an error here, with the smallest that works).
    // (Its draws here are thrown away; every node gets its own labelled stream in a run.)
    policy
        .build(capacity, stream(0, StreamLabel::new(StreamKind::Model, 0)))
        .map_err(|e| error(capacity_value.span(), e.to_string()))?;
    let backend = match params.take::<String>("backend")? {
        None => Vec::new(),
        Some(selector) => super::request_targets(context, &selector)?.nodes().to_vec(),
    };
    let needs_backend = |key: &str, span: std::ops::Range<usize>| -> Result<(), Diagnostic> {
        if backend.is_empty() {
            return Err(error(
                span,
                format!("`{key}` needs a `backend` (a look-aside cache has no store behind it)"),
            )
            .with_help("add backend = \"<store group>\", or leave the look-aside cache to cache-aside clients (client `store`)"));
        }
        Ok(())
    };
    let write_name = params.take::<String>("write")?;
    let flush = params.take::<String>("flush_interval")?;
    let write = match &write_name {
        None => WritePolicy::Through,
        Some(name) => {
            needs_backend("write", name.span())?;
            match name.get_ref().as_str() {
                "through" => WritePolicy::Through,
                "around" => WritePolicy::Around,
                "back" => WritePolicy::Back {
                    flush_interval: match &flush {
                        None => FLUSH_DEFAULT,
                        Some(text) => positive_duration(source, text, "flush_interval")?,
                    },
                },
                other => {
                    return Err(
                        error(name.span(), format!("unknown write policy {other:?}"))
                            .with_help(suggest(other, ["through", "back", "around"])),
                    )
                }
            }
        }
    };
    if let (Some(text), false) = (&flush, matches!(write, WritePolicy::Back { .. })) {
        return Err(error(
            text.span(),
            "`flush_interval` only applies to write = \"back\"".into(),
        ));
    }
    let ttl = parse_ttl(context, params, &backend)?;
    let coalesce = match params.take::<bool>("coalesce")? {
        Some(flag) if *flag.get_ref() => {
            needs_backend("coalesce", flag.span())?;
            true
        }
        _ => false,
    };
    let config = CacheNodeConfig {
        policy,
        capacity,
        backend,
        write,
        ttl,
        coalesce,
    };
    Ok(Box::new(CacheBuilder {
        config: Arc::new(config),
    }))
}

/// `capacity`: a size string in bytes, or a whole number of objects.
fn capacity(source: &Source, value: &Spanned<toml::Value>) -> Result<Capacity, Diagnostic> {
    let fail = |message: String| Diagnostic::error(source, value.span(), message);
    let capacity = match value.get_ref() {
        toml::Value::String(text) => {
            let bytes = parse_size_bytes(text).map_err(|e| fail(e.message))?;
            Capacity::bytes(bytes)
        }
        toml::Value::Integer(n) if *n >= 0 => Capacity::objects(*n as u64),
        other => {
            return Err(fail(format!(
                "capacity must be a size (\"64MiB\") or a whole number of objects, got {other:?}"
            )))
        }
    };
    capacity.map_err(|e| fail(e.to_string()))
}

/// `ttl`, `ttl_jitter` and `refresh_ahead`.
fn parse_ttl(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
    backend: &[sim_core::NodeId],
) -> Result<Option<Ttl>, Diagnostic> {
    let source = context.source;
    let ttl = params.take::<String>("ttl")?;
    let jitter = params.take::<f64>("ttl_jitter")?;
    let refresh = params.take::<f64>("refresh_ahead")?;
    let Some(ttl) = ttl else {
        if let Some(orphan) = jitter
            .as_ref()
            .map(Spanned::span)
            .or(refresh.as_ref().map(Spanned::span))
        {
            return Err(Diagnostic::error(
                source,
                orphan,
                "`ttl_jitter` and `refresh_ahead` need a `ttl`",
            ));
        }
        return Ok(None);
    };
    let life = positive_duration(source, &ttl, "ttl")?;
    let fraction = |value: &Spanned<f64>, key: &str, closed: bool| -> Result<f64, Diagnostic> {
        let x = *value.get_ref();
        let valid = if closed {
            (0.0..=1.0).contains(&x)
        } else {
            x > 0.0 && x < 1.0
        };
        if valid {
            Ok(x)
        } else {
            let range = if closed {
                "from 0 to 1"
            } else {
                "between 0 and 1 (exclusive)"
            };
            Err(Diagnostic::error(
                source,
                value.span(),
                format!("`{key}` must be {range}, got {x}"),
            ))
        }
    };
    let jitter = match &jitter {
        None => 0.0,
        Some(value) => fraction(value, "ttl_jitter", true)?,
    };
    let refresh_ahead = match &refresh {
        None => None,
        Some(value) => {
            if backend.is_empty() {
                return Err(Diagnostic::error(
                    source,
                    value.span(),
                    "`refresh_ahead` needs a `backend` to refetch from",
                ));
            }
            Some(fraction(value, "refresh_ahead", false)?)
        }
    };
    Ok(Some(Ttl {
        ttl: life,
        jitter,
        refresh_ahead,
    }))
}

struct CacheBuilder {
    config: Arc<CacheNodeConfig>,
}

impl RoleBuilder for CacheBuilder {
    fn build_node(&self, _: u32, _: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        Box::new(CacheNode::new(Arc::clone(&self.config)))
    }

    fn cache_capacity(&self) -> Option<Capacity> {
        Some(self.config.capacity)
    }
}
