//! A port's tide station fitted to the high and low waters its team wrote
//! down: the readings' CSV read row by row (Vietnamese or English headers,
//! times with an offset or in the team's zone), the fit
//! ([`doorstep_tide::fit_extremes`]), the station file it makes — read back
//! as any station file before it is given out — and its report.
//! `doorstep tide fit` and `POST /api/v1/tide/fit` both call [`fit_station`].

use std::path::Path;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use doorstep_tide::{
    ExtremeKind, Fit, FitOptions, HarmonicStation, InferenceSource, Observation, StationInfo,
    fit_extremes, parse_station,
};

/// What is fitted, and how the station it makes is named.
#[derive(Debug, Clone, Copy)]
pub struct FitRequest<'a> {
    /// The station's id (the file name it is kept under, without `.toml`).
    pub id: &'a str,
    /// Its name (default: the id).
    pub name: Option<&'a str>,
    /// The port's latitude, degrees north.
    pub latitude: f64,
    /// Its longitude, degrees east (default: the reference's, or 0).
    pub longitude: Option<f64>,
    /// The zone of times written without an offset.
    pub zone: Tz,
    /// The readings' file name, for messages and the station's provenance.
    pub file: &'a str,
    /// The readings: a CSV with a header, one high or low water a row.
    pub csv: &'a str,
    /// A harmonic station whose ratios give the inferred constituents.
    pub reference: Option<&'a HarmonicStation>,
}

/// A station fitted to the readings.
#[derive(Debug, Clone)]
pub struct FittedStation {
    /// The fit: its constituents and its report.
    pub fit: Fit,
    /// The station file (TOML), read back as any station file.
    pub station_file: String,
}

/// Why no station came of the readings.
#[derive(Debug, Clone, PartialEq)]
pub enum FitFailure {
    /// The options do not read: each problem, in Vietnamese / English.
    Options(Vec<String>),
    /// Rows that do not read, each named by file and line.
    Rows(Vec<String>),
    /// The readings read but cannot be fitted, in Vietnamese / English.
    Fit(String),
}

/// Whether `id` can name a station (and its file): ASCII letters, digits,
/// `_` and `-`.
pub fn valid_station_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Reads the readings, fits them and writes the station file.
///
/// # Errors
/// [`FitFailure`]: bad options (latitude, longitude, id), bad rows, or
/// readings that cannot be fitted; nothing is half-made.
pub fn fit_station(request: &FitRequest<'_>) -> Result<FittedStation, FitFailure> {
    let mut problems = Vec::new();
    if !(-90.0..=90.0).contains(&request.latitude) {
        problems.push(format!(
            "latitude {}: ngoài khoảng / out of range; expected degrees north in [-90, 90]",
            request.latitude
        ));
    }
    if let Some(lon) = request.longitude
        && !(-180.0..=360.0).contains(&lon)
    {
        problems.push(format!(
            "longitude {lon}: ngoài khoảng / out of range; expected degrees east in [-180, 360]"
        ));
    }
    if !valid_station_id(request.id) {
        problems.push(format!(
            "id \"{}\": không dùng làm mã trạm được / is not a valid station id; expected 1–64 ASCII letters, digits, '_' or '-' (e.g. lach-bang)",
            request.id
        ));
    }
    if !problems.is_empty() {
        return Err(FitFailure::Options(problems));
    }
    let observations =
        parse_observations(request.file, request.csv, request.zone).map_err(FitFailure::Rows)?;
    let options = FitOptions {
        reference: request.reference,
        ..FitOptions::default()
    };
    let fit = fit_extremes(&observations, &options)
        .map_err(|e| FitFailure::Fit(format!("{}: {}", request.file, fit_error_vi_en(&e))))?;
    let station_file = station_file(request, &fit);
    // Read back as any station file before it is given out.
    parse_station(&format!("{}.toml", request.id), &station_file).map_err(|e| {
        FitFailure::Fit(format!(
            "trạm lập được không đọc lại được / the fitted station does not read back: {e}"
        ))
    })?;
    Ok(FittedStation { fit, station_file })
}

