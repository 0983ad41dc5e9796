//! The village register imported: households, their residents and their
//! needs compared with what is stored and written by parts, in one
//! transaction.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use doorstep_core::{NeedStatus, NeedStep, Presence};
use futures_util::TryStreamExt;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, QueryResult, QuerySelect, Statement, TransactionTrait, Value,
};

use super::audit::append_audit;
use super::teams::find_team;
use crate::dialect::Dialect;
use crate::entity::{erasure, household};
use crate::{RuleJson, StoreError};

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
    /// Residents of the register left out because they were erased.
    pub residents_erased_skipped: usize,
}

impl RegisterChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == RegisterChanges::default()
    }

    /// Whether a row was written: leaving out an erased resident writes
    /// none, so a register given again writes nothing, not even an audit
    /// entry.
    fn wrote_rows(&self) -> bool {
        RegisterChanges {
            residents_erased_skipped: 0,
            ..*self
        } != RegisterChanges::default()
    }
}

/// What a register does with the households and residents a team holds
/// already, found by their register keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnExisting {
    /// They take the register's values (a household's address, village and
    /// location; a resident's row), and their needs follow the register's:
    /// the import of a village's register.
    Update,
    /// They are left as they are, edited or not, and so are their needs:
    /// only the households and residents the team does not hold yet are
    /// added, with their needs (the demo's register, loaded again).
    Keep,
}

/// Households of a register applied at a time by [`apply_register`]: each
/// part costs a few statements whatever its size, and only its own stored
/// residents and needs are held in memory.
pub const REGISTER_PART: usize = 2_000;

/// The most rows one statement writes.
const ROWS_PER_STATEMENT: usize = 10_000;
/// The most ids bound in one statement: below SQLite's 32,766 and
/// PostgreSQL's 65,535 values.
const IDS_PER_STATEMENT: usize = 30_000;

/// Applies a register to a team in one transaction: households and residents
/// new to the team are created; those it holds, matched by their register
/// keys, are updated or left as they are ([`OnExisting`]). Needs listed are
/// opened when new; open needs no longer listed become not applicable (done
/// needs stay done). Nothing is written when nothing differs; otherwise one audit
/// entry records the counts of what changed, and the team's kept coverage
/// counts are brought up to date. Residents erased from the team are left
/// out.
///
/// The register is compared with what is stored [`REGISTER_PART`]
/// households at a time (see [`RegisterImport`]).
///
/// # Errors
/// The team does not exist or the database fails; then nothing is written.
pub async fn apply_register<C>(
    db: &C,
    team_id: i32,
    households: &[RegisterHousehold],
    existing: OnExisting,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<RegisterChanges, StoreError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let mut import = RegisterImport::begin(db, team_id, existing, actor, now).await?;
    for part in households.chunks(REGISTER_PART) {
        import.apply(part).await?;
    }
    import.commit().await
}

/// A register being applied to a team, part after part, in one
/// transaction: [`RegisterImport::begin`], [`RegisterImport::apply`] for
/// each part, [`RegisterImport::commit`]. Dropped before its commit (an
/// error, a bad row found late), it writes nothing.
///
/// The team's households are read once; each part's stored residents and
/// needs are read with two queries and compared in memory. New rows go in,
/// and changed rows are updated, a whole table of a part in one statement
/// that takes its rows as one JSON array (`json_each` on SQLite,
/// `jsonb_array_elements` on PostgreSQL): a register of a million rows is
/// a few hundred statements. New rows get their ids in register order.
pub struct RegisterImport {
    txn: DatabaseTransaction,
    team_id: i32,
    existing: OnExisting,
    actor: String,
    now: DateTime<Utc>,
    /// The team's stored households not yet met in the register, by key.
    stored: HashMap<Box<str>, StoredHousehold>,
    /// The tombstones of the residents erased from the team.
    erased: HashSet<String>,
    changes: RegisterChanges,
}

