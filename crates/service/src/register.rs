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
//! reported with its line and column. The file is read as a stream, and
//! what it holds is kept compactly (its text in one buffer, each resident
//! in a few dozen bytes): a register of a million rows takes a few hundred
//! megabytes, not its size ten times over. [`ParsedRegister::households`]
//! gives the households one at a time, as the store takes them.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::io::Read;

use doorstep_core::{Country, NeedStep, Presence, find_country, fold_vietnamese};
use doorstep_store::{RegisterHousehold, RegisterResident};

/// One problem in a register, where it is and what was expected, in
/// Vietnamese and English.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// 1-based line of the file (the header is line 1).
    pub line: usize,
    /// The column, as its header reads in the file (or the expected header);
    /// for a problem of the whole file or row, what it is about: `file`,
    /// `encoding`, `header` or `row` (see [`RowError::column`]).
    pub field: String,
    /// What is wrong and what was expected, in Vietnamese.
    pub message_vi: String,
    /// The same in English.
    pub message_en: String,
}

/// The `field` of a problem that is not one column's.
const WHOLE: [&str; 4] = ["file", "encoding", "header", "row"];

impl RowError {
    fn new(line: usize, field: &str, vi: String, en: String) -> RowError {
        RowError {
            line,
            field: field.to_owned(),
            message_vi: vi,
            message_en: en,
        }
    }

    /// The column the problem is in; `None` for a problem of the whole
    /// file or row (its encoding, its header, a row that cannot be read).
    pub fn column(&self) -> Option<&str> {
        (!WHOLE.contains(&self.field.as_str())).then_some(self.field.as_str())
    }

    /// The message in Vietnamese (`vi = true`) or English.
    pub fn message(&self, vi: bool) -> &str {
        if vi {
            &self.message_vi
        } else {
            &self.message_en
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column \"{}\": {}",
            self.line, self.field, self.message_en
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

    /// Its position in [`Column::ALL`].
    fn index(self) -> usize {
        self as usize
    }
}

/// The household fields that every row of one household must agree on.
const AGREED: [Column; 4] = [
    Column::Address,
    Column::Village,
    Column::Latitude,
    Column::Longitude,
];

/// No resident: the end of a household's list.
const NONE: u32 = u32::MAX;

/// A piece of the register's text, kept in [`ParsedRegister::text`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

/// A household read from the register.
#[derive(Clone, Debug, PartialEq)]
struct Household {
    /// The line of its first good row.
    line: usize,
    key: Span,
    /// Empty until a row gives it.
    address: Span,
    /// The village's name, by its position in [`ParsedRegister::villages`].
    village: Option<u32>,
    village_id: Option<i32>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    /// Its residents, a list through [`Resident::next`].
    first: u32,
    last: u32,
    residents: u32,
    /// Left out: its village is unknown, or it has no address.
    left_out: bool,
}

/// A resident read from the register.
#[derive(Clone, Debug, PartialEq)]
struct Resident {
    key: Span,
    name: Span,
    phone: Option<Span>,
    birth_year: Option<i32>,
    presence: Presence,
    country: Option<&'static Country>,
    timezone: Option<&'static str>,
    /// The needs, one bit per position in [`NeedStep::ALL`].
    needs: u32,
    /// The household's next resident.
    next: u32,
}

/// A village named by the register, with the lines that name it.
#[derive(Clone, Debug, PartialEq)]
struct NamedVillage {
    name: Box<str>,
    lines: Vec<usize>,
    id: Option<i32>,
}

/// A register read from a file: the good households, and every bad row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedRegister {
    /// Every problem found, in line order.
    pub errors: Vec<RowError>,
    /// Number of data rows read.
    pub rows: usize,
    /// The text of every key, name, phone and address, one after the other.
    text: String,
    households: Vec<Household>,
    residents: Vec<Resident>,
    /// The villages named on the rows, good or bad, for
    /// [`ParsedRegister::resolve_villages`].
    villages: Vec<NamedVillage>,
    /// The village column's header.
    village_field: String,
}

impl ParsedRegister {
    /// Gives each household the id of its village, which `find` looks up by
    /// name (once per name). A name `find` does not know is an error on
    /// every row that names it, listed with that row's other problems
    /// (`unknown` says what was expected, in Vietnamese and English); a
    /// household in an unknown
    /// village is left out.
    pub fn resolve_villages(
        &mut self,
        find: impl Fn(&str) -> Option<i32>,
        unknown: impl Fn(&str) -> (String, String),
    ) {
        for village in &mut self.villages {
            village.id = find(&village.name);
            if village.id.is_none() {
                let (vi, en) = unknown(&village.name);
                for &line in &village.lines {
                    self.errors.push(RowError::new(
                        line,
                        &self.village_field,
                        vi.clone(),
                        en.clone(),
                    ));
                }
            }
        }
        for household in &mut self.households {
            if let Some(village) = household.village {
                household.village_id = self.villages[village as usize].id;
                household.left_out |= household.village_id.is_none();
            }
        }
        // Stable: a row's problems stay in column order.
        self.errors.sort_by_key(|e| e.line);
    }

