//! Teams, their members and their households, as JSON. Every endpoint needs
//! sign-in and shows only what the signed-in user may see; a team out of
//! reach is "not found".

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use doorstep_service::teams::{
    self, Availability, Household, HouseholdsPage, Member, PageRequest, Resident, TeamOverview,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{Problem, parse_id};
use crate::{ApiError, AppState, CurrentUser};

/// A team with what it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamSummary {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// The area it serves.
    pub area_id: i32,
    /// The commune or village it serves.
    pub area: String,
    /// IANA zone.
    pub timezone: String,
    /// Default tide station.
    pub tide_station: Option<String>,
    /// Members.
    pub members: u64,
    /// Households.
    pub households: u64,
    /// Residents.
    pub residents: u64,
    /// Residents by presence code (`home`, `at_sea`, `working_away`, `abroad`).
    pub presence: BTreeMap<String, u64>,
    /// Open needs by step code.
    pub open_needs: BTreeMap<String, u64>,
    /// Households with at least one open need.
    pub households_with_open_needs: u64,
}

impl From<TeamOverview> for TeamSummary {
    fn from(t: TeamOverview) -> Self {
        TeamSummary {
            id: t.id,
            name: t.name,
            area_id: t.area_id,
            area: t.area,
            timezone: t.timezone,
            tide_station: t.tide_station,
            members: t.counts.members,
            households: t.counts.households,
            residents: t.counts.residents,
            presence: t
                .counts
                .presence
                .iter()
                .map(|(p, n)| (p.code().to_owned(), *n))
                .collect(),
            open_needs: t
                .counts
                .open_needs
                .iter()
                .map(|(s, n)| (s.code().to_owned(), *n))
                .collect(),
            households_with_open_needs: t.counts.households_with_open_needs,
        }
    }
}

/// A rule in words.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleText {
    /// In Vietnamese.
    pub vi: String,
    /// In English.
    pub en: String,
}

/// The stored rule (JSON) and its words; no words when the stored rule no
/// longer reads.
fn rule_parts(a: Option<Availability>) -> (Option<serde_json::Value>, Option<RuleText>) {
    match a {
        Some(Availability {
            rule,
            vi: Some(vi),
            en: Some(en),
        }) => (Some(rule), Some(RuleText { vi, en })),
        Some(a) => (Some(a.rule), None),
        None => (None, None),
    }
}

/// A member of a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberJson {
    /// Id.
    pub id: i32,
    /// Full name.
    pub full_name: String,
    /// `leader` or `volunteer`.
    pub role: String,
    /// Skill codes (`vneid`, `e_payment`, `scam_awareness`, `public_services`).
    pub skills: Vec<String>,
    /// Visits a day, at most.
    pub daily_visit_cap: u32,
    /// Makes phone or video calls.
    pub remote_capable: bool,
    /// Still on the team.
    pub active: bool,
    /// Availability rule, as stored (see `docs/availability.md`).
    #[schema(value_type = Option<Object>)]
    pub availability: Option<serde_json::Value>,
    /// The rule in words.
    pub availability_text: Option<RuleText>,
}

impl From<Member> for MemberJson {
    fn from(m: Member) -> Self {
        let (availability, availability_text) = rule_parts(m.availability);
        MemberJson {
            id: m.id,
            full_name: m.full_name,
            role: m.role.code().to_owned(),
            skills: m.skills.iter().map(|s| s.code().to_owned()).collect(),
            daily_visit_cap: m.daily_visit_cap,
            remote_capable: m.remote_capable,
            active: m.active,
            availability,
            availability_text,
        }
    }
}

/// A need of a resident.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedJson {
    /// Step code.
    pub step: String,
    /// `open`, `done` or `not_applicable`.
    pub status: String,
}

/// A resident of a household.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentJson {
    /// Id.
    pub id: i32,
    /// The register's key within the household.
    pub external_id: String,
    /// Full name.
    pub full_name: String,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Phone number: only for the team's leader and admins, absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// `home`, `at_sea`, `working_away` or `abroad`.
    pub presence: String,
    /// ISO country code, for residents abroad.
    pub country: Option<String>,
    /// IANA zone, for residents abroad.
    pub timezone: Option<String>,
    /// Whether consent to be recorded and visited is recorded.
    pub consent: bool,
    /// Availability rule, as stored.
    #[schema(value_type = Option<Object>)]
    pub availability: Option<serde_json::Value>,
    /// The rule in words.
    pub availability_text: Option<RuleText>,
    /// Every need and its status.
    pub needs: Vec<NeedJson>,
}

impl From<Resident> for ResidentJson {
    fn from(r: Resident) -> Self {
        let (availability, availability_text) = rule_parts(r.availability);
        ResidentJson {
            id: r.id,
            external_id: r.external_id,
            full_name: r.full_name,
            birth_year: r.birth_year,
            phone: r.phone,
            presence: r.presence.code().to_owned(),
            country: r.country,
            timezone: r.timezone,
            consent: r.consent,
            availability,
            availability_text,
            needs: r
                .needs
                .iter()
                .map(|n| NeedJson {
                    step: n.step.code().to_owned(),
                    status: n.status.code().to_owned(),
                })
                .collect(),
        }
    }
}

