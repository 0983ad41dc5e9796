//! Astronomical arguments and nodal quantities (Schureman, *Manual of
//! Harmonic Analysis and Prediction of Tides*, US C&GS Special Publication
//! 98, 1940 edition), as NOAA and XTide use them.

use crate::constituents::NodeRule;

/// 1899-12-31 12:00 UTC (Schureman's epoch, "1900 January 0.5") in Unix seconds.
const EPOCH_1900_UNIX: f64 = -2_209_032_000.0;
/// Obliquity of the ecliptic, degrees (Schureman, 23°27′08.26″).
const OBLIQUITY: f64 = 23.452_294;
/// Inclination of the lunar orbit to the ecliptic, degrees (5°08′43.3546″).
const LUNAR_INCLINATION: f64 = 5.145_376;

/// Mean longitudes (degrees) at an instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Astro {
    /// Hour angle of the mean sun (180° at 00:00 UTC).
    pub t: f64,
    /// Mean longitude of the moon.
    pub s: f64,
    /// Mean longitude of the sun.
    pub h: f64,
    /// Longitude of the lunar perigee.
    pub p: f64,
    /// Longitude of the moon's ascending node.
    pub n: f64,
    /// Longitude of the solar perigee.
    pub p1: f64,
}

impl Astro {
    /// The arguments at `unix` seconds (UTC, without ΔT, as XTide does).
    pub(crate) fn at(unix: f64) -> Self {
        let c = (unix - EPOCH_1900_UNIX) / (86_400.0 * 36_525.0);
        let c2 = c * c;
        let c3 = c2 * c;
        let s = 270.437_422 + 481_267.892 * c + 0.002_525 * c2 + 0.000_001_9 * c3;
        let h = 279.696_678 + 36_000.768_925 * c + 0.000_302_5 * c2;
        let p = 334.328_019 + 4_069.032_205_6 * c - 0.010_344_4 * c2 - 0.000_012_5 * c3;
        let n = 259.182_533 - 1_934.142_397 * c + 0.002_105_6 * c2 + 0.000_002_2 * c3;
        let p1 = 281.220_833 + 1.719_175 * c + 0.000_453 * c2 + 0.000_003_3 * c3;
        let seconds_of_day = unix.rem_euclid(86_400.0);
        let t = 180.0 + 15.0 * seconds_of_day / 3_600.0;
        Astro {
            t,
            s: s.rem_euclid(360.0),
            h: h.rem_euclid(360.0),
            p: p.rem_euclid(360.0),
            n: n.rem_euclid(360.0),
            p1: p1.rem_euclid(360.0),
        }
    }
}

/// Nodal quantities at an instant (radians unless named otherwise).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Nodal {
    i: f64,
    nu: f64,
    xi: f64,
    nu_prime: f64,
    two_nu_second: f64,
    r: f64,
    inv_ra: f64,
    q: f64,
    big_p: f64,
    n: f64,
}

impl Nodal {
    pub(crate) fn at(a: &Astro) -> Self {
        let n = a.n.to_radians();
        let w = OBLIQUITY.to_radians();
        let inc = LUNAR_INCLINATION.to_radians();
        let cos_i = inc.cos() * w.cos() - inc.sin() * w.sin() * n.cos();
        let i = cos_i.acos();
        // tan ½(N − ξ ± ν) = k · tan ½N, written so that no branch of atan is needed.
        let x = n / 2.0;
        let k1 = ((w - inc) / 2.0).cos() / ((w + inc) / 2.0).cos();
        let k2 = ((w - inc) / 2.0).sin() / ((w + inc) / 2.0).sin();
        let half = |k: f64| {
            ((k - 1.0) * x.sin() * x.cos() / (x.cos().powi(2) + k * x.sin().powi(2))).atan()
        };
        let e1 = half(k1);
        let e2 = half(k2);
        let xi = -(e1 + e2);
        let nu = e1 - e2;
        let s2i = (2.0 * i).sin();
        let nu_prime = (s2i * nu.sin()).atan2(s2i * nu.cos() + 0.3347);
        let si2 = i.sin().powi(2);
        let two_nu_second = (si2 * (2.0 * nu).sin()).atan2(si2 * (2.0 * nu).cos() + 0.0727);
        let big_p = a.p.to_radians() - xi;
        let tan_half_i = (i / 2.0).tan();
        let r = (2.0 * big_p)
            .sin()
            .atan2(1.0 / (6.0 * tan_half_i.powi(2)) - (2.0 * big_p).cos());
        let inv_ra = (1.0 - 12.0 * tan_half_i.powi(2) * (2.0 * big_p).cos()
            + 36.0 * tan_half_i.powi(4))
        .sqrt();
        // XTide's congen takes tan Q = 0.483 tan P (Schureman eq. 197 with mean I).
        let q = (0.483 * big_p.sin()).atan2(big_p.cos());
        Nodal {
            i,
            nu,
            xi,
            nu_prime,
            two_nu_second,
            r,
            inv_ra,
            q,
            big_p,
            n,
        }
    }

