//! A volunteer's day without a network, in a real browser: the service
//! worker keeps the day's list, a tap made offline waits in the outbox and
//! the page says so, the outbox is sent once the network is back and the
//! server records the outcome exactly once, even when the first sending
//! reached it but its answer was lost; and after sign-out nothing of the
//! list is left on the phone.
//!
//! The browser talks to a proxy in front of the server ([`Proxy`]), cut to
//! take the network away: DevTools' offline switch would leave the service
//! worker's own requests alone.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;

use crate::harness::{Browser, BrowserOptions, CALENDAR_DAYS_BACK, Harness, Role, enabled};
use crate::proxy::{Mode, Proxy};

/// How many times a state is looked for before the test gives up, and how
/// long between two looks: 20 s at most.
const POLLS: u32 = 200;
const POLL_INTERVAL: Duration = Duration::from_millis(100);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_taps_wait_in_the_outbox_arrive_once_and_sign_out_leaves_nothing() {
    if !enabled() {
        return;
    }
    let started = Harness::start().await;
    let harness = &started;
    let proxy = Proxy::start(harness.address()).await;
    let session = harness
        .browser_with(BrowserOptions {
            origin: Some(proxy.origin.clone()),
            ..BrowserOptions::default()
        })
        .await;
    let browser = &session;
    browser.sign_in(Role::Volunteer).await;
    browser.goto("/lich-cua-toi").await;

    // Today, or the nearest day before it with two visits each with a
    // resident nothing is recorded for yet, through the page's own links.
    let mut open = open_residents(browser).await;
    for _ in 0..CALENDAR_DAYS_BACK {
        if open.len() >= 2 {
            break;
        }
        click(browser, r#"a[rel="prev"]"#).await;
        open = open_residents(browser).await;
    }
    let day = browser.path().await;
    let [
        (first_visit, first_resident),
        (second_visit, second_resident),
        ..,
    ] = open[..]
    else {
        panic!("two visits to record in the {CALENDAR_DAYS_BACK} days up to today: {open:?}");
    };
    let before = [
        outcomes_of(harness, first_visit).await,
        outcomes_of(harness, second_visit).await,
    ];
    let second_name = text_of(browser, &row(second_visit, second_resident, " .name")).await;
    assert_eq!(
        waiting_shown(browser).await,
        Vec::<String>::new(),
        "nothing waits to be sent yet"
    );
    assert_eq!(offline_note(browser).await, None, "online, no offline note");
    let mut seen = residents_shown(browser).await;
    assert!(seen.contains(&second_name), "{day} names {second_name}");

    // The service worker installs and keeps the list.
    let ready = browser
        .script_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.ready.then((r) => done(!!r.active), (e) => done(String(e)));",
            Vec::new(),
        )
        .await;
    assert_eq!(ready, Value::Bool(true), "the service worker is active");
    wait_kept(browser, &day).await;
    // And the next day's list: tomorrow's, or the day after the one shown.
    let tomorrow = browser
        .script(
            "const a = document.querySelector('a.tomorrow') || document.querySelector('a[rel=next]');
             return a.getAttribute('href');",
        )
        .await
        .as_str()
        .expect("a link to the next day")
        .to_owned();
    wait_kept(browser, &tomorrow).await;

    // Online, one tap records.
    let first_key = tap_done(browser, first_visit, first_resident).await;
    poll("the tapped result shows on the list", || async move {
        browser.path().await.contains(&format!("ghi={first_visit}"))
            && current(browser, first_visit, first_resident).await == "done"
    })
    .await;
    assert_eq!(requests(harness, first_visit, &first_key).await, 1);
    let listed = browser.path().await;
    wait_kept(browser, &listed).await;
    seen.extend(residents_shown(browser).await);

    // The network goes; the reloaded list is the kept one.
    proxy.set(Mode::Cut);
    browser.client.refresh().await.expect("the list reloads");
    let saved_note = poll_value("the kept list, saying it is offline", || async move {
        offline_note(browser).await
    })
    .await;
    assert!(
        saved_note.starts_with("Đang ngoại tuyến — danh sách đã lưu lúc "),
        "{saved_note}"
    );
    let shown = residents_shown(browser).await;
    assert!(
        shown.contains(&second_name),
        "the kept list names {second_name}: {shown:?}"
    );
    browser.screenshot("volunteer-offline-list").await;

    // The next day's list was kept too; then back to the day's.
    browser.goto(&tomorrow).await;
    let note = poll_value("the next day's kept list", || async move {
        offline_note(browser).await
    })
    .await;
    assert!(note.starts_with("Đang ngoại tuyến"), "{tomorrow}: {note}");
    browser.goto(&listed).await;
    poll("the day's kept list again", || async move {
        offline_note(browser).await.is_some()
    })
    .await;

    // A tap without a network waits in the outbox, and the page says so.
    let second_key = tap_done(browser, second_visit, second_resident).await;
    let pending = row(second_visit, second_resident, " [data-pending]");
    let pending = pending.as_str();
    let sent_key = second_key.as_str();
    let waiting = poll_value("the tap shown as waiting to send", || async move {
        let tag = browser
            .script(&format!(
                "const t = document.querySelector('{pending}');
                 return t && t.checkVisibility() ? t.textContent : null;"
            ))
            .await;
        tag.as_str().map(str::to_owned)
    })
    .await;
    assert_eq!(waiting, "chờ gửi: Đã xong");
    assert_eq!(
        waiting_shown(browser).await,
        ["chờ gửi: Đã xong"],
        "only the tap that waits says so"
    );
    assert_eq!(outbox(browser).await, [sent_key]);
    assert_eq!(requests(harness, second_visit, &second_key).await, 0);
    browser.screenshot("volunteer-offline-waiting").await;

    // The network comes back but loses the answers: the outbox is sent
    // when the page loads, the server records, the phone never hears it.
    proxy.set(Mode::AnswersLost);
    browser.client.refresh().await.expect("the list reloads");
    poll("the server records the sent tap", || async move {
        requests(harness, second_visit, sent_key).await == 1
    })
    .await;
    assert_eq!(
        outbox(browser).await,
        [sent_key],
        "an answer lost keeps the tap in the outbox"
    );
    assert_eq!(waiting_shown(browser).await, ["chờ gửi: Đã xong"]);

    // The network is back: the page's load sends the outbox again; the
    // server answers with what it recorded, and the outbox empties.
    proxy.set(Mode::Open);
    browser.client.refresh().await.expect("the list reloads");
    poll("the outbox sent and emptied", || async move {
        outbox(browser).await.is_empty() && waiting_shown(browser).await.is_empty()
    })
    .await;
    assert_eq!(
        current(browser, second_visit, second_resident).await,
        "done"
    );
    assert_eq!(
        requests(harness, second_visit, &second_key).await,
        1,
        "sent twice, recorded once"
    );
    assert_eq!(
        [
            outcomes_of(harness, first_visit).await,
            outcomes_of(harness, second_visit).await
        ],
        [before[0] + 1, before[1] + 1],
        "one outcome more at each visit"
    );
    assert_eq!(
        outcomes_for(harness, second_visit, second_resident).await,
        1
    );
    seen.extend(residents_shown(browser).await);

    // Signed out, the phone keeps nothing: no cache, no outbox, no worker.
    browser.sign_out().await;
    let left = poll_value("the kept lists and the outbox cleared", || async move {
        let left = browser
            .script_async(
                "const done = arguments[arguments.length - 1];
                 (async () => ({
                   caches: await caches.keys(),
                   databases: (await indexedDB.databases()).map((d) => d.name),
                   workers: (await navigator.serviceWorker.getRegistrations()).length,
                 }))().then(done, (e) => done({error: String(e)}));",
                Vec::new(),
            )
            .await;
        let empty = |name: &str| left[name].as_array().is_some_and(Vec::is_empty);
        (empty("caches") && empty("databases") && left["workers"] == 0).then_some(left)
    })
    .await;
    assert!(left.get("error").is_none(), "{left}");

    // And without a network, the list's addresses show no one.
    proxy.set(Mode::Cut);
    for path in [day.as_str(), listed.as_str(), "/lich-cua-toi"] {
        // A page that cannot load is Chromium's error page, not a failure.
        let _ = browser.client.goto(&browser.url(path)).await;
        let text = browser.text().await;
        let source = browser.client.source().await.unwrap_or_default();
        let still: Vec<&String> = seen
            .iter()
            .filter(|s| text.contains(s.as_str()) || source.contains(s.as_str()))
            .collect();
        assert!(
            still.is_empty(),
            "signed out and offline, {path} shows {still:?}:\n{text}"
        );
    }
    browser.screenshot("volunteer-offline-after-sign-out").await;
}

