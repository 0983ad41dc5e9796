//! Importing a village register into a team.

use chrono::{DateTime, Datelike, Utc};
use doorstep_core::fold_vietnamese;
use doorstep_store::entity::area;
use doorstep_store::{RegisterChanges, Store, StoreError};

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
    let mut parsed =
        register::parse(bytes, now.year()).map_err(|errors| ImportError::Invalid { errors })?;
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
            format!(
                "\"{name}\" is not a village of team {}; expected one of: {known}",
                team.name
            )
        },
    );
    if !parsed.errors.is_empty() && !options.skip_invalid {
        return Err(ImportError::Invalid {
            errors: parsed.errors,
        });
    }
    let households: Vec<_> = parsed.households.into_iter().map(|h| h.household).collect();
    let changes = doorstep_store::apply_register(db, team_id, &households, actor, now).await?;
    Ok(ImportReport {
        rows: parsed.rows,
        households: households.len(),
        changes,
        skipped: parsed.errors,
    })
}

/// A village by its name or a former name, with or without its kind
/// ("Thôn", "Tổ dân phố", "Bản", "Khu phố").
fn find_village(villages: &[area::Model], name: &str) -> Option<i32> {
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
        .find(|v| {
            bare(&v.name) == wanted
                || serde_json::from_str::<Vec<String>>(&v.aliases)
                    .unwrap_or_default()
                    .iter()
                    .any(|alias| bare(alias) == wanted)
        })
        .map(|v| v.id)
}
