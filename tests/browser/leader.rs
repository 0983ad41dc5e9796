//! A team leader's planning week, done from the pages on a 412-px phone as
//! a leader does it: imports the register with a new fisherman's household
//! (checked first, then imported), finds him without diacritics, gives him
//! the fishing-crew availability from its preset, adds a storm, re-plans,
//! reads the draft's differences, pins one of its visits, and publishes
//! after the confirmation. Each step is read back from the server's
//! database: the household, the rule, the blackout, the pinned visit, and
//! a published calendar with no visit in the storm.

use std::time::Duration;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, Utc};
use fantoccini::Locator;
use fantoccini::elements::Element;
use serde_json::Value;

use crate::harness::{Browser, Harness, Role, enabled};

/// The new household's register keys and its fisherman.
const HOUSEHOLD_KEY: &str = "HT-BIEN-01";
const RESIDENT_KEY: &str = "HT-BIEN-01-1";
const FISHERMAN: &str = "Lê Văn Biển";
const ADDRESS: &str = "Số 9, xóm Bãi Ngang";

/// The storm's name, as the leader types it.
const STORM: &str = "Bão số 9";

/// The demo teams' zone (Asia/Ho_Chi_Minh has kept +07:00 since 1975).
const TEAM_OFFSET_S: i32 = 7 * 3600;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_imports_sets_availability_adds_a_storm_plans_pins_and_publishes() {
    if !enabled() {
        return;
    }
    let harness = Harness::start().await;
    let browser = harness.browser().await;
    browser.sign_in(Role::Leader).await;

    // The team's dashboard, from the list of the leader's teams.
    browser.goto("/").await;
    click_and_wait(&browser, r#"main .card h2 a[href^="/teams/"]"#).await;
    let dashboard = browser.path().await;
    let team: i64 = dashboard
        .strip_prefix("/teams/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("the team's dashboard: {dashboard}"));
    browser.screenshot("leader-journey-1-dashboard").await;

    // 1. The register: the team's own export with one household more,
    // checked, then imported.
    click_and_wait(&browser, &format!(r#"a[href="/teams/{team}/nhap-so"]"#)).await;
    let export = browser
        .script_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then((r) => r.text()).then(done, (e) => done('failed: ' + e));",
            vec![Value::from(format!("/teams/{team}/so-ho.csv"))],
        )
        .await;
    let export = export.as_str().expect("the export's text");
    let folder = tempfile::tempdir().expect("a folder for the file");
    let file = folder.path().join("so-ho-moi.csv");
    std::fs::write(&file, with_new_household(export)).expect("the register file is written");
    find(&browser, "#tep")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("the file is chosen");
    click_and_wait(&browser, r#"form.edit button[type="submit"]"#).await;
    let checked = browser.text().await;
    assert!(
        checked.contains("Kết quả kiểm tra") && checked.contains("1 hộ mới"),
        "the check shows one new household:\n{checked}"
    );
    browser
        .screenshot("leader-journey-2-register-checked")
        .await;
    click_and_wait(&browser, r#"form.confirm button[type="submit"]"#).await;
    let imported = browser.text().await;
    assert!(
        imported.contains("Đã nhập sổ hộ."),
        "the register is imported:\n{imported}"
    );
    assert_eq!(
        harness
            .count(&format!(
                "SELECT COUNT(*) FROM households WHERE external_id = '{HOUSEHOLD_KEY}'"
            ))
            .await,
        1,
        "the new household is stored once"
    );

    // 2. The fisherman, found without diacritics, and his availability
    // from the fishing-crew preset: previewed, then saved.
    browser.goto(&format!("/teams/{team}/ho-dan")).await;
    find(&browser, "#q")
        .await
        .send_keys("le van bien")
        .await
        .expect("the search is typed");
    click_and_wait(&browser, r#"form.filters button[type="submit"]"#).await;
    let found = browser.text().await;
    assert!(
        found.contains(FISHERMAN),
        "the search finds {FISHERMAN}:\n{found}"
    );
    click_and_wait(&browser, r#"ul.households a[href^="/ho-dan/"]"#).await;
    click_and_wait(&browser, r#"a[href*="/lich-ranh"]"#).await;
    // The presets are open for a resident without a rule; opened if not.
    if browser
        .script("return document.querySelector('details.presets').open;")
        .await
        != Value::Bool(true)
    {
        find(&browser, "details.presets > summary")
            .await
            .click()
            .await
            .expect("the presets open");
    }
    find(&browser, "#mau-fishing_crew")
        .await
        .click()
        .await
        .expect("the fishing crew preset is chosen");
    click_and_wait(&browser, r#"form.preset-form button[type="submit"]"#).await;
    let preview = browser.text().await;
    assert!(
        preview.contains("Các khung giờ tới")
            && preview.contains(" âm) ")
            && preview.contains("nước lớn"),
        "the preview says the rule and its next windows, lunar days and high water:\n{preview}"
    );
    browser
        .screenshot("leader-journey-3-availability-preview")
        .await;
    click_and_wait(&browser, r#"button[name="lam"][value="luu"]"#).await;
    let saved = browser.text().await;
    assert!(
        saved.contains("Đã lưu lịch rảnh"),
        "the availability is saved:\n{saved}"
    );
    let rule = text_of(
        &harness,
        format!("SELECT availability FROM residents WHERE external_id = '{RESIDENT_KEY}'"),
    )
    .await;
    assert!(
        rule.contains("lunar_days") && rule.contains("\"near\":\"high\""),
        "the stored rule is the preset's: {rule}"
    );

    // 3. A storm on the day after tomorrow and the day after, for the
    // whole team.
    browser.goto(&format!("/teams/{team}/ngay-nghi")).await;
    let today = today_in_team_zone();
    let (storm_from, storm_to) = (today + Days::new(2), today + Days::new(3));
    find(&browser, "#ly_do")
        .await
        .send_keys(STORM)
        .await
        .expect("the storm's name is typed");
    // A date field types in the browser's locale: the value is set as the
    // picker sets it.
    browser
        .script(&format!(
            "document.getElementById('tu_ngay').value = '{storm_from}';
             document.getElementById('den_ngay').value = '{storm_to}';
             return true;"
        ))
        .await;
    click_and_wait(
        &browser,
        &format!(r#"form[action="/teams/{team}/ngay-nghi"] button[type="submit"]"#),
    )
    .await;
    let storm = browser.text().await;
    assert!(storm.contains(STORM), "the storm is listed:\n{storm}");
    browser.screenshot("leader-journey-4-storm").await;
    assert_eq!(
        harness
            .count(&format!(
                "SELECT COUNT(*) FROM blackouts WHERE label = '{STORM}' AND team_id = {team}"
            ))
            .await,
        1,
        "the storm is stored once"
    );

    // 4. Re-plan from the calendar: a draft, and what it changes.
    browser.goto(&format!("/teams/{team}/lich")).await;
    click_and_wait(
        &browser,
        &format!(r#"form[action="/teams/{team}/lap-lai-lich"] button[type="submit"]"#),
    )
    .await;
    let draft_page = browser.path().await;
    let draft: i64 = draft_page
        .strip_prefix("/plans/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("the draft's page: {draft_page}"));
    let differences = browser.text().await;
    assert!(
        differences.contains("Khác với lịch đã công bố"),
        "the draft's page shows its differences:\n{differences}"
    );
    let changes = browser
        .client
        .find_all(Locator::Css("ul.changes li.change"))
        .await
        .expect("the changes");
    assert!(
        !changes.is_empty(),
        "a storm over two planned days changes the calendar:\n{differences}"
    );
    browser.screenshot("leader-journey-5-draft").await;
    assert_eq!(
        visits_in(&harness, draft, storm_from, storm_to, false).await,
        0,
        "the draft plans nothing in the storm"
    );

    // 5. Pin one of the draft's visits.
    let edit = find(&browser, r#"a.edit[href^="/visits/"]"#)
        .await
        .attr("href")
        .await
        .expect("the link's address")
        .expect("a visit's link");
    let visit: i64 = edit
        .trim_start_matches("/visits/")
        .split('/')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a visit's link: {edit}"));
    browser.goto(&edit).await;
    click_and_wait(&browser, r#"input[name="viec"][value="ghim"] ~ button"#).await;
    let pinned = browser.text().await;
    assert!(
        pinned.contains("Bỏ ghim"),
        "the visit is pinned, and can be unpinned:\n{pinned}"
    );
    assert_eq!(
        harness
            .count(&format!(
                "SELECT COUNT(*) FROM visits WHERE id = {visit} AND pinned"
            ))
            .await,
        1,
        "visit {visit} is pinned"
    );

    // 6. Publish after the confirmation that lists what changes.
    browser.goto(&format!("/plans/{draft}")).await;
    click_and_wait(&browser, &format!(r#"a[href^="/plans/{draft}/cong-bo"]"#)).await;
    let confirm = browser.text().await;
    assert!(
        confirm.contains("Công bố"),
        "the confirmation before publishing:\n{confirm}"
    );
    browser.screenshot("leader-journey-6-confirm").await;
    click_and_wait(
        &browser,
        &format!(r#"form[action^="/plans/{draft}/cong-bo"] button[type="submit"]"#),
    )
    .await;
    browser.screenshot("leader-journey-7-published").await;
    assert_eq!(
        text_of(
            &harness,
            format!("SELECT status FROM plans WHERE id = {draft}")
        )
        .await,
        "published"
    );
    assert_eq!(
        harness
            .count(&format!(
                "SELECT COUNT(*) FROM visits WHERE id = {visit} AND pinned AND on_calendar"
            ))
            .await,
        1,
        "the pinned visit is on the calendar"
    );
    assert_eq!(
        visits_in(&harness, team, storm_from, storm_to, true).await,
        0,
        "the published calendar has no visit in the storm"
    );
}

/// The register export with the new fisherman's household after its rows:
/// the same columns, his keys, name and address, the rest as the first
/// row has them.
fn with_new_household(export: &str) -> String {
    let mut reader =
        csv::ReaderBuilder::new().from_reader(export.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().expect("the export's header").clone();
    let first = reader
        .records()
        .next()
        .expect("the export has a row")
        .expect("the first row reads");
    let row: Vec<String> = header
        .iter()
        .zip(first.iter())
        .map(|(column, value)| match column {
            "Mã hộ" => HOUSEHOLD_KEY.to_owned(),
            "Mã nhân khẩu" => RESIDENT_KEY.to_owned(),
            "Họ và tên" => FISHERMAN.to_owned(),
            "Địa chỉ" => ADDRESS.to_owned(),
            "Năm sinh" => "1979".to_owned(),
            "Số điện thoại" => "0912 345 999".to_owned(),
            "Hiện trạng" => "at_sea".to_owned(),
            "Quốc gia" | "Múi giờ" => String::new(),
            _ => value.to_owned(),
        })
        .collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&row).expect("the row is written");
    let row = String::from_utf8(writer.into_inner().expect("the row")).expect("UTF-8");
    let mut file = export.to_owned();
    if !file.ends_with('\n') {
        file.push('\n');
    }
    file.push_str(&row);
    file
}

/// Today in the demo teams' zone, as the server sees it.
fn today_in_team_zone() -> NaiveDate {
    let zone = FixedOffset::east_opt(TEAM_OFFSET_S).expect("an offset");
    Utc::now().with_timezone(&zone).date_naive()
}

/// The visits of a plan (`calendar` false) or on a team's calendar
/// (`calendar` true) that start between the first day's start and the
/// last day's end in the team's zone, cancelled ones left out.
async fn visits_in(
    harness: &Harness,
    id: i64,
    first: NaiveDate,
    last: NaiveDate,
    calendar: bool,
) -> usize {
    use sea_orm::ConnectionTrait;
    let zone = FixedOffset::east_opt(TEAM_OFFSET_S).expect("an offset");
    let start = first
        .and_time(NaiveTime::MIN)
        .and_local_timezone(zone)
        .single()
        .expect("a fixed offset has one midnight");
    let end = start + chrono::Duration::days((last - first).num_days() + 1);
    let sql = if calendar {
        format!(
            "SELECT v.start_at FROM visits v JOIN plans p ON p.id = v.plan_id \
             WHERE p.team_id = {id} AND v.on_calendar AND v.status <> 'cancelled'"
        )
    } else {
        format!("SELECT start_at FROM visits WHERE plan_id = {id} AND status <> 'cancelled'")
    };
    let store = harness.db().store().await;
    let db = store.connection();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.clone(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let inside = rows
        .iter()
        .map(|row| {
            row.try_get_by_index::<DateTime<Utc>>(0)
                .expect("a visit's start")
        })
        .filter(|at| *at >= start && *at < end)
        .count();
    store.connection().clone().close().await.ok();
    inside
}

/// A text the server's database answers.
async fn text_of(harness: &Harness, sql: String) -> String {
    harness
        .row(&sql)
        .await
        .unwrap_or_else(|| panic!("{sql}: no row"))
        .try_get_by_index(0)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The element a selector finds, or the test fails with the page's text.
pub(crate) async fn find(browser: &Browser<'_>, selector: &str) -> Element {
    match browser.client.find(Locator::Css(selector)).await {
        Ok(found) => found,
        Err(e) => panic!(
            "{selector} on {}: {e}\n{}",
            browser.path().await,
            browser.text().await
        ),
    }
}

/// Clicks what a selector finds and waits for the next page.
pub(crate) async fn click_and_wait(browser: &Browser<'_>, selector: &str) {
    let before = find(browser, "body").await;
    find(browser, selector)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("{selector} is clicked: {e}"));
    // The old page's body goes stale once the next page is there.
    let mut gone = false;
    for _ in 0..400 {
        if before.tag_name().await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "{selector}: no new page after the click");
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("footer, body"))
        .await
        .expect("the next page loads");
}
