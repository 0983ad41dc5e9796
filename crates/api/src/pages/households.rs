//! A team's households for its leader: a search that ignores diacritics
//! and the filters (village, presence, need, need status) as one GET form,
//! the results a page at a time with the filters kept in the pager, each
//! household a link to its page. A volunteer sees only the households of
//! their own visits (the service reads only those).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use doorstep_core::{NeedStatus, NeedStep, Presence, UserRole};
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::household_page;
use doorstep_service::teams::{self, Household, HouseholdFilter, PageRequest};

use super::{Header, PageUser, error_page, render, tel_target};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// Households a page: a phone scrolls through a short list.
const PAGE_SIZE: u32 = 20;

/// The query of the register: the search, the filters and the page, named
/// as the API names them.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(super) struct RegisterQuery {
    q: Option<String>,
    village: Option<String>,
    presence: Option<String>,
    need: Option<String>,
    status: Option<String>,
    page: Option<String>,
}

impl RegisterQuery {
    /// The query of these filters at `page` (1 is left out), as a link.
    fn href(&self, team_id: i32, page: u32) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("q", &self.q),
            ("village", &self.village),
            ("presence", &self.presence),
            ("need", &self.need),
            ("status", &self.status),
        ] {
            if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                query.append_pair(key, value);
            }
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            format!("/teams/{team_id}/ho-dan")
        } else {
            format!("/teams/{team_id}/ho-dan?{query}")
        }
    }

    fn filtered(&self) -> bool {
        [
            &self.q,
            &self.village,
            &self.presence,
            &self.need,
            &self.status,
        ]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()))
    }
}

/// An option of a select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices<'a>(
    options: impl IntoIterator<Item = (String, &'a str)>,
    chosen: Option<&str>,
) -> Vec<Choice> {
    let chosen = chosen.map(str::trim).unwrap_or_default();
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: !chosen.is_empty() && value == chosen,
            label: label.to_owned(),
            value,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "households.html")]
struct RegisterPage {
    header: Header,
    team_name: String,
    action: String,
    q: String,
    villages: Vec<Choice>,
    presences: Vec<Choice>,
    needs: Vec<Choice>,
    statuses: Vec<Choice>,
    /// What is wrong with the filters, each naming its field.
    errors: Vec<FieldError>,
    /// Households found, in all.
    total: u64,
    filtered: bool,
    /// Only the households of the volunteer's own visits.
    own_visits_only: bool,
    households: Vec<HouseholdRow>,
    page: u32,
    pages: u64,
    previous: Option<String>,
    next: Option<String>,
}

struct HouseholdRow {
    href: String,
    key: String,
    address: String,
    village: String,
    residents: Vec<ResidentRow>,
}

struct ResidentRow {
    name: String,
    birth_year: Option<i32>,
    presence_code: &'static str,
    presence: &'static str,
    country: Option<String>,
    open_needs: Vec<&'static str>,
    phone: Option<String>,
    tel: Option<String>,
}

impl HouseholdRow {
    fn new(h: Household, en: bool) -> HouseholdRow {
        let label = |vi: &'static str, english: &'static str| if en { english } else { vi };
        HouseholdRow {
            href: format!("/ho-dan/{}", h.id),
            key: h.external_id,
            address: h.address,
            village: h.village.unwrap_or_default(),
            residents: h
                .residents
                .into_iter()
                .map(|r| ResidentRow {
                    name: r.full_name,
                    birth_year: r.birth_year,
                    presence_code: r.presence.code(),
                    presence: label(r.presence.label_vi(), r.presence.label_en()),
                    country: r.country.as_deref().map(|code| {
                        doorstep_core::find_country(code).map_or_else(
                            || code.to_owned(),
                            |c| label(c.name_vi, c.name_en).to_owned(),
                        )
                    }),
                    open_needs: r
                        .needs
                        .iter()
                        .filter(|n| n.status == NeedStatus::Open)
                        .map(|n| label(n.step.label_vi(), n.step.label_en()))
                        .collect(),
                    tel: r.phone.as_deref().and_then(tel_target),
                    phone: r.phone,
                })
                .collect(),
        }
    }
}

