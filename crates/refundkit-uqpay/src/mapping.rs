//! UQPay wire types <-> the normalized model, both directions. Pure: no I/O.

use std::collections::BTreeMap;

use refundkit_core::{find_stamped, IdempotencyKey, OffsetDateTime, RawJson, PAYMENT_METADATA};
use refundkit_core::{
    Currency, FailureReason, ListRefunds, Money, Refund, RefundError, RefundId, RefundPage,
    RefundReason, RefundRequest, RefundStatus, ValidationError,
};
use time::format_description::well_known::Rfc3339;

use crate::wire::{CreateRefundBody, WirePaymentIntent, WireRefund, WireRefundPage};

/// UQPay ids (`payment_intent_id`, `payment_attempt_id`, `merchant_order_id`) are at most 36 chars.
pub(crate) const MAX_ID_CHARS: usize = 36;
/// UQPay's `reason` is required and at most 100 chars.
pub(crate) const MAX_REASON_CHARS: usize = 100;
/// Metadata limit, serialized (assumed from the PaymentIntent's documented limit).
pub(crate) const MAX_METADATA_BYTES: usize = 512;

use crate::PROVIDER;

/// `refund_status` as UQPay sends it. Matched exhaustively, so a new value
/// forces a decision here.
#[derive(Debug, Clone, PartialEq, Eq)]
enum WireRefundStatus {
    Initiated,
    Processing,
    /// Not in the API enum; defined by the official SDKs' webhook models.
    Pending,
    Succeeded,
    Failed,
    ReversalInitiated,
    ReversalProcessing,
    ReversalSucceeded,
    Unknown(String),
}

impl WireRefundStatus {
    fn parse(raw: &str) -> Self {
        match raw {
            "INITIATED" => Self::Initiated,
            "PROCESSING" => Self::Processing,
            "PENDING" => Self::Pending,
            "SUCCEEDED" => Self::Succeeded,
            "FAILED" => Self::Failed,
            "REVERSAL_INITIATED" => Self::ReversalInitiated,
            "REVERSAL_PROCESSING" => Self::ReversalProcessing,
            "REVERSAL_SUCCEEDED" => Self::ReversalSucceeded,
            other => Self::Unknown(other.to_string()),
        }
    }
}

/// The normalized status of a UQPay `refund_status`, and the failure reason
/// for `FAILED` (UQPay gives none, so it is `Unspecified`).
pub(crate) fn status_from_wire(raw: &str) -> (RefundStatus, Option<FailureReason>) {
    match WireRefundStatus::parse(raw) {
        WireRefundStatus::Initiated | WireRefundStatus::Processing | WireRefundStatus::Pending => {
            (RefundStatus::Pending, None)
        }
        WireRefundStatus::Succeeded => (RefundStatus::Succeeded, None),
        WireRefundStatus::Failed => (RefundStatus::Failed, Some(FailureReason::Unspecified)),
        WireRefundStatus::ReversalInitiated | WireRefundStatus::ReversalProcessing => {
            (RefundStatus::Reversing, None)
        }
        WireRefundStatus::ReversalSucceeded => (RefundStatus::Reversed, None),
        WireRefundStatus::Unknown(raw) => (RefundStatus::Unknown(raw), None),
    }
}

fn decode_error(message: impl Into<String>) -> RefundError {
    RefundError::decode(PROVIDER, message)
}

/// A UQPay refund, normalized. `raw` is kept in [`Refund::raw`]. The amount is
/// parsed exactly; one the currency cannot hold is a decode error, never rounded.
pub(crate) fn refund_from_wire(wire: WireRefund, raw: RawJson) -> Result<Refund, RefundError> {
    let id = RefundId::new(wire.payment_refund_id)
        .map_err(|e| decode_error(format!("payment_refund_id: {}", e.message())))?;
    let amount = Money::parse(&wire.amount, &wire.currency)
        .map_err(|e| decode_error(format!("refund {id}: amount: {e}")))?;
    let (status, failure) = status_from_wire(&wire.refund_status);
    let mut refund = Refund::new(PROVIDER, id, amount, status);
    refund.failure = failure;
    refund.reason = wire.reason.as_deref().map(RefundReason::from_code);
    refund.metadata = metadata_from_wire(wire.metadata.unwrap_or_default());
    refund.payment_id = wire
        .payment_intent_id
        .or_else(|| refund.metadata.get(PAYMENT_METADATA).cloned());
    refund.created_at = timestamp_from_wire("create_time", wire.create_time.as_deref())?;
    refund.updated_at = timestamp_from_wire("update_time", wire.update_time.as_deref())?;
    refund.raw = raw;
    Ok(refund)
}