/// A household as the register's comparison reads it.
#[derive(FromQueryResult)]
struct HouseholdRow {
    id: i32,
    external_id: String,
    village_id: Option<i32>,
    address: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

/// A stored household, kept by its key for the comparison.
struct StoredHousehold {
    id: i32,
    village_id: Option<i32>,
    address: Box<str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

/// A resident as the register's comparison reads it.
#[derive(serde::Deserialize)]
struct StoredResident {
    id: i32,
    household_id: i32,
    external_id: String,
    full_name: String,
    birth_year: Option<i32>,
    phone: Option<String>,
    presence: String,
    country: Option<String>,
    timezone: Option<String>,
    availability: Option<String>,
    /// As the database writes an instant in JSON.
    consent_at: Option<String>,
    consent_by: Option<String>,
    consent_text: Option<String>,
}

/// A need as the register's comparison reads it.
#[derive(serde::Deserialize)]
struct StoredNeed {
    id: i32,
    resident_id: i32,
    step: String,
    status: String,
}

/// A resident of a part whose needs follow the register: its id (none yet
/// for a new one), its household's id, the register's row and its stored
/// needs.
struct KeptResident<'a> {
    id: Option<i32>,
    household_id: i32,
    input: &'a RegisterResident,
    needs: Vec<StoredNeed>,
}

impl RegisterImport {
    /// Begins the transaction (on SQLite it takes the write lock at once, so
    /// that a long import never fails half way on a concurrent writer), and
    /// reads the team's households and tombstones. On PostgreSQL, the
    /// planner's statistics of the register's tables are refreshed first
    /// when a tenth of their rows changed since they were taken: without
    /// them, a large register just imported has the next import's lookups
    /// planned as scans of the whole tables (0.4–0.7 s a part instead of
    /// 20–40 ms, measured on a million rows). The households and residents
    /// the team holds are then updated or kept as `existing` says.
    ///
    /// # Errors
    /// The team does not exist or the database fails.
    pub async fn begin<C>(
        db: &C,
        team_id: i32,
        existing: OnExisting,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<RegisterImport, StoreError>
    where
        C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
    {
        refresh_statistics_when_stale(db).await?;
        let txn = super::begin_writing(db).await?;
        if find_team(&txn, team_id).await?.is_none() {
            return Err(StoreError::NotFound(format!(
                "team {team_id} does not exist"
            )));
        }
        let erased = erasure::Entity::find()
            .select_only()
            .column(erasure::Column::RegisterKeyHash)
            .filter(erasure::Column::TeamId.eq(team_id))
            .into_tuple::<String>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let mut stored = HashMap::new();
        {
            let mut rows = household::Entity::find()
                .select_only()
                .columns([
                    household::Column::Id,
                    household::Column::ExternalId,
                    household::Column::VillageId,
                    household::Column::Address,
                    household::Column::Latitude,
                    household::Column::Longitude,
                ])
                .filter(household::Column::TeamId.eq(team_id))
                .into_model::<HouseholdRow>()
                .stream(&txn)
                .await?;
            while let Some(h) = rows.try_next().await? {
                stored.insert(
                    h.external_id.into_boxed_str(),
                    StoredHousehold {
                        id: h.id,
                        village_id: h.village_id,
                        address: h.address.into_boxed_str(),
                        latitude: h.latitude,
                        longitude: h.longitude,
                    },
                );
            }
        }
        Ok(RegisterImport {
            txn,
            team_id,
            existing,
            actor: actor.to_owned(),
            now,
            stored,
            erased,
            changes: RegisterChanges::default(),
        })
    }

    /// Applies one part of the register. A household key belongs to one
    /// part: given again, in this part or a later one, it is a household
    /// created twice, which the database refuses.
    ///
    /// # Errors
    /// The database fails; the import is then to be dropped.
    pub async fn apply(&mut self, households: &[RegisterHousehold]) -> Result<(), StoreError> {
        let (ids, stored) = self.apply_households(households).await?;
        let residents = self.apply_residents(households, &ids, &stored).await?;
        self.apply_needs(&residents).await
    }

    /// Writes the audit entry, brings the team's kept coverage counts up to
    /// date ([`super::tallies::refresh_teams`]) and commits. Nothing is
    /// written when no row was.
    ///
    /// # Errors
    /// The database fails; then nothing is written.
    pub async fn commit(self) -> Result<RegisterChanges, StoreError> {
        if self.changes.wrote_rows() {
            super::tallies::refresh_teams(&self.txn, &[self.team_id]).await?;
            append_audit(
                &self.txn,
                self.now,
                &self.actor,
                "import_register",
                "team",
                Some(self.team_id),
                serde_json::to_value(self.changes).expect("counts serialise"),
            )
            .await?;
        }
        self.txn.commit().await?;
        Ok(self.changes)
    }

    /// What the parts applied so far change, without writing any of it: the
    /// transaction is rolled back (an import's preview).
    ///
    /// # Errors
    /// The database fails.
    pub async fn roll_back(self) -> Result<RegisterChanges, StoreError> {
        self.txn.rollback().await?;
        Ok(self.changes)
    }

    /// Creates and updates the part's households; answers their ids in the
    /// part's order, and the ids of those that were stored before.
    async fn apply_households(
        &mut self,
        households: &[RegisterHousehold],
    ) -> Result<(Vec<i32>, Vec<i32>), StoreError> {
        let backend = self.txn.get_database_backend();
        let mut ids = vec![0; households.len()];
        let mut stored_ids = Vec::new();
        let mut created = Vec::new();
        let mut new_rows = Rows::new(backend);
        let mut changed = Rows::new(backend);
        for (i, input) in households.iter().enumerate() {
            match self.stored.remove(input.external_id.as_str()) {
                Some(old) => {
                    ids[i] = old.id;
                    stored_ids.push(old.id);
                    if self.existing == OnExisting::Update
                        && (old.village_id != input.village_id
                            || *old.address != *input.address
                            || old.latitude != input.latitude
                            || old.longitude != input.longitude)
                    {
                        self.changes.households_updated += 1;
                        changed.row();
                        changed.int(Some(old.id));
                        changed.int(input.village_id);
                        changed.text(Some(&input.address));
                        changed.real(input.latitude);
                        changed.real(input.longitude);
                        changed.instant(Some(self.now));
                    }
                }
                None => {
                    self.changes.households_created += 1;
                    created.push(i);
                    new_rows.row();
                    new_rows.int(Some(self.team_id));
                    new_rows.int(input.village_id);
                    new_rows.text(Some(&input.external_id));
                    new_rows.text(Some(&input.address));
                    new_rows.real(input.latitude);
                    new_rows.real(input.longitude);
                    new_rows.instant(Some(self.now));
                    new_rows.instant(Some(self.now));
                }
            }
        }
        let inserted = insert_rows(
            &self.txn,
            "households",
            &[
                ("team_id", Kind::Int),
                ("village_id", Kind::Int),
                ("external_id", Kind::Text),
                ("address", Kind::Text),
                ("latitude", Kind::Real),
                ("longitude", Kind::Real),
                ("created_at", Kind::Instant),
                ("updated_at", Kind::Instant),
            ],
            new_rows,
            "id, external_id",
        )
        .await?;
        let mut new_ids: HashMap<String, i32> = HashMap::with_capacity(inserted.len());
        for row in inserted {
            new_ids.insert(row.try_get("", "external_id")?, row.try_get("", "id")?);
        }
        for i in created {
            let key = &households[i].external_id;
            ids[i] = new_ids
                .get(key)
                .copied()
                .ok_or_else(|| inserted_without_id("households", key))?;
        }
        update_rows(
            &self.txn,
            "households",
            &[],
            &[
                ("id", Kind::Int),
                ("village_id", Kind::Int),
                ("address", Kind::Text),
                ("latitude", Kind::Real),
                ("longitude", Kind::Real),
                ("updated_at", Kind::Instant),
            ],
            changed,
        )
        .await?;
        Ok((ids, stored_ids))
    }

    /// Creates and updates the residents of the part's households (those
    /// erased left out); answers, in register order, the residents whose
    /// needs follow the register: every one, or only the new ones when the
    /// stored ones are kept.
    async fn apply_residents<'a>(
        &mut self,
        households: &'a [RegisterHousehold],
        ids: &[i32],
        stored_ids: &[i32],
    ) -> Result<Vec<KeptResident<'a>>, StoreError> {
        let backend = self.txn.get_database_backend();
        let mut stored: HashMap<i32, Vec<StoredResident>> = HashMap::new();
        let mut needs: HashMap<i32, Vec<StoredNeed>> = HashMap::new();
        if !stored_ids.is_empty() {
            // Joined from the list of ids: each household is looked up by
            // its index (the statistics are fresh, see `begin`).
            let households = format!(
                "{} JOIN residents r ON r.household_id = {}",
                Dialect::from(backend).id_table(),
                Dialect::from(backend).listed_id()
            );
            for r in read_json::<StoredResident>(
                &self.txn,
                "r.id, r.household_id, r.external_id, r.full_name, r.birth_year, r.phone, \
                 r.presence, r.country, r.timezone, r.availability, r.consent_at, r.consent_by, \
                 r.consent_text",
                &households,
                stored_ids,
            )
            .await?
            {
                stored.entry(r.household_id).or_default().push(r);
            }
            if self.existing == OnExisting::Update {
                for n in read_json::<StoredNeed>(
                    &self.txn,
                    "n.id, n.resident_id, n.step, n.status",
                    &format!("{households} JOIN needs n ON n.resident_id = r.id"),
                    stored_ids,
                )
                .await?
                {
                    needs.entry(n.resident_id).or_default().push(n);
                }
            }
        }
        for list in stored.values_mut() {
            list.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        }

