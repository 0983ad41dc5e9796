//! The register's records as the domain sees them: what the store keeps of a
//! household, a resident, a need, a member, a user and an area, with the
//! vocabularies typed. The store reads and writes these; nothing above it
//! sees a database row.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{AreaLevel, ConsentAction, Language, MemberRole, NeedStatus, NeedStep, OutcomeResult};
use crate::{Presence, Skill, UserRole};

/// A household of a team's register.
#[derive(Clone, Debug, PartialEq)]
pub struct Household {
    /// Its id (0 before it is first saved).
    pub id: i32,
    /// The team that visits it.
    pub team_id: i32,
    /// Its village, when known.
    pub village_id: Option<i32>,
    /// The register's key.
    pub external_id: String,
    /// The address as written.
    pub address: String,
    /// Latitude, when located.
    pub latitude: Option<f64>,
    /// Longitude, when located.
    pub longitude: Option<f64>,
    /// Priority set by the leader (0–10).
    pub priority: Option<i32>,
    /// Minutes a visit takes, when not the default.
    pub service_minutes: Option<i32>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A resident of a household.
#[derive(Clone, Debug, PartialEq)]
pub struct Resident {
    /// Its id (0 before it is first saved).
    pub id: i32,
    /// Their household.
    pub household_id: i32,
    /// The register's key.
    pub external_id: String,
    /// Full name.
    pub full_name: String,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Phone number.
    pub phone: Option<String>,
    /// Where they are.
    pub presence: Presence,
    /// Country, when abroad (ISO 3166 alpha-2).
    pub country: Option<String>,
    /// Their own time zone (IANA), when not their country's.
    pub timezone: Option<String>,
    /// Their availability rule, as checked JSON.
    pub availability: Option<String>,
    /// When consent was recorded.
    pub consent_at: Option<DateTime<Utc>>,
    /// Who recorded it.
    pub consent_by: Option<String>,
    /// The text they agreed to.
    pub consent_text: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Visits at which they were not met.
    pub attempts: i32,
    /// The last of those.
    pub last_attempt_at: Option<DateTime<Utc>>,
}

/// One step a resident needs help with.
#[derive(Clone, Debug, PartialEq)]
pub struct Need {
    /// Its id.
    pub id: i32,
    /// The resident.
    pub resident_id: i32,
    /// The step.
    pub step: NeedStep,
    /// Where it stands.
    pub status: NeedStatus,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Who changed it.
    pub updated_by: Option<String>,
    /// The last visit's result for it.
    pub last_result: Option<OutcomeResult>,
    /// The appointment it waits for.
    pub appointment_on: Option<NaiveDate>,
}

/// A member of a team.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// Its id (0 before it is first saved).
    pub id: i32,
    /// The team.
    pub team_id: i32,
    /// Full name.
    pub full_name: String,
    /// Leader or volunteer.
    pub role: MemberRole,
    /// Where the daily list is sent.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Skills.
    pub skills: Vec<Skill>,
    /// Most visits a day.
    pub daily_visit_cap: i32,
    /// Makes video calls.
    pub remote_capable: bool,
    /// Home latitude.
    pub home_latitude: Option<f64>,
    /// Home longitude.
    pub home_longitude: Option<f64>,
    /// Free time, as an availability rule (checked JSON).
    pub availability: Option<String>,
    /// Takes part in plans.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The language of their messages.
    pub language: Language,
}

/// A user who signs in.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    /// Its id.
    pub id: i32,
    /// Sign-in name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// What they may do.
    pub role: UserRole,
    /// A leader's or volunteer's team.
    pub team_id: Option<i32>,
    /// An official's area.
    pub area_id: Option<i32>,
    /// A volunteer's member record.
    pub member_id: Option<i32>,
    /// E-mail address.
    pub email: Option<String>,
    /// The password's Argon2 hash (PHC string).
    pub password_hash: String,
    /// May sign in.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The language of their pages.
    pub language: Language,
}

/// A province, commune or village.
#[derive(Clone, Debug, PartialEq)]
pub struct Area {
    /// Its id.
    pub id: i32,
    /// The area it belongs to.
    pub parent_id: Option<i32>,
    /// Its level.
    pub level: AreaLevel,
    /// The official code.
    pub code: Option<String>,
    /// The current name.
    pub name: String,
    /// Former names (since the 2025 mergers).
    pub aliases: Vec<String>,
    /// Centre latitude.
    pub latitude: Option<f64>,
    /// Centre longitude.
    pub longitude: Option<f64>,
}

/// A consent given or withdrawn.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsentEntry {
    /// Given or withdrawn.
    pub action: ConsentAction,
    /// The version of the text.
    pub text_version: String,
    /// The text.
    pub text: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// One result recorded for a resident at a visit.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeEntry {
    /// The visit.
    pub visit_id: i32,
    /// The need it was for; `None` for every need of the visit.
    pub need: Option<String>,
    /// What happened.
    pub result: OutcomeResult,
    /// The appointment made.
    pub appointment_on: Option<NaiveDate>,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// A volunteer's note at a visit.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitNote {
    /// The visit.
    pub visit_id: i32,
    /// The note.
    pub note: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// A time a plan left a household (or one of its residents) out.
#[derive(Clone, Debug, PartialEq)]
pub struct UnmetEntry {
    /// The plan.
    pub plan_id: i32,
    /// Why.
    pub reason: crate::UnmetReason,
    /// In Vietnamese.
    pub explanation_vi: String,
    /// In English.
    pub explanation_en: String,
}

/// A community digital-technology team.
#[derive(Clone, Debug, PartialEq)]
pub struct Team {
    /// Its id.
    pub id: i32,
    /// The commune or ward it serves.
    pub area_id: i32,
    /// Its name.
    pub name: String,
    /// Its IANA time zone.
    pub timezone: String,
    /// The tide station of its port, when it has one.
    pub tide_station: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    /// Its id, in the order written (pages go by it).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: a user's sign-in name or a process (`cli`, `demo`, `mail`).
    pub actor: String,
    /// What: `record_outcome`, `publish_plan`, `import_register`, …
    pub action: String,
    /// On what kind of record.
    pub entity: String,
    /// Its id.
    pub entity_id: Option<i32>,
    /// The team whose data it touched.
    pub team_id: Option<i32>,
    /// Counts and ids (never names or phone numbers); null when none.
    pub detail: serde_json::Value,
}
