//! Sign-in for the API and the pages: `POST /api/v1/auth/login` answers a
//! bearer token and sets an HttpOnly, SameSite session cookie with the same
//! token; `POST /api/v1/auth/logout` revokes it. [`CurrentUser`] reads the
//! `Authorization: Bearer` header or the cookie on every other request.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use doorstep_service::access::Actor;
use doorstep_service::auth::{self, UserInfo};
use doorstep_service::error::ServiceError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, JsonBody, Problem};

/// The session cookie's name.
pub const COOKIE: &str = "doorstep_session";

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    /// Who.
    pub user: UserInfo,
    /// What they may do.
    pub actor: Actor,
    /// The token the request came with.
    pub token: String,
    /// The time of the request, by the application's clock.
    pub now: chrono::DateTime<chrono::Utc>,
}

/// The token of a request: the bearer token, else the session cookie.
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
    {
        return Some(token.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE && !value.is_empty()).then(|| value.to_owned())
        })
}

fn sign_in_needed() -> ApiError {
    ApiError(ServiceError::Unauthorized(
        "cần đăng nhập".into(),
        "sign-in required".into(),
    ))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let token = request_token(&parts.headers).ok_or_else(sign_in_needed)?;
        let now = state.now();
        let user = auth::authenticate(&state.store, &token, now).await?;
        let current = CurrentUser {
            actor: user.actor(),
            user,
            token,
            now,
        };
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

/// The address a request came from, as the rate limit counts it.
pub(crate) fn client_address(parts_extensions: &axum::http::Extensions) -> String {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// A sign-in request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Sign-in name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A signed-in session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send it as `Authorization: Bearer TOKEN`; shown once.
    pub token: String,
    /// When it stops working (RFC 3339).
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub user: UserView,
}

/// A user as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: i32,
    /// Sign-in name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// `admin`, `official`, `leader` or `volunteer`.
    pub role: String,
    /// The team of a leader or volunteer.
    pub team_id: Option<i32>,
    /// The area of an official.
    pub area_id: Option<i32>,
    /// The member record of a leader or volunteer.
    pub member_id: Option<i32>,
}

impl From<&UserInfo> for UserView {
    fn from(u: &UserInfo) -> Self {
        UserView {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.code().to_owned(),
            team_id: u.team_id,
            area_id: u.area_id,
            member_id: u.member_id,
        }
    }
}

/// The session cookie: HttpOnly, SameSite=Lax, the whole site; `Secure`
/// when the service is reached over HTTPS (`server.secure_cookie`).
pub(crate) fn cookie(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    ))
    .expect("tokens are hexadecimal")
}

/// Signs in.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; also sets the session cookie", body = LoginResponse),
        (status = 401, description = "Wrong user name or password", body = Problem),
        (status = 413, description = "Body over 2 MB", body = Problem),
        (status = 415, description = "Not sent as application/json", body = Problem),
        (status = 422, description = "Malformed body", body = Problem),
        (status = 429, description = "Too many failed sign-ins; see Retry-After", body = Problem),
    ))]
pub async fn login(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let address = client_address(request.extensions());
    let body = match <JsonBody<LoginRequest> as axum::extract::FromRequest<AppState>>::from_request(
        request, &state,
    )
    .await
    {
        Ok(JsonBody(body)) => body,
        Err(refused) => return refused,
    };
    let now = state.now();
    let session =
        match auth::login(&state.store, &body.username, &body.password, &address, now).await {
            Ok(session) => session,
            Err(e) => return ApiError(e).into_response(),
        };
    let max_age = (session.expires_at - now).num_seconds();
    let mut response = Json(LoginResponse {
        expires_at: session.expires_at,
        user: UserView::from(&session.user),
        token: session.token.clone(),
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&session.token, max_age, state.secure_cookie),
    );
    response
}

/// Signs out: the token (and cookie) stop working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    auth::logout(&state.store, &user.token, state.now()).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie("", 0, state.secure_cookie));
    Ok(response)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses(
        (status = 200, description = "Who is signed in", body = UserView),
        (status = 401, description = "Not signed in", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn me(user: CurrentUser) -> Json<UserView> {
    Json(UserView::from(&user.user))
}

/// The sign-in routes.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}
