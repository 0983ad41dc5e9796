//! A leader manages the team's records one at a time: households,
//! residents, their needs, and the members (skills, daily cap, remote
//! calls, availability). Bodies are read field by field, so that every
//! problem names its JSON path (`availability.when[0].hours[1]`,
//! `needs[2]`); a field absent is kept, `null` clears it. No identity-card
//! number is ever stored: a value that looks like one is refused.

use chrono::{DateTime, Datelike, Utc};
pub use doorstep_core::records::{Household, Member, Need, Resident};
use doorstep_core::{Language, MemberRole, NeedStatus, NeedStep, Presence, Skill};
use doorstep_store::Store;
use doorstep_store::repo::records;
use doorstep_tide::Catalog;
use serde_json::{Map, Value};

use crate::access::Actor;
use crate::error::{FieldError, ServiceError};
use crate::rules::parse_rule;

/// Whether a text holds a run of exactly 12 digits, the form of a citizen
/// identity card (CCCD) number, which doorstep never stores.
pub fn looks_like_id_number(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() == 12)
}

/// The error for a value that looks like an identity-card number.
pub fn id_number_error(field: &str) -> FieldError {
    FieldError::new(
        field,
        "trông như số căn cước công dân (12 chữ số): doorstep không lưu số giấy tờ tùy thân, chỉ lưu trạng thái",
        "looks like a citizen identity number (12 digits): doorstep stores no identity numbers, only statuses",
    )
}

/// A field absent, null, or given.
#[derive(Clone, Debug, PartialEq)]
pub enum Patch<T> {
    /// Not in the body: keep.
    Keep,
    /// `null`: clear.
    Clear,
    /// A new value.
    Set(T),
}

impl<T> Patch<T> {
    fn apply(self, old: Option<T>) -> Option<T> {
        match self {
            Patch::Keep => old,
            Patch::Clear => None,
            Patch::Set(v) => Some(v),
        }
    }
}

