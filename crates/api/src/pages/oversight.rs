//! The officials' pages: an area's coverage with its parts and its last
//! weeks as bar charts, the households still unmet and why (with the CSV
//! and the workbook to download), and the audit log with people's names.
//! For officials in their area and administrators; a leader's and a
//! volunteer's pages are their team's.
//!
//! The charts are inline SVG drawn by the templates: every length is a
//! number worked out here, every bar carries its figures in a `<title>`,
//! and the same figures stand in a table under the chart.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use doorstep_core::UserRole;
use doorstep_service::daylist::lunar_short;
use doorstep_service::error::ServiceError;
use doorstep_service::oversight::{
    self, AreaRef, AuditFilter, Coverage, CoverageFigures, UnmetEntry, UnmetPage,
};

use super::{HOME_ZONE, Header, PageUser, error_page, render};
use crate::error::parse_id;
use crate::oversight::{unmet_csv_response, unmet_xlsx_response};
use crate::{ApiError, AppState, CurrentUser};

/// The weeks the coverage page shows.
const TREND_WEEKS: u32 = 8;
/// Unmet households on a page.
const UNMET_PER_PAGE: u64 = 50;
/// Audit entries on a page.
const AUDIT_PER_PAGE: u64 = 50;
/// The width of the charts' drawing, in SVG units.
const CHART_WIDTH: f64 = 320.0;
/// The height of the week chart's bars at their tallest.
const WEEK_BAR_MAX: f64 = 110.0;
/// Where the week chart's bars stand.
const WEEK_BASE: f64 = 130.0;
/// Rows of the area chart: the label, then the bar.
const AREA_ROW: u32 = 42;

/// These pages are an official's (and an administrator's); a leader reads
/// their team's coverage on the team's pages.
fn auditor(user: &CurrentUser) -> Result<(), ServiceError> {
    match user.user.role {
        UserRole::Official | UserRole::Admin => Ok(()),
        UserRole::Leader | UserRole::Volunteer => Err(ServiceError::Forbidden(
            "trang này dành cho cán bộ theo dõi địa bàn".into(),
            "this page is for the officials who audit an area".into(),
        )),
    }
}

/// A share as the page writes it: "45,2 %" in Vietnamese, "45.2%" in
/// English.
pub(crate) fn percent_text(percent: f64, en: bool) -> String {
    let number = format!("{percent:.1}");
    if en {
        format!("{number}%")
    } else {
        format!("{} %", number.replace('.', ","))
    }
}

/// An area's level in words.
fn level_words(level: &str, en: bool) -> &'static str {
    match (level, en) {
        ("province", false) => "Tỉnh",
        ("province", true) => "Province",
        ("commune", false) => "Xã/phường",
        ("commune", true) => "Commune",
        ("village", false) => "Thôn/xóm",
        ("village", true) => "Village",
        (_, false) => "Địa bàn",
        (_, true) => "Area",
    }
}

/// A step of the way back up.
struct Crumb {
    id: i32,
    name: String,
}

/// One line of the coverage table.
struct CoverageRow {
    /// The area to drill into; `None` for the households lying directly in
    /// the area shown, and for the total.
    link: Option<i32>,
    name: String,
    households: i64,
    reached: i64,
    not_reached: i64,
    met: i64,
    needs_open: i64,
    needs_done: i64,
    percent: String,
}

impl CoverageRow {
    fn new(link: Option<i32>, name: String, f: &CoverageFigures, en: bool) -> CoverageRow {
        CoverageRow {
            link,
            name,
            households: f.households,
            reached: f.reached,
            not_reached: f.households - f.reached,
            met: f.met,
            needs_open: f.needs.values().map(|n| n.open).sum(),
            needs_done: f.needs.values().map(|n| n.done).sum(),
            percent: percent_text(f.percent_reached, en),
        }
    }
}

/// A bar of the area chart: one part's share of households reached.
struct AreaBar {
    /// Top of the label line.
    label_y: u32,
    /// Top of the bar.
    bar_y: u32,
    /// The bar's length.
    width: f64,
    label: String,
    /// What the bar says, for screen readers and on hover.
    title: String,
}

/// A bar of the week chart.
struct WeekBar {
    x: f64,
    y: f64,
    height: f64,
    /// `visits` or `reached`: the colour.
    class: &'static str,
    title: String,
}

