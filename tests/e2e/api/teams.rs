//! In-process tests: teams, members and households as JSON and as pages,
//! with every role in and out of scope, paging, hidden phone numbers and
//! sign-in through the form.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use sea_orm::ConnectionTrait;
use serde_json::Value;
use tower::ServiceExt;

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, fields};

const ADMIN: &str = "quantri";
const LEADER_3: &str = "totruong.lamson";
const OFFICIAL_DINH_BINH: &str = "canbo.dinhbinh";
const TEAMS: [i32; 4] = [1, 2, 3, 4];

/// The demo with an admin, the leader of team 3 and an official of team 2's
/// commune.
async fn app() -> TestApp {
    let app = TestApp::demo().await;
    app.add_user(ADMIN, "admin", None, None, None).await;
    app.add_user(LEADER_3, "leader", Some(3), None, None).await;
    let commune = doorstep_store::find_area_by_code(app.store.connection(), "38-DINHBINH")
        .await
        .unwrap()
        .expect("the demo has Định Bình");
    app.add_user(OFFICIAL_DINH_BINH, "official", None, Some(commune.id), None)
        .await;
    app
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.call(Method::GET, path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

#[tokio::test]
async fn every_endpoint_answers_each_role_in_its_scope_only() {
    let app = app().await;
    let scopes: [(&str, &[i32]); 6] = [
        (ADMIN, &TEAMS),
        (OFFICIAL, &TEAMS),
        (OFFICIAL_DINH_BINH, &[2]),
        (LEADER, &[1]),
        (VOLUNTEER, &[1]),
        (LEADER_3, &[3]),
    ];
    let endpoints = ["", "/members", "/households"];
    let (status, problem) = app.call(Method::GET, "/api/v1/teams", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    assert_eq!(problem["code"], "unauthorized");
    for team in TEAMS {
        for endpoint in endpoints {
            let path = format!("/api/v1/teams/{team}{endpoint}");
            let (status, problem) = app.call(Method::GET, &path, None, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "GET {path}: {problem}");
        }
    }
    for (user, scope) in scopes {
        let token = app.login(user).await;
        let listed: Vec<i64> = get(&app, "/api/v1/teams", &token)
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        let wanted: Vec<i64> = scope.iter().map(|id| i64::from(*id)).collect();
        assert_eq!(listed, wanted, "{user} lists the teams in scope");
        for team in TEAMS.into_iter().chain([999]) {
            let expected = if scope.contains(&team) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            for endpoint in endpoints {
                let path = format!("/api/v1/teams/{team}{endpoint}");
                let (status, body) = app.call(Method::GET, &path, Some(&token), None).await;
                assert_eq!(status, expected, "{user} GET {path}: {body}");
                if expected == StatusCode::NOT_FOUND {
                    assert_eq!(body["code"], "not_found", "{body}");
                    assert!(
                        body["detail"].as_str().unwrap().contains(&team.to_string()),
                        "{body}"
                    );
                }
            }
        }
    }
    let admin = app.login(ADMIN).await;
    for path in ["/api/v1/teams/x", "/api/v1/teams/0/members"] {
        let (status, problem) = app.call(Method::GET, path, Some(&admin), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(fields(&problem), ["team_id"]);
    }
}

#[tokio::test]
async fn counts_made_by_the_database_match_the_households() {
    let app = app().await;
    let admin = app.login(ADMIN).await;
    let teams = get(&app, "/api/v1/teams", &admin).await;
    let names: Vec<&str> = teams
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "Tổ công nghệ số cộng đồng phường Hải Thanh");
    for summary in teams.as_array().unwrap() {
        let id = summary["id"].as_i64().unwrap();
        assert_eq!(
            summary,
            &get(&app, &format!("/api/v1/teams/{id}"), &admin).await
        );
        let members = get(&app, &format!("/api/v1/teams/{id}/members"), &admin).await;
        assert_eq!(summary["members"], members.as_array().unwrap().len());
        let (mut households, mut residents, mut with_open) = (0, 0, 0);
        let mut presence: BTreeMap<String, u64> = BTreeMap::new();
        let mut open: BTreeMap<String, u64> = BTreeMap::new();
        for page in 1.. {
            let body = get(
                &app,
                &format!("/api/v1/teams/{id}/households?page={page}&per_page=200"),
                &admin,
            )
            .await;
            assert_eq!(body["total"], summary["households"]);
            let list = body["households"].as_array().unwrap();
            if list.is_empty() {
                break;
            }
            for h in list {
                households += 1;
                let mut any_open = false;
                for r in h["residents"].as_array().unwrap() {
                    residents += 1;
                    *presence
                        .entry(r["presence"].as_str().unwrap().to_owned())
                        .or_default() += 1;
                    for n in r["needs"].as_array().unwrap() {
                        if n["status"] == "open" {
                            any_open = true;
                            *open
                                .entry(n["step"].as_str().unwrap().to_owned())
                                .or_default() += 1;
                        }
                    }
                }
                with_open += u64::from(any_open);
            }
        }
        assert_eq!(summary["households"], households, "{summary}");
        assert_eq!(summary["residents"], residents, "{summary}");
        assert_eq!(
            summary["households_with_open_needs"], with_open,
            "{summary}"
        );
        for (code, n) in summary["presence"].as_object().unwrap() {
            assert_eq!(n, presence.get(code).copied().unwrap_or(0), "{code}");
        }
        for (code, n) in summary["open_needs"].as_object().unwrap() {
            assert_eq!(n, open.get(code).copied().unwrap_or(0), "{code}");
        }
        assert_eq!(summary["presence"].as_object().unwrap().len(), 4);
        assert_eq!(summary["open_needs"].as_object().unwrap().len(), 6);
    }
    assert_eq!(teams[0]["households"], 300);
    assert!(teams[0]["presence"]["at_sea"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn households_come_a_page_at_a_time_and_bad_pages_are_named() {
    let app = app().await;
    let leader = app.login(LEADER).await;
    let keys = |body: &Value| -> Vec<String> {
        body["households"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["external_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = get(&app, "/api/v1/teams/1/households", &leader).await;
    assert_eq!(
        (&first["page"], &first["per_page"], &first["total"]),
        (&Value::from(1), &Value::from(50), &Value::from(300))
    );
    let first_keys = keys(&first);
    assert_eq!(first_keys.len(), 50);
    assert_eq!(first_keys[0], "HT-0001");
    assert_eq!(first_keys[49], "HT-0050");
    let second = get(&app, "/api/v1/teams/1/households?page=2", &leader).await;
    assert_eq!(keys(&second)[0], "HT-0051");
    assert_eq!(second["total"], 300);
    let big = get(&app, "/api/v1/teams/1/households?per_page=200", &leader).await;
    assert_eq!(keys(&big).len(), 200);
    let mut sorted = keys(&big);
    sorted.sort();
    assert_eq!(keys(&big), sorted, "ordered by register key");
    let rest = get(
        &app,
        "/api/v1/teams/1/households?page=2&per_page=200",
        &leader,
    )
    .await;
    assert_eq!(keys(&rest).len(), 100);
    assert_eq!(keys(&rest)[99], "HT-0300");
    let past = get(&app, "/api/v1/teams/1/households?page=7", &leader).await;
    assert!(keys(&past).is_empty());
    assert_eq!(past["total"], 300);
    let one = get(
        &app,
        "/api/v1/teams/1/households?page=300&per_page=1",
        &leader,
    )
    .await;
    assert_eq!(keys(&one), ["HT-0300"]);

    let resident = &first["households"][0]["residents"][0];
    for key in [
        "id",
        "external_id",
        "full_name",
        "birth_year",
        "presence",
        "consent",
        "availability",
        "availability_text",
        "needs",
    ] {
        assert!(
            resident.get(key).is_some(),
            "a resident has {key}: {resident}"
        );
    }
    let abroad = first["households"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["residents"].as_array().unwrap())
        .find(|r| r["availability"].is_object())
        .expect("some resident of the first page has a rule");
    assert!(abroad["availability_text"]["vi"].as_str().unwrap().len() > 5);
    assert!(abroad["availability_text"]["en"].as_str().unwrap().len() > 5);

    for (query, wanted) in [
        ("page=0", vec!["page"]),
        ("page=-1", vec!["page"]),
        ("page=zero", vec!["page"]),
        ("per_page=0", vec!["per_page"]),
        ("per_page=201", vec!["per_page"]),
        ("per_page=1e3", vec!["per_page"]),
        ("page=x&per_page=y", vec!["page", "per_page"]),
        ("page=99999999999", vec!["page"]),
    ] {
        let path = format!("/api/v1/teams/1/households?{query}");
        let (status, problem) = app.call(Method::GET, &path, Some(&leader), None).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {problem}"
        );
        assert_eq!(problem["code"], "invalid");
        assert_eq!(fields(&problem), wanted, "{path}: {problem}");
    }
}

#[tokio::test]
async fn phone_numbers_are_shown_to_the_leader_and_admins_only() {
    let app = app().await;
    let phones = |body: &Value| -> usize {
        body["households"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|h| h["residents"].as_array().unwrap())
            .filter(|r| r.get("phone").is_some())
            .count()
    };
    for (user, team, shown) in [
        (LEADER, 1, true),
        (ADMIN, 1, true),
        (ADMIN, 2, true),
        (LEADER_3, 3, true),
        (VOLUNTEER, 1, false),
        (OFFICIAL, 1, false),
        (OFFICIAL, 3, false),
        (OFFICIAL_DINH_BINH, 2, false),
    ] {
        let token = app.login(user).await;
        let body = get(
            &app,
            &format!("/api/v1/teams/{team}/households?per_page=200"),
            &token,
        )
        .await;
        assert_eq!(phones(&body) > 0, shown, "{user} on team {team}");
    }
}

#[tokio::test]
async fn members_come_with_skills_and_availability_in_words() {
    let app = app().await;
    let volunteer = app.login(VOLUNTEER).await;
    let members = get(&app, "/api/v1/teams/1/members", &volunteer).await;
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), 7);
    assert_eq!(members[0]["role"], "leader");
    for m in members {
        assert!(!m["skills"].as_array().unwrap().is_empty(), "{m}");
        assert!(m["daily_visit_cap"].as_u64().unwrap() > 0, "{m}");
        assert!(m["remote_capable"].is_boolean(), "{m}");
        assert!(m["availability"]["when"].is_array(), "{m}");
        let vi = m["availability_text"]["vi"].as_str().unwrap();
        let en = m["availability_text"]["en"].as_str().unwrap();
        assert_ne!(vi, en, "{m}");
        assert!(m.get("phone").is_none() && m.get("email").is_none(), "{m}");
    }
}

/// A form POST; answers status, headers and body.
async fn post_form(
    app: &TestApp,
    path: &str,
    body: &str,
    cookie: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    // As a browser does: the form's page first, for the form's token (and
    // the sign-in form's own cookie).
    let (cookie, token) = if path == "/dang-nhap" {
        let (_, headers, html) = page(app, "/dang-nhap", None).await;
        let form_cookie = headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        (Some(form_cookie), super::form_token(&html))
    } else if let Some(cookie) = cookie {
        let (_, _, html) = page(app, "/", Some(cookie)).await;
        let token = if html.contains("name=\"csrf\"") {
            super::form_token(&html)
        } else {
            String::new()
        };
        (Some(cookie.to_owned()), token)
    } else {
        (None, String::new())
    };
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let body = if body.is_empty() {
        format!("csrf={token}")
    } else {
        format!("{body}&csrf={token}")
    };
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    let (status, headers, bytes) = app.raw(Method::GET, path, None, None, &headers).await;
    (status, headers, String::from_utf8(bytes).unwrap())
}

fn location(headers: &HeaderMap) -> &str {
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Signs in through the form; answers the `Cookie` header to send.
async fn sign_in(app: &TestApp, user: &str) -> String {
    let (status, headers, body) = post_form(
        app,
        "/dang-nhap",
        &format!("username={user}&password=doorstep-demo"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), "/");
    let cookie = headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert!(
        pair.starts_with("doorstep_session=") && pair.len() > 30,
        "{pair}"
    );
    pair
}

#[tokio::test]
async fn pages_send_strangers_to_sign_in_and_show_each_user_their_teams() {
    let app = app().await;
    for path in ["/", "/teams/1", "/teams/1?page=2", "/teams/99"] {
        let (status, headers, _) = page(&app, path, None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&headers), "/dang-nhap", "{path}");
    }
    let (status, _, _) = page(&app, "/", Some("doorstep_session=forged")).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "an unknown session is no session"
    );

    let (status, headers, form) = page(&app, "/dang-nhap", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    for text in [
        "Tên đăng nhập",
        "Mật khẩu",
        "name=\"username\"",
        "name=\"password\"",
        "âm lịch",
    ] {
        assert!(form.contains(text), "the form shows {text}: {form}");
    }
    super::assert_only_own_scripts("/dang-nhap", &form);

    let (status, _, body) = post_form(
        &app,
        "/dang-nhap",
        &format!("username={LEADER}&password=wrong"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("sai tên đăng nhập hoặc mật khẩu"), "{body}");
    assert!(!body.contains("wrong user name or password"), "{body}");
    assert!(
        body.contains(&format!("value=\"{LEADER}\"")),
        "the name is kept: {body}"
    );
    let (status, _, body) = post_form(&app, "/dang-nhap", "username=&password=", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let leader = sign_in(&app, LEADER).await;
    let (status, _, _) = page(&app, "/dang-nhap", Some(&leader)).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a signed-in user skips the form"
    );
    let (status, _, home) = page(&app, "/", Some(&leader)).await;
    assert_eq!(status, StatusCode::OK, "{home}");
    for text in [
        "Tổ công nghệ số cộng đồng phường Hải Thanh",
        "Tổ trưởng, tổ CNSCĐ phường Hải Thanh",
        "Đăng xuất",
        "action=\"/dang-xuat\"",
        "âm lịch",
        "300 hộ",
    ] {
        assert!(home.contains(text), "the home page shows {text}: {home}");
    }
    assert!(!home.contains("xã Định Bình"), "only the leader's team");

    // The team's page is its dashboard; its households have a page of their own.
    let (status, _, first) = page(&app, "/teams/1", Some(&leader)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        first.contains("<div class=\"num\">300</div>hộ"),
        "300 households"
    );
    assert!(first.contains("href=\"/teams/1/ho-dan\""));
    assert!(first.contains("âm lịch"), "today is shown solar and lunar");
    let (status, _, other) = page(&app, "/teams/2", Some(&leader)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(other.contains("không tìm thấy tổ 2"), "{other}");

    let official = sign_in(&app, OFFICIAL_DINH_BINH).await;
    let (_, _, home) = page(&app, "/", Some(&official)).await;
    assert!(home.contains("xã Định Bình") && !home.contains("phường Hải Thanh</a>"));
    let (status, _, team) = page(&app, "/teams/2", Some(&official)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !team.contains("href=\"tel:"),
        "officials never see phone numbers"
    );
    let (status, _, _) = page(&app, "/teams/1", Some(&official)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, headers, _) = post_form(&app, "/dang-xuat", "", Some(&leader)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/dang-nhap");
    assert!(
        headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, headers, _) = page(&app, "/", Some(&leader)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the session ended");
    assert_eq!(location(&headers), "/dang-nhap");
}

#[tokio::test]
async fn too_many_failed_sign_ins_are_refused_on_the_form_too() {
    let app = app().await;
    let form = format!("username={ADMIN}&password=wrong");
    for _ in 0..5 {
        let (status, _, _) = post_form(&app, "/dang-nhap", &form, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, headers, body) = post_form(
        &app,
        "/dang-nhap",
        &format!("username={ADMIN}&password=doorstep-demo"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(
        headers
            .get_all(header::SET_COOKIE)
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("doorstep_session=")),
        "no session"
    );
    assert!(body.contains("đăng nhập sai quá nhiều lần"), "{body}");
    assert!(!body.contains("too many failed sign-ins"), "{body}");
}

#[tokio::test]
async fn pages_escape_what_the_register_says() {
    let app = app().await;
    let name = "Lê <script>alert(\"x\")</script> & 'Lan'";
    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE residents SET full_name = '{}' WHERE household_id = \
             (SELECT id FROM households WHERE external_id = 'HT-0001')",
            name.replace('\'', "''")
        ))
        .await
        .unwrap();
    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE members SET full_name = '{}' WHERE id = \
             (SELECT MIN(id) FROM members WHERE team_id = 1)",
            name.replace('\'', "''")
        ))
        .await
        .unwrap();
    let leader = sign_in(&app, LEADER).await;
    let (status, _, body) = page(&app, "/teams/1/thanh-vien", Some(&leader)).await;
    assert_eq!(status, StatusCode::OK);
    super::assert_only_own_scripts("the members", &body);
    assert!(
        body.contains("Lê &#60;script&#62;") || body.contains("Lê &lt;script&gt;"),
        "the name is shown escaped: {body}"
    );
    let token = app.login(LEADER).await;
    let json = get(&app, "/api/v1/teams/1/households?per_page=1", &token).await;
    assert_eq!(json["households"][0]["residents"][0]["full_name"], name);
}

/// The households the signed-in volunteer visits on team 1's calendar.
async fn visited_by(app: &TestApp, token: &str) -> std::collections::BTreeSet<i64> {
    let (status, me) = app.call(Method::GET, "/api/v1/me", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let member = me["member_id"].as_i64().expect("a member");
    let sql = format!(
        "SELECT DISTINCT household_id FROM visits WHERE on_calendar = TRUE \
         AND member_id = {member} AND status <> '{}'",
        doorstep_core::VisitStatus::Cancelled.code()
    );
    super::rows(app, &sql)
        .await
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect()
}

fn household_ids(page: &Value) -> std::collections::BTreeSet<i64> {
    page["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_volunteer_reads_only_the_households_of_their_visits() {
    let app = TestApp::demo_with_calendars().await;
    let volunteer = app.login(VOLUNTEER).await;
    let leader = app.login(LEADER).await;
    let visited = visited_by(&app, &volunteer).await;
    assert!(
        !visited.is_empty(),
        "the volunteer has visits on the calendar"
    );

    let mut all = get(&app, "/api/v1/teams/1/households?per_page=200", &leader).await;
    let total = all["total"].as_u64().unwrap();
    for page in 2..=total.div_ceil(200) {
        let more = get(
            &app,
            &format!("/api/v1/teams/1/households?per_page=200&page={page}"),
            &leader,
        )
        .await;
        let more = more["households"].as_array().unwrap().clone();
        all["households"].as_array_mut().unwrap().extend(more);
    }
    let everyone = household_ids(&all);
    assert_eq!(total as usize, everyone.len());
    assert!(visited.is_subset(&everyone));
    assert!(everyone.len() > visited.len(), "the leader sees them all");

    let mine = get(&app, "/api/v1/teams/1/households?per_page=200", &volunteer).await;
    assert_eq!(household_ids(&mine), visited, "{mine}");
    assert_eq!(mine["total"].as_u64().unwrap() as usize, visited.len());
    // Paged in the database: one a page, the same households.
    let first = get(&app, "/api/v1/teams/1/households?per_page=1", &volunteer).await;
    assert_eq!(first["total"], mine["total"]);
    assert_eq!(first["households"].as_array().unwrap().len(), 1);

    // A household outside the volunteer's visits: not found by search, nor
    // by its id, nor through one of its residents.
    let outside = all["households"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| !visited.contains(&h["id"].as_i64().unwrap()))
        .unwrap();
    let key = outside["external_id"].as_str().unwrap();
    let found = get(
        &app,
        &format!("/api/v1/teams/1/households?q={key}"),
        &volunteer,
    )
    .await;
    let keys = |page: &Value| -> Vec<String> {
        page["households"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["external_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(!keys(&found).contains(&key.to_owned()), "{found}");
    let found = get(
        &app,
        &format!("/api/v1/teams/1/households?q={key}"),
        &leader,
    )
    .await;
    // (The key's words may also match another household's phone.)
    assert!(keys(&found).contains(&key.to_owned()), "{found}");
    let edit = serde_json::json!({"address": "Số 1"});
    let (status, problem) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/households/{}", outside["id"]),
            Some(&volunteer),
            Some(edit.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    if let Some(resident) = outside["residents"].as_array().unwrap().first() {
        let (status, problem) = app
            .call(
                Method::PUT,
                &format!("/api/v1/residents/{}/consent", resident["id"]),
                Some(&volunteer),
                Some(serde_json::json!({"text_version": "mẫu 01/2025", "text": "Tôi đồng ý."})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    }
    // One of their own: readable, and still not theirs to edit.
    let own = visited.first().unwrap();
    let (status, problem) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/households/{own}"),
            Some(&volunteer),
            Some(edit),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
}
