//! `doorstep plan --team ID --from DATE --days N [--time-limit S] [--publish]`:
//! the planning use case on a stored team, with a short summary.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use doorstep_service::access::Actor;
use doorstep_service::error::ServiceError;
use doorstep_service::planning::{self, PlanOutcome, PlanRequest};

use super::common::{Failure, finish, open_migrated, runtime, settings};

/// What `doorstep plan --team` was asked.
#[derive(Debug)]
pub struct TeamArgs {
    /// The team.
    pub team: i32,
    /// The first day, as typed.
    pub from: Option<String>,
    /// How many days.
    pub days: Option<u32>,
    /// Seconds of search, or the configured default.
    pub time_limit: Option<f64>,
    /// Seed of the planner.
    pub seed: u64,
    /// Planner threads, or the configured default.
    pub threads: Option<usize>,
    /// Publish the plan.
    pub publish: bool,
}

/// Runs `doorstep plan --team`.
pub fn run(args: &TeamArgs) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(plan(args))))
}

/// A use case's error as a command failure: bad input and unknown records
/// exit 2, the rest 1.
pub fn failure(e: ServiceError) -> Failure {
    match &e {
        ServiceError::Invalid(errors) => Failure::input(
            errors
                .iter()
                .map(|f| {
                    format!(
                        "--{}: {} / {}",
                        f.field.replace('_', "-"),
                        f.message_vi,
                        f.message_en
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ServiceError::NotFound { .. } | ServiceError::Conflict(..) => {
            Failure::input(format!("{} / {}", e.message(true), e.message(false)))
        }
        ServiceError::Store(inner) => Failure::other(format!("database: {inner}")),
        ServiceError::Internal(inner) => Failure::other(inner.clone()),
        _ => Failure::other(format!("{} / {}", e.message(true), e.message(false))),
    }
}

async fn plan(args: &TeamArgs) -> Result<(), Failure> {
    let team = args.team;
    let settings = settings()?;
    let from = args.from.as_deref().unwrap_or_default();
    let start = NaiveDate::parse_from_str(from, "%Y-%m-%d").map_err(|_| {
        Failure::input(format!(
            "--from: cần ngày dạng YYYY-MM-DD, nhận {from:?} / expected a date YYYY-MM-DD, got {from:?}"
        ))
    })?;
    let time_limit = args.time_limit.unwrap_or(settings.planning.time_limit_s);
    if !(time_limit.is_finite() && time_limit > 0.0) {
        return Err(Failure::input(format!(
            "--time-limit: cần số giây dương / expected a positive number of seconds, got {time_limit}"
        )));
    }
    let request = PlanRequest {
        start,
        days: args.days.unwrap_or_default(),
        time_limit: Duration::from_secs_f64(time_limit),
        seed: args.seed,
        threads: args.threads.unwrap_or_else(|| settings.planning.threads()),
        iterations: None,
    };
    let catalog =
        doorstep_service::stations::load(Path::new(doorstep_service::stations::DEFAULT_DIR))
            .map_err(Failure::input)?;
    let store = open_migrated(&settings).await?;
    let actor = Actor::system("cli");
    let outcome = planning::plan_team(&store, &catalog, &actor, team, &request, Utc::now())
        .await
        .map_err(failure)?;
    let published = if args.publish {
        Some(
            planning::publish(&store, &actor, outcome.plan.id, Utc::now())
                .await
                .map_err(failure)?,
        )
    } else {
        None
    };
    print_summary(&outcome, published.is_some());
    Ok(())
}

fn print_summary(outcome: &PlanOutcome, published: bool) {
    let plan = &outcome.plan;
    let s = &outcome.summary;
    let last = plan.start_date + chrono::Days::new(u64::from(plan.days.saturating_sub(1)));
    println!(
        "Kế hoạch / plan #{} · tổ / team {} · {} – {} ({} ngày / days) · {}",
        plan.id,
        plan.team_id,
        plan.start_date.format("%d/%m/%Y"),
        last.format("%d/%m/%Y"),
        plan.days,
        if published {
            "đã công bố / published"
        } else {
            "bản nháp / draft"
        }
    );
    println!("  lượt thăm / visits: {}", s.visits);
    let unmet: Vec<String> = s
        .unmet_by_reason
        .iter()
        .map(|(reason, n)| format!("{reason} {n}"))
        .collect();
    println!(
        "  chưa xếp được / unmet: {}",
        if unmet.is_empty() {
            "0".to_owned()
        } else {
            unmet.join(", ")
        }
    );
    println!(
        "  điểm ưu tiên / objective: {} · cận trên / upper bound: {}",
        s.objective, s.upper_bound
    );
    println!("  đi lại / travel: {} phút / min", s.travel_minutes);
    if s.approximate_locations > 0 {
        println!(
            "  {} hộ chưa có toạ độ, đặt ở trung tâm thôn / households without coordinates, placed at their village's centre",
            s.approximate_locations
        );
    }
    println!("  thời gian / time: {:.2} s", s.elapsed_ms as f64 / 1000.0);
}
