//! Tests of the balancers, the backend set and the health checker.

use sim_core::rng::{stream, StreamKind, StreamLabel};
use sim_core::{NodeId, SimDuration, SimRng, SimTime};

use super::*;

fn rng(seed: u64) -> SimRng {
    stream(seed, StreamLabel::new(StreamKind::Model, 0))
}

fn millis(n: u64) -> SimTime {
    SimTime(SimDuration::from_millis(n).as_nanos())
}

/// Backends on nodes 100, 101, ... with `weights`, a 100 ms EWMA half-life and a 1 s refresh.
fn backends(weights: &[u32]) -> Backends {
    let members: Vec<(NodeId, u32)> = (0_u32..)
        .zip(weights)
        .map(|(idx, &weight)| (NodeId(100 + idx), weight))
        .collect();
    let decay = EwmaDecay::half_life(SimDuration::from_millis(100)).unwrap();
    Backends::new(&members, decay, SimDuration::from_secs(1)).unwrap()
}

/// `n_picks` picks of `balancer` drawn from stream `seed`, each recorded as a send at `at`.
fn picks_at(
    balancer: &mut dyn Balancer,
    set: &mut Backends,
    n_picks: usize,
    seed: u64,
    at: SimTime,
) -> Vec<usize> {
    let mut rng = rng(seed);
    (0..n_picks)
        .map(|_| {
            let idx = balancer
                .pick(set, None, &mut rng)
                .expect("a healthy backend");
            set.on_send(idx, at);
            idx
        })
        .collect()
}

/// [`picks_at`] at time 0.
fn picks(balancer: &mut dyn Balancer, set: &mut Backends, n_picks: usize, seed: u64) -> Vec<usize> {
    picks_at(balancer, set, n_picks, seed, SimTime::ZERO)
}

// Goal: round robin visits healthy backends in index order, skips ejected ones, resumes
// after the last pick when the set changes, and returns None when none is healthy.
#[test]
fn round_robin_cycles() {
    let mut set = backends(&[1, 5, 1]);
    let mut balancer = RoundRobin::default();
    assert_eq!(picks(&mut balancer, &mut set, 7, 0), [0, 1, 2, 0, 1, 2, 0]);
    set.set_health(1, Health::Ejected);
    assert_eq!(picks(&mut balancer, &mut set, 4, 0), [2, 0, 2, 0]);
    set.set_health(0, Health::Ejected);
    set.set_health(2, Health::Ejected);
    assert_eq!(balancer.pick(&set, None, &mut rng(0)), None);
    set.set_health(1, Health::Healthy);
    assert_eq!(picks(&mut balancer, &mut set, 2, 0), [1, 1]);
}

// Goal: smooth weighted round robin matches nginx's documented sequence for weights 5, 1, 1
// (`a a b a c a a`); over every cycle of W = sum(w) picks backend i gets exactly w_i; and it
// is smooth in the sense we test: in every prefix of k picks, backend i has been picked at
// most ceil(w_i * k / W) + 1 times.
#[test]
fn weighted_round_robin_is_exact_and_smooth() {
    let mut set = backends(&[5, 1, 1]);
    let sequence = picks(&mut WeightedRoundRobin::default(), &mut set, 7, 0);
    assert_eq!(sequence, [0, 0, 1, 0, 2, 0, 0]);
    let weight_sets: [&[u32]; 6] = [
        &[1],
        &[1, 1],
        &[3, 2, 1],
        &[7, 3, 2, 1],
        &[4, 4, 1],
        &[10, 1, 1, 1, 1, 1],
    ];
    for weights in weight_sets {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut set = backends(weights);
        let cycles = 3;
        let sequence = picks(
            &mut WeightedRoundRobin::default(),
            &mut set,
            (total * cycles) as usize,
            0,
        );
        let mut counts = vec![0_u64; weights.len()];
        for (k, &idx) in (1_u64..).zip(&sequence) {
            counts[idx] += 1;
            for (i, &weight) in weights.iter().enumerate() {
                let bound = (u64::from(weight) * k).div_ceil(total) + 1;
                assert!(counts[i] <= bound, "{weights:?}: prefix {k} has {counts:?}");
            }
            if k % total == 0 {
                let expect: Vec<u64> = weights.iter().map(|&w| u64::from(w) * k / total).collect();
                assert_eq!(counts, expect, "{weights:?}: cycle ending at pick {k}");
            }
        }
    }
}

