//! Harmonic constants fitted to observed high and low waters.
//!
//! A port without published constants often has a few weeks of written-down
//! high and low waters: the harbour master's book, the fishermen's notes, a
//! tide staff read at the quay. Each reading says two things about the
//! curve: its *height* at that instant (when given), and — because the water
//! stands still at high and low water — that the curve's *slope* is zero
//! there. Both are linear in the constants' cosine and sine parts, so one
//! weighted least-squares fit uses them all:
//!
//! - h(tᵢ) = Hᵢ, weighted by the height reading's uncertainty;
//! - h′(tᵢ) = 0, weighted by the slope a time error would cause there,
//!   |h″(tᵢ)|·σₜ, with h″ taken from the previous pass (a few passes).
//!
//! The model follows the prediction conventions exactly (V0 + u and f of
//! each reading's year), so the constants it writes predict as any other
//! station's. Only constituents that the record can separate (Rayleigh: their
//! speeds differ by at least `rayleigh` cycles over the record) are fitted;
//! the others of the diurnal and semidiurnal species are *inferred*, drawn
//! toward a tie to their nearest fitted neighbour (a prior, tighter the
//! nearer in speed): same admittance (amplitude over the equilibrium tide's)
//! and a phase that follows the species' phase slope, the admittance
//! interpolated between the slope pair for those between them, or the
//! ratios of a reference station when one is given. The minor diurnal
//! constituents and the long-period ones the record separates are fitted
//! with a prior toward zero.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::astro::{year_arguments, year_of, year_start};
use crate::constituents::{Constituent, constituent};
use crate::extreme::ExtremeKind;
use crate::harmonic::HarmonicPredictor;
use crate::station::{HarmonicConstant, HarmonicStation, StationInfo};

/// One observed high or low water.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// When the water stood highest or lowest (UTC).
    pub at: DateTime<Utc>,
    /// High or low water.
    pub kind: ExtremeKind,
    /// The height read (metres above the staff's or the table's zero), when given.
    pub height_m: Option<f64>,
}

/// How a fit weighs its readings and chooses its constituents.
#[derive(Debug, Clone, Copy)]
pub struct FitOptions<'a> {
    /// Two constituents are both fitted when their speeds differ by at
    /// least this many cycles over the record (Rayleigh's criterion is 1).
    pub rayleigh: f64,
    /// Standard error of a reading's time, minutes.
    pub time_sigma_minutes: f64,
    /// Standard error of a reading's height, metres.
    pub height_sigma_m: f64,
    /// A station whose amplitude ratios and phase differences give the
    /// inferred constituents, instead of the equilibrium tide's ratios.
    pub reference: Option<&'a HarmonicStation>,
}

impl Default for FitOptions<'_> {
    /// Readings to ±10 minutes and ±5 cm (standard errors 6 minutes and
    /// 3 cm); constituents separated by 0.8 cycles over the record.
    fn default() -> Self {
        FitOptions {
            rayleigh: 0.8,
            time_sigma_minutes: 6.0,
            height_sigma_m: 0.03,
            reference: None,
        }
    }
}

/// Why a record cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// Too few readings.
    #[error(
        "{count} readings; expected at least {needed} high and low waters (two weeks or more is best)"
    )]
    TooFew {
        /// Readings given.
        count: usize,
        /// Readings needed.
        needed: usize,
    },
    /// Too few readings with a height.
    #[error("{count} readings have a height; expected at least {needed}")]
    TooFewHeights {
        /// Readings with a height.
        count: usize,
        /// Readings with a height needed.
        needed: usize,
    },
    /// The record is too short to tell the tide's daily inequality.
    #[error("the readings span {days:.1} days; expected at least {needed:.0} days")]
    TooShort {
        /// The record's length, days.
        days: f64,
        /// Days needed.
        needed: f64,
    },
    /// Two readings at the same time, or out of time order.
    #[error(
        "reading {index} ({at}) is not after the reading before it; expected readings in time order, each once"
    )]
    NotInOrder {
        /// Index (0-based) of the reading.
        index: usize,
        /// Its time.
        at: DateTime<Utc>,
    },
    /// A height that is not a finite number.
    #[error("reading {index} has a height that is not a number")]
    BadHeight {
        /// Index (0-based) of the reading.
        index: usize,
    },
    /// The readings do not determine the constants.
    #[error(
        "the readings do not determine the tide (they repeat one another); expected readings spread over whole days"
    )]
    Undetermined,
}

/// Where an inferred constituent's ratio and phase difference come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InferenceSource {
    /// The equilibrium tide's ratio; the phase follows the species' fitted
    /// phase slope (or the neighbour's phase when there is no slope).
    Equilibrium,
    /// The reference station's ratio and phase difference.
    Reference,
}

/// A constituent not fitted but tied to a fitted one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inferred {
    /// The inferred constituent.
    pub name: &'static str,
    /// The fitted constituent it is tied to.
    pub from: &'static str,
    /// Amplitude ratio to `from` the fit draws it toward.
    pub ratio: f64,
    /// Phase lag minus that of `from` the fit draws it toward, degrees.
    pub phase_difference_deg: f64,
    /// Where the ratio and phase difference come from.
    pub source: InferenceSource,
}

