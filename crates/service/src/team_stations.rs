//! A team's own tide stations: fitted to the high and low waters its people
//! wrote down at the port ([`crate::tide_fit`]), kept with the team, shown
//! with their quality and a plot of the readings against the fitted curve,
//! and adopted as the team's station — the team's default, and the station
//! its rules name.
//!
//! The catalog a team's rules read is the shipped catalog with the team's
//! own stations ([`team_catalog`]): every use case that reads a team's rules
//! takes its catalog from here.

use std::borrow::Cow;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use doorstep_store::Store;
use doorstep_store::repo::blackouts::BlackoutJson;
use doorstep_store::repo::tide_stations::{self, Adopted, NewStation, Rewrite, StoredStation};
use doorstep_store::{RuleJson, find_area, find_team};
use doorstep_tide::{Catalog, ExtremeKind, HarmonicStation, Predictor, Station, parse_station};
use serde_json::Value;

use crate::access::Actor;
use crate::error::{FieldError, ServiceError};
use crate::tide_fit::{self, FitInput, parse_observations, valid_station_id};

/// The catalog of the team's rules: the shipped catalog with the team's own
/// stations (borrowed when the team has none).
///
/// # Errors
/// The store fails.
pub async fn team_catalog<'a>(
    store: &Store,
    base: &'a Catalog,
    team_id: i32,
) -> Result<Cow<'a, Catalog>, ServiceError> {
    let own = tide_stations::team_stations(store.connection(), team_id).await?;
    Ok(with_own(base, &own))
}

/// The catalog of a team the actor sees (the shipped catalog without a team).
///
/// # Errors
/// The team is out of the actor's reach (not found), or the store fails.
pub async fn catalog_seen<'a>(
    store: &Store,
    base: &'a Catalog,
    actor: &Actor,
    team_id: Option<i32>,
) -> Result<Cow<'a, Catalog>, ServiceError> {
    match team_id {
        None => Ok(Cow::Borrowed(base)),
        Some(team_id) => {
            actor.require_see_team(store, team_id).await?;
            team_catalog(store, base, team_id).await
        }
    }
}

fn with_own<'a>(base: &'a Catalog, own: &[StoredStation]) -> Cow<'a, Catalog> {
    if own.is_empty() {
        return Cow::Borrowed(base);
    }
    Cow::Owned(base.with_stations(own.iter().filter_map(harmonic)))
}

fn harmonic(stored: &StoredStation) -> Option<HarmonicStation> {
    match parse_station(&format!("{}.toml", stored.station_id), &stored.file) {
        Ok(Station::Harmonic(h)) => Some(h),
        Ok(Station::Secondary(_)) => None,
        Err(e) => {
            tracing::warn!(team = stored.team_id, station = %stored.station_id, error = %e,
                "a team's stored station no longer reads; left out of its catalog");
            None
        }
    }
}

/// A team's own station in a list.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnStation {
    /// As stored.
    pub stored: StoredStation,
    /// The fit in figures.
    pub summary: Value,
    /// A, B, C or D.
    pub grade: String,
    /// Whether it is the team's station.
    pub adopted: bool,
}

impl OwnStation {
    fn new(stored: StoredStation, team_station: Option<&str>) -> OwnStation {
        let summary: Value = serde_json::from_str(&stored.summary).unwrap_or(Value::Null);
        OwnStation {
            grade: summary["grade"].as_str().unwrap_or("D").to_owned(),
            adopted: team_station == Some(stored.station_id.as_str()),
            summary,
            stored,
        }
    }

    /// Days of readings.
    pub fn record_days(&self) -> f64 {
        self.summary["record_days"].as_f64().unwrap_or(0.0)
    }

    /// The fit's grade in words (Vietnamese, English).
    pub fn grade_words(&self) -> (&'static str, &'static str) {
        grade_words(&self.grade)
    }
}

/// A grade's meaning (Vietnamese, English).
pub fn grade_words(grade: &str) -> (&'static str, &'static str) {
    match grade {
        "A" => (
            "tốt: giờ nước lớn thường lệch dưới 10 phút",
            "good: high water usually within 10 minutes",
        ),
        "B" => (
            "khá: thường lệch dưới 15 phút, ngày nước kém có thể hơn",
            "fair: usually within 15 minutes, more on neap days",
        ),
        "C" => (
            "tạm: có thể lệch cả giờ; ghi thêm rồi lập lại",
            "rough: may be an hour off; record more and fit again",
        ),
        _ => (
            "chưa dùng được cho giờ nước lớn",
            "not usable for times of high water",
        ),
    }
}

