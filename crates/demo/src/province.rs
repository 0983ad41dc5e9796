//! A synthetic province for measurements at scale: "Tỉnh Mẫu", with the
//! size of Thanh Hóa — 4,351 community digital-technology teams of 3–9
//! members (a few big wards' of 25) and about 1,000,000 households — or a
//! part of it (`teams`), the households scaled with the teams.
//!
//! Its communes are of four kinds, like the demo's places: fishing wards
//! whose crews are ashore around the full moon and unload at high water,
//! lowland communes whose young people work in Korea, Japan or Taiwan,
//! town wards, and mountain communes of farmers. Residents' and members'
//! availability uses the rule presets of `doorstep-core`, so every rule is
//! one a leader could have picked.
//!
//! With `history`, each team also has one published plan over the last four
//! weeks and the next two, visiting about a third of its households: past
//! visits done or missed with the outcomes recorded at them (needs, attempts
//! and visits moved as a recording moves them), visits to come proposed,
//! and the households left out with the planner's reasons.
//!
//! Everything is drawn from one seed with a small generator of its own
//! (SplitMix64), so a seed always gives the same province. Codes start with
//! `SYN-`; loading a second time is refused.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use doorstep_core::rules::presets;
use doorstep_core::{
    AreaLevel, Language, MemberRole, NeedStatus, NeedStep, OutcomeResult, PlanStatus, Presence,
    Skill, UnmetReason, UserRole, VisitMode, VisitStatus,
};
use doorstep_store::repo::bulk::{
    self, AreaLoad, HouseholdLoad, LoadCounts, MemberLoad, NeedLoad, PlanLoad, RecordingLoad,
    ResidentLoad, TeamLoad, UnmetLoad, VisitLoad,
};
use doorstep_store::repo::tallies;
use doorstep_store::{Consent, RuleJson, Store, StoreError, UserInput};
use futures_util::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};

use doorstep_service::auth::hash_password;
use doorstep_service::error::ServiceError;

use crate::communes::DEMO_PASSWORD;
use crate::names::{
    CONSENT_TEXT, campaign_start, family_name, person, phone, sex_and_birth_year, wanted_steps,
};
use crate::rng::Rng;

/// The province's code.
pub const PROVINCE_CODE: &str = "SYN-PROVINCE";
/// The province's name.
pub const PROVINCE_NAME: &str = "Tỉnh Mẫu";
/// Teams of the whole province.
pub const FULL_TEAMS: usize = 4351;
/// Households of the whole province.
pub const FULL_HOUSEHOLDS: usize = 1_000_000;
/// The province's official: sign-in name and who they are. Their password
/// is the demo's.
pub const OFFICIAL: (&str, &str) = ("canbo.tinhmau", "Cán bộ Tỉnh Mẫu");
/// Days of a team's plan before today.
pub const PAST_DAYS: u32 = 28;
/// Days of a team's plan in all (four weeks back, two ahead).
pub const PLAN_DAYS: u32 = 42;
/// Who the load's rows name as their author.
const ACTOR: &str = "demo";
/// Teams written in one transaction.
const TEAMS_PER_BATCH: usize = 16;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvinceOptions {
    /// Teams (the whole province has [`FULL_TEAMS`]); households scale.
    pub teams: usize,
    /// The seed.
    pub seed: u64,
    /// Also a published plan per team, with its outcomes and unmet.
    pub history: bool,
}

impl Default for ProvinceOptions {
    fn default() -> ProvinceOptions {
        ProvinceOptions {
            teams: FULL_TEAMS,
            seed: 1,
            history: false,
        }
    }
}

impl ProvinceOptions {
    /// Households of the province: [`FULL_HOUSEHOLDS`] scaled by the teams.
    pub fn households(&self) -> usize {
        let scaled = (FULL_HOUSEHOLDS as u128 * self.teams as u128 + FULL_TEAMS as u128 / 2)
            / FULL_TEAMS as u128;
        usize::try_from(scaled).unwrap_or(usize::MAX)
    }
}

/// How far a load is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Teams written.
    pub teams_done: usize,
    /// Teams in all.
    pub teams: usize,
    /// Households written.
    pub households_done: usize,
    /// Households in all.
    pub households: usize,
}

/// What a load wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProvinceSummary {
    /// The province's area.
    pub province_id: i32,
    /// Communes.
    pub communes: usize,
    /// Villages (one per team).
    pub villages: usize,
    /// The rows of the teams.
    pub counts: LoadCounts,
    /// Milliseconds spent counting the audit's kept counts of every team
    /// after the load.
    pub tallies_ms: u64,
}

const STREAM_COMMUNES: u64 = 1;
const STREAM_TEAMS: u64 = 2;
const STREAM_TEAM: u64 = 3;

/// What a commune lives from, which decides who is home when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommuneKind {
    /// A fishing ward: crews at sea, ashore around the full moon.
    Fishing,
    /// A lowland commune whose young people work abroad.
    Abroad,
    /// A town ward: shift workers, people working away.
    Ward,
    /// A mountain commune of farmers.
    Mountain,
}

/// A commune of the layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Commune {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// What it lives from.
    pub kind: CommuneKind,
    /// Its centre.
    pub latitude: f64,
    /// Its centre.
    pub longitude: f64,
}

/// A team of the layout, with its village.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamSlot {
    /// Its commune, by position.
    pub commune: usize,
    /// Its village's code.
    pub village_code: String,
    /// Its village's name.
    pub village_name: String,
    /// The village's centre.
    pub latitude: f64,
    /// The village's centre.
    pub longitude: f64,
    /// Members.
    pub members: usize,
    /// Households.
    pub households: usize,
}

/// The province's shape: communes, and one village and team after another.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// What was asked.
    pub options: ProvinceOptions,
    /// The communes.
    pub communes: Vec<Commune>,
    /// The teams, each in its own village.
    pub teams: Vec<TeamSlot>,
}

