//! A team's calendar, a week at a time: what the team's page shows.
//!
//! Everyone who sees the team sees its calendar: on each day, the visits on
//! the team's calendar, whichever published plan made them, grouped by
//! member, with the blackouts that fall on the day (and the visits they
//! fall on), and the plans' unmet households and their reasons. Who may lead the team
//! (its leader, an administrator) also learns of the newest draft, and may
//! look at the week as that draft would make it.
//!
//! It reads the team, its plans and, of its register, only the households
//! the week and its plans name, in a handful of queries, and changes
//! nothing. A team outside the actor's scope is not found; a draft is
//! never shown to anyone who may not lead the team.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use doorstep_core::rules::ExpansionContext;
use doorstep_core::{NeedStep, PlanStatus, UnmetReason, VisitMode, VisitStatus};
use doorstep_store::Store;
use doorstep_store::repo::plans::{self, PlanRecord, UnmetRecord, VisitRecord};
use doorstep_store::repo::snapshot::{self, HouseholdRecord, TeamSnapshot};
use doorstep_store::repo::teams;
use doorstep_tide::Catalog;

use crate::access::Actor;
use crate::daylist::{DayHeading, day_heading};
use crate::error::ServiceError;
use crate::planning::changes::blackout_spans;
use crate::planning::{local_midnight, parse_blackouts, zone_named};

/// Days a calendar page shows.
pub const WEEK_DAYS: u64 = 7;

/// Which plan the week is shown from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Showing {
    /// The published calendar, as the volunteers see it.
    #[default]
    Published,
    /// The newest draft, for who may lead the team.
    Draft,
}

/// A team's week.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamWeek {
    /// The team.
    pub team_id: i32,
    /// Its name.
    pub team_name: String,
    /// Its zone: every time of the week is in it.
    pub zone: Tz,
    /// Today in the team's zone.
    pub today: NaiveDate,
    /// The first day shown.
    pub from: NaiveDate,
    /// What is shown: the published calendar, or the draft (only when there
    /// is one and the actor may lead the team).
    pub showing: Showing,
    /// The days, each with its members' visits.
    pub days: Vec<CalendarDay>,
    /// The plans the week's visits come from, by first day, each with its
    /// summary and what it leaves out.
    pub plans: Vec<WeekPlan>,
    /// The team's published plans, by first day, to find other weeks.
    pub published: Vec<PlanRecord>,
    /// The newest draft, with its summary; only for who may lead the team.
    pub draft: Option<WeekPlan>,
    /// Whether the actor may lead the team (publish, read members' days).
    pub may_lead: bool,
}

/// One day of the calendar.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarDay {
    /// The date, in the team's calendar.
    pub date: NaiveDate,
    /// Its title, solar and lunar.
    pub heading: DayHeading,
    /// The members with visits that day, by id.
    pub members: Vec<MemberDay>,
    /// The moon's phase that falls on the day, and when (the team's zone).
    pub moon: Option<(doorstep_lunar::Phase, DateTime<Tz>)>,
    /// The high and low waters of the day at the team's tide station.
    pub waters: Vec<Water>,
    /// The day's heights at the station, metres, every half hour from local
    /// midnight (49 values, empty without a station).
    pub tide_curve: Vec<f64>,
    /// The blackouts that fall on the day: (label, whole team or the
    /// village's name).
    pub blackouts: Vec<(String, Option<String>)>,
}

/// A high or low water.
#[derive(Clone, Debug, PartialEq)]
pub struct Water {
    /// When, in the team's zone.
    pub at: DateTime<Tz>,
    /// High water (else low).
    pub high: bool,
    /// Height above the station's datum, metres.
    pub height_m: f64,
}

/// One member's visits of a day.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberDay {
    /// The member.
    pub member_id: i32,
    /// Their name.
    pub name: String,
    /// Visits a day, at most.
    pub daily_visit_cap: u32,
    /// Visits that day, not cancelled.
    pub count: usize,
    /// The visits, by start (cancelled ones too).
    pub visits: Vec<CalendarVisit>,
}

