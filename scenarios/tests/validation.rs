//! Validation against queueing theory: the shipped M/M/1, M/M/c and M/D/1 scenarios
//! (`examples/validation/*.toml`) must reproduce the closed forms for mean waiting and sojourn
//! time, the probability of not waiting, and (where theory gives the distribution) the
//! percentiles of both. docs/validation.md describes the method and tabulates full-length runs.
//!
//! The whole stack is under test: the scenario file, its validation and build, the client's
//! Poisson workload, the zero-latency network, the server role and the engine's service model,
//! and metric recording (the server's `service.queue.wait` and `service.queue.sojourn`
//! histograms, in nanoseconds, which exclude the warm-up).
//!
//! Method, shared by every check: **batch means** (Law & Kelton, Simulation Modeling and
//! Analysis, 5th ed., 9.5.3). Each full 10 s report window after the warm-up is one batch:
//! about 8 000 customers at 800/s, 32 000 at 3 200/s. The M/M/1 queue at rho = 0.8 relaxes in
//! about 1 / (mu (1 - sqrt(rho))^2) = 90 ms (Morse, "Stochastic properties of waiting lines",
//! Operations Research 3, 1955), i.e. ~70 customers; M/M/c (four servers, same rho) and M/D/1
//! (no service variance) relax faster. A batch is over 100 relaxation times long, so the batch
//! statistics are nearly independent and, being averages of thousands of samples, nearly
//! normal. The 10 s warm-up (also over 100 relaxation times) is window 0 and is left out.
//!
//! Each check compares an estimate from the whole-run histogram with theory and passes when
//!
//! ```text
//! |estimate - theory| <= t(0.9995, n - 1) * SE + quantisation
//! ```
//!
//! where SE is the standard error of the batch statistics, t is Student's t quantile for a
//! two-sided 99.9% interval with n - 1 degrees of freedom (n batches), and `quantisation` is the
//! worst-case error the histograms' finite resolution can add (each check says how it is
//! bounded). A correct simulator fails each check for about one seed in 1 000; the seeds are
//! fixed, so a result never changes from one run to the next. Nothing is tuned until it
//! passes: every term of the tolerance comes from the run itself.
//!
//! The scenarios run at their shipped length and seed (600 s for M/M/1 and M/D/1, 59 batches;
//! 300 s for M/M/c, 29 batches), so these are the very runs tabulated in docs/validation.md.
//! The file takes about 5 s in a debug build on two cores.

use std::ops::ControlFlow;
use std::path::Path;

use hdrhistogram::Histogram;
use scenarios::run::{run, Outcome};
use scenarios::Scenario;

/// Documented value resolution of the engine's whole-run histograms: 3 significant digits
/// (sim-core metrics, `SIGFIG_RUN`), i.e. a recorded value is within 0.1% of the sample.
const RESOLUTION_RUN: f64 = 1e-3;

/// Same for per-window histograms: 2 significant digits (`SIGFIG_WINDOW`), 1%.
const RESOLUTION_WINDOW: f64 = 1e-2;

/// Upper bound on a tail probability's change when a sample moves by one nanosecond: every
/// density here is below 10^4 per second (exponentials, their mixtures and convolutions, with
/// rates of at most 4000/s; for the M/D/1 wait, level crossing bounds the density by
/// lambda = 800/s), and times are integer nanoseconds, so a sample's rounding to whole
/// nanoseconds moves P(X >= b) by at most 10^4/s * 1 ns.
const TAIL_ROUNDING: f64 = 1e-5;

/// The percentiles checked wherever theory gives the distribution.
const PERCENTILES: [f64; 3] = [0.50, 0.90, 0.99];

/// Runs a shipped validation scenario as it is, with its own seed.
fn run_validation(file: &str) -> (Scenario, Outcome) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/validation")
        .join(file);
    let scenario = scenarios::load(&path, &[]).expect("shipped scenario loads");
    let seed = scenario.seed.expect("validation scenarios name their seed");
    let outcome = run(&scenario, seed, &mut |_| ControlFlow::Continue(()));
    assert_eq!(outcome.partial, None, "{file} ran to the end");
    (scenario, outcome)
}

/// One metric's samples: the whole-run histogram (3 significant digits, warm-up excluded) and
/// one histogram per batch (the full windows after the warm-up, 2 significant digits).
struct Samples<'a> {
    run: &'a Histogram<u64>,
    batches: Vec<&'a Histogram<u32>>,
}

