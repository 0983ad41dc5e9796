//! The Vietnamese lunar calendar: a table of month starts built once from
//! the astronomy, and conversions that are binary searches in it.

use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};

use crate::Error;
use crate::moon::{self, Phase};
use crate::sun;
use crate::time::{
    VIETNAM_OFFSET_DAYS, date_of_day_number, day_number, tt_to_ut, vietnam_day_number,
};

/// The first civil date the calendar converts: 1800-01-01.
pub const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1800, 1, 1) {
    Some(d) => d,
    None => unreachable!(),
};

/// The last civil date the calendar converts: 2199-12-31.
pub const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2199, 12, 31) {
    Some(d) => d,
    None => unreachable!(),
};

/// A date of the Vietnamese lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LunarDate {
    /// The lunar year's number: the Gregorian year in which its Tết falls.
    pub year: i32,
    /// The month, 1–12.
    pub month: u8,
    /// Whether the month is the leap month (tháng nhuận) that repeats `month`.
    pub leap: bool,
    /// The day of the month, 1–30.
    pub day: u8,
}

impl LunarDate {
    /// A lunar date, not yet checked against the calendar (see [`to_solar`]).
    pub fn new(year: i32, month: u8, day: u8, leap: bool) -> Self {
        LunarDate {
            year,
            month,
            leap,
            day,
        }
    }

    /// The can chi name of the lunar year (2026: "Bính Ngọ").
    pub fn year_name(&self) -> String {
        crate::year_name(self.year)
    }

    /// The can chi name of the lunar month.
    pub fn month_name(&self) -> String {
        crate::month_name(self.year, self.month)
    }
}

impl std::fmt::Display for LunarDate {
    /// `15/8/2026`, or `1/11 nhuận/2033` in a leap month.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.leap {
            write!(f, "{}/{} nhuận/{}", self.day, self.month, self.year)
        } else {
            write!(f, "{}/{}/{}", self.day, self.month, self.year)
        }
    }
}

/// One lunar month of the table.
#[derive(Debug, Clone, Copy)]
struct Month {
    /// Julian day number of its first day.
    start: i32,
    year: i32,
    number: u8,
    leap: bool,
}

/// The month table: every lunar month from month 11 of 1798 to the month
/// before month 11 of 2200, plus a sentinel holding the start of the next.
struct Table {
    months: Vec<Month>,
    /// Index in `months` of month 1 of each lunar year from `FIRST_YEAR`.
    new_years: Vec<usize>,
}

/// The first lunar year whose Tết the table holds.
const FIRST_YEAR: i32 = 1799;
/// Gregorian years whose December solstice opens a period in the table.
const FIRST_SOLSTICE: i32 = 1798;
const LAST_SOLSTICE: i32 = 2200;

static TABLE: OnceLock<Table> = OnceLock::new();

fn table() -> &'static Table {
    TABLE.get_or_init(build)
}

/// Builds the month table now, so that later calls do not pay for it.
///
/// Every function of the calendar builds it on first use (under a
/// millisecond, see the benchmark); call this at start-up to move that cost.
pub fn prepare() {
    table();
}

/// The civil day (UTC+7) of the new moon of lunation `k`.
fn new_moon_day(k: f64) -> i32 {
    vietnam_day_number(tt_to_ut(moon::phase_jde(k, Phase::New)))
}

/// The civil day (UTC+7) on which the sun reaches `degrees` of apparent
/// longitude after the March equinox of Gregorian `year`.
fn solar_term_day(degrees: f64, year: i32) -> i32 {
    match sun::tabulated_term(degrees, year) {
        Some(jde) => vietnam_day_number(tt_to_ut(jde)),
        None => computed_term_day(degrees, year),
    }
}

/// As [`solar_term_day`] without the table (before 1800 and after 2199).
///
/// The low-accuracy sun (±15 minutes) settles the day unless the instant is
/// within an hour of local midnight; only then is the VSOP87 sun computed.
fn computed_term_day(degrees: f64, year: i32) -> i32 {
    let rough = sun::longitude_instant_rough(degrees, sun::longitude_guess(degrees, year));
    let local = tt_to_ut(rough) + 0.5 + VIETNAM_OFFSET_DAYS;
    let hour = (local - local.floor()) * 24.0;
    if (1.0..23.0).contains(&hour) {
        return local.floor() as i32;
    }
    let jde = sun::longitude_instant(degrees, rough);
    vietnam_day_number(tt_to_ut(jde))
}

