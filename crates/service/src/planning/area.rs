//! Planning every team under an area: a run with one job per team, worked
//! by any number of workers in any number of processes.
//!
//! [`start_run`] opens the run (or finds the one still open for the same
//! area, first day and days: a run that stopped half way is resumed, never
//! started twice). A worker ([`work_one`], or the loop [`work`]) claims a job
//! with a lease, plans its team through the same code as
//! [`plan_team`](super::plan_team) on a blocking thread, and saves the plan
//! and marks the job done in one transaction, only while its claim still
//! holds the job. A worker that dies leaves its job to be claimed again when
//! the lease runs out; whatever it had planned is never written, so a team
//! gets at most one plan from a run.
//!
//! Jobs take `now` (or a clock) as an argument.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use doorstep_core::UserRole;
use doorstep_store::Store;
use doorstep_store::repo::jobs::{self, JobFigures};
use doorstep_tide::Catalog;
use serde::{Deserialize, Serialize};

pub use doorstep_store::repo::jobs::{
    Claim, Completion, JobRecord, JobStatus, RunProgress, RunRecord, RunStatus,
};

use super::{PlanRequest, days_error, make_plan, start_error};
use crate::access::Actor;
use crate::error::{FieldError, ServiceError};

/// The longest search a run may give each team, in seconds.
pub const MAX_TEAM_TIME_LIMIT_S: f64 = 30.0;
/// The shortest, in seconds.
pub const MIN_TEAM_TIME_LIMIT_S: f64 = 0.01;

/// How each team of a run is planned; stored with the run, so that every
/// worker plans its jobs alike.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    /// Milliseconds of search per team.
    pub time_limit_ms: u64,
    /// Seed of the planner's random choices.
    pub seed: u64,
    /// Publish each team's plan as it is saved.
    pub publish: bool,
    /// A fixed search per team instead of the time limit (see
    /// [`PlanRequest::iterations`]); absent in runs stored before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u64>,
}

/// What to plan over an area.
#[derive(Clone, Debug, PartialEq)]
pub struct AreaRequest {
    /// The first day, in each team's calendar.
    pub start: NaiveDate,
    /// How many days.
    pub days: u32,
    /// How each team is planned.
    pub options: RunOptions,
}

impl AreaRequest {
    /// Checks the request's numbers; every problem at once.
    ///
    /// # Errors
    /// The fields out of range, each with what was expected.
    pub fn check(&self) -> Result<(), ServiceError> {
        let mut errors = Vec::new();
        errors.extend(days_error(self.days));
        let secs = self.options.time_limit_ms as f64 / 1000.0;
        if !(MIN_TEAM_TIME_LIMIT_S..=MAX_TEAM_TIME_LIMIT_S).contains(&secs) {
            errors.push(FieldError::new(
                "time_limit_s",
                format!(
                    "thời gian tính cho mỗi tổ phải từ {MIN_TEAM_TIME_LIMIT_S} đến \
                     {MAX_TEAM_TIME_LIMIT_S} giây, nhận {secs}"
                ),
                format!(
                    "time_limit_s per team must be {MIN_TEAM_TIME_LIMIT_S} to \
                     {MAX_TEAM_TIME_LIMIT_S} seconds, got {secs}"
                ),
            ));
        }
        errors.extend(super::iterations_error(self.options.iterations));
        errors.extend(start_error(self.start, self.days));
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(errors))
        }
    }
}

/// A run opened or found open.
#[derive(Clone, Debug, PartialEq)]
pub struct RunStarted {
    /// The run.
    pub run: RunRecord,
    /// `false`: it was already open (resumed); its own options hold.
    pub created: bool,
}

/// Not found unless the area exists and lies in the actor's; forbidden
/// unless the actor is an official of it or an administrator.
async fn require_plan_area(store: &Store, actor: &Actor, area_id: i32) -> Result<(), ServiceError> {
    let db = store.connection();
    let not_found = || ServiceError::not_found("area", area_id);
    doorstep_store::find_area(db, area_id)
        .await?
        .ok_or_else(not_found)?;
    let forbidden = || {
        ServiceError::Forbidden(
            "chỉ cán bộ của địa bàn hoặc quản trị viên mới lập kế hoạch cho cả địa bàn".into(),
            "only an official of the area or an administrator may plan a whole area".into(),
        )
    };
    match actor.role {
        UserRole::Admin => Ok(()),
        UserRole::Official => match actor.area_id {
            Some(own) if doorstep_store::area_within(db, area_id, own).await? => Ok(()),
            _ => Err(not_found()),
        },
        UserRole::Leader => {
            let team = match actor.team_id {
                Some(team) => doorstep_store::find_team(db, team).await?,
                None => None,
            }
            .ok_or_else(not_found)?;
            let related = doorstep_store::area_within(db, area_id, team.area_id).await?
                || doorstep_store::area_within(db, team.area_id, area_id).await?;
            Err(if related { forbidden() } else { not_found() })
        }
        UserRole::Volunteer => Err(forbidden()),
    }
}

