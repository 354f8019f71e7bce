//! Request outcomes: every request a client issues ends exactly once (or is still in flight),
//! failures show per window where a fault puts them, and breakdowns by client group and region
//! add up to the whole population.

mod common;

use std::ops::ControlFlow;

use reports::ResultsFile;

use common::{examples, results_of};
use scenarios::run::{run, run_data, run_with, RunOptions};
use sim_core::{Metrics, Outcome, OutcomeId};

fn tally(metrics: &Metrics, name: &str) -> OutcomeId {
    metrics
        .outcome_tallies()
        .find(|(n, _, _, _)| *n == name)
        .unwrap_or_else(|| panic!("no tally {name}"))
        .2
}

// Goal: on every shipped example with clients the books balance for every tally — in flight at the start
// plus issued equals the sum of the outcomes plus in flight — and each client's own count of
// issued and ended requests matches what it holds (checked by --paranoid every 4,096 events).
// Method: each example shortened to 3 s (warm-up kept where it fits, so the carried count is
// exercised), run with paranoid checks.
#[test]
fn every_example_keeps_the_books() {
    for path in examples() {
        let set = ["simulation.duration=\"3s\"".to_string()];
        let mut scenario = scenarios::load(&path, &set).unwrap_or_else(|e| panic!("{e}"));
        if !scenario.groups.iter().any(|g| g.role == "client") {
            // No requests to keep books of (a gossip broadcast).
            continue;
        }
        scenario.warmup = scenario.warmup.min(sim_core::SimDuration::from_secs(1));
        let seed = scenario.seed.unwrap_or(1);
        let options = RunOptions {
            paranoid_every: std::num::NonZeroU64::new(4_096),
            ..RunOptions::default()
        };
        let outcome = run_with(&scenario, seed, options, &mut |_| ControlFlow::Continue(()));
        let results = reports::build_results(&run_data(&scenario, &outcome)).unwrap();
        let name = path.display();
        assert!(!results.outcomes.is_empty(), "{name}: no outcomes");
        assert!(results.outcomes_invariant.is_some());
        for (tally, entry) in &results.outcomes {
            assert!(
                entry.balances(),
                "{name}: {tally} does not balance: {entry:?}"
            );
            // The latency histogram counts exactly the requests that ended ok.
            let latency = entry.latency.as_ref().expect("client tallies are linked");
            assert_eq!(results.metrics[latency].count, entry.ok, "{name}: {tally}");
        }
        // The tallies against the client's counters, which count the same events by another
        // path (responses by status, timeouts as their timers fire); lost requests have no
        // counter of their own.
        let all = &results.outcomes["requests.all"];
        let counter = |name: &str| results.counters[name];
        assert_eq!(all.issued, counter("client.requests"), "{name}");
        assert_eq!(all.timeout, counter("client.timeouts"), "{name}");
        assert_eq!(all.ok, counter("client.responses.ok"), "{name}");
        assert_eq!(all.rejected, counter("client.responses.busy"), "{name}");
        assert_eq!(all.error, counter("client.responses.unavailable"), "{name}");
        assert_eq!(all.miss, counter("client.responses.miss"), "{name}");
    }
}

/// One client sending evenly spaced reads to one server; the server is down from 1 s to 2 s.
const OUTAGE: &str = r#"
[simulation]
name = "outage"
seed = 3
duration = "3s"

[network]
latency = { dist = "constant", value = "200us" }

[[group]]
name = "clients"
count = 1
role = "client"
target = "servers"
timeout = "50ms"
workload = { arrivals = "constant", rate = "1k/s" }

[[group]]
name = "servers"
count = 1
role = "server"
service = { workers = 4, time = { dist = "constant", value = "1ms" } }

[[fault]]
at = "1s"
crash = "servers"
restart_after = "1s"

[report]
window = "100ms"
"#;

