//! Validation of the replicated store (`role = "store"`, scheme `quorum`) against theory:
//! quorum latency as an order statistic, and t-visibility against a Monte Carlo of PBS's WARS
//! model (Bailis et al., "Probabilistically Bounded Staleness for Practical Partial Quorums",
//! VLDB 2012), which is itself checked against the paper's published figures.
//! docs/validation.md describes the method.
//!
//! Every tolerance is a number of standard errors of the estimate, from the run's own sample
//! counts (5 SE: a correct simulator fails a check about once in 1.7 million), plus, where a
//! published figure is compared, the rounding the paper gives it with.

use std::ops::ControlFlow;

use rand::Rng;
use scenarios::run::run;
use sim_core::rng::{stream, StreamKind, StreamLabel};

/// Standard errors a check allows.
const SE_ALLOWED: f64 = 5.0;

/// Runs scenario `text` to its end with its own seed.
fn run_text(text: &str) -> scenarios::run::Outcome {
    let scenario = scenarios::load_text("replication.toml", text, &[]).expect("valid scenario");
    let outcome = run(&scenario, 1, &mut |_| ControlFlow::Continue(()));
    assert_eq!(outcome.partial, None);
    outcome
}

/// A store of 3 replicas whose 20 clients coordinate their own quorums, over a network with
/// exponential one-way latency of mean 1 ms; replicas answer reads at once and take
/// `write_service` (a distribution) to apply a write, with enough workers never to queue.
fn store_scenario(r: u32, w: u32, write_service: &str, duration: &str, keys: u64) -> String {
    format!(
        r#"
[simulation]
name = "quorum-validation"
seed = 1
duration = "{duration}"

[network]
latency = {{ dist = "exp", mean = "1ms" }}

[[group]]
name = "clients"
count = 20
role = "client"
target = "kv"
workload = {{ arrivals = "poisson", rate = "500/s", keys = {{ dist = "uniform", n = {keys} }}, read = 0.95, write = 0.05, value_size = {{ dist = "constant", value = "100B" }} }}

[[group]]
name = "kv"
count = 3
role = "store"
placement = {{ scheme = "ring" }}
replication = {{ scheme = "quorum", n = 3, r = {r}, w = {w}, coordinator = "client" }}
service = {{ workers = 100000, time = {{ dist = "constant", value = "0ns" }}, write_time = {write_service} }}
"#
    )
}

