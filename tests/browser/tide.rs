//! A coastal team's leader turns two weeks of high and low waters written
//! down at the quay into the team's station, on a 412-px phone: from the
//! dashboard to "Thủy triều", the readings chosen as a file, the station's
//! grade and its curve against the readings, adopted as the team's
//! station; read back from the server's database — the station kept, the
//! team's station and its fishermen's rules switched to it.

use doorstep_tests::written_down_qui_nhon;

use crate::harness::{Harness, Role, enabled};
use crate::leader::{click_and_wait, find};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_fits_the_ports_tide_from_the_notebook_and_adopts_it() {
    if !enabled() {
        return;
    }
    let harness = Harness::start().await;
    let browser = harness.browser().await;
    browser.sign_in(Role::Leader).await;
    browser.goto("/teams/1").await;
    click_and_wait(&browser, r#"a[href="/teams/1/thuy-trieu"]"#).await;
    let page = browser.text().await;
    assert!(
        page.contains("Trạm của tổ") && page.contains("Lạch Bạng"),
        "the team's station is named:\n{page}"
    );
    let fishermen = harness
        .count(
            "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE h.team_id = 1 AND r.availability LIKE '%lach-bang%'",
        )
        .await;
    assert!(fishermen > 0, "the demo's fishermen name Lạch Bạng");

    let (csv, _) = written_down_qui_nhon();
    let folder = tempfile::tempdir().expect("a folder for the file");
    let file = folder.path().join("so-nuoc-ben-ca.csv");
    let readings = csv.lines().count() - 1;
    std::fs::write(&file, csv).expect("the readings are written");
    find(&browser, "#ten")
        .await
        .send_keys("Bến cá (tổ ghi)")
        .await
        .expect("the name is typed");
    find(&browser, "#tep")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("the file is chosen");
    browser.screenshot("tide-1-form").await;
    click_and_wait(&browser, r#"form.edit button[type="submit"]"#).await;
    assert_eq!(
        browser.path().await,
        "/teams/1/thuy-trieu/ben-ca-to-ghi?moi=1",
        "the station's page, just fitted"
    );
    let page = browser.text().await;
    assert!(
        page.contains("Hạng B") && page.contains("Đã lập trạm"),
        "the fit's grade:\n{page}"
    );
    let dots = browser
        .script("return document.querySelectorAll('svg.tide circle').length;")
        .await;
    assert_eq!(dots.as_u64(), Some(readings as u64), "a dot per reading");
    let width = browser
        .script("return document.querySelector('svg.tide').getBoundingClientRect().width;")
        .await;
    assert!(
        width.as_f64().unwrap_or(0.0) > 300.0,
        "the plot is drawn: {width}"
    );
    browser.screenshot("tide-2-station").await;

    click_and_wait(&browser, r#"form[action$="/dung"] button[type="submit"]"#).await;
    let page = browser.text().await;
    assert!(page.contains("Đây đã là trạm của tổ"), "adopted:\n{page}");
    browser.screenshot("tide-3-adopted").await;
    assert_eq!(
        harness
            .count("SELECT COUNT(*) FROM teams WHERE id = 1 AND tide_station = 'ben-ca-to-ghi'")
            .await,
        1,
        "the team's station"
    );
    assert_eq!(
        harness
            .count(
                "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
                 WHERE h.team_id = 1 AND r.availability LIKE '%ben-ca-to-ghi%'",
            )
            .await,
        fishermen,
        "every fisherman's rule names the team's new station"
    );
}
