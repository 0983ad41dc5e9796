//! `doorstep plan`: plans a stored team's visits (`--team`), every team
//! under an area as a resumable run of jobs (`--area`, see
//! docs/planning-at-scale.md), or plans visits for an instance file
//! (`--input`, the benchmark format, see docs/planning.md) and writes the
//! plan as JSON.
//!
//! Exit codes: 0 planned, 2 bad input (every instance error is listed with
//! its JSON path), 1 anything else (e.g. the output cannot be written).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use doorstep_scheduler::{Instance, Params, Plan, Problem, Reason, checker};

use super::common::Failure;

/// Arguments of `doorstep plan`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Plan visits for an instance file / Lập kế hoạch thăm hộ từ tệp bài toán",
    long_about = "Plan visits for an instance file (volunteers with shifts, households with windows, \
                  priorities and needs) and write the plan as JSON: visits, and every household left \
                  out with its reason (no_skill, no_window, no_capacity) in Vietnamese and English. \
                  Progress and figures go to stderr. The format is described in docs/planning.md.",
    after_help = "Examples:\n  doorstep plan --team 1 --from 2026-12-01 --days 28 --time-limit 3 --publish\n  \
                  doorstep plan --area 1 --from 2026-12-07 --days 28 --workers 2\n  \
                  doorstep plan --input team.json --time-limit 10 --output plan.json\n  \
                  doorstep plan --input team.json --explain H0042\n  \
                  doorstep plan --input team.json --hint last_plan.json --output plan.json\n\n\
                  Exit codes: 0 planned, 2 bad input, 1 other failure."
)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["input", "team", "area"])))]
pub struct Args {
    /// Instance file (JSON).
    #[arg(long, value_name = "INSTANCE.json")]
    pub input: Option<PathBuf>,
    /// Plan this stored team (its members, households, rules and blackouts)
    /// and save the plan as a draft.
    #[arg(long, value_name = "TEAM_ID", requires_all = ["from", "days"], conflicts_with_all = ["input", "output", "explain", "hint", "iterations"])]
    pub team: Option<i32>,
    /// Plan every team under this area (teams in parallel, each saved in
    /// its own transaction), as a run that a second call with the same
    /// area, days and first day resumes; prints progress and a summary.
    #[arg(long, value_name = "AREA_ID", requires_all = ["from", "days"], conflicts_with_all = ["input", "output", "explain", "hint", "iterations", "threads", "balance"])]
    pub area: Option<i32>,
    /// With --team or --area: the first day, YYYY-MM-DD in the team's calendar.
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with = "input")]
    pub from: Option<String>,
    /// With --team or --area: how many days.
    #[arg(long, value_name = "N", conflicts_with = "input")]
    pub days: Option<u32>,
    /// With --team or --area: publish the plans, so that the volunteers'
    /// lists and calendar feeds show them.
    #[arg(long, conflicts_with = "input")]
    pub publish: bool,
    /// With --area: workers in this process, each planning one team at a
    /// time (default: planning.workers, 0 there = one per core); 0 only
    /// opens the run, for `doorstep worker` processes.
    #[arg(long, value_name = "K", requires = "area")]
    pub workers: Option<usize>,
    /// Search time in seconds; the best plan found by then is returned
    /// (default 10 with --input, the configured planning.time_limit_s with
    /// --team; with --area, per team, default planning.area_time_limit_s).
    #[arg(long, value_name = "SECONDS")]
    pub time_limit: Option<f64>,
    /// Seed of the search's random choices.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Search threads (default: 2, or 1 on a single core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Stop after this many iterations per thread instead of at the time
    /// limit: the same seed, threads and iterations give the same plan.
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,
    /// Where to write the plan (default: standard output, unless --explain).
    #[arg(long, value_name = "PLAN.json")]
    pub output: Option<PathBuf>,
    /// Print why this household is visited when it is, or left out.
    #[arg(long, value_name = "HOUSEHOLD_ID")]
    pub explain: Option<String>,
    /// A previous plan: keep its visits where possible (re-planning after a change).
    #[arg(long, value_name = "PLAN.json")]
    pub hint: Option<PathBuf>,
    /// Spread visits evenly over volunteers when priorities allow.
    #[arg(long)]
    pub balance: bool,
}

fn bad_input(message: String) -> Failure {
    Failure::input(message)
}

fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    what_vi: &str,
    what_en: &str,
) -> Result<T, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        bad_input(format!(
            "không đọc được {what_vi} {} / cannot read the {what_en} {}: {e}",
            path.display(),
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        bad_input(format!(
            "{}:{}:{}: {what_vi} không đúng định dạng / not a valid {what_en}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

/// Runs `doorstep plan`.
pub fn run(args: Args) -> ExitCode {
    if let Some(area) = args.area {
        return super::plan_area::run(&super::plan_area::AreaArgs {
            area,
            from: args.from.clone(),
            days: args.days,
            time_limit: args.time_limit,
            seed: args.seed,
            publish: args.publish,
            workers: args.workers,
        });
    }
    if let Some(team) = args.team {
        return super::plan_team::run(&super::plan_team::TeamArgs {
            team,
            from: args.from.clone(),
            days: args.days,
            time_limit: args.time_limit,
            seed: args.seed,
            threads: args.threads,
            publish: args.publish,
        });
    }
    match run_inner(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("doorstep plan: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run_inner(args: &Args) -> Result<(), Failure> {
    let t0 = Instant::now();
    let input = args
        .input
        .as_deref()
        .expect("clap requires --input or --team");
    let time_limit = args.time_limit.unwrap_or(10.0);
    if !(time_limit.is_finite() && time_limit >= 0.0) {
        return Err(bad_input(format!(
            "--time-limit phải là số giây không âm / must be a non-negative number of seconds, got {time_limit}"
        )));
    }
    let instance: Instance = read_json(input, "tệp bài toán", "instance file")?;
    let problem = Problem::new(&instance).map_err(|e| {
        let lines: Vec<String> =
            e.0.iter()
                .map(|x| format!("  {}: {}", x.path, x.message))
                .collect();
        bad_input(format!(
            "{}: {} lỗi trong bài toán / error(s) in the instance:\n{}",
            input.display(),
            e.0.len(),
            lines.join("\n")
        ))
    })?;
    if let Some(id) = &args.explain
        && !instance.households.iter().any(|h| &h.id == id)
    {
        return Err(bad_input(format!(
            "--explain: không có hộ {id:?} trong {} / no household {id:?} in the instance",
            input.display()
        )));
    }
    let hint: Option<Plan> = match &args.hint {
        Some(path) => Some(read_json(path, "kế hoạch gợi ý", "hint plan")?),
        None => None,
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(2)))
        .max(1);
    let params = Params {
        // the limit covers reading and checking the instance, and writing
        // the plan and its reasons afterwards (about 1 % of the search)
        time_limit: if args.iterations.is_some() {
            None
        } else {
            let after = Duration::from_secs_f64(0.01 * time_limit + 0.03);
            Some(Duration::from_secs_f64(time_limit).saturating_sub(t0.elapsed() + after))
        },
        max_iterations: args.iterations,
        seed: args.seed,
        threads,
        hint,
        keep: doorstep_scheduler::Keep::EXACT,
        balance: args.balance,
    };
    eprintln!(
        "đang lập kế hoạch / planning {}: {} hộ / households, {} thành viên / volunteers, {} luồng / threads, {}",
        if instance.name.is_empty() {
            input.display().to_string()
        } else {
            instance.name.clone()
        },
        instance.households.len(),
        instance.volunteers.len(),
        threads,
        match args.iterations {
            Some(n) => format!("{n} vòng lặp / iterations"),
            None => format!("{time_limit} s"),
        }
    );
    let plan = doorstep_scheduler::plan(&problem, &params);
    let elapsed = t0.elapsed().as_secs_f64();

    // the independent checker guards every plan written
    if let Err(v) = checker::check(&instance, &plan) {
        let lines: Vec<String> = v
            .iter()
            .take(10)
            .map(|x| format!("  [{}] {}", x.code, x.message))
            .collect();
        return Err(Failure::other(format!(
            "kế hoạch không hợp lệ (lỗi nội bộ) / internal error, invalid plan:\n{}",
            lines.join("\n")
        )));
    }

    let s = &plan.stats;
    let count = |r: Reason| plan.unmet.iter().filter(|u| u.reason == r).count();
    eprintln!(
        "mục tiêu / objective {} (cận trên / upper bound {}, {:.1} %), {} lượt thăm / visits, đi lại / travel {} min, \
         chưa thăm / unmet: {} no_capacity, {} no_window, {} no_skill; lượt/thành viên / visits per volunteer {}–{}; \
         {} vòng lặp / iterations, {:.2} s",
        s.objective,
        s.upper_bound,
        if s.upper_bound > 0 {
            100.0 * s.objective as f64 / s.upper_bound as f64
        } else {
            100.0
        },
        s.visits,
        s.travel_minutes,
        count(Reason::NoCapacity),
        count(Reason::NoWindow),
        count(Reason::NoSkill),
        s.visits_per_volunteer_min,
        s.visits_per_volunteer_max,
        s.iterations,
        elapsed
    );
    if let (Some(kept), Some(total)) = (s.hint_kept, s.hint_total) {
        eprintln!("giữ từ kế hoạch cũ / kept from the hint: {kept} / {total} lượt thăm / visits");
    }

    let json = serde_json::to_string_pretty(&plan).map_err(|e| Failure::other(e.to_string()))?;
    match &args.output {
        Some(path) => std::fs::write(path, json + "\n").map_err(|e| {
            Failure::other(format!(
                "không ghi được / cannot write {}: {e}",
                path.display()
            ))
        })?,
        None if args.explain.is_none() => println!("{json}"),
        None => {}
    }
    if let Some(id) = &args.explain
        && let Some((vi, en)) = doorstep_scheduler::explain(&problem, &plan, id)
    {
        println!("{id}: {vi}\n{id}: {en}");
    }
    Ok(())
}
