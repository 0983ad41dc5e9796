//! The hours that trouble a calendar, by the application's clock: late in
//! the evening in Việt Nam and across its midnight (17:00 UTC). "Today" is
//! the team's day, a visit recorded before midnight stays on its day, and a
//! plan made after midnight begins after now.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use super::{LEADER, TestApp, VOLUNTEER};

/// 23:50 in Việt Nam on Monday 7 December 2026.
fn late_evening() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 16, 50, 0).unwrap()
}

async fn my_day(app: &TestApp, token: &str, date: Option<&str>) -> Value {
    let path = match date {
        Some(date) => format!("/api/v1/me/visits?date={date}"),
        None => "/api/v1/me/visits".to_owned(),
    };
    let (status, list) = app.call(Method::GET, &path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list
}

async fn plan(app: &TestApp, token: &str, start: &str, days: u32) -> (StatusCode, Value) {
    let body = json!({"start": start, "days": days, "iterations": 2000});
    app.call(
        Method::POST,
        "/api/v1/teams/1/plans",
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_visit_recorded_before_midnight_stays_on_its_day_and_the_next_day_begins_at_midnight() {
    let app = TestApp::with_history_at(late_evening()).await;
    let volunteer = app.login(VOLUNTEER).await;

    // At 23:50 today is still Monday 7 December in the team's zone.
    let today = my_day(&app, &volunteer, None).await;
    assert_eq!(today["date"], "2026-12-07", "{today}");
    assert!(today["heading_vi"].as_str().unwrap().contains("07/12/2026"));

    // The volunteer records the first visit of the last days that has one.
    let mut found = None;
    for date in ["2026-12-07", "2026-12-06", "2026-12-05", "2026-12-04"] {
        let list = my_day(&app, &volunteer, Some(date)).await;
        if let Some(visit) = list["visits"].as_array().unwrap().first() {
            found = Some((date, visit.clone()));
            break;
        }
    }
    let (date, visit) = found.expect("the volunteer has a visit in the last four days");
    let id = visit["id"].as_i64().unwrap();
    let resident = visit["residents"][0]["id"].as_i64().unwrap();
    let (status, answer) = app
        .call(
            Method::POST,
            &format!("/api/v1/visits/{id}/outcome"),
            Some(&volunteer),
            Some(json!({
                "idempotency_key": "before-midnight-1",
                "outcomes": [{"resident_id": resident, "result": "done"}],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // Twenty minutes later it is Tuesday 8 December.
    app.clock.advance(Duration::minutes(20));
    let tomorrow = my_day(&app, &volunteer, None).await;
    assert_eq!(tomorrow["date"], "2026-12-08", "{tomorrow}");
    assert!(
        tomorrow["heading_vi"]
            .as_str()
            .unwrap()
            .contains("08/12/2026")
    );
    // The recorded visit is still on its day, recorded.
    let then = my_day(&app, &volunteer, Some(date)).await;
    let kept: Vec<&Value> = then["visits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["id"] == id)
        .collect();
    assert_eq!(kept.len(), 1, "{then}");
    assert_eq!(kept[0]["status"], "done", "{then}");
}

#[tokio::test]
async fn a_plan_made_just_after_midnight_begins_after_now_and_yesterday_is_refused() {
    // 00:10 in Việt Nam on Tuesday 8 December.
    let app = TestApp::demo_at(late_evening() + Duration::minutes(20)).await;
    let leader = app.login(LEADER).await;

    // Yesterday alone is past.
    let (status, problem) = plan(&app, &leader, "2026-12-07", 1).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("start"), "{problem}");

    // Yesterday and today: the plan holds today's visits only, none before
    // the next quarter hour.
    let (status, made) = plan(&app, &leader, "2026-12-07", 2).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let visits = made["visits"].as_array().unwrap();
    assert!(!visits.is_empty(), "{made}");
    let quarter = Utc.with_ymd_and_hms(2026, 12, 7, 17, 15, 0).unwrap();
    for v in visits {
        let start = DateTime::parse_from_rfc3339(v["start"].as_str().unwrap()).unwrap();
        assert!(start >= quarter, "{v}");
        assert!(
            v["start"].as_str().unwrap().starts_with("2026-12-08"),
            "{v}"
        );
    }
}
