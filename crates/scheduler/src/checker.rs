//! An independent plan checker with the benchmark validator's rules
//! (`validate.py`): it shares no code with the search's feasibility logic,
//! so a bug in one is caught by the other.
//!
//! Two rules go beyond the validator's: calendar days are counted in the
//! instance's IANA zone by its rules at each instant (the validator uses the
//! fixed offset of `horizon.start` for zones other than Asia/Ho_Chi_Minh, which
//! is wrong across a DST change), and a volunteer may have several shifts a
//! day, whose visits together stay within `max_visits_per_day` (the validator
//! refuses such instances).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use crate::format::{Instance, Plan, Point, Reason, Time};

/// One broken rule, with the validator's code (`COVER`, `ROUTE`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The validator's code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Score of a valid plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    /// Σ priority of visited households.
    pub objective: u64,
    /// Σ travel minutes, home to home per shift.
    pub travel_minutes: u64,
}

fn minutes<T: Time>(t: &T) -> Option<i64> {
    t.to_minutes().ok()
}

fn leg(a: Point, b: Point, speed: f64, detour: f64) -> i64 {
    if a.lat == b.lat && a.lon == b.lon {
        return 0;
    }
    let r = std::f64::consts::PI / 180.0;
    let (p1, p2) = (a.lat * r, b.lat * r);
    let dp = (b.lat * r - a.lat * r) / 2.0;
    let dl = (b.lon * r - a.lon * r) / 2.0;
    let h = dp.sin().powi(2) + p1.cos() * p2.cos() * dl.sin().powi(2);
    let km = 2.0 * 6371.0 * h.min(1.0).sqrt().asin();
    // At most u32::MAX minutes, as the planner counts them: a detour or a
    // speed far out of the ordinary never overflows a shift's arithmetic.
    (km * detour / speed * 60.0 - 1e-9)
        .ceil()
        .min(f64::from(u32::MAX)) as i64
}

/// A visit on a route: start, end, place, household.
type Stop<'a> = (i64, i64, Point, &'a str);