const COMMUNE_FIRST: &[&str] = &[
    "Hải", "Định", "Yên", "Thọ", "Quảng", "Hoằng", "Nga", "Tĩnh", "Đông", "Tân", "Thiệu", "Vĩnh",
    "Cẩm", "Thạch", "Ngọc", "Lam", "Xuân", "Triệu", "Nông", "Hà", "Minh", "Phú", "Trung", "Kim",
];
const COMMUNE_SECOND: &[&str] = &[
    "Bình",
    "Thành",
    "Lộc",
    "Hòa",
    "Phú",
    "An",
    "Tiến",
    "Long",
    "Sơn",
    "Thịnh",
    "Hưng",
    "Phong",
    "Khê",
    "Lâm",
    "Giang",
    "Châu",
    "Tường",
    "Vân",
    "Quang",
    "Trường",
];
const MOUNTAIN_VILLAGES: &[&str] = &[
    "Na", "Pù", "Khò", "Muỗng", "Chiềng", "Pha", "Ón", "Bôn", "Xía", "Lửa", "Mè", "Căm",
];

fn commune_name(index: usize, kind: CommuneKind) -> String {
    let (f, s) = (COMMUNE_FIRST.len(), COMMUNE_SECOND.len());
    let first = COMMUNE_FIRST[index % f];
    // Distinct for every index below f × s: the second word shifts with the first.
    let second = COMMUNE_SECOND[(index / f % s + 3 * (index % f)) % s];
    let prefix = if kind == CommuneKind::Ward || kind == CommuneKind::Fishing {
        "Phường"
    } else {
        "Xã"
    };
    if index < f * s {
        format!("{prefix} {first} {second}")
    } else {
        format!("{prefix} {first} {second} {}", index / (f * s) + 1)
    }
}

/// The shape of the province for these options: communes of 18–34 teams
/// (fewer in a part of the province), each team in its own village with 3–9 members (one in 160 a big ward's
/// 25), and the households shared out so that they add up exactly.
pub fn layout(options: ProvinceOptions) -> Layout {
    let mut communes = Vec::new();
    let mut teams: Vec<TeamSlot> = Vec::with_capacity(options.teams);
    let mut weights: Vec<u64> = Vec::with_capacity(options.teams);
    let mut rng = Rng::stream(options.seed, STREAM_COMMUNES, 0);
    let mut sizes = Rng::stream(options.seed, STREAM_TEAMS, 0);
    while teams.len() < options.teams {
        let c = communes.len();
        // The first four communes are one of each kind, so that a small
        // part of the province still has every kind of resident.
        let roll = rng.below(100);
        let kind = match (c, roll) {
            (0, _) | (4.., 0..12) => CommuneKind::Fishing,
            (1, _) | (4.., 12..42) => CommuneKind::Abroad,
            (2, _) | (4.., 42..60) => CommuneKind::Ward,
            _ => CommuneKind::Mountain,
        };
        let (latitude, longitude) = match kind {
            CommuneKind::Fishing => (19.30 + rng.jitter(0.5).abs(), 105.85 + rng.jitter(0.08)),
            CommuneKind::Mountain => (20.00 + rng.jitter(0.5), 104.95 + rng.jitter(0.35)),
            _ => (19.90 + rng.jitter(0.45), 105.55 + rng.jitter(0.25)),
        };
        let code = format!("SYN-X{:03}", c + 1);
        let name = commune_name(c, kind);
        // 18–34 villages at full size; a part of the province keeps its
        // communes and thins out their villages.
        let villages = ((18 + rng.below(17)) * options.teams + FULL_TEAMS / 2) / FULL_TEAMS;
        let villages = villages.max(1);
        for v in 0..villages.min(options.teams - teams.len()) {
            let village_name = match kind {
                CommuneKind::Ward | CommuneKind::Fishing => format!("Tổ dân phố {}", v + 1),
                CommuneKind::Mountain => format!(
                    "Bản {} {}",
                    MOUNTAIN_VILLAGES[(c + v) % MOUNTAIN_VILLAGES.len()],
                    v / MOUNTAIN_VILLAGES.len() + 1
                ),
                CommuneKind::Abroad => format!("Thôn {}", v + 1),
            };
            let big = kind == CommuneKind::Ward && sizes.below(40) == 0;
            let members = if big { 25 } else { 3 + sizes.below(7) };
            weights.push(if big {
                2500
            } else {
                120 + sizes.below(221) as u64
            });
            teams.push(TeamSlot {
                commune: c,
                village_code: format!("{code}-T{:02}", v + 1),
                village_name,
                latitude: latitude + rng.jitter(0.03),
                longitude: longitude + rng.jitter(0.03),
                members,
                households: 0,
            });
        }
        communes.push(Commune {
            code,
            name,
            kind,
            latitude,
            longitude,
        });
    }
    // Cumulative rounding: every team's share, adding up to the total.
    let total = options.households() as u128;
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum::<u128>().max(1);
    let mut running: u128 = 0;
    let mut given: u128 = 0;
    for (team, weight) in teams.iter_mut().zip(&weights) {
        running += u128::from(*weight);
        let upto = (total * running + sum / 2) / sum;
        team.households = usize::try_from(upto - given).unwrap_or(0);
        given = upto;
    }
    Layout {
        options,
        communes,
        teams,
    }
}

impl Layout {
    /// Households in all.
    pub fn households(&self) -> usize {
        self.teams.iter().map(|t| t.households).sum()
    }

    /// The areas to create: the province, its communes, one village a team.
    pub fn areas(&self) -> Vec<AreaLoad> {
        let mut areas = vec![AreaLoad {
            level: AreaLevel::Province,
            code: PROVINCE_CODE.into(),
            name: PROVINCE_NAME.into(),
            parent_code: None,
            latitude: Some(19.95),
            longitude: Some(105.45),
        }];
        areas.extend(self.communes.iter().map(|c| AreaLoad {
            level: AreaLevel::Commune,
            code: c.code.clone(),
            name: c.name.clone(),
            parent_code: Some(PROVINCE_CODE.into()),
            latitude: Some(c.latitude),
            longitude: Some(c.longitude),
        }));
        areas.extend(self.teams.iter().map(|t| AreaLoad {
            level: AreaLevel::Village,
            code: t.village_code.clone(),
            name: t.village_name.clone(),
            parent_code: Some(self.communes[t.commune].code.clone()),
            latitude: Some(t.latitude),
            longitude: Some(t.longitude),
        }));
        areas
    }
}

