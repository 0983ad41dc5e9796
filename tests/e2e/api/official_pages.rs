//! In-process tests of the officials' pages: an area's coverage drilled
//! down from the province to a village with the charts' figures checked
//! against the API's, the unmet households against the API's list, the CSV
//! and the workbook read back cell by cell, the audit log with names, and
//! who may open them. The clock is the tests' fixed one.

use std::io::Cursor;

use axum::http::{Method, StatusCode, header};
use calamine::{Data, Reader, Xlsx};
use doorstep_service::export::from_spreadsheet;
use doorstep_service::oversight::UNMET_CSV_HEADER;
use serde_json::Value;

use super::browsing::assert_labelled;
use super::oversight::a_day_of_outcomes;
use super::pages::html;
use super::{LEADER, OFFICIAL, TestApp, VOLUNTEER, count, form_token, session_cookie};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A share as the pages write it.
fn share(value: &Value, en: bool) -> String {
    let number = format!("{:.1}", value.as_f64().expect("a share"));
    if en {
        format!("{number}%")
    } else {
        format!("{} %", number.replace('.', ","))
    }
}

async fn area_id(app: &TestApp, code: &str) -> i64 {
    count(app, &format!("SELECT id FROM areas WHERE code = '{code}'")).await
}

async fn province(app: &TestApp) -> i64 {
    count(app, "SELECT id FROM areas WHERE parent_id IS NULL").await
}

/// A page for a session cookie: status, content type, body.
async fn page(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, String, Vec<u8>) {
    let (status, headers, bytes) = app
        .raw(Method::GET, path, None, None, &[("cookie", cookie)])
        .await;
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, bytes)
}

/// An HTML page that answers 200, checked for what every page owes: its
/// language named, only doorstep's own script, every input but a hidden one labelled.
async fn html_page(app: &TestApp, path: &str, cookie: &str, lang: &str) -> String {
    let (status, kind, bytes) = page(app, path, cookie).await;
    let body = String::from_utf8(bytes).expect("UTF-8");
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    assert!(kind.starts_with("text/html"), "{path}: {kind}");
    assert!(body.contains(&format!("<html lang=\"{lang}\">")), "{path}");
    super::assert_only_own_scripts(path, &body);
    assert_labelled(path, &body);
    body
}