// Goal: failures land in the windows a fault puts them in. Expected values, from the scenario
// alone: requests go out every 1 ms (1,000/s) and take ~1.4 ms when the server is up; from
// 1 s to 2 s the server is down, so every request sent then is dropped and times out 50 ms
// later. So no request ends ok in windows 10..=19 (1.0–2.0 s); in windows 11..=19 every
// window holds the timeouts of the 100 requests sent 50 ms earlier (±1 for where the
// arrivals' phase falls); and before the crash and from window 21 on, nothing times out and
// every window has ~100 ok.
#[test]
fn an_outage_shows_as_timeouts_in_its_windows() {
    let scenario = scenarios::load_text("outage.toml", OUTAGE, &[]).unwrap();
    let outcome = run(&scenario, 3, &mut |_| ControlFlow::Continue(()));
    let metrics = outcome.sim.metrics();
    let all = tally(metrics, "requests.all");
    let windows = metrics.windows();
    assert_eq!(windows.len(), 30);
    let per = |w: usize, o: Outcome| windows[w].outcomes(all).count(o);
    for w in 10..=19 {
        assert_eq!(per(w, Outcome::Ok), 0, "window {w}: nothing answers");
    }
    for w in 11..=19 {
        let timeouts = per(w, Outcome::Timeout);
        assert!((99..=101).contains(&timeouts), "window {w}: {timeouts}");
    }
    for w in (0..10).chain(21..30) {
        assert_eq!(per(w, Outcome::Timeout), 0, "window {w}");
        let ok = per(w, Outcome::Ok);
        assert!((98..=101).contains(&ok), "window {w}: {ok} ok");
    }
    // The one-line verdict says the same, and where: of ~3,000 requests, the 1,000 sent
    // during the outage and the one or two in flight when it began timed out (33.3–33.4%),
    // all of them during the outage.
    let results = reports::build_results(&run_data(&scenario, &outcome)).unwrap();
    let verdict = results.verdict.expect("a verdict");
    let (ok, rest) = verdict
        .split_once("% ok; ")
        .expect("starts with the ok share");
    let ok: f64 = ok.parse().unwrap();
    assert!((66.5..=66.7).contains(&ok), "{verdict}");
    assert!(
        rest.ends_with("% timeouts — 100% of the failures during crash_restart 1–2 s"),
        "{verdict}"
    );
    // The report opens with it, before any table, and lists the requests that failed.
    let dir = std::env::temp_dir().join(format!("distsim-outage-{}", std::process::id()));
    let written = reports::write_run(&dir, &run_data(&scenario, &outcome)).unwrap();
    let html = std::fs::read_to_string(&written.report_html).unwrap();
    let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    assert!(at("id=\"verdict\"") < at("<h2>"));
    assert!(html[at("id=\"verdict\"")..].contains(&verdict));
    assert!(at("<h2>Requests</h2>") < at("<h2>Metrics</h2>"));
    std::fs::remove_dir_all(&dir).unwrap();
    // Offered load is steady throughout: the client does not know the server is down.
    for (w, window) in windows.iter().enumerate().skip(1) {
        let issued = window.outcomes(all).issued;
        assert!((99..=101).contains(&issued), "window {w}: {issued} issued");
    }
}

// Goal: `[report] failures_in_latency` adds a latency that counts failures: every request
// that ended, a timed-out one at its timeout. Expected, from the outage scenario: its count
// is ok + timeouts (nothing is lost), and with a third of the requests timed out at 50 ms,
// its p99 (and median of the slowest third) is the timeout, while the ok-only p99 stays
// near the 1.4 ms service round trip.
#[test]
fn latency_with_failures_counts_timeouts_at_their_timeout() {
    let set = ["report.failures_in_latency=true".to_string()];
    let scenario = scenarios::load_text("outage.toml", OUTAGE, &set).unwrap();
    let results = results_of(&scenario, 3);
    let all = &results.outcomes["requests.all"];
    let with = &results.metrics["latency.all.with_failures"];
    assert_eq!(
        with.count,
        all.ok + all.timeout + all.miss + all.rejected + all.error
    );
    // 50 ms within the histogram's 0.1% resolution.
    let p99 = with.p99.unwrap();
    assert!((49_950_000..=50_050_000).contains(&p99), "{p99}");
    assert!(results.metrics["latency.all"].p99.unwrap() < 2_000_000);
    // Without the switch there is no such histogram.
    let plain = scenarios::load_text("outage.toml", OUTAGE, &[]).unwrap();
    assert!(!results_of(&plain, 3)
        .metrics
        .contains_key("latency.all.with_failures"));
    // And a check can name it.
    let checked = OUTAGE.to_string()
        + "failures_in_latency = true\n\n[[check]]\nassert = \"latency.all.with_failures.p99 < 60ms\"\n";
    assert!(scenarios::load_text("outage.toml", &checked, &[]).is_ok());
}

