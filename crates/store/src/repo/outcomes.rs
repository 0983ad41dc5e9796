//! Outcomes recorded at visits, and the needs and attempts they move.
//!
//! A recording is one transaction: its request row under the client's
//! idempotency key (unique per visit), one row per result, the needs'
//! new statuses, the residents' attempts, the visit's status, the kept
//! counts and an audit entry. The same key a second time writes nothing
//! and reports the stored request, so the caller can tell a repeat from a
//! different body.
//!
//! Each result keeps the needs it moved with their state before the visit
//! (`outcome_needs`), so that a correction replacing the result puts back
//! what it changed. What a recording writes is decided inside the
//! transaction, from what the visit holds once its row is locked.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use doorstep_core::{NeedStatus, NeedStep, OutcomeResult, VisitStatus};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::audit::append_audit;
use super::tallies;
use crate::Code;
use crate::StoreError;
use crate::entity::{need, outcome, outcome_need, outcome_request, resident, visit};

/// A need as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeedState {
    /// Id.
    pub id: i32,
    /// The resident.
    pub resident_id: i32,
    /// The pipeline step.
    pub step: NeedStep,
    /// Open, done or not applicable.
    pub status: NeedStatus,
    /// The last result recorded for it.
    pub last_result: Option<OutcomeResult>,
    /// The appointment's day, for `needs_appointment`.
    pub appointment_on: Option<NaiveDate>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
    /// Who changed it (`user:12`, `import`).
    pub updated_by: Option<String>,
}

/// A resident of a visited household, with their needs and attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResidentState {
    /// Id.
    pub id: i32,
    /// Visits that found them away since one last met them.
    pub attempts: u32,
    /// The last such visit.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Their needs, in pipeline order.
    pub needs: Vec<NeedState>,
}

fn need_state(n: need::Model) -> Option<NeedState> {
    Some(NeedState {
        id: n.id,
        resident_id: n.resident_id,
        step: n.step.0,
        status: n.status.0,
        last_result: n.last_result.map(|c| c.0),
        appointment_on: n.appointment_on,
        updated_at: n.updated_at,
        updated_by: n.updated_by,
    })
}

/// The residents of a household with their needs and attempts, by id.
///
/// # Errors
/// The database fails.
pub async fn household_residents(
    db: &impl ConnectionTrait,
    household_id: i32,
) -> Result<Vec<ResidentState>, StoreError> {
    let residents = resident::Entity::find()
        .filter(resident::Column::HouseholdId.eq(household_id))
        .order_by_asc(resident::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = residents.iter().map(|r| r.id).collect();
    let mut needs: BTreeMap<i32, Vec<NeedState>> = BTreeMap::new();
    if !ids.is_empty() {
        for n in need::Entity::find()
            .filter(need::Column::ResidentId.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .filter_map(need_state)
        {
            needs.entry(n.resident_id).or_default().push(n);
        }
    }
    Ok(residents
        .into_iter()
        .map(|r| {
            let mut own = needs.remove(&r.id).unwrap_or_default();
            own.sort_by_key(|n| n.step);
            ResidentState {
                id: r.id,
                attempts: Ord::max(r.attempts, 0) as u32,
                last_attempt_at: r.last_attempt_at,
                needs: own,
            }
        })
        .collect())
}

/// One result to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeLine {
    /// The resident.
    pub resident_id: i32,
    /// The need, `None` for every need the visit was for.
    pub need: Option<NeedStep>,
    /// What happened.
    pub result: OutcomeResult,
    /// The appointment's day, for `needs_appointment`.
    pub appointment_on: Option<NaiveDate>,
}

/// A need's new state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeedChange {
    /// The need.
    pub need_id: i32,
    /// Its new status.
    pub status: NeedStatus,
    /// The result that moved it; `None` when a correction puts back a need
    /// that had none.
    pub last_result: Option<OutcomeResult>,
    /// The appointment's day, for `needs_appointment`.
    pub appointment_on: Option<NaiveDate>,
}

/// A need as it was before a visit's result moved it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeedBefore {
    /// The need.
    pub need_id: i32,
    /// Its status then.
    pub status: NeedStatus,
    /// Its last result then.
    pub last_result: Option<OutcomeResult>,
    /// Its appointment's day then.
    pub appointment_on: Option<NaiveDate>,
}

/// A result recorded at a visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedOutcome {
    /// The row.
    pub id: i32,
    /// What was recorded.
    pub line: OutcomeLine,
    /// Who recorded it (`user:12`).
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
    /// The needs it moved, each as it was before the visit; empty for a
    /// result that moved none, recorded before these were kept, or loaded
    /// in bulk.
    pub moved: Vec<NeedBefore>,
}

