//! Reasons for households left out, in words: Vietnamese first, English
//! second, naming the binding constraint with its numbers. Times are shown in
//! the instance's time zone.

use crate::format::Reason;
use crate::problem::{Problem, format_minutes};
use crate::search::Sol;

fn hm(p: &Problem, m: i64) -> String {
    format_minutes(m, p.offset)[11..16].to_owned()
}

fn dm(p: &Problem, m: i64) -> String {
    let s = format_minutes(m, p.offset);
    format!("{}/{}", &s[8..10], &s[5..7])
}

/// "12 days from 23/11 to 06/12, 07:30–11:00 and 14:00–20:30".
fn windows_summary(p: &Problem, h: u32) -> (String, String) {
    let w = &p.hhs[h as usize].windows;
    if w.is_empty() {
        return (
            "không có khung giờ nào ở nhà".into(),
            "no window at home is given".into(),
        );
    }
    let mut days: Vec<i64> = w.iter().map(|&(a, _)| p.day(a)).collect();
    days.dedup();
    let mut hours: Vec<(String, String)> = w.iter().map(|&(a, b)| (hm(p, a), hm(p, b))).collect();
    hours.sort();
    hours.dedup();
    let shown: Vec<String> = hours
        .iter()
        .take(4)
        .map(|(a, b)| format!("{a}–{b}"))
        .collect();
    let more = if hours.len() > 4 {
        format!(" (+{})", hours.len() - 4)
    } else {
        String::new()
    };
    let (first, last) = (w[0].0, w.last().map_or(w[0].0, |x| x.0));
    let range = if days.len() == 1 {
        dm(p, first)
    } else {
        format!("{}–{}", dm(p, first), dm(p, last))
    };
    (
        format!(
            "chỉ ở nhà {} ngày ({range}), giờ {}{more}",
            days.len(),
            shown.join(", ")
        ),
        format!(
            "home on {} day(s) ({range}) at {}{more}",
            days.len(),
            shown.join(", ")
        ),
    )
}

fn shift_label(p: &Problem, s: u32) -> String {
    let sh = &p.shifts[s as usize];
    format!(
        "{} {} {}–{}",
        p.vols[sh.volunteer as usize].id,
        dm(p, sh.start),
        hm(p, sh.start),
        hm(p, sh.end)
    )
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
        let mut shift_hours: Vec<String> = Vec::new();
        for &v in &hh.eligible {
            for &s in &p.vols[v as usize].shifts {
                let sh = &p.shifts[s as usize];
                let label = format!("{}–{}", hm(p, sh.start), hm(p, sh.end));
                if !shift_hours.contains(&label) {
                    shift_hours.push(label);
                }
            }
        }
        shift_hours.sort();
        let more = if shift_hours.len() > 4 {
            format!(" (+{})", shift_hours.len() - 4)
        } else {
            String::new()
        };
        shift_hours.truncate(4);
        let hours = format!("{}{more}", shift_hours.join(", "));
        let n_shift: usize = hh
            .eligible
            .iter()
            .map(|&v| p.vols[v as usize].shifts.len())
            .sum();
        // the longest usable overlap of a window and a shift, travel included
        let mut best: Option<i64> = None;
        for &v in &hh.eligible {
            let vol = &p.vols[v as usize];
            let loc = if hh.remote { vol.home } else { h };
            let tt = p.tt(vol.home, loc);
            for &s in &vol.shifts {
                let sh = &p.shifts[s as usize];
                for &(wa, wb) in &hh.windows {
                    let len = wb.min(sh.end - tt) - wa.max(sh.start + tt);
                    if len > 0 && best.is_none_or(|b| len > b) {
                        best = Some(len);
                    }
                }
            }
        }
        let (vi, en) = match best {
            _ if hh.windows.is_empty() => (
                format!("{wvi}; {n_vol} thành viên đủ kỹ năng nhưng không có giờ nào để đến"),
                format!("{wen}; {n_vol} volunteer(s) have the skills but there is no time to come"),
            ),
            None => (
                format!(
                    "{wvi}; {n_shift} ca của {n_vol} thành viên đủ kỹ năng (giờ {hours}) không ca nào trùng những giờ đó"
                ),
                format!(
                    "{wen}; none of the {n_shift} shifts of the {n_vol} able volunteer(s) (at {hours}) overlaps those hours"
                ),
            ),
            Some(len) => (
                format!(
                    "{wvi}; chỗ trùng dài nhất với {n_shift} ca của {n_vol} thành viên đủ kỹ năng (giờ {hours}) chỉ {len} phút (đã trừ đường đi), cần {} phút",
                    hh.service
                ),
                format!(
                    "{wen}; the longest overlap with the {n_shift} shifts of the {n_vol} able volunteer(s) (at {hours}) is {len} min after travel, the visit needs {} min",
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
                "{wvi}; chỉ vừa một ca nếu thăm sau nửa đêm, mà số lượt/ngày được tính theo ngày bắt đầu ca"
            ),
            format!(
                "{wen}; it only fits a shift after midnight, and daily caps count the day a shift starts"
            ),
        );
    }
    let (mut higher, mut equal, mut lower, mut full) = (0, 0, 0, 0);
    for &s in &shifts {
        let r = &sol.routes[s as usize];
        if r.len() as u32 >= p.shifts[s as usize].cap {
            full += 1;
        }
        for &c in r {
            let q = p.hhs[p.cands[c as usize].hh as usize].priority;
            match q.cmp(&hh.priority) {
                std::cmp::Ordering::Greater => higher += 1,
                std::cmp::Ordering::Equal => equal += 1,
                std::cmp::Ordering::Less => lower += 1,
            }
        }
    }
    let n = shifts.len();
    let list: Vec<String> = shifts.iter().take(3).map(|&s| shift_label(p, s)).collect();
    let list = if n > 3 {
        format!("{}, …", list.join(", "))
    } else {
        list.join(", ")
    };
    let total = higher + equal + lower;
    let vi = format!(
        "{wvi}; có {n} ca khả thi ({list}) nhưng các ca đó đã kín với {total} lượt thăm khác ({higher} hộ ưu tiên cao hơn, {equal} bằng, {lower} thấp hơn), {full}/{n} ca đã đủ số lượt/ngày"
    );
    let en = format!(
        "{wen}; its {n} possible shift(s) ({list}) are taken by {total} other visits ({higher} of higher priority, {equal} equal, {lower} lower); {full} of {n} are at the daily cap"
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
    let when = format!(
        "{} {}–{}",
        dm(p, start),
        hm(p, start),
        hm(p, start + hh.service)
    );
    let pinned = p.pinned[h as usize].is_some();
    let (wvi, wen) = windows_summary(p, h);
    if pinned {
        return (
            format!("được ghim: {vol} thăm {when}"),
            format!("pinned: {vol} visits {when}"),
        );
    }
    (
        format!(
            "{vol} thăm {when} (ca {}); hộ {wvi}; có {n} ca khả thi, ưu tiên {}",
            shift_label(p, s),
            hh.priority
        ),
        format!(
            "{vol} visits {when} (shift {}); the household is {wen}; {n} possible shift(s), priority {}",
            shift_label(p, s),
            hh.priority
        ),
    )
}
