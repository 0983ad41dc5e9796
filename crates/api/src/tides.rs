//! A port's tide station fitted to the high and low waters a team wrote
//! down (`doorstep_service::tide_fit`, as `doorstep tide fit` does): the
//! fit's grade and report, and the station file to keep with the catalog.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use doorstep_service::team_stations::{self, OwnStation, TeamFitInput};
use doorstep_service::tide_fit::{self, FitInput};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, JsonBody, Problem, parse_id};

/// The readings to fit, and how to name the station.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FitBody {
    /// The station's id: ASCII letters, digits, `_` and `-` (its file is
    /// `ID.toml`).
    #[schema(example = "lach-bang-ben-ca")]
    pub id: String,
    /// Its name (default: the id).
    pub name: Option<String>,
    /// The port's latitude, degrees north.
    #[schema(example = 19.37)]
    pub latitude: f64,
    /// Its longitude, degrees east (default: the reference's, or 0).
    pub longitude: Option<f64>,
    /// The zone of times written without an offset (default
    /// `Asia/Ho_Chi_Minh`).
    pub timezone: Option<String>,
    /// A harmonic catalog station whose ratios give the constituents the
    /// record cannot separate (e.g. `vn_hon_dau`).
    pub reference: Option<String>,
    /// The readings: a header (`time,kind,height_m` or `thời gian,loại,độ
    /// cao (m)`) and one high or low water a row.
    #[schema(example = "thời gian,loại,độ cao (m)\n2026-03-02 05:40,nước lớn,2.35\n")]
    pub csv: String,
}

/// A fitted station.
#[derive(Debug, Serialize, ToSchema)]
pub struct FitView {
    /// The fit in figures: `station`, `grade` (A, B, C or D), `record_days`,
    /// `highs`, `lows`, `heights`, `fitted` and `inferred` constituents,
    /// `time_rms_min`, `height_rms_m`, `unmatched` (as `doorstep tide fit`
    /// prints).
    #[schema(value_type = Object)]
    pub summary: Value,
    /// The report for the person who wrote the readings down, in
    /// Vietnamese and English, with each reading to check again.
    pub report: String,
    /// The station file (TOML, `approximate = true`), read back as any
    /// station file.
    pub station_file: String,
}

/// Fits a station to a team's written-down high and low waters (a
/// leader): nothing is stored.
#[utoipa::path(post, path = "/api/v1/tide/fit", tag = "teams",
    request_body = FitBody,
    responses(
        (status = 200, description = "The fit, its report and the station file", body = FitView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a leader", body = Problem),
        (status = 422, description = "Every problem with its field; each bad row by its line", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn fit(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<FitBody>,
) -> Result<Json<FitView>, ApiError> {
    let id = body.id.clone();
    let fitted = tide_fit::fit_for_leader(
        &state.catalog,
        &user.actor,
        FitInput {
            id: body.id,
            name: body.name,
            latitude: body.latitude,
            longitude: body.longitude,
            timezone: body.timezone,
            reference: body.reference,
            csv: body.csv,
        },
    )
    .await?;
    let file = format!("{id}.toml");
    Ok(Json(FitView {
        summary: tide_fit::summary(&id, &file, &fitted.fit),
        report: tide_fit::report(&id, &file, &fitted.fit),
        station_file: fitted.station_file,
    }))
}

/// Readings of the team's port to fit and keep with the team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamFitBody {
    /// The station's name.
    #[schema(example = "Lạch Bạng (tổ ghi)")]
    pub name: String,
    /// Its id, as rules name it: ASCII letters, digits, `_` and `-`
    /// (default: made of the name, "lach-bang-to-ghi"); not a catalog
    /// station's. Fitting again under the same id replaces the station.
    pub id: Option<String>,
    /// The port's latitude, degrees north (default: the team's commune's).
    pub latitude: Option<f64>,
    /// Its longitude, degrees east (default: the team's commune's).
    pub longitude: Option<f64>,
    /// A harmonic catalog station whose ratios give the constituents the
    /// record cannot separate (e.g. `vn_hon_dau`).
    pub reference: Option<String>,
    /// The readings: a header (`time,kind,height_m` or `thời gian,loại,độ
    /// cao (m)`) and one high or low water a row; times without an offset
    /// are in the team's zone.
    #[schema(example = "thời gian,loại,độ cao (m)\n2026-03-02 05:40,nước lớn,2.35\n")]
    pub csv: String,
}

/// One of a team's own stations.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamStationView {
    /// Its id, as rules name it.
    pub id: String,
    /// Its name.
    pub name: String,
    /// A, B, C or D.
    pub grade: String,
    /// The grade in words, Vietnamese.
    pub grade_vi: String,
    /// In English.
    pub grade_en: String,
    /// Whether it is the team's station.
    pub adopted: bool,
    /// The fit in figures, as `POST /api/v1/tide/fit` gives them.
    #[schema(value_type = Object)]
    pub summary: Value,
    /// Who fitted it.
    pub created_by: String,
    /// When (RFC 3339, UTC).
    pub created_at: String,
}

impl From<OwnStation> for TeamStationView {
    fn from(s: OwnStation) -> Self {
        let (vi, en) = s.grade_words();
        TeamStationView {
            id: s.stored.station_id,
            name: s.stored.name,
            grade_vi: vi.to_owned(),
            grade_en: en.to_owned(),
            grade: s.grade,
            adopted: s.adopted,
            summary: s.summary,
            created_by: s.stored.created_by,
            created_at: s.stored.created_at.to_rfc3339(),
        }
    }
}

/// A catalog station a team may adopt.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogStationView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Approximate (a placeholder or a fit).
    pub approximate: bool,
}

