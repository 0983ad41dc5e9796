//! Speed of the tide predictor; prints its figures.
//!
//! `cargo bench -p doorstep-tide --bench speed`
//!
//! A year of minute heights (525,600 values) for a station with 37
//! constituents (the first 37 of Hòn Dấu), and a year of high and low
//! waters (Hòn Dấu, diurnal, and Vũng Tàu, mixed semidiurnal, 37
//! constituents each). Each is run several times; the best and the median
//! are printed.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use doorstep_tide::{Predictor, Station, parse_station};

fn station_with(file: &str, text: &str, n: usize) -> doorstep_tide::HarmonicStation {
    let Station::Harmonic(mut s) = parse_station(file, text).expect("fixture parses") else {
        unreachable!()
    };
    assert!(s.constituents.len() >= n);
    s.constituents.truncate(n);
    s
}

fn measure<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = std::hint::black_box(f());
        times.push(start.elapsed());
        last = Some(out);
    }
    times.sort();
    (times[0], times[runs / 2], last.expect("runs > 0"))
}

fn main() {
    let station = station_with(
        "vn_hon_dau.toml",
        include_str!("../tests/data/stations/vn_hon_dau.toml"),
        37,
    );
    let tide = Predictor::harmonic(&station);
    let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();

    let (best, median, heights) = measure(15, || tide.heights(from, 60, 525_600));
    println!(
        "minute heights, 1 year, {} constituents: {} values, best {:.1} ms, median {:.1} ms (bound 50 ms)",
        station.constituents.len(),
        heights.len(),
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3
    );

    let (best, median, extremes) = measure(25, || tide.extremes(from, to));
    println!(
        "extremes, 1 year, {} constituents (Hòn Dấu, diurnal): {} high and low waters, best {:.2} ms, median {:.2} ms (bound 5 ms)",
        station.constituents.len(),
        extremes.len(),
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3
    );
    let mixed = station_with(
        "vn_vung_tau.toml",
        include_str!("../tests/data/stations/vn_vung_tau.toml"),
        37,
    );
    let mixed_tide = Predictor::harmonic(&mixed);
    let (best, median, extremes) = measure(25, || mixed_tide.extremes(from, to));
    println!(
        "extremes, 1 year, {} constituents (Vũng Tàu, mixed semidiurnal): {} high and low waters, best {:.2} ms, median {:.2} ms (bound 5 ms)",
        mixed.constituents.len(),
        extremes.len(),
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3
    );

    let horizon_from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let horizon_to = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let (best, median, windows) = measure(25, || {
        let h = tide.horizon(horizon_from, horizon_to);
        (
            h.windows_above(0.5).len(),
            h.windows_near(doorstep_tide::ExtremeKind::High, 90).len(),
        )
    });
    println!(
        "horizon of a month + windows above 0.5 m ({}) and near high water ({}): best {:.2} ms, median {:.2} ms",
        windows.0,
        windows.1,
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3
    );
}
