//! `[simulation]`: the scenario's name (which names the output directory), description, seed,
//! run length, warm-up and guards.

use sim_core::{RunLimits, SimDuration};
use toml::Spanned;

use crate::format::diag::{Diagnostic, Source};
use crate::format::schema::SimulationSection;
use crate::format::units::parse_size_bytes;
use crate::format::values::duration_at;
use crate::sections::budget::{MemoryLimit, DEFAULT_MAX_NODES};

/// `[simulation]`, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationPlan {
    /// The name, trimmed.
    pub name: String,
    /// Free text for the report.
    pub description: Option<String>,
    /// The scenario's seed, if it names one.
    pub seed: Option<u64>,
    /// Simulated run length.
    pub duration: SimDuration,
    /// Leading time excluded from the totals.
    pub warmup: SimDuration,
    /// Event guards.
    pub limits: RunLimits,
    /// Wall-time guard.
    pub max_wall_time: Option<SimDuration>,
    /// Most nodes (`max_nodes`, default [`DEFAULT_MAX_NODES`]).
    pub max_nodes: u64,
    /// The memory the scenario's estimate is held to (`max_memory`, default the machine's).
    pub memory_limit: MemoryLimit,
}

/// The section's values, checked; a warm-up as long as the run is a warning.
pub fn parse(
    source: &Source,
    section: &Spanned<SimulationSection>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<SimulationPlan, Diagnostic> {
    let sim = section.get_ref();
    let name = sim.name.get_ref().trim().to_string();
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(Diagnostic::error(
            source,
            sim.name.span(),
            "the name must be non-empty and contain no `/` or `\\` (it names the output directory)",
        ));
    }
    let seed = match &sim.seed {
        None => None,
        Some(seed) => Some(u64::try_from(*seed.get_ref()).map_err(|_| {
            Diagnostic::error(
                source,
                seed.span(),
                format!("seed must be a whole number >= 0, got {}", seed.get_ref()),
            )
        })?),
    };
    let duration = duration_at(source, &sim.duration)?;
    if duration == SimDuration::ZERO {
        return Err(Diagnostic::error(
            source,
            sim.duration.span(),
            "duration must be longer than 0",
        ));
    }
    let warmup = match &sim.warmup {
        None => SimDuration::ZERO,
        Some(text) => {
            let warmup = duration_at(source, text)?;
            if warmup >= duration {
                warnings.push(Diagnostic::warning(source, text.span(), format!("warmup ({warmup}) is not shorter than the run ({duration}): every result will be empty")));
            }
            warmup
        }
    };
    let mut limits = RunLimits::default();
    for (value, slot, what) in [
        (&sim.max_events, &mut limits.max_events, "max_events"),
        (&sim.max_pending, &mut limits.max_pending, "max_pending"),
    ] {
        if let Some(value) = value {
            *slot = match u64::try_from(*value.get_ref()) {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(Diagnostic::error(
                        source,
                        value.span(),
                        format!(
                            "{what} must be a whole number >= 1, got {}",
                            value.get_ref()
                        ),
                    ))
                }
            };
        }
    }
    let max_wall_time = match &sim.max_wall_time {
        None => None,
        Some(text) => {
            let limit = duration_at(source, text)?;
            if limit == SimDuration::ZERO {
                return Err(Diagnostic::error(
                    source,
                    text.span(),
                    "max_wall_time must be longer than 0",
                ));
            }
            Some(limit)
        }
    };
    let max_nodes = match &sim.max_nodes {
        None => DEFAULT_MAX_NODES,
        Some(value) => match u64::try_from(*value.get_ref()) {
            Ok(n) if (1..=u64::from(u32::MAX)).contains(&n) => n,
            _ => {
                return Err(Diagnostic::error(
                    source,
                    value.span(),
                    format!(
                    "max_nodes must be a whole number from 1 to {} (node ids are 32-bit), got {}",
                    u32::MAX,
                    value.get_ref()
                ),
                ))
            }
        },
    };
    let max_memory = match &sim.max_memory {
        None => None,
        Some(text) => Some(
            parse_size_bytes(text.get_ref())
                .ok()
                .filter(|bytes| *bytes > 0)
                .ok_or_else(|| {
                    Diagnostic::error(
                        source,
                        text.span(),
                        format!(
                            "max_memory must be a size above 0 such as \"8GiB\", got {:?}",
                            text.get_ref()
                        ),
                    )
                })?,
        ),
    };
    Ok(SimulationPlan {
        max_nodes,
        memory_limit: MemoryLimit::resolve(max_memory),
        name,
        description: sim.description.clone(),
        seed,
        duration,
        warmup,
        limits,
        max_wall_time,
    })
}