/// A team's tide stations.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamStationsView {
    /// The team's station (the default of its rules), when it has one.
    pub team_station: Option<String>,
    /// Its own stations, fitted to its readings.
    pub own: Vec<TeamStationView>,
    /// The shipped catalog.
    pub catalog: Vec<CatalogStationView>,
}

/// A kept station with its report and station file.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeptStationView {
    /// The station.
    pub station: TeamStationView,
    /// Whether it replaced the team's station of the same id.
    pub replaced: bool,
    /// The report for the person who wrote the readings down.
    pub report: String,
    /// The station file (TOML).
    pub station_file: String,
}

/// A team's station with its report, file and readings.
#[derive(Debug, Serialize, ToSchema)]
pub struct StationDetailView {
    /// The station.
    pub station: TeamStationView,
    /// The report.
    pub report: String,
    /// The station file (TOML).
    pub station_file: String,
    /// The readings' CSV it was fitted to.
    pub readings: String,
    /// Readings more than 30 minutes off the fitted curve (or not on it):
    /// their times (team's zone), to check in the notebook.
    pub to_check: Vec<String>,
}

/// What adopting a station changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptedView {
    /// The team's station now.
    pub station: String,
    /// Before.
    pub previous: Option<String>,
    /// Residents' rules that named the previous station and name this one now.
    pub residents: usize,
    /// Members' free times switched likewise.
    pub members: usize,
    /// Blackouts switched likewise.
    pub blackouts: usize,
}

