//! `doorstep lunar`.

use std::process::ExitCode;

/// Arguments of `doorstep lunar`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `doorstep lunar`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("doorstep lunar: not available in this build");
    ExitCode::from(1)
}