/// One ISO week in the table.
struct WeekRow {
    week: String,
    monday: String,
    visits_done: i64,
    newly_reached: i64,
    reached_total: i64,
    percent: String,
    /// Middle of the week's slot in the chart, for its label.
    label_x: f64,
}

#[derive(Template)]
#[template(path = "area_coverage.html")]
struct CoveragePage {
    header: Header,
    area_id: i32,
    area_name: String,
    level: &'static str,
    trail: Vec<Crumb>,
    total: CoverageRow,
    rows: Vec<CoverageRow>,
    bars: Vec<AreaBar>,
    area_chart_height: u32,
    weeks: Vec<WeekRow>,
    week_bars: Vec<WeekBar>,
}

/// `GET /vung/{area_id}`: an area's coverage, its parts to drill into,
/// and its last weeks.
pub(super) async fn coverage(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Response {
    match coverage_page(&state, &user, &id).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn coverage_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<CoveragePage, ApiError> {
    auditor(user)?;
    let area_id = parse_id("area_id", id)?;
    let report =
        oversight::area_coverage(&state.store, &user.actor, area_id, TREND_WEEKS, user.now).await?;
    let trail = oversight::area_trail(&state.store, &user.actor, area_id).await?;
    let header = Header::new(
        (
            &format!("Độ phủ · {}", report.area.name),
            &format!("Coverage · {}", report.area.name),
        ),
        HOME_ZONE,
        Some(user),
    );
    Ok(build_coverage_page(header, area_id, &report, &trail))
}

fn build_coverage_page(
    header: Header,
    area_id: i32,
    report: &Coverage,
    trail: &[AreaRef],
) -> CoveragePage {
    let en = header.en;
    let rows: Vec<CoverageRow> = report
        .children
        .iter()
        .map(|(area, figures)| {
            let name = match area.id {
                Some(_) => area.name.clone(),
                None if en => format!("{} (directly)", area.name),
                None => format!("{} (trực tiếp)", area.name),
            };
            CoverageRow::new(area.id, name, figures, en)
        })
        .collect();
    let bars = (0u32..)
        .zip(rows.iter().zip(&report.children))
        .map(|(i, (row, (_, figures)))| {
            let share = figures.percent_reached;
            AreaBar {
                label_y: i * AREA_ROW + 14,
                bar_y: i * AREA_ROW + 20,
                width: (CHART_WIDTH * share.clamp(0.0, 100.0) / 100.0 * 10.0).round() / 10.0,
                label: format!("{} · {}", row.name, row.percent),
                title: if en {
                    format!(
                        "{}: {} of households reached ({} of {})",
                        row.name, row.percent, row.reached, row.households
                    )
                } else {
                    format!(
                        "{}: {} số hộ đã được đến ({}/{} hộ)",
                        row.name, row.percent, row.reached, row.households
                    )
                },
            }
        })
        .collect();
    let area_chart_height = u32::try_from(rows.len())
        .unwrap_or(u32::MAX / AREA_ROW)
        .max(1)
        * AREA_ROW;
    let (weeks, week_bars) = week_chart(report, en);
    CoveragePage {
        area_id,
        area_name: report.area.name.clone(),
        level: level_words(&report.area.level, en),
        trail: trail
            .iter()
            .filter_map(|a| {
                a.id.map(|id| Crumb {
                    id,
                    name: a.name.clone(),
                })
            })
            .collect(),
        total: CoverageRow::new(
            None,
            if en { "In all" } else { "Tổng" }.to_owned(),
            &report.total,
            en,
        ),
        rows,
        bars,
        area_chart_height,
        weeks,
        week_bars,
        header,
    }
}

/// The weeks as table rows and as pairs of bars: visits done, and
/// households reached for the first time.
fn week_chart(report: &Coverage, en: bool) -> (Vec<WeekRow>, Vec<WeekBar>) {
    let tallest = report
        .weeks
        .iter()
        .flat_map(|w| [w.visits_done, w.newly_reached])
        .max()
        .unwrap_or(0)
        .max(1);
    let count = report.weeks.len().max(1);
    #[allow(clippy::cast_precision_loss)]
    let slot = CHART_WIDTH / count as f64;
    let bar_width = (slot * 0.36).floor();
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    for (i, week) in report.weeks.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let left = slot * i as f64;
        let monday = format!(
            "{} · {} {}",
            week.monday.format("%d/%m/%Y"),
            if en { "lunar" } else { "âm" },
            lunar_short(week.monday)
        );
        let short = week
            .week
            .rsplit('-')
            .next()
            .unwrap_or(&week.week)
            .to_owned();
        for (offset, value, class, vi, en_words) in [
            (
                0.0,
                week.visits_done,
                "visits",
                "lượt thăm xong",
                "visits done",
            ),
            (
                bar_width + 2.0,
                week.newly_reached,
                "reached",
                "hộ mới được đến",
                "households newly reached",
            ),
        ] {
            // Counts stay far below 2^52: exact in f64.
            #[allow(clippy::cast_precision_loss)]
            let height = (WEEK_BAR_MAX * value as f64 / tallest as f64 * 10.0).round() / 10.0;
            bars.push(WeekBar {
                x: ((left + slot * 0.12 + offset) * 10.0).round() / 10.0,
                y: ((WEEK_BASE - height) * 10.0).round() / 10.0,
                height,
                class,
                title: if en {
                    format!("{} (from {}): {value} {en_words}", week.week, monday)
                } else {
                    format!("{} (từ {}): {value} {vi}", week.week, monday)
                },
            });
        }
        rows.push(WeekRow {
            week: short,
            monday,
            visits_done: week.visits_done,
            newly_reached: week.newly_reached,
            reached_total: week.reached_total,
            percent: percent_text(week.percent_reached, en),
            label_x: ((left + slot / 2.0) * 10.0).round() / 10.0,
        });
    }
    (rows, bars)
}

/// The query of the unmet page.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct UnmetQuery {
    /// Households after this id (the previous page's last).
    sau: Option<String>,
}

