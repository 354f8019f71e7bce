//! Validation of client resilience against its exact formulas, through the engine:
//!
//! - retries with an independent failure probability p per attempt and at most k attempts:
//!   a request succeeds with probability 1 − p^k and takes (1 − p^k) / (1 − p) attempts on
//!   average (the attempts until the first success, truncated at k);
//! - a retry waits exactly its backoff: with no jitter, a request that succeeded on its
//!   second attempt took the timeout, the base, and a round trip;
//! - a retry budget of ratio r holds retries to r × requests plus its burst, however many
//!   attempts fail.
//!
//! docs/validation.md describes the method. Each tolerance is a number of standard errors of
//! the estimate, from the request count (5 SE: a correct simulator fails a check about once in
//! 1.7 million).

use std::ops::ControlFlow;

use scenarios::run::run;
use sim_core::{Metrics, Outcome};

/// Standard errors a check allows.
const SE_ALLOWED: f64 = 5.0;

/// Clients (`clients` lines) against one instant server over a constant 1 ms network with
/// `network` lines added, for `seconds`.
fn scenario(seconds: u64, network: &str, clients: &str) -> scenarios::Scenario {
    let text = format!(
        "[simulation]\nname = \"resilience-validation\"\nseed = 1\nduration = \"{seconds}s\"\n\n\
         [network]\nlatency = {{ dist = \"constant\", value = \"1ms\" }}\n{network}\n\n\
         [[group]]\nname = \"clients\"\ncount = 10\nrole = \"client\"\ntarget = \"api\"\n{clients}\n\n\
         [[group]]\nname = \"api\"\ncount = 1\nrole = \"server\"\n"
    );
    scenarios::load_text("resilience.toml", &text, &[]).expect("valid scenario")
}

fn metrics_of(scenario: &scenarios::Scenario) -> Metrics {
    run(scenario, 1, &mut |_| ControlFlow::Continue(()))
        .sim
        .metrics()
        .clone()
}

/// `requests.all`'s totals.
fn requests_of(metrics: &Metrics) -> sim_core::OutcomeTally {
    *metrics
        .outcome_tallies()
        .find(|(name, _, _, _)| *name == "requests.all")
        .expect("clients tally their requests")
        .3
}

// Goal: with loss q on every message, an attempt fails (its request or its answer lost, so it
// times out) with p = 1 − (1 − q)², independently; with 3 attempts a request succeeds with
// 1 − p³ and takes (1 − p³)/(1 − p) attempts on average.
// Method: 10 clients at 200/s each for 10 s (20,000 requests), loss 0.2 (p = 0.36), a 10 ms
// timeout (a round trip is 2 ms, so only lost messages time out), immediate retries.
// Tolerances: 5 binomial standard errors of the success ratio; for the mean attempts, 5
// standard errors from the truncated geometric's variance.
#[test]
fn retries_succeed_with_one_minus_p_to_the_k() {
    let q: f64 = 0.2;
    let p = 1.0 - (1.0 - q).powi(2);
    let k = 3;
    let clients = format!(
        "timeout = \"10ms\"\nretry = {{ attempts = {k}, on = [\"timeout\"] }}\n\
         workload = {{ arrivals = \"poisson\", rate = \"200/s\", keys = {{ dist = \"uniform\", n = 100 }}, read = 1.0, value_size = {{ dist = \"constant\", value = \"100B\" }} }}"
    );
    let metrics = metrics_of(&scenario(10, &format!("loss = {q}"), &clients));
    let tally = requests_of(&metrics);
    assert_eq!(tally.in_flight(), Some(tally.issued - tally.ended_total()));
    // Requests still in flight at the end (the last 30 ms) are left out of both counts.
    let ended = (tally.count(Outcome::Ok) + tally.count(Outcome::Timeout)) as f64;
    assert!(ended > 19_000.0, "{ended} requests ended");
    let success = tally.count(Outcome::Ok) as f64 / ended;
    let expected = 1.0 - p.powi(k);
    let se = (expected * (1.0 - expected) / ended).sqrt();
    eprintln!("success ratio {success:.4} vs 1 - p^k = {expected:.4} (SE {se:.4})");
    assert!((success - expected).abs() < SE_ALLOWED * se);

    // Attempts per ended request: min(Geometric(1 - p), k).
    let attempts = metrics
        .histogram_by_name("client.attempts_per_request")
        .expect("recorded with a retry policy");
    let n = attempts.len() as f64;
    let mean = attempts.mean();
    let expected_mean = (1.0 - p.powi(k)) / (1.0 - p);
    // E[A²] for A = min(G, k): sum over a of a² P(A = a).
    let second: f64 = (1..=k)
        .map(|a| {
            let pa = if a < k {
                p.powi(a - 1) * (1.0 - p)
            } else {
                p.powi(k - 1)
            };
            f64::from(a * a) * pa
        })
        .sum();
    let se = ((second - expected_mean * expected_mean) / n).sqrt();
    eprintln!("mean attempts {mean:.4} vs (1 - p^k)/(1 - p) = {expected_mean:.4} (SE {se:.4})");
    assert!((mean - expected_mean).abs() < SE_ALLOWED * se);
    assert_eq!(attempts.max(), k as u64, "never more than k attempts");
    let sent = metrics.counter_by_name("client.attempts");
    let retries = metrics.counter_by_name("client.retries");
    assert_eq!(
        sent,
        tally.issued + retries,
        "every attempt is a request or a retry"
    );
}

