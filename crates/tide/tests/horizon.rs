//! The queries of the availability rules.

use chrono::{DateTime, Duration, TimeZone, Utc};
use doorstep_tide::{ExtremeKind, Predictor, Station, parse_station};
use proptest::prelude::*;

fn hon_dau() -> Predictor {
    let text = include_str!("data/stations/vn_hon_dau.toml");
    let Station::Harmonic(s) = parse_station("vn_hon_dau.toml", text).unwrap() else {
        panic!()
    };
    Predictor::harmonic(&s)
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

#[test]
fn windows_above_and_below_partition_the_horizon() {
    let tide = hon_dau();
    let h = tide.horizon(start(), start() + Duration::days(10));
    let above = h.windows_above(0.3);
    let below = h.windows_below(0.3);
    assert!(!above.is_empty() && !below.is_empty());
    let total: i64 = above
        .iter()
        .chain(&below)
        .map(|w| (w.end - w.start).num_seconds())
        .sum();
    assert_eq!(total, 10 * 86_400);
    for w in &above {
        assert!(h.height_at(w.start) > 0.3);
        assert!(h.height_at(w.end - Duration::seconds(1)) > 0.3);
        if w.start > h.from() {
            assert!(h.height_at(w.start - Duration::seconds(1)) <= 0.3);
        }
        if w.end < h.to() {
            assert!(h.height_at(w.end) <= 0.3);
        }
    }
}

#[test]
fn windows_near_high_water_surround_each_high_water() {
    let tide = hon_dau();
    let h = tide.horizon(start(), start() + Duration::days(5));
    let near = h.windows_near(ExtremeKind::High, 90);
    for (e, flat) in h.extremes_flagged() {
        if e.kind != ExtremeKind::High {
            continue;
        }
        let half = Duration::minutes(if flat { 90 + 60 } else { 90 });
        assert!(near.iter().any(|w| w.contains(e.at)));
        assert!(near.iter().any(|w| w.contains(e.at - half)) || e.at - half < h.from());
        assert!(
            !near.iter().any(|w| w.contains(e.at + half))
                || near
                    .iter()
                    .any(|w| w.contains(e.at + half) && w.start > e.at)
        );
    }
    for w in near.windows(2) {
        assert!(w[0].end < w[1].start, "merged and ordered");
    }
}

/// A diurnal port's neap days: the tide barely turns, the time of high
/// water is ill-defined, and a window near it is an hour wider each side.
#[test]
fn flat_high_waters_are_flagged_and_their_windows_widened() {
    let tide = hon_dau();
    let h = tide.horizon(start(), start() + Duration::days(30));
    let flagged = h.extremes_flagged();
    let extremes = h.extremes();
    assert_eq!(flagged.len(), extremes.len());
    for (k, (e, flat)) in flagged.iter().enumerate() {
        assert_eq!(*e, extremes[k]);
        if k > 0 && k + 1 < extremes.len() {
            let swing = (e.height_m - extremes[k - 1].height_m)
                .abs()
                .min((e.height_m - extremes[k + 1].height_m).abs());
            assert_eq!(*flat, swing < doorstep_tide::FLAT_SWING_M, "{e:?}");
        }
    }
    let flat_highs: Vec<_> = flagged
        .iter()
        .filter(|(e, flat)| *flat && e.kind == ExtremeKind::High)
        .map(|(e, _)| e.at)
        .collect();
    let sharp_highs = flagged
        .iter()
        .filter(|(e, flat)| !*flat && e.kind == ExtremeKind::High)
        .count();
    assert!(
        !flat_highs.is_empty() && sharp_highs > flat_highs.len(),
        "a month at Hòn Dấu has flat neap high waters and more sharp ones"
    );
    let near = h.windows_near(ExtremeKind::High, 90);
    for at in flat_highs {
        let edge = at - Duration::minutes(90 + 60);
        assert!(
            near.iter().any(|w| w.contains(edge)) || edge < h.from(),
            "the window before the flat high water of {at} opens 150 minutes before it"
        );
    }
}

#[test]
fn a_high_water_just_after_the_horizon_still_opens_a_window() {
    let tide = hon_dau();
    let wide = tide.horizon(start(), start() + Duration::days(3));
    let first_high = wide
        .extremes()
        .iter()
        .find(|e| e.kind == ExtremeKind::High)
        .unwrap()
        .at;
    let narrow = tide.horizon(start(), first_high - Duration::minutes(30));
    let near = narrow.windows_near(ExtremeKind::High, 90);
    assert_eq!(
        near.last().unwrap().start,
        first_high - Duration::minutes(90)
    );
    assert_eq!(near.last().unwrap().end, narrow.to());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn level_queries_agree_with_the_curve(offset_h in 0i64..2000, level in -1.0f64..1.0, probe in 0i64..86_400 * 3) {
        let tide = hon_dau();
        let from = start() + Duration::hours(offset_h);
        let h = tide.horizon(from, from + Duration::days(3));
        let t = from + Duration::seconds(probe);
        let inside = h.windows_above(level).iter().any(|w| w.contains(t));
        prop_assert_eq!(inside, h.is_above(t, level));
        prop_assert!((h.height_at(t) - tide.height(t)).abs() < 1e-9);
    }
}
