//! Why a message did not go.

/// A failure to send: temporary (try again later) or permanent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Sending it again will not help.
    #[error("permanent failure: {0}")]
    Permanent(String),
}
