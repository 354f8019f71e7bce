//! Validation of failure detection (`role = "membership"`) against theory, through the
//! engine:
//!
//! - SWIM's expected time to the first detection of a crash, T′ · 1/(1 − e^(−q_f)) protocol
//!   periods (Das, Gupta, Motivala, DSN 2002, §3.1), at q_f = 1 and q_f = 0.7, with its
//!   finite-group form 1/(1 − (1 − 1/(n − 1))^(q_f · n));
//! - no false positives without loss;
//! - the probability that a probe of a live member fails, from the paper's argument with
//!   independent loss q per message: (1 − (1 − q)²) · (1 − (1 − q)⁴)^k, falling with k;
//! - φ accrual's false-positive rate 10^−φ per heartbeat interval for normal, stationary
//!   inter-arrivals (Hayashibara et al., SRDS 2004), with the window's estimation bias.
//!
//! docs/validation.md describes the method. Every tolerance is a number of standard errors
//! of the estimate, from the trial count (5 SE: a correct simulator fails a check about once
//! in 1.7 million).

use std::ops::ControlFlow;

use scenarios::run::run;

/// Standard errors a check allows.
const SE_ALLOWED: f64 = 5.0;

/// A membership group of `n` over a 1 ms network (constant), with its other keys `keys`,
/// and `faults` (TOML `[[fault]]` entries) for `seconds`.
fn group(n: u32, seconds: u64, keys: &str, extra: &str) -> scenarios::Scenario {
    let text = format!(
        "[simulation]\nname = \"membership-validation\"\nseed = 1\nduration = \"{seconds}s\"\n\n\
         [network]\nlatency = {{ dist = \"constant\", value = \"1ms\" }}\n{extra}\n\n\
         [[group]]\nname = \"members\"\ncount = {n}\nrole = \"membership\"\n{keys}\n"
    );
    scenarios::load_text("membership.toml", &text, &[]).expect("valid scenario")
}

/// The run's metrics, for `seed`.
fn metrics(scenario: &scenarios::Scenario, seed: u64) -> sim_core::Metrics {
    let outcome = run(scenario, seed, &mut |_| ControlFlow::Continue(()));
    outcome.sim.metrics().clone()
}

/// SWIM in synchronous (in-phase) periods of 1 s, each member probing a uniform draw, with
/// suspicions that never time out within the run, so a crashed member stays a probe target
/// (the analysis's membership list, which still holds the faulty members).
const ANALYSED_SWIM: &str = "detector = \"swim\"\nphase = \"in-phase\"\nprobe = \"random\"\n\
                             ack_timeout = \"200ms\"\nsuspicion = \"10000s\"";

/// The first-suspicion times of `crashes` crashes (each 1 ms before a period boundary), in
/// protocol periods after the boundary (the 1 ms taken off), over `seeds` runs: (mean, SE,
/// samples).
fn first_detection_periods(scenario: &scenarios::Scenario, seeds: u64) -> (f64, f64, u64) {
    let (mut sum, mut sum_sq, mut count) = (0.0, 0.0, 0u64);
    for seed in 1..=seeds {
        let metrics = metrics(scenario, seed);
        assert_eq!(metrics.counter_by_name("membership.false_suspicions"), 0);
        let h = metrics
            .histogram_by_name("membership.suspicion_time")
            .expect("recorded");
        // A sample is K periods + 1 ms: the suspicion is raised when the probe's period
        // ends, K periods after the crash's boundary.
        for v in h.iter_recorded() {
            let periods = (v.value_iterated_to() as f64 - 1e6) / 1e9;
            let n = v.count_at_value() as f64;
            sum += periods * n;
            sum_sq += periods * periods * n;
            count += v.count_at_value();
        }
    }
    let n = count as f64;
    let mean = sum / n;
    let var = (sum_sq / n - mean * mean) * n / (n - 1.0);
    (mean, (var / n).sqrt(), count)
}

