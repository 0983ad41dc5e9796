//! A person who signs in: leader, volunteer or official.

use doorstep_core::{Language, UserRole};
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: Code<UserRole>,
    pub team_id: Option<i32>,
    pub area_id: Option<i32>,
    pub member_id: Option<i32>,
    pub email: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub language: Code<Language>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for doorstep_core::records::User {
    fn from(m: Model) -> Self {
        doorstep_core::records::User {
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            role: m.role.0,
            team_id: m.team_id,
            area_id: m.area_id,
            member_id: m.member_id,
            email: m.email,
            password_hash: m.password_hash,
            active: m.active,
            created_at: m.created_at,
            language: m.language.0,
        }
    }
}

impl From<doorstep_core::records::User> for Model {
    fn from(r: doorstep_core::records::User) -> Self {
        Model {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            role: Code(r.role),
            team_id: r.team_id,
            area_id: r.area_id,
            member_id: r.member_id,
            email: r.email,
            password_hash: r.password_hash,
            active: r.active,
            created_at: r.created_at,
            language: Code(r.language),
        }
    }
}
