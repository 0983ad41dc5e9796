//! The sun's apparent geocentric longitude (Meeus ch. 25 "higher accuracy"
//! with the VSOP87 Earth series of Meeus appendix III) and the instants of
//! the solar terms.

use std::f64::consts::{PI, TAU};

use crate::jpl;

/// VSOP87D Earth heliocentric longitude, as truncated in Meeus appendix III:
/// series L0…L5 of terms `A cos(B + C τ)`, τ in Julian millennia from J2000,
/// A in 10⁻⁸ rad.
const L0: [(f64, f64, f64); 64] = [
    (175347046.0, 0.0, 0.0),
    (3341656.0, 4.6692568, 6283.07585),
    (34894.0, 4.6261, 12566.1517),
    (3497.0, 2.7441, 5753.3849),
    (3418.0, 2.8289, 3.5231),
    (3136.0, 3.6277, 77713.7715),
    (2676.0, 4.4181, 7860.4194),
    (2343.0, 6.1352, 3930.2097),
    (1324.0, 0.7425, 11506.7698),
    (1273.0, 2.0371, 529.691),
    (1199.0, 1.1096, 1577.3435),
    (990.0, 5.233, 5884.927),
    (902.0, 2.045, 26.298),
    (857.0, 3.508, 398.149),
    (780.0, 1.179, 5223.694),
    (753.0, 2.533, 5507.553),
    (505.0, 4.583, 18849.228),
    (492.0, 4.205, 775.523),
    (357.0, 2.92, 0.067),
    (317.0, 5.849, 11790.629),
    (284.0, 1.899, 796.298),
    (271.0, 0.315, 10977.079),
    (243.0, 0.345, 5486.778),
    (206.0, 4.806, 2544.314),
    (205.0, 1.869, 5573.143),
    (202.0, 2.458, 6069.777),
    (156.0, 0.833, 213.299),
    (132.0, 3.411, 2942.463),
    (126.0, 1.083, 20.775),
    (115.0, 0.645, 0.98),
    (103.0, 0.636, 4694.003),
    (102.0, 0.976, 15720.839),
    (102.0, 4.267, 7.114),
    (99.0, 6.21, 2146.17),
    (98.0, 0.68, 155.42),
    (86.0, 5.98, 161000.69),
    (85.0, 1.3, 6275.96),
    (85.0, 3.67, 71430.7),
    (80.0, 1.81, 17260.15),
    (79.0, 3.04, 12036.46),
    (75.0, 1.76, 5088.63),
    (74.0, 3.5, 3154.69),
    (74.0, 4.68, 801.82),
    (70.0, 0.83, 9437.76),
    (62.0, 3.98, 8827.39),
    (61.0, 1.82, 7084.9),
    (57.0, 2.78, 6286.6),
    (56.0, 4.39, 14143.5),
    (56.0, 3.47, 6279.55),
    (52.0, 0.19, 12139.55),
    (52.0, 1.33, 1748.02),
    (51.0, 0.28, 5856.48),
    (49.0, 0.49, 1194.45),
    (41.0, 5.37, 8429.24),
    (41.0, 2.4, 19651.05),
    (39.0, 6.17, 10447.39),
    (37.0, 6.04, 10213.29),
    (37.0, 2.57, 1059.38),
    (36.0, 1.71, 2352.87),
    (36.0, 1.78, 6812.77),
    (33.0, 0.59, 17789.85),
    (30.0, 0.44, 83996.85),
    (30.0, 2.74, 1349.87),
    (25.0, 3.16, 4690.48),
];
const L1: [(f64, f64, f64); 34] = [
    (628331966747.0, 0.0, 0.0),
    (206059.0, 2.678235, 6283.07585),
    (4303.0, 2.6351, 12566.1517),
    (425.0, 1.59, 3.523),
    (119.0, 5.796, 26.298),
    (109.0, 2.966, 1577.344),
    (93.0, 2.59, 18849.23),
    (72.0, 1.14, 529.69),
    (68.0, 1.87, 398.15),
    (67.0, 4.41, 5507.55),
    (59.0, 2.89, 5223.69),
    (56.0, 2.17, 155.42),
    (45.0, 0.4, 796.3),
    (36.0, 0.47, 775.52),
    (29.0, 2.65, 7.11),
    (21.0, 5.34, 0.98),
    (19.0, 1.85, 5486.78),
    (19.0, 4.97, 213.3),
    (17.0, 2.99, 6275.96),
    (16.0, 0.03, 2544.31),
    (16.0, 1.43, 2146.17),
    (15.0, 1.21, 10977.08),
    (12.0, 2.83, 1748.02),
    (12.0, 3.26, 5088.63),
    (12.0, 5.27, 1194.45),
    (12.0, 2.08, 4694.0),
    (11.0, 0.77, 553.57),
    (10.0, 1.3, 6286.6),
    (10.0, 4.24, 1349.87),
    (9.0, 2.7, 242.73),
    (9.0, 5.64, 951.72),
    (8.0, 5.3, 2352.87),
    (6.0, 2.65, 9437.76),
    (6.0, 4.67, 4690.48),
];
const L2: [(f64, f64, f64); 20] = [
    (52919.0, 0.0, 0.0),
    (8720.0, 1.0721, 6283.0758),
    (309.0, 0.867, 12566.152),
    (27.0, 0.05, 3.52),
    (16.0, 5.19, 26.3),
    (16.0, 3.68, 155.42),
    (10.0, 0.76, 18849.23),
    (9.0, 2.06, 77713.77),
    (7.0, 0.83, 775.52),
    (5.0, 4.66, 1577.34),
    (4.0, 1.03, 7.11),
    (4.0, 3.44, 5573.14),
    (3.0, 5.14, 796.3),
    (3.0, 6.05, 5507.55),
    (3.0, 1.19, 242.73),
    (3.0, 6.12, 529.69),
    (3.0, 0.31, 398.15),
    (3.0, 2.28, 553.57),
    (2.0, 4.38, 5223.69),
    (2.0, 3.75, 0.98),
];
const L3: [(f64, f64, f64); 7] = [
    (289.0, 5.844, 6283.076),
    (35.0, 0.0, 0.0),
    (17.0, 5.49, 12566.15),
    (3.0, 5.2, 155.42),
    (1.0, 4.72, 3.52),
    (1.0, 5.3, 18849.23),
    (1.0, 5.97, 242.73),
];
// The published phases 3.142 and 3.14 are data, not approximations of π.
#[allow(clippy::approx_constant)]
const L4: [(f64, f64, f64); 3] = [
    (114.0, 3.142, 0.0),
    (8.0, 4.13, 6283.08),
    (1.0, 3.84, 12566.15),
];
#[allow(clippy::approx_constant)]
const L5: [(f64, f64, f64); 1] = [(1.0, 3.14, 0.0)];

