//! The daily lists and the calendar feeds.
//!
//! - `GET /api/v1/members/{member_id}/visits?date=YYYY-MM-DD` and
//!   `GET /api/v1/me/visits?date=`: a member's visits of one day (today in
//!   the team's zone without `date`), in route order; residents' phone
//!   numbers only for the member who makes the visits.
//! - `GET|DELETE /api/v1/members/{member_id}/calendar`,
//!   `POST /api/v1/members/{member_id}/calendar/rotate`, and the same under
//!   `/api/v1/teams/{team_id}/calendar` for a whole team: the secret address
//!   of a calendar feed, made on first request, rotated or revoked.
//! - `GET /ics/{secret}.ics`: the feed itself, without sign-in: the secret
//!   is the credential.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use doorstep_service::daylist::{self, DayList, DayVisit};
use doorstep_service::feeds::{self, FeedAddress, FeedOf};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem, parse_id};

fn local(at: DateTime<Tz>) -> String {
    doorstep_service::planning::reader::local_rfc3339(at.with_timezone(&Utc), at.timezone())
}

/// Which day.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// The day, `YYYY-MM-DD` in the team's calendar; today in the team's
    /// zone when absent.
    pub date: Option<String>,
}

type DayQueryResult = Result<Query<DayQuery>, axum::extract::rejection::QueryRejection>;

/// The day asked for, `None` for today.
fn day(query: DayQueryResult) -> Result<Option<chrono::NaiveDate>, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::field(
            "date",
            format!("không đọc được tham số: {e}"),
            format!("cannot read the query: {e}"),
        )
    })?;
    Ok(match query.date.as_deref().filter(|d| !d.is_empty()) {
        Some(text) => Some(daylist::parse_date(text)?),
        None => None,
    })
}

/// A member's visits of one day.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayListView {
    /// The member.
    pub member_id: i32,
    /// Their name.
    pub member_name: String,
    /// Their team.
    pub team_id: i32,
    /// The team's name.
    pub team_name: String,
    /// The team's IANA zone; every time below is in it.
    pub timezone: String,
    /// The day (YYYY-MM-DD).
    pub date: String,
    /// The day in Vietnamese, solar and lunar: "Thứ Ba 01/12/2026 · 23/10 âm lịch".
    pub heading_vi: String,
    /// The day in English: "Tuesday 1 December 2026 · lunar 23/10".
    pub heading_en: String,
    /// Whether residents' phone numbers are shown (only to the member).
    pub phones_shown: bool,
    /// The visits, in route order.
    pub visits: Vec<DayVisitView>,
}

/// One visit of a day's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayVisitView {
    /// The visit's id.
    pub id: i32,
    /// Its place in the day's route, from 1.
    pub order: usize,
    /// Start, RFC 3339 with the team's offset.
    pub start: String,
    /// End, RFC 3339 with the team's offset.
    pub end: String,
    /// `in_person` or `remote`.
    pub mode: String,
    /// `proposed`, `confirmed`, `done` or `missed`.
    pub status: String,
    /// Where.
    pub household: DayHouseholdView,
    /// When, in words.
    pub window: WindowView,
    /// What the visit is for.
    pub purposes: Vec<PurposeView>,
    /// The residents expected.
    pub residents: Vec<ExpectedResidentView>,
}

/// The household of a visit.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayHouseholdView {
    /// Id.
    pub id: i32,
    /// The register's key ("HT-0012").
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Its village.
    pub village: Option<String>,
    /// Latitude of where to go.
    pub latitude: Option<f64>,
    /// Longitude of where to go.
    pub longitude: Option<f64>,
    /// The coordinates are the village's (or commune's) centre: the
    /// household has none recorded.
    pub approximate_location: bool,
}

/// A visit's time and the residents' availability.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowView {
    /// The visit's time, "08:30–09:05".
    pub time: String,
    /// When the residents are reachable, in Vietnamese.
    pub vi: String,
    /// The same in English.
    pub en: String,
}

/// A need a visit is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurposeView {
    /// The step's code.
    pub code: String,
    /// In Vietnamese.
    pub vi: String,
    /// In English.
    pub en: String,
}

/// A resident expected at a visit.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExpectedResidentView {
    /// Id.
    pub id: i32,
    /// Full name.
    pub name: String,
    /// Phone number; null unless the reader is the member who visits.
    pub phone: Option<String>,
    /// When they are reachable, in Vietnamese.
    pub availability_vi: String,
    /// The same in English.
    pub availability_en: String,
}

