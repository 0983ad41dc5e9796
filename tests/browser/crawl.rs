//! Every page each role reaches by following links from the page it lands
//! on after signing in: each is checked, its links answer, and it is kept
//! as a screenshot. A page added later is covered as soon as a page links
//! to it.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;
use url::Url;

use crate::checks::{axe_source, check_page};
use crate::harness::{Browser, Harness, Role, enabled, page_name, shots_dir};
use crate::walk::{Frontier, MAX_PAGES, SESSION_PATHS, bare};

/// How many of the pages a problem is on the failure names.
const PAGES_NAMED: usize = 8;

/// How many links the page asks for at once.
const FETCHES_AT_ONCE: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_each_role_passes_the_checks() {
    if !enabled() {
        return;
    }
    let harness = Harness::start().await;
    let axe = axe_source();
    let (leader, volunteer, official) = tokio::join!(
        crawl(&harness, Role::Leader, &axe),
        crawl(&harness, Role::Volunteer, &axe),
        crawl(&harness, Role::Official, &axe),
    );
    // One problem is often on every page: each is said once, with the
    // pages it is on.
    let mut problems = BTreeMap::<String, Vec<String>>::new();
    for report in [leader, volunteer, official] {
        println!(
            "{}: {} pages checked: {}",
            report.role.name(),
            report.pages.len(),
            report.pages.join(" ")
        );
        for (page, what) in report.problems {
            problems.entry(what).or_default().push(page);
        }
    }
    println!("screenshots: {}", shots_dir().display());
    let said: Vec<String> = problems
        .iter()
        .map(|(what, pages)| {
            let shown = pages.iter().take(PAGES_NAMED).cloned();
            let more = pages.len().saturating_sub(PAGES_NAMED);
            let more = (more > 0).then(|| format!("and {more} more"));
            let pages: Vec<String> = shown.chain(more).collect();
            format!("- {what}\n  on {}", pages.join(", "))
        })
        .collect();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        said.join("\n")
    );
}

/// What one role's crawl found.
struct Report {
    role: Role,
    /// The pages checked, in the order opened.
    pages: Vec<String>,
    /// Every problem: the role and page, and what is wrong.
    problems: Vec<(String, String)>,
}

/// Signs in as `role` and checks every page reachable from the first, up
/// to [`MAX_PAGES`], breadth first, a page of a kind not seen yet first.
async fn crawl(harness: &Harness, role: Role, axe: &str) -> Report {
    let browser = harness.browser().await;
    browser.sign_in(role).await;
    let first = browser.path().await;
    let mut frontier = Frontier::new(first);
    let mut statuses = BTreeMap::<String, u16>::new();
    let mut report = Report {
        role,
        pages: Vec::new(),
        problems: Vec::new(),
    };
    while report.pages.len() < MAX_PAGES {
        let Some(path) = frontier.next() else {
            break;
        };
        browser.goto(&path).await;
        let mut problem = |what: String| {
            report
                .problems
                .push((format!("{} {path}", role.name()), what));
        };
        let shown = browser.path().await;
        if SESSION_PATHS.contains(&bare(&shown)) {
            problem(format!("shows {shown}: the session ended"));
            break;
        }
        for found in check_page(&browser, harness.origin(), axe).await {
            problem(found);
        }
        let links = same_origin_links(&browser, harness.origin()).await;
        let unasked: Vec<String> = links
            .iter()
            .chain([&path])
            .filter(|link| !statuses.contains_key(*link))
            .filter(|link| !SESSION_PATHS.contains(&bare(link)))
            .cloned()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        statuses.extend(link_statuses(&browser, harness.origin(), &unasked).await);
        for link in links.iter().chain([&path]) {
            match statuses.get(link) {
                Some(&status) if !(200..400).contains(&status) => {
                    problem(format!("the link {link} answers {status}"));
                }
                _ => {}
            }
        }
        for link in links {
            frontier.add(link);
        }
        browser
            .screenshot(&format!("{}-{}", role.name(), page_name(&path)))
            .await;
        report.pages.push(path);
    }
    report
}

/// The page's links to its own origin, as paths and queries, without
/// their fragments, in the page's order.
async fn same_origin_links(browser: &Browser<'_>, origin: &str) -> Vec<String> {
    let origin = Url::parse(origin).expect("the server's origin is a URL");
    let hrefs = browser
        .script("return Array.from(document.querySelectorAll('a[href]'), (a) => a.href);")
        .await;
    let mut seen = HashSet::new();
    hrefs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|href| Url::parse(href).ok())
        .filter(|url| url.origin() == origin.origin())
        .map(|url| match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        })
        .filter(|path| seen.insert(path.clone()))
        .collect()
}

