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

#[tokio::test]
async fn every_new_endpoint_answers_each_role_in_its_scope_only() {
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
    let mut tokens = Vec::new();
    for caller in CALLERS {
        tokens.push(match caller {
            Some(user) => Some(app.login(user).await),
            None => None,
        });
    }

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
