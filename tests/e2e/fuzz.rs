//! The fuzzer's smoke run (a fixed number of cases per target, a fixed
//! seed: the same inputs on every run) and the replay of every input a
//! fuzzing run ever found failing (`tests/fuzz/regressions/`). A measuring
//! run is `scripts/fuzz.sh` (docs/reliability.md, "Fuzzing").

use std::process::Command;

use doorstep_tests::repo_root;
use serde_json::Value;

const FUZZ: &str = env!("CARGO_BIN_EXE_doorstep-fuzz");

/// Every target named, each run for its cases without a failure.
const TARGETS: [&str; 8] = [
    "rule", "blackout", "register", "instance", "station", "readings", "config", "api",
];

#[test]
fn every_parser_of_outside_input_survives_a_smoke_run_of_the_fuzzer() {
    let found = tempfile::tempdir().unwrap();
    let out = Command::new(FUZZ)
        .args(["--cases", "400", "--seed", "7", "--found"])
        .arg(found.path())
        .output()
        .expect("the fuzzer runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l["target"].as_str().unwrap())
        .collect();
    assert_eq!(names, TARGETS);
    for line in &lines {
        assert_eq!(line["cases"], 400, "{line}");
        assert_eq!(line["failures"], 0, "{line}");
        assert!(
            line["accepted"].as_u64().unwrap() > 0 && line["refused"].as_u64().unwrap() > 0,
            "the mutations reach both what is read and what is refused: {line}"
        );
    }
}

#[test]
fn every_input_a_fuzzing_run_found_failing_is_replayed() {
    let dir = repo_root().join("tests/fuzz/regressions");
    let out = Command::new(FUZZ)
        .arg("--replay")
        .arg(&dir)
        .output()
        .expect("the fuzzer replays");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed = stdout.lines().filter(|l| l.ends_with(": ok")).count();
    let kept = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "txt"))
        })
        .count();
    assert_eq!(replayed, kept, "every kept input is replayed:\n{stdout}");
    assert!(kept > 0, "the regressions are there");
}

#[test]
fn the_fuzzer_says_what_it_expects() {
    let out = Command::new(FUZZ)
        .args(["--target", "nothing"])
        .output()
        .expect("the fuzzer runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rule, blackout, register"), "{stderr}");
}
