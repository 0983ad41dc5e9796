//! `doorstep windows`: availability rules expanded into windows.
//!
//! Output is one JSON object per line, sorted by start; the fields, their
//! order and the time format are fixed because other tools read them:
//! `{"start":"2026-12-03T07:00:00+07:00","end":"2026-12-03T20:00:00+07:00","mode":"in_person"}`,
//! times in the `--timezone` zone with its offset. `--explain` writes the
//! rules in words on stderr and, when a rule gives nothing, which part
//! emptied it. Bad input is reported on stderr, every problem at once with
//! the file and the JSON path; nothing goes to stdout and the exit code is 2.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use doorstep_core::rules::{
    Blackout, ExpansionContext, Lang, Rule, RuleContext, RuleError, VisitMode, Window, describe,
    describe_blackout,
};
use doorstep_tide::Catalog;
use serde_json::Value;

/// Arguments of `doorstep windows`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Khung giờ gặp được từ quy tắc / Expand availability rules into windows",
    after_help = "\
Khung giờ gặp được (trực tiếp hoặc từ xa) từ quy tắc, trong [--from, --to).
The windows (in person or remote) of availability rules, in [--from, --to).

--rules FILE holds one rule, a list of rules, or {\"rules\": [...], \"blackouts\": [...]}:
  {\"mode\": \"in_person\",
   \"when\":   [{\"lunar_days\": [13, 18], \"hours\": [\"07:00\", \"20:00\"]}],
   \"except\": [{\"tide\": {\"station\": \"lach-bang\", \"near\": \"high\", \"within_minutes\": 90}}]}
Rules of the same mode are added together. The language: docs/availability.md.

Output: one JSON object per line, sorted by start, times in --timezone:
  {\"start\":\"2026-12-03T07:00:00+07:00\",\"end\":\"2026-12-03T20:00:00+07:00\",\"mode\":\"in_person\"}

--from and --to are dates YYYY-MM-DD (midnight in --timezone) or RFC 3339 instants; --to is
excluded. --timezone is the team's zone: the default zone of every term and of the output.
Tide stations come from --stations (config/stations/*.toml).

--explain writes each rule in words (Vietnamese, then English) on stderr and, when a rule gives
no window, the key or the exception that emptied it.

Bad input (bad JSON, an unknown key, zone or station, a lunar day outside 1-30, an empty or
inverted range, a bad date) is reported on stderr, every problem at once, with the file and
the JSON path (when[0].hours[1]: expected HH:MM, got \"25:00\"); exit code 2.

Examples:
  doorstep windows --rules crates/core/tests/data/rules/fishing-crew.json --from 2026-12-01 --to 2026-12-29
  doorstep windows --rules crates/core/tests/data/rules/korea.json --from 2026-12-01 --to 2026-12-29 --explain
  doorstep windows --rules rules.json --from 2026-10-20 --to 2026-10-30 --timezone Europe/Berlin"
)]
pub struct Args {
    /// The rules: a JSON file with one rule, a list of rules, or {"rules": […], "blackouts": […]}.
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,

    /// Start (included): YYYY-MM-DD (midnight in --timezone) or RFC 3339.
    #[arg(long, value_name = "DATE")]
    from: String,

    /// End (excluded), same forms as --from.
    #[arg(long, value_name = "DATE")]
    to: String,

    /// The team's IANA zone: the default of the rules and the zone of the output.
    #[arg(long, value_name = "ZONE", default_value = "Asia/Ho_Chi_Minh")]
    timezone: String,

    /// Blackout periods (a JSON list of {"label", "dates" | "between", "mode"?}) applied to every rule.
    #[arg(long, value_name = "FILE")]
    blackouts: Option<PathBuf>,

    /// Write the rules in words on stderr, and what emptied a rule that gives nothing.
    #[arg(long)]
    explain: bool,

    /// The station catalog directory (its *.toml files).
    #[arg(long, value_name = "DIR", default_value = "config/stations")]
    stations: PathBuf,
}

use super::common::{Failure, write_lines};

fn bad(message: impl Into<String>) -> Failure {
    Failure::input(message)
}

/// Runs `doorstep windows`.
pub fn run(args: Args) -> ExitCode {
    match execute(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            for line in f.message.lines() {
                eprintln!("doorstep windows: {line}");
            }
            ExitCode::from(f.code)
        }
    }
}

fn execute(args: &Args) -> Result<(), Failure> {
    let mut problems: Vec<String> = Vec::new();
    let zone: Option<Tz> = match args.timezone.parse() {
        Ok(z) => Some(z),
        Err(_) => {
            problems.push(format!(
                "--timezone {:?}: múi giờ không hợp lệ / unknown zone; expected an IANA zone such as Asia/Ho_Chi_Minh or Europe/Berlin",
                args.timezone
            ));
            None
        }
    };
    let from = parse_instant("--from", &args.from, zone, &mut problems);
    let to = parse_instant("--to", &args.to, zone, &mut problems);
    if let (Some(a), Some(b)) = (from, to)
        && b <= a
    {
        problems.push(format!(
            "--to {} is not after --from {}; expected an end later than the start",
            args.to, args.from
        ));
    }
    let (catalog, catalog_note) = load_catalog(&args.stations)?;
    let known = RuleContext::from_catalog(&catalog);
    let (rules, mut blackouts) = read_rules(&args.rules, &known, &mut problems);
    if let Some(path) = &args.blackouts {
        blackouts.extend(read_blackouts(path, &known, &mut problems));
    }
    if !problems.is_empty() {
        if let Some(note) = catalog_note
            && problems.iter().any(|p| p.contains("tide.station"))
        {
            problems.push(note);
        }
        return Err(bad(problems.join("\n")));
    }
    let (Some(zone), Some(from), Some(to)) = (zone, from, to) else {
        unreachable!("problems are reported above");
    };
    approximate_notes(&catalog, &rules, &blackouts);
    let ctx = ExpansionContext::new(from, to, zone, catalog).map_err(|e| bad(e.to_string()))?;

    let mut lines: Vec<(Window, VisitMode)> = Vec::new();
    for mode in [VisitMode::InPerson, VisitMode::Remote] {
        let mut windows: Vec<Window> = Vec::new();
        for (i, rule) in rules.iter().enumerate().filter(|(_, r)| r.mode == mode) {
            let got = ctx
                .expand_with(rule, &blackouts)
                .map_err(|e| bad(e.to_string()))?;
            if args.explain {
                explain(&ctx, i, rules.len(), rule, &blackouts, got.is_empty())?;
            }
            windows.extend(got);
        }
        lines.extend(merge(windows).into_iter().map(|w| (w, mode)));
    }
    if args.explain {
        for b in &blackouts {
            eprintln!(
                "tạm ngừng / blackout: {} / {}",
                describe_blackout(b, Lang::Vi),
                describe_blackout(b, Lang::En)
            );
        }
    }
    lines.sort_by_key(|(w, mode)| (w.start_minute(), *mode != VisitMode::InPerson));
    write_lines(lines.iter().map(|(w, mode)| {
        format!(
            "{{\"start\":\"{}\",\"end\":\"{}\",\"mode\":\"{}\"}}",
            local(w.start(), zone),
            local(w.end(), zone),
            mode.code()
        )
    }))
}

fn explain(
    ctx: &ExpansionContext,
    i: usize,
    count: usize,
    rule: &Rule,
    blackouts: &[Blackout],
    empty: bool,
) -> Result<(), Failure> {
    let name = if count > 1 {
        format!("rules[{i}]: ")
    } else {
        String::new()
    };
    eprintln!("{name}{}", describe(rule, Lang::Vi));
    eprintln!("{name}{}", describe(rule, Lang::En));
    if empty {
        eprintln!("{name}không có khung giờ nào trong khoảng này / no window in this horizon");
        for e in ctx
            .explain(rule, blackouts)
            .map_err(|e| bad(e.to_string()))?
        {
            eprintln!("  {e}");
        }
    }
    Ok(())
}

/// A note on stderr for each approximate station a rule uses, as `doorstep
/// tide` gives; stdout stays machine-readable.
fn approximate_notes(catalog: &Catalog, rules: &[Rule], blackouts: &[Blackout]) {
    let mut seen: Vec<&str> = Vec::new();
    let terms = rules
        .iter()
        .flat_map(|r| r.when.iter().chain(&r.except))
        .chain(blackouts.iter().map(|b| &b.term));
    for term in terms {
        let Some(tide) = &term.tide else { continue };
        if seen.contains(&tide.station.as_str()) {
            continue;
        }
        seen.push(&tide.station);
        if let Some(station) = catalog.get(&tide.station)
            && station.info().approximate
        {
            eprintln!(
                "lưu ý / note: trạm {0} là tạm tính, giờ nước lớn có thể lệch nhiều chục phút / \
                 station {0} is approximate, its high waters may be tens of minutes off (config/stations/README.md)",
                tide.station
            );
        }
    }
}

/// Sorted windows, overlapping or touching ones joined.
fn merge(mut windows: Vec<Window>) -> Vec<Window> {
    windows.sort();
    let mut out: Vec<Window> = Vec::with_capacity(windows.len());
    for w in windows {
        match out.last_mut() {
            Some(last) if w.start_minute() <= last.end_minute() => {
                if w.end_minute() > last.end_minute() {
                    *last = Window::new(last.start(), w.end()).unwrap_or(*last);
                }
            }
            _ => out.push(w),
        }
    }
    out
}

fn local(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn read_json(path: &Path, problems: &mut Vec<String>) -> Option<Value> {
    let name = path.display();
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            problems.push(format!(
                "{name}: cannot read: {e}; expected a JSON file of rules"
            ));
            return None;
        }
    };
    match serde_json::from_str(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(format!(
                "{name}:{}:{}: JSON không hợp lệ / not valid JSON: {e}",
                e.line(),
                e.column()
            ));
            None
        }
    }
}

fn report(path: &Path, prefix: &str, errors: Vec<RuleError>, problems: &mut Vec<String>) {
    for mut e in errors {
        if !prefix.is_empty() {
            e.path = if e.path == "(root)" {
                prefix.to_owned()
            } else if e.path.starts_with('[') {
                format!("{prefix}{}", e.path)
            } else {
                format!("{prefix}.{}", e.path)
            };
        }
        problems.push(format!("{}: {}", path.display(), e.bilingual()));
    }
}

/// The rules (and blackouts) of a rules file, every problem reported.
fn read_rules(
    path: &Path,
    known: &RuleContext,
    problems: &mut Vec<String>,
) -> (Vec<Rule>, Vec<Blackout>) {
    let Some(value) = read_json(path, problems) else {
        return (Vec::new(), Vec::new());
    };
    let mut rules = Vec::new();
    let mut blackouts = Vec::new();
    let mut rule_list = |items: &[Value], prefix: &str, problems: &mut Vec<String>| {
        if items.is_empty() {
            problems.push(format!(
                "{}: {}: danh sách quy tắc rỗng / no rules; expected at least one rule",
                path.display(),
                if prefix.is_empty() { "(root)" } else { prefix }
            ));
        }
        for (i, item) in items.iter().enumerate() {
            match Rule::parse(item, known) {
                Ok(r) => rules.push(r),
                Err(errors) => report(path, &format!("{prefix}[{i}]"), errors, problems),
            }
        }
    };
    match &value {
        Value::Array(items) => rule_list(items, "", problems),
        Value::Object(map) if map.contains_key("rules") || map.contains_key("blackouts") => {
            for key in map.keys().filter(|k| *k != "rules" && *k != "blackouts") {
                problems.push(format!(
                    "{}: {key}: khóa không hợp lệ / unknown key; expected rules, blackouts",
                    path.display()
                ));
            }
            match map.get("rules") {
                Some(Value::Array(items)) => rule_list(items, "rules", problems),
                _ => problems.push(format!(
                    "{}: rules: expected a list of rules",
                    path.display()
                )),
            }
            if let Some(b) = map.get("blackouts") {
                blackouts = blackout_list(path, "blackouts", b, known, problems);
            }
        }
        single => match Rule::parse(single, known) {
            Ok(r) => rules.push(r),
            Err(errors) => report(path, "", errors, problems),
        },
    }
    (rules, blackouts)
}

fn read_blackouts(path: &Path, known: &RuleContext, problems: &mut Vec<String>) -> Vec<Blackout> {
    match read_json(path, problems) {
        Some(v) => blackout_list(path, "", &v, known, problems),
        None => Vec::new(),
    }
}

fn blackout_list(
    path: &Path,
    prefix: &str,
    value: &Value,
    known: &RuleContext,
    problems: &mut Vec<String>,
) -> Vec<Blackout> {
    let Some(items) = value.as_array() else {
        problems.push(format!(
            "{}: {}: expected a list of blackout periods",
            path.display(),
            if prefix.is_empty() { "(root)" } else { prefix }
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match Blackout::parse(item, known) {
            Ok(b) => out.push(b),
            Err(errors) => report(path, &format!("{prefix}[{i}]"), errors, problems),
        }
    }
    out
}

/// The catalog of `dir` (the shipped one when `dir` does not exist).
fn load_catalog(dir: &Path) -> Result<(Catalog, Option<String>), Failure> {
    doorstep_service::stations::load(dir)
        .map(|c| (c, None))
        .map_err(bad)
}

/// A date (midnight in `zone`) or an RFC 3339 instant, in the years the
/// lunar calendar covers; a problem is added to `problems` otherwise.
fn parse_instant(
    flag: &str,
    value: &str,
    zone: Option<Tz>,
    problems: &mut Vec<String>,
) -> Option<DateTime<Utc>> {
    let (first, last) = super::common::years(1801, 2198);
    super::common::parse_instant(flag, value, zone, first, last)
        .map_err(|e| problems.push(e))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_are_midnight_in_the_zone() {
        let mut problems = Vec::new();
        let t = parse_instant(
            "--from",
            "2026-12-01",
            Some(chrono_tz::Asia::Ho_Chi_Minh),
            &mut problems,
        );
        assert_eq!(
            t,
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap())
        );
        assert!(parse_instant("--to", "2026-13-01", None, &mut problems).is_none());
        assert_eq!(problems.len(), 1);
    }
}
