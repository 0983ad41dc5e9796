//! The planning mapping, without a database: random teams are planned and
//! every visit is checked against windows and shifts expanded here, apart
//! from the reader.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use chrono_tz::Tz;
use doorstep_core::rules::{ExpansionContext, Rule, RuleContext};
use doorstep_core::{MemberRole, NeedStep, Presence, Skill, UnmetReason, VisitMode};
use doorstep_scheduler::Params;
use doorstep_service::planning::{local_midnight, plan_snapshot};
use doorstep_store::repo::snapshot::{
    HouseholdRecord, LatLon, MemberRecord, ResidentRecord, TeamRecord, TeamSnapshot,
};
use proptest::prelude::*;

const MEMBER_RULES: &[&str] = &[
    r#"{"mode":"in_person","when":[{"hours":["07:30","11:30"]},{"hours":["13:30","17:00"]}]}"#,
    r#"{"mode":"in_person","when":[{"weekdays":["mon","tue","wed","thu","fri"],"hours":["17:30","21:00"]}]}"#,
    r#"{"mode":"in_person","when":[{"weekdays":["sat","sun"],"hours":["07:00","21:00"]}]}"#,
];

const RESIDENT_RULES: &[(&str, Presence)] = &[
    (
        r#"{"mode":"in_person","when":[{"hours":["08:00","11:00"]},{"hours":["14:00","17:00"]}]}"#,
        Presence::Home,
    ),
    (
        r#"{"mode":"in_person","when":[{"hours":["17:00","21:00"]}]}"#,
        Presence::Home,
    ),
    (
        r#"{"mode":"in_person","when":[{"lunar_days":[13,18],"hours":["07:00","20:00"]}]}"#,
        Presence::AtSea,
    ),
    (
        r#"{"mode":"remote","when":[{"weekdays":["sat","sun"],"hours":["19:00","22:00"],"timezone":"Asia/Seoul"}]}"#,
        Presence::Abroad,
    ),
    (
        r#"{"mode":"remote","when":[{"hours":["19:00","22:00"],"timezone":"Asia/Tokyo"}]}"#,
        Presence::Abroad,
    ),
];

fn point(i: usize) -> LatLon {
    LatLon {
        lat: 19.37 + (i % 7) as f64 * 0.002,
        lon: 105.80 + (i % 5) as f64 * 0.002,
    }
}

/// A member: (rule, skill bits, video calls, daily cap).
type MemberShape = (usize, u8, bool, u32);
/// A resident: (rule, consent, need bits).
type ResidentShape = (usize, bool, u8);

#[derive(Clone, Debug)]
struct Shape {
    members: Vec<MemberShape>,
    /// Households: (has coordinates, residents).
    households: Vec<(bool, Vec<ResidentShape>)>,
}

fn shape() -> impl Strategy<Value = Shape> {
    let member = (0..MEMBER_RULES.len(), 1u8..16, any::<bool>(), 1u32..6);
    let resident = (0..RESIDENT_RULES.len(), prop::bool::weighted(0.8), 0u8..64);
    let household = (
        prop::bool::weighted(0.85),
        prop::collection::vec(resident, 1..4),
    );
    (
        prop::collection::vec(member, 1..4),
        prop::collection::vec(household, 1..14),
    )
        .prop_map(|(members, households)| Shape {
            members,
            households,
        })
}

