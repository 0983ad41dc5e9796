//! In-process tests of the calendar pages: a team's week for each role, the
//! draft a leader publishes from the page, a member's day with its phone and
//! map links, scope (out of scope is a 404 page) and escaping. The pages take
//! the bearer token as the API does, and the session cookie as a browser does.

use axum::http::{HeaderMap, Method, StatusCode, header};
use chrono::{Days, NaiveDate};
use doorstep_service::daylist::day_heading;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, session_cookie};

/// Today in the demo teams' zone (Asia/Ho_Chi_Minh, UTC+7 all year).
fn today() -> NaiveDate {
    (super::now() + chrono::Duration::hours(7)).date_naive()
}

/// The reasons a plan leaves a household out, as the page names them.
const REASONS: [(&str, &str, &str); 4] = [
    (
        "no_window",
        "Không có khung giờ phù hợp",
        "No matching time",
    ),
    (
        "no_skill",
        "Không có người đủ kỹ năng",
        "Nobody with the skills",
    ),
    (
        "no_capacity",
        "Không đủ người/thời gian",
        "Not enough volunteer time",
    ),
    (
        "no_consent",
        "Chưa có đồng ý của người dân",
        "No recorded consent",
    ),
];

/// Text as the templates escape it.
pub(super) fn html(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// A page with a bearer token (or a `Cookie` header): status, headers, HTML.
async fn page(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    cookie: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    let (status, headers, bytes) = app.raw(method, path, token, None, &headers).await;
    (status, headers, String::from_utf8(bytes).expect("UTF-8"))
}

async fn get_page(app: &TestApp, path: &str, token: &str) -> (StatusCode, String) {
    let (status, headers, body) = page(app, Method::GET, path, Some(token), None).await;
    if status == StatusCode::OK {
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        super::assert_only_own_scripts(path, &body);
    }
    (status, body)
}

async fn api(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.call(Method::GET, path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn location(headers: &HeaderMap) -> &str {
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The signed-in user's member id.
async fn member_of(app: &TestApp, token: &str) -> i64 {
    api(app, "/api/v1/me", token).await["member_id"]
        .as_i64()
        .expect("a member")
}

/// The first day of the published horizon on which the member visits
/// someone with a phone number, as the member's own list gives it.
async fn day_with_phones(app: &TestApp, token: &str) -> Value {
    for offset in 0..u64::from(doorstep_demo::DEMO_PLAN_DAYS) {
        let date = today() + Days::new(offset);
        let list = api(app, &format!("/api/v1/me/visits?date={date}"), token).await;
        let phones = list["visits"].as_array().unwrap().iter().any(|v| {
            v["residents"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["phone"].is_string())
        });
        if phones {
            return list;
        }
    }
    panic!("the volunteer visits someone with a phone in the demo's four weeks");
}

#[tokio::test]
async fn the_leader_sees_the_week_solar_and_lunar_with_visits_and_unmet_reasons() {
    let app = TestApp::demo_with_calendars().await;
    let leader = app.login(LEADER).await;
    let (status, body) = get_page(&app, "/teams/1/lich", &leader).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Seven days from today, each headed solar and lunar, in Vietnamese
    // only (the page is in one language at a time).
    assert!(body.contains("<html lang=\"vi\">"));
    for offset in 0..7 {
        let heading = day_heading(today() + Days::new(offset));
        assert!(body.contains(&html(&heading.vi)), "{}: {body}", heading.vi);
        assert!(!body.contains(&html(&heading.en)), "{}", heading.en);
    }
    assert!(!body.contains(&html(&day_heading(today() + Days::new(7)).vi)));
    assert!(body.contains("âm lịch") && body.contains("Hôm nay"));
    let week = |d: NaiveDate| format!("/teams/1/lich?tu={d}");
    assert!(
        body.contains(&week(today() - Days::new(7))),
        "previous week"
    );
    assert!(body.contains(&week(today() + Days::new(7))), "next week");
    assert!(!body.contains("Bản nháp"), "no draft yet");

    // The published plan's visits of the week, by member with their caps.
    let plans = api(&app, "/api/v1/teams/1/plans", &leader).await;
    let plan_id = plans[0]["id"].as_i64().unwrap();
    let plan = api(&app, &format!("/api/v1/plans/{plan_id}"), &leader).await;
    assert_eq!(plan["status"], "published");
    let last = (today() + Days::new(7)).to_string();
    let in_week: Vec<&Value> = plan["visits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["start"].as_str().unwrap()[..10] < *last.as_str())
        .collect();
    assert!(!in_week.is_empty(), "the demo's first week has visits");
    let households = api(&app, "/api/v1/teams/1/households?per_page=200", &leader).await;
    let key_of = |id: &Value| {
        households["households"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == *id)
            .map(|h| h["external_id"].as_str().unwrap().to_owned())
    };
    for v in &in_week {
        let time = format!(
            "{}–{}",
            &v["start"].as_str().unwrap()[11..16],
            &v["end"].as_str().unwrap()[11..16]
        );
        assert!(body.contains(&time), "{time}");
        if let Some(key) = key_of(&v["household_id"]) {
            assert!(body.contains(&format!("<strong>{key}</strong>")), "{key}");
        }
    }
    assert!(
        body.contains(" lượt</span>"),
        "a member's visits of the day and their cap"
    );
    assert!(body.contains("Đến nhà") && body.contains("Đề xuất"));
    assert!(body.contains("Cài đặt VNeID") || body.contains("Tích hợp giấy tờ"));
    // Members' names lead to their days (without phone numbers, for the leader).
    assert!(body.contains("/ngay?ngay="), "members' days are linked");

    // Below: what the plan leaves out and why, and its figures.
    let unmet = plan["unmet"].as_array().unwrap();
    assert!(!unmet.is_empty(), "the demo leaves some households out");
    for u in unmet {
        let reason = u["reason"].as_str().unwrap();
        let (vi, en) = REASONS
            .iter()
            .find(|(code, _, _)| *code == reason)
            .map(|(_, vi, en)| (*vi, *en))
            .unwrap_or_else(|| panic!("a known reason: {reason}"));
        assert!(body.contains(&html(vi)), "{reason}");
        assert!(!body.contains(&html(en)), "{reason}");
        assert!(
            body.contains(&html(u["explanation_vi"].as_str().unwrap())),
            "{u}"
        );
    }
    assert!(body.contains(&format!("{}/{}", plan["objective"], plan["upper_bound"])));
    assert!(body.contains(&format!(
        "<div class=\"num\">{}</div>lượt thăm",
        plan["summary"]["visits"]
    )));

    // Another week, chosen by its first day; a week past the plans says so.
    let later = today() + Days::new(10);
    let (status, body) = get_page(&app, &format!("/teams/1/lich?tu={later}"), &leader).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&html(&day_heading(later).vi)));
    assert!(body.contains(&week(today())), "a way back to this week");
    let far = today() + Days::new(60);
    let (_, body) = get_page(&app, &format!("/teams/1/lich?tu={far}"), &leader).await;
    assert!(
        body.contains("Chưa có lịch đã công bố cho tuần này"),
        "{body}"
    );
    assert!(
        body.contains(&week(today())),
        "the published plan is linked"
    );

    let (status, body) = get_page(&app, "/teams/1/lich?tu=01-12-2026", &leader).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("<code>tu</code>") && body.contains("YYYY-MM-DD"));
    let (status, _) = get_page(&app, "/teams/x/lich", &leader).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_new_plan_is_a_draft_for_the_leader_only_and_is_published_from_the_page() {
    let app = TestApp::demo_with_calendars().await;
    let leader = app.login(LEADER).await;
    let volunteer = app.login(VOLUNTEER).await;
    let official = app.login(OFFICIAL).await;
    let old = api(&app, "/api/v1/teams/1/plans", &leader).await[0]["id"]
        .as_i64()
        .unwrap();
    let (status, plan) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/plans",
            Some(&leader),
            Some(json!({"start": today().to_string(), "days": 7, "iterations": 2000})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let draft = plan["id"].as_i64().unwrap();
    let publish = format!("/plans/{draft}/cong-bo");

    let (status, body) = get_page(&app, "/teams/1/lich", &leader).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Bản nháp",
        &format!("#{draft}"),
        &format!("href=\"{publish}?tu={}\"", today()),
        "Xem thay đổi và công bố",
        "/teams/1/lich?tu=",
        "&#38;xem=nhap",
    ] {
        assert!(body.contains(text), "the leader sees {text}: {body}");
    }
    // Publishing starts with what it would change, per member and day, and
    // why; the same counts as the API's.
    let changes = api(&app, &format!("/api/v1/plans/{draft}/changes"), &leader).await;
    let (status, body) = get_page(&app, &format!("{publish}?tu={}", today()), &leader).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let summary = &changes;
    assert!(
        body.contains(&format!(
            "thêm {} · dời {} · bỏ {} · giữ nguyên {}",
            summary["added"], summary["moved"], summary["removed"], summary["unchanged"]
        )),
        "{summary}: {body}"
    );
    assert!(body.contains(&format!("action=\"{publish}?tu={}\"", today())));
    assert!(body.contains("Công bố cho các thành viên") && body.contains("Chưa, quay lại lịch"));
    let listed = body.matches("<li class=\"change ").count() as u64;
    let counted = ["added", "moved", "removed"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(listed, counted, "one line per change");
    // Looking changes nothing: the draft is still a draft.
    let still = api(&app, &format!("/api/v1/plans/{draft}"), &leader).await;
    assert_eq!(still["status"], "draft");
    // The draft's own week, marked as a draft all along.
    let (status, body) = get_page(&app, "/teams/1/lich?xem=nhap", &leader).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(">BẢN NHÁP</span>") && body.contains("Xem lịch đã công bố"));
    assert!(body.contains(&format!("Kế hoạch #{draft}")));

    // Volunteers and officials see the published calendar only.
    for token in [&volunteer, &official] {
        for path in ["/teams/1/lich", "/teams/1/lich?xem=nhap"] {
            let (status, body) = get_page(&app, path, token).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(
                !body.contains("Bản nháp") && !body.contains("cong-bo"),
                "{path}"
            );
            assert!(body.contains(&format!("Kế hoạch #{old}")), "{path}");
        }
    }
    // A volunteer cannot publish: the draft does not exist for them, and a
    // published plan is not theirs to publish.
    let (status, _, body) = page(&app, Method::POST, &publish, Some(&volunteer), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, body) = page(
        &app,
        Method::POST,
        &format!("/plans/{old}/cong-bo"),
        Some(&volunteer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("chỉ tổ trưởng"), "{body}");

    // The leader's browser publishes with its session cookie and comes back.
    let cookie = session_cookie(&app, LEADER).await;
    let week = today() + Days::new(7);
    let (_, _, calendar) = page(&app, Method::GET, "/teams/1/lich", None, Some(&cookie)).await;
    let token = super::form_token(&calendar);
    let (status, headers, _) = app
        .raw_body(
            Method::POST,
            &format!("{publish}?tu={week}"),
            "application/x-www-form-urlencoded",
            format!("csrf={token}").into_bytes(),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = location(&headers).to_owned();
    assert_eq!(back, format!("/teams/1/lich?tu={week}&cong_bo={draft}"));
    let plan = api(&app, &format!("/api/v1/plans/{draft}"), &leader).await;
    assert_eq!(plan["status"], "published");
    // The old plan stays published while any of its visits is on the
    // calendar (the new draft kept those it could where they were).
    let replaced = api(&app, &format!("/api/v1/plans/{old}"), &leader).await;
    let live = replaced["visits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["on_calendar"] == true);
    assert_eq!(
        replaced["status"],
        if live { "published" } else { "superseded" }
    );

    let (status, _, body) = page(&app, Method::GET, &back, None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(&format!("Đã công bố kế hoạch #{draft}")),
        "{body}"
    );
    assert!(!body.contains("Bản nháp"), "no draft left");
    let (_, body) = get_page(&app, "/teams/1/lich", &volunteer).await;
    assert!(
        body.contains(&format!("Kế hoạch #{draft}")),
        "the volunteers see it"
    );
}

#[tokio::test]
async fn a_volunteer_reads_the_week_with_the_addresses_of_their_own_visits_only() {
    let app = TestApp::demo_with_calendars().await;
    let leader = app.login(LEADER).await;
    let volunteer = app.login(VOLUNTEER).await;
    let me = member_of(&app, &volunteer).await;

    // Who visits which household this week, from the published plans.
    let mut register = Vec::new();
    for n in 1.. {
        let path = format!("/api/v1/teams/1/households?per_page=200&page={n}");
        let page = api(&app, &path, &leader).await;
        let households = page["households"].as_array().unwrap().clone();
        if households.is_empty() {
            break;
        }
        register.extend(households);
    }
    let address = |id: i64| {
        register
            .iter()
            .find(|h| h["id"] == id)
            .map(|h| h["address"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (start, end) = (today().to_string(), (today() + Days::new(7)).to_string());
    let plans = api(&app, "/api/v1/teams/1/plans", &volunteer).await;
    let (mut own, mut others, mut explained) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    for brief in plans.as_array().unwrap() {
        let path = format!("/api/v1/plans/{}", brief["id"]);
        let full = api(&app, &path, &leader).await;
        let mine = api(&app, &path, &volunteer).await;
        // The volunteer reads the plan and its counts, not who is left out.
        assert_eq!(mine["visits"], full["visits"]);
        assert_eq!(mine["summary"], full["summary"]);
        assert_eq!(mine["unmet"], json!([]), "{path}");
        if brief["status"] == "published" {
            for u in full["unmet"].as_array().unwrap() {
                explained.insert(u["explanation_vi"].as_str().unwrap().to_owned());
            }
        }
        for v in full["visits"].as_array().unwrap() {
            let local = chrono::DateTime::parse_from_rfc3339(v["start"].as_str().unwrap())
                .unwrap()
                .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
                .date_naive()
                .to_string();
            if v["on_calendar"] == true && local >= start && local < end {
                let set = if v["member_id"] == me {
                    &mut own
                } else {
                    &mut others
                };
                set.insert(address(v["household_id"].as_i64().unwrap()));
            }
        }
    }
    assert!(!own.is_empty() && !others.is_empty(), "{own:?} {others:?}");
    let (_, seen_by_leader) = get_page(&app, "/teams/1/lich", &leader).await;
    let (status, seen) = get_page(&app, "/teams/1/lich", &volunteer).await;
    assert_eq!(status, StatusCode::OK);
    for a in &own {
        assert!(seen.contains(&html(a)), "own visit's address {a}");
    }
    for a in others.difference(&own) {
        assert!(seen_by_leader.contains(&html(a)), "{a}");
        assert!(!seen.contains(&html(a)), "another member's address {a}");
    }
    // Why a plan leaves a household out names its residents: the leader
    // reads it, the volunteer reads only how many, by reason.
    assert!(!explained.is_empty());
    for text in &explained {
        assert!(seen_by_leader.contains(&html(text)), "{text}");
        assert!(!seen.contains(&html(text)), "{text}");
    }
    assert!(REASONS.iter().any(|(_, vi, _)| seen.contains(&html(vi))));
}

#[tokio::test]
async fn a_volunteer_reads_the_day_with_phones_and_a_map_and_the_leader_without_phones() {
    let app = TestApp::demo_with_calendars().await;
    let volunteer = app.login(VOLUNTEER).await;
    let leader = app.login(LEADER).await;
    let official = app.login(OFFICIAL).await;
    let member = member_of(&app, &volunteer).await;
    let list = day_with_phones(&app, &volunteer).await;
    let date: NaiveDate = list["date"].as_str().unwrap().parse().unwrap();

    let (status, body) = get_page(&app, &format!("/lich-cua-toi?ngay={date}"), &volunteer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let heading = day_heading(date);
    assert!(body.contains(&html(&heading.vi)) && !body.contains(&html(&heading.en)));
    assert!(body.contains("Lịch của tôi") && body.contains("âm lịch"));
    assert!(body.contains(&format!("/lich-cua-toi?ngay={}", date - Days::new(1))));
    assert!(body.contains(&format!("/lich-cua-toi?ngay={}", date + Days::new(1))));
    assert!(
        body.contains(&format!("/teams/1/lich?tu={date}")),
        "the team's week"
    );
    assert!(
        body.contains("href=\"tel:"),
        "the member sees phone numbers"
    );
    assert!(
        body.contains("href=\"geo:"),
        "a map link from the coordinates"
    );
    assert!(
        !body.contains("http://") && !body.contains("https://"),
        "no external site"
    );
    let mut at = 0;
    for v in list["visits"].as_array().unwrap() {
        // In route order: each card after the one before.
        let time = html(v["window"]["time"].as_str().unwrap());
        let found = body[at..].find(&time).map(|i| i + at);
        at = found.unwrap_or_else(|| panic!("{time} after the previous visit"));
        let h = &v["household"];
        assert!(body.contains(&html(h["address"].as_str().unwrap())), "{h}");
        if let (Some(lat), Some(lon)) = (h["latitude"].as_f64(), h["longitude"].as_f64()) {
            assert!(
                body.contains(&format!("href=\"geo:{lat:.6},{lon:.6}")),
                "{h}"
            );
        }
        assert!(body.contains(&html(v["window"]["vi"].as_str().unwrap())));
        for p in v["purposes"].as_array().unwrap() {
            assert!(body.contains(&html(p["vi"].as_str().unwrap())), "{p}");
        }
        for r in v["residents"].as_array().unwrap() {
            assert!(body.contains(&html(r["name"].as_str().unwrap())), "{r}");
            if let Some(phone) = r["phone"].as_str() {
                let target: String = phone
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                assert!(body.contains(&format!("href=\"tel:{target}\"")), "{phone}");
            }
        }
    }
    // Without a date: today.
    let (status, body) = get_page(&app, "/lich-cua-toi", &volunteer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&html(&day_heading(today()).vi)));

    // The leader and the official read the same day without phone numbers.
    for token in [&leader, &official] {
        let (status, body) =
            get_page(&app, &format!("/members/{member}/ngay?ngay={date}"), token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(!body.contains("tel:"), "{body}");
        assert!(body.contains("href=\"geo:"));
        assert!(body.contains("chỉ hiện cho thành viên đi thăm"));
        assert!(body.contains(&html(list["member_name"].as_str().unwrap())));
        let first = &list["visits"][0]["residents"][0]["name"];
        assert!(body.contains(&html(first.as_str().unwrap())), "names stay");
        assert!(body.contains(&format!(
            "/members/{member}/ngay?ngay={}",
            date + Days::new(1)
        )));
    }
    let (status, _) = get_page(&app, "/lich-cua-toi?ngay=2026-02-30", &volunteer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // An official has no visits of their own: the page says so.
    let (status, body) = get_page(&app, "/lich-cua-toi", &official).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("không gắn với thành viên"), "{body}");
}

#[tokio::test]
async fn pages_keep_to_the_actor_scope_and_start_where_each_role_works() {
    let app = TestApp::demo_with_calendars().await;
    let volunteer = app.login(VOLUNTEER).await;
    let leader = app.login(LEADER).await;
    let official = app.login(OFFICIAL).await;
    let member = member_of(&app, &volunteer).await;
    let db = app.store.connection();
    let team2 = doorstep_store::team_members(db, 2).await.unwrap();
    let stranger = team2[0].id;
    let teammate = doorstep_store::team_members(db, 1)
        .await
        .unwrap()
        .into_iter()
        .find(|m| i64::from(m.id) != member && m.role.code() == "volunteer")
        .unwrap()
        .id;
    let team2_plan = api(&app, "/api/v1/teams/2/plans", &official).await[0]["id"]
        .as_i64()
        .unwrap();

    // Out of scope is not found, never forbidden.
    for (token, path) in [
        (&volunteer, "/teams/2/lich".to_owned()),
        (&leader, "/teams/2/lich".to_owned()),
        (&volunteer, format!("/members/{stranger}/ngay")),
        (&leader, format!("/members/{stranger}/ngay")),
        (&volunteer, format!("/members/{teammate}/ngay")),
        (&volunteer, "/teams/99/lich".to_owned()),
    ] {
        let (status, body) = get_page(&app, &path, token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(body.contains("Không tìm thấy"), "{path}");
    }
    let (status, _, _) = page(
        &app,
        Method::POST,
        &format!("/plans/{team2_plan}/cong-bo"),
        Some(&leader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another team's plan");
    let (status, _) = get_page(&app, "/teams/2/lich", &official).await;
    assert_eq!(status, StatusCode::OK, "the official audits the province");

    // Not signed in: to the sign-in form.
    for (method, path) in [
        (Method::GET, "/teams/1/lich"),
        (Method::GET, "/teams/1/lich?tu=2026-12-01"),
        (Method::GET, "/lich-cua-toi"),
        (Method::GET, "/members/1/ngay"),
        (Method::POST, "/plans/1/cong-bo"),
    ] {
        let (status, headers, _) = page(&app, method, path, None, None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&headers), "/dang-nhap", "{path}");
    }
    let (status, _, _) = page(
        &app,
        Method::GET,
        "/teams/1/lich",
        None,
        Some("doorstep_session=forged"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Where each role starts.
    let (status, headers, _) = page(&app, Method::GET, "/", Some(&volunteer), None).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the volunteer goes to today's visits"
    );
    assert_eq!(location(&headers), "/lich-cua-toi");
    let (status, body) = get_page(&app, "/", &leader).await;
    assert_eq!(status, StatusCode::OK);
    let calendar = body
        .find("Lịch thăm hộ của tổ tuần này")
        .expect("the calendar comes first");
    assert!(calendar < body.find("<h1>").unwrap(), "before the teams");
    assert!(body.contains("href=\"/teams/1/lich\""));
    assert!(body.contains("Lịch của tôi hôm nay"));
    let (status, body) = get_page(&app, "/", &official).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1>Các tổ") && body.contains("href=\"/teams/2/lich\""));
    let (_, body) = get_page(&app, "/teams/1", &leader).await;
    assert!(
        body.contains("href=\"/teams/1/lich\""),
        "the team page links its calendar"
    );
}

#[tokio::test]
async fn calendar_pages_escape_names_and_addresses() {
    let app = TestApp::demo_with_calendars().await;
    let volunteer = app.login(VOLUNTEER).await;
    let leader = app.login(LEADER).await;
    let member = member_of(&app, &volunteer).await;
    let list = day_with_phones(&app, &volunteer).await;
    let date = list["date"].as_str().unwrap().to_owned();
    let household = list["visits"][0]["household"]["id"].as_i64().unwrap();
    let name = "Lê <script>alert(\"x\")</script> & 'Lan'";
    let address = "Số 1 <b>ngõ</b> \"2\"";
    let quoted = name.replace('\'', "''");
    let db = app.store.connection();
    for sql in [
        format!("UPDATE members SET full_name = '{quoted}' WHERE id = {member}"),
        format!("UPDATE residents SET full_name = '{quoted}' WHERE household_id = {household}"),
        format!("UPDATE households SET address = '{address}' WHERE id = {household}"),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
    for (token, path) in [
        (&volunteer, format!("/lich-cua-toi?ngay={date}")),
        (&leader, format!("/members/{member}/ngay?ngay={date}")),
        (&leader, format!("/teams/1/lich?tu={date}")),
    ] {
        let (status, body) = get_page(&app, &path, token).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.contains(&html(name)), "{path}: the name is escaped");
        assert!(
            body.contains(&html(address)),
            "{path}: the address is escaped"
        );
        assert!(!body.contains("<b>ngõ"), "{path}");
    }
}

/// Posts a form with a bearer token: status and HTML.
async fn post_form(
    app: &TestApp,
    path: &str,
    token: &str,
    form: &[(String, String)],
) -> (StatusCode, String) {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "+")))
        .collect::<Vec<_>>()
        .join("&");
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn a_volunteer_records_a_visit_from_the_day_page_and_sees_the_next_times() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let visits = super::past_visits(&app, &volunteer).await;
    let visit = visits
        .iter()
        .find(|v| v["residents"].as_array().unwrap().len() >= 2)
        .expect("a past visit with two residents");
    let day = &visit["start"].as_str().unwrap()[..10];
    let (status, body) = get_page(&app, &format!("/lich-cua-toi?ngay={day}"), &volunteer).await;
    assert_eq!(status, StatusCode::OK);
    let action = format!("/visits/{}/ket-qua", visit["id"]);
    assert!(body.contains(&action), "the day page offers the form");
    assert!(body.contains("Ghi kết quả"));
    let (met, away) = (
        visit["residents"][0]["id"].as_i64().unwrap(),
        visit["residents"][1]["id"].as_i64().unwrap(),
    );
    let form = vec![
        ("key".to_owned(), "page-1".to_owned()),
        (format!("r{met}"), "done".to_owned()),
        (format!("r{away}"), "not_home".to_owned()),
        (format!("n{away}"), "Bà Hai".to_owned()),
        ("note".to_owned(), "Ông đi biển".to_owned()),
    ];
    let (status, body) = post_form(&app, &action, &volunteer, &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Đã ghi kết quả"), "{body}");
    assert!(body.contains("Bà Hai"), "{body}");
    assert!(body.contains(" âm) "), "next times solar and lunar: {body}");
    assert!(!body.contains("đã được ghi trước đó"));
    let db = app.store.connection();
    let recorded = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM outcomes WHERE visit_id = {}",
                visit["id"]
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(recorded, 2);
    // The same form again (a double tap): recorded once.
    let (status, body) = post_form(&app, &action, &volunteer, &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("đã được ghi trước đó"), "{body}");
    // Nothing chosen: said so, nothing written.
    let (status, body) = post_form(
        &app,
        &action,
        &volunteer,
        &[("key".to_owned(), "page-2".to_owned())],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // A day to come has no form.
    let later = today() + Days::new(3);
    let (_, body) = get_page(&app, &format!("/lich-cua-toi?ngay={later}"), &volunteer).await;
    assert!(!body.contains("/ket-qua"));
}

#[tokio::test]
async fn pages_speak_one_language_at_a_time_and_remember_the_users_choice() {
    let app = TestApp::demo_with_calendars().await;
    let cookie = session_cookie(&app, VOLUNTEER).await;
    let date = today();
    let (_, _, vi) = page(&app, Method::GET, "/lich-cua-toi", None, Some(&cookie)).await;
    let heading = day_heading(date);
    assert!(vi.contains("<html lang=\"vi\">"), "{vi}");
    assert!(vi.contains("Lịch của tôi") && vi.contains(&html(&heading.vi)));
    assert!(!vi.contains("My visits") && !vi.contains(&html(&heading.en)));

    // A form without its page's token changes nothing.
    let switch = |token: String| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            app.raw_body(
                Method::POST,
                "/ngon-ngu",
                "application/x-www-form-urlencoded",
                format!("csrf={token}&lang=en").into_bytes(),
                &[
                    ("cookie", cookie.as_str()),
                    ("referer", "http://localhost/lich-cua-toi?ngay=2026-12-08"),
                    ("host", "localhost"),
                ],
            )
            .await
        }
    };
    let (status, _, _) = switch("forged".to_owned()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, still) = page(&app, Method::GET, "/lich-cua-toi", None, Some(&cookie)).await;
    assert!(still.contains("<html lang=\"vi\">"));

    // The switch: back to the page it was sent from, in English from now on.
    let (status, headers, _) = switch(super::form_token(&vi)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/lich-cua-toi?ngay=2026-12-08");
    let (_, _, en) = page(&app, Method::GET, "/lich-cua-toi", None, Some(&cookie)).await;
    assert!(en.contains("<html lang=\"en\">"), "{en}");
    assert!(en.contains("My visits") && en.contains(&html(&heading.en)));
    assert!(!en.contains("Lịch của tôi") && !en.contains(&html(&heading.vi)));
    assert!(en.contains("lunar"), "today is shown solar and lunar: {en}");
    // The way back names itself in its own language.
    assert!(en.contains("lang=\"vi\">Tiếng Việt</button>"), "{en}");

    // The member's messages follow: their language is English too.
    let db = app.store.connection();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT m.language FROM members m JOIN users u ON u.member_id = m.id \
                 WHERE u.username = '{VOLUNTEER}'"
            ),
        ))
        .await
        .unwrap()
        .expect("the volunteer is a member");
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "en");

    // Other users keep their own language.
    let leader = session_cookie(&app, LEADER).await;
    let (_, _, theirs) = page(&app, Method::GET, "/teams/1/lich", None, Some(&leader)).await;
    assert!(theirs.contains("<html lang=\"vi\">"));

    // A language the product does not have is refused with what is expected.
    let (status, _, body) = app
        .raw_body(
            Method::POST,
            "/ngon-ngu",
            "application/x-www-form-urlencoded",
            format!("csrf={}&lang=fr", super::form_token(&en)).into_bytes(),
            &[("cookie", cookie.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("lang must be vi or en"), "{body}");

    // Before signing in, the sign-in page switches by a link and keeps the
    // choice in a cookie.
    let (status, headers, form) = page(&app, Method::GET, "/dang-nhap?lang=en", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("<html lang=\"en\">") && form.contains("User name"));
    assert!(!form.contains("Tên đăng nhập"));
    let chosen = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("doorstep_lang="))
        .expect("the choice is kept")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(chosen, "doorstep_lang=en");
    let (_, _, again) = page(&app, Method::GET, "/dang-nhap", None, Some(&chosen)).await;
    assert!(again.contains("User name") && again.contains("href=\"/dang-nhap?lang=vi\""));
}

#[tokio::test]
async fn the_week_marks_the_moon_and_a_coastal_teams_high_and_low_waters() {
    use chrono::TimeZone;
    let app = TestApp::demo_with_calendars().await;
    let leader = app.login(LEADER).await;
    let team = api(&app, "/api/v1/teams/1", &leader).await;
    let station = team["tide_station"].as_str().expect("Hải Thanh is coastal");
    let zone = chrono_tz::Asia::Ho_Chi_Minh;
    // The next full moon, and the week that starts on its day.
    let from = zone
        .from_local_datetime(&today().and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let full = doorstep_lunar::phases_of(doorstep_lunar::Phase::Full, from, from + Days::new(31))
        .unwrap()[0]
        .at
        .with_timezone(&zone);
    let day = full.date_naive();
    let (status, body) = get_page(&app, &format!("/teams/1/lich?tu={day}"), &leader).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(&format!("Trăng tròn (vọng) {}", full.format("%H:%M"))),
        "{body}"
    );
    // Rằm, on the 15th of the lunar month, wherever it falls in the week.
    let rằm = (0..7)
        .map(|d| day + Days::new(d))
        .any(|d| doorstep_lunar::to_lunar(d).unwrap().day == 15);
    assert_eq!(body.contains("tag moon\">Rằm<"), rằm);

    // The day's high and low waters at the team's station, as the tide
    // engine predicts them, and a curve of the day.
    let predictor = doorstep_service::stations::built_in()
        .predictor(station)
        .expect("a built-in station");
    let start = zone
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let waters = predictor.extremes(start, start + Days::new(1));
    assert!(!waters.is_empty());
    for w in &waters {
        let kind = match w.kind {
            doorstep_tide::ExtremeKind::High => "Nước lớn",
            doorstep_tide::ExtremeKind::Low => "Nước ròng",
        };
        let text = format!(
            "{kind} {} · {} m",
            w.at.with_timezone(&zone).format("%H:%M"),
            format!("{:.1}", w.height_m).replace('.', ",")
        );
        assert!(body.contains(&text), "{text}");
    }
    assert!(body.contains("<svg class=\"tide\"") && body.contains("Thủy triều trong ngày"));

    // A team without a station shows the moon but no waters.
    let official = app.login(OFFICIAL).await;
    let teams = api(&app, "/api/v1/teams", &official).await;
    let inland = teams
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tide_station"].is_null())
        .map(|t| t["id"].as_i64().unwrap());
    if let Some(id) = inland {
        let (_, body) = get_page(&app, &format!("/teams/{id}/lich?tu={day}"), &official).await;
        assert!(body.contains("Trăng tròn (vọng)"));
        assert!(!body.contains("Nước lớn") && !body.contains("<svg class=\"tide\""));
    }
}
