//! No stored vocabulary is a free string: the database refuses a code its
//! vocabulary does not have, and the store refuses to read one back (an
//! error that names the vocabulary and the code, never a default); on SQLite
//! or PostgreSQL.

use chrono::{DateTime, Utc};
use doorstep_core::{
    AreaLevel, ConsentAction, JobStatus, Language, MailKind, MemberRole, NeedStatus, NeedStep,
    OutboxStatus, OutcomeResult, PlanStatus, Presence, RunStatus, UnmetReason, UserRole, VisitMode,
    VisitStatus, Vocabulary,
};
use doorstep_migrations::vocabulary_columns;
use doorstep_service::Store;
use doorstep_tests::TestDb;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

/// A Monday, 08:30 in Thanh Hóa.
fn now() -> DateTime<Utc> {
    "2026-03-02T01:30:00Z".parse().expect("an instant")
}

fn codes_of<T: Vocabulary>() -> Vec<&'static str> {
    T::all().iter().map(|v| v.code()).collect()
}

/// The codes core's vocabulary has for a stored column.
fn core_codes(table: &str, column: &str) -> Vec<&'static str> {
    match (table, column) {
        ("areas", "level") => codes_of::<AreaLevel>(),
        ("consents", "action") => codes_of::<ConsentAction>(),
        ("mail_firings" | "mail_schedules" | "mail_outbox", "kind") => codes_of::<MailKind>(),
        ("mail_outbox" | "members" | "users", "language") => codes_of::<Language>(),
        ("mail_outbox", "status") => codes_of::<OutboxStatus>(),
        ("members", "role") => codes_of::<MemberRole>(),
        ("needs", "step") => codes_of::<NeedStep>(),
        ("needs", "status") | ("outcome_needs", "status_before") => codes_of::<NeedStatus>(),
        ("needs", "last_result")
        | ("outcomes", "result")
        | ("outcome_needs", "last_result_before") => codes_of::<OutcomeResult>(),
        ("plans", "status") => codes_of::<PlanStatus>(),
        ("residents", "presence") => codes_of::<Presence>(),
        ("unmet", "reason") => codes_of::<UnmetReason>(),
        ("users", "role") => codes_of::<UserRole>(),
        ("visits", "mode") => codes_of::<VisitMode>(),
        ("visits", "status") => codes_of::<VisitStatus>(),
        ("plan_runs", "status") => codes_of::<RunStatus>(),
        ("plan_jobs", "status") => codes_of::<JobStatus>(),
        other => panic!("{other:?} is checked by the database but has no vocabulary here"),
    }
}

#[test]
fn the_databases_checks_accept_exactly_cores_codes() {
    for (table, column, codes) in vocabulary_columns() {
        assert_eq!(
            *codes,
            core_codes(table, column).as_slice(),
            "{table}.{column}: the migration's codes and core's vocabulary differ"
        );
    }
}

async fn demo() -> (TestDb, Store) {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    doorstep_demo::load(&store, now())
        .await
        .expect("the demo loads");
    doorstep_demo::plan_calendars(
        &store,
        &doorstep_service::stations::built_in(),
        std::time::Duration::from_millis(300),
        Some(1_000),
        1,
        now(),
    )
    .await
    .expect("the demo's calendars are planned");
    (db, store)
}

async fn exists(store: &Store, backend: DatabaseBackend, name: &str) -> bool {
    let (sql, value) = match backend {
        DatabaseBackend::Postgres => ("SELECT 1 FROM pg_constraint WHERE conname = $1", name),
        _ => (
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            name,
        ),
    };
    let name = match backend {
        DatabaseBackend::Postgres => value.to_owned(),
        _ => format!("{value}_insert"),
    };
    store
        .connection()
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [name.into()]))
        .await
        .expect("the catalogue answers")
        .is_some()
}

#[tokio::test]
async fn the_database_refuses_a_code_its_vocabulary_does_not_have() {
    let (_db, store) = demo().await;
    let c = store.connection();
    let backend = c.get_database_backend();
    let mut refused = 0;
    for (table, column, _) in vocabulary_columns() {
        let name = format!("{table}_{column}_known");
        assert!(exists(&store, backend, &name).await, "{name} is missing");
        let has_row = c
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT id FROM {table} LIMIT 1"),
            ))
            .await
            .expect("the table reads")
            .is_some();
        if !has_row {
            continue;
        }
        let set = |code: &str| {
            Statement::from_string(
                backend,
                format!(
                    "UPDATE {table} SET {column} = '{code}' \
                     WHERE id = (SELECT MIN(id) FROM {table})"
                ),
            )
        };
        let error = c
            .execute_raw(set("unknown"))
            .await
            .expect_err(&format!("{table}.{column} takes 'unknown'"));
        assert!(
            error.to_string().contains(&name),
            "{table}.{column}: {error}"
        );
        refused += 1;
    }
    assert!(
        refused >= 12,
        "only {refused} vocabulary columns had demo rows to try"
    );
}

#[tokio::test]
async fn an_unknown_stored_code_is_an_error_that_names_it_never_a_default() {
    let (_db, store) = demo().await;
    let c = store.connection();
    let backend = c.get_database_backend();
    // As if a later version had written a status this one does not know.
    let drop = match backend {
        DatabaseBackend::Postgres => vec!["ALTER TABLE users DROP CONSTRAINT users_role_known"],
        _ => vec![
            "DROP TRIGGER users_role_known_insert",
            "DROP TRIGGER users_role_known_update",
        ],
    };
    for sql in drop {
        c.execute_unprepared(sql).await.expect("the check drops");
    }
    c.execute_unprepared("UPDATE users SET role = 'auditor' WHERE username = 'canbo.thanhhoa'")
        .await
        .expect("the role is written");
    let error = doorstep_service::auth::login(
        &store,
        "canbo.thanhhoa",
        doorstep_demo::DEMO_PASSWORD,
        "127.0.0.1",
        now(),
    )
    .await
    .expect_err("a user whose role this build does not know does not sign in");
    let text = format!("{error:?}");
    assert!(
        text.contains("UserRole") && text.contains("auditor"),
        "{text}"
    );
    // The others still sign in.
    doorstep_service::auth::login(
        &store,
        "totruong.haithanh",
        doorstep_demo::DEMO_PASSWORD,
        "127.0.0.1",
        now(),
    )
    .await
    .expect("the leader signs in");
}
