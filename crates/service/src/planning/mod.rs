//! Planning a team's visits from its stored data: plan, re-plan, publish,
//! edit a visit, blackouts. One use case per function; the HTTP API and the
//! CLI call the same ones.
//!
//! A plan is made in four steps: the team's snapshot is loaded; every rule
//! is expanded once for the horizon with one shared [`ExpansionContext`];
//! the [`reader`] builds the planner's instance; the planner runs on a
//! blocking thread within its time limit, its answer is re-checked by the
//! independent checker, and the plan, its visits, its unmet households and
//! an audit entry are saved in one transaction.

pub mod area;
pub mod changes;
mod edit;
pub mod reader;

pub(crate) use edit::replaced_visit;
pub use edit::{VisitPatch, edit_visit};

/// The stored records a plan is made of, as the edges see them.
pub mod records {
    pub use doorstep_store::repo::plans::{
        NotPublished, PlanFigures, PlanRecord, Published, UnmetRecord, VisitRecord,
    };
}

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use doorstep_core::rules::{Blackout, ExpansionContext, RuleContext};
use doorstep_core::{PlanStatus, UnmetReason, VisitMode, VisitStatus};
use doorstep_scheduler::{Concerns, Params, Problem, checker};
use doorstep_store::Store;
use doorstep_store::repo::plans::{
    self, NewPlan, NewVisit, PlanFigures, PlanRecord, UnmetRecord, VisitRecord,
};
use doorstep_store::repo::snapshot::{self, TeamSnapshot};
use doorstep_tide::Catalog;
use serde::Serialize;

use crate::access::Actor;
use crate::error::{FieldError, ServiceError};
pub use reader::{Job, Mapped, ScopedBlackout};

/// The longest horizon a plan may have, in days.
pub const MAX_DAYS: u32 = 62;
/// The longest time the planner may be given, in seconds.
pub const MAX_TIME_LIMIT_S: u64 = 120;

/// What to plan.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// The first day, in the team's calendar.
    pub start: NaiveDate,
    /// How many days.
    pub days: u32,
    /// How long the planner may search.
    pub time_limit: Duration,
    /// Seed of the planner's random choices.
    pub seed: u64,
    /// Planner threads.
    pub threads: usize,
    /// A fixed search instead of the time limit: about this many iterations
    /// per thread, the same plan for the same seed and threads whatever the
    /// machine's load (tests, benchmarks).
    pub iterations: Option<u64>,
}

/// How long a re-plan searches: a time limit on the given threads, or a
/// fixed number of iterations (the same plan whatever the machine's load).
#[derive(Debug, Clone, Copy)]
pub struct Search {
    /// How long the planner may search.
    pub time_limit: Duration,
    /// Planner threads.
    pub threads: usize,
    /// A fixed search instead of the time limit (see [`PlanRequest::iterations`]).
    pub iterations: Option<u64>,
}

/// The largest fixed search a request may ask for, in iterations.
pub const MAX_ITERATIONS: u64 = 5_000_000;

impl PlanRequest {
    /// Checks the request's numbers; every problem at once.
    ///
    /// # Errors
    /// The fields out of range, each with what was expected.
    pub fn check(&self) -> Result<(), ServiceError> {
        let mut errors = Vec::new();
        errors.extend(days_error(self.days));
        let secs = self.time_limit.as_secs_f64();
        if !(0.1..=MAX_TIME_LIMIT_S as f64).contains(&secs) {
            errors.push(FieldError::new(
                "time_limit_s",
                format!("thời gian tính phải từ 0,1 đến {MAX_TIME_LIMIT_S} giây, nhận {secs}"),
                format!("time_limit_s must be 0.1 to {MAX_TIME_LIMIT_S} seconds, got {secs}"),
            ));
        }
        errors.extend(iterations_error(self.iterations));
        errors.extend(start_error(self.start, self.days));
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(errors))
        }
    }
}

impl Search {
    /// Checks the fixed search, if any.
    ///
    /// # Errors
    /// `iterations` out of range, with what was expected.
    pub fn check(&self) -> Result<(), ServiceError> {
        match iterations_error(self.iterations) {
            Some(error) => Err(ServiceError::Invalid(vec![error])),
            None => Ok(()),
        }
    }
}

/// The problem with a fixed search, if any.
pub(crate) fn iterations_error(iterations: Option<u64>) -> Option<FieldError> {
    iterations
        .filter(|n| !(64..=MAX_ITERATIONS).contains(n))
        .map(|n| {
            FieldError::new(
                "iterations",
                format!("số vòng tìm phải từ 64 đến {MAX_ITERATIONS}, nhận {n}"),
                format!("iterations must be 64 to {MAX_ITERATIONS}, got {n}"),
            )
        })
}

/// The problem with a number of days to plan, if any.
pub(crate) fn days_error(days: u32) -> Option<FieldError> {
    (!(1..=MAX_DAYS).contains(&days)).then(|| {
        FieldError::new(
            "days",
            format!("số ngày phải từ 1 đến {MAX_DAYS}, nhận {days}"),
            format!("days must be 1 to {MAX_DAYS}, got {days}"),
        )
    })
}

