//! The tide of the team's own port: the team's station, its own stations
//! fitted to the high and low waters written down at the quay, and the
//! leader's form to fit one (a CSV file, or the rows typed in); a station's
//! page shows the fit's quality, the readings against the fitted curve (an
//! SVG sketch), the readings to check in the notebook, and the button that
//! adopts it as the team's station. The same use cases as the API's
//! `/api/v1/teams/{id}/tide-stations` (`team_stations`).

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::team_stations::{
    self, OwnStation, Plot, PlotReading, StationDetail, TeamFitInput, TeamStations,
};
use doorstep_service::tide_fit::MAX_CSV_BYTES;

use super::calendar::calendar_href;
use super::{
    Header, PageUser, TokenForm, Unread, error_page, form_sent_by_us, read_multipart, render,
    stale_form,
};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// The most bytes of a fit form: the readings and a few short fields.
pub(super) const PAGE_UPLOAD: usize = MAX_CSV_BYTES + 16 * 1024;

#[derive(Template)]
#[template(path = "team_tide.html")]
struct TidePage {
    header: Header,
    list: TeamStations,
    team_station_name: Option<String>,
    may_lead: bool,
    form: FitForm,
    errors: Vec<(String, String, String)>,
}

impl TidePage {
    fn error(&self, field: &str) -> Option<&str> {
        super::field_error(&self.errors, field, self.header.en)
    }

    fn label(&self, field: &str) -> &'static str {
        let (vi, en) = match field {
            "ten" => ("Tên trạm", "Station's name"),
            "ma" => ("Mã trạm (không bắt buộc)", "Station id (optional)"),
            "vi_do" => ("Vĩ độ (độ bắc)", "Latitude (degrees north)"),
            "kinh_do" => ("Kinh độ (độ đông)", "Longitude (degrees east)"),
            "tham_chieu" => ("Trạm tham chiếu", "Reference station"),
            "tep" => ("Tệp CSV số liệu", "Readings' CSV file"),
            "du_lieu" => ("Hoặc gõ số liệu", "Or type the readings"),
            _ => ("Biểu mẫu", "Form"),
        };
        self.header.t(vi, en)
    }

    fn grade_words(&self, station: &OwnStation) -> &'static str {
        let (vi, en) = station.grade_words();
        self.header.t(vi, en)
    }
}

/// The fit form as shown: empty, or as it was sent.
#[derive(Debug, Default)]
struct FitForm {
    csrf: Option<String>,
    ten: String,
    ma: String,
    vi_do: String,
    kinh_do: String,
    tham_chieu: String,
    du_lieu: String,
    file: Vec<u8>,
}

const EXAMPLE: &str = "thời gian,loại,độ cao (m)\n";

async fn tide_page(
    state: &AppState,
    user: &CurrentUser,
    team_id: i32,
    mut form: FitForm,
    errors: Vec<FieldError>,
) -> Result<TidePage, ApiError> {
    let list = team_stations::list(&state.store, &state.catalog, &user.actor, team_id).await?;
    let may_lead = user.actor.may_lead_team(&state.store, team_id).await?;
    if let Some((lat, lon)) = list.position {
        if form.vi_do.is_empty() {
            form.vi_do = format!("{lat:.4}");
        }
        if form.kinh_do.is_empty() {
            form.kinh_do = format!("{lon:.4}");
        }
    }
    if form.du_lieu.is_empty() {
        form.du_lieu = EXAMPLE.to_owned();
    }
    let team_station_name = list.team_station.as_ref().map(|id| {
        list.own
            .iter()
            .find(|s| &s.stored.station_id == id)
            .map(|s| s.stored.name.clone())
            .or_else(|| {
                list.catalog
                    .iter()
                    .find(|(c, _, _)| c == id)
                    .map(|(_, name, _)| name.clone())
            })
            .unwrap_or_else(|| id.clone())
    });
    let header = Header::new(
        (
            &format!("Thủy triều · {}", list.team_name),
            &format!("Tides · {}", list.team_name),
        ),
        &list.timezone,
        Some(user),
    );
    Ok(TidePage {
        header,
        team_station_name,
        list,
        may_lead,
        form,
        errors: errors
            .into_iter()
            .map(|e| (e.field, e.message_vi, e.message_en))
            .collect(),
    })
}

