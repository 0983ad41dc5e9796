//! Outcomes recorded at visits, and the needs and attempts they move.
//!
//! A recording is one transaction: its request row under the client's
//! idempotency key (unique per visit), one row per result, the needs'
//! new statuses, the residents' attempts, the visit's status and an audit
//! entry. The same key a second time writes nothing and reports the stored
//! request, so the caller can tell a repeat from a different body.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use doorstep_core::{NeedStatus, NeedStep, OutcomeResult, VisitStatus};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};

use super::audit::append_audit;
use super::tallies;
use crate::StoreError;
use crate::entity::{need, outcome, outcome_request, resident, visit};

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
        step: NeedStep::parse(&n.step)?,
        status: NeedStatus::parse(&n.status).unwrap_or(NeedStatus::Open),
        last_result: n.last_result.as_deref().and_then(OutcomeResult::parse),
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
    /// The result that moved it.
    pub result: OutcomeResult,
    /// The appointment's day, for `needs_appointment`.
    pub appointment_on: Option<NaiveDate>,
}

/// Everything one recording writes.
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
    /// The results.
    pub lines: &'a [OutcomeLine],
    /// The needs they move.
    pub needs: &'a [NeedChange],
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
    /// The key was used before for this visit: nothing written. The stored
    /// request's digest tells a repeat from a different body.
    Repeat {
        /// The digest stored with the key.
        body_hash: String,
    },
}

/// Records outcomes in one transaction (see the module's documentation).
/// A resident's attempt counts once per visit however often it is recorded;
/// a resident met clears their attempts. The visit is done when any result
/// met someone, missed otherwise.
///
/// # Errors
/// The visit does not exist, or the database fails; nothing is written.
pub async fn record_outcomes<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    write: &OutcomeWrite<'_>,
) -> Result<Recorded, StoreError> {
    let txn = db.begin().await?;
    let Some(visit) = visit::Entity::find_by_id(write.visit_id).one(&txn).await? else {
        return Err(StoreError::NotFound(format!(
            "visit {} does not exist",
            write.visit_id
        )));
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
    .await?;
    let request = outcome_request::Entity::find()
        .filter(outcome_request::Column::VisitId.eq(write.visit_id))
        .filter(outcome_request::Column::IdempotencyKey.eq(write.key))
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::NotFound("the outcome request just written".into()))?;
    if inserted == 0 {
        return Ok(Recorded::Repeat {
            body_hash: request.body_hash,
        });
    }

    // Residents already counted away at this visit.
    let counted: BTreeSet<i32> = outcome::Entity::find()
        .filter(outcome::Column::VisitId.eq(write.visit_id))
        .filter(outcome::Column::Result.is_in([
            OutcomeResult::NotHome.code(),
            OutcomeResult::Reschedule.code(),
        ]))
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|o| o.resident_id)
        .collect();
    for line in write.lines {
        outcome::ActiveModel {
            request_id: Set(request.id),
            visit_id: Set(write.visit_id),
            resident_id: Set(Some(line.resident_id)),
            need: Set(line.need.map(|n| n.code().to_owned())),
            result: Set(line.result.code().to_owned()),
            appointment_on: Set(line.appointment_on),
            recorded_by: Set(write.actor.to_owned()),
            recorded_at: Set(write.now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for change in write.needs {
        need::Entity::update_many()
            .col_expr(
                need::Column::Status,
                Expr::value(change.status.code().to_owned()),
            )
            .col_expr(
                need::Column::LastResult,
                Expr::value(change.result.code().to_owned()),
            )
            .col_expr(
                need::Column::AppointmentOn,
                Expr::value(change.appointment_on),
            )
            .col_expr(need::Column::UpdatedAt, Expr::value(write.now))
            .col_expr(need::Column::UpdatedBy, Expr::value(write.actor.to_owned()))
            .filter(need::Column::Id.eq(change.need_id))
            .exec(&txn)
            .await?;
    }
    let met: BTreeSet<i32> = write
        .lines
        .iter()
        .filter(|l| l.result.met())
        .map(|l| l.resident_id)
        .collect();
    let away: BTreeSet<i32> = write
        .lines
        .iter()
        .filter(|l| l.result.attempt() && !met.contains(&l.resident_id))
        .map(|l| l.resident_id)
        .filter(|r| !counted.contains(r))
        .collect();
    if !met.is_empty() {
        resident::Entity::update_many()
            .col_expr(resident::Column::Attempts, Expr::value(0))
            .filter(resident::Column::Id.is_in(met.iter().copied()))
            .exec(&txn)
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
            .exec(&txn)
            .await?;
    }

    let results: Vec<OutcomeResult> = outcome::Entity::find()
        .filter(outcome::Column::VisitId.eq(write.visit_id))
        .all(&txn)
        .await?
        .iter()
        .filter_map(|o| OutcomeResult::parse(&o.result))
        .collect();
    let status = if results.iter().any(|r| r.met()) {
        VisitStatus::Done
    } else {
        VisitStatus::Missed
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for line in write.lines {
        *counts.entry(line.result.code()).or_default() += 1;
    }
    let mut active = visit.into_active_model();
    active.status = Set(status.code().to_owned());
    active.outcome = Set(Some(
        serde_json::to_string(&counts).expect("counts serialise"),
    ));
    active.updated_at = Set(write.now);
    let visit = active.update(&txn).await?;
    // A visit done, a need done: the audit's counts of the household's team.
    tallies::refresh_households(&txn, &[visit.household_id]).await?;
    append_audit(
        &txn,
        write.now,
        write.actor,
        "record_outcome",
        "visit",
        Some(write.visit_id),
        serde_json::json!({
            "results": counts,
            "needs_changed": write.needs.len(),
            "attempts_counted": away.len(),
            "status": status.code(),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(Recorded::New(status))
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
                result: OutcomeResult::parse(&o.result)?,
                appointment_on: o.appointment_on,
            })
        })
        .collect())
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
