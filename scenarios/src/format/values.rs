//! Values at their place in the text: durations, counts and distributions read from spanned
//! TOML values, with errors that point at them.

use sim_core::SimDuration;
use toml::Spanned;

use super::diag::{Diagnostic, Source};
use super::quantity::DistError;
use super::units::parse_duration;

/// A positive integer that fits `u32`.
pub fn positive_u32(source: &Source, value: &Spanned<i64>, what: &str) -> Result<u32, Diagnostic> {
    match u32::try_from(*value.get_ref()) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Diagnostic::error(
            source,
            value.span(),
            format!(
                "{what} must be a whole number from 1 to {}, got {}",
                u32::MAX,
                value.get_ref()
            ),
        )),
    }
}

/// A duration written with its unit.
pub fn duration_at(source: &Source, text: &Spanned<String>) -> Result<SimDuration, Diagnostic> {
    parse_duration(text.get_ref()).map_err(|e| Diagnostic::error(source, text.span(), e.message))
}

/// The diagnostic for a distribution error: at the parameter it names (its key, or its
/// value for `at_value` errors), else at the whole distribution.
pub fn dist_diagnostic(
    source: &Source,
    spec_span: std::ops::Range<usize>,
    e: DistError,
) -> Diagnostic {
    let span = match e.param {
        Some(param) => {
            let key = source.key_span(spec_span.clone(), &[param]);
            if e.at_value && key != spec_span {
                super::params::value_span_after(source, key.clone()).unwrap_or(key)
            } else {
                key
            }
        }
        None => spec_span,
    };
    let diagnostic = Diagnostic::error(source, span, e.message);
    match e.help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}
