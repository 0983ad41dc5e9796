//! Plans, their visits and the households they leave out.

use chrono::{DateTime, NaiveDate, Utc};
use doorstep_core::{NeedStep, PlanStatus, UnmetReason, VisitMode, VisitStatus};
use sea_orm::DbErr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};

use super::audit::append_audit;
use crate::Code;
use crate::StoreError;
use crate::dialect::Dialect;
use crate::entity::{plan, unmet, visit};

/// A plan's solver figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanFigures {
    /// Σ priority of the visited households.
    pub objective: i64,
    /// Σ priority of the households that could be visited alone.
    pub upper_bound: i64,
    /// Minutes of travel.
    pub travel_minutes: i64,
    /// Milliseconds the planning took.
    pub solver_ms: i64,
    /// Further figures.
    pub extra: serde_json::Value,
}

/// A stored plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRecord {
    /// Id.
    pub id: i32,
    /// The team.
    pub team_id: i32,
    /// Draft, published or superseded.
    pub status: PlanStatus,
    /// First day, in the team's calendar.
    pub start_date: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// First instant.
    pub horizon_start: DateTime<Utc>,
    /// End (excluded).
    pub horizon_end: DateTime<Utc>,
    /// Figures of the last planning.
    pub figures: PlanFigures,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Who made it.
    pub created_by: Option<String>,
}

fn plan_record(p: plan::Model) -> PlanRecord {
    PlanRecord {
        id: p.id,
        team_id: p.team_id,
        status: p.status.0,
        start_date: p.start_date.unwrap_or_else(|| p.horizon_start.date_naive()),
        days: p.days.map_or_else(
            || (p.horizon_end - p.horizon_start).num_days().max(0) as u32,
            |d| d.max(0) as u32,
        ),
        horizon_start: p.horizon_start,
        horizon_end: p.horizon_end,
        figures: PlanFigures {
            objective: p.objective.unwrap_or(0).into(),
            upper_bound: p.upper_bound.unwrap_or(0).into(),
            travel_minutes: p.travel_minutes.unwrap_or(0).into(),
            solver_ms: p.solver_ms.unwrap_or(0).into(),
            extra: p
                .figures
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok())
                .unwrap_or(serde_json::Value::Null),
        },
        created_at: p.created_at,
        published_at: p.published_at,
        created_by: p.created_by,
    }
}

/// A stored visit.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitRecord {
    /// Id.
    pub id: i32,
    /// The plan.
    pub plan_id: i32,
    /// The household.
    pub household_id: i32,
    /// The member who visits.
    pub member_id: i32,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// In person or remote.
    pub mode: VisitMode,
    /// The needs it is for.
    pub purposes: Vec<NeedStep>,
    /// The residents expected.
    pub residents: Vec<i32>,
    /// Where it stands.
    pub status: VisitStatus,
    /// Kept exactly by re-plans.
    pub pinned: bool,
    /// The planner's job id (`h12`, `r40`).
    pub job: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// On the team's calendar: in the volunteers' lists, feeds and mail.
    pub on_calendar: bool,
    /// The plan whose publishing took it off the calendar.
    pub replaced_by: Option<i32>,
}

pub(crate) fn visit_record(v: visit::Model) -> Result<VisitRecord, DbErr> {
    visit_from_parts(
        v.id,
        v.plan_id,
        v.household_id,
        v.member_id,
        (v.start_at, v.end_at),
        (v.mode.0, &v.purposes, &v.residents, v.status.0),
        v.pinned,
        v.job,
        v.updated_at,
        (v.on_calendar, v.replaced_by),
    )
}

