//! The instance and plan formats, as read and written by `doorstep plan` and
//! by the benchmark tools (`validate.py`, the peer adapters).
//!
//! Times are RFC 3339 strings with an offset and whole minutes. Fields other
//! tools do not know (`pinned`, `skills`, the reasons' sentences, `stats`) are
//! optional, so files stay interchangeable.

use serde::{Deserialize, Serialize};

/// A point on the map, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

/// A time interval `[start, end]` as RFC 3339 strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    /// Start, RFC 3339 with offset.
    pub start: String,
    /// End, RFC 3339 with offset.
    pub end: String,
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
pub struct Volunteer {
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
    pub shifts: Vec<Interval>,
}

/// A household to visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
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
    pub windows: Vec<Interval>,
}

/// A visit fixed by the team leader: kept exactly by the planner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinned {
    /// Household id.
    pub household: String,
    /// Volunteer id.
    pub volunteer: String,
    /// Start, RFC 3339; the end follows from the service minutes.
    pub start: String,
}

/// The planning horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Horizon {
    /// First instant.
    pub start: String,
    /// Last instant.
    pub end: String,
}

/// A planning problem as a file: one team over a horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
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
    pub horizon: Horizon,
    /// The travel model.
    #[serde(default)]
    pub travel: TravelModel,
    /// Team members.
    pub volunteers: Vec<Volunteer>,
    /// Households.
    pub households: Vec<Household>,
    /// Optional: the skill vocabulary; default `vneid`, `e_payment`,
    /// `scam_awareness`, `public_services`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<String>>,
    /// Optional: visits fixed in advance, kept exactly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pinned: Vec<Pinned>,
}

/// A planned visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// Household id.
    pub household: String,
    /// Volunteer id.
    pub volunteer: String,
    /// Start, RFC 3339 with the offset of the instance's zone at that instant.
    pub start: String,
    /// End = start + service minutes.
    pub end: String,
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
pub struct Plan {
    /// Visits, sorted by volunteer and start.
    pub visits: Vec<Visit>,
    /// Households left out, each with a reason.
    pub unmet: Vec<Unmet>,
    /// Figures (extra field; other tools ignore it).
    #[serde(default)]
    pub stats: PlanStats,
}