/// Days kept clear at each end of the lunar calendar's range (1800–2199):
/// the windows of a plan's days are expanded with three days around them
/// in every zone (±14 h), which the calendar must still hold.
const CALENDAR_MARGIN_DAYS: u64 = 5;

/// The problem with a plan's days, if any: they must lie, with the days
/// their windows reach, within the lunar calendar (1800–2199). A start
/// outside it is named as such; one too near its end says the last day that
/// can be planned.
pub(crate) fn start_error(start: NaiveDate, days: u32) -> Option<FieldError> {
    use chrono::Days;
    let first = doorstep_lunar::FIRST_DATE + Days::new(CALENDAR_MARGIN_DAYS);
    let last = doorstep_lunar::LAST_DATE - Days::new(CALENDAR_MARGIN_DAYS);
    if start < doorstep_lunar::FIRST_DATE || start > doorstep_lunar::LAST_DATE {
        return Some(FieldError::new(
            "start",
            format!("ngày bắt đầu phải trong 1800–2199, nhận {start}"),
            format!("start must be within 1800–2199, got {start}"),
        ));
    }
    // Days out of range are named by `days_error`; the end is reckoned
    // within the range, so that no count of days overflows the calendar.
    let Some(end) = start.checked_add_days(Days::new(u64::from(days.clamp(1, MAX_DAYS)) - 1))
    else {
        return Some(FieldError::new(
            "start",
            format!("ngày bắt đầu phải trong 1800–2199, nhận {start}"),
            format!("start must be within 1800–2199, got {start}"),
        ));
    };
    if start < first || end > last {
        return Some(FieldError::new(
            "start",
            format!(
                "các ngày của kế hoạch phải từ {} đến {} (lịch âm tính cho 1800–2199, cần thêm vài ngày ở hai đầu), nhận {start} với {days} ngày",
                first.format("%d/%m/%Y"),
                last.format("%d/%m/%Y")
            ),
            format!(
                "a plan's days must lie between {first} and {last} (the lunar calendar covers 1800–2199 and needs a few days at either end), got {start} for {days} days"
            ),
        ));
    }
    None
}

/// A plan with what it holds, and what the last planning did.
#[derive(Clone, Debug, Serialize)]
pub struct PlanOutcome {
    /// The plan.
    #[serde(skip)]
    pub plan: PlanRecord,
    /// Its visits.
    #[serde(skip)]
    pub visits: Vec<VisitRecord>,
    /// What it leaves out.
    #[serde(skip)]
    pub unmet: Vec<UnmetRecord>,
    /// Counts for people.
    pub summary: PlanSummary,
    /// The team's zone: times are shown in it.
    #[serde(skip)]
    pub zone: Tz,
    /// For a draft just made: what publishing it would change.
    #[serde(skip)]
    pub changes: Option<changes::Changes>,
}

/// The short summary a leader reads after planning.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PlanSummary {
    /// Visits planned.
    pub visits: usize,
    /// Unmet entries by reason code.
    pub unmet_by_reason: BTreeMap<&'static str, usize>,
    /// Σ priority of the visited jobs.
    pub objective: i64,
    /// Σ priority of the jobs that could be visited alone.
    pub upper_bound: i64,
    /// Minutes of travel.
    pub travel_minutes: i64,
    /// Households placed at their village's centre.
    pub approximate_locations: usize,
    /// Visits kept exactly (pinned, confirmed, done) by a re-plan.
    pub kept: usize,
    /// Visits a re-plan left where they were.
    pub unchanged: usize,
    /// Visits a re-plan added or moved.
    pub changed: usize,
    /// Kept visits that no longer fit (a blackout over a pinned visit…),
    /// kept as they are and listed for the leader.
    pub conflicts: Vec<i32>,
    /// Milliseconds from loading to saving.
    pub elapsed_ms: u64,
}

/// The team's local midnight of `date` (the first instant of the day, also
/// on a day whose midnight a DST change skips).
pub fn local_midnight(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let mut t = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    for _ in 0..(24 * 4) {
        match zone.from_local_datetime(&t) {
            chrono::LocalResult::Single(d) => return d.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(a, _) => return a.with_timezone(&Utc),
            chrono::LocalResult::None => t += chrono::Duration::minutes(15),
        }
    }
    t.and_utc()
}

/// The next quarter hour at or after `at` (whole minutes for the planner).
pub fn next_quarter(at: DateTime<Utc>) -> DateTime<Utc> {
    let quarter = 15 * 60;
    let secs = at.timestamp();
    let up = secs + (quarter - secs.rem_euclid(quarter)) % quarter;
    let up = if at.timestamp_subsec_nanos() > 0 && up == secs {
        up + quarter
    } else {
        up
    };
    DateTime::from_timestamp(up, 0).unwrap_or(at)
}

