//! One household as its page shows it: the address and the place, each
//! resident with their availability in words, their needs along the
//! pipeline with who changed each and when, their consent (who recorded
//! it, when, which text), and the household's visits on the team's
//! calendar, past and to come, with who visits and what was recorded.
//! Also what the leader's pages around it need: the team's villages for
//! the register's filters, one resident's rule for the availability
//! editor, and the tide stations a preset may name.
//!
//! Scope as everywhere: a household outside the actor's reach is "not
//! found" (a volunteer reaches only the households of their visits);
//! phone numbers are shown only to those who lead the team; the
//! availability editor is the leader's (others in scope: forbidden).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
pub use doorstep_core::records::{Household, Need, Resident, Team};
use doorstep_core::{
    ConsentAction, Country, NeedStatus, NeedStep, OutcomeResult, VisitMode, VisitStatus,
};
use doorstep_store::Store;
use doorstep_store::repo::household_history::{HouseholdHistory, household_history};
use doorstep_store::repo::records;
use doorstep_tide::Catalog;

use crate::access::Actor;
use crate::error::ServiceError;
use crate::teams::Availability;

/// A household's page.
#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdPage {
    /// Its team.
    pub team: Team,
    /// The team's zone: every time on the page is read in it.
    pub zone: Tz,
    /// The household.
    pub household: Household,
    /// Its village's name.
    pub village: Option<String>,
    /// The actor leads the team: phone numbers, and the forms that change
    /// needs and availability.
    pub leads: bool,
    /// Its residents, by id.
    pub residents: Vec<ResidentLine>,
    /// Its visits on the team's calendar, by start.
    pub visits: Vec<VisitLine>,
    /// The consent text's version the team recorded last: the one a new
    /// consent is recorded against unless the leader names another.
    pub consent_version: Option<String>,
}

/// A resident on the household's page.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidentLine {
    /// The resident (the phone only for those who lead the team).
    pub resident: Resident,
    /// Their availability, as stored and in words.
    pub availability: Option<Availability>,
    /// Their country, when abroad.
    pub country: Option<&'static Country>,
    /// Their needs, in pipeline order, each with its history.
    pub needs: Vec<NeedLine>,
    /// Their consents given and withdrawn, oldest first.
    pub consents: Vec<ConsentLine>,
}

impl ResidentLine {
    /// Whether consent is recorded now.
    pub fn consents_now(&self) -> bool {
        self.resident.consent_at.is_some()
    }
}

/// A need and how it got where it stands.
#[derive(Clone, Debug, PartialEq)]
pub struct NeedLine {
    /// The need.
    pub need: Need,
    /// Who changed it last, by name.
    pub updated_by: Option<String>,
    /// Its changes and the results recorded for it, oldest first.
    pub history: Vec<NeedEvent>,
}

/// One change of a need.
#[derive(Clone, Debug, PartialEq)]
pub struct NeedEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Who, by name.
    pub by: String,
    /// What.
    pub change: NeedChange,
}

/// What happened to a need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeedChange {
    /// Its status was set by hand (`from` is `None` for a new need).
    Set {
        /// Before.
        from: Option<NeedStatus>,
        /// After.
        to: NeedStatus,
    },
    /// A result was recorded for it at a visit.
    Result {
        /// What happened.
        result: OutcomeResult,
        /// The appointment's day.
        appointment_on: Option<NaiveDate>,
    },
}

/// A consent given or withdrawn.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsentLine {
    /// Given or withdrawn.
    pub action: ConsentAction,
    /// The text's version; `None` for a consent that came with the register.
    pub text_version: Option<String>,
    /// The text the resident was shown.
    pub text: String,
    /// Who recorded it, by name.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A visit of the household.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitLine {
    /// Id.
    pub id: i32,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// In person or remote.
    pub mode: VisitMode,
    /// Where it stands.
    pub status: VisitStatus,
    /// The needs it is for.
    pub purposes: Vec<NeedStep>,
    /// The member who visits, by name.
    pub member: String,
    /// The results recorded at it.
    pub results: Vec<VisitResult>,
}

/// A result recorded at a visit.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitResult {
    /// The resident, by name.
    pub resident: String,
    /// The need, `None` for every need of the visit.
    pub need: Option<NeedStep>,
    /// What happened.
    pub result: OutcomeResult,
    /// The appointment's day.
    pub appointment_on: Option<NaiveDate>,
    /// Who recorded it, by name.
    pub by: String,
}

/// The names of those the records name by label (`user:12`, `demo`).
struct Names<'a> {
    store: &'a Store,
    known: BTreeMap<String, String>,
}