/// SWIM's expected periods to the first detection with `live` members probing among `n - 1`
/// others each: 1 / (1 − (1 − 1/(n − 1))^live) (the paper's 1/(1 − e^(−q_f)) for large n).
fn expected_periods(n: u32, live: u32) -> f64 {
    1.0 / (1.0 - (1.0 - 1.0 / f64::from(n - 1)).powi(live as i32))
}

// Goal: one crash at a time (q_f = 1): the mean periods to the first detection match
// 1/(1 − (1 − 1/99)^99) ≈ 1.58 (e/(e − 1) for large n). Method: 100 members; member i
// crashes 1 ms before second 10i + 5 and restarts 6 s later (detections take more than 6
// periods with probability 0.37^6 ≈ 0.3 %: they are lost, a bias of under 0.02 periods,
// far inside the tolerance); 60 crashes per run, 5 seeds.
#[test]
fn swim_first_detection_one_failure_at_a_time() {
    let faults: String = (0..60)
        .map(|i| {
            format!(
                "\n[[fault]]\nat = \"{}ms\"\ncrash = \"members[{i}]\"\nrestart_after = \"6s\"\n",
                (10 * i + 5) * 1000 - 1
            )
        })
        .collect();
    let scenario = group(100, 610, ANALYSED_SWIM, &faults);
    let (mean, se, count) = first_detection_periods(&scenario, 5);
    // About 1 of the 300 is expected to be lost.
    assert!(
        (294..=300).contains(&count),
        "{count} of 300 crashes detected"
    );
    let expected = expected_periods(100, 99);
    eprintln!("q_f = 1: {mean:.3} ± {se:.3} periods over {count} crashes, expected {expected:.3}");
    assert!(
        (mean - expected).abs() <= SE_ALLOWED * se,
        "first detection after {mean:.3} ± {se:.3} periods, SWIM's analysis {expected:.3}"
    );
}

// Goal: 30 % of the group down at once (q_f = 0.7): 1/(1 − (98/99)^70) ≈ 1.98 periods, well
// apart from the q_f = 1 value, as 1/(1 − e^(−q_f)) says. Method: 100 members, members
// 70..99 crash together 1 ms before second 1 and stay down; each is a sample; 20 seeds.
#[test]
fn swim_first_detection_with_a_fraction_down() {
    let faults = "\n[[fault]]\nat = \"999ms\"\ncrash = \"members[70..100]\"\n";
    let scenario = group(100, 30, ANALYSED_SWIM, faults);
    let (mean, se, count) = first_detection_periods(&scenario, 20);
    assert_eq!(count, 600);
    let expected = expected_periods(100, 70);
    // The paper's large-n form, 1/(1 − e^(−0.7)) = 1.99, is 0.02 above the finite form.
    let paper = 1.0 / (1.0 - (-0.7f64).exp());
    assert!((expected - paper).abs() < 0.03, "{expected} vs {paper}");
    eprintln!("q_f = 0.7: {mean:.3} ± {se:.3} periods over {count} crashes, expected {expected:.3} (paper {paper:.3})");
    assert!(
        (mean - expected).abs() <= SE_ALLOWED * se,
        "first detection after {mean:.3} ± {se:.3} periods, SWIM's analysis {expected:.3}"
    );
}

