//! Demo data grounded in real places of Thanh Hóa province: the Lạch Bạng
//! fishing port in Hải Thanh ward (Nghi Sơn), Định Bình commune (Yên Định)
//! whose young people work in Korea and Japan, Lam Sơn ward (Bỉm Sơn) with a
//! big team, and Luận Thành (Thường Xuân), a mountain commune of farmers.
//!
//! The data is generated from a fixed seed, so every load produces the same
//! rows. A load creates only what is missing: an area, team, member,
//! household, resident or user that exists is left as it is, edited or not,
//! so loading again changes nothing. Area codes are local demo codes,
//! not official ones; coordinates are plausible, not surveyed. The demo
//! users' passwords are for demonstration only.

use chrono::{DateTime, Utc};
use doorstep_core::{AreaLevel, MemberRole, NeedStep, Presence, UserRole};
use doorstep_store::{
    AreaInput, Change, Consent, MemberInput, OnExisting, RegisterHousehold, RegisterResident,
    RuleJson, Store, StoreError, TeamInput, UserInput,
};
use serde_json::json;

use doorstep_service::auth::hash_password;

use crate::names::{
    CONSENT_TEXT, campaign_start, family_name, person, phone, sex_and_birth_year, wanted_steps,
};
use crate::rng::Rng;

/// The password of every demo user. Demo only: never use it elsewhere.
pub const DEMO_PASSWORD: &str = "doorstep-demo";

/// The demo users: sign-in name, role and what they see.
pub const DEMO_USERS: &[(&str, UserRole, &str)] = &[
    (
        "totruong.haithanh",
        UserRole::Leader,
        "Tổ trưởng, tổ CNSCĐ phường Hải Thanh",
    ),
    (
        "tinhnguyen.haithanh",
        UserRole::Volunteer,
        "Thành viên, tổ CNSCĐ phường Hải Thanh",
    ),
    (
        "canbo.thanhhoa",
        UserRole::Official,
        "Cán bộ tỉnh Thanh Hóa",
    ),
];

/// What a demo load created; it never changes what exists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DemoSummary {
    /// Areas, teams, members and users created.
    pub created: usize,
    /// Households created by the registers.
    pub households_created: usize,
    /// Residents created by the registers.
    pub residents_created: usize,
}

impl DemoSummary {
    /// Whether the load created nothing (and so wrote nothing).
    pub fn unchanged(&self) -> bool {
        *self == DemoSummary::default()
    }

    fn count(&mut self, change: Change) {
        match change {
            Change::Created => self.created += 1,
            Change::Unchanged => {}
        }
    }
}

struct Village {
    code: &'static str,
    name: &'static str,
    latitude: f64,
    longitude: f64,
}

#[derive(Clone, Copy, PartialEq)]
enum Profile {
    Fishing,
    Abroad,
    Ward,
    Mountain,
}

struct Place {
    commune_code: &'static str,
    commune: &'static str,
    alias: &'static str,
    latitude: f64,
    longitude: f64,
    team: &'static str,
    station: Option<&'static str>,
    villages: &'static [Village],
    households: usize,
    members: usize,
    key_prefix: &'static str,
    profile: Profile,
}

const PROVINCE_CODE: &str = "38";

