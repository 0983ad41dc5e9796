//! The served OpenAPI document is one that generated clients and validators
//! accept: each `{name}` of a path template is a parameter `in: path` and
//! nothing else is, each operation has an id of its own, and the document
//! passes `openapi-spec-validator` (a Python package `.ci/run` installs).
//! The snapshot of the document is checked in `plans.rs`
//! (`the_openapi_document_lists_every_endpoint`).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use axum::http::{Method, StatusCode};
use serde_json::Value;

use super::TestApp;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The document as the router serves it.
async fn served() -> Vec<u8> {
    let app = TestApp::empty().await;
    let (status, _, bytes) = app
        .raw(Method::GET, "/api/v1/openapi.json", None, None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    bytes
}

/// The names of a path template: `/ics/{secret}.ics` → `secret`.
fn template_names(path: &str) -> BTreeSet<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// The names of the parameters declared `in: path`, on the path item and
/// on the operation.
fn path_parameters<'a>(item: &'a Value, operation: &'a Value) -> BTreeSet<&'a str> {
    [&item["parameters"], &operation["parameters"]]
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
        .filter(|p| p["in"] == "path")
        .filter_map(|p| p["name"].as_str())
        .collect()
}

/// Every operation: (method, path, its path item, the operation).
fn operations(document: &Value) -> Vec<(&'static str, &str, &Value, &Value)> {
    let paths = document["paths"].as_object().expect("paths");
    assert!(!paths.is_empty());
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.into_iter().filter_map(move |method| {
                item.get(method)
                    .map(|operation| (method, path.as_str(), item, operation))
            })
        })
        .collect()
}

#[tokio::test]
async fn path_parameters_and_path_templates_name_the_same() {
    let document: Value = serde_json::from_slice(&served().await).unwrap();
    let mut wrong = Vec::new();
    for (method, path, item, operation) in operations(&document) {
        let names = template_names(path);
        let declared = path_parameters(item, operation);
        for name in names.difference(&declared) {
            wrong.push(format!(
                "{method} {path}: {{{name}}} has no parameter `in: path`"
            ));
        }
        for name in declared.difference(&names) {
            wrong.push(format!(
                "{method} {path}: `{name}` is declared `in: path` but is not in the path"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn every_operation_has_an_id_of_its_own() {
    let document: Value = serde_json::from_slice(&served().await).unwrap();
    let mut seen = BTreeMap::new();
    let mut wrong = Vec::new();
    for (method, path, _, operation) in operations(&document) {
        let Some(id) = operation["operationId"].as_str() else {
            wrong.push(format!("{method} {path}: no operationId"));
            continue;
        };
        if let Some(first) = seen.insert(id, format!("{method} {path}")) {
            wrong.push(format!(
                "{method} {path}: operationId {id:?} is also {first}'s"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Whether `python3` can run the validator.
fn validator_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|output| output.status.success())
}

#[tokio::test]
async fn the_served_document_passes_openapi_spec_validator() {
    if !validator_installed() {
        let install = "python3 -m pip install openapi-spec-validator (as .ci/run does)";
        assert!(
            std::env::var_os("CI").is_none_or(|ci| ci.is_empty()),
            "python3 with openapi-spec-validator is missing in CI: {install}"
        );
        println!("skipped: python3 with openapi-spec-validator is missing; {install}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, served().await).unwrap();
    let output = Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "openapi-spec-validator refuses the document ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
