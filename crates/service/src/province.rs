//! A synthetic province for measurements at scale.
