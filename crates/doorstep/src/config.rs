//! Configuration, layered: `config/default.toml` (also built into the
//! binary) → `config/<env>.toml` → `DOORSTEP__SECTION__KEY` variables (and
//! `DATABASE_URL`). Every file is checked on its own first, so an error names
//! the file, the line and the key.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

const BUILT_IN_DEFAULTS: &str = include_str!("../../../config/default.toml");

/// The whole configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The HTTP service.
    pub server: Server,
    /// The database.
    pub database: DatabaseSettings,
    /// Logging.
    pub log: Log,
    /// Team defaults.
    pub teams: Teams,
    /// The planner.
    pub planning: Planning,
    /// E-mail.
    pub mail: Mail,
}

/// `[mail]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mail {
    /// lettre's SMTP URL; empty: write `.eml` files into `file_dir`.
    pub smtp_url: String,
    /// The sender, `name <address>`.
    pub from: String,
    /// Where messages go without an SMTP server.
    pub file_dir: String,
    /// The service's public address, for links in messages; empty: none.
    pub base_url: String,
    /// Seconds one message may take.
    pub timeout_s: u64,
    /// Tries before a temporary failure counts as permanent.
    pub max_attempts: i32,
    /// Seconds before the first retry; doubled after each.
    pub backoff_s: u64,
    /// Seconds a sender holds the messages it claimed.
    pub lease_s: u64,
    /// Seconds between two rounds of the mail job inside `doorstep serve`.
    pub tick_s: u64,
}

impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("smtp_url", &doorstep_store::redact(&self.smtp_url))
            .field("from", &self.from)
            .field("file_dir", &self.file_dir)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// `[planning]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Planning {
    /// Seconds the planner searches when a request does not say.
    pub time_limit_s: f64,
    /// Seconds the planner searches for each demo team.
    pub demo_time_limit_s: f64,
    /// Planner threads; 0 = one per core.
    pub threads: usize,
    /// Seconds the planner searches for each team of an area's run, when
    /// `doorstep plan --area` does not say.
    pub area_time_limit_s: f64,
    /// Workers of `doorstep plan --area`, `doorstep worker` and `doorstep
    /// serve`, each planning one team at a time; 0 = one per core.
    pub workers: usize,
    /// Seconds a worker holds the job it claimed; a worker that dies leaves
    /// it to another after this.
    pub lease_s: u64,
    /// Seconds between two looks for jobs when there is none.
    pub poll_s: u64,
    /// Whether `doorstep serve` works planning jobs in the background.
    pub serve_jobs: bool,
    /// A fixed search for the plans the pages make: iterations per planner
    /// thread instead of `time_limit_s`, the same plan whatever the
    /// machine's load; 0 = search for `time_limit_s`.
    pub page_iterations: u64,
}

impl Planning {
    /// The threads to use.
    pub fn threads(&self) -> usize {
        if self.threads == 0 {
            cores()
        } else {
            self.threads
        }
    }

    /// The workers to run.
    pub fn workers(&self) -> usize {
        if self.workers == 0 {
            cores()
        } else {
            self.workers
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `[server]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Listen address.
    pub address: String,
    /// Apply pending migrations on start.
    pub migrate_on_start: bool,
    /// Mark the session cookie `Secure` (the service is reached over HTTPS).
    pub secure_cookie: bool,
}

/// `[database]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// The database URL; may hold a password, so `Debug` hides it.
    pub url: String,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &doorstep_store::redact(&self.url))
            .finish()
    }
}

/// `[log]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// The tracing filter.
    pub level: String,
}

/// `[teams]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Teams {
    /// Time zone of a new team.
    pub default_timezone: String,
}

/// Where configuration comes from.
#[derive(Clone, Debug)]
pub struct Sources {
    /// The folder holding `default.toml` and `<env>.toml`.
    pub dir: PathBuf,
    /// The environment's name.
    pub environment: String,
    /// The variables to read overrides from.
    pub vars: Vec<(String, String)>,
}

impl Sources {
    /// From the process: `DOORSTEP_CONFIG_DIR` (default `config`),
    /// `DOORSTEP_ENV` (default `development`) and the environment variables.
    pub fn from_process() -> Sources {
        Sources {
            dir: std::env::var_os("DOORSTEP_CONFIG_DIR")
                .map_or_else(|| PathBuf::from("config"), PathBuf::from),
            environment: std::env::var("DOORSTEP_ENV").unwrap_or_else(|_| "development".into()),
            vars: std::env::vars().collect(),
        }
    }
}

