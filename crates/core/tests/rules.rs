//! Availability rules: every term, every user story, midnight, daylight
//! saving, Tết, leap months, errors, and the laws of the algebra.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use doorstep_core::rules::{
    Blackout, ExpansionContext, Lang, Rule, RuleContext, RuleError, Window, describe,
    describe_blackout, validate_blackout_json, validate_rule_json,
};
use doorstep_lunar::{LunarDate, Phase, to_solar};
use doorstep_tide::Catalog;
use rstest::rstest;
use serde_json::{Value, json};

const VN: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// An S2-only station: high water at 00:00 and 12:00 UTC, low at 06:00 and
/// 18:00, level +1 m at high water and −1 m at low.
const S2: &str = r#"
id = "s2"
name = "S2 only"
latitude = 0.0
longitude = 0.0
timezone = "UTC"
datum = "MSL"
z0_m = 0.0
phase_reference = "greenwich"
source = "a test station"
license = "CC0"
approximate = true

[[constituents]]
name = "S2"
amplitude_m = 1.0
phase_deg = 0.0
speed_deg_per_hour = 30.0
"#;

fn catalog() -> Catalog {
    Catalog::from_files([
        ("s2.toml", S2),
        (
            "vn_hon_dau.toml",
            include_str!("data/stations/vn_hon_dau.toml"),
        ),
        (
            "lach-bang.toml",
            include_str!("data/stations/lach-bang.toml"),
        ),
    ])
    .expect("test catalog")
}

fn stations() -> RuleContext {
    RuleContext::with_stations(["s2", "vn_hon_dau", "lach-bang"])
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Local midnight of a date in a zone.
fn midnight(zone: Tz, d: NaiveDate) -> DateTime<Utc> {
    zone.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// A context over [from, to) local dates in `zone`, which is also the team's.
fn ctx(zone: Tz, from: NaiveDate, to: NaiveDate) -> ExpansionContext {
    ExpansionContext::new(midnight(zone, from), midnight(zone, to), zone, catalog()).unwrap()
}

fn rule(v: Value) -> Rule {
    Rule::parse(&v, &stations()).unwrap_or_else(|e| panic!("{v}: {e:?}"))
}

/// Windows as `start/end` in local time of `zone`, `YYYY-MM-DD HH:MM` with
/// the offset when it is not the zone's usual one.
fn shown(zone: Tz, windows: &[Window]) -> Vec<String> {
    windows
        .iter()
        .map(|w| {
            format!(
                "{}/{}",
                w.start().with_timezone(&zone).format("%Y-%m-%d %H:%M%:z"),
                w.end().with_timezone(&zone).format("%Y-%m-%d %H:%M%:z")
            )
        })
        .collect()
}

fn expand(zone: Tz, from: NaiveDate, to: NaiveDate, v: Value) -> Vec<String> {
    let c = ctx(zone, from, to);
    shown(zone, &c.expand(&rule(v)).unwrap())
}

fn day_window(zone: Tz, d: NaiveDate, from: &str, to: &str, next_day: bool) -> String {
    let end_day = if next_day { d.succ_opt().unwrap() } else { d };
    let off = |day: NaiveDate, hm: &str| {
        let t = chrono::NaiveTime::parse_from_str(hm, "%H:%M").unwrap();
        zone.from_local_datetime(&day.and_time(t))
            .earliest()
            .unwrap()
            .format("%Y-%m-%d %H:%M%:z")
            .to_string()
    };
    format!("{}/{}", off(d, from), off(end_day, to))
}

// ---------------------------------------------------------------- terms

#[test]
fn lunar_days_select_the_civil_days_of_the_lunar_month() {
    let got = expand(
        VN,
        date(2026, 12, 1),
        date(2026, 12, 29),
        json!({"when": [{"lunar_days": [13, 18], "hours": ["07:00", "20:00"]}]}),
    );
    // Lunar 13–18 of month 11 (year 2026), found independently by to_solar.
    let expected: Vec<String> = (13..=18)
        .map(|d| {
            let day = to_solar(LunarDate::new(2026, 11, d, false)).unwrap();
            day_window(VN, day, "07:00", "20:00", false)
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got[0], "2026-12-21 07:00+07:00/2026-12-21 20:00+07:00");
}

#[test]
fn lunar_days_alone_are_whole_days_and_may_wrap() {
    let (from, to) = (date(2026, 12, 1), date(2027, 1, 31));
    let got = expand(VN, from, to, json!({"when": [{"lunar_days": [29, 2]}]}));
    // The runs of days whose lunar day is 29, 30, 1 or 2, found day by day.
    let mut expected: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut d = from;
    while d < to {
        let day = doorstep_lunar::to_lunar(d).unwrap().day;
        if day >= 29 || day <= 2 {
            match expected.last_mut() {
                Some(last) if last.1 == d => last.1 = d.succ_opt().unwrap(),
                _ => expected.push((d, d.succ_opt().unwrap())),
            }
        }
        d = d.succ_opt().unwrap();
    }
    let expected: Vec<String> = expected
        .iter()
        .map(|(a, b)| format!("{a} 00:00+07:00/{b} 00:00+07:00"))
        .collect();
    assert_eq!(got, expected);
    assert!(expected.len() >= 2);
}

#[test]
fn lunar_dates_cover_the_tet_season_across_the_new_year() {
    let got = expand(
        VN,
        date(2027, 1, 1),
        date(2027, 3, 1),
        json!({"when": [{"lunar_dates": ["12-23", "01-10"], "hours": ["08:00", "20:00"]}]}),
    );
    let first = to_solar(LunarDate::new(2026, 12, 23, false)).unwrap();
    let last = to_solar(LunarDate::new(2027, 1, 10, false)).unwrap();
    let tet = to_solar(LunarDate::new(2027, 1, 1, false)).unwrap();
    assert_eq!(tet, date(2027, 2, 6));
    let days = (last - first).num_days() + 1;
    assert_eq!(got.len() as i64, days);
    assert_eq!(got[0], day_window(VN, first, "08:00", "20:00", false));
    assert_eq!(
        got.last().unwrap(),
        &day_window(VN, last, "08:00", "20:00", false)
    );
    assert!(got.iter().any(|w| w.starts_with("2027-02-06 08:00")));
}

#[test]
fn around_moon_counts_days_from_the_phase_day_in_vietnam() {
    let got = expand(
        VN,
        date(2026, 12, 1),
        date(2026, 12, 29),
        json!({"when": [{"around_moon": {"phase": "full", "days_before": 1, "days_after": 2}}]}),
    );
    let full = doorstep_lunar::phases_of(
        Phase::Full,
        midnight(VN, date(2026, 12, 1)),
        midnight(VN, date(2026, 12, 29)),
    )
    .unwrap();
    assert_eq!(full.len(), 1);
    let day = full[0].at.with_timezone(&VN).date_naive();
    assert_eq!(
        got,
        vec![format!(
            "{} 00:00+07:00/{} 00:00+07:00",
            day - Duration::days(1),
            day + Duration::days(3)
        )]
    );
}

#[rstest]
#[case::dates(json!({"dates": ["2026-12-02", "2026-12-04"]}), vec!["2026-12-02 00:00+07:00/2026-12-03 00:00+07:00"])]
#[case::weekdays(json!({"weekdays": ["thu"], "hours": ["09:00", "10:30"]}), vec![
    "2026-12-03 09:00+07:00/2026-12-03 10:30+07:00"])]
