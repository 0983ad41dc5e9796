//! A week of a team's calendar: the published visits or the newest draft,
//! with the plans' figures and what they left unmet.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use doorstep_core::{Language, UserRole, VisitMode, VisitStatus};
use doorstep_service::blackouts;
use doorstep_service::calendar::{self, CalendarDay, Showing, WeekPlan};
use doorstep_service::planning::{self, records::PlanRecord};

use super::{Header, MY_DAY, PageUser, date_range, error_page, mode_words, query_date, render};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    header: Header,
    team_id: i32,
    team_name: String,
    zone: String,
    range: String,
    previous_week: String,
    next_week: String,
    /// The week of today, when another week is shown.
    this_week: Option<String>,
    /// The day shown on a phone, one at a time, with the days around it.
    focus: FocusDay,
    showing_draft: bool,
    draft: Option<DraftBanner>,
    /// The plan just published, when the leader comes back from publishing.
    published_now: Option<i32>,
    days: Vec<DayView>,
    plans: Vec<PlanView>,
    /// Published plans to go to when the week has none.
    other_plans: Vec<PlanLink>,
    /// The team's blackouts in words, each with the visits it falls on.
    blackouts: Vec<BlackoutRow>,
    /// The leader's planning: re-plan the calendar, plan anew.
    planning: Option<PlanningLinks>,
}

/// The day a phone shows, with the way to the day before and after.
struct FocusDay {
    previous: String,
    next: String,
    /// Today, when another day is in focus.
    today: Option<String>,
}

/// Where a leader plans from the calendar.
pub(super) struct PlanningLinks {
    /// `POST`: re-plan the calendar from today as a draft.
    pub(super) replan_action: String,
    /// The page with the planning forms.
    pub(super) plan_page: String,
    /// Visits still to come that a blackout falls on.
    pub(super) in_blackouts: usize,
}

struct BlackoutRow {
    label: String,
    vi: String,
    en: String,
    affected: usize,
}

struct DraftBanner {
    id: i32,
    /// What publishing it would change: added, moved, removed, unchanged.
    changes: Option<(usize, usize, usize, usize)>,
    range: String,
    days: u32,
    visits: usize,
    unmet: usize,
    created: String,
    publish_action: String,
    /// The draft's own page: its days, its changes with reasons.
    plan_page: String,
    /// The draft's week when the draft is not shown, else the published one.
    switch_href: String,
    /// The draft's first week, when the week shown is outside it.
    first_week: Option<String>,
}

pub(super) struct DayView {
    pub(super) vi: String,
    pub(super) en: String,
    /// `YYYY-MM-DD`, for the day's anchor.
    pub(super) date: String,
    /// The day's tab on a phone: "T2 07/12", "Mon 07/12".
    pub(super) short: String,
    /// The day's address, one day at a time.
    pub(super) href: String,
    /// The day a phone shows.
    pub(super) focus: bool,
    /// Rằm or the first of the lunar month, in the page's language.
    pub(super) lunar_mark: Option<&'static str>,
    /// The moon's phase of the day and its time, in the page's language.
    pub(super) moon: Option<String>,
    /// The day's high and low waters, in the page's language.
    pub(super) waters: Vec<String>,
    /// The day's tide curve as SVG polyline points (0–288 × 0–48), with
    /// its lowest and highest heights.
    pub(super) curve: Option<(String, String)>,
    /// The blackouts on the day: label, and the village when only one.
    pub(super) blackouts: Vec<String>,
    pub(super) today: bool,
    pub(super) visits: usize,
    pub(super) members: Vec<MemberView>,
}

pub(super) struct MemberView {
    pub(super) name: String,
    pub(super) href: Option<String>,
    /// The day drawn as a route, with links to a map app.
    pub(super) route: Option<String>,
    pub(super) count: usize,
    pub(super) cap: u32,
    pub(super) over: bool,
    pub(super) visits: Vec<VisitRow>,
}

pub(super) struct VisitRow {
    pub(super) time: String,
    pub(super) key: String,
    pub(super) address: String,
    pub(super) village: String,
    /// The residents it expects, by name.
    pub(super) residents: String,
    pub(super) mode_vi: &'static str,
    pub(super) mode_en: &'static str,
    pub(super) remote: bool,
    pub(super) purposes: Vec<&'static str>,
    pub(super) pinned: bool,
    /// The blackout it falls in.
    pub(super) blackout: Option<String>,
    pub(super) status_code: &'static str,
    pub(super) status_vi: &'static str,
    pub(super) status_en: &'static str,
    /// The leader's page to pin, move or cancel it.
    pub(super) edit: Option<String>,
}

