//! Planning runs and their jobs: one run plans every team under an area, one
//! job per team.
//!
//! Workers [`claim`] a job with a lease, in the same way as the mail outbox
//! (`repo::mail`): on PostgreSQL the row is picked `FOR UPDATE SKIP LOCKED`,
//! so two workers never hold the same job; on SQLite the claim is one write,
//! and writes are serialised. A worker that dies leaves its lease to expire,
//! and the job is claimed again by another.
//!
//! A claim is named by the worker and the job's attempt number. The team's
//! plan is saved and its job marked done in one transaction
//! ([`complete`]), and only while that claim still holds the job: a worker
//! whose job was taken over writes nothing, so a team never gets two plans
//! from one run.

use crate::Code;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, OnConflict, Order, Query, QueryStatementBuilder, SelectStatement,
};
use sea_orm::{ConnectionTrait, QueryResult, Statement, TransactionSession, TransactionTrait};

use super::plans::{self, NewPlan, NewVisit, UnmetRecord};
use crate::StoreError;
use crate::dialect::Dialect;

const RUNS: &str = "plan_runs";
const JOBS: &str = "plan_jobs";

/// Claims of one job before it fails for good: a job whose worker died this
/// many times (a team too big for the machine's memory…) stops coming back.
pub const MAX_ATTEMPTS: i32 = 3;

pub use doorstep_core::{JobStatus, RunStatus};

/// A run to open.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRun {
    /// The area whose teams are planned.
    pub area_id: i32,
    /// First day, in each team's calendar.
    pub start_date: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// The planner's budget and the rest, as the service writes them.
    pub options: serde_json::Value,
    /// Who asked.
    pub created_by: String,
    /// The teams to plan, one job each.
    pub teams: Vec<i32>,
}

/// A stored run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// Id.
    pub id: i32,
    /// The area.
    pub area_id: i32,
    /// First day.
    pub start_date: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// As the service wrote them.
    pub options: serde_json::Value,
    /// Who asked.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When its last job ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Running or finished.
    pub status: RunStatus,
    /// Teams (jobs) in all.
    pub teams: i32,
}

/// A job a worker holds: the claim is the worker and the attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The job.
    pub job_id: i64,
    /// Its run.
    pub run_id: i32,
    /// The team to plan.
    pub team_id: i32,
    /// The worker holding it.
    pub worker: String,
    /// This claim's number (1 for the first).
    pub attempt: i32,
    /// Until when.
    pub lease_until: DateTime<Utc>,
}

/// What a finished job records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobFigures {
    /// Households of the team read.
    pub households: i32,
    /// Visits planned.
    pub visits: i32,
    /// Unmet entries by reason code.
    pub unmet: BTreeMap<String, i64>,
    /// Milliseconds reading the team.
    pub read_ms: i64,
    /// Milliseconds planning and checking.
    pub plan_ms: i64,
    /// Milliseconds saving (filled in by [`complete`]).
    pub save_ms: i64,
    /// Why there is no plan (nothing to plan).
    pub note: Option<String>,
}

/// A stored job.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRecord {
    /// Id.
    pub id: i64,
    /// Its run.
    pub run_id: i32,
    /// The team.
    pub team_id: i32,
    /// Where it stands.
    pub status: JobStatus,
    /// Claims so far.
    pub attempts: i32,
    /// The last worker.
    pub worker: Option<String>,
    /// Held until.
    pub lease_until: Option<DateTime<Utc>>,
    /// The plan it made.
    pub plan_id: Option<i32>,
    /// The last failure.
    pub error: Option<String>,
    /// Its figures, once done.
    pub figures: Option<JobFigures>,
    /// Last claimed.
    pub started_at: Option<DateTime<Utc>>,
    /// Ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Jobs of a run by status, with the figures of the done ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunProgress {
    /// Jobs in all.
    pub total: i64,
    /// Waiting.
    pub queued: i64,
    /// Held by a worker.
    pub running: i64,
    /// Done.
    pub done: i64,
    /// Failed for good.
    pub failed: i64,
    /// Households of the done jobs.
    pub households: i64,
    /// Visits of the done jobs.
    pub visits: i64,
}