/// A constituent the record is too short to fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unresolved {
    /// The constituent.
    pub name: &'static str,
    /// Days of record it needs to be fitted on its own.
    pub days_needed: f64,
}

/// How far the fitted curve is from one reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Residual {
    /// The reading's time.
    pub at: DateTime<Utc>,
    /// The reading's kind.
    pub kind: ExtremeKind,
    /// Fitted minus observed time of this high or low water, minutes;
    /// `None` when the fitted curve has no extreme of this kind within
    /// three hours.
    pub time_minutes: Option<f64>,
    /// Fitted minus observed height, metres, when the reading has a
    /// height and is matched.
    pub height_m: Option<f64>,
}

/// The quality of a fit, from the record's length and the residuals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    /// Four weeks or more, every main constituent fitted, small residuals.
    A,
    /// Two weeks or more, the four main constituents fitted, small residuals.
    B,
    /// Usable with care: a short record or large residuals.
    C,
    /// Not usable for times of high water.
    D,
}

impl Grade {
    /// `"A"` to `"D"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }

    /// What the grade means, in Vietnamese.
    pub fn meaning_vi(self) -> &'static str {
        match self {
            Grade::A => "tốt: giờ nước lớn thường lệch dưới 10 phút, gần như luôn dưới 30 phút",
            Grade::B => "khá: giờ nước lớn thường lệch dưới 15 phút, hầu hết dưới 45 phút",
            Grade::C => {
                "tạm: giờ nước lớn có thể lệch cả giờ; nên ghi thêm nước lớn, nước ròng rồi tính lại"
            }
            Grade::D => {
                "không dùng được cho giờ nước lớn: cần ghi thêm ít nhất hai tuần nước lớn, nước ròng"
            }
        }
    }

    /// What the grade means, in English.
    pub fn meaning_en(self) -> &'static str {
        match self {
            Grade::A => "good: high water usually within 10 minutes, almost always within 30",
            Grade::B => "fair: high water usually within 15 minutes, mostly within 45",
            Grade::C => {
                "rough: high water may be an hour off; record more high and low waters and fit again"
            }
            Grade::D => {
                "not usable for times of high water: record at least two weeks of high and low waters"
            }
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a fit used, what it could resolve, and how well it fits.
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    /// The first reading.
    pub first: DateTime<Utc>,
    /// The last reading.
    pub last: DateTime<Utc>,
    /// Days between the first and the last reading.
    pub record_days: f64,
    /// High waters read.
    pub highs: usize,
    /// Low waters read.
    pub lows: usize,
    /// Readings with a height.
    pub heights: usize,
    /// Constituents fitted, strongest first.
    pub fitted: Vec<&'static str>,
    /// Constituents inferred from a fitted one.
    pub inferred: Vec<Inferred>,
    /// Constituents fitted with a prior that draws them toward zero: the
    /// minor diurnal ones and the long-period ones the record separates.
    pub minor: Vec<&'static str>,
    /// Main constituents the record is too short for, and the days each needs.
    pub unresolved: Vec<Unresolved>,
    /// One per reading, in order.
    pub residuals: Vec<Residual>,
    /// Root mean square of the matched time residuals, minutes.
    pub time_rms_minutes: f64,
    /// Largest matched time residual, minutes (absolute).
    pub time_max_minutes: f64,
    /// Root mean square of the height residuals, metres, when heights were read.
    pub height_rms_m: Option<f64>,
    /// Readings the fitted curve has no extreme of their kind for (within three hours).
    pub unmatched: usize,
    /// The grade.
    pub grade: Grade,
}

/// A fitted station: mean level, constants and the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Mean level over the record, metres above the readings' zero.
    pub z0_m: f64,
    /// Fitted constituents first, then the inferred ones.
    pub constituents: Vec<HarmonicConstant>,
    /// What the fit used and how well it fits.
    pub report: FitReport,
}

impl Fit {
    /// A harmonic station with these constants; heights are above the
    /// readings' zero (`"chart datum"`).
    pub fn station(&self, info: StationInfo) -> HarmonicStation {
        HarmonicStation {
            info,
            datum: "chart datum".into(),
            z0_m: self.z0_m,
            constituents: self.constituents.clone(),
        }
    }
}

/// Constituents fitted when the record separates them, in order of
/// importance: each is taken when it is separated from all taken before.
const CANDIDATES: &[&str] = &["M2", "K1", "O1", "S2", "N2", "Q1"];

/// The main constituents whose absence the report names.
const MAIN: &[&str] = &["K1", "O1", "M2", "S2", "N2", "Q1"];

/// Constituents of the diurnal and semidiurnal species with their
/// equilibrium amplitudes (Doodson's coefficients); those not fitted are
/// inferred from the nearest fitted one of their species, except the
/// [`MINOR`] ones.
const EQUILIBRIUM: &[(&str, f64)] = &[
    ("2Q1", 0.009_54),
    ("SIG1", 0.011_53),
    ("Q1", 0.072_16),
    ("RHO1", 0.013_71),
    ("O1", 0.376_89),
    ("P1", 0.175_54),
    ("K1", 0.530_50),
    ("J1", 0.029_64),
    ("OO1", 0.016_23),
    ("2N2", 0.023_01),
    ("MU2", 0.027_76),
    ("N2", 0.173_87),
    ("NU2", 0.033_03),
    ("M2", 0.908_12),
    ("LAM2", 0.006_70),
    ("L2", 0.025_67),
    ("T2", 0.024_79),
    ("S2", 0.422_86),
    ("K2", 0.115_06),
];

