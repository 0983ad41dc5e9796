//! In-process tests: plans.
