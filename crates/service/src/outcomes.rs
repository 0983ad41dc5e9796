//! Outcomes: what a volunteer records at a door, per resident and need (or
//! per resident for every need the visit was for), and what it moves.
//!
//! - `done`: the need is done. `refused`: it stays open, and planning holds
//!   it back. `needs_appointment`: it waits for the appointment's day (VNeID
//!   level 2 is done at the police). `not_home` and `reschedule`: the
//!   attempt counts (once per visit) and the answer offers the resident's
//!   next windows from their rule, after today.
//! - The visit becomes done when someone was met, missed otherwise.
//! - The same request sent twice (the same idempotency key and body) is
//!   recorded once; the same key with another body is refused.
//! - One result per resident and need at a visit: a result that
//!   contradicts one recorded there (another result for the same need, for
//!   the resident as a whole, or met where they were found away and the
//!   other way round) is refused, saying what was recorded and when. The
//!   same result sent again under a new key writes nothing and answers as
//!   a repeat; a request mixing known and new results writes the new ones.
//! - A correction (`correction: true`) replaces the results recorded for
//!   the residents and needs it names — a line without need replaces all
//!   of the resident's — as if the first had never been recorded: the
//!   needs they moved are put back as they were before the visit (unless
//!   changed since), the new results move them again, the attempts are
//!   counted again, the visit is done or missed as the remaining results
//!   say, and the audit log keeps both results.
//!
//! The assigned volunteer, the team's leader and administrators may record;
//! nobody records for a cancelled visit, a visit of a plan not published,
//! or a visit whose day has not come.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use doorstep_core::rules::{ExpansionContext, RuleContext};
use doorstep_core::{
    NeedStatus, NeedStep, OutcomeResult, PlanStatus, UserRole, VisitMode, VisitStatus,
};
use doorstep_store::Store;
use doorstep_store::repo::outcomes::{
    self, Correction, NeedBefore, NeedChange, NewOutcome, OutcomePlan, OutcomeWrite,
    Recorded as Written, RecordedOutcome, VisitOutcomes,
};
pub use doorstep_store::repo::outcomes::{NeedState, OutcomeLine, ResidentState};
use doorstep_store::repo::plans::{self, VisitRecord};
use doorstep_tide::Catalog;
use sha2::{Digest, Sha256};

use crate::access::Actor;
use crate::error::{FieldError, ServiceError};
use crate::planning::{self, reader};

/// How many days after today the next windows are looked for.
pub const NEXT_WINDOW_DAYS: u64 = 14;
/// How many next windows are offered per resident.
pub const NEXT_WINDOWS: usize = 5;
/// The longest idempotency key.
pub const MAX_KEY: usize = 128;
/// The longest note.
pub const MAX_NOTE: usize = 2000;
/// The most results in one request.
pub const MAX_OUTCOMES: usize = 100;

/// A recording as the client sent it (each field checked here, with its
/// JSON path in errors).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutcomeRequest {
    /// Chosen by the client, the same when it sends the request again.
    pub idempotency_key: String,
    /// The volunteer's note.
    pub note: Option<String>,
    /// The results.
    pub outcomes: Vec<OutcomeItem>,
    /// The results replace those recorded at the visit for the same
    /// residents and needs.
    pub correction: bool,
}

/// One result as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutcomeItem {
    /// The resident.
    pub resident_id: i32,
    /// The need's code; absent for every need the visit was for.
    pub need: Option<String>,
    /// `done`, `not_home`, `refused`, `needs_appointment` or `reschedule`.
    pub result: String,
    /// The appointment's day (`YYYY-MM-DD`), for `needs_appointment`.
    pub appointment_on: Option<String>,
}

/// A resident's next likely windows.
#[derive(Clone, Debug, PartialEq)]
pub struct NextWindows {
    /// The resident.
    pub resident_id: i32,
    /// The windows, in the team's zone, with how they are reached.
    pub windows: Vec<(DateTime<Tz>, DateTime<Tz>, VisitMode)>,
    /// Why there are none (Vietnamese, English), when there are none.
    pub reason: Option<(String, String)>,
}

/// What the recording left.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeAnswer {
    /// The visit as it now is.
    pub visit: VisitRecord,
    /// The team's zone.
    pub zone: Tz,
    /// The needs of the residents concerned, as they now are.
    pub needs: Vec<NeedState>,
    /// The residents concerned: attempts since one last met them.
    pub residents: Vec<ResidentState>,
    /// For each resident found away or asking for another time.
    pub next_windows: Vec<NextWindows>,
    /// The request had been recorded before: nothing changed now.
    pub replayed: bool,
}

/// A result as understood.
#[derive(Clone, Debug)]
struct Parsed {
    line: OutcomeLine,
    index: usize,
}

