//! Reading teams: the teams an actor may see with what they hold, one team's
//! members, and its households a page at a time. The database counts and
//! pages; availability rules come both as stored (JSON) and in words, in
//! Vietnamese and English.
//!
//! A team outside the actor's scope is "not found". Residents' phone numbers
//! are shown only to those who may lead the team (its leader, an admin);
//! officials and volunteers never see them.

use doorstep_core::rules::{Lang, Rule, RuleContext, describe};
use doorstep_core::{MemberRole, NeedStatus, NeedStep, Presence, Skill, UserRole, fold_vietnamese};
use doorstep_store::repo::snapshot::LatLon;
use doorstep_store::{HouseholdDetails, ResidentDetails, Store, TeamSelection};
use serde::Serialize;

use crate::access::Actor;
use crate::error::{FieldError, ServiceError};

pub use doorstep_store::{NeedRecord, TeamCounts, TeamOverview};

/// Households a page unless the caller says otherwise.
pub const DEFAULT_PER_PAGE: u32 = 50;
/// The most households a page may hold.
pub const MAX_PER_PAGE: u32 = 200;

/// Which page of households, checked: `page` from 1, `per_page` from 1 to
/// [`MAX_PER_PAGE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl PageRequest {
    /// A page of `per_page` households.
    ///
    /// # Errors
    /// Each number out of range, named.
    pub fn new(page: u32, per_page: u32) -> Result<PageRequest, ServiceError> {
        let errors = PageRequest::range_errors(Some(page), Some(per_page));
        if errors.is_empty() {
            Ok(PageRequest { page, per_page })
        } else {
            Err(ServiceError::Invalid(errors))
        }
    }

    /// Reads `page` and `per_page` as a request's query gives them; missing
    /// or empty means page 1 and [`DEFAULT_PER_PAGE`].
    ///
    /// # Errors
    /// Every field that is not a whole number in range, named.
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<PageRequest, ServiceError> {
        let read = |text: Option<&str>, default: u32| match text.map(str::trim) {
            None | Some("") => Ok(default),
            Some(text) => text.parse::<u32>().map_err(|_| text.to_owned()),
        };
        let (page, per_page) = (read(page, 1), read(per_page, DEFAULT_PER_PAGE));
        let mut errors =
            PageRequest::range_errors(page.as_ref().ok().copied(), per_page.as_ref().ok().copied());
        if let Err(text) = &page {
            errors.insert(0, page_error(text));
        }
        if let Err(text) = &per_page {
            errors.push(per_page_error(text));
        }
        match (page, per_page) {
            (Ok(page), Ok(per_page)) if errors.is_empty() => Ok(PageRequest { page, per_page }),
            _ => Err(ServiceError::Invalid(errors)),
        }
    }

    /// The errors of numbers out of range, page first.
    fn range_errors(page: Option<u32>, per_page: Option<u32>) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if page == Some(0) {
            errors.push(page_error("0"));
        }
        if let Some(n) = per_page.filter(|n| !(1..=MAX_PER_PAGE).contains(n)) {
            errors.push(per_page_error(&n.to_string()));
        }
        errors
    }

    /// The page, from 1.
    pub fn page(&self) -> u32 {
        self.page
    }

    /// Households a page.
    pub fn per_page(&self) -> u32 {
        self.per_page
    }

    fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }
}

fn page_error(got: &str) -> FieldError {
    FieldError::new(
        "page",
        format!("số trang phải là số nguyên từ 1, nhận {got:?}"),
        format!("page must be a whole number from 1, got {got:?}"),
    )
}

fn per_page_error(got: &str) -> FieldError {
    FieldError::new(
        "per_page",
        format!("số hộ mỗi trang phải từ 1 đến {MAX_PER_PAGE}, nhận {got:?}"),
        format!("per_page must be a whole number from 1 to {MAX_PER_PAGE}, got {got:?}"),
    )
}

