//! doorstep-api.
