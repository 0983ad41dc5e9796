//! Plans: plan a team, list and read plans, publish, re-plan; edit a visit;
//! a team's blackouts. Times are RFC 3339 with the team's offset.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use doorstep_core::VisitStatus;
use doorstep_service::blackouts::{self, BlackoutView};
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::planning::changes::{ChangeKind, Changes, Slot};
use doorstep_service::planning::records::{NotPublished, Published};
use doorstep_service::planning::records::{PlanRecord, VisitRecord};
use doorstep_service::planning::{self, PlanOutcome, PlanRequest, VisitPatch};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, JsonBody, Problem, parse_id, parse_json};

fn local(at: DateTime<Utc>, zone: Tz) -> String {
    doorstep_service::planning::reader::local_rfc3339(at, zone)
}

/// A planned visit.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitView {
    /// Id.
    pub id: i32,
    /// The plan.
    pub plan_id: i32,
    /// The household.
    pub household_id: i32,
    /// The member who visits.
    pub member_id: i32,
    /// Start, RFC 3339 with the team's offset.
    pub start: String,
    /// End, RFC 3339 with the team's offset.
    pub end: String,
    /// `in_person` or `remote`.
    pub mode: String,
    /// The needs it is for (codes).
    pub purposes: Vec<String>,
    /// The residents expected at that time (ids).
    pub residents: Vec<i32>,
    /// `proposed`, `confirmed`, `done`, `missed` or `cancelled`.
    pub status: String,
    /// Kept exactly by re-plans.
    pub pinned: bool,
    /// On the team's calendar: in the volunteers' lists, feeds and mail.
    pub on_calendar: bool,
    /// The plan whose publishing took it off the calendar.
    pub replaced_by: Option<i32>,
}

impl VisitView {
    pub(crate) fn new(v: &VisitRecord, zone: Tz) -> VisitView {
        VisitView {
            id: v.id,
            plan_id: v.plan_id,
            household_id: v.household_id,
            member_id: v.member_id,
            start: local(v.start, zone),
            end: local(v.end, zone),
            mode: v.mode.code().to_owned(),
            purposes: v.purposes.iter().map(|p| p.code().to_owned()).collect(),
            residents: v.residents.clone(),
            status: v.status.code().to_owned(),
            pinned: v.pinned,
            on_calendar: v.on_calendar,
            replaced_by: v.replaced_by,
        }
    }
}

/// Where a visit is: who, when.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    /// The visit (on the calendar, or in the draft).
    pub visit_id: i32,
    /// The member.
    pub member_id: i32,
    /// The member's name.
    pub member_name: String,
    /// Start, RFC 3339 with the team's offset.
    pub start: String,
    /// End, RFC 3339 with the team's offset.
    pub end: String,
}

/// One change of the calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// `added`, `moved` or `removed`.
    pub kind: String,
    /// The household.
    pub household_id: i32,
    /// `in_person` or `remote`.
    pub mode: String,
    /// Where it was on the calendar (moved, removed).
    pub from: Option<SlotView>,
    /// Where the draft puts it (added, moved).
    pub to: Option<SlotView>,
    /// `newly_planned`, `blackout`, `rule_changed`, `member_unavailable`,
    /// `household_done`, `no_consent` or `capacity`.
    pub reason: String,
    /// Why, in Vietnamese.
    pub reason_vi: String,
    /// Why, in English.
    pub reason_en: String,
}

/// The changes of one member's day (the day the visit goes to; for a
/// removed visit, the day it leaves).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDayView {
    /// The member.
    pub member_id: i32,
    /// The member's name.
    pub member_name: String,
    /// The day, YYYY-MM-DD in the team's calendar.
    pub date: String,
    /// Visits added.
    pub added: Vec<ChangeView>,
    /// Visits moved here (from → to).
    pub moved: Vec<ChangeView>,
    /// Visits taken off.
    pub removed: Vec<ChangeView>,
}

