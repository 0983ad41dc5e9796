//! A team's page: its figures and households.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use doorstep_core::{NeedStatus, Presence};
use doorstep_service::teams::{self, Household, PageRequest, TeamOverview};

use super::{Header, PageUser, error_page, render};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// Households per page: a page stays small on a slow connection.
const PAGE_SIZE: u32 = 50;

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    header: Header,
    team: TeamOverview,
    stats: Vec<Stat>,
    households: Vec<HouseholdRow>,
    page: u32,
    pages: u64,
    previous: Option<u32>,
    next: Option<u32>,
}

struct Stat {
    value: u64,
    vi: &'static str,
    en: &'static str,
}

struct HouseholdRow {
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
    availability: Option<String>,
}

impl HouseholdRow {
    /// A household as the page lists it, in the page's language.
    fn new(h: Household, en: bool) -> Self {
        HouseholdRow {
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
                    presence: if en {
                        r.presence.label_en()
                    } else {
                        r.presence.label_vi()
                    },
                    country: r.country,
                    open_needs: r
                        .needs
                        .iter()
                        .filter(|n| n.status == NeedStatus::Open)
                        .map(|n| {
                            if en {
                                n.step.label_en()
                            } else {
                                n.step.label_vi()
                            }
                        })
                        .collect(),
                    phone: r.phone,
                    availability: r.availability.and_then(|a| if en { a.en } else { a.vi }),
                })
                .collect(),
        }
    }
}

/// The query of a team page.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct TeamQuery {
    /// 1-based page of households.
    page: Option<String>,
}

/// `GET /teams/{team_id}`: one team's households, a page at a time.
pub(super) async fn team(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<TeamQuery>, QueryRejection>,
) -> Response {
    match team_page(&state, &user, &id, query.map(|q| q.0).unwrap_or_default()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn team_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    query: TeamQuery,
) -> Result<TeamPage, ApiError> {
    let id = parse_id("team_id", id)?;
    let asked = PageRequest::parse(query.page.as_deref(), None)?;
    let page = PageRequest::new(asked.page(), PAGE_SIZE)?;
    let team = teams::team(&state.store, &user.actor, id).await?;
    let found = teams::households(
        &state.store,
        &user.actor,
        id,
        page,
        &teams::HouseholdFilter::default(),
        state.now(),
    )
    .await?;
    let pages = found.pages();
    let counts = &team.counts;
    let presence = |p: Presence| counts.presence.get(&p).copied().unwrap_or(0);
    let stats = vec![
        Stat {
            value: counts.households,
            vi: "hộ",
            en: "households",
        },
        Stat {
            value: counts.residents,
            vi: "người",
            en: "residents",
        },
        Stat {
            value: counts.households_with_open_needs,
            vi: "hộ còn nhu cầu",
            en: "households with open needs",
        },
        Stat {
            value: presence(Presence::AtSea),
            vi: "người đi biển",
            en: "at sea",
        },
        Stat {
            value: presence(Presence::Abroad),
            vi: "người ở nước ngoài",
            en: "abroad",
        },
    ];
    let header = Header::new((&team.name, &team.name), &team.timezone, Some(user));
    let en = header.en;
    Ok(TeamPage {
        header,
        stats,
        page: found.page,
        pages,
        previous: (found.page > 1).then(|| found.page - 1),
        next: (u64::from(found.page) < pages).then(|| found.page + 1),
        households: found
            .households
            .into_iter()
            .map(|h| HouseholdRow::new(h, en))
            .collect(),
        team,
    })
}
