//! Rules → windows over one horizon.
//!
//! Everything residents share is computed once per horizon, in the
//! [`ExpansionContext`]: the lunar date and weekday of each civil day, the
//! civil day of each phase of the moon, each zone's UTC offsets day by day,
//! each station's tide and each tide query. A rule is then expanded with
//! integer arithmetic on minutes since the Unix epoch; chrono-tz is only
//! consulted on the rare days when a zone changes its offset.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use doorstep_lunar::Phase;
use doorstep_tide::{Catalog, ExtremeKind, TideHorizon};

use super::render::{Lang, describe_blackout};
use super::{Blackout, Rule, Term, TideCondition, TideLevel};

/// Minutes since 1970-01-01T00:00Z.
type Minute = i64;
/// A half-open interval of minutes.
type Span = (Minute, Minute);

/// A concrete half-open interval of time `[start, end)`, whole minutes.
///
/// Held as minutes since the Unix epoch: a million residents' windows are
/// made without calendar arithmetic, which happens only when an instant is
/// asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window {
    start: Minute,
    end: Minute,
}

impl Window {
    /// The window `[start, end)`, both cut down to the whole minute; `None`
    /// unless it is at least a minute long.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Window> {
        let (start, end) = (to_minute(start), to_minute(end));
        (start < end).then_some(Window { start, end })
    }

    /// The first instant inside.
    pub fn start(&self) -> DateTime<Utc> {
        instant(self.start)
    }

    /// The first instant after.
    pub fn end(&self) -> DateTime<Utc> {
        instant(self.end)
    }

    /// The start in minutes since 1970-01-01T00:00Z.
    pub fn start_minute(&self) -> i64 {
        self.start
    }

    /// The end in minutes since 1970-01-01T00:00Z.
    pub fn end_minute(&self) -> i64 {
        self.end
    }

    /// The length in minutes.
    pub fn minutes(&self) -> i64 {
        self.end - self.start
    }

    /// True when `at` lies inside.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start() <= at && at < self.end()
    }
}

/// What expansion cannot do with a valid rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    /// The horizon reaches outside the calendar's range.
    #[error(
        "khoảng thời gian {from} đến {to} nằm ngoài phạm vi lịch 1800–2199 / \
         the horizon {from} to {to} is outside the calendar's range 1800–2199"
    )]
    OutOfRange {
        /// Start of the horizon.
        from: DateTime<Utc>,
        /// End of the horizon.
        to: DateTime<Utc>,
    },
    /// A tide term names a station the catalog does not have.
    #[error(
        "trạm thủy triều \"{station}\" không có trong danh mục / \
         tide station \"{station}\" is not in the catalog"
    )]
    UnknownStation {
        /// The station id.
        station: String,
    },
}

/// Why part of a rule gives no window, for people (`--explain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The part: `when[0]`, `except[1]`, `blackout "bão số 3"`, `horizon`.
    pub path: String,
    /// What happened, in Vietnamese.
    pub message_vi: String,
    /// What happened, in English.
    pub message_en: String,
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} / {}",
            self.path, self.message_vi, self.message_en
        )
    }
}

/// One civil day of the context.
#[derive(Debug, Clone, Copy)]
struct Day {
    date: NaiveDate,
    /// Days since 1970-01-01.
    epoch_day: i64,
    /// 0 = Monday.
    weekday: u8,
    /// The lunar day of the month (Vietnam, UTC+7).
    lunar_day: u8,
    /// The position of the lunar month-day in its year (leap after its month).
    lunar_key: u32,
}