impl RunProgress {
    /// Jobs that ended, well or not.
    pub fn ended(&self) -> i64 {
        self.done + self.failed
    }
}

/// What [`complete`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Saved: the job is done, with its plan when there was one.
    Done {
        /// The plan saved.
        plan_id: Option<i32>,
    },
    /// The claim no longer holds the job (its lease ran out and another
    /// worker took it, or it was released): nothing was written.
    LeaseLost,
}

fn column(name: &'static str) -> Expr {
    Expr::col(Alias::new(name))
}

fn qualified(table: &'static str, name: &'static str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(name)))
}

fn run_columns(select: &mut SelectStatement) {
    select.columns(
        [
            "id",
            "area_id",
            "start_date",
            "days",
            "options",
            "created_by",
            "created_at",
            "finished_at",
            "status",
            "teams",
        ]
        .map(Alias::new),
    );
}

fn run_record(row: &QueryResult) -> Result<RunRecord, StoreError> {
    let options: String = row.try_get("", "options")?;
    let status: String = row.try_get("", "status")?;
    Ok(RunRecord {
        id: row.try_get("", "id")?,
        area_id: row.try_get("", "area_id")?,
        start_date: row.try_get("", "start_date")?,
        days: u32::try_from(row.try_get::<i32>("", "days")?).unwrap_or(0),
        options: serde_json::from_str(&options).unwrap_or(serde_json::Value::Null),
        created_by: row.try_get("", "created_by")?,
        created_at: row.try_get("", "created_at")?,
        finished_at: row.try_get("", "finished_at")?,
        status: if status == RunStatus::Finished.code() {
            RunStatus::Finished
        } else {
            RunStatus::Running
        },
        teams: row.try_get("", "teams")?,
    })
}

const JOB_COLUMNS: [&str; 18] = [
    "id",
    "run_id",
    "team_id",
    "status",
    "attempts",
    "worker",
    "lease_until",
    "plan_id",
    "error",
    "note",
    "started_at",
    "finished_at",
    "households",
    "visits",
    "unmet",
    "read_ms",
    "plan_ms",
    "save_ms",
];

fn job_record(row: &QueryResult) -> Result<JobRecord, StoreError> {
    let status: Code<JobStatus> = row.try_get("", "status")?;
    let status = status.0;
    let figures = if status == JobStatus::Done {
        let unmet: Option<String> = row.try_get("", "unmet")?;
        let ms = |name: &str| -> Result<i64, StoreError> {
            Ok(row.try_get::<Option<i32>>("", name)?.unwrap_or(0).into())
        };
        Some(JobFigures {
            households: row.try_get::<Option<i32>>("", "households")?.unwrap_or(0),
            visits: row.try_get::<Option<i32>>("", "visits")?.unwrap_or(0),
            unmet: unmet
                .as_deref()
                .and_then(|u| serde_json::from_str(u).ok())
                .unwrap_or_default(),
            read_ms: ms("read_ms")?,
            plan_ms: ms("plan_ms")?,
            save_ms: ms("save_ms")?,
            note: row.try_get("", "note")?,
        })
    } else {
        None
    };
    Ok(JobRecord {
        id: row.try_get("", "id")?,
        run_id: row.try_get("", "run_id")?,
        team_id: row.try_get("", "team_id")?,
        status,
        attempts: row.try_get("", "attempts")?,
        worker: row.try_get("", "worker")?,
        lease_until: row.try_get("", "lease_until")?,
        plan_id: row.try_get("", "plan_id")?,
        error: row.try_get("", "error")?,
        figures,
        started_at: row.try_get("", "started_at")?,
        finished_at: row.try_get("", "finished_at")?,
    })
}

/// The teams whose area is `area_id` or lies under it, by id.
///
/// # Errors
/// The database fails.
pub async fn teams_under_area(
    db: &impl ConnectionTrait,
    area_id: i32,
) -> Result<Vec<i32>, StoreError> {
    let sql = format!(
        "SELECT id FROM teams WHERE area_id IN ({}) ORDER BY id",
        super::areas::subtree_sql(area_id)
    );
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<i32>("", "id")?))
        .collect()
}

