//! Residents' rights: consent given and withdrawn, everything held about a
//! resident exported, and erasure.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, NaiveDate, Utc};
use doorstep_service::residents::{self, ConsentInput, ConsentRecorded, Erased, ResidentData};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, JsonBody, Problem, parse_id};

/// A consent to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveConsent {
    /// Which text the resident agreed to, e.g. `mẫu 01/2025`.
    #[schema(example = "mẫu 01/2025")]
    pub text_version: String,
    /// The text; absent: the text last recorded in the team under this version.
    pub text: Option<String>,
}

/// A consent given or withdrawn.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentEntry {
    /// `given` or `withdrawn`.
    pub action: String,
    /// Which text.
    pub text_version: String,
    /// The text.
    pub text: String,
    /// Who recorded it (`user:12`).
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// The resident's consent after the change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    /// The resident.
    pub resident_id: i32,
    /// Whether they now consent (and are planned).
    pub consent: bool,
    /// What was recorded.
    pub recorded: ConsentEntry,
    /// Visits to come that no longer expect them.
    pub visits_changed: Vec<i32>,
    /// Of them, visits left with nobody and cancelled.
    pub visits_cancelled: Vec<i32>,
}

impl From<ConsentRecorded> for ConsentView {
    fn from(r: ConsentRecorded) -> Self {
        ConsentView {
            resident_id: r.resident.id,
            consent: r.resident.consent_at.is_some(),
            recorded: ConsentEntry {
                action: r.consent.action.code().to_owned(),
                text_version: r.consent.text_version,
                text: r.consent.text,
                recorded_by: r.consent.recorded_by,
                recorded_at: r.consent.recorded_at,
            },
            visits_changed: r.visits_changed,
            visits_cancelled: r.visits_cancelled,
        }
    }
}