/// Minor diurnal constituents that are not inferred (unless a reference
/// station gives their ratios) but fitted, each drawn
/// toward zero with a standard error of [`MINOR_SIGMA_M`]: the diurnal
/// admittance of a resonant gulf changes too fast beyond O1 and K1 for
/// these to follow the species' slope (at Hòn Dấu J1 is half of K1's
/// admittance, σ1 and 2Q1 far from O1's phase), M1 and S1 have no
/// equilibrium ratio to go by — and fitted, their signal does not leak into
/// K1 and O1.
const MINOR: &[&str] = &["2Q1", "SIG1", "M1", "S1", "J1", "OO1"];

/// Standard error of the prior that draws a [`MINOR`] constituent toward zero, metres.
const MINOR_SIGMA_M: f64 = 0.0075;

/// Long-period constituents fitted when the record separates them from
/// the mean level and from each other, drawn toward zero with a standard
/// error of [`LONG_PERIOD_SIGMA_M`]: the fortnightly and monthly rise and
/// fall of the mean level would otherwise bend the diurnal and
/// semidiurnal constants.
const LONG_PERIOD: &[&str] = &["MF", "MM", "MSF"];

/// Standard error of the prior on a long-period constituent, metres.
const LONG_PERIOD_SIGMA_M: f64 = 0.02;

/// An inferred constituent is drawn toward its tie with a standard error
/// of this share of its tied amplitude per degree per hour of speed from
/// its anchor (P1 from K1: 0.8 %, Q1 from O1: 5.4 %), plus
/// [`TIE_FLOOR_M`]: a tie is a good guess near its anchor and a looser one
/// further away.
const TIE_SOFTNESS: f64 = 0.1;

/// The smallest standard error of a tie, metres.
const TIE_FLOOR_M: f64 = 0.0005;

/// An inferred constituent whose speed lies between the two of its
/// species' slope pair, or beyond them by at most this share of their
/// distance (P1, K2, T2, L2, λ2), takes the admittance (amplitude over the
/// equilibrium tide's, and phase) interpolated linearly between the pair's.
const ADMITTANCE_REACH: f64 = 0.1;

/// The pair of each species whose phases give the species' phase slope.
const SLOPE_PAIRS: &[(&str, &str)] = &[("O1", "K1"), ("M2", "S2")];

/// Both constituents of a slope pair must be at least this large (metres)
/// for their phase difference to mean something.
const SLOPE_MIN_AMPLITUDE_M: f64 = 0.05;

/// Largest phase slope believed, degrees of phase per degree per hour of speed.
const SLOPE_MAX: f64 = 90.0;

/// Fewest readings fitted.
const MIN_READINGS: usize = 8;

/// Fewest readings with a height.
const MIN_HEIGHTS: usize = 4;

/// Shortest record fitted, days.
const MIN_DAYS: f64 = 2.0;

/// Passes of reweighting and re-inference.
const PASSES: usize = 10;

/// A fitted time residual larger than this (minutes) means the reading is unmatched.
const MATCH_MINUTES: f64 = 180.0;