#[case::hours_alone(json!({"hours": ["22:00", "24:00"]}), vec![
    "2026-12-01 22:00+07:00/2026-12-02 00:00+07:00",
    "2026-12-02 22:00+07:00/2026-12-03 00:00+07:00"])]
#[case::across_midnight(json!({"weekdays": ["sat"], "hours": ["22:00", "02:00"]}), vec![
    "2026-12-05 22:00+07:00/2026-12-06 02:00+07:00"])]
#[case::night_cut_by_horizon(json!({"hours": ["22:00", "02:00"]}), vec![
    "2026-12-01 00:00+07:00/2026-12-01 02:00+07:00",
    "2026-12-01 22:00+07:00/2026-12-02 02:00+07:00",
    "2026-12-02 22:00+07:00/2026-12-03 00:00+07:00"])]
#[case::whole_day_hours(json!({"dates": ["2026-12-02", "2026-12-02"], "hours": ["06:00", "06:00"]}), vec![
    "2026-12-02 06:00+07:00/2026-12-03 00:00+07:00"])]
#[case::between(json!({"between": ["2026-12-01T18:00", "2026-12-02T12:00"]}), vec![
    "2026-12-01 18:00+07:00/2026-12-02 12:00+07:00"])]
#[case::seoul(json!({"weekdays": ["wed"], "hours": ["20:00", "22:00"], "timezone": "Asia/Seoul"}), vec![
    "2026-12-02 18:00+07:00/2026-12-02 20:00+07:00"])]
#[case::tide_near_high(json!({"dates": ["2026-12-01", "2026-12-01"], "tide": {"station": "s2", "near": "high", "within_minutes": 30}}), vec![
    "2026-12-01 06:30+07:00/2026-12-01 07:30+07:00",
    "2026-12-01 18:30+07:00/2026-12-01 19:30+07:00"])]
#[case::tide_above(json!({"dates": ["2026-12-01", "2026-12-01"], "tide": {"station": "s2", "above_m": 0.5}}), vec![
    "2026-12-01 05:00+07:00/2026-12-01 09:00+07:00",
    "2026-12-01 17:00+07:00/2026-12-01 21:00+07:00"])]
