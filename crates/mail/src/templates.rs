//! The messages' bodies, plain text and HTML, from askama templates (the
//! HTML auto-escaped). The views hold words already in the recipient's
//! language; the templates hold the few labels of their own in both.

use askama::Template;

/// A visit of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailVisit {
    /// Its place in the day's route, from 1.
    pub order: usize,
    /// "08:30–09:05", in the team's zone.
    pub time: String,
    /// In person or by video call, in words.
    pub mode: String,
    /// The household's key ("HT-0012").
    pub household: String,
    /// Address.
    pub address: String,
    /// Village.
    pub village: Option<String>,
    /// A map link from the coordinates.
    pub map_url: Option<String>,
    /// The point is the village's centre, not the house.
    pub approximate: bool,
    /// When the residents are in, in words.
    pub window: String,
    /// What the visit is for, in words.
    pub purposes: Vec<String>,
    /// Whom to expect.
    pub residents: Vec<MailResident>,
}

/// A resident expected at a visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailResident {
    /// Name.
    pub name: String,
    /// Phone number (only in the list of the member who visits).
    pub phone: Option<String>,
}

/// A member's list of a day.
#[derive(Clone, Debug, PartialEq, Eq, Template)]
#[template(path = "day.txt")]
pub struct DayMail {
    /// Vietnamese (else English).
    pub vi: bool,
    /// The member.
    pub member_name: String,
    /// The team.
    pub team_name: String,
    /// The day, solar and lunar.
    pub heading: String,
    /// The sentence under the greeting.
    pub intro: String,
    /// The visits in route order.
    pub visits: Vec<MailVisit>,
    /// The day's page.
    pub day_url: Option<String>,
}

#[derive(Template)]
#[template(path = "day.html")]
struct DayHtml<'a> {
    vi: bool,
    member_name: &'a str,
    team_name: &'a str,
    heading: &'a str,
    intro: &'a str,
    visits: &'a [MailVisit],
    day_url: &'a Option<String>,
}

impl DayMail {
    /// The plain-text and HTML bodies.
    ///
    /// # Errors
    /// A template fails to render.
    pub fn bodies(&self) -> Result<(String, String), askama::Error> {
        let html = DayHtml {
            vi: self.vi,
            member_name: &self.member_name,
            team_name: &self.team_name,
            heading: &self.heading,
            intro: &self.intro,
            visits: &self.visits,
            day_url: &self.day_url,
        };
        Ok((self.render()?, html.render()?))
    }
}

/// What changed in a list already sent.
#[derive(Clone, Debug, PartialEq, Eq, Template)]
#[template(path = "update.txt")]
pub struct UpdateMail {
    /// Vietnamese (else English).
    pub vi: bool,
    /// The member.
    pub member_name: String,
    /// The team.
    pub team_name: String,
    /// The day.
    pub heading: String,
    /// The sentence under the greeting.
    pub intro: String,
    /// One line per change.
    pub changes: Vec<String>,
    /// The day's page.
    pub day_url: Option<String>,
}

#[derive(Template)]
#[template(path = "update.html")]
struct UpdateHtml<'a> {
    vi: bool,
    member_name: &'a str,
    team_name: &'a str,
    heading: &'a str,
    intro: &'a str,
    changes: &'a [String],
    day_url: &'a Option<String>,
}

impl UpdateMail {
    /// The plain-text and HTML bodies.
    ///
    /// # Errors
    /// A template fails to render.
    pub fn bodies(&self) -> Result<(String, String), askama::Error> {
        let html = UpdateHtml {
            vi: self.vi,
            member_name: &self.member_name,
            team_name: &self.team_name,
            heading: &self.heading,
            intro: &self.intro,
            changes: &self.changes,
            day_url: &self.day_url,
        };
        Ok((self.render()?, html.render()?))
    }
}

