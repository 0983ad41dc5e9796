//! doorstep-tide.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
