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
    let mut doc = api_router().into_openapi();
    conform(&mut doc);
    doc
}

/// What every operation answers alike, written into the document: error
/// answers are problem details (`application/problem+json`); a path id is a
/// positive whole number, and one that is not — like a query parameter
/// that does not read — is refused with 422 naming it.
fn conform(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Parameter, ParameterIn};
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, Schema};
    const PROBLEM: &str = "application/problem+json";
    let whole_number = |p: &Parameter| {
        matches!(
            &p.schema,
            Some(RefOr::T(Schema::Object(o)))
                if matches!(o.format, Some(SchemaFormat::KnownFormat(KnownFormat::Int32 | KnownFormat::Int64)))
                    || o.schema_type == Type::Integer.into()
        )
    };
    for item in doc.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let mut refused = false;
            for parameter in operation.parameters.iter_mut().flatten() {
                match parameter.parameter_in {
                    ParameterIn::Path if whole_number(parameter) => {
                        if let Some(RefOr::T(Schema::Object(o))) = &mut parameter.schema {
                            o.minimum = Some(1.into());
                        }
                        refused = true;
                    }
                    ParameterIn::Query => refused = true,
                    _ => {}
                }
            }
            let responses = &mut operation.responses.responses;
            if refused && !responses.contains_key("422") {
                responses.insert(
                    "422".to_owned(),
                    RefOr::T(
                        ResponseBuilder::new()
                            .description("A path id or a query parameter that does not read, named")
                            .content(
                                PROBLEM,
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("Problem")))
                                    .build(),
                            )
                            .build(),
                    ),
                );
            }
            for (status, response) in responses.iter_mut() {
                if !status.starts_with('4') && !status.starts_with('5') {
                    continue;
                }
                if let RefOr::T(response) = response
                    && let Some(json) = response.content.shift_remove("application/json")
                {
                    response.content.insert(PROBLEM.to_owned(), json);
                }
            }
        }
    }
}

pub(crate) async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
