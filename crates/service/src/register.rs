//! The village register: a CSV file with one row per resident, grouped into
//! households by the household key, as Excel and the commune's software
//! export it.
//!
//! Accepted: UTF-8 with or without a byte-order mark, LF or CRLF line ends,
//! comma, semicolon or tab as the delimiter (Excel on a Vietnamese system
//! writes semicolons and decimal commas), Vietnamese or English headers in
//! any case and with or without diacritics, extra columns (ignored).
//!
//! A file is parsed whole before anything is written; every bad row is
//! reported with its line and column.

use std::collections::BTreeMap;
use std::fmt;

use doorstep_core::{NeedStep, Presence, find_country, fold_vietnamese};
use doorstep_store::{RegisterHousehold, RegisterResident};

/// One problem in a register, where it is and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// 1-based line of the file (the header is line 1).
    pub line: usize,
    /// The column, as its header reads in the file (or the expected header).
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column \"{}\": {}",
            self.line, self.field, self.message
        )
    }
}

/// A column of the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Column {
    HouseholdKey,
    ResidentKey,
    FullName,
    BirthYear,
    Phone,
    Address,
    Village,
    Latitude,
    Longitude,
    Presence,
    Country,
    Timezone,
    Needs,
}

impl Column {
    const ALL: [Column; 13] = [
        Column::HouseholdKey,
        Column::ResidentKey,
        Column::FullName,
        Column::BirthYear,
        Column::Phone,
        Column::Address,
        Column::Village,
        Column::Latitude,
        Column::Longitude,
        Column::Presence,
        Column::Country,
        Column::Timezone,
        Column::Needs,
    ];

    /// The header written in the sample register.
    fn header(self) -> &'static str {
        match self {
            Column::HouseholdKey => "Mã hộ",
            Column::ResidentKey => "Mã nhân khẩu",
            Column::FullName => "Họ và tên",
            Column::BirthYear => "Năm sinh",
            Column::Phone => "Số điện thoại",
            Column::Address => "Địa chỉ",
            Column::Village => "Thôn/Tổ dân phố",
            Column::Latitude => "Vĩ độ",
            Column::Longitude => "Kinh độ",
            Column::Presence => "Hiện trạng",
            Column::Country => "Quốc gia",
            Column::Timezone => "Múi giờ",
            Column::Needs => "Nhu cầu",
        }
    }

    /// Other headers accepted for the column (folded).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::HouseholdKey => &[
                "household key",
                "household id",
                "household",
                "ma ho gia dinh",
                "so ho",
            ],
            Column::ResidentKey => &["resident key", "resident id", "ma cu dan", "ma nguoi"],
            Column::FullName => &["full name", "name", "ho ten"],
            Column::BirthYear => &["birth year", "nam sinh"],
            Column::Phone => &["phone", "dien thoai", "sdt"],
            Column::Address => &["address"],
            Column::Village => &[
                "village",
                "thon",
                "to dan pho",
                "thon, to dan pho",
                "thon to dan pho",
            ],
            Column::Latitude => &["latitude", "lat"],
            Column::Longitude => &["longitude", "lon", "lng"],
            Column::Presence => &["presence", "tinh trang", "noi o hien tai"],
            Column::Country => &["country", "nuoc"],
            Column::Timezone => &["timezone", "time zone", "iana timezone"],
            Column::Needs => &["needs", "nhu cau ho tro"],
        }
    }

    fn required(self) -> bool {
        matches!(
            self,
            Column::HouseholdKey | Column::ResidentKey | Column::FullName | Column::Address
        )
    }

    fn matches(self, header: &str) -> bool {
        let folded = fold_vietnamese(header);
        folded == fold_vietnamese(self.header()) || self.aliases().contains(&folded.as_str())
    }
}

/// A household read from the register, with the lines it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedHousehold {
    /// The line of the household's first row.
    pub line: usize,
    /// The village's name as written, if any.
    pub village: Option<String>,
    /// The household, ready for storage once
    /// [`ParsedRegister::resolve_villages`] has given it its village.
    pub household: RegisterHousehold,
}

/// A register read from a file: the good households, and every bad row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedRegister {
    /// Households in file order, with only their good rows.
    pub households: Vec<ParsedHousehold>,
    /// Every problem found, in line order.
    pub errors: Vec<RowError>,
    /// Number of data rows read.
    pub rows: usize,
    /// The village named on each row, good or bad, for [`ParsedRegister::resolve_villages`].
    villages: Vec<NamedVillage>,
}

