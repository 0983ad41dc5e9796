//! In-process tests of the officials' audit: an area's coverage checked
//! against plain counts of the tables, the unmet list with its reasons after
//! a day of outcomes (JSON pages and the CSV, byte by byte), the audit log
//! in each reader's scope, and every role in and out of scope.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, count, fields, past_visits, rows};

const LEADER_3: &str = "totruong.lamson";
const ADMIN: &str = "quantri";

async fn area_id(app: &TestApp, code: &str) -> i64 {
    count(app, &format!("SELECT id FROM areas WHERE code = '{code}'")).await
}

async fn province(app: &TestApp) -> i64 {
    count(app, "SELECT id FROM areas WHERE parent_id IS NULL").await
}

/// A day of outcomes by the volunteer: the first past visit's first
/// resident done for every need, the second visit's residents not at home.
/// Answers (the household met, the household found away).
pub(super) async fn a_day_of_outcomes(app: &TestApp) -> (i64, i64) {
    let token = app.login(VOLUNTEER).await;
    let visits = past_visits(app, &token).await;
    let distinct: Vec<&Value> = {
        let mut seen = BTreeSet::new();
        visits
            .iter()
            .filter(|v| seen.insert(v["household"]["id"].as_i64().unwrap()))
            .collect()
    };
    assert!(distinct.len() >= 2, "two past households: {visits:?}");
    let (met, away) = (distinct[0], distinct[1]);
    let resident = |v: &Value, i: usize| v["residents"][i]["id"].as_i64().unwrap();
    let post = |visit: &Value, body: Value| {
        let id = visit["id"].as_i64().unwrap();
        let token = token.clone();
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/visits/{id}/outcome"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let (status, answer) = post(
        met,
        json!({"idempotency_key": "met", "outcomes": [
            {"resident_id": resident(met, 0), "result": "done"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let away_lines: Vec<Value> = away["residents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({"resident_id": r["id"], "result": "not_home"}))
        .collect();
    let (status, answer) = post(
        away,
        json!({"idempotency_key": "away", "outcomes": away_lines}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    (
        met["household"]["id"].as_i64().unwrap(),
        away["household"]["id"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn an_officials_coverage_adds_up_to_the_tables_by_commune_and_week() {
    let app = TestApp::with_history().await;
    a_day_of_outcomes(&app).await;
    let official = app.login(OFFICIAL).await;
    let province = province(&app).await;
    let (status, report) = app
        .call(
            Method::GET,
            &format!("/api/v1/areas/{province}/coverage?weeks=4"),
            Some(&official),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let total = &report["total"];
    let households = count(&app, "SELECT COUNT(*) FROM households").await;
    assert!(households > 0);
    assert_eq!(total["households"], households);
    assert_eq!(
        total["residents"],
        count(&app, "SELECT COUNT(*) FROM residents").await
    );
    let reached = count(
        &app,
        "SELECT COUNT(DISTINCT household_id) FROM visits WHERE status = 'done'",
    )
    .await;
    assert!(reached >= 1);
    assert_eq!(total["reached"], reached);
    assert_eq!(total["met"], 1);
    let expected_percent = (reached as f64 * 1000.0 / households as f64).round() / 10.0;
    assert_eq!(total["percent_reached"].as_f64().unwrap(), expected_percent);
    for status in ["open", "done", "not_applicable"] {
        let stored = count(
            &app,
            &format!("SELECT COUNT(*) FROM needs WHERE status = '{status}'"),
        )
        .await;
        let reported: i64 = total["needs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n[status].as_i64().unwrap())
            .sum();
        assert_eq!(reported, stored, "needs {status}");
    }
    // The communes, each with its own households, add up to the whole.
    let children = report["children"].as_array().unwrap();
    assert_eq!(children.len(), 4, "{children:?}");
    let sum: i64 = children
        .iter()
        .map(|c| c["households"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, households);
    let hai_thanh = area_id(&app, "38-HAITHANH").await;
    let commune = children
        .iter()
        .find(|c| c["area"]["id"] == hai_thanh)
        .expect("Hải Thanh");
    assert_eq!(commune["area"]["name"], "Phường Hải Thanh");
    assert_eq!(
        commune["reached"], reached,
        "every visit done is Hải Thanh's"
    );
    // The weeks: four, the current last, each visit done counted once.
    let weeks = report["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 4);
    assert!(weeks[3]["week"].as_str().unwrap().contains("-W"));
    assert!(!weeks[3]["monday_lunar"].as_str().unwrap().is_empty());
    let done_visits: i64 = weeks
        .iter()
        .map(|w| w["visits_done"].as_i64().unwrap())
        .sum();
    assert_eq!(
        done_visits,
        count(&app, "SELECT COUNT(*) FROM visits WHERE status = 'done'").await
    );
    let newly: i64 = weeks
        .iter()
        .map(|w| w["newly_reached"].as_i64().unwrap())
        .sum();
    assert_eq!(newly, reached);
    assert_eq!(weeks[3]["reached_total"], reached);
    assert_eq!(
        weeks[0]["reached_total"],
        reached - newly + weeks[0]["newly_reached"].as_i64().unwrap()
    );

    // A leader sees only their team's households, even for the province.
    let leader = app.login(LEADER).await;
    let (status, mine) = app
        .call(
            Method::GET,
            &format!("/api/v1/areas/{province}/coverage"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["team_id"], 1);
    assert_eq!(
        mine["total"]["households"],
        count(&app, "SELECT COUNT(*) FROM households WHERE team_id = 1").await
    );
    assert_eq!(mine["weeks"].as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn the_unmet_list_says_why_and_the_csv_opens_with_vietnamese_intact() {
    let app = TestApp::with_history().await;
    let (met, away) = a_day_of_outcomes(&app).await;
    let official = app.login(OFFICIAL).await;
    let province = province(&app).await;

    // Every page, 50 at a time.
    let mut listed = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let path = match after {
            Some(id) => format!("/api/v1/areas/{province}/unmet?limit=50&after={id}"),
            None => format!("/api/v1/areas/{province}/unmet?limit=50"),
        };
        let (status, page) = app.call(Method::GET, &path, Some(&official), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        listed.extend(page["households"].as_array().unwrap().iter().cloned());
        match page["next_after"].as_i64() {
            Some(id) => after = Some(id),
            None => break,
        }
    }
    let ids: BTreeSet<i64> = listed
        .iter()
        .map(|h| h["household_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), listed.len(), "no household twice");
    // The same set, counted plainly.
    let expected: BTreeSet<i64> = rows(
        &app,
        "SELECT DISTINCT r.household_id FROM residents r JOIN needs n ON n.resident_id = r.id \
         WHERE n.status = 'open' AND r.household_id NOT IN (\
           SELECT v.household_id FROM visits v JOIN outcomes o ON o.visit_id = v.id \
           WHERE o.result = 'done')",
    )
    .await
    .into_iter()
    .map(|r| r[0].parse().unwrap())
    .collect();
    assert_eq!(ids, expected);
    assert!(!ids.contains(&met), "the household met is not unmet");
    let found_away = listed
        .iter()
        .find(|h| h["household_id"] == away)
        .expect("the household found away is listed");
    assert_eq!(found_away["reason"], "not_home", "{found_away}");
    assert_eq!(found_away["attempts"], 1);
    assert_eq!(found_away["reason_vi"], "Không gặp sau 1 lần đến");
    assert!(
        found_away["last_attempt_at"]
            .as_str()
            .unwrap()
            .ends_with("+07:00")
    );
    assert!(
        !found_away["last_attempt_lunar"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    let reasons: BTreeSet<&str> = listed
        .iter()
        .map(|h| h["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains("scheduled"), "{reasons:?}");
    for h in &listed {
        if h["reason"] == "scheduled" {
            assert!(h["next_visit_at"].is_string(), "{h}");
        }
    }

    // The CSV: a byte-order mark, the Vietnamese header, one record per
    // unmet household, solar and lunar dates.
    let (status, headers, bytes) = app
        .raw(
            Method::GET,
            &format!("/api/v1/areas/{province}/unmet?format=csv"),
            Some(&official),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".csv")
    );
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let header = "Mã hộ,Địa chỉ,Thôn/xã,Tổ,Số nhu cầu chưa xong,Mã lý do,Lý do,Số lần không gặp,\
                  Lần đến gần nhất (dương lịch),Lần đến gần nhất (âm lịch),\
                  Lượt thăm tới (dương lịch),Lượt thăm tới (âm lịch),\
                  Mã hộ trong hệ thống,Mã tổ,Mã địa bàn\n";
    assert!(
        bytes[3..].starts_with(header.as_bytes()),
        "the header's bytes"
    );
    // "ộ" is two code points' worth of UTF-8 bytes, not a replacement.
    assert!(bytes.windows(3).any(|w| w == "ộ".as_bytes()));
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), listed.len());
    let away_row = records
        .iter()
        .find(|r| r[12] == away.to_string())
        .expect("the household found away");
    assert_eq!(&away_row[5], "not_home");
    assert_eq!(&away_row[6], "Không gặp sau 1 lần đến");
    assert_eq!(away_row[8].len(), "dd/mm/yyyy HH:MM".len(), "{away_row:?}");
    assert!(away_row[9].contains('/'), "a lunar day: {away_row:?}");

    // A leader's list is their team's.
    let leader = app.login(LEADER).await;
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/api/v1/areas/{province}/unmet?limit=1000"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page["households"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["team_id"] == 1)
    );
}

#[tokio::test]
async fn the_audit_log_shows_the_days_changes_to_those_in_scope() {
    let app = TestApp::with_history().await;
    app.add_user(LEADER_3, "leader", Some(3), None, None).await;
    app.add_user(ADMIN, "admin", None, None, None).await;
    a_day_of_outcomes(&app).await;
    let official = app.login(OFFICIAL).await;
    let province = province(&app).await;
    let (status, _, _) = app
        .raw(
            Method::GET,
            &format!("/api/v1/areas/{province}/unmet?format=csv"),
            Some(&official),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let get = |token: String, query: &'static str| {
        let app = &app;
        async move {
            app.call(
                Method::GET,
                &format!("/api/v1/audit{query}"),
                Some(&token),
                None,
            )
            .await
        }
    };
    let volunteer_id = count(
        &app,
        &format!("SELECT id FROM users WHERE username = '{VOLUNTEER}'"),
    )
    .await;
    let volunteer_label = format!("user:{volunteer_id}");
    let (status, log) = get(official.clone(), "?action=record_outcome").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{log}");
    for entry in entries {
        assert_eq!(entry["actor"], volunteer_label.as_str());
        assert_eq!(entry["team_id"], 1);
        assert_eq!(entry["entity"], "visit");
        // No names in the log.
        let text = entry.to_string();
        assert!(!text.contains("Nguyễn"), "{text}");
    }
    assert!(
        entries[0]["id"].as_i64() > entries[1]["id"].as_i64(),
        "newest first"
    );
    let (_, exports) = get(official.clone(), "?action=export_unmet").await;
    assert_eq!(exports["entries"].as_array().unwrap().len(), 1, "{exports}");
    let (_, by_actor) = app
        .call(
            Method::GET,
            &format!("/api/v1/audit?actor={volunteer_label}"),
            Some(&official),
            None,
        )
        .await;
    let by_actor = by_actor["entries"].as_array().unwrap();
    assert_eq!(by_actor.len(), 2, "{by_actor:?}");
    assert!(
        by_actor
            .iter()
            .all(|e| e["actor"] == volunteer_label.as_str())
    );
    let (_, later) = get(official.clone(), "?from=2999-01-01").await;
    assert_eq!(later["entries"].as_array().unwrap().len(), 0);

    // Pages: one entry at a time, each older than the last.
    let (_, first) = get(official.clone(), "?limit=1").await;
    let before = first["next_before"].as_i64().expect("more pages");
    let (_, second) = app
        .call(
            Method::GET,
            &format!("/api/v1/audit?limit=1&before={before}"),
            Some(&official),
            None,
        )
        .await;
    assert!(second["entries"][0]["id"].as_i64().unwrap() < before);

    // The leader of another team sees none of it; the team's leader does.
    let (status, other) = get(app.login(LEADER_3).await, "?action=record_outcome").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(other["entries"].as_array().unwrap().len(), 0);
    let (_, own) = get(app.login(LEADER).await, "?action=record_outcome").await;
    assert_eq!(own["entries"].as_array().unwrap().len(), 2);
    let (_, all) = get(app.login(ADMIN).await, "?action=load_demo").await;
    assert_eq!(all["entries"].as_array().unwrap().len(), 1);

    let (status, problem) = get(app.login(VOLUNTEER).await, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = get(official.clone(), "?from=h%C3%B4m%20qua&limit=0").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        ["from", "limit"].contains(&fields(&problem)[0].as_str()),
        "{problem}"
    );
}

#[tokio::test]
async fn each_role_reads_the_audit_of_its_own_area_only() {
    let app = TestApp::with_history().await;
    app.add_user(LEADER_3, "leader", Some(3), None, None).await;
    app.add_user(ADMIN, "admin", None, None, None).await;
    let province = province(&app).await;
    let hai_thanh = area_id(&app, "38-HAITHANH").await;
    let lam_son = area_id(&app, "38-LAMSON").await;
    let village = count(
        &app,
        &format!("SELECT MIN(id) FROM areas WHERE parent_id = {hai_thanh}"),
    )
    .await;
    // An official of Hải Thanh alone.
    let ward_official = "canbo.haithanh";
    app.add_user(
        ward_official,
        "official",
        None,
        Some(i32::try_from(hai_thanh).unwrap()),
        None,
    )
    .await;
    let cases: Vec<(Option<&str>, i64, StatusCode)> = vec![
        (None, province, StatusCode::UNAUTHORIZED),
        (Some(OFFICIAL), province, StatusCode::OK),
        (Some(OFFICIAL), village, StatusCode::OK),
        (Some(ward_official), hai_thanh, StatusCode::OK),
        (Some(ward_official), village, StatusCode::OK),
        (Some(ward_official), province, StatusCode::NOT_FOUND),
        (Some(ward_official), lam_son, StatusCode::NOT_FOUND),
        (Some(LEADER), province, StatusCode::OK),
        (Some(LEADER), hai_thanh, StatusCode::OK),
        (Some(LEADER), village, StatusCode::OK),
        (Some(LEADER), lam_son, StatusCode::NOT_FOUND),
        (Some(LEADER_3), hai_thanh, StatusCode::NOT_FOUND),
        (Some(LEADER_3), lam_son, StatusCode::OK),
        (Some(VOLUNTEER), hai_thanh, StatusCode::FORBIDDEN),
        (Some(ADMIN), lam_son, StatusCode::OK),
        (Some(ADMIN), 999_999, StatusCode::NOT_FOUND),
    ];
    for (user, area, want) in cases {
        let token = match user {
            Some(user) => Some(app.login(user).await),
            None => None,
        };
        for report in ["coverage", "unmet", "unmet?format=csv"] {
            let (status, _, body) = app
                .raw(
                    Method::GET,
                    &format!("/api/v1/areas/{area}/{report}"),
                    token.as_deref(),
                    None,
                    &[],
                )
                .await;
            assert_eq!(
                status,
                want,
                "{user:?} {area} {report}: {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
    // The ward official's village: only its households.
    let token = app.login(ward_official).await;
    let (_, report) = app
        .call(
            Method::GET,
            &format!("/api/v1/areas/{village}/coverage"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        report["total"]["households"],
        count(
            &app,
            &format!("SELECT COUNT(*) FROM households WHERE village_id = {village}")
        )
        .await
    );
    assert_eq!(report["children"].as_array().unwrap().len(), 1);
    assert!(report["children"][0]["area"]["id"].is_null());

    // Bad queries say which field.
    let official = app.login(OFFICIAL).await;
    for (query, field) in [
        ("coverage?weeks=0", "weeks"),
        ("coverage?weeks=mười", "weeks"),
        ("unmet?format=pdf", "format"),
        ("unmet?limit=5000", "limit"),
        ("unmet?after=abc", "after"),
    ] {
        let (status, problem) = app
            .call(
                Method::GET,
                &format!("/api/v1/areas/{province}/{query}"),
                Some(&official),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{query}: {problem}");
    }
    let (status, problem) = app
        .call(
            Method::GET,
            "/api/v1/areas/abc/coverage",
            Some(&official),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}
