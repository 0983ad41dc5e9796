//! Availability rules as leaders write them: checked with every error at
//! its JSON path (Vietnamese and English), read back in words, previewed as
//! the next windows in the team's zone, and started from a preset (fishing
//! crew, worker abroad, farmer, elderly, shift worker).

use chrono::{DateTime, Days, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use doorstep_core::VisitMode;
use doorstep_core::rules::presets::{self, Preset, PresetOptions, Shift};
use doorstep_core::rules::{ExpansionContext, Lang, Rule, RuleContext, describe};
use doorstep_store::Store;
use doorstep_tide::Catalog;

use crate::access::Actor;
use crate::error::{FieldError, ServiceError};

/// The longest preview.
pub const MAX_PREVIEW_DAYS: u32 = 28;
/// The most windows a preview lists.
pub const PREVIEW_WINDOWS: usize = 10;

/// One problem of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleProblem {
    /// The JSON path, e.g. `when[0].hours[1]`.
    pub path: String,
    /// In Vietnamese.
    pub message_vi: String,
    /// In English.
    pub message_en: String,
}

/// A window of a preview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewWindow {
    /// Start, in the zone of the preview.
    pub start: DateTime<Tz>,
    /// End.
    pub end: DateTime<Tz>,
    /// In person or remote.
    pub mode: VisitMode,
}

/// A rule checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleCheck {
    /// Every problem, in order; empty when the rule reads.
    pub problems: Vec<RuleProblem>,
    /// The rule in words (Vietnamese), when it reads.
    pub description_vi: Option<String>,
    /// In English.
    pub description_en: Option<String>,
    /// Its next windows from tomorrow, in the zone of the preview.
    pub windows: Vec<PreviewWindow>,
    /// That zone.
    pub zone: Tz,
}

/// Reads a rule with the shipped stations; every problem with its path
/// under `prefix` (e.g. `availability`).
///
/// # Errors
/// Every problem, as field errors.
pub fn parse_rule(
    value: &serde_json::Value,
    catalog: &Catalog,
    prefix: &str,
) -> Result<Rule, Vec<FieldError>> {
    Rule::parse(value, &RuleContext::from_catalog(catalog)).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| {
                let path = match (prefix, e.path.as_str()) {
                    ("", path) => path.to_owned(),
                    (prefix, "(root)") => prefix.to_owned(),
                    (prefix, path) if path.starts_with('[') => format!("{prefix}{path}"),
                    (prefix, path) => format!("{prefix}.{path}"),
                };
                FieldError::new(&path, e.message_vi, e.message)
            })
            .collect()
    })
}

/// The zone a preview is read in: the team's when the actor may see it,
/// the country's otherwise.
async fn preview_zone(
    store: &Store,
    actor: &Actor,
    team_id: Option<i32>,
) -> Result<Tz, ServiceError> {
    let Some(team_id) = team_id.or(actor.team_id) else {
        return Ok(chrono_tz::Asia::Ho_Chi_Minh);
    };
    actor.require_see_team(store, team_id).await?;
    let team = doorstep_store::find_team(store.connection(), team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    Ok(team
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh))
}

/// Checks a rule: its problems, or its words and next windows over
/// `days` days from tomorrow in the team's zone (residents abroad: their
/// windows are still shown in the team's zone, as volunteers see them).
///
/// # Errors
/// `days` out of range, the team out of scope, or the store fails. A rule
/// that does not read is not an error: its problems are the answer.
pub async fn check_rule(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    rule: &serde_json::Value,
    team_id: Option<i32>,
    days: u32,
    now: DateTime<Utc>,
) -> Result<RuleCheck, ServiceError> {
    if !(1..=MAX_PREVIEW_DAYS).contains(&days) {
        return Err(ServiceError::invalid(
            "days",
            format!("cần số ngày xem trước từ 1 đến {MAX_PREVIEW_DAYS}, nhận {days}"),
            format!("expected 1 to {MAX_PREVIEW_DAYS} days of preview, got {days}"),
        ));
    }
    let zone = preview_zone(store, actor, team_id).await?;
    let catalog = &*match team_id {
        Some(team_id) => crate::team_stations::team_catalog(store, catalog, team_id).await?,
        None => std::borrow::Cow::Borrowed(catalog),
    };
    let rule = match parse_rule(rule, catalog, "") {
        Ok(rule) => rule,
        Err(errors) => {
            return Ok(RuleCheck {
                problems: errors
                    .into_iter()
                    .map(|e| RuleProblem {
                        path: e.field,
                        message_vi: e.message_vi,
                        message_en: e.message_en,
                    })
                    .collect(),
                description_vi: None,
                description_en: None,
                windows: Vec::new(),
                zone,
            });
        }
    };
    let windows = preview(&rule, catalog, zone, days, now)?;
    Ok(RuleCheck {
        problems: Vec::new(),
        description_vi: Some(describe(&rule, Lang::Vi)),
        description_en: Some(describe(&rule, Lang::En)),
        windows,
        zone,
    })
}

fn midnight(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    crate::planning::local_midnight(zone, day)
}