/// Two client groups in two regions, sharing a server group in the first region.
const TWO_GROUPS: &str = r#"
[simulation]
name = "two-groups"
seed = 11
duration = "2s"

[[region]]
name = "eu"
zones = ["eu-1"]

[[region]]
name = "us"
zones = ["us-1"]

[[network.rule]]
between = ["eu", "us"]
latency = { dist = "constant", value = "40ms" }

[[group]]
name = "eu-users"
count = 2
role = "client"
zone = "eu-1"
target = "servers"
timeout = "200ms"
workload = { rate = "300/s", read = 0.8, write = 0.2 }

[[group]]
name = "us-users"
count = 3
role = "client"
zone = "us-1"
target = "servers"
timeout = "200ms"
workload = { rate = "200/s" }

[[group]]
name = "servers"
count = 2
role = "server"
zone = "eu-1"
service = { workers = 2, time = { dist = "exp", mean = "2ms" } }
"#;

// Goal: breakdowns by client group and by region add up to the whole population, count for
// count and outcome for outcome, and show what each population saw (the distant region pays
// the 80 ms round trip). Method: two client groups in two regions against one server group.
#[test]
fn group_and_region_breakdowns_add_up() {
    let scenario = scenarios::load_text("two.toml", TWO_GROUPS, &[]).unwrap();
    let results = results_of(&scenario, 11);
    let count = |name: &str| results.metrics[name].count;
    for op in ["all", "read", "write"] {
        let whole = count(&format!("latency.{op}"));
        assert!(whole > 0);
        let groups = count(&format!("latency.{op}{{group=eu-users}}"))
            + count(&format!("latency.{op}{{group=us-users}}"));
        let regions = count(&format!("latency.{op}{{region=eu}}"))
            + count(&format!("latency.{op}{{region=us}}"));
        assert_eq!(groups, whole, "latency.{op} by group");
        assert_eq!(regions, whole, "latency.{op} by region");
        let outcome = |name: String| results.outcomes[&name].clone();
        let whole = outcome(format!("requests.{op}"));
        let eu = outcome(format!("requests.{op}{{group=eu-users}}"));
        let us = outcome(format!("requests.{op}{{group=us-users}}"));
        assert_eq!(eu.issued + us.issued, whole.issued, "{op}");
        assert_eq!(eu.timeout + us.timeout, whole.timeout, "{op}");
        assert_eq!(eu.failed + us.failed, whole.failed, "{op}");
    }
    // The groups are the regions here, so each pair is the same figures.
    assert_eq!(
        results.metrics["latency.all{group=us-users}"],
        results.metrics["latency.all{region=us}"]
    );
    // US users pay two 40 ms crossings; EU users do not.
    let p50 = |name: &str| results.metrics[name].p50.unwrap();
    assert!(p50("latency.all{region=us}") > 80_000_000);
    assert!(p50("latency.all{region=eu}") < 10_000_000);
    // US writes never happen (reads only), so their breakdown has no samples.
    assert_eq!(count("latency.write{group=us-users}"), 0);
    // A check can name a breakdown.
    let value = reports::metric_value(&results, "requests.all{group=eu-users}.success_ratio")
        .and_then(|m| m.value)
        .unwrap();
    assert!(value > 0.99, "{value}");
}

// Goal: a single client group in a single region is not broken down (the breakdown would
// repeat the whole-population figures). Method: the outage scenario's metric names.
#[test]
fn one_group_has_no_breakdown() {
    let scenario = scenarios::load_text("outage.toml", OUTAGE, &[]).unwrap();
    let results = results_of(&scenario, 3);
    assert!(results.metrics.keys().all(|name| !name.contains('{')));
    assert!(results.outcomes.keys().all(|name| !name.contains('{')));
}