fn snapshot(shape: &Shape) -> TeamSnapshot {
    let skills = [
        Skill::Vneid,
        Skill::EPayment,
        Skill::ScamAwareness,
        Skill::PublicServices,
    ];
    let members = shape
        .members
        .iter()
        .enumerate()
        .map(|(i, &(rule, skill_bits, remote, cap))| MemberRecord {
            id: i as i32 + 1,
            full_name: format!("Thành viên {i}"),
            role: MemberRole::Volunteer,
            skills: skills
                .iter()
                .enumerate()
                .filter(|(k, _)| skill_bits & (1 << k) != 0)
                .map(|(_, s)| *s)
                .collect(),
            daily_visit_cap: cap,
            remote_capable: remote,
            home: Some(point(100 + i)),
            availability: Some(MEMBER_RULES[rule].to_owned()),
            active: true,
            email: None,
            phone: None,
            language: doorstep_core::Language::Vi,
        })
        .collect();
    let steps = NeedStep::ALL;
    let mut resident_id = 0;
    let households = shape
        .households
        .iter()
        .enumerate()
        .map(|(h, (located, residents))| HouseholdRecord {
            id: h as i32 + 1,
            external_id: format!("HT-{h:04}"),
            address: format!("Số {h}, thôn Bắc"),
            village_id: Some(1),
            village: Some("Bắc".into()),
            location: located.then(|| point(h)),
            village_centre: Some(point(50)),
            priority: None,
            service_minutes: None,
            residents: residents
                .iter()
                .map(|&(rule, consent, need_bits)| {
                    resident_id += 1;
                    let (text, presence) = RESIDENT_RULES[rule];
                    ResidentRecord {
                        id: resident_id,
                        external_id: format!("{resident_id}"),
                        full_name: format!("Cư dân {resident_id}"),
                        phone: None,
                        presence,
                        country: None,
                        timezone: None,
                        availability: Some(text.to_owned()),
                        consent,
                        open_needs: steps
                            .iter()
                            .enumerate()
                            .filter(|(k, _)| need_bits & (1 << k) != 0)
                            .map(|(_, s)| *s)
                            .collect(),
                        held_needs: Vec::new(),
                        attempts: 0,
                    }
                })
                .collect(),
        })
        .collect();
    TeamSnapshot {
        team: TeamRecord {
            id: 1,
            name: "Tổ thử".into(),
            area_id: 1,
            timezone: "Asia/Ho_Chi_Minh".into(),
            tide_station: None,
            centre: Some(point(0)),
        },
        members,
        households,
        blackouts: Vec::new(),
        villages: [(1, "Bắc".to_string())].into(),
    }
}

