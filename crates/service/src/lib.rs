//! doorstep-service.
