//! In-process tests: teams.
