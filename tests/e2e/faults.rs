//! Database faults, on the real `doorstep serve`.
//!
//! A PostgreSQL cluster of the test's own (initdb in a temporary folder,
//! its own port), stopped with `pg_ctl stop -m immediate` — as a crash or
//! a restart does — while the server is answering: every request then
//! fails within the pool's acquire timeout (3 s) with 503, a `Retry-After`
//! and a problem saying so in the caller's language, `/readyz` says the
//! database is unreachable, and a write is refused whole. Started again,
//! the same server answers again by itself: reads, and the write that was
//! refused. Runs on the PostgreSQL pass (`DOORSTEP_TEST_POSTGRES`), where
//! PostgreSQL's programs are installed.
//!
//! A full disk: the database (a SQLite file, or on the PostgreSQL pass a
//! cluster's data folder) on a small file system of the test's own (tmpfs,
//! mounted as root), filled up: a register import is answered 507 with a
//! problem `storage_full` saying so, nothing of it is written, reads go
//! on; once space is freed the same import goes whole, without a restart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use doorstep_tests::{POSTGRES_VAR, Server, TestDb};
use serde_json::{Value, json};

/// How many times the test asks again, 100 ms apart, for the server to
/// answer after the database is back.
const TRIES: u32 = 300;

/// A PostgreSQL cluster in a temporary folder (or with its data folder
/// where the test says), stopped when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    data: PathBuf,
    port: u16,
}