/// The run still open for this area, first day and days, if any.
///
/// # Errors
/// The database fails.
pub async fn find_open_run(
    db: &impl ConnectionTrait,
    area_id: i32,
    start_date: NaiveDate,
    days: u32,
) -> Result<Option<RunRecord>, StoreError> {
    let mut select = Query::select();
    run_columns(&mut select);
    select
        .from(Alias::new(RUNS))
        .and_where(column("open_key").eq(open_key(area_id, start_date, days)));
    db.query_one(&select)
        .await?
        .map(|r| run_record(&r))
        .transpose()
}

fn open_key(area_id: i32, start_date: NaiveDate, days: u32) -> String {
    format!("{area_id}:{start_date}:{days}")
}

/// Opens a run with one queued job per team, in one transaction; or, when a
/// run of the same area, first day and days is still open, returns that one
/// (`false`: nothing was written).
///
/// # Errors
/// The database fails; nothing is written.
pub async fn open_run<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    run: &NewRun,
    now: DateTime<Utc>,
) -> Result<(RunRecord, bool), StoreError> {
    if let Some(open) = find_open_run(db, run.area_id, run.start_date, run.days).await? {
        return Ok((open, false));
    }
    let txn = super::begin_writing(db).await?;
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(RUNS))
        .columns(
            [
                "area_id",
                "start_date",
                "days",
                "options",
                "created_by",
                "created_at",
                "status",
                "teams",
                "open_key",
            ]
            .map(Alias::new),
        )
        .values_panic([
            run.area_id.into(),
            run.start_date.into(),
            (run.days as i32).into(),
            run.options.to_string().into(),
            run.created_by.clone().into(),
            now.into(),
            RunStatus::Running.code().into(),
            (run.teams.len() as i32).into(),
            open_key(run.area_id, run.start_date, run.days).into(),
        ])
        // A second process opening the same run at the same moment waits
        // for this one's commit, then finds the key taken and writes nothing.
        .on_conflict(
            OnConflict::column(Alias::new("open_key"))
                .do_nothing()
                .to_owned(),
        )
        .returning_col(Alias::new("id"));
    let Some(row) = txn.query_one(&insert).await? else {
        txn.rollback().await?;
        let open = find_open_run(db, run.area_id, run.start_date, run.days)
            .await?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "the open run of area {} from {} for {} days went away while opening it",
                    run.area_id, run.start_date, run.days
                ))
            })?;
        return Ok((open, false));
    };
    let run_id: i32 = row.try_get("", "id")?;
    for chunk in run.teams.chunks(1000) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(JOBS))
            .columns(["run_id", "team_id", "status", "attempts"].map(Alias::new));
        for team in chunk {
            insert.values_panic([
                run_id.into(),
                (*team).into(),
                JobStatus::Queued.code().into(),
                0i32.into(),
            ]);
        }
        txn.execute(&insert).await?;
    }
    super::audit::append_audit(
        &txn,
        now,
        &run.created_by,
        "open_plan_run",
        "area",
        Some(run.area_id),
        serde_json::json!({
            "run": run_id, "start": run.start_date, "days": run.days,
            "teams": run.teams.len(), "options": run.options,
        }),
    )
    .await?;
    txn.commit().await?;
    let run = find_run(db, run_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("plan run {run_id} does not exist")))?;
    Ok((run, true))
}

/// The run with this id.
///
/// # Errors
/// The database fails.
pub async fn find_run(
    db: &impl ConnectionTrait,
    run_id: i32,
) -> Result<Option<RunRecord>, StoreError> {
    let mut select = Query::select();
    run_columns(&mut select);
    select
        .from(Alias::new(RUNS))
        .and_where(column("id").eq(run_id));
    db.query_one(&select)
        .await?
        .map(|r| run_record(&r))
        .transpose()
}

/// Claimable: queued, or running under a lease that ran out, with claims
/// left.
fn claimable(now: DateTime<Utc>) -> Expr {
    column("status")
        .eq(JobStatus::Queued.code())
        .or(column("status")
            .eq(JobStatus::Running.code())
            .and(column("lease_until").lt(now)))
        .and(column("attempts").lt(MAX_ATTEMPTS))
}

