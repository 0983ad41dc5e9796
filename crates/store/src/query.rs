//! Hand-written queries over the entities. Each function takes any
//! connection, so callers compose them inside one transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use doorstep_core::{NeedStatus, NeedStep, Presence};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};

use crate::StoreError;
use crate::entity::{area, audit, household, member, need, resident, team, user};

/// Inserts `wanted` when there is no `existing` row, updates every column
/// when a value differs, and otherwise writes nothing.
macro_rules! save {
    ($db:expr, $module:ident, $existing:expr, $wanted:expr) => {{
        let wanted: $module::Model = $wanted;
        match $existing {
            Some(old) if old == wanted => Ok((old.id, Change::Unchanged)),
            Some(old) => {
                let active: $module::ActiveModel = wanted.into_active_model().reset_all();
                active.update($db).await?;
                Ok((old.id, Change::Updated))
            }
            None => {
                let mut active: $module::ActiveModel = wanted.into_active_model();
                active.id = sea_orm::ActiveValue::NotSet;
                let saved = active.insert($db).await?;
                Ok((saved.id, Change::Created))
            }
        }
    }};
}

/// What an upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new row.
    Created,
    /// An existing row got new values.
    Updated,
    /// The row already held these values.
    Unchanged,
}

/// An area to create or update, found by its official code.
#[derive(Clone, Debug)]
pub struct AreaInput {
    /// `province`, `commune` or `village`.
    pub level: String,
    /// The official code (for villages without one, a stable local code).
    pub code: String,
    /// The current name.
    pub name: String,
    /// The parent's code.
    pub parent_code: Option<String>,
    /// Former names.
    pub aliases: Vec<String>,
    /// Latitude of its centre.
    pub latitude: Option<f64>,
    /// Longitude of its centre.
    pub longitude: Option<f64>,
}

/// Creates or updates an area by code.
///
/// # Errors
/// The parent code is unknown, or the database fails.
pub async fn upsert_area(
    db: &impl ConnectionTrait,
    input: &AreaInput,
) -> Result<(i32, Change), StoreError> {
    let parent_id = match &input.parent_code {
        Some(code) => Some(
            area::Entity::find()
                .filter(area::Column::Code.eq(code.as_str()))
                .one(db)
                .await?
                .ok_or_else(|| {
                    StoreError::NotFound(format!("area with code {code} does not exist"))
                })?
                .id,
        ),
        None => None,
    };
    let aliases = serde_json::to_string(&input.aliases).expect("strings serialise");
    let existing = area::Entity::find()
        .filter(area::Column::Code.eq(input.code.as_str()))
        .one(db)
        .await?;
    let wanted = area::Model {
        id: existing.as_ref().map_or(0, |a| a.id),
        parent_id,
        level: input.level.clone(),
        code: Some(input.code.clone()),
        name: input.name.clone(),
        aliases,
        latitude: input.latitude,
        longitude: input.longitude,
    };
    save!(db, area, existing, wanted)
}

/// A team to create or update, found by its area and name.
#[derive(Clone, Debug)]
pub struct TeamInput {
    /// The code of the team's area.
    pub area_code: String,
    /// The team's name.
    pub name: String,
    /// IANA time zone of the team.
    pub timezone: String,
    /// Id of the tide station the team's rules use by default.
    pub tide_station: Option<String>,
}

/// Creates or updates a team.
///
/// # Errors
/// The area is unknown, or the database fails.
pub async fn upsert_team(
    db: &impl ConnectionTrait,
    input: &TeamInput,
    now: DateTime<Utc>,
) -> Result<(i32, Change), StoreError> {
    let area = area::Entity::find()
        .filter(area::Column::Code.eq(input.area_code.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("area with code {} does not exist", input.area_code))
        })?;
    let existing = team::Entity::find()
        .filter(team::Column::AreaId.eq(area.id))
        .filter(team::Column::Name.eq(input.name.as_str()))
        .one(db)
        .await?;
    let wanted = team::Model {
        id: existing.as_ref().map_or(0, |t| t.id),
        area_id: area.id,
        name: input.name.clone(),
        timezone: input.timezone.clone(),
        tide_station: input.tide_station.clone(),
        created_at: existing.as_ref().map_or(now, |t| t.created_at),
    };
    save!(db, team, existing, wanted)
}

