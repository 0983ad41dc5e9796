//! The demo loads once: loading it again creates only what is missing,
//! keeps what a leader edited, plans only the teams with no calendar ahead,
//! and writes nothing at all when nothing is missing; on SQLite or
//! PostgreSQL.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use doorstep_demo::{DemoPlan, DemoSummary};
use doorstep_service::Store;
use doorstep_service::access::Actor;
use doorstep_store::entity::{
    area, audit, erasure, household, member, need, plan, resident, team, unmet, user, visit,
};
use doorstep_tests::{TestDb, kept_rows};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

/// A Monday, 08:30 in Thanh Hóa.
fn now() -> DateTime<Utc> {
    "2026-03-02T01:30:00Z".parse().expect("an instant")
}

/// The planner's search: a fixed number of iterations, so that the
/// calendars do not depend on the machine's load.
const ITERATIONS: u64 = 1_000;

/// Hải Thanh, the team of the demo's leader.
const HAI_THANH: i32 = 1;
/// Định Bình.
const DINH_BINH: i32 = 2;

/// A fresh, migrated database.
async fn empty() -> (TestDb, Store) {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    (db, store)
}

/// What `doorstep demo` does: the data, then the calendars.
async fn load(store: &Store, now: DateTime<Utc>) -> (DemoSummary, Vec<DemoPlan>) {
    let summary = doorstep_demo::load(store, now)
        .await
        .expect("the demo loads");
    let planned = doorstep_demo::plan_calendars(
        store,
        &doorstep_service::stations::built_in(),
        std::time::Duration::from_millis(300),
        Some(ITERATIONS),
        1,
        now,
    )
    .await
    .expect("the demo's calendars are planned");
    (summary, planned)
}

/// The demo's leader of Hải Thanh, signed in.
async fn leader(store: &Store, now: DateTime<Utc>) -> Actor {
    doorstep_service::auth::login(
        store,
        "totruong.haithanh",
        doorstep_demo::DEMO_PASSWORD,
        "127.0.0.1",
        now,
    )
    .await
    .expect("the leader signs in")
    .user
    .actor()
}

/// Every row of the tables a demo load may write, by id, and the kept
/// counts.
async fn dump(store: &Store) -> Value {
    let c = store.connection();
    macro_rules! rows {
        ($($m:ident),*) => {
            json!({ $(stringify!($m): $m::Entity::find().order_by_asc($m::Column::Id).into_json().all(c).await.unwrap()),* })
        };
    }
    let mut tables = rows!(
        area, team, member, household, resident, need, user, plan, visit, unmet, erasure, audit
    );
    tables["kept"] = json!(kept_rows(c).await);
    tables
}

/// The rows of a table that differ between two dumps (or are in one only),
/// by id.
fn changed(before: &Value, after: &Value, table: &str) -> BTreeSet<i64> {
    let rows = |dump: &Value| -> Vec<(i64, Value)> {
        dump[table]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| (row["id"].as_i64().unwrap(), row.clone()))
            .collect()
    };
    let (before, after) = (rows(before), rows(after));
    before
        .iter()
        .filter(|row| !after.contains(row))
        .chain(after.iter().filter(|row| !before.contains(row)))
        .map(|(id, _)| *id)
        .collect()
}

/// Deletes residents and their needs, as if they had never been loaded.
async fn remove_residents(store: &Store, ids: &[i32]) {
    let c = store.connection();
    need::Entity::delete_many()
        .filter(need::Column::ResidentId.is_in(ids.iter().copied()))
        .exec(c)
        .await
        .unwrap();
    resident::Entity::delete_many()
        .filter(resident::Column::Id.is_in(ids.iter().copied()))
        .exec(c)
        .await
        .unwrap();
}

/// Published plans by team.
async fn published(store: &Store) -> Vec<(i32, usize)> {
    let plans = plan::Entity::find()
        .filter(plan::Column::Status.eq("published"))
        .all(store.connection())
        .await
        .unwrap();
    (1..=4)
        .map(|t| (t, plans.iter().filter(|p| p.team_id == t).count()))
        .collect()
}

