//! An administrative area: province, commune/ward or village.

use doorstep_core::AreaLevel;
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "areas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub parent_id: Option<i32>,
    pub level: Code<AreaLevel>,
    pub code: Option<String>,
    pub name: String,
    pub aliases: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for doorstep_core::records::Area {
    type Error = DbErr;

    fn try_from(m: Model) -> Result<Self, DbErr> {
        let aliases: Vec<String> = serde_json::from_str(&m.aliases).map_err(|e| {
            DbErr::Type(format!(
                "area {}: stored aliases are not a JSON list: {e}",
                m.id
            ))
        })?;
        Ok(doorstep_core::records::Area {
            id: m.id,
            parent_id: m.parent_id,
            level: m.level.0,
            code: m.code,
            name: m.name,
            aliases,
            latitude: m.latitude,
            longitude: m.longitude,
        })
    }
}

impl From<doorstep_core::records::Area> for Model {
    fn from(r: doorstep_core::records::Area) -> Self {
        Model {
            id: r.id,
            parent_id: r.parent_id,
            level: Code(r.level),
            code: r.code,
            name: r.name,
            aliases: serde_json::to_string(&r.aliases).expect("strings serialise"),
            latitude: r.latitude,
            longitude: r.longitude,
        }
    }
}