/// Reads a JSON object's fields, collecting every problem with its path.
struct Body<'a> {
    fields: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Body<'a> {
    fn new(value: &'a Value, known: &[&str]) -> Result<Body<'a>, ServiceError> {
        let Some(fields) = value.as_object() else {
            return Err(ServiceError::invalid(
                "(body)",
                "cần một đối tượng JSON",
                "expected a JSON object",
            ));
        };
        let mut errors = Vec::new();
        for key in fields.keys() {
            if !known.contains(&key.as_str()) {
                errors.push(FieldError::new(
                    key,
                    format!("trường không có; các trường: {}", known.join(", ")),
                    format!("unknown field; expected one of: {}", known.join(", ")),
                ));
            }
        }
        Ok(Body { fields, errors })
    }

    fn bad(&mut self, key: &str, vi: impl Into<String>, en: impl Into<String>) {
        self.errors.push(FieldError::new(key, vi, en));
    }

    fn finish(self) -> Result<(), ServiceError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(self.errors))
        }
    }

    fn raw(&self, key: &str) -> Patch<&'a Value> {
        match self.fields.get(key) {
            None => Patch::Keep,
            Some(Value::Null) => Patch::Clear,
            Some(v) => Patch::Set(v),
        }
    }

    /// A text of 1 to `max` characters (trimmed), on one line, without
    /// control characters.
    fn text(&mut self, key: &str, max: usize) -> Patch<String> {
        match self.raw(key) {
            Patch::Set(Value::String(s)) if !s.trim().is_empty() => {
                match crate::error::text_error(key, s.trim(), max, false) {
                    None => Patch::Set(s.trim().to_owned()),
                    Some(problem) => {
                        self.bad(key, problem.message_vi, problem.message_en);
                        Patch::Keep
                    }
                }
            }
            Patch::Set(Value::String(_)) => {
                self.bad(
                    key,
                    format!("cần chuỗi 1–{max} ký tự, nhận chuỗi rỗng"),
                    format!("expected text of 1–{max} characters, got an empty one"),
                );
                Patch::Keep
            }
            Patch::Set(v) => {
                let shown: String = v.to_string().chars().take(40).collect();
                self.bad(
                    key,
                    format!("cần chuỗi 1–{max} ký tự, nhận {shown}"),
                    format!("expected text of 1–{max} characters, got {shown}"),
                );
                Patch::Keep
            }
            Patch::Clear => Patch::Clear,
            Patch::Keep => Patch::Keep,
        }
    }

    fn number(&mut self, key: &str, min: f64, max: f64) -> Patch<f64> {
        match self.raw(key) {
            Patch::Set(v) => match v.as_f64().filter(|n| (min..=max).contains(n)) {
                Some(n) => Patch::Set(n),
                None => {
                    self.bad(
                        key,
                        format!("cần số từ {min} đến {max}, nhận {v}"),
                        format!("expected a number from {min} to {max}, got {v}"),
                    );
                    Patch::Keep
                }
            },
            Patch::Clear => Patch::Clear,
            Patch::Keep => Patch::Keep,
        }
    }

    fn integer(&mut self, key: &str, min: i64, max: i64) -> Patch<i32> {
        match self.raw(key) {
            Patch::Set(v) => match v
                .as_i64()
                .filter(|n| (min..=max).contains(n))
                .and_then(|n| i32::try_from(n).ok())
            {
                Some(n) => Patch::Set(n),
                None => {
                    self.bad(
                        key,
                        format!("cần số nguyên từ {min} đến {max}, nhận {v}"),
                        format!("expected a whole number from {min} to {max}, got {v}"),
                    );
                    Patch::Keep
                }
            },
            Patch::Clear => Patch::Clear,
            Patch::Keep => Patch::Keep,
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.raw(key) {
            Patch::Set(Value::Bool(b)) => Some(*b),
            Patch::Keep => None,
            Patch::Set(v) => {
                self.bad(
                    key,
                    format!("cần true hoặc false, nhận {v}"),
                    format!("expected true or false, got {v}"),
                );
                None
            }
            Patch::Clear => {
                self.bad(
                    key,
                    "cần true hoặc false, nhận null",
                    "expected true or false, got null",
                );
                None
            }
        }
    }

    /// A phone number: digits, spaces, `+ . - ( )`, 8–15 digits.
    fn phone(&mut self, key: &str) -> Patch<String> {
        match self.text(key, 24) {
            Patch::Set(p) => {
                let digits = p.chars().filter(char::is_ascii_digit).count();
                if looks_like_id_number(&p) && !p.starts_with('+') {
                    self.errors.push(id_number_error(key));
                    Patch::Keep
                } else if !(8..=15).contains(&digits)
                    || !p
                        .chars()
                        .all(|c| c.is_ascii_digit() || " +.-()".contains(c))
                {
                    self.bad(
                        key,
                        format!("cần số điện thoại (8–15 chữ số, ví dụ 0912 345 678), nhận {p:?}"),
                        format!(
                            "expected a phone number (8–15 digits, e.g. 0912 345 678), got {p:?}"
                        ),
                    );
                    Patch::Keep
                } else {
                    Patch::Set(p)
                }
            }
            other => other,
        }
    }

    /// A code of a vocabulary (`parse` reads codes and labels).
    fn code<T>(&mut self, key: &str, parse: impl Fn(&str) -> Option<T>, codes: &str) -> Patch<T> {
        match self.raw(key) {
            Patch::Set(Value::String(s)) => match parse(s) {
                Some(v) => Patch::Set(v),
                None => {
                    self.bad(
                        key,
                        format!("cần một trong: {codes}; nhận {s:?}"),
                        format!("expected one of: {codes}; got {s:?}"),
                    );
                    Patch::Keep
                }
            },
            Patch::Set(v) => {
                self.bad(
                    key,
                    format!("cần một trong: {codes}; nhận {v}"),
                    format!("expected one of: {codes}; got {v}"),
                );
                Patch::Keep
            }
            Patch::Clear => Patch::Clear,
            Patch::Keep => Patch::Keep,
        }
    }

    /// A list of codes, each checked with its index.
    fn codes<T: PartialEq>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        codes: &str,
    ) -> Option<Vec<T>> {
        match self.raw(key) {
            Patch::Keep => None,
            Patch::Clear => Some(Vec::new()),
            Patch::Set(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item.as_str().and_then(&parse) {
                        Some(v) if !out.contains(&v) => out.push(v),
                        Some(_) => {}
                        None => self.bad(
                            &format!("{key}[{i}]"),
                            format!("cần một trong: {codes}; nhận {item}"),
                            format!("expected one of: {codes}; got {item}"),
                        ),
                    }
                }
                Some(out)
            }
            Patch::Set(v) => {
                self.bad(
                    key,
                    format!("cần một danh sách, nhận {v}"),
                    format!("expected a list, got {v}"),
                );
                None
            }
        }
    }

    /// An availability rule, checked with every problem under `key`.
    fn rule(&mut self, key: &str, catalog: &Catalog) -> Patch<String> {
        match self.raw(key) {
            Patch::Set(v) => match parse_rule(v, catalog, key) {
                Ok(rule) => Patch::Set(rule.to_json().to_string()),
                Err(errors) => {
                    self.errors.extend(errors);
                    Patch::Keep
                }
            },
            Patch::Clear => Patch::Clear,
            Patch::Keep => Patch::Keep,
        }
    }
}