// Goal: weighted round robin over the remaining backends after an ejection keeps their
// proportions exact per cycle, and never picks the ejected one.
#[test]
fn weighted_round_robin_skips_ejected() {
    let mut set = backends(&[3, 5, 1]);
    set.set_health(1, Health::Ejected);
    let sequence = picks(&mut WeightedRoundRobin::default(), &mut set, 8, 0);
    assert_eq!(sequence.iter().filter(|&&idx| idx == 0).count(), 6);
    assert_eq!(sequence.iter().filter(|&&idx| idx == 2).count(), 2);
}

// Goal: uniform random gives each healthy backend 1/n of picks and the ejected none. Each
// count is Binomial(k, 1/4) with mean k/4 and sd sqrt(k * 1/4 * 3/4) = 86.6 for k = 40000;
// we allow 5 sd (a false failure per backend has probability ~6e-7).
#[test]
fn uniform_random_proportions() {
    let mut set = backends(&[1, 1, 1, 1, 1]);
    set.set_health(2, Health::Ejected);
    let n_picks = 40_000_u32;
    let sequence = picks(&mut UniformRandom, &mut set, n_picks as usize, 11);
    let p = 0.25;
    let mean = f64::from(n_picks) * p;
    let sd = (f64::from(n_picks) * p * (1.0 - p)).sqrt();
    for idx in 0..5 {
        let count = sequence.iter().filter(|&&pick| pick == idx).count() as f64;
        if idx == 2 {
            assert_eq!(count, 0.0);
        } else {
            assert!((count - mean).abs() < 5.0 * sd, "backend {idx}: {count}");
        }
    }
}

/// Sets outstanding counts with sends at time 0.
fn with_load(weights: &[u32], loads: &[u32]) -> Backends {
    let mut set = backends(weights);
    for (idx, &load) in loads.iter().enumerate() {
        for _ in 0..load {
            set.on_send(idx, SimTime::ZERO);
        }
    }
    set
}

// Goal: least outstanding picks the least loaded per unit weight, never an ejected backend,
// and spreads ties: each tied backend is picked in some of 200 seeded trials.
#[test]
fn least_outstanding_picks_least_loaded() {
    #[track_caller]
    fn check(weights: &[u32], loads: &[u32], ejected: &[usize], expect: &[usize]) {
        let mut set = with_load(weights, loads);
        for &idx in ejected {
            set.set_health(idx, Health::Ejected);
        }
        let mut seen: Vec<usize> = (0..200)
            .filter_map(|seed| LeastOutstanding.pick(&set, None, &mut rng(seed)))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, expect);
    }
    check(&[1, 1, 1], &[3, 1, 2], &[], &[1]);
    check(&[1, 1, 1], &[3, 1, 2], &[1], &[2]);
    check(&[3, 1], &[2, 1], &[], &[0]); // 2/3 < 1/1
    check(&[1, 1, 1, 1], &[1, 0, 5, 0], &[], &[1, 3]);
    check(&[1, 1], &[0, 0], &[0, 1], &[]);
}

// Goal: least response time scores ewma * (outstanding + 1), gives an unsampled backend the
// mean EWMA of the sampled ones, and acts as least outstanding before any response.
#[test]
fn least_response_time_scores() {
    let mut set = backends(&[1, 1, 1]);
    assert_eq!(
        LeastResponseTime.pick(&with_load(&[1, 1, 1], &[1, 0, 1]), None, &mut rng(0)),
        Some(1)
    );
    set.on_send(0, SimTime::ZERO);
    set.on_send(1, SimTime::ZERO);
    set.on_response(0, SimDuration::from_millis(1), millis(1));
    set.on_response(1, SimDuration::from_millis(3), millis(3));
    assert_eq!(set.latency_ewma_ns(2), None);
    // Scores: 1 ms, 3 ms and the mean 2 ms for the unsampled backend 2.
    assert_eq!(LeastResponseTime.pick(&set, None, &mut rng(0)), Some(0));
    set.on_send(0, millis(3));
    set.on_send(0, millis(3));
    // Backend 0 now scores 1 ms * 3 = 3 ms > 2 ms.
    assert_eq!(LeastResponseTime.pick(&set, None, &mut rng(0)), Some(2));
}

