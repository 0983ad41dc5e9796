//! A team's own tide stations: fitted to the high and low waters its members
//! wrote down at the port's quay. Each keeps the station file it made (read
//! as any file of the catalog), the readings it was fitted to and the fit's
//! figures; a team may adopt one as its station (`teams.tide_station`).
//! A station's id is unique within its team.

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
                    .table("tide_stations")
                    .col(pk_auto("id"))
                    .col(integer("team_id"))
                    .col(string_len("station_id", 64))
                    .col(string_len("name", 200))
                    // The station file (TOML), as the catalog reads it.
                    .col(text("file"))
                    // The readings' CSV, as uploaded.
                    .col(text("readings"))
                    // The fit in figures (JSON): grade, record, constituents, residuals.
                    .col(text("summary"))
                    // The report for the person who wrote the readings down.
                    .col(text("report"))
                    .col(string_len("created_by", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("tide_stations", "team_id")
                            .to("teams", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tide_stations_team_station")
                    .table("tide_stations")
                    .col("team_id")
                    .col("station_id")
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("tide_stations").take())
            .await
    }
}
