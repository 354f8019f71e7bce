//! Quantities with units, as humans write them in scenario files: durations (`"250us"`),
//! rates (`"20k/s"`), sizes (`"1KiB"`) and bandwidths (`"10Gbps"`).
//!
//! Each parser turns text into the engine's integer or float unit exactly once, at the edge,
//! and says what would have been valid when it cannot.

use sim_core::SimDuration;

/// A quantity that could not be parsed: the message names the input and the valid forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitError {
    /// What was wrong, with the valid forms.
    pub message: String,
}

impl UnitError {
    fn new(message: String) -> Self {
        UnitError { message }
    }
}

/// Splits `"20k/s"` into the number and the rest; underscores in the number are ignored.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '_' | 'e' | 'E' | '+' | '-')))
        .unwrap_or(text.len());
    // An `e` directly before a unit letter (e.g. "1e") is ambiguous; require digits after it.
    let (number, rest) = text.split_at(end);
    let cleaned: String = number.chars().filter(|c| *c != '_').collect();
    let value: f64 = cleaned.parse().ok()?;
    Some((value, rest.trim()))
}

/// A duration: see [`SimDuration::parse`] for the accepted forms.
pub fn parse_duration(text: &str) -> Result<SimDuration, UnitError> {
    SimDuration::parse(text).map_err(|e| UnitError::new(e.to_string()))
}

/// Decimal multipliers for rates and bandwidths.
const DECIMAL: [(&str, f64); 5] = [("", 1.0), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)];

/// A rate in events per second: `"20k/s"`, `"150/s"`, `"1.5M/s"`, `"600/min"`, `"3/h"`,
/// `"50/ms"`. A plain number is not accepted: the unit says what the number means.
pub fn parse_rate_per_s(text: &str) -> Result<f64, UnitError> {
    const VALID: &str = "expected a number, an optional k/M/G multiplier and a per-time unit, e.g. \"20k/s\", \"600/min\"";
    let (value, rest) = split_number(text)
        .ok_or_else(|| UnitError::new(format!("invalid rate {text:?}: {VALID}")))?;
    let (multiplier, per) = rest.split_once('/').ok_or_else(|| {
        UnitError::new(format!("invalid rate {text:?}: missing \"/unit\"; {VALID}"))
    })?;
    let scale = DECIMAL
        .iter()
        .find(|(name, _)| *name == multiplier.trim())
        .map(|(_, scale)| *scale)
        .ok_or_else(|| {
            UnitError::new(format!(
                "invalid rate {text:?}: unknown multiplier {multiplier:?}; {VALID}"
            ))
        })?;
    let per_s = match per.trim() {
        "s" | "sec" => 1.0,
        "ms" => 1e3,
        "us" => 1e6,
        "min" | "m" => 1.0 / 60.0,
        "h" => 1.0 / 3600.0,
        "d" => 1.0 / 86_400.0,
        other => {
            return Err(UnitError::new(format!(
                "invalid rate {text:?}: unknown time unit {other:?}; {VALID}"
            )))
        }
    };
    let rate = value * scale * per_s;
    if !(rate.is_finite() && rate >= 0.0) {
        return Err(UnitError::new(format!(
            "invalid rate {text:?}: must be finite and >= 0"
        )));
    }
    Ok(rate)
}

/// A size in bytes: `"512B"`, `"1KiB"`, `"10MB"`, `"2GiB"`, `"1.5TB"`. Binary (`KiB`, 1024)
/// and decimal (`KB`, 1000) prefixes are both accepted; the result must be a whole number.
pub fn parse_size_bytes(text: &str) -> Result<u64, UnitError> {
    const UNITS: [(&str, f64); 10] = [
        ("B", 1.0),
        ("KB", 1e3),
        ("MB", 1e6),
        ("GB", 1e9),
        ("TB", 1e12),
        ("KiB", 1024.0),
        ("MiB", 1_048_576.0),
        ("GiB", 1_073_741_824.0),
        ("TiB", 1_099_511_627_776.0),
        ("kB", 1e3),
    ];
    const VALID: &str =
        "expected a number and a unit (B, KB or kB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. \"1KiB\" or \"10MB\"";
    let (value, unit) = split_number(text)
        .ok_or_else(|| UnitError::new(format!("invalid size {text:?}: {VALID}")))?;
    let scale = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, scale)| *scale)
        .ok_or_else(|| {
            UnitError::new(format!(
                "invalid size {text:?}: unknown unit {unit:?}; {VALID}"
            ))
        })?;
    let bytes = value * scale;
    if !(0.0..1.8e19).contains(&bytes) {
        return Err(UnitError::new(format!(
            "invalid size {text:?}: must be >= 0 and below 16 EiB"
        )));
    }
    if (bytes - bytes.round()).abs() > 1e-6 {
        return Err(UnitError::new(format!(
            "invalid size {text:?}: not a whole number of bytes"
        )));
    }
    Ok(bytes.round() as u64)
}

