//! Publishing a draft from the calendar.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_service::planning;

use super::calendar::calendar_href;
use super::{PageUser, TokenForm, error_page, form_sent_by_us, query_date, stale_form};
use crate::error::parse_id;
use crate::{ApiError, AppState};

/// The query of the publish form: the week to come back to.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct PublishQuery {
    tu: Option<String>,
}

/// `POST /plans/{plan_id}/cong-bo`: publishes a draft from the calendar and
/// goes back to the same week of the team's calendar (303).
pub(super) async fn publish(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<PublishQuery>, QueryRejection>,
    headers: HeaderMap,
    form: Result<axum::Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let sent = form.ok().and_then(|f| f.0.csrf);
    if !form_sent_by_us(&headers, &user, sent.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let plan_id = match parse_id("plan_id", &id) {
        Ok(plan_id) => plan_id,
        Err(ApiError(e)) => return error_page(Some(&user), e),
    };
    match planning::publish(&state.store, &user.actor, plan_id, state.now()).await {
        Ok(plan) => {
            let from = query
                .ok()
                .and_then(|q| query_date("tu", q.0.tu.as_deref()).ok().flatten())
                .unwrap_or(plan.plan.start_date);
            Redirect::to(&format!(
                "{}&cong_bo={}",
                calendar_href(plan.plan.team_id, from, false),
                plan.plan.id
            ))
            .into_response()
        }
        Err(e) => error_page(Some(&user), e),
    }
}
