//! On the real binary and a real database (SQLite, or PostgreSQL with
//! DOORSTEP_TEST_POSTGRES): fifty writes of each kind sent at once over
//! fifty connections (outcomes with one key and with many, household,
//! resident, need and visit edits, register imports, plans) are all kept
//! with no 5xx and one outcome per key, and thirty wrong passwords sent at
//! once for one name check no more than five. `api/concurrency.rs` checks
//! the answers in more detail in-process.

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
        doorstep_demo::load(&store, chrono::Utc::now())
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

/// One write to send: method, path, content type, body.
type Write = (&'static str, String, &'static str, String);

/// Sends every write at once, each on its own connection: the answers'
/// statuses and bodies, in the order sent.
fn at_once(server: &Server, auth: &str, writes: &[Write]) -> Vec<(u16, String)> {
    std::thread::scope(|scope| {
        let sent: Vec<_> = writes
            .iter()
            .map(|(method, path, content_type, body)| {
                scope.spawn(move || {
                    let (status, _, answer) = server.request(
                        method,
                        path,
                        &[("Authorization", auth), ("Content-Type", content_type)],
                        Some(body),
                    );
                    (status, answer)
                })
            })
            .collect();
        sent.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

/// The rows of a query whose values are text (`CAST(… AS TEXT)`).
fn rows(db: &TestDb, sql: &str) -> Vec<Vec<String>> {
    runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let store = db.store().await;
        let connection = store.connection();
        connection
            .query_all_raw(sea_orm::Statement::from_string(
                connection.get_database_backend(),
                sql,
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| {
                (0..)
                    .map_while(|i| row.try_get_by_index::<String>(i).ok())
                    .collect()
            })
            .collect()
    })
}

/// The one whole number a query answers.
fn count(db: &TestDb, sql: &str) -> usize {
    runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let store = db.store().await;
        let connection = store.connection();
        let row = connection
            .query_one_raw(sea_orm::Statement::from_string(
                connection.get_database_backend(),
                sql,
            ))
            .await
            .unwrap()
            .expect("a row");
        usize::try_from(row.try_get_by_index::<i64>(0).unwrap()).unwrap()
    })
}

