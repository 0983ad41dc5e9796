//! The patterns a leader picks and then adjusts: each gives an ordinary
//! [`Rule`], whose JSON ([`Rule::to_json`]) can be edited like any other.
//!
//! ```
//! use doorstep_core::rules::presets::{self, Preset, PresetOptions};
//! use doorstep_core::rules::{Lang, describe};
//!
//! let rule = presets::worker_abroad("Hàn Quốc").unwrap();
//! assert_eq!(rule.when[0].timezone, Some(chrono_tz::Asia::Seoul));
//! let crew = presets::build(Preset::FishingCrew, &PresetOptions {
//!     station: Some("lach-bang".into()),
//!     ..Default::default()
//! }).unwrap();
//! assert_eq!(
//!     describe(&crew, Lang::Vi),
//!     "Ở nhà quanh rằm (âm lịch 13–18), 07:00–20:00, trừ 90 phút quanh nước lớn (trạm lach-bang)"
//! );
//! ```

use chrono::Weekday;
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::parse::weekday_code;
use super::{Rule, RuleContext};
use crate::country::find_country;

/// A pattern to start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Fishing crew: ashore around the full moon (lunar 13–18), in the
    /// daytime, not while unloading near high water.
    FishingCrew,
    /// Worker abroad: remote, weekend evenings and Wednesday evening in the
    /// country's zone.
    WorkerAbroad,
    /// Farmer: home in the evening, and weekend mornings.
    Farmer,
    /// Elderly or at home: daytime, morning and afternoon.
    Elderly,
    /// Shift worker: home the hours the shift leaves free, and days off.
    ShiftWorker,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 5] = [
        Preset::FishingCrew,
        Preset::WorkerAbroad,
        Preset::Farmer,
        Preset::Elderly,
        Preset::ShiftWorker,
    ];

    /// The code used in forms and files.
    pub fn code(self) -> &'static str {
        match self {
            Preset::FishingCrew => "fishing_crew",
            Preset::WorkerAbroad => "worker_abroad",
            Preset::Farmer => "farmer",
            Preset::Elderly => "elderly",
            Preset::ShiftWorker => "shift_worker",
        }
    }

    /// The Vietnamese name.
    pub fn label_vi(self) -> &'static str {
        match self {
            Preset::FishingCrew => "Đi biển, về bờ quanh rằm",
            Preset::WorkerAbroad => "Làm việc ở nước ngoài",
            Preset::Farmer => "Làm nông",
            Preset::Elderly => "Người cao tuổi, ở nhà",
            Preset::ShiftWorker => "Làm theo ca",
        }
    }

    /// The English name.
    pub fn label_en(self) -> &'static str {
        match self {
            Preset::FishingCrew => "Fishing crew, ashore around the full moon",
            Preset::WorkerAbroad => "Working abroad",
            Preset::Farmer => "Farmer",
            Preset::Elderly => "Elderly, at home",
            Preset::ShiftWorker => "Shift worker",
        }
    }

    /// The preset with this code.
    pub fn parse(code: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// A work shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Shift {
    /// 06:00–14:00: home 16:00–20:00.
    #[default]
    Day,
    /// 14:00–22:00: home 08:00–12:00.
    Evening,
    /// 22:00–06:00: home 14:00–18:00.
    Night,
}

/// What a preset may be adjusted with.
#[derive(Debug, Clone, Default)]
pub struct PresetOptions {
    /// Fishing crew: the station whose high water they unload at.
    pub station: Option<String>,
    /// Worker abroad: the country (code or name, e.g. "KR", "Hàn Quốc").
    pub country: Option<String>,
    /// Worker abroad: the zone, when the country has several.
    pub timezone: Option<Tz>,
    /// Shift worker: the shift.
    pub shift: Shift,
    /// Shift worker: days off, home 08:00–20:00.
    pub days_off: Vec<Weekday>,
}

/// Why a preset cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresetError {
    /// The country is not known.
    #[error(
        "không biết quốc gia \"{0}\"; cần mã (KR) hoặc tên (Hàn Quốc) / \
         unknown country \"{0}\"; expected a code (KR) or a name (South Korea)"
    )]
    UnknownCountry(String),
    /// The country spans several zones, and none was given.
    #[error(
        "{0} có nhiều múi giờ; cần chọn múi giờ / \
         {0} spans several time zones; expected a time zone"
    )]
    ZoneNeeded(String),
    /// Worker abroad without a country or zone.
    #[error("cần quốc gia hoặc múi giờ / expected a country or a time zone")]
    CountryNeeded,
}

fn rule(value: &Value, stations: &[&str]) -> Rule {
    Rule::parse(value, &RuleContext::with_stations(stations))
        .unwrap_or_else(|e| unreachable!("a preset is a valid rule: {e:?}"))
}

