//! A team's records edited one at a time by its leader: households,
//! residents, needs and members. Each save is one transaction with its
//! audit entry (ids and the fields changed, never names or phones).

use chrono::{DateTime, Utc};
use doorstep_core::records::{Household, Member, Need, Resident};
use doorstep_core::{NeedStatus, NeedStep};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect, TransactionSession, TransactionTrait,
};

use super::audit::append_audit;
use super::tallies;
use crate::Code;
use crate::StoreError;
use crate::entity::{household, member, need, resident};

/// The names of the fields that differ between two rows' JSON.
fn changed_fields<T: serde::Serialize>(old: Option<&T>, new: &T) -> Vec<String> {
    let new = serde_json::to_value(new).unwrap_or_default();
    let Some(old) = old.map(|o| serde_json::to_value(o).unwrap_or_default()) else {
        return Vec::new();
    };
    new.as_object()
        .map(|fields| {
            fields
                .iter()
                .filter(|(k, v)| old.get(k.as_str()) != Some(v) && k.as_str() != "updated_at")
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// A household of a team, found by its register key.
///
/// # Errors
/// The database fails.
pub async fn household_by_key(
    db: &impl ConnectionTrait,
    team_id: i32,
    external_id: &str,
) -> Result<Option<Household>, StoreError> {
    Ok(household::Entity::find()
        .filter(household::Column::TeamId.eq(team_id))
        .filter(household::Column::ExternalId.eq(external_id))
        .one(db)
        .await?
        .map(Household::from))
}

/// The household with this id.
///
/// # Errors
/// The database fails.
pub async fn find_household(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<Household>, StoreError> {
    Ok(household::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Household::from))
}

/// The member with this id.
///
/// # Errors
/// The database fails.
pub async fn find_member(db: &impl ConnectionTrait, id: i32) -> Result<Option<Member>, StoreError> {
    Ok(member::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Member::try_from)
        .transpose()?)
}

/// The residents of a household.
///
/// # Errors
/// The database fails.
pub async fn residents_of(
    db: &impl ConnectionTrait,
    household_id: i32,
) -> Result<Vec<Resident>, StoreError> {
    Ok(resident::Entity::find()
        .filter(resident::Column::HouseholdId.eq(household_id))
        .all(db)
        .await?
        .into_iter()
        .map(Resident::from)
        .collect())
}

/// The needs of a resident.
///
/// # Errors
/// The database fails.
pub async fn needs_of(
    db: &impl ConnectionTrait,
    resident_id: i32,
) -> Result<Vec<Need>, StoreError> {
    Ok(need::Entity::find()
        .filter(need::Column::ResidentId.eq(resident_id))
        .all(db)
        .await?
        .into_iter()
        .map(Need::from)
        .collect())
}

#[derive(serde::Serialize)]
struct HouseholdFields<'a> {
    external_id: &'a str,
    address: &'a str,
    village_id: Option<i32>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    priority: Option<i32>,
    service_minutes: Option<i32>,
}

impl<'a> From<&'a household::Model> for HouseholdFields<'a> {
    fn from(h: &'a household::Model) -> Self {
        HouseholdFields {
            external_id: &h.external_id,
            address: &h.address,
            village_id: h.village_id,
            latitude: h.latitude,
            longitude: h.longitude,
            priority: h.priority,
            service_minutes: h.service_minutes,
        }
    }
}