/// An unmet household on the page.
struct UnmetRow {
    key: String,
    address: String,
    village: String,
    team: String,
    open_needs: i64,
    reason_code: &'static str,
    reason: String,
    last_attempt: String,
    next_visit: String,
}

#[derive(Template)]
#[template(path = "area_unmet.html")]
struct UnmetPageView {
    header: Header,
    area_id: i32,
    area_name: String,
    households: Vec<UnmetRow>,
    /// Whether this is a later page (a link back to the first).
    later: bool,
    next_after: Option<i32>,
}

/// `GET /vung/{area_id}/chua-tham`: the households of the area with open
/// needs that no visit has met, why, a page at a time.
pub(super) async fn unmet(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<UnmetQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    match unmet_page(&state, &user, &id, query).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn unmet_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    query: UnmetQuery,
) -> Result<UnmetPageView, ApiError> {
    auditor(user)?;
    let area_id = parse_id("area_id", id)?;
    let after = match query.sau.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(parse_id("sau", text)?),
    };
    let page = UnmetPage {
        after_id: after,
        limit: Some(UNMET_PER_PAGE),
    };
    let entries = oversight::area_unmet(&state.store, &user.actor, area_id, page, user.now).await?;
    let trail = oversight::area_trail(&state.store, &user.actor, area_id).await?;
    let area_name = trail.last().map(|a| a.name.clone()).unwrap_or_default();
    let header = Header::new(
        (
            &format!("Hộ chưa được hỗ trợ · {area_name}"),
            &format!("Unmet households · {area_name}"),
        ),
        HOME_ZONE,
        Some(user),
    );
    let en = header.en;
    let full = u64::try_from(entries.len()).unwrap_or(u64::MAX) == UNMET_PER_PAGE;
    Ok(UnmetPageView {
        area_id,
        area_name,
        later: after.is_some(),
        next_after: if full {
            entries.last().map(|e| e.household.household_id)
        } else {
            None
        },
        households: entries.iter().map(|e| unmet_row(e, en)).collect(),
        header,
    })
}

fn unmet_row(entry: &UnmetEntry, en: bool) -> UnmetRow {
    let record = oversight::unmet_csv_record(entry);
    let lunar = if en { "lunar" } else { "âm" };
    let when = |solar: &str, lunar_day: &str| {
        if solar.is_empty() {
            String::new()
        } else {
            format!("{solar} · {lunar} {lunar_day}")
        }
    };
    let h = &entry.household;
    UnmetRow {
        key: h.external_id.clone(),
        address: h.address.clone(),
        village: h.area_name.clone(),
        team: h.team_name.clone(),
        open_needs: h.open_needs,
        reason_code: entry.reason.code(),
        reason: if en {
            entry.reason_en.clone()
        } else {
            entry.reason_vi.clone()
        },
        last_attempt: when(&record[8], &record[9]),
        next_visit: when(&record[10], &record[11]),
    }
}