pub(super) struct PlanView {
    pub(super) id: i32,
    pub(super) status_vi: &'static str,
    pub(super) status_en: &'static str,
    pub(super) range: String,
    pub(super) days: u32,
    pub(super) visits: usize,
    pub(super) objective: i64,
    pub(super) upper_bound: i64,
    pub(super) percent: Option<i64>,
    pub(super) unmet: usize,
    pub(super) groups: Vec<UnmetGroup>,
    /// The plan's own page, for who leads the team.
    pub(super) href: Option<String>,
}

pub(super) struct UnmetGroup {
    pub(super) vi: &'static str,
    pub(super) en: &'static str,
    pub(super) count: usize,
    pub(super) items: Vec<UnmetRow>,
}

pub(super) struct UnmetRow {
    pub(super) key: String,
    pub(super) address: String,
    pub(super) resident: Option<String>,
    pub(super) vi: String,
    pub(super) en: String,
}

struct PlanLink {
    href: String,
    range: String,
}

/// The query of a team's calendar.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct CalendarQuery {
    /// The first day, `YYYY-MM-DD`; today in the team's zone when absent.
    tu: Option<String>,
    /// `nhap`: the newest draft instead of the published calendar.
    xem: Option<String>,
    /// The plan just published (set by the publish form's redirect).
    cong_bo: Option<String>,
    /// The day a phone shows, `YYYY-MM-DD`; today (or the week's first
    /// day) when absent. A day outside the week moves the week to it.
    ngay: Option<String>,
}

/// `GET /teams/{team_id}/lich?tu=YYYY-MM-DD`: a week of the team's calendar.
pub(super) async fn calendar(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<CalendarQuery>, QueryRejection>,
) -> Response {
    match calendar_page(&state, &user, &id, query.map(|q| q.0).unwrap_or_default()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

/// "Rằm" on the 15th of a lunar month, "Mùng một" on its first day.
fn lunar_mark(date: NaiveDate, en: bool) -> Option<&'static str> {
    match doorstep_lunar::to_lunar(date).ok()?.day {
        15 => Some(if en { "Full-moon day (rằm)" } else { "Rằm" }),
        1 => Some(if en {
            "First of the lunar month"
        } else {
            "Mùng một"
        }),
        _ => None,
    }
}

/// A phase of the moon in words.
fn phase_words(phase: doorstep_lunar::Phase, en: bool) -> &'static str {
    use doorstep_lunar::Phase;
    match (phase, en) {
        (Phase::New, false) => "Trăng non (sóc)",
        (Phase::New, true) => "New moon",
        (Phase::FirstQuarter, false) => "Thượng huyền",
        (Phase::FirstQuarter, true) => "First quarter",
        (Phase::Full, false) => "Trăng tròn (vọng)",
        (Phase::Full, true) => "Full moon",
        (Phase::LastQuarter, false) => "Hạ huyền",
        (Phase::LastQuarter, true) => "Last quarter",
    }
}

/// "Nước lớn 03:12 · 2,8 m", "High water 03:12 · 2.8 m".
fn water_words(high: bool, time: String, height_m: f64, en: bool) -> String {
    if en {
        let kind = if high { "High water" } else { "Low water" };
        format!("{kind} {time} · {height_m:.1} m")
    } else {
        let kind = if high {
            "Nước lớn"
        } else {
            "Nước ròng"
        };
        format!(
            "{kind} {time} · {} m",
            format!("{height_m:.1}").replace('.', ",")
        )
    }
}

