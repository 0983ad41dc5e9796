//! Every subcommand explains itself. (Being an integration test of this
//! package also makes `cargo test --workspace` build the `doorstep` binary
//! that the end-to-end tests in `tests/` run.)

use std::process::Command;

#[test]
fn every_subcommand_has_help() {
    let subcommands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["migrate"],
        &["migrate", "up"],
        &["migrate", "status"],
        &["demo"],
        &["import"],
        &["import", "households"],
        &["lunar"],
        &["moon"],
        &["tide"],
        &["windows"],
        &["plan"],
    ];
    for args in subcommands {
        let output = Command::new(env!("CARGO_BIN_EXE_doorstep"))
            .args(*args)
            .arg("--help")
            .output()
            .expect("doorstep runs");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{args:?} --help failed");
        assert!(text.contains("Usage: doorstep"), "{args:?} --help: {text}");
    }
}

#[test]
fn an_unknown_subcommand_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .arg("fly")
        .output()
        .expect("doorstep runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unrecognized subcommand 'fly'"));
}
