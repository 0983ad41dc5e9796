//! Secret calendar addresses.