/// Opens a run over every team under `area_id`, one queued job each; or
/// finds the run still open for the same area, first day and days (which
/// keeps its own options).
///
/// # Errors
/// The area is unknown or out of the actor's reach (not found), the actor
/// is not an official of it nor an administrator (forbidden), the request is
/// out of range (every field), the area has no team (conflict), or the store
/// fails.
pub async fn start_run(
    store: &Store,
    actor: &Actor,
    area_id: i32,
    request: &AreaRequest,
    now: DateTime<Utc>,
) -> Result<RunStarted, ServiceError> {
    require_plan_area(store, actor, area_id).await?;
    request.check()?;
    let db = store.connection();
    if let Some(run) = jobs::find_open_run(db, area_id, request.start, request.days).await? {
        return Ok(RunStarted {
            run,
            created: false,
        });
    }
    let teams = jobs::teams_under_area(db, area_id).await?;
    if teams.is_empty() {
        return Err(ServiceError::Conflict(
            format!("địa bàn {area_id} không có tổ nào để lập kế hoạch"),
            format!("area {area_id} has no team to plan"),
        ));
    }
    let (run, created) = jobs::open_run(
        db,
        &jobs::NewRun {
            area_id,
            start_date: request.start,
            days: request.days,
            options: serde_json::to_value(&request.options).expect("options serialise"),
            created_by: actor.label(),
            teams,
        },
        now,
    )
    .await?;
    Ok(RunStarted { run, created })
}

/// A run the actor may see, or not found.
///
/// # Errors
/// Not found (also when out of the actor's reach), forbidden, or the store
/// fails.
pub async fn find_run(
    store: &Store,
    actor: &Actor,
    run_id: i32,
) -> Result<RunRecord, ServiceError> {
    let run = jobs::find_run(store.connection(), run_id)
        .await?
        .ok_or_else(|| run_not_found(run_id))?;
    require_plan_area(store, actor, run.area_id)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound { .. } => run_not_found(run_id),
            other => other,
        })?;
    Ok(run)
}

fn run_not_found(run_id: i32) -> ServiceError {
    ServiceError::NotFound {
        vi: format!("không tìm thấy đợt lập kế hoạch {run_id}"),
        en: format!("plan run {run_id} does not exist"),
    }
}

/// The options a run was opened with.
///
/// # Errors
/// The stored options do not read (a bug, or a run written by a newer
/// version).
pub fn run_options(run: &RunRecord) -> Result<RunOptions, ServiceError> {
    serde_json::from_value(run.options.clone()).map_err(|e| {
        ServiceError::Internal(format!(
            "plan run {}: stored options {} do not read: {e}",
            run.id, run.options
        ))
    })
}

/// One worker: its name in the jobs' rows, how long it holds a job, and the
/// planner threads it gives a team.
#[derive(Clone, Debug)]
pub struct Worker {
    /// Unique among the processes sharing the database (host, process,
    /// number).
    pub id: String,
    /// How long a claim holds a job; longer than a team's planning.
    pub lease: Duration,
    /// Planner threads per team.
    pub threads: usize,
}

/// What became of a job.
#[derive(Clone, Debug, PartialEq)]
pub enum JobOutcome {
    /// Saved: its plan, or `None` when there was nothing to plan.
    Done {
        /// The plan.
        plan_id: Option<i32>,
        /// Its figures.
        figures: JobFigures,
    },
    /// Another worker took the job over (the lease ran out): nothing was
    /// written.
    LeaseLost,
    /// Planning failed; the job is queued again (`retried`) or failed for
    /// good.
    Failed {
        /// Why.
        error: String,
        /// Queued again.
        retried: bool,
    },
}

