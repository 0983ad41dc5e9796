//! Recording a visit's outcome from the day page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Datelike;
use doorstep_service::error::ServiceError;
use doorstep_service::outcomes;

use super::{Header, MY_DAY, PageUser, error_page, form_sent_by_us, render, stale_form};
use crate::error::parse_id;
use crate::{ApiError, AppState};

/// What a volunteer recorded, and the next windows of those found away.
#[derive(Template)]
#[template(path = "outcome.html")]
struct OutcomePage {
    header: Header,
    status_vi: &'static str,
    status_en: &'static str,
    replayed: bool,
    away: Vec<AwayRow>,
    back: String,
}

struct AwayRow {
    name: String,
    windows: Vec<String>,
    reason: Option<String>,
}

/// `POST /visits/{visit_id}/ket-qua`: the outcome form of the day page —
/// one choice per resident (`r{id}`), an appointment day (`h{id}`), a note
/// — recorded as the API records it; answers with the next windows of
/// those found away.
pub(super) async fn record_outcome(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let visit_id = match parse_id("visit_id", &id) {
        Ok(visit_id) => visit_id,
        Err(ApiError(e)) => return error_page(Some(&user), e),
    };
    let fields = form.map(|f| f.0).unwrap_or_default();
    let sent = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    if !form_sent_by_us(&headers, &user, sent) {
        return error_page(Some(&user), stale_form());
    }
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut names = std::collections::BTreeMap::new();
    let mut items = Vec::new();
    for (key, value) in &fields {
        if let Some(resident) = key.strip_prefix('r').and_then(|r| r.parse::<i32>().ok()) {
            if value.trim().is_empty() {
                continue;
            }
            items.push(outcomes::OutcomeItem {
                resident_id: resident,
                need: None,
                result: value.trim().to_owned(),
                appointment_on: get(&format!("h{resident}")),
            });
        }
        if let Some(resident) = key.strip_prefix('n').and_then(|r| r.parse::<i32>().ok()) {
            names.insert(resident, value.clone());
        }
    }
    if items.is_empty() {
        return error_page(
            Some(&user),
            ServiceError::invalid(
                "outcomes",
                "chọn kết quả cho ít nhất một người",
                "choose a result for at least one person",
            ),
        );
    }
    let request = outcomes::OutcomeRequest {
        idempotency_key: get("key").unwrap_or_else(|| format!("p{visit_id}")),
        note: get("note"),
        outcomes: items,
        correction: false,
    };
    let answer = match outcomes::record_outcome(
        &state.store,
        &state.catalog,
        &user.actor,
        visit_id,
        &request,
        state.now(),
    )
    .await
    {
        Ok(answer) => answer,
        Err(e) => return error_page(Some(&user), e),
    };
    let day = answer.visit.start.with_timezone(&answer.zone).date_naive();
    let header = Header::new(
        ("Đã ghi kết quả", "Recorded"),
        answer.zone.name(),
        Some(&user),
    );
    let en = header.en;
    let page = OutcomePage {
        header,
        status_vi: answer.visit.status.label_vi(),
        status_en: answer.visit.status.label_en(),
        replayed: answer.replayed,
        away: answer
            .next_windows
            .iter()
            .map(|n| AwayRow {
                name: names
                    .get(&n.resident_id)
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", n.resident_id)),
                windows: n
                    .windows
                    .iter()
                    .map(|(start, end, _)| {
                        format!(
                            "{} {} ({} {}) {}–{}",
                            if en {
                                doorstep_core::words::weekday_en(start.weekday())
                            } else {
                                doorstep_core::words::weekday_vi(start.weekday())
                            },
                            start.format("%d/%m"),
                            doorstep_service::daylist::lunar_short(start.date_naive()),
                            if en { "lunar" } else { "âm" },
                            start.format("%H:%M"),
                            end.format("%H:%M"),
                        )
                    })
                    .collect(),
                reason: n
                    .reason
                    .as_ref()
                    .map(|(vi, english)| if en { english.clone() } else { vi.clone() }),
            })
            .collect(),
        back: format!("{MY_DAY}?ngay={day}"),
    };
    render(StatusCode::OK, &page)
}
