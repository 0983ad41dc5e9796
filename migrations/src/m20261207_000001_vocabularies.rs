//! Every column that holds one of the domain's closed vocabularies accepts
//! only that vocabulary's codes.
//!
//! PostgreSQL: a `CHECK (column IN (…))` constraint named `<table>_<column>_known`.
//! SQLite cannot add a constraint to an existing table, so the same check is
//! two triggers (`<table>_<column>_known_insert`, `…_update`) that abort the
//! statement with `CHECK constraint failed: <table>_<column>_known`.
//! A NULL passes: optional columns stay optional.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Each vocabulary column and its codes, as this migration ships them (a new
/// code needs a new migration).
pub const VOCABULARIES: &[(&str, &str, &[&str])] = &[
    ("areas", "level", &["province", "commune", "village"]),
    ("consents", "action", &["given", "withdrawn"]),
    (
        "mail_firings",
        "kind",
        &["daily", "evening", "weekly_digest", "update"],
    ),
    (
        "mail_schedules",
        "kind",
        &["daily", "evening", "weekly_digest", "update"],
    ),
    (
        "mail_outbox",
        "kind",
        &["daily", "evening", "weekly_digest", "update"],
    ),
    ("mail_outbox", "language", &["vi", "en"]),
    (
        "mail_outbox",
        "status",
        &["pending", "sent", "failed", "no_address"],
    ),
    ("members", "role", &["leader", "volunteer"]),
    ("members", "language", &["vi", "en"]),
    (
        "needs",
        "step",
        &[
            "vneid_install",
            "vneid_level2",
            "documents",
            "e_payment",
            "scam_awareness",
            "public_services",
        ],
    ),
    ("needs", "status", &["open", "done", "not_applicable"]),
    ("needs", "last_result", OUTCOME_RESULTS),
    ("outcomes", "result", OUTCOME_RESULTS),
    (
        "outcome_needs",
        "status_before",
        &["open", "done", "not_applicable"],
    ),
    ("outcome_needs", "last_result_before", OUTCOME_RESULTS),
    ("plans", "status", &["draft", "published", "superseded"]),
    (
        "residents",
        "presence",
        &["home", "at_sea", "working_away", "abroad"],
    ),
    (
        "unmet",
        "reason",
        &[
            "no_window",
            "no_skill",
            "no_capacity",
            "no_consent",
            "refused",
            "not_home",
            "awaiting_appointment",
            "not_planned",
            "scheduled",
        ],
    ),
    (
        "users",
        "role",
        &["leader", "volunteer", "official", "admin"],
    ),
    ("visits", "mode", &["in_person", "remote"]),
    (
        "visits",
        "status",
        &["proposed", "confirmed", "done", "missed", "cancelled"],
    ),
    ("plan_runs", "status", &["running", "finished"]),
    (
        "plan_jobs",
        "status",
        &["queued", "running", "done", "failed"],
    ),
];

const OUTCOME_RESULTS: &[&str] = &[
    "done",
    "not_home",
    "refused",
    "needs_appointment",
    "reschedule",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Makes `table.column` accept only `known` (or NULL): a CHECK constraint
/// on PostgreSQL, two triggers on SQLite.
pub(crate) async fn add_check(
    db: &SchemaManagerConnection<'_>,
    postgres: bool,
    table: &str,
    column: &str,
    known: &[&str],
) -> Result<(), DbErr> {
    let name = format!("{table}_{column}_known");
    let list = codes(known);
    if postgres {
        db.execute_unprepared(&format!(
            "ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IN ({list}))"
        ))
        .await?;
    } else {
        for (when, event) in [
            ("insert", "INSERT".to_owned()),
            ("update", format!("UPDATE OF {column}")),
        ] {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {name}_{when} BEFORE {event} ON {table} FOR EACH ROW \
                 WHEN NEW.{column} IS NOT NULL AND NEW.{column} NOT IN ({list}) \
                 BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            ))
            .await?;
        }
    }
    Ok(())
}

/// Undoes [`add_check`].
pub(crate) async fn drop_check(
    db: &SchemaManagerConnection<'_>,
    postgres: bool,
    table: &str,
    column: &str,
) -> Result<(), DbErr> {
    let name = format!("{table}_{column}_known");
    if postgres {
        db.execute_unprepared(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
            .await?;
    } else {
        for when in ["insert", "update"] {
            db.execute_unprepared(&format!("DROP TRIGGER {name}_{when}"))
                .await?;
        }
    }
    Ok(())
}

fn codes(codes: &[&str]) -> String {
    codes
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for (table, column, known) in VOCABULARIES {
            add_check(db, postgres, table, column, known).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for (table, column, _) in VOCABULARIES.iter().rev() {
            drop_check(db, postgres, table, column).await?;
        }
        Ok(())
    }
}