/// What publishing a draft would change on the team's calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesView {
    /// From when the draft may change the calendar.
    pub from: Option<String>,
    /// The end of the draft's days.
    pub to: Option<String>,
    /// Visits added.
    pub added: usize,
    /// Visits moved.
    pub moved: usize,
    /// Visits removed.
    pub removed: usize,
    /// Visits still to come that stay exactly where they are.
    pub unchanged: usize,
    /// Visits in the draft's days publishing never touches (pinned,
    /// confirmed, started, recorded).
    pub kept: usize,
    /// The changes per member and day, by day.
    pub by_member_day: Vec<MemberDayView>,
}

impl ChangesView {
    pub(crate) fn new(c: &Changes, zone: Tz) -> ChangesView {
        let name = |id: i32| c.members.get(&id).cloned().unwrap_or_default();
        let slot = |s: &Slot| SlotView {
            visit_id: s.visit_id,
            member_id: s.member_id,
            member_name: name(s.member_id),
            start: local(s.start, zone),
            end: local(s.end, zone),
        };
        let mut days: BTreeMap<(NaiveDate, i32), MemberDayView> = BTreeMap::new();
        for change in &c.changes {
            let Some(at) = change.to.as_ref().or(change.from.as_ref()) else {
                continue;
            };
            let date = at.start.with_timezone(&zone).date_naive();
            let day = days
                .entry((date, at.member_id))
                .or_insert_with(|| MemberDayView {
                    member_id: at.member_id,
                    member_name: name(at.member_id),
                    date: date.to_string(),
                    added: Vec::new(),
                    moved: Vec::new(),
                    removed: Vec::new(),
                });
            let view = ChangeView {
                kind: match change.kind {
                    ChangeKind::Added => "added",
                    ChangeKind::Moved => "moved",
                    ChangeKind::Removed => "removed",
                }
                .to_owned(),
                household_id: change.household_id,
                mode: change.mode.code().to_owned(),
                from: change.from.as_ref().map(slot),
                to: change.to.as_ref().map(slot),
                reason: change.reason.code().to_owned(),
                reason_vi: change.reason.words_vi(),
                reason_en: change.reason.words_en(),
            };
            match change.kind {
                ChangeKind::Added => day.added.push(view),
                ChangeKind::Moved => day.moved.push(view),
                ChangeKind::Removed => day.removed.push(view),
            }
        }
        ChangesView {
            from: c.from.map(|t| local(t, zone)),
            to: c.to.map(|t| local(t, zone)),
            added: c.count(ChangeKind::Added),
            moved: c.count(ChangeKind::Moved),
            removed: c.count(ChangeKind::Removed),
            unchanged: c.unchanged,
            kept: c.kept,
            by_member_day: days.into_values().collect(),
        }
    }
}

/// What publishing did to the team's calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedView {
    /// The plan's visits put on the calendar.
    pub added: Vec<i32>,
    /// Visits taken off the calendar (merely proposed, still to come, in
    /// the plan's days); they stay in their plans as history.
    pub replaced: Vec<i32>,
    /// The calendar's visits in the plan's days that stay.
    pub kept: Vec<i32>,
    /// The plan's visits left off the calendar: `past` (before the moment
    /// of publishing), `same` (the calendar has it already), `held` (the
    /// household has a kept visit), `member_busy`.
    pub not_published: Vec<NotPublishedView>,
    /// Plans with no visit left on the calendar, now superseded.
    pub superseded: Vec<i32>,
    /// The plan was published already: nothing changed.
    pub already: bool,
}

/// A visit of the plan that did not go on the calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotPublishedView {
    /// The visit.
    pub visit_id: i32,
    /// `past`, `same`, `held` or `member_busy`.
    pub reason: String,
}

impl From<&Published> for PublishedView {
    fn from(p: &Published) -> Self {
        PublishedView {
            added: p.added.clone(),
            replaced: p.replaced.clone(),
            kept: p.kept.clone(),
            not_published: p
                .not_published
                .iter()
                .map(|(id, why)| NotPublishedView {
                    visit_id: *id,
                    reason: match why {
                        NotPublished::Past => "past",
                        NotPublished::Same => "same",
                        NotPublished::Held => "held",
                        NotPublished::MemberBusy => "member_busy",
                    }
                    .to_owned(),
                })
                .collect(),
            superseded: p.superseded.clone(),
            already: p.already,
        }
    }
}

