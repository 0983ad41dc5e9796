//! The team's register on paper and back: the leader uploads a CSV
//! register (a form sent as `multipart/form-data`), reads what importing it
//! would do — every bad row with its line, column and what was expected, in
//! the page's language, and what would change — and then imports it; or
//! downloads the register as CSV. The same use cases as the API's
//! `POST /api/v1/teams/{id}/imports` and `GET …/register.csv`: a register
//! with a bad row imports nothing, unless the leader chooses to import its
//! good rows only.
//!
//! The file checked comes back with the preview in a hidden field, so the
//! leader does not pick it again to import it: a page takes registers up to
//! [`PAGE_UPLOAD`] (a big ward's register is about 1 MB); a larger one is
//! refused with a clear page (413) and goes through the API or
//! `doorstep import`.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_service::error::ServiceError;
use doorstep_service::import::{self, ImportOptions, RegisterChanges, RegisterPreview};
use doorstep_service::teams;

use super::{
    Header, PageUser, Unread, error_page, form_sent_by_us, read_multipart, render, stale_form,
};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// The largest register a page takes, in bytes.
pub(super) const PAGE_UPLOAD: usize = 4 * 1024 * 1024;
/// What a form may carry beside its file.
pub(super) const FORM_OVERHEAD: usize = 64 * 1024;
/// Row problems a preview lists at most.
const SHOWN_ERRORS: usize = 200;

#[derive(Template)]
#[template(path = "team_register.html")]
struct RegisterPage {
    header: Header,
    team_id: i32,
    team_name: String,
    max_mb: usize,
    /// What the last import did.
    imported: Option<ImportedView>,
    /// Why the file sent was not read (too large, not a form).
    problem: Option<(String, String)>,
    preview: Option<PreviewView>,
}

struct ImportedView {
    changes: ChangesView,
    skipped: u64,
}

#[derive(Default)]
struct ChangesView {
    households_created: u64,
    households_updated: u64,
    residents_created: u64,
    residents_updated: u64,
    needs_opened: u64,
    needs_closed: u64,
}

impl ChangesView {
    fn nothing(&self) -> bool {
        self.households_created
            + self.households_updated
            + self.residents_created
            + self.residents_updated
            + self.needs_opened
            + self.needs_closed
            == 0
    }
}

impl From<RegisterChanges> for ChangesView {
    fn from(c: RegisterChanges) -> Self {
        let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        ChangesView {
            households_created: n(c.households_created),
            households_updated: n(c.households_updated),
            residents_created: n(c.residents_created),
            residents_updated: n(c.residents_updated),
            needs_opened: n(c.needs_opened),
            needs_closed: n(c.needs_closed),
        }
    }
}

struct PreviewView {
    file_name: String,
    rows: usize,
    households: usize,
    residents: usize,
    changes: Option<ChangesView>,
    errors: Vec<RowLine>,
    /// Problems not listed.
    more_errors: usize,
    all_errors: usize,
    /// The rows with a problem.
    bad_rows: usize,
    /// The file, to import it from the preview (empty when it cannot be).
    data: String,
}

struct RowLine {
    line: usize,
    column: Option<String>,
    vi: String,
    en: String,
}

/// The query of the register page: what the last import did.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct RegisterQuery {
    da_nhap: Option<String>,
    ho_moi: Option<u64>,
    ho_sua: Option<u64>,
    nguoi_moi: Option<u64>,
    nguoi_sua: Option<u64>,
    nc_moi: Option<u64>,
    nc_bo: Option<u64>,
    bo_qua: Option<u64>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    team_id: i32,
) -> Result<RegisterPage, ApiError> {
    let team = teams::team(&state.store, &user.actor, team_id).await?;
    user.actor.require_lead(&state.store, team_id).await?;
    Ok(RegisterPage {
        header: Header::new(
            (
                &format!("Sổ hộ · {}", team.name),
                &format!("Register · {}", team.name),
            ),
            &team.timezone,
            Some(user),
        ),
        team_id,
        team_name: team.name,
        max_mb: PAGE_UPLOAD / (1024 * 1024),
        imported: None,
        problem: None,
        preview: None,
    })
}

