//! Declared curves ([`sim_core::metrics::MetricCurve`]) evaluated from a run's histograms:
//! per value range, the fraction of the denominator's samples that are in the numerator.
//!
//! The ranges are linear and chosen from the data: up to [`BINS`] bins, the last open-ended,
//! covering where the numerator misses samples (the 99.9th percentile of the misses, with a
//! margin), so a t-visibility curve is drawn where it climbs rather than squashed into its
//! first bin by a long flat tail at 1.0. Both histograms are HDR histograms with the same
//! configuration, so their buckets line up and each sample falls in the same range in both.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim_core::Metrics;

/// Most ranges per curve.
pub const BINS: usize = 40;

/// One range of a curve. Fields in alphabetical order, as `results.json` has them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// `hits / samples`.
    pub fraction: f64,
    /// The range's lower edge, in the histograms' unit.
    pub from: u64,
    /// Samples of the denominator in the range that are in the numerator.
    pub hits: u64,
    /// Samples of the denominator in the range.
    pub samples: u64,
    /// Its upper edge (exclusive); `None` for the last, open-ended range.
    pub to: Option<u64>,
}

/// A curve as `results.json` holds it. Fields in alphabetical order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurveEntry {
    /// The histogram of every sample.
    pub denominator: String,
    /// What it says.
    pub description: String,
    /// The histogram of the samples that count.
    pub numerator: String,
    /// Its ranges, in order; ranges without samples are left out.
    pub points: Vec<CurvePoint>,
    /// The histograms' unit (`ns`).
    pub unit: String,
}

/// Every declared curve whose denominator has samples, by name.
pub(crate) fn curves(metrics: &Metrics) -> BTreeMap<String, CurveEntry> {
    let mut out = BTreeMap::new();
    for curve in metrics.curves() {
        let (Some(all), Some(hits)) = (
            metrics.histogram_by_name(curve.denominator),
            metrics.histogram_by_name(curve.numerator),
        ) else {
            continue;
        };
        if all.is_empty() {
            continue;
        }
        let unit = metrics
            .histograms()
            .find(|(name, _, _)| *name == curve.denominator)
            .map_or("count", |(_, unit, _)| unit.name());
        // Per bucket (its highest value): (samples, hits).
        let mut buckets: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        for v in all.iter_recorded() {
            buckets.entry(v.value_iterated_to()).or_default().0 += v.count_at_value();
        }
        for v in hits.iter_recorded() {
            buckets.entry(v.value_iterated_to()).or_default().1 += v.count_at_value();
        }
        let width = bin_width(&buckets);
        let mut points: Vec<CurvePoint> = (0..BINS)
            .map(|i| CurvePoint {
                fraction: 0.0,
                from: i as u64 * width,
                hits: 0,
                samples: 0,
                to: (i + 1 < BINS).then(|| (i as u64 + 1) * width),
            })
            .collect();
        for (value, (samples, hit)) in buckets {
            let point = &mut points[((value / width) as usize).min(BINS - 1)];
            point.samples += samples;
            point.hits += hit.min(samples);
        }
        points.retain(|p| p.samples > 0);
        for point in &mut points {
            point.fraction = point.hits as f64 / point.samples as f64;
        }
        out.insert(
            curve.name.to_string(),
            CurveEntry {
                denominator: curve.denominator.to_string(),
                description: curve.description.to_string(),
                numerator: curve.numerator.to_string(),
                points,
                unit: unit.to_string(),
            },
        );
    }
    out
}

/// A round bin width (1, 2 or 5 times a power of ten) such that [`BINS`] - 1 bins reach past
/// the 99.9th percentile of the misses by a quarter (or of all samples, when nothing missed).
fn bin_width(buckets: &BTreeMap<u64, (u64, u64)>) -> u64 {
    let misses: u64 = buckets.values().map(|(s, h)| s.saturating_sub(*h)).sum();
    let counted = |(s, h): &(u64, u64)| if misses > 0 { s.saturating_sub(*h) } else { *s };
    let total: u64 = buckets.values().map(counted).sum();
    let mut seen = 0;
    let mut top = 1;
    for (value, counts) in buckets {
        seen += counted(counts);
        top = *value;
        if seen as f64 >= 0.999 * total as f64 {
            break;
        }
    }
    let raw = (top as f64 * 1.25 / (BINS - 1) as f64).max(1.0);
    let decade = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|w| *w >= raw)
        .unwrap_or(10.0 * decade);
    step as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::metrics::{MetricCurve, MetricTable};
    use sim_core::{SimTime, Unit};

    const TABLE: MetricTable = MetricTable {
        recorded: &[],
        derived: &[],
        curves: &[MetricCurve {
            name: "t.curve",
            numerator: "t.hit",
            denominator: "t.all",
            description: "test",
        }],
    };

    // Goal: each range's fraction is its hits over its samples, ranges cover where misses
    // are, and the last range takes everything beyond. Method: samples at 0..1000 ns, hits
    // for values >= 500 only; every range below 500 must be 0, every one above 1.
    #[test]
    fn fractions_per_range() {
        let mut m = Metrics::new();
        m.declare(TABLE);
        let all = m.histogram_whole_run("t.all", Unit::Nanoseconds);
        let hit = m.histogram_whole_run("t.hit", Unit::Nanoseconds);
        for v in 0..1000u64 {
            m.record(all, v, SimTime::ZERO);
            if v >= 500 {
                m.record(hit, v, SimTime::ZERO);
            }
        }
        m.record(all, 1_000_000, SimTime::ZERO);
        m.record(hit, 1_000_000, SimTime::ZERO);
        let curves = curves(&m);
        let curve = &curves["t.curve"];
        assert_eq!(curve.unit, "ns");
        let total: u64 = curve.points.iter().map(|p| p.samples).sum();
        assert_eq!(total, 1001);
        for p in &curve.points {
            match p.to {
                Some(to) if to <= 500 => assert_eq!(p.fraction, 0.0, "{p:?}"),
                _ if p.from >= 500 => assert_eq!(p.fraction, 1.0, "{p:?}"),
                _ => {}
            }
        }
        let last = curve.points.last().expect("points");
        assert!(last.to.is_none() && last.hits >= 1);
        // The misses end at 499: the ranges reach past it, but not out to 1 ms.
        let width = curve.points[1].from - curve.points[0].from;
        assert!(
            width * (BINS as u64 - 1) >= 499 && width <= 50,
            "width {width}"
        );
    }
}
