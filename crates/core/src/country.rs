//! Countries where residents commonly work abroad, with the time zone that
//! serves as their default. Countries spanning several zones (the United
//! States, Russia…) have none: the zone must then be given.

use crate::domain::fold_vietnamese;

/// A country a resident may be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub code: &'static str,
    /// Vietnamese name.
    pub name_vi: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// The IANA zone most residents there live in, when one zone fits.
    pub default_timezone: Option<&'static str>,
}

const fn c(
    code: &'static str,
    name_vi: &'static str,
    name_en: &'static str,
    tz: Option<&'static str>,
) -> Country {
    Country {
        code,
        name_vi,
        name_en,
        default_timezone: tz,
    }
}

/// The countries known by name.
pub const COUNTRIES: &[Country] = &[
    c("VN", "Việt Nam", "Vietnam", Some("Asia/Ho_Chi_Minh")),
    c("KR", "Hàn Quốc", "South Korea", Some("Asia/Seoul")),
    c("JP", "Nhật Bản", "Japan", Some("Asia/Tokyo")),
    c("TW", "Đài Loan", "Taiwan", Some("Asia/Taipei")),
    c("CN", "Trung Quốc", "China", Some("Asia/Shanghai")),
    c("MY", "Malaysia", "Malaysia", Some("Asia/Kuala_Lumpur")),
    c("SG", "Singapore", "Singapore", Some("Asia/Singapore")),
    c("TH", "Thái Lan", "Thailand", Some("Asia/Bangkok")),
    c("LA", "Lào", "Laos", Some("Asia/Vientiane")),
    c("KH", "Campuchia", "Cambodia", Some("Asia/Phnom_Penh")),
    c("SA", "Ả Rập Xê Út", "Saudi Arabia", Some("Asia/Riyadh")),
    c(
        "AE",
        "Các Tiểu vương quốc Ả Rập Thống nhất",
        "United Arab Emirates",
        Some("Asia/Dubai"),
    ),
    c("QA", "Qatar", "Qatar", Some("Asia/Qatar")),
    c("DE", "Đức", "Germany", Some("Europe/Berlin")),
    c("CZ", "Séc", "Czechia", Some("Europe/Prague")),
    c("PL", "Ba Lan", "Poland", Some("Europe/Warsaw")),
    c("RO", "Romania", "Romania", Some("Europe/Bucharest")),
    c("HU", "Hungary", "Hungary", Some("Europe/Budapest")),
    c("FR", "Pháp", "France", Some("Europe/Paris")),
    c("GB", "Anh", "United Kingdom", Some("Europe/London")),
    c("AU", "Úc", "Australia", None),
    c("US", "Hoa Kỳ", "United States", None),
    c("CA", "Canada", "Canada", None),
    c("RU", "Nga", "Russia", None),
];

/// Finds a country by its code or its Vietnamese or English name (case and
/// diacritics ignored).
pub fn find_country(text: &str) -> Option<&'static Country> {
    if let Some(country) = COUNTRIES.iter().find(|country| country.code == text) {
        return Some(country);
    }
    let wanted = fold_vietnamese(text);
    COUNTRIES.iter().find(|country| {
        fold_vietnamese(country.code) == wanted
            || fold_vietnamese(country.name_vi) == wanted
            || fold_vietnamese(country.name_en) == wanted
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_found_by_code_and_name() {
        assert_eq!(
            find_country("kr").unwrap().default_timezone,
            Some("Asia/Seoul")
        );
        assert_eq!(find_country("Hàn Quốc").unwrap().code, "KR");
        assert_eq!(find_country("nhat ban").unwrap().code, "JP");
        assert_eq!(find_country("Úc").unwrap().default_timezone, None);
        assert!(find_country("Atlantis").is_none());
    }
}