/// The team's zone, or an error naming the stored value.
///
/// # Errors
/// The stored zone is not an IANA name.
pub fn team_zone(snapshot: &TeamSnapshot) -> Result<Tz, ServiceError> {
    zone_named(&snapshot.team.timezone)
}

/// A team's stored zone, read.
///
/// # Errors
/// The stored name is not an IANA zone (field `timezone`).
pub(crate) fn zone_named(timezone: &str) -> Result<Tz, ServiceError> {
    timezone.parse::<Tz>().map_err(|_| {
        ServiceError::Invalid(vec![FieldError::new(
            "timezone",
            format!("múi giờ của tổ không hợp lệ: {timezone:?}"),
            format!("the team's time zone is not an IANA name: {timezone:?}"),
        )])
    })
}

/// The team's blackouts, parsed (a stored one that no longer reads is skipped
/// with a warning: it was valid when stored).
pub fn parse_blackouts(snapshot: &TeamSnapshot, catalog: &Catalog) -> Vec<ScopedBlackout> {
    let ctx = RuleContext::from_catalog(catalog);
    snapshot
        .blackouts
        .iter()
        .filter_map(|b| {
            let value = serde_json::from_str(&b.rule).ok()?;
            match Blackout::parse(&value, &ctx) {
                Ok(blackout) => Some(ScopedBlackout {
                    village_id: b.village_id,
                    blackout,
                }),
                Err(errors) => {
                    tracing::warn!(blackout = b.id, ?errors, "stored blackout no longer reads");
                    None
                }
            }
        })
        .collect()
}

pub(crate) async fn load_snapshot(
    store: &Store,
    team_id: i32,
) -> Result<TeamSnapshot, ServiceError> {
    snapshot::team_snapshot(store.connection(), team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))
}

/// What the planner was given and what it answered.
pub struct Solved {
    /// The instance and the way back.
    pub mapped: Mapped,
    /// The planner's plan, checked.
    pub plan: doorstep_scheduler::Plan<DateTime<Utc>>,
    /// Jobs of kept visits that no longer fit, left as they were.
    pub conflicts: Vec<String>,
}

impl Solved {
    /// The visits to store, with the residents expected and their needs.
    ///
    /// # Errors
    /// The planner answered an id the instance does not have (a bug).
    pub fn visits(&self) -> Result<Vec<NewVisit>, ServiceError> {
        Ok(to_visits(self)?.into_iter().map(|(_, v)| v).collect())
    }

    /// What the plan leaves out: the reader's (no consent, no rule) and the
    /// planner's, by household.
    pub fn unmet(&self) -> Vec<UnmetRecord> {
        to_unmet(self)
    }
}

/// Plans a snapshot over `[from, to)` without a database: read, solve on
/// the calling thread, check. The use cases run it on a blocking thread.
///
/// # Errors
/// The team's zone is not an IANA name, the horizon is outside 1800–2199,
/// or the planner or its checker refuses (a bug).
pub fn plan_snapshot(
    snapshot: &TeamSnapshot,
    catalog: &Catalog,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    params: Params<DateTime<Utc>>,
) -> Result<Solved, ServiceError> {
    solve(snapshot, catalog, from, to, Keep::default(), params)
}

/// What a planning run keeps exactly and what it may change.
#[derive(Default)]
struct Keep {
    /// (job, member, start) of the visits kept exactly.
    pinned: Vec<(String, i32, DateTime<Utc>)>,
    /// Jobs already visited.
    skip: BTreeSet<String>,
    /// The previous plan's movable visits.
    hint: Option<doorstep_scheduler::Plan<DateTime<Utc>>>,
}

