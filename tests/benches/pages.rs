//! Page figures: the real `doorstep serve --demo` on a temporary SQLite
//! file (the demo's calendars from a week before today, as the browser
//! tests have them), each demo role signed in, every page it reaches by
//! links walked as the browser crawl walks them, each asked for N times as
//! Chromium asks (gzip). Per page: the bytes on the wire (head and gzip
//! body), the page's bytes once unpacked, and the time to its first byte,
//! median and 95th percentile; then the largest and the slowest.
//!
//! ```sh
//! cargo build --release -p doorstep && cargo bench -p doorstep-tests --bench pages [-- --requests N]
//! ```
//!
//! The server is the release build next to this benchmark
//! (`target/release/doorstep`): build it first, as above. docs/pages.md,
//! "Figures", has the numbers of a run.

use std::time::Duration;

use doorstep_tests::Server;

#[path = "../browser/walk.rs"]
mod walk;

/// Requests per page when not told.
const REQUESTS: usize = 20;

/// How often `/readyz` is asked before giving up, 50 ms apart.
const READY_ATTEMPTS: u32 = 400;

/// The bounds the pages are held to (docs/pages.md, "Figures").
const MAX_TRANSFERRED: usize = 100_000;
const MAX_FIRST_BYTE: Duration = Duration::from_millis(100);

struct Figures {
    role: &'static str,
    path: String,
    status: u16,
    transferred: usize,
    unpacked: usize,
    median: Duration,
    p95: Duration,
}

fn main() {
    let requests = requests();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let db = runtime.block_on(walk::demo_database());
    let server = Server::start(&db, &["--demo"]);
    let address = server.address.clone();
    let ready = (0..READY_ATTEMPTS).any(|attempt| {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(50));
        }
        walk::get(&address, "/readyz", None).status == 200
    });
    assert!(ready, "doorstep serve answers /readyz");
    println!(
        "doorstep serve --demo on SQLite ({}), {requests} requests per page, \
         Accept-Encoding: {}",
        db.url,
        walk::ACCEPT_ENCODING
    );
    println!(
        "{:<10} {:>8} {:>9} {:>9} {:>9}  page",
        "role", "wire B", "page B", "TTFB p50", "TTFB p95"
    );
    let mut all = Vec::new();
    for (username, _, _) in doorstep_demo::DEMO_USERS {
        let cookie = walk::sign_in(&address, username);
        let pages = walk::walk(&address, &cookie);
        // Round after round over every page, so that each page's times
        // spread over the run rather than come in one burst.
        let mut times = vec![Vec::with_capacity(requests); pages.len()];
        for _ in 0..requests {
            for (page, times) in pages.iter().zip(&mut times) {
                times.push(walk::get(&address, &page.path, Some(&cookie)).first_byte);
            }
        }
        for (page, mut times) in pages.into_iter().zip(times) {
            times.sort();
            let figures = Figures {
                role: username,
                path: page.path,
                status: page.answer.status,
                transferred: page.answer.transferred,
                unpacked: page.answer.body.len(),
                median: walk::quantile(&times, 0.5),
                p95: walk::quantile(&times, 0.95),
            };
            println!(
                "{:<10} {:>8} {:>9} {:>9} {:>9}  {}{}",
                short(figures.role),
                figures.transferred,
                figures.unpacked,
                ms(figures.median),
                ms(figures.p95),
                figures.path,
                if figures.status == 200 {
                    String::new()
                } else {
                    format!(" ({})", figures.status)
                }
            );
            all.push(figures);
        }
    }
    println!();
    for (username, _, _) in doorstep_demo::DEMO_USERS {
        let mine: Vec<&Figures> = all.iter().filter(|f| f.role == *username).collect();
        summary(short(username), &mine);
    }
    summary("all", &all.iter().collect::<Vec<_>>());
    let over: Vec<&Figures> = all
        .iter()
        .filter(|f| f.transferred >= MAX_TRANSFERRED || f.p95 >= MAX_FIRST_BYTE)
        .collect();
    if over.is_empty() {
        println!(
            "every page under {} kB on the wire and its first byte under {} ms (p95)",
            MAX_TRANSFERRED / 1000,
            MAX_FIRST_BYTE.as_millis()
        );
    }
    for f in over {
        println!(
            "OVER: {} {}: {} B, p95 {}",
            short(f.role),
            f.path,
            f.transferred,
            ms(f.p95)
        );
    }
}

/// The pages of a role (or all): how many, the largest and the slowest.
fn summary(who: &str, figures: &[&Figures]) {
    let Some(largest) = figures.iter().max_by_key(|f| f.transferred) else {
        return;
    };
    let slowest = figures
        .iter()
        .max_by_key(|f| f.p95)
        .expect("a page when there is a largest");
    let mut medians: Vec<Duration> = figures.iter().map(|f| f.median).collect();
    medians.sort();
    println!(
        "{who}: {} pages; largest {} B on the wire ({} B unpacked) {}; slowest p95 {} (p50 {}) {}; \
         median of the pages' medians {}",
        figures.len(),
        largest.transferred,
        largest.unpacked,
        largest.path,
        ms(slowest.p95),
        ms(slowest.median),
        slowest.path,
        ms(walk::quantile(&medians, 0.5)),
    );
}

/// A role's user name without its team: `totruong.haithanh` → `totruong`.
fn short(username: &str) -> &str {
    username.split('.').next().unwrap_or(username)
}

/// A duration in milliseconds with one decimal.
fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `--requests N`, else [`REQUESTS`].
fn requests() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--requests")
        .and_then(|i| args.get(i + 1))
        .map_or(REQUESTS, |n| n.parse().expect("--requests takes a number"))
}
