//! A team's records edited one at a time by its leader: households,
//! residents, needs and members. Each save is one transaction with its
//! audit entry (ids and the fields changed, never names or phones).

use chrono::{DateTime, Utc};
use doorstep_core::records::{Household, Member, Need, Resident};
use doorstep_core::{NeedStatus, NeedStep};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    EntityTrait, IntoActiveModel, Iterable, PrimaryKeyToColumn, PrimaryKeyTrait, QueryFilter,
    QuerySelect, TransactionSession, TransactionTrait,
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

/// A record the leader edits one at a time, saved whole with its audit
/// entry.
trait Audited: Sized + Send + Sync + IntoActiveModel<Self::Active> {
    /// The active model it is written through.
    type Active: ActiveModelTrait<Entity = Self::Entity> + ActiveModelBehavior + Send;
    /// Its table.
    type Entity: EntityTrait<Model = Self>;
    /// The fields an edit may change, as the audit compares them.
    type Fields<'a>: serde::Serialize
    where
        Self: 'a;
    /// What the audit calls it: `household`, `resident`, `member`.
    const NAME: &'static str;

    /// Its id; 0 for a record not saved yet.
    fn id(&self) -> i32;

    /// The fields an edit may change.
    fn fields(&self) -> Self::Fields<'_>;

    /// The record as written: `now` in its stamps (`created` for a new one).
    fn stamped(self, now: DateTime<Utc>, created: bool) -> Self;
}

/// What saving a record found and did.
enum Saving<M> {
    /// An edit that changes none of the fields: the row as it is, nothing
    /// written.
    Unchanged(M),
    /// Written: the row before (none for a new record), the row now, and the
    /// fields an edit changed.
    Written {
        old: Option<M>,
        saved: M,
        fields: Vec<String>,
    },
}

impl<M: Audited> Saving<M> {
    /// The audit's action: `create_<record>` or `edit_<record>`.
    fn action(old: Option<&M>) -> String {
        let verb = if old.is_some() { "edit" } else { "create" };
        format!("{verb}_{}", M::NAME)
    }
}

/// Inserts a new record (its id left to the database) or replaces an
/// existing one whole, in the caller's transaction; an edit that changes no
/// field writes nothing unless `write_anyway`.
async fn save_row<M>(
    txn: &impl ConnectionTrait,
    wanted: M,
    now: DateTime<Utc>,
    write_anyway: bool,
) -> Result<Saving<M>, StoreError>
where
    M: Audited,
    <<M::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    let old = if wanted.id() == 0 {
        None
    } else {
        M::Entity::find_by_id(wanted.id()).one(txn).await?
    };
    let fields = changed_fields(old.as_ref().map(M::fields).as_ref(), &wanted.fields());
    let saved = match &old {
        None => {
            let mut active = wanted.stamped(now, true).into_active_model();
            for key in <M::Entity as EntityTrait>::PrimaryKey::iter() {
                active.not_set(key.into_column());
            }
            active.insert(txn).await?
        }
        Some(_) if fields.is_empty() && !write_anyway => {
            return Ok(Saving::Unchanged(old.expect("just matched")));
        }
        Some(_) => {
            wanted
                .stamped(now, false)
                .into_active_model()
                .reset_all()
                .update(txn)
                .await?
        }
    };
    Ok(Saving::Written { old, saved, fields })
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

impl Audited for household::Model {
    type Active = household::ActiveModel;
    type Entity = household::Entity;
    type Fields<'a> = HouseholdFields<'a>;
    const NAME: &'static str = "household";

    fn id(&self) -> i32 {
        self.id
    }

    fn fields(&self) -> HouseholdFields<'_> {
        HouseholdFields {
            external_id: &self.external_id,
            address: &self.address,
            village_id: self.village_id,
            latitude: self.latitude,
            longitude: self.longitude,
            priority: self.priority,
            service_minutes: self.service_minutes,
        }
    }

    fn stamped(self, now: DateTime<Utc>, created: bool) -> Self {
        household::Model {
            created_at: if created { now } else { self.created_at },
            updated_at: now,
            ..self
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
    let txn = super::begin_writing(db).await?;
    let (old, saved, fields) =
        match save_row(&txn, household::Model::from(wanted), now, false).await? {
            Saving::Unchanged(row) => {
                txn.commit().await?;
                return Ok(row.into());
            }
            Saving::Written { old, saved, fields } => (old, saved, fields),
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
        &Saving::action(old.as_ref()),
        household::Model::NAME,
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

impl Audited for resident::Model {
    type Active = resident::ActiveModel;
    type Entity = resident::Entity;
    type Fields<'a> = ResidentFields<'a>;
    const NAME: &'static str = "resident";

    fn id(&self) -> i32 {
        self.id
    }

    fn fields(&self) -> ResidentFields<'_> {
        ResidentFields {
            external_id: &self.external_id,
            full_name: &self.full_name,
            birth_year: self.birth_year,
            phone: self.phone.as_deref(),
            presence: self.presence.0.code(),
            country: self.country.as_deref(),
            timezone: self.timezone.as_deref(),
            availability: self.availability.as_deref(),
        }
    }

    fn stamped(self, now: DateTime<Utc>, created: bool) -> Self {
        resident::Model {
            created_at: if created { now } else { self.created_at },
            updated_at: now,
            ..self
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
    let txn = super::begin_writing(db).await?;
    let wanted = resident::Model::from(wanted);
    let (old, saved, fields) = match save_row(&txn, wanted, now, !open_needs.is_empty()).await? {
        Saving::Unchanged(row) => {
            txn.commit().await?;
            return Ok(row.into());
        }
        Saving::Written { old, saved, fields } => (old, saved, fields),
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
        &Saving::action(old.as_ref()),
        resident::Model::NAME,
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

impl Audited for member::Model {
    type Active = member::ActiveModel;
    type Entity = member::Entity;
    type Fields<'a> = MemberFields<'a>;
    const NAME: &'static str = "member";

    fn id(&self) -> i32 {
        self.id
    }

    fn fields(&self) -> MemberFields<'_> {
        MemberFields {
            full_name: &self.full_name,
            role: self.role.0.code(),
            email: self.email.as_deref(),
            phone: self.phone.as_deref(),
            skills: &self.skills,
            daily_visit_cap: self.daily_visit_cap,
            remote_capable: self.remote_capable,
            home_latitude: self.home_latitude,
            home_longitude: self.home_longitude,
            availability: self.availability.as_deref(),
            active: self.active,
            language: self.language.0.code(),
        }
    }

    fn stamped(self, now: DateTime<Utc>, created: bool) -> Self {
        member::Model {
            created_at: if created { now } else { self.created_at },
            ..self
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
    let txn = super::begin_writing(db).await?;
    let (old, saved, fields) = match save_row(&txn, member::Model::from(wanted), now, false).await?
    {
        Saving::Unchanged(row) => {
            txn.commit().await?;
            return Ok(row.try_into()?);
        }
        Saving::Written { old, saved, fields } => (old, saved, fields),
    };
    append_audit(
        &txn,
        now,
        actor,
        &Saving::action(old.as_ref()),
        member::Model::NAME,
        Some(saved.id),
        serde_json::json!({"fields": fields}),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.try_into()?)
}