/// Fits harmonic constants to observed high and low waters.
///
/// # Errors
/// Fewer than 8 readings or 4 heights, a record shorter than two days,
/// readings out of time order or repeated, a height that is not a number,
/// or readings that do not determine the constants.
pub fn fit_extremes(
    observations: &[Observation],
    options: &FitOptions<'_>,
) -> Result<Fit, FitError> {
    check(observations)?;
    let first = observations[0].at;
    let last = observations[observations.len() - 1].at;
    let record_hours = (last - first).num_seconds() as f64 / 3600.0;
    let record_days = record_hours / 24.0;

    // Which constituents the record separates.
    let mut fitted: Vec<&'static Constituent> = Vec::new();
    let mut unresolved = Vec::new();
    for name in CANDIDATES {
        let c = table(name);
        let closest = fitted
            .iter()
            .map(|f| (f.speed_deg_per_hour - c.speed_deg_per_hour).abs())
            .fold(f64::INFINITY, f64::min);
        let hours_needed = options.rayleigh * 360.0 / closest;
        if hours_needed <= record_hours {
            fitted.push(c);
        } else if MAIN.contains(name) {
            unresolved.push(Unresolved {
                name: c.name,
                days_needed: (hours_needed / 24.0 * 10.0).ceil() / 10.0,
            });
        }
    }
    let years = Years::new(observations);
    let mut model = Model::new(&fitted, options.reference);
    let mut speeds_taken = vec![0.0f64];
    for name in LONG_PERIOD {
        let c = table(name);
        let closest = speeds_taken
            .iter()
            .map(|w| (w - c.speed_deg_per_hour).abs())
            .fold(f64::INFINITY, f64::min);
        if options.rayleigh * 360.0 / closest <= record_hours {
            speeds_taken.push(c.speed_deg_per_hour);
            model.terms.push(Term {
                constituent: c,
                prior: Prior::Zero(LONG_PERIOD_SIGMA_M),
            });
        }
    }
    let x = solve(&mut model, observations, &years, options)?;

    let (z0_m, constituents) = model.constants(&x);
    let station = HarmonicStation {
        info: StationInfo {
            approximate: true,
            ..StationInfo::default()
        },
        datum: "chart datum".into(),
        z0_m,
        constituents: constituents.clone(),
    };
    let residuals = residuals(observations, &HarmonicPredictor::new(&station));
    let matched: Vec<f64> = residuals.iter().filter_map(|r| r.time_minutes).collect();
    let unmatched = residuals.len() - matched.len();
    let time_rms_minutes = rms(&matched);
    let time_max_minutes = matched.iter().fold(0.0f64, |m, r| m.max(r.abs()));
    let heights: Vec<f64> = residuals.iter().filter_map(|r| r.height_m).collect();
    let height_rms_m = (!heights.is_empty()).then(|| rms(&heights));
    let grade = grade(
        record_days,
        &fitted,
        time_rms_minutes,
        unmatched,
        observations.len(),
    );
    let mut fitted_names: Vec<(&'static str, f64)> = constituents
        .iter()
        .filter(|c| fitted.contains(&c.constituent))
        .map(|c| (c.constituent.name, c.amplitude_m))
        .collect();
    fitted_names.sort_by(|a, b| b.1.total_cmp(&a.1));
    let count = |kind| observations.iter().filter(|o| o.kind == kind).count();
    Ok(Fit {
        z0_m,
        constituents,
        report: FitReport {
            first,
            last,
            record_days,
            highs: count(ExtremeKind::High),
            lows: count(ExtremeKind::Low),
            heights: observations.iter().filter(|o| o.height_m.is_some()).count(),
            fitted: fitted_names.into_iter().map(|(n, _)| n).collect(),
            inferred: model.inferred(),
            minor: model.minor(),
            unresolved,
            residuals,
            time_rms_minutes,
            time_max_minutes,
            height_rms_m,
            unmatched,
            grade,
        },
    })
}

/// Weighted least squares, reweighted and re-inferred over a few passes.
fn solve(
    model: &mut Model,
    observations: &[Observation],
    years: &Years,
    options: &FitOptions<'_>,
) -> Result<Vec<f64>, FitError> {
    let t_sigma_h = options.time_sigma_minutes / 60.0;
    let mut curvature = first_curvatures(observations);
    let mut robust = vec![(1.0, 1.0); observations.len()];
    // What the model leaves out (the constituents too small or too slow to
    // fit) adds to both kinds of residual; estimated after each pass.
    let (mut extra_h, mut extra_d) = (0.0f64, 0.0f64);
    let mut x = Vec::new();
    for pass in 0..PASSES {
        let floor = 0.1 * median(curvature.iter().map(|c| c.abs()).collect());
        let sigma_h = options.height_sigma_m.hypot(extra_h);
        let sigma_d: Vec<f64> = curvature
            .iter()
            .map(|c| (c.abs().max(floor) * t_sigma_h).hypot(extra_d).max(1e-9))
            .collect();
        let n = model.unknowns();
        let mut rows: Vec<(Vec<f64>, f64)> = Vec::with_capacity(2 * observations.len());
        for (i, o) in observations.iter().enumerate() {
            let (h_row, d_row, _) = model.rows(years, o.at.timestamp());
            if let Some(h) = o.height_m {
                let w = robust[i].0 / sigma_h;
                rows.push((h_row.iter().map(|v| v * w).collect(), h * w));
            }
            let w = robust[i].1 / sigma_d[i];
            rows.push((d_row.iter().map(|v| v * w).collect(), 0.0));
        }
        rows.extend(model.prior_rows((pass > 0).then_some(x.as_slice())));
        x = least_squares(&rows, n).ok_or(FitError::Undetermined)?;
        // Residuals, the curve's bend at each reading, and what is left unexplained.
        let (mut sum_h, mut count_h, mut sum_d, mut expected_d) = (0.0, 0usize, 0.0, 0.0);
        let mut standardized = Vec::with_capacity(observations.len());
        for (i, o) in observations.iter().enumerate() {
            let (h_row, d_row, dd_row) = model.rows(years, o.at.timestamp());
            curvature[i] = dot(&dd_row, &x);
            let r_h = o.height_m.map(|h| dot(&h_row, &x) - h);
            let r_d = dot(&d_row, &x);
            if let Some(r) = r_h {
                sum_h += r * r;
                count_h += 1;
            }
            sum_d += r_d * r_d;
            expected_d += (curvature[i].abs().max(floor) * t_sigma_h).powi(2);
            standardized.push((r_h.map(|r| r / sigma_h), r_d / sigma_d[i]));
        }
        let m = observations.len() as f64;
        extra_h = (sum_h / count_h.max(1) as f64 - options.height_sigma_m.powi(2))
            .max(0.0)
            .sqrt();
        extra_d = ((sum_d - expected_d) / m).max(0.0).sqrt();
        // Down-weight readings far off the curve (Huber, at 2.5 standard errors).
        if pass >= 1 {
            let huber = |r: f64| if r.abs() > 2.5 { 2.5 / r.abs() } else { 1.0 };
            for (w, (r_h, r_d)) in robust.iter_mut().zip(standardized) {
                *w = (r_h.map_or(1.0, huber), huber(r_d));
            }
        }
        model.reinfer(&x);
    }
    Ok(x)
}

fn check(observations: &[Observation]) -> Result<(), FitError> {
    if observations.len() < MIN_READINGS {
        return Err(FitError::TooFew {
            count: observations.len(),
            needed: MIN_READINGS,
        });
    }
    for (index, pair) in observations.windows(2).enumerate() {
        if pair[1].at <= pair[0].at {
            return Err(FitError::NotInOrder {
                index: index + 1,
                at: pair[1].at,
            });
        }
    }
    if let Some(index) = observations
        .iter()
        .position(|o| o.height_m.is_some_and(|h| !h.is_finite()))
    {
        return Err(FitError::BadHeight { index });
    }
    let heights = observations.iter().filter(|o| o.height_m.is_some()).count();
    if heights < MIN_HEIGHTS {
        return Err(FitError::TooFewHeights {
            count: heights,
            needed: MIN_HEIGHTS,
        });
    }
    let days = (observations[observations.len() - 1].at - observations[0].at).num_seconds() as f64
        / 86_400.0;
    if days < MIN_DAYS {
        return Err(FitError::TooShort {
            days,
            needed: MIN_DAYS,
        });
    }
    Ok(())
}

fn grade(days: f64, fitted: &[&Constituent], rms: f64, unmatched: usize, n: usize) -> Grade {
    let has = |name: &str| fitted.iter().any(|c| c.name == name);
    let share_unmatched = unmatched as f64 / n as f64;
    let main4 = has("K1") && has("O1") && has("M2") && has("S2");
    if days >= 27.0 && main4 && has("N2") && has("Q1") && rms <= 12.0 && unmatched == 0 {
        Grade::A
    } else if days >= 13.0 && main4 && rms <= 15.0 && share_unmatched <= 0.03 {
        Grade::B
    } else if days >= 6.0 && rms <= 30.0 && share_unmatched <= 0.10 {
        Grade::C
    } else {
        Grade::D
    }
}

fn table(name: &str) -> &'static Constituent {
    constituent(name).expect("the fit's constituents are in the table")
}

