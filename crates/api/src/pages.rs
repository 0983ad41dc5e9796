//! Server-rendered pages: light, readable on a cheap phone over a weak
//! connection, no scripts or fonts from elsewhere. Vietnamese first, English
//! second.
//!
//! Pages come from askama templates (`templates/`), which escape every value;
//! no HTML is put together in strings here. Every page but the sign-in form
//! needs a session: without one, the browser is sent to `/dang-nhap`.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Datelike, Days, NaiveDate, Utc};
use doorstep_core::{NeedStatus, Presence, UserRole, VisitMode, VisitStatus};
use doorstep_service::auth;
use doorstep_service::calendar::{self, Showing};
use doorstep_service::daylist::{self, DayList};
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::outcomes;
use doorstep_service::planning::{self, records::PlanRecord};
use doorstep_service::teams::{self, Household, PageRequest, TeamOverview};

use crate::auth::request_token;
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// Where pages send a browser that is not signed in.
const SIGN_IN: &str = "/dang-nhap";

/// The zone of pages that belong to no team.
const HOME_ZONE: &str = "Asia/Ho_Chi_Minh";

/// Households per page: a page stays small on a slow connection.
const PAGE_SIZE: u32 = 50;

/// The signed-in member's own visits of a day.
const MY_DAY: &str = "/lich-cua-toi";

/// Today in a team's zone, solar and lunar:
/// "Thứ Bảy 28/11/2026 · âm lịch 20/10 năm Bính Ngọ".
pub(crate) fn today_line(zone: &str, now: chrono::DateTime<Utc>) -> String {
    use chrono::Datelike;
    let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let date = now.with_timezone(&zone).date_naive();
    let weekday = doorstep_core::words::weekday_vi(date.weekday());
    let lunar = match doorstep_lunar::to_lunar(date) {
        Ok(l) => format!(
            " · âm lịch {}/{}{} năm {}",
            l.day,
            l.month,
            if l.leap { " nhuận" } else { "" },
            l.year_name()
        ),
        Err(_) => String::new(),
    };
    format!("{weekday} {}{lunar}", date.format("%d/%m/%Y"))
}

/// What every page shows on top.
struct Header {
    title: String,
    today: String,
    user: Option<SignedIn>,
    /// The token the page's forms carry (see [`form_sent_by_us`]).
    csrf: String,
}

/// Who is signed in, as the header shows it, with the links of their role.
struct SignedIn {
    name: String,
    role_vi: &'static str,
    role_en: &'static str,
    /// The member record: "my visits" is theirs.
    member: bool,
    /// The team of a leader or volunteer: its calendar and households.
    team_id: Option<i32>,
}

impl Header {
    fn new(title: impl Into<String>, zone: &str, user: Option<&CurrentUser>) -> Header {
        Header {
            title: title.into(),
            today: user.map(|u| today_line(zone, u.now)).unwrap_or_default(),
            csrf: user.map(|u| auth::form_token(&u.token)).unwrap_or_default(),
            user: user.map(|u| SignedIn {
                name: u.user.display_name.clone(),
                role_vi: u.user.role.label_vi(),
                role_en: u.user.role.label_en(),
                member: u.actor.member_id.is_some(),
                team_id: u.actor.team_id,
            }),
        }
    }
}

/// A message in both languages.
struct Message {
    vi: String,
    en: String,
}

/// The sign-in form's own cookie: a random secret set with the form, whose
/// token the form sends back (no session exists yet to bind it to).
const FORM_COOKIE: &str = "doorstep_form";

/// Whether a form of a signed-in page came from one of doorstep's own pages:
/// it carries the token of the session it is sent with. A request signed
/// with a bearer token is no browser's form and needs none.
fn form_sent_by_us(headers: &HeaderMap, user: &CurrentUser, sent: Option<&str>) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    bearer || sent.is_some_and(|sent| auth::form_token_matches(&user.token, sent))
}

/// The refusal of a form without its page's token.
fn stale_form() -> ServiceError {
    ServiceError::Forbidden(
        "biểu mẫu đã cũ hoặc không đến từ trang của doorstep: hãy tải lại trang rồi thử lại".into(),
        "the form is stale or did not come from a doorstep page: reload the page and try again"
            .into(),
    )
}

