//! `doorstep lunar` and `doorstep moon` end to end: the exact output format,
//! the JPL-ephemeris fixtures, and bad input (exit 2, nothing on stdout).

use std::io::Write;
use std::process::Output;

use doorstep_tests::{doorstep, stderr};

const DATES: &str = include_str!("../../crates/lunar/tests/data/dates_2020_2035.jsonl");
const TET: &str = include_str!("../../crates/lunar/tests/data/tet_2020_2035.jsonl");
const FULL_MOONS: &str = include_str!("../../crates/lunar/tests/data/full_moons_2026_2027.jsonl");

fn run(args: &[&str]) -> Output {
    doorstep().args(args).output().expect("doorstep runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Asserts exit code 2, an empty stdout, and a message containing `needles`.
fn assert_bad_input(output: &Output, needles: &[&str]) {
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(output));
    assert!(output.stdout.is_empty(), "stdout: {}", stdout(output));
    let err = stderr(output);
    for needle in needles {
        assert!(err.contains(needle), "stderr lacks {needle:?}: {err}");
    }
}

#[test]
fn lunar_prints_the_issue_example_exactly() {
    let output = run(&["lunar", "2026-11-28"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"solar\":\"2026-11-28\",\"day\":20,\"month\":10,\"year\":2026,\"leap\":false,\"year_name\":\"Bính Ngọ\"}\n"
    );
}

#[test]
fn lunar_to_solar_prints_the_same_fields() {
    let output = run(&["lunar", "--to-solar", "15/8/2026"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"solar\":\"2026-09-25\",\"day\":15,\"month\":8,\"year\":2026,\"leap\":false,\"year_name\":\"Bính Ngọ\"}\n"
    );
    let output = run(&["lunar", "--to-solar", "1/11/2033", "--leap"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"solar\":\"2033-12-22\",\"day\":1,\"month\":11,\"year\":2033,\"leap\":true,\"year_name\":\"Quý Sửu\"}\n"
    );
}

#[test]
fn moon_prints_the_issue_example_exactly() {
    let output = run(&[
        "moon",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-05",
        "--phase",
        "full",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"phase\":\"full\",\"at\":\"2026-01-03T10:02:55Z\"}\n"
    );
}

#[test]
fn lunar_month_starts_on_the_day_of_a_new_moon_4_seconds_after_midnight() {
    let output = run(&["lunar", "1967-07-07", "1967-07-08"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = json_lines(&stdout(&output));
    assert_eq!(lines[1]["day"], 1, "{}", lines[1]);
    assert_ne!(lines[0]["day"], 1, "{}", lines[0]);
}

#[test]
fn lunar_keeps_the_order_of_several_dates() {
    let output = run(&["lunar", "2007-02-17", "1985-01-21", "1968-01-29"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = json_lines(&stdout(&output));
    let got: Vec<(&str, i64, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["solar"].as_str().unwrap(),
                l["year"].as_i64().unwrap(),
                l["year_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2007-02-17", 2007, "Đinh Hợi"),
            ("1985-01-21", 1985, "Ất Sửu"),
            ("1968-01-29", 1968, "Mậu Thân"),
        ]
    );
    for l in &lines {
        assert_eq!(
            (l["day"].as_i64(), l["month"].as_i64()),
            (Some(1), Some(1)),
            "{l}"
        );
    }
}

#[test]
fn lunar_batch_file_matches_every_fixture_date() {
    let expected = json_lines(DATES);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for e in &expected {
        writeln!(file, "{}", e["solar"].as_str().unwrap()).unwrap();
    }
    let output = run(&["lunar", "--input", file.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), expected.len());
    for (line, e) in lines.iter().zip(&expected) {
        // Field order is part of the format.
        let prefix = format!(
            "{{\"solar\":\"{}\",\"day\":{},\"month\":{},\"year\":{},\"leap\":{},\"year_name\":\"",
            e["solar"].as_str().unwrap(),
            e["day"],
            e["month"],
            e["year"],
            e["leap"]
        );
        assert!(
            line.starts_with(&prefix),
            "{line} should start with {prefix}"
        );
    }
}

#[test]
fn lunar_to_solar_finds_every_fixture_tet() {
    for tet in json_lines(TET) {
        let year = tet["year"].as_i64().unwrap();
        let output = run(&["lunar", "--to-solar", &format!("1/1/{year}")]);
        assert!(output.status.success(), "{}", stderr(&output));
        let line = &json_lines(&stdout(&output))[0];
        assert_eq!(line["solar"], tet["solar"], "Tết {year}");
    }
}

#[test]
fn lunar_reads_standard_input_with_a_dash() {
    use std::process::Stdio;
    let mut child = doorstep()
        .args(["lunar", "--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("doorstep runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"2026-02-17\n2026-09-25\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = json_lines(&stdout(&output));
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["day"].as_i64(), lines[0]["month"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (lines[1]["day"].as_i64(), lines[1]["month"].as_i64()),
        (Some(15), Some(8))
    );
}

#[test]
fn lunar_batch_with_bad_lines_reports_each_and_prints_nothing() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(file, "2026-11-28\n\n2026-02-30\n2200-01-01\r\nhello\n").unwrap();
    let output = run(&["lunar", "--input", file.path().to_str().unwrap()]);
    assert_bad_input(
        &output,
        &[
            "line 3",
            "2026-02-30",
            "line 4",
            "2200-01-01",
            "line 5",
            "hello",
            "1800-01-01",
            "2199-12-31",
        ],
    );
    assert!(!stderr(&output).contains("line 1:"));
}

#[test]
fn lunar_rejects_bad_dates_with_the_range() {
    assert_bad_input(
        &run(&["lunar", "2026-11-28", "2026-02-29"]),
        &["argument 2", "2026-02-29", "1800-01-01", "2199-12-31"],
    );
    assert_bad_input(
        &run(&["lunar", "1799-12-31"]),
        &["1799-12-31", "1800-01-01 to 2199-12-31"],
    );
}

#[test]
fn lunar_to_solar_rejects_leap_on_a_month_that_is_not_leap() {
    assert_bad_input(
        &run(&["lunar", "--to-solar", "15/8/2026", "--leap"]),
        &[
            "month 8 of lunar year 2026 is not a leap month",
            "no leap month",
        ],
    );
    assert_bad_input(
        &run(&["lunar", "--to-solar", "1/10/2033", "--leap"]),
        &["month 10", "leap month is 11"],
    );
}

#[test]
fn lunar_to_solar_rejects_impossible_and_out_of_range_dates() {
    assert_bad_input(
        &run(&["lunar", "--to-solar", "30/2/2026"]),
        &["30/2/2026", "29 days"],
    );
    assert_bad_input(
        &run(&["lunar", "--to-solar", "1/13/2026"]),
        &["13", "1 to 12"],
    );
    assert_bad_input(
        &run(&["lunar", "--to-solar", "1/1/2300"]),
        &["2300", "1799 to 2199"],
    );
    assert_bad_input(
        &run(&["lunar", "--to-solar", "15-8-2026"]),
        &["15-8-2026", "D/M/YYYY"],
    );
}

#[test]
fn lunar_help_explains_the_format() {
    let output = run(&["lunar", "--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    for needle in ["--to-solar", "--leap", "--input", "year_name", "âm lịch"] {
        assert!(help.contains(needle), "help lacks {needle}: {help}");
    }
}

#[test]
fn moon_prints_phases_in_order_in_the_exact_format() {
    let output = run(&["moon", "--from", "2026-01-01", "--to", "2027-01-01"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let cycle = ["new", "first_quarter", "full", "last_quarter"];
    let mut previous: Option<(String, usize)> = None;
    let mut count = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let phase = v["phase"].as_str().unwrap();
        let at = v["at"].as_str().unwrap();
        assert_eq!(line, format!("{{\"phase\":\"{phase}\",\"at\":\"{at}\"}}"));
        assert_eq!(at.len(), 20, "whole seconds, UTC: {at}");
        assert!(at.starts_with("2026-") && at.ends_with('Z'), "{at}");
        let index = cycle.iter().position(|p| *p == phase).unwrap();
        if let Some((prev_at, prev_index)) = &previous {
            assert!(prev_at.as_str() < at, "time order");
            assert_eq!(index, (prev_index + 1) % 4, "phases follow each other");
        }
        previous = Some((at.to_string(), index));
        count += 1;
    }
    assert!((49..=51).contains(&count), "{count} phases in 2026");
}

#[test]
fn moon_full_moons_agree_with_the_ephemeris_to_the_second() {
    let expected = json_lines(FULL_MOONS);
    let output = run(&[
        "moon",
        "--from",
        "2026-01-01",
        "--to",
        "2028-01-01",
        "--phase",
        "full",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let got = json_lines(&stdout(&output));
    assert_eq!(got.len(), expected.len());
    let parse = |v: &serde_json::Value| chrono_free_seconds(v["at"].as_str().unwrap());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g["phase"], "full");
        let diff = parse(g) - parse(e);
        // Both are rounded to the second; ΔT after 2025 is a prediction.
        assert!(diff.abs() <= 1, "{g} vs {e}: {diff} s");
    }
}

/// Seconds since 2000-01-01 of `YYYY-MM-DDTHH:MM:SSZ` (the tests crate has no
/// date library; days from a civil date by the usual algorithm).
fn chrono_free_seconds(at: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| at[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let (y, m) = if m <= 2 { (y - 1, m + 12) } else { (y, m) };
    let days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + d;
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}

#[test]
fn moon_rejects_bad_intervals() {
    assert_bad_input(
        &run(&["moon", "--from", "2026-01-01", "--to", "2025-01-01"]),
        &["--to", "after"],
    );
    assert_bad_input(
        &run(&["moon", "--from", "1700-01-01", "--to", "2025-01-01"]),
        &["1700-01-01", "1800-01-01"],
    );
    assert_bad_input(
        &run(&["moon", "--from", "2026-02-30", "--to", "2027-01-01"]),
        &["2026-02-30", "YYYY-MM-DD"],
    );
    assert_bad_input(
        &run(&[
            "moon",
            "--from",
            "2026-01-01",
            "--to",
            "2027-01-01",
            "--phase",
            "half",
        ]),
        &["half", "first_quarter"],
    );
}
