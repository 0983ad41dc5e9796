//! doorstep-scheduler.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
