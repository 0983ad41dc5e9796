//! The constituent table: NOAA's 37 harmonic constituents, XTide's common
//! shallow-water and compound ones, with their speeds and how their
//! astronomical argument, node factor and nodal phase are formed.

use crate::astro::{Astro, Nodal};

/// How a basic constituent's node factor `f` and nodal phase `u` are formed
/// (Schureman's formula numbers in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeRule {
    /// Solar or purely sidereal: f = 1, u = 0.
    Unity,
    /// Mm [73]: u = 0.
    Mm,
    /// Mf [74]: u = −2ξ.
    Mf,
    /// O1 and its family [75]: u = 2ξ − ν.
    O1,
    /// J1 and its family [76]: u = −ν.
    J1,
    /// OO1 [77]: u = −2ξ − ν.
    Oo1,
    /// M2 and its family [78]: u = 2ξ − 2ν.
    M2,
    /// M3 [149]: u = 3ξ − 3ν.
    M3,
    /// K1 [227]: u = −ν′.
    K1,
    /// K2 [235]: u = −2ν″.
    K2,
    /// L2 [215]: u = 2ξ − 2ν − R, f = f(M2)/Ra.
    L2,
    /// NOAA's M1 [206]: u = ξ − ν + Q, f = f(O1)·(2.310 + 1.435 cos 2P)^½.
    M1,
    /// ε2 as XTide forms it: Foreman's satellite of the lunar node only.
    Eps2,
}

/// The definition of a constituent.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Definition {
    /// Argument V = a·T + b·s + c·h + d·p + e·p1 + k·90°.
    Basic {
        /// Multipliers of T, s, h, p, p1.
        v: [i8; 5],
        /// The constant term, in multiples of 90°.
        quarter: i8,
        /// How f and u are formed.
        node: NodeRule,
    },
    /// A sum of parents with integer multipliers: arguments and nodal
    /// phases add, node factors multiply (|k| times).
    Compound(&'static [(&'static str, i8)]),
}

/// One constituent of the table.
#[derive(Debug, Clone, Copy)]
pub struct Constituent {
    /// The canonical name (NOAA's where NOAA has one, else XTide's).
    pub name: &'static str,
    /// Other names the same constituent goes by in other packages.
    pub aliases: &'static [&'static str],
    /// Speed in degrees per hour (NOAA's table, 7 decimals).
    pub speed_deg_per_hour: f64,
    pub(crate) definition: Definition,
}

const fn basic(
    name: &'static str,
    aliases: &'static [&'static str],
    speed: f64,
    v: [i8; 5],
    quarter: i8,
    node: NodeRule,
) -> Constituent {
    Constituent {
        name,
        aliases,
        speed_deg_per_hour: speed,
        definition: Definition::Basic { v, quarter, node },
    }
}

const fn compound(
    name: &'static str,
    aliases: &'static [&'static str],
    speed: f64,
    parents: &'static [(&'static str, i8)],
) -> Constituent {
    Constituent {
        name,
        aliases,
        speed_deg_per_hour: speed,
        definition: Definition::Compound(parents),
    }
}

use NodeRule as N;

