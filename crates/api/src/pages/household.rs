//! One household's page: where it is (with map links), its residents with
//! their presence, availability in words, consent and needs along the
//! pipeline (each need with who changed it and when), and its visits past
//! and to come. The team's leader also sets needs here and goes on to each
//! resident's availability.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use doorstep_core::{ConsentAction, NeedStatus, NeedStep, VisitMode};
use doorstep_service::household_page::{self, HouseholdPage, NeedChange};
use doorstep_service::records;
use doorstep_service::residents::{self, ConsentInput};

use super::day::result_words;
use super::{
    Header, PageUser, error_page, form_sent_by_us, geo_target, mode_words, render, stale_form,
    tel_target,
};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// "07/12/2026 10:00" in the team's zone.
pub(super) fn at_words(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%d/%m/%Y %H:%M").to_string()
}

/// "Thứ Ba 08/12/2026 · âm lịch 28/10", "Tuesday 08/12/2026 · lunar 28/10".
pub(super) fn day_words(day: chrono::NaiveDate, en: bool) -> String {
    use chrono::Datelike;
    let weekday = if en {
        doorstep_core::words::weekday_en(day.weekday())
    } else {
        doorstep_core::words::weekday_vi(day.weekday())
    };
    format!(
        "{weekday} {} · {} {}",
        day.format("%d/%m/%Y"),
        if en { "lunar" } else { "âm lịch" },
        doorstep_service::daylist::lunar_short(day)
    )
}

/// An OpenStreetMap link centred on the point, for a phone without a map
/// app that reads `geo:`.
fn osm_target(lat: f64, lon: f64) -> String {
    format!("https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=18/{lat:.6}/{lon:.6}")
}

/// The query of a household's page: what was just saved.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct HouseholdQuery {
    /// `lich` (a resident's availability), `nhu_cau` (a need), `dong_y`
    /// or `rut_dong_y` (consent given or withdrawn).
    da_luu: Option<String>,
    /// The resident.
    nk: Option<String>,
    /// The need.
    nc: Option<String>,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdView {
    header: Header,
    saved: Option<String>,
    back: String,
    key: String,
    address: String,
    village: String,
    geo: Option<String>,
    osm: Option<String>,
    leads: bool,
    /// The consent text's version a new consent is recorded against.
    consent_version: String,
    residents: Vec<ResidentCard>,
    upcoming: Vec<VisitRow>,
    past: Vec<VisitRow>,
    /// The statuses a leader may set.
    statuses: Vec<(&'static str, &'static str)>,
}

struct ResidentCard {
    id: i32,
    name: String,
    birth_year: Option<i32>,
    presence_code: &'static str,
    presence: &'static str,
    country: Option<String>,
    phone: Option<String>,
    tel: Option<String>,
    availability: Option<String>,
    edit_availability: String,
    consents: Vec<ConsentRow>,
    consents_now: bool,
    needs: Vec<NeedRow>,
}

struct ConsentRow {
    given: bool,
    words: String,
    text: String,
}

struct NeedRow {
    code: &'static str,
    label: &'static str,
    status_code: &'static str,
    status: &'static str,
    updated: String,
    history: Vec<String>,
}

struct VisitRow {
    day: String,
    time: String,
    member: String,
    mode: &'static str,
    remote: bool,
    status_code: &'static str,
    status: &'static str,
    purposes: Vec<&'static str>,
    results: Vec<String>,
}

