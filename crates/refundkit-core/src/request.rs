//! What a merchant asks for: the refund request, its builder and validation.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::idempotency::IdempotencyKey;
use crate::ids::check_provider_id;
use crate::money::Money;
use crate::options::ProviderOptions;
use crate::stamp::{KEY_METADATA, REFERENCE_METADATA, RESERVED_METADATA_PREFIX};
use crate::validation::ValidationError;

/// How much to refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundAmount {
    /// Everything that remains refundable on the payment.
    Full,
    /// This amount, in the payment's currency.
    Partial(Money),
}

/// Why the money goes back. Providers with a reason enum get the matching
/// value; providers with free text get [`RefundReason::as_code`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefundReason {
    /// The customer was charged twice.
    Duplicate,
    /// The payment was fraudulent.
    Fraudulent,
    /// The customer asked for the refund.
    RequestedByCustomer,
    /// A dispute was settled in the customer's favour.
    ResolvedDispute,
    /// An authorization expired before capture (reported by providers only).
    ExpiredUncapturedCharge,
    /// Free text.
    Other(String),
}

impl RefundReason {
    /// The snake_case code (`requested_by_customer`), or the text of `Other`.
    pub fn as_code(&self) -> &str {
        match self {
            RefundReason::Duplicate => "duplicate",
            RefundReason::Fraudulent => "fraudulent",
            RefundReason::RequestedByCustomer => "requested_by_customer",
            RefundReason::ResolvedDispute => "resolved_dispute",
            RefundReason::ExpiredUncapturedCharge => "expired_uncaptured_charge",
            RefundReason::Other(text) => text,
        }
    }

    /// The reason for a code; any other text becomes `Other(text)`.
    pub fn from_code(code: &str) -> Self {
        match code {
            "duplicate" => RefundReason::Duplicate,
            "fraudulent" => RefundReason::Fraudulent,
            "requested_by_customer" => RefundReason::RequestedByCustomer,
            "resolved_dispute" => RefundReason::ResolvedDispute,
            "expired_uncaptured_charge" => RefundReason::ExpiredUncapturedCharge,
            other => RefundReason::Other(other.to_string()),
        }
    }
}

impl fmt::Display for RefundReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_code())
    }
}

impl Serialize for RefundReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_code())
    }
}

impl<'de> Deserialize<'de> for RefundReason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(RefundReason::from_code(&String::deserialize(deserializer)?))
    }
}

/// Longest free text (description, `Other` reason) any provider can carry.
pub const MAX_TEXT_LEN: usize = 500;

/// A refund to create. Build it with [`RefundRequest::builder`]; it is
/// validated when built and again before any request is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRequest {
    payment_id: String,
    amount: RefundAmount,
    reason: RefundReason,
    description: Option<String>,
    metadata: BTreeMap<String, String>,
    idempotency_key: IdempotencyKey,
    merchant_reference: Option<String>,
    provider_options: Option<ProviderOptions>,
}