/// Reads, solves and checks on the calling (blocking) thread.
fn solve(
    snapshot: &TeamSnapshot,
    catalog: &Catalog,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    keep: Keep,
    params: Params<DateTime<Utc>>,
) -> Result<Solved, ServiceError> {
    let zone = team_zone(snapshot)?;
    let blackouts = parse_blackouts(snapshot, catalog);
    let ctx = ExpansionContext::new(from, to, zone, catalog.clone())
        .map_err(|e| ServiceError::Internal(format!("expansion: {e}")))?;
    let mut pinned = keep.pinned;
    let mut skip = keep.skip;
    let mut conflicts = Vec::new();
    loop {
        let mapped = reader::read(&reader::ReaderInput {
            snapshot,
            ctx: &ctx,
            rules: RuleContext::from_catalog(catalog),
            blackouts: &blackouts,
            pinned: &pinned,
            skip_jobs: &skip,
        });
        let problem = match Problem::new(&mapped.instance) {
            Ok(problem) => problem,
            Err(invalid) => {
                // Only kept visits can make the instance invalid: the ones
                // that no longer fit stay as they are, outside the planning.
                let bad: BTreeSet<usize> = invalid
                    .0
                    .iter()
                    .filter_map(|e| match e.concerns {
                        Concerns::Pinned(i) => Some(i),
                        _ => None,
                    })
                    .collect();
                let drop: Vec<usize> = if !bad.is_empty() {
                    bad.into_iter().collect()
                } else if invalid
                    .0
                    .iter()
                    .all(|e| e.concerns == Concerns::PinnedTogether)
                    && !mapped.instance.pinned.is_empty()
                {
                    vec![mapped.instance.pinned.len() - 1]
                } else {
                    return Err(ServiceError::Internal(format!(
                        "the planner refused the team's instance: {invalid}"
                    )));
                };
                for i in drop.into_iter().rev() {
                    let job = mapped.instance.pinned[i].household.clone();
                    pinned.retain(|(j, _, _)| *j != job);
                    skip.insert(job.clone());
                    conflicts.push(job);
                }
                continue;
            }
        };
        let params = Params {
            hint: keep.hint.clone(),
            ..params.clone()
        };
        let plan = doorstep_scheduler::plan(&problem, &params);
        if let Err(violations) = checker::check(&mapped.instance, &plan) {
            let text: Vec<String> = violations
                .iter()
                .map(|v| format!("{}: {}", v.code, v.message))
                .collect();
            return Err(ServiceError::Internal(format!(
                "the checker refused the plan: {}",
                text.join("; ")
            )));
        }
        return Ok(Solved {
            mapped,
            plan,
            conflicts,
        });
    }
}

/// The planner's visits as visits to store, with their residents and needs.
fn to_visits(solved: &Solved) -> Result<Vec<(String, NewVisit)>, ServiceError> {
    let mut out = Vec::new();
    for v in &solved.plan.visits {
        let job = solved.mapped.jobs.get(&v.household).ok_or_else(|| {
            ServiceError::Internal(format!("the planner returned unknown job {}", v.household))
        })?;
        let member_id = *solved.mapped.members.get(&v.volunteer).ok_or_else(|| {
            ServiceError::Internal(format!(
                "the planner returned unknown volunteer {}",
                v.volunteer
            ))
        })?;
        let (start, end) = (v.start, v.end);
        let (residents, purposes) = job.expected(reader::minute_of(start), reader::minute_of(end));
        out.push((
            job.id.clone(),
            NewVisit {
                household_id: job.household_id,
                member_id,
                start,
                end,
                mode: job.mode,
                purposes,
                residents,
                status: VisitStatus::Proposed,
                pinned: v.pinned,
                job: job.id.clone(),
            },
        ));
    }
    Ok(out)
}

fn to_unmet(solved: &Solved) -> Vec<UnmetRecord> {
    let mut out = solved.mapped.unmet.clone();
    for u in &solved.plan.unmet {
        let Some(job) = solved.mapped.jobs.get(&u.household) else {
            continue;
        };
        out.push(UnmetRecord {
            household_id: job.household_id,
            resident_id: (job.mode == VisitMode::Remote).then(|| job.residents[0].id),
            reason: UnmetReason::parse(u.reason.code()).unwrap_or(UnmetReason::NoWindow),
            explanation_vi: reader::name_members(&u.message_vi, &solved.mapped.names),
            explanation_en: reader::name_members(&u.message_en, &solved.mapped.names),
        });
    }
    out.sort_by_key(|u| (u.household_id, u.resident_id));
    out
}

fn figures(solved: &Solved, started: Instant) -> PlanFigures {
    let stats = &solved.plan.stats;
    PlanFigures {
        objective: stats.objective as i64,
        upper_bound: stats.upper_bound as i64,
        travel_minutes: stats.travel_minutes as i64,
        solver_ms: started.elapsed().as_millis() as i64,
        extra: serde_json::json!({
            "iterations": stats.iterations,
            "jobs": stats.households,
            "approximate_locations": solved.mapped.approximate_locations,
            "visits_per_member_min": stats.visits_per_volunteer_min,
            "visits_per_member_max": stats.visits_per_volunteer_max,
        }),
    }
}

fn summary(visits: &[VisitRecord], unmet: &[UnmetRecord], plan: &PlanRecord) -> PlanSummary {
    let mut by_reason = BTreeMap::new();
    for u in unmet {
        *by_reason.entry(u.reason.code()).or_default() += 1;
    }
    PlanSummary {
        visits: visits
            .iter()
            .filter(|v| v.status != VisitStatus::Cancelled)
            .count(),
        unmet_by_reason: by_reason,
        objective: plan.figures.objective,
        upper_bound: plan.figures.upper_bound,
        travel_minutes: plan.figures.travel_minutes,
        approximate_locations: plan.figures.extra["approximate_locations"]
            .as_u64()
            .unwrap_or(0) as usize,
        ..PlanSummary::default()
    }
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServiceError::Internal(format!("the planner stopped: {e}")))?
}

