//! `[report]`: the timeline window, extra percentiles, the timeline's metric and which plots
//! to draw (names from the `reports` crate's plot rows).

use sim_core::registry::Registry;
use sim_core::SimDuration;
use toml::Spanned;

use crate::format::diag::{suggest, Diagnostic, Source};
use crate::format::schema::ReportSection;
use crate::format::values::duration_at;
use models::replication::leader_follower::Reads;
use models::replication::ReplicationSpec;

/// 1 s: the default timeline window.
const WINDOW_DEFAULT: SimDuration = SimDuration::from_secs(1);

/// `[report]`, resolved.
#[derive(Clone, Debug)]
pub struct ReportConfig {
    /// Timeline window.
    pub window: SimDuration,
    /// Extra percentiles.
    pub percentiles: Vec<f64>,
    /// The metric the timeline shows.
    pub timeline_metric: Option<String>,
    /// Counters the timeline draws per second beside the requests.
    pub timeline_counters: Vec<String>,
    /// Which plots to draw; `None` for all.
    pub plots: Option<Vec<String>>,
    /// Whether clients also record `latency.<op>.with_failures` (every ended request, a
    /// timed-out one at its timeout).
    pub failures_in_latency: bool,
    /// Keys whose store history is checked for linearizability after the run, sorted.
    pub linearizability: Vec<u64>,
    /// Whether replicated stores keep the history and judge reads.
    pub consistency: bool,
}

/// Most counters `[report] timeline_counters` may name: each is a line of its own colour.
pub const TIMELINE_COUNTERS_MAX: usize = 4;

/// Most keys `[report] linearizability` may name: each keeps up to 4 096 operations and is
/// searched after the run.
pub const LINEARIZABILITY_KEYS_MAX: usize = 64;

/// The report settings; `timeline_metric` must be one of `histograms`, `plots` rows of
/// `plots`; `linearizability` needs one of `stores` (the replicated groups' schemes).
pub fn build_report(
    source: &Source,
    section: Option<&Spanned<ReportSection>>,
    histograms: &[String],
    plots: &Registry<reports::RenderPlot>,
    stores: &[ReplicationSpec],
    warnings: &mut Vec<Diagnostic>,
) -> Result<ReportConfig, Diagnostic> {
    let mut report = ReportConfig {
        window: WINDOW_DEFAULT,
        percentiles: Vec::new(),
        timeline_metric: None,
        timeline_counters: Vec::new(),
        plots: None,
        failures_in_latency: false,
        linearizability: Vec::new(),
        consistency: true,
    };
    let Some(section) = section else {
        return Ok(report);
    };
    let section = section.get_ref();
    report.failures_in_latency = section.failures_in_latency;
    if let Some(window) = &section.window {
        report.window = duration_at(source, window)?;
        if report.window == SimDuration::ZERO {
            return Err(Diagnostic::error(
                source,
                window.span(),
                "window must be longer than 0",
            ));
        }
    }
    for p in &section.percentiles {
        if !(*p.get_ref() > 0.0 && *p.get_ref() < 100.0) {
            return Err(Diagnostic::error(
                source,
                p.span(),
                format!(
                    "percentiles must be between 0 and 100 (exclusive), got {}",
                    p.get_ref()
                ),
            ));
        }
        report.percentiles.push(*p.get_ref());
    }
    if let Some(metric) = &section.timeline_metric {
        if !histograms.contains(metric.get_ref()) {
            return Err(Diagnostic::error(
                source,
                metric.span(),
                format!(
                    "timeline_metric {:?} is not a latency this scenario records",
                    metric.get_ref()
                ),
            )
            .with_help(if histograms.is_empty() {
                "this scenario records no latency histogram a timeline can show: leave \
                 timeline_metric out"
                    .to_string()
            } else {
                suggest(metric.get_ref(), histograms.iter().map(String::as_str))
            }));
        }
        report.timeline_metric = Some(metric.get_ref().clone());
    }
    for counter in &section.timeline_counters {
        // Counters exist only once a run records them, so a name is checked for its shape
        // here and for its existence on the plot (which says when one was never recorded).
        if counter.get_ref().is_empty() || report.timeline_counters.contains(counter.get_ref()) {
            return Err(Diagnostic::error(
                source,
                counter.span(),
                format!(
                    "timeline_counters names each counter once, by name; got {:?}",
                    counter.get_ref()
                ),
            )
            .with_help("e.g. timeline_counters = [\"client.attempts\"]"));
        }
        if report.timeline_counters.len() == TIMELINE_COUNTERS_MAX {
            return Err(Diagnostic::error(
                source,
                counter.span(),
                format!("the timeline draws at most {TIMELINE_COUNTERS_MAX} counters"),
            ));
        }
        report.timeline_counters.push(counter.get_ref().clone());
    }
    if let Some(wanted) = &section.plots {
        let mut chosen = Vec::new();
        for plot in wanted {
            if plots.find(plot.get_ref()).is_none() {
                return Err(Diagnostic::error(
                    source,
                    plot.span(),
                    format!("unknown plot {:?}", plot.get_ref()),
                )
                .with_help(plots.unknown(plot.get_ref()).help()));
            }
            chosen.push(plot.get_ref().clone());
        }
        report.plots = Some(chosen);
    }
    report.linearizability =
        linearizability_keys(source, &section.linearizability, stores, warnings)?;
    if let Some(consistency) = &section.consistency {
        report.consistency = *consistency.get_ref();
        if !report.consistency && !report.linearizability.is_empty() {
            return Err(Diagnostic::error(
                source,
                consistency.span(),
                "consistency = false keeps no history, and `linearizability` checks one",
            )
            .with_help("drop `linearizability`, or leave `consistency` on"));
        }
    }
    Ok(report)
}

