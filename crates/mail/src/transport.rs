//! The transports: SMTP with lettre, or `.eml` files in a directory.
//!
//! A failure is temporary (try again later: the server is down, busy, or
//! answered 4xx) or permanent (the server answered 5xx, or the address is
//! not one): [`SendError`] says which.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::error::SendError;
use crate::message::{Outgoing, build};

/// A channel that carries messages: SMTP today, others (Zalo, SMS) through
/// the same outbox later.
pub trait Sender: Send + Sync {
    /// Sends one message.
    fn send(&self, message: &Outgoing<'_>) -> impl Future<Output = Result<(), SendError>> + Send;
}

/// Where messages go.
#[derive(Clone, Debug)]
pub enum Transport {
    /// An SMTP server.
    Smtp {
        /// lettre's transport.
        inner: AsyncSmtpTransport<Tokio1Executor>,
        /// The sender.
        from: Mailbox,
        /// How long one message may take, connection included.
        timeout: Duration,
    },
    /// A directory: one `.eml` file per message, named by its Message-ID.
    File {
        /// The directory (created when missing).
        dir: PathBuf,
        /// The sender.
        from: Mailbox,
    },
}

impl Transport {
    /// An SMTP transport from a URL in lettre's form: `smtp://HOST:PORT`
    /// (plain), `smtp://HOST:587?tls=required` (STARTTLS),
    /// `smtps://USER:PASS@HOST` (TLS).
    ///
    /// # Errors
    /// The URL or the sender's address is not valid, saying why.
    pub fn smtp(url: &str, from: &str, timeout: Duration) -> Result<Transport, String> {
        let inner = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| {
                format!(
                    "mail.smtp_url is not an SMTP URL ({e}); expected smtp://HOST:PORT, \
                     smtp://HOST:587?tls=required or smtps://USER:PASS@HOST"
                )
            })?
            .timeout(Some(timeout))
            .build();
        Ok(Transport::Smtp {
            inner,
            from: crate::parse_mailbox(from).map_err(|e| format!("mail.from: {e}"))?,
            timeout,
        })
    }

    /// A transport that writes `.eml` files into `dir`.
    ///
    /// # Errors
    /// The sender's address is not valid.
    pub fn file(dir: impl Into<PathBuf>, from: &str) -> Result<Transport, String> {
        Ok(Transport::File {
            dir: dir.into(),
            from: crate::parse_mailbox(from).map_err(|e| format!("mail.from: {e}"))?,
        })
    }

    /// The sender's mailbox.
    pub fn from(&self) -> &Mailbox {
        match self {
            Transport::Smtp { from, .. } | Transport::File { from, .. } => from,
        }
    }

    /// Where messages go, without a password: for logs and the CLI.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { .. } => "SMTP (mail.smtp_url)".to_owned(),
            Transport::File { dir, .. } => format!("files in {}", dir.display()),
        }
    }

    async fn deliver(&self, message: Message, id: &str) -> Result<(), SendError> {
        match self {
            Transport::Smtp { inner, timeout, .. } => {
                // lettre's timeout covers the connection only: a server that
                // accepts and then says nothing would hold the sender forever.
                match tokio::time::timeout(*timeout * 2, inner.send(message)).await {
                    Err(_) => Err(SendError::Temporary(format!(
                        "the SMTP server did not answer within {} s",
                        timeout.as_secs() * 2
                    ))),
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                    Ok(Err(e)) => Err(SendError::Temporary(e.to_string())),
                }
            }
            Transport::File { dir, .. } => {
                let name: String = id
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "-._".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let bytes = message.formatted();
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || {
                    std::fs::create_dir_all(&dir)?;
                    let path = dir.join(format!("{name}.eml"));
                    let partial = dir.join(format!(".{name}.eml.part"));
                    std::fs::write(&partial, bytes)?;
                    std::fs::rename(partial, path)
                })
                .await
                .map_err(|e| SendError::Temporary(e.to_string()))?
                .map_err(|e| {
                    SendError::Temporary(format!("cannot write into {}: {e}", self.describe()))
                })
            }
        }
    }
}

impl Sender for Transport {
    async fn send(&self, message: &Outgoing<'_>) -> Result<(), SendError> {
        let built = build(message, self.from())?;
        self.deliver(built, message.message_id).await
    }
}
