//! `doorstep lunar` end to end.
