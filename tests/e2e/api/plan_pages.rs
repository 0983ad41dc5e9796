//! In-process tests of a leader's planning pages, sent as a browser sends
//! them (the session cookie, the page's token, the site's origin): the
//! team's week as a grid and a day at a time, blackouts on their days,
//! pinning, moving and cancelling a visit (read back through the API),
//! planning and re-planning from the page into a draft whose differences
//! are the API's, publishing it, and a member's day as a route.
//!
//! The pages plan with a fixed number of iterations (`page_iterations` of
//! the state), never against the clock.

use axum::http::{HeaderMap, Method, StatusCode, header};
use chrono::{DateTime, Days, NaiveDate};
use serde_json::{Value, json};

use super::browsing::{get_with_headers, post};
use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, form_token, rows, session_cookie, today};

/// The pages' planner search in these tests.
const PAGE_ITERATIONS: u64 = 2_000;

/// The demo with its calendars, and pages that plan by iterations.
async fn app() -> TestApp {
    let mut app = TestApp::demo_with_calendars().await;
    let mut state = doorstep_api::AppState::new(app.store.clone());
    state.clock = app.clock.clone();
    state.planning.page_iterations = Some(PAGE_ITERATIONS);
    app.router = doorstep_api::router(state);
    app
}

/// A page as the browser signed in with `cookie` reads it; answered 200,
/// it is HTML.
async fn get(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, HeaderMap, String) {
    let (status, headers, body) = get_with_headers(app, path, cookie).await;
    if status == StatusCode::OK {
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
    }
    (status, headers, body)
}

