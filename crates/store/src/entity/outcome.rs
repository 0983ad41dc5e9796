//! One result recorded at a visit: a resident, a need (or every need the
//! visit was for), what happened.

use doorstep_core::OutcomeResult;
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outcomes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub request_id: i32,
    pub visit_id: i32,
    pub resident_id: Option<i32>,
    pub need: Option<String>,
    pub result: Code<OutcomeResult>,
    pub appointment_on: Option<Date>,
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
