//! Recording a visit's outcome from the day page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_core::{NeedStep, OutcomeResult};
use doorstep_service::error::ServiceError;
use doorstep_service::outcomes;

use super::day::{key_nonce, result_words, window_words};
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

/// A second tap that would change a result already recorded: asked first.
#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    header: Header,
    action: String,
    changes: Vec<ChangeRow>,
    /// The form's fields as sent, to send again with `correction`.
    fields: Vec<(String, String)>,
    key: String,
    back: String,
}

struct ChangeRow {
    name: String,
    need: Option<&'static str>,
    before: &'static str,
    after: &'static str,
}

struct AwayRow {
    name: String,
    windows: Vec<String>,
    reason: Option<String>,
}

/// `POST /visits/{visit_id}/ket-qua`: the outcome forms of the day page —
/// one choice per resident (`r{id}`), for one need (`g{id}`) or every need
/// of the visit, an appointment day (`h{id}`), a note — recorded as the API
/// records it.
///
/// A one-tap form (`mot=1`) goes back to the day's list (303), where the
/// result shows and those found away have their next likely times; the
/// full form answers with a page of what was recorded. A result that would
/// change one recorded already is never sent as it is: the answer asks
/// first, and the form it shows sends the change as a correction
/// (`correction=1`).
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
                need: get(&format!("g{resident}")),
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
    let correction = get("correction").as_deref() == Some("1");
    let one_tap = get("mot").as_deref() == Some("1");
    if !correction {
        let recorded = match outcomes::recorded_at(&state.store, &user.actor, visit_id).await {
            Ok(recorded) => recorded,
            Err(e) => return error_page(Some(&user), e),
        };
        let changes = changes(&items, &recorded);
        if !changes.is_empty() {
            return confirm_page(&user, visit_id, &fields, &names, &changes, get("ngay"));
        }
    }
    let request = outcomes::OutcomeRequest {
        idempotency_key: get("key").unwrap_or_else(|| format!("p{visit_id}")),
        note: get("note"),
        outcomes: items,
        correction,
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
    if one_tap {
        return Redirect::to(&format!("{MY_DAY}?ngay={day}&ghi={visit_id}#v{visit_id}"))
            .into_response();
    }
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
                    .map(|(start, end, _)| window_words(*start, *end, en))
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

/// A result asked for that would change one recorded at the visit.
struct Change {
    resident_id: i32,
    need: Option<NeedStep>,
    before: OutcomeResult,
    after: OutcomeResult,
}

/// The results asked for that differ from what is recorded for the same
/// resident and need (or for the resident's whole visit).
fn changes(items: &[outcomes::OutcomeItem], recorded: &[outcomes::OutcomeLine]) -> Vec<Change> {
    items
        .iter()
        .filter_map(|item| {
            let after = OutcomeResult::parse(&item.result)?;
            let need = match item.need.as_deref() {
                Some(code) => Some(NeedStep::parse(code)?),
                None => None,
            };
            let before = recorded.iter().rev().find(|line| {
                line.resident_id == item.resident_id
                    && (line.need == need || line.need.is_none() || need.is_none())
                    && line.result != after
            })?;
            Some(Change {
                resident_id: item.resident_id,
                need,
                before: before.result,
                after,
            })
        })
        .collect()
}

/// "Change the recorded result?", with the form that sends the change.
fn confirm_page(
    user: &crate::CurrentUser,
    visit_id: i32,
    fields: &[(String, String)],
    names: &std::collections::BTreeMap<i32, String>,
    changes: &[Change],
    day: Option<String>,
) -> Response {
    let header = Header::new(
        ("Đổi kết quả đã ghi?", "Change the recorded result?"),
        super::HOME_ZONE,
        Some(user),
    );
    let en = header.en;
    let pick = |(vi, english): (&'static str, &'static str)| if en { english } else { vi };
    let back = match day {
        Some(day) => format!("{MY_DAY}?ngay={day}#v{visit_id}"),
        None => MY_DAY.to_owned(),
    };
    let page = ConfirmPage {
        header,
        action: format!("/visits/{visit_id}/ket-qua"),
        changes: changes
            .iter()
            .map(|c| ChangeRow {
                name: names
                    .get(&c.resident_id)
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", c.resident_id)),
                need: c.need.map(|n| if en { n.label_en() } else { n.label_vi() }),
                before: pick(result_words(c.before)),
                after: pick(result_words(c.after)),
            })
            .collect(),
        fields: fields
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "csrf" | "key" | "correction"))
            .cloned()
            .collect(),
        key: format!("c{visit_id}-{}", key_nonce(user.now)),
        back,
    };
    render(StatusCode::OK, &page)
}
