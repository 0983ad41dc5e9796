//! Harmonic prediction: heights, fast series and high and low waters.
//!
//! h(t) = z0 + Σ f_y·A·cos(ω·(t − t_y) + (V0+u)_y − G), with t_y = 1 January
//! 00:00 UTC of t's year, V0 at t_y and f, u at mid-year.

use chrono::{DateTime, Utc};

use crate::astro::{year_arguments, year_of, year_start};
use crate::constituents::{Constituent, constituent};
use crate::extreme::{Extreme, ExtremeKind};
use crate::station::HarmonicStation;

/// Spacing of the grid on which extremes are bracketed, seconds.
const GRID_SECONDS: f64 = 900.0;

/// V0+u (degrees, in [0, 360)) and f of a constituent for a year, as the
/// conventions define them; `None` for a name not in the table.
pub fn node_factors(name: &str, year: i32) -> Option<(f64, f64)> {
    let c = constituent(name)?;
    let (v0, nodal) = year_arguments(year);
    Some(c.v0u_f(&v0, &nodal))
}

/// A harmonic predictor for one station.
#[derive(Debug, Clone)]
pub struct HarmonicPredictor {
    z0: f64,
    /// (amplitude m, G rad, ω rad/s, constituent)
    terms: Vec<(f64, f64, f64, &'static Constituent)>,
}

/// The terms of one year, ready to sum: amplitude·f, phase V0+u−G (rad)
/// at the start of the year, speed (rad/s).
#[derive(Debug, Clone)]
pub(crate) struct YearTerms {
    pub(crate) start: i64,
    pub(crate) end: i64,
    z0: f64,
    amp: Vec<f64>,
    phase: Vec<f64>,
    omega: Vec<f64>,
}

/// Value, first and second derivative of the height at an instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Jet {
    pub(crate) h: f64,
    pub(crate) d1: f64,
    pub(crate) d2: f64,
}

impl YearTerms {
    /// Seconds since the start of the year.
    fn local(&self, unix: f64) -> f64 {
        unix - self.start as f64
    }

    pub(crate) fn height(&self, unix: f64) -> f64 {
        let dt = self.local(unix);
        let mut sum = self.z0;
        for k in 0..self.amp.len() {
            sum += self.amp[k] * (self.omega[k] * dt + self.phase[k]).cos();
        }
        sum
    }

    pub(crate) fn jet(&self, unix: f64) -> Jet {
        let dt = self.local(unix);
        let (mut h, mut d1, mut d2) = (self.z0, 0.0, 0.0);
        for k in 0..self.amp.len() {
            let (s, c) = (self.omega[k] * dt + self.phase[k]).sin_cos();
            let a = self.amp[k];
            let w = self.omega[k];
            h += a * c;
            d1 -= a * w * s;
            d2 -= a * w * w * c;
        }
        Jet { h, d1, d2 }
    }
}

impl HarmonicPredictor {
    /// A predictor for a station.
    pub fn new(station: &HarmonicStation) -> Self {
        let terms = station
            .constituents
            .iter()
            .map(|c| {
                (
                    c.amplitude_m,
                    c.phase_deg.to_radians(),
                    c.constituent.speed_deg_per_hour.to_radians() / 3_600.0,
                    c.constituent,
                )
            })
            .collect();
        HarmonicPredictor {
            z0: station.z0_m,
            terms,
        }
    }

    pub(crate) fn year_terms(&self, year: i32) -> YearTerms {
        let (v0, nodal) = year_arguments(year);
        let n = self.terms.len();
        let (mut amp, mut phase, mut omega) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for &(a, g, w, c) in &self.terms {
            let (v0u, f) = c.v0u_f(&v0, &nodal);
            amp.push(a * f);
            phase.push((v0u.to_radians() - g).rem_euclid(std::f64::consts::TAU));
            omega.push(w);
        }
        YearTerms {
            start: year_start(year),
            end: year_start(year + 1),
            z0: self.z0,
            amp,
            phase,
            omega,
        }
    }

    /// The terms of every year that [from, to] (Unix seconds) touches.
    pub(crate) fn years(&self, from: i64, to: i64) -> Years {
        let (first, last) = (year_of(from), year_of(to.max(from)));
        Years {
            predictor: self.clone(),
            terms: (first..=last).map(|y| self.year_terms(y)).collect(),
        }
    }

    /// The height (metres above the station's datum) at `at`.
    pub fn height(&self, at: DateTime<Utc>) -> f64 {
        let unix = at.timestamp();
        let yt = self.year_terms(year_of(unix));
        yt.height(unix as f64 + f64::from(at.timestamp_subsec_nanos()) * 1e-9)
    }

