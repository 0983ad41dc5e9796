//! Publishing a draft from the calendar, after a page that lists what it
//! changes.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use doorstep_service::planning::{
    self,
    changes::{ChangeKind, Changes},
};

use super::calendar::calendar_href;
use super::{
    Header, PageUser, TokenForm, date_range, error_page, form_sent_by_us, query_date, render,
    stale_form,
};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

#[derive(Template)]
#[template(path = "publish.html")]
struct ConfirmPage {
    header: Header,
    plan_id: i32,
    range: String,
    added: usize,
    moved: usize,
    removed: usize,
    unchanged: usize,
    action: String,
    back: String,
    groups: Vec<ChangeGroup>,
}

/// The changes of one member's day.
pub(super) struct ChangeGroup {
    pub(super) member: String,
    pub(super) day: String,
    pub(super) changes: Vec<ChangeRow>,
}

pub(super) struct ChangeRow {
    pub(super) kind: &'static str,
    pub(super) kind_vi: &'static str,
    pub(super) kind_en: &'static str,
    pub(super) key: String,
    pub(super) address: String,
    pub(super) when: String,
    pub(super) reason_vi: String,
    pub(super) reason_en: String,
}

/// `GET /plans/{plan_id}/cong-bo?tu=…`: what publishing the draft would
/// change, per member and day, with why, and the button that publishes it.
pub(super) async fn confirm(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<PublishQuery>, QueryRejection>,
) -> Response {
    let tu = query.ok().and_then(|q| q.0.tu);
    match confirm_page(&state, &user, &id, tu).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn confirm_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    tu: Option<String>,
) -> Result<ConfirmPage, ApiError> {
    let plan_id = parse_id("plan_id", id)?;
    let from = query_date("tu", tu.as_deref())?;
    let plan = planning::show_plan(&state.store, &user.actor, plan_id).await?;
    // Only who may publish is asked to confirm.
    user.actor
        .require_lead(&state.store, plan.plan.team_id)
        .await?;
    let (changes, zone) = planning::plan_changes(
        &state.store,
        &state.catalog,
        &user.actor,
        plan_id,
        state.now(),
    )
    .await?;
    let header = Header::new(
        ("Công bố bản nháp", "Publish the draft"),
        zone.name(),
        Some(user),
    );
    let en = header.en;
    let week = from.unwrap_or(plan.plan.start_date);
    let p = &plan.plan;
    Ok(ConfirmPage {
        plan_id,
        range: date_range(
            p.start_date,
            p.start_date + chrono::Days::new(u64::from(p.days.max(1))) - chrono::Days::new(1),
        ),
        added: changes.count(ChangeKind::Added),
        moved: changes.count(ChangeKind::Moved),
        removed: changes.count(ChangeKind::Removed),
        unchanged: changes.unchanged,
        action: format!("/plans/{plan_id}/cong-bo?tu={week}"),
        back: calendar_href(p.team_id, week, true),
        groups: change_groups(&changes, zone, en),
        header,
    })
}

/// The changes of a draft, per day and member, each with its reason.
pub(super) fn change_groups(changes: &Changes, zone: Tz, en: bool) -> Vec<ChangeGroup> {
    let local = |at: DateTime<Utc>| at.with_timezone(&zone);
    let words = |kind: ChangeKind| match kind {
        ChangeKind::Added => ("added", "Thêm", "Added"),
        ChangeKind::Moved => ("moved", "Dời", "Moved"),
        ChangeKind::Removed => ("removed", "Bỏ", "Removed"),
    };
    let mut groups: BTreeMap<(NaiveDate, String), Vec<ChangeRow>> = BTreeMap::new();
    for c in &changes.changes {
        let Some(at) = c.to.as_ref().or(c.from.as_ref()) else {
            continue;
        };
        let member = changes
            .members
            .get(&at.member_id)
            .cloned()
            .unwrap_or_else(|| format!("#{}", at.member_id));
        let (key, address) = changes
            .households
            .get(&c.household_id)
            .cloned()
            .unwrap_or_else(|| (format!("#{}", c.household_id), String::new()));
        let slot = |s: &planning::changes::Slot| {
            format!(
                "{} {}–{}",
                local(s.start).format("%d/%m"),
                local(s.start).format("%H:%M"),
                local(s.end).format("%H:%M")
            )
        };
        let when = match (&c.from, &c.to) {
            (Some(a), Some(b)) => {
                let other = if a.member_id == b.member_id {
                    String::new()
                } else {
                    let name = changes
                        .members
                        .get(&a.member_id)
                        .cloned()
                        .unwrap_or_default();
                    if en {
                        format!(" (was {name})")
                    } else {
                        format!(" (trước: {name})")
                    }
                };
                format!("{} → {}{other}", slot(a), slot(b))
            }
            (Some(s), None) | (None, Some(s)) => slot(s),
            (None, None) => String::new(),
        };
        let (kind, kind_vi, kind_en) = words(c.kind);
        groups
            .entry((local(at.start).date_naive(), member))
            .or_default()
            .push(ChangeRow {
                kind,
                kind_vi,
                kind_en,
                key,
                address,
                when,
                reason_vi: c.reason.words_vi(),
                reason_en: c.reason.words_en(),
            });
    }
    groups
        .into_iter()
        .map(|((day, member), changes)| ChangeGroup {
            member,
            day: day_words(day, en),
            changes,
        })
        .collect()
}

/// "Thứ Ba 08/12", "Tuesday 08/12".
fn day_words(day: NaiveDate, en: bool) -> String {
    use chrono::Datelike;
    let weekday = if en {
        doorstep_core::words::weekday_en(day.weekday())
    } else {
        doorstep_core::words::weekday_vi(day.weekday())
    };
    format!("{weekday} {}", day.format("%d/%m"))
}

/// The query of the publish page and form: the week to come back to.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct PublishQuery {
    tu: Option<String>,
}

/// `POST /plans/{plan_id}/cong-bo`: publishes a draft from the calendar and
/// goes back to the same week of the team's calendar (303).
pub(super) async fn publish(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<PublishQuery>, QueryRejection>,
    headers: HeaderMap,
    form: Result<axum::Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let sent = form.ok().and_then(|f| f.0.csrf);
    if !form_sent_by_us(&headers, &user, sent.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let plan_id = match parse_id("plan_id", &id) {
        Ok(plan_id) => plan_id,
        Err(ApiError(e)) => return error_page(Some(&user), e),
    };
    match planning::publish(&state.store, &user.actor, plan_id, state.now()).await {
        Ok(plan) => {
            let from = query
                .ok()
                .and_then(|q| query_date("tu", q.0.tu.as_deref()).ok().flatten())
                .unwrap_or(plan.plan.start_date);
            Redirect::to(&format!(
                "{}&cong_bo={}",
                calendar_href(plan.plan.team_id, from, false),
                plan.plan.id
            ))
            .into_response()
        }
        Err(e) => error_page(Some(&user), e),
    }
}