fn parse_request(request: &OutcomeRequest) -> Result<Vec<Parsed>, ServiceError> {
    let mut errors = Vec::new();
    let key = request.idempotency_key.trim();
    if key.is_empty() || key.chars().count() > MAX_KEY {
        errors.push(FieldError::new(
            "idempotency_key",
            format!("cần một khoá 1–{MAX_KEY} ký tự, giữ nguyên khi gửi lại (ví dụ một UUID)"),
            format!(
                "expected a key of 1–{MAX_KEY} characters, the same when the request is sent again (a UUID, say)"
            ),
        ));
    }
    if let Some(note) = &request.note
        && note.chars().count() > MAX_NOTE
    {
        errors.push(FieldError::new(
            "note",
            format!("ghi chú dài tối đa {MAX_NOTE} ký tự"),
            format!("the note has at most {MAX_NOTE} characters"),
        ));
    }
    if let Some(note) = &request.note
        && note.chars().count() <= MAX_NOTE
    {
        errors.extend(crate::error::text_error("note", note, MAX_NOTE, true));
    }
    if let Some(note) = &request.note
        && crate::records::looks_like_id_number(note)
    {
        errors.push(crate::records::id_number_error("note"));
    }
    if request.outcomes.is_empty() || request.outcomes.len() > MAX_OUTCOMES {
        errors.push(FieldError::new(
            "outcomes",
            format!("cần 1–{MAX_OUTCOMES} kết quả, mỗi người dân (và nhu cầu) một dòng"),
            format!("expected 1–{MAX_OUTCOMES} results, one per resident (and need)"),
        ));
    }
    let mut parsed = Vec::new();
    for (i, item) in request.outcomes.iter().enumerate() {
        let at = |field: &str| format!("outcomes[{i}].{field}");
        let result = OutcomeResult::parse(&item.result);
        if result.is_none() {
            errors.push(FieldError::new(
                at("result"),
                format!(
                    "kết quả phải là một trong {}, nhận {:?}",
                    OutcomeResult::codes(),
                    item.result
                ),
                format!(
                    "the result must be one of {}, got {:?}",
                    OutcomeResult::codes(),
                    item.result
                ),
            ));
        }
        let need = match item
            .need
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            None => None,
            Some(text) => match NeedStep::parse(text) {
                Some(step) => Some(step),
                None => {
                    errors.push(FieldError::new(
                        at("need"),
                        format!(
                            "nhu cầu phải là một trong {}, nhận {text:?}",
                            NeedStep::codes()
                        ),
                        format!(
                            "the need must be one of {}, got {text:?}",
                            NeedStep::codes()
                        ),
                    ));
                    None
                }
            },
        };
        let appointment_on = match item
            .appointment_on
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            None => None,
            Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(day) => Some(day),
                Err(_) => {
                    errors.push(FieldError::new(
                        at("appointment_on"),
                        format!("cần một ngày dạng YYYY-MM-DD, ví dụ 2026-12-10, nhận {text:?}"),
                        format!("expected a date as YYYY-MM-DD, e.g. 2026-12-10, got {text:?}"),
                    ));
                    None
                }
            },
        };
        if item.resident_id <= 0 {
            errors.push(FieldError::new(
                at("resident_id"),
                "cần mã người dân là số nguyên dương",
                "expected a positive resident id",
            ));
        }
        match (result, appointment_on, item.appointment_on.is_some()) {
            (Some(OutcomeResult::NeedsAppointment), None, false) => errors.push(FieldError::new(
                at("appointment_on"),
                "cần ngày hẹn (YYYY-MM-DD) khi kết quả là needs_appointment",
                "needs_appointment needs the appointment's day (YYYY-MM-DD)",
            )),
            (Some(r), Some(_), _) if r != OutcomeResult::NeedsAppointment => {
                errors.push(FieldError::new(
                    at("appointment_on"),
                    "chỉ ghi ngày hẹn khi kết quả là needs_appointment",
                    "an appointment's day goes only with needs_appointment",
                ))
            }
            _ => {}
        }
        if let Some(result) = result {
            parsed.push(Parsed {
                line: OutcomeLine {
                    resident_id: item.resident_id,
                    need,
                    result,
                    appointment_on,
                },
                index: i,
            });
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// The request as understood, in a stable order, hashed: a repeat has the
/// same digest whatever the order of its results or the spelling of codes.
fn digest(request: &OutcomeRequest, lines: &[Parsed]) -> String {
    let mut rows: Vec<String> = lines
        .iter()
        .map(|p| {
            format!(
                "{}|{}|{}|{}",
                p.line.resident_id,
                p.line.need.map_or("*", NeedStep::code),
                p.line.result.code(),
                p.line
                    .appointment_on
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            )
        })
        .collect();
    rows.sort();
    let mut hasher = Sha256::new();
    hasher.update(request.note.as_deref().unwrap_or("").trim());
    for row in rows {
        hasher.update(b"\n");
        hasher.update(row);
    }
    if request.correction {
        hasher.update(b"\ncorrection");
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Records a visit's outcomes (see the module's documentation).
///
/// # Errors
/// Not found (also out of scope); forbidden (not the visit's volunteer nor
/// the team's leader); a conflict (a cancelled visit, a plan not published,
/// a day not come yet, a key used for another body, a result contradicting
/// one recorded at the visit without `correction`); every field's problem
/// with its JSON path. Nothing is written on any error.
pub async fn record_outcome(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    visit_id: i32,
    request: &OutcomeRequest,
    now: DateTime<Utc>,
) -> Result<OutcomeAnswer, ServiceError> {
    let visit = plans::find_visit(store.connection(), visit_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("visit", visit_id))?;
    let plan = planning::find_plan_for(store, actor, visit.plan_id)
        .await
        .map_err(|_| ServiceError::not_found("visit", visit_id))?;
    let may = match actor.role {
        UserRole::Admin => true,
        UserRole::Leader => {
            actor.team_id == Some(plan.team_id) || actor.member_id == Some(visit.member_id)
        }
        UserRole::Volunteer => actor.member_id == Some(visit.member_id),
        UserRole::Official => false,
    };
    if !may {
        return Err(ServiceError::Forbidden(
            "chỉ người được giao lượt thăm này hoặc tổ trưởng mới được ghi kết quả".into(),
            "only the member assigned to this visit or the team's leader may record its outcome"
                .into(),
        ));
    }
    let lines = parse_request(request)?;
    let key = request.idempotency_key.trim();
    let hash = digest(request, &lines);
    let zone = planning::team_zone_of(store, plan.team_id).await?;

    if let Some(stored) = outcomes::request_digest(store.connection(), visit_id, key).await? {
        return if stored == hash {
            answer(store, catalog, &visit, zone, &lines, true, now).await
        } else {
            Err(reused_key())
        };
    }

    if visit.status == VisitStatus::Cancelled {
        return Err(ServiceError::Conflict(
            "lượt thăm này đã bị huỷ, không ghi kết quả được".into(),
            "this visit was cancelled; it takes no outcome".into(),
        ));
    }
    if !visit.on_calendar {
        return Err(match plan.status {
            PlanStatus::Draft => ServiceError::Conflict(
                "lượt thăm này thuộc một bản nháp: chỉ ghi kết quả cho lượt thăm trong lịch của tổ".into(),
                "this visit belongs to a draft: outcomes are recorded for visits on the team's calendar only".into(),
            ),
            _ => planning::replaced_visit(&visit),
        });
    }
    let visit_day = visit.start.with_timezone(&zone).date_naive();
    let today = now.with_timezone(&zone).date_naive();
    if visit_day > today {
        return Err(ServiceError::Conflict(
            format!(
                "lượt thăm này vào ngày {}, chưa đến: ghi kết quả từ ngày đó",
                visit_day.format("%d/%m/%Y")
            ),
            format!(
                "this visit is on {}, which has not come yet: record its outcome from that day",
                visit_day.format("%d/%m/%Y")
            ),
        ));
    }

    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let written = outcomes::record_outcomes(
        store.connection(),
        &OutcomeWrite {
            visit_id,
            key,
            body_hash: &hash,
            note,
            actor: &actor.label(),
            now,
        },
        |held| plan_outcomes(&visit, visit_day, zone, held, &lines, request.correction),
    )
    .await?;
    match written {
        Written::New(_) => answer(store, catalog, &visit, zone, &lines, false, now).await,
        // Every result was recorded already, or another request with the
        // same key won the race.
        Written::Unchanged => answer(store, catalog, &visit, zone, &lines, true, now).await,
        Written::Repeat { body_hash } if body_hash == hash => {
            answer(store, catalog, &visit, zone, &lines, true, now).await
        }
        Written::Repeat { .. } => Err(reused_key()),
    }
}

/// A visit the actor may record outcomes for, with its team's zone.
async fn recordable_visit(
    store: &Store,
    actor: &Actor,
    visit_id: i32,
) -> Result<(VisitRecord, Tz), ServiceError> {
    let visit = plans::find_visit(store.connection(), visit_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("visit", visit_id))?;
    let plan = planning::find_plan_for(store, actor, visit.plan_id)
        .await
        .map_err(|_| ServiceError::not_found("visit", visit_id))?;
    let may = match actor.role {
        UserRole::Admin => true,
        UserRole::Leader => {
            actor.team_id == Some(plan.team_id) || actor.member_id == Some(visit.member_id)
        }
        UserRole::Volunteer => actor.member_id == Some(visit.member_id),
        UserRole::Official => false,
    };
    if !may {
        // Someone who may not record it reads nothing of it either.
        return Err(ServiceError::not_found("visit", visit_id));
    }
    let zone = planning::team_zone_of(store, plan.team_id).await?;
    Ok((visit, zone))
}

/// The results recorded at a visit, oldest first, for someone who may
/// record them (the visit's volunteer, the team's leader, an
/// administrator): what a second tap on a resident would change.
///
/// # Errors
/// Not found (also out of scope, or not theirs to record), or the store
/// fails.
pub async fn recorded_at(
    store: &Store,
    actor: &Actor,
    visit_id: i32,
) -> Result<Vec<OutcomeLine>, ServiceError> {
    recordable_visit(store, actor, visit_id).await?;
    Ok(outcomes::visit_outcomes(store.connection(), visit_id).await?)
}

/// The next windows (from tomorrow) of the residents recorded away
/// (`not_home`, `reschedule`) at a visit, for someone who may record its
/// outcomes: what the day page shows after such a recording.
///
/// # Errors
/// As [`recorded_at`].
pub async fn away_next_windows(
    store: &Store,
    catalog: &Catalog,
    actor: &Actor,
    visit_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<NextWindows>, ServiceError> {
    let (visit, zone) = recordable_visit(store, actor, visit_id).await?;
    let away: BTreeSet<i32> = outcomes::visit_outcomes(store.connection(), visit_id)
        .await?
        .iter()
        .filter(|o| o.result.attempt())
        .map(|o| o.resident_id)
        .collect();
    if away.is_empty() {
        return Ok(Vec::new());
    }
    next_windows(store, catalog, &visit, zone, &away, now).await
}

fn reused_key() -> ServiceError {
    ServiceError::Conflict(
        "khoá idempotency_key này đã dùng cho một kết quả khác của lượt thăm: hãy dùng khoá mới"
            .into(),
        "this idempotency_key was already used for a different outcome of the visit: use a new key"
            .into(),
    )
}

/// The needs each result moves, with the line that moves them, or every
/// result's problem with its path. A line without need moves the open
/// needs the visit was for but those `settled` (decided at the visit by a
/// result that stays); the lines of `skip` are checked but move nothing.
fn need_changes(
    visit: &VisitRecord,
    visit_day: NaiveDate,
    residents: &[ResidentState],
    lines: &[Parsed],
    settled: &BTreeSet<(i32, NeedStep)>,
    skip: &BTreeSet<usize>,
) -> Result<Vec<(usize, NeedChange)>, ServiceError> {
    let mut errors = Vec::new();
    let mut seen: BTreeSet<(i32, Option<NeedStep>)> = BTreeSet::new();
    let mut met: BTreeSet<i32> = BTreeSet::new();
    let mut away: BTreeSet<i32> = BTreeSet::new();
    // Whole-visit results first, so that a result for one need wins.
    let mut ordered: Vec<&Parsed> = lines.iter().collect();
    ordered.sort_by_key(|p| (p.line.need.is_some(), p.index));
    let mut changes: BTreeMap<i32, (usize, NeedChange)> = BTreeMap::new();
    for p in ordered {
        let line = &p.line;
        let at = |field: &str| {
            if field.is_empty() {
                format!("outcomes[{}]", p.index)
            } else {
                format!("outcomes[{}].{field}", p.index)
            }
        };
        if !seen.insert((line.resident_id, line.need)) {
            errors.push(FieldError::new(
                at(""),
                "người dân và nhu cầu này đã có kết quả ở một dòng khác",
                "this resident and need already have a result in another line",
            ));
            continue;
        }
        if line.result.met() {
            met.insert(line.resident_id);
        } else {
            away.insert(line.resident_id);
        }
        let Some(resident) = residents.iter().find(|r| r.id == line.resident_id) else {
            errors.push(FieldError::new(
                at("resident_id"),
                format!(
                    "người dân {} không thuộc hộ của lượt thăm này",
                    line.resident_id
                ),
                format!(
                    "resident {} is not of this visit's household",
                    line.resident_id
                ),
            ));
            continue;
        };
        if let Some(day) = line.appointment_on
            && day < visit_day
        {
            errors.push(FieldError::new(
                at("appointment_on"),
                format!(
                    "ngày hẹn {} trước ngày thăm {}",
                    day.format("%d/%m/%Y"),
                    visit_day.format("%d/%m/%Y")
                ),
                format!(
                    "the appointment's day {} is before the visit's {}",
                    day.format("%d/%m/%Y"),
                    visit_day.format("%d/%m/%Y")
                ),
            ));
        }
        let targets: Vec<&NeedState> = match line.need {
            Some(step) => match resident
                .needs
                .iter()
                .find(|n| n.step == step && n.status != NeedStatus::NotApplicable)
            {
                Some(need) => vec![need],
                None => {
                    let has: Vec<&str> = resident
                        .needs
                        .iter()
                        .filter(|n| n.status != NeedStatus::NotApplicable)
                        .map(|n| n.step.code())
                        .collect();
                    let has = if has.is_empty() {
                        "—".to_owned()
                    } else {
                        has.join(", ")
                    };
                    errors.push(FieldError::new(
                        at("need"),
                        format!(
                            "người dân {} không có nhu cầu {} (nhu cầu của người này: {has})",
                            resident.id,
                            step.code()
                        ),
                        format!(
                            "resident {} has no need {} (their needs: {has})",
                            resident.id,
                            step.code()
                        ),
                    ));
                    continue;
                }
            },
            None => resident
                .needs
                .iter()
                .filter(|n| {
                    n.status == NeedStatus::Open
                        && visit.purposes.contains(&n.step)
                        && !settled.contains(&(resident.id, n.step))
                })
                .collect(),
        };
        if !line.result.met() || skip.contains(&p.index) {
            continue;
        }
        if targets.is_empty() {
            errors.push(FieldError::new(
                at("need"),
                format!(
                    "người dân {} không còn nhu cầu nào mà lượt thăm này nhắm tới: hãy ghi rõ nhu cầu",
                    resident.id
                ),
                format!(
                    "resident {} has no open need this visit was for: name the need",
                    resident.id
                ),
            ));
            continue;
        }
        for need in targets {
            changes.insert(
                need.id,
                (
                    p.index,
                    NeedChange {
                        need_id: need.id,
                        status: status_after(line.result),
                        last_result: Some(line.result),
                        appointment_on: line.appointment_on,
                    },
                ),
            );
        }
    }
    if let Some(both) = met.intersection(&away).next() {
        let index = lines
            .iter()
            .find(|p| p.line.resident_id == *both)
            .map_or(0, |p| p.index);
        errors.push(FieldError::new(
            format!("outcomes[{index}].result"),
            format!("người dân {both} không thể vừa gặp được vừa vắng nhà trong một lượt thăm"),
            format!("resident {both} cannot be both met and away at one visit"),
        ));
    }
    if errors.is_empty() {
        Ok(changes.into_values().collect())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// A need's status after a result that met the resident.
fn status_after(result: OutcomeResult) -> NeedStatus {
    if result == OutcomeResult::Done {
        NeedStatus::Done
    } else {
        NeedStatus::Open
    }
}

/// The needs a line speaks for: its need, or every need the visit was for
/// but those the same resident's other lines name.
fn steps_of(line: &OutcomeLine, others: &[&OutcomeLine], purposes: &[NeedStep]) -> Vec<NeedStep> {
    match line.need {
        Some(step) => vec![step],
        None => purposes
            .iter()
            .copied()
            .filter(|step| {
                !others
                    .iter()
                    .any(|o| o.resident_id == line.resident_id && o.need == Some(*step))
            })
            .collect(),
    }
}

/// What stands recorded at a visit: the result for each resident and need
/// (a result for one need wins over one for every need), and for each
/// resident a result that met them and one that found them away.
#[derive(Default)]
struct Standing<'a> {
    by_need: BTreeMap<(i32, NeedStep), &'a RecordedOutcome>,
    met: BTreeMap<i32, &'a RecordedOutcome>,
    away: BTreeMap<i32, &'a RecordedOutcome>,
}

fn standing<'a>(recorded: &[&'a RecordedOutcome], purposes: &[NeedStep]) -> Standing<'a> {
    let lines: Vec<&OutcomeLine> = recorded.iter().map(|o| &o.line).collect();
    let mut ordered = recorded.to_vec();
    ordered.sort_by_key(|o| (o.line.need.is_some(), o.id));
    let mut stands = Standing::default();
    for o in ordered {
        let resident = o.line.resident_id;
        for step in steps_of(&o.line, &lines, purposes) {
            stands.by_need.insert((resident, step), o);
        }
        if o.line.result.met() {
            stands.met.entry(resident).or_insert(o);
        } else {
            stands.away.entry(resident).or_insert(o);
        }
    }
    stands
}

/// Two results say the same: the result and the appointment's day.
fn same(a: &OutcomeLine, b: &OutcomeLine) -> bool {
    a.result == b.result && a.appointment_on == b.appointment_on
}

/// A need is as a result left it: a later change wins over a correction.
fn as_left(need: &NeedState, result: &OutcomeLine) -> bool {
    need.status == status_after(result.result)
        && need.last_result == Some(result.result)
        && need.appointment_on == result.appointment_on
}

/// A need's state, to keep with the result that moves it.
fn before(need: &NeedState) -> NeedBefore {
    NeedBefore {
        need_id: need.id,
        status: need.status,
        last_result: need.last_result,
        appointment_on: need.appointment_on,
    }
}

/// How a request's lines compare with what the visit holds.
struct Comparison<'a> {
    stands: Standing<'a>,
    /// The lines whose every need has the same result recorded already.
    known: BTreeSet<usize>,
    /// The lines against a recorded result, with the first such result, in
    /// the request's order.
    against: Vec<(usize, &'a RecordedOutcome)>,
}

fn compare<'a>(held: &'a VisitOutcomes, lines: &[Parsed], purposes: &[NeedStep]) -> Comparison<'a> {
    let recorded: Vec<&RecordedOutcome> = held.recorded.iter().collect();
    let stands = standing(&recorded, purposes);
    let sent: Vec<&OutcomeLine> = lines.iter().map(|p| &p.line).collect();
    let mut known = BTreeSet::new();
    let mut against = Vec::new();
    for p in lines {
        let resident = p.line.resident_id;
        let steps = steps_of(&p.line, &sent, purposes);
        let mut is_known = !steps.is_empty();
        let mut first = None;
        for step in steps {
            match stands.by_need.get(&(resident, step)) {
                Some(o) if same(&o.line, &p.line) => {}
                Some(o) => {
                    first.get_or_insert(*o);
                }
                None => is_known = false,
            }
        }
        let other_way = if p.line.result.met() {
            stands.away.get(&resident)
        } else {
            stands.met.get(&resident)
        };
        match first.or(other_way.copied()) {
            Some(o) => against.push((p.index, o)),
            None if is_known => {
                known.insert(p.index);
            }
            None => {}
        }
    }
    Comparison {
        stands,
        known,
        against,
    }
}

