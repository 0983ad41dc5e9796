//! Plans, their visits and the households they leave out.

use chrono::{DateTime, NaiveDate, Utc};
use doorstep_core::{NeedStep, PlanStatus, UnmetReason, VisitMode, VisitStatus};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};

use super::audit::append_audit;
use crate::StoreError;
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
        status: PlanStatus::parse(&p.status).unwrap_or(PlanStatus::Draft),
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
}

fn visit_record(v: visit::Model) -> VisitRecord {
    visit_from_parts(
        v.id,
        v.plan_id,
        v.household_id,
        v.member_id,
        (v.start_at, v.end_at),
        (&v.mode, &v.purposes, &v.residents, &v.status),
        v.pinned,
        v.job,
        v.updated_at,
    )
}

/// A visit from its stored columns: (mode, purposes, residents, status) as
/// stored text.
#[allow(clippy::too_many_arguments)]
pub(crate) fn visit_from_parts(
    id: i32,
    plan_id: i32,
    household_id: i32,
    member_id: i32,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    (mode, purposes, residents, status): (&str, &str, &str, &str),
    pinned: bool,
    job: String,
    updated_at: DateTime<Utc>,
) -> VisitRecord {
    let purposes: Vec<String> = serde_json::from_str(purposes).unwrap_or_default();
    VisitRecord {
        id,
        plan_id,
        household_id,
        member_id,
        start,
        end,
        mode: VisitMode::parse(mode).unwrap_or(VisitMode::InPerson),
        purposes: purposes.iter().filter_map(|p| NeedStep::parse(p)).collect(),
        residents: serde_json::from_str(residents).unwrap_or_default(),
        status: VisitStatus::parse(status).unwrap_or(VisitStatus::Proposed),
        pinned,
        job,
        updated_at,
    }
}

fn visit_model(plan_id: i32, v: &NewVisit, now: DateTime<Utc>) -> visit::ActiveModel {
    visit::ActiveModel {
        plan_id: Set(plan_id),
        household_id: Set(v.household_id),
        member_id: Set(v.member_id),
        start_at: Set(v.start),
        end_at: Set(v.end),
        mode: Set(v.mode.code().to_string()),
        purposes: Set(codes(&v.purposes)),
        residents: Set(serde_json::to_string(&v.residents).expect("ids serialise")),
        status: Set(v.status.code().to_string()),
        pinned: Set(v.pinned),
        outcome: Set(None),
        job: Set(v.job.clone()),
        updated_at: Set(now),
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
            reason: Set(u.reason.code().to_string()),
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
/// audit entry, in one transaction.
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
    let txn = db.begin().await?;
    let saved = create_plan_in(&txn, plan, visits, unmet, actor, now).await?;
    txn.commit().await?;
    Ok(saved)
}

/// As [`create_plan`], inside the caller's transaction, which writes it with
/// its other rows (a planning job marked done with its plan: `repo::jobs`).
///
/// # Errors
/// The database fails; the caller's transaction should then be dropped.
pub async fn create_plan_in(
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
        status: Set(PlanStatus::Draft.code().to_string()),
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

/// Replaces a plan's contents after a re-plan, in one transaction: the
/// visits in `keep` stay exactly as they are (same ids), every other visit
/// is removed, `visits` are added, the unmet list and figures are replaced.
///
/// # Errors
/// The plan does not exist, or the database fails; nothing is written.
#[allow(clippy::too_many_arguments)]
pub async fn replace_plan_contents<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    plan_id: i32,
    keep: &[i32],
    visits: &[NewVisit],
    unmet: &[UnmetRecord],
    figures: &PlanFigures,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PlanRecord, StoreError> {
    let txn = db.begin().await?;
    let Some(old) = plan::Entity::find_by_id(plan_id).one(&txn).await? else {
        return Err(StoreError::NotFound(format!(
            "plan {plan_id} does not exist"
        )));
    };
    let mut delete = visit::Entity::delete_many().filter(visit::Column::PlanId.eq(plan_id));
    if !keep.is_empty() {
        delete = delete.filter(visit::Column::Id.is_not_in(keep.iter().copied()));
    }
    let removed = delete.exec(&txn).await?.rows_affected;
    unmet::Entity::delete_many()
        .filter(unmet::Column::PlanId.eq(plan_id))
        .exec(&txn)
        .await?;
    insert_contents(&txn, plan_id, visits, unmet, now).await?;
    let mut active = old.into_active_model();
    active.objective = Set(Some(clamp(figures.objective)));
    active.upper_bound = Set(Some(clamp(figures.upper_bound)));
    active.travel_minutes = Set(Some(clamp(figures.travel_minutes)));
    active.solver_ms = Set(Some(clamp(figures.solver_ms)));
    active.figures = Set(Some(figures.extra.to_string()));
    let saved = active.update(&txn).await?;
    append_audit(
        &txn,
        now,
        actor,
        "replan",
        "plan",
        Some(plan_id),
        serde_json::json!({
            "kept": keep.len(), "removed": removed, "added": visits.len(),
            "unmet": unmet.len(), "objective": figures.objective,
        }),
    )
    .await?;
    txn.commit().await?;
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
        .collect())
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
            reason: UnmetReason::parse(&u.reason).unwrap_or(UnmetReason::NoWindow),
            explanation_vi: u.explanation_vi,
            explanation_en: u.explanation_en,
        })
        .collect())
}

