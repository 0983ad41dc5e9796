//! The mail job: which schedules are due, and each firing decided once —
//! its row and its messages in one transaction, so that several `serve`
//! processes on one database never decide the same firing twice.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, Duration, Utc};
use chrono_tz::Tz;
use doorstep_core::{Language, MailKind, MemberRole, OutboxStatus, PlanStatus};
use doorstep_mail::{DigestDay, DigestMail};
use doorstep_store::Store;
use doorstep_store::repo::mail::{
    NewMessage, all_schedules, latest_firings, outbox_messages, record_firing,
};
use doorstep_store::repo::plans::{plan_unmet, published_visits, team_plans};
use doorstep_store::repo::teams::team_members;
use doorstep_tide::Catalog;

use super::schedule::{Schedule, due_firing, effective, firing_day};
use super::{Decided, Enqueued, MailSettings, decide_team_day, rendering, write_messages};
use crate::daylist::day_heading;
use crate::error::ServiceError;
use crate::planning::local_midnight;

/// How late a missed firing is still done: a process down at 06:00 and
/// back by 09:00 still sends the morning's list.
pub const CATCH_UP: Duration = Duration::hours(3);

/// A schedule's firing to decide.
#[derive(Clone, Debug, PartialEq)]
pub struct Firing {
    /// The team.
    pub team_id: i32,
    /// Which messages.
    pub kind: MailKind,
    /// When it fired.
    pub fire_at: DateTime<Utc>,
    /// The zone of the schedule.
    pub zone: Tz,
}

impl Firing {
    /// The day its messages are about.
    pub fn day(&self) -> chrono::NaiveDate {
        firing_day(self.kind, self.fire_at, self.zone)
    }
}

/// The firings due at `now`: for each team and each enabled schedule, the
/// latest firing after the last one decided, at most `catch_up` ago (a
/// process down at 06:00 and back at 06:20 still sends the morning's list;
/// one back at noon does not).
///
/// # Errors
/// The store fails.
pub async fn due_firings(
    store: &Store,
    now: DateTime<Utc>,
    catch_up: Duration,
) -> Result<Vec<Firing>, ServiceError> {
    let db = store.connection();
    let stored = all_schedules(db).await?;
    let latest: HashMap<(i32, MailKind), DateTime<Utc>> = latest_firings(db)
        .await?
        .into_iter()
        .map(|(team, kind, at)| ((team, kind), at))
        .collect();
    let mut due = Vec::new();
    for team in doorstep_store::list_teams(db).await? {
        let zone: Tz = team
            .timezone
            .parse()
            .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
        for schedule in effective(team.id, zone, &stored) {
            let earliest = now - catch_up;
            let since = latest
                .get(&(team.id, schedule.kind))
                .map_or(earliest, |last| (*last).max(earliest));
            if let Some(fire_at) = due_firing(&schedule, since, now) {
                due.push(firing(&schedule, fire_at));
            }
        }
    }
    Ok(due)
}

fn firing(schedule: &Schedule, fire_at: DateTime<Utc>) -> Firing {
    Firing {
        team_id: schedule.team_id,
        kind: schedule.kind,
        fire_at,
        zone: schedule.zone,
    }
}

/// Decides a firing: its messages and its row, in one transaction. `None`
/// when it was already decided (here or by another process).
///
/// # Errors
/// The store fails.
pub async fn fire(
    store: &Store,
    catalog: &Catalog,
    settings: &MailSettings,
    firing: &Firing,
    now: DateTime<Utc>,
) -> Result<Option<Enqueued>, ServiceError> {
    let day = firing.day();
    let decided = match firing.kind {
        MailKind::Daily | MailKind::Evening => {
            decide_team_day(store, catalog, settings, firing.team_id, day, firing.kind).await?
        }
        MailKind::WeeklyDigest => decide_digest(store, settings, firing).await?,
        MailKind::Update => Decided::default(),
    };
    let count = i32::try_from(decided.messages.len()).unwrap_or(i32::MAX);
    doorstep_store::in_one_transaction(store.connection(), async |txn| {
        let first = record_firing(
            txn,
            firing.team_id,
            firing.kind,
            firing.fire_at,
            day,
            count,
            now,
        )
        .await?;
        if !first {
            return Ok(None);
        }
        Ok(Some(write_messages(txn, &decided, now).await?))
    })
    .await
}

