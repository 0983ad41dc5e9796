//! What planning reads of a team, in the domain's words: its members, its
//! households with their residents and open needs, its blackout periods.
//! Loaded with a few queries whatever the team's size.

use doorstep_core::{VisitMode, VisitStatus};
use sea_orm::DbErr;
use std::collections::BTreeMap;

use doorstep_core::{Language, MemberRole, NeedStatus, NeedStep, OutcomeResult, Presence, Skill};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::blackouts::{StoredBlackout, team_blackouts};
use crate::Code;
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
    /// The language of their messages.
    pub language: Language,
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
    /// Steps still open and free to plan, in pipeline order.
    pub open_needs: Vec<NeedStep>,
    /// Open steps held back by their last outcome, in pipeline order.
    pub held_needs: Vec<(NeedStep, NeedHold)>,
    /// Visits that found the resident away since one last met them.
    pub attempts: u32,
}

/// Why an open need is not planned now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeedHold {
    /// The resident refused it.
    Refused,
    /// It waits for an appointment on this day (VNeID level 2 at the police).
    Appointment(chrono::NaiveDate),
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
    /// The names of its area and the villages in it, by id.
    pub villages: BTreeMap<i32, String>,
}

/// A member as the service sees it.
///
/// # Errors
/// The stored skills are not a JSON list of skill codes.
pub(crate) fn member_record(m: member::Model) -> Result<MemberRecord, DbErr> {
    let skills: Vec<String> = serde_json::from_str(&m.skills).map_err(|e| {
        DbErr::Type(format!(
            "member {}: stored skills are not a JSON list: {e}",
            m.id
        ))
    })?;
    let skills = skills
        .iter()
        .map(|s| Code::<Skill>::read_db(s))
        .collect::<Result<_, _>>()?;
    Ok(MemberRecord {
        id: m.id,
        role: m.role.0,
        skills,
        daily_visit_cap: m.daily_visit_cap.max(0) as u32,
        remote_capable: m.remote_capable,
        home: point(m.home_latitude, m.home_longitude),
        availability: m.availability,
        active: m.active,
        email: m.email,
        phone: m.phone,
        full_name: m.full_name,
        language: m.language.0,
    })
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
    snapshot(db, team_id, Scope::Whole).await
}

/// The team with all its members and its blackouts, but of its register
/// only these households, with their residents but not their needs (every
/// resident's `open_needs` and `held_needs` are empty): what a calendar of a
/// few days shows, without reading the whole register. Not for planning.
///
/// # Errors
/// The database fails.
pub async fn team_calendar_snapshot(
    db: &impl ConnectionTrait,
    team_id: i32,
    households: &[i32],
) -> Result<Option<TeamSnapshot>, StoreError> {
    // Each id is bound three times; past a few thousand, reading the whole
    // register is cheaper than a statement too long for the database.
    const MOST_LISTED: usize = 2_000;
    if households.len() <= MOST_LISTED {
        return snapshot(db, team_id, Scope::Households(households)).await;
    }
    let keep: std::collections::BTreeSet<i32> = households.iter().copied().collect();
    let mut whole = snapshot(db, team_id, Scope::Whole).await?;
    if let Some(whole) = &mut whole {
        whole.households.retain(|h| keep.contains(&h.id));
        for resident in whole.households.iter_mut().flat_map(|h| &mut h.residents) {
            resident.open_needs.clear();
            resident.held_needs.clear();
        }
    }
    Ok(whole)
}

/// Part of a team's snapshot: the team, these members and these households
/// (with their residents and open needs), no blackouts. For a day's list,
/// which needs a handful of households, not the whole register.
///
/// # Errors
/// The database fails.
pub async fn team_snapshot_part(
    db: &impl ConnectionTrait,
    team_id: i32,
    members: &[i32],
    households: &[i32],
) -> Result<Option<TeamSnapshot>, StoreError> {
    snapshot(db, team_id, Scope::Part(members, households)).await
}

/// How much of a team a snapshot reads.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// Everything.
    Whole,
    /// All members and the blackouts, these households without their needs.
    Households(&'a [i32]),
    /// These members, these households, no blackouts.
    Part(&'a [i32], &'a [i32]),
}

