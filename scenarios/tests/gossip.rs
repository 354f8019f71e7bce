//! Validation of gossip dissemination (`role = "gossip"`) against theory: the rounds push
//! rumour spreading needs to inform everyone on a complete graph (Pittel, "On spreading a
//! rumor", SIAM J. Appl. Math. 1987: log2 n + ln n + O(1)), and push-pull's much faster
//! growth (Karp, Schindelhauer, Shenker, Vöcking, "Randomized Rumor Spreading", FOCS 2000:
//! log3 n + O(ln ln n)), checked as growth in n across group sizes, through the engine.
//! docs/validation.md describes the method.
//!
//! Every tolerance is a number of standard errors of the estimate, from the trials' own
//! spread (5 SE: a correct simulator fails a check about once in 1.7 million).

use std::ops::ControlFlow;

use scenarios::run::run;

/// Standard errors a check allows.
const SE_ALLOWED: f64 = 5.0;

/// A gossip group of `n` members on the complete graph in synchronous (in-phase) rounds of
/// 1 s over a 1 ms network (far below a round, so a round's messages all arrive before the
/// next), for `seconds`, with the group's other keys `keys`.
fn synchronous_group(n: u32, seconds: u64, keys: &str) -> scenarios::Scenario {
    let text = format!(
        "[simulation]\nname = \"gossip-validation\"\nseed = 1\nduration = \"{seconds}s\"\n\n\
         [network]\nlatency = {{ dist = \"constant\", value = \"1ms\" }}\n\n\
         [[group]]\nname = \"peers\"\ncount = {n}\nrole = \"gossip\"\nperiod = \"1s\"\n\
         phase = \"in-phase\"\n{keys}\n"
    );
    scenarios::load_text("gossip.toml", &text, &[]).expect("valid scenario")
}

/// One rumour born at t = 0 in a [`synchronous_group`] of `n` with fanout 1: the number of
/// rounds until every member knew it, for each of `trials` seeds.
fn rounds_to_all(mode: &str, n: u32, trials: u64) -> Vec<f64> {
    let rounds = 2 * (n as f64).log2().ceil() as u64 + 12;
    let scenario = synchronous_group(
        n,
        rounds,
        &format!("mode = \"{mode}\"\nfanout = 1\nrumours = {{ count = 1 }}"),
    );
    (1..=trials)
        .map(|seed| {
            let outcome = run(&scenario, seed, &mut |_| ControlFlow::Continue(()));
            let metrics = outcome.sim.metrics();
            assert_eq!(
                metrics.counter_by_name("gossip.residue"),
                0,
                "{mode} n={n} seed {seed}: someone never heard within {rounds} rounds"
            );
            let h = metrics
                .histogram_by_name("gossip.periods_to_all")
                .expect("recorded");
            assert_eq!(h.len(), 1);
            // Informed during round R (at R s + 1 ms): R whole periods after the birth.
            h.max() as f64
        })
        .collect()
}

/// Mean and standard error of `xs`.
fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Least-squares slope of `ys` on `xs`, and its standard error from the points' own SEs
/// (independent, so var(slope) = sum w_i^2 se_i^2 with w_i = (x_i - x̄) / Sxx).
fn slope(xs: &[f64], ys: &[(f64, f64)]) -> (f64, f64) {
    let k = xs.len() as f64;
    let xbar = xs.iter().sum::<f64>() / k;
    let sxx: f64 = xs.iter().map(|x| (x - xbar).powi(2)).sum();
    let b = xs
        .iter()
        .zip(ys)
        .map(|(x, (y, _))| (x - xbar) * y)
        .sum::<f64>()
        / sxx;
    let var = xs
        .iter()
        .zip(ys)
        .map(|(x, (_, se))| ((x - xbar) / sxx).powi(2) * se * se)
        .sum::<f64>();
    (b, var.sqrt())
}

