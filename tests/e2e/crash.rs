//! Crash consistency: the real `doorstep serve` killed with SIGKILL part
//! way through a large register import, a plan's save, a publish and an
//! outcome sent from a phone — once as
//! soon as the request is sent (it is reading or checking it), once as
//! soon as its transaction is writing (SQLite's write-ahead log grows; on
//! PostgreSQL its connection holds a transaction id). After each kill the
//! register is there whole or not at all, a plan is saved with every
//! household its planner was given (planned or unmet) or not at all, the
//! plan is still a draft with
//! nothing on the calendar or published with all of its visits on it, and
//! a visit's outcome is kept with its request or not at all; after a
//! restart, the same import leaves the register whole, each household
//! once, the publish puts the plan on the calendar once, and the outcome
//! sent again under its key is recorded once.

use std::io::Write;

use doorstep_tests::{Server, TestDb, runtime};
use serde_json::{Value, json};

/// Households in the register sent: large enough that the server is still
/// at work when the last byte has been written.
const HOUSEHOLDS: usize = 8_000;

/// How many times the test looks whether the import is writing, 1 ms
/// apart, before it kills the server anyway.
const LOOKS: u32 = 5_000;

fn register(prefix: &str) -> String {
    doorstep_tests::register_csv(prefix, HOUSEHOLDS)
}

fn token(server: &Server) -> String {
    let body = json!({"username": "totruong.haithanh", "password": "doorstep-demo"}).to_string();
    let (status, _, answer) = server.request("POST", "/api/v1/auth/login", &[], Some(&body));
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    answer["token"].as_str().unwrap().to_owned()
}

/// The number a query of the server's database answers.
fn number(db: &TestDb, sql: &str) -> i64 {
    runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let store = db.store().await;
        let conn = store.connection();
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get_by_index(0).unwrap();
        store.connection().clone().close().await.ok();
        n
    })
}

fn imported(db: &TestDb, prefix: &str) -> i64 {
    number(
        db,
        &format!("SELECT COUNT(*) FROM households WHERE external_id LIKE 'HT-{prefix}-%'"),
    )
}

/// Whether the server's transaction is writing: on SQLite, the
/// write-ahead log has grown past `wal_past`; on PostgreSQL, a connection
/// of the server holds a transaction id.
async fn writing(db: &TestDb, store: &doorstep_service::Store, wal_past: u64) -> bool {
    use sea_orm::ConnectionTrait;
    if let Some(size) = wal_size(db) {
        return size > wal_past;
    }
    let conn = store.connection();
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap() > 0
}

/// The size of the SQLite database's write-ahead log (`None` on
/// PostgreSQL).
fn wal_size(db: &TestDb) -> Option<u64> {
    let path = db.url.strip_prefix("sqlite://")?;
    Some(
        std::fs::metadata(format!("{path}-wal"))
            .map(|m| m.len())
            .unwrap_or(0),
    )
}

/// Sends `POST path` with `body` and kills the server: at once, or once
/// its transaction is writing (on SQLite: more than `wal_growth` bytes
/// more in the write-ahead log). Answers whether it was seen writing.
fn send_and_kill(
    db: &TestDb,
    path: &str,
    content_type: &str,
    body: &str,
    wait_for_writes: bool,
    wal_growth: u64,
) -> bool {
    let server = Server::start(db, &[]);
    let token = token(&server);
    let watcher = wait_for_writes.then(|| {
        let rt = runtime();
        let store = rt.block_on(db.store());
        (rt, store)
    });
    let wal_at_start = wal_size(db).unwrap_or(0);
    let mut stream = std::net::TcpStream::connect(&server.address).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.address,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // A full socket buffer blocks the write until the server reads on.
    let _ = stream.write_all(body.as_bytes());
    let mut seen = false;
    // One connection for every look, opened before the request is sent.
    if let Some((rt, store)) = &watcher {
        for _ in 0..LOOKS {
            if rt.block_on(writing(db, store, wal_at_start + wal_growth)) {
                seen = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    drop(server);
    drop(stream);
    if let Some((rt, store)) = watcher {
        rt.block_on(store.connection().clone().close()).ok();
    }
    seen
}

/// When a kill fell, for the test's output.
fn when_killed(wait_for_writes: bool, seen: bool) -> &'static str {
    match (wait_for_writes, seen) {
        (false, _) => "at once",
        (true, true) => "while writing",
        (true, false) => "after its looks, never seen writing",
    }
}

/// The demo's teams and households, no calendar yet.
fn demo() -> TestDb {
    runtime().block_on(async {
        let db = TestDb::migrated().await;
        let store = db.store().await;
        doorstep_demo::load(&store, chrono::Utc::now())
            .await
            .expect("the demo loads");
        store.connection().clone().close().await.ok();
        db
    })
}

#[test]
fn a_register_import_killed_part_way_is_there_whole_or_not_at_all() {
    let db = demo();
    for (prefix, wait_for_writes) in [("CRASH-A", false), ("CRASH-B", true)] {
        let csv = register(prefix);
        // More than a session's touch: the import's pages.
        let seen = send_and_kill(
            &db,
            "/api/v1/teams/1/imports",
            "text/csv",
            &csv,
            wait_for_writes,
            256 * 1024,
        );
        let after_kill = imported(&db, prefix);
        eprintln!(
            "{prefix}: killed {}; {after_kill} of {HOUSEHOLDS} households after",
            when_killed(wait_for_writes, seen)
        );
        assert!(
            after_kill == 0 || after_kill == HOUSEHOLDS as i64,
            "after SIGKILL the register is whole or absent, not {after_kill} of {HOUSEHOLDS} households"
        );

        // Restarted, the same file again: whole, each household once.
        let server = Server::start(&db, &[]);
        let token = self::token(&server);
        let (status, _, answer) = server.request(
            "POST",
            "/api/v1/teams/1/imports",
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "text/csv"),
            ],
            Some(&csv),
        );
        assert_eq!(status, 200, "{answer}");
        drop(server);
        assert_eq!(imported(&db, prefix), HOUSEHOLDS as i64);
    }
}

