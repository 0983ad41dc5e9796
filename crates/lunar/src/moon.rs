//! Instants of the moon's phases: Meeus, *Astronomical Algorithms* (2nd ed.,
//! 1998), chapter 49, with every periodic term and the fourteen additional
//! corrections (planetary arguments).

use std::f64::consts::PI;

use crate::jpl;

/// Mean synodic month in days.
pub(crate) const SYNODIC_MONTH: f64 = 29.530_588_861;

/// A phase of the moon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// New moon (trăng non, sóc): the moon's and the sun's longitudes are equal.
    New,
    /// First quarter (thượng huyền): the moon is 90° east of the sun.
    FirstQuarter,
    /// Full moon (trăng tròn, vọng): the moon is 180° from the sun.
    Full,
    /// Last quarter (hạ huyền): the moon is 270° east of the sun.
    LastQuarter,
}

impl Phase {
    /// All four phases in the order they occur in a lunation.
    pub const ALL: [Phase; 4] = [
        Phase::New,
        Phase::FirstQuarter,
        Phase::Full,
        Phase::LastQuarter,
    ];

    /// The phase's name in the command-line output: `new`, `first_quarter`,
    /// `full`, `last_quarter`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::New => "new",
            Phase::FirstQuarter => "first_quarter",
            Phase::Full => "full",
            Phase::LastQuarter => "last_quarter",
        }
    }

    /// The Vietnamese name of the phase.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Phase::New => "trăng non",
            Phase::FirstQuarter => "thượng huyền",
            Phase::Full => "trăng tròn",
            Phase::LastQuarter => "hạ huyền",
        }
    }

    /// The fraction of a lunation at which the phase occurs (0, ¼, ½, ¾).
    pub(crate) fn fraction(self) -> f64 {
        match self {
            Phase::New => 0.0,
            Phase::FirstQuarter => 0.25,
            Phase::Full => 0.5,
            Phase::LastQuarter => 0.75,
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Phase {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "new" => Ok(Phase::New),
            "first_quarter" => Ok(Phase::FirstQuarter),
            "full" => Ok(Phase::Full),
            "last_quarter" => Ok(Phase::LastQuarter),
            _ => Err(format!(
                "unknown phase {s:?}: expected new, first_quarter, full or last_quarter"
            )),
        }
    }
}

fn rad(deg: f64) -> f64 {
    (deg % 360.0) * (PI / 180.0)
}

/// The lunation number `k` (0 = the new moon of 2000-01-06) whose `phase`
/// is nearest to the Julian Ephemeris Day `jde`.
pub(crate) fn lunation_near(jde: f64) -> f64 {
    ((jde - 2_451_550.097_66) / SYNODIC_MONTH).round()
}

/// The Julian Ephemeris Day (TT) of `phase` in lunation `k` (`k` = 0 is the
/// new moon of 2000-01-06): from the JPL DE423 table where it has the
/// lunation (1800–2199), else by Meeus ch. 49.
pub(crate) fn phase_jde(k: f64, phase: Phase) -> f64 {
    let row = usize::try_from(k.round() as i64 - i64::from(jpl::PHASE_FIRST_K))
        .ok()
        .and_then(|i| jpl::PHASES.get(i));
    match row {
        Some(row) => {
            mean_phase_jde(k + phase.fraction()) + f64::from(row[phase as usize]) / 86_400_000.0
        }
        None => meeus_phase_jde(k, phase),
    }
}

/// Meeus (49.1): the mean phase at `k` (+ 0, ¼, ½ or ¾).
fn mean_phase_jde(k: f64) -> f64 {
    let t = k / 1236.85;
    2_451_550.097_66 + SYNODIC_MONTH * k + 0.000_154_37 * t * t - 0.000_000_150 * t.powi(3)
        + 0.000_000_000_73 * t.powi(4)
}

