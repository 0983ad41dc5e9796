//! What publishing a draft would change on the team's calendar: per visit
//! still to come, added, moved (from → to) or removed, each with its reason
//! in words; and the calendar's visits a blackout falls on.
//!
//! The comparison is by the planner's job (a household's in-person visit,
//! one resident's call): a job on the calendar and in the draft at the same
//! member and times is unchanged (publishing keeps the calendar's visit and
//! its id); at another member or time it moves; only on the calendar it is
//! removed; only in the draft it is added. Visits publishing never touches
//! (started, pinned, confirmed, recorded, outside the draft's days) are not
//! compared.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use doorstep_core::rules::{Blackout, ExpansionContext, Rule};
use doorstep_core::{UnmetReason, VisitMode, VisitStatus};
use doorstep_store::repo::plans::{VisitRecord, replaceable};
use serde::Serialize;

use super::reader::{Mapped, ScopedBlackout};

/// How a visit changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A visit the calendar did not have.
    Added,
    /// The same household (or call) at another member or time.
    Moved,
    /// Off the calendar, not planned again in these days.
    Removed,
}

/// Why a visit changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeReason {
    /// Not on the calendar before: a new need, or room that came free.
    NewlyPlanned,
    /// A blackout (its label) falls on the old time.
    Blackout(String),
    /// The residents are no longer reachable at the old time (their rule
    /// changed, or the tide moved).
    RuleChanged,
    /// The member is not available at the old time any more (leave, free
    /// time changed, left the team, no longer able).
    MemberUnavailable,
    /// Nothing is left to visit for (needs done, refused or waiting for an
    /// appointment).
    HouseholdDone,
    /// Consent was withdrawn.
    NoConsent,
    /// Moved or left out to fit the team's capacity and routes.
    Capacity,
}

impl ChangeReason {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ChangeReason::NewlyPlanned => "newly_planned",
            ChangeReason::Blackout(_) => "blackout",
            ChangeReason::RuleChanged => "rule_changed",
            ChangeReason::MemberUnavailable => "member_unavailable",
            ChangeReason::HouseholdDone => "household_done",
            ChangeReason::NoConsent => "no_consent",
            ChangeReason::Capacity => "capacity",
        }
    }

    /// In Vietnamese.
    pub fn words_vi(&self) -> String {
        match self {
            ChangeReason::NewlyPlanned => {
                "chưa có trong lịch: nhu cầu mới hoặc có chỗ trống".into()
            }
            ChangeReason::Blackout(label) => format!("trùng thời gian tạm dừng: {label}"),
            ChangeReason::RuleChanged => {
                "người dân không còn có nhà vào giờ cũ (lịch có mặt đã đổi)".into()
            }
            ChangeReason::MemberUnavailable => "thành viên không còn rảnh vào giờ cũ".into(),
            ChangeReason::HouseholdDone => {
                "hộ không còn việc cần thăm (đã xong, từ chối hoặc chờ lịch hẹn)".into()
            }
            ChangeReason::NoConsent => "người dân đã rút lại đồng ý".into(),
            ChangeReason::Capacity => "xếp lại cho vừa sức và đường đi của tổ".into(),
        }
    }

    /// In English.
    pub fn words_en(&self) -> String {
        match self {
            ChangeReason::NewlyPlanned => {
                "not on the calendar before: a new need, or room came free".into()
            }
            ChangeReason::Blackout(label) => format!("falls in a blackout: {label}"),
            ChangeReason::RuleChanged => {
                "the residents are no longer home at the old time (their availability changed)"
                    .into()
            }
            ChangeReason::MemberUnavailable => {
                "the member is no longer available at the old time".into()
            }
            ChangeReason::HouseholdDone => {
                "nothing left to visit for (done, refused or waiting for an appointment)".into()
            }
            ChangeReason::NoConsent => "the resident withdrew consent".into(),
            ChangeReason::Capacity => "rearranged to fit the team's capacity and routes".into(),
        }
    }
}

/// A visit's place: who, when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The visit (on the calendar, or in the draft).
    pub visit_id: i32,
    /// The member.
    pub member_id: i32,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
}

impl Slot {
    fn of(v: &VisitRecord) -> Slot {
        Slot {
            visit_id: v.id,
            member_id: v.member_id,
            start: v.start,
            end: v.end,
        }
    }
}

/// One change of the calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarChange {
    /// Added, moved or removed.
    pub kind: ChangeKind,
    /// The household.
    pub household_id: i32,
    /// The planner's job (`h12`, `r40`).
    pub job: String,
    /// In person or remote.
    pub mode: VisitMode,
    /// Where it was on the calendar (moved, removed).
    pub from: Option<Slot>,
    /// Where the draft puts it (added, moved).
    pub to: Option<Slot>,
    /// Why.
    pub reason: ChangeReason,
}

