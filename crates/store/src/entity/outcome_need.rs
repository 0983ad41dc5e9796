//! A need a recorded result moved, with the need's state before the visit.

use doorstep_core::{NeedStatus, OutcomeResult};
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outcome_needs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub outcome_id: i32,
    pub need_id: i32,
    pub status_before: Code<NeedStatus>,
    pub last_result_before: Option<Code<OutcomeResult>>,
    pub appointment_before: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
