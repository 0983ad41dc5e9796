//! A message waiting in, or sent from, the mail outbox.

use doorstep_core::{Language, MailKind, OutboxStatus};
use sea_orm::entity::prelude::*;

use crate::Code;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub message_id: String,
    pub team_id: Option<i32>,
    pub member_id: Option<i32>,
    pub kind: Code<MailKind>,
    pub day: Option<Date>,
    pub version: Option<String>,
    pub recipient: Option<String>,
    pub recipient_name: String,
    pub language: Code<Language>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attachment: Option<String>,
    pub attachment_name: Option<String>,
    pub summary: Option<String>,
    pub status: Code<OutboxStatus>,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub leased_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
