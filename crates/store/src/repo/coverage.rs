//! The officials' audit: how many households of an area (and everything
//! under it) are covered, and which are still unmet. These are the heavy
//! reads of the product — a province holds a million households:
//!
//! - the coverage sums the kept counts of `repo::tallies` over the area's
//!   subtree (about a hundred thousand rows for a province); the same
//!   counts from the base tables (`*_recounted`) are their check;
//! - a page of the unmet households on PostgreSQL walks the households in
//!   id order from the cursor and looks each one up by index; the whole
//!   list (the CSV) is one statement of hash joins and aggregates, the same
//!   SQL on SQLite and PostgreSQL, streamed row by row.

use chrono::{DateTime, NaiveDateTime, Utc};
use doorstep_core::{NeedStatus, NeedStep, OutcomeResult, PlanStatus, UnmetReason, VisitStatus};
use futures_util::{Stream, StreamExt};
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, StreamTrait, Value};

use crate::StoreError;
use crate::dialect::Dialect;

/// Which households an audit reads: those whose village (or, without one,
/// whose team's area) lies in `area_id` or under it, of one team or of all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HouseholdScope {
    /// The area.
    pub area_id: i32,
    /// Only this team's households (a leader's view).
    pub team_id: Option<i32>,
}

impl HouseholdScope {
    /// The households in scope, with the direct child of the area they lie
    /// under (`NULL` when they lie in the area itself): `hh(id, team_id,
    /// area_id, child)`.
    fn households_sql(self) -> String {
        let team = match self.team_id {
            Some(team) => format!(" AND h.team_id = {team}"),
            None => String::new(),
        };
        format!(
            "{sub}, \
             hh AS (\
               SELECT h.id, h.team_id, s.id AS area_id, s.child \
               FROM households h JOIN teams t ON t.id = h.team_id \
               JOIN sub s ON s.id = COALESCE(h.village_id, t.area_id) \
               WHERE 1 = 1{team})",
            sub = subtree_sql(self.area_id),
        )
    }
}

/// One count of the coverage: `measure` is `households`, `residents`,
/// `reached` (a visit done), `met` (a need done at a visit) or `needs` (with
/// its step and status).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageCount {
    /// What is counted.
    pub measure: String,
    /// The direct child of the area, `None` for the area itself.
    pub child: Option<i32>,
    /// For needs: the step.
    pub step: Option<NeedStep>,
    /// For needs: the status.
    pub status: Option<NeedStatus>,
    /// How many.
    pub count: i64,
}

#[derive(FromQueryResult)]
struct CountRow {
    measure: String,
    child: Option<i32>,
    step: Option<String>,
    status: Option<String>,
    n: i64,
}

/// The areas of the scope: `sub(id, child)`, the area and everything under
/// it, with the direct child of the area each lies under (`NULL` for the
/// area itself).
fn subtree_sql(area_id: i32) -> String {
    format!(
        "sub(id, child) AS (\
           SELECT id, CAST(NULL AS INTEGER) FROM areas WHERE id = {area_id} \
           UNION ALL \
           SELECT a.id, COALESCE(s.child, a.id) FROM areas a JOIN sub s ON a.parent_id = s.id)"
    )
}

/// ` AND {column} = team` for a leader's view, nothing otherwise.
fn team_filter(scope: HouseholdScope, column: &str) -> String {
    scope
        .team_id
        .map_or(String::new(), |team| format!(" AND {column} = {team}"))
}

fn coverage_count(row: CountRow) -> CoverageCount {
    CoverageCount {
        measure: row.measure,
        child: row.child,
        step: row.step.as_deref().and_then(NeedStep::parse),
        status: row.status.as_deref().and_then(NeedStatus::parse),
        count: row.n,
    }
}

/// The counts of the coverage, by direct child of the area, summed from
/// the kept counts (`repo::tallies`): a province has about a hundred
/// thousand of them.
///
/// # Errors
/// The database fails.
pub async fn coverage_counts(
    db: &impl ConnectionTrait,
    scope: HouseholdScope,
) -> Result<Vec<CoverageCount>, StoreError> {
    let sql = format!(
        "WITH RECURSIVE {sub} \
         SELECT c.measure, s.child, NULLIF(c.step, '') AS step, NULLIF(c.status, '') AS status, \
                CAST(SUM(c.n) AS BIGINT) AS n \
           FROM tallies c JOIN sub s ON s.id = c.area_id \
           WHERE 1 = 1{team} \
           GROUP BY c.measure, s.child, c.step, c.status",
        sub = subtree_sql(scope.area_id),
        team = team_filter(scope, "c.team_id"),
    );
    let statement = Statement::from_string(db.get_database_backend(), sql);
    let rows = CountRow::find_by_statement(statement).all(db).await?;
    Ok(rows.into_iter().map(coverage_count).collect())
}

