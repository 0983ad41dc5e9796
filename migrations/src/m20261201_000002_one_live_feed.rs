//! One live calendar address per member and per team: two first requests
//! at the same moment cannot both create one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Partial indexes: the same statement on SQLite and PostgreSQL.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_calendar_feeds_live_member ON calendar_feeds (member_id) \
             WHERE revoked_at IS NULL AND member_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_calendar_feeds_live_team ON calendar_feeds (team_id) \
             WHERE revoked_at IS NULL AND member_id IS NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ux_calendar_feeds_live_member")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ux_calendar_feeds_live_team")
            .await?;
        Ok(())
    }
}