/// An exponential sample of mean `mean` from `rng`.
fn exp(rng: &mut impl Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

/// P(X_(k) <= t) for the k-th smallest of `n` i.i.d. samples with CDF value `f` at t:
/// sum over j >= k of C(n, j) f^j (1 - f)^(n - j).
fn order_statistic_cdf(n: u32, k: u32, f: f64) -> f64 {
    let choose = |n: u32, j: u32| -> f64 {
        (0..j)
            .map(|i| f64::from(n - i) / f64::from(i + 1))
            .product()
    };
    (k..=n)
        .map(|j| choose(n, j) * f.powi(j as i32) * (1.0 - f).powi((n - j) as i32))
        .sum()
}

/// CDF of the sum of two independent exponentials of mean 1 (Erlang-2), at `t` means.
fn erlang2_cdf(t: f64) -> f64 {
    1.0 - (-t).exp() * (1.0 + t)
}

// Goal: a quorum operation's latency at its coordinator is the k-th order statistic of the
// per-replica round trips. Method: with client-side coordination, no service time on reads
// or writes and i.i.d. exponential one-way latency of mean 1 ms, each replica's round trip is
// the sum of two independent Exp(1 ms) draws, an Erlang-2; a read waits for the 1st of 3
// (R = 1) and a write for the 2nd (W = 2), whose CDF is the order-statistic formula above.
// At the exact 10th, 50th, 90th and 99th percentiles (solved by bisection) the observed
// fraction of operations at or below must be within 5 binomial SE, plus the histogram's
// 0.1% value resolution (which moves the fraction by at most density * 0.1% * t, bounded
// here by the fraction itself times 0.1% times the largest t * density of an Erlang-2 order
// statistic, below 2).
#[test]
fn quorum_latency_is_the_kth_order_statistic() {
    let text = store_scenario(
        1,
        2,
        r#"{ dist = "constant", value = "0ns" }"#,
        "20s",
        10_000,
    );
    let outcome = run_text(&text);
    let metrics = outcome.sim.metrics();
    for (name, k) in [("store.op_latency.read", 1), ("store.op_latency.write", 2)] {
        let histogram = metrics.histogram_by_name(name).expect("recorded");
        let count = histogram.len() as f64;
        assert!(count > 5_000.0, "{name}: {count} samples");
        for q in [0.10, 0.50, 0.90, 0.99] {
            let cdf = |t_ms: f64| order_statistic_cdf(3, k, erlang2_cdf(t_ms));
            let (mut lo, mut hi) = (0.0f64, 50.0f64);
            for _ in 0..100 {
                let mid = (lo + hi) / 2.0;
                if cdf(mid) < q {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let t_ns = (lo * 1e6) as u64;
            let below = histogram
                .iter_recorded()
                .filter(|v| v.value_iterated_to() <= t_ns)
                .map(|v| v.count_at_value())
                .sum::<u64>() as f64
                / count;
            let se = (q * (1.0 - q) / count).sqrt();
            let resolution = 2.0 * 1e-3;
            assert!(
                (below - q).abs() <= SE_ALLOWED * se + resolution,
                "{name} (k = {k} of 3): P(X <= {lo:.3} ms) observed {below:.4}, exact {q} ± {:.4}",
                SE_ALLOWED * se + resolution
            );
        }
    }
}

/// PBS's WARS model for one write and one read, N replicas, R and W: `trials` samples of the
/// critical time t* (in ms) such that a read issued t after the write's commit is consistent
/// exactly when t >= t*, sorted. Per trial: replica i receives the write W_i after it starts
/// and acks A_i later, so the commit is at the W-th smallest W_i + A_i (t_c); a read issued at
/// t_c + t reaches replica i at t_c + t + R_i, which then holds the write iff W_i <= t_c + t +
/// R_i, and answers S_i later; the read returns the newest of its R earliest answers (smallest
/// R_i + S_i). So it is consistent iff t >= min over those R of (W_i - R_i) - t_c.
fn wars_critical_times(
    trials: usize,
    (n, r, w): (usize, usize, usize),
    mut sample_w: impl FnMut(&mut sim_core::rng::SimRng) -> f64,
    ars_mean: f64,
    seed: u64,
) -> Vec<f64> {
    let mut rng = stream(seed, StreamLabel::new(StreamKind::Engine, 1_000));
    let mut out = Vec::with_capacity(trials);
    let (mut write, mut commit, mut read) = (vec![0.0; n], vec![0.0; n], vec![(0.0, 0.0); n]);
    for _ in 0..trials {
        for i in 0..n {
            write[i] = sample_w(&mut rng);
            commit[i] = write[i] + exp(&mut rng, ars_mean);
            let r_i = exp(&mut rng, ars_mean);
            let s_i = exp(&mut rng, ars_mean);
            read[i] = (r_i + s_i, write[i] - r_i);
        }
        commit.sort_by(f64::total_cmp);
        let t_c = commit[w - 1];
        read.sort_by(|a, b| a.0.total_cmp(&b.0));
        let earliest = read[..r].iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
        out.push(earliest - t_c);
    }
    out.sort_by(f64::total_cmp);
    out
}

/// P(consistent at t) from sorted critical times: the fraction <= t.
fn visibility(critical: &[f64], t_ms: f64) -> f64 {
    critical.partition_point(|x| *x <= t_ms) as f64 / critical.len() as f64
}

/// The t (ms) by which a read is consistent with probability p.
fn time_to(critical: &[f64], p: f64) -> f64 {
    critical[((p * critical.len() as f64).ceil() as usize).min(critical.len() - 1)]
}

// Goal: the WARS Monte Carlo the store is checked against reproduces PBS's published
// t-visibility figures (section 5, N = 3, R = W = 1, A = R = S ~ Exp(mean 1 ms)): with W ~
// Exp(mean 0.25 ms), about 94% of reads are consistent at t = 0 and 99.9% by t ~ 1 ms; with W
// ~ Exp(mean 10 ms), about 41% at t = 0 and 99.9% only after ~65 ms. Tolerance: the paper
// gives these to about a percentage point and two significant digits, so a probability must
// be within 1 point plus 5 SE of the Monte Carlo (sqrt(p(1-p)/trials)) and a time within 10%.
#[test]
fn wars_monte_carlo_matches_the_published_figures() {
    const TRIALS: usize = 400_000;
    for (w_mean, p0, t999, seed) in [(0.25, 0.94, 1.0, 1), (10.0, 0.41, 65.0, 2)] {
        let critical = wars_critical_times(TRIALS, (3, 1, 1), |rng| exp(rng, w_mean), 1.0, seed);
        let at0 = visibility(&critical, 0.0);
        let se = (at0 * (1.0 - at0) / TRIALS as f64).sqrt();
        assert!(
            (at0 - p0).abs() <= 0.01 + SE_ALLOWED * se,
            "W ~ Exp({w_mean} ms): P(consistent at t=0) = {at0:.4}, published about {p0}"
        );
        let t = time_to(&critical, 0.999);
        assert!(
            (t - t999).abs() <= 0.1 * t999,
            "W ~ Exp({w_mean} ms): 99.9% consistent after {t:.2} ms, published about {t999} ms"
        );
    }
}

// Goal: the store's t-visibility is WARS's. Method: the store above with R = W = 1 and a
// write service time of Exp(mean 9 ms), so each replica's W is an Exp(1 ms) network hop plus
// Exp(9 ms) service (mean 10 ms, PBS's slow-write case), and A, R, S are Exp(1 ms) hops (a
// read takes no service time). The same distributions go into the WARS Monte Carlo. Keys
// are written rarely (each about every 4 s, against a 60 ms window in which reads can be
// stale), so a read's result depends on one write, as in WARS. For every bucket of the run's
// `consistency.read_age` histogram (reads issued t after their key's newest acknowledged
// write), the Monte Carlo's P(consistent at t) times the bucket's reads is the expected
// number of consistent reads; summed over reads issued within 80 ms (where the probability is
// below 1), the observed count must be within 5 SE of it, the SE combining the binomial
// variance sum(n p (1 - p)) with the Monte Carlo's own. The same holds, at the same
// tolerance, in each of four age ranges.
#[test]
fn t_visibility_matches_the_wars_model() {
    let text = store_scenario(1, 1, r#"{ dist = "exp", mean = "9ms" }"#, "60s", 2_000);
    let outcome = run_text(&text);
    let metrics = outcome.sim.metrics();
    let all = metrics
        .histogram_by_name("consistency.read_age")
        .expect("recorded");
    let hits = metrics
        .histogram_by_name("consistency.read_age.consistent")
        .expect("recorded");
    const TRIALS: usize = 400_000;
    let critical = wars_critical_times(
        TRIALS,
        (3, 1, 1),
        |rng| exp(rng, 1.0) + exp(rng, 9.0),
        1.0,
        3,
    );
    let mut consistent_at = std::collections::BTreeMap::new();
    for v in hits.iter_recorded() {
        *consistent_at.entry(v.value_iterated_to()).or_insert(0u64) += v.count_at_value();
    }
    let ranges_ms = [
        (0.0, 2.0),
        (2.0, 10.0),
        (10.0, 30.0),
        (30.0, 80.0),
        (0.0, 80.0),
    ];
    for (from, to) in ranges_ms {
        let (mut observed, mut expected, mut variance, mut reads) = (0.0, 0.0, 0.0, 0.0);
        for v in all.iter_recorded() {
            let t_ms = v.value_iterated_to() as f64 / 1e6;
            if t_ms < from || t_ms >= to {
                continue;
            }
            let n = v.count_at_value() as f64;
            let p = visibility(&critical, t_ms);
            reads += n;
            observed += *consistent_at.get(&v.value_iterated_to()).unwrap_or(&0) as f64;
            expected += n * p;
            // Binomial spread of the run, plus the Monte Carlo's error in p (per bucket, at
            // worst fully correlated across buckets: n^2 p (1 - p) / trials summed as SEs).
            variance += n * p * (1.0 - p);
        }
        let mc_se: f64 = {
            let p = expected / reads.max(1.0);
            reads * (p * (1.0 - p) / TRIALS as f64).sqrt()
        };
        let se = variance.sqrt() + mc_se;
        assert!(reads > 200.0, "[{from}, {to}) ms: only {reads} reads");
        assert!(
            (observed - expected).abs() <= SE_ALLOWED * se,
            "reads issued [{from}, {to}) ms after a write: {observed} consistent of {reads}, \
             WARS expects {expected:.1} ± {:.1}",
            SE_ALLOWED * se
        );
    }
}

/// A writer the test keeps a handle on after the run drops the trace sink.
#[derive(Clone, Default)]
struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One writer sending 1 000 writes/s, each to a new key, straight to the leader `kv[0]` of a
/// 3-node leader-follower store replicating by `replication`, over a 1 ms network that keeps
/// each link in order; the leader crashes at 10.0005 s (between two shipments) for good.
fn failover_scenario(replication: &str) -> String {
    failover_scenario_with(replication, r#"crash = "kv[0]""#)
}

/// [`failover_scenario`] with `fault` at 10.0005 s instead of kv[0]'s crash.
fn failover_scenario_with(replication: &str, fault: &str) -> String {
    format!(
        r#"
[simulation]
name = "failover-validation"
seed = 1
duration = "13s"

[network]
latency = {{ dist = "constant", value = "1ms" }}
fifo = true

[[group]]
name = "writer"
count = 1
role = "client"
target = "kv[0]"
timeout = "1s"
workload = {{ arrivals = "constant", rate = "1000/s", keys = {{ dist = "sequential", n = 1_000_000 }}, read = 0.0, write = 1.0 }}

[[group]]
name = "kv"
count = 3
role = "store"
replication = {replication}

[[fault]]
at = "10000500us"
{fault}
"#
    )
}

/// A traced failover run, and the keys (one per write) acknowledged by kv[0] and delivered
/// from it to kv[1] and to kv[2].
type Delivered = (
    scenarios::run::Outcome,
    std::collections::BTreeSet<u64>,
    [std::collections::BTreeSet<u64>; 2],
);

/// Runs failover scenario `text` traced, and reads from the trace alone which keys kv[0]
/// acknowledged and which of its shipped writes reached each follower.
fn traced_failover(text: &str) -> Delivered {
    let scenario = scenarios::load_text("failover.toml", text, &[]).expect("valid");
    let buffer = Shared::default();
    let sink =
        sim_core::trace::JsonLinesTrace::with_names(buffer.clone(), scenario.directory.names());
    let outcome = scenarios::run::run_traced(&scenario, 1, Some(Box::new(sink)), &mut |_| {
        ControlFlow::Continue(())
    });
    let text = String::from_utf8(buffer.0.borrow().clone()).expect("UTF-8");
    let mut acked = std::collections::BTreeSet::new();
    let mut delivered = [
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    ];
    for line in text.lines() {
        let r: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let field = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let message = |k: &str| r["msg"].get(k).and_then(|v| v.as_str()).unwrap_or("");
        let key = r["msg"]["key"].as_u64();
        match (field("kind"), message("type")) {
            ("send", "response")
                if field("from") == "kv[0]"
                    && message("op") == "write"
                    && message("status") == "ok" =>
            {
                acked.insert(key.expect("a response names its key"));
            }
            ("deliver", "replica_write") if field("from") == "kv[0]" => {
                let key = key.expect("a replica write names its key");
                match field("to") {
                    "kv[1]" => delivered[0].insert(key),
                    "kv[2]" => delivered[1].insert(key),
                    _ => false,
                };
            }
            _ => {}
        }
    }
    (outcome, acked, delivered)
}

// Goal: the acknowledged writes a failover loses are exactly those the promoted follower
// never received. Method: the scenario above, traced; from the trace alone, collect the keys
// of the writes kv[0] acknowledged (its `ok` write responses) and of the shipped writes
// delivered to each follower (`replica_write` deliveries; the two followers get the same
// ones, so which is promoted does not matter). Every write is to a new key, so each
// acknowledged key the promoted follower never got is one lost write: the store's
// `consistency.lost_writes` must equal their number, exactly. With async replication and a 100 ms lag that is the
// ~100 writes of the last 100 ms before the crash; with semi-sync (one follower's ack before
// the answer) it is 0.
#[test]
fn a_failover_loses_exactly_the_writes_the_new_leader_missed() {
    for (replication, lost_about) in [
        (
            r#"{ scheme = "leader_follower", mode = "async", lag = "100ms" }"#,
            100,
        ),
        (
            r#"{ scheme = "leader_follower", mode = "semi_sync", acks = 1 }"#,
            0,
        ),
    ] {
        let text = failover_scenario(replication);
        let (outcome, acked, delivered) = traced_failover(&text);
        assert_eq!(
            delivered[0], delivered[1],
            "{replication}: followers got the same writes"
        );
        let missed = acked.difference(&delivered[0]).count() as u64;
        let metrics = outcome.sim.metrics();
        assert_eq!(
            metrics.counter_by_name("store.failovers"),
            1,
            "{replication}"
        );
        let lost = metrics.counter_by_name("consistency.lost_writes");
        assert_eq!(lost, missed, "{replication}: {} acknowledged", acked.len());
        assert!(lost.abs_diff(lost_about) <= 1, "{replication}: {lost} lost");
        // The leader lane: kv[0] from the start, nobody from the crash, then the promoted
        // follower (kv[1], the most caught up, the lowest id on a tie) in term 2.
        let (marks, _) = metrics.annotations();
        let lane: Vec<(u64, Option<u32>, &str)> = marks
            .iter()
            .map(|a| (a.at.as_nanos(), a.node.map(|n| n.0), a.label.as_str()))
            .collect();
        assert_eq!(lane.len(), 3, "{lane:?}");
        assert_eq!((lane[0].1, lane[0].2), (Some(1), "term 1"), "{lane:?}");
        assert_eq!(lane[1], (10_000_500_000, None, ""), "{lane:?}");
        assert_eq!((lane[2].1, lane[2].2), (Some(2), "term 2"), "{lane:?}");
        let acked = acked.len();
        assert!(acked > 9_000, "{replication}: {acked} acknowledged");
    }
}

// Goal: `[report] linearizability` finds what async replication with failover does to a
// register. Method: the shipped leader-failover example with its writes shipped 50 ms late
// and 20 hot keys (so each key sees its writes lost in the failover), four keys checked.
// Wing & Gong's search must call at least one key not linearizable, and the counters and the
// finding lines must agree with each other. (The checker itself is validated against
// exhaustive search in models/src/replication/linearizability.rs.)
#[test]
fn linearizability_check_finds_the_async_failover_anomaly() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/leader-failover.toml");
    let set = [
        r#"group.kv.replication={ scheme = "leader_follower", mode = "async", lag = "50ms" }"#
            .to_string(),
        r#"group.clients.workload={ arrivals = "poisson", rate = "100/s", keys = { dist = "uniform", n = 20 }, read = 0.5, write = 0.5 }"#.to_string(),
        "report.linearizability=[0, 1, 2, 3]".to_string(),
    ];
    let scenario = scenarios::load(&path, &set).expect("valid");
    let outcome = run(&scenario, 11, &mut |_| ControlFlow::Continue(()));
    let metrics = outcome.sim.metrics();
    assert_eq!(metrics.counter_by_name("linearizability.keys_checked"), 4);
    let violations = metrics.counter_by_name("linearizability.violations");
    assert!(violations >= 1, "{:?}", outcome.findings);
    assert!(metrics.counter_by_name("consistency.lost_writes") > 0);
    assert_eq!(outcome.findings.len(), 4);
    let flagged = outcome
        .findings
        .iter()
        .filter(|f| f.contains("NOT linearizable"))
        .count();
    assert_eq!(flagged as u64, violations, "{:?}", outcome.findings);
}

/// A 5-server Raft store under random crashes (each server up ~4 s, down ~1 s) and two
/// partitions (one isolating a server, one splitting 2 from 3), with clients reading and
/// writing 10 keys, three of them checked for linearizability.
const RAFT_UNDER_FAULTS: &str = r#"
[simulation]
name = "raft-safety"
seed = 1
duration = "40s"

[network]
latency = { dist = "lognormal", median = "2ms", sigma = 0.5 }

[[group]]
name = "clients"
count = 4
role = "client"
target = "kv"
timeout = "500ms"
workload = { arrivals = "poisson", rate = "50/s", keys = { dist = "uniform", n = 10 }, read = 0.5, write = 0.5 }

[[group]]
name = "kv"
count = 5
role = "store"
replication = { scheme = "raft", election_timeout = "150ms..300ms", heartbeat = "50ms", fsync = "1ms" }

[[fault_process]]
nodes = "kv"
mtbf = "4s"
mttr = "1s"

[[fault]]
at = "10s"
isolate = "kv[1]"
duration = "5s"

[[fault]]
at = "22s"
partition = { from = "kv[0..2]", to = "kv[2..5]" }
duration = "6s"

[report]
linearizability = [0, 1, 2]
"#;

// Goal: Raft's safety properties hold on every run (Ongaro & Ousterhout, ATC 2014, figure 3:
// election safety, log matching, leader completeness, state machine safety). Method: the
// scenario above over 12 seeds. The run's monitor sees every leadership and every commit:
// at most one leader per term and the same entry committed at each index by every member,
// so `raft.safety_violations` must be 0; the checked keys' histories must be linearizable
// (reads by read index), and no acknowledged write may be lost. Leaders must have been
// elected after the crashes (the run makes progress: most requests end ok).
#[test]
fn raft_is_safe_under_crashes_and_partitions() {
    let scenario = scenarios::load_text("raft.toml", RAFT_UNDER_FAULTS, &[]).expect("valid");
    for seed in 1..=12 {
        let outcome = run(&scenario, seed, &mut |_| ControlFlow::Continue(()));
        let m = outcome.sim.metrics();
        let c = |name: &str| m.counter_by_name(name);
        assert_eq!(c("raft.safety_violations"), 0, "seed {seed}");
        assert_eq!(c("linearizability.keys_checked"), 3, "seed {seed}");
        assert_eq!(
            c("linearizability.violations") + c("linearizability.undecided"),
            0,
            "seed {seed}: {:?}",
            outcome.findings
        );
        assert_eq!(c("consistency.lost_writes"), 0, "seed {seed}");
        assert_eq!(c("consistency.stale_reads"), 0, "seed {seed}");
        assert!(c("raft.leaders_elected") >= 5, "seed {seed}");
        let ok = c("client.responses.ok") as f64 / c("client.requests") as f64;
        assert!(ok > 0.5, "seed {seed}: {ok:.3} ok");
    }
}

// Goal: election timeouts decide how long a group is leaderless (Ongaro & Ousterhout, ATC
// 2014, section 9.3 and figure 16: with no randomisation split votes keep elections going;
// with 150-300 ms most elections finish within a few hundred ms). Method: the shipped
// raft-election example (5 servers, ~15 ms broadcast, random crashes), 300 s, with a fixed
// 150 ms timeout and with 150-300 ms. Without randomisation, split votes must outnumber the
// leaders elected (each election needs several tries), and the median time without a leader
// must exceed 1 s; with 150-300 ms, split votes must be fewer than the leaders elected and the
// median must be below 500 ms (the paper's median is under 300 ms; 500 ms leaves room for this
// run's ~30 elections, whose median's spread is about a quarter of the range).
#[test]
fn randomised_election_timeouts_avoid_split_votes() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/raft-election.toml");
    let mut medians = Vec::new();
    for timeout in ["150ms", "150ms..300ms"] {
        let set = [
            "simulation.duration=\"300s\"".to_string(),
            format!(
                "group.kv.replication={{ scheme = \"raft\", election_timeout = \"{timeout}\", heartbeat = \"50ms\" }}"
            ),
        ];
        let scenario = scenarios::load(&path, &set).expect("valid");
        let outcome = run(&scenario, 5, &mut |_| ControlFlow::Continue(()));
        let m = outcome.sim.metrics();
        let split = m.counter_by_name("raft.split_votes");
        let leaders = m.counter_by_name("raft.leaders_elected");
        let median = m
            .histogram_by_name("raft.election_time")
            .expect("recorded")
            .value_at_quantile(0.5) as f64
            / 1e9;
        assert_eq!(m.counter_by_name("raft.safety_violations"), 0);
        medians.push((timeout, split, leaders, median));
    }
    let (_, split, leaders, median) = medians[0];
    assert!(
        split > leaders && median > 1.0,
        "no randomisation: {medians:?}"
    );
    let (_, split, leaders, median) = medians[1];
    assert!(split < leaders && median < 0.5, "150-300 ms: {medians:?}");
}

/// Clients reading and writing 10 keys of a store group `kv`: how many clients, each one's
/// rate, their timeout, the network's median one-way latency, the seed and the duration.
struct Traffic {
    clients: u32,
    rate: &'static str,
    timeout: &'static str,
    latency: &'static str,
    seed: u64,
    duration: &'static str,
}

/// A store `kv` of `members` nodes replicating by `replication` under `traffic` (half reads,
/// half writes, uniform over 10 keys), `extra` appended (faults).
fn keyed_store(traffic: &Traffic, members: u32, replication: &str, extra: &str) -> String {
    let Traffic {
        clients,
        rate,
        timeout,
        latency,
        seed,
        duration,
    } = traffic;
    format!(
        r#"
[simulation]
name = "keyed-store"
seed = {seed}
duration = "{duration}"

[network]
latency = {{ dist = "lognormal", median = "{latency}", sigma = 0.2 }}

[[group]]
name = "clients"
count = {clients}
role = "client"
target = "kv"
timeout = "{timeout}"
workload = {{ arrivals = "poisson", rate = "{rate}", keys = {{ dist = "uniform", n = 10 }}, read = 0.5, write = 0.5 }}

[[group]]
name = "kv"
count = {members}
role = "store"
replication = {replication}
{extra}
"#
    )
}

/// A 5-server Raft store with light traffic, `extra` appended (faults), for `duration`.
fn raft_scenario(replication: &str, duration: &'static str, extra: &str) -> String {
    let light = Traffic {
        clients: 2,
        rate: "20/s",
        timeout: "500ms",
        latency: "2ms",
        seed: 3,
        duration,
    };
    keyed_store(&light, 5, replication, extra)
}

// Goal: pre-vote keeps a member that was cut off from disrupting the leader when it comes
// back (Ongaro's thesis, 9.6). Method: find the first leader of a fault-free run; then cut
// off another member for 5 s. Without pre-vote the isolated member keeps standing, each time
// in a higher term, and on its return that term deposes the leader: a second leader is
// elected. With pre-vote it asks first, hears no one, never bumps its term, and the first
// leader stays: exactly one leader elected, and no election besides the first.
#[test]
fn pre_vote_keeps_a_returning_member_from_deposing_the_leader() {
    let first_leader = {
        let text = raft_scenario(r#"{ scheme = "raft" }"#, "1s", "");
        let outcome = run_text(&text);
        let (marks, _) = outcome.sim.metrics().annotations();
        marks
            .first()
            .and_then(|a| a.node)
            .expect("a leader in the first second")
            .0
    };
    // Clients are nodes 0 and 1; kv[i] is node 2 + i.
    let follower = (0..5).find(|i| 2 + i != first_leader).expect("a follower");
    let isolate =
        format!("[[fault]]\nat = \"2s\"\nisolate = \"kv[{follower}]\"\nduration = \"5s\"\n");
    let mut leaders = Vec::new();
    for pre_vote in ["off", "on"] {
        let replication = format!(r#"{{ scheme = "raft", pre_vote = "{pre_vote}" }}"#);
        let outcome = run_text(&raft_scenario(&replication, "12s", &isolate));
        let m = outcome.sim.metrics();
        assert_eq!(m.counter_by_name("raft.safety_violations"), 0);
        leaders.push((
            m.counter_by_name("raft.leaders_elected"),
            m.counter_by_name("raft.elections"),
        ));
    }
    assert!(leaders[0].0 >= 2, "without pre-vote: {leaders:?}");
    assert!(
        leaders[0].1 > 10,
        "without pre-vote the cut-off member keeps standing: {leaders:?}"
    );
    assert_eq!(leaders[1], (1, 1), "with pre-vote: {leaders:?}");
}

// Goal: lease reads are linearizable too, under the same crashes and partitions (with no
// clock drift a lease expires before any other member can lead). Method: the safety scenario
// with reads = "lease", 4 seeds: no safety violation, linearizable keys, no stale read.
#[test]
fn raft_lease_reads_are_linearizable() {
    let set = [
        r#"group.kv.replication={ scheme = "raft", election_timeout = "150ms..300ms", heartbeat = "50ms", reads = "lease" }"#
            .to_string(),
    ];
    let scenario = scenarios::load_text("raft.toml", RAFT_UNDER_FAULTS, &set).expect("valid");
    for seed in 1..=4 {
        let outcome = run(&scenario, seed, &mut |_| ControlFlow::Continue(()));
        let c = |name: &str| outcome.sim.metrics().counter_by_name(name);
        assert_eq!(c("raft.safety_violations"), 0, "seed {seed}");
        assert_eq!(
            c("linearizability.violations"),
            0,
            "seed {seed}: {:?}",
            outcome.findings
        );
        assert_eq!(c("consistency.stale_reads"), 0, "seed {seed}");
    }
}

// Goal: a key's write-unavailability window under a partition lasts as long as the
// partition. Method: the shipped kv-quorum-partition example (strict quorum; the writers'
// zone cut off from 20 s to 40 s). Each key is written about every 4 s (250 writes/s over
// 1 000 keys), so its window runs from its first write after 20 s (20 s + E1) to its first
// after 40 s (40 s + E2), E1 and E2 independent exponentials of mean 4 s: the window is
// 20 s + (E2 - E1), whose median is 20 s (E2 - E1 is a Laplace of scale 4 s, symmetric). The
// median of the ~1 000 windows has a standard error of 1 / (2 f(0) sqrt(n)) = 4 s / sqrt(n)
// with f(0) = 1/8 per s; it must be within 5 of them of 20 s, plus the 0.1% resolution.
#[test]
fn a_partition_makes_keys_unwritable_for_its_length() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kv-quorum-partition.toml");
    let scenario = scenarios::load(&path, &[]).expect("valid");
    let outcome = run(&scenario, 7, &mut |_| ControlFlow::Continue(()));
    let windows = outcome
        .sim
        .metrics()
        .histogram_by_name("store.unavailable_window.write")
        .expect("recorded");
    let n = windows.len() as f64;
    assert!(n > 500.0, "{n} windows");
    let median = windows.value_at_quantile(0.5) as f64 / 1e9;
    let tolerance = SE_ALLOWED * 4.0 / n.sqrt() + 0.001 * 20.0;
    assert!(
        (median - 20.0).abs() <= tolerance,
        "median window {median:.3} s, expected 20 s ± {tolerance:.3}"
    );
}

/// Per one-second window of `outcome`, the increments of counter `name`.
fn counter_per_window(outcome: &scenarios::run::Outcome, name: &str) -> Vec<u64> {
    let metrics = outcome.sim.metrics();
    let (_, id, _) = metrics
        .counters()
        .find(|(n, _, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} registered"));
    metrics.windows().iter().map(|w| w.counter(id)).collect()
}

// Goal: a sloppy quorum trades the strict quorum's unavailability for staleness, and hinted
// handoff ends the staleness after the partition heals. Method: the shipped
// kv-quorum-partition example (6 nodes, two per zone; writers in az1 cut off from az2 and az3
// from 20 s to 40 s; 1 s windows) with R = W = 2, sloppy = "on" (suspect_after 200 ms,
// handoff every 1 s).
// - Availability: a writer's operation fails only until it suspects the far home replicas,
//   200 ms after its first unanswered send (within a few ms of 20 s): the writers' 500
//   operations/s give an expected 500/s × 0.2 s = 100 failures, all in the 20 s window; the
//   count is Poisson, so within 5 SE = 5 × sqrt(100) of 100. (The strict quorum fails the
//   whole 20 s: about 10 000.)
// - Healing: after 40 s the suspects answer the next probe (≤ 200 ms) and each fallback's
//   next handoff (≤ 1 s) gives the home replicas every hinted write, so from the 42 s window
//   on no read is stale; the same partition under R = W = 1 without repair leaves stale reads
//   after it (the missed writes stay missed).
#[test]
fn a_sloppy_quorum_stays_available_and_handoff_heals_it() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kv-quorum-partition.toml");
    let with = |replication: &str| {
        let set = format!("group.kv.replication={replication}");
        let scenario = scenarios::load(&path, &[set]).expect("valid");
        run(&scenario, 7, &mut |_| ControlFlow::Continue(()))
    };
    let sloppy =
        with(r#"{ scheme = "quorum", r = 2, w = 2, coordinator = "client", sloppy = "on" }"#);
    let failures: Vec<u64> = ["store.unavailable.read", "store.unavailable.write"]
        .iter()
        .map(|name| counter_per_window(&sloppy, name))
        .fold(vec![0; 60], |acc, w| {
            acc.iter()
                .zip(w.iter().chain(std::iter::repeat(&0)))
                .map(|(a, b)| a + b)
                .collect()
        });
    let total: u64 = failures.iter().sum();
    assert_eq!(
        failures[20], total,
        "failures outside the 20 s window: {failures:?}"
    );
    let tolerance = SE_ALLOWED * 100f64.sqrt();
    assert!(
        (total as f64 - 100.0).abs() <= tolerance,
        "{total} failures, expected 100 ± {tolerance}"
    );
    let metrics = sloppy.sim.metrics();
    assert!(metrics.counter_by_name("store.hinted_writes") > 1_000);
    assert!(metrics.counter_by_name("store.handoffs") > 1_000);
    let stale = counter_per_window(&sloppy, "consistency.stale_reads");
    assert!(
        stale[25] > 0,
        "reads during the partition are stale: {stale:?}"
    );
    assert_eq!(
        stale[42..].iter().sum::<u64>(),
        0,
        "stale after handoff: {stale:?}"
    );
    let partial = with(r#"{ scheme = "quorum", r = 1, w = 1, coordinator = "client" }"#);
    let stale = counter_per_window(&partial, "consistency.stale_reads");
    assert!(
        stale[42..].iter().sum::<u64>() > 0,
        "R = W = 1 keeps its misses: {stale:?}"
    );
}

// Goal: anti-entropy repairs what a partition kept from replicas, with no read or write to
// help it. Method: the kv-quorum-partition example under R = W = 1 (writes during the
// partition reach only the writers' zone's home replica), with the writers crashed for good
// when the partition heals at 40 s, so no later write supersedes a missed one and no read
// repair runs. The readers (R = 1, answered by their own zone's replica) then read stale
// values of every key the partition's writes touched — for the rest of the run without
// anti-entropy. With anti_entropy = "1s", each replica starts a session with its next peer
// (round-robin over its 5 peers) every second, so every pair has compared trees within 5 s
// of the heal: from the 46 s window on no read may be stale.
#[test]
fn anti_entropy_repairs_what_the_partition_missed() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kv-quorum-partition.toml");
    let with = |replication: &str| {
        let overrides = [
            format!("group.kv.replication={replication}"),
            r#"fault=[{ at = "20s", partition = { from = "zone:az1", to = ["zone:az2", "zone:az3"] }, duration = "20s" }, { at = "40s", crash = "writers" }]"#.to_string(),
        ];
        let scenario = scenarios::load(&path, &overrides).expect("valid");
        run(&scenario, 7, &mut |_| ControlFlow::Continue(()))
    };
    let plain = with(r#"{ scheme = "quorum", r = 1, w = 1, coordinator = "client" }"#);
    let stale = counter_per_window(&plain, "consistency.stale_reads");
    assert!(
        stale[50..].iter().all(|&s| s > 0),
        "without anti-entropy the misses stay: {stale:?}"
    );
    let healed =
        with(r#"{ scheme = "quorum", r = 1, w = 1, coordinator = "client", anti_entropy = "1s" }"#);
    let stale = counter_per_window(&healed, "consistency.stale_reads");
    assert!(stale[25] > 0, "stale during the partition: {stale:?}");
    assert_eq!(
        stale[46..].iter().sum::<u64>(),
        0,
        "stale after anti-entropy: {stale:?}"
    );
    let metrics = healed.sim.metrics();
    assert!(metrics.counter_by_name("store.anti_entropy.repaired") > 100);
    assert!(metrics.counter_by_name("store.anti_entropy.sessions") > 5 * 55);
}

// Goal: a manual failover (`promote`) fences the old leader at once and loses exactly the
// acknowledged writes the promoted member never received. Method: the failover scenario with
// `promote = "kv[2]"` at 10.0005 s instead of a crash, traced as above. kv[0] steps down at
// its next request (it is fenced: it acknowledges and ships nothing more, and drops what it
// had not shipped); kv[2] takes the lead at its next heartbeat tick (within 100 ms). With
// async shipping 100 ms late, the writes of kv[0]'s last 100 ms were never shipped: about
// 100 lost, and `consistency.lost_writes` must equal the acknowledged keys kv[2] never got,
// exactly; with sync shipping (every follower acks first) none.
#[test]
fn a_manual_failover_fences_the_old_leader_and_counts_what_it_loses() {
    for (replication, lost_about) in [
        (
            r#"{ scheme = "leader_follower", mode = "async", lag = "100ms" }"#,
            100,
        ),
        (r#"{ scheme = "leader_follower", mode = "sync" }"#, 0),
    ] {
        let text = failover_scenario_with(replication, r#"promote = "kv[2]""#);
        let (outcome, acked, delivered) = traced_failover(&text);
        let missed = acked.difference(&delivered[1]).count() as u64;
        let metrics = outcome.sim.metrics();
        assert_eq!(
            metrics.counter_by_name("store.failovers"),
            1,
            "{replication}"
        );
        assert_eq!(metrics.counter_by_name("faults.fired.promote"), 1);
        let lost = metrics.counter_by_name("consistency.lost_writes");
        assert_eq!(lost, missed, "{replication}: {} acknowledged", acked.len());
        assert!(lost.abs_diff(lost_about) <= 2, "{replication}: {lost} lost");
        // The leader lane: kv[0]; nobody from its step-down (at its first request after
        // 10.0005 s, within 1 ms); kv[2] in term 2 within one 100 ms tick.
        let (marks, _) = metrics.annotations();
        let lane: Vec<(u64, Option<u32>, &str)> = marks
            .iter()
            .map(|a| (a.at.as_nanos(), a.node.map(|n| n.0), a.label.as_str()))
            .collect();
        assert_eq!(lane.len(), 3, "{lane:?}");
        assert_eq!((lane[0].1, lane[0].2), (Some(1), "term 1"), "{lane:?}");
        assert_eq!(lane[1].1, None, "{lane:?}");
        assert!(
            (10_000_500_000..10_001_600_000).contains(&lane[1].0),
            "{lane:?}"
        );
        assert_eq!((lane[2].1, lane[2].2), (Some(3), "term 2"), "{lane:?}");
        assert!(
            (10_000_500_000..10_100_600_000).contains(&lane[2].0),
            "{lane:?}"
        );
        // kv[0] acknowledged the first 10 s of writes (1 000/s), and nothing after; it
        // forwarded the rest to kv[2].
        assert!(
            acked.len() > 9_900,
            "{replication}: {} acknowledged",
            acked.len()
        );
        let forwarded = metrics.counter_by_name("store.forwarded");
        assert!(forwarded > 2_000, "{replication}: {forwarded} forwarded");
    }
}

// Goal: async shipping with a lag *process* keeps the log in order and loses, at a crash,
// what that process says. Method: the failover scenario (a write every 1 ms, kv[0] crashes at
// 10.0005 s) with lag = { dist = "exp", mean = "100ms" }: write k (counted back from the
// crash, age a_k = 0.5 ms + k ms) draws X_k ~ Exp(100 ms) and ships at
// max(previous ship, t_k + X_k). So every write from the oldest one whose draw outlives its
// age onwards is unshipped at the crash: P(lost <= K) = prod_{k >= K} (1 - exp(-a_k / m)),
// exactly. The run's lost count must lie between that distribution's 0.01% and 99.99%
// quantiles, equal the acknowledged keys the followers never got (from the trace), and the
// followers must receive the writes in log order (keys are sequential).
#[test]
fn a_lag_process_keeps_order_and_loses_what_its_law_says() {
    let text = failover_scenario(
        r#"{ scheme = "leader_follower", mode = "async", lag = { dist = "exp", mean = "100ms" } }"#,
    );
    let (outcome, acked, delivered) = traced_failover(&text);
    let lost = outcome
        .sim
        .metrics()
        .counter_by_name("consistency.lost_writes");
    assert_eq!(lost, acked.difference(&delivered[0]).count() as u64);
    let cdf = |k: u64| -> f64 {
        (k..20_000)
            .map(|j| 1.0 - (-(0.5 + j as f64) / 100.0).exp())
            .product()
    };
    let lo = (0..).find(|&k| cdf(k) >= 1e-4).expect("a low quantile");
    let hi = (0..)
        .find(|&k| cdf(k) >= 1.0 - 1e-4)
        .expect("a high quantile");
    assert!(
        (lo..=hi).contains(&lost),
        "{lost} lost, expected {lo}..={hi} (0.01%..99.99%)"
    );
    // In order: what a follower received is a prefix of the acknowledged keys, in key order
    // (a BTreeSet is sorted; the check is that nothing later arrived without the earlier).
    let got: Vec<u64> = delivered[0].iter().copied().collect();
    let first_missing = acked.iter().position(|k| !delivered[0].contains(k));
    if let Some(i) = first_missing {
        assert_eq!(got.len(), i, "a later write shipped before an earlier one");
    }
}

/// 20 clients offering 1 000 requests/s (half writes) to 10 keys of store `kv`
/// (`members` nodes, `replication`), 200 ms timeouts, with `fault`.
fn busy_store(members: u32, replication: &str, fault: &str) -> String {
    let busy = Traffic {
        clients: 20,
        rate: "50/s",
        timeout: "200ms",
        latency: "1ms",
        seed: 5,
        duration: "14s",
    };
    keyed_store(&busy, members, replication, fault)
}

// Goal: a leader-based store's keys are unavailable for as long as the group has no leader,
// measured at its clients like a quorum's windows. Method: 10 keys read and written 50 times
// a second each, so a key's window (its first failed call to its next successful one) is the
// leaderless time give or take the calls' gaps (exponential, mean 20 ms: under 100 ms for
// all 20 windows but with probability ~1e-2 at most each bound). leader_follower (failover
// after 1 s without heartbeats, checked every 100 ms; the last heartbeat came up to 100 ms
// before the crash): the promotion comes 0.9 to 1.1 s after the crash, so each key's read
// and write windows of the outage lie in 0.9 - 0.05 .. 1.1 + 0.15 s. Raft (5 members,
// 150-300 ms election timeouts): within -50..+150 ms of the run's leaderless time (the
// crash to the new leader's mark on the leader lane). Besides those 20, a key may fail again
// briefly after the new leader is up: a member that has not yet heard of it forwards to the
// dead leader for up to one heartbeat (100 ms; Raft: until the new leader's first append),
// and such a request fails at its 200 ms timeout, so those windows stay under
// 0.1 + 0.2 + 0.05 s. The check: the 20 longest windows are the outage's, the rest short.
#[test]
fn leader_stores_report_unavailability_windows() {
    // The 20 longest windows (one per key and operation: the outage's), and the rest.
    let split = |mut w: Vec<f64>| -> (Vec<f64>, Vec<f64>) {
        w.sort_by(|a, b| b.total_cmp(a));
        let rest = w.split_off(20.min(w.len()));
        (w, rest)
    };
    let windows = |outcome: &scenarios::run::Outcome| -> Vec<f64> {
        let m = outcome.sim.metrics();
        [
            "store.unavailable_window.read",
            "store.unavailable_window.write",
        ]
        .iter()
        .flat_map(|name| {
            let h = m.histogram_by_name(name).expect("recorded");
            h.iter_recorded()
                .flat_map(|v| {
                    std::iter::repeat_n(
                        v.value_iterated_to() as f64 / 1e9,
                        v.count_at_value() as usize,
                    )
                })
                .collect::<Vec<f64>>()
        })
        .collect()
    };
    let lf = run_text(&busy_store(
        3,
        r#"{ scheme = "leader_follower", mode = "semi_sync", acks = 1, heartbeat = "100ms", failover_timeout = "1s" }"#,
        "[[fault]]\nat = \"10s\"\ncrash = \"kv[0]\"",
    ));
    let (outage, rest) = split(windows(&lf));
    assert_eq!(outage.len(), 20, "{outage:?}");
    assert!(
        outage.iter().all(|s| (0.85..=1.25).contains(s)),
        "{outage:?}"
    );
    assert!(rest.iter().all(|s| *s <= 0.35), "{rest:?}");

    let text = busy_store(5, r#"{ scheme = "raft" }"#, "");
    let first = run_text(&text);
    let (marks, _) = first.sim.metrics().annotations();
    // Clients are nodes 0..20; kv[i] is node 20 + i.
    let leader = marks.first().and_then(|a| a.node).expect("a leader").0 - 20;
    let crash = format!("[[fault]]\nat = \"10s\"\ncrash = \"kv[{leader}]\"");
    let raft = run_text(&busy_store(5, r#"{ scheme = "raft" }"#, &crash));
    // The leader lane: the new leader's mark after the crash.
    let (marks, _) = raft.sim.metrics().annotations();
    let elected = marks
        .iter()
        .find(|a| a.at.as_nanos() > 10_000_000_000 && a.node.is_some())
        .expect("a new leader");
    let leaderless = (elected.at.as_nanos() - 10_000_000_000) as f64 / 1e9;
    let (outage, rest) = split(windows(&raft));
    assert_eq!(outage.len(), 20, "{outage:?}");
    assert!(
        outage
            .iter()
            .all(|s| (leaderless - 0.05..=leaderless + 0.15).contains(s)),
        "leaderless {leaderless:.3} s, windows {outage:?}"
    );
    assert!(rest.iter().all(|s| *s <= 0.35), "{rest:?}");
}