/// The visits on team 1's calendar.
fn on_calendar(db: &TestDb) -> i64 {
    number(
        db,
        "SELECT COUNT(*) FROM visits v JOIN plans p ON p.id = v.plan_id \
         WHERE p.team_id = 1 AND v.on_calendar",
    )
}

#[test]
fn a_publish_killed_part_way_leaves_the_draft_or_the_whole_calendar() {
    let db = demo();
    let server = Server::start(&db, &[]);
    let token = token(&server);
    let start = ((chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
        + chrono::Days::new(1))
    .to_string();
    let body = json!({"start": start, "days": 28, "iterations": 2_000}).to_string();
    let (status, _, answer) = server.request(
        "POST",
        "/api/v1/teams/1/plans",
        &[("Authorization", &format!("Bearer {token}"))],
        Some(&body),
    );
    assert_eq!(status, 201, "{answer}");
    let plan: Value = serde_json::from_str(&answer).unwrap();
    let id = plan["id"].as_i64().unwrap();
    let planned = plan["visits"].as_array().unwrap().len() as i64;
    assert!(planned > 50, "four weeks of visits: {planned}");
    drop(server);
    assert_eq!(on_calendar(&db), 0, "nothing published yet");

    let status_of = |db: &TestDb| {
        number(
            db,
            &format!("SELECT COUNT(*) FROM plans WHERE id = {id} AND status = 'published'"),
        )
    };
    for wait_for_writes in [false, true] {
        let seen = send_and_kill(
            &db,
            &format!("/api/v1/plans/{id}/publish"),
            "application/json",
            "{}",
            wait_for_writes,
            16 * 1024,
        );
        let (published, shown) = (status_of(&db), on_calendar(&db));
        eprintln!(
            "publish killed {}: published {published}, {shown} of {planned} visits on the calendar",
            when_killed(wait_for_writes, seen)
        );
        assert!(
            (published == 0 && shown == 0) || (published == 1 && shown == planned),
            "after SIGKILL the draft stays a draft with nothing on the calendar, or the calendar \
             holds the whole plan: published {published}, {shown} of {planned} visits"
        );
        if published == 1 {
            break;
        }
    }
    // Restarted: published (again if need be), the calendar holds the
    // plan once.
    let server = Server::start(&db, &[]);
    let token = self::token(&server);
    if status_of(&db) == 0 {
        let (status, _, answer) = server.request(
            "POST",
            &format!("/api/v1/plans/{id}/publish"),
            &[("Authorization", &format!("Bearer {token}"))],
            Some("{}"),
        );
        assert_eq!(status, 200, "{answer}");
    }
    drop(server);
    assert_eq!(status_of(&db), 1);
    assert_eq!(on_calendar(&db), planned);
}

/// Each plan of team 1: its id, the households its planner was given
/// (`figures.jobs`) and those it holds, planned or explained as unmet.
fn plans_held(db: &TestDb) -> Vec<(i64, i64, i64)> {
    runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let store = db.store().await;
        let conn = store.connection();
        let rows = conn
            .query_all_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                "SELECT p.id, p.figures, (SELECT COUNT(*) FROM (SELECT household_id FROM visits \
                 WHERE plan_id = p.id UNION SELECT household_id FROM unmet WHERE plan_id = p.id) h) \
                 FROM plans p WHERE p.team_id = 1 ORDER BY p.id",
            ))
            .await
            .unwrap();
        let held = rows
            .iter()
            .map(|r| {
                let figures: Option<String> = r.try_get_by_index(1).unwrap();
                let figures: Value =
                    serde_json::from_str(figures.as_deref().unwrap_or("null")).unwrap();
                (
                    r.try_get_by_index::<i32>(0).map(i64::from).unwrap(),
                    figures["jobs"].as_i64().unwrap_or(-1),
                    r.try_get_by_index::<i64>(2).unwrap(),
                )
            })
            .collect();
        store.connection().clone().close().await.ok();
        held
    })
}

