//! A planning problem compiled from an [`Instance`]: times in minutes, a travel
//! matrix, and for every household the shifts where it could be visited.
//!
//! Compiling checks the whole instance and reports every error at once, each
//! with its JSON path ([`InstanceError`]).

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, Offset, TimeZone};

use crate::format::{Instance, Point, Time};

/// The skills known when an instance does not list its own.
pub const DEFAULT_SKILLS: [&str; 4] = ["vneid", "e_payment", "scam_awareness", "public_services"];

/// One problem found in an instance: where (a JSON path) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceError {
    /// JSON path, e.g. `volunteers[2].shifts[3].end`.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// What the problem is about, for a caller that mends the instance.
    pub concerns: Concerns,
}

/// What an [`InstanceError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concerns {
    /// The instance's data.
    Instance,
    /// One pinned visit: `pinned[i]`.
    Pinned(usize),
    /// The pinned visits of one volunteer's day together (too many, or not
    /// reachable one after another).
    PinnedTogether,
}

impl fmt::Display for InstanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in an instance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidInstance(pub Vec<InstanceError>);

impl fmt::Display for InvalidInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error(s) in the instance", self.0.len())?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// Parses an RFC 3339 time with offset and whole minutes into minutes since
/// the Unix epoch.
///
/// # Errors
/// A message naming the expected form.
pub fn parse_minutes(text: &str) -> Result<i64, String> {
    let t = DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
        format!(
            "{text:?} is not an RFC 3339 time with offset such as 2026-11-23T18:00:00+07:00 ({e})"
        )
    })?;
    let secs = t.timestamp();
    if secs.rem_euclid(60) != 0 || t.timestamp_subsec_nanos() != 0 {
        return Err(format!("{text:?} is not a whole minute"));
    }
    Ok(secs.div_euclid(60))
}

/// Formats minutes since the epoch as RFC 3339 with the given offset.
pub fn format_minutes(minutes: i64, offset_minutes: i32) -> String {
    let offset = chrono::FixedOffset::east_opt(offset_minutes * 60)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"));
    let t = DateTime::from_timestamp(minutes * 60, 0)
        .unwrap_or_default()
        .with_timezone(&offset);
    t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Travel minutes between two points: haversine distance times the detour
/// factor at the given speed, rounded up, 0 for the same point. Bit for bit
/// the benchmark validator's formula.
pub fn travel_minutes(a: Point, b: Point, speed_kmh: f64, detour: f64) -> u32 {
    if a == b {
        return 0;
    }
    let (la1, lo1) = (a.lat.to_radians(), a.lon.to_radians());
    let (la2, lo2) = (b.lat.to_radians(), b.lon.to_radians());
    let s1 = ((la2 - la1) / 2.0).sin();
    let s2 = ((lo2 - lo1) / 2.0).sin();
    let h = s1 * s1 + la1.cos() * la2.cos() * (s2 * s2);
    let km = 2.0 * 6371.0 * h.min(1.0).sqrt().asin();
    let m = (km * detour / speed_kmh * 60.0 - 1e-9).ceil();
    if m <= 0.0 { 0 } else { m as u32 }
}

/// The time zone calendar days are counted in: the instance's IANA zone, or
/// without one the fixed offset of `horizon.start`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Zone {
    Iana(chrono_tz::Tz),
    /// Offset in minutes east of UTC.
    Fixed(i32),
}

impl Zone {
    /// The offset in minutes east of UTC at an instant (minutes since the epoch).
    pub(crate) fn offset_at(self, minute: i64) -> i32 {
        match self {
            Zone::Fixed(o) => o,
            Zone::Iana(tz) => DateTime::from_timestamp(minute * 60, 0).map_or(0, |t| {
                tz.offset_from_utc_datetime(&t.naive_utc())
                    .fix()
                    .local_minus_utc()
                    / 60
            }),
        }
    }

    /// The local calendar day of an instant, as days since 1970-01-01.
    pub(crate) fn day(self, minute: i64) -> i64 {
        (minute + self.offset_at(minute) as i64).div_euclid(1440)
    }

