//! doorstep-mail: the messages doorstep sends, their templates (askama,
//! HTML auto-escaped) and the transports that carry them — SMTP with lettre,
//! or `.eml` files for development.
//!
//! A message is built the same from the same parts: its Message-ID and Date
//! are given, not drawn, so a message sent again after a crash is the same
//! message and the recipient's mail program shows it once.

pub mod error;
pub mod message;
pub mod templates;
pub mod transport;

pub use error::SendError;
pub use message::{Outgoing, build, parse_mailbox};
pub use templates::{DayMail, DigestDay, DigestMail, MailResident, MailVisit, UpdateMail};
pub use transport::{Sender, Transport};