fn required<T>(body: &mut Body<'_>, key: &str, patch: Patch<T>) -> Option<T> {
    match patch {
        Patch::Set(v) => Some(v),
        Patch::Clear | Patch::Keep => {
            if body.errors.iter().all(|e| e.field != key) {
                body.bad(key, "bắt buộc", "required");
            }
            None
        }
    }
}

const HOUSEHOLD_FIELDS: [&str; 6] = [
    "external_id",
    "address",
    "village_id",
    "latitude",
    "longitude",
    "priority",
];

async fn team_village(
    store: &Store,
    body: &mut Body<'_>,
    team_id: i32,
    patch: Patch<i32>,
) -> Result<Patch<i32>, ServiceError> {
    let Patch::Set(id) = patch else {
        return Ok(patch);
    };
    let db = store.connection();
    let team = doorstep_store::find_team(db, team_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("team", team_id))?;
    let villages = doorstep_store::villages_of_team(db, &team).await?;
    if villages.iter().any(|v| v.id == id) {
        Ok(Patch::Set(id))
    } else {
        let known = villages
            .iter()
            .map(|v| format!("{} ({})", v.id, v.name))
            .collect::<Vec<_>>()
            .join(", ");
        body.bad(
            "village_id",
            format!("thôn {id} không thuộc tổ; các thôn: {known}"),
            format!("village {id} is not the team's; its villages: {known}"),
        );
        Ok(Patch::Keep)
    }
}

/// Creates a household in a team (its leader).
///
/// # Errors
/// Not found, forbidden, every bad field, a register key already used
/// (conflict), or the store fails.
pub async fn create_household(
    store: &Store,
    actor: &Actor,
    team_id: i32,
    value: &Value,
    now: DateTime<Utc>,
) -> Result<Household, ServiceError> {
    actor.require_lead(store, team_id).await?;
    let mut body = Body::new(value, &HOUSEHOLD_FIELDS)?;
    let external_id = body.text("external_id", 64);
    let external_id = required(&mut body, "external_id", external_id);
    let address = body.text("address", 300);
    let address = required(&mut body, "address", address);
    let village = body.integer("village_id", 1, i64::from(i32::MAX));
    let village = team_village(store, &mut body, team_id, village).await?;
    let latitude = body.number("latitude", -90.0, 90.0);
    let longitude = body.number("longitude", -180.0, 180.0);
    let priority = body.integer("priority", 0, 10);
    body.finish()?;
    let (Some(external_id), Some(address)) = (external_id, address) else {
        return Err(ServiceError::Internal("checked above".into()));
    };
    if records::household_by_key(store.connection(), team_id, &external_id)
        .await?
        .is_some()
    {
        return Err(ServiceError::Conflict(
            format!("tổ đã có hộ mã \"{external_id}\""),
            format!("the team already has a household \"{external_id}\""),
        ));
    }
    let wanted = Household {
        id: 0,
        team_id,
        village_id: village.apply(None),
        external_id,
        address,
        latitude: latitude.apply(None),
        longitude: longitude.apply(None),
        priority: priority.apply(None),
        service_minutes: None,
        created_at: now,
        updated_at: now,
    };
    Ok(records::save_household(store.connection(), wanted, &actor.label(), now).await?)
}

async fn household_in_scope(
    store: &Store,
    actor: &Actor,
    household_id: i32,
) -> Result<Household, ServiceError> {
    let not_found = || ServiceError::not_found("household", household_id);
    let household = records::find_household(store.connection(), household_id)
        .await?
        .ok_or_else(not_found)?;
    if !actor
        .may_see_household(store, household.team_id, household.id)
        .await?
    {
        return Err(not_found());
    }
    actor.require_lead(store, household.team_id).await?;
    Ok(household)
}