fn build() -> Table {
    // Month starts from before the first solstice to after the last one.
    let first_k = moon::lunation_near(2_378_000.5) - 2.0; // ~1798-09
    let last_k = moon::lunation_near(2_525_000.5) + 2.0; // ~2201-02
    let count = (last_k - first_k) as usize + 1;
    let starts: Vec<i32> = (0..count)
        .map(|i| new_moon_day(first_k + i as f64))
        .collect();

    // Index of month 11 for each December solstice.
    let month_eleven: Vec<usize> = (FIRST_SOLSTICE..=LAST_SOLSTICE)
        .map(|year| {
            let solstice = solar_term_day(270.0, year);
            starts.partition_point(|&s| s <= solstice) - 1
        })
        .collect();

    let mut months = Vec::with_capacity(count);
    let mut new_years = Vec::with_capacity(month_eleven.len());
    for (offset, pair) in month_eleven.windows(2).enumerate() {
        let year = FIRST_SOLSTICE + offset as i32;
        let (a, b) = (pair[0], pair[1]);
        let leap = if b - a == 13 {
            Some(leap_index(&starts, a, b, year))
        } else {
            None
        };
        let mut number = 11u8;
        let mut lunar_year = year;
        for (i, &start) in starts.iter().enumerate().take(b).skip(a) {
            let is_leap = Some(i) == leap;
            if i > a && !is_leap {
                number = number % 12 + 1;
                if number == 1 {
                    lunar_year = year + 1;
                    new_years.push(months.len());
                }
            }
            months.push(Month {
                start,
                year: lunar_year,
                number,
                leap: is_leap,
            });
        }
    }
    let last = month_eleven[month_eleven.len() - 1];
    months.push(Month {
        start: starts[last],
        year: LAST_SOLSTICE,
        number: 11,
        leap: false,
    });
    Table { months, new_years }
}

/// The leap month of the 13-month period from the month-11 start `a` to the
/// next one `b` that begins with the solstice of Gregorian `year`: the first
/// month after month 11 that contains no major solar term (trung khí, the sun
/// at a multiple of 30°).
fn leap_index(starts: &[i32], a: usize, b: usize, year: i32) -> usize {
    // Major terms from 300° (after this solstice) to 270° of the next year.
    let terms: Vec<i32> = (1..=12)
        .map(|j| solar_term_day(270.0 + 30.0 * f64::from(j), year))
        .collect();
    (a + 1..b)
        .find(|&i| !terms.iter().any(|&t| starts[i] <= t && t < starts[i + 1]))
        .expect("a 13-month year has a month without a major solar term")
}

fn check_date(date: NaiveDate) -> Result<(), Error> {
    if (FIRST_DATE..=LAST_DATE).contains(&date) {
        Ok(())
    } else {
        Err(Error::DateOutOfRange { date })
    }
}

/// Index of the month containing Julian day number `jdn` (in range).
fn month_index(t: &Table, jdn: i32) -> usize {
    t.months.partition_point(|m| m.start <= jdn) - 1
}

/// The lunar date of a civil date (Vietnam, UTC+7).
///
/// ```
/// use chrono::NaiveDate;
/// use doorstep_lunar::{to_lunar, LunarDate};
/// let date = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
/// assert_eq!(to_lunar(date).unwrap(), LunarDate::new(2026, 10, 20, false));
/// ```
///
/// # Errors
///
/// [`Error::DateOutOfRange`] outside 1800-01-01 to 2199-12-31.
pub fn to_lunar(date: NaiveDate) -> Result<LunarDate, Error> {
    check_date(date)?;
    let t = table();
    let jdn = day_number(date);
    let m = t.months[month_index(t, jdn)];
    Ok(LunarDate {
        year: m.year,
        month: m.number,
        leap: m.leap,
        day: (jdn - m.start + 1) as u8,
    })
}

