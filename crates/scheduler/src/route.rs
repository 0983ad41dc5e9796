//! Timing of one shift's route: earliest starts forward, latest starts
//! backward, and the cheapest feasible place to insert one more visit.
//!
//! A route is a list of candidate indices (see `Problem::cands`), all of the
//! same shift. Starting each visit as early as possible is optimal for
//! feasibility: a later departure never helps what follows.

use crate::problem::Problem;

/// The earliest start at or after `arrive` inside one of the intervals.
#[inline]
pub(crate) fn first_start(ivs: &[(i64, i64)], arrive: i64) -> Option<i64> {
    ivs.iter()
        .find(|iv| iv.1 >= arrive)
        .map(|iv| iv.0.max(arrive))
}

/// The latest start at or before `bound` inside one of the intervals.
#[inline]
pub(crate) fn last_start(ivs: &[(i64, i64)], bound: i64) -> Option<i64> {
    ivs.iter()
        .rev()
        .find(|iv| iv.0 <= bound)
        .map(|iv| iv.1.min(bound))
}

/// Earliest starts of a route, or `None` when it cannot be driven.
pub(crate) fn forward(p: &Problem, shift: u32, route: &[u32]) -> Option<Vec<i64>> {
    let sh = &p.shifts[shift as usize];
    let home = p.vols[sh.volunteer as usize].home;
    let (mut t, mut loc) = (sh.start, home);
    let mut starts = Vec::with_capacity(route.len());
    for &c in route {
        let cand = &p.cands[c as usize];
        let s = first_start(p.cand_ivs(c), t + p.tt(loc, cand.loc))?;
        starts.push(s);
        t = s + p.hhs[cand.hh as usize].service;
        loc = cand.loc;
    }
    (t + p.tt(loc, home) <= sh.end).then_some(starts)
}

/// Travel minutes of a route, home to home.
pub(crate) fn travel(p: &Problem, shift: u32, route: &[u32]) -> i64 {
    let home = p.vols[p.shifts[shift as usize].volunteer as usize].home;
    let mut loc = home;
    let mut sum = 0;
    for &c in route {
        let l = p.cands[c as usize].loc;
        sum += p.tt(loc, l);
        loc = l;
    }
    sum + p.tt(loc, home)
}

/// Earliest departures and latest starts of a feasible route.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timing {
    pub dep: Vec<i64>,
    pub latest: Vec<i64>,
    /// Minutes of service and travel: a visit longer than the shift's
    /// length minus this cannot be added.
    pub busy: i64,
    pub valid: bool,
}

impl Timing {
    /// Recomputes the timing of `route`; false if the route is infeasible.
    pub(crate) fn compute(&mut self, p: &Problem, shift: u32, route: &[u32]) -> bool {
        let sh = &p.shifts[shift as usize];
        let home = p.vols[sh.volunteer as usize].home;
        self.dep.clear();
        self.latest.clear();
        self.valid = false;
        self.busy = 0;
        let (mut t, mut loc) = (sh.start, home);
        for &c in route {
            let cand = &p.cands[c as usize];
            let tt = p.tt(loc, cand.loc);
            let Some(s) = first_start(p.cand_ivs(c), t + tt) else {
                return false;
            };
            self.busy += tt + p.hhs[cand.hh as usize].service;
            t = s + p.hhs[cand.hh as usize].service;
            self.dep.push(t);
            loc = cand.loc;
        }
        if t + p.tt(loc, home) > sh.end {
            return false;
        }
        self.busy += p.tt(loc, home);
        self.latest.resize(route.len(), 0);
        let (mut bound_end, mut next) = (sh.end, home);
        for i in (0..route.len()).rev() {
            let c = route[i];
            let cand = &p.cands[c as usize];
            let svc = p.hhs[cand.hh as usize].service;
            let Some(l) = last_start(p.cand_ivs(c), bound_end - p.tt(cand.loc, next) - svc) else {
                return false;
            };
            self.latest[i] = l;
            bound_end = l;
            next = cand.loc;
        }
        self.valid = true;
        true
    }
}

/// The cheapest feasible insertion of candidate `c` into `route`:
/// `(position, added travel minutes)`.
pub(crate) fn best_insertion(
    p: &Problem,
    shift: u32,
    route: &[u32],
    timing: &Timing,
    c: u32,
) -> Option<(usize, i64)> {
    let sh = &p.shifts[shift as usize];
    let home = p.vols[sh.volunteer as usize].home;
    let cand = &p.cands[c as usize];
    let ivs = p.cand_ivs(c);
    let svc = p.hhs[cand.hh as usize].service;
    let n = route.len();
    // travel obeys the triangle inequality up to rounding (1 minute)
    if timing.busy + svc - 1 > sh.end - sh.start {
        return None;
    }
    let mut best: Option<(usize, i64)> = None;
    for pos in 0..=n {
        let (prev_dep, prev_loc) = if pos == 0 {
            (sh.start, home)
        } else {
            (timing.dep[pos - 1], p.cands[route[pos - 1] as usize].loc)
        };
        let t_in = p.tt(prev_loc, cand.loc);
        let Some(s) = first_start(ivs, prev_dep + t_in) else {
            break;
        };
        let d = s + svc;
        let (next_loc, ok) = if pos == n {
            (home, d + p.tt(cand.loc, home) <= sh.end)
        } else {
            let nl = p.cands[route[pos] as usize].loc;
            (nl, d + p.tt(cand.loc, nl) <= timing.latest[pos])
        };
        if ok {
            let delta = t_in + p.tt(cand.loc, next_loc) - p.tt(prev_loc, next_loc);
            if best.is_none_or(|b| delta < b.1) {
                best = Some((pos, delta));
            }
        }
    }
    best
}
