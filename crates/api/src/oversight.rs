//! The officials' audit: an area's coverage, its unmet households (JSON
//! pages, or the whole list as CSV streamed as it is read), and the audit
//! log — officials in their area and below, leaders for their team.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use doorstep_service::daylist::lunar_short;
use doorstep_service::oversight::{
    self, AuditEntry, AuditFilter, Coverage, CoverageFigures, UnmetEntry, UnmetPage,
};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem, QueryParams, parse_id};

/// An area named in a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaView {
    /// Id; null for the households lying directly in the area asked for.
    pub id: Option<i32>,
    /// Name.
    pub name: String,
    /// `province`, `commune` or `village`.
    pub level: String,
}

/// One need step's counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedCountView {
    /// The step's code.
    pub need: String,
    /// In Vietnamese.
    pub need_vi: String,
    /// Still to do.
    pub open: i64,
    /// Done.
    pub done: i64,
    /// Not applicable.
    pub not_applicable: i64,
}

/// Coverage figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresView {
    /// Households.
    pub households: i64,
    /// Residents.
    pub residents: i64,
    /// Households with at least one visit done.
    pub reached: i64,
    /// Households where a need was done at a visit.
    pub met: i64,
    /// Reached, per cent of the households, to a tenth.
    pub percent_reached: f64,
    /// Each need step, in the pipeline's order.
    pub needs: Vec<NeedCountView>,
}

impl From<&CoverageFigures> for FiguresView {
    fn from(f: &CoverageFigures) -> Self {
        FiguresView {
            households: f.households,
            residents: f.residents,
            reached: f.reached,
            met: f.met,
            percent_reached: f.percent_reached,
            needs: f
                .needs
                .iter()
                .map(|(step, n)| NeedCountView {
                    need: step.code().to_owned(),
                    need_vi: step.label_vi().to_owned(),
                    open: n.open,
                    done: n.done,
                    not_applicable: n.not_applicable,
                })
                .collect(),
        }
    }
}

/// A part of the area.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChildCoverage {
    /// The direct child (or the area itself, id null).
    pub area: AreaView,
    /// Its figures.
    #[serde(flatten)]
    pub figures: FiguresView,
}

/// One ISO week.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekView {
    /// `2026-W49`.
    pub week: String,
    /// Its Monday, `YYYY-MM-DD`.
    pub monday: String,
    /// Its Monday in the lunar calendar, `dd/mm`.
    pub monday_lunar: String,
    /// Visits done in the week.
    pub visits_done: i64,
    /// Households reached for the first time in the week.
    pub newly_reached: i64,
    /// Households reached by the week's end.
    pub reached_total: i64,
    /// That, per cent of today's households.
    pub percent_reached: f64,
}

/// An area's coverage.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageView {
    /// The area.
    pub area: AreaView,
    /// Only this team's households (a leader's view); null: every team.
    pub team_id: Option<i32>,
    /// The whole area and below.
    pub total: FiguresView,
    /// By direct child, by name.
    pub children: Vec<ChildCoverage>,
    /// The last weeks, oldest first.
    pub weeks: Vec<WeekView>,
}

impl From<&Coverage> for CoverageView {
    fn from(c: &Coverage) -> Self {
        let area = |a: &oversight::AreaRef| AreaView {
            id: a.id,
            name: a.name.clone(),
            level: a.level.clone(),
        };
        CoverageView {
            area: area(&c.area),
            team_id: c.team_id,
            total: FiguresView::from(&c.total),
            children: c
                .children
                .iter()
                .map(|(a, f)| ChildCoverage {
                    area: area(a),
                    figures: FiguresView::from(f),
                })
                .collect(),
            weeks: c
                .weeks
                .iter()
                .map(|w| WeekView {
                    week: w.week.clone(),
                    monday: w.monday.to_string(),
                    monday_lunar: lunar_short(w.monday),
                    visits_done: w.visits_done,
                    newly_reached: w.newly_reached,
                    reached_total: w.reached_total,
                    percent_reached: w.percent_reached,
                })
                .collect(),
        }
    }
}

/// How many weeks.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// 1–104, default 12.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 104)]
    pub weeks: Option<String>,
}

