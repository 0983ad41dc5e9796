//! Calendar feeds: a member's published visits (or a whole team's, for its
//! leader) as an RFC 5545 calendar at a secret address, so that a phone's
//! calendar shows them and reminds the volunteer before each visit.
//!
//! The address (`/ics/SECRET.ics`, 256 random bits) is the only credential:
//! whoever has it reads the feed without signing in. Its owner gets it again
//! whenever they ask, can rotate it (the old address stops at once) or
//! revoke it. The member, their team's leader and an administrator may get a
//! member's address; the team's leader and an administrator the team's.
//!
//! A feed holds the visits of published plans that are not cancelled, from
//! 14 days ago to the end of the team's published horizon. Each event has a
//! stable UID (`visit-{id}@doorstep`), local times with the team's zone
//! (`DTSTART;TZID=Asia/Ho_Chi_Minh:…`), a title with the lunar date ("Thăm
//! hộ HT-0012 · 15/10 âm"), the purposes and a reminder 30 minutes before.
//! A member's own feed adds what the visitor needs at the door: the
//! address, the coordinates of an in-person visit and the residents' names.
//! A team's feed, which nobody carries to the door and whose address may
//! travel further, says only where by the village and who visits by the
//! member's name: no resident's name, no address, no coordinates. No feed
//! holds phone numbers or identity data: a calendar is copied to phones and
//! cloud services beyond the team's control.
//!
//! The `icalendar` crate writes the events; it does not write time zones,
//! so [`vtimezone`] writes the `VTIMEZONE` from chrono-tz for the span the
//! feed covers: one observance for the offset in force at its start, and one
//! per change of offset within it (none for Asia/Ho_Chi_Minh, which has kept
//! +07:00 since 1975).

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use doorstep_core::{VisitMode, VisitStatus};
use doorstep_store::Store;
use doorstep_store::repo::feeds::{self, FeedOwner, FeedRecord, member_team};
use doorstep_store::repo::plans::{VisitRecord, calendar_end, published_visits};
use doorstep_store::repo::snapshot::{TeamSnapshot, team_snapshot};
use icalendar::{
    Alarm, Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property, Trigger,
};

use crate::access::Actor;
use crate::auth::new_secret;
use crate::daylist::{Standing, day_household, lunar_short, standing};
use crate::error::ServiceError;
use crate::planning::{local_midnight, team_zone};

/// Days of past visits a feed keeps.
pub const PAST_DAYS: u64 = 14;
/// Minutes before a visit its reminder goes off.
pub const REMINDER_MINUTES: i64 = 30;
/// The media type of a feed.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// Whose calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedOf {
    /// One member's visits.
    Member(i32),
    /// A whole team's visits, for its leader.
    Team(i32),
}

/// A feed's secret address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedAddress {
    /// The path, relative to the service's origin: `/ics/SECRET.ics`.
    pub url: String,
    /// When the address was made.
    pub created_at: DateTime<Utc>,
}

impl From<FeedRecord> for FeedAddress {
    fn from(f: FeedRecord) -> Self {
        FeedAddress {
            url: format!("/ics/{}.ics", f.secret),
            created_at: f.created_at,
        }
    }
}

/// The stored owner of `of`, when the actor may handle its address.
async fn owner(store: &Store, actor: &Actor, of: FeedOf) -> Result<FeedOwner, ServiceError> {
    match of {
        FeedOf::Member(member_id) => {
            let (team_id, standing) = standing(store, actor, member_id).await?;
            match standing {
                Standing::Themselves | Standing::Leads => Ok(FeedOwner::Member {
                    team_id,
                    member_id,
                }),
                Standing::SeesTeam => Err(ServiceError::Forbidden(
                    "chỉ chính thành viên, tổ trưởng của tổ hoặc quản trị viên mới lấy được địa chỉ lịch này".into(),
                    "only the member, their team's leader or an administrator may get this calendar address".into(),
                )),
            }
        }
        FeedOf::Team(team_id) => {
            actor.require_lead(store, team_id).await?;
            Ok(FeedOwner::Team(team_id))
        }
    }
}

