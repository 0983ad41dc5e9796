//! Station files (TOML): harmonic stations and secondary stations.
//!
//! Parsing checks the whole file and reports every problem at once, each
//! with the file, the field and what was expected.

use std::fmt;

use crate::constituents::{Constituent, constituent};

/// Largest difference allowed between a file's constituent speed and the table.
pub const SPEED_TOLERANCE_DEG_PER_HOUR: f64 = 1e-6;

/// What every station file says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StationInfo {
    /// Identifier, equal to the file name stem (`vn_hon_dau`, `lach-bang`).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Latitude, degrees north.
    pub latitude: f64,
    /// Longitude, degrees east.
    pub longitude: f64,
    /// IANA time zone, for display only.
    pub timezone: String,
    /// Exact citation of the constants or the table the station comes from.
    pub source: String,
    /// Licence and attribution.
    pub license: String,
    /// True when the figures are known to be rough.
    pub approximate: bool,
    /// Free notes.
    pub notes: String,
}

/// One harmonic constant of a station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HarmonicConstant {
    /// The constituent, from the table.
    pub constituent: &'static Constituent,
    /// Amplitude, metres.
    pub amplitude_m: f64,
    /// Greenwich phase lag G, degrees.
    pub phase_deg: f64,
}

/// A station predicted from its own harmonic constants.
#[derive(Debug, Clone, PartialEq)]
pub struct HarmonicStation {
    /// Identity and provenance.
    pub info: StationInfo,
    /// `"MSL"` or `"chart datum"`.
    pub datum: String,
    /// Mean level above the datum, metres.
    pub z0_m: f64,
    /// The constants.
    pub constituents: Vec<HarmonicConstant>,
}

/// A height correction of a secondary station: `h = h_ref · ratio + offset_m`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeightCorrection {
    /// Multiplier of the reference height (1 when the table gives an offset).
    pub ratio: f64,
    /// Metres added after the ratio (0 when the table gives a ratio).
    pub offset_m: f64,
}

impl HeightCorrection {
    /// The corrected height.
    pub fn apply(&self, reference_height_m: f64) -> f64 {
        reference_height_m * self.ratio + self.offset_m
    }
}

/// A station given, as tide tables publish secondary ports, by corrections
/// to a reference station.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondaryStation {
    /// Identity and provenance.
    pub info: StationInfo,
    /// The id of the reference (harmonic) station.
    pub reference: String,
    /// Minutes added to the time of each high water of the reference.
    pub high_water_time_offset_min: f64,
    /// Minutes added to the time of each low water of the reference.
    pub low_water_time_offset_min: f64,
    /// Correction of high-water heights.
    pub high_water_height: HeightCorrection,
    /// Correction of low-water heights.
    pub low_water_height: HeightCorrection,
}

/// A parsed station file.
#[derive(Debug, Clone, PartialEq)]
pub enum Station {
    /// Harmonic constants.
    Harmonic(HarmonicStation),
    /// Corrections to a reference station.
    Secondary(SecondaryStation),
}

impl Station {
    /// Identity and provenance.
    pub fn info(&self) -> &StationInfo {
        match self {
            Station::Harmonic(s) => &s.info,
            Station::Secondary(s) => &s.info,
        }
    }

    /// The station's id.
    pub fn id(&self) -> &str {
        &self.info().id
    }
}

/// One thing wrong in a station file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field (a TOML path such as `constituents[3].speed_deg_per_hour`),
    /// or empty for the file as a whole.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// The line (1-based) of the field, or of its table when the field is
    /// missing; `None` when there is no such line.
    pub line: Option<usize>,
}

/// Everything wrong with a station file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct StationError {
    /// The file name, as given by the caller.
    pub file: String,
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for StationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, p) in self.problems.iter().enumerate() {
            if k > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file)?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
            }
            if p.field.is_empty() {
                write!(f, ": {}", p.message)?;
            } else {
                write!(f, ": {}: {}", p.field, p.message)?;
            }
        }
        Ok(())
    }
}