// Goal: the EWMA follows its documented formulas (half-life: one half-life later the old
// average counts half; per-sample: alpha on the newest sample).
#[test]
fn ewma_decay() {
    #[track_caller]
    fn check(decay: EwmaDecay, second_at: SimTime, expect_ns: f64) {
        let members = [(NodeId(1), 1)];
        let mut set = Backends::new(&members, decay, SimDuration::from_secs(1)).unwrap();
        set.on_send(0, SimTime::ZERO);
        set.on_response(0, SimDuration(100), SimTime::ZERO);
        set.on_send(0, second_at);
        set.on_response(0, SimDuration(200), second_at);
        let ewma = set.latency_ewma_ns(0).unwrap();
        assert!((ewma - expect_ns).abs() < 1e-9, "{ewma} != {expect_ns}");
    }
    let half_life = EwmaDecay::half_life(SimDuration::from_millis(10)).unwrap();
    check(half_life, millis(10), 150.0);
    check(half_life, millis(20), 175.0);
    check(half_life, SimTime::ZERO, 100.0);
    check(EwmaDecay::per_sample(0.25).unwrap(), millis(10), 125.0);
    check(EwmaDecay::per_sample(1.0).unwrap(), SimTime::ZERO, 200.0);
}

// Goal: the snapshot holds the outstanding counts at the last refresh boundary (multiples of
// `refresh`), with events at the boundary counted after it.
#[test]
fn snapshot_refreshes_on_boundaries() {
    let members = [(NodeId(1), 1)];
    let decay = EwmaDecay::per_sample(0.5).unwrap();
    let mut set = Backends::new(&members, decay, SimDuration::from_millis(10)).unwrap();
    set.on_send(0, millis(5));
    assert_eq!(set.outstanding_reported(0), 0);
    set.on_send(0, millis(10));
    assert_eq!((set.outstanding(0), set.outstanding_reported(0)), (2, 1));
    assert!(!set.maybe_refresh(millis(19)));
    set.on_failure(0, millis(19));
    assert!(set.maybe_refresh(millis(35)));
    assert_eq!(set.outstanding_reported(0), 1);
}

// Goal: a response with nothing outstanding is a bug in the host, so it panics.
#[test]
#[should_panic(expected = "ended but none was outstanding")]
fn response_without_send_panics() {
    backends(&[1]).on_response(0, SimDuration(1), SimTime::ZERO);
}

/// Balls into bins: `n` requests (never answered) to `n` backends; the largest count.
fn max_load(spec: &BalancerSpec, n: usize, seed: u64) -> u32 {
    let mut set = backends(&vec![1; n]);
    picks(spec.build().as_mut(), &mut set, n, seed);
    (0..n).map(|idx| set.outstanding(idx)).max().unwrap()
}

