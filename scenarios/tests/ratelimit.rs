//! Rate limits through the engine, against the counts their definitions give exactly:
//!
//! - a fixed window of 100 per 60 s under constant demand admits exactly 100 per client per
//!   aligned window;
//! - a token bucket (rate r, burst b) under demand above its rate admits b + ⌊T·r⌋ over T
//!   (within one request: arrivals are 100 ms apart);
//! - a shaper admits at its rate and holds no request longer than its queue takes to drain;
//! - a limit enforced per node by n proxies lets n times the limit through, and per group
//!   (each node its share) the limit itself, when clients spread requests evenly.
//!
//! docs/validation.md describes the method.

use std::ops::ControlFlow;

use scenarios::run::run;
use sim_core::Metrics;

/// Two clients at a constant 10 requests/s each (routed `routing`) against `edge` (`edge`
/// lines: its role and limit) in front of one instant server, for 119 s.
fn metrics(edge: &str, routing: &str) -> Metrics {
    let text = format!(
        "[simulation]\nname = \"ratelimit\"\nseed = 1\nduration = \"119s\"\n\n\
         [network]\nlatency = {{ dist = \"constant\", value = \"1ms\" }}\n\n\
         [[group]]\nname = \"clients\"\ncount = 2\nrole = \"client\"\ntarget = \"edge\"\nrouting = \"{routing}\"\ntimeout = \"1s\"\n\
         workload = {{ arrivals = \"constant\", rate = \"10/s\", keys = {{ dist = \"uniform\", n = 10 }}, read = 1.0 }}\n\n\
         [[group]]\nname = \"edge\"\n{edge}\n\n\
         [[group]]\nname = \"api\"\ncount = 1\nrole = \"server\"\n"
    );
    let scenario = scenarios::load_text("ratelimit.toml", &text, &[]).expect("valid scenario");
    run(&scenario, 1, &mut |_| ControlFlow::Continue(()))
        .sim
        .metrics()
        .clone()
}

fn counter(metrics: &Metrics, name: &str) -> u64 {
    metrics.counter_by_name(name)
}

// Goal: a fixed window admits exactly its limit per client in each aligned window: over
// [0, 119 s), two windows, 2 × 100 per client, whatever the demand (10/s, 600 per window),
// and everything else is answered rate_limited.
#[test]
fn a_fixed_window_admits_its_limit_per_window() {
    let m = metrics(
        "count = 1\nrole = \"ratelimiter\"\nbackends = \"api\"\nlimit = { algorithm = \"fixed_window\", rate = \"100/60s\", key = \"client\" }",
        "random",
    );
    assert_eq!(counter(&m, "ratelimit.admitted"), 400);
    let sent = counter(&m, "client.requests");
    // Each client's last request may still be on its way at the end (1 ms).
    let rejected = counter(&m, "ratelimit.rejected");
    assert!(
        (sent - 400 - 2..=sent - 400).contains(&rejected),
        "{rejected}"
    );
    // Each client's last answer may still be on its way at the end (1 ms).
    let refused = counter(&m, "client.responses.rate_limited");
    assert!(
        (sent - 400 - 2..=sent - 400).contains(&refused),
        "{refused}"
    );
    assert_eq!(counter(&m, "client.responses.ok"), 400);
}

// Goal: a token bucket with burst 100 and rate 100 per 60 s, under 10/s per client, admits
// its burst and then one request per token: 100 + ⌊119 s × 100/60 s⌋ = 298 per client over the
// run, within one (a token that comes in the last 100 ms may find no arrival left).
#[test]
fn a_token_bucket_admits_burst_plus_rate_times_time() {
    let m = metrics_direct(
        "limit = { algorithm = \"token_bucket\", rate = \"100/60s\", key = \"client\" }",
    );
    let admitted = counter(&m, "ratelimit.admitted");
    let expected = 2 * (100 + 119 * 100 / 60);
    assert!(
        (expected - 2..=expected).contains(&admitted),
        "{admitted} admitted, expected {expected} (within one per client)"
    );
}

/// Two clients at 10/s straight to one server whose `limit` line is given, for 119 s.
fn metrics_direct(limit: &str) -> Metrics {
    let text = format!(
        "[simulation]\nname = \"ratelimit\"\nseed = 1\nduration = \"119s\"\n\n\
         [network]\nlatency = {{ dist = \"constant\", value = \"1ms\" }}\n\n\
         [[group]]\nname = \"clients\"\ncount = 2\nrole = \"client\"\ntarget = \"api\"\ntimeout = \"10s\"\n\
         workload = {{ arrivals = \"constant\", rate = \"10/s\", keys = {{ dist = \"uniform\", n = 10 }}, read = 1.0 }}\n\n\
         [[group]]\nname = \"api\"\ncount = 1\nrole = \"server\"\n{limit}\n"
    );
    let scenario = scenarios::load_text("ratelimit.toml", &text, &[]).expect("valid scenario");
    run(&scenario, 1, &mut |_| ControlFlow::Continue(()))
        .sim
        .metrics()
        .clone()
}

// Goal: a shaper (rate 5/s, burst 1, queue 10) under 10/s per client admits at its rate and
// delays, never beyond the queue's drain time (10 waiting at 5/s: 2 s), and rejects the rest.
// Over 119 s a client's shaper releases 1 + ⌊119 × 5⌋ = 596, and admits (at decision) up to
// its queue's 10 more that are still waiting at the end.
#[test]
fn a_shaper_admits_at_its_rate_and_delays_within_its_queue() {
    let m = metrics_direct(
        "limit = { algorithm = \"shaper\", rate = \"5/s\", burst = 1, queue = 10, key = \"client\" }",
    );
    let admitted = counter(&m, "ratelimit.admitted");
    let expected = 2 * (1 + 119 * 5);
    assert!(
        (expected..=expected + 2 * 10).contains(&admitted),
        "{admitted} admitted, expected {expected}"
    );
    let delay = m.histogram_by_name("ratelimit.delay").expect("recorded");
    // 2 s, plus the histogram's resolution at 2 s (3 significant digits: 0.1 %, 2 ms).
    assert!(
        delay.max() <= 2_000_000_000 + 2_000_000,
        "{} ns",
        delay.max()
    );
    assert!(counter(&m, "ratelimit.delayed") > admitted / 2);
    assert!(counter(&m, "ratelimit.rejected") > 0);
}

// Goal: two proxies, each client alternating between them (round robin): enforcing the
// limit per node lets twice the limit through; per group (each node half of it) exactly the
// limit, as one proxy would.
#[test]
fn per_node_limits_multiply_and_per_group_limits_divide() {
    let edge = |per: &str| {
        format!("count = 2\nrole = \"ratelimiter\"\nbackends = \"api\"\nlimit = {{ algorithm = \"fixed_window\", rate = \"100/60s\", key = \"client\", per = \"{per}\" }}")
    };
    let per_node = metrics(&edge("node"), "round_robin");
    assert_eq!(counter(&per_node, "ratelimit.admitted"), 2 * 400);
    let per_group = metrics(&edge("group"), "round_robin");
    assert_eq!(counter(&per_group, "ratelimit.admitted"), 400);
}
