//! Importing a village register into a team.

use chrono::{DateTime, Datelike, Utc};
use doorstep_core::fold_vietnamese;
use doorstep_core::records::Area;
pub use doorstep_store::RegisterChanges;
use doorstep_store::{OnExisting, REGISTER_PART, RegisterImport, Store, StoreError};

use tokio::sync::mpsc;

use crate::error::ServiceError;
use crate::register::{self, RowError};

/// How to treat bad rows.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Import the good rows and report the bad ones, instead of importing
    /// nothing when any row is bad.
    pub skip_invalid: bool,
}

/// What an import did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: usize,
    /// Households in the file (good rows only).
    pub households: usize,
    /// What changed in the database.
    pub changes: RegisterChanges,
    /// Rows left out with `skip_invalid`.
    pub skipped: Vec<RowError>,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file, or some of its rows, are bad.
    #[error("the register has {} problem(s)", errors.len())]
    Invalid {
        /// Every problem, in line order.
        errors: Vec<RowError>,
    },
    /// No such team.
    #[error("team {team_id} does not exist; existing teams: {known}")]
    UnknownTeam {
        /// The id asked for.
        team_id: i32,
        /// The teams that exist, as "id (name)".
        known: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How far an import is, as [`import_register_from`] tells it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportProgress {
    /// Data rows read from the file so far.
    pub rows_read: usize,
    /// Bytes of the file read so far.
    pub bytes_read: u64,
    /// The good rows, once the whole file is read and nothing in it stops
    /// the import.
    pub rows_to_write: Option<usize>,
    /// Rows compared with the database and written so far.
    pub rows_written: usize,
    /// Every row is written: the team's kept coverage counts are being
    /// recounted and the transaction committed.
    pub committing: bool,
}

/// Reads `bytes` as a register and applies it to the team in one
/// transaction. With a bad row and without `skip_invalid`, nothing is written.
///
/// # Errors
/// See [`ImportError`].
pub async fn import_register(
    store: &Store,
    team_id: i32,
    bytes: &[u8],
    options: ImportOptions,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    import_register_from(store, team_id, bytes, options, actor, now, |_| {}).await
}

/// Reads a register from `source` (as a stream) and applies it to the team
/// in one transaction, [`REGISTER_PART`] households at a time; `progress`
/// hears how far it is every [`register::PROGRESS_ROWS`] rows read, before
/// the first part and after every part written, and before the commit. With a bad row and without `skip_invalid`, nothing
/// is written — a bad row is found before the first write.
///
/// # Errors
/// See [`ImportError`].
pub async fn import_register_from(
    store: &Store,
    team_id: i32,
    source: impl std::io::Read,
    options: ImportOptions,
    actor: &str,
    now: DateTime<Utc>,
    mut progress: impl FnMut(ImportProgress),
) -> Result<ImportReport, ImportError> {
    let mut file_read = 0;
    let mut parsed = register::read(source, now.year(), |rows_read, bytes_read| {
        file_read = bytes_read;
        progress(ImportProgress {
            rows_read,
            bytes_read,
            ..ImportProgress::default()
        });
    })
    .map_err(|errors| ImportError::Invalid { errors })?;
    resolve_villages(store, team_id, &mut parsed).await?;
    if !parsed.errors.is_empty() && !options.skip_invalid {
        return Err(ImportError::Invalid {
            errors: parsed.errors,
        });
    }
    let rows_to_write = parsed.resident_count();
    let mut told = ImportProgress {
        rows_read: parsed.rows,
        bytes_read: file_read,
        rows_to_write: Some(rows_to_write),
        rows_written: 0,
        committing: false,
    };
    progress(told);
    let mut import =
        RegisterImport::begin(store.connection(), team_id, OnExisting::Update, actor, now).await?;
    let mut part = Vec::with_capacity(REGISTER_PART);
    {
        let mut households = parsed.households().peekable();
        while let Some(household) = households.next() {
            told.rows_written += household.residents.len();
            part.push(household);
            if part.len() == REGISTER_PART || households.peek().is_none() {
                import.apply(&part).await?;
                part.clear();
                progress(told);
            }
        }
    }
    told.committing = true;
    progress(told);
    let changes = import.commit().await?;
    Ok(ImportReport {
        rows: parsed.rows,
        households: parsed.household_count(),
        changes,
        skipped: parsed.errors,
    })
}

/// Gives the register's households their villages among the team's, by
/// name; a name the team does not know is an error on each row naming it.
async fn resolve_villages(
    store: &Store,
    team_id: i32,
    parsed: &mut register::ParsedRegister,
) -> Result<(), ImportError> {
    let db = store.connection();
    let Some(team) = doorstep_store::find_team(db, team_id).await? else {
        let known = doorstep_store::list_teams(db)
            .await?
            .iter()
            .map(|t| format!("{} ({})", t.id, t.name))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ImportError::UnknownTeam {
            team_id,
            known: if known.is_empty() {
                "none".into()
            } else {
                known
            },
        });
    };
    let villages = doorstep_store::villages_of_team(db, &team).await?;
    let known = villages
        .iter()
        .map(|v| v.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    parsed.resolve_villages(
        |name| find_village(&villages, name),
        |name| {
            (
                format!(
                    "\"{name}\" không phải thôn của tổ {}; cần một trong: {known}",
                    team.name
                ),
                format!(
                    "\"{name}\" is not a village of team {}; expected one of: {known}",
                    team.name
                ),
            )
        },
    );
    Ok(())
}

/// A village by its name or a former name, with or without its kind
/// ("Thôn", "Tổ dân phố", "Bản", "Khu phố").
fn find_village(villages: &[Area], name: &str) -> Option<i32> {
    let bare = |text: &str| {
        let folded = fold_vietnamese(text);
        ["thon ", "to dan pho ", "ban ", "khu pho ", "xom ", "lang "]
            .iter()
            .find_map(|prefix| folded.strip_prefix(prefix).map(str::to_string))
            .unwrap_or(folded)
    };
    let wanted = bare(name);
    villages
        .iter()
        .find(|v| bare(&v.name) == wanted || v.aliases.iter().any(|alias| bare(alias) == wanted))
        .map(|v| v.id)
}

/// The most bytes a register sent over HTTP may have.
pub const MAX_UPLOAD: usize = 32 * 1024 * 1024;

/// A register sent by a leader (`POST /api/v1/teams/{id}/imports`): the
/// same file and the same all-or-nothing rule as `doorstep import`. Every
/// bad row is a field error `line N, column "…"`.
///
/// # Errors
/// Not found or forbidden (not the team's leader), the file's problems, or
/// the store fails; then nothing is written.
pub async fn upload_register(
    store: &Store,
    actor: &crate::access::Actor,
    team_id: i32,
    bytes: &[u8],
    options: ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportReport, crate::error::ServiceError> {
    use crate::error::{FieldError, ServiceError};
    actor.require_lead(store, team_id).await?;
    if bytes.is_empty() {
        return Err(empty_register());
    }
    match import_register(store, team_id, bytes, options, &actor.label(), now).await {
        Ok(report) => Ok(report),
        Err(ImportError::Invalid { errors }) => Err(ServiceError::Invalid(
            errors
                .into_iter()
                .map(|e| {
                    FieldError::new(
                        format!("line {}, column \"{}\"", e.line, e.field),
                        format!("dòng {}, cột \"{}\": {}", e.line, e.field, e.message_vi),
                        format!("line {}, column \"{}\": {}", e.line, e.field, e.message_en),
                    )
                })
                .collect(),
        )),
        Err(ImportError::UnknownTeam { team_id, .. }) => {
            Err(ServiceError::not_found("team", team_id))
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

/// A register checked against a team and not written: what importing it
/// would do.
#[derive(Clone, Debug)]
pub struct RegisterPreview {
    /// Data rows read (0 when the file as a whole cannot be read).
    pub rows: usize,
    /// Households with at least one good row and an address.
    pub households: usize,
    /// Their good rows.
    pub residents: usize,
    /// Every problem, in line order; an import writes nothing while there
    /// is one, unless the bad rows are skipped.
    pub errors: Vec<RowError>,
    /// What importing the good rows would change; `None` when the file
    /// cannot be read as a register at all.
    pub changes: Option<RegisterChanges>,
}

impl RegisterPreview {
    /// Whether the file can be imported as it is.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.changes.is_some()
    }
}

/// Checks a register sent by a leader as [`upload_register`] would import
/// it, and works out what importing its good rows would change, without
/// writing anything (the changes are applied in a transaction that is
/// rolled back).
///
/// # Errors
/// Not found or forbidden (not the team's leader), an empty file, or the
/// store fails. The file's problems are the preview's, not errors.
pub async fn preview_register(
    store: &Store,
    actor: &crate::access::Actor,
    team_id: i32,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<RegisterPreview, ServiceError> {
    actor.require_lead(store, team_id).await?;
    if bytes.is_empty() {
        return Err(empty_register());
    }
    let mut parsed = match register::read(bytes, now.year(), |_, _| {}) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return Ok(RegisterPreview {
                rows: 0,
                households: 0,
                residents: 0,
                errors,
                changes: None,
            });
        }
    };
    match resolve_villages(store, team_id, &mut parsed).await {
        Ok(()) => {}
        Err(ImportError::UnknownTeam { team_id, .. }) => {
            return Err(ServiceError::not_found("team", team_id));
        }
        Err(ImportError::Store(e)) => return Err(e.into()),
        Err(ImportError::Invalid { errors }) => parsed.errors.extend(errors),
    }
    let mut import = RegisterImport::begin(
        store.connection(),
        team_id,
        OnExisting::Update,
        &actor.label(),
        now,
    )
    .await?;
    {
        let mut part = Vec::with_capacity(REGISTER_PART);
        let mut households = parsed.households().peekable();
        while let Some(household) = households.next() {
            part.push(household);
            if part.len() == REGISTER_PART || households.peek().is_none() {
                import.apply(&part).await?;
                part.clear();
            }
        }
    }
    let changes = import.roll_back().await?;
    Ok(RegisterPreview {
        rows: parsed.rows,
        households: parsed.household_count(),
        residents: parsed.resident_count(),
        errors: parsed.errors,
        changes: Some(changes),
    })
}

fn empty_register() -> ServiceError {
    ServiceError::invalid(
        "(body)",
        "tệp sổ hộ trống: cần tệp CSV có dòng tiêu đề (Mã hộ, Mã nhân khẩu, Họ và tên, Địa chỉ, …)",
        "the register is empty: expected a CSV file with a header line (Mã hộ, Mã nhân khẩu, Họ và tên, Địa chỉ, …)",
    )
}

/// Households read from the database at a time by the register export.
const EXPORT_PAGE: u64 = 500;
/// Chunks of CSV waiting for the client at most.
const EXPORT_CHANNEL: usize = 8;

/// A team's register as CSV, in the form the import reads (UTF-8 with a
/// byte-order mark, the Vietnamese headers, one row per resident, the open
/// needs): exporting and importing it again changes nothing. It comes in
/// chunks as the database yields pages of households, so memory stays flat
/// and no statement binds more than a page's ids however large the team.
/// The export is logged.
///
/// # Errors
/// Not found or forbidden (not the team's leader), or the store fails
/// before the first byte; a failure later ends the stream with an error
/// item.
pub async fn export_register(
    store: &Store,
    actor: &crate::access::Actor,
    team_id: i32,
    now: DateTime<Utc>,
) -> Result<mpsc::Receiver<Result<Vec<u8>, ServiceError>>, ServiceError> {
    actor.require_lead(store, team_id).await?;
    let db = store.connection();
    let (households, residents) = doorstep_store::team_register_counts(db, team_id).await?;
    doorstep_store::append_audit(
        db,
        now,
        &actor.label(),
        "export_register",
        "team",
        Some(team_id),
        serde_json::json!({"households": households, "residents": residents}),
    )
    .await?;
    let (sender, receiver) = mpsc::channel(EXPORT_CHANNEL);
    let store = store.clone();
    tokio::spawn(async move {
        if let Err(error) = write_register(&store, team_id, &sender).await {
            tracing::warn!(%error, team = team_id, "the register export stopped");
            let _ = sender.send(Err(error)).await;
        }
    });
    Ok(receiver)
}

async fn write_register(
    store: &Store,
    team_id: i32,
    sender: &mpsc::Sender<Result<Vec<u8>, ServiceError>>,
) -> Result<(), ServiceError> {
    use doorstep_core::NeedStatus;
    let internal = |e: csv::Error| ServiceError::Internal(format!("CSV: {e}"));
    let finish = |writer: csv::Writer<Vec<u8>>| {
        writer
            .into_inner()
            .map_err(|e| ServiceError::Internal(format!("CSV: {}", e.error())))
    };
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(register::export_header())
        .map_err(internal)?;
    out.extend(finish(writer)?);
    if sender.send(Ok(out)).await.is_err() {
        return Ok(());
    }
    let mut after: Option<(String, i32)> = None;
    loop {
        let page = doorstep_store::team_households_after(
            store.connection(),
            team_id,
            None,
            after.as_ref().map(|(key, id)| (key.as_str(), *id)),
            EXPORT_PAGE,
        )
        .await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some((last.external_id.clone(), last.id));
        let mut writer = csv::Writer::from_writer(Vec::with_capacity(64 * 1024));
        for h in &page {
            let (lat, lon) = h.location.map_or((String::new(), String::new()), |l| {
                (l.lat.to_string(), l.lon.to_string())
            });
            for r in &h.residents {
                let open: Vec<&str> = r
                    .needs
                    .iter()
                    .filter(|n| n.status == NeedStatus::Open)
                    .map(|n| n.step.code())
                    .collect();
                writer
                    .write_record(crate::export::spreadsheet_record([
                        h.external_id.as_str(),
                        r.external_id.as_str(),
                        r.full_name.as_str(),
                        &r.birth_year.map(|y| y.to_string()).unwrap_or_default(),
                        r.phone.as_deref().unwrap_or_default(),
                        h.address.as_str(),
                        h.village.as_deref().unwrap_or_default(),
                        &lat,
                        &lon,
                        r.presence.label_vi(),
                        r.country.as_deref().unwrap_or_default(),
                        r.timezone.as_deref().unwrap_or_default(),
                        &open.join("; "),
                    ]))
                    .map_err(internal)?;
            }
        }
        let chunk = finish(writer)?;
        if !chunk.is_empty() && sender.send(Ok(chunk)).await.is_err() {
            // The client went away.
            return Ok(());
        }
        if (page.len() as u64) < EXPORT_PAGE {
            return Ok(());
        }
    }
}
