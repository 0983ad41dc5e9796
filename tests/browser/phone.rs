//! The sessions lay pages out as the volunteers' phones do: 412 CSS pixels
//! wide, one device pixel each, and a full-page screenshot leaves it so.

use crate::harness::{Harness, PHONE_HEIGHT, PHONE_WIDTH, Role, enabled};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_layout_is_412_px_wide() {
    if !enabled() {
        return;
    }
    let harness = Harness::start().await;
    let browser = harness.browser().await;
    browser.sign_in(Role::Volunteer).await;
    browser.goto("/lich-cua-toi").await;
    let layout = r#"return {
        width: window.innerWidth,
        height: window.innerHeight,
        ratio: window.devicePixelRatio,
        phone: window.matchMedia('(max-width: 412px) and (pointer: coarse)').matches,
    };"#;
    let before = browser.script(layout).await;
    assert_eq!(before["width"], PHONE_WIDTH, "{before}");
    assert_eq!(before["height"], PHONE_HEIGHT, "{before}");
    assert_eq!(before["ratio"], 1, "{before}");
    assert_eq!(before["phone"], true, "a phone's media query: {before}");

    let shot = browser.screenshot("volunteer-phone-layout").await;
    let png = std::fs::read(&shot).expect("the screenshot reads");
    // A PNG's IHDR: the width in bytes 16..20, the height in 20..24.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!(width, PHONE_WIDTH, "{}", shot.display());
    assert!(height >= PHONE_HEIGHT, "{height} px: {}", shot.display());
    assert_eq!(
        browser.script(layout).await,
        before,
        "the screen is the phone's again after a full-page shot"
    );
}