/// The live address of the calendar, made on the first call.
///
/// # Errors
/// The member or team is out of the actor's reach (not found), the actor
/// may see it but not get its address (forbidden), or the store fails.
pub async fn feed_address(
    store: &Store,
    actor: &Actor,
    of: FeedOf,
    now: DateTime<Utc>,
) -> Result<FeedAddress, ServiceError> {
    let owner = owner(store, actor, of).await?;
    let feed = feeds::live_or_new_feed(
        store.connection(),
        owner,
        &new_secret(),
        &actor.label(),
        now,
    )
    .await?;
    Ok(feed.into())
}

/// A new address for the calendar; the old one stops working.
///
/// # Errors
/// As [`feed_address`].
pub async fn rotate_feed(
    store: &Store,
    actor: &Actor,
    of: FeedOf,
    now: DateTime<Utc>,
) -> Result<FeedAddress, ServiceError> {
    let owner = owner(store, actor, of).await?;
    let feed = feeds::rotate_feed(
        store.connection(),
        owner,
        &new_secret(),
        &actor.label(),
        now,
    )
    .await?;
    Ok(feed.into())
}

/// Revokes the calendar's address (nothing to do when there is none).
///
/// # Errors
/// As [`feed_address`].
pub async fn revoke_feed(
    store: &Store,
    actor: &Actor,
    of: FeedOf,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let owner = owner(store, actor, of).await?;
    feeds::revoke_feed(store.connection(), owner, &actor.label(), now).await?;
    Ok(())
}

fn no_feed() -> ServiceError {
    ServiceError::NotFound {
        vi: "không có lịch nào ở địa chỉ này: địa chỉ sai hoặc đã bị thu hồi".into(),
        en: "no calendar at this address: it is wrong or was revoked".into(),
    }
}

/// The calendar at a secret address, as RFC 5545 text.
///
/// # Errors
/// No live address has this secret (not found), or the store fails.
pub async fn feed_calendar(
    store: &Store,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    if !(32..=128).contains(&secret.len()) || !secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(no_feed());
    }
    let db = store.connection();
    let feed = feeds::feed_by_secret(db, secret)
        .await?
        .ok_or_else(no_feed)?;
    let team_id = match feed.member_id {
        // A member's feed follows the member to their current team.
        Some(member_id) => member_team(db, member_id).await?.ok_or_else(no_feed)?,
        None => feed.team_id,
    };
    let snapshot = team_snapshot(db, team_id).await?.ok_or_else(no_feed)?;
    let zone = team_zone(&snapshot)?;
    let today = now.with_timezone(&zone).date_naive();
    let from = local_midnight(zone, today - chrono::Days::new(PAST_DAYS));
    let to = calendar_end(db, team_id)
        .await?
        .filter(|end| *end > from)
        .unwrap_or(from);
    let visits = if to > from {
        published_visits(db, team_id, feed.member_id, from, to).await?
    } else {
        Vec::new()
    };
    let name = match feed
        .member_id
        .and_then(|id| snapshot.members.iter().find(|m| m.id == id))
    {
        Some(member) => format!(
            "Lịch thăm hộ · {} · {}",
            member.full_name, snapshot.team.name
        ),
        None => format!("Lịch thăm hộ · {}", snapshot.team.name),
    };
    Ok(render(&FeedContent {
        name: &name,
        snapshot: &snapshot,
        zone,
        visits: &visits,
        team_feed: feed.member_id.is_none(),
        span: (from, to.max(from + Duration::days(1))),
    }))
}

/// What a feed shows.
pub struct FeedContent<'a> {
    /// The calendar's name.
    pub name: &'a str,
    /// The team: households, residents, members.
    pub snapshot: &'a TeamSnapshot,
    /// The team's zone.
    pub zone: Tz,
    /// The visits, by start.
    pub visits: &'a [VisitRecord],
    /// A whole team's feed: each event names its member and its village,
    /// and no resident, address or coordinates.
    pub team_feed: bool,
    /// The instants the feed covers, for the time zone's definition.
    pub span: (DateTime<Utc>, DateTime<Utc>),
}