/// A visit as the calendar shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarVisit {
    /// Id.
    pub id: i32,
    /// Start, in the team's zone.
    pub start: DateTime<Tz>,
    /// End, in the team's zone.
    pub end: DateTime<Tz>,
    /// In person or remote.
    pub mode: VisitMode,
    /// Where it stands.
    pub status: VisitStatus,
    /// What it is for.
    pub purposes: Vec<NeedStep>,
    /// Kept exactly by re-plans.
    pub pinned: bool,
    /// Where.
    pub household: CalendarHousehold,
    /// The names of the residents it expects.
    pub residents: Vec<String>,
    /// The label of a blackout it falls in: a re-plan moves it.
    pub blackout: Option<String>,
}

/// A household as the calendar names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarHousehold {
    /// Id.
    pub id: i32,
    /// The register's key ("HT-0012"); `#id` when the team no longer holds it.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Its village.
    pub village: Option<String>,
}

/// A plan of the week with its figures and what it leaves out.
#[derive(Clone, Debug, PartialEq)]
pub struct WeekPlan {
    /// The plan.
    pub plan: PlanRecord,
    /// Visits in the whole plan, not cancelled.
    pub visits: usize,
    /// Unmet entries by reason, in the reasons' order.
    pub unmet_by_reason: Vec<(UnmetReason, usize)>,
    /// What it leaves out, by household.
    pub unmet: Vec<CalendarUnmet>,
}

/// A household (or one resident of it) a plan leaves out, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarUnmet {
    /// The household.
    pub household: CalendarHousehold,
    /// The resident's name, when the reason is the resident's.
    pub resident: Option<String>,
    /// Why.
    pub reason: UnmetReason,
    /// Why, in a sentence, in Vietnamese.
    pub explanation_vi: String,
    /// The same in English.
    pub explanation_en: String,
}

/// The team's week from `from` (today in the team's zone when `None`), from
/// its published plans or, when asked by who may lead it, its newest draft.
///
/// # Errors
/// The team does not exist or is out of the actor's scope (not found), the
/// week is outside 1800–2199 (field `from`), or the store fails.
pub async fn team_week(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    team_id: i32,
    from: Option<NaiveDate>,
    showing: Showing,
    now: DateTime<Utc>,
) -> Result<TeamWeek, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    let may_lead = actor.may_lead_team(store, team_id).await?;
    let db = store.connection();
    let team = teams::find_team(db, team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    let zone = zone_named(&team.timezone)?;
    let catalog = &*crate::team_stations::team_catalog(store, catalog, team_id).await?;
    let today = now.with_timezone(&zone).date_naive();
    let from = from.unwrap_or(today);
    check_week(from)?;
    let (start, end) = (
        local_midnight(zone, from),
        local_midnight(zone, from + Days::new(WEEK_DAYS)),
    );
    let all = plans::team_plans(db, team_id).await?;
    let draft = all
        .iter()
        .find(|p| may_lead && p.status == PlanStatus::Draft)
        .cloned();
    let mut published: Vec<PlanRecord> = all
        .into_iter()
        .filter(|p| p.status == PlanStatus::Published)
        .collect();
    published.sort_by_key(|p| (p.start_date, p.id));

    let showing = if draft.is_some() {
        showing
    } else {
        Showing::Published
    };
    let (week_visits, shown): (Vec<VisitRecord>, Vec<PlanRecord>) = match &draft {
        Some(draft) if showing == Showing::Draft => {
            let visits = plans::plan_visits(db, draft.id).await?;
            let week = visits
                .into_iter()
                .filter(|v| v.start >= start && v.start < end)
                .collect();
            (week, vec![draft.clone()])
        }
        _ => {
            let visits = plans::published_visits(db, team_id, None, start, end).await?;
            let ids: std::collections::BTreeSet<i32> = visits.iter().map(|v| v.plan_id).collect();
            let made_by = published
                .iter()
                .filter(|p| ids.contains(&p.id))
                .cloned()
                .collect();
            (visits, made_by)
        }
    };
    // Of the register, only the households the week and its plans name.
    let mut summaries = Vec::new();
    for plan in shown
        .iter()
        .chain(draft.iter().filter(|_| showing != Showing::Draft))
    {
        let count = plans::plan_visit_count(db, plan.id).await?;
        let unmet = plans::plan_unmet(db, plan.id).await?;
        summaries.push((plan.clone(), count, unmet));
    }
    let named: Vec<i32> = week_visits
        .iter()
        .map(|v| v.household_id)
        .chain(
            summaries
                .iter()
                .flat_map(|(_, _, u)| u.iter().map(|u| u.household_id)),
        )
        .collect::<std::collections::BTreeSet<i32>>()
        .into_iter()
        .collect();
    let snapshot = snapshot::team_calendar_snapshot(db, team_id, &named)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    let households: BTreeMap<i32, &HouseholdRecord> =
        snapshot.households.iter().map(|h| (h.id, h)).collect();
    let mut summaries = summaries
        .into_iter()
        .map(|(plan, count, unmet)| week_plan(plan, count, &unmet, &households));
    let plans_shown: Vec<WeekPlan> = summaries.by_ref().take(shown.len()).collect();
    let draft = match draft {
        Some(_) if showing == Showing::Draft => plans_shown.first().cloned(),
        Some(_) => summaries.next(),
        None => None,
    };
    let week = TeamWeek {
        team_id,
        team_name: snapshot.team.name.clone(),
        zone,
        today,
        from,
        showing,
        days: week_days(
            &snapshot,
            zone,
            from,
            WEEK_DAYS,
            &week_visits,
            &week_blackouts(&snapshot, catalog, zone, start, end),
        ),
        plans: plans_shown,
        published,
        draft,
        may_lead,
    };
    let mut week = week;
    add_sky(
        &mut week.days,
        catalog,
        snapshot.team.tide_station.as_deref(),
        zone,
        (start, end),
    );
    Ok(match actor.register_reach() {
        Some(member_id) => week.within_reach(member_id),
        None => week,
    })
}