/// An availability rule as stored and in words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Availability {
    /// The rule, as stored.
    pub rule: serde_json::Value,
    /// In Vietnamese; `None` when the stored rule no longer reads.
    pub vi: Option<String>,
    /// In English; `None` when the stored rule no longer reads.
    pub en: Option<String>,
}

impl Availability {
    /// The stored rule and its words; `None` when the text is not JSON.
    pub fn from_stored(text: &str) -> Option<Availability> {
        let rule: serde_json::Value = match serde_json::from_str(text) {
            Ok(rule) => rule,
            Err(e) => {
                tracing::warn!(error = %e, "a stored availability rule is not JSON");
                return None;
            }
        };
        // The rule was checked against the station catalog when it was
        // stored; to put it in words, the stations it names are taken as known.
        let mut stations = Vec::new();
        named_stations(&rule, &mut stations);
        let (vi, en) = match Rule::parse(&rule, &RuleContext::with_stations(&stations)) {
            Ok(parsed) => (
                Some(describe(&parsed, Lang::Vi)),
                Some(describe(&parsed, Lang::En)),
            ),
            Err(errors) => {
                tracing::warn!(?errors, "a stored availability rule no longer reads");
                (None, None)
            }
        };
        Some(Availability { rule, vi, en })
    }
}

fn named_stations(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("station", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => named_stations(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| named_stations(v, out)),
        _ => {}
    }
}

/// A member of a team, as the team's pages and the API show them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    /// Id.
    pub id: i32,
    /// Full name.
    pub full_name: String,
    /// Leader or volunteer.
    pub role: MemberRole,
    /// Skills.
    pub skills: Vec<Skill>,
    /// Visits a day, at most.
    pub daily_visit_cap: u32,
    /// Makes phone or video calls.
    pub remote_capable: bool,
    /// Still on the team.
    pub active: bool,
    /// When they can visit.
    pub availability: Option<Availability>,
}

/// A resident as the register shows them to this actor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Resident {
    /// Id.
    pub id: i32,
    /// The register's key within the household.
    pub external_id: String,
    /// Full name.
    pub full_name: String,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Phone number; only for the team's leader and admins.
    pub phone: Option<String>,
    /// Where the resident is.
    pub presence: Presence,
    /// ISO country code, for residents abroad.
    pub country: Option<String>,
    /// IANA zone, for residents abroad.
    pub timezone: Option<String>,
    /// Whether consent to be recorded and visited is recorded.
    pub consent: bool,
    /// When they can be visited or called.
    pub availability: Option<Availability>,
    /// Every need and its status, in pipeline order.
    pub needs: Vec<NeedRecord>,
}

/// A household with its residents.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Household {
    /// Id.
    pub id: i32,
    /// The register's key.
    pub external_id: String,
    /// Address.
    pub address: String,
    /// Its village's name.
    pub village: Option<String>,
    /// Its own location, when surveyed.
    #[serde(skip)]
    pub location: Option<LatLon>,
    /// Residents.
    pub residents: Vec<Resident>,
}

/// One page of a team's households.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HouseholdsPage {
    /// This page, from 1.
    pub page: u32,
    /// Households a page.
    pub per_page: u32,
    /// Households of the team, in all.
    pub total: u64,
    /// This page's households, by register key.
    pub households: Vec<Household>,
}

impl HouseholdsPage {
    /// How many pages there are (at least one, even for no household).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.per_page)).max(1)
    }
}

/// The teams the actor may see, by id, with their counts.
///
/// # Errors
/// The store fails.
pub async fn list_teams(store: &Store, actor: &Actor) -> Result<Vec<TeamOverview>, ServiceError> {
    // The same scope as `Actor::may_see_team`, asked of the database at once.
    let selection = match actor.role {
        UserRole::Admin => Some(TeamSelection::All),
        UserRole::Leader | UserRole::Volunteer => actor.team_id.map(TeamSelection::One),
        UserRole::Official => actor.area_id.map(TeamSelection::WithinArea),
    };
    match selection {
        Some(selection) => Ok(doorstep_store::team_overviews(store.connection(), selection).await?),
        None => Ok(Vec::new()),
    }
}

