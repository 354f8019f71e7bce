//! `[[check]]` assertions, and what `distsim check` needs around its runs.
//!
//! A `[[check]]` is written two ways, both resolved here into [`Check`]s holding a plain
//! [`reports::Assertion`] (one metric, one comparison, one threshold in the metric's own unit):
//!
//! ```toml-fragment
//! [[check]]
//! assert = "latency.read.p99 < 25ms"   # comparisons: <, <=, >, >=, ==, !=
//!
//! [[check]]
//! metric = "client.timeouts"           # sugar: max is <=, min is >=
//! max = 0
//! ```
//!
//! Thresholds take the metric's units: durations for latency and service-time statistics
//! (`25ms`), plain numbers or percentages for ratios (`0.8`, `80%`), plain numbers otherwise.
//! Histograms are checked against what the scenario records when it is loaded; counters can
//! only be checked against a run's results, so a misspelt counter is reported (with the
//! closest name) by `commands::check::evaluate`, before anything is judged.
//!
//! Evaluation itself, baselines and the reports are `reports::check`'s; what `distsim check`
//! does around its runs (`--tolerance`, the baseline file, the replications' seeds) is
//! `commands::check`'s.

use std::ops::Range;

use reports::{Assertion, Comparison};
use toml::Spanned;

use crate::format::diag::{suggest, Diagnostic, Source};
use crate::format::quantity::{resolve, Dimension};
use crate::format::schema::{CheckSection, Quantity, ScenarioFile};
use crate::format::units::parse_duration;

/// Statistics a latency or service-time metric path may end with (besides `p<number>`).
const CHECK_STATS: [&str; 8] = reports::HISTOGRAM_STATS;

/// A `[[check]]` assertion, resolved. A `[[check]]` with both `max` and `min` gives two.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// What is asserted, in the metric's own unit (nanoseconds for durations).
    pub assertion: Assertion,
    /// Where it is written (the `assert` string or the `metric` value), for errors found
    /// only after a run, such as a counter that does not exist.
    pub span: Range<usize>,
}

/// What a threshold measures, from the metric it is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ThresholdKind {
    /// A latency or service-time statistic other than `count`: a duration with a unit.
    Duration,
    /// A metric named `*_ratio`: a fraction, or a percentage.
    Ratio,
    /// Anything else: a plain number.
    Plain,
}

fn threshold_kind(metric: &str) -> ThresholdKind {
    let timed = metric.starts_with("latency.") || metric.starts_with("service.");
    if timed && !metric.ends_with(".count") {
        ThresholdKind::Duration
    } else if metric.ends_with("_ratio") {
        ThresholdKind::Ratio
    } else {
        ThresholdKind::Plain
    }
}

/// The statistic a histogram metric path ends with: one of [`CHECK_STATS`], or any percentile
/// `p<number>` (`p99.99`), whose number may itself contain a dot.
fn latency_statistic(metric: &str) -> Option<&str> {
    if let Some(stat) = CHECK_STATS
        .iter()
        .find(|s| metric.ends_with(&format!(".{s}")))
    {
        return Some(stat);
    }
    let at = metric.rfind(".p")?;
    let stat = &metric[at + 1..];
    let percentile: f64 = stat[1..].parse().ok()?;
    (percentile > 0.0 && percentile < 100.0).then_some(stat)
}

/// The diagnostic itself (kept as a function so error sites read as before).
fn invalid(diagnostic: Diagnostic) -> Diagnostic {
    diagnostic
}

/// What the scenario records, to check histogram names against when it is loaded.
pub struct Recorded<'a> {
    /// Every histogram the scenario's groups record.
    pub histograms: &'a [String],
    /// Every request outcome tally they record (`requests.all`, `requests.read{group=eu}`).
    pub tallies: &'a [String],
    /// `[report] percentiles`: the extra percentiles `results.json` will hold.
    pub percentiles: &'a [f64],
}

