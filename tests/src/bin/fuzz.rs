//! Fuzzing of every parser of outside input, on the stable toolchain: a
//! seeded mutational fuzzer that starts from real inputs (the presets'
//! rules, the example register, the benchmark's instances, the shipped
//! station files and configuration, a written-down tide record, the API's
//! request bodies) and mutates them — as bytes for text, and as JSON values
//! for JSON — then checks that each parser answers without a panic and
//! keeps its promises (a rule that validates parses; a planning instance
//! that compiles is planned and the plan passes the checker; a station that
//! reads predicts finite heights; the API never answers 5xx).
//!
//! ```text
//! doorstep-fuzz [--target NAME|all] [--cases N | --seconds S] [--seed N] [--found DIR]
//! doorstep-fuzz --replay DIR
//! ```
//!
//! `--cases` bounds a run by count (CI's smoke run), `--seconds` by time (a
//! measuring run, `scripts/fuzz.sh`). Every failing input is written to
//! `--found` (default `fuzz-found/`) as `TARGET-N.txt`; `--replay` runs the
//! inputs of a folder (`tests/fuzz/regressions/`: `TARGET-*.txt`) again,
//! which the e2e tests do. One line per target on stdout:
//! `{"target","cases","seconds","cases_per_s","accepted","refused","failures"}`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::Instant;

use doorstep_tests::fuzz::{Outcome, Rng, Target, library_targets, mutate_bytes, mutate_json};
use serde_json::{Value, json};

#[allow(dead_code, unreachable_pub)]
#[path = "../../../crates/doorstep/src/config.rs"]
mod config;

struct Args {
    target: String,
    cases: Option<u64>,
    seconds: Option<f64>,
    seed: u64,
    found: PathBuf,
    replay: Option<PathBuf>,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        target: "all".into(),
        cases: None,
        seconds: None,
        seed: 1,
        found: PathBuf::from("fuzz-found"),
        replay: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag}: expected a value"));
        match flag.as_str() {
            "--target" => args.target = value()?,
            "--cases" => {
                args.cases = Some(value()?.parse().map_err(|e| format!("--cases: {e}"))?);
            }
            "--seconds" => {
                args.seconds = Some(value()?.parse().map_err(|e| format!("--seconds: {e}"))?);
            }
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--found" => args.found = PathBuf::from(value()?),
            "--replay" => args.replay = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                return Err("doorstep-fuzz [--target NAME|all] [--cases N | --seconds S] [--seed N] [--found DIR] | --replay DIR".into());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

/// Runs one input; a panic is a failure with its message.
fn run_one(target: &dyn Target, input: &[u8]) -> Outcome {
    match std::panic::catch_unwind(AssertUnwindSafe(|| target.run(input))) {
        Ok(outcome) => outcome,
        Err(panic) => Outcome::Failed(format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default()
        )),
    }
}

fn replay(dir: &Path, all: &[Box<dyn Target>]) -> i32 {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            return 2;
        }
    };
    entries.sort();
    let mut failed = 0;
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(target) = all
            .iter()
            .find(|t| name.starts_with(&format!("{}-", t.name())))
        else {
            continue;
        };
        let input = std::fs::read(&path).unwrap_or_default();
        if let Outcome::Failed(why) = run_one(target.as_ref(), &input) {
            eprintln!("{}: {why}", path.display());
            failed += 1;
        } else {
            println!("{}: ok", path.display());
        }
    }
    i32::from(failed > 0)
}

fn main() {
    let args = match args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    // A panic is counted, not printed as it happens.
    std::panic::set_hook(Box::new(|_| {}));
    let all = targets();
    if let Some(dir) = &args.replay {
        std::process::exit(replay(dir, &all));
    }
    let chosen: Vec<&Box<dyn Target>> = all
        .iter()
        .filter(|t| args.target == "all" || t.name() == args.target)
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = all.iter().map(|t| t.name()).collect();
        eprintln!(
            "no target {:?}; expected all or one of {}",
            args.target,
            names.join(", ")
        );
        std::process::exit(2);
    }
    let cases = args.cases.unwrap_or(if args.seconds.is_some() {
        u64::MAX
    } else {
        1000
    });
    let mut failures_total = 0;
    for target in chosen {
        let started = Instant::now();
        let mut rng = doorstep_tests::fuzz::Rng::new(args.seed ^ fnv(target.name()));
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        let mut failures = 0u64;
        let mut n = 0u64;
        while n < cases
            && args
                .seconds
                .is_none_or(|s| started.elapsed().as_secs_f64() < s)
        {
            let input = target.generate(&mut rng);
            match run_one(target.as_ref(), &input) {
                Outcome::Accepted => *counts.entry("accepted").or_default() += 1,
                Outcome::Refused => *counts.entry("refused").or_default() += 1,
                Outcome::Failed(why) => {
                    failures += 1;
                    let _ = std::fs::create_dir_all(&args.found);
                    let file = args.found.join(format!("{}-{n}.txt", target.name()));
                    let _ = std::fs::write(&file, &input);
                    eprintln!(
                        "{}: case {n}: {why} (input: {})",
                        target.name(),
                        file.display()
                    );
                }
            }
            n += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{}",
            serde_json::json!({
                "target": target.name(),
                "cases": n,
                "seconds": (seconds * 10.0).round() / 10.0,
                "cases_per_s": (n as f64 / seconds.max(1e-9)).round(),
                "accepted": counts.get("accepted").copied().unwrap_or(0),
                "refused": counts.get("refused").copied().unwrap_or(0),
                "failures": failures,
            })
        );
        failures_total += failures;
    }
    std::process::exit(i32::from(failures_total > 0));
}