/// A page that must answer 200.
async fn page(app: &TestApp, path: &str, cookie: &str) -> String {
    let (status, _, body) = get(app, path, cookie).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// Text as the templates escape it.
fn html(text: &str) -> String {
    super::pages::html(text)
}

async fn api(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.call(Method::GET, path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// A signed-in browser: its cookie and its pages' token.
async fn browser(app: &TestApp, user: &str) -> (String, String) {
    let cookie = session_cookie(app, user).await;
    let calendar = page(app, "/teams/1/lich", &cookie).await;
    (cookie.clone(), form_token(&calendar))
}

/// The visits on team 1's calendar, as the API gives them.
async fn calendar_visits(app: &TestApp, token: &str) -> Vec<Value> {
    let mut visits = Vec::new();
    for brief in api(app, "/api/v1/teams/1/plans", token)
        .await
        .as_array()
        .unwrap()
    {
        let plan = api(app, &format!("/api/v1/plans/{}", brief["id"]), token).await;
        visits.extend(
            plan["visits"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["on_calendar"] == true)
                .cloned(),
        );
    }
    visits
}

/// A visit as the API gives it now.
async fn visit(app: &TestApp, token: &str, v: &Value) -> Value {
    let plan = api(app, &format!("/api/v1/plans/{}", v["plan_id"]), token).await;
    plan["visits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == v["id"])
        .cloned()
        .expect("the visit is in its plan")
}

fn start_of(v: &Value) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(v["start"].as_str().unwrap()).unwrap()
}

fn day_of(v: &Value) -> NaiveDate {
    start_of(v).date_naive()
}

/// A day's section of the calendar page: from its anchor to the next.
fn day_section(body: &str, date: NaiveDate) -> &str {
    let at = body
        .find(&format!("<section id=\"d-{date}\""))
        .unwrap_or_else(|| panic!("the day {date} is on the page"));
    let rest = &body[at..];
    &rest[..rest.find("</section>").unwrap()]
}

#[tokio::test]
async fn the_week_is_a_grid_on_a_wide_screen_and_a_day_at_a_time_on_a_phone() {
    let app = app().await;
    let token = app.login(LEADER).await;
    let (cookie, _) = browser(&app, LEADER).await;
    let t = today();
    let body = page(&app, "/teams/1/lich", &cookie).await;

    // Seven days in one grid; today is the day a phone shows.
    assert_eq!(body.matches("<div class=\"week-grid\">").count(), 1);
    assert_eq!(body.matches("<section id=\"d-").count(), 7);
    assert!(
        body.contains(&format!("<section id=\"d-{t}\" class=\"day focus today\">")),
        "{body}"
    );
    assert_eq!(body.matches(" focus").count(), 1, "one day in focus");
    // A phone goes from day to day within the same weeks as the pager, and
    // picks a day of the week from its tabs.
    let day_link =
        |from: NaiveDate, day: NaiveDate| format!("/teams/1/lich?tu={from}&#38;ngay={day}");
    assert!(body.contains(&format!(
        "<a href=\"{}\">← Hôm trước</a>",
        day_link(t - Days::new(7), t - Days::new(1))
    )));
    assert!(body.contains(&format!(
        "<a href=\"{}\">Hôm sau →</a>",
        day_link(t, t + Days::new(1))
    )));
    assert_eq!(body.matches("aria-current=\"date\"").count(), 1);
    for offset in 0..7 {
        assert!(
            body.contains(&day_link(t, t + Days::new(offset))),
            "tab {offset}"
        );
    }
    // The stylesheet lays the week out: one day below 900 px, seven columns
    // above.
    let (_, _, css) = app
        .raw(Method::GET, "/assets/doorstep.css", None, None, &[])
        .await;
    let css = String::from_utf8(css).unwrap();
    for rule in [
        ".week-grid>.day:not(.focus){display:none}",
        "@media (min-width:900px)",
        "grid-template-columns:repeat(7,minmax(0,1fr))",
        ".day-tabs,.day-pager{display:none}",
    ] {
        assert!(css.contains(rule), "{rule}");
    }

    // Another day of the same week: the same week, that day in focus.
    let third = t + Days::new(2);
    let body = page(&app, &format!("/teams/1/lich?ngay={third}"), &cookie).await;
    assert!(body.contains(&format!("<section id=\"d-{third}\" class=\"day focus\">")));
    assert!(body.contains(&format!(
        "<a href=\"{}\">← Hôm trước</a>",
        day_link(t, third - Days::new(1))
    )));
    assert!(body.contains(&format!("<a href=\"{}\">Hôm nay</a>", day_link(t, t))));
    // A day of the next week brings its week.
    let later = t + Days::new(9);
    let body = page(&app, &format!("/teams/1/lich?tu={t}&ngay={later}"), &cookie).await;
    assert!(body.contains(&format!("<section id=\"d-{later}\" class=\"day focus\">")));
    assert!(body.contains(&format!("<section id=\"d-{}\"", t + Days::new(7))));
    assert!(!body.contains(&format!("<section id=\"d-{t}\"")));
    let (status, _, body) = get(&app, "/teams/1/lich?ngay=2026-13-01", &cookie).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("<code>ngay</code>"), "{body}");

    // Each visit of the week with its residents' names, under its member,
    // whose day leads to its route; the leader's visits lead to their page.
    let body = page(&app, "/teams/1/lich", &cookie).await;
    let households = api(&app, "/api/v1/teams/1/households?per_page=200", &token).await;
    let name_of = |resident: &Value| {
        households["households"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|h| h["residents"].as_array().unwrap())
            .find(|r| r["id"] == *resident)
            .map(|r| r["full_name"].as_str().unwrap().to_owned())
    };
    let mut named = 0;
    for v in calendar_visits(&app, &token).await {
        let day = day_of(&v);
        if day < t || day >= t + Days::new(7) {
            continue;
        }
        let section = day_section(&body, day);
        let names: Vec<String> = v["residents"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(name_of)
            .collect();
        if !names.is_empty() {
            assert!(
                section.contains(&html(&names.join(", "))),
                "{names:?} on {day}"
            );
            named += 1;
        }
        if v["status"] == "proposed" || v["status"] == "confirmed" {
            assert!(section.contains(&format!("href=\"/visits/{}/sua\"", v["id"])));
        }
        assert!(section.contains(&format!(
            "/members/{}/ngay/duong-di?ngay={day}",
            v["member_id"]
        )));
    }
    assert!(named > 0, "the week names its residents");

    // A volunteer reads the week without the leader's actions.
    let (volunteer, _) = browser(&app, VOLUNTEER).await;
    let body = page(&app, "/teams/1/lich", &volunteer).await;
    assert!(body.contains("<div class=\"week-grid\">"));
    assert!(!body.contains("/sua\"") && !body.contains("lap-lai-lich"));
}

#[tokio::test]
async fn blackouts_show_on_their_days_and_a_re_plan_proposes_nothing_in_them() {
    let app = app().await;
    let token = app.login(LEADER).await;
    let (cookie, csrf) = browser(&app, LEADER).await;
    let t = today();
    let storm = t + Days::new(2);
    let visits = calendar_visits(&app, &token).await;
    let in_storm = visits.iter().filter(|v| day_of(v) == storm).count();
    assert!(in_storm > 0, "the demo visits on {storm}");
    let (status, added) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/blackouts",
            Some(&token),
            Some(json!({"label": "bão số 9", "dates": [storm.to_string(), storm.to_string()]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let affected = added["affected"].as_array().unwrap().len();
    assert_eq!(affected, in_storm);

    // The storm's day says so and marks its visits; no other day does.
    let body = page(&app, "/teams/1/lich", &cookie).await;
    for offset in 0..7 {
        let day = t + Days::new(offset);
        let section = day_section(&body, day);
        assert_eq!(
            section.contains("Tạm dừng: bão số 9"),
            day == storm,
            "{day}"
        );
        assert_eq!(
            section.matches("Trùng tạm dừng: bão số 9").count(),
            if day == storm { in_storm } else { 0 },
            "{day}"
        );
    }
    // The team's blackouts in words, and the leader's way to move the
    // visits they fall on.
    assert!(body.contains("<strong>bão số 9</strong>"));
    assert!(body.contains(&format!("{affected} lượt thăm sắp tới trùng")));
    assert!(body.contains(&format!(
        "{affected} lượt thăm sắp tới trùng thời gian tạm dừng: lập lại lịch"
    )));
    assert!(body.contains("action=\"/teams/1/lap-lai-lich\""));

    // A volunteer cannot re-plan; a form without its token changes nothing.
    let (volunteer, volunteer_csrf) = browser(&app, VOLUNTEER).await;
    let (status, _, _) = post(
        &app,
        "/teams/1/lap-lai-lich",
        &volunteer,
        &[("csrf", &volunteer_csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(&app, "/teams/1/lap-lai-lich", &cookie, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let drafts = |plans: &Value| {
        plans
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == "draft")
            .count()
    };
    assert_eq!(drafts(&api(&app, "/api/v1/teams/1/plans", &token).await), 0);
    let (status, _, body) = post(
        &app,
        "/teams/1/lap-lai-lich",
        &cookie,
        &[("csrf", &csrf), ("so_ngay", "99")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("href=\"#so_ngay_lai\"><strong>Số ngày</strong>"),
        "{body}"
    );
    assert!(body.contains("value=\"99\""), "the form is kept");

    // The leader re-plans from the page: a draft with no visit in the storm.
    let (status, location, body) = post(
        &app,
        "/teams/1/lap-lai-lich",
        &cookie,
        &[("csrf", &csrf), ("so_ngay", "7")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let draft: i64 = location
        .strip_prefix("/plans/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("to the draft's page: {location}"));
    let plan = api(&app, &format!("/api/v1/plans/{draft}"), &token).await;
    assert_eq!(plan["status"], "draft");
    assert_eq!(plan["days"], 7);
    assert!(
        plan["visits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| day_of(v) != storm || v["status"] != "proposed" || v["pinned"] == true),
        "no visit proposed in the storm"
    );
    let body = page(&app, &location, &cookie).await;
    let changes = api(&app, &format!("/api/v1/plans/{draft}/changes"), &token).await;
    assert!(
        changes["moved"].as_u64().unwrap() + changes["removed"].as_u64().unwrap()
            >= in_storm as u64
    );
    assert!(
        body.contains(&html("trùng thời gian tạm dừng: bão số 9")),
        "{body}"
    );
    assert!(body.contains("Tạm dừng: bão số 9"), "the storm on its day");
}

#[tokio::test]
async fn a_plan_made_from_the_page_is_a_draft_with_the_apis_differences_and_is_published() {
    let app = app().await;
    let token = app.login(LEADER).await;
    let (cookie, csrf) = browser(&app, LEADER).await;
    let t = today();
    let before = api(&app, "/api/v1/teams/1/plans", &token).await;

    // The calendar leads to the form, which starts at today for four weeks.
    let calendar = page(&app, "/teams/1/lich", &cookie).await;
    assert!(calendar.contains("href=\"/teams/1/lap-lich\""));
    let form = page(&app, "/teams/1/lap-lich", &cookie).await;
    assert!(form.contains(&format!("name=\"tu\" value=\"{t}\"")));
    assert!(
        form.contains("name=\"so_ngay\" min=\"1\" max=\"62\" inputmode=\"numeric\" value=\"28\"")
    );

    // Bad input comes back on the form, fields named, values kept, nothing
    // planned.
    let (status, _, body) = post(
        &app,
        "/teams/1/lap-lich",
        &cookie,
        &[("csrf", &csrf), ("tu", "07/12/2026"), ("so_ngay", "100")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("href=\"#tu\"><strong>Ngày đầu</strong>"),
        "{body}"
    );
    assert!(
        body.contains("href=\"#so_ngay\"><strong>Số ngày</strong>"),
        "{body}"
    );
    assert!(body.contains("value=\"07/12/2026\"") && body.contains("value=\"100\""));
    assert_eq!(body.matches("aria-invalid=\"true\"").count(), 2);
    let (status, _, _) = post(
        &app,
        "/teams/1/lap-lich",
        &cookie,
        &[("tu", &t.to_string()), ("so_ngay", "7")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a stale form");
    let (volunteer, volunteer_csrf) = browser(&app, VOLUNTEER).await;
    let (status, _, _) = post(
        &app,
        "/teams/1/lap-lich",
        &volunteer,
        &[
            ("csrf", &volunteer_csrf),
            ("tu", &t.to_string()),
            ("so_ngay", "7"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a volunteer");
    let (status, _, _) = get(&app, "/teams/1/lap-lich", &volunteer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(
        &app,
        "/teams/2/lap-lich",
        &cookie,
        &[("csrf", &csrf), ("tu", &t.to_string()), ("so_ngay", "7")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another team");
    assert_eq!(api(&app, "/api/v1/teams/1/plans", &token).await, before);

    // The leader plans a week: a draft, shown on its own page.
    let (status, location, body) = post(
        &app,
        "/teams/1/lap-lich",
        &cookie,
        &[("csrf", &csrf), ("tu", &t.to_string()), ("so_ngay", "7")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let draft: i64 = location.strip_prefix("/plans/").unwrap().parse().unwrap();
    let plan = api(&app, &format!("/api/v1/plans/{draft}"), &token).await;
    assert_eq!(
        (plan["status"].as_str(), plan["days"].as_u64()),
        (Some("draft"), Some(7))
    );
    let body = page(&app, &location, &cookie).await;
    let changes = api(&app, &format!("/api/v1/plans/{draft}/changes"), &token).await;
    assert!(
        body.contains(&format!(
            "thêm {} · dời {} · bỏ {} · giữ nguyên {} lượt thăm · {} lượt không bị đụng đến",
            changes["added"],
            changes["moved"],
            changes["removed"],
            changes["unchanged"],
            changes["kept"]
        )),
        "{changes}: {body}"
    );
    let counted: u64 = ["added", "moved", "removed"]
        .iter()
        .map(|k| changes[k].as_u64().unwrap())
        .sum();
    assert_eq!(body.matches("<li class=\"change ").count() as u64, counted);
    let by_member_day = changes["by_member_day"].as_array().unwrap();
    for day in by_member_day {
        assert!(body.contains(&html(day["member_name"].as_str().unwrap())));
    }
    assert_eq!(
        body.matches("<section class=\"card member\">").count(),
        by_member_day.len(),
        "one group per member and day"
    );
    // Its visits by day and member, and what it leaves out, why.
    assert!(body.contains(&format!(
        "Lượt thăm theo ngày · {}</h2>",
        plan["summary"]["visits"]
    )));
    for v in plan["visits"].as_array().unwrap() {
        if v["status"] == "proposed" {
            assert!(body.contains(&format!("href=\"/visits/{}/sua\"", v["id"])));
        }
    }
    for u in plan["unmet"].as_array().unwrap() {
        assert!(body.contains(&html(u["explanation_vi"].as_str().unwrap())));
    }
    // The calendar's draft banner leads to it; the plan leads to publishing.
    let calendar = page(&app, "/teams/1/lich", &cookie).await;
    assert!(calendar.contains(&format!("href=\"/plans/{draft}\"")));
    let publish = format!("/plans/{draft}/cong-bo?tu={t}");
    assert!(body.contains(&format!("href=\"{}\"", publish.replace('&', "&#38;"))));

    // Others do not read it: a volunteer is refused, another team's leader
    // finds nothing.
    let (status, _, _) = get(&app, &location, &volunteer).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a draft is the leader's");
    let (official, _) = browser(&app, OFFICIAL).await;
    let (status, _, _) = get(&app, &location, &official).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Published through the confirmation, the plan's page says so.
    let confirm = page(&app, &publish, &cookie).await;
    assert!(confirm.contains(&format!("href=\"/plans/{draft}\"")));
    let (status, back, _) = post(&app, &publish, &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(back.ends_with(&format!("&cong_bo={draft}")), "{back}");
    let plan = api(&app, &format!("/api/v1/plans/{draft}"), &token).await;
    assert_eq!(plan["status"], "published");
    let body = page(&app, &location, &cookie).await;
    assert!(body.contains("Đã công bố") && body.contains("công bố lúc"));
    assert!(!body.contains("Nếu công bố") && !body.contains("/cong-bo"));
    let (status, _, _) = get(&app, &location, &volunteer).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a plan's page is the leader's"
    );
}

#[tokio::test]
async fn a_leader_pins_moves_and_cancels_a_visit_and_bad_moves_come_back_with_the_field() {
    let app = app().await;
    let token = app.login(LEADER).await;
    let (cookie, csrf) = browser(&app, LEADER).await;
    let t = today();
    let visits = calendar_visits(&app, &token).await;
    let v = visits
        .iter()
        .filter(|v| v["status"] == "proposed" && !v["pinned"].as_bool().unwrap())
        .find(|v| day_of(v) == t + Days::new(1))
        .expect("a proposed visit tomorrow")
        .clone();
    let id = v["id"].as_i64().unwrap();
    let path = format!("/visits/{id}/sua");

    let body = page(&app, &path, &cookie).await;
    assert!(body.contains(&format!("Lượt thăm #{id}")));
    assert!(
        body.contains("Ghim lượt thăm")
            && body.contains("Dời lượt thăm")
            && body.contains("Hủy lượt thăm")
    );
    let start = start_of(&v);
    assert!(body.contains(&format!("name=\"ngay\" value=\"{}\"", start.date_naive())));
    assert!(body.contains(&format!("name=\"gio\" value=\"{}\"", start.format("%H:%M"))));

    // Pin, then unpin: each comes back to the page saying what it did.
    let (status, location, _) =
        post(&app, &path, &cookie, &[("csrf", &csrf), ("viec", "ghim")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{path}?xong=ghim"));
    assert_eq!(visit(&app, &token, &v).await["pinned"], true);
    let body = page(&app, &location, &cookie).await;
    assert!(body.contains("Đã ghim: lập lại lịch sẽ giữ nguyên lượt thăm này."));
    assert!(body.contains("Bỏ ghim"));
    let (status, _, _) = post(
        &app,
        &path,
        &cookie,
        &[("csrf", &csrf), ("viec", "bo-ghim")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(visit(&app, &token, &v).await["pinned"], false);

    // Refusals change nothing: a stale form, a volunteer, another team.
    let (status, _, _) = post(&app, &path, &cookie, &[("viec", "huy")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a stale form");
    let (volunteer, volunteer_csrf) = browser(&app, VOLUNTEER).await;
    let (status, _, _) = get(&app, &path, &volunteer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = post(
        &app,
        &path,
        &volunteer,
        &[("csrf", &volunteer_csrf), ("viec", "huy")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let other: String = rows(
        &app,
        "SELECT v.id FROM visits v JOIN plans p ON p.id = v.plan_id WHERE p.team_id = 2 LIMIT 1",
    )
    .await[0][0]
        .clone();
    let (status, _, _) = get(&app, &format!("/visits/{other}/sua"), &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = post(
        &app,
        &format!("/visits/{other}/sua"),
        &cookie,
        &[("csrf", &csrf), ("viec", "huy")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unchanged = visit(&app, &token, &v).await;
    assert_eq!(unchanged["status"], "proposed");
    assert_eq!(unchanged["start"], v["start"]);

    // A move to 03:00, when nobody is home, comes back with the field named
    // and the form as sent; a time already past too.
    let date = start.date_naive().to_string();
    let member = v["member_id"].to_string();
    let (status, _, body) = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("viec", "doi"),
            ("ngay", &date),
            ("gio", "03:00"),
            ("thanh_vien", &member),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("href=\"#gio\"><strong>Giờ bắt đầu</strong>"),
        "{body}"
    );
    assert!(body.contains("hộ không có nhà lúc"), "{body}");
    assert!(
        body.contains("name=\"gio\" value=\"03:00\""),
        "the form is kept"
    );
    assert!(body.contains("aria-invalid=\"true\""));
    let yesterday = (t - Days::new(1)).to_string();
    let (status, _, body) = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("viec", "doi"),
            ("ngay", &yesterday),
            ("gio", "09:00"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("đã qua"), "{body}");
    assert!(body.contains(&format!("name=\"ngay\" value=\"{yesterday}\"")));
    let (status, _, body) = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("viec", "doi"),
            ("ngay", "mai"),
            ("gio", "9h"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("href=\"#ngay\"") && body.contains("href=\"#gio\""));
    assert_eq!(
        visit(&app, &token, &v).await["start"],
        v["start"],
        "nothing moved"
    );

    // A move that fits: a little later or earlier the same day, for one
    // of tomorrow's visits (the team's days are full: most are back to back).
    let tomorrow: Vec<&Value> = visits
        .iter()
        .filter(|w| w["status"] == "proposed" && day_of(w) == t + Days::new(1))
        .collect();
    let mut moved = None;
    'search: for w in tomorrow {
        let path = format!("/visits/{}/sua", w["id"]);
        let start = start_of(w);
        for minutes in [15_i64, -15, 30, -30, 60, -60] {
            let to = start + chrono::Duration::minutes(minutes);
            let (status, location, _) = post(
                &app,
                &path,
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("viec", "doi"),
                    ("ngay", &to.date_naive().to_string()),
                    ("gio", &to.format("%H:%M").to_string()),
                    ("thanh_vien", &w["member_id"].to_string()),
                ],
            )
            .await;
            if status == StatusCode::SEE_OTHER {
                assert_eq!(location, format!("{path}?xong=doi"));
                moved = Some((w.clone(), to));
                break 'search;
            }
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(
                visit(&app, &token, w).await["start"],
                w["start"],
                "nothing moved"
            );
        }
    }
    let (w, to) = moved.expect("some visit of tomorrow moves a little");
    let now = visit(&app, &token, &w).await;
    assert_eq!(start_of(&now), to);
    assert_eq!(now["pinned"], true, "a visit moved by hand is pinned");
    let body = page(&app, &format!("/visits/{}/sua?xong=doi", w["id"]), &cookie).await;
    assert!(
        body.contains("Đã dời lượt thăm")
            && body.contains(&format!("value=\"{}\"", to.format("%H:%M")))
    );

    // Cancelled, the visit no longer changes.
    let (status, _, _) = post(&app, &path, &cookie, &[("csrf", &csrf), ("viec", "huy")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(visit(&app, &token, &v).await["status"], "cancelled");
    let body = page(&app, &format!("{path}?xong=huy"), &cookie).await;
    assert!(body.contains("Đã hủy lượt thăm.") && body.contains("không đổi được nữa"));
    assert!(!body.contains("Dời lượt thăm"));
}

#[tokio::test]
async fn a_days_route_lists_its_stops_in_visit_order_with_map_links() {
    let app = app().await;
    let token = app.login(LEADER).await;
    let (cookie, _) = browser(&app, LEADER).await;
    let t = today();
    // A member's day with several visits to go to, as the API lists it.
    let members = api(&app, "/api/v1/teams/1/members", &token).await;
    let mut found = None;
    'search: for offset in 0..7 {
        let day = t + Days::new(offset);
        for m in members.as_array().unwrap() {
            let list = api(
                &app,
                &format!("/api/v1/members/{}/visits?date={day}", m["id"]),
                &token,
            )
            .await;
            let placed = list["visits"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["mode"] == "in_person" && v["household"]["latitude"].is_number())
                .count();
            if placed >= 3 {
                found = Some((m["id"].as_i64().unwrap(), day, list));
                break 'search;
            }
        }
    }
    let (member, day, list) = found.expect("a day with three visits or more");
    let path = format!("/members/{member}/ngay/duong-di?ngay={day}");

    // The calendar's member-day leads there.
    let calendar = page(&app, &format!("/teams/1/lich?ngay={day}"), &cookie).await;
    assert!(calendar.contains(&html(&path)));

    let body = page(&app, &path, &cookie).await;
    assert!(
        body.contains("<svg class=\"route\"") && body.contains("<polyline class=\"route-line\"")
    );
    assert!(body.contains("role=\"img\" aria-label=\"Sơ đồ đường đi:"));
    let stops: Vec<&Value> = list["visits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["mode"] == "in_person")
        .collect();
    let placed = stops
        .iter()
        .filter(|v| v["household"]["latitude"].is_number())
        .count();
    assert_eq!(body.matches("<g class=\"route-stop\">").count(), placed);
    // Each stop in visit order, numbered, with its map links.
    let mut last = 0;
    for v in &stops {
        let at = body
            .find(&format!(
                "<li class=\"card stop\" id=\"diem-{}\">",
                v["order"]
            ))
            .unwrap_or_else(|| panic!("stop {}", v["order"]));
        assert!(at > last, "visit order");
        last = at;
        let item = &body[at..at + body[at..].find("</li>").unwrap()];
        assert!(item.contains(&html(v["household"]["address"].as_str().unwrap())));
        if let (Some(lat), Some(lon)) = (
            v["household"]["latitude"].as_f64(),
            v["household"]["longitude"].as_f64(),
        ) {
            assert!(item.contains(&format!(
                "href=\"geo:{lat:.6},{lon:.6}?q={lat:.6},{lon:.6}\""
            )));
            assert!(item.contains(&format!(
                "href=\"https://www.openstreetmap.org/?mlat={lat:.6}&#38;mlon={lon:.6}#map=18/{lat:.6}/{lon:.6}\""
            )));
        }
    }
    assert_eq!(body.matches("href=\"geo:").count(), placed);

    // The member reads their own route; a teammate's is not theirs to read;
    // an official reads it.
    let volunteer_token = app.login(VOLUNTEER).await;
    let me = api(&app, "/api/v1/me", &volunteer_token).await["member_id"]
        .as_i64()
        .unwrap();
    let (volunteer, _) = browser(&app, VOLUNTEER).await;
    let (status, _, _) = get(
        &app,
        &format!("/members/{me}/ngay/duong-di?ngay={day}"),
        &volunteer,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    if me != member {
        let (status, _, _) = get(&app, &path, &volunteer).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (official, _) = browser(&app, OFFICIAL).await;
    let (status, _, _) = get(&app, &path, &official).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = get(
        &app,
        &format!("/members/{member}/ngay/duong-di?ngay=mai"),
        &cookie,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("<code>ngay</code>"));
}

#[tokio::test]
async fn the_planning_pages_speak_english_after_the_switch() {
    let app = app().await;
    let token = app.login(LEADER).await;
    let (cookie, csrf) = browser(&app, LEADER).await;
    let t = today();
    let (status, _, _) = post(
        &app,
        "/ngon-ngu",
        &cookie,
        &[("csrf", &csrf), ("lang", "en")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (status, location, body) = post(
        &app,
        "/teams/1/lap-lich",
        &cookie,
        &[("csrf", &csrf), ("tu", &t.to_string()), ("so_ngay", "3")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let body = page(&app, &location, &cookie).await;
    assert!(body.contains("<html lang=\"en\">"));
    for text in [
        "If published:",
        "What differs from the published calendar",
        "Visits day by day",
        "Review and publish",
    ] {
        assert!(body.contains(text), "{text}");
    }
    for text in ["Nếu công bố", "Lượt thăm theo ngày", "Bản nháp"] {
        assert!(!body.contains(text), "{text}");
    }
    let calendar = page(&app, "/teams/1/lich", &cookie).await;
    for text in [
        "← Previous day",
        "Next day →",
        "Re-plan the calendar (draft)",
        "Pin · move · cancel",
    ] {
        assert!(calendar.contains(text), "{text}");
    }
    assert!(!calendar.contains("Hôm trước"));

    let v = calendar_visits(&app, &token)
        .await
        .into_iter()
        .find(|v| v["status"] == "proposed" && v["mode"] == "in_person" && day_of(v) > t)
        .unwrap();
    let path = format!("/visits/{}/sua", v["id"]);
    let date = day_of(&v).to_string();
    let (status, _, body) = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("viec", "doi"),
            ("ngay", &date),
            ("gio", "03:00"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains("The visit was not moved:"));
    assert!(body.contains("href=\"#gio\"><strong>Start time</strong>"));
    assert!(body.contains("the household is not reachable at"), "{body}");
    assert!(!body.contains("Giờ bắt đầu"));

    let list = api(
        &app,
        &format!("/api/v1/members/{}/visits?date={date}", v["member_id"]),
        &token,
    )
    .await;
    assert!(!list["visits"].as_array().unwrap().is_empty());
    let body = page(
        &app,
        &format!("/members/{}/ngay/duong-di?ngay={date}", v["member_id"]),
        &cookie,
    )
    .await;
    assert!(body.contains("Route of ") && body.contains("Open in the map app"));
    assert!(!body.contains("Đường đi"));
}