/// A village as one row names it.
#[derive(Clone, Debug, PartialEq)]
struct NamedVillage {
    line: usize,
    field: String,
    name: String,
}

impl ParsedRegister {
    /// Gives each household the id of its village, which `find` looks up by
    /// name. A name `find` does not know is an error on every row that
    /// names it, listed with that row's other problems (`unknown` says what
    /// was expected); a household in an unknown village is left out.
    pub fn resolve_villages(
        &mut self,
        find: impl Fn(&str) -> Option<i32>,
        unknown: impl Fn(&str) -> String,
    ) {
        for named in &self.villages {
            if find(&named.name).is_none() {
                self.errors.push(RowError {
                    line: named.line,
                    field: named.field.clone(),
                    message: unknown(&named.name),
                });
            }
        }
        self.households.retain_mut(|h| {
            let Some(name) = &h.village else { return true };
            h.household.village_id = find(name);
            h.household.village_id.is_some()
        });
        // Stable: a row's problems stay in column order.
        self.errors.sort_by_key(|e| e.line);
    }
}

/// Reads a register. `current_year` bounds the birth years.
///
/// # Errors
/// The file as a whole cannot be read (not UTF-8, no header, a required
/// column missing); row problems are returned in [`ParsedRegister::errors`].
pub fn parse(bytes: &[u8], current_year: i32) -> Result<ParsedRegister, Vec<RowError>> {
    let text = decode(bytes)?;
    let delimiter = sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            vec![file_error(
                1,
                "header",
                &format!("cannot read the header row: {e}"),
            )]
        })?
        .clone();
    let columns = map_columns(&headers)?;

    let mut register = ParsedRegister::default();
    let mut lines = LineCounter::new(text);
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_line: BTreeMap<String, BTreeMap<Column, (usize, String)>> = BTreeMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                register.errors.push(file_error(
                    line,
                    "row",
                    &format!("cannot read the row: {e}"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        register.rows += 1;
        let cell = |column: Column| -> Option<&str> {
            columns
                .get(&column)
                .and_then(|i| record.get(*i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let mut errors = Vec::new();
        let mut error = |column: Column, message: String| {
            errors.push(RowError {
                line,
                field: header_of(&headers, &columns, column),
                message,
            });
        };
        let row = read_row(&cell, current_year, &mut error);
        if let Some(name) = cell(Column::Village) {
            register.villages.push(NamedVillage {
                line,
                field: header_of(&headers, &columns, Column::Village),
                name: name.to_string(),
            });
        }
        let key = cell(Column::HouseholdKey).unwrap_or_default().to_string();

        // Household fields must agree between the rows of one household.
        if !key.is_empty() {
            let seen = first_line.entry(key.clone()).or_default();
            for column in [
                Column::Address,
                Column::Village,
                Column::Latitude,
                Column::Longitude,
            ] {
                let Some(value) = cell(column) else { continue };
                match seen.get(&column) {
                    Some((other, previous)) if previous != value => error(
                        column,
                        format!(
                            "household {key} has \"{previous}\" here on line {other}; every row of one household must agree"
                        ),
                    ),
                    Some(_) => {}
                    None => {
                        seen.insert(column, (line, value.to_string()));
                    }
                }
            }
        }
        if let (Some(row), true) = (row, errors.is_empty()) {
            let index = *by_key.entry(key.clone()).or_insert_with(|| {
                register.households.push(ParsedHousehold {
                    line,
                    village: None,
                    household: RegisterHousehold {
                        external_id: key.clone(),
                        address: String::new(),
                        village_id: None,
                        latitude: None,
                        longitude: None,
                        residents: Vec::new(),
                    },
                });
                register.households.len() - 1
            });
            let parsed = &mut register.households[index];
            if let Some(duplicate) = parsed
                .household
                .residents
                .iter()
                .position(|r| r.external_id == row.resident.external_id)
            {
                let _ = duplicate;
                errors.push(RowError {
                    line,
                    field: header_of(&headers, &columns, Column::ResidentKey),
                    message: format!(
                        "resident {} appears twice in household {key}; each resident needs one row",
                        row.resident.external_id
                    ),
                });
            } else {
                let household = &mut parsed.household;
                if household.address.is_empty() {
                    household.address = row.address.clone().unwrap_or_default();
                }
                household.latitude = household.latitude.or(row.location.map(|l| l.0));
                household.longitude = household.longitude.or(row.location.map(|l| l.1));
                if parsed.village.is_none() {
                    parsed.village = row.village.clone();
                }
                parsed.household.residents.push(row.resident);
            }
        }
        register.errors.extend(errors);
    }
    // A household whose rows all failed never got an address.
    register
        .households
        .retain(|h| !h.household.residents.is_empty());
    for household in &register.households {
        if household.household.address.is_empty() {
            register.errors.push(RowError {
                line: household.line,
                field: Column::Address.header().to_string(),
                message: format!(
                    "household {} has no address on any row",
                    household.household.external_id
                ),
            });
        }
    }
    register.errors.sort_by_key(|e| e.line);
    if register.rows == 0 && register.errors.is_empty() {
        return Err(vec![file_error(
            2,
            "row",
            "the register has a header but no rows",
        )]);
    }
    Ok(register)
}

struct Row {
    address: Option<String>,
    village: Option<String>,
    location: Option<(f64, f64)>,
    resident: RegisterResident,
}

fn read_row<'a>(
    cell: &dyn Fn(Column) -> Option<&'a str>,
    current_year: i32,
    error: &mut dyn FnMut(Column, String),
) -> Option<Row> {
    let mut ok = true;
    let mut required = |column: Column, error: &mut dyn FnMut(Column, String)| -> String {
        match cell(column) {
            Some(value) => value.to_string(),
            None => {
                ok = false;
                error(column, "is empty; this column is required".to_string());
                String::new()
            }
        }
    };
    let _key = required(Column::HouseholdKey, error);
    let external_id = required(Column::ResidentKey, error);
    let full_name = required(Column::FullName, error);
    let bad = |column: Column, message: String, error: &mut dyn FnMut(Column, String)| {
        error(column, message);
        false
    };

    let birth_year = match cell(Column::BirthYear) {
        None => None,
        Some(text) => match text.trim_end_matches(".0").parse::<i32>() {
            Ok(year) if (1900..=current_year).contains(&year) => Some(year),
            _ => {
                ok &= bad(
                    Column::BirthYear,
                    format!("\"{text}\" is not a year between 1900 and {current_year}"),
                    error,
                );
                None
            }
        },
    };
    let phone = match cell(Column::Phone) {
        None => None,
        Some(text) => match normalise_phone(text) {
            Some(phone) => Some(phone),
            None => {
                ok &= bad(
                    Column::Phone,
                    format!(
                        "\"{text}\" is not a Vietnamese phone number such as 0912345678 or +84912345678"
                    ),
                    error,
                );
                None
            }
        },
    };
    let latitude = number(cell(Column::Latitude), -90.0..=90.0);
    let longitude = number(cell(Column::Longitude), -180.0..=180.0);
    let location = match (latitude, longitude) {
        (Ok(None), Ok(None)) => None,
        (Ok(Some(lat)), Ok(Some(lon))) => Some((lat, lon)),
        (Err(text), _) => {
            ok &= bad(
                Column::Latitude,
                format!(
                    "\"{text}\" is not a latitude in degrees (-90 to 90), such as 19,3712 or 19.3712"
                ),
                error,
            );
            None
        }
        (_, Err(text)) => {
            ok &= bad(
                Column::Longitude,
                format!(
                    "\"{text}\" is not a longitude in degrees (-180 to 180), such as 105,7981 or 105.7981"
                ),
                error,
            );
            None
        }
        (Ok(None), Ok(Some(_))) => {
            ok &= bad(
                Column::Latitude,
                "is empty but the longitude is given; give both or neither".into(),
                error,
            );
            None
        }
        (Ok(Some(_)), Ok(None)) => {
            ok &= bad(
                Column::Longitude,
                "is empty but the latitude is given; give both or neither".into(),
                error,
            );
            None
        }
    };
    let presence = match cell(Column::Presence) {
        None => Presence::Home,
        Some(text) => Presence::parse(text).unwrap_or_else(|| {
            ok &= bad(
                Column::Presence,
                format!(
                    "\"{text}\" is not a presence; expected one of: ở nhà, đi biển, làm ăn xa, ở nước ngoài ({})",
                    Presence::codes()
                ),
                error,
            );
            Presence::Home
        }),
    };
    let country = match cell(Column::Country) {
        None => None,
        Some(text) => match find_country(text) {
            Some(country) if country.code == "VN" => None,
            Some(country) => Some(*country),
            None => {
                ok &= bad(
                    Column::Country,
                    format!(
                        "\"{text}\" is not a known country; expected an ISO code such as KR, JP, TW or a name such as Hàn Quốc"
                    ),
                    error,
                );
                None
            }
        },
    };
    let timezone = match cell(Column::Timezone) {
        Some(text) => match text.parse::<chrono_tz::Tz>() {
            Ok(zone) => Some(zone.name().to_string()),
            Err(_) => {
                ok &= bad(
                    Column::Timezone,
                    format!(
                        "\"{text}\" is not an IANA time zone such as Asia/Seoul or Europe/Berlin"
                    ),
                    error,
                );
                None
            }
        },
        None => country.and_then(|c| c.default_timezone).map(str::to_string),
    };
    if presence == Presence::Abroad && country.is_none() && ok {
        ok &= bad(
            Column::Country,
            "is empty but the resident is abroad; give the country (KR, JP, …)".into(),
            error,
        );
    }
    if presence == Presence::Abroad && timezone.is_none() && country.is_some() && ok {
        ok &= bad(
            Column::Timezone,
            format!(
                "is empty and {} spans several time zones; give one, such as America/Los_Angeles",
                country.map_or("", |c| c.name_vi)
            ),
            error,
        );
    }
    if presence != Presence::Abroad && country.is_some() && ok {
        ok &= bad(
            Column::Country,
            format!(
                "is given but the presence is \"{}\"; set the presence to \"ở nước ngoài\" or leave the country empty",
                presence.label_vi()
            ),
            error,
        );
    }
    let mut needs = Vec::new();
    for token in cell(Column::Needs)
        .unwrap_or_default()
        .split([';', ',', '|', '+'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        match NeedStep::parse(token) {
            Some(step) if !needs.contains(&step) => needs.push(step),
            Some(_) => {}
            None => {
                ok &= bad(
                    Column::Needs,
                    format!(
                        "\"{token}\" is not a need; expected some of: {}",
                        NeedStep::codes()
                    ),
                    error,
                );
            }
        }
    }
    ok.then(|| Row {
        address: cell(Column::Address).map(str::to_string),
        village: cell(Column::Village).map(str::to_string),
        location,
        resident: RegisterResident {
            external_id,
            full_name,
            birth_year,
            phone,
            presence,
            country: (presence == Presence::Abroad)
                .then(|| country.map(|c| c.code.to_string()))
                .flatten(),
            timezone: (presence == Presence::Abroad).then_some(timezone).flatten(),
            needs,
            availability: None,
            done: Vec::new(),
            consent: None,
        },
    })
}

/// The 1-based line of the file at a byte offset. The csv crate's own line
/// numbers fall one short in files with CRLF line ends, so lines are counted
/// here: "\r\n", "\n" and a lone "\r" each end one, inside quoted cells too.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line at a record's offset. Offsets come in file order, so each
    /// byte is counted once.
    fn at(&mut self, byte: u64) -> usize {
        let text = self.text;
        let mut byte = usize::try_from(byte).map_or(text.len(), |b| b.min(text.len()));
        // A record's offset is where the blank lines before it begin; no
        // record starts with a line end, so they are skipped.
        while matches!(text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte < self.byte {
            (self.byte, self.line) = (0, 1);
        }
        self.line += (self.byte..byte)
            .filter(|&i| match text[i] {
                b'\n' => true,
                b'\r' => text.get(i + 1) != Some(&b'\n'),
                _ => false,
            })
            .count();
        self.byte = byte;
        self.line
    }
}

fn decode(bytes: &[u8]) -> Result<&str, Vec<RowError>> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(vec![file_error(
            1,
            "encoding",
            "the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8 (Comma delimited)\"",
        )]);
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        vec![file_error(
            line,
            "encoding",
            &format!(
                "byte 0x{:02X} is not UTF-8 (the file may be in Windows-1258 or TCVN3); save it as \"CSV UTF-8 (Comma delimited)\"",
                bytes[at]
            ),
        )]
    })
}

/// The delimiter that splits the header line into the most fields.
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .unwrap_or(b',')
}

