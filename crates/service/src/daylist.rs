//! A member's visits of one day: what a volunteer takes to the door.
//!
//! The list holds the published visits of the member that start on that day
//! in the team's zone, in route order (by start), each with its household,
//! where to go (the household's coordinates, or its village's centre when it
//! has none, and then the list says so), when the residents are at home in
//! words, what the visit is for and whom to expect.
//!
//! Residents' phone numbers are shown only to the member who makes the
//! visits: the leader, an official or an administrator reading the list sees
//! the names without the numbers.
//!
//! Who may read a member's list: the member, their team's leader, an
//! administrator and an official over the team's area. For anyone else the
//! member does not exist.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use doorstep_core::rules::{Lang, Rule, RuleContext, describe};
use doorstep_core::{
    NeedStep, OutcomeResult, Presence, UserRole, VisitMode, VisitStatus, find_country,
};
use doorstep_store::Store;
use doorstep_store::repo::feeds::member_team;
use doorstep_store::repo::snapshot::{
    DaySheet, HouseholdRecord, LatLon, ResidentRecord, TeamSnapshot, day_sheet, member_team_record,
};
use doorstep_tide::Catalog;

use crate::access::Actor;
use crate::error::ServiceError;
use crate::planning::local_midnight;
use crate::planning::reader::DEFAULT_HOME_RULE;

/// A day's title in both languages, solar and lunar:
/// "Thứ Ba 01/12/2026 · 23/10 âm lịch", "Tuesday 1 December 2026 · lunar 23/10".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayHeading {
    /// In Vietnamese.
    pub vi: String,
    /// In English.
    pub en: String,
}

/// The heading of `date`.
pub fn day_heading(date: NaiveDate) -> DayHeading {
    use doorstep_core::words;
    let (lunar_vi, lunar_en) = match doorstep_lunar::to_lunar(date) {
        Ok(l) if l.leap => (
            format!(" · {}/{} nhuận âm lịch", l.day, l.month),
            format!(" · lunar {}/{} (leap month)", l.day, l.month),
        ),
        Ok(l) => (
            format!(" · {}/{} âm lịch", l.day, l.month),
            format!(" · lunar {}/{}", l.day, l.month),
        ),
        Err(_) => (String::new(), String::new()),
    };
    DayHeading {
        vi: format!(
            "{} {}{lunar_vi}",
            words::weekday_vi(date.weekday()),
            date.format("%d/%m/%Y")
        ),
        en: format!(
            "{} {} {} {}{lunar_en}",
            words::weekday_en(date.weekday()),
            date.day(),
            words::month_en(date.month()),
            date.year()
        ),
    }
}

/// The lunar day and month of `date` for short titles: "15/10", "3/4 nhuận";
/// empty outside the lunar calendar's range.
pub fn lunar_short(date: NaiveDate) -> String {
    match doorstep_lunar::to_lunar(date) {
        Ok(l) if l.leap => format!("{}/{} nhuận", l.day, l.month),
        Ok(l) => format!("{}/{}", l.day, l.month),
        Err(_) => String::new(),
    }
}

/// Reads a `YYYY-MM-DD` date within the lunar calendar's range.
///
/// # Errors
/// The field `date`, saying what was expected.
pub fn parse_date(text: &str) -> Result<NaiveDate, ServiceError> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        ServiceError::invalid(
            "date",
            format!("cần một ngày dạng YYYY-MM-DD, ví dụ 2026-12-01, nhận {text:?}"),
            format!("expected a date as YYYY-MM-DD, e.g. 2026-12-01, got {text:?}"),
        )
    })?;
    check_date(date)?;
    Ok(date)
}

fn check_date(date: NaiveDate) -> Result<(), ServiceError> {
    if date < doorstep_lunar::FIRST_DATE || date > doorstep_lunar::LAST_DATE {
        return Err(ServiceError::invalid(
            "date",
            format!("ngày phải trong 1800–2199, nhận {date}"),
            format!("the date must be within 1800–2199, got {date}"),
        ));
    }
    Ok(())
}

