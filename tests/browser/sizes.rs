//! Every page of each demo role crosses the wire in under 100 kB when
//! asked for as a browser asks (gzip), on the demo data: a volunteer's
//! phone on a weak connection loads it in a few seconds. The sizes, not
//! the times: a size depends on the data alone, a time on the machine
//! (the times are the page-figures benchmark's, docs/pages.md, "Figures").

use doorstep_tests::Server;

use crate::harness::enabled;
use crate::walk::{demo_database, get, sign_in, walk};

/// The most a page may weigh on the wire: head, gzip body and chunking.
pub const MAX_TRANSFERRED: usize = 100_000;

/// How often `/readyz` is asked before the test gives up.
const READY_ATTEMPTS: u32 = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_each_role_is_under_100_kb_on_the_wire() {
    if !enabled() {
        return;
    }
    let db = demo_database().await;
    let server = Server::start(&db, &["--demo"]);
    let address = server.address.clone();
    let ready = (0..READY_ATTEMPTS).any(|attempt| {
        if attempt > 0 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        get(&address, "/readyz", None).status == 200
    });
    assert!(ready, "doorstep serve answers /readyz");
    let mut problems = Vec::new();
    let mut checked = 0;
    for (username, _, _) in doorstep_demo::DEMO_USERS {
        let address = address.clone();
        let pages = tokio::task::spawn_blocking(move || {
            let cookie = sign_in(&address, username);
            walk(&address, &cookie)
        })
        .await
        .expect("the walk ends");
        assert!(pages.len() > 1, "{username} reaches pages: {pages:?}");
        let largest = pages
            .iter()
            .max_by_key(|p| p.answer.transferred)
            .expect("a page");
        // The time is said, never held to: it is the machine's.
        println!(
            "{username}: {} pages, the largest {} ({} B on the wire, {} B unpacked, \
             first byte after {:?})",
            pages.len(),
            largest.path,
            largest.answer.transferred,
            largest.answer.body.len(),
            largest.answer.first_byte,
        );
        for page in &pages {
            checked += 1;
            let answer = &page.answer;
            if answer.status != 200 {
                problems.push(format!("{username} {}: {}", page.path, answer.status));
            }
            if answer.header("content-encoding") != Some("gzip") {
                problems.push(format!("{username} {}: not sent with gzip", page.path));
            }
            if answer.transferred >= MAX_TRANSFERRED {
                problems.push(format!(
                    "{username} {}: {} B on the wire ({} B unpacked), the most is {MAX_TRANSFERRED}",
                    page.path,
                    answer.transferred,
                    answer.body.len()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {checked} pages:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
