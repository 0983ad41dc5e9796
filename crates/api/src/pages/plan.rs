//! A leader's planning from the pages: plan new days or re-plan the
//! calendar (each makes a draft), and a plan's own page: its visits by day
//! and member, what it leaves out and why, and, for a draft, what
//! publishing it would change, with the way to publish it.
//!
//! The planner runs on a blocking thread inside the service's use case,
//! with the server's search: its time limit, or a fixed number of
//! iterations when the state says so (tests), so that a plan made from a
//! page never depends on the machine's load there.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use doorstep_core::PlanStatus;
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::planning::changes::ChangeKind;
use doorstep_service::planning::{self, PlanRequest, Search};
use doorstep_service::schedule;

use super::calendar::{
    DayLinks, DayView, PlanView, calendar_href, day_view, plan_href, plan_range, plan_view,
};
use super::publish::{ChangeGroup, change_groups};
use super::{Header, MY_DAY, PageUser, error_page, form_sent_by_us, render, stale_form};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// Days a new plan covers unless the leader says otherwise: four weeks,
/// as the demo publishes.
const DEFAULT_DAYS: u32 = 28;

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    header: Header,
    id: i32,
    team_name: String,
    draft: bool,
    status_vi: &'static str,
    status_en: &'static str,
    range: String,
    created: String,
    published: Option<String>,
    summary: PlanView,
    /// For a draft: added, moved, removed, unchanged, kept.
    counts: Option<(usize, usize, usize, usize, usize)>,
    groups: Vec<ChangeGroup>,
    /// The confirmation that publishes a draft.
    publish: Option<String>,
    /// The plan's first week on the calendar (a draft's as the draft).
    calendar: String,
    /// Days with visits or blackouts.
    days: Vec<DayView>,
    /// Visits in all the days shown.
    visits: usize,
    /// The page where the leader plans again.
    plan_page: String,
}

