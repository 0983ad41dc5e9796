//! HTTP: the JSON API, the pages, the calendar feeds and health checks. The
//! only crate that knows HTTP; it calls the use cases of `doorstep-service`
//! and never the store.
//!
//! Errors: one [`ApiError`] type turns into RFC 9457 problem details in the
//! caller's language; internal errors are logged and never echoed.
//!
//! Open without sign-in: `/healthz`, `/readyz`, the sign-in endpoint and
//! page, `/api/v1/openapi.json` and the calendar feeds' secret addresses.
//! Everything else needs a session (cookie) or a bearer token.

mod auth;
mod error;
mod guard;
mod mail;
mod openapi;
mod outcomes;
mod oversight;
mod pages;
mod plans;
mod records;
mod residents;
mod runs;
mod teams;
mod tides;
mod visits;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use doorstep_service::{Catalog, Store};

pub use auth::{COOKIE, CurrentUser};
pub use error::{ApiError, Problem};
pub use openapi::openapi;

/// How the API plans when a request does not say.
#[derive(Clone, Debug)]
pub struct PlanningDefaults {
    /// The planner's search time.
    pub time_limit: Duration,
    /// Planner threads.
    pub threads: usize,
    /// The search given each team of an area's run, when the request does
    /// not say.
    pub area_time_limit: Duration,
    /// A fixed search (iterations per thread) for the plans the pages make,
    /// instead of `time_limit`: the same plan whatever the machine's load.
    /// Tests set it, as the API's requests carry `iterations`; `None` in
    /// service.
    pub page_iterations: Option<u64>,
}

impl Default for PlanningDefaults {
    fn default() -> Self {
        PlanningDefaults {
            time_limit: Duration::from_secs(3),
            threads: 1,
            area_time_limit: Duration::from_millis(100),
            page_iterations: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The tide stations rules may name.
    pub catalog: Arc<Catalog>,
    /// Planning defaults.
    pub planning: PlanningDefaults,
    /// Whether cookies are marked `Secure` (sent over HTTPS only).
    pub secure_cookie: bool,
    /// Where every handler takes the time from.
    pub clock: doorstep_service::Clock,
}

impl AppState {
    /// A state with the shipped tide stations and default planning.
    pub fn new(store: Store) -> AppState {
        AppState {
            store,
            catalog: Arc::new(doorstep_service::stations::built_in()),
            planning: PlanningDefaults::default(),
            secure_cookie: false,
            clock: doorstep_service::Clock::system(),
        }
    }

    /// The time now, by the application's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route(STYLESHEET, get(stylesheet))
        .route(SCRIPT, get(script))
        .route(SERVICE_WORKER, get(service_worker))
        .route(MANIFEST, get(manifest))
        .route(ICON, get(icon))
        .merge(openapi::api_router().split_for_parts().0)
        .merge(pages::routes())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(guard::errors_as_problems))
        .layer(axum::middleware::from_fn(guard::same_site_only))
        .layer(axum::middleware::from_fn(error::localise))
        .layer(axum::middleware::from_fn(guard::answer_headers))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |request: &axum::http::Request<axum::body::Body>| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %logged_path(request.uri().path()),
                    )
                },
            ),
        )
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Where the pages' stylesheet is served: a file of doorstep's own, so that
/// the Content Security Policy needs no inline style.
pub const STYLESHEET: &str = "/assets/doorstep.css";

/// The pages' stylesheet; browsers keep it for an hour.
async fn stylesheet() -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut response = include_str!("../assets/doorstep.css").into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// The pages' one script: they work without it; with it, lists stay
/// readable and taps are kept when the network is gone
/// (docs/pages.md, "Volunteers").
pub const SCRIPT: &str = "/assets/app.js";

/// The service worker, at the root so that its scope is every page.
pub const SERVICE_WORKER: &str = "/sw.js";

/// The web app manifest (name, start page, icon).
pub const MANIFEST: &str = "/manifest.webmanifest";

/// The app's icon, drawn as SVG.
pub const ICON: &str = "/assets/icon.svg";

/// A file of doorstep's own with its type and how long browsers keep it.
fn own_file(
    body: &'static str,
    content_type: &'static str,
    cache: &'static str,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The pages' script; checked with the server at each use, so that a new
/// version reaches the phones at once.
async fn script() -> axum::response::Response {
    own_file(
        include_str!("../assets/app.js"),
        "text/javascript; charset=utf-8",
        "no-cache",
    )
}

/// The service worker; never kept by the HTTP cache, so that a new one is
/// found at once.
async fn service_worker() -> axum::response::Response {
    own_file(
        include_str!("../assets/sw.js"),
        "text/javascript; charset=utf-8",
        "no-cache",
    )
}

async fn manifest() -> axum::response::Response {
    own_file(
        include_str!("../assets/manifest.webmanifest"),
        "application/manifest+json",
        "public, max-age=3600",
    )
}

async fn icon() -> axum::response::Response {
    own_file(
        include_str!("../assets/icon.svg"),
        "image/svg+xml",
        "public, max-age=86400",
    )
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn ready(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    match doorstep_service::health::ready(&state.store).await {
        Ok(true) => (
            axum::http::StatusCode::OK,
            axum::Json(
                serde_json::json!({"status": "ready", "database": state.store.backend_name()}),
            ),
        ),
        Ok(false) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "not_ready", "reason": "pending migrations"})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(
                    serde_json::json!({"status": "not_ready", "reason": "database unreachable"}),
                ),
            )
        }
    }
}

/// A path as the log shows it: a calendar feed's secret is never written.
fn logged_path(path: &str) -> &str {
    if path.starts_with("/ics/") {
        "/ics/…"
    } else {
        path
    }
}
