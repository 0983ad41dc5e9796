//! Residents' rights, as stored: consent given and withdrawn (with who, when
//! and which text), everything held about one resident, and erasure — the
//! personal data goes from every table, visits and counts keep an anonymous
//! trace, and a tombstone (a hash of the register's keys) keeps a re-import
//! from bringing the resident back.

use doorstep_core::ConsentAction;
use doorstep_core::records::{
    ConsentEntry, Household, Need, OutcomeEntry, Resident, UnmetEntry, VisitNote,
};
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use doorstep_core::{NeedStatus, NeedStep, VisitStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Statement, TransactionSession, TransactionTrait, Value,
};
use sha2::{Digest, Sha256};

use super::audit::append_audit;
use super::plans::VisitRecord;
use super::tallies;
use crate::Code;
use crate::StoreError;
use crate::entity::{
    consent, erasure, household, need, outbox, outcome, outcome_request, resident, unmet, visit,
};

fn consent_entry(c: consent::Model) -> ConsentEntry {
    ConsentEntry {
        action: c.action.0,
        text_version: c.text_version,
        text: c.text,
        recorded_by: c.recorded_by,
        recorded_at: c.recorded_at,
    }
}

/// What erased personal data is replaced with where a trace stays.
pub const ERASED: &str = "[đã xoá / erased]";

/// The tombstone's key: SHA-256 of the household's and the resident's
/// register keys.
pub fn register_key_hash(household_key: &str, resident_key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(household_key.as_bytes());
    hasher.update([0]);
    hasher.update(resident_key.as_bytes());
    hasher.finalize().iter().fold(String::new(), |mut out, b| {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Whether the resident of these register keys was erased from the team.
///
/// # Errors
/// The database fails.
pub async fn was_erased(
    db: &impl ConnectionTrait,
    team_id: i32,
    household_key: &str,
    resident_key: &str,
) -> Result<bool, StoreError> {
    Ok(erasure::Entity::find()
        .filter(erasure::Column::TeamId.eq(team_id))
        .filter(erasure::Column::RegisterKeyHash.eq(register_key_hash(household_key, resident_key)))
        .one(db)
        .await?
        .is_some())
}

/// A resident with their household.
///
/// # Errors
/// The database fails.
pub async fn find_resident(
    db: &impl ConnectionTrait,
    resident_id: i32,
) -> Result<Option<(Resident, Household)>, StoreError> {
    Ok(resident_rows(db, resident_id)
        .await?
        .map(|(r, h)| (r.into(), h.into())))
}

async fn resident_rows(
    db: &impl ConnectionTrait,
    resident_id: i32,
) -> Result<Option<(resident::Model, household::Model)>, StoreError> {
    let Some(resident) = resident::Entity::find_by_id(resident_id).one(db).await? else {
        return Ok(None);
    };
    let household = household::Entity::find_by_id(resident.household_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("household of resident {resident_id}")))?;
    Ok(Some((resident, household)))
}

/// A consent to record.
#[derive(Clone, Debug)]
pub struct ConsentWrite<'a> {
    /// The resident.
    pub resident_id: i32,
    /// Given (`true`) or withdrawn.
    pub given: bool,
    /// Which text, e.g. `mẫu 01/2025`.
    pub text_version: &'a str,
    /// The text the resident was shown.
    pub text: &'a str,
    /// Who recorded it (`user:12`).
    pub actor: &'a str,
    /// When.
    pub now: DateTime<Utc>,
}

/// What recording a consent changed.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsentRecorded {
    /// The resident as they now are.
    pub resident: Resident,
    /// The consent recorded.
    pub consent: ConsentEntry,
    /// Visits still to come the resident was taken off (withdrawal).
    pub visits_changed: Vec<i32>,
    /// Of them, visits left with nobody and cancelled.
    pub visits_cancelled: Vec<i32>,
}

