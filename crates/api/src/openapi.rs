//! The OpenAPI 3.1 document, generated from the handlers and types
//! (utoipa), served at `/api/v1/openapi.json` and snapshot-tested.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "doorstep",
        description = "Lập lịch thăm hộ cho tổ công nghệ số cộng đồng / Door-to-door visit planning for community digital-technology teams. Errors are RFC 9457 problem details in the caller's language (Accept-Language).",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&Bearer),
    tags(
        (name = "auth", description = "Đăng nhập / sign-in"),
        (name = "teams", description = "Tổ, thành viên, hộ / teams, members, households"),
        (name = "plans", description = "Kế hoạch thăm hộ / visit plans"),
        (name = "visits", description = "Danh sách trong ngày, lịch / daily lists, calendar feeds"),
        (name = "outcomes", description = "Kết quả thăm, nhu cầu / visit outcomes, the needs pipeline"),
        (name = "audit", description = "Báo cáo cho cán bộ: độ phủ, hộ chưa gặp, nhật ký / officials' audit: coverage, unmet households, the audit log"),
        (name = "residents", description = "Quyền của người dân: đồng ý, xuất dữ liệu, xoá / residents' rights: consent, export, erasure"),
        (name = "mail", description = "Thư hằng ngày: lịch gửi, hộp thư đi / daily mail: schedules, outbox"),
    )
)]
struct Base;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes with their OpenAPI document: each module's handlers
/// registered once, with the path, methods and schemas of their
/// `#[utoipa::path]`.
pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Base::openapi())
        .merge(crate::auth::router())
        .merge(crate::teams::router())
        .merge(crate::plans::router())
        .merge(crate::visits::router())
        .merge(crate::mail::router())
        .merge(crate::outcomes::router())
        .merge(crate::oversight::router())
        .merge(crate::residents::router())
        .merge(crate::records::router())
        .merge(crate::runs::router())
        .merge(crate::tides::router())
}

/// The whole document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().into_openapi()
}

pub(crate) async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
