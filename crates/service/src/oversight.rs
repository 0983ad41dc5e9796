//! The officials' audit: coverage of an area and everything under it, the
//! households still unmet and why, and the audit log — for officials in
//! their area and below, leaders for their own team, administrators for all.
//!
//! A household is *reached* once a visit to it is done, and *met* once a
//! need of its residents was done at a visit. The unmet list holds every
//! household with open needs that no visit has met, with one reason, the
//! first that holds of: refused, waiting for an appointment, not at home
//! after N attempts, a visit planned for a day to come, why the team's
//! latest published plan left it out, not yet planned.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use doorstep_core::records::Area;
use doorstep_core::{NeedStatus, NeedStep, UnmetReason, UserRole};
use doorstep_store::Store;
pub use doorstep_store::repo::audit::AuditFilter;
use doorstep_store::repo::audit::AuditScope;
use doorstep_store::repo::coverage::{self, HouseholdScope};
pub use doorstep_store::repo::coverage::{UnmetHousehold, UnmetPage};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::access::Actor;
use crate::daylist::lunar_short;
use crate::error::ServiceError;

/// The zone the weeks of an area are counted in when it has no team.
const COUNTRY_ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;
/// Rows of the CSV sent as one chunk.
const CSV_CHUNK_ROWS: usize = 512;
/// Chunks waiting between the database and the client.
const CSV_CHANNEL: usize = 8;

/// An area, as the audit names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AreaRef {
    /// Id; `None` for "directly in the area" (households not under a child).
    pub id: Option<i32>,
    /// Name.
    pub name: String,
    /// `province`, `commune` or `village`.
    pub level: String,
}

impl From<&Area> for AreaRef {
    fn from(a: &Area) -> AreaRef {
        AreaRef {
            id: Some(a.id),
            name: a.name.clone(),
            level: a.level.code().to_owned(),
        }
    }
}

/// One need step's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeedFigures {
    /// Still to do.
    pub open: i64,
    /// Done.
    pub done: i64,
    /// Not applicable.
    pub not_applicable: i64,
}

/// The coverage of an area, or of one of its parts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CoverageFigures {
    /// Households.
    pub households: i64,
    /// Residents.
    pub residents: i64,
    /// Households with a visit done.
    pub reached: i64,
    /// Households where a need was done at a visit.
    pub met: i64,
    /// Reached, in per cent of the households (0 when there are none).
    pub percent_reached: f64,
    /// By need step, in the pipeline's order.
    pub needs: BTreeMap<NeedStep, NeedFigures>,
}