/// A member to create or update, found by team and full name.
#[derive(Clone, Debug)]
pub struct MemberInput {
    /// The member's team.
    pub team_id: i32,
    /// Full name.
    pub full_name: String,
    /// `leader` or `volunteer`.
    pub role: String,
    /// Where the daily list is sent.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Skill codes.
    pub skills: Vec<String>,
    /// At most this many visits a day.
    pub daily_visit_cap: i32,
    /// May do visits by phone or video.
    pub remote_capable: bool,
    /// Home latitude.
    pub home_latitude: Option<f64>,
    /// Home longitude.
    pub home_longitude: Option<f64>,
    /// Availability rules, validated.
    pub availability: Option<crate::RuleJson>,
}

/// Creates or updates a member.
///
/// # Errors
/// The database fails.
pub async fn upsert_member(
    db: &impl ConnectionTrait,
    input: &MemberInput,
    now: DateTime<Utc>,
) -> Result<(i32, Change), StoreError> {
    let existing = member::Entity::find()
        .filter(member::Column::TeamId.eq(input.team_id))
        .filter(member::Column::FullName.eq(input.full_name.as_str()))
        .one(db)
        .await?;
    let wanted = member::Model {
        id: existing.as_ref().map_or(0, |m| m.id),
        team_id: input.team_id,
        full_name: input.full_name.clone(),
        role: input.role.clone(),
        email: input.email.clone(),
        phone: input.phone.clone(),
        skills: serde_json::to_string(&input.skills).expect("strings serialise"),
        daily_visit_cap: input.daily_visit_cap,
        remote_capable: input.remote_capable,
        home_latitude: input.home_latitude,
        home_longitude: input.home_longitude,
        availability: input.availability.as_ref().map(|r| r.as_str().to_string()),
        active: existing.as_ref().is_none_or(|m| m.active),
        created_at: existing.as_ref().map_or(now, |m| m.created_at),
    };
    save!(db, member, existing, wanted)
}

/// A user to create when absent.
#[derive(Clone, Debug)]
pub struct UserInput {
    /// Sign-in name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// `leader`, `volunteer` or `official`.
    pub role: String,
    /// The team a leader or volunteer belongs to.
    pub team_id: Option<i32>,
    /// The area an official oversees.
    pub area_id: Option<i32>,
    /// The member record of a leader or volunteer.
    pub member_id: Option<i32>,
    /// E-mail address.
    pub email: Option<String>,
}