/// Records a resident's consent (a member of the team).
#[utoipa::path(put, path = "/api/v1/residents/{resident_id}/consent", tag = "residents",
    params(("resident_id" = i32, Path, description = "The resident")),
    request_body = GiveConsent,
    responses(
        (status = 200, description = "Recorded", body = ConsentView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a member of the team", body = Problem),
        (status = 404, description = "No such resident in your scope", body = Problem),
        (status = 422, description = "Every problem with its field", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn give_consent(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(resident_id): Path<String>,
    JsonBody(body): JsonBody<GiveConsent>,
) -> Result<Json<ConsentView>, ApiError> {
    let resident_id = parse_id("resident_id", &resident_id)?;
    let recorded = residents::give_consent(
        &state.store,
        &user.actor,
        resident_id,
        &ConsentInput {
            text_version: body.text_version,
            text: body.text,
        },
        state.now(),
    )
    .await?;
    Ok(Json(ConsentView::from(recorded)))
}

/// Records that a resident withdrew their consent: planning leaves them out
/// and the visits to come no longer expect them.
#[utoipa::path(delete, path = "/api/v1/residents/{resident_id}/consent", tag = "residents",
    params(("resident_id" = i32, Path, description = "The resident")),
    responses(
        (status = 200, description = "Withdrawn", body = ConsentView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a member of the team", body = Problem),
        (status = 404, description = "No such resident in your scope", body = Problem),
        (status = 409, description = "No consent to withdraw", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn withdraw_consent(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(resident_id): Path<String>,
) -> Result<Json<ConsentView>, ApiError> {
    let resident_id = parse_id("resident_id", &resident_id)?;
    let recorded =
        residents::withdraw_consent(&state.store, &user.actor, resident_id, state.now()).await?;
    Ok(Json(ConsentView::from(recorded)))
}

/// The resident as held.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentHeld {
    /// Id.
    pub id: i32,
    /// The register's key.
    pub external_id: String,
    /// Full name.
    pub full_name: String,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Phone.
    pub phone: Option<String>,
    /// `home`, `at_sea`, `working_away` or `abroad`.
    pub presence: String,
    /// Country, when abroad.
    pub country: Option<String>,
    /// Zone, when abroad.
    pub timezone: Option<String>,
    /// The availability rule as stored.
    #[schema(value_type = Object)]
    pub availability: Option<serde_json::Value>,
    /// When consent was given (null: none now).
    pub consent_at: Option<DateTime<Utc>>,
    /// Who recorded it.
    pub consent_by: Option<String>,
    /// The text agreed to.
    pub consent_text: Option<String>,
    /// Visits that found them away since they were last met.
    pub attempts: i32,
    /// The last of them.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Recorded.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Their household as held.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdHeld {
    /// Id.
    pub id: i32,
    /// The register's key.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// The team serving it.
    pub team_id: i32,
}

/// A need as held.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedHeld {
    /// The step's code.
    pub need: String,
    /// `open`, `done` or `not_applicable`.
    pub status: String,
    /// The last result recorded.
    pub last_result: Option<String>,
    /// An appointment's day.
    pub appointment_on: Option<NaiveDate>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// By whom.
    pub updated_by: Option<String>,
}

/// A visit planned for them.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitHeld {
    /// Id.
    pub id: i32,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// `in_person` or `remote`.
    pub mode: String,
    /// Where it stands.
    pub status: String,
    /// The volunteer.
    pub member_id: i32,
}

/// An outcome recorded for them.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeHeld {
    /// The visit.
    pub visit_id: i32,
    /// The need (null: every need of the visit).
    pub need: Option<String>,
    /// The result.
    pub result: String,
    /// An appointment's day.
    pub appointment_on: Option<NaiveDate>,
    /// Who.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// A volunteer's note of a visit that recorded them.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteHeld {
    /// The visit.
    pub visit_id: i32,
    /// The note.
    pub note: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// A time a plan left them (or their household) out.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmetHeld {
    /// The plan.
    pub plan_id: i32,
    /// The reason's code.
    pub reason: String,
    /// In Vietnamese.
    pub explanation_vi: String,
    /// In English.
    pub explanation_en: String,
}

/// Everything held about one resident.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentExport {
    /// When this document was made.
    pub exported_at: DateTime<Utc>,
    /// Why the data is held.
    pub purpose_vi: String,
    /// Why, in English.
    pub purpose_en: String,
    /// The resident.
    pub resident: ResidentHeld,
    /// Their household.
    pub household: HouseholdHeld,
    /// Their needs.
    pub needs: Vec<NeedHeld>,
    /// Every consent given or withdrawn.
    pub consents: Vec<ConsentEntry>,
    /// Every visit planned for them.
    pub visits: Vec<VisitHeld>,
    /// Every outcome recorded for them.
    pub outcomes: Vec<OutcomeHeld>,
    /// The notes of those visits.
    pub notes: Vec<NoteHeld>,
    /// The times a plan left them out.
    pub unmet: Vec<UnmetHeld>,
}

impl ResidentExport {
    fn new(d: ResidentData, now: DateTime<Utc>) -> Self {
        let r = d.resident;
        let h = d.household;
        ResidentExport {
            exported_at: now,
            purpose_vi: "Hẹn và hỗ trợ người dân sử dụng dịch vụ số (VNeID, thanh toán điện tử, \
                         phòng chống lừa đảo, dịch vụ công trực tuyến)"
                .into(),
            purpose_en: "Arranging visits to help residents use digital services (VNeID, \
                         e-payment, scam awareness, online public services)"
                .into(),
            resident: ResidentHeld {
                id: r.id,
                external_id: r.external_id,
                full_name: r.full_name,
                birth_year: r.birth_year,
                phone: r.phone,
                presence: r.presence.code().to_owned(),
                country: r.country,
                timezone: r.timezone,
                availability: r
                    .availability
                    .as_deref()
                    .and_then(|a| serde_json::from_str(a).ok()),
                consent_at: r.consent_at,
                consent_by: r.consent_by,
                consent_text: r.consent_text,
                attempts: r.attempts,
                last_attempt_at: r.last_attempt_at,
                created_at: r.created_at,
                updated_at: r.updated_at,
            },
            household: HouseholdHeld {
                id: h.id,
                external_id: h.external_id,
                address: h.address,
                latitude: h.latitude,
                longitude: h.longitude,
                team_id: h.team_id,
            },
            needs: d
                .needs
                .into_iter()
                .map(|n| NeedHeld {
                    need: n.step.code().to_owned(),
                    status: n.status.code().to_owned(),
                    last_result: n.last_result.map(|r| r.code().to_owned()),
                    appointment_on: n.appointment_on,
                    updated_at: n.updated_at,
                    updated_by: n.updated_by,
                })
                .collect(),
            consents: d
                .consents
                .into_iter()
                .map(|c| ConsentEntry {
                    action: c.action.code().to_owned(),
                    text_version: c.text_version,
                    text: c.text,
                    recorded_by: c.recorded_by,
                    recorded_at: c.recorded_at,
                })
                .collect(),
            visits: d
                .visits
                .into_iter()
                .map(|v| VisitHeld {
                    id: v.id,
                    start: v.start,
                    end: v.end,
                    mode: v.mode.code().to_owned(),
                    status: v.status.code().to_owned(),
                    member_id: v.member_id,
                })
                .collect(),
            outcomes: d
                .outcomes
                .into_iter()
                .map(|o| OutcomeHeld {
                    visit_id: o.visit_id,
                    need: o.need,
                    result: o.result.code().to_owned(),
                    appointment_on: o.appointment_on,
                    recorded_by: o.recorded_by,
                    recorded_at: o.recorded_at,
                })
                .collect(),
            notes: d
                .notes
                .into_iter()
                .map(|n| NoteHeld {
                    visit_id: n.visit_id,
                    note: n.note,
                    recorded_at: n.recorded_at,
                })
                .collect(),
            unmet: d
                .unmet
                .into_iter()
                .map(|u| UnmetHeld {
                    plan_id: u.plan_id,
                    reason: u.reason.code().to_owned(),
                    explanation_vi: u.explanation_vi,
                    explanation_en: u.explanation_en,
                })
                .collect(),
        }
    }
}

/// Everything held about one resident, as one JSON document (the team's
/// leader, officials in their area). The read is logged.
#[utoipa::path(get, path = "/api/v1/residents/{resident_id}/export", tag = "residents", operation_id = "export_resident",
    params(("resident_id" = i32, Path, description = "The resident")),
    responses(
        (status = 200, description = "Everything held", body = ResidentExport),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "A volunteer", body = Problem),
        (status = 404, description = "No such resident in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(resident_id): Path<String>,
) -> Result<Json<ResidentExport>, ApiError> {
    let resident_id = parse_id("resident_id", &resident_id)?;
    let now = state.now();
    let data = residents::export_resident(&state.store, &user.actor, resident_id, now).await?;
    Ok(Json(ResidentExport::new(data, now)))
}

/// What an erasure removed or made anonymous.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasedView {
    /// The resident erased.
    pub resident_id: i32,
    /// Needs deleted.
    pub needs: u64,
    /// Consents kept without the resident.
    pub consents: u64,
    /// Outcomes kept without the resident.
    pub outcomes: u64,
    /// Visits the resident was taken off.
    pub visits: u64,
    /// Of them, visits still to come cancelled.
    pub visits_cancelled: u64,
    /// Plans' reasons with the name replaced.
    pub unmet: u64,
    /// Stored messages with the name and phone replaced.
    pub messages: u64,
    /// Visit notes with the name and phone replaced.
    pub notes: u64,
}