/// Runs a PostgreSQL program as the `postgres` user when run as root.
fn as_postgres(program: &std::path::Path) -> Command {
    if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl Cluster {
    fn start() -> Cluster {
        Cluster::start_in(None)
    }

    /// A cluster whose data folder is `data` (its write-ahead log stays in
    /// the temporary folder), or in the temporary folder.
    fn start_in(data: Option<PathBuf>) -> Cluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's programs under /usr/lib/postgresql")
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").exists())
            .max()
            .expect("initdb");
        let dir = tempfile::tempdir().unwrap();
        Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = data.unwrap_or_else(|| dir.path().join("data"));
        let out = as_postgres(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(&data)
            .arg("-X")
            .arg(dir.path().join("wal"))
            .stdout(Stdio::null())
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = Cluster {
            bin,
            dir,
            data,
            port,
        };
        cluster.up();
        cluster
    }

    fn pg_ctl(&self, args: &[&str]) {
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(args)
            .stdout(Stdio::null())
            .output()
            .expect("pg_ctl runs");
        assert!(
            out.status.success(),
            "pg_ctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.pg_ctl(&["-w", "-o", &options, "-l", &log, "start"]);
    }

    fn crash(&self) {
        self.pg_ctl(&["-w", "-m", "immediate", "stop"]);
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

#[test]
fn a_database_that_goes_away_is_answered_503_at_once_and_the_server_recovers_by_itself() {
    if std::env::var(POSTGRES_VAR).is_err() {
        return;
    }
    let started = Instant::now();
    let cluster = Cluster::start();
    let db = TestDb::at(&cluster.url());
    eprintln!("cluster up in {:?}", started.elapsed());
    let server = Server::start_with(&db, &["--demo"], &[], Stdio::null());
    eprintln!("server with the demo up in {:?}", started.elapsed());
    let login = json!({"username": "totruong.haithanh", "password": "doorstep-demo"}).to_string();
    let (status, _, answer) = server.request("POST", "/api/v1/auth/login", &[], Some(&login));
    assert_eq!(status, 200, "{answer}");
    let token = json_of(&answer)["token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {token}");
    let auth = [("Authorization", bearer.as_str())];
    let (status, _, teams) = server.request("GET", "/api/v1/teams", &auth, None);
    assert_eq!(status, 200, "{teams}");
    let blackout = json!({"label": "bão số 9", "dates": ["2027-01-10", "2027-01-11"]}).to_string();
    let blackouts = || {
        server
            .request("GET", "/api/v1/teams/1/blackouts", &auth, None)
            .2
    };
    let before = json_of(&blackouts()).as_array().map_or(0, Vec::len);

    cluster.crash();
    let mut slowest = Duration::ZERO;
    for k in 0..10 {
        let started = Instant::now();
        let (status, head, body) = if k % 2 == 0 {
            server.request("GET", "/api/v1/teams", &auth, None)
        } else {
            server.request("POST", "/api/v1/teams/1/blackouts", &auth, Some(&blackout))
        };
        slowest = slowest.max(started.elapsed());
        assert_eq!(
            status, 503,
            "request {k} while the database is down: {body}"
        );
        assert!(head.contains("retry-after: 5"), "{head}");
        let problem = json_of(&body);
        assert_eq!(problem["code"], "unavailable", "{body}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("cơ sở dữ liệu"),
            "in the caller's language: {body}"
        );
    }
    let (status, _, ready) = server.request("GET", "/readyz", &[], None);
    assert_eq!(status, 503, "{ready}");
    assert!(ready.contains("database unreachable"), "{ready}");
    assert!(
        slowest < doorstep_store::POSTGRES_ACQUIRE_TIMEOUT + Duration::from_secs(2),
        "every request is answered at once, the slowest in {slowest:?}"
    );
    eprintln!("database down: 10 requests answered 503, the slowest in {slowest:?}");

    cluster.up();
    let mut tries = 0;
    loop {
        let (status, _, _) = server.request("GET", "/api/v1/teams", &auth, None);
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "while the database comes back");
        tries += 1;
        assert!(
            tries < TRIES,
            "the server answers again once the database is back"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("database back: answered again after {tries} tries");
    assert_eq!(
        json_of(&blackouts()).as_array().map_or(0, Vec::len),
        before,
        "nothing of the refused writes was written"
    );
    let (status, _, body) =
        server.request("POST", "/api/v1/teams/1/blackouts", &auth, Some(&blackout));
    assert_eq!(status, 201, "{body}");
    for _ in 0..5 {
        let (status, _, body) = server.request("GET", "/api/v1/teams", &auth, None);
        assert_eq!(status, 200, "{body}");
    }
    let (status, _, _) = server.request("GET", "/readyz", &[], None);
    assert_eq!(status, 200);
    drop(server);
}

/// A small file system of the test's own (tmpfs), unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts `megabytes` of tmpfs; `None` when this user may not mount.
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0777")])
            .arg("tmpfs")
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the file system is full; answers its path.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("the filler opens");
        let chunk = vec![0u8; 64 * 1024];
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        path
    }

    fn free_bytes(&self) -> u64 {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(self.path())
            .output()
            .expect("df runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Households of the register the full-disk test sends: several
/// megabytes once written.
const REGISTER: usize = 8_000;

/// The first `N` columns, as integers, of the one row `sql` answers, on a
/// connection of the test's own.
fn integers<const N: usize>(db: &TestDb, sql: &str) -> [i64; N] {
    doorstep_tests::runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let store = db.store().await;
        let conn = store.connection();
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                sql,
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("a row");
        let values = std::array::from_fn(|i| {
            row.try_get_by_index::<i64>(i)
                .unwrap_or_else(|e| panic!("{sql}, column {i}: {e}"))
        });
        store.connection().clone().close().await.ok();
        values
    })
}

/// Checkpoints a SQLite database's write-ahead log into the database and
/// truncates it to nothing.
fn truncate_wal(db: &TestDb) {
    let [busy, frames] = integers(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    assert_eq!((busy, frames), (0, 0), "the log is checkpointed and empty");
}

/// The households of the full-disk test's register in the database.
fn registered(db: &TestDb) -> i64 {
    let [count] = integers(
        db,
        "SELECT COUNT(*) FROM households WHERE external_id LIKE 'HT-DAY-%'",
    );
    count
}

#[test]
fn a_full_disk_refuses_a_write_whole_and_takes_it_once_space_is_freed() {
    let postgres = std::env::var(POSTGRES_VAR).is_ok_and(|v| !v.is_empty());
    let Some(disk) = SmallDisk::mount(if postgres { 256 } else { 96 }) else {
        assert!(
            !running_as_root(),
            "root mounts the test's small file system"
        );
        eprintln!("skipped: mounting a small file system needs root");
        return;
    };
    // The database on the small disk: a SQLite file, or a cluster's data
    // folder (its write-ahead log elsewhere, as a separate volume would be).
    let (db, _cluster) = if postgres {
        let data = disk.path().join("data");
        std::fs::create_dir(&data).unwrap();
        Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&data)
            .status()
            .unwrap();
        let cluster = Cluster::start_in(Some(data));
        (TestDb::at(&cluster.url()), Some(cluster))
    } else {
        let url = format!("sqlite://{}/doorstep.sqlite", disk.path().display());
        (TestDb::at(&url), None)
    };
    let server = Server::start_with(&db, &["--demo"], &[], Stdio::null());
    let login = json!({"username": "totruong.haithanh", "password": "doorstep-demo"}).to_string();
    let (status, _, answer) = server.request("POST", "/api/v1/auth/login", &[], Some(&login));
    assert_eq!(status, 200, "{answer}");
    let bearer = format!("Bearer {}", json_of(&answer)["token"].as_str().unwrap());
    let csv = doorstep_tests::register_csv("DAY", REGISTER);
    let import = || {
        server.request(
            "POST",
            "/api/v1/teams/1/imports",
            &[
                ("Authorization", bearer.as_str()),
                ("Content-Type", "text/csv"),
            ],
            Some(&csv),
        )
    };

    if !postgres {
        // The write-ahead log keeps the room of its largest write (the
        // demo's load) and reuses it: truncated, the register must take
        // new room from the disk, as a log that never grew would.
        truncate_wal(&db);
    }
    let filler = disk.fill();
    assert_eq!(disk.free_bytes(), 0, "the disk is full");
    let (status, head, body) = import();
    assert_eq!(status, 507, "a register sent to a full disk: {body}");
    assert!(head.contains("application/problem+json"), "{head}");
    let problem = json_of(&body);
    assert_eq!(problem["code"], "storage_full", "{body}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("đĩa") && detail.contains("chưa ghi gì"),
        "said in the caller's language: {body}"
    );
    eprintln!("full disk: the import answered {status}: {detail}");
    assert_eq!(registered(&db), 0, "nothing of the register was written");
    let (status, _, body) = server.request(
        "GET",
        "/api/v1/teams",
        &[("Authorization", bearer.as_str())],
        None,
    );
    assert_eq!(status, 200, "reads go on while the disk is full: {body}");

    std::fs::remove_file(filler).expect("space is freed");
    let (status, _, body) = import();
    assert_eq!(status, 200, "the same register once space is freed: {body}");
    assert_eq!(registered(&db), REGISTER as i64, "the register, whole");
    let (status, _, _) = server.request("GET", "/readyz", &[], None);
    assert_eq!(status, 200);
    drop(server);
}