impl From<&DayVisit> for DayVisitView {
    fn from(v: &DayVisit) -> Self {
        DayVisitView {
            id: v.id,
            order: v.order,
            start: local(v.start),
            end: local(v.end),
            mode: v.mode.code().to_owned(),
            status: v.status.code().to_owned(),
            household: DayHouseholdView {
                id: v.household.id,
                external_id: v.household.external_id.clone(),
                address: v.household.address.clone(),
                village: v.household.village.clone(),
                latitude: v.household.location.map(|p| p.lat),
                longitude: v.household.location.map(|p| p.lon),
                approximate_location: v.household.approximate,
            },
            window: WindowView {
                time: v.window.time.clone(),
                vi: v.window.vi.clone(),
                en: v.window.en.clone(),
            },
            purposes: v
                .purposes
                .iter()
                .map(|p| PurposeView {
                    code: p.code().to_owned(),
                    vi: p.label_vi().to_owned(),
                    en: p.label_en().to_owned(),
                })
                .collect(),
            residents: v
                .residents
                .iter()
                .map(|r| ExpectedResidentView {
                    id: r.id,
                    name: r.name.clone(),
                    phone: r.phone.clone(),
                    availability_vi: r.availability_vi.clone(),
                    availability_en: r.availability_en.clone(),
                })
                .collect(),
        }
    }
}

impl From<DayList> for DayListView {
    fn from(d: DayList) -> Self {
        DayListView {
            member_id: d.member_id,
            member_name: d.member_name,
            team_id: d.team_id,
            team_name: d.team_name,
            timezone: d.zone.name().to_owned(),
            date: d.date.to_string(),
            heading_vi: d.heading.vi,
            heading_en: d.heading.en,
            phones_shown: d.phones_shown,
            visits: d.visits.iter().map(DayVisitView::from).collect(),
        }
    }
}

