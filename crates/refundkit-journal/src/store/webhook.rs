//! Step 5: a verified webhook updates its row once. The event id goes into
//! `webhook_events` in the same transaction as the change, so a redelivery
//! finds it and changes nothing.

use refundkit_core::RefundEvent;
use sqlx::any::AnyRow;

use super::{append_history, now_ms, Store};
use crate::entry::{JournalEntry, COLUMNS};
use crate::error::JournalError;
use crate::recover::check_journaled;
use crate::state::{state_after_event, state_for_status, JournalState};

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventApplied {
    /// The row changed; one history entry was appended.
    Changed {
        /// The row's key.
        idempotency_key: String,
    },
    /// The row already said what the event says.
    Unchanged,
    /// This event id was applied before: nothing was done.
    Duplicate,
    /// No journaled refund matches the event (made outside the journal).
    NotJournaled,
}

pub(crate) async fn apply_event(
    store: &Store,
    event: &RefundEvent,
) -> Result<EventApplied, JournalError> {
    let provider = event.provider();
    let provider = provider.as_str();
    let refund = &event.refund;
    let now = now_ms();
    let mut tx = store.begin_write().await?;
    let seen = sqlx::query(
        "INSERT INTO webhook_events (provider, event_id, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(provider)
    .bind(event.event_id.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(JournalError::database("record the event id"))?;
    if seen.rows_affected() == 0 {
        tx.rollback()
            .await
            .map_err(JournalError::database("roll back"))?;
        return Ok(EventApplied::Duplicate);
    }
    let stamped_key = refund.idempotency_key().map(|key| key.to_string());
    let sql = format!(
        "SELECT {COLUMNS} FROM refunds WHERE provider = $1 \
         AND (provider_refund_id = $2 OR idempotency_key = $3)"
    );
    let row: Option<AnyRow> = sqlx::query(&sql)
        .bind(provider)
        .bind(refund.id.as_str())
        .bind(stamped_key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(JournalError::database("find the event's refund"))?;
    let Some(entry) = row.as_ref().map(JournalEntry::from_row).transpose()? else {
        tx.commit()
            .await
            .map_err(JournalError::database("commit the event id"))?;
        return Ok(EventApplied::NotJournaled);
    };
    // An event about another refund than the row's, or one that differs
    // from what was journaled, is not this row's progress: the row is left
    // for a person, as a create answered so would be.
    // So is a refund that moved money under the key of a create the
    // journal recorded as refused (its reservation released).
    let mismatch =
        journaled_mismatch(&entry, refund).or_else(|| made_though_refused(&entry, refund));
    let next = match (&mismatch, entry.state) {
        (Some(_), _) | (None, JournalState::IntegrityMismatch) => JournalState::IntegrityMismatch,
        (None, state) => state_after_event(state, &refund.status),
    };
    let status = refund.status.as_str();
    let same_status = entry.status.as_ref().map(|s| s.as_str()) == Some(status);
    // A stale event on a final row is ignored rather than stored.
    if next == entry.state && (same_status || entry.state.is_finished()) {
        tx.commit()
            .await
            .map_err(JournalError::database("commit the event id"))?;
        return Ok(EventApplied::Unchanged);
    }
    let key = entry.idempotency_key.to_string();
    let error_code = mismatch.as_ref().map(|_| "integrity_mismatch");
    if about_another_refund(&entry, refund) {
        // The row keeps its own refund; the event's is told in the history.
        sqlx::query(
            "UPDATE refunds SET state = $1, updated_at = $2, last_error_code = $3, \
             last_error = $4 WHERE idempotency_key = $5",
        )
        .bind(next.as_str())
        .bind(now)
        .bind(error_code)
        .bind(mismatch.clone())
        .bind(key.as_str())
        .execute(&mut *tx)
        .await
        .map_err(JournalError::database("apply the event"))?;
    } else {
        let refund_json = serde_json::to_string(refund)
            .map_err(|_| JournalError::corrupt("refund", "cannot be written as JSON"))?;
        sqlx::query(
            "UPDATE refunds SET state = $1, status = $2, provider_refund_id = $3, refund = $4, \
             raw = $5, updated_at = $6, last_error_code = COALESCE($7, last_error_code), \
             last_error = COALESCE($8, last_error) WHERE idempotency_key = $9",
        )
        .bind(next.as_str())
        .bind(status)
        .bind(refund.id.as_str())
        .bind(refund_json)
        .bind(refund.raw.to_string())
        .bind(now)
        .bind(error_code)
        .bind(mismatch.clone())
        .bind(key.as_str())
        .execute(&mut *tx)
        .await
        .map_err(JournalError::database("apply the event"))?;
    }
    let cause = format!("webhook:{}", event.event_id);
    let detail = match &mismatch {
        Some(why) => format!("{}: {why}", event.kind.as_str()),
        None => event.kind.as_str().to_string(),
    };
    append_history(
        &mut tx,
        &key,
        now,
        Some(entry.state.as_str()),
        next.as_str(),
        Some(status),
        &cause,
        Some(&detail),
    )
    .await?;
    tx.commit()
        .await
        .map_err(JournalError::database("commit the event"))?;
    Ok(EventApplied::Changed {
        idempotency_key: key,
    })
}

/// Why `refund` is not the row's refund as journaled, if it is not: another
/// refund id than the row's, or another amount or currency.
fn journaled_mismatch(entry: &JournalEntry, refund: &refundkit_core::Refund) -> Option<String> {
    if about_another_refund(entry, refund) {
        let id = entry.provider_refund_id.as_deref().unwrap_or_default();
        return Some(format!(
            "the event is about refund {}, the row's refund is {id}",
            refund.id
        ));
    }
    check_journaled(entry, refund.clone())
        .err()
        .map(|error| error.to_string())
}

/// Why `refund` contradicts a row recorded as refused, if it does: it says
/// money moved (any status but failed or canceled).
fn made_though_refused(entry: &JournalEntry, refund: &refundkit_core::Refund) -> Option<String> {
    let moved = state_for_status(&refund.status).holds_reservation();
    (entry.state == JournalState::Refused && moved).then(|| {
        format!(
            "the provider reports refund {} ({}) under the key of a create recorded as refused",
            refund.id,
            refund.status.as_str()
        )
    })
}

/// Whether the row was answered with another refund than the event's (found
/// by the key stamped in the event's refund: a second refund under one key).
fn about_another_refund(entry: &JournalEntry, refund: &refundkit_core::Refund) -> bool {
    entry
        .provider_refund_id
        .as_deref()
        .is_some_and(|id| id != refund.id.as_str())
}