/// A parameter read as a number; `expected` says what, in Vietnamese and
/// English.
fn number<T: std::str::FromStr>(
    name: &str,
    text: &str,
    (vi, en): (&str, &str),
) -> Result<T, ApiError> {
    text.trim().parse::<T>().map_err(|_| {
        ApiError::field(
            name,
            format!("cần {vi}, nhận {text:?}"),
            format!("expected {en}, got {text:?}"),
        )
    })
}

/// An area's coverage: households and residents, each need open / done /
/// not applicable, households reached at least once and the share reached —
/// in all, by direct child, and by ISO week.
#[utoipa::path(get, path = "/api/v1/areas/{area_id}/coverage", tag = "audit",
    params(("area_id" = i32, Path, description = "The area"), CoverageQuery),
    responses(
        (status = 200, description = "The coverage", body = CoverageView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "A volunteer", body = Problem),
        (status = 404, description = "No such area in your scope", body = Problem),
        (status = 422, description = "A bad number of weeks", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn coverage(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(area_id): Path<String>,
    QueryParams(query): QueryParams<CoverageQuery>,
) -> Result<Json<CoverageView>, ApiError> {
    let area_id = parse_id("area_id", &area_id)?;
    let weeks = match query.weeks.as_deref() {
        None => 12,
        Some(text) => number(
            "weeks",
            text,
            ("số tuần từ 1 đến 104", "a number of weeks from 1 to 104"),
        )?,
    };
    let report =
        oversight::area_coverage(&state.store, &user.actor, area_id, weeks, state.now()).await?;
    Ok(Json(CoverageView::from(&report)))
}

fn local(at: Option<DateTime<Utc>>, zone: Tz) -> Option<String> {
    at.map(|at| doorstep_service::planning::reader::local_rfc3339(at, zone))
}

/// The media type of an XLSX workbook.
pub(crate) const XLSX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The unmet CSV as an answer, streamed as the service yields it.
pub(crate) fn unmet_csv_response(
    mut chunks: tokio::sync::mpsc::Receiver<Result<Vec<u8>, doorstep_service::error::ServiceError>>,
    area_id: i32,
) -> Response {
    // The body may be polled again after its end (the compression layer
    // looks for trailers): a closed channel answers `None` however often it
    // is asked, so the stream stays ended. A failure mid-way ends the body
    // early: the client sees a broken transfer, never a complete-looking
    // file.
    let stream = futures_util::stream::poll_fn(move |cx| chunks.poll_recv(cx))
        .map(|item| item.map_err(|e| std::io::Error::other(e.to_string())));
    let mut response = Body::from_stream(stream).into_response();
    attachment(&mut response, "text/csv; charset=utf-8", area_id, "csv");
    response
}

/// The unmet workbook as an answer.
pub(crate) fn unmet_xlsx_response(workbook: Vec<u8>, area_id: i32) -> Response {
    let mut response = workbook.into_response();
    attachment(&mut response, XLSX_TYPE, area_id, "xlsx");
    response
}

fn attachment(response: &mut Response, media_type: &'static str, area_id: i32, extension: &str) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!(
            "attachment; filename=\"ho-chua-gap-{area_id}.{extension}\""
        ))
        .expect("an ASCII header"),
    );
}

/// An unmet household.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmetHouseholdView {
    /// Household id.
    pub household_id: i32,
    /// The register's id.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Its village (or the team's area).
    pub area: AreaView,
    /// Its team.
    pub team_id: i32,
    /// The team's name.
    pub team_name: String,
    /// Open needs of its residents.
    pub open_needs: i64,
    /// `refused`, `awaiting_appointment`, `not_home`, `scheduled`,
    /// `no_consent`, `no_window`, `no_skill`, `no_capacity` or `not_planned`.
    pub reason: String,
    /// The reason in Vietnamese ("Không gặp sau 2 lần đến").
    pub reason_vi: String,
    /// The reason in English.
    pub reason_en: String,
    /// Visits that found a resident away.
    pub attempts: i64,
    /// The last of them, RFC 3339 in the team's zone.
    pub last_attempt_at: Option<String>,
    /// Its lunar day, `dd/mm`.
    pub last_attempt_lunar: Option<String>,
    /// The next planned visit, RFC 3339 in the team's zone.
    pub next_visit_at: Option<String>,
    /// Its lunar day, `dd/mm`.
    pub next_visit_lunar: Option<String>,
}

