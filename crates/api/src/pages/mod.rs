//! Server-rendered pages: light, readable on a cheap phone over a weak
//! connection, no scripts or fonts from elsewhere. Vietnamese first, English
//! second.
//!
//! Pages come from askama templates (`templates/`), which escape every value;
//! no HTML is put together in strings here. Every page but the sign-in form
//! needs a session: without one, the browser is sent to `/dang-nhap`.

mod calendar;
mod day;
mod outcome;
mod oversight;
mod phone;
mod publish;
mod sign_in;
mod team;
mod teams;
// A leader's team: members, blackouts, the register.
mod team_blackouts;
mod team_members;
mod team_register;
mod team_tide;
// A leader's planning: plans, visits, routes.
mod plan;
mod route;
mod visit;

// The leader's households: the register, one household, a resident's availability.
mod availability;
mod household;
mod households;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use doorstep_core::{Language, UserRole, VisitMode};
use doorstep_service::auth;
use doorstep_service::daylist;
use doorstep_service::error::{FieldError, ServiceError};

use crate::{ApiError, AppState, CurrentUser};

/// Where pages send a browser that is not signed in.
const SIGN_IN: &str = "/dang-nhap";

/// The zone of pages that belong to no team.
const HOME_ZONE: &str = "Asia/Ho_Chi_Minh";

/// The signed-in member's own visits of a day.
const MY_DAY: &str = "/lich-cua-toi";

/// The signed-in member's calendar feed, with its QR code.
const PHONE_CALENDAR: &str = "/lich-cua-toi/dien-thoai";

/// Today in a team's zone, solar and lunar, in the page's language:
/// "Thứ Bảy 28/11/2026 · âm lịch 20/10 năm Bính Ngọ", or "Saturday
/// 28/11/2026 · lunar 20/10, year Bính Ngọ".
pub(crate) fn today_line(zone: &str, now: chrono::DateTime<Utc>, en: bool) -> String {
    use chrono::Datelike;
    let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let date = now.with_timezone(&zone).date_naive();
    let (weekday, lunar_words, leap, year) = if en {
        let weekday = doorstep_core::words::weekday_en(date.weekday());
        (weekday, "lunar", " (leap)", ", year")
    } else {
        let weekday = doorstep_core::words::weekday_vi(date.weekday());
        (weekday, "âm lịch", " nhuận", " năm")
    };
    let lunar = doorstep_lunar::to_lunar(date).map_or(String::new(), |l| {
        format!(
            " · {lunar_words} {}/{}{}{year} {}",
            l.day,
            l.month,
            if l.leap { leap } else { "" },
            l.year_name()
        )
    });
    format!("{weekday} {}{lunar}", date.format("%d/%m/%Y"))
}

/// The cookie that keeps a signed-out browser's language (the sign-in page).
const LANGUAGE_COOKIE: &str = "doorstep_lang";

/// What every page shows on top. Pages are in one language at a time: the
/// user's (Vietnamese unless they switched), or before signing in the
/// browser's choice on the sign-in page.
struct Header {
    title: String,
    today: String,
    user: Option<SignedIn>,
    /// The token the page's forms carry (see [`form_sent_by_us`]).
    csrf: String,
    /// The page is in English.
    en: bool,
    /// Names the session's offline copies (a hash of the form token, no
    /// secret): the service worker keeps the lists of this session only.
    cache_id: String,
}

/// Who is signed in, as the header shows it, with the links of their role.
struct SignedIn {
    name: String,
    role: &'static str,
    /// The member record: "my visits" is theirs.
    member: bool,
    /// The team of a leader or volunteer: its calendar and households.
    team_id: Option<i32>,
    /// An official or administrator: the audit pages.
    auditor: bool,
    /// An official's area: its coverage and unmet households.
    area_id: Option<i32>,
}

impl Header {
    /// The header of a signed-in user's page, in their language.
    fn new(title: (&str, &str), zone: &str, user: Option<&CurrentUser>) -> Header {
        let en = user.is_some_and(|u| u.user.language == Language::En);
        Header {
            title: if en { title.1 } else { title.0 }.to_owned(),
            today: user
                .map(|u| today_line(zone, u.now, en))
                .unwrap_or_default(),
            csrf: user.map(|u| auth::form_token(&u.token)).unwrap_or_default(),
            cache_id: user
                .map(|u| auth::form_token(&auth::form_token(&u.token))[..24].to_owned())
                .unwrap_or_default(),
            user: user.map(|u| SignedIn {
                name: u.user.display_name.clone(),
                role: if en {
                    u.user.role.label_en()
                } else {
                    u.user.role.label_vi()
                },
                member: u.actor.member_id.is_some(),
                team_id: u.actor.team_id,
                auditor: matches!(u.user.role, UserRole::Official | UserRole::Admin),
                area_id: u
                    .actor
                    .area_id
                    .filter(|_| u.user.role == UserRole::Official),
            }),
            en,
        }
    }

