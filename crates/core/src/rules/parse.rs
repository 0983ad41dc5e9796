//! Reading rules from JSON with a walker of our own, so that every problem is
//! reported at once with its path, and writing them back.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, Weekday};
use chrono_tz::Tz;
use doorstep_lunar::{LunarMonthDay, Phase};
use doorstep_tide::{Catalog, ExtremeKind};
use serde_json::{Map, Value, json};

use super::{AroundMoon, Blackout, Hours, RULE_VERSION, Rule, Term, TideCondition, TideLevel};
use crate::domain::VisitMode;

/// What a rule is checked against: the tide stations that exist.
#[derive(Debug, Clone, Default)]
pub struct RuleContext {
    stations: BTreeSet<String>,
}

impl RuleContext {
    /// A context knowing these station ids.
    pub fn with_stations<S: AsRef<str>>(ids: impl IntoIterator<Item = S>) -> RuleContext {
        RuleContext {
            stations: ids.into_iter().map(|s| s.as_ref().to_owned()).collect(),
        }
    }

    /// A context knowing the stations of a catalog.
    pub fn from_catalog(catalog: &Catalog) -> RuleContext {
        RuleContext::with_stations(catalog.stations().iter().map(|s| s.id()))
    }

    fn known(&self) -> String {
        if self.stations.is_empty() {
            "(không có trạm nào / there is none)".to_owned()
        } else {
            self.stations.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    }
}

/// One problem of a rule: where (a JSON path such as `when[0].hours[1]`) and
/// what was expected, in English and Vietnamese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RuleError {
    /// The JSON path of the value, `(root)` for the rule itself.
    pub path: String,
    /// What is wrong and what was expected, in English.
    pub message: String,
    /// The same in Vietnamese.
    pub message_vi: String,
}

impl RuleError {
    fn new(path: &str, vi: impl Into<String>, en: impl Into<String>) -> RuleError {
        RuleError {
            path: if path.is_empty() {
                "(root)".to_owned()
            } else {
                path.to_owned()
            },
            message: en.into(),
            message_vi: vi.into(),
        }
    }

    /// The path and the message in Vietnamese, then in English:
    /// `when[0].hours[1]: cần giờ HH:MM, nhận "25:00" / expected HH:MM, got "25:00"`.
    pub fn bilingual(&self) -> String {
        format!("{}: {} / {}", self.path, self.message_vi, self.message)
    }
}

/// Checks a stored rule (JSON text) before it is saved.
///
/// # Errors
/// Every problem of the rule, each with its path.
pub fn validate_rule_json(text: &str, known_stations: &[&str]) -> Result<(), Vec<RuleError>> {
    let value = json_text(text)?;
    Rule::parse(&value, &RuleContext::with_stations(known_stations)).map(|_| ())
}

/// Checks a stored blackout period (JSON text) before it is saved.
///
/// # Errors
/// Every problem of the blackout, each with its path.
pub fn validate_blackout_json(text: &str, known_stations: &[&str]) -> Result<(), Vec<RuleError>> {
    let value = json_text(text)?;
    Blackout::parse(&value, &RuleContext::with_stations(known_stations)).map(|_| ())
}

fn json_text(text: &str) -> Result<Value, Vec<RuleError>> {
    serde_json::from_str(text).map_err(|e| {
        vec![RuleError::new(
            "",
            format!(
                "không phải JSON hợp lệ (dòng {}, cột {}): {e}",
                e.line(),
                e.column()
            ),
            format!(
                "not valid JSON (line {}, column {}): {e}; expected a rule object",
                e.line(),
                e.column()
            ),
        )]
    })
}

impl Rule {
    /// Reads a rule.
    ///
    /// # Errors
    /// Every problem at once: unknown keys, values of the wrong type or
    /// form, unknown zones and stations, lunar days outside 1–30, empty or
    /// inverted ranges, an unsupported version.
    pub fn parse(value: &Value, ctx: &RuleContext) -> Result<Rule, Vec<RuleError>> {
        let mut w = Walker {
            ctx,
            errors: Vec::new(),
        };
        let rule = w.rule(value);
        match rule {
            Some(rule) if w.errors.is_empty() => Ok(rule),
            _ => Err(w.errors),
        }
    }