    /// The good households, in file order, each with its good rows, as the
    /// store takes them (built one at a time).
    pub fn households(&self) -> impl Iterator<Item = RegisterHousehold> + '_ {
        self.households
            .iter()
            .filter(|h| !h.left_out)
            .map(|h| self.household(h))
    }

    /// How many good households there are.
    pub fn household_count(&self) -> usize {
        self.households.iter().filter(|h| !h.left_out).count()
    }

    /// How many residents the good households have.
    pub fn resident_count(&self) -> usize {
        self.households
            .iter()
            .filter(|h| !h.left_out)
            .map(|h| h.residents as usize)
            .sum()
    }

    fn str(&self, span: Span) -> &str {
        &self.text[span.start as usize..(span.start + span.len) as usize]
    }

    fn household(&self, h: &Household) -> RegisterHousehold {
        let mut residents = Vec::with_capacity(h.residents as usize);
        let mut next = h.first;
        while next != NONE {
            let r = &self.residents[next as usize];
            let abroad = r.presence == Presence::Abroad;
            residents.push(RegisterResident {
                external_id: self.str(r.key).to_owned(),
                full_name: self.str(r.name).to_owned(),
                birth_year: r.birth_year,
                phone: r.phone.map(|p| self.str(p).to_owned()),
                presence: r.presence,
                country: r.country.filter(|_| abroad).map(|c| c.code.to_owned()),
                timezone: r.timezone.filter(|_| abroad).map(str::to_owned),
                needs: NeedStep::ALL
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| r.needs & (1 << i) != 0)
                    .map(|(_, step)| *step)
                    .collect(),
                availability: None,
                done: Vec::new(),
                consent: None,
            });
            next = r.next;
        }
        RegisterHousehold {
            external_id: self.str(h.key).to_owned(),
            address: self.str(h.address).to_owned(),
            village_id: h.village_id,
            latitude: h.latitude,
            longitude: h.longitude,
            residents,
        }
    }

    /// Keeps `value` in the register's text.
    fn keep(&mut self, value: &str) -> Result<Span, Vec<RowError>> {
        let too_large = || {
            vec![file_error(
                0,
                "file",
                "sổ hộ chứa hơn 4 GB chữ; hãy chia thành nhiều tệp",
                "the register holds more than 4 GB of text; split it into several files",
            )]
        };
        let start = u32::try_from(self.text.len()).map_err(|_| too_large())?;
        let len = u32::try_from(value.len()).map_err(|_| too_large())?;
        start.checked_add(len).ok_or_else(too_large)?;
        self.text.push_str(value);
        Ok(Span { start, len })
    }
}

/// What the rows seen so far say of one household key.
#[derive(Default)]
struct KeyState {
    /// The household, once a good row created it.
    household: Option<u32>,
    /// The first value of each [`AGREED`] column and its line (0: none yet).
    seen: [(u32, Span); 4],
}

/// A household with more residents than this looks its residents up in a
/// set rather than walking its list.
const LIST_SEARCHED: u32 = 32;

/// Reads a register held in memory. `current_year` bounds the birth years.
///
/// # Errors
/// The file as a whole cannot be read (not UTF-8, no header, a required
/// column missing); row problems are returned in [`ParsedRegister::errors`].
pub fn parse(bytes: &[u8], current_year: i32) -> Result<ParsedRegister, Vec<RowError>> {
    read(bytes, current_year, |_, _| {})
}

/// How many rows are read between two calls of [`read`]'s `progress`.
pub const PROGRESS_ROWS: usize = 20_000;

