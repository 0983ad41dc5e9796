//! `doorstep mail`: the morning's lists by hand, their preview, the outbox.

use std::process::ExitCode;

use chrono::{Duration, NaiveDate, Utc};
use doorstep_core::{MailKind, OutboxStatus};
use doorstep_mail::Transport;
use doorstep_service::mail::{self, MailSettings, SendPolicy};

use super::common::{Failure, finish, open_migrated, runtime, settings};
use super::plan_team::failure;
use crate::config::Settings;

/// Arguments of `doorstep mail`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write the day's lists to the outbox and send them (a firing by hand;
    /// again for the same date, only what changed goes, as an update).
    SendDaily(Which),
    /// Print the messages a firing would write, subject first; nothing is
    /// written or sent.
    Preview(Which),
    /// Send what waits in the outbox (due retries included).
    Send,
    /// The outbox: counts by status and the latest messages.
    Outbox(OutboxArgs),
}

#[derive(Debug, clap::Args)]
struct Which {
    /// One team.
    #[arg(long, conflicts_with = "all", required_unless_present = "all")]
    team: Option<i32>,
    /// Every team.
    #[arg(long)]
    all: bool,
    /// The day, YYYY-MM-DD (in each team's zone).
    #[arg(long)]
    date: String,
}

#[derive(Debug, clap::Args)]
struct OutboxArgs {
    /// One team.
    #[arg(long)]
    team: Option<i32>,
    /// How many of the latest messages to list.
    #[arg(long, default_value_t = 20)]
    limit: u64,
}

/// Runs `doorstep mail`.
pub fn run(args: Args) -> ExitCode {
    finish(runtime().and_then(|rt| rt.block_on(dispatch(args))))
}

async fn dispatch(args: Args) -> Result<(), Failure> {
    let settings = settings()?;
    match args.command {
        Command::SendDaily(which) => send_daily(&settings, &which).await,
        Command::Preview(which) => preview(&settings, &which).await,
        Command::Send => send(&settings).await,
        Command::Outbox(args) => show_outbox(&settings, &args).await,
    }
}

/// The service's mail settings from the configuration.
pub fn mail_settings(settings: &Settings) -> MailSettings {
    MailSettings {
        from: settings.mail.from.clone(),
        base_url: Some(settings.mail.base_url.clone()).filter(|u| !u.trim().is_empty()),
    }
}

/// The transport the configuration names.
///
/// # Errors
/// The SMTP URL or the sender is not valid (exit 2).
pub fn transport(settings: &Settings) -> Result<Transport, Failure> {
    let mail = &settings.mail;
    let result = if mail.smtp_url.trim().is_empty() {
        Transport::file(&mail.file_dir, &mail.from)
    } else {
        Transport::smtp(
            &mail.smtp_url,
            &mail.from,
            std::time::Duration::from_secs(mail.timeout_s.max(1)),
        )
    };
    result.map_err(|e| {
        Failure::input(format!(
            "{e} (got {})",
            doorstep_store::redact(&mail.smtp_url)
        ))
    })
}

/// How this process sends.
pub fn policy(settings: &Settings) -> SendPolicy {
    let mail = &settings.mail;
    SendPolicy {
        worker: format!("{}-{}", hostname(), std::process::id()),
        lease: Duration::seconds(i64::try_from(mail.lease_s.max(1)).unwrap_or(300)),
        batch: 20,
        max_attempts: mail.max_attempts.max(1),
        backoff: Duration::seconds(i64::try_from(mail.backoff_s).unwrap_or(60)),
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "doorstep".to_owned())
}

fn parse_date(text: &str) -> Result<NaiveDate, Failure> {
    doorstep_service::daylist::parse_date(text).map_err(failure)
}

async fn teams(store: &doorstep_service::Store, which: &Which) -> Result<Vec<i32>, Failure> {
    match which.team {
        Some(team) => Ok(vec![team]),
        None => mail::all_team_ids(store).await.map_err(failure),
    }
}

