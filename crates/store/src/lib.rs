//! doorstep-store.
