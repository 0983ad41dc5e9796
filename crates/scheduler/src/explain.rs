//! Reasons for households left out, in words: Vietnamese first, English
//! second, naming the binding constraint with its numbers. Times are shown in
//! the instance's time zone, with the days named (weekdays when they repeat
//! by weekday, else dates) so that a leader can check them on a calendar.

use std::collections::{BTreeMap, BTreeSet};

use crate::format::Reason;
use crate::problem::Problem;
use crate::search::Sol;

const WEEKDAYS_VI: [&str; 7] = [
    "Thứ Hai",
    "Thứ Ba",
    "Thứ Tư",
    "Thứ Năm",
    "Thứ Sáu",
    "Thứ Bảy",
    "Chủ nhật",
];
const WEEKDAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
/// Hour ranges shown per group of days, and groups shown per sentence.
const SHOWN: usize = 4;

fn hm(p: &Problem, m: i64) -> String {
    p.zone.format(m)[11..16].to_owned()
}

/// Monday = 0, for a day number (days since 1970-01-01, a Thursday).
fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// "28/11" for a day number.
fn dm(day: i64) -> String {
    i32::try_from(day + 719_163)
        .ok()
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
        .map_or_else(|| day.to_string(), |d| d.format("%d/%m").to_string())
}

/// "Sat 28/11" / "Thứ Bảy 28/11".
fn dated(day: i64) -> (String, String) {
    let w = weekday(day);
    (
        format!("{} {}", WEEKDAYS_VI[w], dm(day)),
        format!("{} {}", WEEKDAYS_EN[w], dm(day)),
    )
}

/// Weekdays with runs of three or more as ranges: "Mon–Fri", "Sat, Sun".
fn weekday_list(days: &[usize], names: &[&str; 7]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        if j >= i + 2 {
            parts.push(format!("{}–{}", names[days[i]], names[days[j]]));
        } else {
            parts.extend(days[i..=j].iter().map(|&d| names[d].to_owned()));
        }
        i = j + 1;
    }
    parts.join(", ")
}

/// Days named for a reader with a calendar, in both languages; the
/// exceptions (" except 25/11") are written after the hours.
struct Days {
    vi: String,
    en: String,
    except_vi: String,
    except_en: String,
    /// Weekdays were named: they hold over the span, which must be shown.
    weekdays: bool,
}

/// The days of a set: the weekdays when the set repeats by weekday over
/// `span` (every such day of the span, or all but one or a few, which are
/// named), else the dates with their weekdays, runs of three or more days as
/// ranges.
fn days_label(days: &BTreeSet<i64>, span: (i64, i64)) -> Days {
    let mut count = [0usize; 7];
    for &d in days {
        count[weekday(d)] += 1;
    }
    let weekdays: Vec<usize> = (0..7).filter(|&w| count[w] > 0).collect();
    let missing: Vec<i64> = (span.0..=span.1)
        .filter(|&d| count[weekday(d)] > 0 && !days.contains(&d))
        .collect();
    if days.len() > 3 && count.iter().any(|&n| n >= 2) && missing.len() <= (days.len() / 4).max(1) {
        let (except_vi, except_en) = if missing.is_empty() {
            Default::default()
        } else {
            let list: Vec<String> = missing.iter().map(|&d| dm(d)).collect();
            (
                format!(" trừ {}", list.join(", ")),
                format!(" except {}", list.join(", ")),
            )
        };
        return Days {
            vi: weekday_list(&weekdays, &WEEKDAYS_VI),
            en: weekday_list(&weekdays, &WEEKDAYS_EN),
            except_vi,
            except_en,
            weekdays: true,
        };
    }
    // runs of consecutive days
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &d in days {
        match runs.last_mut() {
            Some(r) if r.1 + 1 == d => r.1 = d,
            _ => runs.push((d, d)),
        }
    }
    let (mut vi, mut en) = (Vec::new(), Vec::new());
    for &(a, b) in runs.iter().take(SHOWN) {
        let (avi, aen) = dated(a);
        let (bvi, ben) = dated(b);
        match b - a {
            0 => {
                vi.push(avi);
                en.push(aen);
            }
            1 => {
                vi.extend([avi, bvi]);
                en.extend([aen, ben]);
            }
            _ => {
                vi.push(format!("{avi}–{bvi}"));
                en.push(format!("{aen}–{ben}"));
            }
        }
    }
    let more: i64 = runs.iter().skip(SHOWN).map(|r| r.1 - r.0 + 1).sum();
    let (tail_vi, tail_en) = match more {
        0 => Default::default(),
        1 => (" (+1 ngày)".to_owned(), " (+1 day)".to_owned()),
        n => (format!(" (+{n} ngày)"), format!(" (+{n} days)")),
    };
    Days {
        vi: format!("{}{tail_vi}", vi.join(", ")),
        en: format!("{}{tail_en}", en.join(", ")),
        except_vi: String::new(),
        except_en: String::new(),
        weekdays: false,
    }
}