/// Sizes 2^6 .. 2^11 (the `#[ignore]`d test below goes to 2^16 in release).
fn check_growth(exponents: std::ops::RangeInclusive<u32>, trials: u64) {
    let sizes: Vec<u32> = exponents.map(|e| 1u32 << e).collect();
    let ln_n: Vec<f64> = sizes.iter().map(|&n| f64::from(n).ln()).collect();

    // Push: Pittel's log2 n + ln n + O(1) has slope 1/ln 2 + 1 in ln n, and a constant
    // offset; log2 n alone (slope 1.44) would be a different law.
    let push: Vec<(f64, f64)> = sizes
        .iter()
        .map(|&n| mean_se(&rounds_to_all("push", n, trials)))
        .collect();
    let (b, se) = slope(&ln_n, &push);
    let pittel = 1.0 / std::f64::consts::LN_2 + 1.0;
    assert!(
        (b - pittel).abs() <= SE_ALLOWED * se,
        "push: slope {b:.3} ± {se:.3} per ln n, Pittel {pittel:.3}; means {push:?}"
    );
    assert!(
        (b - 1.0 / std::f64::consts::LN_2).abs() > SE_ALLOWED * se,
        "push: the test cannot tell log2 n + ln n from log2 n (slope {b:.3} ± {se:.3})"
    );
    // The O(1): the same constant at every size.
    let offsets: Vec<(f64, f64)> = sizes
        .iter()
        .zip(&push)
        .map(|(&n, &(m, se))| (m - (f64::from(n).log2() + f64::from(n).ln()), se))
        .collect();
    let weights: f64 = offsets.iter().map(|(_, se)| 1.0 / (se * se)).sum();
    let c = offsets.iter().map(|(o, se)| o / (se * se)).sum::<f64>() / weights;
    for (&n, &(o, se)) in sizes.iter().zip(&offsets) {
        assert!(
            (o - c).abs() <= SE_ALLOWED * (se * se + 1.0 / weights).sqrt(),
            "push n={n}: offset {o:.3} ± {se:.3} from log2 n + ln n, pooled {c:.3}"
        );
    }
    eprintln!(
        "push: slope {b:.3} ± {se:.3} (Pittel {pittel:.3}); rounds - (log2 n + ln n) = {c:.2}"
    );

    // Push-pull: Karp et al. show log3 n rounds for the start phase (each round at most
    // triples the informed in expectation) and O(ln ln n) for the end, in which the
    // uninformed fraction about squares each round (pulls), i.e. log2 ln n rounds. So the
    // slope in ln n lies between that of log3 n (1/ln 3) and that of log3 n + log2 ln n,
    // whose second term's slope 1/(ln 2 · ln n) is largest at the smallest size.
    let pp: Vec<(f64, f64)> = sizes
        .iter()
        .map(|&n| mean_se(&rounds_to_all("push-pull", n, trials)))
        .collect();
    let (b, se) = slope(&ln_n, &pp);
    let log3 = 1.0 / 3f64.ln();
    let end_phase = 1.0 / (std::f64::consts::LN_2 * ln_n[0]);
    assert!(
        b >= log3 - SE_ALLOWED * se && b <= log3 + end_phase + SE_ALLOWED * se,
        "push-pull: slope {b:.3} ± {se:.3} per ln n, outside [{log3:.3}, {:.3}]; means {pp:?}",
        log3 + end_phase
    );
    eprintln!(
        "push-pull: slope {b:.3} ± {se:.3} (log3 n {log3:.3}, log3 n + log2 ln n {:.3})",
        log3 + end_phase
    );
    // And push-pull beats push at every size.
    for ((&n, p), q) in sizes.iter().zip(&push).zip(&pp) {
        assert!(
            q.0 < p.0,
            "n={n}: push-pull {q:?} not faster than push {p:?}"
        );
    }
}

// Goal: push and push-pull grow with n as the theory says, through the engine (debug
// build: n = 2^6 .. 2^11, 30 trials each).
#[test]
fn rumour_spreading_grows_as_theory_says() {
    check_growth(6..=11, 30);
}

// Goal: the same to n = 2^16, in release:
// cargo test --release -p scenarios --test gossip -- --ignored
#[test]
#[ignore = "long: run in release, see docs/validation.md"]
fn rumour_spreading_grows_as_theory_says_to_65536() {
    check_growth(10..=16, 40);
}

/// `stop` for push rumour mongering in a [`synchronous_group`] of `n`: 20 rumours, 30 s
/// apart (each dies out long before the next), for each seed: (residue fraction s, pushes
/// per member and rumour m).
fn residue_and_traffic(stop: &str, n: u32, seeds: u64) -> Vec<(f64, f64)> {
    let rumours = 20u32;
    let scenario = synchronous_group(
        n,
        30 * u64::from(rumours),
        &format!(
            "mode = \"push\"\nstop = {stop}\nrumours = {{ count = {rumours}, every = \"30s\" }}"
        ),
    );
    (1..=seeds)
        .map(|seed| {
            let outcome = run(&scenario, seed, &mut |_| ControlFlow::Continue(()));
            let m = outcome.sim.metrics();
            let pairs = f64::from(n) * f64::from(rumours);
            assert_eq!(m.counter_by_name("gossip.rumours"), u64::from(rumours));
            // Pushes: every message but the feedback, one per redundant delivery (one
            // rumour in flight at a time, so one per push that found it known).
            let feedback = if stop.contains("counter") {
                m.counter_by_name("gossip.redundant")
            } else {
                0
            };
            let pushes = (m.counter_by_name("gossip.messages") - feedback) as f64;
            let s = m.counter_by_name("gossip.residue") as f64 / pairs;
            (s, pushes / pairs)
        })
        .collect()
}

