//! WooshPay wire types <-> the normalized model, both directions. Pure.

use std::collections::{BTreeMap, HashMap, HashSet};

use refundkit_core::transport::decode_value;
use refundkit_core::{
    find_stamped, Currency, FailureReason, IdempotencyKey, Money, OffsetDateTime, RawJson, Refund,
    RefundAmount, RefundError, RefundId, RefundReason, RefundRequest, RefundStatus,
    ValidationError,
};
use serde_json::Value;

use crate::wire::{CreateRefundBody, WireInteger, WireRefund, WireRefundList, WireRequestReason};

use crate::PROVIDER;

/// Stripe's zero-decimal currencies, which WooshPay is assumed to share (its
/// own list is not published): amounts in these are whole units.
pub const ZERO_DECIMAL_CURRENCIES: [&str; 16] = [
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];

/// Metadata key carrying an `Other(text)` reason (WooshPay's reason is an enum).
pub const METADATA_REASON_KEY: &str = "refundkit_reason";
/// Metadata key carrying the request's description (create has no such field).
pub const METADATA_DESCRIPTION_KEY: &str = "refundkit_description";

/// Stripe's metadata limits, assumed for WooshPay.
const MAX_METADATA_KEYS: usize = 50;
const MAX_METADATA_KEY_CHARS: usize = 40;
const MAX_METADATA_VALUE_CHARS: usize = 500;

/// Timestamps at or above this are milliseconds, below it seconds.
const MILLISECONDS_FROM: i64 = 1_000_000_000_000;

/// The minor-unit exponent WooshPay uses per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CurrencyExponents {
    zero_decimal: HashSet<Currency>,
    overrides: HashMap<Currency, u32>,
}

impl Default for CurrencyExponents {
    fn default() -> Self {
        Self::with_zero_decimal(
            ZERO_DECIMAL_CURRENCIES
                .iter()
                .filter_map(|code| Currency::new(code).ok()),
        )
    }
}

impl CurrencyExponents {
    /// `zero_decimal` at exponent 0, every other currency at its ISO exponent.
    pub(crate) fn with_zero_decimal(zero_decimal: impl IntoIterator<Item = Currency>) -> Self {
        Self {
            zero_decimal: zero_decimal.into_iter().collect(),
            overrides: HashMap::new(),
        }
    }

    /// Pins `currency` to `exponent`, above the zero-decimal list.
    pub(crate) fn set(&mut self, currency: Currency, exponent: u32) {
        self.overrides.insert(currency, exponent);
    }

    /// The exponent amounts of `currency` travel with.
    pub(crate) fn exponent(&self, currency: Currency) -> u32 {
        match self.overrides.get(&currency) {
            Some(exponent) => *exponent,
            None if self.zero_decimal.contains(&currency) => 0,
            None => currency.exponent(),
        }
    }
}

/// The create body for `request`, after every check WooshPay's limits need.
/// Nothing here touches the network: a refusal means nothing was sent. The
/// core rules were checked when the request was built (a `RefundRequest` is
/// validated by its builder and cannot change after).
pub(crate) fn create_body(
    request: &RefundRequest,
    exponents: &CurrencyExponents,
) -> Result<CreateRefundBody, ValidationError> {
    let amount = match request.amount() {
        RefundAmount::Full => None,
        RefundAmount::Partial(money) => Some(
            money
                .to_minor_units_at(exponents.exponent(money.currency()))
                .map_err(|e| ValidationError::money("amount", e))?,
        ),
    };
    refuse_foreign_options(request)?;
    // The caller's pairs (core refuses refundkit_ keys) plus the key stamp.
    let mut metadata = request.provider_metadata();
    let reason = request_reason(request.reason())?;
    if let RefundReason::Other(text) = request.reason() {
        metadata.insert(METADATA_REASON_KEY.to_string(), text.clone());
    }
    if let Some(description) = request.description() {
        metadata.insert(
            METADATA_DESCRIPTION_KEY.to_string(),
            description.to_string(),
        );
    }
    check_metadata(&metadata)?;
    Ok(CreateRefundBody {
        payment_intent: request.payment_id().to_string(),
        amount,
        reason,
        metadata,
    })
}

/// WooshPay has no options of its own: another provider's, or any name,
/// is refused, never dropped.
fn refuse_foreign_options(request: &RefundRequest) -> Result<(), ValidationError> {
    refundkit_core::ProviderOptions::for_provider(request.provider_options(), PROVIDER, &[])
        .map(|_| ())
}

