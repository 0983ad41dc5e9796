//! `doorstep tide`: tide heights and high and low waters of a station, and
//! the station catalog.
//!
//! Output is one JSON object per line; fields, their order and the number
//! format are fixed because other tools read them:
//! `{"at":"2026-01-01T00:00:00Z","height_m":1.2345}`,
//! `{"at":"…Z","kind":"high","height_m":1.2345}`, and for `--list`
//! `{"id":…,"name":…,"kind":"harmonic"|"secondary","reference":…,"approximate":…,"source":…,"license":…}`.
//! Times are UTC, heights metres above the station's datum with 4 decimals.
//! Notes for people (an approximate station) go to stderr. Bad input is
//! reported with what, where and what was expected, nothing is printed on
//! stdout, and the exit code is 2.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use doorstep_tide::{Catalog, Predictor, Station, parse_station};
use serde::Serialize;

/// Arguments of `doorstep tide`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Độ cao thủy triều, nước lớn và nước ròng của một trạm / \
             Tide heights and high and low waters of a station",
    after_help = "Độ cao thủy triều, nước lớn và nước ròng của một trạm; danh mục trạm.\n\
                  Tide heights and high and low waters of a station; the station catalog.\n\n\
                  Prints one JSON object per line (UTC, metres above the station's datum, 4 decimals):\n  \
                  heights:    {\"at\":\"2026-01-01T00:00:00Z\",\"height_m\":1.2345}\n  \
                  --extremes: {\"at\":\"2026-01-01T06:25:01Z\",\"kind\":\"high\",\"height_m\":1.4050}\n  \
                  --list:     {\"id\":\"lach-bang\",\"name\":\"…\",\"kind\":\"secondary\",\"reference\":\"vn_hon_dau\",\"approximate\":true,\"source\":\"…\",\"license\":\"…\"}\n\n\
                  Heights cover [--from, --to) every --step; extremes are every high and low water in\n\
                  [--from, --to), time to the second. Harmonic prediction follows NOAA/XTide conventions;\n\
                  a secondary station is its reference station corrected by time and height offsets.\n\
                  When the station is approximate (tạm tính), a note says so on stderr.\n\n\
                  Bad input (an unknown station, a bad station file, a bad date or step) is reported on\n\
                  stderr with the file, line, field and what was expected; the exit code is 2.\n\n\
                  Examples:\n  \
                  doorstep tide --list\n  \
                  doorstep tide --station vn_qui_nhon --from 2026-01-01 --to 2026-02-01\n  \
                  doorstep tide --station lach-bang --from 2026-01-01 --to 2026-01-08 --extremes\n  \
                  doorstep tide --station config/stations/vn_vung_tau.toml --from 2026-01-01T06:00:00Z --to 2026-01-02 --step 10m"
)]
pub struct Args {
    /// Station: a catalog id (e.g. lach-bang, vn_hon_dau) or the path of a station file (.toml).
    #[arg(
        long,
        value_name = "FILE_OR_ID",
        required_unless_present = "list",
        conflicts_with = "list"
    )]
    station: Option<String>,

    /// Start (included): YYYY-MM-DD (00:00 UTC) or RFC 3339 (2026-01-01T06:00:00Z, 2026-01-01T13:00:00+07:00).
    #[arg(long, value_name = "DATE", required_unless_present = "list")]
    from: Option<String>,

    /// End (excluded), same forms as --from.
    #[arg(long, value_name = "DATE", required_unless_present = "list")]
    to: Option<String>,

    /// Interval between heights: e.g. 60m (default), 1h, 10m, 30s, 1h30m.
    #[arg(
        long,
        value_name = "STEP",
        default_value = "60m",
        conflicts_with = "extremes"
    )]
    step: String,

    /// Print high and low waters instead of heights.
    #[arg(long)]
    extremes: bool,

    /// List the station catalog.
    #[arg(long)]
    list: bool,

    /// The catalog directory (its *.toml files).
    #[arg(long, value_name = "DIR", default_value = "config/stations")]
    stations: PathBuf,
}

