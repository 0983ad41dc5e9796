//! In-process tests: a team's mail schedules and outbox through the API,
//! every role in and out of scope; firings decided once with an injected
//! clock, even when two jobs decide at the same moment.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use doorstep_service::mail::MailSettings;
use doorstep_service::mail::firing::{CATCH_UP, run_due};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, fields};

const ADMIN: &str = "quantri";
const LEADER_3: &str = "totruong.lamson";

#[tokio::test]
async fn schedules_and_outbox_answer_each_role_in_its_scope_only() {
    let app = TestApp::demo().await;
    app.add_user(ADMIN, "admin", None, None, None).await;
    app.add_user(LEADER_3, "leader", Some(3), None, None).await;
    // (user, teams they see, teams they lead)
    let scopes: [(&str, &[i32], &[i32]); 5] = [
        (ADMIN, &[1, 2, 3, 4], &[1, 2, 3, 4]),
        (OFFICIAL, &[1, 2, 3, 4], &[]),
        (LEADER, &[1], &[1]),
        (VOLUNTEER, &[1], &[]),
        (LEADER_3, &[3], &[3]),
    ];
    for team in [1, 3] {
        let path = format!("/api/v1/teams/{team}/mail/schedules");
        let (status, _) = app.call(Method::GET, &path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    for (user, sees, leads) in scopes {
        let token = app.login(user).await;
        for team in [1, 3, 999] {
            let seen = sees.contains(&team);
            let led = leads.contains(&team);
            let read = if seen {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            let lead = match (seen, led) {
                (_, true) => StatusCode::OK,
                (true, false) => StatusCode::FORBIDDEN,
                (false, _) => StatusCode::NOT_FOUND,
            };
            let path = format!("/api/v1/teams/{team}/mail/schedules");
            let (status, body) = app.call(Method::GET, &path, Some(&token), None).await;
            assert_eq!(status, read, "{user} GET {path}: {body}");
            let path = format!("/api/v1/teams/{team}/mail/schedules/evening");
            let body = json!({"cron": "0 0 19 * * *", "enabled": true});
            let (status, answer) = app.call(Method::PUT, &path, Some(&token), Some(body)).await;
            assert_eq!(status, lead, "{user} PUT {path}: {answer}");
            let path = format!("/api/v1/teams/{team}/mail/outbox");
            let (status, body) = app.call(Method::GET, &path, Some(&token), None).await;
            assert_eq!(status, lead, "{user} GET {path}: {body}");
        }
    }
}

#[tokio::test]
async fn a_leader_sets_a_schedule_and_bad_ones_are_refused_with_the_reason() {
    let app = TestApp::demo().await;
    let token = app.login(LEADER).await;
    let (status, list) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/mail/schedules",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let daily = &list[0];
    assert_eq!(daily["kind"], "daily");
    assert_eq!(daily["cron"], "0 0 6 * * *");
    assert_eq!(daily["default"], true);
    assert_eq!(daily["timezone"], "Asia/Ho_Chi_Minh");
    let next = daily["next"][0].as_str().unwrap();
    assert!(next.ends_with("T06:00:00+07:00"), "{next}");

    let path = "/api/v1/teams/1/mail/schedules/daily";
    let (status, set) = app
        .call(
            Method::PUT,
            path,
            Some(&token),
            Some(json!({"cron": "0 30 5 * * Mon-Sat", "timezone": "Asia/Seoul"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["default"], false);
    assert_eq!(set["team_zone"], false);
    for at in set["next"].as_array().unwrap() {
        let at = at.as_str().unwrap();
        assert!(at.ends_with("T05:30:00+09:00"), "{at}");
        let day = DateTime::parse_from_rfc3339(at).unwrap();
        assert_ne!(day.format("%a").to_string(), "Sun", "{at}");
    }

    for (body, wanted, words) in [
        (
            json!({"cron": "0 6 * * *"}),
            vec!["cron"],
            "nhận 5 trường; thêm giây ở đầu: \\\"0 0 6 * * *\\\"",
        ),
        (json!({"cron": "0 0 25 * * *"}), vec!["cron"], "Hours"),
        (
            json!({"cron": "0 0 6 * * *", "timezone": "Asia/Hanoi"}),
            vec!["timezone"],
            "IANA",
        ),
        (
            json!({"cron": "every morning", "timezone": "Mars/Olympus"}),
            vec!["cron", "timezone"],
            "",
        ),
    ] {
        let (status, problem) = app
            .call(Method::PUT, path, Some(&token), Some(body.clone()))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(fields(&problem), wanted, "{problem}");
        assert!(problem.to_string().contains(words), "{problem}");
    }
    let (status, problem) = app
        .call(
            Method::PUT,
            "/api/v1/teams/1/mail/schedules/update",
            Some(&token),
            Some(json!({"cron": "0 0 6 * * *"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["kind"]);
    let (status, problem) = app
        .call(
            Method::PUT,
            path,
            Some(&token),
            Some(json!({"cron": "0 0 6 * * *", "when": "now"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    // The refused changes left the schedule as it was.
    let (_, list) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/mail/schedules",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(list[0]["cron"], "0 30 5 * * Mon-Sat");
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.store.connection();
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn the_morning_firing_writes_each_list_once_even_from_two_jobs() {
    let app = TestApp::demo_with_calendars().await;
    let catalog = doorstep_service::stations::built_in();
    let settings = MailSettings {
        from: "lich@doorstep.test".into(),
        base_url: None,
    };
    let zone = chrono_tz::Asia::Ho_Chi_Minh;
    let tomorrow = super::now().with_timezone(&zone).date_naive() + Days::new(1);
    let six = zone
        .from_local_datetime(&tomorrow.and_time(NaiveTime::from_hms_opt(6, 0, 10).unwrap()))
        .unwrap()
        .with_timezone(&Utc);

    // Before six, nothing is due (the last firing the evening before is off).
    let early = run_due(
        &app.store,
        &catalog,
        &settings,
        six - chrono::Duration::minutes(5),
        CATCH_UP,
    )
    .await
    .unwrap();
    assert!(
        early
            .iter()
            .all(|(f, _)| f.kind != doorstep_core::MailKind::Daily),
        "{early:?}"
    );

    // Two jobs decide at the same moment: each team's morning firing once.
    let (a, b) = tokio::join!(
        run_due(&app.store, &catalog, &settings, six, CATCH_UP),
        run_due(&app.store, &catalog, &settings, six, CATCH_UP),
    );
    let fired: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    let daily: Vec<_> = fired
        .iter()
        .filter(|(f, _)| f.kind == doorstep_core::MailKind::Daily)
        .collect();
    assert_eq!(daily.len(), 4, "one morning firing per team: {fired:?}");
    for (firing, _) in &daily {
        assert_eq!(firing.day(), tomorrow);
    }
    let written: usize = daily.iter().map(|(_, done)| done.written).sum();
    assert!(written > 0, "the demo has visits tomorrow: {daily:?}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'daily'"
        )
        .await,
        i64::try_from(written).unwrap()
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_firings WHERE kind = 'daily'"
        )
        .await,
        4
    );

    // Later the same morning: nothing more.
    let later = run_due(
        &app.store,
        &catalog,
        &settings,
        six + chrono::Duration::minutes(30),
        CATCH_UP,
    )
    .await
    .unwrap();
    assert!(later.is_empty(), "{later:?}");

    // The team's leader (here an administrator) sees the messages waiting.
    app.add_user(ADMIN, "admin", None, None, None).await;
    let token = app.login(ADMIN).await;
    let (busiest, _) = daily
        .iter()
        .max_by_key(|(_, done)| done.written)
        .expect("four firings");
    let (status, outbox) = app
        .call(
            Method::GET,
            &format!("/api/v1/teams/{}/mail/outbox", busiest.team_id),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{outbox}");
    let waiting = outbox["pending"].as_i64().unwrap() + outbox["no_address"].as_i64().unwrap();
    assert!(waiting > 0, "{outbox}");
    let subject = outbox["messages"][0]["subject"].as_str().unwrap();
    let lunar = doorstep_service::daylist::lunar_short(tomorrow);
    // Vietnamese ("Thứ Năm 03/12/2026 (25/10 âm)") or, for members who
    // chose it, English ("Thursday 3 December 2026 (lunar 25/10)").
    let vietnamese = subject.contains(&tomorrow.format("%d/%m/%Y").to_string())
        && subject.contains(&format!("({lunar} âm)"));
    let english = subject.contains(&tomorrow.format("%-d %B %Y").to_string())
        && subject.contains(&format!("(lunar {lunar})"));
    assert!(vietnamese || english, "{subject}");
}
