//! Plans instance files and prints objective, travel, time and the checker's
//! verdict: `cargo bench -p doorstep-scheduler --bench plan -- FILE… [--time-limit S]
//! [--threads N] [--seed N] [--iterations N] [--out DIR]`.

use std::time::{Duration, Instant};

use doorstep_scheduler::{Instance, Params, Problem, checker, plan};

fn main() {
    let mut files = Vec::new();
    let mut params = Params {
        time_limit: Some(Duration::from_secs(2)),
        ..Params::default()
    };
    let mut out: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("a value after the option");
        match a.as_str() {
            "--time-limit" => {
                params.time_limit = Some(Duration::from_secs_f64(val().parse().expect("seconds")))
            }
            "--threads" => params.threads = val().parse().expect("a count"),
            "--seed" => params.seed = val().parse().expect("a number"),
            "--iterations" => {
                params.max_iterations = Some(val().parse().expect("a count"));
                params.time_limit = None;
            }
            "--balance" => params.balance = true,
            "--hint" => {
                let text = std::fs::read_to_string(val()).expect("readable hint");
                params.hint = Some(serde_json::from_str(&text).expect("a plan"));
            }
            "--out" => out = Some(val()),
            "--bench" => {}
            _ => files.push(a),
        }
    }
    println!(
        "{:<24} {:>9} {:>7} {:>7} {:>8} {:>9} {:>7}",
        "instance", "objective", "bound", "travel", "visits", "iters", "secs"
    );
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable instance");
        let inst: Instance = serde_json::from_str(&text).expect("an instance");
        let t0 = Instant::now();
        let problem = Problem::new(&inst).expect("a valid instance");
        let result = plan(&problem, &params);
        let secs = t0.elapsed().as_secs_f64();
        let verdict = match checker::check(&inst, &result) {
            Ok(s) => {
                assert_eq!(s.objective, result.stats.objective);
                assert_eq!(s.travel_minutes, result.stats.travel_minutes);
                "valid".to_owned()
            }
            Err(v) => format!("INVALID {:?}", &v[..v.len().min(3)]),
        };
        let name = std::path::Path::new(&f)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<24} {:>9} {:>7} {:>7} {:>8} {:>9} {:>7.2} {}",
            name,
            result.stats.objective,
            result.stats.upper_bound,
            result.stats.travel_minutes,
            result.stats.visits,
            result.stats.iterations,
            secs,
            verdict
        );
        if let Some(dir) = &out {
            let path = format!("{dir}/{name}.plan.json");
            std::fs::write(&path, serde_json::to_string_pretty(&result).expect("json"))
                .expect("writable");
        }
    }
}
