//! doorstep database migrations, the same on SQLite and PostgreSQL.
//!
//! Migrations are append-only and self-contained: they never import the
//! entities of `doorstep-store`, so an old migration keeps meaning what it
//! meant when it shipped. Add a new module for every change.

// `async_trait` hides the lifetime of `SchemaManager` in every migration.
#![allow(elided_lifetimes_in_paths)]

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_initial;
mod m20261201_000001_planning;
mod m20261201_000002_one_live_feed;
mod m20261201_000003_mail;
mod m20261202_000001_outcomes;
mod m20261202_000002_audit_scope;
mod m20261202_000010_resident_rights;
mod m20261203_000001_tallies;
mod m20261203_000002_jobs;
mod m20261204_000001_outcome_needs;
mod m20261206_000001_calendar;
mod m20261207_000001_vocabularies;
mod m20261207_000002_page_language;
mod m20261208_000001_tide_stations;
mod m20261208_000002_count_indexes;

pub use m20261207_000001_vocabularies::VOCABULARIES;
pub use m20261207_000002_page_language::USER_LANGUAGE;

/// Every vocabulary column with its codes: [`VOCABULARIES`] and those added
/// after it.
pub fn vocabulary_columns()
-> impl Iterator<Item = &'static (&'static str, &'static str, &'static [&'static str])> {
    VOCABULARIES.iter().chain(std::iter::once(&USER_LANGUAGE))
}

/// Every migration of doorstep, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_initial::Migration),
            Box::new(m20261201_000001_planning::Migration),
            Box::new(m20261201_000002_one_live_feed::Migration),
            Box::new(m20261201_000003_mail::Migration),
            Box::new(m20261202_000001_outcomes::Migration),
            Box::new(m20261202_000002_audit_scope::Migration),
            Box::new(m20261202_000010_resident_rights::Migration),
            Box::new(m20261203_000001_tallies::Migration),
            Box::new(m20261203_000002_jobs::Migration),
            Box::new(m20261204_000001_outcome_needs::Migration),
            Box::new(m20261206_000001_calendar::Migration),
            Box::new(m20261207_000001_vocabularies::Migration),
            Box::new(m20261207_000002_page_language::Migration),
            Box::new(m20261208_000001_tide_stations::Migration),
            Box::new(m20261208_000002_count_indexes::Migration),
        ]
    }
}
