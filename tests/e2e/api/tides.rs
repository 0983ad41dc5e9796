//! `POST /api/v1/tide/fit`: a leader turns two weeks of a port's
//! written-down high and low waters into a station file, as `doorstep tide
//! fit` does; bad rows and options come back each with its field and line;
//! volunteers and officials are refused.

use axum::http::{Method, StatusCode};
use doorstep_tide::{Station, parse_station};
use serde_json::{Value, json};

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, fields};

fn body(csv: &str) -> Value {
    json!({
        "id": "cang-thu",
        "name": "Cảng thử",
        "latitude": 13.75,
        "longitude": 109.22,
        "csv": csv,
    })
}

#[tokio::test]
async fn a_leader_fits_a_station_to_two_weeks_of_written_down_tides() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let (csv, _) = crate::tide::written_down_qui_nhon();
    let (status, fitted) = app
        .call(
            Method::POST,
            "/api/v1/tide/fit",
            Some(&leader),
            Some(body(&csv)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fitted}");
    let summary = &fitted["summary"];
    assert_eq!(summary["station"], "cang-thu");
    assert_eq!(summary["grade"], "B", "{summary}");
    assert!(
        summary["record_days"].as_f64().unwrap() >= 13.0,
        "{summary}"
    );
    for name in ["K1", "O1", "M2", "S2"] {
        assert!(
            summary["fitted"].as_array().unwrap().contains(&json!(name)),
            "{name}: {summary}"
        );
    }
    let report = fitted["report"].as_str().unwrap();
    assert!(report.contains("hạng / grade B"), "{report}");
    // The station file reads as any station file, approximate, named.
    let text = fitted["station_file"].as_str().unwrap();
    let Station::Harmonic(station) = parse_station("cang-thu.toml", text).unwrap() else {
        panic!("a harmonic station:\n{text}")
    };
    assert!(station.info.approximate);
    assert_eq!(station.info.name, "Cảng thử");
    assert_eq!(station.info.timezone, "Asia/Ho_Chi_Minh");

    // With a reference station, the inferred constituents follow its ratios.
    let mut with_reference = body(&csv);
    with_reference["reference"] = json!("vn_qui_nhon");
    let (status, fitted) = app
        .call(
            Method::POST,
            "/api/v1/tide/fit",
            Some(&leader),
            Some(with_reference),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fitted}");
    assert!(
        fitted["station_file"]
            .as_str()
            .unwrap()
            .contains("reference ratio"),
        "{fitted}"
    );
}

#[tokio::test]
async fn bad_rows_and_options_are_named_and_only_leaders_fit() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let rows = "time,kind,height_m\n2026-03-02 05:40,high,2.3\n\n2026-13-02 05:40,high,2.3\n2026-03-03 05:40,cao lắm,x\n";
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/tide/fit",
            Some(&leader),
            Some(body(rows)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["csv", "csv", "csv"], "{problem}");
    let text = problem.to_string();
    for needle in [
        "cang-thu.csv:4: time: \\\"2026-13-02 05:40\\\"",
        "cang-thu.csv:5: kind:",
        "cang-thu.csv:5: height_m:",
    ] {
        assert!(text.contains(needle), "{needle}: {problem}");
    }

    // Too few readings: what the fit needs.
    let short = "thời gian,loại,độ cao (m)\n2026-03-02 05:40,nước lớn,2.35\n2026-03-02 17:55,nước ròng,0.40\n";
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/tide/fit",
            Some(&leader),
            Some(body(short)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["csv"], "{problem}");
    assert!(problem.to_string().contains("cần ít nhất"), "{problem}");

    let (csv, _) = crate::tide::written_down_qui_nhon();
    let mut options = body(&csv);
    options["timezone"] = json!("Mars/Base");
    options["reference"] = json!("nowhere");
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/tide/fit",
            Some(&leader),
            Some(options),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["timezone", "reference"], "{problem}");
    let mut options = body(&csv);
    options["latitude"] = json!(95.0);
    options["id"] = json!("cảng thử");
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/tide/fit",
            Some(&leader),
            Some(options),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["latitude", "id"], "{problem}");

    for user in [VOLUNTEER, OFFICIAL] {
        let token = app.login(user).await;
        let (status, problem) = app
            .call(
                Method::POST,
                "/api/v1/tide/fit",
                Some(&token),
                Some(body(&csv)),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}: {problem}");
    }
    let (status, _) = app
        .call(Method::POST, "/api/v1/tide/fit", None, Some(body(&csv)))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