/// The availability rules the province uses, each validated once.
#[derive(Clone, Debug)]
pub struct Rules {
    fishing_crew: RuleJson,
    farmer: RuleJson,
    elderly: RuleJson,
    shift_worker: RuleJson,
    tet_home: RuleJson,
    abroad: Vec<(&'static str, &'static str, RuleJson)>,
    members: Vec<RuleJson>,
}

/// The tide station of the fishing wards (the Lạch Bạng estuary).
const STATION: &str = "lach-bang";

/// The countries residents work in, with their zones.
const ABROAD: &[(&str, &str)] = &[
    ("KR", "Asia/Seoul"),
    ("KR", "Asia/Seoul"),
    ("JP", "Asia/Tokyo"),
    ("TW", "Asia/Taipei"),
];

fn checked(rule: &serde_json::Value) -> RuleJson {
    RuleJson::parse(&rule.to_string(), &[STATION])
        .unwrap_or_else(|errors| panic!("the rule {rule} is invalid: {errors:?}"))
}

impl Rules {
    /// The presets of `doorstep-core`, a Tết-at-home rule for people working
    /// away, and the members' usual free times.
    pub fn new() -> Rules {
        let zone = |z: &str| z.parse::<Tz>().expect("a known zone");
        Rules {
            fishing_crew: checked(&presets::fishing_crew(Some(STATION)).to_json()),
            farmer: checked(&presets::farmer().to_json()),
            elderly: checked(&presets::elderly().to_json()),
            shift_worker: checked(
                &presets::shift_worker(presets::Shift::Day, &[Weekday::Sun]).to_json(),
            ),
            tet_home: checked(&json!({"mode": "in_person",
                "when": [{"lunar_dates": ["12-23", "01-10"], "hours": ["08:00", "20:00"]}]})),
            abroad: ABROAD
                .iter()
                .map(|&(country, z)| {
                    (
                        country,
                        z,
                        checked(&presets::worker_abroad_in_zone(zone(z)).to_json()),
                    )
                })
                .collect(),
            members: vec![
                checked(&json!({"mode": "in_person", "when": [
                    {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "hours": ["17:30", "21:00"]},
                    {"weekdays": ["sat", "sun"], "hours": ["07:30", "17:00"]}]})),
                checked(&json!({"mode": "in_person", "when": [
                    {"hours": ["07:30", "11:30"]}, {"hours": ["13:30", "17:00"]}]})),
                checked(&json!({"mode": "in_person", "when": [
                    {"weekdays": ["sat", "sun"], "hours": ["07:00", "21:00"]},
                    {"weekdays": ["tue", "thu"], "hours": ["18:00", "21:00"]}]})),
            ],
        }
    }

    /// The rules, built and validated once per process.
    fn shared() -> &'static Rules {
        static RULES: std::sync::OnceLock<Rules> = std::sync::OnceLock::new();
        RULES.get_or_init(Rules::new)
    }
}

impl Default for Rules {
    fn default() -> Rules {
        Rules::new()
    }
}

/// The days of the teams' plans: four weeks back and two ahead, in Việt Nam.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanDays {
    /// The first day.
    pub start: NaiveDate,
    /// Each day's midnight (UTC) and lunar day.
    pub days: Vec<(NaiveDate, DateTime<Utc>, u8)>,
    /// The first instant of today: visits before it have happened.
    pub today: DateTime<Utc>,
}

const TEAM_ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

fn midnight(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    zone.from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .earliest()
        .expect("Việt Nam has no gaps")
        .with_timezone(&Utc)
}

impl PlanDays {
    /// The plan's days around `now`.
    pub fn around(now: DateTime<Utc>) -> PlanDays {
        let today = now.with_timezone(&TEAM_ZONE).date_naive();
        let start = today - Days::new(u64::from(PAST_DAYS));
        let days = (0..PLAN_DAYS)
            .map(|i| {
                let day = start + Days::new(u64::from(i));
                let lunar = doorstep_lunar::to_lunar(day).map_or(0, |l| l.day);
                (day, midnight(day, TEAM_ZONE), lunar)
            })
            .collect();
        PlanDays {
            start,
            days,
            today: midnight(today, TEAM_ZONE),
        }
    }
}

/// The skills a need calls for.
fn skill_for(step: NeedStep) -> Skill {
    match step {
        NeedStep::VneidInstall | NeedStep::VneidLevel2 | NeedStep::Documents => Skill::Vneid,
        NeedStep::EPayment => Skill::EPayment,
        NeedStep::ScamAwareness => Skill::ScamAwareness,
        NeedStep::PublicServices => Skill::PublicServices,
    }
}

