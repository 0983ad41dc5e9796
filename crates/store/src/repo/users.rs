//! Users who sign in, their sessions and their sign-in attempts.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::Change;
use crate::StoreError;
use crate::entity::user;

/// A user to create when absent.
#[derive(Clone, Debug)]
pub struct UserInput {
    /// Sign-in name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// `leader`, `volunteer` or `official`.
    pub role: String,
    /// The team a leader or volunteer belongs to.
    pub team_id: Option<i32>,
    /// The area an official oversees.
    pub area_id: Option<i32>,
    /// The member record of a leader or volunteer.
    pub member_id: Option<i32>,
    /// E-mail address.
    pub email: Option<String>,
}

/// Creates the user with this password hash when no user has the name;
/// otherwise leaves the user, and its password, as they are.
///
/// # Errors
/// The database fails.
pub async fn ensure_user(
    db: &impl ConnectionTrait,
    input: &UserInput,
    password_hash: impl FnOnce() -> String,
    now: DateTime<Utc>,
) -> Result<(i32, Change), StoreError> {
    if let Some(existing) = find_user_by_name(db, &input.username).await? {
        return Ok((existing.id, Change::Unchanged));
    }
    let created = user::ActiveModel {
        username: Set(input.username.clone()),
        display_name: Set(input.display_name.clone()),
        role: Set(input.role.clone()),
        team_id: Set(input.team_id),
        area_id: Set(input.area_id),
        member_id: Set(input.member_id),
        email: Set(input.email.clone()),
        password_hash: Set(password_hash()),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((created.id, Change::Created))
}

/// The user with this sign-in name.
///
/// # Errors
/// The database fails.
pub async fn find_user_by_name(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, StoreError> {
    Ok(user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?)
}
