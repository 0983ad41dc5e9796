//! `doorstep plan --area ID --from DATE --days N [--publish] [--workers K]
//! [--time-limit S]`: plans every team under an area as a run of jobs, with
//! K workers in this process (teams in parallel), a progress line and a
//! summary. The same area, first day and days resume the run still open.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use doorstep_service::access::Actor;
use doorstep_service::planning::area::{
    self, AreaRequest, JobOutcome, JobReport, RunOptions, RunProgress, RunReport, WorkOptions,
};

use super::common::{
    Failure, finish, grouped, minutes_seconds, open_migrated, planning_workers, runtime, settings,
    stop_signal,
};
use super::plan_team::failure;

/// What `doorstep plan --area` was asked.
#[derive(Debug)]
pub struct AreaArgs {
    /// The area.
    pub area: i32,
    /// The first day, as typed.
    pub from: Option<String>,
    /// How many days.
    pub days: Option<u32>,
    /// Seconds of search per team, or the configured default.
    pub time_limit: Option<f64>,
    /// Seed of the planner.
    pub seed: u64,
    /// Publish each team's plan.
    pub publish: bool,
    /// Workers in this process, or the configured default; 0: only open
    /// the run.
    pub workers: Option<usize>,
}

/// Runs `doorstep plan --area`.
pub fn run(args: &AreaArgs) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(plan(args))))
}

async fn plan(args: &AreaArgs) -> Result<(), Failure> {
    let settings = settings()?;
    let from = args.from.as_deref().unwrap_or_default();
    let start = NaiveDate::parse_from_str(from, "%Y-%m-%d").map_err(|_| {
        Failure::input(format!(
            "--from: cần ngày dạng YYYY-MM-DD, nhận {from:?} / expected a date YYYY-MM-DD, got {from:?}"
        ))
    })?;
    let time_limit = args
        .time_limit
        .unwrap_or(settings.planning.area_time_limit_s);
    if !(time_limit.is_finite() && time_limit > 0.0) {
        return Err(Failure::input(format!(
            "--time-limit: cần số giây dương / expected a positive number of seconds, got {time_limit}"
        )));
    }
    let request = AreaRequest {
        start,
        days: args.days.unwrap_or_default(),
        options: RunOptions {
            time_limit_ms: (time_limit * 1000.0).round() as u64,
            seed: args.seed,
            publish: args.publish,
            iterations: None,
        },
    };
    let catalog = super::common::catalog()?;
    let store = open_migrated(&settings).await?;
    let actor = Actor::system("cli");
    let started = area::start_run(&store, &actor, args.area, &request, Utc::now())
        .await
        .map_err(failure)?;
    let run = &started.run;
    let before = area::progress(&store, run.id).await.map_err(failure)?;
    if started.created {
        println!(
            "Đợt lập kế hoạch mới / new plan run #{}: địa bàn / area {}, {} tổ / teams, {} ngày từ / days from {}",
            run.id,
            run.area_id,
            grouped(run.teams.max(0) as u64),
            run.days,
            run.start_date.format("%d/%m/%Y")
        );
    } else {
        println!(
            "Tiếp tục đợt / resuming plan run #{}: {}/{} tổ đã xong / teams done",
            run.id,
            grouped(before.ended().max(0) as u64),
            grouped(before.total.max(0) as u64)
        );
        let options = area::run_options(run).map_err(failure)?;
        if options != request.options {
            println!(
                "  đợt giữ thiết lập ban đầu / the run keeps its own options: {} s mỗi tổ / per team, hạt giống / seed {}, {}",
                options.time_limit_ms as f64 / 1000.0,
                options.seed,
                if options.publish {
                    "công bố / publish"
                } else {
                    "bản nháp / drafts"
                }
            );
        }
    }
    let count = args.workers.unwrap_or_else(|| settings.planning.workers());
    if count == 0 {
        println!(
            "  công việc đã xếp hàng cho `doorstep worker` / jobs queued for `doorstep worker`"
        );
        return Ok(());
    }
    let workers = planning_workers(&settings, count);
    let options = WorkOptions {
        workers: workers.clone(),
        run: Some(run.id),
        poll: Duration::from_secs(settings.planning.poll_s.max(1)),
        keep_polling: false,
    };
    let stop = AtomicBool::new(false);
    let clock = Utc::now;
    let on_job = |job: &JobReport| {
        if let JobOutcome::Failed { error, .. } = &job.outcome {
            tracing::warn!(team = job.claim.team_id, %error, "team not planned");
        }
    };
    let t0 = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let done = AtomicBool::new(false);
    let work = async {
        let worked = area::work(&store, &catalog, &options, &clock, &stop, &on_job).await;
        done.store(true, Ordering::Relaxed);
        worked
    };
    let progress = show_progress(&store, run.id, &before, t0, terminal, &done);
    let stopped = async {
        stop_signal().await;
        eprintln!(
            "\ndoorstep: đang dừng sau các tổ đang tính / stopping after the teams in progress…"
        );
        stop.store(true, Ordering::Relaxed);
        std::future::pending::<()>().await;
    };
    let worked = tokio::select! {
        worked = async { tokio::join!(work, progress).0 } => worked,
        () = stopped => unreachable!("pending never resolves"),
    };
    let interrupted = stop.load(Ordering::Relaxed);
    let released = area::release_workers(&store, &workers)
        .await
        .map_err(failure)?;
    worked.map_err(failure)?;
    let report = area::run_report(&store, &actor, run.id)
        .await
        .map_err(failure)?;
    print_summary(&report, t0.elapsed().as_secs_f64());
    if interrupted || report.progress.ended() < report.progress.total {
        return Err(Failure::other(format!(
            "đợt #{id} dừng giữa chừng ({released} tổ trả lại hàng đợi); chạy lại đúng lệnh này để tiếp tục / \
             plan run #{id} stopped part way ({released} teams given back to the queue); run the same command again to continue",
            id = run.id
        )));
    }
    if report.summary.teams_failed > 0 {
        return Err(Failure::other(format!(
            "{} tổ không lập được kế hoạch, xem ở trên / teams could not be planned, see above",
            report.summary.teams_failed
        )));
    }
    Ok(())
}