/// Creates (`id` 0) or updates a household, with its audit entry.
///
/// # Errors
/// The database fails (a register key already in the team included).
pub async fn save_household<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    wanted: Household,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Household, StoreError> {
    let wanted = household::Model::from(wanted);
    let txn = super::begin_writing(db).await?;
    let old = if wanted.id == 0 {
        None
    } else {
        household::Entity::find_by_id(wanted.id).one(&txn).await?
    };
    let fields = changed_fields(
        old.as_ref().map(HouseholdFields::from).as_ref(),
        &HouseholdFields::from(&wanted),
    );
    let saved = match &old {
        None => {
            let mut active = household::Model {
                created_at: now,
                updated_at: now,
                ..wanted
            }
            .into_active_model();
            active.id = sea_orm::ActiveValue::NotSet;
            active.insert(&txn).await?
        }
        Some(_) if fields.is_empty() => {
            txn.commit().await?;
            return Ok(old.expect("just matched").into());
        }
        Some(_) => {
            household::Model {
                updated_at: now,
                ..wanted
            }
            .into_active_model()
            .reset_all()
            .update(&txn)
            .await?
        }
    };
    // The audit's counts follow a new household or one that moved.
    let mut teams = vec![saved.team_id];
    match &old {
        None => {}
        Some(old) if old.village_id != saved.village_id || old.team_id != saved.team_id => {
            teams.push(old.team_id);
        }
        Some(_) => teams.clear(),
    }
    tallies::refresh_teams(&txn, &teams).await?;
    append_audit(
        &txn,
        now,
        actor,
        if old.is_some() {
            "edit_household"
        } else {
            "create_household"
        },
        "household",
        Some(saved.id),
        serde_json::json!({"fields": fields}),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

/// A resident's fields an edit may change (and the audit names).
#[derive(serde::Serialize)]
struct ResidentFields<'a> {
    external_id: &'a str,
    full_name: &'a str,
    birth_year: Option<i32>,
    phone: Option<&'a str>,
    presence: &'a str,
    country: Option<&'a str>,
    timezone: Option<&'a str>,
    availability: Option<&'a str>,
}

impl<'a> From<&'a resident::Model> for ResidentFields<'a> {
    fn from(r: &'a resident::Model) -> Self {
        ResidentFields {
            external_id: &r.external_id,
            full_name: &r.full_name,
            birth_year: r.birth_year,
            phone: r.phone.as_deref(),
            presence: r.presence.0.code(),
            country: r.country.as_deref(),
            timezone: r.timezone.as_deref(),
            availability: r.availability.as_deref(),
        }
    }
}

