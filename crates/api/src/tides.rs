//! A port's tide station fitted to the high and low waters a team wrote
//! down (`doorstep_service::tide_fit`, as `doorstep tide fit` does): the
//! fit's grade and report, and the station file to keep with the catalog.

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use doorstep_service::tide_fit::{self, FitInput};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, JsonBody, Problem};

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

#[derive(OpenApi)]
#[openapi(components(schemas(FitBody, FitView, Problem)))]
struct Doc;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi()).routes({
        // A record of readings may be larger than a JSON body.
        let (schemas, paths, method) = routes!(fit);
        (
            schemas,
            paths,
            method.layer(DefaultBodyLimit::max(2 * tide_fit::MAX_CSV_BYTES)),
        )
    })
}