fn members(
    slot: &TeamSlot,
    index: usize,
    kind: CommuneKind,
    rules: &Rules,
    rng: &mut Rng,
) -> Vec<MemberLoad> {
    let mountain = kind == CommuneKind::Mountain;
    let mut taken: Vec<String> = Vec::new();
    (0..slot.members)
        .map(|m| {
            let male = rng.chance(45);
            let mut skills = vec![Skill::Vneid];
            if rng.chance(60) {
                skills.push(Skill::EPayment);
            }
            if rng.chance(70) {
                skills.push(Skill::ScamAwareness);
            }
            if m == 0 || rng.chance(40) {
                skills.push(Skill::PublicServices);
            }
            // Names are unique in a team: members are found by name.
            let mut full_name = person(rng, male, mountain);
            for _ in 0..8 {
                if !taken.contains(&full_name) {
                    break;
                }
                full_name = person(rng, male, mountain);
            }
            if taken.contains(&full_name) {
                full_name = format!("{full_name} ({})", m + 1);
            }
            taken.push(full_name.clone());
            MemberLoad {
                full_name,
                role: if m == 0 {
                    MemberRole::Leader
                } else {
                    MemberRole::Volunteer
                },
                email: Some(format!("syn{}.{}@demo.doorstep.invalid", index + 1, m + 1)),
                phone: Some(phone(rng)),
                skills,
                daily_visit_cap: [6, 8, 10][rng.below(3)],
                remote_capable: m == 0 || rng.chance(50),
                home_latitude: Some(slot.latitude + rng.jitter(0.003)),
                home_longitude: Some(slot.longitude + rng.jitter(0.003)),
                availability: Some(rng.pick(&rules.members).clone()),
                // A few read their messages in English.
                language: if m % 7 == 3 {
                    Language::En
                } else {
                    Language::Vi
                },
            }
        })
        .collect()
}

/// One household's residents, as the register has them before any visit.
fn residents(
    rng: &mut Rng,
    kind: CommuneKind,
    rules: &Rules,
    leader: &str,
    registered: DateTime<Utc>,
) -> Vec<ResidentLoad> {
    let mountain = kind == CommuneKind::Mountain;
    let family = family_name(rng, mountain);
    let size = 1 + rng.below(4) + usize::from(rng.chance(30));
    let fishing = kind == CommuneKind::Fishing && rng.chance(40);
    let abroad = match kind {
        CommuneKind::Abroad => rng.chance(35),
        CommuneKind::Mountain => false,
        _ => rng.chance(8),
    };
    (0..size)
        .map(|i| {
            let (male, birth_year) = sex_and_birth_year(rng, i, fishing);
            let full = person(rng, male, mountain);
            // Members of one household mostly share the family name.
            let full_name = if i > 0 && rng.chance(60) {
                let rest = full.split_once(' ').map_or(full.as_str(), |(_, r)| r);
                format!("{family} {rest}")
            } else {
                full
            };
            let adult = birth_year <= 2005;
            let (presence, country, timezone, rule) =
                if fishing && male && adult && birth_year >= 1962 {
                    (Presence::AtSea, None, None, &rules.fishing_crew)
                } else if abroad && i > 0 && adult && birth_year >= 1985 {
                    let (country, zone, rule) = rng.pick(&rules.abroad);
                    (
                        Presence::Abroad,
                        Some((*country).to_owned()),
                        Some((*zone).to_owned()),
                        rule,
                    )
                } else if kind == CommuneKind::Ward && adult && birth_year >= 1970 && rng.chance(15)
                {
                    (Presence::WorkingAway, None, None, &rules.tet_home)
                } else if kind == CommuneKind::Ward && adult && birth_year >= 1975 && rng.chance(25)
                {
                    (Presence::Home, None, None, &rules.shift_worker)
                } else if birth_year < 1962 {
                    (Presence::Home, None, None, &rules.elderly)
                } else {
                    (Presence::Home, None, None, &rules.farmer)
                };
            let wanted = if adult {
                wanted_steps(rng, birth_year < 1965)
            } else {
                Vec::new()
            };
            // About a third of the steps are done already (the campaign
            // started in 2025); a few turned out not to apply.
            let needs = wanted
                .into_iter()
                .map(|step| NeedLoad {
                    step,
                    status: if rng.chance(30) {
                        NeedStatus::Done
                    } else if rng.chance(6) {
                        NeedStatus::NotApplicable
                    } else {
                        NeedStatus::Open
                    },
                    last_result: None,
                    appointment_on: None,
                    updated_at: registered,
                    updated_by: ACTOR.into(),
                })
                .collect();
            // A few adults have not signed the consent form yet.
            let consent = (adult && !rng.chance(4)).then(|| Consent {
                at: campaign_start() + Duration::days(rng.below(60) as i64),
                by: leader.to_owned(),
                text: CONSENT_TEXT.to_owned(),
            });
            ResidentLoad {
                external_id: format!("{}", i + 1),
                full_name,
                birth_year: Some(birth_year),
                phone: (adult && rng.chance(80)).then(|| phone(rng)),
                presence,
                country,
                timezone,
                availability: Some(rule.clone()),
                consent,
                attempts: 0,
                last_attempt_at: None,
                needs,
            }
        })
        .collect()
}

fn open_steps(resident: &ResidentLoad) -> impl Iterator<Item = NeedStep> + '_ {
    resident
        .needs
        .iter()
        .filter(|n| n.status == NeedStatus::Open)
        .map(|n| n.step)
}

/// A team's whole load. `village_id` is its village's stored id.
pub fn team(
    layout: &Layout,
    index: usize,
    village_id: i32,
    rules: &Rules,
    days: Option<&PlanDays>,
    now: DateTime<Utc>,
) -> TeamLoad {
    let slot = &layout.teams[index];
    let commune = &layout.communes[slot.commune];
    let kind = commune.kind;
    let mut rng = Rng::stream(layout.options.seed, STREAM_TEAM, index as u64);
    let members = members(slot, index, kind, rules, &mut rng);
    let leader = members[0].full_name.clone();
    let registered = now - Duration::days(i64::from(PAST_DAYS) + 7);
    let households = (0..slot.households)
        .map(|n| {
            let street = match kind {
                CommuneKind::Ward | CommuneKind::Fishing => format!(
                    "Số {}, ngõ {}, {}",
                    1 + rng.below(80),
                    1 + rng.below(12),
                    slot.village_name
                ),
                _ => format!("Xóm {}, {}", 1 + rng.below(6), slot.village_name),
            };
            HouseholdLoad {
                external_id: format!("SYN{:04}-{:05}", index + 1, n + 1),
                address: street,
                village_id: Some(village_id),
                latitude: Some(slot.latitude + rng.jitter(0.004)),
                longitude: Some(slot.longitude + rng.jitter(0.004)),
                residents: residents(&mut rng, kind, rules, &leader, registered),
            }
        })
        .collect();
    let mut load = TeamLoad {
        area_id: village_id,
        name: format!(
            "Tổ công nghệ số cộng đồng {}, {}",
            slot.village_name, commune.name
        ),
        timezone: TEAM_ZONE.name().to_owned(),
        tide_station: (kind == CommuneKind::Fishing).then(|| STATION.to_owned()),
        members,
        households,
        plan: None,
    };
    if let Some(days) = days {
        history(&mut load, days, rules, &mut rng);
    }
    load
}