impl CoverageFigures {
    fn add(&mut self, count: &coverage::CoverageCount) {
        match count.measure.as_str() {
            "households" => self.households += count.count,
            "residents" => self.residents += count.count,
            "reached" => self.reached += count.count,
            "met" => self.met += count.count,
            "needs" => {
                if let (Some(step), Some(status)) = (count.step, count.status) {
                    let figures = self.needs.entry(step).or_default();
                    match status {
                        NeedStatus::Open => figures.open += count.count,
                        NeedStatus::Done => figures.done += count.count,
                        NeedStatus::NotApplicable => figures.not_applicable += count.count,
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        self.percent_reached = percent(self.reached, self.households);
    }
}

fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        // Counts stay far below 2^52: exact in f64.
        #[allow(clippy::cast_precision_loss)]
        let ratio = part as f64 / whole as f64;
        (ratio * 1000.0).round() / 10.0
    }
}

/// One ISO week of the coverage.
#[derive(Clone, Debug, PartialEq)]
pub struct WeekFigures {
    /// `2026-W49`.
    pub week: String,
    /// Its Monday.
    pub monday: NaiveDate,
    /// Visits done in the week.
    pub visits_done: i64,
    /// Households reached for the first time in the week.
    pub newly_reached: i64,
    /// Households reached by the end of the week.
    pub reached_total: i64,
    /// That, in per cent of today's households.
    pub percent_reached: f64,
}

/// The coverage of an area: in all, by direct child, and by ISO week.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// The area.
    pub area: AreaRef,
    /// Only this team's households (a leader's view).
    pub team_id: Option<i32>,
    /// The whole area.
    pub total: CoverageFigures,
    /// Each direct child with households (and the area itself, id `None`,
    /// when households lie directly in it), by name.
    pub children: Vec<(AreaRef, CoverageFigures)>,
    /// The last weeks, oldest first, the current one last.
    pub weeks: Vec<WeekFigures>,
}

/// The most weeks a coverage shows.
pub const MAX_WEEKS: u32 = 104;

/// Which households the actor may audit under `area_id`.
///
/// # Errors
/// Not found (no such area, or outside the actor's), forbidden (a
/// volunteer), or the store fails.
pub async fn area_scope(
    store: &Store,
    actor: &Actor,
    area_id: i32,
) -> Result<(Area, HouseholdScope), ServiceError> {
    let db = store.connection();
    let not_found = || ServiceError::not_found("area", area_id);
    let area = doorstep_store::find_area(db, area_id)
        .await?
        .ok_or_else(not_found)?;
    let team_id = match actor.role {
        UserRole::Admin => None,
        UserRole::Official => {
            let Some(own) = actor.area_id else {
                return Err(not_found());
            };
            if !doorstep_store::area_within(db, area_id, own).await? {
                return Err(not_found());
            }
            None
        }
        UserRole::Leader => {
            let team = match actor.team_id {
                Some(team) => doorstep_store::find_team(db, team).await?,
                None => None,
            }
            .ok_or_else(not_found)?;
            let related = doorstep_store::area_within(db, area_id, team.area_id).await?
                || doorstep_store::area_within(db, team.area_id, area_id).await?;
            if !related {
                return Err(not_found());
            }
            Some(team.id)
        }
        UserRole::Volunteer => {
            return Err(ServiceError::Forbidden(
                "chỉ cán bộ và tổ trưởng xem được báo cáo địa bàn".into(),
                "only officials and team leaders read an area's audit".into(),
            ));
        }
    };
    Ok((area, HouseholdScope { area_id, team_id }))
}

/// The coverage of an area over the last `weeks` ISO weeks.
///
/// # Errors
/// `weeks` out of 1–104, the area out of reach, or the store fails.
pub async fn area_coverage(
    store: &Store,
    actor: &Actor,
    area_id: i32,
    weeks: u32,
    now: DateTime<Utc>,
) -> Result<Coverage, ServiceError> {
    if !(1..=MAX_WEEKS).contains(&weeks) {
        return Err(ServiceError::invalid(
            "weeks",
            format!("cần số tuần từ 1 đến {MAX_WEEKS}, nhận {weeks}"),
            format!("expected 1 to {MAX_WEEKS} weeks, got {weeks}"),
        ));
    }
    let (area, scope) = area_scope(store, actor, area_id).await?;
    let db = store.connection();
    let counts = coverage::coverage_counts(db, scope).await?;
    let mut total = CoverageFigures::default();
    let mut by_child: BTreeMap<Option<i32>, CoverageFigures> = BTreeMap::new();
    for count in &counts {
        total.add(count);
        by_child.entry(count.child).or_default().add(count);
    }
    total.finish();
    let mut children = Vec::new();
    for (child, mut figures) in by_child {
        figures.finish();
        let name = match child {
            Some(id) => doorstep_store::find_area(db, id).await?.map_or_else(
                || AreaRef {
                    id: Some(id),
                    name: String::new(),
                    level: String::new(),
                },
                |a| AreaRef::from(&a),
            ),
            None => AreaRef {
                id: None,
                name: area.name.clone(),
                level: area.level.code().to_owned(),
            },
        };
        children.push((name, figures));
    }
    children.sort_by(|a, b| a.0.name.cmp(&b.0.name).then(a.0.id.cmp(&b.0.id)));

    // The weeks, Monday to Sunday in the country's zone for the window, in
    // each team's own zone for its visits.
    let today = now.with_timezone(&COUNTRY_ZONE).date_naive();
    let this_monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let first_monday = this_monday - Days::new(7 * u64::from(weeks - 1));
    let since = first_monday
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        - chrono::Duration::days(1);
    let buckets = coverage::reach_buckets(db, scope, since).await?;
    let mut per_week: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
    for bucket in buckets {
        let zone: Tz = bucket.timezone.parse().unwrap_or(COUNTRY_ZONE);
        let day = bucket.start.with_timezone(&zone).date_naive();
        let monday = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
        if monday < first_monday {
            continue;
        }
        let entry = per_week.entry(monday).or_default();
        match bucket.measure.as_str() {
            "visits_done" => entry.0 += bucket.count,
            "first_reached" => entry.1 += bucket.count,
            _ => {}
        }
    }
    let mut weeks_out = Vec::new();
    let mut later: i64 = per_week
        .iter()
        .filter(|(monday, _)| **monday > this_monday)
        .map(|(_, (_, first))| first)
        .sum();
    let mut monday = this_monday;
    loop {
        let (visits_done, newly_reached) = per_week.get(&monday).copied().unwrap_or_default();
        let reached_total = total.reached - later;
        let iso = monday.iso_week();
        weeks_out.push(WeekFigures {
            week: format!("{}-W{:02}", iso.year(), iso.week()),
            monday,
            visits_done,
            newly_reached,
            reached_total,
            percent_reached: percent(reached_total, total.households),
        });
        later += newly_reached;
        if monday <= first_monday {
            break;
        }
        monday = monday - Days::new(7);
    }
    weeks_out.reverse();
    Ok(Coverage {
        area: AreaRef::from(&area),
        team_id: scope.team_id,
        total,
        children,
        weeks: weeks_out,
    })
}

/// An unmet household with its one reason, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct UnmetEntry {
    /// What the store knows.
    pub household: UnmetHousehold,
    /// Why it is unmet.
    pub reason: UnmetReason,
    /// The reason in Vietnamese, with the attempts.
    pub reason_vi: String,
    /// The reason in English.
    pub reason_en: String,
}

