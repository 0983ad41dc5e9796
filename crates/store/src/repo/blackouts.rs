//! Blackout periods of a team or one of its villages: a storm, a fishing
//! ban, a holiday. Nothing is planned inside one.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};

use super::audit::append_audit;
use crate::StoreError;
use crate::entity::blackout;

/// A stored blackout.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredBlackout {
    /// Id.
    pub id: i32,
    /// The team.
    pub team_id: i32,
    /// One village of the team, or `None` for the whole team.
    pub village_id: Option<i32>,
    /// What it is ("bão số 3").
    pub label: String,
    /// The blackout as JSON, validated by doorstep-core when it was stored.
    pub rule: String,
    /// Who entered it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<blackout::Model> for StoredBlackout {
    fn from(b: blackout::Model) -> Self {
        StoredBlackout {
            id: b.id,
            team_id: b.team_id,
            village_id: b.village_id,
            label: b.label,
            rule: b.rule,
            created_by: b.created_by,
            created_at: b.created_at,
        }
    }
}

/// A blackout's JSON that has passed `doorstep-core`'s validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlackoutJson(String);

impl BlackoutJson {
    /// Validates `text` as a blackout against the known tide stations.
    ///
    /// # Errors
    /// Every problem, each with its JSON path.
    pub fn parse(
        text: &str,
        known_stations: &[&str],
    ) -> Result<BlackoutJson, Vec<doorstep_core::rules::RuleError>> {
        doorstep_core::rules::validate_blackout_json(text, known_stations)?;
        Ok(BlackoutJson(text.to_string()))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The blackouts of a team (its own and its villages'), by id.
///
/// # Errors
/// The database fails.
pub async fn team_blackouts(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Vec<StoredBlackout>, StoreError> {
    Ok(blackout::Entity::find()
        .filter(blackout::Column::TeamId.eq(team_id))
        .order_by_asc(blackout::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(StoredBlackout::from)
        .collect())
}

/// Stores a blackout and its audit entry, in one transaction.
///
/// # Errors
/// The database fails; nothing is written.
pub async fn add_blackout<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    team_id: i32,
    village_id: Option<i32>,
    label: &str,
    rule: &BlackoutJson,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<StoredBlackout, StoreError> {
    let txn = super::begin_writing(db).await?;
    let saved = blackout::ActiveModel {
        team_id: Set(team_id),
        village_id: Set(village_id),
        label: Set(label.to_string()),
        rule: Set(rule.as_str().to_string()),
        created_by: Set(actor.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    append_audit(
        &txn,
        now,
        actor,
        "add_blackout",
        "team",
        Some(team_id),
        serde_json::json!({"blackout": saved.id, "village": village_id, "label": label}),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

/// Deletes a blackout of a team and writes its audit entry; `false` when the
/// team has no such blackout.
///
/// # Errors
/// The database fails; nothing is written.
pub async fn delete_blackout<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    team_id: i32,
    blackout_id: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = super::begin_writing(db).await?;
    let deleted = blackout::Entity::delete_many()
        .filter(blackout::Column::Id.eq(blackout_id))
        .filter(blackout::Column::TeamId.eq(team_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Ok(false);
    }
    append_audit(
        &txn,
        now,
        actor,
        "delete_blackout",
        "team",
        Some(team_id),
        serde_json::json!({"blackout": blackout_id}),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}
