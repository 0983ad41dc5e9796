//! `doorstep tide` end to end.

use std::process::Output;

pub(crate) use doorstep_tests::written_down_qui_nhon;
use doorstep_tests::{doorstep, repo_root, stderr, stdout_lines};
use serde_json::Value;

fn tide(args: &[&str]) -> Output {
    let mut command = doorstep();
    command.arg("tide").args(args);
    command.output().expect("doorstep runs")
}

/// Seconds since the start of the month of "2026-01-05T06:25:01Z".
fn seconds(at: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| at[r].parse::<i64>().unwrap();
    n(8..10) * 86_400 + n(11..13) * 3_600 + n(14..16) * 60 + n(17..19)
}

const QUI_NHON_HOURLY: &str = "crates/tide/tests/data/vn_qui_nhon_2026-01_hourly.jsonl";
const QUI_NHON_EXTREMES: &str = "crates/tide/tests/data/vn_qui_nhon_2026-01_extremes.jsonl";

#[test]
fn hourly_heights_have_the_fixed_format_and_match_the_reference() {
    let out = tide(&[
        "--station",
        "vn_qui_nhon",
        "--from",
        "2026-01-02",
        "--to",
        "2026-01-03",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 24);
    assert!(
        lines[0].starts_with(r#"{"at":"2026-01-02T00:00:00Z","height_m":"#),
        "{}",
        lines[0]
    );
    let reference = std::fs::read_to_string(repo_root().join(QUI_NHON_HOURLY)).unwrap();
    for line in &lines {
        // {"at":"…Z","height_m":-0.1234}: two keys, in this order, 4 decimals.
        let v: Value = serde_json::from_str(line).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 2);
        assert!(
            line.starts_with(r#"{"at":""#) && line.contains(r#"Z","height_m":"#),
            "{line}"
        );
        let decimals = line.rsplit('.').next().unwrap().trim_end_matches('}');
        assert_eq!(decimals.len(), 4, "{line}");
        let at = obj["at"].as_str().unwrap();
        let expected: Value = reference
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|r| r["at"] == at)
            .unwrap();
        let diff =
            (obj["height_m"].as_f64().unwrap() - expected["height_m"].as_f64().unwrap()).abs();
        assert!(diff <= 0.0011, "{line} vs {expected}");
    }
    // Not approximate: no note.
    assert!(!stderr(&out).contains("approximate"));
}

#[test]
fn steps_split_the_range() {
    let out = tide(&[
        "--station",
        "vn_vung_tau",
        "--from",
        "2026-03-01T06:00:00Z",
        "--to",
        "2026-03-01T07:00:00Z",
        "--step",
        "10m",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 6);
    assert!(lines[5].starts_with(r#"{"at":"2026-03-01T06:50:00Z","#));
}

#[test]
fn extremes_have_the_fixed_format_and_match_the_reference() {
    let out = tide(&[
        "--station",
        "config/stations/vn_qui_nhon.toml",
        "--from",
        "2026-01-05",
        "--to",
        "2026-01-10",
        "--extremes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = stdout_lines(&out);
    let reference: Vec<Value> = std::fs::read_to_string(repo_root().join(QUI_NHON_EXTREMES))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| {
            let at = v["at"].as_str().unwrap();
            ("2026-01-05".."2026-01-10").contains(&at)
        })
        .collect();
    assert_eq!(lines.len(), reference.len());
    let printed: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for (k, (line, r)) in lines.iter().zip(&reference).enumerate() {
        let v = &printed[k];
        // Four keys in this order: at, kind, height_m, flat.
        assert_eq!(v.as_object().unwrap().len(), 4);
        assert!(line.starts_with(r#"{"at":""#), "{line}");
        let kind_at = line.find(r#","kind":""#).unwrap();
        let height_at = line.find(r#","height_m":"#).unwrap();
        let flat_at = line.find(r#","flat":"#).unwrap();
        assert!(kind_at < height_at && height_at < flat_at, "{line}");
        // Flat: less than 0.3 m to the extreme before or after (those
        // inside the range; the first and last have one outside).
        if k > 0 && k + 1 < lines.len() {
            let height = |i: usize| printed[i]["height_m"].as_f64().unwrap();
            let swing = (height(k) - height(k - 1))
                .abs()
                .min((height(k) - height(k + 1)).abs());
            assert_eq!(v["flat"], Value::Bool(swing < 0.3), "{line}");
        }
        assert_eq!(v["kind"], r["kind"], "{line}");
        assert!(v["at"].as_str().unwrap().ends_with('Z'));
        let (a, b) = (v["at"].as_str().unwrap(), r["at"].as_str().unwrap());
        assert!((seconds(a) - seconds(b)).abs() <= 60, "{line} vs {r}");
    }
}

#[test]
fn an_approximate_station_says_so_on_stderr() {
    let out = tide(&[
        "--station",
        "lach-bang",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-03",
        "--extremes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("tạm tính"), "{}", stderr(&out));
    assert!(stderr(&out).contains("approximate"));
    // Zero offsets on Hòn Dấu: the same extremes as Hòn Dấu.
    let hon_dau = tide(&[
        "--station",
        "vn_hon_dau",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-03",
        "--extremes",
    ]);
    assert_eq!(stdout_lines(&out), stdout_lines(&hon_dau));
    assert!(!stdout_lines(&out).is_empty());
}

#[test]
fn the_list_shows_every_station_with_its_provenance() {
    let out = tide(&["--list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stations: Vec<Value> = stdout_lines(&out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = stations.iter().map(|s| s["id"].as_str().unwrap()).collect();
    for id in ["lach-bang", "vn_hon_dau", "vn_qui_nhon", "vn_vung_tau"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    for s in &stations {
        assert!(!s["source"].as_str().unwrap().is_empty());
        assert!(!s["license"].as_str().unwrap().is_empty());
        assert!(s["approximate"].is_boolean());
        assert!(s["name"].is_string());
    }
    let lach_bang = stations.iter().find(|s| s["id"] == "lach-bang").unwrap();
    assert_eq!(lach_bang["approximate"], true);
    assert_eq!(lach_bang["reference"], "vn_hon_dau");
    let hon_dau = stations.iter().find(|s| s["id"] == "vn_hon_dau").unwrap();
    assert_eq!(hon_dau["approximate"], true);
    assert!(hon_dau["license"].as_str().unwrap().contains("CC-BY-4.0"));
}

#[test]
fn another_catalog_directory_can_be_given() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("crates/tide/tests/data/stations/us_san_francisco_9414290.toml"),
        dir.path().join("us_san_francisco_9414290.toml"),
    )
    .unwrap();
    let out = tide(&["--list", "--stations", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout_lines(&out).len(), 1);
    let out = tide(&[
        "--stations",
        dir.path().to_str().unwrap(),
        "--station",
        "us_san_francisco_9414290",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-02",
        "--extremes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout_lines(&out)[0],
        r#"{"at":"2026-01-01T06:25:02Z","kind":"high","height_m":1.4050,"flat":false}"#
    );
}

#[test]
fn bad_input_is_refused_with_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--station",
                "nowhere",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-02",
            ],
            "unknown station",
        ),
        (
            &[
                "--station",
                "vn_qui_nhon",
                "--from",
                "2026-02-30",
                "--to",
                "2026-03-02",
            ],
            "--from",
        ),
        (
            &[
                "--station",
                "vn_qui_nhon",
                "--from",
                "2026-01-02",
                "--to",
                "2026-01-01",
            ],
            "not after",
        ),
        (
            &[
                "--station",
                "vn_qui_nhon",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-02",
                "--step",
                "0m",
            ],
            "--step",
        ),
        (
            &[
                "--station",
                "missing.toml",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-02",
            ],
            "cannot read",
        ),
        (&["--station", "vn_qui_nhon"], "required"),
        (&["--list", "--stations", "no/such/dir"], "catalog"),
    ];
    for (args, needle) in cases {
        let out = tide(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_bad_station_file_names_file_field_and_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo_root().join("config/stations/vn_qui_nhon.toml"))
        .unwrap()
        .replacen(
            "speed_deg_per_hour = 15.0410686",
            "speed_deg_per_hour = 15.05",
            1,
        );
    let path = dir.path().join("vn_qui_nhon.toml");
    std::fs::write(&path, text).unwrap();
    let out = tide(&[
        "--station",
        path.to_str().unwrap(),
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-02",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("vn_qui_nhon.toml:19: constituents[0].speed_deg_per_hour"),
        "{err}"
    );
    assert!(err.contains("expected 15.0410686"), "{err}");
}

#[test]
fn help_explains_the_formats() {
    let out = tide(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--station",
        "--extremes",
        "--list",
        "--stations",
        "height_m",
        "\"kind\":\"high\"",
        "exit code is 2",
    ] {
        assert!(help.contains(needle), "{needle}:\n{help}");
    }
}

#[test]
fn two_weeks_of_written_down_tides_become_a_station_the_rules_read() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, rest) = written_down_qui_nhon();
    let obs = dir.path().join("so-nuoc.csv");
    std::fs::write(&obs, csv).unwrap();
    let stations = dir.path().join("stations");
    std::fs::create_dir(&stations).unwrap();
    let out = stations.join("cang-thu.toml");
    let run = tide(&[
        "fit",
        "--observations",
        obs.to_str().unwrap(),
        "--latitude",
        "13.75",
        "--longitude",
        "109.22",
        "--out",
        out.to_str().unwrap(),
        "--name",
        "Cảng thử",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let summary: Value = serde_json::from_str(&stdout_lines(&run)[0]).unwrap();
    assert_eq!(summary["station"], "cang-thu");
    assert_eq!(summary["grade"], "B", "{summary}");
    assert!(stderr(&run).contains("hạng / grade B"), "{}", stderr(&run));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("approximate = true") && text.contains("name = \"Cảng thử\""));

    // The fitted station predicts the rest of January like the real one.
    let run = tide(&[
        "--station",
        out.to_str().unwrap(),
        "--from",
        "2026-01-16",
        "--to",
        "2026-02-01",
        "--extremes",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let fitted: Vec<i64> = stdout_lines(&run)
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["kind"] == "high")
        .map(|e| seconds(e["at"].as_str().unwrap()))
        .collect();
    let true_highs: Vec<i64> = rest
        .iter()
        .filter(|e| e["kind"] == "high")
        .map(|e| seconds(e["at"].as_str().unwrap()))
        .collect();
    let close = true_highs
        .iter()
        .filter(|&&t| fitted.iter().any(|&f| (f - t).abs() <= 30 * 60))
        .count();
    assert!(
        close * 100 >= true_highs.len() * 95,
        "{close}/{}",
        true_highs.len()
    );

    // An availability rule reads it from the catalog like any other station.
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"mode": "in_person", "when": [{"hours": ["00:00", "00:00"]}],
            "except": [{"tide": {"station": "cang-thu", "near": "high", "within_minutes": 90}}]}"#,
    )
    .unwrap();
    let mut command = doorstep();
    command.args([
        "windows",
        "--rules",
        rules.to_str().unwrap(),
        "--from",
        "2026-01-20",
        "--to",
        "2026-01-22",
        "--stations",
        stations.to_str().unwrap(),
    ]);
    let run = command.output().unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stdout_lines(&run).len() >= 2, "{:?}", stdout_lines(&run));
}

#[test]
fn bad_rows_are_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let obs = dir.path().join("obs.csv");
    std::fs::write(
        &obs,
        "time,kind,height_m\n2026-01-01 05:00,high,1.2\n2026-01-01 25:00,low,0.1\n2026-01-02 06:00,nước to,1.1\n",
    )
    .unwrap();
    let out = dir.path().join("port.toml");
    let fit = || {
        tide(&[
            "fit",
            "--observations",
            obs.to_str().unwrap(),
            "--latitude",
            "19.37",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let run = fit();
    assert_eq!(run.status.code(), Some(2));
    let err = stderr(&run);
    assert!(
        err.contains("obs.csv:3: time: \"2026-01-01 25:00\""),
        "{err}"
    );
    assert!(err.contains("obs.csv:4: kind: \"nước to\""), "{err}");
    assert!(
        err.contains("không phải") && err.contains("expected"),
        "{err}"
    );
    assert!(!out.exists());
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 1,
        "no temporary file is left"
    );

    // Too few readings: the fit says what it needs.
    std::fs::write(&obs, "time,kind,height_m\n2026-01-01T05:00Z,high,1.2\n").unwrap();
    let run = fit();
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("cần ít nhất 8"), "{}", stderr(&run));
    assert!(!out.exists());
}
