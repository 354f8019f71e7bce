//! The whole-run histogram: `hdrhistogram`'s buckets, counted in a plain vector.
//!
//! Every latency sample of a run lands in a whole-run histogram, so its `record` is on the
//! engine's hot path. `hdrhistogram`'s own `record` is a call the compiler keeps out of line
//! (with its resize path and min/max tracking, ~52 instructions per sample; M/M/1 spent a sixth
//! of its time there, profiled). [`RunHistogram`] counts into the *same* buckets with the same
//! index arithmetic, inline (a leading-zero count, a shift, an add), and builds the
//! `hdrhistogram::Histogram` from its counts when it is read. Every statistic `hdrhistogram`
//! reports (count, min, max, mean, quantiles, standard deviation) is a function of the bucket
//! counts alone (min and max are reported as their buckets' equivalents), so a read sees
//! exactly what recording each sample into `hdrhistogram` would have given; a test checks it.

use std::sync::OnceLock;

use hdrhistogram::Histogram;

use super::{record_growing, SIGFIG_RUN};

/// `hdrhistogram`'s layout at 3 significant digits and a lowest discernible value of 1:
/// 2^11 sub-buckets (single-unit resolution up to 2,048), half of them per bucket above the
/// first.
const SUB_BUCKET_MAGNITUDE: u32 = 11;
const SUB_BUCKET_HALF_MAGNITUDE: u32 = SUB_BUCKET_MAGNITUDE - 1;
const SUB_BUCKET_HALF: usize = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = (1 << SUB_BUCKET_MAGNITUDE) - 1;
/// `64 - unit magnitude (0) - SUB_BUCKET_MAGNITUDE`.
const LEADING_ZERO_BASE: u32 = 64 - SUB_BUCKET_MAGNITUDE;
const _: () = assert!(
    SIGFIG_RUN == 3,
    "the layout above is hdrhistogram's for 3 significant digits"
);

/// Samples from here up go to `hdrhistogram` directly (where its own range and saturation
/// rules apply); below, the counts vector holds at most ~54,000 buckets (430 KB), the size
/// `hdrhistogram` itself would allocate for such a value.
const DIRECT_FROM: u64 = 1 << 62;

/// The bucket index `hdrhistogram` gives `value` (below [`DIRECT_FROM`]).
#[inline(always)]
fn index_of(value: u64) -> usize {
    let bucket = LEADING_ZERO_BASE - (value | SUB_BUCKET_MASK).leading_zeros();
    let sub_bucket = (value >> bucket) as usize;
    ((bucket as usize + 1) << SUB_BUCKET_HALF_MAGNITUDE) + sub_bucket - SUB_BUCKET_HALF
}

/// The lowest value of bucket `index` (the inverse of [`index_of`] on a bucket's values).
fn lowest_value(index: usize) -> u64 {
    let half = index >> SUB_BUCKET_HALF_MAGNITUDE;
    if half == 0 {
        // The lower half of the first bucket: one value per index.
        return index as u64;
    }
    let bucket = half - 1;
    let sub_bucket = (index & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF;
    (sub_bucket as u64) << bucket
}

/// A whole-run histogram: counts per `hdrhistogram` bucket, read as a
/// `hdrhistogram::Histogram` (see the module documentation).
#[derive(Clone, Debug, Default)]
pub(super) struct RunHistogram {
    /// Samples per bucket index, for samples below [`DIRECT_FROM`].
    counts: Vec<u64>,
    /// Samples at or above [`DIRECT_FROM`], if any, recorded the usual way.
    direct: Option<Histogram<u64>>,
    /// Everything recorded, as a `hdrhistogram::Histogram`: built on the first read after a
    /// record.
    built: OnceLock<Histogram<u64>>,
}

impl RunHistogram {
    /// Counts one sample.
    #[inline]
    pub(super) fn record(&mut self, value: u64) {
        if value < DIRECT_FROM {
            let index = index_of(value);
            if index >= self.counts.len() {
                self.counts.resize(index + 1, 0);
            }
            self.counts[index] = self.counts[index].saturating_add(1);
        } else {
            record_growing(self.direct.get_or_insert_with(empty), value);
        }
        if self.built.get().is_some() {
            self.built = OnceLock::new();
        }
    }

    /// Forgets every sample.
    pub(super) fn reset(&mut self) {
        *self = RunHistogram::default();
    }

    /// Everything recorded, as `hdrhistogram` would hold it.
    pub(super) fn histogram(&self) -> &Histogram<u64> {
        self.built.get_or_init(|| {
            let mut histogram = self.direct.clone().unwrap_or_else(empty);
            for (index, &count) in self.counts.iter().enumerate() {
                if count > 0 {
                    let value = lowest_value(index);
                    if histogram.record_n(value, count).is_err() {
                        histogram.saturating_record_n(value, count);
                    }
                }
            }
            histogram
        })
    }
}

/// An empty whole-run `hdrhistogram` (3 significant digits, growing as needed).
fn empty() -> Histogram<u64> {
    Histogram::new(SIGFIG_RUN).expect("3 significant digits is in range")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every statistic the reports read, and every bucket with its count.
    fn observed(h: &Histogram<u64>) -> (Vec<u64>, Vec<(u64, u64)>) {
        let stats = [
            h.len(),
            h.min(),
            h.max(),
            h.mean().to_bits(),
            h.stdev().to_bits(),
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
        ];
        let buckets = h
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        (stats.to_vec(), buckets)
    }

    // Goal: the bucket arithmetic is hdrhistogram's: a value's index maps back to a value in
    // the same bucket, at the bucket's low end, across the whole fast range.
    #[test]
    fn indices_invert_at_bucket_edges() {
        let reference = empty();
        for value in [0, 1, 2047, 2048, 2049, 4095, 4096, 1 << 40, DIRECT_FROM - 1] {
            let low = lowest_value(index_of(value));
            assert_eq!(low, reference.lowest_equivalent(value), "value {value}");
            assert_eq!(index_of(low), index_of(value), "value {value}");
        }
    }

    proptest! {
        // Property: whatever the samples (small, large, beyond the fast range, repeated),
        // reading the run histogram gives what recording each sample into hdrhistogram gives.
        #[test]
        fn reads_as_hdrhistogram_would(
            samples in proptest::collection::vec(
                prop_oneof![0u64..5_000, 0u64..1 << 40, any::<u64>()], 0..400),
            reads_between in 0usize..4,
        ) {
            let mut fast = RunHistogram::default();
            let mut reference = empty();
            for (i, &value) in samples.iter().enumerate() {
                fast.record(value);
                record_growing(&mut reference, value);
                // Reading in the middle must not stop later samples from counting.
                if reads_between > 0 && i % (reads_between * 37) == 0 {
                    prop_assert_eq!(observed(fast.histogram()), observed(&reference));
                }
            }
            prop_assert_eq!(observed(fast.histogram()), observed(&reference));
            fast.reset();
            prop_assert_eq!(observed(fast.histogram()), observed(&empty()));
        }
    }
}
