//! doorstep-scheduler: plans a team's door-to-door visits.
//!
//! Plain data in, plain data out: an [`Instance`] (volunteers with shifts,
//! households with windows, priorities, needs) is compiled into a [`Problem`]
//! (which checks the whole instance and reports every error with its JSON
//! path), and [`plan`] returns a [`Plan`]: visits, and for every household
//! left out a true reason (`no_skill`, `no_window`, `no_capacity`) with a
//! sentence in Vietnamese and English. The formats take the way times are
//! written as a parameter ([`Time`]): RFC 3339 text in files (the default),
//! `DateTime<Utc>` for a caller in the same process, with the same checks
//! and the same plan.
//!
//! The search is anytime: a priority-first construction, then large
//! neighbourhood search until the time limit or iteration budget. It is
//! deterministic for a given seed, thread count and number of iterations run
//! (see [`Params::max_iterations`]). [`checker`] re-checks a plan against an
//! instance with the benchmark validator's rules, independently of the search.
//!
//! ```
//! use doorstep_scheduler::{format::Instance, plan, Params, Problem};
//! let instance: Instance = serde_json::from_str(r#"{
//!   "timezone": "Asia/Ho_Chi_Minh",
//!   "horizon": {"start": "2026-11-23T00:00:00+07:00", "end": "2026-11-24T00:00:00+07:00"},
//!   "volunteers": [{"id": "V01", "home": {"lat": 19.37, "lon": 105.80}, "skills": ["vneid"],
//!                   "max_visits_per_day": 4,
//!                   "shifts": [{"start": "2026-11-23T18:00:00+07:00", "end": "2026-11-23T21:00:00+07:00"}]}],
//!   "households": [{"id": "H1", "location": {"lat": 19.371, "lon": 105.80}, "priority": 3,
//!                   "service_minutes": 30, "needs": ["vneid"], "mode": "in_person",
//!                   "windows": [{"start": "2026-11-23T18:00:00+07:00", "end": "2026-11-23T21:00:00+07:00"}]}]
//! }"#).unwrap();
//! let problem = Problem::new(&instance).unwrap();
//! let result = plan(&problem, &Params { max_iterations: Some(64), ..Params::default() });
//! assert_eq!(result.visits.len(), 1);
//! assert!(doorstep_scheduler::checker::check(&instance, &result).is_ok());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checker;
mod explain;
pub mod format;
mod problem;
mod rng;
mod route;
mod search;

use std::time::{Duration, Instant};

pub use format::{Instance, Plan, PlanStats, Reason, Time, Unmet, Visit};
pub use problem::{
    Concerns, InstanceError, InvalidInstance, Problem, format_minutes, parse_minutes,
    travel_minutes,
};

use search::{Goal, SearchParams, Sol};

/// How a re-plan holds on to the visits of its hint plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Keep {
    /// What keeping one visit (same household and shift) is worth, in
    /// priority points.
    pub weight: f64,
    /// How far, in minutes, a kept visit may start from its time.
    pub within_minutes: i64,
}

impl Keep {
    /// Move as little as possible: a kept visit keeps its start and is worth
    /// 2 points, so it is given up only for a clearly better plan (`doorstep
    /// plan --hint`).
    pub const EXACT: Keep = Keep {
        weight: 2.0,
        within_minutes: 0,
    };
    /// A team's calendar: a kept visit may start up to 30 minutes from its
    /// time (the tolerance within which a volunteer's list counts as
    /// unchanged), so that new visits fit between those that stay, and is
    /// worth 1 point: given up for a household of higher priority, or two
    /// for one.
    pub const CALENDAR: Keep = Keep {
        weight: 1.0,
        within_minutes: 30,
    };
}

/// How to plan.
#[derive(Debug, Clone)]
pub struct Params<T = String> {
    /// Stop searching after this long (measured from the call to [`plan`]).
    /// `None`: only `max_iterations` stops the search.
    pub time_limit: Option<Duration>,
    /// Stop after about this many iterations per thread (rounded up to whole
    /// epochs of 64). With the same seed and threads, the same budget gives
    /// the same plan.
    pub max_iterations: Option<u64>,
    /// Seed of the random choices.
    pub seed: u64,
    /// Search threads (1 or more).
    pub threads: usize,
    /// A previous plan: keep its visits where possible (same household,
    /// volunteer and day, and a start as near theirs as `keep` allows).
    pub hint: Option<Plan<T>>,
    /// How the hint's visits are held on to.
    pub keep: Keep,
    /// Spread visits evenly over volunteers when priority allows.
    pub balance: bool,
}

