//! On the real binary and a real database (SQLite, or PostgreSQL with
//! DOORSTEP_TEST_POSTGRES): fifty household edits sent at once over fifty
//! connections are all kept with no 5xx, and thirty wrong passwords sent at
//! once for one name check no more than five. The in-process tests of every
//! kind of write are in `api/concurrency.rs`.

use doorstep_tests::{Server, TestDb, runtime};
use serde_json::{Value, json};

const LEADER: &str = "totruong.haithanh";

#[test]
fn the_real_server_waits_for_a_busy_database_and_counts_guesses_sent_at_once() {
    let db = TestDb::blocking();
    let households: Vec<i64> = runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let store = db.store().await;
        store.migrate_up().await.expect("migrations apply");
        doorstep_service::demo::load(&store, chrono::Utc::now())
            .await
            .expect("the demo loads");
        let connection = store.connection();
        connection
            .query_all_raw(sea_orm::Statement::from_string(
                connection.get_database_backend(),
                "SELECT id FROM households WHERE team_id = 1 ORDER BY id LIMIT 50",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| i64::from(row.try_get_by_index::<i32>(0).unwrap()))
            .collect()
    });
    assert_eq!(households.len(), 50);
    let server = Server::start(&db, &[]);

    let body = json!({"username": LEADER, "password": "doorstep-demo"}).to_string();
    let (status, _, answer) = server.request("POST", "/api/v1/auth/login", &[], Some(&body));
    assert_eq!(status, 200, "{answer}");
    let token = serde_json::from_str::<Value>(&answer).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = format!("Bearer {token}");
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let sent: Vec<_> = households
            .iter()
            .map(|h| {
                let (server, auth) = (&server, &auth);
                scope.spawn(move || {
                    let body = json!({"address": format!("Số {h}, ngõ Bến")}).to_string();
                    server
                        .request(
                            "PATCH",
                            &format!("/api/v1/households/{h}"),
                            &[("Authorization", auth)],
                            Some(&body),
                        )
                        .0
                })
            })
            .collect();
        sent.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let server_errors = statuses.iter().filter(|s| **s >= 500).count();
    println!(
        "{} (real server): 50 household edits at once: {server_errors} × 5xx",
        db.backend()
    );
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let kept = runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let store = db.store().await;
        let connection = store.connection();
        connection
            .query_all_raw(sea_orm::Statement::from_string(
                connection.get_database_backend(),
                "SELECT id, address FROM households WHERE team_id = 1 ORDER BY id LIMIT 50",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| {
                let id = row.try_get_by_index::<i32>(0).unwrap();
                let address = row.try_get_by_index::<String>(1).unwrap();
                address == format!("Số {id}, ngõ Bến")
            })
            .filter(|kept| *kept)
            .count()
    });
    assert_eq!(kept, 50, "every edit is kept");

    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let sent: Vec<_> = (0..30)
            .map(|i| {
                let server = &server;
                scope.spawn(move || {
                    let body =
                        json!({"username": LEADER, "password": format!("doan-{i}")}).to_string();
                    server
                        .request("POST", "/api/v1/auth/login", &[], Some(&body))
                        .0
                })
            })
            .collect();
        sent.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|s| **s != 429).count();
    println!(
        "{} (real server): 30 wrong passwords at once for one name: {checked} checked",
        db.backend()
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(checked <= 5, "{statuses:?}");
    let (status, _, _) = server.request("POST", "/api/v1/auth/login", &[], Some(&body));
    assert_eq!(status, 429, "the right password after five wrong ones");
}
