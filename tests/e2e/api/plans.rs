//! In-process tests: planning, publishing, re-planning, editing visits and
//! blackouts through the API, with every role in and out of scope.

use axum::http::{Method, StatusCode};
use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, fields};

fn tomorrow() -> NaiveDate {
    (super::now() + chrono::Duration::hours(7)).date_naive() + Days::new(1)
}

async fn make_plan(app: &TestApp, token: &str, team: i32, days: u32) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/api/v1/teams/{team}/plans"),
        Some(token),
        Some(json!({"start": tomorrow().to_string(), "days": days, "iterations": 2000})),
    )
    .await
}

#[tokio::test]
async fn a_leader_plans_publishes_and_the_team_sees_it() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let (status, plan) = make_plan(&app, &leader, 1, 7).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    assert_eq!(plan["status"], "draft");
    assert_eq!(plan["team_id"], 1);
    assert_eq!(plan["days"], 7);
    let visits = plan["visits"].as_array().unwrap();
    assert!(!visits.is_empty(), "the demo team gets visits: {plan}");
    for v in visits {
        for key in [
            "id",
            "household_id",
            "member_id",
            "start",
            "end",
            "mode",
            "purposes",
            "residents",
            "status",
            "pinned",
        ] {
            assert!(v.get(key).is_some(), "visit has {key}: {v}");
        }
        assert!(v["start"].as_str().unwrap().ends_with("+07:00"), "{v}");
        assert!(!v["residents"].as_array().unwrap().is_empty(), "{v}");
        assert!(!v["purposes"].as_array().unwrap().is_empty(), "{v}");
        assert_eq!(v["status"], "proposed");
    }
    for u in plan["unmet"].as_array().unwrap() {
        assert!(
            ["no_window", "no_skill", "no_capacity", "no_consent"]
                .contains(&u["reason"].as_str().unwrap()),
            "{u}"
        );
        assert!(!u["explanation_vi"].as_str().unwrap().is_empty(), "{u}");
        assert!(!u["explanation_en"].as_str().unwrap().is_empty(), "{u}");
    }
    let id = plan["id"].as_i64().unwrap();

    // A draft is the leader's alone.
    let volunteer = app.login(VOLUNTEER).await;
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/plans/{id}"),
            Some(&volunteer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = app
        .call(Method::GET, "/api/v1/teams/1/plans", Some(&volunteer), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([]));

    let (status, published) = app
        .call(
            Method::POST,
            &format!("/api/v1/plans/{id}/publish"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["status"], "published");
    let (status, seen) = app
        .call(
            Method::GET,
            &format!("/api/v1/plans/{id}"),
            Some(&volunteer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["visits"], published["visits"]);
    let official = app.login(OFFICIAL).await;
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/plans/{id}"),
            Some(&official),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // A second published plan of the same days supersedes the first.
    let (_, second) = make_plan(&app, &leader, 1, 7).await;
    let second = second["id"].as_i64().unwrap();
    app.call(
        Method::POST,
        &format!("/api/v1/plans/{second}/publish"),
        Some(&leader),
        None,
    )
    .await;
    let (_, first) = app
        .call(
            Method::GET,
            &format!("/api/v1/plans/{id}"),
            Some(&leader),
            None,
        )
        .await;
    // A plan stays published while a visit of it is on the calendar; the
    // second, made with the calendar as its hint, kept the first's visits
    // where they were.
    let live = first["visits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["on_calendar"] == true)
        .count();
    let expected = if live > 0 { "published" } else { "superseded" };
    assert_eq!(
        first["status"], expected,
        "{live} of its visits on the calendar"
    );
    let (status, draft) = app
        .call(
            Method::POST,
            &format!("/api/v1/plans/{id}/replan"),
            Some(&leader),
            None,
        )
        .await;
    if live > 0 {
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        assert_eq!(draft["status"], "draft");
    } else {
        assert_eq!(status, StatusCode::CONFLICT, "{draft}");
    }
}

#[tokio::test]
async fn bad_plan_requests_name_every_field() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/plans",
            Some(&leader),
            Some(json!({"start": "2026-13-01", "days": 0, "time_limit_s": 999, "iterations": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut got = fields(&problem);
    got.sort();
    assert_eq!(
        got,
        ["days", "iterations", "start", "time_limit_s"],
        "{problem}"
    );
    assert_eq!(problem["code"], "invalid");
    assert_eq!(problem["status"], 422);
    // A re-plan's fixed search is bounded too.
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/calendar/replan",
            Some(&leader),
            Some(json!({"iterations": 6_000_000})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["iterations"], "{problem}");

    // Wrong JSON types name their path; unknown fields are refused.
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/plans",
            Some(&leader),
            Some(json!({"start": "2026-12-01", "days": "four"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["days"], "{problem}");
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/plans",
            Some(&leader),
            Some(json!({"start": "2026-12-01", "days": 3, "colour": "red"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // In English when the caller prefers it.
    let (status, headers, body) = app
        .raw(
            Method::POST,
            "/api/v1/teams/1/plans",
            Some(&leader),
            Some(json!({"start": "2026-12-01", "days": 0})),
            &[("accept-language", "en-GB,en;q=0.9,vi;q=0.5")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers["content-type"], "application/problem+json");
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("days must be"),
        "{problem}"
    );
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/abc/plans",
            Some(&leader),
            Some(json!({"start": "2026-12-01", "days": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["team_id"]);
}

#[tokio::test]
async fn every_plan_endpoint_answers_each_role_by_scope() {
    let app = TestApp::demo().await;
    let admin = app.add_user("quantri", "admin", None, None, None).await;
    let _ = admin;
    // Team 3 is Lam Sơn; its commune is not under the other official's area.
    let other_leader = app
        .add_user("totruong.lamson", "leader", Some(3), None, None)
        .await;
    let _ = other_leader;
    let commune_of_team_3 = {
        let (_, team) = app
            .call(
                Method::GET,
                "/api/v1/teams/3",
                Some(&app.login("quantri").await),
                None,
            )
            .await;
        team.get("area_id").and_then(Value::as_i64)
    };
    let _ = commune_of_team_3;
    let leader = app.login(LEADER).await;
    let (_, draft) = make_plan(&app, &leader, 1, 3).await;
    let plan_id = draft["id"].as_i64().unwrap();
    let visit_id = draft["visits"][0]["id"].as_i64().unwrap();
    let (_, published) = make_plan(&app, &leader, 1, 3).await;
    let published_id = published["id"].as_i64().unwrap();
    app.call(
        Method::POST,
        &format!("/api/v1/plans/{published_id}/publish"),
        Some(&leader),
        None,
    )
    .await;

    let tokens = [
        ("admin", Some(app.login("quantri").await)),
        ("leader", Some(leader.clone())),
        ("volunteer", Some(app.login(VOLUNTEER).await)),
        ("official", Some(app.login(OFFICIAL).await)),
        ("other_leader", Some(app.login("totruong.lamson").await)),
        ("anonymous", None),
    ];
    // (method, path, body, expected status per role in the order above)
    let storm = json!({"label": "bão", "dates": [tomorrow().to_string(), tomorrow().to_string()]});
    let cases: Vec<(Method, String, Option<Value>, [u16; 6])> = vec![
        (
            Method::GET,
            "/api/v1/teams/1/plans".into(),
            None,
            [200, 200, 200, 200, 404, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/plans/{plan_id}"),
            None,
            [200, 200, 404, 404, 404, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/plans/{published_id}"),
            None,
            [200, 200, 200, 200, 404, 401],
        ),
        (
            Method::GET,
            "/api/v1/teams/1/blackouts".into(),
            None,
            [200, 200, 200, 200, 404, 401],
        ),
        (
            Method::POST,
            "/api/v1/teams/1/blackouts".into(),
            Some(storm),
            [201, 201, 403, 403, 404, 401],
        ),
        (
            Method::PATCH,
            format!("/api/v1/visits/{visit_id}"),
            Some(json!({"pinned": true})),
            [200, 200, 404, 404, 404, 401],
        ),
        (
            Method::POST,
            format!("/api/v1/plans/{published_id}/publish"),
            None,
            [200, 200, 403, 403, 404, 401],
        ),
        (
            Method::POST,
            "/api/v1/teams/1/plans".into(),
            Some(json!({"start": tomorrow().to_string(), "days": 1, "iterations": 2000})),
            [201, 201, 403, 403, 404, 401],
        ),
        (
            Method::POST,
            format!("/api/v1/plans/{published_id}/replan"),
            Some(json!({"iterations": 2000})),
            [201, 201, 403, 403, 404, 401],
        ),
    ];
    for (method, path, body, expected) in cases {
        for ((role, token), want) in tokens.iter().zip(expected) {
            let (status, answer) = app
                .call(method.clone(), &path, token.as_deref(), body.clone())
                .await;
            assert_eq!(status.as_u16(), want, "{role} {method} {path}: {answer}");
            if want >= 400 {
                assert_eq!(answer["status"], want, "a problem document: {answer}");
            }
        }
    }
}

#[tokio::test]
async fn a_leader_pins_moves_and_cancels_visits_with_reasons_in_words() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let (_, plan) = make_plan(&app, &leader, 1, 7).await;
    let visits = plan["visits"].as_array().unwrap().clone();
    let first = &visits[0];
    let id = first["id"].as_i64().unwrap();

    let (status, pinned) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/visits/{id}"),
            Some(&leader),
            Some(json!({"pinned": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{pinned}");
    assert_eq!(pinned["pinned"], true);

    // 03:00 is outside every window and every shift: refused, in words.
    let start = chrono::DateTime::parse_from_rfc3339(first["start"].as_str().unwrap()).unwrap();
    let night = start
        .date_naive()
        .and_hms_opt(3, 0, 0)
        .unwrap()
        .and_local_timezone(*start.offset())
        .unwrap();
    let (status, problem) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/visits/{id}"),
            Some(&leader),
            Some(json!({"start": night.to_rfc3339()})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let text = problem.to_string();
    assert!(
        text.contains("03:00"),
        "the reason names the time: {problem}"
    );
    assert!(
        text.contains("không có nhà") || text.contains("không rảnh"),
        "{problem}"
    );

    // A small move inside the windows is accepted (trying a few visits:
    // one at the start of a shift cannot move earlier, one followed closely
    // by the next cannot move later).
    let mut moved = None;
    let mut refusals = Vec::new();
    'outer: for v in visits.iter().skip(1) {
        let at = chrono::DateTime::parse_from_rfc3339(v["start"].as_str().unwrap()).unwrap();
        for minutes in [5i64, -5, 10, -10, 20, -20, 30] {
            let to = at + chrono::Duration::minutes(minutes);
            let (status, answer) = app
                .call(
                    Method::PATCH,
                    &format!("/api/v1/visits/{}", v["id"]),
                    Some(&leader),
                    Some(json!({"start": to.to_rfc3339(), "pinned": false})),
                )
                .await;
            if status == StatusCode::OK {
                moved = Some((to, answer));
                break 'outer;
            }
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            refusals.push(answer["errors"].to_string());
        }
    }
    let id = moved
        .as_ref()
        .map_or(id, |(_, a)| a["id"].as_i64().unwrap());
    let (to, answer) = moved.unwrap_or_else(|| panic!("some nearby start fits: {refusals:#?}"));
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(answer["start"].as_str().unwrap()).unwrap(),
        to
    );
    assert_eq!(answer["pinned"], false, "the explicit pinned field wins");

    // Re-assigning to a member of another team is refused.
    let (status, problem) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/visits/{id}"),
            Some(&leader),
            Some(json!({"member_id": 99999})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["member_id"]);

    // Done is recorded with the outcome, not here.
    let (status, problem) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/visits/{id}"),
            Some(&leader),
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, cancelled) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/visits/{id}"),
            Some(&leader),
            Some(json!({"status": "cancelled"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    let (status, problem) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/visits/{id}"),
            Some(&leader),
            Some(json!({"start": (to + chrono::Duration::minutes(10)).to_rfc3339()})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a cancelled visit does not move: {problem}"
    );
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/visits/99999999",
            Some(&leader),
            Some(json!({"pinned": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_storm_and_a_replan_keep_the_pinned_visit_and_move_only_what_must_move() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    // The four weeks a team publishes.
    let (_, plan) = make_plan(&app, &leader, 1, doorstep_demo::DEMO_PLAN_DAYS).await;
    let id = plan["id"].as_i64().unwrap();
    let visits = plan["visits"].as_array().unwrap().clone();
    let storm_day = tomorrow() + Days::new(2);
    let day_of = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["start"].as_str().unwrap())
            .unwrap()
            .date_naive()
    };
    // Pin a visit outside the storm.
    let keep = visits
        .iter()
        .find(|v| day_of(v) != storm_day)
        .unwrap()
        .clone();
    app.call(
        Method::PATCH,
        &format!("/api/v1/visits/{}", keep["id"]),
        Some(&leader),
        Some(json!({"pinned": true})),
    )
    .await;

    // Bad blackouts are refused with their paths.
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/blackouts",
            Some(&leader),
            Some(json!({"dates": ["2026-12-40", "2026-12-12"], "village_id": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let got = fields(&problem);
    assert!(got.contains(&"label".to_owned()), "{problem}");
    assert!(got.contains(&"village_id".to_owned()), "{problem}");
    assert!(got.iter().any(|f| f.starts_with("dates")), "{problem}");

    let (status, storm) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/blackouts",
            Some(&leader),
            Some(json!({"label": "bão số 3", "dates": [storm_day.to_string(), storm_day.to_string()]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{storm}");
    assert!(
        storm["description_vi"]
            .as_str()
            .unwrap()
            .contains("bão số 3")
    );

    let (status, replanned) = app
        .call(
            Method::POST,
            &format!("/api/v1/plans/{id}/replan"),
            Some(&leader),
            Some(json!({"iterations": 2000})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "a new draft");
    assert_ne!(replanned["id"], plan["id"]);
    let after = replanned["visits"].as_array().unwrap();
    assert!(
        after.iter().all(|v| day_of(v) != storm_day),
        "nothing in the storm"
    );
    let kept = after
        .iter()
        .find(|v| v["household_id"] == keep["household_id"] && v["pinned"] == true)
        .expect("the pinned visit stays");
    assert_eq!(kept["start"], keep["start"]);
    assert_eq!(kept["member_id"], keep["member_id"]);
    // Visits outside the storm day mostly stay where they were: same
    // household, member and day, a start within 30 minutes.
    let outside: Vec<&Value> = visits.iter().filter(|v| day_of(v) != storm_day).collect();
    let start_of =
        |v: &Value| chrono::DateTime::parse_from_rfc3339(v["start"].as_str().unwrap()).unwrap();
    let same = outside
        .iter()
        .filter(|v| {
            after.iter().any(|a| {
                a["household_id"] == v["household_id"]
                    && a["member_id"] == v["member_id"]
                    && day_of(a) == day_of(v)
                    && (start_of(a) - start_of(v)).num_minutes().abs() <= 30
            })
        })
        .count();
    println!("{same} of {} visits outside the storm kept", outside.len());
    assert!(
        same * 10 >= outside.len() * 9,
        "{same} of {} visits outside the storm kept",
        outside.len()
    );
    assert_eq!(replanned["changes"]["removed"], 0, "the calendar was empty");

    // The storm can be listed and deleted.
    let (_, list) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/blackouts",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/teams/1/blackouts/{}", storm["id"]),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/teams/1/blackouts/{}", storm["id"]),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_in_expires_revokes_and_slows_down_guessing() {
    let app = TestApp::demo().await;
    let (status, problem) = app.call(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "unauthorized");
    let (status, headers, body) = app
        .raw(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": LEADER, "password": doorstep_demo::DEMO_PASSWORD})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let cookie = headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let login: Value = serde_json::from_slice(&body).unwrap();
    for key in ["token", "expires_at", "user"] {
        assert!(login.get(key).is_some(), "{login}");
    }
    assert_eq!(login["user"]["role"], "leader");
    let token = login["token"].as_str().unwrap();
    let session = cookie.split(';').next().unwrap().to_owned();
    // The cookie works as well as the bearer token.
    let (status, _, me) = app
        .raw(
            Method::GET,
            "/api/v1/me",
            None,
            None,
            &[("cookie", &session)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&me));
    // Only the hash is stored.
    let stored: Vec<String> = {
        use sea_orm::{EntityTrait, QuerySelect};
        doorstep_store::entity::session::Entity::find()
            .select_only()
            .column(doorstep_store::entity::session::Column::TokenHash)
            .into_tuple()
            .all(app.store.connection())
            .await
            .unwrap()
    };
    assert!(!stored.iter().any(|h| h == token));
    assert!(stored.contains(&doorstep_service::auth::token_hash(token)));
    let (status, _) = app
        .call(Method::POST, "/api/v1/auth/logout", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(token), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked token stops working"
    );

    // Wrong passwords: the same answer for an unknown user; then a lock.
    for username in ["nobody", VOLUNTEER] {
        let (status, problem) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": "wrong"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(problem["detail"], "sai tên đăng nhập hoặc mật khẩu");
    }
    for _ in 0..4 {
        app.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": VOLUNTEER, "password": "wrong"})),
        )
        .await;
    }
    let (status, headers, _) = app
        .raw(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": VOLUNTEER, "password": doorstep_demo::DEMO_PASSWORD})),
            &[],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(headers.contains_key("retry-after"));
    // Another user is not locked out by it.
    app.login(LEADER).await;
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"user": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let app = TestApp::demo().await;
    let (status, doc) = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/teams/{team_id}/plans",
        "/api/v1/plans/{plan_id}",
        "/api/v1/plans/{plan_id}/publish",
        "/api/v1/plans/{plan_id}/replan",
        "/api/v1/visits/{visit_id}",
        "/api/v1/teams/{team_id}/blackouts",
        "/api/v1/areas/{area_id}/plan-runs",
        "/api/v1/plan-runs/{run_id}",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    // The snapshot: a changed document must be a reviewed change.
    let snapshot_path = doorstep_tests::repo_root().join("docs/openapi.json");
    let rendered = serde_json::to_string_pretty(&doorstep_api::openapi()).unwrap() + "\n";
    if std::env::var_os("DOORSTEP_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot_path, &rendered).unwrap();
    }
    let stored = std::fs::read_to_string(&snapshot_path).unwrap_or_default();
    assert!(
        stored == rendered,
        "docs/openapi.json is stale: run DOORSTEP_UPDATE_SNAPSHOTS=1 cargo test --workspace --test e2e openapi and review the change"
    );
}

#[tokio::test]
async fn failed_sign_ins_from_one_address_are_limited_across_user_names() {
    let app = TestApp::demo().await;
    for i in 0..doorstep_service::auth::MAX_FAILED_PER_ADDRESS {
        let (status, _) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": format!("guess{i}"), "password": "wrong"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": LEADER, "password": doorstep_demo::DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert_eq!(problem["code"], "too_many_attempts");
}

#[tokio::test]
async fn a_move_onto_another_visit_of_the_member_in_a_draft_is_refused_naming_it() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let (_, plan) = make_plan(&app, &leader, 1, 7).await;
    let visits = plan["visits"].as_array().unwrap().clone();
    let day = |v: &Value| v["start"].as_str().unwrap()[..10].to_owned();
    let (first, second) = visits
        .iter()
        .enumerate()
        .find_map(|(i, a)| {
            visits[i + 1..]
                .iter()
                .find(|b| b["member_id"] == a["member_id"] && day(a) == day(b))
                .map(|b| (a.clone(), b.clone()))
        })
        .expect("a member with two visits on a day");
    let (status, problem) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/visits/{}", second["id"]),
            Some(&leader),
            Some(json!({"start": first["start"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem
            .to_string()
            .contains(&format!("trùng giờ với lượt thăm #{}", first["id"])),
        "{problem}"
    );
}

/// Session fixation: a session id chosen by someone else and planted in
/// the browser (a cookie sent with the sign-in) is never adopted; signing
/// in issues a new one, on the API and on the sign-in form, and signing in
/// again while signed in issues another.
#[tokio::test]
async fn signing_in_never_adopts_a_planted_session() {
    let app = TestApp::demo().await;
    let planted = "doorstep_session=planted-by-someone-else-0123456789abcdef";
    let me = |cookie: String| {
        let app = &app;
        async move {
            app.raw(
                Method::GET,
                "/api/v1/me",
                None,
                None,
                &[("cookie", &cookie)],
            )
            .await
            .0
        }
    };
    assert_eq!(me(planted.to_owned()).await, StatusCode::UNAUTHORIZED);
    let sign_in = |cookie: String| {
        let app = &app;
        async move {
            let (status, headers, _) = app
                .raw(
                    Method::POST,
                    "/api/v1/auth/login",
                    None,
                    Some(json!({"username": LEADER, "password": doorstep_demo::DEMO_PASSWORD})),
                    &[("cookie", &cookie)],
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            headers["set-cookie"]
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned()
        }
    };
    let first = sign_in(planted.to_owned()).await;
    assert_ne!(first, planted, "a new session, not the planted one");
    assert_eq!(me(planted.to_owned()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(first.clone()).await, StatusCode::OK);
    // Signed in again with the first session's cookie: a new session.
    let second = sign_in(first.clone()).await;
    assert_ne!(second, first);
    assert_eq!(me(second).await, StatusCode::OK);

    // The sign-in form does the same (its page first, for the form's
    // cookie and token).
    let (_, headers, page) = app
        .raw(
            Method::GET,
            "/dang-nhap",
            None,
            None,
            &[("cookie", planted)],
        )
        .await;
    let form_cookie = headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = super::form_token(&String::from_utf8(page).unwrap());
    let cookies = format!("{planted}; {form_cookie}");
    let (status, headers, _) = app
        .raw_body(
            Method::POST,
            "/dang-nhap",
            "application/x-www-form-urlencoded",
            format!(
                "username={LEADER}&password={}&csrf={token}",
                doorstep_demo::DEMO_PASSWORD
            )
            .into_bytes(),
            &[
                ("cookie", &cookies),
                ("origin", "http://doorstep.test"),
                ("host", "doorstep.test"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let from_form = headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(from_form.starts_with("doorstep_session="), "{from_form}");
    assert_ne!(from_form, planted);
    assert_eq!(me(planted.to_owned()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(from_form).await, StatusCode::OK);
}

#[tokio::test]
async fn a_count_of_days_past_the_calendar_is_refused_by_its_field() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let official = app.login(OFFICIAL).await;
    let area = super::count(&app, "SELECT area_id FROM teams WHERE id = 1").await;
    for (token, path, body) in [
        (
            &leader,
            "/api/v1/teams/1/plans".to_owned(),
            json!({"start": "2026-12-10", "days": 2_147_483_648u64}),
        ),
        (
            &leader,
            "/api/v1/teams/1/calendar/replan".to_owned(),
            json!({"days": 96_000_000}),
        ),
        (
            &official,
            format!("/api/v1/areas/{area}/plan-runs"),
            json!({"start": "2026-12-10", "days": 95_015_281}),
        ),
    ] {
        let (status, problem) = app.call(Method::POST, &path, Some(token), Some(body)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {problem}"
        );
        assert!(
            fields(&problem).contains(&"days".to_owned()),
            "{path}: {problem}"
        );
    }
}
