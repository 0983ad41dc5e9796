//! The search: a priority-first greedy construction, then large neighbourhood
//! search (remove some visits, reinsert by priority at the cheapest feasible
//! place) accepted by simulated annealing, on one or more threads that share
//! their best plan at fixed iteration counts.
//!
//! Determinism: the annealing temperature is a function of the iteration
//! number and the planned number of iterations. With an iteration budget
//! (`Params::max_iterations`) the plan is a function of the seed, the thread
//! count and the budget only: threads exchange plans between epochs of
//! `EPOCH` iterations, through a barrier, ties broken by thread index. With a
//! time limit the planned number is re-estimated from the speed so far, so
//! that the temperature reaches its floor at the limit; such a run depends on
//! how fast the machine was.

use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use crate::problem::Problem;
use crate::rng::Rng;
use crate::route::{self, Timing};

const NONE: u32 = u32::MAX;
/// Iterations between two looks at the clock and exchanges between threads.
pub(crate) const EPOCH: u64 = 64;
/// Weight of a travel minute in the annealing value (the plan's objective
/// ranks travel strictly after priority; see `Sol::better`).
const W_TRAVEL: f64 = 0.002;
/// How often per run a thread that fell behind restarts from the best plan
/// of all threads.
const SYNCS_PER_RUN: u64 = 12;

/// What the search optimises besides priority.
#[derive(Debug, Clone)]
pub(crate) struct Goal {
    /// Per household, the shift it had in the hint plan.
    pub hint_shift: Vec<u32>,
    /// Worth of keeping one hint visit, in priority points.
    pub w_kept: f64,
    /// Weight of Σ visits² per volunteer (0 = no balancing).
    pub w_balance: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Sol {
    pub routes: Vec<Vec<u32>>,
    pub travel: Vec<i64>,
    pub assign: Vec<u32>,
    pub obj: i64,
    pub total_travel: i64,
    pub kept: i64,
    pub per_vol: Vec<i64>,
    pub sumsq: i64,
    /// Visits that still fit per day group (one volunteer, one local day;
    /// see `Shift::group`): the cap minus the group's visits.
    pub room: Vec<u32>,
}

impl Sol {
    pub(crate) fn empty(p: &Problem) -> Self {
        Sol {
            routes: vec![Vec::new(); p.shifts.len()],
            travel: vec![0; p.shifts.len()],
            assign: vec![NONE; p.hhs.len()],
            obj: 0,
            total_travel: 0,
            kept: 0,
            per_vol: vec![0; p.vols.len()],
            sumsq: 0,
            room: p.groups.iter().map(|g| g.cap).collect(),
        }
    }

    fn primary(&self, g: &Goal) -> f64 {
        self.obj as f64 + g.w_kept * self.kept as f64 - g.w_balance * self.sumsq as f64
    }

    fn value(&self, g: &Goal) -> f64 {
        self.primary(g) - W_TRAVEL * self.total_travel as f64
    }

    /// Strictly better: higher primary value, then less travel.
    pub(crate) fn better(&self, other: &Sol, g: &Goal) -> bool {
        let (a, b) = (self.primary(g), other.primary(g));
        if (a - b).abs() > 1e-9 {
            a > b
        } else {
            self.total_travel < other.total_travel
        }
    }

    /// The room per day group agrees with the routes (for debug assertions).
    fn room_is_right(&self, p: &Problem) -> bool {
        p.groups.iter().zip(&self.room).all(|(g, &room)| {
            let visits: usize = (g.first..g.end)
                .map(|s| self.routes[s as usize].len())
                .sum();
            visits as u32 + room == g.cap
        })
    }

    pub(crate) fn assigned(&self, h: u32) -> Option<u32> {
        let c = self.assign[h as usize];
        (c != NONE).then_some(c)
    }