/// Every `[[check]]` of `file`, in order, resolved into assertions.
pub fn build_checks(
    source: &Source,
    file: &ScenarioFile,
    recorded: &Recorded<'_>,
) -> Result<Vec<Check>, Diagnostic> {
    let mut checks = Vec::new();
    for section in &file.check {
        let check = section.get_ref();
        match (&check.assert, &check.metric) {
            (Some(text), _) => {
                if check.metric.is_some() || check.max.is_some() || check.min.is_some() {
                    return Err(invalid(
                        Diagnostic::error(
                            source,
                            text.span(),
                            "a check with `assert` takes no `metric`, `max` or `min`",
                        )
                        .with_help("write one check per assertion"),
                    ));
                }
                checks.push(parse_assert(source, text, recorded)?);
            }
            (None, Some(metric)) => {
                checks.extend(bounds_checks(source, section, metric, recorded)?)
            }
            (None, None) => {
                return Err(invalid(
                    Diagnostic::error(source, section.span(), "a check needs `assert` or `metric`")
                        .with_help("e.g. assert = \"latency.read.p99 < 25ms\""),
                ))
            }
        }
    }
    Ok(checks)
}

/// The `metric` / `max` / `min` form: `max` is `<=`, `min` is `>=`.
fn bounds_checks(
    source: &Source,
    section: &Spanned<CheckSection>,
    metric_text: &Spanned<String>,
    recorded: &Recorded<'_>,
) -> Result<Vec<Check>, Diagnostic> {
    let check = section.get_ref();
    if check.max.is_none() && check.min.is_none() {
        return Err(invalid(Diagnostic::error(
            source,
            section.span(),
            "a check needs `max`, `min` or both",
        )));
    }
    let metric = metric_text.get_ref().trim().to_string();
    validate_metric(source, metric_text.span(), &metric, recorded)?;
    let kind = threshold_kind(&metric);
    let mut checks = Vec::new();
    for (bound, comparison) in [
        (&check.max, Comparison::LessOrEqual),
        (&check.min, Comparison::GreaterOrEqual),
    ] {
        let Some(bound) = bound else { continue };
        let (threshold, threshold_text) = match bound.get_ref() {
            Quantity::Text(text) => (
                parse_threshold(kind, text)
                    .map_err(|e| invalid(Diagnostic::error(source, bound.span(), e)))?,
                text.trim().to_string(),
            ),
            Quantity::Number(n) => {
                let dimension = match kind {
                    ThresholdKind::Duration => Dimension::Duration,
                    ThresholdKind::Ratio | ThresholdKind::Plain => Dimension::Plain,
                };
                let value = resolve(bound.get_ref(), dimension)
                    .map_err(|e| invalid(Diagnostic::error(source, bound.span(), e)))?;
                check_ratio(kind, value)
                    .map_err(|e| invalid(Diagnostic::error(source, bound.span(), e)))?;
                (value, format!("{n}"))
            }
        };
        checks.push(Check {
            assertion: Assertion {
                metric: metric.clone(),
                comparison,
                threshold,
                threshold_text,
            },
            span: metric_text.span(),
        });
    }
    Ok(checks)
}

/// The byte range of `part` (a range within the string's value) in the source, when the
/// string is written plainly (no escapes), else the whole string.
fn part_span(source: &Source, text: &Spanned<String>, part: Range<usize>) -> Range<usize> {
    let span = text.span();
    let written = source.text.get(span.clone()).unwrap_or("");
    let value = text.get_ref();
    let plain = written.len() == value.len() + 2
        && (written.starts_with('"') || written.starts_with('\''))
        && &written[1..written.len() - 1] == value;
    if plain && part.end <= value.len() {
        let start = span.start + 1 + part.start;
        start..(span.start + 1 + part.end).max(start + 1)
    } else {
        span
    }
}

/// The characters comparisons are made of.
const COMPARISON_CHARS: &[char] = &['<', '>', '=', '!'];