// Goal: power of two choices with exact counts keeps the maximum load far below random
// placement (Mitzenmacher 2001; Azar, Broder, Karlin & Upfal, "Balanced allocations", 1999).
// With m = n = 1000 balls, random's max load grows as ln n / ln ln n and two choices' as
// ln ln n / ln 2 + O(1). Concretely for n = 1000:
// - Random: a bin holds >= 4 balls with probability P(Binomial(1000, 1/1000) >= 4) = 0.0189;
//   bin loads are negatively associated (Dubhashi & Ranjan 1998), so P(max <= 3) <=
//   (1 - 0.0189)^1000 = 5e-9. So every one of 50 seeds has max >= 4 (failure ~3e-7).
// - Two choices: the fluid limit (Mitzenmacher's thesis, ds_i/dt = s_{i-1}^2 - s_i^2 to t = 1)
//   gives the fraction of bins with >= 4 balls s_4 = 6.0e-6, so E[#bins >= 4] = 0.006 and
//   max <= 3 in all but ~0.6% of seeds; the mean over 50 seeds is below 3.5 unless 25 seeds
//   exceed 3 (probability ~1e-40). Distinct choices (ours) only do better than independent.
// So the mean max of two choices (< 3.5) is below random's (>= 4) with wide margins on both
// sides: a derived comparison, not a tuned one.
#[test]
fn power_of_two_choices_beats_random_max_load() {
    let n = 1000;
    let seeds = 0..50_u64;
    let p2c = BalancerSpec::from_name("p2c").unwrap();
    let random = BalancerSpec::from_name("random").unwrap();
    let p2c_max: Vec<u32> = seeds.clone().map(|seed| max_load(&p2c, n, seed)).collect();
    let random_max: Vec<u32> = seeds.map(|seed| max_load(&random, n, seed)).collect();
    assert!(random_max.iter().all(|&max| max >= 4), "{random_max:?}");
    let mean = |maxes: &[u32]| maxes.iter().map(|&max| f64::from(max)).sum::<f64>() / 50.0;
    assert!(mean(&p2c_max) < 3.5, "{p2c_max:?}");
    assert!(mean(&p2c_max) < mean(&random_max));
}

// Goal: stale power of two choices herds. Deterministic part: with two backends and reports
// [0, 3], every pick of the interval goes to backend 0 whatever the draws, then after the
// next refresh (reports [20, 3]) every pick goes to backend 1; exact counts keep the two
// within 1 of each other. Statistical part: with 10 backends and backend 7 reported idle,
// backend 7 wins every pair it is drawn in, so its picks are Binomial(k, 2/n) (mean 2000, sd
// 40 for k = 10000; we allow 5 sd), twice its fair share, while exact counts stay near the
// mean of ~1001 (their gap is O(ln ln n), Berenbrink et al., STOC 2000).
#[test]
fn stale_power_of_two_choices_herds() {
    let mut rng = rng(5);
    for stale in [true, false] {
        let mut balancer = PowerOfTwoChoices { stale };
        let mut set = with_load(&[1, 1], &[0, 3]);
        assert!(set.maybe_refresh(millis(1000)));
        for step in 0..20 {
            let idx = balancer.pick(&set, None, &mut rng).unwrap();
            set.on_send(idx, millis(1000 + step));
        }
        let loads = (set.outstanding(0), set.outstanding(1));
        if stale {
            assert_eq!(loads, (20, 3));
            assert!(set.maybe_refresh(millis(2000)));
            let sequence = picks_at(&mut balancer, &mut set, 10, 5, millis(2000));
            assert_eq!(sequence, [1; 10]);
        } else {
            assert!(loads.0.abs_diff(loads.1) <= 1, "{loads:?}");
        }
    }
    let n_picks = 10_000;
    let mut loads_max = Vec::new();
    for stale in [true, false] {
        let mut set = with_load(&[1; 10], &[1, 1, 1, 1, 1, 1, 1, 0, 1, 1]);
        set.maybe_refresh(millis(1000));
        let sequence = picks_at(
            &mut PowerOfTwoChoices { stale },
            &mut set,
            n_picks,
            9,
            millis(1000),
        );
        let herd = sequence.iter().filter(|&&idx| idx == 7).count() as f64;
        if stale {
            assert!((herd - 2000.0).abs() < 5.0 * 40.0, "{herd}");
        }
        loads_max.push((0..10).map(|idx| set.outstanding(idx)).max().unwrap());
    }
    assert!(loads_max[0] > loads_max[1] + 500, "{loads_max:?}");
}

/// Owners (backend idx) of keys `0..n_keys` under `balancer`.
fn owners(balancer: &mut ConsistentHashByKey, set: &Backends, n_keys: u64) -> Vec<usize> {
    let mut rng = rng(0);
    (0..n_keys)
        .map(|key| balancer.pick(set, Some(KeyId(key)), &mut rng).unwrap())
        .collect()
}

