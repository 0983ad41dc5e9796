//! Households, their residents and their needs as the register shows them:
//! a team's households a page at a time, one household whole, the counts.

use std::collections::{BTreeMap, BTreeSet};

use doorstep_core::{NeedStatus, NeedStep, Presence};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::snapshot::LatLon;
use crate::StoreError;
use crate::entity::{area, household, need, resident};

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
/// whatever the team's size. With `visited_by`, only the households that
/// member visits on the team's calendar (a visit on it, not cancelled).
///
/// # Errors
/// The database fails.
pub async fn team_households_page(
    db: &impl ConnectionTrait,
    team_id: i32,
    visited_by: Option<i32>,
    offset: u64,
    limit: u64,
) -> Result<HouseholdPage, StoreError> {
    let mut of_team = household::Entity::find().filter(household::Column::TeamId.eq(team_id));
    if let Some(member_id) = visited_by {
        of_team = of_team.filter(
            household::Column::Id
                .in_subquery(super::plans::member_calendar_households(team_id, member_id)),
        );
    }
    let total = of_team.clone().count(db).await?;
    let households = of_team
        .order_by_asc(household::Column::ExternalId)
        .order_by_asc(household::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok(HouseholdPage {
        total,
        households: household_details(db, households).await?,
    })
}

/// A page of a team's households in register order (register key, then
/// id) after `after`, the key and id of the previous page's last one, with
/// their residents and needs. A page costs four queries with at most
/// `limit` bound ids each, whatever the team's size; an export or a search
/// walks the whole register this way in bounded memory. With `visited_by`,
/// only the households that member visits on the team's calendar.
///
/// # Errors
/// The database fails.
pub async fn team_households_after(
    db: &impl ConnectionTrait,
    team_id: i32,
    visited_by: Option<i32>,
    after: Option<(&str, i32)>,
    limit: u64,
) -> Result<Vec<HouseholdDetails>, StoreError> {
    let mut query = household::Entity::find().filter(household::Column::TeamId.eq(team_id));
    if let Some(member_id) = visited_by {
        query = query.filter(
            household::Column::Id
                .in_subquery(super::plans::member_calendar_households(team_id, member_id)),
        );
    }
    if let Some((key, id)) = after {
        query = query.filter(
            Condition::any()
                .add(household::Column::ExternalId.gt(key))
                .add(
                    Condition::all()
                        .add(household::Column::ExternalId.eq(key))
                        .add(household::Column::Id.gt(id)),
                ),
        );
    }
    let households = query
        .order_by_asc(household::Column::ExternalId)
        .order_by_asc(household::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    household_details(db, households).await
}

/// How many households and residents a team has.
///
/// # Errors
/// The database fails.
pub async fn team_register_counts(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<(u64, u64), StoreError> {
    let households = household::Entity::find()
        .filter(household::Column::TeamId.eq(team_id))
        .count(db)
        .await?;
    let residents = resident::Entity::find()
        .filter(
            resident::Column::HouseholdId.in_subquery(super::snapshot::team_household_ids(team_id)),
        )
        .count(db)
        .await?;
    Ok((households, residents))
}

/// These households with their residents, needs and village names, in
/// the order given.
async fn household_details(
    db: &impl ConnectionTrait,
    households: Vec<household::Model>,
) -> Result<Vec<HouseholdDetails>, StoreError> {
    if households.is_empty() {
        return Ok(Vec::new());
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
        needs.entry(n.resident_id).or_default().push(NeedRecord {
            step: n.step.0,
            status: n.status.0,
        });
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
                presence: r.presence.0,
                country: r.country,
                timezone: r.timezone,
                availability: r.availability,
                consent: r.consent_at.is_some(),
                needs,
            });
    }
    Ok(households
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
        .collect())
}

/// The village of each of these households (`None`: the household has none).
///
/// # Errors
/// The database fails.
pub async fn household_villages(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<std::collections::BTreeMap<i32, Option<i32>>, StoreError> {
    let mut out = std::collections::BTreeMap::new();
    for chunk in ids.chunks(500) {
        out.extend(
            household::Entity::find()
                .filter(household::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|h| (h.id, h.village_id)),
        );
    }
    Ok(out)
}
