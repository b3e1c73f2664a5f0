//! WooshPay error answers -> core's [`ErrorKind`]. Pure: HTTP status first,
//! then `type` / `code`, exactly as `docs/wire-assumptions.md` lays down.

use refundkit_core::transport::{ErrorClassifier, ErrorResponse, Operation};
use refundkit_core::{ErrorKind, ProviderError};
use serde_json::Value;

use crate::wire::{WireErrorBody, WireErrorField, WireErrorObject};

/// The error answer's body, read tolerantly. Every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ErrorDetails {
    error_type: Option<String>,
    code: Option<String>,
    message: Option<String>,
    param: Option<String>,
    decline_code: Option<String>,
}

/// Classifies a WooshPay error answer (non-2xx `status` with `body`).
///
/// | HTTP | `code` / `type` | kind |
/// |---|---|---|
/// | any but 5xx | `resource_missing` | `NotFound` |
/// | 401 | any | `Authentication` |
/// | 403 | any | `PermissionDenied` |
/// | 404 | any | `NotFound` |
/// | 409 | `idempotency_key_in_use` | `RequestInProgress` (retryable) |
/// | 409 | any other | `IdempotencyConflict` |
/// | 429 | any | `RateLimited` (retryable) |
/// | 5xx | any | `ProviderUnavailable` (retryable) |
/// | 400, 402, other 4xx | `amount_too_large`, `charge_already_refunded`, or *exceed* / *greater than* in code or message | `RefundExceedsAvailable` |
/// | 400, other 4xx | type `idempotency_error` | `IdempotencyConflict` |
/// | 400, other 4xx | type `card_error` | `PaymentNotRefundable` |
/// | 402 | any other | `PaymentNotRefundable` |
/// | 400 | any other | `InvalidRequest` |
/// | anything else | | `Other` |
///
/// Unreadable bodies (HTML, empty, not JSON) are still classified by status.
pub fn classify_error(status: u16, body: &[u8]) -> ProviderError {
    let details = parse_body(body);
    let kind = kind_for(status, &details);
    let mut error = ProviderError::new(
        crate::PROVIDER,
        kind,
        status,
        message(status, body, &details),
    );
    error.provider_code = details.code.or(details.error_type);
    error
}

/// The normalized kind for `status` and the parsed body.
fn kind_for(status: u16, details: &ErrorDetails) -> ErrorKind {
    let code = details.code.as_deref().unwrap_or_default();
    let error_type = details.error_type.as_deref().unwrap_or_default();
    if status >= 500 {
        return ErrorKind::ProviderUnavailable;
    }
    if code == "resource_missing" {
        return ErrorKind::NotFound;
    }
    match status {
        401 => ErrorKind::Authentication,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        409 if code == "idempotency_key_in_use" => ErrorKind::RequestInProgress,
        409 => ErrorKind::IdempotencyConflict,
        429 => ErrorKind::RateLimited,
        400..=499 if exceeds_available(code, details.message.as_deref()) => {
            ErrorKind::RefundExceedsAvailable
        }
        400..=499 if error_type == "idempotency_error" => ErrorKind::IdempotencyConflict,
        400..=499 if error_type == "card_error" => ErrorKind::PaymentNotRefundable,
        402 => ErrorKind::PaymentNotRefundable,
        400 => ErrorKind::InvalidRequest,
        _ => ErrorKind::Other,
    }
}

/// Whether the code or message says the refund is above what remains.
fn exceeds_available(code: &str, message: Option<&str>) -> bool {
    if matches!(code, "amount_too_large" | "charge_already_refunded") {
        return true;
    }
    [code, message.unwrap_or_default()].iter().any(|text| {
        let text = text.to_ascii_lowercase();
        text.contains("exceed") || text.contains("greater than")
    })
}

/// Reads whichever error shape the body has; anything unreadable gives no details.
fn parse_body(body: &[u8]) -> ErrorDetails {
    let Ok(wire) = serde_json::from_slice::<WireErrorBody>(body) else {
        return ErrorDetails::default();
    };
    let top_level = ErrorDetails {
        error_type: text(wire.error_type.as_ref()),
        code: text(wire.code.as_ref()),
        message: text(wire.message.as_ref()),
        param: None,
        decline_code: None,
    };
    match wire.error {
        Some(WireErrorField::Object(object)) => from_object(object, top_level),
        Some(WireErrorField::Text(message)) => ErrorDetails {
            message: top_level.message.clone().or(Some(message)),
            ..top_level
        },
        Some(WireErrorField::Other(_)) | None => top_level,
    }
}

/// The error object's fields, with top-level ones filling its gaps.
fn from_object(object: WireErrorObject, top_level: ErrorDetails) -> ErrorDetails {
    ErrorDetails {
        error_type: text(object.error_type.as_ref()).or(top_level.error_type),
        code: text(object.code.as_ref()).or(top_level.code),
        message: text(object.message.as_ref()).or(top_level.message),
        param: text(object.param.as_ref()),
        decline_code: text(object.decline_code.as_ref()),
    }
}

/// A JSON string or number as text; empty strings and other values count as absent.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A one-line message: the provider's words and details, or what the body was.
fn message(status: u16, body: &[u8], details: &ErrorDetails) -> String {
    let mut message = match &details.message {
        Some(message) => message.clone(),
        None if body.iter().all(u8::is_ascii_whitespace) => {
            format!("HTTP {status} with an empty body")
        }
        None if body.trim_ascii_start().starts_with(b"<") => {
            format!("HTTP {status} with an HTML body ({} bytes)", body.len())
        }
        None if serde_json::from_slice::<Value>(body).is_ok() => {
            format!("HTTP {status} with an error body of unknown shape")
        }
        None => format!(
            "HTTP {status} with a body that is not JSON ({} bytes)",
            body.len()
        ),
    };
    if let Some(param) = &details.param {
        message.push_str(&format!(" (param: {param})"));
    }
    if let Some(decline_code) = &details.decline_code {
        message.push_str(&format!(" (decline_code: {decline_code})"));
    }
    // Core drops control characters and cuts long messages, after scrubbing.
    message
}

/// Core's [`ErrorClassifier`] for WooshPay: [`classify_error`] plus the
/// request id (`Request-Id`, assumed from Stripe) and `Retry-After`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WooshPayErrorClassifier;

impl ErrorClassifier for WooshPayErrorClassifier {
    /// An error object with a `type` or `code`, at the top level or in `error`.
    fn is_documented(&self, response: &ErrorResponse) -> bool {
        let details = parse_body(&response.body);
        details.code.is_some() || details.error_type.is_some()
    }

    fn classify(&self, _operation: Operation, response: &ErrorResponse) -> ProviderError {
        let mut error = classify_error(response.status, &response.body);
        error.request_id = ["request-id", "x-request-id"]
            .iter()
            .find_map(|name| response.headers.get(*name))
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        error.retry_after = response.retry_after;
        error
    }
}

#[cfg(test)]
mod tests;