/// Intervals as days and hours: hours that occur on the same days are listed
/// after those days, e.g. "Mon–Fri 18:00–21:00 except 25/11; Sat 28/11, Sun
/// 06/12 08:00–11:00, 16:00–21:00". Days are those the intervals start on.
/// Also says whether weekdays were named (true over the intervals' span).
fn days_and_hours(p: &Problem, ivs: &[(i64, i64)]) -> (String, String, bool) {
    let mut by_hours: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for &(a, b) in ivs {
        by_hours
            .entry(format!("{}–{}", hm(p, a), hm(p, b)))
            .or_default()
            .insert(p.day(a));
    }
    let first = by_hours.values().filter_map(|d| d.first()).min().copied();
    let last = by_hours.values().filter_map(|d| d.last()).max().copied();
    let (Some(first), Some(last)) = (first, last) else {
        return Default::default();
    };
    let mut by_days: BTreeMap<BTreeSet<i64>, Vec<String>> = BTreeMap::new();
    for (hours, days) in by_hours {
        by_days.entry(days).or_default().push(hours);
    }
    let mut groups: Vec<(BTreeSet<i64>, Vec<String>)> = by_days.into_iter().collect();
    groups.sort_by(|a, b| (a.0.first(), &a.1).cmp(&(b.0.first(), &b.1)));
    let (mut vi, mut en, mut weekdays) = (Vec::new(), Vec::new(), false);
    for (days, hours) in groups.iter().take(SHOWN) {
        let d = days_label(days, (first, last));
        weekdays |= d.weekdays;
        let mut h = hours
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if hours.len() > SHOWN {
            h.push_str(&format!(" (+{})", hours.len() - SHOWN));
        }
        vi.push(format!("{} {h}{}", d.vi, d.except_vi));
        en.push(format!("{} {h}{}", d.en, d.except_en));
    }
    let (mut vi, mut en) = (vi.join("; "), en.join("; "));
    if groups.len() > SHOWN {
        let more = groups.len() - SHOWN;
        vi.push_str(&format!("; +{more} nhóm ngày khác"));
        en.push_str(&format!("; +{more} other sets of days"));
    }
    (vi, en, weekdays)
}

/// "23/11–06/12" for a set of days.
fn range(days: impl Iterator<Item = i64>) -> String {
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for d in days {
        first = first.min(d);
        last = last.max(d);
    }
    match last.cmp(&first) {
        std::cmp::Ordering::Less => String::new(),
        std::cmp::Ordering::Equal => dm(first),
        std::cmp::Ordering::Greater => format!("{}–{}", dm(first), dm(last)),
    }
}

/// "11 days from 23/11 to 06/12: Mon–Fri 18:00–21:00 except 25/11; …".
fn windows_summary(p: &Problem, h: u32) -> (String, String) {
    let w = &p.hhs[h as usize].windows;
    if w.is_empty() {
        return (
            "không có khung giờ nào ở nhà".into(),
            "no window at home is given".into(),
        );
    }
    let days: BTreeSet<i64> = w.iter().map(|&(a, _)| p.day(a)).collect();
    let range = range(days.iter().copied());
    let (vi, en, _) = days_and_hours(p, w);
    (
        format!("chỉ ở nhà {} ngày ({range}): {vi}", days.len()),
        format!("home on {} day(s) ({range}): {en}", days.len()),
    )
}

/// "V02 Sat 28/11 14:00–20:00" / "V02 Thứ Bảy 28/11 14:00–20:00".
fn shift_label(p: &Problem, s: u32) -> (String, String) {
    let sh = &p.shifts[s as usize];
    let id = &p.vols[sh.volunteer as usize].id;
    let hours = format!("{}–{}", hm(p, sh.start), hm(p, sh.end));
    let (vi, en) = dated(sh.day);
    (format!("{id} {vi} {hours}"), format!("{id} {en} {hours}"))
}