    /// The rule as JSON, in the form [`Rule::parse`] reads.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("version".into(), json!(self.version));
        m.insert("mode".into(), json!(self.mode.code()));
        m.insert(
            "when".into(),
            Value::Array(self.when.iter().map(Term::to_json).collect()),
        );
        if !self.except.is_empty() {
            m.insert(
                "except".into(),
                Value::Array(self.except.iter().map(Term::to_json).collect()),
            );
        }
        Value::Object(m)
    }
}

impl Blackout {
    /// Reads a blackout: a term with a required `label` and an optional
    /// `mode` (`{"label": "bão số 3", "dates": ["2026-09-05", "2026-09-07"]}`).
    ///
    /// # Errors
    /// Every problem at once, as [`Rule::parse`].
    pub fn parse(value: &Value, ctx: &RuleContext) -> Result<Blackout, Vec<RuleError>> {
        let mut w = Walker {
            ctx,
            errors: Vec::new(),
        };
        let blackout = w.blackout(value);
        match blackout {
            Some(b) if w.errors.is_empty() => Ok(b),
            _ => Err(w.errors),
        }
    }

    /// The blackout as JSON.
    pub fn to_json(&self) -> Value {
        let Value::Object(mut m) = self.term.to_json() else {
            unreachable!("a term is an object")
        };
        m.insert("label".into(), json!(self.label));
        if let Some(mode) = self.mode {
            m.insert("mode".into(), json!(mode.code()));
        }
        Value::Object(m)
    }
}

impl Term {
    /// The term as JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some((a, b)) = self.lunar_days {
            m.insert("lunar_days".into(), json!([a, b]));
        }
        if let Some((a, b)) = self.lunar_dates {
            m.insert(
                "lunar_dates".into(),
                json!([month_day_text(a), month_day_text(b)]),
            );
        }
        if let Some(am) = self.around_moon {
            m.insert(
                "around_moon".into(),
                json!({"phase": am.phase.as_str(), "days_before": am.days_before, "days_after": am.days_after}),
            );
        }
        if let Some((a, b)) = self.dates {
            m.insert(
                "dates".into(),
                json!([
                    a.format("%Y-%m-%d").to_string(),
                    b.format("%Y-%m-%d").to_string()
                ]),
            );
        }
        if let Some(days) = &self.weekdays {
            m.insert(
                "weekdays".into(),
                Value::Array(days.iter().map(|d| json!(weekday_code(*d))).collect()),
            );
        }
        if let Some(h) = self.hours {
            m.insert(
                "hours".into(),
                json!([clock_text(h.start()), clock_text(h.end())]),
            );
        }
        if let Some((a, b)) = self.between {
            m.insert(
                "between".into(),
                json!([
                    a.format("%Y-%m-%dT%H:%M").to_string(),
                    b.format("%Y-%m-%dT%H:%M").to_string()
                ]),
            );
        }
        if let Some(t) = &self.tide {
            let mut o = Map::new();
            o.insert("station".into(), json!(t.station));
            match t.level {
                TideLevel::Above(x) => {
                    o.insert("above_m".into(), json!(x));
                }
                TideLevel::Below(x) => {
                    o.insert("below_m".into(), json!(x));
                }
                TideLevel::Near {
                    kind,
                    within_minutes,
                } => {
                    o.insert("near".into(), json!(kind.as_str()));
                    o.insert("within_minutes".into(), json!(within_minutes));
                }
            }
            m.insert("tide".into(), Value::Object(o));
        }
        if let Some(tz) = self.timezone {
            m.insert("timezone".into(), json!(tz.name()));
        }
        if let Some(label) = &self.label {
            m.insert("label".into(), json!(label));
        }
        Value::Object(m)
    }
}

pub(crate) fn month_day_text(md: LunarMonthDay) -> String {
    format!("{:02}-{:02}", md.month, md.day)
}

/// `HH:MM` of minutes after midnight (1440 is `24:00`).
pub(crate) fn clock_text(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

pub(crate) fn weekday_code(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

const RULE_KEYS: &[&str] = &["version", "mode", "when", "except"];
const TERM_KEYS: &[&str] = &[
    "lunar_days",
    "lunar_dates",
    "around_moon",
    "dates",
    "weekdays",
    "hours",
    "between",
    "tide",
    "timezone",
    "label",
];

/// A JSON value shown in a message, shortened.
fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

/// A JSON path, built without allocating and written out only for an error.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, key) => f.write_str(key),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

fn field<'a>(path: &'a Path<'a>, key: &'a str) -> Path<'a> {
    Path::Key(path, key)
}