/// Builds a preset.
///
/// # Errors
/// For [`Preset::WorkerAbroad`], an unknown country or one with several
/// zones and no zone given.
pub fn build(preset: Preset, options: &PresetOptions) -> Result<Rule, PresetError> {
    Ok(match preset {
        Preset::FishingCrew => fishing_crew(options.station.as_deref()),
        Preset::WorkerAbroad => match (options.timezone, &options.country) {
            (Some(tz), _) => worker_abroad_in_zone(tz),
            (None, Some(country)) => worker_abroad(country)?,
            (None, None) => return Err(PresetError::CountryNeeded),
        },
        Preset::Farmer => farmer(),
        Preset::Elderly => elderly(),
        Preset::ShiftWorker => shift_worker(options.shift, &options.days_off),
    })
}

/// Ashore around the full moon (lunar 13–18), 07:00–20:00; with a station,
/// except 90 minutes either side of high water there.
pub fn fishing_crew(station: Option<&str>) -> Rule {
    let mut value = json!({"mode": "in_person",
        "when": [{"lunar_days": [13, 18], "hours": ["07:00", "20:00"]}]});
    if let Some(s) = station {
        value["except"] = json!([{"tide": {"station": s, "near": "high", "within_minutes": 90}}]);
    }
    rule(&value, station.as_slice())
}

/// Remote, in the country's zone: Saturday and Sunday 19:00–22:00 and
/// Wednesday 20:00–22:00.
///
/// # Errors
/// [`PresetError::UnknownCountry`], or [`PresetError::ZoneNeeded`] for a
/// country with several zones (use [`worker_abroad_in_zone`]).
pub fn worker_abroad(country: &str) -> Result<Rule, PresetError> {
    let c = find_country(country).ok_or_else(|| PresetError::UnknownCountry(country.to_owned()))?;
    let tz: Tz = c
        .default_timezone
        .and_then(|z| z.parse().ok())
        .ok_or_else(|| PresetError::ZoneNeeded(c.name_vi.to_owned()))?;
    Ok(worker_abroad_in_zone(tz))
}

/// As [`worker_abroad`], in a given zone.
pub fn worker_abroad_in_zone(zone: Tz) -> Rule {
    let z = zone.name();
    rule(
        &json!({"mode": "remote", "when": [
            {"weekdays": ["sat", "sun"], "hours": ["19:00", "22:00"], "timezone": z},
            {"weekdays": ["wed"], "hours": ["20:00", "22:00"], "timezone": z}]}),
        &[],
    )
}

/// Home every evening 18:00–21:00, and Saturday and Sunday 08:00–11:00.
pub fn farmer() -> Rule {
    rule(
        &json!({"mode": "in_person", "when": [
            {"hours": ["18:00", "21:00"]},
            {"weekdays": ["sat", "sun"], "hours": ["08:00", "11:00"]}]}),
        &[],
    )
}

/// Home in the daytime: 08:00–11:00 and 14:00–17:00.
pub fn elderly() -> Rule {
    rule(
        &json!({"mode": "in_person", "when": [
            {"hours": ["08:00", "11:00"]}, {"hours": ["14:00", "17:00"]}]}),
        &[],
    )
}

/// Home the hours a shift leaves free, and 08:00–20:00 on days off.
pub fn shift_worker(shift: Shift, days_off: &[Weekday]) -> Rule {
    let free = match shift {
        Shift::Day => ["16:00", "20:00"],
        Shift::Evening => ["08:00", "12:00"],
        Shift::Night => ["14:00", "18:00"],
    };
    let mut when = vec![json!({"hours": free})];
    let mut off: Vec<&str> = Vec::new();
    for d in days_off {
        let code = weekday_code(*d);
        if !off.contains(&code) {
            off.push(code);
        }
    }
    if !off.is_empty() {
        when.push(json!({"weekdays": off, "hours": ["08:00", "20:00"]}));
    }
    rule(&json!({"mode": "in_person", "when": when}), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_builds_and_round_trips() {
        let options = PresetOptions {
            station: Some("lach-bang".into()),
            country: Some("KR".into()),
            days_off: vec![Weekday::Sun],
            ..Default::default()
        };
        let ctx = RuleContext::with_stations(["lach-bang"]);
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.code()), Some(p));
            let r = build(p, &options).unwrap();
            assert_eq!(Rule::parse(&r.to_json(), &ctx).unwrap(), r, "{}", p.code());
        }
    }

    #[test]
    fn worker_abroad_needs_a_zone_for_wide_countries() {
        assert_eq!(
            worker_abroad("Úc"),
            Err(PresetError::ZoneNeeded("Úc".into()))
        );
        assert!(matches!(
            worker_abroad("Atlantis"),
            Err(PresetError::UnknownCountry(_))
        ));
        let de = worker_abroad("DE").unwrap();
        assert_eq!(de.when[0].timezone, Some(chrono_tz::Europe::Berlin));
        assert_eq!(
            build(Preset::WorkerAbroad, &PresetOptions::default()),
            Err(PresetError::CountryNeeded)
        );
    }
}