fn map_columns(headers: &csv::StringRecord) -> Result<BTreeMap<Column, usize>, Vec<RowError>> {
    let mut columns = BTreeMap::new();
    let mut errors = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        let Some(column) = Column::ALL.into_iter().find(|c| c.matches(header)) else {
            continue;
        };
        if let Some(previous) = columns.insert(column, index) {
            errors.push(file_error(
                1,
                header,
                &format!(
                    "column {} and column {} both hold \"{}\"; keep one",
                    previous + 1,
                    index + 1,
                    column.header()
                ),
            ));
        }
    }
    for column in Column::ALL
        .into_iter()
        .filter(|c| c.required() && !columns.contains_key(c))
    {
        errors.push(file_error(
            1,
            column.header(),
            &format!(
                "the column is missing; the header row must name it \"{}\" (or \"{}\")",
                column.header(),
                column.aliases()[0]
            ),
        ));
    }
    if errors.is_empty() {
        Ok(columns)
    } else {
        Err(errors)
    }
}

fn header_of(
    headers: &csv::StringRecord,
    columns: &BTreeMap<Column, usize>,
    column: Column,
) -> String {
    columns
        .get(&column)
        .and_then(|i| headers.get(*i))
        .map_or_else(|| column.header().to_string(), |h| h.trim().to_string())
}

