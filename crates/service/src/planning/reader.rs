//! The reader: a team's snapshot and its expanded rules in, the planner's
//! instance out, with the id map that carries the planner's answer back to
//! households, residents and members. Pure: no database, no clock.
//!
//! What the mapping does (docs/planning.md says it for leaders):
//! - A member's availability rule gives their shifts; several shifts a day
//!   are kept, the daily cap counts the day. Members without a rule, or
//!   inactive, have no shifts.
//! - Residents without recorded consent are not planned: each one with open
//!   needs is unmet with reason `no_consent`.
//! - A resident whose rule is remote (working abroad, by video call) is one
//!   remote job of their own; the residents reached in person form one
//!   in-person job per household. Its windows are the times when all of them
//!   are at home; when there is no such time long enough for the visit, the
//!   times when any of them is. A visit names the residents expected at its
//!   time and has only their needs as purposes.
//! - Priority and visit length come from the open needs, unless the leader
//!   set them for the household. Each visit that found a resident away
//!   raises the priority by one (up to 5), so a household missed before is
//!   not missed again for lack of room.
//! - A need the resident refused is not planned; one waiting for an
//!   appointment (VNeID level 2 at the police) is planned by the first plan
//!   that starts after the appointment's day. A resident left with nothing to
//!   plan for such a reason is unmet with reason `refused` or
//!   `awaiting_appointment`.
//! - A household without coordinates is placed at its village's centre (or
//!   the team's), and the visit says so.
//! - Blackouts of the team cut every window and shift; a village's blackout
//!   cuts the windows of its households.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use doorstep_core::rules::{Blackout, ExpansionContext, Rule, RuleContext, Window};
use doorstep_core::{NeedStep, Presence, UnmetReason, VisitMode, find_country};
use doorstep_scheduler::format::{
    Horizon, Household, Instance, Interval, Pinned, Point, TravelModel, Volunteer,
};
use doorstep_store::repo::plans::UnmetRecord;
use doorstep_store::repo::snapshot::{
    HouseholdRecord, LatLon, NeedHold, ResidentRecord, TeamSnapshot,
};

/// When a resident at home has no rule: reachable every day 07:00–20:00.
pub const DEFAULT_HOME_RULE: &str = r#"{"mode":"in_person","when":[{"hours":["07:00","20:00"]}]}"#;

/// When a resident abroad has no rule: by video call 19:00–22:00 in their zone.
pub fn default_abroad_rule(zone: &str) -> String {
    format!(r#"{{"mode":"remote","when":[{{"hours":["19:00","22:00"],"timezone":"{zone}"}}]}}"#)
}

/// How much each step weighs: a household's priority is its heaviest open
/// step (installing VNeID comes first: every other step needs it).
pub fn step_priority(step: NeedStep) -> u32 {
    match step {
        NeedStep::VneidInstall => 5,
        NeedStep::VneidLevel2 => 4,
        NeedStep::Documents | NeedStep::EPayment => 3,
        NeedStep::ScamAwareness | NeedStep::PublicServices => 2,
    }
}

/// Minutes a step takes with one resident.
pub fn step_minutes(step: NeedStep) -> u32 {
    match step {
        NeedStep::VneidInstall => 15,
        NeedStep::VneidLevel2 | NeedStep::Documents => 10,
        NeedStep::EPayment | NeedStep::ScamAwareness | NeedStep::PublicServices => 10,
    }
}

/// Minutes per resident met, on top of the steps (greeting, explaining).
pub const MINUTES_PER_RESIDENT: u32 = 5;
/// The longest visit the needs make (a leader may set a longer one).
pub const MAX_VISIT_MINUTES: u32 = 90;

/// A resident in a job: who, when reachable (minutes since the epoch), and
/// what is open.
#[derive(Clone, Debug, PartialEq)]
pub struct JobResident {
    /// Resident id.
    pub id: i32,
    /// Windows `[start, end)` in minutes since the epoch.
    pub windows: Vec<(i64, i64)>,
    /// Open steps.
    pub needs: Vec<NeedStep>,
    /// Visits that found them away since one last met them.
    pub attempts: u32,
}

/// One job of the planner: a household's in-person visit or one resident's
/// remote call.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// The planner's id: `h{household}` or `r{resident}`.
    pub id: String,
    /// The household.
    pub household_id: i32,
    /// In person or remote.
    pub mode: VisitMode,
    /// The residents the job is for.
    pub residents: Vec<JobResident>,
    /// Placed at the village's (or team's) centre: no coordinates recorded.
    pub approximate_location: bool,
}