/// The counts of the coverage counted from the base tables, as the kept
/// counts must say: the check of `repo::tallies`. It reads every household,
/// resident and need of the area (13 s on a province).
///
/// # Errors
/// The database fails.
pub async fn coverage_counts_recounted(
    db: &impl ConnectionTrait,
    scope: HouseholdScope,
) -> Result<Vec<CoverageCount>, StoreError> {
    let done = VisitStatus::Done.code();
    let met = OutcomeResult::Done.code();
    let sql = format!(
        "WITH RECURSIVE {hh} \
         SELECT 'households' AS measure, child, CAST(NULL AS VARCHAR(24)) AS step, \
                CAST(NULL AS VARCHAR(24)) AS status, CAST(COUNT(*) AS BIGINT) AS n \
           FROM hh GROUP BY child \
         UNION ALL \
         SELECT 'residents', hh.child, NULL, NULL, CAST(COUNT(*) AS BIGINT) \
           FROM hh JOIN residents r ON r.household_id = hh.id GROUP BY hh.child \
         UNION ALL \
         SELECT 'needs', hh.child, n.step, n.status, CAST(COUNT(*) AS BIGINT) \
           FROM hh JOIN residents r ON r.household_id = hh.id \
           JOIN needs n ON n.resident_id = r.id GROUP BY hh.child, n.step, n.status \
         UNION ALL \
         SELECT 'reached', hh.child, NULL, NULL, CAST(COUNT(*) AS BIGINT) \
           FROM hh WHERE EXISTS (SELECT 1 FROM visits v \
             WHERE v.household_id = hh.id AND v.status = '{done}') GROUP BY hh.child \
         UNION ALL \
         SELECT 'met', hh.child, NULL, NULL, CAST(COUNT(*) AS BIGINT) \
           FROM hh WHERE EXISTS (SELECT 1 FROM visits v JOIN outcomes o ON o.visit_id = v.id \
             WHERE v.household_id = hh.id AND o.result = '{met}') GROUP BY hh.child",
        hh = scope.households_sql(),
    );
    let statement = Statement::from_string(db.get_database_backend(), sql);
    let rows = CountRow::find_by_statement(statement).all(db).await?;
    Ok(rows.into_iter().map(coverage_count).collect())
}

/// Visits done and households first reached, by team time zone and quarter
/// of an hour (UTC), from `since` on: the caller folds them into local ISO
/// weeks. Every time zone's offset is a multiple of a quarter hour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReachBucket {
    /// `visits_done` or `first_reached`.
    pub measure: String,
    /// The team's IANA zone.
    pub timezone: String,
    /// The quarter hour's start, UTC.
    pub start: DateTime<Utc>,
    /// How many.
    pub count: i64,
}

#[derive(FromQueryResult)]
struct BucketRow {
    measure: String,
    timezone: String,
    bucket: String,
    n: i64,
}

/// Seconds in a quarter hour.
const QUARTER_SECONDS: i64 = 900;

/// The quarter hour (UTC) of a timestamp column, as `YYYY-MM-DD HH:MM`.
fn quarter_sql(backend: DatabaseBackend, column: &str) -> String {
    Dialect::from(backend).quarter_label(column)
}

#[derive(FromQueryResult)]
struct QuarterRow {
    timezone: String,
    quarter: i64,
    visits_done: i64,
    first_reached: i64,
}