/// The Julian Ephemeris Day (TT) of `phase` in lunation `k` by Meeus ch. 49.
pub(crate) fn meeus_phase_jde(k: f64, phase: Phase) -> f64 {
    let k = k + phase.fraction();
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let t4 = t3 * t;

    let mut jde = 2_451_550.097_66 + SYNODIC_MONTH * k + 0.000_154_37 * t2 - 0.000_000_150 * t3
        + 0.000_000_000_73 * t4;

    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t2;
    let e2 = e * e;
    // Sun's mean anomaly, moon's mean anomaly, moon's argument of latitude,
    // longitude of the ascending node.
    let m = rad(2.5534 + 29.105_356_70 * k - 0.000_001_4 * t2 - 0.000_000_11 * t3);
    let mp = rad(
        201.5643 + 385.816_935_28 * k + 0.010_758_2 * t2 + 0.000_012_38 * t3 - 0.000_000_058 * t4,
    );
    let f = rad(
        160.7108 + 390.670_502_84 * k - 0.001_611_8 * t2 - 0.000_002_27 * t3 + 0.000_000_011 * t4,
    );
    let om = rad(124.7746 - 1.563_755_88 * k + 0.002_067_2 * t2 + 0.000_002_15 * t3);

    let s = f64::sin;
    let correction = match phase {
        Phase::New => {
            -0.40720 * s(mp)
                + 0.17241 * e * s(m)
                + 0.01608 * s(2.0 * mp)
                + 0.01039 * s(2.0 * f)
                + 0.00739 * e * s(mp - m)
                - 0.00514 * e * s(mp + m)
                + 0.00208 * e2 * s(2.0 * m)
                - 0.00111 * s(mp - 2.0 * f)
                - 0.00057 * s(mp + 2.0 * f)
                + 0.00056 * e * s(2.0 * mp + m)
                - 0.00042 * s(3.0 * mp)
                + 0.00042 * e * s(m + 2.0 * f)
                + 0.00038 * e * s(m - 2.0 * f)
                - 0.00024 * e * s(2.0 * mp - m)
                - 0.00017 * s(om)
                - 0.00007 * s(mp + 2.0 * m)
                + 0.00004 * s(2.0 * mp - 2.0 * f)
                + 0.00004 * s(3.0 * m)
                + 0.00003 * s(mp + m - 2.0 * f)
                + 0.00003 * s(2.0 * mp + 2.0 * f)
                - 0.00003 * s(mp + m + 2.0 * f)
                + 0.00003 * s(mp - m + 2.0 * f)
                - 0.00002 * s(mp - m - 2.0 * f)
                - 0.00002 * s(3.0 * mp + m)
                + 0.00002 * s(4.0 * mp)
        }
        Phase::Full => {
            -0.40614 * s(mp)
                + 0.17302 * e * s(m)
                + 0.01614 * s(2.0 * mp)
                + 0.01043 * s(2.0 * f)
                + 0.00734 * e * s(mp - m)
                - 0.00515 * e * s(mp + m)
                + 0.00209 * e2 * s(2.0 * m)
                - 0.00111 * s(mp - 2.0 * f)
                - 0.00057 * s(mp + 2.0 * f)
                + 0.00056 * e * s(2.0 * mp + m)
                - 0.00042 * s(3.0 * mp)
                + 0.00042 * e * s(m + 2.0 * f)
                + 0.00038 * e * s(m - 2.0 * f)
                - 0.00024 * e * s(2.0 * mp - m)
                - 0.00017 * s(om)
                - 0.00007 * s(mp + 2.0 * m)
                + 0.00004 * s(2.0 * mp - 2.0 * f)
                + 0.00004 * s(3.0 * m)
                + 0.00003 * s(mp + m - 2.0 * f)
                + 0.00003 * s(2.0 * mp + 2.0 * f)
                - 0.00003 * s(mp + m + 2.0 * f)
                + 0.00003 * s(mp - m + 2.0 * f)
                - 0.00002 * s(mp - m - 2.0 * f)
                - 0.00002 * s(3.0 * mp + m)
                + 0.00002 * s(4.0 * mp)
        }
        Phase::FirstQuarter | Phase::LastQuarter => {
            let quarter = -0.62801 * s(mp) + 0.17172 * e * s(m) - 0.01183 * e * s(mp + m)
                + 0.00862 * s(2.0 * mp)
                + 0.00804 * s(2.0 * f)
                + 0.00454 * e * s(mp - m)
                + 0.00204 * e2 * s(2.0 * m)
                - 0.00180 * s(mp - 2.0 * f)
                - 0.00070 * s(mp + 2.0 * f)
                - 0.00040 * s(3.0 * mp)
                - 0.00034 * e * s(2.0 * mp - m)
                + 0.00032 * e * s(m + 2.0 * f)
                + 0.00032 * e * s(m - 2.0 * f)
                - 0.00028 * e2 * s(mp + 2.0 * m)
                + 0.00027 * e * s(2.0 * mp + m)
                - 0.00017 * s(om)
                - 0.00005 * s(mp - m - 2.0 * f)
                + 0.00004 * s(2.0 * mp + 2.0 * f)
                - 0.00004 * s(mp + m + 2.0 * f)
                + 0.00004 * s(mp - 2.0 * m)
                + 0.00003 * s(mp + m - 2.0 * f)
                + 0.00003 * s(3.0 * m)
                + 0.00002 * s(2.0 * mp - 2.0 * f)
                + 0.00002 * s(mp - m + 2.0 * f)
                - 0.00002 * s(3.0 * mp + m);
            let c = f64::cos;
            let w = 0.00306 - 0.00038 * e * c(m) + 0.00026 * c(mp) - 0.00002 * c(mp - m)
                + 0.00002 * c(mp + m)
                + 0.00002 * c(2.0 * f);
            if phase == Phase::FirstQuarter {
                quarter + w
            } else {
                quarter - w
            }
        }
    };
    jde += correction;

    // Additional corrections for all phases (planetary arguments).
    const ADDITIONAL: [(f64, f64, f64); 14] = [
        (0.000_325, 299.77, 0.107_408),
        (0.000_165, 251.88, 0.016_321),
        (0.000_164, 251.83, 26.651_886),
        (0.000_126, 349.42, 36.412_478),
        (0.000_110, 84.66, 18.206_239),
        (0.000_062, 141.74, 53.303_771),
        (0.000_060, 207.14, 2.453_732),
        (0.000_056, 154.84, 7.306_860),
        (0.000_047, 34.52, 27.261_239),
        (0.000_042, 207.19, 0.121_824),
        (0.000_040, 291.34, 1.844_379),
        (0.000_037, 161.72, 24.198_154),
        (0.000_035, 239.56, 25.513_099),
        (0.000_023, 331.55, 3.592_518),
    ];
    for (i, (coefficient, a0, rate)) in ADDITIONAL.iter().enumerate() {
        let mut argument = a0 + rate * k;
        if i == 0 {
            argument -= 0.009_173 * t2;
        }
        jde += coefficient * rad(argument).sin();
    }
    jde
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeus_example_49a() {
        // Meeus example 49.a: the new moon of 1977 February, k = −283,
        // JDE = 2443192.65118.
        let jde = meeus_phase_jde(-283.0, Phase::New);
        assert!((jde - 2_443_192.651_18).abs() < 1e-5, "{jde}");
    }

    #[test]
    fn jpl_table_and_meeus_agree_within_25_seconds() {
        // Two independent sources: a check of the generated table.
        let mut worst = 0.0f64;
        for i in 0..jpl::PHASES.len() {
            let k = f64::from(jpl::PHASE_FIRST_K) + i as f64;
            for phase in Phase::ALL {
                let diff = (phase_jde(k, phase) - meeus_phase_jde(k, phase)) * 86_400.0;
                worst = worst.max(diff.abs());
            }
        }
        assert!(worst < 25.0, "largest difference {worst} s");
        assert!(worst > 1.0, "the table is not used");
    }

    #[test]
    fn meeus_example_49b() {
        // Meeus example 49.b: the first last quarter of AD 2044, k = 544.75,
        // JDE = 2467636.49186.
        let jde = meeus_phase_jde(544.0, Phase::LastQuarter);
        assert!((jde - 2_467_636.491_86).abs() < 1e-5, "{jde}");
    }
}
