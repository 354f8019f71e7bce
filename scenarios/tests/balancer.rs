//! The balancer role end to end: health checks eject a crashed backend within the bound the
//! parameters give and re-admit it after its restart; adaptive policies route around a slow
//! backend that round robin keeps feeding.

use std::ops::ControlFlow;

use scenarios::run::{run, Outcome};

/// 10 clients at 600/s (6k/s) behind one balancer over 4 servers of 100 us mean service: each
/// server's even share (1.5k/s) is 15% of what it can serve. From 2 s to 8 s servers[1] is 8x
/// slower (1.25k/s capacity, below its 1.5k/s share); at 4 s servers[2] crashes for 3 s.
fn scenario(policy: &str) -> String {
    format!(
        r#"
[simulation]
name = "lb"
seed = 5
duration = "10s"

[network]
latency = {{ dist = "constant", value = "100us" }}

[[group]]
name = "clients"
count = 10
role = "client"
target = "lb"
timeout = "500ms"
workload = {{ rate = "600/s" }}

[[group]]
name = "lb"
count = 1
role = "balancer"
backends = "servers"
policy = "{policy}"
health_check = {{ interval = "1s", timeout = "200ms", unhealthy = 2, healthy = 2 }}

[[group]]
name = "servers"
count = 4
role = "server"
service = {{ workers = 1, time = {{ dist = "exp", mean = "100us" }} }}

[[fault]]
at = "2s"
slow = {{ nodes = "servers[1]", factor = 8 }}
duration = "6s"

[[fault]]
at = "4s"
crash = "servers[2]"
restart_after = "3s"

[report]
window = "100ms"
"#
    )
}

fn outcome(policy: &str) -> Outcome {
    let scenario = scenarios::load_text("lb.toml", &scenario(policy), &[]).expect("valid");
    run(&scenario, 5, &mut |_| ControlFlow::Continue(()))
}

/// The first window (100 ms each) in which counter `name` moved.
fn first_window(outcome: &Outcome, name: &str) -> Option<usize> {
    let metrics = outcome.sim.metrics();
    let (_, id, _) = metrics.counters().find(|(n, _, _)| *n == name)?;
    metrics.windows().iter().position(|w| w.counter(id) > 0)
}

// Goal: the crashed backend is ejected once `unhealthy` (2) consecutive probes have failed and
// re-admitted after `healthy` (2) consecutive successes. Probes go out every second from t = 0
// (0 s, 1 s, ...), time out after 200 ms: the crash at 4 s fails the 4 s and 5 s probes, so
// the ejection comes at 5.2 s (window 52); the restart at 7 s lets the 7 s and 8 s probes
// succeed (answers arrive 200 us later), so re-admission is in window 80.
#[test]
fn health_checks_eject_and_readmit_on_schedule() {
    let outcome = outcome("round_robin");
    let counter = |name: &str| outcome.sim.metrics().counter_by_name(name);
    assert_eq!(counter("balancer.ejections"), 1);
    assert_eq!(counter("balancer.readmissions"), 1);
    assert_eq!(first_window(&outcome, "balancer.ejections"), Some(52));
    assert_eq!(first_window(&outcome, "balancer.readmissions"), Some(80));
    // Requests sent to the crashed backend before its ejection are lost and time out.
    assert!(counter("client.timeouts") > 0);
}

// Goal: round robin keeps sending servers[1] its quarter of the load while it is 8x slower
// (offered 1.5k/s, capacity 1.25k/s), so its queue grows for 6 s and the tail explodes;
// least outstanding sends less to the backend whose requests pile up, so the same slowdown
// costs a bounded tail. The comparison could fail: it checks the mechanism, not a number.
#[test]
fn adaptive_policy_routes_around_a_slow_backend() {
    let p999 = |outcome: &Outcome| {
        let histogram = outcome
            .sim
            .metrics()
            .histogram_by_name("latency.all")
            .unwrap();
        histogram.value_at_quantile(0.999)
    };
    let round_robin = outcome("round_robin");
    let least_outstanding = outcome("least_outstanding");
    let (rr, lo) = (p999(&round_robin), p999(&least_outstanding));
    assert!(
        rr > 100_000_000,
        "round robin p99.9 {rr} ns: the slow node's queue should grow"
    );
    assert!(
        lo < rr / 10,
        "least outstanding p99.9 {lo} ns vs round robin {rr} ns"
    );
}

// Goal: the same policies work client-side. Each client balances over the servers itself
// (no balancer hop): with servers[1] 8x slower for 6 s, random routing keeps sending it a
// quarter of the requests and its queue grows, while client-side least_outstanding sees
// its own requests piling up there and sends elsewhere.
#[test]
fn client_side_balancing_routes_around_a_slow_server() {
    let direct = |routing: &str| {
        let text = scenario("round_robin")
            .replace("target = \"lb\"", &format!("target = \"servers\"\nrouting = \"{routing}\""))
            .replace(
                "health_check = { interval = \"1s\", timeout = \"200ms\", unhealthy = 2, healthy = 2 }",
                "",
            );
        let scenario = scenarios::load_text("direct.toml", &text, &[]).expect("valid");
        let outcome = run(&scenario, 5, &mut |_| ControlFlow::Continue(()));
        let histogram = outcome
            .sim
            .metrics()
            .histogram_by_name("latency.all")
            .unwrap();
        histogram.value_at_quantile(0.999)
    };
    let (random, least) = (direct("random"), direct("least_outstanding"));
    assert!(random > 100_000_000, "random p99.9 {random} ns");
    assert!(
        least < random / 10,
        "client-side least_outstanding p99.9 {least} ns vs {random} ns"
    );
}
