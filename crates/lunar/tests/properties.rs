//! Invariants of the calendar over its whole range, 1800–2199.

use chrono::{Datelike, NaiveDate, TimeDelta};
use doorstep_lunar::{
    FIRST_DATE, LAST_DATE, LunarDate, LunarMonthDay, leap_month, lunar_dates_each_year,
    lunar_days_between, month_length, months_of_year, to_lunar, to_solar,
};
use proptest::prelude::*;

/// Every civil day 1800-01-01..=2199-12-31 goes to a lunar date and back,
/// and consecutive days have consecutive lunar dates. Exhaustive rather than
/// sampled: the whole range takes well under a second.
#[test]
fn every_day_round_trips() {
    let mut day = FIRST_DATE;
    let mut previous: Option<LunarDate> = None;
    let mut count = 0;
    while day <= LAST_DATE {
        let lunar = to_lunar(day).unwrap();
        assert_eq!(to_solar(lunar).unwrap(), day, "{day} → {lunar}");
        assert!((1..=30).contains(&lunar.day));
        assert!((1..=12).contains(&lunar.month));
        if let Some(p) = previous {
            if lunar.day == 1 {
                assert!(
                    (29..=30).contains(&p.day),
                    "{day}: month before has {} days",
                    p.day
                );
                if lunar.month == 1 && !lunar.leap {
                    assert_eq!(lunar.year, p.year + 1, "{day}: Tết starts a new year");
                    assert_eq!(p.month, 12, "{day}: the month before Tết is 12");
                } else {
                    assert_eq!(lunar.year, p.year, "{day}");
                }
                if lunar.leap {
                    assert_eq!(
                        lunar.month, p.month,
                        "{day}: a leap month repeats the one before"
                    );
                } else if lunar.month != 1 {
                    assert_eq!(lunar.month, p.month + 1, "{day}");
                }
            } else {
                assert_eq!(
                    (lunar.year, lunar.month, lunar.leap, lunar.day),
                    (p.year, p.month, p.leap, p.day + 1),
                    "{day}"
                );
            }
        }
        previous = Some(lunar);
        day += TimeDelta::days(1);
        count += 1;
    }
    assert_eq!(count, 146_097);
}

#[test]
fn every_year_has_12_or_13_months_and_one_leap_in_13() {
    for year in 1800..=2199 {
        let months = months_of_year(year).unwrap();
        let leaps: Vec<_> = months.iter().filter(|m| m.leap).collect();
        match months.len() {
            12 => assert!(leaps.is_empty(), "{year}"),
            13 => assert_eq!(leaps.len(), 1, "{year}"),
            n => panic!("lunar year {year} has {n} months"),
        }
        assert_eq!(
            leap_month(year).unwrap(),
            leaps.first().map(|m| m.month),
            "{year}"
        );
        for m in &months {
            assert!(m.length == 29 || m.length == 30, "{year}/{}", m.month);
            assert_eq!(month_length(year, m.month, m.leap).unwrap(), m.length);
        }
        let numbers: Vec<u8> = months.iter().filter(|m| !m.leap).map(|m| m.month).collect();
        assert_eq!(numbers, (1..=12).collect::<Vec<u8>>(), "{year}");
        // Tết falls between 21 January and 20 February.
        let tet = months[0].first_day;
        assert_eq!(tet.year(), year);
        assert!(
            (NaiveDate::from_ymd_opt(year, 1, 21).unwrap()
                ..=NaiveDate::from_ymd_opt(year, 2, 20).unwrap())
                .contains(&tet),
            "Tết {year} on {tet}"
        );
    }
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (0..146_097i64).prop_map(|n| FIRST_DATE + TimeDelta::days(n))
}

proptest! {
    /// Each range of lunar days holds only matching days, and the days just
    /// outside a range (inside the window) do not match.
    #[test]
    fn lunar_day_ranges_hold_exactly_the_matching_days(
        from in any_date(), span in 0..400i64, first in 1..=30u8, last in 1..=30u8,
    ) {
        let to = (from + TimeDelta::days(span)).min(LAST_DATE);
        let matches = |d: NaiveDate| {
            let day = to_lunar(d).unwrap().day;
            if first <= last { first <= day && day <= last } else { day >= first || day <= last }
        };
        let ranges = lunar_days_between(from, to, first, last).unwrap();
        let mut covered = 0;
        for r in &ranges {
            prop_assert!(r.start <= r.end && from <= r.start && r.end <= to);
            for d in r.start.iter_days().take_while(|d| *d <= r.end) {
                prop_assert!(matches(d));
                covered += 1;
            }
        }
        let total = from.iter_days().take_while(|d| *d <= to).filter(|d| matches(*d)).count();
        prop_assert_eq!(covered, total);
        for pair in ranges.windows(2) {
            prop_assert!(pair[0].end + TimeDelta::days(1) < pair[1].start);
        }
    }

    /// The same for "MM-DD to MM-DD each year".
    #[test]
    fn lunar_date_ranges_hold_exactly_the_matching_days(
        from in any_date(), span in 0..800i64,
        m1 in 1..=12u8, d1 in 1..=30u8, m2 in 1..=12u8, d2 in 1..=30u8,
    ) {
        let to = (from + TimeDelta::days(span)).min(LAST_DATE);
        let key = |m: u8, leap: bool, d: u8| (u32::from(m) * 2 + u32::from(leap)) * 32 + u32::from(d);
        let (s, e) = (key(m1, false, d1), key(m2, false, d2));
        let matches = |d: NaiveDate| {
            let l = to_lunar(d).unwrap();
            let k = key(l.month, l.leap, l.day);
            if s <= e { s <= k && k <= e } else { k >= s || k <= e }
        };
        let ranges = lunar_dates_each_year(
            from, to, LunarMonthDay::new(m1, d1).unwrap(), LunarMonthDay::new(m2, d2).unwrap(),
        ).unwrap();
        let covered: usize = ranges.iter().map(|r| (r.end - r.start).num_days() as usize + 1).sum();
        let total = from.iter_days().take_while(|d| *d <= to).filter(|d| matches(*d)).count();
        prop_assert_eq!(covered, total);
        for r in &ranges {
            prop_assert!(matches(r.start) && matches(r.end));
        }
    }
}