fn samples<'a>(scenario: &Scenario, outcome: &'a Outcome, name: &str) -> Samples<'a> {
    let metrics = outcome.sim.metrics();
    let run = metrics.histogram_by_name(name).expect("metric recorded");
    let (_, _, id) = metrics
        .histograms()
        .find(|(n, _, _)| *n == name)
        .expect("metric listed");
    let window = metrics.window().expect("windows recorded").as_nanos();
    let warmup = scenario.warmup.as_nanos();
    let duration = scenario.duration.as_nanos();
    assert_eq!(warmup % window, 0, "the warm-up is whole windows");
    assert_eq!(duration % window, 0, "the run is whole windows");
    let first = (warmup / window) as usize;
    let end = (duration / window) as usize;
    let windows = metrics.windows();
    let batches: Vec<&Histogram<u32>> = (first..end)
        .map(|i| windows[i].histogram(id).expect("every window has samples"))
        .collect();
    // The batches partition the measured samples: none is lost or counted twice (a sample at
    // exactly the end time would fall in a window of its own).
    let in_batches: u64 = batches.iter().map(|h| h.len()).sum();
    assert_eq!(in_batches, run.len(), "{name}: batches cover the run");
    assert!(batches.len() >= 10, "{name}: enough batches");
    Samples { run, batches }
}

/// An estimate and the terms of its tolerance.
struct Estimate {
    value: f64,
    standard_error: f64,
    quantisation: f64,
    n_batches: usize,
}

impl Estimate {
    fn tolerance(&self) -> f64 {
        t_quantile_9995(self.n_batches - 1) * self.standard_error + self.quantisation
    }
}

/// Asserts `estimate` is within its tolerance of `theory`, and prints the comparison (shown
/// with `--nocapture`).
#[track_caller]
fn check(what: &str, estimate: &Estimate, theory: f64) {
    let tolerance = estimate.tolerance();
    let difference = (estimate.value - theory).abs();
    println!(
        "{what}: simulated {:.6}, theory {theory:.6}, |difference| {difference:.6} \
         <= {tolerance:.6} = t {:.3} x SE {:.6} + quantisation {:.6} ({} batches)",
        estimate.value,
        t_quantile_9995(estimate.n_batches - 1),
        estimate.standard_error,
        estimate.quantisation,
        estimate.n_batches,
    );
    assert!(
        difference <= tolerance,
        "{what}: simulated {} vs theory {theory}: off by {difference}, tolerance {tolerance}",
        estimate.value
    );
}

/// Standard error of a pooled estimate from batch statistics `values` over batches of
/// `counts` samples. The pooled estimate is the count-weighted mean (exactly what a whole-run
/// histogram gives); its standard error is the ratio-estimator form (Cochran, Sampling
/// Techniques, 3rd ed., chapter 6): SE^2 = n/(n-1) * sum w_i^2 (v_i - v)^2 with w_i = c_i / C.
/// With equal batches it reduces to the usual s / sqrt(n) of batch means.
fn batch_standard_error(counts: &[f64], values: &[f64]) -> f64 {
    assert_eq!(counts.len(), values.len());
    let n = counts.len() as f64;
    assert!(n >= 2.0, "a standard error needs two batches");
    let total: f64 = counts.iter().sum();
    let pooled: f64 = counts.iter().zip(values).map(|(c, v)| c * v).sum::<f64>() / total;
    let sum_squares: f64 = counts
        .iter()
        .zip(values)
        .map(|(c, v)| (c / total * (v - pooled)).powi(2))
        .sum();
    (n / (n - 1.0) * sum_squares).sqrt()
}

fn batch_counts(samples: &Samples<'_>) -> Vec<f64> {
    samples.batches.iter().map(|h| h.len() as f64).collect()
}

