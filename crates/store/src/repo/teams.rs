//! Teams and their members; what a team holds, counted in SQL.

use doorstep_core::MemberRole;
use doorstep_core::records::Team;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use doorstep_core::{NeedStatus, NeedStep, Presence};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationDef, Statement,
};

use super::Change;
use super::snapshot::{MemberRecord, member_record};
use crate::Code;
use crate::StoreError;
use crate::entity::{area, household, member, need, resident, team};

/// A team to create when missing, found by its area and name.
#[derive(Clone, Debug)]
pub struct TeamInput {
    /// The code of the team's area.
    pub area_code: String,
    /// The team's name.
    pub name: String,
    /// IANA time zone of the team.
    pub timezone: String,
    /// Id of the tide station the team's rules use by default.
    pub tide_station: Option<String>,
}

/// Creates the team when its area has no team of that name; a team that
/// exists is left as it is.
///
/// # Errors
/// The area is unknown, or the database fails.
pub async fn ensure_team(
    db: &impl ConnectionTrait,
    input: &TeamInput,
    now: DateTime<Utc>,
) -> Result<(i32, Change), StoreError> {
    let area = area::Entity::find()
        .filter(area::Column::Code.eq(input.area_code.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("area with code {} does not exist", input.area_code))
        })?;
    if let Some(existing) = team::Entity::find()
        .filter(team::Column::AreaId.eq(area.id))
        .filter(team::Column::Name.eq(input.name.as_str()))
        .one(db)
        .await?
    {
        return Ok((existing.id, Change::Unchanged));
    }
    let created = team::ActiveModel {
        area_id: Set(area.id),
        name: Set(input.name.clone()),
        timezone: Set(input.timezone.clone()),
        tide_station: Set(input.tide_station.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((created.id, Change::Created))
}

/// A member to create when missing, found by team and full name or e-mail.
#[derive(Clone, Debug)]
pub struct MemberInput {
    /// The member's team.
    pub team_id: i32,
    /// Full name.
    pub full_name: String,
    /// Leader or volunteer.
    pub role: MemberRole,
    /// Where the daily list is sent.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Skill codes.
    pub skills: Vec<String>,
    /// At most this many visits a day.
    pub daily_visit_cap: i32,
    /// May do visits by phone or video.
    pub remote_capable: bool,
    /// Home latitude.
    pub home_latitude: Option<f64>,
    /// Home longitude.
    pub home_longitude: Option<f64>,
    /// Availability rules, validated.
    pub availability: Option<crate::RuleJson>,
    /// The language of their messages.
    pub language: doorstep_core::Language,
}

/// Creates the member when the team has nobody of that full name or
/// e-mail; a member found is left as it is, so a leader's edits stay (a
/// member renamed is still found by the e-mail, one given another e-mail
/// by the name).
///
/// # Errors
/// The database fails.
pub async fn ensure_member(
    db: &impl ConnectionTrait,
    input: &MemberInput,
    now: DateTime<Utc>,
) -> Result<(i32, Change), StoreError> {
    let mut same = Condition::any().add(member::Column::FullName.eq(input.full_name.as_str()));
    if let Some(email) = &input.email {
        same = same.add(member::Column::Email.eq(email.as_str()));
    }
    if let Some(existing) = member::Entity::find()
        .filter(member::Column::TeamId.eq(input.team_id))
        .filter(same)
        .order_by_asc(member::Column::Id)
        .one(db)
        .await?
    {
        return Ok((existing.id, Change::Unchanged));
    }
    let created = member::ActiveModel {
        team_id: Set(input.team_id),
        full_name: Set(input.full_name.clone()),
        role: Set(Code(input.role)),
        email: Set(input.email.clone()),
        phone: Set(input.phone.clone()),
        skills: Set(serde_json::to_string(&input.skills).expect("strings serialise")),
        daily_visit_cap: Set(input.daily_visit_cap),
        remote_capable: Set(input.remote_capable),
        home_latitude: Set(input.home_latitude),
        home_longitude: Set(input.home_longitude),
        availability: Set(input.availability.as_ref().map(|r| r.as_str().to_string())),
        active: Set(true),
        created_at: Set(now),
        language: Set(Code(input.language)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((created.id, Change::Created))
}

/// The team with this id.
///
/// # Errors
/// The database fails.
pub async fn find_team(db: &impl ConnectionTrait, id: i32) -> Result<Option<Team>, StoreError> {
    Ok(team::Entity::find_by_id(id).one(db).await?.map(Team::from))
}

/// Every team, by id.
///
/// # Errors
/// The database fails.
pub async fn list_teams(db: &impl ConnectionTrait) -> Result<Vec<Team>, StoreError> {
    Ok(team::Entity::find()
        .order_by_asc(team::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Team::from)
        .collect())
}

/// The members of a team, by id, in the domain's words.
///
/// # Errors
/// The database fails.
pub async fn team_members(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Vec<MemberRecord>, StoreError> {
    Ok(member::Entity::find()
        .filter(member::Column::TeamId.eq(team_id))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(member_record)
        .collect::<Result<_, _>>()?)
}

/// Which teams to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamSelection {
    /// Every team.
    All,
    /// The team with this id.
    One(i32),
    /// The teams whose area is this area or lies under it.
    WithinArea(i32),
}

/// What a team holds, counted by the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamCounts {
    /// Members, active or not.
    pub members: u64,
    /// Households.
    pub households: u64,
    /// Residents.
    pub residents: u64,
    /// Residents by where they are; every presence is listed, zero included.
    pub presence: BTreeMap<Presence, u64>,
    /// Open needs by step; every step is listed, zero included.
    pub open_needs: BTreeMap<NeedStep, u64>,
    /// Households with at least one resident with an open need.
    pub households_with_open_needs: u64,
}

impl Default for TeamCounts {
    fn default() -> Self {
        TeamCounts {
            members: 0,
            households: 0,
            residents: 0,
            presence: Presence::ALL.iter().map(|p| (*p, 0)).collect(),
            open_needs: NeedStep::ALL.iter().map(|s| (*s, 0)).collect(),
            households_with_open_needs: 0,
        }
    }
}

/// A team with its area's name and its counts.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamOverview {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// The team's area.
    pub area_id: i32,
    /// The area's name.
    pub area: String,
    /// IANA zone name, as stored.
    pub timezone: String,
    /// Default tide station.
    pub tide_station: Option<String>,
    /// What it holds.
    pub counts: TeamCounts,
}

/// The selected teams, by id, with their counts. A handful of grouped
/// queries whatever the number of teams and households: nothing is counted
/// in memory.
///
/// # Errors
/// The database fails.
pub async fn team_overviews(
    db: &impl ConnectionTrait,
    selection: TeamSelection,
) -> Result<Vec<TeamOverview>, StoreError> {
    let query = team::Entity::find().order_by_asc(team::Column::Id);
    let teams = match selection {
        TeamSelection::All => query.all(db).await?,
        TeamSelection::One(id) => query.filter(team::Column::Id.eq(id)).all(db).await?,
        TeamSelection::WithinArea(area_id) => {
            query
                .filter(team::Column::AreaId.is_in(area_and_below(db, area_id).await?))
                .all(db)
                .await?
        }
    };
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = teams.iter().map(|t| t.id).collect();
    let area_ids: BTreeSet<i32> = teams.iter().map(|t| t.area_id).collect();
    let areas: BTreeMap<i32, String> = area::Entity::find()
        .select_only()
        .column(area::Column::Id)
        .column(area::Column::Name)
        .filter(area::Column::Id.is_in(area_ids))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut counts = team_counts(db, &ids).await?;
    Ok(teams
        .into_iter()
        .map(|t| TeamOverview {
            counts: counts.remove(&t.id).unwrap_or_default(),
            area: areas.get(&t.area_id).cloned().unwrap_or_default(),
            id: t.id,
            name: t.name,
            area_id: t.area_id,
            timezone: t.timezone,
            tide_station: t.tide_station,
        })
        .collect())
}

/// `residents JOIN households`.
fn resident_household() -> RelationDef {
    resident::Entity::belongs_to(household::Entity)
        .from(resident::Column::HouseholdId)
        .to(household::Column::Id)
        .into()
}

/// `needs JOIN residents`.
fn need_resident() -> RelationDef {
    need::Entity::belongs_to(resident::Entity)
        .from(need::Column::ResidentId)
        .to(resident::Column::Id)
        .into()
}

/// The counts of these teams, each a `GROUP BY` of the database.
/// A row of kept counts, summed over a team's areas.
#[derive(sea_orm::FromQueryResult)]
struct KeptRow {
    team_id: i32,
    measure: String,
    step: String,
    n: i64,
}

async fn team_counts(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<BTreeMap<i32, TeamCounts>, StoreError> {
    let mut counts: BTreeMap<i32, TeamCounts> =
        ids.iter().map(|id| (*id, TeamCounts::default())).collect();
    let members: Vec<(i32, i64)> = member::Entity::find()
        .select_only()
        .column(member::Column::TeamId)
        .column_as(member::Column::Id.count(), "n")
        .filter(member::Column::TeamId.is_in(ids.iter().copied()))
        .group_by(member::Column::TeamId)
        .into_tuple()
        .all(db)
        .await?;
    for (team, n) in members {
        counts.entry(team).or_default().members = to_u64(n);
    }
    // The households and the open needs by step are kept counts (tallies),
    // written in the transactions that change them.
    let kept = format!(
        "SELECT team_id, measure, step, CAST(SUM(n) AS BIGINT) AS n FROM tallies \
         WHERE team_id IN ({list}) \
           AND (measure = 'households' OR (measure = 'needs' AND status = '{open}')) \
         GROUP BY team_id, measure, step",
        list = super::tallies::team_list(ids),
        open = NeedStatus::Open.code(),
    );
    let kept = KeptRow::find_by_statement(Statement::from_string(db.get_database_backend(), kept))
        .all(db)
        .await?;
    for row in kept {
        let entry = counts.entry(row.team_id).or_default();
        if row.measure == "households" {
            entry.households += to_u64(row.n);
        } else if let Some(step) = NeedStep::parse(&row.step) {
            *entry.open_needs.entry(step).or_default() += to_u64(row.n);
        }
    }
    let residents: Vec<(i32, Code<Presence>, i64)> = resident::Entity::find()
        .select_only()
        .column(household::Column::TeamId)
        .column(resident::Column::Presence)
        .column_as(resident::Column::Id.count(), "n")
        .join(JoinType::InnerJoin, resident_household())
        .filter(household::Column::TeamId.is_in(ids.iter().copied()))
        .group_by(household::Column::TeamId)
        .group_by(resident::Column::Presence)
        .into_tuple()
        .all(db)
        .await?;
    for (team, presence, n) in residents {
        let entry = counts.entry(team).or_default();
        entry.residents += to_u64(n);
        *entry.presence.entry(presence.0).or_default() += to_u64(n);
    }
    let with_open: Vec<(i32, i64)> = need::Entity::find()
        .select_only()
        .column(household::Column::TeamId)
        .column_as(
            Expr::from(Func::count_distinct(Expr::col((
                household::Entity,
                household::Column::Id,
            )))),
            "n",
        )
        .join(JoinType::InnerJoin, need_resident())
        .join(JoinType::InnerJoin, resident_household())
        .filter(household::Column::TeamId.is_in(ids.iter().copied()))
        .filter(need::Column::Status.eq(NeedStatus::Open.code()))
        .group_by(household::Column::TeamId)
        .into_tuple()
        .all(db)
        .await?;
    for (team, n) in with_open {
        counts.entry(team).or_default().households_with_open_needs = to_u64(n);
    }
    Ok(counts)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The area and every area under it (a province's communes and their
/// villages), one query per level.
async fn area_and_below(db: &impl ConnectionTrait, area_id: i32) -> Result<Vec<i32>, StoreError> {
    let mut all = BTreeSet::from([area_id]);
    let mut level = vec![area_id];
    // The tree is province → commune → village; the bound stops a cycle.
    for _ in 0..8 {
        if level.is_empty() {
            break;
        }
        let children: Vec<i32> = area::Entity::find()
            .select_only()
            .column(area::Column::Id)
            .filter(area::Column::ParentId.is_in(level))
            .into_tuple()
            .all(db)
            .await?;
        level = children.into_iter().filter(|id| all.insert(*id)).collect();
    }
    Ok(all.into_iter().collect())
}

/// How many of a team's residents' needs stand at one step, status and last
/// recorded result, counted by the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeedTally {
    /// The step.
    pub step: NeedStep,
    /// Its status.
    pub status: NeedStatus,
    /// The last result recorded for it at a visit, if any.
    pub last_result: Option<doorstep_core::OutcomeResult>,
    /// How many needs.
    pub count: u64,
}

/// The team's needs grouped by step, status and last recorded result.
///
/// # Errors
/// The database fails.
pub async fn team_need_tallies(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Vec<NeedTally>, StoreError> {
    type Row = (
        Code<NeedStep>,
        Code<NeedStatus>,
        Option<Code<doorstep_core::OutcomeResult>>,
        i64,
    );
    let rows: Vec<Row> = need::Entity::find()
        .select_only()
        .column(need::Column::Step)
        .column(need::Column::Status)
        .column(need::Column::LastResult)
        .column_as(need::Column::Id.count(), "n")
        .join(JoinType::InnerJoin, need_resident())
        .join(JoinType::InnerJoin, resident_household())
        .filter(household::Column::TeamId.eq(team_id))
        .group_by(need::Column::Step)
        .group_by(need::Column::Status)
        .group_by(need::Column::LastResult)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(step, status, last_result, n)| NeedTally {
            step: step.0,
            status: status.0,
            last_result: last_result.map(|c| c.0),
            count: to_u64(n),
        })
        .collect())
}