/// A household with its residents.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdJson {
    /// Id.
    pub id: i32,
    /// The register's key.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Its village's name.
    pub village: Option<String>,
    /// Latitude, when surveyed.
    pub latitude: Option<f64>,
    /// Longitude, when surveyed.
    pub longitude: Option<f64>,
    /// Residents.
    pub residents: Vec<ResidentJson>,
}

impl From<Household> for HouseholdJson {
    fn from(h: Household) -> Self {
        HouseholdJson {
            id: h.id,
            external_id: h.external_id,
            address: h.address,
            village: h.village,
            latitude: h.location.map(|l| l.lat),
            longitude: h.location.map(|l| l.lon),
            residents: h.residents.into_iter().map(ResidentJson::from).collect(),
        }
    }
}

/// One page of a team's households.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdPageJson {
    /// This page, from 1.
    pub page: u32,
    /// Households a page.
    pub per_page: u32,
    /// Households of the team, in all.
    pub total: u64,
    /// This page's households, by register key.
    pub households: Vec<HouseholdJson>,
}

impl From<HouseholdsPage> for HouseholdPageJson {
    fn from(p: HouseholdsPage) -> Self {
        HouseholdPageJson {
            page: p.page,
            per_page: p.per_page,
            total: p.total,
            households: p.households.into_iter().map(HouseholdJson::from).collect(),
        }
    }
}

/// Which page of households.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page, from 1 (default 1).
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
    /// Households a page, 1 to 200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
    /// Words in the address, the register key, a resident's name or phone,
    /// ignoring case and diacritics: "nguyen van duc" finds "Nguyễn Văn Đức".
    pub q: Option<String>,
    /// Only this village (its id).
    pub village: Option<String>,
    /// A resident has this need (`vneid_install`, …), open unless `status`.
    pub need: Option<String>,
    /// A resident is `home`, `at_sea`, `working_away` or `abroad`.
    pub presence: Option<String>,
    /// A need in this status: `open`, `done`, `not_applicable`.
    pub status: Option<String>,
}

/// The teams the signed-in user may see, with what they hold.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", operation_id = "list_teams",
    responses(
        (status = 200, description = "The teams in the user's scope, by id", body = Vec<TeamSummary>),
        (status = 401, description = "Not signed in", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<TeamSummary>>, ApiError> {
    let found = teams::list_teams(&state.store, &user.actor).await?;
    Ok(Json(found.into_iter().map(TeamSummary::from).collect()))
}

/// One team with what it holds.
#[utoipa::path(get, path = "/api/v1/teams/{team_id}", tag = "teams", operation_id = "show_team",
    params(("team_id" = i32, Path, description = "The team's id")),
    responses(
        (status = 200, description = "The team", body = TeamSummary),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such team in the user's scope", body = Problem),
        (status = 422, description = "The id is not a positive whole number", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<TeamSummary>, ApiError> {
    let id = parse_id("team_id", &id)?;
    Ok(Json(
        teams::team(&state.store, &user.actor, id).await?.into(),
    ))
}

/// A team's members, with their skills and availability (as stored and in
/// words).
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/members", tag = "teams",
    params(("team_id" = i32, Path, description = "The team's id")),
    responses(
        (status = 200, description = "The members, by id", body = Vec<MemberJson>),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such team in the user's scope", body = Problem),
        (status = 422, description = "The id is not a positive whole number", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn members(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<MemberJson>>, ApiError> {
    let id = parse_id("team_id", &id)?;
    let found = teams::members(&state.store, &user.actor, id).await?;
    Ok(Json(found.into_iter().map(MemberJson::from).collect()))
}

/// A page of a team's households, by register key, with residents and
/// needs, searched (ignoring case and diacritics) and filtered by village,
/// need, presence and status. A volunteer reads only the households they
/// visit on the team's calendar. Phone numbers only for the team's leader
/// and admins. The read is logged.
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/households", tag = "teams",
    params(("team_id" = i32, Path, description = "The team's id"), PageQuery),
    responses(
        (status = 200, description = "The page and the number of households in all", body = HouseholdPageJson),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such team in the user's scope", body = Problem),
        (status = 422, description = "A bad id, page or per_page, each named", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn households(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<HouseholdPageJson>, ApiError> {
    let id = parse_id("team_id", &id)?;
    let Query(query) = query.map_err(|e| {
        ApiError::field(
            "(query)",
            format!("chuỗi truy vấn không hợp lệ: {e}"),
            format!("invalid query string: {e}"),
        )
    })?;
    let page = PageRequest::parse(query.page.as_deref(), query.per_page.as_deref())?;
    let filter = teams::HouseholdFilter::parse(
        query.q.as_deref(),
        query.village.as_deref(),
        query.need.as_deref(),
        query.presence.as_deref(),
        query.status.as_deref(),
    )?;
    let found =
        teams::households(&state.store, &user.actor, id, page, &filter, state.now()).await?;
    Ok(Json(found.into()))
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(members))
        .routes(routes!(households))
}