/// Closed-loop clients that crash while their requests are outstanding.
const CLIENT_CRASH: &str = r#"
[simulation]
name = "client-crash"
seed = 2
duration = "1s"

[[group]]
name = "clients"
count = 2
role = "client"
target = "servers"
timeout = "1s"
workload = { concurrency = 4, think_time = { dist = "constant", value = "0ms" } }

[[group]]
name = "servers"
count = 1
role = "server"
service = { workers = 1, time = { dist = "constant", value = "10ms" } }

[[fault]]
at = "505ms"
crash = "clients"
"#;

// Goal: a client that crashes with requests outstanding counts them lost, so they are not
// left "in flight" forever. Expected: 2 clients × 4 slots, one server working 10 ms at a
// time: at any moment 8 requests are outstanding; at the crash (which no answer coincides
// with: answers leave at multiples of 10 ms plus the network's zero latency) all 8 are lost,
// and with the clients down nothing is in flight at the end.
#[test]
fn a_crashing_client_loses_its_outstanding_requests() {
    let scenario = scenarios::load_text("crash.toml", CLIENT_CRASH, &[]).unwrap();
    let results = results_of(&scenario, 2);
    let all = &results.outcomes["requests.all"];
    assert_eq!(all.lost, 8, "{all:?}");
    assert_eq!(all.in_flight, 0, "{all:?}");
    assert!(all.balances());
}

/// One client spreading evenly spaced requests at random over two servers; servers[1] is down
/// from 1 s to 2 s.
const FAILOVER: &str = r#"
[simulation]
name = "failover"
seed = 5
duration = "3s"

[network]
latency = { dist = "constant", value = "200us" }

[[group]]
name = "clients"
count = 1
role = "client"
target = "servers"
routing = "random"
timeout = "10ms"
failover = "100ms"
workload = { arrivals = "constant", rate = "1k/s" }

[[group]]
name = "servers"
count = 2
role = "server"
service = { workers = 4, time = { dist = "constant", value = "1ms" } }

[[fault]]
at = "1s"
crash = "servers[1]"
restart_after = "1s"
"#;

// Goal: a client routes around a target it has seen fail, probes it once per re-probe
// interval, and returns to it after its restart. Expected, from the scenario: at 1,000
// requests/s split at random over two servers, the dead one gets ~500 in the 1 s outage
// without failover (`failover = "off"`: each times out). With a 100 ms re-probe interval and
// a 10 ms timeout, it gets only the requests sent before each failure is noticed: about half
// of the 10 sent in the 10 ms after the crash and after each of the ~10 re-probes, so ~55,
// and (1 + 1 s / 100 ms) × 10 = 110 at most. Afterwards both servers serve again.
#[test]
fn failover_skips_a_dead_target_and_probes_it() {
    let with = scenarios::load_text("failover.toml", FAILOVER, &[]).unwrap();
    let results = results_of(&with, 5);
    let timeouts = results.outcomes["requests.all"].timeout;
    assert!((20..=110).contains(&timeouts), "{timeouts} timeouts");
    assert!(results.counters["client.failovers"] >= 5);
    let off = ["group.clients.failover=\"off\"".to_string()];
    let without = scenarios::load_text("failover.toml", FAILOVER, &off).unwrap();
    let results_off = results_of(&without, 5);
    let timeouts_off = results_off.outcomes["requests.all"].timeout;
    // ~500: binomial(1000, 1/2), so within ±5 sigma (±80).
    assert!(
        (420..=580).contains(&timeouts_off),
        "{timeouts_off} timeouts"
    );
    assert_eq!(results_off.counters["client.failovers"], 0);
    // After the restart servers[1] works again: up for 2 s less at most one re-probe
    // interval, at half of 1,000/s, it serves ~950 (binomial sd ~22), so more than 850.
    let work = |r: &ResultsFile| {
        r.nodes
            .iter()
            .find(|n| n.name == "servers[1]")
            .unwrap()
            .work_completed
    };
    assert!(work(&results) > 850, "{}", work(&results));
}