/// The refund stamped with `key` in one list page, whether more pages
/// follow, and the cursor (the last object's id) to ask for them.
pub(crate) fn find_in_list(
    list: WireRefundList,
    key: &IdempotencyKey,
    exponents: &CurrencyExponents,
) -> Result<(Option<Refund>, Option<String>), RefundError> {
    let items = list.data.unwrap_or_default();
    let cursor = items
        .last()
        .and_then(|last| last.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let found = find_stamped(items, key, |raw| {
        let text = RawJson::from_value(&raw);
        let wire: WireRefund = decode_value(PROVIDER, raw)?;
        refund_from_wire(wire, text, exponents)
    })?;
    match (found, list.has_more.unwrap_or(false), cursor) {
        (Some(refund), _, _) => Ok((Some(refund), None)),
        (None, false, _) => Ok((None, None)),
        (None, true, Some(cursor)) => Ok((None, Some(cursor))),
        (None, true, None) => Err(RefundError::decode(
            PROVIDER,
            "refund list says has_more but its last object has no id to page from",
        )),
    }
}

/// The wire reason for a request reason: `None` for free text (it travels in
/// metadata), an error for reasons WooshPay only reports.
fn request_reason(reason: &RefundReason) -> Result<Option<WireRequestReason>, ValidationError> {
    match reason {
        RefundReason::Duplicate => Ok(Some(WireRequestReason::Duplicate)),
        RefundReason::Fraudulent => Ok(Some(WireRequestReason::Fraudulent)),
        RefundReason::RequestedByCustomer => Ok(Some(WireRequestReason::RequestedByCustomer)),
        RefundReason::ResolvedDispute => Ok(Some(WireRequestReason::ResolvedDispute)),
        RefundReason::Other(_) => Ok(None),
        RefundReason::ExpiredUncapturedCharge => Err(ValidationError::new(
            "reason",
            "expired_uncaptured_charge is reported by WooshPay, never sent",
        )),
        other => Err(ValidationError::new(
            "reason",
            format!("{other} is not a reason WooshPay accepts"),
        )),
    }
}

/// Stripe's metadata limits, which WooshPay is assumed to apply.
fn check_metadata(metadata: &BTreeMap<String, String>) -> Result<(), ValidationError> {
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(ValidationError::new(
            "metadata",
            format!(
                "has {} keys (refundkit's own included); at most {MAX_METADATA_KEYS} are allowed",
                metadata.len()
            ),
        ));
    }
    for (key, value) in metadata {
        if key.chars().count() > MAX_METADATA_KEY_CHARS {
            return Err(ValidationError::new(
                "metadata",
                format!("key {key:?} is longer than {MAX_METADATA_KEY_CHARS} characters"),
            ));
        }
        if key.contains(['[', ']']) {
            return Err(ValidationError::new(
                "metadata",
                format!("key {key:?} contains '[' or ']'"),
            ));
        }
        if value.chars().count() > MAX_METADATA_VALUE_CHARS {
            return Err(ValidationError::new(
                "metadata",
                format!("value of {key:?} is longer than {MAX_METADATA_VALUE_CHARS} characters"),
            ));
        }
    }
    Ok(())
}

/// The normalized refund for a WooshPay Refund object. `raw` is the body as
/// received, kept for audit. A missing id, amount or currency, or a body
/// describing something other than a refund, is a decode error.
pub(crate) fn refund_from_wire(
    wire: WireRefund,
    raw: RawJson,
    exponents: &CurrencyExponents,
) -> Result<Refund, RefundError> {
    let decode = |message: String| RefundError::decode(PROVIDER, message);
    if let Some(object) = wire.object.as_deref() {
        if object != "refund" {
            return Err(decode(
                "expected a refund object, got another object type".to_string(),
            ));
        }
    }
    let id = wire.id.ok_or_else(|| decode("refund has no id".into()))?;
    let id = RefundId::new(id).map_err(|e| decode(format!("refund id: {e}")))?;
    let amount = money(wire.amount, wire.currency.as_deref(), exponents)?;
    let status = wire
        .status
        .as_deref()
        .map_or(RefundStatus::Unknown(String::new()), status_from_wire);
    let mut refund = Refund::new(PROVIDER, id, amount, status);
    refund.payment_id = wire.payment_intent.filter(|id| !id.is_empty());
    refund.reason = wire
        .reason
        .filter(|reason| !reason.is_empty())
        .map(|reason| RefundReason::from_code(&reason));
    refund.description = wire.description;
    refund.failure = wire
        .failure_reason
        .filter(|reason| !reason.is_empty())
        .map(|reason| failure_from_wire(&reason));
    refund.metadata = wire.metadata.map(metadata_from_wire).unwrap_or_default();
    refund.created_at = wire
        .created
        .map(|created| timestamp(&created))
        .transpose()?;
    refund.raw = raw;
    Ok(refund)
}

