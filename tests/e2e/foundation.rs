//! The foundation end to end: migrations, demo data, register import,
//! configuration and database failures, on SQLite or PostgreSQL.

use doorstep_tests::{Server, TestDb, doorstep, repo_root, runtime};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use std::process::Output;

fn run(db: &TestDb, args: &[&str]) -> Output {
    doorstep()
        .args(args)
        .env("DOORSTEP__DATABASE__URL", &db.url)
        .env("DOORSTEP_ENV", "test")
        .output()
        .expect("doorstep runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// Every row of every table, as JSON, in id order.
async fn dump(db: &TestDb) -> serde_json::Value {
    use doorstep_store::entity::*;
    let store = db.store().await;
    let c = store.connection();
    macro_rules! rows {
        ($($m:ident),*) => {
            serde_json::json!({ $(stringify!($m): $m::Entity::find().order_by_asc($m::Column::Id).into_json().all(c).await.unwrap()),* })
        };
    }
    rows!(
        area, team, member, household, resident, need, plan, visit, unmet, user, session,
        api_token, audit, outbox
    )
}

#[test]
fn migrations_apply_on_an_empty_database() {
    let db = TestDb::blocking();
    let status = run(&db, &["migrate", "status"]);
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert!(text(&status.stdout).starts_with("pending m20261128_000001_initial"));

    let up = run(&db, &["migrate", "up"]);
    assert!(up.status.success(), "{}", text(&up.stderr));
    assert!(text(&up.stdout).contains("applied m20261128_000001_initial"));

    let status = run(&db, &["migrate", "status"]);
    assert!(
        !text(&status.stdout).contains("pending"),
        "{}",
        text(&status.stdout)
    );
    let again = run(&db, &["migrate", "up"]);
    assert!(text(&again.stdout).contains("No pending migration"));
}

#[test]
fn demo_twice_leaves_the_same_rows() {
    let db = TestDb::blocking();
    let first = run(&db, &["demo"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains("1050 households"),
        "{}",
        text(&first.stdout)
    );
    let before = runtime().block_on(dump(&db));

    let second = run(&db, &["demo"]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(
        text(&second.stdout).contains("nothing changed"),
        "{}",
        text(&second.stdout)
    );
    assert_eq!(before, runtime().block_on(dump(&db)));

    // The demo is what the brief describes.
    let teams = before["team"].as_array().unwrap();
    assert_eq!(teams.len(), 4);
    let members = before["member"].as_array().unwrap();
    let of_team = |id: i64| members.iter().filter(|m| m["team_id"] == id).count();
    assert_eq!(of_team(1), 7);
    assert_eq!(of_team(3), 25);
    let households = before["household"].as_array().unwrap();
    let hai_thanh: Vec<i64> = households
        .iter()
        .filter(|h| h["team_id"] == 1)
        .map(|h| h["id"].as_i64().unwrap())
        .collect();
    assert_eq!(hai_thanh.len(), 300);
    let residents = before["resident"].as_array().unwrap();
    let fishing: std::collections::BTreeSet<i64> = residents
        .iter()
        .filter(|r| r["presence"] == "at_sea")
        .map(|r| r["household_id"].as_i64().unwrap())
        .collect();
    let share = fishing.len() as f64 / hai_thanh.len() as f64;
    assert!(
        (0.3..=0.5).contains(&share),
        "share of fishing households {share}"
    );
    assert!(residents.iter().any(|r| r["timezone"] == "Asia/Seoul"));
    assert!(residents.iter().any(|r| r["timezone"] == "Asia/Tokyo"));
    let users = before["user"].as_array().unwrap();
    assert_eq!(users.len(), 3);
    assert!(users.iter().all(|u| {
        u["password_hash"]
            .as_str()
            .unwrap()
            .starts_with("$argon2id$")
    }));
}

const HEADER: &str = "Mã hộ,Mã nhân khẩu,Họ và tên,Năm sinh,Số điện thoại,Địa chỉ,Thôn/Tổ dân phố,Vĩ độ,Kinh độ,Hiện trạng,Quốc gia,Múi giờ,Nhu cầu";

fn write(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

#[test]
fn a_register_with_one_bad_row_imports_nothing_and_names_the_line() {
    let db = TestDb::blocking();
    assert!(run(&db, &["demo"]).status.success());
    let before = runtime().block_on(dump(&db));
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "register.csv",
        format!(
            "{HEADER}\nX-1,1,Lê Văn A,1970,,Số 1,Tân Thành,,,,,,vneid_install\nX-1,2,Lê Thị B,1790,,,,,,,,,\nX-2,1,Mai Văn C,1980,,Số 2,Thanh Bình,,,đi chợ,,,\n"
        )
        .as_bytes(),
    );
    let out = run(&db, &["import", "households", &file, "--team", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("register.csv:line 3, column \"Năm sinh\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("register.csv:line 4, column \"Hiện trạng\""),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(
        before,
        runtime().block_on(dump(&db)),
        "the database is exactly as it was"
    );

    // With --skip-invalid the good rows go in and the bad ones are listed.
    let out = run(
        &db,
        &[
            "import",
            "households",
            &file,
            "--team",
            "1",
            "--skip-invalid",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["changes"]["households_created"], 1);
    assert_eq!(report["changes"]["residents_created"], 1);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 2);
}

#[test]
fn reimporting_changes_nothing_and_a_changed_row_updates_its_resident() {
    let db = TestDb::blocking();
    assert!(run(&db, &["demo"]).status.success());
    let sample = repo_root().join("docs/examples/so-ho-hai-thanh.csv");
    let sample = sample.to_str().unwrap();
    let out = run(
        &db,
        &["import", "households", sample, "--team", "1", "--json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["changes"]["households_created"], 4);
    assert_eq!(report["changes"]["residents_created"], 10);
    let after_first = runtime().block_on(dump(&db));

    let out = run(&db, &["import", "households", sample, "--team", "1"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("Nothing changed"));
    assert_eq!(
        after_first,
        runtime().block_on(dump(&db)),
        "a re-import writes nothing, not even an audit entry"
    );

    // The same register exported by Excel on a Vietnamese system: semicolons,
    // decimal commas, no BOM, a phone without its leading zero, one resident
    // renamed and moved abroad.
    let original = std::fs::read_to_string(sample).unwrap();
    let changed = original.trim_start_matches('\u{feff}').replace(
        "Nguyễn Thị Hoa,1975,0987654321,,,,,Ở nhà,,,",
        "Nguyễn Thị Hoà,1975,987654321,,,,,Ở nước ngoài,Đài Loan,,",
    );
    let mut reader = changed.lines().map(|line| {
        let mut fields = Vec::new();
        let mut current = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut current)),
                _ => current.push(c),
            }
        }
        fields.push(current);
        fields
            .iter()
            .map(|f| {
                if f.contains('.') && f.parse::<f64>().is_ok() {
                    f.replace('.', ",")
                } else {
                    f.clone()
                }
            })
            .map(|f| {
                if f.contains([',', ';']) {
                    format!("\"{f}\"")
                } else {
                    f
                }
            })
            .collect::<Vec<_>>()
            .join(";")
    });
    let excel = reader.by_ref().collect::<Vec<_>>().join("\r\n");
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "excel.csv", excel.as_bytes());
    let out = run(
        &db,
        &["import", "households", &file, "--team", "1", "--json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["changes"]["residents_updated"], 1, "{report}");
    assert_eq!(report["changes"]["households_updated"], 0, "{report}");
    assert_eq!(report["changes"]["residents_created"], 0, "{report}");
    let after = runtime().block_on(dump(&db));
    let hoa = after["resident"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["full_name"] == "Nguyễn Thị Hoà")
        .expect("the resident was renamed");
    assert_eq!(hoa["presence"], "abroad");
    assert_eq!(hoa["timezone"], "Asia/Taipei");
    assert_eq!(hoa["phone"], "0987654321");
}

#[test]
fn bad_files_unknown_teams_and_broken_configuration_are_named() {
    let db = TestDb::blocking();
    let dir = tempfile::tempdir().unwrap();
    let missing = write(&dir, "missing.csv", "Mã hộ,Họ và tên\nH1,A\n".as_bytes());
    let out = run(&db, &["import", "households", &missing, "--team", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("missing.csv:line 1, column \"Mã nhân khẩu\""),
        "{}",
        text(&out.stderr)
    );

    let latin = write(&dir, "latin.csv", b"M\xe3 h\xf4,x\r\n");
    let out = run(&db, &["import", "households", &latin, "--team", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not UTF-8"),
        "{}",
        text(&out.stderr)
    );

    let good = repo_root().join("docs/examples/so-ho-hai-thanh.csv");
    let out = run(
        &db,
        &[
            "import",
            "households",
            good.to_str().unwrap(),
            "--team",
            "42",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("team 42 does not exist"),
        "{}",
        text(&out.stderr)
    );

    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("test.toml"),
        "[server]\naddress = \"127.0.0.1:0\"\nmigrate_on_start = maybe\n",
    )
    .unwrap();
    let out = doorstep()
        .args(["migrate", "status"])
        .env("DOORSTEP_CONFIG_DIR", config.path())
        .env("DOORSTEP_ENV", "test")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("test.toml") && stderr.contains("line 3"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_database_gives_one_clear_message() {
    let out = doorstep()
        .args(["migrate", "status"])
        .env(
            "DOORSTEP__DATABASE__URL",
            "postgres://doorstep:secret@127.0.0.1:1/nowhere",
        )
        .env("DOORSTEP_ENV", "test")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot open the database postgres://doorstep:***@127.0.0.1:1/nowhere"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_audit_log_refuses_changes() {
    let db = TestDb::blocking();
    assert!(run(&db, &["demo"]).status.success());
    runtime().block_on(async {
        let store = db.store().await;
        let c = store.connection();
        assert!(
            c.execute_unprepared("UPDATE audit_log SET actor = 'someone'")
                .await
                .is_err()
        );
        assert!(c.execute_unprepared("DELETE FROM audit_log").await.is_err());
        let entries = doorstep_store::entity::audit::Entity::find()
            .all(c)
            .await
            .unwrap();
        assert!(entries.iter().all(|e| e.actor == "demo"));
    });
}

#[test]
fn serve_with_demo_answers_pages_and_json() {
    let db = TestDb::blocking();
    let server = Server::start(&db, &["--demo"]);
    assert_eq!(
        server.get("/healthz"),
        (200, "{\"status\":\"ok\"}".to_string())
    );
    let (status, body) = server.get("/readyz");
    assert_eq!(status, 200);
    assert!(body.contains(db.backend()), "{body}");
    // The data needs sign-in; what a signed-in user sees is tested in
    // process (tests/e2e/api/teams.rs).
    let (status, body) = server.get("/api/v1/teams");
    assert_eq!(status, 401);
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["code"], "unauthorized");
    let (status, body) = server.get("/api/v1/teams/x/households");
    assert_eq!(status, 401, "{body}");
    let (status, body) = server.get("/dang-nhap");
    assert_eq!(status, 200);
    assert!(
        body.contains("Đăng nhập") && body.contains("âm lịch"),
        "{body}"
    );
}

#[test]
fn pages_send_strangers_to_the_sign_in_form() {
    let db = TestDb::blocking();
    let server = Server::start(&db, &["--demo"]);
    for path in ["/", "/teams/1", "/teams/1?page=6", "/teams/1?page=zero"] {
        let (status, _) = server.get(path);
        assert_eq!(status, 303, "{path} redirects to /dang-nhap");
    }
}

#[test]
fn database_commands_log_plain_text_and_only_the_migrations_they_apply() {
    let db = TestDb::blocking();
    // At the default level, as an operator runs it, with stderr a pipe.
    let demo = || {
        doorstep()
            .arg("demo")
            .env("DOORSTEP__DATABASE__URL", &db.url)
            .env("DOORSTEP_ENV", "test")
            .env("DOORSTEP__LOG__LEVEL", "info")
            .env_remove("RUST_LOG")
            .output()
            .expect("doorstep runs")
    };
    let first = demo();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let stderr = text(&first.stderr);
    assert!(!stderr.contains('\x1b'), "no colour in a pipe: {stderr:?}");
    assert!(
        stderr.contains("m20261128_000001_initial"),
        "each applied migration is named: {stderr}"
    );
    assert!(!stderr.contains("Applying all"), "{stderr}");

    let second = demo();
    assert!(second.status.success(), "{}", text(&second.stderr));
    let stderr = text(&second.stderr);
    assert!(!stderr.contains('\x1b'), "no colour in a pipe: {stderr:?}");
    assert!(
        !stderr.to_lowercase().contains("migration"),
        "nothing to apply, nothing said: {stderr}"
    );
}
