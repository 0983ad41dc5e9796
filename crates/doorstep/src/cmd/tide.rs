//! `doorstep tide`.

use std::process::ExitCode;

/// Arguments of `doorstep tide`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `doorstep tide`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("doorstep tide: not available in this build");
    ExitCode::from(1)
}