/// The day's heights as the points of an SVG polyline 288 wide and 48 high
/// (higher water higher up), with the range in words; `None` without heights.
fn tide_curve(heights: &[f64], en: bool) -> Option<(String, String)> {
    let low = heights.iter().copied().fold(f64::INFINITY, f64::min);
    let high = heights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if heights.len() < 2 || !low.is_finite() || !high.is_finite() {
        return None;
    }
    let span = (high - low).max(0.01);
    let step = 288.0 / (heights.len() - 1) as f64;
    let points = heights
        .iter()
        .enumerate()
        .map(|(i, h)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                46.0 - (h - low) / span * 44.0
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let range = if en {
        format!("Tide from {low:.1} m to {high:.1} m over the day")
    } else {
        format!(
            "Thủy triều trong ngày từ {} m đến {} m",
            format!("{low:.1}").replace('.', ","),
            format!("{high:.1}").replace('.', ",")
        )
    };
    Some((points, range))
}

pub(super) fn calendar_href(team_id: i32, from: NaiveDate, draft: bool) -> String {
    let view = if draft { "&xem=nhap" } else { "" };
    format!("/teams/{team_id}/lich?tu={from}{view}")
}

/// The week of `day` with the same first weekday as the week from `from`:
/// a phone that goes day by day walks through the same weeks as the pager.
fn week_of(from: NaiveDate, day: NaiveDate) -> NaiveDate {
    let offset = (day - from)
        .num_days()
        .rem_euclid(calendar::WEEK_DAYS as i64);
    day - Days::new(offset as u64)
}

/// One day of the calendar, in the week it falls in.
fn day_href(team_id: i32, from: NaiveDate, day: NaiveDate, draft: bool) -> String {
    format!(
        "{}&ngay={day}",
        calendar_href(team_id, week_of(from, day), draft)
    )
}

/// "T2 07/12", "Mon 07/12": a day's tab on a phone.
fn short_day(date: NaiveDate, en: bool) -> String {
    use chrono::{Datelike, Weekday};
    let weekday = if en {
        doorstep_core::words::weekday_en_short(date.weekday())
    } else {
        match date.weekday() {
            Weekday::Mon => "T2",
            Weekday::Tue => "T3",
            Weekday::Wed => "T4",
            Weekday::Thu => "T5",
            Weekday::Fri => "T6",
            Weekday::Sat => "T7",
            Weekday::Sun => "CN",
        }
    };
    format!("{weekday} {}", date.format("%d/%m"))
}

/// How a calendar's days are shown: the links each member and visit gets.
pub(super) struct DayLinks<'a> {
    /// The page's language is English.
    pub(super) en: bool,
    /// Today in the team's zone.
    pub(super) today: NaiveDate,
    /// A member's day, for who may read it.
    pub(super) member: &'a (dyn Fn(i32, NaiveDate) -> Option<String> + Sync),
    /// Visits may be pinned, moved and cancelled (the team's leader).
    pub(super) edit: bool,
    /// A day's address, one day at a time.
    pub(super) day: &'a (dyn Fn(NaiveDate) -> String + Sync),
}