/// One zone's offsets over the context's days.
#[derive(Debug)]
struct ZoneDays {
    zone: Tz,
    /// UTC offset (minutes) at local midnight of each day.
    offset: Vec<i64>,
    /// True when the offset holds from local midnight of the day to local
    /// midnight two days later, so that local → UTC is one subtraction.
    regular: Vec<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TideKey {
    Above(u64),
    Below(u64),
    Near(ExtremeKind, u32),
}

impl TideKey {
    fn of(level: TideLevel) -> TideKey {
        match level {
            TideLevel::Above(x) => TideKey::Above(x.to_bits()),
            TideLevel::Below(x) => TideKey::Below(x.to_bits()),
            TideLevel::Near {
                kind,
                within_minutes,
            } => TideKey::Near(kind, within_minutes),
        }
    }
}

type TideCache = Vec<(String, TideKey, Arc<Vec<Span>>)>;

/// What the residents of one horizon share; build it once, then expand any
/// number of rules (from any number of threads).
#[derive(Debug)]
pub struct ExpansionContext {
    from: Minute,
    to: Minute,
    team_zone: Tz,
    catalog: Catalog,
    days: Vec<Day>,
    /// Each phase of the moon near the horizon and the index of its civil
    /// day (Vietnam) in `days` (may lie outside it).
    phases: Vec<(Phase, i64)>,
    zones: RwLock<Vec<Arc<ZoneDays>>>,
    horizons: RwLock<Vec<(String, Arc<TideHorizon>)>>,
    tides: RwLock<TideCache>,
}

/// Vietnam's zone, in which lunar days and the moon's days are counted.
const VIETNAM_OFFSET_MINUTES: i64 = 7 * 60;

fn to_minute(t: DateTime<Utc>) -> Minute {
    t.timestamp().div_euclid(60)
}

fn instant(m: Minute) -> DateTime<Utc> {
    DateTime::from_timestamp(m * 60, 0).unwrap_or_default()
}

/// The UTC minute of a local date-time: the earliest when the clock shows it
/// twice, and the first minute after the gap when it never shows it.
fn local_to_utc(zone: Tz, local: NaiveDateTime) -> Minute {
    let mut t = local;
    for _ in 0..=2 * 1440 {
        match zone.from_local_datetime(&t) {
            chrono::LocalResult::Single(d) => return to_minute(d.with_timezone(&Utc)),
            chrono::LocalResult::Ambiguous(a, _) => return to_minute(a.with_timezone(&Utc)),
            chrono::LocalResult::None => t += Duration::minutes(1),
        }
    }
    to_minute(local.and_utc())
}

fn epoch_day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 719_163
}

impl ExpansionContext {
    /// Prepares the horizon `[from, to)` (cut to whole minutes) for a team
    /// in `team_zone`, with the tide stations of `catalog`.
    ///
    /// # Errors
    /// [`ExpandError::OutOfRange`] when the horizon is not within 1800–2199.
    pub fn new(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        team_zone: Tz,
        catalog: Catalog,
    ) -> Result<ExpansionContext, ExpandError> {
        let out_of_range = || ExpandError::OutOfRange { from, to };
        let to = to.max(from);
        // Local days of any zone (±14 h) whose windows (at most two days
        // long) may reach the horizon.
        let first = (from - Duration::days(3)).date_naive();
        let last = (to + Duration::days(3)).date_naive();
        if first < doorstep_lunar::FIRST_DATE || last > doorstep_lunar::LAST_DATE {
            return Err(out_of_range());
        }
        let mut days = Vec::new();
        let mut date = first;
        while date <= last {
            let lunar = doorstep_lunar::to_lunar(date).map_err(|_| out_of_range())?;
            days.push(Day {
                date,
                epoch_day: epoch_day(date),
                weekday: date.weekday().num_days_from_monday() as u8,
                lunar_day: lunar.day,
                lunar_key: lunar_key(lunar.month, lunar.leap, lunar.day),
            });
            date = date.succ_opt().ok_or_else(out_of_range)?;
        }
        let pad = Duration::days(20);
        let (pa, pb) = (
            (from - pad).max(doorstep_lunar::FIRST_INSTANT),
            (to + pad).min(doorstep_lunar::END_INSTANT),
        );
        let first_epoch = epoch_day(first);
        let phases = doorstep_lunar::phases(pa, pb)
            .map_err(|_| out_of_range())?
            .into_iter()
            .map(|p| {
                let local = to_minute(p.at) + VIETNAM_OFFSET_MINUTES;
                (p.phase, local.div_euclid(1440) - first_epoch)
            })
            .collect();
        let ctx = ExpansionContext {
            from: to_minute(from),
            to: to_minute(to),
            team_zone,
            catalog,
            days,
            phases,
            zones: RwLock::new(Vec::new()),
            horizons: RwLock::new(Vec::new()),
            tides: RwLock::new(Vec::new()),
        };
        ctx.zone(team_zone);
        Ok(ctx)
    }