/// A household (or one resident of it) the plan leaves out.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmetView {
    /// The household.
    pub household_id: i32,
    /// The resident, when the reason is the resident's.
    pub resident_id: Option<i32>,
    /// `no_window`, `no_skill`, `no_capacity` or `no_consent`.
    pub reason: String,
    /// Why, in Vietnamese.
    pub explanation_vi: String,
    /// Why, in English.
    pub explanation_en: String,
}

/// What the last planning did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryView {
    /// Visits (not cancelled).
    pub visits: usize,
    /// Unmet entries by reason.
    pub unmet_by_reason: BTreeMap<String, usize>,
    /// Households placed at their village's centre (no coordinates).
    pub approximate_locations: usize,
    /// Visits a re-plan kept exactly (pinned, confirmed, done).
    pub kept: usize,
    /// Visits a re-plan left where they were.
    pub unchanged: usize,
    /// Visits added or moved.
    pub changed: usize,
    /// Kept visits that no longer fit their household's or member's time.
    pub conflicts: Vec<i32>,
}

/// A plan with its visits and unmet households.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    /// Id.
    pub id: i32,
    /// The team.
    pub team_id: i32,
    /// `draft`, `published` or `superseded`.
    pub status: String,
    /// First day (YYYY-MM-DD, the team's calendar).
    pub start: String,
    /// Number of days.
    pub days: u32,
    /// Σ priority of the visited households.
    pub objective: i64,
    /// Σ priority of the households that could be visited alone.
    pub upper_bound: i64,
    /// Minutes of travel.
    pub travel_minutes: i64,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Visits by start.
    pub visits: Vec<VisitView>,
    /// What it leaves out, with reasons.
    pub unmet: Vec<UnmetView>,
    /// What the last planning did.
    pub summary: SummaryView,
    /// For a draft just made: what publishing it would change.
    pub changes: Option<ChangesView>,
    /// For a plan just published: what publishing did.
    pub published: Option<PublishedView>,
}

impl From<&PlanOutcome> for PlanView {
    fn from(o: &PlanOutcome) -> Self {
        let p = &o.plan;
        PlanView {
            id: p.id,
            team_id: p.team_id,
            status: p.status.code().to_owned(),
            start: p.start_date.to_string(),
            days: p.days,
            objective: p.figures.objective,
            upper_bound: p.figures.upper_bound,
            travel_minutes: p.figures.travel_minutes,
            created_at: p.created_at,
            published_at: p.published_at,
            visits: o.visits.iter().map(|v| VisitView::new(v, o.zone)).collect(),
            unmet: o
                .unmet
                .iter()
                .map(|u| UnmetView {
                    household_id: u.household_id,
                    resident_id: u.resident_id,
                    reason: u.reason.code().to_owned(),
                    explanation_vi: u.explanation_vi.clone(),
                    explanation_en: u.explanation_en.clone(),
                })
                .collect(),
            summary: SummaryView {
                visits: o.summary.visits,
                unmet_by_reason: o
                    .summary
                    .unmet_by_reason
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), *v))
                    .collect(),
                approximate_locations: o.summary.approximate_locations,
                kept: o.summary.kept,
                unchanged: o.summary.unchanged,
                changed: o.summary.changed,
                conflicts: o.summary.conflicts.clone(),
            },
            changes: o.changes.as_ref().map(|c| ChangesView::new(c, o.zone)),
            published: None,
        }
    }
}

/// A plan without its visits.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanBrief {
    /// Id.
    pub id: i32,
    /// The team.
    pub team_id: i32,
    /// `draft`, `published` or `superseded`.
    pub status: String,
    /// First day.
    pub start: String,
    /// Number of days.
    pub days: u32,
    /// Σ priority of the visited households.
    pub objective: i64,
    /// Σ priority of the households that could be visited alone.
    pub upper_bound: i64,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
}

impl From<&PlanRecord> for PlanBrief {
    fn from(p: &PlanRecord) -> Self {
        PlanBrief {
            id: p.id,
            team_id: p.team_id,
            status: p.status.code().to_owned(),
            start: p.start_date.to_string(),
            days: p.days,
            objective: p.figures.objective,
            upper_bound: p.figures.upper_bound,
            created_at: p.created_at,
            published_at: p.published_at,
        }
    }
}

