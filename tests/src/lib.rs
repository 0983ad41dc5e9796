//! Shared helpers of the end-to-end tests: the real `doorstep` binary,
//! fresh databases, and servers on port 0.

use std::path::PathBuf;
use std::process::Command;

pub mod fuzz;
pub mod smtp;

/// The path of the `doorstep` binary built by this `cargo test` run.
///
/// `cargo test --workspace` builds every binary of the workspace next to the
/// test executables (`target/<profile>/doorstep`).
pub fn doorstep_path() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binaries live in target/<profile>/deps");
    let bin = dir.join(format!("doorstep{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test --workspace`, which builds it",
        bin.display()
    );
    bin
}

/// A `Command` for the real `doorstep` binary, run from the repository root
/// so that `config/` is found.
pub fn doorstep() -> Command {
    let mut command = Command::new(doorstep_path());
    command.current_dir(repo_root());
    command
}

/// The lines a command wrote on stdout.
pub fn stdout_lines(output: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// What a command wrote on stderr.
pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository root")
        .to_path_buf()
}

/// The variable that points the tests at a PostgreSQL server (an admin URL
/// such as `postgres://postgres@127.0.0.1:5432/test`). Unset: SQLite.
pub const POSTGRES_VAR: &str = "DOORSTEP_TEST_POSTGRES";

/// A fresh, empty database for one test: a SQLite file in a temporary
/// folder, or a new PostgreSQL database when [`POSTGRES_VAR`] is set,
/// dropped again when the test ends.
pub struct TestDb {
    /// The URL to give doorstep.
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Creates the database, empty.
    pub async fn new() -> TestDb {
        match std::env::var(POSTGRES_VAR) {
            Ok(admin) if !admin.is_empty() => TestDb::postgres(admin, None).await,
            _ => TestDb::sqlite(),
        }
    }

    /// Creates the database with every migration applied. On PostgreSQL it
    /// is a copy of a template database migrated once for this set of
    /// migrations (kept on the server for the next runs), which takes a
    /// fraction of migrating each test's database.
    pub async fn migrated() -> TestDb {
        let db = match std::env::var(POSTGRES_VAR) {
            Ok(admin) if !admin.is_empty() => {
                let template = postgres_template(&admin).await;
                TestDb::postgres(admin, Some(template)).await
            }
            _ => TestDb::sqlite(),
        };
        db.store()
            .await
            .migrate_up()
            .await
            .expect("migrations apply");
        db
    }

    /// A database at `url` that this test did not create and does not drop.
    pub fn at(url: &str) -> TestDb {
        TestDb {
            url: url.to_owned(),
            postgres: None,
            _dir: None,
        }
    }

    fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}/doorstep.sqlite", dir.path().display());
        TestDb {
            url,
            postgres: None,
            _dir: Some(dir),
        }
    }

    async fn postgres(admin: String, template: Option<&str>) -> TestDb {
        use sea_orm::ConnectionTrait;
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "doorstep_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        let db = sea_orm::Database::connect(&admin)
            .await
            .expect("the PostgreSQL test server answers");
        let create = match template {
            // Copies of one template one at a time: a copy fails while
            // another session is connected to the template.
            Some(template) => {
                db.execute_unprepared(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
                    .await
                    .expect("the template lock");
                let created = db
                    .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .await;
                db.execute_unprepared(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
                    .await
                    .expect("the template lock");
                created
            }
            None => {
                db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
            }
        };
        create.expect("CREATE DATABASE");
        // A test's database need not survive a crash of the server: its
        // commits do not wait for the disk.
        db.execute_unprepared(&format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        ))
        .await
        .expect("ALTER DATABASE");
        db.close().await.ok();
        TestDb {
            url: format!("{}/{name}", base_url(&admin)),
            postgres: Some((admin, name)),
            _dir: None,
        }
    }

    /// Creates the database from synchronous code.
    pub fn blocking() -> TestDb {
        runtime().block_on(TestDb::new())
    }

    /// Opens it with doorstep's store.
    pub async fn store(&self) -> doorstep_store::Store {
        doorstep_store::Store::connect(&self.url)
            .await
            .expect("the test database opens")
    }

    /// `"postgres"` or `"sqlite"`.
    pub fn backend(&self) -> &'static str {
        if self.postgres.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Dropping needs async I/O; a thread of its own keeps this safe
            // inside or outside a runtime.
            let _ = std::thread::spawn(move || {
                runtime().block_on(async {
                    use sea_orm::ConnectionTrait;
                    if let Ok(db) = sea_orm::Database::connect(&admin).await {
                        let _ = db
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        let _ = db.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// The PostgreSQL server's URL without its database.
fn base_url(admin: &str) -> &str {
    admin.rsplit_once('/').map_or(admin, |(base, _)| base)
}

/// The advisory lock that makes and copies the template databases.
const TEMPLATE_LOCK: i64 = 0x646f_6f72;

/// The name of the template database of this set of migrations, made (and
/// migrated) when the server does not have it yet.
async fn postgres_template(admin: &str) -> &'static str {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            use doorstep_migrations::MigratorTrait;
            use sea_orm::ConnectionTrait;
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            for migration in doorstep_migrations::Migrator::migrations() {
                migration.name().hash(&mut hasher);
            }
            // And what they say: a migration edited before it ships makes a
            // new template, not a stale one.
            let sources = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/src");
            let mut files: Vec<_> = std::fs::read_dir(sources)
                .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            files.sort();
            for file in files {
                std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
            }
            let name = format!("doorstep_template_{:016x}", hasher.finish());
            let db = sea_orm::Database::connect(admin)
                .await
                .expect("the PostgreSQL test server answers");
            db.execute_unprepared(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
                .await
                .expect("the template lock");
            let exists = db
                .query_one_raw(sea_orm::Statement::from_sql_and_values(
                    sea_orm::DatabaseBackend::Postgres,
                    "SELECT 1 FROM pg_database WHERE datname = $1",
                    [name.clone().into()],
                ))
                .await
                .expect("the catalogue answers")
                .is_some();
            if !exists {
                // Built under another name and renamed when complete, so
                // that a run killed half way leaves no broken template.
                let building = format!("{name}_building");
                db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                    .await
                    .expect("DROP DATABASE");
                db.execute_unprepared(&format!("CREATE DATABASE {building}"))
                    .await
                    .expect("CREATE DATABASE");
                let store =
                    doorstep_store::Store::connect(&format!("{}/{building}", base_url(admin)))
                        .await
                        .expect("the template opens");
                store.migrate_up().await.expect("migrations apply");
                store.connection().clone().close().await.ok();
                db.execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .await
                    .expect("the template is renamed");
            }
            db.execute_unprepared(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
                .await
                .expect("the template lock");
            db.close().await.ok();
            name
        })
        .await
}

/// Every kept row, in order: `tallies`, then `tally_quarters`.
pub async fn kept_rows(db: &impl sea_orm::ConnectionTrait) -> Vec<String> {
    let backend = db.get_database_backend();
    let mut kept = Vec::new();
    for sql in [
        "SELECT team_id, area_id, measure, step, status, n FROM tallies \
         ORDER BY team_id, area_id, measure, step, status",
        "SELECT team_id, area_id, quarter, visits_done, first_reached FROM tally_quarters \
         ORDER BY team_id, area_id, quarter",
    ] {
        for row in db
            .query_all_raw(sea_orm::Statement::from_string(backend, sql))
            .await
            .expect("the kept counts read")
        {
            let team: i32 = row.try_get_by_index(0).unwrap();
            let area: i32 = row.try_get_by_index(1).unwrap();
            let rest = if sql.contains("measure") {
                let measure: String = row.try_get_by_index(2).unwrap();
                let step: String = row.try_get_by_index(3).unwrap();
                let status: String = row.try_get_by_index(4).unwrap();
                let n: i64 = row.try_get_by_index(5).unwrap();
                format!("{measure} {step} {status} {n}")
            } else {
                let quarter: i64 = row.try_get_by_index(2).unwrap();
                let done: i64 = row.try_get_by_index(3).unwrap();
                let first: i64 = row.try_get_by_index(4).unwrap();
                format!("quarter {quarter} {done} {first}")
            };
            kept.push(format!("team {team} area {area}: {rest}"));
        }
    }
    kept
}

/// A small runtime for synchronous tests.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A migrated database holding the demo at `now`, its calendars planned
/// from `days_back` days before it by a fixed search of `iterations` (the
/// same calendars on a loaded machine): past visits to record whatever the
/// day of the run.
pub async fn demo_with_past_calendars(days_back: i64, iterations: u64) -> TestDb {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    let now = chrono::Utc::now();
    doorstep_demo::load(&store, now)
        .await
        .expect("the demo loads");
    doorstep_demo::plan_calendars(
        &store,
        &doorstep_service::stations::built_in(),
        std::time::Duration::from_millis(300),
        Some(iterations),
        1,
        now - chrono::Duration::days(days_back),
    )
    .await
    .expect("the calendars are planned");
    store.connection().clone().close().await.ok();
    db
}

/// A running `doorstep serve`, stopped when dropped.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub address: String,
    child: std::process::Child,
}

impl Server {
    /// Starts `doorstep serve ARGS…` on a free port with the given database
    /// and waits until it listens.
    pub fn start(db: &TestDb, args: &[&str]) -> Server {
        Server::start_with(db, args, &[], std::process::Stdio::inherit())
    }

    /// As [`Server::start`], with more environment variables and its
    /// stderr (its log) sent to `stderr`.
    pub fn start_with(
        db: &TestDb,
        args: &[&str],
        env: &[(&str, &str)],
        stderr: std::process::Stdio,
    ) -> Server {
        use std::io::BufRead;
        let mut child = doorstep()
            .arg("serve")
            .args(["--address", "127.0.0.1:0"])
            .args(args)
            .env("DOORSTEP__DATABASE__URL", &db.url)
            .env("DOORSTEP_ENV", "test")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("doorstep serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let address = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("doorstep: listening on http://") {
                        break url.trim().to_string();
                    }
                }
                _ => {
                    let status = child.wait().expect("doorstep serve ended");
                    panic!("doorstep serve ended before listening: {status}");
                }
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            base: format!("http://{address}"),
            address,
            child,
        }
    }

    /// `GET path`: the status code and the body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.request("GET", path, &[], None);
        (status, body)
    }

    /// `METHOD path` with headers and an optional body, on a connection of
    /// its own: the body is JSON unless the headers give another
    /// `Content-Type`. Answers the status code, the response head (lower
    /// case) and the body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        json: Option<&str>,
    ) -> (u16, String, String) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.address).expect("the server accepts");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.address
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = json.unwrap_or("");
        let typed = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        if json.is_some() && !typed {
            head.push_str("Content-Type: application/json\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP response");
        let head = std::str::from_utf8(&raw[..split])
            .expect("an ASCII response head")
            .to_ascii_lowercase();
        let body = &raw[split + 4..];
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status code");
        let body = if head.contains("transfer-encoding: chunked") {
            dechunk(body)
        } else {
            body.to_vec()
        };
        // Decoded only once whole: a chunk may end inside a letter.
        let body = String::from_utf8(body).expect("the body is UTF-8");
        (status, head, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a chunked response, its chunks joined as bytes.
fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(line) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..line])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let after = &rest[line + 2..];
        let Some(size) = size.filter(|&n| n > 0 && after.len() >= n) else {
            break;
        };
        out.extend_from_slice(&after[..size]);
        rest = after[size..]
            .strip_prefix(b"\r\n")
            .unwrap_or(&after[size..]);
    }
    out
}

