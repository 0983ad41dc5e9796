//! Households, their residents and their needs: the village register.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use doorstep_core::{NeedStatus, NeedStep, Presence};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use super::audit::append_audit;
use super::snapshot::LatLon;
use super::teams::find_team;
use crate::StoreError;
use crate::entity::{area, household, need, resident};

/// A household of a register, with its residents.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterHousehold {
    /// The register's key of the household.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// The village, when known.
    pub village_id: Option<i32>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// Residents in register order.
    pub residents: Vec<RegisterResident>,
}

/// A resident of a register.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterResident {
    /// The register's key of the resident within the household.
    pub external_id: String,
    /// Full name.
    pub full_name: String,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Phone number.
    pub phone: Option<String>,
    /// Where the resident is.
    pub presence: Presence,
    /// ISO 3166 alpha-2 country, for residents abroad.
    pub country: Option<String>,
    /// IANA time zone, for residents abroad.
    pub timezone: Option<String>,
    /// The pipeline steps still to do.
    pub needs: Vec<NeedStep>,
    /// Availability rules, validated; `None` leaves the stored rules as they are.
    pub availability: Option<crate::RuleJson>,
    /// Steps already done (created or moved to done); a done step is never reopened.
    pub done: Vec<NeedStep>,
    /// The resident's consent; `None` leaves the stored consent as it is.
    pub consent: Option<Consent>,
}

/// A resident's consent to being recorded and visited.
#[derive(Clone, Debug, PartialEq)]
pub struct Consent {
    /// When it was given.
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: String,
    /// The text the resident agreed to.
    pub text: String,
}

/// What applying a register changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RegisterChanges {
    /// New households.
    pub households_created: usize,
    /// Households whose address, village or location changed.
    pub households_updated: usize,
    /// New residents.
    pub residents_created: usize,
    /// Residents whose row changed.
    pub residents_updated: usize,
    /// New open needs.
    pub needs_opened: usize,
    /// Open needs no longer listed, now not applicable.
    pub needs_closed: usize,
    /// Needs recorded as done.
    pub needs_done: usize,
    /// Residents of the register left out because they were erased.
    pub residents_erased_skipped: usize,
}

impl RegisterChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == RegisterChanges::default()
    }
}

