//! Server-rendered pages: light, readable on a cheap phone over a weak
//! connection, no scripts or fonts from elsewhere. Vietnamese first, English
//! second.
//!
//! Pages come from askama templates (`templates/`), which escape every value;
//! no HTML is put together in strings here. Every page but the sign-in form
//! needs a session: without one, the browser is sent to `/dang-nhap`.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use doorstep_core::{NeedStatus, Presence, UserRole};
use doorstep_service::auth;
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::teams::{self, Household, PageRequest, TeamOverview};

use crate::auth::request_token;
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// Where pages send a browser that is not signed in.
const SIGN_IN: &str = "/dang-nhap";

/// The zone of pages that belong to no team.
const HOME_ZONE: &str = "Asia/Ho_Chi_Minh";

/// Households per page: a page stays small on a slow connection.
const PAGE_SIZE: u32 = 50;

/// Today in a team's zone, solar and lunar:
/// "Thứ Bảy 28/11/2026 · âm lịch 20/10 năm Bính Ngọ".
pub(crate) fn today_line(zone: &str, now: chrono::DateTime<Utc>) -> String {
    use chrono::Datelike;
    let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let date = now.with_timezone(&zone).date_naive();
    let weekday = [
        "Thứ Hai",
        "Thứ Ba",
        "Thứ Tư",
        "Thứ Năm",
        "Thứ Sáu",
        "Thứ Bảy",
        "Chủ Nhật",
    ][date.weekday().num_days_from_monday() as usize];
    let lunar = match doorstep_lunar::to_lunar(date) {
        Ok(l) => format!(
            " · âm lịch {}/{}{} năm {}",
            l.day,
            l.month,
            if l.leap { " nhuận" } else { "" },
            l.year_name()
        ),
        Err(_) => String::new(),
    };
    format!("{weekday} {}{lunar}", date.format("%d/%m/%Y"))
}

/// What every page shows on top.
struct Header {
    title: String,
    today: String,
    user: Option<SignedIn>,
}

/// Who is signed in, as the header shows it.
struct SignedIn {
    name: String,
    role_vi: &'static str,
    role_en: &'static str,
}

impl Header {
    fn new(title: impl Into<String>, zone: &str, user: Option<&CurrentUser>) -> Header {
        Header {
            title: title.into(),
            today: today_line(zone, Utc::now()),
            user: user.map(|u| SignedIn {
                name: u.user.display_name.clone(),
                role_vi: u.user.role.label_vi(),
                role_en: u.user.role.label_en(),
            }),
        }
    }
}

/// A message in both languages.
struct Message {
    vi: String,
    en: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    header: Header,
    message: Option<Message>,
    username: String,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    header: Header,
    teams: Vec<TeamOverview>,
    /// Whether the user runs the installation (and may load the demo).
    operator: bool,
}

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

impl From<Household> for HouseholdRow {
    fn from(h: Household) -> Self {
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
                    presence: r.presence.label_vi(),
                    country: r.country,
                    open_needs: r
                        .needs
                        .iter()
                        .filter(|n| n.status == NeedStatus::Open)
                        .map(|n| n.step.label_vi())
                        .collect(),
                    phone: r.phone,
                    availability: r.availability.and_then(|a| a.vi),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    header: Header,
    heading_vi: &'static str,
    heading_en: &'static str,
    vi: String,
    en: String,
    fields: Vec<FieldError>,
}

/// The page, or a plain internal error if the template fails.
fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError(ServiceError::Internal(format!("page template: {e}"))).into_response(),
    }
}

/// An error as a page, with the status the API would give it.
fn error_page(user: Option<&CurrentUser>, e: ServiceError) -> Response {
    let (vi, en) = (e.message(true), e.message(false));
    let fields = match &e {
        ServiceError::Invalid(fields) => fields.clone(),
        _ => Vec::new(),
    };
    // The API's mapping decides the status and logs internal errors.
    let status = ApiError(e).into_response().status();
    let (heading_vi, heading_en) = match status {
        StatusCode::NOT_FOUND => ("Không tìm thấy", "Not found"),
        StatusCode::UNPROCESSABLE_ENTITY => ("Yêu cầu không hợp lệ", "Invalid request"),
        StatusCode::FORBIDDEN => ("Không được phép", "Not allowed"),
        _ => ("Có lỗi", "Something went wrong"),
    };
    let page = ErrorPage {
        header: Header::new(heading_vi, HOME_ZONE, user),
        heading_vi,
        heading_en,
        vi,
        en,
        fields,
    };
    render(status, &page)
}

/// The signed-in user of a page; without a live session the browser is
/// sent to the sign-in form (303).
struct PageUser(CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(user) => Ok(PageUser(user)),
            Err(ApiError(ServiceError::Unauthorized(..))) => {
                Err(Redirect::to(SIGN_IN).into_response())
            }
            Err(ApiError(e)) => Err(error_page(None, e)),
        }
    }
}