    /// The text in the page's language.
    fn t<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        if self.en { en } else { vi }
    }

    /// The page's language as HTML's `lang` says it.
    fn lang(&self) -> &'static str {
        if self.en { "en" } else { "vi" }
    }

    /// The other language, as its own name says it, and its code.
    fn other_language(&self) -> (&'static str, &'static str) {
        if self.en {
            ("Tiếng Việt", "vi")
        } else {
            ("English", "en")
        }
    }
}

/// A message in both languages.
struct Message {
    vi: String,
    en: String,
}

/// Whether a form of a signed-in page came from one of doorstep's own pages:
/// it carries the token of the session it is sent with. A request signed
/// with a bearer token is no browser's form and needs none.
fn form_sent_by_us(headers: &HeaderMap, user: &CurrentUser, sent: Option<&str>) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    bearer || sent.is_some_and(|sent| auth::form_token_matches(&user.token, sent))
}

/// The refusal of a form without its page's token.
fn stale_form() -> ServiceError {
    ServiceError::Forbidden(
        "biểu mẫu đã cũ hoặc không đến từ trang của doorstep: hãy tải lại trang rồi thử lại".into(),
        "the form is stale or did not come from a doorstep page: reload the page and try again"
            .into(),
    )
}

/// The value of cookie `name`, if the request carries it.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name && !value.is_empty()).then(|| value.to_owned())
        })
}

/// A form with nothing in it but its token.
#[derive(Debug, Default, serde::Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: Option<String>,
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
        StatusCode::SERVICE_UNAVAILABLE => ("Tạm thời gián đoạn", "Unavailable for the moment"),
        StatusCode::INSUFFICIENT_STORAGE => ("Đĩa đã đầy", "The disk is full"),
        _ => ("Có lỗi", "Something went wrong"),
    };
    let page = ErrorPage {
        header: Header::new((heading_vi, heading_en), HOME_ZONE, user),
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

/// The problem of a form's field among `errors` (field, Vietnamese,
/// English), in the page's language.
fn field_error<'a>(
    errors: &'a [(String, String, String)],
    field: &str,
    en: bool,
) -> Option<&'a str> {
    errors
        .iter()
        .find(|(f, _, _)| f == field)
        .map(|(_, vi, english)| if en { english.as_str() } else { vi.as_str() })
}

/// Reads an optional `YYYY-MM-DD` date of a page's query; an error names the
/// query's own field (`tu`, `ngay`).
fn query_date(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>, ServiceError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => daylist::parse_date(text).map(Some).map_err(|e| match e {
            ServiceError::Invalid(errors) => ServiceError::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError {
                        field: field.to_owned(),
                        ..e
                    })
                    .collect(),
            ),
            other => other,
        }),
    }
}

/// "01/12 – 07/12/2026", or with both years when they differ.
fn date_range(first: NaiveDate, last: NaiveDate) -> String {
    use chrono::Datelike;
    if first.year() == last.year() {
        format!("{} – {}", first.format("%d/%m"), last.format("%d/%m/%Y"))
    } else {
        format!("{} – {}", first.format("%d/%m/%Y"), last.format("%d/%m/%Y"))
    }
}

/// How a visit happens, in the volunteers' words.
fn mode_words(mode: VisitMode) -> (&'static str, &'static str) {
    match mode {
        VisitMode::InPerson => ("Đến nhà", "In person"),
        VisitMode::Remote => ("Gọi video", "Video call"),
    }
}

/// A phone number as a `tel:` target: digits and a leading `+` only.
fn tel_target(phone: &str) -> Option<String> {
    let target: String = phone
        .trim()
        .chars()
        .enumerate()
        .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect();
    target.chars().any(|c| c.is_ascii_digit()).then_some(target)
}

/// A `geo:` URI (RFC 5870) with the point also as the query Android's map
/// apps pin; no map site is involved.
fn geo_target(lat: f64, lon: f64) -> String {
    format!("geo:{lat:.6},{lon:.6}?q={lat:.6},{lon:.6}")
}

/// Why a `multipart/form-data` form could not be read.
pub(super) enum Unread {
    /// A file over its limit.
    TooLarge,
    /// Not a form of this page.
    Bad(String),
}

