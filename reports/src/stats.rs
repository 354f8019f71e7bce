//! Small statistics for summaries across replications: Student t quantiles and 95% confidence
//! intervals of a mean.
//!
//! A sweep or a `distsim check` with `replications = R` runs R seeds and treats each metric's R
//! values as a sample: the interval is `mean ± t(0.975; R - 1) · s / √R`, with `s` the sample
//! standard deviation (Student, 1908; any statistics text, e.g. Montgomery & Runger, *Applied
//! Statistics and Probability for Engineers*, §8.2). It assumes the R values are independent
//! (they are: each replication has its own seed) and roughly normal; for a percentile over a
//! long run that is a fair approximation, for a rare-event counter that is mostly zero it is not,
//! which is why an interval that straddles a threshold is reported as inconclusive rather than
//! trusted.
//!
//! Two ways to the t quantile, kept side by side so each checks the other:
//!
//! - [`student_t_975`], what intervals use: the printed 0.975 table for 1 to 30 degrees of
//!   freedom, the Cornish-Fisher expansion beyond. Fast, and the numbers people look up.
//! - [`student_t_quantile`], any probability and any degrees of freedom: the t distribution's
//!   CDF through the regularized incomplete beta function (a continued fraction evaluated with
//!   the modified Lentz method, Numerical Recipes §6.4), inverted by bisection to the last bit.
//!   Infinite degrees of freedom give the normal quantile ([`normal_quantile`]).

/// The 0.975 quantile of Student's t with 1..=30 degrees of freedom (so a two-sided 95%
/// interval is mean ± t · s / √n), to four decimals, as printed in any statistics table (e.g.
/// Montgomery & Runger, *Applied Statistics and Probability for Engineers*, Table V).
const T_975: [f64; 30] = [
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010,
    2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687,
    2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
];

/// The standard normal's 0.975 quantile.
const Z_975: f64 = 1.959_963_984_540_054;

/// The 0.975 quantile of Student's t with `df` (>= 1) degrees of freedom: the table above up
/// to 30, then the Cornish-Fisher expansion in 1/df (Abramowitz & Stegun 26.7.5), which is
/// within 1e-4 of the exact value from df = 30 on and tends to the normal quantile 1.96.
pub fn student_t_975(df: u64) -> f64 {
    assert!(df >= 1, "Student's t needs at least one degree of freedom");
    if df <= T_975.len() as u64 {
        return T_975[df as usize - 1];
    }
    let z = Z_975;
    let v = df as f64;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
}

/// The confidence level of every interval distsim reports.
pub const CONFIDENCE: f64 = 0.95;

/// A metric over replications: the mean and the half-width of its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Mean of the values.
    pub mean: f64,
    /// Half-width of the 95% interval of the mean (Student t, `n - 1` degrees of freedom);
    /// 0 when `n` is 1, where one run is taken at face value.
    pub ci_half_width: f64,
    /// How many values.
    pub n: u32,
}

impl Estimate {
    /// The estimate of `values` (at least one, all finite), summed in the order given so the
    /// result is the same on every machine.
    pub fn of(values: &[f64]) -> Estimate {
        assert!(!values.is_empty(), "an estimate needs at least one value");
        assert!(values.iter().all(|v| v.is_finite()), "values are finite");
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let ci_half_width = if n < 2 {
            0.0
        } else {
            let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
            let variance = squares / (n - 1) as f64;
            student_t_975(n as u64 - 1) * (variance / n as f64).sqrt()
        };
        assert!(ci_half_width >= 0.0, "a half-width is never negative");
        Estimate {
            mean,
            ci_half_width,
            n: u32::try_from(n).expect("replications are counted in u32"),
        }
    }

    /// The interval's lower end.
    pub fn low(&self) -> f64 {
        self.mean - self.ci_half_width
    }

