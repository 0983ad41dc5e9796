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
        serde_json::json!({"area": area_id, "format": "csv"}),
    )
    .await?;
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
