//! `doorstep moon`.

use std::process::ExitCode;

/// Arguments of `doorstep moon`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `doorstep moon`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("doorstep moon: not available in this build");
    ExitCode::from(1)
}