/// The feed as RFC 5545 text (CRLF lines folded at 75 octets). Pure: the
/// same content gives the same bytes.
pub fn render(content: &FeedContent<'_>) -> String {
    let zone = content.zone;
    let mut calendar = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0".to_owned()),
        ("PRODID", "-//doorstep//Lịch thăm hộ//VI".to_owned()),
        ("CALSCALE", "GREGORIAN".to_owned()),
        ("METHOD", "PUBLISH".to_owned()),
        ("X-WR-CALNAME", escape_text(&text(content.name))),
        ("X-WR-TIMEZONE", zone.name().to_owned()),
        ("REFRESH-INTERVAL;VALUE=DURATION", "PT1H".to_owned()),
        ("X-PUBLISHED-TTL", "PT1H".to_owned()),
    ] {
        calendar.append_property(match key.split_once(';') {
            Some((key, param)) => {
                let (name, val) = param.split_once('=').unwrap_or((param, ""));
                Property::new(key, value).add_parameter(name, val).done()
            }
            None => Property::new(key, value),
        });
    }
    for visit in content.visits {
        if let Some(event) = event(content, visit) {
            calendar.push(event);
        }
    }
    let mut out = calendar.to_string();
    let at = out
        .find("\r\nBEGIN:")
        .or_else(|| out.find("\r\nEND:VCALENDAR"))
        .map_or(out.len(), |i| i + 2);
    out.insert_str(at, &vtimezone(zone, content.span.0, content.span.1));
    refold(&out)
}

/// Folds content lines at 75 octets on character boundaries (RFC 5545
/// §3.1): the crate's own folding lets the last piece of a long line reach
/// 76. Text values hold no raw line breaks (see [`text`]), so every CRLF
/// followed by a space is a fold.
fn refold(folded: &str) -> String {
    let unfolded = folded.replace("\r\n ", "");
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 32);
    for line in unfolded.split_terminator("\r\n") {
        let (mut rest, mut limit) = (line, 75);
        while rest.len() > limit {
            let mut cut = limit;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(&rest[..cut]);
            out.push_str("\r\n ");
            rest = &rest[cut..];
            limit = 74;
        }
        out.push_str(rest);
        out.push_str("\r\n");
    }
    out
}

/// A value for a TEXT property: line breaks as `\n` only (the crate escapes
/// those), no other control characters.
fn text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

fn local(at: DateTime<Utc>, zone: Tz) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: at.with_timezone(&zone).naive_local(),
        tzid: zone.name().to_owned(),
    }
}

fn event(content: &FeedContent<'_>, v: &VisitRecord) -> Option<Event> {
    let snapshot = content.snapshot;
    let zone = content.zone;
    let h = snapshot
        .households
        .iter()
        .find(|h| h.id == v.household_id)?;
    let place = day_household(snapshot, h);
    let member = snapshot.members.iter().find(|m| m.id == v.member_id);
    let lunar = lunar_short(v.start.with_timezone(&zone).date_naive());
    let mut summary = match v.mode {
        VisitMode::InPerson => format!("Thăm hộ {}", h.external_id),
        VisitMode::Remote => format!("Gọi video {}", h.external_id),
    };
    if !lunar.is_empty() {
        summary.push_str(&format!(" · {lunar} âm"));
    }
    if content.team_feed
        && let Some(member) = member
    {
        summary.push_str(&format!(" · {}", member.full_name));
    }

    let names: Vec<&str> = v
        .residents
        .iter()
        .filter_map(|id| h.residents.iter().find(|r| r.id == *id))
        .map(|r| r.full_name.as_str())
        .collect();
    let list = |label: fn(&doorstep_core::NeedStep) -> &'static str| {
        v.purposes.iter().map(label).collect::<Vec<_>>().join(", ")
    };
    let mut description = vec![
        format!("Mục đích: {}", list(|s| s.label_vi())),
        format!("Purposes: {}", list(|s| s.label_en())),
    ];
    if !names.is_empty() && !content.team_feed {
        description.push(format!("Người dân / Residents: {}", names.join(", ")));
    }
    if content.team_feed
        && let Some(member) = member
    {
        description.push(format!("Thành viên / Member: {}", member.full_name));
    }
    match v.mode {
        VisitMode::Remote => description.push(
            "Số điện thoại xem trong danh sách trong ngày / the phone number is in the day's list"
                .to_owned(),
        ),
        VisitMode::InPerson if place.approximate && !content.team_feed => description.push(
            "Vị trí gần đúng: trung tâm thôn / approximate location: the village's centre"
                .to_owned(),
        ),
        VisitMode::InPerson => {}
    }

    let location = if content.team_feed {
        h.village.clone().unwrap_or_default()
    } else {
        place.address.clone()
    };
    let mut event = Event::new();
    event
        .uid(&format!("visit-{}@doorstep", v.id))
        .timestamp(v.updated_at)
        .last_modified(v.updated_at)
        .starts(local(v.start, zone))
        .ends(local(v.end, zone))
        .summary(&text(&summary))
        .description(&text(&description.join("\n")))
        .location(&text(&location))
        .status(match v.status {
            VisitStatus::Proposed => EventStatus::Tentative,
            VisitStatus::Cancelled => EventStatus::Cancelled,
            VisitStatus::Confirmed | VisitStatus::Done | VisitStatus::Missed => {
                EventStatus::Confirmed
            }
        });
    if v.mode == VisitMode::InPerson
        && !content.team_feed
        && let Some(at) = place.location
    {
        event.add_property("GEO", format!("{:.6};{:.6}", at.lat, at.lon));
    }
    // Without a UID and DTSTAMP of its own the crate writes random ones and
    // the clock's time, and every fetch of the feed would differ.
    let alarm = Alarm::display(
        &text(&summary),
        Trigger::before_start(Duration::minutes(REMINDER_MINUTES)),
    )
    .add_property("TRIGGER", format!("-PT{REMINDER_MINUTES}M"))
    .add_property("UID", format!("visit-{}-reminder@doorstep", v.id))
    .timestamp(v.updated_at)
    .done();
    event.alarm(alarm);
    Some(event.done())
}

