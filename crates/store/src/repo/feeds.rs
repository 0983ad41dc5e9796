//! Secret calendar addresses: one live address per member, and one per team
//! for its leader. The secret is stored as it is: it is the capability in
//! the address, and its owner is shown it again whenever they ask.
//!
//! Rotating revokes every live address of the owner and creates a new one in
//! one transaction; revoking leaves the owner without one. Each change writes
//! an audit entry that names the feed, never its secret.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};

use super::audit::append_audit;
use crate::StoreError;
use crate::entity::{calendar_feed, member};

/// Whose visits a feed shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedOwner {
    /// One member's visits; `team_id` is the member's team.
    Member {
        /// The member's team.
        team_id: i32,
        /// The member.
        member_id: i32,
    },
    /// A whole team's visits, for its leader.
    Team(i32),
}

impl FeedOwner {
    fn team_id(self) -> i32 {
        match self {
            FeedOwner::Member { team_id, .. } | FeedOwner::Team(team_id) => team_id,
        }
    }

    fn member_id(self) -> Option<i32> {
        match self {
            FeedOwner::Member { member_id, .. } => Some(member_id),
            FeedOwner::Team(_) => None,
        }
    }

    /// The audit log's entity and id.
    fn audited(self) -> (&'static str, i32) {
        match self {
            FeedOwner::Member { member_id, .. } => ("member", member_id),
            FeedOwner::Team(team_id) => ("team", team_id),
        }
    }
}

/// A stored calendar address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedRecord {
    /// Id.
    pub id: i32,
    /// The team (for a member's feed, the member's team when it was made).
    pub team_id: i32,
    /// The member, or `None` for the whole team's feed.
    pub member_id: Option<i32>,
    /// The secret of the address.
    pub secret: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl From<calendar_feed::Model> for FeedRecord {
    fn from(f: calendar_feed::Model) -> Self {
        FeedRecord {
            id: f.id,
            team_id: f.team_id,
            member_id: f.member_id,
            secret: f.secret,
            created_at: f.created_at,
        }
    }
}

fn owned_by<Q: QueryFilter>(query: Q, owner: FeedOwner) -> Q {
    match owner {
        FeedOwner::Member { member_id, .. } => {
            query.filter(calendar_feed::Column::MemberId.eq(member_id))
        }
        FeedOwner::Team(team_id) => query
            .filter(calendar_feed::Column::TeamId.eq(team_id))
            .filter(calendar_feed::Column::MemberId.is_null()),
    }
}

/// The owner's live address (the oldest, should two have been made at once).
///
/// # Errors
/// The database fails.
pub async fn live_feed(
    db: &impl ConnectionTrait,
    owner: FeedOwner,
) -> Result<Option<FeedRecord>, StoreError> {
    Ok(owned_by(calendar_feed::Entity::find(), owner)
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .order_by_asc(calendar_feed::Column::Id)
        .one(db)
        .await?
        .map(FeedRecord::from))
}

async fn insert_feed(
    db: &impl ConnectionTrait,
    owner: FeedOwner,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<FeedRecord, StoreError> {
    Ok(calendar_feed::ActiveModel {
        team_id: Set(owner.team_id()),
        member_id: Set(owner.member_id()),
        secret: Set(secret.to_owned()),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?
    .into())
}

async fn revoke_live(
    db: &impl ConnectionTrait,
    owner: FeedOwner,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(owned_by(calendar_feed::Entity::update_many(), owner)
        .col_expr(
            calendar_feed::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// The owner's live address; when there is none, a new one with `secret`
/// (and its audit entry), in one transaction.
///
/// # Errors
/// The database fails; nothing is written.
pub async fn live_or_new_feed<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    owner: FeedOwner,
    secret: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<FeedRecord, StoreError> {
    if let Some(live) = live_feed(db, owner).await? {
        return Ok(live);
    }
    let txn = super::begin_writing(db).await?;
    let created = match insert_feed(&txn, owner, secret, now).await {
        Ok(created) => created,
        Err(e) => {
            drop(txn);
            // Another request made the live address first (one live address
            // per owner is a unique index): answer that one.
            return match live_feed(db, owner).await? {
                Some(live) => Ok(live),
                None => Err(e),
            };
        }
    };
    let (entity, id) = owner.audited();
    append_audit(
        &txn,
        now,
        actor,
        "create_feed",
        entity,
        Some(id),
        serde_json::json!({"feed": created.id}),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Revokes the owner's live addresses and makes a new one with `secret`, with
/// an audit entry, in one transaction.
///
/// # Errors
/// The database fails; nothing is written.
pub async fn rotate_feed<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    owner: FeedOwner,
    secret: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<FeedRecord, StoreError> {
    let txn = super::begin_writing(db).await?;
    let revoked = revoke_live(&txn, owner, now).await?;
    let created = insert_feed(&txn, owner, secret, now).await?;
    let (entity, id) = owner.audited();
    append_audit(
        &txn,
        now,
        actor,
        "rotate_feed",
        entity,
        Some(id),
        serde_json::json!({"feed": created.id, "revoked": revoked}),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Revokes the owner's live addresses, with an audit entry when there was
/// one, in one transaction; answers how many were revoked.
///
/// # Errors
/// The database fails; nothing is written.
pub async fn revoke_feed<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    owner: FeedOwner,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let txn = super::begin_writing(db).await?;
    let revoked = revoke_live(&txn, owner, now).await?;
    if revoked > 0 {
        let (entity, id) = owner.audited();
        append_audit(
            &txn,
            now,
            actor,
            "revoke_feed",
            entity,
            Some(id),
            serde_json::json!({"revoked": revoked}),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(revoked)
}

/// The live address with this secret.
///
/// # Errors
/// The database fails.
pub async fn feed_by_secret(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Option<FeedRecord>, StoreError> {
    Ok(calendar_feed::Entity::find()
        .filter(calendar_feed::Column::Secret.eq(secret))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .map(FeedRecord::from))
}

/// The team of a member, `None` when there is no such member. Feeds and
/// daily lists are addressed by member and need the team to check access.
///
/// # Errors
/// The database fails.
pub async fn member_team(
    db: &impl ConnectionTrait,
    member_id: i32,
) -> Result<Option<i32>, StoreError> {
    Ok(member::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .map(|m| m.team_id))
}
