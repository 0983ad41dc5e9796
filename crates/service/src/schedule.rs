//! What a team leader reads and does to shape the team's calendar, beyond
//! the week: a plan day by day with what publishing it would change, one
//! visit with the team's members to move it to, a visit moved to a day and
//! an hour of the team's clock, and a member's day as a route.
//!
//! Everything here reads through the same checks as the rest of planning:
//! a plan or a visit outside the actor's scope is not found; only who may
//! lead the team reads a plan's days or a visit's sheet, and changes a
//! visit (through [`planning::edit_visit`]).

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use doorstep_core::PlanStatus;
use doorstep_store::Store;
use doorstep_store::repo::plans::{self, PlanRecord, VisitRecord};
use doorstep_store::repo::snapshot::{self, LatLon};
use doorstep_tide::Catalog;

use crate::access::Actor;
use crate::calendar::{
    CalendarDay, CalendarHousehold, WeekPlan, calendar_household, not_cancelled, week_blackouts,
    week_days, week_plan,
};
use crate::daylist::{self, DayList};
use crate::error::{FieldError, ServiceError};
use crate::planning::{
    self, VisitPatch, changes::Changes, find_plan_for, load_snapshot, local_midnight, team_zone,
};

/// A plan read day by day.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanDays {
    /// The team's name.
    pub team_name: String,
    /// The team's zone: every time of the plan is in it.
    pub zone: Tz,
    /// Today in the team's zone.
    pub today: NaiveDate,
    /// The plan's figures and what it leaves out, with reasons.
    pub plan: WeekPlan,
    /// Each of its days, with its visits by member and the blackouts on it:
    /// all of a draft's visits; of a published plan, those still on the
    /// calendar (publishing another plan takes some off).
    pub days: Vec<CalendarDay>,
    /// For a draft: what publishing it would change now, with reasons
    /// (the same as `GET /api/v1/plans/{id}/changes`); empty otherwise.
    pub changes: Changes,
}

/// A plan of a team the actor leads, day by day, with what publishing it
/// would change.
///
/// # Errors
/// Not found (also out of scope, or a draft for who may not lead the
/// team), forbidden for who may see the team but not lead it, or the store
/// fails.
pub async fn plan_days(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    plan_id: i32,
    now: DateTime<Utc>,
) -> Result<PlanDays, ServiceError> {
    let plan = find_plan_for(store, actor, plan_id).await?;
    actor.require_lead(store, plan.team_id).await?;
    let snapshot = load_snapshot(store, plan.team_id).await?;
    let catalog = &*crate::team_stations::team_catalog(store, catalog, plan.team_id).await?;
    let zone = team_zone(&snapshot)?;
    let db = store.connection();
    let visits = plans::plan_visits(db, plan_id).await?;
    let unmet = plans::plan_unmet(db, plan_id).await?;
    let days = u64::from(plan.days.max(1));
    let (start, end) = (
        local_midnight(zone, plan.start_date),
        local_midnight(zone, plan.start_date + Days::new(days)),
    );
    let blackouts = week_blackouts(&snapshot, catalog, zone, start, end);
    let shown: Vec<VisitRecord> = visits
        .iter()
        .filter(|v| plan.status == PlanStatus::Draft || v.on_calendar)
        .cloned()
        .collect();
    let by_day = week_days(&snapshot, zone, plan.start_date, days, &shown, &blackouts);
    let changes = if plan.status == PlanStatus::Draft {
        planning::draft_changes(store, catalog, &plan, &visits, now).await?
    } else {
        Changes::default()
    };
    let households = snapshot.households.iter().map(|h| (h.id, h)).collect();
    Ok(PlanDays {
        team_name: snapshot.team.name.clone(),
        zone,
        today: now.with_timezone(&zone).date_naive(),
        plan: week_plan(plan, not_cancelled(&visits), &unmet, &households),
        days: by_day,
        changes,
    })
}

/// A visit as its leader reads it before changing it.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitSheet {
    /// The visit.
    pub visit: VisitRecord,
    /// Its plan.
    pub plan: PlanRecord,
    /// The team's name.
    pub team_name: String,
    /// The team's zone.
    pub zone: Tz,
    /// Where.
    pub household: CalendarHousehold,
    /// The names of the residents it expects.
    pub residents: Vec<String>,
    /// Who visits.
    pub member_name: String,
    /// The team's active members, by id, to move the visit to.
    pub members: Vec<(i32, String)>,
    /// It may still change: proposed or confirmed, and on the calendar (or
    /// in a draft).
    pub editable: bool,
}