        let mut kept: Vec<KeptResident<'a>> = Vec::new();
        let mut new_rows = Rows::new(backend);
        let mut changed = Rows::new(backend);
        for (input, &household_id) in households.iter().zip(ids) {
            let of_household = stored.get(&household_id);
            for r in &input.residents {
                if !self.erased.is_empty()
                    && self.erased.contains(&super::residents::register_key_hash(
                        &input.external_id,
                        &r.external_id,
                    ))
                {
                    self.changes.residents_erased_skipped += 1;
                    continue;
                }
                let old = of_household.and_then(|list| {
                    list.binary_search_by(|s| s.external_id.as_str().cmp(&r.external_id))
                        .ok()
                        .map(|k| &list[k])
                });
                let presence = r.presence.code();
                let consent = r.consent.as_ref();
                // Rules and consent left out of the register keep what is
                // stored: written as null, and the update keeps the column.
                let columns = |rows: &mut Rows| {
                    rows.text(Some(&r.full_name));
                    rows.int(r.birth_year);
                    rows.text(r.phone.as_deref());
                    rows.text(Some(presence));
                    rows.text(r.country.as_deref());
                    rows.text(r.timezone.as_deref());
                    rows.text(r.availability.as_ref().map(RuleJson::as_str));
                    rows.instant(consent.map(|c| c.at));
                    rows.text(consent.map(|c| c.by.as_str()));
                    rows.text(consent.map(|c| c.text.as_str()));
                };
                match old {
                    Some(_) if self.existing == OnExisting::Keep => {}
                    Some(old) => {
                        let same = old.full_name == r.full_name
                            && old.birth_year == r.birth_year
                            && old.phone == r.phone
                            && old.presence == presence
                            && old.country == r.country
                            && old.timezone == r.timezone
                            && r.availability.as_ref().is_none_or(|rules| {
                                old.availability.as_deref() == Some(rules.as_str())
                            })
                            && consent.is_none_or(|c| {
                                old.consent_at.as_deref().and_then(parse_instant) == Some(c.at)
                                    && old.consent_by.as_deref() == Some(c.by.as_str())
                                    && old.consent_text.as_deref() == Some(c.text.as_str())
                            });
                        if !same {
                            self.changes.residents_updated += 1;
                            changed.row();
                            changed.int(Some(old.id));
                            columns(&mut changed);
                            changed.instant(Some(self.now));
                        }
                        kept.push(KeptResident {
                            id: Some(old.id),
                            household_id,
                            input: r,
                            needs: needs.remove(&old.id).unwrap_or_default(),
                        });
                    }
                    None => {
                        self.changes.residents_created += 1;
                        new_rows.row();
                        new_rows.int(Some(household_id));
                        new_rows.text(Some(&r.external_id));
                        columns(&mut new_rows);
                        new_rows.instant(Some(self.now));
                        new_rows.instant(Some(self.now));
                        new_rows.int(Some(0));
                        kept.push(KeptResident {
                            id: None,
                            household_id,
                            input: r,
                            needs: Vec::new(),
                        });
                    }
                }
            }
        }
        let resident_columns = [
            ("full_name", Kind::Text),
            ("birth_year", Kind::Int),
            ("phone", Kind::Text),
            ("presence", Kind::Text),
            ("country", Kind::Text),
            ("timezone", Kind::Text),
            ("availability", Kind::Text),
            ("consent_at", Kind::Instant),
            ("consent_by", Kind::Text),
            ("consent_text", Kind::Text),
        ];
        let inserted = insert_rows(
            &self.txn,
            "residents",
            &[
                &[("household_id", Kind::Int), ("external_id", Kind::Text)][..],
                &resident_columns,
                &[
                    ("created_at", Kind::Instant),
                    ("updated_at", Kind::Instant),
                    ("attempts", Kind::Int),
                ],
            ]
            .concat(),
            new_rows,
            "id, household_id, external_id",
        )
        .await?;
        let mut new_ids: HashMap<(i32, String), i32> = HashMap::with_capacity(inserted.len());
        for row in inserted {
            new_ids.insert(
                (
                    row.try_get("", "household_id")?,
                    row.try_get("", "external_id")?,
                ),
                row.try_get("", "id")?,
            );
        }
        update_rows(
            &self.txn,
            "residents",
            &["availability", "consent_at", "consent_by", "consent_text"],
            &[
                &[("id", Kind::Int)][..],
                &resident_columns,
                &[("updated_at", Kind::Instant)],
            ]
            .concat(),
            changed,
        )
        .await?;
        for k in &mut kept {
            if k.id.is_none() {
                let key = (k.household_id, k.input.external_id.clone());
                k.id = Some(
                    new_ids
                        .get(&key)
                        .copied()
                        .ok_or_else(|| inserted_without_id("residents", &key.1))?,
                );
            }
        }
        Ok(kept)
    }