/// The value of cookie `name`, if the request carries it.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name && !value.is_empty()).then(|| value.to_owned())
        })
}

/// A form with nothing in it but its token.
#[derive(Debug, Default, serde::Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    header: Header,
    message: Option<Message>,
    username: String,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    header: Header,
    teams: Vec<TeamOverview>,
    /// Whether the user runs the installation (and may load the demo).
    operator: bool,
    /// A leader's own team: its calendar comes first.
    lead_team: Option<i32>,
    /// Whether the user has visits of their own.
    member: bool,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    header: Header,
    team: TeamOverview,
    stats: Vec<Stat>,
    households: Vec<HouseholdRow>,
    page: u32,
    pages: u64,
    previous: Option<u32>,
    next: Option<u32>,
}

struct Stat {
    value: u64,
    vi: &'static str,
    en: &'static str,
}

struct HouseholdRow {
    key: String,
    address: String,
    village: String,
    residents: Vec<ResidentRow>,
}

struct ResidentRow {
    name: String,
    birth_year: Option<i32>,
    presence_code: &'static str,
    presence: &'static str,
    country: Option<String>,
    open_needs: Vec<&'static str>,
    phone: Option<String>,
    availability: Option<String>,
}

impl From<Household> for HouseholdRow {
    fn from(h: Household) -> Self {
        HouseholdRow {
            key: h.external_id,
            address: h.address,
            village: h.village.unwrap_or_default(),
            residents: h
                .residents
                .into_iter()
                .map(|r| ResidentRow {
                    name: r.full_name,
                    birth_year: r.birth_year,
                    presence_code: r.presence.code(),
                    presence: r.presence.label_vi(),
                    country: r.country,
                    open_needs: r
                        .needs
                        .iter()
                        .filter(|n| n.status == NeedStatus::Open)
                        .map(|n| n.step.label_vi())
                        .collect(),
                    phone: r.phone,
                    availability: r.availability.and_then(|a| a.vi),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    header: Header,
    heading_vi: &'static str,
    heading_en: &'static str,
    vi: String,
    en: String,
    fields: Vec<FieldError>,
}

/// The page, or a plain internal error if the template fails.
fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError(ServiceError::Internal(format!("page template: {e}"))).into_response(),
    }
}

/// An error as a page, with the status the API would give it.
fn error_page(user: Option<&CurrentUser>, e: ServiceError) -> Response {
    let (vi, en) = (e.message(true), e.message(false));
    let fields = match &e {
        ServiceError::Invalid(fields) => fields.clone(),
        _ => Vec::new(),
    };
    // The API's mapping decides the status and logs internal errors.
    let status = ApiError(e).into_response().status();
    let (heading_vi, heading_en) = match status {
        StatusCode::NOT_FOUND => ("Không tìm thấy", "Not found"),
        StatusCode::UNPROCESSABLE_ENTITY => ("Yêu cầu không hợp lệ", "Invalid request"),
        StatusCode::FORBIDDEN => ("Không được phép", "Not allowed"),
        _ => ("Có lỗi", "Something went wrong"),
    };
    let page = ErrorPage {
        header: Header::new(heading_vi, HOME_ZONE, user),
        heading_vi,
        heading_en,
        vi,
        en,
        fields,
    };
    render(status, &page)
}

/// The signed-in user of a page; without a live session the browser is
/// sent to the sign-in form (303).
struct PageUser(CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(user) => Ok(PageUser(user)),
            Err(ApiError(ServiceError::Unauthorized(..))) => {
                Err(Redirect::to(SIGN_IN).into_response())
            }
            Err(ApiError(e)) => Err(error_page(None, e)),
        }
    }
}

/// `GET /`: where each role starts. A volunteer goes straight to their
/// visits of today; a leader sees their team's calendar first, then the
/// teams; an official and an administrator see the teams they may audit.
async fn home(State(state): State<AppState>, PageUser(user): PageUser) -> Response {
    if user.user.role == UserRole::Volunteer && user.actor.member_id.is_some() {
        return Redirect::to(MY_DAY).into_response();
    }
    match teams::list_teams(&state.store, &user.actor).await {
        Ok(found) => render(
            StatusCode::OK,
            &TeamsPage {
                header: Header::new("Các tổ / Teams", HOME_ZONE, Some(&user)),
                teams: found,
                operator: user.user.role == UserRole::Admin,
                lead_team: user
                    .actor
                    .team_id
                    .filter(|_| user.user.role == UserRole::Leader),
                member: user.actor.member_id.is_some(),
            },
        ),
        Err(e) => error_page(Some(&user), e),
    }
}

