//! Storage: the only crate that talks to the database.
//!
//! The same code runs on SQLite (the embedded default, a file under `data/`)
//! and PostgreSQL. Every change of more than one row happens in one
//! transaction; instants are stored in UTC.
//!
//! Errors are typed ([`StoreError`]); the binary and the HTTP layer decide how
//! to show them.

mod code;
mod dialect;
pub mod entity;
pub mod repo;
mod rules;

use std::path::Path;
use std::time::Duration;

use doorstep_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DbErr};

pub use code::{Code, UnknownCode};
pub use repo::areas::*;
pub use repo::audit::*;
pub use repo::households::*;
pub use repo::register::*;
pub use repo::teams::*;
pub use repo::users::*;
pub use repo::{Change, Writing, begin_writing, in_one_transaction, table_counts};
pub use rules::RuleJson;
pub use sea_orm::DbErr as DatabaseError;

/// How long a SQLite connection waits for another's write lock, and a
/// request for a free connection, before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a request waits for a PostgreSQL connection: a database that
/// has gone away is answered "unavailable" within it.
pub const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A failure of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or opened.
    #[error("cannot open the database {url}: {source}")]
    Connect {
        /// The URL, without its password.
        url: String,
        /// Why.
        source: DbErr,
    },
    /// The URL names no database this build knows.
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// A record that was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// The SQLite directory could not be created.
    #[error("cannot create {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

/// One migration and whether it has been applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationState {
    /// The migration's name.
    pub name: String,
    /// Whether it has been applied to this database.
    pub applied: bool,
}

impl StoreError {
    /// Whether the database could not be reached, or dropped the
    /// connection (restarted, shutting down, not accepting connections
    /// yet): a failure of the moment, answered "try again" rather than as a
    /// bug.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect { .. } => true,
            StoreError::Db(e) => unavailable(e),
            _ => false,
        }
    }

    /// Whether the database's disk is full (SQLite's `SQLITE_FULL`,
    /// PostgreSQL's `disk_full`, 53100): the write was refused whole and
    /// nothing of it was written; it can go once space is freed.
    pub fn is_full(&self) -> bool {
        use sea_orm::RuntimeErr;
        let StoreError::Db(
            DbErr::Conn(RuntimeErr::SqlxError(e))
            | DbErr::Exec(RuntimeErr::SqlxError(e))
            | DbErr::Query(RuntimeErr::SqlxError(e)),
        ) = self
        else {
            return false;
        };
        match &**e {
            // SQLite's extended codes keep the primary code (13) in the low byte.
            sea_orm::sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                code == "53100" || code.parse::<u32>().is_ok_and(|c| c & 0xff == 13)
            }),
            _ => false,
        }
    }
}

fn unavailable(e: &DbErr) -> bool {
    use sea_orm::{ConnAcquireErr, RuntimeErr};
    match e {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            true
        }
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => sqlx_unavailable(e),
        DbErr::Conn(_) => true,
        _ => false,
    }
}

