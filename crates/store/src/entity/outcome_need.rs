//! A need a recorded result moved, with the need's state before the visit.

use sea_orm::entity::prelude::*;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outcome_needs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub outcome_id: i32,
    pub need_id: i32,
    pub status_before: String,
    pub last_result_before: Option<String>,
    pub appointment_before: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
