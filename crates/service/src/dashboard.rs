//! What a team's leader looks at first, and the reads behind the team's
//! administration: the needs of the residents by step and how far each
//! stands, this week's visits of the published calendar day by day, what
//! the latest published plan could not fit and why, the blackouts to come
//! with the visits they fall on, the team's villages, and a member's free
//! time split into its usual hours and their leave.
//!
//! Everyone who may see the team reads the dashboard (a volunteer and an
//! official too): it holds counts, never a resident's name. The member and
//! blackout reads are for whoever may see the team; changing them stays
//! with [`crate::records::edit_member`] and [`crate::blackouts`], which
//! check that the actor leads the team.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use doorstep_core::rules::{Blackout, ExpansionContext, Lang, Rule, RuleContext, describe};
use doorstep_core::{NeedStatus, NeedStep, OutcomeResult, PlanStatus, UnmetReason, VisitStatus};
use doorstep_store::Store;
use doorstep_store::repo::plans;
use doorstep_tide::Catalog;
use serde_json::{Value, json};

use crate::access::Actor;
use crate::blackouts::{self, BlackoutView};
use crate::daylist::{DayHeading, day_heading};
use crate::error::{FieldError, ServiceError};
use crate::planning::local_midnight;
use crate::teams::{self, TeamOverview};

/// How far ahead the blackouts "to come" are looked for.
const BLACKOUT_HORIZON_DAYS: i64 = 120;

/// A team at a glance.
#[derive(Clone, Debug, PartialEq)]
pub struct Dashboard {
    /// The team with its counts.
    pub team: TeamOverview,
    /// Its zone: every day and time of the dashboard is in it.
    pub zone: Tz,
    /// Today in the team's zone.
    pub today: NaiveDate,
    /// Whether the actor leads the team (may change what the dashboard
    /// links to).
    pub may_lead: bool,
    /// The residents' needs, one row per step in the pipeline's order.
    pub needs: Vec<NeedRow>,
    /// This week, Monday to Sunday, in the team's zone.
    pub week: Vec<WeekDay>,
    /// What the latest published plan left out, by reason.
    pub unmet: Option<UnmetSummary>,
    /// The blackouts not over yet, soonest first.
    pub blackouts: Vec<TeamBlackout>,
}

/// The needs of one step, by how far they stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeedRow {
    /// The step.
    pub step: NeedStep,
    /// Open, and no visit has recorded a result for it yet.
    pub not_started: u64,
    /// Open, tried at a visit: not at home, another time, or waiting for
    /// an appointment.
    pub in_progress: u64,
    /// Open, and the resident refused at the last visit.
    pub refused: u64,
    /// Done.
    pub done: u64,
    /// Not applicable.
    pub not_applicable: u64,
}

impl NeedRow {
    fn new(step: NeedStep) -> NeedRow {
        NeedRow {
            step,
            not_started: 0,
            in_progress: 0,
            refused: 0,
            done: 0,
            not_applicable: 0,
        }
    }

    /// Still open, whatever was tried.
    pub fn open(&self) -> u64 {
        self.not_started + self.in_progress + self.refused
    }

    /// Every need of the step.
    pub fn total(&self) -> u64 {
        self.open() + self.done + self.not_applicable
    }
}

/// One day of this week on the team's published calendar.
#[derive(Clone, Debug, PartialEq)]
pub struct WeekDay {
    /// The date, in the team's zone.
    pub date: NaiveDate,
    /// Its title, solar and lunar.
    pub heading: DayHeading,
    /// Whether it is today.
    pub today: bool,
    /// Visits on the calendar that day (not cancelled).
    pub planned: usize,
    /// Of them, done.
    pub done: usize,
    /// Of them, nobody met (not at home).
    pub not_home: usize,
    /// Of them, still proposed or confirmed.
    pub to_come: usize,
}