/// When a visit to a household of these residents starts, as hours and
/// minutes after midnight in Việt Nam.
fn visit_hour(residents: &[&ResidentLoad], rules: &Rules, rng: &mut Rng) -> (u32, u32) {
    let has = |rule: &RuleJson| {
        residents
            .iter()
            .any(|r| r.availability.as_ref() == Some(rule))
    };
    if has(&rules.farmer) {
        (18, 0)
    } else if has(&rules.shift_worker) {
        (16, 30)
    } else if rng.chance(50) {
        (8, 0)
    } else {
        (14, 0)
    }
}

/// A published plan over [`PlanDays`] with its visits, what was recorded at
/// those already past, and the households left out; the needs and residents
/// are moved as recordings move them.
#[allow(clippy::too_many_lines)]
fn history(team: &mut TeamLoad, days: &PlanDays, rules: &Rules, rng: &mut Rng) {
    let members = &team.members;
    let ashore: Vec<usize> = days
        .days
        .iter()
        .enumerate()
        .filter(|(_, (_, _, lunar))| (13..=18).contains(lunar))
        .map(|(i, _)| i)
        .collect();
    let evenings_abroad: Vec<usize> = days
        .days
        .iter()
        .enumerate()
        .filter(|(_, (day, _, _))| {
            matches!(day.weekday(), Weekday::Sat | Weekday::Sun | Weekday::Wed)
        })
        .map(|(i, _)| i)
        .collect();
    // Visits already given to a member on a day: the next one starts later.
    let mut booked: HashMap<(usize, usize), u32> = HashMap::new();
    let mut visits = Vec::new();
    let mut unmet = Vec::new();
    for (h, household) in team.households.iter_mut().enumerate() {
        // The residents' own reasons first: no consent.
        for (r, resident) in household.residents.iter().enumerate() {
            if resident.consent.is_none() && open_steps(resident).next().is_some() {
                unmet.push(UnmetLoad {
                    household: h,
                    resident: Some(r),
                    reason: UnmetReason::NoConsent,
                    explanation_vi: format!(
                        "{} chưa có đồng ý được ghi nhận nên chưa được xếp lịch",
                        resident.full_name
                    ),
                    explanation_en: format!(
                        "{} has no recorded consent, so is not planned",
                        resident.full_name
                    ),
                });
            }
        }
        let eligible: Vec<usize> = household
            .residents
            .iter()
            .enumerate()
            .filter(|(_, r)| r.consent.is_some() && open_steps(r).next().is_some())
            .map(|(i, _)| i)
            .collect();
        if eligible.is_empty() {
            continue;
        }
        if !rng.chance(36) {
            // Left out of the plan.
            if rng.chance(65) {
                let residents: Vec<&ResidentLoad> =
                    eligible.iter().map(|&r| &household.residents[r]).collect();
                unmet.push(left_out(h, &residents, members, rng));
            }
            continue;
        }
        let abroad: Vec<usize> = eligible
            .iter()
            .copied()
            .filter(|&r| household.residents[r].presence == Presence::Abroad)
            .collect();
        let at_sea = eligible
            .iter()
            .any(|&r| household.residents[r].presence == Presence::AtSea);
        let home: Vec<usize> = eligible
            .iter()
            .copied()
            .filter(|&r| {
                matches!(
                    household.residents[r].presence,
                    Presence::Home | Presence::AtSea
                )
            })
            .collect();
        let remote = !abroad.is_empty() && (home.is_empty() || rng.chance(50));
        let (mode, visited, day, start) = if remote {
            let r = *rng.pick(&abroad);
            let day = *rng.pick(&evenings_abroad);
            let zone: Tz = household.residents[r]
                .timezone
                .as_deref()
                .and_then(|z| z.parse().ok())
                .unwrap_or(TEAM_ZONE);
            let hour = if days.days[day].0.weekday() == Weekday::Wed {
                20
            } else {
                19
            };
            let local = days.days[day]
                .0
                .and_hms_opt(hour, 0, 0)
                .expect("a valid hour");
            let start = zone
                .from_local_datetime(&local)
                .earliest()
                .map_or(days.days[day].1, |t| t.with_timezone(&Utc));
            (VisitMode::Remote, vec![r], day, start)
        } else if home.is_empty() {
            continue;
        } else {
            // Crews are visited when ashore, around the full moon.
            let day = if at_sea && !ashore.is_empty() {
                *rng.pick(&ashore)
            } else {
                rng.below(days.days.len())
            };
            let residents: Vec<&ResidentLoad> =
                home.iter().map(|&r| &household.residents[r]).collect();
            let (hour, minute) = visit_hour(&residents, rules, rng);
            let start = days.days[day].1
                + Duration::hours(i64::from(hour))
                + Duration::minutes(i64::from(minute));
            (VisitMode::InPerson, home, day, start)
        };
        let mut purposes: Vec<NeedStep> = visited
            .iter()
            .flat_map(|&r| open_steps(&household.residents[r]))
            .collect();
        purposes.sort_unstable();
        purposes.dedup();
        // The first member able to help with every purpose, from a random
        // one on; remote calls need a member who makes them.
        let first = rng.below(members.len());
        let member = (0..members.len())
            .map(|k| (first + k) % members.len())
            .find(|&m| {
                (mode == VisitMode::InPerson || members[m].remote_capable)
                    && purposes
                        .iter()
                        .all(|p| members[m].skills.contains(&skill_for(*p)))
            })
            .unwrap_or(0);
        let slot = booked.entry((member, day)).or_default();
        let start = start + Duration::minutes(i64::from(*slot % 3) * 40);
        *slot += 1;
        let minutes = (20 + 10 * visited.len() as i64).min(60);
        let end = start + Duration::minutes(minutes);
        let mut visit = VisitLoad {
            household: h,
            member,
            start,
            end,
            mode,
            purposes: purposes.clone(),
            residents: visited.clone(),
            status: VisitStatus::Proposed,
            recording: None,
        };
        if end <= days.today {
            let recording = record(household, &visited, &purposes, end, rng);
            visit.status = if recording.lines.iter().any(|l| l.2.met()) {
                VisitStatus::Done
            } else {
                VisitStatus::Missed
            };
            visit.recording = Some(recording);
        }
        visits.push(visit);
    }
    let objective = visits.len() as i32 * 3;
    team.plan = Some(PlanLoad {
        status: PlanStatus::Published,
        start_date: days.start,
        days: PLAN_DAYS as i32,
        horizon_start: days.days[0].1,
        horizon_end: days.days[days.days.len() - 1].1 + Duration::days(1),
        objective,
        travel_minutes: visits.len() as i32 * 12,
        created_at: days.days[0].1 - Duration::days(1),
        published_at: Some(days.days[0].1 - Duration::hours(20)),
        created_by: ACTOR.into(),
        visits,
        unmet,
    });
}

