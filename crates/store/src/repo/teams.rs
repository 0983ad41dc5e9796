//! Teams and their members.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};

use super::{Change, save};
use crate::StoreError;
use crate::entity::{area, member, team};

/// A team to create or update, found by its area and name.
#[derive(Clone, Debug)]
pub struct TeamInput {
    /// The code of the team's area.
    pub area_code: String,
    /// The team's name.
    pub name: String,
    /// IANA time zone of the team.
    pub timezone: String,
    /// Id of the tide station the team's rules use by default.
    pub tide_station: Option<String>,
}

/// Creates or updates a team.
///
/// # Errors
/// The area is unknown, or the database fails.
pub async fn upsert_team(
    db: &impl ConnectionTrait,
    input: &TeamInput,
    now: DateTime<Utc>,
) -> Result<(i32, Change), StoreError> {
    let area = area::Entity::find()
        .filter(area::Column::Code.eq(input.area_code.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("area with code {} does not exist", input.area_code))
        })?;
    let existing = team::Entity::find()
        .filter(team::Column::AreaId.eq(area.id))
        .filter(team::Column::Name.eq(input.name.as_str()))
        .one(db)
        .await?;
    let wanted = team::Model {
        id: existing.as_ref().map_or(0, |t| t.id),
        area_id: area.id,
        name: input.name.clone(),
        timezone: input.timezone.clone(),
        tide_station: input.tide_station.clone(),
        created_at: existing.as_ref().map_or(now, |t| t.created_at),
    };
    save!(db, team, existing, wanted)
}

/// A member to create or update, found by team and full name.
#[derive(Clone, Debug)]
pub struct MemberInput {
    /// The member's team.
    pub team_id: i32,
    /// Full name.
    pub full_name: String,
    /// `leader` or `volunteer`.
    pub role: String,
    /// Where the daily list is sent.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Skill codes.
    pub skills: Vec<String>,
    /// At most this many visits a day.
    pub daily_visit_cap: i32,
    /// May do visits by phone or video.
    pub remote_capable: bool,
    /// Home latitude.
    pub home_latitude: Option<f64>,
    /// Home longitude.
    pub home_longitude: Option<f64>,
    /// Availability rules, validated.
    pub availability: Option<crate::RuleJson>,
}

/// Creates or updates a member.
///
/// # Errors
/// The database fails.
pub async fn upsert_member(
    db: &impl ConnectionTrait,
    input: &MemberInput,
    now: DateTime<Utc>,
) -> Result<(i32, Change), StoreError> {
    let existing = member::Entity::find()
        .filter(member::Column::TeamId.eq(input.team_id))
        .filter(member::Column::FullName.eq(input.full_name.as_str()))
        .one(db)
        .await?;
    let wanted = member::Model {
        id: existing.as_ref().map_or(0, |m| m.id),
        team_id: input.team_id,
        full_name: input.full_name.clone(),
        role: input.role.clone(),
        email: input.email.clone(),
        phone: input.phone.clone(),
        skills: serde_json::to_string(&input.skills).expect("strings serialise"),
        daily_visit_cap: input.daily_visit_cap,
        remote_capable: input.remote_capable,
        home_latitude: input.home_latitude,
        home_longitude: input.home_longitude,
        availability: input.availability.as_ref().map(|r| r.as_str().to_string()),
        active: existing.as_ref().is_none_or(|m| m.active),
        created_at: existing.as_ref().map_or(now, |m| m.created_at),
    };
    save!(db, member, existing, wanted)
}

/// The team with this id.
///
/// # Errors
/// The database fails.
pub async fn find_team(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<team::Model>, StoreError> {
    Ok(team::Entity::find_by_id(id).one(db).await?)
}

/// Every team, by id.
///
/// # Errors
/// The database fails.
pub async fn list_teams(db: &impl ConnectionTrait) -> Result<Vec<team::Model>, StoreError> {
    Ok(team::Entity::find()
        .order_by_asc(team::Column::Id)
        .all(db)
        .await?)
}

/// The members of a team, by id.
///
/// # Errors
/// The database fails.
pub async fn team_members(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Vec<member::Model>, StoreError> {
    Ok(member::Entity::find()
        .filter(member::Column::TeamId.eq(team_id))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?)
}