const PLACES: &[Place] = &[
    Place {
        commune_code: "38-HAITHANH",
        commune: "Phường Hải Thanh",
        alias: "Phường Hải Thanh, thị xã Nghi Sơn",
        latitude: 19.3690,
        longitude: 105.7930,
        team: "Tổ công nghệ số cộng đồng phường Hải Thanh",
        station: Some("lach-bang"),
        villages: &[
            Village {
                code: "38-HAITHANH-TANTHANH",
                name: "Tổ dân phố Tân Thành",
                latitude: 19.3712,
                longitude: 105.7981,
            },
            Village {
                code: "38-HAITHANH-THANHBINH",
                name: "Tổ dân phố Thanh Bình",
                latitude: 19.3668,
                longitude: 105.7952,
            },
            Village {
                code: "38-HAITHANH-THANHXUAN",
                name: "Tổ dân phố Thanh Xuân",
                latitude: 19.3645,
                longitude: 105.7898,
            },
            Village {
                code: "38-HAITHANH-BACHAI",
                name: "Tổ dân phố Bắc Hải",
                latitude: 19.3731,
                longitude: 105.7915,
            },
        ],
        households: 300,
        members: 7,
        key_prefix: "HT",
        profile: Profile::Fishing,
    },
    Place {
        commune_code: "38-DINHBINH",
        commune: "Xã Định Bình",
        alias: "Xã Định Bình, huyện Yên Định",
        latitude: 19.9850,
        longitude: 105.6360,
        team: "Tổ công nghệ số cộng đồng xã Định Bình",
        station: None,
        villages: &[
            Village {
                code: "38-DINHBINH-THOPHAT",
                name: "Thôn Thọ Phật",
                latitude: 19.9881,
                longitude: 105.6322,
            },
            Village {
                code: "38-DINHBINH-DONGPHU",
                name: "Thôn Đông Phú",
                latitude: 19.9823,
                longitude: 105.6405,
            },
            Village {
                code: "38-DINHBINH-YENTRUNG",
                name: "Thôn Yên Trung",
                latitude: 19.9790,
                longitude: 105.6341,
            },
        ],
        households: 160,
        members: 6,
        key_prefix: "DB",
        profile: Profile::Abroad,
    },
    Place {
        commune_code: "38-LAMSON",
        commune: "Phường Lam Sơn",
        alias: "Phường Lam Sơn, thị xã Bỉm Sơn",
        latitude: 20.0780,
        longitude: 105.8600,
        team: "Tổ công nghệ số cộng đồng phường Lam Sơn",
        station: None,
        villages: &[
            Village {
                code: "38-LAMSON-KP1",
                name: "Khu phố 1",
                latitude: 20.0801,
                longitude: 105.8571,
            },
            Village {
                code: "38-LAMSON-KP2",
                name: "Khu phố 2",
                latitude: 20.0779,
                longitude: 105.8622,
            },
            Village {
                code: "38-LAMSON-KP3",
                name: "Khu phố 3",
                latitude: 20.0752,
                longitude: 105.8598,
            },
            Village {
                code: "38-LAMSON-KP4",
                name: "Khu phố 4",
                latitude: 20.0738,
                longitude: 105.8650,
            },
            Village {
                code: "38-LAMSON-KP5",
                name: "Khu phố 5",
                latitude: 20.0814,
                longitude: 105.8644,
            },
        ],
        households: 450,
        members: 25,
        key_prefix: "LS",
        profile: Profile::Ward,
    },
    Place {
        commune_code: "38-LUANTHANH",
        commune: "Xã Luận Thành",
        alias: "Xã Luận Thành, huyện Thường Xuân",
        latitude: 19.8990,
        longitude: 105.3740,
        team: "Tổ công nghệ số cộng đồng xã Luận Thành",
        station: None,
        villages: &[
            Village {
                code: "38-LUANTHANH-DONGTAN",
                name: "Thôn Đông Tân",
                latitude: 19.9032,
                longitude: 105.3691,
            },
            Village {
                code: "38-LUANTHANH-THANHSON",
                name: "Thôn Thành Sơn",
                latitude: 19.8955,
                longitude: 105.3802,
            },
            Village {
                code: "38-LUANTHANH-LIENTHANH",
                name: "Thôn Liên Thành",
                latitude: 19.8921,
                longitude: 105.3733,
            },
        ],
        households: 140,
        members: 5,
        key_prefix: "LT",
        profile: Profile::Mountain,
    },
];

/// A demo rule, validated like any stored rule, against the shipped stations.
fn demo_rule(rule: &serde_json::Value) -> RuleJson {
    static STATIONS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let ids = STATIONS
        .get_or_init(|| doorstep_service::stations::ids(&doorstep_service::stations::built_in()));
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    RuleJson::parse(&rule.to_string(), &ids)
        .unwrap_or_else(|errors| panic!("demo rule {rule} is invalid: {errors:?}"))
}

/// The fishing crews' pattern: ashore around the full moon, in daytime, but
/// busy unloading around high water.
fn rule_fishing_crew() -> serde_json::Value {
    json!({"mode": "in_person",
           "when": [{"lunar_days": [13, 18], "hours": ["07:00", "20:00"]}],
           "except": [{"tide": {"station": "lach-bang", "near": "high", "within_minutes": 90}}]})
}

fn rule_abroad(zone: &str) -> serde_json::Value {
    json!({"mode": "remote",
           "when": [{"weekdays": ["sat", "sun"], "hours": ["19:00", "22:00"], "timezone": zone},
                    {"weekdays": ["wed"], "hours": ["20:00", "22:00"], "timezone": zone}]})
}