    /// The start of the horizon.
    pub fn from(&self) -> DateTime<Utc> {
        instant(self.from)
    }

    /// The end of the horizon (excluded).
    pub fn to(&self) -> DateTime<Utc> {
        instant(self.to)
    }

    /// The team's zone, the default of every term.
    pub fn team_zone(&self) -> Tz {
        self.team_zone
    }

    /// The windows of a rule: sorted, disjoint, not touching, inside the
    /// horizon, whole minutes.
    ///
    /// # Errors
    /// [`ExpandError::UnknownStation`] for a station missing from the catalog.
    pub fn expand(&self, rule: &Rule) -> Result<Vec<Window>, ExpandError> {
        self.expand_with(rule, &[])
    }

    /// The windows of a rule minus the blackout periods that apply to its mode.
    ///
    /// # Errors
    /// As [`ExpansionContext::expand`].
    pub fn expand_with(
        &self,
        rule: &Rule,
        blackouts: &[Blackout],
    ) -> Result<Vec<Window>, ExpandError> {
        let spans = self.rule_spans(rule, blackouts)?;
        Ok(spans
            .into_iter()
            .map(|(start, end)| Window { start, end })
            .collect())
    }

    /// The number of windows and minutes of a rule, without building
    /// [`Window`]s (for counting many residents).
    ///
    /// # Errors
    /// As [`ExpansionContext::expand`].
    pub fn measure(
        &self,
        rule: &Rule,
        blackouts: &[Blackout],
    ) -> Result<(usize, i64), ExpandError> {
        let spans = self.rule_spans(rule, blackouts)?;
        Ok((spans.len(), spans.iter().map(|(s, e)| e - s).sum()))
    }

    fn rule_spans(&self, rule: &Rule, blackouts: &[Blackout]) -> Result<Vec<Span>, ExpandError> {
        let mut when = Vec::new();
        for term in &rule.when {
            self.term_spans(term, &mut when)?;
        }
        normalize(&mut when);
        if when.is_empty() {
            return Ok(when);
        }
        let mut minus = Vec::new();
        for term in &rule.except {
            self.term_spans(term, &mut minus)?;
        }
        for b in blackouts.iter().filter(|b| b.applies_to(rule.mode)) {
            self.term_spans(&b.term, &mut minus)?;
        }
        if minus.is_empty() {
            return Ok(when);
        }
        normalize(&mut minus);
        Ok(subtract(&when, &minus))
    }

    /// The windows of one term, appended to `out` (sorted and disjoint
    /// within the term, clipped to the horizon).
    fn term_spans(&self, term: &Term, out: &mut Vec<Span>) -> Result<(), ExpandError> {
        let first = out.len();
        let zone = self.zone(term.timezone.unwrap_or(self.team_zone));
        if term.has_day_keys() || term.hours.is_some() {
            self.day_spans(term, &zone, out, first);
        } else if self.from < self.to {
            out.push((self.from, self.to));
        }
        if let Some((a, b)) = term.between {
            let span = (
                local_to_utc(zone.zone, a).max(self.from),
                local_to_utc(zone.zone, b).min(self.to),
            );
            let kept = intersect(&out[first..], &[span]);
            out.truncate(first);
            out.extend(kept);
        }
        if let Some(tide) = &term.tide
            && out.len() > first
        {
            let water = self.tide_spans(tide)?;
            let kept = intersect(&out[first..], &water);
            out.truncate(first);
            out.extend(kept);
        }
        Ok(())
    }