// Low waters at 01:00 and 13:00 (UTC+7); below −0.5 m for two hours either side.
#[case::tide_below(json!({"hours": ["00:00", "12:00"], "tide": {"station": "s2", "below_m": -0.5}}), vec![
    "2026-12-01 00:00+07:00/2026-12-01 03:00+07:00",
    "2026-12-01 11:00+07:00/2026-12-01 12:00+07:00",
    "2026-12-02 00:00+07:00/2026-12-02 03:00+07:00",
    "2026-12-02 11:00+07:00/2026-12-02 12:00+07:00"])]
fn each_term_alone(#[case] term: Value, #[case] expected: Vec<&str>) {
    // Two days, or a week for the days of the week.
    let to = if term.get("weekdays").is_some() {
        date(2026, 12, 8)
    } else {
        date(2026, 12, 3)
    };
    let got = expand(VN, date(2026, 12, 1), to, json!({"when": [term]}));
    assert_eq!(got, expected);
}

#[test]
fn the_context_is_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<ExpansionContext>();
    shared::<Rule>();
}

// ---------------------------------------------------------------- stories

#[test]
fn anh_duc_fishing_crew_ashore_around_ram_not_at_high_water() {
    let r = rule(json!({"mode": "in_person",
        "when": [{"lunar_days": [13, 18], "hours": ["07:00", "20:00"]}],
        "except": [{"tide": {"station": "lach-bang", "near": "high", "within_minutes": 90}}]}));
    assert_eq!(
        describe(&r, Lang::Vi),
        "Ở nhà quanh rằm (âm lịch 13–18), 07:00–20:00, trừ 90 phút quanh nước lớn (trạm lach-bang)"
    );
    assert_eq!(
        describe(&r, Lang::En),
        "At home around the full moon (lunar days 13–18), 07:00–20:00, except within 90 minutes of high water (station lach-bang)"
    );
    // In December the high waters fall at night; over a year some fall in
    // the daytime and cut the windows.
    let c = ctx(VN, date(2026, 1, 1), date(2027, 1, 1));
    let windows = c.expand(&r).unwrap();
    let plain = c
        .expand(&rule(
            json!({"when": [{"lunar_days": [13, 18], "hours": ["07:00", "20:00"]}]}),
        ))
        .unwrap();
    let total = |w: &[Window]| w.iter().map(Window::minutes).sum::<i64>();
    assert!(total(&windows) < total(&plain));
    // No window comes within 90 minutes of a high water at the station.
    let tide = catalog()
        .predictor("lach-bang")
        .unwrap()
        .extremes(c.from(), c.to());
    for e in tide
        .iter()
        .filter(|e| e.kind == doorstep_tide::ExtremeKind::High)
    {
        for w in &windows {
            let gap = Duration::minutes(90);
            assert!(
                w.end() <= e.at - gap + Duration::seconds(30)
                    || w.start() >= e.at + gap - Duration::seconds(30),
                "{w:?} near {e:?}"
            );
        }
    }
    // Every window lies on a lunar 13–18 day, 07:00–20:00.
    for w in &windows {
        let local = w.start().with_timezone(&VN);
        let lunar = doorstep_lunar::to_lunar(local.date_naive()).unwrap();
        assert!((13..=18).contains(&lunar.day));
        assert!(local.format("%H:%M").to_string().as_str() >= "07:00");
    }
}

#[test]
fn chi_lan_in_korea_weekend_evenings_korea_time() {
    let got = expand(
        VN,
        date(2026, 12, 1),
        date(2026, 12, 8),
        json!({"mode": "remote", "when": [
            {"weekdays": ["sat", "sun"], "hours": ["19:00", "22:00"], "timezone": "Asia/Seoul"},
            {"weekdays": ["wed"], "hours": ["20:00", "22:00"], "timezone": "Asia/Seoul"}]}),
    );
    assert_eq!(
        got,
        vec![
            "2026-12-02 18:00+07:00/2026-12-02 20:00+07:00",
            "2026-12-05 17:00+07:00/2026-12-05 20:00+07:00",
            "2026-12-06 17:00+07:00/2026-12-06 20:00+07:00",
        ]
    );
}

#[test]
fn le_family_home_after_six_on_weekdays() {
    let r = rule(
        json!({"when": [{"weekdays": ["mon", "tue", "wed", "thu", "fri"], "hours": ["18:00", "21:00"]}]}),
    );
    assert_eq!(describe(&r, Lang::Vi), "Ở nhà thứ Hai–thứ Sáu, 18:00–21:00");
    let c = ctx(VN, date(2026, 12, 1), date(2026, 12, 29));
    let w = c.expand(&r).unwrap();
    assert_eq!(w.len(), 20);
    assert!(w.iter().all(|w| w.minutes() == 180));
}