    /// The first minute of the local day after the one `minute` falls on.
    pub(crate) fn next_midnight(self, minute: i64) -> i64 {
        let d = self.day(minute);
        // local midnight at the offset of `minute`; a change of offset that
        // night (or a midnight skipped by one) moves the boundary by at most
        // the change, found minute by minute
        let mut m = (d + 1) * 1440 - self.offset_at(minute) as i64;
        while self.day(m) <= d {
            m += 1;
        }
        while self.day(m - 1) > d {
            m -= 1;
        }
        m
    }

    /// RFC 3339 text of an instant with the zone's offset at that instant.
    pub(crate) fn format(self, minute: i64) -> String {
        format_minutes(minute, self.offset_at(minute))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Hh {
    pub id: String,
    pub priority: u32,
    pub service: i64,
    pub remote: bool,
    pub needs_names: Vec<String>,
    /// Raw windows `[start, end]`, sorted.
    pub windows: Vec<(i64, i64)>,
    /// Volunteers with the skills (and video calls if remote).
    pub eligible: Vec<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct Vol {
    pub id: String,
    pub home: u32,
    pub skills: u64,
    pub remote: bool,
    pub max_per_day: u32,
    pub shifts: Vec<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct Shift {
    pub volunteer: u32,
    pub start: i64,
    pub end: i64,
    /// The volunteer's `max_visits_per_day`: the cap of the shift's day group.
    pub cap: u32,
    /// The local calendar day the shift starts on (days since 1970-01-01).
    pub day: i64,
    /// The first minute of the next local day: visits start before it.
    pub day_end: i64,
    /// Index of the shift's day group (one volunteer, one local day): all
    /// shifts of a group share `cap`. A group's shifts are consecutive.
    pub group: u32,
}

/// The shifts of one volunteer on one local day: they share the daily cap.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    /// The group's shifts are `first..end`.
    pub first: u32,
    pub end: u32,
    /// The volunteer's `max_visits_per_day`.
    pub cap: u32,
}

/// A household that may be visited in a shift: where, and the start times
/// that keep the visit inside one window, the shift and the shift's day.
#[derive(Debug, Clone)]
pub(crate) struct Cand {
    pub hh: u32,
    pub shift: u32,
    /// The shift's day group (a copy, so that the hot loop reads one line).
    pub group: u32,
    pub loc: u32,
    pub iv_begin: u32,
    pub iv_end: u32,
}

/// A compiled planning problem. Build it with [`Problem::new`].
#[derive(Debug, Clone)]
pub struct Problem {
    pub(crate) name: String,
    pub(crate) zone: Zone,
    pub(crate) hhs: Vec<Hh>,
    pub(crate) vols: Vec<Vol>,
    pub(crate) shifts: Vec<Shift>,
    /// Day groups: one volunteer's shifts of one local day.
    pub(crate) groups: Vec<Group>,
    pub(crate) n_loc: usize,
    pub(crate) travel: Vec<u32>,
    pub(crate) cands: Vec<Cand>,
    pub(crate) ivs: Vec<(i64, i64)>,
    /// Per household, its range in `cands`.
    pub(crate) cand_range: Vec<(u32, u32)>,
    /// Per household, the candidate index of its pinned visit.
    pub(crate) pinned: Vec<Option<u32>>,
    pub(crate) hh_index: HashMap<String, u32>,
    pub(crate) vol_index: HashMap<String, u32>,
}

impl Problem {
    /// Compiles and checks an instance.
    ///
    /// # Errors
    /// Every problem found, each with its JSON path.
    pub fn new<T: Time>(inst: &Instance<T>) -> Result<Self, InvalidInstance> {
        let mut errs: Vec<InstanceError> = Vec::new();
        macro_rules! err {
            ($path:expr, $msg:expr $(,)?) => {
                errs.push(InstanceError {
                    path: $path,
                    message: $msg,
                    concerns: Concerns::Instance,
                })
            };
        }

        if let Err(m) = inst.horizon.start.to_minutes() {
            err!("horizon.start".into(), m);
        }
        if let Err(m) = inst.horizon.end.to_minutes() {
            err!("horizon.end".into(), m);
        }
        let zone = match inst.timezone.as_deref() {
            Some(name) => match name.trim().parse::<chrono_tz::Tz>() {
                Ok(tz) => Zone::Iana(tz),
                Err(_) => {
                    err!(
                        "timezone".into(),
                        format!(
                            "unknown time zone {name:?}; expected an IANA zone name such as \"Asia/Ho_Chi_Minh\" or \"Europe/Berlin\""
                        )
                    );
                    Zone::Fixed(0)
                }
            },
            None => Zone::Fixed(inst.horizon.start.offset_minutes().unwrap_or(0)),
        };

        let tr = &inst.travel;
        if tr.model != "haversine" {
            err!(
                "travel.model".into(),
                format!(
                    "unsupported travel model {:?}; expected \"haversine\"",
                    tr.model
                )
            );
        }
        if !(tr.speed_kmh.is_finite() && tr.speed_kmh > 0.0) {
            err!(
                "travel.speed_kmh".into(),
                format!("speed must be a positive number, got {}", tr.speed_kmh)
            );
        }
        if !(tr.detour.is_finite() && tr.detour > 0.0) {
            err!(
                "travel.detour".into(),
                format!("detour must be a positive number, got {}", tr.detour)
            );
        }

        let vocab: Vec<String> = match &inst.skills {
            Some(list) => list.clone(),
            None => DEFAULT_SKILLS.iter().map(|s| s.to_string()).collect(),
        };
        if vocab.len() > 64 {
            err!(
                "skills".into(),
                format!("at most 64 skills are supported, got {}", vocab.len())
            );
        }
        let skill_bit: HashMap<&str, u64> = vocab
            .iter()
            .take(64)
            .enumerate()
            .map(|(i, s)| (s.as_str(), 1u64 << i))
            .collect();
        let known = vocab.join(", ");

        let check_point = |p: Point, path: &str, errs: &mut Vec<InstanceError>| {
            if !(p.lat.is_finite() && (-90.0..=90.0).contains(&p.lat)) {
                errs.push(InstanceError {
                    path: format!("{path}.lat"),
                    message: format!("latitude must be within -90..90, got {}", p.lat),
                    concerns: Concerns::Instance,
                });
            }
            if !(p.lon.is_finite() && (-180.0..=180.0).contains(&p.lon)) {
                errs.push(InstanceError {
                    path: format!("{path}.lon"),
                    message: format!("longitude must be within -180..180, got {}", p.lon),
                    concerns: Concerns::Instance,
                });
            }
        };

        let n_h = inst.households.len();
        let n_v = inst.volunteers.len();
        let mut points: Vec<Point> = Vec::with_capacity(n_h + n_v);
        for h in &inst.households {
            points.push(h.location);
        }
        for v in &inst.volunteers {
            points.push(v.home);
        }

        // volunteers and shifts
        let mut vols = Vec::with_capacity(n_v);
        let mut shifts: Vec<Shift> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut vol_index = HashMap::new();
        for (i, v) in inst.volunteers.iter().enumerate() {
            let path = format!("volunteers[{i}]");
            if v.id.is_empty() {
                err!(format!("{path}.id"), "empty id".into());
            }
            if vol_index.insert(v.id.clone(), i as u32).is_some() {
                err!(
                    format!("{path}.id"),
                    format!("duplicate volunteer id {:?}", v.id)
                );
            }
            check_point(v.home, &format!("{path}.home"), &mut errs);
            let mut skills = 0u64;
            for (k, s) in v.skills.iter().enumerate() {
                match skill_bit.get(s.as_str()) {
                    Some(b) => skills |= b,
                    None => err!(
                        format!("{path}.skills[{k}]"),
                        format!("unknown skill {s:?}; known: {known}")
                    ),
                }
            }
            let mut own: Vec<(i64, i64, usize)> = Vec::new();
            for (k, s) in v.shifts.iter().enumerate() {
                let a = s
                    .start
                    .to_minutes()
                    .map_err(|m| err!(format!("{path}.shifts[{k}].start"), m));
                let b = s
                    .end
                    .to_minutes()
                    .map_err(|m| err!(format!("{path}.shifts[{k}].end"), m));
                if let (Ok(a), Ok(b)) = (a, b) {
                    if b <= a {
                        err!(
                            format!("{path}.shifts[{k}].end"),
                            format!(
                                "the shift ends ({}) at or before it starts ({})",
                                s.end, s.start
                            ),
                        );
                    } else {
                        own.push((a, b, k));
                    }
                }
            }
            own.sort();
            // several shifts a day are fine (a morning and an afternoon):
            // they share the day's cap
            for w in own.windows(2) {
                let ((_, b1, k1), (a2, _, k2)) = (w[0], w[1]);
                if a2 < b1 {
                    err!(
                        format!("{path}.shifts[{k2}]"),
                        format!("overlaps shifts[{k1}] of the same volunteer")
                    );
                }
            }
            let mut ids = Vec::new();
            for &(a, b, _) in &own {
                let id = shifts.len() as u32;
                let day = zone.day(a);
                // a volunteer's shifts are sorted: those of one day are consecutive
                let same_day = ids.last().is_some_and(|&l| shifts[l as usize].day == day);
                match groups.last_mut() {
                    Some(g) if same_day => g.end = id + 1,
                    _ => groups.push(Group {
                        first: id,
                        end: id + 1,
                        cap: v.max_visits_per_day,
                    }),
                }
                let group = groups.len() as u32 - 1;
                ids.push(id);
                shifts.push(Shift {
                    volunteer: i as u32,
                    start: a,
                    end: b,
                    cap: v.max_visits_per_day,
                    day,
                    day_end: zone.next_midnight(a),
                    group,
                });
            }
            vols.push(Vol {
                id: v.id.clone(),
                home: (n_h + i) as u32,
                skills,
                remote: v.remote,
                max_per_day: v.max_visits_per_day,
                shifts: ids,
            });
        }

        // households
        let mut hhs = Vec::with_capacity(n_h);
        let mut hh_index = HashMap::new();
        for (i, h) in inst.households.iter().enumerate() {
            let path = format!("households[{i}]");
            if h.id.is_empty() {
                err!(format!("{path}.id"), "empty id".into());
            }
            if hh_index.insert(h.id.clone(), i as u32).is_some() {
                err!(
                    format!("{path}.id"),
                    format!("duplicate household id {:?}", h.id)
                );
            }
            check_point(h.location, &format!("{path}.location"), &mut errs);
            if !(1..=5).contains(&h.priority) {
                err!(
                    format!("{path}.priority"),
                    format!("priority must be 1..5, got {}", h.priority)
                );
            }
            if h.service_minutes == 0 || h.service_minutes > 24 * 60 {
                err!(
                    format!("{path}.service_minutes"),
                    format!("service minutes must be 1..1440, got {}", h.service_minutes),
                );
            }
            let remote = match h.mode.as_str() {
                "in_person" => false,
                "remote" => true,
                other => {
                    err!(
                        format!("{path}.mode"),
                        format!("mode must be \"in_person\" or \"remote\", got {other:?}")
                    );
                    false
                }
            };
            let mut needs = 0u64;
            for (k, s) in h.needs.iter().enumerate() {
                match skill_bit.get(s.as_str()) {
                    Some(b) => needs |= b,
                    None => err!(
                        format!("{path}.needs[{k}]"),
                        format!("unknown skill {s:?}; known: {known}")
                    ),
                }
            }
            let mut windows = Vec::new();
            for (k, w) in h.windows.iter().enumerate() {
                let a = w
                    .start
                    .to_minutes()
                    .map_err(|m| err!(format!("{path}.windows[{k}].start"), m));
                let b = w
                    .end
                    .to_minutes()
                    .map_err(|m| err!(format!("{path}.windows[{k}].end"), m));
                if let (Ok(a), Ok(b)) = (a, b) {
                    if b < a {
                        err!(
                            format!("{path}.windows[{k}].end"),
                            format!("the window ends ({}) before it starts ({})", w.end, w.start),
                        );
                    } else {
                        windows.push((a, b));
                    }
                }
            }
            windows.sort();
            let eligible = vols
                .iter()
                .enumerate()
                .filter(|(_, v)| {
                    v.skills & needs == needs && (!remote || v.remote) && v.max_per_day >= 1
                })
                .map(|(j, _)| j as u32)
                .collect();
            hhs.push(Hh {
                id: h.id.clone(),
                priority: h.priority,
                service: h.service_minutes as i64,
                remote,

                needs_names: h.needs.clone(),
                windows,
                eligible,
            });
        }

        // travel matrix (symmetric: the formula is)
        let n_loc = points.len();
        let mut travel = vec![0u32; n_loc * n_loc];
        if errs.is_empty() {
            for a in 0..n_loc {
                for b in (a + 1)..n_loc {
                    let t = travel_minutes(points[a], points[b], tr.speed_kmh, tr.detour);
                    travel[a * n_loc + b] = t;
                    travel[b * n_loc + a] = t;
                }
            }
        }

        // pinned visits
        let mut pinned_at: Vec<Option<(u32, i64)>> = vec![None; n_h];
        let mut seen = HashSet::new();
        for (i, p) in inst.pinned.iter().enumerate() {
            let path = format!("pinned[{i}]");
            // an error about this pinned visit says so
            macro_rules! pinned_err {
                ($path:expr, $msg:expr $(,)?) => {
                    errs.push(InstanceError {
                        path: $path,
                        message: $msg,
                        concerns: Concerns::Pinned(i),
                    })
                };
            }
            let h = hh_index.get(&p.household).copied();
            let v = vol_index.get(&p.volunteer).copied();
            if h.is_none() {
                pinned_err!(
                    format!("{path}.household"),
                    format!("unknown household {:?}", p.household)
                );
            }
            if v.is_none() {
                pinned_err!(
                    format!("{path}.volunteer"),
                    format!("unknown volunteer {:?}", p.volunteer)
                );
            }
            let t = p
                .start
                .to_minutes()
                .map_err(|m| pinned_err!(format!("{path}.start"), m))
                .ok();
            let (Some(h), Some(v), Some(t)) = (h, v, t) else {
                continue;
            };
            if !seen.insert(h) {
                pinned_err!(
                    format!("{path}.household"),
                    format!("household {:?} is pinned twice", p.household)
                );
                continue;
            }
            let hh = &hhs[h as usize];
            let vol = &vols[v as usize];
            let end = t + hh.service;
            if !hh.eligible.contains(&v) {
                pinned_err!(
                    format!("{path}.volunteer"),
                    format!(
                        "volunteer {:?} lacks the skills (or video calls) household {:?} needs",
                        p.volunteer, p.household
                    ),
                );
                continue;
            }
            if !hh.windows.iter().any(|&(a, b)| a <= t && end <= b) {
                pinned_err!(
                    format!("{path}.start"),
                    format!(
                        "the visit {} + {} min is not inside a window of the household",
                        p.start, hh.service
                    )
                );
                continue;
            }
            let Some(&s) = vol
                .shifts
                .iter()
                .find(|&&s| shifts[s as usize].start <= t && end <= shifts[s as usize].end)
            else {
                pinned_err!(
                    format!("{path}.start"),
                    format!(
                        "the visit {} + {} min is not inside a shift of {:?}",
                        p.start, hh.service, p.volunteer
                    )
                );
                continue;
            };
            if t >= shifts[s as usize].day_end {
                pinned_err!(
                    format!("{path}.start"),
                    "a pinned visit must start on the day its shift starts".into()
                );
                continue;
            }
            pinned_at[h as usize] = Some((s, t));
        }

        // candidates
        let mut cands = Vec::new();
        let mut ivs = Vec::new();
        let mut cand_range = Vec::with_capacity(n_h);
        let mut pinned = vec![None; n_h];
        if errs.is_empty() {
            for (hi, hh) in hhs.iter().enumerate() {
                let begin = cands.len() as u32;
                for &v in &hh.eligible {
                    let vol = &vols[v as usize];
                    let loc = if hh.remote { vol.home } else { hi as u32 };
                    let tt = travel[vol.home as usize * n_loc + loc as usize] as i64;
                    for &s in &vol.shifts {
                        let sh = &shifts[s as usize];
                        if let Some((ps, pt)) = pinned_at[hi] {
                            if ps == s {
                                pinned[hi] = Some(cands.len() as u32);
                                let b = ivs.len() as u32;
                                ivs.push((pt, pt));
                                cands.push(Cand {
                                    hh: hi as u32,
                                    shift: s,
                                    group: sh.group,
                                    loc,
                                    iv_begin: b,
                                    iv_end: b + 1,
                                });
                            }
                            continue;
                        }
                        // a visit starts on the day its shift starts, so that the
                        // daily cap is the cap of the shift's day group
                        let day_end = sh.day_end;
                        let mut list: Vec<(i64, i64)> = Vec::new();
                        let mut lone = false;
                        for &(wa, wb) in &hh.windows {
                            let lo = wa.max(sh.start);
                            let hi_ = (wb.min(sh.end) - hh.service).min(day_end - 1);
                            if lo > hi_ {
                                continue;
                            }
                            if lo.max(sh.start + tt) <= hi_.min(sh.end - tt - hh.service) {
                                lone = true;
                            }
                            match list.last_mut() {
                                Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi_),
                                _ => list.push((lo, hi_)),
                            }
                        }
                        if lone {
                            let b = ivs.len() as u32;
                            ivs.extend_from_slice(&list);
                            cands.push(Cand {
                                hh: hi as u32,
                                shift: s,
                                group: sh.group,
                                loc,
                                iv_begin: b,
                                iv_end: ivs.len() as u32,
                            });
                        }
                    }
                }
                cand_range.push((begin, cands.len() as u32));
            }
        }

        if !errs.is_empty() {
            return Err(InvalidInstance(errs));
        }
        let problem = Problem {
            name: inst.name.clone(),
            zone,
            hhs,
            vols,
            shifts,
            groups,
            n_loc,
            travel,
            cands,
            ivs,
            cand_range,
            pinned,
            hh_index,
            vol_index,
        };
        problem.check_pinned_routes()?;
        Ok(problem)
    }

    /// Pinned visits of one shift must be reachable one after another, and
    /// those of one volunteer's day (all its shifts) within the daily cap.
    fn check_pinned_routes(&self) -> Result<(), InvalidInstance> {
        let mut by_shift: HashMap<u32, Vec<u32>> = HashMap::new();
        for c in self.pinned.iter().flatten() {
            by_shift
                .entry(self.cands[*c as usize].shift)
                .or_default()
                .push(*c);
        }
        let mut errs = Vec::new();
        let mut keys: Vec<_> = by_shift.keys().copied().collect();
        keys.sort();
        let mut per_group: HashMap<u32, u32> = HashMap::new();
        for &s in &keys {
            *per_group.entry(self.shifts[s as usize].group).or_default() +=
                by_shift[&s].len() as u32;
        }
        let mut groups: Vec<_> = per_group.into_iter().collect();
        groups.sort();
        for (g, n) in groups {
            let sh = &self.shifts[self.groups[g as usize].first as usize];
            if n > sh.cap {
                errs.push(InstanceError {
                    path: "pinned".into(),
                    concerns: Concerns::PinnedTogether,
                    message: format!(
                        "{n} visits pinned for {:?} on {}, above max_visits_per_day {}",
                        self.vols[sh.volunteer as usize].id,
                        &self.zone.format(sh.start)[..10],
                        sh.cap
                    ),
                });
            }
        }
        for s in keys {
            let mut route = by_shift[&s].clone();
            route.sort_by_key(|&c| self.ivs[self.cands[c as usize].iv_begin as usize].0);
            let sh = &self.shifts[s as usize];
            let vol = &self.vols[sh.volunteer as usize];
            if crate::route::forward(self, s, &route).is_none() {
                errs.push(InstanceError {
                    path: "pinned".into(),
                    concerns: Concerns::PinnedTogether,
                    message: format!(
                        "the pinned visits of {:?} starting {} cannot be reached one after another (travel from home and between them)",
                        vol.id,
                        self.zone.format(sh.start)
                    ),
                });
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(InvalidInstance(errs))
        }
    }

    /// Travel minutes between two locations.
    #[inline]
    pub(crate) fn tt(&self, a: u32, b: u32) -> i64 {
        self.travel[a as usize * self.n_loc + b as usize] as i64
    }

    /// The calendar day (instance time zone) of a minute. Not for the search's
    /// hot path: shifts carry their day.
    pub(crate) fn day(&self, minute: i64) -> i64 {
        self.zone.day(minute)
    }

    /// Whether the day group of shift `s` is at its cap, given the room
    /// left per group (see `Sol::room`).
    #[inline]
    pub(crate) fn group_full(&self, room: &[u32], s: usize) -> bool {
        room[self.shifts[s].group as usize] == 0
    }

    /// Start intervals of a candidate.
    #[inline]
    pub(crate) fn cand_ivs(&self, c: u32) -> &[(i64, i64)] {
        let c = &self.cands[c as usize];
        &self.ivs[c.iv_begin as usize..c.iv_end as usize]
    }

    /// Number of households.
    pub fn households(&self) -> usize {
        self.hhs.len()
    }

    /// The instance's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Σ priority of households with at least one feasible lone slot, as the
    /// benchmark counts it (the validator's `upper_bound`).
    pub fn upper_bound(&self) -> u64 {
        (0..self.hhs.len())
            .filter(|&h| self.has_lone_slot(h as u32))
            .map(|h| self.hhs[h].priority as u64)
            .sum()
    }

    /// The validator's isolated-slot test: some able volunteer has a shift in
    /// which this visit fits alone, with travel from and back home.
    pub(crate) fn has_lone_slot(&self, h: u32) -> bool {
        let hh = &self.hhs[h as usize];
        hh.eligible.iter().any(|&v| {
            let vol = &self.vols[v as usize];
            let loc = if hh.remote { vol.home } else { h };
            let tt = self.tt(vol.home, loc);
            vol.shifts.iter().any(|&s| {
                let sh = &self.shifts[s as usize];
                hh.windows
                    .iter()
                    .any(|&(wa, wb)| wa.max(sh.start + tt) + hh.service <= wb.min(sh.end - tt))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minute(text: &str) -> i64 {
        parse_minutes(text).expect("a time")
    }

    #[test]
    fn days_and_midnights_follow_the_zone() {
        let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
        // Monday 26 October 2026, after summer time ended: 23:30 is still the 26th
        let late = minute("2026-10-26T23:30:00+01:00");
        let next = minute("2026-10-27T00:00:00+01:00");
        assert_eq!(berlin.day(late) + 1, berlin.day(next));
        assert_eq!(berlin.next_midnight(late), next);
        assert_eq!(berlin.format(late), "2026-10-26T23:30:00+01:00");
        assert_eq!(
            berlin.format(minute("2026-10-24T12:00:00+02:00")),
            "2026-10-24T12:00:00+02:00"
        );
        // the day of the change has 25 hours
        let sunday = minute("2026-10-25T00:00:00+02:00");
        assert_eq!(berlin.next_midnight(sunday) - sunday, 25 * 60);
        let fixed = Zone::Fixed(120);
        assert_eq!(fixed.next_midnight(sunday) - sunday, 24 * 60);
    }

    #[test]
    fn next_midnight_is_the_first_minute_of_the_next_day_in_any_zone() {
        // zones with DST changes at 02:00 or 03:00, a change at midnight
        // (Havana), a half-hour change (Lord Howe), a zone south of the equator
        let zones = [
            "Europe/Berlin",
            "America/New_York",
            "America/Havana",
            "Australia/Lord_Howe",
            "America/Santiago",
            "Asia/Ho_Chi_Minh",
        ];
        let start = minute("2026-01-01T00:00:00Z");
        for name in zones {
            let zone = Zone::Iana(name.parse().expect("a zone"));
            // every 7 hours over the year: every local hour of day is hit
            for k in 0..(366 * 24 / 7) {
                let m = start + k * 7 * 60;
                let n = zone.next_midnight(m);
                assert!(n > m, "{name} {}", zone.format(m));
                assert_eq!(zone.day(n), zone.day(m) + 1, "{name} {}", zone.format(m));
                assert_eq!(zone.day(n - 1), zone.day(m), "{name} {}", zone.format(m));
            }
        }
    }
}