/// Escapes a TEXT value the crate writes as it is (`X-` properties).
fn escape_text(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
        .replace('\n', "\\n")
}

/// `+0700`, `-0330`, `+064640` (seconds only when there are some).
fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// The `VTIMEZONE` of `zone` for the instants `[from, to]`, CRLF lines: an
/// observance for the offset in force at `from` and one for each change of
/// offset until `to`, found in chrono-tz's data by a daily scan and a search
/// to the second.
pub fn vtimezone(zone: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let offset_at = |t: DateTime<Utc>| zone.offset_from_utc_datetime(&t.naive_utc());
    let seconds = |o: &<Tz as TimeZone>::Offset| o.fix().local_minus_utc();
    let mut out = format!(
        "BEGIN:VTIMEZONE\r\nTZID:{}\r\nX-LIC-LOCATION:{}\r\n",
        zone.name(),
        zone.name()
    );
    let observance =
        |out: &mut String, onset: NaiveDateTime, before: i32, after: &<Tz as TimeZone>::Offset| {
            let kind = if after.dst_offset().is_zero() {
                "STANDARD"
            } else {
                "DAYLIGHT"
            };
            out.push_str(&format!(
                "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
                onset.format("%Y%m%dT%H%M%S"),
                offset_text(before),
                offset_text(seconds(after)),
            ));
            // tzdb names zones without letters by their offset ("+07"), which
            // chrono-tz gives as no abbreviation.
            let name = after.abbreviation().map_or_else(
                || {
                    let text = offset_text(seconds(after));
                    text.strip_suffix("00")
                        .filter(|_| text.len() == 5)
                        .unwrap_or(&text)
                        .to_owned()
                },
                str::to_owned,
            );
            out.push_str(&format!("TZNAME:{name}\r\nEND:{kind}\r\n"));
        };
    let mut current = offset_at(from);
    let start = from.with_timezone(&zone).naive_local();
    observance(&mut out, start, seconds(&current), &current);
    let mut t = from;
    while t < to {
        let next = (t + Duration::days(1)).min(to);
        if seconds(&offset_at(next)) == seconds(&current) {
            t = next;
            continue;
        }
        // The offset changes in (t, next]: find the first second of the new one.
        let (mut lo, mut hi) = (t, next);
        while hi - lo > Duration::seconds(1) {
            let mid = lo + (hi - lo) / 2;
            if seconds(&offset_at(mid)) == seconds(&current) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let after = offset_at(hi);
        let before = seconds(&current);
        // The onset is written in the local time in force before the change.
        let onset = hi.naive_utc() + Duration::seconds(i64::from(before));
        observance(&mut out, onset, before, &after);
        current = after;
        t = hi;
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn zones_without_changes_have_one_standard_observance() {
        let text = vtimezone(
            chrono_tz::Asia::Ho_Chi_Minh,
            utc("2026-11-16T17:00:00Z"),
            utc("2027-01-11T17:00:00Z"),
        );
        assert_eq!(
            text,
            "BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh\r\nX-LIC-LOCATION:Asia/Ho_Chi_Minh\r\n\
             BEGIN:STANDARD\r\nDTSTART:20261117T000000\r\nTZOFFSETFROM:+0700\r\n\
             TZOFFSETTO:+0700\r\nTZNAME:+07\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        );
    }

    #[test]
    fn changes_of_offset_are_observances_at_their_local_onset() {
        let text = vtimezone(
            chrono_tz::Europe::Berlin,
            utc("2026-03-01T00:00:00Z"),
            utc("2026-11-30T00:00:00Z"),
        );
        let expected = [
            "BEGIN:STANDARD\r\nDTSTART:20260301T010000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD",
            // 2026-03-29 01:00 UTC = 02:00 CET → 03:00 CEST.
            "BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT",
            // 2026-10-25 01:00 UTC = 03:00 CEST → 02:00 CET.
            "BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD",
        ];
        for part in expected {
            assert!(text.contains(part), "{part}\nin\n{text}");
        }
        assert_eq!(text.matches("BEGIN:").count(), 4, "{text}");
    }

    fn snapshot() -> TeamSnapshot {
        use doorstep_core::{MemberRole, NeedStep, Presence};
        use doorstep_store::repo::snapshot::{
            HouseholdRecord, LatLon, MemberRecord, ResidentRecord, TeamRecord,
        };
        let resident = |id: i32, name: &str| ResidentRecord {
            id,
            external_id: id.to_string(),
            full_name: name.into(),
            phone: Some(format!("09123456{id:02}")),
            presence: Presence::Home,
            country: None,
            timezone: None,
            availability: None,
            consent: true,
            open_needs: vec![NeedStep::VneidInstall],
            held_needs: Vec::new(),
            attempts: 0,
        };
        TeamSnapshot {
            team: TeamRecord {
                id: 1,
                name: "Tổ CNSCĐ phường Hải Thanh".into(),
                area_id: 1,
                timezone: "Asia/Ho_Chi_Minh".into(),
                tide_station: None,
                centre: Some(LatLon {
                    lat: 19.5,
                    lon: 105.8,
                }),
            },
            members: vec![MemberRecord {
                id: 7,
                full_name: "Lê Thị Hoa".into(),
                role: MemberRole::Volunteer,
                skills: vec![],
                daily_visit_cap: 8,
                remote_capable: true,
                home: None,
                availability: None,
                active: true,
                email: None,
                phone: Some("0987654321".into()),
                language: doorstep_core::Language::Vi,
            }],
            households: vec![HouseholdRecord {
                id: 3,
                external_id: "HT-0012".into(),
                address: "Số 5, ngõ 2; thôn Trung Sơn, phường Hải Thanh, tỉnh Thanh Hóa".into(),
                village_id: Some(2),
                village: Some("Thôn Trung Sơn".into()),
                location: None,
                village_centre: Some(LatLon {
                    lat: 19.412_345_678_9,
                    lon: 105.812_345_678_9,
                }),
                priority: None,
                service_minutes: None,
                residents: vec![resident(11, "Nguyễn Văn An"), resident(12, "Trần Thị Bình")],
            }],
            blackouts: vec![],
            villages: std::collections::BTreeMap::new(),
        }
    }

    fn visit(id: i32, mode: VisitMode, start: &str) -> VisitRecord {
        VisitRecord {
            id,
            plan_id: 1,
            household_id: 3,
            member_id: 7,
            start: utc(start),
            end: utc(start) + Duration::minutes(35),
            mode,
            purposes: vec![doorstep_core::NeedStep::VneidInstall],
            residents: vec![11, 12],
            status: VisitStatus::Proposed,
            pinned: false,
            job: "h3".into(),
            updated_at: utc("2026-11-20T03:00:00Z"),
            on_calendar: true,
            replaced_by: None,
        }
    }

    #[test]
    fn feeds_hold_local_times_lunar_titles_and_reminders_and_names_only_in_a_members_own() {
        let snapshot = snapshot();
        let visits = [
            visit(41, VisitMode::InPerson, "2026-11-28T01:30:00Z"),
            visit(42, VisitMode::Remote, "2026-11-28T13:00:00Z"),
        ];
        let content = FeedContent {
            name: "Lịch thăm hộ · Lê Thị Hoa",
            snapshot: &snapshot,
            zone: chrono_tz::Asia::Ho_Chi_Minh,
            visits: &visits,
            team_feed: true,
            span: (utc("2026-11-13T17:00:00Z"), utc("2026-12-25T17:00:00Z")),
        };
        let text = render(&content);
        assert_eq!(
            text,
            render(&content),
            "the same content gives the same bytes"
        );
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.ends_with("END:VCALENDAR\r\n"), "{text}");
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "a line longer than 75 octets: {line:?}");
        }
        let unfolded = text.replace("\r\n ", "");
        let vtimezone = unfolded.find("BEGIN:VTIMEZONE").unwrap();
        assert!(vtimezone < unfolded.find("BEGIN:VEVENT").unwrap());
        for line in [
            "UID:visit-41@doorstep",
            "DTSTART;TZID=Asia/Ho_Chi_Minh:20261128T083000",
            "DTEND;TZID=Asia/Ho_Chi_Minh:20261128T090500",
            "SUMMARY:Thăm hộ HT-0012 · 20/10 âm · Lê Thị Hoa",
            "SUMMARY:Gọi video HT-0012 · 20/10 âm · Lê Thị Hoa",
            "LOCATION:Thôn Trung Sơn",
            "TRIGGER:-PT30M",
            "X-WR-CALNAME:Lịch thăm hộ · Lê Thị Hoa",
        ] {
            assert!(
                unfolded.contains(&format!("\r\n{line}\r\n")),
                "{line}\nin\n{unfolded}"
            );
        }
        assert_eq!(unfolded.matches("BEGIN:VALARM").count(), 2);
        // A team's feed: the village, no resident, address or coordinates.
        for held in [
            "Nguyễn Văn An",
            "Trần Thị Bình",
            "Số 5",
            "GEO:",
            "Vị trí gần đúng",
        ] {
            assert!(!unfolded.contains(held), "a team's feed holds {held}");
        }
        assert!(!unfolded.contains("0912345"), "no resident's phone");
        assert!(!unfolded.contains("0987654321"), "no member's phone");

        // A member's own feed: what the visitor needs at the door.
        let own = render(&FeedContent {
            team_feed: false,
            ..content
        })
        .replace("\r\n ", "");
        for line in [
            "SUMMARY:Thăm hộ HT-0012 · 20/10 âm",
            "LOCATION:Số 5\\, ngõ 2\\; thôn Trung Sơn\\, phường Hải Thanh\\, tỉnh Thanh Hóa",
            "GEO:19.412346;105.812346",
        ] {
            assert!(
                own.contains(&format!("\r\n{line}\r\n")),
                "{line}\nin\n{own}"
            );
        }
        assert_eq!(own.matches("GEO:").count(), 1, "remote calls have no GEO");
        assert!(own.contains("Người dân / Residents: Nguyễn Văn An\\, Trần Thị Bình"));
        assert!(own.contains("Vị trí gần đúng"));
        assert!(!own.contains("0912345"), "no resident's phone");
        assert!(!own.contains("0987654321"), "no member's phone");
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let long = format!("DESCRIPTION:{}\r\n", "Đinh Thị Hiền, ".repeat(20));
        let folded = refold(&format!("BEGIN:VEVENT\r\n{long}END:VEVENT\r\n"));
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
        }
        assert_eq!(
            folded.replace("\r\n ", ""),
            format!("BEGIN:VEVENT\r\n{long}END:VEVENT\r\n")
        );
        assert_eq!(refold(&folded), folded, "folding twice changes nothing");
        assert_eq!(text("a\r\nb\tc"), "a\nb c");
    }

    #[test]
    fn offsets_are_written_with_seconds_only_when_needed() {
        assert_eq!(offset_text(7 * 3600), "+0700");
        assert_eq!(offset_text(-(3 * 3600 + 1800)), "-0330");
        assert_eq!(offset_text(6 * 3600 + 46 * 60 + 40), "+064640");
    }
}
