//! `doorstep import`.

use std::path::PathBuf;
use std::process::ExitCode;

use doorstep_service::import::{ImportError, ImportOptions, import_register};

use super::common::{Failure, finish, open_migrated, runtime, settings};

/// Arguments of `doorstep import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// Import a village register (CSV, one row per resident) into a team.
    ///
    /// Columns (Vietnamese or English headers, any order; extra columns are
    /// ignored): Mã hộ, Mã nhân khẩu, Họ và tên, Địa chỉ (required); Năm sinh,
    /// Số điện thoại, Thôn/Tổ dân phố, Vĩ độ, Kinh độ, Hiện trạng, Quốc gia,
    /// Múi giờ, Nhu cầu. A file with any bad row imports nothing and lists
    /// every bad row; re-importing the same file changes nothing.
    Households {
        /// The CSV file (UTF-8, with or without BOM; comma, semicolon or tab).
        file: PathBuf,
        /// The team's id (see `GET /api/v1/teams`).
        #[arg(long)]
        team: i32,
        /// Import the good rows and report the bad ones.
        #[arg(long)]
        skip_invalid: bool,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `doorstep import`.
pub fn run(args: Args) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(import(args))))
}

async fn import(args: Args) -> Result<(), Failure> {
    let What::Households {
        file,
        team,
        skip_invalid,
        json,
    } = args.what;
    let bytes = std::fs::read(&file)
        .map_err(|e| Failure::input(format!("{}: cannot read the file: {e}", file.display())))?;
    let settings = settings()?;
    let store = open_migrated(&settings).await?;
    let name = file.display().to_string();
    let report = import_register(&store, team, &bytes, ImportOptions { skip_invalid }, "cli", chrono::Utc::now())
        .await
        .map_err(|e| match e {
            ImportError::Invalid { errors } => {
                let mut message = format!(
                    "{name}: {} problem(s), nothing was imported (use --skip-invalid to import the good rows) / \
                     có lỗi, chưa nhập gì:",
                    errors.len()
                );
                for error in errors {
                    message.push_str(&format!("\n  {name}:{error}"));
                }
                Failure::input(message)
            }
            ImportError::UnknownTeam { .. } => Failure::input(e.to_string()),
            ImportError::Store(e) => Failure::other(format!("{name}: import failed, nothing was written: {e}")),
        })?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("reports serialise")
        );
    } else {
        let c = &report.changes;
        println!(
            "Đã đọc {} dòng, {} hộ / Read {} rows, {} households",
            report.rows, report.households, report.rows, report.households
        );
        if c.is_empty() {
            println!("Không có gì thay đổi / Nothing changed");
        } else {
            println!(
                "Hộ mới {} · hộ cập nhật {} · người mới {} · người cập nhật {} · nhu cầu mới {} · nhu cầu bỏ {}",
                c.households_created,
                c.households_updated,
                c.residents_created,
                c.residents_updated,
                c.needs_opened,
                c.needs_closed
            );
            println!(
                "New households {} · updated {} · new residents {} · updated {} · needs opened {} · closed {}",
                c.households_created,
                c.households_updated,
                c.residents_created,
                c.residents_updated,
                c.needs_opened,
                c.needs_closed
            );
        }
    }
    for skipped in &report.skipped {
        eprintln!("skipped {name}:{skipped}");
    }
    Ok(())
}