/// A refund from its raw JSON (list items, webhook `data`).
pub(crate) fn refund_from_value(raw: serde_json::Value) -> Result<Refund, RefundError> {
    let text = RawJson::from_value(&raw);
    let wire: WireRefund = refundkit_core::transport::decode_value(PROVIDER, raw)?;
    refund_from_wire(wire, text)
}

/// UQPay documents metadata as string pairs; any other JSON value is kept as its JSON text.
fn metadata_from_wire(metadata: BTreeMap<String, serde_json::Value>) -> BTreeMap<String, String> {
    metadata
        .into_iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => (key, text),
            other => (key, other.to_string()),
        })
        .collect()
}

fn timestamp_from_wire(
    field: &str,
    text: Option<&str>,
) -> Result<Option<OffsetDateTime>, RefundError> {
    match text {
        None => Ok(None),
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map(Some)
            .map_err(|_| decode_error(format!("{field} is not an RFC 3339 time"))),
    }
}

/// A page of the list endpoint. UQPay refunds do not carry their payment
/// intent, so `payment_id` is filled from the query's filter when it had one.
pub(crate) fn page_from_wire(
    page: WireRefundPage,
    query: &ListRefunds,
) -> Result<RefundPage, RefundError> {
    let refunds = page
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|raw| {
            let mut refund = refund_from_value(raw)?;
            refund.payment_id = query.payment_id.clone();
            Ok(refund)
        })
        .collect::<Result<Vec<_>, RefundError>>()?;
    let mut result = RefundPage::new(refunds, query.page);
    result.total_pages = page.total_pages;
    result.total_items = page.total_items;
    Ok(result)
}

/// What remains refundable on a payment intent: `captured_amount` minus the
/// latest attempt's `refunded_amount` (absent = 0); `None` when nothing is
/// left (the caller looks for a refund made with its key first). Refuses
/// intents that are not `SUCCEEDED`.
pub(crate) fn remaining_refundable(
    intent: &WirePaymentIntent,
    payment_id: &str,
) -> Result<Option<Money>, RefundError> {
    if intent.intent_status != "SUCCEEDED" {
        // Decided here from the intent, not answered by UQPay: no HTTP status.
        return Err(RefundError::PaymentNotRefundable {
            provider: PROVIDER,
            payment_id: payment_id.to_string(),
            reason: format!(
                "its intent is {}; UQPay refunds only SUCCEEDED payments",
                intent.intent_status
            ),
        });
    }
    let money = |field: &str, amount: &str| {
        Money::parse(amount, &intent.currency)
            .map_err(|e| decode_error(format!("payment intent {payment_id}: {field}: {e}")))
    };
    let captured = match &intent.captured_amount {
        Some(amount) => money("captured_amount", amount)?,
        None => {
            return Err(decode_error(format!(
                "payment intent {payment_id} has no captured_amount"
            )))
        }
    };
    let refunded = match intent
        .latest_payment_attempt
        .as_ref()
        .and_then(|attempt| attempt.refunded_amount.as_deref())
    {
        Some(amount) => money("latest_payment_attempt.refunded_amount", amount)?,
        None => Money::from_minor_units(0, captured.currency()),
    };
    let remaining = captured.checked_sub(&refunded).ok_or_else(|| {
        decode_error(format!(
            "payment intent {payment_id}: cannot subtract {refunded} from {captured}"
        ))
    })?;
    Ok(remaining.is_positive().then_some(remaining))
}

/// The refund stamped with `key` in one list page, and the page count.
pub(crate) fn find_in_page(
    page: WireRefundPage,
    payment_id: &str,
    key: &IdempotencyKey,
) -> Result<(Option<Refund>, Option<u64>), RefundError> {
    let found = find_stamped(page.data.unwrap_or_default(), key, |raw| {
        let mut refund = refund_from_value(raw)?;
        refund.payment_id = Some(payment_id.to_string());
        Ok(refund)
    })?;
    Ok((found, page.total_pages))
}

/// The intent's `create_time`, when it is a readable RFC 3339 time.
pub(crate) fn intent_created_at(intent: &WirePaymentIntent) -> Option<OffsetDateTime> {
    intent
        .create_time
        .as_deref()
        .and_then(|text| OffsetDateTime::parse(text, &Rfc3339).ok())
}

/// A full refund of a payment with nothing left, and no refund with the
/// request's key on it (looked up with list_refunds): decided here, not
/// answered by UQPay.
pub(crate) fn nothing_left(payment_id: &str) -> RefundError {
    RefundError::NothingLeftToRefund {
        provider: PROVIDER,
        payment_id: payment_id.to_string(),
    }
}