fn file_error(line: usize, field: &str, message: &str) -> RowError {
    RowError {
        line,
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// Reads a number written with a decimal point or a decimal comma.
fn number(text: Option<&str>, range: std::ops::RangeInclusive<f64>) -> Result<Option<f64>, String> {
    let Some(text) = text else { return Ok(None) };
    match text.replace(',', ".").parse::<f64>() {
        Ok(value) if range.contains(&value) => Ok(Some(value)),
        _ => Err(text.to_string()),
    }
}

/// Normalises a Vietnamese phone number to its national form (0…), giving
/// back the leading zero that spreadsheets drop.
fn normalise_phone(text: &str) -> Option<String> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let national = if let Some(rest) = digits
        .strip_prefix("+84")
        .or_else(|| digits.strip_prefix("84").filter(|r| r.len() == 9))
    {
        format!("0{rest}")
    } else if digits.len() == 9 && !digits.starts_with('0') {
        format!("0{digits}")
    } else {
        digits
    };
    let valid = national.starts_with('0')
        && (10..=11).contains(&national.len())
        && national.chars().all(|c| c.is_ascii_digit());
    valid.then_some(national)
}

/// The register's header as this service writes it, in column order.
pub fn export_header() -> Vec<&'static str> {
    Column::ALL.iter().map(|c| c.header()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Mã hộ,Mã nhân khẩu,Họ và tên,Năm sinh,Số điện thoại,Địa chỉ,Thôn/Tổ dân phố,Vĩ độ,Kinh độ,Hiện trạng,Quốc gia,Múi giờ,Nhu cầu";

    #[test]
    fn rows_group_into_households() {
        let csv = format!(
            "{HEADER}\r\nH1,1,Lê Văn Đức,1978,0912345678,Số 5 ngõ 2,Thôn Bắc Hải,\"19,371\",\"105,80\",đi biển,,,vneid_install;e_payment\r\nH1,2,Nguyễn Thị Lan,1990,912345679,,,,,ở nước ngoài,Hàn Quốc,,Cài đặt VNeID\r\n"
        );
        let register = parse(csv.as_bytes(), 2026).unwrap();
        assert_eq!(register.errors, vec![]);
        assert_eq!(register.households.len(), 1);
        let household = &register.households[0].household;
        assert_eq!(household.address, "Số 5 ngõ 2");
        assert_eq!(household.latitude, Some(19.371));
        assert_eq!(household.residents.len(), 2);
        let lan = &household.residents[1];
        assert_eq!(lan.phone.as_deref(), Some("0912345679"));
        assert_eq!(lan.presence, Presence::Abroad);
        assert_eq!(lan.country.as_deref(), Some("KR"));
        assert_eq!(lan.timezone.as_deref(), Some("Asia/Seoul"));
        assert_eq!(lan.needs, vec![NeedStep::VneidInstall]);
    }

    #[test]
    fn semicolons_and_a_bom_are_read() {
        let csv = format!(
            "\u{feff}{}\nH1;1;A;;;Đường 1;;19,5;105,7;;;;\n",
            HEADER.replace(',', ";")
        );
        let register = parse(csv.as_bytes(), 2026).unwrap();
        assert_eq!(register.errors, vec![]);
        assert_eq!(register.households[0].household.longitude, Some(105.7));
    }

    #[test]
    fn every_bad_row_is_reported_with_line_and_column() {
        let csv = format!("{HEADER}\nH1,1,A,1850,12,X,,,,,,,\nH2,1,,2000,,Y,,,,trên trời,,,fly\n");
        let register = parse(csv.as_bytes(), 2026).unwrap();
        let found: Vec<(usize, &str)> = register
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (2, "Năm sinh"),
                (2, "Số điện thoại"),
                (3, "Họ và tên"),
                (3, "Hiện trạng"),
                (3, "Nhu cầu")
            ]
        );
        assert!(register.households.is_empty());
    }

    #[test]
    fn missing_columns_and_bad_encoding_refuse_the_file() {
        let errors = parse(b"Ma ho,Ho va ten\nH1,A\n", 2026).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].message.contains("Mã nhân khẩu"));
        let errors = parse(b"M\xe3 h\xf4,x\n", 2026).unwrap_err();
        assert!(errors[0].message.contains("not UTF-8"), "{errors:?}");
    }

    #[test]
    fn households_must_agree_between_rows() {
        let csv = format!(
            "{HEADER}\nH1,1,A,,,Đường 1,,,,,,,\nH1,2,B,,,Đường 2,,,,,,,\nH1,1,C,,,,,,,,,,\n"
        );
        let register = parse(csv.as_bytes(), 2026).unwrap();
        assert_eq!(register.errors.len(), 2, "{:?}", register.errors);
        assert!(register.errors[0].message.contains("line 2"));
        assert!(register.errors[1].message.contains("appears twice"));
    }

    /// `\n` ends a row, `¶` breaks a line inside a quoted cell.
    const MULTILINE: &str = "H1,1,A,,,Đường 1,,,,,,,