impl UnmetEntry {
    /// Decides the reason of an unmet household.
    pub fn new(household: UnmetHousehold) -> UnmetEntry {
        let reason = if household.refused {
            UnmetReason::Refused
        } else if household.awaiting_appointment {
            UnmetReason::AwaitingAppointment
        } else if household.attempts > 0 {
            UnmetReason::NotHome
        } else if household.next_visit_at.is_some() {
            UnmetReason::Scheduled
        } else {
            household.plan_reason.unwrap_or(UnmetReason::NotPlanned)
        };
        let (reason_vi, reason_en) = match reason {
            UnmetReason::NotHome => (
                format!("Không gặp sau {} lần đến", household.attempts),
                format!(
                    "Not at home after {} attempt{}",
                    household.attempts,
                    if household.attempts == 1 { "" } else { "s" }
                ),
            ),
            other => (other.label_vi().to_owned(), other.label_en().to_owned()),
        };
        UnmetEntry {
            household,
            reason,
            reason_vi,
            reason_en,
        }
    }

    /// The team's zone (the country's when it does not read).
    pub fn zone(&self) -> Tz {
        self.household.timezone.parse().unwrap_or(COUNTRY_ZONE)
    }
}

/// The most unmet households on one page.
pub const MAX_PAGE: u64 = 1000;

/// A page of the unmet households of an area, in id order.
///
/// # Errors
/// A bad limit, the area out of reach, or the store fails.
pub async fn area_unmet(
    store: &Store,
    actor: &Actor,
    area_id: i32,
    page: UnmetPage,
    now: DateTime<Utc>,
) -> Result<Vec<UnmetEntry>, ServiceError> {
    if page
        .limit
        .is_some_and(|limit| !(1..=MAX_PAGE).contains(&limit))
    {
        return Err(ServiceError::invalid(
            "limit",
            format!("cần một số từ 1 đến {MAX_PAGE}"),
            format!("expected a number from 1 to {MAX_PAGE}"),
        ));
    }
    let (_, scope) = area_scope(store, actor, area_id).await?;
    let rows = coverage::unmet_households(store.connection(), scope, now, page).await?;
    Ok(rows.into_iter().map(UnmetEntry::new).collect())
}

