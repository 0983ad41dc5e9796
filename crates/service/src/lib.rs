//! The use cases of doorstep, shared by the HTTP API, the CLI and the
//! scheduled jobs: importing a register, planning, publishing, the daily
//! lists and mail, oversight and residents' rights (the synthetic data lives
//! in `doorstep-demo`). Jobs take `now` as an
//! argument and never read the clock themselves.
//!
//! Errors are typed with thiserror; each says what was wrong and where.

pub mod access;
pub mod auth;
pub mod blackouts;
pub mod calendar;
pub mod clock;
pub mod dashboard;
pub mod daylist;
pub mod error;
pub mod export;
pub mod feeds;
pub mod health;
pub mod household_page;
pub mod import;
pub mod mail;
pub mod outcomes;
pub mod oversight;
pub mod planning;
pub mod records;
pub mod register;
pub mod residents;
pub mod rules;
pub mod schedule;
pub mod stations;
pub mod team_stations;
pub mod teams;
pub mod tide_fit;

pub use clock::Clock;
pub use doorstep_store::Store;
pub use doorstep_tide::Catalog;