/// A job a worker worked.
#[derive(Clone, Debug, PartialEq)]
pub struct JobReport {
    /// The claim.
    pub claim: Claim,
    /// What became of it.
    pub outcome: JobOutcome,
}

/// Claims one job (of `run`, or of any run) and works it: plans its team on
/// a blocking thread, saves the plan and marks the job done in one
/// transaction. `None`: no job to claim now. The clock is read when the job
/// is claimed and when it is saved.
///
/// # Errors
/// The store fails while claiming or saving (the job is left to its lease).
/// A team that cannot be planned is not an error: its job fails, with why.
pub async fn work_one(
    store: &Store,
    catalog: &Catalog,
    worker: &Worker,
    run: Option<i32>,
    clock: &(dyn Fn() -> DateTime<Utc> + Sync),
) -> Result<Option<JobReport>, ServiceError> {
    let db = store.connection();
    let now = clock();
    let lease = chrono::Duration::from_std(worker.lease).unwrap_or(chrono::Duration::MAX);
    let Some(claim) = jobs::claim(db, &worker.id, run, now, now + lease).await? else {
        return Ok(None);
    };
    let started = Instant::now();
    let planned = match jobs::find_run(db, claim.run_id).await? {
        Some(run) => match run_options(&run) {
            Ok(options) => {
                let request = PlanRequest {
                    start: run.start_date,
                    days: run.days,
                    time_limit: Duration::from_millis(options.time_limit_ms),
                    seed: options.seed,
                    threads: worker.threads.max(1),
                    iterations: options.iterations,
                };
                make_plan(
                    store,
                    catalog,
                    claim.team_id,
                    &request,
                    started,
                    &[],
                    true,
                    now,
                )
                .await
                .map(|made| (run, options, made))
            }
            Err(e) => Err(e),
        },
        None => Err(run_not_found(claim.run_id)),
    };
    let (run, options, made) = match planned {
        Ok(planned) => planned,
        Err(e) => {
            // The database failing may pass; a team that does not plan
            // (its zone is not a zone…) fails alike the next time.
            let retried = matches!(e, ServiceError::Store(_));
            let error = match &e {
                ServiceError::Invalid(errors) => errors
                    .iter()
                    .map(|f| format!("{}: {} / {}", f.field, f.message_vi, f.message_en))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => format!("{} / {}", other.message(true), other),
            };
            tracing::warn!(job = claim.job_id, team = claim.team_id, %error, "planning job failed");
            let released = jobs::release(db, &claim, &error, retried, clock()).await?;
            return Ok(Some(JobReport {
                claim,
                outcome: if released {
                    JobOutcome::Failed { error, retried }
                } else {
                    JobOutcome::LeaseLost
                },
            }));
        }
    };
    let mut unmet = BTreeMap::new();
    for u in &made.unmet {
        *unmet.entry(u.reason.code().to_owned()).or_insert(0) += 1;
    }
    let mut figures = JobFigures {
        households: made.households as i32,
        visits: made.visits.len() as i32,
        unmet,
        read_ms: made.read_ms as i64,
        plan_ms: made.plan_ms as i64,
        save_ms: 0,
        note: None,
    };
    let nothing = made.jobs == 0 && made.unmet.is_empty();
    if nothing {
        figures.note = Some(
            "không có hộ nào cần thăm, không lập kế hoạch / no household to visit, no plan made"
                .to_owned(),
        );
    }
    let saving = Instant::now();
    let completion = jobs::complete(
        db,
        &claim,
        &figures,
        (!nothing).then_some((&made.plan, made.visits.as_slice(), made.unmet.as_slice())),
        options.publish,
        &run.created_by,
        clock(),
    )
    .await?;
    figures.save_ms = saving.elapsed().as_millis() as i64;
    let outcome = match completion {
        Completion::Done { plan_id } => JobOutcome::Done { plan_id, figures },
        Completion::LeaseLost => {
            tracing::warn!(
                job = claim.job_id,
                team = claim.team_id,
                worker = %claim.worker,
                "planning job taken over by another worker after its lease ran out; this plan is not saved"
            );
            JobOutcome::LeaseLost
        }
    };
    Ok(Some(JobReport { claim, outcome }))
}

/// Between two looks while other workers hold jobs.
const HELD_POLL: Duration = Duration::from_millis(500);

