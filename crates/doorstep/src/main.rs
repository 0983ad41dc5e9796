//! The `doorstep` binary: one entry point for the service, the database
//! tools and the calendar, tide, rule and planning commands.
//!
//! Errors: the library crates return typed errors (thiserror); this binary
//! turns them into messages and exit codes, with anyhow where a message is all
//! that is needed.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod config;

/// doorstep plans door-to-door visits for community digital-technology teams.
#[derive(Debug, Parser)]
#[command(name = "doorstep", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API and pages.
    Serve(cmd::serve::Args),
    /// Apply or list database migrations.
    Migrate(cmd::migrate::Args),
    /// Load the demo data (Thanh Hóa) into the configured database.
    Demo(cmd::demo::Args),
    /// Import data files.
    Import(cmd::import::Args),
    /// Vietnamese lunar dates of civil dates, and back.
    Lunar(cmd::lunar::Args),
    /// Instants of the moon's phases.
    Moon(cmd::moon::Args),
    /// Tide heights and high and low waters of a station.
    Tide(cmd::tide::Args),
    /// Expand availability rules into windows.
    Windows(cmd::windows::Args),
    /// Plan visits for an instance file, a stored team or every team of an area.
    Plan(cmd::plan::Args),
    /// Work the planning jobs of areas' runs (several processes may share them).
    Worker(cmd::worker::Args),
    /// The volunteers' lists by e-mail: send by hand, preview, the outbox.
    Mail(cmd::mail::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
        Command::Migrate(args) => cmd::migrate::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Lunar(args) => cmd::lunar::run(args),
        Command::Moon(args) => cmd::moon::run(args),
        Command::Tide(args) => cmd::tide::run(args),
        Command::Windows(args) => cmd::windows::run(args),
        Command::Plan(args) => cmd::plan::run(args),
        Command::Worker(args) => cmd::worker::run(args),
        Command::Mail(args) => cmd::mail::run(args),
    }
}