/// Edits a household (its team's leader).
///
/// # Errors
/// Not found, forbidden, every bad field, a register key already used, or
/// the store fails.
pub async fn edit_household(
    store: &Store,
    actor: &Actor,
    household_id: i32,
    value: &Value,
    now: DateTime<Utc>,
) -> Result<Household, ServiceError> {
    let old = household_in_scope(store, actor, household_id).await?;
    let mut body = Body::new(value, &HOUSEHOLD_FIELDS)?;
    let external_id = body.text("external_id", 64);
    let address = body.text("address", 300);
    for (key, patch) in [("external_id", &external_id), ("address", &address)] {
        if *patch == Patch::Clear {
            body.bad(
                key,
                "bắt buộc, không xoá được",
                "required; cannot be cleared",
            );
        }
    }
    let village = body.integer("village_id", 1, i64::from(i32::MAX));
    let village = team_village(store, &mut body, old.team_id, village).await?;
    let latitude = body.number("latitude", -90.0, 90.0);
    let longitude = body.number("longitude", -180.0, 180.0);
    let priority = body.integer("priority", 0, 10);
    body.finish()?;
    let external_id = external_id
        .apply(Some(old.external_id.clone()))
        .unwrap_or_default();
    if external_id != old.external_id
        && records::household_by_key(store.connection(), old.team_id, &external_id)
            .await?
            .is_some()
    {
        return Err(ServiceError::Conflict(
            format!("tổ đã có hộ mã \"{external_id}\""),
            format!("the team already has a household \"{external_id}\""),
        ));
    }
    let wanted = Household {
        external_id,
        address: address.apply(Some(old.address.clone())).unwrap_or_default(),
        village_id: village.apply(old.village_id),
        latitude: latitude.apply(old.latitude),
        longitude: longitude.apply(old.longitude),
        priority: priority.apply(old.priority),
        ..old
    };
    Ok(records::save_household(store.connection(), wanted, &actor.label(), now).await?)
}

const RESIDENT_FIELDS: [&str; 9] = [
    "external_id",
    "full_name",
    "birth_year",
    "phone",
    "presence",
    "country",
    "timezone",
    "availability",
    "needs",
];

/// A resident's fields read from a body, before they meet the stored row.
struct ResidentPatch {
    external_id: Patch<String>,
    full_name: Patch<String>,
    birth_year: Patch<i32>,
    phone: Patch<String>,
    presence: Patch<Presence>,
    country: Patch<String>,
    timezone: Patch<String>,
    availability: Patch<String>,
    needs: Option<Vec<NeedStep>>,
}

fn read_resident(body: &mut Body<'_>, catalog: &Catalog, now: DateTime<Utc>) -> ResidentPatch {
    let external_id = body.text("external_id", 64);
    let full_name = body.text("full_name", 120);
    if let Patch::Set(name) = &full_name
        && looks_like_id_number(name)
    {
        body.errors.push(id_number_error("full_name"));
    }
    let birth_year = body.integer("birth_year", 1900, i64::from(now.year()));
    let phone = body.phone("phone");
    let presence = body.code("presence", Presence::parse, &Presence::codes());
    let country = match body.text("country", 64) {
        Patch::Set(c) => match doorstep_core::find_country(&c) {
            Some(found) => Patch::Set(found.code.to_owned()),
            None => {
                body.bad(
                    "country",
                    format!("không biết quốc gia {c:?}; cần mã (KR) hoặc tên (Hàn Quốc)"),
                    format!("unknown country {c:?}; expected a code (KR) or a name (South Korea)"),
                );
                Patch::Keep
            }
        },
        other => other,
    };
    let timezone = match body.text("timezone", 64) {
        Patch::Set(z) if z.parse::<chrono_tz::Tz>().is_err() => {
            body.bad(
                "timezone",
                format!("cần múi giờ IANA (ví dụ Asia/Seoul), nhận {z:?}"),
                format!("expected an IANA zone (e.g. Asia/Seoul), got {z:?}"),
            );
            Patch::Keep
        }
        other => other,
    };
    let availability = body.rule("availability", catalog);
    let needs = body.codes("needs", NeedStep::parse, &NeedStep::codes());
    ResidentPatch {
        external_id,
        full_name,
        birth_year,
        phone,
        presence,
        country,
        timezone,
        availability,
        needs,
    }
}