fn equilibrium(name: &str) -> Option<f64> {
    EQUILIBRIUM
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, a)| a)
}

/// The species: 1 diurnal, 2 semidiurnal, … (cycles per day, rounded).
fn species(c: &Constituent) -> i32 {
    (c.speed_deg_per_hour / 15.0).round() as i32
}

/// What an inferred constituent is drawn toward: its anchor's cosine and
/// sine parts turned by `shift` and scaled by `ratio`.
#[derive(Debug, Clone, Copy)]
struct Tie {
    /// Index of the fitted term it follows.
    anchor: usize,
    ratio: f64,
    /// Phase lag minus the anchor's, radians.
    shift: f64,
    source: InferenceSource,
}

/// How a term's two unknowns are held.
#[derive(Debug, Clone, Copy)]
enum Prior {
    /// Fitted freely.
    Free,
    /// Drawn toward its tie to a fitted term.
    Tie(Tie),
    /// Drawn toward zero with this standard error, metres.
    Zero(f64),
}

/// One constituent of the model: two unknowns, a·cos + b·sin.
#[derive(Debug, Clone)]
struct Term {
    constituent: &'static Constituent,
    prior: Prior,
}

#[derive(Debug, Clone)]
struct Model {
    terms: Vec<Term>,
}

impl Model {
    fn new(fitted: &[&'static Constituent], reference: Option<&HarmonicStation>) -> Self {
        let mut terms: Vec<Term> = fitted
            .iter()
            .map(|&constituent| Term {
                constituent,
                prior: Prior::Free,
            })
            .collect();
        let reference = reference.map(|r| {
            r.constituents
                .iter()
                .map(|c| (c.constituent, c.amplitude_m, c.phase_deg))
                .collect::<Vec<_>>()
        });
        for &(name, eq) in EQUILIBRIUM {
            let c = table(name);
            if fitted.contains(&c) {
                continue;
            }
            // The nearest fitted constituent of the same species.
            let Some(k) = (0..fitted.len())
                .filter(|&k| {
                    species(fitted[k]) == species(c) && equilibrium(fitted[k].name).is_some()
                })
                .min_by(|&a, &b| {
                    let da = (fitted[a].speed_deg_per_hour - c.speed_deg_per_hour).abs();
                    let db = (fitted[b].speed_deg_per_hour - c.speed_deg_per_hour).abs();
                    da.total_cmp(&db)
                })
            else {
                continue;
            };
            let anchor = fitted[k];
            let from_reference = reference.as_ref().and_then(|r| {
                let find = |x: &Constituent| r.iter().find(|(rc, _, _)| *rc == x);
                let (_, a_c, g_c) = find(c)?;
                let (_, a_a, g_a) = find(anchor)?;
                (*a_a > 0.0).then(|| (a_c / a_a, (g_c - g_a).to_radians()))
            });
            let tie = match from_reference {
                Some((ratio, shift)) => Tie {
                    anchor: k,
                    ratio,
                    shift,
                    source: InferenceSource::Reference,
                },
                None if MINOR.contains(&name) => continue,
                None => Tie {
                    anchor: k,
                    ratio: eq / equilibrium(anchor.name).unwrap_or(eq),
                    shift: 0.0,
                    source: InferenceSource::Equilibrium,
                },
            };
            terms.push(Term {
                constituent: c,
                prior: Prior::Tie(tie),
            });
        }
        for name in MINOR {
            let c = table(name);
            if !fitted.contains(&c) && !terms.iter().any(|t| t.constituent == c) {
                terms.push(Term {
                    constituent: c,
                    prior: Prior::Zero(MINOR_SIGMA_M),
                });
            }
        }
        Model { terms }
    }

    fn unknowns(&self) -> usize {
        1 + 2 * self.terms.len()
    }

    /// The rows of h, h′ and h″ (per hour) at `unix` seconds.
    fn rows(&self, years: &Years, unix: i64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = self.unknowns();
        let (mut h, mut d, mut dd) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        h[0] = 1.0;
        let year = years.get(unix);
        let hours = (unix - year.start) as f64 / 3600.0;
        for (k, t) in self.terms.iter().enumerate() {
            let c = t.constituent;
            let (v0u, f) = year.factors(c);
            let w = c.speed_deg_per_hour.to_radians();
            let theta = w * hours + v0u.to_radians();
            let (s, co) = theta.sin_cos();
            // a·cos θ + b·sin θ and its derivatives.
            h[1 + 2 * k] = f * co;
            h[2 + 2 * k] = f * s;
            d[1 + 2 * k] = -f * w * s;
            d[2 + 2 * k] = f * w * co;
            dd[1 + 2 * k] = -f * w * w * co;
            dd[2 + 2 * k] = -f * w * w * s;
        }
        (h, d, dd)
    }

    /// The priors' rows: each inferred term drawn toward its tie (nearly
    /// held to it on the first pass, `x` = `None`; then with a standard
    /// error that grows with its distance in speed from its anchor), each
    /// minor and long-period term toward zero.
    fn prior_rows(&self, x: Option<&[f64]>) -> Vec<(Vec<f64>, f64)> {
        let n = self.unknowns();
        let mut rows = Vec::new();
        for (k, t) in self.terms.iter().enumerate() {
            match t.prior {
                Prior::Free => {}
                Prior::Tie(tie) => {
                    let anchor = self.terms[tie.anchor].constituent;
                    let sigma = x.map_or(TIE_FLOOR_M, |x| {
                        let tied = tie.ratio * Self::amplitude_phase(x, tie.anchor).0;
                        let dw =
                            (t.constituent.speed_deg_per_hour - anchor.speed_deg_per_hour).abs();
                        TIE_SOFTNESS * tied * dw + TIE_FLOOR_M
                    });
                    let w = 1.0 / sigma;
                    let (sn, cs) = tie.shift.sin_cos();
                    let (r, j) = (tie.ratio, tie.anchor);
                    // a = r (a′ cos s − b′ sin s), b = r (b′ cos s + a′ sin s).
                    let mut ra = vec![0.0; n];
                    ra[1 + 2 * k] = w;
                    ra[1 + 2 * j] = -w * r * cs;
                    ra[2 + 2 * j] = w * r * sn;
                    rows.push((ra, 0.0));
                    let mut rb = vec![0.0; n];
                    rb[2 + 2 * k] = w;
                    rb[2 + 2 * j] = -w * r * cs;
                    rb[1 + 2 * j] = -w * r * sn;
                    rows.push((rb, 0.0));
                }
                Prior::Zero(sigma) => {
                    for col in [1 + 2 * k, 2 + 2 * k] {
                        let mut row = vec![0.0; n];
                        row[col] = 1.0 / sigma;
                        rows.push((row, 0.0));
                    }
                }
            }
        }
        rows
    }

    fn amplitude_phase(x: &[f64], k: usize) -> (f64, f64) {
        let (a, b) = (x[1 + 2 * k], x[2 + 2 * k]);
        (a.hypot(b), b.atan2(a))
    }

    /// Re-derives the equilibrium ties from the fitted slope pair of their
    /// species: the admittance interpolated between the pair's for those
    /// within [`ADMITTANCE_REACH`] of it, otherwise the anchor's admittance
    /// and a phase that follows the pair's phase slope.
    fn reinfer(&mut self, x: &[f64]) {
        // (species, slope, lower term, upper term)
        let mut pairs = Vec::new();
        for &(lo, hi) in SLOPE_PAIRS {
            let find = |name: &str| {
                self.terms
                    .iter()
                    .position(|t| matches!(t.prior, Prior::Free) && t.constituent.name == name)
            };
            let (Some(i), Some(j)) = (find(lo), find(hi)) else {
                continue;
            };
            let (ai, gi) = Self::amplitude_phase(x, i);
            let (aj, gj) = Self::amplitude_phase(x, j);
            if ai < SLOPE_MIN_AMPLITUDE_M || aj < SLOPE_MIN_AMPLITUDE_M {
                continue;
            }
            let dg = (gj - gi + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU)
                - std::f64::consts::PI;
            let dw = self.terms[j].constituent.speed_deg_per_hour
                - self.terms[i].constituent.speed_deg_per_hour;
            let slope = (dg / dw).clamp(-SLOPE_MAX.to_radians(), SLOPE_MAX.to_radians());
            pairs.push((species(self.terms[i].constituent), slope, i, j));
        }
        // The complex admittance of a fitted term, conjugated (phase lag positive).
        let admittance = |k: usize, c: &Constituent| {
            let (a, g) = Self::amplitude_phase(x, k);
            let z = a / equilibrium(c.name).unwrap_or(1.0);
            (z * g.cos(), z * g.sin())
        };
        let constituents: Vec<&'static Constituent> =
            self.terms.iter().map(|t| t.constituent).collect();
        for (k, t) in self.terms.iter_mut().enumerate() {
            let Prior::Tie(tie) = &mut t.prior else {
                continue;
            };
            if tie.source != InferenceSource::Equilibrium {
                continue;
            }
            let c = constituents[k];
            let anchor = constituents[tie.anchor];
            let Some(&(_, slope, i, j)) = pairs.iter().find(|p| p.0 == species(c)) else {
                tie.shift = 0.0;
                continue;
            };
            let (wi, wj) = (
                constituents[i].speed_deg_per_hour,
                constituents[j].speed_deg_per_hour,
            );
            let u = (c.speed_deg_per_hour - wi) / (wj - wi);
            let (a_anchor, g_anchor) = Self::amplitude_phase(x, tie.anchor);
            if (-ADMITTANCE_REACH..=1.0 + ADMITTANCE_REACH).contains(&u) && a_anchor > 0.0 {
                let (zi, zj) = (
                    admittance(i, constituents[i]),
                    admittance(j, constituents[j]),
                );
                let (re, im) = ((1.0 - u) * zi.0 + u * zj.0, (1.0 - u) * zi.1 + u * zj.1);
                tie.ratio = re.hypot(im) * equilibrium(c.name).unwrap_or(0.0) / a_anchor;
                tie.shift = im.atan2(re) - g_anchor;
            } else {
                tie.shift = slope * (c.speed_deg_per_hour - anchor.speed_deg_per_hour);
            }
        }
    }

    fn constants(&self, x: &[f64]) -> (f64, Vec<HarmonicConstant>) {
        let mut fitted = Vec::new();
        let mut others = Vec::new();
        for (k, t) in self.terms.iter().enumerate() {
            let (a, g_rad) = Self::amplitude_phase(x, k);
            let c = HarmonicConstant {
                constituent: t.constituent,
                amplitude_m: a,
                phase_deg: round_phase(g_rad.to_degrees()),
            };
            if matches!(t.prior, Prior::Free) {
                fitted.push(c);
            } else {
                others.push(c);
            }
        }
        fitted.sort_by(|a, b| b.amplitude_m.total_cmp(&a.amplitude_m));
        others.sort_by(|a, b| b.amplitude_m.total_cmp(&a.amplitude_m));
        fitted.extend(others);
        (x[0], fitted)
    }

    fn inferred(&self) -> Vec<Inferred> {
        self.terms
            .iter()
            .filter_map(|t| {
                let Prior::Tie(tie) = t.prior else {
                    return None;
                };
                Some(Inferred {
                    name: t.constituent.name,
                    from: self.terms[tie.anchor].constituent.name,
                    ratio: tie.ratio,
                    phase_difference_deg: tie.shift.to_degrees(),
                    source: tie.source,
                })
            })
            .collect()
    }

    fn minor(&self) -> Vec<&'static str> {
        self.terms
            .iter()
            .filter(|t| matches!(t.prior, Prior::Zero(_)))
            .map(|t| t.constituent.name)
            .collect()
    }
}

