//! In-process tests of the HTTP API: the router is called with
//! `tower::ServiceExt::oneshot` on a fresh database holding the demo data.

mod browsing;
mod calendar;
mod clock;
mod concurrency;
mod feeds;
mod gzip;
mod household_pages;
mod leader_pages;
mod mail;
mod matrix;
mod official_pages;
mod openapi;
mod outcomes;
mod outside;
mod oversight;
mod pages;
mod plan_pages;
mod plans;
mod province;
mod records;
mod residents;
mod runs;
mod tallies;
mod teams;
mod tide_stations;
mod tides;
mod volunteer_pages;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Days, TimeZone, Utc};
use doorstep_service::Store;
use doorstep_tests::TestDb;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;
use tower::ServiceExt;

/// The planner's search for the demo's calendars in tests: a fixed number
/// of iterations, so that the calendars (who visits whom, on which day) do
/// not depend on how busy the machine is.
const DEMO_ITERATIONS: u64 = 6_000;

/// The instant the in-process tests run at, unless a test sets another:
/// Monday 7 December 2026, 10:00 in Vietnam (03:00 UTC).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 3, 0, 0).unwrap()
}

/// A router on a fresh database with the demo data.
pub struct TestApp {
    /// The database, dropped (and on PostgreSQL removed) with the app.
    #[allow(dead_code)]
    pub db: TestDb,
    /// The store the router uses.
    pub store: Store,
    /// The application.
    pub router: Router,
    /// The application's clock, standing at [`now`] until a test moves it.
    #[allow(dead_code)]
    pub clock: doorstep_service::Clock,
}

/// The demo's leader, volunteer and official (password `doorstep-demo`).
pub const LEADER: &str = "totruong.haithanh";
pub const VOLUNTEER: &str = "tinhnguyen.haithanh";
pub const OFFICIAL: &str = "canbo.thanhhoa";

impl TestApp {
    /// A fresh database with the schema and nothing in it.
    pub async fn empty() -> TestApp {
        TestApp::empty_at(now()).await
    }

    /// A fresh database with the schema, the clock standing at `at`.
    pub async fn empty_at(at: DateTime<Utc>) -> TestApp {
        let db = TestDb::migrated().await;
        let store = db.store().await;
        let clock = doorstep_service::Clock::fixed(at);
        let mut state = doorstep_api::AppState::new(store.clone());
        state.clock = clock.clone();
        let router = doorstep_api::router(state);
        TestApp {
            db,
            store,
            router,
            clock,
        }
    }

    /// The demo data, without calendars.
    pub async fn demo() -> TestApp {
        TestApp::demo_at(now()).await
    }

    /// The demo data, without calendars, the clock standing at `at`.
    pub async fn demo_at(at: DateTime<Utc>) -> TestApp {
        let app = TestApp::empty_at(at).await;
        doorstep_demo::load(&app.store, at)
            .await
            .expect("the demo loads");
        app
    }

    /// The demo with its calendars planned from four days ago, so that the
    /// volunteers have visits behind them.
    pub async fn with_history() -> TestApp {
        TestApp::with_history_at(now()).await
    }

    /// [`TestApp::with_history`] with the clock standing at `at`.
    pub async fn with_history_at(at: DateTime<Utc>) -> TestApp {
        let app = TestApp::demo_at(at).await;
        doorstep_demo::plan_calendars(
            &app.store,
            &doorstep_service::stations::built_in(),
            std::time::Duration::from_millis(300),
            Some(DEMO_ITERATIONS),
            1,
            at - chrono::Duration::days(4),
        )
        .await
        .expect("the demo's calendars are planned");
        app
    }

    /// The demo data with each team's calendar planned and published.
    pub async fn demo_with_calendars() -> TestApp {
        let app = TestApp::demo().await;
        doorstep_demo::plan_calendars(
            &app.store,
            &doorstep_service::stations::built_in(),
            std::time::Duration::from_millis(300),
            Some(DEMO_ITERATIONS),
            1,
            now(),
        )
        .await
        .expect("the demo's calendars are planned");
        app
    }