/// `GET /plans/{plan_id}`: a plan of the leader's team, day by day.
pub(super) async fn plan(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Response {
    match plan_page(&state, &user, &id).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn plan_page(state: &AppState, user: &CurrentUser, id: &str) -> Result<PlanPage, ApiError> {
    let plan_id = parse_id("plan_id", id)?;
    let sheet = schedule::plan_days(
        &state.store,
        &state.catalog,
        &user.actor,
        plan_id,
        state.now(),
    )
    .await?;
    let p = &sheet.plan.plan;
    let draft = p.status == PlanStatus::Draft;
    let title_vi = format!("Kế hoạch #{} · {}", p.id, sheet.team_name);
    let title_en = format!("Plan #{} · {}", p.id, sheet.team_name);
    let header = Header::new((&title_vi, &title_en), sheet.zone.name(), Some(user));
    let en = header.en;
    let member = |member_id: i32, date: NaiveDate| {
        if draft {
            None
        } else if user.actor.member_id == Some(member_id) {
            Some(format!("{MY_DAY}?ngay={date}"))
        } else {
            Some(format!("/members/{member_id}/ngay?ngay={date}"))
        }
    };
    let team_id = p.team_id;
    let one_day = |day: NaiveDate| format!("{}&ngay={day}", calendar_href(team_id, day, draft));
    let links = DayLinks {
        en,
        today: sheet.today,
        member: &member,
        edit: p.status != PlanStatus::Superseded,
        day: &one_day,
    };
    let days: Vec<DayView> = sheet
        .days
        .iter()
        .filter(|d| !d.members.is_empty() || !d.blackouts.is_empty())
        .map(|d| day_view(d, &links))
        .collect();
    let c = &sheet.changes;
    Ok(PlanPage {
        id: p.id,
        team_name: sheet.team_name.clone(),
        draft,
        status_vi: p.status.label_vi(),
        status_en: p.status.label_en(),
        range: plan_range(p),
        created: p
            .created_at
            .with_timezone(&sheet.zone)
            .format("%H:%M %d/%m/%Y")
            .to_string(),
        published: p.published_at.map(|t| {
            t.with_timezone(&sheet.zone)
                .format("%H:%M %d/%m/%Y")
                .to_string()
        }),
        summary: plan_view(&sheet.plan, None),
        counts: draft.then(|| {
            (
                c.count(ChangeKind::Added),
                c.count(ChangeKind::Moved),
                c.count(ChangeKind::Removed),
                c.unchanged,
                c.kept,
            )
        }),
        groups: change_groups(c, sheet.zone, en),
        publish: draft.then(|| {
            format!(
                "/plans/{}/cong-bo?tu={}",
                p.id,
                p.start_date.max(sheet.today)
            )
        }),
        calendar: calendar_href(p.team_id, p.start_date.max(sheet.today), draft),
        visits: days.iter().map(|d| d.visits).sum(),
        days,
        plan_page: format!("/teams/{}/lap-lich", p.team_id),
        header,
    })
}

/// The planning forms: new days, or the calendar again.
#[derive(Template)]
#[template(path = "plan_form.html")]
struct PlanFormPage {
    header: Header,
    team_id: i32,
    /// The new plan's first day and days, as shown or as sent.
    start: String,
    days: String,
    /// The re-plan's days, as sent (empty: to the calendar's end).
    replan_days: String,
    plan_errors: Vec<FormError>,
    replan_errors: Vec<FormError>,
    calendar: String,
}

impl PlanFormPage {
    /// Whether a field of the forms was refused.
    fn refused(&self, field: &str) -> bool {
        self.plan_errors
            .iter()
            .chain(&self.replan_errors)
            .any(|e| e.field == field)
    }
}

/// A refused field with its label and why.
struct FormError {
    field: &'static str,
    label: &'static str,
    message: String,
}

/// The planning forms' fields.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct PlanForm {
    csrf: Option<String>,
    /// The first day, `YYYY-MM-DD`.
    tu: Option<String>,
    /// How many days.
    so_ngay: Option<String>,
}

/// The form's field an error names, with its label.
fn form_error(e: FieldError, replan: bool, en: bool) -> FormError {
    let (field, vi, english) = match e.field.as_str() {
        "start" | "tu" => ("tu", "Ngày đầu", "First day"),
        "days" | "so_ngay" if replan => ("so_ngay_lai", "Số ngày", "Days"),
        "days" | "so_ngay" => ("so_ngay", "Số ngày", "Days"),
        _ => ("tu", "Lập lịch", "Planning"),
    };
    FormError {
        field,
        label: if en { english } else { vi },
        message: if en { e.message_en } else { e.message_vi },
    }
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    team_id: i32,
    sent: Option<(&PlanForm, bool)>,
    refused: Vec<FieldError>,
) -> Result<PlanFormPage, ServiceError> {
    // Who may not plan for the team learns it before the form.
    user.actor.require_lead(&state.store, team_id).await?;
    let zone = planning::team_zone_of(&state.store, team_id).await?;
    let today = user.now.with_timezone(&zone).date_naive();
    let header = Header::new(("Lập lịch", "Plan visits"), zone.name(), Some(user));
    let en = header.en;
    let text = |value: Option<&String>| value.map(|v| v.trim().to_owned());
    let (plan_form, replan_form) = match sent {
        Some((form, true)) => (None, Some(form)),
        Some((form, false)) => (Some(form), None),
        None => (None, None),
    };
    let replan = replan_form.is_some();
    let errors: Vec<FormError> = refused
        .into_iter()
        .map(|e| form_error(e, replan, en))
        .collect();
    let (plan_errors, replan_errors) = if replan {
        (Vec::new(), errors)
    } else {
        (errors, Vec::new())
    };
    Ok(PlanFormPage {
        team_id,
        start: plan_form
            .and_then(|f| text(f.tu.as_ref()))
            .unwrap_or_else(|| today.to_string()),
        days: plan_form
            .and_then(|f| text(f.so_ngay.as_ref()))
            .unwrap_or_else(|| DEFAULT_DAYS.to_string()),
        replan_days: replan_form
            .and_then(|f| text(f.so_ngay.as_ref()))
            .unwrap_or_default(),
        plan_errors,
        replan_errors,
        calendar: calendar_href(team_id, today, false),
        header,
    })
}

/// `GET /teams/{team_id}/lap-lich`: the forms that plan new days or
/// re-plan the calendar.
pub(super) async fn plan_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Response {
    let found = async {
        let team_id = parse_id("team_id", &id).map_err(|ApiError(e)| e)?;
        form_page(&state, &user, team_id, None, Vec::new()).await
    }
    .await;
    match found {
        Ok(page) => render(StatusCode::OK, &page),
        Err(e) => error_page(Some(&user), e),
    }
}

/// A number of days from a form: `None` when left empty.
fn days_field(text: Option<&str>) -> Result<Option<u32>, FieldError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse::<u32>().map(Some).map_err(|_| {
            FieldError::new(
                "days",
                format!(
                    "số ngày phải là số từ 1 đến {}, nhận {text:?}",
                    planning::MAX_DAYS
                ),
                format!(
                    "days must be a number 1 to {}, got {text:?}",
                    planning::MAX_DAYS
                ),
            )
        }),
    }
}