#[test]
fn every_kind_of_write_sent_fifty_at_once_to_the_real_server_is_kept() {
    const AT_ONCE: usize = 50;
    // A calendar that started four days ago: past visits to record.
    let db = runtime().block_on(doorstep_tests::demo_with_past_calendars(4, 6_000));
    let limit = format!("LIMIT {AT_ONCE}");
    let households = rows(
        &db,
        &format!("SELECT CAST(id AS TEXT) FROM households WHERE team_id = 1 ORDER BY id {limit}"),
    );
    let residents = rows(
        &db,
        &format!(
            "SELECT CAST(r.id AS TEXT) FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE h.team_id = 1 ORDER BY r.id {limit}"
        ),
    );
    let needs = rows(
        &db,
        &format!(
            "SELECT CAST(n.resident_id AS TEXT), n.step FROM needs n \
             JOIN residents r ON r.id = n.resident_id JOIN households h ON h.id = r.household_id \
             WHERE h.team_id = 1 AND n.status = 'open' ORDER BY n.id {limit}"
        ),
    );
    let server = Server::start(&db, &[]);
    let body = json!({"username": LEADER, "password": "doorstep-demo"}).to_string();
    let (status, _, answer) = server.request("POST", "/api/v1/auth/login", &[], Some(&body));
    assert_eq!(status, 200, "{answer}");
    let auth = format!(
        "Bearer {}",
        serde_json::from_str::<Value>(&answer).unwrap()["token"]
            .as_str()
            .unwrap()
    );
    // The team's visits of the last three days and of the next fortnight, as
    // the members' day lists give them.
    let now = chrono::Utc::now();
    let today = (now + chrono::Duration::hours(7)).date_naive();
    let day_visits = |date: chrono::NaiveDate| -> Vec<Value> {
        let mut found = Vec::new();
        for member in rows(
            &db,
            "SELECT CAST(id AS TEXT) FROM members WHERE team_id = 1",
        ) {
            let (status, _, list) = server.request(
                "GET",
                &format!("/api/v1/members/{}/visits?date={date}", member[0]),
                &[("Authorization", &auth)],
                None,
            );
            assert_eq!(status, 200, "{list}");
            let list: Value = serde_json::from_str(&list).unwrap();
            found.extend(list["visits"].as_array().unwrap().iter().cloned());
        }
        found
    };
    let past: Vec<Value> = (1..=4)
        .flat_map(|back| day_visits(today - chrono::Days::new(back)))
        .collect();
    let future: Vec<i64> = (1..=14)
        .flat_map(|ahead| day_visits(today + chrono::Days::new(ahead)))
        .filter(|v| v["status"] == "proposed")
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    // (visit, resident) pairs at past visits: one for the key sent fifty
    // times, the others for fifty keys (a pair again when there are fewer:
    // the same result under a new key is not doubled).
    let pairs: Vec<(i64, i64)> = past
        .iter()
        .flat_map(|v| {
            let visit = v["id"].as_i64().unwrap();
            v["residents"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |r| (visit, r["id"].as_i64().unwrap()))
        })
        .collect();
    for (what, found) in [
        ("households", households.len()),
        ("residents", residents.len()),
        ("open needs", needs.len()),
        ("visits to come", future.len()),
    ] {
        assert!(found >= AT_ONCE, "{what}: {found}");
    }
    assert!(
        pairs.len() >= 2,
        "residents at past visits: {}",
        pairs.len()
    );
    let (once, others) = pairs.split_first().unwrap();
    let (once_visit, once_resident) = once;
    let sent: Vec<(i64, i64)> = others.iter().copied().cycle().take(AT_ONCE).collect();
    let distinct: std::collections::BTreeSet<(i64, i64)> = sent.iter().copied().collect();

    let json_type = "application/json";
    let start = (now + chrono::Duration::hours(7)).date_naive() + chrono::Days::new(1);
    let kinds: Vec<(&str, Vec<Write>)> = vec![
        (
            "outcomes with one key",
            (0..AT_ONCE)
                .map(|_| {
                    (
                        "POST",
                        format!("/api/v1/visits/{once_visit}/outcome"),
                        json_type,
                        json!({"idempotency_key": "saved-twice",
                            "outcomes": [{"resident_id": once_resident, "result": "done"}]})
                        .to_string(),
                    )
                })
                .collect(),
        ),
        (
            "outcomes with fifty keys",
            sent.iter()
                .enumerate()
                .map(|(i, (visit, resident))| {
                    (
                        "POST",
                        format!("/api/v1/visits/{visit}/outcome"),
                        json_type,
                        json!({"idempotency_key": format!("key-{i}"),
                            "outcomes": [{"resident_id": resident, "result": "not_home"}]})
                        .to_string(),
                    )
                })
                .collect(),
        ),
        (
            "household edits",
            households
                .iter()
                .map(|h| {
                    (
                        "PATCH",
                        format!("/api/v1/households/{}", h[0]),
                        json_type,
                        json!({"address": format!("Số {}, ngõ Cảng", h[0])}).to_string(),
                    )
                })
                .collect(),
        ),
        (
            "resident edits",
            residents
                .iter()
                .map(|r| {
                    (
                        "PATCH",
                        format!("/api/v1/residents/{}", r[0]),
                        json_type,
                        json!({"birth_year": 1970}).to_string(),
                    )
                })
                .collect(),
        ),
        (
            "need changes",
            needs
                .iter()
                .map(|n| {
                    (
                        "PUT",
                        format!("/api/v1/residents/{}/needs/{}", n[0], n[1]),
                        json_type,
                        json!({"status": "done"}).to_string(),
                    )
                })
                .collect(),
        ),
        (
            "visit edits",
            future[..AT_ONCE]
                .iter()
                .map(|v| {
                    (
                        "PATCH",
                        format!("/api/v1/visits/{v}"),
                        json_type,
                        json!({"pinned": true}).to_string(),
                    )
                })
                .collect(),
        ),
        (
            "register imports",
            (0..AT_ONCE)
                .map(|i| {
                    (
                        "POST",
                        "/api/v1/teams/1/imports".to_owned(),
                        "text/csv",
                        format!(
                            "Mã hộ,Mã nhân khẩu,Họ và tên,Năm sinh,Địa chỉ,Nhu cầu\n\
                             HT-BUSY-{i},1,Lê Văn Sóng {i},1970,\"Số {i}, ngõ Bến\",vneid_install\n"
                        ),
                    )
                })
                .collect(),
        ),
        (
            "plans",
            (0..AT_ONCE)
                .map(|_| {
                    (
                        "POST",
                        "/api/v1/teams/1/plans".to_owned(),
                        json_type,
                        json!({"start": start.to_string(), "days": 1, "iterations": 256})
                            .to_string(),
                    )
                })
                .collect(),
        ),
    ];
    let plans_before = count(&db, "SELECT COUNT(*) FROM plans WHERE team_id = 1");
    for (what, writes) in &kinds {
        let answers = at_once(&server, &auth, writes);
        let failed: Vec<&(u16, String)> = answers.iter().filter(|(s, _)| *s >= 300).collect();
        println!(
            "{} (real server): {AT_ONCE} {what} at once: {} × 5xx, {} refused",
            db.backend(),
            failed.iter().filter(|(s, _)| *s >= 500).count(),
            failed.len()
        );
        assert!(failed.is_empty(), "{what}: {failed:?}");
    }

    // Nothing lost, one outcome per key.
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM outcome_requests \
                 WHERE visit_id = {once_visit} AND idempotency_key = 'saved-twice'"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM outcomes WHERE visit_id = {once_visit} \
                 AND resident_id = {once_resident}"
            )
        ),
        1
    );
    let recorded: usize = distinct
        .iter()
        .map(|(visit, resident)| {
            count(
                &db,
                &format!(
                    "SELECT COUNT(*) FROM outcomes WHERE visit_id = {visit} \
                     AND resident_id = {resident} AND result = 'not_home'"
                ),
            )
        })
        .sum();
    assert_eq!(
        recorded,
        distinct.len(),
        "one outcome per resident and visit"
    );
    let list = |ids: Vec<String>| ids.join(",");
    let addresses = rows(
        &db,
        &format!(
            "SELECT CAST(id AS TEXT), address FROM households WHERE id IN ({})",
            list(households.iter().map(|h| h[0].clone()).collect())
        ),
    );
    let lost: Vec<&Vec<String>> = addresses
        .iter()
        .filter(|r| r[1] != format!("Số {}, ngõ Cảng", r[0]))
        .collect();
    assert!(lost.is_empty(), "every household edit is kept: {lost:?}");
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM residents WHERE birth_year = 1970 AND id IN ({})",
                list(residents.iter().map(|r| r[0].clone()).collect())
            )
        ),
        AT_ONCE
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM visits WHERE pinned AND id IN ({})",
                list(future[..AT_ONCE].iter().map(i64::to_string).collect())
            )
        ),
        AT_ONCE
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM households WHERE external_id LIKE 'HT-BUSY-%'"
        ),
        AT_ONCE
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM plans WHERE team_id = 1"),
        plans_before + AT_ONCE
    );
}
