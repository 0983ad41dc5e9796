//! `doorstep plan` end to end.

use std::path::PathBuf;

use doorstep_tests::{doorstep, repo_root};
use serde_json::{Value, json};

fn data(name: &str) -> PathBuf {
    repo_root().join("crates/scheduler/tests/data").join(name)
}

#[test]
fn plans_an_instance_and_writes_the_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("plan.json");
    let result = doorstep()
        .args(["plan", "--input"])
        .arg(data("S-7.json"))
        .args(["--iterations", "128", "--threads", "2", "--output"])
        .arg(&out)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert!(stderr.contains("objective"), "{stderr}");
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("json");
    let visits = plan["visits"].as_array().expect("visits").len();
    let unmet = plan["unmet"].as_array().expect("unmet").len();
    assert_eq!(visits + unmet, 150);
    assert!(
        plan["unmet"][0]["message_vi"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );

    // the same seed, threads and iterations give the same plan, on stdout without --output
    let again = doorstep()
        .args(["plan", "--input"])
        .arg(data("S-7.json"))
        .args(["--iterations", "128", "--threads", "2"])
        .output()
        .expect("runs");
    assert!(again.status.success());
    let plan2: Value = serde_json::from_slice(&again.stdout).expect("json on stdout");
    assert_eq!(plan["visits"], plan2["visits"]);

    // a re-plan with the plan as hint keeps its visits
    let hinted = doorstep()
        .args(["plan", "--input"])
        .arg(data("S-7.json"))
        .args(["--iterations", "64", "--seed", "9", "--hint"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(
        hinted.status.success(),
        "{}",
        String::from_utf8_lossy(&hinted.stderr)
    );
    let plan3: Value = serde_json::from_slice(&hinted.stdout).expect("json");
    let kept = plan["visits"]
        .as_array()
        .expect("visits")
        .iter()
        .filter(|v| plan3["visits"].as_array().expect("visits").contains(v))
        .count();
    // a visit moves only for a clearly better plan
    assert!(kept * 100 >= visits * 95, "kept {kept} of {visits}");
    assert!(plan3["stats"]["objective"].as_u64() >= plan["stats"]["objective"].as_u64());
}

#[test]
fn explains_a_household() {
    let result = doorstep()
        .args(["plan", "--input"])
        .arg(data("S-101.json"))
        .args(["--iterations", "64", "--explain", "H0006"])
        .output()
        .expect("runs");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let stdout = String::from_utf8_lossy(&result.stdout);
    // H0006 needs a skill combination nobody on the team has
    assert!(stdout.contains("H0006: chưa thăm (no_skill)"), "{stdout}");
    assert!(stdout.contains("H0006: not visited (no_skill)"), "{stdout}");

    let unknown = doorstep()
        .args(["plan", "--input"])
        .arg(data("S-101.json"))
        .args(["--explain", "NOPE"])
        .output()
        .expect("runs");
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn reports_every_instance_error_with_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    let instance = json!({
        "timezone": "Asia/Ho_Chi_Minh",
        "horizon": {"start": "2026-11-23T00:00:00+07:00", "end": "2026-11-25T00:00:00+07:00"},
        "volunteers": [{"id": "V1", "home": {"lat": 19.37, "lon": 105.8}, "skills": ["vneid"], "max_visits_per_day": 3,
            "shifts": [{"start": "2026-11-23T08:00:00+07:00", "end": "2026-11-23T12:00:00+07:00"},
                       {"start": "2026-11-23T11:00:00+07:00", "end": "2026-11-23T13:00:00+07:00"}]}],
        "households": [
            {"id": "H1", "location": {"lat": 19.37, "lon": 105.8}, "priority": 3, "service_minutes": 30,
             "needs": ["knitting"], "mode": "in_person",
             "windows": [{"start": "2026-11-23T12:00:00+07:00", "end": "2026-11-23T11:00:00+07:00"}]},
            {"id": "H1", "location": {"lat": 19.37, "lon": 105.8}, "priority": 3, "service_minutes": 30,
             "needs": [], "mode": "in_person", "windows": []}
        ]
    });
    std::fs::write(&bad, instance.to_string()).expect("write");
    let result = doorstep()
        .args(["plan", "--input"])
        .arg(&bad)
        .output()
        .expect("runs");
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    for path in [
        "volunteers[0].shifts[1]",
        "households[0].needs[0]",
        "households[0].windows[0].end",
        "households[1].id",
    ] {
        assert!(stderr.contains(path), "{path} missing in: {stderr}");
    }

    std::fs::write(&bad, "{\"horizon\": ").expect("write");
    let result = doorstep()
        .args(["plan", "--input"])
        .arg(&bad)
        .output()
        .expect("runs");
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("bad.json:1:"));

    let result = doorstep()
        .args(["plan", "--input", "/nonexistent/instance.json"])
        .output()
        .expect("runs");
    assert_eq!(result.status.code(), Some(2));
}

#[test]
fn help_names_the_options() {
    let result = doorstep().args(["plan", "--help"]).output().expect("runs");
    assert!(result.status.success());
    let text = String::from_utf8_lossy(&result.stdout);
    for option in [
        "--input",
        "--time-limit",
        "--seed",
        "--threads",
        "--output",
        "--explain",
        "--hint",
        "--balance",
    ] {
        assert!(text.contains(option), "{option} missing from --help");
    }
}

#[test]
fn plans_a_stored_team_and_says_what_is_wrong_with_its_arguments() {
    let db = doorstep_tests::TestDb::blocking();
    let run = |args: &[&str]| {
        doorstep()
            .args(args)
            .env("DOORSTEP__DATABASE__URL", &db.url)
            .env("DOORSTEP_ENV", "test")
            .output()
            .expect("runs")
    };
    let demo = run(&["demo"]);
    assert!(demo.status.success(), "{}", doorstep_tests::stderr(&demo));
    let planned = run(&[
        "plan",
        "--team",
        "2",
        "--from",
        "2027-02-01",
        "--days",
        "7",
        "--time-limit",
        "0.3",
        "--publish",
    ]);
    let out = String::from_utf8_lossy(&planned.stdout);
    assert!(
        planned.status.success(),
        "{}",
        doorstep_tests::stderr(&planned)
    );
    assert!(out.contains("tổ / team 2"), "{out}");
    assert!(
        out.contains("01/02/2027 – 07/02/2027 (7 ngày / days)"),
        "{out}"
    );
    assert!(out.contains("đã công bố / published"), "{out}");
    assert!(out.contains("lượt thăm / visits:"), "{out}");
    assert!(out.contains("chưa xếp được / unmet:"), "{out}");
    assert!(out.contains("cận trên / upper bound:"), "{out}");

    for (args, expected) in [
        (
            &[
                "plan",
                "--team",
                "99",
                "--from",
                "2027-02-01",
                "--days",
                "7",
            ][..],
            "team 99 does not exist",
        ),
        (
            &["plan", "--team", "2", "--from", "2027-02-30", "--days", "7"][..],
            "--from",
        ),
        (
            &["plan", "--team", "2", "--from", "2027-02-01", "--days", "0"][..],
            "--days",
        ),
        (
            &[
                "plan",
                "--team",
                "2",
                "--from",
                "2027-02-01",
                "--days",
                "7",
                "--time-limit",
                "0",
            ][..],
            "--time-limit",
        ),
    ] {
        let failed = run(args);
        let stderr = doorstep_tests::stderr(&failed);
        assert_eq!(failed.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(failed.stdout.is_empty(), "{args:?}");
    }
    // --team needs --from and --days; --team and --input exclude each other.
    let missing = run(&["plan", "--team", "2"]);
    assert_eq!(missing.status.code(), Some(2));
    let both = run(&[
        "plan",
        "--team",
        "2",
        "--input",
        "x.json",
        "--from",
        "2027-02-01",
        "--days",
        "1",
    ]);
    assert_eq!(both.status.code(), Some(2));
}
