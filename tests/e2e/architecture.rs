//! Architecture invariants checked mechanically.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Pure crates must never reach the database, HTTP or async runtime crates,
/// not even through another dependency.
#[test]
fn pure_crates_do_not_depend_on_io_crates() {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        // Only this machine's dependencies: no need to fetch other platforms' crates.
        .args(
            host_platform()
                .iter()
                .flat_map(|t| ["--filter-platform", t.as_str()]),
        )
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let names: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: BTreeMap<&str, Vec<&str>> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let deps = n["deps"]
                .as_array()
                .unwrap()
                .iter()
                // Only normal (non-dev, non-build) edges count: a pure crate may
                // use anything in its own tests.
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| d["pkg"].as_str().unwrap())
                .collect();
            (n["id"].as_str().unwrap(), deps)
        })
        .collect();

    let forbidden = ["tokio", "sea-orm", "sqlx", "axum", "hyper", "lettre"];
    for pure in [
        "doorstep-lunar",
        "doorstep-tide",
        "doorstep-core",
        "doorstep-scheduler",
    ] {
        let root = names
            .iter()
            .find(|(_, n)| **n == pure)
            .map(|(id, _)| *id)
            .unwrap_or_else(|| panic!("{pure} is a workspace member"));
        let mut seen = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let name = names[id];
            assert!(
                !forbidden
                    .iter()
                    .any(|f| name == *f || name.starts_with(&format!("{f}-"))),
                "{pure} depends on {name}, but pure crates must not reach I/O crates"
            );
            stack.extend(nodes.get(id).into_iter().flatten().copied());
        }
    }
}

/// The host's target triple, from `rustc -vV`.
fn host_platform() -> Option<String> {
    let output = Command::new("rustc").arg("-vV").output().ok()?;
    String::from_utf8(output.stdout)
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_string))
}
