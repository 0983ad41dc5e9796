//! The home page: the teams a user may see.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_core::UserRole;
use doorstep_service::teams::{self, TeamOverview};

use super::{HOME_ZONE, Header, MY_DAY, PageUser, error_page, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    header: Header,
    teams: Vec<TeamOverview>,
    /// Whether the user runs the installation (and may load the demo).
    operator: bool,
    /// A leader's own team: its calendar comes first.
    lead_team: Option<i32>,
    /// Whether the user has visits of their own.
    member: bool,
    /// An official's area: its coverage comes first.
    official_area: Option<i32>,
}

/// `GET /`: where each role starts. A volunteer goes straight to their
/// visits of today; a leader sees their team's calendar first, then the
/// teams; an official and an administrator see the teams they may audit.
pub(super) async fn home(State(state): State<AppState>, PageUser(user): PageUser) -> Response {
    if user.user.role == UserRole::Volunteer && user.actor.member_id.is_some() {
        return Redirect::to(MY_DAY).into_response();
    }
    match teams::list_teams(&state.store, &user.actor).await {
        Ok(found) => render(
            StatusCode::OK,
            &TeamsPage {
                header: Header::new(("Các tổ", "Teams"), HOME_ZONE, Some(&user)),
                teams: found,
                operator: user.user.role == UserRole::Admin,
                lead_team: user
                    .actor
                    .team_id
                    .filter(|_| user.user.role == UserRole::Leader),
                member: user.actor.member_id.is_some(),
                official_area: user
                    .actor
                    .area_id
                    .filter(|_| user.user.role == UserRole::Official),
            },
        ),
        Err(e) => error_page(Some(&user), e),
    }
}
