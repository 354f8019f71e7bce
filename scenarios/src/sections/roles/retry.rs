//! A client's resilience policies ([`models::resilience`]), validated with the field at
//! fault: `retry = { ... }`, the policy its failed attempts follow and its retry budget (one
//! table, so a sweep axis can vary whole policies: `{ attempts = 3 }` against `{ attempts =
//! 3, budget = 0.1 }`), `breaker = { ... }` and `hedge = { after }` (each also `"off"`, for a
//! sweep's variant without).

use models::resilience::{
    BreakerSpec, HedgeAfter, HedgePolicy, Jitter, RetryBudget, RetryOn, RetryPolicy, JITTERS,
};
use serde::Deserialize;
use sim_core::{Outcome, SimDuration};
use toml::Spanned;

use crate::format::diag::{suggest, Diagnostic, Source};
use crate::format::params::{reparse, Params};
use crate::format::units::parse_duration;

/// Most attempts a policy may name; more is `"unlimited"`.
const ATTEMPTS_MAX: u32 = 1_000;

/// Burst of a retry budget when not given: retries a client has in hand at its start.
pub(super) const BURST_DEFAULT: u32 = 10;

/// `retry = { attempts, base, multiplier, cap, jitter, on, budget }` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetrySection {
    attempts: Spanned<toml::Value>,
    #[serde(default)]
    base: Option<Spanned<String>>,
    #[serde(default)]
    multiplier: Option<Spanned<f64>>,
    #[serde(default)]
    cap: Option<Spanned<String>>,
    #[serde(default)]
    jitter: Option<Spanned<String>>,
    #[serde(default)]
    on: Option<Spanned<Vec<Spanned<String>>>>,
    /// `budget = 0.1` or `budget = { ratio = 0.1, burst = 10 }`.
    #[serde(default)]
    budget: Option<Spanned<toml::Value>>,
}

/// The failures `on` may name, with the outcome each is.
const RETRYABLE: [(&str, Outcome); 3] = [
    ("timeout", Outcome::Timeout),
    ("rejected", Outcome::Rejected),
    ("error", Outcome::Error),
];

/// The group's retry policy and retry budget, if it has them; warns about a policy whose
/// attempts are unlimited with no budget.
pub(super) fn parse_retry(
    source: &Source,
    params: &mut Params<'_>,
) -> Result<(Option<RetryPolicy>, Option<RetryBudget>), Diagnostic> {
    let Some(value) = params.take_value("retry") else {
        return Ok((None, None));
    };
    let mut section: RetrySection = reparse(source, value.span())?;
    let budget = match section.budget.take() {
        None => None,
        Some(written) => Some(budget(source, written)?),
    };
    let policy = policy(source, section)?;
    if policy.attempts() == u32::MAX && budget.is_none() {
        params.warn(
            "`retry` with attempts = \"unlimited\" and no `budget` retries every failed request \
             until it succeeds: under overload the retries alone can keep the target down (add \
             e.g. budget = 0.1 to the `retry` table)",
        );
    }
    Ok((Some(policy), budget))
}

fn duration(source: &Source, text: &Spanned<String>) -> Result<SimDuration, Diagnostic> {
    parse_duration(text.get_ref()).map_err(|e| Diagnostic::error(source, text.span(), e.message))
}

