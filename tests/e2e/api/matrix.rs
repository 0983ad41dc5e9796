//! The endpoint × role × scope matrix of the outcomes, the officials'
//! audit, residents' rights and the team's data: every endpoint called by
//! nobody, an administrator, the province's official, another commune's
//! official, the team's leader, its volunteer, and another team's leader,
//! each answered as its scope says — out of scope is "not found", in scope
//! without the right is "forbidden".

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, count, past_visits};

const ADMIN: &str = "quantri";
const LEADER_3: &str = "totruong.lamson";
const OFFICIAL_DINH_BINH: &str = "canbo.dinhbinh";

/// Who calls: nobody, then each user.
const CALLERS: [Option<&str>; 7] = [
    None,
    Some(ADMIN),
    Some(OFFICIAL),
    Some(OFFICIAL_DINH_BINH),
    Some(LEADER),
    Some(VOLUNTEER),
    Some(LEADER_3),
];

const OK: StatusCode = StatusCode::OK;
const CREATED: StatusCode = StatusCode::CREATED;
const NO: StatusCode = StatusCode::UNAUTHORIZED;
const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;
const MISSING: StatusCode = StatusCode::NOT_FOUND;

/// The demo with its history and the callers the demo lacks: an
/// administrator, another team's leader and another commune's official;
/// and the id of Hải Thanh's area.
async fn with_callers() -> (TestApp, i64) {
    let app = TestApp::with_history().await;
    app.add_user(ADMIN, "admin", None, None, None).await;
    app.add_user(LEADER_3, "leader", Some(3), None, None).await;
    let dinh_binh = count(&app, "SELECT id FROM areas WHERE code = '38-DINHBINH'").await;
    app.add_user(
        OFFICIAL_DINH_BINH,
        "official",
        None,
        Some(i32::try_from(dinh_binh).unwrap()),
        None,
    )
    .await;
    let hai_thanh = count(&app, "SELECT id FROM areas WHERE code = '38-HAITHANH'").await;
    (app, hai_thanh)
}

/// Each caller's token, in [`CALLERS`]' order (none for nobody).
async fn tokens(app: &TestApp) -> Vec<Option<String>> {
    let mut tokens = Vec::new();
    for caller in CALLERS {
        tokens.push(match caller {
            Some(user) => Some(app.login(user).await),
            None => None,
        });
    }
    tokens
}