/// The status each path answers to a GET from the page, with the page's
/// session, after redirects (0: no answer).
async fn link_statuses(
    browser: &Browser<'_>,
    origin: &str,
    paths: &[String],
) -> BTreeMap<String, u16> {
    if paths.is_empty() {
        return BTreeMap::new();
    }
    let answer = browser
        .script_async(
            r#"
const [origin, paths, atOnce, done] = arguments;
const statuses = {};
let next = 0;
const ask = async () => {
  while (next < paths.length) {
    const path = paths[next++];
    try {
      const response = await fetch(origin + path, {credentials: 'same-origin', cache: 'no-store'});
      statuses[path] = response.status;
      // Only the status matters: a large download is not read.
      if (response.body) await response.body.cancel();
    } catch (e) {
      statuses[path] = 0;
    }
  }
};
Promise.all(Array.from({length: atOnce}, ask)).then(() => done(statuses));
"#,
            vec![origin.into(), paths.into(), FETCHES_AT_ONCE.into()],
        )
        .await;
    paths
        .iter()
        .map(|path| {
            let status = answer[path.as_str()].as_u64().unwrap_or(0);
            (path.clone(), u16::try_from(status).unwrap_or(0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::walk::{Frontier, is_page, kind, links, quantile};
    use std::time::Duration;

    #[test]
    fn a_page_of_a_kind_not_opened_yet_comes_first() {
        assert_eq!(
            kind("/teams/12/lich?tu=2026-12-07&ngay=2026-12-08"),
            "/teams/{id}/lich?ngay&tu"
        );
        assert_eq!(kind("/ho-dan/7"), "/ho-dan/{id}?");
        let mut frontier = Frontier::new("/teams/1".to_owned());
        assert_eq!(frontier.next().as_deref(), Some("/teams/1"));
        for link in [
            "/teams/1/lich?tu=2026-12-07",
            "/teams/1/lich?tu=2026-12-14",
            "/teams/1/lich?tu=2026-12-21",
            "/dang-xuat",
            "/teams/1/ho-dan",
            "/teams/1/lich?tu=2026-12-14",
        ] {
            frontier.add(link.to_owned());
        }
        let order: Vec<String> = std::iter::from_fn(|| frontier.next()).collect();
        assert_eq!(
            order,
            [
                "/teams/1/lich?tu=2026-12-07",
                "/teams/1/ho-dan",
                "/teams/1/lich?tu=2026-12-14",
                "/teams/1/lich?tu=2026-12-21",
            ]
        );
    }

    #[test]
    fn downloads_the_api_and_signing_out_are_not_opened_as_pages() {
        for link in [
            "/",
            "/teams/1?page=2",
            "/teams/1/lich?tu=2026-12-07&xem=nhap",
        ] {
            assert!(is_page(link), "{link}");
        }
        for link in [
            "/dang-xuat",
            "/dang-nhap",
            "/api/v1/teams",
            "/ics/abc.ics",
            "/teams/1/export.csv",
            "/teams/1/so-ho.xlsx?x=1",
            "/assets/doorstep.css",
        ] {
            assert!(!is_page(link), "{link}");
        }
    }

    #[test]
    fn links_are_the_origins_paths_read_back_once_without_fragments() {
        let html = r##"<link href="/assets/doorstep.css"><a href="/lich-cua-toi?ngay=2026-12-07&#38;ghi=3#v3">x</a>
            <a class="btn" href="tel:0912">call</a><a href="https://maps.google.com/">map</a>
            <a href="//evil.example/">no</a><a rel="prev" href="/lich-cua-toi?ngay=2026-12-07&#38;ghi=3">again</a>
            <a id="x">none</a><a href="/vung/4">area</a>"##;
        assert_eq!(
            links(html),
            ["/lich-cua-toi?ngay=2026-12-07&ghi=3", "/vung/4"]
        );
    }

    #[test]
    fn the_quantiles_are_nearest_rank() {
        let ms: Vec<Duration> = (1..=20).map(Duration::from_millis).collect();
        assert_eq!(quantile(&ms, 0.5), Duration::from_millis(10));
        assert_eq!(quantile(&ms, 0.95), Duration::from_millis(19));
        assert_eq!(quantile(&ms[..1], 0.95), Duration::from_millis(1));
    }
}