#[test]
fn everyone_home_for_tet_minus_a_storm_blackout() {
    let r =
        rule(json!({"when": [{"lunar_dates": ["12-23", "01-10"], "hours": ["08:00", "20:00"]}]}));
    let storm = Blackout::parse(
        &json!({"label": "bão số 3", "between": ["2027-02-01T12:00", "2027-02-03T12:00"]}),
        &stations(),
    )
    .unwrap();
    assert_eq!(
        describe_blackout(&storm, Lang::Vi),
        "bão số 3 (từ 12:00 01/02/2027 đến 12:00 03/02/2027): ngừng mọi cuộc gặp"
    );
    let c = ctx(VN, date(2027, 1, 25), date(2027, 2, 22));
    let all = c.expand(&r).unwrap();
    let cut = c.expand_with(&r, std::slice::from_ref(&storm)).unwrap();
    let shown_cut = shown(VN, &cut);
    assert!(shown_cut.contains(&"2027-02-01 08:00+07:00/2027-02-01 12:00+07:00".to_owned()));
    assert!(!shown_cut.iter().any(|w| w.starts_with("2027-02-02")));
    assert!(shown_cut.contains(&"2027-02-03 12:00+07:00/2027-02-03 20:00+07:00".to_owned()));
    assert_eq!(
        all.iter().map(Window::minutes).sum::<i64>() - cut.iter().map(Window::minutes).sum::<i64>(),
        4 * 60 + 12 * 60 + 8 * 60
    );
    // A blackout for in-person visits only leaves remote rules alone.
    let in_person_only = Blackout::parse(
        &json!({"label": "cấm biển", "mode": "in_person", "dates": ["2027-01-20", "2027-02-28"]}),
        &stations(),
    )
    .unwrap();
    let remote = rule(json!({"mode": "remote", "when": [{"hours": ["19:00", "21:00"]}]}));
    assert_eq!(
        c.expand_with(&remote, std::slice::from_ref(&in_person_only))
            .unwrap(),
        c.expand(&remote).unwrap()
    );
    let explained = c.explain(&r, &[in_person_only]).unwrap();
    assert_eq!(explained.len(), 1, "{explained:?}");
    assert!(explained[0].path.starts_with("blackout \"cấm biển\""));
}

#[test]
fn an_except_term_with_a_label_names_the_storm() {
    let r = rule(json!({"when": [{"hours": ["08:00", "17:00"]}],
        "except": [{"label": "bão số 3", "dates": ["2026-09-05", "2026-09-07"]}]}));
    assert_eq!(
        describe(&r, Lang::Vi),
        "Ở nhà 08:00–17:00, trừ bão số 3 (từ 05/09/2026 đến 07/09/2026)"
    );
    let got = expand(VN, date(2026, 9, 4), date(2026, 9, 9), r.to_json());
    assert_eq!(
        got,
        vec![
            "2026-09-04 08:00+07:00/2026-09-04 17:00+07:00",
            "2026-09-08 08:00+07:00/2026-09-08 17:00+07:00"
        ]
    );
}

// ---------------------------------------------------------------- clocks and calendars

#[test]
fn a_worker_in_germany_across_both_daylight_saving_changes() {
    let berlin = chrono_tz::Europe::Berlin;
    // Saturday night 22:00–02:00 Berlin time, the night the clocks go back
    // (25 October 2026, 03:00 CEST → 02:00 CET) and go forward (29 March 2026).
    let r = json!({"mode": "remote", "when": [
        {"weekdays": ["sat"], "hours": ["22:00", "02:00"], "timezone": "Europe/Berlin"},
        {"weekdays": ["sun"], "hours": ["19:00", "22:00"], "timezone": "Europe/Berlin"}]});
    let autumn = ExpansionContext::new(
        midnight(berlin, date(2026, 10, 24)),
        midnight(berlin, date(2026, 10, 26)),
        VN,
        catalog(),
    )
    .unwrap();
    let w = autumn.expand(&rule(r.clone())).unwrap();
    assert_eq!(
        shown(berlin, &w),
        vec![
            "2026-10-24 22:00+02:00/2026-10-25 02:00+02:00",
            "2026-10-25 19:00+01:00/2026-10-25 22:00+01:00"
        ]
    );
    assert_eq!(w[0].minutes(), 240);
    assert_eq!(
        w[1].start(),
        Utc.with_ymd_and_hms(2026, 10, 25, 18, 0, 0).unwrap()
    );
    let spring = ExpansionContext::new(
        midnight(berlin, date(2026, 3, 28)),
        midnight(berlin, date(2026, 3, 30)),
        VN,
        catalog(),
    )
    .unwrap();
    let w = spring.expand(&rule(r)).unwrap();
    assert_eq!(
        shown(berlin, &w),
        vec![
            // 02:00 does not exist that night: the window ends when the clock jumps.
            "2026-03-28 22:00+01:00/2026-03-29 03:00+02:00",
            "2026-03-29 19:00+02:00/2026-03-29 22:00+02:00"
        ]
    );
    // An hour inside the gap (02:00–03:00 does not exist) starts when the clock jumps.
    let gap = ExpansionContext::new(
        midnight(berlin, date(2026, 3, 29)),
        midnight(berlin, date(2026, 3, 30)),
        berlin,
        catalog(),
    )
    .unwrap();
    let w = gap
        .expand(&rule(json!({"when": [{"hours": ["02:30", "04:00"]}]})))
        .unwrap();
    assert_eq!(
        shown(berlin, &w),
        vec!["2026-03-29 03:00+02:00/2026-03-29 04:00+02:00"]
    );
}

