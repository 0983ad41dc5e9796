//! In-process tests: the daily lists and the calendar feeds, on the demo with
//! its calendars published, for every role in and out of scope. Feeds are
//! read back with a small RFC 5545 reader (unfolding, components, escapes).

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode, header};
use chrono::{Days, NaiveDate};
use serde_json::Value;

use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, fields};

/// Today in the demo teams' zone (Asia/Ho_Chi_Minh, UTC+7 all year).
fn today() -> NaiveDate {
    (super::now() + chrono::Duration::hours(7)).date_naive()
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    app.call(Method::GET, path, Some(token), None).await
}

/// The signed-in user's member and team ids.
async fn me(app: &TestApp, token: &str) -> (i64, i64) {
    let (status, me) = get(app, "/api/v1/me", token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    (
        me["member_id"].as_i64().expect("a member"),
        me["team_id"].as_i64().expect("a team"),
    )
}

/// Every day's list of the published horizon (28 days from today).
async fn horizon(app: &TestApp, token: &str, member: i64) -> Vec<Value> {
    let mut days = Vec::new();
    for offset in 0..u64::from(doorstep_demo::DEMO_PLAN_DAYS) {
        let date = today() + Days::new(offset);
        let (status, list) = get(
            app,
            &format!("/api/v1/members/{member}/visits?date={date}"),
            token,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{date}: {list}");
        assert_eq!(list["date"], date.to_string());
        days.push(list);
    }
    days
}

fn visits(list: &Value) -> &Vec<Value> {
    list["visits"].as_array().expect("visits")
}

/// A second team's id and its members' ids (leader first).
async fn other_team(app: &TestApp) -> (i32, Vec<i32>) {
    let db = app.store.connection();
    let teams = doorstep_store::list_teams(db).await.unwrap();
    let team = teams
        .iter()
        .find(|t| t.id != 1)
        .expect("the demo has four teams");
    let members = doorstep_store::team_members(db, team.id).await.unwrap();
    (team.id, members.iter().map(|m| m.id).collect())
}

/// Another volunteer of team 1 than `member`.
async fn teammate_of(app: &TestApp, member: i64) -> i32 {
    doorstep_store::team_members(app.store.connection(), 1)
        .await
        .unwrap()
        .iter()
        .find(|m| m.role.code() == "volunteer" && i64::from(m.id) != member)
        .expect("team 1 has several volunteers")
        .id
}

#[tokio::test]
async fn daily_lists_show_phone_numbers_to_the_member_only() {
    let app = TestApp::demo_with_calendars().await;
    let volunteer = app.login(VOLUNTEER).await;
    let (member, team) = me(&app, &volunteer).await;
    assert_eq!(team, 1);

    // Without a date: today in the team's zone.
    let (status, list) = get(&app, "/api/v1/me/visits", &volunteer).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["date"], today().to_string());
    assert_eq!(list["member_id"], member);
    assert_eq!(list["timezone"], "Asia/Ho_Chi_Minh");

    let days = horizon(&app, &volunteer, member).await;
    let day = days
        .iter()
        .find(|d| !visits(d).is_empty())
        .expect("the volunteer has visits in the demo's calendar");
    let date = day["date"].as_str().unwrap().to_owned();
    let heading_vi = day["heading_vi"].as_str().unwrap();
    let heading_en = day["heading_en"].as_str().unwrap();
    let lunar = doorstep_service::daylist::lunar_short(date.parse().unwrap());
    let solar = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .unwrap()
        .format("%d/%m/%Y")
        .to_string();
    assert!(
        heading_vi.starts_with("Thứ ") || heading_vi.starts_with("Chủ nhật "),
        "{heading_vi}"
    );
    assert!(
        heading_vi.ends_with(&format!("{solar} · {lunar} âm lịch")),
        "{heading_vi}"
    );
    assert!(
        heading_en.ends_with(&format!(" · lunar {lunar}")),
        "{heading_en}"
    );

    // The same list as /me/visits, and the day's visits in route order.
    let (status, mine) = get(&app, &format!("/api/v1/me/visits?date={date}"), &volunteer).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(&mine, day);
    assert_eq!(day["phones_shown"], true);
    let mut previous = String::new();
    for (i, v) in visits(day).iter().enumerate() {
        assert_eq!(v["order"], i + 1, "{v}");
        let start = v["start"].as_str().unwrap();
        let end = v["end"].as_str().unwrap();
        assert!(start.starts_with(&date) && start.ends_with("+07:00"), "{v}");
        assert!(end.ends_with("+07:00"), "{v}");
        assert!(start > previous.as_str(), "route order: {v}");
        previous = start.to_owned();
        assert_eq!(
            v["window"]["time"],
            format!("{}–{}", &start[11..16], &end[11..16]),
            "{v}"
        );
        for key in ["vi", "en"] {
            assert!(!v["window"][key].as_str().unwrap().is_empty(), "{v}");
        }
        let household = &v["household"];
        assert!(
            !household["external_id"].as_str().unwrap().is_empty(),
            "{v}"
        );
        assert!(!household["address"].as_str().unwrap().is_empty(), "{v}");
        assert!(household["approximate_location"].is_boolean(), "{v}");
        if v["mode"] == "in_person" {
            assert!(
                household["latitude"].is_f64() && household["longitude"].is_f64(),
                "{v}"
            );
        }
        let purposes = v["purposes"].as_array().unwrap();
        assert!(!purposes.is_empty(), "{v}");
        for p in purposes {
            assert!(!p["code"].as_str().unwrap().is_empty(), "{p}");
            assert!(!p["vi"].as_str().unwrap().is_empty(), "{p}");
            assert!(!p["en"].as_str().unwrap().is_empty(), "{p}");
        }
        let residents = v["residents"].as_array().unwrap();
        assert!(!residents.is_empty(), "{v}");
        for r in residents {
            assert!(!r["name"].as_str().unwrap().is_empty(), "{r}");
            assert!(!r["availability_vi"].as_str().unwrap().is_empty(), "{r}");
        }
    }
    let phones = days
        .iter()
        .flat_map(visits)
        .flat_map(|v| v["residents"].as_array().unwrap())
        .filter(|r| r["phone"].is_string())
        .count();
    assert!(phones > 0, "the member sees residents' phone numbers");

    // The leader and an official read the same list without phone numbers.
    for user in [LEADER, OFFICIAL] {
        let token = app.login(user).await;
        let (status, seen) = get(
            &app,
            &format!("/api/v1/members/{member}/visits?date={date}"),
            &token,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{user}: {seen}");
        assert_eq!(seen["phones_shown"], false, "{user}");
        let ids =
            |list: &Value| -> Vec<Value> { visits(list).iter().map(|v| v["id"].clone()).collect() };
        assert_eq!(ids(&seen), ids(day), "{user}");
        for (theirs, mine) in visits(&seen).iter().zip(visits(day)) {
            assert_eq!(theirs["window"], mine["window"], "{user}");
            for (r, own) in theirs["residents"]
                .as_array()
                .unwrap()
                .iter()
                .zip(mine["residents"].as_array().unwrap())
            {
                assert!(r["phone"].is_null(), "{user} sees no phone: {r}");
                assert_eq!(r["name"], own["name"]);
            }
        }
    }

    // A volunteer of another team, and a teammate, do not find the member.
    let (team2, others) = other_team(&app).await;
    app.add_user(
        "tinhnguyen.khac",
        "volunteer",
        Some(team2),
        None,
        Some(others[1]),
    )
    .await;
    let teammate = teammate_of(&app, member).await;
    app.add_user(
        "tinhnguyen.cungto",
        "volunteer",
        Some(1),
        None,
        Some(teammate),
    )
    .await;
    for user in ["tinhnguyen.khac", "tinhnguyen.cungto"] {
        let token = app.login(user).await;
        let (status, problem) = get(
            &app,
            &format!("/api/v1/members/{member}/visits?date={date}"),
            &token,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user}: {problem}");
        let (status, own) = get(&app, "/api/v1/me/visits", &token).await;
        assert_eq!(status, StatusCode::OK, "{user}'s own list: {own}");
    }
    let (status, _) = get(&app, "/api/v1/members/999999/visits", &volunteer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A user who is no team member has no list, and is told why.
    app.add_user("khong.thanhvien", "volunteer", Some(1), None, None)
        .await;
    let token = app.login("khong.thanhvien").await;
    let (status, problem) = get(&app, "/api/v1/me/visits", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("thành viên"),
        "{problem}"
    );

    // Bad dates name the field.
    for path in [
        "/api/v1/me/visits?date=2026-13-45".to_owned(),
        "/api/v1/me/visits?date=h%C3%B4m-nay".to_owned(),
        format!("/api/v1/members/{member}/visits?date=01/12/2026"),
        format!("/api/v1/members/{member}/visits?date=1700-01-01"),
    ] {
        let (status, problem) = get(&app, &path, &volunteer).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {problem}"
        );
        assert_eq!(fields(&problem), ["date"], "{path}");
    }
    let (status, _) = app.call(Method::GET, "/api/v1/me/visits", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// One component of an iCalendar text.
#[derive(Debug, Default)]
struct Component {
    name: String,
    /// (name, parameters, value) in order.
    properties: Vec<(String, String, String)>,
    children: Vec<Component>,
}

impl Component {
    fn all(&self, name: &str) -> Vec<&str> {
        self.properties
            .iter()
            .filter(|(n, _, _)| n == name)
            .map(|(_, _, v)| v.as_str())
            .collect()
    }

    fn one(&self, name: &str) -> &str {
        let all = self.all(name);
        assert_eq!(all.len(), 1, "{} has one {name}: {self:?}", self.name);
        all[0]
    }

    fn params(&self, name: &str) -> &str {
        self.properties
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, p, _)| p.as_str())
            .unwrap_or_else(|| panic!("{} has {name}", self.name))
    }

    fn children(&self, name: &str) -> Vec<&Component> {
        self.children.iter().filter(|c| c.name == name).collect()
    }
}

/// Reads an iCalendar text: CRLF lines of at most 75 octets, unfolded,
/// BEGIN/END balanced. Panics on anything malformed.
fn parse_ics(text: &str) -> Component {
    assert!(text.ends_with("\r\n"), "lines end with CRLF");
    let mut lines: Vec<String> = Vec::new();
    for raw in text.trim_end_matches("\r\n").split("\r\n") {
        assert!(raw.len() <= 75, "a line longer than 75 octets: {raw:?}");
        assert!(
            !raw.contains('\n') && !raw.contains('\r'),
            "a bare line break: {raw:?}"
        );
        match raw.strip_prefix(' ').or_else(|| raw.strip_prefix('\t')) {
            Some(rest) => lines
                .last_mut()
                .expect("a folded line follows a line")
                .push_str(rest),
            None => lines.push(raw.to_owned()),
        }
    }
    let mut stack = vec![Component::default()];
    for line in lines {
        let (head, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("no colon: {line:?}"));
        let (name, params) = head.split_once(';').unwrap_or((head, ""));
        match name {
            "BEGIN" => stack.push(Component {
                name: value.to_owned(),
                ..Component::default()
            }),
            "END" => {
                let done = stack.pop().expect("END matches a BEGIN");
                assert_eq!(done.name, value, "END:{value} closes BEGIN:{}", done.name);
                stack.last_mut().expect("a parent").children.push(done);
            }
            _ => stack.last_mut().unwrap().properties.push((
                name.to_owned(),
                params.to_owned(),
                value.to_owned(),
            )),
        }
    }
    let mut root = stack.pop().unwrap();
    assert!(stack.is_empty(), "every BEGIN has its END");
    assert_eq!(root.children.len(), 1, "one VCALENDAR");
    let calendar = root.children.remove(0);
    assert_eq!(calendar.name, "VCALENDAR");
    calendar
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Fetches a feed without signing in: status, content type and text.
async fn fetch(app: &TestApp, url: &str) -> (StatusCode, String, String) {
    let (status, headers, body) = app.raw(Method::GET, url, None, None, &[]).await;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        content_type,
        String::from_utf8(body).expect("UTF-8"),
    )
}

fn uids(calendar: &Component) -> BTreeSet<String> {
    calendar
        .children("VEVENT")
        .iter()
        .map(|e| e.one("UID").to_owned())
        .collect()
}

/// The longest run of digits in a text.
fn longest_digit_run(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_members_feed_holds_their_published_visits_and_nothing_private() {
    let app = TestApp::demo_with_calendars().await;
    let volunteer = app.login(VOLUNTEER).await;
    let (member, _) = me(&app, &volunteer).await;
    let address = format!("/api/v1/members/{member}/calendar");

    // Made on first request, the same afterwards, and the leader gets it too.
    let (status, feed) = get(&app, &address, &volunteer).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    let url = feed["url"].as_str().unwrap().to_owned();
    let secret = url
        .strip_prefix("/ics/")
        .and_then(|s| s.strip_suffix(".ics"))
        .expect("/ics/SECRET.ics");
    assert!(
        secret.len() >= 32,
        "at least 128 random bits in hex: {secret}"
    );
    assert_eq!(get(&app, &address, &volunteer).await.1["url"], url);
    let leader = app.login(LEADER).await;
    assert_eq!(get(&app, &address, &leader).await.1["url"], url);

    // An official and a teammate see the team but may not get the address;
    // a volunteer of another team does not find the member.
    let official = app.login(OFFICIAL).await;
    assert_eq!(
        get(&app, &address, &official).await.0,
        StatusCode::FORBIDDEN
    );
    let teammate = teammate_of(&app, member).await;
    app.add_user(
        "tinhnguyen.cungto",
        "volunteer",
        Some(1),
        None,
        Some(teammate),
    )
    .await;
    let token = app.login("tinhnguyen.cungto").await;
    assert_eq!(get(&app, &address, &token).await.0, StatusCode::FORBIDDEN);
    let (team2, others) = other_team(&app).await;
    app.add_user(
        "tinhnguyen.khac",
        "volunteer",
        Some(team2),
        None,
        Some(others[1]),
    )
    .await;
    let token = app.login("tinhnguyen.khac").await;
    assert_eq!(get(&app, &address, &token).await.0, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::POST,
            &format!("{address}/rotate"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The feed, without signing in.
    let (status, content_type, text) = fetch(&app, &url).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(content_type, "text/calendar; charset=utf-8");
    let calendar = parse_ics(&text);
    assert_eq!(calendar.one("VERSION"), "2.0");
    let zones = calendar.children("VTIMEZONE");
    assert_eq!(zones.len(), 1, "one VTIMEZONE");
    assert_eq!(zones[0].one("TZID"), "Asia/Ho_Chi_Minh");
    let standard = zones[0].children("STANDARD");
    assert_eq!(standard.len(), 1);
    assert_eq!(standard[0].one("TZOFFSETTO"), "+0700");

    // Exactly the member's published visits, as the daily lists show them.
    let days = horizon(&app, &volunteer, member).await;
    let listed: Vec<(&Value, &str)> = days
        .iter()
        .flat_map(|d| {
            visits(d)
                .iter()
                .map(move |v| (v, d["date"].as_str().unwrap()))
        })
        .collect();
    assert!(!listed.is_empty());
    let expected: BTreeSet<String> = listed
        .iter()
        .map(|(v, _)| format!("visit-{}@doorstep", v["id"]))
        .collect();
    assert_eq!(uids(&calendar), expected);

    let events = calendar.children("VEVENT");
    for (v, date) in &listed {
        let uid = format!("visit-{}@doorstep", v["id"]);
        let event = events.iter().find(|e| e.one("UID") == uid).unwrap();
        assert_eq!(event.params("DTSTART"), "TZID=Asia/Ho_Chi_Minh");
        let start = v["start"].as_str().unwrap();
        let local = start[..19].replace(['-', ':'], "");
        assert_eq!(event.one("DTSTART"), local, "{v}");
        let verb = if v["mode"] == "remote" {
            "Gọi video"
        } else {
            "Thăm hộ"
        };
        let lunar = doorstep_service::daylist::lunar_short(date.parse().unwrap());
        assert_eq!(
            unescape(event.one("SUMMARY")),
            format!(
                "{verb} {} · {lunar} âm",
                v["household"]["external_id"].as_str().unwrap()
            ),
        );
        assert_eq!(
            unescape(event.one("LOCATION")),
            v["household"]["address"].as_str().unwrap()
        );
        assert_eq!(
            event.all("GEO").len(),
            usize::from(v["mode"] == "in_person"),
            "{v}"
        );
        let description = unescape(event.one("DESCRIPTION"));
        for p in v["purposes"].as_array().unwrap() {
            assert!(
                description.contains(p["vi"].as_str().unwrap()),
                "{description}"
            );
            assert!(
                description.contains(p["en"].as_str().unwrap()),
                "{description}"
            );
        }
        for r in v["residents"].as_array().unwrap() {
            assert!(
                description.contains(r["name"].as_str().unwrap()),
                "{description}"
            );
        }
        let alarms = event.children("VALARM");
        assert_eq!(alarms.len(), 1, "{uid}");
        assert_eq!(alarms[0].one("ACTION"), "DISPLAY");
        assert_eq!(alarms[0].one("TRIGGER"), "-PT30M");
    }

    // No resident's phone number, nor anything shaped like one.
    for (v, _) in &listed {
        for r in v["residents"].as_array().unwrap() {
            if let Some(phone) = r["phone"].as_str() {
                assert!(!text.contains(phone), "the feed holds {phone}");
                assert!(!text.contains(&phone[1..]), "the feed holds {phone}");
            }
        }
    }
    assert!(
        longest_digit_run(&text) < 9,
        "no phone-like number in the feed"
    );

    // Rotating stops the old address; revoking stops the new one.
    let (status, rotated) = app
        .call(
            Method::POST,
            &format!("{address}/rotate"),
            Some(&volunteer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_url = rotated["url"].as_str().unwrap().to_owned();
    assert_ne!(new_url, url);
    assert_eq!(fetch(&app, &url).await.0, StatusCode::NOT_FOUND);
    let (status, _, again) = fetch(&app, &new_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(uids(&parse_ics(&again)), expected);
    assert_eq!(get(&app, &address, &volunteer).await.1["url"], new_url);
    let (status, _) = app
        .call(Method::DELETE, &address, Some(&leader), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(fetch(&app, &new_url).await.0, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(Method::DELETE, &address, Some(&volunteer), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "revoking twice is harmless");
    let fresh = get(&app, &address, &volunteer).await.1["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(fresh != url && fresh != new_url);
    assert_eq!(fetch(&app, &fresh).await.0, StatusCode::OK);

    // Unknown addresses.
    for bad in [
        format!("/ics/{}.ics", "0".repeat(64)),
        "/ics/abc.ics".to_owned(),
        format!("/ics/{secret}"),
        format!("/ics/{secret}.ics.txt"),
    ] {
        assert_eq!(fetch(&app, &bad).await.0, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn a_teams_feed_is_its_leaders_and_names_no_resident() {
    let app = TestApp::demo_with_calendars().await;
    let leader = app.login(LEADER).await;
    let (status, feed) = get(&app, "/api/v1/teams/1/calendar", &leader).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    let url = feed["url"].as_str().unwrap().to_owned();
    let (status, content_type, text) = fetch(&app, &url).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(content_type, "text/calendar; charset=utf-8");
    let calendar = parse_ics(&text);
    assert_eq!(calendar.children("VTIMEZONE").len(), 1);

    // Every published visit of the team, each naming its member.
    let now = super::now();
    let published = doorstep_store::repo::plans::published_visits(
        app.store.connection(),
        1,
        None,
        now - chrono::Duration::days(15),
        now + chrono::Duration::days(60),
    )
    .await
    .unwrap();
    assert!(!published.is_empty());
    let expected: BTreeSet<String> = published
        .iter()
        .map(|v| format!("visit-{}@doorstep", v.id))
        .collect();
    assert_eq!(uids(&calendar), expected);
    let members = doorstep_store::team_members(app.store.connection(), 1)
        .await
        .unwrap();
    for event in calendar.children("VEVENT") {
        let id: i32 = event
            .one("UID")
            .trim_start_matches("visit-")
            .trim_end_matches("@doorstep")
            .parse()
            .unwrap();
        let visit = published.iter().find(|v| v.id == id).unwrap();
        let name = &members
            .iter()
            .find(|m| m.id == visit.member_id)
            .unwrap()
            .full_name;
        let summary = unescape(event.one("SUMMARY"));
        assert!(summary.ends_with(&format!(" âm · {name}")), "{summary}");
        assert_eq!(event.children("VALARM").len(), 1);
        // Where by the village only: no coordinates (nor address, below).
        assert!(event.all("GEO").is_empty(), "{summary}");
    }
    assert!(
        longest_digit_run(&text) < 9,
        "no phone-like number in the feed"
    );
    // No resident of the team is named, nor any address of the register.
    let residents = super::rows(
        &app,
        "SELECT r.full_name, h.address FROM residents r \
         JOIN households h ON h.id = r.household_id WHERE h.team_id = 1",
    )
    .await;
    assert!(!residents.is_empty());
    let unfolded = unescape(&text.replace("\r\n ", ""));
    // A member may share a resident's name; members are named on purpose.
    let residents = residents
        .iter()
        .filter(|row| !members.iter().any(|m| m.full_name == row[0]));
    for row in residents {
        assert!(
            !unfolded.contains(&row[0]),
            "the team's feed names {}",
            row[0]
        );
        assert!(
            !unfolded.contains(&row[1]),
            "the team's feed holds {}",
            row[1]
        );
    }

    // Only the leader (or an administrator): others in scope are forbidden,
    // a leader of another team does not find it.
    for user in [VOLUNTEER, OFFICIAL] {
        let token = app.login(user).await;
        let (status, problem) = get(&app, "/api/v1/teams/1/calendar", &token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}: {problem}");
        let (status, _) = app
            .call(
                Method::POST,
                "/api/v1/teams/1/calendar/rotate",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
    let (team2, others) = other_team(&app).await;
    app.add_user(
        "totruong.khac",
        "leader",
        Some(team2),
        None,
        Some(others[0]),
    )
    .await;
    let other = app.login("totruong.khac").await;
    let (status, _) = get(&app, "/api/v1/teams/1/calendar", &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/teams/1/calendar",
            Some(&other),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, own) = get(&app, &format!("/api/v1/teams/{team2}/calendar"), &other).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_ne!(own["url"], url);
    // The other leader gets a member's address of their own team only.
    let (status, _) = get(
        &app,
        &format!("/api/v1/members/{}/calendar", others[1]),
        &other,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Rotate, then revoke.
    let (status, rotated) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/calendar/rotate",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_url = rotated["url"].as_str().unwrap();
    assert_eq!(fetch(&app, &url).await.0, StatusCode::NOT_FOUND);
    assert_eq!(fetch(&app, new_url).await.0, StatusCode::OK);
    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/teams/1/calendar",
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(fetch(&app, new_url).await.0, StatusCode::NOT_FOUND);
}

#[test]
fn the_openapi_document_lists_the_lists_and_feeds() {
    let doc = serde_json::to_value(doorstep_api::openapi()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/members/{member_id}/visits", &["get"][..]),
        ("/api/v1/me/visits", &["get"]),
        ("/api/v1/members/{member_id}/calendar", &["get", "delete"]),
        ("/api/v1/members/{member_id}/calendar/rotate", &["post"]),
        ("/api/v1/teams/{team_id}/calendar", &["get", "delete"]),
        ("/api/v1/teams/{team_id}/calendar/rotate", &["post"]),
        ("/ics/{secret}.ics", &["get"]),
    ] {
        for method in methods {
            assert!(
                paths[path][method].is_object(),
                "{method} {path} is documented"
            );
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in ["DayListView", "DayVisitView", "FeedView"] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
}