/// `GET /teams/{team_id}/thuy-trieu`: the team's station, its own stations
/// and, for its leader, the form to fit one.
pub(super) async fn tide(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Response {
    let page = async {
        let team_id = parse_id("team_id", &id)?;
        tide_page(&state, &user, team_id, FitForm::default(), Vec::new()).await
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn read_form(multipart: &mut Multipart, form: &mut FitForm) -> Result<(), Unread> {
    read_multipart(
        multipart,
        &["tep", "du_lieu"],
        MAX_CSV_BYTES,
        |name, _, bytes| {
            let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
            match name {
                "csrf" => form.csrf = Some(text()),
                "ten" => form.ten = text(),
                "ma" => form.ma = text(),
                "vi_do" => form.vi_do = text(),
                "kinh_do" => form.kinh_do = text(),
                "tham_chieu" => form.tham_chieu = text(),
                "du_lieu" => form.du_lieu = String::from_utf8_lossy(&bytes).into_owned(),
                "tep" => form.file = bytes,
                _ => {}
            }
        },
    )
    .await
}

fn number(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = text.replace(',', ".").parse::<f64>().ok();
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            format!("cần một số độ, ví dụ 19.37; nhận {text:?}"),
            format!("expected degrees, e.g. 19.37; got {text:?}"),
        ));
    }
    parsed
}

impl FitForm {
    /// The readings: the file when one was chosen, else the rows typed.
    fn csv(&self) -> String {
        if self.file.iter().any(|b| !b.is_ascii_whitespace()) {
            String::from_utf8_lossy(&self.file)
                .trim_start_matches('\u{feff}')
                .to_owned()
        } else {
            self.du_lieu.clone()
        }
    }

    fn input(&self) -> Result<TeamFitInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let latitude = number("vi_do", &self.vi_do, &mut errors);
        let longitude = number("kinh_do", &self.kinh_do, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(TeamFitInput {
            id: Some(self.ma.clone()).filter(|m| !m.trim().is_empty()),
            name: self.ten.clone(),
            latitude,
            longitude,
            reference: Some(self.tham_chieu.clone()).filter(|r| !r.trim().is_empty()),
            csv: self.csv(),
        })
    }
}

/// The form's field of a use case's problem.
fn form_field(field: &str) -> &'static str {
    match field {
        "name" => "ten",
        "id" => "ma",
        "latitude" | "vi_do" => "vi_do",
        "longitude" | "kinh_do" => "kinh_do",
        "reference" => "tham_chieu",
        _ => "du_lieu",
    }
}

/// `POST /teams/{team_id}/thuy-trieu`: fits a station to the readings and
/// keeps it, then its page (303); a problem: the page again with the form
/// as sent and each problem by its field, bad rows by their line (422).
pub(super) async fn fit(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let mut form = FitForm::default();
    let read = match multipart {
        Ok(mut multipart) => read_form(&mut multipart, &mut form).await,
        Err(e) => Err(Unread::Bad(e.body_text())),
    };
    if !form_sent_by_us(&headers, &user, form.csrf.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let team_id = match parse_id("team_id", &id) {
        Ok(team_id) => team_id,
        Err(ApiError(e)) => return error_page(Some(&user), e),
    };
    let kept = match read {
        Err(Unread::TooLarge) => Err(ServiceError::invalid(
            "du_lieu",
            format!(
                "số liệu quá lớn: tối đa {} MB",
                MAX_CSV_BYTES / (1024 * 1024)
            ),
            format!(
                "the readings are too large: at most {} MB",
                MAX_CSV_BYTES / (1024 * 1024)
            ),
        )),
        Err(Unread::Bad(why)) => {
            tracing::debug!(%why, "a fit form that cannot be read");
            Err(ServiceError::invalid(
                "du_lieu",
                "không đọc được biểu mẫu; hãy gửi lại từ trang này",
                "the form could not be read; send it again from this page",
            ))
        }
        Ok(()) => match form.input() {
            Err(errors) => Err(ServiceError::Invalid(errors)),
            Ok(input) => {
                team_stations::fit_and_keep(
                    &state.store,
                    &state.catalog,
                    &user.actor,
                    team_id,
                    input,
                    state.now(),
                )
                .await
            }
        },
    };
    match kept {
        Ok(saved) => Redirect::to(&format!(
            "/teams/{team_id}/thuy-trieu/{}?moi={}",
            saved.station.stored.station_id,
            if saved.replaced { "thay" } else { "1" }
        ))
        .into_response(),
        Err(ServiceError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| FieldError {
                    field: form_field(&e.field).to_owned(),
                    ..e
                })
                .collect();
            // The file's rows are shown in the text box, to correct there.
            if form.file.iter().any(|b| !b.is_ascii_whitespace()) {
                form.du_lieu = form.csv();
                form.file.clear();
            }
            match tide_page(&state, &user, team_id, form, errors).await {
                Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
                Err(ApiError(e)) => error_page(Some(&user), e),
            }
        }
        Err(e) => error_page(Some(&user), e),
    }
}

