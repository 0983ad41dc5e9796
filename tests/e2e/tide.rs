//! `doorstep tide` end to end.
