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

    use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
    use chrono_tz::Tz;
    use doorstep_tide::{
        ExtremeKind, Fit, FitOptions, HarmonicStation, InferenceSource, Observation, Station,
        StationInfo, file_stem, fit_extremes, parse_station,
    };

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
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
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
        let observations =
            parse_observations(&file, &text, zone).map_err(|problems| bad(problems.join("\n")))?;
        let options = FitOptions {
            reference: reference.as_ref(),
            ..FitOptions::default()
        };
        let fit = fit_extremes(&observations, &options)
            .map_err(|e| bad(format!("{file}: {}", fit_error_vi_en(&e))))?;
        let station_text = station_file(args, &id, &file, &fit, reference.as_ref());
        // The file is read back as any station file before it is written.
        parse_station(&out_name, &station_text)
            .map_err(|e| Failure::other(format!("the fitted station does not read back: {e}")))?;
        write_atomically(&args.out, &station_text)?;
        eprint!("{}", report(&id, &out_name, &fit));
        println!("{}", summary_line(&id, &out_name, &fit));
        Ok(())
    }

    fn fit_error_vi_en(e: &doorstep_tide::FitError) -> String {
        use doorstep_tide::FitError as E;
        let vi = match e {
            E::TooFew { count, needed } => format!(
                "chỉ có {count} lần nước lớn, nước ròng; cần ít nhất {needed} (tốt nhất hai tuần trở lên)"
            ),
            E::TooFewHeights { count, needed } => {
                format!("chỉ {count} dòng có độ cao; cần ít nhất {needed}")
            }
            E::TooShort { days, needed } => {
                format!("các lần ghi chỉ trải {days:.1} ngày; cần ít nhất {needed:.0} ngày")
            }
            E::NotInOrder { index, .. } => format!(
                "lần ghi thứ {} không sau lần trước; cần ghi theo thứ tự thời gian, mỗi lần một dòng",
                index + 1
            ),
            E::BadHeight { index } => format!("lần ghi thứ {} có độ cao không phải số", index + 1),
            E::Undetermined => {
                "các lần ghi không đủ để xác định thủy triều (lặp lại nhau); cần ghi rải đều nhiều ngày"
                    .to_owned()
            }
        };
        format!("{vi} / {e}")
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

    /// Which column holds what.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Column {
        Time,
        Kind,
        Height,
    }

    fn column_of(header: &str) -> Option<Column> {
        let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
        let h = h.replace(['_', '-'], " ");
        let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
        match h.as_str() {
            "time" | "at" | "thời gian" | "thoi gian" | "thời điểm" | "thoi diem" | "giờ"
            | "gio" => Some(Column::Time),
            "kind" | "type" | "loại" | "loai" | "nước" | "nuoc" => Some(Column::Kind),
            "height m" | "height" | "height (m)" | "độ cao" | "do cao" | "độ cao (m)"
            | "do cao (m)" | "độ cao m" | "do cao m" | "chiều cao" | "chieu cao" => {
                Some(Column::Height)
            }
            _ => None,
        }
    }

    /// Splits one CSV line (commas, double quotes).
    fn split_csv(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(std::mem::take(&mut field)),
                _ => field.push(c),
            }
        }
        out.push(field);
        out
    }

    fn parse_kind(value: &str) -> Option<ExtremeKind> {
        let v = value.trim().to_lowercase();
        match v.split_whitespace().collect::<Vec<_>>().join(" ").as_str() {
            "high" | "hw" | "h" | "nước lớn" | "nuoc lon" | "lớn" | "lon" | "cao" => {
                Some(ExtremeKind::High)
            }
            "low" | "lw" | "l" | "nước ròng" | "nuoc rong" | "ròng" | "rong" | "nước cạn"
            | "nuoc can" | "thấp" | "thap" => Some(ExtremeKind::Low),
            _ => None,
        }
    }

    fn parse_time(value: &str, zone: Tz) -> Option<DateTime<Utc>> {
        let v = value.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(v) {
            return Some(t.with_timezone(&Utc));
        }
        for format in [
            "%Y-%m-%dT%H:%M%:z",
            "%Y-%m-%d %H:%M%:z",
            "%Y-%m-%d %H:%M:%S%:z",
        ] {
            if let Ok(t) = DateTime::parse_from_str(v, format) {
                return Some(t.with_timezone(&Utc));
            }
        }
        if let Some(rest) = v.strip_suffix('Z')
            && let Some(t) = naive(rest)
        {
            return Some(t.and_utc());
        }
        let local = naive(v)?;
        zone.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    fn naive(v: &str) -> Option<NaiveDateTime> {
        for format in [
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%d/%m/%Y %H:%M:%S",
            "%d/%m/%Y %H:%M",
        ] {
            if let Ok(t) = NaiveDateTime::parse_from_str(v, format) {
                return Some(t);
            }
        }
        None
    }

    /// Reads the CSV; every bad row is named.
    pub(super) fn parse_observations(
        file: &str,
        text: &str,
        zone: Tz,
    ) -> Result<Vec<Observation>, Vec<String>> {
        let mut problems = Vec::new();
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(k, l)| (k + 1, l))
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        let Some((header_line, header)) = lines.next() else {
            return Err(vec![format!(
                "{file}: tệp trống / the file is empty; expected a header (thời gian,loại,độ cao (m) or time,kind,height_m) and one high or low water a row"
            )]);
        };
        let headers = split_csv(header);
        let mut columns: Vec<Option<Column>> = Vec::new();
        for (k, h) in headers.iter().enumerate() {
            let c = column_of(h);
            if c.is_none() && !h.trim().is_empty() {
                problems.push(format!(
                    "{file}:{header_line}: cột {} \"{}\": không rõ cột này / unknown column; expected time (thời gian), kind (loại), height_m (độ cao (m))",
                    k + 1,
                    h.trim()
                ));
            }
            if c.is_some() && columns.contains(&c) {
                problems.push(format!(
                    "{file}:{header_line}: cột \"{}\" lặp lại / column appears twice",
                    h.trim()
                ));
            }
            columns.push(c);
        }
        let position = |c: Column| columns.iter().position(|x| *x == Some(c));
        let (time_col, kind_col, height_col) = (
            position(Column::Time),
            position(Column::Kind),
            position(Column::Height),
        );
        for (col, name) in [(time_col, "time (thời gian)"), (kind_col, "kind (loại)")] {
            if col.is_none() {
                problems.push(format!(
                    "{file}:{header_line}: thiếu cột / missing column {name}; expected a header such as time,kind,height_m or thời gian,loại,độ cao (m)"
                ));
            }
        }
        let (Some(time_col), Some(kind_col)) = (time_col, kind_col) else {
            return Err(problems);
        };
        let mut out: Vec<(usize, Observation)> = Vec::new();
        for (line, raw) in lines {
            let fields = split_csv(raw);
            let get = |k: usize| fields.get(k).map(|s| s.trim()).unwrap_or("");
            let time_text = get(time_col);
            let at = parse_time(time_text, zone);
            if at.is_none() {
                problems.push(format!(
                    "{file}:{line}: time: \"{time_text}\" không phải thời điểm / is not a time; expected e.g. 2026-03-02 05:40 (in {zone}), 2026-03-02T05:40+07:00 or 02/03/2026 05:40"
                ));
            }
            let kind_text = get(kind_col);
            let kind = parse_kind(kind_text);
            if kind.is_none() {
                problems.push(format!(
                    "{file}:{line}: kind: \"{kind_text}\" không phải nước lớn hay nước ròng / is neither high nor low water; expected nước lớn, nước ròng, high or low"
                ));
            }
            let height_text = height_col.map(get).unwrap_or("");
            let height = if height_text.is_empty() {
                Some(None)
            } else {
                match height_text.replace(',', ".").parse::<f64>() {
                    Ok(h) if h.is_finite() && h.abs() < 100.0 => Some(Some(h)),
                    _ => {
                        problems.push(format!(
                            "{file}:{line}: height_m: \"{height_text}\" không phải độ cao / is not a height; expected metres such as 2.35, or empty"
                        ));
                        None
                    }
                }
            };
            if let (Some(at), Some(kind), Some(height_m)) = (at, kind, height) {
                if let Some((prev_line, prev)) = out.last()
                    && prev.at >= at
                {
                    problems.push(format!(
                        "{file}:{line}: time: {} không sau dòng {prev_line} ({}) / is not after line {prev_line}; expected rows in time order, each high or low water once",
                        at.format("%Y-%m-%dT%H:%M:%SZ"),
                        prev.at.format("%Y-%m-%dT%H:%M:%SZ")
                    ));
                    continue;
                }
                out.push((line, Observation { at, kind, height_m }));
            }
        }
        if problems.is_empty() {
            Ok(out.into_iter().map(|(_, o)| o).collect())
        } else {
            Err(problems)
        }
    }

    fn quoted(s: &str) -> String {
        toml::Value::String(s.to_owned()).to_string()
    }

    fn day(t: DateTime<Utc>) -> String {
        t.format("%Y-%m-%d").to_string()
    }

    fn station_file(
        args: &FitArgs,
        id: &str,
        file: &str,
        fit: &Fit,
        reference: Option<&HarmonicStation>,
    ) -> String {
        let r = &fit.report;
        let name = args.name.clone().unwrap_or_else(|| id.to_owned());
        let inferred_from = match reference {
            Some(s) => format!(
                "minor constituents inferred from their fitted neighbours with the ratios of {}",
                s.info.id
            ),
            None => "minor constituents inferred from their fitted neighbours (equilibrium ratios, the species' phase slope)".to_owned(),
        };
        let source = format!(
            "Fitted by doorstep tide fit to {} observed high and {} low waters ({} with heights) in {} from {} to {} ({:.1} days): least squares on the heights and the times of high and low water (zero slope), NOAA/XTide conventions with nodal corrections; {inferred_from}.",
            r.highs,
            r.lows,
            r.heights,
            Path::new(file)
                .file_name()
                .map_or(file.to_owned(), |f| f.to_string_lossy().into_owned()),
            day(r.first),
            day(r.last),
            r.record_days
        );
        let unresolved: Vec<String> = r
            .unresolved
            .iter()
            .map(|u| format!("{} ({:.0} d)", u.name, u.days_needed.ceil()))
            .collect();
        let heights = r
            .height_rms_m
            .map_or(String::new(), |h| format!(", chiều cao / height {h:.3} m"));
        let notes = format!(
            "ƯỚC TÍNH TỪ QUAN TRẮC / FITTED: hạng / grade {grade} — {vi} / {en}. \
             {days:.1} ngày / days, {highs} nước lớn / high, {lows} nước ròng / low waters. \
             Sai lệch so với số đã ghi (căn quân phương) / residuals of the readings (rms): giờ / time {rms:.1} min (max {max:.0}){heights}; \
             không khớp / unmatched {unmatched}. \
             Đã tách / fitted: {fitted}. Suy ra / inferred: {inferred}.{more} \
             Độ cao tính từ số 0 của thước đo / heights above the readings' zero. Không dùng để đi biển / not for navigation.",
            grade = r.grade,
            vi = r.grade.meaning_vi(),
            en = r.grade.meaning_en(),
            days = r.record_days,
            highs = r.highs,
            lows = r.lows,
            rms = r.time_rms_minutes,
            max = r.time_max_minutes,
            unmatched = r.unmatched,
            fitted = r.fitted.join(", "),
            inferred = r
                .inferred
                .iter()
                .map(|i| format!("{}←{}", i.name, i.from))
                .collect::<Vec<_>>()
                .join(", "),
            more = if unresolved.is_empty() {
                String::new()
            } else {
                format!(
                    " Cần ghi dài hơn để tách / a longer record would fit: {}.",
                    unresolved.join(", ")
                )
            },
        );
        let longitude = args
            .longitude
            .or(reference.map(|s| s.info.longitude))
            .unwrap_or(0.0);
        let mut out = String::new();
        out.push_str(
            "# doorstep tide station file. Format, provenance and licences: docs/tide.md.\n",
        );
        out.push_str(&format!(
            "# ƯỚC TÍNH TỪ NƯỚC LỚN, NƯỚC RÒNG ĐÃ GHI / FITTED TO WRITTEN-DOWN HIGH AND LOW WATERS: grade {}.\n",
            r.grade
        ));
        if args.longitude.is_none() {
            out.push_str(
                "# longitude not given (--longitude): taken from the reference station, or 0.\n",
            );
        }
        let info = StationInfo {
            id: id.to_owned(),
            name,
            latitude: args.latitude,
            longitude,
            timezone: args.timezone.clone(),
            source,
            license: "the team's own observations".to_owned(),
            approximate: true,
            notes,
        };
        out.push_str(&format!("id = {}\n", quoted(&info.id)));
        out.push_str(&format!("name = {}\n", quoted(&info.name)));
        out.push_str(&format!("latitude = {:?}\n", info.latitude));
        out.push_str(&format!("longitude = {:?}\n", info.longitude));
        out.push_str(&format!("timezone = {}\n", quoted(&info.timezone)));
        out.push_str("datum = \"chart datum\"\n");
        out.push_str(&format!("z0_m = {:.4}\n", fit.z0_m));
        out.push_str("phase_reference = \"greenwich\"\n");
        out.push_str(&format!("source = {}\n", quoted(&info.source)));
        out.push_str(&format!("license = {}\n", quoted(&info.license)));
        out.push_str("approximate = true\n");
        out.push_str(&format!("notes = {}\n", quoted(&info.notes)));
        for c in &fit.constituents {
            let how = if r.fitted.contains(&c.constituent.name) {
                "fitted".to_owned()
            } else {
                r.inferred
                    .iter()
                    .find(|i| i.name == c.constituent.name)
                    .map_or("inferred".to_owned(), |i| {
                        format!(
                            "inferred from {} ({})",
                            i.from,
                            match i.source {
                                InferenceSource::Equilibrium => "equilibrium ratio",
                                InferenceSource::Reference => "reference ratio",
                            }
                        )
                    })
            };
            out.push_str(&format!(
                "\n[[constituents]] # {how}\nname = {}\namplitude_m = {:.4}\nphase_deg = {:.2}\nspeed_deg_per_hour = {}\n",
                quoted(c.constituent.name),
                c.amplitude_m,
                c.phase_deg,
                c.constituent.speed_deg_per_hour
            ));
        }
        out
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

    fn report(id: &str, out: &str, fit: &Fit) -> String {
        let r = &fit.report;
        let mut s = format!(
            "trạm / station {id} → {out}\n\
             hạng / grade {}: {} / {}\n\
             số liệu / record: {:.1} ngày / days ({} → {}), {} nước lớn / high, {} nước ròng / low, {} có độ cao / with heights\n\
             đã tách / fitted: {}\n\
             suy ra / inferred: {}\n",
            r.grade,
            r.grade.meaning_vi(),
            r.grade.meaning_en(),
            r.record_days,
            r.first.format("%Y-%m-%d %H:%MZ"),
            r.last.format("%Y-%m-%d %H:%MZ"),
            r.highs,
            r.lows,
            r.heights,
            r.fitted.join(", "),
            r.inferred
                .iter()
                .map(|i| format!("{}←{}", i.name, i.from))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for u in &r.unresolved {
            s.push_str(&format!(
                "cần / needs {:.0} ngày / days: {}\n",
                u.days_needed.ceil(),
                u.name
            ));
        }
        s.push_str(&format!(
            "sai lệch / residuals: giờ / time rms {:.1} min, max {:.0} min",
            r.time_rms_minutes, r.time_max_minutes
        ));
        if let Some(h) = r.height_rms_m {
            s.push_str(&format!(", chiều cao / height rms {h:.3} m"));
        }
        s.push_str(&format!(", không khớp / unmatched {}\n", r.unmatched));
        for res in r
            .residuals
            .iter()
            .filter(|x| x.time_minutes.is_none_or(|t| t.abs() > 30.0))
        {
            s.push_str(&format!(
                "  xem lại / check {} {}: {}\n",
                res.at.format("%Y-%m-%d %H:%MZ"),
                res.kind.as_str(),
                res.time_minutes.map_or(
                    "không có trên đường cong / not on the fitted curve".to_owned(),
                    |t| format!("lệch / off by {t:+.0} min")
                )
            ));
        }
        s
    }

    fn summary_line(id: &str, out: &str, fit: &Fit) -> String {
        let r = &fit.report;
        serde_json::json!({
            "station": id,
            "file": out,
            "grade": r.grade.as_str(),
            "record_days": (r.record_days * 10.0).round() / 10.0,
            "highs": r.highs,
            "lows": r.lows,
            "heights": r.heights,
            "fitted": r.fitted,
            "inferred": r.inferred.iter().map(|i| i.name).collect::<Vec<_>>(),
            "time_rms_min": (r.time_rms_minutes * 10.0).round() / 10.0,
            "height_rms_m": r.height_rms_m.map(|h| (h * 1000.0).round() / 1000.0),
            "unmatched": r.unmatched,
        })
        .to_string()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn vietnamese_and_english_rows_read_alike() {
            let zone: Tz = "Asia/Ho_Chi_Minh".parse().unwrap();
            let vi = "thời gian,loại,độ cao (m)\n2026-03-02 05:40,nước lớn,2.35\n02/03/2026 17:55,Nước ròng,\"0,40\"\n";
            let en = "time,kind,height_m\n2026-03-01T22:40:00Z,high,2.35\n2026-03-02T10:55+00:00,low,0.40\n";
            let a = parse_observations("vi.csv", vi, zone).unwrap();
            let b = parse_observations("en.csv", en, zone).unwrap();
            assert_eq!(a, b);
        }

        #[test]
        fn bad_rows_are_named_by_line_and_field() {
            let zone: Tz = "Asia/Ho_Chi_Minh".parse().unwrap();
            let text = "time,kind,height_m\n2026-03-02 05:40,high,2.3\n\n2026-13-02 05:40,high,2.3\n2026-03-03 05:40,cao lắm,x\n";
            let problems = parse_observations("obs.csv", text, zone).unwrap_err();
            assert_eq!(problems.len(), 3, "{problems:?}");
            assert!(problems[0].starts_with("obs.csv:4: time: \"2026-13-02 05:40\""));
            assert!(problems[1].starts_with("obs.csv:5: kind:"));
            assert!(problems[2].starts_with("obs.csv:5: height_m:"));
        }
    }
}