/// Why the readings could not be fitted, in Vietnamese / English.
pub fn fit_error_vi_en(e: &doorstep_tide::FitError) -> String {
    use doorstep_tide::FitError as E;
    let vi = match e {
        E::TooFew { count, needed } => format!(
            "chỉ có {count} lần nước lớn, nước ròng; cần ít nhất {needed} (tốt nhất hai tuần trở lên)"
        ),
        E::TooFewHeights { count, needed } => {
            format!("chỉ {count} dòng có độ cao; cần ít nhất {needed}")
        }
        E::TooShort { days, needed } => {
            format!("các lần ghi chỉ trải {days:.1} ngày; cần ít nhất {needed:.0} ngày")
        }
        E::NotInOrder { index, .. } => format!(
            "lần ghi thứ {} không sau lần trước; cần ghi theo thứ tự thời gian, mỗi lần một dòng",
            index + 1
        ),
        E::BadHeight { index } => format!("lần ghi thứ {} có độ cao không phải số", index + 1),
        E::Undetermined => {
            "các lần ghi không đủ để xác định thủy triều (lặp lại nhau); cần ghi rải đều nhiều ngày"
                .to_owned()
        }
    };
    format!("{vi} / {e}")
}

/// Which column holds what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Time,
    Kind,
    Height,
}

fn column_of(header: &str) -> Option<Column> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    let h = h.replace(['_', '-'], " ");
    let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
    match h.as_str() {
        "time" | "at" | "thời gian" | "thoi gian" | "thời điểm" | "thoi diem" | "giờ" | "gio" => {
            Some(Column::Time)
        }
        "kind" | "type" | "loại" | "loai" | "nước" | "nuoc" => Some(Column::Kind),
        "height m" | "height" | "height (m)" | "độ cao" | "do cao" | "độ cao (m)"
        | "do cao (m)" | "độ cao m" | "do cao m" | "chiều cao" | "chieu cao" => {
            Some(Column::Height)
        }
        _ => None,
    }
}

/// Splits one CSV line (commas, double quotes).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    out.push(field);
    out
}

fn parse_kind(value: &str) -> Option<ExtremeKind> {
    let v = value.trim().to_lowercase();
    match v.split_whitespace().collect::<Vec<_>>().join(" ").as_str() {
        "high" | "hw" | "h" | "nước lớn" | "nuoc lon" | "lớn" | "lon" | "cao" => {
            Some(ExtremeKind::High)
        }
        "low" | "lw" | "l" | "nước ròng" | "nuoc rong" | "ròng" | "rong" | "nước cạn"
        | "nuoc can" | "thấp" | "thap" => Some(ExtremeKind::Low),
        _ => None,
    }
}

fn parse_time(value: &str, zone: Tz) -> Option<DateTime<Utc>> {
    let v = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%d %H:%M:%S%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(v, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    if let Some(rest) = v.strip_suffix('Z')
        && let Some(t) = naive(rest)
    {
        return Some(t.and_utc());
    }
    let local = naive(v)?;
    zone.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

fn naive(v: &str) -> Option<NaiveDateTime> {
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, format) {
            return Some(t);
        }
    }
    None
}

