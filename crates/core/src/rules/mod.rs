//! Availability rules: when a resident can be visited in person or reached
//! remotely, written as patterns ("ashore around rằm, 07:00–20:00, not near
//! high water") and expanded into exact windows.
//!
//! A [`Rule`] is data (JSON, stored with the resident). [`Rule::parse`] reads
//! it and reports every problem at once with its JSON path
//! (`when[0].hours[1]: expected HH:MM, got "25:00"`); [`validate_rule_json`]
//! is the cheap check the store runs before saving. [`ExpansionContext`]
//! holds what residents share over one horizon — the lunar date of each
//! civil day, the moon's phases, each station's tide, each zone's offsets —
//! and [`ExpansionContext::expand`] turns a rule into sorted, disjoint
//! windows, exact to the minute. [`describe`] says a rule in Vietnamese or
//! English, and [`presets`] gives the patterns a leader starts from.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use doorstep_core::rules::{ExpansionContext, Lang, Rule, RuleContext, describe};
//!
//! let json = serde_json::json!({
//!     "mode": "remote",
//!     "when": [{"weekdays": ["sat", "sun"], "hours": ["19:00", "22:00"], "timezone": "Asia/Seoul"}]
//! });
//! let rule = Rule::parse(&json, &RuleContext::default()).unwrap();
//! assert_eq!(
//!     describe(&rule, Lang::Vi),
//!     "Gọi từ xa vào thứ Bảy, Chủ nhật, 19:00–22:00 giờ Hàn Quốc"
//! );
//!
//! let from = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap(); // 1/12 00:00 in Vietnam
//! let to = Utc.with_ymd_and_hms(2026, 12, 7, 17, 0, 0).unwrap();
//! let ctx = ExpansionContext::new(from, to, chrono_tz::Asia::Ho_Chi_Minh, Default::default()).unwrap();
//! let windows = ctx.expand(&rule).unwrap();
//! assert_eq!(windows.len(), 2); // Saturday 5 and Sunday 6 December
//! assert_eq!(windows[0].start(), Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap());
//! ```
//!
//! The language, its meaning and one worked example per user story are in
//! `docs/availability.md`.
//!
//! # Errors
//!
//! Parsing returns every [`RuleError`]; expansion returns an
//! [`ExpandError`] only for what a validated rule cannot guard against (a
//! station missing from the catalog, a horizon outside 1800–2199).

mod expand;
mod parse;
pub mod presets;
mod render;

use chrono::{NaiveDate, NaiveDateTime, Weekday};
use chrono_tz::Tz;
use doorstep_lunar::{LunarMonthDay, Phase};
use doorstep_tide::ExtremeKind;

pub use crate::domain::VisitMode;
pub use expand::{ExpandError, ExpansionContext, Explanation, Window};
pub use parse::{RuleContext, RuleError, validate_blackout_json, validate_rule_json};
pub use render::{Lang, describe, describe_blackout, describe_term};

/// The version of the rule language this crate reads and writes.
pub const RULE_VERSION: u32 = 1;

/// An availability rule: the union of the `when` terms minus the union of
/// the `except` terms, in one mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The language version (`1`).
    pub version: u32,
    /// In person or remote.
    pub mode: VisitMode,
    /// Terms whose windows are added together.
    pub when: Vec<Term>,
    /// Terms whose windows are taken away.
    pub except: Vec<Term>,
}

/// One term: the intersection of its keys. A term has at least one key that
/// selects time (every key but `timezone` and `label`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Term {
    /// Lunar days of the month, inclusive, may wrap (`[28, 2]`).
    pub lunar_days: Option<(u8, u8)>,
    /// Lunar month-days of every year, inclusive, may wrap over Tết.
    pub lunar_dates: Option<(LunarMonthDay, LunarMonthDay)>,
    /// Days around a phase of the moon.
    pub around_moon: Option<AroundMoon>,
    /// Civil dates, inclusive.
    pub dates: Option<(NaiveDate, NaiveDate)>,
    /// Days of the week.
    pub weekdays: Option<Vec<Weekday>>,
    /// Time of day, `[start, end)`, crossing midnight when end ≤ start.
    pub hours: Option<Hours>,
    /// A stretch of local date-times `[start, end)`, for one-off periods
    /// (a storm warning from Friday 18:00 to Sunday noon).
    pub between: Option<(NaiveDateTime, NaiveDateTime)>,
    /// A condition on the tide at a station.
    pub tide: Option<TideCondition>,
    /// The zone in which `dates`, `weekdays`, `hours` and `between` are
    /// read; `None` is the team's.
    pub timezone: Option<Tz>,
    /// A name for people ("bão số 3"); it changes nothing.
    pub label: Option<String>,
}