/// The CSV's header, in Vietnamese.
pub const UNMET_CSV_HEADER: [&str; 15] = [
    "Mã hộ",
    "Địa chỉ",
    "Thôn/xã",
    "Tổ",
    "Số nhu cầu chưa xong",
    "Mã lý do",
    "Lý do",
    "Số lần không gặp",
    "Lần đến gần nhất (dương lịch)",
    "Lần đến gần nhất (âm lịch)",
    "Lượt thăm tới (dương lịch)",
    "Lượt thăm tới (âm lịch)",
    "Mã hộ trong hệ thống",
    "Mã tổ",
    "Mã địa bàn",
];

/// An instant in the team's zone, solar (`dd/mm/yyyy HH:MM`) and lunar
/// (`dd/mm` of the lunar month, "âm lịch").
fn solar_and_lunar(at: Option<DateTime<Utc>>, zone: Tz) -> (String, String) {
    match at {
        Some(at) => {
            let local = at.with_timezone(&zone);
            (
                local.format("%d/%m/%Y %H:%M").to_string(),
                lunar_short(local.date_naive()),
            )
        }
        None => (String::new(), String::new()),
    }
}

/// One unmet household as a CSV record, before its cells are made
/// spreadsheet-safe ([`crate::export::spreadsheet_cell`]).
pub fn unmet_csv_record(entry: &UnmetEntry) -> [String; 15] {
    let zone = entry.zone();
    let h = &entry.household;
    let (last_solar, last_lunar) = solar_and_lunar(h.last_attempt_at, zone);
    let (next_solar, next_lunar) = solar_and_lunar(h.next_visit_at, zone);
    [
        h.external_id.clone(),
        h.address.clone(),
        h.area_name.clone(),
        h.team_name.clone(),
        h.open_needs.to_string(),
        entry.reason.code().to_owned(),
        entry.reason_vi.clone(),
        h.attempts.to_string(),
        last_solar,
        last_lunar,
        next_solar,
        next_lunar,
        h.household_id.to_string(),
        h.team_id.to_string(),
        h.area_id.to_string(),
    ]
}

/// The households an export of an area's unmet list covers, once the export
/// is logged (its area and format).
async fn unmet_export_scope(
    store: &Store,
    actor: &Actor,
    area_id: i32,
    now: DateTime<Utc>,
    format: &str,
) -> Result<HouseholdScope, ServiceError> {
    let (_, scope) = area_scope(store, actor, area_id).await?;
    let (entity, entity_id) = match scope.team_id {
        Some(team) => ("team", team),
        None => ("area", area_id),
    };
    doorstep_store::append_audit(
        store.connection(),
        now,
        &actor.label(),
        "export_unmet",
        entity,
        Some(entity_id),
        serde_json::json!({"area": area_id, "format": format}),
    )
    .await?;
    Ok(scope)
}

/// The unmet households of an area as CSV (UTF-8 with a byte-order mark so
/// that spreadsheet programs read Vietnamese, a Vietnamese header), in
/// chunks as the database yields them: memory stays flat however large the
/// area. The export is logged.
///
/// # Errors
/// The area out of reach, or the store fails before the first byte; a
/// failure later ends the stream with an error item.
pub async fn area_unmet_csv(
    store: &Store,
    actor: &Actor,
    area_id: i32,
    now: DateTime<Utc>,
) -> Result<mpsc::Receiver<Result<Vec<u8>, ServiceError>>, ServiceError> {
    let scope = unmet_export_scope(store, actor, area_id, now, "csv").await?;
    let (sender, receiver) = mpsc::channel(CSV_CHANNEL);
    let store = store.clone();
    tokio::spawn(async move {
        let result = write_unmet_csv(&store, scope, now, &sender).await;
        if let Err(error) = result {
            tracing::warn!(%error, area = scope.area_id, "the unmet CSV stopped");
            let _ = sender.send(Err(error)).await;
        }
    });
    Ok(receiver)
}