fn rule_evenings() -> serde_json::Value {
    json!({"mode": "in_person",
           "when": [{"weekdays": ["mon", "tue", "wed", "thu", "fri"], "hours": ["18:00", "21:00"]},
                    {"weekdays": ["sun"], "hours": ["08:00", "11:00"]}]})
}

fn rule_daytime() -> serde_json::Value {
    json!({"mode": "in_person", "when": [{"hours": ["08:00", "11:00"]}, {"hours": ["14:00", "17:00"]}]})
}

fn rule_tet_home() -> serde_json::Value {
    json!({"mode": "in_person", "when": [{"lunar_dates": ["12-23", "01-10"], "hours": ["08:00", "20:00"]}]})
}

fn register(place: &Place, village_ids: &[i32], leader: &str, seed: u64) -> Vec<RegisterHousehold> {
    let mut rng = Rng::seeded(seed);
    let mountain = place.profile == Profile::Mountain;
    (0..place.households)
        .map(|n| {
            let v = rng.below(place.villages.len());
            let village = &place.villages[v];
            let family = family_name(&mut rng, mountain);
            let size = 1 + rng.below(4) + usize::from(rng.chance(30));
            let fishing = place.profile == Profile::Fishing && rng.chance(40);
            let abroad = place.profile == Profile::Abroad && rng.chance(35);
            let street = if place.profile == Profile::Ward || place.profile == Profile::Fishing {
                format!(
                    "Số {}, ngõ {}, {}",
                    1 + rng.below(80),
                    1 + rng.below(12),
                    village.name
                )
            } else {
                format!("Xóm {}, {}", 1 + rng.below(6), village.name)
            };
            let residents = (0..size)
                .map(|i| {
                    let (male, birth_year) = sex_and_birth_year(&mut rng, i, fishing);
                    let full = person(&mut rng, male, mountain);
                    // Members of one household mostly share the family name.
                    let full_name = if i > 0 && rng.chance(60) {
                        let rest = full.split_once(' ').map_or(full.as_str(), |(_, r)| r);
                        format!("{family} {rest}")
                    } else {
                        full
                    };
                    let adult = birth_year <= 2005;
                    let (presence, country, timezone, rules) =
                        if fishing && male && adult && birth_year >= 1962 {
                            (Presence::AtSea, None, None, Some(rule_fishing_crew()))
                        } else if abroad && i > 0 && adult && birth_year >= 1985 {
                            let (country, zone) = *rng.pick(&[
                                ("KR", "Asia/Seoul"),
                                ("KR", "Asia/Seoul"),
                                ("JP", "Asia/Tokyo"),
                                ("TW", "Asia/Taipei"),
                            ]);
                            (
                                Presence::Abroad,
                                Some(country.to_string()),
                                Some(zone.to_string()),
                                Some(rule_abroad(zone)),
                            )
                        } else if place.profile == Profile::Ward
                            && adult
                            && birth_year >= 1970
                            && rng.chance(15)
                        {
                            (Presence::WorkingAway, None, None, Some(rule_tet_home()))
                        } else if birth_year < 1962 {
                            (Presence::Home, None, None, Some(rule_daytime()))
                        } else {
                            (Presence::Home, None, None, Some(rule_evenings()))
                        };
                    let wanted = if adult {
                        wanted_steps(&mut rng, birth_year < 1965)
                    } else {
                        Vec::new()
                    };
                    // About a third of the steps are already done: the campaign
                    // started in 2025.
                    let (done, open): (Vec<NeedStep>, Vec<NeedStep>) =
                        wanted.into_iter().partition(|_| rng.chance(30));
                    let consent = adult.then(|| Consent {
                        at: campaign_start() + chrono::Duration::days(rng.below(60) as i64),
                        by: leader.to_string(),
                        text: CONSENT_TEXT.to_string(),
                    });
                    RegisterResident {
                        external_id: format!("{}", i + 1),
                        full_name,
                        birth_year: Some(birth_year),
                        phone: (adult && rng.chance(80)).then(|| phone(&mut rng)),
                        presence,
                        country,
                        timezone,
                        needs: open,
                        availability: rules.map(|r| demo_rule(&r)),
                        done,
                        consent,
                    }
                })
                .collect();
            RegisterHousehold {
                external_id: format!("{}-{:04}", place.key_prefix, n + 1),
                address: street,
                village_id: Some(village_ids[v]),
                latitude: Some(village.latitude + rng.jitter(0.004)),
                longitude: Some(village.longitude + rng.jitter(0.004)),
                residents,
            }
        })
        .collect()
}