    /// Opens the needs listed that are not stored yet, records the steps
    /// done, and closes the open needs no longer listed.
    async fn apply_needs(&mut self, residents: &[KeptResident<'_>]) -> Result<(), StoreError> {
        let mut new_rows = Rows::new(self.txn.get_database_backend());
        let mut closed = Vec::new();
        let mut done_now = Vec::new();
        for resident in residents {
            let resident_id = resident.id.expect("every kept resident has its id");
            let existing = &resident.needs;
            let open: BTreeSet<&str> = resident.input.needs.iter().map(|n| n.code()).collect();
            let done: BTreeSet<&str> = resident.input.done.iter().map(|n| n.code()).collect();
            for (step, status) in open
                .iter()
                .filter(|s| !done.contains(*s))
                .map(|s| (s, NeedStatus::Open))
                .chain(done.iter().map(|s| (s, NeedStatus::Done)))
            {
                if existing.iter().any(|n| n.step == *step) {
                    continue;
                }
                new_rows.row();
                new_rows.int(Some(resident_id));
                new_rows.text(Some(step));
                new_rows.text(Some(status.code()));
                new_rows.instant(Some(self.now));
                new_rows.text(Some(&self.actor));
                if status == NeedStatus::Open {
                    self.changes.needs_opened += 1;
                } else {
                    self.changes.needs_done += 1;
                }
            }
            for old in existing {
                let step = old.step.as_str();
                let wanted = if done.contains(step) {
                    NeedStatus::Done
                } else if open.contains(step) {
                    continue;
                } else {
                    NeedStatus::NotApplicable
                };
                if old.status != NeedStatus::Open.code() {
                    continue;
                }
                if wanted == NeedStatus::Done {
                    self.changes.needs_done += 1;
                    done_now.push(old.id);
                } else {
                    self.changes.needs_closed += 1;
                    closed.push(old.id);
                }
            }
        }
        insert_rows(
            &self.txn,
            "needs",
            &[
                ("resident_id", Kind::Int),
                ("step", Kind::Text),
                ("status", Kind::Text),
                ("updated_at", Kind::Instant),
                ("updated_by", Kind::Text),
            ],
            new_rows,
            "",
        )
        .await?;
        for (status, ids) in [
            (NeedStatus::NotApplicable, closed),
            (NeedStatus::Done, done_now),
        ] {
            set_need_status(&self.txn, &ids, status, self.now, &self.actor).await?;
        }
        Ok(())
    }
}

/// `columns` of the rows `from` (tables joined to [`Dialect::id_table`]'s, which
/// holds `ids`) read as one JSON array of arrays: the thousands of rows of
/// a part cross from the database as one value, not one message each.
async fn read_json<T: serde::de::DeserializeOwned>(
    txn: &DatabaseTransaction,
    columns: &str,
    from: &str,
    ids: &[i32],
) -> Result<Vec<T>, StoreError> {
    let backend = txn.get_database_backend();
    let sql = Dialect::from(backend).json_rows(columns, from);
    let ids = serde_json::to_string(ids).expect("ids serialise");
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            &sql,
            [Value::from(ids)],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let text: String = row.try_get("", "rows")?;
    serde_json::from_str(&text).map_err(|e| {
        StoreError::NotFound(format!(
            "the stored rows of {from} could not be read back as JSON: {e}"
        ))
    })
}

/// An instant as the database writes it in JSON: RFC 3339 (what sqlx
/// stores on SQLite, PostgreSQL's JSON form), or SQL's `YYYY-MM-DD HH:MM:SS`
/// in UTC.
fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|at| at.and_utc())
        })
}

