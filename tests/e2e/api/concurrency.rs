//! In-process tests of volunteers pressing Save at the same moment: fifty
//! writes of each kind sent at once through the real router on a runtime
//! with several threads, so that they really meet in the database. A busy
//! database is waited for, never answered with a 5xx; nothing is lost; an
//! idempotency key records once and answers every repeat with the first
//! answer. Sign-in guesses sent at once are counted before any is checked,
//! so no more than the limit are ever checked.
//!
//! Each test prints its figures (`--nocapture`); docs/reliability.md quotes
//! them.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Days;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{LEADER, TestApp, VOLUNTEER, count, past_visits, rows, tallies, today};

/// Writes sent at once in each round.
const AT_ONCE: usize = 50;

/// A JSON request as a client sends it.
fn request(method: Method, path: &str, token: &str, body: Option<Value>) -> Request<Body> {
    let builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("a request")
}

/// Sends every request at once, each on a task of its own; answers the
/// statuses and bodies in the order of the requests.
async fn at_once(app: &TestApp, requests: Vec<Request<Body>>) -> Vec<(StatusCode, Value)> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let router = app.router.clone();
            tokio::spawn(async move {
                let response = router.oneshot(request).await.expect("the router answers");
                let status = response.status();
                let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("a body");
                let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                    Value::String(String::from_utf8_lossy(&bytes).into_owned())
                });
                (status, body)
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.expect("the request's task ends"));
    }
    answers
}

/// How many answers had each status.
fn statuses(answers: &[(StatusCode, Value)]) -> BTreeMap<u16, usize> {
    let mut seen = BTreeMap::new();
    for (status, _) in answers {
        *seen.entry(status.as_u16()).or_default() += 1;
    }
    seen
}

/// Prints the round's figures and checks that no answer was a 5xx.
fn no_server_errors(app: &TestApp, what: &str, answers: &[(StatusCode, Value)]) {
    let errors: Vec<&(StatusCode, Value)> = answers
        .iter()
        .filter(|(status, _)| status.is_server_error())
        .collect();
    println!(
        "{}: {} {what} at once: {} × 5xx, statuses {:?}",
        app.db.backend(),
        answers.len(),
        errors.len(),
        statuses(answers)
    );
    assert!(errors.is_empty(), "{what}: {errors:?}");
}

