//! doorstep database migrations.