/// Reads a register from a stream. `current_year` bounds the birth years;
/// `progress` hears the rows and bytes read so far every
/// [`PROGRESS_ROWS`] rows, and at the end.
///
/// # Errors
/// The file as a whole cannot be read (not UTF-8, no header, a required
/// column missing, the stream fails); row problems are returned in
/// [`ParsedRegister::errors`].
pub fn read(
    mut source: impl Read,
    current_year: i32,
    mut progress: impl FnMut(usize, u64),
) -> Result<ParsedRegister, Vec<RowError>> {
    let unreadable = |e: std::io::Error| {
        vec![file_error(
            1,
            "file",
            &format!("không đọc được tệp: {e}"),
            &format!("cannot read the file: {e}"),
        )]
    };
    // The first bytes: the byte-order mark and the header line.
    let mut head = Vec::with_capacity(HEAD);
    source
        .by_ref()
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(unreadable)?;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(vec![file_error(
            1,
            "encoding",
            "tệp ở dạng UTF-16 (\"Unicode Text\" của Excel); hãy lưu lại dưới dạng \"CSV UTF-8 (Comma delimited)\"",
            "the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8 (Comma delimited)\"",
        )]);
    }
    let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let delimiter = sniff_delimiter(&head[bom..]);
    let mut text = std::io::Cursor::new(head).chain(source);
    if bom > 0 {
        std::io::copy(&mut text.by_ref().take(3), &mut std::io::sink()).map_err(unreadable)?;
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .buffer_capacity(1 << 16)
        .from_reader(LineEnds::new(text));
    let headers = match reader.byte_headers() {
        Ok(headers) => csv::StringRecord::from_byte_record(headers.clone())
            .map_err(|e| vec![not_utf8(e.into_byte_record().as_slice(), 1)])?,
        Err(e) => {
            return Err(vec![file_error(
                1,
                "header",
                &format!("không đọc được dòng tiêu đề: {e}"),
                &format!("cannot read the header row: {e}"),
            )]);
        }
    };
    let columns = map_columns(&headers)?;
    let fields: Vec<String> = Column::ALL
        .iter()
        .map(|c| header_of(&headers, &columns, *c))
        .collect();

    let mut register = ParsedRegister {
        village_field: fields[Column::Village.index()].clone(),
        ..ParsedRegister::default()
    };
    let mut keys: HashMap<Box<str>, KeyState> = HashMap::new();
    let mut village_index: HashMap<Box<str>, u32> = HashMap::new();
    // The residents' keys of the households that have many, by household:
    // a long list is not searched.
    let mut large: HashMap<u32, HashSet<Box<str>>> = HashMap::new();
    let mut words = Words::default();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| reader.get_mut().line_at(p.byte()));
                return Err(vec![file_error(
                    line,
                    "row",
                    &format!("không đọc được dòng này: {e}"),
                    &format!("cannot read the row: {e}"),
                )]);
            }
        }
        let position = record.position().map_or(0, csv::Position::byte);
        let line = reader.get_mut().line_at(position);
        let row = match csv::StringRecord::from_byte_record(std::mem::take(&mut record)) {
            Ok(row) => row,
            Err(e) => return Err(vec![not_utf8(e.into_byte_record().as_slice(), line)]),
        };
        if row.iter().all(|cell| cell.trim().is_empty()) {
            record = row.into_byte_record();
            continue;
        }
        register.rows += 1;
        if register.rows.is_multiple_of(PROGRESS_ROWS) {
            progress(register.rows, position);
        }
        let cell = |column: Column| -> Option<&str> {
            columns[column.index()]
                .and_then(|i| row.get(i))
                .map(|v| crate::export::from_spreadsheet(v.trim()).trim())
                .filter(|v| !v.is_empty())
        };
        let mut errors = Vec::new();
        let mut error = |column: Column, vi: String, en: String| {
            errors.push(RowError::new(line, &fields[column.index()], vi, en));
        };
        let parsed = read_row(&cell, current_year, &mut words, &mut error);
        if let Some(name) = cell(Column::Village) {
            let index = match village_index.get(name) {
                Some(index) => *index,
                None => {
                    let index = u32::try_from(register.villages.len()).unwrap_or(u32::MAX);
                    village_index.insert(name.into(), index);
                    register.villages.push(NamedVillage {
                        name: name.into(),
                        lines: Vec::new(),
                        id: None,
                    });
                    index
                }
            };
            register.villages[index as usize].lines.push(line);
        }
        let key = cell(Column::HouseholdKey).unwrap_or_default();

        // Household fields must agree between the rows of one household.
        let mut row_spans: [Option<Span>; 4] = [None; 4];
        if !key.is_empty() {
            if !keys.contains_key(key) {
                keys.insert(key.into(), KeyState::default());
            }
            let state = keys.get_mut(key).expect("the key was just added");
            for (i, column) in AGREED.into_iter().enumerate() {
                let Some(value) = cell(column) else { continue };
                let (other, previous) = state.seen[i];
                if other == 0 {
                    let span = register.keep(value)?;
                    state.seen[i] = (u32::try_from(line).unwrap_or(u32::MAX), span);
                    row_spans[i] = Some(span);
                } else if register.str(previous) != value {
                    let first = register.str(previous);
                    error(
                        column,
                        format!(
                            "hộ {key} ghi \"{first}\" ở dòng {other}; mọi dòng của một hộ phải ghi giống nhau"
                        ),
                        format!(
                            "household {key} has \"{first}\" here on line {other}; every row of one household must agree"
                        ),
                    );
                }
            }
        }
        if let (Some(parsed), true) = (parsed, errors.is_empty()) {
            let state = keys.get_mut(key).expect("a good row has a household key");
            let index = match state.household {
                Some(index) => index,
                None => {
                    let key = register.keep(key)?;
                    let index = u32::try_from(register.households.len()).unwrap_or(u32::MAX);
                    register.households.push(Household {
                        line,
                        key,
                        address: Span::default(),
                        village: None,
                        village_id: None,
                        latitude: None,
                        longitude: None,
                        first: NONE,
                        last: NONE,
                        residents: 0,
                        left_out: false,
                    });
                    state.household = Some(index);
                    index
                }
            };
            if is_listed(&register, &large, index, parsed.resident_key) {
                let resident = parsed.resident_key;
                errors.push(RowError::new(
                    line,
                    &fields[Column::ResidentKey.index()],
                    format!(
                        "nhân khẩu {resident} có hai dòng trong hộ {key}; mỗi người chỉ ghi một dòng"
                    ),
                    format!(
                        "resident {resident} appears twice in household {key}; each resident needs one row"
                    ),
                ));
            } else {
                let resident = Resident {
                    key: register.keep(parsed.resident_key)?,
                    name: register.keep(parsed.full_name)?,
                    phone: match &parsed.phone {
                        Some(phone) => Some(register.keep(phone)?),
                        None => None,
                    },
                    birth_year: parsed.birth_year,
                    presence: parsed.presence,
                    country: parsed.country,
                    timezone: parsed.timezone,
                    needs: parsed.needs,
                    next: NONE,
                };
                let id = u32::try_from(register.residents.len()).map_err(|_| {
                    vec![file_error(
                        line,
                        "row",
                        "sổ hộ có hơn 4 tỷ dòng; hãy chia nhỏ",
                        "the register has more than 4 billion rows; split it",
                    )]
                })?;
                register.residents.push(resident);
                if let (0, Some(address)) = (
                    register.households[index as usize].address.len,
                    parsed.address,
                ) {
                    // The first address seen is this row's when the
                    // agreement check kept it.
                    let span = match row_spans[0] {
                        Some(span) => span,
                        None => register.keep(address)?,
                    };
                    register.households[index as usize].address = span;
                }
                let household = &mut register.households[index as usize];
                household.latitude = household.latitude.or(parsed.location.map(|l| l.0));
                household.longitude = household.longitude.or(parsed.location.map(|l| l.1));
                if household.village.is_none() {
                    household.village = parsed
                        .village
                        .and_then(|name| village_index.get(name).copied());
                }
                if household.last == NONE {
                    household.first = id;
                } else {
                    let last = household.last as usize;
                    register.residents[last].next = id;
                }
                let household = &mut register.households[index as usize];
                household.last = id;
                household.residents += 1;
                let count = household.residents;
                if count == LIST_SEARCHED {
                    let mut listed = HashSet::new();
                    let mut next = register.households[index as usize].first;
                    while next != NONE {
                        let r = &register.residents[next as usize];
                        listed.insert(register.str(r.key).into());
                        next = r.next;
                    }
                    large.insert(index, listed);
                } else if let Some(listed) = large.get_mut(&index) {
                    listed.insert(parsed.resident_key.into());
                }
            }
        }
        register.errors.extend(errors);
        record = row.into_byte_record();
    }
    progress(register.rows, reader.position().byte());
    drop((keys, large));
    for household in &mut register.households {
        if household.residents == 0 {
            household.left_out = true;
        } else if household.address.len == 0 {
            // Every row of it left the address out: the household is not
            // imported, and its first row says why.
            household.left_out = true;
            let key = &register.text
                [household.key.start as usize..(household.key.start + household.key.len) as usize];
            register.errors.push(RowError::new(
                household.line,
                Column::Address.header(),
                format!("hộ {key} không có địa chỉ ở dòng nào"),
                format!("household {key} has no address on any row"),
            ));
        }
    }
    register.errors.sort_by_key(|e| e.line);
    if register.rows == 0 && register.errors.is_empty() {
        return Err(vec![file_error(
            2,
            "row",
            "sổ hộ có dòng tiêu đề nhưng không có dòng nào bên dưới",
            "the register has a header but no rows",
        )]);
    }
    Ok(register)
}