/// How a page plans: the server's time limit, or its fixed search.
fn search(state: &AppState) -> Search {
    Search {
        time_limit: state.planning.time_limit,
        threads: state.planning.threads,
        iterations: state.planning.page_iterations,
    }
}

/// `POST /teams/{team_id}/lap-lich`: plans the days asked for as a draft
/// and shows it (303 to the plan's page); bad input comes back on the form
/// (422) with the field named.
pub(super) async fn make_plan(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<PlanForm>, FormRejection>,
) -> Response {
    planning_form(state, user, id, headers, form, false).await
}

/// `POST /teams/{team_id}/lap-lai-lich`: re-plans the calendar from today
/// (for `so_ngay` days, else to the calendar's end) as a draft with its
/// changes, and shows it (303 to the plan's page).
pub(super) async fn replan(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<PlanForm>, FormRejection>,
) -> Response {
    planning_form(state, user, id, headers, form, true).await
}

async fn planning_form(
    state: AppState,
    user: CurrentUser,
    id: String,
    headers: HeaderMap,
    form: Result<axum::Form<PlanForm>, FormRejection>,
    replan: bool,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or_default();
    if !form_sent_by_us(&headers, &user, form.csrf.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let team_id = match parse_id("team_id", &id) {
        Ok(team_id) => team_id,
        Err(ApiError(e)) => return error_page(Some(&user), e),
    };
    let made = if replan {
        replan_calendar(&state, &user, team_id, &form).await
    } else {
        plan_days(&state, &user, team_id, &form).await
    };
    match made {
        Ok(plan_id) => Redirect::to(&plan_href(plan_id)).into_response(),
        Err(ServiceError::Invalid(refused)) => {
            match form_page(&state, &user, team_id, Some((&form, replan)), refused).await {
                Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
                Err(e) => error_page(Some(&user), e),
            }
        }
        Err(e) => error_page(Some(&user), e),
    }
}

async fn plan_days(
    state: &AppState,
    user: &CurrentUser,
    team_id: i32,
    form: &PlanForm,
) -> Result<i32, ServiceError> {
    let mut errors = Vec::new();
    let start = match form.tu.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new(
                "start",
                "hãy chọn ngày đầu",
                "choose the first day",
            ));
            None
        }
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| {
                errors.push(FieldError::new(
                    "start",
                    format!("cần ngày dạng YYYY-MM-DD, nhận {text:?}"),
                    format!("expected a date YYYY-MM-DD, got {text:?}"),
                ));
            })
            .ok(),
    };
    let days = days_field(form.so_ngay.as_deref())
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if days.is_none() && errors.iter().all(|e| e.field != "days") {
        errors.push(FieldError::new(
            "days",
            "hãy nhập số ngày",
            "enter the number of days",
        ));
    }
    let search = search(state);
    let request = PlanRequest {
        start: start.unwrap_or_default(),
        days: days.unwrap_or(DEFAULT_DAYS),
        time_limit: search.time_limit,
        seed: 1,
        threads: search.threads,
        iterations: search.iterations,
    };
    if let Err(ServiceError::Invalid(more)) = request.check() {
        errors.extend(more.into_iter().filter(|e| {
            (e.field != "start" || start.is_some()) && (e.field != "days" || days.is_some())
        }));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
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
    Ok(outcome.plan.id)
}

async fn replan_calendar(
    state: &AppState,
    user: &CurrentUser,
    team_id: i32,
    form: &PlanForm,
) -> Result<i32, ServiceError> {
    let days = days_field(form.so_ngay.as_deref()).map_err(|e| ServiceError::Invalid(vec![e]))?;
    if let Some(days) = days
        && !(1..=planning::MAX_DAYS).contains(&days)
    {
        return Err(ServiceError::invalid(
            "days",
            format!("số ngày phải từ 1 đến {}, nhận {days}", planning::MAX_DAYS),
            format!("days must be 1 to {}, got {days}", planning::MAX_DAYS),
        ));
    }
    let outcome = planning::replan_calendar(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        days,
        &search(state),
        state.now(),
    )
    .await?;
    Ok(outcome.plan.id)
}
