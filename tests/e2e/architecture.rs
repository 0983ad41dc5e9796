//! Architecture invariants checked mechanically.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// The workspace's dependency graph: package names by id, and each
/// package's normal (non-dev, non-build) dependencies.
struct Graph {
    names: BTreeMap<String, String>,
    deps: BTreeMap<String, Vec<String>>,
}

impl Graph {
    fn load() -> Graph {
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
        let names = metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap().to_owned(),
                    p["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let deps = metadata["resolve"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                let deps = n["deps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    // Only normal (non-dev, non-build) edges count: a crate may
                    // use anything in its own tests.
                    .filter(|d| {
                        d["dep_kinds"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|k| k["kind"].is_null())
                    })
                    .map(|d| d["pkg"].as_str().unwrap().to_owned())
                    .collect();
                (n["id"].as_str().unwrap().to_owned(), deps)
            })
            .collect();
        Graph { names, deps }
    }

    fn id(&self, name: &str) -> &str {
        self.names
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(id, _)| id.as_str())
            .unwrap_or_else(|| panic!("{name} is a workspace member"))
    }

    /// Every package `root` reaches, each with the path to it, without
    /// walking through the packages named in `through`.
    fn reached(&self, root: &str, through: &[&str]) -> BTreeMap<&str, Vec<&str>> {
        let mut visited = BTreeSet::new();
        let mut seen: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let root = self.id(root);
        let mut stack = vec![(root, vec![self.names[root].as_str()])];
        while let Some((id, path)) = stack.pop() {
            if !visited.insert(id) {
                continue;
            }
            let name = self.names[id].as_str();
            seen.entry(name).or_insert_with(|| path.clone());
            if path.len() > 1 && through.contains(&name) {
                continue;
            }
            for dep in self.deps.get(id).into_iter().flatten() {
                let mut next = path.clone();
                next.push(self.names[dep].as_str());
                stack.push((dep.as_str(), next));
            }
        }
        seen
    }
}

fn is(name: &str, family: &str) -> bool {
    name == family || name.starts_with(&format!("{family}-"))
}

/// Pure crates must never reach the database, HTTP or async runtime crates,
/// not even through another dependency.
#[test]
fn pure_crates_do_not_depend_on_io_crates() {
    let graph = Graph::load();
    let forbidden = ["tokio", "sea-orm", "sqlx", "axum", "hyper", "lettre"];
    for pure in [
        "doorstep-lunar",
        "doorstep-tide",
        "doorstep-core",
        "doorstep-scheduler",
    ] {
        for (name, path) in graph.reached(pure, &[]) {
            assert!(
                !forbidden.iter().any(|f| is(name, f)),
                "{pure} depends on {name} ({}), but pure crates must not reach I/O crates",
                path.join(" → ")
            );
        }
    }
}

/// `from` reaches none of `forbidden` except through `through`, which it
/// does depend on (and through which the walk does find `found`).
fn reaches_only_through(from: &str, through: &str, forbidden: &[&str], found: &str) {
    let graph = Graph::load();
    let reached = graph.reached(from, &[through]);
    assert!(reached.contains_key(through), "{from} calls {through}");
    assert!(
        graph.reached(from, &[]).contains_key(found),
        "the walk finds {found} when it may go through {through}"
    );
    for (name, path) in &reached {
        assert!(
            !forbidden.iter().any(|f| is(name, f)),
            "{from} depends on {name} ({}); it must ask {through} instead",
            path.join(" → ")
        );
    }
}

/// The API calls the use cases of `doorstep-service` and never the store:
/// nothing it depends on reaches the store, the migrations, sea-orm or sqlx
/// except through the service.
#[test]
fn the_api_reaches_the_database_only_through_the_service() {
    reaches_only_through(
        "doorstep-api",
        "doorstep-service",
        &["doorstep-store", "doorstep-migrations", "sea-orm", "sqlx"],
        "doorstep-store",
    );
}

/// The service says what must be atomic and the store runs it: the service
/// reaches sea-orm and sqlx only through the store (its unit of work,
/// `doorstep_store::in_one_transaction`), never by a dependency of its own.
#[test]
fn the_service_reaches_the_database_only_through_the_store() {
    reaches_only_through(
        "doorstep-service",
        "doorstep-store",
        &["doorstep-migrations", "sea-orm", "sqlx"],
        "sea-orm",
    );
}

/// Every `.rs` file below `dir`, with its text.
fn sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the folder reads") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("the file reads");
                found.push((path, text));
            }
        }
    }
    found
}

/// The store's border is the database's border: its public functions take
/// and answer core's records (and the store's own inputs and figures), never
/// a database row, and no crate above it names one.
#[test]
fn no_database_row_crosses_the_stores_border() {
    let root = doorstep_tests::repo_root();
    for (path, text) in sources(&root.join("crates/store/src/repo")) {
        let mut signature: Option<String> = None;
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("pub async fn ") || trimmed.starts_with("pub fn ") {
                signature = Some(String::new());
            }
            if let Some(sig) = signature.as_mut() {
                sig.push_str(trimmed);
                if trimmed.ends_with('{') || trimmed.ends_with(';') {
                    let words = sig.replace("ActiveModel", "");
                    assert!(
                        !words.contains("::Model"),
                        "{}: a public function of the store speaks a database row: {sig}",
                        path.display()
                    );
                    signature = None;
                }
            }
        }
    }
    for crate_dir in ["service", "api", "mail", "doorstep"] {
        for (path, text) in sources(&root.join("crates").join(crate_dir).join("src")) {
            assert!(
                !text.contains("doorstep_store::entity"),
                "{} names the store's entities; it must use core's records",
                path.display()
            );
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