/// Windows of at most [`LIST_WINDOW`] covering `from` (the payment's
/// creation, when known) up to `now`, newest first: UQPay's list spans at
/// most 3 months per query. Without `from`, [`MAX_LOOKBACK_WINDOWS`] are
/// searched (about 15 months). As many as a creation time asks for: the
/// search's page cap bounds what a far-past time costs.
pub(crate) fn search_windows(
    now: OffsetDateTime,
    from: Option<OffsetDateTime>,
) -> impl Iterator<Item = (OffsetDateTime, OffsetDateTime)> {
    let floor = from.and_then(|from| from.checked_sub(time::Duration::days(1)));
    let most = if from.is_some() {
        usize::MAX
    } else {
        MAX_LOOKBACK_WINDOWS
    };
    let mut end = now.checked_add(time::Duration::days(1));
    std::iter::from_fn(move || {
        let window_end = end?;
        let start = window_end.checked_sub(LIST_WINDOW)?;
        end = match floor {
            Some(floor) if start <= floor => None,
            _ => Some(start),
        };
        Some((start, window_end))
    })
    .take(most)
}

/// One list query's span: under UQPay's 3-month maximum.
const LIST_WINDOW: time::Duration = time::Duration::days(90);
/// How far back a search goes when the payment's creation time is unknown.
const MAX_LOOKBACK_WINDOWS: usize = 5;

/// Refuses a partial refund whose currency is not the payment intent's.
/// UQPay's create has no currency field, so `10.01 EUR` against a USD intent
/// would move 10.01 USD. Status and remaining amount are left to UQPay: a
/// retry of a completed refund must still reach it for the replayed answer.
pub(crate) fn check_refund_currency(
    intent: &WirePaymentIntent,
    payment_id: &str,
    amount: &Money,
) -> Result<Currency, RefundError> {
    let intent_currency = Currency::new(&intent.currency)
        .map_err(|e| decode_error(format!("payment intent {payment_id}: currency: {e}")))?;
    check_cached_currency(intent_currency, payment_id, amount)?;
    Ok(intent_currency)
}

/// Refuses a partial refund whose currency is not `intent_currency`, the
/// payment's (read now, or remembered from an earlier read).
pub(crate) fn check_cached_currency(
    intent_currency: Currency,
    payment_id: &str,
    amount: &Money,
) -> Result<(), RefundError> {
    let requested = amount.currency();
    if requested != intent_currency {
        let message = format!(
            "{amount} is not in the payment's currency: payment intent {payment_id} is in \
             {intent_currency}, and UQPay refunds in the payment's currency"
        );
        return Err(ValidationError::new("amount", message).into());
    }
    Ok(())
}

/// A sub-account id (`x-on-behalf-of`): a UUID, sent in its hyphenated lower-case form.
pub(crate) fn sub_account_id(text: &str) -> Result<String, ValidationError> {
    uuid::Uuid::parse_str(text.trim())
        .map(|uuid| uuid.hyphenated().to_string())
        .map_err(|_| ValidationError::new("on_behalf_of", "must be a sub-account UUID"))
}

fn check_id_length(field: &'static str, id: &str) -> Result<(), ValidationError> {
    // No more bytes than the limit: no more characters either.
    if id.len() <= MAX_ID_CHARS {
        return Ok(());
    }
    let length = id.chars().count();
    if length > MAX_ID_CHARS {
        return Err(ValidationError::new(
            field,
            format!("is {length} characters; UQPay allows at most {MAX_ID_CHARS}"),
        ));
    }
    Ok(())
}

/// A create request checked against UQPay's limits, ready to be sent once
/// the amount is known (a full refund reads it from the payment intent first).
#[derive(Debug)]
pub(crate) struct PreparedCreate<'a> {
    request: &'a RefundRequest,
    reason: &'a str,
    /// The payment attempt to refund, if any.
    payment_attempt_id: Option<String>,
    /// The sub-account to send as `x-on-behalf-of`, if any.
    pub on_behalf_of: Option<String>,
    /// The caller's metadata with the key stamp.
    metadata: BTreeMap<String, String>,
}