/// What a visit holds when a recording begins, read inside its transaction
/// after the visit is locked, so that two recordings at one visit see each
/// other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitOutcomes {
    /// The household's residents, with their needs and attempts.
    pub residents: Vec<ResidentState>,
    /// The residents' names, by id, for messages.
    pub names: BTreeMap<i32, String>,
    /// The results recorded at the visit, oldest first.
    pub recorded: Vec<RecordedOutcome>,
    /// The visit is on the team's calendar (read under the visit's lock: a
    /// publish that took it off meanwhile is seen).
    pub on_calendar: bool,
    /// The plan whose publishing took it off the calendar.
    pub replaced_by: Option<i32>,
}

/// A result to write, with the needs it moves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutcome {
    /// What is recorded.
    pub line: OutcomeLine,
    /// The needs it moves, each as it was before the visit.
    pub moved: Vec<NeedBefore>,
}

/// A result replaced by a correction, for the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// The resident.
    pub resident_id: i32,
    /// The need, `None` for every need the visit was for.
    pub need: Option<NeedStep>,
    /// The result recorded first, with its appointment's day.
    pub before: (OutcomeResult, Option<NaiveDate>),
    /// The result that replaces it.
    pub after: (OutcomeResult, Option<NaiveDate>),
}

/// What a recording writes, decided from what the visit holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutcomePlan {
    /// The results to add.
    pub lines: Vec<NewOutcome>,
    /// Results a correction replaces: deleted with the needs they moved.
    pub replaced: Vec<i32>,
    /// Needs a result keeps no more (a correction of one need of a resident
    /// recorded for every need): `(outcome, need)`.
    pub released: Vec<(i32, i32)>,
    /// The needs' new states.
    pub needs: Vec<NeedChange>,
    /// What the correction changed, for the audit log.
    pub corrections: Vec<Correction>,
}

impl OutcomePlan {
    /// Nothing to write: every result was recorded already.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
            && self.replaced.is_empty()
            && self.released.is_empty()
            && self.needs.is_empty()
    }
}

/// The request a recording writes under.
#[derive(Clone, Debug)]
pub struct OutcomeWrite<'a> {
    /// The visit.
    pub visit_id: i32,
    /// The client's idempotency key.
    pub key: &'a str,
    /// A digest of the request as understood.
    pub body_hash: &'a str,
    /// The volunteer's note.
    pub note: Option<&'a str>,
    /// Who records (`user:12`).
    pub actor: &'a str,
    /// When.
    pub now: DateTime<Utc>,
}

/// What a recording did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Written; the visit's status now.
    New(VisitStatus),
    /// Every result was recorded at the visit already: nothing written.
    Unchanged,
    /// The key was used before for this visit: nothing written. The stored
    /// request's digest tells a repeat from a different body.
    Repeat {
        /// The digest stored with the key.
        body_hash: String,
    },
}