/// The index of the month `month` (leap or not) of lunar year `year`.
fn find_month(year: i32, month: u8, leap: bool) -> Result<usize, Error> {
    if !(1..=12).contains(&month) {
        return Err(Error::InvalidLunarMonth { month });
    }
    let t = table();
    let first = lunar_bounds().0.year;
    let last = lunar_bounds().1.year;
    if year < first || year > last {
        return Err(Error::LunarYearOutOfRange { year });
    }
    let first_index = t.new_years[(year - FIRST_YEAR) as usize];
    let found = t.months[first_index..]
        .iter()
        .take(13)
        .position(|m| m.year == year && m.number == month && m.leap == leap)
        .map(|i| first_index + i);
    match found {
        Some(i) => Ok(i),
        None if leap => Err(Error::NotLeapMonth {
            year,
            month,
            leap_month: leap_month(year).ok().flatten(),
        }),
        None => unreachable!("every lunar year has months 1 to 12"),
    }
}

/// The civil date of a lunar date.
///
/// ```
/// use chrono::NaiveDate;
/// use doorstep_lunar::{to_solar, LunarDate};
/// // Rằm tháng 8 (mid-autumn) 2026.
/// let date = to_solar(LunarDate::new(2026, 8, 15, false)).unwrap();
/// assert_eq!(date, NaiveDate::from_ymd_opt(2026, 9, 25).unwrap());
/// ```
///
/// # Errors
///
/// [`Error::InvalidLunarMonth`] for a month outside 1–12,
/// [`Error::NotLeapMonth`] when `leap` is set on a month that is not leap that
/// year, [`Error::InvalidLunarDay`] for a day the month does not have,
/// [`Error::LunarYearOutOfRange`] / [`Error::LunarDateOutOfRange`] outside the
/// lunar dates of 1800-01-01 to 2199-12-31.
pub fn to_solar(date: LunarDate) -> Result<NaiveDate, Error> {
    let i = find_month(date.year, date.month, date.leap)?;
    let t = table();
    let length = (t.months[i + 1].start - t.months[i].start) as u8;
    if date.day < 1 || date.day > length {
        return Err(Error::InvalidLunarDay { date, length });
    }
    let solar = date_of_day_number(t.months[i].start + i32::from(date.day) - 1);
    if check_date(solar).is_err() {
        let (first, last) = lunar_bounds();
        return Err(Error::LunarDateOutOfRange { date, first, last });
    }
    Ok(solar)
}

/// The lunar dates of 1800-01-01 and 2199-12-31, the ends of the range.
pub fn lunar_bounds() -> (LunarDate, LunarDate) {
    static BOUNDS: OnceLock<(LunarDate, LunarDate)> = OnceLock::new();
    *BOUNDS.get_or_init(|| {
        (
            to_lunar(FIRST_DATE).expect("in range"),
            to_lunar(LAST_DATE).expect("in range"),
        )
    })
}

/// The number of days (29 or 30) of month `month` of lunar year `year`.
///
/// # Errors
///
/// As [`to_solar`] for the month.
pub fn month_length(year: i32, month: u8, leap: bool) -> Result<u8, Error> {
    let i = find_month(year, month, leap)?;
    let t = table();
    Ok((t.months[i + 1].start - t.months[i].start) as u8)
}

/// The leap month of lunar year `year`, if it has one (`Some(4)`: a leap
/// month 4 follows month 4).
///
/// A leap month 11 or 12 belongs to the year that it ends: the leap month
/// 11 of late 2033 is `leap_month(2033) == Ok(Some(11))`.
///
/// # Errors
///
/// [`Error::LunarYearOutOfRange`] outside 1799–2199.
pub fn leap_month(year: i32) -> Result<Option<u8>, Error> {
    let t = table();
    if year < FIRST_YEAR || year > LAST_DATE.year() {
        return Err(Error::LunarYearOutOfRange { year });
    }
    let first_index = t.new_years[(year - FIRST_YEAR) as usize];
    Ok(t.months[first_index..]
        .iter()
        .take_while(|m| m.year == year)
        .find(|m| m.leap)
        .map(|m| m.number))
}