    fn add_counts(&mut self, p: &Problem, g: &Goal, c: u32, sign: i64) {
        let cand = &p.cands[c as usize];
        let h = cand.hh as usize;
        self.obj += sign * p.hhs[h].priority as i64;
        if g.hint_shift[h] == cand.shift {
            self.kept += sign;
        }
        let day = cand.group as usize;
        debug_assert!(
            sign < 0 || self.room[day] > 0,
            "a visit beyond the daily cap"
        );
        self.room[day] = (self.room[day] as i64 - sign) as u32;
        let v = p.shifts[cand.shift as usize].volunteer as usize;
        let n = self.per_vol[v];
        self.sumsq += (n + sign) * (n + sign) - n * n;
        self.per_vol[v] += sign;
    }
}

/// Search parameters (see [`crate::Params`]).
#[derive(Debug, Clone)]
pub(crate) struct SearchParams {
    pub seed: u64,
    pub threads: usize,
    pub time_limit: Option<Duration>,
    pub max_iterations: Option<u64>,
    pub start: Instant,
}

struct Worker<'a> {
    p: &'a Problem,
    g: &'a Goal,
    rng: Rng,
    cur: Sol,
    best: Sol,
    timing: Vec<Timing>,
    shift_cands: &'a [Vec<u32>],
    // scratch for one iteration
    mark: Vec<u32>,
    stamp: u32,
    backup: Vec<(u32, Vec<u32>)>,
    pool: Vec<u32>,
    pool_mark: Vec<u32>,
    removed_mark: Vec<u32>,
    iter: u64,
    /// Iterations the annealing schedule is planned over.
    planned: u64,
    kmax: usize,
}

impl<'a> Worker<'a> {
    fn new(
        p: &'a Problem,
        g: &'a Goal,
        shift_cands: &'a [Vec<u32>],
        start: Sol,
        seed: u64,
    ) -> Self {
        let visits = start.routes.iter().map(Vec::len).sum::<usize>();
        let kmax = (visits / 8).clamp(6, 40);
        Worker {
            p,
            g,
            rng: Rng::new(seed),
            best: start.clone(),
            cur: start,
            timing: vec![Timing::default(); p.shifts.len()],
            shift_cands,
            mark: vec![0; p.shifts.len()],
            stamp: 0,
            backup: Vec::new(),
            pool: Vec::new(),
            pool_mark: vec![0; p.hhs.len()],
            removed_mark: vec![0; p.hhs.len()],
            iter: 0,
            planned: u64::MAX,
            kmax,
        }
    }

    fn touch(&mut self, s: u32) {
        if self.mark[s as usize] != self.stamp {
            self.mark[s as usize] = self.stamp;
            self.backup.push((s, self.cur.routes[s as usize].clone()));
            // the other shifts of the day share its cap: a change here may
            // make room there, so they count as changed too (their timing
            // stays valid)
            let g = &self.p.groups[self.p.shifts[s as usize].group as usize];
            for o in g.first..g.end {
                if self.mark[o as usize] != self.stamp {
                    self.mark[o as usize] = self.stamp;
                    self.backup.push((o, self.cur.routes[o as usize].clone()));
                }
            }
        }
        self.timing[s as usize].valid = false;
    }

    fn remove_household(&mut self, h: u32) {
        let c = self.cur.assign[h as usize];
        if c == NONE || self.p.pinned[h as usize].is_some() {
            return;
        }
        let s = self.p.cands[c as usize].shift;
        self.touch(s);
        let r = &mut self.cur.routes[s as usize];
        if let Some(i) = r.iter().position(|&x| x == c) {
            r.remove(i);
        }
        self.cur.assign[h as usize] = NONE;
        self.cur.add_counts(self.p, self.g, c, -1);
        self.removed_mark[h as usize] = self.stamp;
        if self.pool_mark[h as usize] != self.stamp {
            self.pool_mark[h as usize] = self.stamp;
            self.pool.push(h);
        }
    }

