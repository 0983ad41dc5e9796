//! Each member's visit list by e-mail: deciding what to send (written to the
//! outbox in the decision's transaction) and sending the outbox.
//!
//! **The guarantee** (docs/mail.md): every list decided is delivered at
//! least once, and never twice under two Message-IDs. A message's
//! Message-ID comes from its kind, its day, its member and the version of
//! the list it carries (a fingerprint of the visits), so
//! - deciding the same list again writes nothing (the Message-ID is unique
//!   in the outbox);
//! - a sender that dies between "accepted by the server" and "marked sent"
//!   sends the same bytes under the same Message-ID again, which mail
//!   programs show once;
//! - a list that changed after it was sent goes as a short update naming
//!   what changed, never as a second full list.

pub mod firing;
pub mod schedule;

use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use doorstep_core::{Language, MailKind, OutboxStatus, VisitMode};
use doorstep_mail::{DayMail, MailResident, MailVisit, Outgoing, SendError, Sender, UpdateMail};
use doorstep_store::Store;
use doorstep_store::repo::mail::{
    NewMessage, OutboxRecord, claim, enqueue, mark_failed, mark_sent, member_day_messages,
    outbox_counts, outbox_messages,
};
use doorstep_store::repo::snapshot::{DaySheet, member_team_record};
use doorstep_store::repo::teams::team_members;
use doorstep_tide::Catalog;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::daylist::{DayList, lunar_short, member_day};
use crate::error::ServiceError;
use crate::feeds::{FeedContent, render};
use crate::planning::local_midnight;

/// What the mail use cases need from the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSettings {
    /// The sender, `name <address>`; its domain names the Message-IDs.
    pub from: String,
    /// The service's public address, for links to the day's page.
    pub base_url: Option<String>,
}

impl MailSettings {
    fn domain(&self) -> String {
        let address = self
            .from
            .rsplit_once('<')
            .map_or(self.from.as_str(), |(_, rest)| rest.trim_end_matches('>'));
        address
            .rsplit_once('@')
            .map_or("doorstep.local", |(_, domain)| domain.trim())
            .to_owned()
    }

    fn day_url(&self, date: NaiveDate) -> Option<String> {
        self.base_url
            .as_ref()
            .map(|base| format!("{}/lich-cua-toi?ngay={date}", base.trim_end_matches('/')))
    }
}

/// One visit of a list as the outbox keeps it, to tell what changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SummaryVisit {
    id: i32,
    time: String,
    household: String,
    address: String,
}

