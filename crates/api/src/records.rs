//! A leader manages the team's data: households, residents, needs and
//! members one at a time; the register imported by upload and exported as
//! CSV; availability rules checked, read back in words, previewed, and
//! started from presets.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use doorstep_service::import::{self, ImportOptions, ImportReport};
use doorstep_service::records::{self, Household, Member, Need, ResidentRecord};
use doorstep_service::rules::{self, PresetQuery, RuleCheck};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, JsonBody, Problem, QueryParams, parse_id};

/// A household to create or change; on a change, an absent field is kept
/// and `null` clears it.
// The body's schema for the document; the service reads the body field by
// field, to name every problem's JSON path.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
pub struct HouseholdBody {
    /// The register's key, unique in the team (required on creation).
    pub external_id: Option<String>,
    /// Address (required on creation).
    pub address: Option<String>,
    /// One of the team's villages.
    pub village_id: Option<i32>,
    /// Latitude of the house.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// 0–10; higher is visited first.
    pub priority: Option<i32>,
}

/// A household as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    /// Id.
    pub id: i32,
    /// The team.
    pub team_id: i32,
    /// The register's key.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Its village.
    pub village_id: Option<i32>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// Priority.
    pub priority: Option<i32>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Household> for HouseholdView {
    fn from(h: Household) -> Self {
        HouseholdView {
            id: h.id,
            team_id: h.team_id,
            external_id: h.external_id,
            address: h.address,
            village_id: h.village_id,
            latitude: h.latitude,
            longitude: h.longitude,
            priority: h.priority,
            updated_at: h.updated_at,
        }
    }
}

