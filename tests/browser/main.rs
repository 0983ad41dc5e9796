//! Browser tests: headless Chromium, driven through chromedriver, uses the
//! real `doorstep serve --demo` as a volunteer's phone would, 412 CSS pixels
//! wide. Every page a role can reach is checked (a title, a language, a
//! label on every field, no request to another site, no serious or
//! critical axe-core finding, no link answering 404 or 500) and kept as a
//! full-page screenshot in `target/browser-shots/`. A volunteer's day goes
//! offline and back behind a proxy that cuts the network, the service
//! worker's list and the outbox's taps checked against the server's
//! database; a leader imports the register, sets a fisherman's
//! availability, adds a storm, re-plans, pins a visit and publishes; an
//! official downloads the unmet households as CSV and XLSX;
//! and every page of each role is under 100 kB on the wire.
//!
//! They need Chromium, chromedriver and axe-core (`bash .ci/run` installs
//! them) and run only with `DOORSTEP_BROWSER_TESTS=1`, so that
//! `cargo test --workspace` on a machine without a browser, and CI's pass
//! on SQLite, leave them to CI's browser step (docs/testing.md, "Browser
//! tests").

mod checks;
mod crawl;
mod downloads;
mod harness;
mod leader;
mod offline;
mod outcome;
mod phone;
mod proxy;
mod sizes;
mod tide;
mod walk;
