//! The append-only audit log.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use crate::StoreError;
use crate::entity::audit;

/// Appends one entry to the audit log.
///
/// # Errors
/// The database fails.
pub async fn append_audit(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: Option<i32>,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    audit::ActiveModel {
        at: Set(at),
        actor: Set(actor.to_string()),
        action: Set(action.to_string()),
        entity: Set(entity.to_string()),
        entity_id: Set(entity_id),
        detail: Set(Some(detail.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
