//! Loading many teams at once: areas, teams, members, registers and, when
//! asked, a published plan with its visits, the outcomes recorded at them
//! and the households it leaves out. The rows of a batch refer to each other
//! by position; their ids are reserved first (from PostgreSQL's sequences,
//! or after the largest id inside SQLite's write lock), then every table is
//! written in one go: by `COPY` on PostgreSQL, by multi-row `INSERT`s (a
//! few hundred rows a statement) elsewhere.
//!
//! This is the path of large synthetic loads. The register import compares
//! with what is stored and writes by parts (`repo::register::RegisterImport`);
//! the planner keeps its own upserts. A load writes the base tables only: the caller counts the
//! audit's kept counts afterwards (`repo::tallies::rebuild_all`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use doorstep_core::{
    AreaLevel, Language, MemberRole, NeedStatus, NeedStep, OutcomeResult, PlanStatus, Presence,
    Skill, UnmetReason, VisitMode, VisitStatus,
};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, RuntimeErr,
    Statement, Value,
};

use crate::dialect::Dialect;
use crate::repo::register::Consent;
use crate::{RuleJson, StoreError};

/// The most bound values in one statement: below SQLite's 32,766 and
/// PostgreSQL's 65,535.
const MAX_VALUES: usize = 30_000;
/// The most rows in one statement.
const MAX_ROWS: usize = 1_000;

/// An area to create, under a parent given by code (an area of the same
/// load listed earlier, or one already stored).
#[derive(Clone, Debug, PartialEq)]
pub struct AreaLoad {
    /// Province, commune or village.
    pub level: AreaLevel,
    /// Its code, unique.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The parent's code.
    pub parent_code: Option<String>,
    /// Latitude of its centre.
    pub latitude: Option<f64>,
    /// Longitude of its centre.
    pub longitude: Option<f64>,
}

/// A team to create, with everything it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamLoad {
    /// Its area.
    pub area_id: i32,
    /// Its name, unique in the area.
    pub name: String,
    /// IANA zone.
    pub timezone: String,
    /// The tide station its rules use by default.
    pub tide_station: Option<String>,
    /// Members, the leader first; names unique in the team.
    pub members: Vec<MemberLoad>,
    /// The register.
    pub households: Vec<HouseholdLoad>,
    /// A published plan, with what happened at its visits.
    pub plan: Option<PlanLoad>,
}

/// A member to create.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberLoad {
    /// Full name, unique in the team.
    pub full_name: String,
    /// Leader or volunteer.
    pub role: MemberRole,
    /// Where the daily list is sent.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Skills.
    pub skills: Vec<Skill>,
    /// At most this many visits a day.
    pub daily_visit_cap: i32,
    /// May visit by phone or video.
    pub remote_capable: bool,
    /// Home latitude.
    pub home_latitude: Option<f64>,
    /// Home longitude.
    pub home_longitude: Option<f64>,
    /// When they are free.
    pub availability: Option<RuleJson>,
    /// The language of their messages.
    pub language: Language,
}

/// A household to create, with its residents.
#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdLoad {
    /// The register's key, unique in the team.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Its village.
    pub village_id: Option<i32>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// Residents; register keys unique in the household.
    pub residents: Vec<ResidentLoad>,
}

/// A resident as they stand after the load (attempts already counted).
#[derive(Clone, Debug, PartialEq)]
pub struct ResidentLoad {
    /// The register's key within the household.
    pub external_id: String,
    /// Full name.
    pub full_name: String,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Phone number.
    pub phone: Option<String>,
    /// Where they are.
    pub presence: Presence,
    /// ISO country, when abroad.
    pub country: Option<String>,
    /// IANA zone, when abroad.
    pub timezone: Option<String>,
    /// When they can be visited.
    pub availability: Option<RuleJson>,
    /// Their consent.
    pub consent: Option<Consent>,
    /// Visits that found them away since one last met them.
    pub attempts: i32,
    /// The last such visit.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Their needs as they stand.
    pub needs: Vec<NeedLoad>,
}

/// A need as it stands.
#[derive(Clone, Debug, PartialEq)]
pub struct NeedLoad {
    /// The step.
    pub step: NeedStep,
    /// Open, done or not applicable.
    pub status: NeedStatus,
    /// The last result recorded for it.
    pub last_result: Option<OutcomeResult>,
    /// The appointment's day.
    pub appointment_on: Option<NaiveDate>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Who changed it.
    pub updated_by: String,
}

