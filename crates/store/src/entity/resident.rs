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

impl From<Model> for doorstep_core::records::Resident {
    fn from(m: Model) -> Self {
        doorstep_core::records::Resident {
            id: m.id,
            household_id: m.household_id,
            external_id: m.external_id,
            full_name: m.full_name,
            birth_year: m.birth_year,
            phone: m.phone,
            presence: m.presence.0,
            country: m.country,
            timezone: m.timezone,
            availability: m.availability,
            consent_at: m.consent_at,
            consent_by: m.consent_by,
            consent_text: m.consent_text,
            created_at: m.created_at,
            updated_at: m.updated_at,
            attempts: m.attempts,
            last_attempt_at: m.last_attempt_at,
        }
    }
}

impl From<doorstep_core::records::Resident> for Model {
    fn from(r: doorstep_core::records::Resident) -> Self {
        Model {
            id: r.id,
            household_id: r.household_id,
            external_id: r.external_id,
            full_name: r.full_name,
            birth_year: r.birth_year,
            phone: r.phone,
            presence: Code(r.presence),
            country: r.country,
            timezone: r.timezone,
            availability: r.availability,
            consent_at: r.consent_at,
            consent_by: r.consent_by,
            consent_text: r.consent_text,
            created_at: r.created_at,
            updated_at: r.updated_at,
            attempts: r.attempts,
            last_attempt_at: r.last_attempt_at,
        }
    }
}
