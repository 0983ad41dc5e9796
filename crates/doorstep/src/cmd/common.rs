//! What the database-backed subcommands share: configuration, logging and
//! the connection, each failure turned into one clear message.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use doorstep_store::Store;

use crate::config::{self, Settings};

/// A failure that ends a command: its message and exit code.
#[derive(Debug)]
pub struct Failure {
    /// What to print on stderr.
    pub message: String,
    /// 2 for bad input (configuration, files, arguments), 1 otherwise.
    pub code: u8,
}

impl Failure {
    /// Bad input: exit code 2.
    pub fn input(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 2,
        }
    }

    /// Anything else: exit code 1.
    pub fn other(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 1,
        }
    }
}

/// Prints a failure, or nothing, and gives the exit code.
pub fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("doorstep: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Loads the configuration and starts logging on stderr, in colour only
/// when stderr is a terminal.
pub fn settings() -> Result<Settings, Failure> {
    let settings = config::load(&config::Sources::from_process())
        .map_err(|e| Failure::input(format!("configuration: {e:#}")))?;
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| default_filter(&settings.log.level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter)
                .unwrap_or_else(|_| default_filter("info").into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
    Ok(settings)
}

/// The configured level without sea-orm-migration's info lines, which every
/// command would print ("No pending migrations") whether or not anything
/// happens, nor PostgreSQL's notices about them ("relation … already
/// exists"); [`log_applied`] names the migrations that are applied instead.
fn default_filter(level: &str) -> String {
    const QUIET: &str = "sea_orm_migration=warn,sqlx::postgres::notice=warn";
    if level.trim().is_empty() {
        QUIET.to_string()
    } else if level.contains("sea_orm_migration") {
        level.to_string()
    } else {
        format!("{level},{QUIET}")
    }
}

/// Logs one line per migration applied.
pub fn log_applied(names: &[String]) {
    for name in names {
        tracing::info!(migration = %name, "migration applied");
    }
}

/// Opens the configured database.
pub async fn open(settings: &Settings) -> Result<Store, Failure> {
    Store::connect(&settings.database.url).await.map_err(|e| {
        Failure::other(format!(
            "{e}\n  (set DATABASE_URL or DOORSTEP__DATABASE__URL, or database.url in config/)"
        ))
    })
}

/// Opens the database and applies pending migrations.
pub async fn open_migrated(settings: &Settings) -> Result<Store, Failure> {
    let store = open(settings).await?;
    let applied = store
        .migrate_up()
        .await
        .map_err(|e| Failure::other(format!("migrations failed: {e}")))?;
    log_applied(&applied);
    Ok(store)
}

/// A multi-threaded runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::other(format!("cannot start the async runtime: {e}")))
}

/// Writes one line per item on stdout, buffered; a reader that stops early
/// (`| head`) is not an error.
pub fn write_lines<S: AsRef<str>>(lines: impl Iterator<Item = S>) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = lines
        .into_iter()
        .try_for_each(|l| {
            out.write_all(l.as_ref().as_bytes())?;
            out.write_all(b"\n")
        })
        .and_then(|()| out.flush());
    match result {
        Ok(()) => Ok(()),
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure {
            message: format!("cannot write the output: {e}"),
            code: 1,
        }),
    }
}

/// The tide stations' catalog, from the stations' directory.
pub fn catalog() -> Result<doorstep_service::Catalog, Failure> {
    doorstep_service::stations::load(std::path::Path::new(
        doorstep_service::stations::DEFAULT_DIR,
    ))
    .map_err(Failure::input)
}

/// The planning workers of this process: `count` names unique among the
/// processes sharing the database (host, process id, number), each holding
/// a job for `lease_s` and planning with one thread.
pub fn planning_workers(
    settings: &Settings,
    count: usize,
) -> Vec<doorstep_service::planning::area::Worker> {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "doorstep".to_owned());
    let pid = std::process::id();
    (1..=count)
        .map(|k| {
            let suffix = format!("-{pid}-{k}");
            // The column holds 64 characters.
            let host: String = host.chars().take(64 - suffix.len()).collect();
            doorstep_service::planning::area::Worker {
                id: format!("{host}{suffix}"),
                lease: std::time::Duration::from_secs(settings.planning.lease_s.max(1)),
                threads: 1,
            }
        })
        .collect()
}

/// `12,345,678`: figures with their thousands grouped.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `4m05s`.
pub fn minutes_seconds(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}m{:02}s", s / 60, s % 60)
}

/// Resolves when the process is asked to stop: Ctrl-C, or SIGTERM on Unix.
pub async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// An instant given on the command line: a date YYYY-MM-DD (midnight in
/// `zone`, else UTC) or an RFC 3339 instant, within `first..=last`. The
/// message names the flag, the value and what was expected.
pub fn parse_instant(
    flag: &str,
    value: &str,
    zone: Option<chrono_tz::Tz>,
    first: chrono::DateTime<chrono::Utc>,
    last: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::{DateTime, TimeZone, Utc};
    let parsed = if value.len() == 10 {
        super::lunar::parse_civil_date(value)
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|d| match zone {
                Some(z) => z.from_local_datetime(&d).earliest().map(|t| t.to_utc()),
                None => Some(d.and_utc()),
            })
    } else {
        DateTime::parse_from_rfc3339(value)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    let at = parsed.ok_or_else(|| {
        format!(
            "{flag} \"{value}\" không phải ngày YYYY-MM-DD hay thời điểm RFC 3339 / \
             {flag} \"{value}\" is not a date YYYY-MM-DD or an RFC 3339 instant such as 2026-12-01T07:00:00+07:00"
        )
    })?;
    if at < first || at > last {
        return Err(format!(
            "{flag} {value} nằm ngoài phạm vi hỗ trợ {first} đến {last} / \
             {flag} {value} is outside the supported range {first} to {last}"
        ));
    }
    Ok(at)
}

/// The first and last second of years `first..=last`, UTC.
pub fn years(
    first: i32,
    last: i32,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    use chrono::TimeZone;
    (
        chrono::Utc
            .with_ymd_and_hms(first, 1, 1, 0, 0, 0)
            .single()
            .expect("a year chrono holds"),
        chrono::Utc
            .with_ymd_and_hms(last, 12, 31, 23, 59, 59)
            .single()
            .expect("a year chrono holds"),
    )
}
