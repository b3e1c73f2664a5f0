//! Step 1 and 2 in one transaction: find the row for this key or
//! reference, or reserve the amount against the ceiling and record the intent.

use refundkit_core::{Money, RefundAmount, RefundRequest, ValidationError};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{append_history, now_ms, Store};
use crate::entry::{read_money, JournalEntry, COLUMNS};
use crate::error::JournalError;
use crate::open::Backend;
use crate::state::JournalState;

/// What a create records: the request, where it goes, and who holds it.
#[derive(Debug)]
pub(crate) struct IntentRow<'a> {
    pub request: &'a RefundRequest,
    pub provider: refundkit_core::ProviderId,
    pub namespace: Option<&'a str>,
    pub amount: Money,
    pub ceiling: Money,
    pub lease_owner: &'a str,
    pub lease_ms: i64,
}

/// What recording found.
#[derive(Debug)]
pub(crate) enum Recorded {
    /// A new row, leased to the caller: send the create.
    Fresh(JournalEntry),
    /// An unfinished row, now leased to the caller: resume it with its key.
    Resume(JournalEntry),
    /// A finished row: nothing is sent again.
    Finished(JournalEntry),
}

/// The amount of a journaled request: always explicit, so it can be reserved.
pub(crate) fn partial_amount(request: &RefundRequest) -> Result<Money, JournalError> {
    match request.amount() {
        RefundAmount::Partial(money) => Ok(*money),
        RefundAmount::Full => Err(ValidationError::new(
            "amount",
            "a journaled refund needs an explicit amount to reserve against the ceiling",
        )
        .into()),
    }
}

pub(crate) async fn record_intent(
    store: &Store,
    row: &IntentRow<'_>,
) -> Result<Recorded, JournalError> {
    let mut tx = store.begin_write().await?;
    let payment_id = row.request.payment_id();
    let provider = row.provider.as_str();
    if store.backend == Backend::Postgres {
        lock_payment(&mut tx, provider, payment_id).await?;
    }
    let now = now_ms();
    if let Some(existing) = find_existing(&mut tx, row).await? {
        let recorded = take_existing(&mut tx, existing, row, now).await?;
        tx.commit()
            .await
            .map_err(JournalError::database("commit the lease"))?;
        return Ok(recorded);
    }
    let held = held_amounts(&mut tx, provider, payment_id).await?;
    crate::reserve::check_reservation(payment_id, &held, row.amount, row.ceiling)?;
    let inserted = insert(&mut tx, row, now).await?;
    append_history(
        &mut tx,
        &row.request.idempotency_key().to_string(),
        now,
        None,
        JournalState::Recorded.as_str(),
        None,
        "intent",
        None,
    )
    .await?;
    tx.commit()
        .await
        .map_err(JournalError::database("commit the intent"))?;
    Ok(Recorded::Fresh(inserted))
}

/// PostgreSQL: concurrent reservations on one payment wait on its row.
async fn lock_payment(
    tx: &mut Transaction<'static, Any>,
    provider: &str,
    payment_id: &str,
) -> Result<(), JournalError> {
    sqlx::query(
        "INSERT INTO payments (provider, payment_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(provider)
    .bind(payment_id)
    .execute(&mut **tx)
    .await
    .map_err(JournalError::database("insert the payment row"))?;
    sqlx::query(
        "SELECT payment_id FROM payments WHERE provider = $1 AND payment_id = $2 FOR UPDATE",
    )
    .bind(provider)
    .bind(payment_id)
    .fetch_one(&mut **tx)
    .await
    .map_err(JournalError::database("lock the payment row"))?;
    Ok(())
}

async fn find_existing(
    tx: &mut Transaction<'static, Any>,
    row: &IntentRow<'_>,
) -> Result<Option<JournalEntry>, JournalError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM refunds WHERE idempotency_key = $1 \
         OR (namespace = $2 AND merchant_reference = $3)"
    );
    let found: Option<AnyRow> = sqlx::query(&sql)
        .bind(row.request.idempotency_key().to_string())
        .bind(row.namespace)
        .bind(row.request.merchant_reference())
        .fetch_optional(&mut **tx)
        .await
        .map_err(JournalError::database("look up the reference"))?;
    found.as_ref().map(JournalEntry::from_row).transpose()
}