/// A day of the leader's weekly digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestDay {
    /// The day, solar and lunar.
    pub heading: String,
    /// Published visits that day.
    pub visits: usize,
    /// "Name (n)" per member with visits.
    pub members: Vec<String>,
}

/// The coming week for the leader.
#[derive(Clone, Debug, PartialEq, Eq, Template)]
#[template(path = "digest.txt")]
pub struct DigestMail {
    /// Vietnamese (else English).
    pub vi: bool,
    /// The leader.
    pub leader_name: String,
    /// The team.
    pub team_name: String,
    /// The week.
    pub heading: String,
    /// Its days.
    pub days: Vec<DigestDay>,
    /// Households the published plan leaves out.
    pub unmet: usize,
    /// Messages that failed for good, in words.
    pub problems: Vec<String>,
    /// The team's calendar page.
    pub calendar_url: Option<String>,
}

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestHtml<'a> {
    vi: bool,
    leader_name: &'a str,
    team_name: &'a str,
    heading: &'a str,
    days: &'a [DigestDay],
    unmet: usize,
    problems: &'a [String],
    calendar_url: &'a Option<String>,
}

impl DigestMail {
    /// The plain-text and HTML bodies.
    ///
    /// # Errors
    /// A template fails to render.
    pub fn bodies(&self) -> Result<(String, String), askama::Error> {
        let html = DigestHtml {
            vi: self.vi,
            leader_name: &self.leader_name,
            team_name: &self.team_name,
            heading: &self.heading,
            days: &self.days,
            unmet: self.unmet,
            problems: &self.problems,
            calendar_url: &self.calendar_url,
        };
        Ok((self.render()?, html.render()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> DayMail {
        DayMail {
            vi: true,
            member_name: "Nguyễn Thanh Lan".into(),
            team_name: "Tổ công nghệ số <Hải Thanh>".into(),
            heading: "Thứ Ba 01/12/2026 · 23/10 âm lịch".into(),
            intro: "Danh sách thăm hộ hôm nay của bạn:".into(),
            visits: vec![MailVisit {
                order: 1,
                time: "08:00–08:15".into(),
                mode: "Tại nhà".into(),
                household: "HT-0275".into(),
                address: "Số 67, ngõ 11 & <b>".into(),
                village: Some("Tổ dân phố Thanh Bình".into()),
                map_url: Some(
                    "https://www.openstreetmap.org/?mlat=19.37&mlon=105.79#map=18/19.37/105.79"
                        .into(),
                ),
                approximate: false,
                window: "Ở nhà 08:00–11:00".into(),
                purposes: vec!["Cài đặt VNeID".into(), "Phòng chống lừa đảo".into()],
                residents: vec![MailResident {
                    name: "Bùi Thị Huyền".into(),
                    phone: Some("0912345678".into()),
                }],
            }],
            day_url: Some("http://127.0.0.1:8080/lich/ngay?date=2026-12-01".into()),
        }
    }

    #[test]
    fn the_html_body_escapes_what_the_text_body_keeps() {
        let (text, html) = day().bodies().unwrap();
        assert!(text.contains("Số 67, ngõ 11 & <b>"), "{text}");
        assert!(html.contains("Số 67, ngõ 11 &#38; &#60;b&#62;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(text.contains("Bùi Thị Huyền · 0912345678"), "{text}");
        assert!(html.contains("href=\"tel:0912345678\""), "{html}");
        assert!(
            text.contains("Cài đặt VNeID, Phòng chống lừa đảo"),
            "{text}"
        );
        assert!(text.starts_with("Chào Nguyễn Thanh Lan,"), "{text}");
    }

    #[test]
    fn english_labels_for_english_readers() {
        let mail = DayMail {
            vi: false,
            visits: Vec::new(),
            ..day()
        };
        let (text, html) = mail.bodies().unwrap();
        assert!(text.starts_with("Hello Nguyễn Thanh Lan,"), "{text}");
        assert!(text.contains("No visits."), "{text}");
        assert!(html.contains("lang=\"en\""), "{html}");
    }
}
