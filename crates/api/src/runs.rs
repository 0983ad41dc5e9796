//! Planning a whole area (the officials'): a run with one job per team,
//! worked in the background by `doorstep serve` and `doorstep worker`
//! processes, and followed by its id.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::planning::area::{self, AreaRequest, RunOptions, RunReport};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, JsonBody, Problem, parse_id};

/// What to plan over an area.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRun {
    /// First day, YYYY-MM-DD in each team's calendar.
    pub start: String,
    /// Number of days, 1–62.
    pub days: u32,
    /// Seconds of search for each team, 0.01–30 (default: the server's
    /// `planning.area_time_limit_s`).
    pub time_limit_s: Option<f64>,
    /// Publish each team's plan as it is saved (default false: drafts for
    /// the leaders to review).
    #[serde(default)]
    pub publish: bool,
    /// Seed of the planner's random choices (default 1): the same seed
    /// plans the same households alike.
    pub seed: Option<u64>,
    /// A fixed search for each team instead of the time limit: about this
    /// many iterations a thread, 64–5,000,000, the same plans whatever the
    /// machine's load (tests, benchmarks).
    pub iterations: Option<u64>,
}

/// How each team of a run is planned.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunOptionsView {
    /// Seconds of search for each team.
    pub time_limit_s: f64,
    /// Seed of the planner's random choices.
    pub seed: u64,
    /// Plans are published as they are saved.
    pub publish: bool,
    /// The fixed search for each team, if one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u64>,
}

/// A team whose planning failed for good.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunFailure {
    /// The team.
    pub team_id: i32,
    /// Why, in the server's words.
    pub error: String,
}

/// A run: its jobs by status and what the finished ones did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    /// Id.
    pub id: i32,
    /// The area planned.
    pub area_id: i32,
    /// First day.
    pub start: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// `running` (jobs wait or are being worked) or `finished`.
    pub status: String,
    /// How each team is planned (the run's own, also when it was resumed).
    pub options: Option<RunOptionsView>,
    /// Who started it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When its last job ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Teams (jobs) in all.
    pub teams: i64,
    /// Jobs waiting for a worker.
    pub queued: i64,
    /// Jobs held by a worker.
    pub running: i64,
    /// Teams planned (or with nothing to plan).
    pub done: i64,
    /// Teams whose planning failed for good.
    pub failed: i64,
    /// Done teams with nothing to plan (no household or no member).
    pub teams_without_plan: usize,
    /// Households of the done teams.
    pub households: i64,
    /// Visits planned.
    pub visits: i64,
    /// Households left out, by reason code (`no_window`, `no_capacity`,
    /// `no_skill`, `no_consent`, …).
    pub unmet_by_reason: std::collections::BTreeMap<String, i64>,
    /// Jobs claimed more than once (a worker stopped or gave them back).
    pub retried: usize,
    /// Seconds spent reading, planning and saving the done teams, in all.
    pub read_s: f64,
    /// See `read_s`.
    pub plan_s: f64,
    /// See `read_s`.
    pub save_s: f64,
    /// The failed teams with why (the first 20).
    pub failures: Vec<RunFailure>,
}

impl From<RunReport> for RunView {
    fn from(report: RunReport) -> RunView {
        let RunReport {
            run,
            progress,
            summary,
        } = report;
        let options = area::run_options(&run).ok().map(|o| RunOptionsView {
            time_limit_s: o.time_limit_ms as f64 / 1000.0,
            seed: o.seed,
            publish: o.publish,
            iterations: o.iterations,
        });
        RunView {
            id: run.id,
            area_id: run.area_id,
            start: run.start_date,
            days: run.days,
            status: run.status.code().to_owned(),
            options,
            created_by: run.created_by,
            created_at: run.created_at,
            finished_at: run.finished_at,
            teams: progress.total,
            queued: progress.queued,
            running: progress.running,
            done: progress.done,
            failed: progress.failed,
            teams_without_plan: summary.teams_without_plan,
            households: progress.households,
            visits: progress.visits,
            unmet_by_reason: summary.unmet_by_reason,
            retried: summary.retried,
            read_s: summary.read_ms as f64 / 1000.0,
            plan_s: summary.plan_ms as f64 / 1000.0,
            save_s: summary.save_ms as f64 / 1000.0,
            failures: summary
                .failures
                .into_iter()
                .map(|(team_id, error)| RunFailure { team_id, error })
                .collect(),
        }
    }
}

