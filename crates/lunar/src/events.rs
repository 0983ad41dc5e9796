//! Instants of the moon's phases and of the solar terms, in UT.

use chrono::{DateTime, Datelike, Utc};

use crate::Error;
use crate::moon::{self, Phase};
use crate::sun;
use crate::time::{instant_of_jd, jd_of_instant, tt_to_ut, ut_to_tt};

/// The first instant for which phases and solar terms are computed:
/// 1800-01-01T00:00:00Z.
pub const FIRST_INSTANT: DateTime<Utc> = match DateTime::from_timestamp(-5_364_662_400, 0) {
    Some(t) => t,
    None => unreachable!(),
};

/// The end (excluded) of the instants for which phases and solar terms are
/// computed: 2200-01-01T00:00:00Z.
pub const END_INSTANT: DateTime<Utc> = match DateTime::from_timestamp(7_258_118_400, 0) {
    Some(t) => t,
    None => unreachable!(),
};

/// A phase of the moon and the instant it happens (UT, to the millisecond).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhaseInstant {
    /// The phase.
    pub phase: Phase,
    /// When it happens.
    pub at: DateTime<Utc>,
}

fn check_interval(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), Error> {
    for at in [from, to] {
        if at < FIRST_INSTANT || at > END_INSTANT {
            return Err(Error::InstantOutOfRange { at });
        }
    }
    Ok(())
}

/// Every phase of the moon in `[from, to)`, in time order.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use doorstep_lunar::{phases, Phase};
/// let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let to = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
/// let list = phases(from, to).unwrap();
/// assert_eq!(list[0].phase, Phase::Full); // 2026-01-03 10:02:55 UT
/// assert_eq!(list.len(), 4);
/// ```
///
/// # Errors
///
/// [`Error::InstantOutOfRange`] if `from` or `to` is outside
/// 1800-01-01T00:00:00Z to 2200-01-01T00:00:00Z.
pub fn phases(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<PhaseInstant>, Error> {
    collect(from, to, &Phase::ALL)
}

/// The instants of one phase of the moon in `[from, to)`, in time order.
///
/// # Errors
///
/// As [`phases`].
pub fn phases_of(
    phase: Phase,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<PhaseInstant>, Error> {
    collect(from, to, &[phase])
}

fn collect(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    which: &[Phase],
) -> Result<Vec<PhaseInstant>, Error> {
    check_interval(from, to)?;
    if from >= to {
        return Ok(Vec::new());
    }
    let first = moon::lunation_near(ut_to_tt(jd_of_instant(from))) - 1.0;
    let last = moon::lunation_near(ut_to_tt(jd_of_instant(to))) + 1.0;
    let mut out = Vec::with_capacity(((last - first + 1.0) as usize) * which.len());
    let mut k = first;
    while k <= last {
        for &phase in which {
            let at = instant_of_jd(tt_to_ut(moon::phase_jde(k, phase)));
            if from <= at && at < to {
                out.push(PhaseInstant { phase, at });
            }
        }
        k += 1.0;
    }
    Ok(out)
}

/// The Vietnamese names of the 24 solar terms (tiết khí), from the sun at 0°
/// (Xuân phân, the March equinox) by steps of 15°.
pub const SOLAR_TERM_NAMES: [&str; 24] = [
    "Xuân phân",
    "Thanh minh",
    "Cốc vũ",
    "Lập hạ",
    "Tiểu mãn",
    "Mang chủng",
    "Hạ chí",
    "Tiểu thử",
    "Đại thử",
    "Lập thu",
    "Xử thử",
    "Bạch lộ",
    "Thu phân",
    "Hàn lộ",
    "Sương giáng",
    "Lập đông",
    "Tiểu tuyết",
    "Đại tuyết",
    "Đông chí",
    "Tiểu hàn",
    "Đại hàn",
    "Lập xuân",
    "Vũ thủy",
    "Kinh trập",
];

/// A solar term: the sun reaching a multiple of 15° of apparent longitude.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SolarTerm {
    /// The sun's apparent longitude in degrees: 0, 15, …, 345.
    pub longitude: u16,
    /// When the sun reaches it (UT, to the millisecond).
    pub at: DateTime<Utc>,
}

impl SolarTerm {
    /// The Vietnamese name ("Đông chí" for 270°).
    pub fn name(&self) -> &'static str {
        SOLAR_TERM_NAMES[usize::from(self.longitude / 15)]
    }

    /// Whether this is a major term (trung khí: a multiple of 30°), the
    /// terms that decide the leap month.
    pub fn is_major(&self) -> bool {
        self.longitude.is_multiple_of(30)
    }
}

/// Every solar term in `[from, to)`, in time order.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use doorstep_lunar::solar_terms;
/// let from = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
/// let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
/// let terms = solar_terms(from, to).unwrap();
/// assert_eq!(terms.iter().map(|t| t.name()).collect::<Vec<_>>(), ["Đại tuyết", "Đông chí"]);
/// ```
///
/// # Errors
///
/// As [`phases`].
pub fn solar_terms(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<SolarTerm>, Error> {
    check_interval(from, to)?;
    let mut out = Vec::new();
    if from >= to {
        return Ok(out);
    }
    for year in from.year() - 1..=to.year() {
        for step in 0..24u16 {
            let degrees = f64::from(step * 15);
            let at = instant_of_jd(tt_to_ut(sun::term_jde(degrees, year)));
            if from <= at && at < to {
                out.push(SolarTerm {
                    longitude: step * 15,
                    at,
                });
            }
        }
    }
    out.sort_by_key(|t| t.at);
    Ok(out)
}