/// The version of a list: what a volunteer would notice changing.
fn fingerprint(list: &DayList) -> String {
    let mut hasher = Sha256::new();
    for v in &list.visits {
        hasher.update(format!(
            "{}|{}|{}|{}|{}|{}|{:?}|{:?}\n",
            v.id,
            v.start.to_rfc3339(),
            v.end.to_rfc3339(),
            v.household.id,
            v.mode.code(),
            v.status.code(),
            v.residents.iter().map(|r| r.id).collect::<Vec<_>>(),
            v.purposes.iter().map(|p| p.code()).collect::<Vec<_>>(),
        ));
    }
    hasher.finalize()[..8]
        .iter()
        .fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

fn summary(list: &DayList) -> Vec<SummaryVisit> {
    list.visits
        .iter()
        .map(|v| SummaryVisit {
            id: v.id,
            time: v.window.time.clone(),
            household: v.household.external_id.clone(),
            address: v.household.address.clone(),
        })
        .collect()
}

/// "Thứ Ba 01/12/2026 (23/10 âm)", "Tuesday 1 December 2026 (lunar 23/10)".
fn subject_day(list: &DayList, language: Language) -> String {
    let heading = crate::daylist::day_heading(list.date);
    let lunar = lunar_short(list.date);
    match language {
        Language::Vi => {
            let solar = heading.vi.split(" · ").next().unwrap_or_default();
            format!("{solar} ({lunar} âm)")
        }
        Language::En => {
            let solar = heading.en.split(" · ").next().unwrap_or_default();
            format!("{solar} (lunar {lunar})")
        }
    }
}

fn map_url(lat: f64, lon: f64) -> String {
    format!("https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=18/{lat:.5}/{lon:.5}")
}

fn mail_visits(list: &DayList, language: Language) -> Vec<MailVisit> {
    let vi = language == Language::Vi;
    list.visits
        .iter()
        .map(|v| MailVisit {
            order: v.order,
            time: v.window.time.clone(),
            mode: match (v.mode, vi) {
                (VisitMode::InPerson, true) => "Tại nhà".to_owned(),
                (VisitMode::InPerson, false) => "In person".to_owned(),
                (VisitMode::Remote, true) => "Gọi video".to_owned(),
                (VisitMode::Remote, false) => "Video call".to_owned(),
            },
            household: v.household.external_id.clone(),
            address: v.household.address.clone(),
            // Addresses often end with their village already.
            village: v
                .household
                .village
                .clone()
                .filter(|village| !v.household.address.contains(village.as_str())),
            map_url: v.household.location.map(|p| map_url(p.lat, p.lon)),
            approximate: v.household.approximate,
            window: if vi {
                v.window.vi.clone()
            } else {
                v.window.en.clone()
            },
            purposes: v
                .purposes
                .iter()
                .map(|p| if vi { p.label_vi() } else { p.label_en() }.to_owned())
                .collect(),
            residents: v
                .residents
                .iter()
                .map(|r| MailResident {
                    name: r.name.clone(),
                    phone: r.phone.clone(),
                })
                .collect(),
        })
        .collect()
}

/// The day's calendar: the member's visits with the team's zone.
fn day_calendar(list: &DayList, sheet: &DaySheet) -> String {
    let name = format!("Lịch thăm hộ · {} · {}", list.member_name, list.team_name);
    let from = local_midnight(list.zone, list.date);
    render(&FeedContent {
        name: &name,
        snapshot: &sheet.snapshot,
        zone: list.zone,
        visits: &sheet.visits,
        team_feed: false,
        span: (from, from + Duration::days(1)),
    })
}

fn rendering(e: askama::Error) -> ServiceError {
    ServiceError::Internal(format!("a mail template failed: {e}"))
}

/// A list in full: the morning's list or the evening's reminder.
fn full_message(
    settings: &MailSettings,
    kind: MailKind,
    list: &DayList,
    sheet: &DaySheet,
    email: Option<&str>,
    language: Language,
    version: &str,
) -> Result<NewMessage, ServiceError> {
    let vi = language == Language::Vi;
    let day = subject_day(list, language);
    let (subject, intro) = match (kind, vi) {
        (MailKind::Evening, true) => (
            format!("Nhắc lịch ngày mai — {day}"),
            "Ngày mai bạn có các lượt thăm hộ sau:".to_owned(),
        ),
        (MailKind::Evening, false) => (
            format!("Tomorrow's visits — {day}"),
            "Tomorrow you have these visits:".to_owned(),
        ),
        (_, true) => (
            format!("Lịch thăm hộ — {day}"),
            "Danh sách thăm hộ trong ngày của bạn, theo thứ tự đi:".to_owned(),
        ),
        (_, false) => (
            format!("Visit list — {day}"),
            "Your visits of the day, in route order:".to_owned(),
        ),
    };
    let heading = crate::daylist::day_heading(list.date);
    let mail = DayMail {
        vi,
        member_name: list.member_name.clone(),
        team_name: list.team_name.clone(),
        heading: if vi { heading.vi } else { heading.en },
        intro,
        visits: mail_visits(list, language),
        day_url: settings.day_url(list.date),
    };
    let (body_text, body_html) = mail.bodies().map_err(rendering)?;
    Ok(NewMessage {
        message_id: format!(
            "{}.{}.m{}.{version}@{}",
            kind.code(),
            list.date,
            list.member_id,
            settings.domain()
        ),
        team_id: list.team_id,
        member_id: Some(list.member_id),
        kind,
        day: Some(list.date),
        version: Some(version.to_owned()),
        recipient: email.map(str::to_owned),
        recipient_name: list.member_name.clone(),
        language,
        subject,
        body_text,
        body_html,
        attachment: Some((format!("lich-{}.ics", list.date), day_calendar(list, sheet))),
        summary: serde_json::to_string(&summary(list)).ok(),
    })
}

/// What changed between two versions of a list, one line per change. A
/// visit is the same when its household is: a publish that moves a visit
/// replaces it with one of the new plan, under another id.
fn changes(before: &[SummaryVisit], after: &[SummaryVisit], vi: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for v in after {
        match before.iter().find(|b| b.household == v.household) {
            None => lines.push(if vi {
                format!("Thêm: {} {} — {}", v.time, v.household, v.address)
            } else {
                format!("Added: {} {} — {}", v.time, v.household, v.address)
            }),
            Some(b) if b.time != v.time => lines.push(if vi {
                format!("Đổi giờ: {} {} → {}", v.household, b.time, v.time)
            } else {
                format!("Moved: {} {} → {}", v.household, b.time, v.time)
            }),
            Some(_) => {}
        }
    }
    for b in before {
        if !after.iter().any(|v| v.household == b.household) {
            lines.push(if vi {
                format!("Bỏ: {} {} — {}", b.time, b.household, b.address)
            } else {
                format!("Removed: {} {} — {}", b.time, b.household, b.address)
            });
        }
    }
    if lines.is_empty() {
        lines.push(if vi {
            "Trạng thái hoặc người cần gặp của một lượt thăm đã thay đổi.".to_owned()
        } else {
            "The status or the residents of a visit changed.".to_owned()
        });
    }
    lines
}

#[allow(clippy::too_many_arguments)]
fn update_message(
    settings: &MailSettings,
    list: &DayList,
    sheet: &DaySheet,
    previous: &OutboxRecord,
    email: Option<&str>,
    language: Language,
    version: &str,
) -> Result<NewMessage, ServiceError> {
    let vi = language == Language::Vi;
    let before: Vec<SummaryVisit> = previous
        .summary
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let after = summary(list);
    let day = subject_day(list, language);
    let heading = crate::daylist::day_heading(list.date);
    let mail = UpdateMail {
        vi,
        member_name: list.member_name.clone(),
        team_name: list.team_name.clone(),
        heading: if vi { heading.vi } else { heading.en },
        intro: if after.is_empty() && vi {
            "Lịch thăm hộ của bạn đã thay đổi sau thư trước: ngày này bạn không còn lượt thăm nào."
                .to_owned()
        } else if after.is_empty() {
            "Your visit list changed since the last message: you have no visits left this day."
                .to_owned()
        } else if vi {
            format!(
                "Lịch thăm hộ của bạn đã thay đổi sau thư trước. Bây giờ có {} lượt thăm:",
                after.len()
            )
        } else {
            format!(
                "Your visit list changed since the last message. It now holds {} visits:",
                after.len()
            )
        },
        changes: changes(&before, &after, vi),
        day_url: settings.day_url(list.date),
    };
    let (body_text, body_html) = mail.bodies().map_err(rendering)?;
    Ok(NewMessage {
        message_id: format!(
            "update.{}.m{}.{version}@{}",
            list.date,
            list.member_id,
            settings.domain()
        ),
        team_id: list.team_id,
        member_id: Some(list.member_id),
        kind: MailKind::Update,
        day: Some(list.date),
        version: Some(version.to_owned()),
        recipient: email.map(str::to_owned),
        recipient_name: list.member_name.clone(),
        language,
        subject: if vi {
            format!("Lịch thăm hộ đã thay đổi — {day}")
        } else {
            format!("Visit list changed — {day}")
        },
        body_text,
        body_html,
        attachment: Some((format!("lich-{}.ics", list.date), day_calendar(list, sheet))),
        summary: serde_json::to_string(&after).ok(),
    })
}

/// What a firing decides for a team and a day.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decided {
    /// The messages to send (full lists and updates).
    pub messages: Vec<NewMessage>,
    /// Members whose list was already sent as it is.
    pub unchanged: usize,
}