/// The lines to write, each with the needs it moves as they stand in
/// `residents` (for a correction, as put back).
fn new_outcomes<'a>(
    lines: impl Iterator<Item = &'a Parsed>,
    changes: &[(usize, NeedChange)],
    residents: &[ResidentState],
) -> Vec<NewOutcome> {
    let needs: BTreeMap<i32, &NeedState> = residents
        .iter()
        .flat_map(|r| &r.needs)
        .map(|n| (n.id, n))
        .collect();
    lines
        .map(|p| NewOutcome {
            line: p.line.clone(),
            moved: changes
                .iter()
                .filter(|(i, _)| *i == p.index)
                .filter_map(|(_, c)| needs.get(&c.need_id).map(|n| before(n)))
                .collect(),
        })
        .collect()
}

/// What a request writes at a visit, given what the visit holds (read in
/// the recording's transaction): see the module's documentation.
fn plan_outcomes(
    visit: &VisitRecord,
    visit_day: NaiveDate,
    zone: Tz,
    held: &VisitOutcomes,
    lines: &[Parsed],
    correction: bool,
) -> Result<OutcomePlan, ServiceError> {
    if !held.on_calendar {
        let mut replaced = visit.clone();
        replaced.replaced_by = held.replaced_by;
        return Err(planning::replaced_visit(&replaced));
    }
    let compared = compare(held, lines, &visit.purposes);
    if correction {
        return plan_correction(visit, visit_day, held, lines, &compared);
    }
    let settled = compared.stands.by_need.keys().copied().collect();
    let skip: BTreeSet<usize> = compared
        .known
        .iter()
        .copied()
        .chain(compared.against.iter().map(|(i, _)| *i))
        .collect();
    let changes = need_changes(visit, visit_day, &held.residents, lines, &settled, &skip)?;
    if let Some((_, first)) = compared.against.first() {
        return Err(contradiction(first, &held.names, zone));
    }
    let fresh = lines.iter().filter(|p| !skip.contains(&p.index));
    Ok(OutcomePlan {
        lines: new_outcomes(fresh, &changes, &held.residents),
        needs: changes.into_iter().map(|(_, c)| c).collect(),
        ..OutcomePlan::default()
    })
}

