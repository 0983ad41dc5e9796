//! Closed vocabularies of the domain, with their stored codes and their
//! Vietnamese and English labels.

use serde::{Deserialize, Serialize};

/// A closed vocabulary: its values, each with the code that stores it.
///
/// The store keeps a vocabulary's value as its code and refuses to read back
/// a code the vocabulary does not have.
pub trait Vocabulary: Copy + Send + Sync + 'static {
    /// The vocabulary's name, for error messages.
    const NAME: &'static str;

    /// Every value, in order.
    fn all() -> &'static [Self];

    /// The code stored in the database and used in JSON.
    fn code(self) -> &'static str;

    /// The value of a stored code, exactly as stored; `None` for any other
    /// text.
    fn from_code(code: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.code() == code)
    }
}

/// Declares a closed vocabulary: a stored code, a Vietnamese label, an English
/// label and extra spellings accepted on input (for example from a register).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:literal, $vi:literal, $en:literal, [$($alias:literal),*];)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code stored in the database and used in JSON.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// The Vietnamese label.
            pub fn label_vi(self) -> &'static str {
                match self { $($name::$variant => $vi,)+ }
            }

            /// The English label.
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }

            /// Parses a code, a Vietnamese or English label, or a known
            /// alias; case, spacing and Vietnamese diacritics are ignored.
            pub fn parse(text: &str) -> Option<Self> {
                // Stored values are codes: read them without folding.
                $(
                    if text == $code {
                        return Some($name::$variant);
                    }
                )+
                let wanted = fold_vietnamese(text);
                $(
                    if [$code, $vi, $en $(, $alias)*].iter().any(|s| fold_vietnamese(s) == wanted) {
                        return Some($name::$variant);
                    }
                )+
                None
            }

            /// The accepted codes, for error messages.
            pub fn codes() -> String {
                [$($code),+].join(", ")
            }
        }

        impl Vocabulary for $name {
            const NAME: &'static str = stringify!($name);

            fn all() -> &'static [Self] {
                $name::ALL
            }

            fn code(self) -> &'static str {
                $name::code(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

vocabulary! {
    /// Where a resident is, which decides how and when they can be reached.
    Presence {
        /// Lives at home.
        Home => "home", "Ở nhà", "At home", ["o nha", "tai nha"];
        /// Fishing crew, at sea for weeks.
        AtSea => "at_sea", "Đi biển", "At sea", ["bam bien", "di tau"];
        /// Works elsewhere in Vietnam.
        WorkingAway => "working_away", "Làm ăn xa", "Working away", ["di lam xa", "lam xa"];
        /// Lives or works abroad; reached remotely in their time zone.
        Abroad => "abroad", "Ở nước ngoài", "Abroad", ["nuoc ngoai", "xuat khau lao dong", "xkld"];
    }
}

vocabulary! {
    /// A step of the digital-skills pipeline.
    NeedStep {
        /// Install the VNeID app.
        VneidInstall => "vneid_install", "Cài đặt VNeID", "Install VNeID", ["cai vneid", "vneid"];
        /// Activate level-2 electronic identification.
        VneidLevel2 => "vneid_level2", "Định danh điện tử mức 2", "VNeID level 2", ["muc 2", "dinh danh muc 2", "vneid muc 2"];
        /// Integrate papers (driving licence, health insurance…) into VNeID.
        Documents => "documents", "Tích hợp giấy tờ", "Integrate documents", ["giay to", "tich hop giay to"];
        /// Use electronic payment.
        EPayment => "e_payment", "Thanh toán điện tử", "E-payment", ["thanh toan", "epayment", "thanh toan khong tien mat"];
        /// Recognise and avoid online scams.
        ScamAwareness => "scam_awareness", "Phòng chống lừa đảo trực tuyến", "Scam awareness", ["lua dao", "phong chong lua dao"];
        /// Use online public services.
        PublicServices => "public_services", "Dịch vụ công trực tuyến", "Online public services", ["dich vu cong", "dvc"];
    }
}

impl NeedStep {
    /// The volunteer skill that covers this step.
    pub fn skill(self) -> Skill {
        match self {
            NeedStep::VneidInstall | NeedStep::VneidLevel2 | NeedStep::Documents => Skill::Vneid,
            NeedStep::EPayment => Skill::EPayment,
            NeedStep::ScamAwareness => Skill::ScamAwareness,
            NeedStep::PublicServices => Skill::PublicServices,
        }
    }
}

vocabulary! {
    /// A volunteer's skill; coarser than the need steps.
    Skill {
        /// Every VNeID step.
        Vneid => "vneid", "VNeID", "VNeID", [];
        /// Electronic payment.
        EPayment => "e_payment", "Thanh toán điện tử", "E-payment", [];
        /// Scam awareness.
        ScamAwareness => "scam_awareness", "Phòng chống lừa đảo", "Scam awareness", [];
        /// Online public services.
        PublicServices => "public_services", "Dịch vụ công trực tuyến", "Online public services", [];
    }
}

vocabulary! {
    /// The status of a need.
    NeedStatus {
        /// Still to do.
        Open => "open", "Chưa xong", "Open", [];
        /// Done.
        Done => "done", "Đã xong", "Done", [];
        /// Does not apply to this resident.
        NotApplicable => "not_applicable", "Không áp dụng", "Not applicable", [];
    }
}

vocabulary! {
    /// A member's role in a team.
    MemberRole {
        /// The team leader (tổ trưởng).
        Leader => "leader", "Tổ trưởng", "Team leader", [];
        /// A volunteer (thành viên).
        Volunteer => "volunteer", "Thành viên", "Volunteer", [];
    }
}

vocabulary! {
    /// What a signed-in user may do.
    UserRole {
        /// Plans a team's visits.
        Leader => "leader", "Tổ trưởng", "Team leader", [];
        /// Receives and records visits.
        Volunteer => "volunteer", "Tình nguyện viên", "Volunteer", [];
        /// Audits coverage and unmet households of an area and below.
        Official => "official", "Cán bộ", "Official", [];
        /// Administers every team and area.
        Admin => "admin", "Quản trị", "Administrator", [];
    }
}

vocabulary! {
    /// Where a plan stands.
    PlanStatus {
        /// Proposed; only the leader sees it.
        Draft => "draft", "Bản nháp", "Draft", [];
        /// The volunteers' lists and feeds show it.
        Published => "published", "Đã công bố", "Published", [];
        /// Replaced by a later published plan of the same days.
        Superseded => "superseded", "Đã thay thế", "Superseded", [];
    }
}

vocabulary! {
    /// What a scheduled message is.
    MailKind {
        /// The morning's visit list, to each member with visits that day.
        Daily => "daily", "Danh sách buổi sáng", "Morning list", [];
        /// The evening before: tomorrow's visits.
        Evening => "evening", "Nhắc tối hôm trước", "Evening reminder", [];
        /// The coming week, for the leader.
        WeeklyDigest => "weekly_digest", "Tổng hợp tuần cho tổ trưởng", "Weekly digest", [];
        /// A list already sent has changed.
        Update => "update", "Cập nhật lịch", "Update", [];
    }
}

vocabulary! {
    /// Where a message of the outbox stands.
    OutboxStatus {
        /// Waiting to be sent (again, after a temporary failure).
        Pending => "pending", "Chờ gửi", "Pending", [];
        /// Accepted by the mail server.
        Sent => "sent", "Đã gửi", "Sent", [];
        /// Refused for good (a bad address, a permanent SMTP error).
        Failed => "failed", "Gửi lỗi", "Failed", [];
        /// Not sent: the member has no e-mail address.
        NoAddress => "no_address", "Thiếu địa chỉ e-mail", "No address", [];
    }
}

vocabulary! {
    /// A language a member reads their messages in.
    Language {
        /// Vietnamese, the default.
        Vi => "vi", "Tiếng Việt", "Vietnamese", ["vietnamese", "tieng viet"];
        /// English.
        En => "en", "Tiếng Anh", "English", ["english", "tieng anh"];
    }
}

vocabulary! {
    /// Why a household (or one of its residents) is left out of a plan.
    UnmetReason {
        /// No time when the household is reachable and an able volunteer is free.
        NoWindow => "no_window", "Không có khung giờ phù hợp", "No matching time", [];
        /// No volunteer has the skills (or makes video calls).
        NoSkill => "no_skill", "Không có người đủ kỹ năng", "Nobody with the skills", [];
        /// It fits alone, but the volunteers' time went to other households.
        NoCapacity => "no_capacity", "Không đủ người/thời gian", "Not enough volunteer time", [];
        /// The resident's consent is not recorded.
        NoConsent => "no_consent", "Chưa có đồng ý của người dân", "No recorded consent", [];
        /// The resident refused the help the remaining needs call for.
        Refused => "refused", "Người dân từ chối", "Refused", [];
        /// Nobody was met at the door after one or more attempts.
        NotHome => "not_home", "Không gặp sau các lần đến", "Not at home when visited", [];
        /// The remaining needs wait for an appointment (VNeID level 2 at the police).
        AwaitingAppointment => "awaiting_appointment", "Đang chờ lịch hẹn", "Waiting for an appointment", [];
        /// No published plan has a visit for it yet.
        NotPlanned => "not_planned", "Chưa được xếp lịch", "Not yet planned", [];
        /// Not met yet, and a visit is planned for a day to come.
        Scheduled => "scheduled", "Đã có lịch thăm, chưa đến ngày", "A visit is planned", [];
    }
}

vocabulary! {
    /// What happened at a visit, for one resident (one need, or every need
    /// the visit was for).
    OutcomeResult {
        /// The help was given: the need is done.
        Done => "done", "Đã xong", "Done", ["xong", "hoan thanh"];
        /// The resident was not there: the attempt counts.
        NotHome => "not_home", "Không có nhà", "Not at home", ["vang nha", "khong gap"];
        /// The resident did not want the help.
        Refused => "refused", "Từ chối", "Refused", ["tu choi", "khong dong y"];
        /// The step needs an appointment elsewhere (VNeID level 2: the police).
        NeedsAppointment => "needs_appointment", "Cần hẹn lịch", "Needs an appointment", ["can hen", "hen cong an"];
        /// The resident asked for another time: the attempt counts.
        Reschedule => "reschedule", "Hẹn lại", "Reschedule", ["hen lai", "doi lich"];
    }
}

vocabulary! {
    /// A level of the administrative tree (since 2025: two levels of local government).
    AreaLevel {
        /// Province or centrally-run city.
        Province => "province", "Tỉnh", "Province", [];
        /// Commune, ward or special zone.
        Commune => "commune", "Xã/phường", "Commune/ward", [];
        /// Village, hamlet or residential group.
        Village => "village", "Thôn/tổ dân phố", "Village", [];
    }
}

vocabulary! {
    /// How a visit happens.
    VisitMode {
        /// At the household.
        InPerson => "in_person", "Đến nhà", "In person", [];
        /// By phone or video call.
        Remote => "remote", "Từ xa", "Remote", [];
    }
}

vocabulary! {
    /// Where a visit stands.
    VisitStatus {
        /// Proposed by the planner.
        Proposed => "proposed", "Đề xuất", "Proposed", [];
        /// Confirmed by the leader.
        Confirmed => "confirmed", "Đã xác nhận", "Confirmed", [];
        /// Happened.
        Done => "done", "Đã thăm", "Done", [];
        /// Nobody was there.
        Missed => "missed", "Không gặp", "Missed", [];
        /// Called off.
        Cancelled => "cancelled", "Đã huỷ", "Cancelled", [];
    }
}

vocabulary! {
    /// Whether a resident's consent was given or withdrawn.
    ConsentAction {
        /// Consent recorded: the team may keep their data and plan visits.
        Given => "given", "Đồng ý", "Given", [];
        /// Consent withdrawn: no more visits are planned.
        Withdrawn => "withdrawn", "Rút lại đồng ý", "Withdrawn", [];
    }
}

vocabulary! {
    /// Where one team's job of an area run stands.
    JobStatus {
        /// Waiting for a worker.
        Queued => "queued", "Đang chờ", "Queued", [];
        /// Claimed by a worker until its lease runs out.
        Running => "running", "Đang lập lịch", "Running", [];
        /// Planned (or nothing to plan), saved.
        Done => "done", "Đã xong", "Done", [];
        /// Failed for good; the error says why.
        Failed => "failed", "Lỗi", "Failed", [];
    }
}

vocabulary! {
    /// Where an area run stands.
    RunStatus {
        /// Some jobs are queued or running.
        Running => "running", "Đang chạy", "Running", [];
        /// Every job is done or failed.
        Finished => "finished", "Đã xong", "Finished", [];
    }
}

/// Folds text for matching: lower case, Vietnamese diacritics removed
/// (đ → d), runs of spaces, `-` and `_` made one space, ends trimmed.
pub fn fold_vietnamese(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        let base = strip_mark(c);
        if base.is_whitespace() || base == '_' || base == '-' {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(base);
    }
    out
}

fn strip_mark(c: char) -> char {
    const GROUPS: &[(char, &str)] = &[
        ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
        ('e', "èéẻẽẹêềếểễệ"),
        ('i', "ìíỉĩị"),
        ('o', "òóỏõọôồốổỗộơờớởỡợ"),
        ('u', "ùúủũụưừứửữự"),
        ('y', "ỳýỷỹỵ"),
        ('d', "đ"),
    ];
    GROUPS
        .iter()
        .find(|(_, marked)| marked.contains(c))
        .map_or(c, |(base, _)| *base)
}

impl OutcomeResult {
    /// Whether the resident was met: a visit with such a result is done, one
    /// with none is missed.
    pub fn met(self) -> bool {
        matches!(
            self,
            OutcomeResult::Done | OutcomeResult::Refused | OutcomeResult::NeedsAppointment
        )
    }

    /// Whether the result counts as an attempt that found nobody (or not the
    /// right time), and calls for the resident's next windows.
    pub fn attempt(self) -> bool {
        matches!(self, OutcomeResult::NotHome | OutcomeResult::Reschedule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_marks_and_separators() {
        assert_eq!(fold_vietnamese("  Đi  Biển "), "di bien");
        assert_eq!(fold_vietnamese("Mã_hộ"), "ma ho");
        assert_eq!(fold_vietnamese("Ở NƯỚC NGOÀI"), "o nuoc ngoai");
    }

    #[test]
    fn every_code_and_label_parses_back() {
        for p in Presence::ALL {
            assert_eq!(Presence::parse(p.code()), Some(*p));
            assert_eq!(Presence::parse(p.label_vi()), Some(*p));
            assert_eq!(Presence::parse(p.label_en()), Some(*p));
        }
        for n in NeedStep::ALL {
            assert_eq!(NeedStep::parse(n.code()), Some(*n));
            assert_eq!(NeedStep::parse(n.label_vi()), Some(*n));
        }
        assert_eq!(Presence::parse("on the moon"), None);
    }

    #[test]
    fn vneid_steps_need_the_vneid_skill() {
        assert_eq!(NeedStep::Documents.skill(), Skill::Vneid);
        assert_eq!(NeedStep::EPayment.skill(), Skill::EPayment);
    }
}
