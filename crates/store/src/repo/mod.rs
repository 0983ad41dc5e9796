//! Hand-written queries, one module per aggregate. Each function takes any
//! connection (`&impl ConnectionTrait`), so readers compose inside a caller's
//! transaction.
//!
//! The transaction convention: a change of more than one row is one function
//! of its aggregate's module that begins its own transaction
//! ([`begin_writing`]) and commits it only when every row is written; an
//! error drops the transaction and writes nothing. Given a caller's
//! transaction instead of the [`Store`](crate::Store)'s connection, its
//! transaction is a savepoint of the caller's, so changes compose and stand
//! or fall with the caller's (`jobs::complete` marks a planning job done with
//! `plans::create_plan` and `plans::publish_plan` inside its own; a service
//! use case groups changes with [`in_one_transaction`]). Single statements
//! (the kept counts' `tallies::refresh_teams`) run on whatever they are given.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

use crate::StoreError;

pub mod areas;
pub mod audit;
pub mod blackouts;
pub mod bulk;
pub mod coverage;
pub mod feeds;
pub mod household_history;
pub mod households;
pub mod jobs;
pub mod mail;
pub mod outcomes;
pub mod plans;
pub mod records;
pub mod register;
pub mod residents;
pub mod snapshot;
pub mod tallies;
pub mod teams;
pub mod tide_stations;
pub mod users;

/// Begins a transaction that writes: every write transaction of the store
/// and the service begins here. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), waiting for a writer that holds it (the busy timeout
/// of [`Store::connect`](crate::Store::connect)): a transaction begun
/// deferred reads first and then, when another connection has written in the
/// meantime, cannot upgrade to writing and fails with "database is locked"
/// however long it would wait. Ids read inside stay free. On PostgreSQL it is
/// a plain `BEGIN`; rows are locked where a decision depends on them.
///
/// # Errors
/// The database fails, or the write lock is not free within the busy timeout.
pub async fn begin_writing<C>(db: &C) -> Result<C::Transaction, StoreError>
where
    C: sea_orm::TransactionTrait,
{
    Ok(db
        .begin_with_options(sea_orm::TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        })
        .await?)
}

/// A transaction that writes, begun by [`in_one_transaction`].
pub type Writing = sea_orm::DatabaseTransaction;

/// The one way to write several rows that stand or fall together: `work`
/// runs in one write transaction (begun as [`begin_writing`] begins it),
/// committed when it answers `Ok`, rolled back when it answers `Err`.
///
/// # Errors
/// What `work` answers, or the database fails to begin or commit.
pub async fn in_one_transaction<T, E>(
    db: &sea_orm::DatabaseConnection,
    work: impl AsyncFnOnce(&Writing) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let txn = begin_writing(db).await?;
    let value = work(&txn).await?;
    txn.commit()
        .await
        .map_err(|e| E::from(StoreError::from(e)))?;
    Ok(value)
}

/// What an `ensure_*` function did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new row.
    Created,
    /// The row was there; it is left as it is.
    Unchanged,
}

/// The SQL of a hot read (a session, a day's list), built once per backend:
/// each call binds its own values and skips the query builder.
pub(crate) struct BuiltOnce {
    sqlite: std::sync::OnceLock<String>,
    postgres: std::sync::OnceLock<String>,
}

impl BuiltOnce {
    /// Not built yet.
    pub(crate) const fn new() -> BuiltOnce {
        BuiltOnce {
            sqlite: std::sync::OnceLock::new(),
            postgres: std::sync::OnceLock::new(),
        }
    }

    /// The statement for `backend` with `values`, which must be the values
    /// `query` binds, in its order (checked when the SQL is built).
    pub(crate) fn statement(
        &self,
        backend: sea_orm::DatabaseBackend,
        query: impl FnOnce() -> sea_orm::sea_query::SelectStatement,
        values: Vec<sea_orm::Value>,
    ) -> sea_orm::Statement {
        let cell = match backend {
            sea_orm::DatabaseBackend::Postgres => &self.postgres,
            _ => &self.sqlite,
        };
        let sql = cell.get_or_init(|| {
            let built = backend.build(&query());
            debug_assert_eq!(
                built.values.as_ref().map(|v| v.0.as_slice()),
                Some(values.as_slice()),
                "the values given differ from the query's"
            );
            built.sql
        });
        sea_orm::Statement::from_sql_and_values(backend, sql.as_str(), values)
    }
}

/// Row counts of every table, for tests and the status page.
///
/// # Errors
/// The database fails.
pub async fn table_counts(
    db: &impl ConnectionTrait,
) -> Result<BTreeMap<&'static str, u64>, StoreError> {
    use crate::entity::*;
    let mut counts = BTreeMap::new();
    counts.insert("areas", area::Entity::find().count(db).await?);
    counts.insert("teams", team::Entity::find().count(db).await?);
    counts.insert("members", member::Entity::find().count(db).await?);
    counts.insert("households", household::Entity::find().count(db).await?);
    counts.insert("residents", resident::Entity::find().count(db).await?);
    counts.insert("needs", need::Entity::find().count(db).await?);
    counts.insert("plans", plan::Entity::find().count(db).await?);
    counts.insert("visits", visit::Entity::find().count(db).await?);
    counts.insert("users", user::Entity::find().count(db).await?);
    counts.insert("audit_log", audit::Entity::find().count(db).await?);
    counts.insert("mail_outbox", outbox::Entity::find().count(db).await?);
    counts.insert("unmet", unmet::Entity::find().count(db).await?);
    counts.insert("outcomes", outcome::Entity::find().count(db).await?);
    counts.insert("blackouts", blackout::Entity::find().count(db).await?);
    counts.insert(
        "tide_stations",
        tide_station::Entity::find().count(db).await?,
    );
    counts.insert(
        "calendar_feeds",
        calendar_feed::Entity::find().count(db).await?,
    );
    Ok(counts)
}