/// `GET /`: the teams the user may see.
async fn home(State(state): State<AppState>, PageUser(user): PageUser) -> Response {
    match teams::list_teams(&state.store, &user.actor).await {
        Ok(found) => render(
            StatusCode::OK,
            &TeamsPage {
                header: Header::new("Các tổ / Teams", HOME_ZONE, Some(&user)),
                teams: found,
                operator: user.user.role == UserRole::Admin,
            },
        ),
        Err(e) => error_page(Some(&user), e),
    }
}

/// The query of a team page.
#[derive(Debug, Default, serde::Deserialize)]
struct TeamQuery {
    /// 1-based page of households.
    page: Option<String>,
}

/// `GET /teams/{team_id}`: one team's households, a page at a time.
async fn team(
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
    let found = teams::households(&state.store, &user.actor, id, page).await?;
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
    Ok(TeamPage {
        header: Header::new(team.name.clone(), &team.timezone, Some(user)),
        stats,
        page: found.page,
        pages,
        previous: (found.page > 1).then(|| found.page - 1),
        next: (u64::from(found.page) < pages).then(|| found.page + 1),
        households: found
            .households
            .into_iter()
            .map(HouseholdRow::from)
            .collect(),
        team,
    })
}

/// `GET /dang-nhap`: the sign-in form (a signed-in browser goes to `/`).
async fn sign_in_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = request_token(&headers)
        && auth::authenticate(&state.store, &token, Utc::now())
            .await
            .is_ok()
    {
        return Redirect::to("/").into_response();
    }
    login_page(StatusCode::OK, None, String::new())
}

fn login_page(status: StatusCode, message: Option<Message>, username: String) -> Response {
    render(
        status,
        &LoginPage {
            header: Header::new("Đăng nhập / Sign in", HOME_ZONE, None),
            message,
            username,
        },
    )
}

/// What the sign-in form sends.
#[derive(Debug, Default, serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /dang-nhap`: signs in and goes to `/`; a wrong password shows the
/// form again (401), too many attempts say how long to wait (429).
async fn sign_in(State(state): State<AppState>, request: Request) -> Response {
    let address = crate::auth::client_address(request.extensions());
    let form = match axum::Form::<LoginForm>::from_request(request, &state).await {
        Ok(axum::Form(form)) => form,
        Err(_) => LoginForm::default(),
    };
    let username = form.username.trim().to_owned();
    if username.is_empty() || form.password.is_empty() {
        return login_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Message {
                vi: "Hãy nhập tên đăng nhập và mật khẩu.".into(),
                en: "Enter your user name and password.".into(),
            }),
            username,
        );
    }
    let now = Utc::now();
    match auth::login(&state.store, &username, &form.password, &address, now).await {
        Ok(session) => {
            let max_age = (session.expires_at - now).num_seconds();
            let mut response = Redirect::to("/").into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                crate::auth::cookie(&session.token, max_age),
            );
            response
        }
        Err(e @ (ServiceError::Unauthorized(..) | ServiceError::TooManyAttempts(_))) => {
            let (status, retry) = match e {
                ServiceError::TooManyAttempts(seconds) => {
                    (StatusCode::TOO_MANY_REQUESTS, Some(seconds))
                }
                _ => (StatusCode::UNAUTHORIZED, None),
            };
            let message = Message {
                vi: e.message(true),
                en: e.message(false),
            };
            let mut response = login_page(status, Some(message), username);
            if let Some(seconds) = retry {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Err(e) => error_page(None, e),
    }
}

/// `POST /dang-xuat`: ends the session and goes back to the sign-in form.
async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = request_token(&headers)
        && let Err(e) = auth::logout(&state.store, &token, Utc::now()).await
    {
        return error_page(None, e);
    }
    let mut response = Redirect::to(SIGN_IN).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, crate::auth::cookie("", 0));
    response
}

pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/", get(home))
        .route("/teams/{team_id}", get(team))
        .route(SIGN_IN, get(sign_in_form).post(sign_in))
        .route("/dang-xuat", post(sign_out))
}

#[cfg(test)]
mod tests {
    use super::today_line;

    #[test]
    fn today_is_shown_solar_and_lunar_in_the_team_zone() {
        use chrono::TimeZone;
        // 17:30 UTC on 27 November is already the 28th in Vietnam.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 17, 30, 0)
            .unwrap();
        assert_eq!(
            today_line("Asia/Ho_Chi_Minh", now),
            "Thứ Bảy 28/11/2026 · âm lịch 20/10 năm Bính Ngọ"
        );
        assert!(today_line("Europe/Berlin", now).starts_with("Thứ Sáu 27/11/2026"));
    }
}