impl From<&UnmetEntry> for UnmetHouseholdView {
    fn from(e: &UnmetEntry) -> Self {
        let zone = e.zone();
        let h = &e.household;
        let lunar = |at: Option<DateTime<Utc>>| {
            at.map(|at| lunar_short(at.with_timezone(&zone).date_naive()))
        };
        UnmetHouseholdView {
            household_id: h.household_id,
            external_id: h.external_id.clone(),
            address: h.address.clone(),
            area: AreaView {
                id: Some(h.area_id),
                name: h.area_name.clone(),
                level: String::new(),
            },
            team_id: h.team_id,
            team_name: h.team_name.clone(),
            open_needs: h.open_needs,
            reason: e.reason.code().to_owned(),
            reason_vi: e.reason_vi.clone(),
            reason_en: e.reason_en.clone(),
            attempts: h.attempts,
            last_attempt_at: local(h.last_attempt_at, zone),
            last_attempt_lunar: lunar(h.last_attempt_at),
            next_visit_at: local(h.next_visit_at, zone),
            next_visit_lunar: lunar(h.next_visit_at),
        }
    }
}

/// A page of unmet households.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmetPageView {
    /// The households, in id order.
    pub households: Vec<UnmetHouseholdView>,
    /// Pass as `after` for the next page; null on the last.
    pub next_after: Option<i32>,
}

/// Which unmet households, and how.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnmetQuery {
    /// `json` (default, paged), `csv` (everything, streamed: UTF-8 with a
    /// byte-order mark, Vietnamese headers, solar and lunar dates) or `xlsx`
    /// (the CSV's rows and columns as an Excel workbook). Without it, an
    /// `Accept` naming `text/csv` or the XLSX type chooses.
    pub format: Option<String>,
    /// JSON: households after this id (the previous page's `next_after`).
    #[param(value_type = Option<i32>)]
    pub after: Option<String>,
    /// JSON: 1–1000, default 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// The households of an area with open needs that no visit has met, each
