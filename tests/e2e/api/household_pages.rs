//! In-process tests of the leader's household pages: the register searched
//! with and without diacritics, filtered and paged with its filters kept;
//! what a volunteer sees of it; a household's page (needs with who changed
//! them and when, consent, visits past and to come) and setting a need
//! there; the availability editor (presets, preview equal to the API's
//! check, saving, a rule that does not read, refusals) and the pages in
//! English. Requests are sent as a browser sends them: the session cookie
//! and the page's token.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use doorstep_core::fold_vietnamese;
use serde_json::{Value, json};

use super::browsing::{assert_labelled, get, post_with, url_encode};
use super::pages::html;
use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, form_token, past_visits, rows, session_cookie};

/// A form sent from the register's page: status, `Location`, HTML.
async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let referer = [("referer", "http://doorstep.test/teams/1/ho-dan")];
    post_with(app, path, cookie, form, &referer).await
}

async fn api(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.call(Method::GET, path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// The households a register page links to, in order.
fn linked_households(page: &str) -> Vec<i64> {
    page.split("<h2><a href=\"/ho-dan/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
        .collect()
}

/// The `href` of the link marked `rel`, unescaped.
fn rel_link(page: &str, rel: &str) -> Option<String> {
    let at = page.find(&format!("rel=\"{rel}\""))?;
    let start = page[..at].rfind("href=\"")? + 6;
    let href = page[start..].split('"').next()?;
    Some(href.replace("&#38;", "&").replace("&amp;", "&"))
}

/// The text of the first `<textarea>`, unescaped.
fn textarea(page: &str) -> String {
    let open = page.find("<textarea").expect("a textarea");
    let start = open + page[open..].find('>').unwrap() + 1;
    let end = start + page[start..].find("</textarea>").unwrap();
    page[start..end]
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

/// The preview's windows: (start, end) as RFC 3339.
fn preview_windows(page: &str) -> Vec<(String, String)> {
    page.split("<li data-start=\"")
        .skip(1)
        .map(|rest| {
            let (start, rest) = rest.split_once('"').unwrap();
            let end = rest
                .split_once("data-end=\"")
                .unwrap()
                .1
                .split('"')
                .next()
                .unwrap();
            (start.to_owned(), end.to_owned())
        })
        .collect()
}

async fn display_name(app: &TestApp, user: &str) -> String {
    let token = app.login(user).await;
    api(app, "/api/v1/me", &token).await["display_name"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_register_finds_with_or_without_diacritics_and_pages_keep_the_filters() {
    let app = TestApp::demo().await;
    let cookie = session_cookie(&app, LEADER).await;
    let token = app.login(LEADER).await;

    // A resident whose name has diacritics and whose search fits a page.
    let mut chosen = None;
    for row in rows(
        &app,
        "SELECT r.full_name, h.id FROM residents r JOIN households h ON h.id = r.household_id \
         WHERE h.team_id = 1 ORDER BY r.id LIMIT 40",
    )
    .await
    {
        let folded = fold_vietnamese(&row[0]);
        if folded == row[0].to_lowercase() {
            continue;
        }
        let found = api(
            &app,
            &format!("/api/v1/teams/1/households?q={}", url_encode(&folded)),
            &token,
        )
        .await;
        if found["total"].as_u64().unwrap() <= 20 {
            chosen = Some((row[0].clone(), row[1].parse::<i64>().unwrap(), found));
            break;
        }
    }
    let (name, household, expected) = chosen.expect("a name with diacritics");
    let expected: Vec<i64> = expected["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect();
    let folded = fold_vietnamese(&name);
    for query in [folded.clone(), folded.to_uppercase(), name.clone()] {
        let path = format!("/teams/1/ho-dan?q={}", url_encode(&query));
        let (status, page) = get(&app, &path, &cookie).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains(&html(&name)), "{query}: {name} is found");
        assert_eq!(linked_households(&page), expected, "{query}");
        assert!(linked_households(&page).contains(&household));
        assert!(
            page.contains(&format!("value=\"{}\"", html(&query))),
            "the search stays in the box"
        );
        assert!(page.contains(&format!("Tìm thấy {} hộ", expected.len())));
        assert_labelled(&path, &page);
    }

    // The menu leads here; the leader sees phone numbers as call links.
    let (_, all) = get(&app, "/teams/1/ho-dan", &cookie).await;
    assert!(
        all.contains("<a href=\"/teams/1/ho-dan\">Hộ dân</a>"),
        "{all}"
    );
    assert!(all.contains("href=\"tel:"), "phones for the leader");
    assert!(all.contains("<html lang=\"vi\">"));

    // Filters as the API reads them.
    let village = rows(
        &app,
        "SELECT MIN(village_id) FROM households WHERE team_id = 1",
    )
    .await[0][0]
        .clone();
    for filters in [
        "presence=at_sea".to_owned(),
        "need=vneid_install&status=open".to_owned(),
        format!("village={village}&status=done"),
        "presence=at_sea&need=e_payment".to_owned(),
    ] {
        let total = api(
            &app,
            &format!("/api/v1/teams/1/households?{filters}&per_page=20"),
            &token,
        )
        .await["total"]
            .as_u64()
            .unwrap();
        assert!(total > 0, "{filters}");
        let (status, page) = get(&app, &format!("/teams/1/ho-dan?{filters}"), &cookie).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&format!("Tìm thấy {total} hộ")),
            "{filters}: {total}"
        );
        // The chosen options stay chosen.
        for pair in filters.split('&') {
            let value = pair.split_once('=').unwrap().1;
            assert!(
                page.contains(&format!("<option value=\"{value}\" selected>")),
                "{pair} stays chosen"
            );
        }
    }

    // Pages keep the filters: page 2 is the API's page 2.
    let filters = "need=vneid_install&status=open";
    let (_, first) = get(&app, &format!("/teams/1/ho-dan?{filters}"), &cookie).await;
    let total = api(
        &app,
        &format!("/api/v1/teams/1/households?{filters}&per_page=20"),
        &token,
    )
    .await["total"]
        .as_u64()
        .unwrap();
    assert!(total > 20, "more than a page: {total}");
    assert!(first.contains(&format!("Trang 1/{}", total.div_ceil(20))));
    let next = rel_link(&first, "next").expect("a next page");
    assert_eq!(next, format!("/teams/1/ho-dan?{filters}&page=2"));
    let (status, second) = get(&app, &next, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let api_second = api(
        &app,
        &format!("/api/v1/teams/1/households?{filters}&per_page=20&page=2"),
        &token,
    )
    .await;
    let ids: Vec<i64> = api_second["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect();
    assert_eq!(linked_households(&second), ids);
    assert!(linked_households(&first).iter().all(|id| !ids.contains(id)));
    assert_eq!(
        rel_link(&second, "prev").as_deref(),
        Some(format!("/teams/1/ho-dan?{filters}").as_str())
    );

    // Nothing found: said in words.
    let (status, none) = get(&app, "/teams/1/ho-dan?q=khongcoaitenthenay", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(none.contains("Tìm thấy 0 hộ"));
    assert!(none.contains("Không có hộ nào khớp với tìm kiếm"), "{none}");
    assert!(linked_households(&none).is_empty());

    // A filter that does not read: 422, each field named, the form kept.
    let (status, bad) = get(
        &app,
        "/teams/1/ho-dan?q=bien&presence=bay&village=abc&page=0",
        &cookie,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["presence", "village", "page"] {
        assert!(
            bad.contains(&format!("<code>{field}</code>")),
            "{field}: {bad}"
        );
    }
    assert!(bad.contains("id=\"q\" name=\"q\" type=\"search\" value=\"bien\""));
    assert!(linked_households(&bad).is_empty());

    // Another team's register is not found.
    let (status, _) = get(&app, "/teams/2/ho-dan", &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_volunteer_sees_only_the_households_of_their_visits_and_changes_nothing() {
    let app = TestApp::demo_with_calendars().await;
    let cookie = session_cookie(&app, VOLUNTEER).await;
    let volunteer = app.login(VOLUNTEER).await;
    let leader = app.login(LEADER).await;
    let theirs = api(&app, "/api/v1/teams/1/households?per_page=200", &volunteer).await;
    let visited: BTreeSet<i64> = theirs["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect();
    assert!(!visited.is_empty());

    let mut shown = BTreeSet::new();
    let mut path = Some("/teams/1/ho-dan".to_owned());
    while let Some(at) = path {
        let (status, page) = get(&app, &at, &cookie).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("Tìm thấy {} hộ", visited.len())));
        assert!(page.contains("Thành viên chỉ thấy các hộ mình được phân công"));
        assert!(!page.contains("href=\"tel:"), "no phone numbers");
        shown.extend(linked_households(&page));
        path = rel_link(&page, "next");
    }
    assert_eq!(shown, visited);

    // Their household's page: no phone numbers, nothing to change.
    let mine = *visited.iter().next().unwrap();
    let (status, page) = get(&app, &format!("/ho-dan/{mine}"), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("href=\"tel:"));
    assert!(!page.contains("action=\"/nhan-khau/"));
    assert!(!page.contains("/lich-ranh"));
    let resident = rows(
        &app,
        &format!("SELECT id FROM residents WHERE household_id = {mine} ORDER BY id LIMIT 1"),
    )
    .await[0][0]
        .clone();
    let (status, _) = get(&app, &format!("/nhan-khau/{resident}/lich-ranh"), &cookie).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "in reach, not theirs to edit"
    );
    let csrf = form_token(&page);
    let (status, _, _) = post(
        &app,
        &format!("/nhan-khau/{resident}/nhu-cau"),
        &cookie,
        &[
            ("csrf", &csrf),
            ("need", "vneid_install"),
            ("status", "done"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A household of the team they do not visit: not found.
    let all = api(&app, "/api/v1/teams/1/households?per_page=200", &leader).await;
    let other = all["households"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| !visited.contains(&h["id"].as_i64().unwrap()))
        .unwrap();
    let (status, _) = get(&app, &format!("/ho-dan/{}", other["id"]), &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let stranger = other["residents"][0]["id"].as_i64().unwrap();
    let (status, _) = get(&app, &format!("/nhan-khau/{stranger}/lich-ranh"), &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A search for it finds nothing.
    let key = other["external_id"].as_str().unwrap();
    let (_, page) = get(&app, &format!("/teams/1/ho-dan?q={key}"), &cookie).await;
    assert!(!linked_households(&page).contains(&other["id"].as_i64().unwrap()));
}

#[tokio::test]
async fn a_household_page_shows_needs_with_who_and_when_consent_and_visits() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let cookie = session_cookie(&app, LEADER).await;
    let leader_name = display_name(&app, LEADER).await;
    let volunteer_name = display_name(&app, VOLUNTEER).await;

    // A past visit of the volunteer, recorded: its first resident not home.
    let visit = past_visits(&app, &volunteer)
        .await
        .into_iter()
        .find(|v| !v["residents"].as_array().unwrap().is_empty())
        .expect("a past visit with a resident");
    let visit_id = visit["id"].as_i64().unwrap();
    let household = visit["household"]["id"].as_i64().unwrap();
    let resident = visit["residents"][0]["id"].as_i64().unwrap();
    let (status, answer) = app
        .call(
            Method::POST,
            &format!("/api/v1/visits/{visit_id}/outcome"),
            Some(&volunteer),
            Some(json!({
                "idempotency_key": "household-page-1",
                "outcomes": [{"resident_id": resident, "result": "not_home"}],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // The volunteer records the resident's consent with a text of its own.
    let consent = "Tôi đồng ý để tổ lưu tên và số điện thoại để hẹn hỗ trợ.";
    let (status, answer) = app
        .call(
            Method::PUT,
            &format!("/api/v1/residents/{resident}/consent"),
            Some(&volunteer),
            Some(json!({"text_version": "mẫu 03/2026", "text": consent})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let path = format!("/ho-dan/{household}");
    let (status, page) = get(&app, &path, &cookie).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_labelled(&path, &page);
    let address = visit["household"]["address"].as_str().unwrap();
    assert!(page.contains(&format!("<h1>{}</h1>", html(address))));
    // The map, in the phone's map app and on OpenStreetMap.
    let (lat, lon) = (
        visit["household"]["latitude"].as_f64().unwrap(),
        visit["household"]["longitude"].as_f64().unwrap(),
    );
    assert!(page.contains(&format!(
        "href=\"geo:{lat:.6},{lon:.6}?q={lat:.6},{lon:.6}\""
    )));
    assert!(page.contains(&format!(
        "href=\"https://www.openstreetmap.org/?mlat={lat:.6}&#38;mlon={lon:.6}#map=18/{lat:.6}/{lon:.6}\""
    )));
    // Consent: which text, who, when (the team's time).
    assert!(
        page.contains(&format!(
            "Đồng ý · văn bản “mẫu 03/2026” · ghi bởi {} · 07/12/2026 10:00",
            html(&volunteer_name)
        )),
        "{page}"
    );
    assert!(page.contains(&html(consent)));
    // The visit, past, with its member, its day solar and lunar, and what
    // was recorded.
    let start = chrono::DateTime::parse_from_rfc3339(visit["start"].as_str().unwrap()).unwrap();
    let day = start.date_naive();
    assert!(page.contains(&format!(
        "{} · âm lịch {}",
        day.format("%d/%m/%Y"),
        doorstep_service::daylist::lunar_short(day)
    )));
    assert!(page.contains(&html(&volunteer_name)));
    let resident_name = visit["residents"][0]["name"].as_str().unwrap();
    assert!(page.contains(&format!(
        "{}: Không có nhà · ghi bởi {}",
        html(resident_name),
        html(&volunteer_name)
    )));
    let past_at = page.find("<h3 class=\"sub\">Đã qua</h3>").unwrap();
    assert!(page[past_at..].contains(&start.format("%H:%M").to_string()));
    assert!(page.contains("<h3 class=\"sub\">Sắp tới</h3>"));

    // The leader sets an open need done from the page: one the visit was
    // for, so that its history also holds the volunteer's result.
    let purposes: Vec<String> = visit["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_owned())
        .collect();
    let open: Vec<String> = rows(
        &app,
        &format!(
            "SELECT step FROM needs WHERE resident_id = {resident} AND status = 'open' ORDER BY id"
        ),
    )
    .await
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    let step = open
        .iter()
        .find(|s| purposes.contains(s))
        .cloned()
        .expect("the visit is for an open need of its resident");
    let csrf = form_token(&page);
    let action = format!("/nhan-khau/{resident}/nhu-cau");
    assert!(page.contains(&format!("action=\"{action}\"")));
    // A stale form changes nothing.
    let (status, _, _) = post(
        &app,
        &action,
        &cookie,
        &[("csrf", "forged"), ("need", &step), ("status", "done")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A status that does not exist: 422 naming it.
    let (status, _, bad) = post(
        &app,
        &action,
        &cookie,
        &[("csrf", &csrf), ("need", &step), ("status", "bay")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("<code>status</code>"), "{bad}");
    let status_of = || {
        let app = &app;
        let step = step.clone();
        async move {
            rows(
                app,
                &format!(
                    "SELECT status, updated_by FROM needs WHERE resident_id = {resident} AND step = '{step}'"
                ),
            )
            .await[0]
                .clone()
        }
    };
    assert_eq!(status_of().await[0], "open");
    let (status, location, _) = post(
        &app,
        &action,
        &cookie,
        &[("csrf", &csrf), ("need", &step), ("status", "done")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location,
        format!("/ho-dan/{household}?da_luu=nhu_cau&nk={resident}&nc={step}#r{resident}")
    );
    let stored = status_of().await;
    assert_eq!(stored[0], "done");
    assert!(stored[1].starts_with("user:"), "{stored:?}");
    let (_, after) = get(&app, location.split('#').next().unwrap(), &cookie).await;
    let label = doorstep_core::NeedStep::parse(&step).unwrap().label_vi();
    assert!(
        after.contains(&format!(
            "Đã lưu: {label} của {} nay là “Đã xong”.",
            html(resident_name)
        )),
        "{after}"
    );
    assert!(
        after.contains(&format!(
            "07/12/2026 10:00 · {} · Chưa xong → Đã xong",
            html(&leader_name)
        )),
        "the need's history says who and when: {after}"
    );
    assert!(after.contains(&format!(
        "Cập nhật 07/12/2026 10:00 · bởi {}",
        html(&leader_name)
    )));
    // The volunteer's result is in the same history.
    let result = format!(
        "07/12/2026 10:00 · {} · Kết quả lượt thăm: Không có nhà",
        html(&volunteer_name)
    );
    let set = format!(
        "07/12/2026 10:00 · {} · Chưa xong → Đã xong",
        html(&leader_name)
    );
    let at = after.find(&format!("id=\"r{resident}\"")).unwrap();
    let section = &after[at..at + after[at..].find("</section>").unwrap()];
    assert!(section.contains(&result), "{section}");
    assert!(section.contains(&set), "{section}");
}

#[tokio::test]
async fn the_availability_editor_previews_as_the_api_checks_and_saves_on_the_resident() {
    let app = TestApp::demo().await;
    let cookie = session_cookie(&app, LEADER).await;
    let token = app.login(LEADER).await;
    let row = rows(
        &app,
        "SELECT r.id, h.id, h.external_id, r.full_name FROM residents r \
         JOIN households h ON h.id = r.household_id WHERE h.team_id = 1 ORDER BY r.id LIMIT 1",
    )
    .await[0]
        .clone();
    let (resident, household, key, name) = (
        row[0].parse::<i64>().unwrap(),
        row[1].clone(),
        row[2].clone(),
        row[3].clone(),
    );
    let path = format!("/nhan-khau/{resident}/lich-ranh");
    let stored = || {
        let (app, token, key) = (&app, &token, &key);
        async move {
            let found = api(
                app,
                &format!("/api/v1/teams/1/households?q={}", url_encode(key)),
                token,
            )
            .await;
            found["households"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|h| h["residents"].as_array().unwrap())
                .find(|r| r["id"] == resident)
                .expect("the resident")["availability"]
                .clone()
        }
    };

    // The editor: presets, the stored rule in the box, previewed.
    let (status, page) = get(&app, &path, &cookie).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_labelled(&path, &page);
    for words in [
        "Đi biển, về bờ quanh rằm",
        "Làm việc ở nước ngoài",
        "Làm nông",
        "Xem trước",
        "Lưu",
        "Trạm thủy triều",
    ] {
        assert!(page.contains(words), "{words}");
    }
    let before = stored().await;
    if !before.is_null() {
        let in_box: Value = serde_json::from_str(&textarea(&page)).unwrap();
        assert_eq!(in_box, before, "the stored rule is in the box");
    }
    let csrf = form_token(&page);

    // A preset with its parameters fills the box and is previewed.
    let (status, preset) = get(
        &app,
        &format!("{path}?mau=fishing_crew&tram=lach-bang"),
        &cookie,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preset}");
    let in_box: Value = serde_json::from_str(&textarea(&preset)).unwrap();
    assert_eq!(in_box["when"][0]["lunar_days"], json!([13, 18]));
    assert_eq!(in_box["except"][0]["tide"]["station"], "lach-bang");
    assert!(preset.contains(
        "Ở nhà quanh rằm (âm lịch 13–18), 07:00–20:00, trừ 90 phút quanh nước lớn (trạm lach-bang)"
    ));
    assert!(preset.contains("<option value=\"lach-bang\" selected>"));
    let (status, abroad) = get(
        &app,
        &format!("{path}?mau=worker_abroad&quoc_gia=JP"),
        &cookie,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(textarea(&abroad).contains("Asia/Tokyo"));
    // A country of several zones without a zone: the field is named.
    let (status, several) = get(
        &app,
        &format!("{path}?mau=worker_abroad&quoc_gia=US"),
        &cookie,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(several.contains("<code>quoc_gia</code>"), "{several}");

    // Preview: the words and windows the API's check gives for the rule.
    let rule = json!({"version": 1, "mode": "in_person", "when": [
        {"hours": ["18:00", "21:00"]},
        {"weekdays": ["sat", "sun"], "hours": ["08:00", "11:00"]}]});
    let text = serde_json::to_string_pretty(&rule).unwrap();
    let (status, _, shown) = post(
        &app,
        &path,
        &cookie,
        &[("csrf", &csrf), ("quy_tac", &text), ("lam", "xem")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let (status, checked) = app
        .call(
            Method::POST,
            "/api/v1/rules/check",
            Some(&token),
            Some(json!({"rule": rule, "team_id": 1, "days": 14})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let expected: Vec<(String, String)> = checked["next_windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["start"].as_str().unwrap().to_owned(),
                w["end"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(preview_windows(&shown), expected);
    assert!(shown.contains(&html(checked["description_vi"].as_str().unwrap())));
    // Each window is said with its day solar and lunar and its hours.
    let first = &checked["next_windows"][0];
    let start = chrono::DateTime::parse_from_rfc3339(first["start"].as_str().unwrap()).unwrap();
    let end = chrono::DateTime::parse_from_rfc3339(first["end"].as_str().unwrap()).unwrap();
    assert!(shown.contains(&format!(
        "{} ({} âm) {}–{}",
        start.format("%d/%m"),
        first["lunar"].as_str().unwrap(),
        start.format("%H:%M"),
        end.format("%H:%M")
    )));
    assert_eq!(textarea(&shown), text, "the box keeps the rule");
    assert_eq!(stored().await, before, "a preview stores nothing");

    // Save: stored on the resident, back to the household, said there.
    let (status, location, _) = post(
        &app,
        &path,
        &cookie,
        &[("csrf", &csrf), ("quy_tac", &text), ("lam", "luu")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location,
        format!("/ho-dan/{household}?da_luu=lich&nk={resident}#r{resident}")
    );
    assert_eq!(stored().await, rule);
    let (_, back) = get(&app, location.split('#').next().unwrap(), &cookie).await;
    assert!(back.contains(&format!("Đã lưu lịch rảnh của {}.", html(&name))));
    assert!(back.contains(&html(checked["description_vi"].as_str().unwrap())));
    assert!(
        back.contains(&format!("href=\"{path}\"")),
        "the way back to the editor"
    );

    // A rule that does not read: 422, its place named, the text kept,
    // nothing stored.
    let bad = r#"{"mode": "in_person", "when": [{"hours": ["25:00", "08:00"]}]}"#;
    for lam in ["xem", "luu"] {
        let (status, _, page) = post(
            &app,
            &path,
            &cookie,
            &[("csrf", &csrf), ("quy_tac", bad), ("lam", lam)],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lam}");
        assert!(
            page.contains("<code>tại when[0].hours[0]</code>"),
            "{lam}: {page}"
        );
        assert!(page.contains("25:00"));
        assert_eq!(textarea(&page), bad, "the text stays in the box");
        assert!(page.contains("aria-invalid=\"true\""));
    }
    let broken = "{\"mode\": \"in_person\",\n \"when\": [{\"hours\": [\"18:00\" \"21:00\"]}]}";
    let (status, _, page) = post(
        &app,
        &path,
        &cookie,
        &[("csrf", &csrf), ("quy_tac", broken), ("lam", "luu")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("<code>dòng 2, cột"), "{page}");
    assert_eq!(textarea(&page), broken);
    assert_eq!(stored().await, rule, "nothing stored");

    // A stale form: refused, nothing stored.
    let (status, _, _) = post(
        &app,
        &path,
        &cookie,
        &[("csrf", "forged"), ("quy_tac", bad), ("lam", "luu")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(&app, &path, &cookie, &[("quy_tac", "{}"), ("lam", "luu")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(stored().await, rule);

    // Another team's leader and an official are refused, as the API does.
    let other = "totruong.dinhbinh";
    app.add_user(other, "leader", Some(2), None, None).await;
    let other_cookie = session_cookie(&app, other).await;
    let (status, own) = get(&app, "/teams/2/ho-dan", &other_cookie).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&app, &path, &other_cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&app, &format!("/ho-dan/{household}"), &other_cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = post(
        &app,
        &path,
        &other_cookie,
        &[
            ("csrf", &form_token(&own)),
            ("quy_tac", "{}"),
            ("lam", "luu"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let official = session_cookie(&app, OFFICIAL).await;
    let (status, _) = get(&app, &path, &official).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(stored().await, rule);

    // An empty box saved clears the rule.
    let (status, _, _) = post(
        &app,
        &path,
        &cookie,
        &[("csrf", &csrf), ("quy_tac", "  "), ("lam", "luu")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(stored().await.is_null());
}

#[tokio::test]
async fn the_household_pages_speak_english_after_the_switch() {
    let app = TestApp::demo().await;
    let cookie = session_cookie(&app, LEADER).await;
    let (_, vi) = get(&app, "/teams/1/ho-dan", &cookie).await;
    let (status, location, _) = post(
        &app,
        "/ngon-ngu",
        &cookie,
        &[("csrf", &form_token(&vi)), ("lang", "en")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/teams/1/ho-dan");

    let (status, list) = get(&app, "/teams/1/ho-dan?presence=at_sea", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("<html lang=\"en\">"));
    for words in [
        "<h1>Households</h1>",
        "Search by name",
        "households found",
        "Need status",
        "At sea",
    ] {
        assert!(list.contains(words), "{words}: {list}");
    }
    for words in ["Tìm thấy", "Hiện trạng", "Trạng thái nhu cầu"] {
        assert!(!list.contains(words), "{words}");
    }
    let household = linked_households(&list)[0];
    let (_, page) = get(&app, &format!("/ho-dan/{household}"), &cookie).await;
    for words in [
        "Residents",
        "When they can be reached",
        "Consent",
        "Needs",
        "Visits",
        "Edit availability",
    ] {
        assert!(page.contains(words), "{words}");
    }
    assert!(!page.contains("Nhân khẩu") && !page.contains("Lượt thăm"));
    let resident = rows(
        &app,
        &format!("SELECT id FROM residents WHERE household_id = {household} ORDER BY id LIMIT 1"),
    )
    .await[0][0]
        .clone();
    let (_, editor) = get(
        &app,
        &format!("/nhan-khau/{resident}/lich-ranh?mau=farmer"),
        &cookie,
    )
    .await;
    for words in [
        "Start from a preset",
        "Fishing crew, ashore around the full moon",
        "Preview",
        "Save",
        "At home",
        "lunar",
    ] {
        assert!(editor.contains(words), "{words}: {editor}");
    }
    assert!(!editor.contains("Xem trước") && !editor.contains("âm)"));
    // A rule that does not read says so in English.
    let (status, _, bad) = post(
        &app,
        &format!("/nhan-khau/{resident}/lich-ranh"),
        &cookie,
        &[
            ("csrf", &form_token(&editor)),
            ("quy_tac", "{\"when\": ["),
            ("lam", "xem"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("<code>line 1, column"), "{bad}");
    assert!(bad.contains("The rule does not read"));
}

#[tokio::test]
async fn the_leader_records_and_withdraws_consent_from_the_household_page() {
    let app = TestApp::with_history().await;
    let cookie = session_cookie(&app, LEADER).await;
    let leader_name = display_name(&app, LEADER).await;
    let found = rows(
        &app,
        "SELECT r.id, r.household_id, r.full_name FROM residents r \
         JOIN households h ON h.id = r.household_id WHERE h.team_id = 1 ORDER BY r.id LIMIT 1",
    )
    .await;
    let (resident, household, name) = (&found[0][0], &found[0][1], &found[0][2]);
    let action = format!("/nhan-khau/{resident}/dong-y");
    let household_page = format!("/ho-dan/{household}");
    let consented =
        format!("SELECT COUNT(*) FROM residents WHERE id = {resident} AND consent_at IS NOT NULL");
    let (_, page) = get(&app, &household_page, &cookie).await;
    let token = form_token(&page);

    // Withdrawn, if given; then given again against a version new to the
    // team, with its text.
    if rows(&app, &consented).await[0][0] == "1" {
        let (status, location, body) = post(
            &app,
            &action,
            &cookie,
            &[("csrf", token.as_str()), ("lam", "rut")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        assert_eq!(
            location,
            format!("{household_page}?da_luu=rut_dong_y&nk={resident}#r{resident}")
        );
        let (_, page) = get(&app, &location, &cookie).await;
        assert!(
            page.contains(&format!("Đã lưu: {} rút lại sự đồng ý", html(name))),
            "{page}"
        );
        assert_eq!(rows(&app, &consented).await[0][0], "0");
    }
    let text = "Tôi đồng ý để tổ lưu tên, số điện thoại và đến nhà hỗ trợ.";
    let (status, location, body) = post(
        &app,
        &action,
        &cookie,
        &[
            ("csrf", token.as_str()),
            ("lam", "ghi"),
            ("phien_ban", "mẫu 09/2026"),
            ("noi_dung", text),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(
        location,
        format!("{household_page}?da_luu=dong_y&nk={resident}#r{resident}")
    );
    assert_eq!(rows(&app, &consented).await[0][0], "1");
    let (_, page) = get(&app, &location, &cookie).await;
    assert!(
        page.contains(&format!(
            "Đã lưu: {} đồng ý được thăm và hỗ trợ.",
            html(name)
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "Đồng ý · văn bản “mẫu 09/2026” · ghi bởi {}",
            html(&leader_name)
        )),
        "{page}"
    );
    assert!(page.contains(&html(text)));

    // Withdrawn again, the form offers the team's last version, and that
    // version alone is enough: its text is the team's.
    let (status, _, _) = post(
        &app,
        &action,
        &cookie,
        &[("csrf", token.as_str()), ("lam", "rut")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = get(&app, &household_page, &cookie).await;
    assert_labelled(&household_page, &page);
    assert!(
        page.contains(&format!(
            "id=\"phien-ban-{resident}\" name=\"phien_ban\" value=\"mẫu 09/2026\""
        )),
        "{page}"
    );
    let (status, _, body) = post(
        &app,
        &action,
        &cookie,
        &[
            ("csrf", token.as_str()),
            ("lam", "ghi"),
            ("phien_ban", "mẫu 09/2026"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(rows(&app, &consented).await[0][0], "1");

    // What does not read is refused with its field, and nothing changes.
    let before = rows(&app, "SELECT COUNT(*) FROM consents").await;
    for (version, expected) in [("", "text_version"), ("mẫu chưa có", "tổ chưa có văn bản")]
    {
        let (status, _, body) = post(
            &app,
            &action,
            &cookie,
            &[
                ("csrf", token.as_str()),
                ("lam", "ghi"),
                ("phien_ban", version),
            ],
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{version}: {body}"
        );
        assert!(body.contains(expected), "{version}: {body}");
    }
    // A stale form, and a volunteer, are refused.
    let (status, _, _) = post(&app, &action, &cookie, &[("csrf", "stale"), ("lam", "rut")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let volunteer = session_cookie(&app, VOLUNTEER).await;
    let (_, day) = get(&app, "/lich-cua-toi", &volunteer).await;
    let (status, _, _) = post(
        &app,
        &action,
        &volunteer,
        &[("csrf", form_token(&day).as_str()), ("lam", "rut")],
    )
    .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
    assert_eq!(rows(&app, "SELECT COUNT(*) FROM consents").await, before);
    assert_eq!(rows(&app, &consented).await[0][0], "1");
}