/// Mean of the samples, in milliseconds.
///
/// Quantisation: a histogram's mean uses each bucket's midpoint, within the histogram's
/// resolution of every sample, so the whole-run mean is within `RESOLUTION_RUN` of the true
/// mean (relative), and each window mean within `RESOLUTION_WINDOW` of its batch's true mean.
/// The standard error is a seminorm of the batch means, so errors e_i in them change it by at
/// most SE(e) <= sqrt(n/(n-1) * max w * sum w_i e_i^2) (triangle inequality, and a weighted
/// variance is at most the weighted second moment); that bound is added to the standard error.
fn mean(samples: &Samples<'_>) -> Estimate {
    let counts = batch_counts(samples);
    let means: Vec<f64> = samples.batches.iter().map(|h| h.mean()).collect();
    let n = counts.len() as f64;
    let total: f64 = counts.iter().sum();
    let weight_max = counts.iter().copied().fold(0.0, f64::max) / total;
    let relative = RESOLUTION_WINDOW / (1.0 - RESOLUTION_WINDOW);
    let second_moment: f64 = counts
        .iter()
        .zip(&means)
        .map(|(c, m)| c / total * (relative * m).powi(2))
        .sum();
    let standard_error_quantisation = (n / (n - 1.0) * weight_max * second_moment).sqrt();
    let value = samples.run.mean();
    Estimate {
        value: value / 1e6,
        standard_error: (batch_standard_error(&counts, &means) + standard_error_quantisation) / 1e6,
        quantisation: value * RESOLUTION_RUN / (1.0 - RESOLUTION_RUN) / 1e6,
        n_batches: means.len(),
    }
}

/// Fraction of samples equal to zero. No quantisation: an HDR histogram's lowest bucket holds
/// exactly the value 0.
fn fraction_zero(samples: &Samples<'_>) -> Estimate {
    assert_eq!(samples.run.highest_equivalent(0), 0);
    let counts = batch_counts(samples);
    let fractions: Vec<f64> = samples
        .batches
        .iter()
        .map(|h| {
            assert_eq!(h.highest_equivalent(0), 0);
            h.count_at(0) as f64 / h.len() as f64
        })
        .collect();
    Estimate {
        value: samples.run.count_at(0) as f64 / samples.run.len() as f64,
        standard_error: batch_standard_error(&counts, &fractions),
        quantisation: 0.0,
        n_batches: fractions.len(),
    }
}

/// Fraction of samples at or above `threshold_ns`, which must be a bucket boundary of the
/// window histograms. Window buckets are unions of whole-run buckets (both are binary: 2^8
/// and 2^11 sub-buckets per power of two), so both histograms count the samples at or above
/// the boundary exactly; only the rounding of times to whole nanoseconds remains
/// (`TAIL_ROUNDING`).
fn fraction_at_or_above(samples: &Samples<'_>, threshold_ns: u64) -> Estimate {
    assert!(threshold_ns > 0);
    let below = |len: u64, count: u64| 1.0 - count as f64 / len as f64;
    assert_eq!(samples.run.lowest_equivalent(threshold_ns), threshold_ns);
    let counts = batch_counts(samples);
    let fractions: Vec<f64> = samples
        .batches
        .iter()
        .map(|h| {
            assert_eq!(h.lowest_equivalent(threshold_ns), threshold_ns);
            below(h.len(), h.count_between(0, threshold_ns - 1))
        })
        .collect();
    Estimate {
        value: below(
            samples.run.len(),
            samples.run.count_between(0, threshold_ns - 1),
        ),
        standard_error: batch_standard_error(&counts, &fractions),
        quantisation: TAIL_ROUNDING,
        n_batches: fractions.len(),
    }
}

/// Checks the distribution's tail at its theoretical `PERCENTILES`. Method: for each p, take the
/// theoretical p-quantile x_p, move it down to the window histograms' bucket boundary b at or
/// below it (at most 1% lower), and compare the batch estimate of P(X >= b) with the exact
/// theoretical tail at b. Comparing probabilities at a bucket boundary, instead of comparing
/// the histogram's quantile with x_p, keeps the quantisation out of the test and gives each
/// comparison a plain batch-means standard error. Percentiles that fall on the atom at zero
/// (a waiting time's P(wait = 0)) are skipped.
#[track_caller]
fn check_percentiles(what: &str, samples: &Samples<'_>, tail: &dyn Fn(f64) -> f64) {
    for p in PERCENTILES {
        let Some(quantile) = quantile(tail, p) else {
            continue;
        };
        let threshold_ns = samples.batches[0].lowest_equivalent((quantile * 1e9) as u64);
        let threshold = threshold_ns as f64 / 1e9;
        assert!(threshold > quantile * (1.0 - RESOLUTION_WINDOW));
        let estimate = fraction_at_or_above(samples, threshold_ns);
        let label = format!(
            "{what} p{}: P(X >= {:.4} ms) (quantile {:.4} ms; histogram p{} {:.4} ms)",
            p * 100.0,
            threshold * 1e3,
            quantile * 1e3,
            p * 100.0,
            samples.run.value_at_quantile(p) as f64 / 1e6,
        );
        check(&label, &estimate, tail(threshold));
    }
}