/// A team's stations: its own, the catalog's, and which is the team's.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamStations {
    /// The team.
    pub team_id: i32,
    /// Its name.
    pub team_name: String,
    /// Its zone (IANA name).
    pub timezone: String,
    /// The team's station, when it has one.
    pub team_station: Option<String>,
    /// Its own stations, by id.
    pub own: Vec<OwnStation>,
    /// The shipped catalog's stations: (id, name, approximate).
    pub catalog: Vec<(String, String, bool)>,
    /// The latitude and longitude of the team's commune, when known: the
    /// fit's default position.
    pub position: Option<(f64, f64)>,
}

/// A team's stations, for anyone who sees the team.
///
/// # Errors
/// The team is out of reach (not found), or the store fails.
pub async fn list(
    store: &Store,
    base: &Catalog,
    actor: &Actor,
    team_id: i32,
) -> Result<TeamStations, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    let db = store.connection();
    let team = find_team(db, team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    let area = find_area(db, team.area_id).await?;
    let own = tide_stations::team_stations(db, team_id).await?;
    Ok(TeamStations {
        team_id,
        team_name: team.name.clone(),
        timezone: team.timezone.clone(),
        own: own
            .into_iter()
            .map(|s| OwnStation::new(s, team.tide_station.as_deref()))
            .collect(),
        catalog: base
            .stations()
            .iter()
            .map(|s| {
                let info = s.info();
                (info.id.clone(), info.name.clone(), info.approximate)
            })
            .collect(),
        position: area.and_then(|a| Some((a.latitude?, a.longitude?))),
        team_station: team.tide_station,
    })
}

/// Readings to fit for a team, as a leader gives them.
#[derive(Clone, Debug, Default)]
pub struct TeamFitInput {
    /// The station's id (default: made of its name).
    pub id: Option<String>,
    /// Its name.
    pub name: String,
    /// Degrees north (default: the team's commune's).
    pub latitude: Option<f64>,
    /// Degrees east (default: the team's commune's).
    pub longitude: Option<f64>,
    /// A catalog station whose ratios give the inferred constituents.
    pub reference: Option<String>,
    /// The readings' CSV (times without an offset are in the team's zone).
    pub csv: String,
}

/// The most characters of a station's name.
pub const MAX_NAME: usize = 200;