/// The ids of a team's residents.
async fn residents_of(store: &Store, team_id: i32) -> Vec<i32> {
    let households: Vec<i32> = household::Entity::find()
        .filter(household::Column::TeamId.eq(team_id))
        .all(store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    resident::Entity::find()
        .filter(resident::Column::HouseholdId.is_in(households))
        .all(store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// The first resident at sea of Hải Thanh: a fishing crewman whose rule
/// follows the lunar days.
async fn crewman(store: &Store) -> resident::Model {
    resident::Entity::find()
        .filter(resident::Column::Id.is_in(residents_of(store, HAI_THANH).await))
        .filter(resident::Column::Presence.eq("at_sea"))
        .order_by_asc(resident::Column::Id)
        .one(store.connection())
        .await
        .unwrap()
        .expect("Hải Thanh has fishing crews")
}

#[tokio::test]
async fn loading_again_keeps_the_edits_and_writes_nothing() {
    let (_db, store) = empty().await;
    let (first, planned) = load(&store, now()).await;
    assert!(first.created > 0, "{first:?}");
    assert_eq!(first.households_created, 1050, "{first:?}");
    assert_eq!(planned.len(), 4, "every demo team gets its calendar");
    let loaded = dump(&store).await;

    // The leader moves a crewman's lunar days, a volunteer's free time and
    // a household's address, and reopens a step the register has as done.
    let catalog = doorstep_service::stations::built_in();
    let leader = leader(&store, now()).await;
    let crewman = crewman(&store).await;
    assert!(
        crewman
            .availability
            .as_deref()
            .is_some_and(|r| r.contains("lunar_days")),
        "{crewman:?}"
    );
    let lunar_days = json!({"mode": "in_person",
        "when": [{"lunar_days": [14, 16], "hours": ["08:00", "18:00"]}],
        "except": [{"tide": {"station": "lach-bang", "near": "high", "within_minutes": 60}}]});
    let edited_resident = doorstep_service::records::edit_resident(
        &store,
        &catalog,
        &leader,
        crewman.id,
        &json!({"availability": lunar_days}),
        now(),
    )
    .await
    .expect("the leader edits the resident")
    .resident;
    let volunteer = leader.member_id.expect("the leader is a member") + 1;
    let free_time = json!({"mode": "in_person",
        "when": [{"weekdays": ["sat"], "hours": ["08:00", "12:00"]}]});
    let edited_member = doorstep_service::records::edit_member(
        &store,
        &catalog,
        &leader,
        volunteer,
        &json!({"availability": free_time}),
        now(),
    )
    .await
    .expect("the leader edits the volunteer");
    let edited_household = doorstep_service::records::edit_household(
        &store,
        &leader,
        crewman.household_id,
        &json!({"address": "Số 5, ngõ 2, Tổ dân phố Tân Thành (nhà mới)"}),
        now(),
    )
    .await
    .expect("the leader edits the household");
    let done = need::Entity::find()
        .filter(need::Column::ResidentId.is_in(residents_of(&store, HAI_THANH).await))
        .filter(need::Column::Status.eq("done"))
        .order_by_asc(need::Column::Id)
        .one(store.connection())
        .await
        .unwrap()
        .expect("Hải Thanh has steps done");
    let reopened = doorstep_service::records::set_need(
        &store,
        &leader,
        done.resident_id,
        done.step.0.code(),
        &json!({"status": "open"}),
        now(),
    )
    .await
    .expect("the leader reopens the step");
    let edited = dump(&store).await;
    for (table, id) in [
        ("resident", crewman.id),
        ("member", volunteer),
        ("household", crewman.household_id),
        ("need", reopened.id),
    ] {
        assert_eq!(
            changed(&loaded, &edited, table),
            BTreeSet::from([i64::from(id)]),
            "the leader changed one {table}"
        );
    }

    // Loaded again at once, and again three days later, while the
    // calendars run: nothing is created, nothing is written.
    let plans = published(&store).await;
    for later in [now(), now() + Duration::days(3)] {
        let (again, planned) = load(&store, later).await;
        assert_eq!(again, DemoSummary::default(), "at {later}");
        assert!(planned.is_empty(), "no team is planned again: {planned:?}");
        assert_eq!(published(&store).await, plans);
        assert_eq!(
            dump(&store).await,
            edited,
            "a load at {later} wrote nothing, not even an audit entry"
        );
    }

    // The edits are what the leader left.
    let c = store.connection();
    let resident = resident::Entity::find_by_id(crewman.id)
        .one(c)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        doorstep_core::records::Resident::from(resident.clone()),
        edited_resident
    );
    assert_ne!(resident.availability, crewman.availability);
    let member = member::Entity::find_by_id(volunteer)
        .one(c)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        doorstep_core::records::Member::try_from(member).unwrap(),
        edited_member
    );
    let household = household::Entity::find_by_id(crewman.household_id)
        .one(c)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        doorstep_core::records::Household::from(household.clone()),
        edited_household
    );
    assert_eq!(
        household.address,
        "Số 5, ngõ 2, Tổ dân phố Tân Thành (nhà mới)"
    );
    let need = need::Entity::find_by_id(reopened.id)
        .one(c)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(need.status.0, doorstep_core::NeedStatus::Open);
    assert_eq!(doorstep_core::records::Need::from(need), reopened);
}