    /// Best place for household `h` over its shifts: (cand, pos, cost).
    ///
    /// The current plan is kept insertion-maximal (no unassigned household
    /// fits anywhere), so a household that was unassigned before this
    /// iteration can only fit into a shift this iteration changed.
    fn best_place(&mut self, h: u32, noise: f64) -> Option<(u32, usize, f64)> {
        let p = self.p;
        let (b, e) = p.cand_range[h as usize];
        let only_changed = self.removed_mark[h as usize] != self.stamp;
        let mut best: Option<(u32, usize, f64)> = None;
        for c in b..e {
            let cand = &p.cands[c as usize];
            let s = cand.shift as usize;
            if (only_changed && self.mark[s] != self.stamp)
                || self.cur.room[cand.group as usize] == 0
            {
                continue;
            }
            if !self.timing[s].valid && !self.timing[s].compute(p, s as u32, &self.cur.routes[s]) {
                continue;
            }
            if let Some((pos, delta)) =
                route::best_insertion(p, s as u32, &self.cur.routes[s], &self.timing[s], c)
            {
                let mut cost = delta as f64;
                if noise > 0.0 {
                    cost += noise * self.rng.unit();
                }
                if self.g.hint_shift[h as usize] == s as u32 {
                    cost -= 1000.0 * self.g.w_kept;
                }
                if self.g.w_balance > 0.0 {
                    let v = p.shifts[s].volunteer as usize;
                    cost += 200.0 * self.g.w_balance * (2 * self.cur.per_vol[v] + 1) as f64;
                }
                if best.is_none_or(|x| cost < x.2) {
                    best = Some((c, pos, cost));
                }
            }
        }
        best
    }

    fn insert(&mut self, c: u32, pos: usize) {
        let p = self.p;
        let cand = &p.cands[c as usize];
        let s = cand.shift;
        self.touch(s);
        self.cur.routes[s as usize].insert(pos, c);
        self.cur.assign[cand.hh as usize] = c;
        self.cur.add_counts(p, self.g, c, 1);
    }

    /// Inserts the pool's households, highest priority first.
    fn recreate(&mut self) {
        let p = self.p;
        let mode = self.rng.below(4);
        let mut keyed: Vec<(i64, u32)> = self
            .pool
            .iter()
            .map(|&h| {
                let hh = &p.hhs[h as usize];
                let r = self.rng.below(1 << 20) as i64;
                let (b, e) = p.cand_range[h as usize];
                let secondary = match mode {
                    0 => r,
                    1 => ((e - b) as i64) << 20 | r,
                    2 => hh.service << 20 | r,
                    _ => {
                        // a little priority noise: sometimes a 3 goes before a 4
                        let jitter = self.rng.below(3) as i64;
                        return (-(hh.priority as i64 * 2 + jitter) << 40 | r, h);
                    }
                };
                (-(hh.priority as i64) << 40 | secondary, h)
            })
            .collect();
        keyed.sort_unstable();
        let noise = if self.rng.chance(0.5) { 0.0 } else { 3.0 };
        for (_, h) in keyed {
            if self.cur.assign[h as usize] != NONE {
                continue;
            }
            if let Some((c, pos, _)) = self.best_place(h, noise) {
                self.insert(c, pos);
            }
        }
    }

    fn assigned_list(&self) -> Vec<u32> {
        let mut v = Vec::new();
        for r in &self.cur.routes {
            for &c in r {
                let h = self.p.cands[c as usize].hh;
                if self.p.pinned[h as usize].is_none() {
                    v.push(h);
                }
            }
        }
        v
    }