/// A plan, published or not, with its visits and unmet households.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanLoad {
    /// Draft or published.
    pub status: PlanStatus,
    /// First day, in the team's calendar.
    pub start_date: NaiveDate,
    /// Number of days.
    pub days: i32,
    /// First instant.
    pub horizon_start: DateTime<Utc>,
    /// End (excluded).
    pub horizon_end: DateTime<Utc>,
    /// Σ priority of the visited households.
    pub objective: i32,
    /// Minutes of travel.
    pub travel_minutes: i32,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Who made it.
    pub created_by: String,
    /// Its visits; at most one per household (in person) or per resident
    /// (remote).
    pub visits: Vec<VisitLoad>,
    /// The households (or residents) it leaves out.
    pub unmet: Vec<UnmetLoad>,
}

/// A visit: household and member by position in the team.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitLoad {
    /// The household's position in the team's register.
    pub household: usize,
    /// The member's position in the team.
    pub member: usize,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// In person, or remote with one resident.
    pub mode: VisitMode,
    /// The needs it is for.
    pub purposes: Vec<NeedStep>,
    /// The residents expected, by position in the household.
    pub residents: Vec<usize>,
    /// Where it stands.
    pub status: VisitStatus,
    /// What was recorded at it.
    pub recording: Option<RecordingLoad>,
}

/// One recording of outcomes at a visit.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingLoad {
    /// The client's idempotency key.
    pub key: String,
    /// The digest of the request.
    pub body_hash: String,
    /// Who recorded.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
    /// The results: resident by position in the household, the need (or
    /// every need of the visit), the result, the appointment's day.
    pub lines: Vec<(usize, Option<NeedStep>, OutcomeResult, Option<NaiveDate>)>,
}

/// A household (or one resident of it) a plan leaves out.
#[derive(Clone, Debug, PartialEq)]
pub struct UnmetLoad {
    /// The household's position in the register.
    pub household: usize,
    /// The resident's position in the household, when the reason is theirs.
    pub resident: Option<usize>,
    /// Why.
    pub reason: UnmetReason,
    /// In Vietnamese.
    pub explanation_vi: String,
    /// In English.
    pub explanation_en: String,
}

/// Rows written by a load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LoadCounts {
    /// Teams.
    pub teams: u64,
    /// Members.
    pub members: u64,
    /// Households.
    pub households: u64,
    /// Residents.
    pub residents: u64,
    /// Needs.
    pub needs: u64,
    /// Plans.
    pub plans: u64,
    /// Visits.
    pub visits: u64,
    /// Outcome recordings.
    pub recordings: u64,
    /// Outcomes.
    pub outcomes: u64,
    /// Unmet entries.
    pub unmet: u64,
}

impl std::ops::AddAssign for LoadCounts {
    fn add_assign(&mut self, other: LoadCounts) {
        self.teams += other.teams;
        self.members += other.members;
        self.households += other.households;
        self.residents += other.residents;
        self.needs += other.needs;
        self.plans += other.plans;
        self.visits += other.visits;
        self.recordings += other.recordings;
        self.outcomes += other.outcomes;
        self.unmet += other.unmet;
    }
}

/// Where a load writes: a PostgreSQL transaction taking rows by `COPY`, or
/// a transaction of another database taking multi-row `INSERT`s. Ids are
/// reserved before the rows are written, so that rows can name each other.
enum Writer {
    Postgres(sea_orm::sqlx::Transaction<'static, sea_orm::sqlx::Postgres>),
    Other {
        txn: DatabaseTransaction,
        /// The next free id of each table, read once per transaction.
        next: HashMap<&'static str, i32>,
    },
}

fn sqlx_error(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Db(DbErr::Exec(RuntimeErr::SqlxError(std::sync::Arc::new(e))))
}

impl Writer {
    /// A transaction on the store's database; SQLite's holds the write lock
    /// from the start, so that the ids it reserves stay free.
    async fn begin(db: &DatabaseConnection) -> Result<Writer, StoreError> {
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let txn = db
                .get_postgres_connection_pool()
                .begin()
                .await
                .map_err(sqlx_error)?;
            return Ok(Writer::Postgres(txn));
        }
        let txn = super::begin_writing(db).await?;
        Ok(Writer::Other {
            txn,
            next: HashMap::new(),
        })
    }