/// An id made of a name: ASCII letters and digits joined by `-`
/// ("Lạch Bạng (tổ ghi)" → "lach-bang-to-ghi").
pub fn id_of_name(name: &str) -> String {
    let mut id = String::new();
    for c in doorstep_core::fold_vietnamese(name).chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-');
    id.chars()
        .take(64)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// What keeping a fitted station did.
#[derive(Clone, Debug, PartialEq)]
pub struct Saved {
    /// The station as kept, with its fit.
    pub station: OwnStation,
    /// Whether it replaced the team's station of the same id.
    pub replaced: bool,
}

/// Fits a station to a team's readings and keeps it with the team (a
/// leader of the team): in place of the team's station of the same id, so
/// fitting again to more readings updates the station the rules name.
///
/// # Errors
/// Not found / forbidden as for the team; invalid (each problem with its
/// field — `name`, `id`, `latitude`, `longitude`, `reference`, `csv` with
/// each bad row by its line) when the input does not read, the id is one
/// of the shipped catalog's, or the readings cannot be fitted; the store
/// fails. Nothing is kept unless the fit succeeds.
pub async fn fit_and_keep(
    store: &Store,
    base: &Catalog,
    actor: &Actor,
    team_id: i32,
    input: TeamFitInput,
    now: DateTime<Utc>,
) -> Result<Saved, ServiceError> {
    actor.require_lead(store, team_id).await?;
    let db = store.connection();
    let team = find_team(db, team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    let area = find_area(db, team.area_id).await?;
    let mut errors = Vec::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "cần tên trạm, ví dụ \"Lạch Bạng (tổ ghi)\"",
            "expected the station's name, e.g. \"Lạch Bạng (tổ ghi)\"",
        ));
    }
    errors.extend(crate::error::text_error("name", &name, MAX_NAME, false));
    let id = match input.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => id.to_owned(),
        None => id_of_name(&name),
    };
    if !name.is_empty() && !valid_station_id(&id) {
        errors.push(FieldError::new(
            "id",
            format!("\"{id}\": mã trạm chỉ gồm chữ không dấu, số, _ và -, tối đa 64 ký tự"),
            format!(
                "\"{id}\": a station id is ASCII letters, digits, _ and -, at most 64 characters"
            ),
        ));
    } else if base.get(&id).is_some() {
        errors.push(FieldError::new(
            "id",
            format!("\"{id}\" là mã của một trạm trong danh mục; chọn mã khác"),
            format!("\"{id}\" is the id of a catalog station; choose another id"),
        ));
    }
    let latitude = input
        .latitude
        .or_else(|| area.as_ref().and_then(|a| a.latitude));
    let longitude = input
        .longitude
        .or_else(|| area.as_ref().and_then(|a| a.longitude));
    if latitude.is_none() {
        errors.push(FieldError::new(
            "latitude",
            "cần vĩ độ của cảng (độ bắc, ví dụ 19.37)",
            "expected the port's latitude (degrees north, e.g. 19.37)",
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let fitted = tide_fit::fit_for_leader(
        base,
        actor,
        FitInput {
            id: id.clone(),
            name: Some(name.clone()),
            latitude: latitude.unwrap_or_default(),
            longitude,
            timezone: Some(team.timezone.clone()),
            reference: input.reference.clone(),
            csv: input.csv.clone(),
        },
    )
    .await?;
    let file = format!("{id}.toml");
    let summary = tide_fit::summary(&id, &file, &fitted.fit);
    let report = tide_fit::report(&id, &file, &fitted.fit);
    let (stored, replaced) = tide_stations::save_station(
        db,
        &NewStation {
            team_id,
            station_id: &id,
            name: &name,
            file: &fitted.station_file,
            readings: &input.csv,
            summary: &summary.to_string(),
            report: &report,
        },
        &actor.label(),
        now,
    )
    .await?;
    Ok(Saved {
        station: OwnStation::new(stored, team.tide_station.as_deref()),
        replaced,
    })
}

/// One of a team's stations with its report and plot.
#[derive(Clone, Debug, PartialEq)]
pub struct StationDetail {
    /// The team's list.
    pub team: TeamStations,
    /// The station.
    pub station: OwnStation,
    /// The readings against the fitted curve.
    pub plot: Plot,
    /// The team's zone.
    pub zone: Tz,
}

/// Readings against a fitted curve, in the coordinates of an SVG view box
/// of [`Plot::WIDTH`] × [`Plot::HEIGHT`].
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The curve's path (`M x y L x y …`).
    pub curve: String,
    /// One per reading.
    pub readings: Vec<PlotReading>,
    /// A line per day: x and the day's label (day/month, team's zone).
    pub days: Vec<(f64, String)>,
    /// Height lines: y and the height's label in metres.
    pub levels: Vec<(f64, String)>,
}

/// A reading on the plot.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotReading {
    /// Position.
    pub x: f64,
    /// Position (on the curve when no height was read).
    pub y: f64,
    /// High water.
    pub high: bool,
    /// The reading's time, team's zone.
    pub at: String,
    /// The height read, metres.
    pub height_m: Option<f64>,
    /// Minutes to the fitted curve's nearest extreme of its kind; `None`
    /// when there is none within three hours.
    pub off_minutes: Option<i64>,
    /// More than 30 minutes off (or not on the curve): check the notebook.
    pub check: bool,
}

impl Plot {
    /// View box width.
    pub const WIDTH: f64 = 1000.0;
    /// View box height.
    pub const HEIGHT: f64 = 300.0;
    /// Margin left of the curve for the height labels.
    const LEFT: f64 = 40.0;
    /// Margin above the curve, for the dots of the highest waters.
    const TOP: f64 = 10.0;
    /// Margin under the curve for the day labels.
    const BOTTOM: f64 = 20.0;
    /// The most points of the curve.
    const POINTS: i64 = 2000;
}

