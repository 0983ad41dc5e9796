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

/// Skills as stored: a JSON list of codes.
pub(crate) fn skills_json(skills: &[doorstep_core::Skill]) -> String {
    serde_json::to_string(&skills.iter().map(|s| s.code()).collect::<Vec<_>>())
        .expect("codes serialise")
}

impl TryFrom<Model> for doorstep_core::records::Member {
    type Error = DbErr;

    fn try_from(m: Model) -> Result<Self, DbErr> {
        let skills: Vec<String> = serde_json::from_str(&m.skills).map_err(|e| {
            DbErr::Type(format!(
                "member {}: stored skills are not a JSON list: {e}",
                m.id
            ))
        })?;
        let skills = skills
            .iter()
            .map(|s| Code::<doorstep_core::Skill>::read_db(s))
            .collect::<Result<_, _>>()?;
        Ok(doorstep_core::records::Member {
            id: m.id,
            team_id: m.team_id,
            full_name: m.full_name,
            role: m.role.0,
            email: m.email,
            phone: m.phone,
            skills,
            daily_visit_cap: m.daily_visit_cap,
            remote_capable: m.remote_capable,
            home_latitude: m.home_latitude,
            home_longitude: m.home_longitude,
            availability: m.availability,
            active: m.active,
            created_at: m.created_at,
            language: m.language.0,
        })
    }
}

impl From<doorstep_core::records::Member> for Model {
    fn from(r: doorstep_core::records::Member) -> Self {
        Model {
            id: r.id,
            team_id: r.team_id,
            full_name: r.full_name,
            role: Code(r.role),
            email: r.email,
            phone: r.phone,
            skills: skills_json(&r.skills),
            daily_visit_cap: r.daily_visit_cap,
            remote_capable: r.remote_capable,
            home_latitude: r.home_latitude,
            home_longitude: r.home_longitude,
            availability: r.availability,
            active: r.active,
            created_at: r.created_at,
            language: Code(r.language),
        }
    }
}