/// Reads the configuration.
///
/// # Errors
/// A file is not valid TOML or holds an unknown key or a value of the wrong
/// type, the environment name is unknown, or an override variable names an
/// unknown key. The message names the file (or variable), line and key.
pub fn load(sources: &Sources) -> anyhow::Result<Settings> {
    if !["development", "test", "production"].contains(&sources.environment.as_str()) {
        bail!(
            "DOORSTEP_ENV={:?} is not an environment; expected development, test or production",
            sources.environment
        );
    }
    let default_path = sources.dir.join("default.toml");
    let mut merged = match std::fs::read_to_string(&default_path) {
        Ok(text) => parse_layer(&default_path, &text)?,
        Err(_) => parse_layer(Path::new("<built-in default.toml>"), BUILT_IN_DEFAULTS)?,
    };
    let env_path = sources.dir.join(format!("{}.toml", sources.environment));
    if let Ok(text) = std::fs::read_to_string(&env_path) {
        merge(&mut merged, parse_layer(&env_path, &text)?);
    }
    // A password never sits in a file: an SMTP URL with one comes from the
    // environment.
    if let Some(url) = merged
        .get("mail")
        .and_then(|m| m.get("smtp_url"))
        .and_then(toml::Value::as_str)
        && url_has_password(url)
    {
        bail!(
            "mail.smtp_url in a configuration file holds a password; set it in the environment \
             instead: DOORSTEP__MAIL__SMTP_URL={}",
            doorstep_store::redact(url)
        );
    }
    let mut overrides = toml::Table::new();
    let plain_url = sources.vars.iter().find(|(k, _)| k == "DATABASE_URL");
    if let Some((_, url)) = plain_url {
        set(
            &mut overrides,
            "database",
            "url",
            toml::Value::String(url.clone()),
        );
    }
    for (name, value) in &sources.vars {
        let Some(path) = name.strip_prefix("DOORSTEP__") else {
            continue;
        };
        let Some((section, key)) = path.split_once("__") else {
            bail!("{name}: expected DOORSTEP__SECTION__KEY, for example DOORSTEP__SERVER__ADDRESS");
        };
        let (section, key) = (section.to_lowercase(), key.to_lowercase());
        let known = merged
            .get(&section)
            .and_then(toml::Value::as_table)
            .and_then(|t| t.get(&key))
            .with_context(|| {
                format!(
                    "{name}: there is no key {key:?} in section [{section}] of config/default.toml"
                )
            })?;
        let value = match known {
            toml::Value::Boolean(_) => match value.as_str() {
                "true" | "1" => toml::Value::Boolean(true),
                "false" | "0" => toml::Value::Boolean(false),
                _ => bail!("{name}={value:?}: expected true or false"),
            },
            toml::Value::Integer(_) => toml::Value::Integer(
                value
                    .parse()
                    .with_context(|| format!("{name}={value:?}: expected a whole number"))?,
            ),
            toml::Value::Float(_) => toml::Value::Float(
                value
                    .parse()
                    .with_context(|| format!("{name}={value:?}: expected a number such as 0.5"))?,
            ),
            _ => toml::Value::String(value.clone()),
        };
        set(&mut overrides, &section, &key, value);
    }
    merge(&mut merged, overrides);
    let settings: Settings = toml::Value::Table(merged)
        .try_into()
        .context("the merged configuration is incomplete")?;
    if settings
        .teams
        .default_timezone
        .parse::<chrono_tz::Tz>()
        .is_err()
    {
        bail!(
            "teams.default_timezone = {:?} is not an IANA time zone such as Asia/Ho_Chi_Minh",
            settings.teams.default_timezone
        );
    }
    Ok(settings)
}

fn url_has_password(url: &str) -> bool {
    url.split_once("://")
        .and_then(|(_, rest)| rest.rsplit_once('@'))
        .is_some_and(|(credentials, _)| credentials.contains(':'))
}

/// One file, checked alone against the schema so errors carry its name.
fn parse_layer(path: &Path, text: &str) -> anyhow::Result<toml::Table> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    check_keys(path, &table)?;
    Ok(table)
}

