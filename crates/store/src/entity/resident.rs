//! A resident of a household.

use doorstep_core::Presence;
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "residents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub household_id: i32,
    pub external_id: String,
    pub full_name: String,
    pub birth_year: Option<i32>,
    pub phone: Option<String>,
    pub presence: Code<Presence>,
    pub country: Option<String>,
    pub timezone: Option<String>,
    pub availability: Option<String>,
    pub consent_at: Option<DateTimeUtc>,
    pub consent_by: Option<String>,
    pub consent_text: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub attempts: i32,
    pub last_attempt_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