    /// `n` fresh ids of `table`, in increasing order.
    async fn reserve(&mut self, table: &'static str, n: usize) -> Result<Vec<i32>, StoreError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        match self {
            Writer::Postgres(txn) => {
                // Each nextval is the table's own: safe beside other writers.
                let sql = format!(
                    "SELECT CAST(nextval(pg_get_serial_sequence('{table}', 'id')) AS INTEGER) \
                     FROM generate_series(1, $1)"
                );
                let count = i32::try_from(n).map_err(|_| {
                    StoreError::NotFound(format!("too many rows of {table} at once: {n}"))
                })?;
                sea_orm::sqlx::query_scalar::<_, i32>(sea_orm::sqlx::AssertSqlSafe(sql))
                    .bind(count)
                    .fetch_all(&mut **txn)
                    .await
                    .map_err(sqlx_error)
            }
            Writer::Other { txn, next } => {
                let first = match next.get(table) {
                    Some(first) => *first,
                    None => {
                        let row = txn
                            .query_one_raw(Statement::from_string(
                                txn.get_database_backend(),
                                format!("SELECT CAST(COALESCE(MAX(id), 0) AS INTEGER) AS id FROM {table}"),
                            ))
                            .await?
                            .ok_or_else(|| StoreError::NotFound(format!("the ids of {table}")))?;
                        row.try_get::<i32>("", "id")? + 1
                    }
                };
                let count = i32::try_from(n).unwrap_or(i32::MAX);
                next.insert(table, first + count);
                Ok((first..first + count).collect())
            }
        }
    }

    /// Writes rows (their values flat, row after row).
    async fn write(
        &mut self,
        table: &str,
        columns: &[&str],
        values: Vec<Value>,
    ) -> Result<u64, StoreError> {
        debug_assert_eq!(values.len() % columns.len(), 0, "whole rows of {table}");
        let rows = (values.len() / columns.len()) as u64;
        if rows == 0 {
            return Ok(0);
        }
        match self {
            Writer::Postgres(txn) => {
                let mut copy = txn
                    .copy_in_raw(&format!("COPY {table} ({}) FROM STDIN", columns.join(", ")))
                    .await
                    .map_err(sqlx_error)?;
                let mut chunk = String::with_capacity(COPY_CHUNK + 4096);
                for row in values.chunks(columns.len()) {
                    for (i, value) in row.iter().enumerate() {
                        if i > 0 {
                            chunk.push('\t');
                        }
                        copy_text(&mut chunk, value);
                    }
                    chunk.push('\n');
                    if chunk.len() >= COPY_CHUNK {
                        copy.send(chunk.as_bytes()).await.map_err(sqlx_error)?;
                        chunk.clear();
                    }
                }
                if !chunk.is_empty() {
                    copy.send(chunk.as_bytes()).await.map_err(sqlx_error)?;
                }
                copy.finish().await.map_err(sqlx_error)?;
            }
            Writer::Other { txn, .. } => {
                let backend = txn.get_database_backend();
                let per_statement = (MAX_VALUES / columns.len()).min(MAX_ROWS) * columns.len();
                let mut values = values.into_iter().peekable();
                while values.peek().is_some() {
                    let chunk: Vec<Value> = values.by_ref().take(per_statement).collect();
                    let sql = insert_sql(backend, table, columns, chunk.len() / columns.len());
                    txn.execute_raw(Statement::from_sql_and_values(backend, sql, chunk))
                        .await?;
                }
            }
        }
        Ok(rows)
    }

    async fn commit(self) -> Result<(), StoreError> {
        match self {
            Writer::Postgres(txn) => txn.commit().await.map_err(sqlx_error),
            Writer::Other { txn, .. } => Ok(txn.commit().await?),
        }
    }
}

/// Bytes of `COPY` data sent at a time.
const COPY_CHUNK: usize = 1 << 20;