/// Seconds since the start of the month of "2026-01-05T06:25:01Z".
fn month_seconds(at: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| at[r].parse::<i64>().unwrap();
    n(8..10) * 86_400 + n(11..13) * 3_600 + n(14..16) * 60 + n(17..19)
}

/// The first 15 days of Qui Nhơn's January high and low waters (XTide's),
/// written down as a team would: local time, Vietnamese headers and kinds,
/// times moved by up to ±10 minutes and heights by up to ±5 cm (a seeded
/// generator), heights left out on every fourth row.
pub fn written_down_qui_nhon() -> (String, Vec<serde_json::Value>) {
    let text = std::fs::read_to_string(
        repo_root().join("crates/tide/tests/data/vn_qui_nhon_2026-01_extremes.jsonl"),
    )
    .unwrap();
    let all: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut state: u64 = 0x007E_1DE5;
    let mut jitter = |half: f64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * half
    };
    let mut csv = String::from("thời gian,loại,độ cao (m)\n");
    let mut rest = Vec::new();
    for (k, e) in all.iter().enumerate() {
        let at = chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap()).unwrap();
        if month_seconds(e["at"].as_str().unwrap()) >= 15 * 86_400 {
            rest.push(e.clone());
            continue;
        }
        let local = at.with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
            + chrono::Duration::seconds(jitter(600.0).round() as i64);
        let kind = if e["kind"] == "high" {
            "nước lớn"
        } else {
            "nước ròng"
        };
        let height = e["height_m"].as_f64().unwrap() + jitter(0.05);
        let height = if k % 4 == 3 {
            String::new()
        } else {
            format!("{height:.2}")
        };
        csv.push_str(&format!(
            "{},{kind},{height}\n",
            local.format("%Y-%m-%d %H:%M")
        ));
    }
    (csv, rest)
}

/// A register of `households` one-resident households, keys
/// `HT-{prefix}-00000` on, each needing VNeID: a large import for the
/// crash and fault tests.
pub fn register_csv(prefix: &str, households: usize) -> String {
    let mut csv = String::from("Mã hộ,Mã nhân khẩu,Họ và tên,Năm sinh,Địa chỉ,Nhu cầu\n");
    for i in 0..households {
        csv.push_str(&format!(
            "HT-{prefix}-{i:05},1,Lê Văn Sóng {i},1970,\"Số {i}, ngõ Bến\",vneid_install\n"
        ));
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn a_chunk_that_ends_inside_a_letter_is_joined_whole() {
        let word = "Hải Thanh".as_bytes();
        // "ả" is three bytes; the first chunk ends after its first.
        let (a, b) = word.split_at(2);
        let mut body = format!("{:x}\r\n", a.len()).into_bytes();
        body.extend_from_slice(a);
        body.extend_from_slice(format!("\r\n{:x}\r\n", b.len()).as_bytes());
        body.extend_from_slice(b);
        body.extend_from_slice(b"\r\n0\r\n\r\n");
        assert_eq!(String::from_utf8(dechunk(&body)).unwrap(), "Hải Thanh");
    }
}