/// Bytes read ahead for the byte-order mark and the header line.
const HEAD: usize = 1 << 16;

/// Whether the household already lists a resident of this key.
fn is_listed(
    register: &ParsedRegister,
    large: &HashMap<u32, HashSet<Box<str>>>,
    household: u32,
    key: &str,
) -> bool {
    if let Some(listed) = large.get(&household) {
        return listed.contains(key);
    }
    let mut next = register.households[household as usize].first;
    while next != NONE {
        let r = &register.residents[next as usize];
        if register.str(r.key) == key {
            return true;
        }
        next = r.next;
    }
    false
}

/// The encoding problem of a row (its cells' bytes, one after the
/// other) that is not UTF-8; `line` is the row's first.
fn not_utf8(bytes: &[u8], line: usize) -> RowError {
    let at = std::str::from_utf8(bytes)
        .err()
        .map_or(0, |e| e.valid_up_to());
    let before = &bytes[..at];
    let line = line
        + before.iter().filter(|b| **b == b'\n').count()
        + before
            .windows(2)
            .filter(|w| w[0] == b'\r' && w[1] != b'\n')
            .count();
    let byte = bytes.get(at).copied().unwrap_or_default();
    file_error(
        line,
        "encoding",
        &format!(
            "byte 0x{byte:02X} không phải UTF-8 (tệp có thể ở bảng mã Windows-1258 hoặc TCVN3); hãy lưu lại dưới dạng \"CSV UTF-8 (Comma delimited)\""
        ),
        &format!(
            "byte 0x{byte:02X} is not UTF-8 (the file may be in Windows-1258 or TCVN3); save it as \"CSV UTF-8 (Comma delimited)\""
        ),
    )
}