    /// (f, u in degrees) for a node rule.
    pub(crate) fn rule(&self, rule: NodeRule) -> (f64, f64) {
        let Nodal { i, nu, xi, .. } = *self;
        let half_i = i / 2.0;
        let f_m2 = half_i.cos().powi(4) / 0.9154;
        let f_o1 = i.sin() * half_i.cos().powi(2) / 0.3800;
        let (f, u) = match rule {
            NodeRule::Unity => (1.0, 0.0),
            NodeRule::Mm => ((2.0 / 3.0 - i.sin().powi(2)) / 0.5021, 0.0),
            NodeRule::Mf => (i.sin().powi(2) / 0.1578, -2.0 * xi),
            NodeRule::O1 => (f_o1, 2.0 * xi - nu),
            NodeRule::J1 => ((2.0 * i).sin() / 0.7214, -nu),
            NodeRule::Oo1 => (i.sin() * half_i.sin().powi(2) / 0.0164, -2.0 * xi - nu),
            NodeRule::M2 => (f_m2, 2.0 * xi - 2.0 * nu),
            NodeRule::M3 => (half_i.cos().powi(6) / 0.8758, 3.0 * xi - 3.0 * nu),
            NodeRule::K1 => {
                let s2i = (2.0 * i).sin();
                (
                    (0.8965 * s2i * s2i + 0.6001 * s2i * nu.cos() + 0.1006).sqrt(),
                    -self.nu_prime,
                )
            }
            NodeRule::K2 => {
                let si = i.sin();
                (
                    (19.0444 * si.powi(4) + 2.7702 * si * si * (2.0 * nu).cos() + 0.0981).sqrt(),
                    -self.two_nu_second,
                )
            }
            NodeRule::L2 => (f_m2 * self.inv_ra, 2.0 * xi - 2.0 * nu - self.r),
            NodeRule::M1 => (
                f_o1 * (2.310 + 1.435 * (2.0 * self.big_p).cos()).sqrt(),
                xi - nu + self.q,
            ),
            NodeRule::Eps2 => {
                // Foreman's satellite (ΔN′ = −1, phase ½ cycle, ratio 0.0373);
                // N′ = −N.
                let angle = self.n + std::f64::consts::PI;
                let re = 1.0 + 0.0373 * angle.cos();
                let im = 0.0373 * angle.sin();
                (re.hypot(im), im.atan2(re))
            }
        };
        (f, u.to_degrees())
    }
}

/// Unix seconds of 1 January 00:00 UTC of `year`.
pub(crate) fn year_start(year: i32) -> i64 {
    // Days from 1970-01-01 to year-01-01 (proleptic Gregorian).
    let y = i64::from(year) - 1;
    let days =
        365 * (y - 1969) + (y / 4 - 1969 / 4) - (y / 100 - 1969 / 100) + (y / 400 - 1969 / 400);
    days * 86_400
}

/// The year (UTC) that contains `unix` seconds.
pub(crate) fn year_of(unix: i64) -> i32 {
    let mut year = 1970 + i32::try_from(unix.div_euclid(31_556_952)).unwrap_or(i32::MAX - 1);
    while year_start(year) > unix {
        year -= 1;
    }
    while year_start(year + 1) <= unix {
        year += 1;
    }
    year
}

/// The astronomical arguments at the start of the year and the nodal
/// quantities at its middle, the instants the conventions fix.
pub(crate) fn year_arguments(year: i32) -> (Astro, Nodal) {
    let start = year_start(year);
    let end = year_start(year + 1);
    let v0 = Astro::at(start as f64);
    let middle = Astro::at((start + (end - start) / 2) as f64);
    (v0, Nodal::at(&middle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_starts() {
        assert_eq!(year_start(1970), 0);
        assert_eq!(year_start(2026), 1_767_225_600);
        assert_eq!(year_start(2000), 946_684_800);
        assert_eq!(year_start(1900), -2_208_988_800);
        assert_eq!(year_of(1_767_225_600), 2026);
        assert_eq!(year_of(1_767_225_599), 2025);
        assert_eq!(year_of(-1), 1969);
    }
}