async fn api(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.call(Method::GET, path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// The row of the coverage table the page shows for an area's figures.
fn coverage_cells(figures: &Value, en: bool) -> String {
    let n = |key: &str| figures[key].as_i64().expect("a count");
    let needs = |status: &str| -> i64 {
        figures["needs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|need| need[status].as_i64().unwrap())
            .sum()
    };
    format!(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        n("households"),
        n("reached"),
        n("households") - n("reached"),
        n("met"),
        needs("open"),
        needs("done"),
        share(&figures["percent_reached"], en)
    )
}

/// Checks a coverage page against the API's coverage of the same area:
/// every part's row and bar, the total, every week's row and bars. Answers
/// the parts one can drill into, with their household counts.
fn page_matches_api(body: &str, coverage: &Value, en: bool) -> Vec<(i64, i64)> {
    let mut parts = Vec::new();
    for child in coverage["children"].as_array().unwrap() {
        let name = child["area"]["name"].as_str().unwrap();
        let row = coverage_cells(child, en);
        let (heading, title) = match child["area"]["id"].as_i64() {
            Some(id) => {
                parts.push((id, child["households"].as_i64().unwrap()));
                (
                    format!("<a href=\"/vung/{id}\">{}</a></th>{row}", html(name)),
                    name.to_owned(),
                )
            }
            None => {
                let name = if en {
                    format!("{name} (directly)")
                } else {
                    format!("{name} (trực tiếp)")
                };
                (format!("{}</th>{row}", html(&name)), name)
            }
        };
        assert!(body.contains(&heading), "the row of {name}: {heading}");
        let (reached, households) = (child["reached"].as_i64(), child["households"].as_i64());
        let title = if en {
            format!(
                "<title>{}: {} of households reached ({} of {})</title>",
                html(&title),
                share(&child["percent_reached"], en),
                reached.unwrap(),
                households.unwrap()
            )
        } else {
            format!(
                "<title>{}: {} số hộ đã được đến ({}/{} hộ)</title>",
                html(&title),
                share(&child["percent_reached"], en),
                reached.unwrap(),
                households.unwrap()
            )
        };
        assert!(body.contains(&title), "the bar of {name}: {title}");
    }
    let total = coverage_cells(&coverage["total"], en);
    assert!(body.contains(&total), "the total: {total}");
    let weeks = coverage["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 8, "eight weeks");
    for week in weeks {
        let code = week["week"].as_str().unwrap();
        let short = code.rsplit('-').next().unwrap();
        let row = format!(
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            week["visits_done"],
            week["newly_reached"],
            week["reached_total"],
            share(&week["percent_reached"], en)
        );
        assert!(
            body.contains(&format!("<th scope=\"row\">{short}</th>")) && body.contains(&row),
            "the week {code}: {row}"
        );
        let words = if en {
            "visits done"
        } else {
            "lượt thăm xong"
        };
        assert!(
            body.contains(&format!("{} {words}</title>", week["visits_done"])),
            "the bar of the week {code}"
        );
    }
    parts
}

#[tokio::test]
async fn an_official_drills_down_from_the_province_to_a_village_and_the_charts_match_the_api() {
    let app = TestApp::with_history().await;
    a_day_of_outcomes(&app).await;
    let token = app.login(OFFICIAL).await;
    let cookie = session_cookie(&app, OFFICIAL).await;
    let province = province(&app).await;

    // Home offers the official's own area, and so does the menu.
    let home = html_page(&app, "/", &cookie, "vi").await;
    assert!(
        home.contains(&format!("href=\"/vung/{province}\"")),
        "{home}"
    );
    assert!(home.contains("href=\"/nhat-ky\""), "{home}");

    let coverage = api(
        &app,
        &format!("/api/v1/areas/{province}/coverage?weeks=8"),
        &token,
    )
    .await;
    assert!(
        coverage["weeks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["visits_done"].as_i64().unwrap() > 0),
        "visits were done in the weeks shown: {coverage}"
    );
    let body = html_page(&app, &format!("/vung/{province}"), &cookie, "vi").await;
    assert!(body.contains("<svg") && body.contains("<rect"), "{body}");
    assert!(body.contains("Theo địa bàn") && !body.contains("By area"));
    let communes = page_matches_api(&body, &coverage, false);

    // A commune with households, then one of its villages.
    let (commune, _) = *communes
        .iter()
        .find(|(_, households)| *households > 0)
        .expect("a commune with households");
    let coverage = api(
        &app,
        &format!("/api/v1/areas/{commune}/coverage?weeks=8"),
        &token,
    )
    .await;
    let body = html_page(&app, &format!("/vung/{commune}"), &cookie, "vi").await;
    assert!(
        body.contains(&format!("<a href=\"/vung/{province}\">")),
        "the way back up to the province"
    );
    let villages = page_matches_api(&body, &coverage, false);
    let (village, _) = *villages.first().expect("a village with households");
    let coverage = api(
        &app,
        &format!("/api/v1/areas/{village}/coverage?weeks=8"),
        &token,
    )
    .await;
    let body = html_page(&app, &format!("/vung/{village}"), &cookie, "vi").await;
    for up in [province, commune] {
        assert!(body.contains(&format!("<a href=\"/vung/{up}\">")), "{up}");
    }
    assert!(body.contains("aria-current=\"page\""));
    page_matches_api(&body, &coverage, false);
}

/// A CSV cell as the text it stands for (the quote against formulas off).
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.unwrap()
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

#[tokio::test]
async fn the_unmet_page_lists_the_apis_households_and_the_xlsx_holds_the_csvs_rows() {
    let app = TestApp::with_history().await;
    let (_, away) = a_day_of_outcomes(&app).await;
    let token = app.login(OFFICIAL).await;
    let cookie = session_cookie(&app, OFFICIAL).await;
    let hai_thanh = area_id(&app, "38-HAITHANH").await;

    // Page by page, the households of the API's pages, with their reasons.
    let mut after: Option<i64> = None;
    let mut seen = 0;
    let mut away_shown = false;
    loop {
        let (path, api_path) = match after {
            Some(after) => (
                format!("/vung/{hai_thanh}/chua-tham?sau={after}"),
                format!("/api/v1/areas/{hai_thanh}/unmet?limit=50&after={after}"),
            ),
            None => (
                format!("/vung/{hai_thanh}/chua-tham"),
                format!("/api/v1/areas/{hai_thanh}/unmet?limit=50"),
            ),
        };
        let listed = api(&app, &api_path, &token).await;
        let body = html_page(&app, &path, &cookie, "vi").await;
        assert!(body.contains(&format!("href=\"/vung/{hai_thanh}/chua-tham.xlsx\"")));
        assert!(body.contains(&format!("href=\"/vung/{hai_thanh}/chua-tham.csv\"")));
        let households = listed["households"].as_array().unwrap();
        let mut from = 0;
        for household in households {
            let key = format!(
                "<strong>{}</strong> · {}",
                html(household["external_id"].as_str().unwrap()),
                html(household["address"].as_str().unwrap())
            );
            let at = body[from..]
                .find(&key)
                .unwrap_or_else(|| panic!("{key} in the API's order"));
            from += at + key.len();
            let reason = html(household["reason_vi"].as_str().unwrap());
            assert!(body[from..].contains(&reason), "{key}: {reason}");
            if household["household_id"].as_i64() == Some(away) {
                assert_eq!(household["reason"], "not_home");
                assert!(body.contains("Không gặp sau 1 lần đến"));
                away_shown = true;
            }
        }
        assert_eq!(
            body.matches("<li class=\"card\">").count(),
            households.len(),
            "{path}"
        );
        seen += households.len();
        match listed["next_after"].as_i64() {
            Some(next) => {
                assert!(body.contains(&format!("?sau={next}\" rel=\"next\"")));
                after = Some(next);
            }
            None => {
                assert!(!body.contains("rel=\"next\""));
                break;
            }
        }
    }
    assert!(seen > 50, "more than one page: {seen}");
    assert!(away_shown, "the household found away is listed");

    // The CSV (the page's and the API's) and the workbook (the page's and
    // the API's): the same rows and columns, cell by cell.
    let (status, kind, csv_page) =
        page(&app, &format!("/vung/{hai_thanh}/chua-tham.csv"), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let (_, _, csv_api) = app
        .raw(
            Method::GET,
            &format!("/api/v1/areas/{hai_thanh}/unmet?format=csv"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(csv_page, csv_api, "the page's CSV is the API's");
    let csv = csv_rows(&csv_page);
    assert_eq!(csv[0], UNMET_CSV_HEADER);
    assert_eq!(csv.len(), seen + 1, "a row per household and the header");

    let (status, kind, xlsx_page) =
        page(&app, &format!("/vung/{hai_thanh}/chua-tham.xlsx"), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, XLSX);
    let (status, headers, xlsx_api) = app
        .raw(
            Method::GET,
            &format!("/api/v1/areas/{hai_thanh}/unmet?format=xlsx"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .ends_with(".xlsx\""),
        "{headers:?}"
    );
    let (status, headers, by_accept) = app
        .raw(
            Method::GET,
            &format!("/api/v1/areas/{hai_thanh}/unmet"),
            Some(&token),
            None,
            &[("accept", XLSX)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], XLSX);
    for workbook in [xlsx_page, xlsx_api, by_accept] {
        let rows = xlsx_rows(workbook);
        assert_eq!(rows.len(), csv.len());
        for (i, (xlsx_row, csv_row)) in rows.iter().zip(&csv).enumerate() {
            assert_eq!(xlsx_row, csv_row, "row {i}");
        }
    }
    assert!(
        csv.iter()
            .flatten()
            .any(|cell| cell.contains("Không gặp sau 1 lần đến")),
        "Vietnamese text intact"
    );
    // Each export is logged, the workbook's as such.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'export_unmet' \
             AND CAST(detail AS TEXT) LIKE '%xlsx%'"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn the_audit_page_names_the_actors_and_says_what_they_did_at_the_teams_time() {
    let app = TestApp::with_history().await;
    a_day_of_outcomes(&app).await;
    let token = app.login(OFFICIAL).await;
    let cookie = session_cookie(&app, OFFICIAL).await;
    let volunteer = super::rows(
        &app,
        &format!("SELECT display_name, id FROM users WHERE username = '{VOLUNTEER}'"),
    )
    .await;
    let (name, id) = (&volunteer[0][0], &volunteer[0][1]);
    let log = api(&app, "/api/v1/audit?limit=50", &token).await;
    let newest = &log["entries"][0];
    assert_eq!(newest["actor"], format!("user:{id}"), "{log}");
    assert_eq!(newest["action"], "record_outcome");
    let at = chrono::DateTime::parse_from_rfc3339(newest["at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%H:%M %d/%m/%Y")
        .to_string();

    let body = html_page(&app, "/nhat-ky", &cookie, "vi").await;
    let first = body.split("<tbody>").nth(1).expect("a table of entries");
    let first = first.split("</tr>").next().unwrap();
    assert!(first.contains(&at), "the time in the team's zone: {first}");
    assert!(first.contains(&html(name)), "the actor's name: {first}");
    assert!(first.contains("Ghi kết quả lượt thăm"), "{first}");
    assert!(!body.contains("user:"), "no ids for actors");
    if let Some(before) = log["next_before"].as_i64() {
        assert!(body.contains(&format!("/nhat-ky?truoc={before}\" rel=\"next\"")));
        html_page(&app, &format!("/nhat-ky?truoc={before}"), &cookie, "vi").await;
    }
}

#[tokio::test]
async fn leaders_volunteers_and_other_areas_get_no_official_pages() {
    let app = TestApp::with_history().await;
    let province = province(&app).await;
    let hai_thanh = area_id(&app, "38-HAITHANH").await;
    let lam_son = area_id(&app, "38-LAMSON").await;
    let pages = |area: i64| {
        vec![
            format!("/vung/{area}"),
            format!("/vung/{area}/chua-tham"),
            format!("/vung/{area}/chua-tham.csv"),
            format!("/vung/{area}/chua-tham.xlsx"),
            "/nhat-ky".to_owned(),
        ]
    };
    for (user, start) in [(LEADER, "/"), (VOLUNTEER, "/lich-cua-toi")] {
        let cookie = session_cookie(&app, user).await;
        let home = html_page(&app, start, &cookie, "vi").await;
        assert!(!home.contains("href=\"/vung/") && !home.contains("href=\"/nhat-ky\""));
        for path in pages(hai_thanh) {
            let (status, kind, _) = page(&app, &path, &cookie).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{user}: {path}");
            assert!(kind.starts_with("text/html"), "an error page: {path}");
        }
    }
    // Not signed in: to the sign-in form.
    let (status, headers, _) = app
        .raw(Method::GET, &format!("/vung/{province}"), None, None, &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/dang-nhap");

    // An official of Hải Thanh alone: the province and Lam Sơn are not
    // found, and the way back up starts at Hải Thanh.
    let ward_official = "canbo.haithanh";
    app.add_user(
        ward_official,
        "official",
        None,
        Some(i32::try_from(hai_thanh).unwrap()),
        None,
    )
    .await;
    let cookie = session_cookie(&app, ward_official).await;
    for area in [province, lam_son, 999_999] {
        for path in pages(area).into_iter().take(4) {
            let (status, kind, _) = page(&app, &path, &cookie).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(kind.starts_with("text/html"), "an error page: {path}");
        }
    }
    let village = count(
        &app,
        &format!("SELECT MIN(id) FROM areas WHERE parent_id = {hai_thanh}"),
    )
    .await;
    let body = html_page(&app, &format!("/vung/{village}"), &cookie, "vi").await;
    assert!(body.contains(&format!("<a href=\"/vung/{hai_thanh}\">")));
    assert!(!body.contains(&format!("href=\"/vung/{province}\"")));
}

#[tokio::test]
async fn an_english_official_reads_the_pages_in_english() {
    let app = TestApp::with_history().await;
    let (_, away) = a_day_of_outcomes(&app).await;
    let token = app.login(OFFICIAL).await;
    let cookie = session_cookie(&app, OFFICIAL).await;
    let province = province(&app).await;
    let home = html_page(&app, "/", &cookie, "vi").await;
    let (status, _, _) = app
        .raw_body(
            Method::POST,
            "/ngon-ngu",
            "application/x-www-form-urlencoded",
            format!("csrf={}&lang=en", form_token(&home)).into_bytes(),
            &[("cookie", cookie.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let coverage = api(
        &app,
        &format!("/api/v1/areas/{province}/coverage?weeks=8"),
        &token,
    )
    .await;
    let body = html_page(&app, &format!("/vung/{province}"), &cookie, "en").await;
    for label in [
        "By area",
        "By week",
        "Households",
        "% reached",
        "Area coverage",
    ] {
        assert!(body.contains(label), "{label}");
    }
    for label in ["Theo địa bàn", "Theo tuần", "Số hộ", "Độ phủ địa bàn"] {
        assert!(!body.contains(label), "{label}");
    }
    page_matches_api(&body, &coverage, true);

    // The page that starts with the household found away.
    let path = format!("/vung/{province}/chua-tham?sau={}", away - 1);
    let body = html_page(&app, &path, &cookie, "en").await;
    assert!(body.contains("Unmet households") && body.contains("Download Excel (.xlsx)"));
    assert!(
        body.contains("Not at home after 1 attempt"),
        "reasons in English"
    );
    assert!(!body.contains("Tải về") && !body.contains("Không gặp sau"));

    let body = html_page(&app, "/nhat-ky", &cookie, "en").await;
    assert!(body.contains("Audit log") && body.contains("Recorded a visit&#39;s outcome"));
    assert!(!body.contains("Nhật ký") && !body.contains("Ghi kết quả"));
}
