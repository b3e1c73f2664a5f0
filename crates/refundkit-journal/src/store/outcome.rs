//! Step 3 and 4's write: the provider's answer (or the lack of one) goes
//! into the row and, when something changed, into the history.

use refundkit_core::RefundError;

use super::{append_history, now_ms, Store};
use crate::entry::JournalEntry;
use crate::error::JournalError;
use crate::state::{JournalState, Outcome};

/// One call's result, to record against the row its caller leased.
#[derive(Debug)]
pub(crate) struct OutcomeRecord<'a> {
    pub entry: &'a JournalEntry,
    pub lease_owner: &'a str,
    pub outcome: &'a Outcome,
    pub error: Option<&'a RefundError>,
    /// Whether a provider call was made (counts as an attempt).
    pub called: bool,
    pub cause: &'a str,
}

/// Writes the outcome and releases the lease; returns the state written, or
/// `None` when the lease was lost to another process meanwhile (nothing is
/// written then: the holder records its own answer for the same key).
pub(crate) async fn record_outcome(
    store: &Store,
    record: &OutcomeRecord<'_>,
) -> Result<Option<JournalState>, JournalError> {
    let entry = record.entry;
    let refund = match record.outcome {
        Outcome::Answered(refund) | Outcome::Mismatch(refund) => Some(refund),
        Outcome::Unknown | Outcome::Refused | Outcome::Unchanged => None,
    };
    let status = refund.map(|r| r.status.as_str().to_string());
    let refund_json = match refund {
        Some(refund) => Some(
            serde_json::to_string(refund)
                .map_err(|_| JournalError::corrupt("refund", "cannot be written as JSON"))?,
        ),
        None => None,
    };
    let raw = refund.map(|r| r.raw.to_string());
    let error_code = record.error.map(|e| e.code());
    let error_text = record.error.map(|e| e.to_string());
    let now = now_ms();
    let key = entry.idempotency_key.to_string();
    let mut tx = store.begin_write().await?;
    let Some(current) = current_state(&mut tx, &key).await? else {
        return Ok(None);
    };
    let mut next = record.outcome.next_state(current);
    // A webhook may have finished the row while we were at the provider: a
    // late "pending" answer does not reopen it.
    if current.is_finished() && next.is_unfinished() {
        next = current;
    }
    let updated = sqlx::query(
        "UPDATE refunds SET state = $1, \
         provider_refund_id = COALESCE($2, provider_refund_id), \
         status = COALESCE($3, status), refund = COALESCE($4, refund), raw = COALESCE($5, raw), \
         attempts = attempts + $6, \
         last_error_code = CASE WHEN $7 = 1 THEN $8 ELSE last_error_code END, \
         last_error = CASE WHEN $7 = 1 THEN $9 ELSE last_error END, \
         lease_owner = NULL, lease_until = NULL, updated_at = $10 \
         WHERE idempotency_key = $11 AND lease_owner = $12",
    )
    .bind(next.as_str())
    .bind(refund.map(|r| r.id.as_str().to_string()))
    .bind(status.clone())
    .bind(refund_json)
    .bind(raw)
    .bind(i64::from(record.called))
    .bind(i64::from(record.error.is_some()))
    .bind(error_code)
    .bind(error_text)
    .bind(now)
    .bind(key.as_str())
    .bind(record.lease_owner)
    .execute(&mut *tx)
    .await
    .map_err(JournalError::database("record the answer"))?;
    if updated.rows_affected() == 0 {
        tx.rollback()
            .await
            .map_err(JournalError::database("roll back"))?;
        tracing::warn!(
            target: "refundkit_journal",
            idempotency_key = %key,
            "the row's lease passed to another process before the answer was recorded; it records its own"
        );
        return Ok(None);
    }
    let old_status = entry.status.as_ref().map(|s| s.as_str().to_string());
    let status_changed = status.is_some() && status != old_status;
    if next != current || status_changed {
        append_history(
            &mut tx,
            &key,
            now,
            Some(current.as_str()),
            next.as_str(),
            status.as_deref().or(old_status.as_deref()),
            record.cause,
            error_code,
        )
        .await?;
    }
    tx.commit()
        .await
        .map_err(JournalError::database("commit the answer"))?;
    Ok(Some(next))
}

/// The row's state as stored now, inside the write transaction.
async fn current_state(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    key: &str,
) -> Result<Option<JournalState>, JournalError> {
    let row: Option<sqlx::any::AnyRow> =
        sqlx::query("SELECT state FROM refunds WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(&mut **tx)
            .await
            .map_err(JournalError::database("read the row's state"))?;
    let Some(row) = row else { return Ok(None) };
    let state: String = sqlx::Row::try_get(&row, "state")
        .map_err(|e| JournalError::corrupt("state", e.to_string()))?;
    JournalState::from_name(&state)
        .map(Some)
        .ok_or_else(|| JournalError::corrupt("state", "not a journal state"))
}
