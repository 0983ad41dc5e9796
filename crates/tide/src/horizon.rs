//! The queries of the availability rules, over a horizon computed once.

use chrono::{DateTime, Utc};

use crate::extreme::{Extreme, ExtremeKind};
use crate::harmonic::Years;
use crate::predictor::{Pair, Predictor};

/// Extremes are computed this far beyond the horizon (seconds), so that the
/// windows near a high water just outside it and the level at its edges are
/// right.
const PAD: i64 = 2 * 86_400;

/// A high or low water is *flat* when the tide rises or falls less than
/// this (metres) to the extreme before it or to the one after it: the
/// curve barely turns there, so the time of that high water is ill-defined
/// (a diurnal port's neap days, a double high water), and a fitted
/// station's time for it is the least sure.
pub const FLAT_SWING_M: f64 = 0.3;

/// Minutes a window near a flat high or low water is widened on each
/// side ([`TideHorizon::windows_near`]).
pub const FLAT_WIDEN_MINUTES: u32 = 60;

/// A half-open interval of time [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Window {
    /// First instant inside.
    pub start: DateTime<Utc>,
    /// First instant after.
    pub end: DateTime<Utc>,
}

impl Window {
    /// True when `at` lies in [start, end).
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

/// One station's tide over [from, to): extremes found once, then any number
/// of cheap queries. Build it once per station and horizon and share it.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use doorstep_tide::{Catalog, ExtremeKind};
///
/// let text = r#"
/// id = "demo"
/// name = "Demo"
/// latitude = 20.0
/// longitude = 106.0
/// timezone = "Asia/Ho_Chi_Minh"
/// datum = "MSL"
/// z0_m = 0.0
/// phase_reference = "greenwich"
/// source = "an S2-only example"
/// license = "CC0"
/// approximate = true
///
/// [[constituents]]
/// name = "S2"
/// amplitude_m = 1.0
/// phase_deg = 0.0
/// speed_deg_per_hour = 30.0
/// "#;
/// let catalog = Catalog::from_files([("demo.toml", text)]).unwrap();
/// let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let to = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
/// let tide = catalog.predictor("demo").unwrap().horizon(from, to);
/// assert_eq!(tide.extremes().len(), 4); // 00:00 and 12:00 high, 06:00 and 18:00 low
/// assert_eq!(tide.windows_above(0.5).len(), 3);
/// let near_high = tide.windows_near(ExtremeKind::High, 90);
/// assert_eq!(near_high[0].end, from + chrono::Duration::minutes(90));
/// ```
#[derive(Debug, Clone)]
pub struct TideHorizon {
    from: i64,
    to: i64,
    years: Years,
    secondary: Option<(crate::predictor::SecondaryPredictor, Vec<Pair>)>,
    /// Extremes over the padded range, in time order.
    padded: Vec<Extreme>,
    /// The extremes inside [from, to).
    inside: std::ops::Range<usize>,
}

impl Predictor {
    /// Computes the tide over [`from`, `to`) for repeated queries.
    pub fn horizon(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TideHorizon {
        let (from, to) = (from.timestamp(), to.timestamp().max(from.timestamp()));
        let (a, b) = (from - PAD, to + PAD);
        let (years, secondary, padded) = match self {
            Predictor::Harmonic(p) => (p.years(a, b), None, p.extremes_unix(a, b)),
            Predictor::Secondary(p) => {
                let pairs = p.pairs(a - PAD, b + PAD);
                let padded = pairs.iter().map(|q| q.secondary).collect();
                (
                    p.reference.years(a - PAD, b + PAD),
                    Some((p.clone(), pairs)),
                    padded,
                )
            }
        };
        let first = padded.partition_point(|e: &Extreme| e.at.timestamp() < from);
        let last = padded.partition_point(|e: &Extreme| e.at.timestamp() < to);
        TideHorizon {
            from,
            to,
            years,
            secondary,
            padded,
            inside: first..last,
        }
    }
}

impl TideHorizon {
    /// Start of the horizon.
    pub fn from(&self) -> DateTime<Utc> {
        at(self.from)
    }

    /// End of the horizon (excluded).
    pub fn to(&self) -> DateTime<Utc> {
        at(self.to)
    }

    /// The high and low waters in [from, to).
    pub fn extremes(&self) -> &[Extreme] {
        &self.padded[self.inside.clone()]
    }

    /// The height (metres above the datum) at `t`; `t` may lie anywhere,
    /// but is fastest within the horizon.
    pub fn height_at(&self, t: DateTime<Utc>) -> f64 {
        self.height_unix(t.timestamp() as f64 + f64::from(t.timestamp_subsec_nanos()) * 1e-9)
    }