    /// `count` heights from `from`, every `step_seconds` (> 0).
    ///
    /// The per-year terms are computed once per year and every term advances
    /// by a two-term recurrence, so a year of minutes takes milliseconds.
    pub fn heights(&self, from: DateTime<Utc>, step_seconds: i64, count: usize) -> Vec<f64> {
        assert!(step_seconds > 0, "the step is positive");
        let mut out = Vec::with_capacity(count);
        let mut t = from.timestamp();
        while out.len() < count {
            let yt = self.year_terms(year_of(t));
            let in_year = usize::try_from((yt.end - t + step_seconds - 1) / step_seconds)
                .unwrap_or(usize::MAX);
            let n = in_year.min(count - out.len());
            series(&yt, t as f64, step_seconds as f64, n, &mut out);
            t += step_seconds * n as i64;
        }
        out
    }

    /// Every high and low water in [`from`, `to`), time rounded to the
    /// second, height at that second.
    pub fn extremes(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Extreme> {
        self.extremes_unix(from.timestamp(), to.timestamp())
    }

    pub(crate) fn extremes_unix(&self, from: i64, to: i64) -> Vec<Extreme> {
        let mut out: Vec<Extreme> = Vec::new();
        if to <= from {
            return out;
        }
        let mut year = year_of(from);
        loop {
            let yt = self.year_terms(year);
            let a = from.max(yt.start);
            let b = to.min(yt.end);
            if a < b {
                extremes_in(&yt, a as f64, b as f64, &mut out);
            }
            if yt.end >= to {
                break;
            }
            year += 1;
        }
        out.retain(|e| {
            let t = e.at.timestamp();
            t >= from && t < to
        });
        out.sort_by_key(|e| e.at);
        out.dedup_by(|b, a| a.kind == b.kind && (b.at - a.at).num_seconds().abs() <= 1);
        out
    }
}

/// Precomputed terms of consecutive years, for repeated evaluation.
#[derive(Debug, Clone)]
pub(crate) struct Years {
    predictor: HarmonicPredictor,
    terms: Vec<YearTerms>,
}

impl Years {
    /// The height at `unix` seconds (fractional).
    pub(crate) fn height(&self, unix: f64) -> f64 {
        let whole = unix.floor() as i64;
        match self
            .terms
            .iter()
            .find(|y| y.start <= whole && whole < y.end)
        {
            Some(y) => y.height(unix),
            None => self.predictor.year_terms(year_of(whole)).height(unix),
        }
    }
}

/// Appends `n` heights at `t0`, `t0 + step`, … (all within `yt`'s year).
fn series(yt: &YearTerms, t0: f64, step: f64, n: usize, out: &mut Vec<f64>) {
    // Each term y(k) = A·cos(θ + k·φ) obeys y(k+1) = 2cos φ · y(k) − y(k−1):
    // one multiplication and two additions per term and step. Re-seeding now
    // and then keeps rounding from accumulating.
    const RESEED: usize = 4096;
    let m = yt.amp.len();
    let lanes = m.div_ceil(4);
    let mut twice_cos = vec![[0.0f64; 4]; lanes];
    for k in 0..m {
        twice_cos[k / 4][k % 4] = 2.0 * (yt.omega[k] * step).cos();
    }
    let mut cur = vec![[0.0f64; 4]; lanes];
    let mut prev = vec![[0.0f64; 4]; lanes];
    let mut done = 0;
    while done < n {
        let dt = yt.local(t0 + step * done as f64);
        for k in 0..m {
            let theta = yt.omega[k] * dt + yt.phase[k];
            cur[k / 4][k % 4] = yt.amp[k] * theta.cos();
            prev[k / 4][k % 4] = yt.amp[k] * (theta - yt.omega[k] * step).cos();
        }
        let chunk = RESEED.min(n - done);
        for _ in 0..chunk {
            let mut acc = [0.0f64; 4];
            for ((c, p), k) in cur.iter_mut().zip(prev.iter_mut()).zip(&twice_cos) {
                acc = add4(acc, *c);
                let next = recur4(*k, *c, *p);
                *p = *c;
                *c = next;
            }
            out.push(yt.z0 + (acc[0] + acc[1]) + (acc[2] + acc[3]));
        }
        done += chunk;
    }
}

#[inline(always)]
fn add4(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
}

/// k·cur − prev, lane by lane.
#[inline(always)]
fn recur4(k: [f64; 4], cur: [f64; 4], prev: [f64; 4]) -> [f64; 4] {
    [
        k[0] * cur[0] - prev[0],
        k[1] * cur[1] - prev[1],
        k[2] * cur[2] - prev[2],
        k[3] * cur[3] - prev[3],
    ]
}

/// Finds the extremes in [a, b] (Unix seconds, inside `yt`'s year).
///
/// The first and second derivatives are sampled on a grid by recurrence; a
/// cubic Hermite model of the derivative on each grid cell brackets its
/// zeros — a sign change, or a dip through zero between two samples of the
/// same sign (the weak extremes of diurnal coasts) — and one exact Newton
/// step on the analytic derivative polishes each.
fn extremes_in(yt: &YearTerms, a: f64, b: f64, out: &mut Vec<Extreme>) {
    let m = yt.amp.len();
    let lanes = m.div_ceil(4);
    let cells = ((b - a) / GRID_SECONDS).ceil().max(1.0) as usize;
    // d1 = Σ −Aω sin θ and d2 = Σ −Aω² cos θ; each term advances on the grid
    // by the recurrence y(k+1) = 2cos φ · y(k) − y(k−1).
    let mut twice_cos = vec![[0.0f64; 4]; lanes];
    for k in 0..m {
        twice_cos[k / 4][k % 4] = 2.0 * (yt.omega[k] * GRID_SECONDS).cos();
    }
    // Per lane group: [sin now, sin before, cos now, cos before].
    let mut state = vec![[[0.0f64; 4]; 4]; lanes];
    let seed = |t: f64, state: &mut [[[f64; 4]; 4]]| {
        let dt = yt.local(t);
        for k in 0..m {
            let w = yt.omega[k];
            let theta = w * dt + yt.phase[k];
            let (w1, w2) = (-yt.amp[k] * w, -yt.amp[k] * w * w);
            let (s, c) = theta.sin_cos();
            let (sp, cp) = (theta - w * GRID_SECONDS).sin_cos();
            let g = &mut state[k / 4];
            g[0][k % 4] = w1 * s;
            g[1][k % 4] = w1 * sp;
            g[2][k % 4] = w2 * c;
            g[3][k % 4] = w2 * cp;
        }
    };
    let sums = |state: &[[[f64; 4]; 4]]| {
        let (mut d1, mut d2) = ([0.0f64; 4], [0.0f64; 4]);
        for g in state {
            d1 = add4(d1, g[0]);
            d2 = add4(d2, g[2]);
        }
        (
            (d1[0] + d1[1]) + (d1[2] + d1[3]),
            (d2[0] + d2[1]) + (d2[2] + d2[3]),
        )
    };
    seed(a, &mut state);
    let (mut d1_prev, mut d2_prev) = sums(&state);
    let mut t_prev = a;
    if d1_prev == 0.0 {
        push_extreme(yt, a, a, a, out);
    }
    for j in 1..=cells {
        let t = if j == cells {
            b
        } else {
            a + GRID_SECONDS * j as f64
        };
        if j == cells || j % 1024 == 0 {
            seed(t, &mut state);
        } else {
            for (g, k) in state.iter_mut().zip(&twice_cos) {
                let ns = recur4(*k, g[0], g[1]);
                let nc = recur4(*k, g[2], g[3]);
                *g = [ns, g[0], nc, g[2]];
            }
        }
        let (d1, d2) = sums(&state);
        let h = t - t_prev;
        if h > 0.0 {
            let cubic = Cubic::hermite(d1_prev, d2_prev * h, d1, d2 * h);
            let mut roots = [0.0f64; 2];
            let found = cubic.roots_in_cell(&mut roots);
            for &x in &roots[..found] {
                let guess = t_prev + x * h;
                push_extreme(yt, guess, t_prev, t, out);
            }
        }
        t_prev = t;
        d1_prev = d1;
        d2_prev = d2;
    }
}

/// Polishes a zero of the derivative near `guess` (inside [lo, hi]) and
/// records it.
fn push_extreme(yt: &YearTerms, guess: f64, lo: f64, hi: f64, out: &mut Vec<Extreme>) {
    let mut t = guess;
    let mut jet = yt.jet(t);
    for _ in 0..3 {
        if jet.d2 == 0.0 {
            break;
        }
        let step = -jet.d1 / jet.d2;
        let next = t + step;
        if !(next >= lo - 1.0 && next <= hi + 1.0) {
            break;
        }
        if step.abs() < 0.05 {
            // The jet at `t` is accurate enough for the last small step.
            let rounded = next.round();
            let d = rounded - t;
            let h = jet.h + jet.d1 * d + 0.5 * jet.d2 * d * d;
            record(rounded, h, jet.d2, out);
            return;
        }
        t = next;
        jet = yt.jet(t);
    }
    let rounded = t.round();
    let d = rounded - t;
    let h = jet.h + jet.d1 * d + 0.5 * jet.d2 * d * d;
    record(rounded, h, jet.d2, out);
}

fn record(t: f64, height_m: f64, d2: f64, out: &mut Vec<Extreme>) {
    let kind = if d2 < 0.0 {
        ExtremeKind::High
    } else {
        ExtremeKind::Low
    };
    let Some(at) = DateTime::from_timestamp(t as i64, 0) else {
        return;
    };
    // Two zeros that round to the same second are a flat inflection, not a tide.
    if let Some(last) = out.last()
        && last.at == at
        && last.kind != kind
    {
        out.pop();
        return;
    }
    out.push(Extreme { at, kind, height_m });
}

/// A cubic on the unit cell, p(x) = c0 + c1 x + c2 x² + c3 x³.
#[derive(Debug, Clone, Copy)]
struct Cubic {
    c: [f64; 4],
}

impl Cubic {
    fn hermite(y0: f64, m0: f64, y1: f64, m1: f64) -> Self {
        Cubic {
            c: [
                y0,
                m0,
                -3.0 * y0 - 2.0 * m0 + 3.0 * y1 - m1,
                2.0 * y0 + m0 - 2.0 * y1 + m1,
            ],
        }
    }

