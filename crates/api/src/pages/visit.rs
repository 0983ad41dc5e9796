//! A leader's page of one visit: pin it (re-plans keep it exactly), move it
//! to another day, hour or member, or cancel it, through the same use case
//! as `PATCH /api/v1/visits/{id}`. A move that does not fit comes back on
//! the page, with the field named and the form as it was sent.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveTime};
use doorstep_core::{PlanStatus, VisitStatus};
use doorstep_service::daylist;
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::planning::{self, VisitPatch};
use doorstep_service::schedule::{self, MoveTo, VisitSheet};

use super::calendar::{calendar_href, plan_href};
use super::{Header, PageUser, error_page, form_sent_by_us, mode_words, render, stale_form};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// The leader's page of a visit.
pub(super) fn edit_href(visit_id: i32) -> String {
    format!("/visits/{visit_id}/sua")
}

#[derive(Template)]
#[template(path = "visit.html")]
struct VisitPage {
    header: Header,
    id: i32,
    action: String,
    /// What was just done, in the page's language.
    done: Option<&'static str>,
    heading_vi: String,
    heading_en: String,
    time: String,
    member: String,
    key: String,
    address: String,
    village: String,
    residents: String,
    mode_vi: &'static str,
    mode_en: &'static str,
    purposes: Vec<&'static str>,
    status_code: &'static str,
    status_vi: &'static str,
    status_en: &'static str,
    pinned: bool,
    /// "Kế hoạch #12 (bản nháp)", "Plan #12 (draft)".
    plan_vi: String,
    plan_en: String,
    plan_href: String,
    editable: bool,
    /// Where the visit is seen: its day on the calendar, or its draft.
    back: String,
    back_vi: &'static str,
    back_en: &'static str,
    /// The move form, as shown or as sent.
    date: String,
    start: String,
    member_id: i32,
    members: Vec<(i32, String)>,
    /// The refusal of the last form, field by field.
    errors: Vec<FormError>,
}

impl VisitPage {
    /// Whether a field of the form was refused.
    fn refused(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

/// A refused field with its label and why.
struct FormError {
    field: &'static str,
    label: &'static str,
    message: String,
}

/// The query of the page: what was just done.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct VisitQuery {
    xong: Option<String>,
}

/// The forms of the page: what to do (`viec`) and, for a move, where to.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct EditForm {
    csrf: Option<String>,
    /// `ghim`, `bo-ghim`, `doi` (move) or `huy` (cancel).
    viec: Option<String>,
    /// The new day, `YYYY-MM-DD`.
    ngay: Option<String>,
    /// The new start, `HH:MM`.
    gio: Option<String>,
    /// The member who visits.
    thanh_vien: Option<String>,
}

/// What each action did, in words.
const DONE: [(&str, &str, &str); 4] = [
    (
        "ghim",
        "Đã ghim: lập lại lịch sẽ giữ nguyên lượt thăm này.",
        "Pinned: re-plans keep this visit exactly.",
    ),
    ("bo-ghim", "Đã bỏ ghim.", "Unpinned."),
    (
        "doi",
        "Đã dời lượt thăm (và ghim ở giờ mới).",
        "The visit was moved (and pinned at its new time).",
    ),
    ("huy", "Đã hủy lượt thăm.", "The visit was cancelled."),
];

/// The form's fields and their labels.
fn field_label(field: &str, en: bool) -> (&'static str, &'static str) {
    let (name, vi, english) = match field {
        "date" | "ngay" => ("ngay", "Ngày", "Day"),
        "time" | "start" | "gio" => ("gio", "Giờ bắt đầu", "Start time"),
        "member_id" | "thanh_vien" => ("thanh_vien", "Thành viên đi thăm", "Member who visits"),
        "status" | "pinned" | "viec" => ("viec", "Việc", "Action"),
        _ => ("viec", "Lượt thăm", "Visit"),
    };
    (name, if en { english } else { vi })
}

fn visit_page(
    user: &CurrentUser,
    sheet: VisitSheet,
    done: Option<&str>,
    sent: Option<&EditForm>,
    refused: Vec<FieldError>,
) -> VisitPage {
    let VisitSheet {
        visit,
        plan,
        zone,
        household,
        residents,
        member_name,
        members,
        editable,
        team_name,
    } = sheet;
    let title = format!("{} · {}", household.external_id, team_name);
    let header = Header::new((&title, &title), zone.name(), Some(user));
    let en = header.en;
    let (start, end) = (
        visit.start.with_timezone(&zone),
        visit.end.with_timezone(&zone),
    );
    let heading = daylist::day_heading(start.date_naive());
    let (mode_vi, mode_en) = mode_words(visit.mode);
    let draft = plan.status == PlanStatus::Draft;
    let (back, back_vi, back_en) = if draft {
        (plan_href(plan.id), "Về bản nháp", "Back to the draft")
    } else {
        let day = start.date_naive();
        (
            format!(
                "{}&ngay={day}#d-{day}",
                calendar_href(plan.team_id, day, false)
            ),
            "Về lịch của ngày này",
            "Back to the day on the calendar",
        )
    };
    let kept = |value: Option<&Option<String>>, shown: String| match value {
        Some(Some(text)) => text.trim().to_owned(),
        _ => shown,
    };
    VisitPage {
        id: visit.id,
        action: edit_href(visit.id),
        done: done.and_then(|code| {
            DONE.iter()
                .find(|(c, _, _)| *c == code)
                .map(|(_, vi, english)| if en { *english } else { *vi })
        }),
        heading_vi: heading.vi,
        heading_en: heading.en,
        time: format!("{}–{}", start.format("%H:%M"), end.format("%H:%M")),
        member: member_name,
        key: household.external_id,
        address: household.address,
        village: household.village.unwrap_or_default(),
        residents: residents.join(", "),
        mode_vi,
        mode_en,
        purposes: visit
            .purposes
            .iter()
            .map(|p| if en { p.label_en() } else { p.label_vi() })
            .collect(),
        status_code: visit.status.code(),
        status_vi: visit.status.label_vi(),
        status_en: visit.status.label_en(),
        pinned: visit.pinned,
        plan_vi: format!("Kế hoạch #{} ({})", plan.id, plan.status.label_vi()),
        plan_en: format!("Plan #{} ({})", plan.id, plan.status.label_en()),
        plan_href: plan_href(plan.id),
        editable,
        back,
        back_vi,
        back_en,
        date: kept(
            sent.map(|f| &f.ngay),
            start.date_naive().format("%Y-%m-%d").to_string(),
        ),
        start: kept(sent.map(|f| &f.gio), start.format("%H:%M").to_string()),
        member_id: sent
            .and_then(|f| f.thanh_vien.as_deref())
            .and_then(|m| m.trim().parse().ok())
            .unwrap_or(visit.member_id),
        members,
        errors: refused
            .into_iter()
            .map(|e| {
                let (field, label) = field_label(&e.field, en);
                FormError {
                    field,
                    label,
                    message: if en { e.message_en } else { e.message_vi },
                }
            })
            .collect(),
        header,
    }
}