/// Reads the CSV; every bad row is named.
pub fn parse_observations(
    file: &str,
    text: &str,
    zone: Tz,
) -> Result<Vec<Observation>, Vec<String>> {
    let mut problems = Vec::new();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(k, l)| (k + 1, l))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((header_line, header)) = lines.next() else {
        return Err(vec![format!(
            "{file}: tệp trống / the file is empty; expected a header (thời gian,loại,độ cao (m) or time,kind,height_m) and one high or low water a row"
        )]);
    };
    let headers = split_csv(header);
    let mut columns: Vec<Option<Column>> = Vec::new();
    for (k, h) in headers.iter().enumerate() {
        let c = column_of(h);
        if c.is_none() && !h.trim().is_empty() {
            problems.push(format!(
                "{file}:{header_line}: cột {} \"{}\": không rõ cột này / unknown column; expected time (thời gian), kind (loại), height_m (độ cao (m))",
                k + 1,
                h.trim()
            ));
        }
        if c.is_some() && columns.contains(&c) {
            problems.push(format!(
                "{file}:{header_line}: cột \"{}\" lặp lại / column appears twice",
                h.trim()
            ));
        }
        columns.push(c);
    }
    let position = |c: Column| columns.iter().position(|x| *x == Some(c));
    let (time_col, kind_col, height_col) = (
        position(Column::Time),
        position(Column::Kind),
        position(Column::Height),
    );
    for (col, name) in [(time_col, "time (thời gian)"), (kind_col, "kind (loại)")] {
        if col.is_none() {
            problems.push(format!(
                "{file}:{header_line}: thiếu cột / missing column {name}; expected a header such as time,kind,height_m or thời gian,loại,độ cao (m)"
            ));
        }
    }
    let (Some(time_col), Some(kind_col)) = (time_col, kind_col) else {
        return Err(problems);
    };
    let mut out: Vec<(usize, Observation)> = Vec::new();
    for (line, raw) in lines {
        let fields = split_csv(raw);
        let get = |k: usize| fields.get(k).map(|s| s.trim()).unwrap_or("");
        let time_text = get(time_col);
        let at = parse_time(time_text, zone);
        if at.is_none() {
            problems.push(format!(
                "{file}:{line}: time: \"{time_text}\" không phải thời điểm / is not a time; expected e.g. 2026-03-02 05:40 (in {zone}), 2026-03-02T05:40+07:00 or 02/03/2026 05:40"
            ));
        }
        let kind_text = get(kind_col);
        let kind = parse_kind(kind_text);
        if kind.is_none() {
            problems.push(format!(
                "{file}:{line}: kind: \"{kind_text}\" không phải nước lớn hay nước ròng / is neither high nor low water; expected nước lớn, nước ròng, high or low"
            ));
        }
        let height_text = height_col.map(get).unwrap_or("");
        let height = if height_text.is_empty() {
            Some(None)
        } else {
            match height_text.replace(',', ".").parse::<f64>() {
                Ok(h) if h.is_finite() && h.abs() < 100.0 => Some(Some(h)),
                _ => {
                    problems.push(format!(
                        "{file}:{line}: height_m: \"{height_text}\" không phải độ cao / is not a height; expected metres such as 2.35, or empty"
                    ));
                    None
                }
            }
        };
        if let (Some(at), Some(kind), Some(height_m)) = (at, kind, height) {
            if let Some((prev_line, prev)) = out.last()
                && prev.at >= at
            {
                problems.push(format!(
                    "{file}:{line}: time: {} không sau dòng {prev_line} ({}) / is not after line {prev_line}; expected rows in time order, each high or low water once",
                    at.format("%Y-%m-%dT%H:%M:%SZ"),
                    prev.at.format("%Y-%m-%dT%H:%M:%SZ")
                ));
                continue;
            }
            out.push((line, Observation { at, kind, height_m }));
        }
    }
    if problems.is_empty() {
        Ok(out.into_iter().map(|(_, o)| o).collect())
    } else {
        Err(problems)
    }
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn station_file(request: &FitRequest<'_>, fit: &Fit) -> String {
    let (id, file, reference) = (request.id, request.file, request.reference);
    let r = &fit.report;
    let name = request.name.map_or_else(|| id.to_owned(), str::to_owned);
    let inferred_from = match reference {
        Some(s) => format!(
            "the constituents the record cannot separate drawn toward the ratios of {} to their fitted neighbours",
            s.info.id
        ),
        None => "the constituents the record cannot separate drawn toward their fitted neighbours (equilibrium admittance, interpolated between the species' pair; the species' phase slope), the minor diurnal and long-period ones fitted near zero".to_owned(),
    };
    let source = format!(
        "Fitted by doorstep tide fit to {} observed high and {} low waters ({} with heights) in {} from {} to {} ({:.1} days): least squares on the heights and the times of high and low water (zero slope), NOAA/XTide conventions with nodal corrections; {inferred_from}.",
        r.highs,
        r.lows,
        r.heights,
        Path::new(file)
            .file_name()
            .map_or(file.to_owned(), |f| f.to_string_lossy().into_owned()),
        day(r.first),
        day(r.last),
        r.record_days
    );
    let unresolved: Vec<String> = r
        .unresolved
        .iter()
        .map(|u| format!("{} ({:.0} d)", u.name, u.days_needed.ceil()))
        .collect();
    let heights = r
        .height_rms_m
        .map_or(String::new(), |h| format!(", chiều cao / height {h:.3} m"));
    let notes = format!(
        "ƯỚC TÍNH TỪ QUAN TRẮC / FITTED: hạng / grade {grade} — {vi} / {en}. \
         {days:.1} ngày / days, {highs} nước lớn / high, {lows} nước ròng / low waters. \
         Sai lệch so với số đã ghi (căn quân phương) / residuals of the readings (rms): giờ / time {rms:.1} min (max {max:.0}){heights}; \
         không khớp / unmatched {unmatched}. \
         Đã tách / fitted: {fitted}. Suy ra / inferred: {inferred}. Gần 0 / held near zero: {minor}.{more} \
         Độ cao tính từ số 0 của thước đo / heights above the readings' zero. Không dùng để đi biển / not for navigation.",
        grade = r.grade,
        vi = r.grade.meaning_vi(),
        en = r.grade.meaning_en(),
        days = r.record_days,
        highs = r.highs,
        lows = r.lows,
        rms = r.time_rms_minutes,
        max = r.time_max_minutes,
        unmatched = r.unmatched,
        fitted = r.fitted.join(", "),
        minor = if r.minor.is_empty() {
            "—".to_owned()
        } else {
            r.minor.join(", ")
        },
        inferred = r
            .inferred
            .iter()
            .map(|i| format!("{}←{}", i.name, i.from))
            .collect::<Vec<_>>()
            .join(", "),
        more = if unresolved.is_empty() {
            String::new()
        } else {
            format!(
                " Cần ghi dài hơn để tách / a longer record would fit: {}.",
                unresolved.join(", ")
            )
        },
    );
    let longitude = request
        .longitude
        .or(reference.map(|s| s.info.longitude))
        .unwrap_or(0.0);
    let mut out = String::new();
    out.push_str("# doorstep tide station file. Format, provenance and licences: docs/tide.md.\n");
    out.push_str(&format!(
        "# ƯỚC TÍNH TỪ NƯỚC LỚN, NƯỚC RÒNG ĐÃ GHI / FITTED TO WRITTEN-DOWN HIGH AND LOW WATERS: grade {}.\n",
        r.grade
    ));
    if request.longitude.is_none() {
        out.push_str(
            "# longitude not given (--longitude): taken from the reference station, or 0.\n",
        );
    }
    let info = StationInfo {
        id: id.to_owned(),
        name,
        latitude: request.latitude,
        longitude,
        timezone: request.zone.name().to_owned(),
        source,
        license: "the team's own observations".to_owned(),
        approximate: true,
        notes,
    };
    out.push_str(&format!("id = {}\n", quoted(&info.id)));
    out.push_str(&format!("name = {}\n", quoted(&info.name)));
    out.push_str(&format!("latitude = {:?}\n", info.latitude));
    out.push_str(&format!("longitude = {:?}\n", info.longitude));
    out.push_str(&format!("timezone = {}\n", quoted(&info.timezone)));
    out.push_str("datum = \"chart datum\"\n");
    out.push_str(&format!("z0_m = {:.4}\n", fit.z0_m));
    out.push_str("phase_reference = \"greenwich\"\n");
    out.push_str(&format!("source = {}\n", quoted(&info.source)));
    out.push_str(&format!("license = {}\n", quoted(&info.license)));
    out.push_str("approximate = true\n");
    out.push_str(&format!("notes = {}\n", quoted(&info.notes)));
    for c in &fit.constituents {
        let how = if r.fitted.contains(&c.constituent.name) {
            "fitted".to_owned()
        } else {
            r.inferred
                .iter()
                .find(|i| i.name == c.constituent.name)
                .map_or("inferred".to_owned(), |i| {
                    format!(
                        "inferred from {} ({})",
                        i.from,
                        match i.source {
                            InferenceSource::Equilibrium => "equilibrium ratio",
                            InferenceSource::Reference => "reference ratio",
                        }
                    )
                })
        };
        out.push_str(&format!(
            "\n[[constituents]] # {how}\nname = {}\namplitude_m = {:.4}\nphase_deg = {:.2}\nspeed_deg_per_hour = {}\n",
            quoted(c.constituent.name),
            c.amplitude_m,
            c.phase_deg,
            c.constituent.speed_deg_per_hour
        ));
    }
    out
}

