//! Blackout periods of a team or one of its villages — a storm, a fishing
//! ban, a holiday: nothing is planned inside one (a re-plan moves what was).

use chrono::{DateTime, Utc};
use doorstep_core::rules::{Blackout, Lang, RuleContext, describe_blackout};
use doorstep_store::Store;
use doorstep_store::repo::blackouts::{self, BlackoutJson, StoredBlackout};
use doorstep_tide::Catalog;
use serde_json::Value;

use crate::access::Actor;
use crate::error::{FieldError, ServiceError};

/// A stored blackout with its meaning in words.
#[derive(Clone, Debug, PartialEq)]
pub struct BlackoutView {
    /// As stored.
    pub stored: StoredBlackout,
    /// The period as JSON.
    pub rule: Value,
    /// In Vietnamese.
    pub description_vi: String,
    /// In English.
    pub description_en: String,
}

fn view(stored: StoredBlackout, catalog: &Catalog) -> BlackoutView {
    let rule: Value = serde_json::from_str(&stored.rule).unwrap_or(Value::Null);
    let parsed = Blackout::parse(&rule, &RuleContext::from_catalog(catalog)).ok();
    BlackoutView {
        description_vi: parsed
            .as_ref()
            .map_or_else(|| stored.label.clone(), |b| describe_blackout(b, Lang::Vi)),
        description_en: parsed
            .as_ref()
            .map_or_else(|| stored.label.clone(), |b| describe_blackout(b, Lang::En)),
        rule,
        stored,
    }
}

/// A team's blackouts.
///
/// # Errors
/// The team is out of the actor's scope (not found), or the store fails.
pub async fn list(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    team_id: i32,
) -> Result<Vec<BlackoutView>, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    Ok(blackouts::team_blackouts(store.connection(), team_id)
        .await?
        .into_iter()
        .map(|b| view(b, catalog))
        .collect())
}

/// Adds a blackout: `body` is the period as the rule language writes it
/// (`label`, one term such as `dates` or `between`, optional `mode`) and an
/// optional `village_id` of the team's commune.
///
/// # Errors
/// Not found / forbidden as for planning; every problem of the body with
/// its JSON path; or the store fails.
pub async fn add(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    team_id: i32,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<BlackoutView, ServiceError> {
    actor.require_lead(store, team_id).await?;
    let Some(object) = body.as_object() else {
        return Err(ServiceError::invalid(
            "(body)",
            "cần một đối tượng JSON như {\"label\": \"bão số 3\", \"dates\": [\"2026-12-10\", \"2026-12-12\"]}",
            "expected a JSON object such as {\"label\": \"storm no. 3\", \"dates\": [\"2026-12-10\", \"2026-12-12\"]}",
        ));
    };
    let mut rule = object.clone();
    let village = rule.remove("village_id");
    let mut errors = Vec::new();
    let village_id = match village {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(id) => {
                let team = doorstep_store::find_team(store.connection(), team_id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("team", team_id))?;
                let villages = doorstep_store::villages_of_team(store.connection(), &team).await?;
                if villages.iter().any(|v| v.id == id) {
                    Some(id)
                } else {
                    errors.push(FieldError::new(
                        "village_id",
                        format!("thôn {id} không thuộc địa bàn của tổ"),
                        format!("village {id} is not one of the team's villages"),
                    ));
                    None
                }
            }
            None => {
                errors.push(FieldError::new(
                    "village_id",
                    "cần mã thôn là số nguyên",
                    "expected a village id (a whole number)",
                ));
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new(
                "village_id",
                "cần mã thôn là số nguyên hoặc null",
                "expected a village id (a whole number) or null",
            ));
            None
        }
    };
    let text = Value::Object(rule).to_string();
    let ids: Vec<&str> = catalog.stations().iter().map(|s| s.id()).collect();
    let parsed = match BlackoutJson::parse(&text, &ids) {
        Ok(parsed) => Some(parsed),
        Err(rule_errors) => {
            errors.extend(rule_errors.into_iter().map(|e| {
                FieldError::new(
                    if e.path.is_empty() {
                        "(body)".to_owned()
                    } else {
                        e.path.clone()
                    },
                    e.message_vi.clone(),
                    e.message.clone(),
                )
            }));
            None
        }
    };
    let (Some(parsed), true) = (parsed, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let label = object
        .get("label")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_owned();
    let stored = blackouts::add_blackout(
        store.connection(),
        team_id,
        village_id,
        &label,
        &parsed,
        &actor.label(),
        now,
    )
    .await?;
    Ok(view(stored, catalog))
}

/// Deletes a blackout of a team.
///
/// # Errors
/// Not found (also a blackout of another team), forbidden, or the store fails.
pub async fn delete(
    store: &Store,
    actor: &Actor,
    team_id: i32,
    blackout_id: i32,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    actor.require_lead(store, team_id).await?;
    if blackouts::delete_blackout(
        store.connection(),
        team_id,
        blackout_id,
        &actor.label(),
        now,
    )
    .await?
    {
        Ok(())
    } else {
        Err(ServiceError::not_found("blackout", blackout_id))
    }
}
