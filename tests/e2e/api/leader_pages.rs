//! In-process tests of the leader's pages: the team's dashboard against
//! what the database holds, read only for a volunteer and an official; a
//! member's form saved and read back, and refused field by field; a
//! blackout added with the published visits it falls on, and deleted; the
//! register checked line by line in the user's language before anything is
//! written, imported, refused when too large, and exported. Requests are
//! sent as a browser sends them: the session cookie, the page's token and
//! the `Origin` header.

use axum::http::{Method, StatusCode, header};
use chrono::{Datelike, NaiveDate};
use doorstep_core::{NeedStep, UnmetReason};
use sea_orm::ConnectionTrait;

use super::browsing::{self, assert_labelled, post, post_multipart};
use super::pages::html as escape;
use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, count, form_token, rows, session_cookie};

/// Another team's leader.
const LEADER_2: &str = "totruong.dinhbinh";

/// A page as the browser signed in with `cookie` reads it: status, body;
/// answered 200, every field has its label.
async fn get(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, String) {
    let (status, body) = browsing::get(app, path, cookie).await;
    if status == StatusCode::OK {
        assert_labelled(path, &body);
    }
    (status, body)
}

/// Text as the templates escape it, and back.
fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

/// The numbers of a table's row whose header is `label`.
fn row_numbers(body: &str, label: &str) -> Vec<u64> {
    let start = body
        .find(&format!("<th scope=\"row\">{label}"))
        .unwrap_or_else(|| panic!("a row {label}"));
    let row = &body[start..start + body[start..].find("</tr>").unwrap()];
    row.split("<td>")
        .skip(1)
        .map(|cell| cell.split('<').next().unwrap().trim().parse().unwrap())
        .collect()
}

