//! `doorstep moon`: instants of the moon's phases.
//!
//! One JSON object per line, in time order, UTC to the whole second:
//! `{"phase":"full","at":"2026-01-03T10:02:55Z"}`.

use std::process::ExitCode;

use chrono::SubsecRound;
use doorstep_lunar::{END_INSTANT, FIRST_INSTANT, Phase, phases};
use serde::Serialize;

use super::lunar::print_lines;

/// Arguments of `doorstep moon`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Thời điểm trăng non, thượng huyền, trăng tròn, hạ huyền (UTC).
Instants of the new moon, first quarter, full moon and last quarter (UTC).

Output: one JSON object per line, in time order, UTC to the whole second:
  {\"phase\":\"full\",\"at\":\"2026-01-03T10:02:55Z\"}
Phases: new, first_quarter, full, last_quarter. The interval is [--from, --to); a date means
00:00 UTC of that day. Supported: 1800-01-01 to 2200-01-01. Instants come from the JPL DE423
ephemeris; in UTC they are as good as ΔT (under a second 1900–2026, growing after). Bad input:
a message, exit code 2.

Examples:
  doorstep moon --from 2026-01-01 --to 2027-01-01
  doorstep moon --from 2026-01-01 --to 2027-01-01 --phase full")]
pub struct Args {
    /// Start of the interval (included): YYYY-MM-DD (00:00 UTC) or an RFC 3339 instant.
    #[arg(long, value_name = "WHEN")]
    from: String,

    /// End of the interval (excluded): YYYY-MM-DD (00:00 UTC) or an RFC 3339 instant.
    #[arg(long, value_name = "WHEN")]
    to: String,

    /// Only these phases (repeatable): new, first_quarter, full, last_quarter.
    #[arg(long, value_name = "PHASE", value_parser = ["new", "first_quarter", "full", "last_quarter"])]
    phase: Vec<String>,
}

/// One output line; the field order is part of the format.
#[derive(Serialize)]
struct Line {
    phase: &'static str,
    at: String,
}

/// Runs `doorstep moon`.
pub fn run(args: Args) -> ExitCode {
    let instant = |flag: &str, value: &str| {
        super::common::parse_instant(flag, value, None, FIRST_INSTANT, END_INSTANT)
    };
    let from = instant("--from", &args.from);
    let to = instant("--to", &args.to);
    let (from, to) = match (from, to) {
        (Ok(f), Ok(t)) => (f, t),
        (f, t) => {
            for e in [f.err(), t.err()].into_iter().flatten() {
                eprintln!("doorstep moon: {e}");
            }
            return ExitCode::from(2);
        }
    };
    if from >= to {
        eprintln!(
            "doorstep moon: --to {} phải sau --from {} / --to {} must be after --from {}",
            args.to, args.from, args.to, args.from
        );
        return ExitCode::from(2);
    }
    let wanted: Vec<Phase> = args
        .phase
        .iter()
        .map(|p| p.parse().expect("clap checked the phase names"))
        .collect();
    let list = match phases(from, to) {
        Ok(list) => list,
        Err(e) => {
            eprintln!("doorstep moon: {e}");
            return ExitCode::from(2);
        }
    };
    let lines: Vec<Line> = list
        .into_iter()
        .filter(|p| wanted.is_empty() || wanted.contains(&p.phase))
        .map(|p| Line {
            phase: p.phase.as_str(),
            at: p
                .at
                .round_subsecs(0)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        })
        .collect();
    print_lines(&lines)
}