#[derive(Template)]
#[template(path = "team_tide_station.html")]
struct StationPage {
    header: Header,
    team_id: i32,
    team_name: String,
    may_lead: bool,
    station: OwnStation,
    summary: SummaryView,
    plot: Plot,
    to_check: Vec<PlotReading>,
    notice: Option<Notice>,
    calendar: String,
    width: f64,
    height: f64,
}

impl StationPage {
    fn grade_words(&self) -> &'static str {
        let (vi, en) = self.station.grade_words();
        self.header.t(vi, en)
    }
}

struct SummaryView {
    record_days: String,
    highs: u64,
    lows: u64,
    heights: u64,
    time_rms: String,
    height_rms: Option<String>,
    fitted: String,
    unmatched: u64,
}

enum Notice {
    /// Just fitted (or fitted again, replacing the station of its id).
    Kept { replaced: bool },
    /// Just adopted: how many rules now name it.
    Adopted { rules: usize },
}

/// The query of a station's page.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct StationQuery {
    moi: Option<String>,
    da_dung: Option<usize>,
}

fn summary_view(station: &OwnStation) -> SummaryView {
    let s = &station.summary;
    let count = |key: &str| s[key].as_u64().unwrap_or(0);
    SummaryView {
        record_days: format!("{:.1}", s["record_days"].as_f64().unwrap_or(0.0)),
        highs: count("highs"),
        lows: count("lows"),
        heights: count("heights"),
        time_rms: format!("{:.0}", s["time_rms_min"].as_f64().unwrap_or(0.0)),
        height_rms: s["height_rms_m"]
            .as_f64()
            .map(|h| format!("{:.0}", h * 100.0)),
        fitted: s["fitted"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        unmatched: count("unmatched"),
    }
}

async fn station_page(
    state: &AppState,
    user: &CurrentUser,
    team: &str,
    station: &str,
    notice: Option<Notice>,
) -> Result<StationPage, ApiError> {
    let team_id = parse_id("team_id", team)?;
    let StationDetail {
        team,
        station,
        plot,
        zone,
    } = team_stations::detail(&state.store, &state.catalog, &user.actor, team_id, station).await?;
    let may_lead = user.actor.may_lead_team(&state.store, team_id).await?;
    let today = state.now().with_timezone(&zone).date_naive();
    Ok(StationPage {
        header: Header::new(
            (
                &format!("Trạm {} · {}", station.stored.name, team.team_name),
                &format!("Station {} · {}", station.stored.name, team.team_name),
            ),
            zone.name(),
            Some(user),
        ),
        team_id,
        team_name: team.team_name,
        may_lead,
        summary: summary_view(&station),
        to_check: plot.readings.iter().filter(|r| r.check).cloned().collect(),
        station,
        plot,
        notice,
        calendar: calendar_href(team_id, today, false),
        width: Plot::WIDTH,
        height: Plot::HEIGHT,
    })
}

/// `GET /teams/{team_id}/thuy-trieu/{station_id}`: a station's quality,
/// its readings against the fitted curve, and the leader's button to adopt it.
pub(super) async fn station(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((team, station)): Path<(String, String)>,
    query: Result<Query<StationQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let notice = match (query.moi.as_deref(), query.da_dung) {
        (_, Some(rules)) => Some(Notice::Adopted { rules }),
        (Some(moi), None) => Some(Notice::Kept {
            replaced: moi == "thay",
        }),
        (None, None) => None,
    };
    match station_page(&state, &user, &team, &station, notice).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

/// `POST /teams/{team_id}/thuy-trieu/{station_id}/dung`: adopts the
/// station as the team's, then its page with how many rules now name it (303).
pub(super) async fn adopt(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((team, station)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let sent = form.ok().and_then(|f| f.0.csrf);
    if !form_sent_by_us(&headers, &user, sent.as_deref()) {
        return error_page(Some(&user), stale_form());
    }
    let adopted = async {
        let team_id = parse_id("team_id", &team)?;
        let adopted = team_stations::adopt(
            &state.store,
            &state.catalog,
            &user.actor,
            team_id,
            &station,
            state.now(),
        )
        .await?;
        Ok::<_, ApiError>((team_id, adopted))
    };
    match adopted.await {
        Ok((team_id, adopted)) => Redirect::to(&format!(
            "/teams/{team_id}/thuy-trieu/{station}?da_dung={}",
            adopted.residents + adopted.members + adopted.blackouts
        ))
        .into_response(),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}