/// Claims one job for `worker` until `lease_until`: of run `run`, or of any
/// run. The oldest first. Jobs whose lease ran out after their last claim
/// fail for good here.
///
/// # Errors
/// The database fails.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    run: Option<i32>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<Claim>, StoreError> {
    // Idle workers only read: on SQLite a write, even of no row, waits for
    // the one writer.
    let mut any = Query::select();
    any.column(Alias::new("id"))
        .from(Alias::new(JOBS))
        .and_where(column("status").is_in([JobStatus::Queued.code(), JobStatus::Running.code()]))
        .limit(1);
    if let Some(run) = run {
        any.and_where(column("run_id").eq(run));
    }
    if db.query_one(&any).await?.is_none() {
        return Ok(None);
    }
    give_up_expired(db, now).await?;
    let mut pick = Query::select();
    pick.column(Alias::new("id"))
        .from(Alias::new(JOBS))
        .and_where(claimable(now))
        .order_by(Alias::new("id"), Order::Asc)
        .limit(1);
    if let Some(run) = run {
        pick.and_where(column("run_id").eq(run));
    }
    Dialect::of(db).skip_locked(&mut pick);
    let mut update = Query::update();
    update
        .table(Alias::new(JOBS))
        .value(Alias::new("status"), JobStatus::Running.code())
        .value(Alias::new("attempts"), column("attempts").add(1))
        .value(Alias::new("worker"), worker)
        .value(Alias::new("lease_until"), lease_until)
        .value(Alias::new("started_at"), now)
        .value(Alias::new("error"), Option::<String>::None)
        // `=` with a scalar subquery: PostgreSQL runs it once. `IN (…
        // LIMIT 1 … SKIP LOCKED)` may run again for each row scanned and
        // claim several jobs with one statement.
        .and_where(column("id").eq(Expr::SubQuery(
            None,
            Box::new(pick.into_sub_query_statement()),
        )))
        // Checked again on the row itself: another worker may have taken it
        // between the pick and the update.
        .and_where(claimable(now))
        .returning(
            Query::returning().columns(
                [
                    "id",
                    "run_id",
                    "team_id",
                    "attempts",
                    "worker",
                    "lease_until",
                ]
                .map(Alias::new),
            ),
        );
    let Some(row) = db.query_one(&update).await? else {
        return Ok(None);
    };
    Ok(Some(Claim {
        job_id: row.try_get("", "id")?,
        run_id: row.try_get("", "run_id")?,
        team_id: row.try_get("", "team_id")?,
        worker: row.try_get("", "worker")?,
        attempt: row.try_get("", "attempts")?,
        lease_until: row.try_get("", "lease_until")?,
    }))
}

/// Jobs whose lease ran out after their last claim fail for good.
async fn give_up_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), StoreError> {
    let mut update = Query::update();
    update
        .table(Alias::new(JOBS))
        .value(Alias::new("status"), JobStatus::Failed.code())
        .value(Alias::new("lease_until"), Option::<DateTime<Utc>>::None)
        .value(Alias::new("finished_at"), now)
        .value(
            Alias::new("error"),
            format!(
                "bỏ sau {MAX_ATTEMPTS} lần nhận mà không xong / given up after {MAX_ATTEMPTS} \
                 claims that never finished (the worker died each time)"
            ),
        )
        .and_where(column("status").eq(JobStatus::Running.code()))
        .and_where(column("lease_until").lt(now))
        .and_where(column("attempts").gte(MAX_ATTEMPTS));
    db.execute(&update).await?;
    Ok(())
}

/// The claim's job, only while the claim still holds it.
fn held(claim: &Claim) -> Expr {
    column("id")
        .eq(claim.job_id)
        .and(column("worker").eq(claim.worker.as_str()))
        .and(column("attempts").eq(claim.attempt))
        .and(column("status").eq(JobStatus::Running.code()))
}

