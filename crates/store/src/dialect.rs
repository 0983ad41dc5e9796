//! What SQLite and PostgreSQL do differently, each difference named once.
//!
//! The store's queries are one text for both databases wherever SQL allows;
//! where it does not — placeholders, statistics, time arithmetic, row locks —
//! the repositories ask the [`Dialect`] instead of branching on the backend.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{LockBehavior, LockType, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseBackend};

/// The database a statement is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: one writer at a time holds the whole database.
    Sqlite,
    /// PostgreSQL: writers lock rows.
    Postgres,
}

impl Dialect {
    /// The dialect of a connection.
    pub(crate) fn of(db: &impl ConnectionTrait) -> Dialect {
        Dialect::from(db.get_database_backend())
    }

    /// The `n`-th (from 1) placeholder of a raw statement.
    pub(crate) fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Postgres => format!("${n}"),
            Dialect::Sqlite => "?".to_owned(),
        }
    }

    /// A table `k` of the ids given as the statement's first value, a JSON
    /// array; [`Dialect::listed_id`] reads one of them.
    pub(crate) fn id_table(self) -> &'static str {
        match self {
            Dialect::Postgres => "jsonb_array_elements_text(CAST($1 AS JSONB)) AS k(value)",
            Dialect::Sqlite => "json_each(?) AS k",
        }
    }

    /// An id of [`Dialect::id_table`]'s table, as an integer.
    pub(crate) fn listed_id(self) -> &'static str {
        match self {
            Dialect::Postgres => "CAST(k.value AS INTEGER)",
            Dialect::Sqlite => "k.value",
        }
    }

    /// `columns` of the rows `from` as one JSON array of arrays (text, in a
    /// column `rows`): thousands of rows cross as one value.
    pub(crate) fn json_rows(self, columns: &str, from: &str) -> String {
        match self {
            Dialect::Postgres => format!(
                "SELECT CAST(COALESCE(json_agg(json_build_array({columns})), '[]') AS TEXT) \
                 AS rows FROM {from}"
            ),
            Dialect::Sqlite => {
                format!("SELECT json_group_array(json_array({columns})) AS rows FROM {from}")
            }
        }
    }

    /// An instant as the database driver writes one, for a JSON value the
    /// database reads back as a timestamp: RFC 3339 on SQLite (sqlx's form,
    /// so that stored instants compare as text), microseconds on PostgreSQL
    /// (its precision, truncated as sqlx does).
    pub(crate) fn instant_text(self, at: DateTime<Utc>) -> String {
        match self {
            Dialect::Postgres => at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            Dialect::Sqlite => at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
        }
    }

    /// The statement that refreshes the query planner's statistics of
    /// `tables` (SQLite's `ANALYZE` covers the whole database).
    pub(crate) fn analyze(self, tables: &[&str]) -> String {
        match self {
            Dialect::Postgres => format!("ANALYZE {}", tables.join(", ")),
            Dialect::Sqlite => "ANALYZE".to_owned(),
        }
    }

    /// The number of the quarter hour since 1970 (UTC) of a timestamp
    /// column.
    pub(crate) fn quarter_number(self, column: &str) -> String {
        match self {
            Dialect::Postgres => {
                format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / 900) AS BIGINT)")
            }
            Dialect::Sqlite => format!("CAST(strftime('%s', {column}) AS INTEGER) / 900"),
        }
    }

    /// The quarter hour (UTC) of a timestamp column, as `YYYY-MM-DD HH:MM`.
    pub(crate) fn quarter_label(self, column: &str) -> String {
        match self {
            Dialect::Postgres => format!(
                "to_char(date_trunc('hour', {column} AT TIME ZONE 'UTC') \
                 + (CAST(EXTRACT(MINUTE FROM {column} AT TIME ZONE 'UTC') AS INTEGER) / 15) \
                 * INTERVAL '15 minutes', 'YYYY-MM-DD HH24:MI')"
            ),
            Dialect::Sqlite => format!(
                "strftime('%Y-%m-%d %H:', {column}) \
                 || printf('%02d', (CAST(strftime('%M', {column}) AS INTEGER) / 15) * 15)"
            ),
        }
    }

    /// The statement that makes writers of the same teams take turns until
    /// the transaction ends (`teams`: an SQL list of ids, or `None` for every
    /// team); none on SQLite, whose writer already holds the database.
    pub(crate) fn lock_teams(self, teams: Option<&str>) -> Option<String> {
        match (self, teams) {
            (Dialect::Sqlite, _) => None,
            (Dialect::Postgres, Some(list)) => Some(format!(
                "SELECT id FROM teams WHERE id IN ({list}) ORDER BY id FOR NO KEY UPDATE"
            )),
            (Dialect::Postgres, None) => {
                Some("SELECT id FROM teams ORDER BY id FOR NO KEY UPDATE".to_owned())
            }
        }
    }

    /// Makes a pick of rows to claim skip the rows another worker is
    /// claiming; SQLite's single writer needs nothing.
    pub(crate) fn skip_locked(self, pick: &mut SelectStatement) {
        if self == Dialect::Postgres {
            pick.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
    }
}

impl From<DatabaseBackend> for Dialect {
    fn from(backend: DatabaseBackend) -> Dialect {
        match backend {
            DatabaseBackend::Postgres => Dialect::Postgres,
            _ => Dialect::Sqlite,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_difference_is_said_for_both_databases() {
        assert_eq!(Dialect::Postgres.placeholder(3), "$3");
        assert_eq!(Dialect::Sqlite.placeholder(3), "?");
        assert_eq!(Dialect::Postgres.analyze(&["a", "b"]), "ANALYZE a, b");
        assert_eq!(Dialect::Sqlite.analyze(&["a", "b"]), "ANALYZE");
        assert_eq!(Dialect::Sqlite.lock_teams(Some("1, 2")), None);
        assert_eq!(
            Dialect::Postgres.lock_teams(Some("1, 2")).as_deref(),
            Some("SELECT id FROM teams WHERE id IN (1, 2) ORDER BY id FOR NO KEY UPDATE")
        );
        assert_eq!(Dialect::from(DatabaseBackend::Sqlite), Dialect::Sqlite);
    }
}