/// Decides the messages of `kind` (the morning's list or the evening's
/// reminder) for each active member of the team with published visits on
/// `date`: a full list for a member who has had none of this kind for the
/// day, a short update for one whose last list differs, nothing otherwise.
///
/// # Errors
/// The store fails, or the date is out of range.
pub async fn decide_team_day(
    store: &Store,
    catalog: &Catalog,
    settings: &MailSettings,
    team_id: i32,
    date: NaiveDate,
    kind: MailKind,
) -> Result<Decided, ServiceError> {
    let db = store.connection();
    let mut decided = Decided::default();
    for member in team_members(db, team_id).await? {
        if !member.active {
            continue;
        }
        let Some((team, record)) = member_team_record(db, member.id).await? else {
            continue;
        };
        let (email, language) = (record.email.clone(), record.language);
        let (list, sheet) = member_day(store, catalog, team, record, date, true).await?;
        let version = fingerprint(&list);
        let previous: Vec<OutboxRecord> = member_day_messages(db, member.id, date)
            .await?
            .into_iter()
            .filter(|m| {
                matches!(
                    m.kind,
                    MailKind::Daily | MailKind::Evening | MailKind::Update
                )
            })
            .collect();
        // A day emptied by a publish after its list went out gets an update
        // that says so; a day that had nothing gets nothing.
        if list.visits.is_empty() && previous.is_empty() {
            continue;
        }
        let email = email.as_deref().filter(|e| !e.trim().is_empty());
        let message = if list.visits.is_empty() {
            match previous.last() {
                Some(last) if last.version.as_deref() != Some(version.as_str()) => Some(
                    update_message(settings, &list, &sheet, last, email, language, &version)?,
                ),
                _ => None,
            }
        } else if !previous.iter().any(|m| m.kind == kind) && kind != MailKind::Update {
            Some(full_message(
                settings, kind, &list, &sheet, email, language, &version,
            )?)
        } else {
            match previous.last() {
                Some(last) if last.version.as_deref() != Some(version.as_str()) => Some(
                    update_message(settings, &list, &sheet, last, email, language, &version)?,
                ),
                _ => None,
            }
        };
        match message {
            Some(message) => decided.messages.push(message),
            None => decided.unchanged += 1,
        }
    }
    Ok(decided)
}