/// `metric op threshold`, e.g. `latency.read.p99 < 25ms`.
fn parse_assert(
    source: &Source,
    text: &Spanned<String>,
    recorded: &Recorded<'_>,
) -> Result<Check, Diagnostic> {
    let value = text.get_ref();
    // An error pointing at `part` of the string.
    let at = |part: Range<usize>, message: String| {
        Diagnostic::error(source, part_span(source, text, part), message)
    };
    let shape = "an assertion is `metric op threshold`, e.g. \"latency.read.p99 < 25ms\"";
    // A breakdown's label (`{group=eu}`) holds `=`: the comparison is outside braces.
    let mut depth = 0i32;
    let op_start = value.char_indices().find_map(|(i, c)| {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ if depth == 0 && COMPARISON_CHARS.contains(&c) => return Some(i),
            _ => {}
        }
        None
    });
    let Some(op_start) = op_start else {
        let message = format!("no comparison in {value:?}; {shape}");
        let help = "comparisons are <, <=, >, >=, ==, !=";
        return Err(invalid(at(0..value.len(), message).with_help(help)));
    };
    let op_end = value[op_start..]
        .find(|c: char| !COMPARISON_CHARS.contains(&c))
        .map_or(value.len(), |i| op_start + i);
    let symbol = &value[op_start..op_end];
    let Some(comparison) = Comparison::from_symbol(symbol) else {
        let help = match symbol {
            "=" => "`=` is not a comparison: write `==`",
            "=<" => "write `<=`",
            "=>" => "write `>=`",
            "<>" => "write `!=`",
            _ => "comparisons are <, <=, >, >=, ==, !=",
        };
        let message = format!("unknown comparison `{symbol}`");
        return Err(invalid(at(op_start..op_end, message).with_help(help)));
    };
    let metric_part = &value[..op_start];
    let metric = metric_part.trim();
    let metric_start = metric_part.len() - metric_part.trim_start().len();
    let metric_range = metric_start..metric_start + metric.len();
    if metric.is_empty() {
        let message = format!("no metric before `{symbol}`; {shape}");
        return Err(invalid(at(0..op_start.max(1), message)));
    }
    if metric.contains(char::is_whitespace) {
        let message = format!("a metric name has no spaces, got {metric:?}; {shape}");
        return Err(invalid(at(metric_range, message)));
    }
    let threshold_part = &value[op_end..];
    let threshold = threshold_part.trim();
    let threshold_start = op_end + (threshold_part.len() - threshold_part.trim_start().len());
    let threshold_range = threshold_start..threshold_start + threshold.len();
    if threshold.is_empty() {
        let message = format!("no threshold after `{symbol}`; {shape}");
        return Err(invalid(at(op_start..op_end, message)));
    }
    let metric_span = part_span(source, text, metric_range);
    validate_metric(source, metric_span, metric, recorded)?;
    let threshold_value = parse_threshold(threshold_kind(metric), threshold)
        .map_err(|message| invalid(at(threshold_range, message)))?;
    Ok(Check {
        assertion: Assertion {
            metric: metric.to_string(),
            comparison,
            threshold: threshold_value,
            threshold_text: threshold.to_string(),
        },
        span: text.span(),
    })
}

/// A check on a request outcome (`requests.all.error_ratio`,
/// `requests.read{group=eu}.timeout`) names a tally the scenario records and one of its
/// fields; `None` when the metric is not about a tally.
fn validate_tally_metric(
    source: &Source,
    span: Range<usize>,
    metric: &str,
    recorded: &Recorded<'_>,
) -> Option<Result<(), Diagnostic>> {
    if !metric.starts_with("requests.") {
        return None;
    }
    let error = |message: String, help: String| {
        Some(Err(invalid(
            Diagnostic::error(source, span.clone(), message).with_help(help),
        )))
    };
    let fields = || reports::OUTCOME_FIELDS.iter().map(|(field, ..)| *field);
    let Some((tally, field)) = metric.rsplit_once('.').filter(|(t, _)| t.contains('.')) else {
        return error(
            format!("a request outcome check is `<tally>.<field>`; {metric:?} has no field"),
            format!(
                "e.g. `requests.all.error_ratio`; fields: {}",
                fields().collect::<Vec<_>>().join(", ")
            ),
        );
    };
    if !recorded.tallies.iter().any(|t| t == tally) {
        let help = breakdown_help(tally, recorded.tallies).unwrap_or_else(|| {
            if recorded.tallies.is_empty() {
                "request outcomes are recorded by client groups, and this scenario has none"
                    .to_string()
            } else {
                suggest(tally, recorded.tallies.iter().map(String::as_str))
            }
        });
        return error(
            format!("this scenario records no request outcome tally {tally:?}"),
            help,
        );
    }
    if !fields().any(|known| known == field) {
        return error(
            format!("a request outcome tally has no field {field:?}"),
            suggest(field, fields()),
        );
    }
    Some(Ok(()))
}

