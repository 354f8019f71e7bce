//! Simulated time as integer nanoseconds.
//!
//! Time inside the engine is never a float: float addition is not associative, so with `f64`
//! time the order of events would depend on how delays were summed, and a replay could diverge.
//! Humans write `"250us"`, `"1.5s"` or `"10m"`; [`SimDuration::parse`] turns that into an
//! integer once, at the edge.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

/// 1 ns: the engine's unit of time.
const NANOS_PER_NANO: u64 = 1;
/// Nanoseconds in one microsecond.
pub const NANOS_PER_MICRO: u64 = 1_000;
/// Nanoseconds in one millisecond.
pub const NANOS_PER_MILLI: u64 = 1_000_000;
/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;
/// Nanoseconds in one minute.
const NANOS_PER_MIN: u64 = 60 * NANOS_PER_SEC;
/// Nanoseconds in one hour.
const NANOS_PER_HOUR: u64 = 60 * NANOS_PER_MIN;
/// Nanoseconds in one day.
const NANOS_PER_DAY: u64 = 24 * NANOS_PER_HOUR;

/// Unit suffixes accepted by [`SimDuration::parse`], matched exactly against the text after
/// the number.
const UNITS: [(&str, u64); 9] = [
    ("ns", NANOS_PER_NANO),
    ("us", NANOS_PER_MICRO),
    ("µs", NANOS_PER_MICRO),
    ("ms", NANOS_PER_MILLI),
    ("s", NANOS_PER_SEC),
    ("m", NANOS_PER_MIN),
    ("min", NANOS_PER_MIN),
    ("h", NANOS_PER_HOUR),
    ("d", NANOS_PER_DAY),
];

/// A point in simulated time: nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable time (about 584 years), used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Nanoseconds since the start of the run.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time elapsed since `earlier`; zero if `earlier` is later than `self`.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// `self + delay`, or `None` on overflow.
    pub fn checked_add(self, delay: SimDuration) -> Option<SimTime> {
        self.0.checked_add(delay.0).map(SimTime)
    }

    /// `self + delay`, clamped at [`SimTime::MAX`].
    pub fn saturating_add(self, delay: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(delay.0))
    }

    /// This time as floating-point seconds, for statistics and display only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
}

/// 2^63 as an `f64`: the first value a signed 64-bit conversion cannot hold.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The largest representable duration.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// A duration of `n` nanoseconds.
    pub const fn from_nanos(n: u64) -> Self {
        SimDuration(n)
    }
    /// A duration of `n` microseconds.
    pub const fn from_micros(n: u64) -> Self {
        SimDuration(n * NANOS_PER_MICRO)
    }
    /// A duration of `n` milliseconds.
    pub const fn from_millis(n: u64) -> Self {
        SimDuration(n * NANOS_PER_MILLI)
    }
    /// A duration of `n` seconds.
    pub const fn from_secs(n: u64) -> Self {
        SimDuration(n * NANOS_PER_SEC)
    }

    /// Converts floating-point nanoseconds (a distribution sample) to a duration: rounded to
    /// the nearest nanosecond, negative and NaN values become zero, huge values saturate.
    #[inline]
    pub fn from_nanos_f64(nanos: f64) -> Self {
        // Round half up by truncating `x + 0.5` (exact for positive x; `f64::round` is a libm
        // call on baseline x86-64). Below 2^63 the signed conversion is one instruction where
        // the unsigned one is a dozen; `as` saturates at u64::MAX beyond its range.
        let rounded = nanos + 0.5;
        if rounded < I64_LIMIT {
            if nanos <= 0.0 {
                return SimDuration::ZERO;
            }
            return SimDuration(rounded as i64 as u64);
        }
        // NaN (which fails every comparison) becomes 0 here, `inf` u64::MAX.
        SimDuration(rounded as u64)
    }

    /// Nanoseconds in this duration.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// This duration as floating-point seconds, for statistics and display only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// Parses a human duration: a non-negative decimal number followed by a unit, one of
    /// `ns`, `us` (or `µs`), `ms`, `s`, `m` (or `min`), `h`, `d`. Underscores between digits
    /// are allowed (`"1_500ms"`). The value must be a whole number of nanoseconds.
    ///
    /// ```
    /// use sim_core::SimDuration;
    /// assert_eq!(SimDuration::parse("250us").unwrap(), SimDuration::from_micros(250));
    /// assert_eq!(SimDuration::parse("1.5s").unwrap(), SimDuration::from_millis(1500));
    /// assert!(SimDuration::parse("10").is_err()); // a unit is required
    /// ```
    pub fn parse(text: &str) -> Result<SimDuration, ParseDurationError> {
        let err = |reason: DurationErrorReason| ParseDurationError {
            input: text.to_string(),
            reason,
        };
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .ok_or_else(|| err(DurationErrorReason::MissingUnit))?;
        let (number, unit) = trimmed.split_at(split);
        let unit = unit.trim();
        if number.is_empty() {
            return Err(err(if unit.starts_with('-') {
                DurationErrorReason::Negative
            } else {
                DurationErrorReason::BadNumber
            }));
        }
        let scale = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, scale)| *scale)
            .ok_or_else(|| err(DurationErrorReason::UnknownUnit(unit.to_string())))?;
        let nanos = scale_decimal(number, scale).map_err(err)?;
        Ok(SimDuration(nanos))
    }
}

