//! Outcomes: `POST /api/v1/visits/{visit_id}/outcome`, by the visit's
//! volunteer or the team's leader. The answer holds the visit, the needs as
//! they now are, the residents' attempts, and the next likely windows of
//! each resident found away.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use doorstep_service::outcomes::{self, OutcomeAnswer, OutcomeItem, OutcomeRequest};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, JsonBody, Problem, parse_id};
use crate::plans::VisitView;

fn local(at: DateTime<Utc>, zone: Tz) -> String {
    doorstep_service::planning::reader::local_rfc3339(at, zone)
}

/// What happened at a visit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordOutcome {
    /// Chosen by the client (a UUID, say) and sent again unchanged when the
    /// answer did not arrive: the outcome is recorded once.
    #[schema(example = "0b6f1c2e-5d0a-4a53-9a51-2f0b7d3c9e11")]
    pub idempotency_key: String,
    /// The volunteer's note.
    pub note: Option<String>,
    /// One line per resident (and need).
    pub outcomes: Vec<OutcomeLineBody>,
    /// `true`: these results replace those recorded at the visit for the
    /// same residents and needs (a line without need: all of the
    /// resident's). Without it, a result that contradicts one recorded at
    /// the visit is refused (409) and the same result again changes nothing.
    #[serde(default)]
    pub correction: bool,
}

/// One resident's result, for one need or for every need the visit was for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeLineBody {
    /// The resident.
    pub resident_id: i32,
    /// The need's code (`vneid_install`, `vneid_level2`, `documents`,
    /// `e_payment`, `scam_awareness`, `public_services`); absent: every need
    /// the visit was for.
    pub need: Option<String>,
    /// `done`, `not_home`, `refused`, `needs_appointment` or `reschedule`.
    pub result: String,
    /// The appointment's day, `YYYY-MM-DD`, with `needs_appointment`.
    pub appointment_on: Option<String>,
}

/// The visit after its outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeView {
    /// The visit, now `done` (someone met) or `missed`.
    pub visit: VisitView,
    /// The request had been recorded before under the same key, or every
    /// result in it was recorded at the visit already: nothing changed.
    pub replayed: bool,
    /// The needs of the residents concerned, as they now are.
    pub needs: Vec<NeedView>,
    /// The residents concerned, with their attempts.
    pub residents: Vec<AttemptsView>,
    /// For each resident found away or asking for another time: their next
    /// likely windows after today.
    pub next_windows: Vec<NextWindowsView>,
}

/// A need as it now is.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedView {
    /// The resident.
    pub resident_id: i32,
    /// The step's code.
    pub need: String,
    /// `open`, `done` or `not_applicable`.
    pub status: String,
    /// The last result recorded for it.
    pub last_result: Option<String>,
    /// The appointment's day.
    pub appointment_on: Option<String>,
    /// When its status last changed (team's offset).
    pub updated_at: String,
    /// Who changed it (`user:12`, `import`).
    pub updated_by: Option<String>,
}

/// A resident's attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptsView {
    /// The resident.
    pub resident_id: i32,
    /// Visits that found them away since one last met them.
    pub attempts: u32,
    /// The last such visit's recording.
    pub last_attempt_at: Option<String>,
}

/// A resident's next windows.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextWindowsView {
    /// The resident.
    pub resident_id: i32,
    /// The first windows after today.
    pub windows: Vec<NextWindowView>,
    /// Why there are none, in Vietnamese.
    pub reason_vi: Option<String>,
    /// The same in English.
    pub reason_en: Option<String>,
}

/// A window.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextWindowView {
    /// Start, RFC 3339 with the team's offset.
    pub start: String,
    /// End, RFC 3339 with the team's offset.
    pub end: String,
    /// `in_person` or `remote`.
    pub mode: String,
}

impl From<&OutcomeAnswer> for OutcomeView {
    fn from(a: &OutcomeAnswer) -> Self {
        OutcomeView {
            visit: VisitView::new(&a.visit, a.zone),
            replayed: a.replayed,
            needs: a
                .needs
                .iter()
                .map(|n| NeedView {
                    resident_id: n.resident_id,
                    need: n.step.code().to_owned(),
                    status: n.status.code().to_owned(),
                    last_result: n.last_result.map(|r| r.code().to_owned()),
                    appointment_on: n.appointment_on.map(|d| d.to_string()),
                    updated_at: local(n.updated_at, a.zone),
                    updated_by: n.updated_by.clone(),
                })
                .collect(),
            residents: a
                .residents
                .iter()
                .map(|r| AttemptsView {
                    resident_id: r.id,
                    attempts: r.attempts,
                    last_attempt_at: r.last_attempt_at.map(|t| local(t, a.zone)),
                })
                .collect(),
            next_windows: a
                .next_windows
                .iter()
                .map(|n| NextWindowsView {
                    resident_id: n.resident_id,
                    windows: n
                        .windows
                        .iter()
                        .map(|(s, e, mode)| NextWindowView {
                            start: local(s.with_timezone(&Utc), a.zone),
                            end: local(e.with_timezone(&Utc), a.zone),
                            mode: mode.code().to_owned(),
                        })
                        .collect(),
                    reason_vi: n.reason.as_ref().map(|r| r.0.clone()),
                    reason_en: n.reason.as_ref().map(|r| r.1.clone()),
                })
                .collect(),
        }
    }
}

/// Records what happened at a visit. Sent again with the same
/// `idempotency_key` and body, it changes nothing and answers the same. One
/// result per resident and need at a visit: another result for them is
/// refused unless the request is a `correction`, which replaces it.
#[utoipa::path(post, path = "/api/v1/visits/{visit_id}/outcome", tag = "outcomes",
    params(("visit_id" = i32, Path, description = "The visit")),
    request_body = RecordOutcome,
    responses(
        (status = 200, description = "The visit, the needs as they now are, next windows", body = OutcomeView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the visit's volunteer nor the team's leader", body = Problem),
        (status = 404, description = "No such visit in your scope", body = Problem),
        (status = 409, description = "A cancelled visit, a plan not published, a day not come, a key used for another outcome, or a result contradicting one recorded at the visit (send it as a correction)", body = Problem),
        (status = 422, description = "Bad input: every problem with its JSON path", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(visit_id): Path<String>,
    JsonBody(body): JsonBody<RecordOutcome>,
) -> Result<Json<OutcomeView>, ApiError> {
    let visit_id = parse_id("visit_id", &visit_id)?;
    let request = OutcomeRequest {
        idempotency_key: body.idempotency_key,
        note: body.note,
        outcomes: body
            .outcomes
            .into_iter()
            .map(|o| OutcomeItem {
                resident_id: o.resident_id,
                need: o.need,
                result: o.result,
                appointment_on: o.appointment_on,
            })
            .collect(),
        correction: body.correction,
    };
    let answer = outcomes::record_outcome(
        &state.store,
        &state.catalog,
        &user.actor,
        visit_id,
        &request,
        state.now(),
    )
    .await?;
    Ok(Json(OutcomeView::from(&answer)))
}

#[derive(OpenApi)]
#[openapi(components(schemas(
    RecordOutcome,
    OutcomeLineBody,
    OutcomeView,
    NeedView,
    AttemptsView,
    NextWindowsView,
    NextWindowView,
    Problem
)))]
struct Doc;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi()).routes(routes!(record))
}