fn expand(ctx: &ExpansionContext, text: &str) -> Vec<(i64, i64)> {
    let rule = Rule::parse(
        &serde_json::from_str(text).unwrap(),
        &RuleContext::default(),
    )
    .unwrap();
    ctx.expand(&rule)
        .unwrap()
        .iter()
        .map(|w| (w.start_minute(), w.end_minute()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn visits_lie_in_the_windows_of_the_residents_they_name_and_the_shifts_of_their_member(shape in shape()) {
        let snapshot = snapshot(&shape);
        let zone: Tz = chrono_tz::Asia::Ho_Chi_Minh;
        let start = NaiveDate::from_ymd_opt(2026, 12, 21).unwrap();
        let from = local_midnight(zone, start);
        let to = local_midnight(zone, start + chrono::Days::new(7));
        let catalog = doorstep_service::stations::built_in();
        let solved = plan_snapshot(
            &snapshot,
            &catalog,
            from,
            to,
            Params { time_limit: None, max_iterations: Some(128), threads: 1, ..Params::default() },
        )
        .unwrap();
        let ctx = ExpansionContext::new(from, to, zone, catalog.clone()).unwrap();
        let visits = solved.visits().unwrap();
        let unmet = solved.unmet();
        let mut seen_jobs = BTreeSet::new();
        for v in &visits {
            prop_assert!(seen_jobs.insert(v.job.clone()), "one visit per job");
            let (a, b) = (v.start.timestamp() / 60, v.end.timestamp() / 60);
            let member = snapshot.members.iter().find(|m| m.id == v.member_id).unwrap();
            let shifts = expand(&ctx, member.availability.as_deref().unwrap());
            prop_assert!(shifts.iter().any(|&(s, e)| s <= a && b <= e), "inside a shift of its member");
            prop_assert!(!v.residents.is_empty(), "a visit names its residents");
            let household = snapshot.households.iter().find(|h| h.id == v.household_id).unwrap();
            let mut needs = BTreeSet::new();
            for id in &v.residents {
                let r = household.residents.iter().find(|r| r.id == *id).expect("a resident of the household");
                prop_assert!(r.consent, "no resident without consent is planned");
                let windows = expand(&ctx, r.availability.as_deref().unwrap());
                prop_assert!(windows.iter().any(|&(s, e)| s <= a && b <= e), "inside a window of resident {}", r.id);
                let rule_mode = if r.presence == Presence::Abroad { VisitMode::Remote } else { VisitMode::InPerson };
                prop_assert_eq!(rule_mode, v.mode);
                needs.extend(r.open_needs.iter().copied());
                for step in &r.open_needs {
                    prop_assert!(member.skills.contains(&step.skill()), "the member has the skills");
                }
            }
            prop_assert!(v.purposes.iter().all(|p| needs.contains(p)), "only their needs as purposes");
            prop_assert!(!v.purposes.is_empty());
            if v.mode == VisitMode::Remote {
                prop_assert_eq!(v.residents.len(), 1, "a remote call is one resident's");
                prop_assert!(member.remote_capable);
            }
        }
        for h in &snapshot.households {
            for r in h.residents.iter().filter(|r| !r.consent && !r.open_needs.is_empty()) {
                prop_assert!(
                    unmet.iter().any(|u| u.resident_id == Some(r.id) && u.reason == UnmetReason::NoConsent),
                    "resident {} without consent is unmet with no_consent", r.id
                );
            }
            // Every job is either visited or unmet with a reason.
            let jobs: Vec<String> = solved.mapped.jobs.values().filter(|j| j.household_id == h.id).map(|j| j.id.clone()).collect();
            for job in jobs {
                let visited = visits.iter().any(|v| v.job == job);
                let left = solved.plan.unmet.iter().any(|u| u.household == job);
                prop_assert!(visited != left, "job {} is visited or unmet, not both", job);
            }
        }
    }
}

#[test]
fn a_household_without_coordinates_is_placed_at_its_village() {
    let shape = Shape {
        members: vec![(0, 0b1111, true, 8)],
        households: vec![(false, vec![(0, true, 0b1)])],
    };
    let snapshot = snapshot(&shape);
    let zone = chrono_tz::Asia::Ho_Chi_Minh;
    let from = local_midnight(zone, NaiveDate::from_ymd_opt(2026, 12, 21).unwrap());
    let to = from + chrono::Duration::days(2);
    let solved = plan_snapshot(
        &snapshot,
        &doorstep_service::stations::built_in(),
        from,
        to,
        Params {
            time_limit: None,
            max_iterations: Some(64),
            threads: 1,
            ..Params::default()
        },
    )
    .unwrap();
    let job = &solved.mapped.jobs["h1"];
    assert!(job.approximate_location);
    assert_eq!(solved.mapped.approximate_locations, 1);
    let placed = &solved.mapped.instance.households[0].location;
    assert_eq!((placed.lat, placed.lon), (point(50).lat, point(50).lon));
    assert_eq!(solved.visits().unwrap().len(), 1);
}

#[test]
fn a_mixed_household_gets_a_call_abroad_and_a_visit_at_home() {
    // One resident at home (daytime), one in Korea (weekend evenings, Seoul).
    let shape = Shape {
        members: vec![(2, 0b1111, true, 8)],
        households: vec![(true, vec![(0, true, 0b1), (3, true, 0b10)])],
    };
    let snapshot = snapshot(&shape);
    let zone = chrono_tz::Asia::Ho_Chi_Minh;
    // Saturday 26 and Sunday 27 December 2026.
    let from = local_midnight(zone, NaiveDate::from_ymd_opt(2026, 12, 26).unwrap());
    let to = from + chrono::Duration::days(2);
    let solved = plan_snapshot(
        &snapshot,
        &doorstep_service::stations::built_in(),
        from,
        to,
        Params {
            time_limit: None,
            max_iterations: Some(64),
            threads: 1,
            ..Params::default()
        },
    )
    .unwrap();
    let visits = solved.visits().unwrap();
    assert_eq!(visits.len(), 2, "{visits:?}");
    let remote = visits.iter().find(|v| v.mode == VisitMode::Remote).unwrap();
    let home = visits
        .iter()
        .find(|v| v.mode == VisitMode::InPerson)
        .unwrap();
    assert_eq!(remote.residents, vec![2]);
    assert_eq!(remote.purposes, vec![NeedStep::VneidLevel2]);
    assert_eq!(home.residents, vec![1]);
    assert_eq!(home.purposes, vec![NeedStep::VneidInstall]);
    // The call is at 19:00–22:00 in Seoul: 17:00–20:00 in Vietnam.
    let local = remote.start.with_timezone(&chrono_tz::Asia::Seoul);
    assert!(
        (19..22).contains(&chrono::Timelike::hour(&local)),
        "{local}"
    );
}