/// Multiplies a plain decimal string (`"1.5"`) by an integer scale without going through a
/// float, so `"0.1s"` is exactly 100 000 000 ns.
fn scale_decimal(number: &str, scale: u64) -> Result<u64, DurationErrorReason> {
    let cleaned: String = number.chars().filter(|c| *c != '_').collect();
    if number.starts_with('_') || number.ends_with('_') || number.contains("__") {
        return Err(DurationErrorReason::BadNumber);
    }
    let (whole, fraction) = match cleaned.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (cleaned.as_str(), ""),
    };
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return Err(DurationErrorReason::BadNumber);
    }
    let whole_value: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| DurationErrorReason::TooLarge)?
    };
    let mut nanos = whole_value
        .checked_mul(scale)
        .ok_or(DurationErrorReason::TooLarge)?;
    // Each fractional digit contributes digit * scale / 10^k, which must be whole.
    let mut divisor: u64 = 1;
    for digit in fraction.chars() {
        let digit = u64::from(digit.to_digit(10).ok_or(DurationErrorReason::BadNumber)?);
        divisor = divisor
            .checked_mul(10)
            .ok_or(DurationErrorReason::TooPrecise)?;
        if digit == 0 {
            continue;
        }
        let part = digit
            .checked_mul(scale)
            .ok_or(DurationErrorReason::TooLarge)?;
        if part % divisor != 0 {
            return Err(DurationErrorReason::TooPrecise);
        }
        nanos = nanos
            .checked_add(part / divisor)
            .ok_or(DurationErrorReason::TooLarge)?;
    }
    Ok(nanos)
}

/// Why a duration string was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DurationErrorReason {
    /// No unit after the number (`"10"`).
    MissingUnit,
    /// A unit that is not one of the accepted ones.
    UnknownUnit(String),
    /// The number part is not a plain non-negative decimal.
    BadNumber,
    /// A minus sign: durations cannot be negative.
    Negative,
    /// More than about 584 years.
    TooLarge,
    /// Finer than one nanosecond (`"0.5ns"`).
    TooPrecise,
}

/// A duration string that could not be parsed; the message names the input and what is valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {}", describe(reason))]
pub struct ParseDurationError {
    /// The text as given.
    pub input: String,
    /// What was wrong with it.
    pub reason: DurationErrorReason,
}

fn describe(reason: &DurationErrorReason) -> String {
    const VALID: &str =
        "expected a number and a unit (ns, us, ms, s, m, h, d), e.g. \"250us\" or \"1.5s\"";
    match reason {
        DurationErrorReason::MissingUnit => format!("missing unit; {VALID}"),
        DurationErrorReason::UnknownUnit(unit) => format!("unknown unit {unit:?}; {VALID}"),
        DurationErrorReason::BadNumber => format!("not a number; {VALID}"),
        DurationErrorReason::Negative => "durations cannot be negative".to_string(),
        DurationErrorReason::TooLarge => "too large (the limit is about 584 years)".to_string(),
        DurationErrorReason::TooPrecise => {
            "finer than one nanosecond, the engine's resolution".to_string()
        }
    }
}

impl FromStr for SimDuration {
    type Err = ParseDurationError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        SimDuration::parse(text)
    }
}

impl fmt::Display for SimDuration {
    /// Shows the duration in the largest unit that represents it exactly, so that display and
    /// [`SimDuration::parse`] round-trip: `1500ms` stays `1500ms`, `2000ms` becomes `2s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DISPLAY_UNITS: [(&str, u64); 7] = [
            ("d", NANOS_PER_DAY),
            ("h", NANOS_PER_HOUR),
            ("m", NANOS_PER_MIN),
            ("s", NANOS_PER_SEC),
            ("ms", NANOS_PER_MILLI),
            ("us", NANOS_PER_MICRO),
            ("ns", NANOS_PER_NANO),
        ];
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let (name, scale) = DISPLAY_UNITS
            .iter()
            .find(|(_, scale)| self.0 % scale == 0)
            .expect("every duration is a whole number of nanoseconds");
        write!(f, "{}{}", self.0 / scale, name)
    }
}

