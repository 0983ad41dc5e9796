//! A team's own tide station: fitted to the high and low waters written
//! down at its port and kept with the team (`/api/v1/teams/{id}/tide-stations`
//! and the page `/teams/{id}/thuy-trieu`), its quality and the readings
//! against its curve, and adopted as the team's station: the team's rules
//! that named the old station name it in one transaction, and previews and
//! plans follow it. Refused field by field and line by line; only the
//! team's leader keeps, adopts and removes.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::browsing::{self, post, post_multipart};
use super::{
    LEADER, OFFICIAL, TestApp, VOLUNTEER, count, fields, form_token, rows, session_cookie,
};

/// Another team's leader.
const LEADER_2: &str = "totruong.dinhbinh";

/// Residents of team 1 whose rule names `station`.
fn naming(station: &str) -> String {
    format!(
        "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
         WHERE h.team_id = 1 AND r.availability LIKE '%\"station\":\"{station}\"%'"
    )
}

fn keep_body(csv: &str) -> Value {
    json!({"name": "Bến cá Hải Thanh (tổ ghi)", "latitude": 19.37, "longitude": 105.80, "csv": csv})
}

/// The fishermen's rule of the demo, naming `station`.
fn fishing_rule(station: &str) -> Value {
    json!({
        "mode": "in_person",
        "when": [{"hours": ["06:00", "20:00"]}],
        "except": [{"tide": {"station": station, "near": "high", "within_minutes": 90}}],
    })
}

