//! The register import at size, on SQLite or PostgreSQL
//! (`DOORSTEP_TEST_POSTGRES`): ten thousand rows written in several parts
//! of one transaction, through `doorstep import` and through the service
//! the upload endpoint calls. A bad row near the end writes nothing; a
//! failure in the last part writes nothing; a re-import writes nothing; a
//! changed register updates exactly what changed; erased residents stay
//! out; the kept coverage counts follow; progress is told as rows are
//! read and written.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;

use doorstep_service::import::{ImportError, ImportOptions, ImportProgress};
use doorstep_store::{REGISTER_PART, RegisterHousehold, RegisterResident, Store};
use doorstep_tests::{TestDb, doorstep, runtime};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};
use serde_json::Value;

const HEADER: &str = "Mã hộ,Mã nhân khẩu,Họ và tên,Năm sinh,Số điện thoại,Địa chỉ,Thôn/Tổ dân phố,Vĩ độ,Kinh độ,Hiện trạng,Quốc gia,Múi giờ,Nhu cầu";

/// Where each value sits in a row.
const KEY: usize = 0;
const NAME: usize = 2;
const YEAR: usize = 3;
const PHONE: usize = 4;
const ADDRESS: usize = 5;
const NEEDS: usize = 12;

/// The demo's team that takes the registers, and its villages.
const TEAM: i32 = 1;
const VILLAGES: [&str; 4] = [
    "Tân Thành",
    "Thanh Bình",
    "Tổ dân phố Thanh Xuân",
    "Bắc Hải",
];
const STEPS: [&str; 6] = [
    "vneid_install",
    "vneid_level2",
    "documents",
    "e_payment",
    "scam_awareness",
    "public_services",
];

/// A register of `rows` rows, one to five residents a household, always
/// the same: its household keys start with `prefix`. Household fields are
/// on each household's first row only, as a commune's export has them.
fn register(rows: usize, prefix: &str) -> Vec<Vec<String>> {
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let mut out = Vec::with_capacity(rows);
    let mut household = 0;
    while out.len() < rows {
        household += 1;
        let size = (1 + next(5) as usize).min(rows - out.len());
        let village = VILLAGES[next(4) as usize];
        let (lat, lon) = (
            19.36 + next(20_000) as f64 / 1e6,
            105.78 + next(20_000) as f64 / 1e6,
        );
        for r in 1..=size {
            let first = r == 1;
            let presence = ["Ở nhà", "Ở nhà", "Đi biển", "Làm ăn xa"][next(4) as usize];
            let needs: BTreeSet<&str> = (0..next(4)).map(|_| STEPS[next(6) as usize]).collect();
            out.push(vec![
                format!("{prefix}-{household:05}"),
                r.to_string(),
                format!("Nguyễn Văn {household} {r}"),
                (1940 + next(75)).to_string(),
                if next(3) == 0 {
                    String::new()
                } else {
                    format!("09{:08}", next(100_000_000))
                },
                if first {
                    format!("Số {}, ngõ {}", household, r)
                } else {
                    String::new()
                },
                if first { village.into() } else { String::new() },
                if first {
                    format!("{lat:.6}")
                } else {
                    String::new()
                },
                if first {
                    format!("{lon:.6}")
                } else {
                    String::new()
                },
                presence.into(),
                String::new(),
                String::new(),
                needs.into_iter().collect::<Vec<_>>().join("; "),
            ]);
        }
    }
    out
}