#[tokio::test]
async fn every_new_endpoint_answers_each_role_in_its_scope_only() {
    let (app, hai_thanh) = with_callers().await;
    let volunteer = app.login(VOLUNTEER).await;
    let visit = past_visits(&app, &volunteer).await[0]["id"]
        .as_i64()
        .unwrap();
    let visit_resident = count(
        &app,
        &format!(
            "SELECT MIN(r.id) FROM residents r JOIN visits v ON v.household_id = r.household_id \
             WHERE v.id = {visit}"
        ),
    )
    .await;
    let household = count(&app, "SELECT MIN(id) FROM households WHERE team_id = 1").await;
    let resident = count(
        &app,
        &format!("SELECT MIN(id) FROM residents WHERE household_id = {household}"),
    )
    .await;
    let member = count(&app, "SELECT MIN(id) FROM members WHERE team_id = 1").await;
    let tokens = tokens(&app).await;

    // (method, path, body, expected per caller in CALLERS' order)
    let mut n = 0;
    let mut key = move || {
        n += 1;
        n
    };
    let cases: Vec<(Method, String, Option<Value>, [StatusCode; 7])> = vec![
        (
            Method::GET,
            format!("/api/v1/areas/{hai_thanh}/coverage"),
            None,
            [NO, OK, OK, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            Method::GET,
            format!("/api/v1/areas/{hai_thanh}/unmet"),
            None,
            [NO, OK, OK, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            Method::GET,
            format!("/api/v1/areas/{hai_thanh}/unmet?format=csv"),
            None,
            [NO, OK, OK, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            Method::GET,
            "/api/v1/audit".into(),
            None,
            [NO, OK, OK, OK, OK, FORBIDDEN, OK],
        ),
        (
            Method::POST,
            format!("/api/v1/visits/{visit}/outcome"),
            Some(json!({"outcomes": [{"resident_id": visit_resident, "result": "not_home"}]})),
            [NO, OK, FORBIDDEN, MISSING, OK, OK, MISSING],
        ),
        (
            Method::PUT,
            format!("/api/v1/residents/{resident}/consent"),
            Some(json!({"text_version": "mẫu 01/2026", "text": "Tôi đồng ý (mẫu 01/2026)."})),
            [NO, OK, FORBIDDEN, MISSING, OK, OK, MISSING],
        ),
        (
            Method::GET,
            format!("/api/v1/residents/{resident}/export"),
            None,
            [NO, OK, OK, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            Method::POST,
            "/api/v1/teams/1/households".into(),
            Some(json!({"address": "Số 1, ngõ Mới"})),
            [NO, CREATED, FORBIDDEN, MISSING, CREATED, FORBIDDEN, MISSING],
        ),
        (
            Method::PATCH,
            format!("/api/v1/households/{household}"),
            Some(json!({"priority": 3})),
            [NO, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            Method::POST,
            format!("/api/v1/households/{household}/residents"),
            Some(json!({"full_name": "Đỗ Thị Mới", "needs": ["e_payment"]})),
            [NO, CREATED, FORBIDDEN, MISSING, CREATED, FORBIDDEN, MISSING],
        ),
        (
            Method::PATCH,
            format!("/api/v1/residents/{resident}"),
            Some(json!({"birth_year": 1960})),
            [NO, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            Method::PUT,
            format!("/api/v1/residents/{resident}/needs/public_services"),
            Some(json!({"status": "open"})),
            [NO, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            Method::POST,
            "/api/v1/teams/1/members".into(),
            Some(json!({"full_name": "Thành viên mới"})),
            [NO, CREATED, FORBIDDEN, MISSING, CREATED, FORBIDDEN, MISSING],
        ),
        (
            Method::PATCH,
            format!("/api/v1/members/{member}"),
            Some(json!({"daily_visit_cap": 7})),
            [NO, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            Method::POST,
            "/api/v1/rules/check".into(),
            Some(
                json!({"rule": {"mode": "in_person", "when": [{"hours": ["18:00", "21:00"]}]}, "team_id": 1}),
            ),
            [NO, OK, OK, MISSING, OK, OK, MISSING],
        ),
        (
            Method::GET,
            "/api/v1/rules/presets".into(),
            None,
            [NO, OK, OK, OK, OK, OK, OK],
        ),
        (
            Method::GET,
            "/api/v1/teams/1/register.csv".into(),
            None,
            [NO, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            Method::DELETE,
            format!("/api/v1/residents/{resident}/consent"),
            None,
            // Withdrawn once (by the administrator), then nothing to withdraw.
            [
                NO,
                OK,
                FORBIDDEN,
                MISSING,
                StatusCode::CONFLICT,
                StatusCode::CONFLICT,
                MISSING,
            ],
        ),
    ];
    for (method, path, body, wanted) in cases {
        for ((caller, token), want) in CALLERS.iter().zip(&tokens).zip(wanted) {
            let body = body.clone().map(|mut b| {
                // Each call its own key, household register key, member name.
                let k = key();
                if path.ends_with("/outcome") {
                    b["idempotency_key"] = json!(format!("m{k}"));
                }
                if path.ends_with("/households") {
                    b["external_id"] = json!(format!("MX-{k}"));
                }
                if path.ends_with("/members") {
                    b["full_name"] = json!(format!("Thành viên {k}"));
                }
                b
            });
            let (status, _, answer) = app
                .raw(method.clone(), &path, token.as_deref(), body, &[])
                .await;
            assert_eq!(
                status,
                want,
                "{caller:?} {method} {path}: {}",
                String::from_utf8_lossy(&answer)
            );
        }
    }

    // Erasure last: the denied first, then the leader.
    let erase = format!("/api/v1/residents/{resident}");
    let wanted = [NO, FORBIDDEN, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING];
    for (i, (caller, token)) in CALLERS.iter().zip(&tokens).enumerate() {
        if i == 1 || i == 4 {
            continue;
        }
        let (status, _, _) = app
            .raw(Method::DELETE, &erase, token.as_deref(), None, &[])
            .await;
        assert_eq!(status, wanted[i], "{caller:?} DELETE {erase}");
    }
    let (status, _, _) = app
        .raw(Method::DELETE, &erase, tokens[4].as_deref(), None, &[])
        .await;
    assert_eq!(status, OK);
    let other = count(
        &app,
        &format!("SELECT MIN(id) FROM residents WHERE household_id = {household}"),
    )
    .await;
    let (status, _, _) = app
        .raw(
            Method::DELETE,
            &format!("/api/v1/residents/{other}"),
            tokens[1].as_deref(),
            None,
            &[],
        )
        .await;
    assert_eq!(status, OK, "an administrator erases too");
}

/// Every kind of page and download of the pages, asked for by every
/// caller: nobody is sent to the sign-in page (303); out of scope is "not
/// found"; in scope without the right is "forbidden". (The calendar
/// feeds answer their secret address only: `feeds.rs`.)
#[tokio::test]
async fn every_page_answers_each_role_in_its_scope_only() {
    const SIGN_IN: StatusCode = StatusCode::SEE_OTHER;
    let (app, hai_thanh) = with_callers().await;
    let volunteer = app.login(VOLUNTEER).await;
    let visit = &past_visits(&app, &volunteer).await[0];
    let visit_id = visit["id"].as_i64().unwrap();
    let own_household = visit["household"]["id"].as_i64().unwrap();
    let own_member = app
        .call(Method::GET, "/api/v1/me", Some(&volunteer), None)
        .await
        .1["member_id"]
        .as_i64()
        .unwrap();
    let plan = count(&app, "SELECT MIN(id) FROM plans WHERE team_id = 1").await;
    // A household of team 1 the volunteer does not visit.
    let other_household = count(
        &app,
        &format!(
            "SELECT MIN(h.id) FROM households h WHERE h.team_id = 1 AND h.id NOT IN \
             (SELECT v.household_id FROM visits v WHERE v.member_id = {own_member})"
        ),
    )
    .await;
    let resident = count(
        &app,
        &format!("SELECT MIN(id) FROM residents WHERE household_id = {other_household}"),
    )
    .await;
    let other_member = count(
        &app,
        &format!("SELECT MIN(id) FROM members WHERE team_id = 1 AND id <> {own_member}"),
    )
    .await;
    let tokens = tokens(&app).await;
    // (path, expected per caller in CALLERS' order: nobody, admin, the
    // province's official, another commune's official, the leader, the
    // volunteer, another team's leader)
    let cases: Vec<(String, [StatusCode; 7])> = vec![
        (
            "/teams/1".into(),
            [SIGN_IN, OK, OK, MISSING, OK, OK, MISSING],
        ),
        (
            "/teams/1/lich".into(),
            [SIGN_IN, OK, OK, MISSING, OK, OK, MISSING],
        ),
        (
            "/teams/1/ho-dan".into(),
            [SIGN_IN, OK, OK, MISSING, OK, OK, MISSING],
        ),
        (
            "/teams/1/thanh-vien".into(),
            [SIGN_IN, OK, OK, MISSING, OK, OK, MISSING],
        ),
        (
            "/teams/1/ngay-nghi".into(),
            [SIGN_IN, OK, OK, MISSING, OK, OK, MISSING],
        ),
        (
            "/teams/1/nhap-so".into(),
            [SIGN_IN, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            "/teams/1/thuy-trieu".into(),
            [SIGN_IN, OK, OK, MISSING, OK, OK, MISSING],
        ),
        (
            "/teams/1/lap-lich".into(),
            [SIGN_IN, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            format!("/ho-dan/{own_household}"),
            [SIGN_IN, OK, OK, MISSING, OK, OK, MISSING],
        ),
        (
            format!("/ho-dan/{other_household}"),
            [SIGN_IN, OK, OK, MISSING, OK, MISSING, MISSING],
        ),
        (
            format!("/nhan-khau/{resident}/lich-ranh"),
            [SIGN_IN, OK, FORBIDDEN, MISSING, OK, MISSING, MISSING],
        ),
        // A plan day by day, and its confirmation, are the leader's
        // planning; an official reads the team's calendar.
        (
            format!("/plans/{plan}"),
            [SIGN_IN, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            format!("/plans/{plan}/cong-bo"),
            [SIGN_IN, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            format!("/visits/{visit_id}/sua"),
            [SIGN_IN, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            format!("/members/{own_member}/ngay"),
            [SIGN_IN, OK, OK, MISSING, OK, OK, MISSING],
        ),
        // Another member's day is out of a volunteer's reach.
        (
            format!("/members/{other_member}/ngay"),
            [SIGN_IN, OK, OK, MISSING, OK, MISSING, MISSING],
        ),
        (
            format!("/members/{own_member}/ngay/duong-di"),
            [SIGN_IN, OK, OK, MISSING, OK, OK, MISSING],
        ),
        (
            format!("/thanh-vien/{other_member}"),
            [SIGN_IN, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
        (
            format!("/vung/{hai_thanh}"),
            [SIGN_IN, OK, OK, MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        (
            format!("/vung/{hai_thanh}/chua-tham"),
            [SIGN_IN, OK, OK, MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        (
            format!("/vung/{hai_thanh}/chua-tham.csv"),
            [SIGN_IN, OK, OK, MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        (
            format!("/vung/{hai_thanh}/chua-tham.xlsx"),
            [SIGN_IN, OK, OK, MISSING, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        // The officials' pages are theirs (a leader reads the team's
        // coverage on the team's pages, and the API's audit).
        (
            "/nhat-ky".into(),
            [SIGN_IN, OK, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        (
            "/teams/1/so-ho.csv".into(),
            [SIGN_IN, OK, FORBIDDEN, MISSING, OK, FORBIDDEN, MISSING],
        ),
    ];
    let mut wrong = Vec::new();
    for (path, wanted) in &cases {
        for ((caller, token), want) in CALLERS.iter().zip(&tokens).zip(wanted) {
            let (status, _, _) = app
                .raw(Method::GET, path, token.as_deref(), None, &[])
                .await;
            if status != *want {
                wrong.push(format!("{caller:?} GET {path}: {status}, expected {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