fn sqlx_unavailable(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match e {
        Error::Io(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed
        | Error::Tls(_)
        | Error::Protocol(_) => true,
        // Connection exceptions (08…) and an operator's intervention
        // (57P01 shutting down, 57P02 crash shutdown, 57P03 cannot connect now).
        Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

impl Store {
    /// Opens the database at `url` (`sqlite://…` or `postgres://…`). A SQLite
    /// file and its directory are created when missing.
    ///
    /// Every pooled SQLite connection runs in WAL mode (readers never wait
    /// for the writer), with foreign keys on and a busy timeout of
    /// [`BUSY_TIMEOUT`]: a connection that finds another writing waits for
    /// it instead of failing with "database is locked". The settings are
    /// given to each connection as it opens; a PRAGMA run once would reach
    /// only the connection that ran it. Write transactions take the write
    /// lock at their start ([`repo::begin_writing`]), so a wait is the only
    /// way they meet.
    ///
    /// # Errors
    /// The URL is of an unknown kind, the directory cannot be created, or the
    /// database cannot be reached.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let url = normalise_url(url)?;
        let mut options = ConnectOptions::new(url.clone());
        let sqlite = url.starts_with("sqlite:");
        options
            .connect_timeout(Duration::from_secs(5))
            // On SQLite a request waits for a free connection as long as a
            // writer waits for the lock: busy is slow, not an error. On
            // PostgreSQL a pool that cannot connect keeps trying until this
            // timeout: a database that has gone away is answered 503 within
            // it, and a pool busy that long is too.
            .acquire_timeout(if sqlite {
                BUSY_TIMEOUT
            } else {
                POSTGRES_ACQUIRE_TIMEOUT
            })
            // A ping on every checkout doubles the round trips of a short
            // request; ping only a connection idle long enough to have been
            // dropped by the server or the network.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            .sqlx_logging(false);
        if sqlite {
            // One writer at a time is SQLite's rule: a few connections serve
            // the readers, and more would only queue at the write lock.
            options
                .max_connections(4)
                .min_connections(1)
                .map_sqlx_sqlite_opts(|opts| {
                    opts.journal_mode(SqliteJournalMode::Wal)
                        .busy_timeout(BUSY_TIMEOUT)
                        .foreign_keys(true)
                });
        }
        let db = Database::connect(options)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact(&url),
                source,
            })?;
        Ok(Store { db })
    }

    /// The underlying connection, for the queries of this crate.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Which database this is: `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.db.get_database_backend() {
            DatabaseBackend::Sqlite => "sqlite",
            DatabaseBackend::Postgres => "postgres",
            _ => "other",
        }
    }

    /// Applies every pending migration; returns the names applied.
    ///
    /// # Errors
    /// A migration failed; it is rolled back where the database allows.
    pub async fn migrate_up(&self) -> Result<Vec<String>, StoreError> {
        let pending: Vec<String> = Migrator::get_pending_migrations(&self.db)
            .await?
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        Migrator::up(&self.db, None).await?;
        Ok(pending)
    }

    /// Every known migration and whether it is applied.
    ///
    /// # Errors
    /// The database cannot be read.
    pub async fn migration_status(&self) -> Result<Vec<MigrationState>, StoreError> {
        let applied: Vec<String> = match Migrator::get_applied_migrations(&self.db).await {
            Ok(list) => list.iter().map(|m| m.name().to_string()).collect(),
            Err(_) => Vec::new(),
        };
        Ok(Migrator::migrations()
            .iter()
            .map(|m| MigrationState {
                name: m.name().to_string(),
                applied: applied.iter().any(|a| a == m.name()),
            })
            .collect())
    }

    /// Whether the database answers and every migration is applied.
    ///
    /// # Errors
    /// The database does not answer.
    pub async fn ready(&self) -> Result<bool, StoreError> {
        self.db.ping().await?;
        Ok(self.migration_status().await?.iter().all(|m| m.applied))
    }
}

/// Accepts `sqlite:PATH`, `sqlite://PATH` and `postgres(ql)://…`; for SQLite,
/// creates the file's directory and asks for the file to be created.
fn normalise_url(url: &str) -> Result<String, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(url.to_string());
    }
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Err(StoreError::UnsupportedUrl(url.to_string()));
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// The URL with its password replaced by `***` (the user name stays, to
/// say which account); a text that is not a URL is shown as it is.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // A URL that has a password has a host, so this cannot fail.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://data/x.sqlite"), "sqlite://data/x.sqlite");
        assert_eq!(
            redact("smtp://mail%40x.vn:p%40ss@smtp.x.vn:587?tls=starttls"),
            "smtp://mail%40x.vn:***@smtp.x.vn:587?tls=starttls"
        );
        assert_eq!(redact("not a url:pw@x"), "not a url:pw@x");
    }

    #[test]
    fn sqlite_urls_ask_for_creation() {
        let dir = std::env::temp_dir().join(format!("doorstep-url-{}", std::process::id()));
        let url = format!("sqlite://{}/a.sqlite", dir.display());
        assert_eq!(normalise_url(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.exists());
        assert!(matches!(
            normalise_url("mysql://x"),
            Err(StoreError::UnsupportedUrl(_))
        ));
    }
}