/// The words of the register's closed vocabularies as they were written,
/// each read once: a register of a million rows names a handful of
/// presences, countries, zones and needs, and reading one folds its
/// diacritics.
#[derive(Default)]
struct Words {
    presences: HashMap<Box<str>, Option<Presence>>,
    countries: HashMap<Box<str>, Option<&'static Country>>,
    zones: HashMap<Box<str>, Option<&'static str>>,
    needs: HashMap<Box<str>, Option<NeedStep>>,
}

/// At most this many spellings of each vocabulary are remembered.
const WORDS_KEPT: usize = 1_024;

/// `read(text)`, remembered in `known`.
fn remembered<T: Copy>(
    known: &mut HashMap<Box<str>, T>,
    text: &str,
    read: impl FnOnce(&str) -> T,
) -> T {
    if let Some(value) = known.get(text) {
        return *value;
    }
    let value = read(text);
    if known.len() < WORDS_KEPT {
        known.insert(text.into(), value);
    }
    value
}

/// A good row, its text borrowed from the file.
struct Row<'a> {
    address: Option<&'a str>,
    village: Option<&'a str>,
    location: Option<(f64, f64)>,
    resident_key: &'a str,
    full_name: &'a str,
    birth_year: Option<i32>,
    phone: Option<String>,
    presence: Presence,
    country: Option<&'static Country>,
    timezone: Option<&'static str>,
    /// One bit per position in [`NeedStep::ALL`].
    needs: u32,
}

