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
//! * **New moons and the other phases**: Jean Meeus, *Astronomical
//!   Algorithms*, 2nd ed. (1998), chapter 49, complete: the mean phase, every
//!   periodic term for new moon, full moon and the quarters (with the
//!   quarters' W correction) and the fourteen additional planetary
//!   corrections. Meeus fitted these series to the ELP-2000/82 lunar theory and
//!   gives their error as a few seconds on average, under about 20 seconds at
//!   worst. The result is in Terrestrial Time (TT).
//! * **Solar terms**: the sun's apparent longitude by Meeus chapter 25
//!   ("higher accuracy"): the VSOP87 Earth longitude series as truncated in
//!   Meeus appendix III (accurate to about 1″), the FK5 correction, nutation
//!   in longitude (the four largest IAU 1980 terms, ±0.5″) and aberration. The
//!   instant of longitude k·15° is found by Newton's method to 1 ms of
//!   iteration; 1″ of longitude is about 24 s of time.
//! * **ΔT = TT − UT**: Espenak & Meeus (2006, NASA TP-2006-214141)
//!   polynomials before 1986, the observed IERS values 1986–2026 (linear
//!   between yearly values), a straight line from the 2026 value to the
//!   Espenak–Meeus value of 2050, then Espenak–Meeus. UT1 is output as UTC
//!   (they differ by less than 0.9 s since 1972).
//!
//! # Error bound
//!
//! Against JPL ephemeris truth (DE421 via skyfield, the fixtures in
//! `tests/data/`), every full moon of 2026–2027 agrees within 20 s (the
//! largest difference is printed by `cargo test -p doorstep-lunar --test
//! fixtures -- --nocapture`), and every lunar date and Tết of 2020–2035
//! matches exactly. The theory error is a few seconds to about 20 s; ΔT adds
//! about 1 s in 1900–2026 and grows outside it (about 10 s around 1800,
//! tens of seconds to minutes by 2100–2199, where no model can do better).
//! A month start is wrong only when a new moon falls within that error of
//! local midnight, which a handful of months in four centuries do.
//!
//! # Speed
//!
//! The calendar is a table of month starts built once, lazily, on the first
//! call (or by [`prepare`]); every conversion afterwards is a binary search.
//! `cargo bench -p doorstep-lunar --bench speed` prints the figures: the
//! table build, all days of 1900–2100 converted, and all phases of
//! 1900–2100.
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
        "\"{text}\" không phải tháng-ngày âm lịch dạng MM-DD (ví dụ 12-23) / \
         \"{text}\" is not a lunar month-day MM-DD (for example 12-23)"
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
