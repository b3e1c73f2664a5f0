//! WooshPay's error answers: Stripe's wrapper
//! `{"error": {"type", "code", "message", "param"}}`, statuses and codes as
//! `docs/wire-assumptions.md` lists them.

use serde_json::{json, Value};

use crate::sim::server::Reply;

fn wrapped(
    status: u16,
    kind: &str,
    code: Option<&str>,
    message: String,
    param: Option<&str>,
) -> Reply {
    Reply::json(
        status,
        &json!({"error": {
            "type": kind,
            "code": code.map_or(Value::Null, |c| Value::String(c.to_string())),
            "message": message,
            "param": param.map_or(Value::Null, |p| Value::String(p.to_string())),
        }}),
    )
}

fn invalid_request(status: u16, code: &str, message: String, param: Option<&str>) -> Reply {
    wrapped(status, "invalid_request_error", Some(code), message, param)
}

pub(crate) fn invalid_api_key(message: String) -> Reply {
    invalid_request(401, "invalid_api_key", message, None)
}

/// Body validation: a bad `amount`.
pub(crate) fn invalid_amount(why: &str) -> Reply {
    invalid_request(
        400,
        "parameter_invalid_integer",
        format!("Invalid positive integer: amount {why}"),
        Some("amount"),
    )
}

/// Body validation: anything but the amount.
pub(crate) fn invalid_parameter(param: Option<&str>, message: String) -> Reply {
    invalid_request(400, "invalid_request", message, param)
}

pub(crate) fn no_such_payment_intent(id: &str) -> Reply {
    invalid_request(
        400,
        "resource_missing",
        format!("No such payment_intent: '{id}'"),
        Some("payment_intent"),
    )
}

pub(crate) fn no_such_refund(id: &str) -> Reply {
    invalid_request(
        404,
        "resource_missing",
        format!("No such refund: '{id}'"),
        Some("id"),
    )
}

/// A list cursor naming no object of the list.
pub(crate) fn no_such_cursor(param: &str, id: &str) -> Reply {
    invalid_request(
        400,
        "resource_missing",
        format!("No such refund: '{id}'"),
        Some(param),
    )
}

/// A query integer out of range (`limit`).
pub(crate) fn invalid_integer(param: &str, message: String) -> Reply {
    invalid_request(400, "parameter_invalid_integer", message, Some(param))
}

/// A query parameter the endpoint does not take.
pub(crate) fn unknown_parameter(name: &str) -> Reply {
    invalid_request(
        400,
        "parameter_unknown",
        format!("Received unknown parameter: {name}"),
        Some(name),
    )
}

pub(crate) fn amount_too_large(amount: i64, remaining: i64) -> Reply {
    invalid_request(
        400,
        "amount_too_large",
        format!(
            "Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"
        ),
        Some("amount"),
    )
}

pub(crate) fn already_refunded(payment_id: &str) -> Reply {
    invalid_request(
        400,
        "charge_already_refunded",
        format!("The charge of PaymentIntent {payment_id} has already been refunded."),
        None,
    )
}

pub(crate) fn refund_failed(payment_id: &str, status: &str) -> Reply {
    invalid_request(
        402,
        "refund_failed",
        format!("PaymentIntent {payment_id} has status {status} and cannot be refunded."),
        None,
    )
}

pub(crate) fn idempotency_key_reused(key: &str) -> Reply {
    wrapped(
        409,
        "idempotency_error",
        Some("idempotency_key_reused"),
        format!(
            "Keys for idempotent requests can only be used with the same parameters they were \
             first used with. Try using a key other than '{key}' if you meant to execute a \
             different request."
        ),
        None,
    )
}

pub(crate) fn idempotency_key_in_use(key: &str) -> Reply {
    invalid_request(
        409,
        "idempotency_key_in_use",
        format!(
            "There is currently another in-progress request using this Idempotent Key: {key}. \
             Please try again later."
        ),
        None,
    )
}

pub(crate) fn rate_limited(retry_after_secs: u64) -> Reply {
    invalid_request(
        429,
        "rate_limit",
        "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.".into(),
        None,
    )
    .with_header("retry-after", retry_after_secs.to_string())
}

pub(crate) fn server_error(status: u16) -> Reply {
    wrapped(
        status,
        "api_error",
        None,
        "An error occurred with our API; please try again later.".into(),
        None,
    )
}

pub(crate) fn unrecognized_url(method: &str, path: &str) -> Reply {
    wrapped(
        404,
        "invalid_request_error",
        None,
        format!("Unrecognized request URL ({method}: {path})."),
        None,
    )
}