struct Reader<'a> {
    problems: Vec<Problem>,
    _file: &'a str,
}

impl Reader<'_> {
    fn problem(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            field: field.into(),
            message: message.into(),
            line: None,
        });
    }

    fn string(&mut self, table: &toml::Table, prefix: &str, key: &str) -> Option<String> {
        let field = join(prefix, key);
        match table.get(key) {
            None => {
                self.problem(field, "missing; expected a string");
                None
            }
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.problem(
                    field,
                    format!("expected a string, found {}", other.type_str()),
                );
                None
            }
        }
    }

    fn number(
        &mut self,
        table: &toml::Table,
        prefix: &str,
        key: &str,
        expected: &str,
    ) -> Option<f64> {
        let field = join(prefix, key);
        match table.get(key) {
            None => {
                self.problem(field, format!("missing; expected {expected}"));
                None
            }
            Some(v) => self.as_number(v, field, expected),
        }
    }

    fn optional_number(
        &mut self,
        table: &toml::Table,
        prefix: &str,
        key: &str,
        expected: &str,
    ) -> Option<Option<f64>> {
        match table.get(key) {
            None => Some(None),
            Some(v) => self.as_number(v, join(prefix, key), expected).map(Some),
        }
    }

    fn as_number(&mut self, v: &toml::Value, field: String, expected: &str) -> Option<f64> {
        let x = match v {
            toml::Value::Float(x) => *x,
            toml::Value::Integer(i) => *i as f64,
            other => {
                self.problem(
                    field,
                    format!("expected {expected}, found {}", other.type_str()),
                );
                return None;
            }
        };
        if !x.is_finite() {
            self.problem(field, format!("expected {expected}, found {x}"));
            return None;
        }
        Some(x)
    }

    fn boolean(&mut self, table: &toml::Table, prefix: &str, key: &str) -> Option<bool> {
        let field = join(prefix, key);
        match table.get(key) {
            None => {
                self.problem(field, "missing; expected true or false");
                None
            }
            Some(toml::Value::Boolean(b)) => Some(*b),
            Some(other) => {
                self.problem(
                    field,
                    format!("expected true or false, found {}", other.type_str()),
                );
                None
            }
        }
    }

    fn ranged(
        &mut self,
        value: Option<f64>,
        field: &str,
        lo: f64,
        hi: f64,
        what: &str,
    ) -> Option<f64> {
        let x = value?;
        if x < lo || x > hi {
            self.problem(field, format!("{x} is out of range; expected {what}"));
            return None;
        }
        Some(x)
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

const KNOWN_TOP: &[&str] = &[
    "id",
    "name",
    "latitude",
    "longitude",
    "timezone",
    "datum",
    "z0_m",
    "phase_reference",
    "source",
    "license",
    "approximate",
    "notes",
    "constituents",
    "secondary",
];

const KNOWN_SECONDARY: &[&str] = &[
    "reference",
    "high_water_time_offset_min",
    "low_water_time_offset_min",
    "high_water_height_ratio",
    "low_water_height_ratio",
    "high_water_height_offset_m",
    "low_water_height_offset_m",
];

/// The stem of a file name: `config/stations/vn_hon_dau.toml` → `vn_hon_dau`.
pub fn file_stem(file_name: &str) -> &str {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    base.strip_suffix(".toml").unwrap_or(base)
}

/// Parses a station file. `file_name` is used in messages and its stem must
/// equal the `id`.
///
/// # Errors
/// Every problem found: TOML syntax, a missing or mistyped field, an unknown
/// constituent, a speed that disagrees with the table by more than
/// [`SPEED_TOLERANCE_DEG_PER_HOUR`], a value out of range, an unknown key.
pub fn parse_station(file_name: &str, text: &str) -> Result<Station, StationError> {
    let fail = |problems| StationError {
        file: file_name.to_owned(),
        problems,
    };
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            return Err(fail(vec![Problem {
                field: String::new(),
                message: format!("not valid TOML: {}", e.to_string().trim_end()),
                line,
            }]));
        }
    };
    let mut r = Reader {
        problems: Vec::new(),
        _file: file_name,
    };
    for key in table.keys() {
        if !KNOWN_TOP.contains(&key.as_str()) {
            r.problem(
                key.clone(),
                format!("unknown field; expected one of {}", KNOWN_TOP.join(", ")),
            );
        }
    }
    let id = r.string(&table, "", "id");
    if let Some(id) = &id {
        let stem = file_stem(file_name);
        if id != stem {
            r.problem(
                "id",
                format!("\"{id}\" differs from the file name; expected \"{stem}\""),
            );
        }
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            r.problem(
                "id",
                format!("\"{id}\" is not a valid id; expected ASCII letters, digits, '_' or '-'"),
            );
        }
    }
    let name = r.string(&table, "", "name");
    let lat = r.number(&table, "", "latitude", "degrees north in [-90, 90]");
    let latitude = r.ranged(lat, "latitude", -90.0, 90.0, "degrees north in [-90, 90]");
    let lon = r.number(&table, "", "longitude", "degrees east in [-180, 360]");
    let longitude = r.ranged(
        lon,
        "longitude",
        -180.0,
        360.0,
        "degrees east in [-180, 360]",
    );
    let timezone = r.string(&table, "", "timezone");
    if let Some(tz) = &timezone
        && (tz.is_empty() || tz.contains(char::is_whitespace))
    {
        r.problem(
            "timezone",
            format!("\"{tz}\" is not an IANA zone name; expected e.g. \"Asia/Ho_Chi_Minh\""),
        );
    }
    let source = r.string(&table, "", "source");
    let license = r.string(&table, "", "license");
    let approximate = r.boolean(&table, "", "approximate");
    let notes = match table.get("notes") {
        None => Some(String::new()),
        Some(_) => r.string(&table, "", "notes"),
    };

    let has_constituents = table.contains_key("constituents");
    let has_secondary = table.contains_key("secondary");
    let kind = match (has_constituents, has_secondary) {
        (true, true) => {
            r.problem(
                "secondary",
                "a station has either [[constituents]] (harmonic) or [secondary] (corrections to a reference), not both",
            );
            None
        }
        (false, false) => {
            r.problem(
                "constituents",
                "missing; expected [[constituents]] tables (a harmonic station) or a [secondary] table (a secondary station)",
            );
            None
        }
        (true, false) => parse_harmonic(&mut r, &table).map(Kind::Harmonic),
        (false, true) => parse_secondary(&mut r, &table).map(Kind::Secondary),
    };

    if !r.problems.is_empty() {
        let mut problems = r.problems;
        for p in &mut problems {
            p.line = line_of(text, &p.field);
        }
        return Err(fail(problems));
    }
    let (Some(id), Some(name), Some(latitude), Some(longitude), Some(timezone)) =
        (id, name, latitude, longitude, timezone)
    else {
        unreachable!("missing fields are problems")
    };
    let (Some(source), Some(license), Some(approximate), Some(notes), Some(kind)) =
        (source, license, approximate, notes, kind)
    else {
        unreachable!("missing fields are problems")
    };
    let info = StationInfo {
        id,
        name,
        latitude,
        longitude,
        timezone,
        source,
        license,
        approximate,
        notes,
    };
    Ok(match kind {
        Kind::Harmonic((datum, z0_m, constituents)) => Station::Harmonic(HarmonicStation {
            info,
            datum,
            z0_m,
            constituents,
        }),
        Kind::Secondary(s) => Station::Secondary(SecondaryStation { info, ..s }),
    })
}

