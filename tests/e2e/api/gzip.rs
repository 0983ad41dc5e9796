//! Every streamed or large answer asked for as a browser asks, with
//! `Accept-Encoding: gzip`, through the whole router (compression layer
//! included): unpacked, it is the plain answer byte for byte. The data is
//! the small synthetic province, so that the unmet CSV runs to well over a
//! thousand lines and spans many chunks.

use std::io::Read;

use axum::http::{HeaderMap, Method, StatusCode, header};
use serde_json::Value;

use super::province::province_app;
use super::{TestApp, count};

/// An administrator added to the province (password the demo's).
const ADMIN: &str = "quantri.tinhmau";
/// The leader of the province's first team.
const LEADER: &str = "totruong.tinhmau";

async fn admin(app: &TestApp) -> String {
    app.add_user(ADMIN, "admin", None, None, None).await;
    app.login(ADMIN).await
}

async fn first_team(app: &TestApp) -> i64 {
    count(app, "SELECT MIN(id) FROM teams").await
}

/// The first team, and its leader signed in.
async fn first_teams_leader(app: &TestApp) -> (i64, String) {
    let team = first_team(app).await;
    app.add_user(LEADER, "leader", i32::try_from(team).ok(), None, None)
        .await;
    (team, app.login(LEADER).await)
}

/// A GET answered twice: plain, then gzip-encoded and unpacked. Both must
/// succeed with the same content type; answers (headers, plain, unpacked).
async fn plain_and_gzip(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
) -> (HeaderMap, Vec<u8>, Vec<u8>) {
    let (status, headers, plain) = app.raw(Method::GET, path, token, None, &[]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&plain)
    );
    assert!(
        headers.get(header::CONTENT_ENCODING).is_none(),
        "{path}: plain unless asked"
    );
    let (status, packed_headers, packed) = app
        .raw(
            Method::GET,
            path,
            token,
            None,
            &[("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{path} under gzip");
    assert_eq!(
        packed_headers.get(header::CONTENT_ENCODING).unwrap(),
        "gzip",
        "{path} is compressed"
    );
    assert_eq!(
        packed_headers.get(header::CONTENT_TYPE),
        headers.get(header::CONTENT_TYPE),
        "{path}"
    );
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(packed.as_slice())
        .read_to_end(&mut unpacked)
        .unwrap_or_else(|e| panic!("{path}: a whole gzip stream ({e})"));
    (headers, plain, unpacked)
}

/// The two bodies are the same bytes; on a difference, says where rather
/// than printing both.
fn assert_same(path: &str, plain: &[u8], unpacked: &[u8]) {
    if plain == unpacked {
        return;
    }
    let at = plain
        .iter()
        .zip(unpacked)
        .position(|(a, b)| a != b)
        .unwrap_or(plain.len().min(unpacked.len()));
    let around = |bytes: &[u8]| {
        String::from_utf8_lossy(&bytes[at.saturating_sub(40)..(at + 40).min(bytes.len())])
            .into_owned()
    };
    panic!(
        "{path}: {} bytes plain, {} unpacked, first difference at byte {at}:\n  plain:    {:?}\n  unpacked: {:?}",
        plain.len(),
        unpacked.len(),
        around(plain),
        around(unpacked),
    );
}

/// The same answer with and without gzip; answers the plain body.
async fn same_under_gzip(app: &TestApp, path: &str, token: Option<&str>) -> Vec<u8> {
    let (_, plain, unpacked) = plain_and_gzip(app, path, token).await;
    assert_same(path, &plain, &unpacked);
    plain
}

#[tokio::test]
async fn the_unmet_csv_arrives_whole_under_gzip() {
    let (app, summary) = province_app().await;
    let official = app.login(doorstep_demo::province::OFFICIAL.0).await;
    let path = format!("/api/v1/areas/{}/unmet?format=csv", summary.province_id);
    let (headers, plain, unpacked) = plain_and_gzip(&app, &path, Some(&official)).await;
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        headers.get(header::CONTENT_LENGTH).is_none(),
        "the CSV is streamed"
    );
    assert_same(&path, &plain, &unpacked);
    assert!(unpacked.starts_with(b"\xEF\xBB\xBF"));
    let records = csv::Reader::from_reader(&unpacked[3..])
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("CSV records")
        .len();
    assert!(records > 1_000, "{records} lines: many chunks");
    let unmet = oversight_unmet(&app, summary.province_id).await;
    assert_eq!(records, unmet, "one line per unmet household");
}

/// The unmet households of an area, counted by the service's pages.
async fn oversight_unmet(app: &TestApp, area_id: i32) -> usize {
    use doorstep_service::oversight::{self, UnmetPage};
    let admin = doorstep_service::access::Actor::system("test");
    let mut total = 0;
    let mut after = None;
    loop {
        let page = oversight::area_unmet(
            &app.store,
            &admin,
            area_id,
            UnmetPage {
                after_id: after,
                limit: Some(oversight::MAX_PAGE),
            },
            super::now(),
        )
        .await
        .expect("a page of the unmet");
        total += page.len();
        if page.len() < usize::try_from(oversight::MAX_PAGE).unwrap() {
            return total;
        }
        after = page.last().map(|e| e.household.household_id);
    }
}

