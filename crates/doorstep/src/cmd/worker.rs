//! `doorstep worker [--wait] [--workers K] [--run ID]`: works the queued
//! planning jobs of every run (or of one) until none is queued or held by
//! another worker; with `--wait`, keeps looking for new ones until Ctrl-C or
//! SIGTERM. Any number of workers, in any number of processes, share one
//! PostgreSQL database; a worker that dies leaves its job to another when
//! its lease runs out.
//!
//! Exit codes: 0 when every job it worked was saved, 1 when the database
//! fails or a team could not be planned, 2 for bad input.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use doorstep_service::planning::area::{self, JobOutcome, JobReport, WorkOptions};

use super::common::{
    Failure, finish, open_migrated, planning_workers, runtime, settings, stop_signal,
};
use super::plan_team::failure;

/// Arguments of `doorstep worker`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Work the planning jobs / Làm các công việc lập kế hoạch",
    long_about = "Work the queued planning jobs of every run (or of one, --run): each worker claims \
                  a team's job with a lease (planning.lease_s), plans the team and saves its plan and \
                  the job in one transaction. Several `doorstep worker` and `doorstep serve` processes \
                  share one PostgreSQL database; a job whose worker died is taken over when its lease \
                  runs out. Stops when no job is queued or held by another worker, unless --wait.",
    after_help = "Examples:\n  doorstep plan --area 1 --from 2026-12-07 --days 28 --workers 0\n  \
                  doorstep worker\n  doorstep worker --wait --workers 2\n\n\
                  Exit codes: 0 every job worked was saved, 2 bad input, 1 other failure."
)]
pub struct Args {
    /// Keep looking for new jobs until Ctrl-C or SIGTERM.
    #[arg(long)]
    wait: bool,
    /// Workers in this process, each planning one team at a time (default:
    /// planning.workers, 0 there = one per core).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=256))]
    workers: Option<u32>,
    /// Only the jobs of this run.
    #[arg(long, value_name = "RUN_ID")]
    run: Option<i32>,
}

/// Runs `doorstep worker`.
pub fn run(args: Args) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(work(args))))
}

async fn work(args: Args) -> Result<(), Failure> {
    let settings = settings()?;
    let catalog = super::common::catalog()?;
    let store = open_migrated(&settings).await?;
    let count = args
        .workers
        .map_or_else(|| settings.planning.workers(), |k| k as usize);
    let workers = planning_workers(&settings, count);
    let options = WorkOptions {
        workers: workers.clone(),
        run: args.run,
        poll: Duration::from_secs(settings.planning.poll_s.max(1)),
        keep_polling: args.wait,
    };
    eprintln!(
        "doorstep worker: {} worker(s) {}, lease {} s",
        workers.len(),
        workers
            .iter()
            .map(|w| w.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        settings.planning.lease_s
    );
    let stop = AtomicBool::new(false);
    let clock = Utc::now;
    let on_job = |job: &JobReport| print_job(job);
    let stopped = async {
        stop_signal().await;
        eprintln!("doorstep worker: đang dừng / stopping after the teams in progress…");
        stop.store(true, Ordering::Relaxed);
        std::future::pending::<()>().await;
    };
    let worked = tokio::select! {
        worked = area::work(&store, &catalog, &options, &clock, &stop, &on_job) => worked,
        () = stopped => unreachable!("pending never resolves"),
    };
    area::release_workers(&store, &workers)
        .await
        .map_err(failure)?;
    let report = worked.map_err(failure)?;
    println!(
        "Đã làm / worked: {} tổ xong / teams done, {} lỗi / failed, {} do tiến trình khác làm / taken over by another worker",
        report.done, report.failed, report.lost
    );
    if report.failed > 0 {
        return Err(Failure::other(format!(
            "{} tổ không lập được kế hoạch / teams could not be planned",
            report.failed
        )));
    }
    Ok(())
}

fn print_job(job: &JobReport) {
    let c = &job.claim;
    match &job.outcome {
        JobOutcome::Done {
            plan_id: Some(plan),
            figures,
        } => println!(
            "đợt / run #{} · tổ / team {}: kế hoạch / plan #{plan}, {} hộ / households, {} lượt thăm / visits, \
             {} ms (lần / attempt {}, {})",
            c.run_id,
            c.team_id,
            figures.households,
            figures.visits,
            figures.read_ms + figures.plan_ms + figures.save_ms,
            c.attempt,
            c.worker
        ),
        JobOutcome::Done {
            plan_id: None,
            figures,
        } => println!(
            "đợt / run #{} · tổ / team {}: {} ({})",
            c.run_id,
            c.team_id,
            figures.note.as_deref().unwrap_or_default(),
            c.worker
        ),
        JobOutcome::LeaseLost => println!(
            "đợt / run #{} · tổ / team {}: tiến trình khác đã nhận lại, không lưu / taken over by another worker, not saved ({})",
            c.run_id, c.team_id, c.worker
        ),
        JobOutcome::Failed { error, retried } => println!(
            "đợt / run #{} · tổ / team {}: lỗi / failed{}: {error}",
            c.run_id,
            c.team_id,
            if *retried {
                " (sẽ thử lại / will retry)"
            } else {
                ""
            }
        ),
    }
}
