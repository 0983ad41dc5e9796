//! One predictor for harmonic and secondary stations, and the secondary
//! correction itself.

use chrono::{DateTime, Utc};

use crate::extreme::{Extreme, ExtremeKind};
use crate::harmonic::{HarmonicPredictor, Years};
use crate::station::{HarmonicStation, HeightCorrection, SecondaryStation};

/// How far beyond a range reference extremes are computed for a secondary
/// station, seconds: more than the largest offset plus one tidal day.
const SECONDARY_PAD: i64 = 2 * 86_400;

/// Predicts a station, harmonic or secondary.
#[derive(Debug, Clone)]
pub enum Predictor {
    /// From the station's own constants.
    Harmonic(HarmonicPredictor),
    /// From a reference station, corrected.
    Secondary(SecondaryPredictor),
}

impl Predictor {
    /// A predictor for a harmonic station.
    pub fn harmonic(station: &HarmonicStation) -> Self {
        Predictor::Harmonic(HarmonicPredictor::new(station))
    }

    /// A predictor for a secondary station on its reference.
    pub fn secondary(station: &SecondaryStation, reference: &HarmonicStation) -> Self {
        Predictor::Secondary(SecondaryPredictor::new(station, reference))
    }

    /// The height (metres above the datum) at `at`.
    pub fn height(&self, at: DateTime<Utc>) -> f64 {
        match self {
            Predictor::Harmonic(p) => p.height(at),
            Predictor::Secondary(p) => {
                let t = at.timestamp();
                let pairs = p.pairs(t - SECONDARY_PAD, t + SECONDARY_PAD);
                let years = p.reference.years(t - SECONDARY_PAD, t + SECONDARY_PAD);
                p.height_with(&pairs, &years, t as f64)
            }
        }
    }

    /// `count` heights from `from`, every `step_seconds` (> 0).
    pub fn heights(&self, from: DateTime<Utc>, step_seconds: i64, count: usize) -> Vec<f64> {
        match self {
            Predictor::Harmonic(p) => p.heights(from, step_seconds, count),
            Predictor::Secondary(p) => {
                let t0 = from.timestamp();
                let end = t0 + step_seconds * count as i64;
                let pairs = p.pairs(t0 - SECONDARY_PAD, end + SECONDARY_PAD);
                let years = p.reference.years(t0 - SECONDARY_PAD, end + SECONDARY_PAD);
                (0..count)
                    .map(|k| p.height_with(&pairs, &years, (t0 + step_seconds * k as i64) as f64))
                    .collect()
            }
        }
    }

    /// Every high and low water in [`from`, `to`).
    pub fn extremes(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Extreme> {
        self.extremes_unix(from.timestamp(), to.timestamp())
    }

    pub(crate) fn extremes_unix(&self, from: i64, to: i64) -> Vec<Extreme> {
        match self {
            Predictor::Harmonic(p) => p.extremes_unix(from, to),
            Predictor::Secondary(p) => p
                .pairs(from - SECONDARY_PAD, to + SECONDARY_PAD)
                .iter()
                .map(|pair| pair.secondary)
                .filter(|e| e.at.timestamp() >= from && e.at.timestamp() < to)
                .collect(),
        }
    }
}

/// A secondary station's predictor: the reference's curve, its extremes
/// moved by the time offsets and corrected in height.
#[derive(Debug, Clone)]
pub struct SecondaryPredictor {
    pub(crate) reference: HarmonicPredictor,
    high_offset_s: f64,
    low_offset_s: f64,
    high: HeightCorrection,
    low: HeightCorrection,
}

/// A reference extreme and the secondary extreme made from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair {
    pub(crate) reference: Extreme,
    pub(crate) secondary: Extreme,
    correction: HeightCorrection,
}

impl SecondaryPredictor {
    /// A predictor for `station` on `reference`.
    pub fn new(station: &SecondaryStation, reference: &HarmonicStation) -> Self {
        SecondaryPredictor {
            reference: HarmonicPredictor::new(reference),
            high_offset_s: station.high_water_time_offset_min * 60.0,
            low_offset_s: station.low_water_time_offset_min * 60.0,
            high: station.high_water_height,
            low: station.low_water_height,
        }
    }

    /// The reference's extremes in [from, to) and the secondary's made from
    /// them, in time order; a pair that the offsets would put out of order
    /// is dropped with its neighbour.
    pub(crate) fn pairs(&self, from: i64, to: i64) -> Vec<Pair> {
        let mut out: Vec<Pair> = Vec::new();
        for e in self.reference.extremes_unix(from, to) {
            let (offset, correction) = match e.kind {
                ExtremeKind::High => (self.high_offset_s, self.high),
                ExtremeKind::Low => (self.low_offset_s, self.low),
            };
            let at = e.at + chrono::Duration::seconds(offset.round() as i64);
            let pair = Pair {
                reference: e,
                secondary: Extreme {
                    at,
                    kind: e.kind,
                    height_m: correction.apply(e.height_m),
                },
                correction,
            };
            if let Some(last) = out.last()
                && last.secondary.at >= at
            {
                out.pop();
                continue;
            }
            out.push(pair);
        }
        out
    }

    /// The height at `t` (Unix seconds) given the pairs around it.
    ///
    /// Between two secondary extremes, time maps linearly onto the
    /// reference's interval between the same extremes; the correction moves
    /// from one extreme's to the other's in proportion to the reference's
    /// rise or fall so far.
    pub(crate) fn height_with(&self, pairs: &[Pair], years: &Years, t: f64) -> f64 {
        let k = pairs.partition_point(|p| (p.secondary.at.timestamp() as f64) <= t);
        if k == 0 || k == pairs.len() {
            // Outside the known extremes (cannot happen with the padding):
            // the nearest correction on the reference curve.
            let p = if k == 0 { pairs.first() } else { pairs.last() };
            let h = years.height(t);
            return p.map_or(h, |p| p.correction.apply(h));
        }
        let (a, b) = (&pairs[k - 1], &pairs[k]);
        let (s0, s1) = (
            a.secondary.at.timestamp() as f64,
            b.secondary.at.timestamp() as f64,
        );
        let (r0, r1) = (
            a.reference.at.timestamp() as f64,
            b.reference.at.timestamp() as f64,
        );
        let phi = (t - s0) / (s1 - s0);
        let t_ref = r0 + phi * (r1 - r0);
        let h = years.height(t_ref);
        let span = b.reference.height_m - a.reference.height_m;
        let w = if span == 0.0 {
            phi
        } else {
            ((h - a.reference.height_m) / span).clamp(0.0, 1.0)
        };
        let ratio = a.correction.ratio + w * (b.correction.ratio - a.correction.ratio);
        let offset = a.correction.offset_m + w * (b.correction.offset_m - a.correction.offset_m);
        h * ratio + offset
    }
}