/// `GET /ho-dan/{household_id}`: one household.
pub(super) async fn household(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<HouseholdQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    match household_view(&state, &user, &id, &query).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn household_view(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    query: &HouseholdQuery,
) -> Result<HouseholdView, ApiError> {
    let household_id = parse_id("household_id", id)?;
    let found =
        household_page::household_page(&state.store, &user.actor, household_id, state.now())
            .await?;
    let title = found.household.address.clone();
    let header = Header::new((&title, &title), &found.team.timezone, Some(user));
    Ok(view(found, header, query, user.now))
}

fn view(
    found: HouseholdPage,
    header: Header,
    query: &HouseholdQuery,
    now: DateTime<Utc>,
) -> HouseholdView {
    let en = header.en;
    let label = |vi: &'static str, english: &'static str| if en { english } else { vi };
    let zone = found.zone;
    let saved_resident = query.nk.as_deref().and_then(|n| n.parse::<i32>().ok());
    let saved_name = found
        .residents
        .iter()
        .find(|r| Some(r.resident.id) == saved_resident)
        .map(|r| r.resident.full_name.clone());
    let saved = match (query.da_luu.as_deref(), saved_name) {
        (Some("lich"), Some(name)) => Some(if en {
            format!("Saved: the availability of {name}.")
        } else {
            format!("Đã lưu lịch rảnh của {name}.")
        }),
        (Some("dong_y"), Some(name)) => Some(if en {
            format!("Saved: {name} consents to being visited and helped.")
        } else {
            format!("Đã lưu: {name} đồng ý được thăm và hỗ trợ.")
        }),
        (Some("rut_dong_y"), Some(name)) => Some(if en {
            format!("Saved: {name} withdrew their consent; the plans leave them out from now on.")
        } else {
            format!(
                "Đã lưu: {name} rút lại sự đồng ý; từ nay các kế hoạch không xếp lịch thăm người này."
            )
        }),
        (Some("nhu_cau"), Some(name)) => {
            let step = query.nc.as_deref().and_then(NeedStep::parse);
            let status = found
                .residents
                .iter()
                .find(|r| Some(r.resident.id) == saved_resident)
                .and_then(|r| r.needs.iter().find(|n| Some(n.need.step) == step))
                .map(|n| n.need.status);
            match (step, status) {
                (Some(step), Some(status)) => Some(if en {
                    format!(
                        "Saved: {} of {name} is now “{}”.",
                        step.label_en(),
                        status.label_en()
                    )
                } else {
                    format!(
                        "Đã lưu: {} của {name} nay là “{}”.",
                        step.label_vi(),
                        status.label_vi()
                    )
                }),
                _ => None,
            }
        }
        _ => None,
    };
    let h = &found.household;
    let location = h.latitude.zip(h.longitude);
    let residents = found
        .residents
        .into_iter()
        .map(|r| {
            let consents_now = r.consents_now();
            let resident = r.resident;
            ResidentCard {
                id: resident.id,
                edit_availability: format!("/nhan-khau/{}/lich-ranh", resident.id),
                presence_code: resident.presence.code(),
                presence: label(resident.presence.label_vi(), resident.presence.label_en()),
                country: r
                    .country
                    .map(|c| label(c.name_vi, c.name_en).to_owned())
                    .or(resident.country.clone()),
                tel: resident.phone.as_deref().and_then(tel_target),
                phone: resident.phone,
                availability: r.availability.and_then(|a| if en { a.en } else { a.vi }),
                consents_now,
                consents: r
                    .consents
                    .into_iter()
                    .map(|c| {
                        let given = c.action == ConsentAction::Given;
                        let what = label(c.action.label_vi(), c.action.label_en());
                        let version = match &c.text_version {
                            Some(v) => format!(" · {} “{v}”", label("văn bản", "text")),
                            None => format!(
                                " · {}",
                                label("ghi theo sổ hộ", "recorded with the register")
                            ),
                        };
                        let by = if c.by.is_empty() {
                            String::new()
                        } else {
                            format!(" · {} {}", label("ghi bởi", "recorded by"), c.by)
                        };
                        ConsentRow {
                            given,
                            words: format!("{what}{version}{by} · {}", at_words(c.at, zone)),
                            text: c.text,
                        }
                    })
                    .collect(),
                needs: r
                    .needs
                    .into_iter()
                    .map(|n| {
                        let status = n.need.status;
                        let updated = format!(
                            "{} {}{}",
                            label("Cập nhật", "Updated"),
                            at_words(n.need.updated_at, zone),
                            n.updated_by
                                .map(|by| format!(" · {} {by}", label("bởi", "by")))
                                .unwrap_or_default()
                        );
                        NeedRow {
                            code: n.need.step.code(),
                            label: label(n.need.step.label_vi(), n.need.step.label_en()),
                            status_code: status.code(),
                            status: label(status.label_vi(), status.label_en()),
                            updated,
                            history: n
                                .history
                                .into_iter()
                                .map(|e| {
                                    let what = match e.change {
                                        NeedChange::Set { from, to } => {
                                            let to = label(to.label_vi(), to.label_en());
                                            match from {
                                                Some(from) => format!(
                                                    "{} → {to}",
                                                    label(from.label_vi(), from.label_en())
                                                ),
                                                None => format!("{}: {to}", label("Thêm", "Added")),
                                            }
                                        }
                                        NeedChange::Result {
                                            result,
                                            appointment_on,
                                        } => {
                                            let (vi, english) = result_words(result);
                                            format!(
                                                "{}: {}{}",
                                                label("Kết quả lượt thăm", "Visit result"),
                                                label(vi, english),
                                                appointment_on
                                                    .map(|d| format!(" {}", d.format("%d/%m/%Y")))
                                                    .unwrap_or_default()
                                            )
                                        }
                                    };
                                    format!("{} · {} · {what}", at_words(e.at, zone), e.by)
                                })
                                .collect(),
                        }
                    })
                    .collect(),
                name: resident.full_name,
                birth_year: resident.birth_year,
            }
        })
        .collect();
    let (mut upcoming, mut past) = (Vec::new(), Vec::new());
    for v in found.visits {
        let start = v.start.with_timezone(&zone);
        let (mode_vi, mode_en) = mode_words(v.mode);
        let row = VisitRow {
            day: day_words(start.date_naive(), en),
            time: format!(
                "{}–{}",
                start.format("%H:%M"),
                v.end.with_timezone(&zone).format("%H:%M")
            ),
            member: v.member,
            mode: label(mode_vi, mode_en),
            remote: v.mode == VisitMode::Remote,
            status_code: v.status.code(),
            status: label(v.status.label_vi(), v.status.label_en()),
            purposes: v
                .purposes
                .iter()
                .map(|p| label(p.label_vi(), p.label_en()))
                .collect(),
            results: v
                .results
                .into_iter()
                .map(|r| {
                    let (vi, english) = result_words(r.result);
                    let need = r
                        .need
                        .map(|n| format!(" ({})", label(n.label_vi(), n.label_en())))
                        .unwrap_or_default();
                    format!(
                        "{}{need}: {}{} · {} {}",
                        r.resident,
                        label(vi, english),
                        r.appointment_on
                            .map(|d| format!(" {}", d.format("%d/%m/%Y")))
                            .unwrap_or_default(),
                        label("ghi bởi", "recorded by"),
                        r.by
                    )
                })
                .collect(),
        };
        if v.start >= now {
            upcoming.push(row);
        } else {
            past.push(row);
        }
    }
    past.reverse();
    HouseholdView {
        saved,
        back: format!("/teams/{}/ho-dan", found.team.id),
        key: h.external_id.clone(),
        address: h.address.clone(),
        village: found.village.unwrap_or_default(),
        geo: location.map(|(lat, lon)| geo_target(lat, lon)),
        osm: location.map(|(lat, lon)| osm_target(lat, lon)),
        leads: found.leads,
        consent_version: found.consent_version.clone().unwrap_or_default(),
        residents,
        upcoming,
        past,
        statuses: NeedStatus::ALL
            .iter()
            .map(|s| (s.code(), label(s.label_vi(), s.label_en())))
            .collect(),
        header,
    }
}

/// The form that sets one need.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct NeedForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    need: String,
    #[serde(default)]
    status: String,
}