/// What to plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePlan {
    /// First day, YYYY-MM-DD in the team's calendar.
    pub start: String,
    /// Number of days, 1–62.
    pub days: u32,
    /// Seconds the planner may search (default: the server's setting).
    pub time_limit_s: Option<f64>,
    /// A fixed search instead of the time limit, for tests and benchmarks:
    /// about this many iterations (64–5,000,000), the same plan whatever the
    /// server's load.
    pub iterations: Option<u64>,
}

/// How to re-plan (the body may be empty).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replan {
    /// Seconds the planner may search (default: the server's setting).
    pub time_limit_s: Option<f64>,
    /// A fixed search instead of the time limit, for tests and benchmarks:
    /// about this many iterations (64–5,000,000), the same plan whatever the
    /// server's load.
    pub iterations: Option<u64>,
}

/// What to change in a visit; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchVisit {
    /// Re-assign to this member of the team.
    pub member_id: Option<i32>,
    /// Move to this start (RFC 3339 with offset); the length stays. A moved
    /// visit is pinned.
    pub start: Option<String>,
    /// `proposed`, `confirmed` or `cancelled`.
    pub status: Option<String>,
    /// Keep exactly in re-plans.
    pub pinned: Option<bool>,
}

fn time_limit(state: &AppState, seconds: Option<f64>) -> Result<Duration, ApiError> {
    match seconds {
        None => Ok(state.planning.time_limit),
        Some(s) if s.is_finite() && (0.1..=planning::MAX_TIME_LIMIT_S as f64).contains(&s) => {
            Ok(Duration::from_secs_f64(s))
        }
        Some(s) => Err(ApiError::field(
            "time_limit_s",
            format!(
                "thời gian tính phải từ 0,1 đến {} giây, nhận {s}",
                planning::MAX_TIME_LIMIT_S
            ),
            format!(
                "time_limit_s must be 0.1 to {} seconds, got {s}",
                planning::MAX_TIME_LIMIT_S
            ),
        )),
    }
}

/// Plans a team's visits; the plan is a draft until published.
#[utoipa::path(post, path = "/api/v1/teams/{team_id}/plans", tag = "plans",
    params(("team_id" = i32, Path, description = "The team")),
    request_body = CreatePlan,
    responses(
        (status = 201, description = "The draft plan", body = PlanView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 422, description = "Bad input, every field's error", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
    JsonBody(body): JsonBody<CreatePlan>,
) -> Result<impl IntoResponse, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let mut errors = Vec::new();
    let start = NaiveDate::parse_from_str(&body.start, "%Y-%m-%d")
        .map_err(|_| {
            errors.push(FieldError::new(
                "start",
                format!("cần ngày dạng YYYY-MM-DD, nhận {:?}", body.start),
                format!("expected a date YYYY-MM-DD, got {:?}", body.start),
            ));
        })
        .ok();
    let limit = time_limit(&state, body.time_limit_s)
        .map_err(|e| {
            if let ServiceError::Invalid(mut list) = e.0 {
                errors.append(&mut list);
            }
        })
        .ok();
    let request = PlanRequest {
        start: start.unwrap_or_default(),
        days: body.days,
        time_limit: limit.unwrap_or(state.planning.time_limit),
        seed: 1,
        threads: state.planning.threads,
        iterations: body.iterations,
    };
    if let Err(ServiceError::Invalid(mut list)) = request.check() {
        list.retain(|f| start.is_some() || f.field != "start");
        errors.append(&mut list);
    }
    if !errors.is_empty() {
        return Err(ApiError(ServiceError::Invalid(errors)));
    }
    let outcome = planning::plan_team(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        &request,
        state.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(PlanView::from(&outcome))))
}

/// A team's plans, newest first (volunteers and officials see published ones).
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/plans", tag = "plans", operation_id = "list_plans",
    params(("team_id" = i32, Path, description = "The team")),
    responses(
        (status = 200, description = "The plans", body = [PlanBrief]),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
) -> Result<Json<Vec<PlanBrief>>, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let plans = planning::team_plans(&state.store, &user.actor, team_id).await?;
    Ok(Json(plans.iter().map(PlanBrief::from).collect()))
}