/// A value in `COPY`'s text format: `\N` for NULL, special characters
/// escaped with a backslash, instants in UTC.
fn copy_text(out: &mut String, value: &Value) {
    match value {
        Value::Bool(Some(b)) => out.push(if *b { 't' } else { 'f' }),
        Value::Int(Some(n)) => {
            let _ = write!(out, "{n}");
        }
        Value::BigInt(Some(n)) => {
            let _ = write!(out, "{n}");
        }
        Value::Double(Some(x)) => {
            let _ = write!(out, "{x}");
        }
        Value::String(Some(text)) => {
            for c in text.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
        Value::ChronoDate(Some(day)) => {
            let _ = write!(out, "{}", day.format("%Y-%m-%d"));
        }
        Value::ChronoDateTimeUtc(Some(at)) => {
            let _ = write!(out, "{}", at.format("%Y-%m-%d %H:%M:%S%.6f+00"));
        }
        other => {
            debug_assert!(
                matches!(
                    other,
                    Value::Bool(None)
                        | Value::Int(None)
                        | Value::BigInt(None)
                        | Value::Double(None)
                        | Value::String(None)
                        | Value::ChronoDate(None)
                        | Value::ChronoDateTimeUtc(None)
                ),
                "a value the loader does not write: {other:?}"
            );
            out.push_str("\\N");
        }
    }
}

/// `INSERT INTO table (columns) VALUES (…), (…)` for `rows` rows, with the
/// backend's placeholders.
fn insert_sql(backend: DatabaseBackend, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = String::with_capacity(64 + rows * columns.len() * 6);
    let _ = write!(sql, "INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push_str(&Dialect::from(backend).placeholder(n));
        }
        sql.push(')');
    }
    sql
}

fn text(value: &str) -> Value {
    Value::from(value.to_owned())
}

fn json_codes<T: Copy>(items: &[T], code: impl Fn(T) -> &'static str) -> Value {
    let codes: Vec<&str> = items.iter().map(|&item| code(item)).collect();
    Value::from(serde_json::to_string(&codes).expect("codes serialise"))
}

/// Creates areas in one transaction, parents before children (a parent is
/// an area listed earlier or one already stored); answers their ids in the
/// order given.
///
/// # Errors
/// A parent code is unknown, a code is taken, or the database fails; then
/// nothing is written.
pub async fn insert_areas(
    db: &DatabaseConnection,
    areas: &[AreaLoad],
) -> Result<Vec<i32>, StoreError> {
    let mut writer = Writer::begin(db).await?;
    let ids = writer.reserve("areas", areas.len()).await?;
    let mut known: HashMap<&str, i32> = HashMap::new();
    let mut values = Vec::with_capacity(areas.len() * 8);
    for (a, id) in areas.iter().zip(&ids) {
        let parent = match &a.parent_code {
            None => None,
            Some(code) => Some(match known.get(code.as_str()) {
                Some(id) => *id,
                None => {
                    super::areas::find_area_by_code(db, code)
                        .await?
                        .ok_or_else(|| {
                            StoreError::NotFound(format!("area with code {code} does not exist"))
                        })?
                        .id
                }
            }),
        };
        known.insert(&a.code, *id);
        values.extend([
            Value::from(*id),
            Value::from(parent),
            text(a.level.code()),
            text(&a.code),
            text(&a.name),
            text("[]"),
            Value::from(a.latitude),
            Value::from(a.longitude),
        ]);
    }
    writer
        .write(
            "areas",
            &[
                "id",
                "parent_id",
                "level",
                "code",
                "name",
                "aliases",
                "latitude",
                "longitude",
            ],
            values,
        )
        .await?;
    writer.commit().await?;
    Ok(ids)
}

/// Creates teams with their members, registers and plans, in one
/// transaction; answers what it wrote.
///
/// # Errors
/// The database fails (an area that does not exist, say); then nothing is
/// written.
pub async fn insert_teams(
    db: &DatabaseConnection,
    teams: &[TeamLoad],
    now: DateTime<Utc>,
) -> Result<LoadCounts, StoreError> {
    let mut writer = Writer::begin(db).await?;
    let counts = write_teams(&mut writer, teams, now).await?;
    writer.commit().await?;
    Ok(counts)
}

/// The tables a load fills.
const LOADED: &[&str] = &[
    "areas",
    "teams",
    "members",
    "households",
    "residents",
    "needs",
    "plans",
    "visits",
    "outcome_requests",
    "outcomes",
    "unmet",
];

/// Refreshes the planner's statistics of the tables a load filled: right
/// after a large load they describe empty tables, and the audit's joins
/// are planned for a few rows.
///
/// # Errors
/// The database fails.
pub async fn analyze(db: &DatabaseConnection) -> Result<(), StoreError> {
    let sql = Dialect::of(db).analyze(LOADED);
    db.execute_unprepared(&sql).await?;
    Ok(())
}