    /// Appends the windows of the selected days; merges only with windows
    /// of this term (from index `first` on).
    fn day_spans(&self, term: &Term, zone: &ZoneDays, out: &mut Vec<Span>, first: usize) {
        let (start, end) = match term.hours {
            Some(h) => (i64::from(h.start()), h.end_after_start()),
            None => (0, 1440),
        };
        let n = self.days.len().saturating_sub(2);
        for i in 0..n {
            if !self.day_selected(term, i) {
                continue;
            }
            let day = &self.days[i];
            let (s, e) = if zone.regular[i] {
                let base = day.epoch_day * 1440 - zone.offset[i];
                (base + start, base + end)
            } else {
                let midnight = day.date.and_hms_opt(0, 0, 0).unwrap_or_default();
                (
                    local_to_utc(zone.zone, midnight + Duration::minutes(start)),
                    local_to_utc(zone.zone, midnight + Duration::minutes(end)),
                )
            };
            let (s, e) = (s.max(self.from), e.min(self.to));
            if s >= e {
                continue;
            }
            let out_len = out.len();
            match out.last_mut() {
                Some(last) if out_len > first && s <= last.1 && s >= last.0 => {
                    last.1 = last.1.max(e)
                }
                _ => out.push((s, e)),
            }
        }
    }

    fn day_selected(&self, term: &Term, i: usize) -> bool {
        let day = &self.days[i];
        if let Some((a, b)) = term.lunar_days {
            let d = day.lunar_day;
            let inside = if a <= b {
                a <= d && d <= b
            } else {
                d >= a || d <= b
            };
            if !inside {
                return false;
            }
        }
        if let Some((a, b)) = term.lunar_dates {
            let (s, e) = (
                lunar_key(a.month, false, a.day),
                lunar_key(b.month, false, b.day),
            );
            let k = day.lunar_key;
            let inside = if s <= e {
                s <= k && k <= e
            } else {
                k >= s || k <= e
            };
            if !inside {
                return false;
            }
        }
        if let Some((a, b)) = term.dates
            && (day.date < a || day.date > b)
        {
            return false;
        }
        if let Some(days) = &term.weekdays
            && !days
                .iter()
                .any(|w| w.num_days_from_monday() as u8 == day.weekday)
        {
            return false;
        }
        if let Some(am) = term.around_moon {
            let i = i as i64;
            let near = self.phases.iter().any(|&(p, d)| {
                p == am.phase
                    && d - i64::from(am.days_before) <= i
                    && i <= d + i64::from(am.days_after)
            });
            if !near {
                return false;
            }
        }
        true
    }

    /// The offsets of a zone, computed on first use.
    fn zone(&self, zone: Tz) -> Arc<ZoneDays> {
        if let Some(z) = read(&self.zones).iter().find(|z| z.zone == zone) {
            return Arc::clone(z);
        }
        let n = self.days.len();
        let offset_at = |m: Minute| -> i64 {
            use chrono::Offset;
            let utc = instant(m).naive_utc();
            i64::from(zone.offset_from_utc_datetime(&utc).fix().local_minus_utc()).div_euclid(60)
        };
        let mut offset = Vec::with_capacity(n);
        let mut exact = Vec::with_capacity(n);
        for day in &self.days {
            let midnight = local_to_utc(zone, day.date.and_hms_opt(0, 0, 0).unwrap_or_default());
            let o = offset_at(midnight);
            offset.push(o);
            exact.push(day.epoch_day * 1440 - o == midnight);
        }
        let regular = (0..n)
            .map(|i| {
                i + 2 < n
                    && exact[i]
                    && exact[i + 1]
                    && exact[i + 2]
                    && offset[i] == offset[i + 1]
                    && offset[i] == offset[i + 2]
            })
            .collect();
        let built = Arc::new(ZoneDays {
            zone,
            offset,
            regular,
        });
        let mut zones = write(&self.zones);
        if let Some(z) = zones.iter().find(|z| z.zone == zone) {
            return Arc::clone(z);
        }
        zones.push(Arc::clone(&built));
        built
    }