/// Checks a plan against an instance.
///
/// # Errors
/// Every violation found.
pub fn check<T: Time>(inst: &Instance<T>, plan: &Plan<T>) -> Result<Score, Vec<Violation>> {
    let mut bad = Vec::new();
    let mut v = |code: &'static str, message: String| bad.push(Violation { code, message });
    let speed = inst.travel.speed_kmh;
    let detour = inst.travel.detour;
    // calendar days in the instance's zone, by the zone's rules at each
    // instant (a DST change moves midnight); without a zone, the offset of
    // the horizon's start
    let zone: Option<chrono_tz::Tz> = inst.timezone.as_deref().and_then(|z| z.trim().parse().ok());
    let fixed = inst
        .horizon
        .start
        .offset_minutes()
        .and_then(|m| chrono::FixedOffset::east_opt(m * 60))
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"));
    let day = |m: i64| -> Option<NaiveDate> {
        let t = chrono::DateTime::from_timestamp(m * 60, 0)?;
        Some(match zone {
            Some(tz) => t.with_timezone(&tz).date_naive(),
            None => t.with_timezone(&fixed).date_naive(),
        })
    };
    let vols: HashMap<&str, _> = inst.volunteers.iter().map(|x| (x.id.as_str(), x)).collect();
    let hhs: HashMap<&str, _> = inst.households.iter().map(|x| (x.id.as_str(), x)).collect();
    let shifts_of = |id: &str| -> Vec<(i64, i64)> {
        let mut s: Vec<(i64, i64)> = vols[id]
            .shifts
            .iter()
            .filter_map(|s| Some((minutes(&s.start)?, minutes(&s.end)?)))
            .collect();
        s.sort();
        s
    };
    let able = |hid: &str| -> Vec<&str> {
        let h = hhs[hid];
        let needs: HashSet<&String> = h.needs.iter().collect();
        inst.volunteers
            .iter()
            .filter(|x| {
                let sk: HashSet<&String> = x.skills.iter().collect();
                needs.is_subset(&sk)
                    && (h.mode != "remote" || x.remote)
                    && x.max_visits_per_day >= 1
            })
            .map(|x| x.id.as_str())
            .collect()
    };
    let place = |hid: &str, vid: &str| {
        if hhs[hid].mode == "remote" {
            vols[vid].home
        } else {
            hhs[hid].location
        }
    };

    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut per_shift: BTreeMap<(&str, usize), Vec<Stop<'_>>> = BTreeMap::new();
    // visits per volunteer and calendar day, over all the volunteer's shifts
    let mut per_day: BTreeMap<(&str, Option<NaiveDate>), u32> = BTreeMap::new();
    let mut objective = 0u64;
    for (i, x) in plan.visits.iter().enumerate() {
        *seen.entry(x.household.as_str()).or_default() += 1;
        let (Some(h), Some(vol)) = (
            hhs.get(x.household.as_str()),
            vols.get(x.volunteer.as_str()),
        ) else {
            v(
                "COVER",
                format!("visit #{i}: unknown household or volunteer"),
            );
            continue;
        };
        let (Some(a), Some(b)) = (minutes(&x.start), minutes(&x.end)) else {
            v("TIME", format!("visit #{i}: bad time"));
            continue;
        };
        if b - a != h.service_minutes as i64 {
            v(
                "TIME",
                format!("visit #{i}: duration {} != {}", b - a, h.service_minutes),
            );
        }
        if x.mode != h.mode {
            v("MODE", format!("visit #{i}: mode {} != {}", x.mode, h.mode));
        }
        if h.mode == "remote" && !vol.remote {
            v(
                "MODE",
                format!("visit #{i}: remote visit by a volunteer without video calls"),
            );
        }
        if !h.needs.iter().all(|n| vol.skills.contains(n)) {
            v(
                "SKILL",
                format!("visit #{i}: volunteer lacks a needed skill"),
            );
        }
        let inside = h
            .windows
            .iter()
            .any(|w| matches!((minutes(&w.start), minutes(&w.end)), (Some(wa), Some(wb)) if wa <= a && b <= wb));
        if !inside {
            v("WINDOW", format!("visit #{i}: not inside a window"));
        }
        match shifts_of(&x.volunteer)
            .iter()
            .position(|&(sa, sb)| sa <= a && b <= sb)
        {
            Some(k) => per_shift
                .entry((x.volunteer.as_str(), k))
                .or_default()
                .push((
                    a,
                    b,
                    place(&x.household, &x.volunteer),
                    x.household.as_str(),
                )),
            None => v("SHIFT", format!("visit #{i}: not inside a shift")),
        }
        *per_day.entry((x.volunteer.as_str(), day(a))).or_default() += 1;
        objective += h.priority as u64;
    }
    for u in &plan.unmet {
        *seen.entry(u.household.as_str()).or_default() += 1;
        let Some(h) = hhs.get(u.household.as_str()) else {
            v("COVER", format!("unmet {}: unknown household", u.household));
            continue;
        };
        let el = able(&u.household);
        match u.reason {
            Reason::NoSkill if !el.is_empty() => v(
                "UNMET",
                format!("unmet {}: no_skill but {} qualify", u.household, el.len()),
            ),
            Reason::NoWindow if el.is_empty() => v(
                "UNMET",
                format!("unmet {}: no_window should be no_skill", u.household),
            ),
            Reason::NoWindow => {
                let svc = h.service_minutes as i64;
                let lone = el.iter().any(|vid| {
                    let tt = leg(vols[vid].home, place(&u.household, vid), speed, detour);
                    shifts_of(vid).iter().any(|&(sa, sb)| {
                        h.windows
                            .iter()
                            .any(|w| match (minutes(&w.start), minutes(&w.end)) {
                                (Some(wa), Some(wb)) => wa.max(sa + tt) + svc <= wb.min(sb - tt),
                                _ => false,
                            })
                    })
                });
                if lone {
                    v(
                        "UNMET",
                        format!("unmet {}: no_window but a lone slot exists", u.household),
                    );
                }
            }
            _ => {}
        }
    }
    for h in &inst.households {
        match seen.get(h.id.as_str()) {
            None => v("COVER", format!("household {} missing", h.id)),
            Some(&n) if n > 1 => v("COVER", format!("household {} appears {n} times", h.id)),
            _ => {}
        }
    }
    for ((vid, d), n) in &per_day {
        if *n > vols[vid].max_visits_per_day {
            let d = d.map_or_else(|| "?".to_owned(), |d| d.to_string());
            v(
                "DAYCAP",
                format!(
                    "{vid} has {n} visits on {d}, above max_visits_per_day {}",
                    vols[vid].max_visits_per_day
                ),
            );
        }
    }
    let mut travel = 0i64;
    for ((vid, k), list) in per_shift.iter_mut() {
        let (sa, sb) = shifts_of(vid)[*k];
        let home = vols[vid].home;
        list.sort_by_key(|x| (x.0, x.1));
        let (mut t, mut at) = (sa, home);
        for &(a, b, p, hid) in list.iter() {
            let tt = leg(at, p, speed, detour);
            travel += tt;
            if t + tt > a {
                v(
                    "ROUTE",
                    format!("{vid}: {hid} starts before it can be reached"),
                );
            }
            t = b;
            at = p;
        }
        let tt = leg(at, home, speed, detour);
        travel += tt;
        if t + tt > sb {
            v("ROUTE", format!("{vid}: back home after the shift ends"));
        }
    }
    if bad.is_empty() {
        Ok(Score {
            objective,
            travel_minutes: travel as u64,
        })
    } else {
        Err(bad)
    }
}
