//! Metrics declare their meaning where they are recorded: every built-in family's table says
//! what the docs say (`docs/ci.md`: latency up is bad, hit ratio down is bad, successful
//! requests down are bad, bad-event counters up are bad, workload and traffic counters have no
//! direction), the run writes it into `results.json`, and `check` reads it from there. Every
//! metric a shipped example records has a declared meaning, so a baseline can guard it.

mod common;

use std::ops::ControlFlow;

use reports::{direction_of, Direction, MetricUnit};

use common::{examples, results_of};
use scenarios::run::{run, run_data};
use sim_core::metrics::MetricKind;

/// Clients through a balancer to a read-through cache in front of a database, with a crash:
/// every built-in family records.
const EVERY_FAMILY: &str = r#"
[simulation]
name = "every-family"
seed = 5
duration = "1s"

[[group]]
name = "clients"
count = 2
role = "client"
target = "lb"
timeout = "100ms"
workload = { rate = "1k/s", keys = { dist = "zipf", n = 500, s = 0.9 }, read = 0.9, write = 0.1 }

[[group]]
name = "lb"
count = 1
role = "balancer"
backends = "cache"
health_check = { interval = "50ms", timeout = "20ms", unhealthy = 2, healthy = 1 }

[[group]]
name = "cache"
count = 2
role = "cache"
capacity = 100
backend = "db"
write = "back"

[[group]]
name = "db"
count = 1
role = "server"
service = { workers = 4, time = { dist = "exp", mean = "2ms" } }

[[fault]]
at = "400ms"
crash = "cache[1]"
restart_after = "200ms"
"#;

#[test]
fn every_family_declares_the_documented_directions() {
    use Direction::*;
    let scenario = scenarios::load_text("every-family.toml", EVERY_FAMILY, &[]).unwrap();
    let results = results_of(&scenario, scenario.seed.unwrap_or(1));
    for (metric, want) in [
        ("latency.read.p99", HigherIsWorse),
        ("latency.all.mean", HigherIsWorse),
        ("latency.read.count", LowerIsWorse),
        ("service.db.wait.p999", HigherIsWorse),
        ("service.db.sojourn.count", Neutral),
        ("cache.hit_ratio", LowerIsWorse),
        ("cache.hits", LowerIsWorse),
        ("client.responses.ok", LowerIsWorse),
        ("client.timeouts", HigherIsWorse),
        ("client.error_ratio", HigherIsWorse),
        ("net.dropped.total", HigherIsWorse),
        ("net.dropped.partition", HigherIsWorse),
        ("work.lost.crash", HigherIsWorse),
        ("cache.writes_lost", HigherIsWorse),
        ("balancer.forwarded", Neutral),
        ("client.requests", Neutral),
        ("net.sent", Neutral),
        ("faults.fired", Neutral),
    ] {
        assert!(
            reports::metric_value(&results, metric).is_some(),
            "{metric} is in the results"
        );
        assert_eq!(direction_of(&results, metric), want, "{metric}");
    }
    // Units come with them.
    let unit = |name: &str| results.meanings[name].unit;
    assert_eq!(unit("latency.read"), MetricUnit::Nanoseconds);
    assert_eq!(unit("cache.hits"), MetricUnit::Count);
    assert_eq!(results.derived["cache.hit_ratio"].unit, MetricUnit::Ratio);
}

// Goal: a baseline can guard every metric the shipped examples record, because each has a
// declared unit and direction in results.json. Method: each example, shortened to 2 s.
#[test]
fn every_metric_an_example_records_has_a_declared_meaning() {
    for path in examples() {
        let set = [
            "simulation.duration=\"2s\"".to_string(),
            "simulation.warmup=\"0s\"".to_string(),
        ];
        let scenario = scenarios::load(&path, &set).unwrap_or_else(|e| panic!("{e}"));
        let seed = scenario.seed.unwrap_or(1);
        let outcome = run(&scenario, seed, &mut |_| ControlFlow::Continue(()));
        let metrics = outcome.sim.metrics();
        let counters = metrics
            .counters()
            .map(|(name, _, _)| (name, MetricKind::Counter));
        let histograms = metrics
            .histograms()
            .map(|(name, _, _)| (name, MetricKind::Histogram));
        for (name, kind) in counters.chain(histograms) {
            assert!(
                metrics.meaning(name, kind).is_some(),
                "{}: `{name}` is recorded without a declared meaning",
                path.display()
            );
        }
        // And results.json carries each declaration.
        let results = reports::build_results(&run_data(&scenario, &outcome)).unwrap();
        for (name, meaning) in &results.meanings {
            assert!(
                !meaning.description.is_empty(),
                "{}: {name}",
                path.display()
            );
        }
        assert!(!results.meanings.is_empty(), "{}", path.display());
        // results.json is streamed from the structs; its keys must come out exactly as a
        // sorted JSON tree would put them.
        let mut streamed = Vec::new();
        reports::write_results(&mut streamed, &results).unwrap();
        let sorted = reports::sorted_results_json(&results).unwrap();
        let at = streamed
            .iter()
            .zip(&sorted)
            .position(|(a, b)| a != b)
            .unwrap_or(streamed.len().min(sorted.len()));
        assert!(
            streamed == sorted,
            "{}: results.json keys are not in sorted order; from byte {at} it streams {:?} where sorted is {:?}",
            path.display(),
            String::from_utf8_lossy(&streamed[at.saturating_sub(200)..(at + 100).min(streamed.len())]),
            String::from_utf8_lossy(&sorted[at.saturating_sub(200)..(at + 100).min(sorted.len())]),
        );
    }
}

// Goal: the timeline has no trailing window holding only events at exactly t = duration (it
// plotted as a plunge to zero). Method: the every-family scenario (1 s; its balancer probes
// every 50 ms, so probes are sent at exactly 1 s) with 100 ms windows: exactly 10 windows, and
// the probes sent at the end count in the tenth.
#[test]
fn the_timeline_ends_with_the_run() {
    let set = ["report.window=\"100ms\"".to_string()];
    let scenario = scenarios::load_text("every-family.toml", EVERY_FAMILY, &set).unwrap();
    let outcome = run(&scenario, 5, &mut |_| ControlFlow::Continue(()));
    let metrics = outcome.sim.metrics();
    let windows = metrics.windows();
    assert_eq!(windows.len(), 10);
    let (_, sent, _) = metrics
        .counters()
        .find(|(name, _, _)| *name == "net.sent")
        .unwrap();
    let per_window: Vec<u64> = windows.iter().map(|w| w.counter(sent)).collect();
    let (last, rest) = per_window.split_last().unwrap();
    // The last window holds as much traffic as a typical one, not a sliver.
    let typical = rest.iter().sum::<u64>() / rest.len() as u64;
    assert!(*last * 2 > typical, "{per_window:?}");
}
