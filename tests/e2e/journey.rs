//! The whole journey on the real binary and a real database (SQLite, or
//! PostgreSQL with DOORSTEP_TEST_POSTGRES): a leader signs in, imports a
//! register, plans four weeks, pins and moves visits, publishes; a
//! volunteer reads the day's list and the calendar feed; a storm and a
//! re-plan keep the pinned visit and move nothing else that need not move.

use std::collections::BTreeSet;

use doorstep_tests::{Server, TestDb, doorstep, repo_root, stderr};
use serde_json::{Value, json};

struct Client<'a> {
    server: &'a Server,
    token: String,
}

impl Client<'_> {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let auth = format!("Bearer {}", self.token);
        let text = body.map(|b| b.to_string());
        let (status, _, answer) =
            self.server
                .request(method, path, &[("Authorization", &auth)], text.as_deref());
        (
            status,
            serde_json::from_str(&answer).unwrap_or(Value::String(answer)),
        )
    }

    fn raw(&self, path: &str) -> (u16, String, String) {
        let auth = format!("Bearer {}", self.token);
        self.server
            .request("GET", path, &[("Authorization", &auth)], None)
    }
}

fn sign_in<'a>(server: &'a Server, username: &str) -> Client<'a> {
    let body = json!({"username": username, "password": "doorstep-demo"}).to_string();
    let (status, head, answer) = server.request("POST", "/api/v1/auth/login", &[], Some(&body));
    assert_eq!(status, 200, "{username} signs in: {answer}");
    assert!(head.contains("set-cookie: doorstep_session="), "{head}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    Client {
        server,
        token: answer["token"].as_str().unwrap().to_owned(),
    }
}

fn date_of(v: &Value) -> String {
    v["start"].as_str().unwrap()[..10].to_owned()
}

/// The UIDs of an iCalendar text's events, its lines unfolded.
fn event_uids(ics: &str) -> BTreeSet<String> {
    let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
    let mut uids = BTreeSet::new();
    let (mut in_event, mut in_alarm) = (false, false);
    for line in unfolded.lines() {
        match line {
            "BEGIN:VEVENT" => in_event = true,
            "END:VEVENT" => in_event = false,
            "BEGIN:VALARM" => in_alarm = true,
            "END:VALARM" => in_alarm = false,
            _ if in_event && !in_alarm && line.starts_with("UID:") => {
                uids.insert(line["UID:".len()..].to_owned());
            }
            _ => {}
        }
    }
    uids
}