/// `GET /teams/{team_id}/nhap-so`: the form to upload a register, the
/// export, and what the last import did.
pub(super) async fn form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<RegisterQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let shown = async {
        let team_id = parse_id("team_id", &id)?;
        let mut shown = page(&state, &user, team_id).await?;
        if query.da_nhap.is_some() {
            shown.imported = Some(ImportedView {
                changes: ChangesView {
                    households_created: query.ho_moi.unwrap_or(0),
                    households_updated: query.ho_sua.unwrap_or(0),
                    residents_created: query.nguoi_moi.unwrap_or(0),
                    residents_updated: query.nguoi_sua.unwrap_or(0),
                    needs_opened: query.nc_moi.unwrap_or(0),
                    needs_closed: query.nc_bo.unwrap_or(0),
                },
                skipped: query.bo_qua.unwrap_or(0),
            });
        }
        Ok::<_, ApiError>(shown)
    };
    match shown.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

/// A register form as sent.
#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    /// `kiem_tra` (check) or `nhap` (import).
    step: String,
    file_name: String,
    bytes: Vec<u8>,
    skip_invalid: bool,
}

/// Reads the form field by field, the file at most [`PAGE_UPLOAD`] bytes;
/// what was read before a problem is kept (the token comes first).
async fn read_upload(multipart: &mut Multipart, upload: &mut Upload) -> Result<(), Unread> {
    read_multipart(
        multipart,
        &["tep", "du_lieu"],
        PAGE_UPLOAD,
        |name, file_name, bytes| {
            let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
            match name {
                "csrf" => upload.csrf = Some(text()),
                "buoc" => upload.step = text(),
                "bo_qua_loi" => upload.skip_invalid = !text().is_empty(),
                "ten_tep" => upload.file_name = text().chars().take(200).collect(),
                "tep" | "du_lieu" => {
                    if name == "tep" {
                        upload.file_name = file_name.unwrap_or_default();
                    }
                    upload.bytes = bytes;
                }
                _ => {}
            }
        },
    )
    .await
}