/// A draft compared with the calendar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// From when the draft may change the calendar (the later of its first
    /// instant and now).
    pub from: Option<DateTime<Utc>>,
    /// The end of the draft's days.
    pub to: Option<DateTime<Utc>>,
    /// The changes, by time.
    pub changes: Vec<CalendarChange>,
    /// Visits still to come that stay exactly as they are.
    pub unchanged: usize,
    /// Visits in the draft's days that publishing never touches (pinned,
    /// confirmed, started, recorded).
    pub kept: usize,
    /// The members' names, by id.
    pub members: BTreeMap<i32, String>,
    /// The households' register keys and addresses, by id.
    pub households: BTreeMap<i32, (String, String)>,
}

impl Changes {
    /// How many of a kind.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.kind == kind).count()
    }
}

/// The calendar's visits in `[cutoff, end)` compared with the draft's.
/// `recorded` tells whether a visit has an outcome; `reason` explains a
/// calendar visit that moves or goes.
pub fn compare(
    calendar: &[VisitRecord],
    draft: &[VisitRecord],
    cutoff: DateTime<Utc>,
    end: DateTime<Utc>,
    recorded: &dyn Fn(i32) -> bool,
    reason: &dyn Fn(&VisitRecord) -> ChangeReason,
) -> Changes {
    let live =
        |v: &&VisitRecord| matches!(v.status, VisitStatus::Proposed | VisitStatus::Confirmed);
    let mut old: BTreeMap<&str, Vec<&VisitRecord>> = BTreeMap::new();
    let mut kept = 0;
    for v in calendar.iter().filter(live) {
        if replaceable(v, cutoff, end, recorded(v.id)) {
            old.entry(v.job.as_str()).or_default().push(v);
        } else if v.start >= cutoff && v.start < end {
            kept += 1;
        }
    }
    let held: std::collections::BTreeSet<&str> = calendar
        .iter()
        .filter(live)
        .filter(|v| !replaceable(v, cutoff, end, recorded(v.id)))
        .map(|v| v.job.as_str())
        .collect();
    let mut new: BTreeMap<&str, Vec<&VisitRecord>> = BTreeMap::new();
    for v in draft
        .iter()
        .filter(|v| v.status != VisitStatus::Cancelled && v.start >= cutoff && v.start < end)
        .filter(|v| !held.contains(v.job.as_str()))
    {
        new.entry(v.job.as_str()).or_default().push(v);
    }
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let jobs: std::collections::BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    for job in jobs {
        let mut before: Vec<&VisitRecord> = old.get(job).cloned().unwrap_or_default();
        let mut after: Vec<&VisitRecord> = new.get(job).cloned().unwrap_or_default();
        before.retain(|b| {
            let same = after
                .iter()
                .position(|a| a.member_id == b.member_id && a.start == b.start && a.end == b.end);
            match same {
                Some(i) => {
                    after.remove(i);
                    unchanged += 1;
                    false
                }
                None => true,
            }
        });
        let mut before = before.into_iter();
        let mut after = after.into_iter();
        loop {
            match (before.next(), after.next()) {
                (Some(b), Some(a)) => changes.push(CalendarChange {
                    kind: ChangeKind::Moved,
                    household_id: a.household_id,
                    job: job.to_owned(),
                    mode: a.mode,
                    from: Some(Slot::of(b)),
                    to: Some(Slot::of(a)),
                    reason: reason(b),
                }),
                (Some(b), None) => changes.push(CalendarChange {
                    kind: ChangeKind::Removed,
                    household_id: b.household_id,
                    job: job.to_owned(),
                    mode: b.mode,
                    from: Some(Slot::of(b)),
                    to: None,
                    reason: reason(b),
                }),
                (None, Some(a)) => changes.push(CalendarChange {
                    kind: ChangeKind::Added,
                    household_id: a.household_id,
                    job: job.to_owned(),
                    mode: a.mode,
                    from: None,
                    to: Some(Slot::of(a)),
                    reason: ChangeReason::NewlyPlanned,
                }),
                (None, None) => break,
            }
        }
    }
    changes.sort_by_key(|c| {
        let at = c.to.as_ref().or(c.from.as_ref());
        (at.map(|s| s.start), at.map(|s| s.member_id), c.job.clone())
    });
    Changes {
        from: Some(cutoff),
        to: Some(end),
        changes,
        unchanged,
        kept,
        members: BTreeMap::new(),
        households: BTreeMap::new(),
    }
}

/// The minutes `[start, end)` of a blackout over the context's horizon.
pub fn blackout_spans(ctx: &ExpansionContext, blackout: &Blackout) -> Vec<(i64, i64)> {
    let rule = Rule {
        version: 1,
        mode: blackout.mode.unwrap_or(VisitMode::InPerson),
        when: vec![blackout.term.clone()],
        except: Vec::new(),
    };
    ctx.expand(&rule)
        .map(|windows| {
            windows
                .iter()
                .map(|w| (w.start_minute(), w.end_minute()))
                .collect()
        })
        .unwrap_or_default()
}

fn overlaps(spans: &[(i64, i64)], start: i64, end: i64) -> bool {
    spans.iter().any(|&(a, b)| a < end && start < b)
}

