//! People's names, phone numbers, needs and the consent text of the
//! synthetic data: one set for the demo communes and the province.

use chrono::{DateTime, Utc};
use doorstep_core::NeedStep;

use crate::rng::Rng;

const FAMILY: &[&str] = &[
    "Nguyễn", "Lê", "Trần", "Phạm", "Hoàng", "Mai", "Đỗ", "Bùi", "Vũ", "Lương", "Trịnh", "Đinh",
];
const FAMILY_MOUNTAIN: &[&str] = &["Lò", "Vi", "Lang", "Hà", "Cầm", "Lương", "Ngân", "Lữ"];
const MIDDLE_MALE: &[&str] = &["Văn", "Đức", "Minh", "Hữu", "Xuân", "Quang", "Công"];
const MIDDLE_FEMALE: &[&str] = &["Thị", "Thị", "Ngọc", "Thu", "Thanh", "Hồng"];
const GIVEN_MALE: &[&str] = &[
    "Hùng", "Dũng", "Tuấn", "Hải", "Nam", "Bình", "Cường", "Thắng", "Long", "Sơn", "Tùng", "Đức",
    "Lâm", "Quý",
];
const GIVEN_FEMALE: &[&str] = &[
    "Lan", "Hoa", "Hương", "Thủy", "Hằng", "Nga", "Mai", "Linh", "Huyền", "Yến", "Trang", "Hiền",
    "Loan", "Nhung",
];

/// The consent text the residents agreed to.
pub const CONSENT_TEXT: &str = "Tôi đồng ý để Tổ công nghệ số cộng đồng lưu họ tên, năm sinh, số điện thoại \
và thời gian có thể gặp của tôi để hẹn hỗ trợ sử dụng dịch vụ số (mẫu 01/2025).";

/// A family's name (mountain families have their own family names).
pub fn family_name(rng: &mut Rng, mountain: bool) -> &'static str {
    let names: &'static [&'static str] = if mountain { FAMILY_MOUNTAIN } else { FAMILY };
    names[rng.below(names.len())]
}

/// A full name: family, middle and given name (mountain families have
/// their own family names).
pub fn person(rng: &mut Rng, male: bool, mountain: bool) -> String {
    let family = rng.pick(if mountain { FAMILY_MOUNTAIN } else { FAMILY });
    let (middle, given) = if male {
        (MIDDLE_MALE, GIVEN_MALE)
    } else {
        (MIDDLE_FEMALE, GIVEN_FEMALE)
    };
    format!("{family} {} {}", rng.pick(middle), rng.pick(given))
}

/// Whether the `index`-th person of a household is a man, and their year of
/// birth: the head of a fishing household is a skipper or crewman.
pub fn sex_and_birth_year(rng: &mut Rng, index: usize, fishing: bool) -> (bool, i32) {
    let male = if index == 0 {
        fishing || !rng.chance(20)
    } else {
        rng.chance(50)
    };
    let birth_year = if index == 0 && fishing {
        1965 + rng.below(30) as i32
    } else if index == 0 {
        1950 + rng.below(40) as i32
    } else {
        1960 + rng.below(48) as i32
    };
    (male, birth_year)
}

/// A Vietnamese mobile number.
pub fn phone(rng: &mut Rng) -> String {
    let prefix = rng.pick(&[
        "091", "094", "097", "098", "086", "036", "038", "039", "083",
    ]);
    format!("{prefix}{:07}", rng.next_u64() % 10_000_000)
}

/// The steps a resident needs, the older more often.
pub fn wanted_steps(rng: &mut Rng, older: bool) -> Vec<NeedStep> {
    let mut steps = Vec::new();
    if rng.chance(if older { 70 } else { 45 }) {
        steps.push(NeedStep::VneidInstall);
        steps.push(NeedStep::VneidLevel2);
    } else if rng.chance(30) {
        steps.push(NeedStep::VneidLevel2);
    }
    if rng.chance(35) {
        steps.push(NeedStep::Documents);
    }
    if rng.chance(if older { 50 } else { 30 }) {
        steps.push(NeedStep::EPayment);
    }
    if rng.chance(if older { 60 } else { 25 }) {
        steps.push(NeedStep::ScamAwareness);
    }
    if rng.chance(20) {
        steps.push(NeedStep::PublicServices);
    }
    steps
}

/// When the campaign began: the consents and records are dated from it.
pub fn campaign_start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-09-15T02:00:00Z")
        .expect("a valid instant")
        .with_timezone(&Utc)
}