/// The table. Basic constituents come before the compounds built on them.
pub(crate) static TABLE: &[Constituent] = &[
    // Long period.
    basic("SA", &[], 0.0410686, [0, 0, 1, 0, 0], 0, N::Unity),
    basic("SSA", &[], 0.0821373, [0, 0, 2, 0, 0], 0, N::Unity),
    basic("MM", &[], 0.5443747, [0, 1, 0, -1, 0], 0, N::Mm),
    basic("MF", &[], 1.0980331, [0, 2, 0, 0, 0], 0, N::Mf),
    // Diurnal.
    basic("2Q1", &[], 12.8542862, [1, -4, 1, 2, 0], 1, N::O1),
    basic(
        "SIG1",
        &["SIGMA1", "SGM"],
        12.9271398,
        [1, -4, 3, 0, 0],
        1,
        N::O1,
    ),
    basic("Q1", &[], 13.3986609, [1, -3, 1, 1, 0], 1, N::O1),
    basic("RHO1", &["RHO"], 13.4715145, [1, -3, 3, -1, 0], 1, N::O1),
    basic("O1", &[], 13.9430356, [1, -2, 1, 0, 0], 1, N::O1),
    // NOAA's M1: the argument leaves out p, which Q carries (XTide's congen).
    basic("M1", &[], 14.4966939, [1, -1, 1, 0, 0], -1, N::M1),
    basic("CHI1", &[], 14.5695476, [1, -1, 3, -1, 0], -1, N::J1),
    basic("PI1", &[], 14.9178647, [1, 0, -2, 0, 1], 1, N::Unity),
    basic("P1", &[], 14.9589314, [1, 0, -1, 0, 0], 1, N::Unity),
    basic("S1", &[], 15.0, [1, 0, 0, 0, 0], 0, N::Unity),
    basic("K1", &[], 15.0410686, [1, 0, 1, 0, 0], -1, N::K1),
    basic("PSI1", &[], 15.0821353, [1, 0, 2, 0, -1], -1, N::Unity),
    basic("PHI1", &[], 15.1232059, [1, 0, 3, 0, 0], -1, N::Unity),
    basic("THE1", &["THETA1"], 15.5125897, [1, 1, -1, 1, 0], -1, N::J1),
    basic("J1", &[], 15.5854433, [1, 1, 1, -1, 0], -1, N::J1),
    basic("OO1", &[], 16.1391017, [1, 2, 1, 0, 0], -1, N::Oo1),
    // Semidiurnal.
    basic("EPS2", &["EP2"], 27.4238337, [2, -5, 4, 1, 0], 0, N::Eps2),
    basic("2N2", &[], 27.8953548, [2, -4, 2, 2, 0], 0, N::M2),
    basic("MU2", &[], 27.9682084, [2, -4, 4, 0, 0], 0, N::M2),
    basic("N2", &[], 28.4397295, [2, -3, 2, 1, 0], 0, N::M2),
    basic("NU2", &[], 28.5125831, [2, -3, 4, -1, 0], 0, N::M2),
    basic("M2", &[], 28.9841042, [2, -2, 2, 0, 0], 0, N::M2),
    basic(
        "LAM2",
        &["LDA2", "LAMBDA2"],
        29.4556253,
        [2, -1, 0, 1, 0],
        2,
        N::M2,
    ),
    basic("L2", &[], 29.5284789, [2, -1, 2, -1, 0], 2, N::L2),
    basic("T2", &[], 29.9589333, [2, 0, -1, 0, 1], 0, N::Unity),
    basic("S2", &[], 30.0, [2, 0, 0, 0, 0], 0, N::Unity),
    basic("R2", &[], 30.0410667, [2, 0, 1, 0, -1], 2, N::Unity),
    basic("K2", &[], 30.0821373, [2, 0, 2, 0, 0], 0, N::K2),
    // Terdiurnal and higher, basic.
    basic("M3", &[], 43.4761563, [3, -3, 3, 0, 0], 0, N::M3),
    basic("S3", &[], 45.0, [3, 0, 0, 0, 0], 0, N::Unity),
    basic("S4", &[], 60.0, [4, 0, 0, 0, 0], 0, N::Unity),
    basic("S6", &[], 90.0, [6, 0, 0, 0, 0], 0, N::Unity),
    // Compound: long period.
    compound("MSF", &[], 1.0158958, &[("S2", 1), ("M2", -1)]),
    // Compound: diurnal.
    compound("SO1", &[], 16.0569644, &[("S2", 1), ("O1", -1)]),
    // Compound: semidiurnal.
    compound("MNS2", &[], 27.4238337, &[("M2", 1), ("N2", 1), ("S2", -1)]),
    compound("MKS2", &[], 29.0662415, &[("M2", 1), ("K2", 1), ("S2", -1)]),
    compound("MSN2", &[], 30.5443747, &[("M2", 1), ("S2", 1), ("N2", -1)]),
    compound("2SM2", &[], 31.0158958, &[("S2", 2), ("M2", -1)]),
    // Compound: terdiurnal.
    compound("2MK3", &[], 42.9271398, &[("M2", 2), ("K1", -1)]),
    compound("MO3", &[], 42.9271398, &[("M2", 1), ("O1", 1)]),
    compound("SO3", &[], 43.9430356, &[("S2", 1), ("O1", 1)]),
    compound("MK3", &[], 44.0251729, &[("M2", 1), ("K1", 1)]),
    compound("SK3", &[], 45.0410686, &[("S2", 1), ("K1", 1)]),
    // Compound: quarter-diurnal.
    compound("N4", &[], 56.8794590, &[("N2", 2)]),
    compound("MN4", &[], 57.4238337, &[("M2", 1), ("N2", 1)]),
    compound("M4", &[], 57.9682084, &[("M2", 2)]),
    compound("SN4", &[], 58.4397295, &[("S2", 1), ("N2", 1)]),
    compound("MS4", &[], 58.9841042, &[("M2", 1), ("S2", 1)]),
    compound("MK4", &[], 59.0662415, &[("M2", 1), ("K2", 1)]),
    compound("SK4", &[], 60.0821373, &[("S2", 1), ("K2", 1)]),
    // Compound: fifth- and sixth-diurnal.
    compound("2MO5", &[], 71.9112440, &[("M2", 2), ("O1", 1)]),
    compound("2MK5", &[], 73.0092771, &[("M2", 2), ("K1", 1)]),
    compound("2SK5", &[], 75.0410686, &[("S2", 2), ("K1", 1)]),
    compound("2MN6", &[], 86.4079379, &[("M2", 2), ("N2", 1)]),
    compound("M6", &[], 86.9523126, &[("M2", 3)]),
    compound("MSN6", &[], 87.4238337, &[("M2", 1), ("S2", 1), ("N2", 1)]),
    compound("2MS6", &[], 87.9682084, &[("M2", 2), ("S2", 1)]),
    compound("2MK6", &[], 88.0503457, &[("M2", 2), ("K2", 1)]),
    compound("2SM6", &[], 88.9841042, &[("S2", 2), ("M2", 1)]),
    compound("MSK6", &[], 89.0662415, &[("M2", 1), ("S2", 1), ("K2", 1)]),
    // Compound: higher.
    compound("3MK7", &[], 101.9933812, &[("M2", 3), ("K1", 1)]),
    compound("M8", &[], 115.9364169, &[("M2", 4)]),
    compound("3MS8", &[], 116.9523126, &[("M2", 3), ("S2", 1)]),
];

