//! In-process tests of residents' rights: consent given and withdrawn (a
//! withdrawal takes the resident off the visits to come and out of the next
//! plan), everything held about a resident exported and the read logged,
//! and an erasure that leaves no trace of the name or the phone in any
//! table — checked by reading every column of every table as text.

use axum::http::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseBackend};
use serde_json::json;

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, count, fields, past_visits, rows};

const LEADER_3: &str = "totruong.lamson";

/// Every row of every table as one text, by table.
async fn every_table_as_text(app: &TestApp) -> Vec<(String, String)> {
    let backend = app.store.connection().get_database_backend();
    let tables: Vec<String> = match backend {
        DatabaseBackend::Postgres => rows(
            app,
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
        )
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect(),
        _ => rows(
            app,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect(),
    };
    assert!(tables.len() > 15, "{tables:?}");
    let mut out = Vec::new();
    for table in tables {
        let sql = match backend {
            DatabaseBackend::Postgres => format!("SELECT CAST(t.* AS TEXT) FROM \"{table}\" t"),
            _ => {
                let columns: Vec<String> = rows(app, &format!("PRAGMA table_info(\"{table}\")"))
                    .await
                    .into_iter()
                    .map(|r| r[1].clone())
                    .collect();
                let joined = columns
                    .iter()
                    .map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '')"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                format!("SELECT {joined} FROM \"{table}\"")
            }
        };
        for row in rows(app, &sql).await {
            out.push((table.clone(), row.join("|")));
        }
    }
    out
}

fn tables_holding(all: &[(String, String)], needle: &str) -> Vec<String> {
    let mut tables: Vec<String> = all
        .iter()
        .filter(|(_, text)| text.contains(needle))
        .map(|(table, _)| table.clone())
        .collect();
    tables.dedup();
    tables
}

/// A resident of team 1 with consent and a visit still to come.
async fn resident_with_a_visit_to_come(app: &TestApp) -> (i64, i64) {
    let now = super::now();
    for row in rows(
        app,
        "SELECT v.id, v.residents, CAST(v.start_at AS TEXT) FROM visits v \
         JOIN plans p ON p.id = v.plan_id \
         WHERE p.team_id = 1 AND p.status = 'published' AND v.status = 'proposed' \
         AND v.on_calendar = TRUE AND v.member_id = \
         (SELECT member_id FROM users WHERE username = 'tinhnguyen.haithanh') \
         ORDER BY v.start_at",
    )
    .await
    {
        let start = chrono::DateTime::parse_from_rfc3339(&row[2].replace(' ', "T"))
            .or_else(|_| chrono::DateTime::parse_from_str(&row[2], "%Y-%m-%d %H:%M:%S%#z"))
            .expect("a start");
        if start <= now {
            continue;
        }
        let residents: Vec<i64> = serde_json::from_str(&row[1]).unwrap();
        if let Some(first) = residents.first() {
            return (*first, row[0].parse().unwrap());
        }
    }
    panic!("no visit to come");
}

