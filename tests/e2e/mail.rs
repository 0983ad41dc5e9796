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

/// The demo in a fresh database, and a command runner against `smtp`.
struct Setup {
    db: doorstep_tests::TestDb,
    smtp_url: String,
    date: String,
}

impl Setup {
    fn new(smtp: &SmtpServer) -> Setup {
        let setup = Setup {
            db: doorstep_tests::TestDb::blocking(),
            smtp_url: smtp.url(),
            date: ((Utc::now() + chrono::Duration::hours(7)).date_naive() + Days::new(1))
                .to_string(),
        };
        let demo = setup.run(&["demo"]);
        assert!(demo.status.success(), "{}", stderr(&demo));
        setup
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = doorstep();
        command
            .args(args)
            .env("DOORSTEP__DATABASE__URL", &self.db.url)
            .env("DOORSTEP_ENV", "test")
            .env("DOORSTEP__MAIL__SMTP_URL", &self.smtp_url)
            .env("DOORSTEP__MAIL__BACKOFF_S", "0")
            .env("DOORSTEP__MAIL__LEASE_S", "600")
            .env("DOORSTEP__MAIL__FROM", "lich@doorstep.test");
        command
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().expect("runs")
    }

    /// Moves every lease of the outbox an hour into the past, as if the
    /// clock had run past it: a sender started now may take those messages.
    fn leases_run_out(&self) {
        doorstep_tests::runtime().block_on(async {
            use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
            let store = self.db.store().await;
            let db = store.connection();
            let backend = db.get_database_backend();
            let sql = match backend {
                DatabaseBackend::Postgres => {
                    "UPDATE mail_outbox SET lease_until = $1 WHERE lease_until IS NOT NULL"
                }
                _ => "UPDATE mail_outbox SET lease_until = ? WHERE lease_until IS NOT NULL",
            };
            let past = Utc::now() - chrono::Duration::hours(1);
            let moved = db
                .execute_raw(Statement::from_sql_and_values(backend, sql, [past.into()]))
                .await
                .expect("the leases move");
            assert!(moved.rows_affected() > 0, "the killed sender held leases");
        })
    }

    /// Every message of the outbox: Message-ID and status.
    fn outbox(&self) -> Vec<(String, String)> {
        doorstep_tests::runtime().block_on(async {
            use sea_orm::{ConnectionTrait, Statement};
            let store = self.db.store().await;
            let db = store.connection();
            db.query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT message_id, status FROM mail_outbox ORDER BY id",
            ))
            .await
            .expect("the outbox reads")
            .iter()
            .map(|row| {
                (
                    row.try_get_by_index::<String>(0).expect("an id"),
                    row.try_get_by_index::<String>(1).expect("a status"),
                )
            })
            .collect()
        })
    }
}

fn message_ids(smtp: &SmtpServer) -> Vec<String> {
    smtp.messages()
        .iter()
        .map(|m| {
            m.header("Message-ID")
                .expect("a Message-ID")
                .trim_matches(['<', '>'])
                .to_owned()
        })
        .collect()
}