/// FNV-1a of a name: each target its own stream of the seed.
fn fnv(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Every target: the library's, the configuration and the API.
fn targets() -> Vec<Box<dyn Target>> {
    let mut all = library_targets();
    all.push(Box::new(Config::new()));
    all.push(Box::new(Api::new()));
    all
}

/// The configuration: `default.toml` mutated, and override variables.
struct Config {
    dir: tempfile::TempDir,
    seed: String,
}

impl Config {
    fn new() -> Config {
        Config {
            dir: tempfile::tempdir().expect("a folder for the configuration"),
            seed: include_str!("../../../config/default.toml").to_owned(),
        }
    }
}

/// Override variables and values that may not read.
const VARIABLES: &[&str] = &[
    "DOORSTEP__SERVER__ADDRESS",
    "DOORSTEP__DATABASE__URL",
    "DOORSTEP__PLANNING__THREADS",
    "DOORSTEP__MAIL__ENABLED",
    "DOORSTEP__NOPE",
    "DOORSTEP__SERVER",
];

impl Target for Config {
    fn name(&self) -> &'static str {
        "config"
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        // One line of variables (NAME=VALUE;…), then the file.
        let mut vars = String::new();
        for _ in 0..rng.below(3) {
            let mut value = b"1".to_vec();
            mutate_bytes(rng, &mut value);
            vars.push_str(&format!(
                "{}={};",
                rng.pick(VARIABLES),
                String::from_utf8_lossy(&value).replace(['\n', ';'], "")
            ));
        }
        let mut file = self.seed.clone().into_bytes();
        mutate_bytes(rng, &mut file);
        let mut input = format!("{vars}\n").into_bytes();
        input.extend(file);
        input
    }

    fn run(&self, input: &[u8]) -> Outcome {
        let text = String::from_utf8_lossy(input);
        let (vars, file) = text.split_once('\n').unwrap_or(("", &text));
        if std::fs::write(self.dir.path().join("default.toml"), file).is_err() {
            return Outcome::Failed("cannot write the test's file".into());
        }
        let sources = config::Sources {
            dir: self.dir.path().to_path_buf(),
            environment: "development".into(),
            vars: vars
                .split(';')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        };
        match config::load(&sources) {
            Ok(_) => Outcome::Accepted,
            Err(e) if e.to_string().is_empty() => {
                Outcome::Failed("an error without a message".into())
            }
            Err(_) => Outcome::Refused,
        }
    }
}

