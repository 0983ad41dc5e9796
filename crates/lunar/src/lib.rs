//! The Vietnamese lunar calendar (âm lịch, computed at UTC+7), the moon's
//! phases and the solar terms, from 1800 to 2199.
//!
//! doorstep's availability rules speak in lunar dates ("the boats are back
//! 14–17 of the 8th month"), so this crate turns civil dates into lunar dates
//! and back, names years, months and days in can chi, and turns lunar ranges
//! into lists of civil date ranges. It is pure: no I/O, no clock.
//!
//! ```
//! use chrono::NaiveDate;
//! use doorstep_lunar::{to_lunar, to_solar, LunarDate};
//!
//! let tet = to_solar(LunarDate::new(2026, 1, 1, false))?;
//! assert_eq!(tet, NaiveDate::from_ymd_opt(2026, 2, 17).unwrap());
//! let lunar = to_lunar(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap())?;
//! assert_eq!((lunar.day, lunar.month, lunar.year, lunar.leap), (20, 10, 2026, false));
//! assert_eq!(lunar.year_name(), "Bính Ngọ");
//! # Ok::<(), doorstep_lunar::Error>(())
//! ```
//!
//! # The calendar rules
//!
//! Vietnam's rules, applied at UTC+7 throughout (the calendars actually
//! issued before 1968 used UTC+8; this crate does not model that):
//!
//! * a lunar month starts on the civil day (UTC+7) that contains the new moon;
//! * month 11 is the month that contains the day of the December solstice
//!   (the sun at 270°);
//! * between two consecutive month-11 starts there are 12 or 13 months; with
//!   13, the first month after month 11 that contains no major solar term (the
//!   sun at a multiple of 30°) is the leap month and repeats the number of the
//!   month before it;
//! * a lunar year is numbered by the Gregorian year of its Tết (1/1).
//!
//! # Method and sources
//!
//! * **Phases of the moon and solar terms, 1800–2199**: the JPL DE423
//!   ephemeris (Folkner, 2010), the ephemeris behind the fixtures after 2050;
//!   their DE421 full moons of 2026–2027 agree with it within their rounding
//!   to the second. `tools/jpl_table.py` solves, in DE423, for
//!   the instant when the apparent geocentric longitude of the moon minus
//!   that of the sun is 0°, 90°, 180° or 270°, and when the sun's true
//!   apparent longitude is a multiple of 15° (light time, annual aberration,
//!   IAU 2006 precession to the ecliptic of date, IAU 2000A nutation: the
//!   method skyfield uses for the fixtures), and stores each instant in
//!   `src/jpl.rs` as milliseconds (TT) from a simple mean formula: 19,792
//!   phase instants (4,948 lunations) and 9,597 solar terms.
//! * **Independent theory, and outside the table** (the calendar table's
//!   edges in 1798–1799 and early 2200): Jean Meeus, *Astronomical
//!   Algorithms*, 2nd ed. (1998), chapter 49 in full for the phases (every
//!   periodic term of each phase, the quarters' W correction, the fourteen
//!   planetary corrections), and chapter 25 "higher accuracy" for the sun
//!   (the VSOP87 Earth series of appendix III, FK5 correction, nutation,
//!   aberration) with Newton's method for the solar terms. Tests check that
//!   the table and these theories agree for every entry (within 25 s for the
//!   phases and 40 s for the solar terms; the largest differences are 21.5 s
//!   and 28 s), so a damaged table cannot pass.
//! * **ΔT = TT − UT**: Espenak & Meeus (2006, NASA TP-2006-214141)
//!   polynomials before 1986, the observed IERS values 1986–2026 (linear
//!   between yearly values), a parabola from the 2026 value, flat there as
//!   the IERS predictions are, to the Espenak–Meeus value of 2050, then
//!   Espenak–Meeus. UT1 is output as UTC (they differ by less than 0.9 s
//!   since 1972).
//!
//! # Error bound
//!
//! In TT the instants are those of DE423 to the millisecond of the table
//! (DE423 itself is good to far better than a second for the moon over these
//! centuries). In UT the error is that of ΔT: well under a second 1900–2026,
//! a few seconds in the 19th century, and after 2026 whatever the earth's
//! rotation does — tens of seconds by 2100, minutes by 2199, which no model
//! can predict. Against the fixtures (`tests/data/`, skyfield with DE421),
//! every lunar date and Tết of 2020–2035 matches and every full moon of
//! 2026–2027 agrees within 0.5 s. Meeus ch. 49 alone is within 21.5 s of
//! DE423 over 1800–2199 (4.9 s r.m.s.); with it, one month start in four
//! centuries would move (1967-07-08, whose new moon is 4 s after midnight).
//!
//! # Speed
//!
//! The calendar is a table of month starts built once, lazily, on the first
//! call (or by [`prepare`]); every conversion afterwards is a binary search.
//! `cargo bench -p doorstep-lunar --bench speed` prints the figures; on the
//! project machine: the table build 0.4 ms, all 73,414 days of 1900–2100
//! converted in 1.5–2.3 ms after it, all 9,945 phases of 1900–2100 in
//! 0.5 ms.
//!
//! # Errors
//!
//! Functions return [`Error`] (thiserror). Each message names the value, says
//! what was expected and gives the supported range, in Vietnamese first and
//! English second.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod calendar;
mod canchi;
mod events;
mod jpl;
mod moon;
mod sun;
mod time;