/// A resident with their needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidentRecord {
    /// The resident.
    pub resident: Resident,
    /// Their needs.
    pub needs: Vec<Need>,
}

/// Adds a resident to a household (its team's leader), with their open
/// needs.
///
/// # Errors
/// Not found, forbidden, every bad field, a register key already used in
/// the household, or the store fails.
pub async fn add_resident(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    household_id: i32,
    value: &Value,
    now: DateTime<Utc>,
) -> Result<ResidentRecord, ServiceError> {
    let household = household_in_scope(store, actor, household_id).await?;
    let catalog = &*crate::team_stations::team_catalog(store, catalog, household.team_id).await?;
    let mut body = Body::new(value, &RESIDENT_FIELDS)?;
    let patch = read_resident(&mut body, catalog, now);
    let full_name = required(&mut body, "full_name", patch.full_name);
    body.finish()?;
    let existing = records::residents_of(store.connection(), household_id).await?;
    let external_id = match patch.external_id {
        Patch::Set(key) => key,
        _ => {
            // The next free number in the household: "1", "2", …
            let mut n = existing.len() + 1;
            while existing.iter().any(|r| r.external_id == n.to_string()) {
                n += 1;
            }
            n.to_string()
        }
    };
    if existing.iter().any(|r| r.external_id == external_id) {
        return Err(ServiceError::Conflict(
            format!("hộ đã có nhân khẩu mã \"{external_id}\""),
            format!("the household already has a resident \"{external_id}\""),
        ));
    }
    let presence = patch.presence.apply(None).unwrap_or(Presence::Home);
    let wanted = Resident {
        id: 0,
        household_id: household.id,
        external_id,
        full_name: full_name.unwrap_or_default(),
        birth_year: patch.birth_year.apply(None),
        phone: patch.phone.apply(None),
        presence,
        country: patch.country.apply(None),
        timezone: patch.timezone.apply(None),
        availability: patch.availability.apply(None),
        consent_at: None,
        consent_by: None,
        consent_text: None,
        created_at: now,
        updated_at: now,
        attempts: 0,
        last_attempt_at: None,
    };
    let needs = patch.needs.unwrap_or_default();
    let saved =
        records::save_resident(store.connection(), wanted, &needs, &actor.label(), now).await?;
    let needs = records::needs_of(store.connection(), saved.id).await?;
    Ok(ResidentRecord {
        resident: saved,
        needs,
    })
}

async fn resident_in_scope(
    store: &Store,
    actor: &Actor,
    resident_id: i32,
) -> Result<(Resident, Household), ServiceError> {
    let not_found = || ServiceError::not_found("resident", resident_id);
    let (resident, household) =
        doorstep_store::repo::residents::find_resident(store.connection(), resident_id)
            .await?
            .ok_or_else(not_found)?;
    if !actor
        .may_see_household(store, household.team_id, household.id)
        .await?
    {
        return Err(not_found());
    }
    actor.require_lead(store, household.team_id).await?;
    Ok((resident, household))
}

