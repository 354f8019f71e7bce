//! What a request does: the operation mix and value sizes.
//!
//! The mix is a fixed categorical choice per request, as in YCSB's core workloads (Cooper et
//! al., "Benchmarking cloud serving systems with YCSB", SoCC 2010, §4: e.g. workload A is
//! 50% reads and 50% updates). Value sizes are any [`Distribution`] of bytes.

use rand::Rng;
use sim_core::{Distribution, SimRng};

use super::WorkloadError;

/// A request's operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// Read a key's value.
    Read,
    /// Write (insert or overwrite) a key's value.
    Write,
    /// Delete a key.
    Delete,
}

impl Op {
    /// Every operation, in a fixed order (the order of [`OpMix::new`]'s arguments).
    pub const ALL: [Op; 3] = [Op::Read, Op::Write, Op::Delete];

    /// The operation's name in scenario files and reports: `"read"`, `"write"`, `"delete"`.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "write",
            Op::Delete => "delete",
        }
    }
}

/// A validated mix of operations: fractions that are >= 0 and sum to 1.
#[derive(Clone, Debug, PartialEq)]
pub struct OpMix {
    /// Fraction of each op, in [`Op::ALL`] order.
    fractions: [f64; 3],
    /// Running sums of `fractions`; the last positive op takes everything above the others.
    cumulative: [f64; 3],
    /// The last op with a positive fraction: the fallback that absorbs float rounding so an
    /// op with fraction 0 is never drawn.
    last_positive: Op,
}

impl OpMix {
    /// A mix from ratios (any non-negative finite numbers, not all 0), normalised to sum to 1:
    /// `OpMix::new(95.0, 5.0, 0.0)` and `OpMix::new(0.95, 0.05, 0.0)` are the same mix.
    pub fn new(read: f64, write: f64, delete: f64) -> Result<Self, WorkloadError> {
        let ratios = [read, write, delete];
        for (op, &ratio) in Op::ALL.iter().zip(&ratios) {
            if !(ratio >= 0.0 && ratio.is_finite()) {
                return Err(WorkloadError::BadParameter {
                    kind: "op_mix",
                    param: op.name(),
                    valid: "a finite number >= 0",
                    value: ratio,
                });
            }
        }
        // Scale by the largest ratio first so the sum cannot overflow.
        let largest = ratios.iter().copied().fold(0.0, f64::max);
        if largest <= 0.0 {
            return Err(WorkloadError::EmptyOpMix);
        }
        let scaled = ratios.map(|ratio| ratio / largest);
        let total: f64 = scaled.iter().sum();
        let fractions = scaled.map(|ratio| ratio / total);
        let mut cumulative = [0.0; 3];
        let mut running = 0.0;
        for (sum, fraction) in cumulative.iter_mut().zip(fractions) {
            running += fraction;
            *sum = running;
        }
        let last_index = fractions
            .iter()
            .rposition(|&fraction| fraction > 0.0)
            .expect("the largest ratio is > 0");
        Ok(OpMix {
            fractions,
            cumulative,
            last_positive: Op::ALL[last_index],
        })
    }

    /// The fraction of requests that are `op`.
    pub fn fraction(&self, op: Op) -> f64 {
        self.fractions[op as usize]
    }

    /// Draws one request's operation: one uniform draw.
    pub fn sample(&self, rng: &mut SimRng) -> Op {
        let draw: f64 = rng.random();
        for (index, &sum) in self.cumulative.iter().enumerate() {
            if Op::ALL[index] == self.last_positive {
                break;
            }
            if draw < sum {
                return Op::ALL[index];
            }
        }
        self.last_positive
    }
}

