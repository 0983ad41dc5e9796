//! HTTP: the JSON API, the pages, and health checks. The only crate that
//! knows HTTP; it never writes SQL (queries come from `doorstep-store`, use
//! cases from `doorstep-service`).
//!
//! Errors: one [`ApiError`] type turns into one JSON shape,
//! `{"error": {"code": "...", "message": "..."}}`; internal errors are
//! logged and never echoed to the client.

mod error;
mod pages;
mod teams;

use axum::Router;
use axum::routing::get;
use doorstep_store::Store;

pub use error::ApiError;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/api/v1/teams", get(teams::list))
        .route("/api/v1/teams/{team_id}", get(teams::show))
        .route("/api/v1/teams/{team_id}/households", get(teams::households))
        .route("/", get(pages::home))
        .route("/teams/{team_id}", get(pages::team))
        .fallback(error::not_found)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn ready(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    match state.store.ready().await {
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