async fn snapshot(
    db: &impl ConnectionTrait,
    team_id: i32,
    scope: Scope<'_>,
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
    let mut members = member::Entity::find().filter(member::Column::TeamId.eq(team_id));
    let mut households = household::Entity::find().filter(household::Column::TeamId.eq(team_id));
    let mut household_ids = team_household_ids(team_id);
    if let Scope::Part(member_ids, _) = scope {
        members = members.filter(member::Column::Id.is_in(member_ids.iter().copied()));
    }
    if let Scope::Part(_, ids) | Scope::Households(ids) = scope {
        households = households.filter(household::Column::Id.is_in(ids.iter().copied()));
        household_ids.and_where(household::Column::Id.is_in(ids.iter().copied()));
    }
    let members = members
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(member_record)
        .collect::<Result<_, _>>()?;
    let households = households
        .order_by_asc(household::Column::ExternalId)
        .all(db)
        .await?;
    let residents = resident::Entity::find()
        .filter(resident::Column::HouseholdId.in_subquery(household_ids.clone()))
        .order_by_asc(resident::Column::Id)
        .all(db)
        .await?;
    let needs = if let Scope::Households(_) = scope {
        Vec::new()
    } else {
        need::Entity::find()
            .filter(
                need::Column::ResidentId.in_subquery(
                    Query::select()
                        .column(resident::Column::Id)
                        .from(resident::Entity)
                        .and_where(resident::Column::HouseholdId.in_subquery(household_ids))
                        .to_owned(),
                ),
            )
            .filter(need::Column::Status.eq(NeedStatus::Open.code()))
            .all(db)
            .await?
    };
    let mut open: BTreeMap<i32, Vec<NeedStep>> = BTreeMap::new();
    let mut held: BTreeMap<i32, Vec<(NeedStep, NeedHold)>> = BTreeMap::new();
    for n in needs {
        let step = n.step.0;
        match (n.last_result.map(|c| c.0), n.appointment_on) {
            (Some(OutcomeResult::Refused), _) => {
                held.entry(n.resident_id)
                    .or_default()
                    .push((step, NeedHold::Refused));
            }
            (Some(OutcomeResult::NeedsAppointment), Some(day)) => held
                .entry(n.resident_id)
                .or_default()
                .push((step, NeedHold::Appointment(day))),
            _ => open.entry(n.resident_id).or_default().push(step),
        }
    }
    let mut by_household: BTreeMap<i32, Vec<ResidentRecord>> = BTreeMap::new();
    for r in residents {
        let mut open_needs = open.remove(&r.id).unwrap_or_default();
        open_needs.sort();
        let mut held_needs = held.remove(&r.id).unwrap_or_default();
        held_needs.sort_by_key(|(step, _)| *step);
        by_household
            .entry(r.household_id)
            .or_default()
            .push(ResidentRecord {
                id: r.id,
                external_id: r.external_id,
                full_name: r.full_name,
                phone: r.phone,
                presence: r.presence.0,
                country: r.country,
                timezone: r.timezone,
                availability: r.availability,
                consent: r.consent_at.is_some(),
                open_needs,
                held_needs,
                attempts: r.attempts.max(0) as u32,
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
    let blackouts = match scope {
        Scope::Part(..) => Vec::new(),
        Scope::Whole | Scope::Households(_) => team_blackouts(db, team_id).await?,
    };
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
        villages: villages.into_iter().map(|(id, v)| (id, v.name)).collect(),
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

/// A member's published visits in `[from, to)` with everything a day's
/// list shows, in two queries whatever the team's size: the member with
/// their team, then the visits joined with their plans, households,
/// villages and residents. The residents' open needs are not loaded (a
/// visit's purposes say what it is for).
#[derive(Clone, Debug, PartialEq)]
pub struct DaySheet {
    /// The team (its zone, name and centre), the member as its only member,
    /// and the households of the visits with their villages.
    pub snapshot: TeamSnapshot,
    /// The visits, in start order.
    pub visits: Vec<super::plans::VisitRecord>,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct MemberTeamRow {
    team_id: i32,
    team_name: String,
    area_id: i32,
    timezone: String,
    tide_station: Option<String>,
    area_latitude: Option<f64>,
    area_longitude: Option<f64>,
    member_id: i32,
    full_name: String,
    role: Code<MemberRole>,
    email: Option<String>,
    phone: Option<String>,
    skills: String,
    daily_visit_cap: i32,
    remote_capable: bool,
    home_latitude: Option<f64>,
    home_longitude: Option<f64>,
    availability: Option<String>,
    active: bool,
    created_at: chrono::DateTime<chrono::Utc>,
    language: Code<Language>,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct DayRow {
    visit_id: i32,
    plan_id: i32,
    start_at: chrono::DateTime<chrono::Utc>,
    end_at: chrono::DateTime<chrono::Utc>,
    mode: Code<VisitMode>,
    purposes: String,
    residents: String,
    status: Code<VisitStatus>,
    pinned: bool,
    job: String,
    updated_at: chrono::DateTime<chrono::Utc>,
    household_id: i32,
    external_id: String,
    address: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    priority: Option<i32>,
    service_minutes: Option<i32>,
    village_id: Option<i32>,
    village_name: Option<String>,
    village_latitude: Option<f64>,
    village_longitude: Option<f64>,
    resident_id: Option<i32>,
    resident_external_id: Option<String>,
    full_name: Option<String>,
    phone: Option<String>,
    presence: Option<Code<Presence>>,
    country: Option<String>,
    resident_timezone: Option<String>,
    availability: Option<String>,
    consent_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The team of a member; `None` when the member does not exist.
///
/// # Errors
/// The database fails.
pub async fn member_team_record(
    db: &impl ConnectionTrait,
    member_id: i32,
) -> Result<Option<(TeamRecord, MemberRecord)>, StoreError> {
    use sea_orm::FromQueryResult;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType};
    // One query: a volunteer's list asks it on every request.
    let a = Alias::new("a");
    let m = Alias::new("m");
    let member_col = |c: member::Column| Expr::col((m.clone(), c));
    let query = || {
        Query::select()
            .expr_as(
                Expr::col((team::Entity, team::Column::Id)),
                Alias::new("team_id"),
            )
            .expr_as(
                Expr::col((team::Entity, team::Column::Name)),
                Alias::new("team_name"),
            )
            .column((team::Entity, team::Column::AreaId))
            .column((team::Entity, team::Column::Timezone))
            .column((team::Entity, team::Column::TideStation))
            .expr_as(
                Expr::col((a.clone(), area::Column::Latitude)),
                Alias::new("area_latitude"),
            )
            .expr_as(
                Expr::col((a.clone(), area::Column::Longitude)),
                Alias::new("area_longitude"),
            )
            .expr_as(member_col(member::Column::Id), Alias::new("member_id"))
            .expr_as(
                member_col(member::Column::FullName),
                Alias::new("full_name"),
            )
            .expr_as(member_col(member::Column::Role), Alias::new("role"))
            .expr_as(member_col(member::Column::Email), Alias::new("email"))
            .expr_as(member_col(member::Column::Phone), Alias::new("phone"))
            .expr_as(member_col(member::Column::Skills), Alias::new("skills"))
            .expr_as(
                member_col(member::Column::DailyVisitCap),
                Alias::new("daily_visit_cap"),
            )
            .expr_as(
                member_col(member::Column::RemoteCapable),
                Alias::new("remote_capable"),
            )
            .expr_as(
                member_col(member::Column::HomeLatitude),
                Alias::new("home_latitude"),
            )
            .expr_as(
                member_col(member::Column::HomeLongitude),
                Alias::new("home_longitude"),
            )
            .expr_as(
                member_col(member::Column::Availability),
                Alias::new("availability"),
            )
            .expr_as(member_col(member::Column::Active), Alias::new("active"))
            .expr_as(
                member_col(member::Column::CreatedAt),
                Alias::new("created_at"),
            )
            .expr_as(member_col(member::Column::Language), Alias::new("language"))
            .from_as(member::Entity, m.clone())
            .join(
                JoinType::InnerJoin,
                team::Entity,
                Expr::col((team::Entity, team::Column::Id))
                    .equals((m.clone(), member::Column::TeamId)),
            )
            .join_as(
                JoinType::LeftJoin,
                area::Entity,
                a.clone(),
                Expr::col((a.clone(), area::Column::Id))
                    .equals((team::Entity, team::Column::AreaId)),
            )
            .and_where(member_col(member::Column::Id).eq(member_id))
            .to_owned()
    };
    static SQL: super::BuiltOnce = super::BuiltOnce::new();
    let statement = SQL.statement(db.get_database_backend(), query, vec![member_id.into()]);
    let Some(row) = MemberTeamRow::find_by_statement(statement).one(db).await? else {
        return Ok(None);
    };
    let member = member::Model {
        id: row.member_id,
        team_id: row.team_id,
        full_name: row.full_name,
        role: row.role,
        email: row.email,
        phone: row.phone,
        skills: row.skills,
        daily_visit_cap: row.daily_visit_cap,
        remote_capable: row.remote_capable,
        home_latitude: row.home_latitude,
        home_longitude: row.home_longitude,
        availability: row.availability,
        active: row.active,
        created_at: row.created_at,
        language: row.language,
    };
    Ok(Some((
        TeamRecord {
            id: row.team_id,
            name: row.team_name,
            area_id: row.area_id,
            timezone: row.timezone,
            tide_station: row.tide_station,
            centre: point(row.area_latitude, row.area_longitude),
        },
        member_record(member)?,
    )))
}

/// A member's published, not cancelled visits starting in `[from, to)`,
/// with their households; see [`DaySheet`].
///
/// # Errors
/// The database fails.
pub async fn day_sheet(
    db: &impl ConnectionTrait,
    team: TeamRecord,
    member: MemberRecord,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<DaySheet, StoreError> {
    use doorstep_core::VisitStatus;
    use sea_orm::FromQueryResult;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order};

    use crate::entity::{plan, visit};
    let v = Alias::new("v");
    let village = Alias::new("village");
    let col = |c: visit::Column| Expr::col((v.clone(), c));
    let query = || {
        Query::select()
            .expr_as(col(visit::Column::Id), Alias::new("visit_id"))
            .expr_as(col(visit::Column::PlanId), Alias::new("plan_id"))
            .expr_as(col(visit::Column::StartAt), Alias::new("start_at"))
            .expr_as(col(visit::Column::EndAt), Alias::new("end_at"))
            .expr_as(col(visit::Column::Mode), Alias::new("mode"))
            .expr_as(col(visit::Column::Purposes), Alias::new("purposes"))
            .expr_as(col(visit::Column::Residents), Alias::new("residents"))
            .expr_as(col(visit::Column::Status), Alias::new("status"))
            .expr_as(col(visit::Column::Pinned), Alias::new("pinned"))
            .expr_as(col(visit::Column::Job), Alias::new("job"))
            .expr_as(col(visit::Column::UpdatedAt), Alias::new("updated_at"))
            .expr_as(col(visit::Column::HouseholdId), Alias::new("household_id"))
            .expr_as(
                Expr::col((household::Entity, household::Column::ExternalId)),
                Alias::new("external_id"),
            )
            .column((household::Entity, household::Column::Address))
            .column((household::Entity, household::Column::Latitude))
            .column((household::Entity, household::Column::Longitude))
            .column((household::Entity, household::Column::Priority))
            .column((household::Entity, household::Column::ServiceMinutes))
            .column((household::Entity, household::Column::VillageId))
            .expr_as(
                Expr::col((village.clone(), area::Column::Name)),
                Alias::new("village_name"),
            )
            .expr_as(
                Expr::col((village.clone(), area::Column::Latitude)),
                Alias::new("village_latitude"),
            )
            .expr_as(
                Expr::col((village.clone(), area::Column::Longitude)),
                Alias::new("village_longitude"),
            )
            .expr_as(
                Expr::col((resident::Entity, resident::Column::Id)),
                Alias::new("resident_id"),
            )
            .expr_as(
                Expr::col((resident::Entity, resident::Column::ExternalId)),
                Alias::new("resident_external_id"),
            )
            .column((resident::Entity, resident::Column::FullName))
            .column((resident::Entity, resident::Column::Phone))
            .column((resident::Entity, resident::Column::Presence))
            .column((resident::Entity, resident::Column::Country))
            .expr_as(
                Expr::col((resident::Entity, resident::Column::Timezone)),
                Alias::new("resident_timezone"),
            )
            .column((resident::Entity, resident::Column::Availability))
            .column((resident::Entity, resident::Column::ConsentAt))
            .from_as(visit::Entity, v.clone())
            .join(
                JoinType::InnerJoin,
                plan::Entity,
                Expr::col((plan::Entity, plan::Column::Id))
                    .equals((v.clone(), visit::Column::PlanId)),
            )
            .join(
                JoinType::InnerJoin,
                household::Entity,
                Expr::col((household::Entity, household::Column::Id))
                    .equals((v.clone(), visit::Column::HouseholdId)),
            )
            .join_as(
                JoinType::LeftJoin,
                area::Entity,
                village.clone(),
                Expr::col((village.clone(), area::Column::Id))
                    .equals((household::Entity, household::Column::VillageId)),
            )
            .join(
                JoinType::LeftJoin,
                resident::Entity,
                Expr::col((resident::Entity, resident::Column::HouseholdId))
                    .equals((household::Entity, household::Column::Id)),
            )
            .and_where(col(visit::Column::MemberId).eq(member.id))
            .and_where(col(visit::Column::StartAt).gte(from))
            .and_where(col(visit::Column::StartAt).lt(to))
            .and_where(col(visit::Column::Status).ne(VisitStatus::Cancelled.code()))
            .and_where(Expr::col((plan::Entity, plan::Column::TeamId)).eq(team.id))
            .and_where(col(visit::Column::OnCalendar).eq(true))
            .order_by((v.clone(), visit::Column::StartAt), Order::Asc)
            .order_by((v.clone(), visit::Column::Id), Order::Asc)
            .order_by((resident::Entity, resident::Column::Id), Order::Asc)
            .to_owned()
    };
    static SQL: super::BuiltOnce = super::BuiltOnce::new();
    let statement = SQL.statement(
        db.get_database_backend(),
        query,
        vec![
            member.id.into(),
            from.into(),
            to.into(),
            VisitStatus::Cancelled.code().into(),
            team.id.into(),
            true.into(),
        ],
    );
    let rows = DayRow::find_by_statement(statement).all(db).await?;
    let mut visits: Vec<super::plans::VisitRecord> = Vec::new();
    let mut households: Vec<HouseholdRecord> = Vec::new();
    for row in rows {
        if visits.last().is_none_or(|last| last.id != row.visit_id) {
            visits.push(super::plans::visit_from_parts(
                row.visit_id,
                row.plan_id,
                row.household_id,
                member.id,
                (row.start_at, row.end_at),
                (row.mode.0, &row.purposes, &row.residents, row.status.0),
                row.pinned,
                row.job.clone(),
                row.updated_at,
                (true, None),
            )?);
        }
        let index = match households.iter().position(|h| h.id == row.household_id) {
            Some(i) => i,
            None => {
                households.push(HouseholdRecord {
                    id: row.household_id,
                    external_id: row.external_id.clone(),
                    address: row.address.clone(),
                    village_id: row.village_id,
                    village: row.village_name.clone(),
                    location: point(row.latitude, row.longitude),
                    village_centre: point(row.village_latitude, row.village_longitude),
                    priority: row.priority.and_then(|p| u8::try_from(p).ok()),
                    service_minutes: row.service_minutes.and_then(|m| u32::try_from(m).ok()),
                    residents: Vec::new(),
                });
                households.len() - 1
            }
        };
        if let (Some(id), Some(presence)) = (row.resident_id, row.presence)
            && !households[index].residents.iter().any(|r| r.id == id)
        {
            households[index].residents.push(ResidentRecord {
                id,
                external_id: row.resident_external_id.unwrap_or_default(),
                full_name: row.full_name.unwrap_or_default(),
                phone: row.phone,
                presence: presence.0,
                country: row.country,
                timezone: row.resident_timezone,
                availability: row.availability,
                consent: row.consent_at.is_some(),
                open_needs: Vec::new(),
                held_needs: Vec::new(),
                attempts: 0,
            });
        }
    }
    // The villages of the visits' households: a day's list names no other.
    let villages = households
        .iter()
        .filter_map(|h| Some((h.village_id?, h.village.clone()?)))
        .collect();
    Ok(DaySheet {
        snapshot: TeamSnapshot {
            team,
            members: vec![member],
            households,
            blackouts: Vec::new(),
            villages,
        },
        visits,
    })
}
