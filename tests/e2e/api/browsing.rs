//! Pages read and forms sent as a signed-in browser sends them — the
//! session cookie, the site's `Host`, and for a form its `Origin` — shared
//! by the tests of each role's pages.

use axum::http::{HeaderMap, Method, StatusCode, header};

use super::TestApp;

/// The site the in-process browser is at.
const HOST: &str = "doorstep.test";
const ORIGIN: &str = "http://doorstep.test";

/// A page as the browser signed in with `cookie` reads it: status, headers
/// and text. A page answered 200 runs only doorstep's own scripts.
pub(super) async fn get_with_headers(
    app: &TestApp,
    path: &str,
    cookie: &str,
) -> (StatusCode, HeaderMap, String) {
    let (status, headers, bytes) = app
        .raw(
            Method::GET,
            path,
            None,
            None,
            &[("cookie", cookie), ("host", HOST)],
        )
        .await;
    let body = String::from_utf8(bytes).expect("UTF-8");
    if status == StatusCode::OK {
        super::assert_only_own_scripts(path, &body);
    }
    (status, headers, body)
}

/// A page as [`get_with_headers`] reads it: status and text.
pub(super) async fn get(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, String) {
    let (status, _, body) = get_with_headers(app, path, cookie).await;
    (status, body)
}

/// A form sent from a page of doorstep: status, `Location` and text.
pub(super) async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    post_with(app, path, cookie, form, &[]).await
}

/// A form of owned fields (as read from a page) sent as [`post`] does.
pub(super) async fn post_fields(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(String, String)],
) -> (StatusCode, String, String) {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post_with(app, path, cookie, &fields, &[]).await
}

/// A form sent as [`post`] does, with more headers.
pub(super) async fn post_with(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
    more: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    send(
        app,
        path,
        cookie,
        "application/x-www-form-urlencoded",
        body.into_bytes(),
        more,
    )
    .await
}

/// A body posted from a page of doorstep, with more headers than the
/// cookie, the host and the origin: status, `Location` and text.
pub(super) async fn send(
    app: &TestApp,
    path: &str,
    cookie: &str,
    content_type: &str,
    body: Vec<u8>,
    more: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let mut headers = vec![("cookie", cookie), ("origin", ORIGIN), ("host", HOST)];
    headers.extend_from_slice(more);
    let (status, headers, bytes) = app
        .raw_body(Method::POST, path, content_type, body, &headers)
        .await;
    let location = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        location,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// A form value as a browser encodes it.
pub(super) fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Every `<input>`, `<select>` and `<textarea>` of a page that is not
/// hidden has an id that a `<label for>` names.
pub(super) fn assert_labelled(path: &str, page: &str) {
    for tag in ["<input", "<select", "<textarea"] {
        for (at, _) in page.match_indices(tag) {
            let element = &page[at..at + page[at..].find('>').unwrap()];
            if element.contains("type=\"hidden\"") {
                continue;
            }
            let id = element
                .split("id=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("{path}: {element} has no id"));
            assert!(
                page.contains(&format!("for=\"{id}\"")),
                "{path}: {element} has no label"
            );
        }
    }
}

const BOUNDARY: &str = "doorstep-test-boundary";

/// A `multipart/form-data` form: text fields, then the file (if any).
pub(super) async fn post_multipart(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (StatusCode, String, String) {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"tep\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    send(
        app,
        path,
        cookie,
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        body,
        &[],
    )
    .await
}