/// The fit's report for the person who wrote the readings down, in
/// Vietnamese and English: grade, record, constituents fitted and
/// inferred, residuals, and each reading more than 30 minutes off the
/// fitted curve, to check in the notebook.
pub fn report(id: &str, out: &str, fit: &Fit) -> String {
    let r = &fit.report;
    let mut s = format!(
        "trạm / station {id} → {out}\n\
         hạng / grade {}: {} / {}\n\
         số liệu / record: {:.1} ngày / days ({} → {}), {} nước lớn / high, {} nước ròng / low, {} có độ cao / with heights\n\
         đã tách / fitted: {}\n\
         suy ra / inferred: {}\n",
        r.grade,
        r.grade.meaning_vi(),
        r.grade.meaning_en(),
        r.record_days,
        r.first.format("%Y-%m-%d %H:%MZ"),
        r.last.format("%Y-%m-%d %H:%MZ"),
        r.highs,
        r.lows,
        r.heights,
        r.fitted.join(", "),
        r.inferred
            .iter()
            .map(|i| format!("{}←{}", i.name, i.from))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !r.minor.is_empty() {
        s.push_str(&format!("gần 0 / held near zero: {}\n", r.minor.join(", ")));
    }
    for u in &r.unresolved {
        s.push_str(&format!(
            "cần / needs {:.0} ngày / days: {}\n",
            u.days_needed.ceil(),
            u.name
        ));
    }
    s.push_str(&format!(
        "sai lệch / residuals: giờ / time rms {:.1} min, max {:.0} min",
        r.time_rms_minutes, r.time_max_minutes
    ));
    if let Some(h) = r.height_rms_m {
        s.push_str(&format!(", chiều cao / height rms {h:.3} m"));
    }
    s.push_str(&format!(", không khớp / unmatched {}\n", r.unmatched));
    for res in r
        .residuals
        .iter()
        .filter(|x| x.time_minutes.is_none_or(|t| t.abs() > 30.0))
    {
        s.push_str(&format!(
            "  xem lại / check {} {}: {}\n",
            res.at.format("%Y-%m-%d %H:%MZ"),
            res.kind.as_str(),
            res.time_minutes.map_or(
                "không có trên đường cong / not on the fitted curve".to_owned(),
                |t| format!("lệch / off by {t:+.0} min")
            )
        ));
    }
    s
}

/// The fit in one JSON object: `doorstep tide fit`'s line on stdout and
/// the API's answer.
pub fn summary(id: &str, out: &str, fit: &Fit) -> serde_json::Value {
    let r = &fit.report;
    serde_json::json!({
        "station": id,
        "file": out,
        "grade": r.grade.as_str(),
        "record_days": (r.record_days * 10.0).round() / 10.0,
        "highs": r.highs,
        "lows": r.lows,
        "heights": r.heights,
        "fitted": r.fitted,
        "inferred": r.inferred.iter().map(|i| i.name).collect::<Vec<_>>(),
        "time_rms_min": (r.time_rms_minutes * 10.0).round() / 10.0,
        "height_rms_m": r.height_rms_m.map(|h| (h * 1000.0).round() / 1000.0),
        "unmatched": r.unmatched,
    })
}

/// A fit asked through the API: the readings and how to name the station.
#[derive(Debug, Clone, Default)]
pub struct FitInput {
    /// The station's id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: Option<f64>,
    /// The zone of times without an offset (default `Asia/Ho_Chi_Minh`).
    pub timezone: Option<String>,
    /// A catalog station whose ratios give the inferred constituents.
    pub reference: Option<String>,
    /// The readings' CSV.
    pub csv: String,
}

/// The most bytes of readings one fit reads: years of high and low waters.
pub const MAX_CSV_BYTES: usize = 1 << 20;

/// Fits a station to a team's readings, for a leader (or an
/// administrator), on a blocking thread: nothing is stored, the station
/// file comes back to be kept with the catalog.
///
/// # Errors
/// Forbidden for a volunteer or an official; invalid (each problem with
/// its field: `id`, `latitude`, `longitude`, `timezone`, `reference`, `csv`
/// — every bad row by its line) when the input does not read or cannot be
/// fitted.
pub async fn fit_for_leader(
    catalog: &doorstep_tide::Catalog,
    actor: &crate::access::Actor,
    input: FitInput,
) -> Result<FittedStation, crate::error::ServiceError> {
    use crate::error::{FieldError, ServiceError};
    use doorstep_core::UserRole;
    if !matches!(actor.role, UserRole::Leader | UserRole::Admin) {
        return Err(ServiceError::Forbidden(
            "chỉ tổ trưởng lập trạm thủy triều từ số liệu ghi tay".into(),
            "only a team's leader fits a tide station to written-down readings".into(),
        ));
    }
    let field = |name: &str, message: String| FieldError::new(name, message.clone(), message);
    let mut errors = Vec::new();
    let zone_name = input.timezone.as_deref().unwrap_or("Asia/Ho_Chi_Minh");
    let zone: Option<Tz> = zone_name.parse().ok();
    if zone.is_none() {
        errors.push(field(
            "timezone",
            format!("\"{zone_name}\": không phải múi giờ IANA / is not an IANA zone; expected e.g. Asia/Ho_Chi_Minh"),
        ));
    }
    if input.csv.len() > MAX_CSV_BYTES {
        errors.push(field(
            "csv",
            format!(
                "{} byte: quá lớn / too large; expected at most {MAX_CSV_BYTES} bytes of readings",
                input.csv.len()
            ),
        ));
    }
    let reference = match input.reference.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => match catalog.get(id) {
            Some(doorstep_tide::Station::Harmonic(h)) => Some(h.clone()),
            Some(doorstep_tide::Station::Secondary(_)) => {
                errors.push(field(
                    "reference",
                    format!("\"{id}\": là trạm phụ / is a secondary station; expected a harmonic station such as vn_hon_dau"),
                ));
                None
            }
            None => {
                errors.push(field(
                    "reference",
                    format!("\"{id}\": không có trong danh mục / unknown station; expected a catalog id such as vn_hon_dau"),
                ));
                None
            }
        },
    };
    let Some(zone) = zone.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let fitted = tokio::task::spawn_blocking(move || {
        let file = format!("{}.csv", input.id);
        fit_station(&FitRequest {
            id: &input.id,
            name: input.name.as_deref(),
            latitude: input.latitude,
            longitude: input.longitude,
            zone,
            file: &file,
            csv: &input.csv,
            reference: reference.as_ref(),
        })
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("the fit stopped: {e}")))?;
    fitted.map_err(|failure| {
        ServiceError::Invalid(match failure {
            FitFailure::Options(problems) => problems
                .into_iter()
                .map(|p| {
                    let name = p.split([' ', ':']).next().unwrap_or("csv").to_owned();
                    field(&name, p)
                })
                .collect(),
            FitFailure::Rows(problems) => problems.into_iter().map(|p| field("csv", p)).collect(),
            FitFailure::Fit(problem) => vec![field("csv", problem)],
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_and_english_rows_read_alike() {
        let zone: Tz = "Asia/Ho_Chi_Minh".parse().unwrap();
        let vi = "thời gian,loại,độ cao (m)\n2026-03-02 05:40,nước lớn,2.35\n02/03/2026 17:55,Nước ròng,\"0,40\"\n";
        let en =
            "time,kind,height_m\n2026-03-01T22:40:00Z,high,2.35\n2026-03-02T10:55+00:00,low,0.40\n";
        let a = parse_observations("vi.csv", vi, zone).unwrap();
        let b = parse_observations("en.csv", en, zone).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_rows_are_named_by_line_and_field() {
        let zone: Tz = "Asia/Ho_Chi_Minh".parse().unwrap();
        let text = "time,kind,height_m\n2026-03-02 05:40,high,2.3\n\n2026-13-02 05:40,high,2.3\n2026-03-03 05:40,cao lắm,x\n";
        let problems = parse_observations("obs.csv", text, zone).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("obs.csv:4: time: \"2026-13-02 05:40\""));
        assert!(problems[1].starts_with("obs.csv:5: kind:"));
        assert!(problems[2].starts_with("obs.csv:5: height_m:"));
    }
}
