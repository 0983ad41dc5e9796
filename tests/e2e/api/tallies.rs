//! The audit's kept counts ("tallies") against the base tables: after each
//! change that moves a count — outcomes recorded, a need set, a household
//! and a resident added, a household moved to another village, a resident
//! erased, a register imported — the kept rows equal those counted again
//! from scratch, and every area's coverage and weeks read from them equal
//! the same figures counted from the base tables. The unmet page driven by
//! the households gives the same rows as the whole list's statement.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Days, Utc};
use doorstep_store::repo::coverage::{self, HouseholdScope, UnmetPage};
use doorstep_store::repo::tallies;
use doorstep_tests::kept_rows;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};

use super::oversight::a_day_of_outcomes;
use super::{LEADER, TestApp, count, rows};

/// The kept counts equal a recount from scratch, and the coverage read from
/// them equals the coverage counted from the base tables, in every area,
/// for all teams and for team 1.
pub(super) async fn assert_counts_are_true(app: &TestApp, after: &str) {
    let db = app.store.connection();
    let kept = kept_rows(db).await;
    assert!(!kept.is_empty(), "{after}: counts are kept");
    let txn = db.begin().await.unwrap();
    tallies::rebuild_all(&txn).await.unwrap();
    let recounted = kept_rows(&txn).await;
    txn.rollback().await.unwrap();
    let stale: Vec<&String> = kept.iter().filter(|r| !recounted.contains(r)).collect();
    let missing: Vec<&String> = recounted.iter().filter(|r| !kept.contains(r)).collect();
    assert!(
        stale.is_empty() && missing.is_empty(),
        "{after}: kept but not recounted {stale:?}, recounted but not kept {missing:?}"
    );
    assert_eq!(kept, recounted, "{after}: the kept rows against a recount");

    let since = (super::now() - Days::new(60))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let areas: Vec<i32> = rows(app, "SELECT id FROM areas ORDER BY id")
        .await
        .into_iter()
        .map(|r| r[0].parse().unwrap())
        .collect();
    assert!(areas.len() > 5, "{areas:?}");
    for area_id in areas {
        for team_id in [None, Some(1)] {
            let scope = HouseholdScope { area_id, team_id };
            let mut read = coverage::coverage_counts(db, scope)
                .await
                .unwrap()
                .into_iter()
                .map(count_key)
                .collect::<Vec<_>>();
            let mut counted = coverage::coverage_counts_recounted(db, scope)
                .await
                .unwrap()
                .into_iter()
                .map(count_key)
                .collect::<Vec<_>>();
            read.sort();
            counted.sort();
            assert_eq!(read, counted, "{after}: the coverage of {scope:?}");
            let mut read = coverage::reach_buckets(db, scope, since)
                .await
                .unwrap()
                .into_iter()
                .map(bucket_key)
                .collect::<Vec<_>>();
            let mut counted = coverage::reach_buckets_recounted(db, scope, since)
                .await
                .unwrap()
                .into_iter()
                .map(bucket_key)
                .collect::<Vec<_>>();
            read.sort();
            counted.sort();
            assert_eq!(read, counted, "{after}: the weeks of {scope:?}");
        }
    }
}

type CountKey = (
    String,
    Option<i32>,
    Option<&'static str>,
    Option<&'static str>,
    i64,
);

fn count_key(c: coverage::CoverageCount) -> CountKey {
    (
        c.measure,
        c.child,
        c.step.map(|s| s.code()),
        c.status.map(|s| s.code()),
        c.count,
    )
}

fn bucket_key(b: coverage::ReachBucket) -> (String, String, DateTime<Utc>, i64) {
    (b.measure, b.timezone, b.start, b.count)
}