impl<T> Default for Params<T> {
    fn default() -> Self {
        Self {
            time_limit: Some(Duration::from_secs(2)),
            max_iterations: None,
            seed: 1,
            threads: 1,
            hint: None,
            keep: Keep::EXACT,
            balance: false,
        }
    }
}

/// Plans the visits of a problem: the best plan found within the budget.
pub fn plan<T: Time>(problem: &Problem, params: &Params<T>) -> Plan<T> {
    let start = Instant::now();
    let p = problem;
    let n_h = p.hhs.len();
    let mut hint_shift = vec![u32::MAX; n_h];
    let mut hint_start: Vec<Option<i64>> = vec![None; n_h];
    let mut hint_total = 0u64;
    if let Some(hint) = &params.hint {
        for v in &hint.visits {
            let (Some(&h), Some(&vol), Ok(t)) = (
                p.hh_index.get(&v.household),
                p.vol_index.get(&v.volunteer),
                v.start.to_minutes(),
            ) else {
                continue;
            };
            let shift = p.vols[vol as usize].shifts.iter().copied().find(|&s| {
                let sh = &p.shifts[s as usize];
                sh.start <= t && t < sh.end
            });
            if let Some(s) = shift {
                hint_shift[h as usize] = s;
                hint_start[h as usize] = Some(t);
                hint_total += 1;
            }
        }
    }
    // a hint visit that stays in its shift starts within `keep.within_minutes`
    // of its start: the rest of the shift is free for other visits
    let hinted;
    let p = if params.hint.is_some() {
        let mut q = p.clone();
        for h in 0..n_h {
            let (Some(t), s) = (hint_start[h], hint_shift[h]) else {
                continue;
            };
            if q.pinned[h].is_some() {
                continue;
            }
            let (b, e) = q.cand_range[h];
            for c in b..e {
                if q.cands[c as usize].shift == s
                    && q.cand_ivs(c).iter().any(|&(a, z)| a <= t && t <= z)
                {
                    let within = params.keep.within_minutes.max(0);
                    let near: Vec<(i64, i64)> = q
                        .cand_ivs(c)
                        .iter()
                        .map(|&(a, z)| (a.max(t - within), z.min(t + within)))
                        .filter(|&(a, z)| a <= z)
                        .collect();
                    let at = q.ivs.len() as u32;
                    q.ivs.extend(near);
                    q.cands[c as usize].iv_begin = at;
                    q.cands[c as usize].iv_end = q.ivs.len() as u32;
                }
            }
        }
        hinted = q;
        &hinted
    } else {
        p
    };
    let goal = Goal {
        hint_shift,
        w_kept: if params.hint.is_some() {
            params.keep.weight
        } else {
            0.0
        },
        w_balance: if params.balance { 0.002 } else { 0.0 },
    };
    let initial = search::construct(p, &goal, &hint_start);
    let sp = SearchParams {
        seed: params.seed,
        threads: params.threads.max(1),
        time_limit: params.time_limit,
        max_iterations: params.max_iterations,
        start,
    };
    let (mut best, iterations, planned) = search::run(p, &goal, initial, &sp);
    search::polish(p, &mut best);
    let mut out = to_plan(p, &best, &hint_start);
    out.stats.iterations = iterations;
    out.stats.planned_iterations = planned;
    if params.hint.is_some() {
        out.stats.hint_total = Some(hint_total);
        out.stats.hint_kept = Some(best.kept as u64);
    }
    out
}