/// Edits a resident (their team's leader); `needs` lists needs to open
/// (the others stay as they are: set each with [`set_need`]).
///
/// # Errors
/// Not found, forbidden, every bad field, or the store fails.
pub async fn edit_resident(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    resident_id: i32,
    value: &Value,
    now: DateTime<Utc>,
) -> Result<ResidentRecord, ServiceError> {
    let (old, household) = resident_in_scope(store, actor, resident_id).await?;
    let catalog = &*crate::team_stations::team_catalog(store, catalog, household.team_id).await?;
    let mut body = Body::new(value, &RESIDENT_FIELDS)?;
    let patch = read_resident(&mut body, catalog, now);
    for (key, clear) in [
        ("external_id", patch.external_id == Patch::Clear),
        ("full_name", patch.full_name == Patch::Clear),
        ("presence", patch.presence == Patch::Clear),
    ] {
        if clear {
            body.bad(
                key,
                "bắt buộc, không xoá được",
                "required; cannot be cleared",
            );
        }
    }
    body.finish()?;
    let external_id = patch
        .external_id
        .apply(Some(old.external_id.clone()))
        .unwrap_or_default();
    if external_id != old.external_id
        && records::residents_of(store.connection(), household.id)
            .await?
            .iter()
            .any(|r| r.external_id == external_id)
    {
        return Err(ServiceError::Conflict(
            format!("hộ đã có nhân khẩu mã \"{external_id}\""),
            format!("the household already has a resident \"{external_id}\""),
        ));
    }
    let have: Vec<String> = records::needs_of(store.connection(), old.id)
        .await?
        .into_iter()
        .map(|n| n.step.code().to_owned())
        .collect();
    let new_needs: Vec<NeedStep> = patch
        .needs
        .unwrap_or_default()
        .into_iter()
        .filter(|s| !have.iter().any(|h| h == s.code()))
        .collect();
    let wanted = Resident {
        external_id,
        full_name: patch
            .full_name
            .apply(Some(old.full_name.clone()))
            .unwrap_or_default(),
        birth_year: patch.birth_year.apply(old.birth_year),
        phone: patch.phone.apply(old.phone.clone()),
        presence: patch
            .presence
            .apply(Some(old.presence))
            .unwrap_or(Presence::Home),
        country: patch.country.apply(old.country.clone()),
        timezone: patch.timezone.apply(old.timezone.clone()),
        availability: patch.availability.apply(old.availability.clone()),
        ..old
    };
    let saved =
        records::save_resident(store.connection(), wanted, &new_needs, &actor.label(), now).await?;
    let needs = records::needs_of(store.connection(), saved.id).await?;
    Ok(ResidentRecord {
        resident: saved,
        needs,
    })
}

/// Sets one need of a resident: `open`, `done` or `not_applicable` (their
/// team's leader).
///
/// # Errors
/// Not found, forbidden, a bad need or status, or the store fails.
pub async fn set_need(
    store: &Store,
    actor: &Actor,
    resident_id: i32,
    need: &str,
    value: &Value,
    now: DateTime<Utc>,
) -> Result<Need, ServiceError> {
    resident_in_scope(store, actor, resident_id).await?;
    let mut body = Body::new(value, &["status"])?;
    let step = NeedStep::parse(need);
    if step.is_none() {
        body.bad(
            "need",
            format!("cần một nhu cầu: {}; nhận {need:?}", NeedStep::codes()),
            format!("expected a need: {}; got {need:?}", NeedStep::codes()),
        );
    }
    let status = body.code("status", NeedStatus::parse, &NeedStatus::codes());
    let status = required(&mut body, "status", status);
    body.finish()?;
    let (Some(step), Some(status)) = (step, status) else {
        return Err(ServiceError::Internal("checked above".into()));
    };
    Ok(records::set_need(
        store.connection(),
        resident_id,
        step,
        status,
        &actor.label(),
        now,
    )
    .await?)
}

const MEMBER_FIELDS: [&str; 12] = [
    "full_name",
    "role",
    "email",
    "phone",
    "skills",
    "daily_visit_cap",
    "remote_capable",
    "home_latitude",
    "home_longitude",
    "availability",
    "active",
    "language",
];

fn read_email(body: &mut Body<'_>) -> Patch<String> {
    match body.text("email", 254) {
        Patch::Set(e) => {
            let ok = e.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty() && domain.contains('.') && !e.contains(' ')
            });
            if ok {
                Patch::Set(e)
            } else {
                body.bad(
                    "email",
                    format!("cần địa chỉ thư điện tử (ví dụ ten@example.org), nhận {e:?}"),
                    format!("expected an e-mail address (e.g. name@example.org), got {e:?}"),
                );
                Patch::Keep
            }
        }
        other => other,
    }
}

/// Adds a member to a team (its leader).
///
/// # Errors
/// Not found, forbidden, every bad field, or the store fails.
pub async fn add_member(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    team_id: i32,
    value: &Value,
    now: DateTime<Utc>,
) -> Result<Member, ServiceError> {
    actor.require_lead(store, team_id).await?;
    edit_member_fields(store, catalog, actor, None, team_id, value, now).await
}

