//! A member's visits of a day: their own list, or as a leader or an
//! official reads it.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use doorstep_core::{NeedStep, OutcomeResult, VisitMode, VisitStatus};
use doorstep_service::daylist::{self, DayList};
use doorstep_service::error::ServiceError;
use doorstep_service::outcomes;

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
    /// The visit whose outcome was just recorded: its residents found away
    /// are shown with their next likely times.
    ghi: Option<String>,
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
    /// Tomorrow's list, when another day is shown.
    tomorrow: Option<String>,
    /// The page of the member's calendar feed (their own list only).
    phone_calendar: Option<&'static str>,
    /// The team's calendar of the week from this day.
    calendar: String,
    phones_shown: bool,
    cards: Vec<VisitCard>,
    /// The one-tap results, one button each.
    results: &'static [(&'static str, &'static str, &'static str)],
}

struct VisitCard {
    id: i32,
    /// The member may record what happened (their own list, the day has
    /// come, the visit is not cancelled).
    can_record: bool,
    /// The start of each recording form's idempotency key (the form adds
    /// the resident, the need and the result): a double tap records once.
    form_key: String,
    /// The day of the list, `YYYY-MM-DD`.
    date: String,
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
    /// The result recorded for the whole visit (`done`…), if any.
    current: String,
    /// Every result recorded for them at the visit, in words.
    recorded: Vec<String>,
    /// The needs of the visit they have, each with its own result, when
    /// there are two or more.
    needs: Vec<NeedRow>,
    /// Their next likely times, just after they were recorded away.
    next_times: Vec<String>,
    /// Why there is no next time, when there is none.
    next_reason: Option<String>,
}

struct NeedRow {
    code: &'static str,
    label: &'static str,
    /// The result recorded for this need alone, if any.
    current: String,
}

/// The one-tap results, in the order of the buttons (the appointment,
/// which needs a day, comes apart).
pub(super) const RESULTS: [(&str, &str, &str); 4] = [
    ("done", "Đã xong", "Done"),
    ("not_home", "Không có nhà", "Not home"),
    ("reschedule", "Hẹn lại", "Another time"),
    ("refused", "Từ chối", "Refused"),
];

/// A result's words on the page.
pub(super) fn result_words(result: OutcomeResult) -> (&'static str, &'static str) {
    match result {
        OutcomeResult::Done => ("Đã xong", "Done"),
        OutcomeResult::NotHome => ("Không có nhà", "Not home"),
        OutcomeResult::Reschedule => ("Hẹn lại", "Another time"),
        OutcomeResult::Refused => ("Từ chối", "Refused"),
        OutcomeResult::NeedsAppointment => ("Cần hẹn công an", "Needs an appointment"),
    }
}

/// A fresh start of idempotency keys: the clock's nanoseconds and a
/// random number, so that two renderings never share a key.
pub(super) fn key_nonce(now: chrono::DateTime<chrono::Utc>) -> String {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!(
        "{:x}-{random:x}",
        now.timestamp_nanos_opt().unwrap_or_default()
    )
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
    let list = match found {
        Ok(list) => list,
        Err(e) => return error_page(Some(&user), e),
    };
    // After a recording: the next likely times of those found away.
    let just_recorded = query
        .ghi
        .as_deref()
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|id| list.visits.iter().any(|v| v.id == *id));
    let away = match just_recorded {
        Some(visit_id) => outcomes::away_next_windows(
            &state.store,
            &state.catalog,
            &user.actor,
            visit_id,
            state.now(),
        )
        .await
        .map(|found| (visit_id, found))
        .ok(),
        None => None,
    };
    let mut page = day_page(&user, list, MY_DAY.to_owned());
    if let Some((visit_id, found)) = away {
        let en = page.header.en;
        for card in page.cards.iter_mut().filter(|c| c.id == visit_id) {
            for person in &mut card.residents {
                if let Some(next) = found.iter().find(|n| n.resident_id == person.id) {
                    person.next_times = next
                        .windows
                        .iter()
                        .map(|(start, end, _)| window_words(*start, *end, en))
                        .collect();
                    person.next_reason = next
                        .reason
                        .as_ref()
                        .map(|(vi, english)| if en { english.clone() } else { vi.clone() });
                }
            }
        }
    }
    render(StatusCode::OK, &page)
}

/// A next window in words: "Thứ Ba 08/12 (28/10 âm) 17:00–20:00".
pub(super) fn window_words(
    start: chrono::DateTime<chrono_tz::Tz>,
    end: chrono::DateTime<chrono_tz::Tz>,
    en: bool,
) -> String {
    use chrono::Datelike;
    format!(
        "{} {} ({} {}) {}–{}",
        if en {
            doorstep_core::words::weekday_en(start.weekday())
        } else {
            doorstep_core::words::weekday_vi(start.weekday())
        },
        start.format("%d/%m"),
        daylist::lunar_short(start.date_naive()),
        if en { "lunar" } else { "âm" },
        start.format("%H:%M"),
        end.format("%H:%M"),
    )
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
        tomorrow: (list.date != today + Days::new(1)).then(|| day_href(today + Days::new(1))),
        phone_calendar: mine.then_some(super::PHONE_CALENDAR),
        calendar: calendar_href(list.team_id, list.date, false),
        phones_shown: list.phones_shown,
        results: &RESULTS,
        cards: list
            .visits
            .into_iter()
            .map(|v| {
                let (mode_vi, mode_en) = mode_words(v.mode);
                VisitCard {
                    id: v.id,
                    can_record: mine && day_has_come && v.status != VisitStatus::Cancelled,
                    form_key: format!("p{}-{}", v.id, key_nonce(now)),
                    date: list.date.to_string(),
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
                        .map(|r| {
                            let current_of = |need: Option<NeedStep>| {
                                r.recorded
                                    .iter()
                                    .rev()
                                    .find(|o| o.need == need)
                                    .map(|o| o.result.code().to_owned())
                                    .unwrap_or_default()
                            };
                            PersonRow {
                                id: r.id,
                                tel: r.phone.as_deref().and_then(tel_target),
                                current: current_of(None),
                                recorded: r
                                    .recorded
                                    .iter()
                                    .map(|o| {
                                        let (vi, english) = result_words(o.result);
                                        let words = if en { english } else { vi };
                                        let words = match o.appointment_on {
                                            Some(day) => {
                                                format!("{words} {}", day.format("%d/%m/%Y"))
                                            }
                                            None => words.to_owned(),
                                        };
                                        match o.need {
                                            Some(need) => format!(
                                                "{}: {words}",
                                                if en { need.label_en() } else { need.label_vi() }
                                            ),
                                            None => words,
                                        }
                                    })
                                    .collect(),
                                needs: if r.needs.len() >= 2 {
                                    r.needs
                                        .iter()
                                        .map(|need| NeedRow {
                                            code: need.code(),
                                            label: if en {
                                                need.label_en()
                                            } else {
                                                need.label_vi()
                                            },
                                            current: current_of(Some(*need)),
                                        })
                                        .collect()
                                } else {
                                    Vec::new()
                                },
                                next_times: Vec::new(),
                                next_reason: None,
                                phone: r.phone,
                                name: r.name,
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}