/// On PostgreSQL, `ANALYZE`s the register's tables when a tenth of their
/// rows (and more than a thousand) changed since their statistics were
/// taken.
async fn refresh_statistics_when_stale(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let stale = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT CAST(COUNT(*) AS INTEGER) AS n FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() \
               AND relname IN ('households', 'residents', 'needs') \
               AND n_mod_since_analyze > 1000 + n_live_tup / 10",
        ))
        .await?
        .map_or(Ok(0), |row| row.try_get::<i32>("", "n"))?;
    if stale > 0 {
        db.execute_unprepared("ANALYZE households, residents, needs")
            .await?;
    }
    Ok(())
}

fn inserted_without_id(table: &str, key: &str) -> StoreError {
    StoreError::NotFound(format!(
        "the row of {table} with register key {key} was written but its id did not come back"
    ))
}

/// The SQL type of a column written from JSON.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Real,
    Instant,
}

/// Rows for one table, as the text of a JSON array of arrays, built value
/// by value in column order.
struct Rows {
    backend: DatabaseBackend,
    /// Each statement's rows, the last one open.
    batches: Vec<String>,
    rows: usize,
    /// Whether the next value is its row's first.
    first: bool,
}

impl Rows {
    fn new(backend: DatabaseBackend) -> Rows {
        Rows {
            backend,
            batches: Vec::new(),
            rows: 0,
            first: true,
        }
    }

    fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Starts a row (closing the previous one).
    fn row(&mut self) {
        if self.rows.is_multiple_of(ROWS_PER_STATEMENT) {
            if let Some(last) = self.batches.last_mut() {
                last.push_str("]]");
            }
            self.batches.push(String::from("[["));
        } else {
            self.batches
                .last_mut()
                .expect("a batch is open")
                .push_str("],[");
        }
        self.rows += 1;
        self.first = true;
    }

    fn out(&mut self) -> &mut String {
        let out = self.batches.last_mut().expect("a row is open");
        if !std::mem::take(&mut self.first) {
            out.push(',');
        }
        out
    }

    fn int(&mut self, value: Option<i32>) {
        let out = self.out();
        match value {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.push_str("null"),
        }
    }

    fn real(&mut self, value: Option<f64>) {
        let out = self.out();
        match value {
            // Rust writes the shortest decimal that reads back as the same
            // double, so a re-import finds the stored value equal.
            Some(x) if x.is_finite() => {
                let _ = write!(out, "{x}");
            }
            _ => out.push_str("null"),
        }
    }

    fn text(&mut self, value: Option<&str>) {
        let out = self.out();
        let Some(text) = value else {
            out.push_str("null");
            return;
        };
        out.push('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c < ' ' => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }

    /// An instant as the database driver writes one
    /// ([`Dialect::instant_text`]).
    fn instant(&mut self, value: Option<DateTime<Utc>>) {
        let backend = self.backend;
        let out = self.out();
        match value {
            Some(at) => {
                let _ = write!(out, "\"{}\"", Dialect::from(backend).instant_text(at));
            }
            None => out.push_str("null"),
        }
    }

    /// The JSON text of each statement's rows.
    fn into_batches(mut self) -> Vec<String> {
        if let Some(last) = self.batches.last_mut() {
            last.push_str("]]");
        }
        self.batches
    }
}

/// `SELECT` of the columns from the rows of a JSON array bound as the
/// statement's first value, in the array's order.
fn select_json(backend: DatabaseBackend, columns: &[(&str, Kind)]) -> String {
    let postgres = backend == DatabaseBackend::Postgres;
    let values = columns
        .iter()
        .enumerate()
        .map(|(i, (name, kind))| {
            if !postgres {
                // SQLite gives JSON strings as text and numbers as numbers;
                // the column's affinity does the rest.
                return format!("value ->> {i} AS {name}");
            }
            let cast = match kind {
                Kind::Int => "INTEGER",
                Kind::Text => return format!("e ->> {i} AS {name}"),
                Kind::Real => "DOUBLE PRECISION",
                Kind::Instant => "TIMESTAMPTZ",
            };
            format!("CAST(e ->> {i} AS {cast}) AS {name}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    if postgres {
        format!(
            "SELECT {values} FROM jsonb_array_elements(CAST($1 AS JSONB)) WITH ORDINALITY AS j(e, n) ORDER BY n"
        )
    } else {
        format!("SELECT {values} FROM json_each(?) ORDER BY key")
    }
}

/// Inserts rows; with `returning` (columns, or empty), answers those
/// columns of every row written.
async fn insert_rows(
    txn: &DatabaseTransaction,
    table: &str,
    columns: &[(&str, Kind)],
    rows: Rows,
    returning: &str,
) -> Result<Vec<QueryResult>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let backend = txn.get_database_backend();
    let names = columns.iter().map(|(name, _)| *name).collect::<Vec<_>>();
    let mut sql = format!(
        "INSERT INTO {table} ({}) {}",
        names.join(", "),
        select_json(backend, columns)
    );
    if !returning.is_empty() {
        let _ = write!(sql, " RETURNING {returning}");
    }
    let mut out = Vec::new();
    for batch in rows.into_batches() {
        let statement = Statement::from_sql_and_values(backend, &sql, [Value::from(batch)]);
        if returning.is_empty() {
            txn.execute_raw(statement).await?;
        } else {
            out.extend(txn.query_all_raw(statement).await?);
        }
    }
    Ok(out)
}

/// Updates rows by id (the first column), every other column set from the
/// rows given (those `kept` only where the row's value is not null): one
/// `UPDATE … FROM` the JSON rows per statement.
async fn update_rows(
    txn: &DatabaseTransaction,
    table: &str,
    kept: &[&str],
    columns: &[(&str, Kind)],
    rows: Rows,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    let set = columns[1..]
        .iter()
        .map(|(name, _)| {
            if kept.contains(name) {
                format!("{name} = COALESCE(v.{name}, {table}.{name})")
            } else {
                format!("{name} = v.{name}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE {table} SET {set} FROM ({}) AS v WHERE {table}.id = v.id",
        select_json(backend, columns)
    );
    for batch in rows.into_batches() {
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            &sql,
            [Value::from(batch)],
        ))
        .await?;
    }
    Ok(())
}

/// Sets the status of needs by id.
async fn set_need_status(
    txn: &DatabaseTransaction,
    ids: &[i32],
    status: NeedStatus,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    for part in ids.chunks(IDS_PER_STATEMENT) {
        let placeholder = |n: usize| Dialect::from(backend).placeholder(n);
        let sql = format!(
            "UPDATE needs SET status = {}, updated_at = {}, updated_by = {} WHERE id IN ({})",
            placeholder(1),
            placeholder(2),
            placeholder(3),
            (4..4 + part.len())
                .map(placeholder)
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut values = vec![
            Value::from(status.code().to_owned()),
            Value::from(now),
            Value::from(Some(actor.to_owned())),
        ];
        values.extend(part.iter().map(|id| Value::from(*id)));
        txn.execute_raw(Statement::from_sql_and_values(backend, &sql, values))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_json_that_reads_back_as_written() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T03:04:05.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let text = "Số \"5\", ngõ 2\\3\n\t\u{1}đường";
        for (backend, instant) in [
            (
                DatabaseBackend::Sqlite,
                "2026-12-02T03:04:05.123456789+00:00",
            ),
            (DatabaseBackend::Postgres, "2026-12-02T03:04:05.123456Z"),
        ] {
            let mut rows = Rows::new(backend);
            for i in 0..ROWS_PER_STATEMENT + 1 {
                rows.row();
                rows.int(Some(i32::try_from(i).unwrap()));
                rows.text(Some(text));
                rows.real(Some(105.798_123_456_789_01));
                rows.instant(Some(at));
                rows.int(None);
            }
            let batches = rows.into_batches();
            assert_eq!(
                batches.len(),
                2,
                "a statement takes at most {ROWS_PER_STATEMENT} rows"
            );
            let first: Vec<serde_json::Value> = serde_json::from_str(&batches[0]).unwrap();
            let last: Vec<serde_json::Value> = serde_json::from_str(&batches[1]).unwrap();
            assert_eq!(first.len(), ROWS_PER_STATEMENT);
            assert_eq!(last.len(), 1);
            // serde_json reads doubles to within an ulp; the databases read
            // them exactly (see below).
            assert_eq!(last[0][0], ROWS_PER_STATEMENT);
            assert_eq!(last[0][1], text);
            assert!(
                batches[1].contains(",105.79812345678901,"),
                "{}",
                batches[1]
            );
            assert_eq!(last[0][3], instant);
            assert_eq!(last[0][4], serde_json::Value::Null);
        }
    }

    #[test]
    fn stored_instants_read_back_in_either_form() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T03:04:05.5Z")
            .unwrap()
            .with_timezone(&Utc);
        for text in [
            "2026-12-02T03:04:05.5+00:00",
            "2026-12-02T10:04:05.5+07:00",
            "2026-12-02 03:04:05.5",
        ] {
            assert_eq!(parse_instant(text), Some(at), "{text}");
        }
        assert_eq!(parse_instant("hôm qua"), None);
    }

    /// Doubles with every digit a double holds, written as JSON rows and
    /// read back by the database: a re-import finds them equal.
    async fn doubles_read_back_exactly(db: &impl ConnectionTrait) {
        let backend = db.get_database_backend();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut values = Vec::new();
        for _ in 0..(ROWS_PER_STATEMENT + 5_000) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push((x >> 11) as f64 / (1_u64 << 53) as f64 * 360.0 - 180.0);
        }
        values.extend([0.1, 19.371_43, -0.0, 1e-7, 105.798_7]);
        let mut rows = Rows::new(backend);
        for v in &values {
            rows.row();
            rows.real(Some(*v));
        }
        // As a REAL column stores it (SQLite gives "-0" or "19" back as
        // integers, which the column's affinity makes doubles again).
        let sql = format!(
            "SELECT CAST(x AS DOUBLE PRECISION) AS x FROM ({}) AS j",
            select_json(backend, &[("x", Kind::Real)])
        );
        let mut back = Vec::new();
        for batch in rows.into_batches() {
            for row in db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    &sql,
                    [Value::from(batch)],
                ))
                .await
                .unwrap()
            {
                back.push(row.try_get::<f64>("", "x").unwrap());
            }
        }
        assert_eq!(back.len(), values.len());
        for (wrote, read) in values.iter().zip(&back) {
            assert!(wrote == read, "{wrote} came back as {read} ({backend:?})");
        }
    }

    #[tokio::test]
    async fn sqlite_reads_json_doubles_exactly() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        doubles_read_back_exactly(&db).await;
    }

    /// On the PostgreSQL of `DOORSTEP_TEST_POSTGRES`, when set (a query
    /// that writes nothing).
    #[tokio::test]
    async fn postgres_reads_json_doubles_exactly() {
        let Ok(url) = std::env::var("DOORSTEP_TEST_POSTGRES") else {
            return;
        };
        let store = crate::Store::connect(&url).await.unwrap();
        doubles_read_back_exactly(store.connection()).await;
    }
}