    fn ruin(&mut self) {
        let p = self.p;
        let list = self.assigned_list();
        if list.is_empty() {
            // still try unassigned households: add all with any candidate
            return;
        }
        let k = 2 + self.rng.below(self.kmax.min(list.len()).max(1));
        match self.rng.below(5) {
            0 => {
                // random visits
                for _ in 0..k {
                    let h = list[self.rng.below(list.len())];
                    self.remove_household(h);
                }
            }
            1 => {
                // whole shifts on one day (volunteers compete for the same households)
                let h = list[self.rng.below(list.len())];
                let s0 = p.cands[self.cur.assign[h as usize] as usize].shift;
                let day = p.shifts[s0 as usize].day;
                let mut removed = 0;
                for s in 0..p.shifts.len() {
                    if removed >= k {
                        break;
                    }
                    if p.shifts[s].day == day && (s as u32 == s0 || self.rng.chance(0.6)) {
                        let hs: Vec<u32> = self.cur.routes[s]
                            .iter()
                            .map(|&c| p.cands[c as usize].hh)
                            .collect();
                        for h in hs {
                            self.remove_household(h);
                            removed += 1;
                        }
                    }
                }
            }
            2 => {
                // make room for an unassigned household: empty part of its shifts
                let un: Vec<u32> = (0..p.hhs.len() as u32)
                    .filter(|&h| {
                        self.cur.assign[h as usize] == NONE
                            && p.cand_range[h as usize].0 < p.cand_range[h as usize].1
                    })
                    .collect();
                if un.is_empty() {
                    for _ in 0..k {
                        let h = list[self.rng.below(list.len())];
                        self.remove_household(h);
                    }
                    return;
                }
                let mut removed = 0;
                let mut tries = 0;
                while removed < k && tries < 4 {
                    tries += 1;
                    // prefer high priorities
                    let mut u = un[self.rng.below(un.len())];
                    let u2 = un[self.rng.below(un.len())];
                    if p.hhs[u2 as usize].priority > p.hhs[u as usize].priority {
                        u = u2;
                    }
                    let (b, e) = p.cand_range[u as usize];
                    let picks = 1 + self.rng.below(3);
                    for _ in 0..picks {
                        let c = b + self.rng.below((e - b) as usize) as u32;
                        let s = p.cands[c as usize].shift as usize;
                        let hs: Vec<u32> = self.cur.routes[s]
                            .iter()
                            .map(|&c| p.cands[c as usize].hh)
                            .collect();
                        for h in hs {
                            if self.rng.chance(0.7)
                                || p.hhs[h as usize].priority < p.hhs[u as usize].priority
                            {
                                self.remove_household(h);
                                removed += 1;
                            }
                        }
                    }
                }
            }
            3 => {
                // related: households near a seed in place and day
                let seed = list[self.rng.below(list.len())];
                let sc = self.cur.assign[seed as usize];
                let day = p.shifts[p.cands[sc as usize].shift as usize].day;
                let loc = seed;
                let mut scored: Vec<(i64, u32)> = list
                    .iter()
                    .map(|&h| {
                        let c = self.cur.assign[h as usize];
                        let d = p.shifts[p.cands[c as usize].shift as usize].day;
                        let dist = p.tt(loc, h) + 30 * (d - day).abs() + self.rng.below(20) as i64;
                        (dist, h)
                    })
                    .collect();
                if k < scored.len() {
                    scored.select_nth_unstable(k);
                }
                for &(_, h) in scored.iter().take(k) {
                    self.remove_household(h);
                }
            }
            _ => {
                // low value visits: low priority per minute of service
                let mut scored: Vec<(i64, u32)> = list
                    .iter()
                    .map(|&h| {
                        let hh = &p.hhs[h as usize];
                        (
                            hh.priority as i64 * 1000 / hh.service + self.rng.below(40) as i64,
                            h,
                        )
                    })
                    .collect();
                if k < scored.len() {
                    scored.select_nth_unstable(k);
                }
                for &(_, h) in scored.iter().take(k) {
                    self.remove_household(h);
                }
            }
        }
    }

    /// Unassigned households that could go into a touched shift join the pool.
    fn widen_pool(&mut self) {
        let p = self.p;
        for i in 0..self.backup.len() {
            let s = self.backup[i].0;
            for &c in &self.shift_cands[s as usize] {
                let h = p.cands[c as usize].hh;
                if self.cur.assign[h as usize] == NONE && self.pool_mark[h as usize] != self.stamp {
                    self.pool_mark[h as usize] = self.stamp;
                    self.pool.push(h);
                }
            }
        }
    }