fn member_rules(rng: &mut Rng) -> serde_json::Value {
    match rng.below(3) {
        0 => {
            json!({"mode": "in_person", "when": [{"weekdays": ["mon", "tue", "wed", "thu", "fri"], "hours": ["17:30", "21:00"]},
                                                   {"weekdays": ["sat", "sun"], "hours": ["07:30", "17:00"]}]})
        }
        1 => {
            json!({"mode": "in_person", "when": [{"hours": ["07:30", "11:30"]}, {"hours": ["13:30", "17:00"]}]})
        }
        _ => {
            json!({"mode": "in_person", "when": [{"weekdays": ["sat", "sun"], "hours": ["07:00", "21:00"]},
                                                   {"weekdays": ["tue", "thu"], "hours": ["18:00", "21:00"]}]})
        }
    }
}

/// Loads the demo data, in one transaction: creates what is missing and
/// leaves what exists as it is, so running it again changes nothing.
///
/// # Errors
/// The database fails; then nothing is written.
pub async fn load(store: &Store, now: DateTime<Utc>) -> Result<DemoSummary, StoreError> {
    doorstep_store::in_one_transaction(store.connection(), async |txn| {
        let mut summary = DemoSummary::default();
        let (province_id, change) = doorstep_store::ensure_area(
            txn,
            &AreaInput {
                level: AreaLevel::Province,
                code: PROVINCE_CODE.into(),
                name: "Tỉnh Thanh Hóa".into(),
                parent_code: None,
                aliases: vec![],
                latitude: Some(19.8075),
                longitude: Some(105.7764),
            },
        )
        .await?;
        summary.count(change);
        let mut first_team = None;
        for (p, place) in PLACES.iter().enumerate() {
            let (_, change) = doorstep_store::ensure_area(
                txn,
                &AreaInput {
                    level: AreaLevel::Commune,
                    code: place.commune_code.into(),
                    name: place.commune.into(),
                    parent_code: Some(PROVINCE_CODE.into()),
                    aliases: vec![place.alias.into()],
                    latitude: Some(place.latitude),
                    longitude: Some(place.longitude),
                },
            )
            .await?;
            summary.count(change);
            let mut village_ids = Vec::new();
            for village in place.villages {
                let (id, change) = doorstep_store::ensure_area(
                    txn,
                    &AreaInput {
                        level: AreaLevel::Village,
                        code: village.code.into(),
                        name: village.name.into(),
                        parent_code: Some(place.commune_code.into()),
                        aliases: vec![],
                        latitude: Some(village.latitude),
                        longitude: Some(village.longitude),
                    },
                )
                .await?;
                summary.count(change);
                village_ids.push(id);
            }
            let (team_id, change) = doorstep_store::ensure_team(
                txn,
                &TeamInput {
                    area_code: place.commune_code.into(),
                    name: place.team.into(),
                    timezone: "Asia/Ho_Chi_Minh".into(),
                    tide_station: place.station.map(str::to_string),
                },
                now,
            )
            .await?;
            summary.count(change);
            let mut rng = Rng::seeded(1000 + p as u64);
            let mut member_ids = Vec::new();
            let mut leader = String::new();
            for m in 0..place.members {
                let male = rng.chance(45);
                let village = rng.pick(place.villages);
                let mut skills = vec!["vneid"];
                if rng.chance(60) {
                    skills.push("e_payment");
                }
                if rng.chance(70) {
                    skills.push("scam_awareness");
                }
                if m == 0 || rng.chance(40) {
                    skills.push("public_services");
                }
                let full_name = person(&mut rng, male, place.profile == Profile::Mountain);
                if m == 0 {
                    leader.clone_from(&full_name);
                }
                let (id, change) = doorstep_store::ensure_member(
                    txn,
                    &MemberInput {
                        team_id,
                        full_name,
                        role: if m == 0 {
                            MemberRole::Leader
                        } else {
                            MemberRole::Volunteer
                        },
                        email: Some(format!(
                            "{}.{}@demo.doorstep.invalid",
                            place.key_prefix.to_lowercase(),
                            m + 1
                        )),
                        phone: Some(phone(&mut rng)),
                        skills: skills.into_iter().map(str::to_string).collect(),
                        daily_visit_cap: [6, 8, 10][rng.below(3)],
                        remote_capable: m == 0 || rng.chance(50),
                        home_latitude: Some(village.latitude + rng.jitter(0.003)),
                        home_longitude: Some(village.longitude + rng.jitter(0.003)),
                        availability: Some(demo_rule(&member_rules(&mut rng))),
                        // A few read their messages in English.
                        language: if m % 7 == 3 {
                            doorstep_core::Language::En
                        } else {
                            doorstep_core::Language::Vi
                        },
                    },
                    now,
                )
                .await?;
                summary.count(change);
                member_ids.push(id);
            }
            let households = register(place, &village_ids, &leader, 7 + p as u64);
            // Households and residents a leader edited stay as they are.
            let changes = doorstep_store::apply_register(
                txn,
                team_id,
                &households,
                OnExisting::Keep,
                "demo",
                now,
            )
            .await?;
            summary.households_created += changes.households_created;
            summary.residents_created += changes.residents_created;
            if p == 0 {
                first_team = Some((team_id, member_ids));
            }
        }
        let (team_id, member_ids) = first_team.expect("the demo has places");
        for (username, role, display_name) in DEMO_USERS {
            let (team, member, area) = match *role {
                UserRole::Leader => (Some(team_id), Some(member_ids[0]), None),
                UserRole::Volunteer => (Some(team_id), Some(member_ids[1]), None),
                UserRole::Official | UserRole::Admin => (None, None, Some(province_id)),
            };
            let (_, change) = doorstep_store::ensure_user(
                txn,
                &UserInput {
                    username: (*username).into(),
                    display_name: (*display_name).into(),
                    role: *role,
                    team_id: team,
                    area_id: area,
                    member_id: member,
                    email: Some(format!("{username}@demo.doorstep.invalid")),
                },
                || hash_password(DEMO_PASSWORD),
                now,
            )
            .await?;
            summary.count(change);
        }
        if !summary.unchanged() {
            doorstep_store::append_audit(
                txn,
                now,
                "demo",
                "load_demo",
                "area",
                Some(province_id),
                serde_json::to_value(summary).expect("counts serialise"),
            )
            .await?;
        }
        Ok(summary)
    })
    .await
}

