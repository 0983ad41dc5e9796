//! In-process tests: a volunteer records what happened at the doors of past
//! days; needs move, attempts count, next windows are offered; the same
//! request twice changes nothing; one result per resident and visit, a
//! contradiction refused in the caller's language, a correction moving the
//! needs, attempts, status and kept counts back, two contradictory
//! requests at once never both accepted; every role in and out of scope;
//! bad outcomes refused with the reason; the re-plan no longer plans what
//! is done and never reaches into the past.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Days, Utc};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{
    LEADER, OFFICIAL, TestApp, VOLUNTEER, count, fields, past_visits, rows, tallies, today,
};

const ADMIN: &str = "quantri";
const LEADER_3: &str = "totruong.lamson";

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

async fn post(app: &TestApp, visit: i64, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/api/v1/visits/{visit}/outcome"),
        token,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_volunteer_records_a_visit_and_the_resident_away_gets_next_windows() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let visits = past_visits(&app, &volunteer).await;
    let visit = visits
        .iter()
        .find(|v| v["mode"] == "in_person" && v["residents"].as_array().unwrap().len() >= 2)
        .unwrap_or_else(|| panic!("a past visit with two residents: {visits:?}"));
    let id = visit["id"].as_i64().unwrap();
    let residents = ids(&visit["residents"]);
    let (met, away) = (residents[0], residents[1]);
    let open_before: Vec<String> = rows(
        &app,
        &format!("SELECT step FROM needs WHERE resident_id = {met} AND status = 'open'"),
    )
    .await
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    let attempts_before = count(
        &app,
        &format!("SELECT attempts FROM residents WHERE id = {away}"),
    )
    .await;

    let body = json!({
        "idempotency_key": "4f1b2c3d-0001",
        "note": "Bà ở nhà, ông đi biển chưa về",
        "outcomes": [
            {"resident_id": met, "result": "done"},
            {"resident_id": away, "result": "not_home"},
        ]
    });
    let (status, answer) = post(&app, id, Some(&volunteer), body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["replayed"], false);
    assert_eq!(answer["visit"]["id"], id);
    assert_eq!(answer["visit"]["status"], "done");
    let purposes: Vec<&str> = visit["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    let needs = answer["needs"].as_array().unwrap();
    let met_needs: Vec<&Value> = needs
        .iter()
        .filter(|n| {
            let need = n["need"].as_str().unwrap();
            n["resident_id"] == met
                && purposes.contains(&need)
                && open_before.iter().any(|open| open == need)
        })
        .collect();
    assert!(!met_needs.is_empty(), "{answer}");
    for n in &met_needs {
        assert_eq!(n["status"], "done", "{n}");
        assert_eq!(n["last_result"], "done", "{n}");
        assert!(
            n["updated_by"].as_str().unwrap().starts_with("user:"),
            "{n}"
        );
    }
    let attempts: Vec<&Value> = answer["residents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resident_id"] == away)
        .collect();
    assert_eq!(attempts[0]["attempts"], attempts_before + 1, "{answer}");
    let next = answer["next_windows"].as_array().unwrap();
    assert_eq!(next.len(), 1, "{answer}");
    assert_eq!(next[0]["resident_id"], away);
    let windows = next[0]["windows"].as_array().unwrap();
    assert!(!windows.is_empty(), "{answer}");
    for w in windows {
        let start = DateTime::parse_from_rfc3339(w["start"].as_str().unwrap()).unwrap();
        assert!(w["start"].as_str().unwrap().ends_with("+07:00"), "{w}");
        assert!(start.date_naive() > today(), "after today: {w}");
        assert!(["in_person", "remote"].contains(&w["mode"].as_str().unwrap()));
    }

    // Sent again (the answer was lost on a patchy connection): nothing changes.
    let outcomes = count(&app, "SELECT COUNT(*) FROM outcomes").await;
    let audit = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'record_outcome'",
    )
    .await;
    let (status, again) = post(&app, id, Some(&volunteer), body).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["replayed"], true);
    assert_eq!(again["needs"], answer["needs"]);
    assert_eq!(again["residents"], answer["residents"]);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outcomes").await, outcomes);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'record_outcome'"
        )
        .await,
        audit
    );

    // The same key with another body is refused; nothing is written.
    let (status, problem) = post(
        &app,
        id,
        Some(&volunteer),
        json!({"idempotency_key": "4f1b2c3d-0001", "outcomes": [{"resident_id": away, "result": "reschedule"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outcomes").await, outcomes);

    // A second report of the same absence at the same visit counts once.
    let (status, later) = post(
        &app,
        id,
        Some(&volunteer),
        json!({"idempotency_key": "4f1b2c3d-0002", "outcomes": [{"resident_id": away, "result": "not_home"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{later}");
    assert_eq!(later["replayed"], true, "{later}");
    let after: Vec<&Value> = later["residents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resident_id"] == away)
        .collect();
    assert_eq!(after[0]["attempts"], attempts_before + 1, "{later}");
    assert_eq!(later["visit"]["status"], "done", "someone was met: {later}");
    // Another result for them at the same visit contradicts the first.
    let (status, problem) = post(
        &app,
        id,
        Some(&volunteer),
        json!({"idempotency_key": "4f1b2c3d-0003", "outcomes": [{"resident_id": away, "result": "reschedule"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outcomes").await, outcomes);

    // The audit log says what happened, never who lives there.
    let logged = rows(
        &app,
        &format!(
            "SELECT actor, detail FROM audit_log WHERE action = 'record_outcome' AND entity_id = {id}"
        ),
    )
    .await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    let names = rows(
        &app,
        &format!("SELECT full_name FROM residents WHERE id IN ({met}, {away})"),
    )
    .await;
    for entry in &logged {
        assert!(entry[0].starts_with("user:"), "{entry:?}");
        for name in &names {
            assert!(!entry[1].contains(&name[0]), "{entry:?}");
        }
        assert!(
            !entry[1].contains("đi biển"),
            "no note in the log: {entry:?}"
        );
    }
}

#[tokio::test]
async fn only_the_visits_volunteer_and_the_leader_record_and_others_are_told_why() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let visits = past_visits(&app, &volunteer).await;
    let visit = &visits[0];
    let id = visit["id"].as_i64().unwrap();
    let resident = ids(&visit["residents"])[0];
    let body = |key: &str| json!({"idempotency_key": key, "outcomes": [{"resident_id": resident, "result": "not_home"}]});
    // Another member of the same team, not assigned to the visit.
    let member: i64 = count(
        &app,
        &format!(
            "SELECT MIN(id) FROM members WHERE team_id = 1 AND id <> {}",
            rows(
                &app,
                &format!("SELECT member_id FROM visits WHERE id = {id}")
            )
            .await[0][0]
        ),
    )
    .await;
    app.add_user(
        "tinhnguyen.khac",
        "volunteer",
        Some(1),
        None,
        Some(i32::try_from(member).unwrap()),
    )
    .await;
    app.add_user(ADMIN, "admin", None, None, None).await;
    app.add_user(LEADER_3, "leader", Some(3), None, None).await;

    let (status, _) = post(&app, id, None, body("k0")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let expected = [
        ("tinhnguyen.khac", StatusCode::FORBIDDEN),
        (OFFICIAL, StatusCode::FORBIDDEN),
        (LEADER_3, StatusCode::NOT_FOUND),
        (LEADER, StatusCode::OK),
        (VOLUNTEER, StatusCode::OK),
        (ADMIN, StatusCode::OK),
    ];
    for (i, (user, want)) in expected.iter().enumerate() {
        let token = app.login(user).await;
        let (status, answer) = post(&app, id, Some(&token), body(&format!("k{i}"))).await;
        assert_eq!(status, *want, "{user}: {answer}");
        if *want != StatusCode::OK {
            assert!(answer["detail"].as_str().is_some(), "{user}: {answer}");
        }
    }
    let (status, _) = post(&app, 999_999, Some(&volunteer), body("k9")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_outcomes_are_refused_with_the_path_and_nothing_is_written() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let visits = past_visits(&app, &volunteer).await;
    let visit = &visits[0];
    let id = visit["id"].as_i64().unwrap();
    let resident = ids(&visit["residents"])[0];
    let household = visit["household"]["id"].as_i64().unwrap();
    let stranger: i64 = count(
        &app,
        &format!("SELECT MIN(id) FROM residents WHERE household_id <> {household}"),
    )
    .await;
    let has: Vec<String> = rows(
        &app,
        &format!("SELECT step FROM needs WHERE resident_id = {resident}"),
    )
    .await
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    let lacks = [
        "vneid_install",
        "vneid_level2",
        "documents",
        "e_payment",
        "scam_awareness",
        "public_services",
    ]
    .into_iter()
    .find(|s| !has.iter().any(|h| h == s))
    .expect("the resident lacks some step");
    let before = count(&app, "SELECT COUNT(*) FROM outcomes").await;

    let (status, problem) = post(
        &app,
        id,
        Some(&volunteer),
        json!({"idempotency_key": "k", "outcomes": [
            {"resident_id": resident, "need": lacks, "result": "done"},
            {"resident_id": stranger, "result": "done"},
            {"resident_id": resident, "need": has[0], "result": "needs_appointment"},
            {"resident_id": resident, "result": "went fishing"},
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        ["outcomes[2].appointment_on", "outcomes[3].result"],
        "{problem}"
    );
    let (status, problem) = post(
        &app,
        id,
        Some(&volunteer),
        json!({"idempotency_key": "k", "outcomes": [
            {"resident_id": resident, "need": lacks, "result": "done"},
            {"resident_id": stranger, "result": "done"},
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        ["outcomes[1].resident_id", "outcomes[0].need"],
        "{problem}"
    );
    let text = problem.to_string();
    assert!(text.contains(lacks), "{text}");
    let (status, problem) = post(
        &app,
        id,
        Some(&volunteer),
        json!({"idempotency_key": "k", "outcomes": [{"resident_id": "mười hai", "result": "done"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["outcomes[0].resident_id"], "{problem}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outcomes").await, before);

    // A visit still to come, and a cancelled one, take no outcome.
    let leader = app.login(LEADER).await;
    let mut future = Value::Null;
    for ahead in 1..=14 {
        let (_, list) = app
            .call(
                Method::GET,
                &format!("/api/v1/me/visits?date={}", today() + Days::new(ahead)),
                Some(&volunteer),
                None,
            )
            .await;
        if let Some(first) = list["visits"].as_array().and_then(|v| v.first()) {
            future = first.clone();
            break;
        }
    }
    let future_id = future["id"]
        .as_i64()
        .expect("a visit in the next two weeks");
    let body = json!({"idempotency_key": "f", "outcomes": [
        {"resident_id": ids(&future["residents"])[0], "result": "done"}]});
    let (status, problem) = post(&app, future_id, Some(&volunteer), body.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, cancelled) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/visits/{future_id}"),
            Some(&leader),
            Some(json!({"status": "cancelled"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let (status, problem) = post(&app, future_id, Some(&volunteer), body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem.to_string().contains("cancelled") || problem.to_string().contains("huỷ"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outcomes").await, before);
}

#[tokio::test]
async fn the_replan_leaves_done_needs_out_holds_refusals_and_stays_in_the_future() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let leader = app.login(LEADER).await;
    let visits = past_visits(&app, &volunteer).await;
    // Every resident of every past visit: the first visit's residents done,
    // the second's refused, the rest not at home.
    let mut done = Vec::new();
    let mut refused = Vec::new();
    for (i, v) in visits.iter().enumerate() {
        let residents = ids(&v["residents"]);
        let result = match i {
            0 => "done",
            1 => "refused",
            _ => "not_home",
        };
        let outcomes: Vec<Value> = residents
            .iter()
            .map(|r| json!({"resident_id": r, "result": result}))
            .collect();
        let (status, answer) = post(
            &app,
            v["id"].as_i64().unwrap(),
            Some(&volunteer),
            json!({"idempotency_key": format!("day-{i}"), "outcomes": outcomes}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let purposes: Vec<String> = v["purposes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap().to_owned())
            .collect();
        for r in residents {
            for need in &purposes {
                match i {
                    0 => done.push((r, need.clone())),
                    1 => refused.push((r, need.clone())),
                    _ => {}
                }
            }
        }
        let status = if i < 2 { "done" } else { "missed" };
        assert_eq!(answer["visit"]["status"], status, "{answer}");
    }
    assert!(!done.is_empty() && !refused.is_empty());

    let plan: i64 = count(
        &app,
        "SELECT MIN(id) FROM plans WHERE team_id = 1 AND status = 'published'",
    )
    .await;
    let (status, replanned) = app
        .call(
            Method::POST,
            &format!("/api/v1/plans/{plan}/replan"),
            Some(&leader),
            Some(json!({"iterations": 2000})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{replanned}");
    let now = super::now();
    let recorded: Vec<i64> = visits.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    for v in replanned["visits"].as_array().unwrap() {
        let start = DateTime::parse_from_rfc3339(v["start"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc);
        let id = v["id"].as_i64().unwrap();
        if recorded.contains(&id) {
            assert!(["done", "missed"].contains(&v["status"].as_str().unwrap()));
            continue;
        }
        if v["status"] == "proposed" && start > now {
            for r in v["residents"].as_array().unwrap() {
                for p in v["purposes"].as_array().unwrap() {
                    let pair = (r.as_i64().unwrap(), p.as_str().unwrap().to_owned());
                    assert!(!done.contains(&pair), "a done need planned again: {v}");
                    assert!(!refused.contains(&pair), "a refused need planned: {v}");
                }
            }
        }
    }
    // The households found away are planned again, after now.
    let away_households: Vec<i64> = visits
        .iter()
        .skip(2)
        .map(|v| v["household"]["id"].as_i64().unwrap())
        .collect();
    let again = replanned["visits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| {
            v["status"] == "proposed"
                && away_households.contains(&v["household_id"].as_i64().unwrap())
        })
        .count();
    assert!(again > 0 || away_households.is_empty(), "{replanned}");
    for v in replanned["visits"].as_array().unwrap() {
        if v["status"] == "proposed" && !recorded.contains(&v["id"].as_i64().unwrap()) {
            let start = DateTime::parse_from_rfc3339(v["start"].as_str().unwrap()).unwrap();
            let kept_past = start.with_timezone(&Utc) <= now;
            if kept_past {
                // A past visit still waiting for its outcome stays as it was.
                let stored = rows(
                    &app,
                    &format!(
                        "SELECT status FROM visits WHERE id = {}",
                        v["id"].as_i64().unwrap()
                    ),
                )
                .await;
                assert_eq!(stored[0][0], "proposed");
            }
        }
    }
    // A resident who refused every need is unmet with that reason.
    let reasons: Vec<&str> = replanned["unmet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["reason"].as_str().unwrap())
        .collect();
    let refused_all = count(
        &app,
        "SELECT COUNT(*) FROM residents r WHERE EXISTS (SELECT 1 FROM needs n WHERE n.resident_id = r.id AND n.last_result = 'refused') \
         AND NOT EXISTS (SELECT 1 FROM needs n WHERE n.resident_id = r.id AND n.status = 'open' AND (n.last_result IS NULL OR n.last_result <> 'refused'))",
    )
    .await;
    if refused_all > 0 {
        assert!(reasons.contains(&"refused"), "{reasons:?}");
    }
}

/// A past visit of the volunteer, one of its residents with needs the visit
/// is for still open, and those needs' steps.
async fn a_resident_with_open_needs(app: &TestApp, token: &str) -> (i64, i64, Vec<String>) {
    for v in past_visits(app, token).await {
        let purposes: Vec<&str> = v["purposes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap())
            .collect();
        for resident in ids(&v["residents"]) {
            let open: Vec<String> = rows(
                app,
                &format!(
                    "SELECT step FROM needs WHERE resident_id = {resident} AND status = 'open' \
                     ORDER BY step"
                ),
            )
            .await
            .into_iter()
            .map(|r| r[0].clone())
            .filter(|step| purposes.contains(&step.as_str()))
            .collect();
            if !open.is_empty() {
                return (v["id"].as_i64().unwrap(), resident, open);
            }
        }
    }
    panic!("a past visit with a resident whose needs are open");
}

/// Everything a recording may change for a resident at a visit: their
/// needs and attempts, the visit's status and results, the requests kept,
/// the audit log.
async fn what_is_recorded(app: &TestApp, visit: i64, resident: i64) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for sql in [
        format!(
            "SELECT step, status, COALESCE(last_result, ''), CAST(appointment_on AS TEXT), \
             CAST(updated_at AS TEXT) FROM needs WHERE resident_id = {resident} ORDER BY step"
        ),
        format!(
            "SELECT attempts, CAST(last_attempt_at AS TEXT) FROM residents WHERE id = {resident}"
        ),
        format!("SELECT status FROM visits WHERE id = {visit}"),
        format!(
            "SELECT resident_id, COALESCE(need, ''), result FROM outcomes WHERE visit_id = {visit} \
             ORDER BY id"
        ),
        "SELECT COUNT(*) FROM outcome_requests".to_owned(),
        "SELECT COUNT(*) FROM outcome_needs".to_owned(),
        "SELECT COUNT(*) FROM audit_log".to_owned(),
    ] {
        all.extend(rows(app, &sql).await);
    }
    all
}

/// Each of the resident's needs of these steps: status, last result and
/// appointment's day.
async fn needs_of(app: &TestApp, resident: i64, steps: &[String]) -> Vec<Vec<String>> {
    rows(
        app,
        &format!(
            "SELECT step, status, COALESCE(last_result, ''), \
             COALESCE(CAST(appointment_on AS TEXT), '') FROM needs \
             WHERE resident_id = {resident} ORDER BY step"
        ),
    )
    .await
    .into_iter()
    .filter(|r| steps.contains(&r[0]))
    .collect()
}

#[tokio::test]
async fn a_contradicting_result_is_refused_with_the_first_in_words_and_nothing_changes() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let (visit, resident, open) = a_resident_with_open_needs(&app, &volunteer).await;
    let name = rows(
        &app,
        &format!("SELECT full_name FROM residents WHERE id = {resident}"),
    )
    .await[0][0]
        .clone();
    let (status, done) = post(
        &app,
        visit,
        Some(&volunteer),
        json!({"idempotency_key": "first", "outcomes": [{"resident_id": resident, "result": "done"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    // The needs changed when the result was recorded, in the team's zone.
    let at = done["needs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["resident_id"] == resident && n["status"] == "done")
        .unwrap_or_else(|| panic!("a need done: {done}"))["updated_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let at = DateTime::parse_from_rfc3339(&at).unwrap();
    let (time, day) = (at.format("%H:%M"), at.format("%d/%m/%Y"));
    let before = what_is_recorded(&app, visit, resident).await;

    let path = format!("/api/v1/visits/{visit}/outcome");
    let away = json!({"idempotency_key": "second", "outcomes": [{"resident_id": resident, "result": "not_home"}]});
    let (status, problem) = post(&app, visit, Some(&volunteer), away.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "conflict", "{problem}");
    assert_eq!(
        problem["detail"],
        format!(
            "Người dân {name} đã được ghi 'Đã xong' cho lượt thăm này lúc {time} ngày {day}; \
             gửi kèm \"correction\": true để sửa"
        ),
        "{problem}"
    );
    let (status, headers, bytes) = app
        .raw(
            Method::POST,
            &path,
            Some(&volunteer),
            Some(away),
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(headers["content-type"], "application/problem+json");
    let problem: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        problem["detail"],
        format!(
            "Resident {name} was already recorded as 'Done' for this visit at {time} on {day}; \
             send \"correction\": true to change it"
        ),
        "{problem}"
    );
    // One need against the result for the whole visit; a stranger's result
    // in the same request does not slip through either.
    let (status, problem) = post(
        &app,
        visit,
        Some(&volunteer),
        json!({"idempotency_key": "third", "outcomes": [
            {"resident_id": resident, "need": open[0], "result": "refused"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("'Đã xong'"),
        "{problem}"
    );
    assert_eq!(what_is_recorded(&app, visit, resident).await, before);
}

#[tokio::test]
async fn the_same_result_again_under_a_new_key_is_not_doubled() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let (visit, resident, _) = a_resident_with_open_needs(&app, &volunteer).await;
    let attempts = count(
        &app,
        &format!("SELECT attempts FROM residents WHERE id = {resident}"),
    )
    .await;
    let (status, first) = post(
        &app,
        visit,
        Some(&volunteer),
        json!({"idempotency_key": "n1", "note": "Đi biển chưa về",
            "outcomes": [{"resident_id": resident, "result": "not_home"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["replayed"], false);
    let recorded = what_is_recorded(&app, visit, resident).await;
    // Sent again from another phone, in words, with another note: nothing
    // is written, and the answer is the same.
    for (key, result) in [("n2", "not_home"), ("n3", "Không có nhà")] {
        let (status, again) = post(
            &app,
            visit,
            Some(&volunteer),
            json!({"idempotency_key": key, "note": "Vợ nói anh đi biển",
                "outcomes": [{"resident_id": resident, "result": result}]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["replayed"], true, "{again}");
        assert_eq!(again["needs"], first["needs"]);
        assert_eq!(again["residents"], first["residents"]);
        assert_eq!(what_is_recorded(&app, visit, resident).await, recorded);
    }
    assert_eq!(
        count(
            &app,
            &format!("SELECT attempts FROM residents WHERE id = {resident}")
        )
        .await,
        attempts + 1
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM outcomes WHERE visit_id = {visit}")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_correction_moves_the_needs_attempts_status_and_counts_back_and_the_log_keeps_both() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let (visit, resident, open) = a_resident_with_open_needs(&app, &volunteer).await;
    let attempts_sql = format!("SELECT attempts FROM residents WHERE id = {resident}");
    let attempts = || count(&app, &attempts_sql);
    let attempts_before = attempts().await;
    let needs_before = needs_of(&app, resident, &open).await;
    let send = |key: &str, correction: bool, line: Value| {
        post(
            &app,
            visit,
            Some(&volunteer),
            json!({"idempotency_key": key, "correction": correction, "outcomes": [line]}),
        )
    };

    let (status, done) = send(
        "c1",
        false,
        json!({"resident_id": resident, "result": "done"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["visit"]["status"], "done");
    for need in needs_of(&app, resident, &open).await {
        assert_eq!(need[1], "done", "{need:?}");
    }
    assert_eq!(attempts().await, 0);
    tallies::assert_counts_are_true(&app, "done").await;

    // It was someone else at the door: the resident was not at home.
    let (status, away) = send(
        "c2",
        true,
        json!({"resident_id": resident, "result": "not_home"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{away}");
    assert_eq!(away["replayed"], false);
    assert_eq!(away["visit"]["status"], "missed", "{away}");
    assert_eq!(
        needs_of(&app, resident, &open).await,
        needs_before,
        "the needs are open again, as before the visit"
    );
    assert_eq!(attempts().await, attempts_before + 1);
    let mine: Vec<&Value> = away["residents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resident_id"] == resident)
        .collect();
    assert_eq!(mine[0]["attempts"], attempts_before + 1, "{away}");
    assert!(mine[0]["last_attempt_at"].is_string(), "{away}");
    assert_eq!(away["next_windows"][0]["resident_id"], resident, "{away}");
    assert_eq!(
        rows(
            &app,
            &format!("SELECT resident_id, result FROM outcomes WHERE visit_id = {visit}")
        )
        .await,
        [[resident.to_string(), "not_home".to_owned()]]
    );
    tallies::assert_counts_are_true(&app, "done corrected to not_home").await;
    let logged = rows(
        &app,
        &format!(
            "SELECT actor, detail FROM audit_log WHERE action = 'correct_outcome' \
             AND entity_id = {visit}"
        ),
    )
    .await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0][0].starts_with("user:"), "{logged:?}");
    let detail: Value = serde_json::from_str(&logged[0][1]).unwrap();
    assert_eq!(
        detail["corrections"],
        json!([{"resident_id": resident, "need": null, "before": "done", "after": "not_home"}]),
        "{detail}"
    );

    // And back: they were met after all; the count of attempts with it.
    let (status, met) = send(
        "c3",
        true,
        json!({"resident_id": resident, "result": "done"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{met}");
    assert_eq!(met["visit"]["status"], "done");
    assert_eq!(attempts().await, 0);
    tallies::assert_counts_are_true(&app, "not_home corrected to done").await;

    // One need needs an appointment at the police after all; then it was
    // done on the spot: the hold goes with the correction.
    let day = (today() + Days::new(5)).to_string();
    let (status, held) = send(
        "c4",
        true,
        json!({"resident_id": resident, "need": open[0], "result": "needs_appointment",
            "appointment_on": day}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{held}");
    let needs = needs_of(&app, resident, &open).await;
    assert_eq!(
        needs[0],
        [
            open[0].clone(),
            "open".to_owned(),
            "needs_appointment".to_owned(),
            day.clone()
        ]
    );
    for need in &needs[1..] {
        assert_eq!(need[1], "done", "the other needs stay done: {need:?}");
    }
    let (status, cleared) = send(
        "c5",
        true,
        json!({"resident_id": resident, "need": open[0], "result": "done"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cleared}");
    for need in needs_of(&app, resident, &open).await {
        assert_eq!(need[1..], ["done", "done", ""], "{need:?}");
    }
    tallies::assert_counts_are_true(&app, "an appointment corrected to done").await;
    let corrections: Vec<Value> = rows(
        &app,
        &format!(
            "SELECT detail FROM audit_log WHERE action = 'correct_outcome' \
             AND entity_id = {visit} ORDER BY id"
        ),
    )
    .await
    .into_iter()
    .map(|r| serde_json::from_str::<Value>(&r[0]).unwrap()["corrections"].clone())
    .collect();
    assert_eq!(
        corrections[2],
        json!([{"resident_id": resident, "need": open[0], "before": "done",
            "after": format!("needs_appointment {day}")}])
    );
    assert_eq!(
        corrections[3],
        json!([{"resident_id": resident, "need": open[0],
            "before": format!("needs_appointment {day}"), "after": "done"}])
    );
}

#[tokio::test]
async fn two_contradicting_requests_at_once_are_not_both_accepted() {
    let app = TestApp::with_history().await;
    let volunteer = app.login(VOLUNTEER).await;
    let visits = past_visits(&app, &volunteer).await;
    assert!(!visits.is_empty());
    for v in visits.iter().take(4) {
        let visit = v["id"].as_i64().unwrap();
        let resident = ids(&v["residents"])[0];
        let request = |key: &str, result: &str| {
            Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/visits/{visit}/outcome"))
                .header(header::AUTHORIZATION, format!("Bearer {volunteer}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"idempotency_key": key,
                        "outcomes": [{"resident_id": resident, "result": result}]})
                    .to_string(),
                ))
                .unwrap()
        };
        let (done, away) = tokio::join!(
            app.router.clone().oneshot(request("at-once-1", "done")),
            app.router.clone().oneshot(request("at-once-2", "not_home")),
        );
        let statuses = [done.unwrap().status(), away.unwrap().status()];
        let accepted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count();
        assert_eq!((accepted, refused), (1, 1), "visit {visit}: {statuses:?}");
        let stored = rows(
            &app,
            &format!("SELECT result FROM outcomes WHERE visit_id = {visit}"),
        )
        .await;
        let winner = if statuses[0] == StatusCode::OK {
            "done"
        } else {
            "not_home"
        };
        assert_eq!(stored, [[winner]], "visit {visit}");
    }
    tallies::assert_counts_are_true(&app, "requests at once").await;
}
