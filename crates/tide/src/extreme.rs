//! High and low waters.

use chrono::{DateTime, Utc};

/// High or low water.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtremeKind {
    /// High water (a maximum of the curve).
    High,
    /// Low water (a minimum of the curve).
    Low,
}

impl ExtremeKind {
    /// `"high"` or `"low"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtremeKind::High => "high",
            ExtremeKind::Low => "low",
        }
    }
}

/// A high or low water: time to the second (UTC) and height in metres.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Extreme {
    /// When, to the second.
    pub at: DateTime<Utc>,
    /// High or low.
    pub kind: ExtremeKind,
    /// Height above the station's datum, metres.
    pub height_m: f64,
}
