//! A team's dashboard: the residents' needs by step and how far each
//! stands, this week's visits day by day, what the latest published plan
//! left out and why, the blackouts to come, and the way to the team's
//! calendar, households, members, blackouts and register. The team's
//! leader gets the buttons that change things; a volunteer or an official
//! who sees the team reads the same figures.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use doorstep_core::words;
use doorstep_service::dashboard::{self, Dashboard};
use doorstep_service::daylist::lunar_short;

use super::calendar::calendar_href;
use super::{Header, PageUser, date_range, error_page, render};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    header: Header,
    team_id: i32,
    name: String,
    area: String,
    zone: String,
    may_lead: bool,
    stats: Vec<Stat>,
    needs: Vec<NeedLine>,
    need_totals: NeedLine,
    week_range: String,
    week_href: String,
    days: Vec<DayLine>,
    week_totals: DayLine,
    unmet: Option<UnmetView>,
    blackouts: Vec<BlackoutLine>,
}

struct Stat {
    value: u64,
    vi: &'static str,
    en: &'static str,
}

#[derive(Default)]
struct NeedLine {
    vi: &'static str,
    en: &'static str,
    not_started: u64,
    in_progress: u64,
    refused: u64,
    done: u64,
    not_applicable: u64,
}

#[derive(Default)]
struct DayLine {
    weekday: &'static str,
    date: String,
    lunar: String,
    today: bool,
    planned: usize,
    done: usize,
    not_home: usize,
    to_come: usize,
}

struct UnmetView {
    plan_id: i32,
    range: String,
    households: usize,
    href: String,
    reasons: Vec<ReasonLine>,
}

struct ReasonLine {
    code: &'static str,
    vi: &'static str,
    en: &'static str,
    count: usize,
}

struct BlackoutLine {
    label: String,
    village: Option<String>,
    vi: String,
    en: String,
    ongoing: bool,
    affected: usize,
}

/// `GET /teams/{team_id}`: the team at a glance.
pub(super) async fn team(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Response {
    match team_page(&state, &user, &id).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

/// A weekday as a table's first column says it: "T2", "Mon".
fn weekday_short(date: NaiveDate, en: bool) -> &'static str {
    if en {
        words::weekday_en_short(date.weekday())
    } else {
        match date.weekday() {
            chrono::Weekday::Mon => "T2",
            chrono::Weekday::Tue => "T3",
            chrono::Weekday::Wed => "T4",
            chrono::Weekday::Thu => "T5",
            chrono::Weekday::Fri => "T6",
            chrono::Weekday::Sat => "T7",
            chrono::Weekday::Sun => "CN",
        }
    }
}

async fn team_page(state: &AppState, user: &CurrentUser, id: &str) -> Result<TeamPage, ApiError> {
    let team_id = parse_id("team_id", id)?;
    let board: Dashboard = dashboard::team_dashboard(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        state.now(),
    )
    .await?;
    let header = Header::new(
        (&board.team.name, &board.team.name),
        &board.team.timezone,
        Some(user),
    );
    let en = header.en;
    let counts = &board.team.counts;
    let stats = vec![
        Stat {
            value: counts.households,
            vi: "hộ",
            en: "households",
        },
        Stat {
            value: counts.residents,
            vi: "người dân",
            en: "residents",
        },
        Stat {
            value: counts.households_with_open_needs,
            vi: "hộ còn nhu cầu",
            en: "households with open needs",
        },
        Stat {
            value: counts.members,
            vi: "thành viên",
            en: "members",
        },
    ];
    let mut need_totals = NeedLine {
        vi: "Tổng",
        en: "Total",
        ..NeedLine::default()
    };
    let needs = board
        .needs
        .iter()
        .map(|n| {
            need_totals.not_started += n.not_started;
            need_totals.in_progress += n.in_progress;
            need_totals.refused += n.refused;
            need_totals.done += n.done;
            need_totals.not_applicable += n.not_applicable;
            NeedLine {
                vi: n.step.label_vi(),
                en: n.step.label_en(),
                not_started: n.not_started,
                in_progress: n.in_progress,
                refused: n.refused,
                done: n.done,
                not_applicable: n.not_applicable,
            }
        })
        .collect();
    let mut week_totals = DayLine::default();
    let days = board
        .week
        .iter()
        .map(|d| {
            week_totals.planned += d.planned;
            week_totals.done += d.done;
            week_totals.not_home += d.not_home;
            week_totals.to_come += d.to_come;
            let lunar = lunar_short(d.date);
            DayLine {
                weekday: weekday_short(d.date, en),
                date: d.date.format("%d/%m").to_string(),
                lunar: if lunar.is_empty() {
                    lunar
                } else if en {
                    format!("lunar {lunar}")
                } else {
                    format!("{lunar} ÂL")
                },
                today: d.today,
                planned: d.planned,
                done: d.done,
                not_home: d.not_home,
                to_come: d.to_come,
            }
        })
        .collect();
    let monday = board.week.first().map_or(board.today, |d| d.date);
    let sunday = board.week.last().map_or(board.today, |d| d.date);
    let unmet = board.unmet.as_ref().map(|u| {
        let last =
            u.start_date + chrono::Days::new(u64::from(u.days.max(1))) - chrono::Days::new(1);
        UnmetView {
            plan_id: u.plan_id,
            range: date_range(u.start_date, last),
            households: u.households,
            href: format!(
                "{}#ke-hoach-{}",
                calendar_href(team_id, u.start_date.max(board.today), false),
                u.plan_id
            ),
            reasons: u
                .by_reason
                .iter()
                .map(|(reason, count)| ReasonLine {
                    code: reason.code(),
                    vi: reason.label_vi(),
                    en: reason.label_en(),
                    count: *count,
                })
                .collect(),
        }
    });
    let blackouts = board
        .blackouts
        .iter()
        .map(|b| BlackoutLine {
            label: b.label.clone(),
            village: b.village.clone(),
            vi: b.description_vi.clone(),
            en: b.description_en.clone(),
            ongoing: b.ongoing,
            affected: b.affected.len(),
        })
        .collect();
    Ok(TeamPage {
        team_id,
        name: board.team.name.clone(),
        area: board.team.area.clone(),
        zone: board.team.timezone.clone(),
        may_lead: board.may_lead,
        stats,
        needs,
        need_totals,
        week_range: date_range(monday, sunday),
        week_href: calendar_href(team_id, monday, false),
        days,
        week_totals,
        unmet,
        blackouts,
        header,
    })
}