// Goal: consistent hashing maps a key to the same backend while membership is stable (and
// whatever the backend order), ejecting a backend moves only its keys, and re-admitting it
// restores the original map.
#[test]
fn consistent_hash_moves_only_ejected_keys() {
    let n_keys = 20_000;
    let mut set = backends(&[1; 10]);
    let mut balancer = ConsistentHashByKey::new(Vnodes::new(VNODES_DEFAULT).unwrap());
    let before = owners(&mut balancer, &set, n_keys);
    assert_eq!(owners(&mut balancer, &set, n_keys), before);
    assert!((0..10).all(|idx| before.contains(&idx)));
    let members: Vec<(NodeId, u32)> = (0..10).rev().map(|idx| (NodeId(100 + idx), 1)).collect();
    let decay = EwmaDecay::per_sample(0.5).unwrap();
    let reversed = Backends::new(&members, decay, SimDuration::from_secs(1)).unwrap();
    let reversed_owners = owners(
        &mut ConsistentHashByKey::new(Vnodes::new(160).unwrap()),
        &reversed,
        n_keys,
    );
    assert!(before
        .iter()
        .zip(&reversed_owners)
        .all(|(&a, &b)| set.node(a) == reversed.node(b)));
    set.set_health(3, Health::Ejected);
    let after = owners(&mut balancer, &set, n_keys);
    for (key, (&old, &new)) in before.iter().zip(&after).enumerate() {
        if old == 3 {
            assert_ne!(new, 3, "key {key}");
        } else {
            assert_eq!(new, old, "key {key} moved though its owner is healthy");
        }
    }
    set.set_health(3, Health::Healthy);
    assert_eq!(owners(&mut balancer, &set, n_keys), before);
    for idx in 0..10 {
        set.set_health(idx, Health::Ejected);
    }
    assert_eq!(balancer.pick(&set, Some(KeyId(1)), &mut rng(0)), None);
}

// Goal: the health checker ejects on exactly the k-th consecutive failure, re-admits on
// exactly the j-th consecutive success, and an interrupting result restarts the streak.
// Probes: 'o' good, 'x' failed or timed out; expect: health after each probe.
#[test]
fn health_checker_thresholds() {
    #[track_caller]
    fn check(unhealthy_threshold: u32, healthy_threshold: u32, probes: &str, expect: &str) {
        let config = HealthCheckConfig {
            interval: SimDuration::from_secs(5),
            timeout: SimDuration::from_secs(2),
            unhealthy_threshold,
            healthy_threshold,
        };
        let mut checker = HealthChecker::new(config, 2).unwrap();
        let mut set = backends(&[1, 1]);
        let mut health = String::new();
        for probe in probes.chars() {
            if let Some(change) = checker.on_probe_result(1, probe == 'o') {
                assert!(set.apply(change));
            }
            assert_eq!(set.health(1), checker.health(1));
            health.push(if checker.health(1) == Health::Healthy {
                'H'
            } else {
                'E'
            });
        }
        assert_eq!(health, expect);
        assert_eq!(checker.health(0), Health::Healthy);
    }
    check(1, 1, "xoxo", "EHEH");
    check(3, 2, "xxoxxx", "HHHHHE");
    check(3, 2, "xxxoxoo", "HHEEEEH");
    check(2, 3, "xxooxooo", "HEEEEEEH");
    for k in 1..=5 {
        for j in 1..=4 {
            let probes = format!("{}{}", "x".repeat(k), "o".repeat(j));
            let expect = format!("{}{}{}", "H".repeat(k - 1), "E".repeat(j), "H");
            check(k as u32, j as u32, &probes, &expect[..k + j]);
        }
    }
    let config = HealthCheckConfig {
        interval: SimDuration::from_secs(5),
        timeout: SimDuration::from_secs(2),
        unhealthy_threshold: 3,
        healthy_threshold: 2,
    };
    let checker = HealthChecker::new(config, 1).unwrap();
    assert_eq!(checker.ejection_delay_max(), SimDuration::from_secs(17));
}