/// Publishes a plan, in one transaction: its visits become the volunteers'
/// lists, and a published plan of the same team whose days overlap becomes
/// superseded. Returns the plans superseded.
///
/// # Errors
/// The plan does not exist, or the database fails; nothing is written.
pub async fn publish_plan<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    plan_id: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(PlanRecord, Vec<i32>), StoreError> {
    let txn = db.begin().await?;
    let published = publish_plan_in(&txn, plan_id, actor, now).await?;
    txn.commit().await?;
    Ok(published)
}

/// As [`publish_plan`], inside the caller's transaction.
///
/// # Errors
/// The plan does not exist, or the database fails; the caller's transaction
/// should then be dropped.
pub async fn publish_plan_in(
    txn: &impl ConnectionTrait,
    plan_id: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(PlanRecord, Vec<i32>), StoreError> {
    let Some(p) = plan::Entity::find_by_id(plan_id).one(txn).await? else {
        return Err(StoreError::NotFound(format!(
            "plan {plan_id} does not exist"
        )));
    };
    let overlapping = plan::Entity::find()
        .filter(plan::Column::TeamId.eq(p.team_id))
        .filter(plan::Column::Id.ne(plan_id))
        .filter(plan::Column::Status.eq(PlanStatus::Published.code()))
        .filter(plan::Column::HorizonStart.lt(p.horizon_end))
        .filter(plan::Column::HorizonEnd.gt(p.horizon_start))
        .all(txn)
        .await?;
    let superseded: Vec<i32> = overlapping.iter().map(|o| o.id).collect();
    for o in overlapping {
        let mut active = o.into_active_model();
        active.status = Set(PlanStatus::Superseded.code().to_string());
        active.update(txn).await?;
    }
    let mut active = p.into_active_model();
    active.status = Set(PlanStatus::Published.code().to_string());
    active.published_at = Set(Some(now));
    let saved = active.update(txn).await?;
    append_audit(
        txn,
        now,
        actor,
        "publish_plan",
        "plan",
        Some(plan_id),
        serde_json::json!({"superseded": superseded}),
    )
    .await?;
    Ok((plan_record(saved), superseded))
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
        .map(visit_record))
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
    let txn = db.begin().await?;
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
    active.status = Set(changed.status.code().to_string());
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
    Ok(visit_record(saved))
}

/// Visits of published plans that start in `[from, to)`, not cancelled, by
/// start: of one member (`member = Some`) or of a whole team.
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
    let plans: Vec<i32> = plan::Entity::find()
        .filter(plan::Column::TeamId.eq(team_id))
        .filter(plan::Column::Status.eq(PlanStatus::Published.code()))
        .filter(plan::Column::HorizonStart.lt(to))
        .filter(plan::Column::HorizonEnd.gt(from))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    if plans.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = visit::Entity::find()
        .filter(visit::Column::PlanId.is_in(plans))
        .filter(visit::Column::StartAt.gte(from))
        .filter(visit::Column::StartAt.lt(to))
        .filter(visit::Column::Status.ne(VisitStatus::Cancelled.code()));
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
        .collect())
}
