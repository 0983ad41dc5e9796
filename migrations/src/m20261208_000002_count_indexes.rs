//! Indexes that answer the counts of a team or an area from the index
//! alone: a resident's needs by status (open needs by step, a household
//! with an open need) and a household's residents by presence.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The indexes this migration adds: table, name, columns.
const INDEXES: [(&str, &str, &[&str]); 2] = [
    (
        "needs",
        "ix_needs_resident_status",
        &["resident_id", "status", "step"],
    ),
    (
        "residents",
        "ix_residents_household_presence",
        &["household_id", "presence"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, columns) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(table);
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.take()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, _) in INDEXES.iter().rev() {
            manager
                .drop_index(Index::drop().name(*name).table(*table).to_owned())
                .await?;
        }
        Ok(())
    }
}
