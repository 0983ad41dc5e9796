//! A leader's edits of one visit: pin, move, re-assign, confirm, cancel.
//! A move or a re-assignment is checked against the household's windows,
//! the member's shifts and skills, the member's other visits and daily cap;
//! a refusal says why in words, with the times that would work that day.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use doorstep_core::rules::{ExpansionContext, RuleContext};
use doorstep_core::{PlanStatus, Skill, VisitMode, VisitStatus};
use doorstep_store::Store;
use doorstep_store::repo::plans::{self, VisitRecord};
use doorstep_store::repo::{blackouts, snapshot};
use doorstep_tide::Catalog;

use super::{find_plan_for, local_midnight, parse_blackouts, reader, team_zone};
use crate::access::Actor;
use crate::error::{FieldError, ServiceError};

/// What a leader changes in a visit; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VisitPatch {
    /// Re-assign to this member.
    pub member_id: Option<i32>,
    /// Move to this start (the length stays).
    pub start: Option<DateTime<Utc>>,
    /// `proposed`, `confirmed` or `cancelled`.
    pub status: Option<VisitStatus>,
    /// Keep it exactly in re-plans.
    pub pinned: Option<bool>,
}

fn at(minute: i64, zone: Tz) -> DateTime<Tz> {
    DateTime::from_timestamp(minute * 60, 0)
        .unwrap_or_default()
        .with_timezone(&zone)
}

/// "Thứ Ba 01/12 08:30–09:05" and "Tue 01/12 08:30–09:05".
fn span_words(a: i64, b: i64, zone: Tz) -> (String, String) {
    let (s, e) = (at(a, zone), at(b, zone));
    let day = s.weekday();
    let times = format!(
        "{} {}–{}",
        s.format("%d/%m"),
        s.format("%H:%M"),
        e.format("%H:%M")
    );
    (
        format!("{} {times}", doorstep_core::words::weekday_vi(day)),
        format!("{} {times}", doorstep_core::words::weekday_en_short(day)),
    )
}

/// The spans of `list` that touch the local day of `minute`, in words.
fn that_day(list: &[(i64, i64)], minute: i64, zone: Tz) -> (String, String) {
    let day = at(minute, zone).date_naive();
    let spans: Vec<(String, String)> = list
        .iter()
        .filter(|&&(a, b)| at(a, zone).date_naive() <= day && day <= at(b - 1, zone).date_naive())
        .map(|&(a, b)| span_words(a, b, zone))
        .collect();
    if spans.is_empty() {
        (
            "không có khung nào trong ngày".into(),
            "none that day".into(),
        )
    } else {
        (
            spans
                .iter()
                .map(|s| s.0.clone())
                .collect::<Vec<_>>()
                .join(", "),
            spans
                .iter()
                .map(|s| s.1.clone())
                .collect::<Vec<_>>()
                .join(", "),
        )
    }
}

