//! The instance and plan formats, as read and written by `doorstep plan` and
//! by the benchmark tools (`validate.py`, the peer adapters).
//!
//! In files, times are RFC 3339 strings with an offset and whole minutes
//! (`Instance`, `Plan`: the time parameter's default, `String`); a caller in
//! the same process writes them as `DateTime<Utc>` (`Instance<DateTime<Utc>>`)
//! and gets its plan back the same way, with no text in between. Fields other
//! tools do not know (`pinned`, `skills`, the reasons' sentences, `stats`) are
//! optional, so files stay interchangeable.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How an instant is written in an instance or a plan: RFC 3339 text in
/// files, `DateTime<Utc>` in process.
pub trait Time: Clone + fmt::Debug + fmt::Display + PartialEq {
    /// Minutes since the Unix epoch.
    ///
    /// # Errors
    /// What is wrong (not RFC 3339, not a whole minute) and the form expected.
    fn to_minutes(&self) -> Result<i64, String>;
    /// The instant `minute` (minutes since the epoch), written with the
    /// given offset where the form has one.
    fn from_minutes(minute: i64, offset_minutes: i32) -> Self;
    /// The offset the instant is written with, in minutes east of UTC; `None`
    /// for text that does not read.
    fn offset_minutes(&self) -> Option<i32>;
}

impl Time for String {
    fn to_minutes(&self) -> Result<i64, String> {
        crate::problem::parse_minutes(self)
    }

    fn from_minutes(minute: i64, offset_minutes: i32) -> Self {
        crate::problem::format_minutes(minute, offset_minutes)
    }

    fn offset_minutes(&self) -> Option<i32> {
        DateTime::parse_from_rfc3339(self.trim())
            .ok()
            .map(|t| t.offset().local_minus_utc() / 60)
    }
}

impl Time for DateTime<Utc> {
    fn to_minutes(&self) -> Result<i64, String> {
        let secs = self.timestamp();
        if secs.rem_euclid(60) != 0 || self.timestamp_subsec_nanos() != 0 {
            return Err(format!("{self} is not a whole minute"));
        }
        Ok(secs.div_euclid(60))
    }

    fn from_minutes(minute: i64, _offset_minutes: i32) -> Self {
        DateTime::from_timestamp(minute * 60, 0).unwrap_or_default()
    }

    fn offset_minutes(&self) -> Option<i32> {
        Some(0)
    }
}

/// A point on the map, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

/// A time interval `[start, end]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval<T = String> {
    /// Start (in files RFC 3339 with offset).
    pub start: T,
    /// End.
    pub end: T,
}

/// The travel model: haversine distance, a detour factor and a speed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TravelModel {
    /// Only `"haversine"` is supported.
    #[serde(default = "default_model")]
    pub model: String,
    /// Travel speed in km/h.
    #[serde(default = "default_speed")]
    pub speed_kmh: f64,
    /// Road distance over straight-line distance.
    #[serde(default = "default_detour")]
    pub detour: f64,
}

fn default_model() -> String {
    "haversine".to_owned()
}
fn default_speed() -> f64 {
    15.0
}
fn default_detour() -> f64 {
    1.3
}

impl Default for TravelModel {
    fn default() -> Self {
        Self {
            model: default_model(),
            speed_kmh: default_speed(),
            detour: default_detour(),
        }
    }
}

/// A team member who visits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volunteer<T = String> {
    /// Unique id.
    pub id: String,
    /// Where each shift starts and ends; remote visits happen here.
    pub home: Point,
    /// Skills, e.g. `vneid`, `e_payment`.
    #[serde(default)]
    pub skills: Vec<String>,
    /// Can make video calls.
    #[serde(default)]
    pub remote: bool,
    /// Visits per calendar day (instance time zone), at most, over all the
    /// shifts of that day.
    pub max_visits_per_day: u32,
    /// Free time. Shifts of one volunteer must not overlap; a day may have
    /// several (07:30–11:30 and 13:30–17:00), which share the day's
    /// `max_visits_per_day`. A visit starts on the calendar day its shift
    /// starts (a shift past midnight is used up to midnight).
    #[serde(default)]
    pub shifts: Vec<Interval<T>>,
}

