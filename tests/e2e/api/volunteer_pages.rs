//! In-process tests of the volunteer's pages: one-tap outcomes per resident
//! (recorded once however often sent, asked before a recorded result
//! changes), tomorrow's list, the calendar feed with its QR code, the app
//! shell (manifest, service worker, script) and what personal pages let
//! the HTTP cache keep, and the scope of a volunteer's pages. Requests are
//! sent as a browser sends them: the session cookie and the page's token.

use axum::http::{Method, StatusCode, header};
use chrono::Days;
use serde_json::Value;

use super::browsing::{get_with_headers as get, post_fields as post};
use super::{TestApp, VOLUNTEER, form_token, session_cookie, today};

/// The hidden fields of the first form on a page that posts to `action`.
fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("action=\"{action}\""))
        .expect("the form");
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    form.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|part| {
            let (name, rest) = part.split_once("\" value=\"").unwrap();
            let value = rest.split('"').next().unwrap();
            (name.to_owned(), value.replace("&#38;", "&"))
        })
        .collect()
}

/// Outcomes recorded at a visit: (resident, result).
async fn recorded(app: &TestApp, visit: i64) -> Vec<Vec<String>> {
    super::rows(
        app,
        &format!("SELECT resident_id, result FROM outcomes WHERE visit_id = {visit} ORDER BY id"),
    )
    .await
}

/// A past visit of the volunteer, with its day.
async fn past_visit(app: &TestApp) -> (Value, String) {
    let token = app.login(VOLUNTEER).await;
    let visits = super::past_visits(app, &token).await;
    let visit = visits
        .into_iter()
        .find(|v| !v["residents"].as_array().unwrap().is_empty())
        .expect("a past visit with a resident");
    let day = visit["start"].as_str().unwrap()[..10].to_owned();
    (visit, day)
}

