//! Number formatting shared by the table, CSV, plots and HTML.
//!
//! Every function here is a pure function of its input with a fixed precision rule, so the
//! same numbers always print the same text (reports are compared byte for byte). Human units
//! are for people; files meant for machines keep integer nanoseconds.

use sim_core::Unit;

/// Nanoseconds in one microsecond, millisecond and second.
const NANOS_PER_MICRO: f64 = 1e3;
const NANOS_PER_MILLI: f64 = 1e6;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// `x` with three significant digits and no exponent: `0.000850`, `1.23`, `45.6`, `789`.
pub(crate) fn sig3(x: f64) -> String {
    assert!(x.is_finite(), "only finite numbers are formatted");
    if x == 0.0 {
        return "0".to_string();
    }
    // Digits after the point so the third significant digit is the last one shown; values of
    // 100 and more print as integers, tiny ones stop at 9 decimals (1 ns in seconds).
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).clamp(0, 9) as usize;
    format!("{x:.decimals$}")
}

/// A duration in nanoseconds in the largest readable unit: `850ns`, `12.3us`, `4.56ms`, `1.23s`.
pub(crate) fn human_ns(ns: f64) -> String {
    if ns < NANOS_PER_MICRO {
        format!("{}ns", sig3(ns))
    } else if ns < NANOS_PER_MILLI {
        format!("{}us", sig3(ns / NANOS_PER_MICRO))
    } else if ns < NANOS_PER_SEC as f64 {
        format!("{}ms", sig3(ns / NANOS_PER_MILLI))
    } else {
        format!("{}s", sig3(ns / NANOS_PER_SEC as f64))
    }
}

/// A byte count in binary units: `512B`, `1.50KiB`, `3.00MiB`.
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0}B")
    } else {
        format!("{}{}", sig3(value), UNITS[unit])
    }
}

/// A metric value in the human form of its unit.
pub(crate) fn human_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Nanoseconds => human_ns(value),
        Unit::Bytes => human_bytes(value),
        Unit::Count => sig3(value),
        Unit::Ratio => format!("{}%", sig3(value * 100.0)),
    }
}

/// An integer metric value (a percentile, min or max) in the human form of its unit; counts
/// stay exact integers.
pub(crate) fn human_int(value: u64, unit: Unit) -> String {
    match unit {
        Unit::Count => value.to_string(),
        Unit::Nanoseconds | Unit::Bytes | Unit::Ratio => human_value(value as f64, unit),
    }
}

/// Nanoseconds as exact decimal seconds without trailing zeros: `0`, `1.5`, `0.000000001`.
///
/// Integer arithmetic only, so window boundaries in the CSV are exact and reproducible.
pub(crate) fn exact_secs(ns: u64) -> String {
    let whole = ns / NANOS_PER_SEC;
    let frac = ns % NANOS_PER_SEC;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:09}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// A percentile as the shortest text that round-trips: `99.99`, `75`.
pub(crate) fn percentile_label(percentile: f64) -> String {
    format!("{percentile}")
}

/// `text` escaped for HTML element content and double-quoted attributes.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` as one CSV field (RFC 4180): quoted only if it holds a comma, quote or line break.
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// An integer with thousands separators: `12,345`.
pub fn group_digits(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (idx, c) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(actual: String, expected: &str) {
        assert_eq!(actual, expected);
    }

    // Goal: every formatter gives the documented text at unit boundaries and for odd inputs,
    // checked case by case through one helper.
    #[test]
    fn formats() {
        check(sig3(0.0), "0");
        check(sig3(0.00085), "0.000850");
        check(sig3(1.234), "1.23");
        check(sig3(45.67), "45.7");
        check(sig3(789.4), "789");
        check(sig3(123456.0), "123456");
        check(human_ns(850.0), "850ns");
        check(human_ns(12_345.0), "12.3us");
        check(human_ns(4_560_000.0), "4.56ms");
        check(human_ns(1_230_000_000.0), "1.23s");
        check(human_value(512.0, Unit::Bytes), "512B");
        check(human_value(1536.0, Unit::Bytes), "1.50KiB");
        check(human_value(7.0, Unit::Count), "7.00");
        check(human_int(7, Unit::Count), "7");
        check(human_int(1_500, Unit::Nanoseconds), "1.50us");
        check(exact_secs(0), "0");
        check(exact_secs(1_500_000_000), "1.5");
        check(exact_secs(1), "0.000000001");
        check(exact_secs(20_000_000_000), "20");
        check(percentile_label(99.99), "99.99");
        check(percentile_label(75.0), "75");
        check(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
        check(csv_field("latency.read"), "latency.read");
        check(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}
