//! `doorstep windows` end to end.