enum Kind {
    Harmonic((String, f64, Vec<HarmonicConstant>)),
    Secondary(SecondaryStation),
}

fn parse_harmonic(
    r: &mut Reader<'_>,
    table: &toml::Table,
) -> Option<(String, f64, Vec<HarmonicConstant>)> {
    let datum = r.string(table, "", "datum");
    if let Some(d) = &datum
        && d != "MSL"
        && d != "chart datum"
    {
        r.problem(
            "datum",
            format!("\"{d}\" is not known; expected \"MSL\" or \"chart datum\""),
        );
    }
    let z0 = r.number(table, "", "z0_m", "metres (mean level above the datum)");
    match table.get("phase_reference") {
        None => r.problem("phase_reference", "missing; expected \"greenwich\""),
        Some(toml::Value::String(s)) if s == "greenwich" => {}
        Some(other) => r.problem(
            "phase_reference",
            format!("{other} is not supported; expected \"greenwich\" (Greenwich phase lags, UTC)"),
        ),
    }
    let Some(toml::Value::Array(items)) = table.get("constituents") else {
        r.problem(
            "constituents",
            "expected an array of tables [[constituents]]",
        );
        return None;
    };
    if items.is_empty() {
        r.problem("constituents", "empty; expected at least one constituent");
    }
    let mut out = Vec::with_capacity(items.len());
    let mut seen: Vec<&'static str> = Vec::new();
    for (k, item) in items.iter().enumerate() {
        let prefix = format!("constituents[{k}]");
        let Some(t) = item.as_table() else {
            r.problem(
                prefix,
                "expected a table with name, amplitude_m, phase_deg, speed_deg_per_hour",
            );
            continue;
        };
        for key in t.keys() {
            if !["name", "amplitude_m", "phase_deg", "speed_deg_per_hour"].contains(&key.as_str()) {
                r.problem(
                    join(&prefix, key),
                    "unknown field; expected name, amplitude_m, phase_deg, speed_deg_per_hour",
                );
            }
        }
        let name = r.string(t, &prefix, "name");
        let amplitude = r.number(t, &prefix, "amplitude_m", "metres ≥ 0");
        let amplitude = r.ranged(
            amplitude,
            &join(&prefix, "amplitude_m"),
            0.0,
            100.0,
            "metres in [0, 100]",
        );
        let phase = r.number(t, &prefix, "phase_deg", "degrees");
        let speed = r.number(t, &prefix, "speed_deg_per_hour", "degrees per hour");
        let Some(name) = name else { continue };
        let Some(c) = constituent(&name) else {
            r.problem(
                join(&prefix, "name"),
                format!("unknown constituent \"{name}\"; expected a NOAA/XTide name such as M2, K1, O1 (see docs/tide.md)"),
            );
            continue;
        };
        if seen.contains(&c.name) {
            r.problem(
                join(&prefix, "name"),
                format!("constituent \"{name}\" appears twice"),
            );
        }
        seen.push(c.name);
        if let Some(speed) = speed
            && (speed - c.speed_deg_per_hour).abs() > SPEED_TOLERANCE_DEG_PER_HOUR
        {
            r.problem(
                join(&prefix, "speed_deg_per_hour"),
                format!(
                    "{speed} disagrees with the speed of {} in the table; expected {} (± {SPEED_TOLERANCE_DEG_PER_HOUR})",
                    c.name, c.speed_deg_per_hour
                ),
            );
            continue;
        }
        if let (Some(amplitude_m), Some(phase_deg)) = (amplitude, phase) {
            out.push(HarmonicConstant {
                constituent: c,
                amplitude_m,
                phase_deg,
            });
        }
    }
    Some((datum?, z0?, out))
}