impl Names<'_> {
    async fn of(&mut self, label: &str) -> Result<String, ServiceError> {
        if let Some(name) = self.known.get(label) {
            return Ok(name.clone());
        }
        let user = match label.strip_prefix("user:").map(str::parse::<i32>) {
            Some(Ok(id)) => doorstep_store::find_user(self.store.connection(), id).await?,
            _ => None,
        };
        let name = match (user, label) {
            (Some(user), _) => user.display_name,
            (None, "cli") => "doorstep (dòng lệnh / command line)".to_owned(),
            (None, "demo") => "doorstep (dữ liệu mẫu / demo data)".to_owned(),
            (None, other) => other.to_owned(),
        };
        self.known.insert(label.to_owned(), name.clone());
        Ok(name)
    }
}

fn zone_of(team: &Team) -> Tz {
    team.timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
}

async fn team_of(store: &Store, team_id: i32) -> Result<Team, ServiceError> {
    doorstep_store::find_team(store.connection(), team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))
}

/// A household with everything its page shows; the read of residents'
/// data is logged (ids and counts only).
///
/// # Errors
/// Not found when the household does not exist or is out of the actor's
/// reach; or the store fails.
pub async fn household_page(
    store: &Store,
    actor: &Actor,
    household_id: i32,
    now: DateTime<Utc>,
) -> Result<HouseholdPage, ServiceError> {
    let db = store.connection();
    let not_found = || ServiceError::not_found("household", household_id);
    let household = records::find_household(db, household_id)
        .await?
        .ok_or_else(not_found)?;
    if !actor
        .may_see_household(store, household.team_id, household.id)
        .await?
    {
        return Err(not_found());
    }
    let leads = actor.may_lead_team(store, household.team_id).await?;
    let team = team_of(store, household.team_id).await?;
    let village = match household.village_id {
        Some(id) => doorstep_store::find_area(db, id).await?.map(|a| a.name),
        None => None,
    };
    let mut residents = records::residents_of(db, household.id).await?;
    residents.sort_by_key(|r| r.id);
    let ids: Vec<i32> = residents.iter().map(|r| r.id).collect();
    let HouseholdHistory {
        visits,
        results,
        consents,
        need_changes,
    } = household_history(db, household.id, &ids).await?;
    let purposes: BTreeMap<i32, Vec<NeedStep>> =
        visits.iter().map(|v| (v.id, v.purposes.clone())).collect();
    let mut names = Names {
        store,
        known: BTreeMap::new(),
    };
    let mut lines = Vec::with_capacity(residents.len());
    for mut resident in residents {
        let mut needs = records::needs_of(db, resident.id).await?;
        needs.sort_by_key(|n| n.step);
        let mut need_lines = Vec::with_capacity(needs.len());
        for need in needs {
            let mut history = Vec::new();
            for entry in need_changes.iter().filter(|e| {
                e.entity_id == Some(resident.id)
                    && e.detail["need"].as_str() == Some(need.step.code())
            }) {
                let Some(to) = entry.detail["to"].as_str().and_then(NeedStatus::parse) else {
                    continue;
                };
                history.push(NeedEvent {
                    at: entry.at,
                    by: names.of(&entry.actor).await?,
                    change: NeedChange::Set {
                        from: entry.detail["from"].as_str().and_then(NeedStatus::parse),
                        to,
                    },
                });
            }
            for r in results.iter().filter(|r| {
                r.resident_id == resident.id
                    && match r.need {
                        Some(step) => step == need.step,
                        None => purposes
                            .get(&r.visit_id)
                            .is_some_and(|p| p.contains(&need.step)),
                    }
            }) {
                history.push(NeedEvent {
                    at: r.recorded_at,
                    by: names.of(&r.recorded_by).await?,
                    change: NeedChange::Result {
                        result: r.result,
                        appointment_on: r.appointment_on,
                    },
                });
            }
            history.sort_by_key(|e| e.at);
            let updated_by = match &need.updated_by {
                Some(label) => Some(names.of(label).await?),
                None => None,
            };
            need_lines.push(NeedLine {
                need,
                updated_by,
                history,
            });
        }
        let mut consent_lines = Vec::new();
        for (_, c) in consents.iter().filter(|(id, _)| *id == resident.id) {
            consent_lines.push(ConsentLine {
                action: c.action,
                text_version: Some(c.text_version.clone()),
                text: c.text.clone(),
                by: names.of(&c.recorded_by).await?,
                at: c.recorded_at,
            });
        }
        // A consent that came with the register has no entry of its own.
        if consent_lines.is_empty()
            && let Some(at) = resident.consent_at
        {
            consent_lines.push(ConsentLine {
                action: ConsentAction::Given,
                text_version: None,
                text: resident.consent_text.clone().unwrap_or_default(),
                by: match &resident.consent_by {
                    Some(label) => names.of(label).await?,
                    None => String::new(),
                },
                at,
            });
        }
        if !leads {
            resident.phone = None;
        }
        lines.push(ResidentLine {
            availability: resident
                .availability
                .as_deref()
                .and_then(Availability::from_stored),
            country: resident
                .country
                .as_deref()
                .and_then(doorstep_core::find_country),
            needs: need_lines,
            consents: consent_lines,
            resident,
        });
    }
    let members: BTreeMap<i32, String> = doorstep_store::team_members(db, team.id)
        .await?
        .into_iter()
        .map(|m| (m.id, m.full_name))
        .collect();
    let resident_names: BTreeMap<i32, String> = lines
        .iter()
        .map(|r| (r.resident.id, r.resident.full_name.clone()))
        .collect();
    let mut visit_lines = Vec::with_capacity(visits.len());
    for v in visits {
        let mut recorded = Vec::new();
        for r in results.iter().filter(|r| r.visit_id == v.id) {
            recorded.push(VisitResult {
                resident: resident_names
                    .get(&r.resident_id)
                    .cloned()
                    .unwrap_or_default(),
                need: r.need,
                result: r.result,
                appointment_on: r.appointment_on,
                by: names.of(&r.recorded_by).await?,
            });
        }
        visit_lines.push(VisitLine {
            id: v.id,
            start: v.start,
            end: v.end,
            mode: v.mode,
            status: v.status,
            purposes: v.purposes,
            member: members
                .get(&v.member_id)
                .cloned()
                .unwrap_or_else(|| format!("#{}", v.member_id)),
            results: recorded,
        });
    }
    if !lines.is_empty() {
        doorstep_store::append_audit(
            db,
            now,
            &actor.label(),
            "read_residents",
            "household",
            Some(household.id),
            serde_json::json!({
                "households": 1,
                "residents": lines.len(),
                "phones": leads,
            }),
        )
        .await?;
    }
    let consent_version =
        doorstep_store::repo::residents::latest_consent_version(db, household.team_id).await?;
    Ok(HouseholdPage {
        zone: zone_of(&team),
        team,
        household,
        village,
        leads,
        residents: lines,
        visits: visit_lines,
        consent_version,
    })
}

