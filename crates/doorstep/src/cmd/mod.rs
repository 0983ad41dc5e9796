//! One module per subcommand. Each exposes its clap `Args` and a `run` that
//! returns the process exit code: 0 on success, 2 for bad input, 1 for any
//! other failure.

mod common;
pub mod demo;
pub mod import;
pub mod lunar;
pub mod mail;
pub mod migrate;
pub mod moon;
pub mod plan;
mod plan_area;
mod plan_team;
pub mod serve;
pub mod tide;
pub mod windows;
pub mod worker;
