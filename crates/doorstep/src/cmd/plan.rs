//! `doorstep plan`.

use std::process::ExitCode;

/// Arguments of `doorstep plan`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `doorstep plan`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("doorstep plan: not available in this build");
    ExitCode::from(1)
}
