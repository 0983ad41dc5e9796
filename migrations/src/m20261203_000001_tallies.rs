//! Kept counts of the officials' audit ("tallies"), so that the coverage of
//! a province sums a few thousand rows instead of counting a million
//! households and six million needs at every read.
//!
//! - `tallies`: per team and area (the household's village, or the team's
//!   area when it has none), how many households, residents, households
//!   reached (a visit done), met (a need done at a visit), and needs by step
//!   and status. `measure` is `households`, `residents`, `reached`, `met` or
//!   `needs`; `step` and `status` are empty except for needs. Only counts
//!   above zero have a row.
//! - `tally_quarters`: per team, area and quarter of an hour (UTC, as the
//!   number of quarter hours since 1970), the visits done and the households
//!   reached for the first time. The reader turns quarters into days and
//!   weeks in each team's zone: every zone's offset is a multiple of a
//!   quarter hour, and a team that changes its zone keeps exact weeks.
//!
//! The store rewrites a team's rows in the transaction that changes what
//! they count; this migration counts what is already stored.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counts of the households already stored, as `repo::tallies` writes
/// them (a copy: migrations keep meaning what they meant when they shipped).
const FILL_TALLIES: &str = "\
    WITH hh AS (SELECT h.id, h.team_id, COALESCE(h.village_id, t.area_id) AS area_id \
      FROM households h JOIN teams t ON t.id = h.team_id) \
    INSERT INTO tallies (team_id, area_id, measure, step, status, n) \
    SELECT hh.team_id, hh.area_id, 'households', '', '', COUNT(*) \
      FROM hh GROUP BY hh.team_id, hh.area_id \
    UNION ALL \
    SELECT hh.team_id, hh.area_id, 'residents', '', '', COUNT(*) \
      FROM hh JOIN residents r ON r.household_id = hh.id GROUP BY hh.team_id, hh.area_id \
    UNION ALL \
    SELECT hh.team_id, hh.area_id, 'needs', n.step, n.status, COUNT(*) \
      FROM hh JOIN residents r ON r.household_id = hh.id JOIN needs n ON n.resident_id = r.id \
      GROUP BY hh.team_id, hh.area_id, n.step, n.status \
    UNION ALL \
    SELECT hh.team_id, hh.area_id, 'reached', '', '', COUNT(*) \
      FROM hh WHERE EXISTS (SELECT 1 FROM visits v \
        WHERE v.household_id = hh.id AND v.status = 'done') \
      GROUP BY hh.team_id, hh.area_id \
    UNION ALL \
    SELECT hh.team_id, hh.area_id, 'met', '', '', COUNT(*) \
      FROM hh WHERE EXISTS (SELECT 1 FROM visits v JOIN outcomes o ON o.visit_id = v.id \
        WHERE v.household_id = hh.id AND o.result = 'done') \
      GROUP BY hh.team_id, hh.area_id";

/// The visits done and households first reached already stored, by quarter
/// hour; `{visit_quarter}` and `{first_quarter}` are the backend's quarter
/// of `v.start_at` and `f.first_at`.
const FILL_QUARTERS: &str = "\
    WITH hh AS (SELECT h.id, h.team_id, COALESCE(h.village_id, t.area_id) AS area_id \
      FROM households h JOIN teams t ON t.id = h.team_id) \
    INSERT INTO tally_quarters (team_id, area_id, quarter, visits_done, first_reached) \
    SELECT team_id, area_id, quarter, SUM(visits_done), SUM(first_reached) FROM (\
      SELECT hh.team_id, hh.area_id, {visit_quarter} AS quarter, \
             1 AS visits_done, 0 AS first_reached \
        FROM hh JOIN visits v ON v.household_id = hh.id WHERE v.status = 'done' \
      UNION ALL \
      SELECT f.team_id, f.area_id, {first_quarter}, 0, 1 \
        FROM (SELECT hh.team_id, hh.area_id, MIN(v.start_at) AS first_at \
              FROM hh JOIN visits v ON v.household_id = hh.id \
              WHERE v.status = 'done' GROUP BY hh.id, hh.team_id, hh.area_id) f\
    ) x GROUP BY team_id, area_id, quarter";

fn fk(from: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("tallies")
                    .col(integer("team_id"))
                    .col(integer("area_id"))
                    .col(string_len("measure", 16))
                    .col(string_len("step", 32).default(""))
                    .col(string_len("status", 16).default(""))
                    .col(big_integer("n"))
                    .primary_key(
                        Index::create()
                            .col("team_id")
                            .col("area_id")
                            .col("measure")
                            .col("step")
                            .col("status"),
                    )
                    .foreign_key(&mut fk("tallies", "team_id", "teams"))
                    .foreign_key(&mut fk("tallies", "area_id", "areas"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_tallies_area")
                    .table("tallies")
                    .col("area_id")
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("tally_quarters")
                    .col(integer("team_id"))
                    .col(integer("area_id"))
                    // Seconds since 1970-01-01 UTC divided by 900.
                    .col(big_integer("quarter"))
                    .col(big_integer("visits_done"))
                    .col(big_integer("first_reached"))
                    .primary_key(Index::create().col("team_id").col("area_id").col("quarter"))
                    .foreign_key(&mut fk("tally_quarters", "team_id", "teams"))
                    .foreign_key(&mut fk("tally_quarters", "area_id", "areas"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_tally_quarters_area_quarter")
                    .table("tally_quarters")
                    .col("area_id")
                    .col("quarter")
                    .take(),
            )
            .await?;
        // The counts of what is already stored.
        let db = manager.get_connection();
        db.execute_unprepared(FILL_TALLIES).await?;
        let quarter = |column: &str| match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / 900) AS BIGINT)")
            }
            _ => format!("CAST(strftime('%s', {column}) AS INTEGER) / 900"),
        };
        db.execute_unprepared(
            &FILL_QUARTERS
                .replace("{visit_quarter}", &quarter("v.start_at"))
                .replace("{first_quarter}", &quarter("f.first_at")),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("tally_quarters").take())
            .await?;
        manager
            .drop_table(Table::drop().table("tallies").take())
            .await
    }
}
