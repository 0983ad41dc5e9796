//! Mail: the teams' schedules, the firings decided and the outbox.
//!
//! A firing is decided once: [`record_firing`] inserts its row under a
//! unique key (team, kind, instant) in the caller's transaction, with the
//! messages it writes ([`enqueue`]); a second process deciding the same
//! firing fails on the key and writes nothing. A message is enqueued once:
//! its Message-ID is unique.
//!
//! Senders [`claim`] due messages with a lease: on PostgreSQL the rows are
//! picked `FOR UPDATE SKIP LOCKED`, so two senders never hold the same row;
//! on SQLite the claim is one write, and writes are serialised. A sender that
//! dies leaves its lease to expire, and the message goes again under the same
//! Message-ID.

use chrono::{DateTime, NaiveDate, Utc};
use doorstep_core::{Language, MailKind, OutboxStatus};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::Code;
use crate::StoreError;
use crate::dialect::Dialect;
use crate::entity::{mail_firing, mail_schedule, outbox};

/// A team's schedule for one kind of message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleRecord {
    /// The team.
    pub team_id: i32,
    /// Which messages.
    pub kind: MailKind,
    /// The cron expression (the `cron` crate's syntax, seconds first).
    pub cron: String,
    /// The zone it is read in; `None`: the team's.
    pub timezone: Option<String>,
    /// Whether it fires.
    pub enabled: bool,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

fn schedule_record(m: mail_schedule::Model) -> Option<ScheduleRecord> {
    Some(ScheduleRecord {
        team_id: m.team_id,
        kind: m.kind.0,
        cron: m.cron,
        timezone: m.timezone,
        enabled: m.enabled,
        updated_at: m.updated_at,
    })
}

