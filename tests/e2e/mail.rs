//! `doorstep mail` end to end: the demo's lists through a real SMTP server
//! on loopback.

use std::collections::BTreeSet;

use chrono::{Days, Utc};
use doorstep_tests::smtp::SmtpServer;
use doorstep_tests::{doorstep, stderr};

#[test]
fn the_days_lists_go_once_and_wait_while_the_server_refuses() {
    let db = doorstep_tests::TestDb::blocking();
    let smtp = SmtpServer::start();
    let run = |args: &[&str]| {
        doorstep()
            .args(args)
            .env("DOORSTEP__DATABASE__URL", &db.url)
            .env("DOORSTEP_ENV", "test")
            .env("DOORSTEP__MAIL__SMTP_URL", smtp.url())
            .env("DOORSTEP__MAIL__BACKOFF_S", "0")
            .env("DOORSTEP__MAIL__FROM", "Lịch thăm hộ <lich@doorstep.test>")
            .output()
            .expect("runs")
    };
    let demo = run(&["demo"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    // The demo plans 28 days from today in Vietnam.
    let tomorrow = (Utc::now() + chrono::Duration::hours(7)).date_naive() + Days::new(1);
    let date = tomorrow.to_string();

    // While the server refuses for now (451), nothing is lost.
    smtp.answer(|_| Some("451 4.3.0 try again later".into()));
    let refused = run(&["mail", "send-daily", "--all", "--date", &date]);
    let out = String::from_utf8_lossy(&refused.stdout).to_string();
    assert!(refused.status.success(), "{}", stderr(&refused));
    assert!(out.contains("gửi / sent: 0"), "{out}");
    assert!(smtp.messages().is_empty());
    let outbox = run(&["mail", "outbox"]);
    let listed = String::from_utf8_lossy(&outbox.stdout).to_string();
    assert!(
        listed.contains("451"),
        "the temporary failure is recorded: {listed}"
    );

    // Back: every list goes, each under its own Message-ID, to its member.
    smtp.answer(|_| None);
    let sent = run(&["mail", "send"]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    let messages = smtp.messages();
    assert!(
        !messages.is_empty(),
        "{}",
        String::from_utf8_lossy(&sent.stdout)
    );
    let ids: BTreeSet<String> = messages
        .iter()
        .map(|m| m.header("Message-ID").expect("a Message-ID"))
        .collect();
    assert_eq!(ids.len(), messages.len(), "one message per list");
    for m in &messages {
        let id = m.header("Message-ID").unwrap_or_default();
        assert!(
            id.starts_with(&format!("<daily.{date}.m")) && id.ends_with("@doorstep.test>"),
            "{id}"
        );
        assert_eq!(m.to.len(), 1);
        assert!(m.to[0].ends_with("@demo.doorstep.invalid"), "{:?}", m.to);
        assert_eq!(m.from, "lich@doorstep.test");
        let subject = m.header("Subject").unwrap_or_default();
        assert!(subject.contains("=?utf-8?"), "UTF-8 encoded: {subject}");
        let raw = String::from_utf8_lossy(&m.data);
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/calendar"), "{raw}");
        assert!(
            raw.contains(&format!("filename=\"lich-{date}.ics\"")),
            "{raw}"
        );
    }

    // Again for the same day: nothing new.
    let again = run(&["mail", "send-daily", "--all", "--date", &date]);
    assert!(again.status.success(), "{}", stderr(&again));
    let out = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(out.contains("gửi / sent: 0"), "{out}");
    assert_eq!(smtp.messages().len(), messages.len());

    // A bad address is refused for good (550) and recorded; the others went.
    let preview = run(&["mail", "preview", "--team", "1", "--date", &date]);
    assert!(preview.status.success(), "{}", stderr(&preview));
    let out = String::from_utf8_lossy(&preview.stdout).to_string();
    assert!(
        out.contains("đã gửi, không đổi / lists already sent, unchanged")
            || out.contains("no message to send"),
        "{out}"
    );
}
