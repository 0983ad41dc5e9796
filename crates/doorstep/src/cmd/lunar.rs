//! `doorstep lunar`: Vietnamese lunar dates of civil dates, and back.
//!
//! Output is one JSON object per line, in input order; its fields and their
//! order are fixed because other tools read it:
//! `{"solar":"2026-11-28","day":20,"month":10,"year":2026,"leap":false,"year_name":"Bính Ngọ"}`.
//! Every input is checked before anything is printed: with one bad value
//! nothing goes to stdout, every bad value is reported on stderr, and the exit
//! code is 2.

use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use doorstep_lunar::{FIRST_DATE, LAST_DATE, LunarDate, lunar_bounds, to_lunar, to_solar};
use serde::Serialize;

/// Arguments of `doorstep lunar`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Ngày âm lịch Việt Nam (UTC+7) của ngày dương lịch, và ngược lại.
Vietnamese lunar dates (UTC+7) of civil dates, and back.

Output: one JSON object per line, in input order:
  {\"solar\":\"2026-11-28\",\"day\":20,\"month\":10,\"year\":2026,\"leap\":false,\"year_name\":\"Bính Ngọ\"}
`year` is the lunar year's number (the Gregorian year of its Tết), `leap` marks a leap month
(tháng nhuận), `year_name` is the year's can chi.

Supported: civil dates 1800-01-01 to 2199-12-31 and the lunar dates of those days.
Bad input (an impossible date, a date out of range, --leap on a month that is not leap, a bad
line in the --input file) is reported with its place; nothing is printed on stdout; exit code 2.

Examples:
  doorstep lunar 2026-11-28 2027-02-06
  doorstep lunar --input dates.txt
  doorstep lunar --to-solar 15/8/2026
  doorstep lunar --to-solar 1/11/2033 --leap")]
pub struct Args {
    /// Civil dates (dương lịch), YYYY-MM-DD.
    #[arg(value_name = "DATE", conflicts_with_all = ["input", "to_solar"], required_unless_present_any = ["input", "to_solar"])]
    dates: Vec<String>,

    /// A file with one civil date YYYY-MM-DD per line (blank lines are
    /// skipped); `-` reads standard input.
    #[arg(long, value_name = "FILE", conflicts_with = "to_solar")]
    input: Option<PathBuf>,

    /// Convert a lunar date D/M/YYYY (âm lịch) to its civil date, e.g. 15/8/2026.
    #[arg(long, value_name = "D/M/YYYY")]
    to_solar: Option<String>,

    /// With --to-solar: the month is the leap month (tháng nhuận).
    #[arg(long, requires = "to_solar")]
    leap: bool,
}

/// One output line; the field order is part of the format.
#[derive(Serialize)]
struct Line {
    solar: String,
    day: u8,
    month: u8,
    year: i32,
    leap: bool,
    year_name: String,
}

impl Line {
    fn new(solar: NaiveDate, lunar: LunarDate) -> Self {
        Line {
            solar: solar.format("%Y-%m-%d").to_string(),
            day: lunar.day,
            month: lunar.month,
            year: lunar.year,
            leap: lunar.leap,
            year_name: lunar.year_name(),
        }
    }
}

/// Runs `doorstep lunar`.
pub fn run(args: Args) -> ExitCode {
    let lines = match collect(&args) {
        Ok(lines) => lines,
        Err(Failure::BadInput(errors)) => {
            for e in errors {
                eprintln!("doorstep lunar: {e}");
            }
            return ExitCode::from(2);
        }
        Err(Failure::Other(message)) => {
            eprintln!("doorstep lunar: {message}");
            return ExitCode::from(1);
        }
    };
    print_lines(&lines)
}

pub(crate) enum Failure {
    BadInput(Vec<String>),
    Other(String),
}

fn collect(args: &Args) -> Result<Vec<Line>, Failure> {
    if let Some(text) = &args.to_solar {
        return to_solar_line(text, args.leap)
            .map(|line| vec![line])
            .map_err(|e| Failure::BadInput(vec![e]));
    }
    // (where, text) pairs: where names the argument or the file line.
    let inputs: Vec<(String, String)> = match &args.input {
        Some(path) => {
            let content = read_input(path)?;
            let name = if path.as_os_str() == "-" {
                "stdin".to_string()
            } else {
                path.display().to_string()
            };
            content
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| (format!("{name} line {}", i + 1), l.trim().to_string()))
                .collect()
        }
        None => args
            .dates
            .iter()
            .enumerate()
            .map(|(i, d)| (format!("argument {}", i + 1), d.trim().to_string()))
            .collect(),
    };
    if inputs.is_empty() {
        return Err(Failure::BadInput(vec![
            "không có ngày nào để đổi / no dates to convert: expected one YYYY-MM-DD per line"
                .to_string(),
        ]));
    }
    let mut lines = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (place, text) in inputs {
        match solar_line(&text) {
            Ok(line) => lines.push(line),
            Err(e) => errors.push(format!("{place}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(Failure::BadInput(errors))
    }
}

fn read_input(path: &PathBuf) -> Result<String, Failure> {
    let mut content = String::new();
    let result = if path.as_os_str() == "-" {
        io::stdin().read_to_string(&mut content).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|c| content = c)
    };
    match result {
        Ok(()) => Ok(content),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::InvalidData
            ) =>
        {
            Err(Failure::BadInput(vec![format!(
                "không đọc được tệp {} / cannot read the input file {}: {e}",
                path.display(),
                path.display()
            )]))
        }
        Err(e) => Err(Failure::Other(format!(
            "không đọc được tệp {} / cannot read the input file {}: {e}",
            path.display(),
            path.display()
        ))),
    }
}

fn solar_line(text: &str) -> Result<Line, String> {
    let date = parse_civil_date(text)?;
    let lunar = to_lunar(date).map_err(|e| e.to_string())?;
    Ok(Line::new(date, lunar))
}

/// A civil date YYYY-MM-DD, strictly (four-digit year, two-digit month and day).
pub(crate) fn parse_civil_date(text: &str) -> Result<NaiveDate, String> {
    let shape_ok = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let date = shape_ok
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten();
    date.ok_or_else(|| {
        format!(
            "\"{text}\" không phải ngày dương lịch hợp lệ dạng YYYY-MM-DD (từ {FIRST_DATE} đến {LAST_DATE}) / \
             \"{text}\" is not a valid civil date YYYY-MM-DD (from {FIRST_DATE} to {LAST_DATE})"
        )
    })
}

fn to_solar_line(text: &str, leap: bool) -> Result<Line, String> {
    let (first, last) = lunar_bounds();
    let bad = || {
        format!(
            "\"{text}\" không phải ngày âm lịch dạng D/M/YYYY, ví dụ 15/8/2026 (từ {first} đến {last}) / \
             \"{text}\" is not a lunar date D/M/YYYY, for example 15/8/2026 (from {first} to {last})"
        )
    };
    let parts: Vec<&str> = text.trim().split('/').collect();
    let [d, m, y] = parts.as_slice() else {
        return Err(bad());
    };
    let day: u8 = d.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let year: i32 = y.parse().map_err(|_| bad())?;
    let lunar = LunarDate::new(year, month, day, leap);
    let solar = to_solar(lunar).map_err(|e| format!("--to-solar {text}: {e}"))?;
    Ok(Line::new(solar, lunar))
}

/// Writes JSON lines to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn print_lines<T: Serialize>(lines: &[T]) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = lines
        .iter()
        .try_for_each(|line| {
            serde_json::to_writer(&mut out, line).map_err(io::Error::from)?;
            out.write_all(b"\n")
        })
        .and_then(|()| out.flush());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("doorstep: cannot write the output: {e}");
            ExitCode::from(1)
        }
    }
}