/// What a published plan left out, by reason.
#[derive(Clone, Debug, PartialEq)]
pub struct UnmetSummary {
    /// The plan.
    pub plan_id: i32,
    /// Its first day.
    pub start_date: NaiveDate,
    /// Its number of days.
    pub days: u32,
    /// Households left out for each reason, in the reasons' order (a
    /// household counted once per reason).
    pub by_reason: Vec<(UnmetReason, usize)>,
    /// Households left out, each once.
    pub households: usize,
}

/// A blackout of the team, in the team's zone, with the calendar's visits
/// to come that it falls on.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamBlackout {
    /// Id.
    pub id: i32,
    /// What it is ("Bão số 9").
    pub label: String,
    /// The village it is for; `None` for the whole team.
    pub village: Option<String>,
    /// The period and what stops, in Vietnamese.
    pub description_vi: String,
    /// In English.
    pub description_en: String,
    /// Its first stretch not over yet (cut at now when it has begun);
    /// `None` when it is over.
    pub next: Option<(DateTime<Tz>, DateTime<Tz>)>,
    /// Whether it has begun and is not over.
    pub ongoing: bool,
    /// The calendar's visits still to come inside it, by start.
    pub affected: Vec<AffectedVisit>,
}

/// A visit of the calendar a blackout falls on.
#[derive(Clone, Debug, PartialEq)]
pub struct AffectedVisit {
    /// Id.
    pub id: i32,
    /// Start, in the team's zone.
    pub start: DateTime<Tz>,
    /// End.
    pub end: DateTime<Tz>,
    /// Who visits.
    pub member: String,
    /// The register's key of the household.
    pub household_key: String,
    /// Its address.
    pub address: String,
}

/// The team's dashboard.
///
/// # Errors
/// The team does not exist or is out of the actor's scope (not found), or
/// the store fails.
pub async fn team_dashboard(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    team_id: i32,
    now: DateTime<Utc>,
) -> Result<Dashboard, ServiceError> {
    let team = teams::team(store, actor, team_id).await?;
    let may_lead = actor.may_lead_team(store, team_id).await?;
    let zone: Tz = team
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let today = now.with_timezone(&zone).date_naive();
    let db = store.connection();

    let mut needs: Vec<NeedRow> = NeedStep::ALL.iter().map(|s| NeedRow::new(*s)).collect();
    for tally in doorstep_store::team_need_tallies(db, team_id).await? {
        let Some(row) = needs.iter_mut().find(|r| r.step == tally.step) else {
            continue;
        };
        let slot = match (tally.status, tally.last_result) {
            (NeedStatus::Done, _) => &mut row.done,
            (NeedStatus::NotApplicable, _) => &mut row.not_applicable,
            (NeedStatus::Open, None | Some(OutcomeResult::Done)) => &mut row.not_started,
            (NeedStatus::Open, Some(OutcomeResult::Refused)) => &mut row.refused,
            (
                NeedStatus::Open,
                Some(
                    OutcomeResult::NotHome
                    | OutcomeResult::Reschedule
                    | OutcomeResult::NeedsAppointment,
                ),
            ) => &mut row.in_progress,
        };
        *slot += tally.count;
    }

    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let visits = plans::published_visits(
        db,
        team_id,
        None,
        local_midnight(zone, monday),
        local_midnight(zone, monday + Days::new(7)),
    )
    .await?;
    let week = (0..7)
        .map(|i| {
            let date = monday + Days::new(i);
            let of_day: Vec<_> = visits
                .iter()
                .filter(|v| v.start.with_timezone(&zone).date_naive() == date)
                .collect();
            let with = |status: &[VisitStatus]| {
                of_day.iter().filter(|v| status.contains(&v.status)).count()
            };
            WeekDay {
                date,
                heading: day_heading(date),
                today: date == today,
                planned: of_day.len(),
                done: with(&[VisitStatus::Done]),
                not_home: with(&[VisitStatus::Missed]),
                to_come: with(&[VisitStatus::Proposed, VisitStatus::Confirmed]),
            }
        })
        .collect();

    let latest = plans::team_plans(db, team_id)
        .await?
        .into_iter()
        .find(|p| p.status == PlanStatus::Published);
    let unmet = match latest {
        Some(plan) => {
            let entries = plans::plan_unmet(db, plan.id).await?;
            let mut by_reason: BTreeMap<UnmetReason, BTreeSet<i32>> = BTreeMap::new();
            for u in &entries {
                by_reason
                    .entry(u.reason)
                    .or_default()
                    .insert(u.household_id);
            }
            Some(UnmetSummary {
                plan_id: plan.id,
                start_date: plan.start_date,
                days: plan.days,
                households: entries
                    .iter()
                    .map(|u| u.household_id)
                    .collect::<BTreeSet<_>>()
                    .len(),
                by_reason: by_reason
                    .into_iter()
                    .map(|(reason, households)| (reason, households.len()))
                    .collect(),
            })
        }
        None => None,
    };

    let blackouts = team_blackouts(store, catalog, actor, team_id, now)
        .await?
        .into_iter()
        .filter(|b| b.next.is_some())
        .collect();
    Ok(Dashboard {
        team,
        zone,
        today,
        may_lead,
        needs,
        week,
        unmet,
        blackouts,
    })
}