async fn send_daily(settings: &Settings, which: &Which) -> Result<(), Failure> {
    let date = parse_date(&which.date)?;
    let sender = transport(settings)?;
    let store = open_migrated(settings).await?;
    let catalog = super::common::catalog()?;
    let config = mail_settings(settings);
    for team in teams(&store, which).await? {
        let done = mail::enqueue_team_day(
            &store,
            &catalog,
            &config,
            team,
            date,
            MailKind::Daily,
            Utc::now(),
        )
        .await
        .map_err(failure)?;
        println!(
            "tổ / team {team}: {} thư mới / new messages ({} cập nhật / updates, {} thiếu địa chỉ / without an address), {} không đổi / unchanged",
            done.written, done.updates, done.without_address, done.unchanged
        );
    }
    send_outbox(settings, &store, &sender).await
}

/// Sends the outbox and says how it went.
async fn send_outbox(
    settings: &Settings,
    store: &doorstep_service::Store,
    sender: &Transport,
) -> Result<(), Failure> {
    let report = mail::send_pending(store, sender, &policy(settings), Utc::now)
        .await
        .map_err(failure)?;
    println!(
        "gửi / sent: {} · thử lại sau / retrying: {} · lỗi / failed: {} · qua / via {}",
        report.sent,
        report.retrying,
        report.failed,
        sender.describe()
    );
    Ok(())
}

async fn send(settings: &Settings) -> Result<(), Failure> {
    let sender = transport(settings)?;
    let store = open_migrated(settings).await?;
    send_outbox(settings, &store, &sender).await
}

async fn preview(settings: &Settings, which: &Which) -> Result<(), Failure> {
    let date = parse_date(&which.date)?;
    let store = open_migrated(settings).await?;
    let catalog = super::common::catalog()?;
    let config = mail_settings(settings);
    let mut shown = 0;
    for team in teams(&store, which).await? {
        let decided = mail::decide_team_day(&store, &catalog, &config, team, date, MailKind::Daily)
            .await
            .map_err(failure)?;
        for message in decided.messages {
            shown += 1;
            println!("Subject: {}", message.subject);
            match &message.recipient {
                Some(to) => println!("To: {} <{to}>", message.recipient_name),
                None => println!(
                    "To: {} — KHÔNG CÓ ĐỊA CHỈ E-MAIL, thư sẽ không được gửi / NO E-MAIL ADDRESS, this message will not be sent",
                    message.recipient_name
                ),
            }
            println!("Message-ID: <{}>", message.message_id);
            if let Some((name, _)) = &message.attachment {
                println!("Attachment: {name}");
            }
            println!();
            println!("{}", message.body_text.trim_end());
            println!("{}", "=".repeat(72));
        }
        if decided.unchanged > 0 {
            println!(
                "tổ / team {team}: {} danh sách đã gửi, không đổi / lists already sent, unchanged",
                decided.unchanged
            );
        }
    }
    if shown == 0 {
        println!("không có thư nào để gửi ngày {date} / no message to send for {date}");
    }
    Ok(())
}

async fn show_outbox(settings: &Settings, args: &OutboxArgs) -> Result<(), Failure> {
    let store = open_migrated(settings).await?;
    let view = mail::outbox(&store, args.team, args.limit)
        .await
        .map_err(failure)?;
    let count = |status: OutboxStatus| {
        view.counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    };
    println!(
        "chờ gửi / pending: {} · đã gửi / sent: {} · lỗi / failed: {} · thiếu địa chỉ / no address: {}",
        count(OutboxStatus::Pending),
        count(OutboxStatus::Sent),
        count(OutboxStatus::Failed),
        count(OutboxStatus::NoAddress)
    );
    for m in &view.latest {
        println!(
            "{:>6}  {:<10}  {:<13}  {}  {:<32}  {}{}",
            m.id,
            m.status.code(),
            m.kind.code(),
            m.day
                .map_or_else(|| "          ".to_owned(), |d| d.to_string()),
            m.recipient.as_deref().unwrap_or("—"),
            m.subject,
            m.last_error
                .as_deref()
                .map_or_else(String::new, |e| format!(
                    "  [{} lần / tries: {e}]",
                    m.attempts
                )),
        );
    }
    Ok(())
}