    fn refresh_travel(&mut self) {
        for i in 0..self.backup.len() {
            let s = self.backup[i].0 as usize;
            let t = route::travel(self.p, s as u32, &self.cur.routes[s]);
            self.cur.total_travel += t - self.cur.travel[s];
            self.cur.travel[s] = t;
        }
    }

    fn undo(&mut self, saved: &(i64, i64, i64, i64, Vec<i64>)) {
        let p = self.p;
        let backup = std::mem::take(&mut self.backup);
        for (s, old) in &backup {
            for &c in &self.cur.routes[*s as usize] {
                self.cur.assign[p.cands[c as usize].hh as usize] = NONE;
            }
            // another shift of the group may not be restored yet: the room
            // is right once all are, in between it may wrap
            let g = p.shifts[*s as usize].group as usize;
            self.cur.room[g] = self.cur.room[g]
                .wrapping_add(self.cur.routes[*s as usize].len() as u32)
                .wrapping_sub(old.len() as u32);
        }
        for (s, old) in backup {
            for &c in &old {
                self.cur.assign[p.cands[c as usize].hh as usize] = c;
            }
            let t = route::travel(p, s, &old);
            self.cur.travel[s as usize] = t;
            self.cur.routes[s as usize] = old;
            self.timing[s as usize].valid = false;
        }
        self.cur.obj = saved.0;
        self.cur.total_travel = saved.1;
        self.cur.kept = saved.2;
        self.cur.sumsq = saved.3;
        self.cur.per_vol.clone_from(&saved.4);
    }

    fn temperature(&self) -> f64 {
        let (t0, t1) = (1.2f64, 0.03f64);
        let f = if self.planned == u64::MAX {
            0.5
        } else {
            (self.iter as f64 / self.planned as f64).min(1.0)
        };
        t0 * (t1 / t0).powf(f)
    }

    fn step(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.iter_mut().for_each(|m| *m = u32::MAX);
            self.pool_mark.iter_mut().for_each(|m| *m = u32::MAX);
            self.removed_mark.iter_mut().for_each(|m| *m = u32::MAX);
            self.stamp = 1;
        }
        self.backup.clear();
        self.pool.clear();
        let saved = (
            self.cur.obj,
            self.cur.total_travel,
            self.cur.kept,
            self.cur.sumsq,
            self.cur.per_vol.clone(),
        );
        let before = self.cur.value(self.g);
        self.ruin();
        self.widen_pool();
        self.recreate();
        self.refresh_travel();
        let after = self.cur.value(self.g);
        let t = self.temperature();
        let accept = after >= before - 1e-12 || self.rng.unit() < ((after - before) / t).exp();
        if accept {
            if self.cur.better(&self.best, self.g) {
                self.best = self.cur.clone();
            }
        } else {
            self.undo(&saved);
        }
        debug_assert!(self.cur.room_is_right(self.p));
        self.iter += 1;
    }

    fn adopt(&mut self, s: &Sol) {
        self.cur = s.clone();
        self.best = s.clone();
        self.timing.iter_mut().for_each(|t| t.valid = false);
    }
}

