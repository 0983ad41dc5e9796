//! Blackout periods of a team or one of its villages — a storm, a fishing
//! ban, a holiday: nothing is planned inside one (a re-plan moves what was).

use chrono::{DateTime, Utc};
use doorstep_core::VisitStatus;
use doorstep_core::rules::{Blackout, ExpansionContext, Lang, RuleContext, describe_blackout};
use doorstep_store::Store;
use doorstep_store::repo::blackouts::{self, BlackoutJson, StoredBlackout};
use doorstep_store::repo::plans::{self, VisitRecord};
use doorstep_tide::Catalog;
use serde_json::Value;

use crate::access::Actor;
use crate::error::{FieldError, ServiceError};

/// A stored blackout with its meaning in words, and the visits of the
/// team's calendar still to come that it falls on.
#[derive(Clone, Debug, PartialEq)]
pub struct BlackoutView {
    /// The calendar's visits still to come inside it (proposed or
    /// confirmed): a re-plan moves them.
    pub affected: Vec<VisitRecord>,
    /// The team's zone, in which the visits' times are shown.
    pub zone: chrono_tz::Tz,
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
        affected: Vec::new(),
        zone: chrono_tz::Asia::Ho_Chi_Minh,
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

/// A team's blackouts, each with the calendar's visits still to come that
/// it falls on.
///
/// # Errors
/// The team is out of the actor's scope (not found), or the store fails.
pub async fn list(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    team_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<BlackoutView>, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    let catalog = &*crate::team_stations::team_catalog(store, catalog, team_id).await?;
    let mut views: Vec<BlackoutView> = blackouts::team_blackouts(store.connection(), team_id)
        .await?
        .into_iter()
        .map(|b| view(b, catalog))
        .collect();
    mark_affected(store, catalog, team_id, &mut views, now).await?;
    Ok(views)
}

/// Fills each blackout's `affected`: the team's calendar visits still to
/// come (proposed or confirmed) that overlap it, for its village's
/// households or the whole team's.
///
/// # Errors
/// The store fails.
pub async fn mark_affected(
    store: &Store,
    catalog: &Catalog,
    team_id: i32,
    views: &mut [BlackoutView],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if views.is_empty() {
        return Ok(());
    }
    let db = store.connection();
    let upcoming: Vec<VisitRecord> = plans::calendar_from(db, team_id, now)
        .await?
        .into_iter()
        .filter(|v| {
            v.end > now && matches!(v.status, VisitStatus::Proposed | VisitStatus::Confirmed)
        })
        .collect();
    let Some(end) = upcoming.iter().map(|v| v.end).max() else {
        return Ok(());
    };
    let Some(team) = doorstep_store::find_team(db, team_id).await? else {
        return Ok(());
    };
    let zone: chrono_tz::Tz = team
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let Ok(ctx) = ExpansionContext::new(now, end, zone, catalog.clone()) else {
        return Ok(());
    };
    let villages = doorstep_store::household_villages(
        db,
        &upcoming.iter().map(|v| v.household_id).collect::<Vec<_>>(),
    )
    .await?;
    let rules = RuleContext::from_catalog(catalog);
    for view in views.iter_mut() {
        view.zone = zone;
        let Ok(blackout) = Blackout::parse(&view.rule, &rules) else {
            continue;
        };
        let spans = crate::planning::changes::blackout_spans(&ctx, &blackout);
        view.affected = upcoming
            .iter()
            .filter(|v| {
                blackout.applies_to(v.mode)
                    && (view.stored.village_id.is_none()
                        || villages.get(&v.household_id).copied().flatten()
                            == view.stored.village_id)
                    && spans
                        .iter()
                        .any(|&(a, b)| a < v.end.timestamp() / 60 && v.start.timestamp() / 60 < b)
            })
            .cloned()
            .collect();
    }
    Ok(())
}

/// The longest label of a blackout ("bão số 3", "lễ hội cầu ngư").
pub const MAX_LABEL: usize = 200;

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
    let catalog = &*crate::team_stations::team_catalog(store, catalog, team_id).await?;
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
    if let Some(Value::String(label)) = object.get("label") {
        errors.extend(crate::error::text_error(
            "label",
            label.trim(),
            MAX_LABEL,
            false,
        ));
    }
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
    let mut views = [view(stored, catalog)];
    mark_affected(store, catalog, team_id, &mut views, now).await?;
    let [added] = views;
    Ok(added)
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