#[test]
fn a_worker_in_sydney_when_daylight_saving_ends() {
    let sydney = chrono_tz::Australia::Sydney;
    // 5 April 2026: 03:00 AEDT → 02:00 AEST.
    let c = ExpansionContext::new(
        midnight(sydney, date(2026, 4, 4)),
        midnight(sydney, date(2026, 4, 7)),
        VN,
        catalog(),
    )
    .unwrap();
    let w = c
        .expand(&rule(json!({"mode": "remote", "when": [
            {"hours": ["19:00", "21:00"], "timezone": "Australia/Sydney"}]})))
        .unwrap();
    assert_eq!(
        shown(sydney, &w),
        vec![
            "2026-04-04 19:00+11:00/2026-04-04 21:00+11:00",
            "2026-04-05 19:00+10:00/2026-04-05 21:00+10:00",
            "2026-04-06 19:00+10:00/2026-04-06 21:00+10:00"
        ]
    );
    assert_eq!(
        w[0].start(),
        Utc.with_ymd_and_hms(2026, 4, 4, 8, 0, 0).unwrap()
    );
    assert_eq!(
        w[1].start(),
        Utc.with_ymd_and_hms(2026, 4, 5, 9, 0, 0).unwrap()
    );
}

#[rstest]
#[case::leap_6_of_2025(2025, 6)]
#[case::leap_5_of_2028(2028, 5)]
#[case::leap_11_of_2033(2033, 11)]
fn lunar_days_in_a_leap_month(#[case] year: i32, #[case] month: u8) {
    assert_eq!(doorstep_lunar::leap_month(year).unwrap(), Some(month));
    let leap_13 = to_solar(LunarDate::new(year, month, 13, true)).unwrap();
    let leap_18 = to_solar(LunarDate::new(year, month, 18, true)).unwrap();
    let got = expand(
        VN,
        leap_13 - Duration::days(3),
        leap_18 + Duration::days(3),
        json!({"when": [{"lunar_days": [13, 18]}]}),
    );
    assert_eq!(
        got,
        vec![format!(
            "{leap_13} 00:00+07:00/{} 00:00+07:00",
            leap_18.succ_opt().unwrap()
        )]
    );
    // Month-days of the month it repeats do not include the leap month;
    // a range running into the next month does.
    let from = to_solar(LunarDate::new(year, month, 1, false)).unwrap();
    let c = ctx(VN, from, from + Duration::days(100));
    let md = format!("{month:02}");
    let only = c
        .expand(&rule(
            json!({"when": [{"lunar_dates": [format!("{md}-01"), format!("{md}-30")]}]}),
        ))
        .unwrap();
    assert_eq!(only.len(), 1);
    // A range across the leap month runs through it in one piece: mid-month
    // to day 5 of the next month, the leap month between.
    let next = format!("{:02}", month % 12 + 1);
    let across = c
        .expand(&rule(
            json!({"when": [{"lunar_dates": [format!("{md}-15"), format!("{next}-05")]}]}),
        ))
        .unwrap();
    let next_year = if month == 12 { year + 1 } else { year };
    assert_eq!(across.len(), 1, "{across:?}");
    assert_eq!(
        across[0].start(),
        midnight(
            VN,
            to_solar(LunarDate::new(year, month, 15, false)).unwrap()
        )
    );
    assert_eq!(
        across[0].end(),
        midnight(
            VN,
            to_solar(LunarDate::new(next_year, month % 12 + 1, 6, false)).unwrap()
        )
    );
    assert!(only[0].end() <= midnight(VN, to_solar(LunarDate::new(year, month, 1, true)).unwrap()));
}

#[test]
fn lunar_days_across_tet() {
    // Lunar 28 of month 12 to lunar 2 of month 1: one run over Tết 2027.
    let got = expand(
        VN,
        date(2027, 1, 20),
        date(2027, 2, 20),
        json!({"when": [{"lunar_days": [28, 2]}]}),
    );
    let start = to_solar(LunarDate::new(2026, 12, 28, false)).unwrap();
    let end = to_solar(LunarDate::new(2027, 1, 2, false)).unwrap();
    assert!(
        got.contains(&format!(
            "{start} 00:00+07:00/{} 00:00+07:00",
            end.succ_opt().unwrap()
        )),
        "{got:?}"
    );
}

// ---------------------------------------------------------------- the demo's rules