/// The p-quantile of a distribution with survival function `tail` (non-increasing, from
/// P(X > 0) down to 0), by bisection; `None` when it is 0 (the atom at zero covers p).
fn quantile(tail: &dyn Fn(f64) -> f64, p: f64) -> Option<f64> {
    let target = 1.0 - p;
    if tail(0.0) <= target {
        return None;
    }
    let mut high = 1e-3;
    for _ in 0..64 {
        if tail(high) < target {
            break;
        }
        high *= 2.0;
    }
    assert!(tail(high) < target, "the tail falls below {target}");
    let mut low = 0.0;
    for _ in 0..100 {
        let middle = (low + high) / 2.0;
        if tail(middle) > target {
            low = middle;
        } else {
            high = middle;
        }
    }
    Some((low + high) / 2.0)
}

/// Student's t quantile t(0.9995, df): the half-width, in standard errors, of a two-sided 99.9%
/// interval. Cornish-Fisher expansion of t about the normal quantile z(0.9995) (Abramowitz &
/// Stegun, Handbook of Mathematical Functions, 26.7.5), to the 1/df^4 term.
fn t_quantile_9995(df: usize) -> f64 {
    // z(0.9995): the standard normal's 0.9995 quantile.
    let z: f64 = 3.290_526_731_491_926;
    assert!(
        df >= 10,
        "the expansion is accurate to 1e-3 from 10 degrees of freedom"
    );
    let df = df as f64;
    let g1 = (z.powi(3) + z) / 4.0;
    let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
    let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
    let g4 = (79.0 * z.powi(9) + 776.0 * z.powi(7) + 1482.0 * z.powi(5)
        - 1920.0 * z.powi(3)
        - 945.0 * z)
        / 92160.0;
    z + g1 / df + g2 / df.powi(2) + g3 / df.powi(3) + g4 / df.powi(4)
}

/// Checks the arrival rate: completions per second over the measured batches, against the
/// scenario's Poisson rate. Each batch's rate is its count over the window length.
#[track_caller]
fn check_rate(what: &str, samples: &Samples<'_>, window_s: f64, lambda: f64) {
    let rates: Vec<f64> = samples
        .batches
        .iter()
        .map(|h| h.len() as f64 / window_s)
        .collect();
    let n = rates.len() as f64;
    let mean_rate = rates.iter().sum::<f64>() / n;
    let equal = vec![1.0; rates.len()];
    let estimate = Estimate {
        value: mean_rate,
        standard_error: batch_standard_error(&equal, &rates),
        quantisation: 0.0,
        n_batches: rates.len(),
    };
    check(what, &estimate, lambda);
}

/// Erlang's C formula: the probability that an arrival must wait in M/M/c with c servers and
/// offered load a = lambda/mu < c (Kleinrock, Queueing Systems Vol. 1, 3.5, eq. 3.40):
/// C(c, a) = (a^c/c! * c/(c-a)) / (sum_{k<c} a^k/k! + a^c/c! * c/(c-a)).
fn erlang_c(c: u32, a: f64) -> f64 {
    assert!(a > 0.0);
    assert!(a < f64::from(c), "stable only below c");
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / f64::from(k + 1);
    }
    let waiting = term * f64::from(c) / (f64::from(c) - a);
    waiting / (sum + waiting)
}

