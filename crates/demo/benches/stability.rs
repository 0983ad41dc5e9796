//! How little a re-plan moves: prints, for the demo teams and for the public
//! planning instances, the share of the visits still to come a re-plan keeps
//! (same household, member and day, start within 30 minutes) with nothing
//! changed and after a three-day blackout (of the visits outside it), and its
//! objective against a fresh plan of the same days.
//!
//! ```sh
//! cargo bench -p doorstep-service --bench stability -- [--iterations N] [INSTANCE.json …]
//! ```
//!
//! Without instance files it reads `../shared/bench/instances/*.json` when
//! that folder exists. Searches are bounded by iterations (one thread, seed
//! 1): the figures are the same on any machine.

use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use doorstep_scheduler::format::{Instance, Interval};
use doorstep_scheduler::{Params, Problem};
use doorstep_service::access::Actor;
use doorstep_service::planning::records::VisitRecord;
use doorstep_service::planning::{self, PlanRequest};
use doorstep_service::{blackouts, stations};

/// One re-plan's figures.
struct Figures {
    kept: f64,
    objective: i64,
    fresh: i64,
}

fn row(name: &str, case: &str, f: &Figures) {
    println!(
        "| {name} | {case} | {:.1} % | {} | {} | {:.1} % |",
        f.kept * 100.0,
        f.objective,
        f.fresh,
        f.objective as f64 * 100.0 / f.fresh.max(1) as f64
    );
}

/// Same household, member and day (in Việt Nam), start within 30 minutes;
/// starts in minutes since the epoch.
fn kept_share(before: &[(String, String, i64)], after: &[(String, String, i64)]) -> f64 {
    let kept = before
        .iter()
        .filter(|(job, member, start)| {
            after.iter().any(|(j, m, s)| {
                j == job
                    && m == member
                    && (s - start).abs() <= 30
                    && (s + 420).div_euclid(1440) == (start + 420).div_euclid(1440)
            })
        })
        .count();
    kept as f64 / before.len().max(1) as f64
}

fn main() {
    let mut iterations = 100_000u64;
    let mut days = doorstep_demo::DEMO_PLAN_DAYS;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--iterations" => {
                iterations = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("--iterations N")
            }
            "--days" => days = args.next().and_then(|n| n.parse().ok()).expect("--days N"),
            "--bench" => {}
            other if other.ends_with(".json") => files.push(other.to_owned()),
            _ => {}
        }
    }
    if files.is_empty() {
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/bench/instances");
        if let Ok(dir) = std::fs::read_dir(&shared) {
            let mut found: Vec<String> = dir
                .filter_map(|e| e.ok())
                .map(|e| e.path().display().to_string())
                .filter(|p| p.ends_with(".json"))
                .collect();
            found.sort();
            files = found;
        }
    }
    println!(
        "Re-plan stability, {iterations} iterations, one thread, seed 1; demo teams over {days} days"
    );
    println!();
    println!("| team or instance | re-plan | kept | objective | fresh plan | objective / fresh |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(demo_teams(iterations, days));
    for file in &files {
        instance(file, iterations);
    }
}

