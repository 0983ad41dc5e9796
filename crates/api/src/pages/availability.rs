//! The availability editor of one resident, for their team's leader: pick
//! a preset (fishing crew ashore around the full moon, worker abroad in
//! their country's evening, farmer, elderly, shift worker) with its
//! parameters, or write the rule itself (docs/availability.md); preview it
//! in words with its next windows in the team's zone, solar and lunar
//! (what `rules::check_rule` answers the API), and save it on the resident.
//!
//! A rule that does not read is shown with each problem's place (its JSON
//! path, or the line and column of a text that is not JSON), status 422,
//! the text kept in the box. Presets are picked with a GET form (nothing
//! changes); previewing and saving are one POST form with the page's token.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Weekday};
use chrono_tz::Tz;
use doorstep_core::VisitMode;
use doorstep_core::rules::presets::Preset;
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::household_page::{self, ResidentRule};
use doorstep_service::records;
use doorstep_service::rules::{self, PresetQuery, RuleCheck};
use serde_json::Value;

use super::{Header, PageUser, error_page, form_sent_by_us, render, stale_form};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// Days of the preview, from tomorrow: two weeks, as the API's default.
pub(super) const PREVIEW_DAYS: u32 = 14;

/// The longest rule text the box takes.
const MAX_RULE_TEXT: usize = 20_000;

/// The days a shift worker may have off, as the form lists them.
const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

/// The shifts, as the form lists them.
const SHIFTS: [(&str, &str, &str); 3] = [
    ("day", "Ca ngày (06:00–14:00)", "Day shift (06:00–14:00)"),
    (
        "evening",
        "Ca chiều (14:00–22:00)",
        "Evening shift (14:00–22:00)",
    ),
    ("night", "Ca đêm (22:00–06:00)", "Night shift (22:00–06:00)"),
];

/// The preset part of the page's query.
#[derive(Clone, Debug, Default)]
struct PresetForm {
    /// The preset's code.
    mau: Option<String>,
    /// Fishing crew: the tide station (empty: none).
    tram: Option<String>,
    /// Worker abroad: the country.
    quoc_gia: Option<String>,
    /// Worker abroad: the zone, for countries with several.
    mui_gio: Option<String>,
    /// Shift worker: the shift.
    ca: Option<String>,
    /// Shift worker: days off.
    nghi: Vec<String>,
}

impl PresetForm {
    fn read(query: Option<&str>) -> PresetForm {
        let mut form = PresetForm::default();
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let value = value.trim().to_owned();
            match key.as_ref() {
                "mau" => form.mau = Some(value),
                "tram" => form.tram = Some(value),
                "quoc_gia" => form.quoc_gia = Some(value),
                "mui_gio" => form.mui_gio = Some(value),
                "ca" => form.ca = Some(value),
                "nghi" => form.nghi.push(value),
                _ => {}
            }
        }
        form
    }

    /// The form's values, with the resident's and the team's defaults for
    /// those not sent.
    fn with_defaults(mut self, found: &ResidentRule) -> PresetForm {
        if self.tram.is_none() {
            self.tram = Some(found.team.tide_station.clone().unwrap_or_default());
        }
        if self.quoc_gia.as_deref().is_none_or(str::is_empty) {
            self.quoc_gia = Some(
                found
                    .resident
                    .country
                    .clone()
                    .filter(|c| c != "VN")
                    .unwrap_or_else(|| "KR".to_owned()),
            );
        }
        if self.mui_gio.is_none() {
            self.mui_gio = Some(found.resident.timezone.clone().unwrap_or_default());
        }
        // The form as first shown has Sunday off, as the preset reads it;
        // a form sent (its shift select always is) with no day checked
        // means no day off.
        if self.ca.as_deref().is_none_or(str::is_empty) {
            if self.nghi.is_empty() && self.ca.is_none() {
                self.nghi.push("sun".to_owned());
            }
            self.ca = Some("day".to_owned());
        }
        self
    }

    fn query(&self) -> PresetQuery {
        let given = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
        PresetQuery {
            station: given(&self.tram),
            country: given(&self.quoc_gia),
            timezone: given(&self.mui_gio),
            shift: given(&self.ca),
            days_off: Some(if self.nghi.is_empty() {
                "none".to_owned()
            } else {
                self.nghi.join(",")
            }),
        }
    }
}