/// A day of the calendar as the templates show it.
pub(super) fn day_view(day: &CalendarDay, links: &DayLinks<'_>) -> DayView {
    let en = links.en;
    DayView {
        vi: day.heading.vi.clone(),
        en: day.heading.en.clone(),
        date: day.date.to_string(),
        short: short_day(day.date, en),
        href: (links.day)(day.date),
        focus: false,
        lunar_mark: lunar_mark(day.date, en),
        moon: day
            .moon
            .map(|(phase, at)| format!("{} {}", phase_words(phase, en), at.format("%H:%M"))),
        waters: day
            .waters
            .iter()
            .map(|w| water_words(w.high, w.at.format("%H:%M").to_string(), w.height_m, en))
            .collect(),
        curve: tide_curve(&day.tide_curve, en),
        blackouts: day
            .blackouts
            .iter()
            .map(|(label, village)| match village {
                Some(village) => format!("{label} ({village})"),
                None => label.clone(),
            })
            .collect(),
        today: day.date == links.today,
        visits: day.members.iter().map(|m| m.count).sum(),
        members: day
            .members
            .iter()
            .map(|m| {
                let href = (links.member)(m.member_id, day.date);
                MemberView {
                    name: m.name.clone(),
                    route: href.as_ref().map(|_| route_href(m.member_id, day.date)),
                    href,
                    count: m.count,
                    cap: m.daily_visit_cap,
                    over: m.count > m.daily_visit_cap as usize,
                    visits: m
                        .visits
                        .iter()
                        .map(|v| {
                            let (mode_vi, mode_en) = mode_words(v.mode);
                            let open =
                                matches!(v.status, VisitStatus::Proposed | VisitStatus::Confirmed);
                            VisitRow {
                                time: format!(
                                    "{}–{}",
                                    v.start.format("%H:%M"),
                                    v.end.format("%H:%M")
                                ),
                                key: v.household.external_id.clone(),
                                address: v.household.address.clone(),
                                village: v.household.village.clone().unwrap_or_default(),
                                residents: v.residents.join(", "),
                                mode_vi,
                                mode_en,
                                remote: v.mode == VisitMode::Remote,
                                purposes: v
                                    .purposes
                                    .iter()
                                    .map(|p| if en { p.label_en() } else { p.label_vi() })
                                    .collect(),
                                pinned: v.pinned,
                                blackout: v.blackout.clone(),
                                status_code: v.status.code(),
                                status_vi: v.status.label_vi(),
                                status_en: v.status.label_en(),
                                edit: (links.edit && open).then(|| super::visit::edit_href(v.id)),
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// A member's day as a route.
pub(super) fn route_href(member_id: i32, date: NaiveDate) -> String {
    format!("/members/{member_id}/ngay/duong-di?ngay={date}")
}

/// A plan's figures and what it leaves out, as the templates show them.
pub(super) fn plan_view(w: &WeekPlan, href: Option<String>) -> PlanView {
    let p = &w.plan;
    let figures = &p.figures;
    PlanView {
        id: p.id,
        status_vi: p.status.label_vi(),
        status_en: p.status.label_en(),
        range: plan_range(p),
        days: p.days,
        visits: w.visits,
        objective: figures.objective,
        upper_bound: figures.upper_bound,
        percent: (figures.upper_bound > 0).then(|| figures.objective * 100 / figures.upper_bound),
        unmet: w.unmet_by_reason.iter().map(|(_, count)| count).sum(),
        groups: w
            .unmet_by_reason
            .iter()
            .map(|(reason, count)| UnmetGroup {
                vi: reason.label_vi(),
                en: reason.label_en(),
                count: *count,
                items: w
                    .unmet
                    .iter()
                    .filter(|u| u.reason == *reason)
                    .map(|u| UnmetRow {
                        key: u.household.external_id.clone(),
                        address: u.household.address.clone(),
                        resident: u.resident.clone(),
                        vi: u.explanation_vi.clone(),
                        en: u.explanation_en.clone(),
                    })
                    .collect(),
            })
            .collect(),
        href,
    }
}

/// "01/12 – 28/12/2026": a plan's days.
pub(super) fn plan_range(p: &PlanRecord) -> String {
    date_range(
        p.start_date,
        p.start_date + Days::new(u64::from(p.days.max(1))) - Days::new(1),
    )
}

/// A plan's own page.
pub(super) fn plan_href(plan_id: i32) -> String {
    format!("/plans/{plan_id}")
}

async fn calendar_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    query: CalendarQuery,
) -> Result<CalendarPage, ApiError> {
    let team_id = parse_id("team_id", id)?;
    let en = user.user.language == Language::En;
    let from = query_date("tu", query.tu.as_deref())?;
    let focus = query_date("ngay", query.ngay.as_deref())?;
    let showing = match query.xem.as_deref().map(str::trim) {
        Some("nhap") => Showing::Draft,
        _ => Showing::Published,
    };
    // A day outside the week asked for moves the week to it, in step.
    let from = match (from, focus) {
        (Some(from), Some(day)) => Some(week_of(from, day)),
        (None, Some(day)) => {
            let zone = planning::team_zone_of(&state.store, team_id)
                .await
                .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
            Some(week_of(user.now.with_timezone(&zone).date_naive(), day))
        }
        (from, None) => from,
    };
    let week = calendar::team_week(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        from,
        showing,
        state.now(),
    )
    .await?;
    let draft_view = week.showing == Showing::Draft;
    let week_end = week.from + Days::new(calendar::WEEK_DAYS) - Days::new(1);
    let focus = focus.unwrap_or(if (week.from..=week_end).contains(&week.today) {
        week.today
    } else {
        week.from
    });
    let member_href = |member_id: i32, date: NaiveDate| {
        if draft_view {
            // A draft's visits are not on anyone's day yet.
            None
        } else if user.actor.member_id == Some(member_id) {
            Some(format!("{MY_DAY}?ngay={date}"))
        } else if week.may_lead || user.user.role == UserRole::Official {
            Some(format!("/members/{member_id}/ngay?ngay={date}"))
        } else {
            None
        }
    };
    let (team, from_day) = (week.team_id, week.from);
    let one_day = |day: NaiveDate| day_href(team, from_day, day, draft_view);
    let links = DayLinks {
        en,
        today: week.today,
        member: &member_href,
        edit: week.may_lead,
        day: &one_day,
    };
    let days = week
        .days
        .iter()
        .map(|day| DayView {
            focus: day.date == focus,
            ..day_view(day, &links)
        })
        .collect();
    let lead = |id: i32| week.may_lead.then(|| plan_href(id));
    let plans = week
        .plans
        .iter()
        .map(|w| plan_view(w, lead(w.plan.id)))
        .collect();
    let draft_changes = match &week.draft {
        Some(d) => Some(
            planning::plan_change_counts(&state.store, &user.actor, d.plan.id, state.now()).await?,
        ),
        None => None,
    };
    let draft = week.draft.as_ref().map(|d| {
        let p = &d.plan;
        let last = p.start_date + Days::new(u64::from(p.days.max(1))) - Days::new(1);
        let outside = week_end < p.start_date || week.from > last;
        DraftBanner {
            changes: draft_changes.as_ref().map(|c| {
                use doorstep_service::planning::changes::ChangeKind;
                (
                    c.count(ChangeKind::Added),
                    c.count(ChangeKind::Moved),
                    c.count(ChangeKind::Removed),
                    c.unchanged,
                )
            }),
            id: p.id,
            range: plan_range(p),
            days: p.days,
            visits: d.visits,
            unmet: d.unmet_by_reason.iter().map(|(_, count)| count).sum(),
            created: p
                .created_at
                .with_timezone(&week.zone)
                .format("%H:%M %d/%m/%Y")
                .to_string(),
            publish_action: format!("/plans/{}/cong-bo?tu={}", p.id, week.from),
            plan_page: plan_href(p.id),
            switch_href: calendar_href(week.team_id, week.from, !draft_view),
            first_week: outside.then(|| calendar_href(week.team_id, p.start_date, true)),
        }
    });
    let published_now = query
        .cong_bo
        .as_deref()
        .and_then(|t| t.trim().parse::<i32>().ok())
        .filter(|id| week.published.iter().any(|p| p.id == *id));
    let other_plans = if week.plans.is_empty() {
        week.published
            .iter()
            .map(|p| PlanLink {
                href: calendar_href(week.team_id, p.start_date, false),
                range: plan_range(p),
            })
            .collect()
    } else {
        Vec::new()
    };
    let blackouts: Vec<BlackoutRow> = blackouts::list(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        state.now(),
    )
    .await?
    .into_iter()
    .map(|b| BlackoutRow {
        label: b.stored.label,
        vi: b.description_vi,
        en: b.description_en,
        affected: b.affected.len(),
    })
    .collect();
    let planning = week.may_lead.then(|| PlanningLinks {
        replan_action: format!("/teams/{}/lap-lai-lich", week.team_id),
        plan_page: format!("/teams/{}/lap-lich", week.team_id),
        in_blackouts: blackouts.iter().map(|b| b.affected).sum(),
    });
    let this_week_start = week.today;
    let (title_vi, title_en) = (
        format!("Lịch · {}", week.team_name),
        format!("Calendar · {}", week.team_name),
    );
    Ok(CalendarPage {
        header: Header::new((&title_vi, &title_en), week.zone.name(), Some(user)),
        team_id: week.team_id,
        team_name: week.team_name.clone(),
        zone: week.zone.name().to_owned(),
        range: date_range(week.from, week_end),
        previous_week: calendar_href(week.team_id, week.from - Days::new(7), draft_view),
        next_week: calendar_href(week.team_id, week.from + Days::new(7), draft_view),
        this_week: (week.from != this_week_start)
            .then(|| calendar_href(week.team_id, this_week_start, draft_view)),
        focus: FocusDay {
            previous: one_day(focus - Days::new(1)),
            next: one_day(focus + Days::new(1)),
            today: (focus != week.today).then(|| one_day(week.today)),
        },
        showing_draft: draft_view,
        draft,
        published_now,
        days,
        plans,
        other_plans,
        blackouts,
        planning,
    })
}