#[rstest]
#[case(json!({"mode":"in_person","when":[{"lunar_days":[13,18],"hours":["07:00","20:00"]}],"except":[{"tide":{"station":"lach-bang","near":"high","within_minutes":90}}]}))]
#[case(json!({"mode":"remote","when":[{"weekdays":["sat","sun"],"hours":["19:00","22:00"],"timezone":"Asia/Seoul"},{"weekdays":["wed"],"hours":["20:00","22:00"],"timezone":"Asia/Seoul"}]}))]
#[case(json!({"mode":"in_person","when":[{"weekdays":["mon","tue","wed","thu","fri"],"hours":["18:00","21:00"]},{"weekdays":["sun"],"hours":["08:00","11:00"]}]}))]
#[case(json!({"mode":"in_person","when":[{"hours":["08:00","11:00"]},{"hours":["14:00","17:00"]}]}))]
#[case(json!({"mode":"in_person","when":[{"lunar_dates":["12-23","01-10"],"hours":["08:00","20:00"]}]}))]
fn the_demo_rules_parse_and_expand(#[case] v: Value) {
    let known = ["lach-bang", "vn_hon_dau"];
    assert_eq!(validate_rule_json(&v.to_string(), &known), Ok(()));
    let r = rule(v);
    let c = ctx(VN, date(2026, 1, 20), date(2026, 2, 28));
    assert!(!c.expand(&r).unwrap().is_empty());
    assert!(!describe(&r, Lang::Vi).is_empty());
}

// ---------------------------------------------------------------- errors

fn errors(v: Value) -> Vec<String> {
    Rule::parse(&v, &stations())
        .unwrap_err()
        .iter()
        .map(RuleError::to_string)
        .collect()
}

