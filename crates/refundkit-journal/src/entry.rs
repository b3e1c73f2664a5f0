//! One journaled refund as stored, read back into checked types.

use std::collections::BTreeMap;

use refundkit_core::{
    Currency, IdempotencyKey, Money, ProviderId, ProviderOptions, Refund, RefundAmount,
    RefundReason, RefundRequest, RefundStatus,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::JournalError;
use crate::state::JournalState;

/// The columns every query of `refunds` selects, in [`JournalEntry::from_row`]'s order.
pub(crate) const COLUMNS: &str = "idempotency_key, namespace, merchant_reference, provider, \
     payment_id, amount, currency, reason, description, metadata, payment_attempt_id, \
     on_behalf_of, provider_options, state, provider_refund_id, status, refund, raw, attempts, \
     last_error_code, last_error, lease_owner, lease_until, created_at, updated_at";

/// A journaled refund: what was asked, where it stands, what the provider said.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JournalEntry {
    /// The key every request for this refund carries.
    pub idempotency_key: IdempotencyKey,
    /// The namespace the reference was derived in, with a reference.
    pub namespace: Option<String>,
    /// The merchant's reference, when the key came from one.
    pub merchant_reference: Option<String>,
    /// Where the refund goes.
    pub provider: ProviderId,
    /// The payment refunded.
    pub payment_id: String,
    /// The amount reserved and asked for, exact.
    pub amount: Money,
    /// Why.
    pub reason: RefundReason,
    /// The request's description.
    pub description: Option<String>,
    /// The caller's metadata.
    pub metadata: BTreeMap<String, String>,
    /// The provider's own options the request carried.
    pub provider_options: Option<ProviderOptions>,
    /// The journal's state.
    pub state: JournalState,
    /// The provider's refund id, once known.
    pub provider_refund_id: Option<String>,
    /// The provider's normalized status, once known.
    pub status: Option<RefundStatus>,
    /// The refund as last reported (with the provider's raw body in `raw`).
    pub refund: Option<Refund>,
    /// Calls made to the provider for this refund (creates, recoveries, polls).
    pub attempts: i64,
    /// The last error's code (`RefundError::code`), scrubbed.
    pub last_error_code: Option<String>,
    /// The last error's text, scrubbed by the adapter before it left it.
    pub last_error: Option<String>,
    /// When the intent was recorded.
    pub created_at: OffsetDateTime,
    /// When the row last changed.
    pub updated_at: OffsetDateTime,
    pub(crate) lease_owner: Option<String>,
    pub(crate) lease_until: Option<i64>,
}

fn get<'r, T>(row: &'r AnyRow, column: &'static str) -> Result<T, JournalError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column)
        .map_err(|error| JournalError::corrupt(column, error.to_string()))
}

pub(crate) fn time_of(ms: i64, field: &'static str) -> Result<OffsetDateTime, JournalError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| JournalError::corrupt(field, "not a time in Unix milliseconds"))
}

impl JournalEntry {
    pub(crate) fn from_row(row: &AnyRow) -> Result<Self, JournalError> {
        let key: String = get(row, "idempotency_key")?;
        let idempotency_key = IdempotencyKey::parse(&key)
            .map_err(|_| JournalError::corrupt("idempotency_key", "not a UUID"))?;
        let provider: String = get(row, "provider")?;
        let provider = provider
            .parse::<ProviderId>()
            .map_err(|_| JournalError::corrupt("provider", "not a provider name"))?;
        let provider_options = read_options(
            provider,
            get(row, "provider_options")?,
            get(row, "payment_attempt_id")?,
            get(row, "on_behalf_of")?,
        )?;
        let amount = read_money(
            &get::<String>(row, "amount")?,
            &get::<String>(row, "currency")?,
        )?;
        let metadata: String = get(row, "metadata")?;
        let metadata: BTreeMap<String, String> = serde_json::from_str(&metadata)
            .map_err(|_| JournalError::corrupt("metadata", "not a JSON object of strings"))?;
        let state: String = get(row, "state")?;
        let state = JournalState::from_name(&state)
            .ok_or_else(|| JournalError::corrupt("state", "not a journal state"))?;
        let status: Option<String> = get(row, "status")?;
        let refund = read_refund(get(row, "refund")?, get(row, "raw")?)?;
        Ok(Self {
            idempotency_key,
            namespace: get(row, "namespace")?,
            merchant_reference: get(row, "merchant_reference")?,
            provider,
            payment_id: get(row, "payment_id")?,
            amount,
            reason: RefundReason::from_code(&get::<String>(row, "reason")?),
            description: get(row, "description")?,
            metadata,
            provider_options,
            state,
            provider_refund_id: get(row, "provider_refund_id")?,
            status: status.as_deref().map(RefundStatus::from_name),
            refund,
            attempts: get(row, "attempts")?,
            last_error_code: get(row, "last_error_code")?,
            last_error: get(row, "last_error")?,
            created_at: time_of(get(row, "created_at")?, "created_at")?,
            updated_at: time_of(get(row, "updated_at")?, "updated_at")?,
            lease_owner: get(row, "lease_owner")?,
            lease_until: get(row, "lease_until")?,
        })
    }