fn read_row<'a>(
    cell: &dyn Fn(Column) -> Option<&'a str>,
    current_year: i32,
    words: &mut Words,
    error: &mut dyn FnMut(Column, String, String),
) -> Option<Row<'a>> {
    let mut ok = true;
    let mut required = |column: Column, error: &mut dyn FnMut(Column, String, String)| -> &'a str {
        match cell(column) {
            Some(value) => value,
            None => {
                ok = false;
                error(
                    column,
                    "đang trống; cột này bắt buộc".to_string(),
                    "is empty; this column is required".to_string(),
                );
                ""
            }
        }
    };
    let _key = required(Column::HouseholdKey, error);
    let external_id = required(Column::ResidentKey, error);
    let full_name = required(Column::FullName, error);
    let bad = |column: Column,
               (vi, en): (String, String),
               error: &mut dyn FnMut(Column, String, String)| {
        error(column, vi, en);
        false
    };
    // The same bounds as the API's: no endless text, no control character
    // but the line breaks a spreadsheet's cell may hold.
    for (column, max) in [
        (Column::HouseholdKey, 64),
        (Column::ResidentKey, 64),
        (Column::FullName, 120),
        (Column::Address, 300),
        (Column::Village, 120),
    ] {
        if let Some(problem) =
            cell(column).and_then(|value| crate::error::text_error("", value, max, true))
        {
            ok &= bad(column, (problem.message_vi, problem.message_en), error);
        }
    }

    let birth_year = match cell(Column::BirthYear) {
        None => None,
        Some(text) => match text.trim_end_matches(".0").parse::<i32>() {
            Ok(year) if (1900..=current_year).contains(&year) => Some(year),
            _ => {
                ok &= bad(
                    Column::BirthYear,
                    (
                        format!("\"{text}\" không phải năm sinh từ 1900 đến {current_year}"),
                        format!("\"{text}\" is not a year between 1900 and {current_year}"),
                    ),
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
                    (
                        format!(
                            "\"{text}\" không phải số điện thoại Việt Nam như 0912345678 hoặc +84912345678"
                        ),
                        format!(
                            "\"{text}\" is not a Vietnamese phone number such as 0912345678 or +84912345678"
                        ),
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
                (
                    format!(
                        "\"{text}\" không phải vĩ độ (từ -90 đến 90 độ), ví dụ 19,3712 hoặc 19.3712"
                    ),
                    format!(
                        "\"{text}\" is not a latitude in degrees (-90 to 90), such as 19,3712 or 19.3712"
                    ),
                ),
                error,
            );
            None
        }
        (_, Err(text)) => {
            ok &= bad(
                Column::Longitude,
                (
                    format!(
                        "\"{text}\" không phải kinh độ (từ -180 đến 180 độ), ví dụ 105,7981 hoặc 105.7981"
                    ),
                    format!(
                        "\"{text}\" is not a longitude in degrees (-180 to 180), such as 105,7981 or 105.7981"
                    ),
                ),
                error,
            );
            None
        }
        (Ok(None), Ok(Some(_))) => {
            ok &= bad(
                Column::Latitude,
                (
                    "đang trống nhưng có kinh độ; ghi cả hai hoặc bỏ trống cả hai".into(),
                    "is empty but the longitude is given; give both or neither".into(),
                ),
                error,
            );
            None
        }
        (Ok(Some(_)), Ok(None)) => {
            ok &= bad(
                Column::Longitude,
                (
                    "đang trống nhưng có vĩ độ; ghi cả hai hoặc bỏ trống cả hai".into(),
                    "is empty but the latitude is given; give both or neither".into(),
                ),
                error,
            );
            None
        }
    };
    let presence = match cell(Column::Presence) {
        None => Presence::Home,
        Some(text) => remembered(&mut words.presences, text, Presence::parse).unwrap_or_else(|| {
            ok &= bad(
                Column::Presence,
                (
                    format!(
                        "\"{text}\" không phải hiện trạng; cần một trong: ở nhà, đi biển, làm ăn xa, ở nước ngoài ({})",
                        Presence::codes()
                    ),
                    format!(
                        "\"{text}\" is not a presence; expected one of: ở nhà, đi biển, làm ăn xa, ở nước ngoài ({})",
                        Presence::codes()
                    ),
                ),
                error,
            );
            Presence::Home
        }),
    };
    let country = match cell(Column::Country) {
        None => None,
        Some(text) => match remembered(&mut words.countries, text, find_country) {
            Some(country) if country.code == "VN" => None,
            Some(country) => Some(country),
            None => {
                ok &= bad(
                    Column::Country,
                    (
                        format!(
                            "\"{text}\" không phải quốc gia đã biết; cần mã ISO như KR, JP, TW hoặc tên như Hàn Quốc"
                        ),
                        format!(
                            "\"{text}\" is not a known country; expected an ISO code such as KR, JP, TW or a name such as Hàn Quốc"
                        ),
                    ),
                    error,
                );
                None
            }
        },
    };
    let timezone = match cell(Column::Timezone) {
        Some(text) => match remembered(&mut words.zones, text, |text| {
            text.parse::<chrono_tz::Tz>().ok().map(|zone| zone.name())
        }) {
            Some(zone) => Some(zone),
            None => {
                ok &= bad(
                    Column::Timezone,
                    (
                        format!(
                            "\"{text}\" không phải múi giờ IANA như Asia/Seoul hoặc Europe/Berlin"
                        ),
                        format!(
                            "\"{text}\" is not an IANA time zone such as Asia/Seoul or Europe/Berlin"
                        ),
                    ),
                    error,
                );
                None
            }
        },
        None => country.and_then(|c| c.default_timezone),
    };
    if presence == Presence::Abroad && country.is_none() && ok {
        ok &= bad(
            Column::Country,
            (
                "đang trống nhưng người này ở nước ngoài; ghi quốc gia (KR, JP, …)".into(),
                "is empty but the resident is abroad; give the country (KR, JP, …)".into(),
            ),
            error,
        );
    }
    if presence == Presence::Abroad && timezone.is_none() && country.is_some() && ok {
        ok &= bad(
            Column::Timezone,
            (
                format!(
                    "đang trống mà {} có nhiều múi giờ; ghi một múi giờ, ví dụ America/Los_Angeles",
                    country.map_or("", |c| c.name_vi)
                ),
                format!(
                    "is empty and {} spans several time zones; give one, such as America/Los_Angeles",
                    country.map_or("", |c| c.name_en)
                ),
            ),
            error,
        );
    }
    if presence != Presence::Abroad && country.is_some() && ok {
        ok &= bad(
            Column::Country,
            (
                format!(
                    "có ghi quốc gia nhưng hiện trạng là \"{}\"; đổi hiện trạng thành \"ở nước ngoài\" hoặc bỏ trống quốc gia",
                    presence.label_vi()
                ),
                format!(
                    "is given but the presence is \"{}\"; set the presence to \"ở nước ngoài\" or leave the country empty",
                    presence.label_vi()
                ),
            ),
            error,
        );
    }
    let mut needs = 0_u32;
    for token in cell(Column::Needs)
        .unwrap_or_default()
        .split([';', ',', '|', '+'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        match remembered(&mut words.needs, token, NeedStep::parse) {
            Some(step) => {
                let bit = NeedStep::ALL.iter().position(|s| *s == step).unwrap_or(0);
                needs |= 1 << bit;
            }
            None => {
                ok &= bad(
                    Column::Needs,
                    (
                        format!(
                            "\"{token}\" không phải nhu cầu; cần một số trong: {} (hoặc tên tiếng Việt như \"Cài đặt VNeID\")",
                            NeedStep::codes()
                        ),
                        format!(
                            "\"{token}\" is not a need; expected some of: {}",
                            NeedStep::codes()
                        ),
                    ),
                    error,
                );
            }
        }
    }
    ok.then(|| Row {
        address: cell(Column::Address),
        village: cell(Column::Village),
        location,
        resident_key: external_id,
        full_name,
        birth_year,
        phone,
        presence,
        country,
        timezone,
        needs,
    })
}

/// Passes the register's bytes on to the CSV reader and notes where lines
/// end, so that a record's byte offset gives its 1-based line. The csv
/// crate's own line numbers fall one short in files with CRLF line ends, so
/// lines are counted here: "\r\n", "\n" and a lone "\r" each end one,
/// inside quoted cells too. Only the line ends the reader has read past
/// and no record has reached yet are held.
struct LineEnds<R> {
    inner: R,
    /// Bytes passed on so far.
    offset: u64,
    /// The line ends not counted yet: where each starts, and its length.
    ends: VecDeque<(u64, u64)>,
    /// Whether the last byte passed on was a "\r".
    after_cr: bool,
    /// The line at the last offset asked for.
    line: usize,
}

impl<R: Read> LineEnds<R> {
    fn new(inner: R) -> LineEnds<R> {
        LineEnds {
            inner,
            offset: 0,
            ends: VecDeque::new(),
            after_cr: false,
            line: 1,
        }
    }

    /// The line at a record's offset. Offsets come in file order. A
    /// record's offset is where the blank lines before it begin; no record
    /// starts with a line end, so they are skipped.
    fn line_at(&mut self, offset: u64) -> usize {
        let mut at = offset;
        while let Some(&(start, len)) = self.ends.front() {
            if start > at {
                break;
            }
            self.line += 1;
            self.ends.pop_front();
            // An offset at (or inside) a line end is a blank line's: past it.
            at = at.max(start + len);
        }
        self.line
    }
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, byte) in buf[..n].iter().enumerate() {
            let at = self.offset + i as u64;
            match byte {
                b'\n' if self.after_cr => {
                    // The "\n" of a "\r\n": one line end with its "\r".
                    if let Some(last) = self.ends.back_mut().filter(|e| e.0 + 1 == at) {
                        last.1 = 2;
                    }
                }
                b'\n' | b'\r' => self.ends.push_back((at, 1)),
                _ => {}
            }
            self.after_cr = *byte == b'\r';
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// The delimiter that splits the header line into the most fields.
fn sniff_delimiter(text: &[u8]) -> u8 {
    let header = text.split(|b| *b == b'\n').next().unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| header.iter().filter(|b| *b == d).count())
        .unwrap_or(b',')
}

/// Where each column is (by its position in [`Column::ALL`]).
type Columns = [Option<usize>; 13];

fn map_columns(headers: &csv::StringRecord) -> Result<Columns, Vec<RowError>> {
    let mut columns = BTreeMap::new();
    let mut errors = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        let Some(column) = Column::ALL.into_iter().find(|c| c.matches(header)) else {
            continue;
        };
        if let Some(previous) = columns.insert(column, index) {
            let (a, b, name) = (previous + 1, index + 1, column.header());
            errors.push(file_error(
                1,
                header,
                &format!("cột {a} và cột {b} đều là \"{name}\"; chỉ giữ một cột"),
                &format!("column {a} and column {b} both hold \"{name}\"; keep one"),
            ));
        }
    }
    for column in Column::ALL
        .into_iter()
        .filter(|c| c.required() && !columns.contains_key(c))
    {
        let (name, alias) = (column.header(), column.aliases()[0]);
        errors.push(file_error(
            1,
            name,
            &format!("thiếu cột này; dòng tiêu đề phải có cột \"{name}\" (hoặc \"{alias}\")"),
            &format!(
                "the column is missing; the header row must name it \"{name}\" (or \"{alias}\")"
            ),
        ));
    }
    if errors.is_empty() {
        let mut found = [None; 13];
        for (column, index) in columns {
            found[column.index()] = Some(index);
        }
        Ok(found)
    } else {
        Err(errors)
    }
}

fn header_of(headers: &csv::StringRecord, columns: &Columns, column: Column) -> String {
    columns[column.index()]
        .and_then(|i| headers.get(i))
        .map_or_else(|| column.header().to_string(), |h| h.trim().to_string())
}

fn file_error(line: usize, field: &str, vi: &str, en: &str) -> RowError {
    RowError::new(line, field, vi.to_owned(), en.to_owned())
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
        let households: Vec<RegisterHousehold> = register.households().collect();
        assert_eq!(households.len(), 1);
        let household = &households[0];
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
        let household = register.households().next().unwrap();
        assert_eq!(household.longitude, Some(105.7));
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
        assert_eq!(register.household_count(), 0);
        assert_eq!(
            register.errors[0].message_vi,
            "\"1850\" không phải năm sinh từ 1900 đến 2026"
        );
        assert_eq!(
            register.errors[0].message_en,
            "\"1850\" is not a year between 1900 and 2026"
        );
        assert_eq!(register.errors[0].column(), Some("Năm sinh"));
    }

    #[test]
    fn missing_columns_and_bad_encoding_refuse_the_file() {
        let errors = parse(b"Ma ho,Ho va ten\nH1,A\n", 2026).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].message_en.contains("Mã nhân khẩu"));
        let errors = parse(b"M\xe3 h\xf4,x\n", 2026).unwrap_err();
        assert!(errors[0].message_en.contains("not UTF-8"), "{errors:?}");
        assert!(
            errors[0].message_vi.contains("không phải UTF-8"),
            "{errors:?}"
        );
        assert_eq!(errors[0].column(), None);
    }

    #[test]
    fn households_must_agree_between_rows() {
        let csv = format!(
            "{HEADER}\nH1,1,A,,,Đường 1,,,,,,,\nH1,2,B,,,Đường 2,,,,,,,\nH1,1,C,,,,,,,,,,\n"
        );
        let register = parse(csv.as_bytes(), 2026).unwrap();
        assert_eq!(register.errors.len(), 2, "{:?}", register.errors);
        assert!(register.errors[0].message_en.contains("line 2"));
        assert!(register.errors[1].message_en.contains("appears twice"));
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
            assert!(found[1].message_en.contains("here on line 2"), "{name}");
            assert!(found[3].message_en.contains("here on line 8"), "{name}");
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
            |name| {
                (
                    format!("\"{name}\" không phải thôn của tổ"),
                    format!("\"{name}\" is not a village of this team"),
                )
            },
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
        assert!(register.errors[2].message_en.contains("Thôn Nam Hải"));
        let households: Vec<RegisterHousehold> = register.households().collect();
        assert_eq!(households.len(), 1);
        assert_eq!(households[0].village_id, Some(7));
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

    /// Gives its bytes `step` at a time, as a slow stream does.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_stream_read_in_pieces_reports_the_same_lines() {
        for (row_end, cell_break) in [("\n", "\n"), ("\r\n", "\r\n"), ("\r\n", "\n"), ("\r", "\r")]
        {
            // Past the first 64 KB, the stream is read a few bytes at a
            // time: line ends fall across reads.
            let csv = format!("\u{feff}{HEADER}\n{}", MULTILINE.repeat(1_000))
                .replace('\n', row_end)
                .replace('¶', cell_break);
            let whole = parse(csv.as_bytes(), 2026).unwrap();
            assert!(csv.len() > 2 * HEAD && whole.errors.len() > 1_000);
            assert!(whole.errors.last().unwrap().line > 9 * 999);
            for step in [1, 2, 3, 7] {
                let mut told = Vec::new();
                let streamed = read(
                    Trickle {
                        bytes: csv.as_bytes(),
                        step,
                    },
                    2026,
                    |rows, bytes| told.push((rows, bytes)),
                )
                .unwrap();
                assert_eq!(streamed, whole, "{row_end:?} {cell_break:?} by {step}");
                assert_eq!(told.last(), Some(&(6 * 1_000, csv.len() as u64 - 3)));
            }
        }
    }

    #[test]
    fn a_large_household_finds_a_resident_given_twice() {
        let mut csv = format!("{HEADER}\n");
        for r in 1..=40 {
            csv.push_str(&format!("H1,{r},Người {r},,,Đường 1,,,,,,,\n"));
        }
        csv.push_str("H1,35,Người khác,,,,,,,,,,\n");
        let register = parse(csv.as_bytes(), 2026).unwrap();
        let found: Vec<(usize, &str)> = register
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(found, [(42, "Mã nhân khẩu")]);
        assert_eq!(register.resident_count(), 40);
    }

    #[test]
    fn a_household_without_an_address_is_left_out() {
        let csv =
            format!("{HEADER}\nH1,1,A,,,,,,,,,,\nH1,2,B,,,,,,,,,,\nH2,1,C,,,Đường 2,,,,,,,\n");
        let register = parse(csv.as_bytes(), 2026).unwrap();
        let found: Vec<(usize, &str)> = register
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(found, [(2, "Địa chỉ")]);
        let households: Vec<RegisterHousehold> = register.households().collect();
        assert_eq!(households.len(), 1);
        assert_eq!(households[0].external_id, "H2");
        assert_eq!(register.household_count(), 1);
        assert_eq!(register.resident_count(), 1);
    }

    #[test]
    fn residents_keep_their_file_order_when_households_interleave() {
        let csv = format!(
            "{HEADER}\nH1,1,A,,,Đường 1,,,,,,,e_payment\nH2,1,B,,,Đường 2,,,,,,,\nH1,3,C,,,,,,,,,,documents; vneid_install\nH1,2,D,,,,,,,,,,\n"
        );
        let register = parse(csv.as_bytes(), 2026).unwrap();
        let households: Vec<RegisterHousehold> = register.households().collect();
        let keys: Vec<(&str, Vec<&str>)> = households
            .iter()
            .map(|h| {
                (
                    h.external_id.as_str(),
                    h.residents.iter().map(|r| r.external_id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(keys, [("H1", vec!["1", "3", "2"]), ("H2", vec!["1"])]);
        assert_eq!(
            households[0].residents[1].needs,
            [NeedStep::VneidInstall, NeedStep::Documents]
        );
    }
}