#[test]
fn the_bodies_and_the_calendar_say_the_same_times() {
    let smtp = SmtpServer::start();
    let setup = Setup::new(&smtp);
    let sent = setup.run(&["mail", "send-daily", "--all", "--date", &setup.date]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    let messages = smtp.messages();
    assert!(!messages.is_empty());
    for received in &messages {
        let parsed = mail_parser::MessageParser::default()
            .parse(&received.data)
            .expect("a MIME message");
        let subject = parsed.subject().expect("a subject");
        let (solar, _) = subject.split_once(" (").expect("a lunar date in brackets");
        assert!(
            subject.starts_with("Lịch thăm hộ — ") || subject.starts_with("Visit list — "),
            "{subject}"
        );
        let day: chrono::NaiveDate = setup.date.parse().unwrap();
        assert!(
            solar.ends_with(&day.format("%d/%m/%Y").to_string())
                || solar.ends_with(&day.format("%-d %B %Y").to_string()),
            "{subject}"
        );
        let text = parsed.body_text(0).expect("a plain-text body");
        let html = parsed.body_html(0).expect("an HTML body");
        assert!(html.contains("<!doctype html>"), "{html}");
        let attachment = parsed.attachments().next().expect("the day's calendar");
        assert!(
            mail_parser::MimeHeaders::content_type(attachment)
                .is_some_and(|c| c.ctype() == "text" && c.subtype() == Some("calendar"))
        );
        let ics = attachment.text_contents().expect("iCalendar text");
        let unfolded = icalendar::parser::unfold(ics);
        let calendar = icalendar::parser::read_calendar(&unfolded).expect("iCalendar");
        let events: Vec<_> = calendar
            .components
            .iter()
            .filter(|c| c.name == "VEVENT")
            .collect();
        assert!(!events.is_empty(), "{ics}");
        for event in events {
            let start = event.find_prop("DTSTART").expect("a start");
            assert!(
                start.params.iter().any(|p| p.key == "TZID"
                    && p.val
                        .as_ref()
                        .is_some_and(|v| v.as_str() == "Asia/Ho_Chi_Minh")),
                "{ics}"
            );
            // 20261202T081500 → "08:15–" in the list
            let value = start.val.as_str();
            let (date, time) = value.split_once('T').expect("a local date-time");
            assert_eq!(date, setup.date.replace('-', ""), "{ics}");
            let shown = format!("{}:{}–", &time[..2], &time[2..4]);
            assert!(text.contains(&shown), "{shown} in\n{text}");
            assert!(html.contains(&shown), "{shown} in\n{html}");
            let summary = event.find_prop("SUMMARY").expect("a summary");
            assert!(summary.val.as_str().contains(" âm"), "{ics}");
        }
        // No phone number travels in the calendar, only in the bodies.
        assert!(!ics.contains("TEL") && !ics.contains("tel:"), "{ics}");
    }
}

#[test]
fn a_sender_killed_mid_batch_leaves_no_list_undelivered_nor_doubled() {
    let smtp = SmtpServer::start();
    let setup = Setup::new(&smtp);
    // The third message is kept but never answered: the sender waits there.
    smtp.stall_after(2);
    let mut child = setup
        .command(&["mail", "send-daily", "--all", "--date", &setup.date])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    smtp.wait_for_messages(3);
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let decided = setup.outbox();
    assert!(decided.len() > 3, "{decided:?}");
    assert!(decided.iter().any(|(_, status)| status == "pending"));

    // Restarted after the lease ran out: everything goes.
    smtp.resume();
    setup.leases_run_out();
    let rest = setup.run(&["mail", "send"]);
    assert!(rest.status.success(), "{}", stderr(&rest));
    let outbox = setup.outbox();
    assert!(
        outbox.iter().all(|(_, status)| status == "sent"),
        "{outbox:?}"
    );
    let received = message_ids(&smtp);
    let distinct: BTreeSet<&String> = received.iter().collect();
    let wanted: BTreeSet<&String> = outbox.iter().map(|(id, _)| id).collect();
    assert_eq!(distinct, wanted, "every list delivered, by Message-ID");
    // At most the message in flight when the sender died went twice, under
    // the same Message-ID.
    assert!(received.len() <= wanted.len() + 1, "{received:?}");
}

/// Every team's `evening` schedule set to fire once a day at `at` (UTC),
/// the others off: the server's mail job fires it when it starts.
fn evening_lists_at(setup: &Setup, at: chrono::DateTime<Utc>) {
    use chrono::Timelike;
    use doorstep_core::MailKind;
    doorstep_tests::runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let store = setup.db.store().await;
        let db = store.connection();
        let teams: Vec<i32> = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT id FROM teams ORDER BY id",
            ))
            .await
            .expect("the teams read")
            .iter()
            .map(|row| row.try_get_by_index::<i32>(0).expect("an id"))
            .collect();
        for team_id in teams {
            for kind in [MailKind::Daily, MailKind::Evening, MailKind::WeeklyDigest] {
                let schedule = doorstep_store::repo::mail::ScheduleRecord {
                    team_id,
                    kind,
                    cron: format!("{} {} {} * * *", at.second(), at.minute(), at.hour()),
                    timezone: Some("UTC".into()),
                    enabled: kind == MailKind::Evening,
                    updated_at: Utc::now(),
                };
                doorstep_store::repo::mail::save_schedule(db, &schedule)
                    .await
                    .expect("the schedule is kept");
            }
        }
        db.clone().close().await.ok();
    })
}

