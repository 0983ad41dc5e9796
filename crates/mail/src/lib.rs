//! doorstep-mail.