/// Every constituent of the table.
pub fn constituents() -> &'static [Constituent] {
    TABLE
}

/// Looks a constituent up by its name or one of its aliases (case-insensitive).
pub fn constituent(name: &str) -> Option<&'static Constituent> {
    TABLE.iter().find(|c| {
        c.name.eq_ignore_ascii_case(name) || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

impl PartialEq for Constituent {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Constituent {
    /// V0 + u (degrees, in [0, 360)) and f of this constituent for the
    /// given astronomical arguments at the start of the year (`v0`) and the
    /// nodal quantities of the middle of the year (`nodal`).
    pub(crate) fn v0u_f(&self, v0: &Astro, nodal: &Nodal) -> (f64, f64) {
        let (v, f) = self.v0u_f_raw(v0, nodal);
        (v.rem_euclid(360.0), f)
    }

    fn v0u_f_raw(&self, v0: &Astro, nodal: &Nodal) -> (f64, f64) {
        match self.definition {
            Definition::Basic { v, quarter, node } => {
                let arg = f64::from(v[0]) * v0.t
                    + f64::from(v[1]) * v0.s
                    + f64::from(v[2]) * v0.h
                    + f64::from(v[3]) * v0.p
                    + f64::from(v[4]) * v0.p1
                    + 90.0 * f64::from(quarter);
                let (f, u) = nodal.rule(node);
                (arg + u, f)
            }
            Definition::Compound(parents) => {
                let mut arg = 0.0;
                let mut f = 1.0;
                for &(name, k) in parents {
                    let parent = TABLE
                        .iter()
                        .find(|c| c.name == name)
                        .expect("compound parents are in the table");
                    let (pv, pf) = parent.v0u_f_raw(v0, nodal);
                    arg += f64::from(k) * pv;
                    f *= pf.powi(i32::from(k.unsigned_abs()));
                }
                (arg, f)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rates of T, s, h, p, p1 in degrees per hour.
    const RATES: [f64; 5] = [15.0, 0.549_016_53, 0.041_068_64, 0.004_641_83, 0.000_001_96];

    fn computed_speed(c: &Constituent) -> f64 {
        match c.definition {
            Definition::Basic { v, node, .. } => {
                let mut speed: f64 = v.iter().zip(RATES).map(|(&k, r)| f64::from(k) * r).sum();
                if node == NodeRule::M1 {
                    speed += RATES[3]; // Q advances with the perigee
                }
                speed
            }
            Definition::Compound(parents) => parents
                .iter()
                .map(|&(n, k)| f64::from(k) * computed_speed(constituent(n).unwrap()))
                .sum(),
        }
    }

    #[test]
    fn table_speeds_agree_with_their_arguments() {
        for c in TABLE {
            let speed = computed_speed(c);
            assert!(
                (speed - c.speed_deg_per_hour).abs() < 2e-7,
                "{}: table {} vs arguments {speed}",
                c.name,
                c.speed_deg_per_hour
            );
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = TABLE
            .iter()
            .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
            .collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(n, names.len());
    }

    #[test]
    fn the_37_noaa_constituents_are_there() {
        for name in [
            "M2", "S2", "N2", "K1", "M4", "O1", "M6", "MK3", "S4", "MN4", "NU2", "S6", "MU2",
            "2N2", "OO1", "LAM2", "S1", "M1", "J1", "MM", "SSA", "SA", "MSF", "MF", "RHO1", "Q1",
            "T2", "R2", "2Q1", "P1", "2SM2", "M3", "L2", "2MK3", "K2", "M8", "MS4",
        ] {
            assert!(constituent(name).is_some(), "{name}");
        }
    }
}