/// The field in which a repeated key's request differs from the row.
fn differing_field(existing: &JournalEntry, row: &IntentRow<'_>) -> Option<&'static str> {
    if existing.idempotency_key != *row.request.idempotency_key() {
        Some("reference")
    } else if existing.provider != row.provider {
        Some("provider")
    } else if existing.payment_id != row.request.payment_id() {
        Some("payment_id")
    } else if existing.amount != row.amount {
        Some("amount")
    } else {
        None
    }
}

async fn take_existing(
    tx: &mut Transaction<'static, Any>,
    existing: JournalEntry,
    row: &IntentRow<'_>,
    now: i64,
) -> Result<Recorded, JournalError> {
    if let Some(field) = differing_field(&existing, row) {
        return Err(JournalError::ReferenceConflict {
            field,
            idempotency_key: existing.idempotency_key,
        });
    }
    if existing.state.is_finished() {
        return Ok(Recorded::Finished(existing));
    }
    if let Some(until) = existing.lease_until {
        if until > now {
            return Err(JournalError::InProgress {
                idempotency_key: existing.idempotency_key,
                lease_until_ms: until,
            });
        }
    }
    let until = now.saturating_add(row.lease_ms);
    sqlx::query("UPDATE refunds SET lease_owner = $1, lease_until = $2 WHERE idempotency_key = $3")
        .bind(row.lease_owner)
        .bind(until)
        .bind(existing.idempotency_key.to_string())
        .execute(&mut **tx)
        .await
        .map_err(JournalError::database("lease the row"))?;
    let mut resumed = existing;
    resumed.lease_owner = Some(row.lease_owner.to_string());
    resumed.lease_until = Some(until);
    Ok(Recorded::Resume(resumed))
}

/// The amounts of the payment's rows that hold a reservation.
async fn held_amounts(
    tx: &mut Transaction<'static, Any>,
    provider: &str,
    payment_id: &str,
) -> Result<Vec<Money>, JournalError> {
    let rows: Vec<AnyRow> = sqlx::query(
        "SELECT amount, currency FROM refunds WHERE provider = $1 AND payment_id = $2 \
         AND state NOT IN ($3, $4, $5)",
    )
    .bind(provider)
    .bind(payment_id)
    .bind(JournalState::RELEASED[0])
    .bind(JournalState::RELEASED[1])
    .bind(JournalState::RELEASED[2])
    .fetch_all(&mut **tx)
    .await
    .map_err(JournalError::database("sum the payment's refunds"))?;
    rows.iter()
        .map(|r| {
            let amount: String = r
                .try_get("amount")
                .map_err(|e| JournalError::corrupt("amount", e.to_string()))?;
            let currency: String = r
                .try_get("currency")
                .map_err(|e| JournalError::corrupt("currency", e.to_string()))?;
            read_money(&amount, &currency)
        })
        .collect()
}

async fn insert(
    tx: &mut Transaction<'static, Any>,
    row: &IntentRow<'_>,
    now: i64,
) -> Result<JournalEntry, JournalError> {
    let request = row.request;
    let metadata = serde_json::to_string(request.metadata())
        .map_err(|_| JournalError::corrupt("metadata", "cannot be written as JSON"))?;
    let options = request
        .provider_options()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|_| JournalError::corrupt("provider_options", "cannot be written as JSON"))?;
    let (namespace, reference) = match request.merchant_reference() {
        Some(reference) => (row.namespace, Some(reference)),
        None => (None, None),
    };
    let sql = format!(
        "INSERT INTO refunds (idempotency_key, namespace, merchant_reference, provider, payment_id, \
         amount, currency, reason, description, metadata, provider_options, state, \
         attempts, lease_owner, lease_until, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14, $15, $15) \
         RETURNING {COLUMNS}"
    );
    let inserted: AnyRow = sqlx::query(&sql)
        .bind(request.idempotency_key().to_string())
        .bind(namespace)
        .bind(reference)
        .bind(row.provider.as_str())
        .bind(request.payment_id())
        .bind(row.amount.amount().to_string())
        .bind(row.amount.currency().code())
        .bind(request.reason().as_code())
        .bind(request.description())
        .bind(metadata)
        .bind(options)
        .bind(JournalState::Recorded.as_str())
        .bind(row.lease_owner)
        .bind(now.saturating_add(row.lease_ms))
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(JournalError::database("record the intent"))?;
    JournalEntry::from_row(&inserted)
}