pub use calendar::{
    DateRange, FIRST_DATE, LAST_DATE, LunarDate, LunarMonth, LunarMonthDay, leap_month,
    lunar_bounds, lunar_dates_each_year, lunar_days_between, month_length, months_of_year, prepare,
    to_lunar, to_solar,
};
pub use canchi::{BRANCHES, STEMS, day_name, month_name, year_name};
pub use events::{
    END_INSTANT, FIRST_INSTANT, PhaseInstant, SOLAR_TERM_NAMES, SolarTerm, phases, phases_of,
    solar_terms,
};
pub use moon::Phase;

use chrono::{DateTime, NaiveDate, Utc};

/// What can go wrong converting dates or asking for instants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A civil date outside 1800-01-01 to 2199-12-31.
    #[error(
        "ngày {date} nằm ngoài phạm vi hỗ trợ {FIRST_DATE} đến {LAST_DATE} / \
         date {date} is outside the supported range {FIRST_DATE} to {LAST_DATE}"
    )]
    DateOutOfRange {
        /// The date asked for.
        date: NaiveDate,
    },
    /// An instant outside 1800-01-01T00:00:00Z to 2200-01-01T00:00:00Z.
    #[error(
        "thời điểm {at} nằm ngoài phạm vi hỗ trợ {FIRST_INSTANT} đến {END_INSTANT} / \
         instant {at} is outside the supported range {FIRST_INSTANT} to {END_INSTANT}"
    )]
    InstantOutOfRange {
        /// The instant asked for.
        at: DateTime<Utc>,
    },
    /// A lunar year outside 1799–2199.
    #[error(
        "năm âm lịch {year} nằm ngoài phạm vi hỗ trợ 1799 đến 2199 / \
         lunar year {year} is outside the supported range 1799 to 2199"
    )]
    LunarYearOutOfRange {
        /// The year asked for.
        year: i32,
    },
    /// A lunar date whose civil date falls outside 1800-01-01 to 2199-12-31.
    #[error(
        "ngày âm lịch {date} nằm ngoài phạm vi hỗ trợ {first} đến {last} / \
         lunar date {date} is outside the supported range {first} to {last}"
    )]
    LunarDateOutOfRange {
        /// The lunar date asked for.
        date: LunarDate,
        /// The lunar date of 1800-01-01.
        first: LunarDate,
        /// The lunar date of 2199-12-31.
        last: LunarDate,
    },
    /// A month number outside 1–12.
    #[error(
        "tháng âm lịch {month} không hợp lệ: phải từ 1 đến 12 / \
         lunar month {month} is not valid: expected 1 to 12"
    )]
    InvalidLunarMonth {
        /// The month asked for.
        month: u8,
    },
    /// A day that the lunar month does not have.
    #[error(
        "ngày âm lịch {date} không tồn tại: tháng này có {length} ngày (1 đến {length}) / \
         lunar date {date} does not exist: that month has {length} days (1 to {length})"
    )]
    InvalidLunarDay {
        /// The lunar date asked for.
        date: LunarDate,
        /// The month's length, 29 or 30.
        length: u8,
    },
    /// A lunar day number outside 1–30 in a range of days.
    #[error(
        "ngày âm lịch {day} không hợp lệ: phải từ 1 đến 30 / \
         lunar day {day} is not valid: expected 1 to 30"
    )]
    InvalidLunarDayRange {
        /// The day asked for.
        day: u8,
    },
    /// A month and day that is not `MM-DD`.
    #[error(
        "\"{text}\" không phải tháng-ngày âm lịch dạng MM-DD, tháng 1–12, ngày 1–30 (ví dụ 12-23) / \
         \"{text}\" is not a lunar month-day MM-DD, month 1–12, day 1–30 (for example 12-23)"
    )]
    InvalidMonthDay {
        /// The text given.
        text: String,
    },
    /// The leap flag on a month that is not the year's leap month.
    #[error(
        "tháng {month} năm âm lịch {year} không phải tháng nhuận ({}) / \
         month {month} of lunar year {year} is not a leap month ({})",
        leap_text_vi(*leap_month),
        leap_text_en(*leap_month)
    )]
    NotLeapMonth {
        /// The lunar year.
        year: i32,
        /// The month asked for.
        month: u8,
        /// The year's actual leap month, if it has one.
        leap_month: Option<u8>,
    },
}

fn leap_text_vi(leap: Option<u8>) -> String {
    match leap {
        Some(m) => format!("năm đó nhuận tháng {m}"),
        None => "năm đó không có tháng nhuận".to_string(),
    }
}

fn leap_text_en(leap: Option<u8>) -> String {
    match leap {
        Some(m) => format!("that year's leap month is {m}"),
        None => "that year has no leap month".to_string(),
    }
}