/// Creates a household in the team (its leader).
#[utoipa::path(post, path = "/api/v1/teams/{team_id}/households", tag = "teams",
    params(("team_id" = i32, Path, description = "The team")),
    request_body = HouseholdBody,
    responses(
        (status = 201, description = "Created", body = HouseholdView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 409, description = "The register key is taken", body = Problem),
        (status = 422, description = "Every problem with its field", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn create_household(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, Json<HouseholdView>), ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let saved =
        records::create_household(&state.store, &user.actor, team_id, &body, state.now()).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// Changes a household (its team's leader).
#[utoipa::path(patch, path = "/api/v1/households/{household_id}", tag = "teams",
    params(("household_id" = i32, Path, description = "The household")),
    request_body = HouseholdBody,
    responses(
        (status = 200, description = "Changed", body = HouseholdView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such household in your scope", body = Problem),
        (status = 409, description = "The register key is taken", body = Problem),
        (status = 422, description = "Every problem with its field", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn edit_household(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(household_id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<HouseholdView>, ApiError> {
    let household_id = parse_id("household_id", &household_id)?;
    let saved =
        records::edit_household(&state.store, &user.actor, household_id, &body, state.now())
            .await?;
    Ok(Json(saved.into()))
}

/// A resident to add or change; on a change, an absent field is kept and
/// `null` clears it.
// The body's schema for the document; the service reads the body field by
// field, to name every problem's JSON path.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResidentBody {
    /// The register's key in the household (default: the next number).
    pub external_id: Option<String>,
    /// Full name (required when added).
    pub full_name: Option<String>,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Phone.
    pub phone: Option<String>,
    /// `home` (default), `at_sea`, `working_away`, `abroad`.
    pub presence: Option<String>,
    /// Country, when abroad (code or name).
    pub country: Option<String>,
    /// IANA zone, when abroad.
    pub timezone: Option<String>,
    /// The availability rule (see `POST /api/v1/rules/check`).
    #[schema(value_type = Object)]
    pub availability: Option<Value>,
    /// Needs to open (`vneid_install`, …).
    pub needs: Option<Vec<String>>,
}

/// A need as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedStored {
    /// The step.
    pub need: String,
    /// `open`, `done` or `not_applicable`.
    pub status: String,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// By whom.
    pub updated_by: Option<String>,
}

impl From<Need> for NeedStored {
    fn from(n: Need) -> Self {
        NeedStored {
            need: n.step.code().to_owned(),
            status: n.status.code().to_owned(),
            updated_at: n.updated_at,
            updated_by: n.updated_by,
        }
    }
}

/// A resident as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentView {
    /// Id.
    pub id: i32,
    /// The household.
    pub household_id: i32,
    /// The register's key.
    pub external_id: String,
    /// Full name.
    pub full_name: String,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Phone.
    pub phone: Option<String>,
    /// Presence.
    pub presence: String,
    /// Country.
    pub country: Option<String>,
    /// Zone.
    pub timezone: Option<String>,
    /// The rule as stored.
    #[schema(value_type = Object)]
    pub availability: Option<Value>,
    /// The rule in words (Vietnamese).
    pub availability_vi: Option<String>,
    /// In English.
    pub availability_en: Option<String>,
    /// Consent recorded.
    pub consent: bool,
    /// Their needs.
    pub needs: Vec<NeedStored>,
}

fn resident_view(state: &AppState, r: ResidentRecord) -> ResidentView {
    let rule = r
        .resident
        .availability
        .as_deref()
        .and_then(|a| serde_json::from_str::<Value>(a).ok());
    let words = rule
        .as_ref()
        .and_then(|v| rules::parse_rule(v, &state.catalog, "").ok())
        .map(|rule| {
            (
                doorstep_service::rules::describe_vi(&rule),
                doorstep_service::rules::describe_en(&rule),
            )
        });
    let resident = r.resident;
    ResidentView {
        id: resident.id,
        household_id: resident.household_id,
        external_id: resident.external_id,
        full_name: resident.full_name,
        birth_year: resident.birth_year,
        phone: resident.phone,
        presence: resident.presence.code().to_owned(),
        country: resident.country,
        timezone: resident.timezone,
        availability: rule,
        availability_vi: words.as_ref().map(|w| w.0.clone()),
        availability_en: words.map(|w| w.1),
        consent: resident.consent_at.is_some(),
        needs: r.needs.into_iter().map(NeedStored::from).collect(),
    }
}

/// Adds a resident to a household (its team's leader), with needs to open.
#[utoipa::path(post, path = "/api/v1/households/{household_id}/residents", tag = "teams",
    params(("household_id" = i32, Path, description = "The household")),
    request_body = ResidentBody,
    responses(
        (status = 201, description = "Added", body = ResidentView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such household in your scope", body = Problem),
        (status = 409, description = "The register key is taken", body = Problem),
        (status = 422, description = "Every problem with its field or JSON path", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn add_resident(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(household_id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, Json<ResidentView>), ApiError> {
    let household_id = parse_id("household_id", &household_id)?;
    let saved = records::add_resident(
        &state.store,
        &state.catalog,
        &user.actor,
        household_id,
        &body,
        state.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(resident_view(&state, saved))))
}

/// Changes a resident (their team's leader); `needs` opens needs.
#[utoipa::path(patch, path = "/api/v1/residents/{resident_id}", tag = "teams",
    params(("resident_id" = i32, Path, description = "The resident")),
    request_body = ResidentBody,
    responses(
        (status = 200, description = "Changed", body = ResidentView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such resident in your scope", body = Problem),
        (status = 409, description = "The register key is taken", body = Problem),
        (status = 422, description = "Every problem with its field or JSON path", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn edit_resident(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(resident_id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<ResidentView>, ApiError> {
    let resident_id = parse_id("resident_id", &resident_id)?;
    let saved = records::edit_resident(
        &state.store,
        &state.catalog,
        &user.actor,
        resident_id,
        &body,
        state.now(),
    )
    .await?;
    Ok(Json(resident_view(&state, saved)))
}

/// A need's new status.
// The body's schema for the document; the service reads the body field by
// field, to name every problem's JSON path.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
pub struct NeedBody {
    /// `open`, `done` or `not_applicable`.
    pub status: String,
}

/// Sets one need of a resident (their team's leader).
#[utoipa::path(put, path = "/api/v1/residents/{resident_id}/needs/{need}", tag = "teams",
    params(("resident_id" = i32, Path, description = "The resident"),
           ("need" = String, Path, description = "vneid_install, vneid_level2, documents, e_payment, scam_awareness or public_services")),
    request_body = NeedBody,
    responses(
        (status = 200, description = "Set", body = NeedStored),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such resident in your scope", body = Problem),
        (status = 422, description = "A bad need or status", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn set_need(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((resident_id, need)): Path<(String, String)>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<NeedStored>, ApiError> {
    let resident_id = parse_id("resident_id", &resident_id)?;
    let saved = records::set_need(
        &state.store,
        &user.actor,
        resident_id,
        &need,
        &body,
        state.now(),
    )
    .await?;
    Ok(Json(saved.into()))
}

/// A member to add or change; on a change, an absent field is kept and
/// `null` clears it.
// The body's schema for the document; the service reads the body field by
// field, to name every problem's JSON path.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberBody {
    /// Full name (required when added).
    pub full_name: Option<String>,
    /// `leader` or `volunteer` (default).
    pub role: Option<String>,
    /// Where the daily list goes.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// `vneid`, `e_payment`, `scam_awareness`, `public_services`.
    pub skills: Option<Vec<String>>,
    /// 1–40 visits a day (default 8).
    pub daily_visit_cap: Option<i32>,
    /// Makes phone and video calls.
    pub remote_capable: Option<bool>,
    /// Home latitude.
    pub home_latitude: Option<f64>,
    /// Home longitude.
    pub home_longitude: Option<f64>,
    /// Free time, as an availability rule.
    #[schema(value_type = Object)]
    pub availability: Option<Value>,
    /// Takes visits.
    pub active: Option<bool>,
    /// `vi` (default) or `en`.
    pub language: Option<String>,
}

/// A member as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// Id.
    pub id: i32,
    /// The team.
    pub team_id: i32,
    /// Full name.
    pub full_name: String,
    /// Role.
    pub role: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Skills.
    pub skills: Vec<String>,
    /// Visits a day at most.
    pub daily_visit_cap: i32,
    /// Makes calls.
    pub remote_capable: bool,
    /// Free time, as stored.
    #[schema(value_type = Object)]
    pub availability: Option<Value>,
    /// Takes visits.
    pub active: bool,
    /// Language of messages.
    pub language: String,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        MemberView {
            id: m.id,
            team_id: m.team_id,
            full_name: m.full_name,
            role: m.role.code().to_owned(),
            email: m.email,
            phone: m.phone,
            skills: m.skills.iter().map(|s| s.code().to_owned()).collect(),
            daily_visit_cap: m.daily_visit_cap,
            remote_capable: m.remote_capable,
            availability: m
                .availability
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok()),
            active: m.active,
            language: m.language.code().to_owned(),
        }
    }
}

/// Adds a member to the team (its leader).
#[utoipa::path(post, path = "/api/v1/teams/{team_id}/members", tag = "teams",
    params(("team_id" = i32, Path, description = "The team")),
    request_body = MemberBody,
    responses(
        (status = 201, description = "Added", body = MemberView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 422, description = "Every problem with its field or JSON path", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn add_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, Json<MemberView>), ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let saved = records::add_member(
        &state.store,
        &state.catalog,
        &user.actor,
        team_id,
        &body,
        state.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// Changes a member (the team's leader).
#[utoipa::path(patch, path = "/api/v1/members/{member_id}", tag = "teams",
    params(("member_id" = i32, Path, description = "The member")),
    request_body = MemberBody,
    responses(
        (status = 200, description = "Changed", body = MemberView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such member in your scope", body = Problem),
        (status = 422, description = "Every problem with its field or JSON path", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn edit_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(member_id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<MemberView>, ApiError> {
    let member_id = parse_id("member_id", &member_id)?;
    let saved = records::edit_member(
        &state.store,
        &state.catalog,
        &user.actor,
        member_id,
        &body,
        state.now(),
    )
    .await?;
    Ok(Json(saved.into()))
}

/// A rule to check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRule {
    /// The rule, e.g. `{"mode":"in_person","when":[{"lunar_days":[13,18],"hours":["07:00","20:00"]}]}`.
    #[schema(value_type = Object)]
    pub rule: Value,
    /// The team whose zone the preview is in (default: your team's, or Việt Nam's).
    pub team_id: Option<i32>,
    /// Days of preview from tomorrow, 1–28 (default 14).
    pub days: Option<u32>,
}

/// One problem of a rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleProblemView {
    /// The JSON path, e.g. `when[0].hours[1]`.
    pub path: String,
    /// In Vietnamese.
    pub message_vi: String,
    /// In English.
    pub message_en: String,
}

/// A window of the preview.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    /// Start, RFC 3339 in the zone.
    pub start: String,
    /// End.
    pub end: String,
    /// Its day in the lunar calendar, `dd/mm`.
    pub lunar: String,
    /// `in_person` or `remote`.
    pub mode: String,
}

/// A rule checked.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleCheckView {
    /// Whether it reads.
    pub valid: bool,
    /// Every problem with its path.
    pub errors: Vec<RuleProblemView>,
    /// The rule in words (Vietnamese).
    pub description_vi: Option<String>,
    /// In English.
    pub description_en: Option<String>,
    /// The zone of the preview.
    pub timezone: String,
    /// The next windows from tomorrow (at most 10).
    pub next_windows: Vec<PreviewView>,
}

impl From<RuleCheck> for RuleCheckView {
    fn from(c: RuleCheck) -> Self {
        RuleCheckView {
            valid: c.problems.is_empty(),
            errors: c
                .problems
                .into_iter()
                .map(|p| RuleProblemView {
                    path: p.path,
                    message_vi: p.message_vi,
                    message_en: p.message_en,
                })
                .collect(),
            description_vi: c.description_vi,
            description_en: c.description_en,
            timezone: c.zone.name().to_owned(),
            next_windows: c
                .windows
                .into_iter()
                .map(|w| PreviewView {
                    start: w.start.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                    end: w.end.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                    lunar: doorstep_service::daylist::lunar_short(w.start.date_naive()),
                    mode: w.mode.code().to_owned(),
                })
                .collect(),
        }
    }
}

/// Checks an availability rule: every problem at its JSON path, or the rule
/// in words and its next windows. A rule that does not read is answered
/// 200 with `valid: false` and its errors (this is what the form asks).
#[utoipa::path(post, path = "/api/v1/rules/check", tag = "teams",
    request_body = CheckRule,
    responses(
        (status = 200, description = "The problems, or the words and the preview", body = RuleCheckView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 422, description = "A bad body or number of days", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn check_rule(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<CheckRule>,
) -> Result<Json<RuleCheckView>, ApiError> {
    let checked = rules::check_rule(
        &state.store,
        &state.catalog,
        &user.actor,
        &body.rule,
        body.team_id,
        body.days.unwrap_or(14),
        state.now(),
    )
    .await?;
    Ok(Json(checked.into()))
}

/// How presets are adjusted.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PresetParams {
    /// Fishing crew: a tide station's id (unloading near high water there is avoided).
    pub station: Option<String>,
    /// Worker abroad: a country code or name (default KR).
    pub country: Option<String>,
    /// Worker abroad: an IANA zone, for countries with several.
    pub timezone: Option<String>,
    /// Shift worker: `day`, `evening` or `night`.
    pub shift: Option<String>,
    /// Shift worker: days off, e.g. `sat,sun`.
    pub days_off: Option<String>,
    /// The team whose stations `station` may name (its own, fitted to its
    /// readings, as well as the catalog's).
    pub team_id: Option<i32>,
}

/// A preset.
#[derive(Debug, Serialize, ToSchema)]
pub struct PresetView {
    /// `fishing_crew`, `worker_abroad`, `farmer`, `elderly`, `shift_worker`.
    pub code: String,
    /// In Vietnamese.
    pub label_vi: String,
    /// In English.
    pub label_en: String,
    /// The rule, to store as it is or adjust.
    #[schema(value_type = Object)]
    pub rule: Value,
    /// In words (Vietnamese).
    pub description_vi: String,
    /// In English.
    pub description_en: String,
}

/// The presets (fishing crew, worker abroad, farmer, elderly, shift worker),
/// built with the options given.
#[utoipa::path(get, path = "/api/v1/rules/presets", tag = "teams",
    params(PresetParams),
    responses(
        (status = 200, description = "Every preset", body = [PresetView]),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 422, description = "A bad option", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn presets(
    State(state): State<AppState>,
    user: CurrentUser,
    QueryParams(params): QueryParams<PresetParams>,
) -> Result<Json<Vec<PresetView>>, ApiError> {
    let catalog = doorstep_service::team_stations::catalog_seen(
        &state.store,
        &state.catalog,
        &user.actor,
        params.team_id,
    )
    .await?;
    let built = rules::presets(
        &catalog,
        &PresetQuery {
            station: params.station,
            country: params.country,
            timezone: params.timezone,
            shift: params.shift,
            days_off: params.days_off,
        },
    )?;
    Ok(Json(
        built
            .into_iter()
            .map(|p| PresetView {
                code: p.preset.code().to_owned(),
                label_vi: p.preset.label_vi().to_owned(),
                label_en: p.preset.label_en().to_owned(),
                rule: p.rule,
                description_vi: p.description_vi,
                description_en: p.description_en,
            })
            .collect(),
    ))
}

/// How an upload is imported.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true`: import the good rows and report the bad ones; default: all
    /// or nothing.
    pub skip_invalid: Option<bool>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    /// Data rows read.
    pub rows: usize,
    /// Households in the file.
    pub households: usize,
    /// What changed.
    #[schema(value_type = Object)]
    pub changes: Value,
    /// Rows left out (with `skip_invalid`), each with its line and column.
    #[schema(value_type = Object)]
    pub skipped: Value,
}

impl From<ImportReport> for ImportView {
    fn from(r: ImportReport) -> Self {
        ImportView {
            rows: r.rows,
            households: r.households,
            changes: serde_json::to_value(r.changes).unwrap_or_default(),
            skipped: serde_json::to_value(r.skipped).unwrap_or_default(),
        }
    }
}

/// Imports a village register sent as the body (CSV, as `doorstep import`
/// reads it; the team's leader): every bad row is reported with its line
/// and column and nothing is written, unless `skip_invalid=true`.
#[utoipa::path(post, path = "/api/v1/teams/{team_id}/imports", tag = "teams",
    params(("team_id" = i32, Path, description = "The team"), ImportParams),
    request_body(content = String, content_type = "text/csv", description = "The register"),
    responses(
        (status = 200, description = "Imported", body = ImportView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
        (status = 413, description = "Over 32 MB", body = Problem),
        (status = 415, description = "Not sent as `text/csv` (or `application/csv`, `application/vnd.ms-excel`)", body = Problem),
        (status = 422, description = "Every bad row, `line N, column \"…\"`", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
    QueryParams(params): QueryParams<ImportParams>,
    request: axum::extract::Request,
) -> Result<Json<ImportView>, Response> {
    let kind = crate::error::media_type(request.headers());
    if !kind.as_deref().is_some_and(|k| CSV_TYPES.contains(&k)) {
        return Err(crate::error::wrong_media_type(kind.as_deref(), "text/csv").into_response());
    }
    let body = crate::error::read_body(request, &state, import::MAX_UPLOAD).await?;
    upload_csv(state, user, team_id, params, body)
        .await
        .map_err(IntoResponse::into_response)
}

/// The types a register may be sent as: CSV, as spreadsheet programs and
/// browsers label it.
const CSV_TYPES: [&str; 3] = ["text/csv", "application/csv", "application/vnd.ms-excel"];

async fn upload_csv(
    state: AppState,
    user: CurrentUser,
    team_id: String,
    params: ImportParams,
    body: Bytes,
) -> Result<Json<ImportView>, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let report = import::upload_register(
        &state.store,
        &user.actor,
        team_id,
        &body,
        ImportOptions {
            skip_invalid: params.skip_invalid.unwrap_or(false),
        },
        state.now(),
    )
    .await?;
    Ok(Json(report.into()))
}

/// The team's register as CSV, in the form the import reads (the team's
/// leader; logged).
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/register.csv", tag = "teams", operation_id = "export_register",
    params(("team_id" = i32, Path, description = "The team")),
    responses(
        (status = 200, description = "UTF-8 with a byte-order mark, Vietnamese headers", content_type = "text/csv"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not the team's leader", body = Problem),
        (status = 404, description = "No such team in your scope", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<String>,
) -> Result<Response, ApiError> {
    let team_id = parse_id("team_id", &team_id)?;
    let now = state.now();
    let mut chunks = import::export_register(&state.store, &user.actor, team_id, now).await?;
    let day: NaiveDate = now
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    // As the officials' unmet CSV: a closed channel stays ended however
    // often it is polled, and a failure mid-way breaks the transfer rather
    // than ending a complete-looking file.
    let stream = futures_util::stream::poll_fn(move |cx| chunks.poll_recv(cx))
        .map(|item| item.map_err(|e| std::io::Error::other(e.to_string())));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!(
            "attachment; filename=\"so-ho-to-{team_id}-{day}.csv\""
        ))
        .expect("an ASCII header"),
    );
    Ok(response)
}

#[derive(OpenApi)]
#[openapi(components(schemas(
    HouseholdBody,
    HouseholdView,
    ResidentBody,
    ResidentView,
    NeedBody,
    NeedStored,
    MemberBody,
    MemberView,
    CheckRule,
    RuleProblemView,
    PreviewView,
    RuleCheckView,
    PresetView,
    ImportView,
    Problem
)))]
struct Doc;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(create_household))
        .routes(routes!(edit_household))
        .routes(routes!(add_resident))
        .routes(routes!(edit_resident))
        .routes(routes!(set_need))
        .routes(routes!(add_member))
        .routes(routes!(edit_member))
        .routes(routes!(check_rule))
        .routes(routes!(presets))
        .routes({
            // A register file may be larger than a JSON body.
            let (schemas, paths, method) = routes!(upload);
            (
                schemas,
                paths,
                method.layer(DefaultBodyLimit::max(import::MAX_UPLOAD)),
            )
        })
        .routes(routes!(export))
}
