//! Users who sign in, their sessions and their sign-in attempts.

use chrono::{DateTime, Utc};
use doorstep_core::records::User;
use doorstep_core::{Language, UserRole};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
    TransactionSession, TransactionTrait, Value,
};

use super::Change;
use crate::Code;
use crate::StoreError;
use crate::entity::{login_attempt, session, user};

/// A user to create when absent.
#[derive(Clone, Debug)]
pub struct UserInput {
    /// Sign-in name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// What the user may do.
    pub role: UserRole,
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
        role: Set(Code(input.role)),
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
) -> Result<Option<User>, StoreError> {
    Ok(user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?
        .map(User::from))
}

/// The user with this id.
///
/// # Errors
/// The database fails.
pub async fn find_user(db: &impl ConnectionTrait, id: i32) -> Result<Option<User>, StoreError> {
    Ok(user::Entity::find_by_id(id).one(db).await?.map(User::from))
}

/// How many failed sign-ins a name and an address may have in a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptLimits {
    /// The window's start: older attempts do not count.
    pub since: DateTime<Utc>,
    /// Failed sign-ins for one name before it is locked.
    pub per_name: u64,
    /// Failed sign-ins from one address before it is locked.
    pub per_address: u64,
}

/// What counting a sign-in attempt decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginAttempt {
    /// Counted as failed until [`login_attempt_succeeded`] says otherwise:
    /// the password may be checked. The attempt's id.
    Counted(i64),
    /// The name or the address has reached its limit: the password must not
    /// be checked. The failures that locked it.
    Locked(FailedLogins),
}

/// Counts a sign-in attempt before its password is checked, in one step with
/// the check of the limits: the failed attempts of the name and of the
/// address in the window are counted and, when both are under their
/// limits, this attempt is written as failed, all in one transaction that
/// holds the name and the address against every other attempt for them (on
/// SQLite the write lock; on PostgreSQL a transaction-scoped advisory lock
/// on each, always the name's first, so two attempts never wait on each
/// other in a circle). However many guesses arrive at once, no more than the
/// limit are ever let through to the password check; a right password marks
/// its attempt succeeded afterwards, so it counts no more.
///
/// # Errors
/// The database fails; then nothing is written.
pub async fn count_login_attempt<C: TransactionTrait>(
    db: &C,
    username: &str,
    address: &str,
    limits: AttemptLimits,
    now: DateTime<Utc>,
) -> Result<LoginAttempt, StoreError> {
    let username = truncate(username, 64);
    let address = truncate(address, 64);
    let txn = super::begin_writing(db).await?;
    let backend = txn.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        for (class, key) in [(1, &username), (2, &address)] {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                [Value::from(class), Value::from(key.clone())],
            ))
            .await?;
        }
    }
    let by_name = failed_since(
        &txn,
        login_attempt::Column::Username,
        &username,
        limits.since,
    )
    .await?;
    if by_name.count >= limits.per_name {
        return Ok(LoginAttempt::Locked(by_name));
    }
    let by_address =
        failed_since(&txn, login_attempt::Column::Address, &address, limits.since).await?;
    if by_address.count >= limits.per_address {
        return Ok(LoginAttempt::Locked(by_address));
    }
    let attempt = login_attempt::ActiveModel {
        username: Set(username),
        address: Set(address),
        success: Set(false),
        at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(LoginAttempt::Counted(attempt.id))
}

/// Marks a counted attempt as a sign-in that succeeded: it no longer counts
/// against its name and address.
///
/// # Errors
/// The database fails.
pub async fn login_attempt_succeeded(
    db: &impl ConnectionTrait,
    attempt: i64,
) -> Result<(), StoreError> {
    login_attempt::Entity::update_many()
        .col_expr(login_attempt::Column::Success, Expr::value(true))
        .filter(login_attempt::Column::Id.eq(attempt))
        .exec(db)
        .await?;
    Ok(())
}

fn truncate(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// The failed sign-ins since `since` whose `column` is `value`.
async fn failed_since(
    db: &impl ConnectionTrait,
    column: login_attempt::Column,
    value: &str,
    since: DateTime<Utc>,
) -> Result<FailedLogins, StoreError> {
    let failed = || {
        login_attempt::Entity::find()
            .filter(column.eq(value))
            .filter(login_attempt::Column::Success.eq(false))
            .filter(login_attempt::Column::At.gte(since))
    };
    let count = failed().count(db).await?;
    let oldest = failed()
        .order_by_asc(login_attempt::Column::At)
        .one(db)
        .await?
        .map(|a| a.at);
    Ok(FailedLogins { count, oldest })
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
) -> Result<Option<User>, StoreError> {
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
    Ok(user::Model::find_by_statement(statement)
        .one(db)
        .await?
        .map(User::from))
}

/// Sets the language of a user's pages and, for a member, of their
/// messages, in one transaction.
///
/// # Errors
/// The database fails; nothing is written.
pub async fn set_language<C>(db: &C, user_id: i32, language: Language) -> Result<(), StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = super::begin_writing(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::Language, Expr::value(language.code()))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    let member = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .and_then(|u| u.member_id);
    if let Some(member_id) = member {
        crate::entity::member::Entity::update_many()
            .col_expr(
                crate::entity::member::Column::Language,
                Expr::value(language.code()),
            )
            .filter(crate::entity::member::Column::Id.eq(member_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
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
