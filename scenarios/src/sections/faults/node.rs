//! Fault kinds that change how nodes behave without stopping them: `slow` (service times
//! multiplied for a window) and `clock_skew` (local clocks stepped and drifting).

use serde::Deserialize;
use sim_core::registry::{Param, Row};
use sim_core::Fault;
use toml::Spanned;

use super::{FaultAction, FaultArgs, FaultContext, FaultKind, FaultRow};
use crate::format::diag::Diagnostic;
use crate::format::schema::Selectors;
use crate::format::units::parse_duration;

/// `slow = { nodes = "db[0]", factor = 10 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlowSpec {
    /// Which nodes.
    nodes: Spanned<Selectors>,
    /// Service-time multiplier.
    factor: Spanned<f64>,
}

/// `clock_skew = { nodes = "...", offset = "-5ms", drift_ppm = 100 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockSkewSpec {
    /// Which nodes.
    nodes: Spanned<Selectors>,
    /// Clock step; a leading `-` for backwards.
    #[serde(default)]
    offset: Option<Spanned<String>>,
    /// Rate error in parts per million.
    #[serde(default)]
    drift_ppm: Option<Spanned<f64>>,
}

/// A kind's required `duration`.
fn needs_duration(
    context: &FaultContext<'_>,
    args: &mut FaultArgs<'_>,
    what: &str,
) -> Result<sim_core::SimDuration, Diagnostic> {
    match args.text("duration")? {
        Some(text) => context.duration(&text),
        None => Err(Diagnostic::error(
            context.source,
            context.span.clone(),
            format!("a `{what}` fault needs `duration`"),
        )),
    }
}

/// `slow = { nodes = ..., factor = ... }` for `duration`.
pub(super) const SLOW: FaultRow = Row {
    name: "slow",
    aliases: &[],
    description: "multiply nodes' service times, for `duration`",
    params: &[Param::required("duration", "how long the nodes stay slow")],
    value: FaultKind {
        logged_as: &["slow_node"],
        no_duration_help: None,
        parse: |context, args| {
            let spec = args.value::<SlowSpec>()?.into_inner();
            let factor = *spec.factor.get_ref();
            if !(factor.is_finite() && factor > 0.0) {
                return Err(Diagnostic::error(
                    context.source,
                    spec.factor.span(),
                    format!("slow factor must be a finite number > 0, got {factor}"),
                ));
            }
            Ok(FaultAction::Engine(Fault::SlowNode {
                nodes: context.nodes(&spec.nodes)?,
                factor,
                duration: needs_duration(context, args, "slow")?,
            }))
        },
    },
};

/// `clock_skew = { nodes = ..., offset = ..., drift_ppm = ... }`.
pub(super) const CLOCK_SKEW: FaultRow = Row {
    name: "clock_skew",
    aliases: &[],
    description: "step and drift nodes' local clocks",
    params: &[],
    value: FaultKind {
        logged_as: &["clock_skew"],
        no_duration_help: None,
        parse: |context, args| {
            let spec = args.value::<ClockSkewSpec>()?.into_inner();
            let offset_ns = match &spec.offset {
                None => 0,
                Some(text) => signed_offset(context, text)?,
            };
            let drift_ppm = spec.drift_ppm.as_ref().map_or(0.0, |d| *d.get_ref());
            if !(drift_ppm.is_finite() && drift_ppm.abs() < 1e6) {
                let span = spec
                    .drift_ppm
                    .as_ref()
                    .map_or(context.span.clone(), Spanned::span);
                return Err(Diagnostic::error(
                    context.source,
                    span,
                    format!("drift_ppm must be within ±1000000, got {drift_ppm}"),
                ));
            }
            Ok(FaultAction::Engine(Fault::ClockSkew {
                nodes: context.nodes(&spec.nodes)?,
                offset_ns,
                drift_ppm,
            }))
        },
    },
};

/// A clock step: a duration with an optional leading `-` (backwards) or `+`.
fn signed_offset(context: &FaultContext<'_>, text: &Spanned<String>) -> Result<i64, Diagnostic> {
    let raw = text.get_ref().trim();
    let (negative, magnitude) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    let nanos = parse_duration(magnitude)
        .map_err(|e| Diagnostic::error(context.source, text.span(), e.message))?
        .as_nanos();
    let nanos = i64::try_from(nanos)
        .map_err(|_| Diagnostic::error(context.source, text.span(), "clock offset too large"))?;
    Ok(if negative { -nanos } else { nanos })
}
