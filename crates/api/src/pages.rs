//! Server-rendered pages: light, readable on a cheap phone over a weak
//! connection, no scripts or fonts from elsewhere. Vietnamese first, English
//! second.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use doorstep_core::{NeedStatus, NeedStep, Presence};

use crate::teams::{find, summary};
use crate::{ApiError, AppState};

const STYLE: &str = "body{font:16px/1.45 system-ui,sans-serif;margin:0;color:#1b1f23;background:#f6f7f9}\
header{background:#0b5d3b;color:#fff;padding:.8rem 1rem}header a{color:#fff;text-decoration:none}\
main{padding:1rem;max-width:60rem;margin:auto}h1{font-size:1.45rem;margin:.3rem 0}h2{font-size:1.15rem}\
a{color:#0b5d3b}.card{background:#fff;border-radius:.5rem;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 2px #0002}\
.en{color:#5b6470;font-size:.9em}table{border-collapse:collapse;width:100%;background:#fff}\
td,th{padding:.45rem;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}\
.tag{display:inline-block;border-radius:1rem;padding:0 .5rem;margin:.1rem;font-size:.85em;background:#e8f1ec}\
.at_sea{background:#dbeafe}.abroad{background:#fde68a}.working_away{background:#fce7f3}\
.num{font-size:1.6em;font-weight:600}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.6rem}";

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Today in a team's zone, solar and lunar:
/// "Thứ Bảy 28/11/2026 · âm lịch 20/10 năm Bính Ngọ".
pub(crate) fn today_line(zone: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let date = now.with_timezone(&zone).date_naive();
    let weekday = [
        "Thứ Hai",
        "Thứ Ba",
        "Thứ Tư",
        "Thứ Năm",
        "Thứ Sáu",
        "Thứ Bảy",
        "Chủ Nhật",
    ][date.weekday().num_days_from_monday() as usize];
    let lunar = match doorstep_lunar::to_lunar(date) {
        Ok(l) => format!(
            " · âm lịch {}/{}{} năm {}",
            l.day,
            l.month,
            if l.leap { " nhuận" } else { "" },
            l.year_name()
        ),
        Err(_) => String::new(),
    };
    format!("{weekday} {}{lunar}", date.format("%d/%m/%Y"))
}

fn layout(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · doorstep</title><style>{STYLE}</style></head><body>\
         <header><a href=\"/\"><strong>doorstep</strong> · Tổ công nghệ số cộng đồng</a></header>\
         <main>{body}</main></body></html>",
        escape(title)
    ))
}

fn stat(value: usize, vi: &str, en: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"num\">{value}</div>{vi}<br><span class=\"en\">{en}</span></div>"
    )
}

/// `GET /`: the teams.
pub async fn home(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let mut body = format!(
        "<p class=\"en\">Hôm nay / Today: {}</p><h1>Các tổ <span class=\"en\">/ Teams</span></h1>",
        today_line("Asia/Ho_Chi_Minh", chrono::Utc::now())
    );
    let teams = doorstep_store::list_teams(state.store.connection()).await?;
    if teams.is_empty() {
        body.push_str(
            "<p class=\"card\">Chưa có tổ nào. Chạy <code>doorstep demo</code> để nạp dữ liệu mẫu.<br>\
             <span class=\"en\">No team yet. Run <code>doorstep demo</code> to load the demo data.</span></p>",
        );
    }
    for team in &teams {
        let (s, _) = summary(&state, team).await?;
        body.push_str(&format!(
            "<div class=\"card\"><h2><a href=\"/teams/{}\">{}</a></h2><p>{}</p>\
             <p>{} thành viên · {} hộ · {} người · <strong>{}</strong> hộ còn nhu cầu hỗ trợ<br>\
             <span class=\"en\">{} members · {} households · {} residents · {} households with open needs</span></p></div>",
            s.id,
            escape(&s.name),
            escape(&s.area),
            s.members,
            s.households,
            s.residents,
            s.households_with_open_needs,
            s.members,
            s.households,
            s.residents,
            s.households_with_open_needs
        ));
    }
    Ok(layout("Các tổ / Teams", &body))
}

/// Households per page: a page stays small on a slow connection.
const PAGE_SIZE: usize = 50;

/// The query of a team page.
#[derive(Debug, serde::Deserialize)]
pub struct TeamQuery {
    /// 1-based page of households.
    page: Option<String>,
}

