//! A team's own tide stations, fitted to the high and low waters written
//! down at its port, and the team's adoption of one as its station: the
//! team's default station changes and every rule of the team that named the
//! old one names the new one, in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};

use super::audit::append_audit;
use super::begin_writing;
use super::blackouts::BlackoutJson;
use crate::entity::{blackout, household, member, resident, team, tide_station};
use crate::{RuleJson, StoreError};

/// A team's station as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredStation {
    /// Row id.
    pub id: i32,
    /// The team.
    pub team_id: i32,
    /// The station's id, as rules name it (unique within the team).
    pub station_id: String,
    /// Its name.
    pub name: String,
    /// The station file (TOML).
    pub file: String,
    /// The readings' CSV it was fitted to.
    pub readings: String,
    /// The fit in figures (JSON).
    pub summary: String,
    /// The fit's report, in Vietnamese and English.
    pub report: String,
    /// Who fitted it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<tide_station::Model> for StoredStation {
    fn from(m: tide_station::Model) -> Self {
        StoredStation {
            id: m.id,
            team_id: m.team_id,
            station_id: m.station_id,
            name: m.name,
            file: m.file,
            readings: m.readings,
            summary: m.summary,
            report: m.report,
            created_by: m.created_by,
            created_at: m.created_at,
        }
    }
}

/// A station to keep with a team (its file already read as a station file).
#[derive(Clone, Debug, PartialEq)]
pub struct NewStation<'a> {
    /// The team.
    pub team_id: i32,
    /// The station's id.
    pub station_id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// The station file.
    pub file: &'a str,
    /// The readings.
    pub readings: &'a str,
    /// The fit in figures (JSON).
    pub summary: &'a str,
    /// The fit's report.
    pub report: &'a str,
}

