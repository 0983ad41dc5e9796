//! What every request and answer goes through at the edge:
//!
//! - [`same_site_only`]: a request that changes something (POST, PUT, PATCH,
//!   DELETE) sent by a browser from another site is refused (403
//!   `cross_site`) — `Origin` naming another host, or
//!   `Sec-Fetch-Site: cross-site`. A client that signs with
//!   `Authorization: Bearer` and sends no session cookie is no browser
//!   carrying someone's session, and is let through.
//! - [`answer_headers`]: `X-Content-Type-Options`, `Referrer-Policy`, a
//!   Content Security Policy that allows doorstep's own files only and no
//!   framing, and `Cache-Control: no-store` unless the answer chose its own
//!   (the stylesheet, the calendar feeds): pages and answers hold residents'
//!   names and phone numbers, which the Back button must not show after
//!   sign-out.
//! - [`errors_as_problems`]: an error answer that axum wrote itself (405, a
//!   body over a route's limit, a path or query it could not read) becomes
//!   problem details like every other error, and every 5xx is logged with
//!   its method, path and status.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::COOKIE;
use crate::error::{MAX_JSON_BODY, Refusal, too_large};

/// The Content Security Policy of every answer: doorstep's own files only
/// (its script, its service worker and manifest included), no inline
/// script or style, never inside another site's frame, forms sent only to
/// doorstep.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; \
     manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Middleware: refuses a cross-site request that would change something.
pub async fn same_site_only(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if unsafe_method
        && !bearer_without_cookie(request.headers())
        && let Some((vi, en)) = from_another_site(&request)
    {
        return Refusal {
            status: StatusCode::FORBIDDEN,
            code: "cross_site",
            title: "Cross-site request",
            vi: format!("yêu cầu từ trang web khác bị từ chối: {vi}"),
            en: format!("a request from another site is refused: {en}"),
            fields: Vec::new(),
        }
        .into_response();
    }
    next.run(request).await
}

/// Whether a request signs with a bearer token and carries no session
/// cookie: a script of another site cannot set `Authorization` without the
/// browser asking doorstep first (CORS), which doorstep never allows.
fn bearer_without_cookie(headers: &HeaderMap) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| {
            pair.trim()
                .split_once('=')
                .is_some_and(|(n, _)| n == COOKIE)
        });
    bearer && !cookie
}

/// Why a request comes from another site (Vietnamese, English), if it does.
fn from_another_site(request: &Request) -> Option<(String, String)> {
    let headers = request.headers();
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return Some((
            "Sec-Fetch-Site là cross-site".into(),
            "Sec-Fetch-Site is cross-site".into(),
        ));
    }
    let origin = headers.get(header::ORIGIN)?;
    let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
    let authority = origin
        .split_once("://")
        .map(|(scheme, rest)| (scheme.to_ascii_lowercase(), rest.to_ascii_lowercase()));
    let ours = [
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
        request.uri().authority().map(|a| a.as_str()),
        headers
            .get("x-forwarded-host")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next()),
    ];
    let same = authority.as_ref().is_some_and(|(scheme, host)| {
        ours.iter()
            .flatten()
            .any(|ours| same_host(scheme, host, &ours.trim().to_ascii_lowercase()))
    });
    (!same).then(|| {
        (
            format!("Origin {origin:?} không phải địa chỉ của doorstep"),
            format!("Origin {origin:?} is not doorstep's address"),
        )
    })
}

/// Whether `host[:port]` of an origin is `ours`, default ports aside.
fn same_host(scheme: &str, host: &str, ours: &str) -> bool {
    let plain = |h: &'_ str| -> String {
        let default = if scheme == "https" { ":443" } else { ":80" };
        h.strip_suffix(default).unwrap_or(h).to_owned()
    };
    plain(host) == plain(ours)
}

/// Middleware: the headers every answer carries.
pub async fn answer_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Middleware: axum's own error answers as problem details; every 5xx
/// logged with its method, path and status.
pub async fn errors_as_problems(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = crate::logged_path(request.uri().path()).to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if status.is_server_error() {
        tracing::error!(%method, %path, status = status.as_u16(), "answered with a server error");
    }
    if !(status.is_client_error() || status.is_server_error()) || written_by_doorstep(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let said = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let refusal = plain_refusal(status, &method, &path, &said);
    let mut fresh = refusal.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

/// Whether an error answer is already one of doorstep's: problem details,
/// or a page.
fn written_by_doorstep(response: &Response<Body>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json") || v.starts_with("text/html"))
}

/// The problem details of an error answer axum wrote as plain text.
fn plain_refusal(status: StatusCode, method: &Method, path: &str, said: &str) -> Refusal {
    let refusal = |code, title, vi: String, en: String| Refusal {
        status,
        code,
        title,
        vi,
        en,
        fields: Vec::new(),
    };
    match status {
        // axum adds the `Allow` header after this layer, to this answer too.
        StatusCode::METHOD_NOT_ALLOWED => refusal(
            "method_not_allowed",
            "Method not allowed",
            format!(
                "{path} không nhận {method}; tiêu đề Allow của câu trả lời nêu các phương thức dùng được"
            ),
            format!(
                "{path} does not take {method}; the answer's Allow header lists those it takes"
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => too_large(MAX_JSON_BODY),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => refusal(
            "unsupported_media_type",
            "Unsupported media type",
            format!("kiểu nội dung không dùng được ở đây: {said}"),
            format!("this body's type is not taken here: {said}"),
        ),
        StatusCode::SERVICE_UNAVAILABLE => refusal(
            "unavailable",
            "Service unavailable",
            format!("tạm thời chưa phục vụ được: {said}"),
            format!("unavailable for the moment: {said}"),
        ),
        s if s.is_server_error() => refusal(
            "internal",
            "Internal error",
            "lỗi hệ thống, vui lòng thử lại".into(),
            "internal error, please retry".into(),
        ),
        _ => refusal(
            "bad_request",
            "Bad request",
            format!("yêu cầu không hợp lệ: {said}"),
            format!("bad request: {said}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use axum::routing::{get, post};
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new()
            .route("/form", post(|| async { "ok" }))
            .route(
                "/broken",
                get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
            )
            .layer(axum::middleware::from_fn(super::errors_as_problems))
    }

    async fn body(response: axum::response::Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_method_the_path_does_not_take_is_a_problem_naming_the_allowed_ones() {
        let response = app()
            .oneshot(Request::get("/form").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "POST");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let problem = body(response).await;
        assert_eq!(problem["code"], "method_not_allowed");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("GET") && detail.contains("Allow"),
            "{problem}"
        );
    }

    #[tokio::test]
    async fn a_server_error_is_logged_with_its_method_path_and_status() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Lines(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let response = app()
            .oneshot(Request::get("/broken").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body(response).await["code"], "internal");
        let logged = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        for part in ["method=GET", "path=/broken", "status=500"] {
            assert!(logged.contains(part), "{logged}");
        }
    }
}
