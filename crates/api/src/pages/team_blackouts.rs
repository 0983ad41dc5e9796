//! A team's blackouts — a storm, a fishing ban, a festival — listed with
//! the published visits each falls on, and the leader's forms to add one
//! (from–to in the team's zone, for the whole team or one village, for
//! every visit or one mode) and to delete one after asking. The same use
//! cases as the API's `/api/v1/teams/{id}/blackouts` (`blackouts::add`,
//! `blackouts::delete`); after adding, the page lists the visits the
//! blackout falls on, with the way to the calendar to plan again.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Days, NaiveDate, NaiveTime};
use doorstep_service::blackouts;
use doorstep_service::dashboard::{self, TeamBlackout};
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::teams;
use serde_json::{Value, json};

use super::calendar::calendar_href;
use super::{Header, PageUser, TokenForm, error_page, form_sent_by_us, render, stale_form};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

#[derive(Template)]
#[template(path = "team_blackouts.html")]
struct BlackoutsPage {
    header: Header,
    team_id: i32,
    team_name: String,
    zone: String,
    may_lead: bool,
    /// The blackout just added, with where to re-plan.
    added: Option<AddedNotice>,
    deleted: bool,
    calendar: String,
    coming: Vec<BlackoutView>,
    over: Vec<BlackoutView>,
    villages: Vec<(i32, String)>,
    form: BlackoutForm,
    errors: Vec<(String, String, String)>,
}

impl BlackoutsPage {
    /// The problem of a field, in the page's language.
    fn error(&self, field: &str) -> Option<&str> {
        super::field_error(&self.errors, field, self.header.en)
    }

    /// The label of a field, in the page's language.
    fn label(&self, field: &str) -> &'static str {
        let (vi, en) = match field {
            "ly_do" => ("Lý do", "Reason"),
            "tu_ngay" => ("Từ ngày", "From"),
            "tu_gio" => ("Từ giờ", "From time"),
            "den_ngay" => ("Đến hết ngày", "Until"),
            "den_gio" => ("Đến giờ", "Until time"),
            "pham_vi" => ("Áp dụng cho", "Applies to"),
            "cach" => ("Dừng", "Stops"),
            _ => ("Biểu mẫu", "Form"),
        };
        self.header.t(vi, en)
    }
}

struct AddedNotice {
    label: String,
    affected: usize,
    /// The calendar's week of the first visit it falls on.
    replan: String,
}

struct BlackoutView {
    id: i32,
    label: String,
    village: Option<String>,
    vi: String,
    en: String,
    ongoing: bool,
    just_added: bool,
    affected: Vec<AffectedRow>,
}

struct AffectedRow {
    when_vi: String,
    when_en: String,
    member: String,
    key: String,
    address: String,
}

/// The add form as shown: empty, or as it was sent.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct BlackoutForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    ly_do: String,
    #[serde(default)]
    tu_ngay: String,
    #[serde(default)]
    tu_gio: String,
    #[serde(default)]
    den_ngay: String,
    #[serde(default)]
    den_gio: String,
    #[serde(default)]
    pham_vi: String,
    #[serde(default)]
    cach: String,
}

/// The query of the blackouts page.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct BlackoutsQuery {
    /// The blackout just added.
    them: Option<String>,
    /// A blackout was just deleted.
    da_xoa: Option<String>,
}

/// "Thứ Năm 10/12 08:00–08:45", "Thursday 10/12 08:00–08:45".
fn visit_when(a: &dashboard::AffectedVisit, en: bool) -> String {
    let weekday = if en {
        doorstep_core::words::weekday_en(a.start.weekday())
    } else {
        doorstep_core::words::weekday_vi(a.start.weekday())
    };
    format!(
        "{weekday} {} {}–{}",
        a.start.format("%d/%m"),
        a.start.format("%H:%M"),
        a.end.format("%H:%M")
    )
}

fn view(b: &TeamBlackout, added: Option<i32>) -> BlackoutView {
    BlackoutView {
        id: b.id,
        label: b.label.clone(),
        village: b.village.clone(),
        vi: b.description_vi.clone(),
        en: b.description_en.clone(),
        ongoing: b.ongoing,
        just_added: added == Some(b.id),
        affected: b
            .affected
            .iter()
            .map(|a| AffectedRow {
                when_vi: visit_when(a, false),
                when_en: visit_when(a, true),
                member: a.member.clone(),
                key: a.household_key.clone(),
                address: a.address.clone(),
            })
            .collect(),
    }
}