impl RefundRequest {
    /// Starts a request to refund `amount` of payment `payment_id` for `reason`.
    ///
    /// ```
    /// use refundkit_core::{Money, RefundAmount, RefundReason, RefundRequest, IdempotencyKey};
    ///
    /// let request = RefundRequest::builder(
    ///     "PI1234567890123456789",
    ///     RefundAmount::Partial(Money::parse("10.01", "USD")?),
    ///     RefundReason::RequestedByCustomer,
    /// )
    /// .idempotency_key(IdempotencyKey::derive("shop", "order-6789/refund-1")?)
    /// .metadata("order_id", "order_6789")
    /// .build()?;
    /// assert_eq!(request.payment_id(), "PI1234567890123456789");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(
        payment_id: impl Into<String>,
        amount: RefundAmount,
        reason: RefundReason,
    ) -> RefundRequestBuilder {
        RefundRequestBuilder {
            request: RefundRequest {
                payment_id: payment_id.into(),
                amount,
                reason,
                description: None,
                metadata: BTreeMap::new(),
                idempotency_key: IdempotencyKey::new(),
                merchant_reference: None,
                provider_options: None,
            },
            explicit_key: false,
            reference: None,
        }
    }

    /// The payment (intent) to refund.
    pub fn payment_id(&self) -> &str {
        &self.payment_id
    }
    /// How much to refund.
    pub fn amount(&self) -> &RefundAmount {
        &self.amount
    }
    /// Why.
    pub fn reason(&self) -> &RefundReason {
        &self.reason
    }
    /// Free-text description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// Merchant key/value pairs.
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }
    /// The key every attempt of this create carries.
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        &self.idempotency_key
    }
    /// The merchant reference the key was derived from
    /// ([`RefundRequestBuilder::reference`]), if any.
    pub fn merchant_reference(&self) -> Option<&str> {
        self.merchant_reference.as_deref()
    }

    /// The metadata an adapter sends: the caller's pairs plus the reserved
    /// stamps that let the refund be found by its key later
    /// ([`crate::KEY_METADATA`], and [`crate::REFERENCE_METADATA`] when the
    /// key came from a reference).
    pub fn provider_metadata(&self) -> BTreeMap<String, String> {
        let mut metadata = self.metadata.clone();
        // Written on the stack, not through the formatter.
        let mut key = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let key = self
            .idempotency_key
            .as_uuid()
            .hyphenated()
            .encode_lower(&mut key);
        metadata.insert(KEY_METADATA.into(), key.to_owned());
        if let Some(reference) = &self.merchant_reference {
            metadata.insert(REFERENCE_METADATA.into(), reference.clone());
        }
        metadata
    }
    /// The options of the provider the request is meant for, when set
    /// ([`RefundRequestBuilder::provider_options`]). Adapters read them with
    /// [`ProviderOptions::for_provider`].
    pub fn provider_options(&self) -> Option<&ProviderOptions> {
        self.provider_options.as_ref()
    }

    /// Checks the limits common to every provider: a non-empty payment id, a
    /// positive amount with no more fraction digits than its currency allows,
    /// free text of at most 500 characters, non-empty metadata keys.
    /// Adapters add their own limits on top.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.payment_id.trim().is_empty() {
            return Err(ValidationError::new("payment_id", "must not be empty"));
        }
        check_provider_id("payment_id", &self.payment_id)?;
        if let RefundAmount::Partial(money) = &self.amount {
            if !money.is_positive() {
                return Err(ValidationError::new(
                    "amount",
                    format!("must be above zero, got {money}"),
                ));
            }
            money
                .to_minor_units()
                .map_err(|e| ValidationError::money("amount", e))?;
        }
        if let RefundReason::Other(text) = &self.reason {
            check_text("reason", text)?;
        }
        if let Some(description) = &self.description {
            check_text("description", description)?;
        }
        for (key, value) in &self.metadata {
            if key.trim().is_empty() {
                return Err(ValidationError::new("metadata", "keys must not be empty"));
            }
            if key.starts_with(RESERVED_METADATA_PREFIX) {
                return Err(ValidationError::new(
                    "metadata",
                    format!(
                        "keys starting with {RESERVED_METADATA_PREFIX} are reserved for refundkit"
                    ),
                ));
            }
            if key.chars().chain(value.chars()).any(char::is_control) {
                return Err(ValidationError::new(
                    "metadata",
                    "keys and values must not contain control characters",
                ));
            }
        }
        if let Some(options) = &self.provider_options {
            options.validate()?;
        }
        Ok(())
    }
}

fn check_text(field: &'static str, text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if text.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters (CR, LF, tab, ...)",
        ));
    }
    let length = text.chars().count();
    if length > MAX_TEXT_LEN {
        return Err(ValidationError::new(
            field,
            format!("is {length} characters; at most {MAX_TEXT_LEN} are allowed"),
        ));
    }
    Ok(())
}

/// Builds a [`RefundRequest`]; see [`RefundRequest::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RefundRequestBuilder {
    request: RefundRequest,
    explicit_key: bool,
    reference: Option<(String, String)>,
}