fn policy(source: &Source, section: RetrySection) -> Result<RetryPolicy, Diagnostic> {
    let attempts_span = section.attempts.span();
    let bad_attempts = |what: String| {
        Diagnostic::error(
            source,
            attempts_span.clone(),
            format!("`attempts` must be a whole number of tries from 1 (the first try included) to {ATTEMPTS_MAX}, or \"unlimited\"; got {what}"),
        )
    };
    let attempts = match section.attempts.get_ref() {
        toml::Value::Integer(n) => match u32::try_from(*n) {
            Ok(n) if (1..=ATTEMPTS_MAX).contains(&n) => n,
            _ => return Err(bad_attempts(n.to_string())),
        },
        toml::Value::String(s) if s == "unlimited" => u32::MAX,
        other => return Err(bad_attempts(crate::format::params::shown(other))),
    };
    let base = match &section.base {
        Some(text) => duration(source, text)?,
        None => SimDuration::ZERO,
    };
    let cap = match &section.cap {
        Some(text) => {
            let cap = duration(source, text)?;
            if cap < base {
                return Err(Diagnostic::error(
                    source,
                    text.span(),
                    format!("`cap` ({cap}) is below `base` ({base}): the backoff could never reach its base"),
                )
                .with_help("make `cap` at least `base`, or drop it (no cap)"));
            }
            cap
        }
        None => SimDuration::MAX,
    };
    let multiplier = match &section.multiplier {
        Some(m) if m.get_ref().is_finite() && *m.get_ref() >= 1.0 => *m.get_ref(),
        Some(m) => {
            return Err(Diagnostic::error(
                source,
                m.span(),
                format!(
                    "`multiplier` must be a number of at least 1 (1 keeps the backoff constant), got {}",
                    m.get_ref()
                ),
            ))
        }
        None => 2.0,
    };
    let jitter = match &section.jitter {
        None => Jitter::None,
        Some(name) => Jitter::from_name(name.get_ref()).ok_or_else(|| {
            Diagnostic::error(
                source,
                name.span(),
                format!("unknown jitter {:?}", name.get_ref()),
            )
            .with_help(suggest(name.get_ref(), JITTERS.iter().map(|j| j.0)))
        })?,
    };
    let on = match &section.on {
        None => RetryOn::FAILURES,
        Some(list) => {
            let mut outcomes = Vec::new();
            for name in list.get_ref() {
                let Some((_, outcome)) = RETRYABLE.iter().find(|(n, _)| n == name.get_ref()) else {
                    return Err(Diagnostic::error(
                        source,
                        name.span(),
                        format!("`on` names the failures to retry, and {:?} is not one", name.get_ref()),
                    )
                    .with_help(format!(
                        "{}; `timeout` is an attempt not answered in time, `rejected` a `busy` or `rate_limited` answer, `error` an `unavailable` one",
                        suggest(name.get_ref(), RETRYABLE.iter().map(|r| r.0))
                    )));
                };
                outcomes.push(*outcome);
            }
            RetryOn::of(&outcomes).expect("only failures are listed")
        }
    };
    RetryPolicy::new(attempts, on, base, multiplier, cap, jitter)
        .map_err(|e| Diagnostic::error(source, attempts_span, e.to_string()))
}

/// `budget = 0.1` or `budget = { ratio = 0.1, burst = 10 }`, written at `value`'s span.
fn budget(source: &Source, value: Spanned<toml::Value>) -> Result<RetryBudget, Diagnostic> {
    let span = value.span();
    let error = |message: String| {
        Diagnostic::error(source, span.clone(), message)
            .with_help("e.g. budget = 0.1, or budget = { ratio = 0.1, burst = 10 }")
    };
    let number = |v: &toml::Value| match v {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    };
    let (ratio, burst) = match value.get_ref() {
        toml::Value::Table(table) => {
            if let Some(key) = table
                .keys()
                .find(|k| !["ratio", "burst"].contains(&k.as_str()))
            {
                return Err(error(format!(
                    "unknown field `{key}` in `budget`, which takes `ratio` and `burst`"
                )));
            }
            let ratio = table
                .get("ratio")
                .ok_or_else(|| error("a `budget` table needs `ratio`".into()))?;
            (ratio.clone(), table.get("burst").cloned())
        }
        other => (other.clone(), None),
    };
    let Some(ratio) = number(&ratio).filter(|r| (0.0..=1.0).contains(r)) else {
        return Err(error(format!(
            "the budget's `ratio` is the retries allowed per request, a number from 0 to 1 (0.1: one retry per ten requests); got {}",
            crate::format::params::shown(&ratio)
        )));
    };
    let burst = match burst {
        None => BURST_DEFAULT,
        Some(toml::Value::Integer(n)) if (1..=i64::from(u32::MAX)).contains(&n) => n as u32,
        Some(other) => {
            return Err(error(format!(
            "the budget's `burst` is the most retries a client holds, a whole number >= 1; got {}",
            crate::format::params::shown(&other)
        )))
        }
    };
    Ok(RetryBudget::new(ratio, burst).expect("ratio checked above"))
}