/// The readings of `stored` against its curve.
fn plot(stored: &StoredStation, station: &HarmonicStation, zone: Tz) -> Plot {
    let observations =
        parse_observations("readings.csv", &stored.readings, zone).unwrap_or_default();
    let (Some(first), Some(last)) = (
        observations.iter().map(|o| o.at).min(),
        observations.iter().map(|o| o.at).max(),
    ) else {
        return Plot {
            curve: String::new(),
            readings: Vec::new(),
            days: Vec::new(),
            levels: Vec::new(),
        };
    };
    let from = first - Duration::hours(3);
    let to = last + Duration::hours(3);
    let predictor = Predictor::harmonic(station);
    // Every 15 minutes, at most [`Plot::POINTS`] points for a long record.
    let step = (15 * 60).max((to - from).num_seconds() / Plot::POINTS);
    let count = usize::try_from((to - from).num_seconds() / step).unwrap_or(0) + 1;
    let heights = predictor.heights(from, step, count);
    let read: Vec<f64> = observations.iter().filter_map(|o| o.height_m).collect();
    let low = heights
        .iter()
        .chain(&read)
        .copied()
        .fold(f64::INFINITY, f64::min);
    let high = heights
        .iter()
        .chain(&read)
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let (low, high) = ((low * 2.0).floor() / 2.0, (high * 2.0).ceil() / 2.0);
    let span = (to - from).num_seconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        Plot::LEFT + (t - from).num_seconds() as f64 / span * (Plot::WIDTH - Plot::LEFT)
    };
    let y = |h: f64| {
        Plot::TOP
            + (Plot::HEIGHT - Plot::BOTTOM - Plot::TOP) * (1.0 - (h - low) / (high - low).max(0.1))
    };
    let mut curve = String::with_capacity(count * 16);
    for (k, h) in heights.iter().enumerate() {
        let t = from + Duration::seconds(step * k as i64);
        curve.push_str(if k == 0 { "M" } else { " L" });
        curve.push_str(&format!("{:.1} {:.1}", x(t), y(*h)));
    }
    let extremes = predictor.extremes(from, to);
    let readings = observations
        .iter()
        .map(|o| {
            let off = extremes
                .iter()
                .filter(|e| e.kind == o.kind)
                .map(|e| (e.at - o.at).num_minutes())
                .filter(|m| m.abs() <= 180)
                .min_by_key(|m| m.abs());
            PlotReading {
                x: x(o.at),
                y: y(o.height_m.unwrap_or_else(|| predictor.height(o.at))),
                high: o.kind == ExtremeKind::High,
                at: o.at.with_timezone(&zone).format("%d/%m %H:%M").to_string(),
                height_m: o.height_m,
                off_minutes: off,
                check: off.is_none_or(|m| m.abs() > 30),
            }
        })
        .collect();
    let mut days = Vec::new();
    let mut day = from.with_timezone(&zone).date_naive().succ_opt();
    while let Some(d) = day {
        let Some(midnight) = d
            .and_hms_opt(0, 0, 0)
            .and_then(|n| n.and_local_timezone(zone).earliest())
        else {
            break;
        };
        let midnight = midnight.with_timezone(&Utc);
        if midnight >= to {
            break;
        }
        days.push((x(midnight), d.format("%d/%m").to_string()));
        day = d.succ_opt();
    }
    let mut levels = Vec::new();
    let mut level = low;
    while level <= high + 1e-9 {
        levels.push((y(level), format!("{level:.1}")));
        level += 0.5;
    }
    Plot {
        curve,
        readings,
        days,
        levels,
    }
}

/// One of a team's stations, with its report and the readings against its
/// curve; for anyone who sees the team.
///
/// # Errors
/// The team or the station is out of reach (not found), or the store fails.
pub async fn detail(
    store: &Store,
    base: &Catalog,
    actor: &Actor,
    team_id: i32,
    station_id: &str,
) -> Result<StationDetail, ServiceError> {
    let team = list(store, base, actor, team_id).await?;
    let Some(station) = team
        .own
        .iter()
        .find(|s| s.stored.station_id == station_id)
        .cloned()
    else {
        return Err(no_station(station_id));
    };
    // The zone the list has read with the team.
    let zone: Tz = team
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let harmonic = harmonic(&station.stored).ok_or_else(|| {
        ServiceError::Internal(format!(
            "team {team_id}'s station {station_id} does not read"
        ))
    })?;
    Ok(StationDetail {
        plot: plot(&station.stored, &harmonic, zone),
        team,
        station,
        zone,
    })
}

fn no_station(station_id: &str) -> ServiceError {
    ServiceError::NotFound {
        vi: format!("tổ không có trạm thủy triều \"{station_id}\""),
        en: format!("the team has no tide station \"{station_id}\""),
    }
}

/// Rules naming one station made to name another.
struct Switch<'a> {
    from: &'a str,
    to: &'a str,
    known: Vec<&'a str>,
}

impl Switch<'_> {
    fn switched(&self, text: &str) -> Option<String> {
        let mut value: Value = serde_json::from_str(text).ok()?;
        switch_station(&mut value, self.from, self.to).then(|| value.to_string())
    }
}

/// Makes every `"tide": {"station": from}` of `value` name `to`; whether
/// one did.
fn switch_station(value: &mut Value, from: &str, to: &str) -> bool {
    match value {
        Value::Object(map) => {
            let mut any = false;
            for (key, v) in map.iter_mut() {
                if key == "tide"
                    && let Some(station) = v.get_mut("station")
                    && station.as_str() == Some(from)
                {
                    *station = Value::String(to.to_owned());
                    any = true;
                }
                any |= switch_station(v, from, to);
            }
            any
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, v| switch_station(v, from, to) | any),
        _ => false,
    }
}