// Goal: rumour mongering trades traffic for residue as Demers et al. derive ("Epidemic
// Algorithms for Replicated Database Maintenance", PODC 1987, §1.4): a member is missed
// exactly when none of the pushes lands on it, so the residue s and the pushes per member m
// satisfy s = e^{-m} whatever the stop rule. At finite n, with pushes landing independently
// and uniformly on the n - 1 others and the origin never missed:
// s = (1 - 1/n) (1 - 1/(n-1))^{m n}. Checked for the feedback counter (k = 1, 2, 3) and the
// blind coin (k = 2, 3), 5 seeds each: the mean of ln s minus its prediction within 5 SE of
// the seeds' spread; and more patience (larger k) buys a smaller residue for more traffic.
#[test]
fn stop_rules_trade_traffic_for_residue_as_demers_says() {
    let n = 1000u32;
    for rules in [
        ["{ counter = 1 }", "{ counter = 2 }", "{ counter = 3 }"].as_slice(),
        ["{ coin = 2 }", "{ coin = 3 }"].as_slice(),
    ] {
        let mut last: Option<(f64, f64)> = None;
        for stop in rules {
            let runs = residue_and_traffic(stop, n, 5);
            let nf = f64::from(n);
            let gaps: Vec<f64> = runs
                .iter()
                .map(|&(s, m)| {
                    s.ln() - ((1.0 - 1.0 / nf).ln() + m * nf * (1.0 - 1.0 / (nf - 1.0)).ln())
                })
                .collect();
            let (gap, se) = mean_se(&gaps);
            let (s, _) = mean_se(&runs.iter().map(|r| r.0).collect::<Vec<_>>());
            let (m, _) = mean_se(&runs.iter().map(|r| r.1).collect::<Vec<_>>());
            eprintln!("stop {stop}: residue {s:.4}, pushes per member {m:.3}, e^-m {:.4}, ln s - prediction {gap:.4} ± {se:.4}", (-m).exp());
            assert!(
                gap.abs() <= SE_ALLOWED * se,
                "stop {stop}: ln s off its prediction by {gap:.4} ± {se:.4} (s {s:.4}, m {m:.3})"
            );
            if let Some((s0, m0)) = last {
                assert!(
                    s < s0 && m > m0,
                    "stop {stop}: residue {s} / traffic {m} vs {s0} / {m0}"
                );
            }
            last = Some((s, m));
        }
    }
}

/// Runs gossip group keys `keys` (n members, 1 ms links, `seconds` long) with seed 1: the
/// run's (rumours born, first receipts, residue, messages).
fn spread(n: u32, seconds: u64, keys: &str) -> (u64, u64, u64, u64) {
    let text = format!(
        "[simulation]\nname = \"gossip-spread\"\nseed = 1\nduration = \"{seconds}s\"\n\n\
         [network]\nlatency = {{ dist = \"exp\", mean = \"1ms\" }}\n\n\
         [[group]]\nname = \"peers\"\ncount = {n}\nrole = \"gossip\"\n{keys}\n"
    );
    let scenario = scenarios::load_text("gossip.toml", &text, &[]).expect("valid scenario");
    let outcome = run(&scenario, 1, &mut |_| ControlFlow::Continue(()));
    let m = outcome.sim.metrics();
    let c = |name| m.counter_by_name(name);
    (
        c("gossip.rumours"),
        c("gossip.informed"),
        c("gossip.residue"),
        c("gossip.messages"),
    )
}

// Goal: a TTL bounds how far a rumour travels: flooded on receipt along a ring of 101
// members with ttl = H < 50, each rumour reaches exactly its origin and the H members on
// either side (a copy of H hops is not forwarded, and the way round the other side is longer
// than H), i.e. 2H + 1 members.
#[test]
fn a_ttl_bounds_the_flood_on_a_ring() {
    for ttl in [1u64, 5, 20] {
        let (born, informed, residue, _) = spread(
            101,
            5,
            &format!(
                "forward = \"on-receipt\"\nfanout = \"all\"\ntopology = \"ring\"\nstop = {{ ttl = {ttl} }}\nrumours = {{ count = 10, every = \"100ms\" }}"
            ),
        );
        assert_eq!(born, 10);
        assert_eq!(informed, 10 * (2 * ttl + 1), "ttl {ttl}");
        assert_eq!(residue, 10 * 101 - informed, "ttl {ttl}");
    }
}

// Goal: many rumours at once, beyond one 64-id block, all reach everyone by push-pull (the
// pushes split into blocks, the pulls fall back to the callee's newest block), by pull
// alone, by push-pull over a random overlay of degree 6, and by anti-entropy (digests of
// the whole state); with a `rounds` stop rule, spreading ends, so messages stop growing with the run.
#[test]
fn hundreds_of_rumours_reach_everyone() {
    for (mode, topology) in [
        ("push-pull", "\"total\""),
        ("pull", "\"total\""),
        ("push-pull", "{ kind = \"random\", degree = 6 }"),
        ("anti-entropy", "\"total\""),
    ] {
        let (born, informed, residue, _) = spread(
            50,
            30,
            &format!("mode = \"{mode}\"\ntopology = {topology}\nperiod = \"100ms\"\nrumours = {{ count = 300, every = \"10ms\" }}"),
        );
        assert_eq!(born, 300, "{mode}");
        assert_eq!((informed, residue), (300 * 50, 0), "{mode}");
    }
    let keys = "mode = \"push\"\nperiod = \"100ms\"\nstop = { rounds = 10 }\nrumours = { count = 100, every = \"10ms\" }";
    let (_, _, _, short) = spread(50, 10, keys);
    let (_, _, _, long) = spread(50, 30, keys);
    assert_eq!(short, long, "pushes went on after every rumour's 10 rounds");
}
