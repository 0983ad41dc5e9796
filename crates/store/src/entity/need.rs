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

impl From<Model> for doorstep_core::records::Need {
    fn from(m: Model) -> Self {
        doorstep_core::records::Need {
            id: m.id,
            resident_id: m.resident_id,
            step: m.step.0,
            status: m.status.0,
            updated_at: m.updated_at,
            updated_by: m.updated_by,
            last_result: m.last_result.map(|c| c.0),
            appointment_on: m.appointment_on,
        }
    }
}

impl From<doorstep_core::records::Need> for Model {
    fn from(r: doorstep_core::records::Need) -> Self {
        Model {
            id: r.id,
            resident_id: r.resident_id,
            step: Code(r.step),
            status: Code(r.status),
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            last_result: r.last_result.map(Code),
            appointment_on: r.appointment_on,
        }
    }
}