/// How [`work`] runs.
#[derive(Clone, Debug)]
pub struct WorkOptions {
    /// The workers, each working one job at a time.
    pub workers: Vec<Worker>,
    /// Only this run's jobs; `None`: any run's.
    pub run: Option<i32>,
    /// Between two looks when nothing can be claimed.
    pub poll: Duration,
    /// Keep looking for new jobs when every run is finished (`serve`,
    /// `worker --wait`); otherwise stop then.
    pub keep_polling: bool,
}

/// What [`work`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkReport {
    /// Jobs done (planned, or nothing to plan).
    pub done: usize,
    /// Jobs whose planning failed.
    pub failed: usize,
    /// Jobs another worker took over.
    pub lost: usize,
}

/// Works jobs with every worker at once until nothing is queued or running
/// (of `options.run`, or of any run) — waiting while other workers hold
/// jobs, to take them over should their leases run out — or, with
/// `keep_polling`, until `stop`. Finished runs are closed on the way.
/// `on_job` hears of each job worked.
///
/// # Errors
/// The store fails (the first failure of any worker; the jobs it held are
/// left to their leases).
pub async fn work(
    store: &Store,
    catalog: &Catalog,
    options: &WorkOptions,
    clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    stop: &AtomicBool,
    on_job: &(dyn Fn(&JobReport) + Sync),
) -> Result<WorkReport, ServiceError> {
    let loops = options.workers.iter().map(|worker| async move {
        let mut report = WorkReport::default();
        while !stop.load(Ordering::Relaxed) {
            if let Some(job) = work_one(store, catalog, worker, options.run, clock).await? {
                match &job.outcome {
                    JobOutcome::Done { .. } => report.done += 1,
                    JobOutcome::Failed { .. } => report.failed += 1,
                    JobOutcome::LeaseLost => report.lost += 1,
                }
                on_job(&job);
                continue;
            }
            jobs::close_runs(store.connection(), options.run, clock()).await?;
            let (pending, soonest) = jobs::pending(store.connection(), options.run).await?;
            if pending == 0 && !options.keep_polling {
                break;
            }
            // Jobs held by other workers end soon, or come back when their
            // lease runs out: look again often while there are some.
            let mut wait = options.poll;
            if pending > 0 {
                wait = wait.min(HELD_POLL);
            }
            if let Some(at) = soonest
                && let Ok(until) = (at - clock()).to_std()
            {
                wait = wait.min(until + Duration::from_millis(50));
            }
            let step = Duration::from_millis(100);
            let mut waited = Duration::ZERO;
            while waited < wait.max(step) && !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(step).await;
                waited += step;
            }
        }
        Ok::<WorkReport, ServiceError>(report)
    });
    let mut total = WorkReport::default();
    for result in futures_util::future::join_all(loops).await {
        let report = result?;
        total.done += report.done;
        total.failed += report.failed;
        total.lost += report.lost;
    }
    Ok(total)
}

/// Gives back the jobs these workers hold, queued again (a worker stopping
/// cleanly, e.g. on Ctrl-C), so that nobody waits for their leases.
///
/// # Errors
/// The store fails.
pub async fn release_workers(store: &Store, workers: &[Worker]) -> Result<u64, ServiceError> {
    let ids: Vec<String> = workers.iter().map(|w| w.id.clone()).collect();
    Ok(jobs::release_workers(store.connection(), &ids).await?)
}

/// What a run did, from its jobs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunSummary {
    /// Teams planned (or with nothing to plan).
    pub teams_done: usize,
    /// Teams whose planning failed for good.
    pub teams_failed: usize,
    /// Teams with nothing to plan.
    pub teams_without_plan: usize,
    /// Households of the teams done.
    pub households: i64,
    /// Visits planned.
    pub visits: i64,
    /// Unmet entries by reason code.
    pub unmet_by_reason: BTreeMap<String, i64>,
    /// Milliseconds reading teams, in all.
    pub read_ms: i64,
    /// Milliseconds planning, in all.
    pub plan_ms: i64,
    /// Milliseconds saving, in all.
    pub save_ms: i64,
    /// The failed teams with why (the first 20).
    pub failures: Vec<(i32, String)>,
    /// Jobs claimed more than once (their worker died or gave them back).
    pub retried: usize,
}

