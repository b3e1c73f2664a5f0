//! What a provider reports: the normalized refund and its JSON shape.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;

use crate::ids::{ProviderId, RefundId, RefundRef};
use crate::money::Money;
use crate::raw::RawJson;
use crate::request::RefundReason;
use crate::status::{FailureReason, RefundStatus};

/// A refund as a provider reports it, normalized.
///
/// The serde form is the public JSON shape (`docs/json.md`): it adds `ref`
/// and leaves out `raw`. Two refunds are equal when every field is, `raw`
/// compared as text.
///
/// # Example
///
/// What a refund says about itself, and the ref to store with the order.
///
/// ```
/// use refundkit_core::{Money, RefundAmount, RefundProvider, RefundReason, RefundRequest, RefundStatus};
/// use refundkit_testkit::InMemoryProvider;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = InMemoryProvider::new();
/// let payment = provider.seed_captured(Money::parse("12.50", "EUR")?);
/// let request = RefundRequest::builder(payment.as_str(), RefundAmount::Full, RefundReason::Duplicate)
///     .reference("billing", "order-12/refund-1")
///     .build()?;
/// let refund = provider.create_refund(&request).await?;
///
/// assert_eq!(refund.amount, Money::parse("12.50", "EUR")?); // a full refund: what remained
/// assert_eq!(refund.payment_id.as_deref(), Some(payment.as_str()));
/// assert_eq!(refund.status, RefundStatus::Succeeded);
/// assert!(refund.status.is_final());
/// // The key is stamped into the provider's metadata, so it can be found again.
/// let key = request.idempotency_key().to_string();
/// assert_eq!(refund.metadata.get(refundkit_core::KEY_METADATA), Some(&key));
/// // `provider:id`: store it, parse it back, read the refund wherever it lives.
/// let stored = refund.refund_ref().to_string();
/// assert_eq!(stored.parse::<refundkit_core::RefundRef>()?, refund.refund_ref());
/// assert_eq!(serde_json::to_value(&refund)?["ref"], stored.as_str());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Refund {
    /// The provider's refund id.
    pub id: RefundId,
    /// Where it lives.
    pub provider: ProviderId,
    /// The payment (intent) refunded, when known.
    pub payment_id: Option<String>,
    /// The refunded amount.
    pub amount: Money,
    /// Where it stands.
    pub status: RefundStatus,
    /// Why, when the provider reports it.
    pub reason: Option<RefundReason>,
    /// Free text, when the provider reports it.
    pub description: Option<String>,
    /// Why it failed, for failed refunds.
    pub failure: Option<FailureReason>,
    /// Merchant key/value pairs.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// When the provider created it.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub created_at: Option<OffsetDateTime>,
    /// When the provider last changed it.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub updated_at: Option<OffsetDateTime>,
    /// The provider's JSON for this refund as received, for audit (not part
    /// of the JSON shape), scrubbed of the client's secrets; JSON `null`
    /// when there is none. Kept as text, not parsed into a tree: parse it with
    /// `serde_json::from_str(refund.raw.get())` when needed.
    #[serde(skip)]
    pub raw: RawJson,
}

impl PartialEq for Refund {
    fn eq(&self, other: &Self) -> bool {
        // Destructured so that a new field must be compared here too.
        let Refund {
            id,
            provider,
            payment_id,
            amount,
            status,
            reason,
            description,
            failure,
            metadata,
            created_at,
            updated_at,
            raw,
        } = self;
        *id == other.id
            && *provider == other.provider
            && *payment_id == other.payment_id
            && *amount == other.amount
            && *status == other.status
            && *reason == other.reason
            && *description == other.description
            && *failure == other.failure
            && *metadata == other.metadata
            && *created_at == other.created_at
            && *updated_at == other.updated_at
            && *raw == other.raw
    }
}

impl Refund {
    /// A refund with the required fields; the rest start empty.
    pub fn new(provider: ProviderId, id: RefundId, amount: Money, status: RefundStatus) -> Self {
        Self {
            id,
            provider,
            payment_id: None,
            amount,
            status,
            reason: None,
            description: None,
            failure: None,
            metadata: BTreeMap::new(),
            created_at: None,
            updated_at: None,
            raw: RawJson::default(),
        }
    }

    /// The idempotency key the refund was created with, as stamped in its
    /// metadata by refundkit ([`crate::KEY_METADATA`]).
    pub fn idempotency_key(&self) -> Option<crate::IdempotencyKey> {
        self.metadata
            .get(crate::KEY_METADATA)
            .and_then(|text| crate::IdempotencyKey::parse(text).ok())
    }

    /// The merchant reference the key was derived from, when stamped
    /// ([`crate::REFERENCE_METADATA`]).
    pub fn merchant_reference(&self) -> Option<&str> {
        self.metadata
            .get(crate::REFERENCE_METADATA)
            .map(String::as_str)
    }

    /// The storable `provider:id` reference.
    pub fn refund_ref(&self) -> RefundRef {
        RefundRef::new(self.provider, self.id.clone())
    }

    /// The public JSON shape (the serde form) as a value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The serialized form: `ref` first, no `raw`.
#[derive(Serialize)]
struct RefundJson<'a> {
    #[serde(rename = "ref")]
    reference: RefundRef,
    id: &'a RefundId,
    provider: ProviderId,
    payment_id: &'a Option<String>,
    amount: &'a Money,
    status: &'a RefundStatus,
    reason: &'a Option<RefundReason>,
    description: &'a Option<String>,
    failure: &'a Option<FailureReason>,
    metadata: &'a BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339::option")]
    created_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    updated_at: Option<OffsetDateTime>,
}

impl Serialize for Refund {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RefundJson {
            reference: self.refund_ref(),
            id: &self.id,
            provider: self.provider,
            payment_id: &self.payment_id,
            amount: &self.amount,
            status: &self.status,
            reason: &self.reason,
            description: &self.description,
            failure: &self.failure,
            metadata: &self.metadata,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
        .serialize(serializer)
    }
}