/// A team's tide stations: its own (fitted to its readings) and the catalog's.
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/tide-stations", tag = "teams",
    params(("team_id" = i32, Path, description = "The team")),
    responses(
        (status = 200, description = "The team's station, its own and the catalog's", body = TeamStationsView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn list_stations(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
) -> Result<Json<TeamStationsView>, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let list = team_stations::list(&state.store, &state.catalog, &user.actor, team_id).await?;
    Ok(Json(TeamStationsView {
        team_station: list.team_station,
        own: list.own.into_iter().map(TeamStationView::from).collect(),
        catalog: list
            .catalog
            .into_iter()
            .map(|(id, name, approximate)| CatalogStationView {
                id,
                name,
                approximate,
            })
            .collect(),
    }))
}

/// Fits a station to the high and low waters written down at the team's
/// port and keeps it with the team (its leader); fitting again under the
/// same id replaces it. Adopt it to make the team's rules use it.
#[utoipa::path(post, path = "/api/v1/teams/{team_id}/tide-stations", tag = "teams",
    params(("team_id" = i32, Path, description = "The team")),
    request_body = TeamFitBody,
    responses(
        (status = 201, description = "Kept: the station, its report and file", body = KeptStationView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 422, description = "Every problem with its field; each bad row by its line", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn keep_station(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
    JsonBody(body): JsonBody<TeamFitBody>,
) -> Result<impl IntoResponse, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let saved = team_stations::fit_and_keep(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        TeamFitInput {
            id: body.id,
            name: body.name,
            latitude: body.latitude,
            longitude: body.longitude,
            reference: body.reference,
            csv: body.csv,
        },
        state.now(),
    )
    .await?;
    let report = saved.station.stored.report.clone();
    let station_file = saved.station.stored.file.clone();
    Ok((
        StatusCode::CREATED,
        Json(KeptStationView {
            station: saved.station.into(),
            replaced: saved.replaced,
            report,
            station_file,
        }),
    ))
}

/// One of a team's own stations: its fit, report, file and readings.
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/tide-stations/{station_id}", tag = "teams",
    params(("team_id" = i32, Path, description = "The team"), ("station_id" = String, Path, description = "The station's id")),
    responses(
        (status = 200, description = "The station", body = StationDetailView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such team in your scope, or no such station of the team", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn show_station(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((team_id, station_id)): Path<(String, String)>,
) -> Result<Json<StationDetailView>, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let detail = team_stations::detail(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        &station_id,
    )
    .await?;
    Ok(Json(StationDetailView {
        to_check: detail
            .plot
            .readings
            .iter()
            .filter(|r| r.check)
            .map(|r| r.at.clone())
            .collect(),
        report: detail.station.stored.report.clone(),
        station_file: detail.station.stored.file.clone(),
        readings: detail.station.stored.readings.clone(),
        station: detail.station.into(),
    }))
}

/// Makes a station — one of the team's own or a catalog station — the
/// team's station (its leader): every rule and blackout of the team that
/// named the previous station names this one, in one transaction.
#[utoipa::path(post, path = "/api/v1/teams/{team_id}/tide-stations/{station_id}/adopt", tag = "teams",
    params(("team_id" = i32, Path, description = "The team"), ("station_id" = String, Path, description = "The station's id")),
    responses(
        (status = 200, description = "Adopted: what it changed", body = AdoptedView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope, or no such station", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn adopt_station(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((team_id, station_id)): Path<(String, String)>,
) -> Result<Json<AdoptedView>, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let adopted = team_stations::adopt(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        &station_id,
        state.now(),
    )
    .await?;
    Ok(Json(AdoptedView {
        station: station_id,
        previous: adopted.previous,
        residents: adopted.residents,
        members: adopted.members,
        blackouts: adopted.blackouts,
    }))
}

/// Removes one of a team's own stations (its leader), when neither the
/// team nor any of its rules uses it.
#[utoipa::path(delete, path = "/api/v1/teams/{team_id}/tide-stations/{station_id}", tag = "teams",
    params(("team_id" = i32, Path, description = "The team"), ("station_id" = String, Path, description = "The station's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope, or no such station of the team", body = Problem),
        (status = 409, description = "The team or its rules use it", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn delete_station(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((team_id, station_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    team_stations::remove(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        &station_id,
        state.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(OpenApi)]
#[openapi(components(schemas(
    FitBody,
    FitView,
    TeamFitBody,
    TeamStationView,
    CatalogStationView,
    TeamStationsView,
    KeptStationView,
    StationDetailView,
    AdoptedView,
    Problem
)))]
struct Doc;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    // A record of readings may be larger than a JSON body.
    let limit = || DefaultBodyLimit::max(2 * tide_fit::MAX_CSV_BYTES);
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes({
            let (schemas, paths, method) = routes!(fit);
            (schemas, paths, method.layer(limit()))
        })
        .routes({
            let (schemas, paths, method) = routes!(list_stations, keep_station);
            (schemas, paths, method.layer(limit()))
        })
        .routes(routes!(show_station, delete_station))
        .routes(routes!(adopt_station))
}
