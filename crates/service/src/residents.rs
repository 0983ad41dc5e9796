//! Residents' rights under Decree 13/2023 and the Personal Data Protection
//! Law (Law 91/2025): consent recorded with who, when and which text, and
//! withdrawable (a withdrawal stops planning and takes the resident off the
//! visits to come); everything held about a resident exported as one
//! document; erasure of their personal data from every table. Reading a
//! resident's personal data is logged; the log carries ids and counts,
//! never names or phone numbers.
//!
//! Who may: the team's volunteers (for the households they visit on the
//! team's calendar) and leader record consent; the leader (and
//! officials in their area) export; only the leader erases. Administrators
//! may do everything.

use chrono::{DateTime, Utc};
use doorstep_core::{ConsentAction, UserRole};
use doorstep_store::Store;
use doorstep_store::repo::residents::{self as store_residents, ConsentWrite};
pub use doorstep_store::repo::residents::{ConsentRecorded, ERASED, Erased, ResidentData};

use crate::access::Actor;
use crate::error::{FieldError, ServiceError};

/// The longest text version.
pub const MAX_VERSION: usize = 64;
/// The longest consent text.
pub const MAX_TEXT: usize = 4000;

/// A consent as the client sent it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsentInput {
    /// Which text, e.g. `mẫu 01/2025`.
    pub text_version: String,
    /// The text the resident was shown; absent: the text last recorded in
    /// the team under the same version.
    pub text: Option<String>,
}

/// The resident's team, when the actor may see it.
async fn team_of(store: &Store, actor: &Actor, resident_id: i32) -> Result<i32, ServiceError> {
    let not_found = || ServiceError::not_found("resident", resident_id);
    let (_, household) = store_residents::find_resident(store.connection(), resident_id)
        .await?
        .ok_or_else(not_found)?;
    if !actor
        .may_see_household(store, household.team_id, household.id)
        .await?
    {
        return Err(not_found());
    }
    Ok(household.team_id)
}

fn forbidden(vi: &str, en: &str) -> ServiceError {
    ServiceError::Forbidden(vi.to_owned(), en.to_owned())
}

/// Members of the team (and administrators) record consent.
fn require_member(actor: &Actor, team_id: i32) -> Result<(), ServiceError> {
    match actor.role {
        UserRole::Admin => Ok(()),
        UserRole::Leader | UserRole::Volunteer if actor.team_id == Some(team_id) => Ok(()),
        _ => Err(forbidden(
            "chỉ thành viên của tổ mới ghi nhận sự đồng ý",
            "only the team's members record consent",
        )),
    }
}