fn erased_view(resident_id: i32, e: Erased) -> ErasedView {
    ErasedView {
        resident_id,
        needs: e.needs,
        consents: e.consents,
        outcomes: e.outcomes,
        visits: e.visits,
        visits_cancelled: e.visits_cancelled,
        unmet: e.unmet,
        messages: e.messages,
        notes: e.notes,
    }
}

/// Erases a resident (the team's leader): their personal data goes from
/// every table and every feed; visits and counts keep an anonymous trace;
/// importing the register again does not bring them back. Logged.
#[utoipa::path(delete, path = "/api/v1/residents/{resident_id}", tag = "residents",
    params(("resident_id" = i32, Path, description = "The resident")),
    responses(
        (status = 200, description = "Erased", body = ErasedView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such resident in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn erase(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(resident_id): Path<String>,
) -> Result<Json<ErasedView>, ApiError> {
    let resident_id = parse_id("resident_id", &resident_id)?;
    let erased =
        residents::erase_resident(&state.store, &user.actor, resident_id, state.now()).await?;
    Ok(Json(erased_view(resident_id, erased)))
}

#[derive(OpenApi)]
#[openapi(components(schemas(
    GiveConsent,
    ConsentEntry,
    ConsentView,
    ResidentHeld,
    HouseholdHeld,
    NeedHeld,
    VisitHeld,
    OutcomeHeld,
    NoteHeld,
    UnmetHeld,
    ResidentExport,
    ErasedView,
    Problem
)))]
struct Doc;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(give_consent, withdraw_consent))
        .routes(routes!(export))
        .routes(routes!(erase))
}
