//! When each team's messages go: a cron expression per kind of message, in
//! the `cron` crate's syntax (seconds first: `sec min hour day month
//! weekday [year]`), read in the team's zone unless the schedule names
//! another.
//!
//! A team that never set a schedule has the defaults: the morning's list at
//! 06:00 every day, the evening-before reminder at 19:00 (off), and the
//! leader's weekly digest on Sunday at 18:00.

use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use doorstep_core::MailKind;
use doorstep_store::Store;
use doorstep_store::repo::mail::{ScheduleRecord, save_schedule, team_schedules};

use crate::access::Actor;
use crate::error::{FieldError, ServiceError};

/// The schedules of a team that never set one: kind, expression, on.
pub const DEFAULTS: [(MailKind, &str, bool); 3] = [
    (MailKind::Daily, "0 0 6 * * *", true),
    (MailKind::Evening, "0 0 19 * * *", false),
    (MailKind::WeeklyDigest, "0 0 18 * * Sun", true),
];

/// A team's schedule of one kind, as it applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The team.
    pub team_id: i32,
    /// Which messages.
    pub kind: MailKind,
    /// The expression.
    pub cron: String,
    /// The zone it names, if any (else the team's).
    pub timezone: Option<String>,
    /// The zone it is read in.
    pub zone: Tz,
    /// Whether it fires.
    pub enabled: bool,
    /// Set by the team (else a default).
    pub stored: bool,
}

impl Schedule {
    /// The parsed expression; `None` for a stored expression that no longer
    /// parses (it then never fires).
    pub fn expression(&self) -> Option<cron::Schedule> {
        cron::Schedule::from_str(&self.cron).ok()
    }