/// The moon's phases and, for a team with a tide station, the high and
/// low waters, each on the day (in the team's zone) it falls on.
fn add_sky(
    days: &mut [CalendarDay],
    catalog: &Catalog,
    station: Option<&str>,
    zone: Tz,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) {
    let day_of = |at: DateTime<Utc>| at.with_timezone(&zone).date_naive();
    for phase in doorstep_lunar::phases(start, end).unwrap_or_default() {
        if let Some(day) = days.iter_mut().find(|d| d.date == day_of(phase.at)) {
            day.moon = Some((phase.phase, phase.at.with_timezone(&zone)));
        }
    }
    let Some(predictor) = station.and_then(|id| catalog.predictor(id)) else {
        return;
    };
    for day in days.iter_mut() {
        day.tide_curve = predictor.heights(local_midnight(zone, day.date), 1800, 49);
    }
    for extreme in predictor.extremes(start, end) {
        if let Some(day) = days.iter_mut().find(|d| d.date == day_of(extreme.at)) {
            day.waters.push(Water {
                at: extreme.at.with_timezone(&zone),
                high: extreme.kind == doorstep_tide::ExtremeKind::High,
                height_m: extreme.height_m,
            });
        }
    }
}

impl TeamWeek {
    /// The week as a volunteer reads it: every visit with its register key
    /// and village, but the address only of their own visits, and what the
    /// plans leave out only counted (its entries name residents).
    fn within_reach(mut self, member_id: i32) -> Self {
        for member in self.days.iter_mut().flat_map(|d| d.members.iter_mut()) {
            if member.member_id != member_id {
                for visit in &mut member.visits {
                    visit.household.address.clear();
                    visit.residents.clear();
                }
            }
        }
        for plan in self.plans.iter_mut().chain(self.draft.iter_mut()) {
            plan.unmet.clear();
        }
        self
    }
}

fn check_week(from: NaiveDate) -> Result<(), ServiceError> {
    let last = doorstep_lunar::LAST_DATE - Days::new(WEEK_DAYS - 1);
    if from < doorstep_lunar::FIRST_DATE || from > last {
        return Err(ServiceError::invalid(
            "from",
            format!("tuần phải nằm trong 1800–2199, nhận ngày đầu {from}"),
            format!("the week must lie within 1800–2199, got a first day of {from}"),
        ));
    }
    Ok(())
}

pub(crate) fn calendar_household(
    households: &BTreeMap<i32, &HouseholdRecord>,
    id: i32,
) -> CalendarHousehold {
    match households.get(&id) {
        Some(h) => CalendarHousehold {
            id,
            external_id: h.external_id.clone(),
            address: h.address.clone(),
            village: h.village.clone(),
        },
        None => CalendarHousehold {
            id,
            external_id: format!("#{id}"),
            address: String::new(),
            village: None,
        },
    }
}

