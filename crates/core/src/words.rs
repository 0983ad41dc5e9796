//! The words of the calendar, Vietnamese first and English second: one copy
//! for every page, day list, mail, feed and explanation.
//!
//! ```
//! use chrono::Weekday;
//! use doorstep_core::words;
//!
//! assert_eq!(words::weekday_vi(Weekday::Sun), "Chủ nhật");
//! assert_eq!(words::weekday_vi_in_sentence(Weekday::Tue), "thứ Ba");
//! assert_eq!(words::weekday_en_short(Weekday::Tue), "Tue");
//! assert_eq!(words::month_en(12), "December");
//! ```

use chrono::Weekday;

/// Per weekday from Monday: the Vietnamese name as it starts a line, as it
/// stands inside a sentence, the English name and its short form.
const WEEKDAYS: [(&str, &str, &str, &str); 7] = [
    ("Thứ Hai", "thứ Hai", "Monday", "Mon"),
    ("Thứ Ba", "thứ Ba", "Tuesday", "Tue"),
    ("Thứ Tư", "thứ Tư", "Wednesday", "Wed"),
    ("Thứ Năm", "thứ Năm", "Thursday", "Thu"),
    ("Thứ Sáu", "thứ Sáu", "Friday", "Fri"),
    ("Thứ Bảy", "thứ Bảy", "Saturday", "Sat"),
    ("Chủ nhật", "Chủ nhật", "Sunday", "Sun"),
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn row(day: Weekday) -> (&'static str, &'static str, &'static str, &'static str) {
    WEEKDAYS[day.num_days_from_monday() as usize]
}

/// "Thứ Hai" … "Chủ nhật", as a line or a heading starts.
pub fn weekday_vi(day: Weekday) -> &'static str {
    row(day).0
}

/// "thứ Hai" … "Chủ nhật", inside a sentence.
pub fn weekday_vi_in_sentence(day: Weekday) -> &'static str {
    row(day).1
}

/// "Monday" … "Sunday".
pub fn weekday_en(day: Weekday) -> &'static str {
    row(day).2
}

/// "Mon" … "Sun".
pub fn weekday_en_short(day: Weekday) -> &'static str {
    row(day).3
}

/// "January" … "December" for months 1–12; an empty string otherwise.
pub fn month_en(month: u32) -> &'static str {
    match month {
        1..=12 => MONTHS_EN[month as usize - 1],
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_weekday_has_its_four_names_in_order() {
        let days = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        assert_eq!(weekday_vi(Weekday::Mon), "Thứ Hai");
        assert_eq!(weekday_vi(Weekday::Sat), "Thứ Bảy");
        assert_eq!(weekday_vi(Weekday::Sun), "Chủ nhật");
        for d in days {
            assert_eq!(weekday_en(d).get(..3), Some(weekday_en_short(d)));
            assert_eq!(
                weekday_vi_in_sentence(d).to_lowercase(),
                weekday_vi(d).to_lowercase()
            );
        }
        assert_eq!(month_en(1), "January");
        assert_eq!(month_en(13), "");
    }
}
