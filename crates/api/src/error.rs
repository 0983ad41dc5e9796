//! One error type for every handler, one shape for every error: RFC 9457
//! problem details (`application/problem+json`) with a stable `code`, a
//! message in the caller's language (Accept-Language: Vietnamese unless the
//! caller prefers English) and, for bad input, every field's error.
//!
//! ```json
//! {"type": "https://doorstep.invalid/problems/invalid", "title": "Invalid input",
//!  "status": 422, "code": "invalid", "detail": "dữ liệu gửi lên có 1 lỗi",
//!  "errors": [{"field": "days", "message": "số ngày phải từ 1 đến 62, nhận 0"}]}
//! ```
//!
//! Handlers return [`ApiError`]; its response carries both languages in an
//! extension, and the [`localise`] middleware writes the body in the
//! request's language. Internal errors are logged, never echoed.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use doorstep_service::error::{FieldError, ServiceError};
use serde::Serialize;
use serde_json::json;

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError(e)
    }
}

impl ApiError {
    /// A bad request naming one field.
    pub fn field(field: &str, vi: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError(ServiceError::invalid(field, vi, en))
    }

    /// Nothing at this path.
    pub fn no_route(path: &str) -> ApiError {
        ApiError(ServiceError::NotFound {
            vi: format!("không có trang hay API nào ở {path}"),
            en: format!("no page or endpoint at {path}"),
        })
    }
}

/// One field's error as shown to the caller.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    /// Field name or JSON path.
    pub field: String,
    /// What was wrong and what was expected, in the caller's language.
    pub message: String,
}

/// RFC 9457 problem details.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short title of the kind, in English.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// A stable code: `invalid`, `not_found`, `unauthorized`, `forbidden`,
    /// `conflict`, `too_many_attempts`, `unavailable` (the database cannot
    /// be reached for the moment), `internal`; at the HTTP edge
    /// `bad_request`, `cross_site`, `method_not_allowed`, `too_large`,
    /// `unsupported_media_type`.
    pub code: String,
    /// What happened, in the caller's language.
    pub detail: String,
    /// Every field's error, for `invalid`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// Both languages of an error, carried from the handler to [`localise`].
#[derive(Clone, Debug)]
struct Messages {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    vi: String,
    en: String,
    fields: Vec<FieldError>,
}

impl Messages {
    fn problem(&self, vi: bool) -> Problem {
        Problem {
            kind: format!("https://doorstep.invalid/problems/{}", self.code),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            detail: if vi { self.vi.clone() } else { self.en.clone() },
            errors: self
                .fields
                .iter()
                .map(|f| ProblemField {
                    field: f.field.clone(),
                    message: if vi {
                        f.message_vi.clone()
                    } else {
                        f.message_en.clone()
                    },
                })
                .collect(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = &self.0;
        let (status, code, title) = match e {
            ServiceError::Invalid(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid", "Invalid input")
            }
            ServiceError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            ServiceError::Forbidden(..) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ServiceError::Conflict(..) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ServiceError::Unauthorized(..) => {
                (StatusCode::UNAUTHORIZED, "unauthorized", "Sign-in required")
            }
            ServiceError::TooManyAttempts(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "Too many attempts",
            ),
            ServiceError::Store(store) if store.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                )
            }
            ServiceError::Store(store) if store.is_full() => {
                tracing::error!(error = %e, "the database's disk is full");
                (
                    StatusCode::INSUFFICIENT_STORAGE,
                    "storage_full",
                    "Insufficient storage",
                )
            }
            ServiceError::Store(_) | ServiceError::Internal(_) => {
                tracing::error!(error = %e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                )
            }
        };
        let messages = Messages {
            status,
            code,
            title,
            vi: e.message(true),
            en: e.message(false),
            fields: match e {
                ServiceError::Invalid(fields) => fields.clone(),
                _ => Vec::new(),
            },
        };
        let mut response = problem_response(&messages.problem(true));
        if let ServiceError::TooManyAttempts(seconds) = e
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"doorstep\""),
            );
        }
        response.extensions_mut().insert(messages);
        response
    }
}

fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(json!(problem))).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// A refusal at the HTTP edge, before any use case runs (a body too large
/// or of the wrong type, a method the path does not take, a cross-site
/// request): problem details in the caller's language, like [`ApiError`]'s.
pub(crate) struct Refusal {
    /// The status.
    pub status: StatusCode,
    /// The stable code.
    pub code: &'static str,
    /// The kind's title, in English.
    pub title: &'static str,
    /// What happened, in Vietnamese.
    pub vi: String,
    /// What happened, in English.
    pub en: String,
    /// Where: a field, a header or `(body)`, with what was expected.
    pub fields: Vec<FieldError>,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let messages = Messages {
            status: self.status,
            code: self.code,
            title: self.title,
            vi: self.vi,
            en: self.en,
            fields: self.fields,
        };
        let mut response = problem_response(&messages.problem(true));
        response.extensions_mut().insert(messages);
        response
    }
}

/// Largest JSON body the API reads (axum's default limit).
pub(crate) const MAX_JSON_BODY: usize = 2 * 1024 * 1024;

/// A body over `limit` bytes: 413.
pub(crate) fn too_large(limit: usize) -> Refusal {
    let mb = limit / (1024 * 1024);
    Refusal {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "too_large",
        title: "Body too large",
        vi: format!("nội dung gửi lên quá lớn: tối đa {mb} MB"),
        en: format!("the body is too large: at most {mb} MB"),
        fields: vec![FieldError::new(
            "(body)",
            format!("tối đa {mb} MB"),
            format!("at most {mb} MB"),
        )],
    }
}

