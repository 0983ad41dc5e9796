//! No personal data in the log: the real `doorstep serve --demo` logging
//! everything at `debug` (doorstep's own lines, every request, the
//! database driver's), while a leader signs in, reads the households with
//! their names and phone numbers, searches the register by a name, records
//! a resident's consent and a visit's outcome with a note, and a volunteer
//! reads the day's list and the calendar feed. Afterwards the log holds
//! none of the passwords, session tokens, names, phone numbers, notes,
//! consent texts, searched names or the feed's secret address — and it
//! does hold the requests, so that the check can fail.

use doorstep_tests::Server;
use serde_json::{Value, json};

const PASSWORD: &str = "doorstep-demo";

fn call(server: &Server, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let auth = format!("Bearer {token}");
    let text = body.map(|b| b.to_string());
    let (status, _, answer) =
        server.request(method, path, &[("Authorization", &auth)], text.as_deref());
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    serde_json::from_str(&answer).unwrap_or(Value::String(answer))
}

fn sign_in(server: &Server, username: &str) -> String {
    let body = json!({"username": username, "password": PASSWORD}).to_string();
    let (status, _, answer) = server.request("POST", "/api/v1/auth/login", &[], Some(&body));
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    answer["token"].as_str().unwrap().to_owned()
}

#[test]
fn the_log_holds_no_personal_data_even_at_debug() {
    // The demo with calendars from a week back: past visits to record.
    let db = doorstep_tests::runtime().block_on(doorstep_tests::demo_with_past_calendars(7, 2_000));
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = Server::start_with(&db, &["--demo"], &[("RUST_LOG", "debug")], log.into());

    let leader = sign_in(&server, "totruong.haithanh");
    let volunteer = sign_in(&server, "tinhnguyen.haithanh");
    let mut secrets: Vec<String> = vec![PASSWORD.into(), leader.clone(), volunteer.clone()];

    // The households with their residents' names and phones.
    let page = call(
        &server,
        &leader,
        "GET",
        "/api/v1/teams/1/households?per_page=50",
        None,
    );
    let households = page["households"].as_array().expect("households");
    assert!(!households.is_empty(), "{page}");
    for h in households {
        for r in h["residents"].as_array().unwrap() {
            secrets.push(r["full_name"].as_str().unwrap().to_owned());
            if let Some(phone) = r["phone"].as_str() {
                secrets.push(phone.to_owned());
            }
        }
    }
    // A search by a resident's name (its words in the query string).
    let name = households[0]["residents"][0]["full_name"].as_str().unwrap();
    let query: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    call(
        &server,
        &leader,
        "GET",
        &format!("/api/v1/teams/1/households?q={query}"),
        None,
    );
    // A consent with its text.
    let resident = households[0]["residents"][0]["id"].as_i64().unwrap();
    let consent = "Tôi, Phạm Thị Riêng, đồng ý cho tổ lưu số 0987 654 321.";
    secrets.push(consent.into());
    call(
        &server,
        &leader,
        "PUT",
        &format!("/api/v1/residents/{resident}/consent"),
        Some(json!({"text_version": "mẫu riêng 12/2026", "text": consent})),
    );
    // A volunteer's day, an outcome with a note, and the calendar feed.
    let me = call(&server, &volunteer, "GET", "/api/v1/me", None);
    let member = me["member_id"].as_i64().unwrap();
    let mut recorded = false;
    for back in 1..8 {
        let day = (chrono::Utc::now() - chrono::Duration::days(back))
            .format("%Y-%m-%d")
            .to_string();
        let list = call(
            &server,
            &volunteer,
            "GET",
            &format!("/api/v1/members/{member}/visits?date={day}"),
            None,
        );
        let Some(visit) = list["visits"].as_array().and_then(|v| v.first()) else {
            continue;
        };
        let Some(person) = visit["residents"].as_array().and_then(|r| r.first()) else {
            continue;
        };
        let note = "Bà Riêng dặn gọi số 0912 000 111 trước khi đến";
        secrets.push(note.into());
        let (status, _, answer) = server.request(
            "POST",
            &format!("/api/v1/visits/{}/outcome", visit["id"]),
            &[("Authorization", &format!("Bearer {volunteer}"))],
            Some(
                &json!({
                    "idempotency_key": "logs-1",
                    "note": note,
                    "outcomes": [{"resident_id": person["id"], "result": "not_home"}],
                })
                .to_string(),
            ),
        );
        assert_eq!(status, 200, "the outcome: {answer}");
        recorded = true;
        break;
    }
    let feed = call(
        &server,
        &volunteer,
        "GET",
        &format!("/api/v1/members/{member}/calendar"),
        None,
    );
    let url = feed["url"].as_str().expect("the feed's address").to_owned();
    let (status, _) = server.get(&url);
    assert_eq!(status, 200);
    let secret = url
        .trim_start_matches("/ics/")
        .trim_end_matches(".ics")
        .to_owned();
    secrets.push(secret);
    drop(server);

    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        text.contains("/api/v1/teams/1/households") && text.contains("/ics/…"),
        "the log holds the requests, their paths:\n{}",
        &text[..text.len().min(2_000)]
    );
    assert!(recorded, "a past visit of the volunteer was recorded");
    let found: Vec<&String> = secrets
        .iter()
        .filter(|s| s.chars().count() >= 6 && text.contains(s.as_str()))
        .collect();
    assert!(found.is_empty(), "the log holds personal data {found:?}");
}
