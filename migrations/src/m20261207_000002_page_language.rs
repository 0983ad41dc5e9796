//! The language of a user's pages, remembered for them: `users.language`,
//! Vietnamese unless they switch (a member's own messages keep following
//! `members.language`, which the switch sets too).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::m20261207_000001_vocabularies::{add_check, drop_check};

/// The column this migration adds, with its codes.
pub const USER_LANGUAGE: (&str, &str, &[&str]) = ("users", "language", &["vi", "en"]);

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("users"))
                    .add_column(
                        ColumnDef::new(Alias::new("language"))
                            .string()
                            .not_null()
                            .default("vi"),
                    )
                    .to_owned(),
            )
            .await?;
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        let (table, column, known) = USER_LANGUAGE;
        add_check(manager.get_connection(), postgres, table, column, known).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        let (table, column, _) = USER_LANGUAGE;
        drop_check(manager.get_connection(), postgres, table, column).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("users"))
                    .drop_column(Alias::new("language"))
                    .to_owned(),
            )
            .await
    }
}