/// The first column of a query's rows, as numbers.
async fn ids(app: &TestApp, sql: &str) -> Vec<i64> {
    rows(app, sql)
        .await
        .into_iter()
        .map(|r| r[0].parse().expect("an id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outcomes_sent_at_once_are_all_answered_and_one_key_records_once() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let visits = past_visits(&app, &volunteer).await;
    let first = visits.first().expect("the volunteer has past visits");
    let resident_ids = |v: &Value| -> Vec<i64> {
        v["residents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };

    // One key, sent fifty times at once: one records, the others replay it.
    let visit = first["id"].as_i64().unwrap();
    let resident = resident_ids(first)[0];
    let body = json!({"idempotency_key": "saved-twice", "note": "Bấm Lưu hai lần",
        "outcomes": [{"resident_id": resident, "result": "done"}]});
    let path = format!("/api/v1/visits/{visit}/outcome");
    let answers = at_once(
        &app,
        (0..AT_ONCE)
            .map(|_| request(Method::POST, &path, &volunteer, Some(body.clone())))
            .collect(),
    )
    .await;
    no_server_errors(&app, "outcome writes with one key", &answers);
    assert_eq!(statuses(&answers), BTreeMap::from([(200, AT_ONCE)]));
    let replayed = answers
        .iter()
        .filter(|(_, a)| a["replayed"] == true)
        .count();
    println!(
        "{}: one key: {} recorded, {replayed} replayed",
        app.db.backend(),
        AT_ONCE - replayed
    );
    assert_eq!(replayed, AT_ONCE - 1);
    let recorded = answers
        .iter()
        .find(|(_, a)| a["replayed"] == false)
        .map(|(_, a)| a)
        .unwrap();
    for (_, answer) in &answers {
        assert_eq!(answer["visit"], recorded["visit"]);
        assert_eq!(answer["needs"], recorded["needs"]);
        assert_eq!(answer["residents"], recorded["residents"]);
    }
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM outcome_requests \
                 WHERE visit_id = {visit} AND idempotency_key = 'saved-twice'"
            ),
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM outcomes WHERE visit_id = {visit}")
        )
        .await,
        1
    );

    // Fifty keys at once, each for another resident at the team's other
    // past visits, recorded by the leader.
    let leader = app.login(LEADER).await;
    let mut team_visits = Vec::new();
    for member in ids(&app, "SELECT id FROM members WHERE team_id = 1 ORDER BY id").await {
        for back in 1..=3 {
            let day = today() - Days::new(back);
            let (status, list) = app
                .call(
                    Method::GET,
                    &format!("/api/v1/members/{member}/visits?date={day}"),
                    Some(&leader),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{list}");
            team_visits.extend(list["visits"].as_array().unwrap().iter().cloned());
        }
    }
    let pairs: Vec<(i64, i64)> = team_visits
        .iter()
        .filter(|v| v["id"].as_i64() != Some(visit))
        .flat_map(|v| {
            let id = v["id"].as_i64().unwrap();
            resident_ids(v).into_iter().map(move |r| (id, r))
        })
        .collect();
    assert!(!pairs.is_empty(), "the team has other past visits");
    let sent: Vec<(i64, i64)> = pairs.iter().copied().cycle().take(AT_ONCE).collect();
    let answers = at_once(
        &app,
        sent.iter()
            .enumerate()
            .map(|(i, (visit, resident))| {
                request(
                    Method::POST,
                    &format!("/api/v1/visits/{visit}/outcome"),
                    &leader,
                    Some(json!({"idempotency_key": format!("key-{i}"),
                        "outcomes": [{"resident_id": resident, "result": "not_home"}]})),
                )
            })
            .collect(),
    )
    .await;
    no_server_errors(&app, "outcome writes with fifty keys", &answers);
    assert_eq!(statuses(&answers), BTreeMap::from([(200, AT_ONCE)]));
    let distinct: std::collections::BTreeSet<_> = sent.iter().collect();
    let visit_list = distinct
        .iter()
        .map(|(v, _)| v.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let stored = rows(
        &app,
        &format!(
            "SELECT visit_id, resident_id, result FROM outcomes \
             WHERE visit_id IN ({visit_list}) ORDER BY visit_id, resident_id"
        ),
    )
    .await;
    let expected: Vec<Vec<String>> = distinct
        .iter()
        .map(|(v, r)| vec![v.to_string(), r.to_string(), "not_home".to_owned()])
        .collect();
    println!(
        "{}: fifty keys: {} outcomes kept for {} residents at {} visits",
        app.db.backend(),
        stored.len(),
        distinct.len(),
        distinct
            .iter()
            .map(|(v, _)| v)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    assert_eq!(stored, expected, "one outcome per resident and visit");
    tallies::assert_counts_are_true(&app, "outcomes at once").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn household_resident_and_need_edits_sent_at_once_are_all_kept() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;

    let households = ids(
        &app,
        &format!("SELECT id FROM households WHERE team_id = 1 ORDER BY id LIMIT {AT_ONCE}"),
    )
    .await;
    assert_eq!(households.len(), AT_ONCE);
    let answers = at_once(
        &app,
        households
            .iter()
            .map(|h| {
                request(
                    Method::PATCH,
                    &format!("/api/v1/households/{h}"),
                    &leader,
                    Some(json!({"address": format!("Số {h}, ngõ Cảng cá")})),
                )
            })
            .collect(),
    )
    .await;
    no_server_errors(&app, "household edits", &answers);
    assert_eq!(statuses(&answers), BTreeMap::from([(200, AT_ONCE)]));
    for h in &households {
        assert_eq!(
            rows(
                &app,
                &format!("SELECT address FROM households WHERE id = {h}")
            )
            .await,
            [[format!("Số {h}, ngõ Cảng cá")]]
        );
    }

    let residents = ids(
        &app,
        &format!(
            "SELECT r.id FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE h.team_id = 1 ORDER BY r.id LIMIT {AT_ONCE}"
        ),
    )
    .await;
    assert_eq!(residents.len(), AT_ONCE);
    let year = |r: i64| 1940 + r % 60;
    let answers = at_once(
        &app,
        residents
            .iter()
            .map(|r| {
                request(
                    Method::PATCH,
                    &format!("/api/v1/residents/{r}"),
                    &leader,
                    Some(json!({"birth_year": year(*r)})),
                )
            })
            .collect(),
    )
    .await;
    no_server_errors(&app, "resident edits", &answers);
    assert_eq!(statuses(&answers), BTreeMap::from([(200, AT_ONCE)]));
    for r in &residents {
        assert_eq!(
            count(
                &app,
                &format!("SELECT birth_year FROM residents WHERE id = {r}")
            )
            .await,
            year(*r)
        );
    }

    let needs = rows(
        &app,
        &format!(
            "SELECT n.id, n.resident_id, n.step FROM needs n \
             JOIN residents r ON r.id = n.resident_id \
             JOIN households h ON h.id = r.household_id \
             WHERE h.team_id = 1 AND n.status = 'open' ORDER BY n.id LIMIT {AT_ONCE}"
        ),
    )
    .await;
    assert_eq!(needs.len(), AT_ONCE);
    let answers = at_once(
        &app,
        needs
            .iter()
            .map(|n| {
                request(
                    Method::PUT,
                    &format!("/api/v1/residents/{}/needs/{}", n[1], n[2]),
                    &leader,
                    Some(json!({"status": "done"})),
                )
            })
            .collect(),
    )
    .await;
    no_server_errors(&app, "need changes", &answers);
    assert_eq!(statuses(&answers), BTreeMap::from([(200, AT_ONCE)]));
    let list = needs
        .iter()
        .map(|n| n[0].as_str())
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM needs WHERE id IN ({list}) AND status = 'done'")
        )
        .await,
        AT_ONCE as i64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn register_imports_sent_at_once_each_add_their_household() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let before = count(&app, "SELECT COUNT(*) FROM households WHERE team_id = 1").await;
    let header = "Mã hộ,Mã nhân khẩu,Họ và tên,Năm sinh,Địa chỉ,Nhu cầu\n";
    let requests = (0..AT_ONCE)
        .map(|i| {
            let csv = format!(
                "{header}HT-AT-ONCE-{i},1,Lê Văn Sóng {i},1970,\"Số {i}, ngõ Bến\",vneid_install\n\
                 HT-AT-ONCE-{i},2,Nguyễn Thị Triều {i},1975,,e_payment\n"
            );
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/teams/1/imports")
                .header(header::AUTHORIZATION, format!("Bearer {leader}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(csv))
                .unwrap()
        })
        .collect();
    let answers = at_once(&app, requests).await;
    no_server_errors(&app, "register imports", &answers);
    assert!(
        answers.iter().all(|(s, _)| s.is_success()),
        "{:?}",
        statuses(&answers)
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM households WHERE team_id = 1").await,
        before + AT_ONCE as i64
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE h.external_id LIKE 'HT-AT-ONCE-%'"
        )
        .await,
        2 * AT_ONCE as i64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn visit_edits_and_plans_sent_at_once_are_all_kept() {
    let app = TestApp::demo_with_calendars().await;
    let leader = app.login(LEADER).await;

    let visits = ids(
        &app,
        &format!(
            "SELECT v.id FROM visits v JOIN plans p ON p.id = v.plan_id \
             WHERE p.team_id = 1 AND v.on_calendar AND v.status = 'proposed' \
             AND NOT v.pinned ORDER BY v.id LIMIT {AT_ONCE}"
        ),
    )
    .await;
    assert_eq!(visits.len(), AT_ONCE);
    let answers = at_once(
        &app,
        visits
            .iter()
            .map(|v| {
                request(
                    Method::PATCH,
                    &format!("/api/v1/visits/{v}"),
                    &leader,
                    Some(json!({"pinned": true})),
                )
            })
            .collect(),
    )
    .await;
    no_server_errors(&app, "visit edits", &answers);
    assert_eq!(statuses(&answers), BTreeMap::from([(200, AT_ONCE)]));
    let list = visits
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM visits WHERE id IN ({list}) AND pinned")
        )
        .await,
        AT_ONCE as i64
    );

    let plans_before = count(&app, "SELECT COUNT(*) FROM plans WHERE team_id = 1").await;
    let start = (super::now() + chrono::Duration::hours(7)).date_naive() + Days::new(1);
    let answers = at_once(
        &app,
        (0..AT_ONCE)
            .map(|_| {
                request(
                    Method::POST,
                    "/api/v1/teams/1/plans",
                    &leader,
                    Some(json!({"start": start.to_string(), "days": 1, "iterations": 2000})),
                )
            })
            .collect(),
    )
    .await;
    no_server_errors(&app, "plans", &answers);
    assert_eq!(statuses(&answers), BTreeMap::from([(201, AT_ONCE)]));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM plans WHERE team_id = 1").await,
        plans_before + AT_ONCE as i64
    );
}

/// A sign-in request from `address`.
fn sign_in(username: &str, password: &str, address: [u8; 4]) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((address, 40_000))));
    request
}