impl<'a> PreparedCreate<'a> {
    /// Checks `request` against UQPay's limits without sending anything; the
    /// core rules were checked when it was built (a `RefundRequest` is
    /// validated by its builder and cannot change after). `default_on_behalf_of`
    /// is the configured sub-account; the request's wins.
    pub fn prepare(
        request: &'a RefundRequest,
        default_on_behalf_of: Option<&str>,
    ) -> Result<Self, ValidationError> {
        check_id_length("payment_id", request.payment_id())?;
        // UQPay requires a UUID key and its SDK checks version 4.
        if request.idempotency_key().as_uuid().get_version_num() != 4 {
            return Err(ValidationError::new(
                "idempotency_key",
                "UQPay requires a version-4 UUID (IdempotencyKey::new or ::derive make one)",
            ));
        }
        let options = crate::UqPayOptions::of(request)?;
        if let Some(attempt) = options.attempt() {
            check_id_length("payment_attempt_id", attempt)?;
        }
        let reason = reason_text(request);
        let length = match reason.len() {
            bytes if bytes <= MAX_REASON_CHARS => bytes,
            _ => reason.chars().count(),
        };
        if length > MAX_REASON_CHARS {
            let field = if request.description().is_some() {
                "description"
            } else {
                "reason"
            };
            return Err(ValidationError::new(
                field,
                format!("is {length} characters; UQPay's reason allows at most {MAX_REASON_CHARS}"),
            ));
        }
        let mut metadata = request.provider_metadata();
        // UQPay's refund object does not name its payment intent: stamped so
        // that get_refund can say it.
        metadata.insert(PAYMENT_METADATA.into(), request.payment_id().to_string());
        let metadata_bytes = json_object_len(&metadata);
        if metadata_bytes > MAX_METADATA_BYTES {
            return Err(ValidationError::new(
                "metadata",
                format!(
                    "is {metadata_bytes} bytes as JSON with refundkit's key stamp; \
                     at most {MAX_METADATA_BYTES} are allowed"
                ),
            ));
        }
        let on_behalf_of = match options.account().or(default_on_behalf_of) {
            Some(account) => Some(sub_account_id(account)?),
            None => None,
        };
        Ok(Self {
            request,
            reason,
            payment_attempt_id: options.attempt().map(str::to_owned),
            on_behalf_of,
            metadata,
        })
    }

    /// The JSON body refunding `amount`.
    pub fn body<'b>(&'b self, amount: &Money) -> CreateRefundBody<'b> {
        CreateRefundBody {
            payment_intent_id: self.request.payment_id(),
            amount: amount.to_major_string(),
            reason: self.reason,
            payment_attempt_id: self.payment_attempt_id.as_deref(),
            metadata: &self.metadata,
        }
    }
}

/// The length of `metadata` as compact JSON (`{"k":"v",…}`), as serde_json
/// writes it, counted without writing it.
pub(crate) fn json_object_len(metadata: &BTreeMap<String, String>) -> usize {
    let commas = metadata.len().saturating_sub(1);
    metadata
        .iter()
        .fold(commas.saturating_add(2), |len, (key, value)| {
            len.saturating_add(json_string_len(key))
                .saturating_add(json_string_len(value))
                .saturating_add(1)
        })
}

/// The length of `text` as a JSON string, quotes included: serde_json writes
/// `"`, `\` and the five control characters with short escapes as two bytes,
/// the other control characters as `\u00XX`, and everything else as is.
fn json_string_len(text: &str) -> usize {
    // Nearly always nothing to escape: one branch-free pass says so.
    let plain = text.bytes().fold(true, |plain, b| {
        plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
    });
    if plain {
        return text.len().saturating_add(2);
    }
    text.bytes().fold(2usize, |len, byte| {
        let written = match byte {
            b'"' | b'\\' | 0x08 | 0x09 | 0x0A | 0x0C | 0x0D => 2,
            0x00..=0x1F => 6,
            _ => 1,
        };
        len.saturating_add(written)
    })
}

/// UQPay's required free-text reason: the description if given, else the
/// text of an `Other` reason, else the reason's code (`requested_by_customer`).
pub(crate) fn reason_text(request: &RefundRequest) -> &str {
    match (request.description(), request.reason()) {
        (Some(description), _) => description,
        (None, RefundReason::Other(text)) => text,
        (None, reason) => reason.as_code(),
    }
}

/// The list endpoint's query parameters for `query` (validated first).
pub(crate) fn list_query(
    query: &ListRefunds,
) -> Result<Vec<(&'static str, String)>, ValidationError> {
    query.validate()?;
    let mut pairs = vec![
        ("page_number", query.page.to_string()),
        ("page_size", query.page_size.to_string()),
    ];
    if let Some(payment_id) = &query.payment_id {
        refundkit_core::check_provider_id("payment_id", payment_id)?;
        check_id_length("payment_id", payment_id)?;
        pairs.push(("payment_intent_id", payment_id.clone()));
    }
    if let Some(order_id) = crate::UqPayListFilter::of(query)?.order_id() {
        refundkit_core::check_opaque_id("merchant_order_id", order_id)?;
        check_id_length("merchant_order_id", order_id)?;
        pairs.push(("merchant_order_id", order_id.to_owned()));
    }
    for (name, field, time) in [
        ("start_time", "created_from", query.created_from),
        ("end_time", "created_to", query.created_to),
    ] {
        if let Some(time) = time {
            let text = time
                .format(&Rfc3339)
                .map_err(|_| ValidationError::new(field, "cannot be written as RFC 3339"))?;
            pairs.push((name, text));
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests;