/// `amount` minor units of `currency`, counted with WooshPay's exponent.
fn money(
    amount: Option<WireInteger>,
    currency: Option<&str>,
    exponents: &CurrencyExponents,
) -> Result<Money, RefundError> {
    let decode = |message: String| RefundError::decode(PROVIDER, message);
    let amount = amount.ok_or_else(|| decode("refund has no amount".into()))?;
    let currency = currency.ok_or_else(|| decode("refund has no currency".into()))?;
    let currency = Currency::new(currency).map_err(|e| decode(format!("currency: {e}")))?;
    let minor = integer(&amount).map_err(|why| decode(format!("amount {why}")))?;
    if minor < 0 {
        return Err(decode(format!("amount {minor} is negative")));
    }
    Money::from_minor_units_at(minor, currency, exponents.exponent(currency))
        .map_err(|e| decode(format!("amount: {e}")))
}

/// The value of a wire integer; text must be plain digits (no sign, no dot).
fn integer(value: &WireInteger) -> Result<i64, String> {
    match value {
        WireInteger::Number(number) => Ok(*number),
        WireInteger::Text(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().map_err(|_| "is out of range".to_string())
        }
        WireInteger::Text(_) => Err("is not a whole number".to_string()),
    }
}

/// `created`: Unix seconds, or milliseconds from 10^12 on.
fn timestamp(value: &WireInteger) -> Result<OffsetDateTime, RefundError> {
    let decode = |why: String| RefundError::decode(PROVIDER, format!("created {why}"));
    let value = integer(value).map_err(decode)?;
    let nanos = if value >= MILLISECONDS_FROM {
        i128::from(value) * 1_000_000
    } else {
        i128::from(value) * 1_000_000_000
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map_err(|_| decode(format!("{value} is out of range")))
}

/// The statuses WooshPay is known or assumed (from Stripe) to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WireStatus {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
}

impl WireStatus {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "requires_action" => Some(Self::RequiresAction),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            "canceled" => Some(Self::Canceled),
            _ => None,
        }
    }
}

/// The normalized status; an unknown value is kept raw and is never final.
pub(crate) fn status_from_wire(raw: &str) -> RefundStatus {
    match WireStatus::parse(raw) {
        Some(WireStatus::Pending) => RefundStatus::Pending,
        Some(WireStatus::RequiresAction) => RefundStatus::RequiresAction,
        Some(WireStatus::Succeeded) => RefundStatus::Succeeded,
        Some(WireStatus::Failed) => RefundStatus::Failed,
        Some(WireStatus::Canceled) => RefundStatus::Canceled,
        None => RefundStatus::Unknown(raw.to_string()),
    }
}

/// The failure reasons WooshPay documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WireFailureReason {
    LostOrStolenCard,
    ExpiredOrCanceledCard,
    Unknown,
}

impl WireFailureReason {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "lost_or_stolen_card" => Some(Self::LostOrStolenCard),
            "expired_or_canceled_card" => Some(Self::ExpiredOrCanceledCard),
            "unknown" => Some(Self::Unknown),
            _ => None,
        }
    }
}

/// The normalized failure reason; anything undocumented is kept raw.
pub(crate) fn failure_from_wire(raw: &str) -> FailureReason {
    match WireFailureReason::parse(raw) {
        Some(WireFailureReason::LostOrStolenCard) => FailureReason::LostOrStolenCard,
        Some(WireFailureReason::ExpiredOrCanceledCard) => FailureReason::ExpiredOrCanceledCard,
        Some(WireFailureReason::Unknown) => FailureReason::Unspecified,
        None => FailureReason::Other(raw.to_string()),
    }
}

/// Metadata values are strings; a null drops the key and any other JSON
/// value is kept as its JSON text rather than failing the whole refund.
fn metadata_from_wire(metadata: BTreeMap<String, Value>) -> BTreeMap<String, String> {
    metadata
        .into_iter()
        .filter_map(|(key, value)| match value {
            Value::String(text) => Some((key, text)),
            Value::Null => None,
            other => Some((key, other.to_string())),
        })
        .collect()
}

#[cfg(test)]
mod tests;
