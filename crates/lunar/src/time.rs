//! Time scales: Julian days, civil days at UTC+7, and ΔT = TT − UT.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

/// Julian day of the Unix epoch, 1970-01-01T00:00:00 UT.
const UNIX_EPOCH_JD: f64 = 2_440_587.5;

/// Vietnam's offset from UT, in days (UTC+7).
pub(crate) const VIETNAM_OFFSET_DAYS: f64 = 7.0 / 24.0;

/// The Julian day number of a civil date (the day that starts at JD − 0.5).
pub(crate) fn day_number(date: NaiveDate) -> i32 {
    // 1970-01-01 is JDN 2440588; chrono counts days from 0001-01-01 (CE day 1).
    date.num_days_from_ce() + 1_721_425
}

/// The civil date of a Julian day number.
pub(crate) fn date_of_day_number(jdn: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(jdn - 1_721_425).expect("day numbers of supported dates")
}

/// The UT instant of a Julian day (UT), to the millisecond.
pub(crate) fn instant_of_jd(jd_ut: f64) -> DateTime<Utc> {
    let millis = ((jd_ut - UNIX_EPOCH_JD) * 86_400_000.0).round() as i64;
    DateTime::<Utc>::UNIX_EPOCH + TimeDelta::milliseconds(millis)
}

/// The Julian day (UT) of an instant.
pub(crate) fn jd_of_instant(at: DateTime<Utc>) -> f64 {
    UNIX_EPOCH_JD + at.timestamp_millis() as f64 / 86_400_000.0
}

/// The civil day number at UTC+7 that contains a Julian day (UT).
pub(crate) fn vietnam_day_number(jd_ut: f64) -> i32 {
    (jd_ut + 0.5 + VIETNAM_OFFSET_DAYS).floor() as i32
}

/// Observed ΔT (seconds) on 1 January of 1986, 1987, …, 2026 (IERS; 2026 is
/// the IERS prediction). Between table entries ΔT is interpolated linearly.
const OBSERVED_FROM: i32 = 1986;
const OBSERVED: [f64; 41] = [
    54.87, 55.32, 55.82, 56.30, 56.86, 57.57, 58.31, 59.12, 59.98, 60.78, // 1986–1995
    61.63, 62.29, 62.97, 63.47, 63.83, 64.09, 64.30, 64.47, 64.57, 64.69, // 1996–2005
    64.85, 65.15, 65.46, 65.78, 66.07, 66.32, 66.60, 66.91, 67.28, 67.64, // 2006–2015
    68.10, 68.59, 68.97, 69.22, 69.36, 69.36, 69.29, 69.20, 69.17, 69.13, // 2016–2025
    69.10, // 2026
];