/// Visits done and households first reached from `since` on, by quarter
/// hour, summed from the kept counts (`repo::tallies`). `since` is a
/// quarter hour's start (the coverage passes a midnight); otherwise the
/// quarter that holds it counts whole.
///
/// # Errors
/// The database fails.
pub async fn reach_buckets(
    db: &impl ConnectionTrait,
    scope: HouseholdScope,
    since: DateTime<Utc>,
) -> Result<Vec<ReachBucket>, StoreError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "WITH RECURSIVE {sub} \
         SELECT t.timezone, q.quarter, CAST(SUM(q.visits_done) AS BIGINT) AS visits_done, \
                CAST(SUM(q.first_reached) AS BIGINT) AS first_reached \
           FROM tally_quarters q JOIN sub s ON s.id = q.area_id JOIN teams t ON t.id = q.team_id \
           WHERE q.quarter >= $1{team} \
           GROUP BY t.timezone, q.quarter",
        sub = subtree_sql(scope.area_id),
        team = team_filter(scope, "q.team_id"),
    );
    let since_quarter = since.timestamp().div_euclid(QUARTER_SECONDS);
    let statement = Statement::from_sql_and_values(backend, sql, [Value::from(since_quarter)]);
    let rows = QuarterRow::find_by_statement(statement).all(db).await?;
    let mut buckets = Vec::with_capacity(rows.len() * 2);
    for row in rows {
        let start = row
            .quarter
            .checked_mul(QUARTER_SECONDS)
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "the kept quarter hour {} lies outside the calendar",
                    row.quarter
                ))
            })?;
        for (measure, count) in [
            ("visits_done", row.visits_done),
            ("first_reached", row.first_reached),
        ] {
            if count != 0 {
                buckets.push(ReachBucket {
                    measure: measure.to_owned(),
                    timezone: row.timezone.clone(),
                    start,
                    count,
                });
            }
        }
    }
    Ok(buckets)
}

/// Visits done and households first reached from `since` on, by quarter
/// hour, counted from the base tables as the kept counts must say: the
/// check of `repo::tallies`.
///
/// # Errors
/// The database fails.
pub async fn reach_buckets_recounted(
    db: &impl ConnectionTrait,
    scope: HouseholdScope,
    since: DateTime<Utc>,
) -> Result<Vec<ReachBucket>, StoreError> {
    let backend = db.get_database_backend();
    let done = VisitStatus::Done.code();
    let sql = format!(
        "WITH RECURSIVE {hh}, \
         firsts AS (SELECT hh.team_id, MIN(v.start_at) AS first_at \
           FROM hh JOIN visits v ON v.household_id = hh.id \
           WHERE v.status = '{done}' GROUP BY hh.id, hh.team_id) \
         SELECT 'visits_done' AS measure, t.timezone, {visit_quarter} AS bucket, \
                CAST(COUNT(*) AS BIGINT) AS n \
           FROM hh JOIN visits v ON v.household_id = hh.id JOIN teams t ON t.id = hh.team_id \
           WHERE v.status = '{done}' AND v.start_at >= $1 \
           GROUP BY t.timezone, {visit_quarter} \
         UNION ALL \
         SELECT 'first_reached', t.timezone, {first_quarter}, CAST(COUNT(*) AS BIGINT) \
           FROM firsts f JOIN teams t ON t.id = f.team_id \
           WHERE f.first_at >= $1 \
           GROUP BY t.timezone, {first_quarter}",
        hh = scope.households_sql(),
        visit_quarter = quarter_sql(backend, "v.start_at"),
        first_quarter = quarter_sql(backend, "f.first_at"),
    );
    let statement = Statement::from_sql_and_values(backend, sql, [Value::from(since)]);
    let rows = BucketRow::find_by_statement(statement).all(db).await?;
    rows.into_iter()
        .map(|row| {
            let start = NaiveDateTime::parse_from_str(&row.bucket, "%Y-%m-%d %H:%M")
                .map_err(|e| {
                    StoreError::NotFound(format!(
                        "the quarter hour {:?} does not read as YYYY-MM-DD HH:MM: {e}",
                        row.bucket
                    ))
                })?
                .and_utc();
            Ok(ReachBucket {
                measure: row.measure,
                timezone: row.timezone,
                start,
                count: row.n,
            })
        })
        .collect()
}

/// A household with open needs that no visit has yet met (no need done at a
/// visit), with what the store knows of why.
#[derive(Clone, Debug, PartialEq)]
pub struct UnmetHousehold {
    /// Household id.
    pub household_id: i32,
    /// Its team.
    pub team_id: i32,
    /// The team's name.
    pub team_name: String,
    /// The team's IANA zone.
    pub timezone: String,
    /// The register's id.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Its village (or the team's area).
    pub area_id: i32,
    /// That area's name.
    pub area_name: String,
    /// Open needs of its residents.
    pub open_needs: i64,
    /// A resident refused one of them.
    pub refused: bool,
    /// One waits for an appointment.
    pub awaiting_appointment: bool,
    /// The most visits that found one of its residents away.
    pub attempts: i64,
    /// The last of them.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The next visit on the team's calendar, still to come.
    pub next_visit_at: Option<DateTime<Utc>>,
    /// Why the team's latest published plan left it out, if it did.
    pub plan_reason: Option<UnmetReason>,
}

