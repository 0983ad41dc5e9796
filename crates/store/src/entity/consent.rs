//! A consent given or withdrawn by a resident, with who recorded it, when,
//! and the text they were shown.

use doorstep_core::ConsentAction;
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub resident_id: Option<i32>,
    pub team_id: i32,
    pub action: Code<ConsentAction>,
    pub text_version: String,
    pub text: String,
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
