//! Fitting a station to observed high and low waters: the fitted station's
//! high waters against the true station's, for months after the record.

use chrono::{DateTime, Duration, TimeZone, Utc};
use doorstep_tide::{
    Extreme, ExtremeKind, FitError, FitOptions, Grade, HarmonicStation, Observation, Predictor,
    Station, StationInfo, fit_extremes, parse_station,
};

fn station(file: &str, text: &str) -> HarmonicStation {
    let Station::Harmonic(s) = parse_station(file, text).unwrap() else {
        unreachable!()
    };
    s
}

fn qui_nhon() -> HarmonicStation {
    station(
        "vn_qui_nhon.toml",
        include_str!("data/stations/vn_qui_nhon.toml"),
    )
}

fn hon_dau() -> HarmonicStation {
    station(
        "vn_hon_dau.toml",
        include_str!("data/stations/vn_hon_dau.toml"),
    )
}

fn vung_tau() -> HarmonicStation {
    station(
        "vn_vung_tau.toml",
        include_str!("data/stations/vn_vung_tau.toml"),
    )
}

/// SplitMix64, seeded: the same readings on every run.
struct Jitter(u64);

impl Jitter {
    fn within(&mut self, half: f64) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * half
    }
}

/// The true extremes of `days` days from `start`, a pair under 10 cm left
/// out, times moved by up to ±10 min and heights by up to ±5 cm.
fn readings(
    truth: &HarmonicStation,
    start: DateTime<Utc>,
    days: i64,
    seed: u64,
) -> Vec<Observation> {
    let mut extremes: Vec<Extreme> =
        Predictor::harmonic(truth).extremes(start, start + Duration::days(days));
    while let Some(k) = extremes
        .windows(2)
        .position(|w| (w[0].height_m - w[1].height_m).abs() < 0.10)
    {
        extremes.drain(k..k + 2);
    }
    let mut jitter = Jitter(seed);
    extremes
        .into_iter()
        .map(|e| Observation {
            at: e.at + Duration::seconds(jitter.within(600.0).round() as i64),
            kind: e.kind,
            height_m: Some(e.height_m + jitter.within(0.05)),
        })
        .collect()
}

fn info() -> StationInfo {
    StationInfo {
        id: "fitted".into(),
        name: "fitted".into(),
        latitude: 0.0,
        longitude: 0.0,
        timezone: "UTC".into(),
        source: "test".into(),
        license: "CC0".into(),
        approximate: true,
        notes: String::new(),
    }
}