/// A household to visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household<T = String> {
    /// Unique id.
    pub id: String,
    /// Where in-person visits happen.
    pub location: Point,
    /// 1 (low) to 5 (high).
    pub priority: u32,
    /// Length of a visit in minutes.
    pub service_minutes: u32,
    /// Skills the visiting volunteer must have.
    #[serde(default)]
    pub needs: Vec<String>,
    /// `in_person` or `remote`.
    pub mode: String,
    /// When the household can be visited; a visit lies inside one window.
    #[serde(default)]
    pub windows: Vec<Interval<T>>,
}

/// A visit fixed by the team leader: kept exactly by the planner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinned<T = String> {
    /// Household id.
    pub household: String,
    /// Volunteer id.
    pub volunteer: String,
    /// Start; the end follows from the service minutes.
    pub start: T,
}

/// The planning horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Horizon<T = String> {
    /// First instant.
    pub start: T,
    /// Last instant.
    pub end: T,
}

/// A planning problem as a file: one team over a horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance<T = String> {
    /// A name for reports.
    #[serde(default)]
    pub name: String,
    /// IANA zone of the team, e.g. `Asia/Ho_Chi_Minh`: calendar days (daily
    /// caps, the day of a shift, the days in reasons) are counted in it, by
    /// its rules at each instant (a DST change moves midnight). Without one,
    /// the fixed offset of `horizon.start`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The horizon.
    pub horizon: Horizon<T>,
    /// The travel model.
    #[serde(default)]
    pub travel: TravelModel,
    /// Team members.
    pub volunteers: Vec<Volunteer<T>>,
    /// Households.
    pub households: Vec<Household<T>>,
    /// Optional: the skill vocabulary; default `vneid`, `e_payment`,
    /// `scam_awareness`, `public_services`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<String>>,
    /// Optional: visits fixed in advance, kept exactly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pinned: Vec<Pinned<T>>,
}

/// A planned visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit<T = String> {
    /// Household id.
    pub household: String,
    /// Volunteer id.
    pub volunteer: String,
    /// Start; in files RFC 3339 with the offset of the instance's zone at
    /// that instant.
    pub start: T,
    /// End = start + service minutes.
    pub end: T,
    /// `in_person` or `remote`.
    pub mode: String,
    /// True when the visit was pinned in the instance.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pinned: bool,
}

/// Why a household is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No volunteer has the needed skills (and video calls for remote households).
    NoSkill,
    /// Able volunteers exist, but no shift of theirs fits even a lone visit.
    NoWindow,
    /// A visit would fit alone, but the possible slots went to other households.
    NoCapacity,
}

impl Reason {
    /// The code as written in plans.
    pub fn code(self) -> &'static str {
        match self {
            Reason::NoSkill => "no_skill",
            Reason::NoWindow => "no_window",
            Reason::NoCapacity => "no_capacity",
        }
    }
}

/// A household left out, with its reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmet {
    /// Household id.
    pub household: String,
    /// The reason code.
    pub reason: Reason,
    /// The binding constraint, in Vietnamese.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message_vi: String,
    /// The binding constraint, in English.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message_en: String,
}

/// Figures about a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanStats {
    /// Σ priority of visited households.
    pub objective: u64,
    /// Σ travel minutes over all shifts.
    pub travel_minutes: u64,
    /// Σ priority of households with a feasible lone slot.
    pub upper_bound: u64,
    /// Households visited.
    pub visits: u64,
    /// Households in the instance.
    pub households: u64,
    /// Search iterations run (all threads).
    pub iterations: u64,
    /// Iterations per thread the annealing schedule was planned over: with
    /// the same seed and threads, `--iterations` with this number reproduces
    /// a run that was not cut short by its time limit.
    #[serde(default)]
    pub planned_iterations: u64,
    /// Visits of the least and the most loaded volunteer (among volunteers with shifts).
    pub visits_per_volunteer_min: u64,
    /// See `visits_per_volunteer_min`.
    pub visits_per_volunteer_max: u64,
    /// Visits kept from the hint plan (same household, volunteer and day), if a hint was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_kept: Option<u64>,
    /// Visits of the hint plan that could be kept at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_total: Option<u64>,
}

/// A plan as a file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan<T = String> {
    /// Visits, sorted by volunteer and start.
    pub visits: Vec<Visit<T>>,
    /// Households left out, each with a reason.
    pub unmet: Vec<Unmet>,
    /// Figures (extra field; other tools ignore it).
    #[serde(default)]
    pub stats: PlanStats,
}
