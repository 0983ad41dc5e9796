//! The sea-orm entities, one module per table. They mirror the migrations;
//! hand-written queries live beside them in `crate::repo`, one module per
//! aggregate.

pub mod api_token;
pub mod area;
pub mod audit;
pub mod blackout;
pub mod calendar_feed;
pub mod consent;
pub mod erasure;
pub mod household;
pub mod login_attempt;
pub mod mail_firing;
pub mod mail_schedule;
pub mod member;
pub mod need;
pub mod outbox;
pub mod outcome;
pub mod outcome_need;
pub mod outcome_request;
pub mod plan;
pub mod resident;
pub mod session;
pub mod team;
pub mod tide_station;
pub mod unmet;
pub mod user;
pub mod visit;