/// `breaker = { window, min_calls, failure_ratio, slow_call, slow_ratio, open_for, probes }`
/// as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakerSection {
    #[serde(default)]
    window: Option<Spanned<i64>>,
    #[serde(default)]
    min_calls: Option<Spanned<i64>>,
    #[serde(default)]
    failure_ratio: Option<Spanned<f64>>,
    #[serde(default)]
    slow_call: Option<Spanned<String>>,
    #[serde(default)]
    slow_ratio: Option<Spanned<f64>>,
    #[serde(default)]
    open_for: Option<Spanned<String>>,
    #[serde(default)]
    probes: Option<Spanned<i64>>,
}

/// Calls a breaker's window holds when not given (resilience4j's default).
pub(super) const BREAKER_WINDOW_DEFAULT: u32 = 100;

/// The group's circuit breaker, if it has one (`"off"`: none).
pub(super) fn parse_breaker(
    source: &Source,
    params: &mut Params<'_>,
) -> Result<Option<BreakerSpec>, Diagnostic> {
    let Some(value) = params.take_value("breaker") else {
        return Ok(None);
    };
    if value.get_ref().as_str() == Some("off") {
        return Ok(None);
    }
    let span = value.span();
    let section: BreakerSection = reparse(source, span.clone())?;
    let count = |field: &Option<Spanned<i64>>, name: &str| -> Result<Option<u32>, Diagnostic> {
        match field {
            None => Ok(None),
            Some(n) => u32::try_from(*n.get_ref()).map(Some).map_err(|_| {
                Diagnostic::error(
                    source,
                    n.span(),
                    format!("`{name}` is a whole number of calls, got {}", n.get_ref()),
                )
            }),
        }
    };
    let window = count(&section.window, "window")?.unwrap_or(BREAKER_WINDOW_DEFAULT);
    let mut spec = BreakerSpec::defaults(window);
    if let Some(min) = count(&section.min_calls, "min_calls")? {
        spec.min_calls = min;
    }
    if let Some(probes) = count(&section.probes, "probes")? {
        spec.probes = probes;
    }
    if let Some(r) = &section.failure_ratio {
        spec.failure_ratio = *r.get_ref();
    }
    if let Some(r) = &section.slow_ratio {
        spec.slow_ratio = *r.get_ref();
    }
    if let Some(text) = &section.slow_call {
        spec.slow_call = Some(duration(source, text)?);
    }
    if let Some(text) = &section.open_for {
        spec.open_for = duration(source, text)?;
    }
    spec.check().map_err(|message| {
        // Point at the field the message names, if it was written.
        let field = message.split_whitespace().next().unwrap_or_default();
        Diagnostic::error(
            source,
            source.key_span(span.clone(), &[field]),
            format!("invalid `breaker`: {message}"),
        )
    })?;
    Ok(Some(spec))
}

/// `hedge = { after = "15ms" }` (fixed) or `{ after = "p95" }` (the client's running
/// percentile), or `"off"`.
pub(super) fn parse_hedge(
    source: &Source,
    params: &mut Params<'_>,
) -> Result<Option<HedgePolicy>, Diagnostic> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct HedgeSection {
        after: Spanned<String>,
        #[serde(default)]
        budget: Option<Spanned<toml::Value>>,
    }
    let Some(value) = params.take_value("hedge") else {
        return Ok(None);
    };
    if value.get_ref().as_str() == Some("off") {
        return Ok(None);
    }
    let mut section: HedgeSection = reparse(source, value.span())?;
    let budget = match section.budget.take() {
        None => None,
        Some(written) => Some(budget(source, written)?),
    };
    let after = section.after.get_ref();
    let bad = |message: String| {
        Diagnostic::error(source, section.after.span(), message)
            .with_help("e.g. after = \"15ms\" (a fixed delay) or after = \"p95\" (this client's running 95th percentile)")
    };
    let after = match after.strip_prefix('p') {
        Some(number) => match number.parse::<f64>() {
            Ok(p) if p > 0.0 && p < 100.0 => HedgeAfter::Percentile(p),
            _ => {
                return Err(bad(format!(
                    "a hedge percentile is p followed by a number between 0 and 100 (exclusive), got {after:?}"
                )))
            }
        },
        None => {
            let delay = parse_duration(after).map_err(|e| bad(format!("`after`: {}", e.message)))?;
            HedgeAfter::Fixed(delay)
        }
    };
    Ok(Some(HedgePolicy { after, budget }))
}