/// Runs a statement on the test's database.
async fn execute(app: &TestApp, sql: &str) {
    app.store
        .connection()
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A member as stored, every column as text.
fn member_row(member: i64) -> String {
    format!(
        "SELECT full_name, daily_visit_cap, skills, availability, \
         CASE WHEN remote_capable THEN 1 ELSE 0 END, CASE WHEN active THEN 1 ELSE 0 END \
         FROM members WHERE id = {member}"
    )
}

const TEAM_NEEDS: &str = "SELECT COUNT(*) FROM needs n JOIN residents r ON r.id = n.resident_id \
     JOIN households h ON h.id = r.household_id WHERE h.team_id = 1";

/// Today's week of team 1 in Việt Nam: Monday 7 to Sunday 13 December.
fn week() -> Vec<NaiveDate> {
    let today = super::today();
    let monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
    (0..7).map(|i| monday + chrono::Days::new(i)).collect()
}

/// The visits of team 1's calendar (not cancelled): their id, day in
/// Việt Nam and status.
async fn calendar_visits(app: &TestApp) -> Vec<(i64, NaiveDate, String)> {
    rows(
        app,
        "SELECT v.id, CAST(v.start_at AS TEXT), v.status FROM visits v \
         JOIN plans p ON p.id = v.plan_id \
         WHERE p.team_id = 1 AND v.on_calendar = TRUE AND v.status <> 'cancelled'",
    )
    .await
    .into_iter()
    .map(|row| {
        let start = chrono::DateTime::parse_from_rfc3339(&row[1].replace(' ', "T"))
            .or_else(|_| chrono::DateTime::parse_from_str(&row[1], "%Y-%m-%d %H:%M:%S%#z"))
            .expect("a start");
        let day = start
            .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
            .date_naive();
        (row[0].parse().unwrap(), day, row[2].clone())
    })
    .collect()
}

#[tokio::test]
async fn the_dashboard_shows_what_the_database_holds() {
    let app = TestApp::demo_with_calendars().await;
    // Some needs tried, refused and done, some visits of the week done and
    // missed: every column has something to count.
    for (result, status, n) in [
        ("not_home", "open", 5),
        ("needs_appointment", "open", 2),
        ("refused", "open", 3),
        ("done", "done", 4),
    ] {
        execute(
            &app,
            &format!(
                "UPDATE needs SET last_result = '{result}', status = '{status}' WHERE id IN \
                 (SELECT n.id FROM needs n JOIN residents r ON r.id = n.resident_id \
                  JOIN households h ON h.id = r.household_id \
                  WHERE h.team_id = 1 AND n.status = 'open' AND n.last_result IS NULL \
                  ORDER BY n.id LIMIT {n})"
            ),
        )
        .await;
    }
    let this_week: Vec<(i64, NaiveDate, String)> = calendar_visits(&app)
        .await
        .into_iter()
        .filter(|(_, day, _)| week().contains(day))
        .collect();
    assert!(
        this_week.len() > 4,
        "the demo's calendar has visits this week"
    );
    for (i, status) in [(0, "done"), (1, "missed"), (2, "done")] {
        execute(
            &app,
            &format!(
                "UPDATE visits SET status = '{status}' WHERE id = {}",
                this_week[i].0
            ),
        )
        .await;
    }

    let cookie = session_cookie(&app, LEADER).await;
    let (status, body) = get(&app, "/teams/1", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<html lang=\"vi\">"));

    // The needs, step by step, as the database counts them.
    let mut total = 0;
    for step in NeedStep::ALL {
        let code = step.code();
        let of = |more: &str| format!("{TEAM_NEEDS} AND n.step = '{code}' AND {more}");
        let want = [
            count(
                &app,
                &of("n.status = 'open' AND (n.last_result IS NULL OR n.last_result = 'done')"),
            )
            .await,
            count(
                &app,
                &of("n.status = 'open' AND n.last_result IN ('not_home', 'reschedule', 'needs_appointment')"),
            )
            .await,
            count(&app, &of("n.status = 'open' AND n.last_result = 'refused'")).await,
            count(&app, &of("n.status = 'done'")).await,
            count(&app, &of("n.status = 'not_applicable'")).await,
        ];
        let shown = row_numbers(&body, step.label_vi());
        assert_eq!(
            shown,
            want.iter().map(|n| *n as u64).collect::<Vec<_>>(),
            "{code}"
        );
        total += want.iter().sum::<i64>();
    }
    assert_eq!(total, count(&app, TEAM_NEEDS).await);
    let totals = row_numbers(&body, "Tổng");
    assert_eq!(totals[1], 7, "tried needs are in progress");
    assert_eq!(totals[2], 3);
    assert!(totals[3] >= 4);

    // This week, day by day, from the published calendar.
    let visits = calendar_visits(&app).await;
    for day in week() {
        let of_day: Vec<&String> = visits
            .iter()
            .filter(|(_, d, _)| *d == day)
            .map(|(_, _, s)| s)
            .collect();
        let with = |wanted: &[&str]| {
            of_day
                .iter()
                .filter(|s| wanted.contains(&s.as_str()))
                .count() as u64
        };
        let weekday = match day.weekday() {
            chrono::Weekday::Mon => "T2",
            chrono::Weekday::Tue => "T3",
            chrono::Weekday::Wed => "T4",
            chrono::Weekday::Thu => "T5",
            chrono::Weekday::Fri => "T6",
            chrono::Weekday::Sat => "T7",
            chrono::Weekday::Sun => "CN",
        };
        let label = format!("{weekday} {}", day.format("%d/%m"));
        assert_eq!(
            row_numbers(&body, &label),
            [
                of_day.len() as u64,
                with(&["done"]),
                with(&["missed"]),
                with(&["proposed", "confirmed"])
            ],
            "{label}"
        );
    }
    let week_totals = row_numbers(&body, "Cả tuần");
    assert_eq!(week_totals[0], this_week.len() as u64);
    assert_eq!((week_totals[1], week_totals[2]), (2, 1));
    // Solar and lunar: Monday 7/12/2026 is the 29th of the 10th lunar month.
    assert!(body.contains("T2 07/12<br><span class=\"muted\">29/10 ÂL · hôm nay</span>"));

    // What the latest published plan left out, by reason.
    let plan = count(
        &app,
        "SELECT MAX(id) FROM plans WHERE team_id = 1 AND status = 'published'",
    )
    .await;
    let reasons = rows(
        &app,
        &format!(
            "SELECT reason, COUNT(DISTINCT household_id) FROM unmet WHERE plan_id = {plan} \
             GROUP BY reason"
        ),
    )
    .await;
    assert!(!reasons.is_empty(), "the demo's plan leaves someone out");
    for row in &reasons {
        let reason = UnmetReason::parse(&row[0]).unwrap();
        assert!(
            body.contains(&format!(
                "<span>{}</span> <strong>{}</strong>",
                reason.label_vi(),
                row[1]
            )),
            "{}",
            row[0]
        );
    }
    let households = count(
        &app,
        &format!("SELECT COUNT(DISTINCT household_id) FROM unmet WHERE plan_id = {plan}"),
    )
    .await;
    assert!(body.contains(&format!(
        "Kế hoạch đã công bố #{plan} (07/12/2026 – 03/01/2027): <strong>{households}</strong> hộ"
    )));

    // The leader's way to everything of the team; the households are no
    // longer listed here.
    for href in [
        "/teams/1/lich",
        "/teams/1/ho-dan",
        "/teams/1/thanh-vien",
        "/teams/1/ngay-nghi",
        "/teams/1/nhap-so",
    ] {
        assert!(body.contains(&format!("href=\"{href}\"")), "{href}");
    }
    assert!(!body.contains("<th>Mã hộ</th>"));
    assert!(!body.contains("?page=2"));
}