/// Records a resident's consent.
///
/// # Errors
/// Not found (no such resident in scope), forbidden (not a member of the
/// team), invalid (the version or the text), or the store fails.
pub async fn give_consent(
    store: &Store,
    actor: &Actor,
    resident_id: i32,
    input: &ConsentInput,
    now: DateTime<Utc>,
) -> Result<ConsentRecorded, ServiceError> {
    let team_id = team_of(store, actor, resident_id).await?;
    require_member(actor, team_id)?;
    let mut errors = Vec::new();
    let version = input.text_version.trim();
    if version.is_empty() || version.chars().count() > MAX_VERSION {
        errors.push(FieldError::new(
            "text_version",
            format!("cần tên mẫu văn bản đồng ý, 1–{MAX_VERSION} ký tự (ví dụ \"mẫu 01/2025\")"),
            format!("expected the consent text's version, 1–{MAX_VERSION} characters (e.g. \"mẫu 01/2025\")"),
        ));
    }
    let text = match input.text.as_deref().map(str::trim) {
        Some(text) if text.is_empty() || text.chars().count() > MAX_TEXT => {
            errors.push(FieldError::new(
                "text",
                format!("nội dung văn bản đồng ý cần 1–{MAX_TEXT} ký tự"),
                format!("the consent text must have 1–{MAX_TEXT} characters"),
            ));
            String::new()
        }
        Some(text) => text.to_owned(),
        None if errors.is_empty() => {
            match store_residents::consent_text(store.connection(), team_id, version).await? {
                Some(text) => text,
                None => {
                    errors.push(FieldError::new(
                        "text",
                        format!("tổ chưa có văn bản \"{version}\": hãy gửi kèm nội dung văn bản"),
                        format!("the team has no text \"{version}\" yet: send the text with it"),
                    ));
                    String::new()
                }
            }
        }
        None => String::new(),
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let label = actor.label();
    Ok(store_residents::record_consent(
        store.connection(),
        &ConsentWrite {
            resident_id,
            given: true,
            text_version: version,
            text: &text,
            actor: &label,
            now,
        },
    )
    .await?)
}

/// Records that a resident withdrew their consent: planning leaves them out
/// from now on, and the visits to come no longer expect them.
///
/// # Errors
/// Not found, forbidden, a conflict (no consent to withdraw), or the store
/// fails.
pub async fn withdraw_consent(
    store: &Store,
    actor: &Actor,
    resident_id: i32,
    now: DateTime<Utc>,
) -> Result<ConsentRecorded, ServiceError> {
    let team_id = team_of(store, actor, resident_id).await?;
    require_member(actor, team_id)?;
    let data = store_residents::resident_data(store.connection(), resident_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("resident", resident_id))?;
    if data.resident.consent_at.is_none() {
        return Err(ServiceError::Conflict(
            "người dân chưa có sự đồng ý nào để rút".into(),
            "the resident has no consent to withdraw".into(),
        ));
    }
    let version = data
        .consents
        .iter()
        .rev()
        .find(|c| c.action == ConsentAction::Given)
        .map_or_else(|| "register".to_owned(), |c| c.text_version.clone());
    let text = data.resident.consent_text.clone().unwrap_or_default();
    let label = actor.label();
    Ok(store_residents::record_consent(
        store.connection(),
        &ConsentWrite {
            resident_id,
            given: false,
            text_version: &version,
            text: &text,
            actor: &label,
            now,
        },
    )
    .await?)
}

/// Everything held about one resident, for the resident's request; the
/// read is logged.
///
/// # Errors
/// Not found, forbidden (volunteers), or the store fails.
pub async fn export_resident(
    store: &Store,
    actor: &Actor,
    resident_id: i32,
    now: DateTime<Utc>,
) -> Result<ResidentData, ServiceError> {
    let team_id = team_of(store, actor, resident_id).await?;
    let allowed = match actor.role {
        UserRole::Admin | UserRole::Official => true,
        UserRole::Leader => actor.team_id == Some(team_id),
        UserRole::Volunteer => false,
    };
    if !allowed {
        return Err(forbidden(
            "chỉ tổ trưởng và cán bộ xuất được dữ liệu của người dân",
            "only the team's leader and officials export a resident's data",
        ));
    }
    let data = store_residents::resident_data(store.connection(), resident_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("resident", resident_id))?;
    doorstep_store::append_audit(
        store.connection(),
        now,
        &actor.label(),
        "export_resident",
        "resident",
        Some(resident_id),
        serde_json::json!({
            "needs": data.needs.len(),
            "visits": data.visits.len(),
            "outcomes": data.outcomes.len(),
            "consents": data.consents.len(),
        }),
    )
    .await?;
    Ok(data)
}

/// Erases a resident's personal data (the team's leader or an
/// administrator).
///
/// # Errors
/// Not found, forbidden, or the store fails; then nothing is written.
pub async fn erase_resident(
    store: &Store,
    actor: &Actor,
    resident_id: i32,
    now: DateTime<Utc>,
) -> Result<Erased, ServiceError> {
    let team_id = team_of(store, actor, resident_id).await?;
    actor.require_lead(store, team_id).await?;
    store_residents::erase_resident(store.connection(), resident_id, &actor.label(), now)
        .await?
        .ok_or_else(|| ServiceError::not_found("resident", resident_id))
}
