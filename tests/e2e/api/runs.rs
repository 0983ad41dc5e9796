//! An official plans a whole area through the API: the run is opened at
//! once, worked by the service's workers, and followed by its id.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use doorstep_service::planning::area::{self, WorkOptions, Worker};
use serde_json::{Value, json};

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, count, fields};

const OFFICIAL_DINH_BINH: &str = "canbo.dinhbinh";

async fn area_id(app: &TestApp, code: &str) -> i64 {
    count(app, &format!("SELECT id FROM areas WHERE code = '{code}'")).await
}

/// Works every queued job of the run with one in-process worker, as
/// `doorstep serve` does in the background.
async fn work_run(app: &TestApp, run_id: i32) {
    let report = area::work(
        &app.store,
        &doorstep_service::stations::built_in(),
        &WorkOptions {
            workers: vec![Worker {
                id: "test-1".into(),
                lease: Duration::from_secs(60),
                threads: 1,
            }],
            run: Some(run_id),
            poll: Duration::from_millis(100),
            keep_polling: false,
        },
        &|| app.clock.now(),
        &AtomicBool::new(false),
        &|_| {},
    )
    .await
    .expect("the run's jobs are worked");
    assert_eq!(report.failed, 0, "{report:?}");
}

#[tokio::test]
async fn an_official_plans_a_commune_and_follows_the_run_to_its_end() {
    let app = TestApp::demo().await;
    let hai_thanh = area_id(&app, "38-HAITHANH").await;
    let teams = count(
        &app,
        &format!("SELECT COUNT(*) FROM teams WHERE area_id = {hai_thanh}"),
    )
    .await;
    assert!(teams >= 1);
    let official = app.login(OFFICIAL).await;
    let path = format!("/api/v1/areas/{hai_thanh}/plan-runs");
    let body = json!({"start": "2026-12-07", "days": 14, "time_limit_s": 0.05, "iterations": 256, "publish": true});

    let (status, headers, bytes) = app
        .raw(
            Method::POST,
            &path,
            Some(&official),
            Some(body.clone()),
            &[],
        )
        .await;
    let run: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    let id = run["id"].as_i64().expect("an id");
    assert_eq!(
        headers["location"].to_str().unwrap(),
        format!("/api/v1/plan-runs/{id}")
    );
    assert_eq!(run["area_id"], hai_thanh);
    assert_eq!(run["start"], "2026-12-07");
    assert_eq!(run["days"], 14);
    assert_eq!(run["status"], "running");
    assert_eq!(run["teams"], teams);
    assert_eq!(run["queued"], teams);
    assert_eq!(run["done"], 0);
    assert_eq!(
        run["options"],
        json!({"time_limit_s": 0.05, "seed": 1, "publish": true, "iterations": 256})
    );
    assert!(
        run["created_by"].as_str().unwrap().starts_with("user:"),
        "{run}"
    );

    // Asked again, the open run is answered with its own options: a run is
    // never started twice.
    let (status, again) = app
        .call(
            Method::POST,
            &path,
            Some(&official),
            Some(json!({"start": "2026-12-07", "days": 14, "time_limit_s": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], id);
    assert_eq!(again["options"]["time_limit_s"], 0.05);

    work_run(&app, i32::try_from(id).unwrap()).await;

    let (status, done) = app
        .call(
            Method::GET,
            &format!("/api/v1/plan-runs/{id}"),
            Some(&official),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "finished");
    assert!(done["finished_at"].is_string());
    assert_eq!(
        (
            &done["done"],
            &done["queued"],
            &done["running"],
            &done["failed"]
        ),
        (&json!(teams), &json!(0), &json!(0), &json!(0))
    );
    let households = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM households h JOIN teams t ON t.id = h.team_id \
             WHERE t.area_id = {hai_thanh}"
        ),
    )
    .await;
    assert_eq!(done["households"], households);
    let visits = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM visits v JOIN plans p ON p.id = v.plan_id \
             JOIN teams t ON t.id = p.team_id WHERE t.area_id = {hai_thanh} \
             AND p.status = 'published'"
        ),
    )
    .await;
    assert!(visits > 0);
    assert_eq!(done["visits"], visits);
    let unmet: i64 = done["unmet_by_reason"]
        .as_object()
        .expect("reasons")
        .values()
        .map(|n| n.as_i64().unwrap())
        .sum();
    let stored_unmet = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM unmet u JOIN plans p ON p.id = u.plan_id \
             JOIN teams t ON t.id = p.team_id WHERE t.area_id = {hai_thanh}"
        ),
    )
    .await;
    assert_eq!(unmet, stored_unmet);
    // One plan a team, each published as it was saved.
    let plans = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM plans p JOIN teams t ON t.id = p.team_id \
             WHERE t.area_id = {hai_thanh} AND p.status = 'published'"
        ),
    )
    .await;
    assert_eq!(plans, teams);

    // Finished, the same request opens a new run.
    let (status, next) = app
        .call(Method::POST, &path, Some(&official), Some(body))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{next}");
    assert_ne!(next["id"], id);
}

