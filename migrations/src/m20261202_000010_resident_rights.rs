//! Residents' rights: every consent given or withdrawn, with who, when and
//! which text; and a tombstone per erased resident (a hash of the register's
//! keys, no personal data) so that importing the same register again does
//! not bring an erased resident back.

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
                    .table("consents")
                    .col(pk_auto("id"))
                    // NULL once the resident is erased: the count stays.
                    .col(integer_null("resident_id"))
                    .col(integer("team_id"))
                    // `given` or `withdrawn`.
                    .col(string_len("action", 16))
                    .col(string_len("text_version", 64))
                    .col(text("text"))
                    .col(string("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("consents", "resident_id")
                            .to("residents", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("consents", "team_id")
                            .to("teams", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_consents_resident")
                    .table("consents")
                    .col("resident_id")
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_consents_team_version")
                    .table("consents")
                    .col("team_id")
                    .col("text_version")
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("erasures")
                    .col(pk_auto("id"))
                    .col(integer("team_id"))
                    // SHA-256 of the household's and the resident's register keys.
                    .col(string_len("register_key_hash", 64))
                    .col(string("erased_by"))
                    .col(timestamp_with_time_zone("erased_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("erasures", "team_id")
                            .to("teams", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_erasures_team_key")
                    .table("erasures")
                    .col("team_id")
                    .col("register_key_hash")
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("erasures").take())
            .await?;
        manager
            .drop_table(Table::drop().table("consents").take())
            .await
    }
}
