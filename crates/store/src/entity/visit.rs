//! A planned visit of a household by a member.

use doorstep_core::{VisitMode, VisitStatus};
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub household_id: i32,
    pub member_id: i32,
    pub start_at: DateTimeUtc,
    pub end_at: DateTimeUtc,
    pub mode: Code<VisitMode>,
    pub purposes: String,
    pub status: Code<VisitStatus>,
    pub pinned: bool,
    pub outcome: Option<String>,
    pub updated_at: DateTimeUtc,
    pub residents: String,
    pub job: String,
    pub on_calendar: bool,
    pub replaced_by: Option<i32>,
    pub replaced_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
