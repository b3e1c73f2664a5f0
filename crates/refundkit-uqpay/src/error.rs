//! UQPay error answers -> [`ErrorKind`]. Pure: HTTP status first, then
//! `type`, then `code`, exactly as `docs/wire-assumptions.md` lays out.

use http::HeaderMap;
use refundkit_core::transport::{ErrorClassifier, ErrorResponse, Operation};
use refundkit_core::{ErrorKind, ProviderError};

use crate::wire::WireErrorBody;

/// Core's transport hands every non-2xx answer to this.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UqPayErrorClassifier;

impl ErrorClassifier for UqPayErrorClassifier {
    /// An error object with a `type` or `code` (envelopes A and B).
    fn is_documented(&self, response: &ErrorResponse) -> bool {
        ErrorBody::parse(&response.body)
            .is_some_and(|body| body.error_type.is_some() || body.code.is_some())
    }

    fn classify(&self, operation: Operation, response: &ErrorResponse) -> ProviderError {
        classify_error(
            operation,
            response.status,
            &response.headers,
            &response.body,
        )
    }
}

/// Envelope A's `type`. Matched exhaustively, so a new value forces a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ErrorType {
    InvalidRequest,
    Idempotency,
    Account,
    Customer,
    Payment,
    Refund,
    Payout,
    Product,
    NotFound,
    Unauthorized,
    Api,
    Unknown(String),
}

impl ErrorType {
    fn parse(raw: &str) -> Self {
        match raw {
            "invalid_request_error" => Self::InvalidRequest,
            "idempotency_error" => Self::Idempotency,
            "account_error" => Self::Account,
            "customer_error" => Self::Customer,
            "payment_error" => Self::Payment,
            "refund_error" => Self::Refund,
            "payout_error" => Self::Payout,
            "product_error" => Self::Product,
            "not_found" => Self::NotFound,
            "unauthorized_error" => Self::Unauthorized,
            "api_error" => Self::Api,
            other => Self::Unknown(other.to_string()),
        }
    }
}

/// The readable parts of an error body, whatever its envelope.
#[derive(Debug, Default)]
struct ErrorBody {
    error_type: Option<String>,
    /// `code` as text; numeric codes (Envelope B) are written out.
    code: Option<String>,
    numeric_code: bool,
    message: Option<String>,
}

impl ErrorBody {
    fn parse(body: &[u8]) -> Option<Self> {
        let wire: WireErrorBody = serde_json::from_slice(body).ok()?;
        let (code, numeric_code) = match wire.code {
            Some(serde_json::Value::String(code)) => (Some(code), false),
            Some(serde_json::Value::Number(code)) => (Some(code.to_string()), true),
            Some(other) if !other.is_null() => (Some(other.to_string()), false),
            _ => (None, false),
        };
        let bare_error = match wire.error {
            Some(serde_json::Value::String(text)) => Some(text),
            _ => None,
        };
        Some(Self {
            error_type: wire.error_type,
            code,
            numeric_code,
            message: wire.message.or(bare_error),
        })
    }

    fn mentions(&self, needle: &str) -> bool {
        [&self.code, &self.message]
            .into_iter()
            .flatten()
            .any(|text| text.to_ascii_lowercase().contains(needle))
    }
}

/// Classifies one UQPay error answer.
pub(crate) fn classify_error(
    operation: Operation,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> ProviderError {
    let parsed = ErrorBody::parse(body);
    let kind = match &parsed {
        Some(parsed) => kind_for(operation, status, parsed),
        None => kind_by_status(status).unwrap_or(ErrorKind::Other),
    };
    let message = match &parsed {
        Some(ErrorBody {
            message: Some(message),
            ..
        }) => message.clone(),
        Some(_) => format!("HTTP {status} with an error body that has no message"),
        None if body.iter().all(u8::is_ascii_whitespace) => {
            format!("HTTP {status} with an empty body")
        }
        None => format!(
            "HTTP {status} with a body that is not a UQPay error object ({} bytes)",
            body.len()
        ),
    };
    let mut error = ProviderError::new(crate::PROVIDER, kind, status, message);
    error.provider_code = parsed.and_then(|parsed| parsed.code.or(parsed.error_type));
    error.request_id = headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    error
}

/// Statuses that decide the kind whatever the body says.
fn kind_by_status(status: u16) -> Option<ErrorKind> {
    match status {
        500..=599 => Some(ErrorKind::ProviderUnavailable),
        429 => Some(ErrorKind::RateLimited),
        // A request timeout at the gateway: safe to repeat with the same key.
        408 => Some(ErrorKind::ProviderUnavailable),
        401 => Some(ErrorKind::Authentication),
        403 => Some(ErrorKind::PermissionDenied),
        404 => Some(ErrorKind::NotFound),
        _ => None,
    }
}

fn kind_for(operation: Operation, status: u16, body: &ErrorBody) -> ErrorKind {
    if let Some(kind) = kind_by_status(status) {
        return kind;
    }
    // Envelope B: "Request is processing" with a numeric code inside an HTTP 400.
    if status == 400 && body.numeric_code {
        return ErrorKind::RequestInProgress;
    }
    if operation == crate::auth::FETCH_TOKEN
        && status == 400
        && (body.code.as_deref() == Some("invalid_client_id") || body.mentions("invalid client id"))
    {
        return ErrorKind::Authentication;
    }
    let rate_limited = body.code.as_deref() == Some("velocity_limit_exceeded");
    let Some(error_type) = body.error_type.as_deref().map(ErrorType::parse) else {
        return if rate_limited {
            ErrorKind::RateLimited
        } else {
            ErrorKind::Other
        };
    };
    match error_type {
        ErrorType::InvalidRequest
        | ErrorType::Account
        | ErrorType::Customer
        | ErrorType::Payout => ErrorKind::InvalidRequest,
        ErrorType::Idempotency => ErrorKind::IdempotencyConflict,
        ErrorType::Payment => ErrorKind::PaymentNotRefundable,
        ErrorType::Refund if body.mentions("exceed") => ErrorKind::RefundExceedsAvailable,
        ErrorType::Refund => ErrorKind::PaymentNotRefundable,
        ErrorType::Product => ErrorKind::PermissionDenied,
        ErrorType::NotFound => ErrorKind::NotFound,
        ErrorType::Unauthorized => ErrorKind::Authentication,
        ErrorType::Api | ErrorType::Unknown(_) if rate_limited => ErrorKind::RateLimited,
        ErrorType::Api | ErrorType::Unknown(_) => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests;