/// Why a breakdown (`{group=...}`, `{region=...}`) the scenario does not record is missing:
/// a did-you-mean among the recorded ones of the same kind, or why there are none.
fn breakdown_help(name: &str, recorded: &[String]) -> Option<String> {
    let (base, label) = name.split_once('{')?;
    let kind = label.split('=').next().unwrap_or_default();
    let same_kind: Vec<&str> = recorded
        .iter()
        .map(String::as_str)
        .filter(|r| r.starts_with(base) && r.contains(&format!("{{{kind}=")))
        .collect();
    if !same_kind.is_empty() {
        return Some(suggest(name, same_kind));
    }
    Some(match kind {
        "group" => format!(
            "metrics are broken down by group only when a scenario has more than one client \
             group; this one has one, so `{base}` is the whole population"
        ),
        "region" => format!(
            "metrics are broken down by region only when a scenario's clients sit in more \
             than one region; `{base}` is the whole population"
        ),
        other => {
            format!("breakdowns are `{{group=<name>}}` and `{{region=<name>}}`, not `{other}`")
        }
    })
}

/// A latency or service-time metric names a statistic of a histogram the scenario records,
/// and an extra percentile that `[report] percentiles` asks for.
fn validate_metric(
    source: &Source,
    span: Range<usize>,
    metric: &str,
    recorded: &Recorded<'_>,
) -> Result<(), Diagnostic> {
    if let Some(result) = validate_tally_metric(source, span.clone(), metric, recorded) {
        return result;
    }
    if !(metric.starts_with("latency.") || metric.starts_with("service.")) {
        return Ok(());
    }
    let Some(stat) = latency_statistic(metric) else {
        let stat = metric.rsplit('.').next().unwrap_or("");
        return Err(invalid(
            Diagnostic::error(
                source,
                span,
                format!("a latency check names a statistic; {metric:?} ends in {stat:?}"),
            )
            .with_help(format!(
                "{}, or any percentile such as `p99.99`",
                suggest(stat, CHECK_STATS)
            )),
        ));
    };
    let histogram = &metric[..metric.len() - stat.len() - 1];
    if !recorded.histograms.iter().any(|h| h == histogram) {
        return Err(invalid(
            Diagnostic::error(
                source,
                span,
                format!("this scenario records no histogram {histogram:?}"),
            )
            .with_help(
                breakdown_help(histogram, recorded.histograms).unwrap_or_else(|| {
                    suggest(histogram, recorded.histograms.iter().map(String::as_str))
                }),
            ),
        ));
    }
    if CHECK_STATS.contains(&stat) {
        return Ok(());
    }
    let percentile: f64 = stat[1..]
        .parse()
        .expect("latency_statistic checked the number");
    let label = format!("{percentile}");
    let standard = [50.0, 90.0, 99.0, 99.9];
    let recorded_percentile = standard
        .iter()
        .chain(recorded.percentiles)
        .any(|p| format!("{p}") == label);
    if !recorded_percentile {
        return Err(invalid(
            Diagnostic::error(
                source,
                span,
                format!("results.json holds {stat} only if [report] percentiles asks for it"),
            )
            .with_help(format!(
                "add {label} to `percentiles` in [report], or check p50, p90, p99 or p999"
            )),
        ));
    }
    Ok(())
}

/// A threshold as written, in the metric's unit.
fn parse_threshold(kind: ThresholdKind, text: &str) -> Result<f64, String> {
    let text = text.trim();
    let value = match kind {
        ThresholdKind::Duration => {
            return parse_duration(text)
                .map(|d| d.as_nanos() as f64)
                .map_err(|e| format!("{}; a latency threshold is a duration", e.message));
        }
        ThresholdKind::Ratio => match text.strip_suffix('%') {
            Some(percent) => plain_number(percent).map(|p| p / 100.0),
            None => plain_number(text),
        }
        .map_err(|_| {
            format!("invalid ratio {text:?}: expected a fraction such as 0.8 or a percentage such as 80%")
        })?,
        ThresholdKind::Plain => {
            if text.ends_with('%') {
                return Err(format!(
                    "invalid threshold {text:?}: a percentage only compares with a ratio (a metric named `*_ratio`)"
                ));
            }
            plain_number(text).map_err(|_| {
                format!("invalid threshold {text:?}: expected a plain number such as 0 or 100_000")
            })?
        }
    };
    check_ratio(kind, value)?;
    Ok(value)
}