/// Inserts every household, highest priority first, fewest options first.
pub(crate) fn construct(p: &Problem, g: &Goal, hint_start: &[Option<i64>]) -> Sol {
    let mut sol = Sol::empty(p);
    let mut timing = vec![Timing::default(); p.shifts.len()];
    // pinned visits, in start order per shift
    let mut pinned: Vec<u32> = p.pinned.iter().flatten().copied().collect();
    pinned.sort_by_key(|&c| {
        (
            p.cands[c as usize].shift,
            p.ivs[p.cands[c as usize].iv_begin as usize].0,
        )
    });
    for c in pinned {
        let cand = &p.cands[c as usize];
        sol.routes[cand.shift as usize].push(c);
        sol.assign[cand.hh as usize] = c;
        sol.add_counts(p, g, c, 1);
    }
    // hint visits, in start order per shift
    let mut hinted: Vec<(u32, i64, u32)> = Vec::new();
    for (h, &s) in g.hint_shift.iter().enumerate() {
        if s == NONE || sol.assign[h] != NONE {
            continue;
        }
        let (b, e) = p.cand_range[h];
        if let Some(c) = (b..e).find(|&c| p.cands[c as usize].shift == s) {
            hinted.push((s, hint_start[h].unwrap_or(0), c));
        }
    }
    hinted.sort_unstable();
    for (s, _, c) in hinted {
        if p.group_full(&sol.room, s as usize) {
            continue;
        }
        let r = &mut sol.routes[s as usize];
        r.push(c);
        if route::forward(p, s, r).is_some() {
            let cand = &p.cands[c as usize];
            sol.assign[cand.hh as usize] = c;
            sol.add_counts(p, g, c, 1);
        } else {
            r.pop();
        }
    }
    let mut order: Vec<u32> = (0..p.hhs.len() as u32)
        .filter(|&h| sol.assign[h as usize] == NONE)
        .collect();
    order.sort_by_key(|&h| {
        let (b, e) = p.cand_range[h as usize];
        (std::cmp::Reverse(p.hhs[h as usize].priority), e - b, h)
    });
    for h in order {
        let (b, e) = p.cand_range[h as usize];
        let mut best: Option<(u32, usize, i64)> = None;
        for c in b..e {
            let s = p.cands[c as usize].shift as usize;
            if p.group_full(&sol.room, s) {
                continue;
            }
            if !timing[s].valid && !timing[s].compute(p, s as u32, &sol.routes[s]) {
                continue;
            }
            if let Some((pos, d)) =
                route::best_insertion(p, s as u32, &sol.routes[s], &timing[s], c)
                && best.is_none_or(|x| d < x.2)
            {
                best = Some((c, pos, d));
            }
        }
        if let Some((c, pos, _)) = best {
            let s = p.cands[c as usize].shift as usize;
            sol.routes[s].insert(pos, c);
            sol.assign[h as usize] = c;
            sol.add_counts(p, g, c, 1);
            timing[s].valid = false;
        }
    }
    for s in 0..p.shifts.len() {
        sol.travel[s] = route::travel(p, s as u32, &sol.routes[s]);
    }
    sol.total_travel = sol.travel.iter().sum();
    debug_assert!(sol.room_is_right(p));
    sol
}

/// Shortens travel without changing who is visited in which shift: moves one
/// visit at a time to its best place in the same route.
pub(crate) fn polish(p: &Problem, sol: &mut Sol) {
    let mut timing = Timing::default();
    for s in 0..p.shifts.len() {
        let mut improved = true;
        let mut rounds = 0;
        while improved && rounds < 20 {
            improved = false;
            rounds += 1;
            for i in 0..sol.routes[s].len() {
                let mut r = sol.routes[s].clone();
                let c = r.remove(i);
                if !timing.compute(p, s as u32, &r) {
                    continue;
                }
                if let Some((pos, _)) = route::best_insertion(p, s as u32, &r, &timing, c) {
                    r.insert(pos, c);
                    let t = route::travel(p, s as u32, &r);
                    if t < sol.travel[s] {
                        sol.total_travel += t - sol.travel[s];
                        sol.travel[s] = t;
                        sol.routes[s] = r;
                        improved = true;
                    }
                }
            }
        }
    }
}

/// What the threads agree on between epochs.
struct Shared {
    stop: bool,
    /// The planned iterations per thread: the annealing schedule runs over them.
    planned: u64,
}