#[tokio::test]
async fn the_register_export_arrives_whole_under_gzip() {
    let (app, _) = province_app().await;
    let (team, leader) = first_teams_leader(&app).await;
    let csv = same_under_gzip(
        &app,
        &format!("/api/v1/teams/{team}/register.csv"),
        Some(&leader),
    )
    .await;
    let lines = csv::Reader::from_reader(&csv[3..]).records().count();
    let residents = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE h.team_id = {team}"
        ),
    )
    .await;
    assert_eq!(lines as i64, residents, "one line per resident");
    assert!(lines > 500, "{lines} lines");
}

#[tokio::test]
async fn the_audit_log_arrives_whole_under_gzip() {
    let (app, _) = province_app().await;
    let team = i32::try_from(first_team(&app).await).unwrap();
    let now = super::now();
    for i in 0..600 {
        doorstep_store::append_audit(
            app.store.connection(),
            now - chrono::Duration::seconds(i),
            "cli",
            "edit_team",
            "team",
            Some(team),
            serde_json::json!({"n": i}),
        )
        .await
        .expect("an audit entry");
    }
    let admin = admin(&app).await;
    let first = same_under_gzip(&app, "/api/v1/audit?limit=500", Some(&admin)).await;
    let first: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(first["entries"].as_array().unwrap().len(), 500);
    let before = first["next_before"].as_i64().expect("a next page");
    let second = same_under_gzip(
        &app,
        &format!("/api/v1/audit?limit=500&before={before}"),
        Some(&admin),
    )
    .await;
    let second: Value = serde_json::from_slice(&second).unwrap();
    assert!(second["entries"].as_array().unwrap().len() >= 100);
}

#[tokio::test]
async fn the_calendar_feeds_arrive_whole_under_gzip() {
    let (app, _) = province_app().await;
    let admin = admin(&app).await;
    let team = first_team(&app).await;
    let member = count(
        &app,
        &format!(
            "SELECT v.member_id FROM visits v JOIN plans p ON p.id = v.plan_id \
             WHERE p.team_id = {team} GROUP BY v.member_id ORDER BY COUNT(*) DESC, v.member_id \
             LIMIT 1"
        ),
    )
    .await;
    for address in [
        format!("/api/v1/teams/{team}/calendar"),
        format!("/api/v1/members/{member}/calendar"),
    ] {
        let (status, feed) = app.call(Method::GET, &address, Some(&admin), None).await;
        assert_eq!(status, StatusCode::OK, "{address}: {feed}");
        let url = feed["url"].as_str().expect("the feed's address");
        let path = url
            .find("/ics/")
            .map(|at| &url[at..])
            .expect("/ics/SECRET.ics");
        let text = same_under_gzip(&app, path, None).await;
        let text = String::from_utf8(text).unwrap();
        assert!(text.ends_with("END:VCALENDAR\r\n"), "{address}");
        let events = text.matches("BEGIN:VEVENT").count();
        assert!(events >= 10, "{address}: {events} events");
    }
}

#[tokio::test]
async fn a_residents_export_arrives_whole_under_gzip() {
    let (app, _) = province_app().await;
    let admin = admin(&app).await;
    let resident = count(
        &app,
        "SELECT resident_id FROM outcomes GROUP BY resident_id \
         ORDER BY COUNT(*) DESC, resident_id LIMIT 1",
    )
    .await;
    let path = format!("/api/v1/residents/{resident}/export");
    let (_, plain, unpacked) = plain_and_gzip(&app, &path, Some(&admin)).await;
    // Each answer names the instant it was made; everything else is the same.
    let made = |body: &[u8]| {
        let value: Value = serde_json::from_slice(body).expect("JSON");
        value["exported_at"]
            .as_str()
            .expect("exported_at")
            .to_owned()
    };
    let (plain_made, unpacked_made) = (made(&plain), made(&unpacked));
    let plain = String::from_utf8(plain)
        .unwrap()
        .replacen(&plain_made, &unpacked_made, 1);
    assert_same(&path, plain.as_bytes(), &unpacked);
    let export: Value = serde_json::from_slice(&unpacked).unwrap();
    assert!(!export["outcomes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_openapi_document_arrives_whole_under_gzip() {
    let (app, _) = province_app().await;
    let document = same_under_gzip(&app, "/api/v1/openapi.json", None).await;
    assert!(document.len() > 64 * 1024, "{} bytes", document.len());
    let document: Value = serde_json::from_slice(&document).unwrap();
    assert!(document["paths"].as_object().unwrap().len() > 30);
}

#[tokio::test]
async fn a_teams_households_and_calendar_page_arrive_whole_under_gzip() {
    let (app, _) = province_app().await;
    let (team, leader) = first_teams_leader(&app).await;
    let page = same_under_gzip(
        &app,
        &format!("/api/v1/teams/{team}/households?per_page=200"),
        Some(&leader),
    )
    .await;
    let page: Value = serde_json::from_slice(&page).unwrap();
    assert_eq!(page["households"].as_array().unwrap().len(), 200);
    let html = same_under_gzip(&app, &format!("/teams/{team}/lich"), Some(&leader)).await;
    assert!(html.len() > 16 * 1024, "{} bytes", html.len());
}