/// The selector of a resident's row on a day's list, with `rest` after it.
fn row(visit: i64, resident: i64, rest: &str) -> String {
    format!("li#r{visit}-{resident}{rest}")
}

/// Per visit of the page whose residents have nothing recorded, the
/// first such resident: `(visit, resident)`, in the page's order.
async fn open_residents(browser: &Browser<'_>) -> Vec<(i64, i64)> {
    let found = browser
        .script(
            r#"const open = new Map();
               for (const li of document.querySelectorAll('ul.people > li[data-visit]')) {
                 if (li.dataset.current || li.querySelector('.recorded')) continue;
                 if (!li.querySelector(':scope > .taps form.tap-form')) continue;
                 if (!open.has(li.dataset.visit)) open.set(li.dataset.visit, li.dataset.resident);
               }
               return Array.from(open, ([v, r]) => [Number(v), Number(r)]);"#,
        )
        .await;
    found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|pair| Some((pair[0].as_i64()?, pair[1].as_i64()?)))
        .collect()
}

/// Taps "Đã xong" for a resident; answers the form's idempotency key.
async fn tap_done(browser: &Browser<'_>, visit: i64, resident: i64) -> String {
    let form = row(
        visit,
        resident,
        &format!(r#" > .taps form.tap-form:has(input[name="r{resident}"][value="done"])"#),
    );
    let key = browser
        .client
        .find(Locator::Css(&format!(r#"{form} input[name="key"]"#)))
        .await
        .unwrap_or_else(|e| panic!("{form}: {e}"))
        .attr("value")
        .await
        .expect("the key's value")
        .expect("the form has a key");
    assert!(
        key.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "a key fit for SQL: {key}"
    );
    click(browser, &format!("{form} button")).await;
    key
}

/// Clicks the element a selector finds.
async fn click(browser: &Browser<'_>, selector: &str) {
    let element = match browser.client.find(Locator::Css(selector)).await {
        Ok(element) => element,
        Err(e) => panic!("{selector} on {}: {e}", browser.path().await),
    };
    element
        .click()
        .await
        .unwrap_or_else(|e| panic!("{selector} is clicked: {e}"));
}

/// The text of the element a selector finds, trimmed.
async fn text_of(browser: &Browser<'_>, selector: &str) -> String {
    browser
        .script(&format!(
            "const e = document.querySelector('{selector}'); return e ? e.textContent.trim() : '';"
        ))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The result the list shows recorded for a resident's whole visit.
async fn current(browser: &Browser<'_>, visit: i64, resident: i64) -> String {
    browser
        .script(&format!(
            "const li = document.querySelector('{}'); return li ? li.dataset.current : null;",
            row(visit, resident, "")
        ))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The "offline" note, when a person sees it on the page.
async fn offline_note(browser: &Browser<'_>) -> Option<String> {
    let note = browser
        .script(
            "const n = document.querySelector('[data-offline]');
             return n && n.checkVisibility() ? n.textContent : null;",
        )
        .await;
    note.as_str().map(str::to_owned)
}

/// The "waiting to send" tags a person sees on the page.
async fn waiting_shown(browser: &Browser<'_>) -> Vec<String> {
    let shown = browser
        .script(
            "return Array.from(document.querySelectorAll('[data-pending]'))
               .filter((t) => t.checkVisibility())
               .map((t) => t.textContent.trim());",
        )
        .await;
    shown
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The residents' names and phone numbers the page shows.
async fn residents_shown(browser: &Browser<'_>) -> Vec<String> {
    let found = browser
        .script(
            r#"return [
                ...Array.from(document.querySelectorAll('.people .name'), (e) => e.textContent.trim()),
                ...Array.from(document.querySelectorAll('a[href^="tel:"]'), (a) => a.getAttribute('href').slice(4)),
            ].filter((s) => s.length > 0);"#,
        )
        .await;
    found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Waits until the service worker keeps `path` (a day's list) under the
/// session's cache, marked with the time it was saved.
async fn wait_kept(browser: &Browser<'_>, path: &str) {
    poll(&format!("the service worker keeps {path}"), || async move {
        browser
            .script_async(
                r#"const [path, done] = arguments;
                   (async () => {
                     const url = new URL(path, location.origin).href;
                     for (const name of await caches.keys()) {
                       if (!name.startsWith('doorstep-pages-')) continue;
                       const hit = await (await caches.open(name)).match(url);
                       if (hit && (await hit.text()).includes('data-saved-at')) return true;
                     }
                     return false;
                   })().then(done, () => done(false));"#,
                vec![path.into()],
            )
            .await
            == Value::Bool(true)
    })
    .await;
}

/// The keys of the outbox's entries (none when there is no outbox).
async fn outbox(browser: &Browser<'_>) -> Vec<String> {
    let keys = browser
        .script_async(
            r#"const done = arguments[arguments.length - 1];
               (async () => {
                 const names = (await indexedDB.databases()).map((d) => d.name);
                 if (!names.includes('doorstep')) return [];
                 return new Promise((resolve, reject) => {
                   const open = indexedDB.open('doorstep');
                   open.onerror = () => reject(open.error);
                   open.onsuccess = () => {
                     const db = open.result;
                     if (!db.objectStoreNames.contains('outbox')) { db.close(); resolve([]); return; }
                     const keys = db.transaction('outbox').objectStore('outbox').getAllKeys();
                     keys.onsuccess = () => { db.close(); resolve(keys.result); };
                     keys.onerror = () => { db.close(); reject(keys.error); };
                   };
                 });
               })().then(done, (e) => done({error: String(e)}));"#,
            Vec::new(),
        )
        .await;
    keys.as_array()
        .unwrap_or_else(|| panic!("the outbox reads: {keys}"))
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Waits until `check` holds, looking [`POLLS`] times at most.
async fn poll<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    poll_value(what, || {
        let found = check();
        async move { found.await.then_some(()) }
    })
    .await;
}

/// Waits until `look` finds something, looking [`POLLS`] times at most.
async fn poll_value<T, F, Fut>(what: &str, mut look: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for attempt in 0..POLLS {
        if attempt > 0 {
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        if let Some(found) = look().await {
            return found;
        }
    }
    panic!("{what}: not after {POLLS} looks");
}

/// How many requests the server recorded at a visit under a key.
async fn requests(harness: &Harness, visit: i64, key: &str) -> i64 {
    harness
        .count(&format!(
            "SELECT COUNT(*) FROM outcome_requests WHERE visit_id = {visit} \
             AND idempotency_key = '{key}'"
        ))
        .await
}

/// How many outcomes a visit has.
async fn outcomes_of(harness: &Harness, visit: i64) -> i64 {
    harness
        .count(&format!(
            "SELECT COUNT(*) FROM outcomes WHERE visit_id = {visit}"
        ))
        .await
}

/// How many outcomes a resident has at a visit.
async fn outcomes_for(harness: &Harness, visit: i64, resident: i64) -> i64 {
    harness
        .count(&format!(
            "SELECT COUNT(*) FROM outcomes WHERE visit_id = {visit} AND resident_id = {resident}"
        ))
        .await
}