/// `GET /vung/{area_id}/chua-tham.csv`: the whole list as the API's CSV.
pub(super) async fn unmet_csv(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        auditor(&user)?;
        let area_id = parse_id("area_id", &id)?;
        let chunks =
            oversight::area_unmet_csv(&state.store, &user.actor, area_id, user.now).await?;
        Ok::<_, ApiError>(unmet_csv_response(chunks, area_id))
    }
    .await;
    result.unwrap_or_else(|ApiError(e)| error_page(Some(&user), e))
}

/// `GET /vung/{area_id}/chua-tham.xlsx`: the same list as a workbook.
pub(super) async fn unmet_xlsx(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        auditor(&user)?;
        let area_id = parse_id("area_id", &id)?;
        let workbook =
            oversight::area_unmet_xlsx(&state.store, &user.actor, area_id, user.now).await?;
        Ok::<_, ApiError>(unmet_xlsx_response(workbook, area_id))
    }
    .await;
    result.unwrap_or_else(|ApiError(e)| error_page(Some(&user), e))
}

/// The query of the audit page.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct AuditQuery {
    /// Entries older than this id (the previous page's last).
    truoc: Option<String>,
}

/// An entry of the log on the page.
struct AuditRow {
    at: String,
    /// The zone, when it is not the country's.
    zone: Option<String>,
    actor: String,
    action: String,
    /// What it touched, in words with its id.
    subject: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    header: Header,
    entries: Vec<AuditRow>,
    later: bool,
    next_before: Option<i64>,
}

/// What an audit entry touched, in words.
fn entity_words(entity: &str, en: bool) -> String {
    let words = match (entity, en) {
        ("visit", false) => "lượt thăm",
        ("visit", true) => "visit",
        ("plan", false) => "kế hoạch",
        ("plan", true) => "plan",
        ("team", false) => "tổ",
        ("team", true) => "team",
        ("area", false) => "địa bàn",
        ("area", true) => "area",
        ("resident", false) => "người dân",
        ("resident", true) => "resident",
        ("household", false) => "hộ",
        ("household", true) => "household",
        ("need", false) => "nhu cầu",
        ("need", true) => "need",
        (other, _) => other,
    };
    words.to_owned()
}

/// `GET /nhat-ky`: the audit log in the user's scope, newest first.
pub(super) async fn audit(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    match audit_page(&state, &user, query).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn audit_page(
    state: &AppState,
    user: &CurrentUser,
    query: AuditQuery,
) -> Result<AuditPage, ApiError> {
    auditor(user)?;
    let before = match query.truoc.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| {
                    ApiError::field(
                        "truoc",
                        format!("cần một số nguyên dương, nhận {text:?}"),
                        format!("expected a positive whole number, got {text:?}"),
                    )
                })?,
        ),
    };
    let filter = AuditFilter {
        from: None,
        to: None,
        actor: None,
        action: None,
        before_id: before,
        limit: AUDIT_PER_PAGE,
    };
    let lines = oversight::audit_lines(&state.store, &user.actor, filter).await?;
    let header = Header::new(("Nhật ký", "Audit log"), HOME_ZONE, Some(user));
    let en = header.en;
    let full = u64::try_from(lines.len()).unwrap_or(u64::MAX) == AUDIT_PER_PAGE;
    let next_before = if full {
        lines.last().map(|l| l.entry.id)
    } else {
        None
    };
    let entries = lines
        .into_iter()
        .map(|line| {
            let local = line.entry.at.with_timezone(&line.zone);
            let subject = match line.entry.entity_id {
                Some(id) => format!("{} {id}", entity_words(&line.entry.entity, en)),
                None => entity_words(&line.entry.entity, en),
            };
            AuditRow {
                at: local.format("%H:%M %d/%m/%Y").to_string(),
                zone: (line.zone.name() != HOME_ZONE).then(|| line.zone.name().to_owned()),
                actor: line.actor_name,
                action: if en { line.action_en } else { line.action_vi },
                subject,
            }
        })
        .collect();
    Ok(AuditPage {
        header,
        entries,
        later: before.is_some(),
        next_before,
    })
}

#[cfg(test)]
mod tests {
    use super::percent_text;

    #[test]
    fn shares_are_written_in_the_pages_language() {
        assert_eq!(percent_text(45.2, false), "45,2 %");
        assert_eq!(percent_text(45.0, true), "45.0%");
        assert_eq!(percent_text(0.0, false), "0,0 %");
    }
}