fn index<'a>(path: &'a Path<'a>, i: usize) -> Path<'a> {
    Path::Index(path, i)
}

struct Walker<'a> {
    ctx: &'a RuleContext,
    errors: Vec<RuleError>,
}

impl Walker<'_> {
    fn fail(&mut self, path: &Path<'_>, vi: impl Into<String>, en: impl Into<String>) {
        self.errors.push(RuleError::new(&path.to_string(), vi, en));
    }

    /// The object at `path`, its unknown keys reported.
    fn object<'v>(
        &mut self,
        path: &Path<'_>,
        v: &'v Value,
        keys: &[&str],
        what_vi: &str,
        what_en: &str,
    ) -> Option<&'v Map<String, Value>> {
        let Some(map) = v.as_object() else {
            self.fail(
                path,
                format!("cần {what_vi} (một đối tượng JSON), nhận {}", shown(v)),
                format!("expected {what_en} (a JSON object), got {}", shown(v)),
            );
            return None;
        };
        for key in map.keys() {
            if !keys.contains(&key.as_str()) {
                self.fail(
                    &field(path, key),
                    format!("khóa không hợp lệ; các khóa được dùng: {}", keys.join(", ")),
                    format!("unknown key; expected one of {}", keys.join(", ")),
                );
            }
        }
        Some(map)
    }

    fn rule(&mut self, v: &Value) -> Option<Rule> {
        let map = self.object(&Path::Root, v, RULE_KEYS, "một quy tắc", "a rule")?;
        let version = match map.get("version") {
            None => Some(RULE_VERSION),
            Some(x) => match x.as_u64() {
                Some(n) if n == u64::from(RULE_VERSION) => Some(RULE_VERSION),
                _ => {
                    self.fail(
                        &field(&Path::Root, "version"),
                        format!(
                            "phiên bản không được hỗ trợ, cần {RULE_VERSION}, nhận {}",
                            shown(x)
                        ),
                        format!(
                            "unsupported version; expected {RULE_VERSION}, got {}",
                            shown(x)
                        ),
                    );
                    None
                }
            },
        };
        let mode = match map.get("mode") {
            None => Some(VisitMode::InPerson),
            Some(x) => self.mode(&field(&Path::Root, "mode"), x),
        };
        let when = match map.get("when") {
            None => {
                self.fail(
                    &field(&Path::Root, "when"),
                    "thiếu; cần một danh sách điều kiện (ít nhất một)",
                    "missing; expected a list of at least one term",
                );
                None
            }
            Some(x) => self.terms(&field(&Path::Root, "when"), x, false),
        };
        let except = match map.get("except") {
            None => Some(Vec::new()),
            Some(x) => self.terms(&field(&Path::Root, "except"), x, true),
        };
        Some(Rule {
            version: version?,
            mode: mode?,
            when: when?,
            except: except?,
        })
    }

    fn blackout(&mut self, v: &Value) -> Option<Blackout> {
        let mut keys: Vec<&str> = TERM_KEYS.to_vec();
        keys.push("mode");
        let map = self.object(
            &Path::Root,
            v,
            &keys,
            "một đợt tạm ngừng",
            "a blackout period",
        )?;
        let mode = match map.get("mode") {
            None => Some(None),
            Some(x) => self.mode(&field(&Path::Root, "mode"), x).map(Some),
        };
        let label = match map.get("label") {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => {
                self.fail(
                    &field(&Path::Root, "label"),
                    "cần tên đợt (ví dụ \"bão số 3\")",
                    "expected a non-empty name (for example \"bão số 3\")",
                );
                None
            }
        };
        // The term's own keys only: the others were reported above.
        let term_map: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| TERM_KEYS.contains(&k.as_str()) && *k != "label")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let term = self.term(&Path::Root, &Value::Object(term_map));
        Some(Blackout {
            label: label?,
            mode: mode?,
            term: term?,
        })
    }

    fn mode(&mut self, path: &Path<'_>, v: &Value) -> Option<VisitMode> {
        match v.as_str() {
            Some("in_person") => Some(VisitMode::InPerson),
            Some("remote") => Some(VisitMode::Remote),
            _ => {
                self.fail(
                    path,
                    format!("cần \"in_person\" hoặc \"remote\", nhận {}", shown(v)),
                    format!("expected \"in_person\" or \"remote\", got {}", shown(v)),
                );
                None
            }
        }
    }

    fn terms(&mut self, path: &Path<'_>, v: &Value, may_be_empty: bool) -> Option<Vec<Term>> {
        let Some(items) = v.as_array() else {
            self.fail(
                path,
                format!("cần một danh sách điều kiện, nhận {}", shown(v)),
                format!("expected a list of terms, got {}", shown(v)),
            );
            return None;
        };
        if items.is_empty() && !may_be_empty {
            self.fail(
                path,
                "danh sách rỗng; cần ít nhất một điều kiện",
                "empty; expected at least one term",
            );
            return None;
        }
        let terms: Vec<Option<Term>> = items
            .iter()
            .enumerate()
            .map(|(i, t)| self.term(&index(path, i), t))
            .collect();
        terms.into_iter().collect()
    }

    fn term(&mut self, path: &Path<'_>, v: &Value) -> Option<Term> {
        let map = self.object(path, v, TERM_KEYS, "một điều kiện", "a term")?;
        let before = self.errors.len();
        let mut term = Term::default();
        for (key, x) in map {
            let p = field(path, key);
            match key.as_str() {
                "lunar_days" => term.lunar_days = self.lunar_days(&p, x),
                "lunar_dates" => term.lunar_dates = self.lunar_dates(&p, x),
                "around_moon" => term.around_moon = self.around_moon(&p, x),
                "dates" => term.dates = self.dates(&p, x),
                "weekdays" => term.weekdays = self.weekdays(&p, x),
                "hours" => term.hours = self.hours(&p, x),
                "between" => term.between = self.between(&p, x),
                "tide" => term.tide = self.tide(&p, x),
                "timezone" => term.timezone = self.timezone(&p, x),
                "label" => match x.as_str() {
                    Some(s) => term.label = Some(s.to_owned()),
                    None => self.fail(
                        &p,
                        format!("cần một chuỗi, nhận {}", shown(x)),
                        format!("expected a string, got {}", shown(x)),
                    ),
                },
                _ => {} // reported by `object`
            }
        }
        if self.errors.len() > before {
            return None;
        }
        if !term.selects() {
            self.fail(
                path,
                format!(
                    "điều kiện không chọn thời gian nào; cần ít nhất một trong: {}",
                    TERM_KEYS[..8].join(", ")
                ),
                format!(
                    "the term selects no time; expected at least one of {}",
                    TERM_KEYS[..8].join(", ")
                ),
            );
            return None;
        }
        Some(term)
    }

    /// The two items of a `[from, to]` pair.
    fn pair<'v>(
        &mut self,
        path: &Path<'_>,
        v: &'v Value,
        form: &str,
    ) -> Option<(&'v Value, &'v Value)> {
        match v.as_array().map(Vec::as_slice) {
            Some([a, b]) => Some((a, b)),
            _ => {
                self.fail(
                    path,
                    format!("cần một cặp [từ, đến] dạng {form}, nhận {}", shown(v)),
                    format!("expected a pair [from, to] of {form}, got {}", shown(v)),
                );
                None
            }
        }
    }

    fn lunar_days(&mut self, path: &Path<'_>, v: &Value) -> Option<(u8, u8)> {
        let (a, b) = self.pair(path, v, "ngày âm lịch 1–30 / lunar days 1–30")?;
        let a = self.lunar_day(&index(path, 0), a);
        let b = self.lunar_day(&index(path, 1), b);
        Some((a?, b?))
    }

    fn lunar_day(&mut self, path: &Path<'_>, v: &Value) -> Option<u8> {
        match v.as_u64() {
            Some(d @ 1..=30) => Some(d as u8),
            _ => {
                self.fail(
                    path,
                    format!("cần ngày âm lịch từ 1 đến 30, nhận {}", shown(v)),
                    format!("expected a lunar day from 1 to 30, got {}", shown(v)),
                );
                None
            }
        }
    }

    fn lunar_dates(
        &mut self,
        path: &Path<'_>,
        v: &Value,
    ) -> Option<(LunarMonthDay, LunarMonthDay)> {
        let (a, b) = self.pair(path, v, "\"MM-DD\"")?;
        let a = self.month_day(&index(path, 0), a);
        let b = self.month_day(&index(path, 1), b);
        Some((a?, b?))
    }

    fn month_day(&mut self, path: &Path<'_>, v: &Value) -> Option<LunarMonthDay> {
        let parsed = v.as_str().and_then(|s| {
            let (m, d) = s.split_once('-')?;
            if m.len() != 2 || d.len() != 2 {
                return None;
            }
            LunarMonthDay::new(m.parse().ok()?, d.parse().ok()?).ok()
        });
        if parsed.is_none() {
            self.fail(
                path,
                format!(
                    "cần tháng-ngày âm lịch MM-DD (tháng 01–12, ngày 01–30, ví dụ \"12-23\"), nhận {}",
                    shown(v)
                ),
                format!(
                    "expected a lunar month-day MM-DD (month 01–12, day 01–30, e.g. \"12-23\"), got {}",
                    shown(v)
                ),
            );
        }
        parsed
    }

    fn around_moon(&mut self, path: &Path<'_>, v: &Value) -> Option<AroundMoon> {
        let map = self.object(
            path,
            v,
            &["phase", "days_before", "days_after"],
            "{phase, days_before, days_after}",
            "{phase, days_before, days_after}",
        )?;
        let phase =
            match map.get("phase") {
                Some(x) => match x.as_str().and_then(|s| s.parse::<Phase>().ok()) {
                    Some(p) => Some(p),
                    None => {
                        self.fail(
                        &field(path, "phase"),
                        format!("cần \"full\" (rằm) hoặc \"new\" (mùng 1), nhận {}", shown(x)),
                        format!(
                            "expected \"full\" or \"new\" (or first_quarter, last_quarter), got {}",
                            shown(x)
                        ),
                    );
                        None
                    }
                },
                None => {
                    self.fail(
                        &field(path, "phase"),
                        "thiếu; cần \"full\" hoặc \"new\"",
                        "missing; expected \"full\" or \"new\"",
                    );
                    None
                }
            };
        let mut days = |key: &str| match map.get(key) {
            None => Some(0),
            Some(x) => match x.as_u64() {
                Some(n @ 0..=15) => Some(n as u8),
                _ => {
                    self.fail(
                        &field(path, key),
                        format!("cần số ngày từ 0 đến 15, nhận {}", shown(x)),
                        format!("expected a number of days from 0 to 15, got {}", shown(x)),
                    );
                    None
                }
            },
        };
        let before = days("days_before");
        let after = days("days_after");
        Some(AroundMoon {
            phase: phase?,
            days_before: before?,
            days_after: after?,
        })
    }

    fn dates(&mut self, path: &Path<'_>, v: &Value) -> Option<(NaiveDate, NaiveDate)> {
        let (a, b) = self.pair(path, v, "\"YYYY-MM-DD\"")?;
        let a = self.date(&index(path, 0), a);
        let b = self.date(&index(path, 1), b);
        let (a, b) = (a?, b?);
        if b < a {
            self.fail(
                path,
                format!("khoảng ngày ngược: {b} trước {a}; cần ngày cuối không trước ngày đầu"),
                format!("inverted range: {b} is before {a}; expected an end on or after the start"),
            );
            return None;
        }
        Some((a, b))
    }

    fn date(&mut self, path: &Path<'_>, v: &Value) -> Option<NaiveDate> {
        let parsed = v
            .as_str()
            .filter(|s| s.len() == 10)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .filter(|d| (1800..=2199).contains(&chrono::Datelike::year(d)));
        if parsed.is_none() {
            self.fail(
                path,
                format!("cần ngày YYYY-MM-DD (năm 1800–2199), nhận {}", shown(v)),
                format!(
                    "expected a date YYYY-MM-DD (years 1800–2199), got {}",
                    shown(v)
                ),
            );
        }
        parsed
    }

    fn weekdays(&mut self, path: &Path<'_>, v: &Value) -> Option<Vec<Weekday>> {
        let expected = "mon, tue, wed, thu, fri, sat, sun";
        let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
            self.fail(
                path,
                format!(
                    "cần danh sách thứ trong tuần (ít nhất một: {expected}), nhận {}",
                    shown(v)
                ),
                format!(
                    "expected a non-empty list of days of the week ({expected}), got {}",
                    shown(v)
                ),
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, x) in items.iter().enumerate() {
            let day = x
                .as_str()
                .and_then(|s| WEEKDAYS.iter().find(|(c, _)| *c == s))
                .map(|(_, d)| *d);
            match day {
                Some(d) if out.contains(&d) => {
                    ok = false;
                    self.fail(
                        &index(path, i),
                        format!("{} đã có trong danh sách; cần mỗi thứ một lần", shown(x)),
                        format!("{} is listed twice; expected each day once", shown(x)),
                    );
                }
                Some(d) => out.push(d),
                None => {
                    ok = false;
                    self.fail(
                        &index(path, i),
                        format!("cần một trong {expected}, nhận {}", shown(x)),
                        format!("expected one of {expected}, got {}", shown(x)),
                    );
                }
            }
        }
        ok.then_some(out)
    }

    fn hours(&mut self, path: &Path<'_>, v: &Value) -> Option<Hours> {
        let (a, b) = self.pair(path, v, "\"HH:MM\"")?;
        let a = self.clock(&index(path, 0), a, false);
        let b = self.clock(&index(path, 1), b, true);
        Hours::new(a?, b?)
    }

    /// `HH:MM` (or `H:MM`), 00:00–23:59; `24:00` too when it is an end.
    fn clock(&mut self, path: &Path<'_>, v: &Value, end: bool) -> Option<u16> {
        let parsed = v.as_str().and_then(|s| {
            let (h, m) = s.split_once(':')?;
            if h.is_empty() || h.len() > 2 || m.len() != 2 {
                return None;
            }
            if !h.bytes().chain(m.bytes()).all(|c| c.is_ascii_digit()) {
                return None;
            }
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            match (h, m) {
                (0..=23, 0..=59) => Some(h * 60 + m),
                (24, 0) if end => Some(1440),
                _ => None,
            }
        });
        if parsed.is_none() {
            let range = if end {
                "00:00–24:00"
            } else {
                "00:00–23:59"
            };
            self.fail(
                path,
                format!("cần giờ HH:MM ({range}), nhận {}", shown(v)),
                format!("expected HH:MM, got {}", shown(v)),
            );
        }
        parsed
    }

    fn between(&mut self, path: &Path<'_>, v: &Value) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let (a, b) = self.pair(path, v, "\"YYYY-MM-DDTHH:MM\"")?;
        let a = self.local_datetime(&index(path, 0), a);
        let b = self.local_datetime(&index(path, 1), b);
        let (a, b) = (a?, b?);
        if b <= a {
            self.fail(
                path,
                "khoảng thời gian rỗng hoặc ngược; cần lúc kết thúc sau lúc bắt đầu",
                "empty or inverted range; expected an end after the start",
            );
            return None;
        }
        Some((a, b))
    }

    fn local_datetime(&mut self, path: &Path<'_>, v: &Value) -> Option<NaiveDateTime> {
        let parsed = v
            .as_str()
            .and_then(|s| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").ok())
            .filter(|d| (1800..=2199).contains(&chrono::Datelike::year(d)));
        if parsed.is_none() {
            self.fail(
                path,
                format!(
                    "cần ngày giờ địa phương YYYY-MM-DDTHH:MM (ví dụ \"2026-09-05T18:00\"), nhận {}",
                    shown(v)
                ),
                format!(
                    "expected a local date-time YYYY-MM-DDTHH:MM (e.g. \"2026-09-05T18:00\"), got {}",
                    shown(v)
                ),
            );
        }
        parsed
    }

    fn timezone(&mut self, path: &Path<'_>, v: &Value) -> Option<Tz> {
        let parsed = v.as_str().and_then(|s| s.parse::<Tz>().ok());
        if parsed.is_none() {
            self.fail(
                path,
                format!(
                    "cần tên múi giờ IANA (ví dụ \"Asia/Seoul\", \"Europe/Berlin\"), nhận {}",
                    shown(v)
                ),
                format!(
                    "expected an IANA time zone (e.g. \"Asia/Seoul\", \"Europe/Berlin\"), got {}",
                    shown(v)
                ),
            );
        }
        parsed
    }

    fn tide(&mut self, path: &Path<'_>, v: &Value) -> Option<TideCondition> {
        let map = self.object(
            path,
            v,
            &["station", "above_m", "below_m", "near", "within_minutes"],
            "{station, above_m | below_m | near, within_minutes}",
            "{station, above_m | below_m | near, within_minutes}",
        )?;
        let before = self.errors.len();
        let station = match map.get("station") {
            Some(Value::String(s)) if self.ctx.stations.contains(s) => Some(s.clone()),
            Some(x) => {
                let known = self.ctx.known();
                self.fail(
                    &field(path, "station"),
                    format!(
                        "trạm không có trong danh mục: {}; cần một trong: {known}",
                        shown(x)
                    ),
                    format!("unknown station {}; expected one of: {known}", shown(x)),
                );
                None
            }
            None => {
                let known = self.ctx.known();
                self.fail(
                    &field(path, "station"),
                    format!("thiếu; cần mã trạm, một trong: {known}"),
                    format!("missing; expected a station id, one of: {known}"),
                );
                None
            }
        };
        let present: Vec<&str> = ["above_m", "below_m", "near"]
            .into_iter()
            .filter(|k| map.contains_key(*k))
            .collect();
        if present.len() != 1 {
            self.fail(
                path,
                format!(
                    "cần đúng một trong above_m, below_m, near; có {}",
                    if present.is_empty() {
                        "không có".to_owned()
                    } else {
                        present.join(", ")
                    }
                ),
                format!(
                    "expected exactly one of above_m, below_m, near; got {}",
                    if present.is_empty() {
                        "none".to_owned()
                    } else {
                        present.join(", ")
                    }
                ),
            );
        }
        let metres = |w: &mut Self, key: &str| -> Option<f64> {
            let x = &map[key];
            match x.as_f64().filter(|m| m.is_finite() && m.abs() < 100.0) {
                Some(m) => Some(m),
                None => {
                    w.fail(
                        &field(path, key),
                        format!("cần độ cao bằng mét (số), nhận {}", shown(x)),
                        format!("expected a height in metres (a number), got {}", shown(x)),
                    );
                    None
                }
            }
        };
        let mut level = None;
        if map.contains_key("above_m") {
            level = metres(self, "above_m").map(TideLevel::Above);
        }
        if map.contains_key("below_m") {
            level = metres(self, "below_m").map(TideLevel::Below);
        }
        match (map.get("near"), map.get("within_minutes")) {
            (Some(n), w) => {
                let kind = match n.as_str() {
                    Some("high") => Some(ExtremeKind::High),
                    Some("low") => Some(ExtremeKind::Low),
                    _ => {
                        self.fail(
                            &field(path, "near"),
                            format!(
                                "cần \"high\" (nước lớn) hoặc \"low\" (nước ròng), nhận {}",
                                shown(n)
                            ),
                            format!("expected \"high\" or \"low\", got {}", shown(n)),
                        );
                        None
                    }
                };
                let minutes = match w {
                    None => {
                        self.fail(
                            &field(path, "within_minutes"),
                            "thiếu; cần số phút mỗi bên (1–720) cùng với near",
                            "missing; expected the minutes either side (1–720) with near",
                        );
                        None
                    }
                    Some(x) => match x.as_u64() {
                        Some(m @ 1..=720) => Some(m as u32),
                        _ => {
                            self.fail(
                                &field(path, "within_minutes"),
                                format!("cần số phút từ 1 đến 720, nhận {}", shown(x)),
                                format!("expected whole minutes from 1 to 720, got {}", shown(x)),
                            );
                            None
                        }
                    },
                };
                if let (Some(kind), Some(within_minutes)) = (kind, minutes) {
                    level = Some(TideLevel::Near {
                        kind,
                        within_minutes,
                    });
                }
            }
            (None, Some(_)) => self.fail(
                &field(path, "within_minutes"),
                "chỉ dùng cùng với near",
                "only meaningful with near; expected near: \"high\" or \"low\" beside it",
            ),
            (None, None) => {}
        }
        if self.errors.len() > before {
            return None;
        }
        Some(TideCondition {
            station: station?,
            level: level?,
        })
    }
}

impl fmt::Display for Rule {
    /// The rule as compact JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}
