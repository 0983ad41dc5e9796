//! The needs each recorded result moved, with each need's state before the
//! visit moved it: a correction of the result puts back what the first
//! result changed, and only that.
//!
//! A need moved at a visit has one row there, held by the result that now
//! decides it. Results recorded before this table (and loaded in bulk) have
//! none; a correction falls back to the needs such a result would have left.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outcome_needs")
                    .col(pk_auto("id"))
                    .col(integer("outcome_id"))
                    .col(integer("need_id"))
                    // The need as it was before the visit moved it.
                    .col(string_len("status_before", 24))
                    .col(string_len_null("last_result_before", 24))
                    .col(date_null("appointment_before"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("outcome_needs", "outcome_id")
                            .to("outcomes", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("outcome_needs", "need_id")
                            .to("needs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outcome_needs_outcome")
                    .table("outcome_needs")
                    .col("outcome_id")
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outcome_needs_need")
                    .table("outcome_needs")
                    .col("need_id")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("outcome_needs").take())
            .await
    }
}