    /// The windows of a tide condition over the horizon (padded by a day),
    /// to the nearest minute, computed once per station and query.
    fn tide_spans(&self, tide: &TideCondition) -> Result<Arc<Vec<Span>>, ExpandError> {
        let key = TideKey::of(tide.level);
        if let Some((_, _, s)) = read(&self.tides)
            .iter()
            .find(|(id, k, _)| *id == tide.station && *k == key)
        {
            return Ok(Arc::clone(s));
        }
        let horizon = self.tide_horizon(&tide.station)?;
        let windows = match tide.level {
            TideLevel::Above(x) => horizon.windows_above(x),
            TideLevel::Below(x) => horizon.windows_below(x),
            TideLevel::Near {
                kind,
                within_minutes,
            } => horizon.windows_near(kind, within_minutes),
        };
        let round = |t: DateTime<Utc>| (t.timestamp() + 30).div_euclid(60);
        let mut spans: Vec<Span> = windows
            .iter()
            .map(|w| (round(w.start), round(w.end)))
            .filter(|(s, e)| s < e)
            .collect();
        normalize(&mut spans);
        let spans = Arc::new(spans);
        write(&self.tides).push((tide.station.clone(), key, Arc::clone(&spans)));
        Ok(spans)
    }

    fn tide_horizon(&self, station: &str) -> Result<Arc<TideHorizon>, ExpandError> {
        if let Some((_, h)) = read(&self.horizons).iter().find(|(id, _)| id == station) {
            return Ok(Arc::clone(h));
        }
        let predictor =
            self.catalog
                .predictor(station)
                .ok_or_else(|| ExpandError::UnknownStation {
                    station: station.to_owned(),
                })?;
        let day = 1440;
        let horizon = Arc::new(predictor.horizon(instant(self.from - day), instant(self.to + day)));
        write(&self.horizons).push((station.to_owned(), Arc::clone(&horizon)));
        Ok(horizon)
    }

    /// Says which part of a rule leaves nothing: the first key of a `when`
    /// term after which the term is empty, or the `except` term or blackout
    /// that takes the last window away. Empty when the rule gives windows.
    ///
    /// # Errors
    /// As [`ExpansionContext::expand`].
    pub fn explain(
        &self,
        rule: &Rule,
        blackouts: &[Blackout],
    ) -> Result<Vec<Explanation>, ExpandError> {
        let mut out = Vec::new();
        if !self.rule_spans(rule, blackouts)?.is_empty() {
            return Ok(out);
        }
        if self.from >= self.to {
            out.push(Explanation {
                path: "horizon".into(),
                message_vi: "khoảng thời gian rỗng".into(),
                message_en: "the horizon is empty".into(),
            });
            return Ok(out);
        }
        let mut when = Vec::new();
        for (i, term) in rule.when.iter().enumerate() {
            let before = when.len();
            self.term_spans(term, &mut when)?;
            if when.len() > before {
                continue;
            }
            let mut partial = Term {
                timezone: term.timezone,
                ..Term::default()
            };
            for (key, add) in KEY_ORDER {
                if !add(term, &mut partial) {
                    continue;
                }
                let mut spans = Vec::new();
                self.term_spans(&partial, &mut spans)?;
                if spans.is_empty() {
                    out.push(Explanation {
                        path: format!("when[{i}].{key}"),
                        message_vi: format!(
                            "không còn gì sau khóa {key}: không có thời điểm nào trong khoảng thời gian thỏa mãn"
                        ),
                        message_en: format!(
                            "nothing is left after {key}: no time in the horizon matches"
                        ),
                    });
                    break;
                }
            }
        }
        normalize(&mut when);
        if when.is_empty() {
            return Ok(out);
        }
        let mut left = when;
        let mut cut = |path: String, spans: Vec<Span>, out: &mut Vec<Explanation>| {
            let mut spans = spans;
            normalize(&mut spans);
            let after = subtract(&left, &spans);
            if !left.is_empty() && after.is_empty() {
                out.push(Explanation {
                    path,
                    message_vi: "bỏ đi những khung giờ cuối cùng còn lại".into(),
                    message_en: "takes away the last windows that were left".into(),
                });
            }
            left = after;
        };
        for (i, term) in rule.except.iter().enumerate() {
            let mut spans = Vec::new();
            self.term_spans(term, &mut spans)?;
            let path = match &term.label {
                Some(l) => format!("except[{i}] ({l})"),
                None => format!("except[{i}]"),
            };
            cut(path, spans, &mut out);
        }
        for b in blackouts.iter().filter(|b| b.applies_to(rule.mode)) {
            let mut spans = Vec::new();
            self.term_spans(&b.term, &mut spans)?;
            cut(
                format!(
                    "blackout \"{}\" ({})",
                    b.label,
                    describe_blackout(b, Lang::En)
                ),
                spans,
                &mut out,
            );
        }
        Ok(out)
    }
}