/// Sign-ins answered otherwise than "too many attempts": those whose
/// password was checked.
fn checked(answers: &[(StatusCode, Value)]) -> usize {
    answers
        .iter()
        .filter(|(s, _)| *s != StatusCode::TOO_MANY_REQUESTS)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_guesses_at_once_for_one_name_check_at_most_five() {
    let app = TestApp::demo().await;
    let limit = doorstep_service::auth::MAX_FAILED_PER_USER as usize;
    let password = doorstep_demo::DEMO_PASSWORD;
    // The right password is among the guesses, sent last.
    let requests = (0..30)
        .map(|i| {
            let guess = if i == 29 {
                password.to_owned()
            } else {
                format!("doan-{i}")
            };
            sign_in(LEADER, &guess, [10, 0, 0, 1])
        })
        .collect();
    let answers = at_once(&app, requests).await;
    no_server_errors(&app, "wrong passwords for one name", &answers);
    let signed_in = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    println!(
        "{}: 30 guesses at once for one name: {} checked (limit {limit}), {signed_in} signed in",
        app.db.backend(),
        checked(&answers)
    );
    assert!(checked(&answers) <= limit, "{:?}", statuses(&answers));
    assert!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM login_attempts WHERE username = '{LEADER}'")
        )
        .await
            <= limit as i64
    );
    // After the limit of wrong ones, the right password is refused too.
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": LEADER, "password": password})),
        )
        .await;
    if signed_in == 0 {
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guesses_at_once_from_many_addresses_check_at_most_the_limit() {
    let app = TestApp::demo().await;
    let per_name = doorstep_service::auth::MAX_FAILED_PER_USER as usize;
    let per_address = doorstep_service::auth::MAX_FAILED_PER_ADDRESS as usize;

    // One name from forty addresses: the name's limit holds.
    let answers = at_once(
        &app,
        (0..40u8)
            .map(|i| sign_in(LEADER, &format!("doan-{i}"), [10, 1, 0, i]))
            .collect(),
    )
    .await;
    no_server_errors(&app, "guesses for one name from 40 addresses", &answers);
    println!(
        "{}: 40 guesses at once for one name from 40 addresses: {} checked (limit {per_name})",
        app.db.backend(),
        checked(&answers)
    );
    assert!(checked(&answers) <= per_name, "{:?}", statuses(&answers));

    // Forty names from one address: the address's limit holds.
    let answers = at_once(
        &app,
        (0..40)
            .map(|i| sign_in(&format!("ten-{i}"), "doan", [10, 2, 0, 1]))
            .collect(),
    )
    .await;
    no_server_errors(&app, "guesses for 40 names from one address", &answers);
    println!(
        "{}: 40 guesses at once for 40 names from one address: {} checked (limit {per_address})",
        app.db.backend(),
        checked(&answers)
    );
    assert!(checked(&answers) <= per_address, "{:?}", statuses(&answers));
}