/// The stored schedules of a team (kinds never set are absent).
///
/// # Errors
/// The database fails.
pub async fn team_schedules(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Vec<ScheduleRecord>, StoreError> {
    Ok(mail_schedule::Entity::find()
        .filter(mail_schedule::Column::TeamId.eq(team_id))
        .order_by_asc(mail_schedule::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(schedule_record)
        .collect())
}

/// Every stored schedule, by team.
///
/// # Errors
/// The database fails.
pub async fn all_schedules(db: &impl ConnectionTrait) -> Result<Vec<ScheduleRecord>, StoreError> {
    Ok(mail_schedule::Entity::find()
        .order_by_asc(mail_schedule::Column::TeamId)
        .order_by_asc(mail_schedule::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(schedule_record)
        .collect())
}

/// Stores a team's schedule of one kind (created or replaced).
///
/// # Errors
/// The database fails (the team does not exist: a foreign key).
pub async fn save_schedule(
    db: &impl ConnectionTrait,
    schedule: &ScheduleRecord,
) -> Result<(), StoreError> {
    let existing = mail_schedule::Entity::find()
        .filter(mail_schedule::Column::TeamId.eq(schedule.team_id))
        .filter(mail_schedule::Column::Kind.eq(schedule.kind.code()))
        .one(db)
        .await?;
    match existing {
        Some(old) => {
            let mut active: mail_schedule::ActiveModel = old.into();
            active.cron = Set(schedule.cron.clone());
            active.timezone = Set(schedule.timezone.clone());
            active.enabled = Set(schedule.enabled);
            active.updated_at = Set(schedule.updated_at);
            active.update(db).await?;
        }
        None => {
            mail_schedule::ActiveModel {
                team_id: Set(schedule.team_id),
                kind: Set(Code(schedule.kind)),
                cron: Set(schedule.cron.clone()),
                timezone: Set(schedule.timezone.clone()),
                enabled: Set(schedule.enabled),
                updated_at: Set(schedule.updated_at),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Records a firing in the caller's transaction; `false` when it was
/// already decided (by this process or another).
///
/// # Errors
/// The database fails.
pub async fn record_firing(
    db: &impl ConnectionTrait,
    team_id: i32,
    kind: MailKind,
    fire_at: DateTime<Utc>,
    day: NaiveDate,
    messages: i32,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row = mail_firing::ActiveModel {
        team_id: Set(team_id),
        kind: Set(Code(kind)),
        fire_at: Set(fire_at),
        day: Set(day),
        messages: Set(messages),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = mail_firing::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                mail_firing::Column::TeamId,
                mail_firing::Column::Kind,
                mail_firing::Column::FireAt,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// A message to enqueue.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMessage {
    /// The stable Message-ID, without angle brackets.
    pub message_id: String,
    /// The team.
    pub team_id: i32,
    /// The member it is for.
    pub member_id: Option<i32>,
    /// Which message.
    pub kind: MailKind,
    /// The day it is about.
    pub day: Option<NaiveDate>,
    /// The version of the list it carries.
    pub version: Option<String>,
    /// The address; `None`: the member has none (recorded, not sent).
    pub recipient: Option<String>,
    /// The recipient's name.
    pub recipient_name: String,
    /// Its language.
    pub language: Language,
    /// Subject.
    pub subject: String,
    /// Plain text body.
    pub body_text: String,
    /// HTML body.
    pub body_html: String,
    /// An attachment (the day's calendar) and its file name.
    pub attachment: Option<(String, String)>,
    /// The list as JSON, to tell what an update changes.
    pub summary: Option<String>,
}

/// Enqueues a message in the caller's transaction; `false` when a message
/// with its Message-ID is already there.
///
/// # Errors
/// The database fails.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    message: &NewMessage,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let status = if message.recipient.is_some() {
        OutboxStatus::Pending
    } else {
        OutboxStatus::NoAddress
    };
    let (attachment, attachment_name) = match &message.attachment {
        Some((name, body)) => (Some(body.clone()), Some(name.clone())),
        None => (None, None),
    };
    let row = outbox::ActiveModel {
        message_id: Set(message.message_id.clone()),
        team_id: Set(Some(message.team_id)),
        member_id: Set(message.member_id),
        kind: Set(Code(message.kind)),
        day: Set(message.day),
        version: Set(message.version.clone()),
        recipient: Set(message.recipient.clone()),
        recipient_name: Set(message.recipient_name.clone()),
        language: Set(Code(message.language)),
        subject: Set(message.subject.clone()),
        body_text: Set(message.body_text.clone()),
        body_html: Set(message.body_html.clone()),
        attachment: Set(attachment),
        attachment_name: Set(attachment_name),
        summary: Set(message.summary.clone()),
        status: Set(Code(status)),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        leased_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    };
    let inserted = outbox::Entity::insert(row)
        .on_conflict(
            OnConflict::column(outbox::Column::MessageId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// A message of the outbox.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxRecord {
    /// Row id.
    pub id: i64,
    /// The stable Message-ID, without angle brackets.
    pub message_id: String,
    /// The team.
    pub team_id: Option<i32>,
    /// The member.
    pub member_id: Option<i32>,
    /// Which message.
    pub kind: MailKind,
    /// The day it is about.
    pub day: Option<NaiveDate>,
    /// The list's version.
    pub version: Option<String>,
    /// The address.
    pub recipient: Option<String>,
    /// The recipient's name.
    pub recipient_name: String,
    /// Its language.
    pub language: Language,
    /// Subject.
    pub subject: String,
    /// Plain text body.
    pub body_text: String,
    /// HTML body.
    pub body_html: String,
    /// The attachment's file name and text.
    pub attachment: Option<(String, String)>,
    /// The list as JSON.
    pub summary: Option<String>,
    /// Where it stands.
    pub status: OutboxStatus,
    /// Tries so far.
    pub attempts: i32,
    /// Not before.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Enqueued.
    pub created_at: DateTime<Utc>,
    /// Accepted by the mail server.
    pub sent_at: Option<DateTime<Utc>>,
}

fn outbox_record(m: outbox::Model) -> OutboxRecord {
    OutboxRecord {
        id: m.id,
        message_id: m.message_id,
        team_id: m.team_id,
        member_id: m.member_id,
        kind: m.kind.0,
        day: m.day,
        version: m.version,
        recipient: m.recipient,
        recipient_name: m.recipient_name,
        language: m.language.0,
        subject: m.subject,
        body_text: m.body_text,
        body_html: m.body_html,
        attachment: m.attachment_name.zip(m.attachment),
        summary: m.summary,
        status: m.status.0,
        attempts: m.attempts,
        next_attempt_at: m.next_attempt_at,
        last_error: m.last_error,
        created_at: m.created_at,
        sent_at: m.sent_at,
    }
}

/// The messages already enqueued for a member's day (daily lists, evening
/// reminders and updates), oldest first.
///
/// # Errors
/// The database fails.
pub async fn member_day_messages(
    db: &impl ConnectionTrait,
    member_id: i32,
    day: NaiveDate,
) -> Result<Vec<OutboxRecord>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::MemberId.eq(member_id))
        .filter(outbox::Column::Day.eq(day))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(outbox_record)
        .collect())
}

/// The outbox, newest first: of one team or all, of one status or all.
///
/// # Errors
/// The database fails.
pub async fn outbox_messages(
    db: &impl ConnectionTrait,
    team_id: Option<i32>,
    status: Option<OutboxStatus>,
    limit: u64,
) -> Result<Vec<OutboxRecord>, StoreError> {
    let mut query = outbox::Entity::find();
    if let Some(team_id) = team_id {
        query = query.filter(outbox::Column::TeamId.eq(team_id));
    }
    if let Some(status) = status {
        query = query.filter(outbox::Column::Status.eq(status.code()));
    }
    Ok(query
        .order_by_desc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(outbox_record)
        .collect())
}

/// How many messages of the outbox stand in each status: of one team or all.
///
/// # Errors
/// The database fails.
pub async fn outbox_counts(
    db: &impl ConnectionTrait,
    team_id: Option<i32>,
) -> Result<Vec<(OutboxStatus, i64)>, StoreError> {
    let mut query = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Status)
        .column_as(outbox::Column::Id.count(), "n")
        .group_by(outbox::Column::Status);
    if let Some(team_id) = team_id {
        query = query.filter(outbox::Column::TeamId.eq(team_id));
    }
    let rows: Vec<(Code<OutboxStatus>, i64)> = query.into_tuple().all(db).await?;
    Ok(rows.into_iter().map(|(status, n)| (status.0, n)).collect())
}

/// Claims up to `limit` due messages for `worker` until `lease_until`:
/// pending, due, and not leased to a live sender.
///
/// # Errors
/// The database fails.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<OutboxRecord>, StoreError> {
    let due = || {
        Expr::col(outbox::Column::Status)
            .eq(OutboxStatus::Pending.code())
            .and(Expr::col(outbox::Column::NextAttemptAt).lte(now))
            .and(
                Expr::col(outbox::Column::LeaseUntil)
                    .is_null()
                    .or(Expr::col(outbox::Column::LeaseUntil).lt(now)),
            )
    };
    let mut pick = Query::select();
    pick.column(outbox::Column::Id)
        .from(outbox::Entity)
        .and_where(due())
        .order_by(outbox::Column::Id, sea_orm::Order::Asc)
        .limit(limit);
    Dialect::of(db).skip_locked(&mut pick);
    outbox::Entity::update_many()
        .col_expr(outbox::Column::LeaseUntil, Expr::value(lease_until))
        .col_expr(outbox::Column::LeasedBy, Expr::value(worker))
        .filter(outbox::Column::Id.in_subquery(pick))
        // Checked again on the row itself: another sender may have taken it
        // between the pick and the update.
        .filter(due())
        .exec(db)
        .await?;
    Ok(outbox::Entity::find()
        .filter(outbox::Column::LeasedBy.eq(worker))
        .filter(outbox::Column::LeaseUntil.eq(lease_until))
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending.code()))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(outbox_record)
        .collect())
}

/// Marks a claimed message sent.
///
/// # Errors
/// The database fails.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    id: i64,
    attempts: i32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(OutboxStatus::Sent.code()),
        )
        .col_expr(outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox::Column::SentAt, Expr::value(now))
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed try: again at `retry_at`, or for good when `None`.
///
/// # Errors
/// The database fails.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    id: i64,
    attempts: i32,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    update = match retry_at {
        Some(at) => update.col_expr(outbox::Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(
            outbox::Column::Status,
            Expr::value(OutboxStatus::Failed.code()),
        ),
    };
    update.filter(outbox::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// The latest firing of every team's schedule of every kind.
///
/// # Errors
/// The database fails.
pub async fn latest_firings(
    db: &impl ConnectionTrait,
) -> Result<Vec<(i32, MailKind, DateTime<Utc>)>, StoreError> {
    let rows: Vec<(i32, Code<MailKind>, Option<DateTime<Utc>>)> = mail_firing::Entity::find()
        .select_only()
        .column(mail_firing::Column::TeamId)
        .column(mail_firing::Column::Kind)
        .column_as(mail_firing::Column::FireAt.max(), "latest")
        .group_by(mail_firing::Column::TeamId)
        .group_by(mail_firing::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(team, kind, at)| Some((team, kind.0, at?)))
        .collect())
}
