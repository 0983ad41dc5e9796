//! Planning jobs as rows: a run plans every team under an area, one job per
//! team. Workers (`doorstep plan --area`, `doorstep worker`, `doorstep
//! serve`) claim jobs with a lease; on PostgreSQL the rows are picked
//! `FOR UPDATE SKIP LOCKED`, so several processes on one database share a
//! run, and a job whose worker died is claimed again when its lease runs out.
//!
//! A run is open while it has a key (`open_key`: area, first day and days):
//! the key is unique, so asking twice for the same area and days finds the
//! same run until it is finished; a finished run gives its key up. A team has
//! one job per run.

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
            .create_table(
                Table::create()
                    .table("plan_runs")
                    .col(pk_auto("id"))
                    .col(integer("area_id"))
                    .col(date("start_date"))
                    .col(integer("days"))
                    // The planner's budget per team, the seed and whether
                    // each plan is published, as JSON.
                    .col(text("options"))
                    .col(string_len("created_by", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    // running, finished
                    .col(string_len("status", 16).default("running"))
                    .col(integer("teams").default(0))
                    // `area:start:days` while running, NULL once finished
                    // (NULLs never collide in a unique index).
                    .col(string_len_null("open_key", 64))
                    .foreign_key(
                        ForeignKey::create()
                            .from("plan_runs", "area_id")
                            .to("areas", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("plan_runs", "ux_plan_runs_open_key", &["open_key"])
                    .unique()
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("plan_jobs")
                    .col(big_pk_auto("id"))
                    .col(integer("run_id"))
                    .col(integer("team_id"))
                    // queued, running, done, failed
                    .col(string_len("status", 16).default("queued"))
                    // Claims so far; with the worker, it names one claim.
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .col(string_len_null("worker", 64))
                    .col(integer_null("plan_id"))
                    .col(text_null("error"))
                    // Why a done job has no plan (nothing to plan).
                    .col(text_null("note"))
                    .col(timestamp_with_time_zone_null("started_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    // Figures of the plan: households read, visits, unmet
                    // entries by reason (JSON), and milliseconds spent
                    // reading, planning and saving.
                    .col(integer_null("households"))
                    .col(integer_null("visits"))
                    .col(text_null("unmet"))
                    .col(integer_null("read_ms"))
                    .col(integer_null("plan_ms"))
                    .col(integer_null("save_ms"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("plan_jobs", "run_id")
                            .to("plan_runs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("plan_jobs", "team_id")
                            .to("teams", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("plan_jobs", "plan_id")
                            .to("plans", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        // A team is planned once per run.
        manager
            .create_index(
                index("plan_jobs", "ux_plan_jobs_run_team", &["run_id", "team_id"])
                    .unique()
                    .take(),
            )
            .await?;
        // What workers look for: queued jobs and expired leases.
        manager
            .create_index(index(
                "plan_jobs",
                "ix_plan_jobs_status_lease",
                &["status", "lease_until"],
            ))
            .await?;
        manager
            .create_index(index("plan_jobs", "ix_plan_jobs_team", &["team_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("plan_jobs").take())
            .await?;
        manager
            .drop_table(Table::drop().table("plan_runs").take())
            .await?;
        Ok(())
    }
}