/// Marks the claim's job done and saves its plan (a draft, published when
/// `publish`), in one transaction, only while the claim still holds the job;
/// otherwise writes nothing and answers [`Completion::LeaseLost`].
///
/// # Errors
/// The database fails; nothing is written.
#[allow(clippy::too_many_arguments)]
pub async fn complete<C>(
    db: &C,
    claim: &Claim,
    figures: &JobFigures,
    plan: Option<(&NewPlan, &[NewVisit], &[UnmetRecord])>,
    publish: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Completion, StoreError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>,
{
    let started = std::time::Instant::now();
    let txn = super::begin_writing(db).await?;
    // The job's row first: it is locked until the commit, so a worker
    // claiming it meanwhile skips it, and one that took it over already
    // makes this update match nothing.
    let mut update = Query::update();
    update
        .table(Alias::new(JOBS))
        .value(Alias::new("status"), JobStatus::Done.code())
        .value(Alias::new("lease_until"), Option::<DateTime<Utc>>::None)
        .value(Alias::new("finished_at"), now)
        .value(Alias::new("households"), figures.households)
        .value(Alias::new("visits"), figures.visits)
        .value(
            Alias::new("unmet"),
            serde_json::to_string(&figures.unmet).expect("counts serialise"),
        )
        .value(Alias::new("read_ms"), clamp(figures.read_ms))
        .value(Alias::new("plan_ms"), clamp(figures.plan_ms))
        .value(Alias::new("note"), figures.note.clone())
        .and_where(held(claim));
    if txn.execute(&update).await?.rows_affected() == 0 {
        txn.rollback().await?;
        return Ok(Completion::LeaseLost);
    }
    let plan_id = match plan {
        Some((plan, visits, unmet)) => {
            let saved = plans::create_plan(&txn, plan, visits, unmet, actor, now).await?;
            if publish {
                plans::publish_plan(&txn, saved.id, actor, now).await?;
            }
            Some(saved.id)
        }
        None => None,
    };
    let mut update = Query::update();
    update
        .table(Alias::new(JOBS))
        .value(Alias::new("plan_id"), plan_id)
        .value(
            Alias::new("save_ms"),
            clamp(started.elapsed().as_millis() as i64),
        )
        .and_where(column("id").eq(claim.job_id));
    txn.execute(&update).await?;
    txn.commit().await?;
    Ok(Completion::Done { plan_id })
}

fn clamp(v: i64) -> i32 {
    v.clamp(0, i64::from(i32::MAX)) as i32
}

/// Gives the claim's job back with `error`: queued again when `retry` and
/// claims are left, else failed for good. `false`: the claim no longer
/// held it.
///
/// # Errors
/// The database fails.
pub async fn release(
    db: &impl ConnectionTrait,
    claim: &Claim,
    error: &str,
    retry: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let status = if retry && claim.attempt < MAX_ATTEMPTS {
        JobStatus::Queued
    } else {
        JobStatus::Failed
    };
    let mut update = Query::update();
    update
        .table(Alias::new(JOBS))
        .value(Alias::new("status"), status.code())
        .value(Alias::new("lease_until"), Option::<DateTime<Utc>>::None)
        .value(Alias::new("error"), error)
        .value(
            Alias::new("finished_at"),
            (status == JobStatus::Failed).then_some(now),
        )
        .and_where(held(claim));
    Ok(db.execute(&update).await?.rows_affected() > 0)
}

/// Gives back, queued and without counting the claim, every job these
/// workers hold (a worker stopping cleanly). Returns how many.
///
/// # Errors
/// The database fails.
pub async fn release_workers(
    db: &impl ConnectionTrait,
    workers: &[String],
) -> Result<u64, StoreError> {
    if workers.is_empty() {
        return Ok(0);
    }
    let mut update = Query::update();
    update
        .table(Alias::new(JOBS))
        .value(Alias::new("status"), JobStatus::Queued.code())
        .value(Alias::new("lease_until"), Option::<DateTime<Utc>>::None)
        .value(Alias::new("attempts"), column("attempts").sub(1))
        .and_where(column("status").eq(JobStatus::Running.code()))
        .and_where(column("worker").is_in(workers.iter().map(String::as_str)));
    Ok(db.execute(&update).await?.rows_affected())
}

/// Marks finished every running run (or only `run`) that has no queued or
/// running job left; returns their ids.
///
/// # Errors
/// The database fails.
pub async fn close_runs(
    db: &impl ConnectionTrait,
    run: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Vec<i32>, StoreError> {
    let mut open = Query::select();
    open.column(Alias::new("id"))
        .from(Alias::new(RUNS))
        .and_where(column("status").eq(RunStatus::Running.code()))
        .limit(1);
    if let Some(run) = run {
        open.and_where(column("id").eq(run));
    }
    if db.query_one(&open).await?.is_none() {
        return Ok(Vec::new());
    }
    let mut left = Query::select();
    left.expr(Expr::val(1))
        .from(Alias::new(JOBS))
        .and_where(qualified(JOBS, "run_id").equals((Alias::new(RUNS), Alias::new("id"))))
        .and_where(
            qualified(JOBS, "status").is_in([JobStatus::Queued.code(), JobStatus::Running.code()]),
        );
    let mut update = Query::update();
    update
        .table(Alias::new(RUNS))
        .value(Alias::new("status"), RunStatus::Finished.code())
        .value(Alias::new("finished_at"), now)
        .value(Alias::new("open_key"), Option::<String>::None)
        .and_where(column("status").eq(RunStatus::Running.code()))
        .and_where(Expr::exists(left).not())
        .returning_col(Alias::new("id"));
    if let Some(run) = run {
        update.and_where(column("id").eq(run));
    }
    db.query_all(&update)
        .await?
        .iter()
        .map(|r| Ok(r.try_get::<i32>("", "id")?))
        .collect()
}

/// Jobs queued or running: of `run`, or of every run; and the soonest a
/// running one's lease runs out.
///
/// # Errors
/// The database fails.
pub async fn pending(
    db: &impl ConnectionTrait,
    run: Option<i32>,
) -> Result<(i64, Option<DateTime<Utc>>), StoreError> {
    let mut select = Query::select();
    select
        .expr_as(Func::count(Expr::col(Alias::new("id"))), Alias::new("n"))
        .expr_as(
            Func::min(Expr::col(Alias::new("lease_until"))),
            Alias::new("soonest"),
        )
        .from(Alias::new(JOBS))
        .and_where(column("status").is_in([JobStatus::Queued.code(), JobStatus::Running.code()]));
    if let Some(run) = run {
        select.and_where(column("run_id").eq(run));
    }
    let Some(row) = db.query_one(&select).await? else {
        return Ok((0, None));
    };
    Ok((row.try_get("", "n")?, row.try_get("", "soonest")?))
}

/// A run's jobs by status, with the households and visits of the done ones.
///
/// # Errors
/// The database fails.
pub async fn run_progress(
    db: &impl ConnectionTrait,
    run_id: i32,
) -> Result<RunProgress, StoreError> {
    let mut select = Query::select();
    select
        .column(Alias::new("status"))
        .expr_as(Func::count(Expr::col(Alias::new("id"))), Alias::new("n"))
        .expr_as(
            Func::coalesce([
                Func::sum(Expr::col(Alias::new("households"))).into(),
                Expr::val(0),
            ]),
            Alias::new("households"),
        )
        .expr_as(
            Func::coalesce([
                Func::sum(Expr::col(Alias::new("visits"))).into(),
                Expr::val(0),
            ]),
            Alias::new("visits"),
        )
        .from(Alias::new(JOBS))
        .and_where(column("run_id").eq(run_id))
        .group_by_col(Alias::new("status"));
    let mut progress = RunProgress::default();
    for row in db.query_all(&select).await? {
        let status: Code<JobStatus> = row.try_get("", "status")?;
        let n: i64 = row.try_get("", "n")?;
        progress.total += n;
        match status.0 {
            JobStatus::Queued => progress.queued += n,
            JobStatus::Running => progress.running += n,
            JobStatus::Done => {
                progress.done += n;
                progress.households += row.try_get::<i64>("", "households")?;
                progress.visits += row.try_get::<i64>("", "visits")?;
            }
            JobStatus::Failed => progress.failed += n,
        }
    }
    Ok(progress)
}

/// A run's jobs, by id.
///
/// # Errors
/// The database fails.
pub async fn run_jobs(
    db: &impl ConnectionTrait,
    run_id: i32,
) -> Result<Vec<JobRecord>, StoreError> {
    let mut select = Query::select();
    select
        .columns(JOB_COLUMNS.map(Alias::new))
        .from(Alias::new(JOBS))
        .and_where(column("run_id").eq(run_id))
        .order_by(Alias::new("id"), Order::Asc);
    db.query_all(&select)
        .await?
        .iter()
        .map(job_record)
        .collect()
}