/// A body of another type than `expected`: 415, naming the header.
pub(crate) fn wrong_media_type(sent: Option<&str>, expected: &str) -> Refusal {
    let sent_vi = sent.map_or_else(|| "không có".to_owned(), |s| format!("{s:?}"));
    let sent_en = sent.map_or_else(|| "none".to_owned(), |s| format!("{s:?}"));
    Refusal {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
        title: "Unsupported media type",
        vi: format!("kiểu nội dung phải là {expected}"),
        en: format!("the body's type must be {expected}"),
        fields: vec![FieldError::new(
            "Content-Type",
            format!("cần {expected}, nhận {sent_vi}"),
            format!("expected {expected}, got {sent_en}"),
        )],
    }
}

/// The request's `Content-Type` without its parameters, lower case.
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

/// Whether a media type is JSON: `application/json` or `application/…+json`.
fn is_json(media_type: &str) -> bool {
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

/// Checks that a JSON endpoint's body came as JSON: a body must say
/// `Content-Type: application/json`; an empty body may say nothing.
pub(crate) fn require_json(headers: &HeaderMap, body: &[u8]) -> Result<(), Refusal> {
    match media_type(headers) {
        Some(kind) if is_json(&kind) => Ok(()),
        None if body.iter().all(u8::is_ascii_whitespace) => Ok(()),
        sent => Err(wrong_media_type(sent.as_deref(), "application/json")),
    }
}

/// Reads a request's body within the route's limit (axum's
/// `DefaultBodyLimit`, `limit` bytes); over it, 413.
pub(crate) async fn read_body<S: Send + Sync>(
    request: Request,
    state: &S,
    limit: usize,
) -> Result<axum::body::Bytes, Response> {
    use axum::extract::FromRequest;
    axum::body::Bytes::from_request(request, state)
        .await
        .map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large(limit).into_response()
            } else {
                ApiError::field(
                    "(body)",
                    format!("không đọc được nội dung: {e}"),
                    format!("cannot read the body: {e}"),
                )
                .into_response()
            }
        })
}

/// Whether the caller prefers English to Vietnamese (Accept-Language).
pub fn prefers_english(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut best: Option<(f32, bool)> = None;
    for part in value.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let english = if tag.starts_with("en") {
            true
        } else if tag.starts_with("vi") {
            false
        } else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, english));
        }
    }
    best.is_some_and(|(_, english)| english)
}

/// Middleware: writes an error's body in the request's language.
pub async fn localise(request: Request, next: Next) -> Response {
    let english = prefers_english(request.headers());
    let response = next.run(request).await;
    if !english {
        return response;
    }
    match response.extensions().get::<Messages>().cloned() {
        Some(messages) => {
            let mut fresh = problem_response(&messages.problem(false));
            for (name, value) in response.headers() {
                if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
                    fresh.headers_mut().insert(name.clone(), value.clone());
                }
            }
            fresh
        }
        None => response,
    }
}

/// The answer for every unknown path.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::no_route(uri.path())
}

/// Reads a numeric id from a path segment, or says which one is wrong.
pub fn parse_id(name: &str, text: &str) -> Result<i32, ApiError> {
    text.parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::field(
                name,
                format!("cần một số nguyên dương, nhận {text:?}"),
                format!("expected a positive whole number, got {text:?}"),
            )
        })
}

/// A query string extractor whose rejection is a problem detail (422
/// `invalid`) naming the parameter that does not read and why.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| QueryParams(q.0))
            .map_err(|e| {
                let text = e.body_text();
                // "Failed to deserialize query string: NAME: WHY"
                let why = text
                    .split_once("query string: ")
                    .map_or(text.as_str(), |(_, rest)| rest);
                let (field, reason) = match why.split_once(": ") {
                    Some((name, reason))
                        if !name.is_empty()
                            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                    {
                        (name.to_owned(), reason.to_owned())
                    }
                    _ => ("(query)".to_owned(), why.to_owned()),
                };
                ApiError::field(
                    &field,
                    format!("tham số không đọc được: {reason}"),
                    format!("the parameter does not read: {reason}"),
                )
            })
    }
}

/// A JSON body extractor whose rejections are problem details naming the
/// JSON path and what was expected.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        // A body of another type is refused before it is read.
        if media_type(&headers).is_some() {
            require_json(&headers, b"").map_err(IntoResponse::into_response)?;
        }
        let bytes = read_body(req, state, MAX_JSON_BODY).await?;
        require_json(&headers, &bytes).map_err(IntoResponse::into_response)?;
        parse_json(&bytes)
            .map(JsonBody)
            .map_err(IntoResponse::into_response)
    }
}

/// Reads a JSON body; an error names the JSON path, the line and column, and
/// what was expected.
///
/// # Errors
/// The body is not the expected JSON.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." {
            "(body)".to_owned()
        } else {
            path
        };
        ApiError::field(
            &field,
            format!(
                "JSON không hợp lệ (dòng {}, cột {}): {inner}",
                inner.line(),
                inner.column()
            ),
            format!(
                "invalid JSON (line {}, column {}): {inner}",
                inner.line(),
                inner.column()
            ),
        )
    })
}
