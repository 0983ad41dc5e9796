//! The sign-in form, signing in and signing out.

use askama::Template;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_core::{Language, Vocabulary};
use doorstep_service::auth;
use doorstep_service::error::ServiceError;

use super::{
    HOME_ZONE, Header, LANGUAGE_COOKIE, Message, PageUser, SIGN_IN, TokenForm, cookie_value,
    error_page, form_sent_by_us, render, stale_form, today_line,
};
use crate::auth::request_token;
use crate::{AppState, CurrentUser};

/// The sign-in form's own cookie: a random secret set with the form, whose
/// token the form sends back (no session exists yet to bind it to).
const FORM_COOKIE: &str = "doorstep_form";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    header: Header,
    message: Option<Message>,
    username: String,
}

/// The sign-in page's query: `?lang=en` switches the page (and keeps the
/// choice in a cookie).
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct LanguageQuery {
    lang: Option<String>,
}

/// The language a signed-out browser chose, if any.
fn browser_language(headers: &HeaderMap) -> Option<Language> {
    cookie_value(headers, LANGUAGE_COOKIE).and_then(|code| Language::from_code(&code))
}

/// The cookie that keeps a signed-out browser's language for a year.
fn language_cookie(language: Language, secure: bool) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{LANGUAGE_COOKIE}={}; SameSite=Lax; Path=/; Max-Age=31536000{}",
        language.code(),
        if secure { "; Secure" } else { "" }
    ))
    .ok()
}

