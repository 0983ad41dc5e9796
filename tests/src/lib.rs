//! Shared helpers of the end-to-end tests: the real `doorstep` binary,
//! fresh databases, and servers on port 0.

use std::path::PathBuf;
use std::process::Command;

/// The path of the `doorstep` binary built by this `cargo test` run.
///
/// `cargo test --workspace` builds every binary of the workspace next to the
/// test executables (`target/<profile>/doorstep`).
pub fn doorstep_path() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binaries live in target/<profile>/deps");
    let bin = dir.join(format!("doorstep{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test --workspace`, which builds it",
        bin.display()
    );
    bin
}

/// A `Command` for the real `doorstep` binary, run from the repository root
/// so that `config/` is found.
pub fn doorstep() -> Command {
    let mut command = Command::new(doorstep_path());
    command.current_dir(repo_root());
    command
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository root")
        .to_path_buf()
}