/// A plan with its visits and unmet households. A volunteer reads the
/// unmet households only as counts in the summary: their entries name
/// residents.
#[utoipa::path(get, path = "/api/v1/plans/{plan_id}", tag = "plans", operation_id = "show_plan",
    params(("plan_id" = i32, Path, description = "The plan")),
    responses(
        (status = 200, description = "The plan", body = PlanView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such plan in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(plan_id): Path<String>,
) -> Result<Json<PlanView>, ApiError> {
    let plan_id = parse_id("plan_id", &plan_id)?;
    let outcome = planning::show_plan(&state.store, &user.actor, plan_id).await?;
    Ok(Json(PlanView::from(&outcome)))
}

/// Publishes a draft: within its days and from now on, the calendar's
/// visits that are merely proposed are replaced by the draft's; a visit
/// started, pinned, confirmed or recorded, and every day outside the
/// draft's, stay as they are (`published` says what changed). Publishing a
/// published plan again changes nothing.
#[utoipa::path(post, path = "/api/v1/plans/{plan_id}/publish", tag = "plans",
    params(("plan_id" = i32, Path, description = "The plan")),
    responses(
        (status = 200, description = "The published plan", body = PlanView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such plan in your scope", body = Problem),
        (status = 409, description = "The plan was superseded", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(plan_id): Path<String>,
) -> Result<Json<PlanView>, ApiError> {
    let plan_id = parse_id("plan_id", &plan_id)?;
    let published = planning::publish(&state.store, &user.actor, plan_id, state.now()).await?;
    let outcome = planning::show_plan(&state.store, &user.actor, plan_id).await?;
    let mut view = PlanView::from(&outcome);
    view.published = Some(PublishedView::from(&published));
    Ok(Json(view))
}

/// What publishing a draft would change on the team's calendar now, per
/// member and day, each change with its reason (a published plan: none).
#[utoipa::path(get, path = "/api/v1/plans/{plan_id}/changes", tag = "plans",
    params(("plan_id" = i32, Path, description = "The plan")),
    responses(
        (status = 200, description = "The changes", body = ChangesView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such plan in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn changes(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(plan_id): Path<String>,
) -> Result<Json<ChangesView>, ApiError> {
    let plan_id = parse_id("plan_id", &plan_id)?;
    let now = state.now();
    let (changes, zone) =
        planning::plan_changes(&state.store, &state.catalog, &user.actor, plan_id, now).await?;
    Ok(Json(ChangesView::new(&changes, zone)))
}

/// A new draft: 201 with its address and the draft with its changes.
fn new_draft(outcome: &PlanOutcome) -> impl IntoResponse + use<> {
    (
        StatusCode::CREATED,
        [(
            axum::http::header::LOCATION,
            format!("/api/v1/plans/{}", outcome.plan.id),
        )],
        Json(PlanView::from(outcome)),
    )
}

/// How to re-plan the team's calendar (the body may be empty).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplanCalendar {
    /// Days from today (default: to the end of the calendar, at least 7), 1–62.
    pub days: Option<u32>,
    /// Seconds the planner may search (default: the server's setting).
    pub time_limit_s: Option<f64>,
    /// A fixed search instead of the time limit, for tests and benchmarks:
    /// about this many iterations (64–5,000,000), the same plan whatever the
    /// server's load.
    pub iterations: Option<u64>,
}

/// Re-plans the team's calendar from now on after a change (a blackout, a
/// household's new rule, a member's leave, an outcome): a draft with the
/// calendar as the planner's hint, and what publishing it would change.
/// Nothing published changes until the draft is published.
#[utoipa::path(post, path = "/api/v1/teams/{team_id}/calendar/replan", tag = "plans",
    params(("team_id" = i32, Path, description = "The team")),
    request_body(content = Option<ReplanCalendar>, description = "Optional"),
    responses(
        (status = 201, description = "The draft and what it changes", body = PlanView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 422, description = "Bad input", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn replan_calendar(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, axum::response::Response> {
    crate::error::require_json(&headers, &body).map_err(IntoResponse::into_response)?;
    replan_calendar_json(state, user, team_id, body)
        .await
        .map_err(IntoResponse::into_response)
}

async fn replan_calendar_json(
    state: AppState,
    user: CurrentUser,
    team_id: String,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let body: ReplanCalendar = if body.iter().all(u8::is_ascii_whitespace) {
        ReplanCalendar::default()
    } else {
        parse_json(&body)?
    };
    let search = planning::Search {
        time_limit: time_limit(&state, body.time_limit_s)?,
        threads: state.planning.threads,
        iterations: body.iterations,
    };
    let outcome = planning::replan_calendar(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        body.days,
        &search,
        state.now(),
    )
    .await?;
    Ok(new_draft(&outcome).into_response())
}

/// Re-plans a plan's days from now on: a new draft with the team's calendar
/// as the planner's hint (pinned, confirmed, started and recorded visits
/// kept exactly; the rest changes as little as possible), and what
/// publishing it would change. Nothing published changes until then.
#[utoipa::path(post, path = "/api/v1/plans/{plan_id}/replan", tag = "plans",
    params(("plan_id" = i32, Path, description = "The plan")),
    request_body(content = Option<Replan>, description = "Optional"),
    responses(
        (status = 201, description = "The new draft and what it changes", body = PlanView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such plan in your scope", body = Problem),
        (status = 409, description = "The plan was superseded", body = Problem),
        (status = 422, description = "Bad input", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn replan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(plan_id): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, axum::response::Response> {
    crate::error::require_json(&headers, &body).map_err(IntoResponse::into_response)?;
    replan_json(state, user, plan_id, body)
        .await
        .map_err(IntoResponse::into_response)
}

async fn replan_json(
    state: AppState,
    user: CurrentUser,
    plan_id: String,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, ApiError> {
    let plan_id = parse_id("plan_id", &plan_id)?;
    let body: Replan = if body.iter().all(u8::is_ascii_whitespace) {
        Replan::default()
    } else {
        parse_json(&body)?
    };
    let search = planning::Search {
        time_limit: time_limit(&state, body.time_limit_s)?,
        threads: state.planning.threads,
        iterations: body.iterations,
    };
    let outcome = planning::replan(
        &state.store,
        &state.catalog,
        &user.actor,
        plan_id,
        &search,
        state.now(),
    )
    .await?;
    Ok(new_draft(&outcome).into_response())
}

/// Edits a visit: pin, move, re-assign, confirm or cancel. A move outside
/// the household's windows or the member's free time is refused with the
/// reason in words.
#[utoipa::path(patch, path = "/api/v1/visits/{visit_id}", tag = "plans",
    params(("visit_id" = i32, Path, description = "The visit")),
    request_body = PatchVisit,
    responses(
        (status = 200, description = "The visit as it now is", body = VisitView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such visit in your scope", body = Problem),
        (status = 409, description = "The visit is settled, or its plan superseded", body = Problem),
        (status = 422, description = "Bad input or a time that does not fit, with reasons", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn patch_visit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(visit_id): Path<String>,
    JsonBody(body): JsonBody<PatchVisit>,
) -> Result<Json<VisitView>, ApiError> {
    let visit_id = parse_id("visit_id", &visit_id)?;
    let mut errors = Vec::new();
    let start = match &body.start {
        None => None,
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                errors.push(FieldError::new(
                    "start",
                    format!("cần thời điểm RFC 3339 có múi giờ như 2026-12-03T08:30:00+07:00, nhận {text:?}"),
                    format!("expected an RFC 3339 time with offset such as 2026-12-03T08:30:00+07:00, got {text:?}"),
                ));
                None
            }
        },
    };
    let status = match &body.status {
        None => None,
        Some(text) => match VisitStatus::parse(text) {
            Some(s) => Some(s),
            None => {
                errors.push(FieldError::new(
                    "status",
                    format!("trạng thái phải là proposed, confirmed hoặc cancelled, nhận {text:?}"),
                    format!("status must be proposed, confirmed or cancelled, got {text:?}"),
                ));
                None
            }
        },
    };
    if body.member_id.is_some_and(|m| m <= 0) {
        errors.push(FieldError::new(
            "member_id",
            "cần mã thành viên là số nguyên dương",
            "expected a positive member id",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError(ServiceError::Invalid(errors)));
    }
    let patch = VisitPatch {
        member_id: body.member_id,
        start,
        status,
        pinned: body.pinned,
    };
    let (visit, zone) = planning::edit_visit(
        &state.store,
        &state.catalog,
        &user.actor,
        visit_id,
        &patch,
        state.now(),
    )
    .await?;
    Ok(Json(VisitView::new(&visit, zone)))
}

/// A blackout period.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlackoutItem {
    /// Id.
    pub id: i32,
    /// The team.
    pub team_id: i32,
    /// One village of the team, or null for the whole team.
    pub village_id: Option<i32>,
    /// Its name.
    pub label: String,
    /// The period as the rule language writes it.
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
    /// In Vietnamese.
    pub description_vi: String,
    /// In English.
    pub description_en: String,
    /// Who entered it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The calendar's visits still to come inside it (proposed or
    /// confirmed): a re-plan of the calendar moves them.
    pub affected: Vec<VisitView>,
}

impl From<BlackoutView> for BlackoutItem {
    fn from(b: BlackoutView) -> Self {
        BlackoutItem {
            affected: b
                .affected
                .iter()
                .map(|v| VisitView::new(v, b.zone))
                .collect(),
            id: b.stored.id,
            team_id: b.stored.team_id,
            village_id: b.stored.village_id,
            label: b.stored.label,
            rule: b.rule,
            description_vi: b.description_vi,
            description_en: b.description_en,
            created_by: b.stored.created_by,
            created_at: b.stored.created_at,
        }
    }
}

/// A team's blackout periods.
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/blackouts", tag = "plans",
    params(("team_id" = i32, Path, description = "The team")),
    responses(
        (status = 200, description = "The blackouts", body = [BlackoutItem]),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn list_blackouts(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
) -> Result<Json<Vec<BlackoutItem>>, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let list = blackouts::list(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        state.now(),
    )
    .await?;
    Ok(Json(list.into_iter().map(BlackoutItem::from).collect()))
}

/// Adds a blackout (a storm, a fishing ban, a holiday) for the team or one
/// village: `{"label": "bão số 3", "between": ["2026-12-10T12:00", "2026-12-12T12:00"], "village_id": null}`.
#[utoipa::path(post, path = "/api/v1/teams/{team_id}/blackouts", tag = "plans",
    params(("team_id" = i32, Path, description = "The team")),
    request_body(content = Object, description = "A blackout in the rule language, with an optional village_id"),
    responses(
        (status = 201, description = "Stored", body = BlackoutItem),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 422, description = "Every problem with its JSON path", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn add_blackout(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<impl IntoResponse, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let added = blackouts::add(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        &body,
        state.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(BlackoutItem::from(added))))
}

/// Deletes a blackout.
#[utoipa::path(delete, path = "/api/v1/teams/{team_id}/blackouts/{blackout_id}", tag = "plans",
    params(("team_id" = i32, Path, description = "The team"), ("blackout_id" = i32, Path, description = "The blackout")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such blackout in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn delete_blackout(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((team_id, blackout_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let blackout_id = parse_id("blackout_id", &blackout_id)?;
    blackouts::delete(&state.store, &user.actor, team_id, blackout_id, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(OpenApi)]
#[openapi(components(schemas(
    PlanView,
    PlanBrief,
    VisitView,
    UnmetView,
    SummaryView,
    CreatePlan,
    Replan,
    ReplanCalendar,
    ChangesView,
    MemberDayView,
    ChangeView,
    SlotView,
    PublishedView,
    NotPublishedView,
    PatchVisit,
    BlackoutItem,
    Problem
)))]
struct Doc;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(create, list))
        .routes(routes!(show))
        .routes(routes!(publish))
        .routes(routes!(replan))
        .routes(routes!(changes))
        .routes(routes!(replan_calendar))
        .routes(routes!(patch_visit))
        .routes(routes!(list_blackouts, add_blackout))
        .routes(routes!(delete_blackout))
}