/// A visit from its stored columns: (mode, purposes, residents, status), the
/// purposes and residents as stored JSON, (on the calendar, replaced by).
///
/// # Errors
/// The stored purposes or residents are not what the store writes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn visit_from_parts(
    id: i32,
    plan_id: i32,
    household_id: i32,
    member_id: i32,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    (mode, purposes, residents, status): (VisitMode, &str, &str, VisitStatus),
    pinned: bool,
    job: String,
    updated_at: DateTime<Utc>,
    (on_calendar, replaced_by): (bool, Option<i32>),
) -> Result<VisitRecord, DbErr> {
    let stored = |what: &str, e: serde_json::Error| {
        DbErr::Type(format!(
            "visit {id}: stored {what} are not a JSON list: {e}"
        ))
    };
    let purposes: Vec<String> =
        serde_json::from_str(purposes).map_err(|e| stored("purposes", e))?;
    let purposes = purposes
        .iter()
        .map(|p| Code::<NeedStep>::read_db(p))
        .collect::<Result<_, _>>()?;
    let residents = serde_json::from_str(residents).map_err(|e| stored("residents", e))?;
    Ok(VisitRecord {
        id,
        plan_id,
        household_id,
        member_id,
        start,
        end,
        mode,
        purposes,
        residents,
        status,
        pinned,
        job,
        updated_at,
        on_calendar,
        replaced_by,
    })
}

fn visit_model(plan_id: i32, v: &NewVisit, now: DateTime<Utc>) -> visit::ActiveModel {
    visit::ActiveModel {
        plan_id: Set(plan_id),
        household_id: Set(v.household_id),
        member_id: Set(v.member_id),
        start_at: Set(v.start),
        end_at: Set(v.end),
        mode: Set(Code(v.mode)),
        purposes: Set(codes(&v.purposes)),
        residents: Set(serde_json::to_string(&v.residents).expect("ids serialise")),
        status: Set(Code(v.status)),
        pinned: Set(v.pinned),
        outcome: Set(None),
        job: Set(v.job.clone()),
        updated_at: Set(now),
        on_calendar: Set(false),
        replaced_by: Set(None),
        replaced_at: Set(None),
        ..Default::default()
    }
}

fn codes(steps: &[NeedStep]) -> String {
    serde_json::to_string(&steps.iter().map(|s| s.code()).collect::<Vec<_>>())
        .expect("codes serialise")
}

/// A visit to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewVisit {
    /// The household.
    pub household_id: i32,
    /// The member who visits.
    pub member_id: i32,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// In person or remote.
    pub mode: VisitMode,
    /// The needs it is for.
    pub purposes: Vec<NeedStep>,
    /// The residents expected.
    pub residents: Vec<i32>,
    /// Where it stands.
    pub status: VisitStatus,
    /// Kept exactly by re-plans.
    pub pinned: bool,
    /// The planner's job id.
    pub job: String,
}

/// A household (or one resident of it) a plan leaves out.
#[derive(Clone, Debug, PartialEq)]
pub struct UnmetRecord {
    /// The household.
    pub household_id: i32,
    /// The resident, when the reason is the resident's.
    pub resident_id: Option<i32>,
    /// Why.
    pub reason: UnmetReason,
    /// In Vietnamese.
    pub explanation_vi: String,
    /// In English.
    pub explanation_en: String,
}

/// A plan to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPlan {
    /// The team.
    pub team_id: i32,
    /// First day, in the team's calendar.
    pub start_date: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// First instant.
    pub horizon_start: DateTime<Utc>,
    /// End (excluded).
    pub horizon_end: DateTime<Utc>,
    /// Solver figures.
    pub figures: PlanFigures,
}

fn clamp(v: i64) -> i32 {
    v.clamp(0, i64::from(i32::MAX)) as i32
}