fn series(terms: &[(f64, f64, f64)], tau: f64) -> f64 {
    terms.iter().map(|(a, b, c)| a * (b + c * tau).cos()).sum()
}

const ARCSEC: f64 = PI / (180.0 * 3600.0);

/// The sun's apparent geocentric longitude in radians (0…2π), referred to the
/// true equinox of date, at the Julian Ephemeris Day `jde` (TT).
///
/// VSOP87 heliocentric longitude + 180°, the FK5 correction (−0.09033″),
/// nutation in longitude (the four largest terms of IAU 1980, ±0.5″) and
/// aberration (−20.4898″ / R).
pub(crate) fn apparent_longitude(jde: f64) -> f64 {
    let tau = (jde - 2_451_545.0) / 365_250.0;
    let l = (series(&L0, tau)
        + tau
            * (series(&L1, tau)
                + tau
                    * (series(&L2, tau)
                        + tau
                            * (series(&L3, tau)
                                + tau * (series(&L4, tau) + tau * series(&L5, tau))))))
        / 1e8;
    let t = tau * 10.0;
    let deg = PI / 180.0;
    // Nutation in longitude (Meeus ch. 22, low-accuracy form).
    let omega = (125.04452 - 1934.136261 * t) * deg;
    let sun_mean = (280.4665 + 36000.7698 * t) * deg;
    let moon_mean = (218.3165 + 481267.8813 * t) * deg;
    let nutation =
        (-17.20 * omega.sin() - 1.32 * (2.0 * sun_mean).sin() - 0.23 * (2.0 * moon_mean).sin()
            + 0.21 * (2.0 * omega).sin())
            * ARCSEC;
    // Sun–earth distance in AU (Meeus ch. 25), enough for the aberration.
    let m = (357.52911 + 35999.05029 * t) * deg;
    let e = 0.016708634 - 0.000042037 * t;
    let c = (1.914602 - 0.004817 * t) * deg * m.sin() + 0.019993 * deg * (2.0 * m).sin();
    let r = 1.000001018 * (1.0 - e * e) / (1.0 + e * (m + c).cos());
    let fk5 = -0.09033 * ARCSEC;
    let aberration = -20.4898 * ARCSEC / r;
    (l + PI + fk5 + nutation + aberration).rem_euclid(TAU)
}

