//! Harmonic tide prediction, high and low waters, and station files.
//!
//! A pure crate: no I/O, no clock. Heights follow NOAA's and XTide's
//! conventions exactly (Schureman's astronomical arguments; V0 at
//! 1 January 00:00 UTC; f and u at mid-year, constant for the year;
//! compound constituents from their parents), so predictions match
//! XTide's to the millimetre.
//!
//! - [`parse_station`] reads a station file (TOML) — harmonic constants or
//!   a secondary station (a reference plus time and height corrections,
//!   as tide tables publish them) — and refuses unknown constituents,
//!   wrong speeds and missing fields with the file, field and expected value.
//! - [`Catalog`] holds the stations and resolves secondaries.
//! - [`Predictor`] gives heights, fast series and extremes; its
//!   [`Predictor::horizon`] computes a [`TideHorizon`] once for the
//!   queries of the availability rules (level above or below, windows near
//!   high or low water).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use doorstep_tide::{node_factors, parse_station, Predictor, Station};
//!
//! // 2026: M2 V0+u = 66.36°, f = 0.9674.
//! let (v0u, f) = node_factors("M2", 2026).unwrap();
//! assert!((v0u - 66.36).abs() < 0.01 && (f - 0.9674).abs() < 1e-4);
//!
//! let text = r#"
//! id = "s2_only"
//! name = "S2 only"
//! latitude = 0.0
//! longitude = 0.0
//! timezone = "UTC"
//! datum = "MSL"
//! z0_m = 2.0
//! phase_reference = "greenwich"
//! source = "example"
//! license = "CC0"
//! approximate = true
//!
//! [[constituents]]
//! name = "S2"
//! amplitude_m = 1.0
//! phase_deg = 0.0
//! speed_deg_per_hour = 30.0
//! "#;
//! let Station::Harmonic(station) = parse_station("s2_only.toml", text).unwrap() else { panic!() };
//! let tide = Predictor::harmonic(&station);
//! let noon = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
//! assert!((tide.height(noon) - 3.0).abs() < 1e-9);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod astro;
mod catalog;
mod constituents;
mod extreme;
mod fit;
mod harmonic;
mod horizon;
mod predictor;
mod station;

pub use catalog::{Catalog, CatalogError};
pub use constituents::{Constituent, constituent, constituents};
pub use extreme::{Extreme, ExtremeKind};
pub use fit::{
    Fit, FitError, FitOptions, FitReport, Grade, InferenceSource, Inferred, Observation, Residual,
    Unresolved, fit_extremes,
};
pub use harmonic::{HarmonicPredictor, node_factors};
pub use horizon::{FLAT_SWING_M, FLAT_WIDEN_MINUTES, TideHorizon, Window};
pub use predictor::{Predictor, SecondaryPredictor};
pub use station::{
    HarmonicConstant, HarmonicStation, HeightCorrection, Problem, SPEED_TOLERANCE_DEG_PER_HOUR,
    SecondaryStation, Station, StationError, StationInfo, file_stem, parse_station,
};