/// Applies a register to a team in one transaction: households and residents
/// are matched by their register keys, created or updated; needs listed are
/// opened when new; open needs no longer listed become not applicable (done
/// needs stay done). Nothing is written when nothing differs. An audit entry
/// records every change.
///
/// # Errors
/// The team does not exist or the database fails; then nothing is written.
pub async fn apply_register<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    team_id: i32,
    households: &[RegisterHousehold],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<RegisterChanges, StoreError> {
    let txn = db.begin().await?;
    if find_team(&txn, team_id).await?.is_none() {
        return Err(StoreError::NotFound(format!(
            "team {team_id} does not exist"
        )));
    }
    let mut changes = RegisterChanges::default();
    let existing: BTreeMap<String, household::Model> = household::Entity::find()
        .filter(household::Column::TeamId.eq(team_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|h| (h.external_id.clone(), h))
        .collect();
    let erased: std::collections::BTreeSet<String> = crate::entity::erasure::Entity::find()
        .filter(crate::entity::erasure::Column::TeamId.eq(team_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|e| e.register_key_hash)
        .collect();
    for input in households {
        let old = existing.get(&input.external_id).cloned();
        let wanted = household::Model {
            id: old.as_ref().map_or(0, |h| h.id),
            team_id,
            village_id: input.village_id,
            external_id: input.external_id.clone(),
            address: input.address.clone(),
            latitude: input.latitude,
            longitude: input.longitude,
            priority: old.as_ref().and_then(|h| h.priority),
            service_minutes: old.as_ref().and_then(|h| h.service_minutes),
            created_at: old.as_ref().map_or(now, |h| h.created_at),
            updated_at: old.as_ref().map_or(now, |h| h.updated_at),
        };
        let household_id = match old {
            Some(old) if old == wanted => old.id,
            Some(old) => {
                household::Model {
                    updated_at: now,
                    ..wanted
                }
                .into_active_model()
                .reset_all()
                .update(&txn)
                .await?;
                changes.households_updated += 1;
                old.id
            }
            None => {
                let mut active = wanted.into_active_model();
                active.id = sea_orm::ActiveValue::NotSet;
                changes.households_created += 1;
                active.insert(&txn).await?.id
            }
        };
        let kept: Vec<RegisterResident> = input
            .residents
            .iter()
            .filter(|r| {
                let gone = erased.contains(&super::residents::register_key_hash(
                    &input.external_id,
                    &r.external_id,
                ));
                changes.residents_erased_skipped += usize::from(gone);
                !gone
            })
            .cloned()
            .collect();
        apply_residents(&txn, household_id, &kept, actor, now, &mut changes).await?;
    }
    if !changes.is_empty() {
        super::tallies::refresh_teams(&txn, &[team_id]).await?;
        append_audit(
            &txn,
            now,
            actor,
            "import_register",
            "team",
            Some(team_id),
            serde_json::to_value(changes).expect("counts serialise"),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(changes)
}

async fn apply_residents(
    db: &impl ConnectionTrait,
    household_id: i32,
    residents: &[RegisterResident],
    actor: &str,
    now: DateTime<Utc>,
    changes: &mut RegisterChanges,
) -> Result<(), StoreError> {
    let existing: BTreeMap<String, resident::Model> = resident::Entity::find()
        .filter(resident::Column::HouseholdId.eq(household_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.external_id.clone(), r))
        .collect();
    for input in residents {
        let old = existing.get(&input.external_id).cloned();
        let wanted = resident::Model {
            id: old.as_ref().map_or(0, |r| r.id),
            household_id,
            external_id: input.external_id.clone(),
            full_name: input.full_name.clone(),
            birth_year: input.birth_year,
            phone: input.phone.clone(),
            presence: input.presence.code().to_string(),
            country: input.country.clone(),
            timezone: input.timezone.clone(),
            availability: match &input.availability {
                Some(rules) => Some(rules.as_str().to_string()),
                None => old.as_ref().and_then(|r| r.availability.clone()),
            },
            consent_at: match &input.consent {
                Some(consent) => Some(consent.at),
                None => old.as_ref().and_then(|r| r.consent_at),
            },
            consent_by: match &input.consent {
                Some(consent) => Some(consent.by.clone()),
                None => old.as_ref().and_then(|r| r.consent_by.clone()),
            },
            consent_text: match &input.consent {
                Some(consent) => Some(consent.text.clone()),
                None => old.as_ref().and_then(|r| r.consent_text.clone()),
            },
            created_at: old.as_ref().map_or(now, |r| r.created_at),
            updated_at: old.as_ref().map_or(now, |r| r.updated_at),
            attempts: old.as_ref().map_or(0, |r| r.attempts),
            last_attempt_at: old.as_ref().and_then(|r| r.last_attempt_at),
        };
        let resident_id = match old {
            Some(old) if old == wanted => old.id,
            Some(old) => {
                resident::Model {
                    updated_at: now,
                    ..wanted
                }
                .into_active_model()
                .reset_all()
                .update(db)
                .await?;
                changes.residents_updated += 1;
                old.id
            }
            None => {
                let mut active = wanted.into_active_model();
                active.id = sea_orm::ActiveValue::NotSet;
                changes.residents_created += 1;
                active.insert(db).await?.id
            }
        };
        apply_needs(db, resident_id, input, actor, now, changes).await?;
    }
    Ok(())
}

async fn apply_needs(
    db: &impl ConnectionTrait,
    resident_id: i32,
    input: &RegisterResident,
    actor: &str,
    now: DateTime<Utc>,
    changes: &mut RegisterChanges,
) -> Result<(), StoreError> {
    let existing = need::Entity::find()
        .filter(need::Column::ResidentId.eq(resident_id))
        .all(db)
        .await?;
    let open: BTreeSet<&str> = input.needs.iter().map(|n| n.code()).collect();
    let done: BTreeSet<&str> = input.done.iter().map(|n| n.code()).collect();
    for (step, status) in open
        .iter()
        .filter(|s| !done.contains(*s))
        .map(|s| (s, NeedStatus::Open))
        .chain(done.iter().map(|s| (s, NeedStatus::Done)))
    {
        if existing.iter().any(|n| n.step == *step) {
            continue;
        }
        need::ActiveModel {
            resident_id: Set(resident_id),
            step: Set(step.to_string()),
            status: Set(status.code().to_string()),
            updated_at: Set(now),
            updated_by: Set(Some(actor.to_string())),
            ..Default::default()
        }
        .insert(db)
        .await?;
        if status == NeedStatus::Open {
            changes.needs_opened += 1;
        } else {
            changes.needs_done += 1;
        }
    }
    for old in existing {
        let wanted = if done.contains(old.step.as_str()) {
            NeedStatus::Done
        } else if open.contains(old.step.as_str()) {
            continue;
        } else {
            NeedStatus::NotApplicable
        };
        if old.status != NeedStatus::Open.code() {
            continue;
        }
        if wanted == NeedStatus::Done {
            changes.needs_done += 1;
        } else {
            changes.needs_closed += 1;
        }
        let mut active = old.into_active_model();
        active.status = Set(wanted.code().to_string());
        active.updated_at = Set(now);
        active.updated_by = Set(Some(actor.to_string()));
        active.update(db).await?;
    }
    Ok(())
}

/// A need of a resident: a step and where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NeedRecord {
    /// The step.
    pub step: NeedStep,
    /// Open, done or not applicable.
    pub status: NeedStatus,
}

/// A resident as the register shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidentDetails {
    /// Id.
    pub id: i32,
    /// The register's key within the household.
    pub external_id: String,
    /// Full name.
    pub full_name: String,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Phone number.
    pub phone: Option<String>,
    /// Where the resident is.
    pub presence: Presence,
    /// ISO country code, for residents abroad.
    pub country: Option<String>,
    /// IANA zone, for residents abroad.
    pub timezone: Option<String>,
    /// Availability rule JSON, validated when it was stored.
    pub availability: Option<String>,
    /// Whether consent to be recorded and visited is recorded.
    pub consent: bool,
    /// Every need with its status, in pipeline order (stored codes this
    /// build does not know are left out).
    pub needs: Vec<NeedRecord>,
}

/// A household as the register shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdDetails {
    /// Id.
    pub id: i32,
    /// The register's key.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Its village.
    pub village_id: Option<i32>,
    /// Its village's name.
    pub village: Option<String>,
    /// Its own location, when surveyed.
    pub location: Option<LatLon>,
    /// Residents, by id.
    pub residents: Vec<ResidentDetails>,
}

/// One page of a team's households and how many there are in all.
#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdPage {
    /// Households of the team, in all.
    pub total: u64,
    /// This page's, by register key.
    pub households: Vec<HouseholdDetails>,
}