/// The sun's apparent longitude in radians by the low-accuracy formulae of
/// Meeus ch. 25 (error below 0.01°).
fn apparent_longitude_rough(jde: f64) -> f64 {
    let t = (jde - 2_451_545.0) / 36_525.0;
    let l0 = 280.46646 + 36000.76983 * t + 0.000_303_2 * t * t;
    let m = (357.52911 + 35999.05029 * t - 0.000_153_7 * t * t).to_radians();
    let c = (1.914_602 - 0.004_817 * t - 0.000_014 * t * t) * m.sin()
        + (0.019_993 - 0.000_101 * t) * (2.0 * m).sin()
        + 0.000_289 * (3.0 * m).sin();
    let omega = (125.04 - 1934.136 * t).to_radians();
    (l0 + c - 0.005_69 - 0.004_78 * omega.sin())
        .to_radians()
        .rem_euclid(TAU)
}

/// The Julian Ephemeris Day (TT) at which the sun's apparent longitude is
/// `degrees`, near the Julian Ephemeris Day `guess` (within a few days).
///
/// Newton's method on the longitude difference, with the sun's rate from the
/// equation of the centre; stops when the correction is below 10 ms.
pub(crate) fn longitude_instant(degrees: f64, guess: f64) -> f64 {
    solve(apparent_longitude, degrees, guess)
}

/// As [`longitude_instant`] with the low-accuracy sun of Meeus ch. 25
/// (±0.01°, so ±15 minutes): a cheap first answer for callers that only
/// need the civil day unless the instant is near midnight.
pub(crate) fn longitude_instant_rough(degrees: f64, guess: f64) -> f64 {
    solve(apparent_longitude_rough, degrees, guess)
}

fn solve(longitude: fn(f64) -> f64, degrees: f64, guess: f64) -> f64 {
    let target = degrees.to_radians();
    let mut jde = guess;
    for _ in 0..10 {
        let t = (jde - 2_451_545.0) / 36_525.0;
        let m = (357.52911 + 35999.05029 * t).to_radians();
        let e = 0.016_708_634;
        // dλ/dt of a Keplerian orbit to second order in e, radians per day.
        let rate = TAU / 365.242_19 * (1.0 + 2.0 * e * m.cos() + 2.5 * e * e * (2.0 * m).cos());
        let diff = (target - longitude(jde) + PI).rem_euclid(TAU) - PI;
        let step = diff / rate;
        jde += step;
        if step.abs() < 1e-7 {
            break;
        }
    }
    jde
}

