//! Rules in plain words, Vietnamese or English, for the pages, lists and
//! emails: "Ở nhà quanh rằm (âm lịch 13–18), 07:00–20:00, trừ 90 phút quanh
//! nước lớn (trạm lach-bang)".

use chrono::{NaiveDate, NaiveDateTime, Weekday};
use chrono_tz::Tz;
use doorstep_lunar::{LunarMonthDay, Phase};
use doorstep_tide::ExtremeKind;

use super::parse::clock_text;
use super::{Blackout, Rule, Term, TideLevel};
use crate::country::COUNTRIES;
use crate::domain::VisitMode;

/// The language of the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Vietnamese (the users' language).
    Vi,
    /// English.
    En,
}

/// A rule in words: its mode, its terms (joined by "hoặc" / "or") and its
/// exceptions ("trừ" / "except").
pub fn describe(rule: &Rule, lang: Lang) -> String {
    let mode = match (rule.mode, lang) {
        (VisitMode::InPerson, Lang::Vi) => "Ở nhà",
        (VisitMode::InPerson, Lang::En) => "At home",
        (VisitMode::Remote, Lang::Vi) => "Gọi từ xa vào",
        (VisitMode::Remote, Lang::En) => "By phone or video",
    };
    let or = match lang {
        Lang::Vi => "; hoặc ",
        Lang::En => "; or ",
    };
    let when: Vec<String> = rule.when.iter().map(|t| describe_term(t, lang)).collect();
    let mut out = format!("{mode} {}", when.join(or));
    if !rule.except.is_empty() {
        let except: Vec<String> = rule.except.iter().map(|t| describe_term(t, lang)).collect();
        let (word, and) = match lang {
            Lang::Vi => ("trừ", " và "),
            Lang::En => ("except", " and "),
        };
        out.push_str(&format!(", {word} {}", except.join(and)));
    }
    out
}

/// A blackout period in words: "bão số 3 (từ 05/09/2026 đến 07/09/2026):
/// ngừng mọi cuộc gặp".
pub fn describe_blackout(blackout: &Blackout, lang: Lang) -> String {
    let effect = match (blackout.mode, lang) {
        (None, Lang::Vi) => "ngừng mọi cuộc gặp",
        (None, Lang::En) => "no visits or calls",
        (Some(VisitMode::InPerson), Lang::Vi) => "ngừng đến nhà",
        (Some(VisitMode::InPerson), Lang::En) => "no home visits",
        (Some(VisitMode::Remote), Lang::Vi) => "ngừng gọi từ xa",
        (Some(VisitMode::Remote), Lang::En) => "no remote calls",
    };
    let term = Term {
        label: None,
        ..blackout.term.clone()
    };
    format!(
        "{} ({}): {effect}",
        blackout.label,
        describe_term(&term, lang)
    )
}

/// One term in words, its parts joined by commas.
pub fn describe_term(term: &Term, lang: Lang) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some((a, b)) = term.dates {
        parts.push(dates(a, b, lang));
    }
    if let Some((a, b)) = term.between {
        parts.push(between(a, b, lang));
    }
    if let Some((a, b)) = term.lunar_dates {
        parts.push(lunar_dates(a, b, lang));
    }
    if let Some((a, b)) = term.lunar_days {
        parts.push(lunar_days(a, b, lang));
    }
    if let Some(am) = term.around_moon {
        parts.push(around_moon(am.phase, am.days_before, am.days_after, lang));
    }
    if let Some(days) = &term.weekdays {
        parts.push(weekdays(days, lang));
    }
    if let Some(h) = term.hours {
        let mut s = format!("{}–{}", clock_text(h.start()), clock_text(h.end()));
        if h.crosses_midnight() && h.end() != 0 {
            s.push_str(match lang {
                Lang::Vi => " (qua đêm)",
                Lang::En => " (overnight)",
            });
        }
        if let Some(tz) = term.timezone {
            s.push(' ');
            s.push_str(&zone_words(tz, lang));
        }
        parts.push(s);
    } else if let Some(tz) = term.timezone
        && (term.has_day_keys() || term.between.is_some())
    {
        parts.push(zone_words(tz, lang));
    }
    if let Some(t) = &term.tide {
        parts.push(tide(&t.station, t.level, lang));
    }
    let text = parts.join(", ");
    match &term.label {
        Some(label) => format!("{label} ({text})"),
        None => text,
    }
}

fn zone_words(tz: Tz, lang: Lang) -> String {
    let country = COUNTRIES
        .iter()
        .find(|c| c.default_timezone == Some(tz.name()));
    match (country, lang) {
        (Some(c), Lang::Vi) => format!("giờ {}", c.name_vi),
        (Some(c), Lang::En) => format!("{} time", c.name_en),
        (None, Lang::Vi) => format!("giờ {}", tz.name()),
        (None, Lang::En) => format!("{} time", tz.name()),
    }
}

fn vi_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn dates(a: NaiveDate, b: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Vi if a == b => format!("ngày {}", vi_date(a)),
        Lang::Vi => format!("từ {} đến {}", vi_date(a), vi_date(b)),
        Lang::En if a == b => format!("on {a}"),
        Lang::En => format!("from {a} to {b}"),
    }
}

fn between(a: NaiveDateTime, b: NaiveDateTime, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!(
            "từ {} đến {}",
            a.format("%H:%M %d/%m/%Y"),
            b.format("%H:%M %d/%m/%Y")
        ),
        Lang::En => format!(
            "from {} to {}",
            a.format("%Y-%m-%d %H:%M"),
            b.format("%Y-%m-%d %H:%M")
        ),
    }
}