fn round_phase(deg: f64) -> f64 {
    deg.rem_euclid(360.0)
}

/// V0 + u and f of every constituent, per year of the record.
struct Years {
    years: Vec<Year>,
}

struct Year {
    year: i32,
    start: i64,
    args: (crate::astro::Astro, crate::astro::Nodal),
}

impl Year {
    fn factors(&self, c: &Constituent) -> (f64, f64) {
        c.v0u_f(&self.args.0, &self.args.1)
    }
}

impl Years {
    fn new(observations: &[Observation]) -> Self {
        let mut years: Vec<Year> = Vec::new();
        for o in observations {
            let y = year_of(o.at.timestamp());
            if !years.iter().any(|x| x.year == y) {
                years.push(Year {
                    year: y,
                    start: year_start(y),
                    args: year_arguments(y),
                });
            }
        }
        Years { years }
    }

    fn get(&self, unix: i64) -> &Year {
        let y = year_of(unix);
        self.years
            .iter()
            .find(|x| x.year == y)
            .unwrap_or(&self.years[0])
    }
}

/// A first guess of |h″| at each reading (m/h²), from the rise or fall to
/// its neighbours of the other kind and the time between: a sine of that
/// range and half-period.
fn first_curvatures(observations: &[Observation]) -> Vec<f64> {
    let mut out: Vec<Option<f64>> = Vec::with_capacity(observations.len());
    for (i, o) in observations.iter().enumerate() {
        let mut guesses = Vec::new();
        for j in [i.wrapping_sub(1), i + 1] {
            let Some(n) = observations.get(j) else {
                continue;
            };
            let hours = (n.at - o.at).num_seconds().abs() as f64 / 3600.0;
            if n.kind == o.kind || hours > 14.0 {
                continue;
            }
            if let (Some(a), Some(b)) = (o.height_m, n.height_m) {
                let half_range = (a - b).abs() / 2.0;
                guesses.push(half_range * (std::f64::consts::PI / hours).powi(2));
            }
        }
        out.push((!guesses.is_empty()).then(|| guesses.iter().sum::<f64>() / guesses.len() as f64));
    }
    let known: Vec<f64> = out.iter().flatten().copied().collect();
    let typical = if known.is_empty() {
        0.5 * (std::f64::consts::PI / 6.0).powi(2)
    } else {
        median(known)
    };
    out.into_iter().map(|c| c.unwrap_or(typical)).collect()
}