/// Runs the search; returns the best plan found, the iterations run (all
/// threads) and the planned iterations per thread.
pub(crate) fn run(p: &Problem, g: &Goal, start: Sol, sp: &SearchParams) -> (Sol, u64, u64) {
    let shift_cands: Vec<Vec<u32>> = {
        let mut v = vec![Vec::new(); p.shifts.len()];
        for (i, c) in p.cands.iter().enumerate() {
            v[c.shift as usize].push(i as u32);
        }
        v
    };
    let threads = sp.threads.max(1);
    let nothing_to_do = p.cands.is_empty()
        || (sp.time_limit.is_some_and(|t| t.is_zero()) && sp.max_iterations.is_none());
    if nothing_to_do {
        return (start, 0, 0);
    }
    let slots: Vec<Mutex<Option<Sol>>> = (0..threads).map(|_| Mutex::new(None)).collect();
    let shared = Mutex::new(Shared {
        stop: false,
        planned: sp.max_iterations.unwrap_or(u64::MAX),
    });
    let barrier = Barrier::new(threads);
    let iters = Mutex::new(0u64);
    let shift_cands = &shift_cands;
    let (slots_r, shared_r, barrier_r, iters_r) = (&slots, &shared, &barrier, &iters);

    std::thread::scope(|scope| {
        for ti in 0..threads {
            let start = start.clone();
            scope.spawn(move || {
                let seed = sp
                    .seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(ti as u64 * 7919 + 1);
                let mut w = Worker::new(p, g, shift_cands, start, seed);
                w.planned = shared_r.lock().expect("shared").planned;
                let mut epochs: u64 = 0;
                let search_start = Instant::now();
                loop {
                    for _ in 0..EPOCH {
                        w.step();
                    }
                    epochs += 1;
                    *slots_r[ti].lock().expect("slot") = Some(w.best.clone());
                    if ti == 0 {
                        let mut sh = shared_r.lock().expect("shared");
                        if sp.max_iterations.is_none() {
                            // plan the schedule from the speed so far: the
                            // temperature reaches its floor at the time limit
                            if let Some(limit) = sp.time_limit {
                                let per_iter =
                                    search_start.elapsed().as_secs_f64() / (epochs * EPOCH) as f64;
                                let left = limit.as_secs_f64() - sp.start.elapsed().as_secs_f64();
                                let n =
                                    (left.max(0.0) / per_iter.max(1e-9)) as u64 + epochs * EPOCH;
                                sh.planned = n.div_ceil(EPOCH) * EPOCH;
                            }
                        }
                        let done_iters = sp.max_iterations.is_some_and(|m| epochs * EPOCH >= m);
                        let done_time = sp.time_limit.is_some_and(|limit| {
                            let per_epoch = search_start.elapsed() / epochs as u32;
                            sp.start.elapsed() + per_epoch / 2 > limit
                        });
                        sh.stop = done_iters || done_time;
                    }
                    barrier_r.wait();
                    let (stop_now, planned) = {
                        let sh = shared_r.lock().expect("shared");
                        (sh.stop, sh.planned)
                    };
                    w.planned = planned;
                    // the best of all threads; ties go to the lowest index
                    let mut global: Option<Sol> = None;
                    for slot in slots_r.iter() {
                        let s = slot.lock().expect("slot");
                        if let Some(s) = s.as_ref()
                            && global.as_ref().is_none_or(|gb| s.better(gb, g))
                        {
                            global = Some(s.clone());
                        }
                    }
                    barrier_r.wait();
                    if stop_now {
                        *iters_r.lock().expect("iters") += w.iter;
                        break;
                    }
                    let global = global.expect("every thread published");
                    let sync = (planned / EPOCH / SYNCS_PER_RUN).max(1);
                    if epochs.is_multiple_of(sync) && global.better(&w.best, g) {
                        w.adopt(&global);
                    }
                }
            });
        }
    });
    let mut best: Option<Sol> = None;
    for slot in slots {
        let s = slot.into_inner().expect("slot");
        if let Some(s) = s
            && best.as_ref().is_none_or(|b| s.better(b, g))
        {
            best = Some(s);
        }
    }
    let best = best.unwrap_or(start);
    let planned = shared.into_inner().expect("shared").planned;
    (best, iters.into_inner().expect("iters"), planned)
}