/// The query of a team page.
#[derive(Debug, Default, serde::Deserialize)]
struct TeamQuery {
    /// 1-based page of households.
    page: Option<String>,
}

/// `GET /teams/{team_id}`: one team's households, a page at a time.
async fn team(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<TeamQuery>, QueryRejection>,
) -> Response {
    match team_page(&state, &user, &id, query.map(|q| q.0).unwrap_or_default()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn team_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    query: TeamQuery,
) -> Result<TeamPage, ApiError> {
    let id = parse_id("team_id", id)?;
    let asked = PageRequest::parse(query.page.as_deref(), None)?;
    let page = PageRequest::new(asked.page(), PAGE_SIZE)?;
    let team = teams::team(&state.store, &user.actor, id).await?;
    let found = teams::households(
        &state.store,
        &user.actor,
        id,
        page,
        &teams::HouseholdFilter::default(),
        state.now(),
    )
    .await?;
    let pages = found.pages();
    let counts = &team.counts;
    let presence = |p: Presence| counts.presence.get(&p).copied().unwrap_or(0);
    let stats = vec![
        Stat {
            value: counts.households,
            vi: "hộ",
            en: "households",
        },
        Stat {
            value: counts.residents,
            vi: "người",
            en: "residents",
        },
        Stat {
            value: counts.households_with_open_needs,
            vi: "hộ còn nhu cầu",
            en: "households with open needs",
        },
        Stat {
            value: presence(Presence::AtSea),
            vi: "người đi biển",
            en: "at sea",
        },
        Stat {
            value: presence(Presence::Abroad),
            vi: "người ở nước ngoài",
            en: "abroad",
        },
    ];
    Ok(TeamPage {
        header: Header::new(team.name.clone(), &team.timezone, Some(user)),
        stats,
        page: found.page,
        pages,
        previous: (found.page > 1).then(|| found.page - 1),
        next: (u64::from(found.page) < pages).then(|| found.page + 1),
        households: found
            .households
            .into_iter()
            .map(HouseholdRow::from)
            .collect(),
        team,
    })
}

/// Reads an optional `YYYY-MM-DD` date of a page's query; an error names the
/// query's own field (`tu`, `ngay`).
fn query_date(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>, ServiceError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => daylist::parse_date(text).map(Some).map_err(|e| match e {
            ServiceError::Invalid(errors) => ServiceError::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError {
                        field: field.to_owned(),
                        ..e
                    })
                    .collect(),
            ),
            other => other,
        }),
    }
}

/// "01/12 – 07/12/2026", or with both years when they differ.
fn date_range(first: NaiveDate, last: NaiveDate) -> String {
    use chrono::Datelike;
    if first.year() == last.year() {
        format!("{} – {}", first.format("%d/%m"), last.format("%d/%m/%Y"))
    } else {
        format!("{} – {}", first.format("%d/%m/%Y"), last.format("%d/%m/%Y"))
    }
}

/// How a visit happens, in the volunteers' words.
fn mode_words(mode: VisitMode) -> (&'static str, &'static str) {
    match mode {
        VisitMode::InPerson => ("Đến nhà", "In person"),
        VisitMode::Remote => ("Gọi video", "Video call"),
    }
}

/// A phone number as a `tel:` target: digits and a leading `+` only.
fn tel_target(phone: &str) -> Option<String> {
    let target: String = phone
        .trim()
        .chars()
        .enumerate()
        .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect();
    target.chars().any(|c| c.is_ascii_digit()).then_some(target)
}

/// A `geo:` URI (RFC 5870) with the point also as the query Android's map
/// apps pin; no map site is involved.
fn geo_target(lat: f64, lon: f64) -> String {
    format!("geo:{lat:.6},{lon:.6}?q={lat:.6},{lon:.6}")
}

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
    showing_draft: bool,
    draft: Option<DraftBanner>,
    /// The plan just published, when the leader comes back from publishing.
    published_now: Option<i32>,
    days: Vec<DayView>,
    plans: Vec<PlanView>,
    /// Published plans to go to when the week has none.
    other_plans: Vec<PlanLink>,
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
    /// The draft's week when the draft is not shown, else the published one.
    switch_href: String,
    /// The draft's first week, when the week shown is outside it.
    first_week: Option<String>,
}