/// A member's visits of one day.
#[utoipa::path(get, path = "/api/v1/members/{member_id}/visits", tag = "visits",
    params(("member_id" = i32, Path, description = "The member"), DayQuery),
    responses(
        (status = 200, description = "The day's visits in route order", body = DayListView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such member in your scope", body = Problem),
        (status = 422, description = "The date is not YYYY-MM-DD within 1800–2199", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn member_day(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(member_id): Path<String>,
    query: DayQueryResult,
) -> Result<Json<DayListView>, ApiError> {
    let member_id = parse_id("member_id", &member_id)?;
    let list = daylist::day_list(
        &state.store,
        &state.catalog,
        &user.actor,
        member_id,
        day(query)?,
        state.now(),
    )
    .await?;
    Ok(Json(list.into()))
}

/// The signed-in member's visits of one day.
#[utoipa::path(get, path = "/api/v1/me/visits", tag = "visits",
    params(DayQuery),
    responses(
        (status = 200, description = "The day's visits in route order, with phone numbers", body = DayListView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "The account is not a team member", body = Problem),
        (status = 422, description = "The date is not YYYY-MM-DD within 1800–2199", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn my_day(
    State(state): State<AppState>,
    user: CurrentUser,
    query: DayQueryResult,
) -> Result<Json<DayListView>, ApiError> {
    let list = daylist::my_day_list(
        &state.store,
        &state.catalog,
        &user.actor,
        day(query)?,
        state.now(),
    )
    .await?;
    Ok(Json(list.into()))
}

/// A calendar feed's secret address.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedView {
    /// The feed's path on this server, `/ics/SECRET.ics`: whoever has it
    /// reads the calendar, so share it only with your own calendar app.
    pub url: String,
    /// When this address was made.
    pub created_at: DateTime<Utc>,
}

impl From<FeedAddress> for FeedView {
    fn from(a: FeedAddress) -> Self {
        FeedView {
            url: a.url,
            created_at: a.created_at,
        }
    }
}

fn member(raw: &str) -> Result<FeedOf, ApiError> {
    Ok(FeedOf::Member(parse_id("member_id", raw)?))
}

fn team(raw: &str) -> Result<FeedOf, ApiError> {
    Ok(FeedOf::Team(parse_id("team_id", raw)?))
}

async fn address(
    state: &AppState,
    user: &CurrentUser,
    of: FeedOf,
) -> Result<Json<FeedView>, ApiError> {
    let address = feeds::feed_address(&state.store, &user.actor, of, state.now()).await?;
    Ok(Json(address.into()))
}

async fn rotate(
    state: &AppState,
    user: &CurrentUser,
    of: FeedOf,
) -> Result<Json<FeedView>, ApiError> {
    let address = feeds::rotate_feed(&state.store, &user.actor, of, state.now()).await?;
    Ok(Json(address.into()))
}

async fn revoke(state: &AppState, user: &CurrentUser, of: FeedOf) -> Result<StatusCode, ApiError> {
    feeds::revoke_feed(&state.store, &user.actor, of, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The secret address of a member's calendar, made on first request.
#[utoipa::path(get, path = "/api/v1/members/{member_id}/calendar", tag = "visits",
    params(("member_id" = i32, Path, description = "The member")),
    responses(
        (status = 200, description = "The live address", body = FeedView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the member, their leader or an administrator", body = Problem),
        (status = 404, description = "No such member in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn member_feed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(member_id): Path<String>,
) -> Result<Json<FeedView>, ApiError> {
    address(&state, &user, member(&member_id)?).await
}

/// A new address for a member's calendar; the old one stops working.
#[utoipa::path(post, path = "/api/v1/members/{member_id}/calendar/rotate", tag = "visits",
    params(("member_id" = i32, Path, description = "The member")),
    responses(
        (status = 200, description = "The new address", body = FeedView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the member, their leader or an administrator", body = Problem),
        (status = 404, description = "No such member in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn rotate_member_feed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(member_id): Path<String>,
) -> Result<Json<FeedView>, ApiError> {
    rotate(&state, &user, member(&member_id)?).await
}

/// Revokes a member's calendar address.
#[utoipa::path(delete, path = "/api/v1/members/{member_id}/calendar", tag = "visits",
    params(("member_id" = i32, Path, description = "The member")),
    responses(
        (status = 204, description = "Revoked (or there was none)"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the member, their leader or an administrator", body = Problem),
        (status = 404, description = "No such member in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn revoke_member_feed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(member_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    revoke(&state, &user, member(&member_id)?).await
}

/// The secret address of a whole team's calendar, made on first request.
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/calendar", tag = "visits",
    params(("team_id" = i32, Path, description = "The team")),
    responses(
        (status = 200, description = "The live address", body = FeedView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader or an administrator", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn team_feed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
) -> Result<Json<FeedView>, ApiError> {
    address(&state, &user, team(&team_id)?).await
}

/// A new address for a team's calendar; the old one stops working.
#[utoipa::path(post, path = "/api/v1/teams/{team_id}/calendar/rotate", tag = "visits",
    params(("team_id" = i32, Path, description = "The team")),
    responses(
        (status = 200, description = "The new address", body = FeedView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader or an administrator", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn rotate_team_feed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
) -> Result<Json<FeedView>, ApiError> {
    rotate(&state, &user, team(&team_id)?).await
}

/// Revokes a team's calendar address.
#[utoipa::path(delete, path = "/api/v1/teams/{team_id}/calendar", tag = "visits",
    params(("team_id" = i32, Path, description = "The team")),
    responses(
        (status = 204, description = "Revoked (or there was none)"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader or an administrator", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn revoke_team_feed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    revoke(&state, &user, team(&team_id)?).await
}

/// A calendar feed (RFC 5545). No sign-in: the secret is the credential.
#[utoipa::path(get, path = "/ics/{secret}.ics", tag = "visits",
    params(("secret" = String, Path, description = "The feed's secret, from its address")),
    responses(
        (status = 200, description = "The calendar", content_type = "text/calendar", body = String),
        (status = 404, description = "Unknown or revoked address", body = Problem),
    ))]
pub async fn calendar(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let Some(secret) = file.strip_suffix(".ics") else {
        return Err(ApiError::no_route(&format!("/ics/{file}")));
    };
    let text = feeds::feed_calendar(&state.store, secret, state.now()).await?;
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(feeds::CONTENT_TYPE),
    );
    // The address is a credential: no shared cache keeps the calendar.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"doorstep.ics\""),
    );
    Ok(response)
}

#[derive(OpenApi)]
#[openapi(
    paths(calendar),
    components(schemas(
        DayListView,
        DayVisitView,
        DayHouseholdView,
        WindowView,
        PurposeView,
        ExpectedResidentView,
        FeedView,
        Problem
    ))
)]
struct Doc;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(member_day))
        .routes(routes!(my_day))
        .routes(routes!(member_feed, revoke_member_feed))
        .routes(routes!(rotate_member_feed))
        .routes(routes!(team_feed, revoke_team_feed))
        .routes(routes!(rotate_team_feed))
        // The document names the file `{secret}.ics`, which axum cannot
        // route; the handler takes the file name and checks the suffix.
        .route("/ics/{file}", axum::routing::get(calendar))
}
