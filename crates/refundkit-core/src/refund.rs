//! What a provider reports: the normalized refund, its status, list pages.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::ids::{ProviderKind, RefundId, RefundRef};
use crate::money::Money;
use crate::request::RefundReason;

/// Where a refund stands. Providers may add values: anything unmapped is
/// `Unknown(raw)` and never fails a decode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefundStatus {
    /// Accepted, not settled yet.
    Pending,
    /// The customer or merchant must act before it proceeds.
    RequiresAction,
    /// The money went back.
    Succeeded,
    /// The refund failed; see [`Refund::failure`].
    Failed,
    /// Canceled before it settled.
    Canceled,
    /// An earlier refund is being reversed.
    Reversing,
    /// An earlier refund was reversed: it is no longer in effect.
    Reversed,
    /// A value this version does not know, kept as the provider sent it.
    Unknown(String),
}

impl RefundStatus {
    /// True for states that will not change any more.
    pub fn is_final(&self) -> bool {
        match self {
            RefundStatus::Succeeded
            | RefundStatus::Failed
            | RefundStatus::Canceled
            | RefundStatus::Reversed => true,
            RefundStatus::Pending
            | RefundStatus::RequiresAction
            | RefundStatus::Reversing
            | RefundStatus::Unknown(_) => false,
        }
    }

    /// The snake_case name (`succeeded`), or the raw value for `Unknown`.
    pub fn as_str(&self) -> &str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::RequiresAction => "requires_action",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
            RefundStatus::Canceled => "canceled",
            RefundStatus::Reversing => "reversing",
            RefundStatus::Reversed => "reversed",
            RefundStatus::Unknown(raw) => raw,
        }
    }

    /// The status for a snake_case name; anything else is `Unknown`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "pending" => RefundStatus::Pending,
            "requires_action" => RefundStatus::RequiresAction,
            "succeeded" => RefundStatus::Succeeded,
            "failed" => RefundStatus::Failed,
            "canceled" => RefundStatus::Canceled,
            "reversing" => RefundStatus::Reversing,
            "reversed" => RefundStatus::Reversed,
            other => RefundStatus::Unknown(other.to_string()),
        }
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a refund failed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureReason {
    /// The card was reported lost or stolen.
    LostOrStolenCard,
    /// The card expired or was canceled.
    ExpiredOrCanceledCard,
    /// The provider gave no reason.
    Unspecified,
    /// A reason this version does not know, kept raw.
    Other(String),
}

impl FailureReason {
    /// The snake_case name, or the raw value for `Other`.
    pub fn as_str(&self) -> &str {
        match self {
            FailureReason::LostOrStolenCard => "lost_or_stolen_card",
            FailureReason::ExpiredOrCanceledCard => "expired_or_canceled_card",
            FailureReason::Unspecified => "unspecified",
            FailureReason::Other(raw) => raw,
        }
    }

    /// The reason for a snake_case name; anything else is `Other`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "lost_or_stolen_card" => FailureReason::LostOrStolenCard,
            "expired_or_canceled_card" => FailureReason::ExpiredOrCanceledCard,
            "unspecified" => FailureReason::Unspecified,
            other => FailureReason::Other(other.to_string()),
        }
    }
}

macro_rules! serde_as_name {
    ($type:ty) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(<$type>::from_name(&String::deserialize(deserializer)?))
            }
        }
    };
}

serde_as_name!(RefundStatus);
serde_as_name!(FailureReason);

/// A refund as a provider reports it, normalized.
///
/// The serde form is the public JSON shape (`docs/json.md`): it adds `ref`
/// and leaves out `raw`. Two refunds are equal when every field is, `raw`
/// compared as text.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Refund {
    /// The provider's refund id.
    pub id: RefundId,
    /// Where it lives.
    pub provider: ProviderKind,
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
    pub raw: Box<RawValue>,
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
            && raw.get() == other.raw.get()
    }
}

