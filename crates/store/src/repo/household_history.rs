//! What happened at one household, for its page: its visits on the team's
//! calendar, the results recorded for its residents, their consents given
//! and withdrawn, and the changes of their needs that the audit log holds.

use chrono::{DateTime, NaiveDate, Utc};
use doorstep_core::records::{AuditEntry, ConsentEntry};
use doorstep_core::{NeedStep, OutcomeResult};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::plans::{VisitRecord, visit_record};
use crate::StoreError;
use crate::entity::{audit, consent, outcome, visit};

/// The audit actions that change a need one at a time.
const NEED_ACTIONS: [&str; 1] = ["set_need"];

/// A result recorded for a resident at a visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedResult {
    /// The visit.
    pub visit_id: i32,
    /// The resident.
    pub resident_id: i32,
    /// The need it was for; `None` for every need of the visit.
    pub need: Option<NeedStep>,
    /// What happened.
    pub result: OutcomeResult,
    /// The appointment's day, for `needs_appointment`.
    pub appointment_on: Option<NaiveDate>,
    /// Who recorded it (`user:12`).
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// A household's history.
#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdHistory {
    /// Its visits on the team's calendar, past and to come, by start.
    pub visits: Vec<VisitRecord>,
    /// The results recorded for its residents, oldest first.
    pub results: Vec<RecordedResult>,
    /// Every consent given or withdrawn, with its resident, oldest first.
    pub consents: Vec<(i32, ConsentEntry)>,
    /// The audit entries that set one of the residents' needs, oldest
    /// first (`detail`: `{"need", "from", "to"}`).
    pub need_changes: Vec<AuditEntry>,
}

/// The history of a household and of `residents`, its residents.
///
/// # Errors
/// The database fails.
pub async fn household_history(
    db: &impl ConnectionTrait,
    household_id: i32,
    residents: &[i32],
) -> Result<HouseholdHistory, StoreError> {
    let visits = visit::Entity::find()
        .filter(visit::Column::HouseholdId.eq(household_id))
        .filter(visit::Column::OnCalendar.eq(true))
        .order_by_asc(visit::Column::StartAt)
        .order_by_asc(visit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(visit_record)
        .collect::<Result<Vec<_>, _>>()?;
    if residents.is_empty() {
        return Ok(HouseholdHistory {
            visits,
            results: Vec::new(),
            consents: Vec::new(),
            need_changes: Vec::new(),
        });
    }
    let results = outcome::Entity::find()
        .filter(outcome::Column::ResidentId.is_in(residents.iter().copied()))
        .order_by_asc(outcome::Column::RecordedAt)
        .order_by_asc(outcome::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|o| {
            Some(RecordedResult {
                visit_id: o.visit_id,
                resident_id: o.resident_id?,
                need: o.need.as_deref().and_then(NeedStep::parse),
                result: o.result.0,
                appointment_on: o.appointment_on,
                recorded_by: o.recorded_by,
                recorded_at: o.recorded_at,
            })
        })
        .collect();
    let consents = consent::Entity::find()
        .filter(consent::Column::ResidentId.is_in(residents.iter().copied()))
        .order_by_asc(consent::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| {
            Some((
                c.resident_id?,
                ConsentEntry {
                    action: c.action.0,
                    text_version: c.text_version,
                    text: c.text,
                    recorded_by: c.recorded_by,
                    recorded_at: c.recorded_at,
                },
            ))
        })
        .collect();
    let need_changes = audit::Entity::find()
        .filter(audit::Column::Entity.eq("resident"))
        .filter(audit::Column::EntityId.is_in(residents.iter().copied()))
        .filter(audit::Column::Action.is_in(NEED_ACTIONS))
        .order_by_asc(audit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(AuditEntry::try_from)
        .collect::<Result<_, _>>()?;
    Ok(HouseholdHistory {
        visits,
        results,
        consents,
        need_changes,
    })
}
