//! In-process tests: feeds.