/// The first windows of a rule from tomorrow, `days` days long.
fn preview(
    rule: &Rule,
    catalog: &Catalog,
    zone: Tz,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<PreviewWindow>, ServiceError> {
    let tomorrow = now.with_timezone(&zone).date_naive() + Days::new(1);
    let ctx = ExpansionContext::new(
        midnight(zone, tomorrow),
        midnight(zone, tomorrow + Days::new(u64::from(days))),
        zone,
        catalog.clone(),
    )
    .map_err(|e| ServiceError::Internal(format!("expansion: {e}")))?;
    let windows = ctx
        .expand(rule)
        .map_err(|e| ServiceError::invalid("rule", e.to_string(), e.to_string()))?;
    Ok(windows
        .into_iter()
        .take(PREVIEW_WINDOWS)
        .map(|w| PreviewWindow {
            start: w.start().with_timezone(&zone),
            end: w.end().with_timezone(&zone),
            mode: rule.mode,
        })
        .collect())
}

/// A preset built.
#[derive(Clone, Debug, PartialEq)]
pub struct PresetRule {
    /// The preset.
    pub preset: Preset,
    /// The rule as JSON, to store or adjust.
    pub rule: serde_json::Value,
    /// In words (Vietnamese).
    pub description_vi: String,
    /// In English.
    pub description_en: String,
}

/// How presets are adjusted, as a request gives them.
#[derive(Clone, Debug, Default)]
pub struct PresetQuery {
    /// Fishing crew: a tide station's id.
    pub station: Option<String>,
    /// Worker abroad: a country's code or name (default `KR`).
    pub country: Option<String>,
    /// Worker abroad: an IANA zone, for countries with several.
    pub timezone: Option<String>,
    /// Shift worker: `day` (06:00–14:00), `evening` or `night`.
    pub shift: Option<String>,
    /// Shift worker: days off, `sat,sun`; `none` for no day off (not
    /// given: Sunday).
    pub days_off: Option<String>,
}

fn weekday(text: &str) -> Option<Weekday> {
    match doorstep_core::fold_vietnamese(text).as_str() {
        "mon" | "monday" | "t2" | "thu 2" | "thu hai" => Some(Weekday::Mon),
        "tue" | "tuesday" | "t3" | "thu 3" | "thu ba" => Some(Weekday::Tue),
        "wed" | "wednesday" | "t4" | "thu 4" | "thu tu" => Some(Weekday::Wed),
        "thu" | "thursday" | "t5" | "thu 5" | "thu nam" => Some(Weekday::Thu),
        "fri" | "friday" | "t6" | "thu 6" | "thu sau" => Some(Weekday::Fri),
        "sat" | "saturday" | "t7" | "thu 7" | "thu bay" => Some(Weekday::Sat),
        "sun" | "sunday" | "cn" | "chu nhat" => Some(Weekday::Sun),
        _ => None,
    }
}

/// Every preset, built with the options given (a worker abroad defaults to
/// South Korea, a shift worker to the day shift with Sunday off).
///
/// # Errors
/// Every option that does not read, named.
pub fn presets(catalog: &Catalog, query: &PresetQuery) -> Result<Vec<PresetRule>, ServiceError> {
    let mut errors = Vec::new();
    let mut options = PresetOptions {
        country: Some(query.country.clone().unwrap_or_else(|| "KR".into())),
        days_off: vec![Weekday::Sun],
        ..PresetOptions::default()
    };
    if let Some(station) = query
        .station
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if catalog.get(station).is_some() {
            options.station = Some(station.to_owned());
        } else {
            errors.push(FieldError::new(
                "station",
                format!("không có trạm thủy triều \"{station}\""),
                format!("no tide station \"{station}\""),
            ));
        }
    }
    if let Some(zone) = query
        .timezone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match zone.parse::<Tz>() {
            Ok(tz) => options.timezone = Some(tz),
            Err(_) => errors.push(FieldError::new(
                "timezone",
                format!("cần múi giờ IANA (ví dụ Asia/Seoul), nhận {zone:?}"),
                format!("expected an IANA zone (e.g. Asia/Seoul), got {zone:?}"),
            )),
        }
    }
    if let Some(shift) = query
        .shift
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        options.shift = match doorstep_core::fold_vietnamese(shift).as_str() {
            "day" | "morning" | "ca ngay" | "ca sang" | "sang" => Shift::Day,
            "evening" | "ca chieu" | "chieu" => Shift::Evening,
            "night" | "ca dem" | "dem" => Shift::Night,
            _ => {
                errors.push(FieldError::new(
                    "shift",
                    format!("cần ca day, evening hoặc night, nhận {shift:?}"),
                    format!("expected the shift day, evening or night, got {shift:?}"),
                ));
                Shift::Day
            }
        };
    }
    if let Some(days) = query
        .days_off
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let mut off = Vec::new();
        let none =
            ["none", "khong", "khong co"].contains(&doorstep_core::fold_vietnamese(days).as_str());
        for day in days.split([',', ';']).filter(|_| !none) {
            match weekday(day) {
                Some(w) => off.push(w),
                None => {
                    errors.push(FieldError::new(
                        "days_off",
                        format!("cần các ngày như sat,sun; không hiểu {:?}", day.trim()),
                        format!(
                            "expected days such as sat,sun; cannot read {:?}",
                            day.trim()
                        ),
                    ));
                    break;
                }
            }
        }
        options.days_off = off;
    }
    let mut built = Vec::new();
    for preset in Preset::ALL {
        match presets::build(preset, &options) {
            Ok(rule) => built.push(PresetRule {
                preset,
                rule: rule.to_json(),
                description_vi: describe(&rule, Lang::Vi),
                description_en: describe(&rule, Lang::En),
            }),
            Err(e) => errors.push(FieldError::new(
                if query.timezone.is_some() {
                    "timezone"
                } else {
                    "country"
                },
                e.to_string(),
                e.to_string(),
            )),
        }
    }
    if errors.is_empty() {
        Ok(built)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// A rule in words, in Vietnamese.
pub fn describe_vi(rule: &Rule) -> String {
    describe(rule, Lang::Vi)
}

/// A rule in words, in English.
pub fn describe_en(rule: &Rule) -> String {
    describe(rule, Lang::En)
}
