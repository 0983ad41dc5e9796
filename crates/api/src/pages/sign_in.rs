//! The sign-in form, signing in and signing out.

use askama::Template;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_service::auth;
use doorstep_service::error::ServiceError;

use super::{
    HOME_ZONE, Header, Message, SIGN_IN, TokenForm, cookie_value, error_page, form_sent_by_us,
    render, stale_form, today_line,
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

/// `GET /dang-nhap`: the sign-in form (a signed-in browser goes to `/`),
/// with its own cookie and token.
pub(super) async fn sign_in_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = request_token(&headers)
        && auth::authenticate(&state.store, &token, state.now())
            .await
            .is_ok()
    {
        return Redirect::to("/").into_response();
    }
    login_page(&state, &headers, StatusCode::OK, None, String::new())
}

/// The sign-in form; the form's cookie is kept when the browser has one, so
/// that a form shown again still matches it.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    message: Option<Message>,
    username: String,
) -> Response {
    let secret = cookie_value(headers, FORM_COOKIE)
        .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(auth::new_secret);
    let mut header = Header::new("Đăng nhập / Sign in", HOME_ZONE, None);
    header.today = today_line(HOME_ZONE, state.now());
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
    let ours = cookie_value(&headers, FORM_COOKIE)
        .is_some_and(|secret| auth::form_token_matches(&secret, &form.csrf));
    if !ours {
        return login_page(
            &state,
            &headers,
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
            let mut response = login_page(&state, &headers, status, Some(message), username);
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
    if let Ok(user) = auth::authenticate(&state.store, &token, state.now()).await {
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
    response
}