async fn insert_contents(
    db: &impl ConnectionTrait,
    plan_id: i32,
    visits: &[NewVisit],
    unmet: &[UnmetRecord],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in visits.chunks(500) {
        visit::Entity::insert_many(chunk.iter().map(|v| visit_model(plan_id, v, now)))
            .exec_without_returning(db)
            .await?;
    }
    for chunk in unmet.chunks(500) {
        unmet::Entity::insert_many(chunk.iter().map(|u| unmet::ActiveModel {
            plan_id: Set(plan_id),
            household_id: Set(u.household_id),
            resident_id: Set(u.resident_id),
            reason: Set(Code(u.reason)),
            explanation_vi: Set(u.explanation_vi.clone()),
            explanation_en: Set(u.explanation_en.clone()),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Stores a new draft plan with its visits, its unmet households and an
/// audit entry, in one transaction (inside a caller's, a savepoint of it).
///
/// # Errors
/// The database fails; nothing is written.
pub async fn create_plan<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    plan: &NewPlan,
    visits: &[NewVisit],
    unmet: &[UnmetRecord],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PlanRecord, StoreError> {
    let txn = super::begin_writing(db).await?;
    let saved = write_plan(&txn, plan, visits, unmet, actor, now).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The rows of [`create_plan`], inside its transaction.
async fn write_plan(
    txn: &impl ConnectionTrait,
    plan: &NewPlan,
    visits: &[NewVisit],
    unmet: &[UnmetRecord],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PlanRecord, StoreError> {
    let f = &plan.figures;
    let saved = plan::ActiveModel {
        team_id: Set(plan.team_id),
        horizon_start: Set(plan.horizon_start),
        horizon_end: Set(plan.horizon_end),
        status: Set(Code(PlanStatus::Draft)),
        objective: Set(Some(clamp(f.objective))),
        upper_bound: Set(Some(clamp(f.upper_bound))),
        travel_minutes: Set(Some(clamp(f.travel_minutes))),
        solver_ms: Set(Some(clamp(f.solver_ms))),
        figures: Set(Some(f.extra.to_string())),
        created_at: Set(now),
        published_at: Set(None),
        start_date: Set(Some(plan.start_date)),
        days: Set(Some(plan.days as i32)),
        created_by: Set(Some(actor.to_string())),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    insert_contents(txn, saved.id, visits, unmet, now).await?;
    append_audit(
        txn,
        now,
        actor,
        "create_plan",
        "plan",
        Some(saved.id),
        serde_json::json!({
            "team": plan.team_id, "start": plan.start_date, "days": plan.days,
            "visits": visits.len(), "unmet": unmet.len(), "objective": f.objective,
        }),
    )
    .await?;
    Ok(plan_record(saved))
}

/// The plan with this id.
///
/// # Errors
/// The database fails.
pub async fn find_plan(
    db: &impl ConnectionTrait,
    plan_id: i32,
) -> Result<Option<PlanRecord>, StoreError> {
    Ok(plan::Entity::find_by_id(plan_id)
        .one(db)
        .await?
        .map(plan_record))
}

/// A team's plans, newest first.
///
/// # Errors
/// The database fails.
pub async fn team_plans(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Vec<PlanRecord>, StoreError> {
    Ok(plan::Entity::find()
        .filter(plan::Column::TeamId.eq(team_id))
        .order_by_desc(plan::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(plan_record)
        .collect())
}

/// A plan's visits by start, then member.
///
/// # Errors
/// The database fails.
pub async fn plan_visits(
    db: &impl ConnectionTrait,
    plan_id: i32,
) -> Result<Vec<VisitRecord>, StoreError> {
    Ok(visit::Entity::find()
        .filter(visit::Column::PlanId.eq(plan_id))
        .order_by_asc(visit::Column::StartAt)
        .order_by_asc(visit::Column::MemberId)
        .order_by_asc(visit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(visit_record)
        .collect::<Result<_, _>>()?)
}

/// How many of a plan's visits are not cancelled.
///
/// # Errors
/// The database fails.
pub async fn plan_visit_count(
    db: &impl ConnectionTrait,
    plan_id: i32,
) -> Result<usize, StoreError> {
    let n = visit::Entity::find()
        .filter(visit::Column::PlanId.eq(plan_id))
        .filter(visit::Column::Status.ne(VisitStatus::Cancelled.code()))
        .count(db)
        .await?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// One member's visits of a plan that start in `[from, to)`, in start
/// order: what a move is checked against, without reading the whole plan.
///
/// # Errors
/// The database fails.
pub async fn plan_member_visits(
    db: &impl ConnectionTrait,
    plan_id: i32,
    member_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<VisitRecord>, StoreError> {
    Ok(visit::Entity::find()
        .filter(visit::Column::PlanId.eq(plan_id))
        .filter(visit::Column::MemberId.eq(member_id))
        .filter(visit::Column::StartAt.gte(from))
        .filter(visit::Column::StartAt.lt(to))
        .order_by_asc(visit::Column::StartAt)
        .order_by_asc(visit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(visit_record)
        .collect::<Result<_, _>>()?)
}

/// What a plan leaves out, by household.
///
/// # Errors
/// The database fails.
pub async fn plan_unmet(
    db: &impl ConnectionTrait,
    plan_id: i32,
) -> Result<Vec<UnmetRecord>, StoreError> {
    Ok(unmet::Entity::find()
        .filter(unmet::Column::PlanId.eq(plan_id))
        .order_by_asc(unmet::Column::HouseholdId)
        .order_by_asc(unmet::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|u| UnmetRecord {
            household_id: u.household_id,
            resident_id: u.resident_id,
            reason: u.reason.0,
            explanation_vi: u.explanation_vi,
            explanation_en: u.explanation_en,
        })
        .collect())
}

/// How long a visit of the calendar that no outcome was recorded for still
/// holds its household: the volunteer may report a day or two late, and
/// until then the household is not planned again.
pub const PENDING_DAYS: i64 = 2;

/// Why a visit of a plan being published did not go on the calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotPublished {
    /// It starts before the moment of publishing.
    Past,
    /// The calendar already has this visit (same household, member and
    /// time): the calendar's visit stays, with its id.
    Same,
    /// The household already has a visit on the calendar that publishing
    /// keeps (pinned, confirmed, started, or still to be reported).
    Held,
    /// The member has a kept visit at that time.
    MemberBusy,
}

/// What publishing a plan did to the team's calendar.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    /// The plan, now published.
    pub plan: PlanRecord,
    /// The plan's visits put on the calendar.
    pub added: Vec<i32>,
    /// Visits taken off the calendar (merely proposed, still to come, in
    /// the plan's days); they stay in their plans as history.
    pub replaced: Vec<i32>,
    /// The calendar's visits in the plan's days that stay.
    pub kept: Vec<i32>,
    /// The plan's visits left off the calendar, and why.
    pub not_published: Vec<(i32, NotPublished)>,
    /// Plans with no visit left on the calendar, now superseded.
    pub superseded: Vec<i32>,
    /// The plan was published already: nothing changed.
    pub already: bool,
}

/// The calendar's visits of a team that still matter at `now`: not
/// cancelled, ending after `now` − [`PENDING_DAYS`], by start.
///
/// # Errors
/// The database fails.
pub async fn calendar_from(
    db: &impl ConnectionTrait,
    team_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<VisitRecord>, StoreError> {
    let since = now - chrono::Duration::days(PENDING_DAYS);
    Ok(visit::Entity::find()
        .filter(visit::Column::OnCalendar.eq(true))
        .filter(visit::Column::EndAt.gt(since))
        .filter(visit::Column::Status.ne(VisitStatus::Cancelled.code()))
        .filter(visit::Column::PlanId.in_subquery(team_plan_ids(team_id)))
        .order_by_asc(visit::Column::StartAt)
        .order_by_asc(visit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(visit_record)
        .collect::<Result<_, _>>()?)
}

fn team_plan_ids(team_id: i32) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(plan::Column::Id)
        .from(plan::Entity)
        .and_where(plan::Column::TeamId.eq(team_id))
        .to_owned()
}

/// The households a member visits on the team's calendar: a visit on it,
/// not cancelled, whichever plan made it, as a subquery of household ids.
pub(crate) fn member_calendar_households(
    team_id: i32,
    member_id: i32,
) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(visit::Column::HouseholdId)
        .from(visit::Entity)
        .and_where(visit::Column::OnCalendar.eq(true))
        .and_where(visit::Column::MemberId.eq(member_id))
        .and_where(visit::Column::Status.ne(VisitStatus::Cancelled.code()))
        .and_where(visit::Column::PlanId.in_subquery(team_plan_ids(team_id)))
        .to_owned()
}

/// Whether the member visits the household on the team's calendar (see
/// `member_calendar_households`).
///
/// # Errors
/// The database fails.
pub async fn member_visits_household(
    db: &impl ConnectionTrait,
    team_id: i32,
    member_id: i32,
    household_id: i32,
) -> Result<bool, StoreError> {
    Ok(visit::Entity::find()
        .filter(visit::Column::HouseholdId.eq(household_id))
        .filter(visit::Column::OnCalendar.eq(true))
        .filter(visit::Column::MemberId.eq(member_id))
        .filter(visit::Column::Status.ne(VisitStatus::Cancelled.code()))
        .filter(visit::Column::PlanId.in_subquery(team_plan_ids(team_id)))
        .one(db)
        .await?
        .is_some())
}

/// Whether publishing may take this calendar visit off: merely proposed,
/// not pinned, starting at or after `cutoff` and before `end`, nothing
/// recorded.
pub fn replaceable(
    v: &VisitRecord,
    cutoff: DateTime<Utc>,
    end: DateTime<Utc>,
    recorded: bool,
) -> bool {
    v.status == VisitStatus::Proposed
        && !v.pinned
        && v.start >= cutoff
        && v.start < end
        && !recorded
}

/// Publishes a plan, in one transaction: within the plan's days and from
/// `now` on, the calendar's visits that are merely proposed are replaced by
/// the plan's; a day outside its days, a visit started, pinned, confirmed
/// or recorded is never touched (see [`Published`]).
///
/// # Errors
/// The plan does not exist, or the database fails; nothing is written.
pub async fn publish_plan<C>(
    db: &C,
    plan_id: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Published, StoreError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>,
{
    let txn = super::begin_writing(db).await?;
    let published = write_publish(&txn, plan_id, actor, now).await?;
    txn.commit().await?;
    Ok(published)
}

/// The rows of [`publish_plan`], inside its transaction.
async fn write_publish(
    txn: &impl ConnectionTrait,
    plan_id: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Published, StoreError> {
    let Some(p) = plan::Entity::find_by_id(plan_id).one(txn).await? else {
        return Err(StoreError::NotFound(format!(
            "plan {plan_id} does not exist"
        )));
    };
    // Two publishes of one team take turns.
    if let Some(lock) = Dialect::of(txn).lock_teams(Some(&p.team_id.to_string())) {
        txn.execute_unprepared(&lock).await?;
    }
    if p.status.0 != PlanStatus::Draft {
        return Ok(Published {
            plan: plan_record(p),
            added: Vec::new(),
            replaced: Vec::new(),
            kept: Vec::new(),
            not_published: Vec::new(),
            superseded: Vec::new(),
            already: true,
        });
    }
    let cutoff = p.horizon_start.max(now);
    let end = p.horizon_end;
    let calendar: Vec<VisitRecord> = calendar_from(txn, p.team_id, now)
        .await?
        .into_iter()
        .filter(|v| v.plan_id != plan_id)
        .collect();
    let recorded = recorded_visits(txn, calendar.iter().map(|v| v.id)).await?;
    let (mut replace, kept): (Vec<&VisitRecord>, Vec<&VisitRecord>) = calendar
        .iter()
        .partition(|v| replaceable(v, cutoff, end, recorded.contains(&v.id)));
    let mut kept: Vec<&VisitRecord> = kept
        .into_iter()
        .filter(|v| matches!(v.status, VisitStatus::Proposed | VisitStatus::Confirmed))
        .collect();
    let mut added = Vec::new();
    let mut not_published = Vec::new();
    for c in plan_visits(txn, plan_id).await? {
        if c.status == VisitStatus::Cancelled {
            continue;
        }
        if c.start < cutoff {
            not_published.push((c.id, NotPublished::Past));
        } else if let Some(i) = replace.iter().position(|r| {
            // A visit the leader pinned or confirmed in the plan replaces
            // the calendar's plain one, so that the pin holds.
            !c.pinned
                && c.status == VisitStatus::Proposed
                && r.job == c.job
                && r.member_id == c.member_id
                && r.start == c.start
                && r.end == c.end
        }) {
            kept.push(replace.swap_remove(i));
            not_published.push((c.id, NotPublished::Same));
        } else if kept.iter().any(|k| k.job == c.job) {
            not_published.push((c.id, NotPublished::Held));
        } else if kept
            .iter()
            .any(|k| k.member_id == c.member_id && k.start < c.end && c.start < k.end)
        {
            not_published.push((c.id, NotPublished::MemberBusy));
        } else {
            added.push(c.id);
        }
    }
    let replace_ids: Vec<i32> = replace.iter().map(|v| v.id).collect();
    let mut replaced = Vec::new();
    for chunk in replace_ids.chunks(500) {
        // Conditions again in the statement: a visit confirmed, pinned or
        // recorded meanwhile stays (PostgreSQL re-reads a row another
        // transaction changed before updating it).
        visit::Entity::update_many()
            .col_expr(visit::Column::OnCalendar, false.into())
            .col_expr(visit::Column::ReplacedBy, Some(plan_id).into())
            .col_expr(visit::Column::ReplacedAt, Some(now).into())
            .filter(visit::Column::Id.is_in(chunk.iter().copied()))
            .filter(visit::Column::OnCalendar.eq(true))
            .filter(visit::Column::Status.eq(VisitStatus::Proposed.code()))
            .filter(visit::Column::Pinned.eq(false))
            .exec(txn)
            .await?;
        replaced.extend(
            visit::Entity::find()
                .filter(visit::Column::Id.is_in(chunk.iter().copied()))
                .filter(visit::Column::ReplacedBy.eq(plan_id))
                .all(txn)
                .await?
                .into_iter()
                .map(|v| v.id),
        );
    }
    replaced.sort_unstable();
    for chunk in added.chunks(500) {
        visit::Entity::update_many()
            .col_expr(visit::Column::OnCalendar, true.into())
            .filter(visit::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    let mut kept: Vec<i32> = kept
        .iter()
        .filter(|v| v.start >= cutoff && v.start < end)
        .map(|v| v.id)
        .chain(
            replace
                .iter()
                .filter(|v| !replaced.contains(&v.id))
                .map(|v| v.id),
        )
        .collect();
    kept.sort_unstable();
    let mut active = p.clone().into_active_model();
    active.status = Set(Code(PlanStatus::Published));
    active.published_at = Set(Some(now));
    let saved = active.update(txn).await?;
    let superseded = supersede_emptied(txn, p.team_id, plan_id).await?;
    append_audit(
        txn,
        now,
        actor,
        "publish_plan",
        "plan",
        Some(plan_id),
        serde_json::json!({
            "added": added.len(), "replaced": replaced, "kept": kept.len(),
            "not_published": not_published.len(), "superseded": superseded,
        }),
    )
    .await?;
    Ok(Published {
        plan: plan_record(saved),
        added,
        replaced,
        kept,
        not_published,
        superseded,
        already: false,
    })
}

/// Marks a draft superseded by a newer draft made from it, with an audit
/// entry.
///
/// # Errors
/// The database fails; nothing is written.
pub async fn supersede_draft<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    draft_id: i32,
    by: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = super::begin_writing(db).await?;
    let changed = plan::Entity::update_many()
        .col_expr(plan::Column::Status, PlanStatus::Superseded.code().into())
        .filter(plan::Column::Id.eq(draft_id))
        .filter(plan::Column::Status.eq(PlanStatus::Draft.code()))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed > 0 {
        append_audit(
            &txn,
            now,
            actor,
            "supersede_draft",
            "plan",
            Some(draft_id),
            serde_json::json!({"by": by}),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Of these visits, those with an outcome recorded.
///
/// # Errors
/// The database fails.
pub async fn recorded_visits(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i32>,
) -> Result<std::collections::BTreeSet<i32>, StoreError> {
    use crate::entity::outcome;
    let ids: Vec<i32> = ids.collect();
    let mut out = std::collections::BTreeSet::new();
    for chunk in ids.chunks(500) {
        out.extend(
            outcome::Entity::find()
                .filter(outcome::Column::VisitId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|o| o.visit_id),
        );
    }
    Ok(out)
}

/// Marks superseded the team's published plans (other than `except`) with
/// no visit left on the calendar.
async fn supersede_emptied(
    txn: &impl ConnectionTrait,
    team_id: i32,
    except: i32,
) -> Result<Vec<i32>, StoreError> {
    let published = plan::Entity::find()
        .filter(plan::Column::TeamId.eq(team_id))
        .filter(plan::Column::Id.ne(except))
        .filter(plan::Column::Status.eq(PlanStatus::Published.code()))
        .all(txn)
        .await?;
    let mut superseded = Vec::new();
    for p in published {
        let live = visit::Entity::find()
            .filter(visit::Column::PlanId.eq(p.id))
            .filter(visit::Column::OnCalendar.eq(true))
            .one(txn)
            .await?;
        if live.is_none() {
            superseded.push(p.id);
            let mut active = p.into_active_model();
            active.status = Set(Code(PlanStatus::Superseded));
            active.update(txn).await?;
        }
    }
    Ok(superseded)
}

/// The visit with this id.
///
/// # Errors
/// The database fails.
pub async fn find_visit(
    db: &impl ConnectionTrait,
    visit_id: i32,
) -> Result<Option<VisitRecord>, StoreError> {
    Ok(visit::Entity::find_by_id(visit_id)
        .one(db)
        .await?
        .map(visit_record)
        .transpose()?)
}

/// Writes a visit's new member, times, residents, purposes, status and pin with an audit entry
/// naming what changed, in one transaction.
///
/// # Errors
/// The visit does not exist, or the database fails; nothing is written.
pub async fn update_visit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    changed: &VisitRecord,
    actor: &str,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<VisitRecord, StoreError> {
    let txn = super::begin_writing(db).await?;
    let Some(old) = visit::Entity::find_by_id(changed.id).one(&txn).await? else {
        return Err(StoreError::NotFound(format!(
            "visit {} does not exist",
            changed.id
        )));
    };
    let mut active = old.into_active_model();
    active.member_id = Set(changed.member_id);
    active.start_at = Set(changed.start);
    active.end_at = Set(changed.end);
    active.status = Set(Code(changed.status));
    active.pinned = Set(changed.pinned);
    active.residents = Set(serde_json::to_string(&changed.residents).expect("ids serialise"));
    active.purposes = Set(codes(&changed.purposes));
    active.updated_at = Set(now);
    let saved = active.update(&txn).await?;
    append_audit(
        &txn,
        now,
        actor,
        "edit_visit",
        "visit",
        Some(changed.id),
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(visit_record(saved)?)
}

/// The team's calendar: its visits on the calendar that start in
/// `[from, to)`, not cancelled, by start, whichever plan made them; of one
/// member (`member = Some`) or of the whole team.
///
/// # Errors
/// The database fails.
pub async fn published_visits(
    db: &impl ConnectionTrait,
    team_id: i32,
    member: Option<i32>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<VisitRecord>, StoreError> {
    let mut query = visit::Entity::find()
        .filter(visit::Column::OnCalendar.eq(true))
        .filter(visit::Column::StartAt.gte(from))
        .filter(visit::Column::StartAt.lt(to))
        .filter(visit::Column::Status.ne(VisitStatus::Cancelled.code()))
        .filter(visit::Column::PlanId.in_subquery(team_plan_ids(team_id)));
    if let Some(member) = member {
        query = query.filter(visit::Column::MemberId.eq(member));
    }
    Ok(query
        .order_by_asc(visit::Column::StartAt)
        .order_by_asc(visit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(visit_record)
        .collect::<Result<_, _>>()?)
}

/// The end of the team's calendar: the latest end of a visit on it.
///
/// # Errors
/// The database fails.
pub async fn calendar_end(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(visit::Entity::find()
        .filter(visit::Column::OnCalendar.eq(true))
        .filter(visit::Column::PlanId.in_subquery(team_plan_ids(team_id)))
        .order_by_desc(visit::Column::EndAt)
        .one(db)
        .await?
        .map(|v| v.end_at))
}