fn pager(team: i32, page: usize, pages: usize) -> String {
    let link = |p: usize, vi: &str, en: &str| {
        format!("<a href=\"/teams/{team}?page={p}\">{vi} <span class=\"en\">{en}</span></a>")
    };
    let mut out = format!(
        "<p class=\"pager\">Trang {page}/{pages} <span class=\"en\">page {page} of {pages}</span>"
    );
    if page > 1 {
        out.push_str(&format!(
            " · {}",
            link(page - 1, "← Trang trước", "previous")
        ));
    }
    if page < pages {
        out.push_str(&format!(" · {}", link(page + 1, "Trang sau →", "next")));
    }
    out.push_str("</p>");
    out
}

/// `GET /teams/{team_id}`: one team's households, a page at a time.
pub async fn team(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<TeamQuery>,
) -> Result<Html<String>, ApiError> {
    let team = find(&state, &id).await?;
    let (s, households) = summary(&state, &team).await?;
    let page = match query.page.as_deref() {
        None | Some("") => 1,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| {
                ApiError::field("page", "số trang không hợp lệ", format!(
                    "query parameter page: expected a page number from 1, got {text:?}"
                ))
            })?,
    };
    let pages = households.len().div_ceil(PAGE_SIZE).max(1);
    let shown = households
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE);
    let mut body = format!(
        "<p class=\"en\">Hôm nay / Today: {}</p><h1>{}</h1><p>{} · múi giờ <span class=\"en\">time zone</span> {}{}</p><div class=\"grid\">{}{}{}{}{}</div>",
        today_line(&s.timezone, chrono::Utc::now()),
        escape(&s.name),
        escape(&s.area),
        escape(&s.timezone),
        s.tide_station
            .as_deref()
            .map(|st| format!(
                " · trạm thủy triều <span class=\"en\">tide station</span> {}",
                escape(st)
            ))
            .unwrap_or_default(),
        stat(s.households, "hộ", "households"),
        stat(s.residents, "người", "residents"),
        stat(
            s.households_with_open_needs,
            "hộ còn nhu cầu",
            "households with open needs"
        ),
        stat(
            s.presence.get("at_sea").copied().unwrap_or(0),
            "người đi biển",
            "at sea"
        ),
        stat(
            s.presence.get("abroad").copied().unwrap_or(0),
            "người ở nước ngoài",
            "abroad"
        ),
    );
    body.push_str(
        "<h2>Hộ gia đình <span class=\"en\">/ Households</span></h2><table><thead><tr>\
         <th>Mã hộ<br><span class=\"en\">Key</span></th><th>Địa chỉ<br><span class=\"en\">Address</span></th>\
         <th>Nhân khẩu<br><span class=\"en\">Residents</span></th></tr></thead><tbody>",
    );
    for h in shown {
        let mut residents = String::new();
        for (r, needs) in &h.residents {
            let presence = Presence::parse(&r.presence).unwrap_or(Presence::Home);
            let open: Vec<&str> = needs
                .iter()
                .filter(|n| n.status == NeedStatus::Open.code())
                .filter_map(|n| NeedStep::parse(&n.step))
                .map(|n| n.label_vi())
                .collect();
            residents.push_str(&format!(
                "<div>{}{} <span class=\"tag {}\">{}{}</span>{}</div>",
                escape(&r.full_name),
                r.birth_year.map(|y| format!(" ({y})")).unwrap_or_default(),
                presence.code(),
                presence.label_vi(),
                r.country
                    .as_deref()
                    .map(|c| format!(" · {}", escape(c)))
                    .unwrap_or_default(),
                open.iter()
                    .map(|n| format!(" <span class=\"tag\">{}</span>", escape(n)))
                    .collect::<String>()
            ));
        }
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}<br><span class=\"en\">{}</span></td><td>{}</td></tr>",
            escape(&h.household.external_id),
            escape(&h.household.address),
            escape(h.village.as_deref().unwrap_or("")),
            residents
        ));
    }
    body.push_str("</tbody></table>");
    body.push_str(&pager(team.id, page, pages));
    Ok(layout(&s.name, &body))
}

#[cfg(test)]
mod tests {
    use super::{escape, today_line};

    #[test]
    fn today_is_shown_solar_and_lunar_in_the_team_zone() {
        use chrono::TimeZone;
        // 17:30 UTC on 27 November is already the 28th in Vietnam.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 17, 30, 0)
            .unwrap();
        assert_eq!(
            today_line("Asia/Ho_Chi_Minh", now),
            "Thứ Bảy 28/11/2026 · âm lịch 20/10 năm Bính Ngọ"
        );
        assert!(today_line("Europe/Berlin", now).starts_with("Thứ Sáu 27/11/2026"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<b>\"Lê\" & 'Lan'</b>"),
            "&lt;b&gt;&quot;Lê&quot; &amp; &#39;Lan&#39;&lt;/b&gt;"
        );
    }
}

pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/", get(home))
        .route("/teams/{team_id}", get(team))
}