/// Creates the user with this password hash when no user has the name;
/// otherwise leaves the user, and its password, as they are.
///
/// # Errors
/// The database fails.
pub async fn ensure_user(
    db: &impl ConnectionTrait,
    input: &UserInput,
    password_hash: impl FnOnce() -> String,
    now: DateTime<Utc>,
) -> Result<(i32, Change), StoreError> {
    if let Some(existing) = find_user_by_name(db, &input.username).await? {
        return Ok((existing.id, Change::Unchanged));
    }
    let created = user::ActiveModel {
        username: Set(input.username.clone()),
        display_name: Set(input.display_name.clone()),
        role: Set(input.role.clone()),
        team_id: Set(input.team_id),
        area_id: Set(input.area_id),
        member_id: Set(input.member_id),
        email: Set(input.email.clone()),
        password_hash: Set(password_hash()),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((created.id, Change::Created))
}

/// The user with this sign-in name.
///
/// # Errors
/// The database fails.
pub async fn find_user_by_name(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, StoreError> {
    Ok(user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?)
}

/// Appends one entry to the audit log.
///
/// # Errors
/// The database fails.
pub async fn append_audit(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: Option<i32>,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    audit::ActiveModel {
        at: Set(at),
        actor: Set(actor.to_string()),
        action: Set(action.to_string()),
        entity: Set(entity.to_string()),
        entity_id: Set(entity_id),
        detail: Set(Some(detail.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The team with this id.
///
/// # Errors
/// The database fails.
pub async fn find_team(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<team::Model>, StoreError> {
    Ok(team::Entity::find_by_id(id).one(db).await?)
}

/// Every team, by id.
///
/// # Errors
/// The database fails.
pub async fn list_teams(db: &impl ConnectionTrait) -> Result<Vec<team::Model>, StoreError> {
    Ok(team::Entity::find()
        .order_by_asc(team::Column::Id)
        .all(db)
        .await?)
}

/// The area with this id.
///
/// # Errors
/// The database fails.
pub async fn find_area(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<area::Model>, StoreError> {
    Ok(area::Entity::find_by_id(id).one(db).await?)
}

/// The villages a team serves: its own area when it is a village, else the
/// villages under its commune.
///
/// # Errors
/// The database fails.
pub async fn villages_of_team(
    db: &impl ConnectionTrait,
    team: &team::Model,
) -> Result<Vec<area::Model>, StoreError> {
    let Some(own) = find_area(db, team.area_id).await? else {
        return Ok(Vec::new());
    };
    if own.level == "village" {
        return Ok(vec![own]);
    }
    Ok(area::Entity::find()
        .filter(area::Column::ParentId.eq(own.id))
        .order_by_asc(area::Column::Id)
        .all(db)
        .await?)
}

/// The members of a team, by id.
///
/// # Errors
/// The database fails.
pub async fn team_members(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Vec<member::Model>, StoreError> {
    Ok(member::Entity::find()
        .filter(member::Column::TeamId.eq(team_id))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?)
}

/// A household of a register, with its residents.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterHousehold {
    /// The register's key of the household.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// The village, when known.
    pub village_id: Option<i32>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// Residents in register order.
    pub residents: Vec<RegisterResident>,
}

/// A resident of a register.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterResident {
    /// The register's key of the resident within the household.
    pub external_id: String,
    /// Full name.
    pub full_name: String,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Phone number.
    pub phone: Option<String>,
    /// Where the resident is.
    pub presence: Presence,
    /// ISO 3166 alpha-2 country, for residents abroad.
    pub country: Option<String>,
    /// IANA time zone, for residents abroad.
    pub timezone: Option<String>,
    /// The pipeline steps still to do.
    pub needs: Vec<NeedStep>,
    /// Availability rules, validated; `None` leaves the stored rules as they are.
    pub availability: Option<crate::RuleJson>,
    /// Steps already done (created or moved to done); a done step is never reopened.
    pub done: Vec<NeedStep>,
    /// The resident's consent; `None` leaves the stored consent as it is.
    pub consent: Option<Consent>,
}

/// A resident's consent to being recorded and visited.
#[derive(Clone, Debug, PartialEq)]
pub struct Consent {
    /// When it was given.
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: String,
    /// The text the resident agreed to.
    pub text: String,
}

/// What applying a register changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RegisterChanges {
    /// New households.
    pub households_created: usize,
    /// Households whose address, village or location changed.
    pub households_updated: usize,
    /// New residents.
    pub residents_created: usize,
    /// Residents whose row changed.
    pub residents_updated: usize,
    /// New open needs.
    pub needs_opened: usize,
    /// Open needs no longer listed, now not applicable.
    pub needs_closed: usize,
    /// Needs recorded as done.
    pub needs_done: usize,
}

impl RegisterChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == RegisterChanges::default()
    }
}

/// Applies a register to a team in one transaction: households and residents
/// are matched by their register keys, created or updated; needs listed are
/// opened when new; open needs no longer listed become not applicable (done
/// needs stay done). Nothing is written when nothing differs. An audit entry
/// records every change.
///
/// # Errors
/// The team does not exist or the database fails; then nothing is written.
pub async fn apply_register<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    team_id: i32,
    households: &[RegisterHousehold],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<RegisterChanges, StoreError> {
    let txn = db.begin().await?;
    if find_team(&txn, team_id).await?.is_none() {
        return Err(StoreError::NotFound(format!(
            "team {team_id} does not exist"
        )));
    }
    let mut changes = RegisterChanges::default();
    let existing: BTreeMap<String, household::Model> = household::Entity::find()
        .filter(household::Column::TeamId.eq(team_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|h| (h.external_id.clone(), h))
        .collect();
    for input in households {
        let old = existing.get(&input.external_id).cloned();
        let wanted = household::Model {
            id: old.as_ref().map_or(0, |h| h.id),
            team_id,
            village_id: input.village_id,
            external_id: input.external_id.clone(),
            address: input.address.clone(),
            latitude: input.latitude,
            longitude: input.longitude,
            created_at: old.as_ref().map_or(now, |h| h.created_at),
            updated_at: old.as_ref().map_or(now, |h| h.updated_at),
        };
        let household_id = match old {
            Some(old) if old == wanted => old.id,
            Some(old) => {
                household::Model {
                    updated_at: now,
                    ..wanted
                }
                .into_active_model()
                .reset_all()
                .update(&txn)
                .await?;
                changes.households_updated += 1;
                old.id
            }
            None => {
                let mut active = wanted.into_active_model();
                active.id = sea_orm::ActiveValue::NotSet;
                changes.households_created += 1;
                active.insert(&txn).await?.id
            }
        };
        apply_residents(
            &txn,
            household_id,
            &input.residents,
            actor,
            now,
            &mut changes,
        )
        .await?;
    }
    if !changes.is_empty() {
        append_audit(
            &txn,
            now,
            actor,
            "import_register",
            "team",
            Some(team_id),
            serde_json::to_value(changes).expect("counts serialise"),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(changes)
}

async fn apply_residents(
    db: &impl ConnectionTrait,
    household_id: i32,
    residents: &[RegisterResident],
    actor: &str,
    now: DateTime<Utc>,
    changes: &mut RegisterChanges,
) -> Result<(), StoreError> {
    let existing: BTreeMap<String, resident::Model> = resident::Entity::find()
        .filter(resident::Column::HouseholdId.eq(household_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.external_id.clone(), r))
        .collect();
    for input in residents {
        let old = existing.get(&input.external_id).cloned();
        let wanted = resident::Model {
            id: old.as_ref().map_or(0, |r| r.id),
            household_id,
            external_id: input.external_id.clone(),
            full_name: input.full_name.clone(),
            birth_year: input.birth_year,
            phone: input.phone.clone(),
            presence: input.presence.code().to_string(),
            country: input.country.clone(),
            timezone: input.timezone.clone(),
            availability: match &input.availability {
                Some(rules) => Some(rules.as_str().to_string()),
                None => old.as_ref().and_then(|r| r.availability.clone()),
            },
            consent_at: match &input.consent {
                Some(consent) => Some(consent.at),
                None => old.as_ref().and_then(|r| r.consent_at),
            },
            consent_by: match &input.consent {
                Some(consent) => Some(consent.by.clone()),
                None => old.as_ref().and_then(|r| r.consent_by.clone()),
            },
            consent_text: match &input.consent {
                Some(consent) => Some(consent.text.clone()),
                None => old.as_ref().and_then(|r| r.consent_text.clone()),
            },
            created_at: old.as_ref().map_or(now, |r| r.created_at),
            updated_at: old.as_ref().map_or(now, |r| r.updated_at),
        };
        let resident_id = match old {
            Some(old) if old == wanted => old.id,
            Some(old) => {
                resident::Model {
                    updated_at: now,
                    ..wanted
                }
                .into_active_model()
                .reset_all()
                .update(db)
                .await?;
                changes.residents_updated += 1;
                old.id
            }
            None => {
                let mut active = wanted.into_active_model();
                active.id = sea_orm::ActiveValue::NotSet;
                changes.residents_created += 1;
                active.insert(db).await?.id
            }
        };
        apply_needs(db, resident_id, input, actor, now, changes).await?;
    }
    Ok(())
}

async fn apply_needs(
    db: &impl ConnectionTrait,
    resident_id: i32,
    input: &RegisterResident,
    actor: &str,
    now: DateTime<Utc>,
    changes: &mut RegisterChanges,
) -> Result<(), StoreError> {
    let existing = need::Entity::find()
        .filter(need::Column::ResidentId.eq(resident_id))
        .all(db)
        .await?;
    let open: BTreeSet<&str> = input.needs.iter().map(|n| n.code()).collect();
    let done: BTreeSet<&str> = input.done.iter().map(|n| n.code()).collect();
    for (step, status) in open
        .iter()
        .filter(|s| !done.contains(*s))
        .map(|s| (s, NeedStatus::Open))
        .chain(done.iter().map(|s| (s, NeedStatus::Done)))
    {
        if existing.iter().any(|n| n.step == *step) {
            continue;
        }
        need::ActiveModel {
            resident_id: Set(resident_id),
            step: Set(step.to_string()),
            status: Set(status.code().to_string()),
            updated_at: Set(now),
            updated_by: Set(Some(actor.to_string())),
            ..Default::default()
        }
        .insert(db)
        .await?;
        if status == NeedStatus::Open {
            changes.needs_opened += 1;
        } else {
            changes.needs_done += 1;
        }
    }
    for old in existing {
        let wanted = if done.contains(old.step.as_str()) {
            NeedStatus::Done
        } else if open.contains(old.step.as_str()) {
            continue;
        } else {
            NeedStatus::NotApplicable
        };
        if old.status != NeedStatus::Open.code() {
            continue;
        }
        if wanted == NeedStatus::Done {
            changes.needs_done += 1;
        } else {
            changes.needs_closed += 1;
        }
        let mut active = old.into_active_model();
        active.status = Set(wanted.code().to_string());
        active.updated_at = Set(now);
        active.updated_by = Set(Some(actor.to_string()));
        active.update(db).await?;
    }
    Ok(())
}

/// Row counts of every table, for tests and the status page.
///
/// # Errors
/// The database fails.
pub async fn table_counts(
    db: &impl ConnectionTrait,
) -> Result<BTreeMap<&'static str, u64>, StoreError> {
    use crate::entity::*;
    let mut counts = BTreeMap::new();
    counts.insert("areas", area::Entity::find().count(db).await?);
    counts.insert("teams", team::Entity::find().count(db).await?);
    counts.insert("members", member::Entity::find().count(db).await?);
    counts.insert("households", household::Entity::find().count(db).await?);
    counts.insert("residents", resident::Entity::find().count(db).await?);
    counts.insert("needs", need::Entity::find().count(db).await?);
    counts.insert("plans", plan::Entity::find().count(db).await?);
    counts.insert("visits", visit::Entity::find().count(db).await?);
    counts.insert("users", user::Entity::find().count(db).await?);
    counts.insert("audit_log", audit::Entity::find().count(db).await?);
    counts.insert("mail_outbox", outbox::Entity::find().count(db).await?);
    Ok(counts)
}

/// A household with its residents and their needs.
#[derive(Clone, Debug)]
pub struct HouseholdView {
    /// The household.
    pub household: household::Model,
    /// Its village's name.
    pub village: Option<String>,
    /// Residents with their needs.
    pub residents: Vec<(resident::Model, Vec<need::Model>)>,
}

/// Every household of a team with residents and needs, in register order.
///
/// # Errors
/// The database fails.
pub async fn team_households(
    db: &impl ConnectionTrait,
    team_id: i32,
) -> Result<Vec<HouseholdView>, StoreError> {
    let households = household::Entity::find()
        .filter(household::Column::TeamId.eq(team_id))
        .order_by_asc(household::Column::ExternalId)
        .all(db)
        .await?;
    let ids: Vec<i32> = households.iter().map(|h| h.id).collect();
    let mut residents: BTreeMap<i32, Vec<resident::Model>> = BTreeMap::new();
    let mut resident_ids = Vec::new();
    for chunk in ids.chunks(500) {
        for r in resident::Entity::find()
            .filter(resident::Column::HouseholdId.is_in(chunk.to_vec()))
            .order_by_asc(resident::Column::Id)
            .all(db)
            .await?
        {
            resident_ids.push(r.id);
            residents.entry(r.household_id).or_default().push(r);
        }
    }
    let mut needs: BTreeMap<i32, Vec<need::Model>> = BTreeMap::new();
    for chunk in resident_ids.chunks(500) {
        for n in need::Entity::find()
            .filter(need::Column::ResidentId.is_in(chunk.to_vec()))
            .order_by_asc(need::Column::Id)
            .all(db)
            .await?
        {
            needs.entry(n.resident_id).or_default().push(n);
        }
    }
    let villages: BTreeMap<i32, String> = area::Entity::find()
        .filter(area::Column::Level.eq("village"))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    Ok(households
        .into_iter()
        .map(|household| HouseholdView {
            village: household.village_id.and_then(|v| villages.get(&v).cloned()),
            residents: residents
                .remove(&household.id)
                .unwrap_or_default()
                .into_iter()
                .map(|r| {
                    let n = needs.remove(&r.id).unwrap_or_default();
                    (r, n)
                })
                .collect(),
            household,
        })
        .collect())
}