/// Edits a member of a team (its leader).
///
/// # Errors
/// Not found, forbidden, every bad field, or the store fails.
pub async fn edit_member(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    member_id: i32,
    value: &Value,
    now: DateTime<Utc>,
) -> Result<Member, ServiceError> {
    let not_found = || ServiceError::not_found("member", member_id);
    let old = records::find_member(store.connection(), member_id)
        .await?
        .ok_or_else(not_found)?;
    if !actor.may_see_team(store, old.team_id).await? {
        return Err(not_found());
    }
    actor.require_lead(store, old.team_id).await?;
    let team_id = old.team_id;
    edit_member_fields(store, catalog, actor, Some(old), team_id, value, now).await
}

async fn edit_member_fields(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    old: Option<Member>,
    team_id: i32,
    value: &Value,
    now: DateTime<Utc>,
) -> Result<Member, ServiceError> {
    let catalog = &*crate::team_stations::team_catalog(store, catalog, team_id).await?;
    let mut body = Body::new(value, &MEMBER_FIELDS)?;
    let full_name = body.text("full_name", 120);
    let role = body.code("role", MemberRole::parse, &MemberRole::codes());
    let email = read_email(&mut body);
    let phone = body.phone("phone");
    let skills = body.codes("skills", Skill::parse, &Skill::codes());
    let cap = body.integer("daily_visit_cap", 1, 40);
    let remote = body.boolean("remote_capable");
    let lat = body.number("home_latitude", -90.0, 90.0);
    let lon = body.number("home_longitude", -180.0, 180.0);
    let availability = body.rule("availability", catalog);
    let active = body.boolean("active");
    let language = body.code("language", Language::parse, &Language::codes());
    let full_name = match (&old, full_name) {
        (None, patch) => required(&mut body, "full_name", patch),
        (Some(_), Patch::Clear) => {
            body.bad(
                "full_name",
                "bắt buộc, không xoá được",
                "required; cannot be cleared",
            );
            None
        }
        (Some(old), patch) => patch.apply(Some(old.full_name.clone())),
    };
    body.finish()?;
    let skills = match (skills, &old) {
        (Some(list), _) => list,
        (None, Some(old)) => old.skills.clone(),
        (None, None) => Vec::new(),
    };
    let wanted = Member {
        id: old.as_ref().map_or(0, |m| m.id),
        team_id,
        full_name: full_name.unwrap_or_default(),
        role: role
            .apply(old.as_ref().map(|m| m.role))
            .unwrap_or(MemberRole::Volunteer),
        email: email.apply(old.as_ref().and_then(|m| m.email.clone())),
        phone: phone.apply(old.as_ref().and_then(|m| m.phone.clone())),
        skills,
        daily_visit_cap: cap
            .apply(old.as_ref().map(|m| m.daily_visit_cap))
            .unwrap_or(8),
        remote_capable: remote.unwrap_or(old.as_ref().is_some_and(|m| m.remote_capable)),
        home_latitude: lat.apply(old.as_ref().and_then(|m| m.home_latitude)),
        home_longitude: lon.apply(old.as_ref().and_then(|m| m.home_longitude)),
        availability: availability.apply(old.as_ref().and_then(|m| m.availability.clone())),
        active: active.unwrap_or(old.as_ref().is_none_or(|m| m.active)),
        created_at: old.as_ref().map_or(now, |m| m.created_at),
        language: language
            .apply(old.as_ref().map(|m| m.language))
            .unwrap_or(Language::Vi),
    };
    Ok(records::save_member(store.connection(), wanted, &actor.label(), now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digits_look_like_an_identity_number() {
        assert!(looks_like_id_number("CCCD 038095001234 của bà"));
        assert!(!looks_like_id_number("0912 345 678"));
        assert!(!looks_like_id_number("0912345678"));
        assert!(!looks_like_id_number("+84912345678"));
    }

    #[test]
    fn every_problem_has_its_path() {
        let catalog = crate::stations::built_in();
        let value = serde_json::json!({
            "full_name": "",
            "birth_year": 1800,
            "phone": "038095001234",
            "presence": "trên trời",
            "needs": ["vneid", "bay"],
            "availability": {"mode": "in_person", "when": [{"hours": ["25:00", "08:00"]}]},
            "nickname": "x"
        });
        let mut body = Body::new(&value, &RESIDENT_FIELDS).unwrap();
        read_resident(&mut body, &catalog, Utc::now());
        let fields: Vec<&str> = body.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "nickname",
                "full_name",
                "birth_year",
                "phone",
                "presence",
                "availability.when[0].hours[0]",
                "needs[1]"
            ]
        );
    }
}
