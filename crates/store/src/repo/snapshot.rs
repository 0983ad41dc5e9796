//! What planning reads of a team, in the domain's words: its members, its
//! households with their residents and open needs, its blackout periods.
//! Loaded with a few queries whatever the team's size.

use std::collections::BTreeMap;

use doorstep_core::{MemberRole, NeedStatus, NeedStep, Presence, Skill};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::blackouts::{StoredBlackout, team_blackouts};
use crate::StoreError;
use crate::entity::{area, household, member, need, resident, team};

/// A point on the map, in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatLon {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

fn point(lat: Option<f64>, lon: Option<f64>) -> Option<LatLon> {
    Some(LatLon {
        lat: lat?,
        lon: lon?,
    })
}

/// A team as planning sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamRecord {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// The team's area.
    pub area_id: i32,
    /// IANA zone name, as stored.
    pub timezone: String,
    /// Default tide station.
    pub tide_station: Option<String>,
    /// The centre of the team's area, when known.
    pub centre: Option<LatLon>,
}

/// A member as planning sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberRecord {
    /// Id.
    pub id: i32,
    /// Full name.
    pub full_name: String,
    /// Leader or volunteer.
    pub role: MemberRole,
    /// Skills (unknown stored codes are dropped).
    pub skills: Vec<Skill>,
    /// Visits a day, at most.
    pub daily_visit_cap: u32,
    /// Makes phone or video calls.
    pub remote_capable: bool,
    /// Home, where shifts start and remote visits happen.
    pub home: Option<LatLon>,
    /// Availability rule JSON, validated when it was stored.
    pub availability: Option<String>,
    /// Still on the team.
    pub active: bool,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

/// A resident as planning sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidentRecord {
    /// Id.
    pub id: i32,
    /// The register's key within the household.
    pub external_id: String,
    /// Full name.
    pub full_name: String,
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
    /// Steps still open, in pipeline order.
    pub open_needs: Vec<NeedStep>,
}

/// A household as planning sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdRecord {
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
    /// The centre of its village, when known.
    pub village_centre: Option<LatLon>,
    /// The leader's priority (1–5), overriding the one the needs imply.
    pub priority: Option<u8>,
    /// The leader's visit length in minutes, overriding the needs'.
    pub service_minutes: Option<u32>,
    /// Residents, by id.
    pub residents: Vec<ResidentRecord>,
}

/// Everything planning reads of one team.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamSnapshot {
    /// The team.
    pub team: TeamRecord,
    /// Its members, by id.
    pub members: Vec<MemberRecord>,
    /// Its households, in register order.
    pub households: Vec<HouseholdRecord>,
    /// Its blackout periods.
    pub blackouts: Vec<StoredBlackout>,
}

pub(crate) fn member_record(m: member::Model) -> MemberRecord {
    let skills: Vec<String> = serde_json::from_str(&m.skills).unwrap_or_default();
    MemberRecord {
        id: m.id,
        role: MemberRole::parse(&m.role).unwrap_or(MemberRole::Volunteer),
        skills: skills.iter().filter_map(|s| Skill::parse(s)).collect(),
        daily_visit_cap: m.daily_visit_cap.max(0) as u32,
        remote_capable: m.remote_capable,
        home: point(m.home_latitude, m.home_longitude),
        availability: m.availability,
        active: m.active,
        email: m.email,
        phone: m.phone,
        full_name: m.full_name,
    }
}

/// The team with its members, households (residents with their open needs)
/// and blackouts; `None` when the team does not exist.
///
/// # Errors
/// The database fails.
pub async fn team_snapshot(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Option<TeamSnapshot>, StoreError> {
    let Some(team) = team::Entity::find_by_id(team_id).one(db).await? else {
        return Ok(None);
    };
    let own_area = area::Entity::find_by_id(team.area_id).one(db).await?;
    let villages: BTreeMap<i32, area::Model> = area::Entity::find()
        .filter(
            Condition::any()
                .add(area::Column::ParentId.eq(team.area_id))
                .add(area::Column::Id.eq(team.area_id)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let members = member::Entity::find()
        .filter(member::Column::TeamId.eq(team_id))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(member_record)
        .collect();
    let households = household::Entity::find()
        .filter(household::Column::TeamId.eq(team_id))
        .order_by_asc(household::Column::ExternalId)
        .all(db)
        .await?;
    let residents = resident::Entity::find()
        .filter(resident::Column::HouseholdId.in_subquery(team_household_ids(team_id)))
        .order_by_asc(resident::Column::Id)
        .all(db)
        .await?;
    let needs = need::Entity::find()
        .filter(
            need::Column::ResidentId.in_subquery(
                Query::select()
                    .column(resident::Column::Id)
                    .from(resident::Entity)
                    .and_where(
                        resident::Column::HouseholdId.in_subquery(team_household_ids(team_id)),
                    )
                    .to_owned(),
            ),
        )
        .filter(need::Column::Status.eq(NeedStatus::Open.code()))
        .all(db)
        .await?;
    let mut open: BTreeMap<i32, Vec<NeedStep>> = BTreeMap::new();
    for n in needs {
        if let Some(step) = NeedStep::parse(&n.step) {
            open.entry(n.resident_id).or_default().push(step);
        }
    }
    let mut by_household: BTreeMap<i32, Vec<ResidentRecord>> = BTreeMap::new();
    for r in residents {
        let mut open_needs = open.remove(&r.id).unwrap_or_default();
        open_needs.sort();
        by_household
            .entry(r.household_id)
            .or_default()
            .push(ResidentRecord {
                id: r.id,
                external_id: r.external_id,
                full_name: r.full_name,
                phone: r.phone,
                presence: Presence::parse(&r.presence).unwrap_or(Presence::Home),
                country: r.country,
                timezone: r.timezone,
                availability: r.availability,
                consent: r.consent_at.is_some(),
                open_needs,
            });
    }
    let households = households
        .into_iter()
        .map(|h| {
            let village = h.village_id.and_then(|v| villages.get(&v));
            HouseholdRecord {
                id: h.id,
                residents: by_household.remove(&h.id).unwrap_or_default(),
                village_id: h.village_id,
                village: village.map(|v| v.name.clone()),
                village_centre: village.and_then(|v| point(v.latitude, v.longitude)),
                location: point(h.latitude, h.longitude),
                priority: h.priority.and_then(|p| u8::try_from(p).ok()),
                service_minutes: h.service_minutes.and_then(|m| u32::try_from(m).ok()),
                external_id: h.external_id,
                address: h.address,
            }
        })
        .collect();
    let blackouts = team_blackouts(db, team_id).await?;
    Ok(Some(TeamSnapshot {
        team: TeamRecord {
            id: team.id,
            name: team.name,
            area_id: team.area_id,
            timezone: team.timezone,
            tide_station: team.tide_station,
            centre: own_area.and_then(|a| point(a.latitude, a.longitude)),
        },
        members,
        households,
        blackouts,
    }))
}

/// `SELECT id FROM households WHERE team_id = ?`, for subqueries.
pub(crate) fn team_household_ids(team_id: i32) -> SelectStatement {
    Query::select()
        .column(household::Column::Id)
        .from(household::Entity)
        .and_where(household::Column::TeamId.eq(team_id))
        .to_owned()
}