    fn height_unix(&self, t: f64) -> f64 {
        match &self.secondary {
            None => self.years.height(t),
            Some((p, pairs)) => p.height_with(pairs, &self.years, t),
        }
    }

    /// True when the level at `t` is above `level_m` (strictly).
    pub fn is_above(&self, t: DateTime<Utc>, level_m: f64) -> bool {
        self.height_at(t) > level_m
    }

    /// True when the level at `t` is below `level_m` (strictly).
    pub fn is_below(&self, t: DateTime<Utc>, level_m: f64) -> bool {
        self.height_at(t) < level_m
    }

    /// The windows of [from, to) where the level is above `level_m`, to the second.
    pub fn windows_above(&self, level_m: f64) -> Vec<Window> {
        self.windows_where(|h| h > level_m)
    }

    /// The windows of [from, to) where the level is below `level_m`, to the second.
    pub fn windows_below(&self, level_m: f64) -> Vec<Window> {
        self.windows_where(|h| h < level_m)
    }

    /// Whether the `index`-th of the padded extremes is flat
    /// ([`FLAT_SWING_M`]).
    fn padded_flat(&self, index: usize) -> bool {
        let e = &self.padded[index];
        let swing = |other: Option<&Extreme>| other.map(|o| (o.height_m - e.height_m).abs());
        let before = index.checked_sub(1).and_then(|i| self.padded.get(i));
        [swing(before), swing(self.padded.get(index + 1))]
            .into_iter()
            .flatten()
            .any(|s| s < FLAT_SWING_M)
    }

    /// The high and low waters in [from, to), each with whether it is flat:
    /// the tide rises or falls less than [`FLAT_SWING_M`] to the extreme
    /// before or after it, so its time is ill-defined.
    pub fn extremes_flagged(&self) -> Vec<(Extreme, bool)> {
        self.inside
            .clone()
            .map(|i| (self.padded[i], self.padded_flat(i)))
            .collect()
    }

    /// The windows of [from, to) within `minutes` of a high (or low) water,
    /// each [t − minutes, t + minutes), widened by [`FLAT_WIDEN_MINUTES`]
    /// on each side around a flat one, whose time is ill-defined;
    /// overlapping windows merged. High waters just outside the horizon
    /// count.
    pub fn windows_near(&self, kind: ExtremeKind, minutes: u32) -> Vec<Window> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        for (index, e) in self.padded.iter().enumerate() {
            if e.kind != kind {
                continue;
            }
            let widen = if self.padded_flat(index) {
                FLAT_WIDEN_MINUTES
            } else {
                0
            };
            let half = i64::from(minutes + widen) * 60;
            let t = e.at.timestamp();
            let (start, end) = ((t - half).max(self.from), (t + half).min(self.to));
            if start >= end {
                continue;
            }
            match out.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => out.push((start, end)),
            }
        }
        out.into_iter().map(|(s, e)| window(s, e)).collect()
    }

    /// The windows of [from, to) where `inside(height)` holds. Between two
    /// consecutive extremes the curve is monotonic, so each stretch holds
    /// at most one change, found by bisection to the second.
    fn windows_where(&self, inside: impl Fn(f64) -> bool) -> Vec<Window> {
        let holds = |t: i64| inside(self.height_unix(t as f64));
        // Instants between which the curve is monotonic.
        let mut knots: Vec<i64> = vec![self.from];
        knots.extend(
            self.padded
                .iter()
                .map(|e| e.at.timestamp())
                .filter(|&t| t > self.from && t < self.to),
        );
        knots.push(self.to);
        let mut out: Vec<Window> = Vec::new();
        if self.from >= self.to {
            return out;
        }
        let mut state = holds(self.from);
        let mut open = if state { Some(self.from) } else { None };
        for pair in knots.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            // Check the last second of the stretch [a, b).
            let end_state = if b - 1 > a { holds(b - 1) } else { state };
            if end_state != state {
                // First second in (a, b) where the state differs.
                let (mut lo, mut hi) = (a, b - 1);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if holds(mid) == state {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                if end_state {
                    open = Some(hi);
                } else if let Some(s) = open.take() {
                    out.push(window(s, hi));
                }
                state = end_state;
            }
            // At the knot itself (an extreme) the state may change again.
            if b < self.to {
                let at_b = holds(b);
                if at_b != state {
                    if at_b {
                        open = Some(b);
                    } else if let Some(s) = open.take() {
                        out.push(window(s, b));
                    }
                    state = at_b;
                }
            }
        }
        if let Some(s) = open {
            out.push(window(s, self.to));
        }
        out
    }
}

fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

fn window(start: i64, end: i64) -> Window {
    Window {
        start: at(start),
        end: at(end),
    }
}
