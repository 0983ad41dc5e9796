//! Database faults: the real `doorstep serve` on a PostgreSQL cluster of
//! the test's own (initdb in a temporary folder, its own port), stopped
//! with `pg_ctl stop -m immediate` — as a crash or a restart does — while
//! the server is answering: every request then fails within the pool's
//! acquire timeout (3 s) with 503, a
//! `Retry-After` and a problem saying so in the caller's language,
//! `/readyz` says the database is unreachable, and a write is refused
//! whole. Started again, the same server answers again by itself: reads,
//! and the write that was refused. Runs on the PostgreSQL pass
//! (`DOORSTEP_TEST_POSTGRES`), where PostgreSQL's programs are installed.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use doorstep_tests::{POSTGRES_VAR, Server, TestDb};
use serde_json::{Value, json};

/// How many times the test asks again, 100 ms apart, for the server to
/// answer after the database is back.
const TRIES: u32 = 300;

/// A PostgreSQL cluster in a temporary folder, stopped when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

/// Runs a PostgreSQL program as the `postgres` user when run as root.
fn as_postgres(program: &std::path::Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl Cluster {
    fn start() -> Cluster {
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
        let out = as_postgres(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(dir.path().join("data"))
            .stdout(Stdio::null())
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = Cluster { bin, dir, port };
        cluster.up();
        cluster
    }

    fn pg_ctl(&self, args: &[&str]) {
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
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
            .arg(self.dir.path().join("data"))
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
