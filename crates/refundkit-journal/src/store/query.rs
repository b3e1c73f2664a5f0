//! Step 6: what a backend asks the journal.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::Store;
use crate::entry::{HistoryEntry, JournalEntry, COLUMNS};
use crate::error::JournalError;
use crate::state::JournalState;

fn entries(rows: &[AnyRow]) -> Result<Vec<JournalEntry>, JournalError> {
    rows.iter().map(JournalEntry::from_row).collect()
}

/// Every row of a payment, oldest first.
pub(crate) async fn by_payment(
    store: &Store,
    payment_id: &str,
) -> Result<Vec<JournalEntry>, JournalError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM refunds WHERE payment_id = $1 ORDER BY created_at, idempotency_key"
    );
    let rows = sqlx::query(&sql)
        .bind(payment_id)
        .fetch_all(&store.pool)
        .await
        .map_err(JournalError::database("read a payment's refunds"))?;
    entries(&rows)
}

/// The row of a merchant reference in a namespace.
pub(crate) async fn by_reference(
    store: &Store,
    namespace: &str,
    reference: &str,
) -> Result<Option<JournalEntry>, JournalError> {
    let sql =
        format!("SELECT {COLUMNS} FROM refunds WHERE namespace = $1 AND merchant_reference = $2");
    let row = sqlx::query(&sql)
        .bind(namespace)
        .bind(reference)
        .fetch_optional(&store.pool)
        .await
        .map_err(JournalError::database("read a refund by reference"))?;
    row.as_ref().map(JournalEntry::from_row).transpose()
}

/// The row of an idempotency key.
pub(crate) async fn by_key(store: &Store, key: &str) -> Result<Option<JournalEntry>, JournalError> {
    let sql = format!("SELECT {COLUMNS} FROM refunds WHERE idempotency_key = $1");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&store.pool)
        .await
        .map_err(JournalError::database("read a refund by key"))?;
    row.as_ref().map(JournalEntry::from_row).transpose()
}

/// Unfinished rows, oldest change first, at most `limit`.
pub(crate) async fn unfinished(
    store: &Store,
    limit: i64,
) -> Result<Vec<JournalEntry>, JournalError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM refunds WHERE state IN ($1, $2, $3) ORDER BY updated_at LIMIT $4"
    );
    let rows = sqlx::query(&sql)
        .bind(JournalState::UNFINISHED[0])
        .bind(JournalState::UNFINISHED[1])
        .bind(JournalState::UNFINISHED[2])
        .bind(limit)
        .fetch_all(&store.pool)
        .await
        .map_err(JournalError::database("read unfinished refunds"))?;
    entries(&rows)
}

const HISTORY: &str =
    "SELECT h.idempotency_key, h.at, h.from_state, h.to_state, h.status, h.cause, h.detail \
     FROM refund_history h";

fn history_rows(rows: &[AnyRow]) -> Result<Vec<HistoryEntry>, JournalError> {
    let field = |e: sqlx::Error| JournalError::corrupt("refund_history", e.to_string());
    rows.iter()
        .map(|row| {
            Ok(HistoryEntry {
                idempotency_key: row.try_get("idempotency_key").map_err(field)?,
                at_ms: row.try_get("at").map_err(field)?,
                from_state: row.try_get("from_state").map_err(field)?,
                to_state: row.try_get("to_state").map_err(field)?,
                status: row.try_get("status").map_err(field)?,
                cause: row.try_get("cause").map_err(field)?,
                detail: row.try_get("detail").map_err(field)?,
            })
        })
        .collect()
}

/// The history of one row, in order.
pub(crate) async fn history(store: &Store, key: &str) -> Result<Vec<HistoryEntry>, JournalError> {
    let sql = format!("{HISTORY} WHERE h.idempotency_key = $1 ORDER BY h.id");
    let rows = sqlx::query(&sql)
        .bind(key)
        .fetch_all(&store.pool)
        .await
        .map_err(JournalError::database("read the history"))?;
    history_rows(&rows)
}

/// The history of every row of a payment, in order.
pub(crate) async fn history_for_payment(
    store: &Store,
    payment_id: &str,
) -> Result<Vec<HistoryEntry>, JournalError> {
    let sql = format!(
        "{HISTORY} JOIN refunds r ON r.idempotency_key = h.idempotency_key \
         WHERE r.payment_id = $1 ORDER BY h.id"
    );
    let rows = sqlx::query(&sql)
        .bind(payment_id)
        .fetch_all(&store.pool)
        .await
        .map_err(JournalError::database("read the payment's history"))?;
    history_rows(&rows)
}
