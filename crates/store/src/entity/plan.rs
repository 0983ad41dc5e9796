//! A team's proposed visits over a horizon.

use doorstep_core::PlanStatus;
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub team_id: i32,
    pub horizon_start: DateTimeUtc,
    pub horizon_end: DateTimeUtc,
    pub status: Code<PlanStatus>,
    pub objective: Option<i32>,
    pub upper_bound: Option<i32>,
    pub travel_minutes: Option<i32>,
    pub solver_ms: Option<i32>,
    pub figures: Option<String>,
    pub created_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub start_date: Option<Date>,
    pub days: Option<i32>,
    pub created_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