impl Rewrite for Switch<'_> {
    fn rule(&self, text: &str) -> Option<RuleJson> {
        RuleJson::parse(&self.switched(text)?, &self.known).ok()
    }

    fn blackout(&self, text: &str) -> Option<BlackoutJson> {
        BlackoutJson::parse(&self.switched(text)?, &self.known).ok()
    }
}

/// Makes `station_id` — one of the team's own stations or a catalog
/// station — the team's station (its leader): every rule and blackout of
/// the team that named the team's previous station names it now, in one
/// transaction. The next plan uses it.
///
/// # Errors
/// Not found (the team, or a station it does not have) / forbidden as for
/// the team; the store fails.
pub async fn adopt(
    store: &Store,
    base: &Catalog,
    actor: &Actor,
    team_id: i32,
    station_id: &str,
    now: DateTime<Utc>,
) -> Result<Adopted, ServiceError> {
    actor.require_lead(store, team_id).await?;
    let catalog = team_catalog(store, base, team_id).await?;
    if catalog.get(station_id).is_none() {
        return Err(no_station(station_id));
    }
    let team = find_team(store.connection(), team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    let from = team.tide_station.clone().unwrap_or_default();
    let switch = Switch {
        from: &from,
        to: station_id,
        known: catalog.stations().iter().map(Station::id).collect(),
    };
    Ok(tide_stations::adopt_station(
        store.connection(),
        team_id,
        station_id,
        &switch,
        &actor.label(),
        now,
    )
    .await?)
}

/// Removes one of a team's own stations (its leader) when nothing names it:
/// not the team's station, no rule or blackout of the team.
///
/// # Errors
/// Not found / forbidden as for the team; conflict when it is in use; the
/// store fails.
pub async fn remove(
    store: &Store,
    base: &Catalog,
    actor: &Actor,
    team_id: i32,
    station_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    actor.require_lead(store, team_id).await?;
    let team = list(store, base, actor, team_id).await?;
    if !team.own.iter().any(|s| s.stored.station_id == station_id) {
        return Err(no_station(station_id));
    }
    if team.team_station.as_deref() == Some(station_id) {
        return Err(ServiceError::Conflict(
            "đây là trạm của tổ; chọn trạm khác cho tổ trước khi xoá".into(),
            "this is the team's station; adopt another before removing it".into(),
        ));
    }
    let snapshot = crate::planning::load_snapshot(store, team_id).await?;
    let named = |text: &str| {
        serde_json::from_str::<Value>(text)
            .map(|mut v| switch_station(&mut v, station_id, station_id))
            .unwrap_or(false)
    };
    let in_rules = snapshot
        .households
        .iter()
        .flat_map(|h| &h.residents)
        .filter_map(|r| r.availability.as_ref())
        .chain(
            snapshot
                .members
                .iter()
                .filter_map(|m| m.availability.as_ref()),
        )
        .any(|rule| named(rule))
        || snapshot.blackouts.iter().any(|b| named(&b.rule));
    if in_rules {
        return Err(ServiceError::Conflict(
            "còn quy tắc hoặc ngày nghỉ của tổ dùng trạm này".into(),
            "rules or blackouts of the team still name this station".into(),
        ));
    }
    tide_stations::delete_station(store.connection(), team_id, station_id, &actor.label(), now)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_made_of_a_vietnamese_name() {
        assert_eq!(id_of_name("Lạch Bạng (tổ ghi)"), "lach-bang-to-ghi");
        assert_eq!(id_of_name("  Cảng cá Đồng Hới  "), "cang-ca-dong-hoi");
        assert_eq!(id_of_name("…"), "");
    }

    #[test]
    fn switching_names_the_new_station_wherever_the_old_one_was() {
        let mut rule: Value = serde_json::from_str(
            r#"{"mode":"in_person","when":[{"moon":{"phase":"full","within_days":3}}],
                "except":[{"tide":{"station":"lach-bang","near":"high","within_minutes":90}},
                          {"tide":{"station":"lach-hoi","near":"low","within_minutes":30}}]}"#,
        )
        .unwrap();
        assert!(switch_station(&mut rule, "lach-bang", "ben-ca"));
        assert_eq!(rule["except"][0]["tide"]["station"], "ben-ca");
        assert_eq!(rule["except"][1]["tide"]["station"], "lach-hoi");
        assert!(!switch_station(&mut rule, "lach-bang", "ben-ca"));
    }
}