fn residuals(observations: &[Observation], predictor: &HarmonicPredictor) -> Vec<Residual> {
    let from = observations[0].at.timestamp() - 86_400;
    let to = observations[observations.len() - 1].at.timestamp() + 86_400;
    let extremes = predictor.extremes_unix(from, to);
    observations
        .iter()
        .map(|o| {
            let t = o.at.timestamp();
            let nearest = extremes
                .iter()
                .filter(|e| e.kind == o.kind)
                .min_by_key(|e| (e.at.timestamp() - t).abs());
            let matched =
                nearest.filter(|e| (e.at.timestamp() - t).abs() as f64 <= MATCH_MINUTES * 60.0);
            Residual {
                at: o.at,
                kind: o.kind,
                time_minutes: matched.map(|e| (e.at.timestamp() - t) as f64 / 60.0),
                height_m: matched.and_then(|e| o.height_m.map(|h| e.height_m - h)),
            }
        })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn rms(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    (values.iter().map(|v| v * v).sum::<f64>() / values.len() as f64).sqrt()
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Solves min ‖A x − b‖ for the rows (A row, b) by Householder QR;
/// `None` when A's columns are (nearly) dependent.
fn least_squares(rows: &[(Vec<f64>, f64)], n: usize) -> Option<Vec<f64>> {
    let m = rows.len();
    if m < n {
        return None;
    }
    // Column-major copy of A, and b.
    let mut a: Vec<Vec<f64>> = (0..n)
        .map(|j| rows.iter().map(|r| r.0[j]).collect())
        .collect();
    let mut b: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let scale: Vec<f64> = a
        .iter()
        .map(|col| col.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    let largest = scale.iter().copied().fold(0.0, f64::max);
    for k in 0..n {
        let norm = a[k][k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm <= 1e-10 * largest.max(f64::MIN_POSITIVE) || norm <= 1e-9 * scale[k] {
            return None;
        }
        let alpha = if a[k][k] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = a[k][k..].to_vec();
        v[0] -= alpha;
        let vv: f64 = v.iter().map(|x| x * x).sum();
        if vv == 0.0 {
            continue;
        }
        for col in a.iter_mut().skip(k) {
            let s = 2.0 * dot(&v, &col[k..]) / vv;
            for (c, vi) in col[k..].iter_mut().zip(&v) {
                *c -= s * vi;
            }
        }
        let s = 2.0 * dot(&v, &b[k..]) / vv;
        for (c, vi) in b[k..].iter_mut().zip(&v) {
            *c -= s * vi;
        }
    }
    let mut x = vec![0.0; n];
    for k in (0..n).rev() {
        let mut s = b[k];
        for j in k + 1..n {
            s -= a[j][k] * x[j];
        }
        x[k] = s / a[k][k];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_solves_an_overdetermined_line() {
        // y = 2 + 3x at x = 0..5, exactly.
        let rows: Vec<(Vec<f64>, f64)> = (0..5)
            .map(|i| (vec![1.0, f64::from(i)], 2.0 + 3.0 * f64::from(i)))
            .collect();
        let x = least_squares(&rows, 2).unwrap();
        assert!((x[0] - 2.0).abs() < 1e-12 && (x[1] - 3.0).abs() < 1e-12);
        // Dependent columns are refused.
        let rows: Vec<(Vec<f64>, f64)> = (0..5)
            .map(|i| (vec![f64::from(i), 2.0 * f64::from(i)], 1.0))
            .collect();
        assert!(least_squares(&rows, 2).is_none());
    }

    #[test]
    fn rayleigh_separates_o1_and_k1_after_two_weeks() {
        let o1 = table("O1").speed_deg_per_hour;
        let k1 = table("K1").speed_deg_per_hour;
        let days = 360.0 / (k1 - o1) / 24.0;
        assert!((13.0..14.0).contains(&days), "{days}");
    }
}