/// Adds one key of a term to a partial term; false when the term lacks it.
type AddKey = fn(&Term, &mut Term) -> bool;

/// The order in which `explain` adds a term's keys.
const KEY_ORDER: [(&str, AddKey); 8] = [
    ("dates", |t, p| {
        p.dates = t.dates;
        t.dates.is_some()
    }),
    ("between", |t, p| {
        p.between = t.between;
        t.between.is_some()
    }),
    ("lunar_dates", |t, p| {
        p.lunar_dates = t.lunar_dates;
        t.lunar_dates.is_some()
    }),
    ("lunar_days", |t, p| {
        p.lunar_days = t.lunar_days;
        t.lunar_days.is_some()
    }),
    ("around_moon", |t, p| {
        p.around_moon = t.around_moon;
        t.around_moon.is_some()
    }),
    ("weekdays", |t, p| {
        p.weekdays.clone_from(&t.weekdays);
        t.weekdays.is_some()
    }),
    ("hours", |t, p| {
        p.hours = t.hours;
        t.hours.is_some()
    }),
    ("tide", |t, p| {
        p.tide.clone_from(&t.tide);
        t.tide.is_some()
    }),
];

fn lunar_key(month: u8, leap: bool, day: u8) -> u32 {
    (u32::from(month) * 2 + u32::from(leap)) * 32 + u32::from(day)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sorts spans and merges those that overlap or touch.
fn normalize(spans: &mut Vec<Span>) {
    if spans.windows(2).any(|w| w[1].0 <= w[0].1) {
        spans.sort_unstable();
        let mut out: Vec<Span> = Vec::with_capacity(spans.len());
        for &(s, e) in spans.iter() {
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        *spans = out;
    }
    spans.retain(|(s, e)| s < e);
}

/// The intersection of two sorted, disjoint lists.
fn intersect(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let s = a[i].0.max(b[j].0);
        let e = a[i].1.min(b[j].1);
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

/// `a` minus `b`, both sorted and disjoint.
fn subtract(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::with_capacity(a.len());
    let mut j = 0;
    for &(s, e) in a {
        let mut s = s;
        while j < b.len() && b[j].1 <= s {
            j += 1;
        }
        let mut k = j;
        while k < b.len() && b[k].0 < e {
            if b[k].0 > s {
                out.push((s, b[k].0));
            }
            s = s.max(b[k].1);
            if s >= e {
                break;
            }
            k += 1;
        }
        if s < e {
            out.push((s, e));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_algebra() {
        let a = vec![(0, 10), (20, 30)];
        let b = vec![(5, 25)];
        assert_eq!(intersect(&a, &b), vec![(5, 10), (20, 25)]);
        assert_eq!(subtract(&a, &b), vec![(0, 5), (25, 30)]);
        assert_eq!(subtract(&a, &[(0, 30)]), vec![]);
        assert_eq!(
            subtract(&a, &[(2, 3), (4, 5), (28, 40)]),
            vec![(0, 2), (3, 4), (5, 10), (20, 28)]
        );
        let mut n = vec![(5, 7), (0, 5), (9, 9), (8, 9)];
        normalize(&mut n);
        assert_eq!(n, vec![(0, 7), (8, 9)]);
    }
}