    fn at(&self, x: f64) -> f64 {
        ((self.c[3] * x + self.c[2]) * x + self.c[1]) * x + self.c[0]
    }

    fn slope(&self, x: f64) -> f64 {
        (3.0 * self.c[3] * x + 2.0 * self.c[2]) * x + self.c[1]
    }

    /// The zeros in (0, 1] (a zero at 0 belongs to the previous cell):
    /// one for a sign change, two for a dip through zero, none otherwise.
    fn roots_in_cell(&self, roots: &mut [f64; 2]) -> usize {
        let y0 = self.c[0];
        let y1 = self.at(1.0);
        if y1 == 0.0 {
            roots[0] = 1.0;
            return 1;
        }
        if y0 == 0.0 {
            return 0;
        }
        if (y0 < 0.0) != (y1 < 0.0) {
            roots[0] = self.root(0.0, 1.0);
            return 1;
        }
        // Same sign at both ends. The Hermite basis bounds the cubic by
        // min(|y0|, |y1|) − 4/27·(|m0| + |m1|): most cells stop here.
        let (m0, m1) = (self.c[1], self.c[3] * 3.0 + self.c[2] * 2.0 + self.c[1]);
        if y0.abs().min(y1.abs()) > 4.0 / 27.0 * (m0.abs() + m1.abs()) {
            return 0;
        }
        // Look for a turning point of the cubic inside the cell whose value
        // has the other sign.
        let (a, b, c) = (3.0 * self.c[3], 2.0 * self.c[2], self.c[1]);
        let mut turning = [f64::NAN; 2];
        if a.abs() < 1e-300 {
            if b != 0.0 {
                turning[0] = -c / b;
            }
        } else {
            let disc = b * b - 4.0 * a * c;
            if disc >= 0.0 {
                let q = -0.5 * (b + b.signum() * disc.sqrt());
                turning[0] = q / a;
                if q != 0.0 {
                    turning[1] = c / q;
                }
            }
        }
        for x in turning {
            if x > 0.0 && x < 1.0 {
                let v = self.at(x);
                if (v < 0.0) != (y0 < 0.0) && v != 0.0 {
                    roots[0] = self.root(0.0, x);
                    roots[1] = self.root(x, 1.0);
                    return 2;
                }
            }
        }
        0
    }

    /// The zero in [lo, hi], where the cubic changes sign.
    fn root(&self, mut lo: f64, mut hi: f64) -> f64 {
        let neg_at_lo = self.at(lo) < 0.0;
        let mut x = 0.5 * (lo + hi);
        for _ in 0..40 {
            let v = self.at(x);
            if v == 0.0 {
                return x;
            }
            if (v < 0.0) == neg_at_lo {
                lo = x;
            } else {
                hi = x;
            }
            let d = self.slope(x);
            let newton = x - v / d;
            x = if d != 0.0 && newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if hi - lo < 1e-9 {
                break;
            }
        }
        x
    }
}