struct DayView {
    vi: String,
    en: String,
    /// The blackouts on the day: label, and the village when only one.
    blackouts: Vec<String>,
    today: bool,
    visits: usize,
    members: Vec<MemberView>,
}

struct MemberView {
    name: String,
    href: Option<String>,
    count: usize,
    cap: u32,
    over: bool,
    visits: Vec<VisitRow>,
}

struct VisitRow {
    time: String,
    key: String,
    address: String,
    village: String,
    mode_vi: &'static str,
    mode_en: &'static str,
    remote: bool,
    purposes: Vec<&'static str>,
    pinned: bool,
    /// The blackout it falls in.
    blackout: Option<String>,
    status_code: &'static str,
    status_vi: &'static str,
    status_en: &'static str,
}

struct PlanView {
    id: i32,
    status_vi: &'static str,
    status_en: &'static str,
    range: String,
    days: u32,
    visits: usize,
    objective: i64,
    upper_bound: i64,
    percent: Option<i64>,
    unmet: usize,
    groups: Vec<UnmetGroup>,
}

struct UnmetGroup {
    vi: &'static str,
    en: &'static str,
    count: usize,
    items: Vec<UnmetRow>,
}

struct UnmetRow {
    key: String,
    address: String,
    resident: Option<String>,
    vi: String,
    en: String,
}

struct PlanLink {
    href: String,
    range: String,
}

/// The query of a team's calendar.
#[derive(Debug, Default, serde::Deserialize)]
struct CalendarQuery {
    /// The first day, `YYYY-MM-DD`; today in the team's zone when absent.
    tu: Option<String>,
    /// `nhap`: the newest draft instead of the published calendar.
    xem: Option<String>,
    /// The plan just published (set by the publish form's redirect).
    cong_bo: Option<String>,
}