/// A ratio threshold is a fraction from 0 to 1.
fn check_ratio(kind: ThresholdKind, value: f64) -> Result<(), String> {
    if kind == ThresholdKind::Ratio && !(0.0..=1.0).contains(&value) {
        return Err(format!(
            "a ratio threshold is from 0 to 1 (0% to 100%), got {value}"
        ));
    }
    Ok(())
}

/// A finite decimal number, underscores between digits allowed (`100_000`, `0.8`, `-1`).
pub(crate) fn plain_number(text: &str) -> Result<f64, ()> {
    let cleaned: String = text.trim().chars().filter(|c| *c != '_').collect();
    let ok_chars = cleaned
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    match cleaned.parse::<f64>() {
        Ok(value) if ok_chars && value.is_finite() => Ok(value),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {

    /// A scenario with clients, servers and a cache, ending in `checks` (TOML text).
    fn scenario_with(checks: &str) -> Result<crate::Scenario, String> {
        let text = format!(
            r#"
[simulation]
name = "checks"
seed = 1
duration = "1s"

[[group]]
name = "clients"
count = 1
role = "client"
target = "servers"
workload = {{ rate = "10/s" }}

[[group]]
name = "servers"
count = 1
role = "server"
service = {{ workers = 1, time = {{ dist = "exp", mean = "1ms" }} }}

[report]
percentiles = [99.99]

{checks}
"#
        );
        crate::load_text("checks.toml", &text, &[]).map_err(|e| e.to_string())
    }

    /// The one assertion `assert` parses to, as (metric, symbol, threshold, threshold text).
    #[track_caller]
    fn parsed(assert: &str) -> (String, &'static str, f64, String) {
        let scenario = scenario_with(&format!("[[check]]\nassert = {assert:?}\n"))
            .unwrap_or_else(|e| panic!("{assert}: {e}"));
        let [check] = scenario.checks.as_slice() else {
            panic!("one check");
        };
        let a = &check.assertion;
        (
            a.metric.clone(),
            a.comparison.symbol(),
            a.threshold,
            a.threshold_text.clone(),
        )
    }

    /// The error `checks` gives, from its first line.
    #[track_caller]
    fn error(checks: &str) -> String {
        match scenario_with(checks) {
            Ok(_) => panic!("an invalid check loaded:\n{checks}"),
            Err(message) => message,
        }
    }

    // Goal: every comparison operator and every unit parses, with or without spaces, to the
    // metric's own unit: durations to nanoseconds, percentages to fractions, plain numbers as
    // they are. Method: one assertion per case through the scenario loader.
    #[test]
    fn parses_every_operator_and_unit() {
        #[track_caller]
        fn check(assert: &str, metric: &str, symbol: &str, threshold: f64, text: &str) {
            let got = parsed(assert);
            assert_eq!(
                got,
                (metric.to_string(), symbol, threshold, text.to_string()),
                "{assert}"
            );
        }
        check(
            "latency.read.p99 < 25ms",
            "latency.read.p99",
            "<",
            25e6,
            "25ms",
        );
        check(
            "latency.read.p99<=1.5s",
            "latency.read.p99",
            "<=",
            1.5e9,
            "1.5s",
        );
        check(
            "latency.all.mean > 250us",
            "latency.all.mean",
            ">",
            250e3,
            "250us",
        );
        check(
            "latency.read.p999 >= 800ns",
            "latency.read.p999",
            ">=",
            800.0,
            "800ns",
        );
        check(
            "latency.read.p99.99 < 1m",
            "latency.read.p99.99",
            "<",
            60e9,
            "1m",
        );
        check(
            "service.servers.wait.p90 < 2ms",
            "service.servers.wait.p90",
            "<",
            2e6,
            "2ms",
        );
        check("client.timeouts == 0", "client.timeouts", "==", 0.0, "0");
        check(
            "net.dropped.total != 1_000",
            "net.dropped.total",
            "!=",
            1000.0,
            "1_000",
        );
        check(
            "latency.read.count >= 5",
            "latency.read.count",
            ">=",
            5.0,
            "5",
        );
        check(
            "cache.hit_ratio >= 80%",
            "cache.hit_ratio",
            ">=",
            0.8,
            "80%",
        );
        check(
            "cache.hit_ratio >= 0.75",
            "cache.hit_ratio",
            ">=",
            0.75,
            "0.75",
        );
        check(
            "client.error_ratio < 0.1%",
            "client.error_ratio",
            "<",
            0.001,
            "0.1%",
        );
    }

    // Goal: the metric/max/min form still works, as `<=` and `>=` assertions.
    #[test]
    fn max_and_min_are_sugar() {
        let scenario = scenario_with(
            "[[check]]\nmetric = \"latency.read.p99\"\nmax = \"25ms\"\nmin = \"1us\"\n\n\
             [[check]]\nmetric = \"client.timeouts\"\nmax = 0\n\n\
             [[check]]\nmetric = \"cache.hit_ratio\"\nmin = \"90%\"\n",
        )
        .expect("valid");
        let got: Vec<String> = scenario.checks.iter().map(|c| c.assertion.text()).collect();
        assert_eq!(
            got,
            [
                "latency.read.p99 <= 25ms",
                "latency.read.p99 >= 1us",
                "client.timeouts <= 0",
                "cache.hit_ratio >= 90%"
            ]
        );
        assert_eq!(scenario.checks[0].assertion.threshold, 25e6);
        assert_eq!(scenario.checks[3].assertion.threshold, 0.9);
    }

    // Goal: a malformed assertion is refused with a message pointing into the string at the
    // part that is wrong. Method: each mistake's message and column (the assert string starts
    // at column 10 of its line: `assert = "`).
    #[test]
    fn malformed_assertions_point_at_the_mistake() {
        #[track_caller]
        fn check(assert: &str, column: usize, message: &str) {
            let got = error(&format!("[[check]]\nassert = \"{assert}\"\n"));
            let first = got.lines().next().unwrap_or_default();
            assert!(
                first.contains(&format!(":{column}: ")) && first.contains(message),
                "{assert}: want column {column} and {message:?} in\n{got}"
            );
        }
        check("latency.read.p99 25ms", 11, "no comparison in");
        check("latency.read.p99 = 25ms", 28, "unknown comparison `=`");
        check("latency.read.p99 => 25ms", 28, "unknown comparison `=>`");
        check(" < 25ms", 11, "no metric before `<`");
        check("latency.read.p99 <", 28, "no threshold after `<`");
        check("latency read.p99 < 1ms", 11, "a metric name has no spaces");
        check("latency.read.p99 < 25", 30, "missing unit");
        check("latency.read.p99 < 25 parsecs", 30, "unknown unit");
        check("client.timeouts == 0ms", 30, "expected a plain number");
        check(
            "client.timeouts <= 5%",
            30,
            "a percentage only compares with a ratio",
        );
        check(
            "cache.hit_ratio >= 120%",
            30,
            "a ratio threshold is from 0 to 1",
        );
        check("cache.hit_ratio >= lots", 30, "invalid ratio");
        check(
            "latency.read.median < 1ms",
            11,
            "a latency check names a statistic",
        );
        check(
            "latency.raed.p99 < 1ms",
            11,
            "this scenario records no histogram \"latency.raed\"",
        );
        check(
            "latency.read.p75 < 1ms",
            11,
            "results.json holds p75 only if [report] percentiles",
        );
        let help = error("[[check]]\nassert = \"latency.raed.p99 < 1ms\"\n");
        assert!(help.contains("did you mean `latency.read`?"), "{help}");
    }

    // Goal: the two forms do not mix, and a check says what it checks.
    #[test]
    fn forms_do_not_mix() {
        let both = error("[[check]]\nassert = \"client.timeouts == 0\"\nmax = 0\n");
        assert!(
            both.contains("a check with `assert` takes no `metric`, `max` or `min`"),
            "{both}"
        );
        let neither = error("[[check]]\n");
        assert!(
            neither.contains("a check needs `assert` or `metric`"),
            "{neither}"
        );
        let no_bound = error("[[check]]\nmetric = \"client.timeouts\"\n");
        assert!(
            no_bound.contains("a check needs `max`, `min` or both"),
            "{no_bound}"
        );
    }

    // Goal: --tolerance takes percentages only, so `5` can never mean 500%.
}