/// A team planned and checked, not saved yet.
pub(crate) struct Made {
    /// The plan to store.
    pub plan: NewPlan,
    /// Its visits.
    pub visits: Vec<NewVisit>,
    /// What it leaves out.
    pub unmet: Vec<UnmetRecord>,
    /// The team's zone.
    pub zone: Tz,
    /// Households of the team read.
    pub households: usize,
    /// Jobs of kept visits that no longer fit, left as they were.
    pub conflicts: Vec<String>,
    /// Jobs the planner was given (households at home, residents abroad).
    pub jobs: usize,
    /// Milliseconds reading the team.
    pub read_ms: u64,
    /// Milliseconds planning and checking.
    pub plan_ms: u64,
}

/// What the team's calendar means for a plan of `[from, to)`: its pinned
/// and confirmed visits in those days are kept exactly; a household with
/// another visit still to happen (or still to be reported) is not planned
/// again; the merely proposed visits in those days are the planner's hint,
/// so that as little as possible moves.
fn calendar_keep(
    calendar: &[VisitRecord],
    draft: &[VisitRecord],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Keep {
    let mut keep = Keep::default();
    let mut hint_visits = Vec::new();
    // A draft being re-planned speaks for its own households in its days:
    // its pinned visits are kept, its proposed ones are the hint.
    let drafted: BTreeSet<&str> = draft
        .iter()
        .filter(|v| v.start >= from && v.start < to)
        .map(|v| v.job.as_str())
        .collect();
    let in_draft = draft
        .iter()
        .filter(|v| v.start >= from && v.start < to && v.status != VisitStatus::Cancelled);
    let from_calendar = calendar.iter().filter(|v| {
        !(v.start >= from && v.start < to && drafted.contains(v.job.as_str()))
            || v.pinned
            || v.status != VisitStatus::Proposed
    });
    for v in from_calendar.chain(in_draft) {
        if !matches!(v.status, VisitStatus::Proposed | VisitStatus::Confirmed) {
            continue;
        }
        let in_days = v.start >= from && v.start < to;
        if in_days && v.status == VisitStatus::Proposed && !v.pinned {
            hint_visits.push(doorstep_scheduler::Visit {
                household: v.job.clone(),
                volunteer: reader::member_key(v.member_id),
                start: v.start,
                end: v.end,
                mode: v.mode.code().to_owned(),
                pinned: false,
            });
        } else if in_days {
            if !keep.pinned.iter().any(|(job, _, _)| *job == v.job) {
                keep.pinned.push((v.job.clone(), v.member_id, v.start));
            }
        } else {
            keep.skip.insert(v.job.clone());
        }
    }
    if !hint_visits.is_empty() {
        keep.hint = Some(doorstep_scheduler::Plan {
            visits: hint_visits,
            ..Default::default()
        });
    }
    keep
}

/// The instants a plan of `request` covers: from its first day's midnight,
/// or the next quarter hour when that is later (nothing is planned in the
/// past), to the end of its last day.
///
/// # Errors
/// Every day of the request is past.
pub fn plan_span(
    zone: Tz,
    start: NaiveDate,
    days: u32,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ServiceError> {
    let from = local_midnight(zone, start).max(next_quarter(now));
    let to = local_midnight(zone, start + chrono::Days::new(u64::from(days)));
    if from >= to {
        let today = now.with_timezone(&zone).date_naive();
        return Err(ServiceError::invalid(
            "start",
            format!(
                "các ngày này đã qua: hãy lập kế hoạch từ hôm nay ({}) trở đi",
                today.format("%d/%m/%Y")
            ),
            format!(
                "these days are past: plan from today ({}) on",
                today.format("%d/%m/%Y")
            ),
        ));
    }
    Ok((from, to))
}

/// Reads a team, plans `request` on a blocking thread and checks the plan:
/// what [`plan_team`] and the area's jobs ([`area`]) share. The team's
/// calendar is read as [`calendar_keep`] says; `started` is when the use
/// case began, for the plan's figures.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn make_plan(
    store: &Store,
    catalog: &Catalog,
    team_id: i32,
    request: &PlanRequest,
    started: Instant,
    draft: &[VisitRecord],
    hint: bool,
    now: DateTime<Utc>,
) -> Result<Made, ServiceError> {
    let read = Instant::now();
    let snapshot = load_snapshot(store, team_id).await?;
    let catalog = &*crate::team_stations::team_catalog(store, catalog, team_id).await?;
    let calendar = plans::calendar_from(store.connection(), team_id, now).await?;
    let read_ms = read.elapsed().as_millis() as u64;
    let zone = team_zone(&snapshot)?;
    let households = snapshot.households.len();
    let (from, to) = plan_span(zone, request.start, request.days, now)?;
    let mut keep = calendar_keep(&calendar, draft, from, to);
    if !hint {
        keep.hint = None;
    }
    let params = Params {
        time_limit: if request.iterations.is_some() {
            None
        } else {
            Some(request.time_limit)
        },
        max_iterations: request.iterations,
        seed: request.seed,
        threads: request.threads.max(1),
        hint: None,
        keep: doorstep_scheduler::Keep::CALENDAR,
        balance: false,
    };
    let catalog = catalog.clone();
    let planning = Instant::now();
    let solved = run_blocking(move || solve(&snapshot, &catalog, from, to, keep, params)).await?;
    let plan_ms = planning.elapsed().as_millis() as u64;
    let visits: Vec<NewVisit> = to_visits(&solved)?.into_iter().map(|(_, v)| v).collect();
    let unmet = to_unmet(&solved);
    let figures = figures(&solved, started);
    Ok(Made {
        plan: NewPlan {
            team_id,
            start_date: request.start,
            days: request.days,
            horizon_start: from,
            horizon_end: to,
            figures,
        },
        visits,
        unmet,
        zone,
        households,
        jobs: solved.mapped.instance.households.len(),
        conflicts: solved.conflicts,
        read_ms,
        plan_ms,
    })
}

/// Plans a team's visits for `request` and saves the draft: from the next
/// quarter hour at the earliest, the team's calendar kept where it stands
/// (see `make_plan`). The answer says what publishing it would change.
///
/// # Errors
/// The team is unknown or out of the actor's reach (not found), the request
/// is out of range (every field), the actor may not plan, or the store fails.
pub async fn plan_team(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    team_id: i32,
    request: &PlanRequest,
    now: DateTime<Utc>,
) -> Result<PlanOutcome, ServiceError> {
    draft_plan(store, catalog, actor, team_id, request, None, now).await
}

/// The figures of a fresh plan of `request`: the calendar's kept visits
/// kept, but no hint from its other visits, and nothing saved. What a
/// re-plan's objective is measured against.
///
/// # Errors
/// As [`plan_team`].
pub async fn fresh_figures(
    store: &Store,
    catalog: &Catalog,
    team_id: i32,
    request: &PlanRequest,
    now: DateTime<Utc>,
) -> Result<PlanFigures, ServiceError> {
    request.check()?;
    let made = make_plan(
        store,
        catalog,
        team_id,
        request,
        Instant::now(),
        &[],
        false,
        now,
    )
    .await?;
    Ok(made.plan.figures)
}

/// As [`plan_team`]; a draft being re-planned (`replacing`) gives its own
/// visits as the hint for its households and is superseded by the new one.
async fn draft_plan(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    team_id: i32,
    request: &PlanRequest,
    replacing: Option<i32>,
    now: DateTime<Utc>,
) -> Result<PlanOutcome, ServiceError> {
    let started = Instant::now();
    actor.require_lead(store, team_id).await?;
    request.check()?;
    let draft = match replacing {
        Some(id) => plans::plan_visits(store.connection(), id).await?,
        None => Vec::new(),
    };
    let made = make_plan(store, catalog, team_id, request, started, &draft, true, now).await?;
    let plan = plans::create_plan(
        store.connection(),
        &made.plan,
        &made.visits,
        &made.unmet,
        &actor.label(),
        now,
    )
    .await?;
    if let Some(id) = replacing {
        plans::supersede_draft(store.connection(), id, plan.id, &actor.label(), now).await?;
    }
    let visits = plans::plan_visits(store.connection(), plan.id).await?;
    let changes = draft_changes(store, catalog, &plan, &visits, now).await?;
    let mut summary = summary(&visits, &made.unmet, &plan);
    summary.kept = changes.kept;
    summary.unchanged = changes.unchanged;
    summary.changed = changes.changes.len();
    summary.conflicts = conflict_visits(store, team_id, &made.conflicts, now).await?;
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(PlanOutcome {
        plan,
        visits,
        unmet: made.unmet,
        summary,
        zone: made.zone,
        changes: Some(changes),
    })
}

/// The calendar's visits of these jobs still to come: kept visits that no
/// longer fit (a blackout over a pinned visit), for the leader.
async fn conflict_visits(
    store: &Store,
    team_id: i32,
    jobs: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<i32>, ServiceError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(plans::calendar_from(store.connection(), team_id, now)
        .await?
        .into_iter()
        .filter(|v| v.start >= now && jobs.contains(&v.job))
        .map(|v| v.id)
        .collect())
}

/// Re-plans: a new draft over the plan's days from now on, with the team's
/// calendar as the planner's hint (pinned, confirmed, started and recorded
/// visits kept exactly; blackouts and data changed since taken into
/// account). Nothing published changes until the draft is published; the
/// answer says what would.
///
/// # Errors
/// As [`plan_team`]; a superseded plan, or one whose days are all past,
/// cannot be re-planned.
pub async fn replan(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    plan_id: i32,
    search: &Search,
    now: DateTime<Utc>,
) -> Result<PlanOutcome, ServiceError> {
    search.check()?;
    let plan = find_plan_for(store, actor, plan_id).await?;
    actor.require_lead(store, plan.team_id).await?;
    if plan.status == PlanStatus::Superseded {
        return Err(ServiceError::Conflict(
            "kế hoạch này đã được thay thế, hãy lập lại từ kế hoạch mới".into(),
            "this plan was superseded; re-plan the newer one".into(),
        ));
    }
    if plan.horizon_end <= next_quarter(now) {
        return Err(ServiceError::Conflict(
            "kế hoạch này đã qua hết, không còn ngày nào để lập lại".into(),
            "this plan's days are all past; there is nothing left to re-plan".into(),
        ));
    }
    let request = PlanRequest {
        start: plan.start_date,
        days: plan.days,
        time_limit: search.time_limit,
        seed: 1,
        threads: search.threads,
        iterations: search.iterations,
    };
    let replacing = (plan.status == PlanStatus::Draft).then_some(plan.id);
    draft_plan(
        store,
        catalog,
        actor,
        plan.team_id,
        &request,
        replacing,
        now,
    )
    .await
}

/// Re-plans the team's calendar from now on: a draft of `days` days from
/// today (by default to the calendar's last day, at least a week) with the
/// calendar as the planner's hint, and what publishing it would change.
///
/// # Errors
/// As [`plan_team`].
pub async fn replan_calendar(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    team_id: i32,
    days: Option<u32>,
    search: &Search,
    now: DateTime<Utc>,
) -> Result<PlanOutcome, ServiceError> {
    search.check()?;
    actor.require_lead(store, team_id).await?;
    let zone = team_zone_of(store, team_id).await?;
    let today = now.with_timezone(&zone).date_naive();
    let days = match days {
        Some(days) => days,
        None => {
            let last = plans::calendar_end(store.connection(), team_id)
                .await?
                .map(|end| {
                    (end - chrono::Duration::seconds(1))
                        .with_timezone(&zone)
                        .date_naive()
                })
                .unwrap_or(today);
            let span = (last - today).num_days() + 1;
            span.clamp(7, i64::from(MAX_DAYS)) as u32
        }
    };
    let request = PlanRequest {
        start: today,
        days,
        time_limit: search.time_limit,
        seed: 1,
        threads: search.threads,
        iterations: search.iterations,
    };
    plan_team(store, catalog, actor, team_id, &request, now).await
}

/// Compares a draft with the team's calendar now, with the reason of each
/// visit that moves or goes.
///
/// # Errors
/// The store fails, or the team's zone is not a zone.
pub async fn draft_changes(
    store: &Store,
    catalog: &Catalog,
    plan: &PlanRecord,
    draft: &[VisitRecord],
    now: DateTime<Utc>,
) -> Result<changes::Changes, ServiceError> {
    let db = store.connection();
    let cutoff = plan.horizon_start.max(now);
    let calendar: Vec<VisitRecord> = plans::calendar_from(db, plan.team_id, now)
        .await?
        .into_iter()
        .filter(|v| v.plan_id != plan.id)
        .collect();
    let recorded = plans::recorded_visits(db, calendar.iter().map(|v| v.id)).await?;
    // The reasons need the team read again as the draft's planner saw it.
    let snapshot = load_snapshot(store, plan.team_id).await?;
    let zone = team_zone(&snapshot)?;
    let catalog = crate::team_stations::team_catalog(store, catalog, plan.team_id)
        .await?
        .into_owned();
    let (from, to) = (cutoff, plan.horizon_end);
    let draft = draft.to_vec();
    run_blocking(move || {
        let blackouts = parse_blackouts(&snapshot, &catalog);
        let ctx = ExpansionContext::new(from, to, zone, catalog.clone())
            .map_err(|e| ServiceError::Internal(format!("expansion: {e}")))?;
        let mapped = reader::read(&reader::ReaderInput {
            snapshot: &snapshot,
            ctx: &ctx,
            rules: RuleContext::from_catalog(&catalog),
            blackouts: &blackouts,
            pinned: &[],
            skip_jobs: &BTreeSet::new(),
        });
        let explainer = changes::Explainer {
            mapped: &mapped,
            blackouts: blackouts
                .iter()
                .map(|b| (b, changes::blackout_spans(&ctx, &b.blackout)))
                .collect(),
            villages: snapshot
                .households
                .iter()
                .map(|h| (h.id, h.village_id))
                .collect(),
        };
        let mut changes = changes::compare(
            &calendar,
            &draft,
            from,
            to,
            &|id| recorded.contains(&id),
            &|v| explainer.reason(v),
        );
        changes.members = snapshot
            .members
            .iter()
            .map(|m| (m.id, m.full_name.clone()))
            .collect();
        changes.households = snapshot
            .households
            .iter()
            .map(|h| (h.id, (h.external_id.clone(), h.address.clone())))
            .collect();
        Ok(changes)
    })
    .await
}

/// What publishing a draft would change now, with the team's zone to show it in.
///
/// # Errors
/// As [`find_plan_for`]; only who may lead the team sees a draft.
pub async fn plan_changes(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    plan_id: i32,
    now: DateTime<Utc>,
) -> Result<(changes::Changes, Tz), ServiceError> {
    let plan = find_plan_for(store, actor, plan_id).await?;
    let zone = team_zone_of(store, plan.team_id).await?;
    if plan.status != PlanStatus::Draft {
        return Ok((changes::Changes::default(), zone));
    }
    let visits = plans::plan_visits(store.connection(), plan_id).await?;
    Ok((
        draft_changes(store, catalog, &plan, &visits, now).await?,
        zone,
    ))
}

/// How many visits publishing a draft would add, move, remove and leave as
/// they are, without their reasons: what a page's banner shows on every
/// view, read without expanding the team's rules again ([`plan_changes`]
/// gives each change with its reason).
///
/// # Errors
/// Not found when the plan is out of the actor's reach, or the store fails.
pub async fn plan_change_counts(
    store: &Store,
    actor: &Actor,
    plan_id: i32,
    now: DateTime<Utc>,
) -> Result<changes::Changes, ServiceError> {
    let plan = find_plan_for(store, actor, plan_id).await?;
    if plan.status != PlanStatus::Draft {
        return Ok(changes::Changes::default());
    }
    let db = store.connection();
    let draft = plans::plan_visits(db, plan_id).await?;
    let calendar: Vec<VisitRecord> = plans::calendar_from(db, plan.team_id, now)
        .await?
        .into_iter()
        .filter(|v| v.plan_id != plan.id)
        .collect();
    let recorded = plans::recorded_visits(db, calendar.iter().map(|v| v.id)).await?;
    Ok(changes::compare(
        &calendar,
        &draft,
        plan.horizon_start.max(now),
        plan.horizon_end,
        &|id| recorded.contains(&id),
        &|_| changes::ChangeReason::Capacity,
    ))
}

/// A plan the actor may see, or not found.
///
/// # Errors
/// Not found (also when out of the actor's scope), or the store fails.
pub async fn find_plan_for(
    store: &Store,
    actor: &Actor,
    plan_id: i32,
) -> Result<PlanRecord, ServiceError> {
    let plan = plans::find_plan(store.connection(), plan_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("plan", plan_id))?;
    actor
        .require_see_team(store, plan.team_id)
        .await
        .map_err(|_| ServiceError::not_found("plan", plan_id))?;
    if plan.status == PlanStatus::Draft && !actor.may_lead_team(store, plan.team_id).await? {
        // Volunteers see published plans only.
        return Err(ServiceError::not_found("plan", plan_id));
    }
    Ok(plan)
}

/// A plan with its visits and unmet households.
///
/// # Errors
/// As [`find_plan_for`].
pub async fn show_plan(
    store: &Store,
    actor: &Actor,
    plan_id: i32,
) -> Result<PlanOutcome, ServiceError> {
    let plan = find_plan_for(store, actor, plan_id).await?;
    let visits = plans::plan_visits(store.connection(), plan_id).await?;
    let unmet = plans::plan_unmet(store.connection(), plan_id).await?;
    let summary = summary(&visits, &unmet, &plan);
    let zone = team_zone_of(store, plan.team_id).await?;
    // The entries of what a plan leaves out name residents: beyond a
    // volunteer's reach; the summary still counts them.
    let unmet = if actor.register_reach().is_some() {
        Vec::new()
    } else {
        unmet
    };
    Ok(PlanOutcome {
        plan,
        visits,
        unmet,
        summary,
        zone,
        changes: None,
    })
}

/// A team's plans, newest first.
///
/// # Errors
/// The team is out of the actor's scope (not found), or the store fails.
pub async fn team_plans(
    store: &Store,
    actor: &Actor,
    team_id: i32,
) -> Result<Vec<PlanRecord>, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    let lead = actor.may_lead_team(store, team_id).await?;
    Ok(plans::team_plans(store.connection(), team_id)
        .await?
        .into_iter()
        .filter(|p| lead || p.status != PlanStatus::Draft)
        .collect())
}

/// Publishes a draft: within its days and from now on, the calendar's
/// visits that are merely proposed are replaced by the draft's; a visit
/// started, pinned, confirmed or recorded, and every day outside the
/// draft's, stay as they are. Publishing a published plan again changes
/// nothing.
///
/// # Errors
/// Not found, not the team's leader, a superseded plan, or the store fails.
pub async fn publish(
    store: &Store,
    actor: &Actor,
    plan_id: i32,
    now: DateTime<Utc>,
) -> Result<plans::Published, ServiceError> {
    let plan = find_plan_for(store, actor, plan_id).await?;
    actor.require_lead(store, plan.team_id).await?;
    if plan.status == PlanStatus::Superseded {
        return Err(ServiceError::Conflict(
            "kế hoạch này đã được thay thế".into(),
            "this plan was superseded".into(),
        ));
    }
    Ok(plans::publish_plan(store.connection(), plan_id, &actor.label(), now).await?)
}

/// The zone of a team.
///
/// # Errors
/// Not found, or the store fails.
pub async fn team_zone_of(store: &Store, team_id: i32) -> Result<Tz, ServiceError> {
    let team = doorstep_store::find_team(store.connection(), team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    Ok(team
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh))
}