/// How many of these visits are not cancelled.
pub(crate) fn not_cancelled(visits: &[VisitRecord]) -> usize {
    visits
        .iter()
        .filter(|v| v.status != VisitStatus::Cancelled)
        .count()
}

pub(crate) fn week_plan(
    plan: PlanRecord,
    visits: usize,
    unmet: &[UnmetRecord],
    households: &BTreeMap<i32, &HouseholdRecord>,
) -> WeekPlan {
    let mut by_reason: BTreeMap<UnmetReason, usize> = BTreeMap::new();
    for u in unmet {
        *by_reason.entry(u.reason).or_default() += 1;
    }
    WeekPlan {
        plan,
        visits,
        unmet_by_reason: by_reason.into_iter().collect(),
        unmet: unmet
            .iter()
            .map(|u| {
                let household = households.get(&u.household_id);
                CalendarUnmet {
                    household: calendar_household(households, u.household_id),
                    resident: u.resident_id.and_then(|id| {
                        household?
                            .residents
                            .iter()
                            .find(|r| r.id == id)
                            .map(|r| r.full_name.clone())
                    }),
                    reason: u.reason,
                    explanation_vi: u.explanation_vi.clone(),
                    explanation_en: u.explanation_en.clone(),
                }
            })
            .collect(),
    }
}

/// A blackout over the week: its label, its village, its minutes.
pub(crate) struct WeekBlackout {
    label: String,
    village: Option<i32>,
    mode: Option<VisitMode>,
    spans: Vec<(i64, i64)>,
}

