//! `doorstep demo`.

use std::process::ExitCode;

use super::common::{Failure, finish, grouped, minutes_seconds, open_migrated, runtime, settings};

/// Arguments of `doorstep demo`. Without `--province` it loads the demo
/// data into the configured database (applying migrations first),
/// creating only what is missing: running it twice changes nothing, and
/// records edited since stay as they are.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Load the synthetic province "Tỉnh Mẫu" instead (4,351 teams, about
    /// 1,000,000 households), for measurements at scale; refused when it is
    /// already there.
    #[arg(long)]
    province: bool,
    /// With --province: this many teams; the households scale with them.
    #[arg(long, value_name = "N", requires = "province",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    teams: Option<u32>,
    /// With --province: the seed; a seed always gives the same province.
    #[arg(long, value_name = "S", requires = "province", default_value_t = 1)]
    seed: u64,
    /// With --province: also a published plan per team over the last four
    /// weeks and the next two, with outcomes recorded and unmet households.
    #[arg(long, requires = "province")]
    history: bool,
}

/// Runs `doorstep demo`.
pub fn run(args: Args) -> ExitCode {
    if args.province {
        let options = doorstep_demo::province::ProvinceOptions {
            teams: args
                .teams
                .map_or(doorstep_demo::province::FULL_TEAMS, |n| n as usize),
            seed: args.seed,
            history: args.history,
        };
        return finish(runtime().and_then(|rt| rt.block_on(province(options))));
    }
    finish(runtime().and_then(|rt| rt.block_on(demo())))
}

async fn province(options: doorstep_demo::province::ProvinceOptions) -> Result<(), Failure> {
    use std::io::{IsTerminal, Write};
    let settings = settings()?;
    let store = open_migrated(&settings).await?;
    let started = std::time::Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let mut shown = started;
    let progress = |p: doorstep_demo::province::Progress| {
        let elapsed = started.elapsed().as_secs_f64();
        let last = p.teams_done == p.teams;
        // A terminal's line is rewritten; a log gets a line every 5 s.
        let every = if terminal { 0.2 } else { 5.0 };
        if !last && shown.elapsed().as_secs_f64() < every {
            return;
        }
        shown = std::time::Instant::now();
        let rate = p.households_done as f64 / elapsed.max(1e-3);
        let left = p.households.saturating_sub(p.households_done) as f64 / rate.max(1e-3);
        let line = format!(
            "tỉnh mẫu / province: {}/{} tổ / teams, {}/{} hộ / households, {} hộ/giây / households/s, {} đã chạy / elapsed, còn / ETA {}",
            grouped(p.teams_done as u64),
            grouped(p.teams as u64),
            grouped(p.households_done as u64),
            grouped(p.households as u64),
            grouped(rate.round() as u64),
            minutes_seconds(elapsed),
            minutes_seconds(left),
        );
        let mut err = std::io::stderr().lock();
        let _ = if terminal {
            write!(err, "\r{line}\x1b[K{}", if last { "\n" } else { "" })
        } else {
            writeln!(err, "{line}")
        };
    };
    let now = chrono::Utc::now();
    let summary = doorstep_demo::province::load(&store, options, now, progress)
        .await
        .map_err(|e| Failure::other(format!("{} / {}", e.message(true), e.message(false))))?;
    let c = summary.counts;
    println!(
        "Đã nạp tỉnh mẫu / Synthetic province loaded: {} (mã / code {}, id {}), {} xã / communes, {} thôn / villages, {} tổ / teams, {} thành viên / members",
        doorstep_demo::province::PROVINCE_NAME,
        doorstep_demo::province::PROVINCE_CODE,
        summary.province_id,
        grouped(summary.communes as u64),
        grouped(summary.villages as u64),
        grouped(c.teams),
        grouped(c.members),
    );
    println!(
        "  {} hộ / households, {} người dân / residents, {} nhu cầu / needs",
        grouped(c.households),
        grouped(c.residents),
        grouped(c.needs),
    );
    if options.history {
        println!(
            "  {} kế hoạch đã công bố / published plans, {} lượt thăm / visits, {} lần ghi kết quả / recordings, {} kết quả / outcomes, {} hộ chưa được xếp / unmet entries",
            grouped(c.plans),
            grouped(c.visits),
            grouped(c.recordings),
            grouped(c.outcomes),
            grouped(c.unmet),
        );
    }
    println!("  trong / in {:.1} s", started.elapsed().as_secs_f64());
    println!(
        "Tài khoản mẫu (chỉ dùng thử) / Demo account (demo only), password \"{}\":",
        doorstep_demo::DEMO_PASSWORD
    );
    let (user, who) = doorstep_demo::province::OFFICIAL;
    println!("  {user} — {who}");
    Ok(())
}

async fn demo() -> Result<(), Failure> {
    let settings = settings()?;
    let store = open_migrated(&settings).await?;
    let catalog = doorstep_service::stations::load(std::path::Path::new(
        doorstep_service::stations::DEFAULT_DIR,
    ))
    .map_err(Failure::input)?;
    load(&store, &catalog, &settings).await
}

/// Loads the demo data and prints what changed.
pub async fn load(
    store: &doorstep_store::Store,
    catalog: &doorstep_service::Catalog,
    settings: &crate::config::Settings,
) -> Result<(), Failure> {
    let now = chrono::Utc::now();
    let summary = doorstep_demo::load(store, now).await.map_err(|e| {
        Failure::other(format!(
            "loading the demo data failed, nothing was written: {e}"
        ))
    })?;
    if summary.unchanged() {
        println!(
            "Dữ liệu mẫu đã có sẵn, không thay đổi gì / The demo data is already loaded; nothing changed"
        );
    } else {
        println!(
            "Đã nạp dữ liệu mẫu / Demo data loaded: {} records created, {} households, {} residents",
            summary.created, summary.households_created, summary.residents_created
        );
        println!(
            "Tài khoản mẫu (chỉ dùng thử) / Demo accounts (demo only), password \"{}\":",
            doorstep_demo::DEMO_PASSWORD
        );
        for (user, _, who) in doorstep_demo::DEMO_USERS {
            println!("  {user} — {who}");
        }
    }
    let planned = doorstep_demo::plan_calendars(
        store,
        catalog,
        std::time::Duration::from_secs_f64(settings.planning.demo_time_limit_s),
        None,
        settings.planning.threads(),
        now,
    )
    .await
    .map_err(|e| {
        Failure::other(format!(
            "planning the demo's calendars failed: {} / {}",
            e.message(true),
            e.message(false)
        ))
    })?;
    for plan in &planned {
        println!(
            "Đã lập và công bố lịch / planned and published: tổ / team {} — kế hoạch / plan #{}, {} lượt thăm / visits, {} ngày từ / days from {}",
            plan.team_id,
            plan.plan_id,
            plan.visits,
            doorstep_demo::DEMO_PLAN_DAYS,
            plan.start.format("%d/%m/%Y")
        );
    }
    Ok(())
}
