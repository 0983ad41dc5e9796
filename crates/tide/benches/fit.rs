//! How well a station fitted from two or four weeks of written-down high and
//! low waters predicts the rest of the year; prints its figures.
//!
//! `cargo bench -p doorstep-tide --bench fit`
//!
//! Each Vietnamese station of the catalog with real constants (Hòn Dấu,
//! diurnal; Qui Nhơn, mixed, mainly diurnal; Vũng Tàu, mixed, mainly
//! semidiurnal) is played as an unknown port. Its own predictions are the
//! truth. The readings are its high and low waters of 14 or 29 days, as an
//! observer at the quay would write them down: a rise or fall of less than
//! 10 cm is not seen (the pair is left out), each time is moved by up to
//! ±10 minutes and each height by up to ±5 cm (uniformly, from a seeded
//! generator, so every run prints the same figures). The record starts on
//! the 1st of January, April, July and October 2026, so that each season's
//! spring and neap tides are played.
//!
//! The fitted station then predicts the 365 days after the record. For each
//! true high water that an observer would see: the time to the nearest
//! fitted high water. Printed: median and 95th percentile of those errors,
//! the share within 90 minutes (matched), true high waters with no fitted
//! one within 90 minutes (missed), and fitted high waters with no true one
//! (even a faint one) within 90 minutes (spurious), summed over the four
//! records; and the grades the fits gave themselves.
#![allow(clippy::print_stdout)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use doorstep_tide::{
    Extreme, ExtremeKind, FitOptions, HarmonicStation, Observation, Predictor, Station,
    StationInfo, fit_extremes, parse_station,
};

/// SplitMix64: a small seeded generator, the same figures on every run.
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [−half, half].
    fn within(&mut self, half: f64) -> f64 {
        (2.0 * self.next() - 1.0) * half
    }
}

/// The extremes an observer sees: pairs whose rise or fall is under
/// `min_range_m` are left out, smallest first.
fn visible(mut extremes: Vec<Extreme>, min_range_m: f64) -> Vec<Extreme> {
    loop {
        let smallest = extremes
            .windows(2)
            .enumerate()
            .map(|(k, w)| (k, (w[0].height_m - w[1].height_m).abs()))
            .filter(|&(_, r)| r < min_range_m)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let Some((k, _)) = smallest else {
            return extremes;
        };
        extremes.drain(k..k + 2);
    }
}

fn station(file: &str, text: &str) -> HarmonicStation {
    let Station::Harmonic(s) = parse_station(file, text).expect("fixture parses") else {
        unreachable!("the fixtures are harmonic")
    };
    s
}

fn info(id: &str) -> StationInfo {
    StationInfo {
        id: id.into(),
        name: id.into(),
        latitude: 0.0,
        longitude: 0.0,
        timezone: "UTC".into(),
        source: "fit".into(),
        license: "CC0".into(),
        approximate: true,
        notes: String::new(),
    }
}

#[derive(Default)]
struct Tally {
    errors_min: Vec<f64>,
    missed: usize,
    spurious: usize,
    grades: Vec<String>,
    records: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let k = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[k]
}

fn play(truth: &HarmonicStation, days: i64, start: DateTime<Utc>, seed: u64, tally: &mut Tally) {
    let true_tide = Predictor::harmonic(truth);
    let end = start + Duration::days(days);
    let mut jitter = Jitter(seed);
    let observations: Vec<Observation> = visible(true_tide.extremes(start, end), 0.10)
        .into_iter()
        .map(|e| Observation {
            at: e.at + Duration::seconds(jitter.within(600.0).round() as i64),
            kind: e.kind,
            height_m: Some(e.height_m + jitter.within(0.05)),
        })
        .collect();
    let fit = match fit_extremes(&observations, &FitOptions::default()) {
        Ok(fit) => fit,
        Err(e) => panic!("{}: {e}", truth.info.id),
    };
    tally.grades.push(fit.report.grade.to_string());
    tally.records += 1;
    let fitted = Predictor::harmonic(&fit.station(info("fitted")));
    let (from, to) = (end, end + Duration::days(365));
    let highs = |extremes: Vec<Extreme>| -> Vec<i64> {
        extremes
            .into_iter()
            .filter(|e| e.kind == ExtremeKind::High)
            .map(|e| e.at.timestamp())
            .collect()
    };
    let all_true = true_tide.extremes(from, to);
    let seen_true = highs(visible(all_true.clone(), 0.10));
    let all_true = highs(all_true);
    let predicted = highs(fitted.extremes(from, to));
    let nearest = |list: &[i64], t: i64| -> i64 {
        let k = list.partition_point(|&x| x < t);
        [k.checked_sub(1), Some(k)]
            .into_iter()
            .flatten()
            .filter_map(|i| list.get(i))
            .map(|&x| (x - t).abs())
            .min()
            .unwrap_or(i64::MAX)
    };
    for &t in &seen_true {
        let error = nearest(&predicted, t);
        tally.errors_min.push(error as f64 / 60.0);
        if error > 90 * 60 {
            tally.missed += 1;
        }
    }
    tally.spurious += predicted
        .iter()
        .filter(|&&t| nearest(&all_true, t) > 90 * 60)
        .count();
}

fn main() {
    let stations = [
        (
            "Hòn Dấu (diurnal)",
            station(
                "vn_hon_dau.toml",
                include_str!("../tests/data/stations/vn_hon_dau.toml"),
            ),
        ),
        (
            "Qui Nhơn (mixed, mainly diurnal)",
            station(
                "vn_qui_nhon.toml",
                include_str!("../tests/data/stations/vn_qui_nhon.toml"),
            ),
        ),
        (
            "Vũng Tàu (mixed, mainly semidiurnal)",
            station(
                "vn_vung_tau.toml",
                include_str!("../tests/data/stations/vn_vung_tau.toml"),
            ),
        ),
    ];
    let starts: Vec<DateTime<Utc>> = [1, 4, 7, 10]
        .iter()
        .map(|&m| Utc.with_ymd_and_hms(2026, m, 1, 0, 0, 0).unwrap())
        .collect();
    println!(
        "| station | days | high waters | median min | p95 min | matched ≤ 90 min | missed | spurious | grades |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, truth) in &stations {
        for days in [14, 29] {
            let mut tally = Tally::default();
            for (k, &start) in starts.iter().enumerate() {
                let seed = 0x5EED_0000 + 100 * days as u64 + k as u64;
                play(truth, days, start, seed, &mut tally);
            }
            tally.errors_min.sort_by(f64::total_cmp);
            let n = tally.errors_min.len();
            let matched = tally.errors_min.iter().filter(|&&e| e <= 90.0).count();
            println!(
                "| {name} | {days} | {n} | {:.1} | {:.1} | {:.1} % | {} | {} | {} |",
                percentile(&tally.errors_min, 0.5),
                percentile(&tally.errors_min, 0.95),
                100.0 * matched as f64 / n as f64,
                tally.missed,
                tally.spurious,
                tally.grades.join(" "),
            );
        }
    }
}