/// A member's visits of one day.
#[derive(Clone, Debug, PartialEq)]
pub struct DayList {
    /// The member.
    pub member_id: i32,
    /// Their name.
    pub member_name: String,
    /// Their team.
    pub team_id: i32,
    /// The team's name.
    pub team_name: String,
    /// The team's zone: every time of the list is in it.
    pub zone: Tz,
    /// The day, in the team's calendar.
    pub date: NaiveDate,
    /// Its title, solar and lunar.
    pub heading: DayHeading,
    /// Whether residents' phone numbers are shown (to the member only).
    pub phones_shown: bool,
    /// The visits, in route order.
    pub visits: Vec<DayVisit>,
}

/// One visit of a day's list.
#[derive(Clone, Debug, PartialEq)]
pub struct DayVisit {
    /// The visit's id.
    pub id: i32,
    /// Its place in the day's route, from 1.
    pub order: usize,
    /// Start, in the team's zone.
    pub start: DateTime<Tz>,
    /// End, in the team's zone.
    pub end: DateTime<Tz>,
    /// In person or remote.
    pub mode: VisitMode,
    /// Proposed, confirmed, done or missed.
    pub status: VisitStatus,
    /// Where.
    pub household: DayHousehold,
    /// When, in words.
    pub window: VisitWindow,
    /// What the visit is for.
    pub purposes: Vec<NeedStep>,
    /// The residents expected.
    pub residents: Vec<ExpectedResident>,
}

/// The household of a visit.
#[derive(Clone, Debug, PartialEq)]
pub struct DayHousehold {
    /// Id.
    pub id: i32,
    /// The register's key ("HT-0012").
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Its village.
    pub village: Option<String>,
    /// Where to go: the household's own coordinates, else its village's (or
    /// the team's) centre.
    pub location: Option<LatLon>,
    /// The location is a centre, not the house.
    pub approximate: bool,
}

/// A visit's time and the residents' availability, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitWindow {
    /// "08:30–09:05", in the team's zone.
    pub time: String,
    /// When the residents are reachable, in Vietnamese.
    pub vi: String,
    /// The same in English.
    pub en: String,
}

/// A resident expected at a visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedResident {
    /// Id.
    pub id: i32,
    /// Full name.
    pub name: String,
    /// Phone number, only for the member who makes the visit.
    pub phone: Option<String>,
    /// When they are reachable, in Vietnamese.
    pub availability_vi: String,
    /// The same in English.
    pub availability_en: String,
    /// The needs this visit is for that the resident has (open, held back,
    /// or given a result at this visit), in pipeline order.
    pub needs: Vec<NeedStep>,
    /// The results recorded for them at this visit, oldest first.
    pub recorded: Vec<Recorded>,
}

/// A result recorded for a resident at a visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The need; `None` for every need the visit was for.
    pub need: Option<NeedStep>,
    /// What happened.
    pub result: OutcomeResult,
    /// The appointment's day, for `needs_appointment`.
    pub appointment_on: Option<NaiveDate>,
}

/// How the actor stands to a member's visits.
pub(crate) enum Standing {
    /// The member themselves.
    Themselves,
    /// Their leader or an administrator.
    Leads,
    /// Someone else who sees the member's team (an official, a teammate).
    SeesTeam,
}

/// The member's team and how the actor stands to it; not found when there is
/// no such member or the actor cannot see their team.
pub(crate) async fn standing(
    store: &Store,
    actor: &Actor,
    member_id: i32,
) -> Result<(i32, Standing), ServiceError> {
    let team_id = member_team(store.connection(), member_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("member", member_id))?;
    standing_in(store, actor, member_id, team_id).await
}