/// Start times of a route: as early as possible, or for a visit of the hint
/// plan as near its start as the rest of the route allows.
fn schedule(p: &Problem, shift: u32, r: &[u32], hint_start: &[Option<i64>]) -> Vec<i64> {
    let mut timing = route::Timing::default();
    let ok = timing.compute(p, shift, r);
    debug_assert!(ok, "the search only keeps feasible routes");
    let sh = &p.shifts[shift as usize];
    let home = p.vols[sh.volunteer as usize].home;
    let (mut t, mut loc) = (sh.start, home);
    let mut starts = Vec::with_capacity(r.len());
    for (i, &c) in r.iter().enumerate() {
        let cand = &p.cands[c as usize];
        let ivs = p.cand_ivs(c);
        let arrive = t + p.tt(loc, cand.loc);
        let earliest = route::first_start(ivs, arrive).unwrap_or(arrive);
        let mut s = earliest;
        // a hint visit that stays in this shift: as near its old start as
        // the route allows; any other visit: as early as possible
        if let Some(hs) = hint_start[cand.hh as usize]
            && ok
            && sh.start <= hs
            && hs < sh.end
        {
            let near = hs.clamp(earliest, timing.latest[i].max(earliest));
            if ivs.iter().any(|&(a, b)| a <= near && near <= b) {
                s = near;
            }
        }
        starts.push(s);
        t = s + p.hhs[cand.hh as usize].service;
        loc = cand.loc;
    }
    starts
}

fn to_plan<T: Time>(p: &Problem, sol: &Sol, hint_start: &[Option<i64>]) -> Plan<T> {
    let mut visits = Vec::new();
    for (s, r) in sol.routes.iter().enumerate() {
        let starts = schedule(p, s as u32, r, hint_start);
        let vol = &p.vols[p.shifts[s].volunteer as usize];
        for (&c, &t) in r.iter().zip(&starts) {
            let hh = &p.hhs[p.cands[c as usize].hh as usize];
            visits.push(Visit {
                household: hh.id.clone(),
                volunteer: vol.id.clone(),
                start: T::from_minutes(t, p.zone.offset_at(t)),
                end: T::from_minutes(t + hh.service, p.zone.offset_at(t + hh.service)),
                mode: if hh.remote { "remote" } else { "in_person" }.to_owned(),
                pinned: p.pinned[p.cands[c as usize].hh as usize].is_some(),
            });
        }
    }
    let mut unmet = Vec::new();
    for h in 0..p.hhs.len() as u32 {
        if sol.assigned(h).is_none() {
            let (reason, message_vi, message_en) = explain::unmet_reason(p, sol, h);
            unmet.push(Unmet {
                household: p.hhs[h as usize].id.clone(),
                reason,
                message_vi,
                message_en,
            });
        }
    }
    let with_shifts: Vec<u64> = p
        .vols
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.shifts.is_empty())
        .map(|(i, _)| sol.per_vol[i] as u64)
        .collect();
    let stats = PlanStats {
        objective: sol.obj as u64,
        travel_minutes: sol.total_travel as u64,
        upper_bound: p.upper_bound(),
        visits: visits.len() as u64,
        households: p.hhs.len() as u64,
        iterations: 0,
        planned_iterations: 0,
        visits_per_volunteer_min: with_shifts.iter().copied().min().unwrap_or(0),
        visits_per_volunteer_max: with_shifts.iter().copied().max().unwrap_or(0),
        hint_kept: None,
        hint_total: None,
    };
    Plan {
        visits,
        unmet,
        stats,
    }
}

/// Why a household is where it is in a plan (made by [`plan`] for this
/// problem): `(Vietnamese, English)`, or `None` for an unknown id.
pub fn explain<T: Time>(
    problem: &Problem,
    plan: &Plan<T>,
    household: &str,
) -> Option<(String, String)> {
    let p = problem;
    let &h = p.hh_index.get(household)?;
    if let Some(u) = plan.unmet.iter().find(|u| u.household == household) {
        let (vi, en) = if u.message_vi.is_empty() {
            (u.reason.code().to_owned(), u.reason.code().to_owned())
        } else {
            (u.message_vi.clone(), u.message_en.clone())
        };
        return Some((
            format!("chưa thăm ({}): {vi}", u.reason.code()),
            format!("not visited ({}): {en}", u.reason.code()),
        ));
    }
    let v = plan.visits.iter().find(|v| v.household == household)?;
    let &vol = p.vol_index.get(&v.volunteer)?;
    let t = v.start.to_minutes().ok()?;
    let (b, e) = p.cand_range[h as usize];
    let c = (b..e).find(|&c| {
        let sh = &p.shifts[p.cands[c as usize].shift as usize];
        sh.volunteer == vol && sh.start <= t && t < sh.end
    })?;
    Some(explain::visited(p, h, c, t))
}