/// `[report] linearizability`: the keys, checked against the scenario's stores.
fn linearizability_keys(
    source: &Source,
    given: &[Spanned<toml::Value>],
    stores: &[ReplicationSpec],
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<u64>, Diagnostic> {
    let Some(first) = given.first() else {
        return Ok(Vec::new());
    };
    if stores.is_empty() {
        return Err(Diagnostic::error(
            source,
            first.span(),
            "`linearizability` checks a replicated store's history, and no group is a `store`",
        )
        .with_help("add a group with role = \"store\", or drop `linearizability`"));
    }
    if given.len() > LINEARIZABILITY_KEYS_MAX {
        return Err(Diagnostic::error(
            source,
            given[LINEARIZABILITY_KEYS_MAX].span(),
            format!(
                "`linearizability` names {} keys; at most {LINEARIZABILITY_KEYS_MAX} are checked",
                given.len()
            ),
        ));
    }
    let mut keys = Vec::with_capacity(given.len());
    for value in given {
        let key = match value.get_ref() {
            toml::Value::Integer(k) if *k >= 0 => Some(*k as u64),
            toml::Value::String(text) => text.strip_prefix("key-").and_then(|k| k.parse().ok()),
            _ => None,
        };
        let Some(key) = key else {
            return Err(Diagnostic::error(
                source,
                value.span(),
                "a key is a whole number >= 0 or \"key-<n>\"",
            )
            .with_help("e.g. linearizability = [17, \"key-42\"]"));
        };
        keys.push(key);
    }
    keys.sort_unstable();
    keys.dedup();
    let reads_any = stores
        .iter()
        .any(|spec| matches!(spec, ReplicationSpec::LeaderFollower(lf) if lf.reads == Reads::Any));
    if reads_any {
        warnings.push(Diagnostic::warning(
            source,
            first.span(),
            "a store here serves reads from followers (reads = \"any\"), which may be stale by design: the linearizability check will report its stale reads as violations",
        ));
    }
    Ok(keys)
}