/// One team with its counts.
///
/// # Errors
/// Not found when the team does not exist or is out of the actor's scope;
/// or the store fails.
pub async fn team(
    store: &Store,
    actor: &Actor,
    team_id: i32,
) -> Result<TeamOverview, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    doorstep_store::team_overviews(store.connection(), TeamSelection::One(team_id))
        .await?
        .pop()
        .ok_or_else(|| ServiceError::not_found("team", team_id))
}

/// A team's members, by id, with their availability in words.
///
/// # Errors
/// Not found when the team does not exist or is out of the actor's scope;
/// or the store fails.
pub async fn members(
    store: &Store,
    actor: &Actor,
    team_id: i32,
) -> Result<Vec<Member>, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    Ok(doorstep_store::team_members(store.connection(), team_id)
        .await?
        .into_iter()
        .map(|m| Member {
            availability: m
                .availability
                .as_deref()
                .and_then(Availability::from_stored),
            id: m.id,
            full_name: m.full_name,
            role: m.role,
            skills: m.skills,
            daily_visit_cap: m.daily_visit_cap,
            remote_capable: m.remote_capable,
            active: m.active,
        })
        .collect())
}

/// One page of a team's households, by register key, with residents, their
/// availability in words and their needs, and how many households there are.
/// A volunteer reads only the households of their visits on the team's
/// calendar ([`Actor::register_reach`]). A page past the last is empty. The
/// read is logged.
///
/// # Errors
/// Not found when the team does not exist or is out of the actor's scope;
/// or the store fails.
pub async fn households(
    store: &Store,
    actor: &Actor,
    team_id: i32,
    page: PageRequest,
    filter: &HouseholdFilter,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<HouseholdsPage, ServiceError> {
    actor.require_see_team(store, team_id).await?;
    let phones = actor.may_lead_team(store, team_id).await?;
    let found = if filter.is_empty() {
        doorstep_store::team_households_page(
            store.connection(),
            team_id,
            actor.register_reach(),
            page.offset(),
            u64::from(page.per_page),
        )
        .await?
    } else {
        // Walk the register page by page in register order, keeping only
        // the requested page of the matches: memory and bound variables
        // stay those of one page whatever the team's size.
        let skip = page.offset();
        let wanted = page.per_page as usize;
        let mut total = 0u64;
        let mut households = Vec::with_capacity(wanted);
        let mut after: Option<(String, i32)> = None;
        loop {
            let batch = doorstep_store::team_households_after(
                store.connection(),
                team_id,
                actor.register_reach(),
                after.as_ref().map(|(key, id)| (key.as_str(), *id)),
                SEARCH_PAGE,
            )
            .await?;
            let Some(last) = batch.last() else {
                break;
            };
            after = Some((last.external_id.clone(), last.id));
            let full = batch.len() as u64 == SEARCH_PAGE;
            for h in batch.into_iter().filter(|h| filter.matches(h)) {
                if total >= skip && households.len() < wanted {
                    households.push(h);
                }
                total += 1;
            }
            if !full {
                break;
            }
        }
        doorstep_store::HouseholdPage { total, households }
    };
    // Reading residents' personal data is logged (ids and counts only).
    let residents: usize = found.households.iter().map(|h| h.residents.len()).sum();
    if residents > 0 {
        doorstep_store::append_audit(
            store.connection(),
            now,
            &actor.label(),
            "read_residents",
            "team",
            Some(team_id),
            serde_json::json!({
                "page": page.page,
                "households": found.households.len(),
                "residents": residents,
                "phones": phones,
            }),
        )
        .await?;
    }
    Ok(HouseholdsPage {
        page: page.page,
        per_page: page.per_page,
        total: found.total,
        households: found
            .households
            .into_iter()
            .map(|h| household(h, phones))
            .collect(),
    })
}

/// How many households a search reads from the store at a time.
const SEARCH_PAGE: u64 = 500;

/// Which households of a team: every filter given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HouseholdFilter {
    /// Words found in the address, the register key, or a resident's name
    /// or phone, ignoring case and diacritics ("nguyen van duc" finds
    /// "Nguyễn Văn Đức").
    pub q: Option<String>,
    /// A query of separators only (`_`, `-`), which has no words: found as
    /// it is written (lower case), never as "everything".
    pub q_literal: Option<String>,
    /// In this village.
    pub village_id: Option<i32>,
    /// A resident has this need (in `status`, or open when no status).
    pub need: Option<NeedStep>,
    /// A resident is here (at home, at sea, away, abroad).
    pub presence: Option<Presence>,
    /// With `need`: its status; alone: a resident has a need in it.
    pub status: Option<NeedStatus>,
}

