//! UQPay's error answers, exactly as `docs/wire-assumptions.md` lists them.

use serde_json::json;

use crate::sim::server::Reply;

/// Envelope A: `{"type", "code", "message"}`.
fn typed(status: u16, kind: &str, code: &str, message: impl Into<String>) -> Reply {
    Reply::json(
        status,
        &json!({"type": kind, "code": code, "message": message.into()}),
    )
}

fn unauthorized(code: &str, message: &str) -> Reply {
    typed(401, "unauthorized_error", code, message)
}

pub(crate) fn invalid_client_id() -> Reply {
    typed(
        400,
        "invalid_request_error",
        "invalid_client_id",
        "Invalid client id",
    )
}

pub(crate) fn invalid_api_key() -> Reply {
    unauthorized("unauthorized", "invalid api key")
}

pub(crate) fn token_format() -> Reply {
    unauthorized("unauthorized", "invalid auth token format")
}

pub(crate) fn token_expired() -> Reply {
    unauthorized("token_expired", "token has expired")
}

pub(crate) fn token_invalid() -> Reply {
    unauthorized("unauthorized", "invalid auth token")
}

pub(crate) fn client_mismatch() -> Reply {
    unauthorized("unauthorized", "x-client-id does not match the auth token")
}

pub(crate) fn idempotency_key_invalid() -> Reply {
    typed(
        400,
        "idempotency_error",
        "invalid_idempotency_key",
        "Idempotency key format invalid",
    )
}

pub(crate) fn idempotency_mismatch() -> Reply {
    typed(
        400,
        "idempotency_error",
        "idempotency_key_mismatch",
        "Idempotency key mismatched with the original request",
    )
}

/// Envelope B: a numeric `code` in an HTTP 400.
pub(crate) fn in_flight() -> Reply {
    Reply::json(
        400,
        &json!({"code": 200, "message": "Request is processing, please try again later"}),
    )
}

pub(crate) fn invalid_parameter(field: &str, why: impl std::fmt::Display) -> Reply {
    typed(
        400,
        "invalid_request_error",
        "invalid_parameter",
        format!("{field}: {why}"),
    )
}

/// `not_found` arrives as HTTP 400.
pub(crate) fn not_found(resource: &str, id: &str) -> Reply {
    typed(
        400,
        "not_found",
        "resource_not_found",
        format!("{resource} {id} was not found"),
    )
}

pub(crate) fn not_refundable(payment_id: &str, status: &str) -> Reply {
    typed(
        400,
        "payment_error",
        "payment_intent_not_refundable",
        format!(
            "Payment intent {payment_id} is {status}; only SUCCEEDED payment intents can be refunded"
        ),
    )
}

pub(crate) fn exceeds_available() -> Reply {
    typed(
        400,
        "refund_error",
        "refund_amount_exceeds_available",
        "Refund amount exceeds the refundable amount",
    )
}

pub(crate) fn sub_account_not_found(account: &str) -> Reply {
    typed(
        400,
        "account_error",
        "sub_account_not_found",
        format!("Sub-account {account} was not found or is not active"),
    )
}

pub(crate) fn rate_limited(retry_after_secs: u64) -> Reply {
    typed(
        429,
        "api_error",
        "velocity_limit_exceeded",
        "Too many requests have been made to the api, please try again later",
    )
    .with_header("retry-after", retry_after_secs.to_string())
}

pub(crate) fn server_error(status: u16) -> Reply {
    typed(
        status,
        "api_error",
        "api_error",
        "An internal error occurred, please try again later",
    )
}

pub(crate) fn unknown_route(method: &str, path: &str) -> Reply {
    typed(
        404,
        "not_found",
        "resource_not_found",
        format!("route {method} {path} was not found"),
    )
}
