//! A message's parts and the MIME message built from them: a plain-text and
//! an HTML alternative, and an optional calendar attachment.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};

use crate::error::SendError;

/// What to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing<'a> {
    /// The stable Message-ID, without angle brackets (`local@domain`).
    pub message_id: &'a str,
    /// The recipient's address.
    pub to: &'a str,
    /// The recipient's name.
    pub to_name: &'a str,
    /// Subject (UTF-8; encoded as the standard says).
    pub subject: &'a str,
    /// The plain-text body.
    pub text: &'a str,
    /// The HTML body.
    pub html: &'a str,
    /// An attachment: file name and iCalendar text.
    pub calendar: Option<(&'a str, &'a str)>,
    /// The Date header: when the message was decided.
    pub date: DateTime<Utc>,
}

/// Reads a mailbox such as `doorstep <lich@example.org>` or `a@example.org`.
///
/// # Errors
/// What is wrong with it.
pub fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    text.trim()
        .parse::<Mailbox>()
        .map_err(|e| format!("{text:?} is not an e-mail address ({e})"))
}

/// The MIME message from `from`.
///
/// # Errors
/// [`SendError::Permanent`] when the recipient's address is not one: sending
/// it again will not help.
pub fn build(message: &Outgoing<'_>, from: &Mailbox) -> Result<Message, SendError> {
    let address = message.to.trim().parse::<lettre::Address>().map_err(|e| {
        SendError::Permanent(format!("{:?} is not an e-mail address: {e}", message.to))
    })?;
    let to = Mailbox::new(Some(message.to_name.to_owned()), address);
    let body = MultiPart::alternative_plain_html(message.text.to_owned(), message.html.to_owned());
    let body = match message.calendar {
        Some((name, ics)) => MultiPart::mixed().multipart(body).singlepart(
            Attachment::new(name.to_owned()).body(
                ics.to_owned(),
                ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                    .expect("a valid media type"),
            ),
        ),
        None => body,
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject)
        .message_id(Some(format!("<{}>", message.message_id)))
        .date(SystemTime::from(message.date))
        .multipart(body)
        .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(to: &str) -> Outgoing<'_> {
        Outgoing {
            message_id: "daily.2026-12-01.m7.abc@doorstep.test",
            to,
            to_name: "Nguyễn Thanh Lan",
            subject: "Lịch thăm hộ — Thứ Ba 01/12/2026 (23/10 âm)",
            text: "Xin chào",
            html: "<p>Xin chào</p>",
            calendar: Some((
                "lich-2026-12-01.ics",
                "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            )),
            date: DateTime::parse_from_rfc3339("2026-12-01T06:00:00+07:00")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    #[test]
    fn the_same_parts_give_the_same_headers() {
        let from = parse_mailbox("doorstep <lich@doorstep.test>").unwrap();
        let a = build(&outgoing("lan@example.org"), &from).unwrap();
        let text = String::from_utf8(a.formatted()).unwrap();
        assert!(
            text.contains("Message-ID: <daily.2026-12-01.m7.abc@doorstep.test>"),
            "{text}"
        );
        assert!(
            text.contains("Date: Mon, 30 Nov 2026 23:00:00 +0000"),
            "{text}"
        );
        assert!(text.contains("filename=\"lich-2026-12-01.ics\""), "{text}");
        assert!(text.contains("text/calendar"), "{text}");
        assert!(text.is_ascii(), "the message is 7-bit: {text}");
    }

    #[test]
    fn a_bad_address_is_a_permanent_failure() {
        let from = parse_mailbox("lich@doorstep.test").unwrap();
        for bad in ["", "lan", "lan@", "lan @example.org"] {
            match build(&outgoing(bad), &from) {
                Err(SendError::Permanent(why)) => assert!(why.contains("e-mail"), "{why}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert!(parse_mailbox("not an address").is_err());
    }
}