/// What a firing by hand did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Enqueued {
    /// New messages written to the outbox.
    pub written: usize,
    /// Of which, for members without an address (recorded, not sent).
    pub without_address: usize,
    /// Updates among the new messages.
    pub updates: usize,
    /// Members whose list was already in the outbox as it is.
    pub unchanged: usize,
}

/// Decides a team's messages of `kind` for `date` and writes them to the
/// outbox in one transaction.
///
/// # Errors
/// The store fails.
pub async fn enqueue_team_day(
    store: &Store,
    catalog: &Catalog,
    settings: &MailSettings,
    team_id: i32,
    date: NaiveDate,
    kind: MailKind,
    now: DateTime<Utc>,
) -> Result<Enqueued, ServiceError> {
    let decided = decide_team_day(store, catalog, settings, team_id, date, kind).await?;
    doorstep_store::in_one_transaction(store.connection(), async |txn| {
        write_messages(txn, &decided, now).await
    })
    .await
}

/// Writes decided messages to the outbox in the caller's transaction; a
/// message already there (the same Message-ID) counts as unchanged.
pub(crate) async fn write_messages(
    txn: &doorstep_store::Writing,
    decided: &Decided,
    now: DateTime<Utc>,
) -> Result<Enqueued, ServiceError> {
    let mut done = Enqueued {
        unchanged: decided.unchanged,
        ..Enqueued::default()
    };
    for message in &decided.messages {
        if enqueue(txn, message, now).await? {
            done.written += 1;
            done.without_address += usize::from(message.recipient.is_none());
            done.updates += usize::from(message.kind == MailKind::Update);
        } else {
            done.unchanged += 1;
        }
    }
    Ok(done)
}

/// What a round of sending did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Accepted by the mail server.
    pub sent: usize,
    /// Failed for now; tried again later.
    pub retrying: usize,
    /// Failed for good.
    pub failed: usize,
}

/// How the sender behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendPolicy {
    /// Names this sender in its leases.
    pub worker: String,
    /// How long a claimed message is this sender's.
    pub lease: Duration,
    /// Messages claimed at a time.
    pub batch: u64,
    /// Tries before a temporary failure counts as permanent.
    pub max_attempts: i32,
    /// The wait after the first temporary failure; doubled after each.
    pub backoff: Duration,
}

impl SendPolicy {
    /// The wait before try `attempts + 1`: the backoff doubled per try,
    /// at most six hours.
    pub fn retry_after(&self, attempts: i32) -> Duration {
        let factor = 2_i32.saturating_pow(u32::try_from(attempts.max(1) - 1).unwrap_or(0));
        (self.backoff * factor).min(Duration::hours(6))
    }
}