    /// The next `n` firings after `after`, in the schedule's zone.
    pub fn next_firings(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Tz>> {
        match (self.enabled, self.expression()) {
            (true, Some(expression)) => expression
                .after(&after.with_timezone(&self.zone))
                .take(n)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The schedules that apply to a team: its own, else the defaults.
pub fn effective(team_id: i32, team_zone: Tz, stored: &[ScheduleRecord]) -> Vec<Schedule> {
    DEFAULTS
        .iter()
        .map(|&(kind, cron, enabled)| {
            match stored
                .iter()
                .find(|s| s.team_id == team_id && s.kind == kind)
            {
                Some(s) => Schedule {
                    team_id,
                    kind,
                    cron: s.cron.clone(),
                    timezone: s.timezone.clone(),
                    zone: s
                        .timezone
                        .as_deref()
                        .and_then(|z| z.parse().ok())
                        .unwrap_or(team_zone),
                    enabled: s.enabled,
                    stored: true,
                },
                None => Schedule {
                    team_id,
                    kind,
                    cron: cron.to_owned(),
                    timezone: None,
                    zone: team_zone,
                    enabled,
                    stored: false,
                },
            }
        })
        .collect()
}

/// Reads a cron expression, or says what is wrong in words.
///
/// # Errors
/// Field `cron`: the number of fields, or what the `cron` crate found.
pub fn parse_cron(text: &str) -> Result<cron::Schedule, FieldError> {
    let fields = text.split_whitespace().count();
    if !text.trim().starts_with('@') && !(6..=7).contains(&fields) {
        let t = text.trim();
        let (hint_vi, hint_en) = if fields == 5 {
            (
                format!("; thêm giây ở đầu: \"0 {t}\""),
                format!("; add the seconds first: \"0 {t}\""),
            )
        } else {
            (String::new(), String::new())
        };
        return Err(FieldError::new(
            "cron",
            format!(
                "cần 6 trường (giây phút giờ ngày tháng thứ), ví dụ \"0 0 6 * * *\" là 06:00 mỗi ngày; nhận {fields} trường{hint_vi}"
            ),
            format!(
                "expected 6 fields (second minute hour day month weekday), e.g. \"0 0 6 * * *\" for 06:00 every day; got {fields}{hint_en}"
            ),
        ));
    }
    cron::Schedule::from_str(text.trim()).map_err(|e| {
        let said = e.to_string();
        let why = said
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty() && !l.starts_with('^') && *l != text.trim())
            .unwrap_or("not a cron expression")
            .to_owned();
        FieldError::new(
            "cron",
            format!("biểu thức cron {text:?} không hợp lệ: {why}"),
            format!("the cron expression {text:?} is not valid: {why}"),
        )
    })
}

/// The problem of a schedule that would not fire within a year of `now`
/// (`0 0 6 31 2 *`, the 31st of February), if it is one.
pub fn never_fires(
    schedule: &cron::Schedule,
    text: &str,
    now: DateTime<Utc>,
) -> Option<FieldError> {
    let within = schedule
        .after(&now)
        .next()
        .is_some_and(|next| next <= now + chrono::Duration::days(366));
    (!within).then(|| {
        let text = text.trim();
        FieldError::new(
            "cron",
            format!(
                "biểu thức cron {text:?} không có lần gửi nào trong một năm tới (ví dụ ngày 31 tháng 2); hãy chọn ngày có thật, như \"0 0 6 * * *\" là 06:00 mỗi ngày"
            ),
            format!(
                "the cron expression {text:?} never fires within the next year (a 31st of February, say); choose days that exist, e.g. \"0 0 6 * * *\" for 06:00 every day"
            ),
        )
    })
}

/// Reads an IANA zone name.
///
/// # Errors
/// Field `timezone`, with an example.
pub fn parse_zone(text: &str) -> Result<Tz, FieldError> {
    text.trim().parse::<Tz>().map_err(|_| {
        FieldError::new(
            "timezone",
            format!("{text:?} không phải múi giờ IANA, ví dụ Asia/Ho_Chi_Minh hoặc Asia/Seoul"),
            format!("{text:?} is not an IANA time zone such as Asia/Ho_Chi_Minh or Asia/Seoul"),
        )
    })
}

/// The latest firing of `schedule` after `since` and at or before `now`:
/// the one to do now, if any (earlier missed ones are not repeated).
pub fn due_firing(
    schedule: &Schedule,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !schedule.enabled {
        return None;
    }
    schedule
        .expression()?
        .after(&since.with_timezone(&schedule.zone))
        .map(|at| at.with_timezone(&Utc))
        .take_while(|at| *at <= now)
        .last()
}

/// The day a firing's messages are about: the firing's own day (in the
/// schedule's zone) for the morning's list, the next day for the evening's
/// reminder, the first day of the coming week for the digest.
pub fn firing_day(kind: MailKind, fire_at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    let local = fire_at.with_timezone(&zone).date_naive();
    match kind {
        MailKind::Daily | MailKind::Update => local,
        MailKind::Evening | MailKind::WeeklyDigest => local + Days::new(1),
    }
}

/// A schedule with its next firings, for the API.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleView {
    /// The schedule.
    pub schedule: Schedule,
    /// Its next three firings, in its zone.
    pub next: Vec<DateTime<Tz>>,
}

async fn team_zone_name(store: &Store, team_id: i32) -> Result<Tz, ServiceError> {
    let team = doorstep_store::find_team(store.connection(), team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    Ok(team
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh))
}

/// A team's schedules with their next firings: for whoever sees the team.
///
/// # Errors
/// The team does not exist or is out of the actor's reach (not found), or
/// the store fails.
pub async fn team_mail_schedules(
    store: &Store,
    actor: &Actor,
    team_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<ScheduleView>, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    let zone = team_zone_name(store, team_id).await?;
    let stored = team_schedules(store.connection(), team_id).await?;
    Ok(effective(team_id, zone, &stored)
        .into_iter()
        .map(|schedule| ScheduleView {
            next: schedule.next_firings(now, 3),
            schedule,
        })
        .collect())
}

/// What a leader sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleInput {
    /// The expression.
    pub cron: String,
    /// A zone other than the team's; `None` or empty: the team's.
    pub timezone: Option<String>,
    /// Whether it fires (default: on).
    pub enabled: Option<bool>,
}

/// Sets a team's schedule of one kind: the leader's (or an administrator's).
///
/// # Errors
/// Not found when the team is out of reach; forbidden for those who may
/// read it but not lead it; invalid with every field's problem (`kind`,
/// `cron`, `timezone`); or the store fails.
pub async fn set_team_schedule(
    store: &Store,
    actor: &Actor,
    team_id: i32,
    kind: &str,
    input: &ScheduleInput,
    now: DateTime<Utc>,
) -> Result<ScheduleView, ServiceError> {
    actor.require_lead(store, team_id).await?;
    let zone = team_zone_name(store, team_id).await?;
    let mut errors = Vec::new();
    let kind = match MailKind::parse(kind) {
        Some(k) if k != MailKind::Update => Some(k),
        _ => {
            errors.push(FieldError::new(
                "kind",
                format!("{kind:?} không phải loại thư có lịch; cần daily, evening hoặc weekly_digest"),
                format!("{kind:?} is not a scheduled kind of message; expected daily, evening or weekly_digest"),
            ));
            None
        }
    };
    match parse_cron(&input.cron) {
        Ok(schedule) => errors.extend(never_fires(&schedule, &input.cron, now)),
        Err(e) => errors.push(e),
    }
    let timezone = input
        .timezone
        .as_deref()
        .map(str::trim)
        .filter(|z| !z.is_empty());
    if let Some(Err(e)) = timezone.map(parse_zone) {
        errors.push(e);
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let record = ScheduleRecord {
        team_id,
        kind,
        cron: input.cron.trim().to_owned(),
        timezone: timezone.map(str::to_owned),
        enabled: input.enabled.unwrap_or(true),
        updated_at: now,
    };
    doorstep_store::in_one_transaction(store.connection(), async |txn| {
        save_schedule(txn, &record).await?;
        doorstep_store::append_audit(
            txn,
            now,
            &actor.label(),
            "set_mail_schedule",
            "team",
            Some(team_id),
            serde_json::json!({
                "kind": kind.code(),
                "cron": record.cron,
                "timezone": record.timezone,
                "enabled": record.enabled,
            }),
        )
        .await?;
        Ok::<_, ServiceError>(())
    })
    .await?;
    let schedule = effective(team_id, zone, std::slice::from_ref(&record))
        .into_iter()
        .find(|s| s.kind == kind)
        .expect("every scheduled kind has a default");
    Ok(ScheduleView {
        next: schedule.next_firings(now, 3),
        schedule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn daily(zone: Tz, cron: &str) -> Schedule {
        Schedule {
            team_id: 1,
            kind: MailKind::Daily,
            cron: cron.into(),
            timezone: None,
            zone,
            enabled: true,
            stored: true,
        }
    }

    #[test]
    fn the_morning_firing_is_at_six_in_each_teams_zone() {
        let hanoi = daily(chrono_tz::Asia::Ho_Chi_Minh, "0 0 6 * * *");
        let seoul = daily(chrono_tz::Asia::Seoul, "0 0 6 * * *");
        // 23:30 UTC on 30 November: 06:30 on 1 December in Vietnam, 08:30 in Korea.
        let now = at("2026-11-30T23:30:00Z");
        let since = now - chrono::Duration::hours(3);
        assert_eq!(
            due_firing(&hanoi, since, now),
            Some(at("2026-11-30T23:00:00Z"))
        );
        assert_eq!(
            due_firing(&seoul, since, now),
            Some(at("2026-11-30T21:00:00Z"))
        );
        // Each firing lists its own local day, not the UTC date.
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            firing_day(MailKind::Daily, at("2026-11-30T23:00:00Z"), hanoi.zone),
            day
        );
        assert_eq!(
            firing_day(MailKind::Daily, at("2026-11-30T21:00:00Z"), seoul.zone),
            day
        );
        // Done once: nothing is due again after it.
        assert_eq!(due_firing(&hanoi, at("2026-11-30T23:00:00Z"), now), None);
    }

    #[test]
    fn firings_across_midnight_and_the_evening_before() {
        let hanoi = chrono_tz::Asia::Ho_Chi_Minh;
        let midnight = daily(hanoi, "0 0 0 * * *");
        // 00:00 on 2 December in Vietnam is 17:00 UTC on 1 December.
        let now = at("2026-12-01T17:00:05Z");
        let fired = due_firing(&midnight, now - chrono::Duration::hours(1), now).unwrap();
        assert_eq!(fired, at("2026-12-01T17:00:00Z"));
        assert_eq!(
            firing_day(MailKind::Daily, fired, hanoi),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
        let evening = Schedule {
            kind: MailKind::Evening,
            ..daily(hanoi, "0 30 23 * * *")
        };
        let fired = due_firing(&evening, at("2026-12-01T16:00:00Z"), now).unwrap();
        assert_eq!(
            fired,
            hanoi.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).unwrap()
        );
        assert_eq!(
            firing_day(MailKind::Evening, fired, hanoi),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
    }

    #[test]
    fn missed_firings_are_not_repeated_and_off_never_fires() {
        let hourly = daily(chrono_tz::Asia::Ho_Chi_Minh, "0 0 * * * *");
        let now = at("2026-12-01T10:20:00Z");
        assert_eq!(
            due_firing(&hourly, at("2026-12-01T06:30:00Z"), now),
            Some(at("2026-12-01T10:00:00Z"))
        );
        let off = Schedule {
            enabled: false,
            ..hourly
        };
        assert_eq!(due_firing(&off, at("2026-12-01T06:30:00Z"), now), None);
    }

    #[test]
    fn bad_expressions_and_zones_say_why() {
        let five = parse_cron("0 6 * * *").unwrap_err();
        assert!(five.message_en.contains("got 5"), "{}", five.message_en);
        assert!(
            five.message_en.contains("\"0 0 6 * * *\""),
            "{}",
            five.message_en
        );
        assert!(five.message_vi.contains("thêm giây"), "{}", five.message_vi);
        let hour = parse_cron("0 0 25 * * *").unwrap_err();
        assert!(hour.message_en.contains("Hours"), "{}", hour.message_en);
        assert_eq!(hour.field, "cron");
        assert!(parse_cron("0 0 6 * * Mon-Fri").is_ok());
        let zone = parse_zone("Asia/Hanoi City").unwrap_err();
        assert_eq!(zone.field, "timezone");
        assert!(parse_zone("Asia/Seoul").is_ok());
    }
}