/// How the latest plan's reasons rank when a household has several.
const PLAN_REASONS: [UnmetReason; 7] = [
    UnmetReason::NoConsent,
    UnmetReason::Refused,
    UnmetReason::AwaitingAppointment,
    UnmetReason::NoWindow,
    UnmetReason::NoSkill,
    UnmetReason::NoCapacity,
    UnmetReason::NotPlanned,
];

#[derive(FromQueryResult)]
struct UnmetRow {
    household_id: i32,
    team_id: i32,
    team_name: String,
    timezone: String,
    external_id: String,
    address: String,
    area_id: i32,
    area_name: Option<String>,
    open_needs: i64,
    refused: i64,
    awaiting: i64,
    attempts: i64,
    last_attempt_at: Option<DateTime<Utc>>,
    next_visit_at: Option<DateTime<Utc>>,
    plan_reason: Option<i64>,
}

impl From<UnmetRow> for UnmetHousehold {
    fn from(row: UnmetRow) -> UnmetHousehold {
        UnmetHousehold {
            household_id: row.household_id,
            team_id: row.team_id,
            team_name: row.team_name,
            timezone: row.timezone,
            external_id: row.external_id,
            address: row.address,
            area_id: row.area_id,
            area_name: row.area_name.unwrap_or_default(),
            open_needs: row.open_needs,
            refused: row.refused > 0,
            awaiting_appointment: row.awaiting > 0,
            attempts: row.attempts,
            last_attempt_at: row.last_attempt_at,
            next_visit_at: row.next_visit_at,
            plan_reason: row
                .plan_reason
                .and_then(|rank| usize::try_from(rank).ok())
                .and_then(|rank| PLAN_REASONS.get(rank).copied()),
        }
    }
}

/// Which unmet households: in id order, after `after_id`, at most `limit`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnmetPage {
    /// Households after this id.
    pub after_id: Option<i32>,
    /// At most this many; `None` for all of them.
    pub limit: Option<u64>,
}