fn inside(spans: &[(i64, i64)], start: i64, end: i64) -> bool {
    spans.iter().any(|&(a, b)| a <= start && end <= b)
}

/// Why a calendar visit moves or goes, from what the draft was read from:
/// its instance (windows and shifts, blackouts cut), the team's blackouts,
/// and the households' villages.
pub struct Explainer<'a> {
    /// The draft's instance and id map.
    pub mapped: &'a Mapped,
    /// Each blackout with its minutes over the horizon.
    pub blackouts: Vec<(&'a ScopedBlackout, Vec<(i64, i64)>)>,
    /// Each household's village.
    pub villages: BTreeMap<i32, Option<i32>>,
}

impl Explainer<'_> {
    /// The reason for one calendar visit.
    pub fn reason(&self, v: &VisitRecord) -> ChangeReason {
        let (start, end) = (v.start.timestamp() / 60, v.end.timestamp() / 60);
        let village = self.villages.get(&v.household_id).copied().flatten();
        if let Some((b, _)) = self.blackouts.iter().find(|(b, spans)| {
            b.blackout.applies_to(v.mode)
                && (b.village_id.is_none() || b.village_id == village)
                && overlaps(spans, start, end)
        }) {
            return ChangeReason::Blackout(b.blackout.label.clone());
        }
        let Some(job) = self.mapped.jobs.get(&v.job) else {
            let consent = self.mapped.unmet.iter().any(|u| {
                u.household_id == v.household_id
                    && u.reason == UnmetReason::NoConsent
                    && (v.residents.is_empty()
                        || u.resident_id.is_none_or(|r| v.residents.contains(&r)))
            });
            return if consent {
                ChangeReason::NoConsent
            } else {
                ChangeReason::HouseholdDone
            };
        };
        let member = super::reader::member_key(v.member_id);
        let shifts: Vec<(i64, i64)> = self
            .mapped
            .instance
            .volunteers
            .iter()
            .find(|m| m.id == member)
            .map(|m| m.shifts.iter().map(super::reader::span_of).collect())
            .unwrap_or_default();
        let reachable = job.residents.iter().any(|r| inside(&r.windows, start, end));
        if !reachable {
            ChangeReason::RuleChanged
        } else if !inside(&shifts, start, end) {
            ChangeReason::MemberUnavailable
        } else {
            ChangeReason::Capacity
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorstep_core::NeedStep;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 10)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
            .and_utc()
    }

    fn visit(id: i32, job: &str, member: i32, start: DateTime<Utc>) -> VisitRecord {
        VisitRecord {
            id,
            plan_id: 1,
            household_id: job[1..].parse().unwrap(),
            member_id: member,
            start,
            end: start + chrono::Duration::minutes(30),
            mode: VisitMode::InPerson,
            purposes: vec![NeedStep::VneidInstall],
            residents: vec![],
            status: VisitStatus::Proposed,
            pinned: false,
            job: job.into(),
            updated_at: start,
            on_calendar: true,
            replaced_by: None,
        }
    }

    #[test]
    fn same_place_is_unchanged_other_place_moves_missing_goes_new_comes() {
        let calendar = vec![
            visit(1, "h1", 7, at(2, 0)),
            visit(2, "h2", 7, at(3, 0)),
            visit(3, "h3", 8, at(4, 0)),
        ];
        let draft = vec![
            visit(11, "h1", 7, at(2, 0)),
            visit(12, "h2", 8, at(5, 0)),
            visit(14, "h4", 8, at(6, 0)),
        ];
        let changes = compare(&calendar, &draft, at(0, 0), at(23, 0), &|_| false, &|_| {
            ChangeReason::Capacity
        });
        assert_eq!(changes.unchanged, 1);
        let kinds: Vec<(ChangeKind, &str)> = changes
            .changes
            .iter()
            .map(|c| (c.kind, c.job.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Removed, "h3"),
                (ChangeKind::Moved, "h2"),
                (ChangeKind::Added, "h4"),
            ]
        );
        let moved = &changes.changes[1];
        assert_eq!(moved.from.as_ref().unwrap().visit_id, 2);
        assert_eq!(moved.to.as_ref().unwrap().visit_id, 12);
    }

    #[test]
    fn visits_publishing_never_touches_are_not_compared() {
        let mut pinned = visit(1, "h1", 7, at(9, 0));
        pinned.pinned = true;
        let mut confirmed = visit(2, "h2", 7, at(10, 0));
        confirmed.status = VisitStatus::Confirmed;
        let started = visit(3, "h3", 7, at(1, 0));
        let recorded = visit(4, "h4", 8, at(9, 0));
        let changes = compare(
            &[pinned, confirmed, started, recorded],
            &[visit(13, "h3", 8, at(12, 0))],
            at(2, 0),
            at(23, 0),
            &|id| id == 4,
            &|_| ChangeReason::Capacity,
        );
        assert!(changes.changes.is_empty(), "{:?}", changes.changes);
        assert_eq!(changes.kept, 3);
    }
}
