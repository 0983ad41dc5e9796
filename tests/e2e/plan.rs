//! `doorstep plan` end to end.