/// Why the plan left a household out, with the planner's kind of sentence.
fn left_out(
    h: usize,
    residents: &[&ResidentLoad],
    members: &[MemberLoad],
    rng: &mut Rng,
) -> UnmetLoad {
    let rare = residents
        .iter()
        .all(|r| matches!(r.presence, Presence::AtSea | Presence::WorkingAway));
    let steps: Vec<NeedStep> = {
        let mut s: Vec<NeedStep> = residents.iter().flat_map(|r| open_steps(r)).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let reason = if rare || rng.chance(40) {
        UnmetReason::NoWindow
    } else if rng.chance(80) {
        UnmetReason::NoCapacity
    } else {
        UnmetReason::NoSkill
    };
    let (vi, en) = match reason {
        UnmetReason::NoWindow if rare => (
            "chỉ ở nhà quanh rằm hoặc dịp Tết — không ca nào của thành viên trùng những ngày giờ đó"
                .to_owned(),
            "home only around the full moon or at Tết — no volunteer's shift overlaps those days and hours"
                .to_owned(),
        ),
        UnmetReason::NoWindow => (
            format!(
                "chỉ ở nhà vào giờ không trùng ca nào của {} thành viên",
                members.len()
            ),
            format!(
                "home only at hours none of the {} volunteers' shifts overlaps",
                members.len()
            ),
        ),
        UnmetReason::NoCapacity => (
            "đủ điều kiện nhưng các thành viên đã kín lịch trong kỳ kế hoạch".to_owned(),
            "could be visited, but the volunteers' time was taken by households of higher priority"
                .to_owned(),
        ),
        _ => {
            let names_vi: Vec<&str> = steps.iter().map(|s| s.label_vi()).collect();
            let names_en: Vec<&str> = steps.iter().map(|s| s.label_en()).collect();
            (
                format!("không thành viên nào có đủ kỹ năng {}", names_vi.join(", ")),
                format!("no volunteer has the skills {}", names_en.join(", ")),
            )
        }
    };
    UnmetLoad {
        household: h,
        resident: None,
        reason,
        explanation_vi: vi,
        explanation_en: en,
    }
}

/// What a volunteer recorded at a past visit, and the needs and residents
/// it moved: the first resident met (or nobody, a visit in five), the
/// others met or away; a few refuse or need an appointment at the police
/// for VNeID level 2.
fn record(
    household: &mut HouseholdLoad,
    visited: &[usize],
    purposes: &[NeedStep],
    at: DateTime<Utc>,
    rng: &mut Rng,
) -> RecordingLoad {
    let missed = rng.chance(20);
    let mut lines = Vec::new();
    for (k, &r) in visited.iter().enumerate() {
        let resident = &mut household.residents[r];
        let met = !missed && (k == 0 || rng.chance(65));
        if !met {
            lines.push((r, None, OutcomeResult::NotHome, None));
            resident.attempts += 1;
            resident.last_attempt_at = Some(at);
            continue;
        }
        resident.attempts = 0;
        let level2_open = resident
            .needs
            .iter()
            .any(|n| n.step == NeedStep::VneidLevel2 && n.status == NeedStatus::Open);
        let roll = rng.below(100);
        if roll < 4 {
            lines.push((r, None, OutcomeResult::Refused, None));
            for need in resident.needs.iter_mut() {
                if need.status == NeedStatus::Open && purposes.contains(&need.step) {
                    need.last_result = Some(OutcomeResult::Refused);
                    need.updated_at = at;
                }
            }
        } else if roll < 14 && level2_open {
            let day =
                at.with_timezone(&TEAM_ZONE).date_naive() + Days::new(7 + rng.below(8) as u64);
            for need in resident.needs.iter_mut() {
                if need.status != NeedStatus::Open || !purposes.contains(&need.step) {
                    continue;
                }
                need.updated_at = at;
                if need.step == NeedStep::VneidLevel2 {
                    lines.push((
                        r,
                        Some(need.step),
                        OutcomeResult::NeedsAppointment,
                        Some(day),
                    ));
                    need.last_result = Some(OutcomeResult::NeedsAppointment);
                    need.appointment_on = Some(day);
                } else {
                    lines.push((r, Some(need.step), OutcomeResult::Done, None));
                    need.status = NeedStatus::Done;
                    need.last_result = Some(OutcomeResult::Done);
                }
            }
        } else {
            lines.push((r, None, OutcomeResult::Done, None));
            for need in resident.needs.iter_mut() {
                if need.status == NeedStatus::Open && purposes.contains(&need.step) {
                    need.status = NeedStatus::Done;
                    need.last_result = Some(OutcomeResult::Done);
                    need.updated_at = at;
                }
            }
        }
    }
    let key = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
    let mut hasher = Sha256::new();
    hasher.update(key.as_bytes());
    for (r, need, result, day) in &lines {
        hasher.update(format!("{r}:{need:?}:{}:{day:?};", result.code()).as_bytes());
    }
    let body_hash = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    RecordingLoad {
        key,
        body_hash,
        recorded_by: ACTOR.into(),
        recorded_at: at,
        lines,
    }
}

/// Loads the synthetic province into the store: its areas first, then the
/// teams in batches of `TEAMS_PER_BATCH`, one transaction each, generated
/// on a thread of their own while earlier ones are written (two at a time
/// on PostgreSQL, so that the ids of a load there depend on which batch
/// commits first); then fresh planner statistics, the official's account
/// and an audit entry.
/// `progress` hears after every batch.
///
/// # Errors
/// A conflict when the province is already there (a load that stopped half
/// way counts: start again on a fresh database), or the store fails.
pub async fn load(
    store: &Store,
    options: ProvinceOptions,
    now: DateTime<Utc>,
    mut progress: impl FnMut(Progress),
) -> Result<ProvinceSummary, ServiceError> {
    let db = store.connection();
    if doorstep_store::find_area_by_code(db, PROVINCE_CODE)
        .await?
        .is_some()
    {
        return Err(ServiceError::Conflict(
            format!(
                "tỉnh mẫu ({PROVINCE_CODE}) đã có trong cơ sở dữ liệu này; không nạp lại — hãy dùng một cơ sở dữ liệu mới"
            ),
            format!(
                "the synthetic province ({PROVINCE_CODE}) is already in this database; it is not loaded twice — use a fresh database"
            ),
        ));
    }
    if options.teams == 0 {
        return Err(ServiceError::invalid(
            "teams",
            "cần ít nhất 1 tổ",
            "expected at least 1 team",
        ));
    }
    let layout = Arc::new(layout(options));
    let areas = layout.areas();
    let ids = bulk::insert_areas(db, &areas).await?;
    let province_id = ids[0];
    let villages: Arc<Vec<i32>> = Arc::new(ids[1 + layout.communes.len()..].to_vec());
    let days = options.history.then(|| Arc::new(PlanDays::around(now)));

    // One thread generates the batches in order; PostgreSQL takes two at a
    // time (the server's work is most of a load, and two sessions use two
    // cores), other databases one after the other.
    let writers = if store.backend_name() == "postgres" {
        2
    } else {
        1
    };
    let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<TeamLoad>>(writers);
    let generator = {
        let layout = Arc::clone(&layout);
        let villages = Arc::clone(&villages);
        let days = days.clone();
        tokio::task::spawn_blocking(move || {
            let rules = Rules::shared();
            for from in (0..layout.teams.len()).step_by(TEAMS_PER_BATCH) {
                let to = (from + TEAMS_PER_BATCH).min(layout.teams.len());
                let batch = (from..to)
                    .map(|i| team(&layout, i, villages[i], rules, days.as_deref(), now))
                    .collect();
                if sender.blocking_send(batch).is_err() {
                    // The writers stopped.
                    return;
                }
            }
        })
    };
    let batches = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|batch| (batch, receiver))
    });
    let mut written = Box::pin(
        batches
            .map(|batch| async move {
                let counts = bulk::insert_teams(db, &batch, now).await?;
                Ok::<_, StoreError>((batch.len(), counts))
            })
            .buffer_unordered(writers),
    );
    let teams = layout.teams.len();
    let households = layout.households();
    let mut counts = LoadCounts::default();
    let mut teams_done = 0;
    while let Some(result) = written.next().await {
        let (n, batch) = result?;
        teams_done += n;
        counts += batch;
        progress(Progress {
            teams_done,
            teams,
            households_done: counts.households as usize,
            households,
        });
    }
    drop(written);
    generator
        .await
        .map_err(|e| ServiceError::Internal(format!("generating teams: {e}")))?;
    bulk::analyze(db).await?;
    // The batches write the base tables only: the audit's kept counts are
    // counted once for every team, set by set, when all are in.
    let counting = std::time::Instant::now();
    doorstep_store::in_one_transaction(db, async |txn| tallies::rebuild_all(txn).await).await?;
    let tallies_ms = u64::try_from(counting.elapsed().as_millis()).unwrap_or(u64::MAX);
    bulk::analyze_tallies(db).await?;

    doorstep_store::in_one_transaction(db, async |txn| {
        doorstep_store::ensure_user(
            txn,
            &UserInput {
                username: OFFICIAL.0.into(),
                display_name: OFFICIAL.1.into(),
                role: UserRole::Official,
                team_id: None,
                area_id: Some(province_id),
                member_id: None,
                email: Some(format!("{}@demo.doorstep.invalid", OFFICIAL.0)),
            },
            || hash_password(DEMO_PASSWORD),
            now,
        )
        .await?;
        let summary = ProvinceSummary {
            province_id,
            communes: layout.communes.len(),
            villages: layout.teams.len(),
            counts,
            tallies_ms,
        };
        doorstep_store::append_audit(
            txn,
            now,
            ACTOR,
            "load_province",
            "area",
            Some(province_id),
            json!({"seed": options.seed, "history": options.history, "summary": summary}),
        )
        .await?;
        Ok::<_, ServiceError>(summary)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-02T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn options(teams: usize, seed: u64) -> ProvinceOptions {
        ProvinceOptions {
            teams,
            seed,
            history: true,
        }
    }

    fn province(options: ProvinceOptions) -> Vec<TeamLoad> {
        let layout = layout(options);
        let days = PlanDays::around(now());
        (0..layout.teams.len())
            .map(|i| {
                team(
                    &layout,
                    i,
                    1000 + i as i32,
                    Rules::shared(),
                    Some(&days),
                    now(),
                )
            })
            .collect()
    }

    #[test]
    fn a_seed_gives_the_same_province() {
        assert_eq!(province(options(5, 7)), province(options(5, 7)));
        assert_ne!(province(options(5, 7)), province(options(5, 8)));
        assert_eq!(layout(options(40, 3)), layout(options(40, 3)));
    }

    #[test]
    fn households_scale_with_the_teams() {
        let full = layout(ProvinceOptions::default());
        assert_eq!(full.teams.len(), FULL_TEAMS);
        assert_eq!(full.households(), FULL_HOUSEHOLDS);
        let mean = full.households() / full.teams.len();
        assert!((200..=260).contains(&mean), "{mean} households a team");
        assert!(full.teams.iter().any(|t| t.members == 25));
        assert!(
            full.teams
                .iter()
                .all(|t| t.members == 25 || (3..=9).contains(&t.members))
        );
        for teams in [1, 6, 60, 435] {
            let part = layout(options(teams, 1));
            assert_eq!(part.teams.len(), teams);
            assert_eq!(part.households(), part.options.households());
            let expected = (FULL_HOUSEHOLDS * teams + FULL_TEAMS / 2) / FULL_TEAMS;
            assert_eq!(part.households(), expected, "{teams} teams");
            let areas = part.areas();
            assert_eq!(areas.len(), 1 + part.communes.len() + teams);
        }
        let teams = province(options(6, 1));
        let households: usize = teams.iter().map(|t| t.households.len()).sum();
        assert_eq!(
            households,
            ProvinceOptions {
                teams: 6,
                ..Default::default()
            }
            .households()
        );
    }

    #[test]
    fn every_rule_parses_with_the_core_parser() {
        let stations = [STATION];
        let ctx = doorstep_core::rules::RuleContext::with_stations(stations);
        let mut seen = std::collections::BTreeSet::new();
        for team in province(options(24, 5)) {
            let rules = team
                .members
                .iter()
                .filter_map(|m| m.availability.as_ref())
                .chain(
                    team.households
                        .iter()
                        .flat_map(|h| &h.residents)
                        .filter_map(|r| r.availability.as_ref()),
                );
            for rule in rules {
                if seen.insert(rule.as_str().to_owned()) {
                    let value: serde_json::Value = serde_json::from_str(rule.as_str()).unwrap();
                    doorstep_core::rules::Rule::parse(&value, &ctx)
                        .unwrap_or_else(|e| panic!("{}: {e:?}", rule.as_str()));
                    doorstep_core::rules::validate_rule_json(rule.as_str(), &stations).unwrap();
                }
            }
        }
        // Crews, workers abroad, farmers, the elderly, shift workers, Tết
        // homecomers and the members' three patterns all occur.
        assert!(seen.len() >= 9, "{seen:?}");
    }

    #[test]
    fn the_profiles_and_needs_are_mixed() {
        let teams = province(options(60, 2));
        let residents: Vec<&ResidentLoad> = teams
            .iter()
            .flat_map(|t| &t.households)
            .flat_map(|h| &h.residents)
            .collect();
        for presence in Presence::ALL {
            assert!(
                residents.iter().any(|r| r.presence == *presence),
                "{presence:?}"
            );
        }
        assert!(
            residents
                .iter()
                .filter(|r| r.presence == Presence::Abroad)
                .all(|r| r.country.is_some() && r.timezone.is_some())
        );
        let needs: Vec<&NeedLoad> = residents.iter().flat_map(|r| &r.needs).collect();
        for step in NeedStep::ALL {
            assert!(needs.iter().any(|n| n.step == *step), "{step:?}");
        }
        for status in NeedStatus::ALL {
            assert!(needs.iter().any(|n| n.status == *status), "{status:?}");
        }
        assert!(
            teams
                .iter()
                .flat_map(|t| &t.households)
                .all(|h| (1..=5).contains(&h.residents.len()))
        );
    }

    #[test]
    fn the_history_is_consistent() {
        let days = PlanDays::around(now());
        let teams = province(options(12, 9));
        let mut visits = 0;
        let mut households = 0;
        for team in &teams {
            households += team.households.len();
            let plan = team.plan.as_ref().expect("a plan");
            assert_eq!(plan.status, PlanStatus::Published);
            let mut seen = std::collections::BTreeSet::new();
            for v in &plan.visits {
                visits += 1;
                assert!(seen.insert(v.household), "one visit a household");
                assert!(v.start >= plan.horizon_start && v.end <= plan.horizon_end);
                let past = v.end <= days.today;
                assert_eq!(past, v.recording.is_some());
                match &v.recording {
                    Some(rec) => {
                        let met = rec.lines.iter().any(|l| l.2.met());
                        let expected = if met {
                            VisitStatus::Done
                        } else {
                            VisitStatus::Missed
                        };
                        assert_eq!(v.status, expected);
                        let household = &team.households[v.household];
                        for (r, _, result, _) in &rec.lines {
                            let resident = &household.residents[*r];
                            if *result == OutcomeResult::NotHome {
                                assert_eq!(resident.attempts, 1);
                                assert_eq!(resident.last_attempt_at, Some(rec.recorded_at));
                            }
                            if *result == OutcomeResult::Done {
                                assert!(
                                    resident.needs.iter().any(|n| n.status == NeedStatus::Done
                                        && n.last_result == Some(OutcomeResult::Done))
                                );
                            }
                        }
                    }
                    None => assert_eq!(v.status, VisitStatus::Proposed),
                }
                if v.mode == VisitMode::Remote {
                    assert!(team.members[v.member].remote_capable);
                    let r = &team.households[v.household].residents[v.residents[0]];
                    assert_eq!(r.presence, Presence::Abroad);
                }
            }
            let reasons: std::collections::BTreeSet<UnmetReason> =
                plan.unmet.iter().map(|u| u.reason).collect();
            assert!(!reasons.is_empty());
        }
        // About a third of the households are visited.
        let share = visits as f64 / households as f64;
        assert!((0.25..0.42).contains(&share), "{share}");
    }
}