/// Refreshes the planner's statistics of the audit's kept counts, once
/// they are counted after a load.
///
/// # Errors
/// The database fails.
pub async fn analyze_tallies(db: &DatabaseConnection) -> Result<(), StoreError> {
    let sql = Dialect::of(db).analyze(&["tallies", "tally_quarters"]);
    db.execute_unprepared(&sql).await?;
    Ok(())
}

/// Ids reserved for one kind of row, handed out in order.
struct Ids(std::vec::IntoIter<i32>);

impl Ids {
    async fn reserve(
        writer: &mut Writer,
        table: &'static str,
        n: usize,
    ) -> Result<Ids, StoreError> {
        Ok(Ids(writer.reserve(table, n).await?.into_iter()))
    }

    fn take(&mut self) -> i32 {
        self.0.next().expect("as many ids as rows were reserved")
    }
}

#[allow(clippy::too_many_lines)]
async fn write_teams(
    writer: &mut Writer,
    teams: &[TeamLoad],
    now: DateTime<Utc>,
) -> Result<LoadCounts, StoreError> {
    let members = teams.iter().map(|t| t.members.len()).sum();
    let households = teams.iter().map(|t| t.households.len()).sum();
    let residents = teams
        .iter()
        .flat_map(|t| &t.households)
        .map(|h| h.residents.len())
        .sum();
    let plans: Vec<&PlanLoad> = teams.iter().filter_map(|t| t.plan.as_ref()).collect();
    let visits = plans.iter().map(|p| p.visits.len()).sum();
    let recordings = plans
        .iter()
        .flat_map(|p| &p.visits)
        .filter(|v| v.recording.is_some())
        .count();
    let mut team_ids = Ids::reserve(writer, "teams", teams.len()).await?;
    let mut member_ids = Ids::reserve(writer, "members", members).await?;
    let mut household_ids = Ids::reserve(writer, "households", households).await?;
    let mut resident_ids = Ids::reserve(writer, "residents", residents).await?;
    let mut plan_ids = Ids::reserve(writer, "plans", plans.len()).await?;
    let mut visit_ids = Ids::reserve(writer, "visits", visits).await?;
    let mut request_ids = Ids::reserve(writer, "outcome_requests", recordings).await?;

    let mut rows = Rows::default();
    for t in teams {
        let team_id = team_ids.take();
        rows.teams.extend([
            Value::from(team_id),
            Value::from(t.area_id),
            text(&t.name),
            text(&t.timezone),
            Value::from(t.tide_station.clone()),
            Value::from(now),
        ]);
        let mut members = Vec::with_capacity(t.members.len());
        for m in &t.members {
            let id = member_ids.take();
            members.push(id);
            rows.members.extend([
                Value::from(id),
                Value::from(team_id),
                text(&m.full_name),
                text(m.role.code()),
                Value::from(m.email.clone()),
                Value::from(m.phone.clone()),
                json_codes(&m.skills, Skill::code),
                Value::from(m.daily_visit_cap),
                Value::from(m.remote_capable),
                Value::from(m.home_latitude),
                Value::from(m.home_longitude),
                Value::from(m.availability.as_ref().map(|r| r.as_str().to_owned())),
                Value::from(true),
                Value::from(now),
                text(m.language.code()),
            ]);
        }
        // Each household's id and its residents' ids, in register order.
        let mut register: Vec<(i32, Vec<i32>)> = Vec::with_capacity(t.households.len());
        for h in &t.households {
            let household_id = household_ids.take();
            rows.households.extend([
                Value::from(household_id),
                Value::from(team_id),
                Value::from(h.village_id),
                text(&h.external_id),
                text(&h.address),
                Value::from(h.latitude),
                Value::from(h.longitude),
                Value::from(now),
                Value::from(now),
            ]);
            let mut people = Vec::with_capacity(h.residents.len());
            for r in &h.residents {
                let resident_id = resident_ids.take();
                people.push(resident_id);
                rows.residents.extend([
                    Value::from(resident_id),
                    Value::from(household_id),
                    text(&r.external_id),
                    text(&r.full_name),
                    Value::from(r.birth_year),
                    Value::from(r.phone.clone()),
                    text(r.presence.code()),
                    Value::from(r.country.clone()),
                    Value::from(r.timezone.clone()),
                    Value::from(r.availability.as_ref().map(|a| a.as_str().to_owned())),
                    Value::from(r.consent.as_ref().map(|c| c.at)),
                    Value::from(r.consent.as_ref().map(|c| c.by.clone())),
                    Value::from(r.consent.as_ref().map(|c| c.text.clone())),
                    Value::from(now),
                    Value::from(now),
                    Value::from(r.attempts),
                    Value::from(r.last_attempt_at),
                ]);
                for n in &r.needs {
                    rows.needs.extend([
                        Value::from(resident_id),
                        text(n.step.code()),
                        text(n.status.code()),
                        Value::from(n.updated_at),
                        Value::from(Some(n.updated_by.clone())),
                        Value::from(n.last_result.map(|l| l.code().to_owned())),
                        Value::from(n.appointment_on),
                    ]);
                }
            }
            register.push((household_id, people));
        }
        let Some(p) = &t.plan else {
            continue;
        };
        let plan_id = plan_ids.take();
        rows.plans.extend([
            Value::from(plan_id),
            Value::from(team_id),
            Value::from(p.horizon_start),
            Value::from(p.horizon_end),
            text(p.status.code()),
            Value::from(Some(p.objective)),
            Value::from(Some(p.objective)),
            Value::from(Some(p.travel_minutes)),
            Value::from(Some(0)),
            Value::from(Some("{}".to_owned())),
            Value::from(p.created_at),
            Value::from(p.published_at),
            Value::from(Some(p.start_date)),
            Value::from(Some(p.days)),
            Value::from(Some(p.created_by.clone())),
        ]);
        for v in &p.visits {
            let visit_id = visit_ids.take();
            let (household_id, people) = &register[v.household];
            let residents: Vec<i32> = v.residents.iter().map(|&r| people[r]).collect();
            // The planner's job: `h<household>`, or `r<resident>` for a call.
            let job = match (v.mode, residents.as_slice()) {
                (VisitMode::Remote, [only]) => format!("r{only}"),
                _ => format!("h{household_id}"),
            };
            let outcome = v.recording.as_ref().map(|rec| {
                let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
                for line in &rec.lines {
                    *tally.entry(line.2.code()).or_default() += 1;
                }
                serde_json::to_string(&tally).expect("counts serialise")
            });
            rows.visits.extend([
                Value::from(visit_id),
                Value::from(plan_id),
                Value::from(*household_id),
                Value::from(members[v.member]),
                Value::from(v.start),
                Value::from(v.end),
                text(v.mode.code()),
                json_codes(&v.purposes, NeedStep::code),
                text(v.status.code()),
                Value::from(false),
                Value::from(outcome),
                Value::from(v.recording.as_ref().map_or(now, |r| r.recorded_at)),
                Value::from(serde_json::to_string(&residents).expect("ids serialise")),
                Value::from(job),
                Value::from(p.status == PlanStatus::Published),
            ]);
            let Some(rec) = &v.recording else {
                continue;
            };
            let request_id = request_ids.take();
            rows.requests.extend([
                Value::from(request_id),
                Value::from(visit_id),
                text(&rec.key),
                text(&rec.body_hash),
                Value::from(None::<String>),
                text(&rec.recorded_by),
                Value::from(rec.recorded_at),
            ]);
            for (resident, need, result, appointment_on) in &rec.lines {
                rows.outcomes.extend([
                    Value::from(request_id),
                    Value::from(visit_id),
                    Value::from(Some(people[*resident])),
                    Value::from(need.map(|n| n.code().to_owned())),
                    text(result.code()),
                    Value::from(*appointment_on),
                    text(&rec.recorded_by),
                    Value::from(rec.recorded_at),
                ]);
            }
        }
        for u in &p.unmet {
            let (household_id, people) = &register[u.household];
            rows.unmet.extend([
                Value::from(plan_id),
                Value::from(*household_id),
                Value::from(u.resident.map(|r| people[r])),
                text(u.reason.code()),
                text(&u.explanation_vi),
                text(&u.explanation_en),
            ]);
        }
    }
    rows.write(writer).await
}