/// Every key of a layer must exist in the schema.
fn check_keys(path: &Path, table: &toml::Table) -> anyhow::Result<()> {
    let schema: &[(&str, &[&str])] = &[
        ("server", &["address", "migrate_on_start", "secure_cookie"]),
        ("database", &["url"]),
        ("log", &["level"]),
        ("teams", &["default_timezone"]),
        (
            "planning",
            &[
                "time_limit_s",
                "demo_time_limit_s",
                "threads",
                "area_time_limit_s",
                "workers",
                "lease_s",
                "poll_s",
                "serve_jobs",
                "page_iterations",
            ],
        ),
        (
            "mail",
            &[
                "smtp_url",
                "from",
                "file_dir",
                "base_url",
                "timeout_s",
                "max_attempts",
                "backoff_s",
                "lease_s",
                "tick_s",
            ],
        ),
    ];
    for (section, value) in table {
        let Some((_, keys)) = schema.iter().find(|(s, _)| s == section) else {
            bail!(
                "{}: unknown section [{section}]; expected one of {}",
                path.display(),
                schema
                    .iter()
                    .map(|(s, _)| format!("[{s}]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        let Some(entries) = value.as_table() else {
            bail!(
                "{}: {section} must be a section [{section}], not a value",
                path.display()
            );
        };
        for key in entries.keys() {
            if !keys.contains(&key.as_str()) {
                bail!(
                    "{}: unknown key {section}.{key}; [{section}] has {}",
                    path.display(),
                    keys.join(", ")
                );
            }
        }
    }
    Ok(())
}

fn set(table: &mut toml::Table, section: &str, key: &str, value: toml::Value) {
    table
        .entry(section)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .expect("sections are tables")
        .insert(key.to_string(), value);
}

fn merge(base: &mut toml::Table, layer: toml::Table) {
    for (key, value) in layer {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(old)), toml::Value::Table(new)) => merge(old, new),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(dir: &Path, vars: &[(&str, &str)]) -> Sources {
        Sources {
            dir: dir.to_path_buf(),
            environment: "development".into(),
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn defaults_then_environment_file_then_variables() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("development.toml"),
            "[server]\naddress = \"127.0.0.1:9000\"\n",
        )
        .unwrap();
        let settings = load(&sources(dir.path(), &[])).unwrap();
        assert_eq!(settings.server.address, "127.0.0.1:9000");
        assert_eq!(settings.database.url, "sqlite://data/doorstep.sqlite");

        let settings = load(&sources(
            dir.path(),
            &[
                ("DOORSTEP__SERVER__ADDRESS", "0.0.0.0:1"),
                ("DATABASE_URL", "postgres://x@h/db"),
            ],
        ))
        .unwrap();
        assert_eq!(settings.server.address, "0.0.0.0:1");
        assert_eq!(settings.database.url, "postgres://x@h/db");

        let settings = load(&sources(
            dir.path(),
            &[
                ("DOORSTEP__DATABASE__URL", "sqlite://a"),
                ("DATABASE_URL", "sqlite://b"),
                ("DOORSTEP__SERVER__MIGRATE_ON_START", "false"),
                ("DOORSTEP__SERVER__SECURE_COOKIE", "true"),
            ],
        ))
        .unwrap();
        assert_eq!(settings.database.url, "sqlite://a");
        assert!(!settings.server.migrate_on_start);
        assert!(settings.server.secure_cookie);

        let settings = load(&sources(
            dir.path(),
            &[
                ("DOORSTEP__PLANNING__AREA_TIME_LIMIT_S", "0.25"),
                ("DOORSTEP__PLANNING__LEASE_S", "2"),
            ],
        ))
        .unwrap();
        assert_eq!(settings.planning.area_time_limit_s, 0.25);
        assert_eq!(settings.planning.lease_s, 2);
        let message = format!(
            "{:#}",
            load(&sources(
                dir.path(),
                &[("DOORSTEP__PLANNING__AREA_TIME_LIMIT_S", "fast")]
            ))
            .unwrap_err()
        );
        assert!(message.contains("expected a number"), "{message}");
    }

    #[test]
    fn broken_files_and_unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("development.toml");
        std::fs::write(&file, "[server]\naddress = \"x\"\nport = = 3\n").unwrap();
        let message = format!("{:#}", load(&sources(dir.path(), &[])).unwrap_err());
        assert!(
            message.contains("development.toml") && message.contains("line 3"),
            "{message}"
        );

        std::fs::write(&file, "[server]\nadress = \"x\"\n").unwrap();
        let message = format!("{:#}", load(&sources(dir.path(), &[])).unwrap_err());
        assert!(message.contains("unknown key server.adress"), "{message}");

        std::fs::remove_file(&file).unwrap();
        let message = format!(
            "{:#}",
            load(&sources(dir.path(), &[("DOORSTEP__SERVER__PORT", "1")])).unwrap_err()
        );
        assert!(message.contains("DOORSTEP__SERVER__PORT"), "{message}");
        let message = format!(
            "{:#}",
            load(&sources(
                dir.path(),
                &[("DOORSTEP__SERVER__MIGRATE_ON_START", "yes")]
            ))
            .unwrap_err()
        );
        assert!(message.contains("expected true or false"), "{message}");
    }

    #[test]
    fn the_shipped_files_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
        for environment in ["development", "test", "production"] {
            let sources = Sources {
                environment: environment.into(),
                ..sources(&dir, &[])
            };
            load(&sources).unwrap_or_else(|e| panic!("{environment}: {e:#}"));
        }
    }

    #[test]
    fn database_passwords_stay_out_of_debug_output() {
        let settings = DatabaseSettings {
            url: "postgres://u:hunter2@h/db".into(),
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
