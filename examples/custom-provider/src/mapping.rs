//! Pure functions between refundkit's model and the ledger's wire types:
//! the create body, the refund, the echo check and the error classes.

use refundkit::toolkit::transport::{decode_value, ErrorClassifier, ErrorResponse, Operation};
use refundkit::toolkit::{check_echo, parse_plain_decimal};
use refundkit::{
    Currency, ErrorKind, Money, OffsetDateTime, ProviderError, ProviderOptions, RawJson, Refund,
    RefundAmount, RefundError, RefundId, RefundReason, RefundRequest, RefundStatus,
};

use crate::wire::{WireCreate, WireErrorBody, WireErrorCode, WireRefund, WireStatus};
use crate::{ACCOUNT_OPTION, LEDGER};

/// The body of a create: the caller's metadata plus refundkit's key stamp
/// (so `find_refund_by_key` finds it later), the amount as an exact
/// decimal string. Another provider's options are refused here, before
/// anything is sent.
pub(crate) fn create_body(request: &RefundRequest) -> Result<WireCreate<'_>, RefundError> {
    let options =
        ProviderOptions::for_provider(request.provider_options(), LEDGER, &[ACCOUNT_OPTION])?;
    let (amount, currency) = match request.amount() {
        RefundAmount::Full => (None, None),
        RefundAmount::Partial(money) => (
            Some(money.to_major_string()),
            Some(money.currency().code().to_owned()),
        ),
    };
    Ok(WireCreate {
        payment_id: request.payment_id(),
        amount,
        currency,
        reason: request.reason().as_code(),
        description: request.description(),
        account: options.and_then(|options| options.get(ACCOUNT_OPTION)),
        metadata: request.provider_metadata(),
    })
}

/// A raw refund object (from a list, or a whole answer) decoded.
pub(crate) fn decode_refund(raw: serde_json::Value) -> Result<Refund, RefundError> {
    let text = RawJson::from_value(&raw);
    let wire: WireRefund = decode_value(LEDGER, raw)?;
    to_refund(wire, text)
}

/// The normalized refund; `raw` is kept for audit.
pub(crate) fn to_refund(wire: WireRefund, raw: RawJson) -> Result<Refund, RefundError> {
    let bad =
        |field: &str, why: String| RefundError::decode(LEDGER, format!("field `{field}` {why}"));
    let currency = Currency::new(&wire.currency)
        .map_err(|e| bad("currency", format!("is not usable: {e}")))?;
    let amount = parse_plain_decimal(&wire.amount)
        .and_then(|decimal| Money::new(decimal, currency))
        .map_err(|e| bad("amount", format!("is not an exact amount: {e}")))?;
    let id = RefundId::new(wire.id).map_err(|e| bad("id", e.to_string()))?;
    let mut refund = Refund::new(LEDGER, id, amount, status(wire.status));
    refund.payment_id = Some(wire.payment_id);
    refund.reason = wire.reason.as_deref().map(RefundReason::from_code);
    refund.description = wire.description;
    refund.metadata = wire.metadata;
    refund.created_at = wire
        .created
        .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok());
    refund.raw = raw;
    Ok(refund)
}

fn status(status: WireStatus) -> RefundStatus {
    match status {
        WireStatus::Pending => RefundStatus::Pending,
        WireStatus::Succeeded => RefundStatus::Succeeded,
        WireStatus::Failed => RefundStatus::Failed,
    }
}

/// The created refund, when it is what `request` asked for: a partial
/// refund must echo its amount and currency (else `IntegrityMismatch`: it
/// exists, but differs).
pub(crate) fn check_created(
    refund: Refund,
    request: &RefundRequest,
) -> Result<Refund, RefundError> {
    match request.amount() {
        RefundAmount::Partial(money) => check_echo(refund, Some(money.currency()), Some(money)),
        RefundAmount::Full => Ok(refund),
    }
}

/// Classifies the ledger's error answers for the transport.
#[derive(Debug, Clone, Copy, Default)]
pub struct LedgerErrorClassifier;

impl ErrorClassifier for LedgerErrorClassifier {
    fn classify(&self, _operation: Operation, response: &ErrorResponse) -> ProviderError {
        match documented(response) {
            Some(body) => {
                let code = body.error.code;
                ProviderError::new(LEDGER, kind_of(code), response.status, body.error.message)
                    .with_code(code.as_str())
            }
            None => ProviderError::new(
                LEDGER,
                kind_for_status(response.status),
                response.status,
                format!("HTTP {} without a ledger error body", response.status),
            ),
        }
    }

    fn is_documented(&self, response: &ErrorResponse) -> bool {
        documented(response).is_some()
    }
}

fn documented(response: &ErrorResponse) -> Option<WireErrorBody> {
    serde_json::from_slice(&response.body).ok()
}

fn kind_of(code: WireErrorCode) -> ErrorKind {
    match code {
        WireErrorCode::InvalidRequest => ErrorKind::InvalidRequest,
        WireErrorCode::Unauthorized => ErrorKind::Authentication,
        WireErrorCode::NotFound => ErrorKind::NotFound,
        WireErrorCode::IdempotencyConflict => ErrorKind::IdempotencyConflict,
        WireErrorCode::RequestInProgress => ErrorKind::RequestInProgress,
        WireErrorCode::ExceedsAvailable => ErrorKind::RefundExceedsAvailable,
        WireErrorCode::NotRefundable => ErrorKind::PaymentNotRefundable,
        WireErrorCode::RateLimited => ErrorKind::RateLimited,
        WireErrorCode::Unavailable => ErrorKind::ProviderUnavailable,
    }
}

/// A class for an answer that is not the ledger's (a proxy's page, an
/// empty body): from its status alone.
fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        401 => ErrorKind::Authentication,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::ProviderUnavailable,
        _ => ErrorKind::Other,
    }
}

impl WireErrorCode {
    fn as_str(self) -> &'static str {
        match self {
            WireErrorCode::InvalidRequest => "invalid_request",
            WireErrorCode::Unauthorized => "unauthorized",
            WireErrorCode::NotFound => "not_found",
            WireErrorCode::IdempotencyConflict => "idempotency_conflict",
            WireErrorCode::RequestInProgress => "request_in_progress",
            WireErrorCode::ExceedsAvailable => "exceeds_available",
            WireErrorCode::NotRefundable => "not_refundable",
            WireErrorCode::RateLimited => "rate_limited",
            WireErrorCode::Unavailable => "unavailable",
        }
    }
}

#[cfg(test)]
mod tests;