fn parse_secondary(r: &mut Reader<'_>, table: &toml::Table) -> Option<SecondaryStation> {
    for key in ["datum", "z0_m", "phase_reference"] {
        if table.contains_key(key) {
            r.problem(
                key,
                "a secondary station takes its datum from the reference; remove this field",
            );
        }
    }
    let Some(toml::Value::Table(t)) = table.get("secondary") else {
        r.problem("secondary", "expected a table [secondary]");
        return None;
    };
    for key in t.keys() {
        if !KNOWN_SECONDARY.contains(&key.as_str()) {
            r.problem(
                join("secondary", key),
                format!(
                    "unknown field; expected one of {}",
                    KNOWN_SECONDARY.join(", ")
                ),
            );
        }
    }
    let p = "secondary";
    let reference = r.string(t, p, "reference");
    let minutes = "minutes (positive: later than the reference)";
    let hw_t = r.number(t, p, "high_water_time_offset_min", minutes);
    let hw_t = r.ranged(
        hw_t,
        "secondary.high_water_time_offset_min",
        -720.0,
        720.0,
        "minutes in [-720, 720]",
    );
    let lw_t = r.number(t, p, "low_water_time_offset_min", minutes);
    let lw_t = r.ranged(
        lw_t,
        "secondary.low_water_time_offset_min",
        -720.0,
        720.0,
        "minutes in [-720, 720]",
    );
    let ratio = "a positive multiplier (default 1)";
    let offset = "metres (default 0)";
    let hw_r = r.optional_number(t, p, "high_water_height_ratio", ratio);
    let lw_r = r.optional_number(t, p, "low_water_height_ratio", ratio);
    let hw_o = r.optional_number(t, p, "high_water_height_offset_m", offset);
    let lw_o = r.optional_number(t, p, "low_water_height_offset_m", offset);
    for (value, key) in [
        (hw_r, "high_water_height_ratio"),
        (lw_r, "low_water_height_ratio"),
    ] {
        if let Some(Some(x)) = value
            && !(x > 0.0 && x <= 10.0)
        {
            r.problem(
                join(p, key),
                format!("{x} is out of range; expected a multiplier in (0, 10]"),
            );
        }
    }
    let correction = |ratio: Option<f64>, offset: Option<f64>| HeightCorrection {
        ratio: ratio.unwrap_or(1.0),
        offset_m: offset.unwrap_or(0.0),
    };
    Some(SecondaryStation {
        info: StationInfo {
            approximate: true,
            ..StationInfo::default()
        },
        reference: reference?,
        high_water_time_offset_min: hw_t?,
        low_water_time_offset_min: lw_t?,
        high_water_height: correction(hw_r?, hw_o?),
        low_water_height: correction(lw_r?, lw_o?),
    })
}