/// Days of the calendars the demo plans.
pub const DEMO_PLAN_DAYS: u32 = 28;

/// A demo calendar that was planned and published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoPlan {
    /// The team.
    pub team_id: i32,
    /// The plan.
    pub plan_id: i32,
    /// Its visits.
    pub visits: usize,
    /// Its first day.
    pub start: chrono::NaiveDate,
}

/// Plans and publishes each demo team's calendar for the 28 days from today
/// (in the team's zone), so that a newcomer sees calendars at once. A team
/// with a published visit in the 28 days from `now` is left as it is, so
/// loading the demo again changes nothing while its calendar runs. The planner
/// searches for `time_limit`, or for `iterations` when given (the same
/// calendars whatever the machine's load).
///
/// # Errors
/// Planning or the store fails.
pub async fn plan_calendars(
    store: &Store,
    catalog: &doorstep_tide::Catalog,
    time_limit: std::time::Duration,
    iterations: Option<u64>,
    threads: usize,
    now: DateTime<Utc>,
) -> Result<Vec<DemoPlan>, doorstep_service::error::ServiceError> {
    use doorstep_service::planning::{PlanRequest, plan_team, publish};
    let actor = doorstep_service::access::Actor::system("demo");
    let mut planned = Vec::new();
    for place in PLACES {
        let Some(area) =
            doorstep_store::repo::areas::find_area_by_code(store.connection(), place.commune_code)
                .await?
        else {
            continue;
        };
        for team in doorstep_store::list_teams(store.connection())
            .await?
            .into_iter()
            .filter(|t| t.area_id == area.id)
        {
            let zone: chrono_tz::Tz = team
                .timezone
                .parse()
                .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
            let today = now.with_timezone(&zone).date_naive();
            let ahead = doorstep_store::repo::plans::published_visits(
                store.connection(),
                team.id,
                None,
                now,
                now + chrono::Duration::days(i64::from(DEMO_PLAN_DAYS)),
            )
            .await?;
            if !ahead.is_empty() {
                continue;
            }
            let request = PlanRequest {
                start: today,
                days: DEMO_PLAN_DAYS,
                time_limit,
                seed: 1,
                threads,
                iterations,
            };
            let outcome = plan_team(store, catalog, &actor, team.id, &request, now).await?;
            publish(store, &actor, outcome.plan.id, now).await?;
            planned.push(DemoPlan {
                team_id: team.id,
                plan_id: outcome.plan.id,
                visits: outcome.summary.visits,
                start: today,
            });
        }
    }
    Ok(planned)
}