/// The households of a team from `offset`, at most `limit`, ordered by
/// register key, with their residents and needs; the database counts and
/// pages (`COUNT`, `LIMIT`/`OFFSET`), and a page costs four more queries
/// whatever the team's size.
///
/// # Errors
/// The database fails.
pub async fn team_households_page(
    db: &impl ConnectionTrait,
    team_id: i32,
    offset: u64,
    limit: u64,
) -> Result<HouseholdPage, StoreError> {
    let of_team = household::Entity::find().filter(household::Column::TeamId.eq(team_id));
    let total = of_team.clone().count(db).await?;
    let households = of_team
        .order_by_asc(household::Column::ExternalId)
        .order_by_asc(household::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    if households.is_empty() {
        return Ok(HouseholdPage {
            total,
            households: Vec::new(),
        });
    }
    let ids: Vec<i32> = households.iter().map(|h| h.id).collect();
    let residents = resident::Entity::find()
        .filter(resident::Column::HouseholdId.is_in(ids.iter().copied()))
        .order_by_asc(resident::Column::Id)
        .all(db)
        .await?;
    let mut needs: BTreeMap<i32, Vec<NeedRecord>> = BTreeMap::new();
    for n in need::Entity::find()
        .filter(
            need::Column::ResidentId.in_subquery(
                Query::select()
                    .column(resident::Column::Id)
                    .from(resident::Entity)
                    .and_where(resident::Column::HouseholdId.is_in(ids.iter().copied()))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?
    {
        if let (Some(step), Some(status)) = (NeedStep::parse(&n.step), NeedStatus::parse(&n.status))
        {
            needs
                .entry(n.resident_id)
                .or_default()
                .push(NeedRecord { step, status });
        }
    }
    let village_ids: BTreeSet<i32> = households.iter().filter_map(|h| h.village_id).collect();
    let villages: BTreeMap<i32, String> = if village_ids.is_empty() {
        BTreeMap::new()
    } else {
        area::Entity::find()
            .select_only()
            .column(area::Column::Id)
            .column(area::Column::Name)
            .filter(area::Column::Id.is_in(village_ids))
            .into_tuple::<(i32, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let mut by_household: BTreeMap<i32, Vec<ResidentDetails>> = BTreeMap::new();
    for r in residents {
        let mut needs = needs.remove(&r.id).unwrap_or_default();
        needs.sort_by_key(|n| n.step);
        by_household
            .entry(r.household_id)
            .or_default()
            .push(ResidentDetails {
                id: r.id,
                external_id: r.external_id,
                full_name: r.full_name,
                birth_year: r.birth_year,
                phone: r.phone,
                presence: Presence::parse(&r.presence).unwrap_or(Presence::Home),
                country: r.country,
                timezone: r.timezone,
                availability: r.availability,
                consent: r.consent_at.is_some(),
                needs,
            });
    }
    Ok(HouseholdPage {
        total,
        households: households
            .into_iter()
            .map(|h| HouseholdDetails {
                id: h.id,
                residents: by_household.remove(&h.id).unwrap_or_default(),
                village: h.village_id.and_then(|v| villages.get(&v).cloned()),
                village_id: h.village_id,
                location: match (h.latitude, h.longitude) {
                    (Some(lat), Some(lon)) => Some(LatLon { lat, lon }),
                    _ => None,
                },
                external_id: h.external_id,
                address: h.address,
            })
            .collect(),
    })
}