impl fmt::Display for SimTime {
    /// Shows the time as seconds since the start with nanosecond precision: `t=12.000250000s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "t={}.{:09}s",
            self.0 / NANOS_PER_SEC,
            self.0 % NANOS_PER_SEC
        )
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Panics on overflow: simulated time past 584 years is a bug, not an input.
    fn add(self, rhs: SimDuration) -> SimTime {
        self.checked_add(rhs).expect("simulated time overflow")
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = *self + rhs;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// Panics if `rhs` is later than `self`; use [`SimTime::saturating_since`] when that can
    /// happen.
    fn sub(self, rhs: SimTime) -> SimDuration {
        SimDuration(
            self.0
                .checked_sub(rhs.0)
                .expect("subtracting a later time from an earlier one"),
        )
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.checked_add(rhs.0).expect("duration overflow"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Goal: every accepted spelling parses to the exact integer, and bad input names its fault.
    #[track_caller]
    fn check(text: &str, expect: Result<u64, DurationErrorReason>) {
        let got = SimDuration::parse(text).map(|d| d.0).map_err(|e| e.reason);
        assert_eq!(got, expect, "parsing {text:?}");
    }

    #[test]
    fn parses_units_exactly() {
        check("250us", Ok(250_000));
        check("250µs", Ok(250_000));
        check("2ms", Ok(2_000_000));
        check("1.5s", Ok(1_500_000_000));
        check("0.1s", Ok(100_000_000));
        check("10m", Ok(600_000_000_000));
        check("10min", Ok(600_000_000_000));
        check("1h", Ok(3_600_000_000_000));
        check("1d", Ok(86_400_000_000_000));
        check("7ns", Ok(7));
        check(" 3 s ", Ok(3_000_000_000));
        check("1_500ms", Ok(1_500_000_000));
        check(".5s", Ok(500_000_000));
        check("0s", Ok(0));
    }

    #[test]
    fn rejects_bad_durations() {
        use DurationErrorReason::*;
        check("10", Err(MissingUnit));
        check("10 parsecs", Err(UnknownUnit("parsecs".into())));
        check("-5ms", Err(Negative));
        check("ms", Err(BadNumber));
        check("1.2.3s", Err(BadNumber));
        check("0.5ns", Err(TooPrecise));
        check("99999999999999999999s", Err(TooLarge));
        check("600000d", Err(TooLarge));
        check("NaNs", Err(BadNumber));
        check("", Err(MissingUnit));
    }

    #[test]
    fn error_message_names_input_and_valid_form() {
        let message = SimDuration::parse("5 lightyears").unwrap_err().to_string();
        assert!(message.contains("\"5 lightyears\""), "{message}");
        assert!(message.contains("250us"), "{message}");
    }

    #[test]
    fn display_picks_exact_unit() {
        assert_eq!(SimDuration::from_millis(1500).to_string(), "1500ms");
        assert_eq!(SimDuration::from_millis(2000).to_string(), "2s");
        assert_eq!(SimDuration(90 * NANOS_PER_SEC).to_string(), "90s");
        assert_eq!(SimDuration(120 * NANOS_PER_SEC).to_string(), "2m");
        assert_eq!(SimDuration(0).to_string(), "0s");
        assert_eq!(SimTime(1_000_250_000).to_string(), "t=1.000250000s");
    }

    #[test]
    fn float_conversion_rounds_and_clamps() {
        assert_eq!(SimDuration::from_nanos_f64(1.4), SimDuration(1));
        assert_eq!(SimDuration::from_nanos_f64(1.6), SimDuration(2));
        assert_eq!(SimDuration::from_nanos_f64(-3.0), SimDuration(0));
        assert_eq!(SimDuration::from_nanos_f64(f64::NAN), SimDuration(0));
        assert_eq!(SimDuration::from_nanos_f64(1e300), SimDuration(u64::MAX));
        // Both sides of the signed-conversion limit 2^63, and the infinities.
        assert_eq!(SimDuration::from_nanos_f64(0.5), SimDuration(1));
        assert_eq!(
            SimDuration::from_nanos_f64(2f64.powi(62)),
            SimDuration(1 << 62)
        );
        assert_eq!(
            SimDuration::from_nanos_f64(2f64.powi(63)),
            SimDuration(1 << 63)
        );
        assert_eq!(
            SimDuration::from_nanos_f64(1.5 * 2f64.powi(63)),
            SimDuration(3 << 62)
        );
        assert_eq!(
            SimDuration::from_nanos_f64(f64::INFINITY),
            SimDuration(u64::MAX)
        );
        assert_eq!(
            SimDuration::from_nanos_f64(f64::NEG_INFINITY),
            SimDuration(0)
        );
    }

    proptest! {
        // Display then parse gives back the same integer, for any duration.
        #[test]
        fn display_parse_round_trip(nanos in any::<u64>()) {
            let duration = SimDuration(nanos);
            prop_assert_eq!(SimDuration::parse(&duration.to_string()).unwrap(), duration);
        }

        // Decimal seconds with up to nine fractional digits parse exactly.
        #[test]
        fn decimal_seconds_are_exact(whole in 0u64..1_000_000, frac in 0u64..1_000_000_000) {
            let text = format!("{whole}.{frac:09}s");
            prop_assert_eq!(SimDuration::parse(&text).unwrap().0, whole * NANOS_PER_SEC + frac);
        }
    }
}