impl HouseholdFilter {
    /// Reads the filters of a request's query, each error named.
    ///
    /// # Errors
    /// Every filter that does not read.
    pub fn parse(
        q: Option<&str>,
        village: Option<&str>,
        need: Option<&str>,
        presence: Option<&str>,
        status: Option<&str>,
    ) -> Result<HouseholdFilter, ServiceError> {
        let given = |t: Option<&str>| {
            t.map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        let mut errors = Vec::new();
        let mut filter = HouseholdFilter {
            q: given(q).map(|q| fold_vietnamese(&q)),
            ..HouseholdFilter::default()
        };
        if filter.q.as_deref() == Some("") {
            filter.q_literal = given(q).map(|q| q.to_lowercase());
            filter.q = None;
        }
        if let Some(text) = given(village) {
            match text.parse::<i32>() {
                Ok(id) if id > 0 => filter.village_id = Some(id),
                _ => errors.push(FieldError::new(
                    "village",
                    format!("cần mã thôn (số), nhận {text:?}"),
                    format!("expected a village id (a number), got {text:?}"),
                )),
            }
        }
        if let Some(text) = given(need) {
            match NeedStep::parse(&text) {
                Some(step) => filter.need = Some(step),
                None => errors.push(FieldError::new(
                    "need",
                    format!("cần một nhu cầu: {}; nhận {text:?}", NeedStep::codes()),
                    format!("expected a need: {}; got {text:?}", NeedStep::codes()),
                )),
            }
        }
        if let Some(text) = given(presence) {
            match Presence::parse(&text) {
                Some(p) => filter.presence = Some(p),
                None => errors.push(FieldError::new(
                    "presence",
                    format!("cần một hiện trạng: {}; nhận {text:?}", Presence::codes()),
                    format!("expected a presence: {}; got {text:?}", Presence::codes()),
                )),
            }
        }
        if let Some(text) = given(status) {
            match NeedStatus::parse(&text) {
                Some(st) => filter.status = Some(st),
                None => errors.push(FieldError::new(
                    "status",
                    format!("cần một trạng thái: {}; nhận {text:?}", NeedStatus::codes()),
                    format!("expected a status: {}; got {text:?}", NeedStatus::codes()),
                )),
            }
        }
        if errors.is_empty() {
            Ok(filter)
        } else {
            Err(ServiceError::Invalid(errors))
        }
    }

    /// No filter at all.
    pub fn is_empty(&self) -> bool {
        *self == HouseholdFilter::default()
    }

    fn matches(&self, h: &HouseholdDetails) -> bool {
        if self.village_id.is_some() && h.village_id != self.village_id {
            return false;
        }
        if let Some(q) = self.q.as_deref().filter(|q| !q.is_empty()) {
            let mut text = format!("{} {}", h.external_id, h.address);
            for r in &h.residents {
                text.push(' ');
                text.push_str(&r.full_name);
                if let Some(phone) = &r.phone {
                    text.push(' ');
                    text.push_str(&phone.replace([' ', '.', '-'], ""));
                }
            }
            let folded = fold_vietnamese(&text);
            if !q.split(' ').all(|word| folded.contains(word)) {
                return false;
            }
        }
        if let Some(literal) = self.q_literal.as_deref() {
            let found = h.external_id.to_lowercase().contains(literal)
                || h.address.to_lowercase().contains(literal)
                || h.residents
                    .iter()
                    .any(|r| r.full_name.to_lowercase().contains(literal));
            if !found {
                return false;
            }
        }
        if let Some(presence) = self.presence
            && !h.residents.iter().any(|r| r.presence == presence)
        {
            return false;
        }
        match (self.need, self.status) {
            (None, None) => true,
            (Some(step), status) => {
                let status = status.unwrap_or(NeedStatus::Open);
                h.residents
                    .iter()
                    .any(|r| r.needs.iter().any(|n| n.step == step && n.status == status))
            }
            (None, Some(status)) => h
                .residents
                .iter()
                .any(|r| r.needs.iter().any(|n| n.status == status)),
        }
    }
}

fn household(h: HouseholdDetails, phones: bool) -> Household {
    Household {
        id: h.id,
        external_id: h.external_id,
        address: h.address,
        village: h.village,
        location: h.location,
        residents: h
            .residents
            .into_iter()
            .map(|r| resident(r, phones))
            .collect(),
    }
}

fn resident(r: ResidentDetails, phones: bool) -> Resident {
    Resident {
        availability: r
            .availability
            .as_deref()
            .and_then(Availability::from_stored),
        phone: r.phone.filter(|_| phones),
        id: r.id,
        external_id: r.external_id,
        full_name: r.full_name,
        birth_year: r.birth_year,
        presence: r.presence,
        country: r.country,
        timezone: r.timezone,
        consent: r.consent,
        needs: r.needs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_read_with_every_error_named() {
        assert_eq!(
            PageRequest::parse(None, None).unwrap(),
            PageRequest::default()
        );
        assert_eq!(
            PageRequest::parse(Some("3"), Some("")).unwrap(),
            PageRequest::new(3, DEFAULT_PER_PAGE).unwrap()
        );
        assert_eq!(PageRequest::new(2, 20).unwrap().offset(), 20);
        let fields = |e: ServiceError| match e {
            ServiceError::Invalid(errors) => {
                errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
            }
            other => panic!("{other}"),
        };
        assert_eq!(
            fields(PageRequest::parse(Some("0"), None).unwrap_err()),
            ["page"]
        );
        assert_eq!(
            fields(PageRequest::parse(Some("x"), Some("201")).unwrap_err()),
            ["page", "per_page"]
        );
        assert_eq!(
            fields(PageRequest::parse(Some("-1"), Some("0")).unwrap_err()),
            ["page", "per_page"]
        );
        assert!(PageRequest::new(1, MAX_PER_PAGE).is_ok());
    }

    #[test]
    fn stored_rules_come_in_words_with_the_stations_they_name() {
        let a = Availability::from_stored(
            r#"{"mode":"in_person","when":[{"tide":{"station":"lach-bang","near":"low","within_minutes":60}}]}"#,
        )
        .unwrap();
        assert!(
            a.vi.as_deref().is_some_and(|t| t.starts_with("Ở nhà")),
            "{a:?}"
        );
        assert!(
            a.en.as_deref().is_some_and(|t| t.starts_with("At home")),
            "{a:?}"
        );
        let broken = Availability::from_stored(r#"{"mode":"flying"}"#).unwrap();
        assert_eq!((broken.vi, broken.en), (None, None));
        assert_eq!(Availability::from_stored("not json"), None);
    }
}