#[tokio::test]
async fn a_withdrawal_takes_the_resident_off_the_visits_to_come_and_out_of_the_next_plan() {
    let app = TestApp::demo_with_calendars().await;
    let (resident, visit) = resident_with_a_visit_to_come(&app).await;
    let volunteer = app.login(VOLUNTEER).await;
    let path = format!("/api/v1/residents/{resident}/consent");

    // Out of scope, or without the right, first.
    app.add_user(LEADER_3, "leader", Some(3), None, None).await;
    for (user, want) in [
        (LEADER_3, StatusCode::NOT_FOUND),
        (OFFICIAL, StatusCode::FORBIDDEN),
    ] {
        let token = app.login(user).await;
        let (status, problem) = app.call(Method::DELETE, &path, Some(&token), None).await;
        assert_eq!(status, want, "{user}: {problem}");
    }
    let (status, _) = app.call(Method::DELETE, &path, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, answer) = app
        .call(Method::DELETE, &path, Some(&volunteer), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["consent"], false);
    assert_eq!(answer["recorded"]["action"], "withdrawn");
    assert!(
        answer["visits_changed"]
            .as_array()
            .unwrap()
            .contains(&json!(visit)),
        "{answer}"
    );
    let left: Vec<i64> = serde_json::from_str(
        &rows(
            &app,
            &format!("SELECT residents FROM visits WHERE id = {visit}"),
        )
        .await[0][0],
    )
    .unwrap();
    assert!(!left.contains(&resident));
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM residents WHERE id = {resident} AND consent_at IS NULL")
        )
        .await,
        1
    );
    // From here the leader asks: when the visit held only this resident,
    // the household has left the volunteer's reach.
    let leader = app.login(LEADER).await;
    let (status, problem) = app.call(Method::DELETE, &path, Some(&leader), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // The next plan leaves them out, and says why.
    let today = super::today();
    let (status, plan) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/plans",
            Some(&leader),
            Some(json!({"start": today.to_string(), "days": 7, "iterations": 2000})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let plan_id = plan["id"].as_i64().unwrap();
    let planned: Vec<Vec<String>> = rows(
        &app,
        &format!("SELECT residents FROM visits WHERE plan_id = {plan_id}"),
    )
    .await;
    assert!(!planned.is_empty());
    for r in planned {
        let ids: Vec<i64> = serde_json::from_str(&r[0]).unwrap();
        assert!(!ids.contains(&resident));
    }
    assert_eq!(
        rows(
            &app,
            &format!(
                "SELECT reason FROM unmet WHERE plan_id = {plan_id} AND resident_id = {resident}"
            )
        )
        .await[0][0],
        "no_consent"
    );

    // Consent again: a new version needs its text, then the version alone.
    let (status, problem) = app
        .call(
            Method::PUT,
            &path,
            Some(&leader),
            Some(json!({"text_version": "mẫu 02/2026"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["text"]);
    let (status, problem) = app
        .call(
            Method::PUT,
            &path,
            Some(&leader),
            Some(json!({"text_version": " ", "text": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["text_version", "text"]);
    let text = "Tôi đồng ý để tổ lưu thông tin liên lạc để hẹn hỗ trợ (mẫu 02/2026).";
    let (status, answer) = app
        .call(
            Method::PUT,
            &path,
            Some(&leader),
            Some(json!({"text_version": "mẫu 02/2026", "text": text})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["consent"], true);
    assert_eq!(answer["recorded"]["text"], text);
    let other = count(
        &app,
        &format!(
            "SELECT MIN(r.id) FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE h.team_id = 1 AND r.id <> {resident}"
        ),
    )
    .await;
    let (status, answer) = app
        .call(
            Method::PUT,
            &format!("/api/v1/residents/{other}/consent"),
            Some(&leader),
            Some(json!({"text_version": "mẫu 02/2026"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["recorded"]["text"], text);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('give_consent', 'withdraw_consent')"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn an_export_holds_everything_about_the_resident_and_is_logged() {
    let app = TestApp::with_history().await;
    app.add_user(LEADER_3, "leader", Some(3), None, None).await;
    let volunteer = app.login(VOLUNTEER).await;
    let visits = past_visits(&app, &volunteer).await;
    let visit = &visits[0];
    let resident = visit["residents"][0]["id"].as_i64().unwrap();
    let (status, answer) = app
        .call(
            Method::POST,
            &format!("/api/v1/visits/{}/outcome", visit["id"]),
            Some(&volunteer),
            Some(json!({"idempotency_key": "x1", "note": "Hẹn lại sau rằm",
                "outcomes": [{"resident_id": resident, "result": "not_home"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let path = format!("/api/v1/residents/{resident}/export");
    let (status, _) = app.call(Method::GET, &path, Some(&volunteer), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(Method::GET, &path, Some(&app.login(LEADER_3).await), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, official) = app
        .call(Method::GET, &path, Some(&app.login(OFFICIAL).await), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{official}");
    let (status, export) = app
        .call(Method::GET, &path, Some(&app.login(LEADER).await), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    let name = &rows(
        &app,
        &format!("SELECT full_name FROM residents WHERE id = {resident}"),
    )
    .await[0][0];
    assert_eq!(export["resident"]["full_name"], name.as_str());
    assert_eq!(export["resident"]["attempts"], 1);
    assert_eq!(
        export["needs"].as_array().unwrap().len() as i64,
        count(
            &app,
            &format!("SELECT COUNT(*) FROM needs WHERE resident_id = {resident}")
        )
        .await
    );
    assert!(
        export["visits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["id"] == visit["id"])
    );
    assert_eq!(export["outcomes"][0]["result"], "not_home");
    assert_eq!(export["notes"][0]["note"], "Hẹn lại sau rằm");
    assert!(!export["purpose_vi"].as_str().unwrap().is_empty());
    // Each read is logged, without the name.
    let logged = rows(
        &app,
        &format!(
            "SELECT actor, detail FROM audit_log WHERE action = 'export_resident' \
             AND entity_id = {resident}"
        ),
    )
    .await;
    assert_eq!(logged.len(), 2);
    assert!(logged.iter().all(|r| !r[1].contains(name.as_str())));
    // So is a page of the register.
    let (status, _) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/households",
            Some(&app.login(LEADER).await),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'read_residents' AND team_id = 1"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_erasure_leaves_no_trace_of_the_name_or_phone_in_any_table() {
    let app = TestApp::with_history().await;
    // A resident of team 1 on a visit, given a name and a phone found
    // nowhere else; then the day's mail and a note name them.
    let visit = rows(
        &app,
        "SELECT v.id, v.residents FROM visits v JOIN plans p ON p.id = v.plan_id \
         WHERE p.team_id = 1 AND p.status = 'published' AND v.residents <> '[]' \
         ORDER BY v.start_at",
    )
    .await
    .into_iter()
    .next()
    .expect("a visit");
    let resident: i64 = serde_json::from_str::<Vec<i64>>(&visit[1]).unwrap()[0];
    let name = "Lê Thị Xoá Thử";
    let phone = "0987 654 321";
    let db = app.store.connection();
    db.execute_unprepared(&format!(
        "UPDATE residents SET full_name = '{name}', phone = '{phone}' WHERE id = {resident}"
    ))
    .await
    .unwrap();
    let leader = app.login(LEADER).await;
    let day = rows(
        &app,
        &format!(
            "SELECT CAST(start_at AS TEXT) FROM visits WHERE id = {}",
            visit[0]
        ),
    )
    .await[0][0]
        .clone();
    let start = chrono::DateTime::parse_from_rfc3339(&day.replace(' ', "T"))
        .or_else(|_| chrono::DateTime::parse_from_str(&day, "%Y-%m-%d %H:%M:%S%#z"))
        .expect("a start");
    let local_day = start
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    doorstep_service::mail::enqueue_team_day(
        &app.store,
        &doorstep_service::stations::built_in(),
        &doorstep_service::mail::MailSettings {
            from: "doorstep <lich@example.org>".into(),
            base_url: None,
        },
        1,
        local_day,
        doorstep_core::MailKind::Daily,
        super::now(),
    )
    .await
    .expect("the day's mail is written");
    assert!(start <= super::now(), "the visit is behind us");
    let (status, answer) = app
        .call(
            Method::POST,
            &format!("/api/v1/visits/{}/outcome", visit[0]),
            Some(&leader),
            Some(json!({"idempotency_key": "e1",
                "note": format!("Đã gặp {name}, gọi lại số {phone}"),
                "outcomes": [{"resident_id": resident, "result": "not_home"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let before = every_table_as_text(&app).await;
    let holding = tables_holding(&before, name);
    assert!(holding.contains(&"residents".to_owned()), "{holding:?}");
    assert!(holding.contains(&"mail_outbox".to_owned()), "{holding:?}");
    assert!(
        holding.contains(&"outcome_requests".to_owned()),
        "{holding:?}"
    );
    assert!(!tables_holding(&before, phone).is_empty());
    let visits_before = count(&app, "SELECT COUNT(*) FROM visits").await;
    let outcomes_before = count(&app, "SELECT COUNT(*) FROM outcomes").await;

    let path = format!("/api/v1/residents/{resident}");
    // A volunteer may not erase: forbidden when they visit the household,
    // not found otherwise.
    let volunteer = app.login(VOLUNTEER).await;
    let (status, _) = app
        .call(Method::DELETE, &path, Some(&volunteer), None)
        .await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&status),
        "{status}"
    );
    let (status, erased) = app.call(Method::DELETE, &path, Some(&leader), None).await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert!(erased["needs"].as_u64().unwrap() > 0, "{erased}");
    assert!(erased["messages"].as_u64().unwrap() > 0, "{erased}");

    let after = every_table_as_text(&app).await;
    assert_eq!(tables_holding(&after, name), Vec::<String>::new());
    assert_eq!(tables_holding(&after, phone), Vec::<String>::new());
    // An anonymous trace stays; the erasure is logged, without the name.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM visits").await,
        visits_before
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outcomes").await,
        outcomes_before
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'erase_resident' \
                 AND entity_id = {resident} AND team_id = 1"
            )
        )
        .await,
        1
    );
    let (status, _) = app.call(Method::DELETE, &path, Some(&leader), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(Method::GET, &format!("{path}/export"), Some(&leader), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Importing the register again does not bring them back.
    let residents = count(&app, "SELECT COUNT(*) FROM residents").await;
    doorstep_demo::load(&app.store, super::now())
        .await
        .expect("the demo loads again");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM residents").await,
        residents
    );
}
