//! Users who sign in, their sessions and their sign-in attempts.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::Change;
use crate::StoreError;
use crate::entity::{login_attempt, session, user};

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

/// The user with this id.
///
/// # Errors
/// The database fails.
pub async fn find_user(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<user::Model>, StoreError> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// Records one sign-in attempt.
///
/// # Errors
/// The database fails.
pub async fn record_login_attempt(
    db: &impl ConnectionTrait,
    username: &str,
    address: &str,
    success: bool,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    login_attempt::ActiveModel {
        username: Set(truncate(username, 64)),
        address: Set(truncate(address, 64)),
        success: Set(success),
        at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn truncate(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// Failed sign-ins since `since` for this user name and from this address,
/// and the oldest of each (to say when a lock ends).
///
/// # Errors
/// The database fails.
pub async fn failed_logins_since(
    db: &impl ConnectionTrait,
    username: &str,
    address: &str,
    since: DateTime<Utc>,
) -> Result<(FailedLogins, FailedLogins), StoreError> {
    let count = |column: login_attempt::Column, value: String| async move {
        let rows = login_attempt::Entity::find()
            .filter(column.eq(value))
            .filter(login_attempt::Column::Success.eq(false))
            .filter(login_attempt::Column::At.gte(since))
            .order_by_asc(login_attempt::Column::At)
            .all(db)
            .await?;
        Ok::<_, StoreError>(FailedLogins {
            count: rows.len() as u64,
            oldest: rows.first().map(|r| r.at),
        })
    };
    Ok((
        count(login_attempt::Column::Username, truncate(username, 64)).await?,
        count(login_attempt::Column::Address, truncate(address, 64)).await?,
    ))
}

/// Failed sign-ins in a period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailedLogins {
    /// How many.
    pub count: u64,
    /// The first of them.
    pub oldest: Option<DateTime<Utc>>,
}

/// Stores a new session (only its token's hash).
///
/// # Errors
/// The database fails.
pub async fn create_session(
    db: &impl ConnectionTrait,
    user_id: i32,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    session::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(token_hash.to_string()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The active user of a live session (not expired, not revoked).
///
/// # Errors
/// The database fails.
pub async fn session_user(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<user::Model>, StoreError> {
    // One query: every request of a signed-in user asks it.
    let query = || {
        user::Entity::find()
            .filter(
                user::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(session::Column::UserId)
                        .from(session::Entity)
                        .and_where(session::Column::TokenHash.eq(token_hash))
                        .and_where(session::Column::RevokedAt.is_null())
                        .and_where(session::Column::ExpiresAt.gt(now))
                        .to_owned(),
                ),
            )
            .filter(user::Column::Active.eq(true))
            .limit(1)
            .into_query()
    };
    static SQL: super::BuiltOnce = super::BuiltOnce::new();
    let statement = SQL.statement(
        db.get_database_backend(),
        query,
        vec![token_hash.into(), now.into(), true.into(), 1u64.into()],
    );
    Ok(user::Model::find_by_statement(statement).one(db).await?)
}

/// Revokes a session; `false` when there was no live one.
///
/// # Errors
/// The database fails.
pub async fn revoke_session(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = session::Entity::update_many()
        .col_expr(
            session::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