#[tokio::test]
async fn volunteers_and_officials_read_the_dashboard_without_the_leaders_buttons() {
    let app = TestApp::demo_with_calendars().await;
    let leader = session_cookie(&app, LEADER).await;
    let (_, led) = get(&app, "/teams/1", &leader).await;
    for user in [VOLUNTEER, OFFICIAL] {
        let cookie = session_cookie(&app, user).await;
        let (status, body) = get(&app, "/teams/1", &cookie).await;
        assert_eq!(status, StatusCode::OK, "{user}: {body}");
        // The same figures as the leader's.
        for step in NeedStep::ALL {
            assert_eq!(
                row_numbers(&body, step.label_vi()),
                row_numbers(&led, step.label_vi()),
                "{user}"
            );
        }
        assert_eq!(row_numbers(&body, "Cả tuần"), row_numbers(&led, "Cả tuần"));
        for href in ["/teams/1/ngay-nghi", "/teams/1/nhap-so"] {
            assert!(
                !body.contains(&format!("href=\"{href}\"")),
                "{user}: {href}"
            );
        }
        assert!(body.contains("chỉ tổ trưởng thay đổi được"), "{user}");
        // The members read only.
        let (status, members) = get(&app, "/teams/1/thanh-vien", &cookie).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert!(!members.contains("href=\"/thanh-vien/"), "{user}");
        // The leader's pages are refused.
        let member = count(&app, "SELECT MIN(id) FROM members WHERE team_id = 1").await;
        for path in [format!("/thanh-vien/{member}"), "/teams/1/nhap-so".into()] {
            let (status, _) = get(&app, &path, &cookie).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{user}: {path}");
        }
        let (_, form) = get(&app, "/teams/1/ngay-nghi", &cookie).await;
        assert!(!form.contains("action=\"/teams/1/ngay-nghi\""), "{user}");
        let (status, _, _) = post(
            &app,
            "/teams/1/ngay-nghi",
            &cookie,
            &[
                ("csrf", &form_token(&form)),
                ("ly_do", "Bão"),
                ("tu_ngay", "2026-12-08"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM blackouts").await, 0);

    // Another team's leader: team 1 is not there for them.
    app.add_user(LEADER_2, "leader", Some(2), None, None).await;
    let other = session_cookie(&app, LEADER_2).await;
    for path in [
        "/teams/1",
        "/teams/1/thanh-vien",
        "/teams/1/ngay-nghi",
        "/teams/1/nhap-so",
        "/teams/1/so-ho.csv",
    ] {
        let (status, _) = get(&app, path, &other).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let member = count(&app, "SELECT MIN(id) FROM members WHERE team_id = 1").await;
    let (status, _) = get(&app, &format!("/thanh-vien/{member}"), &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A volunteer of team 1 (not the leader), by id.
async fn a_volunteer(app: &TestApp) -> i64 {
    count(
        app,
        "SELECT MIN(id) FROM members WHERE team_id = 1 AND role = 'volunteer'",
    )
    .await
}

#[tokio::test]
async fn a_members_form_is_saved_and_read_back() {
    let app = TestApp::demo().await;
    let cookie = session_cookie(&app, LEADER).await;
    let member = a_volunteer(&app).await;
    let name = rows(
        &app,
        &format!("SELECT full_name FROM members WHERE id = {member}"),
    )
    .await[0][0]
        .clone();

    let (status, list) = get(&app, "/teams/1/thanh-vien", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&escape(&name)));
    assert!(list.contains(&format!("href=\"/thanh-vien/{member}\"")));

    let path = format!("/thanh-vien/{member}");
    let (status, form) = get(&app, &path, &cookie).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let csrf = form_token(&form);
    let (status, location, body) = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("ho_ten", &name),
            ("ky_nang", "vneid"),
            ("ky_nang", "scam_awareness"),
            ("so_luot", "5"),
            ("goi_xa", "1"),
            ("hoat_dong", "1"),
            ("ranh", "cuoi_tuan"),
            ("quy_tac", ""),
            ("nghi_tu", "2026-12-20"),
            ("nghi_den", "2026-12-22"),
            ("nghi_ly_do", "Đi học"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(
        location,
        format!("/teams/1/thanh-vien?da_luu={member}#tv-{member}")
    );
    let stored = &rows(&app, &member_row(member)).await[0];
    assert_eq!(stored[1], "5");
    let skills: Vec<String> = serde_json::from_str(&stored[2]).unwrap();
    assert_eq!(skills, ["vneid", "scam_awareness"]);
    assert_eq!(stored[4], "1", "makes video calls");
    let rule: serde_json::Value = serde_json::from_str(&stored[3]).unwrap();
    assert_eq!(
        rule["when"],
        serde_json::json!([{"weekdays": ["sat", "sun"], "hours": ["07:00", "21:00"]}])
    );
    assert_eq!(
        rule["except"],
        serde_json::json!([{"dates": ["2026-12-20", "2026-12-22"], "label": "Đi học"}])
    );

    // Read back: the list and the form.
    let (_, list) = get(&app, &location, &cookie).await;
    assert!(list.contains(&format!("Đã lưu thông tin của {}.", escape(&name))));
    assert!(list.contains("Tối đa <strong>5</strong> lượt thăm một ngày"));
    assert!(list.contains("Đi học: 20/12 – 22/12/2026"));
    assert!(
        list.contains("Bảy, Chủ nhật, 07:00–21:00"),
        "the free time in words"
    );
    let (_, form) = get(&app, &path, &cookie).await;
    assert!(form.contains("name=\"so_luot\" value=\"5\""));
    assert!(form.contains("id=\"ky_nang-vneid\" name=\"ky_nang\" value=\"vneid\" checked"));
    assert!(form.contains("value=\"scam_awareness\" checked"));
    assert!(!form.contains("value=\"e_payment\" checked"));
    assert!(form.contains("id=\"goi_xa\" name=\"goi_xa\" value=\"1\" checked"));
    assert!(form.contains("Đi học: 20/12 – 22/12/2026"));

    // The leave taken off again; the free time kept as written.
    let rule_text = form
        .split("name=\"quy_tac\"")
        .nth(1)
        .and_then(|rest| rest.split('>').nth(1))
        .and_then(|rest| rest.split("</textarea").next())
        .map(unescape)
        .unwrap();
    assert!(rule_text.contains("\"sat\""), "{rule_text}");
    let (status, _, body) = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("ho_ten", &name),
            ("ky_nang", "vneid"),
            ("so_luot", "5"),
            ("hoat_dong", "1"),
            ("ranh", "quy_tac"),
            ("quy_tac", &rule_text),
            ("bo_nghi", "0"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let stored = &rows(&app, &member_row(member)).await[0];
    assert_eq!(stored[4], "0", "no more video calls");
    let rule: serde_json::Value = serde_json::from_str(&stored[3]).unwrap();
    assert!(rule.get("except").is_none(), "{rule}");
    assert_eq!(
        rule["when"][0]["weekdays"],
        serde_json::json!(["sat", "sun"])
    );
}

#[tokio::test]
async fn a_members_form_names_each_bad_field_and_keeps_what_was_sent() {
    let app = TestApp::demo().await;
    let cookie = session_cookie(&app, LEADER).await;
    let member = a_volunteer(&app).await;
    let path = format!("/thanh-vien/{member}");
    let (_, form) = get(&app, &path, &cookie).await;
    let csrf = form_token(&form);
    let before = rows(&app, &member_row(member)).await;

    // A cap out of range, and one that is no number.
    for (cap, said) in [
        ("0", "cần số nguyên từ 1 đến 40, nhận 0"),
        ("41", "cần số nguyên từ 1 đến 40, nhận 41"),
        ("nhiều", "cần số nguyên từ 1 đến 40, nhận &#34;nhiều&#34;"),
    ] {
        let (status, _, body) = post(
            &app,
            &path,
            &cookie,
            &[
                ("csrf", &csrf),
                ("ho_ten", "Người Mới"),
                ("ky_nang", "e_payment"),
                ("so_luot", cap),
                ("ranh", "gio_hanh_chinh"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{cap}: {body}");
        assert!(
            body.contains(&format!(
                "<a href=\"#so_luot\">Số lượt thăm tối đa một ngày</a>: {said}"
            )),
            "{cap}: {body}"
        );
        assert!(body.contains(&format!(
            "id=\"so_luot\" name=\"so_luot\" value=\"{}\"",
            escape(cap)
        )));
        assert!(body.contains("aria-invalid=\"true\" aria-describedby=\"so_luot-loi\""));
        // The form as it was sent.
        assert!(body.contains("name=\"ho_ten\" value=\"Người Mới\""));
        assert!(body.contains("value=\"e_payment\" checked"));
        assert!(body.contains("value=\"gio_hanh_chinh\" checked"));
    }
    // Leave that ends before it starts, and a rule that is not JSON.
    let (status, _, body) = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("ho_ten", "Người Mới"),
            ("so_luot", "6"),
            ("ranh", "quy_tac"),
            ("quy_tac", "{\"mode\": \"in_person\", \"when\": ["),
            ("nghi_tu", "2026-12-22"),
            ("nghi_den", "2026-12-20"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("<a href=\"#quy_tac\">Thời gian rảnh</a>: không đọc được quy tắc"));
    assert!(
        body.contains(
            "<a href=\"#nghi_den\">Đến hết ngày</a>: ngày cuối phải cùng hoặc sau ngày đầu"
        )
    );
    assert!(body.contains("value=\"2026-12-22\""));
    // A rule that reads as JSON but not as a rule: its path's problem.
    let (status, _, body) = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &csrf),
            ("ho_ten", "Người Mới"),
            ("so_luot", "6"),
            ("ranh", "quy_tac"),
            (
                "quy_tac",
                "{\"mode\": \"in_person\", \"when\": [{\"hours\": [\"25:00\", \"08:00\"]}]}",
            ),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("<a href=\"#quy_tac\">Thời gian rảnh</a>: cần giờ HH:MM"),
        "{body}"
    );

    // Nothing was written.
    assert_eq!(rows(&app, &member_row(member)).await, before);

    // A stale form, and a form of another site.
    let (status, _, body) = post(
        &app,
        &path,
        &cookie,
        &[("ho_ten", "Người Mới"), ("so_luot", "6")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("biểu mẫu đã cũ"));
    let (status, _, _) = post(
        &app,
        &path,
        &cookie,
        &[("csrf", "0123456789abcdef"), ("so_luot", "6")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(rows(&app, &member_row(member)).await, before);
}

#[tokio::test]
async fn a_blackout_lists_the_published_visits_it_falls_on_and_is_deleted_after_asking() {
    let app = TestApp::demo_with_calendars().await;
    let cookie = session_cookie(&app, LEADER).await;
    let (status, page) = get(&app, "/teams/1/ngay-nghi", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let csrf = form_token(&page);
    // Tomorrow in Việt Nam, with the visits still to come on it.
    let tomorrow = super::today() + chrono::Days::new(1);
    let ids: Vec<i64> = rows(
        &app,
        "SELECT v.id, CAST(v.start_at AS TEXT), v.status FROM visits v \
         JOIN plans p ON p.id = v.plan_id \
         WHERE p.team_id = 1 AND v.on_calendar = TRUE AND v.status IN ('proposed', 'confirmed')",
    )
    .await
    .into_iter()
    .filter(|row| {
        let start = chrono::DateTime::parse_from_rfc3339(&row[1].replace(' ', "T"))
            .or_else(|_| chrono::DateTime::parse_from_str(&row[1], "%Y-%m-%d %H:%M:%S%#z"))
            .unwrap();
        start
            .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
            .date_naive()
            == tomorrow
    })
    .map(|row| row[0].parse().unwrap())
    .collect();
    assert!(!ids.is_empty(), "the demo's calendar has visits tomorrow");

    // Bad input first: every field named, the form kept, nothing added.
    let (status, _, body) = post(
        &app,
        "/teams/1/ngay-nghi",
        &cookie,
        &[
            ("csrf", &csrf),
            ("ly_do", ""),
            ("tu_ngay", "08/12/2026"),
            ("tu_gio", "25:00"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for said in [
        "<a href=\"#ly_do\">Lý do</a>: cần lý do",
        "<a href=\"#tu_ngay\">Từ ngày</a>: cần một ngày",
        "<a href=\"#tu_gio\">Từ giờ</a>: cần giờ HH:MM",
    ] {
        assert!(body.contains(said), "{said}");
    }
    assert!(body.contains("value=\"08/12/2026\""));
    let (status, _, body) = post(
        &app,
        "/teams/1/ngay-nghi",
        &cookie,
        &[
            ("csrf", &csrf),
            ("ly_do", "Bão"),
            ("tu_ngay", "2026-12-10"),
            ("den_ngay", "2026-12-08"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("<a href=\"#den_ngay\">Đến hết ngày</a>:"),
        "{body}"
    );
    let (status, _, _) = post(
        &app,
        "/teams/1/ngay-nghi",
        &cookie,
        &[("ly_do", "Bão số 9"), ("tu_ngay", "2026-12-08")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a stale form");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM blackouts").await, 0);

    // Added: the list says which published visits it falls on.
    let (status, location, body) = post(
        &app,
        "/teams/1/ngay-nghi",
        &cookie,
        &[
            ("csrf", &csrf),
            ("ly_do", "Bão số 9"),
            ("tu_ngay", &tomorrow.to_string()),
            ("den_ngay", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let id = count(&app, "SELECT MAX(id) FROM blackouts WHERE team_id = 1").await;
    assert_eq!(location, format!("/teams/1/ngay-nghi?them={id}#ng-{id}"));
    assert_eq!(
        rows(
            &app,
            &format!("SELECT label, rule FROM blackouts WHERE id = {id}")
        )
        .await[0][0],
        "Bão số 9"
    );
    let (status, body) = get(&app, &location, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Đã thêm: <strong>Bão số 9</strong>."));
    assert!(
        body.contains(&format!(
            "Trùng <strong>{}</strong> lượt thăm đã công bố",
            ids.len()
        )),
        "{body}"
    );
    assert!(body.contains(&format!(
        "<a class=\"btn\" href=\"/teams/1/lich?tu={tomorrow}\">Mở lịch để lập lại</a>"
    )));
    // The same visits as the API says.
    let token = app.login(LEADER).await;
    let (_, listed) = app
        .call(Method::GET, "/api/v1/teams/1/blackouts", Some(&token), None)
        .await;
    let affected = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == id)
        .unwrap()["affected"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(affected, ids.len());
    assert_eq!(
        body.matches("<li><span class=\"time\">").count(),
        ids.len(),
        "each visit listed"
    );
    // The dashboard names it too.
    let (_, board) = get(&app, "/teams/1", &cookie).await;
    assert!(board.contains("<strong>Bão số 9</strong>"));
    assert!(board.contains(&format!("Trùng {} lượt thăm đã công bố", ids.len())));

    // Deleted, after asking.
    let confirm = format!("/teams/1/ngay-nghi/{id}/xoa");
    assert!(body.contains(&format!("href=\"{confirm}\"")));
    let (status, asked) = get(&app, &confirm, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(asked.contains("Xoá đợt tạm dừng này?"));
    let (status, _, _) = post(&app, &confirm, &cookie, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a stale form");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM blackouts").await, 1);
    let volunteer = session_cookie(&app, VOLUNTEER).await;
    let (_, theirs) = get(&app, "/teams/1/ngay-nghi", &volunteer).await;
    let (status, _, _) = post(
        &app,
        &confirm,
        &volunteer,
        &[("csrf", &form_token(&theirs))],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.add_user(LEADER_2, "leader", Some(2), None, None).await;
    let other = session_cookie(&app, LEADER_2).await;
    let (_, home) = get(&app, "/teams/2", &other).await;
    let (status, _, _) = post(&app, &confirm, &other, &[("csrf", &form_token(&home))]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM blackouts").await, 1);
    let (status, location, _) = post(&app, &confirm, &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/teams/1/ngay-nghi?da_xoa=1");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM blackouts").await, 0);
    let (_, body) = get(&app, &location, &cookie).await;
    assert!(body.contains("Đã xoá."));
}

const HEADER: &str = "Mã hộ,Mã nhân khẩu,Họ và tên,Năm sinh,Số điện thoại,Địa chỉ,Thôn/Tổ dân phố,Vĩ độ,Kinh độ,Hiện trạng,Quốc gia,Múi giờ,Nhu cầu";

#[tokio::test]
async fn a_register_is_checked_line_by_line_in_the_users_language_before_it_is_imported() {
    let app = TestApp::demo().await;
    let cookie = session_cookie(&app, LEADER).await;
    let (status, page) = get(&app, "/teams/1/nhap-so", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("enctype=\"multipart/form-data\""));
    let csrf = form_token(&page);
    let households = count(&app, "SELECT COUNT(*) FROM households").await;
    let residents = count(&app, "SELECT COUNT(*) FROM residents").await;
    let imports = "SELECT COUNT(*) FROM audit_log WHERE action = 'import_register'";
    let imported = count(&app, imports).await;

    // Two good rows of a new household and a bad one.
    let bad = format!(
        "{HEADER}\nHT-MOI-1,1,Phạm Văn Mới,1990,0912345678,Số 9 ngõ 3,,,,ở nhà,,,vneid_install\n\
         HT-MOI-1,2,Phạm Thị Hai,1992,,Số 9 ngõ 3,,,,đi biển,,,e_payment\n\
         HT-MOI-1,3,Phạm Văn Sai,1850,,Số 9 ngõ 3,,,,ở nhà,,,\n"
    );
    let check = |csrf: String, file: String| {
        let app = &app;
        let cookie = &cookie;
        async move {
            post_multipart(
                app,
                "/teams/1/nhap-so",
                cookie,
                &[("csrf", &csrf), ("buoc", "kiem_tra")],
                Some(("so-ho.csv", file.as_bytes())),
            )
            .await
        }
    };
    let (status, _, body) = check(csrf.clone(), bad.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains(
            "<strong>Dòng 4</strong>, cột “Năm sinh”: &#34;1850&#34; không phải năm sinh từ 1900 đến 2026"
        ),
        "{body}"
    );
    assert!(body.contains("Tệp có 1 lỗi. Chưa nhập gì cho đến khi sửa xong."));
    assert!(body.contains("Nếu nhập các dòng đúng: 1 hộ mới"));
    assert!(!body.contains("is not a year"));
    // The check wrote nothing, not even the audit log's line.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM households").await,
        households
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM residents").await,
        residents
    );
    assert_eq!(count(&app, imports).await, imported);
    // Imported as it is, without skipping its bad row: nothing written.
    let (status, _, body) = post_multipart(
        &app,
        "/teams/1/nhap-so",
        &cookie,
        &[("csrf", &csrf), ("buoc", "nhap"), ("du_lieu", &bad)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("<strong>Dòng 4</strong>"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM households").await,
        households
    );

    // The same in English once the user switched.
    let (status, _, _) = post(
        &app,
        "/ngon-ngu",
        &cookie,
        &[("csrf", &csrf), ("lang", "en")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, body) = check(csrf.clone(), bad.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("<html lang=\"en\">"));
    assert!(
        body.contains(
            "<strong>Line 4</strong>, column “Năm sinh”: &#34;1850&#34; is not a year between 1900 and 2026"
        ),
        "{body}"
    );
    assert!(!body.contains("không phải năm sinh"));
    assert!(!body.contains("Dòng 4"));

    // Only its good rows, as the leader chooses from the preview.
    let data = body
        .split("name=\"du_lieu\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(unescape)
        .expect("the file goes back with the preview");
    assert_eq!(data, bad);
    assert!(body.contains("name=\"bo_qua_loi\" value=\"1\""));
    let (status, location, body) = post_multipart(
        &app,
        "/teams/1/nhap-so",
        &cookie,
        &[
            ("csrf", &csrf),
            ("buoc", "nhap"),
            ("ten_tep", "so-ho.csv"),
            ("du_lieu", &data),
            ("bo_qua_loi", "1"),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(
        location.starts_with("/teams/1/nhap-so?da_nhap=1&ho_moi=1&"),
        "{location}"
    );
    assert!(location.ends_with("&bo_qua=1"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM households").await,
        households + 1
    );
    let written = rows(
        &app,
        "SELECT r.full_name, r.birth_year, r.presence FROM residents r \
         JOIN households h ON h.id = r.household_id \
         WHERE h.team_id = 1 AND h.external_id = 'HT-MOI-1' ORDER BY r.external_id",
    )
    .await;
    assert_eq!(
        written,
        [
            ["Phạm Văn Mới", "1990", "home"],
            ["Phạm Thị Hai", "1992", "at_sea"]
        ]
    );
    let (_, body) = get(&app, &location, &cookie).await;
    assert!(body.contains("1 new households"), "{body}");
    assert!(body.contains("1 bad rows were left out."));
}

#[tokio::test]
async fn a_valid_register_is_imported_from_its_preview_and_exported() {
    let app = TestApp::demo().await;
    let cookie = session_cookie(&app, LEADER).await;
    let (_, page) = get(&app, "/teams/1/nhap-so", &cookie).await;
    let csrf = form_token(&page);

    // The export: the register in the import's form, one row per resident.
    assert!(page.contains("href=\"/teams/1/so-ho.csv\""));
    let (status, headers, csv) = app
        .raw(
            Method::GET,
            "/teams/1/so-ho.csv",
            None,
            None,
            &[("cookie", cookie.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"so-ho-to-1-")
    );
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
    let lines = csv.iter().filter(|b| **b == b'\n').count() as i64;
    assert_eq!(
        lines - 1,
        count(
            &app,
            "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE h.team_id = 1"
        )
        .await
    );
    let volunteer = session_cookie(&app, VOLUNTEER).await;
    let (status, body) = get(&app, "/teams/1/so-ho.csv", &volunteer).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // The export, checked again: nothing would change.
    let exported = String::from_utf8(csv).unwrap();
    let (status, _, body) = post_multipart(
        &app,
        "/teams/1/nhap-so",
        &cookie,
        &[("csrf", &csrf), ("buoc", "kiem_tra")],
        Some(("so-ho-to-1.csv", exported.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Nhập tệp này không thay đổi gì"));

    // A new household, checked then imported from the preview.
    let file = format!(
        "{HEADER}\r\nHT-MOI-2,1,Lê Thị Ba,1975,,Xóm Mới,,\"19,37\",\"105,80\",ở nước ngoài,Hàn Quốc,,vneid_install; e_payment\r\n\
         HT-MOI-2,2,Lê Văn Tư,2001,,Xóm Mới,,\"19,37\",\"105,80\",ở nhà,,,\r\n"
    );
    let (status, _, body) = post_multipart(
        &app,
        "/teams/1/nhap-so",
        &cookie,
        &[("csrf", &csrf), ("buoc", "kiem_tra")],
        Some(("moi.csv", file.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Đã đọc 2 dòng · nhập được 1 hộ, 2 người."));
    assert!(body.contains("Nếu nhập: 1 hộ mới · 0 hộ thay đổi · 2 người mới"));
    assert!(body.contains(">Nhập sổ này</button>"));
    assert!(!body.contains("bo_qua_loi"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM households WHERE external_id = 'HT-MOI-2'"
        )
        .await,
        0
    );
    let data = body
        .split("name=\"du_lieu\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(unescape)
        .unwrap();
    let (status, location, body) = post_multipart(
        &app,
        "/teams/1/nhap-so",
        &cookie,
        &[("csrf", &csrf), ("buoc", "nhap"), ("du_lieu", &data)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let written = rows(
        &app,
        "SELECT r.full_name, r.presence, r.country, r.timezone, h.address FROM residents r \
         JOIN households h ON h.id = r.household_id \
         WHERE h.team_id = 1 AND h.external_id = 'HT-MOI-2' ORDER BY r.external_id",
    )
    .await;
    assert_eq!(
        written,
        [
            ["Lê Thị Ba", "abroad", "KR", "Asia/Seoul", "Xóm Mới"],
            ["Lê Văn Tư", "home", "", "", "Xóm Mới"]
        ]
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM needs n JOIN residents r ON r.id = n.resident_id \
             JOIN households h ON h.id = r.household_id \
             WHERE h.external_id = 'HT-MOI-2' AND n.status = 'open'"
        )
        .await,
        2
    );
    let (_, body) = get(&app, &location, &cookie).await;
    assert!(
        body.contains("1 hộ mới · 0 hộ thay đổi · 2 người mới"),
        "{body}"
    );
}

#[tokio::test]
async fn a_register_too_large_a_stale_form_and_other_users_are_refused_with_a_page() {
    let app = TestApp::demo().await;
    let cookie = session_cookie(&app, LEADER).await;
    let (_, page) = get(&app, "/teams/1/nhap-so", &cookie).await;
    let csrf = form_token(&page);
    let households = count(&app, "SELECT COUNT(*) FROM households").await;

    // Over the page's 4 MB: a clear page, not a failure.
    let mut big = format!("{HEADER}\n");
    let mut n = 0;
    while big.len() <= 4 * 1024 * 1024 {
        n += 1;
        big.push_str(&format!(
            "HT-LON-{n},1,Người Thứ {n},1980,,Số {n} đường Lớn,,,,ở nhà,,,vneid_install\n"
        ));
    }
    let (status, _, body) = post_multipart(
        &app,
        "/teams/1/nhap-so",
        &cookie,
        &[("csrf", &csrf), ("buoc", "kiem_tra")],
        Some(("lon.csv", big.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("<html lang=\"vi\">"), "{body}");
    assert!(body.contains("Tệp lớn hơn 4 MB"), "{body}");
    // Far over it: the same page.
    big.push_str(&big.clone());
    let (status, _, body) = post_multipart(
        &app,
        "/teams/1/nhap-so",
        &cookie,
        &[("csrf", &csrf), ("buoc", "kiem_tra")],
        Some(("lon.csv", big.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("Tệp lớn hơn 4 MB"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM households").await,
        households
    );

    // No file; a form that is not multipart.
    let (status, _, body) = post_multipart(
        &app,
        "/teams/1/nhap-so",
        &cookie,
        &[("csrf", &csrf), ("buoc", "kiem_tra")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Chưa có tệp"));
    // A form not sent as multipart cannot show its token: refused.
    let (status, _, _) = post(
        &app,
        "/teams/1/nhap-so",
        &cookie,
        &[("csrf", &csrf), ("buoc", "kiem_tra")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A stale form writes nothing.
    let good = format!("{HEADER}\nHT-MOI-3,1,Ai Đó,,,Số 1,,,,,,,\n");
    for token in ["", "0123456789abcdef"] {
        let (status, _, body) = post_multipart(
            &app,
            "/teams/1/nhap-so",
            &cookie,
            &[("csrf", token), ("buoc", "nhap"), ("du_lieu", &good)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM households").await,
        households
    );

    // A volunteer, and another team's leader.
    let volunteer = session_cookie(&app, VOLUNTEER).await;
    let (_, theirs) = get(&app, "/lich-cua-toi", &volunteer).await;
    let (status, _, _) = post_multipart(
        &app,
        "/teams/1/nhap-so",
        &volunteer,
        &[
            ("csrf", &form_token(&theirs)),
            ("buoc", "nhap"),
            ("du_lieu", &good),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.add_user(LEADER_2, "leader", Some(2), None, None).await;
    let other = session_cookie(&app, LEADER_2).await;
    let (_, home) = get(&app, "/teams/2", &other).await;
    let (status, _, _) = post_multipart(
        &app,
        "/teams/1/nhap-so",
        &other,
        &[
            ("csrf", &form_token(&home)),
            ("buoc", "nhap"),
            ("du_lieu", &good),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM households").await,
        households
    );
}
