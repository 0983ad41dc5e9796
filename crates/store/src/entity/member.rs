//! A member of a team: its leader or a volunteer.

use doorstep_core::{Language, MemberRole};
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub team_id: i32,
    pub full_name: String,
    pub role: Code<MemberRole>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub skills: String,
    pub daily_visit_cap: i32,
    pub remote_capable: bool,
    pub home_latitude: Option<f64>,
    pub home_longitude: Option<f64>,
    pub availability: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub language: Code<Language>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