impl Job {
    /// The residents whose windows hold `[start, end)`, and their needs.
    pub fn expected(&self, start: i64, end: i64) -> (Vec<i32>, Vec<NeedStep>) {
        let mut ids = Vec::new();
        let mut needs = BTreeSet::new();
        for r in &self.residents {
            if r.windows.iter().any(|&(a, b)| a <= start && end <= b) {
                ids.push(r.id);
                needs.extend(r.needs.iter().copied());
            }
        }
        (ids, needs.into_iter().collect())
    }
}

/// The instance and the way back.
#[derive(Clone, Debug)]
pub struct Mapped {
    /// The planner's input.
    pub instance: Instance<DateTime<Utc>>,
    /// Jobs by id.
    pub jobs: BTreeMap<String, Job>,
    /// Members by the planner's volunteer id (`m{id}`).
    pub members: HashMap<String, i32>,
    /// Members' names by the planner's volunteer id, for the sentences.
    pub names: HashMap<String, String>,
    /// Households and residents left out before planning (no consent, no
    /// rule, no location), with their reasons.
    pub unmet: Vec<UnmetRecord>,
    /// Households placed at their village's centre.
    pub approximate_locations: usize,
}

/// The planner's id of a member.
pub fn member_key(member_id: i32) -> String {
    format!("m{member_id}")
}

/// Formats an instant in the team's zone, RFC 3339 with whole seconds.
pub fn local_rfc3339(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// An instant as minutes since the epoch.
pub fn minute_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60)
}

/// The instant `minute` minutes after the epoch.
pub fn instant_of(minute: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(minute * 60, 0).unwrap_or_default()
}

/// `[start, end)` in minutes since the epoch as the planner's interval.
fn interval((a, b): (i64, i64)) -> Interval<DateTime<Utc>> {
    Interval {
        start: instant_of(a),
        end: instant_of(b),
    }
}

/// The planner's interval as `[start, end)` in minutes since the epoch.
pub fn span_of(interval: &Interval<DateTime<Utc>>) -> (i64, i64) {
    (minute_of(interval.start), minute_of(interval.end))
}

fn spans(windows: &[Window]) -> Vec<(i64, i64)> {
    windows
        .iter()
        .map(|w| (w.start_minute(), w.end_minute()))
        .collect()
}

fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (s, e) = (a[i].0.max(b[j].0), a[i].1.min(b[j].1));
        if s < e {
            out.push((s, e));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn union(lists: &[&[(i64, i64)]]) -> Vec<(i64, i64)> {
    let mut all: Vec<(i64, i64)> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    all.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(all.len());
    for (s, e) in all {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn skills_of(needs: &[NeedStep]) -> Vec<String> {
    let set: BTreeSet<&str> = needs.iter().map(|n| n.skill().code()).collect();
    set.into_iter().map(str::to_owned).collect()
}

fn priority_of(needs: &[NeedStep], household: &HouseholdRecord, attempts: u32) -> u32 {
    let base = household
        .priority
        .map(u32::from)
        .filter(|p| (1..=5).contains(p))
        .unwrap_or_else(|| needs.iter().map(|n| step_priority(*n)).max().unwrap_or(1));
    (base + attempts).min(5)
}

/// The resident's needs this plan may take up (open ones, and those whose
/// appointment day is before `first_day`), or why none: (reason, Vietnamese,
/// English).
fn plannable(
    r: &ResidentRecord,
    first_day: chrono::NaiveDate,
) -> Result<Vec<NeedStep>, (UnmetReason, String, String)> {
    let mut needs = r.open_needs.clone();
    needs.extend(r.held_needs.iter().filter_map(|(step, hold)| match hold {
        NeedHold::Appointment(day) if *day < first_day => Some(*step),
        _ => None,
    }));
    needs.sort();
    if !needs.is_empty() || r.held_needs.is_empty() {
        return Ok(needs);
    }
    let labels = |hold: fn(&NeedHold) -> bool, vi: bool| {
        r.held_needs
            .iter()
            .filter(|(_, h)| hold(h))
            .map(|(s, _)| if vi { s.label_vi() } else { s.label_en() })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let waiting: Option<chrono::NaiveDate> = r
        .held_needs
        .iter()
        .filter_map(|(_, h)| match h {
            NeedHold::Appointment(day) => Some(*day),
            NeedHold::Refused => None,
        })
        .max();
    Err(match waiting {
        Some(day) => (
            UnmetReason::AwaitingAppointment,
            format!(
                "{} đang chờ lịch hẹn ngày {} ({}): sẽ được xếp sau ngày đó",
                r.full_name,
                day.format("%d/%m/%Y"),
                labels(|h| matches!(h, NeedHold::Appointment(_)), true)
            ),
            format!(
                "{} is waiting for an appointment on {} ({}): planned after that day",
                r.full_name,
                day.format("%d/%m/%Y"),
                labels(|h| matches!(h, NeedHold::Appointment(_)), false)
            ),
        ),
        None => (
            UnmetReason::Refused,
            format!(
                "{} đã từ chối: {}",
                r.full_name,
                labels(|h| matches!(h, NeedHold::Refused), true)
            ),
            format!(
                "{} refused: {}",
                r.full_name,
                labels(|h| matches!(h, NeedHold::Refused), false)
            ),
        ),
    })
}

fn minutes_of(residents: &[JobResident]) -> u32 {
    let total: u32 = residents
        .iter()
        .map(|r| MINUTES_PER_RESIDENT + r.needs.iter().map(|n| step_minutes(*n)).sum::<u32>())
        .sum();
    total.clamp(10, MAX_VISIT_MINUTES)
}

/// Windows as `[start, end)` minutes since the epoch.
type Spans = Vec<(i64, i64)>;
/// A sentence in Vietnamese and in English.
type Words = (String, String);
/// A rule's text and the blackouts cut from it.
type CacheKey = (String, Vec<usize>);

/// Rules parsed once and expanded once per blackout set, whoever shares them.
struct Expander<'a> {
    ctx: &'a ExpansionContext,
    rules: RuleContext,
    cache: HashMap<CacheKey, Option<(VisitMode, Spans)>>,
}

impl Expander<'_> {
    /// The mode and windows of a stored rule minus the given blackouts;
    /// `None` for a rule that no longer reads (a station removed since).
    fn windows(
        &mut self,
        text: &str,
        blackouts: &[(usize, &Blackout)],
    ) -> Option<(VisitMode, Vec<(i64, i64)>)> {
        let key = (
            text.to_string(),
            blackouts.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        );
        if let Some(hit) = self.cache.get(&key) {
            return hit.clone();
        }
        let value = serde_json::from_str(text).ok();
        let result = value
            .and_then(|v| Rule::parse(&v, &self.rules).ok())
            .and_then(|rule| {
                let cut: Vec<Blackout> = blackouts.iter().map(|(_, b)| (*b).clone()).collect();
                let windows = self.ctx.expand_with(&rule, &cut).ok()?;
                Some((rule.mode, spans(&windows)))
            });
        self.cache.insert(key, result.clone());
        result
    }
}

/// A blackout of the team (`village = None`) or of one village.
#[derive(Clone, Debug)]
pub struct ScopedBlackout {
    /// The village, or the whole team.
    pub village_id: Option<i32>,
    /// The period.
    pub blackout: Blackout,
}

/// What the reader needs besides the snapshot.
pub struct ReaderInput<'a> {
    /// The team's data.
    pub snapshot: &'a TeamSnapshot,
    /// The horizon's shared expansion context (the team's zone).
    pub ctx: &'a ExpansionContext,
    /// The tide stations rules may name.
    pub rules: RuleContext,
    /// The team's blackouts, parsed.
    pub blackouts: &'a [ScopedBlackout],
    /// Visits kept exactly (pinned or confirmed), as (job, member, start).
    pub pinned: &'a [(String, i32, DateTime<Utc>)],
    /// Jobs not to plan (their visit is done).
    pub skip_jobs: &'a BTreeSet<String>,
}

fn unmet(
    household: i32,
    resident: Option<i32>,
    reason: UnmetReason,
    vi: String,
    en: String,
) -> UnmetRecord {
    UnmetRecord {
        household_id: household,
        resident_id: resident,
        reason,
        explanation_vi: vi,
        explanation_en: en,
    }
}

/// Turns a team's snapshot into the planner's instance.
pub fn read(input: &ReaderInput<'_>) -> Mapped {
    let snapshot = input.snapshot;
    let ctx = input.ctx;
    let zone = ctx.team_zone();
    let first_day = ctx.from().with_timezone(&zone).date_naive();
    let mut expander = Expander {
        ctx,
        rules: input.rules.clone(),
        cache: HashMap::new(),
    };
    let team_cut: Vec<(usize, &Blackout)> = input
        .blackouts
        .iter()
        .enumerate()
        .filter(|(_, b)| b.village_id.is_none())
        .map(|(i, b)| (i, &b.blackout))
        .collect();
    let centre = snapshot.team.centre.or_else(|| {
        let located: Vec<LatLon> = snapshot
            .households
            .iter()
            .filter_map(|h| h.location.or(h.village_centre))
            .collect();
        (!located.is_empty()).then(|| LatLon {
            lat: located.iter().map(|p| p.lat).sum::<f64>() / located.len() as f64,
            lon: located.iter().map(|p| p.lon).sum::<f64>() / located.len() as f64,
        })
    });

    let mut members = HashMap::new();
    let mut names = HashMap::new();
    let mut volunteers = Vec::new();
    for m in snapshot.members.iter().filter(|m| m.active) {
        let shifts = match &m.availability {
            Some(text) => expander
                .windows(text, &team_cut)
                .map(|(_, w)| w)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let home = m.home.or(centre).unwrap_or(LatLon { lat: 0.0, lon: 0.0 });
        members.insert(member_key(m.id), m.id);
        names.insert(member_key(m.id), m.full_name.clone());
        volunteers.push(Volunteer {
            id: member_key(m.id),
            home: Point {
                lat: home.lat,
                lon: home.lon,
            },
            skills: m.skills.iter().map(|s| s.code().to_owned()).collect(),
            remote: m.remote_capable,
            max_visits_per_day: m.daily_visit_cap,
            shifts: shifts.iter().copied().map(interval).collect(),
        });
    }

    let mut jobs = BTreeMap::new();
    let mut households = Vec::new();
    let mut left_out = Vec::new();
    let mut approximate_locations = 0;
    for h in &snapshot.households {
        let cut: Vec<(usize, &Blackout)> = input
            .blackouts
            .iter()
            .enumerate()
            .filter(|(_, b)| b.village_id.is_none() || b.village_id == h.village_id)
            .map(|(i, b)| (i, &b.blackout))
            .collect();
        let location = h.location.or(h.village_centre).or(centre);
        let approximate = h.location.is_none();
        let mut at_home: Vec<JobResident> = Vec::new();
        let mut remote: Vec<JobResident> = Vec::new();
        for r in h
            .residents
            .iter()
            .filter(|r| !r.open_needs.is_empty() || !r.held_needs.is_empty())
        {
            let needs = match plannable(r, first_day) {
                Ok(needs) if needs.is_empty() => continue,
                Ok(needs) => needs,
                Err((reason, vi, en)) => {
                    left_out.push(unmet(h.id, Some(r.id), reason, vi, en));
                    continue;
                }
            };
            if !r.consent {
                left_out.push(unmet(
                    h.id,
                    Some(r.id),
                    UnmetReason::NoConsent,
                    format!(
                        "{} chưa có đồng ý được ghi nhận nên chưa được xếp lịch",
                        r.full_name
                    ),
                    format!("{} has no recorded consent, so is not planned", r.full_name),
                ));
                continue;
            }
            match resident_windows(&mut expander, r, &cut) {
                Ok((mode, windows)) => {
                    let job = JobResident {
                        id: r.id,
                        windows,
                        needs,
                        attempts: r.attempts,
                    };
                    match mode {
                        VisitMode::InPerson => at_home.push(job),
                        VisitMode::Remote => remote.push(job),
                    }
                }
                Err((vi, en)) => {
                    left_out.push(unmet(h.id, Some(r.id), UnmetReason::NoWindow, vi, en))
                }
            }
        }
        let Some(location) = location else {
            if !at_home.is_empty() || !remote.is_empty() {
                left_out.push(unmet(
                    h.id,
                    None,
                    UnmetReason::NoWindow,
                    "hộ chưa có toạ độ, thôn và xã cũng chưa có: không tính được đường đi".into(),
                    "the household, its village and its commune have no coordinates: travel cannot be computed".into(),
                ));
            }
            continue;
        };
        if !at_home.is_empty() {
            let id = format!("h{}", h.id);
            let minutes = h
                .service_minutes
                .filter(|m| (1..=1440).contains(m))
                .unwrap_or_else(|| minutes_of(&at_home));
            let all = at_home
                .iter()
                .skip(1)
                .fold(at_home[0].windows.clone(), |acc, r| {
                    intersect(&acc, &r.windows)
                });
            let windows = if all.iter().any(|&(a, b)| b - a >= i64::from(minutes)) {
                all
            } else {
                union(
                    &at_home
                        .iter()
                        .map(|r| r.windows.as_slice())
                        .collect::<Vec<_>>(),
                )
            };
            let needs: Vec<NeedStep> = at_home
                .iter()
                .flat_map(|r| r.needs.iter().copied())
                .collect();
            if !input.skip_jobs.contains(&id) {
                approximate_locations += usize::from(approximate);
                households.push(Household {
                    id: id.clone(),
                    location: Point {
                        lat: location.lat,
                        lon: location.lon,
                    },
                    priority: priority_of(
                        &needs,
                        h,
                        at_home.iter().map(|r| r.attempts).max().unwrap_or(0),
                    ),
                    service_minutes: minutes,
                    needs: skills_of(&needs),
                    mode: VisitMode::InPerson.code().to_owned(),
                    windows: windows.iter().copied().map(interval).collect(),
                });
                jobs.insert(
                    id.clone(),
                    Job {
                        id,
                        household_id: h.id,
                        mode: VisitMode::InPerson,
                        residents: at_home,
                        approximate_location: approximate,
                    },
                );
            }
        }
        for r in remote {
            let id = format!("r{}", r.id);
            if input.skip_jobs.contains(&id) {
                continue;
            }
            let minutes = minutes_of(std::slice::from_ref(&r));
            households.push(Household {
                id: id.clone(),
                location: Point {
                    lat: location.lat,
                    lon: location.lon,
                },
                priority: priority_of(&r.needs, h, r.attempts),
                service_minutes: minutes,
                needs: skills_of(&r.needs),
                mode: VisitMode::Remote.code().to_owned(),
                windows: r.windows.iter().copied().map(interval).collect(),
            });
            jobs.insert(
                id.clone(),
                Job {
                    id,
                    household_id: h.id,
                    mode: VisitMode::Remote,
                    residents: vec![r],
                    approximate_location: false,
                },
            );
        }
    }

    let pinned = input
        .pinned
        .iter()
        .filter(|(job, _, _)| jobs.contains_key(job))
        .map(|(job, member, start)| Pinned {
            household: job.clone(),
            volunteer: member_key(*member),
            start: *start,
        })
        .collect();
    Mapped {
        instance: Instance {
            name: snapshot.team.name.clone(),
            timezone: Some(zone.name().to_owned()),
            horizon: Horizon {
                start: ctx.from(),
                end: ctx.to(),
            },
            travel: TravelModel::default(),
            volunteers,
            households,
            skills: None,
            pinned,
        },
        jobs,
        members,
        names,
        unmet: left_out,
        approximate_locations,
    }
}

/// A resident's mode and reachable windows (minutes since the epoch).
pub type Reach = (VisitMode, Vec<(i64, i64)>);

/// Why a resident cannot be reached, in Vietnamese and English.
pub type Unreachable = (String, String);

/// A resident's mode and windows over the context's horizon, cut by the
/// team's blackouts and those of `village`; or why there are none
/// (Vietnamese, English). The windows are minutes since the epoch.
///
/// # Errors
/// The resident has no rule and none can be assumed, or their rule no
/// longer reads.
pub fn resident_reach(
    ctx: &ExpansionContext,
    rules: RuleContext,
    resident: &ResidentRecord,
    village: Option<i32>,
    blackouts: &[ScopedBlackout],
) -> Result<Reach, Unreachable> {
    let mut expander = Expander {
        ctx,
        rules,
        cache: HashMap::new(),
    };
    let cut: Vec<(usize, &Blackout)> = blackouts
        .iter()
        .enumerate()
        .filter(|(_, b)| b.village_id.is_none() || b.village_id == village)
        .map(|(i, b)| (i, &b.blackout))
        .collect();
    resident_windows(&mut expander, resident, &cut)
}

/// A resident's mode and windows, or why there are none (Vietnamese, English).
fn resident_windows(
    expander: &mut Expander<'_>,
    r: &ResidentRecord,
    cut: &[(usize, &Blackout)],
) -> Result<(VisitMode, Spans), Words> {
    let rule = match (&r.availability, r.presence) {
        (Some(text), _) => text.clone(),
        (None, Presence::Home) => DEFAULT_HOME_RULE.to_owned(),
        (None, Presence::Abroad) => {
            let zone = r.timezone.clone().or_else(|| {
                r.country
                    .as_deref()
                    .and_then(find_country)
                    .and_then(|c| c.default_timezone)
                    .map(str::to_owned)
            });
            match zone {
                Some(zone) => default_abroad_rule(&zone),
                None => {
                    return Err((
                        format!(
                            "{} ở nước ngoài nhưng chưa có múi giờ hay lịch gọi: hãy ghi múi giờ hoặc lịch có thể liên lạc",
                            r.full_name
                        ),
                        format!(
                            "{} is abroad with no time zone or call times recorded: record a zone or when they can be reached",
                            r.full_name
                        ),
                    ));
                }
            }
        }
        (None, presence) => {
            return Err((
                format!(
                    "{} ({}) chưa có lịch có mặt ở nhà: hãy ghi khi nào người này về",
                    r.full_name,
                    presence.label_vi().to_lowercase()
                ),
                format!(
                    "{} ({}) has no availability recorded: record when they are home",
                    r.full_name,
                    presence.label_en().to_lowercase()
                ),
            ));
        }
    };
    expander.windows(&rule, cut).ok_or_else(|| {
        (
            format!(
                "lịch có mặt của {} không đọc được nữa (trạm thủy triều đã bỏ?)",
                r.full_name
            ),
            format!(
                "the availability rule of {} no longer reads (a tide station removed?)",
                r.full_name
            ),
        )
    })
}

/// The planner's sentence with each volunteer id (`m12`) replaced by the
/// member's name, so that a leader reads who, not a key.
pub fn name_members(sentence: &str, names: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(sentence.len());
    let chars: Vec<char> = sentence.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
        if chars[i] == 'm' && starts_word {
            let digits = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let end = i + 1 + digits;
            let ends_word = end == chars.len() || !chars[end].is_alphanumeric();
            if digits > 0 && ends_word {
                let key: String = chars[i..end].iter().collect();
                if let Some(name) = names.get(&key) {
                    out.push_str(name);
                    i = end;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_name_members_not_keys() {
        let names = HashMap::from([
            ("m1".to_owned(), "Lê Thị Hoa".to_owned()),
            ("m12".to_owned(), "Trần Văn Nam".to_owned()),
        ]);
        assert_eq!(
            name_members("m12 Thứ Hai 07:30–11:30; m1, m3 and mẹ m12x", &names),
            "Trần Văn Nam Thứ Hai 07:30–11:30; Lê Thị Hoa, m3 and mẹ m12x"
        );
    }
}
