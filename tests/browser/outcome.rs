//! A volunteer records what happened at a visit with the day page's form,
//! signs out, and the Back button then shows none of the residents the
//! list named: pages are sent with `Cache-Control: no-store`, so a shared
//! phone keeps no one's name or number after sign-out.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;

use crate::harness::{Browser, CALENDAR_DAYS_BACK, Harness, Role, enabled, page_name};

/// How many days back from today the volunteer looks for a visit to
/// record: as far as the harness's calendars go.
const DAYS_BACK: i64 = CALENDAR_DAYS_BACK;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_records_an_outcome_and_after_sign_out_back_shows_no_list() {
    if !enabled() {
        return;
    }
    let harness = Harness::start().await;
    let browser = harness.browser().await;
    browser.sign_in(Role::Volunteer).await;
    browser.goto("/lich-cua-toi").await;

    // Today, or the nearest day before it with a visit to record, through
    // the page's own day navigation.
    let form = r#"details.outcome form[action^="/visits/"]"#;
    for _ in 0..DAYS_BACK {
        if !browser
            .client
            .find_all(Locator::Css(form))
            .await
            .expect("the page's forms")
            .is_empty()
        {
            break;
        }
        browser
            .client
            .find(Locator::Css(r#"a[rel="prev"]"#))
            .await
            .expect("the previous day's link")
            .click()
            .await
            .expect("the previous day opens");
    }
    let day = browser.path().await;
    let action = browser
        .client
        .find(Locator::Css(form))
        .await
        .unwrap_or_else(|_| panic!("a visit to record in the {DAYS_BACK} days up to today"))
        .attr("action")
        .await
        .expect("the form's action")
        .expect("the form has an action");
    let seen = residents_shown(&browser).await;
    assert!(!seen.is_empty(), "{day} names residents");

    // The form as a volunteer fills it: open it, everyone met, save.
    let card = format!(r#"article:has(form[action="{action}"])"#);
    let find = |selector: String| {
        let client = browser.client.clone();
        async move {
            client
                .find(Locator::Css(&selector))
                .await
                .unwrap_or_else(|e| panic!("{selector}: {e}"))
        }
    };
    find(format!("{card} details.outcome > summary"))
        .await
        .click()
        .await
        .expect("the form opens");
    let choices = browser
        .client
        .find_all(Locator::Css(&format!(
            r#"details.outcome form[action="{action}"] input[type="radio"][value="done"]"#
        )))
        .await
        .expect("the choices");
    assert!(!choices.is_empty(), "a choice per resident");
    for choice in choices {
        choice.click().await.expect("a resident is marked done");
    }
    find(format!(
        r#"details.outcome form[action="{action}"] button[type="submit"]"#
    ))
    .await
    .click()
    .await
    .expect("the form is sent");
    let recorded = url::Url::parse(&harness.url(&action)).expect("the form's URL");
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_url(&recorded)
        .await
        .expect("the answer to the form");
    let answer = browser.text().await;
    assert!(
        answer.contains("Đã ghi kết quả") && answer.contains("Đã thăm"),
        "the visit is recorded as done:\n{answer}"
    );
    browser.screenshot("volunteer-outcome-recorded").await;

    // Back on the day's list, the visit shows as done.
    find(r#"nav.pager a[href^="/lich-cua-toi"]"#.to_owned())
        .await
        .click()
        .await
        .expect("the day's list opens");
    let status = browser
        .script(&format!(
            r#"const tag = document.querySelector('{card} .tag[class*="s-"]');
               return tag ? tag.className : null;"#
        ))
        .await;
    assert_eq!(
        status,
        Value::from("tag s-done"),
        "the visit's tag on {}",
        browser.path().await
    );
    let seen: Vec<String> = seen
        .into_iter()
        .chain(residents_shown(&browser).await)
        .collect();

    // Signed out, the Back button must not bring the list back.
    browser.sign_out().await;
    browser.client.back().await.expect("history back");
    let shown = browser.path().await;
    let text = browser.text().await;
    // The source too: a number may be in a link only.
    let source = browser.client.source().await.expect("the page's source");
    browser
        .screenshot(&format!(
            "volunteer-back-after-sign-out-{}",
            page_name(&shown)
        ))
        .await;
    let still_shown: Vec<&String> = seen
        .iter()
        .filter(|s| text.contains(*s) || source.contains(*s))
        .collect();
    assert!(
        shown.starts_with("/dang-nhap") || still_shown.is_empty(),
        "after sign-out, Back shows {shown} with {still_shown:?}:\n{text}"
    );
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