// Goal: no loss and latency far inside the timeouts: no member that is up is ever
// suspected, and every crash is detected and reaches every view. Method: 200 members with
// the defaults (round-robin probes, suspicion, random phases) for 120 s, three crashes,
// one of which restarts.
#[test]
fn swim_has_no_false_positives_without_loss() {
    let faults = "\n[[fault]]\nat = \"10s\"\ncrash = \"members[3]\"\nrestart_after = \"40s\"\n\
                  \n[[fault]]\nat = \"20s\"\ncrash = \"members[50]\"\n\
                  \n[[fault]]\nat = \"30s\"\ncrash = \"members[199]\"\n";
    let scenario = group(200, 120, "detector = \"swim\"", faults);
    let metrics = metrics(&scenario, 7);
    for name in [
        "membership.false_suspicions",
        "membership.false_positives",
        "membership.refutations",
        "membership.undetected",
        "membership.unconverged",
    ] {
        assert_eq!(metrics.counter_by_name(name), 0, "{name}");
    }
    let detections = metrics
        .histogram_by_name("membership.convergence_time")
        .expect("recorded");
    assert_eq!(detections.len(), 3);
}

// Goal: the share of probes of live members that fail falls with the ping-req fanout k as
// (1 − (1 − q)²) · (1 − (1 − q)⁴)^k: the direct ping and its ack both lost or either, and
// every one of the k indirect paths (four messages each) broken. Method: 50 members, 20 %
// loss per message, 200 s; k = 1, 2, 3; the binomial SE of each share.
#[test]
fn swim_false_suspicions_fall_with_k() {
    let q: f64 = 0.2;
    let mut last = 1.0;
    for k in 1..=3 {
        let scenario = group(
            50,
            200,
            &format!("detector = \"swim\"\nindirect = {k}"),
            &format!("loss = {q}"),
        );
        let metrics = metrics(&scenario, 3);
        let probes = metrics.counter_by_name("membership.probes") as f64;
        let failed = metrics.counter_by_name("membership.false_suspicions") as f64;
        let expected = (1.0 - (1.0 - q).powi(2)) * (1.0 - (1.0 - q).powi(4)).powi(k);
        let se = (expected * (1.0 - expected) / probes).sqrt();
        let share = failed / probes;
        eprintln!("k = {k}: {failed} of {probes} probes failed = {share:.4}, expected {expected:.4} ± {se:.4}");
        assert!(
            (share - expected).abs() <= SE_ALLOWED * se,
            "k = {k}: {share:.4} of {probes} probes failed, expected {expected:.4} ± {se:.4}"
        );
        assert!(share < last, "k = {k}: {share} not below {last}");
        last = share;
    }
}

