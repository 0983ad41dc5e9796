//! A secondary station against a hand-computed example.
//!
//! Reference: S2 only, amplitude 1 m, G = 0°, z0 = 2 m. S2 has f = 1, u = 0
//! and V0 = 2T = 360° at 00:00 UTC on 1 January, so on 1 January 2026
//! h(t) = 2 + cos(30°/h · t): high water 3.0 m at 00:00 and 12:00,
//! low water 1.0 m at 06:00 and 18:00.
//!
//! Secondary: high water 30 min later and × 0.9; low water 15 min earlier
//! and + 0.10 m. So by hand:
//! - high water 00:30, 2.70 m; low water 05:45, 1.10 m; high water 12:30, 2.70 m;
//! - half way between 00:30 and 05:45 (03:07:30) the reference time is
//!   03:00, where the reference reads 2 + cos 90° = 2.00 m, half way in
//!   height from 3 to 1, so the correction is half way too: ratio 0.95,
//!   offset 0.05 m → 2.00 × 0.95 + 0.05 = 1.95 m.

use chrono::{DateTime, Duration, TimeZone, Utc};
use doorstep_tide::{Catalog, ExtremeKind};

const REFERENCE: &str = r#"
id = "s2ref"
name = "S2 reference"
latitude = 0.0
longitude = 0.0
timezone = "UTC"
datum = "MSL"
z0_m = 2.0
phase_reference = "greenwich"
source = "hand example"
license = "CC0"
approximate = false

[[constituents]]
name = "S2"
amplitude_m = 1.0
phase_deg = 0.0
speed_deg_per_hour = 30.0
"#;

const PORT: &str = r#"
id = "port"
name = "Port"
latitude = 0.0
longitude = 0.0
timezone = "UTC"
source = "hand example"
license = "CC0"
approximate = true

[secondary]
reference = "s2ref"
high_water_time_offset_min = 30
low_water_time_offset_min = -15
high_water_height_ratio = 0.9
low_water_height_offset_m = 0.10
"#;

fn utc(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, h, m, s).unwrap()
}

#[test]
fn extremes_and_a_midway_height_match_the_hand_computation() {
    let catalog = Catalog::from_files([("s2ref.toml", REFERENCE), ("port.toml", PORT)]).unwrap();
    let port = catalog.predictor("port").unwrap();
    let ex = port.extremes(utc(0, 0, 0), utc(13, 0, 0));
    let got: Vec<_> = ex
        .iter()
        .map(|e| (e.at, e.kind, (e.height_m * 1e4).round() / 1e4))
        .collect();
    assert_eq!(
        got,
        vec![
            (utc(0, 30, 0), ExtremeKind::High, 2.7),
            (utc(5, 45, 0), ExtremeKind::Low, 1.1),
            (utc(12, 30, 0), ExtremeKind::High, 2.7),
        ]
    );
    let mid = port.height(utc(3, 7, 30));
    assert!((mid - 1.95).abs() < 1e-9, "{mid}");
    // At the extremes themselves the curve meets the corrected heights.
    assert!((port.height(utc(0, 30, 0)) - 2.7).abs() < 1e-9);
    assert!((port.height(utc(5, 45, 0)) - 1.1).abs() < 1e-9);
    // The series and the horizon agree with single heights.
    let series = port.heights(utc(0, 0, 0), 450, 40);
    for (k, h) in series.iter().enumerate() {
        let t = utc(0, 0, 0) + Duration::seconds(450 * k as i64);
        assert!((h - port.height(t)).abs() < 1e-9);
    }
    let horizon = port.horizon(utc(0, 0, 0), utc(13, 0, 0));
    assert!((horizon.height_at(utc(3, 7, 30)) - 1.95).abs() < 1e-9);
    assert_eq!(horizon.extremes(), &ex[..]);
}

#[test]
fn zero_offsets_reproduce_the_reference() {
    let zero = PORT
        .replace("= 30", "= 0")
        .replace("= -15", "= 0")
        .replace("= 0.9", "= 1.0")
        .replace("= 0.10", "= 0.0");
    let catalog =
        Catalog::from_files([("s2ref.toml", REFERENCE), ("port.toml", zero.as_str())]).unwrap();
    let (port, reference) = (
        catalog.predictor("port").unwrap(),
        catalog.predictor("s2ref").unwrap(),
    );
    for minutes in (0..24 * 60).step_by(17) {
        let t = utc(0, 0, 0) + Duration::minutes(minutes) + Duration::days(40);
        assert!((port.height(t) - reference.height(t)).abs() < 1e-9);
    }
}