/// An option of a select or a box of a group.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct PresetChoice {
    code: &'static str,
    label: &'static str,
    words: String,
    checked: bool,
}

/// One problem of a rule: where, and what.
struct Problem {
    place: String,
    message: String,
}

struct Preview {
    words: String,
    remote: bool,
    zone: String,
    windows: Vec<WindowRow>,
}

struct WindowRow {
    start: String,
    end: String,
    words: String,
}

#[derive(Template)]
#[template(path = "availability.html")]
struct EditorPage {
    header: Header,
    name: String,
    address: String,
    household_href: String,
    action: String,
    current: Option<String>,
    presets_open: bool,
    presets: Vec<PresetChoice>,
    stations: Vec<Choice>,
    countries: Vec<Choice>,
    timezone: String,
    shifts: Vec<Choice>,
    days: Vec<Choice>,
    preset_errors: Vec<FieldError>,
    rule_text: String,
    problems: Vec<Problem>,
    preview: Option<Preview>,
    preview_days: u32,
    /// The presets' options as the service reads them.
    preset_query: PresetQuery,
}

/// The form that previews or saves a rule.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct RuleForm {
    #[serde(default)]
    csrf: Option<String>,
    /// The rule's text (JSON).
    #[serde(default)]
    quy_tac: String,
    /// `xem` (preview) or `luu` (save).
    #[serde(default)]
    lam: String,
}

/// `GET /nhan-khau/{resident_id}/lich-ranh[?mau=…]`: the editor, with the
/// stored rule (or the preset asked for) in the box and previewed.
pub(super) async fn editor(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let preset = PresetForm::read(query.as_deref());
    match editor_page(&state, &user, &id, preset).await {
        Ok((status, page)) => render(status, &page),
        Err(e) => error_page(Some(&user), e),
    }
}