/// The register as a CSV file's bytes.
fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = format!("{HEADER}\r\n");
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                if c.contains([',', '"']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The distinct needs listed in the register.
fn needs_listed(rows: &[Vec<String>]) -> usize {
    rows.iter()
        .map(|r| r[NEEDS].split("; ").filter(|s| !s.is_empty()).count())
        .sum()
}

fn households_listed(rows: &[Vec<String>]) -> usize {
    rows.iter()
        .map(|r| r[KEY].as_str())
        .collect::<BTreeSet<_>>()
        .len()
}

/// A fresh database with the demo loaded.
async fn demo() -> (TestDb, Store) {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    doorstep_demo::load(&store, chrono::Utc::now())
        .await
        .expect("the demo loads");
    (db, store)
}

/// `doorstep import households FILE --team 1 [extra…]`.
fn import(db: &TestDb, file: &str, extra: &[&str]) -> Output {
    doorstep()
        .args(["import", "households", file, "--team", "1"])
        .args(extra)
        .env("DOORSTEP__DATABASE__URL", &db.url)
        .env("DOORSTEP_ENV", "test")
        .output()
        .expect("doorstep runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// The JSON report of `import … --json`.
fn report(out: &Output) -> Value {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// Every household, resident and need, by id, the audit log and the kept
/// counts: what an import may change.
async fn snapshot(store: &Store) -> Value {
    use doorstep_store::entity::{audit, household, need, resident};
    let c = store.connection();
    let tallies = c
        .query_all_raw(Statement::from_string(
            c.get_database_backend(),
            "SELECT team_id, area_id, measure, step, status, CAST(n AS BIGINT) AS n FROM tallies \
             ORDER BY team_id, area_id, measure, step, status",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            serde_json::json!([
                row.try_get::<i32>("", "team_id").unwrap(),
                row.try_get::<i32>("", "area_id").unwrap(),
                row.try_get::<String>("", "measure").unwrap(),
                row.try_get::<String>("", "step").unwrap(),
                row.try_get::<String>("", "status").unwrap(),
                row.try_get::<i64>("", "n").unwrap(),
            ])
        })
        .collect::<Vec<_>>();
    serde_json::json!({
        "households": household::Entity::find().order_by_asc(household::Column::Id).into_json().all(c).await.unwrap(),
        "residents": resident::Entity::find().order_by_asc(resident::Column::Id).into_json().all(c).await.unwrap(),
        "needs": need::Entity::find().order_by_asc(need::Column::Id).into_json().all(c).await.unwrap(),
        "audit": audit::Entity::find().order_by_asc(audit::Column::Id).into_json().all(c).await.unwrap(),
        "tallies": tallies,
    })
}

/// The rows of a snapshot's table by id.
fn by_id(snapshot: &Value, table: &str) -> BTreeMap<i64, Value> {
    snapshot[table]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["id"].as_i64().unwrap(), row.clone()))
        .collect()
}

/// The ids of the rows of `table` that differ between two snapshots, and
/// of those only in `after`.
fn changed(before: &Value, after: &Value, table: &str) -> (BTreeSet<i64>, BTreeSet<i64>) {
    let (before, after) = (by_id(before, table), by_id(after, table));
    assert!(
        before.keys().all(|id| after.contains_key(id)),
        "an import never deletes {table}"
    );
    let updated = before
        .iter()
        .filter(|(id, row)| after[*id] != **row)
        .map(|(id, _)| *id)
        .collect();
    let created = after
        .keys()
        .filter(|id| !before.contains_key(id))
        .copied()
        .collect();
    (updated, created)
}

/// The kept count of a measure of the team, over its villages.
fn tally(snapshot: &Value, measure: &str) -> i64 {
    snapshot["tallies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t[0] == TEAM && t[2] == measure)
        .map(|t| t[5].as_i64().unwrap())
        .sum()
}

#[test]
fn a_bad_row_near_the_end_of_ten_thousand_writes_nothing() {
    let rt = runtime();
    let (db, store) = rt.block_on(demo());
    let before = rt.block_on(snapshot(&store));
    let mut rows = register(10_000, "BX");
    // Data row 9,999 is the file's line 10,000 (the header is line 1).
    rows[9_998][YEAR] = "1790".into();
    let bytes = csv(&rows);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "so-ho.csv", &bytes);

    let out = import(&db, &file, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("so-ho.csv:line 10000, column \"Năm sinh\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 problem(s), nothing was imported"),
        "{stderr}"
    );
    assert_eq!(before, rt.block_on(snapshot(&store)), "nothing was written");

    // The upload endpoint's path: the same answer, nothing written.
    let result = rt.block_on(doorstep_service::import::import_register(
        &store,
        TEAM,
        &bytes,
        ImportOptions::default(),
        "user:1",
        chrono::Utc::now(),
    ));
    let Err(ImportError::Invalid { errors }) = result else {
        panic!("the register is refused: {result:?}");
    };
    let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(found, [(10_000, "Năm sinh")]);
    assert_eq!(before, rt.block_on(snapshot(&store)), "nothing was written");

    // With --skip-invalid, everything but that row goes in.
    let report = report(&import(&db, &file, &["--skip-invalid", "--json"]));
    assert_eq!(report["changes"]["residents_created"], 9_999, "{report}");
    assert_eq!(report["skipped"][0]["line"], 10_000, "{report}");
}

#[test]
fn a_failure_in_the_last_part_writes_nothing() {
    let rt = runtime();
    let (_db, store) = rt.block_on(demo());
    let before = rt.block_on(snapshot(&store));
    let resident = |key: &str| RegisterResident {
        external_id: key.into(),
        full_name: format!("Người {key}"),
        birth_year: None,
        phone: None,
        presence: doorstep_core::Presence::Home,
        country: None,
        timezone: None,
        needs: vec![doorstep_core::NeedStep::EPayment],
        availability: None,
        done: Vec::new(),
        consent: None,
    };
    let mut households: Vec<RegisterHousehold> = (0..REGISTER_PART * 2 + 1)
        .map(|i| RegisterHousehold {
            external_id: format!("PX-{i:05}"),
            address: format!("Số {i}"),
            village_id: None,
            latitude: None,
            longitude: None,
            residents: vec![resident("1"), resident("2")],
        })
        .collect();
    // The last part names the first household again: the database refuses
    // it after two parts were written.
    households.last_mut().unwrap().external_id = "PX-00000".into();
    let result = rt.block_on(doorstep_store::apply_register(
        store.connection(),
        TEAM,
        &households,
        doorstep_store::OnExisting::Update,
        "test",
        chrono::Utc::now(),
    ));
    assert!(result.is_err(), "{result:?}");
    assert_eq!(before, rt.block_on(snapshot(&store)), "nothing was written");
}

#[test]
fn reimporting_ten_thousand_rows_changes_nothing() {
    let rt = runtime();
    let (db, store) = rt.block_on(demo());
    let before = rt.block_on(snapshot(&store));
    let rows = register(10_000, "BX");
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "so-ho.csv", &csv(&rows));

    let first = report(&import(&db, &file, &["--json"]));
    let households = households_listed(&rows);
    assert_eq!(first["rows"], 10_000);
    assert_eq!(first["households"], households);
    assert_eq!(
        first["changes"],
        serde_json::json!({
            "households_created": households,
            "households_updated": 0,
            "residents_created": 10_000,
            "residents_updated": 0,
            "needs_opened": needs_listed(&rows),
            "needs_closed": 0,
            "needs_done": 0,
            "residents_erased_skipped": 0,
        })
    );
    let after_first = rt.block_on(snapshot(&store));
    // New rows take their ids in register order.
    let (_, created) = changed(&before, &after_first, "households");
    let stored = by_id(&after_first, "households");
    let keys: Vec<&str> = created
        .iter()
        .map(|id| stored[id]["external_id"].as_str().unwrap())
        .collect();
    let mut in_order = keys.clone();
    in_order.sort();
    assert_eq!(keys, in_order);
    // The kept counts follow the import.
    assert_eq!(
        tally(&after_first, "households"),
        tally(&before, "households") + households as i64
    );
    assert_eq!(
        tally(&after_first, "residents"),
        tally(&before, "residents") + 10_000
    );

    let again = report(&import(&db, &file, &["--json"]));
    for (key, n) in again["changes"].as_object().unwrap() {
        assert_eq!(n, 0, "{key}: {again}");
    }
    assert_eq!(
        after_first,
        rt.block_on(snapshot(&store)),
        "a re-import writes nothing, not even an audit entry"
    );
}

#[test]
fn a_changed_register_updates_only_what_changed() {
    let rt = runtime();
    let (db, store) = rt.block_on(demo());
    let rows = register(10_000, "BX");
    let dir = tempfile::tempdir().unwrap();
    report(&import(
        &db,
        &write(&dir, "so-ho.csv", &csv(&rows)),
        &["--json"],
    ));
    let before = rt.block_on(snapshot(&store));
    let residents = by_id(&before, "residents");
    let households = by_id(&before, "households");
    let household_id = |key: &str| -> i64 {
        households
            .values()
            .find(|h| h["external_id"] == key && h["team_id"] == TEAM)
            .expect("the household is stored")["id"]
            .as_i64()
            .unwrap()
    };
    let resident_id = |row: &[String]| -> i64 {
        let household = household_id(&row[KEY]);
        residents
            .values()
            .find(|r| r["household_id"] == household && r["external_id"] == row[1])
            .expect("the resident is stored")["id"]
            .as_i64()
            .unwrap()
    };

    let mut changed_rows = rows.clone();
    // Far apart, in different parts: a renamed resident, a new phone, a
    // household moved, a need no longer listed and a need added.
    changed_rows[17][NAME] = "Nguyễn Thị Đổi Tên".into();
    changed_rows[9_000][PHONE] = "0912000111".into();
    let moved = (0..rows.len())
        .rev()
        .find(|&i| !rows[i][ADDRESS].is_empty())
        .unwrap();
    changed_rows[moved][ADDRESS] = "Số 99, ngõ 1".into();
    let closed = (0..rows.len())
        .find(|&i| rows[i][NEEDS].contains("; "))
        .unwrap();
    let kept_needs: Vec<&str> = rows[closed][NEEDS].split("; ").skip(1).collect();
    changed_rows[closed][NEEDS] = kept_needs.join("; ");
    let opened = (5_000..rows.len())
        .find(|&i| rows[i][NEEDS].is_empty())
        .unwrap();
    changed_rows[opened][NEEDS] = "documents".into();
    // A resident left out of the file stays as it is (not a household's
    // first row, which holds its address).
    let gone = (4_000..rows.len())
        .find(|&i| rows[i][ADDRESS].is_empty())
        .unwrap();
    let left_out = changed_rows.remove(gone);
    // A new household of two.
    for r in 1..=2 {
        let mut row = rows[0].clone();
        row[KEY] = "BX-NEW".into();
        row[1] = r.to_string();
        if r == 2 {
            row[ADDRESS].clear();
        }
        changed_rows.push(row);
    }

    let report = report(&import(
        &db,
        &write(&dir, "so-ho-moi.csv", &csv(&changed_rows)),
        &["--json"],
    ));
    let new_needs = 2 * needs_listed(&rows[..1]);
    assert_eq!(
        report["changes"],
        serde_json::json!({
            "households_created": 1,
            "households_updated": 1,
            "residents_created": 2,
            "residents_updated": 2,
            "needs_opened": 1 + new_needs,
            "needs_closed": 1,
            "needs_done": 0,
            "residents_erased_skipped": 0,
        })
    );
    let after = rt.block_on(snapshot(&store));
    let (updated, created) = changed(&before, &after, "households");
    assert_eq!(updated, BTreeSet::from([household_id(&rows[moved][KEY])]));
    assert_eq!(created.len(), 1);
    let (updated, created) = changed(&before, &after, "residents");
    assert_eq!(
        updated,
        BTreeSet::from([resident_id(&rows[17]), resident_id(&rows[9_000])])
    );
    assert_eq!(created.len(), 2);
    assert!(
        by_id(&after, "residents").contains_key(&resident_id(&left_out)),
        "a resident missing from the file is not removed"
    );
    let (updated, created) = changed(&before, &after, "needs");
    assert_eq!(updated.len(), 1, "{updated:?}");
    let closed_need = &by_id(&after, "needs")[updated.iter().next().unwrap()];
    assert_eq!(closed_need["resident_id"], resident_id(&rows[closed]));
    assert_eq!(closed_need["status"], "not_applicable");
    assert_eq!(created.len(), 1 + new_needs);
    let opened_by = resident_id(&rows[opened]);
    assert!(by_id(&after, "needs").values().any(|n| {
        n["resident_id"] == opened_by && n["step"] == "documents" && n["status"] == "open"
    }));
    assert_eq!(
        after["audit"].as_array().unwrap().len(),
        before["audit"].as_array().unwrap().len() + 1,
        "one audit entry for the import, with its counts"
    );
    assert_eq!(
        tally(&after, "households"),
        tally(&before, "households") + 1
    );
}

#[test]
fn erased_residents_stay_out_of_a_reimport() {
    let rt = runtime();
    let (db, store) = rt.block_on(demo());
    let rows = register(3_000, "BX");
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "so-ho.csv", &csv(&rows));
    report(&import(&db, &file, &["--json"]));
    // The last household's first resident is erased.
    let row = &rows[rows.len() - 1];
    let resident_id: i32 = rt.block_on(async {
        let c = store.connection();
        let found = c
            .query_one_raw(Statement::from_sql_and_values(
                c.get_database_backend(),
                match c.get_database_backend() {
                    sea_orm::DatabaseBackend::Postgres => {
                        "SELECT r.id FROM residents r JOIN households h ON h.id = r.household_id \
                         WHERE h.team_id = $1 AND h.external_id = $2 AND r.external_id = '1'"
                    }
                    _ => {
                        "SELECT r.id FROM residents r JOIN households h ON h.id = r.household_id \
                         WHERE h.team_id = ? AND h.external_id = ? AND r.external_id = '1'"
                    }
                },
                [TEAM.into(), row[KEY].clone().into()],
            ))
            .await
            .unwrap()
            .expect("the resident is stored");
        found.try_get("", "id").unwrap()
    });
    rt.block_on(doorstep_store::repo::residents::erase_resident(
        store.connection(),
        resident_id,
        "user:1",
        chrono::Utc::now(),
    ))
    .unwrap()
    .expect("the resident is erased");
    let before = rt.block_on(snapshot(&store));

    let again = report(&import(&db, &file, &["--json"]));
    assert_eq!(again["changes"]["residents_erased_skipped"], 1, "{again}");
    assert_eq!(again["changes"]["residents_created"], 0, "{again}");
    assert_eq!(
        before,
        rt.block_on(snapshot(&store)),
        "leaving the erased resident out writes nothing, not even an audit entry"
    );
}

