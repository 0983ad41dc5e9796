//! The synthetic province, small: six teams with their history, loaded by
//! the bulk path, then the officials' audit of the whole province checked
//! against plain counts of the tables — by the service as an administrator,
//! and over HTTP as the province's official.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{Method, StatusCode};
use doorstep_core::{NeedStatus, UnmetReason};
use doorstep_demo::province::{self, ProvinceOptions};
use doorstep_service::access::Actor;
use doorstep_service::oversight::{self, UnmetPage};

use super::{TestApp, count, rows};

const TEAMS: usize = 6;

pub(super) async fn province_app() -> (TestApp, province::ProvinceSummary) {
    let app = TestApp::empty().await;
    let mut heard = Vec::new();
    let summary = province::load(
        &app.store,
        ProvinceOptions {
            teams: TEAMS,
            seed: 7,
            history: true,
        },
        super::now(),
        |p| heard.push(p),
    )
    .await
    .expect("the province loads");
    let last = heard.last().expect("progress is reported");
    assert_eq!((last.teams_done, last.teams), (TEAMS, TEAMS));
    assert_eq!(last.households_done, last.households);
    (app, summary)
}

#[tokio::test]
async fn a_small_province_adds_up_in_the_officials_audit() {
    let (app, summary) = province_app().await;
    let now = super::now();
    let c = summary.counts;
    let households = count(&app, "SELECT COUNT(*) FROM households").await;
    assert_eq!(households as u64, c.households);
    assert_eq!(
        households as usize,
        ProvinceOptions {
            teams: TEAMS,
            ..Default::default()
        }
        .households()
    );
    for (table, written) in [
        ("teams", c.teams),
        ("members", c.members),
        ("residents", c.residents),
        ("needs", c.needs),
        ("plans", c.plans),
        ("visits", c.visits),
        ("outcome_requests", c.recordings),
        ("outcomes", c.outcomes),
        ("unmet", c.unmet),
    ] {
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM {table}")).await as u64,
            written,
            "{table}"
        );
    }
    // Visits for about a third of the households, past ones recorded.
    let visited = count(&app, "SELECT COUNT(DISTINCT household_id) FROM visits").await;
    assert!(
        (households / 5..households / 2).contains(&visited),
        "{visited} of {households}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM visits WHERE status IN ('done', 'missed')"
        )
        .await as u64,
        c.recordings
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM residents r WHERE r.attempts > 0 AND NOT EXISTS (\
               SELECT 1 FROM outcomes o WHERE o.resident_id = r.id AND o.result = 'not_home')"
        )
        .await,
        0,
        "every attempt was recorded at a visit"
    );

    // Coverage of the whole province, as an administrator.
    let admin = Actor::system("test");
    let coverage = oversight::area_coverage(&app.store, &admin, summary.province_id, 6, now)
        .await
        .expect("the coverage");
    let total = &coverage.total;
    assert_eq!(total.households, households);
    assert_eq!(
        total.residents,
        count(&app, "SELECT COUNT(*) FROM residents").await
    );
    let reached = count(
        &app,
        "SELECT COUNT(DISTINCT household_id) FROM visits WHERE status = 'done'",
    )
    .await;
    assert!(reached > 0);
    assert_eq!(total.reached, reached);
    let met = count(
        &app,
        "SELECT COUNT(DISTINCT v.household_id) FROM visits v \
         JOIN outcomes o ON o.visit_id = v.id WHERE o.result = 'done'",
    )
    .await;
    assert!(met > 0);
    assert_eq!(total.met, met);
    let mut stored: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in rows(
        &app,
        "SELECT step, status, COUNT(*) FROM needs GROUP BY step, status",
    )
    .await
    {
        stored.insert((row[0].clone(), row[1].clone()), row[2].parse().unwrap());
    }
    let mut reported: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (step, figures) in &total.needs {
        for (status, n) in [
            (NeedStatus::Open, figures.open),
            (NeedStatus::Done, figures.done),
            (NeedStatus::NotApplicable, figures.not_applicable),
        ] {
            if n > 0 {
                reported.insert((step.code().to_owned(), status.code().to_owned()), n);
            }
        }
    }
    assert_eq!(reported, stored);
    assert_eq!(reported.len(), 18, "every step in every status");
    // One commune a team, each with its own households.
    assert_eq!(coverage.children.len(), summary.communes);
    assert_eq!(
        coverage
            .children
            .iter()
            .map(|(_, f)| f.households)
            .sum::<i64>(),
        households
    );
    // The plans began four weeks ago: every visit done falls in six weeks.
    let done: i64 = coverage.weeks.iter().map(|w| w.visits_done).sum();
    assert_eq!(
        done,
        count(&app, "SELECT COUNT(*) FROM visits WHERE status = 'done'").await
    );
    let newly: i64 = coverage.weeks.iter().map(|w| w.newly_reached).sum();
    assert_eq!(newly, reached);
    assert_eq!(coverage.weeks.last().unwrap().reached_total, reached);

    // The unmet households, page by page.
    let mut listed = Vec::new();
    let mut after = None;
    loop {
        let page = oversight::area_unmet(
            &app.store,
            &admin,
            summary.province_id,
            UnmetPage {
                after_id: after,
                limit: Some(500),
            },
            now,
        )
        .await
        .expect("a page of the unmet");
        let full = page.len() == 500;
        after = page.last().map(|e| e.household.household_id);
        listed.extend(page);
        if !full {
            break;
        }
    }
    let ids: BTreeSet<i64> = listed
        .iter()
        .map(|e| i64::from(e.household.household_id))
        .collect();
    assert_eq!(ids.len(), listed.len(), "no household twice");
    let expected: BTreeSet<i64> = rows(
        &app,
        "SELECT DISTINCT r.household_id FROM residents r JOIN needs n ON n.resident_id = r.id \
         WHERE n.status = 'open' AND r.household_id NOT IN (\
           SELECT v.household_id FROM visits v JOIN outcomes o ON o.visit_id = v.id \
           WHERE o.result = 'done')",
    )
    .await
    .into_iter()
    .map(|r| r[0].parse().unwrap())
    .collect();
    assert_eq!(ids, expected);
    let mut reasons: BTreeMap<UnmetReason, i64> = BTreeMap::new();
    for e in &listed {
        *reasons.entry(e.reason).or_default() += 1;
    }
    // Refusals come first, then appointments, then attempts: each as the
    // tables have them.
    let refused = count(
        &app,
        "SELECT COUNT(DISTINCT r.household_id) FROM residents r JOIN needs n ON n.resident_id = r.id \
         WHERE n.status = 'open' AND n.last_result = 'refused' AND r.household_id NOT IN (\
           SELECT v.household_id FROM visits v JOIN outcomes o ON o.visit_id = v.id \
           WHERE o.result = 'done')",
    )
    .await;
    assert_eq!(
        reasons.get(&UnmetReason::Refused).copied().unwrap_or(0),
        refused
    );
    for e in &listed {
        let h = &e.household;
        match e.reason {
            UnmetReason::NotHome => assert!(h.attempts > 0),
            UnmetReason::Scheduled => assert!(h.next_visit_at.is_some_and(|at| at > now)),
            UnmetReason::NoWindow
            | UnmetReason::NoCapacity
            | UnmetReason::NoSkill
            | UnmetReason::NoConsent => {
                assert_eq!(h.plan_reason, Some(e.reason));
                assert!(
                    count(
                        &app,
                        &format!(
                            "SELECT COUNT(*) FROM unmet WHERE household_id = {} AND reason = '{}'",
                            h.household_id,
                            e.reason.code()
                        )
                    )
                    .await
                        > 0
                );
            }
            _ => {}
        }
    }
    for reason in [
        UnmetReason::NotHome,
        UnmetReason::Scheduled,
        UnmetReason::NoWindow,
        UnmetReason::NoCapacity,
        UnmetReason::NotPlanned,
    ] {
        assert!(reasons.contains_key(&reason), "{reason:?} in {reasons:?}");
    }

    // The CSV, streamed: one record per unmet household.
    let mut receiver = oversight::area_unmet_csv(&app.store, &admin, summary.province_id, now)
        .await
        .expect("the CSV starts");
    let mut bytes = Vec::new();
    while let Some(chunk) = receiver.recv().await {
        bytes.extend(chunk.expect("a chunk"));
    }
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(reader.records().count(), listed.len());

    // The province's official reads the same over HTTP.
    let official = app.login(province::OFFICIAL.0).await;
    let (status, report) = app
        .call(
            Method::GET,
            &format!("/api/v1/areas/{}/coverage", summary.province_id),
            Some(&official),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["total"]["households"], households);
    assert_eq!(report["total"]["reached"], reached);

    // The province is loaded once.
    let again = province::load(
        &app.store,
        ProvinceOptions {
            teams: TEAMS,
            seed: 7,
            history: true,
        },
        now,
        |_| {},
    )
    .await;
    assert!(
        matches!(
            again,
            Err(doorstep_service::error::ServiceError::Conflict(..))
        ),
        "{again:?}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM households").await,
        households
    );
}