/// Erlang's M/D/1 waiting-time distribution with load `rho` = lambda * D and service time D:
/// P(W <= t) = (1 - rho) * sum_{k=0}^{floor(t/D)} (rho (k - t/D))^k / k! * e^{-rho (k - t/D)}
/// (Erlang 1909, "The theory of probabilities and telephone conversations"; as used by Iversen
/// & Staalhage, "Waiting time distribution in M/D/1 queueing systems", Electronics Letters 35,
/// 1999, who note it loses precision for loads near 1 or very long waits: at rho = 0.8 and the
/// waits checked here, below 20 D, double precision keeps over six digits).
fn md1_wait_cdf(rho: f64, service_s: f64, t: f64) -> f64 {
    assert!(t >= 0.0);
    let tau = t / service_s;
    assert!(
        tau < 40.0,
        "the alternating sum is only accurate for short waits"
    );
    let mut sum = 0.0;
    let mut factorial = 1.0;
    for k in 0..=(tau.floor() as u32) {
        if k > 0 {
            factorial *= f64::from(k);
        }
        let x = rho * (f64::from(k) - tau);
        sum += x.powi(k as i32) / factorial * (-x).exp();
    }
    let cdf = (1.0 - rho) * sum;
    assert!((-1e-9..=1.0 + 1e-9).contains(&cdf), "P(W <= {t}) = {cdf}");
    cdf.clamp(0.0, 1.0)
}

/// Checks everything common to the three queues: the arrival rate, the means, P(wait = 0).
#[track_caller]
fn check_common(label: &str, scenario: &Scenario, outcome: &Outcome, lambda: f64, theory: &Theory) {
    let wait = samples(scenario, outcome, "service.queue.wait");
    let sojourn = samples(scenario, outcome, "service.queue.sojourn");
    let window_s = scenario.report.window.as_nanos() as f64 / 1e9;
    check_rate(
        &format!("{label} arrival rate (/s)"),
        &sojourn,
        window_s,
        lambda,
    );
    check(
        &format!("{label} mean wait (ms)"),
        &mean(&wait),
        theory.wait_mean * 1e3,
    );
    check(
        &format!("{label} mean sojourn (ms)"),
        &mean(&sojourn),
        theory.sojourn_mean * 1e3,
    );
    check(
        &format!("{label} P(wait = 0)"),
        &fraction_zero(&wait),
        theory.wait_zero,
    );
}

/// Closed-form values shared by the three checks, in seconds and probabilities.
struct Theory {
    wait_mean: f64,
    sojourn_mean: f64,
    wait_zero: f64,
}

// Goal: the M/M/1 scenario is an exact M/M/1 queue. Formulas (Kleinrock, Queueing Systems
// Vol. 1, 3.2; the waiting-time distribution as in Gross & Harris, Fundamentals of Queueing
// Theory, 2.2): with lambda = 800/s, mu = 1000/s, rho = lambda/mu = 0.8, the sojourn time is
// Exp(mu - lambda): mean 1/(mu - lambda) = 5 ms, P(T > t) = e^{-(mu-lambda) t}; the wait has
// P(W = 0) = 1 - rho and P(W > t) = rho e^{-(mu-lambda) t}, mean rho/(mu - lambda) = 4 ms.
// Method: batch means over 59 windows of 10 s, tolerance t(0.9995, 58) SE + quantisation (see
// the file header); percentiles are checked as tail probabilities at bucket boundaries.
#[test]
fn mm1_matches_queueing_theory() {
    let (lambda, mu) = (800.0, 1000.0);
    let rho = lambda / mu;
    let rate = mu - lambda;
    let (scenario, outcome) = run_validation("mm1.toml");
    let theory = Theory {
        wait_mean: rho / rate,
        sojourn_mean: 1.0 / rate,
        wait_zero: 1.0 - rho,
    };
    check_common("M/M/1", &scenario, &outcome, lambda, &theory);
    let sojourn = samples(&scenario, &outcome, "service.queue.sojourn");
    check_percentiles("M/M/1 sojourn", &sojourn, &|t| (-rate * t).exp());
    let wait = samples(&scenario, &outcome, "service.queue.wait");
    check_percentiles("M/M/1 wait", &wait, &|t| rho * (-rate * t).exp());
}

