//! Whether the service can answer.

use doorstep_store::{Store, StoreError};

/// Whether the database answers and every migration is applied.
///
/// # Errors
/// The database does not answer.
pub async fn ready(store: &Store) -> Result<bool, StoreError> {
    store.ready().await
}
