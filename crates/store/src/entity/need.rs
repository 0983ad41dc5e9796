//! One step of the digital-skills pipeline for one resident.

use doorstep_core::{NeedStatus, NeedStep, OutcomeResult};
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "needs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub resident_id: i32,
    pub step: Code<NeedStep>,
    pub status: Code<NeedStatus>,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<String>,
    pub last_result: Option<Code<OutcomeResult>>,
    pub appointment_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