#[test]
fn a_plan_killed_while_it_is_saved_is_there_whole_or_not_at_all() {
    let db = demo();
    let start = ((chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
        + chrono::Days::new(1))
    .to_string();
    let body = json!({"start": start, "days": 28, "iterations": 2_000}).to_string();
    for wait_for_writes in [false, true] {
        let seen = send_and_kill(
            &db,
            "/api/v1/teams/1/plans",
            "application/json",
            &body,
            wait_for_writes,
            16 * 1024,
        );
        let held = plans_held(&db);
        eprintln!(
            "plan killed {}: plans {held:?} (id, households given, households held)",
            when_killed(wait_for_writes, seen)
        );
        for (id, jobs, covered) in held {
            assert!(
                jobs > 0 && covered == jobs,
                "after SIGKILL plan {id} holds {covered} of the {jobs} households its planner was given"
            );
        }
    }
    // Restarted: the plan is made and saved whole.
    let server = Server::start(&db, &[]);
    let token = self::token(&server);
    let (status, _, answer) = server.request(
        "POST",
        "/api/v1/teams/1/plans",
        &[("Authorization", &format!("Bearer {token}"))],
        Some(&body),
    );
    assert_eq!(status, 201, "{answer}");
    drop(server);
    let held = plans_held(&db);
    let (_, jobs, covered) = *held.last().expect("the plan");
    assert!(jobs > 250 && covered == jobs, "{held:?}");
}

#[test]
fn an_outcome_killed_part_way_is_recorded_once_when_sent_again() {
    let db = runtime().block_on(doorstep_tests::demo_with_past_calendars(7, 2_000));
    // Two past visits of the leader's own list, each with a resident.
    let server = Server::start(&db, &[]);
    let token = token(&server);
    let mut visits: Vec<(i64, i64)> = Vec::new();
    for back in 1..8 {
        let day = ((chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
            - chrono::Days::new(back))
        .to_string();
        let (status, _, answer) = server.request(
            "GET",
            &format!("/api/v1/me/visits?date={day}"),
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        );
        assert_eq!(status, 200, "{answer}");
        let list: Value = serde_json::from_str(&answer).unwrap();
        for v in list["visits"].as_array().unwrap() {
            if let Some(r) = v["residents"].as_array().and_then(|r| r.first()) {
                visits.push((v["id"].as_i64().unwrap(), r["id"].as_i64().unwrap()));
            }
        }
        if visits.len() >= 2 {
            break;
        }
    }
    drop(server);
    assert!(visits.len() >= 2, "two past visits: {visits:?}");

    for (k, wait_for_writes) in [false, true].into_iter().enumerate() {
        let (visit, resident) = visits[k];
        let key = format!("crash-{k}");
        let body = json!({
            "idempotency_key": key,
            "outcomes": [{"resident_id": resident, "result": "not_home"}],
        })
        .to_string();
        let path = format!("/api/v1/visits/{visit}/outcome");
        let seen = send_and_kill(&db, &path, "application/json", &body, wait_for_writes, 0);
        let recorded = |db: &TestDb| {
            (
                number(
                    db,
                    &format!("SELECT COUNT(*) FROM outcomes WHERE visit_id = {visit}"),
                ),
                number(
                    db,
                    &format!(
                        "SELECT COUNT(*) FROM outcome_requests WHERE visit_id = {visit} \
                         AND idempotency_key = '{key}'"
                    ),
                ),
            )
        };
        let (outcomes, requests) = recorded(&db);
        eprintln!(
            "outcome killed {}: {outcomes} outcome, {requests} request",
            when_killed(wait_for_writes, seen)
        );
        assert!(
            (outcomes, requests) == (0, 0) || (outcomes, requests) == (1, 1),
            "after SIGKILL the outcome and its request are both kept or neither: \
             {outcomes} outcomes, {requests} requests"
        );
        // The phone sends it again after the restart: recorded once.
        let server = Server::start(&db, &[]);
        let token = self::token(&server);
        let (status, _, answer) = server.request(
            "POST",
            &path,
            &[("Authorization", &format!("Bearer {token}"))],
            Some(&body),
        );
        assert_eq!(status, 200, "{answer}");
        drop(server);
        assert_eq!(recorded(&db), (1, 1), "one outcome, one request");
    }
}