/// ΔT = TT − UT1 in seconds at a decimal year.
///
/// * before 1986: the polynomials of Espenak & Meeus (2006), as published in
///   NASA's *Five Millennium Canon of Solar Eclipses* (TP-2006-214141);
/// * 1986–2026: observed values (IERS), interpolated linearly;
/// * 2026–2050: a parabola that leaves the 2026 value flat (as the IERS
///   predictions do) and meets the Espenak–Meeus value of 2050 (93.0 s), where
///   its slope (2.0 s a year) also matches theirs;
/// * after 2050: Espenak & Meeus (2006).
pub(crate) fn delta_t(year: f64) -> f64 {
    let y = year;
    if y < 1860.0 {
        let t = y - 1800.0;
        13.72 - 0.332447 * t + 0.0068612 * t.powi(2) + 0.0041116 * t.powi(3)
            - 0.00037436 * t.powi(4)
            + 0.0000121272 * t.powi(5)
            - 0.0000001699 * t.powi(6)
            + 0.000000000875 * t.powi(7)
    } else if y < 1900.0 {
        let t = y - 1860.0;
        7.62 + 0.5737 * t - 0.251754 * t.powi(2) + 0.01680668 * t.powi(3) - 0.0004473624 * t.powi(4)
            + t.powi(5) / 233_174.0
    } else if y < 1920.0 {
        let t = y - 1900.0;
        -2.79 + 1.494119 * t - 0.0598939 * t.powi(2) + 0.0061966 * t.powi(3) - 0.000197 * t.powi(4)
    } else if y < 1941.0 {
        let t = y - 1920.0;
        21.20 + 0.84493 * t - 0.076100 * t.powi(2) + 0.0020936 * t.powi(3)
    } else if y < 1961.0 {
        let t = y - 1950.0;
        29.07 + 0.407 * t - t.powi(2) / 233.0 + t.powi(3) / 2547.0
    } else if y < f64::from(OBSERVED_FROM) {
        let t = y - 1975.0;
        45.45 + 1.067 * t - t.powi(2) / 260.0 - t.powi(3) / 718.0
    } else {
        let last = OBSERVED_FROM + OBSERVED.len() as i32 - 1;
        if y < f64::from(last) {
            let x = y - f64::from(OBSERVED_FROM);
            let i = x.floor() as usize;
            let f = x - i as f64;
            OBSERVED[i] + (OBSERVED[i + 1] - OBSERVED[i]) * f
        } else if y < 2050.0 {
            let start = OBSERVED[OBSERVED.len() - 1];
            let x = (y - f64::from(last)) / (2050.0 - f64::from(last));
            start + (espenak_meeus_after_2050(2050.0) - start) * x * x
        } else {
            espenak_meeus_after_2050(y)
        }
    }
}

fn espenak_meeus_after_2050(y: f64) -> f64 {
    let u = (y - 1820.0) / 100.0;
    if y < 2150.0 {
        -20.0 + 32.0 * u * u - 0.5628 * (2150.0 - y)
    } else {
        -20.0 + 32.0 * u * u
    }
}

/// The decimal year of a Julian day (good enough for ΔT, which changes slowly).
pub(crate) fn decimal_year(jd: f64) -> f64 {
    2000.0 + (jd - 2_451_544.5) / 365.2425
}

/// Converts a Julian Ephemeris Day (TT) into a Julian day (UT).
pub(crate) fn tt_to_ut(jde: f64) -> f64 {
    jde - delta_t(decimal_year(jde)) / 86_400.0
}

/// Converts a Julian day (UT) into a Julian Ephemeris Day (TT).
pub(crate) fn ut_to_tt(jd_ut: f64) -> f64 {
    jd_ut + delta_t(decimal_year(jd_ut)) / 86_400.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_t_is_continuous_and_plausible() {
        // Known values: 1900 ≈ −2.8 s, 1950 ≈ 29.1 s, 2000 ≈ 63.8 s, 2020 ≈ 69.4 s.
        assert!((delta_t(1900.0) + 2.79).abs() < 0.1);
        assert!((delta_t(1950.0) - 29.07).abs() < 0.1);
        assert!((delta_t(2000.0) - 63.83).abs() < 0.1);
        assert!((delta_t(2020.0) - 69.36).abs() < 0.1);
        // No jump larger than 1 s at any segment boundary.
        for edge in [
            1860.0, 1900.0, 1920.0, 1941.0, 1961.0, 1986.0, 2026.0, 2050.0, 2150.0,
        ] {
            let jump = delta_t(edge) - delta_t(edge - 1e-6);
            assert!(jump.abs() < 1.0, "ΔT jumps by {jump} s at {edge}");
        }
    }

    #[test]
    fn day_numbers() {
        let d = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        assert_eq!(day_number(d), 2_451_545);
        assert_eq!(date_of_day_number(2_451_545), d);
        assert_eq!(vietnam_day_number(2_451_544.5 - 7.0 / 24.0), 2_451_545);
        assert_eq!(
            vietnam_day_number(2_451_544.5 - 7.0 / 24.0 - 1e-6),
            2_451_544
        );
    }
}