/// Draws a value size in bytes from `sizes`, rounded to the nearest byte and clamped to
/// `0..=u32::MAX` (an infinite draw from a heavy tail becomes `u32::MAX`).
pub fn sample_size(sizes: &Distribution, rng: &mut SimRng) -> u32 {
    let bytes = sizes.sample(rng);
    assert!(bytes >= 0.0, "size sample {bytes} < 0");
    // `as` saturates at u32::MAX, which is the clamp we want.
    bytes.round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::rng::{stream, StreamKind, StreamLabel};

    fn rng() -> SimRng {
        stream(9, StreamLabel::new(StreamKind::Workload, 0))
    }

    /// Counts each op over `n_draws` samples, in [`Op::ALL`] order.
    fn op_counts(mix: &OpMix, n_draws: u64) -> [u64; 3] {
        let mut rng = rng();
        let mut counts = [0; 3];
        for _ in 0..n_draws {
            counts[mix.sample(&mut rng) as usize] += 1;
        }
        counts
    }

    // Goal: sampled op fractions match the normalised ratios within 5 binomial sd
    // (sqrt(n p (1 - p))), and ops with ratio 0 are never drawn.
    #[test]
    fn op_fractions_match() {
        let n_draws = 100_000u64;
        for (ratios, expect) in [
            ([95.0, 5.0, 0.0], [0.95, 0.05, 0.0]),
            ([1.0, 1.0, 2.0], [0.25, 0.25, 0.5]),
            ([0.0, 3.0, 0.0], [0.0, 1.0, 0.0]),
            ([0.0, 0.0, 1e300], [0.0, 0.0, 1.0]),
        ] {
            let mix = OpMix::new(ratios[0], ratios[1], ratios[2]).unwrap();
            let counts = op_counts(&mix, n_draws);
            for (index, op) in Op::ALL.iter().enumerate() {
                let p = expect[index];
                assert!((mix.fraction(*op) - p).abs() < 1e-12, "{ratios:?} {op:?}");
                let expected = n_draws as f64 * p;
                let tolerance = 5.0 * (n_draws as f64 * p * (1.0 - p)).sqrt();
                let count = counts[index] as f64;
                assert!(
                    (count - expected).abs() <= tolerance,
                    "{ratios:?} {op:?}: {count} vs {expected} +- {tolerance}"
                );
            }
        }
        let names: Vec<&str> = Op::ALL.iter().map(Op::name).collect();
        assert_eq!(names, ["read", "write", "delete"]);
    }

    // Goal: bad ratios are rejected with messages naming the op and the value.
    #[test]
    fn rejects_bad_ratios() {
        #[track_caller]
        fn check(ratios: [f64; 3], expect: &str) {
            let error = OpMix::new(ratios[0], ratios[1], ratios[2]).unwrap_err();
            assert_eq!(error.to_string(), expect);
        }
        check(
            [-1.0, 1.0, 0.0],
            "op_mix read must be a finite number >= 0, got -1",
        );
        check(
            [1.0, f64::NAN, 0.0],
            "op_mix write must be a finite number >= 0, got NaN",
        );
        check(
            [1.0, 0.0, f64::INFINITY],
            "op_mix delete must be a finite number >= 0, got inf",
        );
        check(
            [0.0, 0.0, 0.0],
            "op_mix ratios must not all be 0 (read, write and delete were all 0)",
        );
    }

    // Goal: sizes round to the nearest byte and clamp at u32::MAX.
    #[test]
    fn sizes_round_and_clamp() {
        let mut rng = rng();
        let check = |value: f64, expect: u32, rng: &mut SimRng| {
            let sizes = Distribution::constant(value).unwrap();
            assert_eq!(sample_size(&sizes, rng), expect, "{value}");
        };
        check(99.4, 99, &mut rng);
        check(99.5, 100, &mut rng);
        check(0.0, 0, &mut rng);
        check(1e20, u32::MAX, &mut rng);
        let sizes = Distribution::uniform(100.0, 200.0).unwrap();
        for _ in 0..1000 {
            let size = sample_size(&sizes, &mut rng);
            assert!((100..=200).contains(&size));
        }
    }
}
