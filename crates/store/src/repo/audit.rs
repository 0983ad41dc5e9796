//! The append-only audit log: every change, import, plan, export and erasure,
//! with the team whose data it touched, so that each reader sees the entries
//! in their scope.

use chrono::{DateTime, Utc};
use doorstep_core::records::AuditEntry;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::StoreError;
use crate::entity::{audit, household, member, plan, resident, visit};

/// Appends one entry to the audit log. The team is found from the entity
/// (`team`, `plan`, `visit`, `member`, `household`, `resident`); entries of
/// the whole installation have none.
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
    let team_id = match entity_id {
        Some(id) => team_of(db, entity, id).await?,
        None => None,
    };
    audit::ActiveModel {
        at: Set(at),
        actor: Set(actor.to_string()),
        action: Set(action.to_string()),
        entity: Set(entity.to_string()),
        entity_id: Set(entity_id),
        detail: Set(Some(detail.to_string())),
        team_id: Set(team_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The team whose data the entity belongs to.
async fn team_of(
    db: &impl ConnectionTrait,
    entity: &str,
    id: i32,
) -> Result<Option<i32>, StoreError> {
    Ok(match entity {
        "team" => Some(id),
        "plan" => plan::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|p| p.team_id),
        "visit" => match visit::Entity::find_by_id(id).one(db).await? {
            Some(v) => plan::Entity::find_by_id(v.plan_id)
                .one(db)
                .await?
                .map(|p| p.team_id),
            None => None,
        },
        "member" => member::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| m.team_id),
        "household" => household::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|h| h.team_id),
        "resident" => match resident::Entity::find_by_id(id).one(db).await? {
            Some(r) => household::Entity::find_by_id(r.household_id)
                .one(db)
                .await?
                .map(|h| h.team_id),
            None => None,
        },
        _ => None,
    })
}

/// Whose entries a reader sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditScope {
    /// Every entry (administrators).
    All,
    /// The entries of the teams whose area lies in this one (officials).
    Area(i32),
    /// The entries of one team (leaders).
    Team(i32),
}

/// Which entries, and which page of them (newest first).
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// From this instant on.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Exactly this actor.
    pub actor: Option<String>,
    /// Exactly this action.
    pub action: Option<String>,
    /// Entries older than this id (the previous page's last).
    pub before_id: Option<i64>,
    /// At most this many.
    pub limit: u64,
}

/// A page of the audit log, newest first.
///
/// # Errors
/// The database fails.
pub async fn list_audit(
    db: &impl ConnectionTrait,
    scope: &AuditScope,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut query = audit::Entity::find();
    match scope {
        AuditScope::All => {}
        AuditScope::Team(team_id) => query = query.filter(audit::Column::TeamId.eq(*team_id)),
        AuditScope::Area(area_id) => {
            let subtree = super::areas::subtree_sql(*area_id);
            query = query.filter(Expr::cust(format!(
                "(audit_log.team_id IN (SELECT t.id FROM teams t WHERE t.area_id IN ({subtree})) \
                 OR (audit_log.entity = 'area' AND audit_log.entity_id IN ({subtree})))"
            )));
        }
    }
    if let Some(from) = filter.from {
        query = query.filter(audit::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit::Column::At.lt(to));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit::Column::Actor.eq(actor.as_str()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit::Column::Action.eq(action.as_str()));
    }
    if let Some(before) = filter.before_id {
        query = query.filter(audit::Column::Id.lt(before));
    }
    Ok(query
        .order_by_desc(audit::Column::Id)
        .limit(filter.limit)
        .all(db)
        .await?
        .into_iter()
        .map(AuditEntry::try_from)
        .collect::<Result<_, _>>()?)
}