/// A visit of a team the actor leads.
///
/// # Errors
/// Not found (also out of scope), forbidden for who may see the team but
/// not lead it, or the store fails.
pub async fn visit_sheet(
    store: &Store,
    actor: &Actor,
    visit_id: i32,
) -> Result<VisitSheet, ServiceError> {
    use doorstep_core::VisitStatus;
    let db = store.connection();
    let visit = plans::find_visit(db, visit_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("visit", visit_id))?;
    let plan = find_plan_for(store, actor, visit.plan_id)
        .await
        .map_err(|_| ServiceError::not_found("visit", visit_id))?;
    actor.require_lead(store, plan.team_id).await?;
    let part = snapshot::team_snapshot_part(db, plan.team_id, &[], &[visit.household_id])
        .await?
        .ok_or_else(|| ServiceError::not_found("team", plan.team_id))?;
    let zone = team_zone(&part)?;
    let members = doorstep_store::team_members(db, plan.team_id).await?;
    let households = part.households.iter().map(|h| (h.id, h)).collect();
    let residents = part
        .households
        .iter()
        .find(|h| h.id == visit.household_id)
        .map(|h| {
            visit
                .residents
                .iter()
                .filter_map(|id| h.residents.iter().find(|r| r.id == *id))
                .map(|r| r.full_name.clone())
                .collect()
        })
        .unwrap_or_default();
    Ok(VisitSheet {
        editable: matches!(visit.status, VisitStatus::Proposed | VisitStatus::Confirmed)
            && (visit.on_calendar || plan.status == PlanStatus::Draft),
        household: calendar_household(&households, visit.household_id),
        residents,
        member_name: members
            .iter()
            .find(|m| m.id == visit.member_id)
            .map_or_else(|| format!("#{}", visit.member_id), |m| m.full_name.clone()),
        members: members
            .iter()
            .filter(|m| m.active)
            .map(|m| (m.id, m.full_name.clone()))
            .collect(),
        team_name: part.team.name,
        zone,
        visit,
        plan,
    })
}

/// Where to move a visit, as a person says it: a day and an hour of the
/// team's clock, and perhaps another member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoveTo {
    /// The day, in the team's calendar.
    pub date: NaiveDate,
    /// The hour it starts, on the team's clock.
    pub time: NaiveTime,
    /// Another member of the team, or the same.
    pub member_id: Option<i32>,
}

/// The instant a day and an hour of `zone`'s clock name: the earlier of
/// two in the hour a clock goes back; `None` in the hour it skips.
fn local_instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    zone.from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Moves a visit to a day and an hour of the team's clock (and perhaps to
/// another member); a time already past is refused (field `time`), the
/// rest is [`planning::edit_visit`]'s: the household's windows, the
/// member's shifts, skills, other visits and daily cap, each refusal with
/// the times that would work that day. A moved visit is pinned.
///
/// # Errors
/// As [`planning::edit_visit`]; `time` when the hour is past or does not
/// exist on that day.
pub async fn move_visit(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    visit_id: i32,
    to: MoveTo,
    now: DateTime<Utc>,
) -> Result<(VisitRecord, Tz), ServiceError> {
    let visit = plans::find_visit(store.connection(), visit_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("visit", visit_id))?;
    let plan = find_plan_for(store, actor, visit.plan_id)
        .await
        .map_err(|_| ServiceError::not_found("visit", visit_id))?;
    actor.require_lead(store, plan.team_id).await?;
    let zone = planning::team_zone_of(store, plan.team_id).await?;
    let when = format!("{} {}", to.date.format("%d/%m/%Y"), to.time.format("%H:%M"));
    let start = local_instant(zone, to.date, to.time).ok_or_else(|| {
        ServiceError::invalid(
            "time",
            format!("{when} không có trên đồng hồ của tổ (giờ đổi mùa)"),
            format!("{when} does not exist on the team's clock (a daylight-saving change)"),
        )
    })?;
    if start < now {
        return Err(ServiceError::Invalid(vec![FieldError::new(
            "time",
            format!("{when} đã qua: hãy chọn một giờ từ bây giờ trở đi"),
            format!("{when} is already past: choose a time from now on"),
        )]));
    }
    let patch = VisitPatch {
        member_id: to.member_id.filter(|m| *m != visit.member_id),
        start: Some(start),
        status: None,
        pinned: None,
    };
    planning::edit_visit(store, catalog, actor, visit_id, &patch, now).await
}

/// A member's day as a route: the day's list in visit order, and the
/// team's base.
#[derive(Clone, Debug, PartialEq)]
pub struct DayRoute {
    /// The day's visits in route order, with their households' places.
    pub list: DayList,
    /// The centre of the team's area, when known: where the team meets.
    pub base: Option<LatLon>,
}

/// A member's day as a route, for who may read the member's day
/// ([`daylist::day_list`]: the member, their leader, an official).
///
/// # Errors
/// As [`daylist::day_list`].
pub async fn day_route(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    member_id: i32,
    date: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<DayRoute, ServiceError> {
    let list = daylist::day_list(store, catalog, actor, member_id, date, now).await?;
    let base = snapshot::member_team_record(store.connection(), member_id)
        .await?
        .and_then(|(team, _)| team.centre);
    Ok(DayRoute { list, base })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_and_an_hour_are_read_on_the_team_clock() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let time = NaiveTime::from_hms_opt(8, 30, 0).unwrap();
        let at = local_instant(chrono_tz::Asia::Ho_Chi_Minh, date, time).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-08T01:30:00+00:00");
        // 02:30 does not exist in Berlin on 29 March 2026.
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let skipped = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        assert_eq!(
            local_instant(chrono_tz::Europe::Berlin, spring, skipped),
            None
        );
    }
}
