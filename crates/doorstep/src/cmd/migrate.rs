//! `doorstep migrate`.

use std::process::ExitCode;

use super::common::{Failure, finish, open, runtime, settings};

/// Arguments of `doorstep migrate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Apply every pending migration.
    Up,
    /// List the migrations and whether each is applied.
    Status,
}

/// Runs `doorstep migrate`.
pub fn run(args: Args) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(migrate(args))))
}

async fn migrate(args: Args) -> Result<(), Failure> {
    let settings = settings()?;
    let store = open(&settings).await?;
    match args.action {
        Action::Up => {
            let applied = store
                .migrate_up()
                .await
                .map_err(|e| Failure::other(format!("migrations failed: {e}")))?;
            if applied.is_empty() {
                println!("Không có migration nào chờ / No pending migration");
            }
            for name in applied {
                println!("applied {name}");
            }
        }
        Action::Status => {
            for state in store
                .migration_status()
                .await
                .map_err(|e| Failure::other(e.to_string()))?
            {
                println!(
                    "{} {}",
                    if state.applied { "applied" } else { "pending" },
                    state.name
                );
            }
        }
    }
    Ok(())
}
