//! Mail: each team's schedules (a cron expression per kind of message),
//! the firings already decided, and the outbox rebuilt for a sender that
//! claims rows with leases and never sends a list twice under two
//! Message-IDs. Members choose the language of their messages.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

fn fk_null(
    from: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::SetNull)
        .take()
}

fn index(
    table: &'static str,
    name: &'static str,
    columns: &[&'static str],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    index.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .add_column(string_len("language", 8).default("vi"))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("mail_schedules")
                    .col(pk_auto("id"))
                    .col(integer("team_id"))
                    .col(string_len("kind", 16))
                    // The cron crate's syntax: seconds first, 6 or 7 fields.
                    .col(string_len("cron", 128))
                    // NULL: the team's zone.
                    .col(string_len_null("timezone", 64))
                    .col(boolean("enabled"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("mail_schedules", "team_id", "teams"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "mail_schedules",
                    "ux_mail_schedules_team_kind",
                    &["team_id", "kind"],
                )
                .unique()
                .take(),
            )
            .await?;

        // A firing decided once: the row and its messages are written in one
        // transaction, and a second process deciding the same firing fails
        // on this key and writes nothing.
        manager
            .create_table(
                Table::create()
                    .table("mail_firings")
                    .col(pk_auto("id"))
                    .col(integer("team_id"))
                    .col(string_len("kind", 16))
                    .col(timestamp_with_time_zone("fire_at"))
                    .col(date("day"))
                    .col(integer("messages").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("mail_firings", "team_id", "teams"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "mail_firings",
                    "ux_mail_firings_team_kind_at",
                    &["team_id", "kind", "fire_at"],
                )
                .unique()
                .take(),
            )
            .await?;

        // The first outbox was never written to; this one keeps what a
        // message is (its bytes are rebuilt the same from these columns) and
        // where its sending stands.
        manager
            .drop_table(Table::drop().table("mail_outbox").take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("mail_outbox")
                    .col(big_pk_auto("id"))
                    // Stable: from the member, the day, the kind and the
                    // list's version. A message sent twice is one message.
                    .col(string_len("message_id", 190))
                    .col(integer_null("team_id"))
                    .col(integer_null("member_id"))
                    .col(string_len("kind", 16))
                    .col(date_null("day"))
                    .col(string_len_null("version", 32))
                    .col(string_null("recipient"))
                    .col(string("recipient_name"))
                    .col(string_len("language", 8).default("vi"))
                    .col(string("subject"))
                    .col(text("body_text"))
                    .col(text("body_html"))
                    .col(text_null("attachment"))
                    .col(string_null("attachment_name"))
                    // The list as JSON, to tell what changed in an update.
                    .col(text_null("summary"))
                    .col(string_len("status", 16).default("pending"))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .col(string_len_null("leased_by", 64))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .foreign_key(&mut fk_null("mail_outbox", "team_id", "teams"))
                    .foreign_key(&mut fk_null("mail_outbox", "member_id", "members"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("mail_outbox", "ux_mail_outbox_message_id", &["message_id"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "mail_outbox",
                "ix_mail_outbox_due",
                &["status", "next_attempt_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "mail_outbox",
                "ix_mail_outbox_member_day",
                &["member_id", "day"],
            ))
            .await?;
        manager
            .create_index(index("mail_outbox", "ix_mail_outbox_team", &["team_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("mail_outbox").take())
            .await?;
        manager
            .drop_table(Table::drop().table("mail_firings").take())
            .await?;
        manager
            .drop_table(Table::drop().table("mail_schedules").take())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .drop_column("language")
                    .take(),
            )
            .await?;
        Ok(())
    }
}
