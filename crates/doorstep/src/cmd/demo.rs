//! `doorstep demo`.

use std::process::ExitCode;

use super::common::{Failure, finish, open_migrated, runtime, settings};

/// Arguments of `doorstep demo`: none; it loads the demo data into the
/// configured database (applying migrations first). Running it twice
/// changes nothing.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `doorstep demo`.
pub fn run(_args: Args) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(demo())))
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
    let summary = doorstep_service::demo::load(store, now)
        .await
        .map_err(|e| {
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
            "Đã nạp dữ liệu mẫu / Demo data loaded: {} records created, {} updated, {} households, {} residents",
            summary.created, summary.updated, summary.households_created, summary.residents_created
        );
        println!(
            "Tài khoản mẫu (chỉ dùng thử) / Demo accounts (demo only), password \"{}\":",
            doorstep_service::demo::DEMO_PASSWORD
        );
        for (user, _, who) in doorstep_service::demo::DEMO_USERS {
            println!("  {user} — {who}");
        }
    }
    let planned = doorstep_service::demo::plan_calendars(
        store,
        catalog,
        std::time::Duration::from_secs_f64(settings.planning.demo_time_limit_s),
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
            doorstep_service::demo::DEMO_PLAN_DAYS,
            plan.start.format("%d/%m/%Y")
        );
    }
    Ok(())
}