/// The line (1-based) of a field path such as `z0_m`,
/// `constituents[3].speed_deg_per_hour` or `secondary.reference`; the line
/// of its table header when the key is absent.
pub(crate) fn line_of(text: &str, field: &str) -> Option<usize> {
    if field.is_empty() {
        return None;
    }
    // Which table the field lives in, and its key.
    let (table, index, key) = if let Some(rest) = field.strip_prefix("constituents[") {
        let (index, key) = rest.split_once(']')?;
        (
            Some("constituents"),
            index.parse::<usize>().ok(),
            key.strip_prefix('.').unwrap_or(""),
        )
    } else if let Some(key) = field.strip_prefix("secondary.") {
        (Some("secondary"), None, key)
    } else {
        (None, None, field)
    };
    let mut section: Option<&str> = None;
    let mut count: usize = 0;
    let mut header_line = None;
    for (k, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("[[") {
            section = line
                .trim_start_matches('[')
                .split(']')
                .next()
                .map(str::trim);
            if section == Some("constituents") {
                count += 1;
            }
        } else if line.starts_with('[') {
            section = line
                .trim_start_matches('[')
                .split(']')
                .next()
                .map(str::trim);
        }
        let here = match (table, section) {
            (None, None) => true,
            (Some("constituents"), Some("constituents")) => index == Some(count.wrapping_sub(1)),
            (Some("secondary"), Some("secondary")) => true,
            _ => false,
        };
        if !here {
            continue;
        }
        if line.starts_with('[') {
            header_line = Some(k + 1);
            if key.is_empty() {
                return header_line;
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix(key)
            && rest.trim_start().starts_with('=')
            && !key.is_empty()
        {
            return Some(k + 1);
        }
    }
    header_line
}
