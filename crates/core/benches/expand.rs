//! Expanding the availability rules of 1,000,000 residents over 28 days, on
//! one core; prints its figures.
//!
//! `cargo bench -p doorstep-core --bench expand`
//!
//! The residents follow a mix of the presets, each varied (hours shifted,
//! other lunar days, other stations and margins, other countries), as a
//! province's register would: 25 % fishing crews ashore around the full moon
//! and not near high water at one of two stations, 10 % workers abroad (Korea,
//! Japan, Taiwan, Germany, Sydney), 25 % farmers, 20 % elderly, 10 % shift
//! workers, 10 % home for the Tết season. The rules are drawn from 20,000
//! distinct variants; every resident's rule is expanded in full (nothing is
//! cached per rule). The horizon is 2026-12-01 to 2026-12-29 in Vietnam.
//! Four figures: building the shared context (lunar days, phases, zones,
//! tides), expanding the parsed rules, parsing each resident's stored JSON,
//! and parsing then expanding it. Each is the best of several runs.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use chrono::{TimeZone, Weekday};
use chrono_tz::Tz;
use doorstep_core::rules::presets::{self, Shift};
use doorstep_core::rules::{ExpansionContext, Rule, RuleContext};
use doorstep_tide::Catalog;
use serde_json::{Value, json};

const RESIDENTS: usize = 1_000_000;
const VARIANTS: usize = 20_000;

/// xorshift64*: deterministic and dependency-free.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn hm(minutes: u64) -> String {
    format!("{:02}:{:02}", (minutes / 60) % 24, minutes % 60)
}

/// One resident's rule as stored (JSON).
fn variant(rng: &mut Seeded) -> Value {
    let shift = 30 * rng.below(3);
    let kind = rng.below(100);
    if kind < 25 {
        let first = 12 + rng.below(3);
        let station = ["lach-bang", "vn_hon_dau"][rng.below(2) as usize];
        let margin = [60, 90, 120][rng.below(3) as usize];
        json!({"mode": "in_person",
            "when": [{"lunar_days": [first, first + 5], "hours": [hm(420 + shift), hm(1200 - shift)]}],
            "except": [{"tide": {"station": station, "near": "high", "within_minutes": margin}}]})
    } else if kind < 35 {
        let zone: Tz = [
            chrono_tz::Asia::Seoul,
            chrono_tz::Asia::Tokyo,
            chrono_tz::Asia::Taipei,
            chrono_tz::Europe::Berlin,
            chrono_tz::Australia::Sydney,
        ][rng.below(5) as usize];
        let mut v = presets::worker_abroad_in_zone(zone).to_json();
        v["when"][0]["hours"] = json!([hm(1140 - shift), hm(1320)]);
        v
    } else if kind < 60 {
        let mut v = presets::farmer().to_json();
        v["when"][0]["hours"] = json!([hm(1080 + shift), hm(1260)]);
        v
    } else if kind < 80 {
        let mut v = presets::elderly().to_json();
        v["when"][1]["hours"] = json!([hm(840 + shift), hm(1020)]);
        v
    } else if kind < 90 {
        let shifts = [Shift::Day, Shift::Evening, Shift::Night];
        let off = [Weekday::Sun, Weekday::Sat, Weekday::Mon][rng.below(3) as usize];
        presets::shift_worker(shifts[rng.below(3) as usize], &[off]).to_json()
    } else {
        json!({"mode": "in_person",
            "when": [{"lunar_dates": ["12-23", "01-10"], "hours": ["08:00", "20:00"]},
                     {"weekdays": ["sun"], "hours": [hm(480 + shift), "11:00"]}]})
    }
}

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = std::hint::black_box(f());
        times.push(start.elapsed());
        last = Some(out);
    }
    times.sort();
    (times[0], last.expect("runs > 0"))
}

fn main() {
    let catalog = Catalog::from_files([
        (
            "vn_hon_dau.toml",
            include_str!("../tests/data/stations/vn_hon_dau.toml"),
        ),
        (
            "lach-bang.toml",
            include_str!("../tests/data/stations/lach-bang.toml"),
        ),
    ])
    .expect("stations parse");
    let known = RuleContext::from_catalog(&catalog);
    let zone = chrono_tz::Asia::Ho_Chi_Minh;
    let from = zone
        .with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
        .unwrap()
        .to_utc();
    let to = zone
        .with_ymd_and_hms(2026, 12, 29, 0, 0, 0)
        .unwrap()
        .to_utc();
    doorstep_lunar::prepare();

    let mut rng = Seeded(0x5eed_d00d_0123_4567);
    let stored: Vec<String> = (0..VARIANTS)
        .map(|_| variant(&mut rng).to_string())
        .collect();
    let rules: Vec<Rule> = stored
        .iter()
        .map(|t| Rule::parse(&serde_json::from_str(t).unwrap(), &known).expect("valid"))
        .collect();
    let residents: Vec<u32> = (0..RESIDENTS)
        .map(|_| rng.below(VARIANTS as u64) as u32)
        .collect();

    let (context_time, ctx) = best(5, || {
        let ctx = ExpansionContext::new(from, to, zone, catalog.clone()).unwrap();
        // Touch every zone and tide query once, as the first residents would.
        for r in &rules {
            ctx.measure(r, &[]).unwrap();
        }
        ctx
    });

    let (expand_time, (windows, minutes)) = best(3, || {
        let (mut windows, mut minutes) = (0usize, 0i64);
        for &i in &residents {
            let w = ctx.expand(&rules[i as usize]).unwrap();
            windows += w.len();
            minutes += w.iter().map(|w| w.minutes()).sum::<i64>();
        }
        (windows, minutes)
    });

    let (full_time, full_windows) = best(3, || {
        let mut windows = 0usize;
        for &i in &residents {
            let value: Value = serde_json::from_str(&stored[i as usize]).unwrap();
            let rule = Rule::parse(&value, &known).unwrap();
            windows += ctx.expand(&rule).unwrap().len();
        }
        windows
    });
    assert_eq!(windows, full_windows);

    let (parse_time, _) = best(3, || {
        let mut n = 0usize;
        for &i in &residents {
            let value: Value = serde_json::from_str(&stored[i as usize]).unwrap();
            n += Rule::parse(&value, &known).unwrap().when.len();
        }
        n
    });

    println!(
        "availability rules: {RESIDENTS} residents × 28 days (2026-12-01 to 2026-12-29, Asia/Ho_Chi_Minh), one core, best of 3"
    );
    println!(
        "  mix: 25% fishing crew (tide), 10% abroad (5 zones, 2 with daylight saving), 25% farmer, 20% elderly, 10% shift, 10% Tết; {VARIANTS} distinct rules"
    );
    println!(
        "  shared context (lunar days, phases, zones, tides of 2 stations; built, then warmed on each distinct rule): {:.1} ms",
        context_time.as_secs_f64() * 1e3
    );
    println!(
        "  expand parsed rules:       {:.2} s  ({:.2} µs/resident, {windows} windows, {:.1} h/resident)",
        expand_time.as_secs_f64(),
        expand_time.as_secs_f64() * 1e6 / RESIDENTS as f64,
        minutes as f64 / 60.0 / RESIDENTS as f64
    );
    println!(
        "  parse JSON only:           {:.2} s  ({:.2} µs/resident)",
        parse_time.as_secs_f64(),
        parse_time.as_secs_f64() * 1e6 / RESIDENTS as f64
    );
    println!(
        "  parse JSON + expand:       {:.2} s  ({:.2} µs/resident)",
        full_time.as_secs_f64(),
        full_time.as_secs_f64() * 1e6 / RESIDENTS as f64
    );
}
