//! `doorstep import`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use doorstep_service::import::{ImportError, ImportOptions, ImportProgress, import_register_from};

use super::common::{Failure, finish, grouped, minutes_seconds, open_migrated, runtime, settings};

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
    /// every bad row; re-importing the same file changes nothing. The file
    /// is read as a stream and written in one transaction; progress (rows
    /// read and written, the rate, the time left) goes to stderr, rewritten
    /// in place on a terminal and every 5 s otherwise.
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
    let name = file.display().to_string();
    let cannot_read =
        |e: std::io::Error| Failure::input(format!("{name}: cannot read the file: {e}"));
    let opened = std::fs::File::open(&file).map_err(cannot_read)?;
    let size = opened.metadata().map_err(cannot_read)?.len();
    let settings = settings()?;
    let store = open_migrated(&settings).await?;
    let started = Instant::now();
    let mut bar = ProgressBar::new(size, started);
    let report = import_register_from(
        &store,
        team,
        std::io::BufReader::with_capacity(1 << 16, opened),
        ImportOptions { skip_invalid },
        "cli",
        chrono::Utc::now(),
        |p| bar.show(p),
    )
    .await
    .map_err(|e| {
        bar.stop();
        match e {
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
            ImportError::Store(e) => {
                Failure::other(format!("{name}: import failed, nothing was written: {e}"))
            }
        }
    })?;
    bar.stop();
    let seconds = started.elapsed().as_secs_f64();
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
        println!(
            "Trong / in {seconds:.1} s, {} dòng/giây / rows/s",
            grouped((report.rows as f64 / seconds.max(1e-3)).round() as u64)
        );
    }
    for skipped in &report.skipped {
        eprintln!("skipped {name}:{skipped}");
    }
    Ok(())
}

/// The import's progress on stderr: rewritten in place on a terminal, a
/// line every 5 s in a log.
struct ProgressBar {
    size: u64,
    started: Instant,
    /// When writing began.
    writing: Option<Instant>,
    /// When a line was last shown.
    shown: Option<Instant>,
    terminal: bool,
    /// A line in place waits for its end.
    open: bool,
}

impl ProgressBar {
    fn new(size: u64, started: Instant) -> ProgressBar {
        ProgressBar {
            size,
            started,
            writing: None,
            shown: None,
            terminal: std::io::stderr().is_terminal(),
            open: false,
        }
    }

    fn show(&mut self, p: ImportProgress) {
        let now = Instant::now();
        let last = p.committing;
        if p.rows_to_write.is_some() && self.writing.is_none() {
            self.writing = Some(now);
        }
        let every = if self.terminal { 0.2 } else { 5.0 };
        let due = self.shown.unwrap_or(self.started).elapsed().as_secs_f64() >= every;
        // The end is shown only after a line was: a small file says nothing.
        if !(due || last && self.shown.is_some()) {
            return;
        }
        self.shown = Some(now);
        let elapsed = self.started.elapsed().as_secs_f64();
        let line = match (p.rows_to_write, self.writing) {
            (Some(total), Some(since)) => {
                let rate = p.rows_written as f64 / since.elapsed().as_secs_f64().max(1e-3);
                let left = total.saturating_sub(p.rows_written) as f64 / rate.max(1e-3);
                format!(
                    "sổ hộ / register: đã đọc / read {} dòng / rows, đã ghi / written {}/{} dòng / rows ({}%), {} dòng/giây / rows/s, {} đã chạy / elapsed, {}",
                    grouped(p.rows_read as u64),
                    grouped(p.rows_written as u64),
                    grouped(total as u64),
                    percent(p.rows_written as u64, total as u64),
                    grouped(rate.round() as u64),
                    minutes_seconds(elapsed),
                    if p.committing {
                        "đếm lại độ phủ và lưu / recounting the coverage and committing".to_owned()
                    } else {
                        format!("còn / ETA {}", minutes_seconds(left))
                    },
                )
            }
            _ => {
                let rate = p.rows_read as f64 / elapsed.max(1e-3);
                let bytes_rate = p.bytes_read as f64 / elapsed.max(1e-3);
                let left = self.size.saturating_sub(p.bytes_read) as f64 / bytes_rate.max(1e-3);
                format!(
                    "sổ hộ / register: đã đọc / read {} dòng / rows ({}% tệp / of the file), {} dòng/giây / rows/s, {} đã chạy / elapsed, đọc xong sau / read in {}",
                    grouped(p.rows_read as u64),
                    percent(p.bytes_read, self.size),
                    grouped(rate.round() as u64),
                    minutes_seconds(elapsed),
                    minutes_seconds(left),
                )
            }
        };
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            self.open = !last;
            write!(err, "\r{line}\x1b[K{}", if last { "\n" } else { "" })
        } else {
            writeln!(err, "{line}")
        };
    }

    /// Ends a line left open in place.
    fn stop(&mut self) {
        if std::mem::take(&mut self.open) {
            eprintln!();
        }
    }
}

fn percent(done: u64, all: u64) -> u64 {
    done.saturating_mul(100).checked_div(all).unwrap_or(100)
}