/// A team's stations, by station id.
///
/// # Errors
/// The database fails.
pub async fn team_stations(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Vec<StoredStation>, StoreError> {
    Ok(tide_station::Entity::find()
        .filter(tide_station::Column::TeamId.eq(team_id))
        .order_by_asc(tide_station::Column::StationId)
        .all(db)
        .await?
        .into_iter()
        .map(StoredStation::from)
        .collect())
}

/// One of a team's stations.
///
/// # Errors
/// The database fails.
pub async fn team_station(
    db: &impl ConnectionTrait,
    team_id: i32,
    station_id: &str,
) -> Result<Option<StoredStation>, StoreError> {
    Ok(tide_station::Entity::find()
        .filter(tide_station::Column::TeamId.eq(team_id))
        .filter(tide_station::Column::StationId.eq(station_id))
        .one(db)
        .await?
        .map(StoredStation::from))
}

/// Keeps a station with its team, in place of the team's station of the
/// same id (fitted again to more readings); audited. Returns the row and
/// whether it replaced one.
///
/// # Errors
/// The database fails; nothing is written.
pub async fn save_station<C>(
    db: &C,
    station: &NewStation<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(StoredStation, bool), StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_writing(db).await?;
    let replaced = tide_station::Entity::delete_many()
        .filter(tide_station::Column::TeamId.eq(station.team_id))
        .filter(tide_station::Column::StationId.eq(station.station_id))
        .exec(&txn)
        .await?
        .rows_affected
        > 0;
    let row = tide_station::ActiveModel {
        team_id: Set(station.team_id),
        station_id: Set(station.station_id.to_owned()),
        name: Set(station.name.to_owned()),
        file: Set(station.file.to_owned()),
        readings: Set(station.readings.to_owned()),
        summary: Set(station.summary.to_owned()),
        report: Set(station.report.to_owned()),
        created_by: Set(actor.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    append_audit(
        &txn,
        now,
        actor,
        "fit_tide_station",
        "team",
        Some(station.team_id),
        serde_json::json!({"station": station.station_id, "replaced": replaced}),
    )
    .await?;
    txn.commit().await?;
    Ok((row.into(), replaced))
}

/// What adopting a station changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adopted {
    /// The team's station before.
    pub previous: Option<String>,
    /// Residents' rules that now name the new station.
    pub residents: usize,
    /// Members' free times that now name it.
    pub members: usize,
    /// Blackouts that now name it.
    pub blackouts: usize,
}

/// How a rule is rewritten to name the adopted station: `Some` with the new
/// rule (validated) when it named the old one, `None` to leave it.
pub trait Rewrite {
    /// An availability rule (a resident's or a member's).
    fn rule(&self, text: &str) -> Option<RuleJson>;
    /// A blackout.
    fn blackout(&self, text: &str) -> Option<BlackoutJson>;
}

/// Makes `station_id` the team's station and rewrites, with `rewrite`, every
/// availability rule and blackout of the team: one transaction, audited.
/// A rule is written only if it is still the text that was rewritten (an
/// edit made meanwhile stands).
///
/// # Errors
/// The team does not exist (not found), or the database fails; nothing is
/// written.
pub async fn adopt_station<C>(
    db: &C,
    team_id: i32,
    station_id: &str,
    rewrite: &(impl Rewrite + Sync),
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Adopted, StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_writing(db).await?;
    let Some(row) = team::Entity::find_by_id(team_id).one(&txn).await? else {
        return Err(StoreError::NotFound(format!("team {team_id}")));
    };
    let mut adopted = Adopted {
        previous: row.tide_station.clone(),
        ..Adopted::default()
    };
    let mut active: team::ActiveModel = row.into();
    active.tide_station = Set(Some(station_id.to_owned()));
    active.update(&txn).await?;

    let residents = resident::Entity::find()
        .filter(
            resident::Column::HouseholdId.in_subquery(
                Query::select()
                    .column(household::Column::Id)
                    .from(household::Entity)
                    .and_where(household::Column::TeamId.eq(team_id))
                    .take(),
            ),
        )
        .filter(resident::Column::Availability.is_not_null())
        .all(&txn)
        .await?;
    for r in residents {
        let Some(old) = r.availability else { continue };
        if let Some(new) = rewrite.rule(&old) {
            adopted.residents += resident::Entity::update_many()
                .col_expr(
                    resident::Column::Availability,
                    sea_orm::sea_query::Expr::value(new.as_str()),
                )
                .filter(resident::Column::Id.eq(r.id))
                .filter(resident::Column::Availability.eq(old))
                .exec(&txn)
                .await?
                .rows_affected as usize;
        }
    }
    let members = member::Entity::find()
        .filter(member::Column::TeamId.eq(team_id))
        .filter(member::Column::Availability.is_not_null())
        .all(&txn)
        .await?;
    for m in members {
        let Some(old) = m.availability else { continue };
        if let Some(new) = rewrite.rule(&old) {
            adopted.members += member::Entity::update_many()
                .col_expr(
                    member::Column::Availability,
                    sea_orm::sea_query::Expr::value(new.as_str()),
                )
                .filter(member::Column::Id.eq(m.id))
                .filter(member::Column::Availability.eq(old))
                .exec(&txn)
                .await?
                .rows_affected as usize;
        }
    }
    let blackouts = blackout::Entity::find()
        .filter(blackout::Column::TeamId.eq(team_id))
        .all(&txn)
        .await?;
    for b in blackouts {
        if let Some(new) = rewrite.blackout(&b.rule) {
            adopted.blackouts += blackout::Entity::update_many()
                .col_expr(
                    blackout::Column::Rule,
                    sea_orm::sea_query::Expr::value(new.as_str()),
                )
                .filter(blackout::Column::Id.eq(b.id))
                .filter(blackout::Column::Rule.eq(b.rule))
                .exec(&txn)
                .await?
                .rows_affected as usize;
        }
    }
    append_audit(
        &txn,
        now,
        actor,
        "adopt_tide_station",
        "team",
        Some(team_id),
        serde_json::json!({
            "station": station_id,
            "previous": adopted.previous,
            "residents": adopted.residents,
            "members": adopted.members,
            "blackouts": adopted.blackouts,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(adopted)
}

/// Removes one of a team's stations, audited; `false` when there was none.
/// The caller checks that nothing names it.
///
/// # Errors
/// The database fails.
pub async fn delete_station<C>(
    db: &C,
    team_id: i32,
    station_id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_writing(db).await?;
    let deleted = tide_station::Entity::delete_many()
        .filter(tide_station::Column::TeamId.eq(team_id))
        .filter(tide_station::Column::StationId.eq(station_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Ok(false);
    }
    append_audit(
        &txn,
        now,
        actor,
        "delete_tide_station",
        "team",
        Some(team_id),
        serde_json::json!({"station": station_id}),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}