    /// The interval's upper end.
    pub fn high(&self) -> f64 {
        self.mean + self.ci_half_width
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (`df >= 1`, or infinite for the
/// normal distribution): the `t` with `P(T <= t) = p`.
///
/// Method: bisection on the upper tail `P(T > t) = I_x(df/2, 1/2) / 2` with
/// `x = df / (df + t^2)` (Abramowitz & Stegun 26.7.1 with 26.5.27), until the bracket is two
/// adjacent floats, so the result is as exact as the incomplete beta function (about 1e-13
/// relative). Deterministic: a fixed number of steps, no tolerance tuned to a machine.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0,
        "a quantile's probability is in (0, 1), got {p}"
    );
    assert!(df >= 1.0, "degrees of freedom are at least 1, got {df}");
    if df.is_infinite() {
        return normal_quantile(p);
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    let tail = 1.0 - p;
    // Bracket: P(T > 0) = 1/2 >= tail. With df >= 1 the tail is at most 1/(pi t), so t stays
    // below 1e17 for any p < 1 a float can hold: about 57 doublings.
    let (mut low, mut high) = (0.0_f64, 1.0_f64);
    while student_t_upper_tail(high, df) > tail {
        low = high;
        high *= 2.0;
        assert!(high < 1e300, "the bracket of a quantile below 1 is finite");
    }
    for _ in 0..2_000 {
        let mid = 0.5 * (low + high);
        if mid <= low || mid >= high {
            break;
        }
        if student_t_upper_tail(mid, df) > tail {
            low = mid;
        } else {
            high = mid;
        }
    }
    assert!(low <= high);
    high
}

/// `P(T > t)` for Student's t with `df` degrees of freedom and `t >= 0`.
fn student_t_upper_tail(t: f64, df: f64) -> f64 {
    assert!(t >= 0.0 && t.is_finite(), "t is finite and >= 0, got {t}");
    let t2 = t * t;
    // Both x and 1 - x from their own formulas: 1 - x computed as a difference would lose
    // every digit for small t.
    let x = df / (df + t2);
    let one_minus_x = t2 / (df + t2);
    0.5 * regularized_incomplete_beta(df / 2.0, 0.5, x, one_minus_x)
}

/// The regularized incomplete beta function `I_x(a, b)`, given `x` and `1 - x` separately
/// (Numerical Recipes §6.4: the continued fraction directly below the mean, through the symmetry
/// `I_x(a, b) = 1 - I_{1-x}(b, a)` above it, where each converges fast).
fn regularized_incomplete_beta(a: f64, b: f64, x: f64, one_minus_x: f64) -> f64 {
    assert!(a > 0.0 && b > 0.0, "shape parameters are positive");
    assert!((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&one_minus_x));
    if x <= 0.0 {
        return 0.0;
    }
    if one_minus_x <= 0.0 {
        return 1.0;
    }
    let log_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * one_minus_x.ln();
    let front = log_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, one_minus_x) / b
    }
}

/// The continued fraction of the incomplete beta function, by the modified Lentz method
/// (Numerical Recipes §5.2, §6.4). It converges in O(sqrt(max(a, b))) steps: a few dozen for
/// a million degrees of freedom.
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    // Stands in for a zero denominator, which Lentz's method must never divide by.
    const TINY: f64 = 1e-300;
    // Relative change at which the fraction has converged: a few ulps.
    const EPSILON: f64 = 1e-15;
    // Far beyond the O(sqrt(a)) steps needed for any degrees of freedom that fit in memory.
    const STEPS_MAX: u32 = 100_000;
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (sum, plus, minus) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - sum * x / plus);
    let mut fraction = d;
    for m in 1..=STEPS_MAX {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((minus + m2) * (a + m2));
        d = 1.0 / nonzero(1.0 + even * d);
        c = nonzero(1.0 + even / c);
        fraction *= d * c;
        let odd = -(a + m) * (sum + m) * x / ((a + m2) * (plus + m2));
        d = 1.0 / nonzero(1.0 + odd * d);
        c = nonzero(1.0 + odd / c);
        let step = d * c;
        fraction *= step;
        if (step - 1.0).abs() < EPSILON {
            return fraction;
        }
    }
    panic!("the incomplete beta fraction did not converge for a = {a}, b = {b}, x = {x}");
}