/// Sends due messages until none is left to claim: each claimed with a
/// lease, sent, and marked sent, to retry (with backoff) or failed.
///
/// # Errors
/// The store fails (a message's own failure is recorded, not returned).
pub async fn send_pending<S: Sender>(
    store: &Store,
    sender: &S,
    policy: &SendPolicy,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<SendReport, ServiceError> {
    let db = store.connection();
    let mut report = SendReport::default();
    // A round tries each message once: what is due at its start.
    let start = now();
    loop {
        let lease_until = now() + policy.lease;
        let batch = claim(db, &policy.worker, start, lease_until, policy.batch).await?;
        if batch.is_empty() {
            return Ok(report);
        }
        for message in batch {
            let Some(to) = message.recipient.as_deref() else {
                continue;
            };
            let outgoing = Outgoing {
                message_id: &message.message_id,
                to,
                to_name: &message.recipient_name,
                subject: &message.subject,
                text: &message.body_text,
                html: &message.body_html,
                calendar: message
                    .attachment
                    .as_ref()
                    .map(|(name, body)| (name.as_str(), body.as_str())),
                date: message.created_at,
            };
            let attempts = message.attempts + 1;
            match sender.send(&outgoing).await {
                Ok(()) => {
                    mark_sent(db, message.id, attempts, now()).await?;
                    report.sent += 1;
                }
                Err(SendError::Temporary(why)) if attempts < policy.max_attempts => {
                    let retry_at = (now() + policy.retry_after(attempts))
                        .max(start + Duration::milliseconds(1));
                    mark_failed(db, message.id, attempts, &why, Some(retry_at)).await?;
                    tracing::warn!(outbox = message.id, attempts, %why, "mail: will try again");
                    report.retrying += 1;
                }
                Err(SendError::Temporary(why) | SendError::Permanent(why)) => {
                    mark_failed(db, message.id, attempts, &why, None).await?;
                    tracing::warn!(outbox = message.id, attempts, %why, "mail: failed for good");
                    report.failed += 1;
                }
            }
        }
    }
}

/// The outbox: counts by status and the latest messages.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxView {
    /// How many stand in each status.
    pub counts: Vec<(OutboxStatus, i64)>,
    /// The latest messages, newest first.
    pub latest: Vec<OutboxRecord>,
}

/// The outbox of one team or of all.
///
/// # Errors
/// The store fails.
pub async fn outbox(
    store: &Store,
    team_id: Option<i32>,
    limit: u64,
) -> Result<OutboxView, ServiceError> {
    let db = store.connection();
    Ok(OutboxView {
        counts: outbox_counts(db, team_id).await?,
        latest: outbox_messages(db, team_id, None, limit).await?,
    })
}

/// A team's outbox, for its leader (or an administrator): counts by status
/// and the latest messages, failures with the server's words.
///
/// # Errors
/// Not found when the team is out of reach, forbidden for those who may
/// read the team but not lead it, or the store fails.
pub async fn team_outbox(
    store: &Store,
    actor: &crate::access::Actor,
    team_id: i32,
    limit: u64,
) -> Result<OutboxView, ServiceError> {
    actor.require_lead(store, team_id).await?;
    outbox(store, Some(team_id), limit).await
}

/// Every team's id, for `--all`.
///
/// # Errors
/// The store fails.
pub async fn all_team_ids(store: &Store) -> Result<Vec<i32>, ServiceError> {
    Ok(doorstep_store::list_teams(store.connection())
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(id: i32, time: &str, household: &str) -> SummaryVisit {
        SummaryVisit {
            id,
            time: time.into(),
            household: household.into(),
            address: format!("Số {id}"),
        }
    }

    #[test]
    fn changes_name_what_was_added_moved_and_removed() {
        let before = [
            visit(1, "08:00–08:15", "HT-1"),
            visit(2, "09:00–09:15", "HT-2"),
        ];
        // HT-1 moved by a publish: another visit, the same household
        let after = [
            visit(4, "10:00–10:15", "HT-1"),
            visit(3, "11:00–11:15", "HT-3"),
        ];
        let lines = changes(&before, &after, true);
        assert_eq!(
            lines,
            [
                "Đổi giờ: HT-1 08:00–08:15 → 10:00–10:15",
                "Thêm: 11:00–11:15 HT-3 — Số 3",
                "Bỏ: 09:00–09:15 HT-2 — Số 2",
            ]
        );
        let english = changes(&before, &before, false);
        assert_eq!(english, ["The status or the residents of a visit changed."]);
    }

    #[test]
    fn message_ids_use_the_senders_domain() {
        let settings = MailSettings {
            from: "Tổ công nghệ số <lich@haithanh.example>".into(),
            base_url: Some("https://doorstep.example/".into()),
        };
        assert_eq!(settings.domain(), "haithanh.example");
        assert_eq!(
            settings.day_url(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
            Some("https://doorstep.example/lich-cua-toi?ngay=2026-12-01".into())
        );
        let bare = MailSettings {
            from: "lich@a.example".into(),
            base_url: None,
        };
        assert_eq!(bare.domain(), "a.example");
    }

    #[test]
    fn the_backoff_doubles_up_to_six_hours() {
        let policy = SendPolicy {
            worker: "w".into(),
            lease: Duration::minutes(5),
            batch: 10,
            max_attempts: 8,
            backoff: Duration::seconds(30),
        };
        assert_eq!(policy.retry_after(1), Duration::seconds(30));
        assert_eq!(policy.retry_after(2), Duration::seconds(60));
        assert_eq!(policy.retry_after(4), Duration::seconds(240));
        assert_eq!(policy.retry_after(30), Duration::hours(6));
    }
}