/// Plans every team under an area (an official of the area's, or an
/// administrator): opens a run with one job per team, answered at once
/// (202) while the server's workers plan the teams one by one, each saved
/// in its own transaction; follow it at its `Location`. A run still open
/// for the same area, first day and days is answered instead (200) and
/// keeps its own options: a run is never started twice.
#[utoipa::path(post, path = "/api/v1/areas/{area_id}/plan-runs", tag = "plans",
    params(("area_id" = i32, Path, description = "The area: a province, a commune")),
    request_body = StartRun,
    responses(
        (status = 202, description = "The run, opened", body = RunView,
         headers(("Location" = String, description = "The run's address"))),
        (status = 200, description = "The run already open for the same days", body = RunView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not an official of the area", body = Problem),
        (status = 404, description = "No such area in your scope", body = Problem),
        (status = 409, description = "The area has no team", body = Problem),
        (status = 422, description = "Bad input, every field's error", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn start(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(area_id): Path<String>,
    JsonBody(body): JsonBody<StartRun>,
) -> Result<impl IntoResponse, ApiError> {
    let area_id = parse_id("area_id", &area_id)?;
    let start = NaiveDate::parse_from_str(&body.start, "%Y-%m-%d").ok();
    let seconds = body
        .time_limit_s
        .unwrap_or(state.planning.area_time_limit.as_secs_f64());
    let request = AreaRequest {
        start: start.unwrap_or(placeholder_day()),
        days: body.days,
        options: RunOptions {
            time_limit_ms: (seconds.max(0.0) * 1000.0).round() as u64,
            seed: body.seed.unwrap_or(1),
            publish: body.publish,
            iterations: body.iterations,
        },
    };
    if start.is_none() {
        // Every problem at once: the date's and the numbers'.
        let mut errors = vec![FieldError::new(
            "start",
            format!("cần ngày dạng YYYY-MM-DD, nhận {:?}", body.start),
            format!("expected a date YYYY-MM-DD, got {:?}", body.start),
        )];
        if let Err(ServiceError::Invalid(list)) = request.check() {
            errors.extend(list.into_iter().filter(|f| f.field != "start"));
        }
        return Err(ApiError(ServiceError::Invalid(errors)));
    }
    let started =
        area::start_run(&state.store, &user.actor, area_id, &request, state.now()).await?;
    let report = area::run_report(&state.store, &user.actor, started.run.id).await?;
    let location = format!("/api/v1/plan-runs/{}", report.run.id);
    let status = if started.created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        [(header::LOCATION, location)],
        Json(RunView::from(report)),
    ))
}

/// A day within the lunar calendar's years, standing in for a date that
/// did not read: its own error is reported, the other fields still checked.
fn placeholder_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date")
}

/// A run: where its jobs stand and what the finished ones did (the
/// officials of its area and administrators).
#[utoipa::path(get, path = "/api/v1/plan-runs/{run_id}", tag = "plans", operation_id = "show_plan_run",
    params(("run_id" = i32, Path, description = "The run")),
    responses(
        (status = 200, description = "The run", body = RunView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not an official of the run's area", body = Problem),
        (status = 404, description = "No such run in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(run_id): Path<String>,
) -> Result<Json<RunView>, ApiError> {
    let run_id = parse_id("run_id", &run_id)?;
    let report = area::run_report(&state.store, &user.actor, run_id).await?;
    Ok(Json(RunView::from(report)))
}

#[derive(OpenApi)]
#[openapi(components(schemas(StartRun, RunView, RunOptionsView, RunFailure, Problem)))]
struct Doc;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(start))
        .routes(routes!(show))
}
