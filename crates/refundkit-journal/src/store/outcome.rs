//! Step 3 and 4's write: the provider's answer (or the lack of one) goes
//! into the row and, when something changed, into the history.

use refundkit_core::RefundError;

use super::{append_history, now_ms, Store};
use crate::entry::JournalEntry;
use crate::error::JournalError;
use crate::state::Outcome;

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

/// Writes the outcome and releases the lease; `false` when the lease was
/// lost to another process meanwhile (nothing is written then: the holder
/// records its own answer for the same key).
pub(crate) async fn record_outcome(
    store: &Store,
    record: &OutcomeRecord<'_>,
) -> Result<bool, JournalError> {
    let entry = record.entry;
    let next = record.outcome.next_state(entry.state);
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
        return Ok(false);
    }
    let old_status = entry.status.as_ref().map(|s| s.as_str().to_string());
    let status_changed = status.is_some() && status != old_status;
    if next != entry.state || status_changed {
        append_history(
            &mut tx,
            &key,
            now,
            Some(entry.state.as_str()),
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
    Ok(true)
}
