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

use chrono::{DateTime, Utc};
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
                  --extremes: {\"at\":\"2026-01-01T06:25:01Z\",\"kind\":\"high\",\"height_m\":1.4050,\"flat\":false}\n  \
                  --list:     {\"id\":\"lach-bang\",\"name\":\"…\",\"kind\":\"secondary\",\"reference\":\"vn_hon_dau\",\"approximate\":true,\"source\":\"…\",\"license\":\"…\"}\n\n\
                  Heights cover [--from, --to) every --step; extremes are every high and low water in\n\
                  [--from, --to), time to the second; \"flat\" when the tide rises or falls less than\n\
                  0.3 m to the extreme before or after it: its time is ill-defined, and a rule near\n\
                  it is widened by 60 minutes each side. Harmonic prediction follows NOAA/XTide conventions;\n\
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
#[command(subcommand_negates_reqs = true, args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,

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

/// What `doorstep tide` does besides predicting.
#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Lập trạm từ nước lớn, nước ròng đã ghi / Fit a station to written-down high and low waters.
    Fit(fit::FitArgs),
}

/// Runs `doorstep tide`.
pub fn run(args: Args) -> ExitCode {
    let result = match &args.action {
        Some(Action::Fit(fit_args)) => fit::execute(fit_args),
        None => execute(&args),
    };
    match result {
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
    let (first, last) = super::common::years(1800, 2199);
    let from = super::common::parse_instant("--from", from, None, first, last).map_err(bad)?;
    let to = super::common::parse_instant("--to", to, None, first, last).map_err(bad)?;
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
        let lines = predictor
            .horizon(from, to)
            .extremes_flagged()
            .into_iter()
            .map(|(e, flat)| {
                format!(
                    "{{\"at\":\"{}\",\"kind\":\"{}\",\"height_m\":{},\"flat\":{flat}}}",
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

/// `doorstep tide fit`: a station fitted to a CSV of written-down high and
/// low waters, written as a station file.
mod fit {
    use std::fs;
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use chrono_tz::Tz;
    use doorstep_service::tide_fit::{
        FitFailure, FitRequest, fit_station, report, summary, valid_station_id,
    };
    use doorstep_tide::{HarmonicStation, Station, file_stem, parse_station};

    use super::{Failure, bad, load_catalog};

    /// Arguments of `doorstep tide fit`.
    #[derive(Debug, clap::Args)]
    #[command(
        after_help = "Lập hằng số điều hòa của một cảng từ nước lớn, nước ròng đã ghi (hai tuần trở lên).\n\
                      Fits a port's harmonic constants to its written-down high and low waters (two weeks or more).\n\n\
                      The CSV has a header and one high or low water a row:\n  \
                      thời gian,loại,độ cao (m)          time,kind,height_m\n  \
                      2026-03-02 05:40,nước lớn,2.35     2026-03-02T05:40+07:00,high,2.35\n  \
                      2026-03-02 17:55,nước ròng,0.40    2026-03-02T10:55Z,low,\n\
                  time: ISO 8601 with an offset (Z, +07:00), or without one in --timezone\n\
                  (YYYY-MM-DD HH:MM[:SS] or DD/MM/YYYY HH:MM); kind: high/low or nước lớn/nước ròng;\n\
                  the height (metres on the staff or the table) may be left empty on some rows.\n\n\
                  Writes the station file --out (id = its file name, approximate = true, the fit's\n\
                  provenance and grade in source and notes) only when the fit succeeds; prints a\n\
                  report on stderr and one JSON line on stdout. Bad rows are named by file, line and\n\
                  field; the exit code is then 2 and nothing is written.\n\n\
                  Example:\n  \
                  doorstep tide fit --observations lach-bang.csv --latitude 19.37 --longitude 105.80 \\\n    \
                  --out config/stations/lach-bang.toml --name \"Lạch Bạng\""
    )]
    pub struct FitArgs {
        /// The CSV of observed high and low waters (time, kind, height).
        #[arg(long, value_name = "FILE.csv")]
        observations: PathBuf,

        /// The port's latitude, degrees north.
        #[arg(long, value_name = "LAT", allow_hyphen_values = true)]
        latitude: f64,

        /// The port's longitude, degrees east.
        #[arg(long, value_name = "LON", allow_hyphen_values = true)]
        longitude: Option<f64>,

        /// The station file to write (its name is the station's id).
        #[arg(long, value_name = "PORT.toml")]
        out: PathBuf,

        /// A station (catalog id or .toml file) whose ratios give the inferred constituents.
        #[arg(long, value_name = "ID")]
        reference: Option<String>,

        /// The station's name (default: the id).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,

        /// The zone of times written without an offset.
        #[arg(long, value_name = "IANA", default_value = "Asia/Ho_Chi_Minh")]
        timezone: String,

        /// The catalog directory (for --reference).
        #[arg(long, value_name = "DIR", default_value = "config/stations")]
        stations: PathBuf,
    }

    pub fn execute(args: &FitArgs) -> Result<(), Failure> {
        let zone: Tz = args.timezone.parse().map_err(|_| {
            bad(format!(
                "--timezone {:?}: không phải múi giờ IANA / is not an IANA zone; expected e.g. Asia/Ho_Chi_Minh",
                args.timezone
            ))
        })?;
        if !(-90.0..=90.0).contains(&args.latitude) {
            return Err(bad(format!(
                "--latitude {}: ngoài khoảng / out of range; expected degrees north in [-90, 90]",
                args.latitude
            )));
        }
        if let Some(lon) = args.longitude
            && !(-180.0..=360.0).contains(&lon)
        {
            return Err(bad(format!(
                "--longitude {lon}: ngoài khoảng / out of range; expected degrees east in [-180, 360]"
            )));
        }
        let out_name = args.out.display().to_string();
        if !out_name.ends_with(".toml") {
            return Err(bad(format!(
                "--out {out_name}: cần tệp .toml / expected a station file name ending in .toml (its name is the station's id)"
            )));
        }
        let id = file_stem(&out_name).to_owned();
        if !valid_station_id(&id) {
            return Err(bad(format!(
                "--out {out_name}: tên tệp \"{id}\" không dùng làm mã trạm được / the file name \"{id}\" is not a valid station id; expected ASCII letters, digits, '_' or '-' (e.g. lach-bang.toml)"
            )));
        }
        let reference = match &args.reference {
            None => None,
            Some(r) => Some(reference_station(r, &args.stations)?),
        };
        let file = args.observations.display().to_string();
        let text = fs::read_to_string(&args.observations).map_err(|e| {
            bad(format!(
                "{file}: không đọc được / cannot read: {e}; expected a CSV file of high and low waters (time,kind,height_m)"
            ))
        })?;
        let fitted = fit_station(&FitRequest {
            id: &id,
            name: args.name.as_deref(),
            latitude: args.latitude,
            longitude: args.longitude,
            zone,
            file: &file,
            csv: &text,
            reference: reference.as_ref(),
        })
        .map_err(|failure| match failure {
            FitFailure::Options(problems) | FitFailure::Rows(problems) => bad(problems.join("\n")),
            FitFailure::Fit(problem) => bad(problem),
        })?;
        write_atomically(&args.out, &fitted.station_file)?;
        eprint!("{}", report(&id, &out_name, &fitted.fit));
        println!("{}", summary(&id, &out_name, &fitted.fit));
        Ok(())
    }

    fn reference_station(value: &str, dir: &Path) -> Result<HarmonicStation, Failure> {
        let is_file = value.ends_with(".toml") || value.contains('/') || value.contains('\\');
        let station = if is_file {
            let text = fs::read_to_string(value).map_err(|e| {
                bad(format!(
                    "--reference {value}: không đọc được / cannot read: {e}; expected a station file (.toml) or a catalog id"
                ))
            })?;
            parse_station(value, &text).map_err(|e| bad(e.to_string()))?
        } else {
            let catalog = load_catalog(dir, None)?;
            catalog.get(value).cloned().ok_or_else(|| {
                bad(format!(
                    "--reference {value}: không có trong danh mục / unknown station in {}; expected a catalog id or a station file (.toml)",
                    dir.display()
                ))
            })?
        };
        match station {
            Station::Harmonic(h) => Ok(h),
            Station::Secondary(_) => Err(bad(format!(
                "--reference {value}: là trạm phụ, không có hằng số điều hòa / is a secondary station without harmonic constants; expected a harmonic station such as vn_hon_dau"
            ))),
        }
    }

    fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path.display();
        let fail = |e: std::io::Error| {
            Failure::input(format!(
                "--out {name}: không ghi được / cannot write: {e}; expected a writable folder"
            ))
        };
        let mut tmp = tempfile_in(dir).map_err(fail)?;
        tmp.1.write_all(text.as_bytes()).map_err(fail)?;
        tmp.1.sync_all().map_err(fail)?;
        drop(tmp.1);
        fs::rename(&tmp.0, path).map_err(|e| {
            let _ = fs::remove_file(&tmp.0);
            fail(e)
        })
    }

    /// A new file next to the destination, with a name no one else uses.
    fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, fs::File)> {
        let pid = std::process::id();
        for k in 0..1000 {
            let path = dir.join(format!(".doorstep-tide-fit-{pid}-{k}.tmp"));
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(f) => return Ok((path, f)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free temporary file name"))
    }
}