/// Creates (`id` 0, with its open needs) or updates a resident, with its
/// audit entry.
///
/// # Errors
/// The database fails.
pub async fn save_resident<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    wanted: Resident,
    open_needs: &[NeedStep],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Resident, StoreError> {
    let wanted = resident::Model::from(wanted);
    let txn = super::begin_writing(db).await?;
    let old = if wanted.id == 0 {
        None
    } else {
        resident::Entity::find_by_id(wanted.id).one(&txn).await?
    };
    let fields = changed_fields(
        old.as_ref().map(ResidentFields::from).as_ref(),
        &ResidentFields::from(&wanted),
    );
    let saved = match &old {
        None => {
            let mut active = resident::Model {
                created_at: now,
                updated_at: now,
                ..wanted
            }
            .into_active_model();
            active.id = sea_orm::ActiveValue::NotSet;
            active.insert(&txn).await?
        }
        Some(_) if fields.is_empty() && open_needs.is_empty() => {
            txn.commit().await?;
            return Ok(old.expect("just matched").into());
        }
        Some(_) => {
            resident::Model {
                updated_at: now,
                ..wanted
            }
            .into_active_model()
            .reset_all()
            .update(&txn)
            .await?
        }
    };
    for step in open_needs {
        need::ActiveModel {
            resident_id: Set(saved.id),
            step: Set(Code(*step)),
            status: Set(Code(NeedStatus::Open)),
            updated_at: Set(now),
            updated_by: Set(Some(actor.to_owned())),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    // The audit's counts follow a new resident, needs opened, or a resident
    // moved to another household.
    let mut households = vec![saved.household_id];
    match &old {
        None => {}
        Some(old) if old.household_id != saved.household_id => households.push(old.household_id),
        Some(_) if !open_needs.is_empty() => {}
        Some(_) => households.clear(),
    }
    tallies::refresh_households(&txn, &households).await?;
    append_audit(
        &txn,
        now,
        actor,
        if old.is_some() {
            "edit_resident"
        } else {
            "create_resident"
        },
        "resident",
        Some(saved.id),
        serde_json::json!({"fields": fields, "needs_opened": open_needs.len()}),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

/// Sets one need of a resident (creating it when new), with its audit
/// entry; answers the need as it now is.
///
/// # Errors
/// The database fails.
pub async fn set_need<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    resident_id: i32,
    step: NeedStep,
    status: NeedStatus,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Need, StoreError> {
    let txn = super::begin_writing(db).await?;
    let old = need::Entity::find()
        .filter(need::Column::ResidentId.eq(resident_id))
        .filter(need::Column::Step.eq(step.code()))
        .one(&txn)
        .await?;
    let before = old.as_ref().map(|n| n.status.0.code());
    let saved = match old {
        Some(n) if n.status.0 == status => {
            txn.commit().await?;
            return Ok(n.into());
        }
        Some(n) => {
            let mut active = n.into_active_model();
            active.status = Set(Code(status));
            active.updated_at = Set(now);
            active.updated_by = Set(Some(actor.to_owned()));
            if status != NeedStatus::Open {
                active.appointment_on = Set(None);
            }
            active.update(&txn).await?
        }
        None => {
            need::ActiveModel {
                resident_id: Set(resident_id),
                step: Set(Code(step)),
                status: Set(Code(status)),
                updated_at: Set(now),
                updated_by: Set(Some(actor.to_owned())),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let household: Option<i32> = resident::Entity::find_by_id(resident_id)
        .select_only()
        .column(resident::Column::HouseholdId)
        .into_tuple()
        .one(&txn)
        .await?;
    tallies::refresh_households(&txn, &household.into_iter().collect::<Vec<_>>()).await?;
    append_audit(
        &txn,
        now,
        actor,
        "set_need",
        "resident",
        Some(resident_id),
        serde_json::json!({"need": step.code(), "from": before, "to": status.code()}),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

#[derive(serde::Serialize)]
struct MemberFields<'a> {
    full_name: &'a str,
    role: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    skills: &'a str,
    daily_visit_cap: i32,
    remote_capable: bool,
    home_latitude: Option<f64>,
    home_longitude: Option<f64>,
    availability: Option<&'a str>,
    active: bool,
    language: &'a str,
}

impl<'a> From<&'a member::Model> for MemberFields<'a> {
    fn from(m: &'a member::Model) -> Self {
        MemberFields {
            full_name: &m.full_name,
            role: m.role.0.code(),
            email: m.email.as_deref(),
            phone: m.phone.as_deref(),
            skills: &m.skills,
            daily_visit_cap: m.daily_visit_cap,
            remote_capable: m.remote_capable,
            home_latitude: m.home_latitude,
            home_longitude: m.home_longitude,
            availability: m.availability.as_deref(),
            active: m.active,
            language: m.language.0.code(),
        }
    }
}

/// Creates (`id` 0) or updates a member, with its audit entry.
///
/// # Errors
/// The database fails.
pub async fn save_member<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    wanted: Member,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Member, StoreError> {
    let wanted = member::Model::from(wanted);
    let txn = super::begin_writing(db).await?;
    let old = if wanted.id == 0 {
        None
    } else {
        member::Entity::find_by_id(wanted.id).one(&txn).await?
    };
    let fields = changed_fields(
        old.as_ref().map(MemberFields::from).as_ref(),
        &MemberFields::from(&wanted),
    );
    let saved = match &old {
        None => {
            let mut active = member::Model {
                created_at: now,
                ..wanted
            }
            .into_active_model();
            active.id = sea_orm::ActiveValue::NotSet;
            active.insert(&txn).await?
        }
        Some(_) if fields.is_empty() => {
            txn.commit().await?;
            return Ok(old.expect("just matched").try_into()?);
        }
        Some(_) => wanted.into_active_model().reset_all().update(&txn).await?,
    };
    append_audit(
        &txn,
        now,
        actor,
        if old.is_some() {
            "edit_member"
        } else {
            "create_member"
        },
        "member",
        Some(saved.id),
        serde_json::json!({"fields": fields}),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.try_into()?)
}