// Goal: a retry without jitter waits exactly its backoff. Method: loss 0.3 and a 10 ms
// timeout as above, base 50 ms: a request answered on its second attempt took 10 ms (the
// first attempt's timeout) + 50 ms + 2 ms (the second's round trip), on its third 10 + 50 +
// 10 + 100 + 2 ms (the backoff doubled); the latency histogram (3 significant digits) has
// exactly those three values.
#[test]
fn a_retry_waits_its_backoff() {
    let clients = "timeout = \"10ms\"\nretry = { attempts = 3, base = \"50ms\", jitter = \"none\" }\n\
         workload = { arrivals = \"poisson\", rate = \"50/s\", keys = { dist = \"uniform\", n = 100 }, read = 1.0, value_size = { dist = \"constant\", value = \"100B\" } }";
    let metrics = metrics_of(&scenario(10, "loss = 0.3", clients));
    let latency = metrics.histogram_by_name("latency.all").expect("recorded");
    let values: Vec<u64> = latency
        .iter_recorded()
        .map(|v| latency.highest_equivalent(v.value_iterated_to()) / 1_000_000)
        .collect();
    assert_eq!(
        values,
        [2, 62, 172],
        "latencies in ms of 1, 2 and 3 attempts"
    );
}

// Goal: a budget of ratio r and burst b lets at most r × requests + b retries through per
// client, however many attempts fail. Method: every request to a partitioned server times
// out (the server is cut off for the whole run); with budget 0.1 and burst 5 over 10 clients,
// retries ≤ 0.1 × requests + 50, and every retry the policy wanted beyond that is denied.
#[test]
fn a_budget_holds_retries_to_its_ratio() {
    let clients = "timeout = \"10ms\"\nretry = { attempts = 3, budget = { ratio = 0.1, burst = 5 } }\n\
         workload = { arrivals = \"poisson\", rate = \"100/s\", keys = { dist = \"uniform\", n = 100 }, read = 1.0, value_size = { dist = \"constant\", value = \"100B\" } }";
    let mut scenario = scenario(10, "loss = 1.0", clients);
    scenario.seed = Some(1);
    let metrics = metrics_of(&scenario);
    let requests = metrics.counter_by_name("client.requests");
    let retries = metrics.counter_by_name("client.retries");
    let denied = metrics.counter_by_name("client.retries_denied");
    assert!(requests > 9_000, "{requests} requests");
    assert!(
        retries as f64 <= 0.1 * requests as f64 + 50.0,
        "{retries} retries for {requests} requests"
    );
    // Each client's budget runs dry: it retries its burst and a tenth of its requests, less
    // under one retry per client for the tenth's fraction (10 clients: 10), and less the
    // deposits of the last requests, still in their first attempt at the end (their burst
    // covers them): at least 0.1 × requests − 10.
    assert!(retries as f64 >= 0.1 * requests as f64 - 10.0);
    // Every request failed, and ended either at a denied retry or after its third attempt.
    let tally = requests_of(&metrics);
    assert_eq!(tally.count(Outcome::Ok), 0);
    let per_request = metrics
        .histogram_by_name("client.attempts_per_request")
        .expect("recorded with a retry policy");
    let exhausted = per_request.count_between(3, 3);
    assert_eq!(denied + exhausted, tally.count(Outcome::Timeout));
    assert!(denied > requests / 2, "{denied} denied");
}