#[tokio::test]
async fn a_run_is_the_officials_of_its_area_only() {
    let app = TestApp::demo().await;
    let hai_thanh = area_id(&app, "38-HAITHANH").await;
    let dinh_binh = area_id(&app, "38-DINHBINH").await;
    app.add_user(
        OFFICIAL_DINH_BINH,
        "official",
        None,
        Some(i32::try_from(dinh_binh).unwrap()),
        None,
    )
    .await;
    let path = format!("/api/v1/areas/{hai_thanh}/plan-runs");
    let body = json!({"start": "2026-12-07", "days": 7});

    let (status, _) = app
        .call(Method::POST, &path, None, Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, problem) = app
        .call(
            Method::POST,
            &path,
            Some(&app.login(LEADER).await),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = app
        .call(
            Method::POST,
            &path,
            Some(&app.login(VOLUNTEER).await),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let other = app.login(OFFICIAL_DINH_BINH).await;
    let (status, problem) = app
        .call(Method::POST, &path, Some(&other), Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM plan_runs").await,
        0,
        "nothing was opened"
    );

    let (status, run) = app
        .call(
            Method::POST,
            &path,
            Some(&app.login(OFFICIAL).await),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    let run_path = format!("/api/v1/plan-runs/{}", run["id"]);
    for (token, expected) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(other), StatusCode::NOT_FOUND),
        (Some(app.login(VOLUNTEER).await), StatusCode::FORBIDDEN),
        (Some(app.login(LEADER).await), StatusCode::FORBIDDEN),
    ] {
        let (status, body) = app
            .call(Method::GET, &run_path, token.as_deref(), None)
            .await;
        assert_eq!(status, expected, "{body}");
    }
    let (status, problem) = app
        .call(
            Method::GET,
            "/api/v1/plan-runs/999999",
            Some(&app.login(OFFICIAL).await),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("999999"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_bad_request_names_every_field_and_opens_nothing() {
    let app = TestApp::demo().await;
    let hai_thanh = area_id(&app, "38-HAITHANH").await;
    let official = app.login(OFFICIAL).await;
    let path = format!("/api/v1/areas/{hai_thanh}/plan-runs");

    let (status, problem) = app
        .call(
            Method::POST,
            &path,
            Some(&official),
            Some(json!({"start": "2026-13-01", "days": 0, "time_limit_s": 99, "iterations": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        ["start", "days", "time_limit_s", "iterations"]
    );

    let (status, problem) = app
        .call(
            Method::POST,
            &path,
            Some(&official),
            Some(json!({"start": "1700-01-01", "days": 63})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["days", "start"]);

    let (status, problem) = app
        .call(
            Method::POST,
            &path,
            Some(&official),
            Some(json!({"start": "2026-12-07", "days": 7, "workers": 3})),
        )
        .await;
    assert!(status.is_client_error(), "{status} {problem}");
    assert!(problem.to_string().contains("workers"), "{problem}");

    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/areas/abc/plan-runs",
            Some(&official),
            Some(json!({"start": "2026-12-07", "days": 7})),
        )
        .await;
    assert!(status.is_client_error(), "{status} {problem}");
    assert!(problem.to_string().contains("area_id"), "{problem}");

    // A village has no team of its own: nothing to plan.
    let village = area_id(&app, "38-HAITHANH-TANTHANH").await;
    let (status, problem) = app
        .call(
            Method::POST,
            &format!("/api/v1/areas/{village}/plan-runs"),
            Some(&official),
            Some(json!({"start": "2026-12-07", "days": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    assert_eq!(count(&app, "SELECT COUNT(*) FROM plan_runs").await, 0);
}