/// Decides every due firing at `now`; what each wrote.
///
/// # Errors
/// The store fails.
pub async fn run_due(
    store: &Store,
    catalog: &Catalog,
    settings: &MailSettings,
    now: DateTime<Utc>,
    catch_up: Duration,
) -> Result<Vec<(Firing, Enqueued)>, ServiceError> {
    let mut done = Vec::new();
    for firing in due_firings(store, now, catch_up).await? {
        if let Some(enqueued) = fire(store, catalog, settings, &firing, now).await? {
            done.push((firing, enqueued));
        }
    }
    Ok(done)
}

/// The leader's digest of the coming week: visits by day and member,
/// households the published plan leaves out, messages that failed.
async fn decide_digest(
    store: &Store,
    settings: &MailSettings,
    firing: &Firing,
) -> Result<Decided, ServiceError> {
    let db = store.connection();
    let members = team_members(db, firing.team_id).await?;
    let leaders: Vec<_> = members
        .iter()
        .filter(|m| m.active && m.role == MemberRole::Leader)
        .collect();
    if leaders.is_empty() {
        return Ok(Decided::default());
    }
    let Some(team) = doorstep_store::find_team(db, firing.team_id).await? else {
        return Ok(Decided::default());
    };
    let start = firing.day();
    let from = local_midnight(firing.zone, start);
    let to = local_midnight(firing.zone, start + Days::new(7));
    let visits = published_visits(db, firing.team_id, None, from, to).await?;
    let plans = team_plans(db, firing.team_id).await?;
    let unmet = match plans
        .iter()
        .filter(|p| p.status == PlanStatus::Published)
        .max_by_key(|p| p.id)
    {
        Some(plan) => plan_unmet(db, plan.id)
            .await?
            .iter()
            .map(|u| u.household_id)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        None => 0,
    };
    let failed = outbox_messages(db, Some(firing.team_id), Some(OutboxStatus::Failed), 20).await?;
    let mut messages = Vec::new();
    for leader in leaders {
        let vi = leader.language == Language::Vi;
        let days = (0..7)
            .map(|offset| {
                let date = start + Days::new(offset);
                let (day_from, day_to) = (
                    local_midnight(firing.zone, date),
                    local_midnight(firing.zone, date + Days::new(1)),
                );
                let mut by_member: BTreeMap<String, usize> = BTreeMap::new();
                let mut count = 0;
                for v in visits
                    .iter()
                    .filter(|v| v.start >= day_from && v.start < day_to)
                {
                    count += 1;
                    let name = members
                        .iter()
                        .find(|m| m.id == v.member_id)
                        .map_or_else(|| format!("#{}", v.member_id), |m| m.full_name.clone());
                    *by_member.entry(name).or_default() += 1;
                }
                let heading = day_heading(date);
                DigestDay {
                    heading: if vi { heading.vi } else { heading.en },
                    visits: count,
                    members: by_member
                        .into_iter()
                        .map(|(name, n)| format!("{name} ({n})"))
                        .collect(),
                }
            })
            .collect();
        let end = start + Days::new(6);
        let span = format!("{} – {}", start.format("%d/%m/%Y"), end.format("%d/%m/%Y"));
        let mail = DigestMail {
            vi,
            leader_name: leader.full_name.clone(),
            team_name: team.name.clone(),
            heading: if vi {
                format!("Tuần tới của tổ: {span}")
            } else {
                format!("The team's coming week: {span}")
            },
            days,
            unmet,
            problems: failed
                .iter()
                .map(|m| {
                    format!(
                        "{} — {}: {}",
                        m.recipient_name,
                        m.subject,
                        m.last_error.as_deref().unwrap_or("?")
                    )
                })
                .collect(),
            calendar_url: settings.base_url.as_ref().map(|base| {
                format!(
                    "{}/teams/{}/lich?tu={start}",
                    base.trim_end_matches('/'),
                    firing.team_id
                )
            }),
        };
        let (body_text, body_html) = mail.bodies().map_err(rendering)?;
        messages.push(NewMessage {
            message_id: format!("weekly_digest.{start}.m{}@{}", leader.id, settings.domain()),
            team_id: firing.team_id,
            member_id: Some(leader.id),
            kind: MailKind::WeeklyDigest,
            day: Some(start),
            version: None,
            recipient: leader.email.clone().filter(|e| !e.trim().is_empty()),
            recipient_name: leader.full_name.clone(),
            language: leader.language,
            subject: if vi {
                format!("Tổng hợp tuần của tổ — {span}")
            } else {
                format!("The team's week — {span}")
            },
            body_text,
            body_html,
            attachment: None,
            summary: None,
        });
    }
    Ok(Decided {
        messages,
        unchanged: 0,
    })
}