async fn check(app: &TestApp, token: &str, rule: Value, team: Option<i32>) -> Value {
    let (status, checked) = app
        .call(
            Method::POST,
            "/api/v1/rules/check",
            Some(token),
            Some(json!({"rule": rule, "team_id": team, "days": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    checked
}

#[tokio::test]
async fn a_leader_keeps_a_fitted_station_and_adopts_it_for_the_teams_rules() {
    let app = TestApp::demo().await;
    app.add_user(LEADER_2, "leader", Some(2), None, None).await;
    let leader = app.login(LEADER).await;
    let (csv, _) = crate::tide::written_down_qui_nhon();
    let named_before = count(&app, &naming("lach-bang")).await;
    assert!(named_before > 0, "the demo's fishermen name Lạch Bạng");

    let (status, kept) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/tide-stations",
            Some(&leader),
            Some(keep_body(&csv)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{kept}");
    let id = "ben-ca-hai-thanh-to-ghi";
    assert_eq!(kept["station"]["id"], id, "the id is made of the name");
    assert_eq!(kept["station"]["grade"], "B", "{kept}");
    assert_eq!(kept["station"]["adopted"], false);
    assert_eq!(kept["replaced"], false);
    assert!(kept["report"].as_str().unwrap().contains("hạng / grade B"));
    assert!(
        kept["station_file"]
            .as_str()
            .unwrap()
            .contains("approximate = true")
    );

    // Kept with the team: its rules may name it, other teams' may not.
    let own = check(&app, &leader, fishing_rule(id), Some(1)).await;
    assert_eq!(own["valid"], true, "{own}");
    let elsewhere = check(&app, &app.login(LEADER_2).await, fishing_rule(id), None).await;
    assert_eq!(elsewhere["valid"], false, "{elsewhere}");
    assert!(elsewhere.to_string().contains(id), "{elsewhere}");
    let (status, presets) = app
        .call(
            Method::GET,
            &format!("/api/v1/rules/presets?station={id}&team_id=1"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{presets}");
    assert!(presets.to_string().contains(id), "{presets}");

    let (status, list) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/tide-stations",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["team_station"], "lach-bang");
    assert_eq!(list["own"].as_array().unwrap().len(), 1, "{list}");
    assert!(list["catalog"].to_string().contains("vn_hon_dau"), "{list}");

    // The preview of a fisherman's rule before and after: the windows
    // around high water follow the station the team adopts.
    let before = check(&app, &leader, fishing_rule("lach-bang"), Some(1)).await;
    let (status, adopted) = app
        .call(
            Method::POST,
            &format!("/api/v1/teams/1/tide-stations/{id}/adopt"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{adopted}");
    assert_eq!(adopted["previous"], "lach-bang");
    assert_eq!(adopted["residents"], named_before, "{adopted}");
    assert_eq!(count(&app, &naming("lach-bang")).await, 0);
    assert_eq!(count(&app, &naming(id)).await, named_before);
    let team = rows(&app, "SELECT tide_station FROM teams WHERE id = 1").await;
    assert_eq!(team, [[id.to_owned()]]);
    let after = check(&app, &leader, fishing_rule(id), Some(1)).await;
    assert_eq!(after["valid"], true, "{after}");
    assert_ne!(
        before["next_windows"], after["next_windows"],
        "the windows follow the adopted station"
    );
    let audit = rows(
        &app,
        "SELECT action FROM audit_log WHERE action LIKE '%tide_station' ORDER BY id",
    )
    .await;
    assert_eq!(audit, [["fit_tide_station"], ["adopt_tide_station"]]);

    // The team plans with it.
    let tomorrow = (super::now() + chrono::Duration::hours(7)).date_naive() + chrono::Days::new(1);
    let (status, plan) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/plans",
            Some(&leader),
            Some(json!({"start": tomorrow.to_string(), "days": 7, "iterations": 2000})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    assert!(!plan["visits"].as_array().unwrap().is_empty(), "{plan}");

    // Fitted again under its id: replaced, still the team's station.
    let mut again = keep_body(&csv);
    again["id"] = json!(id);
    let (status, kept) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/tide-stations",
            Some(&leader),
            Some(again),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{kept}");
    assert_eq!(kept["replaced"], true);
    assert_eq!(kept["station"]["adopted"], true);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tide_stations").await, 1);

    // The team's station is not removed; another, unused one is.
    let (status, problem) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/teams/1/tide-stations/{id}"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let mut other = keep_body(&csv);
    other["id"] = json!("thu-lan-2");
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/tide-stations",
            Some(&leader),
            Some(other),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/teams/1/tide-stations/thu-lan-2",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tide_stations").await, 1);
}

#[tokio::test]
async fn bad_readings_and_ids_are_refused_and_only_the_teams_leader_keeps_or_adopts() {
    let app = TestApp::demo().await;
    app.add_user(LEADER_2, "leader", Some(2), None, None).await;
    let leader = app.login(LEADER).await;
    let rows_bad = "time,kind,height_m\n2026-03-02 05:40,high,2.3\n2026-13-02 05:40,high,2.3\n";
    let mut body = keep_body(rows_bad);
    body["id"] = json!("lach-bang");
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/tide-stations",
            Some(&leader),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        ["id"],
        "a catalog id is refused first: {problem}"
    );
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/tide-stations",
            Some(&leader),
            Some(keep_body(rows_bad)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["csv"], "{problem}");
    assert!(
        problem.to_string().contains(":3: time:"),
        "the bad row by its line: {problem}"
    );
    let mut nameless = keep_body(rows_bad);
    nameless["name"] = json!("  ");
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/tide-stations",
            Some(&leader),
            Some(nameless),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["name"], "{problem}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tide_stations").await, 0);

    let (csv, _) = crate::tide::written_down_qui_nhon();
    for user in [VOLUNTEER, OFFICIAL] {
        let token = app.login(user).await;
        let (status, problem) = app
            .call(
                Method::POST,
                "/api/v1/teams/1/tide-stations",
                Some(&token),
                Some(keep_body(&csv)),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}: {problem}");
        let (status, _) = app
            .call(
                Method::GET,
                "/api/v1/teams/1/tide-stations",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{user} sees the team's stations");
    }
    let outsider = app.login(LEADER_2).await;
    let (status, _) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/tide-stations",
            Some(&outsider),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/tide-stations/vn_hon_dau/adopt",
            Some(&outsider),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/tide-stations/nowhere/adopt",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, _) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/tide-stations/nowhere",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        rows(&app, "SELECT tide_station FROM teams WHERE id = 1").await,
        [["lach-bang"]]
    );
}

#[tokio::test]
async fn the_leader_fits_a_station_on_the_page_sees_its_curve_and_adopts_it() {
    let app = TestApp::demo().await;
    let cookie = session_cookie(&app, LEADER).await;
    let (status, page) = browsing::get(&app, "/teams/1/thuy-trieu", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    browsing::assert_labelled("/teams/1/thuy-trieu", &page);
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(page.contains("Lạch Bạng"), "the team's station is named");
    let token = form_token(&page);

    // A bad row: the page again, the row by its line, nothing kept.
    let bad = "thời gian,loại,độ cao (m)\n02/03/2026 05:40,nước lớn,2.35\n02/03/2026 25:10,nước ròng,0.4\n";
    let (status, _, page) = post_multipart(
        &app,
        "/teams/1/thuy-trieu",
        &cookie,
        &[("csrf", &token), ("ten", "Bến cá"), ("du_lieu", bad)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains(":3: "), "the line is named: {page}");
    assert!(
        page.contains("02/03/2026 25:10"),
        "the rows are kept in the box"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tide_stations").await, 0);

    // The readings as a file.
    let (csv, _) = crate::tide::written_down_qui_nhon();
    let (status, location, _) = post_multipart(
        &app,
        "/teams/1/thuy-trieu",
        &cookie,
        &[("csrf", &token), ("ten", "Bến cá"), ("du_lieu", "")],
        Some(("ben-ca.csv", csv.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/teams/1/thuy-trieu/ben-ca?moi=1");
    let (status, page) = browsing::get(&app, &location, &cookie).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Hạng B"), "{page}");
    assert!(page.contains("<svg class=\"tide\""), "the plot: {page}");
    let readings = csv.lines().count() - 1;
    assert_eq!(
        page.matches("<circle class=\"tide-").count(),
        readings,
        "a dot per reading"
    );
    assert!(
        page.contains("<path class=\"tide-curve\" d=\"M"),
        "the curve"
    );
    assert!(page.contains("Dùng làm trạm của tổ"), "{page}");

    // A volunteer sees the station, without the button.
    let volunteer = session_cookie(&app, VOLUNTEER).await;
    let (status, seen) = browsing::get(&app, "/teams/1/thuy-trieu/ben-ca", &volunteer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!seen.contains("Dùng làm trạm của tổ"));
    let (status, seen) = browsing::get(&app, "/teams/1/thuy-trieu", &volunteer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !seen.contains("name=\"du_lieu\""),
        "no fit form for a volunteer"
    );

    let token = form_token(&page);
    let (status, location, _) = post(
        &app,
        "/teams/1/thuy-trieu/ben-ca/dung",
        &cookie,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let switched = count(&app, &naming("ben-ca")).await;
    assert!(switched > 0);
    assert!(
        location.starts_with("/teams/1/thuy-trieu/ben-ca?da_dung="),
        "{location}"
    );
    let (_, page) = browsing::get(&app, &location, &cookie).await;
    assert!(page.contains("Đây đã là trạm của tổ"), "{page}");
    assert!(!page.contains("Dùng làm trạm của tổ"));
    assert_eq!(
        rows(&app, "SELECT tide_station FROM teams WHERE id = 1").await,
        [["ben-ca"]]
    );

    // A form without the page's token changes nothing.
    let (status, _, _) = post(&app, "/teams/1/thuy-trieu/ben-ca/dung", &volunteer, &[]).await;
    assert_ne!(status, StatusCode::SEE_OTHER);
}
