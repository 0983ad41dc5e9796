//! A member's visits of a day: their own list, or as a leader or an
//! official reads it.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use doorstep_core::{VisitMode, VisitStatus};
use doorstep_service::daylist::{self, DayList};
use doorstep_service::error::ServiceError;

use super::calendar::calendar_href;
use super::{
    Header, MY_DAY, PageUser, error_page, geo_target, mode_words, query_date, render, tel_target,
};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// The query of a day's list.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct DayQuery {
    /// The day, `YYYY-MM-DD`; today in the team's zone when absent.
    ngay: Option<String>,
}

#[derive(Template)]
#[template(path = "day.html")]
struct DayPage {
    header: Header,
    /// The member's own list (else a leader's or an official's reading).
    mine: bool,
    member_name: String,
    team_name: String,
    heading_vi: String,
    heading_en: String,
    previous: String,
    next: String,
    /// Today's list, when another day is shown.
    today: Option<String>,
    /// The team's calendar of the week from this day.
    calendar: String,
    phones_shown: bool,
    cards: Vec<VisitCard>,
}

struct VisitCard {
    id: i32,
    /// The member may record what happened (their own list, the day has
    /// come, the visit is not cancelled).
    can_record: bool,
    /// The recording's idempotency key: a double tap records once.
    form_key: String,
    order: usize,
    time: String,
    mode_vi: &'static str,
    mode_en: &'static str,
    remote: bool,
    status_code: &'static str,
    status_vi: &'static str,
    status_en: &'static str,
    key: String,
    address: String,
    village: String,
    map: Option<String>,
    approximate: bool,
    purposes: Vec<&'static str>,
    window_vi: String,
    window_en: String,
    residents: Vec<PersonRow>,
}

struct PersonRow {
    id: i32,
    name: String,
    phone: Option<String>,
    tel: Option<String>,
}

/// `GET /lich-cua-toi?ngay=YYYY-MM-DD`: the signed-in member's visits of a day.
pub(super) async fn my_day(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    query: Result<Query<DayQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let found = match query_date("ngay", query.ngay.as_deref()) {
        Ok(date) => {
            daylist::my_day_list(&state.store, &state.catalog, &user.actor, date, state.now()).await
        }
        Err(e) => Err(e),
    };
    match found {
        Ok(list) => render(StatusCode::OK, &day_page(&user, list, MY_DAY.to_owned())),
        Err(e) => error_page(Some(&user), e),
    }
}

/// `GET /members/{member_id}/ngay?ngay=YYYY-MM-DD`: a member's visits of a
/// day, as their leader (or an official) reads them: without phone numbers.
pub(super) async fn member_day(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<DayQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let found = async {
        let member_id = parse_id("member_id", &id).map_err(|ApiError(e)| e)?;
        let date = query_date("ngay", query.ngay.as_deref())?;
        let list = daylist::day_list(
            &state.store,
            &state.catalog,
            &user.actor,
            member_id,
            date,
            state.now(),
        )
        .await?;
        Ok::<_, ServiceError>((member_id, list))
    }
    .await;
    match found {
        Ok((member_id, list)) => render(
            StatusCode::OK,
            &day_page(&user, list, format!("/members/{member_id}/ngay")),
        ),
        Err(e) => error_page(Some(&user), e),
    }
}

fn day_page(user: &CurrentUser, list: DayList, base: String) -> DayPage {
    let now = user.now;
    let today = now.with_timezone(&list.zone).date_naive();
    let day_href = |date: NaiveDate| format!("{base}?ngay={date}");
    let mine = user.actor.member_id == Some(list.member_id);
    let day_has_come = list.date <= today;
    let title = format!("{} · {}", list.member_name, list.date.format("%d/%m/%Y"));
    let header = Header::new((&title, &title), list.zone.name(), Some(user));
    let en = header.en;
    DayPage {
        header,
        mine,
        member_name: list.member_name.clone(),
        team_name: list.team_name.clone(),
        heading_vi: list.heading.vi.clone(),
        heading_en: list.heading.en.clone(),
        previous: day_href(list.date - Days::new(1)),
        next: day_href(list.date + Days::new(1)),
        today: (list.date != today).then(|| day_href(today)),
        calendar: calendar_href(list.team_id, list.date, false),
        phones_shown: list.phones_shown,
        cards: list
            .visits
            .into_iter()
            .map(|v| {
                let (mode_vi, mode_en) = mode_words(v.mode);
                VisitCard {
                    id: v.id,
                    can_record: mine && day_has_come && v.status != VisitStatus::Cancelled,
                    form_key: format!(
                        "p{}-{}",
                        v.id,
                        now.timestamp_nanos_opt().unwrap_or_default()
                    ),
                    order: v.order,
                    time: v.window.time,
                    mode_vi,
                    mode_en,
                    remote: v.mode == VisitMode::Remote,
                    status_code: v.status.code(),
                    status_vi: v.status.label_vi(),
                    status_en: v.status.label_en(),
                    key: v.household.external_id,
                    address: v.household.address,
                    village: v.household.village.unwrap_or_default(),
                    map: v.household.location.map(|p| geo_target(p.lat, p.lon)),
                    approximate: v.household.approximate,
                    purposes: v
                        .purposes
                        .iter()
                        .map(|p| if en { p.label_en() } else { p.label_vi() })
                        .collect(),
                    window_vi: v.window.vi,
                    window_en: v.window.en,
                    residents: v
                        .residents
                        .into_iter()
                        .map(|r| PersonRow {
                            id: r.id,
                            tel: r.phone.as_deref().and_then(tel_target),
                            phone: r.phone,
                            name: r.name,
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}
