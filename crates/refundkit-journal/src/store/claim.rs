//! Step 4's claim: one unfinished row for one sweeper. SQLite serializes
//! writers, so the single UPDATE is atomic; PostgreSQL skips rows another
//! sweeper is claiming (`FOR UPDATE SKIP LOCKED`). Either way the claim is a
//! lease with an expiry, so a sweeper that dies gives its rows back.

use sqlx::any::AnyRow;

use super::Store;
use crate::entry::{JournalEntry, COLUMNS};
use crate::error::JournalError;
use crate::open::Backend;
use crate::state::JournalState;

/// Leases the oldest unfinished row last changed before `cutoff_ms` whose
/// lease is free or expired, for `owner` until `until_ms`.
pub(crate) async fn claim_next(
    store: &Store,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
    cutoff_ms: i64,
) -> Result<Option<JournalEntry>, JournalError> {
    let skip_locked = match store.backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "UPDATE refunds SET lease_owner = $1, lease_until = $2 WHERE idempotency_key = (\
         SELECT idempotency_key FROM refunds WHERE state IN ($3, $4, $5) AND updated_at < $6 \
         AND (lease_until IS NULL OR lease_until < $7) ORDER BY updated_at LIMIT 1{skip_locked}) \
         RETURNING {COLUMNS}"
    );
    let mut tx = store.begin_write().await?;
    let row: Option<AnyRow> = sqlx::query(&sql)
        .bind(owner)
        .bind(until_ms)
        .bind(JournalState::UNFINISHED[0])
        .bind(JournalState::UNFINISHED[1])
        .bind(JournalState::UNFINISHED[2])
        .bind(cutoff_ms)
        .bind(now_ms)
        .fetch_optional(&mut *tx)
        .await
        .map_err(JournalError::database("claim an unfinished row"))?;
    tx.commit()
        .await
        .map_err(JournalError::database("commit the claim"))?;
    row.as_ref().map(JournalEntry::from_row).transpose()
}