use super::common::{Failure, write_lines};

fn bad(message: impl Into<String>) -> Failure {
    Failure::input(message)
}

/// Runs `doorstep tide`.
pub fn run(args: Args) -> ExitCode {
    match execute(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("doorstep tide: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn execute(args: &Args) -> Result<(), Failure> {
    if args.list {
        let catalog = load_catalog(&args.stations, None)?;
        let lines: Vec<String> = catalog.stations().iter().map(list_line).collect();
        return write_lines(lines.iter());
    }
    let (Some(station), Some(from), Some(to)) = (&args.station, &args.from, &args.to) else {
        return Err(bad("--station, --from and --to are required (or --list)"));
    };
    let from = parse_instant("--from", from)?;
    let to = parse_instant("--to", to)?;
    if to <= from {
        return Err(bad(format!(
            "--to {} is not after --from {}; expected an end later than the start",
            iso(to),
            iso(from)
        )));
    }
    let (station, predictor) = resolve(station, &args.stations)?;
    let info = station.info();
    if info.approximate {
        eprintln!(
            "lưu ý / note: trạm {} là tạm tính / station {} is approximate: {}",
            info.id, info.id, info.notes
        );
    }
    if args.extremes {
        let lines = predictor.extremes(from, to).into_iter().map(|e| {
            format!(
                "{{\"at\":\"{}\",\"kind\":\"{}\",\"height_m\":{}}}",
                iso(e.at),
                e.kind.as_str(),
                metres(e.height_m)
            )
        });
        return write_lines(lines);
    }
    let step = parse_step(&args.step)?;
    let count = usize::try_from((to - from).num_seconds().div_euclid(step)).unwrap_or(0)
        + usize::from((to - from).num_seconds() % step != 0);
    const MAX_LINES: usize = 50_000_000;
    if count > MAX_LINES {
        return Err(bad(format!(
            "{count} heights requested; expected at most {MAX_LINES} (use a larger --step or a shorter range)"
        )));
    }
    let heights = predictor.heights(from, step, count);
    let lines = heights.into_iter().enumerate().map(|(k, h)| {
        let at = from + chrono::Duration::seconds(step * k as i64);
        format!("{{\"at\":\"{}\",\"height_m\":{}}}", iso(at), metres(h))
    });
    write_lines(lines)
}

/// The station and its predictor, from a catalog id or a file path.
fn resolve(value: &str, dir: &Path) -> Result<(Station, Predictor), Failure> {
    let path = Path::new(value);
    let is_file =
        value.ends_with(".toml") || value.contains('/') || value.contains('\\') || path.is_file();
    if is_file {
        let text = fs::read_to_string(path).map_err(|e| {
            bad(format!("--station {value}: cannot read the station file: {e}; expected a station file (.toml) or a catalog id"))
        })?;
        let name = path.display().to_string();
        let station = parse_station(&name, &text).map_err(|e| bad(e.to_string()))?;
        return match &station {
            Station::Harmonic(h) => {
                let p = Predictor::harmonic(h);
                Ok((station, p))
            }
            Station::Secondary(_) => {
                let catalog = load_catalog(dir, Some((&name, &text)))?;
                let p = catalog.predictor(station.id()).ok_or_else(|| {
                    bad(format!("{name}: the reference station cannot be resolved"))
                })?;
                Ok((station, p))
            }
        };
    }
    let catalog = load_catalog(dir, None)?;
    let Some(station) = catalog.get(value) else {
        let ids: Vec<&str> = catalog.stations().iter().map(Station::id).collect();
        return Err(bad(format!(
            "--station {value}: unknown station in {}; expected a station file (.toml) or one of: {}",
            dir.display(),
            if ids.is_empty() {
                "(the catalog is empty)".to_owned()
            } else {
                ids.join(", ")
            }
        )));
    };
    let p = catalog.predictor(value).ok_or_else(|| {
        bad(format!(
            "--station {value}: the reference station cannot be resolved"
        ))
    })?;
    Ok((station.clone(), p))
}

/// The catalog of `dir` (the shipped one when `dir` does not exist); `extra`
/// (file name, text) replaces the catalog file with the same stem.
fn load_catalog(dir: &Path, extra: Option<(&str, &str)>) -> Result<Catalog, Failure> {
    doorstep_service::stations::load_with(dir, extra).map_err(bad)
}

#[derive(Serialize)]
struct ListLine<'a> {
    id: &'a str,
    name: &'a str,
    kind: &'a str,
    reference: Option<&'a str>,
    approximate: bool,
    source: &'a str,
    license: &'a str,
}

fn list_line(station: &Station) -> String {
    let info = station.info();
    let (kind, reference) = match station {
        Station::Harmonic(_) => ("harmonic", None),
        Station::Secondary(s) => ("secondary", Some(s.reference.as_str())),
    };
    serde_json::to_string(&ListLine {
        id: &info.id,
        name: &info.name,
        kind,
        reference,
        approximate: info.approximate,
        source: &info.source,
        license: &info.license,
    })
    .expect("strings serialise")
}

fn parse_instant(flag: &str, value: &str) -> Result<DateTime<Utc>, Failure> {
    let parsed = if value.len() == 10 {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
    } else {
        DateTime::parse_from_rfc3339(value)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    };
    let Some(t) = parsed else {
        return Err(bad(format!(
            "{flag} {value:?} is not a date; expected YYYY-MM-DD (00:00 UTC) or RFC 3339 such as 2026-01-01T06:00:00Z"
        )));
    };
    let year = chrono::Datelike::year(&t);
    if !(1800..=2199).contains(&year) {
        return Err(bad(format!(
            "{flag} {value}: year {year} is out of range; expected 1800 to 2199"
        )));
    }
    Ok(t)
}

/// Parses `60m`, `1h`, `30s`, `1h30m`, `90` (minutes) into seconds.
fn parse_step(value: &str) -> Result<i64, Failure> {
    let fail = || {
        bad(format!(
            "--step {value:?} is not a duration; expected a whole number of seconds, minutes or hours such as 60m, 1h, 10m, 30s, 1h30m"
        ))
    };
    let v = value.trim();
    if v.is_empty() {
        return Err(fail());
    }
    if let Ok(minutes) = v.parse::<i64>() {
        return if minutes > 0 {
            Ok(minutes * 60)
        } else {
            Err(fail())
        };
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut rest = v;
    while !rest.is_empty() {
        let c = rest.chars().next().ok_or_else(fail)?;
        if c.is_ascii_digit() {
            number.push(c);
            rest = &rest[1..];
            continue;
        }
        let (unit, len) = if rest.starts_with("min") {
            (60, 3)
        } else {
            match c {
                'h' => (3600, 1),
                'm' => (60, 1),
                's' => (1, 1),
                _ => return Err(fail()),
            }
        };
        let n: i64 = number.parse().map_err(|_| fail())?;
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(fail)?;
        number.clear();
        rest = &rest[len..];
    }
    if !number.is_empty() || total <= 0 {
        return Err(fail());
    }
    Ok(total)
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Metres with 4 decimals, never `-0.0000`.
fn metres(h: f64) -> String {
    let s = format!("{h:.4}");
    if s == "-0.0000" {
        "0.0000".to_owned()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        assert_eq!(parse_step("60m").ok(), Some(3600));
        assert_eq!(parse_step("1h30m").ok(), Some(5400));
        assert_eq!(parse_step("30s").ok(), Some(30));
        assert_eq!(parse_step("10min").ok(), Some(600));
        assert_eq!(parse_step("15").ok(), Some(900));
        for bad in ["", "0m", "-5m", "m", "5x", "1.5h", "5m3"] {
            assert!(parse_step(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metres_have_four_decimals() {
        assert_eq!(metres(1.23456), "1.2346");
        assert_eq!(metres(-0.00001), "0.0000");
        assert_eq!(metres(0.5), "0.5000");
    }
}
