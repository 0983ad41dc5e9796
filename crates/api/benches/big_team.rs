//! A team of 200,000 households (the synthetic province's generator, one
//! team, with a published plan) in a temporary SQLite file, through the
//! real router: the register export, a household search, one visit edit and
//! 40 edits at once. Each step runs in a process of its own, so that its peak
//! memory (`VmHWM`) is its own and not the load's.
//!
//! `cargo bench -p doorstep-api --bench big_team [-- HOUSEHOLDS]`

use std::process::Command;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Duration, Utc};
use doorstep_demo::province::{self, PlanDays, ProvinceOptions, Rules};
use doorstep_service::Store;
use doorstep_store::repo::bulk;
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, Statement};
use tower::ServiceExt;

const HOUSEHOLDS: usize = 200_000;
const WRITERS: usize = 40;
const LEADER: &str = "totruong.lon";

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    if let [step, url, rest @ ..] = args.as_slice() {
        runtime.block_on(run_step(step, url, rest));
        return;
    }
    let households: usize = args
        .first()
        .map_or(HOUSEHOLDS, |n| n.parse().expect("a number of households"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}/big-team.sqlite", dir.path().display());
    println!("A team of {households} households on SQLite ({url})");
    for step in ["load", "export", "search", "edit", "writes"] {
        let status = Command::new(std::env::current_exe().expect("this binary"))
            .args([step, &url, &households.to_string()])
            .status()
            .expect("the step runs");
        assert!(status.success(), "{step} failed");
    }
}

/// Peak resident memory of this process so far, in MB.
fn peak_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

async fn run_step(step: &str, url: &str, rest: &[String]) {
    let store = Store::connect(url).await.expect("the store opens");
    if step == "load" {
        let households: usize = rest[0].parse().expect("households");
        load(&store, households).await;
        return;
    }
    let router = doorstep_api::router(doorstep_api::AppState::new(store.clone()));
    let token = login(&router).await;
    let team_id = first(&store, "SELECT id FROM teams").await[0];
    let before = peak_mb();
    let started = Instant::now();
    match step {
        "export" => {
            let response = send(
                &router,
                Method::GET,
                &format!("/api/v1/teams/{team_id}/register.csv"),
                &token,
                None,
            )
            .await;
            assert_eq!(response.status(), StatusCode::OK);
            let mut body = response.into_body().into_data_stream();
            let (mut lines, mut bytes) = (0u64, 0usize);
            while let Some(chunk) = body.next().await {
                let chunk = chunk.expect("the body streams");
                bytes += chunk.len();
                lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            }
            println!(
                "register.csv: {} rows, {} MB in {:.1} s; peak memory {} MB (before the request {before} MB)",
                lines - 1,
                bytes / 1_000_000,
                started.elapsed().as_secs_f64(),
                peak_mb()
            );
        }
        "search" => {
            // A resident's name as a leader types it, without diacritics:
            // the register walked page by page, the matches counted.
            let response = send(
                &router,
                Method::GET,
                &format!("/api/v1/teams/{team_id}/households?q=nguyen%20van&per_page=50"),
                &token,
                None,
            )
            .await;
            assert_eq!(response.status(), StatusCode::OK);
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("the body reads");
            let page: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
            println!(
                "household search (q=nguyen van): {} found, a page of {} in {:.1} s; peak memory {} MB (before the request {before} MB)",
                page["total"],
                page["households"].as_array().map_or(0, Vec::len),
                started.elapsed().as_secs_f64(),
                peak_mb()
            );
        }
        "edit" => {
            let visit = upcoming_visits(&store, 1).await[0];
            let status = move_visit(&router, &token, &store, visit).await;
            println!(
                "one visit edit (PATCH, a move by 5 minutes): {status} in {:.3} s; peak memory {} MB (before the request {before} MB)",
                started.elapsed().as_secs_f64(),
                peak_mb()
            );
        }
        "writes" => {
            let visits = upcoming_visits(&store, WRITERS).await;
            // Half move (every check runs), half pin (a saved write).
            let edits = visits.into_iter().enumerate().map(|(i, visit)| {
                let (router, token, store) = (router.clone(), token.clone(), store.clone());
                tokio::spawn(async move {
                    if i % 2 == 0 {
                        move_visit(&router, &token, &store, visit).await
                    } else {
                        pin_visit(&router, &token, visit).await
                    }
                })
            });
            let mut answers = std::collections::BTreeMap::new();
            for edit in futures_util::future::join_all(edits).await {
                *answers
                    .entry(edit.expect("the edit runs").as_u16())
                    .or_insert(0) += 1;
            }
            println!(
                "{WRITERS} visit edits at once (half moves, half pins): answers {answers:?} in {:.3} s; peak memory {} MB (before the requests {before} MB)",
                started.elapsed().as_secs_f64(),
                peak_mb()
            );
        }
        other => panic!("no step {other}"),
    }
}