/// The months of lunar year `year` in order: (month, leap, first civil day,
/// length in days).
///
/// # Errors
///
/// [`Error::LunarYearOutOfRange`] outside 1799–2199.
pub fn months_of_year(year: i32) -> Result<Vec<LunarMonth>, Error> {
    let t = table();
    if year < FIRST_YEAR || year > LAST_DATE.year() {
        return Err(Error::LunarYearOutOfRange { year });
    }
    let first_index = t.new_years[(year - FIRST_YEAR) as usize];
    Ok(t.months[first_index..]
        .windows(2)
        .take_while(|w| w[0].year == year)
        .map(|w| LunarMonth {
            year,
            month: w[0].number,
            leap: w[0].leap,
            first_day: date_of_day_number(w[0].start),
            length: (w[1].start - w[0].start) as u8,
        })
        .collect())
}

/// One month of a lunar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarMonth {
    /// The lunar year.
    pub year: i32,
    /// The month number, 1–12.
    pub month: u8,
    /// Whether this is the leap month repeating `month`.
    pub leap: bool,
    /// The civil date of its day 1.
    pub first_day: NaiveDate,
    /// Its number of days, 29 or 30.
    pub length: u8,
}

/// An inclusive range of civil dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateRange {
    /// The first day.
    pub start: NaiveDate,
    /// The last day (included).
    pub end: NaiveDate,
}

/// Walks the civil days `from..=to` (clipped to nothing if `from > to`) and
/// returns the runs of consecutive days whose lunar (month, leap, day)
/// satisfies `keep`.
fn runs(
    from: NaiveDate,
    to: NaiveDate,
    keep: impl Fn(u8, bool, u8) -> bool,
) -> Result<Vec<DateRange>, Error> {
    check_date(from)?;
    check_date(to)?;
    let mut out: Vec<(i32, i32)> = Vec::new();
    if from > to {
        return Ok(Vec::new());
    }
    let t = table();
    let (lo, hi) = (day_number(from), day_number(to));
    let mut i = month_index(t, lo);
    while t.months[i].start <= hi {
        let m = t.months[i];
        let end = t.months[i + 1].start;
        for jdn in m.start.max(lo)..end.min(hi + 1) {
            if keep(m.number, m.leap, (jdn - m.start + 1) as u8) {
                match out.last_mut() {
                    Some(last) if last.1 + 1 == jdn => last.1 = jdn,
                    _ => out.push((jdn, jdn)),
                }
            }
        }
        i += 1;
    }
    Ok(out
        .into_iter()
        .map(|(a, b)| DateRange {
            start: date_of_day_number(a),
            end: date_of_day_number(b),
        })
        .collect())
}

/// The civil date ranges, within `from..=to`, whose lunar day of the month is
/// in `first_day..=last_day`: "lunar days 13–18 of every month".
///
/// The range may wrap: `(28, 2)` is day 28 to the end of the month and days
/// 1–2 of the next (one range across the month boundary). A day the month
/// does not have (30 in a 29-day month) is simply absent.
///
/// ```
/// use chrono::NaiveDate;
/// use doorstep_lunar::lunar_days_between;
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// let ranges = lunar_days_between(d(2026, 9, 1), d(2026, 10, 31), 13, 18).unwrap();
/// assert_eq!((ranges[0].start, ranges[0].end), (d(2026, 9, 23), d(2026, 9, 28)));
/// ```
///
/// # Errors
///
/// [`Error::InvalidLunarDayRange`] unless both days are 1–30;
/// [`Error::DateOutOfRange`] for dates outside 1800-01-01 to 2199-12-31.
pub fn lunar_days_between(
    from: NaiveDate,
    to: NaiveDate,
    first_day: u8,
    last_day: u8,
) -> Result<Vec<DateRange>, Error> {
    for day in [first_day, last_day] {
        if !(1..=30).contains(&day) {
            return Err(Error::InvalidLunarDayRange { day });
        }
    }
    runs(from, to, |_, _, d| {
        if first_day <= last_day {
            (first_day..=last_day).contains(&d)
        } else {
            d >= first_day || d <= last_day
        }
    })
}

/// A lunar month and day without a year, such as 23/12 (ông Công ông Táo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LunarMonthDay {
    /// The month, 1–12.
    pub month: u8,
    /// The day, 1–30.
    pub day: u8,
}

