//! An official opens their area's coverage, then the unmet households,
//! and downloads the list as CSV and as XLSX with the page's own links,
//! as Chromium saves them: both files hold the same header and rows, the
//! Vietnamese words whole, one row per household the pages list.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use calamine::{Data, Reader, Xlsx};
use doorstep_service::export::from_spreadsheet;
use doorstep_service::oversight::UNMET_CSV_HEADER;
use fantoccini::Locator;

use crate::harness::{Browser, BrowserOptions, Harness, Role, enabled};

/// How many times the downloads are looked for before the test gives up,
/// and how long between two looks: 30 s at most.
const POLLS: u32 = 300;
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The most pages of unmet households followed (50 households each).
const MAX_LIST_PAGES: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_official_downloads_the_unmet_households_as_csv_and_xlsx_alike() {
    if !enabled() {
        return;
    }
    let harness = Harness::start().await;
    let downloads = tempfile::tempdir().expect("a download folder");
    let browser = harness
        .browser_with(BrowserOptions {
            downloads: Some(downloads.path().to_owned()),
            ..BrowserOptions::default()
        })
        .await;
    browser.sign_in(Role::Official).await;

    // The menu's coverage of the official's area.
    click(
        &browser,
        r#"nav.links a[href^="/vung/"]:not([href$="/chua-tham"])"#,
    )
    .await;
    let coverage = browser.path().await;
    let area: i64 = coverage
        .strip_prefix("/vung/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("the coverage page: {coverage}"));
    let text = browser.text().await;
    assert!(
        text.contains("hộ đã được đến") && text.contains("Theo địa bàn"),
        "{coverage} shows the area's coverage:\n{text}"
    );

    // Its unmet households, page after page.
    click(
        &browser,
        &format!(r#"main a.btn[href="/vung/{area}/chua-tham"]"#),
    )
    .await;
    let unmet = format!("/vung/{area}/chua-tham");
    assert_eq!(browser.path().await, unmet);
    let mut listed = BTreeMap::new();
    for page in 0.. {
        assert!(page < MAX_LIST_PAGES, "more than {MAX_LIST_PAGES} pages");
        let rows = browser
            .script(
                r#"return Array.from(document.querySelectorAll('ul.unmet > li'), (li) => {
                     const first = li.querySelector('div');
                     const key = first.querySelector('strong').textContent.trim();
                     const address = first.textContent.trim().slice(key.length).replace(/^ · /, '');
                     return [key, address];
                   });"#,
            )
            .await;
        for row in rows.as_array().into_iter().flatten() {
            let (key, address) = (
                row[0].as_str().unwrap_or_default(),
                row[1].as_str().unwrap_or_default(),
            );
            let before = listed.insert(key.to_owned(), address.to_owned());
            assert!(before.is_none(), "{key} is listed once");
        }
        let next = browser
            .client
            .find_all(Locator::Css(r#"main a[rel="next"]"#))
            .await
            .expect("the pager");
        match next.first() {
            Some(link) => link.click().await.expect("the next page opens"),
            None => break,
        }
    }
    assert!(!listed.is_empty(), "the demo has unmet households");
    browser.goto(&unmet).await;

    // Both downloads, with the page's links.
    click(&browser, &format!(r#"main a[href="{unmet}.xlsx"]"#)).await;
    click(&browser, &format!(r#"main a[href="{unmet}.csv"]"#)).await;
    let csv_file = downloads.path().join(format!("ho-chua-gap-{area}.csv"));
    let xlsx_file = downloads.path().join(format!("ho-chua-gap-{area}.xlsx"));
    wait_saved(downloads.path(), &[&csv_file, &xlsx_file]).await;
    let csv = csv_rows(&std::fs::read(&csv_file).expect("the CSV reads"));
    let xlsx = xlsx_rows(std::fs::read(&xlsx_file).expect("the XLSX reads"));

    assert_eq!(csv[0], UNMET_CSV_HEADER, "the CSV's header");
    assert_eq!(xlsx[0], UNMET_CSV_HEADER, "the workbook's header");
    assert_eq!(csv.len(), xlsx.len(), "as many rows in both files");
    for (line, (a, b)) in csv.iter().zip(&xlsx).enumerate() {
        assert_eq!(a, b, "row {line} of both files");
    }
    assert_eq!(
        csv.len() - 1,
        listed.len(),
        "one row per household the pages list"
    );
    // The pages' households, their addresses as the pages wrote them,
    // diacritics and all.
    let in_files: BTreeMap<String, String> = csv[1..]
        .iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    assert_eq!(in_files, listed, "the households and their addresses");
    let accented = listed.values().find(|a| !a.is_ascii());
    let accented = accented.expect("an address with Vietnamese letters beyond ASCII");
    println!(
        "{unmet}: {} households on the pages, in the CSV and in the workbook; e.g. {accented:?}",
        listed.len()
    );
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

/// Waits until every file is saved and no download is under way.
async fn wait_saved(dir: &Path, files: &[&PathBuf]) {
    for attempt in 0..POLLS {
        if attempt > 0 {
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        let partial = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"))
            })
            .unwrap_or(true);
        if !partial && files.iter().all(|f| f.exists()) {
            return;
        }
    }
    let found: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    panic!("{files:?} saved in {POLLS} looks; the folder has {found:?}");
}

/// The rows of a CSV file as an import reads them (its byte-order mark
/// required).
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).expect("the CSV is UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.expect("a CSV record")
                .iter()
                .map(|c| from_spreadsheet(c).to_owned())
                .collect()
        })
        .collect()
}

/// The first sheet of a workbook, each cell as text (whole numbers without
/// a decimal point).
fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut workbook = Xlsx::new(Cursor::new(bytes)).expect("a workbook");
    let range = workbook
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("a readable sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    Data::Int(i) => i.to_string(),
                    other => panic!("an unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}