async fn blackouts_page(
    state: &AppState,
    user: &CurrentUser,
    team_id: i32,
    query: BlackoutsQuery,
    form: BlackoutForm,
    errors: Vec<FieldError>,
) -> Result<BlackoutsPage, ApiError> {
    let team = teams::team(&state.store, &user.actor, team_id).await?;
    let may_lead = user.actor.may_lead_team(&state.store, team_id).await?;
    let list = dashboard::team_blackouts(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        state.now(),
    )
    .await?;
    let villages = if may_lead {
        dashboard::team_villages(&state.store, &user.actor, team_id).await?
    } else {
        Vec::new()
    };
    let zone: chrono_tz::Tz = team
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let today = state.now().with_timezone(&zone).date_naive();
    let added_id = query.them.and_then(|t| t.trim().parse::<i32>().ok());
    let added = added_id
        .and_then(|id| list.iter().find(|b| b.id == id))
        .map(|b| AddedNotice {
            label: b.label.clone(),
            affected: b.affected.len(),
            replan: calendar_href(
                team_id,
                b.affected
                    .first()
                    .map_or(today, |a| a.start.date_naive())
                    .max(today),
                false,
            ),
        });
    let (coming, over): (Vec<&TeamBlackout>, Vec<&TeamBlackout>) =
        list.iter().partition(|b| b.next.is_some());
    let header = Header::new(
        (
            &format!("Ngày nghỉ · {}", team.name),
            &format!("Blackouts · {}", team.name),
        ),
        &team.timezone,
        Some(user),
    );
    Ok(BlackoutsPage {
        header,
        team_id,
        team_name: team.name,
        zone: team.timezone,
        may_lead,
        added,
        deleted: query.da_xoa.is_some(),
        calendar: calendar_href(team_id, today, false),
        coming: coming.into_iter().map(|b| view(b, added_id)).collect(),
        over: over.into_iter().map(|b| view(b, added_id)).collect(),
        villages,
        form,
        errors: errors
            .into_iter()
            .map(|e| (e.field, e.message_vi, e.message_en))
            .collect(),
    })
}

/// `GET /teams/{team_id}/ngay-nghi`: the team's blackouts, and for its
/// leader the form to add one.
pub(super) async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<BlackoutsQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let page = async {
        let team_id = parse_id("team_id", &id)?;
        blackouts_page(
            &state,
            &user,
            team_id,
            query,
            BlackoutForm::default(),
            Vec::new(),
        )
        .await
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

fn date_of(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            format!("cần một ngày (năm-tháng-ngày, ví dụ 2026-12-10), nhận {text:?}"),
            format!("expected a date (year-month-day, e.g. 2026-12-10), got {text:?}"),
        ));
    }
    parsed
}

fn time_of(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<NaiveTime> {
    let parsed = NaiveTime::parse_from_str(text.trim(), "%H:%M").ok();
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            format!("cần giờ HH:MM (ví dụ 18:00), nhận {text:?}"),
            format!("expected a time HH:MM (e.g. 18:00), got {text:?}"),
        ));
    }
    parsed
}

impl BlackoutForm {
    /// The body of `POST /api/v1/teams/{id}/blackouts` the form asks for:
    /// whole days as `dates`, with a time as `between` (local times of the
    /// team's zone); or the form's own problems.
    fn body(&self) -> Result<Value, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.ly_do.trim().is_empty() {
            errors.push(FieldError::new(
                "ly_do",
                "cần lý do, ví dụ \"Bão số 9\" hoặc \"Cấm biển\"",
                "give a reason, such as \"Storm no. 9\" or \"Fishing ban\"",
            ));
        }
        let from = if self.tu_ngay.trim().is_empty() {
            errors.push(FieldError::new(
                "tu_ngay",
                "cần ngày bắt đầu",
                "give the first day",
            ));
            None
        } else {
            date_of("tu_ngay", &self.tu_ngay, &mut errors)
        };
        let to = if self.den_ngay.trim().is_empty() {
            from
        } else {
            date_of("den_ngay", &self.den_ngay, &mut errors)
        };
        let (from_time, to_time) = (self.tu_gio.trim(), self.den_gio.trim());
        let start_time = (!from_time.is_empty())
            .then(|| time_of("tu_gio", from_time, &mut errors))
            .flatten();
        let end_time = (!to_time.is_empty())
            .then(|| time_of("den_gio", to_time, &mut errors))
            .flatten();
        let mut body = json!({"label": self.ly_do.trim()});
        match (from, to) {
            (Some(from), Some(to)) if from_time.is_empty() && to_time.is_empty() => {
                body["dates"] = json!([from.to_string(), to.to_string()]);
            }
            (Some(from), Some(to)) => {
                let start = from.and_time(start_time.unwrap_or(NaiveTime::MIN));
                // Without an end time, the blackout runs to the end of its
                // last day.
                let end = match end_time {
                    Some(t) => to.and_time(t),
                    None => (to + Days::new(1)).and_time(NaiveTime::MIN),
                };
                body["between"] = json!([
                    start.format("%Y-%m-%dT%H:%M").to_string(),
                    end.format("%Y-%m-%dT%H:%M").to_string()
                ]);
            }
            _ => {}
        }
        match self.pham_vi.trim() {
            "" => {}
            village => match village.parse::<i64>() {
                Ok(id) => body["village_id"] = json!(id),
                Err(_) => errors.push(FieldError::new(
                    "pham_vi",
                    "cần chọn cả tổ hoặc một thôn trong danh sách",
                    "choose the whole team or a village of the list",
                )),
            },
        }
        match self.cach.trim() {
            "" => {}
            mode => body["mode"] = json!(mode),
        }
        if errors.is_empty() {
            Ok(body)
        } else {
            Err(errors)
        }
    }
}

