//! One module per subcommand. Each exposes its clap `Args` and a `run` that
//! returns the process exit code: 0 on success, 2 for bad input, 1 for any
//! other failure.

pub mod lunar;
pub mod moon;
pub mod plan;
pub mod tide;
pub mod windows;