async fn found_resident(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<ResidentRule, ServiceError> {
    let resident_id = parse_id("resident_id", id).map_err(|ApiError(e)| e)?;
    household_page::resident_rule(&state.store, &state.catalog, &user.actor, resident_id).await
}

async fn editor_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    preset: PresetForm,
) -> Result<(StatusCode, EditorPage), ServiceError> {
    let found = found_resident(state, user, id).await?;
    let chosen = preset.mau.clone();
    let mut page = blank_page(user, &found, preset.with_defaults(&found));
    let mut status = StatusCode::OK;
    if let Some(code) = chosen {
        match Preset::parse(&code) {
            Some(chosen) => {
                if let Some(built) = built_presets(&found, &mut page)
                    .into_iter()
                    .find(|p| p.preset == chosen)
                {
                    page.rule_text = pretty(&built.rule);
                }
            }
            None => page.preset_errors.push(FieldError::new(
                "mau",
                format!("cần một mẫu: {}; nhận {code:?}", preset_codes()),
                format!("expected a preset: {}; got {code:?}", preset_codes()),
            )),
        }
        if !page.preset_errors.is_empty() {
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
    } else {
        built_presets(&found, &mut page);
    }
    if !page.rule_text.trim().is_empty() && page.preset_errors.is_empty() {
        let rule: Value = serde_json::from_str(&page.rule_text)
            .map_err(|e| ServiceError::Internal(format!("a rule's own JSON: {e}")))?;
        check_into(state, user, &found, &rule, &mut page).await?;
        if !page.problems.is_empty() {
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
    }
    Ok((status, page))
}

fn preset_codes() -> String {
    Preset::ALL
        .iter()
        .map(|p| p.code())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A rule laid out for the box, its keys in the order the rule language
/// lists them (`version`, `mode`, `when`, `except`).
fn pretty(rule: &Value) -> String {
    let text = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    let Value::Object(fields) = rule else {
        return text(rule);
    };
    let order = ["version", "mode", "when", "except"];
    let mut keys: Vec<&String> = fields.keys().collect();
    keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
    let lines: Vec<String> = keys
        .into_iter()
        .map(|k| {
            format!(
                "  {}: {}",
                Value::from(k.as_str()),
                text(&fields[k]).replace('\n', "\n  ")
            )
        })
        .collect();
    format!("{{\n{}\n}}", lines.join(",\n"))
}

/// The page with the stored rule in the box and the preset form filled.
fn blank_page(user: &CurrentUser, found: &ResidentRule, preset: PresetForm) -> EditorPage {
    let name = found.resident.full_name.clone();
    let header = Header::new(
        (
            &format!("Lịch rảnh · {name}"),
            &format!("Availability · {name}"),
        ),
        found.zone.name(),
        Some(user),
    );
    let en = header.en;
    let label = |vi: &'static str, english: &'static str| if en { english } else { vi };
    let tram = preset.tram.clone().unwrap_or_default();
    let mut stations = vec![Choice {
        value: String::new(),
        label: label("Không tính thủy triều", "No tide").to_owned(),
        selected: tram.is_empty(),
    }];
    stations.extend(
        household_page::station_choices(&found.catalog)
            .into_iter()
            .map(|(id, name)| Choice {
                selected: id == tram,
                label: format!("{name} ({id})"),
                value: id,
            }),
    );
    let country = preset.quoc_gia.clone().unwrap_or_default();
    let countries = doorstep_core::COUNTRIES
        .iter()
        .filter(|c| c.code != "VN")
        .map(|c| Choice {
            value: c.code.to_owned(),
            label: label(c.name_vi, c.name_en).to_owned(),
            selected: c.code.eq_ignore_ascii_case(&country),
        })
        .collect();
    let shift = preset.ca.clone().unwrap_or_default();
    EditorPage {
        name,
        address: found.household.address.clone(),
        household_href: format!("/ho-dan/{}#r{}", found.household.id, found.resident.id),
        action: format!("/nhan-khau/{}/lich-ranh", found.resident.id),
        current: found
            .availability
            .as_ref()
            .and_then(|a| if en { a.en.clone() } else { a.vi.clone() }),
        presets_open: found.availability.is_none() || preset.mau.is_some(),
        stations,
        countries,
        timezone: preset.mui_gio.clone().unwrap_or_default(),
        shifts: SHIFTS
            .iter()
            .map(|(code, vi, english)| Choice {
                value: (*code).to_owned(),
                label: label(vi, english).to_owned(),
                selected: *code == shift,
            })
            .collect(),
        days: DAYS
            .iter()
            .map(|(day, code)| Choice {
                value: (*code).to_owned(),
                label: if en {
                    doorstep_core::words::weekday_en(*day)
                } else {
                    doorstep_core::words::weekday_vi(*day)
                }
                .to_owned(),
                selected: preset.nghi.iter().any(|d| d == code),
            })
            .collect(),
        preset_errors: Vec::new(),
        rule_text: found
            .availability
            .as_ref()
            .map(|a| pretty(&a.rule))
            .unwrap_or_default(),
        problems: Vec::new(),
        preview: None,
        preview_days: PREVIEW_DAYS,
        presets: Preset::ALL
            .iter()
            .map(|p| PresetChoice {
                code: p.code(),
                label: label(p.label_vi(), p.label_en()),
                words: String::new(),
                checked: preset.mau.as_deref() == Some(p.code()),
            })
            .collect(),
        preset_query: preset.query(),
        header,
    }
}

/// Builds the presets with the form's options, each in words on the page;
/// a bad option is named on the page (with the form's field name).
fn built_presets(found: &ResidentRule, page: &mut EditorPage) -> Vec<rules::PresetRule> {
    match rules::presets(&found.catalog, &page.preset_query) {
        Ok(built) => {
            for (choice, p) in page.presets.iter_mut().zip(&built) {
                choice.words = if page.header.en {
                    p.description_en.clone()
                } else {
                    p.description_vi.clone()
                };
            }
            built
        }
        Err(ServiceError::Invalid(fields)) => {
            page.preset_errors.extend(fields.into_iter().map(|f| {
                FieldError {
                    field: match f.field.as_str() {
                        "station" => "tram",
                        "country" => "quoc_gia",
                        "timezone" => "mui_gio",
                        "shift" => "ca",
                        "days_off" => "nghi",
                        other => other,
                    }
                    .to_owned(),
                    ..f
                }
            }));
            Vec::new()
        }
        Err(e) => {
            page.preset_errors
                .push(FieldError::new("mau", e.message(true), e.message(false)));
            Vec::new()
        }
    }
}

/// Checks the rule as the API does and puts its problems, or its words and
/// next windows, on the page.
async fn check_into(
    state: &AppState,
    user: &CurrentUser,
    found: &ResidentRule,
    rule: &Value,
    page: &mut EditorPage,
) -> Result<(), ServiceError> {
    let checked = rules::check_rule(
        &state.store,
        &state.catalog,
        &user.actor,
        rule,
        Some(found.team.id),
        PREVIEW_DAYS,
        state.now(),
    )
    .await?;
    let en = page.header.en;
    page.problems = checked
        .problems
        .iter()
        .map(|p| Problem {
            place: place_words(&p.path, en),
            message: if en {
                p.message_en.clone()
            } else {
                p.message_vi.clone()
            },
        })
        .collect();
    if checked.problems.is_empty() {
        page.preview = Some(preview(&checked, en));
    }
    Ok(())
}

/// Where a problem is, in words: its JSON path.
fn place_words(path: &str, en: bool) -> String {
    let path = path
        .strip_prefix("availability")
        .map(|p| p.trim_start_matches('.'))
        .unwrap_or(path);
    let path = if path.is_empty() { "(root)" } else { path };
    if en {
        format!("at {path}")
    } else {
        format!("tại {path}")
    }
}

fn preview(checked: &RuleCheck, en: bool) -> Preview {
    let remote = checked
        .windows
        .first()
        .is_some_and(|w| w.mode == VisitMode::Remote)
        || checked
            .description_en
            .as_deref()
            .is_some_and(|d| d.starts_with("By phone"));
    Preview {
        words: if en {
            checked.description_en.clone()
        } else {
            checked.description_vi.clone()
        }
        .unwrap_or_default(),
        remote,
        zone: checked.zone.name().to_owned(),
        windows: checked
            .windows
            .iter()
            .map(|w| WindowRow {
                start: w.start.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                end: w.end.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                words: window_line(w.start, w.end, en),
            })
            .collect(),
    }
}

/// "Thứ Ba 08/12 (28/10 âm) 17:00–20:00"; a window over several days says
/// both ends: "Thứ Tư 23/12 (13/11 âm) 07:00 – Thứ Hai 28/12 (18/11 âm) 20:00".
fn window_line(start: DateTime<Tz>, end: DateTime<Tz>, en: bool) -> String {
    use chrono::Datelike;
    let day = |at: DateTime<Tz>| {
        format!(
            "{} {} ({} {})",
            if en {
                doorstep_core::words::weekday_en(at.weekday())
            } else {
                doorstep_core::words::weekday_vi(at.weekday())
            },
            at.format("%d/%m"),
            doorstep_service::daylist::lunar_short(at.date_naive()),
            if en { "lunar" } else { "âm" },
        )
    };
    let same_day = end.date_naive() == start.date_naive()
        || (end.date_naive() == start.date_naive().succ_opt().unwrap_or(start.date_naive())
            && end.format("%H:%M").to_string() == "00:00");
    if same_day {
        let until = if end.date_naive() != start.date_naive() {
            "24:00".to_owned()
        } else {
            end.format("%H:%M").to_string()
        };
        format!("{} {}–{until}", day(start), start.format("%H:%M"))
    } else {
        format!(
            "{} {} – {} {}",
            day(start),
            start.format("%H:%M"),
            day(end),
            end.format("%H:%M")
        )
    }
}

/// `POST /nhan-khau/{resident_id}/lich-ranh`: previews the rule in the box
/// (`lam=xem`) or saves it on the resident (`lam=luu`, then back to the
/// household, 303). An empty box saved clears the rule.
pub(super) async fn submit(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<RuleForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or_default();
    if !form_sent_by_us(&headers, &user, form.csrf.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    match submit_page(&state, &user, &id, form).await {
        Ok(Submitted::Page(status, page)) => render(status, &*page),
        Ok(Submitted::Saved(href)) => Redirect::to(&href).into_response(),
        Err(e) => error_page(Some(&user), e),
    }
}

enum Submitted {
    Page(StatusCode, Box<EditorPage>),
    Saved(String),
}

async fn submit_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: RuleForm,
) -> Result<Submitted, ServiceError> {
    let found = found_resident(state, user, id).await?;
    let mut page = blank_page(user, &found, PresetForm::default().with_defaults(&found));
    built_presets(&found, &mut page);
    page.presets_open = false;
    page.rule_text = form.quy_tac.clone();
    let en = page.header.en;
    let save = match form.lam.as_str() {
        "luu" => true,
        "xem" | "" => false,
        other => {
            return Err(ServiceError::invalid(
                "lam",
                format!("cần \"xem\" (xem trước) hoặc \"luu\" (lưu), nhận {other:?}"),
                format!("expected \"xem\" (preview) or \"luu\" (save), got {other:?}"),
            ));
        }
    };
    let text = form.quy_tac.trim();
    let unreadable = |page: &mut EditorPage, vi: String, english: String| {
        page.problems.push(Problem {
            place: if en {
                "the box".to_owned()
            } else {
                "ô quy tắc".to_owned()
            },
            message: if en { english } else { vi },
        });
    };
    if text.chars().count() > MAX_RULE_TEXT {
        unreadable(
            &mut page,
            format!("quy tắc dài quá: tối đa {MAX_RULE_TEXT} ký tự"),
            format!("the rule is too long: at most {MAX_RULE_TEXT} characters"),
        );
        return Ok(Submitted::Page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Box::new(page),
        ));
    }
    if text.is_empty() {
        if save {
            records::edit_resident(
                &state.store,
                &state.catalog,
                &user.actor,
                found.resident.id,
                &serde_json::json!({"availability": null}),
                state.now(),
            )
            .await?;
            return Ok(Submitted::Saved(saved_href(&found)));
        }
        unreadable(
            &mut page,
            "hãy viết một quy tắc hoặc chọn một mẫu ở trên".to_owned(),
            "write a rule or pick a preset above".to_owned(),
        );
        return Ok(Submitted::Page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Box::new(page),
        ));
    }
    let rule: Value = match serde_json::from_str(text) {
        Ok(rule) => rule,
        Err(e) => {
            let (line, column) = (e.line(), e.column());
            page.problems.push(Problem {
                place: if en {
                    format!("line {line}, column {column}")
                } else {
                    format!("dòng {line}, cột {column}")
                },
                message: json_error_words(&e, en),
            });
            return Ok(Submitted::Page(
                StatusCode::UNPROCESSABLE_ENTITY,
                Box::new(page),
            ));
        }
    };
    if save {
        match records::edit_resident(
            &state.store,
            &state.catalog,
            &user.actor,
            found.resident.id,
            &serde_json::json!({ "availability": rule }),
            state.now(),
        )
        .await
        {
            Ok(_) => return Ok(Submitted::Saved(saved_href(&found))),
            Err(ServiceError::Invalid(fields)) => {
                page.problems = fields
                    .into_iter()
                    .map(|f| Problem {
                        place: place_words(&f.field, en),
                        message: if en { f.message_en } else { f.message_vi },
                    })
                    .collect();
                return Ok(Submitted::Page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Box::new(page),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    check_into(state, user, &found, &rule, &mut page).await?;
    let status = if page.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(Submitted::Page(status, Box::new(page)))
}

fn saved_href(found: &ResidentRule) -> String {
    format!(
        "/ho-dan/{}?da_luu=lich&nk={}#r{}",
        found.household.id, found.resident.id, found.resident.id
    )
}

/// What is wrong with a text that is not JSON, in the page's language.
fn json_error_words(e: &serde_json::Error, en: bool) -> String {
    use serde_json::error::Category;
    // serde_json's message ends with " at line L column C": the place is
    // said apart.
    let detail = e.to_string();
    let detail = detail
        .rsplit_once(" at line ")
        .map_or(detail.as_str(), |(d, _)| d)
        .to_owned();
    match (e.classify(), en) {
        (Category::Eof, false) => {
            format!("quy tắc dừng giữa chừng: thiếu dấu đóng ] hoặc }} ({detail})")
        }
        (Category::Eof, true) => {
            format!("the rule ends too soon: a closing ] or }} is missing ({detail})")
        }
        (_, false) => format!("không đọc được JSON ở đây ({detail}); xem ví dụ ở dưới"),
        (_, true) => format!("this is not JSON here ({detail}); see the example below"),
    }
}