/// with its reason, attempts, last attempt and next planned visit: JSON
/// pages, or `?format=csv` / `?format=xlsx` for the whole list.
#[utoipa::path(get, path = "/api/v1/areas/{area_id}/unmet", tag = "audit",
    params(("area_id" = i32, Path, description = "The area"), UnmetQuery),
    responses(
        (status = 200, description = "A page of unmet households (or the CSV, or the workbook)",
            content(
                (UnmetPageView = "application/json"),
                (String = "text/csv"),
                (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "A volunteer", body = Problem),
        (status = 404, description = "No such area in your scope", body = Problem),
        (status = 422, description = "A bad format, limit or cursor", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn unmet(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(area_id): Path<String>,
    QueryParams(query): QueryParams<UnmetQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let area_id = parse_id("area_id", &area_id)?;
    // Without `format`, a client asking for a workbook or a CSV by `Accept`
    // gets it.
    let accepted = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .and_then(|accept| {
            if accept.contains(XLSX_TYPE) {
                Some("xlsx")
            } else if accept.contains("text/csv") {
                Some("csv")
            } else {
                None
            }
        });
    match query.format.as_deref().map(str::trim).or(accepted) {
        None | Some("" | "json") => {}
        Some("csv") => {
            let chunks =
                oversight::area_unmet_csv(&state.store, &user.actor, area_id, state.now()).await?;
            return Ok(unmet_csv_response(chunks, area_id));
        }
        Some("xlsx") => {
            let workbook =
                oversight::area_unmet_xlsx(&state.store, &user.actor, area_id, state.now()).await?;
            return Ok(unmet_xlsx_response(workbook, area_id));
        }
        Some(other) => {
            return Err(ApiError::field(
                "format",
                format!("cần json, csv hoặc xlsx, nhận {other:?}"),
                format!("expected json, csv or xlsx, got {other:?}"),
            ));
        }
    }
    let limit = match query.limit.as_deref() {
        None => 100,
        Some(text) => number(
            "limit",
            text,
            ("một số từ 1 đến 1000", "a number from 1 to 1000"),
        )?,
    };
    let after = match query.after.as_deref() {
        None => None,
        Some(text) => Some(number::<i32>(
            "after",
            text,
            ("mã hộ (số nguyên)", "a household id"),
        )?),
    };
    let page = UnmetPage {
        after_id: after,
        limit: Some(limit),
    };
    let entries =
        oversight::area_unmet(&state.store, &user.actor, area_id, page, state.now()).await?;
    let full = u64::try_from(entries.len()).unwrap_or(u64::MAX) == limit;
    Ok(Json(UnmetPageView {
        next_after: if full {
            entries.last().map(|e| e.household.household_id)
        } else {
            None
        },
        households: entries.iter().map(UnmetHouseholdView::from).collect(),
    })
    .into_response())
}

/// An entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// Id.
    pub id: i64,
    /// When, RFC 3339 UTC.
    pub at: DateTime<Utc>,
    /// Who: `user:ID` (no names in the log) or a process (`cli`, `demo`, `mail`).
    pub actor: String,
    /// What: `record_outcome`, `create_plan`, `replan`, `publish_plan`,
    /// `edit_visit`, `import_register`, `export_unmet`, …
    pub action: String,
    /// On what kind of record.
    pub entity: String,
    /// Which.
    pub entity_id: Option<i32>,
    /// The team whose data it touched.
    pub team_id: Option<i32>,
    /// Counts and ids; never names or phone numbers.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        AuditView {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            team_id: e.team_id,
            detail: e.detail,
        }
    }
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageView {
    /// Newest first.
    pub entries: Vec<AuditView>,
    /// Pass as `before` for the next (older) page; null on the last.
    pub next_before: Option<i64>,
}

/// Which entries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// From this instant (RFC 3339) or day (`YYYY-MM-DD`, from its start UTC).
    pub from: Option<String>,
    /// Before this instant or day.
    pub to: Option<String>,
    /// Exactly this actor (`user:ID`, `cli`, `demo`).
    pub actor: Option<String>,
    /// Exactly this action.
    pub action: Option<String>,
    /// Entries older than this id (the previous page's `next_before`).
    #[param(value_type = Option<i64>)]
    pub before: Option<String>,
    /// 1–500, default 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

fn instant(name: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        .map_err(|_| {
            ApiError::field(
                name,
                format!("cần ngày YYYY-MM-DD hoặc thời điểm RFC 3339, nhận {text:?}"),
                format!("expected a YYYY-MM-DD day or an RFC 3339 instant, got {text:?}"),
            )
        })
}

/// The audit log of every change, import, plan, export and erasure in the
/// caller's scope, newest first, filtered by time, actor and action.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of the log", body = AuditPageView),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "A volunteer", body = Problem),
        (status = 422, description = "A bad filter", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    user: CurrentUser,
    QueryParams(query): QueryParams<AuditQuery>,
) -> Result<Json<AuditPageView>, ApiError> {
    let limit = match query.limit.as_deref() {
        None => 100,
        Some(text) => number(
            "limit",
            text,
            ("một số từ 1 đến 500", "a number from 1 to 500"),
        )?,
    };
    let filter = AuditFilter {
        from: query
            .from
            .as_deref()
            .map(|t| instant("from", t))
            .transpose()?,
        to: query.to.as_deref().map(|t| instant("to", t)).transpose()?,
        actor: query.actor.filter(|a| !a.trim().is_empty()),
        action: query.action.filter(|a| !a.trim().is_empty()),
        before_id: query
            .before
            .as_deref()
            .map(|t| number::<i64>("before", t, ("mã dòng nhật ký (số nguyên)", "an entry id")))
            .transpose()?,
        limit,
    };
    let entries = oversight::audit_log(&state.store, &user.actor, filter).await?;
    let full = u64::try_from(entries.len()).unwrap_or(u64::MAX) == limit;
    let next_before = if full {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Json(AuditPageView {
        entries: entries.into_iter().map(AuditView::from).collect(),
        next_before,
    }))
}

#[derive(OpenApi)]
#[openapi(components(schemas(
    AreaView,
    NeedCountView,
    FiguresView,
    ChildCoverage,
    WeekView,
    CoverageView,
    UnmetHouseholdView,
    UnmetPageView,
    AuditView,
    AuditPageView,
    Problem
)))]
struct Doc;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(coverage))
        .routes(routes!(unmet))
        .routes(routes!(audit))
}