/// The standard normal density.
fn pdf(x: f64) -> f64 {
    (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

// Goal: φ accrual declares a live sender dead in a share 10^−φ of heartbeat intervals when
// the intervals are normal and stationary. Method: 10 members, heartbeats every 100 ms plus
// a normal jitter (mean 50 ms, σ 10 ms) over a constant 1 ms network, no pause, a window of
// 1,000 intervals; 150 s of warm-up fill the windows, then 600 s are counted (about 360,000
// intervals). The window's estimates are noisy: with the threshold at z + δ,
// var δ = (1 + z²/2) / W, and E[tail] = 10^−φ + ½ z pdf(z) var δ (second order): 1 % (φ = 2)
// and 3 % (φ = 3) above 10^−φ, which the expectation includes.
#[test]
fn phi_false_positives_match_ten_to_minus_phi() {
    let window = 1000.0;
    for phi in [2.0f64, 3.0] {
        let keys = format!(
            "detector = \"phi\"\nperiod = \"100ms\"\nthreshold = {phi:.1}\nwindow = 1000\n\
             pause = \"0s\"\nmin_std = \"1ms\"\n\
             jitter = {{ dist = \"normal\", mean = \"50ms\", stddev = \"10ms\" }}"
        );
        let text = format!(
            "[simulation]\nname = \"phi-validation\"\nseed = 1\nduration = \"750s\"\nwarmup = \"150s\"\n\n\
             [network]\nlatency = {{ dist = \"constant\", value = \"1ms\" }}\n\n\
             [[group]]\nname = \"members\"\ncount = 10\nrole = \"membership\"\n{keys}\n"
        );
        let scenario = scenarios::load_text("phi.toml", &text, &[]).expect("valid scenario");
        let metrics = metrics(&scenario, 11);
        let intervals = metrics.counter_by_name("membership.heartbeats") as f64;
        let late = metrics.counter_by_name("membership.false_positives") as f64;
        let tail = 10f64.powf(-phi);
        let z = -sim_core::dist::normal_quantile(tail);
        let expected = tail + 0.5 * z * pdf(z) * (1.0 + z * z / 2.0) / window;
        let se = (expected * (1.0 - expected) / intervals).sqrt();
        let share = late / intervals;
        eprintln!("phi = {phi}: {late} of {intervals} intervals late = {share:.5}, expected {expected:.5} ± {se:.5}");
        assert!(
            (share - expected).abs() <= SE_ALLOWED * se,
            "phi = {phi}: {late} late of {intervals} intervals = {share:.5}, expected {expected:.5} ± {se:.5}"
        );
    }
}

// Goal: `join` and `leave` flow through every detector: members that join are watched
// (a crash of one is detected and reaches every view), members that leave are not false
// positives, and nothing else is. Method: 20 members, 15 at the start; the other 5 join at
// 10 s, 3 leave at 30 s, a joiner crashes at 40 s; no loss. Gossip heartbeat tables get a
// `fail` of 30 periods: with one gossip per period, a counter can take longer than the
// default 15 to reach everyone, a false positive that has nothing to do with joins.
#[test]
fn joins_and_leaves_flow_through_every_detector() {
    let faults = "\n[[fault]]\nat = \"10s\"\njoin = \"members[15..20]\"\n\
                  \n[[fault]]\nat = \"30s\"\nleave = \"members[0..3]\"\n\
                  \n[[fault]]\nat = \"40s\"\ncrash = \"members[17]\"\n";
    for detector in ["swim", "heartbeat", "phi", "gossip-heartbeat"] {
        let mut keys = format!("detector = \"{detector}\"\ninitial_members = 15");
        if detector == "gossip-heartbeat" {
            keys.push_str("\nfail = \"30s\"");
        }
        let scenario = group(20, 100, &keys, faults);
        let metrics = metrics(&scenario, 5);
        assert_eq!(
            metrics.counter_by_name("membership.false_positives"),
            0,
            "{detector}"
        );
        assert_eq!(
            metrics.counter_by_name("membership.crashes"),
            1,
            "{detector}"
        );
        assert_eq!(
            metrics.counter_by_name("membership.undetected"),
            0,
            "{detector}"
        );
        let every_view = metrics
            .histogram_by_name("membership.convergence_time")
            .expect("recorded");
        assert_eq!(
            every_view.len(),
            1,
            "{detector}: the joiner's crash reached every view"
        );
    }
}

// Goal: a slow member (a `slow` fault on a member whose service model answers probes) is
// suspected, because its acks come late, and refutes in time, so it is not declared dead.
// Method: 50 members answering probes through one worker of 1 ms; member 3 a thousand
// times slower (1 s per answer, past the 500 ms ack timeout) for 60 s; the same run
// without the fault suspects no one.
#[test]
fn a_slow_member_is_suspected_and_refutes() {
    let keys = "detector = \"swim\"\nservice = { workers = 1, time = { dist = \"constant\", value = \"1ms\" } }";
    let slow = "\n[[fault]]\nat = \"20s\"\nduration = \"60s\"\nslow = { nodes = \"members[3]\", factor = 1000 }\n";
    let metrics_slow = metrics(&group(50, 120, keys, slow), 1);
    assert!(metrics_slow.counter_by_name("membership.false_suspicions") > 0);
    assert!(metrics_slow.counter_by_name("membership.refutations") > 0);
    assert_eq!(
        metrics_slow.counter_by_name("membership.false_positives"),
        0
    );
    let metrics_steady = metrics(&group(50, 120, keys, ""), 1);
    assert_eq!(
        metrics_steady.counter_by_name("membership.false_suspicions"),
        0
    );
}
