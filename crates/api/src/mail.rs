//! A team's mail: its schedules (when the morning's lists, the evening's
//! reminders and the leader's digest go) and its outbox.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use doorstep_service::mail::schedule::{self, ScheduleInput, ScheduleView};
use doorstep_service::mail::{self, OutboxView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, JsonBody, Problem, QueryParams, parse_id};

/// A team's schedule of one kind of message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleItem {
    /// `daily`, `evening` or `weekly_digest`.
    pub kind: String,
    /// The kind in Vietnamese.
    pub kind_vi: String,
    /// The kind in English.
    pub kind_en: String,
    /// The cron expression (seconds first: `sec min hour day month weekday`).
    pub cron: String,
    /// The zone it is read in.
    pub timezone: String,
    /// The team's own zone is used (no zone of its own).
    pub team_zone: bool,
    /// Whether it fires.
    pub enabled: bool,
    /// The default (the team never set it).
    pub default: bool,
    /// The next three firings, RFC 3339 in its zone.
    pub next: Vec<String>,
}

impl From<ScheduleView> for ScheduleItem {
    fn from(v: ScheduleView) -> Self {
        let s = v.schedule;
        ScheduleItem {
            kind: s.kind.code().to_owned(),
            kind_vi: s.kind.label_vi().to_owned(),
            kind_en: s.kind.label_en().to_owned(),
            cron: s.cron,
            timezone: s.zone.name().to_owned(),
            team_zone: s.timezone.is_none(),
            enabled: s.enabled,
            default: !s.stored,
            next: v
                .next
                .iter()
                .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
                .collect(),
        }
    }
}

/// A schedule to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSchedule {
    /// The cron expression, e.g. `"0 0 6 * * *"` (06:00 every day) or
    /// `"0 30 5 * * Mon-Sat"`.
    pub cron: String,
    /// An IANA zone other than the team's; omitted or empty: the team's.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Whether it fires (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A team's schedules, defaults included, with their next firings.
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/mail/schedules", tag = "mail",
    params(("team_id" = i32, Path, description = "The team")),
    responses(
        (status = 200, description = "The schedules", body = [ScheduleItem]),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn list_schedules(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
) -> Result<Json<Vec<ScheduleItem>>, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let list =
        schedule::team_mail_schedules(&state.store, &user.actor, team_id, state.now()).await?;
    Ok(Json(list.into_iter().map(ScheduleItem::from).collect()))
}

/// Sets a team's schedule of one kind (the leader's): an invalid expression
/// or zone is refused with the reason.
#[utoipa::path(put, path = "/api/v1/teams/{team_id}/mail/schedules/{kind}", tag = "mail",
    params(("team_id" = i32, Path, description = "The team"),
           ("kind" = String, Path, description = "daily, evening or weekly_digest")),
    request_body = SetSchedule,
    responses(
        (status = 200, description = "Stored", body = ScheduleItem),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 422, description = "Every problem with its field", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn set_schedule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((team_id, kind)): Path<(String, String)>,
    JsonBody(body): JsonBody<SetSchedule>,
) -> Result<Json<ScheduleItem>, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let view = schedule::set_team_schedule(
        &state.store,
        &user.actor,
        team_id,
        &kind,
        &ScheduleInput {
            cron: body.cron,
            timezone: body.timezone,
            enabled: body.enabled,
        },
        state.now(),
    )
    .await?;
    Ok(Json(ScheduleItem::from(view)))
}

/// A message of the outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxItem {
    /// Id.
    pub id: i64,
    /// `daily`, `evening`, `weekly_digest` or `update`.
    pub kind: String,
    /// The member.
    pub member_id: Option<i32>,
    /// The recipient's name.
    pub recipient_name: String,
    /// The address; null: the member has none.
    pub recipient: Option<String>,
    /// The day it is about.
    pub day: Option<String>,
    /// Subject.
    pub subject: String,
    /// `pending`, `sent`, `failed` or `no_address`.
    pub status: String,
    /// Tries so far.
    pub attempts: i32,
    /// The last failure, in the server's words.
    pub last_error: Option<String>,
    /// Enqueued.
    pub created_at: DateTime<Utc>,
    /// Accepted by the mail server.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A team's outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxReport {
    /// Waiting (new, or to try again).
    pub pending: i64,
    /// Accepted by the mail server.
    pub sent: i64,
    /// Refused for good.
    pub failed: i64,
    /// Members without an address.
    pub no_address: i64,
    /// The latest messages, newest first.
    pub messages: Vec<OutboxItem>,
}

impl From<OutboxView> for OutboxReport {
    fn from(v: OutboxView) -> Self {
        use doorstep_core::OutboxStatus;
        let count = |status: OutboxStatus| {
            v.counts
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, n)| *n)
        };
        OutboxReport {
            pending: count(OutboxStatus::Pending),
            sent: count(OutboxStatus::Sent),
            failed: count(OutboxStatus::Failed),
            no_address: count(OutboxStatus::NoAddress),
            messages: v
                .latest
                .into_iter()
                .map(|m| OutboxItem {
                    id: m.id,
                    kind: m.kind.code().to_owned(),
                    member_id: m.member_id,
                    recipient_name: m.recipient_name,
                    recipient: m.recipient,
                    day: m.day.map(|d| d.to_string()),
                    subject: m.subject,
                    status: m.status.code().to_owned(),
                    attempts: m.attempts,
                    last_error: m.last_error,
                    created_at: m.created_at,
                    sent_at: m.sent_at,
                })
                .collect(),
        }
    }
}

/// How many of the latest messages.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// 1–200, default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

/// A team's outbox: counts by status and the latest messages, failures with
/// the server's words (the leader's).
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/mail/outbox", tag = "mail",
    params(("team_id" = i32, Path, description = "The team"), OutboxQuery),
    responses(
        (status = 200, description = "The outbox", body = OutboxReport),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 422, description = "A bad limit", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn outbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
    QueryParams(query): QueryParams<OutboxQuery>,
) -> Result<Json<OutboxReport>, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let limit = match query.limit.as_deref() {
        None => 50,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| {
                ApiError::field(
                    "limit",
                    format!("cần một số từ 1 đến 200, nhận {text:?}"),
                    format!("expected a number from 1 to 200, got {text:?}"),
                )
            })?,
    };
    let view = mail::team_outbox(&state.store, &user.actor, team_id, limit).await?;
    Ok(Json(OutboxReport::from(view)))
}

#[derive(OpenApi)]
#[openapi(components(schemas(ScheduleItem, SetSchedule, OutboxItem, OutboxReport, Problem)))]
struct Doc;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(list_schedules))
        .routes(routes!(set_schedule))
        .routes(routes!(outbox))
}