// Goal: every registered name builds the balancer of that name, and the same seed gives the
// same picks (determinism) for every policy.
#[test]
fn registry_builds_every_balancer() {
    let mut names: Vec<&str> = BALANCERS.iter().map(|row| row.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), BALANCERS.len());
    assert_eq!(balancers().check_unique(), Ok(()));
    for row in BALANCERS {
        let name = row.name;
        assert!(!row.description.is_empty());
        let spec = BalancerSpec::from_name(name).unwrap();
        assert_eq!(spec.build().name(), name);
        let run = |seed| {
            let mut balancer = spec.build();
            let mut set = backends(&[1, 2, 3, 1]);
            let mut rng = rng(seed);
            (0..50_u64)
                .map(|key| {
                    let idx = balancer.pick(&set, Some(KeyId(key)), &mut rng).unwrap();
                    set.on_send(idx, SimTime::ZERO);
                    idx
                })
                .collect::<Vec<usize>>()
        };
        assert_eq!(run(3), run(3), "{name}");
    }
}

// Goal: every validation error says what was wrong, what is valid and what was given.
#[test]
fn validation_messages() {
    #[track_caller]
    fn check<T: std::fmt::Debug>(result: Result<T, BalancerError>, expect: &str) {
        assert_eq!(result.unwrap_err().to_string(), expect);
    }
    let decay = EwmaDecay::per_sample(0.5).unwrap();
    let second = SimDuration::from_secs(1);
    check(
        Backends::new(&[], decay, second),
        "balancer needs at least one backend, got an empty group",
    );
    check(
        Backends::new(&[(NodeId(4), 1), (NodeId(7), 0)], decay, second),
        "backend [1] (node 7) weight must be >= 1, got 0",
    );
    check(
        Backends::new(
            &[(NodeId(4), 1), (NodeId(5), 1), (NodeId(4), 2)],
            decay,
            second,
        ),
        "backend [2] repeats node 4, already backend [0] (list each backend node once; use its \
         weight to give it more traffic)",
    );
    check(
        Backends::new(&[(NodeId(4), 1)], decay, SimDuration::ZERO),
        "load_report refresh must be > 0, got 0s",
    );
    check(
        EwmaDecay::half_life(SimDuration::ZERO),
        "ewma half_life must be > 0, got 0s",
    );
    check(
        EwmaDecay::per_sample(0.0),
        "ewma alpha must be > 0 and <= 1, got 0",
    );
    check(
        EwmaDecay::per_sample(1.5),
        "ewma alpha must be > 0 and <= 1, got 1.5",
    );
    check(
        EwmaDecay::per_sample(f64::NAN),
        "ewma alpha must be > 0 and <= 1, got NaN",
    );
    check(
        Vnodes::new(0),
        "consistent_hash vnodes must be >= 1 and <= 4096, got 0",
    );
    check(
        BalancerSpec::consistent_hash(5000),
        "consistent_hash vnodes must be >= 1 and <= 4096, got 5000",
    );
    check(
        BalancerSpec::from_name("leastconn"),
        "unknown balancer \"leastconn\" (expected one of: round_robin, weighted_round_robin, \
         random, least_outstanding, least_response_time, p2c, p2c_stale, consistent_hash)",
    );
    let good = HealthCheckConfig {
        interval: SimDuration::from_secs(5),
        timeout: SimDuration::from_secs(2),
        unhealthy_threshold: 3,
        healthy_threshold: 2,
    };
    check(
        HealthChecker::new(good, 0),
        "balancer needs at least one backend, got an empty group",
    );
    let cases = [
        (
            HealthCheckConfig {
                interval: SimDuration::ZERO,
                ..good
            },
            "health_check interval must be > 0, got 0s",
        ),
        (
            HealthCheckConfig {
                timeout: SimDuration::ZERO,
                ..good
            },
            "health_check timeout must be > 0, got 0s",
        ),
        (
            HealthCheckConfig {
                timeout: SimDuration::from_secs(6),
                ..good
            },
            "health_check timeout must be <= interval (5s), got 6s (at most one probe per backend \
             is in flight)",
        ),
        (
            HealthCheckConfig {
                unhealthy_threshold: 0,
                ..good
            },
            "health_check unhealthy_threshold must be >= 1, got 0",
        ),
        (
            HealthCheckConfig {
                healthy_threshold: 0,
                ..good
            },
            "health_check healthy_threshold must be >= 1, got 0",
        ),
    ];
    for (config, expect) in cases {
        check(HealthChecker::new(config, 3), expect);
    }
}
