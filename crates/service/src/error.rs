//! The errors of the use cases: each says what went wrong in Vietnamese and
//! English, and the edges (HTTP, CLI) choose the status or exit code.

use doorstep_store::StoreError;

/// One problem of a request's field: where (a field name or JSON path) and
/// what was expected.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Field name or JSON path, e.g. `days` or `when[0].hours[1]`.
    pub field: String,
    /// In Vietnamese.
    pub message_vi: String,
    /// In English.
    pub message_en: String,
}

impl FieldError {
    /// A problem of `field`.
    pub fn new(
        field: impl Into<String>,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> FieldError {
        FieldError {
            field: field.into(),
            message_vi: vi.into(),
            message_en: en.into(),
        }
    }
}

/// The problem of a text field, if any: more than `max` characters, or a
/// control character (NUL, escape…; line breaks and tabs allowed only where
/// `lines` says, as in a note).
pub fn text_error(field: &str, text: &str, max: usize, lines: bool) -> Option<FieldError> {
    let count = text.chars().count();
    if count > max {
        return Some(FieldError::new(
            field,
            format!("tối đa {max} ký tự, nhận {count}"),
            format!("at most {max} characters, got {count}"),
        ));
    }
    let (at, c) = text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !(lines && matches!(c, '\n' | '\r' | '\t')))?;
    let code = format!("U+{:04X}", u32::from(c));
    Some(FieldError::new(
        field,
        format!(
            "không được chứa ký tự điều khiển: {code} ở ký tự thứ {}",
            at + 1
        ),
        format!(
            "must not contain a control character: {code} at character {}",
            at + 1
        ),
    ))
}

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is wrong; every problem is listed.
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message_en)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// Nothing there, or nothing the actor may see (never told apart, so
    /// nobody can probe other villages).
    #[error("{en}")]
    NotFound {
        /// In Vietnamese.
        vi: String,
        /// In English.
        en: String,
    },
    /// The actor sees the record but may not do this to it.
    #[error("{1}")]
    Forbidden(String, String),
    /// The record's state does not allow it (Vietnamese, English).
    #[error("{1}")]
    Conflict(String, String),
    /// Sign-in needed, or the credentials are wrong.
    #[error("{1}")]
    Unauthorized(String, String),
    /// Too many failed sign-ins; try again after this many seconds.
    #[error("too many failed sign-ins; retry after {0} s")]
    TooManyAttempts(u64),
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
    /// A bug or a broken invariant; logged, never shown.
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    /// Not found: `what` `id` does not exist (or is out of reach).
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> ServiceError {
        let vi = match what {
            "team" => "tổ",
            "plan" => "kế hoạch",
            "visit" => "lượt thăm",
            "member" => "thành viên",
            "household" => "hộ",
            "blackout" => "thời gian tạm dừng",
            "area" => "địa bàn",
            "resident" => "người dân",
            _ => "bản ghi",
        };
        ServiceError::NotFound {
            vi: format!("không tìm thấy {vi} {id}"),
            en: format!("{what} {id} does not exist"),
        }
    }

    /// One field's problem.
    pub fn invalid(field: &str, vi: impl Into<String>, en: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(vec![FieldError::new(field, vi, en)])
    }

    /// The message in Vietnamese (`vi = true`) or English.
    pub fn message(&self, vi: bool) -> String {
        let pick = |a: &str, b: &str| if vi { a.to_owned() } else { b.to_owned() };
        match self {
            ServiceError::Invalid(errors) => {
                let n = errors.len();
                pick(
                    &format!("dữ liệu gửi lên có {n} lỗi"),
                    &format!("the request has {n} error(s)"),
                )
            }
            ServiceError::NotFound { vi: v, en } => pick(v, en),
            ServiceError::Forbidden(v, en)
            | ServiceError::Conflict(v, en)
            | ServiceError::Unauthorized(v, en) => pick(v, en),
            ServiceError::TooManyAttempts(s) => pick(
                &format!("đăng nhập sai quá nhiều lần, hãy thử lại sau {s} giây"),
                &format!("too many failed sign-ins, try again in {s} seconds"),
            ),
            ServiceError::Store(e) if e.is_unavailable() => pick(
                "tạm thời không truy cập được cơ sở dữ liệu; thử lại sau ít giây",
                "the database cannot be reached for the moment; try again in a few seconds",
            ),
            ServiceError::Store(e) if e.is_full() => pick(
                "đĩa của cơ sở dữ liệu đã đầy: chưa ghi gì cả; hãy báo quản trị viên giải phóng chỗ rồi gửi lại",
                "the database's disk is full: nothing was written; ask the administrator to free space, then send it again",
            ),
            ServiceError::Store(_) | ServiceError::Internal(_) => pick(
                "lỗi hệ thống, vui lòng thử lại",
                "internal error, please retry",
            ),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(en) => ServiceError::NotFound {
                vi: format!("không tìm thấy: {en}"),
                en,
            },
            other => ServiceError::Store(other),
        }
    }
}