/// The team's blackouts, those to come (soonest first) before those over,
/// each with the visits of the calendar still to come that it falls on.
///
/// # Errors
/// The team does not exist or is out of the actor's scope (not found), or
/// the store fails.
pub async fn team_blackouts(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    team_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<TeamBlackout>, ServiceError> {
    let views = blackouts::list(store, catalog, actor, team_id, now).await?;
    describe_blackouts(store, catalog, team_id, views, now).await
}

/// The blackouts as [`team_blackouts`] gives them, from what
/// [`blackouts::list`] or [`blackouts::add`] answered.
///
/// # Errors
/// The store fails.
pub async fn describe_blackouts(
    store: &Store,
    catalog: &Catalog,
    team_id: i32,
    views: Vec<BlackoutView>,
    now: DateTime<Utc>,
) -> Result<Vec<TeamBlackout>, ServiceError> {
    if views.is_empty() {
        return Ok(Vec::new());
    }
    let catalog = &*crate::team_stations::team_catalog(store, catalog, team_id).await?;
    let db = store.connection();
    let team = doorstep_store::find_team(db, team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    let zone: Tz = team
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let villages: BTreeMap<i32, String> = doorstep_store::villages_of_team(db, &team)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let members: BTreeMap<i32, String> = doorstep_store::team_members(db, team_id)
        .await?
        .into_iter()
        .map(|m| (m.id, m.full_name))
        .collect();
    let mut households = BTreeMap::new();
    for id in views
        .iter()
        .flat_map(|v| v.affected.iter().map(|a| a.household_id))
        .collect::<BTreeSet<_>>()
    {
        if let Some(h) = doorstep_store::repo::records::find_household(db, id).await? {
            households.insert(id, (h.external_id, h.address));
        }
    }
    let ctx = ExpansionContext::new(
        now,
        now + chrono::Duration::days(BLACKOUT_HORIZON_DAYS),
        zone,
        catalog.clone(),
    )
    .ok();
    let rules = RuleContext::from_catalog(catalog);
    let mut out: Vec<TeamBlackout> = views
        .into_iter()
        .map(|view| {
            let spans = match (&ctx, Blackout::parse(&view.rule, &rules)) {
                (Some(ctx), Ok(blackout)) => {
                    crate::planning::changes::blackout_spans(ctx, &blackout)
                }
                _ => Vec::new(),
            };
            let minute = |m: i64| {
                DateTime::from_timestamp(m * 60, 0)
                    .unwrap_or(now)
                    .with_timezone(&zone)
            };
            let next = spans.first().map(|&(a, b)| (minute(a), minute(b)));
            TeamBlackout {
                id: view.stored.id,
                label: view.stored.label.clone(),
                village: view.stored.village_id.map(|id| {
                    villages
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("#{id}"))
                }),
                description_vi: view.description_vi,
                description_en: view.description_en,
                ongoing: next.is_some_and(|(a, _)| a.with_timezone(&Utc) <= now),
                next,
                affected: view
                    .affected
                    .iter()
                    .map(|v| {
                        let (key, address) = households
                            .get(&v.household_id)
                            .cloned()
                            .unwrap_or_else(|| (format!("#{}", v.household_id), String::new()));
                        AffectedVisit {
                            id: v.id,
                            start: v.start.with_timezone(&zone),
                            end: v.end.with_timezone(&zone),
                            member: members
                                .get(&v.member_id)
                                .cloned()
                                .unwrap_or_else(|| format!("#{}", v.member_id)),
                            household_key: key,
                            address,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    for b in &mut out {
        b.affected.sort_by_key(|a| (a.start, a.id));
    }
    // Those to come, soonest first; then those over, newest first.
    out.sort_by(|a, b| match (&a.next, &b.next) {
        (Some(x), Some(y)) => (x.0, a.id).cmp(&(y.0, b.id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.id.cmp(&a.id),
    });
    Ok(out)
}

/// The villages of the team's area, by name: where a blackout may be for.
///
/// # Errors
/// The team does not exist or is out of the actor's scope (not found), or
/// the store fails.
pub async fn team_villages(
    store: &Store,
    actor: &Actor,
    team_id: i32,
) -> Result<Vec<(i32, String)>, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    let db = store.connection();
    let team = doorstep_store::find_team(db, team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    let mut villages: Vec<(i32, String)> = doorstep_store::villages_of_team(db, &team)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    villages.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(villages)
}

/// A member as the team's leader edits them, with the team's zone.
#[derive(Clone, Debug, PartialEq)]
pub struct EditableMember {
    /// The member.
    pub member: crate::records::Member,
    /// Their team's name.
    pub team_name: String,
    /// Their team's zone.
    pub zone: Tz,
    /// Their free time without their leave (as stored, JSON).
    pub free_time: Option<Value>,
    /// Their leave, by first day.
    pub leave: Vec<Leave>,
}

/// A member of a team with everything the leader edits.
///
/// # Errors
/// The member does not exist or is out of the actor's scope (not found),
/// the actor does not lead the team (forbidden), or the store fails.
pub async fn member_for_edit(
    store: &Store,
    actor: &Actor,
    member_id: i32,
) -> Result<EditableMember, ServiceError> {
    let not_found = || ServiceError::not_found("member", member_id);
    let db = store.connection();
    let member = doorstep_store::repo::records::find_member(db, member_id)
        .await?
        .ok_or_else(not_found)?;
    if !actor.may_see_team(store, member.team_id).await? {
        return Err(not_found());
    }
    actor.require_lead(store, member.team_id).await?;
    let team = doorstep_store::find_team(db, member.team_id)
        .await?
        .ok_or_else(not_found)?;
    let (free_time, leave) = member
        .availability
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .map_or((None, Vec::new()), |rule| split_leave(&rule));
    Ok(EditableMember {
        member,
        team_name: team.name,
        zone: team
            .timezone
            .parse()
            .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh),
        free_time,
        leave,
    })
}

/// A stretch of days a member takes off: an `except` term of their free
/// time with only `dates` (and a label).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leave {
    /// The first day off.
    pub from: NaiveDate,
    /// The last day off.
    pub to: NaiveDate,
    /// Why ("Nghỉ phép", "Đi học").
    pub label: Option<String>,
}

impl Leave {
    /// The leave as an `except` term.
    pub fn to_json(&self) -> Value {
        let mut term = json!({"dates": [self.from.to_string(), self.to.to_string()]});
        if let Some(label) = &self.label {
            term["label"] = json!(label);
        }
        term
    }

    /// "Nghỉ phép: 10/12 – 12/12/2026", "Leave: 10/12 – 12/12/2026".
    pub fn words(&self, en: bool) -> String {
        let label = match &self.label {
            Some(label) => label.as_str(),
            None if en => "Leave",
            None => "Nghỉ",
        };
        let range = if self.from == self.to {
            self.from.format("%d/%m/%Y").to_string()
        } else if self.from.year() == self.to.year() {
            format!(
                "{} – {}",
                self.from.format("%d/%m"),
                self.to.format("%d/%m/%Y")
            )
        } else {
            format!(
                "{} – {}",
                self.from.format("%d/%m/%Y"),
                self.to.format("%d/%m/%Y")
            )
        };
        format!("{label}: {range}")
    }
}

/// A member's free time split into its usual hours (the rule without its
/// leave) and their leave, by first day.
pub fn split_leave(rule: &Value) -> (Option<Value>, Vec<Leave>) {
    let mut base = rule.clone();
    let mut leave = Vec::new();
    if let Some(except) = base.get_mut("except").and_then(Value::as_array_mut) {
        except.retain(|term| match leave_of(term) {
            Some(l) => {
                leave.push(l);
                false
            }
            None => true,
        });
        if except.is_empty()
            && let Some(object) = base.as_object_mut()
        {
            object.remove("except");
        }
    }
    leave.sort_by_key(|l| (l.from, l.to));
    (Some(base), leave)
}

fn leave_of(term: &Value) -> Option<Leave> {
    let object = term.as_object()?;
    if object.keys().any(|k| k != "dates" && k != "label") {
        return None;
    }
    let dates = object.get("dates")?.as_array()?;
    let day = |i: usize| {
        dates
            .get(i)?
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    Some(Leave {
        from: day(0)?,
        to: day(1)?,
        label: object
            .get("label")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// A member's free time with their leave as its `except` terms; `None`
/// when there is neither.
///
/// # Errors
/// Leave given without free time to take it from (field `availability`).
pub fn with_leave(free_time: Option<Value>, leave: &[Leave]) -> Result<Option<Value>, FieldError> {
    let Some(mut rule) = free_time else {
        return if leave.is_empty() {
            Ok(None)
        } else {
            Err(FieldError::new(
                "availability",
                "cần ghi thời gian rảnh trước khi ghi ngày nghỉ",
                "give the free time before the leave",
            ))
        };
    };
    if leave.is_empty() {
        return Ok(Some(rule));
    }
    let Some(object) = rule.as_object_mut() else {
        // Not an object: the rule's own check says what is wrong.
        return Ok(Some(rule));
    };
    let except = object
        .entry("except")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = except.as_array_mut() {
        list.extend(leave.iter().map(Leave::to_json));
    }
    Ok(Some(rule))
}

/// A member's free time in words, in Vietnamese and English; `None` when
/// the rule does not read. A rule's words for a resident begin with where
/// they are ("Ở nhà", "At home"); a member's free time says only when.
pub fn free_time_words(rule: &Value, catalog: &Catalog) -> Option<(String, String)> {
    let parsed = Rule::parse(rule, &RuleContext::from_catalog(catalog)).ok()?;
    let when = |words: String, home: &str| match words.strip_prefix(home) {
        Some(rest) => {
            let mut chars = rest.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        }
        None => words,
    };
    Some((
        when(describe(&parsed, Lang::Vi), "Ở nhà "),
        when(describe(&parsed, Lang::En), "At home "),
    ))
}

/// A member's usual free time to start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeTimePreset {
    /// Weekday evenings 17:30–21:00, weekends 07:30–17:00.
    EveningsAndWeekends,
    /// Every day 07:30–11:30 and 13:30–17:00.
    OfficeHours,
    /// Saturday and Sunday 07:00–21:00.
    Weekends,
    /// Every day 07:00–21:00.
    AllDay,
}

impl FreeTimePreset {
    /// Every preset.
    pub const ALL: [FreeTimePreset; 4] = [
        FreeTimePreset::EveningsAndWeekends,
        FreeTimePreset::OfficeHours,
        FreeTimePreset::Weekends,
        FreeTimePreset::AllDay,
    ];

    /// The code forms send.
    pub fn code(self) -> &'static str {
        match self {
            FreeTimePreset::EveningsAndWeekends => "toi_va_cuoi_tuan",
            FreeTimePreset::OfficeHours => "gio_hanh_chinh",
            FreeTimePreset::Weekends => "cuoi_tuan",
            FreeTimePreset::AllDay => "ca_ngay",
        }
    }

    /// The preset of a code.
    pub fn parse(code: &str) -> Option<FreeTimePreset> {
        FreeTimePreset::ALL.into_iter().find(|p| p.code() == code)
    }

    /// In Vietnamese.
    pub fn label_vi(self) -> &'static str {
        match self {
            FreeTimePreset::EveningsAndWeekends => "Buổi tối trong tuần và cuối tuần",
            FreeTimePreset::OfficeHours => "Giờ hành chính, mọi ngày",
            FreeTimePreset::Weekends => "Thứ Bảy và Chủ nhật",
            FreeTimePreset::AllDay => "Cả ngày, mọi ngày",
        }
    }

    /// In English.
    pub fn label_en(self) -> &'static str {
        match self {
            FreeTimePreset::EveningsAndWeekends => "Weekday evenings and weekends",
            FreeTimePreset::OfficeHours => "Office hours, every day",
            FreeTimePreset::Weekends => "Saturday and Sunday",
            FreeTimePreset::AllDay => "All day, every day",
        }
    }

    /// The rule.
    pub fn rule(self) -> Value {
        match self {
            FreeTimePreset::EveningsAndWeekends => json!({"mode": "in_person", "when": [
                {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "hours": ["17:30", "21:00"]},
                {"weekdays": ["sat", "sun"], "hours": ["07:30", "17:00"]}]}),
            FreeTimePreset::OfficeHours => json!({"mode": "in_person", "when": [
                {"hours": ["07:30", "11:30"]}, {"hours": ["13:30", "17:00"]}]}),
            FreeTimePreset::Weekends => json!({"mode": "in_person", "when": [
                {"weekdays": ["sat", "sun"], "hours": ["07:00", "21:00"]}]}),
            FreeTimePreset::AllDay => {
                json!({"mode": "in_person", "when": [{"hours": ["07:00", "21:00"]}]})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leave_comes_apart_from_the_free_time_and_back() {
        let rule = json!({"mode": "in_person",
            "when": [{"hours": ["17:00", "21:00"]}],
            "except": [{"weekdays": ["sun"]},
                       {"dates": ["2026-12-20", "2026-12-22"], "label": "Đi học"},
                       {"dates": ["2026-12-10", "2026-12-10"]}]});
        let (base, leave) = split_leave(&rule);
        assert_eq!(
            base,
            Some(json!({"mode": "in_person",
                "when": [{"hours": ["17:00", "21:00"]}],
                "except": [{"weekdays": ["sun"]}]}))
        );
        assert_eq!(leave.len(), 2);
        assert_eq!(leave[0].words(false), "Nghỉ: 10/12/2026");
        assert_eq!(leave[1].words(true), "Đi học: 20/12 – 22/12/2026");
        let back = with_leave(base, &leave).unwrap().unwrap();
        assert_eq!(split_leave(&back).1, leave);
        assert!(with_leave(None, &leave).is_err());
        assert_eq!(with_leave(None, &[]), Ok(None));
    }

    #[test]
    fn every_preset_reads() {
        let catalog = crate::stations::built_in();
        for preset in FreeTimePreset::ALL {
            assert_eq!(FreeTimePreset::parse(preset.code()), Some(preset));
            assert!(free_time_words(&preset.rule(), &catalog).is_some());
        }
    }
}