H1,2,\"Nguyễn¶Văn B\",1850,,,,,,,,,
H1,3,C,,,Đường 2,,,,,,,
H2,1,D,,12,Đường 3,,,,,,,

H3,1,E,,,\"Số 4¶ngõ 2\",,,,,,,
H3,2,F,,,Khác,,,,,,,
";

    #[test]
    fn crlf_files_report_the_same_lines_as_lf_files() {
        let variants = [
            ("LF", "\n", "\n"),
            ("CRLF", "\r\n", "\r\n"),
            ("Excel", "\r\n", "\n"),
        ];
        let errors: Vec<(&str, Vec<RowError>)> = variants
            .iter()
            .map(|(name, row_end, cell_break)| {
                let csv = format!("{HEADER}\n{MULTILINE}")
                    .replace('\n', row_end)
                    .replace('¶', cell_break);
                (*name, parse(csv.as_bytes(), 2026).unwrap().errors)
            })
            .collect();
        let lines = |errors: &[RowError]| -> Vec<(usize, String)> {
            errors.iter().map(|e| (e.line, e.field.clone())).collect()
        };
        assert_eq!(
            lines(&errors[0].1),
            vec![
                (3, "Năm sinh".to_string()),
                (5, "Địa chỉ".to_string()),
                (6, "Số điện thoại".to_string()),
                (10, "Địa chỉ".to_string()),
            ]
        );
        for (name, found) in &errors {
            assert_eq!(lines(found), lines(&errors[0].1), "{name}");
            assert!(found[1].message.contains("here on line 2"), "{name}");
            assert!(found[3].message.contains("here on line 8"), "{name}");
        }
    }

    #[test]
    fn a_row_lists_its_unknown_village_with_its_other_problems() {
        let csv = format!(
            "{HEADER}\nH1,1,A,,,Đường 1,Bắc Hải,,,,,,\nH2,1,B,1850,12,Đường 2,Thôn Nam Hải,,,,,,\n"
        );
        let mut register = parse(csv.as_bytes(), 2026).unwrap();
        register.resolve_villages(
            |name| (name == "Bắc Hải").then_some(7),
            |name| format!("\"{name}\" is not a village of this team"),
        );
        let found: Vec<(usize, &str)> = register
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (3, "Năm sinh"),
                (3, "Số điện thoại"),
                (3, "Thôn/Tổ dân phố")
            ]
        );
        assert!(register.errors[2].message.contains("Thôn Nam Hải"));
        assert_eq!(register.households.len(), 1);
        assert_eq!(register.households[0].household.village_id, Some(7));
    }

    #[test]
    fn phones_get_their_leading_zero_back() {
        assert_eq!(
            normalise_phone("+84 912 345 678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(normalise_phone("912345678").as_deref(), Some("0912345678"));
        assert_eq!(
            normalise_phone("0237.3861.234").as_deref(),
            Some("02373861234")
        );
        assert_eq!(normalise_phone("12"), None);
    }
}
