//! The team's calendar is one timeline: a visit is on it (`on_calendar`)
//! whichever plan made it. Publishing a plan puts its visits still to come on
//! the calendar and takes off, within its own days, only the visits still to
//! come that are merely proposed; those keep their plan as history and name
//! the plan that replaced them (`replaced_by`, `replaced_at`).
//!
//! Existing data: the visits of published plans are the calendar.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            boolean("on_calendar").default(false).take(),
            integer_null("replaced_by"),
            timestamp_with_time_zone_null("replaced_at"),
        ] {
            manager
                .alter_table(Table::alter().table("visits").add_column(column).take())
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE visits SET on_calendar = TRUE \
             WHERE plan_id IN (SELECT id FROM plans WHERE status = 'published')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["replaced_at", "replaced_by", "on_calendar"] {
            manager
                .alter_table(Table::alter().table("visits").drop_column(column).take())
                .await?;
        }
        Ok(())
    }
}