#[test]
fn a_leader_plans_four_weeks_and_a_volunteer_reads_the_day_and_the_feed() {
    let db = TestDb::blocking();
    let demo = doorstep()
        .arg("demo")
        .env("DOORSTEP__DATABASE__URL", &db.url)
        .env("DOORSTEP_ENV", "test")
        .output()
        .unwrap();
    assert!(demo.status.success(), "{}", stderr(&demo));
    let import = doorstep()
        .args(["import", "households"])
        .arg(repo_root().join("docs/examples/so-ho-hai-thanh.csv"))
        .args(["--team", "1"])
        .env("DOORSTEP__DATABASE__URL", &db.url)
        .env("DOORSTEP_ENV", "test")
        .output()
        .unwrap();
    assert!(import.status.success(), "{}", stderr(&import));
    let server = Server::start(&db, &[]);

    let leader = sign_in(&server, "totruong.haithanh");
    let start =
        (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive() + chrono::Days::new(1);
    let (status, plan) = leader.call(
        "POST",
        "/api/v1/teams/1/plans",
        Some(json!({"start": start.to_string(), "days": 28, "iterations": 6_000})),
    );
    assert_eq!(status, 201, "{plan}");
    let plan_id = plan["id"].as_i64().unwrap();
    let visits = plan["visits"].as_array().unwrap().clone();
    assert!(visits.len() > 50, "four weeks of visits: {}", visits.len());

    // Pin one visit; move another a little, which pins it too.
    let pinned = visits[0].clone();
    let (status, answer) = leader.call(
        "PATCH",
        &format!("/api/v1/visits/{}", pinned["id"]),
        Some(json!({"pinned": true})),
    );
    assert_eq!(status, 200, "{answer}");
    let mut moved = None;
    'outer: for v in visits.iter().skip(1).take(40) {
        let at = chrono::DateTime::parse_from_rfc3339(v["start"].as_str().unwrap()).unwrap();
        for minutes in [10i64, -10, 20, -20, 30] {
            let to = at + chrono::Duration::minutes(minutes);
            let (status, answer) = leader.call(
                "PATCH",
                &format!("/api/v1/visits/{}", v["id"]),
                Some(json!({"start": to.to_rfc3339()})),
            );
            if status == 200 {
                assert_eq!(answer["pinned"], true);
                moved = Some(answer);
                break 'outer;
            }
            assert_eq!(status, 422, "{answer}");
        }
    }
    let moved = moved.expect("some visit moves by a few minutes");
    let (status, published) =
        leader.call("POST", &format!("/api/v1/plans/{plan_id}/publish"), None);
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["status"], "published");

    // The volunteer reads the day's list: exactly their published visits, in order.
    let volunteer = sign_in(&server, "tinhnguyen.haithanh");
    let (_, me) = volunteer.call("GET", "/api/v1/me", None);
    let member = me["member_id"].as_i64().expect("the volunteer is a member");
    let theirs: Vec<&Value> = published["visits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["member_id"] == member && v["status"] != "cancelled")
        .collect();
    assert!(!theirs.is_empty(), "the volunteer has visits in four weeks");
    let day = date_of(theirs[0]);
    let expected: Vec<&Value> = theirs
        .iter()
        .copied()
        .filter(|v| date_of(v) == day)
        .collect();
    let (status, list) = volunteer.call("GET", &format!("/api/v1/me/visits?date={day}"), None);
    assert_eq!(status, 200, "{list}");
    // The calendar keeps a visit it already had at the same member and time
    // (with its id): the list is the plan's visits by household and start.
    let got: Vec<(i64, String)> = list["visits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["household"]["id"].as_i64().unwrap(),
                v["start"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(i64, String)> = expected
        .iter()
        .map(|v| {
            (
                v["household_id"].as_i64().unwrap(),
                v["start"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, want, "the day's list in route order");
    let text = list.to_string();
    assert!(text.contains("address"), "{list}");

    // The feed holds exactly this member's published visits.
    let (status, feed) = volunteer.call("GET", &format!("/api/v1/members/{member}/calendar"), None);
    assert_eq!(status, 200, "{feed}");
    let url = feed["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/ics/") && url.ends_with(".ics"), "{url}");
    let (status, head, ics) = server.request("GET", &url, &[], None);
    assert_eq!(status, 200);
    assert!(head.contains("text/calendar"), "{head}");
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(
        ics.contains("BEGIN:VTIMEZONE"),
        "the team's zone is in the feed"
    );
    assert!(ics.contains("âm"), "the lunar date is in the summaries");
    // The team's calendar, whichever plan made each visit: the demo's plan
    // keeps the visits the new plan has at the same member and time.
    let (_, plans) = leader.call("GET", "/api/v1/teams/1/plans", None);
    let mut want: BTreeSet<String> = BTreeSet::new();
    for p in plans.as_array().unwrap() {
        let (_, full) = leader.call("GET", &format!("/api/v1/plans/{}", p["id"]), None);
        want.extend(
            full["visits"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| {
                    v["on_calendar"] == true
                        && v["member_id"] == member
                        && v["status"] != "cancelled"
                })
                .map(|v| format!("visit-{}@doorstep", v["id"])),
        );
    }
    assert!(!want.is_empty());
    assert_eq!(event_uids(&ics), want);
    let _ = volunteer.raw("/api/v1/me");

    // A storm on the day of the moved visit; re-plan.
    let storm_day = date_of(&moved);
    let pinned_day = date_of(&pinned);
    let (status, storm) = leader.call(
        "POST",
        "/api/v1/teams/1/blackouts",
        Some(json!({"label": "bão số 3", "dates": [storm_day, storm_day]})),
    );
    assert_eq!(status, 201, "{storm}");
    let (status, replanned) = leader.call(
        "POST",
        &format!("/api/v1/plans/{plan_id}/replan"),
        Some(json!({"iterations": 6_000})),
    );
    assert_eq!(status, 201, "a new draft: {replanned}");
    let after = replanned["visits"].as_array().unwrap();
    if pinned_day == storm_day {
        // A pinned visit in the storm stays on the calendar as it is, listed
        // for the leader.
        let conflicts = replanned["summary"]["conflicts"].as_array().unwrap();
        assert!(
            conflicts.contains(&pinned["id"]),
            "{} {} {}",
            replanned["summary"],
            published["published"],
            pinned
        );
    } else {
        let kept = after
            .iter()
            .find(|v| v["household_id"] == pinned["household_id"] && v["pinned"] == true)
            .unwrap_or_else(|| {
                panic!(
                    "the pinned visit is kept: {} {} {}",
                    pinned, published["published"], replanned["summary"]
                )
            });
        assert_eq!(kept["start"], pinned["start"]);
    }
    if pinned_day != storm_day {
        assert!(
            after
                .iter()
                .filter(|v| v["status"] != "cancelled" && v["pinned"] == false)
                .all(|v| date_of(v) != storm_day),
            "nothing new is planned in the storm"
        );
    }
    let before: Vec<&Value> = published["visits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| date_of(v) != storm_day)
        .collect();
    let same = before
        .iter()
        .filter(|v| {
            after.iter().any(|a| {
                a["household_id"] == v["household_id"]
                    && a["member_id"] == v["member_id"]
                    && a["start"] == v["start"]
            })
        })
        .count();
    assert!(
        same * 10 >= before.len() * 9,
        "{same} of {} visits away from the storm stayed",
        before.len()
    );
}
