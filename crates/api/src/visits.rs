//! The daily lists and the calendar feeds.

use axum::Router;
use utoipa::OpenApi;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(paths())]
struct Doc;

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