/// What a correction replaces: whole results, and the needs of a
/// resident's result for the whole visit that lines for one need take
/// over; with the corrections for the audit log.
struct Superseded<'a> {
    replaced: Vec<&'a RecordedOutcome>,
    released: Vec<(&'a RecordedOutcome, NeedStep)>,
    corrections: Vec<Correction>,
}

fn superseded<'a>(
    held: &'a VisitOutcomes,
    stands: &Standing<'_>,
    active: &[Parsed],
) -> Superseded<'a> {
    // The line of the correction that speaks for a resident's need.
    let line_for = |resident: i32, need: Option<NeedStep>| {
        active
            .iter()
            .find(|p| p.line.resident_id == resident && p.line.need.is_none())
            .or_else(|| {
                active
                    .iter()
                    .find(|p| p.line.resident_id == resident && p.line.need == need)
            })
            .map(|p| &p.line)
    };
    let mut out = Superseded {
        replaced: Vec::new(),
        released: Vec::new(),
        corrections: Vec::new(),
    };
    for o in &held.recorded {
        let resident = o.line.resident_id;
        let mine = || active.iter().filter(|p| p.line.resident_id == resident);
        let whole = mine().any(|p| p.line.need.is_none());
        let named: Vec<NeedStep> = mine().filter_map(|p| p.line.need).collect();
        let mut note = |need: Option<NeedStep>| {
            if let Some(after) = line_for(resident, need)
                && !same(&o.line, after)
            {
                out.corrections.push(Correction {
                    resident_id: resident,
                    need,
                    before: (o.line.result, o.line.appointment_on),
                    after: (after.result, after.appointment_on),
                });
            }
        };
        if whole || o.line.need.is_some_and(|n| named.contains(&n)) {
            note(o.line.need);
            out.replaced.push(o);
        } else if o.line.need.is_none() {
            for step in named {
                if stands.by_need.get(&(resident, step)).map(|s| s.id) == Some(o.id) {
                    note(Some(step));
                    out.released.push((o, step));
                }
            }
        }
    }
    out
}

