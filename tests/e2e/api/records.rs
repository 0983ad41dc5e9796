//! In-process tests of a leader managing the team's data: households,
//! residents, needs and members created and edited with every problem at
//! its JSON path; search that ignores diacritics, filters and pages; rules
//! checked, read back in words and previewed, presets built; the register
//! exported, imported back unchanged, and a bad upload writing nothing.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, count, fields, rows};

const LEADER_3: &str = "totruong.lamson";

#[tokio::test]
async fn a_leader_creates_and_edits_households_residents_needs_and_members() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let village = count(
        &app,
        "SELECT MIN(a.id) FROM areas a JOIN teams t ON a.parent_id = t.area_id WHERE t.id = 1",
    )
    .await;
    let (status, household) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/households",
            Some(&leader),
            Some(
                json!({"external_id": "HT-NEW-1", "address": "Số 4, ngõ Cảng cá",
                "village_id": village, "latitude": 19.37, "longitude": 105.8}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{household}");
    let household_id = household["id"].as_i64().unwrap();
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/households",
            Some(&leader),
            Some(json!({"external_id": "HT-NEW-1", "address": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/households",
            Some(&leader),
            Some(json!({"address": "", "village_id": 999_999, "latitude": 200})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        ["external_id", "address", "village_id", "latitude"]
    );

    // A resident, a fishing crew member, with needs to open.
    let (_, presets) = app
        .call(Method::GET, "/api/v1/rules/presets", Some(&leader), None)
        .await;
    let crew = presets
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "fishing_crew")
        .unwrap()["rule"]
        .clone();
    let path = format!("/api/v1/households/{household_id}/residents");
    let (status, resident) = app
        .call(
            Method::POST,
            &path,
            Some(&leader),
            Some(json!({"full_name": "Trần Văn Biển", "birth_year": 1979,
                "phone": "0912 345 678", "presence": "at_sea", "availability": crew,
                "needs": ["vneid_install", "e_payment"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{resident}");
    assert_eq!(resident["external_id"], "1");
    assert_eq!(resident["needs"].as_array().unwrap().len(), 2);
    assert!(!resident["availability_vi"].as_str().unwrap().is_empty());
    let resident_id = resident["id"].as_i64().unwrap();
    // Every problem at its path; nothing written.
    let before = count(&app, "SELECT COUNT(*) FROM residents").await;
    let (status, problem) = app
        .call(
            Method::POST,
            &path,
            Some(&leader),
            Some(
                json!({"full_name": "", "birth_year": 1800, "phone": "038095001234",
                "presence": "trên trời", "needs": ["vneid", "bay"], "nickname": "Út",
                "availability": {"mode": "in_person", "when": [{"hours": ["25:00", "08:00"]}]}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        [
            "nickname",
            "full_name",
            "birth_year",
            "phone",
            "presence",
            "availability.when[0].hours[0]",
            "needs[1]"
        ],
        "{problem}"
    );
    assert!(problem.to_string().contains("căn cước"), "{problem}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM residents").await, before);

    // Edits: null clears, absent keeps.
    let (status, edited) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/residents/{resident_id}"),
            Some(&leader),
            Some(json!({"phone": null, "presence": "home", "needs": ["scam_awareness"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert!(edited["phone"].is_null());
    assert_eq!(edited["birth_year"], 1979);
    assert_eq!(edited["needs"].as_array().unwrap().len(), 3);
    let (status, need) = app
        .call(
            Method::PUT,
            &format!("/api/v1/residents/{resident_id}/needs/vneid_install"),
            Some(&leader),
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{need}");
    assert_eq!(need["status"], "done");
    let (status, problem) = app
        .call(
            Method::PUT,
            &format!("/api/v1/residents/{resident_id}/needs/flying"),
            Some(&leader),
            Some(json!({"status": "finished"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["need", "status"]);
    let (status, household) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/households/{household_id}"),
            Some(&leader),
            Some(json!({"address": "Số 6, ngõ Cảng cá"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{household}");
    assert_eq!(household["address"], "Số 6, ngõ Cảng cá");
    assert_eq!(household["external_id"], "HT-NEW-1");

    // Members.
    let (status, member) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/members",
            Some(&leader),
            Some(json!({"full_name": "Lê Thị Hoa", "email": "hoa@example.org",
                "skills": ["vneid", "e_payment"], "daily_visit_cap": 6, "remote_capable": true,
                "availability": {"mode": "in_person", "when": [{"weekdays": ["sat", "sun"], "hours": ["08:00", "11:00"]}]}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{member}");
    let member_id = member["id"].as_i64().unwrap();
    assert_eq!(member["skills"], json!(["vneid", "e_payment"]));
    let (status, member) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/members/{member_id}"),
            Some(&leader),
            Some(json!({"daily_visit_cap": 4, "active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{member}");
    assert_eq!(member["daily_visit_cap"], 4);
    assert_eq!(member["active"], false);
    assert_eq!(member["remote_capable"], true);
    let (status, problem) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/members/{member_id}"),
            Some(&leader),
            Some(json!({"daily_visit_cap": 0, "skills": ["bơi"], "email": "hoa", "role": "boss"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        ["role", "email", "skills[0]", "daily_visit_cap"]
    );

    // Others may not; the log names ids, never names. A volunteer does not
    // even find a household they do not visit.
    app.add_user(LEADER_3, "leader", Some(3), None, None).await;
    for (user, want) in [
        (VOLUNTEER, StatusCode::NOT_FOUND),
        (OFFICIAL, StatusCode::FORBIDDEN),
        (LEADER_3, StatusCode::NOT_FOUND),
    ] {
        let token = app.login(user).await;
        let (status, answer) = app
            .call(
                Method::PATCH,
                &format!("/api/v1/residents/{resident_id}"),
                Some(&token),
                Some(json!({"birth_year": 1980})),
            )
            .await;
        assert_eq!(status, want, "{user}: {answer}");
    }
    let log = rows(
        &app,
        "SELECT action, detail FROM audit_log WHERE action IN ('create_household', \
         'edit_household', 'create_resident', 'edit_resident', 'set_need', 'create_member', \
         'edit_member') ORDER BY id",
    )
    .await;
    let actions: Vec<&str> = log.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        actions,
        [
            "create_household",
            "create_resident",
            "edit_resident",
            "set_need",
            "edit_household",
            "create_member",
            "edit_member"
        ]
    );
    assert!(log.iter().all(|r| !r[1].contains("Trần Văn Biển")));
}

#[tokio::test]
async fn search_ignores_case_and_diacritics_and_filters_page_by_page() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let name = rows(
        &app,
        "SELECT r.full_name FROM residents r JOIN households h ON h.id = r.household_id \
         WHERE h.team_id = 1 ORDER BY r.id LIMIT 1",
    )
    .await[0][0]
        .clone();
    let folded = doorstep_core::fold_vietnamese(&name);
    assert_ne!(folded, name.to_lowercase(), "a name with diacritics");
    let query = folded.replace(' ', "%20").to_uppercase();
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/api/v1/teams/1/households?q={query}"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let found = page["households"].as_array().unwrap();
    assert!(!found.is_empty());
    // Every word is in the household: an address, a name.
    for h in found {
        let text = doorstep_core::fold_vietnamese(&h.to_string());
        assert!(folded.split(' ').all(|w| text.contains(w)), "{h}");
    }
    assert!(
        found.iter().any(|h| h["residents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["full_name"] == name.as_str())),
        "the resident herself"
    );

    // Filters: households with a resident at sea with VNeID still to install.
    let expected = count(
        &app,
        "SELECT COUNT(DISTINCT h.id) FROM households h JOIN residents r ON r.household_id = h.id \
         JOIN needs n ON n.resident_id = r.id WHERE h.team_id = 1 AND n.step = 'vneid_install' \
         AND n.status = 'open'",
    )
    .await;
    let (_, page) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/households?need=vneid_install&per_page=5",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(page["total"], expected);
    assert!(page["households"].as_array().unwrap().len() <= 5);
    let (_, second) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/households?need=vneid_install&per_page=5&page=2",
            Some(&leader),
            None,
        )
        .await;
    if expected > 5 {
        assert_ne!(page["households"][0]["id"], second["households"][0]["id"]);
    }
    let at_sea = count(
        &app,
        "SELECT COUNT(DISTINCT h.id) FROM households h JOIN residents r ON r.household_id = h.id \
         WHERE h.team_id = 1 AND r.presence = 'at_sea'",
    )
    .await;
    assert!(at_sea > 0);
    let (_, page) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/households?presence=%C4%91i%20bi%E1%BB%83n",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(page["total"], at_sea, "presence by its Vietnamese label");
    let village = count(
        &app,
        "SELECT MIN(village_id) FROM households WHERE team_id = 1",
    )
    .await;
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/api/v1/teams/1/households?village={village}&status=done"),
            Some(&leader),
            None,
        )
        .await;
    let village_name = &rows(
        &app,
        &format!("SELECT name FROM areas WHERE id = {village}"),
    )
    .await[0][0];
    assert!(!page["households"].as_array().unwrap().is_empty());
    for h in page["households"].as_array().unwrap() {
        assert_eq!(h["village"], village_name.as_str(), "{h}");
    }
    let (status, problem) = app
        .call(
            Method::GET,
            "/api/v1/teams/1/households?village=abc&need=fly&presence=moon&status=maybe",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["village", "need", "presence", "status"]);
}

#[tokio::test]
async fn rules_are_checked_read_back_previewed_and_presets_built() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let rule = json!({"mode": "in_person", "when": [{"lunar_days": [13, 18], "hours": ["07:00", "20:00"]}]});
    let (status, checked) = app
        .call(
            Method::POST,
            "/api/v1/rules/check",
            Some(&leader),
            Some(json!({"rule": rule, "days": 28})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    assert_eq!(checked["valid"], true);
    assert!(
        checked["description_vi"].as_str().unwrap().contains("âm"),
        "{checked}"
    );
    assert_eq!(checked["timezone"], "Asia/Ho_Chi_Minh");
    let windows = checked["next_windows"].as_array().unwrap();
    assert!(!windows.is_empty(), "28 days hold a full moon: {checked}");
    for w in windows {
        let lunar_day: u32 = w["lunar"]
            .as_str()
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((13..=18).contains(&lunar_day), "{w}");
        assert!(w["start"].as_str().unwrap().ends_with("+07:00"));
        assert!(w["start"].as_str().unwrap().contains("T07:00:00"), "{w}");
    }
    let (status, checked) = app
        .call(
            Method::POST,
            "/api/v1/rules/check",
            Some(&leader),
            Some(json!({"rule": {"mode": "by_pigeon", "when": [{"hours": ["8h", "11:00"]}]}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    assert_eq!(checked["valid"], false);
    let paths: Vec<&str> = checked["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["mode", "when[0].hours[0]"], "{checked}");
    assert!(checked["errors"][0]["message_vi"].as_str().unwrap().len() > 5);
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/rules/check",
            Some(&leader),
            Some(json!({"rule": rule, "days": 90})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["days"]);

    let (status, presets) = app
        .call(
            Method::GET,
            "/api/v1/rules/presets?country=Nh%E1%BA%ADt%20B%E1%BA%A3n&shift=night&days_off=sat,sun",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{presets}");
    let codes: Vec<&str> = presets
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "fishing_crew",
            "worker_abroad",
            "farmer",
            "elderly",
            "shift_worker"
        ]
    );
    let abroad = &presets[1];
    assert_eq!(abroad["rule"]["mode"], "remote");
    assert!(
        abroad["rule"].to_string().contains("Asia/Tokyo"),
        "{abroad}"
    );
    assert!(
        presets[4]["rule"]
            .to_string()
            .contains(r#""weekdays":["sat","sun"]"#),
        "{}",
        presets[4]
    );
    // No day off: the shift's free hours only; not given: Sunday.
    for (days_off, expected) in [
        ("&days_off=none", None),
        ("", Some(r#""weekdays":["sun"]"#)),
    ] {
        let (status, found) = app
            .call(
                Method::GET,
                &format!("/api/v1/rules/presets?shift=day{days_off}"),
                Some(&leader),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        let shift = found[4]["rule"].to_string();
        match expected {
            Some(days) => assert!(shift.contains(days), "{days_off}: {shift}"),
            None => assert!(!shift.contains("weekdays"), "{days_off}: {shift}"),
        }
    }
    // Each preset checks as valid.
    for p in presets.as_array().unwrap() {
        let (_, checked) = app
            .call(
                Method::POST,
                "/api/v1/rules/check",
                Some(&leader),
                Some(json!({"rule": p["rule"]})),
            )
            .await;
        assert_eq!(checked["valid"], true, "{p}: {checked}");
    }
    let (status, problem) = app
        .call(
            Method::GET,
            "/api/v1/rules/presets?country=Atlantis&shift=dawn&days_off=someday",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["shift", "days_off", "country"]);
}

#[tokio::test]
async fn the_register_goes_out_and_back_unchanged_and_a_bad_upload_writes_nothing() {
    let app = TestApp::demo().await;
    let leader = app.login(LEADER).await;
    let (status, headers, csv) = app
        .raw(
            Method::GET,
            "/api/v1/teams/1/register.csv",
            Some(&leader),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
    assert!(csv[3..].starts_with("Mã hộ,Mã nhân khẩu,Họ và tên".as_bytes()));
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

    let upload = |bytes: Vec<u8>, token: String, query: &'static str| {
        let app = &app;
        async move {
            let request = axum::http::Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/teams/1/imports{query}"))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "text/csv")
                .body(axum::body::Body::from(bytes))
                .unwrap();
            let response = tower::ServiceExt::oneshot(app.router.clone(), request)
                .await
                .unwrap();
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            (
                status,
                serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
            )
        }
    };
    // Back in: nothing changes.
    let (status, report) = upload(csv.clone(), leader.clone(), "").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    for (key, n) in report["changes"].as_object().unwrap() {
        assert_eq!(n, 0, "{key}: {report}");
    }

    // A bad row: nothing written, the line and column named.
    let households = count(&app, "SELECT COUNT(*) FROM households").await;
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.push("HT-NEW-9,1,Phạm Văn Mới,1990,,Số 9,,,,Ở nhà,,,vneid_install".into());
    lines.push("HT-NEW-9,2,Phạm Thị Sai,năm ngoái,,Số 9,,,,Ở nhà,,,".into());
    let bad = lines.join("\n").into_bytes();
    let (status, problem) = upload(bad, leader.clone(), "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let bad_line = lines.len();
    assert_eq!(
        fields(&problem),
        [format!("line {bad_line}, column \"Năm sinh\"")],
        "{problem}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM households").await,
        households
    );
    // With skip_invalid, the good rows go in.
    let bad = lines.join("\n").into_bytes();
    let (status, report) = upload(bad, leader.clone(), "?skip_invalid=true").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["changes"]["households_created"], 1);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 1);

    let (status, _) = upload(Vec::new(), leader.clone(), "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let volunteer = app.login(VOLUNTEER).await;
    let (status, _) = upload(csv.clone(), volunteer.clone(), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .raw(
            Method::GET,
            "/api/v1/teams/1/register.csv",
            Some(&volunteer),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'export_register'"
        )
        .await,
        1
    );
}

/// More households than SQLite binds variables in one statement (32,766):
/// the export walks the register page by page, so it answers whole.
const BEYOND_SQLITE_VARIABLES: usize = 33_000;

#[tokio::test]
async fn a_register_larger_than_sqlites_variable_limit_goes_out_whole() {
    use doorstep_demo::province::{self, ProvinceOptions, Rules};
    use doorstep_store::repo::bulk;

    let app = TestApp::empty().await;
    let now = super::now();
    let mut layout = province::layout(ProvinceOptions {
        teams: 1,
        seed: 3,
        history: false,
    });
    layout.teams[0].households = BEYOND_SQLITE_VARIABLES;
    let areas = bulk::insert_areas(app.store.connection(), &layout.areas())
        .await
        .expect("the areas load");
    let village = *areas.last().expect("the team's village");
    let team = province::team(&layout, 0, village, &Rules::new(), None, now);
    let loaded = bulk::insert_teams(app.store.connection(), &[team], now)
        .await
        .expect("the team loads");
    assert_eq!(loaded.households, BEYOND_SQLITE_VARIABLES as u64);
    let team_id: i32 = rows(&app, "SELECT id FROM teams").await[0][0]
        .parse()
        .unwrap();
    app.add_user("totruong.lon", "leader", Some(team_id), None, None)
        .await;
    let leader = app.login("totruong.lon").await;

    let (status, headers, csv) = app
        .raw(
            Method::GET,
            &format!("/api/v1/teams/{team_id}/register.csv"),
            Some(&leader),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&csv));
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
    let mut reader = csv::Reader::from_reader(&csv[3..]);
    let mut households = std::collections::BTreeSet::new();
    let mut residents = 0u64;
    let mut previous = String::new();
    for record in reader.records() {
        let record = record.expect("a well-formed row");
        // Register order, each household's rows together.
        assert!(record[0] >= *previous, "{} after {previous}", &record[0]);
        previous = record[0].to_owned();
        households.insert(previous.clone());
        residents += 1;
    }
    assert_eq!(households.len(), BEYOND_SQLITE_VARIABLES);
    assert_eq!(residents, loaded.residents);
    let detail = rows(
        &app,
        "SELECT detail FROM audit_log WHERE action = 'export_register'",
    )
    .await;
    let detail: Value = serde_json::from_str(&detail[0][0]).unwrap();
    assert_eq!(detail["households"], BEYOND_SQLITE_VARIABLES);
    assert_eq!(detail["residents"], loaded.residents);

    // A search walks the same register: a filter every household meets
    // counts them all and pages in register order; a key finds its one.
    let search = |query: String| {
        let (app, leader) = (&app, &leader);
        async move {
            let path = format!("/api/v1/teams/{team_id}/households?{query}");
            let (status, body) = app.call(Method::GET, &path, Some(leader), None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let keys: Vec<String> = body["households"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["external_id"].as_str().unwrap().to_owned())
                .collect();
            (body["total"].as_u64().unwrap(), keys)
        }
    };
    let (total, keys) = search(format!("village={village}&page=3&per_page=200")).await;
    assert_eq!(total, BEYOND_SQLITE_VARIABLES as u64);
    let in_order: Vec<String> = households.iter().skip(400).take(200).cloned().collect();
    assert_eq!(keys, in_order);
    let last = households.last().unwrap();
    let (_, keys) = search(format!("q={last}")).await;
    assert!(keys.contains(last), "{keys:?}");
    assert!(keys.len() < 20, "{keys:?}");
}