/// `POST /teams/{team_id}/nhap-so`: `buoc=kiem_tra` with the file checks
/// it and shows the preview (422 when it has problems); `buoc=nhap` with
/// the file imports it and goes back to the form with what changed (303),
/// or shows the preview again when a row is bad and its rows were not
/// chosen to be skipped.
pub(super) async fn upload(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let mut upload = Upload::default();
    let read = match multipart {
        Ok(mut multipart) => read_upload(&mut multipart, &mut upload).await,
        Err(e) => Err(Unread::Bad(e.body_text())),
    };
    let team_id = match parse_id("team_id", &id) {
        Ok(team_id) => team_id,
        Err(ApiError(e)) => return error_page(Some(&user), e),
    };
    let bearer_or_token = form_sent_by_us(&headers, &user, upload.csrf.as_deref());
    match read {
        Err(Unread::Bad(_)) if !bearer_or_token => return error_page(Some(&user), stale_form()),
        Err(Unread::Bad(why)) => {
            tracing::debug!(%why, "a register form that cannot be read");
            return refused(
                &state,
                &user,
                team_id,
                StatusCode::BAD_REQUEST,
                (
                    "Không đọc được biểu mẫu: hãy chọn tệp CSV rồi bấm \"Kiểm tra\" trên trang này."
                        .into(),
                    "The form could not be read: choose a CSV file, then press \"Check\" on this page."
                        .into(),
                ),
            )
            .await;
        }
        // A body far over the limit is refused before its token is read:
        // the page saying so writes nothing and shows nothing new.
        Err(Unread::TooLarge) if upload.csrf.is_some() && !bearer_or_token => {
            return error_page(Some(&user), stale_form());
        }
        Err(Unread::TooLarge) => {
            let mb = PAGE_UPLOAD / (1024 * 1024);
            return refused(
                &state,
                &user,
                team_id,
                StatusCode::PAYLOAD_TOO_LARGE,
                (
                    format!(
                        "Tệp lớn hơn {mb} MB (khoảng 40.000 dòng) nên chưa được đọc và chưa nhập gì. Hãy chia sổ thành nhiều tệp (ví dụ theo thôn) rồi nhập từng tệp; sổ lớn hơn có thể nhập qua API hoặc lệnh doorstep import."
                    ),
                    format!(
                        "The file is larger than {mb} MB (about 40,000 rows), so it was not read and nothing was imported. Split the register into several files (by village, say) and import each; a larger register can go through the API or the doorstep import command."
                    ),
                ),
            )
            .await;
        }
        Ok(()) if !bearer_or_token => return error_page(Some(&user), stale_form()),
        Ok(()) => {}
    }
    if upload.bytes.is_empty() {
        return refused(
            &state,
            &user,
            team_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            (
                "Chưa có tệp, hoặc tệp trống: hãy chọn tệp CSV của sổ hộ.".into(),
                "No file, or an empty one: choose the register's CSV file.".into(),
            ),
        )
        .await;
    }
    if upload.step == "nhap" {
        match import::upload_register(
            &state.store,
            &user.actor,
            team_id,
            &upload.bytes,
            ImportOptions {
                skip_invalid: upload.skip_invalid,
            },
            state.now(),
        )
        .await
        {
            Ok(report) => {
                let c = report.changes;
                return Redirect::to(&format!(
                    "/teams/{team_id}/nhap-so?da_nhap=1&ho_moi={}&ho_sua={}&nguoi_moi={}&nguoi_sua={}&nc_moi={}&nc_bo={}&bo_qua={}",
                    c.households_created,
                    c.households_updated,
                    c.residents_created,
                    c.residents_updated,
                    c.needs_opened,
                    c.needs_closed,
                    report.skipped.len()
                ))
                .into_response();
            }
            // The rows' problems: the preview says them line by line.
            Err(ServiceError::Invalid(_)) => {}
            Err(e) => return error_page(Some(&user), e),
        }
    }
    let checked = async {
        let mut shown = page(&state, &user, team_id).await?;
        let preview = import::preview_register(
            &state.store,
            &user.actor,
            team_id,
            &upload.bytes,
            state.now(),
        )
        .await?;
        let clean = preview.is_clean();
        shown.preview = Some(preview_view(preview, upload));
        Ok::<_, ApiError>((clean, shown))
    };
    match checked.await {
        Ok((true, page)) => render(StatusCode::OK, &page),
        Ok((false, page)) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

fn preview_view(preview: RegisterPreview, upload: Upload) -> PreviewView {
    let all_errors = preview.errors.len();
    let bad_rows = preview
        .errors
        .iter()
        .map(|e| e.line)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    // The file goes back with the preview only when there is something to
    // import from it.
    let importable = preview.changes.is_some() && preview.households > 0;
    PreviewView {
        file_name: upload.file_name,
        rows: preview.rows,
        households: preview.households,
        residents: preview.residents,
        changes: preview.changes.map(ChangesView::from),
        more_errors: all_errors.saturating_sub(SHOWN_ERRORS),
        errors: preview
            .errors
            .into_iter()
            .take(SHOWN_ERRORS)
            .map(|e| RowLine {
                line: e.line,
                column: e.column().map(str::to_owned),
                vi: e.message_vi,
                en: e.message_en,
            })
            .collect(),
        all_errors,
        bad_rows,
        data: if importable {
            String::from_utf8(upload.bytes).unwrap_or_default()
        } else {
            String::new()
        },
    }
}

/// The form again, saying why the file sent was not read.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    team_id: i32,
    status: StatusCode,
    (vi, en): (String, String),
) -> Response {
    match page(state, user, team_id).await {
        Ok(mut shown) => {
            shown.problem = Some((vi, en));
            render(status, &shown)
        }
        Err(ApiError(e)) => error_page(Some(user), e),
    }
}

/// `GET /teams/{team_id}/so-ho.csv`: the register as CSV, as the API's
/// export gives it (the team's leader; logged).
pub(super) async fn export(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Response {
    match crate::records::export(State(state), user.clone(), Path(id)).await {
        Ok(response) => response,
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}