/// The reason a household is left out, with sentences in both languages.
pub(crate) fn unmet_reason(p: &Problem, sol: &Sol, h: u32) -> (Reason, String, String) {
    let hh = &p.hhs[h as usize];
    if hh.eligible.is_empty() {
        let needs = if hh.needs_names.is_empty() {
            "—".to_owned()
        } else {
            hh.needs_names.join(", ")
        };
        let (vi, en) = if hh.remote {
            (
                format!("không thành viên nào vừa gọi video được vừa có đủ kỹ năng {needs}"),
                format!("no volunteer both makes video calls and has the skills {needs}"),
            )
        } else {
            (
                format!("không thành viên nào có đủ kỹ năng {needs}"),
                format!("no volunteer has the skills {needs}"),
            )
        };
        return (Reason::NoSkill, vi, en);
    }
    let (wvi, wen) = windows_summary(p, h);
    if !p.has_lone_slot(h) {
        let n_vol = hh.eligible.len();
        let mut shift_ivs: Vec<(i64, i64)> = hh
            .eligible
            .iter()
            .flat_map(|&v| &p.vols[v as usize].shifts)
            .map(|&s| (p.shifts[s as usize].start, p.shifts[s as usize].end))
            .collect();
        shift_ivs.sort_unstable();
        shift_ivs.dedup();
        let (mut svi, mut sen, weekdays) = days_and_hours(p, &shift_ivs);
        if weekdays {
            // weekdays hold over the shifts' span: name it
            let span = range(shift_ivs.iter().map(|&(a, _)| p.day(a)));
            svi = format!("{span}: {svi}");
            sen = format!("{span}: {sen}");
        }
        let n_shift: usize = hh
            .eligible
            .iter()
            .map(|&v| p.vols[v as usize].shifts.len())
            .sum();
        // the longest overlap of a window and a shift, and the longest usable
        // one (travel from home and back taken off)
        let mut overlap: Option<i64> = None;
        let mut usable: i64 = 0;
        for &v in &hh.eligible {
            let vol = &p.vols[v as usize];
            let loc = if hh.remote { vol.home } else { h };
            let tt = p.tt(vol.home, loc);
            for &s in &vol.shifts {
                let sh = &p.shifts[s as usize];
                for &(wa, wb) in &hh.windows {
                    let raw = wb.min(sh.end) - wa.max(sh.start);
                    if raw > 0 {
                        overlap = Some(overlap.map_or(raw, |o| o.max(raw)));
                        usable = usable.max(wb.min(sh.end - tt) - wa.max(sh.start + tt));
                    }
                }
            }
        }
        let (vi, en) = match overlap {
            _ if hh.windows.is_empty() => (
                format!("{wvi} — {n_vol} thành viên đủ kỹ năng nhưng không có giờ nào để đến"),
                format!(
                    "{wen} — {n_vol} volunteer(s) have the skills but there is no time to come"
                ),
            ),
            None => (
                format!(
                    "{wvi} — {n_shift} ca của {n_vol} thành viên đủ kỹ năng ({svi}) không ca nào trùng những ngày giờ đó"
                ),
                format!(
                    "{wen} — none of the {n_shift} shifts of the {n_vol} able volunteer(s) ({sen}) overlaps those days and hours"
                ),
            ),
            Some(_) => (
                format!(
                    "{wvi} — chỗ trùng dài nhất với {n_shift} ca của {n_vol} thành viên đủ kỹ năng ({svi}) chỉ {usable} phút (đã trừ đường đi), cần {} phút",
                    hh.service
                ),
                format!(
                    "{wen} — the longest overlap with the {n_shift} shifts of the {n_vol} able volunteer(s) ({sen}) is {usable} min after travel, the visit needs {} min",
                    hh.service
                ),
            ),
        };
        return (Reason::NoWindow, vi, en);
    }
    // no capacity: who holds the possible shifts
    let (b, e) = p.cand_range[h as usize];
    let shifts: Vec<u32> = (b..e).map(|c| p.cands[c as usize].shift).collect();
    if shifts.is_empty() {
        return (
            Reason::NoCapacity,
            format!(
                "{wvi} — chỉ vừa một ca nếu thăm sau nửa đêm, mà số lượt/ngày được tính theo ngày bắt đầu ca"
            ),
            format!(
                "{wen} — it only fits a shift after midnight, and daily caps count the day a shift starts"
            ),
        );
    }
    let (mut higher, mut equal, mut lower, mut full) = (0, 0, 0, 0);
    for &s in &shifts {
        if p.group_full(&sol.room, s as usize) {
            full += 1;
        }
        for &c in &sol.routes[s as usize] {
            let q = p.hhs[p.cands[c as usize].hh as usize].priority;
            match q.cmp(&hh.priority) {
                std::cmp::Ordering::Greater => higher += 1,
                std::cmp::Ordering::Equal => equal += 1,
                std::cmp::Ordering::Less => lower += 1,
            }
        }
    }
    let n = shifts.len();
    let (list_vi, list_en): (Vec<String>, Vec<String>) =
        shifts.iter().take(3).map(|&s| shift_label(p, s)).unzip();
    let etc = if n > 3 { ", …" } else { "" };
    let (list_vi, list_en) = (list_vi.join(", ") + etc, list_en.join(", ") + etc);
    let total = higher + equal + lower;
    let vi = format!(
        "{wvi} — có {n} ca khả thi ({list_vi}) nhưng các ca đó đã kín với {total} lượt thăm khác ({higher} hộ ưu tiên cao hơn, {equal} bằng, {lower} thấp hơn), {full}/{n} ca đã đủ số lượt/ngày"
    );
    let en = format!(
        "{wen} — its {n} possible shift(s) ({list_en}) are taken by {total} other visits ({higher} of higher priority, {equal} equal, {lower} lower); {full} of {n} are at the daily cap"
    );
    (Reason::NoCapacity, vi, en)
}

