//! One append-only entry of the audit log.

use sea_orm::entity::prelude::*;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i32>,
    pub detail: Option<String>,
    pub team_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for doorstep_core::records::AuditEntry {
    type Error = DbErr;

    fn try_from(m: Model) -> Result<Self, DbErr> {
        let detail = match m.detail.as_deref() {
            None => serde_json::Value::Null,
            Some(text) => serde_json::from_str(text).map_err(|e| {
                DbErr::Type(format!(
                    "audit entry {}: stored detail is not JSON: {e}",
                    m.id
                ))
            })?,
        };
        Ok(doorstep_core::records::AuditEntry {
            id: m.id,
            at: m.at,
            actor: m.actor,
            action: m.action,
            entity: m.entity,
            entity_id: m.entity_id,
            team_id: m.team_id,
            detail,
        })
    }
}
