//! The calendar and the phases against JPL-ephemeris truth (DE421 with
//! skyfield; see `tests/data/README.md`).

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use doorstep_lunar::{LunarDate, Phase, leap_month, phases_of, to_lunar, to_solar};
use serde::Deserialize;

fn lines<T: for<'de> Deserialize<'de>>(text: &str) -> Vec<T> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture line parses"))
        .collect()
}

#[derive(Deserialize)]
struct DateCase {
    solar: NaiveDate,
    day: u8,
    month: u8,
    year: i32,
    leap: bool,
}

#[derive(Deserialize)]
struct TetCase {
    year: i32,
    solar: NaiveDate,
}

#[derive(Deserialize)]
struct PhaseCase {
    phase: String,
    at: DateTime<Utc>,
}

#[test]
fn every_date_of_2020_2035_matches() {
    let cases: Vec<DateCase> = lines(include_str!("data/dates_2020_2035.jsonl"));
    assert_eq!(cases.len(), 200);
    for c in cases {
        let expected = LunarDate::new(c.year, c.month, c.day, c.leap);
        assert_eq!(to_lunar(c.solar).unwrap(), expected, "{}", c.solar);
        assert_eq!(to_solar(expected).unwrap(), c.solar, "{expected}");
    }
}

#[test]
fn every_tet_of_2020_2035_matches() {
    let cases: Vec<TetCase> = lines(include_str!("data/tet_2020_2035.jsonl"));
    assert_eq!(cases.len(), 16);
    for c in cases {
        assert_eq!(
            to_solar(LunarDate::new(c.year, 1, 1, false)).unwrap(),
            c.solar
        );
        assert_eq!(
            to_lunar(c.solar).unwrap(),
            LunarDate::new(c.year, 1, 1, false)
        );
    }
}

#[test]
fn every_full_moon_of_2026_2027_within_2_seconds() {
    let cases: Vec<PhaseCase> = lines(include_str!("data/full_moons_2026_2027.jsonl"));
    let from = cases[0].at - TimeDelta::days(1);
    let to = cases[cases.len() - 1].at + TimeDelta::days(1);
    let ours = phases_of(Phase::Full, from, to).unwrap();
    assert_eq!(ours.len(), cases.len());
    let mut worst = 0.0f64;
    let mut sum = 0.0;
    for (c, o) in cases.iter().zip(&ours) {
        assert_eq!(c.phase, "full");
        let diff = (o.at - c.at).num_milliseconds() as f64 / 1000.0;
        println!("{} ours {} diff {diff:+.1} s", c.at, o.at);
        worst = worst.max(diff.abs());
        sum += diff;
        // The fixture is rounded to the second; the rest is ΔT.
        assert!(
            diff.abs() < 2.0,
            "{}: ours {} differs by {diff} s",
            c.at,
            o.at
        );
    }
    println!(
        "full moons 2026–2027: {} compared, largest difference {worst:.1} s, mean {:+.1} s",
        cases.len(),
        sum / cases.len() as f64
    );
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn documented_checks() {
    // Tết 1985 in Vietnam (China: 1985-02-20).
    assert_eq!(
        to_solar(LunarDate::new(1985, 1, 1, false)).unwrap(),
        d(1985, 1, 21)
    );
    // Tết 2007 (China: 2007-02-18).
    assert_eq!(
        to_solar(LunarDate::new(2007, 1, 1, false)).unwrap(),
        d(2007, 2, 17)
    );
    assert_eq!(
        to_solar(LunarDate::new(1968, 1, 1, false)).unwrap(),
        d(1968, 1, 29)
    );
    // 2033 has a leap month 11 starting 2033-12-22.
    assert_eq!(leap_month(2033).unwrap(), Some(11));
    assert_eq!(
        to_solar(LunarDate::new(2033, 11, 1, true)).unwrap(),
        d(2033, 12, 22)
    );
    assert_eq!(
        to_lunar(d(2033, 12, 22)).unwrap(),
        LunarDate::new(2033, 11, 1, true)
    );
}

#[test]
fn month_starts_near_midnight() {
    // New moons within a minute of local midnight (fixtures' README): the
    // month starts on these days. 1967-07-08 is 4 s after midnight, closer
    // than Meeus ch. 49 alone can tell.
    assert_eq!(to_lunar(d(1967, 7, 8)).unwrap().day, 1);
    assert!(to_lunar(d(1967, 7, 7)).unwrap().day >= 29);
    assert_eq!(to_lunar(d(1944, 6, 20)).unwrap().day, 1);
}