/// Reads a `multipart/form-data` form field by field: a field named in
/// `files` holds at most `file_limit` bytes (more is [`Unread::TooLarge`]),
/// any other 1 KiB. Each field goes to `take` (name, file name, bytes) as
/// soon as it is read, so what was read before a problem is kept (a page's
/// token comes first).
pub(super) async fn read_multipart(
    multipart: &mut axum::extract::Multipart,
    files: &[&str],
    file_limit: usize,
    mut take: impl FnMut(&str, Option<String>, Vec<u8>),
) -> Result<(), Unread> {
    let unread = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Unread::TooLarge
        } else {
            Unread::Bad(e.body_text())
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(unread)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file = files.contains(&name.as_str());
        let limit = if file { file_limit } else { 1024 };
        let file_name = field
            .file_name()
            .map(|f| f.chars().take(200).collect::<String>());
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unread)? {
            if bytes.len() + chunk.len() > limit {
                return Err(if file {
                    Unread::TooLarge
                } else {
                    Unread::Bad(format!("field {name} is too long"))
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        take(&name, file_name, bytes);
    }
    Ok(())
}

pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/", get(teams::home))
        .route("/teams/{team_id}", get(team::team))
        .route("/teams/{team_id}/lich", get(calendar::calendar))
        .route(MY_DAY, get(day::my_day))
        .route(PHONE_CALENDAR, get(phone::phone_calendar))
        .route("/members/{member_id}/ngay", get(day::member_day))
        .route(
            "/plans/{plan_id}/cong-bo",
            get(publish::confirm).post(publish::publish),
        )
        .route("/visits/{visit_id}/ket-qua", post(outcome::record_outcome))
        .route("/vung/{area_id}", get(oversight::coverage))
        .route("/vung/{area_id}/chua-tham", get(oversight::unmet))
        .route("/vung/{area_id}/chua-tham.csv", get(oversight::unmet_csv))
        .route("/vung/{area_id}/chua-tham.xlsx", get(oversight::unmet_xlsx))
        .route("/nhat-ky", get(oversight::audit))
        .route("/teams/{team_id}/thanh-vien", get(team_members::members))
        .route(
            "/thanh-vien/{member_id}",
            get(team_members::edit_form).post(team_members::save),
        )
        .route(
            "/teams/{team_id}/ngay-nghi",
            get(team_blackouts::list).post(team_blackouts::add),
        )
        .route(
            "/teams/{team_id}/ngay-nghi/{blackout_id}/xoa",
            get(team_blackouts::confirm_delete).post(team_blackouts::delete),
        )
        .route(
            "/teams/{team_id}/nhap-so",
            get(team_register::form).post(team_register::upload).layer(
                axum::extract::DefaultBodyLimit::max(
                    team_register::PAGE_UPLOAD + team_register::FORM_OVERHEAD,
                ),
            ),
        )
        .route("/teams/{team_id}/so-ho.csv", get(team_register::export))
        .route(
            "/teams/{team_id}/thuy-trieu",
            get(team_tide::tide)
                .post(team_tide::fit)
                .layer(axum::extract::DefaultBodyLimit::max(team_tide::PAGE_UPLOAD)),
        )
        .route(
            "/teams/{team_id}/thuy-trieu/{station_id}",
            get(team_tide::station),
        )
        .route(
            "/teams/{team_id}/thuy-trieu/{station_id}/dung",
            post(team_tide::adopt),
        )
        .route(SIGN_IN, get(sign_in::sign_in_form).post(sign_in::sign_in))
        .route("/dang-xuat", post(sign_in::sign_out))
        .route("/ngon-ngu", post(sign_in::switch_language))
        // The leader's households.
        .route("/teams/{team_id}/ho-dan", get(households::households))
        .route("/ho-dan/{household_id}", get(household::household))
        .route(
            "/nhan-khau/{resident_id}/nhu-cau",
            post(household::set_need),
        )
        .route(
            "/nhan-khau/{resident_id}/dong-y",
            post(household::set_consent),
        )
        .route(
            "/nhan-khau/{resident_id}/lich-ranh",
            get(availability::editor).post(availability::submit),
        )
        // A leader's planning: plans, visits, routes.
        .route("/plans/{plan_id}", get(plan::plan))
        .route(
            "/teams/{team_id}/lap-lich",
            get(plan::plan_form).post(plan::make_plan),
        )
        .route("/teams/{team_id}/lap-lai-lich", post(plan::replan))
        .route(
            "/visits/{visit_id}/sua",
            get(visit::edit_form).post(visit::edit),
        )
        .route("/members/{member_id}/ngay/duong-di", get(route::day_route))
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
            today_line("Asia/Ho_Chi_Minh", now, false),
            "Thứ Bảy 28/11/2026 · âm lịch 20/10 năm Bính Ngọ"
        );
        assert_eq!(
            today_line("Asia/Ho_Chi_Minh", now, true),
            "Saturday 28/11/2026 · lunar 20/10, year Bính Ngọ"
        );
        assert!(today_line("Europe/Berlin", now, false).starts_with("Thứ Sáu 27/11/2026"));
    }
}