async fn write_unmet_csv(
    store: &Store,
    scope: HouseholdScope,
    now: DateTime<Utc>,
    sender: &mpsc::Sender<Result<Vec<u8>, ServiceError>>,
) -> Result<(), ServiceError> {
    let csv_error = |e: csv::Error| ServiceError::Internal(format!("CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(64 * 1024));
    writer.write_record(UNMET_CSV_HEADER).map_err(csv_error)?;
    let mut header = b"\xEF\xBB\xBF".to_vec();
    header.extend(
        writer
            .into_inner()
            .map_err(|e| csv_error(e.into_error().into()))?,
    );
    if sender.send(Ok(header)).await.is_err() {
        return Ok(());
    }
    let rows = coverage::stream_unmet(store.connection(), scope, now).await?;
    futures_util::pin_mut!(rows);
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(64 * 1024));
    let mut in_chunk = 0;
    while let Some(row) = rows.next().await {
        let entry = UnmetEntry::new(row?);
        let record = unmet_csv_record(&entry);
        writer
            .write_record(crate::export::spreadsheet_record(
                record.iter().map(String::as_str),
            ))
            .map_err(csv_error)?;
        in_chunk += 1;
        if in_chunk == CSV_CHUNK_ROWS {
            let chunk = writer
                .into_inner()
                .map_err(|e| csv_error(e.into_error().into()))?;
            if sender.send(Ok(chunk)).await.is_err() {
                // The client went away.
                return Ok(());
            }
            writer = csv::Writer::from_writer(Vec::with_capacity(64 * 1024));
            in_chunk = 0;
        }
    }
    let rest = writer
        .into_inner()
        .map_err(|e| csv_error(e.into_error().into()))?;
    if !rest.is_empty() {
        let _ = sender.send(Ok(rest)).await;
    }
    Ok(())
}

/// The unmet households of an area as an XLSX workbook: the rows and
/// columns of the CSV ([`area_unmet_csv`]), one sheet, the header bold and
/// frozen, the columns sized. Spreadsheet programs on a Vietnamese Windows
/// split a comma CSV on the wrong separator; a workbook has no separator to
/// guess. Counts and ids are numbers, every other cell is text (a text cell
/// of a workbook is never read as a formula, so it needs no quote). The
/// workbook is built in memory. The export is logged.
///
/// # Errors
/// The area out of reach, or the store or the workbook fails.
pub async fn area_unmet_xlsx(
    store: &Store,
    actor: &Actor,
    area_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, ServiceError> {
    let scope = unmet_export_scope(store, actor, area_id, now, "xlsx").await?;
    let rows = coverage::stream_unmet(store.connection(), scope, now).await?;
    futures_util::pin_mut!(rows);
    let mut sheet = UnmetSheet::new()?;
    while let Some(row) = rows.next().await {
        sheet.push(&unmet_csv_record(&UnmetEntry::new(row?)))?;
    }
    sheet.finish()
}

/// The columns of the unmet list that hold counts and ids: numbers in a
/// workbook.
const UNMET_NUMBER_COLUMNS: [usize; 5] = [4, 7, 12, 13, 14];

/// Column widths of the unmet workbook, in characters.
const UNMET_COLUMN_WIDTHS: [f64; 15] = [
    12.0, 32.0, 22.0, 24.0, 12.0, 20.0, 32.0, 10.0, 18.0, 14.0, 18.0, 14.0, 12.0, 8.0, 10.0,
];

/// The workbook of unmet households being written.
struct UnmetSheet {
    workbook: rust_xlsxwriter::Workbook,
    row: u32,
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> ServiceError {
    ServiceError::Internal(format!("XLSX: {e}"))
}

impl UnmetSheet {
    fn new() -> Result<UnmetSheet, ServiceError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let sheet = workbook.add_worksheet();
        sheet.set_name("Hộ chưa gặp").map_err(xlsx_error)?;
        for (column, (title, width)) in
            (0u16..).zip(UNMET_CSV_HEADER.iter().zip(UNMET_COLUMN_WIDTHS))
        {
            sheet
                .write_string_with_format(0, column, *title, &bold)
                .map_err(xlsx_error)?;
            sheet.set_column_width(column, width).map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        Ok(UnmetSheet { workbook, row: 1 })
    }

    fn push(&mut self, record: &[String; 15]) -> Result<(), ServiceError> {
        let sheet = self.workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        for (column, (index, cell)) in (0u16..).zip(record.iter().enumerate()) {
            let number = UNMET_NUMBER_COLUMNS
                .contains(&index)
                .then(|| cell.parse::<i64>().ok())
                .flatten();
            // Counts and ids stay far below 2^52: exact in f64.
            #[allow(clippy::cast_precision_loss)]
            let number = number.map(|n| n as f64);
            match number {
                Some(number) => sheet.write_number(self.row, column, number),
                None if cell.is_empty() => continue,
                None => sheet.write_string(self.row, column, cell),
            }
            .map_err(xlsx_error)?;
        }
        self.row += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<u8>, ServiceError> {
        let last = self.row.saturating_sub(1);
        let sheet = self.workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        sheet.autofilter(0, 0, last, 14).map_err(xlsx_error)?;
        self.workbook.save_to_buffer().map_err(xlsx_error)
    }
}

/// The areas from the top of the actor's scope down to `area_id`, each
/// with its id: the way back up from a drilled-down area. An official's
/// trail starts at their own area, an administrator's at the top of the
/// tree, a leader's at the first area their team's scope reaches.
///
/// # Errors
/// The area out of reach, or the store fails.
pub async fn area_trail(
    store: &Store,
    actor: &Actor,
    area_id: i32,
) -> Result<Vec<AreaRef>, ServiceError> {
    let (area, _) = area_scope(store, actor, area_id).await?;
    let db = store.connection();
    let mut trail = vec![AreaRef::from(&area)];
    let mut up = area.parent_id;
    loop {
        let top_reached = match actor.role {
            UserRole::Admin => false,
            UserRole::Official => actor.area_id == Some(trail[0].id.unwrap_or_default()),
            // A leader's scope is their team's, read downwards only.
            UserRole::Leader | UserRole::Volunteer => true,
        };
        // The tree is shallow (province, commune, village); the bound only
        // guards against a cycle written by hand.
        let Some(id) = up.filter(|_| !top_reached && trail.len() < 16) else {
            break;
        };
        let Some(parent) = doorstep_store::find_area(db, id).await? else {
            break;
        };
        up = parent.parent_id;
        trail.insert(0, AreaRef::from(&parent));
    }
    Ok(trail)
}

pub use doorstep_core::records::AuditEntry;

/// The most audit entries on one page.
pub const MAX_AUDIT_PAGE: u64 = 500;

/// A page of the audit log in the actor's scope, newest first: everything
/// for administrators, the teams in their area for officials, their team
/// for leaders.
///
/// # Errors
/// Forbidden for volunteers, a bad limit, or the store fails.
pub async fn audit_log(
    store: &Store,
    actor: &Actor,
    filter: AuditFilter,
) -> Result<Vec<AuditEntry>, ServiceError> {
    let scope = match actor.role {
        UserRole::Admin => AuditScope::All,
        UserRole::Official => AuditScope::Area(actor.area_id.ok_or_else(|| {
            ServiceError::Forbidden(
                "tài khoản cán bộ chưa gắn với địa bàn".into(),
                "this official's account has no area".into(),
            )
        })?),
        UserRole::Leader => AuditScope::Team(actor.team_id.ok_or_else(|| {
            ServiceError::Forbidden(
                "tài khoản tổ trưởng chưa gắn với tổ".into(),
                "this leader's account has no team".into(),
            )
        })?),
        UserRole::Volunteer => {
            return Err(ServiceError::Forbidden(
                "chỉ cán bộ và tổ trưởng xem được nhật ký".into(),
                "only officials and team leaders read the audit log".into(),
            ));
        }
    };
    if !(1..=MAX_AUDIT_PAGE).contains(&filter.limit) {
        return Err(ServiceError::invalid(
            "limit",
            format!("cần một số từ 1 đến {MAX_AUDIT_PAGE}"),
            format!("expected a number from 1 to {MAX_AUDIT_PAGE}"),
        ));
    }
    Ok(doorstep_store::list_audit(store.connection(), &scope, &filter).await?)
}

/// An audit entry as a person reads it: who by name, what in words, when in
/// the zone of the team it touched.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditLine {
    /// The entry.
    pub entry: AuditEntry,
    /// The actor's display name (a user), or the process in words.
    pub actor_name: String,
    /// The action in Vietnamese.
    pub action_vi: String,
    /// The action in English.
    pub action_en: String,
    /// The team's zone, or the country's for an entry of no team.
    pub zone: Tz,
}

/// An audit action in words, Vietnamese and English; an action this list
/// does not know is shown as its code.
pub fn action_words(action: &str) -> (String, String) {
    let (vi, en) = match action {
        "record_outcome" => ("Ghi kết quả lượt thăm", "Recorded a visit's outcome"),
        "correct_outcome" => ("Sửa kết quả lượt thăm", "Corrected a visit's outcome"),
        "create_plan" => ("Lập kế hoạch thăm", "Made a visit plan"),
        "replan" => ("Lập lại kế hoạch thăm", "Made the visit plan again"),
        "publish_plan" => ("Công bố lịch thăm", "Published the visit calendar"),
        "supersede_draft" => ("Thay bản nháp kế hoạch", "Replaced a draft plan"),
        "open_plan_run" => ("Lập kế hoạch cho địa bàn", "Started planning an area"),
        "edit_visit" => ("Sửa lượt thăm", "Changed a visit"),
        "add_blackout" => ("Thêm ngày nghỉ", "Added days off"),
        "delete_blackout" => ("Xoá ngày nghỉ", "Removed days off"),
        "import_register" => ("Nhập sổ hộ dân", "Imported the register"),
        "export_register" => ("Xuất sổ hộ dân", "Exported the register"),
        "export_unmet" => (
            "Xuất danh sách hộ chưa gặp",
            "Exported the unmet households",
        ),
        "export_resident" => ("Xuất dữ liệu của người dân", "Exported a resident's data"),
        "read_residents" => ("Xem danh sách người dân", "Read the residents"),
        "erase_resident" => ("Xoá người dân", "Erased a resident"),
        "give_consent" => ("Ghi đồng ý của người dân", "Recorded a resident's consent"),
        "withdraw_consent" => ("Rút đồng ý của người dân", "Withdrew a resident's consent"),
        "set_need" => ("Đặt trạng thái nhu cầu", "Set a need's status"),
        "set_mail_schedule" => ("Đặt giờ gửi thư", "Set the mail schedule"),
        "create_feed" => ("Tạo lịch đăng ký", "Created a calendar feed"),
        "rotate_feed" => (
            "Đổi địa chỉ lịch đăng ký",
            "Renewed a calendar feed's address",
        ),
        "revoke_feed" => ("Thu hồi lịch đăng ký", "Revoked a calendar feed"),
        other => (other, other),
    };
    (vi.to_owned(), en.to_owned())
}

/// A page of the audit log as people read it ([`audit_log`] with the
/// actors' names, the actions in words and each team's zone).
///
/// # Errors
/// As [`audit_log`].
pub async fn audit_lines(
    store: &Store,
    actor: &Actor,
    filter: AuditFilter,
) -> Result<Vec<AuditLine>, ServiceError> {
    let entries = audit_log(store, actor, filter).await?;
    let db = store.connection();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut zones: BTreeMap<i32, Tz> = BTreeMap::new();
    let mut lines = Vec::with_capacity(entries.len());
    for entry in entries {
        if !names.contains_key(&entry.actor) {
            let user = match entry.actor.strip_prefix("user:").map(str::parse::<i32>) {
                Some(Ok(id)) => doorstep_store::find_user(db, id).await?,
                _ => None,
            };
            let name = match (user, entry.actor.as_str()) {
                (Some(user), _) => user.display_name,
                (None, "cli") => "doorstep (dòng lệnh / command line)".to_owned(),
                (None, "demo") => "doorstep (dữ liệu mẫu / demo data)".to_owned(),
                (None, other) => other.to_owned(),
            };
            names.insert(entry.actor.clone(), name);
        }
        let zone = match entry.team_id {
            Some(team) => match zones.get(&team) {
                Some(zone) => *zone,
                None => {
                    let zone = doorstep_store::find_team(db, team)
                        .await?
                        .and_then(|t| t.timezone.parse().ok())
                        .unwrap_or(COUNTRY_ZONE);
                    zones.insert(team, zone);
                    zone
                }
            },
            None => COUNTRY_ZONE,
        };
        let (action_vi, action_en) = action_words(&entry.action);
        lines.push(AuditLine {
            actor_name: names[&entry.actor].clone(),
            action_vi,
            action_en,
            zone,
            entry,
        });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn household() -> UnmetHousehold {
        UnmetHousehold {
            household_id: 1,
            team_id: 1,
            team_name: "Tổ 1".into(),
            timezone: "Asia/Ho_Chi_Minh".into(),
            external_id: "H1".into(),
            address: "Xóm Bãi".into(),
            area_id: 3,
            area_name: "Thôn Đông".into(),
            open_needs: 2,
            refused: false,
            awaiting_appointment: false,
            attempts: 0,
            last_attempt_at: None,
            next_visit_at: None,
            plan_reason: None,
        }
    }

    #[test]
    fn the_reason_is_the_first_that_holds() {
        let mut h = household();
        assert_eq!(UnmetEntry::new(h.clone()).reason, UnmetReason::NotPlanned);
        h.plan_reason = Some(UnmetReason::NoWindow);
        assert_eq!(UnmetEntry::new(h.clone()).reason, UnmetReason::NoWindow);
        h.next_visit_at = Some(Utc::now());
        assert_eq!(UnmetEntry::new(h.clone()).reason, UnmetReason::Scheduled);
        h.attempts = 2;
        let entry = UnmetEntry::new(h.clone());
        assert_eq!(entry.reason, UnmetReason::NotHome);
        assert_eq!(entry.reason_vi, "Không gặp sau 2 lần đến");
        assert_eq!(entry.reason_en, "Not at home after 2 attempts");
        h.awaiting_appointment = true;
        assert_eq!(
            UnmetEntry::new(h.clone()).reason,
            UnmetReason::AwaitingAppointment
        );
        h.refused = true;
        assert_eq!(UnmetEntry::new(h).reason, UnmetReason::Refused);
    }

    #[test]
    fn dates_are_solar_and_lunar_in_the_teams_zone() {
        // 2026-12-01 23:30 UTC is 06:30 on 2 December in Hà Nội: 23/10 âm.
        let at = DateTime::parse_from_rfc3339("2026-12-01T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut h = household();
        h.attempts = 1;
        h.last_attempt_at = Some(at);
        let record = unmet_csv_record(&UnmetEntry::new(h));
        assert_eq!(record[8], "02/12/2026 06:30");
        assert_eq!(
            record[9],
            lunar_short(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap())
        );
        assert_eq!(record[6], "Không gặp sau 1 lần đến");
    }

    #[test]
    fn percentages_round_to_a_tenth() {
        assert!((percent(1, 3) - 33.3).abs() < 1e-9);
        assert!((percent(0, 0)).abs() < 1e-9);
        assert!((percent(7, 7) - 100.0).abs() < 1e-9);
    }
}