#[test]
fn the_issue_example_error() {
    assert_eq!(
        errors(json!({"when": [{"hours": ["07:00", "25:00"]}]})),
        vec![r#"when[0].hours[1]: expected HH:MM, got "25:00""#]
    );
}

#[test]
fn every_error_at_once_with_its_path() {
    let got = errors(json!({
        "version": 1,
        "mode": "visit",
        "colour": "red",
        "when": [
            {"lunar_days": [0, 31], "hours": ["7h", "20:00"], "timezone": "Asia/Hanoi"},
            {"weekdays": ["mon", "funday", "mon"], "dates": ["2026-12-10", "2026-12-01"]},
            {"tide": {"station": "atlantis", "near": "high"}},
            {"around_moon": {"phase": "blue", "days_before": 40}},
            {"lunar_dates": ["13-01", "1-5"], "weekdays": []},
            {},
            {"timezone": "Asia/Seoul"}
        ],
        "except": [{"tide": {"station": "s2", "above_m": 1.0, "below_m": 0.0}},
                   {"between": ["2026-12-02T10:00", "2026-12-02T10:00"]}]
    }));
    let paths: Vec<&str> = got.iter().map(|e| e.split(": ").next().unwrap()).collect();
    for p in [
        "mode",
        "colour",
        "when[0].lunar_days[0]",
        "when[0].lunar_days[1]",
        "when[0].hours[0]",
        "when[0].timezone",
        "when[1].weekdays[1]",
        "when[1].weekdays[2]",
        "when[1].dates",
        "when[2].tide.station",
        "when[2].tide.within_minutes",
        "when[3].around_moon.phase",
        "when[3].around_moon.days_before",
        "when[4].lunar_dates[0]",
        "when[4].lunar_dates[1]",
        "when[4].weekdays",
        "when[5]",
        "when[6]",
        "except[0].tide",
        "except[1].between",
    ] {
        assert!(paths.contains(&p), "{p} missing from {got:#?}");
    }
    assert!(got.iter().any(|e| {
        e.contains("unknown station \"atlantis\"; expected one of: lach-bang, s2, vn_hon_dau")
    }));
    assert!(
        got.iter()
            .any(|e| e.contains(r#"expected an IANA time zone"#) && e.contains("Asia/Hanoi"))
    );
    assert!(got.iter().any(|e| e.contains("colour: unknown key")));
}

#[rstest]
#[case(json!({"version": 2, "when": [{"hours": ["07:00", "08:00"]}]}), "version: unsupported version; expected 1, got 2")]
#[case(json!({"when": []}), "when: empty; expected at least one term")]
#[case(json!({}), "when: missing; expected a list of at least one term")]
#[case(json!([1]), "(root): expected a rule (a JSON object), got [1]")]
#[case(json!({"when": [{"lunar_days": [13]}]}), "when[0].lunar_days: expected a pair [from, to] of ngày âm lịch 1–30 / lunar days 1–30, got [13]")]
#[case(json!({"when": [{"tide": {"station": "s2", "above_m": 1.0, "within_minutes": 5}}]}), "when[0].tide.within_minutes: only meaningful with near; expected near: \"high\" or \"low\" beside it")]
fn single_errors(#[case] v: Value, #[case] expected: &str) {
    assert_eq!(errors(v), vec![expected]);
}

#[test]
fn validation_entry_points() {
    assert!(
        validate_rule_json("{not json", &[]).unwrap_err()[0]
            .message
            .starts_with("not valid JSON")
    );
    let e = validate_rule_json(
        r#"{"when":[{"tide":{"station":"lach-bang","near":"high","within_minutes":90}}]}"#,
        &[],
    )
    .unwrap_err();
    assert_eq!(e[0].path, "when[0].tide.station");
    assert!(e[0].bilingual().contains("trạm không có trong danh mục"));
    assert_eq!(
        validate_blackout_json(r#"{"dates":["2026-09-05","2026-09-07"]}"#, &[]).unwrap_err()[0]
            .path,
        "label"
    );
    let twice = validate_blackout_json(
        r#"{"label":7,"colour":"red","hours":["08:00","09:00"]}"#,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        twice.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
        vec!["colour", "label"],
        "each problem once: {twice:?}"
    );
    assert_eq!(
        validate_blackout_json(
            r#"{"label":"cấm biển","mode":"in_person","dates":["2026-04-01","2026-06-30"]}"#,
            &[]
        ),
        Ok(())
    );
}

#[test]
fn explain_names_the_key_that_empties_a_term() {
    let c = ctx(VN, date(2026, 12, 1), date(2026, 12, 29));
    let r = rule(json!({"when": [{"dates": ["2026-12-01", "2026-12-06"], "weekdays": ["mon"]}]}));
    let e = c.explain(&r, &[]).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].path, "when[0].weekdays");
    let r = rule(json!({"when": [{"dates": ["2027-01-01", "2027-01-06"]}]}));
    assert_eq!(c.explain(&r, &[]).unwrap()[0].path, "when[0].dates");
    let r = rule(
        json!({"when": [{"hours": ["08:00", "09:00"]}], "except": [{"label": "nghỉ", "hours": ["07:00", "10:00"]}]}),
    );
    assert_eq!(c.explain(&r, &[]).unwrap()[0].path, "except[0] (nghỉ)");
    let r = rule(json!({"when": [{"hours": ["08:00", "09:00"]}]}));
    assert!(c.explain(&r, &[]).unwrap().is_empty());
}

#[test]
fn out_of_range_horizons_are_refused() {
    let from = Utc.with_ymd_and_hms(2199, 12, 30, 0, 0, 0).unwrap();
    assert!(ExpansionContext::new(from, from + Duration::days(3), VN, Catalog::default()).is_err());
}

// ---------------------------------------------------------------- laws

mod laws {
    use super::*;
    use proptest::prelude::*;

    fn hm() -> impl Strategy<Value = String> {
        (0u16..48).prop_map(|h| format!("{:02}:{:02}", h / 2, (h % 2) * 30))
    }

    fn term() -> impl Strategy<Value = Value> {
        let days = prop::collection::btree_set(0usize..7, 1..4).prop_map(|s| {
            let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
            Value::from(s.into_iter().map(|i| names[i]).collect::<Vec<_>>())
        });
        let zones = prop::sample::select(vec![
            "Asia/Ho_Chi_Minh",
            "Asia/Seoul",
            "Europe/Berlin",
            "Australia/Sydney",
        ]);
        (
            prop::option::of((1u8..=30, 1u8..=30)),
            prop::option::of(days),
            prop::option::of((hm(), hm())),
            prop::option::of(zones),
            prop::option::of((0i64..20, 0i64..6)),
            prop::option::of((0u32..3, 10u32..200)),
            prop::option::of((0u8..6, 0u8..3, 0u8..3)),
            prop::option::of(((1u8..=12, 1u8..=30), (1u8..=12, 1u8..=30))),
        )
            .prop_map(|(ld, wd, h, tz, dates, tide, moon, lunar_dates)| {
                let mut m = serde_json::Map::new();
                if let Some(((m1, d1), (m2, d2))) = lunar_dates {
                    m.insert(
                        "lunar_dates".into(),
                        json!([format!("{m1:02}-{d1:02}"), format!("{m2:02}-{d2:02}")]),
                    );
                }
                if let Some((a, b)) = ld {
                    m.insert("lunar_days".into(), json!([a, b]));
                }
                if let Some(w) = wd {
                    m.insert("weekdays".into(), w);
                }
                if let Some((a, b)) = h {
                    m.insert("hours".into(), json!([a, b]));
                }
                if let Some((start, len)) = dates {
                    let a = date(2026, 10, 15) + Duration::days(start);
                    m.insert(
                        "dates".into(),
                        json!([a.to_string(), (a + Duration::days(len)).to_string()]),
                    );
                }
                if let Some((kind, minutes)) = tide {
                    let t = match kind {
                        0 => json!({"station": "s2", "near": "high", "within_minutes": minutes}),
                        1 => json!({"station": "s2", "above_m": (minutes as f64 - 100.0) / 100.0}),
                        _ => json!({"station": "lach-bang", "near": "low", "within_minutes": minutes}),
                    };
                    m.insert("tide".into(), t);
                }
                if let Some((phase, b, a)) = moon {
                    let phase = if phase < 3 { "full" } else { "new" };
                    m.insert(
                        "around_moon".into(),
                        json!({"phase": phase, "days_before": b, "days_after": a}),
                    );
                }
                if m.is_empty() {
                    m.insert("hours".into(), json!(["09:00", "10:00"]));
                }
                if let Some(z) = tz {
                    m.insert("timezone".into(), json!(z));
                }
                Value::Object(m)
            })
    }

    fn terms(max: usize) -> impl Strategy<Value = Vec<Value>> {
        prop::collection::vec(term(), 1..=max)
    }

    fn context() -> &'static ExpansionContext {
        static CTX: std::sync::OnceLock<ExpansionContext> = std::sync::OnceLock::new();
        CTX.get_or_init(|| {
            ExpansionContext::new(
                Utc.with_ymd_and_hms(2026, 10, 20, 5, 17, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 11, 10, 19, 3, 0).unwrap(),
                VN,
                catalog(),
            )
            .unwrap()
        })
    }

    type Spans = Vec<(i64, i64)>;

    fn spans(w: &[Window]) -> Spans {
        w.iter()
            .map(|w| (w.start_minute(), w.end_minute()))
            .collect()
    }

    fn windows_of(when: Vec<Value>, except: Vec<Value>) -> Spans {
        let r = rule(json!({"when": when, "except": except}));
        spans(&context().expand(&r).unwrap())
    }

    /// Minute-by-minute membership, the slow and obvious way.
    fn contains(s: &Spans, m: i64) -> bool {
        s.iter().any(|&(a, b)| a <= m && m < b)
    }

    fn same_set(a: &Spans, b: &Spans) -> bool {
        a == b
    }

    fn union(a: &Spans, b: &Spans) -> Spans {
        let mut all: Spans = a.iter().chain(b).copied().collect();
        all.sort();
        let mut out: Spans = Vec::new();
        for (s, e) in all {
            match out.last_mut() {
                Some(l) if s <= l.1 => l.1 = l.1.max(e),
                _ => out.push((s, e)),
            }
        }
        out
    }

    fn sample_minutes() -> Vec<i64> {
        let from = context().from().timestamp() / 60;
        let to = context().to().timestamp() / 60;
        (from - 10..to + 10).step_by(7).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn windows_are_sorted_disjoint_and_inside(when in terms(3), except in prop::collection::vec(term(), 0..2)) {
            let s = windows_of(when, except);
            let from = context().from().timestamp() / 60;
            let to = context().to().timestamp() / 60;
            for w in &s {
                prop_assert!(w.0 < w.1);
                prop_assert!(from <= w.0 && w.1 <= to);
            }
            for pair in s.windows(2) {
                prop_assert!(pair[0].1 < pair[1].0, "touching or overlapping {:?}", pair);
            }
        }

        #[test]
        fn when_is_the_union_of_its_terms(a in term(), b in term()) {
            let both = windows_of(vec![a.clone(), b.clone()], vec![]);
            let one = windows_of(vec![a], vec![]);
            let two = windows_of(vec![b], vec![]);
            prop_assert!(same_set(&both, &union(&one, &two)));
        }

        #[test]
        fn except_subtracts_exactly_its_windows(w in terms(2), e in terms(2)) {
            let got = windows_of(w.clone(), e.clone());
            let plus = windows_of(w, vec![]);
            let minus = windows_of(e, vec![]);
            for m in sample_minutes() {
                prop_assert_eq!(contains(&got, m), contains(&plus, m) && !contains(&minus, m), "minute {}", m);
            }
        }

        #[test]
        fn a_rule_minus_itself_is_nothing(w in terms(3)) {
            prop_assert!(windows_of(w.clone(), w).is_empty());
        }

        #[test]
        fn instant_keys_intersect(t in term(), start in 0i64..20, hours in 1i64..300) {
            let a = date(2026, 10, 20).and_hms_opt(0, 0, 0).unwrap() + Duration::days(start);
            let b = a + Duration::hours(hours);
            let between = json!([a.format("%Y-%m-%dT%H:%M").to_string(), b.format("%Y-%m-%dT%H:%M").to_string()]);
            let mut both = t.clone();
            both["between"] = between.clone();
            let mut only = serde_json::Map::new();
            only.insert("between".into(), between);
            if let Some(z) = t.get("timezone") {
                only.insert("timezone".into(), z.clone());
            }
            let got = windows_of(vec![both], vec![]);
            let x = windows_of(vec![t], vec![]);
            let y = windows_of(vec![Value::Object(only)], vec![]);
            for m in sample_minutes() {
                prop_assert_eq!(contains(&got, m), contains(&x, m) && contains(&y, m));
            }
        }

        #[test]
        fn json_round_trip(w in terms(3), e in prop::collection::vec(term(), 0..2)) {
            let r = rule(json!({"mode": "remote", "when": w, "except": e}));
            prop_assert_eq!(Rule::parse(&r.to_json(), &stations()).unwrap(), r.clone());
            prop_assert!(!describe(&r, Lang::Vi).is_empty());
            prop_assert!(!describe(&r, Lang::En).is_empty());
        }
    }
}