    /// Adds a user with password `doorstep-demo`; returns its id.
    pub async fn add_user(
        &self,
        username: &str,
        role: &str,
        team_id: Option<i32>,
        area_id: Option<i32>,
        member_id: Option<i32>,
    ) -> i32 {
        let (id, _) = doorstep_store::ensure_user(
            self.store.connection(),
            &doorstep_store::UserInput {
                username: username.into(),
                display_name: username.into(),
                role: doorstep_core::UserRole::parse(role).expect("a role code"),
                team_id,
                area_id,
                member_id,
                email: None,
            },
            || doorstep_service::auth::hash_password(doorstep_demo::DEMO_PASSWORD),
            now(),
        )
        .await
        .expect("the user is stored");
        id
    }

    /// Signs in and returns the bearer token.
    pub async fn login(&self, username: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": doorstep_demo::DEMO_PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{username} signs in: {body}");
        body["token"].as_str().expect("a token").to_owned()
    }

    /// Sends a request; answers the status and the body as JSON (or as a
    /// JSON string when it is not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, _, bytes) = self.raw(method, path, token, body, &[]).await;
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    /// Sends a request with extra headers; answers status, headers and bytes.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("a request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body")
            .to_vec();
        (status, headers, bytes)
    }
}

impl TestApp {
    /// Sends a body of the given content type with extra headers; answers
    /// status, headers and bytes.
    pub async fn raw_body(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).expect("a request"))
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body")
            .to_vec();
        (status, headers, bytes)
    }
}

/// The token of a page's forms (`<input name="csrf" value="…">`).
pub fn form_token(html: &str) -> String {
    let before = "name=\"csrf\" value=\"";
    let at = html.find(before).expect("a form with its token") + before.len();
    html[at..]
        .split('"')
        .next()
        .expect("the token's value")
        .to_owned()
}

/// The fields a problem's errors name, in order.
pub fn fields(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Today in Việt Nam.
pub fn today() -> chrono::NaiveDate {
    now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive()
}

/// The volunteer's visits of the last three days (before today).
pub async fn past_visits(app: &TestApp, token: &str) -> Vec<Value> {
    let mut visits = Vec::new();
    for back in 1..=3 {
        let day = today() - Days::new(back);
        let (status, list) = app
            .call(
                Method::GET,
                &format!("/api/v1/me/visits?date={day}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        visits.extend(list["visits"].as_array().unwrap().iter().cloned());
    }
    visits
}

/// The rows of a query, each column as text.
pub async fn rows(app: &TestApp, sql: &str) -> Vec<Vec<String>> {
    let db = app.store.connection();
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            (0..)
                .map_while(|i| {
                    row.try_get_by_index::<Option<String>>(i)
                        .map(|v| v.unwrap_or_default())
                        .or_else(|_| row.try_get_by_index::<i64>(i).map(|v| v.to_string()))
                        .or_else(|_| row.try_get_by_index::<i32>(i).map(|v| v.to_string()))
                        .ok()
                })
                .collect()
        })
        .collect()
}

/// The one number a query answers.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    rows(app, sql).await[0][0].parse().unwrap()
}

/// A session cookie (`doorstep_session=…`) for `user`, signed in through
/// the JSON API.
pub(crate) async fn session_cookie(app: &TestApp, user: &str) -> String {
    let (status, headers, _) = app
        .raw(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"username": user, "password": doorstep_demo::DEMO_PASSWORD})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// A page's scripts are doorstep's own files, none inline.
pub(crate) fn assert_only_own_scripts(path: &str, body: &str) {
    for (at, _) in body.match_indices("<script") {
        let tag = &body[at..at + body[at..].find('>').unwrap()];
        assert_eq!(
            tag, "<script src=\"/assets/app.js\" defer",
            "{path}: only doorstep's own script, deferred"
        );
        assert!(
            body[at..].starts_with(&format!("{tag}></script>")),
            "{path}: no inline script"
        );
    }
}
