//! Kept counts of the officials' audit ("tallies"): per team and area, the
//! households, residents, households reached and met, and needs by step and
//! status; per team, area and quarter hour (UTC), the visits done and the
//! households first reached. The coverage of a province sums these rows
//! instead of counting a million households and six million needs.
//!
//! A household counts under its team and its village (the team's area when
//! it has none), as in the audit's scope. The rows of a team are rewritten
//! from the base tables by [`refresh_teams`] inside the transaction that
//! changes what they count, so they change exactly when the data does;
//! [`rebuild_all`] rewrites every team's after a bulk load.

use std::fmt::Write as _;

use doorstep_core::{OutcomeResult, VisitStatus};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect,
};

use crate::StoreError;
use crate::dialect::Dialect;
use crate::entity::household;

/// The quarter hour (seconds since 1970 UTC divided by 900) of a timestamp
/// column.
fn quarter_sql(backend: DatabaseBackend, column: &str) -> String {
    Dialect::from(backend).quarter_number(column)
}

/// `teams` as an SQL list, sorted and without repeats.
pub(crate) fn team_list(teams: &[i32]) -> String {
    let mut teams = teams.to_vec();
    teams.sort_unstable();
    teams.dedup();
    let mut list = String::new();
    for (i, team) in teams.iter().enumerate() {
        if i > 0 {
            list.push_str(", ");
        }
        let _ = write!(list, "{team}");
    }
    list
}

/// `hh(id, team_id, area_id)`: the households counted, with the area they
/// count under.
fn households_cte(filter: &str) -> String {
    format!(
        "hh AS (SELECT h.id, h.team_id, COALESCE(h.village_id, t.area_id) AS area_id \
           FROM households h JOIN teams t ON t.id = h.team_id{filter})"
    )
}

/// The statement that writes the counts of the households of `hh`.
fn insert_counts_sql(filter: &str) -> String {
    let done = VisitStatus::Done.code();
    let met = OutcomeResult::Done.code();
    format!(
        "WITH {hh} \
         INSERT INTO tallies (team_id, area_id, measure, step, status, n) \
         SELECT hh.team_id, hh.area_id, 'households', '', '', COUNT(*) \
           FROM hh GROUP BY hh.team_id, hh.area_id \
         UNION ALL \
         SELECT hh.team_id, hh.area_id, 'residents', '', '', COUNT(*) \
           FROM hh JOIN residents r ON r.household_id = hh.id \
           GROUP BY hh.team_id, hh.area_id \
         UNION ALL \
         SELECT hh.team_id, hh.area_id, 'needs', n.step, n.status, COUNT(*) \
           FROM hh JOIN residents r ON r.household_id = hh.id \
           JOIN needs n ON n.resident_id = r.id \
           GROUP BY hh.team_id, hh.area_id, n.step, n.status \
         UNION ALL \
         SELECT hh.team_id, hh.area_id, 'reached', '', '', COUNT(*) \
           FROM hh WHERE EXISTS (SELECT 1 FROM visits v \
             WHERE v.household_id = hh.id AND v.status = '{done}') \
           GROUP BY hh.team_id, hh.area_id \
         UNION ALL \
         SELECT hh.team_id, hh.area_id, 'met', '', '', COUNT(*) \
           FROM hh WHERE EXISTS (SELECT 1 FROM visits v JOIN outcomes o ON o.visit_id = v.id \
             WHERE v.household_id = hh.id AND o.result = '{met}') \
           GROUP BY hh.team_id, hh.area_id",
        hh = households_cte(filter),
    )
}

/// The statement that writes the visits done and the households first
/// reached of the households of `hh`, by quarter hour.
fn insert_quarters_sql(backend: DatabaseBackend, filter: &str) -> String {
    let done = VisitStatus::Done.code();
    format!(
        "WITH {hh} \
         INSERT INTO tally_quarters (team_id, area_id, quarter, visits_done, first_reached) \
         SELECT team_id, area_id, quarter, SUM(visits_done), SUM(first_reached) FROM (\
           SELECT hh.team_id, hh.area_id, {visit_quarter} AS quarter, \
                  1 AS visits_done, 0 AS first_reached \
             FROM hh JOIN visits v ON v.household_id = hh.id WHERE v.status = '{done}' \
           UNION ALL \
           SELECT f.team_id, f.area_id, {first_quarter}, 0, 1 \
             FROM (SELECT hh.team_id, hh.area_id, MIN(v.start_at) AS first_at \
                   FROM hh JOIN visits v ON v.household_id = hh.id \
                   WHERE v.status = '{done}' GROUP BY hh.id, hh.team_id, hh.area_id) f\
         ) x GROUP BY team_id, area_id, quarter",
        hh = households_cte(filter),
        visit_quarter = quarter_sql(backend, "v.start_at"),
        first_quarter = quarter_sql(backend, "f.first_at"),
    )
}

/// Recomputes the kept counts of these teams from the base tables: their
/// rows are deleted and written again. Call it inside the transaction that
/// changed what they count, after the last change: on PostgreSQL it holds
/// the teams' rows until the commit, so that two changes of one team write
/// their counts one after the other.
///
/// # Errors
/// The database fails.
pub async fn refresh_teams(db: &impl ConnectionTrait, teams: &[i32]) -> Result<(), StoreError> {
    if teams.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let list = team_list(teams);
    if let Some(lock) = Dialect::from(backend).lock_teams(Some(&list)) {
        db.execute_unprepared(&lock).await?;
    }
    db.execute_unprepared(&format!("DELETE FROM tallies WHERE team_id IN ({list})"))
        .await?;
    db.execute_unprepared(&format!(
        "DELETE FROM tally_quarters WHERE team_id IN ({list})"
    ))
    .await?;
    let filter = format!(" WHERE h.team_id IN ({list})");
    db.execute_unprepared(&insert_counts_sql(&filter)).await?;
    db.execute_unprepared(&insert_quarters_sql(backend, &filter))
        .await?;
    Ok(())
}

/// Recomputes the kept counts of every team, set by set: for after a bulk
/// load, which writes the base tables without them.
///
/// # Errors
/// The database fails.
pub async fn rebuild_all(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    if let Some(lock) = Dialect::from(backend).lock_teams(None) {
        db.execute_unprepared(&lock).await?;
    }
    db.execute_unprepared("DELETE FROM tallies").await?;
    db.execute_unprepared("DELETE FROM tally_quarters").await?;
    db.execute_unprepared(&insert_counts_sql("")).await?;
    db.execute_unprepared(&insert_quarters_sql(backend, ""))
        .await?;
    Ok(())
}

/// Recomputes the kept counts of the teams of these households, as
/// [`refresh_teams`].
///
/// # Errors
/// The database fails.
pub async fn refresh_households(
    db: &impl ConnectionTrait,
    households: &[i32],
) -> Result<(), StoreError> {
    if households.is_empty() {
        return Ok(());
    }
    let teams: Vec<i32> = household::Entity::find()
        .select_only()
        .column(household::Column::TeamId)
        .filter(household::Column::Id.is_in(households.iter().copied()))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    refresh_teams(db, &teams).await
}