async fn load(store: &Store, households: usize) {
    let started = Instant::now();
    store.migrate_up().await.expect("migrations apply");
    let now = Utc::now();
    let mut layout = province::layout(ProvinceOptions {
        teams: 1,
        seed: 1,
        history: true,
    });
    layout.teams[0].households = households;
    let db = store.connection();
    let areas = bulk::insert_areas(db, &layout.areas())
        .await
        .expect("areas");
    let village = *areas.last().expect("the team's village");
    let days = PlanDays::around(now);
    let team = province::team(&layout, 0, village, &Rules::new(), Some(&days), now);
    let counts = bulk::insert_teams(db, &[team], now)
        .await
        .expect("the team loads");
    bulk::analyze(db).await.expect("statistics");
    let team_id = first(store, "SELECT id FROM teams").await[0];
    doorstep_store::ensure_user(
        db,
        &doorstep_store::UserInput {
            username: LEADER.into(),
            display_name: LEADER.into(),
            role: doorstep_core::UserRole::Leader,
            team_id: Some(team_id),
            area_id: None,
            member_id: None,
            email: None,
        },
        || doorstep_service::auth::hash_password(doorstep_demo::DEMO_PASSWORD),
        now,
    )
    .await
    .expect("the leader is stored");
    println!(
        "loaded: {} households, {} residents, {} members, {} visits in {:.0} s",
        counts.households,
        counts.residents,
        counts.members,
        counts.visits,
        started.elapsed().as_secs_f64()
    );
}

async fn first(store: &Store, sql: &str) -> Vec<i32> {
    let db = store.connection();
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("the query runs")
        .iter()
        .map(|row| row.try_get_by_index::<i32>(0).expect("an id"))
        .collect()
}

/// Visits on the calendar from tomorrow that can still move.
async fn upcoming_visits(store: &Store, n: usize) -> Vec<i32> {
    let from = (Utc::now() + Duration::days(1)).to_rfc3339();
    let sql = format!(
        "SELECT id FROM visits WHERE on_calendar AND status IN ('proposed', 'confirmed') \
         AND start_at >= '{from}' ORDER BY id LIMIT {n}"
    );
    let visits = first(store, &sql).await;
    assert_eq!(visits.len(), n, "the plan has {n} upcoming visits");
    visits
}

async fn move_visit(router: &Router, token: &str, store: &Store, visit: i32) -> StatusCode {
    let db = store.connection();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT start_at FROM visits WHERE id = {visit}"),
        ))
        .await
        .expect("the query runs")
        .expect("the visit");
    let start: chrono::DateTime<Utc> = row.try_get_by_index(0).expect("a start");
    let body = serde_json::json!({"start": (start + Duration::minutes(5)).to_rfc3339()});
    let response = send(
        router,
        Method::PATCH,
        &format!("/api/v1/visits/{visit}"),
        token,
        Some(body),
    )
    .await;
    let status = response.status();
    let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    status
}

async fn pin_visit(router: &Router, token: &str, visit: i32) -> StatusCode {
    let body = serde_json::json!({"pinned": true});
    let response = send(
        router,
        Method::PATCH,
        &format!("/api/v1/visits/{visit}"),
        token,
        Some(body),
    )
    .await;
    let status = response.status();
    let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    status
}

async fn login(router: &Router) -> String {
    let body = serde_json::json!({"username": LEADER, "password": doorstep_demo::DEMO_PASSWORD});
    let response = send(router, Method::POST, "/api/v1/auth/login", "", Some(body)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    value["token"].as_str().expect("a token").to_owned()
}

async fn send(
    router: &Router,
    method: Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> axum::response::Response {
    let mut request = Request::builder().method(method).uri(path);
    if !token.is_empty() {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .expect("a request");
    router
        .clone()
        .oneshot(request)
        .await
        .expect("the router answers")
}