/// How the actor stands to a member of `team_id`.
pub(crate) async fn standing_in(
    store: &Store,
    actor: &Actor,
    member_id: i32,
    team_id: i32,
) -> Result<(i32, Standing), ServiceError> {
    let missing = || ServiceError::not_found("member", member_id);
    let standing = if actor.member_id == Some(member_id) {
        Standing::Themselves
    } else if actor.may_lead_team(store, team_id).await? {
        Standing::Leads
    } else if actor.may_see_team(store, team_id).await? {
        Standing::SeesTeam
    } else {
        return Err(missing());
    };
    Ok((team_id, standing))
}

/// The member's visits of `date` (today in the team's zone when `None`).
///
/// # Errors
/// The member does not exist or is out of the actor's reach (not found; a
/// teammate reading another member's list too), the date is outside
/// 1800–2199 (field `date`), or the store fails.
pub async fn day_list(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    member_id: i32,
    date: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<DayList, ServiceError> {
    let (team, member) = member_team_record(store.connection(), member_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("member", member_id))?;
    let (_, standing) = standing_in(store, actor, member_id, team.id).await?;
    let phones_shown = match standing {
        Standing::Themselves => true,
        Standing::Leads => false,
        Standing::SeesTeam if actor.role == UserRole::Official => false,
        Standing::SeesTeam => return Err(ServiceError::not_found("member", member_id)),
    };
    let date = date.unwrap_or_else(|| now.with_timezone(&zone_of(&team)).date_naive());
    let (list, _) = member_day(store, catalog, team, member, date, phones_shown).await?;
    Ok(list)
}

fn zone_of(team: &doorstep_store::repo::snapshot::TeamRecord) -> Tz {
    team.timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
}

/// A member's list of `date` with the sheet it was made from (the team,
/// the visits' households and the visits, for a calendar of the day).
///
/// # Errors
/// The date is outside 1800–2199 (field `date`), or the store fails.
pub(crate) async fn member_day(
    store: &Store,
    catalog: &Catalog,
    team: doorstep_store::repo::snapshot::TeamRecord,
    member: doorstep_store::repo::snapshot::MemberRecord,
    date: NaiveDate,
    phones_shown: bool,
) -> Result<(DayList, DaySheet), ServiceError> {
    let member_id = member.id;
    let team_id = team.id;
    let zone = zone_of(&team);
    check_date(date)?;
    let from = local_midnight(zone, date);
    let to = local_midnight(zone, date + chrono::Days::new(1));
    // One query for the day's visits with their households: a list is read
    // often, the register is big.
    let sheet = day_sheet(store.connection(), team, member, from, to).await?;
    let DaySheet { snapshot, visits } = &sheet;
    let ids: Vec<i32> = visits.iter().map(|v| v.id).collect();
    let recorded =
        doorstep_store::repo::outcomes::outcomes_of_visits(store.connection(), &ids).await?;
    let member = snapshot.members.iter().find(|m| m.id == member_id);
    let catalog = &*crate::team_stations::team_catalog(store, catalog, team_id).await?;
    let rules = RuleContext::from_catalog(catalog);
    let visits = visits
        .iter()
        .filter_map(|v| {
            let household = snapshot
                .households
                .iter()
                .find(|h| h.id == v.household_id)?;
            let expected: Vec<&ResidentRecord> = v
                .residents
                .iter()
                .filter_map(|id| household.residents.iter().find(|r| r.id == *id))
                .collect();
            let (start, end) = (v.start.with_timezone(&zone), v.end.with_timezone(&zone));
            let time = format!("{}–{}", start.format("%H:%M"), end.format("%H:%M"));
            let described: Vec<(&str, (String, String))> = expected
                .iter()
                .map(|r| (r.full_name.as_str(), availability(r, &rules)))
                .collect();
            Some(DayVisit {
                id: v.id,
                order: 0,
                start,
                end,
                mode: v.mode,
                status: v.status,
                household: day_household(snapshot, household),
                window: window(&time, &described),
                purposes: v.purposes.clone(),
                residents: expected
                    .iter()
                    .zip(&described)
                    .map(|(r, (_, (vi, en)))| {
                        let (vi, en) = (vi.clone(), en.clone());
                        let recorded: Vec<Recorded> = recorded
                            .get(&v.id)
                            .into_iter()
                            .flatten()
                            .filter(|o| o.resident_id == r.id)
                            .map(|o| Recorded {
                                need: o.need,
                                result: o.result,
                                appointment_on: o.appointment_on,
                            })
                            .collect();
                        let needs = v
                            .purposes
                            .iter()
                            .copied()
                            .filter(|step| {
                                r.open_needs.contains(step)
                                    || r.held_needs.iter().any(|(s, _)| s == step)
                                    || recorded.iter().any(|o| o.need == Some(*step))
                            })
                            .collect();
                        ExpectedResident {
                            id: r.id,
                            name: r.full_name.clone(),
                            phone: r.phone.clone().filter(|_| phones_shown),
                            availability_vi: vi,
                            availability_en: en,
                            needs,
                            recorded,
                        }
                    })
                    .collect(),
            })
        })
        .enumerate()
        .map(|(i, visit)| DayVisit {
            order: i + 1,
            ..visit
        })
        .collect();
    let list = DayList {
        member_id,
        member_name: member.map(|m| m.full_name.clone()).unwrap_or_default(),
        team_id,
        team_name: snapshot.team.name.clone(),
        zone,
        date,
        heading: day_heading(date),
        phones_shown,
        visits,
    };
    Ok((list, sheet))
}

/// The signed-in user's own visits of `date`.
///
/// # Errors
/// The user is not a team member (not found, saying so), or as [`day_list`].
pub async fn my_day_list(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    date: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<DayList, ServiceError> {
    let Some(member_id) = actor.member_id else {
        return Err(ServiceError::NotFound {
            vi: "tài khoản này không gắn với thành viên nào của tổ nên không có danh sách thăm hộ"
                .into(),
            en: "this account is not linked to a team member, so it has no visit list".into(),
        });
    };
    day_list(store, catalog, actor, member_id, date, now).await
}

/// Where to go for a household: its own point, else its village's centre,
/// else the team's (as the planner placed it).
pub(crate) fn day_household(snapshot: &TeamSnapshot, h: &HouseholdRecord) -> DayHousehold {
    DayHousehold {
        id: h.id,
        external_id: h.external_id.clone(),
        address: h.address.clone(),
        village: h.village.clone(),
        location: h.location.or(h.village_centre).or(snapshot.team.centre),
        approximate: h.location.is_none(),
    }
}

/// The rule the planner used for a resident, as JSON text: their own, or
/// the default of their presence (at home 07:00–20:00; abroad, calls
/// 19:00–22:00 in their zone).
fn rule_text(r: &ResidentRecord) -> Option<String> {
    if let Some(text) = &r.availability {
        return Some(text.clone());
    }
    match r.presence {
        Presence::Home => Some(DEFAULT_HOME_RULE.to_owned()),
        Presence::Abroad => {
            let zone = r.timezone.clone().or_else(|| {
                r.country
                    .as_deref()
                    .and_then(find_country)
                    .and_then(|c| c.default_timezone)
                    .map(str::to_owned)
            })?;
            Some(crate::planning::reader::default_abroad_rule(&zone))
        }
        Presence::AtSea | Presence::WorkingAway => None,
    }
}

/// A resident's availability in words (Vietnamese, English).
fn availability(r: &ResidentRecord, ctx: &RuleContext) -> (String, String) {
    let rule = rule_text(r)
        .and_then(|text| serde_json::from_str(&text).ok())
        .and_then(|value| Rule::parse(&value, ctx).ok());
    match rule {
        Some(rule) => (describe(&rule, Lang::Vi), describe(&rule, Lang::En)),
        None => (
            "chưa ghi lịch có mặt".to_owned(),
            "no availability recorded".to_owned(),
        ),
    }
}

/// The visit's time and when its residents are reachable: one sentence when
/// they share a rule, else one per resident ("Lan: …; Hùng: …").
fn window(time: &str, described: &[(&str, (String, String))]) -> VisitWindow {
    let distinct: BTreeSet<&(String, String)> = described.iter().map(|(_, w)| w).collect();
    let (vi, en) = if distinct.len() <= 1 {
        described
            .first()
            .map(|(_, (vi, en))| (vi.clone(), en.clone()))
            .unwrap_or_default()
    } else {
        let join = |pick: fn(&(String, String)) -> &String| {
            described
                .iter()
                .map(|(name, words)| format!("{name}: {}", pick(words)))
                .collect::<Vec<_>>()
                .join("; ")
        };
        (join(|w| &w.0), join(|w| &w.1))
    };
    VisitWindow {
        time: time.to_owned(),
        vi,
        en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn headings_are_solar_and_lunar() {
        let h = day_heading(date(2026, 11, 28));
        assert_eq!(h.vi, "Thứ Bảy 28/11/2026 · 20/10 âm lịch");
        assert_eq!(h.en, "Saturday 28 November 2026 · lunar 20/10");
        let tet = day_heading(date(2026, 2, 17));
        assert_eq!(tet.vi, "Thứ Ba 17/02/2026 · 1/1 âm lịch");
        assert_eq!(tet.en, "Tuesday 17 February 2026 · lunar 1/1");
        assert_eq!(lunar_short(date(2026, 11, 28)), "20/10");
    }

    #[test]
    fn leap_months_are_named() {
        // 2025 has a leap 6th month (from 2025-07-25).
        let h = day_heading(date(2025, 7, 25));
        assert_eq!(h.vi, "Thứ Sáu 25/07/2025 · 1/6 nhuận âm lịch");
        assert_eq!(h.en, "Friday 25 July 2025 · lunar 1/6 (leap month)");
        assert_eq!(lunar_short(date(2025, 7, 25)), "1/6 nhuận");
    }

    #[test]
    fn dates_are_read_strictly() {
        assert_eq!(parse_date("2026-12-01").unwrap(), date(2026, 12, 1));
        for bad in ["2026-13-01", "01/12/2026", "", "1799-12-31", "tomorrow"] {
            match parse_date(bad) {
                Err(ServiceError::Invalid(errors)) => assert_eq!(errors[0].field, "date"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    fn resident(name: &str, rule: Option<&str>) -> ResidentRecord {
        ResidentRecord {
            id: 1,
            external_id: "1".into(),
            full_name: name.into(),
            phone: Some("0912345678".into()),
            presence: Presence::Home,
            country: None,
            timezone: None,
            availability: rule.map(str::to_owned),
            consent: true,
            open_needs: vec![NeedStep::VneidInstall],
            held_needs: Vec::new(),
            attempts: 0,
        }
    }

    #[test]
    fn windows_name_residents_only_when_rules_differ() {
        let ctx = RuleContext::with_stations(Vec::<String>::new());
        let lan = resident("Lan", None);
        let hung = resident("Hùng", None);
        fn words<'a>(
            people: &[&'a ResidentRecord],
            ctx: &RuleContext,
        ) -> Vec<(&'a str, (String, String))> {
            people
                .iter()
                .map(|r| (r.full_name.as_str(), availability(r, ctx)))
                .collect()
        }
        let same = window("08:30–09:05", &words(&[&lan, &hung], &ctx));
        assert_eq!(same.time, "08:30–09:05");
        assert!(same.vi.starts_with("Ở nhà"), "{}", same.vi);
        assert!(!same.vi.contains("Lan"), "{}", same.vi);
        let evening = resident(
            "Hùng",
            Some(r#"{"mode":"in_person","when":[{"hours":["18:00","21:00"]}]}"#),
        );
        let differ = window("18:30–19:00", &words(&[&lan, &evening], &ctx));
        assert!(differ.vi.starts_with("Lan: Ở nhà"), "{}", differ.vi);
        assert!(differ.en.contains("; Hùng: At home"), "{}", differ.en);
    }
}