/// The Julian Ephemeris Day (TT) at which the sun's apparent longitude is
/// `degrees` (a multiple of 15°, possibly 360° or more for the next year)
/// after the March equinox of Gregorian `year`: from the JPL DE423 table
/// where it has the term, else by VSOP87.
pub(crate) fn term_jde(degrees: f64, year: i32) -> f64 {
    tabulated_term(degrees, year)
        .unwrap_or_else(|| longitude_instant(degrees, longitude_guess(degrees, year)))
}

/// The tabulated instant of a solar term, if the table has it.
pub(crate) fn tabulated_term(degrees: f64, year: i32) -> Option<f64> {
    let (degrees, year) = if degrees >= 360.0 {
        (degrees - 360.0, year + 1)
    } else {
        (degrees, year)
    };
    let step = (degrees / 15.0).round() as usize;
    let offset = usize::try_from(year - jpl::TERM_FIRST_YEAR)
        .ok()
        .and_then(|i| jpl::TERMS.get(i))
        .map(|row| row[step])
        .filter(|&ms| ms != i32::MIN)?;
    Some(longitude_guess(degrees, year) + f64::from(offset) / 86_400_000.0)
}

/// A first guess for the instant of longitude `degrees` in Gregorian `year`:
/// the mean sun passes 0° near 20 March.
pub(crate) fn longitude_guess(degrees: f64, year: i32) -> f64 {
    // JDE of the March equinox, Meeus ch. 27 (mean, good to a day).
    let y = (f64::from(year) - 2000.0) / 1000.0;
    let equinox = 2_451_623.809_84 + 365_242.374_04 * y + 0.05169 * y * y;
    equinox + degrees / 360.0 * 365.242_19
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeus_example_25b() {
        // Meeus example 25.b: 1992 October 13.0 TD, apparent longitude
        // 199°54′21.818″ (with full nutation; ours agrees within 1″).
        let lon = apparent_longitude(2_448_908.5).to_degrees();
        let expected = 199.0 + 54.0 / 60.0 + 21.818 / 3600.0;
        assert!((lon - expected).abs() * 3600.0 < 1.0, "{lon}");
    }

    #[test]
    fn rough_sun_is_within_a_hundredth_of_a_degree() {
        for i in 0..2000 {
            let jde = 2_378_000.5 + f64::from(i) * 73.1;
            let diff =
                (apparent_longitude(jde) - apparent_longitude_rough(jde) + PI).rem_euclid(TAU) - PI;
            assert!(
                diff.to_degrees().abs() < 0.01,
                "{jde}: {}",
                diff.to_degrees()
            );
        }
    }

    #[test]
    fn jpl_table_and_vsop87_agree_within_40_seconds() {
        // Two independent sources: a check of the generated table.
        let mut worst = 0.0f64;
        for (i, row) in jpl::TERMS.iter().enumerate() {
            let year = jpl::TERM_FIRST_YEAR + i as i32;
            for (step, &ms) in row.iter().enumerate() {
                if ms == i32::MIN {
                    continue;
                }
                let degrees = step as f64 * 15.0;
                let tabulated = tabulated_term(degrees, year).unwrap();
                let computed = longitude_instant(degrees, longitude_guess(degrees, year));
                worst = worst.max(((tabulated - computed) * 86_400.0).abs());
            }
        }
        assert!(worst < 40.0, "largest difference {worst} s");
        assert!(worst > 1.0, "the table is not used");
    }

    #[test]
    fn meeus_example_27a() {
        // Meeus example 27.a: the June solstice of 1962 is at
        // 1962 June 21, 21h 25m 08s TD.
        let jde = longitude_instant(90.0, longitude_guess(90.0, 1962));
        let expected = 2_437_836.5 + (21.0 * 3600.0 + 25.0 * 60.0 + 8.0) / 86_400.0;
        assert!(
            (jde - expected).abs() * 86_400.0 < 60.0,
            "{jde} vs {expected}"
        );
    }
}