/// Records outcomes in one transaction (see the module's documentation).
///
/// The visit's row is locked first (`FOR UPDATE` on PostgreSQL; on SQLite
/// the transaction takes the write lock at once), then what the visit
/// holds is read and handed to `decide`, which answers what to write or
/// why not: two recordings at one visit are decided one after the other,
/// each seeing what the other wrote.
///
/// A resident's attempt counts once per visit however often it is recorded;
/// a resident met clears their attempts; a resident whose result a
/// correction replaces has their attempts counted again from their visits
/// in time order. The visit is done when any result met someone, missed
/// otherwise.
///
/// # Errors
/// The visit does not exist, the database fails, or `decide` refuses;
/// nothing is written.
pub async fn record_outcomes<C, E, F>(
    db: &C,
    write: &OutcomeWrite<'_>,
    decide: F,
) -> Result<Recorded, E>
where
    C: TransactionTrait<Transaction = DatabaseTransaction>,
    E: From<StoreError>,
    F: FnOnce(&VisitOutcomes) -> Result<OutcomePlan, E>,
{
    let txn = super::begin_writing(db).await?;
    let Some(visit) = visit::Entity::find_by_id(write.visit_id)
        .lock_exclusive()
        .one(&txn)
        .await
        .map_err(StoreError::from)?
    else {
        return Err(
            StoreError::NotFound(format!("visit {} does not exist", write.visit_id)).into(),
        );
    };
    let inserted = outcome_request::Entity::insert(outcome_request::ActiveModel {
        visit_id: Set(write.visit_id),
        idempotency_key: Set(write.key.to_owned()),
        body_hash: Set(write.body_hash.to_owned()),
        note: Set(write.note.map(str::to_owned)),
        recorded_by: Set(write.actor.to_owned()),
        recorded_at: Set(write.now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            outcome_request::Column::VisitId,
            outcome_request::Column::IdempotencyKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await
    .map_err(StoreError::from)?;
    let request = outcome_request::Entity::find()
        .filter(outcome_request::Column::VisitId.eq(write.visit_id))
        .filter(outcome_request::Column::IdempotencyKey.eq(write.key))
        .one(&txn)
        .await
        .map_err(StoreError::from)?
        .ok_or_else(|| StoreError::NotFound("the outcome request just written".into()))?;
    if inserted == 0 {
        return Ok(Recorded::Repeat {
            body_hash: request.body_hash,
        });
    }

    let held = visit_holds(&txn, &visit).await?;
    let plan = decide(&held)?;
    if plan.is_empty() {
        // Dropped unanswered, the transaction leaves not even the request.
        return Ok(Recorded::Unchanged);
    }
    let status = write_plan(&txn, write, &visit, request.id, &held, &plan).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(Recorded::New(status))
}

/// What the visit holds: its household's residents and the results
/// recorded at it, with the needs each moved.
async fn visit_holds(
    db: &impl ConnectionTrait,
    visit: &visit::Model,
) -> Result<VisitOutcomes, StoreError> {
    let residents = household_residents(db, visit.household_id).await?;
    let names = resident::Entity::find()
        .filter(resident::Column::HouseholdId.eq(visit.household_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.full_name))
        .collect();
    let rows = outcome::Entity::find()
        .filter(outcome::Column::VisitId.eq(visit.id))
        .order_by_asc(outcome::Column::Id)
        .all(db)
        .await?;
    let mut moved: BTreeMap<i32, Vec<NeedBefore>> = BTreeMap::new();
    if !rows.is_empty() {
        for m in outcome_need::Entity::find()
            .filter(outcome_need::Column::OutcomeId.is_in(rows.iter().map(|o| o.id)))
            .order_by_asc(outcome_need::Column::Id)
            .all(db)
            .await?
        {
            moved.entry(m.outcome_id).or_default().push(NeedBefore {
                need_id: m.need_id,
                status: m.status_before.0,
                last_result: m.last_result_before.map(|c| c.0),
                appointment_on: m.appointment_before,
            });
        }
    }
    let recorded = rows
        .into_iter()
        .filter_map(|o| {
            Some(RecordedOutcome {
                id: o.id,
                line: OutcomeLine {
                    resident_id: o.resident_id?,
                    need: o.need.as_deref().and_then(NeedStep::parse),
                    result: o.result.0,
                    appointment_on: o.appointment_on,
                },
                moved: moved.remove(&o.id).unwrap_or_default(),
                recorded_by: o.recorded_by,
                recorded_at: o.recorded_at,
            })
        })
        .collect();
    Ok(VisitOutcomes {
        residents,
        names,
        recorded,
        on_calendar: visit.on_calendar,
        replaced_by: visit.replaced_by,
    })
}

/// Writes a decided recording; answers the visit's new status.
async fn write_plan(
    txn: &DatabaseTransaction,
    write: &OutcomeWrite<'_>,
    visit: &visit::Model,
    request_id: i32,
    held: &VisitOutcomes,
    plan: &OutcomePlan,
) -> Result<VisitStatus, StoreError> {
    // Residents whose earlier results a correction replaces: their attempts
    // are counted again once everything is written.
    let corrected: BTreeSet<i32> = held
        .recorded
        .iter()
        .filter(|o| {
            plan.replaced.contains(&o.id) || plan.released.iter().any(|(id, _)| *id == o.id)
        })
        .map(|o| o.line.resident_id)
        .collect();
    for (outcome_id, need_id) in &plan.released {
        outcome_need::Entity::delete_many()
            .filter(outcome_need::Column::OutcomeId.eq(*outcome_id))
            .filter(outcome_need::Column::NeedId.eq(*need_id))
            .exec(txn)
            .await?;
    }
    if !plan.replaced.is_empty() {
        outcome_need::Entity::delete_many()
            .filter(outcome_need::Column::OutcomeId.is_in(plan.replaced.iter().copied()))
            .exec(txn)
            .await?;
        outcome::Entity::delete_many()
            .filter(outcome::Column::Id.is_in(plan.replaced.iter().copied()))
            .exec(txn)
            .await?;
    }

    // Residents already counted away at this visit.
    let counted: BTreeSet<i32> = outcome::Entity::find()
        .filter(outcome::Column::VisitId.eq(write.visit_id))
        .filter(outcome::Column::Result.is_in([
            OutcomeResult::NotHome.code(),
            OutcomeResult::Reschedule.code(),
        ]))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|o| o.resident_id)
        .collect();
    for new in &plan.lines {
        let line = &new.line;
        let row = outcome::ActiveModel {
            request_id: Set(request_id),
            visit_id: Set(write.visit_id),
            resident_id: Set(Some(line.resident_id)),
            need: Set(line.need.map(|n| n.code().to_owned())),
            result: Set(Code(line.result)),
            appointment_on: Set(line.appointment_on),
            recorded_by: Set(write.actor.to_owned()),
            recorded_at: Set(write.now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        for before in &new.moved {
            outcome_need::ActiveModel {
                outcome_id: Set(row.id),
                need_id: Set(before.need_id),
                status_before: Set(Code(before.status)),
                last_result_before: Set(before.last_result.map(Code)),
                appointment_before: Set(before.appointment_on),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
    }
    for change in &plan.needs {
        need::Entity::update_many()
            .col_expr(
                need::Column::Status,
                Expr::value(change.status.code().to_owned()),
            )
            .col_expr(
                need::Column::LastResult,
                Expr::value(change.last_result.map(|r| r.code().to_owned())),
            )
            .col_expr(
                need::Column::AppointmentOn,
                Expr::value(change.appointment_on),
            )
            .col_expr(need::Column::UpdatedAt, Expr::value(write.now))
            .col_expr(need::Column::UpdatedBy, Expr::value(write.actor.to_owned()))
            .filter(need::Column::Id.eq(change.need_id))
            .exec(txn)
            .await?;
    }
    let lines = || plan.lines.iter().map(|n| &n.line);
    let met: BTreeSet<i32> = lines()
        .filter(|l| l.result.met())
        .map(|l| l.resident_id)
        .filter(|r| !corrected.contains(r))
        .collect();
    let away: BTreeSet<i32> = lines()
        .filter(|l| l.result.attempt() && !met.contains(&l.resident_id))
        .map(|l| l.resident_id)
        .filter(|r| !counted.contains(r) && !corrected.contains(r))
        .collect();
    if !met.is_empty() {
        resident::Entity::update_many()
            .col_expr(resident::Column::Attempts, Expr::value(0))
            .filter(resident::Column::Id.is_in(met.iter().copied()))
            .exec(txn)
            .await?;
    }
    if !away.is_empty() {
        resident::Entity::update_many()
            .col_expr(
                resident::Column::Attempts,
                Expr::col(resident::Column::Attempts).add(1),
            )
            .col_expr(resident::Column::LastAttemptAt, Expr::value(write.now))
            .filter(resident::Column::Id.is_in(away.iter().copied()))
            .exec(txn)
            .await?;
    }
    recount_attempts(txn, &corrected).await?;

    let now_recorded = outcome::Entity::find()
        .filter(outcome::Column::VisitId.eq(write.visit_id))
        .all(txn)
        .await?;
    let results: Vec<OutcomeResult> = now_recorded.iter().map(|o| o.result.0).collect();
    let status = if results.iter().any(|r| r.met()) {
        VisitStatus::Done
    } else {
        VisitStatus::Missed
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for result in &results {
        *counts.entry(result.code()).or_default() += 1;
    }
    let mut active = visit.clone().into_active_model();
    active.status = Set(Code(status));
    active.outcome = Set(Some(
        serde_json::to_string(&counts).expect("counts serialise"),
    ));
    active.updated_at = Set(write.now);
    let visit = active.update(txn).await?;
    // A visit done, a need done: the audit's counts of the household's team.
    tallies::refresh_households(txn, &[visit.household_id]).await?;
    let mut added: BTreeMap<&str, usize> = BTreeMap::new();
    for line in lines() {
        *added.entry(line.result.code()).or_default() += 1;
    }
    let mut detail = serde_json::json!({
        "results": added,
        "needs_changed": plan.needs.len(),
        "attempts_counted": away.len(),
        "status": status.code(),
    });
    let action = if plan.corrections.is_empty() {
        "record_outcome"
    } else {
        let result = |(r, day): (OutcomeResult, Option<NaiveDate>)| match day {
            Some(day) => format!("{} {day}", r.code()),
            None => r.code().to_owned(),
        };
        detail["corrections"] = plan
            .corrections
            .iter()
            .map(|c| {
                serde_json::json!({
                    "resident_id": c.resident_id,
                    "need": c.need.map(NeedStep::code),
                    "before": result(c.before),
                    "after": result(c.after),
                })
            })
            .collect();
        "correct_outcome"
    };
    append_audit(
        txn,
        write.now,
        write.actor,
        action,
        "visit",
        Some(write.visit_id),
        detail,
    )
    .await?;
    Ok(status)
}

/// What one visit found of a resident: met, or away since when.
#[derive(Default)]
struct AtVisit {
    met: bool,
    away_at: Option<DateTime<Utc>>,
}

/// Counts again the attempts of these residents from every result recorded
/// for them, visit by visit in the visits' time order: a visit that met
/// them clears the count, one that found them away adds one. The last
/// attempt is when the latest visit that found them away was recorded.
async fn recount_attempts(
    db: &impl ConnectionTrait,
    residents: &BTreeSet<i32>,
) -> Result<(), StoreError> {
    if residents.is_empty() {
        return Ok(());
    }
    let rows = outcome::Entity::find()
        .filter(outcome::Column::ResidentId.is_in(residents.iter().copied()))
        .all(db)
        .await?;
    let visit_ids: BTreeSet<i32> = rows.iter().map(|o| o.visit_id).collect();
    let starts: BTreeMap<i32, DateTime<Utc>> = if visit_ids.is_empty() {
        BTreeMap::new()
    } else {
        visit::Entity::find()
            .filter(visit::Column::Id.is_in(visit_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v.start_at))
            .collect()
    };
    // Per resident, their visits in time order.
    let mut visits: BTreeMap<i32, BTreeMap<(DateTime<Utc>, i32), AtVisit>> = BTreeMap::new();
    for o in &rows {
        let result = o.result.0;
        let (Some(resident), Some(start)) = (o.resident_id, starts.get(&o.visit_id)) else {
            continue;
        };
        let at = visits
            .entry(resident)
            .or_default()
            .entry((*start, o.visit_id))
            .or_default();
        at.met |= result.met();
        if result.attempt() {
            at.away_at = Some(
                at.away_at
                    .map_or(o.recorded_at, |t| Ord::min(t, o.recorded_at)),
            );
        }
    }
    for resident in residents {
        let mut attempts = 0;
        let mut last = None;
        for at in visits.get(resident).into_iter().flat_map(|v| v.values()) {
            if at.met {
                attempts = 0;
            } else if let Some(away_at) = at.away_at {
                attempts += 1;
                last = Some(last.map_or(away_at, |t| Ord::max(t, away_at)));
            }
        }
        resident::Entity::update_many()
            .col_expr(resident::Column::Attempts, Expr::value(attempts))
            .col_expr(resident::Column::LastAttemptAt, Expr::value(last))
            .filter(resident::Column::Id.eq(*resident))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The results recorded at a visit, oldest first.
///
/// # Errors
/// The database fails.
pub async fn visit_outcomes(
    db: &impl ConnectionTrait,
    visit_id: i32,
) -> Result<Vec<OutcomeLine>, StoreError> {
    Ok(outcome::Entity::find()
        .filter(outcome::Column::VisitId.eq(visit_id))
        .order_by_asc(outcome::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|o| {
            Some(OutcomeLine {
                resident_id: o.resident_id?,
                need: o.need.as_deref().and_then(NeedStep::parse),
                result: o.result.0,
                appointment_on: o.appointment_on,
            })
        })
        .collect())
}

/// The results recorded at each of `visit_ids`, by visit, oldest first:
/// one query for a day's list.
///
/// # Errors
/// The database fails.
pub async fn outcomes_of_visits(
    db: &impl ConnectionTrait,
    visit_ids: &[i32],
) -> Result<BTreeMap<i32, Vec<OutcomeLine>>, StoreError> {
    let mut found: BTreeMap<i32, Vec<OutcomeLine>> = BTreeMap::new();
    if visit_ids.is_empty() {
        return Ok(found);
    }
    for o in outcome::Entity::find()
        .filter(outcome::Column::VisitId.is_in(visit_ids.iter().copied()))
        .order_by_asc(outcome::Column::Id)
        .all(db)
        .await?
    {
        let Some(resident_id) = o.resident_id else {
            continue;
        };
        found.entry(o.visit_id).or_default().push(OutcomeLine {
            resident_id,
            need: o.need.as_deref().and_then(NeedStep::parse),
            result: o.result.0,
            appointment_on: o.appointment_on,
        });
    }
    Ok(found)
}

/// The digest stored with an idempotency key already used for the visit.
///
/// # Errors
/// The database fails.
pub async fn request_digest(
    db: &impl ConnectionTrait,
    visit_id: i32,
    key: &str,
) -> Result<Option<String>, StoreError> {
    Ok(outcome_request::Entity::find()
        .filter(outcome_request::Column::VisitId.eq(visit_id))
        .filter(outcome_request::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?
        .map(|r| r.body_hash))
}
