//! Turning written quantities and distributions into engine values, given what they measure.
//!
//! A latency distribution's parameters are durations (`mean = "40us"`, converted to
//! nanoseconds), a value-size distribution's are sizes (`median = "1KiB"`, bytes), and shape
//! parameters are plain numbers. A bare number where a unit is needed is an error: `mean = 40`
//! could be seconds or microseconds, and a scenario must not leave that to a guess.

use std::fmt;

use super::schema::Quantity;
use super::units::{parse_duration, parse_size_bytes};

/// What a quantity measures, which decides its units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// A duration, written with units; becomes nanoseconds.
    Duration,
    /// A size, written with units; becomes bytes.
    Size,
    /// A plain number.
    Plain,
}

impl Dimension {
    fn example(self) -> &'static str {
        match self {
            Dimension::Duration => "\"2ms\"",
            Dimension::Size => "\"1KiB\"",
            Dimension::Plain => "2.5",
        }
    }
}

/// The value of `quantity` in the engine unit of `dimension`.
pub fn resolve(quantity: &Quantity, dimension: Dimension) -> Result<f64, String> {
    match (quantity, dimension) {
        (Quantity::Text(text), Dimension::Duration) => parse_duration(text)
            .map(|d| d.as_nanos() as f64)
            .map_err(|e| e.message),
        (Quantity::Text(text), Dimension::Size) => parse_size_bytes(text)
            .map(|b| b as f64)
            .map_err(|e| e.message),
        (Quantity::Text(text), Dimension::Plain) => {
            Err(format!("expected a plain number, got the string {text:?}"))
        }
        (Quantity::Number(n), Dimension::Plain) => Ok(*n),
        (Quantity::Number(n), _) => Err(format!("{n} needs a unit, e.g. {}", dimension.example())),
    }
}

/// Why a distribution could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistError {
    /// The parameter at fault (`"mean"`), when the error is about one, so a diagnostic can
    /// point at it.
    pub param: Option<&'static str>,
    /// What is wrong; names the parameter, if any.
    pub message: String,
    /// Point at the parameter's value rather than its key (an unknown `dist` name).
    pub at_value: bool,
    /// What would be valid, when there is something to suggest.
    pub help: Option<String>,
}

impl DistError {
    /// An error about the distribution as a whole.
    pub fn new(message: impl Into<String>) -> Self {
        DistError {
            param: None,
            message: message.into(),
            at_value: false,
            help: None,
        }
    }

    /// The same error, about parameter `param` (pointing at its key).
    pub fn at(mut self, param: &'static str) -> Self {
        self.param = Some(param);
        self
    }

    /// The same error, pointing at the parameter's value rather than its key.
    pub fn at_value(mut self) -> Self {
        self.at_value = true;
        self
    }

    /// The same error with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for DistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for DistError {
    fn from(message: String) -> Self {
        DistError::new(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Quantity {
        Quantity::Text(s.to_string())
    }

    // Goal: units convert to the engine's units, and missing units are refused with a hint.
    #[test]
    fn resolves_by_dimension() {
        assert_eq!(resolve(&text("40us"), Dimension::Duration), Ok(40_000.0));
        assert_eq!(resolve(&text("1KiB"), Dimension::Size), Ok(1024.0));
        assert_eq!(resolve(&Quantity::Number(0.5), Dimension::Plain), Ok(0.5));
        let error = resolve(&Quantity::Number(40.0), Dimension::Duration).unwrap_err();
        assert_eq!(error, "40 needs a unit, e.g. \"2ms\"");
    }
}
