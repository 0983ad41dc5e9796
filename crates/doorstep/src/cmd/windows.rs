//! `doorstep windows`.

use std::process::ExitCode;

/// Arguments of `doorstep windows`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `doorstep windows`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("doorstep windows: not available in this build");
    ExitCode::from(1)
}
