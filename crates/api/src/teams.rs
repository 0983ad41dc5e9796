//! Teams and their households, as JSON.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use doorstep_core::{NeedStatus, NeedStep, Presence};
use doorstep_store::HouseholdView;
use doorstep_store::entity::team;
use serde::Serialize;

use crate::error::parse_id;
use crate::{ApiError, AppState};

/// A team with its counts.
#[derive(Debug, Serialize)]
pub struct TeamSummary {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// The commune or village it serves.
    pub area: String,
    /// IANA zone.
    pub timezone: String,
    /// Default tide station.
    pub tide_station: Option<String>,
    /// Members.
    pub members: usize,
    /// Households.
    pub households: usize,
    /// Residents.
    pub residents: usize,
    /// Residents by presence code.
    pub presence: BTreeMap<&'static str, usize>,
    /// Open needs by step code.
    pub open_needs: BTreeMap<&'static str, usize>,
    /// Households with at least one open need.
    pub households_with_open_needs: usize,
}

pub(crate) async fn summary(
    state: &AppState,
    team: &team::Model,
) -> Result<(TeamSummary, Vec<HouseholdView>), ApiError> {
    let db = state.store.connection();
    let households = doorstep_store::team_households(db, team.id).await?;
    let members = doorstep_store::team_members(db, team.id).await?;
    let area = doorstep_store::find_area(db, team.area_id)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let mut presence: BTreeMap<&'static str, usize> =
        Presence::ALL.iter().map(|p| (p.code(), 0)).collect();
    let mut open_needs: BTreeMap<&'static str, usize> =
        NeedStep::ALL.iter().map(|n| (n.code(), 0)).collect();
    let mut residents = 0;
    let mut households_with_open_needs = 0;
    for h in &households {
        let mut open = false;
        for (resident, needs) in &h.residents {
            residents += 1;
            if let Some(p) = Presence::parse(&resident.presence) {
                *presence.entry(p.code()).or_default() += 1;
            }
            for need in needs.iter().filter(|n| n.status == NeedStatus::Open.code()) {
                if let Some(step) = NeedStep::parse(&need.step) {
                    *open_needs.entry(step.code()).or_default() += 1;
                    open = true;
                }
            }
        }
        households_with_open_needs += usize::from(open);
    }
    Ok((
        TeamSummary {
            id: team.id,
            name: team.name.clone(),
            area,
            timezone: team.timezone.clone(),
            tide_station: team.tide_station.clone(),
            members: members.len(),
            households: households.len(),
            residents,
            presence,
            open_needs,
            households_with_open_needs,
        },
        households,
    ))
}

pub(crate) async fn find(state: &AppState, raw_id: &str) -> Result<team::Model, ApiError> {
    let id = parse_id("team_id", raw_id)?;
    doorstep_store::find_team(state.store.connection(), id)
        .await?
        .ok_or_else(|| ApiError(doorstep_service::error::ServiceError::not_found("team", id)))
}

/// `GET /api/v1/teams`.
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<TeamSummary>>, ApiError> {
    let mut out = Vec::new();
    for team in doorstep_store::list_teams(state.store.connection()).await? {
        out.push(summary(&state, &team).await?.0);
    }
    Ok(Json(out))
}

/// `GET /api/v1/teams/{team_id}`.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TeamSummary>, ApiError> {
    let team = find(&state, &id).await?;
    Ok(Json(summary(&state, &team).await?.0))
}

/// A household as the API shows it.
#[derive(Debug, Serialize)]
pub struct HouseholdJson {
    id: i32,
    external_id: String,
    address: String,
    village: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    residents: Vec<ResidentJson>,
}

#[derive(Debug, Serialize)]
struct ResidentJson {
    id: i32,
    external_id: String,
    full_name: String,
    birth_year: Option<i32>,
    presence: String,
    country: Option<String>,
    timezone: Option<String>,
    availability: Option<serde_json::Value>,
    needs: Vec<NeedJson>,
}

#[derive(Debug, Serialize)]
struct NeedJson {
    step: String,
    status: String,
}

/// `GET /api/v1/teams/{team_id}/households`.
pub async fn households(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<HouseholdJson>>, ApiError> {
    let team = find(&state, &id).await?;
    let households = doorstep_store::team_households(state.store.connection(), team.id).await?;
    Ok(Json(
        households
            .into_iter()
            .map(|h| HouseholdJson {
                id: h.household.id,
                external_id: h.household.external_id,
                address: h.household.address,
                village: h.village,
                latitude: h.household.latitude,
                longitude: h.household.longitude,
                residents: h
                    .residents
                    .into_iter()
                    .map(|(r, needs)| ResidentJson {
                        id: r.id,
                        external_id: r.external_id,
                        full_name: r.full_name,
                        birth_year: r.birth_year,
                        presence: r.presence,
                        country: r.country,
                        timezone: r.timezone,
                        availability: r.availability.and_then(|a| serde_json::from_str(&a).ok()),
                        needs: needs
                            .into_iter()
                            .map(|n| NeedJson {
                                step: n.step,
                                status: n.status,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    ))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths())]
struct Doc;

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    <Doc as utoipa::OpenApi>::openapi()
}

pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/v1/teams", get(list))
        .route("/api/v1/teams/{team_id}", get(show))
        .route("/api/v1/teams/{team_id}/households", get(households))
}