/// `GET /teams/{team_id}/lich?tu=YYYY-MM-DD`: a week of the team's calendar.
async fn calendar(
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

fn calendar_href(team_id: i32, from: NaiveDate, draft: bool) -> String {
    let view = if draft { "&xem=nhap" } else { "" };
    format!("/teams/{team_id}/lich?tu={from}{view}")
}

async fn calendar_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    query: CalendarQuery,
) -> Result<CalendarPage, ApiError> {
    let team_id = parse_id("team_id", id)?;
    let from = query_date("tu", query.tu.as_deref())?;
    let showing = match query.xem.as_deref().map(str::trim) {
        Some("nhap") => Showing::Draft,
        _ => Showing::Published,
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
    let member_href = |member_id: i32, date: NaiveDate| {
        if user.actor.member_id == Some(member_id) {
            Some(format!("{MY_DAY}?ngay={date}"))
        } else if week.may_lead || user.user.role == UserRole::Official {
            Some(format!("/members/{member_id}/ngay?ngay={date}"))
        } else {
            None
        }
    };
    let days = week
        .days
        .iter()
        .map(|day| DayView {
            vi: day.heading.vi.clone(),
            en: day.heading.en.clone(),
            blackouts: day
                .blackouts
                .iter()
                .map(|(label, village)| match village {
                    Some(village) => format!("{label} ({village})"),
                    None => label.clone(),
                })
                .collect(),
            today: day.date == week.today,
            visits: day.members.iter().map(|m| m.count).sum(),
            members: day
                .members
                .iter()
                .map(|m| MemberView {
                    name: m.name.clone(),
                    // A draft's visits are not on anyone's day yet.
                    href: member_href(m.member_id, day.date).filter(|_| !draft_view),
                    count: m.count,
                    cap: m.daily_visit_cap,
                    over: m.count > m.daily_visit_cap as usize,
                    visits: m
                        .visits
                        .iter()
                        .map(|v| {
                            let (mode_vi, mode_en) = mode_words(v.mode);
                            VisitRow {
                                time: format!(
                                    "{}–{}",
                                    v.start.format("%H:%M"),
                                    v.end.format("%H:%M")
                                ),
                                key: v.household.external_id.clone(),
                                address: v.household.address.clone(),
                                village: v.household.village.clone().unwrap_or_default(),
                                mode_vi,
                                mode_en,
                                remote: v.mode == VisitMode::Remote,
                                purposes: v.purposes.iter().map(|p| p.label_vi()).collect(),
                                pinned: v.pinned,
                                blackout: v.blackout.clone(),
                                status_code: v.status.code(),
                                status_vi: v.status.label_vi(),
                                status_en: v.status.label_en(),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let plan_range = |p: &PlanRecord| {
        date_range(
            p.start_date,
            p.start_date + Days::new(u64::from(p.days.max(1))) - Days::new(1),
        )
    };
    let plans = week
        .plans
        .iter()
        .map(|w| {
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
                percent: (figures.upper_bound > 0)
                    .then(|| figures.objective * 100 / figures.upper_bound),
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
            }
        })
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
    let this_week_start = week.today;
    Ok(CalendarPage {
        header: Header::new(
            format!("Lịch · {}", week.team_name),
            week.zone.name(),
            Some(user),
        ),
        team_id: week.team_id,
        team_name: week.team_name.clone(),
        zone: week.zone.name().to_owned(),
        range: date_range(week.from, week_end),
        previous_week: calendar_href(week.team_id, week.from - Days::new(7), draft_view),
        next_week: calendar_href(week.team_id, week.from + Days::new(7), draft_view),
        this_week: (week.from != this_week_start)
            .then(|| calendar_href(week.team_id, this_week_start, draft_view)),
        showing_draft: draft_view,
        draft,
        published_now,
        days,
        plans,
        other_plans,
    })
}

/// The query of a day's list.
#[derive(Debug, Default, serde::Deserialize)]
struct DayQuery {
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
async fn my_day(
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
async fn member_day(
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
    DayPage {
        header: Header::new(
            format!("{} · {}", list.member_name, list.date.format("%d/%m/%Y")),
            list.zone.name(),
            Some(user),
        ),
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
                    purposes: v.purposes.iter().map(|p| p.label_vi()).collect(),
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
async fn record_outcome(
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
    let page = OutcomePage {
        header: Header::new("Đã ghi kết quả", answer.zone.name(), Some(&user)),
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
                            "{} {} ({} âm) {}–{}",
                            doorstep_core::words::weekday_vi(start.weekday()),
                            start.format("%d/%m"),
                            doorstep_service::daylist::lunar_short(start.date_naive()),
                            start.format("%H:%M"),
                            end.format("%H:%M"),
                        )
                    })
                    .collect(),
                reason: n.reason.as_ref().map(|(vi, en)| format!("{vi} / {en}")),
            })
            .collect(),
        back: format!("{MY_DAY}?ngay={day}"),
    };
    render(StatusCode::OK, &page)
}

/// The query of the publish form: the week to come back to.
#[derive(Debug, Default, serde::Deserialize)]
struct PublishQuery {
    tu: Option<String>,
}

/// `POST /plans/{plan_id}/cong-bo`: publishes a draft from the calendar and
/// goes back to the same week of the team's calendar (303).
async fn publish(
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

/// `GET /dang-nhap`: the sign-in form (a signed-in browser goes to `/`),
/// with its own cookie and token.
async fn sign_in_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = request_token(&headers)
        && auth::authenticate(&state.store, &token, state.now())
            .await
            .is_ok()
    {
        return Redirect::to("/").into_response();
    }
    login_page(&state, &headers, StatusCode::OK, None, String::new())
}

/// The sign-in form; the form's cookie is kept when the browser has one, so
/// that a form shown again still matches it.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    message: Option<Message>,
    username: String,
) -> Response {
    let secret = cookie_value(headers, FORM_COOKIE)
        .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(auth::new_secret);
    let mut header = Header::new("Đăng nhập / Sign in", HOME_ZONE, None);
    header.today = today_line(HOME_ZONE, state.now());
    header.csrf = auth::form_token(&secret);
    let mut response = render(
        status,
        &LoginPage {
            header,
            message,
            username,
        },
    );
    let cookie = format!(
        "{FORM_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path={SIGN_IN}; Max-Age=43200{}",
        if state.secure_cookie { "; Secure" } else { "" }
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// What the sign-in form sends.
#[derive(Debug, Default, serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /dang-nhap`: signs in and goes to `/`; a wrong password shows the
/// form again (401), too many attempts say how long to wait (429), a form
/// that did not come with its cookie is shown again to be sent anew (403).
async fn sign_in(State(state): State<AppState>, request: Request) -> Response {
    let address = crate::auth::client_address(request.extensions());
    let headers = request.headers().clone();
    let form = match axum::Form::<LoginForm>::from_request(request, &state).await {
        Ok(axum::Form(form)) => form,
        Err(_) => LoginForm::default(),
    };
    let username = form.username.trim().to_owned();
    let ours = cookie_value(&headers, FORM_COOKIE)
        .is_some_and(|secret| auth::form_token_matches(&secret, &form.csrf));
    if !ours {
        return login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            Some(Message {
                vi: "Biểu mẫu đã cũ hoặc không đến từ trang của doorstep; hãy đăng nhập lại ở đây."
                    .into(),
                en: "The form was stale or did not come from a doorstep page; sign in again here."
                    .into(),
            }),
            username,
        );
    }
    if username.is_empty() || form.password.is_empty() {
        return login_page(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Message {
                vi: "Hãy nhập tên đăng nhập và mật khẩu.".into(),
                en: "Enter your user name and password.".into(),
            }),
            username,
        );
    }
    let now = state.now();
    match auth::login(&state.store, &username, &form.password, &address, now).await {
        Ok(session) => {
            let max_age = (session.expires_at - now).num_seconds();
            let mut response = Redirect::to("/").into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                crate::auth::cookie(&session.token, max_age, state.secure_cookie),
            );
            response
        }
        Err(e @ (ServiceError::Unauthorized(..) | ServiceError::TooManyAttempts(_))) => {
            let (status, retry) = match e {
                ServiceError::TooManyAttempts(seconds) => {
                    (StatusCode::TOO_MANY_REQUESTS, Some(seconds))
                }
                _ => (StatusCode::UNAUTHORIZED, None),
            };
            let message = Message {
                vi: e.message(true),
                en: e.message(false),
            };
            let mut response = login_page(&state, &headers, status, Some(message), username);
            if let Some(seconds) = retry {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Err(e) => error_page(None, e),
    }
}

/// `POST /dang-xuat`: ends the session and goes back to the sign-in form.
async fn sign_out(State(state): State<AppState>, request: Request) -> Response {
    let headers = request.headers().clone();
    let Some(token) = request_token(&headers) else {
        return Redirect::to(SIGN_IN).into_response();
    };
    let form = match axum::Form::<TokenForm>::from_request(request, &state).await {
        Ok(axum::Form(form)) => form,
        Err(_) => TokenForm::default(),
    };
    if let Ok(user) = auth::authenticate(&state.store, &token, state.now()).await {
        let current = CurrentUser {
            actor: user.actor(),
            user,
            token: token.clone(),
            now: state.now(),
        };
        if !form_sent_by_us(&headers, &current, form.csrf.as_deref()) {
            return error_page(Some(&current), stale_form());
        }
        if let Err(e) = auth::logout(&state.store, &token, state.now()).await {
            return error_page(None, e);
        }
    }
    let mut response = Redirect::to(SIGN_IN).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        crate::auth::cookie("", 0, state.secure_cookie),
    );
    response
}

pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/", get(home))
        .route("/teams/{team_id}", get(team))
        .route("/teams/{team_id}/lich", get(calendar))
        .route(MY_DAY, get(my_day))
        .route("/members/{member_id}/ngay", get(member_day))
        .route("/plans/{plan_id}/cong-bo", post(publish))
        .route("/visits/{visit_id}/ket-qua", post(record_outcome))
        .route(SIGN_IN, get(sign_in_form).post(sign_in))
        .route("/dang-xuat", post(sign_out))
}

#[cfg(test)]
mod tests {
    use super::today_line;

    #[test]
    fn today_is_shown_solar_and_lunar_in_the_team_zone() {
        use chrono::TimeZone;
        // 17:30 UTC on 27 November is already the 28th in Vietnam.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 17, 30, 0)
            .unwrap();
        assert_eq!(
            today_line("Asia/Ho_Chi_Minh", now),
            "Thứ Bảy 28/11/2026 · âm lịch 20/10 năm Bính Ngọ"
        );
        assert!(today_line("Europe/Berlin", now).starts_with("Thứ Sáu 27/11/2026"));
    }
}