/// The villages a team serves, by id, for the register's filters.
///
/// # Errors
/// Not found when the team is out of the actor's scope; or the store fails.
pub async fn team_villages(
    store: &Store,
    actor: &Actor,
    team_id: i32,
) -> Result<Vec<(i32, String)>, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    let team = team_of(store, team_id).await?;
    Ok(doorstep_store::villages_of_team(store.connection(), &team)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

/// A resident whose availability the leader edits.
#[derive(Clone, Debug)]
pub struct ResidentRule {
    /// The resident.
    pub resident: Resident,
    /// Their household.
    pub household: Household,
    /// Its team.
    pub team: Team,
    /// The team's zone.
    pub zone: Tz,
    /// Their rule as stored and in words.
    pub availability: Option<Availability>,
    /// The catalog the team's rules read: the shipped stations and the
    /// team's own.
    pub catalog: Catalog,
}

/// One resident with their rule, for their team's leader.
///
/// # Errors
/// Not found when the resident is out of the actor's reach, forbidden
/// when the actor does not lead the team, or the store fails.
pub async fn resident_rule(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    resident_id: i32,
) -> Result<ResidentRule, ServiceError> {
    let not_found = || ServiceError::not_found("resident", resident_id);
    let (resident, household) =
        doorstep_store::repo::residents::find_resident(store.connection(), resident_id)
            .await?
            .ok_or_else(not_found)?;
    if !actor
        .may_see_household(store, household.team_id, household.id)
        .await?
    {
        return Err(not_found());
    }
    actor.require_lead(store, household.team_id).await?;
    let team = team_of(store, household.team_id).await?;
    let catalog = crate::team_stations::team_catalog(store, catalog, household.team_id)
        .await?
        .into_owned();
    Ok(ResidentRule {
        catalog,
        availability: resident
            .availability
            .as_deref()
            .and_then(Availability::from_stored),
        zone: zone_of(&team),
        team,
        household,
        resident,
    })
}

/// The tide stations a preset may name: id and name, by id.
pub fn station_choices(catalog: &Catalog) -> Vec<(String, String)> {
    catalog
        .stations()
        .iter()
        .map(|s| (s.id().to_owned(), s.info().name.clone()))
        .collect()
}