#[tokio::test]
async fn loading_again_creates_only_what_is_missing() {
    let (_db, store) = empty().await;
    load(&store, now()).await;
    let c = store.connection();

    // A resident of Hải Thanh is erased at their request: they stay out.
    let leader = leader(&store, now()).await;
    let erased = crewman(&store).await;
    doorstep_service::residents::erase_resident(&store, &leader, erased.id, now())
        .await
        .expect("the leader erases the resident");

    // Định Bình's calendar is gone, and one of its households with it.
    let gone: Vec<i32> = plan::Entity::find()
        .filter(plan::Column::TeamId.eq(DINH_BINH))
        .all(c)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert!(!gone.is_empty());
    visit::Entity::delete_many()
        .filter(visit::Column::PlanId.is_in(gone.clone()))
        .exec(c)
        .await
        .unwrap();
    unmet::Entity::delete_many()
        .filter(unmet::Column::PlanId.is_in(gone.clone()))
        .exec(c)
        .await
        .unwrap();
    plan::Entity::delete_many()
        .filter(plan::Column::Id.is_in(gone))
        .exec(c)
        .await
        .unwrap();
    let lost = household::Entity::find()
        .filter(household::Column::TeamId.eq(DINH_BINH))
        .order_by_asc(household::Column::Id)
        .one(c)
        .await
        .unwrap()
        .expect("Định Bình has households");
    let lost_residents: Vec<i32> = resident::Entity::find()
        .filter(resident::Column::HouseholdId.eq(lost.id))
        .all(c)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    remove_residents(&store, &lost_residents).await;
    household::Entity::delete_many()
        .filter(household::Column::Id.eq(lost.id))
        .exec(c)
        .await
        .unwrap();
    // The last resident of a household of several, whose household stays.
    let mut of_kept: Vec<resident::Model> = Vec::new();
    for h in household::Entity::find()
        .filter(household::Column::TeamId.eq(DINH_BINH))
        .order_by_asc(household::Column::Id)
        .all(c)
        .await
        .unwrap()
    {
        of_kept = resident::Entity::find()
            .filter(resident::Column::HouseholdId.eq(h.id))
            .order_by_asc(resident::Column::Id)
            .all(c)
            .await
            .unwrap();
        if of_kept.len() > 1 {
            break;
        }
    }
    let lost_member = of_kept.pop().expect("a household of several");
    remove_residents(&store, &[lost_member.id]).await;
    // And the official's account.
    user::Entity::delete_many()
        .filter(user::Column::Username.eq("canbo.thanhhoa"))
        .exec(c)
        .await
        .unwrap();
    let before = dump(&store).await;
    let plans = published(&store).await;

    let later = now() + Duration::days(1);
    let (again, planned) = load(&store, later).await;
    assert_eq!(
        again,
        DemoSummary {
            created: 1,
            households_created: 1,
            residents_created: lost_residents.len() + 1,
        }
    );
    assert_eq!(
        planned.iter().map(|p| p.team_id).collect::<Vec<_>>(),
        [DINH_BINH],
        "only the team without a calendar is planned"
    );
    assert!(planned[0].visits > 0, "{planned:?}");
    let after = dump(&store).await;
    assert_eq!(
        published(&store).await,
        plans
            .iter()
            .map(|&(t, n)| (t, if t == DINH_BINH { 1 } else { n }))
            .collect::<Vec<_>>()
    );

    // What was there is untouched: the other teams' calendars, every
    // household, resident and need, the erased resident's tombstone.
    for table in [
        "area",
        "team",
        "member",
        "household",
        "resident",
        "need",
        "user",
        "plan",
        "visit",
        "unmet",
        "erasure",
    ] {
        let rows = |dump: &Value| -> Vec<Value> { dump[table].as_array().unwrap().clone() };
        let (old, new) = (rows(&before), rows(&after));
        assert!(
            old.iter().all(|row| new.contains(row)),
            "no {table} row was changed or deleted"
        );
    }
    let back = household::Entity::find()
        .filter(household::Column::TeamId.eq(DINH_BINH))
        .filter(household::Column::ExternalId.eq(lost.external_id.as_str()))
        .one(c)
        .await
        .unwrap()
        .expect("the missing household is back");
    assert_eq!(
        (back.address, back.latitude, back.longitude),
        (lost.address, lost.latitude, lost.longitude)
    );
    let resident_ids = |dump: &Value| -> BTreeSet<i64> {
        dump["resident"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        resident_ids(&after).len(),
        resident_ids(&before).len() + lost_residents.len() + 1,
        "the erased resident stays out"
    );
    let back = resident::Entity::find()
        .filter(resident::Column::HouseholdId.eq(lost_member.household_id))
        .filter(resident::Column::ExternalId.eq(lost_member.external_id.as_str()))
        .one(c)
        .await
        .unwrap()
        .expect("the missing resident is back in their household");
    assert_eq!(
        (back.full_name, back.availability),
        (lost_member.full_name, lost_member.availability)
    );
    assert!(
        after["user"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "canbo.thanhhoa")
    );
    let imported: Vec<Value> = after["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !before["audit"].as_array().unwrap().contains(e))
        .filter(|e| e["action"] == "import_register")
        .map(|e| e["entity_id"].clone())
        .collect();
    assert_eq!(
        imported,
        [json!(DINH_BINH)],
        "only Định Bình's register had something missing"
    );
}