/// The API's request bodies, sent in process to the router over the demo
/// (its calendars planned) as the team's leader: never a 5xx.
struct Api {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    token: String,
    endpoints: Vec<(&'static str, String, Value)>,
    _db: doorstep_tests::TestDb,
}

impl Api {
    fn new() -> Api {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 7, 3, 0, 0)
            .single()
            .expect("a time");
        let (db, router, token, visit, residents) = runtime.block_on(async {
            let db = doorstep_tests::TestDb::migrated().await;
            let store = db.store().await;
            doorstep_demo::load(&store, at).await.expect("the demo loads");
            doorstep_demo::plan_calendars(
                &store,
                &doorstep_service::stations::built_in(),
                std::time::Duration::from_millis(300),
                Some(2_000),
                1,
                at - chrono::Duration::days(2),
            )
            .await
            .expect("the demo's calendars");
            let mut state = doorstep_api::AppState::new(store.clone());
            state.clock = doorstep_service::Clock::fixed(at);
            let router = doorstep_api::router(state);
            let (_, login) = call(
                &router,
                "POST",
                "/api/v1/auth/login",
                None,
                json!({"username": "totruong.haithanh", "password": doorstep_demo::DEMO_PASSWORD})
                    .to_string()
                    .into_bytes(),
            )
            .await;
            let token = serde_json::from_slice::<Value>(&login).expect("a login")["token"]
                .as_str()
                .expect("a token")
                .to_owned();
            use sea_orm::ConnectionTrait;
            let db_conn = store.connection();
            let row = db_conn
                .query_one_raw(sea_orm::Statement::from_string(
                    db_conn.get_database_backend(),
                    "SELECT v.id, v.household_id FROM visits v JOIN members m ON m.id = v.member_id \
                     WHERE m.team_id = 1 AND v.on_calendar ORDER BY v.id LIMIT 1",
                ))
                .await
                .expect("a visit")
                .expect("a visit of team 1");
            let visit: i32 = row.try_get_by_index(0).expect("its id");
            let household: i32 = row.try_get_by_index(1).expect("its household");
            let rows = db_conn
                .query_all_raw(sea_orm::Statement::from_string(
                    db_conn.get_database_backend(),
                    format!("SELECT id FROM residents WHERE household_id = {household} ORDER BY id"),
                ))
                .await
                .expect("its residents");
            let residents: Vec<i32> = rows
                .iter()
                .filter_map(|r| r.try_get_by_index(0).ok())
                .collect();
            (db, router, token, visit, residents)
        });
        let fishing = doorstep_core::rules::presets::fishing_crew(Some("lach-bang")).to_json();
        let outcomes: Vec<Value> = residents
            .iter()
            .map(|r| json!({"resident_id": r, "result": "done"}))
            .collect();
        let endpoints = vec![
            (
                "POST",
                "/api/v1/rules/check".to_owned(),
                json!({"rule": fishing, "team_id": 1, "days": 7}),
            ),
            (
                "POST",
                "/api/v1/teams/1/blackouts".to_owned(),
                json!({"label": "bão số 9", "dates": ["2026-12-10", "2026-12-11"], "village_id": null}),
            ),
            (
                "POST",
                format!("/api/v1/visits/{visit}/outcome"),
                json!({"idempotency_key": "fuzz-0001", "note": "ở nhà", "outcomes": outcomes}),
            ),
            (
                "POST",
                "/api/v1/teams/1/plans".to_owned(),
                json!({"start": "2026-12-09", "days": 2, "iterations": 100}),
            ),
            (
                "POST",
                "/api/v1/tide/fit".to_owned(),
                json!({"id": "cang", "latitude": 19.37, "csv": "thời gian,loại,độ cao (m)\n2026-03-02 05:40,nước lớn,2.35\n"}),
            ),
            (
                "POST",
                "/api/v1/teams/1/members".to_owned(),
                json!({"full_name": "Lê Thị Mới", "role": "volunteer", "skills": ["vneid"], "daily_visit_cap": 6}),
            ),
        ];
        Api {
            runtime,
            router,
            token,
            endpoints,
            _db: db,
        }
    }
}

async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    use tower::ServiceExt;
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let Ok(request) = request.body(axum::body::Body::from(body)) else {
        return (400, Vec::new());
    };
    let Ok(response) = router.clone().oneshot(request).await;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    (status, bytes)
}

impl Target for Api {
    fn name(&self) -> &'static str {
        "api"
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        let (method, path, seed) = rng.pick(&self.endpoints);
        let body = if rng.below(8) == 0 {
            let mut bytes = seed.to_string().into_bytes();
            mutate_bytes(rng, &mut bytes);
            bytes
        } else {
            let mut value = seed.clone();
            mutate_json(rng, &mut value);
            value.to_string().into_bytes()
        };
        let mut input = format!("{method} {path}\n").into_bytes();
        input.extend(body);
        input
    }

    fn run(&self, input: &[u8]) -> Outcome {
        let split = input
            .iter()
            .position(|b| *b == b'\n')
            .unwrap_or(input.len());
        let line = String::from_utf8_lossy(&input[..split]).into_owned();
        let body = input.get(split + 1..).unwrap_or_default().to_vec();
        let Some((method, path)) = line.split_once(' ') else {
            return Outcome::Refused;
        };
        let (status, answer) =
            self.runtime
                .block_on(call(&self.router, method, path, Some(&self.token), body));
        if status >= 500 {
            return Outcome::Failed(format!(
                "{status} for {line}: {}",
                String::from_utf8_lossy(&answer)
            ));
        }
        if status >= 400 && serde_json::from_slice::<Value>(&answer).is_err() {
            return Outcome::Failed(format!("{status} for {line} without a JSON problem"));
        }
        if status < 300 {
            Outcome::Accepted
        } else {
            Outcome::Refused
        }
    }
}
