//! `doorstep windows` end to end.

use std::process::Output;

use doorstep_tests::{doorstep, stderr, stdout_lines};
use serde_json::Value;

const RULES: &str = "crates/core/tests/data/rules";

fn windows(args: &[&str]) -> Output {
    let mut command = doorstep();
    command.arg("windows").args(args);
    command.output().expect("doorstep runs")
}

fn rules(name: &str) -> String {
    format!("{RULES}/{name}")
}

fn temp_rule(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rules.json");
    std::fs::write(&path, text).expect("write");
    (dir, path.display().to_string())
}

#[test]
fn the_fishing_crew_in_the_fixed_format() {
    let out = windows(&[
        "--rules",
        &rules("fishing-crew.json"),
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-29",
        "--timezone",
        "Asia/Ho_Chi_Minh",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = stdout_lines(&out);
    // Lunar 13–18 of month 11 are 21–26 December 2026; the high waters at
    // Lạch Bạng fall at night that week, so whole days 07:00–20:00 remain.
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(
        got[0],
        r#"{"start":"2026-12-21T07:00:00+07:00","end":"2026-12-21T20:00:00+07:00","mode":"in_person"}"#
    );
    for line in &got {
        let v: Value = serde_json::from_str(line).expect("JSON line");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 3);
        assert!(line.starts_with(r#"{"start":""#) && line.ends_with(r#","mode":"in_person"}"#));
    }
}

#[test]
fn korea_time_in_the_team_zone_and_in_korea() {
    let args = |zone: &'static str| {
        windows(&[
            "--rules",
            &rules("korea.json"),
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-08",
            "--timezone",
            zone,
        ])
    };
    let vn = args("Asia/Ho_Chi_Minh");
    assert_eq!(
        stdout_lines(&vn),
        vec![
            r#"{"start":"2026-12-02T18:00:00+07:00","end":"2026-12-02T20:00:00+07:00","mode":"remote"}"#,
            r#"{"start":"2026-12-05T17:00:00+07:00","end":"2026-12-05T20:00:00+07:00","mode":"remote"}"#,
            r#"{"start":"2026-12-06T17:00:00+07:00","end":"2026-12-06T20:00:00+07:00","mode":"remote"}"#,
        ]
    );
    let kr = args("Asia/Seoul");
    assert_eq!(
        stdout_lines(&kr)[0],
        r#"{"start":"2026-12-02T20:00:00+09:00","end":"2026-12-02T22:00:00+09:00","mode":"remote"}"#
    );
}

#[test]
fn a_night_across_the_autumn_clock_change_in_germany() {
    let out = windows(&[
        "--rules",
        &rules("germany.json"),
        "--from",
        "2026-10-24",
        "--to",
        "2026-10-26",
        "--timezone",
        "Europe/Berlin",
    ]);
    assert_eq!(
        stdout_lines(&out),
        vec![
            r#"{"start":"2026-10-24T22:00:00+02:00","end":"2026-10-25T02:00:00+02:00","mode":"remote"}"#,
            r#"{"start":"2026-10-25T19:00:00+01:00","end":"2026-10-25T22:00:00+01:00","mode":"remote"}"#,
        ]
    );
}

#[test]
fn tet_with_a_storm_blackout_and_the_explanation() {
    let out = windows(&[
        "--rules",
        &rules("tet.json"),
        "--from",
        "2027-01-31",
        "--to",
        "2027-02-04",
        "--explain",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout_lines(&out),
        vec![
            r#"{"start":"2027-01-31T08:00:00+07:00","end":"2027-01-31T20:00:00+07:00","mode":"in_person"}"#,
            r#"{"start":"2027-02-01T08:00:00+07:00","end":"2027-02-01T12:00:00+07:00","mode":"in_person"}"#,
            r#"{"start":"2027-02-03T12:00:00+07:00","end":"2027-02-03T20:00:00+07:00","mode":"in_person"}"#,
        ]
    );
    let err = stderr(&out);
    assert!(
        err.contains("Ở nhà từ 23/12 đến 10/1 âm lịch (dịp Tết), 08:00–20:00"),
        "{err}"
    );
    assert!(err.contains("bão số 3"), "{err}");
}

#[test]
fn explain_names_what_emptied_the_rule() {
    let (_dir, path) = temp_rule(
        r#"{"when": [{"dates": ["2026-12-01", "2026-12-06"], "weekdays": ["mon"], "hours": ["08:00", "09:00"]}]}"#,
    );
    let out = windows(&[
        "--rules",
        &path,
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-29",
        "--explain",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("no window in this horizon"), "{err}");
    assert!(err.contains("when[0].weekdays"), "{err}");
}

#[test]
fn bad_rules_are_all_reported_with_their_paths() {
    let out = windows(&[
        "--rules",
        &rules("bad.json"),
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-29",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    for expected in [
        r#"when[0].hours[1]: cần giờ HH:MM (00:00–24:00), nhận "25:00" / expected HH:MM, got "25:00""#,
        "when[0].lunar_days[1]:",
        "when[0].timezone:",
        "except[0].tide.station:",
        "mode:",
        "colour: ",
    ] {
        assert!(err.contains(expected), "{expected} missing from {err}");
    }
    assert!(err.lines().all(|l| l.starts_with("doorstep windows: ")));
}

#[test]
fn bad_arguments_and_files() {
    let (_dir, path) = temp_rule("{\"when\": [");
    let out = windows(&[
        "--rules",
        &path,
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-02",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not valid JSON"), "{}", stderr(&out));

    let out = windows(&[
        "--rules",
        &rules("korea.json"),
        "--from",
        "2026-12-10",
        "--to",
        "2026-12-01",
        "--timezone",
        "Asia/Hanoi",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("--timezone \"Asia/Hanoi\""), "{err}");

    let out = windows(&[
        "--rules",
        &rules("korea.json"),
        "--from",
        "2026-12-10",
        "--to",
        "2026-12-01",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not after"), "{}", stderr(&out));

    let out = windows(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--explain"));
}