/// Sums a run's jobs.
pub fn summarize(jobs: &[JobRecord]) -> RunSummary {
    let mut s = RunSummary::default();
    for job in jobs {
        if job.attempts > 1 {
            s.retried += 1;
        }
        match job.status {
            JobStatus::Done => {
                s.teams_done += 1;
                if let Some(f) = &job.figures {
                    s.households += i64::from(f.households);
                    s.visits += i64::from(f.visits);
                    for (reason, n) in &f.unmet {
                        *s.unmet_by_reason.entry(reason.clone()).or_insert(0) += n;
                    }
                    s.read_ms += f.read_ms;
                    s.plan_ms += f.plan_ms;
                    s.save_ms += f.save_ms;
                }
                if job.plan_id.is_none() {
                    s.teams_without_plan += 1;
                }
            }
            JobStatus::Failed => {
                s.teams_failed += 1;
                if s.failures.len() < 20 {
                    s.failures
                        .push((job.team_id, job.error.clone().unwrap_or_default()));
                }
            }
            JobStatus::Queued | JobStatus::Running => {}
        }
    }
    s
}

/// A run with where its jobs stand and what the done ones did.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    /// The run.
    pub run: RunRecord,
    /// Its jobs by status.
    pub progress: RunProgress,
    /// The done and failed jobs summed.
    pub summary: RunSummary,
}

/// Where a run's jobs stand (cheap: counted in SQL).
///
/// # Errors
/// The store fails.
pub async fn progress(store: &Store, run_id: i32) -> Result<RunProgress, ServiceError> {
    Ok(jobs::run_progress(store.connection(), run_id).await?)
}

/// A run, where its jobs stand and their figures summed.
///
/// # Errors
/// Not found (also when out of the actor's reach), forbidden, or the store
/// fails.
pub async fn run_report(
    store: &Store,
    actor: &Actor,
    run_id: i32,
) -> Result<RunReport, ServiceError> {
    let run = find_run(store, actor, run_id).await?;
    let progress = jobs::run_progress(store.connection(), run_id).await?;
    let jobs = jobs::run_jobs(store.connection(), run_id).await?;
    Ok(RunReport {
        run,
        progress,
        summary: summarize(&jobs),
    })
}

/// A run's jobs, by id (for tests and inspection).
///
/// # Errors
/// Not found, forbidden, or the store fails.
pub async fn run_jobs(
    store: &Store,
    actor: &Actor,
    run_id: i32,
) -> Result<Vec<JobRecord>, ServiceError> {
    find_run(store, actor, run_id).await?;
    Ok(jobs::run_jobs(store.connection(), run_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: JobStatus, attempts: i32, figures: Option<JobFigures>) -> JobRecord {
        JobRecord {
            id: 1,
            run_id: 1,
            team_id: 7,
            status,
            attempts,
            worker: None,
            lease_until: None,
            plan_id: figures.as_ref().map(|_| 3),
            error: (status == JobStatus::Failed).then(|| "boom".to_owned()),
            figures,
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn a_summary_adds_the_done_jobs_and_lists_the_failed() {
        let figures = |visits: i32, no_window: i64| JobFigures {
            households: 10,
            visits,
            unmet: BTreeMap::from([("no_window".to_owned(), no_window)]),
            read_ms: 5,
            plan_ms: 100,
            save_ms: 7,
            note: None,
        };
        let s = summarize(&[
            job(JobStatus::Done, 1, Some(figures(6, 4))),
            job(JobStatus::Done, 2, Some(figures(8, 2))),
            job(JobStatus::Failed, 1, None),
            job(JobStatus::Queued, 0, None),
        ]);
        assert_eq!((s.teams_done, s.teams_failed, s.retried), (2, 1, 1));
        assert_eq!((s.households, s.visits), (20, 14));
        assert_eq!(s.unmet_by_reason["no_window"], 6);
        assert_eq!((s.read_ms, s.plan_ms, s.save_ms), (10, 200, 14));
        assert_eq!(s.failures, vec![(7, "boom".to_owned())]);
    }

    #[test]
    fn requests_out_of_range_name_every_field() {
        let request = AreaRequest {
            start: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            days: 0,
            options: RunOptions {
                time_limit_ms: 0,
                seed: 1,
                publish: false,
                iterations: Some(5),
            },
        };
        let Err(ServiceError::Invalid(errors)) = request.check() else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["days", "time_limit_s", "iterations"]);
    }
}
