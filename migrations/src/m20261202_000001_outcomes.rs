//! Outcomes: what volunteers record at each door, per resident and need.
//! A request is kept under its idempotency key so that the same outcome sent
//! twice (a patchy connection) is recorded once. Needs remember their last
//! result and an appointment date; residents count the attempts that found
//! nobody at home.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

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

/// SQLite alters one column per statement.
async fn add_column(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(Table::alter().table(table).add_column(&mut column).take())
        .await
}

async fn drop_column(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: &'static str,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).take())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The last result recorded for the need (`refused`,
        // `needs_appointment`, …) and the appointment's day: the planner
        // holds such needs back.
        add_column(manager, "needs", string_len_null("last_result", 24)).await?;
        add_column(manager, "needs", date_null("appointment_on")).await?;
        // Visits that found the resident away, since the last one that met them.
        add_column(manager, "residents", integer("attempts").default(0).take()).await?;
        add_column(
            manager,
            "residents",
            timestamp_with_time_zone_null("last_attempt_at"),
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("outcome_requests")
                    .col(pk_auto("id"))
                    .col(integer("visit_id"))
                    .col(string_len("idempotency_key", 128))
                    // SHA-256 of the request as understood, to tell a repeat
                    // from a different request under the same key.
                    .col(string_len("body_hash", 64))
                    .col(text_null("note"))
                    .col(string("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut fk("outcome_requests", "visit_id", "visits"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "outcome_requests",
                    "ux_outcome_requests_visit_key",
                    &["visit_id", "idempotency_key"],
                )
                .unique()
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("outcomes")
                    .col(pk_auto("id"))
                    .col(integer("request_id"))
                    .col(integer("visit_id"))
                    // NULL once the resident is erased: the trace stays.
                    .col(integer_null("resident_id"))
                    // NULL: every need the visit was for.
                    .col(string_len_null("need", 24))
                    .col(string_len("result", 24))
                    .col(date_null("appointment_on"))
                    .col(string("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut fk("outcomes", "request_id", "outcome_requests"))
                    .foreign_key(&mut fk("outcomes", "visit_id", "visits"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("outcomes", "resident_id")
                            .to("residents", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(index("outcomes", "ix_outcomes_visit", &["visit_id"]))
            .await?;
        manager
            .create_index(index("outcomes", "ix_outcomes_resident", &["resident_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("outcomes").take())
            .await?;
        manager
            .drop_table(Table::drop().table("outcome_requests").take())
            .await?;
        drop_column(manager, "residents", "last_attempt_at").await?;
        drop_column(manager, "residents", "attempts").await?;
        drop_column(manager, "needs", "appointment_on").await?;
        drop_column(manager, "needs", "last_result").await
    }
}