/// `ln Γ(x)` for `x >= 0.5`, by the Lanczos approximation with g = 7 and nine coefficients
/// (about 1e-15 relative; the coefficients are the widely published set of Godfrey).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    assert!(
        x >= 0.5,
        "ln_gamma is only needed (and only accurate) from 0.5 on, got {x}"
    );
    let x = x - 1.0;
    let t = x + G + 0.5;
    let mut series = COEFFICIENTS[0];
    for (i, coefficient) in COEFFICIENTS.iter().enumerate().skip(1) {
        series += coefficient / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

pub use sim_core::dist::normal_quantile;

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the quantiles match printed tables, and the expansion joins the table smoothly.
    // Method: textbook values t(0.975; 1, 2, 4, 9, 29) and the limit 1.960; the expansion at
    // df = 30 against the table's 2.0423, and at 60 and 120 against 2.0003 and 1.9799.
    #[test]
    fn quantiles_match_tables() {
        for (df, want) in [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (29, 2.045)] {
            assert!((student_t_975(df) - want).abs() < 5e-4, "df {df}");
        }
        assert!((student_t_975(1_000_000) - 1.960).abs() < 1e-3);
        let expansion_at_30 = {
            let v = 30.0;
            let z = Z_975;
            z + (z.powi(3) + z) / (4.0 * v)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
                + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z)
                    / (384.0 * v * v * v)
        };
        assert!((expansion_at_30 - 2.0423).abs() < 2e-4, "{expansion_at_30}");
        assert!((student_t_975(60) - 2.0003).abs() < 2e-4);
        assert!((student_t_975(120) - 1.9799).abs() < 2e-4);
    }
    // Goal: the exact quantile is exact. Method: the closed forms for 1 and 2 degrees of freedom
    // (t = tan(pi (p - 1/2)) and t = (2p - 1) / sqrt(2 p (1 - p))) to 1e-9, printed table values
    // (Montgomery & Runger, Table V; t(0.995; 10) = 3.169, t(0.90; 5) = 1.476) to their three
    // decimals, symmetry, and the normal limit.
    #[test]
    fn exact_quantiles_match_closed_forms_and_tables() {
        #[track_caller]
        fn check(p: f64, df: f64, want: f64, tolerance: f64) {
            let got = student_t_quantile(p, df);
            assert!(
                (got - want).abs() < tolerance,
                "t({p}; {df}) = {got}, want {want}"
            );
        }
        for p in [0.6, 0.9, 0.975, 0.999] {
            check(p, 1.0, (std::f64::consts::PI * (p - 0.5)).tan(), 1e-9);
            check(p, 2.0, (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt(), 1e-9);
        }
        for (df, want) in [(1.0, 12.706), (2.0, 4.303), (4.0, 2.776), (9.0, 2.262)] {
            check(0.975, df, want, 5e-4);
        }
        check(0.975, 29.0, 2.045, 5e-4);
        check(0.975, f64::INFINITY, 1.960, 5e-4);
        check(0.995, 10.0, 3.169, 5e-4);
        check(0.90, 5.0, 1.476, 5e-4);
        check(0.025, 9.0, -2.262, 5e-4);
        check(0.5, 7.0, 0.0, 1e-12);
        // A million degrees of freedom is the normal distribution to five decimals.
        check(0.975, 1e6, normal_quantile(0.975), 1e-5);
    }

    // Goal: the normal quantile is right in the centre and both tails. Method: published
    // values z(0.975) = 1.959963985, z(0.999) = 3.090232306, z(0.5) = 0, and symmetry.
    #[test]
    fn normal_quantiles() {
        for (p, want) in [(0.975, 1.959_963_985), (0.999, 3.090_232_306), (0.5, 0.0)] {
            assert!((normal_quantile(p) - want).abs() < 1e-8, "z({p})");
            assert!(
                (normal_quantile(1.0 - p) + want).abs() < 1e-8,
                "z({})",
                1.0 - p
            );
        }
    }

    // Goal: the printed table and its expansion agree with the exact quantile, so a typo in
    // the table or a wrong expansion coefficient cannot hide. Method: every table entry within
    // its printed precision (5e-5), the expansion within 1e-4 from 31 to 1000 degrees of freedom.
    #[test]
    fn table_agrees_with_exact_quantiles() {
        for df in 1..=1000u64 {
            let exact = student_t_quantile(0.975, df as f64);
            let tolerance = if df <= 30 { 5e-5 } else { 1e-4 };
            let table = student_t_975(df);
            assert!(
                (table - exact).abs() < tolerance,
                "df {df}: {table} vs {exact}"
            );
        }
    }

    // Goal: a confidence interval is the textbook one. Method: Student's (1908) sleep data, the
    // extra hours of sleep of 10 patients under two drugs (R's `sleep` data set): the paired
    // differences have mean 1.58, and R's `t.test(extra ~ group, data = sleep, paired = TRUE)`
    // prints the 95% interval [0.7001142, 2.4598858]. The estimate (with the 4-decimal table's
    // t) matches to 1e-4; with the exact quantile, to the printed 7 decimals. A second case:
    // Montgomery & Runger's Example 8-5 (load at failure of 22 alloy specimens, MPa), whose
    // published interval is 12.14 <= mu <= 15.28 (computed from the rounded x = 13.71 and
    // s = 3.55, hence the 0.01 tolerance).
    #[test]
    fn textbook_confidence_intervals() {
        let drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
        let drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
        let differences: Vec<f64> = drug1.iter().zip(drug2).map(|(a, b)| b - a).collect();
        let estimate = Estimate::of(&differences);
        assert_eq!(estimate.n, 10);
        assert!((estimate.mean - 1.58).abs() < 1e-12);
        assert!((estimate.low() - 0.700_114_2).abs() < 1e-4, "{estimate:?}");
        assert!((estimate.high() - 2.459_885_8).abs() < 1e-4, "{estimate:?}");
        let exact_half = estimate.ci_half_width / student_t_975(9) * student_t_quantile(0.975, 9.0);
        assert!((estimate.mean - exact_half - 0.700_114_2).abs() < 1e-7);
        assert!((estimate.mean + exact_half - 2.459_885_8).abs() < 1e-7);

        let loads = [
            19.8, 10.1, 14.9, 7.5, 15.4, 15.4, 15.4, 18.5, 7.9, 12.7, 11.9, 11.4, 11.4, 14.1, 17.6,
            16.7, 15.8, 19.5, 8.8, 13.6, 11.9, 11.4,
        ];
        let estimate = Estimate::of(&loads);
        assert!((estimate.mean - 13.71).abs() < 0.005);
        assert!((estimate.low() - 12.14).abs() < 0.01, "{estimate:?}");
        assert!((estimate.high() - 15.28).abs() < 0.015, "{estimate:?}");
    }

    // Goal: one value is taken at face value, and equal values give a zero-width interval.
    #[test]
    fn degenerate_samples() {
        let one = Estimate::of(&[42.0]);
        assert_eq!((one.mean, one.ci_half_width, one.n), (42.0, 0.0, 1));
        let same = Estimate::of(&[3.0, 3.0, 3.0]);
        assert_eq!((same.low(), same.high()), (3.0, 3.0));
    }
}
