//! The audit log knows whose data each entry touched: the team (and through
//! it the area), so that officials and leaders read the entries in their
//! scope. Entries of the whole installation (a demo load) have no team and
//! are read by administrators.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

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
                    .table("audit_log")
                    .add_column(integer_null("team_id"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("audit_log", "ix_audit_team_at", &["team_id", "at"]))
            .await?;
        manager
            .create_index(index("audit_log", "ix_audit_at", &["at"]))
            .await?;
        // Who was met, by household: the officials' audit reads these.
        manager
            .create_index(index("households", "ix_households_team", &["team_id"]))
            .await?;
        manager
            .create_index(index("visits", "ix_visits_status", &["status"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name) in [
            ("visits", "ix_visits_status"),
            ("households", "ix_households_team"),
            ("audit_log", "ix_audit_at"),
            ("audit_log", "ix_audit_team_at"),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("audit_log")
                    .drop_column("team_id")
                    .take(),
            )
            .await
    }
}
