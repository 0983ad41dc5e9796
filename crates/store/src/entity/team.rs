//! A community digital-technology team (tổ CNSCĐ).

use sea_orm::entity::prelude::*;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "teams")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub area_id: i32,
    pub name: String,
    pub timezone: String,
    pub tide_station: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for doorstep_core::records::Team {
    fn from(m: Model) -> Self {
        doorstep_core::records::Team {
            id: m.id,
            area_id: m.area_id,
            name: m.name,
            timezone: m.timezone,
            tide_station: m.tide_station,
            created_at: m.created_at,
        }
    }
}

impl From<doorstep_core::records::Team> for Model {
    fn from(r: doorstep_core::records::Team) -> Self {
        Model {
            id: r.id,
            area_id: r.area_id,
            name: r.name,
            timezone: r.timezone,
            tide_station: r.tide_station,
            created_at: r.created_at,
        }
    }
}