/// The firings decided, by team and kind.
fn firings(setup: &Setup) -> Vec<(i32, String)> {
    doorstep_tests::runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let store = setup.db.store().await;
        let db = store.connection();
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT team_id, kind FROM mail_firings ORDER BY team_id, kind",
            ))
            .await
            .expect("the firings read");
        db.clone().close().await.ok();
        rows.iter()
            .map(|row| {
                (
                    row.try_get_by_index::<i32>(0).expect("a team"),
                    row.try_get_by_index::<String>(1).expect("a kind"),
                )
            })
            .collect()
    })
}

#[test]
fn a_server_killed_mid_batch_sends_each_list_once_after_its_restart() {
    let smtp = SmtpServer::start();
    let setup = Setup::new(&smtp);
    // A firing a minute ago: the server's mail job decides it at its first
    // tick, writes the evening lists and starts sending them.
    evening_lists_at(&setup, Utc::now() - chrono::Duration::minutes(1));
    let env = [
        ("DOORSTEP__MAIL__SMTP_URL", setup.smtp_url.as_str()),
        ("DOORSTEP__MAIL__BACKOFF_S", "0"),
        ("DOORSTEP__MAIL__LEASE_S", "600"),
        ("DOORSTEP__MAIL__TICK_S", "1"),
        ("DOORSTEP__MAIL__FROM", "lich@doorstep.test"),
    ];
    // The third message is kept but never answered: the server waits there
    // and is killed with SIGKILL.
    smtp.stall_after(2);
    let server =
        doorstep_tests::Server::start_with(&setup.db, &[], &env, std::process::Stdio::null());
    smtp.wait_for_messages(3);
    drop(server);
    let decided = setup.outbox();
    let teams = firings(&setup);
    assert!(decided.len() > 3, "{decided:?}");
    assert!(decided.iter().any(|(_, status)| status == "pending"));
    assert!(teams.iter().all(|(_, kind)| kind == "evening"), "{teams:?}");

    // Restarted once the killed server's leases ran out: the rest goes, and
    // the firing is not decided again.
    smtp.resume();
    setup.leases_run_out();
    let server =
        doorstep_tests::Server::start_with(&setup.db, &[], &env, std::process::Stdio::null());
    let mut looks = 0;
    let outbox = loop {
        let outbox = setup.outbox();
        if outbox.iter().all(|(_, status)| status == "sent") {
            break outbox;
        }
        looks += 1;
        assert!(
            looks < 600,
            "the restarted server sends the rest: {outbox:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    drop(server);
    assert_eq!(firings(&setup), teams, "each team's firing decided once");
    assert_eq!(outbox.len(), decided.len(), "no list written twice");
    let received = message_ids(&smtp);
    let distinct: BTreeSet<&String> = received.iter().collect();
    let wanted: BTreeSet<&String> = outbox.iter().map(|(id, _)| id).collect();
    assert_eq!(distinct, wanted, "every list delivered, by Message-ID");
    // At most the message in flight when the server died went twice, under
    // the same Message-ID.
    assert!(received.len() <= wanted.len() + 1, "{received:?}");
    eprintln!(
        "{} lists of {} teams: {} received, {} distinct",
        wanted.len(),
        teams.len(),
        received.len(),
        distinct.len()
    );
}

#[test]
fn two_senders_at_once_never_send_a_message_twice() {
    let smtp = SmtpServer::start();
    let setup = Setup::new(&smtp);
    // Decided while the mail server is down: every list waits in the outbox.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let decided = setup
        .command(&["mail", "send-daily", "--all", "--date", &setup.date])
        .env("DOORSTEP__MAIL__SMTP_URL", format!("smtp://{closed}"))
        .output()
        .expect("runs");
    assert!(decided.status.success(), "{}", stderr(&decided));
    let out = String::from_utf8_lossy(&decided.stdout).to_string();
    assert!(out.contains("gửi / sent: 0"), "{out}");
    assert!(setup.outbox().iter().all(|(_, s)| s == "pending"));
    smtp.delay(std::time::Duration::from_millis(100));
    let senders: Vec<_> = (0..2)
        .map(|_| {
            setup
                .command(&["mail", "send"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("starts")
        })
        .collect();
    for sender in senders {
        let out = sender.wait_with_output().expect("ends");
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let outbox = setup.outbox();
    assert!(
        outbox.iter().all(|(_, status)| status == "sent"),
        "{outbox:?}"
    );
    let mut received = message_ids(&smtp);
    received.sort();
    let mut wanted: Vec<String> = outbox.into_iter().map(|(id, _)| id).collect();
    wanted.sort();
    assert_eq!(received, wanted, "each message exactly once");
}

#[test]
fn bad_and_missing_addresses_are_recorded_and_the_others_still_go() {
    let smtp = SmtpServer::start();
    let setup = Setup::new(&smtp);
    // Three members of team 3 with visits that day: one address the server
    // refuses for good, one that is not an address, one member without any.
    // The first of the next days on which at least three of them have
    // visits (the demo's calendar is planned within a time limit).
    let first: chrono::NaiveDate = setup.date.parse().unwrap();
    let (date, text, addresses) = (0..7)
        .map(|d| {
            let date = (first + Days::new(d)).to_string();
            let preview = setup.run(&["mail", "preview", "--team", "3", "--date", &date]);
            assert!(preview.status.success(), "{}", stderr(&preview));
            let text = String::from_utf8_lossy(&preview.stdout).to_string();
            let addresses: Vec<String> = text
                .lines()
                .filter_map(|l| l.strip_prefix("To: "))
                .filter_map(|l| {
                    l.split_once('<')
                        .map(|(_, a)| a.trim_end_matches('>').to_owned())
                })
                .collect();
            (date, text, addresses)
        })
        .find(|(_, _, addresses)| addresses.len() >= 3)
        .expect("a day of the week with three members of team 3 visiting");
    assert!(addresses.len() >= 3, "{text}");
    let (refused, broken, missing) = (
        addresses[0].clone(),
        addresses[1].clone(),
        addresses[2].clone(),
    );
    doorstep_tests::runtime().block_on(async {
        use sea_orm::{ConnectionTrait, Statement};
        let store = setup.db.store().await;
        let db = store.connection();
        let backend = db.get_database_backend();
        for (sql, value) in [
            (
                "UPDATE members SET email = 'not an address' WHERE email = $1",
                &broken,
            ),
            ("UPDATE members SET email = NULL WHERE email = $1", &missing),
        ] {
            let sql = if backend == sea_orm::DatabaseBackend::Sqlite {
                sql.replace("$1", "?")
            } else {
                sql.to_owned()
            };
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [value.as_str().into()],
            ))
            .await
            .expect("updated");
        }
    });
    let named = setup.run(&["mail", "preview", "--team", "3", "--date", &date]);
    let text = String::from_utf8_lossy(&named.stdout).to_string();
    assert!(
        text.contains("KHÔNG CÓ ĐỊA CHỈ E-MAIL, thư sẽ không được gửi / NO E-MAIL ADDRESS"),
        "{text}"
    );

    let refused_address = refused.clone();
    smtp.answer(move |to| (to == refused_address).then(|| "550 5.1.1 no such user".into()));
    let sent = setup.run(&["mail", "send-daily", "--team", "3", "--date", &date]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    let out = String::from_utf8_lossy(&sent.stdout).to_string();
    assert!(
        out.contains("1 thiếu địa chỉ / without an address"),
        "{out}"
    );
    assert!(out.contains("lỗi / failed: 2"), "{out}");
    let delivered: BTreeSet<String> = smtp.messages().iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(delivered.len(), addresses.len() - 3, "{delivered:?}");
    assert!(!delivered.contains(&refused));
    let outbox = setup.run(&["mail", "outbox", "--team", "3"]);
    let listed = String::from_utf8_lossy(&outbox.stdout).to_string();
    assert!(listed.contains("lỗi / failed: 2"), "{listed}");
    assert!(listed.contains("thiếu địa chỉ / no address: 1"), "{listed}");
    assert!(listed.contains("550"), "{listed}");
    assert!(listed.contains("is not an e-mail address"), "{listed}");
}