impl Refund {
    /// A refund with the required fields; the rest start empty.
    pub fn new(provider: ProviderKind, id: RefundId, amount: Money, status: RefundStatus) -> Self {
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
            raw: Box::<RawValue>::default(),
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
    provider: ProviderKind,
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

/// A query for [`crate::RefundProvider::list_refunds`]. Pages count from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListRefunds {
    /// Only refunds of this payment (intent).
    pub payment_id: Option<String>,
    /// Only refunds of payments with this merchant order id (UQPay).
    pub merchant_order_id: Option<String>,
    /// Created at or after.
    pub created_from: Option<OffsetDateTime>,
    /// Created at or before.
    pub created_to: Option<OffsetDateTime>,
    /// Page number, from 1.
    pub page: u32,
    /// Items per page, 1 to 100.
    pub page_size: u32,
}

impl Default for ListRefunds {
    fn default() -> Self {
        Self {
            payment_id: None,
            merchant_order_id: None,
            created_from: None,
            created_to: None,
            page: 1,
            page_size: 20,
        }
    }
}

impl ListRefunds {
    /// The first page of refunds of one payment.
    pub fn for_payment(payment_id: impl Into<String>) -> Self {
        Self {
            payment_id: Some(payment_id.into()),
            ..Self::default()
        }
    }

    /// The same query at another page.
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    /// The same query with another page size.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Checks the page bounds every provider shares (page ≥ 1, size 1–100).
    pub fn validate(&self) -> Result<(), crate::ValidationError> {
        if self.page == 0 {
            return Err(crate::ValidationError::new("page", "pages count from 1"));
        }
        if !(1..=100).contains(&self.page_size) {
            return Err(crate::ValidationError::new(
                "page_size",
                "must be between 1 and 100",
            ));
        }
        Ok(())
    }
}

/// One page of refunds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundPage {
    /// The refunds on this page.
    pub refunds: Vec<Refund>,
    /// This page's number, from 1.
    pub page: u32,
    /// Total pages, when the provider says.
    pub total_pages: Option<u64>,
    /// Total items, when the provider says.
    pub total_items: Option<u64>,
}

impl RefundPage {
    /// A page of `refunds`.
    pub fn new(refunds: Vec<Refund>, page: u32) -> Self {
        Self {
            refunds,
            page,
            total_pages: None,
            total_items: None,
        }
    }

    /// Whether a later page exists, when the provider says how many there are.
    pub fn has_more(&self) -> bool {
        self.total_pages
            .is_some_and(|total| u64::from(self.page) < total)
    }
}

/// What a provider supports beyond create and get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Capabilities {
    /// `list_refunds` works.
    pub list_refunds: bool,
    /// `cancel_refund` works.
    pub cancel_refund: bool,
    /// A full refund can be requested without knowing the amount (the adapter
    /// may resolve it with an extra read).
    pub full_refunds: bool,
    /// The refund reason may be free text (else it is an enum).
    pub free_text_reason: bool,
    /// Signed webhooks can be verified.
    pub webhooks: bool,
    /// `find_refund_by_key` works: a refund can be found by its idempotency
    /// key, after the provider's idempotency window too.
    pub find_by_key: bool,
}

impl Capabilities {
    /// Create and get only.
    pub const fn minimal() -> Self {
        Self {
            list_refunds: false,
            cancel_refund: false,
            full_refunds: true,
            free_text_reason: false,
            webhooks: false,
            find_by_key: false,
        }
    }

    /// With `find_by_key` set.
    pub const fn with_find_by_key(mut self, yes: bool) -> Self {
        self.find_by_key = yes;
        self
    }

    /// With `list_refunds` set.
    pub const fn with_list_refunds(mut self, yes: bool) -> Self {
        self.list_refunds = yes;
        self
    }

    /// With `cancel_refund` set.
    pub const fn with_cancel_refund(mut self, yes: bool) -> Self {
        self.cancel_refund = yes;
        self
    }

    /// With `full_refunds` set.
    pub const fn with_full_refunds(mut self, yes: bool) -> Self {
        self.full_refunds = yes;
        self
    }

    /// With `free_text_reason` set.
    pub const fn with_free_text_reason(mut self, yes: bool) -> Self {
        self.free_text_reason = yes;
        self
    }

    /// With `webhooks` set.
    pub const fn with_webhooks(mut self, yes: bool) -> Self {
        self.webhooks = yes;
        self
    }
}