#[test]
fn progress_is_told_while_reading_and_after_every_part() {
    let rt = runtime();
    let (_db, store) = rt.block_on(demo());
    let rows = register(10_000, "BX");
    let bytes = csv(&rows);
    let mut told: Vec<ImportProgress> = Vec::new();
    let report = rt
        .block_on(doorstep_service::import::import_register_from(
            &store,
            TEAM,
            bytes.as_slice(),
            ImportOptions::default(),
            "user:1",
            chrono::Utc::now(),
            |p| told.push(p),
        ))
        .expect("the register imports");
    assert_eq!(report.rows, 10_000);
    let reading: Vec<&ImportProgress> = told.iter().filter(|p| p.rows_to_write.is_none()).collect();
    let writing: Vec<&ImportProgress> = told.iter().filter(|p| p.rows_to_write.is_some()).collect();
    assert!(!reading.is_empty());
    assert_eq!(reading.last().unwrap().rows_read, 10_000);
    assert_eq!(reading.last().unwrap().bytes_read, bytes.len() as u64);
    assert!(reading.windows(2).all(|w| w[0].rows_read <= w[1].rows_read));
    // Told once before the first write, after each part, and before the
    // commit.
    let parts = households_listed(&rows).div_ceil(REGISTER_PART);
    assert_eq!(writing.len(), 1 + parts + 1);
    assert_eq!(writing[0].rows_written, 0);
    assert!(
        writing[..=parts]
            .windows(2)
            .all(|w| w[0].rows_written < w[1].rows_written)
    );
    assert!(writing[..=parts].iter().all(|p| !p.committing));
    let last = writing.last().unwrap();
    assert!(last.committing);
    assert_eq!(last.rows_to_write, Some(10_000));
    assert_eq!(last.rows_written, 10_000);
}