/// `POST /nhan-khau/{resident_id}/nhu-cau`: the leader sets one of a
/// resident's needs, and the household's page says so (303).
pub(super) async fn set_need(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<NeedForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or_default();
    if !form_sent_by_us(&headers, &user, form.csrf.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let done = async {
        let resident_id = parse_id("resident_id", &id).map_err(|ApiError(e)| e)?;
        let found =
            household_page::resident_rule(&state.store, &state.catalog, &user.actor, resident_id)
                .await?;
        let need = records::set_need(
            &state.store,
            &user.actor,
            resident_id,
            form.need.trim(),
            &serde_json::json!({"status": form.status.trim()}),
            state.now(),
        )
        .await?;
        Ok::<_, doorstep_service::error::ServiceError>((found.household.id, resident_id, need))
    }
    .await;
    match done {
        Ok((household_id, resident_id, need)) => Redirect::to(&format!(
            "/ho-dan/{household_id}?da_luu=nhu_cau&nk={resident_id}&nc={}#r{resident_id}",
            need.step.code()
        ))
        .into_response(),
        Err(e) => error_page(Some(&user), e),
    }
}

/// The form that records a resident's consent (`lam=ghi`: the version of
/// the text they agreed to, and the text when the team has not recorded
/// that version before) or its withdrawal (`lam=rut`).
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct ConsentForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    lam: String,
    #[serde(default)]
    phien_ban: String,
    #[serde(default)]
    noi_dung: String,
}

/// `POST /nhan-khau/{resident_id}/dong-y`: the leader records that a
/// resident consents, or withdrew their consent, through the same use
/// cases as `PUT` and `DELETE /api/v1/residents/{id}/consent`, and the
/// household's page says so (303).
pub(super) async fn set_consent(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<ConsentForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or_default();
    if !form_sent_by_us(&headers, &user, form.csrf.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let done = async {
        let resident_id = parse_id("resident_id", &id).map_err(|ApiError(e)| e)?;
        // The leader's (a volunteer records consent through the API).
        let found =
            household_page::resident_rule(&state.store, &state.catalog, &user.actor, resident_id)
                .await?;
        let saved = if form.lam == "rut" {
            residents::withdraw_consent(&state.store, &user.actor, resident_id, state.now())
                .await?;
            "rut_dong_y"
        } else {
            let text = form.noi_dung.trim();
            residents::give_consent(
                &state.store,
                &user.actor,
                resident_id,
                &ConsentInput {
                    text_version: form.phien_ban.clone(),
                    text: (!text.is_empty()).then(|| text.to_owned()),
                },
                state.now(),
            )
            .await?;
            "dong_y"
        };
        Ok::<_, doorstep_service::error::ServiceError>((found.household.id, resident_id, saved))
    }
    .await;
    match done {
        Ok((household_id, resident_id, saved)) => Redirect::to(&format!(
            "/ho-dan/{household_id}?da_luu={saved}&nk={resident_id}#r{resident_id}"
        ))
        .into_response(),
        Err(e) => error_page(Some(&user), e),
    }
}