/// A bandwidth in bits per second: `"10Gbps"`, `"100Mbps"`, `"1.5Gbit/s"`, or bytes per second
/// with a capital B: `"125MB/s"`.
pub fn parse_bandwidth_bps(text: &str) -> Result<u64, UnitError> {
    const VALID: &str = "expected e.g. \"10Gbps\", \"100Mbit/s\" or \"125MB/s\"";
    let (value, unit) = split_number(text)
        .ok_or_else(|| UnitError::new(format!("invalid bandwidth {text:?}: {VALID}")))?;
    let (prefix, bits_per_unit) = if let Some(prefix) = unit.strip_suffix("bps") {
        (prefix, 1.0)
    } else if let Some(prefix) = unit.strip_suffix("bit/s") {
        (prefix, 1.0)
    } else if let Some(prefix) = unit.strip_suffix("B/s") {
        (prefix, 8.0)
    } else {
        return Err(UnitError::new(format!(
            "invalid bandwidth {text:?}: unknown unit {unit:?}; {VALID}"
        )));
    };
    let scale = DECIMAL
        .iter()
        .find(|(name, _)| *name == prefix)
        .map(|(_, scale)| *scale)
        .ok_or_else(|| {
            UnitError::new(format!(
                "invalid bandwidth {text:?}: unknown prefix {prefix:?}; {VALID}"
            ))
        })?;
    let bps = value * scale * bits_per_unit;
    if !(1.0..1.8e19).contains(&bps) {
        return Err(UnitError::new(format!(
            "invalid bandwidth {text:?}: must be at least 1 bit/s"
        )));
    }
    Ok(bps.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: every documented spelling parses to the right value; bad ones explain themselves.
    #[test]
    fn rates() {
        for (text, expect) in [
            ("20k/s", 20_000.0),
            ("150/s", 150.0),
            ("1.5M/s", 1_500_000.0),
            ("600/min", 10.0),
            ("3600/h", 1.0),
            ("50/ms", 50_000.0),
            ("1_000/s", 1000.0),
            ("0/s", 0.0),
        ] {
            let got = parse_rate_per_s(text).unwrap();
            assert!(
                (got - expect).abs() < 1e-9 * expect.max(1.0),
                "{text}: {got}"
            );
        }
        for bad in ["20k", "abc/s", "5x/s", "5/fortnight", "-3/s"] {
            let error = parse_rate_per_s(bad).unwrap_err().message;
            assert!(error.contains(&format!("{bad:?}")), "{error}");
        }
    }

    #[test]
    fn sizes() {
        for (text, expect) in [
            ("512B", 512),
            ("1KiB", 1024),
            ("10MB", 10_000_000),
            ("2GiB", 2 * 1_073_741_824),
            ("1.5KB", 1500),
            ("0B", 0),
        ] {
            assert_eq!(parse_size_bytes(text).unwrap(), expect, "{text}");
        }
        for bad in ["12", "1.5B", "3 parsecs", "-1KB"] {
            assert!(parse_size_bytes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bandwidths() {
        for (text, expect) in [
            ("10Gbps", 10_000_000_000),
            ("100Mbps", 100_000_000),
            ("1.5Gbit/s", 1_500_000_000),
            ("125MB/s", 1_000_000_000),
        ] {
            assert_eq!(parse_bandwidth_bps(text).unwrap(), expect, "{text}");
        }
        for bad in ["10G", "fast", "0bps", "10Xbps"] {
            assert!(parse_bandwidth_bps(bad).is_err(), "{bad}");
        }
    }
}
