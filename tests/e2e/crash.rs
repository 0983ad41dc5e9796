//! Crash consistency of a register import: the real `doorstep serve` is
//! killed with SIGKILL part way through a large register — once as soon as
//! the request is sent (it is reading or checking it), once as soon as its
//! transaction is writing (SQLite's write-ahead log grows; on PostgreSQL
//! its connection holds a transaction id). After each kill the register is
//! there whole or not at all, never in part; after a restart, importing
//! the same file again leaves it whole, each household once.

use std::io::Write;

use doorstep_tests::{Server, TestDb, runtime};
use serde_json::{Value, json};

/// Households in the register sent: large enough that the server is still
/// at work when the last byte has been written.
const HOUSEHOLDS: usize = 8_000;

/// How many times the test looks whether the import is writing, 1 ms
/// apart, before it kills the server anyway.
const LOOKS: u32 = 5_000;

fn register(prefix: &str) -> String {
    let mut csv = String::from("Mã hộ,Mã nhân khẩu,Họ và tên,Năm sinh,Địa chỉ,Nhu cầu\n");
    for i in 0..HOUSEHOLDS {
        csv.push_str(&format!(
            "HT-{prefix}-{i:05},1,Lê Văn Sóng {i},1970,\"Số {i}, ngõ Bến\",vneid_install\n"
        ));
    }
    csv
}

fn token(server: &Server) -> String {
    let body = json!({"username": "totruong.haithanh", "password": "doorstep-demo"}).to_string();
    let (status, _, answer) = server.request("POST", "/api/v1/auth/login", &[], Some(&body));
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    answer["token"].as_str().unwrap().to_owned()
}

/// The number a query of the server's database answers.
fn number(db: &TestDb, sql: &str) -> i64 {
    runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let store = db.store().await;
        let conn = store.connection();
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get_by_index(0).unwrap();
        store.connection().clone().close().await.ok();
        n
    })
}

fn imported(db: &TestDb, prefix: &str) -> i64 {
    number(
        db,
        &format!("SELECT COUNT(*) FROM households WHERE external_id LIKE 'HT-{prefix}-%'"),
    )
}

/// Whether the server's import transaction is writing.
fn writing(db: &TestDb, wal_at_start: u64) -> bool {
    match wal_size(db) {
        // More than a session's touch: the import's pages.
        Some(size) => size > wal_at_start + 256 * 1024,
        None => {
            number(
                db,
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()",
            ) > 0
        }
    }
}

/// The size of the SQLite database's write-ahead log (`None` on
/// PostgreSQL).
fn wal_size(db: &TestDb) -> Option<u64> {
    let path = db.url.strip_prefix("sqlite://")?;
    Some(
        std::fs::metadata(format!("{path}-wal"))
            .map(|m| m.len())
            .unwrap_or(0),
    )
}

/// Sends the import and kills the server: at once, or once the import
/// is writing. Answers whether it was seen writing.
fn import_and_kill(db: &TestDb, csv: &str, wait_for_writes: bool) -> bool {
    let server = Server::start(db, &[]);
    let token = token(&server);
    let wal_at_start = wal_size(db).unwrap_or(0);
    let mut stream = std::net::TcpStream::connect(&server.address).unwrap();
    let head = format!(
        "POST /api/v1/teams/1/imports HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.address,
        csv.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // A full socket buffer blocks the write until the server reads on.
    let _ = stream.write_all(csv.as_bytes());
    let mut seen = false;
    if wait_for_writes {
        for _ in 0..LOOKS {
            if writing(db, wal_at_start) {
                seen = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    drop(server);
    drop(stream);
    seen
}

#[test]
fn a_register_import_killed_part_way_is_there_whole_or_not_at_all() {
    let db = runtime().block_on(async {
        let db = TestDb::migrated().await;
        let store = db.store().await;
        doorstep_demo::load(&store, chrono::Utc::now())
            .await
            .expect("the demo loads");
        store.connection().clone().close().await.ok();
        db
    });
    for (prefix, wait_for_writes) in [("CRASH-A", false), ("CRASH-B", true)] {
        let csv = register(prefix);
        let seen = import_and_kill(&db, &csv, wait_for_writes);
        let after_kill = imported(&db, prefix);
        eprintln!(
            "{prefix}: killed {}; {after_kill} of {HOUSEHOLDS} households after",
            if seen { "while writing" } else { "at once" }
        );
        assert!(
            after_kill == 0 || after_kill == HOUSEHOLDS as i64,
            "after SIGKILL the register is whole or absent, not {after_kill} of {HOUSEHOLDS} households"
        );

        // Restarted, the same file again: whole, each household once.
        let server = Server::start(&db, &[]);
        let token = self::token(&server);
        let (status, _, answer) = server.request(
            "POST",
            "/api/v1/teams/1/imports",
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "text/csv"),
            ],
            Some(&csv),
        );
        assert_eq!(status, 200, "{answer}");
        drop(server);
        assert_eq!(imported(&db, prefix), HOUSEHOLDS as i64);
    }
}