/// `GET /dang-nhap`: the sign-in form (a signed-in browser goes to `/`),
/// with its own cookie and token, in the browser's language.
pub(super) async fn sign_in_form(
    State(state): State<AppState>,
    Query(query): Query<LanguageQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = request_token(&headers)
        && auth::authenticate(&state.store, &token, state.now())
            .await
            .is_ok()
    {
        return Redirect::to("/").into_response();
    }
    let chosen = query.lang.as_deref().and_then(Language::from_code);
    let language = chosen.or_else(|| browser_language(&headers));
    let mut response = login_page(
        &state,
        &headers,
        language == Some(Language::En),
        StatusCode::OK,
        None,
        String::new(),
    );
    if let Some(value) = chosen.and_then(|l| language_cookie(l, state.secure_cookie)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// What the language switch sends.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct LanguageForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    lang: String,
}

/// `POST /ngon-ngu`: the signed-in user's pages (and a member's messages)
/// from now on in the language sent; back to the page it was sent from.
pub(super) async fn switch_language(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LanguageForm>,
) -> Response {
    if !form_sent_by_us(&headers, &user, form.csrf.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let Some(language) = Language::from_code(form.lang.trim()) else {
        return error_page(
            Some(&user),
            ServiceError::Invalid(vec![doorstep_service::error::FieldError::new(
                "lang",
                format!("ngôn ngữ phải là vi hoặc en, nhận {:?}", form.lang),
                format!("lang must be vi or en, got {:?}", form.lang),
            )]),
        );
    };
    if let Err(e) = auth::set_language(&state.store, &user.user, language).await {
        return error_page(Some(&user), e);
    }
    let mut response = Redirect::to(&back_here(&headers)).into_response();
    if let Some(value) = language_cookie(language, state.secure_cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The path of the page a form was sent from (its `Referer`, when it is one
/// of doorstep's own pages), or `/`.
fn back_here(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|r| {
            host.is_some_and(|host| {
                let port = r.port().map(|p| format!(":{p}")).unwrap_or_default();
                r.host_str()
                    .is_some_and(|h| format!("{h}{port}").eq_ignore_ascii_case(host))
            })
        })
        .map(|r| match r.query() {
            Some(q) => format!("{}?{q}", r.path()),
            None => r.path().to_owned(),
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned())
}

/// The sign-in form; the form's cookie is kept when the browser has one, so
/// that a form shown again still matches it.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    en: bool,
    status: StatusCode,
    message: Option<Message>,
    username: String,
) -> Response {
    let secret = cookie_value(headers, FORM_COOKIE)
        .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(auth::new_secret);
    let mut header = Header::new(("Đăng nhập", "Sign in"), HOME_ZONE, None);
    header.en = en;
    header.title = header.t("Đăng nhập", "Sign in").to_owned();
    header.today = today_line(HOME_ZONE, state.now(), en);
    header.csrf = auth::form_token(&secret);
    let mut response = render(
        status,
        &LoginPage {
            header,
            message,
            username,
        },
    );
    let cookie = format!(
        "{FORM_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path={SIGN_IN}; Max-Age=43200{}",
        if state.secure_cookie { "; Secure" } else { "" }
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// What the sign-in form sends.
#[derive(Debug, Default, serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /dang-nhap`: signs in and goes to `/`; a wrong password shows the
/// form again (401), too many attempts say how long to wait (429), a form
/// that did not come with its cookie is shown again to be sent anew (403).
pub(super) async fn sign_in(State(state): State<AppState>, request: Request) -> Response {
    let address = crate::auth::client_address(request.extensions());
    let headers = request.headers().clone();
    let form = match axum::Form::<LoginForm>::from_request(request, &state).await {
        Ok(axum::Form(form)) => form,
        Err(_) => LoginForm::default(),
    };
    let username = form.username.trim().to_owned();
    let en = browser_language(&headers) == Some(Language::En);
    let ours = cookie_value(&headers, FORM_COOKIE)
        .is_some_and(|secret| auth::form_token_matches(&secret, &form.csrf));
    if !ours {
        return login_page(
            &state,
            &headers,
            en,
            StatusCode::FORBIDDEN,
            Some(Message {
                vi: "Biểu mẫu đã cũ hoặc không đến từ trang của doorstep; hãy đăng nhập lại ở đây."
                    .into(),
                en: "The form was stale or did not come from a doorstep page; sign in again here."
                    .into(),
            }),
            username,
        );
    }
    if username.is_empty() || form.password.is_empty() {
        return login_page(
            &state,
            &headers,
            en,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Message {
                vi: "Hãy nhập tên đăng nhập và mật khẩu.".into(),
                en: "Enter your user name and password.".into(),
            }),
            username,
        );
    }
    let now = state.now();
    match auth::login(&state.store, &username, &form.password, &address, now).await {
        Ok(session) => {
            let max_age = (session.expires_at - now).num_seconds();
            let mut response = Redirect::to("/").into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                crate::auth::cookie(&session.token, max_age, state.secure_cookie),
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
            let mut response = login_page(&state, &headers, en, status, Some(message), username);
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
pub(super) async fn sign_out(State(state): State<AppState>, request: Request) -> Response {
    let headers = request.headers().clone();
    let Some(token) = request_token(&headers) else {
        return Redirect::to(SIGN_IN).into_response();
    };
    let form = match axum::Form::<TokenForm>::from_request(request, &state).await {
        Ok(axum::Form(form)) => form,
        Err(_) => TokenForm::default(),
    };
    let mut language = None;
    if let Ok(user) = auth::authenticate(&state.store, &token, state.now()).await {
        language = Some(user.language);
        let current = CurrentUser {
            actor: user.actor(),
            user,
            token: token.clone(),
            now: state.now(),
        };
        if !form_sent_by_us(&headers, &current, form.csrf.as_deref()) {
            return error_page(Some(&current), stale_form());
        }
        if let Err(e) = auth::logout(&state.store, &token, state.now()).await {
            return error_page(None, e);
        }
    }
    let mut response = Redirect::to(SIGN_IN).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        crate::auth::cookie("", 0, state.secure_cookie),
    );
    // The lists the offline layer kept (Cache Storage, the outbox, the
    // service worker) go with the session; app.js has sent or shown what
    // was waiting before the form came here.
    response.headers_mut().insert(
        axum::http::HeaderName::from_static("clear-site-data"),
        axum::http::HeaderValue::from_static("\"cache\", \"storage\""),
    );
    // The sign-in page stays in the language the user read.
    if let Some(value) = language.and_then(|l| language_cookie(l, state.secure_cookie)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