/// Minutes from each true high water in [from, to) to the nearest fitted one, sorted.
fn high_water_errors(
    truth: &HarmonicStation,
    fitted: &HarmonicStation,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<f64> {
    let highs = |s: &HarmonicStation| -> Vec<i64> {
        Predictor::harmonic(s)
            .extremes(from, to)
            .into_iter()
            .filter(|e| e.kind == ExtremeKind::High)
            .map(|e| e.at.timestamp())
            .collect()
    };
    let predicted = highs(fitted);
    let mut errors: Vec<f64> = highs(truth)
        .into_iter()
        .map(|t| {
            predicted
                .iter()
                .map(|p| (p - t).abs())
                .min()
                .unwrap_or(i64::MAX) as f64
                / 60.0
        })
        .collect();
    errors.sort_by(f64::total_cmp);
    errors
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

#[test]
fn four_weeks_of_a_mixed_port_predict_its_high_waters_months_later() {
    let truth = vung_tau();
    let obs = readings(&truth, at(2026, 3, 1), 29, 1);
    let fit = fit_extremes(&obs, &FitOptions::default()).unwrap();
    let r = &fit.report;
    for name in ["M2", "S2", "N2", "K1", "O1", "Q1"] {
        assert!(r.fitted.contains(&name), "{name} fitted: {:?}", r.fitted);
    }
    assert!(r.inferred.iter().any(|i| i.name == "P1" && i.from == "K1"));
    assert!(r.inferred.iter().any(|i| i.name == "K2" && i.from == "S2"));
    assert!(r.unresolved.is_empty(), "{:?}", r.unresolved);
    // Four weeks separate MM from the mean level and from MF.
    assert!(
        r.minor.contains(&"MF") && r.minor.contains(&"MM"),
        "{:?}",
        r.minor
    );
    assert_eq!(r.unmatched, 0);
    assert!(r.time_rms_minutes < 10.0, "{}", r.time_rms_minutes);
    assert_eq!(r.grade, Grade::A);
    // The main constants come out close to the true ones.
    let find = |s: &[doorstep_tide::HarmonicConstant], n: &str| {
        *s.iter().find(|c| c.constituent.name == n).unwrap()
    };
    for name in ["M2", "K1", "O1", "S2"] {
        let (f, t) = (
            find(&fit.constituents, name),
            find(&truth.constituents, name),
        );
        assert!(
            (f.amplitude_m - t.amplitude_m).abs() < 0.05,
            "{name}: {f:?} vs {t:?}"
        );
        let dg = (f.phase_deg - t.phase_deg + 540.0).rem_euclid(360.0) - 180.0;
        assert!(dg.abs() < 8.0, "{name}: {f:?} vs {t:?}");
    }
    // Half a year later.
    let fitted = fit.station(info());
    let errors = high_water_errors(&truth, &fitted, at(2026, 9, 1), at(2026, 10, 1));
    let n = errors.len() as f64;
    let median = errors[errors.len() / 2];
    let p95 = errors[(0.95 * (n - 1.0)).round() as usize];
    assert!(median < 10.0 && p95 < 30.0, "median {median}, p95 {p95}");
    assert!(errors.iter().filter(|&&e| e <= 90.0).count() as f64 >= 0.97 * n);
}

#[test]
fn two_weeks_of_a_diurnal_mixed_port_give_grade_b_and_name_what_is_missing() {
    let truth = qui_nhon();
    let obs = readings(&truth, at(2026, 1, 5), 14, 2);
    let fit = fit_extremes(&obs, &FitOptions::default()).unwrap();
    let r = &fit.report;
    assert_eq!(r.fitted.len(), 4, "{:?}", r.fitted);
    let missing: Vec<&str> = r.unresolved.iter().map(|u| u.name).collect();
    assert_eq!(missing, ["N2", "Q1"]);
    assert!(
        r.unresolved
            .iter()
            .all(|u| u.days_needed > 14.0 && u.days_needed < 29.0)
    );
    assert_eq!(r.grade, Grade::B);
    let errors = high_water_errors(&truth, &fit.station(info()), at(2026, 2, 1), at(2026, 8, 1));
    let p95 = errors[(0.95 * (errors.len() - 1) as f64).round() as usize];
    assert!(errors[errors.len() / 2] < 12.0 && p95 < 35.0, "{p95}");
}

#[test]
fn two_weeks_of_a_diurnal_port_time_its_high_waters_through_the_neaps() {
    let truth = hon_dau();
    let obs = readings(&truth, at(2026, 2, 1), 14, 7);
    let fit = fit_extremes(&obs, &FitOptions::default()).unwrap();
    let r = &fit.report;
    assert_eq!(r.grade, Grade::B);
    // The minor diurnal constituents and the fortnightly MF are fitted,
    // drawn toward zero; P1 and Q1 follow K1 and O1.
    for name in ["J1", "OO1", "2Q1", "SIG1", "MF"] {
        assert!(r.minor.contains(&name), "{name}: {:?}", r.minor);
    }
    assert!(!r.minor.contains(&"MM"), "{:?}", r.minor);
    assert!(r.inferred.iter().any(|i| i.name == "P1" && i.from == "K1"));
    assert!(r.inferred.iter().any(|i| i.name == "Q1" && i.from == "O1"));
    // Every true high water counts here, even the faint wiggles of the
    // neap days no one would write down; most are still within 45 minutes.
    let errors = high_water_errors(&truth, &fit.station(info()), at(2026, 3, 1), at(2026, 9, 1));
    let n = errors.len() as f64;
    let median = errors[errors.len() / 2];
    let p90 = errors[(0.90 * (n - 1.0)).round() as usize];
    assert!(median < 12.0 && p90 < 45.0, "median {median}, p90 {p90}");
}

#[test]
fn a_reference_station_gives_the_inferred_ratios() {
    let truth = vung_tau();
    let obs = readings(&truth, at(2026, 5, 1), 14, 3);
    let options = FitOptions {
        reference: Some(&truth),
        ..FitOptions::default()
    };
    let fit = fit_extremes(&obs, &options).unwrap();
    let p1 = fit.report.inferred.iter().find(|i| i.name == "P1").unwrap();
    assert_eq!(p1.source, doorstep_tide::InferenceSource::Reference);
    // Vũng Tàu: P1/K1 = 0.1893/0.5955, G(P1) − G(K1) = 203.33 − 206.92.
    assert!((p1.ratio - 0.1893 / 0.5955).abs() < 1e-9);
    assert!((p1.phase_difference_deg - (203.33 - 206.92)).abs() < 1e-6);
}

#[test]
fn readings_without_heights_still_fix_the_times() {
    let truth = vung_tau();
    let mut obs = readings(&truth, at(2026, 3, 1), 15, 4);
    // Only every third reading has a height.
    for (k, o) in obs.iter_mut().enumerate() {
        if k % 3 != 0 {
            o.height_m = None;
        }
    }
    let fit = fit_extremes(&obs, &FitOptions::default()).unwrap();
    assert_eq!(fit.report.heights, obs.len().div_ceil(3));
    let errors = high_water_errors(&truth, &fit.station(info()), at(2026, 4, 1), at(2026, 5, 1));
    assert!(errors[errors.len() / 2] < 15.0, "{errors:?}");
}

#[test]
fn a_wrong_reading_is_named_in_the_residuals() {
    let truth = vung_tau();
    let mut obs = readings(&truth, at(2026, 3, 1), 20, 5);
    // Someone wrote the hour wrong: 2 hours late.
    obs[17].at += Duration::hours(2);
    let fit = fit_extremes(&obs, &FitOptions::default()).unwrap();
    let worst = fit
        .report
        .residuals
        .iter()
        .enumerate()
        .max_by(|a, b| {
            let off = |r: &doorstep_tide::Residual| r.time_minutes.map_or(f64::INFINITY, f64::abs);
            off(a.1).total_cmp(&off(b.1))
        })
        .unwrap();
    assert_eq!(worst.0, 17);
    assert!(worst.1.time_minutes.is_none_or(|t| t.abs() > 60.0));
    // The rest still fit well.
    let others: Vec<f64> = fit
        .report
        .residuals
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != 17)
        .filter_map(|(_, r)| r.time_minutes)
        .collect();
    assert!(others.iter().all(|t| t.abs() < 30.0), "{others:?}");
}

#[test]
fn too_little_is_refused_with_what_is_needed() {
    let truth = vung_tau();
    let obs = readings(&truth, at(2026, 3, 1), 1, 6);
    assert!(matches!(
        fit_extremes(&obs, &FitOptions::default()),
        Err(FitError::TooFew { needed: 8, .. })
    ));
    let obs = readings(&truth, at(2026, 3, 1), 14, 6);
    let mut swapped = obs.clone();
    swapped.swap(3, 4);
    assert!(matches!(
        fit_extremes(&swapped, &FitOptions::default()),
        Err(FitError::NotInOrder { index: 4, .. })
    ));
    let no_heights: Vec<Observation> = obs
        .iter()
        .map(|o| Observation {
            height_m: None,
            ..*o
        })
        .collect();
    assert!(matches!(
        fit_extremes(&no_heights, &FitOptions::default()),
        Err(FitError::TooFewHeights { count: 0, .. })
    ));
}