fn lunar_dates(a: LunarMonthDay, b: LunarMonthDay, lang: Lang) -> String {
    let tet = a.month == 12 && b.month == 1;
    match lang {
        Lang::Vi => format!(
            "từ {}/{} đến {}/{} âm lịch{}",
            a.day,
            a.month,
            b.day,
            b.month,
            if tet { " (dịp Tết)" } else { "" }
        ),
        Lang::En => format!(
            "from lunar {}/{} to {}/{}{}",
            a.day,
            a.month,
            b.day,
            b.month,
            if tet { " (the Tết season)" } else { "" }
        ),
    }
}

fn lunar_days(a: u8, b: u8, lang: Lang) -> String {
    let full = if a <= b {
        a <= 15 && 15 <= b
    } else {
        a <= 15 || 15 <= b
    };
    let new = if a <= b { a == 1 } else { true };
    match lang {
        Lang::Vi if a == b && a == 15 => "ngày rằm (15 âm lịch)".to_owned(),
        Lang::Vi if a == b && a == 1 => "ngày mùng 1 âm lịch".to_owned(),
        Lang::Vi if a == b => format!("ngày {a} âm lịch"),
        Lang::Vi if full => format!("quanh rằm (âm lịch {a}–{b})"),
        Lang::Vi if new => format!("quanh mùng 1 (âm lịch {a}–{b})"),
        Lang::Vi => format!("ngày {a}–{b} âm lịch"),
        Lang::En if a == b => format!("lunar day {a}"),
        Lang::En if full => format!("around the full moon (lunar days {a}–{b})"),
        Lang::En if new => format!("around the new moon (lunar days {a}–{b})"),
        Lang::En => format!("lunar days {a}–{b}"),
    }
}

fn around_moon(phase: Phase, before: u8, after: u8, lang: Lang) -> String {
    let name = match (phase, lang) {
        (Phase::Full, Lang::Vi) => "trăng tròn",
        (Phase::New, Lang::Vi) => "trăng non",
        (Phase::FirstQuarter, Lang::Vi) => "thượng huyền",
        (Phase::LastQuarter, Lang::Vi) => "hạ huyền",
        (Phase::Full, Lang::En) => "the full moon",
        (Phase::New, Lang::En) => "the new moon",
        (Phase::FirstQuarter, Lang::En) => "the first quarter",
        (Phase::LastQuarter, Lang::En) => "the last quarter",
    };
    match lang {
        Lang::Vi if before == 0 && after == 0 => format!("ngày {name}"),
        Lang::Vi => format!("từ {before} ngày trước đến {after} ngày sau ngày {name}"),
        Lang::En if before == 0 && after == 0 => format!("the day of {name}"),
        Lang::En => format!("from {before} days before to {after} days after {name}"),
    }
}

fn weekday_name(d: Weekday, lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => crate::words::weekday_vi_in_sentence(d),
        Lang::En => crate::words::weekday_en(d),
    }
}

/// Days of the week in order, runs of three or more as a range.
fn weekdays(days: &[Weekday], lang: Lang) -> String {
    let mut set = [false; 7];
    for d in days {
        set[d.num_days_from_monday() as usize] = true;
    }
    if set.iter().all(|&x| x) {
        return match lang {
            Lang::Vi => "hằng ngày".to_owned(),
            Lang::En => "every day".to_owned(),
        };
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < 7 {
        if !set[i] {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < 7 && set[j + 1] {
            j += 1;
        }
        let name =
            |k: usize| weekday_name(Weekday::try_from(k as u8).unwrap_or(Weekday::Mon), lang);
        if j - i >= 2 {
            parts.push(format!("{}–{}", name(i), name(j)));
        } else {
            parts.extend((i..=j).map(|k| name(k).to_owned()));
        }
        i = j + 1;
    }
    parts.join(", ")
}

fn metres(x: f64, lang: Lang) -> String {
    let s = format!("{x}");
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
    }
}

fn tide(station: &str, level: TideLevel, lang: Lang) -> String {
    match (level, lang) {
        (TideLevel::Above(x), Lang::Vi) => {
            format!("khi nước trên {} m (trạm {station})", metres(x, lang))
        }
        (TideLevel::Above(x), Lang::En) => {
            format!(
                "while the water is above {} m (station {station})",
                metres(x, lang)
            )
        }
        (TideLevel::Below(x), Lang::Vi) => {
            format!("khi nước dưới {} m (trạm {station})", metres(x, lang))
        }
        (TideLevel::Below(x), Lang::En) => {
            format!(
                "while the water is below {} m (station {station})",
                metres(x, lang)
            )
        }
        (
            TideLevel::Near {
                kind,
                within_minutes,
            },
            Lang::Vi,
        ) => format!(
            "{within_minutes} phút quanh {} (trạm {station})",
            match kind {
                ExtremeKind::High => "nước lớn",
                ExtremeKind::Low => "nước ròng",
            }
        ),
        (
            TideLevel::Near {
                kind,
                within_minutes,
            },
            Lang::En,
        ) => format!(
            "within {within_minutes} minutes of {} (station {station})",
            match kind {
                ExtremeKind::High => "high water",
                ExtremeKind::Low => "low water",
            }
        ),
    }
}