/// A progress line every second on a terminal (rewritten in place), every
/// 5 s otherwise, and a last one when the work stops.
async fn show_progress(
    store: &doorstep_service::Store,
    run_id: i32,
    before: &RunProgress,
    t0: Instant,
    terminal: bool,
    done: &AtomicBool,
) {
    let every = Duration::from_secs(if terminal { 1 } else { 5 });
    let mut last = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let finished = done.load(Ordering::Relaxed);
        if !finished && last.elapsed() < every {
            continue;
        }
        let Ok(now) = area::progress(store, run_id).await else {
            if finished {
                return;
            }
            continue;
        };
        last = Instant::now();
        let elapsed = t0.elapsed().as_secs_f64();
        let here = (now.ended() - before.ended()).max(0) as f64;
        let rate = here / elapsed.max(1e-3);
        let left = (now.total - now.ended()).max(0) as f64;
        let eta = if rate > 0.0 {
            minutes_seconds(left / rate)
        } else {
            "?".to_owned()
        };
        let line = format!(
            "tổ / teams {}/{}{}, {} hộ / households, {} lượt thăm / visits, {:.1} tổ/giây / teams/s, \
             đã chạy / elapsed {}, còn / ETA {}",
            grouped(now.ended().max(0) as u64),
            grouped(now.total.max(0) as u64),
            if now.failed > 0 {
                format!(" ({} lỗi / failed)", now.failed)
            } else {
                String::new()
            },
            grouped(now.households.max(0) as u64),
            grouped(now.visits.max(0) as u64),
            rate,
            minutes_seconds(elapsed),
            eta,
        );
        let mut err = std::io::stderr().lock();
        let _ = if terminal {
            write!(err, "\r{line}\x1b[K{}", if finished { "\n" } else { "" })
        } else {
            writeln!(err, "{line}")
        };
        if finished {
            return;
        }
    }
}

fn print_summary(report: &RunReport, seconds: f64) {
    let run = &report.run;
    let s = &report.summary;
    let last = run.start_date + chrono::Days::new(u64::from(run.days.saturating_sub(1)));
    let publish = area::run_options(run).is_ok_and(|o| o.publish);
    println!(
        "Đợt lập kế hoạch / plan run #{} · địa bàn / area {} · {} – {} ({} ngày / days) · {}",
        run.id,
        run.area_id,
        run.start_date.format("%d/%m/%Y"),
        last.format("%d/%m/%Y"),
        run.days,
        if publish {
            "đã công bố / published"
        } else {
            "bản nháp / drafts"
        }
    );
    println!(
        "  tổ / teams: {} xong / done, {} lỗi / failed, {} chưa xong / not yet{}",
        grouped(s.teams_done as u64),
        grouped(s.teams_failed as u64),
        grouped((report.progress.queued + report.progress.running).max(0) as u64),
        if s.teams_without_plan > 0 {
            format!(
                "; {} tổ không có hộ cần thăm / teams with no household to visit",
                s.teams_without_plan
            )
        } else {
            String::new()
        }
    );
    println!(
        "  hộ / households: {} · lượt thăm / visits: {}",
        grouped(s.households.max(0) as u64),
        grouped(s.visits.max(0) as u64)
    );
    let unmet: Vec<String> = s
        .unmet_by_reason
        .iter()
        .map(|(reason, n)| format!("{reason} {}", grouped((*n).max(0) as u64)))
        .collect();
    println!(
        "  chưa xếp được / unmet: {}",
        if unmet.is_empty() {
            "0".to_owned()
        } else {
            unmet.join(", ")
        }
    );
    if s.teams_done > 0 {
        let per = |ms: i64| ms as f64 / s.teams_done as f64;
        println!(
            "  mỗi tổ / per team: đọc / read {:.0} ms, tính / plan {:.0} ms, lưu / save {:.0} ms",
            per(s.read_ms),
            per(s.plan_ms),
            per(s.save_ms)
        );
    }
    if s.retried > 0 {
        println!(
            "  {} tổ được nhận lại sau khi tiến trình trước dừng / teams claimed again after their worker stopped",
            s.retried
        );
    }
    for (team, error) in &s.failures {
        println!("  tổ / team {team}: {error}");
    }
    println!(
        "  thời gian / time: {} (lần chạy này / this invocation)",
        minutes_seconds(seconds)
    );
}