/// Why a visited household is where it is.
pub(crate) fn visited(p: &Problem, h: u32, c: u32, start: i64) -> (String, String) {
    let hh = &p.hhs[h as usize];
    let s = p.cands[c as usize].shift;
    let (b, e) = p.cand_range[h as usize];
    let n = e - b;
    let vol = &p.vols[p.shifts[s as usize].volunteer as usize].id;
    let (day_vi, day_en) = dated(p.day(start));
    let hours = format!("{}–{}", hm(p, start), hm(p, start + hh.service));
    let (when_vi, when_en) = (format!("{day_vi} {hours}"), format!("{day_en} {hours}"));
    let pinned = p.pinned[h as usize].is_some();
    let (wvi, wen) = windows_summary(p, h);
    if pinned {
        return (
            format!("được ghim: {vol} thăm {when_vi}"),
            format!("pinned: {vol} visits {when_en}"),
        );
    }
    let (shift_vi, shift_en) = shift_label(p, s);
    (
        format!(
            "{vol} thăm {when_vi} (ca {shift_vi}) — hộ {wvi} — có {n} ca khả thi, ưu tiên {}",
            hh.priority
        ),
        format!(
            "{vol} visits {when_en} (shift {shift_en}) — the household is {wen} — {n} possible shift(s), priority {}",
            hh.priority
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_read_as_ranges_and_lists() {
        assert_eq!(weekday_list(&[0, 1, 2, 3, 4], &WEEKDAYS_EN), "Mon–Fri");
        assert_eq!(weekday_list(&[5, 6], &WEEKDAYS_EN), "Sat, Sun");
        assert_eq!(
            weekday_list(&[0, 2, 3, 4, 6], &WEEKDAYS_VI),
            "Thứ Hai, Thứ Tư–Thứ Sáu, Chủ nhật"
        );
        // 1970-01-01 was a Thursday; 2026-11-28 a Saturday
        assert_eq!(weekday(0), 3);
        assert_eq!(dated(20_785), ("Thứ Bảy 28/11".into(), "Sat 28/11".into()));
    }

    #[test]
    fn days_are_weekdays_only_when_the_weekdays_hold() {
        // 23/11/2026 is a Monday (day 20_780)
        let mon = 20_780;
        let span = (mon, mon + 13);
        let weekdays: BTreeSet<i64> = (0..14).filter(|d| d % 7 < 5).map(|d| mon + d).collect();
        let d = days_label(&weekdays, span);
        assert_eq!((d.en.as_str(), d.except_en.as_str()), ("Mon–Fri", ""));
        let mut one_off = weekdays.clone();
        one_off.remove(&(mon + 2));
        let d = days_label(&one_off, span);
        assert_eq!(
            (d.en.as_str(), d.except_en.as_str()),
            ("Mon–Fri", " except 25/11")
        );
        assert_eq!(d.except_vi, " trừ 25/11");
        // two of the four weekend days: dates, each with its weekday
        let weekend: BTreeSet<i64> = [mon + 5, mon + 13].into();
        let d = days_label(&weekend, span);
        assert_eq!(d.en, "Sat 28/11, Sun 06/12");
        assert_eq!(d.vi, "Thứ Bảy 28/11, Chủ nhật 06/12");
        // consecutive days as a range
        let run: BTreeSet<i64> = [mon, mon + 1, mon + 2, mon + 3, mon + 8].into();
        assert_eq!(days_label(&run, span).en, "Mon 23/11–Thu 26/11, Tue 01/12");
    }
}