// Goal: the M/M/c scenario (c = 4 workers sharing one queue) is an exact M/M/c queue.
// Formulas (Kleinrock, Queueing Systems Vol. 1, 3.5): offered load a = lambda/mu = 3.2 with
// lambda = 3200/s, mu = 1000/s; Erlang C gives P(wait) = C(c, a) = 0.5964 (computed by
// `erlang_c` below); mean wait C/(c mu - lambda) = 0.7455 ms; mean sojourn that plus 1/mu.
// The wait is 0 with probability 1 - C and otherwise Exp(c mu - lambda), so
// P(W > t) = C e^{-(c mu - lambda) t}; the sojourn adds an independent Exp(mu) service time,
// so with theta = c mu - lambda its tail is (1 - C) e^{-mu t} + C (theta e^{-mu t} -
// mu e^{-theta t}) / (theta - mu) (the hypoexponential tail; Gross & Harris, Fundamentals of
// Queueing Theory, 2.3). Method: as for M/M/1 (file header), 29 batches of ~32 000 customers.
#[test]
fn mmc_matches_erlang_c() {
    let (lambda, mu, c) = (3200.0, 1000.0, 4u32);
    let offered = lambda / mu;
    let waits = erlang_c(c, offered);
    // Cross-checks of the formula: C(1, rho) = rho (M/M/1), and the scenario's own comment.
    assert!((erlang_c(1, 0.8) - 0.8).abs() < 1e-12);
    assert!((waits - 0.5964).abs() < 1e-4, "C(4, 3.2) = {waits}");
    let theta = f64::from(c) * mu - lambda;
    assert!(
        (theta - mu).abs() > 1.0,
        "the hypoexponential form needs theta != mu"
    );
    let (scenario, outcome) = run_validation("mmc.toml");
    let theory = Theory {
        wait_mean: waits / theta,
        sojourn_mean: waits / theta + 1.0 / mu,
        wait_zero: 1.0 - waits,
    };
    check_common("M/M/c", &scenario, &outcome, lambda, &theory);
    let wait = samples(&scenario, &outcome, "service.queue.wait");
    check_percentiles("M/M/c wait", &wait, &|t| waits * (-theta * t).exp());
    let sojourn = samples(&scenario, &outcome, "service.queue.sojourn");
    check_percentiles("M/M/c sojourn", &sojourn, &|t| {
        let both = (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu);
        (1.0 - waits) * (-mu * t).exp() + waits * both
    });
}

// Goal: the M/D/1 scenario (constant 1 ms service) is an exact M/D/1 queue. Formulas: mean
// wait by Pollaczek-Khinchine, rho / (2 mu (1 - rho)) = 2 ms with lambda = 800/s,
// mu = 1000/s (Kleinrock, Queueing Systems Vol. 1, 5.6, the P-K mean-value formula with zero
// service variance); mean sojourn that plus D = 1 ms; P(W = 0) = 1 - rho; the wait's
// distribution is Erlang's (`md1_wait_cdf`), and the sojourn is the wait shifted by D.
// Method: as for M/M/1 (file header).
#[test]
fn md1_matches_pollaczek_khinchine() {
    let (lambda, mu) = (800.0, 1000.0);
    let rho = lambda / mu;
    let service_s = 1.0 / mu;
    // Cross-check: Erlang's distribution has its atom at zero where theory puts it.
    assert!((md1_wait_cdf(rho, service_s, 0.0) - (1.0 - rho)).abs() < 1e-12);
    let (scenario, outcome) = run_validation("md1.toml");
    let theory = Theory {
        wait_mean: rho / (2.0 * mu * (1.0 - rho)),
        sojourn_mean: rho / (2.0 * mu * (1.0 - rho)) + service_s,
        wait_zero: 1.0 - rho,
    };
    check_common("M/D/1", &scenario, &outcome, lambda, &theory);
    let wait_tail = |t: f64| 1.0 - md1_wait_cdf(rho, service_s, t);
    let wait = samples(&scenario, &outcome, "service.queue.wait");
    check_percentiles("M/D/1 wait", &wait, &wait_tail);
    let sojourn = samples(&scenario, &outcome, "service.queue.sojourn");
    check_percentiles("M/D/1 sojourn", &sojourn, &|t| {
        if t < service_s {
            1.0
        } else {
            wait_tail(t - service_s)
        }
    });
}

// Goal: the t quantile used for every tolerance is right. Method: compare with values computed
// by numerically integrating Student's t density (to 4 decimals); the 30, 40, 60 and 120
// degree values agree with the 0.001 two-sided column of printed t tables (e.g. Fisher &
// Yates, Statistical Tables, Table III).
#[test]
fn t_quantile_matches_tables() {
    for (df, expected) in [
        (19, 3.8834),
        (29, 3.6594),
        (30, 3.6460),
        (40, 3.5510),
        (59, 3.4632),
        (60, 3.4602),
        (120, 3.3735),
    ] {
        let t = t_quantile_9995(df);
        assert!(
            (t - expected).abs() < 2e-4,
            "t(0.9995, {df}) = {t}, expected {expected}"
        );
    }
}