/// Edits a visit of a plan the actor leads.
///
/// # Errors
/// Not found (also out of scope), forbidden (not the team's leader), a
/// conflict (a done, missed or cancelled visit cannot move; a superseded
/// plan cannot change), or every field's problem with the reason in words.
pub async fn edit_visit(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    visit_id: i32,
    patch: &VisitPatch,
    now: DateTime<Utc>,
) -> Result<(VisitRecord, Tz), ServiceError> {
    let visit = plans::find_visit(store.connection(), visit_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("visit", visit_id))?;
    let plan = find_plan_for(store, actor, visit.plan_id)
        .await
        .map_err(|_| ServiceError::not_found("visit", visit_id))?;
    actor.require_lead(store, plan.team_id).await?;
    if plan.status != PlanStatus::Draft && !visit.on_calendar {
        return Err(replaced_visit(&visit));
    }
    if let Some(status) = patch.status
        && !matches!(
            status,
            VisitStatus::Proposed | VisitStatus::Confirmed | VisitStatus::Cancelled
        )
    {
        return Err(ServiceError::invalid(
            "status",
            format!(
                "chỉ đặt được proposed, confirmed hoặc cancelled; kết quả \"{}\" được ghi khi thăm xong",
                status.code()
            ),
            format!(
                "status may be proposed, confirmed or cancelled; \"{}\" is recorded with the visit's outcome",
                status.code()
            ),
        ));
    }
    let moves = patch.start.is_some_and(|s| s != visit.start)
        || patch.member_id.is_some_and(|m| m != visit.member_id);
    let settled = matches!(
        visit.status,
        VisitStatus::Done | VisitStatus::Missed | VisitStatus::Cancelled
    );
    if settled && (moves || patch.status.is_some()) {
        return Err(ServiceError::Conflict(
            format!(
                "lượt thăm đã ở trạng thái \"{}\", không đổi được",
                visit.status.label_vi()
            ),
            format!(
                "the visit is already {}; it cannot change",
                visit.status.code()
            ),
        ));
    }
    // What the checks read: the team, the member the visit goes to, the
    // household and the blackouts, never the whole register (a team of
    // 200,000 households would be read for one visit).
    let member_id = patch.member_id.unwrap_or(visit.member_id);
    let Some(mut snapshot) = snapshot::team_snapshot_part(
        store.connection(),
        plan.team_id,
        &[member_id],
        &[visit.household_id],
    )
    .await?
    else {
        return Err(ServiceError::not_found("team", plan.team_id));
    };
    let zone = team_zone(&snapshot)?;
    let mut changed = visit.clone();
    let mut detail = serde_json::Map::new();
    if moves {
        snapshot.blackouts = blackouts::team_blackouts(store.connection(), plan.team_id).await?;
        let start = patch.start.unwrap_or(visit.start);
        let end = start + (visit.end - visit.start);
        let Some(member) = snapshot
            .members
            .iter()
            .find(|m| m.id == member_id && m.active)
        else {
            return Err(ServiceError::invalid(
                "member_id",
                format!("thành viên {member_id} không thuộc tổ hoặc đã nghỉ"),
                format!("member {member_id} is not an active member of the team"),
            ));
        };
        if start < plan.horizon_start || end > plan.horizon_end {
            return Err(ServiceError::invalid(
                "start",
                format!(
                    "giờ mới nằm ngoài kế hoạch ({} – {})",
                    reader::local_rfc3339(plan.horizon_start, zone),
                    reader::local_rfc3339(plan.horizon_end, zone)
                ),
                format!(
                    "the new time lies outside the plan ({} – {})",
                    reader::local_rfc3339(plan.horizon_start, zone),
                    reader::local_rfc3339(plan.horizon_end, zone)
                ),
            ));
        }
        let catalog = &*crate::team_stations::team_catalog(store, catalog, plan.team_id).await?;
        let blackouts = parse_blackouts(&snapshot, catalog);
        let ctx =
            ExpansionContext::new(plan.horizon_start, plan.horizon_end, zone, catalog.clone())
                .map_err(|e| ServiceError::Internal(format!("expansion: {e}")))?;
        let mapped = reader::read(&reader::ReaderInput {
            snapshot: &snapshot,
            ctx: &ctx,
            rules: RuleContext::from_catalog(catalog),
            blackouts: &blackouts,
            pinned: &[],
            skip_jobs: &BTreeSet::new(),
        });
        let (Some(job), Some(household)) = (
            mapped.jobs.get(&visit.job),
            mapped
                .instance
                .households
                .iter()
                .find(|h| h.id == visit.job),
        ) else {
            return Err(ServiceError::Conflict(
                "hộ này không còn việc cần làm hoặc không còn được xếp lịch".into(),
                "the household has nothing open any more, or can no longer be planned".into(),
            ));
        };
        let volunteer = mapped
            .instance
            .volunteers
            .iter()
            .find(|v| v.id == reader::member_key(member_id))
            .expect("every active member is a volunteer of the instance");
        let (a, b) = (start.timestamp() / 60, end.timestamp() / 60);
        let mut errors = Vec::new();
        let windows = household
            .windows
            .iter()
            .map(reader::span_of)
            .collect::<Vec<_>>();
        if !windows.iter().any(|&(wa, wb)| wa <= a && b <= wb) {
            let (vi, en) = that_day(&windows, a, zone);
            let (when_vi, when_en) = span_words(a, b, zone);
            errors.push(FieldError::new(
                "start",
                format!("hộ không có nhà lúc {when_vi}; hôm đó hộ có nhà: {vi}"),
                format!("the household is not reachable at {when_en}; that day it is: {en}"),
            ));
        }
        let shifts = volunteer
            .shifts
            .iter()
            .map(reader::span_of)
            .collect::<Vec<_>>();
        if !shifts.iter().any(|&(sa, sb)| sa <= a && b <= sb) {
            let (vi, en) = that_day(&shifts, a, zone);
            let (when_vi, when_en) = span_words(a, b, zone);
            errors.push(FieldError::new(
                if patch.member_id.is_some() {
                    "member_id"
                } else {
                    "start"
                },
                format!(
                    "{} không rảnh lúc {when_vi}; hôm đó rảnh: {vi}",
                    member.full_name
                ),
                format!(
                    "{} is not free at {when_en}; that day: {en}",
                    member.full_name
                ),
            ));
        }
        let needs: BTreeSet<Skill> = job
            .residents
            .iter()
            .flat_map(|r| r.needs.iter().map(|n| n.skill()))
            .collect();
        let missing: Vec<&str> = needs
            .iter()
            .filter(|s| !member.skills.contains(s))
            .map(|s| s.label_vi())
            .collect();
        if !missing.is_empty() {
            errors.push(FieldError::new(
                "member_id",
                format!(
                    "{} chưa có kỹ năng: {}",
                    member.full_name,
                    missing.join(", ")
                ),
                format!(
                    "{} lacks the skills: {}",
                    member.full_name,
                    needs
                        .iter()
                        .filter(|s| !member.skills.contains(s))
                        .map(|s| s.label_en())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if job.mode == VisitMode::Remote && !member.remote_capable {
            errors.push(FieldError::new(
                "member_id",
                format!("{} không gọi video", member.full_name),
                format!("{} does not make video calls", member.full_name),
            ));
        }
        // A visit of the calendar is checked against the member's calendar,
        // a draft's against the draft.
        // A clash starts at most a day before the new time, and the cap
        // counts the visits of its day: the days around it are enough.
        let day = local_midnight(zone, start.with_timezone(&zone).date_naive());
        let (from, to) = (
            day - chrono::Duration::days(1),
            day + chrono::Duration::days(2),
        );
        let others: Vec<VisitRecord> = if visit.on_calendar {
            plans::published_visits(store.connection(), plan.team_id, Some(member_id), from, to)
                .await?
        } else {
            plans::plan_member_visits(store.connection(), plan.id, member_id, from, to).await?
        }
        .into_iter()
        .filter(|v| {
            v.id != visit.id && v.member_id == member_id && v.status != VisitStatus::Cancelled
        })
        .collect();
        if let Some(clash) = others.iter().find(|v| v.start < end && start < v.end) {
            let (vi, en) = span_words(
                clash.start.timestamp() / 60,
                clash.end.timestamp() / 60,
                zone,
            );
            errors.push(FieldError::new(
                "start",
                format!(
                    "trùng giờ với lượt thăm #{} ({vi}) của {}",
                    clash.id, member.full_name
                ),
                format!(
                    "overlaps visit #{} ({en}) of {}",
                    clash.id, member.full_name
                ),
            ));
        }
        let day = start.with_timezone(&zone).date_naive();
        let same_day = others
            .iter()
            .filter(|v| v.start.with_timezone(&zone).date_naive() == day)
            .count();
        if same_day as u32 >= member.daily_visit_cap {
            errors.push(FieldError::new(
                "start",
                format!(
                    "{} đã có {same_day} lượt thăm ngày {}, tối đa {} lượt một ngày",
                    member.full_name,
                    day.format("%d/%m/%Y"),
                    member.daily_visit_cap
                ),
                format!(
                    "{} already has {same_day} visits on {}, at most {} a day",
                    member.full_name, day, member.daily_visit_cap
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let (residents, purposes) = job.expected(a, b);
        detail.insert(
            "from".into(),
            serde_json::json!({"member": visit.member_id, "start": visit.start}),
        );
        detail.insert(
            "to".into(),
            serde_json::json!({"member": member_id, "start": start}),
        );
        changed.member_id = member_id;
        changed.start = start;
        changed.end = end;
        changed.residents = residents;
        changed.purposes = purposes;
        // A visit the leader placed by hand stays where it is in re-plans.
        changed.pinned = true;
    }
    if let Some(status) = patch.status {
        detail.insert("status".into(), status.code().into());
        changed.status = status;
    }
    if let Some(pinned) = patch.pinned {
        detail.insert("pinned".into(), pinned.into());
        changed.pinned = pinned;
    }
    if changed == visit {
        return Ok((visit, zone));
    }
    let saved = plans::update_visit(
        store.connection(),
        &changed,
        &actor.label(),
        serde_json::Value::Object(detail),
        now,
    )
    .await?;
    Ok((saved, zone))
}

/// The answer for a visit that publishing another plan took off the
/// calendar: it is history now.
pub(crate) fn replaced_visit(visit: &VisitRecord) -> ServiceError {
    match visit.replaced_by {
        Some(plan) => ServiceError::Conflict(
            format!(
                "lượt thăm #{} đã được thay bằng lịch của kế hoạch #{plan}, không còn trong lịch",
                visit.id
            ),
            format!(
                "visit #{} was replaced by plan #{plan}'s calendar; it is no longer on the calendar",
                visit.id
            ),
        ),
        None => ServiceError::Conflict(
            format!("lượt thăm #{} không có trong lịch của tổ", visit.id),
            format!("visit #{} is not on the team's calendar", visit.id),
        ),
    }
}