/// A correction (see the module's documentation).
fn plan_correction(
    visit: &VisitRecord,
    visit_day: NaiveDate,
    held: &VisitOutcomes,
    lines: &[Parsed],
    compared: &Comparison<'_>,
) -> Result<OutcomePlan, ServiceError> {
    let purposes = &visit.purposes;
    // Residents whose every line is as recorded are left alone.
    let unchanged = |resident: i32| {
        lines
            .iter()
            .filter(|p| p.line.resident_id == resident)
            .all(|p| compared.known.contains(&p.index))
    };
    let active: Vec<Parsed> = lines
        .iter()
        .filter(|p| !unchanged(p.line.resident_id))
        .cloned()
        .collect();
    if active.is_empty() {
        return Ok(OutcomePlan::default());
    }
    let Superseded {
        replaced,
        released,
        corrections,
    } = superseded(held, &compared.stands, &active);

    // What stays must agree with the correction: a resident is not met and
    // found away at one visit.
    let kept: Vec<&RecordedOutcome> = held
        .recorded
        .iter()
        .filter(|o| !replaced.iter().any(|r| r.id == o.id))
        .collect();
    let kept_stands = standing(&kept, purposes);
    let mut errors = Vec::new();
    for p in &active {
        let resident = p.line.resident_id;
        let other_way = if p.line.result.met() {
            kept_stands.away.get(&resident)
        } else {
            kept_stands.met.get(&resident)
        };
        if let Some(o) = other_way {
            errors.push(FieldError::new(
                format!("outcomes[{}].result", p.index),
                format!(
                    "người dân {resident} vẫn có kết quả '{}' ở lượt thăm này: không thể vừa gặp được vừa vắng nhà; hãy sửa mọi kết quả của người này bằng một dòng không ghi nhu cầu",
                    o.line.result.label_vi()
                ),
                format!(
                    "resident {resident} keeps the result '{}' at this visit: they cannot be both met and away; correct all of their results with a line without need",
                    o.line.result.label_en()
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let sent: Vec<&OutcomeLine> = lines.iter().map(|p| &p.line).collect();
    let corrected: BTreeSet<(i32, NeedStep)> = active
        .iter()
        .flat_map(|p| {
            let resident = p.line.resident_id;
            steps_of(&p.line, &sent, purposes)
                .into_iter()
                .map(move |s| (resident, s))
        })
        .collect();
    let settled: BTreeSet<(i32, NeedStep)> = kept_stands
        .by_need
        .keys()
        .copied()
        .filter(|k| !corrected.contains(k))
        .collect();

    let mut working = held.residents.clone();
    let (restored, released_rows) = put_back(held, purposes, &replaced, &released, &mut working);
    let changes = need_changes(
        visit,
        visit_day,
        &working,
        &active,
        &settled,
        &BTreeSet::new(),
    )?;
    let mut needs: Vec<NeedChange> = changes.iter().map(|(_, c)| c.clone()).collect();
    for need in working.iter().flat_map(|r| &r.needs) {
        if restored.contains(&need.id) && !needs.iter().any(|c| c.need_id == need.id) {
            needs.push(NeedChange {
                need_id: need.id,
                status: need.status,
                last_result: need.last_result,
                appointment_on: need.appointment_on,
            });
        }
    }
    Ok(OutcomePlan {
        lines: new_outcomes(active.iter(), &changes, &working),
        replaced: replaced.iter().map(|o| o.id).collect(),
        released: released_rows,
        needs,
        corrections,
    })
}

/// Puts back in `residents` what the superseded results moved, as it was
/// before the visit, where it is still as they left it. Answers the needs
/// put back and the `(outcome, need)` rows the kept results give up.
fn put_back(
    held: &VisitOutcomes,
    purposes: &[NeedStep],
    replaced: &[&RecordedOutcome],
    released: &[(&RecordedOutcome, NeedStep)],
    residents: &mut [ResidentState],
) -> (BTreeSet<i32>, Vec<(i32, i32)>) {
    let claimed: BTreeSet<i32> = held
        .recorded
        .iter()
        .flat_map(|o| o.moved.iter().map(|m| m.need_id))
        .collect();
    let recorded: Vec<&OutcomeLine> = held.recorded.iter().map(|o| &o.line).collect();
    let mut restored = BTreeSet::new();
    let mut given_up = Vec::new();
    let superseded = replaced
        .iter()
        .map(|o| (*o, None))
        .chain(released.iter().map(|(o, step)| (*o, Some(*step))));
    for (o, only) in superseded {
        let Some(resident) = residents.iter_mut().find(|r| r.id == o.line.resident_id) else {
            continue;
        };
        let covered = steps_of(&o.line, &recorded, purposes);
        for need in resident.needs.iter_mut() {
            if only.is_some_and(|step| need.step != step) {
                continue;
            }
            let entry = o.moved.iter().find(|m| m.need_id == need.id);
            if only.is_some() && entry.is_some() {
                given_up.push((o.id, need.id));
            }
            if !as_left(need, &o.line) {
                continue;
            }
            let was = match entry {
                Some(m) => m.clone(),
                // Recorded before the moved needs were kept: a need such a
                // result would have moved was open.
                None if o.moved.is_empty()
                    && o.line.result.met()
                    && covered.contains(&need.step)
                    && !claimed.contains(&need.id) =>
                {
                    NeedBefore {
                        need_id: need.id,
                        status: NeedStatus::Open,
                        last_result: None,
                        appointment_on: None,
                    }
                }
                None => continue,
            };
            need.status = was.status;
            need.last_result = was.last_result;
            need.appointment_on = was.appointment_on;
            restored.insert(need.id);
        }
    }
    (restored, given_up)
}

/// The conflict of a result that contradicts one recorded at the visit,
/// with the first result in words and when it was recorded.
fn contradiction(first: &RecordedOutcome, names: &BTreeMap<i32, String>, zone: Tz) -> ServiceError {
    let line = &first.line;
    let name = names
        .get(&line.resident_id)
        .cloned()
        .unwrap_or_else(|| format!("#{}", line.resident_id));
    let at = first.recorded_at.with_timezone(&zone);
    let (time, day) = (at.format("%H:%M"), at.format("%d/%m/%Y"));
    let mut vi = format!("'{}'", line.result.label_vi());
    let mut en = format!("'{}'", line.result.label_en());
    if let Some(need) = line.need {
        vi.push_str(&format!(" (nhu cầu '{}')", need.label_vi()));
        en.push_str(&format!(" (need '{}')", need.label_en()));
    }
    if let Some(on) = line.appointment_on {
        vi.push_str(&format!(" (hẹn ngày {})", on.format("%d/%m/%Y")));
        en.push_str(&format!(" (appointment on {})", on.format("%d/%m/%Y")));
    }
    ServiceError::Conflict(
        format!(
            "Người dân {name} đã được ghi {vi} cho lượt thăm này lúc {time} ngày {day}; gửi kèm \"correction\": true để sửa"
        ),
        format!(
            "Resident {name} was already recorded as {en} for this visit at {time} on {day}; send \"correction\": true to change it"
        ),
    )
}

/// The visit, the needs and attempts of the residents concerned, and the
/// next windows of those found away.
async fn answer(
    store: &Store,
    catalog: &Catalog,
    visit: &VisitRecord,
    zone: Tz,
    lines: &[Parsed],
    replayed: bool,
    now: DateTime<Utc>,
) -> Result<OutcomeAnswer, ServiceError> {
    let visit = plans::find_visit(store.connection(), visit.id)
        .await?
        .ok_or_else(|| ServiceError::not_found("visit", visit.id))?;
    let concerned: BTreeSet<i32> = visit
        .residents
        .iter()
        .copied()
        .chain(lines.iter().map(|p| p.line.resident_id))
        .collect();
    let residents: Vec<ResidentState> =
        outcomes::household_residents(store.connection(), visit.household_id)
            .await?
            .into_iter()
            .filter(|r| concerned.contains(&r.id))
            .collect();
    let needs = residents.iter().flat_map(|r| r.needs.clone()).collect();
    let away: BTreeSet<i32> = lines
        .iter()
        .filter(|p| p.line.result.attempt())
        .map(|p| p.line.resident_id)
        .collect();
    let next_windows = if away.is_empty() {
        Vec::new()
    } else {
        next_windows(store, catalog, &visit, zone, &away, now).await?
    };
    Ok(OutcomeAnswer {
        visit,
        zone,
        needs,
        residents,
        next_windows,
        replayed,
    })
}

/// Each resident's first windows from tomorrow (in the team's zone), from
/// their rule, minus the team's and the village's blackouts.
async fn next_windows(
    store: &Store,
    catalog: &Catalog,
    visit: &VisitRecord,
    zone: Tz,
    residents: &BTreeSet<i32>,
    now: DateTime<Utc>,
) -> Result<Vec<NextWindows>, ServiceError> {
    let plan = plans::find_plan(store.connection(), visit.plan_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("plan", visit.plan_id))?;
    let Some(mut snapshot) = doorstep_store::repo::snapshot::team_snapshot_part(
        store.connection(),
        plan.team_id,
        &[],
        &[visit.household_id],
    )
    .await?
    else {
        return Err(ServiceError::not_found("team", plan.team_id));
    };
    snapshot.blackouts =
        doorstep_store::repo::blackouts::team_blackouts(store.connection(), plan.team_id).await?;
    let catalog = &*crate::team_stations::team_catalog(store, catalog, plan.team_id).await?;
    let blackouts = planning::parse_blackouts(&snapshot, catalog);
    let tomorrow = now.with_timezone(&zone).date_naive() + Days::new(1);
    let from = planning::local_midnight(zone, tomorrow);
    let to = planning::local_midnight(zone, tomorrow + Days::new(NEXT_WINDOW_DAYS));
    let ctx = ExpansionContext::new(from, to, zone, catalog.clone())
        .map_err(|e| ServiceError::Internal(format!("expansion: {e}")))?;
    let Some(household) = snapshot.households.first() else {
        return Ok(Vec::new());
    };
    let at = |minute: i64| {
        DateTime::from_timestamp(minute * 60, 0)
            .unwrap_or_default()
            .with_timezone(&zone)
    };
    Ok(household
        .residents
        .iter()
        .filter(|r| residents.contains(&r.id))
        .map(|r| {
            match reader::resident_reach(
                &ctx,
                RuleContext::from_catalog(catalog),
                r,
                household.village_id,
                &blackouts,
            ) {
                Ok((mode, spans)) => {
                    let windows: Vec<_> = spans
                        .iter()
                        .take(NEXT_WINDOWS)
                        .map(|&(a, b)| (at(a), at(b), mode))
                        .collect();
                    let reason = windows.is_empty().then(|| {
                        (
                            format!(
                                "không có khung giờ nào trong {NEXT_WINDOW_DAYS} ngày tới theo lịch có mặt của người này"
                            ),
                            format!(
                                "no window in the next {NEXT_WINDOW_DAYS} days by this resident's availability"
                            ),
                        )
                    });
                    NextWindows {
                        resident_id: r.id,
                        windows,
                        reason,
                    }
                }
                Err(reason) => NextWindows {
                    resident_id: r.id,
                    windows: Vec::new(),
                    reason: Some(reason),
                },
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(resident: i32, need: Option<&str>, result: &str, day: Option<&str>) -> OutcomeItem {
        OutcomeItem {
            resident_id: resident,
            need: need.map(str::to_owned),
            result: result.to_owned(),
            appointment_on: day.map(str::to_owned),
        }
    }

    fn request(items: Vec<OutcomeItem>) -> OutcomeRequest {
        OutcomeRequest {
            idempotency_key: "k-1".into(),
            note: None,
            outcomes: items,
            correction: false,
        }
    }

    fn paths(e: ServiceError) -> Vec<String> {
        match e {
            ServiceError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_note_with_an_identity_number_is_refused() {
        let mut with_id = request(vec![item(12, None, "done", None)]);
        with_id.note = Some("Bà Lan, CCCD 038095001234, đã cài".into());
        assert_eq!(paths(parse_request(&with_id).unwrap_err()), ["note"]);
        with_id.note = Some("Gọi lại 0912 345 678 sau rằm".into());
        assert!(parse_request(&with_id).is_ok());
    }

    #[test]
    fn every_bad_field_is_named_by_its_path() {
        let bad = OutcomeRequest {
            idempotency_key: " ".into(),
            note: Some("x".repeat(MAX_NOTE + 1)),
            outcomes: vec![
                item(12, Some("vneid"), "done", None),
                item(13, None, "gone fishing", None),
                item(0, Some("vneid_level2"), "needs_appointment", None),
                item(14, None, "done", Some("2026-12-10")),
                item(15, None, "needs_appointment", Some("10/12/2026")),
            ],
            correction: false,
        };
        assert_eq!(
            paths(parse_request(&bad).unwrap_err()),
            [
                "idempotency_key",
                "note",
                "outcomes[1].result",
                "outcomes[2].resident_id",
                "outcomes[2].appointment_on",
                "outcomes[3].appointment_on",
                "outcomes[4].appointment_on",
            ]
        );
        assert_eq!(
            paths(parse_request(&request(Vec::new())).unwrap_err()),
            ["outcomes"]
        );
    }

    #[test]
    fn codes_and_vietnamese_words_are_understood() {
        let parsed = parse_request(&request(vec![
            item(12, Some("Cài đặt VNeID"), "Đã xong", None),
            item(13, None, "vắng nhà", None),
        ]))
        .unwrap();
        assert_eq!(parsed[0].line.need, Some(NeedStep::VneidInstall));
        assert_eq!(parsed[0].line.result, OutcomeResult::Done);
        assert_eq!(parsed[1].line.result, OutcomeResult::NotHome);
    }

    #[test]
    fn a_repeat_hashes_the_same_whatever_the_order_and_spelling() {
        let a = request(vec![
            item(12, Some("vneid_install"), "done", None),
            item(13, None, "not_home", None),
        ]);
        let b = request(vec![
            item(13, None, "Không có nhà", None),
            item(12, Some("Cài đặt VNeID"), "done", None),
        ]);
        let c = request(vec![
            item(12, Some("vneid_install"), "done", None),
            item(13, None, "reschedule", None),
        ]);
        let h = |r: &OutcomeRequest| digest(r, &parse_request(r).unwrap());
        assert_eq!(h(&a), h(&b));
        assert_ne!(h(&a), h(&c));
    }

    fn need(id: i32, resident: i32, step: NeedStep, status: NeedStatus) -> NeedState {
        NeedState {
            id,
            resident_id: resident,
            step,
            status,
            last_result: None,
            appointment_on: None,
            updated_at: DateTime::UNIX_EPOCH,
            updated_by: None,
        }
    }

    fn household() -> (VisitRecord, Vec<ResidentState>) {
        let visit = VisitRecord {
            id: 1,
            plan_id: 1,
            household_id: 1,
            member_id: 1,
            start: DateTime::UNIX_EPOCH,
            end: DateTime::UNIX_EPOCH,
            mode: VisitMode::InPerson,
            purposes: vec![NeedStep::VneidInstall, NeedStep::VneidLevel2],
            residents: vec![12, 13],
            status: VisitStatus::Proposed,
            pinned: false,
            job: "h1".into(),
            updated_at: DateTime::UNIX_EPOCH,
            on_calendar: true,
            replaced_by: None,
        };
        let residents = vec![
            ResidentState {
                id: 12,
                attempts: 0,
                last_attempt_at: None,
                needs: vec![
                    need(1, 12, NeedStep::VneidInstall, NeedStatus::Open),
                    need(2, 12, NeedStep::VneidLevel2, NeedStatus::Open),
                    need(3, 12, NeedStep::EPayment, NeedStatus::NotApplicable),
                ],
            },
            ResidentState {
                id: 13,
                attempts: 1,
                last_attempt_at: None,
                needs: vec![need(4, 13, NeedStep::VneidInstall, NeedStatus::Open)],
            },
        ];
        (visit, residents)
    }

    fn changes(items: Vec<OutcomeItem>) -> Result<Vec<NeedChange>, ServiceError> {
        let (visit, residents) = household();
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        need_changes(
            &visit,
            day,
            &residents,
            &parse_request(&request(items)).unwrap(),
            &BTreeSet::new(),
            &BTreeSet::new(),
        )
        .map(|moved| moved.into_iter().map(|(_, c)| c).collect())
    }

    #[test]
    fn a_whole_visit_result_moves_the_needs_the_visit_was_for_and_one_need_wins() {
        let moved = changes(vec![
            item(
                12,
                Some("vneid_level2"),
                "needs_appointment",
                Some("2026-12-10"),
            ),
            item(12, None, "done", None),
            item(13, None, "not_home", None),
        ])
        .unwrap();
        assert_eq!(moved.len(), 2, "{moved:?}");
        assert_eq!(moved[0].need_id, 1);
        assert_eq!(moved[0].status, NeedStatus::Done);
        assert_eq!(moved[1].need_id, 2);
        assert_eq!(moved[1].status, NeedStatus::Open);
        assert_eq!(moved[1].last_result, Some(OutcomeResult::NeedsAppointment));
        assert_eq!(
            moved[1].appointment_on,
            NaiveDate::from_ymd_opt(2026, 12, 10)
        );
    }

    #[test]
    fn needs_a_resident_lacks_and_strangers_are_refused_with_their_line() {
        let refused = changes(vec![
            item(12, Some("e_payment"), "done", None),
            item(13, Some("documents"), "refused", None),
            item(99, None, "done", None),
            item(13, None, "needs_appointment", Some("2026-11-20")),
        ])
        .unwrap_err();
        assert_eq!(
            paths(refused),
            [
                "outcomes[2].resident_id",
                "outcomes[3].appointment_on",
                "outcomes[0].need",
                "outcomes[1].need",
            ]
        );
        let twice = changes(vec![
            item(12, None, "done", None),
            item(12, None, "refused", None),
        ])
        .unwrap_err();
        assert_eq!(paths(twice), ["outcomes[1]"]);
        let both = changes(vec![
            item(13, None, "not_home", None),
            item(13, Some("vneid_install"), "done", None),
        ])
        .unwrap_err();
        assert_eq!(paths(both), ["outcomes[0].result"]);
    }

    /// Resident 12 recorded `done` for the whole visit at 09:12 on
    /// 06/12/2026 (Hà Nội), which moved needs 1 and 2 from open.
    fn done_at_nine(moved: bool) -> (VisitRecord, VisitOutcomes) {
        let (visit, mut residents) = household();
        for n in residents[0].needs.iter_mut().take(2) {
            n.status = NeedStatus::Done;
            n.last_result = Some(OutcomeResult::Done);
        }
        let open = |need_id| NeedBefore {
            need_id,
            status: NeedStatus::Open,
            last_result: None,
            appointment_on: None,
        };
        let held = VisitOutcomes {
            residents,
            names: BTreeMap::from([
                (12, "Nguyễn Văn A".to_owned()),
                (13, "Trần Thị B".to_owned()),
            ]),
            recorded: vec![RecordedOutcome {
                id: 7,
                line: OutcomeLine {
                    resident_id: 12,
                    need: None,
                    result: OutcomeResult::Done,
                    appointment_on: None,
                },
                recorded_by: "user:3".into(),
                recorded_at: "2026-12-06T02:12:00Z".parse().unwrap(),
                moved: if moved {
                    vec![open(1), open(2)]
                } else {
                    Vec::new()
                },
            }],
            on_calendar: true,
            replaced_by: None,
        };
        (visit, held)
    }

    fn plan(
        held: &VisitOutcomes,
        items: Vec<OutcomeItem>,
        correction: bool,
    ) -> Result<OutcomePlan, ServiceError> {
        let (visit, _) = household();
        let day = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let lines = parse_request(&request(items)).unwrap();
        plan_outcomes(
            &visit,
            day,
            chrono_tz::Asia::Ho_Chi_Minh,
            held,
            &lines,
            correction,
        )
    }

    #[test]
    fn a_contradicting_result_is_refused_with_the_first_in_words() {
        let (_, held) = done_at_nine(true);
        for items in [
            vec![item(12, None, "not_home", None)],
            vec![item(12, Some("vneid_level2"), "refused", None)],
            vec![item(12, None, "reschedule", None)],
        ] {
            match plan(&held, items.clone(), false) {
                Err(ServiceError::Conflict(vi, en)) => {
                    assert_eq!(
                        vi,
                        "Người dân Nguyễn Văn A đã được ghi 'Đã xong' cho lượt thăm này lúc 09:12 \
                         ngày 06/12/2026; gửi kèm \"correction\": true để sửa"
                    );
                    assert_eq!(
                        en,
                        "Resident Nguyễn Văn A was already recorded as 'Done' for this visit at \
                         09:12 on 06/12/2026; send \"correction\": true to change it"
                    );
                }
                other => panic!("{items:?}: expected a conflict, got {other:?}"),
            }
        }
    }

    #[test]
    fn the_same_result_again_writes_nothing_and_new_ones_are_written_alone() {
        let (_, held) = done_at_nine(true);
        let again = plan(&held, vec![item(12, None, "Đã xong", None)], false).unwrap();
        assert!(again.is_empty(), "{again:?}");
        let one_need = plan(
            &held,
            vec![item(12, Some("vneid_install"), "done", None)],
            false,
        );
        assert!(one_need.unwrap().is_empty());
        let more = plan(
            &held,
            vec![
                item(12, None, "done", None),
                item(13, None, "not_home", None),
            ],
            false,
        )
        .unwrap();
        assert_eq!(more.lines.len(), 1, "{more:?}");
        assert_eq!(more.lines[0].line.resident_id, 13);
        assert!(more.needs.is_empty() && more.replaced.is_empty());
    }

    #[test]
    fn a_correction_puts_back_what_the_first_result_moved() {
        for kept in [true, false] {
            let (_, held) = done_at_nine(kept);
            let away = plan(&held, vec![item(12, None, "not_home", None)], true).unwrap();
            assert_eq!(away.replaced, [7]);
            let reopened: Vec<(i32, NeedStatus, Option<OutcomeResult>)> = away
                .needs
                .iter()
                .map(|c| (c.need_id, c.status, c.last_result))
                .collect();
            assert_eq!(
                reopened,
                [(1, NeedStatus::Open, None), (2, NeedStatus::Open, None)]
            );
            assert_eq!(
                away.corrections,
                [Correction {
                    resident_id: 12,
                    need: None,
                    before: (OutcomeResult::Done, None),
                    after: (OutcomeResult::NotHome, None),
                }]
            );
            assert!(away.lines[0].moved.is_empty());

            let refused = plan(&held, vec![item(12, None, "refused", None)], true).unwrap();
            assert_eq!(refused.needs.len(), 2);
            for c in &refused.needs {
                assert_eq!(
                    (c.status, c.last_result),
                    (NeedStatus::Open, Some(OutcomeResult::Refused))
                );
            }
            assert_eq!(refused.lines[0].moved.len(), 2);
            assert!(
                refused.lines[0]
                    .moved
                    .iter()
                    .all(|m| m.status == NeedStatus::Open && m.last_result.is_none())
            );
        }
    }

    #[test]
    fn a_correction_of_one_need_keeps_the_rest_of_the_whole_visit_result() {
        let (_, held) = done_at_nine(true);
        let day = "2026-12-10";
        let one = plan(
            &held,
            vec![item(
                12,
                Some("vneid_level2"),
                "needs_appointment",
                Some(day),
            )],
            true,
        )
        .unwrap();
        assert!(one.replaced.is_empty());
        assert_eq!(one.released, [(7, 2)]);
        assert_eq!(one.needs.len(), 1);
        assert_eq!(one.needs[0].need_id, 2);
        assert_eq!(one.needs[0].status, NeedStatus::Open);
        assert_eq!(one.lines[0].moved[0].status, NeedStatus::Open);
        assert_eq!(one.corrections[0].need, Some(NeedStep::VneidLevel2));

        // Found away for one need while met for the others: refused.
        let mixed = plan(
            &held,
            vec![item(12, Some("vneid_level2"), "not_home", None)],
            true,
        )
        .unwrap_err();
        assert_eq!(paths(mixed), ["outcomes[0].result"]);
        // A correction that changes nothing writes nothing.
        assert!(
            plan(&held, vec![item(12, None, "done", None)], true)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_need_changed_since_the_visit_is_not_put_back() {
        let (_, mut held) = done_at_nine(true);
        held.residents[0].needs[1].status = NeedStatus::NotApplicable;
        held.residents[0].needs[1].last_result = None;
        let away = plan(&held, vec![item(12, None, "not_home", None)], true).unwrap();
        let moved: Vec<i32> = away.needs.iter().map(|c| c.need_id).collect();
        assert_eq!(moved, [1]);
    }
}