/// `GET /visits/{visit_id}/sua`: the visit, and the leader's forms to pin,
/// move or cancel it.
pub(super) async fn edit_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<VisitQuery>, QueryRejection>,
) -> Response {
    let done = query.ok().and_then(|q| q.0.xong);
    let found = async {
        let visit_id = parse_id("visit_id", &id)?;
        Ok::<_, ApiError>(schedule::visit_sheet(&state.store, &user.actor, visit_id).await?)
    }
    .await;
    match found {
        Ok(sheet) => render(
            StatusCode::OK,
            &visit_page(&user, sheet, done.as_deref(), None, Vec::new()),
        ),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

/// Reads the move form: every field's problem at once.
fn move_to(form: &EditForm) -> Result<MoveTo, ServiceError> {
    let mut errors = Vec::new();
    let date = match form.ngay.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new("ngay", "hãy chọn ngày", "choose a day"));
            None
        }
        Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                errors.push(FieldError::new(
                    "ngay",
                    format!("cần ngày dạng YYYY-MM-DD, nhận {text:?}"),
                    format!("expected a date YYYY-MM-DD, got {text:?}"),
                ));
                None
            }
        },
    };
    let time = match form.gio.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new("gio", "hãy chọn giờ", "choose a time"));
            None
        }
        Some(text) => match NaiveTime::parse_from_str(text, "%H:%M") {
            Ok(time) => Some(time),
            Err(_) => {
                errors.push(FieldError::new(
                    "gio",
                    format!("cần giờ dạng HH:MM, nhận {text:?}"),
                    format!("expected a time HH:MM, got {text:?}"),
                ));
                None
            }
        },
    };
    let member_id = match form.thanh_vien.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match text.parse::<i32>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                errors.push(FieldError::new(
                    "thanh_vien",
                    format!("cần mã thành viên, nhận {text:?}"),
                    format!("expected a member's id, got {text:?}"),
                ));
                None
            }
        },
    };
    match (date, time) {
        (Some(date), Some(time)) if errors.is_empty() => Ok(MoveTo {
            date,
            time,
            member_id,
        }),
        _ => Err(ServiceError::Invalid(errors)),
    }
}

/// `POST /visits/{visit_id}/sua`: pins, unpins, moves or cancels the visit,
/// then shows it again (303) saying what was done. A move that does not
/// fit answers 422 with the page, the refused fields named and the form as
/// it was sent.
pub(super) async fn edit(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<EditForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or_default();
    if !form_sent_by_us(&headers, &user, form.csrf.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let visit_id = match parse_id("visit_id", &id) {
        Ok(visit_id) => visit_id,
        Err(ApiError(e)) => return error_page(Some(&user), e),
    };
    let action = form.viec.as_deref().map(str::trim).unwrap_or_default();
    let (store, catalog, actor, now) = (&state.store, &state.catalog, &user.actor, state.now());
    let patch = |patch: VisitPatch| async move {
        planning::edit_visit(store, catalog, actor, visit_id, &patch, now).await
    };
    let done = match action {
        "ghim" | "bo-ghim" => {
            patch(VisitPatch {
                pinned: Some(action == "ghim"),
                ..VisitPatch::default()
            })
            .await
        }
        "huy" => {
            patch(VisitPatch {
                status: Some(VisitStatus::Cancelled),
                ..VisitPatch::default()
            })
            .await
        }
        "doi" => match move_to(&form) {
            Ok(to) => schedule::move_visit(store, catalog, actor, visit_id, to, now).await,
            Err(e) => Err(e),
        },
        other => Err(ServiceError::invalid(
            "viec",
            format!("việc phải là ghim, bo-ghim, doi hoặc huy, nhận {other:?}"),
            format!("the action must be ghim, bo-ghim, doi or huy, got {other:?}"),
        )),
    };
    match done {
        Ok(_) => Redirect::to(&format!("{}?xong={action}", edit_href(visit_id))).into_response(),
        Err(ServiceError::Invalid(refused)) => {
            match schedule::visit_sheet(&state.store, &user.actor, visit_id).await {
                Ok(sheet) => render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &visit_page(&user, sheet, None, Some(&form), refused),
                ),
                Err(e) => error_page(Some(&user), e),
            }
        }
        Err(e) => error_page(Some(&user), e),
    }
}