impl Term {
    /// True when the term has a key that selects time.
    pub fn selects(&self) -> bool {
        self.lunar_days.is_some()
            || self.lunar_dates.is_some()
            || self.around_moon.is_some()
            || self.dates.is_some()
            || self.weekdays.is_some()
            || self.hours.is_some()
            || self.between.is_some()
            || self.tide.is_some()
    }

    /// True when the term selects civil days (with or without hours).
    fn has_day_keys(&self) -> bool {
        self.lunar_days.is_some()
            || self.lunar_dates.is_some()
            || self.around_moon.is_some()
            || self.dates.is_some()
            || self.weekdays.is_some()
    }
}

/// A time of day range in minutes after midnight: `start` in 0..1440, `end`
/// in 0..=1440. When `end <= start` the range runs into the next day (equal
/// ends: 24 hours from `start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hours {
    start: u16,
    end: u16,
}

impl Hours {
    /// A range from minutes after midnight; `None` unless `start < 1440` and
    /// `end <= 1440`.
    pub fn new(start: u16, end: u16) -> Option<Hours> {
        (start < 1440 && end <= 1440).then_some(Hours { start, end })
    }

    /// Minutes after midnight of the start.
    pub fn start(self) -> u16 {
        self.start
    }

    /// Minutes after midnight of the end (1440 is the next midnight).
    pub fn end(self) -> u16 {
        self.end
    }

    /// True when the range runs past midnight into the next day.
    pub fn crosses_midnight(self) -> bool {
        self.end <= self.start
    }

    /// Minutes from the start of the day to the end, in `start+1 ..= start+1440`.
    fn end_after_start(self) -> i64 {
        if self.crosses_midnight() {
            i64::from(self.end) + 1440
        } else {
            i64::from(self.end)
        }
    }
}

/// The days from `days_before` before to `days_after` after the civil day
/// (Vietnam, UTC+7) of a phase of the moon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AroundMoon {
    /// The phase: full (rằm, trăng tròn) or new (mùng 1, trăng non); the
    /// quarters are accepted too.
    pub phase: Phase,
    /// Days before the phase's day, 0–15.
    pub days_before: u8,
    /// Days after the phase's day, 0–15.
    pub days_after: u8,
}

/// A condition on the tide at one station.
#[derive(Debug, Clone, PartialEq)]
pub struct TideCondition {
    /// The station id (`config/stations/<id>.toml`).
    pub station: String,
    /// What the water does.
    pub level: TideLevel,
}

/// What the water does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TideLevel {
    /// Higher than this many metres above the station's datum.
    Above(f64),
    /// Lower than this many metres above the station's datum.
    Below(f64),
    /// Within `within_minutes` either side of a high (or low) water.
    Near {
        /// High or low water.
        kind: ExtremeKind,
        /// Minutes either side, 1–720.
        within_minutes: u32,
    },
}

/// A period a leader enters for a whole team or village — a storm, a
/// fishing ban — during which nobody is visited (or only in one mode). It is
/// one term (usually `dates` or `between`) with a required label.
#[derive(Debug, Clone, PartialEq)]
pub struct Blackout {
    /// What it is ("bão số 3"), shown to people.
    pub label: String,
    /// The mode it stops; `None` stops both.
    pub mode: Option<VisitMode>,
    /// When it is.
    pub term: Term,
}

impl Blackout {
    /// True when the blackout applies to windows of `mode`.
    pub fn applies_to(&self, mode: VisitMode) -> bool {
        self.mode.is_none_or(|m| m == mode)
    }
}
