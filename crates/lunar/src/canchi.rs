//! Can chi (the sexagenary cycle): names of years, months and days.

use chrono::NaiveDate;

use crate::time::day_number;

/// The ten heavenly stems (thiên can), Giáp first.
pub const STEMS: [&str; 10] = [
    "Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý",
];

/// The twelve earthly branches (địa chi), Tý first.
pub const BRANCHES: [&str; 12] = [
    "Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi",
];

fn name(stem: i64, branch: i64) -> String {
    format!(
        "{} {}",
        STEMS[stem.rem_euclid(10) as usize],
        BRANCHES[branch.rem_euclid(12) as usize]
    )
}

/// The can chi name of a lunar year, e.g. `year_name(2026)` is "Bính Ngọ".
///
/// ```
/// assert_eq!(doorstep_lunar::year_name(2026), "Bính Ngọ");
/// assert_eq!(doorstep_lunar::year_name(1984), "Giáp Tý");
/// ```
pub fn year_name(year: i32) -> String {
    let y = i64::from(year);
    name(y + 6, y + 8)
}

/// The can chi name of month `month` (1–12) of lunar year `year`.
///
/// Month 1 is always a Dần month; its stem follows the year's stem (the
/// "ngũ hổ độn" rule). A leap month takes the name of the month it repeats.
///
/// ```
/// // Month 1 of Bính Ngọ (2026) is Canh Dần.
/// assert_eq!(doorstep_lunar::month_name(2026, 1), "Canh Dần");
/// ```
pub fn month_name(year: i32, month: u8) -> String {
    let y = i64::from(year);
    let m = i64::from(month);
    name(y * 12 + m + 3, m + 1)
}

/// The can chi name of a civil day.
///
/// ```
/// use chrono::NaiveDate;
/// // 2000-01-01 was a Mậu Ngọ day.
/// let date = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
/// assert_eq!(doorstep_lunar::day_name(date), "Mậu Ngọ");
/// ```
pub fn day_name(date: NaiveDate) -> String {
    let jdn = i64::from(day_number(date));
    name(jdn + 9, jdn + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_years() {
        assert_eq!(year_name(2026), "Bính Ngọ");
        assert_eq!(year_name(2025), "Ất Tỵ");
        assert_eq!(year_name(2024), "Giáp Thìn");
        assert_eq!(year_name(1968), "Mậu Thân");
        assert_eq!(year_name(1985), "Ất Sửu");
        assert_eq!(year_name(1800), "Canh Thân");
    }

    #[test]
    fn known_months() {
        // Giáp and Kỷ years start with Bính Dần; Ất and Canh with Mậu Dần.
        assert_eq!(month_name(2024, 1), "Bính Dần");
        assert_eq!(month_name(2025, 1), "Mậu Dần");
        assert_eq!(month_name(2025, 12), "Kỷ Sửu");
        assert_eq!(month_name(2026, 11), "Canh Tý");
    }

    #[test]
    fn known_days() {
        // Tết Giáp Thìn, 2024-02-10, was a Giáp Thìn day.
        assert_eq!(
            day_name(NaiveDate::from_ymd_opt(2024, 2, 10).unwrap()),
            "Giáp Thìn"
        );
    }
}