fn at(first: NaiveDate, day: u64, h: u32, m: u32) -> DateTime<Utc> {
    Ho_Chi_Minh
        .from_local_datetime(&(first + Days::new(day)).and_hms_opt(h, m, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn key(v: &VisitRecord) -> (String, String, i64) {
    (
        v.job.clone(),
        v.member_id.to_string(),
        v.start.timestamp() / 60,
    )
}

async fn demo_teams(iterations: u64, days: u32) {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}/bench.sqlite", dir.path().display());
    let store = doorstep_service::Store::connect(&url)
        .await
        .expect("the database opens");
    store.migrate_up().await.expect("migrations apply");
    let first = NaiveDate::from_ymd_opt(2026, 12, 14).unwrap();
    doorstep_demo::load(&store, at(first, 0, 0, 0) - chrono::Duration::days(2))
        .await
        .expect("the demo loads");
    let catalog = stations::built_in();
    let actor = Actor::system("bench");
    let request = PlanRequest {
        start: first,
        days,
        time_limit: Duration::from_secs(60),
        seed: 1,
        threads: 1,
        iterations: Some(iterations),
    };
    let sunday = at(first, 0, 0, 0) - chrono::Duration::days(1);
    let tuesday = at(first, 1, 9, 0);
    for team in 1..=4 {
        let made = planning::plan_team(&store, &catalog, &actor, team, &request, sunday)
            .await
            .expect("the team plans");
        planning::publish(&store, &actor, made.plan.id, sunday)
            .await
            .expect("published");
        let name = format!("demo team {team}");
        let to_come: Vec<_> = made
            .visits
            .iter()
            .filter(|v| v.start >= tuesday)
            .map(key)
            .collect();
        let again = planning::plan_team(&store, &catalog, &actor, team, &request, tuesday)
            .await
            .expect("re-planned");
        let fresh = planning::fresh_figures(&store, &catalog, team, &request, tuesday)
            .await
            .expect("a fresh plan");
        row(
            &name,
            "nothing changed",
            &Figures {
                kept: kept_share(&to_come, &again.visits.iter().map(key).collect::<Vec<_>>()),
                objective: again.plan.figures.objective,
                fresh: fresh.objective,
            },
        );
        let storm = |t: DateTime<Utc>| {
            let day = (t.with_timezone(&Ho_Chi_Minh).date_naive() - first).num_days();
            (2..=4).contains(&day)
        };
        blackouts::add(
            &store,
            &catalog,
            &actor,
            team,
            &serde_json::json!({"label": "bão", "dates": [
                (first + Days::new(2)).to_string(), (first + Days::new(4)).to_string()
            ]}),
            tuesday,
        )
        .await
        .expect("the blackout is stored");
        let outside: Vec<_> = made
            .visits
            .iter()
            .filter(|v| v.start >= tuesday && !storm(v.start))
            .map(key)
            .collect();
        let after = planning::plan_team(&store, &catalog, &actor, team, &request, tuesday)
            .await
            .expect("re-planned");
        let fresh = planning::fresh_figures(&store, &catalog, team, &request, tuesday)
            .await
            .expect("a fresh plan");
        row(
            &name,
            "three-day blackout",
            &Figures {
                kept: kept_share(&outside, &after.visits.iter().map(key).collect::<Vec<_>>()),
                objective: after.plan.figures.objective,
                fresh: fresh.objective,
            },
        );
    }
}

fn minutes(text: &str) -> i64 {
    doorstep_scheduler::parse_minutes(text).expect("an RFC 3339 time")
}

fn solve(
    instance: &Instance,
    iterations: u64,
    hint: Option<doorstep_scheduler::Plan>,
) -> doorstep_scheduler::Plan {
    let problem = Problem::new(instance).expect("a valid instance");
    doorstep_scheduler::plan(
        &problem,
        &Params {
            time_limit: None,
            max_iterations: Some(iterations),
            seed: 1,
            threads: 1,
            hint,
            keep: doorstep_scheduler::Keep::CALENDAR,
            balance: false,
        },
    )
}

fn visit_keys(
    plan: &doorstep_scheduler::Plan,
    keep: impl Fn(i64) -> bool,
) -> Vec<(String, String, i64)> {
    plan.visits
        .iter()
        .map(|v| (v.household.clone(), v.volunteer.clone(), minutes(&v.start)))
        .filter(|(_, _, s)| keep(*s))
        .collect()
}

fn instance(file: &str, iterations: u64) {
    let text = std::fs::read_to_string(file).expect("the instance reads");
    let instance: Instance = serde_json::from_str(&text).expect("an instance");
    let name = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let first = solve(&instance, iterations, None);
    let again = solve(&instance, iterations, Some(first.clone()));
    row(
        &name,
        "nothing changed",
        &Figures {
            kept: kept_share(&visit_keys(&first, |_| true), &visit_keys(&again, |_| true)),
            objective: again.stats.objective as i64,
            fresh: first.stats.objective as i64,
        },
    );
    // Three days without anyone at home nor any volunteer free, from the
    // horizon's third day.
    let start = minutes(&instance.horizon.start);
    let (from, to) = (start + 2 * 1440, start + 5 * 1440);
    let clear = |list: &mut Vec<Interval>| {
        list.retain(|iv| minutes(&iv.end) <= from || minutes(&iv.start) >= to);
    };
    let mut stormy = instance.clone();
    for v in &mut stormy.volunteers {
        clear(&mut v.shifts);
    }
    for h in &mut stormy.households {
        clear(&mut h.windows);
    }
    stormy.pinned.retain(|p| {
        let s = minutes(&p.start);
        s < from || s >= to
    });
    let outside = |s: i64| s < from || s >= to;
    let hint = doorstep_scheduler::Plan {
        visits: first
            .visits
            .iter()
            .filter(|v| outside(minutes(&v.start)))
            .cloned()
            .collect(),
        ..Default::default()
    };
    let after = solve(&stormy, iterations, Some(hint));
    let fresh = solve(&stormy, iterations, None);
    row(
        &name,
        "three-day blackout",
        &Figures {
            kept: kept_share(&visit_keys(&first, outside), &visit_keys(&after, |_| true)),
            objective: after.stats.objective as i64,
            fresh: fresh.stats.objective as i64,
        },
    );
}