impl RefundRequestBuilder {
    /// A free-text description (a provider without one may send it as the refund reason).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.request.description = Some(description.into());
        self
    }

    /// Adds one metadata pair.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.request.metadata.insert(key.into(), value.into());
        self
    }

    /// The idempotency key (default: a fresh random key). Use
    /// [`IdempotencyKey::derive`] so a retried job sends the same key.
    pub fn idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.request.idempotency_key = key;
        self.explicit_key = true;
        self
    }

    /// Derives the idempotency key from the merchant's own reference for
    /// this logical refund (an order line, a return id) in `namespace`
    /// ([`crate::DEFAULT_KEY_NAMESPACE`] unless your deployment sets another,
    /// e.g. through `REFUNDKIT_KEY_NAMESPACE`). The library and the CLI derive
    /// the same key for the same namespace and reference, in every process,
    /// and the reference is stamped into the refund's metadata.
    ///
    /// ```
    /// use refundkit_core::{IdempotencyKey, RefundAmount, RefundReason, RefundRequest, DEFAULT_KEY_NAMESPACE};
    ///
    /// let request = RefundRequest::builder("PI1", RefundAmount::Full, RefundReason::Duplicate)
    ///     .reference(DEFAULT_KEY_NAMESPACE, "order-6789/refund-1")
    ///     .build()?;
    /// assert_eq!(request.idempotency_key(), &IdempotencyKey::derive(DEFAULT_KEY_NAMESPACE, "order-6789/refund-1")?);
    /// assert_eq!(request.merchant_reference(), Some("order-6789/refund-1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reference(mut self, namespace: impl Into<String>, reference: impl Into<String>) -> Self {
        self.reference = Some((namespace.into(), reference.into()));
        self
    }

    /// Options of one provider (an adapter's typed options convert into
    /// [`ProviderOptions`]). The
    /// adapter that serves the request refuses another provider's options.
    pub fn provider_options(mut self, options: impl Into<ProviderOptions>) -> Self {
        self.request.provider_options = Some(options.into());
        self
    }

    /// Validates and returns the request. Setting both an explicit key and a
    /// reference is refused: the key would not be the one the reference gives.
    pub fn build(mut self) -> Result<RefundRequest, ValidationError> {
        if let Some((namespace, reference)) = self.reference {
            if self.explicit_key {
                return Err(ValidationError::new(
                    "idempotency_key",
                    "set either an idempotency key or a reference, not both",
                ));
            }
            self.request.idempotency_key = IdempotencyKey::derive(&namespace, &reference)?;
            check_text("reference", &reference)?;
            self.request.merchant_reference = Some(reference);
        }
        self.request.validate()?;
        Ok(self.request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(amount: &str, currency: &str) -> RefundAmount {
        RefundAmount::Partial(Money::parse(amount, currency).unwrap())
    }

    fn build(amount: RefundAmount) -> Result<RefundRequest, ValidationError> {
        RefundRequest::builder("PI1", amount, RefundReason::Duplicate).build()
    }

    #[test]
    fn zero_and_negative_amounts_are_rejected() {
        assert_eq!(build(partial("0", "USD")).unwrap_err().field(), "amount");
        assert_eq!(build(partial("-1", "USD")).unwrap_err().field(), "amount");
        assert!(build(partial("0.01", "USD")).is_ok());
        assert!(build(RefundAmount::Full).is_ok());
    }

    #[test]
    fn empty_payment_id_is_rejected() {
        let error = RefundRequest::builder(" ", RefundAmount::Full, RefundReason::Duplicate)
            .build()
            .unwrap_err();
        assert_eq!(error.field(), "payment_id");
    }

    #[test]
    fn oversized_free_text_is_rejected() {
        let long = "x".repeat(MAX_TEXT_LEN + 1);
        let error =
            RefundRequest::builder("PI1", RefundAmount::Full, RefundReason::Other(long.clone()))
                .build()
                .unwrap_err();
        assert_eq!(error.field(), "reason");
        let error = RefundRequest::builder("PI1", RefundAmount::Full, RefundReason::Duplicate)
            .description(long)
            .build()
            .unwrap_err();
        assert_eq!(error.field(), "description");
    }

    #[test]
    fn reasons_round_trip_through_codes() {
        for reason in [
            RefundReason::Duplicate,
            RefundReason::Fraudulent,
            RefundReason::RequestedByCustomer,
            RefundReason::ResolvedDispute,
            RefundReason::ExpiredUncapturedCharge,
            RefundReason::Other("Return good".into()),
        ] {
            assert_eq!(RefundReason::from_code(reason.as_code()), reason);
        }
    }
}
