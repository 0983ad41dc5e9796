//! A household (hộ) of a team's register.

use sea_orm::entity::prelude::*;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "households")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub team_id: i32,
    pub village_id: Option<i32>,
    pub external_id: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub priority: Option<i32>,
    pub service_minutes: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for doorstep_core::records::Household {
    fn from(m: Model) -> Self {
        doorstep_core::records::Household {
            id: m.id,
            team_id: m.team_id,
            village_id: m.village_id,
            external_id: m.external_id,
            address: m.address,
            latitude: m.latitude,
            longitude: m.longitude,
            priority: m.priority,
            service_minutes: m.service_minutes,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl From<doorstep_core::records::Household> for Model {
    fn from(r: doorstep_core::records::Household) -> Self {
        Model {
            id: r.id,
            team_id: r.team_id,
            village_id: r.village_id,
            external_id: r.external_id,
            address: r.address,
            latitude: r.latitude,
            longitude: r.longitude,
            priority: r.priority,
            service_minutes: r.service_minutes,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}