/// `GET /teams/{team_id}/ho-dan`: the team's households, searched and
/// filtered, a page at a time. A filter that does not read answers 422
/// with the form as it was sent and each bad field named.
pub(super) async fn households(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<RegisterQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    match register_page(&state, &user, &id, query).await {
        Ok((status, page)) => render(status, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn register_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    query: RegisterQuery,
) -> Result<(StatusCode, RegisterPage), ApiError> {
    let team_id = parse_id("team_id", id)?;
    let team = teams::team(&state.store, &user.actor, team_id).await?;
    let villages = household_page::team_villages(&state.store, &user.actor, team_id).await?;
    let header = Header::new(
        (
            &format!("Hộ dân · {}", team.name),
            &format!("Households · {}", team.name),
        ),
        &team.timezone,
        Some(user),
    );
    let en = header.en;
    let label = |vi: &'static str, english: &'static str| if en { english } else { vi };
    // Both the filters and the page are read, so that every bad field is
    // named at once.
    let filter = HouseholdFilter::parse(
        query.q.as_deref(),
        query.village.as_deref(),
        query.need.as_deref(),
        query.presence.as_deref(),
        query.status.as_deref(),
    );
    let asked = PageRequest::parse(query.page.as_deref(), None);
    let mut errors = Vec::new();
    let filter = match filter {
        Ok(filter) => Some(filter),
        Err(ServiceError::Invalid(fields)) => {
            errors.extend(fields);
            None
        }
        Err(e) => return Err(ApiError(e)),
    };
    let asked = match asked {
        Ok(asked) => Some(asked),
        Err(ServiceError::Invalid(fields)) => {
            errors.extend(fields);
            None
        }
        Err(e) => return Err(ApiError(e)),
    };
    let mut page = RegisterPage {
        team_name: team.name.clone(),
        action: format!("/teams/{team_id}/ho-dan"),
        q: query.q.clone().unwrap_or_default(),
        villages: choices(
            villages
                .iter()
                .map(|(id, name)| (id.to_string(), name.as_str())),
            query.village.as_deref(),
        ),
        presences: choices(
            Presence::ALL
                .iter()
                .map(|p| (p.code().to_owned(), label(p.label_vi(), p.label_en()))),
            query.presence.as_deref(),
        ),
        needs: choices(
            NeedStep::ALL
                .iter()
                .map(|n| (n.code().to_owned(), label(n.label_vi(), n.label_en()))),
            query.need.as_deref(),
        ),
        statuses: choices(
            NeedStatus::ALL
                .iter()
                .map(|s| (s.code().to_owned(), label(s.label_vi(), s.label_en()))),
            query.status.as_deref(),
        ),
        errors,
        total: 0,
        filtered: query.filtered(),
        own_visits_only: user.actor.role == UserRole::Volunteer,
        households: Vec::new(),
        page: 1,
        pages: 1,
        previous: None,
        next: None,
        header,
    };
    let (Some(filter), Some(asked)) = (filter, asked) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page));
    };
    let found = teams::households(
        &state.store,
        &user.actor,
        team_id,
        PageRequest::new(asked.page(), PAGE_SIZE)?,
        &filter,
        state.now(),
    )
    .await?;
    let pages = found.pages();
    page.total = found.total;
    page.page = found.page;
    page.pages = pages;
    page.previous = (found.page > 1).then(|| query.href(team_id, found.page - 1));
    page.next = (u64::from(found.page) < pages).then(|| query.href(team_id, found.page + 1));
    page.households = found
        .households
        .into_iter()
        .map(|h| HouseholdRow::new(h, en))
        .collect();
    Ok((StatusCode::OK, page))
}
