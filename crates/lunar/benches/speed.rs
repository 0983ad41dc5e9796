//! Speed of the calendar and the phases; prints its figures.
//!
//! `cargo bench -p doorstep-lunar --bench speed`
//!
//! * table build: the month table of 1798–2200 built once (first call);
//! * days 1900–2100: every civil day 1900-01-01..=2100-12-31 converted to a
//!   lunar date, with the table already built (best and median of 20 runs);
//! * phases 1900–2100: every new moon, quarter and full moon of
//!   1900-01-01..2101-01-01 (best and median of 20 runs).

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use doorstep_lunar::{phases, prepare, to_lunar};

fn summary(mut runs: Vec<Duration>) -> (f64, f64) {
    runs.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(runs[0]), ms(runs[runs.len() / 2]))
}

fn main() {
    let start = Instant::now();
    prepare();
    let build = start.elapsed();
    println!(
        "table build (month starts 1798–2200, once): {:.1} ms",
        build.as_secs_f64() * 1000.0
    );

    let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(2100, 12, 31).unwrap();
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    let runs: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            for &d in &days {
                black_box(to_lunar(black_box(d)).unwrap());
            }
            start.elapsed()
        })
        .collect();
    let (best, median) = summary(runs);
    println!(
        "days 1900–2100 ({} days) solar → lunar, table built: best {best:.2} ms, median {median:.2} ms",
        days.len()
    );

    let from = Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2101, 1, 1, 0, 0, 0).unwrap();
    let mut count = 0;
    let runs: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            count = black_box(phases(black_box(from), black_box(to)).unwrap()).len();
            start.elapsed()
        })
        .collect();
    let (best, median) = summary(runs);
    println!("phases 1900–2100 ({count} instants): best {best:.2} ms, median {median:.2} ms");
}
