//! Planning a whole area as a run of jobs: `doorstep plan --area` and its
//! summary; a run resumed after its worker died, by the service with a
//! clock of its own; and three `doorstep worker` processes on one PostgreSQL
//! database, one of them killed with SIGKILL part way, that still plan every
//! team exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use doorstep_core::UserRole;
use doorstep_demo::province::{self, ProvinceOptions};
use doorstep_service::access::Actor;
use doorstep_service::error::ServiceError;
use doorstep_service::planning::area::{
    self, AreaRequest, JobOutcome, JobStatus, RunOptions, WorkOptions, Worker,
};
use doorstep_store::repo::jobs;
use doorstep_tests::{TestDb, doorstep, stderr};
use sea_orm::{ConnectionTrait, Statement};

fn command(db: &TestDb, args: &[&str]) -> Command {
    let mut command = doorstep();
    command
        .args(args)
        .env("DOORSTEP__DATABASE__URL", &db.url)
        .env("DOORSTEP_ENV", "test");
    command
}

fn run(db: &TestDb, args: &[&str]) -> Output {
    command(db, args).output().expect("doorstep runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Loads a synthetic province of `teams` teams; its area's id.
fn load_province(db: &TestDb, teams: usize) -> i32 {
    let loaded = run(db, &["demo", "--province", "--teams", &teams.to_string()]);
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    let out = stdout(&loaded);
    out.split("id ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|id| id.trim().parse().ok())
        .unwrap_or_else(|| panic!("the province's id in {out}"))
}

async fn query(db: &TestDb, sql: &str) -> Vec<Vec<i64>> {
    let store = db.store().await;
    let c = store.connection();
    let rows = c
        .query_all_raw(Statement::from_string(c.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|r| {
            (0..)
                .map_while(|i| r.try_get_by_index::<i64>(i).ok())
                .collect()
        })
        .collect()
}

/// Plans by team.
async fn plans_by_team(db: &TestDb) -> BTreeMap<i64, i64> {
    query(
        db,
        "SELECT CAST(team_id AS BIGINT), COUNT(*) FROM plans GROUP BY team_id",
    )
    .await
    .into_iter()
    .map(|r| (r[0], r[1]))
    .collect()
}

fn admin() -> Actor {
    Actor::system("test")
}

fn request(days: u32) -> AreaRequest {
    AreaRequest {
        start: NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date"),
        days,
        options: RunOptions {
            time_limit_ms: 50,
            seed: 1,
            publish: false,
            iterations: Some(256),
        },
    }
}

#[test]
fn an_area_is_planned_once_per_team_with_a_summary() {
    let db = TestDb::blocking();
    let province = load_province(&db, 5);
    let area = province.to_string();
    let planned = run(
        &db,
        &[
            "plan",
            "--area",
            &area,
            "--from",
            "2026-12-07",
            "--days",
            "7",
            "--workers",
            "2",
            "--publish",
        ],
    );
    let out = stdout(&planned);
    assert!(planned.status.success(), "{out}\n{}", stderr(&planned));
    assert!(out.contains("new plan run #1"), "{out}");
    assert!(
        out.contains("tổ / teams: 5 xong / done, 0 lỗi / failed"),
        "{out}"
    );
    assert!(out.contains("đã công bố / published"), "{out}");
    // The progress line's last state, on stderr.
    assert!(
        stderr(&planned).contains("tổ / teams 5/5"),
        "{}",
        stderr(&planned)
    );

    let rt = doorstep_tests::runtime();
    let by_team = rt.block_on(plans_by_team(&db));
    assert_eq!(by_team.len(), 5, "{by_team:?}");
    assert!(by_team.values().all(|n| *n == 1), "{by_team:?}");
    let households = rt.block_on(query(&db, "SELECT COUNT(*) FROM households"))[0][0];
    let visits = rt.block_on(query(&db, "SELECT COUNT(*) FROM visits"))[0][0];
    let published = rt.block_on(query(
        &db,
        "SELECT COUNT(*) FROM plans WHERE status = 'published'",
    ))[0][0];
    assert_eq!(published, 5);
    let grouped = |n: i64| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    assert!(
        out.contains(&format!(
            "hộ / households: {} · lượt thăm / visits: {}",
            grouped(households),
            grouped(visits)
        )),
        "{households} households, {visits} visits in\n{out}"
    );
    let unmet = rt.block_on(query(&db, "SELECT COUNT(*) FROM unmet"))[0][0];
    let listed: i64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("chưa xếp được / unmet: "))
        .expect("the unmet line")
        .split(", ")
        .filter_map(|part| part.rsplit(' ').next())
        .map(|n| n.replace(',', "").parse::<i64>().unwrap_or(0))
        .sum();
    assert_eq!(listed, unmet, "{out}");

    // The run is finished: the same command opens a new one, and every team
    // has one plan of each.
    let again = run(
        &db,
        &[
            "plan",
            "--area",
            &area,
            "--from",
            "2026-12-07",
            "--days",
            "7",
            "--workers",
            "1",
        ],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("new plan run #2"),
        "{}",
        stdout(&again)
    );
    let by_team = rt.block_on(plans_by_team(&db));
    assert!(by_team.values().all(|n| *n == 2), "{by_team:?}");

    // Bad input: exit 2 with the field named.
    for (args, wanted) in [
        (vec!["--from", "2026-13-01", "--days", "7"], "--from"),
        (vec!["--from", "2026-12-07", "--days", "0"], "--days"),
        (
            vec!["--from", "2026-12-07", "--days", "7", "--time-limit", "0"],
            "--time-limit",
        ),
    ] {
        let mut all = vec!["plan", "--area", &area];
        all.extend(args);
        let refused = run(&db, &all);
        assert_eq!(refused.status.code(), Some(2), "{all:?}");
        assert!(stderr(&refused).contains(wanted), "{}", stderr(&refused));
    }
    let unknown = run(
        &db,
        &[
            "plan",
            "--area",
            "9999",
            "--from",
            "2026-12-07",
            "--days",
            "7",
        ],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("area 9999 does not exist"),
        "{}",
        stderr(&unknown)
    );
}

#[tokio::test]
async fn a_run_resumes_after_its_worker_died_and_a_late_worker_writes_nothing() {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    let loaded = province::load(
        &store,
        ProvinceOptions {
            teams: 4,
            seed: 3,
            history: false,
        },
        Utc::now(),
        |_| {},
    )
    .await
    .expect("the province loads");
    let area_id = loaded.province_id;
    let catalog = doorstep_service::stations::built_in();
    let t0 = Utc::now();
    let at = move || t0;
    let started = area::start_run(&store, &admin(), area_id, &request(7), t0)
        .await
        .expect("a run opens");
    assert!(started.created);
    assert_eq!(started.run.teams, 4);
    let run_id = started.run.id;
    let a = Worker {
        id: "host-1-1".into(),
        lease: Duration::from_secs(60),
        threads: 1,
    };

    // A plans one team, then dies holding the next (its claim never ends).
    let first = area::work_one(&store, &catalog, &a, Some(run_id), &at)
        .await
        .expect("works")
        .expect("a job");
    assert!(matches!(
        first.outcome,
        JobOutcome::Done {
            plan_id: Some(_),
            ..
        }
    ));
    let lease = chrono::Duration::seconds(60);
    let dead = jobs::claim(store.connection(), &a.id, Some(run_id), t0, t0 + lease)
        .await
        .expect("claims")
        .expect("a job to claim");

    // The same request finds the same run, with its own options.
    let mut other = request(7);
    other.options.time_limit_ms = 80;
    let resumed = area::start_run(&store, &admin(), area_id, &other, t0)
        .await
        .expect("found");
    assert!(!resumed.created);
    assert_eq!(resumed.run.id, run_id);
    assert_eq!(
        area::run_options(&resumed.run)
            .expect("reads")
            .time_limit_ms,
        50
    );

    // B works the rest; the dead claim's job comes back once its lease ran
    // out, and B takes it over.
    let b = Worker {
        id: "host-2-1".into(),
        ..a.clone()
    };
    let later = t0 + lease + chrono::Duration::seconds(1);
    let stop = AtomicBool::new(false);
    let report = area::work(
        &store,
        &catalog,
        &WorkOptions {
            workers: vec![b.clone()],
            run: Some(run_id),
            poll: Duration::from_millis(100),
            keep_polling: false,
        },
        &move || later,
        &stop,
        &|_| {},
    )
    .await
    .expect("works");
    assert_eq!((report.done, report.failed, report.lost), (3, 0, 0));

    // Too late: the dead worker's claim writes nothing.
    let plans_before = plans_by_team(&db).await;
    let written = jobs::complete(
        store.connection(),
        &dead,
        &jobs::JobFigures::default(),
        None,
        false,
        "test",
        later,
    )
    .await
    .expect("answers");
    assert_eq!(written, jobs::Completion::LeaseLost);
    assert_eq!(plans_by_team(&db).await, plans_before);
    assert!(
        !jobs::release(store.connection(), &dead, "late", true, later)
            .await
            .expect("answers")
    );

    let report = area::run_report(&store, &admin(), run_id)
        .await
        .expect("a report");
    assert_eq!(report.run.status, jobs::RunStatus::Finished);
    assert_eq!(
        (report.progress.done, report.progress.total),
        (4, 4),
        "{report:?}"
    );
    assert_eq!(report.summary.retried, 1);
    let jobs = area::run_jobs(&store, &admin(), run_id)
        .await
        .expect("jobs");
    let taken = jobs
        .iter()
        .find(|j| j.id == dead.job_id)
        .expect("the dead claim's job");
    assert_eq!(
        (taken.status, taken.attempts, taken.worker.as_deref()),
        (JobStatus::Done, 2, Some("host-2-1"))
    );
    let plan_ids: BTreeSet<i32> = jobs.iter().filter_map(|j| j.plan_id).collect();
    assert_eq!(plan_ids.len(), 4);
    let by_team = plans_by_team(&db).await;
    assert_eq!(by_team.len(), 4);
    assert!(by_team.values().all(|n| *n == 1), "{by_team:?}");

    // Finished: the key is free, the same request opens a new run.
    let fresh = area::start_run(&store, &admin(), area_id, &request(7), later)
        .await
        .expect("opens");
    assert!(fresh.created);
    assert_ne!(fresh.run.id, run_id);
}

#[tokio::test]
async fn only_officials_of_the_area_and_administrators_plan_it() {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    let loaded = province::load(
        &store,
        ProvinceOptions {
            teams: 2,
            seed: 3,
            history: false,
        },
        Utc::now(),
        |_| {},
    )
    .await
    .expect("the province loads");
    let province = loaded.province_id;
    let team = jobs::teams_under_area(store.connection(), province)
        .await
        .expect("teams")[0];
    let who = |role: UserRole, area_id: Option<i32>, team_id: Option<i32>| Actor {
        user_id: Some(1),
        username: "x".into(),
        role,
        team_id,
        area_id,
        member_id: None,
    };
    let now = Utc::now();
    let elsewhere = area::start_run(
        &store,
        &who(UserRole::Official, Some(province + 1000), None),
        province,
        &request(7),
        now,
    )
    .await;
    assert!(
        matches!(elsewhere, Err(ServiceError::NotFound { .. })),
        "{elsewhere:?}"
    );
    let leader = area::start_run(
        &store,
        &who(UserRole::Leader, None, Some(team)),
        province,
        &request(7),
        now,
    )
    .await;
    assert!(
        matches!(leader, Err(ServiceError::Forbidden(..))),
        "{leader:?}"
    );
    let volunteer = area::start_run(
        &store,
        &who(UserRole::Volunteer, None, Some(team)),
        province,
        &request(7),
        now,
    )
    .await;
    assert!(
        matches!(volunteer, Err(ServiceError::Forbidden(..))),
        "{volunteer:?}"
    );
    let official = area::start_run(
        &store,
        &who(UserRole::Official, Some(province), None),
        province,
        &request(7),
        now,
    )
    .await
    .expect("the province's official opens a run");
    assert_eq!(official.run.created_by, "user:1");
    let bad = area::start_run(&store, &admin(), province, &request(0), now).await;
    assert!(matches!(bad, Err(ServiceError::Invalid(_))), "{bad:?}");
}

/// Reads a child's stdout to the end on a thread of its own.
fn drain(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut out = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    })
}

#[test]
fn three_workers_plan_every_team_once_though_one_is_killed() {
    let db = TestDb::blocking();
    if db.backend() != "postgres" {
        eprintln!(
            "skipped: several worker processes share a run on PostgreSQL \
             (set DOORSTEP_TEST_POSTGRES; .ci/run does)"
        );
        return;
    }
    const TEAMS: i64 = 12;
    let province = load_province(&db, TEAMS as usize).to_string();
    let opened = run(
        &db,
        &[
            "plan",
            "--area",
            &province,
            "--from",
            "2026-12-07",
            "--days",
            "28",
            "--time-limit",
            "1",
            "--workers",
            "0",
        ],
    );
    assert!(opened.status.success(), "{}", stderr(&opened));
    assert!(
        stdout(&opened).contains("doorstep worker"),
        "{}",
        stdout(&opened)
    );
    let rt = doorstep_tests::runtime();
    assert_eq!(
        rt.block_on(query(
            &db,
            "SELECT COUNT(*) FROM plan_jobs WHERE status = 'queued'"
        ))[0][0],
        TEAMS
    );

    let mut workers: Vec<Child> = (0..3)
        .map(|_| {
            command(&db, &["worker", "--workers", "1"])
                .env("DOORSTEP__PLANNING__LEASE_S", "4")
                .env("DOORSTEP__PLANNING__POLL_S", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("doorstep worker starts")
        })
        .collect();
    let outputs: Vec<_> = workers.iter_mut().map(drain).collect();
    let victim = workers[0].id();
    // Kill the first worker while it plans a team, once some teams are
    // done.
    let victims_job =
        format!("FROM plan_jobs WHERE status = 'running' AND worker LIKE '%-{victim}-1'");
    let held = format!("SELECT COUNT(*) {victims_job}");
    let waited = std::time::Instant::now();
    loop {
        let done = rt.block_on(query(
            &db,
            "SELECT COUNT(*) FROM plan_jobs WHERE status = 'done'",
        ))[0][0];
        if done >= 2 && rt.block_on(query(&db, &held))[0][0] == 1 {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(300) && done < TEAMS,
            "the first worker never held a job part way ({done} done)"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    workers[0].kill().expect("SIGKILL");
    workers[0].wait().expect("reaped");
    let killed_job = rt.block_on(query(&db, &format!("SELECT id {victims_job}")));
    // It may, rarely, have saved its team between the look and the kill.
    let killed_job = killed_job.first().map(|r| r[0]);

    // The two others finish everything, the killed one's job included once
    // its lease ran out, and stop.
    for worker in workers.iter_mut().skip(1) {
        let status = worker.wait().expect("ends");
        assert!(status.success(), "{status}");
    }
    let outputs: Vec<String> = outputs
        .into_iter()
        .map(|o| o.join().expect("read"))
        .collect();

    let by_status = rt.block_on(query(
        &db,
        "SELECT COUNT(*), COUNT(DISTINCT plan_id), CAST(SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END) AS BIGINT) FROM plan_jobs",
    ));
    assert_eq!(by_status[0], vec![TEAMS, TEAMS, TEAMS], "{outputs:?}");
    let by_team = rt.block_on(plans_by_team(&db));
    assert_eq!(by_team.len() as i64, TEAMS, "{by_team:?}");
    assert!(
        by_team.values().all(|n| *n == 1),
        "one plan per team: {by_team:?}"
    );
    let audited = rt.block_on(query(
        &db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'create_plan'",
    ))[0][0];
    assert_eq!(audited, TEAMS, "one plan written per team, ever");
    match killed_job {
        Some(job) => {
            let taken = rt.block_on(query(
                &db,
                &format!("SELECT CAST(attempts AS BIGINT) FROM plan_jobs WHERE id = {job}"),
            ));
            assert_eq!(taken[0][0], 2, "the killed worker's job was taken over");
        }
        None => eprintln!("the killed worker had just saved its team: nothing to take over"),
    }
    let finished = rt.block_on(query(
        &db,
        "SELECT COUNT(*) FROM plan_runs WHERE status = 'finished'",
    ))[0][0];
    assert_eq!(finished, 1);

    // Every team reported planned exactly once, by one worker or another.
    let mut reported: BTreeMap<String, usize> = BTreeMap::new();
    for line in outputs.iter().flat_map(|o| o.lines()) {
        if line.contains("kế hoạch / plan #")
            && let Some(team) = line.split("tổ / team ").nth(1)
            && let Some(team) = team.split(':').next()
        {
            *reported.entry(team.to_owned()).or_default() += 1;
        }
    }
    assert_eq!(reported.len() as i64, TEAMS, "{outputs:?}");
    assert!(reported.values().all(|n| *n == 1), "{reported:?}");
}
