//! A `limit = { algorithm, rate, ..., key, per }` on a `server`, `balancer` or `ratelimiter`
//! group: the algorithm from the rate-limiter registry, what each request's limiter is
//! chosen by, and whether each node enforces the whole limit or its share of the group's.

use models::ratelimit::{KeyBy, RateLimit, KEY_BYS};
use sim_core::registry::Param;
use toml::Spanned;

use super::{model_choice_by, Extras, RoleContext};
use crate::format::diag::{suggest, Diagnostic};
use crate::format::params::Params;

/// The `limit` parameter, for the role rows that take it.
pub(super) const PARAM: Param = Param::optional(
    "limit",
    "none",
    "a rate limit: { algorithm, rate, burst, queue, key (global, client, key), per (node, group) }",
);

/// The group's `limit`, if given; `required` makes it an error to leave out.
pub(super) fn parse_limit(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
    required: bool,
) -> Result<Option<RateLimit>, Diagnostic> {
    let source = context.source;
    let Some(value) = params.take_value("limit") else {
        if required {
            return Err(Diagnostic::error(
                source,
                context.group_span.clone(),
                "a `ratelimiter` group needs `limit`",
            )
            .with_help("e.g. limit = { algorithm = \"token_bucket\", rate = \"100/60s\", key = \"client\" }"));
        }
        return Ok(None);
    };
    let span = value.span();
    let toml::Value::Table(table) = value.get_ref() else {
        return Err(Diagnostic::error(
            source,
            span,
            "`limit` is a table { algorithm = \"...\", rate = \"...\", ... }",
        )
        .with_help("e.g. limit = { algorithm = \"token_bucket\", rate = \"100/60s\" }"));
    };
    let mut rest = table.clone();
    let text = |name: &str, rest: &mut toml::Table| match rest.remove(name) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Diagnostic::error(
            source,
            source.key_span(span.clone(), &[name]),
            format!(
                "`{name}` in `limit` is a name, got {}",
                crate::format::params::shown(&other)
            ),
        )),
    };
    let key_by = match text("key", &mut rest)? {
        None => KeyBy::Global,
        Some(name) => match KEY_BYS.iter().find(|k| k.0 == name) {
            Some(k) => k.2,
            None => {
                return Err(Diagnostic::error(
                    source,
                    source.key_span(span.clone(), &["key"]),
                    format!("unknown limit key {name:?}"),
                )
                .with_help(suggest(&name, KEY_BYS.iter().map(|k| k.0))))
            }
        },
    };
    let divided = match text("per", &mut rest)?.as_deref() {
        None | Some("node") => false,
        Some("group") => true,
        Some(other) => {
            return Err(Diagnostic::error(
                source,
                source.key_span(span.clone(), &["per"]),
                format!("unknown `per` {other:?}: a limit is enforced per \"node\" (each node the whole limit) or per \"group\" (each node its share)"),
            )
            .with_help(suggest(other, ["node", "group"])))
        }
    };
    let rest = Spanned::new(span.clone(), toml::Value::Table(rest));
    let spec = model_choice_by(
        source,
        "rate limiter",
        "limit",
        "algorithm",
        &context.vocabulary.limiters,
        &rest,
        Extras::default(),
    )?;
    let count = context.directory.groups[context.group.name.get_ref()].count;
    let spec = if divided {
        spec.divided(u64::from(count))
    } else {
        spec
    };
    Ok(Some(RateLimit { spec, key_by }))
}