/// Sends the register as CSV to team 1's import.
async fn import(app: &TestApp, token: &str, csv: Vec<u8>) -> (StatusCode, Value) {
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/teams/1/imports")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/csv")
        .body(axum::body::Body::from(csv))
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_kept_counts_follow_every_change_and_equal_a_recount() {
    let app = TestApp::with_history().await;
    assert_counts_are_true(&app, "the demo and its calendars").await;
    let (met, _) = a_day_of_outcomes(&app).await;
    assert_counts_are_true(&app, "a day of outcomes").await;

    // A need set by the leader.
    let leader = app.login(LEADER).await;
    let resident = count(
        &app,
        "SELECT MIN(r.id) FROM residents r JOIN needs n ON n.resident_id = r.id \
         JOIN households h ON h.id = r.household_id WHERE h.team_id = 1 AND n.status = 'open'",
    )
    .await;
    let step = rows(
        &app,
        &format!("SELECT MIN(step) FROM needs WHERE resident_id = {resident} AND status = 'open'"),
    )
    .await[0][0]
        .clone();
    let (status, need) = app
        .call(
            Method::PUT,
            &format!("/api/v1/residents/{resident}/needs/{step}"),
            Some(&leader),
            Some(json!({"status": "not_applicable"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{need}");
    assert_counts_are_true(&app, "a need set").await;

    // A household and a resident with needs, then the household moved to
    // another of the team's villages.
    let villages: Vec<i64> = rows(
        &app,
        "SELECT a.id FROM areas a JOIN teams t ON a.parent_id = t.area_id WHERE t.id = 1 \
         ORDER BY a.id",
    )
    .await
    .into_iter()
    .map(|r| r[0].parse().unwrap())
    .collect();
    assert!(villages.len() >= 2, "{villages:?}");
    let (status, household) = app
        .call(
            Method::POST,
            "/api/v1/teams/1/households",
            Some(&leader),
            Some(
                json!({"external_id": "HT-TALLY-1", "address": "Số 1, ngõ Đếm",
                "village_id": villages[0]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{household}");
    let household_id = household["id"].as_i64().unwrap();
    let (status, added) = app
        .call(
            Method::POST,
            &format!("/api/v1/households/{household_id}/residents"),
            Some(&leader),
            Some(json!({"full_name": "Lê Thị Đếm", "birth_year": 1961,
                "needs": ["vneid_install", "scam_awareness"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let added_id = added["id"].as_i64().unwrap();
    assert_counts_are_true(&app, "a household and a resident added").await;
    let (status, moved) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/households/{household_id}"),
            Some(&leader),
            Some(json!({"village_id": villages[1]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (status, opened) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/residents/{added_id}"),
            Some(&leader),
            Some(json!({"needs": ["e_payment"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!(opened["needs"].as_array().unwrap().len(), 3, "{opened}");
    assert_counts_are_true(&app, "a household moved, a need opened").await;

    // A resident of the household met, erased.
    let erased = count(
        &app,
        &format!("SELECT MIN(id) FROM residents WHERE household_id = {met}"),
    )
    .await;
    let (status, answer) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/residents/{erased}"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_counts_are_true(&app, "a resident erased").await;

    // The register exported, a household added to it, imported.
    let (status, _, csv) = app
        .raw(
            Method::GET,
            "/api/v1/teams/1/register.csv",
            Some(&leader),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut text = String::from_utf8(csv[3..].to_vec()).unwrap();
    text.push_str("HT-TALLY-9,1,Phạm Văn Đếm,1990,,Số 9,,,,Ở nhà,,,vneid_install\n");
    let (status, report) = import(&app, &leader, text.into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["changes"]["households_created"], 1, "{report}");
    assert_counts_are_true(&app, "a register imported").await;
}

#[tokio::test]
async fn two_changes_of_one_team_write_their_counts_one_after_the_other() {
    let app = TestApp::demo().await;
    let db = app.store.connection();
    let first = db.begin().await.unwrap();
    tallies::refresh_teams(&first, &[1, 2]).await.unwrap();
    let store = app.store.clone();
    let (began, begun) = tokio::sync::oneshot::channel();
    let second = tokio::spawn(async move {
        let db = store.connection();
        let txn = db.begin().await?;
        let _ = began.send(());
        tallies::refresh_teams(&txn, &[2, 1]).await?;
        txn.commit().await?;
        Ok::<_, doorstep_store::StoreError>(())
    });
    // The second, begun while the first holds its rows, waits for the
    // first's commit instead of failing on them (and succeeds just as well
    // should it reach them after the commit).
    begun.await.expect("the second began");
    tokio::task::yield_now().await;
    assert!(
        !second.is_finished(),
        "the second cannot write before the first commits"
    );
    first.commit().await.unwrap();
    second.await.unwrap().expect("the second refresh writes");
    let txn = db.begin().await.unwrap();
    let kept = kept_rows(&txn).await;
    tallies::rebuild_all(&txn).await.unwrap();
    assert_eq!(kept, kept_rows(&txn).await);
    txn.rollback().await.unwrap();
}

#[tokio::test]
async fn the_unmet_page_gives_the_rows_of_the_whole_list() {
    let app = TestApp::with_history().await;
    a_day_of_outcomes(&app).await;
    let db = app.store.connection();
    let province = count(&app, "SELECT id FROM areas WHERE parent_id IS NULL").await;
    let province = i32::try_from(province).unwrap();
    let commune = count(&app, "SELECT area_id FROM teams WHERE id = 1").await;
    let now = super::now();
    for scope in [
        HouseholdScope {
            area_id: province,
            team_id: None,
        },
        HouseholdScope {
            area_id: province,
            team_id: Some(1),
        },
        HouseholdScope {
            area_id: i32::try_from(commune).unwrap(),
            team_id: None,
        },
    ] {
        let mut after = None;
        let mut pages = 0;
        loop {
            let page = UnmetPage {
                after_id: after,
                limit: Some(7),
            };
            let read = coverage::unmet_households(db, scope, now, page)
                .await
                .unwrap();
            let listed = coverage::unmet_households_by_list(db, scope, now, page)
                .await
                .unwrap();
            assert_eq!(read, listed, "{scope:?} after {after:?}");
            pages += 1;
            match read.last() {
                Some(last) if read.len() == 7 => after = Some(last.household_id),
                _ => break,
            }
        }
        assert!(pages > 1, "{scope:?}: several pages");
    }
}