// Goal: with i.i.d. attempt times X and no queueing, a request hedged after d takes
// L = min(X1, d + X2): P(L > t) = P(X > t) for t ≤ d and P(X > t) · P(X > t − d) beyond, and
// a fraction P(X > d) of requests is hedged. Method: X = 2 ms (a 1 ms network each way) + an
// exponential service time of mean 10 ms on workers that never queue (10,000 per server, 4
// servers, each hedge to another), d = 15 ms; 10 clients at 20/s for 100 s (20,000 requests).
// The survival is checked at 5 to 40 ms, each within 5 binomial standard errors.
#[test]
fn a_hedged_request_takes_the_first_of_two() {
    let text = "[simulation]\nname = \"hedging\"\nseed = 1\nduration = \"100s\"\n\n\
        [network]\nlatency = { dist = \"constant\", value = \"1ms\" }\n\n\
        [[group]]\nname = \"clients\"\ncount = 10\nrole = \"client\"\ntarget = \"api\"\n\
        hedge = { after = \"15ms\" }\n\
        workload = { arrivals = \"poisson\", rate = \"20/s\", keys = { dist = \"uniform\", n = 100 }, read = 1.0, value_size = { dist = \"constant\", value = \"100B\" } }\n\n\
        [[group]]\nname = \"api\"\ncount = 4\nrole = \"server\"\n\
        service = { workers = 10000, time = { dist = \"exp\", mean = \"10ms\" } }\n";
    let scenario = scenarios::load_text("hedging.toml", text, &[]).expect("valid scenario");
    let metrics = metrics_of(&scenario);
    let latency = metrics.histogram_by_name("latency.all").expect("recorded");
    let n = latency.len() as f64;
    assert!(n > 19_000.0, "{n} requests");
    let ms = 1e6;
    let (base, mean, d) = (2.0 * ms, 10.0 * ms, 15.0 * ms);
    let survival = |x: f64| {
        if x <= base {
            1.0
        } else {
            (-(x - base) / mean).exp()
        }
    };
    for t_ms in [5u64, 10, 15, 20, 25, 30, 40] {
        let t = t_ms as f64 * ms;
        let expected = if t <= d {
            survival(t)
        } else {
            survival(t) * survival(t - d)
        };
        let observed = 1.0 - latency.count_between(0, t_ms * 1_000_000) as f64 / n;
        let se = (expected * (1.0 - expected) / n).sqrt().max(1.0 / n);
        eprintln!("P(L > {t_ms} ms): observed {observed:.4}, min(X1, d + X2) gives {expected:.4} (SE {se:.4})");
        assert!(
            (observed - expected).abs() < SE_ALLOWED * se,
            "at {t_ms} ms: {observed} vs {expected}"
        );
    }
    let hedges = metrics.counter_by_name("client.hedges") as f64;
    let p = survival(d);
    let se = (p * (1.0 - p) * n).sqrt();
    eprintln!("hedges {hedges} vs n P(X > d) = {:.0} (SE {se:.0})", n * p);
    assert!((hedges - n * p).abs() < SE_ALLOWED * se);
}

// Goal: a bulkhead of 2 lets at most two attempts be in flight: with arrivals every 10 ms and
// each attempt taking 52 ms (1 ms each way and 50 ms of service, on enough workers), it
// accepts two arrivals in each 60 ms (the first two, then one at each next 10 ms boundary
// after an answer) and refuses the other four: a third of the 1,000 requests in 10 s are
// served, within the first and last windows' two.
#[test]
fn a_bulkhead_caps_attempts_in_flight() {
    let text = "[simulation]\nname = \"bulkhead\"\nseed = 1\nduration = \"10s\"\n\n\
        [network]\nlatency = { dist = \"constant\", value = \"1ms\" }\n\n\
        [[group]]\nname = \"clients\"\ncount = 1\nrole = \"client\"\ntarget = \"api\"\nmax_in_flight = 2\n\
        workload = { arrivals = \"constant\", rate = \"100/s\", keys = { dist = \"uniform\", n = 100 }, read = 1.0 }\n\n\
        [[group]]\nname = \"api\"\ncount = 1\nrole = \"server\"\n\
        service = { workers = 10, time = { dist = \"constant\", value = \"50ms\" } }\n";
    let scenario = scenarios::load_text("bulkhead.toml", text, &[]).expect("valid scenario");
    let metrics = metrics_of(&scenario);
    let tally = requests_of(&metrics);
    let refused = metrics.counter_by_name("client.bulkhead.rejected");
    assert_eq!(tally.count(Outcome::Rejected), refused);
    let served = tally.count(Outcome::Ok);
    let expected = tally.issued / 3;
    assert!(
        served.abs_diff(expected) <= 2,
        "{served} served of {}, expected {expected}",
        tally.issued
    );
}

// Goal: n writers of one key at the same instant against an optimistic server, retrying
// conflicts at once: each round of simultaneous attempts commits one writer and fails the
// rest, so the writes take exactly n(n + 1)/2 calls and n(n − 1)/2 conflicts (n = 20: 210
// and 190), and all of them commit.
#[test]
fn contended_optimistic_writes_take_n_n_plus_one_over_two_calls() {
    let text = "[simulation]\nname = \"occ\"\nseed = 1\nduration = \"100s\"\n\n\
        [network]\nlatency = { dist = \"constant\", value = \"1ms\" }\n\n\
        [[group]]\nname = \"clients\"\ncount = 20\nrole = \"client\"\ntarget = \"store\"\n\
        retry = { attempts = 1000, on = [\"rejected\"] }\n\
        workload = { arrivals = \"constant\", rate = \"1/min\", keys = { dist = \"uniform\", n = 1 }, read = 0.0, write = 1.0 }\n\n\
        [[group]]\nname = \"store\"\ncount = 1\nrole = \"server\"\noptimistic = true\n\
        service = { workers = 100, time = { dist = \"constant\", value = \"5ms\" } }\n";
    let scenario = scenarios::load_text("occ.toml", text, &[]).expect("valid scenario");
    let metrics = metrics_of(&scenario);
    assert_eq!(metrics.counter_by_name("client.attempts"), 210);
    assert_eq!(metrics.counter_by_name("server.conflicts"), 190);
    assert_eq!(requests_of(&metrics).count(Outcome::Ok), 20);
}