/// The form's field for a problem the blackout use case names.
fn form_field(path: &str) -> &'static str {
    match path {
        "label" => "ly_do",
        "village_id" => "pham_vi",
        "mode" => "cach",
        p if p.ends_with("[0]") && (p.starts_with("dates") || p.starts_with("between")) => {
            "tu_ngay"
        }
        p if p.starts_with("dates") || p.starts_with("between") => "den_ngay",
        _ => "(body)",
    }
}

/// `POST /teams/{team_id}/ngay-nghi`: adds a blackout, then the list with
/// the visits it falls on (303); a bad field: the page again with the form
/// as sent and its problems (422).
pub(super) async fn add(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<BlackoutForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or_default();
    if !form_sent_by_us(&headers, &user, form.csrf.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let team_id = match parse_id("team_id", &id) {
        Ok(team_id) => team_id,
        Err(ApiError(e)) => return error_page(Some(&user), e),
    };
    let added = match form.body() {
        Ok(body) => {
            blackouts::add(
                &state.store,
                &state.catalog,
                &user.actor,
                team_id,
                &body,
                state.now(),
            )
            .await
        }
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match added {
        Ok(view) => Redirect::to(&format!(
            "/teams/{team_id}/ngay-nghi?them={}#ng-{}",
            view.stored.id, view.stored.id
        ))
        .into_response(),
        Err(ServiceError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| FieldError {
                    field: match e.field.as_str() {
                        f @ ("ly_do" | "tu_ngay" | "tu_gio" | "den_ngay" | "den_gio"
                        | "pham_vi" | "cach") => f.to_owned(),
                        other => form_field(other).to_owned(),
                    },
                    ..e
                })
                .collect();
            match blackouts_page(
                &state,
                &user,
                team_id,
                BlackoutsQuery::default(),
                form,
                errors,
            )
            .await
            {
                Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
                Err(ApiError(e)) => error_page(Some(&user), e),
            }
        }
        Err(e) => error_page(Some(&user), e),
    }
}

#[derive(Template)]
#[template(path = "team_blackout_delete.html")]
struct DeletePage {
    header: Header,
    team_id: i32,
    blackout: BlackoutView,
}

async fn blackout_of(
    state: &AppState,
    user: &CurrentUser,
    team: &str,
    blackout: &str,
) -> Result<(i32, TeamBlackout), ApiError> {
    let team_id = parse_id("team_id", team)?;
    let blackout_id = parse_id("blackout_id", blackout)?;
    let found = dashboard::team_blackouts(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        state.now(),
    )
    .await?
    .into_iter()
    .find(|b| b.id == blackout_id)
    .ok_or_else(|| ServiceError::not_found("blackout", blackout_id))?;
    Ok((team_id, found))
}

/// `GET /teams/{team_id}/ngay-nghi/{blackout_id}/xoa`: asks before
/// deleting a blackout.
pub(super) async fn confirm_delete(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((team, blackout)): Path<(String, String)>,
) -> Response {
    let page = async {
        let (team_id, found) = blackout_of(&state, &user, &team, &blackout).await?;
        user.actor.require_lead(&state.store, team_id).await?;
        let team = teams::team(&state.store, &user.actor, team_id).await?;
        Ok::<_, ApiError>(DeletePage {
            header: Header::new(
                ("Xoá tạm dừng?", "Delete the blackout?"),
                &team.timezone,
                Some(&user),
            ),
            team_id,
            blackout: view(&found, None),
        })
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

/// `POST /teams/{team_id}/ngay-nghi/{blackout_id}/xoa`: deletes the
/// blackout, then the list (303).
pub(super) async fn delete(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((team, blackout)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let sent = form.ok().and_then(|f| f.0.csrf);
    if !form_sent_by_us(&headers, &user, sent.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let deleted = async {
        let team_id = parse_id("team_id", &team)?;
        let blackout_id = parse_id("blackout_id", &blackout)?;
        blackouts::delete(&state.store, &user.actor, team_id, blackout_id, state.now()).await?;
        Ok::<_, ApiError>(team_id)
    };
    match deleted.await {
        Ok(team_id) => {
            Redirect::to(&format!("/teams/{team_id}/ngay-nghi?da_xoa=1")).into_response()
        }
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}