/// Records a consent given or withdrawn, in one transaction. A withdrawal
/// clears the resident's consent (planning then leaves them out) and takes
/// them off every visit still to come; a visit left with nobody is
/// cancelled.
///
/// # Errors
/// No such resident, or the database fails; then nothing is written.
pub async fn record_consent<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    write: &ConsentWrite<'_>,
) -> Result<ConsentRecorded, StoreError> {
    let txn = super::begin_writing(db).await?;
    let (resident, household) = resident_rows(&txn, write.resident_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("resident {}", write.resident_id)))?;
    let consent = consent::ActiveModel {
        resident_id: Set(Some(resident.id)),
        team_id: Set(household.team_id),
        action: Set(Code(if write.given {
            ConsentAction::Given
        } else {
            ConsentAction::Withdrawn
        })),
        text_version: Set(write.text_version.to_owned()),
        text: Set(write.text.to_owned()),
        recorded_by: Set(write.actor.to_owned()),
        recorded_at: Set(write.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut active = resident.clone().into_active_model();
    if write.given {
        active.consent_at = Set(Some(write.now));
        active.consent_by = Set(Some(write.actor.to_owned()));
        active.consent_text = Set(Some(write.text.to_owned()));
    } else {
        active.consent_at = Set(None);
        active.consent_by = Set(None);
        active.consent_text = Set(None);
    }
    active.updated_at = Set(write.now);
    let resident = active.update(&txn).await?;
    let (visits_changed, visits_cancelled) = if write.given {
        (Vec::new(), Vec::new())
    } else {
        take_off_visits(&txn, &household, resident.id, write.now, true).await?
    };
    append_audit(
        &txn,
        write.now,
        write.actor,
        if write.given {
            "give_consent"
        } else {
            "withdraw_consent"
        },
        "resident",
        Some(resident.id),
        serde_json::json!({
            "text_version": write.text_version,
            "visits_changed": visits_changed.len(),
            "visits_cancelled": visits_cancelled.len(),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(ConsentRecorded {
        resident: resident.into(),
        consent: consent_entry(consent),
        visits_changed,
        visits_cancelled,
    })
}

/// Takes a resident off the household's visits — only those still to come
/// (`upcoming_only`) or all of them — narrowing each visit's purposes to the
/// open needs of those left; a visit still to come left with nobody is
/// cancelled, a past one keeps its anonymous trace.
async fn take_off_visits(
    db: &impl ConnectionTrait,
    household: &household::Model,
    resident_id: i32,
    now: DateTime<Utc>,
    upcoming_only: bool,
) -> Result<(Vec<i32>, Vec<i32>), StoreError> {
    let visits = visit::Entity::find()
        .filter(visit::Column::HouseholdId.eq(household.id))
        .all(db)
        .await?;
    let mut changed = Vec::new();
    let mut cancelled = Vec::new();
    for v in visits {
        let upcoming = v.start_at > now
            && [VisitStatus::Proposed, VisitStatus::Confirmed].contains(&v.status.0);
        if upcoming_only && !upcoming {
            continue;
        }
        let residents: Vec<i32> = serde_json::from_str(&v.residents).unwrap_or_default();
        if !residents.contains(&resident_id) {
            continue;
        }
        let left: Vec<i32> = residents
            .into_iter()
            .filter(|r| *r != resident_id)
            .collect();
        let open: BTreeSet<String> = need::Entity::find()
            .filter(need::Column::ResidentId.is_in(left.clone()))
            .filter(need::Column::Status.eq(NeedStatus::Open.code()))
            .all(db)
            .await?
            .into_iter()
            .map(|n| n.step.0.code().to_owned())
            .collect();
        let purposes: Vec<String> = serde_json::from_str::<Vec<String>>(&v.purposes)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !upcoming || open.contains(p))
            .filter(|p| NeedStep::parse(p).is_some())
            .collect();
        let mut active = v.clone().into_active_model();
        active.residents = Set(serde_json::to_string(&left).expect("ids serialise"));
        if upcoming {
            active.purposes = Set(serde_json::to_string(&purposes).expect("codes serialise"));
            if left.is_empty() || purposes.is_empty() {
                active.status = Set(Code(VisitStatus::Cancelled));
                cancelled.push(v.id);
            }
        }
        active.updated_at = Set(now);
        active.update(db).await?;
        changed.push(v.id);
    }
    Ok((changed, cancelled))
}

/// The latest text recorded under a version in a team, so that a
/// volunteer records "mẫu 01/2025" without typing the text again.
///
/// # Errors
/// The database fails.
pub async fn consent_text(
    db: &impl ConnectionTrait,
    team_id: i32,
    text_version: &str,
) -> Result<Option<String>, StoreError> {
    Ok(consent::Entity::find()
        .filter(consent::Column::TeamId.eq(team_id))
        .filter(consent::Column::TextVersion.eq(text_version))
        .order_by_desc(consent::Column::Id)
        .one(db)
        .await?
        .map(|c| c.text))
}

/// The version of the consent text the team recorded last, or `None`
/// when it has recorded none: what a new consent is recorded against
/// unless the member says otherwise.
///
/// # Errors
/// The database fails.
pub async fn latest_consent_version(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Option<String>, StoreError> {
    Ok(consent::Entity::find()
        .filter(consent::Column::TeamId.eq(team_id))
        .filter(consent::Column::TextVersion.ne("register"))
        .order_by_desc(consent::Column::Id)
        .one(db)
        .await?
        .map(|c| c.text_version))
}

/// Everything held about one resident.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidentData {
    /// Their record.
    pub resident: Resident,
    /// Their household.
    pub household: Household,
    /// Their needs.
    pub needs: Vec<Need>,
    /// Every consent given or withdrawn.
    pub consents: Vec<ConsentEntry>,
    /// Every outcome recorded for them.
    pub outcomes: Vec<OutcomeEntry>,
    /// The notes of the visits that recorded them.
    pub notes: Vec<VisitNote>,
    /// Every visit planned for them.
    pub visits: Vec<VisitRecord>,
    /// Every time a plan left them out, and why.
    pub unmet: Vec<UnmetEntry>,
}

/// Everything held about one resident, or `None`.
///
/// # Errors
/// The database fails.
pub async fn resident_data(
    db: &impl ConnectionTrait,
    resident_id: i32,
) -> Result<Option<ResidentData>, StoreError> {
    let Some((resident, household)) = resident_rows(db, resident_id).await? else {
        return Ok(None);
    };
    let needs = need::Entity::find()
        .filter(need::Column::ResidentId.eq(resident_id))
        .order_by_asc(need::Column::Id)
        .all(db)
        .await?;
    let consents = consent::Entity::find()
        .filter(consent::Column::ResidentId.eq(resident_id))
        .order_by_asc(consent::Column::Id)
        .all(db)
        .await?;
    let outcomes = outcome::Entity::find()
        .filter(outcome::Column::ResidentId.eq(resident_id))
        .order_by_asc(outcome::Column::Id)
        .all(db)
        .await?;
    let request_ids: BTreeSet<i32> = outcomes.iter().map(|o| o.request_id).collect();
    let notes = outcome_request::Entity::find()
        .filter(outcome_request::Column::Id.is_in(request_ids))
        .filter(outcome_request::Column::Note.is_not_null())
        .order_by_asc(outcome_request::Column::Id)
        .all(db)
        .await?;
    let visits: Vec<visit::Model> = visit::Entity::find()
        .filter(visit::Column::HouseholdId.eq(household.id))
        .order_by_asc(visit::Column::StartAt)
        .all(db)
        .await?
        .into_iter()
        .filter(|v| {
            serde_json::from_str::<Vec<i32>>(&v.residents)
                .unwrap_or_default()
                .contains(&resident_id)
        })
        .collect();
    let unmet = unmet::Entity::find()
        .filter(unmet::Column::HouseholdId.eq(household.id))
        .filter(
            sea_orm::Condition::any()
                .add(unmet::Column::ResidentId.eq(resident_id))
                .add(unmet::Column::ResidentId.is_null()),
        )
        .order_by_asc(unmet::Column::Id)
        .all(db)
        .await?;
    Ok(Some(ResidentData {
        resident: resident.into(),
        household: household.into(),
        needs: needs.into_iter().map(Need::from).collect(),
        consents: consents.into_iter().map(consent_entry).collect(),
        outcomes: outcomes
            .into_iter()
            .map(|o| OutcomeEntry {
                visit_id: o.visit_id,
                need: o.need,
                result: o.result.0,
                appointment_on: o.appointment_on,
                recorded_by: o.recorded_by,
                recorded_at: o.recorded_at,
            })
            .collect(),
        notes: notes
            .into_iter()
            .filter_map(|n| {
                Some(VisitNote {
                    visit_id: n.visit_id,
                    note: n.note?,
                    recorded_at: n.recorded_at,
                })
            })
            .collect(),
        visits: visits
            .into_iter()
            .map(super::plans::visit_record)
            .collect::<Result<_, _>>()?,
        unmet: unmet
            .into_iter()
            .map(|u| UnmetEntry {
                plan_id: u.plan_id,
                reason: u.reason.0,
                explanation_vi: u.explanation_vi,
                explanation_en: u.explanation_en,
            })
            .collect(),
    }))
}

/// What an erasure removed or made anonymous.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    /// Needs deleted.
    pub needs: u64,
    /// Consents kept without the resident.
    pub consents: u64,
    /// Outcomes kept without the resident.
    pub outcomes: u64,
    /// Visits the resident was taken off.
    pub visits: u64,
    /// Of them, visits still to come cancelled (nobody left).
    pub visits_cancelled: u64,
    /// Plans' reasons with the name replaced.
    pub unmet: u64,
    /// Messages with the name and phone replaced.
    pub messages: u64,
    /// Visit notes with the name and phone replaced.
    pub notes: u64,
}

/// Replaces `from` by `to` in text columns of the rows `filter` selects,
/// on both databases; answers the rows changed.
async fn scrub(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    filter: &str,
    filter_values: Vec<Value>,
    from: &str,
) -> Result<u64, StoreError> {
    let backend = db.get_database_backend();
    let n = filter_values.len();
    let sets = columns
        .iter()
        .map(|c| format!("{c} = REPLACE({c}, ${}, ${})", n + 1, n + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let any = columns
        .iter()
        .map(|c| format!("{c} LIKE ${}", n + 3))
        .collect::<Vec<_>>()
        .join(" OR ");
    let mut values = filter_values;
    values.push(from.into());
    values.push(ERASED.into());
    values.push(format!("%{from}%").into());
    let sql = format!("UPDATE {table} SET {sets} WHERE ({filter}) AND ({any})");
    let result = db
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(result.rows_affected())
}

/// Lines of an iCalendar text unfolded (RFC 5545 §3.1).
fn unfold(text: &str) -> String {
    text.replace("\r\n ", "").replace("\r\n\t", "")
}

/// Lines folded at 75 octets, at character boundaries.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 70);
    for (i, line) in text.split("\r\n").enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let mut width = 0;
        for ch in line.chars() {
            if width + ch.len_utf8() > 75 {
                out.push_str("\r\n ");
                width = 1;
            }
            out.push(ch);
            width += ch.len_utf8();
        }
    }
    out
}

/// Erases a resident in one transaction: their needs are deleted, their
/// outcomes and consents stay without them, visits keep their trace without
/// them (a visit still to come left with nobody is cancelled), their name
/// and phone are replaced in the plans' reasons, the stored messages and
/// the visit notes, the row goes, a tombstone stays, and the audit log
/// records it. Answers `None` when there is no such resident.
///
/// # Errors
/// The database fails; then nothing is written.
pub async fn erase_resident<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    resident_id: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<Erased>, StoreError> {
    let txn = super::begin_writing(db).await?;
    let Some((resident, household)) = resident_rows(&txn, resident_id).await? else {
        return Ok(None);
    };
    let mut erased = Erased::default();
    let (changed, cancelled) = take_off_visits(&txn, &household, resident_id, now, false).await?;
    erased.visits = changed.len() as u64;
    erased.visits_cancelled = cancelled.len() as u64;
    erased.outcomes = outcome::Entity::update_many()
        .col_expr(
            outcome::Column::ResidentId,
            Expr::value(Option::<i32>::None),
        )
        .filter(outcome::Column::ResidentId.eq(resident_id))
        .exec(&txn)
        .await?
        .rows_affected;
    erased.consents = consent::Entity::update_many()
        .col_expr(
            consent::Column::ResidentId,
            Expr::value(Option::<i32>::None),
        )
        .filter(consent::Column::ResidentId.eq(resident_id))
        .exec(&txn)
        .await?
        .rows_affected;
    unmet::Entity::update_many()
        .col_expr(unmet::Column::ResidentId, Expr::value(Option::<i32>::None))
        .filter(unmet::Column::ResidentId.eq(resident_id))
        .exec(&txn)
        .await?;
    erased.needs = need::Entity::delete_many()
        .filter(need::Column::ResidentId.eq(resident_id))
        .exec(&txn)
        .await?
        .rows_affected;

    // The name and the phone, wherever a trace of them was written.
    let mut secrets: Vec<String> = vec![resident.full_name.trim().to_owned()];
    if let Some(phone) = resident
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| p.len() >= 6)
    {
        secrets.push(phone.to_owned());
    }
    secrets.retain(|s| s.chars().count() >= 2);
    let visit_ids: Vec<Value> = visit::Entity::find()
        .filter(visit::Column::HouseholdId.eq(household.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|v| Value::from(v.id))
        .collect();
    for secret in &secrets {
        erased.unmet += scrub(
            &txn,
            "unmet",
            &["explanation_vi", "explanation_en"],
            "household_id = $1",
            vec![household.id.into()],
            secret,
        )
        .await?;
        erased.messages += scrub(
            &txn,
            "mail_outbox",
            &["subject", "body_text", "body_html", "summary"],
            "team_id = $1",
            vec![household.team_id.into()],
            secret,
        )
        .await?;
        if !visit_ids.is_empty() {
            let placeholders = (1..=visit_ids.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            erased.notes += scrub(
                &txn,
                "outcome_requests",
                &["note"],
                &format!("visit_id IN ({placeholders})"),
                visit_ids.clone(),
                secret,
            )
            .await?;
        }
    }
    // Calendar attachments fold long lines: unfold, replace, fold again.
    let attached = outbox::Entity::find()
        .filter(outbox::Column::TeamId.eq(household.team_id))
        .filter(outbox::Column::Attachment.is_not_null())
        .all(&txn)
        .await?;
    for message in attached {
        let Some(text) = message.attachment.as_deref() else {
            continue;
        };
        let mut unfolded = unfold(text);
        if !secrets.iter().any(|s| unfolded.contains(s.as_str())) {
            continue;
        }
        for secret in &secrets {
            unfolded = unfolded.replace(secret.as_str(), ERASED);
        }
        let mut active = message.into_active_model();
        active.attachment = Set(Some(fold(&unfolded)));
        active.update(&txn).await?;
        erased.messages += 1;
    }

    append_audit(
        &txn,
        now,
        actor,
        "erase_resident",
        "resident",
        Some(resident_id),
        serde_json::to_value(erased).expect("counts serialise"),
    )
    .await?;
    let tombstone = register_key_hash(&household.external_id, &resident.external_id);
    if erasure::Entity::find()
        .filter(erasure::Column::TeamId.eq(household.team_id))
        .filter(erasure::Column::RegisterKeyHash.eq(tombstone.as_str()))
        .one(&txn)
        .await?
        .is_none()
    {
        erasure::ActiveModel {
            team_id: Set(household.team_id),
            register_key_hash: Set(tombstone),
            erased_by: Set(actor.to_owned()),
            erased_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    resident::Entity::delete_by_id(resident_id)
        .exec(&txn)
        .await?;
    // One resident and their needs fewer in the audit's counts.
    tallies::refresh_teams(&txn, &[household.team_id]).await?;
    txn.commit().await?;
    Ok(Some(erased))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_undoes_unfolding_and_keeps_lines_short() {
        let long = format!("DESCRIPTION:{}", "Nguyễn Văn Đức, 0912 345 678; ".repeat(8));
        let text = format!("BEGIN:VEVENT\r\n{long}\r\nEND:VEVENT");
        let folded = fold(&text);
        assert!(folded.split("\r\n").all(|line| line.len() <= 75));
        assert_eq!(unfold(&folded), text);
    }

    #[test]
    fn the_tombstone_depends_on_both_keys() {
        assert_eq!(register_key_hash("H1", "R1"), register_key_hash("H1", "R1"));
        assert_ne!(register_key_hash("H1", "R1"), register_key_hash("H1R", "1"));
        assert_eq!(register_key_hash("H1", "R1").len(), 64);
    }
}