#[tokio::test]
async fn one_tap_records_a_resident_once_and_a_second_tap_asks_before_changing() {
    let app = TestApp::with_history().await;
    let cookie = session_cookie(&app, VOLUNTEER).await;
    let (visit, day) = past_visit(&app).await;
    let id = visit["id"].as_i64().unwrap();
    let resident = visit["residents"][0]["id"].as_i64().unwrap();
    let name = visit["residents"][0]["name"].as_str().unwrap().to_owned();
    let action = format!("/visits/{id}/ket-qua");

    let (status, _, page) = get(&app, &format!("/lich-cua-toi?ngay={day}"), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    // One small form per result, each one tap.
    for result in [
        "done",
        "not_home",
        "reschedule",
        "refused",
        "needs_appointment",
    ] {
        assert!(
            page.contains(&format!("name=\"r{resident}\" value=\"{result}\"")),
            "{result}"
        );
    }
    for words in [
        "Đã xong",
        "Không có nhà",
        "Hẹn lại",
        "Từ chối",
        "Cần hẹn công an",
    ] {
        assert!(page.contains(words), "{words}");
    }
    assert!(page.contains("class=\"btn tap"), "large tap targets");
    let csrf = form_token(&page);
    let tap = |result: &str, key: &str| {
        vec![
            ("csrf".to_owned(), csrf.clone()),
            ("key".to_owned(), key.to_owned()),
            ("mot".to_owned(), "1".to_owned()),
            ("ngay".to_owned(), day.clone()),
            (format!("n{resident}"), name.clone()),
            (format!("r{resident}"), result.to_owned()),
        ]
    };

    // One tap: recorded, back to the day's list at the visit.
    let back = format!("/lich-cua-toi?ngay={day}&ghi={id}#v{id}");
    let (status, location, _) = post(&app, &action, &cookie, &tap("done", "tap-1")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, back);
    assert_eq!(
        recorded(&app, id).await,
        vec![vec![resident.to_string(), "done".into()]]
    );
    // The same tap again (a double tap, a resend): recorded once.
    let (status, location, _) = post(&app, &action, &cookie, &tap("done", "tap-1")).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, back.as_str())
    );
    assert_eq!(recorded(&app, id).await.len(), 1);
    // The list shows it.
    let (_, _, page) = get(&app, &back.replace(&format!("#v{id}"), ""), &cookie).await;
    assert!(page.contains(&format!(
        "data-resident=\"{resident}\" data-current=\"done\""
    )));
    assert!(page.contains("<span class=\"tag s-recorded\">Đã xong</span>"));

    // Another result for the same resident: asked first, nothing written.
    let (status, _, confirm) = post(&app, &action, &cookie, &tap("not_home", "tap-2")).await;
    assert_eq!(status, StatusCode::OK, "{confirm}");
    assert!(confirm.contains("Đổi kết quả đã ghi?"), "{confirm}");
    assert!(confirm.contains("Đã xong") && confirm.contains("Không có nhà"));
    assert!(confirm.contains(&super::pages::html(&name)));
    assert!(
        confirm.contains(&format!("href=\"/lich-cua-toi?ngay={day}#v{id}\"")),
        "keep it"
    );
    assert_eq!(
        recorded(&app, id).await,
        vec![vec![resident.to_string(), "done".into()]]
    );
    // Confirmed: the change is sent as a correction, once.
    let fields = form_fields(&confirm, &action);
    assert!(
        fields.contains(&("correction".into(), "1".into())),
        "{fields:?}"
    );
    let (status, location, _) = post(&app, &action, &cookie, &fields).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, back.as_str())
    );
    let (status, _, _) = post(&app, &action, &cookie, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the same confirmation again");
    assert_eq!(
        recorded(&app, id).await,
        vec![vec![resident.to_string(), "not_home".into()]]
    );
    // Found away: the list shows their next likely times.
    let (_, _, page) = get(&app, &back.replace(&format!("#v{id}"), ""), &cookie).await;
    assert!(page.contains("Lần tới có thể gặp"), "next likely times");
    assert!(page.contains("<span class=\"tag s-recorded\">Không có nhà</span>"));
    // Without the token of the page: refused.
    let mut stale = tap("refused", "tap-3");
    stale[0].1 = "0".repeat(64);
    let (status, _, _) = post(&app, &action, &cookie, &stale).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_day_links_tomorrow_and_the_calendar_feed_with_its_qr_code() {
    let app = TestApp::demo_with_calendars().await;
    let cookie = session_cookie(&app, VOLUNTEER).await;
    let tomorrow = today() + Days::new(1);
    let (status, headers, page) = get(&app, "/lich-cua-toi", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(
        page.contains(&format!(
            "<a href=\"/lich-cua-toi?ngay={tomorrow}\" class=\"tomorrow\">Ngày mai</a>"
        )),
        "{page}"
    );
    assert!(page.contains("href=\"/lich-cua-toi/dien-thoai\""));
    // On tomorrow's list, the pager's next day is the day after.
    let (_, _, page) = get(&app, &format!("/lich-cua-toi?ngay={tomorrow}"), &cookie).await;
    assert!(!page.contains("class=\"tomorrow\""));

    let (status, headers, page) = get(&app, "/lich-cua-toi/dien-thoai", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(page.contains("Lịch trên điện thoại"));
    let token = app.login(VOLUNTEER).await;
    let member = app
        .call(Method::GET, "/api/v1/me", Some(&token), None)
        .await
        .1["member_id"]
        .as_i64()
        .unwrap();
    let feed = app
        .call(
            Method::GET,
            &format!("/api/v1/members/{member}/calendar"),
            Some(&token),
            None,
        )
        .await
        .1["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("http://doorstep.test{feed}");
    assert!(
        page.contains(&format!("<code>{url}</code>")),
        "the address printed"
    );
    let svg = &page[page.find("<svg").expect("the QR code as inline SVG")..];
    assert!(
        svg.contains("</svg>") && svg.contains("<path"),
        "drawn here"
    );
    assert!(
        !page.contains("https://") && !page.contains("<img"),
        "no other site"
    );
    // The feed answers at that address.
    let (status, headers, _) = app.raw(Method::GET, &feed, None, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
}

#[tokio::test]
async fn the_app_shell_is_doorsteps_own_and_personal_pages_are_not_stored() {
    let app = TestApp::demo_with_calendars().await;
    let cookie = session_cookie(&app, VOLUNTEER).await;
    for (path, content_type, cache) in [
        (
            "/manifest.webmanifest",
            "application/manifest+json",
            "public, max-age=3600",
        ),
        ("/sw.js", "text/javascript; charset=utf-8", "no-cache"),
        (
            "/assets/app.js",
            "text/javascript; charset=utf-8",
            "no-cache",
        ),
        ("/assets/icon.svg", "image/svg+xml", "public, max-age=86400"),
    ] {
        let (status, headers, bytes) = app.raw(Method::GET, path, None, None, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], content_type, "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], cache, "{path}");
        assert!(
            headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
            "{path}"
        );
        let text = String::from_utf8(bytes).unwrap();
        // Same origin only: nothing fetched from another host.
        for line in text.lines() {
            let svg_namespace = line.contains("www.w3.org/2000/svg");
            assert!(
                !line.contains("https://") && (!line.contains("http://") || svg_namespace),
                "{path}: {line}"
            );
        }
    }
    let (_, _, bytes) = app
        .raw(Method::GET, "/manifest.webmanifest", None, None, &[])
        .await;
    let manifest: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(manifest["start_url"], "/lich-cua-toi");
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["lang"], "vi");
    assert_eq!(manifest["icons"][0]["src"], "/assets/icon.svg");
    let (_, headers, _) = app.raw(Method::GET, "/sw.js", None, None, &[]).await;
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for part in [
        "script-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }

    // Pages link the manifest and the one deferred script; personal pages
    // are kept by no HTTP cache.
    for path in ["/lich-cua-toi", "/teams/1/lich", "/lich-cua-toi/dien-thoai"] {
        let (status, headers, page) = get(&app, path, &cookie).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
        assert!(page.contains("<link rel=\"manifest\" href=\"/manifest.webmanifest\">"));
        assert!(page.contains("<script src=\"/assets/app.js\" defer></script>"));
        assert!(
            page.contains("<body data-cache=\""),
            "the session's offline copies"
        );
        assert!(page.contains("data-sign-out"));
    }
    // Signing out clears what the browser kept for the session.
    let (_, _, page) = get(&app, "/lich-cua-toi", &cookie).await;
    let (status, headers, _) = app
        .raw_body(
            Method::POST,
            "/dang-xuat",
            "application/x-www-form-urlencoded",
            format!("csrf={}", form_token(&page)).into_bytes(),
            &[
                ("cookie", &cookie),
                ("origin", "http://doorstep.test"),
                ("host", "doorstep.test"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/dang-nhap");
    assert_eq!(headers["clear-site-data"], "\"cache\", \"storage\"");
    // The session is gone: the list is not served any more.
    let (status, _, _) = get(&app, "/lich-cua-toi", &cookie).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_volunteer_reads_and_records_only_the_households_of_their_own_visits() {
    let app = TestApp::with_history().await;
    let cookie = session_cookie(&app, VOLUNTEER).await;
    let token = app.login(VOLUNTEER).await;
    let me = app
        .call(Method::GET, "/api/v1/me", Some(&token), None)
        .await
        .1["member_id"]
        .as_i64()
        .unwrap();
    let db = app.store.connection();
    let teammate = doorstep_store::team_members(db, 1)
        .await
        .unwrap()
        .into_iter()
        .find(|m| i64::from(m.id) != me)
        .unwrap()
        .id;
    let stranger = doorstep_store::team_members(db, 2).await.unwrap()[0].id;
    for member in [teammate, stranger] {
        let (status, _, page) = get(&app, &format!("/members/{member}/ngay"), &cookie).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{member}");
        assert!(page.contains("Không tìm thấy"));
    }
    // A teammate's visit of a past day: neither its outcome nor its
    // households are the volunteer's.
    let others = super::rows(
        &app,
        &format!(
            "SELECT v.id, h.address FROM visits v JOIN households h ON h.id = v.household_id \
             WHERE v.member_id = {teammate} AND v.on_calendar ORDER BY v.start_at LIMIT 1"
        ),
    )
    .await;
    let (visit, address) = (&others[0][0], &others[0][1]);
    let (_, _, page) = get(&app, "/lich-cua-toi", &cookie).await;
    let csrf = form_token(&page);
    let (status, _, answer) = post(
        &app,
        &format!("/visits/{visit}/ket-qua"),
        &cookie,
        &[
            ("csrf".to_owned(), csrf),
            ("key".to_owned(), "not-mine".to_owned()),
            ("mot".to_owned(), "1".to_owned()),
            ("r1".to_owned(), "done".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(recorded(&app, visit.parse().unwrap()).await.len(), 0);
    // Their own lists name only the households of their own visits.
    let mine: Vec<String> = super::rows(
        &app,
        &format!("SELECT DISTINCT h.address FROM visits v JOIN households h ON h.id = v.household_id WHERE v.member_id = {me} AND v.on_calendar"),
    )
    .await
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    for back in 0..4 {
        let day = today() - Days::new(back);
        let (_, _, page) = get(
            &app,
            &format!("/lich-cua-toi?ngay={day}&ghi={visit}"),
            &cookie,
        )
        .await;
        if !mine.contains(address) {
            assert!(!page.contains(&super::pages::html(address)), "{address}");
        }
        assert!(
            !page.contains("Lần tới có thể gặp"),
            "another's visit says nothing"
        );
    }
}