/// `WHEN 'no_consent' THEN 0 …`: the rank of each reason of a plan.
fn reason_ranks() -> String {
    PLAN_REASONS
        .iter()
        .enumerate()
        .map(|(i, reason)| format!("WHEN '{}' THEN {i}", reason.code()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The whole list's statement (or a page of it): every part computed for
/// the whole area with hash joins, then joined. The better plan for the
/// whole list (the CSV); a page on PostgreSQL is [`unmet_page_statement`].
///
/// With `page_first` and a limit (a page on SQLite), the page's households
/// are chosen first (`pg`: in scope, an open need, none met, by id) and
/// every part is computed for them only, each driven from them by its index
/// (SQLite's `CROSS JOIN` keeps that order): a page then reads its own
/// households' residents, needs and visits, not the whole area's.
fn unmet_statement(
    backend: DatabaseBackend,
    scope: HouseholdScope,
    now: DateTime<Utc>,
    page: UnmetPage,
    page_first: bool,
) -> Statement {
    let rank = reason_ranks();
    let after = page
        .after_id
        .map_or(String::new(), |id| format!(" AND hh.id > {id}"));
    let limit = page
        .limit
        .map_or(String::new(), |limit| format!(" LIMIT {limit}"));
    let open = NeedStatus::Open.code();
    let done = OutcomeResult::Done.code();
    let (page_cte, from, join, reasons_from) = if page_first && page.limit.is_some() {
        (
            format!(
                ", pg AS (SELECT hh.* FROM hh WHERE EXISTS (\
                   SELECT 1 FROM residents r JOIN needs n ON n.resident_id = r.id \
                   WHERE r.household_id = hh.id AND n.status = '{open}') \
                 AND NOT EXISTS (SELECT 1 FROM visits v JOIN outcomes o ON o.visit_id = v.id \
                   WHERE v.household_id = hh.id AND o.result = '{done}'){after} \
                 ORDER BY hh.id{limit})"
            ),
            "pg hh",
            "CROSS JOIN",
            "pg hh CROSS JOIN latest l \
             CROSS JOIN unmet u ON u.plan_id = l.plan_id AND u.household_id = hh.id",
        )
    } else {
        (
            String::new(),
            "hh",
            "JOIN",
            "latest l JOIN unmet u ON u.plan_id = l.plan_id JOIN hh ON hh.id = u.household_id",
        )
    };
    let sql = format!(
        "WITH RECURSIVE {hh}{page_cte}, \
         open_needs AS (\
           SELECT r.household_id, CAST(COUNT(*) AS BIGINT) AS open_needs, \
             CAST(MAX(CASE WHEN n.last_result = '{refused}' THEN 1 ELSE 0 END) AS BIGINT) AS refused, \
             CAST(MAX(CASE WHEN n.last_result = '{appointment}' THEN 1 ELSE 0 END) AS BIGINT) AS awaiting, \
             CAST(MAX(r.attempts) AS BIGINT) AS attempts, MAX(r.last_attempt_at) AS last_attempt_at \
           FROM {from} {join} residents r ON r.household_id = hh.id \
           {join} needs n ON n.resident_id = r.id \
           WHERE n.status = '{open}' GROUP BY r.household_id), \
         met AS (\
           SELECT DISTINCT v.household_id FROM {from} {join} visits v ON v.household_id = hh.id \
           {join} outcomes o ON o.visit_id = v.id WHERE o.result = '{done}'), \
         next_visit AS (\
           SELECT v.household_id, MIN(v.start_at) AS start_at \
           FROM {from} {join} visits v ON v.household_id = hh.id \
           WHERE v.on_calendar = TRUE AND v.status IN ('{proposed}', '{confirmed}') \
             AND v.start_at > $1 GROUP BY v.household_id), \
         latest AS (\
           SELECT team_id, MAX(id) AS plan_id FROM plans WHERE status = '{published}' \
           GROUP BY team_id), \
         plan_reason AS (\
           SELECT u.household_id, CAST(MIN(CASE u.reason {rank} ELSE {last} END) AS BIGINT) AS rank \
           FROM {reasons_from} GROUP BY u.household_id) \
         SELECT hh.id AS household_id, hh.team_id, t.name AS team_name, t.timezone, \
           h.external_id, h.address, hh.area_id, a.name AS area_name, \
           o.open_needs, o.refused, o.awaiting, o.attempts, o.last_attempt_at, \
           nv.start_at AS next_visit_at, pr.rank AS plan_reason \
         FROM {from} JOIN open_needs o ON o.household_id = hh.id \
         JOIN households h ON h.id = hh.id \
         JOIN teams t ON t.id = hh.team_id \
         LEFT JOIN areas a ON a.id = hh.area_id \
         LEFT JOIN next_visit nv ON nv.household_id = hh.id \
         LEFT JOIN plan_reason pr ON pr.household_id = hh.id \
         WHERE NOT EXISTS (SELECT 1 FROM met m WHERE m.household_id = hh.id){after} \
         ORDER BY hh.id{limit}",
        hh = scope.households_sql(),
        refused = OutcomeResult::Refused.code(),
        appointment = OutcomeResult::NeedsAppointment.code(),
        published = PlanStatus::Published.code(),
        proposed = VisitStatus::Proposed.code(),
        confirmed = VisitStatus::Confirmed.code(),
        last = PLAN_REASONS.len() - 1,
    );
    Statement::from_sql_and_values(backend, sql, [Value::from(now)])
}

/// A page of the unmet households on PostgreSQL, driven by the households
/// themselves: in id order after the cursor, each household's open needs
/// summed over its residents and needs (`LATERAL`, by the unique indexes),
/// no visit of it with a need done, then its next visit and the reason of
/// its team's latest published plan (a team plans its own households only,
/// so that plan holds all of the household's reasons that
/// [`unmet_statement`] reads). It reads about as many households as the
/// page holds, where [`unmet_statement`] reads the whole area first.
fn unmet_page_statement(scope: HouseholdScope, now: DateTime<Utc>, page: UnmetPage) -> Statement {
    let after = page
        .after_id
        .map_or(String::new(), |id| format!(" AND h.id > {id}"));
    let limit = page
        .limit
        .map_or(String::new(), |limit| format!(" LIMIT {limit}"));
    let sql = format!(
        "WITH RECURSIVE {sub} \
         SELECT h.id AS household_id, h.team_id, t.name AS team_name, t.timezone, \
           h.external_id, h.address, s.id AS area_id, a.name AS area_name, \
           o.open_needs, o.refused, o.awaiting, o.attempts, o.last_attempt_at, \
           nv.start_at AS next_visit_at, pr.rank AS plan_reason \
         FROM households h \
         JOIN teams t ON t.id = h.team_id \
         JOIN sub s ON s.id = COALESCE(h.village_id, t.area_id) \
         CROSS JOIN LATERAL (\
           SELECT CAST(COUNT(*) AS BIGINT) AS open_needs, \
             CAST(MAX(CASE WHEN n.last_result = '{refused}' THEN 1 ELSE 0 END) AS BIGINT) AS refused, \
             CAST(MAX(CASE WHEN n.last_result = '{appointment}' THEN 1 ELSE 0 END) AS BIGINT) AS awaiting, \
             CAST(MAX(r.attempts) AS BIGINT) AS attempts, MAX(r.last_attempt_at) AS last_attempt_at \
           FROM residents r JOIN needs n ON n.resident_id = r.id \
           WHERE r.household_id = h.id AND n.status = '{open}') o \
         LEFT JOIN areas a ON a.id = s.id \
         LEFT JOIN LATERAL (\
           SELECT MIN(v.start_at) AS start_at \
           FROM visits v \
           WHERE v.household_id = h.id AND v.on_calendar = TRUE \
             AND v.status IN ('{proposed}', '{confirmed}') AND v.start_at > $1) nv ON TRUE \
         LEFT JOIN LATERAL (\
           SELECT CAST(MIN(CASE u.reason {rank} ELSE {last} END) AS BIGINT) AS rank \
           FROM unmet u WHERE u.household_id = h.id \
             AND u.plan_id = (SELECT MAX(l.id) FROM plans l \
                              WHERE l.team_id = h.team_id AND l.status = '{published}')) pr ON TRUE \
         WHERE o.open_needs > 0{team}{after} \
           AND NOT EXISTS (SELECT 1 FROM visits v JOIN outcomes oc ON oc.visit_id = v.id \
             WHERE v.household_id = h.id AND oc.result = '{done}') \
         ORDER BY h.id{limit}",
        sub = subtree_sql(scope.area_id),
        team = team_filter(scope, "h.team_id"),
        rank = reason_ranks(),
        refused = OutcomeResult::Refused.code(),
        appointment = OutcomeResult::NeedsAppointment.code(),
        open = NeedStatus::Open.code(),
        done = OutcomeResult::Done.code(),
        published = PlanStatus::Published.code(),
        proposed = VisitStatus::Proposed.code(),
        confirmed = VisitStatus::Confirmed.code(),
        last = PLAN_REASONS.len() - 1,
    );
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, [Value::from(now)])
}

/// A page of the unmet households, in id order: on PostgreSQL driven by the
/// households after the cursor, elsewhere (a commune's SQLite, which has no
/// `LATERAL`) the whole list's statement choosing the page's households
/// first.
///
/// # Errors
/// The database fails.
pub async fn unmet_households(
    db: &impl ConnectionTrait,
    scope: HouseholdScope,
    now: DateTime<Utc>,
    page: UnmetPage,
) -> Result<Vec<UnmetHousehold>, StoreError> {
    let statement = match db.get_database_backend() {
        DatabaseBackend::Postgres => unmet_page_statement(scope, now, page),
        backend => unmet_statement(backend, scope, now, page, true),
    };
    Ok(UnmetRow::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .map(UnmetHousehold::from)
        .collect())
}

/// The same page read by the whole list's statement, whatever the
/// database: the check of [`unmet_households`].
///
/// # Errors
/// The database fails.
pub async fn unmet_households_by_list(
    db: &impl ConnectionTrait,
    scope: HouseholdScope,
    now: DateTime<Utc>,
    page: UnmetPage,
) -> Result<Vec<UnmetHousehold>, StoreError> {
    let statement = unmet_statement(db.get_database_backend(), scope, now, page, false);
    Ok(UnmetRow::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .map(UnmetHousehold::from)
        .collect())
}

/// Every unmet household, in id order, read from the database as the
/// caller consumes them: memory stays flat however many there are.
///
/// # Errors
/// The database fails (at the start, or as an item).
pub async fn stream_unmet<'a, C>(
    db: &'a C,
    scope: HouseholdScope,
    now: DateTime<Utc>,
) -> Result<impl Stream<Item = Result<UnmetHousehold, StoreError>> + Send + 'a, StoreError>
where
    C: StreamTrait + Send + Sync,
{
    let backend = StreamTrait::get_database_backend(db);
    let statement = unmet_statement(backend, scope, now, UnmetPage::default(), false);
    let rows = db.stream_raw(statement).await?;
    Ok(rows.map(|row| {
        let row = row?;
        Ok(UnmetHousehold::from(UnmetRow::from_query_result(&row, "")?))
    }))
}