impl LunarMonthDay {
    /// A month and day.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLunarMonth`] or [`Error::InvalidLunarDayRange`] when the
    /// month is not 1–12 or the day not 1–30.
    pub fn new(month: u8, day: u8) -> Result<Self, Error> {
        if !(1..=12).contains(&month) {
            return Err(Error::InvalidLunarMonth { month });
        }
        if !(1..=30).contains(&day) {
            return Err(Error::InvalidLunarDayRange { day });
        }
        Ok(LunarMonthDay { month, day })
    }

    /// Position in the year; a leap month sorts after the month it repeats.
    fn key(month: u8, leap: bool, day: u8) -> u32 {
        (u32::from(month) * 2 + u32::from(leap)) * 32 + u32::from(day)
    }
}

impl std::str::FromStr for LunarMonthDay {
    type Err = Error;

    /// Parses `MM-DD`, e.g. `12-23`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::InvalidMonthDay {
            text: s.to_string(),
        };
        let (m, d) = s.split_once('-').ok_or_else(bad)?;
        let month = m.parse::<u8>().map_err(|_| bad())?;
        let day = d.parse::<u8>().map_err(|_| bad())?;
        LunarMonthDay::new(month, day)
    }
}

/// The civil date ranges, within `from..=to`, from lunar `start` to lunar
/// `end` each year: "23/12 to 10/1 each year" (the Tết season).
///
/// A day belongs when its lunar (month, day) lies between `start` and `end`
/// inclusive in the order of the lunar year, wrapping over the new year when
/// `end` comes before `start`; a leap month sorts right after the month it
/// repeats, so 1/4–30/4 does not include a leap month 4 but 1/4–1/5 does.
///
/// ```
/// use chrono::NaiveDate;
/// use doorstep_lunar::{lunar_dates_each_year, LunarMonthDay};
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// let tet = lunar_dates_each_year(
///     d(2026, 1, 1),
///     d(2026, 12, 31),
///     "12-23".parse().unwrap(),
///     "01-10".parse().unwrap(),
/// )
/// .unwrap();
/// assert_eq!((tet[0].start, tet[0].end), (d(2026, 2, 10), d(2026, 2, 26)));
/// ```
///
/// # Errors
///
/// [`Error::DateOutOfRange`] for dates outside 1800-01-01 to 2199-12-31.
pub fn lunar_dates_each_year(
    from: NaiveDate,
    to: NaiveDate,
    start: LunarMonthDay,
    end: LunarMonthDay,
) -> Result<Vec<DateRange>, Error> {
    let s = LunarMonthDay::key(start.month, false, start.day);
    let e = LunarMonthDay::key(end.month, false, end.day);
    runs(from, to, |month, leap, day| {
        let k = LunarMonthDay::key(month, leap, day);
        if s <= e {
            s <= k && k <= e
        } else {
            k >= s || k <= e
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn issue_example() {
        assert_eq!(
            to_lunar(d(2026, 11, 28)).unwrap(),
            LunarDate::new(2026, 10, 20, false)
        );
        assert_eq!(
            to_solar(LunarDate::new(2026, 8, 15, false)).unwrap(),
            d(2026, 9, 25)
        );
    }

    #[test]
    fn rough_first_answer_gives_the_same_days() {
        for year in FIRST_SOLSTICE..=LAST_SOLSTICE {
            for j in 0..12 {
                let degrees = f64::from(j * 30);
                let jde = sun::longitude_instant(degrees, sun::longitude_guess(degrees, year));
                assert_eq!(
                    computed_term_day(degrees, year),
                    vietnam_day_number(tt_to_ut(jde)),
                    "{year} {degrees}°"
                );
            }
        }
    }

    #[test]
    fn range_edges() {
        assert!(to_lunar(FIRST_DATE).is_ok());
        assert!(to_lunar(LAST_DATE).is_ok());
        assert!(matches!(
            to_lunar(d(1799, 12, 31)),
            Err(Error::DateOutOfRange { .. })
        ));
        assert!(matches!(
            to_lunar(d(2200, 1, 1)),
            Err(Error::DateOutOfRange { .. })
        ));
    }
}