    /// The request this row was recorded from, with the same key: what
    /// reconcile and a resumed create send.
    pub fn to_request(&self) -> Result<RefundRequest, JournalError> {
        let mut builder = RefundRequest::builder(
            self.payment_id.clone(),
            RefundAmount::Partial(self.amount),
            self.reason.clone(),
        );
        builder = match (&self.namespace, &self.merchant_reference) {
            (Some(namespace), Some(reference)) => builder.reference(namespace, reference),
            _ => builder.idempotency_key(self.idempotency_key),
        };
        if let Some(description) = &self.description {
            builder = builder.description(description);
        }
        for (key, value) in &self.metadata {
            builder = builder.metadata(key, value);
        }
        if let Some(options) = &self.provider_options {
            builder = builder.provider_options(options.clone());
        }
        let request = builder.build()?;
        if request.idempotency_key() != &self.idempotency_key {
            return Err(JournalError::corrupt(
                "merchant_reference",
                "does not derive the row's idempotency key",
            ));
        }
        Ok(request)
    }
}

/// The options column, or for a row written before it existed, the two
/// option columns of that time as options of the row's provider.
fn read_options(
    provider: ProviderId,
    stored: Option<String>,
    payment_attempt_id: Option<String>,
    on_behalf_of: Option<String>,
) -> Result<Option<ProviderOptions>, JournalError> {
    if let Some(json) = stored {
        let options: ProviderOptions = serde_json::from_str(&json)
            .map_err(|_| JournalError::corrupt("provider_options", "not provider options"))?;
        return Ok(Some(options));
    }
    let mut options = ProviderOptions::new(provider);
    for (name, value) in [
        ("payment_attempt_id", payment_attempt_id),
        ("on_behalf_of", on_behalf_of),
    ] {
        if let Some(value) = value {
            options = options.with(name, value);
        }
    }
    Ok((!options.is_empty()).then_some(options))
}

/// Money from its stored text: exact, in a checked currency.
pub(crate) fn read_money(amount: &str, currency: &str) -> Result<Money, JournalError> {
    let currency = Currency::new(currency)
        .map_err(|_| JournalError::corrupt("currency", "not an ISO 4217 code"))?;
    let amount = refundkit_core::parse_plain_decimal(amount)
        .map_err(|_| JournalError::corrupt("amount", "not a plain decimal"))?;
    Money::new(amount, currency)
        .map_err(|_| JournalError::corrupt("amount", "more fraction digits than the currency has"))
}

fn read_refund(
    refund: Option<String>,
    raw: Option<String>,
) -> Result<Option<Refund>, JournalError> {
    let Some(refund) = refund else {
        return Ok(None);
    };
    let mut refund: Refund = serde_json::from_str(&refund)
        .map_err(|_| JournalError::corrupt("refund", "not a refund in its JSON shape"))?;
    if let Some(raw) = raw {
        refund.raw =
            serde_json::from_str(&raw).map_err(|_| JournalError::corrupt("raw", "not JSON"))?;
    }
    Ok(Some(refund))
}

/// A payment's journaled refunds and what they add up to.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PaymentRefunds {
    /// Every row of the payment, oldest first.
    pub refunds: Vec<JournalEntry>,
    /// The sum of the rows that moved or may have moved money (every state
    /// but failed, canceled and refused), exact; `None` with no such row.
    pub refunded: Option<Money>,
}

/// One change of a row's state, as the append-only history holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct HistoryEntry {
    /// The row's key.
    pub idempotency_key: String,
    /// When, Unix milliseconds.
    pub at_ms: i64,
    /// The state before (`None` for the intent).
    pub from_state: Option<String>,
    /// The state after.
    pub to_state: String,
    /// The provider's normalized status after, when known.
    pub status: Option<String>,
    /// What caused it: `intent`, `create`, `resume`, `reconcile`, `poll`, `webhook:<event id>`.
    pub cause: String,
    /// The error code or other short detail, scrubbed.
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_money_reads_back_exactly_at_the_decimal_limits() {
        for (text, currency) in [
            ("79228162514264337593543950335", "JPY"),
            ("792281625142643375935439503.35", "USD"),
            ("79228162514264337593543950.335", "KWD"),
            ("0.001", "KWD"),
        ] {
            let money = Money::parse(text, currency).unwrap();
            let read = read_money(&money.amount().to_string(), money.currency().code()).unwrap();
            assert_eq!(read, money);
            assert_eq!(read.amount().to_string(), text);
        }
    }

    #[test]
    fn stored_money_that_is_not_exact_is_corrupt_naming_the_field() {
        let error = read_money("1.001", "USD").unwrap_err();
        assert!(matches!(
            error,
            JournalError::Corrupt {
                field: "amount",
                ..
            }
        ));
        let error = read_money("1e3", "USD").unwrap_err();
        assert!(matches!(
            error,
            JournalError::Corrupt {
                field: "amount",
                ..
            }
        ));
        let error = read_money("1", "XYZ1").unwrap_err();
        assert!(matches!(
            error,
            JournalError::Corrupt {
                field: "currency",
                ..
            }
        ));
    }
}