pub(crate) fn week_blackouts(
    snapshot: &TeamSnapshot,
    catalog: &Catalog,
    zone: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<WeekBlackout> {
    let parsed = parse_blackouts(snapshot, catalog);
    if parsed.is_empty() {
        return Vec::new();
    }
    let Ok(ctx) = ExpansionContext::new(start, end, zone, catalog.clone()) else {
        return Vec::new();
    };
    parsed
        .into_iter()
        .map(|b| WeekBlackout {
            spans: blackout_spans(&ctx, &b.blackout),
            label: b.blackout.label,
            village: b.village_id,
            mode: b.blackout.mode,
        })
        .filter(|b| !b.spans.is_empty())
        .collect()
}

/// The `days` days from `from`, each with the visits that start on it in the
/// team's zone, grouped by member (by id), each member's by start, and the
/// blackouts that fall on it.
pub(crate) fn week_days(
    snapshot: &TeamSnapshot,
    zone: Tz,
    from: NaiveDate,
    days: u64,
    visits: &[VisitRecord],
    blackouts: &[WeekBlackout],
) -> Vec<CalendarDay> {
    let overlaps =
        |spans: &[(i64, i64)], a: i64, b: i64| spans.iter().any(|&(s, e)| s < b && a < e);
    let village_name = |id: i32| {
        snapshot
            .villages
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    };
    let households: BTreeMap<i32, &HouseholdRecord> =
        snapshot.households.iter().map(|h| (h.id, h)).collect();
    let mut by_day: BTreeMap<NaiveDate, BTreeMap<i32, Vec<&VisitRecord>>> = BTreeMap::new();
    for v in visits {
        let date = v.start.with_timezone(&zone).date_naive();
        by_day
            .entry(date)
            .or_default()
            .entry(v.member_id)
            .or_default()
            .push(v);
    }
    (0..days)
        .map(|offset| {
            let date = from + Days::new(offset);
            let members = by_day
                .remove(&date)
                .unwrap_or_default()
                .into_iter()
                .map(|(member_id, mut visits)| {
                    visits.sort_by_key(|v| (v.start, v.id));
                    let member = snapshot.members.iter().find(|m| m.id == member_id);
                    MemberDay {
                        member_id,
                        name: member
                            .map_or_else(|| format!("#{member_id}"), |m| m.full_name.clone()),
                        daily_visit_cap: member.map_or(0, |m| m.daily_visit_cap),
                        count: visits
                            .iter()
                            .filter(|v| v.status != VisitStatus::Cancelled)
                            .count(),
                        visits: visits
                            .into_iter()
                            .map(|v| CalendarVisit {
                                id: v.id,
                                start: v.start.with_timezone(&zone),
                                end: v.end.with_timezone(&zone),
                                mode: v.mode,
                                status: v.status,
                                purposes: v.purposes.clone(),
                                pinned: v.pinned,
                                household: calendar_household(&households, v.household_id),
                                residents: households
                                    .get(&v.household_id)
                                    .map(|h| {
                                        v.residents
                                            .iter()
                                            .filter_map(|id| {
                                                h.residents.iter().find(|r| r.id == *id)
                                            })
                                            .map(|r| r.full_name.clone())
                                            .collect()
                                    })
                                    .unwrap_or_default(),
                                blackout: blackouts
                                    .iter()
                                    .find(|b| {
                                        b.mode.is_none_or(|m| m == v.mode)
                                            && (b.village.is_none()
                                                || b.village
                                                    == households
                                                        .get(&v.household_id)
                                                        .and_then(|h| h.village_id))
                                            && overlaps(
                                                &b.spans,
                                                v.start.timestamp() / 60,
                                                v.end.timestamp() / 60,
                                            )
                                    })
                                    .map(|b| b.label.clone()),
                            })
                            .collect(),
                    }
                })
                .collect();
            let (day_start, day_end) = (
                local_midnight(zone, date).timestamp() / 60,
                local_midnight(zone, date + Days::new(1)).timestamp() / 60,
            );
            CalendarDay {
                date,
                heading: day_heading(date),
                members,
                moon: None,
                waters: Vec::new(),
                tide_curve: Vec::new(),
                blackouts: blackouts
                    .iter()
                    .filter(|b| overlaps(&b.spans, day_start, day_end))
                    .map(|b| (b.label.clone(), b.village.map(village_name)))
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use doorstep_core::{MemberRole, Presence};
    use doorstep_store::repo::snapshot::{MemberRecord, TeamRecord};

    use super::*;

    fn member(id: i32, name: &str) -> MemberRecord {
        MemberRecord {
            id,
            full_name: name.into(),
            role: MemberRole::Volunteer,
            skills: Vec::new(),
            daily_visit_cap: 4,
            remote_capable: false,
            home: None,
            availability: None,
            active: true,
            email: None,
            phone: None,
            language: doorstep_core::Language::Vi,
        }
    }

    fn household(id: i32, key: &str) -> HouseholdRecord {
        HouseholdRecord {
            id,
            external_id: key.into(),
            address: format!("Số {id}, thôn Bắc"),
            village_id: None,
            village: Some("Thôn Bắc".into()),
            location: None,
            village_centre: None,
            priority: None,
            service_minutes: None,
            residents: vec![doorstep_store::repo::snapshot::ResidentRecord {
                id: id * 10,
                external_id: "1".into(),
                full_name: format!("Người {id}"),
                phone: None,
                presence: Presence::Home,
                country: None,
                timezone: None,
                availability: None,
                consent: true,
                open_needs: Vec::new(),
                held_needs: Vec::new(),
                attempts: 0,
            }],
        }
    }

    fn visit(
        id: i32,
        member_id: i32,
        household_id: i32,
        utc: (u32, u32),
        status: VisitStatus,
    ) -> VisitRecord {
        let start = Utc.with_ymd_and_hms(2026, 12, utc.0, utc.1, 0, 0).unwrap();
        VisitRecord {
            id,
            plan_id: 1,
            household_id,
            member_id,
            start,
            end: start + chrono::Duration::minutes(30),
            mode: VisitMode::InPerson,
            purposes: vec![NeedStep::VneidInstall],
            residents: vec![household_id * 10],
            status,
            pinned: id == 3,
            job: format!("h{household_id}"),
            updated_at: start,
            on_calendar: true,
            replaced_by: None,
        }
    }

    fn snapshot() -> TeamSnapshot {
        TeamSnapshot {
            team: TeamRecord {
                id: 1,
                name: "Tổ Bắc".into(),
                area_id: 1,
                timezone: "Asia/Ho_Chi_Minh".into(),
                tide_station: None,
                centre: None,
            },
            members: vec![member(1, "Lan"), member(2, "Hùng")],
            households: vec![household(7, "HT-0007"), household(8, "HT-0008")],
            blackouts: Vec::new(),
            villages: std::collections::BTreeMap::new(),
        }
    }

    #[test]
    fn visits_fall_on_their_local_day_grouped_by_member() {
        let zone = chrono_tz::Asia::Ho_Chi_Minh;
        let visits = [
            // 18:00 UTC on the 1st is 01:00 on the 2nd in Vietnam.
            visit(1, 2, 7, (1, 18), VisitStatus::Proposed),
            visit(2, 1, 8, (2, 3), VisitStatus::Cancelled),
            visit(3, 1, 7, (2, 1), VisitStatus::Confirmed),
            visit(4, 1, 7, (9, 1), VisitStatus::Proposed),
        ];
        let days = week_days(
            &snapshot(),
            zone,
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            WEEK_DAYS,
            &visits,
            &[],
        );
        assert_eq!(days.len(), 7);
        assert!(days[0].members.is_empty(), "{:?}", days[0]);
        assert_eq!(days[1].heading.vi, "Thứ Tư 02/12/2026 · 24/10 âm lịch");
        let members: Vec<(&str, usize, usize)> = days[1]
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.count, m.visits.len()))
            .collect();
        assert_eq!(members, [("Lan", 1, 2), ("Hùng", 1, 1)]);
        let lan = &days[1].members[0];
        assert_eq!(lan.visits[0].id, 3, "by start");
        assert!(lan.visits[0].pinned);
        assert_eq!(lan.visits[0].start.format("%H:%M").to_string(), "08:00");
        assert_eq!(lan.visits[0].household.external_id, "HT-0007");
        assert_eq!(lan.visits[0].residents, ["Người 7"]);
        assert!(
            days.iter()
                .all(|d| d.members.iter().all(|m| m.visits.iter().all(|v| v.id != 4))),
            "the 9th is outside the week"
        );
    }

    #[test]
    fn unmet_households_are_named_and_counted_by_reason() {
        let snapshot = snapshot();
        let households: BTreeMap<i32, &HouseholdRecord> =
            snapshot.households.iter().map(|h| (h.id, h)).collect();
        let unmet = [
            UnmetRecord {
                household_id: 8,
                resident_id: Some(80),
                reason: UnmetReason::NoConsent,
                explanation_vi: "chưa có đồng ý".into(),
                explanation_en: "no consent".into(),
            },
            UnmetRecord {
                household_id: 99,
                resident_id: None,
                reason: UnmetReason::NoWindow,
                explanation_vi: "không có giờ".into(),
                explanation_en: "no time".into(),
            },
        ];
        let visits = [
            visit(1, 1, 7, (2, 1), VisitStatus::Proposed),
            visit(2, 1, 7, (2, 2), VisitStatus::Cancelled),
        ];
        let plan = PlanRecord {
            id: 1,
            team_id: 1,
            status: PlanStatus::Draft,
            start_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            days: 7,
            horizon_start: Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap(),
            horizon_end: Utc.with_ymd_and_hms(2026, 12, 7, 17, 0, 0).unwrap(),
            figures: Default::default(),
            created_at: Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap(),
            published_at: None,
            created_by: None,
        };
        let week = week_plan(plan, not_cancelled(&visits), &unmet, &households);
        assert_eq!(week.visits, 1);
        assert_eq!(
            week.unmet_by_reason,
            [(UnmetReason::NoWindow, 1), (UnmetReason::NoConsent, 1)]
        );
        assert_eq!(week.unmet[0].household.external_id, "HT-0008");
        assert_eq!(week.unmet[0].resident.as_deref(), Some("Người 8"));
        assert_eq!(week.unmet[1].household.external_id, "#99");
    }

    #[test]
    fn weeks_stay_within_the_lunar_calendar() {
        assert!(check_week(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()).is_ok());
        assert!(check_week(NaiveDate::from_ymd_opt(2199, 12, 25).unwrap()).is_ok());
        assert!(check_week(NaiveDate::from_ymd_opt(2199, 12, 26).unwrap()).is_err());
        assert!(check_week(NaiveDate::from_ymd_opt(1799, 12, 31).unwrap()).is_err());
    }
}