/// The rows of a batch, table by table, their values flat.
#[derive(Default)]
struct Rows {
    teams: Vec<Value>,
    members: Vec<Value>,
    households: Vec<Value>,
    residents: Vec<Value>,
    needs: Vec<Value>,
    plans: Vec<Value>,
    visits: Vec<Value>,
    requests: Vec<Value>,
    outcomes: Vec<Value>,
    unmet: Vec<Value>,
}

impl Rows {
    /// Writes every table, parents before children.
    async fn write(self, writer: &mut Writer) -> Result<LoadCounts, StoreError> {
        Ok(LoadCounts {
            teams: writer
                .write(
                    "teams",
                    &[
                        "id",
                        "area_id",
                        "name",
                        "timezone",
                        "tide_station",
                        "created_at",
                    ],
                    self.teams,
                )
                .await?,
            members: writer
                .write(
                    "members",
                    &[
                        "id",
                        "team_id",
                        "full_name",
                        "role",
                        "email",
                        "phone",
                        "skills",
                        "daily_visit_cap",
                        "remote_capable",
                        "home_latitude",
                        "home_longitude",
                        "availability",
                        "active",
                        "created_at",
                        "language",
                    ],
                    self.members,
                )
                .await?,
            households: writer
                .write(
                    "households",
                    &[
                        "id",
                        "team_id",
                        "village_id",
                        "external_id",
                        "address",
                        "latitude",
                        "longitude",
                        "created_at",
                        "updated_at",
                    ],
                    self.households,
                )
                .await?,
            residents: writer
                .write(
                    "residents",
                    &[
                        "id",
                        "household_id",
                        "external_id",
                        "full_name",
                        "birth_year",
                        "phone",
                        "presence",
                        "country",
                        "timezone",
                        "availability",
                        "consent_at",
                        "consent_by",
                        "consent_text",
                        "created_at",
                        "updated_at",
                        "attempts",
                        "last_attempt_at",
                    ],
                    self.residents,
                )
                .await?,
            needs: writer
                .write(
                    "needs",
                    &[
                        "resident_id",
                        "step",
                        "status",
                        "updated_at",
                        "updated_by",
                        "last_result",
                        "appointment_on",
                    ],
                    self.needs,
                )
                .await?,
            plans: writer
                .write(
                    "plans",
                    &[
                        "id",
                        "team_id",
                        "horizon_start",
                        "horizon_end",
                        "status",
                        "objective",
                        "upper_bound",
                        "travel_minutes",
                        "solver_ms",
                        "figures",
                        "created_at",
                        "published_at",
                        "start_date",
                        "days",
                        "created_by",
                    ],
                    self.plans,
                )
                .await?,
            visits: writer
                .write(
                    "visits",
                    &[
                        "id",
                        "plan_id",
                        "household_id",
                        "member_id",
                        "start_at",
                        "end_at",
                        "mode",
                        "purposes",
                        "status",
                        "pinned",
                        "outcome",
                        "updated_at",
                        "residents",
                        "job",
                        "on_calendar",
                    ],
                    self.visits,
                )
                .await?,
            recordings: writer
                .write(
                    "outcome_requests",
                    &[
                        "id",
                        "visit_id",
                        "idempotency_key",
                        "body_hash",
                        "note",
                        "recorded_by",
                        "recorded_at",
                    ],
                    self.requests,
                )
                .await?,
            outcomes: writer
                .write(
                    "outcomes",
                    &[
                        "request_id",
                        "visit_id",
                        "resident_id",
                        "need",
                        "result",
                        "appointment_on",
                        "recorded_by",
                        "recorded_at",
                    ],
                    self.outcomes,
                )
                .await?,
            unmet: writer
                .write(
                    "unmet",
                    &[
                        "plan_id",
                        "household_id",
                        "resident_id",
                        "reason",
                        "explanation_vi",
                        "explanation_en",
                    ],
                    self.unmet,
                )
                .await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        assert_eq!(
            insert_sql(DatabaseBackend::Postgres, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            insert_sql(DatabaseBackend::Sqlite, "t", &["a"], 3),
            "INSERT INTO t (a) VALUES (?), (?), (?)"
        );
    }

    #[test]
    fn copy_text_escapes_and_marks_nulls() {
        let mut out = String::new();
        for value in [
            Value::from("a\tb\\c\nd".to_owned()),
            Value::from(None::<String>),
            Value::from(true),
            Value::from(Some(19.5)),
            Value::from(
                DateTime::parse_from_rfc3339("2026-12-02T03:04:05Z")
                    .unwrap()
                    .with_timezone(&Utc),
            ),
        ] {
            copy_text(&mut out, &value);
            out.push('|');
        }
        assert_eq!(
            out,
            "a\\tb\\\\c\\nd|\\N|t|19.5|2026-12-02 03:04:05.000000+00|"
        );
    }
}
