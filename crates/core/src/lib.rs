//! doorstep's domain: the words of the users as types.
//!
//! This crate is pure: no I/O, no async, no clock. Values that come from the
//! outside (a CSV cell, a JSON field) are parsed into these types once, at the
//! edge, and carried as types from then on.
//!
//! [`rules`] holds the availability rules: their language, their expansion
//! into windows, their rendering in words, and presets.
//!
//! ```
//! use doorstep_core::{NeedStep, Presence};
//!
//! assert_eq!(Presence::parse("đi biển"), Some(Presence::AtSea));
//! assert_eq!(NeedStep::parse("vneid_level2"), Some(NeedStep::VneidLevel2));
//! assert_eq!(NeedStep::VneidLevel2.label_vi(), "Định danh điện tử mức 2");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod country;
mod domain;
pub mod records;
pub mod rules;
pub mod words;

pub use country::{COUNTRIES, Country, find_country};

pub use domain::{
    AreaLevel, ConsentAction, JobStatus, Language, MailKind, MemberRole, NeedStatus, NeedStep,
    OutboxStatus, OutcomeResult, PlanStatus, Presence, RunStatus, Skill, UnmetReason, UserRole,
    VisitMode, VisitStatus, Vocabulary, fold_vietnamese,
};
